/*
 * Writing the store: only the rows that differ from what was read, keyed like the tables, so a
 * one-endpoint change costs one row whatever the endpoint count.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "store/state_store.h"

enum sql_id {
	SQL_NET_DEL,
	SQL_NET_PUT,
	SQL_EP_DEL,
	SQL_EP_PUT,
	SQL_ALLOC_PUT,
	SQL_RULE_DEL,
	SQL_RULE_PUT,
	SQL_NODE_DEL,
	SQL_NODE_PUT,
	SQL_OWNED_DEL,
	SQL_OWNED_PUT,
	SQL_COUNTER_PUT,
	SQL_N,
};

static const char *const sql_text[SQL_N] = {
    [SQL_NET_DEL] = "DELETE FROM networks WHERE name = ?1",
    [SQL_NET_PUT] =
	"INSERT INTO networks (id, name, model, subnet, gateway, gateway_mac, icc, vni, vlan, mtu,"
	" parent, macvlan_mode, host_access) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
	" ?12, ?13) ON CONFLICT (name) DO UPDATE SET id = ?1, model = ?3, subnet = ?4, gateway = "
	"?5,"
	" gateway_mac = ?6, icc = ?7, vni = ?8, vlan = ?9, mtu = ?10, parent = ?11,"
	" macvlan_mode = ?12, host_access = ?13",
    [SQL_EP_DEL] = "DELETE FROM endpoints WHERE id = ?1",
    [SQL_EP_PUT] = "INSERT INTO endpoints (id, name, net, node, netns, ifname, host_ifname, ip,"
		   " mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT (id) DO UPDATE"
		   " SET name = ?2, net = ?3, node = ?4, netns = ?5, ifname = ?6,"
		   " host_ifname = ?7, ip = ?8, mac = ?9",
    [SQL_ALLOC_PUT] = "INSERT INTO allocations (net_id, ip, endpoint_id) VALUES (?1, ?2, ?3)"
		      " ON CONFLICT (endpoint_id) DO UPDATE SET net_id = ?1, ip = ?2",
    [SQL_RULE_DEL] = "DELETE FROM rules WHERE id = ?1",
    [SQL_RULE_PUT] = "INSERT INTO rules (id, from_sel, to_sel, verdict) VALUES (?1, ?2, ?3, ?4)"
		     " ON CONFLICT (id) DO UPDATE SET from_sel = ?2, to_sel = ?3, verdict = ?4",
    [SQL_NODE_DEL] = "DELETE FROM nodes WHERE name = ?1",
    [SQL_NODE_PUT] = "INSERT INTO nodes (name, underlay, ifname) VALUES (?1, ?2, ?3)"
		     " ON CONFLICT (name) DO UPDATE SET underlay = ?2, ifname = ?3",
    [SQL_OWNED_DEL] = "DELETE FROM owned_netns WHERE name = ?1",
    [SQL_OWNED_PUT] = "INSERT OR IGNORE INTO owned_netns (name) VALUES (?1)",
    [SQL_COUNTER_PUT] = "INSERT INTO counters (name, value) VALUES (?1, ?2)"
			" ON CONFLICT (name) DO UPDATE SET value = ?2",
};

/*
 * Prepared once per connection and kept with it: parsing SQL for each commit was 4 % of the
 * agent's CPU time for a CNI ADD.
 */
struct store_statements {
	sqlite3_stmt *stmt[SQL_N];
};

void store_statements_free(struct store_statements *stmts)
{
	if (!stmts)
		return;
	for (int i = 0; i < SQL_N; i++)
		sqlite3_finalize(stmts->stmt[i]);
	free(stmts);
}

struct writer {
	struct cbpf_state *st;
	sqlite3_stmt **stmt;
};

static sqlite3_stmt *prepared(struct writer *w, enum sql_id id)
{
	if (!w->stmt[id] && sqlite3_prepare_v3(w->st->db, sql_text[id], -1,
					       SQLITE_PREPARE_PERSISTENT, &w->stmt[id], NULL))
		cbpf_err("state database %s: prepare: %s", w->st->path, sqlite3_errmsg(w->st->db));
	return w->stmt[id];
}

/* Runs a bound statement; what and name say which row failed. */
static int run(struct writer *w, sqlite3_stmt *s, const char *what, const char *name)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		cbpf_err("state database %s: write %s %s: %s", w->st->path, what, name,
			 sqlite3_errmsg(w->st->db));
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

static void bind_text(sqlite3_stmt *s, int i, const char *text)
{
	sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
}

static void bind_ip(sqlite3_stmt *s, int i, uint32_t ip)
{
	char text[CBPF_IP_STRLEN];

	cbpf_format_ip(ip, text);
	bind_text(s, i, text);
}

static void bind_mac(sqlite3_stmt *s, int i, const uint8_t mac[6])
{
	char text[CBPF_MAC_STRLEN];

	cbpf_format_mac(mac, text);
	bind_text(s, i, text);
}

static int del_by_name(struct writer *w, enum sql_id id, const char *what, const char *name)
{
	sqlite3_stmt *s = prepared(w, id);

	if (!s)
		return -EIO;
	bind_text(s, 1, name);
	return run(w, s, what, name);
}

static int del_by_id(struct writer *w, enum sql_id id, const char *what, const char *name,
		     uint32_t key)
{
	sqlite3_stmt *s = prepared(w, id);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, key);
	return run(w, s, what, name);
}

static int net_del(struct writer *w, const void *item)
{
	return del_by_name(w, SQL_NET_DEL, "network", ((const struct cbpf_network *)item)->name);
}

static int net_put(struct writer *w, const void *item)
{
	const struct cbpf_network *net = item;
	sqlite3_stmt *s = prepared(w, SQL_NET_PUT);
	char subnet[32];

	if (!s)
		return -EIO;
	cbpf_format_cidr(&net->subnet, subnet, sizeof(subnet));
	sqlite3_bind_int64(s, 1, net->id);
	bind_text(s, 2, net->name);
	sqlite3_bind_int(s, 3, net->model);
	bind_text(s, 4, subnet);
	bind_ip(s, 5, net->gateway);
	bind_mac(s, 6, net->gateway_mac);
	sqlite3_bind_int(s, 7, net->icc);
	sqlite3_bind_int64(s, 8, net->vni);
	sqlite3_bind_int(s, 9, net->vlan);
	sqlite3_bind_int(s, 10, net->mtu);
	bind_text(s, 11, net->parent);
	sqlite3_bind_int(s, 12, net->macvlan_mode);
	sqlite3_bind_int(s, 13, net->host_access);
	return run(w, s, "network", net->name);
}

static int ep_del(struct writer *w, const void *item)
{
	const struct cbpf_endpoint *ep = item;

	/* The address allocation goes with it (ON DELETE CASCADE). */
	return del_by_id(w, SQL_EP_DEL, "endpoint", ep->name, ep->id);
}

static int ep_put(struct writer *w, const void *item)
{
	const struct cbpf_endpoint *ep = item;
	const struct cbpf_network *net = state_find_net(w->st, ep->net);
	sqlite3_stmt *s = prepared(w, SQL_EP_PUT);
	int err;

	if (!s)
		return -EIO;
	if (!net) {
		cbpf_err("state database %s: endpoint %s names no network (%s)", w->st->path,
			 ep->name, ep->net);
		return -EINVAL;
	}
	sqlite3_bind_int64(s, 1, ep->id);
	bind_text(s, 2, ep->name);
	bind_text(s, 3, ep->net);
	bind_text(s, 4, ep->node);
	bind_text(s, 5, ep->netns);
	bind_text(s, 6, ep->ifname);
	bind_text(s, 7, ep->host_ifname);
	bind_ip(s, 8, ep->ip);
	bind_mac(s, 9, ep->mac);
	err = run(w, s, "endpoint", ep->name);
	s = err ? NULL : prepared(w, SQL_ALLOC_PUT);
	if (!s)
		return err ?: -EIO;
	sqlite3_bind_int64(s, 1, net->id);
	bind_ip(s, 2, ep->ip);
	sqlite3_bind_int64(s, 3, ep->id);
	return run(w, s, "address allocation of endpoint", ep->name);
}

static int rule_del(struct writer *w, const void *item)
{
	const struct cbpf_rule *rule = item;

	return del_by_id(w, SQL_RULE_DEL, "rule", rule->from, rule->id);
}

static int rule_put(struct writer *w, const void *item)
{
	const struct cbpf_rule *rule = item;
	sqlite3_stmt *s = prepared(w, SQL_RULE_PUT);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, rule->id);
	bind_text(s, 2, rule->from);
	bind_text(s, 3, rule->to);
	sqlite3_bind_int(s, 4, rule->verdict);
	return run(w, s, "rule from", rule->from);
}

static int node_del(struct writer *w, const void *item)
{
	return del_by_name(w, SQL_NODE_DEL, "node", ((const struct cbpf_node *)item)->name);
}

static int node_put(struct writer *w, const void *item)
{
	const struct cbpf_node *node = item;
	sqlite3_stmt *s = prepared(w, SQL_NODE_PUT);

	if (!s)
		return -EIO;
	bind_text(s, 1, node->name);
	bind_ip(s, 2, node->underlay_ip);
	bind_text(s, 3, node->ifname);
	return run(w, s, "node", node->name);
}

static int owned_del(struct writer *w, const void *item)
{
	return del_by_name(w, SQL_OWNED_DEL, "namespace",
			   ((const struct cbpf_owned_netns *)item)->name);
}

static int owned_put(struct writer *w, const void *item)
{
	const struct cbpf_owned_netns *owned = item;
	sqlite3_stmt *s = prepared(w, SQL_OWNED_PUT);

	if (!s)
		return -EIO;
	bind_text(s, 1, owned->name);
	return run(w, s, "namespace", owned->name);
}

/* Key comparisons, on pointers to elements as qsort hands them. */
static int cmp_net(const void *a, const void *b)
{
	return strcmp((*(const struct cbpf_network *const *)a)->name,
		      (*(const struct cbpf_network *const *)b)->name);
}

static int cmp_u32(uint32_t a, uint32_t b)
{
	return (a > b) - (a < b);
}

static int cmp_ep(const void *a, const void *b)
{
	return cmp_u32((*(const struct cbpf_endpoint *const *)a)->id,
		       (*(const struct cbpf_endpoint *const *)b)->id);
}

static int cmp_rule(const void *a, const void *b)
{
	return cmp_u32((*(const struct cbpf_rule *const *)a)->id,
		       (*(const struct cbpf_rule *const *)b)->id);
}

static int cmp_node(const void *a, const void *b)
{
	return strcmp((*(const struct cbpf_node *const *)a)->name,
		      (*(const struct cbpf_node *const *)b)->name);
}

static int cmp_owned(const void *a, const void *b)
{
	return strcmp((*(const struct cbpf_owned_netns *const *)a)->name,
		      (*(const struct cbpf_owned_netns *const *)b)->name);
}

struct table {
	size_t size;
	int (*cmp)(const void *a, const void *b);
	int (*del)(struct writer *w, const void *item);
	int (*put)(struct writer *w, const void *item);
};

static const struct table nets_table = {sizeof(struct cbpf_network), cmp_net, net_del, net_put};
static const struct table eps_table = {sizeof(struct cbpf_endpoint), cmp_ep, ep_del, ep_put};
static const struct table rules_table = {sizeof(struct cbpf_rule), cmp_rule, rule_del, rule_put};
static const struct table nodes_table = {sizeof(struct cbpf_node), cmp_node, node_del, node_put};
static const struct table owned_table = {sizeof(struct cbpf_owned_netns), cmp_owned, owned_del,
					 owned_put};

static const void **sorted(const struct table *t, const char *items, size_t n)
{
	const void **ptrs = malloc((n ? n : 1) * sizeof(*ptrs));

	if (!ptrs)
		return NULL;
	for (size_t i = 0; i < n; i++)
		ptrs[i] = items + i * t->size;
	qsort(ptrs, n, sizeof(*ptrs), t->cmp);
	return ptrs;
}

/* One collection as last read or written (seen) and as it is now in st. */
struct collection {
	const struct table *t;
	void **seen;
	size_t *n_seen;
	const char *now;
	size_t n_now;
	size_t pre, suf; /* elements alike at the start and at the end of both */
};

#define COLLECTIONS 5

/* Children before parents: deletions run in this order, additions in the reverse. */
static void collections(struct cbpf_state *st, struct collection c[COLLECTIONS])
{
	struct cbpf_state_seen *s = st->seen;

	c[0] = (struct collection){&rules_table,
				   (void **)&s->obj.rules,
				   &s->obj.n_rules,
				   (const char *)st->rules,
				   st->n_rules,
				   0,
				   0};
	c[1] = (struct collection){
	    &eps_table, (void **)&s->obj.eps, &s->obj.n_eps, (const char *)st->eps, st->n_eps, 0,
	    0};
	c[2] = (struct collection){&nodes_table,
				   (void **)&s->obj.nodes,
				   &s->obj.n_nodes,
				   (const char *)st->nodes,
				   st->n_nodes,
				   0,
				   0};
	c[3] = (struct collection){&nets_table,
				   (void **)&s->obj.nets,
				   &s->obj.n_nets,
				   (const char *)st->nets,
				   st->n_nets,
				   0,
				   0};
	c[4] = (struct collection){&owned_table,
				   (void **)&s->owned,
				   &s->n_owned,
				   (const char *)st->owned,
				   st->n_owned,
				   0,
				   0};
}

/*
 * Commands append at the end and remove in place, so what changed sits between a common prefix
 * and a common suffix. Each is first tried whole, one comparison: an append or a removal is
 * found without comparing element by element.
 */
static void common(struct collection *c)
{
	const char *was = *c->seen, *now = c->now;
	size_t size = c->t->size, n_was = *c->n_seen, n = n_was < c->n_now ? n_was : c->n_now;
	size_t pre = 0, suf = 0;

	if (n && !memcmp(was, now, n * size))
		pre = n;
	while (pre < n && !memcmp(was + pre * size, now + pre * size, size))
		pre++;
	n -= pre;
	if (n && !memcmp(was + (n_was - n) * size, now + (c->n_now - n) * size, n * size))
		suf = n;
	while (suf < n &&
	       !memcmp(was + (n_was - 1 - suf) * size, now + (c->n_now - 1 - suf) * size, size))
		suf++;
	c->pre = pre;
	c->suf = suf;
}

/*
 * Only the middle between prefix and suffix is sorted and matched by key. With deleting, writes
 * the rows gone; without, the rows new or changed: all deletions run first, so a name or an
 * address given up and taken again in one commit never meets itself.
 */
static int diff(struct writer *w, const struct collection *c, bool deleting)
{
	const struct table *t = c->t;
	size_t n_o = *c->n_seen - c->pre - c->suf, n_n = c->n_now - c->pre - c->suf, i = 0, j = 0;
	const void **o, **n;
	int err = 0;

	if (!n_o && !n_n)
		return 0;
	/* An empty collection may have no array at all: no offset is taken from NULL. */
	o = sorted(t, n_o ? (const char *)*c->seen + c->pre * t->size : NULL, n_o);
	n = sorted(t, n_n ? c->now + c->pre * t->size : NULL, n_n);
	if (!o || !n)
		err = -ENOMEM;
	while (!err && (i < n_o || j < n_n)) {
		int cmp = i == n_o ? 1 : j == n_n ? -1 : t->cmp(&o[i], &n[j]);

		if (cmp < 0 && deleting)
			err = t->del(w, o[i]);
		else if (cmp > 0 && !deleting)
			err = t->put(w, n[j]);
		else if (!cmp && !deleting && memcmp(o[i], n[j], t->size))
			err = t->put(w, n[j]);
		i += cmp <= 0;
		j += cmp >= 0;
	}
	free(o);
	free(n);
	return err;
}

/* After the commit: seen becomes st again by copying only the middle that changed. */
static int catch_up(const struct collection *c)
{
	size_t size = c->t->size, mid_was = *c->n_seen - c->pre - c->suf;
	size_t mid_now = c->n_now - c->pre - c->suf;
	char *seen = *c->seen;

	if (c->n_now > *c->n_seen) {
		seen = realloc(seen, c->n_now * size);
		if (!seen)
			return -ENOMEM;
		*c->seen = seen;
	}
	if (c->suf)
		memmove(seen + (c->pre + mid_now) * size, seen + (c->pre + mid_was) * size,
			c->suf * size);
	if (mid_now)
		memcpy(seen + c->pre * size, c->now + c->pre * size, mid_now * size);
	*c->n_seen = c->n_now;
	return 0;
}

static int counter_put(struct writer *w, const char *name, uint32_t value, uint32_t seen)
{
	sqlite3_stmt *s;

	if (value == seen)
		return 0;
	s = prepared(w, SQL_COUNTER_PUT);
	if (!s)
		return -EIO;
	bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, value);
	return run(w, s, "counter", name);
}

/* Finds each collection's changed middle; false when nothing differs from what was seen. */
static bool changed(struct cbpf_state *st, struct collection c[COLLECTIONS])
{
	bool any =
	    st->next_ep_id != st->seen->next_ep_id || st->next_rule_id != st->seen->next_rule_id;

	collections(st, c);
	for (int k = 0; k < COLLECTIONS; k++) {
		common(&c[k]);
		any =
		    any || *c[k].n_seen != c[k].pre + c[k].suf || c[k].n_now != c[k].pre + c[k].suf;
	}
	return any;
}

static int write_changes(struct cbpf_state *st, const struct collection c[COLLECTIONS])
{
	struct writer w = {.st = st};
	int err = 0;

	if (!st->stmts)
		st->stmts = calloc(1, sizeof(*st->stmts));
	if (!st->stmts)
		return -ENOMEM;
	w.stmt = st->stmts->stmt;
	for (int k = 0; k < COLLECTIONS && !err; k++)
		err = diff(&w, &c[k], true);
	for (int k = COLLECTIONS - 1; k >= 0 && !err; k--)
		err = diff(&w, &c[k], false);
	err = err ?: counter_put(&w, "next_ep_id", st->next_ep_id, st->seen->next_ep_id);
	return err ?: counter_put(&w, "next_rule_id", st->next_rule_id, st->seen->next_rule_id);
}

int store_write(struct cbpf_state *st)
{
	struct collection c[COLLECTIONS];

	changed(st, c);
	return write_changes(st, c);
}

static void (*on_commit)(const struct cbpf_objects *gone, const struct cbpf_objects *came);
static _Atomic unsigned long commits;

unsigned long state_commits(void)
{
	return commits;
}

void state_on_commit(void (*fn)(const struct cbpf_objects *gone, const struct cbpf_objects *came))
{
	on_commit = fn;
}

/*
 * The first element of a collection's middle, between what it kept at its start and at its
 * end, as it is (now) or was; *n its length.
 */
static void *middle(const struct collection *c, bool now, size_t *n)
{
	size_t size = c->t->size;
	char *items = now ? (char *)c->now : *c->seen;

	*n = (now ? c->n_now : *c->n_seen) - c->pre - c->suf;
	return *n ? items + c->pre * size : NULL;
}

static void tell_commit(const struct collection c[COLLECTIONS])
{
	struct cbpf_objects gone, came;

	gone.rules = middle(&c[0], false, &gone.n_rules);
	came.rules = middle(&c[0], true, &came.n_rules);
	gone.eps = middle(&c[1], false, &gone.n_eps);
	came.eps = middle(&c[1], true, &came.n_eps);
	gone.nodes = middle(&c[2], false, &gone.n_nodes);
	came.nodes = middle(&c[2], true, &came.n_nodes);
	gone.nets = middle(&c[3], false, &gone.n_nets);
	came.nets = middle(&c[3], true, &came.n_nets);
	on_commit(&gone, &came);
}

int state_commit(struct cbpf_state *st)
{
	struct collection c[COLLECTIONS];
	int err;

	/* A command's last step often changes nothing: no transaction for it. */
	if (!changed(st, c))
		return 0;
	err = store_exec(st, "BEGIN IMMEDIATE", "begin");
	if (err)
		return err;
	err = write_changes(st, c);
	err = err ?: store_exec(st, "COMMIT", "commit");
	if (err) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->seen->unsure = true;
		return err;
	}
	commits++;
	if (on_commit)
		tell_commit(c);
	for (int k = 0; k < COLLECTIONS && !err; k++)
		err = catch_up(&c[k]);
	if (err)
		return store_remember(st);
	st->seen->next_ep_id = st->next_ep_id;
	st->seen->next_rule_id = st->next_rule_id;
	return 0;
}
