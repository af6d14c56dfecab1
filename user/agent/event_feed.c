#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "agent/agent.h"
#include "core/log.h"
#include "agent/event_feed.h"
#include "reconcile/loader.h"
#include "core/output.h"
#include "policy/rule_ref.h"
#include "store/state.h"

struct ep_name {
	uint32_t ip;
	char name[CBPF_NAME_MAX];
};

struct kept {
	char *json;
	enum event_type type;
	uint64_t seq; /* in the log ring */
	uint64_t ts;  /* CLOCK_MONOTONIC ns of a datapath event, 0: untimed */
};

struct agent_events {
	struct agent *agent;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct kept kept[EVENTS_KEPT];
	uint64_t next_seq;
	struct kept logs[LOG_KEPT];
	uint64_t n_logs;
	bool stop;
	/* the reader thread's own */
	struct ep_name *names;
	size_t n_names;
	unsigned long names_at; /* agent->changes when names were read */
};

static const char *proto_name(uint8_t proto, char *buf)
{
	switch (proto) {
	case 6:
		return "tcp";
	case 17:
		return "udp";
	case 1:
		return "icmp";
	default:
		snprintf(buf, 8, "%u", proto);
		return buf;
	}
}

/* Datapath times are CLOCK_MONOTONIC; people read wall-clock time. */
static void wall_time(uint64_t mono_ns, char *buf, size_t size)
{
	struct timespec mono, real;
	struct tm tm;
	int64_t ns;
	time_t sec;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ns = (int64_t)real.tv_sec * 1000000000 + real.tv_nsec -
	     ((int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec - (int64_t)mono_ns);
	sec = ns / 1000000000;
	gmtime_r(&sec, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + strlen(buf), size - strlen(buf), ".%03ldZ",
		 (long)(ns % 1000000000) / 1000000);
}

json_object *event_json(const struct cbpf_event *e, const char *src_name, const char *dst_name)
{
	json_object *o = json_object_new_object();
	char time[48], saddr[CBPF_IP_STRLEN], daddr[CBPF_IP_STRLEN], pbuf[8];
	char ref[CBPF_RULE_REF_MAX];

	wall_time(e->ts, time, sizeof(time));
	cbpf_format_ip(e->saddr, saddr);
	cbpf_format_ip(e->daddr, daddr);
	json_object_object_add(o, "time", json_object_new_string(time));
	json_object_object_add(o, "ts_ns", json_object_new_uint64(e->ts));
	json_object_object_add(
	    o, "kind", json_object_new_string(e->kind == CBPF_EVENT_DROP ? "drop" : "allow-new"));
	json_object_object_add(o, "src", json_object_new_string(src_name ? src_name : saddr));
	json_object_object_add(o, "dst", json_object_new_string(dst_name ? dst_name : daddr));
	json_object_object_add(o, "proto", json_object_new_string(proto_name(e->proto, pbuf)));
	json_object_object_add(o, "sport", json_object_new_int(ntohs(e->sport)));
	json_object_object_add(o, "dport", json_object_new_int(ntohs(e->dport)));
	json_object_object_add(o, "reason",
			       json_object_new_string(e->kind == CBPF_EVENT_DROP
							  ? cbpf_drop_reason_name(e->reason)
							  : "-"));
	json_object_object_add(o, "rule_id", json_object_new_int64(e->rule_id));
	json_object_object_add(o, "ref", json_object_new_string(cbpf_rule_ref(e->rule_id, ref)));
	json_object_object_add(o, "ifindex", json_object_new_int64(e->ifindex));
	json_object_object_add(o, "src_ip", json_object_new_string(saddr));
	json_object_object_add(o, "dst_ip", json_object_new_string(daddr));
	return o;
}

static void refresh_names(struct agent_events *ev)
{
	struct cbpf_state st;
	unsigned long changes = __atomic_load_n(&ev->agent->changes, __ATOMIC_RELAXED);

	if (ev->names && ev->names_at == changes)
		return;
	/* Naming events never creates a store: a missing one is for `load` to refuse. */
	if (!state_exists(ev->agent->ctx.state_dir) || state_open(ev->agent->ctx.state_dir, &st))
		return;
	free(ev->names);
	ev->names = calloc(st.n_eps + 1, sizeof(*ev->names));
	ev->n_names = 0;
	for (size_t i = 0; ev->names && i < st.n_eps; i++) {
		ev->names[i].ip = st.eps[i].ip;
		snprintf(ev->names[i].name, sizeof(ev->names[i].name), "%s", st.eps[i].name);
		ev->n_names++;
	}
	state_close(&st);
	ev->names_at = changes;
}

static const char *name_of(const struct agent_events *ev, uint32_t ip)
{
	for (size_t i = 0; i < ev->n_names; i++)
		if (ev->names[i].ip == ip)
			return ev->names[i].name;
	return NULL;
}

static const char *const type_names[EVENT_TYPES] = {"flow", "change", "log"};

const char *event_type_name(enum event_type type)
{
	return type_names[type];
}

int event_types_parse(const char *text, unsigned int *mask)
{
	const char *p = text;

	*mask = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		unsigned int t;

		for (t = 0; t < EVENT_TYPES; t++)
			if (strlen(type_names[t]) == len && !strncmp(p, type_names[t], len))
				break;
		if (t == EVENT_TYPES)
			return -EINVAL;
		*mask |= EVENT_MASK(t);
		p += len;
		if (*p == ',' && *++p == '\0')
			return -EINVAL;
	}
	return *mask ? 0 : -EINVAL;
}

static void publish(struct agent_events *ev, enum event_type type, json_object *o, uint64_t ts)
{
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	char *log_copy = type == EVENT_LOG && text ? strdup(text) : NULL;
	struct kept *k;

	json_object_put(o);
	if (!text || (type == EVENT_LOG && !log_copy)) {
		free(text);
		return;
	}
	pthread_mutex_lock(&ev->mu);
	if (log_copy) {
		k = &ev->logs[ev->n_logs++ % LOG_KEPT];
		free(k->json);
		*k = (struct kept){log_copy, type, ev->next_seq, ts};
	}
	k = &ev->kept[ev->next_seq % EVENTS_KEPT];
	free(k->json);
	*k = (struct kept){text, type, ev->next_seq, ts};
	ev->next_seq++;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->mu);
}

void events_publish(struct agent_events *ev, enum event_type type, json_object *o)
{
	publish(ev, type, o, 0);
}

static int on_event(void *data, void *ptr, size_t size)
{
	struct agent_events *ev = data;
	const struct cbpf_event *e = ptr;

	if (size < sizeof(*e))
		return 0;
	refresh_names(ev);
	publish(ev, EVENT_FLOW,
		event_json(e, e->saddr ? name_of(ev, e->saddr) : "-",
			   e->daddr ? name_of(ev, e->daddr) : "-"),
		e->ts);
	return 0;
}

static bool stopping(struct agent_events *ev)
{
	bool stop;

	pthread_mutex_lock(&ev->mu);
	stop = ev->stop;
	pthread_mutex_unlock(&ev->mu);
	return stop;
}

/* The ring buffer is reopened when its pin names another map (an unload and load). */
static void *reader(void *arg)
{
	struct agent_events *ev = arg;
	struct ring_buffer *rb = NULL;
	__u32 map_id = 0;
	char path[4096];
	int fd = -1, ticks = 0;

	cbpf_pin_path(&ev->agent->ctx, "cbpf_events", path, sizeof(path));
	while (!stopping(ev)) {
		if (ticks++ % 10 == 0) {
			struct bpf_map_info info = {};
			__u32 len = sizeof(info);
			int now = bpf_obj_get(path);

			if (now >= 0 && !bpf_obj_get_info_by_fd(now, &info, &len) &&
			    info.id != map_id) {
				ring_buffer__free(rb);
				if (fd >= 0)
					close(fd);
				fd = now;
				now = -1;
				map_id = info.id;
				rb = ring_buffer__new(fd, on_event, ev, NULL);
				agent_log(LOG_LVL_DEBUG, "events: reading %s (map %u)", path,
					  map_id);
			}
			if (now >= 0)
				close(now);
		}
		if (rb) {
			int n = ring_buffer__poll(rb, 100);

			if (n < 0 && n != -EINTR) {
				agent_log(LOG_LVL_WARN, "events: poll %s: %s", path, strerror(-n));
				usleep(100000);
			}
		} else {
			usleep(100000);
		}
	}
	ring_buffer__free(rb);
	if (fd >= 0)
		close(fd);
	return NULL;
}

int events_start(struct agent *a, struct agent_events **out)
{
	struct agent_events *ev = calloc(1, sizeof(*ev));
	int err;

	if (!ev)
		return -ENOMEM;
	ev->agent = a;
	pthread_mutex_init(&ev->mu, NULL);
	pthread_cond_init(&ev->cond, NULL);
	err = event_changes_start(ev, a->ctx.state_dir);
	if (err) {
		free(ev);
		return err;
	}
	err = -pthread_create(&ev->thread, NULL, reader, ev);
	if (err) {
		event_changes_stop();
		free(ev);
		return err;
	}
	*out = ev;
	return 0;
}

void events_stop(struct agent_events *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&ev->mu);
	ev->stop = true;
	pthread_cond_broadcast(&ev->cond);
	pthread_mutex_unlock(&ev->mu);
	pthread_join(ev->thread, NULL);
	event_changes_stop();
}

void events_free(struct agent_events *ev)
{
	if (!ev)
		return;
	for (size_t i = 0; i < EVENTS_KEPT; i++)
		free(ev->kept[i].json);
	for (size_t i = 0; i < LOG_KEPT; i++)
		free(ev->logs[i].json);
	free(ev->names);
	free(ev);
}

int events_subscribe(struct agent_events *ev, unsigned int types, uint64_t *seq, char ***backlog,
		     uint64_t **backlog_seq, size_t *n)
{
	uint64_t first;
	int err = 0;

	*backlog = NULL;
	*backlog_seq = NULL;
	*n = 0;
	pthread_mutex_lock(&ev->mu);
	*seq = ev->next_seq;
	first = ev->n_logs > LOG_KEPT ? ev->n_logs - LOG_KEPT : 0;
	if ((types & EVENT_MASK(EVENT_LOG)) && ev->n_logs > first) {
		*backlog = calloc(ev->n_logs - first, sizeof(**backlog));
		*backlog_seq = calloc(ev->n_logs - first, sizeof(**backlog_seq));
		for (uint64_t i = first; *backlog && *backlog_seq && i < ev->n_logs && !err; i++) {
			const struct kept *k = &ev->logs[i % LOG_KEPT];

			(*backlog)[*n] = strdup(k->json);
			(*backlog_seq)[*n] = k->seq;
			err = (*backlog)[(*n)++] ? 0 : -ENOMEM;
		}
		if (!*backlog || !*backlog_seq)
			err = -ENOMEM;
	}
	pthread_mutex_unlock(&ev->mu);
	if (err) {
		for (size_t i = 0; *backlog && i < *n; i++)
			free((*backlog)[i]);
		free(*backlog);
		free(*backlog_seq);
		*n = 0;
	}
	return err;
}

uint64_t events_since(struct agent_events *ev, uint64_t mono_ns)
{
	uint64_t seq;

	pthread_mutex_lock(&ev->mu);
	seq = ev->next_seq > EVENTS_KEPT ? ev->next_seq - EVENTS_KEPT : 0;
	while (seq < ev->next_seq && ev->kept[seq % EVENTS_KEPT].ts < mono_ns)
		seq++;
	pthread_mutex_unlock(&ev->mu);
	return seq;
}

int events_wait(struct agent_events *ev, unsigned int types, uint64_t *seq, char **json,
		enum event_type *type, uint64_t *ts_ns, uint64_t *lost, int timeout_ms)
{
	struct timespec until;
	int err = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&ev->mu);
	for (;;) {
		/* Events of other types are passed over, not waited for. */
		while (*seq < ev->next_seq && ev->next_seq - *seq <= EVENTS_KEPT &&
		       !(types & EVENT_MASK(ev->kept[*seq % EVENTS_KEPT].type)))
			(*seq)++;
		if (ev->stop || *seq < ev->next_seq || err)
			break;
		err = -pthread_cond_timedwait(&ev->cond, &ev->mu, &until);
	}
	if (ev->stop) {
		err = -ESHUTDOWN;
	} else if (*seq < ev->next_seq) {
		if (ev->next_seq - *seq > EVENTS_KEPT) {
			*lost = ev->next_seq - EVENTS_KEPT - *seq;
			*seq = ev->next_seq - EVENTS_KEPT;
			err = -EOVERFLOW;
		} else {
			*json = strdup(ev->kept[*seq % EVENTS_KEPT].json);
			*type = ev->kept[*seq % EVENTS_KEPT].type;
			if (ts_ns)
				*ts_ns = ev->kept[*seq % EVENTS_KEPT].ts;
			(*seq)++;
			err = *json ? 0 : -ENOMEM;
		}
	} else {
		err = -EAGAIN;
	}
	pthread_mutex_unlock(&ev->mu);
	return err;
}
