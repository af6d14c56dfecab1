/*
 * Change events and log lines for the event stream. The store is compared after commits only
 * (state_commits moves), so a command that changed nothing costs no read.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "agent/event_feed.h"
#include "agent/log.h"
#include "agent/store_diff.h"

static struct {
	pthread_mutex_t mu;
	struct agent_events *ev;
	const char *state_dir;
	struct store_view view;
	unsigned long commits; /* state_commits() when view was read */
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

int event_changes_start(struct agent_events *ev, const char *state_dir)
{
	int err;

	pthread_mutex_lock(&watch.mu);
	watch.ev = ev;
	watch.state_dir = state_dir;
	watch.commits = state_commits();
	err = store_view_read(state_dir, &watch.view);
	pthread_mutex_unlock(&watch.mu);
	if (err) {
		agent_log(LOG_LVL_ERROR, "events: read the store in %s: %s", state_dir,
			  strerror(-err));
		return err;
	}
	agent_log_set_sink(on_log, ev);
	return 0;
}

void event_changes_stop(void)
{
	agent_log_set_sink(NULL, NULL);
	pthread_mutex_lock(&watch.mu);
	store_view_free(&watch.view);
	watch.ev = NULL;
	pthread_mutex_unlock(&watch.mu);
}

void events_store_changed(struct agent_events *ev)
{
	struct store_view view;
	unsigned long commits;
	int err = 0;

	if (!ev)
		return;
	pthread_mutex_lock(&watch.mu);
	commits = state_commits();
	if (watch.ev == ev && commits != watch.commits) {
		err = store_view_read(watch.state_dir, &view);
		if (!err) {
			store_view_diff(&watch.view, &view, publish_change, ev);
			store_view_free(&watch.view);
			watch.view = view;
			watch.commits = commits;
		}
	}
	pthread_mutex_unlock(&watch.mu);
	/* The next commit tries again; until then the stream misses this one's changes. */
	if (err)
		agent_log(LOG_LVL_WARN, "events: read the store in %s: %s", watch.state_dir,
			  strerror(-err));
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
