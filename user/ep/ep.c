/* Creating and destroying endpoints, for the command line and the CNI plugin alike. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "ep/ep.h"
#include "net/netmodel.h"
#include "link/netns.h"
#include "reconcile/policy_apply.h"
#include "policy/identity.h"
#include "reconcile/sync.h"

json_object *ep_json(const struct cbpf_endpoint *ep)
{
	json_object *obj = state_ep_json(ep);

	json_object_object_add(obj, "identity", json_object_new_int64(cbpf_ep_identity(ep)));
	if (state_ep_is_local(ep))
		json_object_object_del(obj, "node");
	return obj;
}

int ep_session_open(const struct cbpf_ctx *ctx, struct ep_session *s)
{
	memset(s, 0, sizeof(*s));
	s->ctx = *ctx;
	s->ctx.pins = &s->pins;
	cbpf_pin_cache_init(&s->pins);
	return state_open(ctx->state_dir, &s->st);
}

static int session_maps(struct ep_session *s)
{
	int err;

	if (s->maps_open)
		return 0;
	err = cbpf_maps_open(&s->ctx, &s->maps);
	s->maps_open = !err;
	return err;
}

/*
 * Compiled policy names endpoints only through ep: selectors, so an endpoint no rule names
 * changes no entry; recompiling anyway (fresh maps, a generation flip) would cost more than all
 * the rest of an add.
 */
static int policy_names_ep(struct ep_session *s, const char *name, bool *named)
{
	char selector[CBPF_NAME_MAX + 8], dir[CBPF_PATH_MAX], err[POL_ERR_MAX];
	int e;

	*named = false;
	snprintf(selector, sizeof(selector), "ep:%s", name);
	for (size_t i = 0; i < s->st.n_rules && !*named; i++)
		*named =
		    !strcmp(s->st.rules[i].from, selector) || !strcmp(s->st.rules[i].to, selector);
	if (!s->files_read) {
		policy_state_dir(&s->st, dir, sizeof(dir));
		e = policy_snapshot_read(dir, &s->files, err, sizeof(err));
		if (e) {
			cbpf_err("policy: %s", err);
			return e;
		}
		s->files_read = true;
	}
	for (size_t i = 0; i < s->files.n && !*named; i++) {
		const struct pol_rule *r = &s->files.rules[i];

		*named = (r->from.kind == POL_SEL_EP && !strcmp(r->from.name, name)) ||
			 (r->to.kind == POL_SEL_EP && !strcmp(r->to.name, name));
	}
	return 0;
}

/* Rules may name the endpoint before it exists: they take effect as it appears. */
static int sync_policy_for(struct ep_session *s, const char *name)
{
	bool named;
	int err = policy_names_ep(s, name, &named);

	return err ?: (named ? sync_policy(&s->maps, &s->st) : 0);
}

static void unmake(struct ep_session *s, const struct cbpf_endpoint *ep,
		   const struct cbpf_network *net, bool created_netns)
{
	sync_endpoint_delete(&s->maps, ep);
	if (state_ep_is_local(ep))
		net_model_of(net)->unplumb(&s->ctx, ep, net);
	if (created_netns)
		netns_delete(ep->netns);
}

/* Commits a step of the session unless the session commits once at its end. */
static int session_commit_step(struct ep_session *s)
{
	return s->one_commit ? 0 : state_commit(&s->st);
}

/*
 * Undoes what ep_session_add wrote ahead, the namespace only if this add recorded it; best
 * effort, the add is failing already.
 */
static void unreserve(struct ep_session *s, const struct cbpf_endpoint *ep, bool owned)
{
	if (s->st.next_ep_id == ep->id + 1)
		s->st.next_ep_id--;
	if (owned)
		state_disown_netns(&s->st, ep->netns);
	session_commit_step(s);
}

int ep_session_add(struct ep_session *s, const struct ep_request *req, struct cbpf_endpoint *out)
{
	struct cbpf_network *net;
	struct cbpf_endpoint ep;
	bool created_netns = false, owns;
	int err;

	err = ep_validate_add(&s->st, req, &ep);
	err = err ?: session_maps(s);
	if (err)
		return err;
	net = state_find_net(&s->st, ep.net);
	/*
	 * Written ahead of any change to the host: killed from here on, the id stays taken and
	 * the namespace known as ours, so recovery tells our leftovers from anything else.
	 */
	owns = req->create_netns && !state_find_owned_netns(&s->st, ep.netns);
	s->st.next_ep_id++;
	if (owns && !state_own_netns(&s->st, ep.netns))
		err = -ENOMEM;
	err = err ?: session_commit_step(s);
	if (err) {
		unreserve(s, &ep, owns);
		return err;
	}
	if (req->create_netns) {
		err = netns_create(ep.netns);
		if (err) {
			cbpf_err("ep add %s: create netns %s: %s", ep.name, ep.netns,
				 err == -EEXIST ? "it exists already" : strerror(-err));
			unreserve(s, &ep, owns);
			return err;
		}
		created_netns = true;
	}
	err = state_ep_is_local(&ep) ? net_model_of(net)->plumb(&s->ctx, &s->st, &ep, net) : 0;
	if (err) {
		if (created_netns)
			netns_delete(ep.netns);
		unreserve(s, &ep, owns);
		return err;
	}
	err = state_add_ep(&s->st, &ep) ? 0 : -ENOMEM;
	if (!err) {
		err = sync_endpoint(&s->maps, &s->st, &ep);
		if (err)
			cbpf_err("ep add %s: endpoint map: %s", ep.name, strerror(-err));
		err = err ?: sync_policy_for(s, ep.name);
		err = err ?: session_commit_step(s);
		if (err)
			state_remove_ep(&s->st, state_find_ep(&s->st, ep.name));
	}
	if (err) {
		unmake(s, &ep, net, created_netns);
		unreserve(s, &ep, owns);
		return err;
	}
	if (out)
		*out = ep;
	return 0;
}

/*
 * A namespace unmounted while links are still being deleted makes the kernel tear it down
 * alongside them, one namespace at a time, and every link deletion then waits for that; freed
 * together after the last link, the namespaces share one teardown.
 */
static int doom_netns(struct ep_session *s, const char *netns)
{
	char **grown = realloc(s->doomed_netns, (s->n_doomed + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	s->doomed_netns = grown;
	grown[s->n_doomed] = strdup(netns);
	return grown[s->n_doomed] ? (s->n_doomed++, 0) : -ENOMEM;
}

/* Checks, then takes the endpoint out of the maps and the state: a second del of the same name
 * in one batch finds nothing, as it would had the first one finished. */
static int del_prepare(struct ep_session *s, struct ep_del_op *op)
{
	struct cbpf_endpoint *found = state_find_ep(&s->st, op->name);
	int err;

	if (!found) {
		cbpf_err("ep del %s: no such endpoint", op->name);
		return -ENOENT;
	}
	if (op->delete_netns && (!state_ep_is_local(found) || !netns_valid_name(found->netns))) {
		cbpf_err("ep del %s: netns %s is not a name under /run/netns; not deleting it",
			 op->name, found->netns);
		return -EINVAL;
	}
	err = session_maps(s);
	err = err ?: policy_names_ep(s, op->name, &op->named);
	if (err)
		return err;
	op->ep = *found;
	err = sync_endpoint_delete(&s->maps, &op->ep);
	if (err) {
		cbpf_err("ep del %s: endpoint map: %s", op->name, strerror(-err));
		return err;
	}
	state_remove_ep(&s->st, found);
	return 0;
}

/* Runs on worker threads: reads the state, writes nothing shared, reports nothing. */
static int del_unplumb(struct ep_session *s, const struct ep_del_op *op)
{
	const struct cbpf_network *net = state_find_net(&s->st, op->ep.net);

	if (!net || !state_ep_is_local(&op->ep))
		return 0;
	return net_model_of(net)->unplumb(&s->ctx, &op->ep, net);
}

/* Each deletion is committed on its own, as the host now stands. */
static int del_finish(struct ep_session *s, struct ep_del_op *op)
{
	const struct cbpf_endpoint *ep = &op->ep;
	int err = 0;

	if (op->err) {
		cbpf_err("ep del %s: remove %s: %s", ep->name,
			 ep->host_ifname[0] ? ep->host_ifname : ep->ifname, strerror(-op->err));
		/* All or nothing: the endpoint stays known, and a later del finishes the job. */
		if (state_add_ep(&s->st, ep))
			sync_endpoint(&s->maps, &s->st, ep);
		session_commit_step(s);
		return op->err;
	}
	state_remove_rules_naming(&s->st, "ep", ep->name);
	err = op->named ? sync_policy(&s->maps, &s->st) : 0;
	/* A namespace kept is the user's from now on; one to delete stays ours until it goes. */
	if (!err && !op->delete_netns)
		state_disown_netns(&s->st, ep->netns);
	if (!err && op->delete_netns)
		err = doom_netns(s, ep->netns);
	return err ?: session_commit_step(s);
}

/* An endpoint's further interfaces (NAME@NET) go before its first one. */
static int del_interfaces(struct ep_session *s, const char *name)
{
	size_t len = strlen(name);

	if (strchr(name, '@') || !state_find_ep(&s->st, name))
		return 0;
	for (size_t i = 0; i < s->st.n_eps; i++) {
		char record[CBPF_NAME_MAX];
		int err;

		if (strncmp(s->st.eps[i].name, name, len) || s->st.eps[i].name[len] != '@')
			continue;
		snprintf(record, sizeof(record), "%s", s->st.eps[i].name);
		err = ep_session_del(s, record, false);
		if (err)
			return err;
		i = (size_t)-1; /* the array changed: look again from the start */
	}
	return 0;
}

int ep_session_del(struct ep_session *s, const char *name, bool delete_netns)
{
	struct ep_del_op op = {.name = name, .delete_netns = delete_netns};
	int err = del_interfaces(s, name) ?: del_prepare(s, &op);

	if (err)
		return err;
	op.err = del_unplumb(s, &op);
	return del_finish(s, &op);
}

double ep_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

struct del_pool {
	struct ep_session *s;
	struct ep_del_op *ops;
	size_t n;
	atomic_size_t next;
};

static void *del_worker(void *arg)
{
	struct del_pool *pool = arg;

	for (size_t i; (i = atomic_fetch_add(&pool->next, 1)) < pool->n;) {
		struct ep_del_op *op = &pool->ops[i];
		double t = ep_now_ms();

		if (!op->err) {
			op->err = del_unplumb(pool->s, op);
			op->ms += ep_now_ms() - t;
		}
	}
	return NULL;
}

void ep_session_del_many(struct ep_session *s, struct ep_del_op *ops, size_t n)
{
	struct del_pool pool = {.s = s, .ops = ops, .n = n};
	pthread_t threads[EP_DEL_THREADS];
	size_t started = 0;
	double t;

	for (size_t i = 0; i < n; i++) {
		t = ep_now_ms();
		ops[i].err = del_interfaces(s, ops[i].name) ?: del_prepare(s, &ops[i]);
		ops[i].prepared = !ops[i].err;
		if (ops[i].err)
			snprintf(ops[i].error, sizeof(ops[i].error), "%s", cbpf_last_error());
		ops[i].ms = ep_now_ms() - t;
	}
	atomic_init(&pool.next, 0);
	while (started < EP_DEL_THREADS && started < n &&
	       !pthread_create(&threads[started], NULL, del_worker, &pool))
		started++;
	/* Without threads the work is the same, one link at a time. */
	del_worker(&pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(threads[i], NULL);
	for (size_t i = 0; i < n; i++) {
		if (!ops[i].prepared)
			continue;
		t = ep_now_ms();
		ops[i].err = del_finish(s, &ops[i]);
		ops[i].ms += ep_now_ms() - t;
		if (ops[i].err)
			snprintf(ops[i].error, sizeof(ops[i].error), "%s", cbpf_last_error());
	}
}

int ep_session_commit(struct ep_session *s)
{
	int err = 0, e;

	for (size_t i = 0; i < s->n_doomed; i++) {
		e = netns_delete(s->doomed_netns[i]);
		if (e && e != -ENOENT) {
			cbpf_err("ep del: delete netns %s: %s", s->doomed_netns[i], strerror(-e));
			err = err ?: e;
			continue;
		}
		state_disown_netns(&s->st, s->doomed_netns[i]);
	}
	e = state_commit(&s->st);
	return e ?: err;
}

void ep_session_close(struct ep_session *s)
{
	if (s->maps_open)
		cbpf_maps_close(&s->maps);
	if (s->files_read)
		policy_set_free(&s->files);
	cbpf_pin_cache_close(&s->pins);
	for (size_t i = 0; i < s->n_doomed; i++)
		free(s->doomed_netns[i]);
	free(s->doomed_netns);
	state_close(&s->st);
}

int ep_create(const struct cbpf_ctx *ctx, const struct ep_request *req, struct cbpf_endpoint *out)
{
	struct ep_session s;
	int err = ep_session_open(ctx, &s);

	if (err)
		return err;
	err = ep_session_add(&s, req, out);
	err = err ?: ep_session_commit(&s);
	ep_session_close(&s);
	return err;
}

/*
 * One commit for the endpoint and its further interfaces (each commit copies the whole store for
 * the event feed), made even when a deletion failed: the state then records what did go, as
 * the host now stands.
 */
int ep_destroy(const struct cbpf_ctx *ctx, const char *name)
{
	struct ep_session s;
	int err = ep_session_open(ctx, &s), e;

	if (err)
		return err;
	s.one_commit = true;
	err = ep_session_del(&s, name, false);
	e = ep_session_commit(&s);
	ep_session_close(&s);
	return err ?: e;
}
