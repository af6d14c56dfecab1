/*
 * The node's presence in etcd: its key and its endpoints' keys all hang on one lease, so that
 * the lease's end (revoked at a clean stop, expired when the agent died) removes them at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "core/log.h"
#include "cluster/cluster_int.h"
#include "network.h"

static int put_node(struct cluster *c)
{
	json_object *v = json_object_new_object();
	char key[sizeof(CLUSTER_NODES) + CBPF_NAME_MAX], ip[CBPF_IP_STRLEN];
	const char *text;
	int err;

	cbpf_format_ip(c->underlay, ip);
	json_object_object_add(v, "underlay", json_object_new_string(ip));
	json_object_object_add(v, "lease_ttl", json_object_new_int(c->ttl));
	json_object_object_add(v, "started", json_object_new_int64(time(NULL)));
	text = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
	snprintf(key, sizeof(key), CLUSTER_NODES "%s", c->node);
	err = etcd_put(c->etcd, key, text, strlen(text), c->lease, NULL);
	json_object_put(v);
	return err;
}

int registry_register(struct cluster *c)
{
	int64_t granted;
	int err;

	err = etcd_lease_grant(c->etcd, c->ttl, &c->lease, &granted);
	if (!err) {
		err = put_node(c);
		if (err)
			c->lease = 0;
	}
	if (err) {
		if (!c->register_failing)
			agent_log(LOG_LVL_WARN, "cluster: node %s not registered (retrying): %s",
				  c->node, etcd_errmsg(c->etcd));
		c->register_failing = true;
		return err;
	}
	c->register_failing = false;
	pthread_mutex_lock(&c->m);
	c->beat_lease = c->lease;
	c->last_heartbeat = cluster_now();
	pthread_mutex_unlock(&c->m);
	/* Keys under a former lease are gone or going: publish everything again. */
	c->n_published = 0;
	agent_log(LOG_LVL_INFO, "cluster: node %s registered, lease %" PRIx64 " (%" PRId64 " s)",
		  c->node, c->lease, granted);
	return 0;
}

void registry_revoke(struct cluster *c)
{
	if (!c->lease)
		return;
	if (etcd_lease_revoke(c->etcd, c->lease))
		agent_log(LOG_LVL_WARN, "cluster: deregistering node %s: %s", c->node,
			  etcd_errmsg(c->etcd));
	else
		agent_log(LOG_LVL_INFO, "cluster: node %s deregistered", c->node);
	c->lease = 0;
}

/*
 * This host's local endpoint records, read from the state under the agent's lock, in an array
 * with room for spare more.
 */
static int local_endpoints(struct cluster *c, size_t spare, struct mirror_ep **out, size_t *n)
{
	struct cbpf_network *net;
	struct cbpf_state st;
	struct mirror_ep *eps;
	int err;

	pthread_mutex_lock(&c->a->lock);
	err = state_open(c->a->ctx.state_dir, &st);
	if (err) {
		pthread_mutex_unlock(&c->a->lock);
		return err;
	}
	eps = calloc(st.n_eps + spare + 1, sizeof(*eps));
	*n = 0;
	for (size_t i = 0; eps && i < st.n_eps; i++) {
		const struct cbpf_endpoint *ep = &st.eps[i];

		if (!state_ep_is_local(ep))
			continue;
		snprintf(eps[*n].name, sizeof(eps[*n].name), "%s", ep->name);
		snprintf(eps[*n].net, sizeof(eps[*n].net), "%s", ep->net);
		snprintf(eps[*n].node, sizeof(eps[*n].node), "%s", c->node);
		eps[*n].ip = ep->ip;
		memcpy(eps[*n].mac, ep->mac, 6);
		net = state_find_net(&st, ep->net);
		eps[*n].overlay = net && net->model == CBPF_MODEL_OVERLAY;
		(*n)++;
	}
	state_close(&st);
	pthread_mutex_unlock(&c->a->lock);
	*out = eps;
	return eps ? 0 : -ENOMEM;
}

static struct mirror_ep *find_ep(struct mirror_ep *eps, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(eps[i].name, name))
			return &eps[i];
	return NULL;
}

static bool same_ep(const struct mirror_ep *a, const struct mirror_ep *b)
{
	return !strcmp(a->net, b->net) && !strcmp(a->node, b->node) && a->ip == b->ip &&
	       !memcmp(a->mac, b->mac, 6);
}

/*
 * Endpoint names are cluster-wide: a key another node owns is left alone (-EEXIST, its owner in
 * owner); a key of this node's (from a former lease, or changed) is rewritten.
 */
static int publish_one(struct cluster *c, const struct mirror_ep *ep, bool ours, char *owner)
{
	char key[sizeof(CLUSTER_ENDPOINTS) + CBPF_NAME_MAX], *value = mirror_ep_value(ep);
	struct mirror_ep theirs;
	struct etcd_kv kv;
	int err;

	if (!value)
		return -ENOMEM;
	snprintf(key, sizeof(key), CLUSTER_ENDPOINTS "%s", ep->name);
	if (ours) {
		err = etcd_put(c->etcd, key, value, strlen(value), c->lease, NULL);
		goto out;
	}
	err = etcd_create(c->etcd, key, value, strlen(value), c->lease, NULL);
	if (err != -EEXIST)
		goto out;
	err = etcd_get(c->etcd, key, &kv, NULL);
	if (err)
		goto out;
	if (mirror_ep_parse(ep->name, kv.value, &theirs) || strcmp(theirs.node, c->node)) {
		snprintf(owner, CBPF_NAME_MAX, "%s", theirs.node[0] ? theirs.node : "?");
		err = -EEXIST;
	} else {
		err = etcd_cas(c->etcd, key, kv.mod_revision, value, strlen(value), c->lease, NULL);
	}
	free(kv.key);
	free(kv.value);
out:
	free(value);
	return err;
}

/*
 * Writes what changed since the last publication. What fails stays unpublished in c->published
 * (or published, for a failed delete) and is tried again at the next wake-up; an endpoint whose
 * name another node holds is kept with `warned` set and tried again too (that node may let go).
 */
int registry_publish(struct cluster *c)
{
	char key[sizeof(CLUSTER_ENDPOINTS) + CBPF_NAME_MAX], owner[160], ip[CBPF_IP_STRLEN];
	struct mirror_ep *now, *old;
	size_t n_now, kept = 0;
	int err, failed = 0;

	err = local_endpoints(c, c->n_published, &now, &n_now);
	if (err) {
		agent_log(LOG_LVL_WARN, "cluster: reading the local endpoints: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < n_now; i++) {
		old = find_ep(c->published, c->n_published, now[i].name);
		if (old && !old->warned && same_ep(old, &now[i]))
			continue;
		err = publish_one(c, &now[i], old && !old->warned, owner);
		/* moved to another address or network: the old address is free */
		if (!err && old && !old->warned && old->overlay &&
		    (old->ip != now[i].ip || strcmp(old->net, now[i].net)))
			addr_release(c->etcd, old->net, old->ip);
		if (!err && now[i].overlay) {
			err = addr_claim(c->etcd, c->node, c->lease, now[i].net, now[i].ip,
					 now[i].name, owner, sizeof(owner));
			if (err == -EEXIST) {
				cbpf_format_ip(now[i].ip, ip);
				agent_log(
				    LOG_LVL_WARN,
				    "cluster: address %s of endpoint %s (network %s) is taken "
				    "in the cluster by %s",
				    ip, now[i].name, now[i].net, owner);
				err = 0;
			}
		}
		if (err == -EEXIST) {
			if (!old || !old->warned)
				agent_log(LOG_LVL_WARN,
					  "cluster: endpoint %s not published: node %s has an "
					  "endpoint of that name",
					  now[i].name, owner);
			now[i].warned = true;
		} else if (err) {
			failed = err;
			/* Not published: forget it so that the next pass writes it. */
			now[i].name[0] = '\0';
		}
	}
	for (size_t i = 0; i < c->n_published; i++) {
		if (c->published[i].warned || find_ep(now, n_now, c->published[i].name))
			continue;
		snprintf(key, sizeof(key), CLUSTER_ENDPOINTS "%s", c->published[i].name);
		err = etcd_delete(c->etcd, key, NULL);
		if (!err && c->published[i].overlay)
			err = addr_release(c->etcd, c->published[i].net, c->published[i].ip);
		if (err) {
			failed = err;
			now[n_now + kept] = c->published[i];
			kept++;
		}
	}
	free(c->published);
	c->published = now;
	c->n_published = n_now + kept;
	if (failed)
		agent_log(LOG_LVL_WARN, "cluster: publishing endpoints (retrying): %s",
			  etcd_errmsg(c->etcd));
	return failed;
}
