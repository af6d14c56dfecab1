#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_parse.h"

/* Length of the run of JSON whitespace at the start of p[0..len). */
static size_t ws_len(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' || p[i] == '\n'))
		i++;
	return i;
}

static const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int etcd_b64_encode(const void *in, size_t len, char **out)
{
	const unsigned char *p = in;
	char *s, *o;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return -EOVERFLOW;
	s = malloc((len + 2) / 3 * 4 + 1);
	if (!s)
		return -ENOMEM;
	o = s;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;

		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		*o++ = b64_chars[v >> 18 & 63];
		*o++ = b64_chars[v >> 12 & 63];
		*o++ = i + 1 < len ? b64_chars[v >> 6 & 63] : '=';
		*o++ = i + 2 < len ? b64_chars[v & 63] : '=';
	}
	*o = '\0';
	*out = s;
	return 0;
}

static int b64_value(char c)
{
	const char *at = c ? strchr(b64_chars, c) : NULL;

	return at ? (int)(at - b64_chars) : -1;
}

int etcd_b64_decode(const char *in, size_t len, char **out, size_t *out_len)
{
	size_t pad = 0, n = 0;
	char *s;

	if (len % 4)
		return -EBADMSG;
	while (pad < 2 && len > pad && in[len - 1 - pad] == '=')
		pad++;
	s = malloc(len / 4 * 3 + 1);
	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;

		for (size_t j = 0; j < 4; j++) {
			int d = i + j >= len - pad ? 0 : b64_value(in[i + j]);

			if (d < 0) {
				free(s);
				return -EBADMSG;
			}
			v = v << 6 | (uint32_t)d;
		}
		s[n++] = (char)(v >> 16);
		if (i + 4 < len || pad < 2)
			s[n++] = (char)(v >> 8);
		if (i + 4 < len || pad < 1)
			s[n++] = (char)v;
	}
	s[n] = '\0';
	*out = s;
	*out_len = n;
	return 0;
}

int etcd_json_i64(struct json_object *obj, const char *name, int64_t *v)
{
	struct json_object *f;
	const char *s;
	char *end;

	*v = 0;
	if (!json_object_object_get_ex(obj, name, &f) || json_object_is_type(f, json_type_null))
		return 0;
	if (json_object_is_type(f, json_type_int)) {
		*v = json_object_get_int64(f);
		return 0;
	}
	if (!json_object_is_type(f, json_type_string))
		return -EBADMSG;
	s = json_object_get_string(f);
	errno = 0;
	*v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -EBADMSG;
	return 0;
}

int etcd_parse_body(const char *buf, size_t len, struct json_object **out, char *err, size_t errlen)
{
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error je;
	size_t end;

	if (len > ETCD_STREAM_MAX) {
		snprintf(err, errlen, "answer of %zu bytes is too long", len);
		return -EMSGSIZE;
	}
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, buf, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!o || je != json_tokener_success) {
		snprintf(err, errlen, "answer is not JSON (%s)",
			 je == json_tokener_continue ? "truncated" : json_tokener_error_desc(je));
		json_object_put(o);
		return -EBADMSG;
	}
	if (!json_object_is_type(o, json_type_object) ||
	    ws_len(buf + end, len - end) != len - end) {
		snprintf(err, errlen, "answer is not one JSON object");
		json_object_put(o);
		return -EBADMSG;
	}
	*out = o;
	return 0;
}

/* gRPC status codes (google.golang.org/grpc/codes) as errno. */
static int grpc_errno(int64_t code)
{
	switch (code) {
	case 1: /* Canceled */
		return -ECANCELED;
	case 3: /* InvalidArgument */
		return -EINVAL;
	case 4: /* DeadlineExceeded */
		return -ETIMEDOUT;
	case 5: /* NotFound */
		return -ENOENT;
	case 6: /* AlreadyExists */
		return -EEXIST;
	case 7:	 /* PermissionDenied */
	case 16: /* Unauthenticated */
		return -EACCES;
	case 8: /* ResourceExhausted */
		return -ENOSPC;
	case 9: /* FailedPrecondition */
		return -EPERM;
	case 11: /* OutOfRange: a compacted or future revision */
		return -ESTALE;
	case 12: /* Unimplemented */
		return -EOPNOTSUPP;
	case 14: /* Unavailable: no leader, stopping */
		return -EAGAIN;
	default:
		return -EIO;
	}
}

int etcd_parse_error(struct json_object *body, char *err, size_t errlen)
{
	struct json_object *e, *m;
	int64_t code = 0;

	if (!json_object_object_get_ex(body, "error", &e)) {
		snprintf(err, errlen, "error answer without an error");
		return -EIO;
	}
	if (json_object_is_type(e, json_type_object)) {
		if (etcd_json_i64(e, "grpc_code", &code))
			code = 0;
		body = e;
	} else if (etcd_json_i64(body, "code", &code)) {
		code = 0;
	}
	if (!json_object_object_get_ex(body, "message", &m) ||
	    !json_object_is_type(m, json_type_string))
		m = json_object_is_type(e, json_type_string) ? e : NULL;
	snprintf(err, errlen, "%s (gRPC code %" PRId64 ")", m ? json_object_get_string(m) : "?",
		 code);
	return grpc_errno(code);
}

static int b64_field(struct json_object *obj, const char *name, char **out, size_t *len)
{
	struct json_object *f;
	const char *s = "";

	if (json_object_object_get_ex(obj, name, &f)) {
		if (!json_object_is_type(f, json_type_string))
			return -EBADMSG;
		s = json_object_get_string(f);
	}
	return etcd_b64_decode(s, strlen(s), out, len);
}

int etcd_parse_kv(struct json_object *obj, struct etcd_kv *kv, char *err, size_t errlen)
{
	int r;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "key-value is not an object");
		return -EBADMSG;
	}
	r = b64_field(obj, "key", &kv->key, &kv->key_len);
	if (!r)
		r = b64_field(obj, "value", &kv->value, &kv->value_len);
	if (!r)
		r = etcd_json_i64(obj, "create_revision", &kv->create_revision);
	if (!r)
		r = etcd_json_i64(obj, "mod_revision", &kv->mod_revision);
	if (!r)
		r = etcd_json_i64(obj, "version", &kv->version);
	if (!r)
		r = etcd_json_i64(obj, "lease", &kv->lease);
	if (r) {
		snprintf(err, errlen, "malformed key-value (%s)", strerror(-r));
		free(kv->key);
		free(kv->value);
		memset(kv, 0, sizeof(*kv));
	}
	return r;
}

void etcd_kvs_free(struct etcd_kv *kvs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
}

int etcd_parse_kvs(struct json_object *obj, struct etcd_kv **kvs, size_t *n, char *err,
		   size_t errlen)
{
	struct json_object *arr;
	struct etcd_kv *v;
	size_t len;
	int r;

	*kvs = NULL;
	*n = 0;
	if (!json_object_object_get_ex(obj, "kvs", &arr))
		return 0;
	if (!json_object_is_type(arr, json_type_array)) {
		snprintf(err, errlen, "kvs is not an array");
		return -EBADMSG;
	}
	len = json_object_array_length(arr);
	if (!len)
		return 0;
	v = calloc(len, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		r = etcd_parse_kv(json_object_array_get_idx(arr, i), &v[i], err, errlen);
		if (r) {
			etcd_kvs_free(v, i);
			return r;
		}
	}
	*kvs = v;
	*n = len;
	return 0;
}

int etcd_parse_revision(struct json_object *obj, int64_t *revision, char *err, size_t errlen)
{
	struct json_object *h;

	*revision = 0;
	if (!json_object_object_get_ex(obj, "header", &h) ||
	    etcd_json_i64(h, "revision", revision)) {
		snprintf(err, errlen, "answer without a header revision");
		return -EBADMSG;
	}
	return 0;
}

static int parse_event(struct json_object *obj, struct etcd_event *ev, char *err, size_t errlen)
{
	struct json_object *t, *kv;
	const char *type = "PUT";

	memset(ev, 0, sizeof(*ev));
	if (!json_object_is_type(obj, json_type_object)) {
		snprintf(err, errlen, "event is not an object");
		return -EBADMSG;
	}
	if (json_object_object_get_ex(obj, "type", &t))
		type = json_object_get_string(t);
	if (!strcmp(type, "PUT")) {
		ev->type = ETCD_EV_PUT;
	} else if (!strcmp(type, "DELETE")) {
		ev->type = ETCD_EV_DELETE;
	} else {
		snprintf(err, errlen, "unknown event type '%.32s'", type);
		return -EBADMSG;
	}
	if (!json_object_object_get_ex(obj, "kv", &kv)) {
		snprintf(err, errlen, "event without a key-value");
		return -EBADMSG;
	}
	if (etcd_parse_kv(kv, &ev->kv, err, errlen))
		return -EBADMSG;
	ev->revision = ev->kv.mod_revision;
	return 0;
}

static void free_events(struct etcd_event *evs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(evs[i].kv.key);
		free(evs[i].kv.value);
	}
	free(evs);
}

static bool get_bool(struct json_object *obj, const char *name)
{
	struct json_object *f;

	return json_object_object_get_ex(obj, name, &f) && json_object_get_boolean(f);
}

/* One message {"result": {...}} or {"error": {...}} of the watch stream. */
static int parse_watch_resp(struct json_object *msg, struct etcd_watch_resp *r, char *err,
			    size_t errlen)
{
	struct json_object *res, *evs, *reason;
	size_t n;
	int e;

	memset(r, 0, sizeof(*r));
	if (json_object_object_get_ex(msg, "error", NULL)) {
		r->err = etcd_parse_error(msg, err, errlen);
		return 0;
	}
	if (!json_object_object_get_ex(msg, "result", &res) ||
	    !json_object_is_type(res, json_type_object)) {
		snprintf(err, errlen, "watch message without a result");
		return -EBADMSG;
	}
	r->created = get_bool(res, "created");
	r->canceled = get_bool(res, "canceled");
	if (json_object_object_get_ex(res, "cancel_reason", &reason))
		r->cancel_reason = json_object_get_string(reason);
	if (etcd_json_i64(res, "compact_revision", &r->compact_revision) ||
	    etcd_parse_revision(res, &r->revision, err, errlen)) {
		snprintf(err, errlen, "malformed watch message");
		return -EBADMSG;
	}
	if (!json_object_object_get_ex(res, "events", &evs))
		return 0;
	if (!json_object_is_type(evs, json_type_array)) {
		snprintf(err, errlen, "watch events is not an array");
		return -EBADMSG;
	}
	n = json_object_array_length(evs);
	if (!n)
		return 0;
	r->events = calloc(n, sizeof(*r->events));
	if (!r->events)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		e = parse_event(json_object_array_get_idx(evs, i), &r->events[i], err, errlen);
		if (e) {
			free_events(r->events, i);
			r->events = NULL;
			return e;
		}
	}
	r->n_events = n;
	return 0;
}

int etcd_stream_init(struct etcd_stream *s)
{
	memset(s, 0, sizeof(*s));
	s->tok = json_tokener_new();
	return s->tok ? 0 : -ENOMEM;
}

void etcd_stream_reset(struct etcd_stream *s)
{
	json_tokener_reset(s->tok);
	s->pending = 0;
	s->err[0] = '\0';
}

void etcd_stream_fini(struct etcd_stream *s)
{
	if (s->tok)
		json_tokener_free(s->tok);
	s->tok = NULL;
}

static int deliver(struct etcd_stream *s, struct json_object *msg, etcd_stream_fn fn, void *arg)
{
	struct etcd_watch_resp r;
	int e;

	if (!json_object_is_type(msg, json_type_object)) {
		snprintf(s->err, sizeof(s->err), "watch message is not an object");
		return -EBADMSG;
	}
	e = parse_watch_resp(msg, &r, s->err, sizeof(s->err));
	if (e)
		return e;
	e = fn(arg, &r);
	free_events(r.events, r.n_events);
	return e;
}

int etcd_stream_feed(struct etcd_stream *s, const char *data, size_t len, etcd_stream_fn fn,
		     void *arg)
{
	while (len) {
		size_t chunk = len > (1u << 20) ? 1u << 20 : len, used;
		struct json_object *msg;
		enum json_tokener_error je;
		int e;

		/* Whitespace between messages is not the start of one. */
		if (!s->pending) {
			used = ws_len(data, len);
			if (used) {
				data += used;
				len -= used;
				continue;
			}
		}
		msg = json_tokener_parse_ex(s->tok, data, (int)chunk);
		je = json_tokener_get_error(s->tok);
		if (je == json_tokener_continue) {
			s->pending += chunk;
			if (s->pending > ETCD_STREAM_MAX) {
				snprintf(s->err, sizeof(s->err),
					 "watch message longer than %u bytes", ETCD_STREAM_MAX);
				return -EMSGSIZE;
			}
			data += chunk;
			len -= chunk;
			continue;
		}
		if (je != json_tokener_success || !msg) {
			snprintf(s->err, sizeof(s->err), "watch stream is not JSON (%s)",
				 json_tokener_error_desc(je));
			return -EBADMSG;
		}
		used = json_tokener_get_parse_end(s->tok);
		json_tokener_reset(s->tok);
		s->pending = 0;
		e = deliver(s, msg, fn, arg);
		json_object_put(msg);
		if (e)
			return e;
		data += used;
		len -= used;
	}
	return 0;
}
