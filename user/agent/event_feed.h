/*
 * What API clients can follow: the datapath's drop and flow events, changes of the store
 * (networks, endpoints, pair rules, nodes; policy reloads) and the agent's log lines. One
 * thread of the agent consumes the ring buffer (a second consumer would steal events); all
 * kinds share one sequence of the latest EVENTS_KEPT as JSON, which each reader follows at its
 * own pace. The latest LOG_KEPT log lines are also kept apart, for readers that come later.
 */
#ifndef CBPF_AGENT_EVENT_FEED_H
#define CBPF_AGENT_EVENT_FEED_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "events.h"

#define EVENTS_KEPT 8192
#define LOG_KEPT    200

/* The SSE event names; a reader asks for a set of them as a mask of 1 << type. */
enum event_type { EVENT_FLOW, EVENT_CHANGE, EVENT_LOG, EVENT_TYPES };
#define EVENT_MASK(t) (1u << (t))

const char *event_type_name(enum event_type type);
/* "flow,change,log" to a mask; -EINVAL names no type or an unknown one. */
int event_types_parse(const char *text, unsigned int *mask);

struct agent;
struct agent_events;

int events_start(struct agent *a, struct agent_events **out);
/* Stops the ring buffer's reader and ends every stream; events_free once no stream is left. */
void events_stop(struct agent_events *ev);
void events_free(struct agent_events *ev);

/*
 * The sequence number of the oldest kept event taken at or after mono_ns (CLOCK_MONOTONIC), or
 * the next one: a reader starting there sees the past from that moment on.
 */
uint64_t events_since(struct agent_events *ev, uint64_t mono_ns);
/*
 * A reader starting now: *seq is the number the next event will get. When types has log, the
 * kept log lines come in *backlog (n of them, oldest first, each and the array the caller's
 * to free), with their numbers in *backlog_seq.
 */
int events_subscribe(struct agent_events *ev, unsigned int types, uint64_t *seq, char ***backlog,
		     uint64_t **backlog_seq, size_t *n);
/*
 * Waits up to timeout_ms for the next event of types from *seq on. Returns 0 with *json
 * (caller frees), its *type, its datapath time in *ts_ns (CLOCK_MONOTONIC; 0 for an untimed
 * event) and *seq moved past it, -EAGAIN on timeout, -ESHUTDOWN when the agent stops. A reader
 * that fell more than EVENTS_KEPT behind gets -EOVERFLOW once with *lost set (events of every
 * type), and resumes at the oldest kept.
 */
int events_wait(struct agent_events *ev, unsigned int types, uint64_t *seq, char **json,
		enum event_type *type, uint64_t *ts_ns, uint64_t *lost, int timeout_ms);

/* Adds an event of type to the sequence (o is consumed); a log line is also kept apart. */
void events_publish(struct agent_events *ev, enum event_type type, json_object *o);

/*
 * event_changes.c, the sources besides the datapath. Start reads the store as it is, then
 * every commit's changes and the agent's log lines become events; stop ends both.
 */
int event_changes_start(struct agent_events *ev, const char *state_dir);
void event_changes_stop(void);
/*
 * After a command, under the agent's lock: what its commits changed in the store, against the
 * store the previous command left, becomes change events (so they leave in commit order).
 * ev may be NULL (the agent is starting).
 */
void events_command_done(struct agent_events *ev);
/* A node of the cluster came (alive) or its lease ended, as a change event; ev may be NULL. */
void events_node_state(struct agent_events *ev, const char *name, bool alive);
/* A policy reload's outcome as a change event; ev may be NULL. */
void events_policy_reloaded(struct agent_events *ev, unsigned int generation, bool ok,
			    const char *message);

/* An event as the API and `monitor --json` show it; name_of names endpoint addresses. */
json_object *event_json(const struct cbpf_event *e, const char *src_name, const char *dst_name);

#endif
