/*
 * Learning: a list of /cbpfnet/v1/ and a watch from the list's revision + 1 keep the mirror;
 * the reconciler makes the local state match it through the command line's own commands (node
 * add/del, ep add --remote, ep del) run by exec_run under the agent's lock, so maps and state
 * change exactly as when a person types them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "agent/agent.h"
#include "core/log.h"
#include "api/exec.h"
#include "cluster/cluster_int.h"
#include "cluster/learn_op.h"
#include "reconcile/ct_forget.h"
#include "network.h"

static int on_event(void *arg, const struct etcd_event *ev)
{
	struct cluster *c = arg;

	pthread_mutex_lock(&c->m);
	switch (ev->type) {
	case ETCD_EV_PUT:
	case ETCD_EV_DELETE:
		if (mirror_apply(&c->mirror, ev->kv.key,
				 ev->type == ETCD_EV_PUT ? ev->kv.value : NULL, ev->kv.lease))
			agent_log(LOG_LVL_WARN, "cluster: %s: not a valid value, ignored",
				  ev->kv.key);
		c->dirty = true;
		break;
	case ETCD_EV_COMPACTED:
		agent_log(LOG_LVL_WARN,
			  "cluster: watch history compacted at revision %" PRId64 "; listing again",
			  ev->revision);
		c->relist = true;
		break;
	case ETCD_EV_DOWN:
		agent_log(LOG_LVL_WARN, "cluster: watch lost (the datapath keeps its state): %s",
			  ev->msg ? ev->msg : strerror(-ev->err));
		break;
	case ETCD_EV_SYNCED:
		agent_log(LOG_LVL_DEBUG, "cluster: watch connected");
		break;
	}
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->m);
	return 0;
}

int learn_list_and_watch(struct cluster *c)
{
	struct mirror fresh = {0};
	struct etcd_kv *kvs = NULL;
	int64_t revision;
	size_t n = 0;
	int err;

	pthread_mutex_lock(&c->m);
	c->relist = false;
	pthread_mutex_unlock(&c->m);
	if (c->watch) {
		etcd_watch_stop(c->watch);
		c->watch = NULL;
	}
	err = etcd_get_prefix(c->etcd, CLUSTER_PREFIX, NULL, 0, 0, &kvs, &n, &revision, NULL);
	for (size_t i = 0; !err && i < n; i++)
		if (mirror_apply(&fresh, kvs[i].key, kvs[i].value, kvs[i].lease) == -ENOMEM)
			err = -ENOMEM;
	etcd_kvs_free(kvs, n);
	if (!err)
		err =
		    etcd_watch_start(c->etcd, CLUSTER_PREFIX, revision + 1, on_event, c, &c->watch);
	if (err) {
		agent_log(LOG_LVL_WARN, "cluster: listing %s (retrying): %s", CLUSTER_PREFIX,
			  etcd_errmsg(c->etcd));
		mirror_clear(&fresh);
		return err;
	}
	pthread_mutex_lock(&c->m);
	mirror_clear(&c->mirror);
	c->mirror = fresh;
	c->dirty = true;
	pthread_mutex_unlock(&c->m);
	agent_log(LOG_LVL_INFO,
		  "cluster: %zu node(s), %zu endpoint(s) at revision %" PRId64 "; watching",
		  fresh.n_nodes, fresh.n_eps, revision);
	return 0;
}

static struct op *op_new(struct ops *ops)
{
	struct op **grown = realloc(ops->v, (ops->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	ops->v = grown;
	grown[ops->n] = calloc(1, sizeof(struct op));
	return grown[ops->n] ? grown[ops->n++] : NULL;
}

static void learned_key(char key[LEARNED_MAX], const char *kind, const char *name)
{
	snprintf(key, LEARNED_MAX, "%s:%s", kind, name);
}

static bool is_learned(const struct cluster *c, const char *kind, const char *name)
{
	char key[LEARNED_MAX];

	learned_key(key, kind, name);
	for (size_t i = 0; i < c->n_learned; i++)
		if (!strcmp(c->learned[i], key))
			return true;
	return false;
}

#define LEARNED_FILE "cluster-learned"

static void learned_save(const struct cluster *c)
{
	char path[CBPF_PATH_MAX + 32], tmp[CBPF_PATH_MAX + 40];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/" LEARNED_FILE, c->a->ctx.state_dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		err = -errno;
	for (size_t i = 0; f && i < c->n_learned; i++)
		fprintf(f, "%s\n", c->learned[i]);
	if (f && fclose(f))
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		agent_log(LOG_LVL_WARN, "cluster: writing %s: %s", path, strerror(-err));
}

static int learned_add(struct cluster *c, const char *key)
{
	char(*grown)[LEARNED_MAX] = realloc(c->learned, (c->n_learned + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->learned = grown;
	snprintf(c->learned[c->n_learned++], LEARNED_MAX, "%s", key);
	return 0;
}

static void learned_set(struct cluster *c, const char *key, bool on)
{
	for (size_t i = 0; i < c->n_learned; i++) {
		if (strcmp(c->learned[i], key))
			continue;
		if (!on) {
			memcpy(c->learned[i], c->learned[--c->n_learned], LEARNED_MAX);
			learned_save(c);
		}
		return;
	}
	if (on && !learned_add(c, key))
		learned_save(c);
}

static void learned_set_kind(struct cluster *c, const char *kind, const char *name)
{
	char key[LEARNED_MAX];

	learned_key(key, kind, name);
	learned_set(c, key, true);
}

int learn_load_learned(struct cluster *c)
{
	char path[CBPF_PATH_MAX + 32], line[LEARNED_MAX + 2];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/" LEARNED_FILE, c->a->ctx.state_dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		const char *colon = strchr(line, ':');

		if (colon && state_valid_name(colon + 1))
			err = learned_add(c, line);
	}
	fclose(f);
	return err;
}

static const struct mirror_node *mirror_node(const struct mirror *m, const char *name)
{
	for (size_t i = 0; i < m->n_nodes; i++)
		if (!strcmp(m->nodes[i].name, name))
			return &m->nodes[i];
	return NULL;
}

static void op_node_add(struct ops *ops, const struct mirror_node *node)
{
	struct op *op = op_new(ops);

	if (!op)
		return;
	snprintf(op->text[0], CBPF_NAME_MAX, "%s", node->name);
	cbpf_format_ip(node->underlay, op->text[1]);
	op->argv[0] = "node";
	op->argv[1] = "add";
	op->argv[2] = op->text[0];
	op->argv[3] = "--underlay";
	op->argv[4] = op->text[1];
	op->argc = 5;
	learned_key(op->learned, "node", node->name);
	op->learned_change = 1;
}

static struct op *op_del(struct ops *ops, const char *what, const char *name, const char *forget)
{
	struct op *op = op_new(ops);

	if (!op)
		return NULL;
	snprintf(op->text[0], CBPF_NAME_MAX, "%s", name);
	op->argv[0] = (char *)what;
	op->argv[1] = strcmp(what, "net") ? "del" : "delete"; /* as the commands are named */
	op->argv[2] = op->text[0];
	op->argc = 3;
	if (forget) {
		learned_key(op->learned, forget, name);
		op->learned_change = -1;
	}
	return op;
}

static void op_ep_add(struct ops *ops, const struct mirror_ep *ep)
{
	struct op *op = op_new(ops);

	if (!op)
		return;
	snprintf(op->text[0], CBPF_NAME_MAX, "%s", ep->name);
	cbpf_format_ip(ep->ip, op->text[1]);
	cbpf_format_mac(ep->mac, op->text[2]);
	op->argv[0] = "ep";
	op->argv[1] = "add";
	op->argv[2] = op->text[0];
	snprintf(op->text[3], CBPF_NAME_MAX, "%s", ep->net);
	snprintf(op->text[4], CBPF_NAME_MAX, "%s", ep->node);
	op->argv[3] = "--net";
	op->argv[4] = op->text[3];
	op->argv[5] = "--remote";
	op->argv[6] = op->text[4];
	op->argv[7] = "--ip";
	op->argv[8] = op->text[1];
	op->argv[9] = "--mac";
	op->argv[10] = op->text[2];
	op->argc = 11;
	op->batch = true;
}

static const struct mirror_net *mirror_net(const struct mirror *m, const char *name)
{
	for (size_t i = 0; i < m->n_nets; i++)
		if (!strcmp(m->nets[i].name, name))
			return &m->nets[i];
	return NULL;
}

static void op_net_create(struct ops *ops, const struct mirror_net *net)
{
	struct op *op = op_new(ops);
	int n = 0;

	if (!op)
		return;
	snprintf(op->text[0], CBPF_NAME_MAX, "%s", net->name);
	cbpf_format_cidr(&net->subnet, op->text[1], CBPF_NAME_MAX);
	cbpf_format_ip(net->gateway, op->text[2]);
	snprintf(op->text[3], CBPF_NAME_MAX, "%u", net->vni);
	snprintf(op->text[4], CBPF_NAME_MAX, "%u", net->vlan);
	snprintf(op->text[5], CBPF_NAME_MAX, "%u", net->mtu);
	op->argv[n++] = "net";
	op->argv[n++] = "create";
	op->argv[n++] = op->text[0];
	op->argv[n++] = "--model=overlay";
	op->argv[n++] = "--subnet";
	op->argv[n++] = op->text[1];
	op->argv[n++] = "--gateway";
	op->argv[n++] = op->text[2];
	op->argv[n++] = "--vni";
	op->argv[n++] = op->text[3];
	op->argv[n++] = net->icc ? "--icc=on" : "--icc=off";
	if (net->vlan) {
		op->argv[n++] = "--vlan";
		op->argv[n++] = op->text[4];
	}
	if (net->mtu) {
		op->argv[n++] = "--mtu";
		op->argv[n++] = op->text[5];
	}
	op->argc = n;
	learned_key(op->learned, "net", net->name);
	op->learned_change = 1;
}

/* Overlay networks: every one in etcd exists here; one we learned that left etcd goes. */
static void plan_networks(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	struct mirror *m = &c->mirror;

	for (size_t i = 0; i < m->n_nets; i++) {
		struct mirror_net *net = &m->nets[i], have;
		struct cbpf_network *local = state_find_net(st, net->name);

		if (!local) {
			op_net_create(ops, net);
			continue;
		}
		mirror_net_from_state(local, &have);
		if (local->model == CBPF_MODEL_OVERLAY && mirror_net_same(&have, net)) {
			learned_set_kind(c, "net", net->name);
		} else if (!net->warned) {
			agent_log(LOG_LVL_WARN,
				  "cluster: network %s not created: a local network of that name "
				  "has other options",
				  net->name);
			net->warned = true;
		}
	}
	for (size_t i = 0; i < st->n_nets; i++)
		if (is_learned(c, "net", st->nets[i].name) && !mirror_net(m, st->nets[i].name))
			op_del(ops, "net", st->nets[i].name, "net");
}

/* Nodes: every node in etcd is one of ours, with the underlay etcd has. */
static void plan_nodes(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	const struct mirror *m = &c->mirror;

	for (size_t i = 0; i < m->n_nodes; i++) {
		struct cbpf_node *have = state_find_node(st, m->nodes[i].name);

		if (!have) {
			op_node_add(ops, &m->nodes[i]);
		} else if (have->underlay_ip != m->nodes[i].underlay) {
			op_del(ops, "node", have->name, "node");
			op_node_add(ops, &m->nodes[i]);
		} else {
			learned_set_kind(c, "node", have->name);
		}
	}
}

/*
 * Nodes we learned that left etcd go, after their endpoints (planned by plan_endpoints): those
 * go in one batch, and `node del` then has none left to remove one by one. This host stays its
 * own node while its key is away (a lease lost in an outage).
 */
static void plan_gone_nodes(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	const struct mirror *m = &c->mirror;

	for (size_t i = 0; i < st->n_nodes; i++)
		if (is_learned(c, "node", st->nodes[i].name) &&
		    !mirror_node(m, st->nodes[i].name) && strcmp(st->nodes[i].name, c->node))
			op_del(ops, "node", st->nodes[i].name, "node");
}

static bool wanted_here(struct cluster *c, struct cbpf_state *st, const struct mirror_ep *ep)
{
	struct cbpf_network *net = state_find_net(st, ep->net);

	return strcmp(ep->node, c->node) && net && net->model == CBPF_MODEL_OVERLAY &&
	       mirror_node(&c->mirror, ep->node) && state_find_node(st, ep->node);
}

static void remote_del(struct ops *ops, const char *name)
{
	struct op *op = op_del(ops, "ep", name, NULL);

	if (op)
		op->batch = true;
}

/*
 * A local endpoint another node took over (`ep move --netns` there) goes from here. It leaves
 * the published list first, so that the publisher does not delete the key that is now the
 * other node's.
 */
static void moved_away(struct cluster *c, struct ops *ops, const struct cbpf_endpoint *have)
{
	struct op *op;

	for (size_t i = 0; i < c->n_published; i++) {
		if (strcmp(c->published[i].name, have->name))
			continue;
		c->published[i] = c->published[--c->n_published];
		break;
	}
	op = op_del(ops, "ep", have->name, NULL);
	if (op)
		op->moved_ip = have->ip;
}

/*
 * Records looked up by name in a sorted array, each entry pointing at a record whose first
 * member is its name: with 10 000 endpoints, a linear search per endpoint made each pass
 * seconds long.
 */
struct name_index {
	const char **v;
	size_t n;
};

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int index_build(struct name_index *ix, const void *records, size_t n, size_t size)
{
	ix->n = 0;
	ix->v = malloc((n + 1) * sizeof(*ix->v));
	if (!ix->v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		ix->v[ix->n++] = (const char *)records + i * size;
	qsort(ix->v, ix->n, sizeof(*ix->v), name_cmp);
	return 0;
}

static void *index_find(const struct name_index *ix, const char *name)
{
	const char **hit = bsearch(&name, ix->v, ix->n, sizeof(*ix->v), name_cmp);

	return hit ? (void *)*hit : NULL;
}

/* Remote endpoints: those of other nodes in the overlay networks this host has. */
static void plan_endpoints(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	struct mirror *m = &c->mirror;
	struct name_index have_ix, mirror_ix = {0};

	_Static_assert(offsetof(struct cbpf_endpoint, name) == 0, "records start with the name");
	_Static_assert(offsetof(struct mirror_ep, name) == 0, "records start with the name");
	if (index_build(&have_ix, st->eps, st->n_eps, sizeof(*st->eps)) ||
	    index_build(&mirror_ix, m->eps, m->n_eps, sizeof(*m->eps))) {
		agent_log(LOG_LVL_WARN, "cluster: planning endpoints: %s", strerror(ENOMEM));
		free(have_ix.v);
		free(mirror_ix.v);
		return;
	}
	for (size_t i = 0; i < m->n_eps; i++) {
		struct mirror_ep *ep = &m->eps[i];
		struct cbpf_endpoint *have;

		if (!wanted_here(c, st, ep))
			continue;
		have = index_find(&have_ix, ep->name);
		if (have && state_ep_is_local(have) && cluster_moved_away(c, have, ep)) {
			moved_away(c, ops, have);
			continue;
		}
		if (have && state_ep_is_local(have)) {
			if (!ep->warned)
				agent_log(LOG_LVL_WARN,
					  "cluster: endpoint %s of node %s not learned: a local "
					  "endpoint has that name",
					  ep->name, ep->node);
			ep->warned = true;
			continue;
		}
		if (have && !strcmp(have->net, ep->net) && !strcmp(have->node, ep->node) &&
		    have->ip == ep->ip && !memcmp(have->mac, ep->mac, 6))
			continue;
		if (have)
			remote_del(ops, have->name);
		else
			op_ep_add(ops, ep);
	}
	for (size_t i = 0; i < st->n_eps; i++) {
		const struct cbpf_endpoint *have = &st->eps[i];
		const struct mirror_ep *ep;

		if (state_ep_is_local(have) || !is_learned(c, "node", have->node))
			continue;
		ep = index_find(&mirror_ix, have->name);
		if (!ep || !wanted_here(c, st, ep))
			remote_del(ops, have->name);
	}
	free(have_ix.v);
	free(mirror_ix.v);
}

static void op_done(struct cluster *c, const struct op *op)
{
	/* getopt permuted argv: name the object from the op's own copy */
	agent_log(LOG_LVL_INFO, "cluster: %s %s %s", op->argv[0], op->argv[1], op->text[0]);
	if (op->learned_change)
		learned_set(c, op->learned, op->learned_change > 0);
	if (op->moved_ip && ct_forget_addr(&c->a->ctx, op->moved_ip, NULL))
		agent_log(LOG_LVL_WARN, "cluster: %s moved away: %s", op->text[0],
			  cbpf_last_error());
}

/* One pass; returns how many commands succeeded. */
static size_t reconcile_once(struct cluster *c)
{
	struct ops ops = {0};
	struct cbpf_state st;
	size_t done = 0;
	int err;

	pthread_mutex_lock(&c->a->lock);
	err = state_open(c->a->ctx.state_dir, &st);
	if (err) {
		pthread_mutex_unlock(&c->a->lock);
		agent_log(LOG_LVL_WARN, "cluster: reading the state: %s", strerror(-err));
		return 0;
	}
	pthread_mutex_lock(&c->m);
	c->dirty = false;
	plan_nodes(c, &st, &ops);
	plan_networks(c, &st, &ops);
	plan_endpoints(c, &st, &ops);
	plan_gone_nodes(c, &st, &ops);
	cluster_view_set(&c->mirror, c->node, c->last_heartbeat);
	pthread_mutex_unlock(&c->m);
	state_close(&st);
	pthread_mutex_unlock(&c->a->lock);

	for (size_t i = 0; i < ops.n;) {
		struct op *op = ops.v[i];
		struct exec_request req = {.argv = op->argv, .argc = op->argc};
		struct exec_result res;
		size_t n = 1;

		if (op->batch) {
			while (i + n < ops.n && ops.v[i + n]->batch)
				n++;
			learn_run_batch(c->a, ops.v + i, n);
		} else {
			exec_run(c->a, &req, &res);
			op->err = res.err;
			exec_result_free(&res);
		}
		for (size_t k = i; k < i + n; k++) {
			op = ops.v[k];
			if (!op->err)
				op_done(c, op);
			done += !op->err;
			free(op);
		}
		i += n;
	}
	free(ops.v);
	return done;
}

void learn_reconcile(struct cluster *c)
{
	/* A node whose underlay changed is deleted, then added, then its endpoints: three passes.
	 */
	for (int pass = 0; pass < 4 && reconcile_once(c); pass++)
		;
}
