/*
 * docs/openapi.json against the agent's route table (user/api/routes.c, the code the agent
 * runs): valid JSON with the keys OpenAPI 3.0 requires, every route at its path with its
 * method, every body field a route takes (and which are required) as the schema's properties,
 * no body where the route takes none, the JSON error shape, and no /v1 operation that the
 * agent does not serve. Run from the repository's root (tests/run.sh is).
 */
#include <ctype.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "api/routes.h"
#include "tap.h"

#define OPENAPI "docs/openapi.json"

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* The route's pattern as an OpenAPI path: '*' becomes "{name}". */
static void openapi_path(const char *pattern, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *p = pattern; *p && n + 7 < size; p++) {
		if (*p == '*')
			n += snprintf(buf + n, size - n, "{name}");
		else
			buf[n++] = *p;
	}
	buf[n] = '\0';
}

static void lower(const char *in, char *out, size_t size)
{
	size_t i;

	for (i = 0; in[i] && i + 1 < size; i++)
		out[i] = (char)tolower((unsigned char)in[i]);
	out[i] = '\0';
}

static bool in_array(json_object *a, const char *s)
{
	for (size_t i = 0; a && i < json_object_array_length(a); i++)
		if (!strcmp(json_object_get_string(json_object_array_get_idx(a, i)), s))
			return true;
	return false;
}

/* The body's schema of operation op: properties and required match route i's field table. */
static void check_fields(size_t i, const char *what, json_object *op)
{
	json_object *schema =
	    get(get(get(get(op, "requestBody"), "content"), "application/json"), "schema");
	json_object *props = get(schema, "properties"), *required = get(schema, "required");
	json_object *closed = get(schema, "additionalProperties");
	size_t n = 0, n_required = 0;
	const char *key, *missing = NULL;
	bool req;

	while (api_route_field(i, n, &key, &req)) {
		if (!get(props, key) || (req && !in_array(required, key)) ||
		    (!req && in_array(required, key)))
			missing = missing ? missing : key;
		n_required += req;
		n++;
	}
	if (!n) {
		CHECK(!get(op, "requestBody"), "%s: takes no body and documents none", what);
		return;
	}
	CHECK(!missing, "%s: every field of the route, required as the route requires it (%s)",
	      what, missing ? missing : "all");
	CHECK(props && json_object_object_length(props) == (int)n &&
		  (int)n_required == (required ? (int)json_object_array_length(required) : 0),
	      "%s: no field the route does not take (%zu fields, %zu required)", what, n,
	      n_required);
	CHECK(closed && json_object_is_type(closed, json_type_boolean) &&
		  !json_object_get_boolean(closed),
	      "%s: unknown fields are refused (additionalProperties false)", what);
}

static void check_shape(json_object *doc)
{
	json_object *version = get(doc, "openapi"), *info = get(doc, "info");
	json_object *error =
	    get(get(get(get(doc, "components"), "schemas"), "Error"), "properties");
	json_object *fields = get(get(error, "error"), "properties");

	CHECK(version && !strncmp(json_object_get_string(version), "3.0.", 4),
	      "openapi is 3.0.x (%s)", version ? json_object_get_string(version) : "missing");
	CHECK(get(info, "title") && get(info, "version"), "info has title and version");
	CHECK(json_object_is_type(get(doc, "paths"), json_type_object), "paths is an object");
	CHECK(get(fields, "code") && get(fields, "message") && get(fields, "object") &&
		  in_array(get(get(error, "error"), "required"), "code"),
	      "the error shape: {\"error\": {\"code\", \"message\", \"object\"}}");
}

/* Every /v1 operation of the file is a route of the agent. */
static void check_no_extra(json_object *paths)
{
	const char *method, *pattern, *extra = NULL;
	char path[256], m[16], seen[512];
	bool custom;

	json_object_object_foreach(paths, key, ops)
	{
		if (strncmp(key, "/v1/", 4))
			continue;
		json_object_object_foreach(ops, op, val)
		{
			bool found = false;

			(void)val;
			for (size_t i = 0; !found && api_route_info(i, &method, &pattern, &custom);
			     i++) {
				openapi_path(pattern, path, sizeof(path));
				lower(method, m, sizeof(m));
				found = !strcmp(path, key) && !strcmp(m, op);
			}
			if (!found && !extra) {
				snprintf(seen, sizeof(seen), "%s %s", op, key);
				extra = seen;
			}
		}
	}
	CHECK(!extra, "every /v1 operation in " OPENAPI " is served by the agent (%s)",
	      extra ? extra : "none extra");
}

int main(void)
{
	json_object *doc = json_object_from_file(OPENAPI), *paths;
	const char *method, *pattern;
	char path[256], m[16], what[300];
	bool custom;
	size_t n = 0;

	CHECK(doc && json_object_is_type(doc, json_type_object), OPENAPI " is one JSON object%s%s",
	      doc ? "" : ": ", doc ? "" : json_util_get_last_err());
	if (!doc)
		TAP_EXIT();
	check_shape(doc);
	paths = get(doc, "paths");
	for (size_t i = 0; api_route_info(i, &method, &pattern, &custom); i++, n++) {
		json_object *op;

		openapi_path(pattern, path, sizeof(path));
		lower(method, m, sizeof(m));
		snprintf(what, sizeof(what), "%s %s", method, path);
		op = get(get(paths, path), m);
		CHECK(op, "%s is in " OPENAPI, what);
		if (!op)
			continue;
		CHECK(get(get(op, "responses"), "200") && get(get(op, "responses"), "400"),
		      "%s: documents its answer and its errors", what);
		if (!custom)
			check_fields(i, what, op);
	}
	CHECK(n > 20, "the route table has its %zu routes", n);
	check_no_extra(paths);
	json_object_put(doc);
	TAP_EXIT();
}
