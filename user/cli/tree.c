#include <stdbool.h>
#include <string.h>

#include "cli/tree.h"

static const char *scalar(json_object *v)
{
	return v ? json_object_get_string(v) : "-";
}

static bool is_container(json_object *v)
{
	return json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array);
}

/* An object on one line: "key value, key value". */
static void print_inline(FILE *out, json_object *obj)
{
	const char *sep = "";

	json_object_object_foreach(obj, key, v)
	{
		fprintf(out, "%s%s %s", sep, key, is_container(v) ? "..." : scalar(v));
		sep = ", ";
	}
}

static bool is_flat(json_object *arr)
{
	for (size_t i = 0; i < json_object_array_length(arr); i++)
		if (is_container(json_object_array_get_idx(arr, i)))
			return false;
	return true;
}

/* After "key  " for a flat list, after "key:\n" for a list of objects. */
static void print_array(FILE *out, json_object *arr, int indent)
{
	size_t n = json_object_array_length(arr);

	if (is_flat(arr)) {
		for (size_t i = 0; i < n; i++)
			fprintf(out, "%s%s", i ? ", " : "",
				scalar(json_object_array_get_idx(arr, i)));
		fputs(n ? "\n" : "-\n", out);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(arr, i);

		fprintf(out, "%*s- ", indent + 2, "");
		if (json_object_is_type(item, json_type_object))
			print_inline(out, item);
		else
			fputs(scalar(item), out);
		fputc('\n', out);
	}
}

static void print_object(FILE *out, json_object *obj, int indent)
{
	int width = 0;

	json_object_object_foreach(obj, k, val)
	{
		if (!json_object_is_type(val, json_type_object) && (int)strlen(k) > width)
			width = (int)strlen(k);
	}
	json_object_object_foreach(obj, key, v)
	{
		if (json_object_is_type(v, json_type_object) ||
		    (json_object_is_type(v, json_type_array) && !is_flat(v))) {
			fprintf(out, "%*s%s:\n", indent, "", key);
			if (json_object_is_type(v, json_type_array))
				print_array(out, v, indent);
			else
				print_object(out, v, indent + 2);
		} else if (json_object_is_type(v, json_type_array)) {
			fprintf(out, "%*s%-*s  ", indent, "", width, key);
			print_array(out, v, indent);
		} else {
			fprintf(out, "%*s%-*s  %s\n", indent, "", width, key, scalar(v));
		}
	}
}

void cli_print_tree(FILE *out, json_object *doc)
{
	print_object(out, doc, 0);
}
