/* JSON policy documents to rules through json-c, with "file:line" on every error. */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_in.h"
#include "policy/policy_fields.h"
#include "policy/policy_parse_int.h"

/* json-c gives JSON null as a NULL object, and NULL for its text. */
static struct pol_value json_value(json_object *obj)
{
	return (struct pol_value){.type = json_object_get_type(obj),
				  .text = obj ? json_object_get_string(obj) : "null",
				  .num = json_object_get_int64(obj)};
}

static int add_json_rule(struct pol_set *set, json_object *obj, const char *file, int line,
			 char *err, size_t size)
{
	struct pol_fields f = {0};
	struct pol_value *items = NULL;
	json_object *ports = NULL;
	int e;

	if (set->n_ids >= POL_MAX_RULES)
		return policy_fail(err, size, file, line,
				   "more than %d rules in the policy (the limit)", POL_MAX_RULES);
	if (!json_object_is_type(obj, json_type_object))
		return policy_fail(err, size, file, line, "a rule must be an object");
	json_object_object_foreach(obj, key, val)
	{
		enum pol_field k = policy_field_index(key, strlen(key));

		if (k == POL_F_COUNT)
			return policy_fail(err, size, file, line, "unknown field '%s'", key);
		f.has[k] = true;
		f.v[k] = json_value(val);
	}
	json_object_object_get_ex(obj, "ports", &ports);
	f.ports = &f.v[POL_F_PORTS];
	f.n_ports = 1;
	if (json_object_is_type(ports, json_type_array)) {
		f.n_ports = json_object_array_length(ports);
		items = calloc(f.n_ports + 1, sizeof(*items));
		if (!items)
			return -ENOMEM;
		for (size_t i = 0; i < f.n_ports; i++)
			items[i] = json_value(json_object_array_get_idx(ports, i));
		f.ports = items;
	}
	e = policy_add_fields(set, &f, file, line, err, size);
	free(items);
	return e;
}

int policy_parse_json(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size)
{
	json_object *root, *rules;
	size_t n;
	int *lines;
	struct json_in_error je;
	int e = json_in_parse(text, strlen(text), false, &root, NULL, &je);

	if (e == -EINVAL)
		return policy_fail(err, err_size, file, json_in_line(text, je.offset), "%s",
				   je.what);
	if (e)
		return e;
	if (!json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "rules", &rules) ||
	    !json_object_is_type(rules, json_type_array)) {
		json_object_put(root);
		return policy_fail(err, err_size, file, 1,
				   "the document must be an object with a "
				   "\"rules\" array");
	}
	json_object_object_foreach(root, key, val)
	{
		(void)val;
		if (strcmp(key, "rules") && strcmp(key, "description") && strcmp(key, "source")) {
			e = policy_fail(err, err_size, file, 1, "unknown top-level field '%s'",
					key);
			json_object_put(root);
			return e;
		}
	}
	n = json_object_array_length(rules);
	lines = calloc(n + 1, sizeof(*lines));
	if (!lines || policy_rule_lines(text, lines, n)) {
		free(lines);
		json_object_put(root);
		return -ENOMEM;
	}
	/* Only to save moving rows as they come: without the memory, appending reports it. */
	policy_set_reserve(set, n < POL_MAX_RULES ? n : POL_MAX_RULES);
	for (size_t i = 0; i < n && !e; i++)
		e = add_json_rule(set, json_object_array_get_idx(rules, i), file, lines[i], err,
				  err_size);
	free(lines);
	json_object_put(root);
	return e;
}

int policy_parse_text(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size)
{
	int e = policy_parse_fast(file, text, set);

	return e == -EAGAIN ? policy_parse_json(file, text, set, err, err_size) : e;
}
