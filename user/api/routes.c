/*
 * Resource routes turn a JSON body into the words of the matching command and run it in the
 * agent (api/exec.c), so the API and the command line validate, act and fail alike. The event
 * stream and /v1/exec, the command line's own route, are the other two kinds.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "cni/cni.h"
#include "agent/event_feed.h"
#include "api/exec.h"
#include "api/mhd_lib.h"
#include "api/routes.h"

#define MAX_WORDS 40

/* F_WEIGHT: an integer that joins the others in one "--require name=N,..." word. */
enum field_type { F_STRING, F_INT, F_BOOL_ONOFF, F_FLAG, F_POSITIONAL, F_WEIGHT };

/* A body field and the command-line word it becomes. */
struct field {
	const char *key;
	enum field_type type;
	const char *option; /* NULL for positional fields, which come last in table order */
	bool required;
};

struct words {
	char *argv[MAX_WORDS + 1];
	int argc;
	char *owned[MAX_WORDS]; /* numbers printed for the command */
	int n_owned;
};

static void words_add(struct words *w, const char *word)
{
	if (w->argc < MAX_WORDS)
		w->argv[w->argc++] = (char *)word;
}

static void words_free(struct words *w)
{
	for (int i = 0; i < w->n_owned; i++)
		free(w->owned[i]);
}

static const char *status_code(int err, unsigned int *status)
{
	switch (err) {
	case -EINVAL:
	case -ERANGE:
	case -ENAMETOOLONG:
		*status = MHD_HTTP_BAD_REQUEST;
		return "invalid";
	case -ENOENT:
	case -ESRCH:
	case -ENODEV:
		*status = MHD_HTTP_NOT_FOUND;
		return "not-found";
	case -EEXIST:
		*status = MHD_HTTP_CONFLICT;
		return "exists";
	case -EBUSY:
	case -ENOTEMPTY:
	case -EADDRINUSE:
	case -ENOSPC:
		*status = MHD_HTTP_CONFLICT;
		return "conflict";
	case -EAGAIN: /* cluster mode: etcd out of reach, nothing was changed */
		*status = MHD_HTTP_SERVICE_UNAVAILABLE;
		return "unavailable";
	default:
		*status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		return "internal";
	}
}

/* The command's last error line, without the "cbpfnet: " every line starts with. */
static const char *last_message(const struct exec_result *res, char *buf, size_t size)
{
	const char *text = res->errors && res->errors_len ? res->errors : "failed";
	size_t len = strlen(text);
	const char *line;

	while (len && text[len - 1] == '\n')
		len--;
	line = text + len;
	while (line > text && line[-1] != '\n')
		line--;
	if (!strncmp(line, "cbpfnet: ", 9))
		line += 9;
	snprintf(buf, size, "%.*s", (int)(text + len - line), line);
	return buf;
}

/* Runs the words; the reply is the command's JSON document or its error. */
static void run_words(const struct api_call *c, const char *object, struct words *w,
		      struct api_reply *r)
{
	struct exec_request req = {.argv = w->argv, .argc = w->argc, .json = true};
	struct exec_result res;
	char message[1024];

	w->argv[w->argc] = NULL;
	exec_run(c->agent, &req, &res);
	if (res.err) {
		unsigned int status;
		const char *code = status_code(res.err, &status);

		api_error(r, status, code, object, "%s",
			  last_message(&res, message, sizeof(message)));
	} else if (res.out_len) {
		r->status = MHD_HTTP_OK;
		r->doc = json_tokener_parse(res.out);
		if (!r->doc)
			api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", object,
				  "the command printed no JSON");
	} else {
		r->status = MHD_HTTP_OK;
		r->doc = json_object_new_object();
		json_object_object_add(r->doc, "ok", json_object_new_boolean(true));
	}
	exec_result_free(&res);
}

/* The body as one JSON object; NULL (reply set) when it is not. */
static json_object *body_object(const struct api_call *c, struct api_reply *r)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *doc = NULL;

	if (!tok) {
		api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", c->path, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	if (c->body_len)
		doc = json_tokener_parse_ex(tok, c->body, (int)c->body_len);
	if (!doc || tok->char_offset != (int)c->body_len) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "bad-json", c->path,
			  c->body_len ? "request body is not one JSON document: %s at offset %d"
				      : "request body is empty%s%d",
			  c->body_len ? json_tokener_error_desc(json_tokener_get_error(tok)) : "",
			  c->body_len ? (int)tok->char_offset : 0);
		json_object_put(doc);
		doc = NULL;
	} else if (!json_object_is_type(doc, json_type_object)) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "bad-json", c->path,
			  "request body must be a JSON object");
		json_object_put(doc);
		doc = NULL;
	}
	json_tokener_free(tok);
	return doc;
}

static const struct field *find_field(const struct field *fields, const char *key)
{
	for (const struct field *f = fields; f->key; f++)
		if (!strcmp(f->key, key))
			return f;
	return NULL;
}

/* Checks every key of doc against fields and appends the words; false (reply set) if bad. */
static bool own_word(struct words *w, char *word, const char *key, struct api_reply *r)
{
	if (!word || w->n_owned >= MAX_WORDS) {
		free(word);
		api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", key, "out of memory");
		return false;
	}
	w->owned[w->n_owned++] = word;
	words_add(w, word);
	return true;
}

/* The F_WEIGHT fields as "--require name=N,...", in table order; nothing if there are none. */
static bool weight_words(json_object *doc, const struct field *fields, struct words *w,
			 struct api_reply *r)
{
	char spec[256] = "";
	size_t len = 0;

	for (const struct field *f = fields; f->key; f++) {
		json_object *val = json_object_object_get(doc, f->key);

		if (f->type == F_WEIGHT && val)
			len += snprintf(spec + len, sizeof(spec) - len, "%s%s=%lld", len ? "," : "",
					f->key, (long long)json_object_get_int64(val));
	}
	if (!len)
		return true;
	words_add(w, "--require");
	return own_word(w, strdup(spec), "require", r);
}

static bool body_words(json_object *doc, const struct field *fields, struct words *w,
		       struct api_reply *r)
{
	json_object_object_foreach(doc, key, val)
	{
		const struct field *f = find_field(fields, key);
		bool is_string = json_object_is_type(val, json_type_string);

		if (!f) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "unknown-field", key,
				  "unknown field '%s'", key);
			return false;
		}
		if (((f->type == F_STRING || f->type == F_POSITIONAL) && !is_string) ||
		    ((f->type == F_INT || f->type == F_WEIGHT) &&
		     !json_object_is_type(val, json_type_int)) ||
		    ((f->type == F_BOOL_ONOFF || f->type == F_FLAG) &&
		     !json_object_is_type(val, json_type_boolean))) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "wrong-type", key,
				  "field '%s' must be %s", key,
				  f->type == F_INT || f->type == F_WEIGHT	 ? "an integer"
				  : f->type == F_BOOL_ONOFF || f->type == F_FLAG ? "true or false"
										 : "a string");
			return false;
		}
		if (is_string && (size_t)json_object_get_string_len(val) !=
				     strlen(json_object_get_string(val))) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", key,
				  "field '%s' holds a NUL character", key);
			return false;
		}
	}
	for (const struct field *f = fields; f->key; f++) {
		json_object *val = json_object_object_get(doc, f->key);

		if (!val) {
			if (f->required) {
				api_error(r, MHD_HTTP_BAD_REQUEST, "missing-field", f->key,
					  "field '%s' is required", f->key);
				return false;
			}
			continue;
		}
		if (f->type == F_WEIGHT)
			continue;
		if (f->type == F_POSITIONAL) {
			const char *text = json_object_get_string(val);

			/* A leading '-' would read as an option of the command. */
			if (!*text || *text == '-') {
				api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", f->key,
					  "field '%s': '%s' is not a valid name", f->key, text);
				return false;
			}
			words_add(w, text);
			continue;
		}
		if (f->type == F_FLAG) {
			if (json_object_get_boolean(val))
				words_add(w, f->option);
			continue;
		}
		words_add(w, f->option);
		if (f->type == F_BOOL_ONOFF) {
			words_add(w, json_object_get_boolean(val) ? "on" : "off");
		} else if (f->type == F_INT) {
			char *num = NULL;

			if (asprintf(&num, "%lld", (long long)json_object_get_int64(val)) < 0)
				num = NULL;
			if (!own_word(w, num, f->key, r))
				return false;
		} else {
			words_add(w, json_object_get_string(val));
		}
	}
	return weight_words(doc, fields, w, r);
}

/* A route that runs fixed words plus the fields of its body. */
struct route_spec {
	const char *words[4];
	const struct field *fields; /* NULL: no body */
};

static const struct field network_fields[] = {
    {"subnet", F_STRING, "--subnet", true},
    {"gateway", F_STRING, "--gateway", false},
    {"icc", F_BOOL_ONOFF, "--icc", false},
    {"model", F_STRING, "--model", false},
    {"vni", F_INT, "--vni", false},
    {"vlan", F_INT, "--vlan", false},
    {"parent", F_STRING, "--parent", false},
    {"mode", F_STRING, "--mode", false},
    {"require", F_STRING, "--require", false},
    {"mtu", F_INT, "--mtu", false},
    {"host_access", F_FLAG, "--host-access", false},
    {"name", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field network_set_fields[] = {
    {"mode", F_STRING, "--mode", true},
    {NULL, 0, NULL, false},
};

static const struct field endpoint_fields[] = {
    {"net", F_STRING, "--net", true},	     {"netns", F_STRING, "--netns", false},
    {"ip", F_STRING, "--ip", false},	     {"ifname", F_STRING, "--ifname", false},
    {"remote", F_STRING, "--remote", false}, {"mac", F_STRING, "--mac", false},
    {"name", F_POSITIONAL, NULL, true},	     {NULL, 0, NULL, false},
};

static const struct field connect_fields[] = {
    {"net", F_STRING, "--net", true},
    {"ip", F_STRING, "--ip", false},
    {"ifname", F_STRING, "--ifname", false},
    {NULL, 0, NULL, false},
};

static const struct field disconnect_fields[] = {
    {"net", F_STRING, "--net", true},
    {NULL, 0, NULL, false},
};

/* net: to another network; netns (cluster mode): taken over from another node. */
static const struct field move_fields[] = {
    {"net", F_STRING, "--net", false},
    {"netns", F_STRING, "--netns", false},
    {"ip", F_STRING, "--ip", false},
    {NULL, 0, NULL, false},
};

static const struct field node_fields[] = {
    {"underlay", F_STRING, "--underlay", true},
    {"name", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field rule_fields[] = {
    {"from", F_POSITIONAL, NULL, true},
    {"to", F_POSITIONAL, NULL, true},
    {"verdict", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field rule_key_fields[] = {
    {"from", F_POSITIONAL, NULL, true},
    {"to", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field explain_fields[] = {
    {"from", F_POSITIONAL, NULL, true},
    {"to", F_POSITIONAL, NULL, true},
    {"proto", F_POSITIONAL, NULL, false},
    {NULL, 0, NULL, false},
};

/* The four requirements are 0..10 (the command checks); the constraints are yes|no|unknown. */
static const struct field decide_fields[] = {
    {"security", F_WEIGHT, NULL, true},
    {"scale", F_WEIGHT, NULL, true},
    {"efficiency", F_WEIGHT, NULL, true},
    {"extensibility", F_WEIGHT, NULL, true},
    {"same_l2", F_STRING, "--same-l2", false},
    {"parent_free", F_STRING, "--parent-free", false},
    {"passthru", F_FLAG, "--passthru", false},
    {"network", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field confirm_fields[] = {
    {"network", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

static const struct field override_fields[] = {
    {"network", F_POSITIONAL, NULL, true},
    {"model", F_POSITIONAL, NULL, true},
    {NULL, 0, NULL, false},
};

/* Runs spec's words, then `name` (from the path) if given, then the body's fields. */
static void run_spec(const struct api_call *c, const struct route_spec *spec, const char *name,
		     struct api_reply *r)
{
	struct words w = {0};
	json_object *doc = NULL;

	for (int i = 0; i < 4 && spec->words[i]; i++)
		words_add(&w, spec->words[i]);
	if (name) {
		if (!*name || *name == '-') {
			api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", name,
				  "'%s' is not a valid name", name);
			return;
		}
		words_add(&w, name);
	}
	if (spec->fields) {
		doc = body_object(c, r);
		if (!doc || !body_words(doc, spec->fields, &w, r)) {
			json_object_put(doc);
			words_free(&w);
			return;
		}
	} else if (c->body_len) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "unexpected-body", c->path,
			  "%s %s takes no request body", c->method, c->path);
		return;
	}
	run_words(c, name ? name : c->path, &w, r);
	json_object_put(doc);
	words_free(&w);
}

/* POST /v1/exec {"argv": [...], "json": bool, "input": "...", "cwd": "/..."} */
static void route_exec(const struct api_call *c, const char *name, struct api_reply *r)
{
	json_object *doc = body_object(c, r), *argv_doc = NULL, *json_doc = NULL;
	json_object *input_doc = NULL, *cwd_doc = NULL;
	struct exec_request req = {0};
	struct exec_result res;
	char *argv[MAX_WORDS + 1];
	size_t n;

	(void)name;
	if (!doc)
		return;
	json_object_object_foreach(doc, key, val)
	{
		(void)val;
		if (strcmp(key, "argv") && strcmp(key, "json") && strcmp(key, "input") &&
		    strcmp(key, "cwd")) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "unknown-field", key,
				  "unknown field '%s'", key);
			goto out;
		}
	}
	if (!json_object_object_get_ex(doc, "argv", &argv_doc) ||
	    !json_object_is_type(argv_doc, json_type_array) ||
	    (n = json_object_array_length(argv_doc)) < 1 || n > MAX_WORDS) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "wrong-type", "argv",
			  "field 'argv' must be an array of 1 to %d strings", MAX_WORDS);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *word = json_object_array_get_idx(argv_doc, i);

		if (!json_object_is_type(word, json_type_string) ||
		    (size_t)json_object_get_string_len(word) !=
			strlen(json_object_get_string(word))) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "wrong-type", "argv",
				  "argv[%zu] must be a string without NUL characters", i);
			goto out;
		}
		argv[i] = (char *)json_object_get_string(word);
	}
	argv[n] = NULL;
	if ((json_object_object_get_ex(doc, "json", &json_doc) &&
	     !json_object_is_type(json_doc, json_type_boolean)) ||
	    (json_object_object_get_ex(doc, "input", &input_doc) &&
	     !json_object_is_type(input_doc, json_type_string)) ||
	    (json_object_object_get_ex(doc, "cwd", &cwd_doc) &&
	     (!json_object_is_type(cwd_doc, json_type_string) ||
	      json_object_get_string(cwd_doc)[0] != '/'))) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "wrong-type", c->path,
			  "'json' must be a boolean, 'input' a string, 'cwd' an absolute path");
		goto out;
	}
	req.argv = argv;
	req.argc = (int)n;
	req.json = json_doc && json_object_get_boolean(json_doc);
	if (input_doc) {
		req.input = json_object_get_string(input_doc);
		req.input_len = json_object_get_string_len(input_doc);
	}
	req.cwd = cwd_doc ? json_object_get_string(cwd_doc) : NULL;
	req.whole_line = true;
	exec_run(c->agent, &req, &res);
	r->status = MHD_HTTP_OK;
	r->doc = json_object_new_object();
	json_object_object_add(r->doc, "exit", json_object_new_int(res.err ? 1 : 0));
	json_object_object_add(
	    r->doc, "stdout", json_object_new_string_len(res.out ? res.out : "", (int)res.out_len));
	json_object_object_add(
	    r->doc, "stderr",
	    json_object_new_string_len(res.errors ? res.errors : "", (int)res.errors_len));
	exec_result_free(&res);
out:
	json_object_put(doc);
}

struct cni_call {
	struct cni_request req;
	json_object *result;
};

static int run_cni(struct agent *a, void *arg)
{
	struct cni_call *call = arg;

	return cni_serve(&a->ctx, &call->req, &call->result);
}

/*
 * POST /v1/cni {"command", "container_id", "netns", "ifname", "network", "cni_version"}: the
 * plugin's ADD, DEL or CHECK; 200 with ADD's result document ({} otherwise).
 */
static void route_cni(const struct api_call *c, const char *name, struct api_reply *r)
{
	static const char *const keys[] = {"command", "container_id", "netns",
					   "ifname",  "network",      "cni_version"};
	json_object *doc = body_object(c, r), *v[6] = {NULL}, *conf;
	struct cni_call call = {0};
	struct exec_result res;
	struct cni_env env;
	char message[1024];

	(void)name;
	if (!doc)
		return;
	json_object_object_foreach(doc, key, val)
	{
		size_t i = 0;

		while (i < 6 && strcmp(keys[i], key))
			i++;
		if (i == 6 || !json_object_is_type(val, json_type_string) ||
		    (size_t)json_object_get_string_len(val) !=
			strlen(json_object_get_string(val))) {
			api_error(
			    r, MHD_HTTP_BAD_REQUEST, i == 6 ? "unknown-field" : "wrong-type", key,
			    i == 6 ? "unknown field '%s'" : "field '%s' must be a string", key);
			json_object_put(doc);
			return;
		}
		v[i] = val;
	}
	if (!v[0] || !v[4] || !v[5]) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "missing-field", c->path,
			  "command, network and cni_version are required");
		json_object_put(doc);
		return;
	}
	conf = json_object_new_object();
	json_object_object_add(conf, "cniVersion", json_object_get(v[5]));
	json_object_object_add(conf, "name", json_object_get(v[4]));
	env = (struct cni_env){
	    .container = v[1] ? json_object_get_string(v[1]) : NULL,
	    .netns = v[2] ? json_object_get_string(v[2]) : NULL,
	    .ifname = v[3] ? json_object_get_string(v[3]) : NULL,
	};
	if (cni_parse_request(conf, &env, &call.req)) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", c->path, "%s", call.req.err_msg);
	} else {
		call.req.command = json_object_get_string(v[0]);
		exec_call(c->agent, run_cni, &call, NULL, &res);
		if (res.err) {
			unsigned int status;
			const char *code = status_code(res.err, &status);

			api_error(r, status, code, call.req.endpoint, "%s",
				  last_message(&res, message, sizeof(message)));
		} else {
			r->status = MHD_HTTP_OK;
			r->doc = call.result ? call.result : json_object_new_object();
		}
		exec_result_free(&res);
	}
	json_object_put(conf);
	json_object_put(doc);
}

/*
 * A stream's reader: one event per SSE message, named by its type, a comment every few
 * seconds to keep it. Log lines kept from before the request come first.
 */
struct stream {
	struct agent_events *ev;
	unsigned int types;
	uint64_t seq;
	long left;	  /* events still to send; < 0: no limit */
	uint64_t since;	  /* CLOCK_MONOTONIC ns: older datapath events are not sent */
	uint64_t end_seq; /* without follow: the stream ends here; UINT64_MAX with follow */
	char **backlog;
	uint64_t *backlog_seq;
	size_t n_backlog, backlog_sent;
	char *pending;
	size_t len, off;
};

/* The next message of s in s->pending; 0, or MHD's end codes. */
static ssize_t stream_next(struct stream *s)
{
	char *json = NULL;
	enum event_type type = EVENT_FLOW;
	uint64_t lost = 0, id, ts = 0;
	int err;

	if (!s->left || (s->backlog_sent == s->n_backlog && s->seq >= s->end_seq))
		return MHD_CONTENT_READER_END_OF_STREAM;
	free(s->pending);
	s->pending = NULL;
	s->len = s->off = 0;
	if (s->backlog_sent < s->n_backlog) {
		id = s->backlog_seq[s->backlog_sent];
		json = s->backlog[s->backlog_sent];
		s->backlog[s->backlog_sent++] = NULL;
		type = EVENT_LOG;
		err = 0;
	} else {
		err = events_wait(s->ev, s->types, &s->seq, &json, &type, &ts, &lost, 5000);
		id = s->seq - 1;
		/* The ring buffer may hand the agent events from before the stream's start. */
		if (!err && ts && ts < s->since) {
			free(json);
			return 0;
		}
	}
	if (err == -ESHUTDOWN)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (err == -EAGAIN)
		s->pending = strdup(": keepalive\n\n");
	else if (err == -EOVERFLOW &&
		 asprintf(&s->pending, "event: lost\ndata: {\"lost\": %llu}\n\n",
			  (unsigned long long)lost) < 0)
		s->pending = NULL;
	else if (!err) {
		if (asprintf(&s->pending, "id: %llu\nevent: %s\ndata: %s\n\n",
			     (unsigned long long)id, event_type_name(type), json) < 0)
			s->pending = NULL;
		if (s->left > 0)
			s->left--;
	}
	free(json);
	if (!s->pending)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	s->len = strlen(s->pending);
	return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n;

	(void)pos;
	while (s->off == s->len) {
		ssize_t end = stream_next(s);

		if (end)
			return end;
	}
	n = s->len - s->off < max ? s->len - s->off : max;
	memcpy(buf, s->pending + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;

	for (size_t i = 0; i < s->n_backlog; i++)
		free(s->backlog[i]);
	free(s->backlog);
	free(s->backlog_seq);
	free(s->pending);
	free(s);
}

/* Unix time in ms (?since=) as CLOCK_MONOTONIC ns, the datapath's clock; 0 if before boot. */
static uint64_t mono_of_unix_ms(long long ms)
{
	struct timespec mono, real;
	int64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	ns = (int64_t)mono.tv_sec * 1000000000 + mono.tv_nsec -
	     ((int64_t)real.tv_sec * 1000000000 + real.tv_nsec - (int64_t)ms * 1000000);
	return ns > 0 ? (uint64_t)ns : 0;
}

/*
 * GET /v1/events[?count=N][&types=flow,change,log][&since=UNIX_MS][&follow=0]: Server-Sent
 * Events of the datapath (flow, the default), the store (change) and the agent's log (log), from
 * now on or from the kept events since a time; without follow the stream ends at the events kept
 * when asked.
 */
static void route_events(const struct api_call *c, const char *name, struct api_reply *r)
{
	unsigned int types = EVENT_MASK(EVENT_FLOW);
	struct stream *s;
	char *end = NULL;
	long count = -1;
	long long since = -1;
	uint64_t next;

	(void)name;
	if (c->query_count) {
		count = strtol(c->query_count, &end, 10);
		if (!*c->query_count || *end || count < 1) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "count",
				  "count must be a positive integer, not '%s'", c->query_count);
			return;
		}
	}
	if (c->query_since) {
		since = strtoll(c->query_since, &end, 10);
		if (!*c->query_since || *end || since < 0) {
			api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "since",
				  "since must be a Unix time in milliseconds, not '%s'",
				  c->query_since);
			return;
		}
	}
	if (c->query_follow && strcmp(c->query_follow, "0") && strcmp(c->query_follow, "1")) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "follow",
			  "follow must be 0 or 1, not '%s'", c->query_follow);
		return;
	}
	if (c->query_types && event_types_parse(c->query_types, &types)) {
		api_error(r, MHD_HTTP_BAD_REQUEST, "invalid", "types",
			  "types must list flow, change or log, separated by commas, not '%s'",
			  c->query_types);
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s || events_subscribe(c->agent->events, types, &s->seq, &s->backlog, &s->backlog_seq,
				   &s->n_backlog)) {
		free(s);
		api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", c->path, "out of memory");
		return;
	}
	s->ev = c->agent->events;
	s->types = types;
	next = s->seq;
	if (since < 0) {
		struct timespec now;

		clock_gettime(CLOCK_MONOTONIC, &now);
		s->since = (uint64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	} else {
		s->since = mono_of_unix_ms(since);
		s->seq = events_since(s->ev, s->since);
	}
	s->end_seq = c->query_follow && !strcmp(c->query_follow, "0") ? next : UINT64_MAX;
	s->left = count;
	/* Sent at once: some browsers report a stream open only once its first bytes came. */
	s->pending = strdup(": open\n\n");
	s->len = s->pending ? strlen(s->pending) : 0;
	r->response = mhd_lib.create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s,
							    stream_free);
	if (!r->response) {
		stream_free(s);
		api_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", c->path,
			  "cannot create the stream");
		return;
	}
	mhd_lib.add_response_header(r->response, "Content-Type", "text/event-stream");
	mhd_lib.add_response_header(r->response, "Cache-Control", "no-cache");
	r->status = MHD_HTTP_OK;
}

typedef void (*route_fn)(const struct api_call *c, const char *name, struct api_reply *r);

struct route {
	const char *method;
	const char *pattern; /* '*' stands for one path segment, the object's name */
	route_fn fn;
	struct route_spec spec; /* for fn == NULL: run these words */
};

static const struct route routes[] = {
    {"GET", "/v1/status", NULL, {{"status"}, NULL}},
    {"GET", "/v1/networks", NULL, {{"net", "list"}, NULL}},
    {"POST", "/v1/networks", NULL, {{"net", "create"}, network_fields}},
    {"PATCH", "/v1/networks/*", NULL, {{"net", "set"}, network_set_fields}},
    {"DELETE", "/v1/networks/*", NULL, {{"net", "delete"}, NULL}},
    {"GET", "/v1/endpoints", NULL, {{"ep", "list"}, NULL}},
    {"POST", "/v1/endpoints", NULL, {{"ep", "add"}, endpoint_fields}},
    {"DELETE", "/v1/endpoints/*", NULL, {{"ep", "del"}, NULL}},
    {"POST", "/v1/endpoints/*/connect", NULL, {{"ep", "connect"}, connect_fields}},
    {"POST", "/v1/endpoints/*/disconnect", NULL, {{"ep", "disconnect"}, disconnect_fields}},
    {"POST", "/v1/endpoints/*/move", NULL, {{"ep", "move"}, move_fields}},
    {"GET", "/v1/nodes", NULL, {{"node", "list"}, NULL}},
    {"POST", "/v1/nodes", NULL, {{"node", "add"}, node_fields}},
    {"DELETE", "/v1/nodes/*", NULL, {{"node", "del"}, NULL}},
    {"GET", "/v1/policy/rules", NULL, {{"policy", "list"}, NULL}},
    {"POST", "/v1/policy/rules", NULL, {{"policy", "set"}, rule_fields}},
    {"DELETE", "/v1/policy/rules", NULL, {{"policy", "del"}, rule_key_fields}},
    {"POST", "/v1/policy/reload", NULL, {{"policy", "reload"}, NULL}},
    {"POST", "/v1/policy/explain", NULL, {{"policy", "explain"}, explain_fields}},
    {"GET", "/v1/policy/stats", NULL, {{"policy", "stats"}, NULL}},
    {"POST", "/v1/sync", NULL, {{"load"}, NULL}},
    {"POST", "/v1/model/decide", NULL, {{"model", "decide"}, decide_fields}},
    {"POST", "/v1/model/confirm", NULL, {{"model", "confirm"}, confirm_fields}},
    {"POST", "/v1/model/override", NULL, {{"model", "override"}, override_fields}},
    {"GET", "/v1/model/history", NULL, {{"model", "history"}, NULL}},
    {"POST", "/v1/exec", route_exec, {{NULL}, NULL}},
    {"POST", "/v1/cni", route_cni, {{NULL}, NULL}},
    {"GET", "/v1/events", route_events, {{NULL}, NULL}},
    {NULL, NULL, NULL, {{NULL}, NULL}},
};

bool api_route_info(size_t i, const char **method, const char **pattern, bool *custom)
{
	if (i >= sizeof(routes) / sizeof(routes[0]) - 1)
		return false;
	*method = routes[i].method;
	*pattern = routes[i].pattern;
	*custom = routes[i].fn != NULL;
	return true;
}

bool api_route_field(size_t i, size_t j, const char **key, bool *required)
{
	const struct field *fields;

	if (i >= sizeof(routes) / sizeof(routes[0]) - 1 || !(fields = routes[i].spec.fields))
		return false;
	for (size_t k = 0; k < j; k++)
		if (!fields[k].key)
			return false;
	if (!fields[j].key)
		return false;
	*key = fields[j].key;
	*required = fields[j].required;
	return true;
}

/* Matches path against pattern; *name gets the segment '*' stood for (in buf). */
static bool match(const char *pattern, const char *path, char *buf, size_t size, const char **name)
{
	*name = NULL;
	while (*pattern && *path) {
		if (*pattern == '*') {
			size_t len = strcspn(path, "/");

			if (!len || len >= size)
				return false;
			memcpy(buf, path, len);
			buf[len] = '\0';
			*name = buf;
			path += len;
			pattern++;
		} else if (*pattern++ != *path++) {
			return false;
		}
	}
	return !*pattern && !*path;
}

void api_route(const struct api_call *call, struct api_reply *reply)
{
	bool path_known = false;
	char buf[256];
	const char *name;

	for (const struct route *rt = routes; rt->method; rt++) {
		if (!match(rt->pattern, call->path, buf, sizeof(buf), &name))
			continue;
		path_known = true;
		if (strcmp(rt->method, call->method))
			continue;
		if (rt->fn)
			rt->fn(call, name, reply);
		else
			run_spec(call, &rt->spec, name, reply);
		return;
	}
	if (path_known)
		api_error(reply, MHD_HTTP_METHOD_NOT_ALLOWED, "method-not-allowed", call->path,
			  "%s is not allowed on %s", call->method, call->path);
	else
		api_error(reply, MHD_HTTP_NOT_FOUND, "no-route", call->path, "no route %s %s",
			  call->method, call->path);
}
