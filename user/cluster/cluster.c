/*
 * The cluster thread: registration, heartbeats, publishing and reconciling, one step after the
 * other, woken by a command that ran, by the watch, or by the next heartbeat. Each step that
 * fails (etcd away) is tried again at the next wake-up; the datapath keeps the last state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent/agent.h"
#include "core/log.h"
#include "core/err.h"
#include "cluster/cluster_int.h"

double cluster_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The cluster thread's own commands need no second look: a failing one would loop. */
static __thread bool in_cluster_thread;

int cluster_unavailable(int err)
{
	switch (err) {
	case -ECONNREFUSED:
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -EAGAIN:
		return -EAGAIN;
	default:
		return err;
	}
}

bool cluster_in_thread(void)
{
	return in_cluster_thread;
}

void cluster_kick(struct cluster *c)
{
	if (in_cluster_thread)
		return;
	pthread_mutex_lock(&c->m);
	c->kicked = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->m);
}

/* Waits until something happened or until deadline; returns false when told to stop. */
static bool wait_for_work(struct cluster *c, double deadline)
{
	struct timespec ts;
	bool go;

	pthread_mutex_lock(&c->m);
	while (!c->stop && !c->kicked && !c->dirty && !c->relist && !c->lease_lost &&
	       cluster_now() < deadline) {
		double left = deadline - cluster_now();

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += (time_t)left;
		ts.tv_nsec += (long)((left - (time_t)left) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&c->cv, &c->m, &ts);
	}
	go = !c->stop;
	c->kicked = false;
	if (c->lease_lost) {
		c->lease_lost = false;
		c->lease = 0;
	}
	pthread_mutex_unlock(&c->m);
	return go;
}

/* Also a pass every period, to retry what etcd or a command refused. */
static void *cluster_thread(void *arg)
{
	struct cluster *c = arg;
	double period = c->ttl / 3.0 < 1 ? 1 : c->ttl / 3.0, next = 0;

	in_cluster_thread = true;
	while (wait_for_work(c, next)) {
		next = cluster_now() + period;
		if (!c->lease)
			registry_register(c);
		if (!c->watch || c->relist)
			learn_list_and_watch(c);
		if (c->lease)
			registry_publish(c);
		learn_reconcile(c);
	}
	return NULL;
}

static int client_open(const char *urls, long total_ms, struct etcd_client **out)
{
	char err_text[1024];
	int err = etcd_open(urls, out, err_text, sizeof(err_text));

	if (err) {
		cbpf_err("daemon: --etcd %s: %s", urls, err_text);
		return err;
	}
	etcd_set_timeouts(*out, ETCD_CONNECT_TIMEOUT_MS, total_ms);
	return 0;
}

static void cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t attr;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &attr);
	pthread_condattr_destroy(&attr);
}

int cluster_start(struct agent *a, const struct cluster_opts *opts, struct cluster **out)
{
	struct cluster *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	c->a = a;
	c->ttl = opts->lease_ttl;
	if (opts->node) {
		snprintf(c->node, sizeof(c->node), "%s", opts->node);
	} else if (gethostname(c->node, sizeof(c->node))) {
		err = -errno;
		cbpf_err("daemon: host name: %s (give --node)", strerror(errno));
		goto fail;
	}
	c->node[sizeof(c->node) - 1] = '\0';
	if (!state_valid_name(c->node)) {
		cbpf_err("daemon: node name '%s' is invalid (use 1-63 of A-Z a-z 0-9 _ . -; give "
			 "--node)",
			 c->node);
		err = -EINVAL;
		goto fail;
	}
	err = cluster_find_underlay(opts->underlay, opts->etcd, &c->underlay);
	if (err)
		goto fail;
	err = learn_load_learned(c);
	if (err) {
		cbpf_err("daemon: reading %s/cluster-learned: %s", a->ctx.state_dir,
			 strerror(-err));
		goto fail;
	}
	err = client_open(opts->etcd, ETCD_TIMEOUT_MS, &c->etcd);
	/* A heartbeat must not wait longer than the next one is due. */
	err = err ?: client_open(opts->etcd, c->ttl * 1000L / 3, &c->beat_etcd);
	err = err ?: client_open(opts->etcd, ETCD_TIMEOUT_MS, &c->cmd_etcd);
	if (err)
		goto fail;
	pthread_mutex_init(&c->m, NULL);
	cond_init_monotonic(&c->cv);
	err = heartbeat_start(c);
	if (!err) {
		err = -pthread_create(&c->thread, NULL, cluster_thread, c);
		c->thread_started = !err;
	}
	if (err) {
		cbpf_err("daemon: cluster threads: %s", strerror(-err));
		cluster_stop(c);
		return err;
	}
	cluster_view_etcd(c->cmd_etcd);
	cluster_view_events(a->events);
	*out = c;
	return 0;
fail:
	etcd_close(c->etcd);
	etcd_close(c->beat_etcd);
	free(c->learned);
	free(c);
	return err;
}

void cluster_stop(struct cluster *c)
{
	if (!c)
		return;
	cluster_view_etcd(NULL);
	cluster_view_events(NULL);
	pthread_mutex_lock(&c->m);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->m);
	if (c->thread_started)
		pthread_join(c->thread, NULL);
	heartbeat_stop(c);
	if (c->watch)
		etcd_watch_stop(c->watch);
	registry_revoke(c);
	etcd_close(c->etcd);
	etcd_close(c->beat_etcd);
	etcd_close(c->cmd_etcd);
	mirror_clear(&c->mirror);
	free(c->published);
	free(c->learned);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->m);
	free(c);
}
