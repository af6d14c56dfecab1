/*
 * monitor: the agent's event stream as lines people read (wall-clock times to the ms, names,
 * rule numbers) or as JSON. It starts at now, or at --since; it follows the stream on a
 * terminal or when asked (--follow, --count, --timeout), and otherwise prints what the agent
 * kept and ends, so that `monitor --since 5m | grep` terminates.
 */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "client/client.h"
#include "client/forward.h"
#include "client/monitor.h"

#define MONITOR_USAGE                                                                              \
	"monitor: usage: monitor [--since DURATION|TIME] [--follow] [--count N] "                  \
	"[--timeout SECONDS] (DURATION: 90s, 5m, 2h, 1d; TIME: 2026-11-27T17:50:00[.123][Z], UTC)"

/* "90s", "5m", "2h", "1d" (a bare number is seconds) ago, or an ISO-8601 UTC time: Unix ms. */
static int parse_since(const char *text, long long *unix_ms)
{
	static const struct {
		const char *unit;
		long long ms;
	} units[] = {{"", 1000}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
	struct timespec now;
	struct tm tm = {0};
	char *end;
	long long n;
	const char *rest;

	clock_gettime(CLOCK_REALTIME, &now);
	n = strtoll(text, &end, 10);
	if (end != text && n >= 0 && *text != '-' && *text != '+')
		for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(end, units[i].unit)) {
				*unix_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000 -
					   n * units[i].ms;
				return *unix_ms >= 0 ? 0 : -EINVAL;
			}
	rest = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -EINVAL;
	*unix_ms = (long long)timegm(&tm) * 1000;
	if (rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9') {
		long long frac = strtoll(rest + 1, &end, 10);
		size_t digits = end - (rest + 1);

		if (digits > 3)
			return -EINVAL;
		for (size_t i = digits; i < 3; i++)
			frac *= 10;
		*unix_ms += frac;
		rest = end;
	}
	return !strcmp(rest, "") || !strcmp(rest, "Z") ? 0 : -EINVAL;
}

/* One line: "TIME KIND SRC[:PORT] -> DST[:PORT] PROTO reason=R rule=fN". */
static bool print_event(const struct cbpf_ctx *ctx, const char *text)
{
	json_object *e = json_tokener_parse(text);
	const char *proto;
	bool ports;

	if (!e)
		return false;
	if (ctx->json) {
		puts(json_object_to_json_string_ext(e, JSON_C_TO_STRING_PLAIN));
		fflush(stdout);
		json_object_put(e);
		return true;
	}
#define F(k) json_object_get_string(json_object_object_get(e, k))
#define I(k) json_object_get_int(json_object_object_get(e, k))
	proto = F("proto");
	ports = proto && (!strcmp(proto, "tcp") || !strcmp(proto, "udp"));
	printf("%s %-9s %s", F("time"), F("kind"), F("src"));
	if (ports)
		printf(":%d", I("sport"));
	printf(" -> %s", F("dst"));
	if (ports)
		printf(":%d", I("dport"));
	printf(" %s reason=%s rule=%s\n", proto, F("reason"), F("ref"));
#undef F
#undef I
	fflush(stdout);
	json_object_put(e);
	return true;
}

const struct cbpf_opt forward_monitor_opts[] = {
    {"since", 's', "DURATION|TIME",
     "start at the kept events since then (90s, 5m, 2h, 1d, or ISO-8601 UTC)"},
    {"follow", 'f', NULL, "keep waiting for events (the default on a terminal)"},
    {"count", 'c', "N", "stop after N events"},
    {"timeout", 't', "SECONDS", "stop after this long"},
    {NULL, 0, NULL, NULL},
};

int monitor_run(const struct cbpf_ctx *ctx, int argc, char **argv)
{
	bool follow = isatty(STDOUT_FILENO);
	long long since = -1;
	double timeout = 0;
	long count = -1;
	char path[128], line[8192];
	size_t used = 0;
	struct timespec start, now;
	int opt, fd, err;

	optind = 1;
	while ((opt = cbpf_getopt(argc, argv, forward_monitor_opts, "monitor")) != -1) {
		char *end = "";

		if (opt == 'c')
			count = strtol(optarg, &end, 10);
		else if (opt == 't')
			timeout = strtod(optarg, &end);
		else if (opt == 's' && parse_since(optarg, &since)) {
			cbpf_err("monitor: --since %s: not a duration (90s, 5m, 2h, 1d) or an "
				 "ISO-8601 UTC time (2026-11-27T17:50:00.123Z)",
				 optarg);
			return 2;
		}
		if (opt == '?' || *end || count == 0 || count < -1 || timeout < 0) {
			cbpf_err(MONITOR_USAGE);
			return 2;
		}
		/* A count or a timeout only means something on a stream that goes on. */
		if (opt == 'f' || opt == 'c' || opt == 't')
			follow = true;
	}
	if (optind != argc) {
		cbpf_err(MONITOR_USAGE);
		return 2;
	}
	err = client_connect(ctx->state_dir, &fd);
	if (err)
		return forward_no_agent(ctx, "monitor", err);
	snprintf(path, sizeof(path), "/v1/events?follow=%d", follow);
	if (count > 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&count=%ld", count);
	if (since >= 0)
		snprintf(path + strlen(path), sizeof(path) - strlen(path), "&since=%lld", since);
	err = client_stream(fd, path);
	if (err) {
		close(fd);
		cbpf_err("monitor: the agent's event stream: %s", strerror(-err));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (count) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char *nl = memchr(line, '\n', used);
		int wait_ms = -1;
		ssize_t n;

		if (nl) {
			*nl = '\0';
			if (!strncmp(line, "data: ", 6) && print_event(ctx, line + 6) && count > 0)
				count--;
			used -= nl + 1 - line;
			memmove(line, nl + 1, used);
			continue;
		}
		if (used == sizeof(line))
			used = 0; /* no event is this long: drop the fragment */
		if (timeout > 0) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			wait_ms = (int)((timeout - (now.tv_sec - start.tv_sec) -
					 (now.tv_nsec - start.tv_nsec) / 1e9) *
					1000);
			if (wait_ms <= 0)
				break;
		}
		n = poll(&p, 1, wait_ms);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		n = read(fd, line + used, sizeof(line) - used);
		if (n <= 0)
			break;
		used += n;
	}
	close(fd);
	return 0;
}
