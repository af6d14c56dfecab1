/*
 * The datapath's drop and flow events for API clients. One thread of the agent consumes the
 * ring buffer (a second consumer would steal events) and keeps the latest EVENTS_KEPT events
 * as JSON with a sequence number; each reader follows the sequence at its own pace.
 */
#ifndef CBPF_AGENT_EVENT_FEED_H
#define CBPF_AGENT_EVENT_FEED_H

#include <json-c/json.h>
#include <stdint.h>

#include "events.h"

#define EVENTS_KEPT 8192

struct agent;
struct agent_events;

int events_start(struct agent *a, struct agent_events **out);
/* Stops the ring buffer's reader and ends every stream; events_free once no stream is left. */
void events_stop(struct agent_events *ev);
void events_free(struct agent_events *ev);

/* The sequence number the next event will get: a reader starting now waits for it. */
uint64_t events_next(struct agent_events *ev);
/*
 * The sequence number of the oldest kept event taken at or after mono_ns (CLOCK_MONOTONIC), or
 * the next one: a reader starting there sees the past from that moment on.
 */
uint64_t events_since(struct agent_events *ev, uint64_t mono_ns);
/*
 * Waits up to timeout_ms for event *seq. Returns 0 with *json (caller frees), its datapath
 * time in *ts_ns (CLOCK_MONOTONIC; 0 for an untimed event) and *seq moved on, -EAGAIN on timeout,
 * -ESHUTDOWN when the agent stops. A reader that fell more than EVENTS_KEPT behind gets -EOVERFLOW
 * once with *lost set, and resumes at the oldest kept.
 */
int events_wait(struct agent_events *ev, uint64_t *seq, char **json, uint64_t *ts_ns,
		uint64_t *lost, int timeout_ms);

/* An event as the API and `monitor --json` show it; name_of names endpoint addresses. */
json_object *event_json(const struct cbpf_event *e, const char *src_name, const char *dst_name);

#endif
