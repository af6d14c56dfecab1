/*
 * Change events and log lines for the event stream. Each commit hands over what it changed;
 * when the command ends, the objects it touched are compared with the view the previous
 * command left: no read of the store, nothing for commands that commit nothing, and one event
 * for a change a command makes in several commits (a move: delete, then add).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "agent/event_feed.h"
#include "core/log.h"
#include "agent/store_changes.h"
#include "agent/store_diff.h"

static struct {
	pthread_mutex_t mu;
	struct agent_events *ev;
	const char *state_dir;
	struct cbpf_objects view;     /* as the last command left the store */
	struct store_changes pending; /* what the running command's commits changed */
	bool lost;		      /* a change could not be kept: the view is read again */
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
static void on_commit(const struct cbpf_objects *gone, const struct cbpf_objects *came)
{
	bool lost = false;

	pthread_mutex_lock(&watch.mu);
	if (watch.ev && !watch.lost && store_changes_add(&watch.pending, gone, came))
		lost = watch.lost = true;
	pthread_mutex_unlock(&watch.mu);
	if (lost)
		agent_log(LOG_LVL_WARN, "events: out of memory keeping a commit in %s",
			  watch.state_dir);
}

void events_command_done(struct agent_events *ev)
{
	struct cbpf_objects fresh;
	bool read_again = false;
	int err = 0;

	pthread_mutex_lock(&watch.mu);
	if (ev && watch.ev == ev) {
		if (!watch.lost)
			err = store_changes_apply(&watch.view, &watch.pending, publish_change, ev);
		read_again = watch.lost || err;
	}
	pthread_mutex_unlock(&watch.mu);
	if (!read_again)
		return;
	/*
	 * Without a view to compare with, changes start again from the store. Not under mu:
	 * commits take it while they hold the store's lock.
	 */
	err = store_view_read(watch.state_dir, &fresh);
	pthread_mutex_lock(&watch.mu);
	store_changes_free(&watch.pending);
	state_objects_free(&watch.view);
	if (!err)
		watch.view = fresh;
	watch.lost = err != 0;
	pthread_mutex_unlock(&watch.mu);
	if (err)
		agent_log(LOG_LVL_WARN, "events: read the store in %s: %s", watch.state_dir,
			  strerror(-err));
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
	store_changes_free(&watch.pending);
	watch.lost = false;
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
