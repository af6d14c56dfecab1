/* cbpfnet monitor: drop and policy-verdict events from the datapath's ring buffer. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "events.h"
#include "loader.h"
#include "output.h"
#include "state.h"

struct name {
	uint32_t ip;
	char name[CBPF_NAME_MAX];
};

struct monitor {
	struct cbpf_ctx *ctx;
	struct name *names; /* endpoints, copied so the state lock is not held while streaming */
	size_t n_names;
	long left; /* events still to print; < 0 for no limit */
};

static const char *end_name(const struct monitor *m, uint32_t ip, char *buf)
{
	for (size_t i = 0; i < m->n_names; i++)
		if (m->names[i].ip == ip)
			return m->names[i].name;
	cbpf_format_ip(ip, buf);
	return buf;
}

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
		sprintf(buf, "%u", proto);
		return buf;
	}
}

static int on_event(void *data, void *ptr, size_t size)
{
	struct monitor *m = data;
	const struct cbpf_event *e = ptr;
	char sbuf[CBPF_IP_STRLEN], dbuf[CBPF_IP_STRLEN], pbuf[8];
	const char *kind = e->kind == CBPF_EVENT_DROP ? "drop" : "allow-new";
	const char *src, *dst;

	if (size < sizeof(*e) || !m->left)
		return 0;
	src = e->saddr ? end_name(m, e->saddr, sbuf) : "-";
	dst = e->daddr ? end_name(m, e->daddr, dbuf) : "-";
	if (m->ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "ts_ns", json_object_new_uint64(e->ts));
		json_object_object_add(o, "kind", json_object_new_string(kind));
		json_object_object_add(o, "src", json_object_new_string(src));
		json_object_object_add(o, "dst", json_object_new_string(dst));
		json_object_object_add(o, "proto",
				       json_object_new_string(proto_name(e->proto, pbuf)));
		json_object_object_add(o, "sport", json_object_new_int(ntohs(e->sport)));
		json_object_object_add(o, "dport", json_object_new_int(ntohs(e->dport)));
		json_object_object_add(o, "reason",
				       json_object_new_string(cbpf_drop_reason_name(e->reason)));
		json_object_object_add(o, "rule_id", json_object_new_int64(e->rule_id));
		json_object_object_add(o, "ifindex", json_object_new_int64(e->ifindex));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("%-9s %s -> %s %s %u->%u reason=%s rule=%u\n", kind, src, dst,
		       proto_name(e->proto, pbuf), ntohs(e->sport), ntohs(e->dport),
		       e->kind == CBPF_EVENT_DROP ? cbpf_drop_reason_name(e->reason) : "-",
		       e->rule_id);
	}
	fflush(stdout);
	if (m->left > 0)
		m->left--;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int load_names(struct cbpf_ctx *ctx, struct monitor *m)
{
	struct cbpf_state st;
	int err = state_open(ctx->state_dir, &st);

	if (err)
		return err;
	m->names = calloc(st.n_eps + 1, sizeof(*m->names));
	if (!m->names) {
		state_close(&st);
		return -ENOMEM;
	}
	for (size_t i = 0; i < st.n_eps; i++) {
		m->names[i].ip = st.eps[i].ip;
		snprintf(m->names[i].name, sizeof(m->names[i].name), "%s", st.eps[i].name);
	}
	m->n_names = st.n_eps;
	state_close(&st);
	return 0;
}

int cmd_monitor(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"count", required_argument, NULL, 'c'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	struct monitor m = {.ctx = ctx, .left = -1};
	struct ring_buffer *rb = NULL;
	double timeout = 0, start = now_s();
	char path[320];
	int opt, fd, err;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		char *end;

		if (opt == 'c')
			m.left = strtol(optarg, &end, 10);
		else if (opt == 't')
			timeout = strtod(optarg, &end);
		if (opt == '?' || *end || m.left == 0 || timeout < 0) {
			cbpf_err("monitor: usage: monitor [--count N] [--timeout SECONDS]");
			return -EINVAL;
		}
	}
	cbpf_pin_path(ctx, "cbpf_events", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		cbpf_err("monitor: %s: %s (run 'cbpfnet load' first)", path, strerror(errno));
		return err;
	}
	err = load_names(ctx, &m);
	if (!err) {
		rb = ring_buffer__new(fd, on_event, &m, NULL);
		if (!rb) {
			err = -errno;
			cbpf_err("monitor: ring buffer %s: %s", path, strerror(errno));
		}
	}
	while (!err && m.left && (!timeout || now_s() - start < timeout)) {
		int n = ring_buffer__poll(rb, 100);

		if (n < 0 && n != -EINTR) {
			err = n;
			cbpf_err("monitor: poll %s: %s", path, strerror(-n));
		}
	}
	ring_buffer__free(rb);
	free(m.names);
	close(fd);
	return err;
}
