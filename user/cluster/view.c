/*
 * The cluster thread writes the view, `node list` (run by the API's threads) reads it; a dead
 * node stays in it so that `node list` can say it died and when.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/event_feed.h"
#include "cluster/cluster_int.h"
#include "cluster/view.h"

struct view_entry {
	struct cluster_node_view v;
	int64_t lease;
	double changed;	  /* when it came or went, on cluster_now's clock */
	double heartbeat; /* its last heartbeat; 0: unknown */
	bool was_alive;
};

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
/* Asks etcd for other nodes' heartbeats; used by `node list`, under the agent's lock. */
static struct etcd_client *view_etcd;
static struct view_entry *view;
static size_t n_view;
static struct agent_events *view_events;

static struct view_entry *view_find(const char *name)
{
	for (size_t i = 0; i < n_view; i++)
		if (!strcmp(view[i].v.name, name))
			return &view[i];
	return NULL;
}

static struct view_entry *view_add(const char *name, double now)
{
	struct view_entry *grown = realloc(view, (n_view + 1) * sizeof(*grown)), *e;

	if (!grown)
		return NULL;
	view = grown;
	e = &view[n_view++];
	memset(e, 0, sizeof(*e));
	snprintf(e->v.name, sizeof(e->v.name), "%s", name);
	e->changed = now;
	return e;
}

void cluster_view_set(const struct mirror *m, const char *self, double self_heartbeat)
{
	double now = cluster_now();
	struct view_entry *e;
	/* Who came or went, published once the view is unlocked. */
	char(*flipped)[CBPF_NAME_MAX] = NULL;
	bool *alive = NULL;
	size_t n_flipped = 0;

	pthread_mutex_lock(&view_lock);
	for (size_t i = 0; i < n_view; i++) {
		view[i].was_alive = view[i].v.alive;
		view[i].v.alive = false;
		view[i].v.endpoints = 0;
	}
	for (size_t j = 0; j < m->n_nodes; j++) {
		e = view_find(m->nodes[j].name);
		if (!e)
			e = view_add(m->nodes[j].name, now);
		if (!e)
			break;
		if (!e->was_alive)
			e->changed = now;
		e->was_alive = e->v.alive = true;
		e->v.underlay = m->nodes[j].underlay;
		e->lease = m->nodes[j].lease;
		if (!strcmp(e->v.name, self))
			e->heartbeat = self_heartbeat;
	}
	for (size_t i = 0; i < n_view; i++)
		if (view[i].was_alive && !view[i].v.alive)
			view[i].changed = now;
	if (view_events && n_view) {
		flipped = calloc(n_view, sizeof(*flipped));
		alive = calloc(n_view, sizeof(*alive));
	}
	for (size_t i = 0; flipped && alive && i < n_view; i++)
		if (view[i].changed == now) {
			memcpy(flipped[n_flipped], view[i].v.name, CBPF_NAME_MAX);
			alive[n_flipped++] = view[i].v.alive;
		}
	for (size_t k = 0; k < m->n_eps; k++) {
		e = view_find(m->eps[k].node);
		if (e)
			e->v.endpoints++;
	}
	pthread_mutex_unlock(&view_lock);
	for (size_t i = 0; i < n_flipped; i++)
		events_node_state(view_events, flipped[i], alive[i]);
	free(flipped);
	free(alive);
}

void cluster_view_events(struct agent_events *ev)
{
	pthread_mutex_lock(&view_lock);
	view_events = ev;
	pthread_mutex_unlock(&view_lock);
}

void cluster_view_heartbeat(const char *self, double when)
{
	struct view_entry *e;

	pthread_mutex_lock(&view_lock);
	e = view_find(self);
	if (e)
		e->heartbeat = when;
	pthread_mutex_unlock(&view_lock);
}

void cluster_view_etcd(struct etcd_client *e)
{
	pthread_mutex_lock(&view_lock);
	view_etcd = e;
	pthread_mutex_unlock(&view_lock);
}

/*
 * Another node's last heartbeat: its lease's TTL granted less the TTL left (whole seconds, as
 * etcd counts them), since a keepalive sets the TTL back to the full one.
 */
static void heartbeat_ages(struct etcd_client *e, struct cluster_node_view *v,
			   const int64_t *leases, size_t n)
{
	int64_t left, granted;
	int err;

	for (size_t i = 0; e && i < n; i++) {
		if (!v[i].alive || !leases[i] || v[i].heartbeat_age >= 0)
			continue;
		err = etcd_lease_timetolive(e, leases[i], &left, &granted);
		if (!err)
			v[i].heartbeat_age = granted - left;
		else if (err != -ENOENT)
			break; /* one unanswered question is enough: `node list` must not hang */
	}
}

int cluster_view_get(struct cluster_node_view **out, size_t *n)
{
	double now = cluster_now();
	struct etcd_client *e;
	int64_t *leases;

	pthread_mutex_lock(&view_lock);
	*out = calloc(n_view ? n_view : 1, sizeof(**out));
	if (!*out) {
		pthread_mutex_unlock(&view_lock);
		*n = 0;
		return -ENOMEM;
	}
	leases = calloc(n_view ? n_view : 1, sizeof(*leases));
	if (!leases) {
		free(*out);
		pthread_mutex_unlock(&view_lock);
		*n = 0;
		return -ENOMEM;
	}
	*n = n_view;
	for (size_t i = 0; i < n_view; i++) {
		(*out)[i] = view[i].v;
		(*out)[i].changed_age = now - view[i].changed;
		(*out)[i].heartbeat_age = view[i].heartbeat > 0 ? now - view[i].heartbeat : -1;
		leases[i] = view[i].lease;
	}
	e = view_etcd;
	pthread_mutex_unlock(&view_lock);
	heartbeat_ages(e, *out, leases, *n);
	free(leases);
	return 0;
}
