#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "agent/store_diff.h"
#include "core/output.h"
#include "policy.h"

static int net_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cbpf_network *)a)->name,
		      ((const struct cbpf_network *)b)->name);
}

static int ep_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cbpf_endpoint *)a)->name,
		      ((const struct cbpf_endpoint *)b)->name);
}

static int rule_cmp(const void *a, const void *b)
{
	const struct cbpf_rule *x = a, *y = b;

	return strcmp(x->from, y->from) ?: strcmp(x->to, y->to);
}

static int node_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cbpf_node *)a)->name, ((const struct cbpf_node *)b)->name);
}

size_t store_kind_size(enum store_kind k)
{
	static const size_t size[STORE_KINDS] = {
	    [STORE_NODES] = sizeof(struct cbpf_node),
	    [STORE_NETS] = sizeof(struct cbpf_network),
	    [STORE_EPS] = sizeof(struct cbpf_endpoint),
	    [STORE_RULES] = sizeof(struct cbpf_rule),
	};

	return size[k];
}

int store_kind_cmp(enum store_kind k, const void *a, const void *b)
{
	static int (*const cmp[STORE_KINDS])(const void *, const void *) = {
	    [STORE_NODES] = node_cmp,
	    [STORE_NETS] = net_cmp,
	    [STORE_EPS] = ep_cmp,
	    [STORE_RULES] = rule_cmp,
	};

	return cmp[k](a, b);
}

void **store_kind_items(struct cbpf_objects *o, enum store_kind k, size_t **n)
{
	switch (k) {
	case STORE_NODES:
		*n = &o->n_nodes;
		return (void **)&o->nodes;
	case STORE_NETS:
		*n = &o->n_nets;
		return (void **)&o->nets;
	case STORE_EPS:
		*n = &o->n_eps;
		return (void **)&o->eps;
	default:
		*n = &o->n_rules;
		return (void **)&o->rules;
	}
}

int store_view_of(const struct cbpf_state *st, struct cbpf_objects *v)
{
	int err = state_objects_copy(st, v);

	if (err)
		return err;
	/* qsort's pointer must not be NULL, as an empty copy's is. */
	if (v->n_nets)
		qsort(v->nets, v->n_nets, sizeof(*v->nets), net_cmp);
	if (v->n_eps)
		qsort(v->eps, v->n_eps, sizeof(*v->eps), ep_cmp);
	if (v->n_rules)
		qsort(v->rules, v->n_rules, sizeof(*v->rules), rule_cmp);
	if (v->n_nodes)
		qsort(v->nodes, v->n_nodes, sizeof(*v->nodes), node_cmp);
	return 0;
}

int store_view_read(const char *dir, struct cbpf_objects *v)
{
	struct cbpf_state st;
	int err;

	memset(v, 0, sizeof(*v));
	if (!state_exists(dir))
		return 0;
	err = state_open(dir, &st);
	if (err)
		return err;
	err = store_view_of(&st, v);
	state_close(&st);
	return err;
}

static json_object *change(const char *object, const char *action, const char *name)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "kind", json_object_new_string("change"));
	json_object_object_add(o, "object", json_object_new_string(object));
	json_object_object_add(o, "action", json_object_new_string(action));
	json_object_object_add(o, "name", json_object_new_string(name));
	return o;
}

/*
 * Field by field, not memcmp: the structs' padding is whatever the reader left there. Names
 * compare equal already.
 */
static bool net_same(const void *a, const void *b)
{
	const struct cbpf_network *x = a, *y = b;

	return x->id == y->id && x->model == y->model && x->subnet.addr == y->subnet.addr &&
	       x->subnet.prefix_len == y->subnet.prefix_len && x->gateway == y->gateway &&
	       x->icc == y->icc && x->vni == y->vni && x->vlan == y->vlan && x->mtu == y->mtu &&
	       !strcmp(x->parent, y->parent) && x->macvlan_mode == y->macvlan_mode &&
	       x->host_access == y->host_access;
}

static bool ep_same(const void *a, const void *b)
{
	const struct cbpf_endpoint *x = a, *y = b;

	return x->id == y->id && x->ip == y->ip && !strcmp(x->net, y->net) &&
	       !strcmp(x->netns, y->netns) && !strcmp(x->ifname, y->ifname) &&
	       !strcmp(x->node, y->node) && !memcmp(x->mac, y->mac, sizeof(x->mac));
}

static bool rule_same(const void *a, const void *b)
{
	const struct cbpf_rule *x = a, *y = b;

	return x->id == y->id && x->verdict == y->verdict;
}

static bool node_same(const void *a, const void *b)
{
	const struct cbpf_node *x = a, *y = b;

	return x->underlay_ip == y->underlay_ip && !strcmp(x->ifname, y->ifname);
}

/* One kind of object: describes an item as a change event, old or new may be NULL. */
typedef json_object *(*describe_fn)(const void *old, const void *new);

struct kind {
	size_t size;
	int (*cmp)(const void *, const void *);
	bool (*same)(const void *, const void *);
	describe_fn describe;
};

static json_object *net_change(const void *old, const void *new)
{
	const struct cbpf_network *n = new ? new : old;
	char subnet[CBPF_IP_STRLEN + 4];
	json_object *o;

	o = change("network", !old ? "create" : !new ? "delete" : "update", n->name);
	cbpf_format_cidr(&n->subnet, subnet, sizeof(subnet));
	json_object_object_add(o, "model", json_object_new_string(cbpf_model_name(n->model)));
	json_object_object_add(o, "subnet", json_object_new_string(subnet));
	return o;
}

static json_object *ep_change(const void *old, const void *new)
{
	const struct cbpf_endpoint *e = new ? new : old, *was = old;
	const char *at = strchr(e->name, '@');
	char name[CBPF_NAME_MAX], ip[CBPF_IP_STRLEN];
	const char *action;
	json_object *o;

	if (at)
		action = !old ? "connect" : !new ? "disconnect" : "update";
	else if (old && new &&strcmp(was->net, e->net))
		action = "move";
	else
		action = !old ? "add" : !new ? "delete" : "update";
	snprintf(name, sizeof(name), "%.*s", at ? (int)(at - e->name) : CBPF_NAME_MAX, e->name);
	o = change("endpoint", action, name);
	cbpf_format_ip(e->ip, ip);
	json_object_object_add(o, "net", json_object_new_string(e->net));
	json_object_object_add(o, "ip", json_object_new_string(ip));
	if (e->node[0])
		json_object_object_add(o, "node", json_object_new_string(e->node));
	if (!strcmp(action, "move"))
		json_object_object_add(o, "from_net", json_object_new_string(was->net));
	return o;
}

static json_object *rule_change(const void *old, const void *new)
{
	const struct cbpf_rule *r = new ? new : old;
	json_object *o = change("policy", new ? "set" : "delete", "pair rule");

	json_object_object_add(o, "from", json_object_new_string(r->from));
	json_object_object_add(o, "to", json_object_new_string(r->to));
	json_object_object_add(
	    o, "verdict",
	    json_object_new_string(r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny"));
	json_object_object_add(o, "rule_id", json_object_new_int64(r->id));
	return o;
}

static json_object *node_change(const void *old, const void *new)
{
	const struct cbpf_node *n = new ? new : old;
	char ip[CBPF_IP_STRLEN];
	json_object *o = change("node", !old ? "add" : !new ? "delete" : "update", n->name);

	cbpf_format_ip(n->underlay_ip, ip);
	json_object_object_add(o, "underlay", json_object_new_string(ip));
	return o;
}

/* Walks two sorted arrays side by side: what only one has, and what differs, is a change. */
static void diff(const void *old, size_t n_old, const void *new, size_t n_new, const struct kind *k,
		 void (*emit)(void *arg, json_object *change), void *arg)
{
	const char *a = old, *b = new;
	size_t i = 0, j = 0, size = k->size;

	while (i < n_old || j < n_new) {
		int c = i == n_old ? 1 : j == n_new ? -1 : k->cmp(a + i * size, b + j * size);

		if (c < 0) {
			emit(arg, k->describe(a + i++ * size, NULL));
		} else if (c > 0) {
			emit(arg, k->describe(NULL, b + j++ * size));
		} else {
			if (!k->same(a + i * size, b + j * size))
				emit(arg, k->describe(a + i * size, b + j * size));
			i++;
			j++;
		}
	}
}

void store_view_diff(const struct cbpf_objects *old, const struct cbpf_objects *new,
		     void (*emit)(void *arg, json_object *change), void *arg)
{
	static const struct kind nodes = {sizeof(struct cbpf_node), node_cmp, node_same,
					  node_change};
	static const struct kind nets = {sizeof(struct cbpf_network), net_cmp, net_same,
					 net_change};
	static const struct kind eps = {sizeof(struct cbpf_endpoint), ep_cmp, ep_same, ep_change};
	static const struct kind rules = {sizeof(struct cbpf_rule), rule_cmp, rule_same,
					  rule_change};

	/* Containers before their contents, so a reader can place every object it is told of. */
	diff(old->nodes, old->n_nodes, new->nodes, new->n_nodes, &nodes, emit, arg);
	diff(old->nets, old->n_nets, new->nets, new->n_nets, &nets, emit, arg);
	diff(old->eps, old->n_eps, new->eps, new->n_eps, &eps, emit, arg);
	diff(old->rules, old->n_rules, new->rules, new->n_rules, &rules, emit, arg);
}
