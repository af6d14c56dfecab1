/*
 * The policy parser's stages, shared by its files: the position scanner (policy_scan.c), the
 * selector grammar (policy_selector.c), the field checks (policy_validate.c), JSON to rules
 * (policy_parse.c) and the files and directories read (policy_file.c).
 */
#ifndef CBPF_POLICY_PARSE_INT_H
#define CBPF_POLICY_PARSE_INT_H

#include <json-c/json.h>
#include <stddef.h>

#include "policy/policy_rules.h"

/* A rule object's fields as the checks see them: json-c's values, read once into plain ones. */
enum pol_field {
	POL_F_ID,
	POL_F_FROM,
	POL_F_TO,
	POL_F_ACTION,
	POL_F_DIRECTION,
	POL_F_PROTOCOL,
	POL_F_PORTS,
	POL_F_PRIORITY,
	POL_F_ORIGIN,
	POL_F_COUNT,
};

/* A JSON value: its type (json_type_null for null), its text as json-c prints it, an integer. */
struct pol_value {
	enum json_type type;
	const char *text;
	int64_t num;
};

struct pol_fields {
	bool has[POL_F_COUNT];
	struct pol_value v[POL_F_COUNT];
	const struct pol_value *ports; /* the items of an array, else v[POL_F_PORTS] alone */
	size_t n_ports;
};

/* Writes "file:line: " and the message to err; returns -EINVAL. */
int policy_fail(char *err, size_t size, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * json-c keeps no positions: the offsets of the elements of the top-level "rules" array in
 * text, offsets[i] where rules[i] starts; returns how many (at most max).
 */
size_t policy_locate_rules(const char *text, size_t *offsets, size_t max);
/* The field named by name[0..len); POL_F_COUNT for an unknown name. */
enum pol_field policy_field_index(const char *name, size_t len);
/* Checks one rule's fields and appends its rows (one per port range) to set. */
int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size);

#endif
