/*
 * Learning: a list of /cbpfnet/v1/ and a watch from the list's revision + 1 keep the mirror;
 * the reconciler makes the local state match it through the command line's own commands (node
 * add/del, ep add --remote, ep del) run by exec_run under the agent's lock, so maps and state
 * change exactly as when a person types them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "agent/log.h"
#include "api/exec.h"
#include "cluster/cluster_int.h"
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

/* The commands one reconciling pass runs, in order. */
struct op {
	char *argv[12];
	int argc;
	char text[5][CBPF_NAME_MAX]; /* what argv points into */
	const char *learned_add, *learned_del;
};

/* Each op on its own: its argv points into it. */
struct ops {
	struct op **v;
	size_t n;
};

static struct op *op_new(struct ops *ops)
{
	struct op **grown = realloc(ops->v, (ops->n + 1) * sizeof(*grown));

	if (!grown)
		return NULL;
	ops->v = grown;
	grown[ops->n] = calloc(1, sizeof(struct op));
	return grown[ops->n] ? grown[ops->n++] : NULL;
}

static bool is_learned(const struct cluster *c, const char *name)
{
	for (size_t i = 0; i < c->n_learned; i++)
		if (!strcmp(c->learned[i], name))
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

static int learned_add(struct cluster *c, const char *name)
{
	char(*grown)[CBPF_NAME_MAX] = realloc(c->learned, (c->n_learned + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	c->learned = grown;
	snprintf(c->learned[c->n_learned++], CBPF_NAME_MAX, "%s", name);
	return 0;
}

static void learned_set(struct cluster *c, const char *name, bool on)
{
	for (size_t i = 0; i < c->n_learned; i++) {
		if (strcmp(c->learned[i], name))
			continue;
		if (!on) {
			memcpy(c->learned[i], c->learned[--c->n_learned], CBPF_NAME_MAX);
			learned_save(c);
		}
		return;
	}
	if (on && !learned_add(c, name))
		learned_save(c);
}

int learn_load_learned(struct cluster *c)
{
	char path[CBPF_PATH_MAX + 32], line[CBPF_NAME_MAX + 2];
	FILE *f;
	int err = 0;

	snprintf(path, sizeof(path), "%s/" LEARNED_FILE, c->a->ctx.state_dir);
	f = fopen(path, "r");
	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!err && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (state_valid_name(line) && !is_learned(c, line))
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

static const struct mirror_ep *mirror_ep(const struct mirror *m, const char *name)
{
	for (size_t i = 0; i < m->n_eps; i++)
		if (!strcmp(m->eps[i].name, name))
			return &m->eps[i];
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
	op->learned_add = op->text[0];
}

static void op_del(struct ops *ops, const char *what, const char *name, bool forget)
{
	struct op *op = op_new(ops);

	if (!op)
		return;
	snprintf(op->text[0], CBPF_NAME_MAX, "%s", name);
	op->argv[0] = (char *)what;
	op->argv[1] = "del";
	op->argv[2] = op->text[0];
	op->argc = 3;
	if (forget)
		op->learned_del = op->text[0];
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
}

/* Nodes: every node in etcd is one of ours; nodes we learned that left etcd go. */
static void plan_nodes(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	const struct mirror *m = &c->mirror;

	for (size_t i = 0; i < m->n_nodes; i++) {
		struct cbpf_node *have = state_find_node(st, m->nodes[i].name);

		if (!have) {
			op_node_add(ops, &m->nodes[i]);
		} else if (have->underlay_ip != m->nodes[i].underlay) {
			op_del(ops, "node", have->name, true);
			op_node_add(ops, &m->nodes[i]);
		} else {
			learned_set(c, have->name, true);
		}
	}
	/* This host stays its own node while its key is away (a lease lost in an outage). */
	for (size_t i = 0; i < st->n_nodes; i++)
		if (is_learned(c, st->nodes[i].name) && !mirror_node(m, st->nodes[i].name) &&
		    strcmp(st->nodes[i].name, c->node))
			op_del(ops, "node", st->nodes[i].name, true);
}

static bool wanted_here(struct cluster *c, struct cbpf_state *st, const struct mirror_ep *ep)
{
	struct cbpf_network *net = state_find_net(st, ep->net);

	return strcmp(ep->node, c->node) && net && net->model == CBPF_MODEL_OVERLAY &&
	       mirror_node(&c->mirror, ep->node) && state_find_node(st, ep->node);
}

/* Remote endpoints: those of other nodes in the overlay networks this host has. */
static void plan_endpoints(struct cluster *c, struct cbpf_state *st, struct ops *ops)
{
	struct mirror *m = &c->mirror;

	for (size_t i = 0; i < m->n_eps; i++) {
		struct mirror_ep *ep = &m->eps[i];
		struct cbpf_endpoint *have;

		if (!wanted_here(c, st, ep))
			continue;
		have = state_find_ep(st, ep->name);
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
			op_del(ops, "ep", have->name, false);
		else
			op_ep_add(ops, ep);
	}
	for (size_t i = 0; i < st->n_eps; i++) {
		const struct cbpf_endpoint *have = &st->eps[i];
		const struct mirror_ep *ep;

		if (state_ep_is_local(have) || !is_learned(c, have->node))
			continue;
		ep = mirror_ep(m, have->name);
		if (!ep || !wanted_here(c, st, ep))
			op_del(ops, "ep", have->name, false);
	}
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
	plan_endpoints(c, &st, &ops);
	cluster_view_set(&c->mirror, c->node, c->last_heartbeat);
	pthread_mutex_unlock(&c->m);
	state_close(&st);
	pthread_mutex_unlock(&c->a->lock);

	for (size_t i = 0; i < ops.n; i++) {
		struct op *op = ops.v[i];
		struct exec_request req = {.argv = op->argv, .argc = op->argc};
		struct exec_result res;

		exec_run(c->a, &req, &res);
		if (!res.err) {
			done++;
			/* getopt permuted argv: name the object from the op's own copy */
			agent_log(LOG_LVL_INFO, "cluster: %s %s %s", op->argv[0], op->argv[1],
				  op->text[0]);
			if (op->learned_del)
				learned_set(c, op->learned_del, false);
			if (op->learned_add)
				learned_set(c, op->learned_add, true);
		}
		exec_result_free(&res);
		free(op);
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
