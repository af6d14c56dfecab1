/*
 * Change events and log lines for the event stream. Each commit leaves a copy of its state,
 * still in memory; when the command ends, the last copy is compared with the state the
 * previous command left: no read of the store, nothing for commands that commit nothing, and
 * one event for a change a command makes in several commits (a move: delete, then add).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "agent/event_feed.h"
#include "core/log.h"
#include "agent/store_diff.h"

static struct {
	pthread_mutex_t mu;
	struct agent_events *ev;
	const char *state_dir;
	struct cbpf_objects view;    /* as the last command left the store */
	struct cbpf_objects pending; /* as the running command's last commit left it */
	bool has_pending;
} watch = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void now(char *buf, size_t size)
{
	struct timeval tv;
	struct tm tm;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), size - strlen(buf), ".%06ldZ", (long)tv.tv_usec);
}

static void publish_change(void *arg, json_object *o)
{
	char time[48];

	now(time, sizeof(time));
	json_object_object_add(o, "time", json_object_new_string(time));
	events_publish(arg, EVENT_CHANGE, o);
}

static void on_log(void *arg, enum agent_log_level level, const char *time, const char *message)
{
	json_object *o = json_object_new_object();
	size_t len = strlen(message);

	/* A command's error text ends in a newline the log line does not need. */
	while (len && message[len - 1] == '\n')
		len--;
	json_object_object_add(o, "time", json_object_new_string(time));
	json_object_object_add(o, "kind", json_object_new_string("log"));
	json_object_object_add(o, "level", json_object_new_string(agent_log_level_name(level)));
	json_object_object_add(o, "message", json_object_new_string_len(message, (int)len));
	events_publish(arg, EVENT_LOG, o);
}

/* Runs in the committing thread, before state_commit returns. */
static void on_commit(const struct cbpf_state *st)
{
	struct cbpf_objects view;
	int err = 0;

	pthread_mutex_lock(&watch.mu);
	if (watch.ev) {
		err = store_view_of(st, &view);
		if (!err) {
			state_objects_free(&watch.pending);
			watch.pending = view;
			watch.has_pending = true;
		}
	}
	pthread_mutex_unlock(&watch.mu);
	/* A later commit's copy then carries this one's changes too. */
	if (err)
		agent_log(LOG_LVL_WARN, "events: no copy of a commit in %s: %s", watch.state_dir,
			  strerror(-err));
}

void events_command_done(struct agent_events *ev)
{
	pthread_mutex_lock(&watch.mu);
	if (ev && watch.ev == ev && watch.has_pending) {
		store_view_diff(&watch.view, &watch.pending, publish_change, ev);
		state_objects_free(&watch.view);
		watch.view = watch.pending;
		memset(&watch.pending, 0, sizeof(watch.pending));
		watch.has_pending = false;
	}
	pthread_mutex_unlock(&watch.mu);
}

int event_changes_start(struct agent_events *ev, const char *state_dir)
{
	int err;

	pthread_mutex_lock(&watch.mu);
	watch.state_dir = state_dir;
	err = store_view_read(state_dir, &watch.view);
	if (!err)
		watch.ev = ev;
	pthread_mutex_unlock(&watch.mu);
	if (err) {
		agent_log(LOG_LVL_ERROR, "events: read the store in %s: %s", state_dir,
			  strerror(-err));
		return err;
	}
	agent_log_set_sink(on_log, ev);
	/* Once for the process: after a stop, on_commit finds no reader and does nothing. */
	state_on_commit(on_commit);
	return 0;
}

void event_changes_stop(void)
{
	agent_log_set_sink(NULL, NULL);
	pthread_mutex_lock(&watch.mu);
	state_objects_free(&watch.view);
	state_objects_free(&watch.pending);
	watch.has_pending = false;
	watch.ev = NULL;
	pthread_mutex_unlock(&watch.mu);
}

void events_node_state(struct agent_events *ev, const char *name, bool alive)
{
	json_object *o;

	if (!ev)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string("change"));
	json_object_object_add(o, "object", json_object_new_string("node"));
	json_object_object_add(o, "action", json_object_new_string(alive ? "ready" : "dead"));
	json_object_object_add(o, "name", json_object_new_string(name));
	publish_change(ev, o);
}

void events_policy_reloaded(struct agent_events *ev, unsigned int generation, bool ok,
			    const char *message)
{
	json_object *o;

	if (!ev)
		return;
	o = json_object_new_object();
	json_object_object_add(o, "kind", json_object_new_string("change"));
	json_object_object_add(o, "object", json_object_new_string("policy"));
	json_object_object_add(o, "action", json_object_new_string(ok ? "reload" : "reject"));
	json_object_object_add(o, "name", json_object_new_string("policy files"));
	json_object_object_add(o, "generation", json_object_new_int64(generation));
	json_object_object_add(o, "message", json_object_new_string(message));
	publish_change(ev, o);
}
