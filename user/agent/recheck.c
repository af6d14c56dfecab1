#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent/agent.h"
#include "agent/event_feed.h"
#include "agent/recheck.h"
#include "core/log.h"
#include "net/relink.h"
#include "reconcile/attach.h"
#include "reconcile/sync.h"
#include "store/state.h"

/* How often the commit counter is read: the delay added to the quiet time at most. */
#define POLL_MS 100

struct agent_recheck {
	struct agent *agent;
	unsigned int quiet_ms;
	bool relink;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t wake;
	bool stop;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Under the agent's lock, as a command: nothing else changes the host meanwhile. */
static void recheck_pass(struct agent *a)
{
	struct relink_report report;
	struct cbpf_ctx ctx = a->ctx;
	struct cbpf_state st;
	int pruned, err;

	/* What relink prints is for a person at `sync`; the log has it here. */
	ctx.json = true;
	pthread_mutex_lock(&a->lock);
	err = state_open(ctx.state_dir, &st);
	if (err) {
		agent_log(LOG_LVL_WARN, "recheck: read the store in %s: %s", ctx.state_dir,
			  strerror(-err));
		pthread_mutex_unlock(&a->lock);
		return;
	}
	relink_endpoints(&ctx, &st, RELINK_FROM_HOST_QUIET, &report);
	if (report.made) {
		/* A veth made again has a new host ifindex: its map entry names it. */
		err = sync_all_if_loaded(&ctx, &st);
		err = err ?: cbpf_links_prune(&ctx, &pruned);
		if (err)
			agent_log(LOG_LVL_WARN,
				  "recheck: maps and links after making %zu endpoint(s) "
				  "again: %s",
				  report.made, strerror(-err));
		a->changes++;
	}
	state_close(&st);
	if (report.made)
		events_command_done(a->events);
	pthread_mutex_unlock(&a->lock);
}

static void *recheck_loop(void *arg)
{
	struct agent_recheck *r = arg;
	unsigned long seen = state_commits(), now;
	uint64_t last_commit = 0;
	bool pending = false;
	struct timespec until;

	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += POLL_MS * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&r->wake, &r->mu, &until);
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mu);
		now = state_commits();
		if (now != seen) {
			seen = now;
			pending = true;
			last_commit = now_ms();
		} else if (pending && now_ms() - last_commit >= r->quiet_ms) {
			pending = false;
			if (r->relink)
				recheck_pass(r->agent);
			state_checkpoint(r->agent->ctx.state_dir);
			/* Its own commits (none unless something was made) start no other pass. */
			seen = state_commits();
		}
		if (state_log_long())
			state_checkpoint_aside(r->agent->ctx.state_dir);
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	return NULL;
}

int agent_recheck_start(struct agent *a, unsigned int quiet_ms, struct agent_recheck **out)
{
	struct agent_recheck *r;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->agent = a;
	r->quiet_ms = quiet_ms ? quiet_ms : AGENT_RECHECK_MS;
	r->relink = quiet_ms > 0;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->wake, NULL);
	err = -pthread_create(&r->thread, NULL, recheck_loop, r);
	if (err) {
		agent_log(LOG_LVL_ERROR, "recheck: start its thread: %s", strerror(-err));
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

void agent_recheck_stop(struct agent_recheck *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = true;
	pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->wake);
	free(r);
}
