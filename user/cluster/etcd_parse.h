/*
 * Pure parsing of etcd's JSON gateway answers: no I/O, no globals, so a fuzzer can drive every
 * function here with arbitrary bytes. Errors are -errno with a reason written to err.
 */
#ifndef CBPF_ETCD_PARSE_H
#define CBPF_ETCD_PARSE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/etcd.h"

/* Base64 (RFC 4648, padded), which the gateway uses for every key and value. */
int etcd_b64_encode(const void *in, size_t len, char **out);
/* *out is NUL-terminated so that text values read as strings; *out_len excludes the NUL. */
int etcd_b64_decode(const char *in, size_t len, char **out, size_t *out_len);

/*
 * An int64 field: the gateway writes them as strings and omits them when 0, so an absent field
 * reads as 0. -EBADMSG when the field is neither an integer nor a string holding one.
 */
int etcd_json_i64(struct json_object *obj, const char *name, int64_t *v);

/* The whole body of a unary answer as one JSON object. */
int etcd_parse_body(const char *buf, size_t len, struct json_object **out, char *err,
		    size_t errlen);

/*
 * An error answer {"error": "...", "message": "...", "code": N} (or the stream form
 * {"error": {"grpc_code": N, "message": "..."}}): the gRPC code as -errno, the message in err.
 */
int etcd_parse_error(struct json_object *body, char *err, size_t errlen);

int etcd_parse_kv(struct json_object *obj, struct etcd_kv *kv, char *err, size_t errlen);
/* The "kvs" array of a range answer; absent means none. *kvs is NULL when *n is 0. */
int etcd_parse_kvs(struct json_object *obj, struct etcd_kv **kvs, size_t *n, char *err,
		   size_t errlen);
/* header.revision of an answer. */
int etcd_parse_revision(struct json_object *obj, int64_t *revision, char *err, size_t errlen);

/* One message of a watch stream. */
struct etcd_watch_resp {
	bool created;
	bool canceled;
	int64_t revision;	  /* header.revision */
	int64_t compact_revision; /* > 0 when canceled because the start revision was compacted */
	const char *cancel_reason;
	int err; /* an {"error": ...} message: -errno; msg in the caller's err */
	struct etcd_event *events;
	size_t n_events;
};

typedef int (*etcd_stream_fn)(void *arg, const struct etcd_watch_resp *r);

/*
 * Splits a stream of concatenated JSON messages that arrives in arbitrary pieces and calls fn
 * for each complete one. A message may not exceed ETCD_STREAM_MAX bytes (-EMSGSIZE). fn's
 * non-zero return stops feeding and is returned.
 */
#define ETCD_STREAM_MAX (64u << 20)

struct etcd_stream {
	struct json_tokener *tok;
	size_t pending;
	char err[256];
};

int etcd_stream_init(struct etcd_stream *s);
void etcd_stream_reset(struct etcd_stream *s);
void etcd_stream_fini(struct etcd_stream *s);
int etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len, etcd_stream_fn fn,
		     void *arg);

#endif
