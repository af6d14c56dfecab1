#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "ep/ep.h"
#include "ep/ep_batch.h"
#include "json/json_in.h"

static const char *const add_fields[] = {"op",	   "name",   "net", "netns",	    "ip",
					 "ifname", "remote", "mac", "create_netns", NULL};
static const char *const del_fields[] = {"op", "name", "delete_netns", NULL};

static bool listed(const char *const *fields, const char *key)
{
	for (; *fields; fields++)
		if (!strcmp(*fields, key))
			return true;
	return false;
}

static const char *string_of(json_object *op, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(op, key, &value) ? json_object_get_string(value) : NULL;
}

static bool flag_of(json_object *op, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(op, key, &value) && json_object_get_boolean(value);
}

/* Entry n (from 1): an object whose fields fit its op, as `ep add` / `ep del` would take them. */
static int check_op(json_object *op, size_t n)
{
	const char *kind, *name;
	const char *const *fields;
	bool add;

	if (!json_object_is_type(op, json_type_object)) {
		cbpf_err("ep apply: entry %zu is not a JSON object", n);
		return -EINVAL;
	}
	kind = string_of(op, "op");
	name = string_of(op, "name");
	if (!kind || (strcmp(kind, "add") && strcmp(kind, "del"))) {
		cbpf_err("ep apply: entry %zu: \"op\" must be \"add\" or \"del\"", n);
		return -EINVAL;
	}
	if (!name) {
		cbpf_err("ep apply: entry %zu: missing \"name\"", n);
		return -EINVAL;
	}
	add = !strcmp(kind, "add");
	fields = add ? add_fields : del_fields;
	json_object_object_foreach(op, key, value)
	{
		bool flag = !strcmp(key, "create_netns") || !strcmp(key, "delete_netns");

		if (!listed(fields, key)) {
			cbpf_err("ep apply: entry %zu (%s %s): unknown field \"%s\"", n, kind, name,
				 key);
			return -EINVAL;
		}
		if (!json_object_is_type(value, flag ? json_type_boolean : json_type_string)) {
			cbpf_err("ep apply: entry %zu (%s %s): \"%s\" must be %s", n, kind, name,
				 key, flag ? "true or false" : "a string");
			return -EINVAL;
		}
	}
	if (add && (!string_of(op, "net") || !string_of(op, "netns") == !string_of(op, "remote") ||
		    (string_of(op, "remote") && !string_of(op, "ip")))) {
		cbpf_err("ep apply: entry %zu (add %s): needs \"net\" and either \"netns\" or "
			 "\"remote\" with \"ip\"",
			 n, name);
		return -EINVAL;
	}
	if (add && flag_of(op, "create_netns") && !string_of(op, "netns")) {
		cbpf_err("ep apply: entry %zu (add %s): \"create_netns\" needs \"netns\"", n, name);
		return -EINVAL;
	}
	return 0;
}

int ep_batch_parse(const char *text, size_t len, json_object **ops)
{
	size_t pos = strspn(text, " \t\r\n");
	struct json_in_error je;
	int err = 0;

	*ops = json_object_new_array();
	while (!err && pos < len) {
		json_object *doc;
		size_t used;

		err = json_in_parse(text + pos, len - pos, true, &doc, &used, &je);
		if (err == -EINVAL) {
			cbpf_err("ep apply: line %d (entry %zu): %s",
				 json_in_line(text, pos + je.offset),
				 json_object_array_length(*ops) + 1, je.what);
			break;
		}
		if (err)
			break;
		if (!doc) {
			cbpf_err("ep apply: entry %zu is not a JSON object",
				 json_object_array_length(*ops) + 1);
			err = -EINVAL;
			break;
		}
		pos += used;
		pos += strspn(text + pos, " \t\r\n");
		if (json_object_is_type(doc, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(doc); i++)
				json_object_array_add(
				    *ops, json_object_get(json_object_array_get_idx(doc, i)));
			json_object_put(doc);
		} else {
			json_object_array_add(*ops, doc);
		}
	}
	for (size_t i = 0; !err && i < json_object_array_length(*ops); i++)
		err = check_op(json_object_array_get_idx(*ops, i), i + 1);
	if (err) {
		json_object_put(*ops);
		*ops = NULL;
	}
	return err;
}

static int run_add(struct ep_session *s, json_object *op, char ip[CBPF_IP_STRLEN])
{
	struct ep_request req = {
	    .name = string_of(op, "name"),
	    .net = string_of(op, "net"),
	    .netns = string_of(op, "netns"),
	    .ip = string_of(op, "ip"),
	    .ifname = string_of(op, "ifname") ? string_of(op, "ifname") : "eth0",
	    .remote = string_of(op, "remote"),
	    .mac = string_of(op, "mac"),
	    .create_netns = flag_of(op, "create_netns"),
	};
	struct cbpf_endpoint ep;
	int err = ep_session_add(s, &req, &ep);

	if (!err)
		cbpf_format_ip(ep.ip, ip);
	return err;
}

static json_object *result_of(json_object *op, double ms, int err, const char *error)
{
	json_object *result = json_object_new_object();

	json_object_object_add(result, "op", json_object_new_string(string_of(op, "op")));
	json_object_object_add(result, "name", json_object_new_string(string_of(op, "name")));
	json_object_object_add(result, "ms", json_object_new_double(ms));
	json_object_object_add(result, "ok", json_object_new_boolean(!err));
	if (err)
		json_object_object_add(result, "error", json_object_new_string(error));
	return result;
}

static bool is_del(json_object *op)
{
	return !strcmp(string_of(op, "op"), "del");
}

/* Consecutive deletes go together, their links removed on several threads. */
static int run_dels(struct ep_session *s, json_object *ops, size_t first, size_t n,
		    json_object *results, size_t *failed)
{
	struct ep_del_op *dels = calloc(n, sizeof(*dels));

	if (!dels)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		json_object *op = json_object_array_get_idx(ops, first + i);

		dels[i].name = string_of(op, "name");
		dels[i].delete_netns = flag_of(op, "delete_netns");
	}
	ep_session_del_many(s, dels, n);
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(results, result_of(json_object_array_get_idx(ops, first + i),
							 dels[i].ms, dels[i].err, dels[i].error));
		*failed += dels[i].err != 0;
	}
	free(dels);
	return 0;
}

int ep_batch_run(const struct cbpf_ctx *ctx, json_object *ops, json_object **report)
{
	json_object *results = json_object_new_array();
	double start = ep_now_ms(), t;
	size_t failed = 0;
	struct ep_session s;
	int err;

	*report = json_object_new_object();
	json_object_object_add(*report, "ops", results);
	err = ep_session_open(ctx, &s);
	if (err)
		return err;
	for (size_t i = 0, n = json_object_array_length(ops), j; i < n; i = j) {
		json_object *op = json_object_array_get_idx(ops, i), *result;
		char ip[CBPF_IP_STRLEN];

		for (j = i; j < n && is_del(json_object_array_get_idx(ops, j));)
			j++;
		if (j > i) {
			if (run_dels(&s, ops, i, j - i, results, &failed)) {
				cbpf_err("ep apply: out of memory for %zu deletions", j - i);
				failed += j - i;
			}
			continue;
		}
		j = i + 1;
		t = ep_now_ms();
		err = run_add(&s, op, ip);
		result = result_of(op, ep_now_ms() - t, err, cbpf_last_error());
		if (!err)
			json_object_object_add(result, "ip", json_object_new_string(ip));
		failed += err != 0;
		json_object_array_add(results, result);
	}
	t = ep_now_ms();
	err = ep_session_commit(&s);
	ep_session_close(&s);
	json_object_object_add(*report, "failed", json_object_new_int64(failed));
	json_object_object_add(*report, "committed", json_object_new_boolean(!err));
	json_object_object_add(*report, "commit_ms", json_object_new_double(ep_now_ms() - t));
	json_object_object_add(*report, "ms", json_object_new_double(ep_now_ms() - start));
	return err ?: (failed ? -EIO : 0);
}
