/*
 * Heartbeats: a keepalive of the node's lease every TTL/3 on a thread and an etcd connection
 * of their own, so that neither a long reconcile nor a slow request of the cluster thread lets
 * the lease run out. A lease found gone is handed back to the cluster thread to register again.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "cluster/cluster_int.h"

static void wait_period(struct cluster *c, double seconds)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)seconds;
	ts.tv_nsec += (long)((seconds - (time_t)seconds) * 1e9);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (!c->stop)
		pthread_cond_timedwait(&c->beat_cv, &c->m, &ts);
}

static void *heartbeat_thread(void *arg)
{
	struct cluster *c = arg;
	bool failing = false,
	     missed = false; /* missed: a heartbeat failed since the last one sent */
	int64_t lease;
	int err;

	pthread_mutex_lock(&c->m);
	for (wait_period(c, c->ttl / 3.0); !c->stop; wait_period(c, c->ttl / 3.0)) {
		lease = c->beat_lease;
		if (!lease)
			continue;
		pthread_mutex_unlock(&c->m);
		err = etcd_lease_keepalive(c->beat_etcd, lease, NULL);
		if (err && err != -ENOENT && !failing)
			agent_log(LOG_LVL_WARN,
				  "cluster: heartbeat failed (the datapath keeps its state): %s",
				  etcd_errmsg(c->beat_etcd));
		else if (!err && failing)
			agent_log(LOG_LVL_INFO, "cluster: heartbeats reach etcd again");
		failing = err && err != -ENOENT;
		pthread_mutex_lock(&c->m);
		if (!err) {
			c->last_heartbeat = cluster_now();
			cluster_view_heartbeat(c->node, c->last_heartbeat);
			/*
			 * Back after failures: the watch may be a silent one on a member that lost
			 * its quorum, or be retrying from a revision since compacted. A fresh list
			 * and watch converge in every case.
			 */
			if (missed) {
				c->relist = true;
				pthread_cond_signal(&c->cv);
			}
			missed = false;
		} else {
			missed = true;
		}
		if (err == -ENOENT && c->beat_lease == lease) {
			agent_log(LOG_LVL_WARN,
				  "cluster: lease of node %s expired; registering again", c->node);
			c->beat_lease = 0;
			c->lease_lost = true;
			pthread_cond_signal(&c->cv);
		}
	}
	pthread_mutex_unlock(&c->m);
	return NULL;
}

int heartbeat_start(struct cluster *c)
{
	pthread_condattr_t attr;
	int err;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->beat_cv, &attr);
	pthread_condattr_destroy(&attr);
	err = -pthread_create(&c->beat_thread, NULL, heartbeat_thread, c);
	c->beat_started = !err;
	return err;
}

/* c->stop is set: the thread ends at once, or after the keepalive it is sending. */
void heartbeat_stop(struct cluster *c)
{
	if (!c->beat_started)
		return;
	pthread_mutex_lock(&c->m);
	pthread_cond_signal(&c->beat_cv);
	pthread_mutex_unlock(&c->m);
	pthread_join(c->beat_thread, NULL);
	pthread_cond_destroy(&c->beat_cv);
	c->beat_started = false;
}
