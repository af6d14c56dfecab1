/*
 * A rule object's fields as the checks see them, whoever read the JSON: json-c
 * (policy_parse.c) or the plain-document reader (policy_parse_fast.c). Both hand them to
 * policy_add_fields, so the rules a document means do not depend on the reader.
 */
#ifndef CBPF_POLICY_FIELDS_H
#define CBPF_POLICY_FIELDS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "policy/policy_rules.h"

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
/* Checks one rule's fields and appends its rows (one per port range); "file:line: ..." errors. */
int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size);
/* The document read by json-c alone: the reference reader, and the one that words errors. */
int policy_parse_json(const char *file, const char *text, struct pol_set *set, char *err,
		      size_t err_size);
/*
 * The plain document read in one pass without json-c, into the same rows: 0, -ENOMEM, or
 * -EAGAIN (set as it was) for anything it does not take, which json-c then reads: escapes,
 * bytes outside printable ASCII in strings, numbers other than plain integers, true, false,
 * null, unknown or repeated keys, and every error.
 */
int policy_parse_fast(const char *file, const char *text, struct pol_set *set);

#endif
