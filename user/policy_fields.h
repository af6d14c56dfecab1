/*
 * A rule object's fields as the checks see them, whichever reader found them: json-c for any
 * document (policy_parse.c), or the scanner for plain documents (policy_scan.c), which are
 * nearly all of a large policy and which it reads without building a json-c object per value.
 */
#ifndef CBPF_POLICY_FIELDS_H
#define CBPF_POLICY_FIELDS_H

#include <json-c/json.h>

#include "policy_rules.h"

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

/* The field a key names; POL_F_COUNT for none. */
enum pol_field policy_field_index(const char *name, size_t len);
/* Checks one rule's fields and appends its rows, one per port range. */
int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size);
/* Any document, through json-c; errors are "file:line: what is wrong". */
int policy_parse_json(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size);
/*
 * Plain documents only: strict JSON without escapes, rule fields that are strings or small
 * integers, no error. Anything else returns -EAGAIN with set as it was, for json-c to read
 * and, if it is wrong, to explain.
 */
int policy_scan_text(const char *file, const char *text, struct pol_set *set);

#endif
