/*
 * Policy documents as tools write them, read in one pass: json-c builds an object with a hash
 * table per rule and a string per value, which was most of a reload's time. Only a strict
 * subset is taken (policy_fields.h); everything else, errors included, goes to json-c, which
 * stays the reference: the fuzz target checks that both readers give the same rows.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_fields.h"

struct reader {
	const unsigned char *p; /* the next byte */
	int line;
	char *scratch; /* NUL-terminated copies of one rule's strings */
	size_t used;
	struct pol_value *items; /* one rule's ports */
	size_t n_items, cap_items;
};

/*
 * The scanners below move a local pointer and store it once: through r, every byte read (a
 * char, which may alias anything) made the compiler store r->p again, and the two scanners
 * were a tenth of a reload.
 */
static void skip_space(struct reader *r)
{
	const unsigned char *p = r->p;
	int line = r->line;

	for (;; p++) {
		if (*p == '\n')
			line++;
		else if (*p != ' ' && *p != '\t' && *p != '\r')
			break;
	}
	r->p = p;
	r->line = line;
}

static const char *keep(struct reader *r, const unsigned char *start, size_t n)
{
	char *out = r->scratch + r->used;

	memcpy(out, start, n);
	out[n] = '\0';
	r->used += n + 1;
	return out;
}

/*
 * Bytes a string may hold as they are, a bit each: printable ASCII (0x20-0x7e) but the quote
 * (0x22) and the backslash (0x5c). One load a byte where four comparisons were.
 */
static const uint64_t plain[4] = {0xfffffffb00000000ull, 0x7fffffffefffffffull, 0, 0};

/* A string of printable ASCII without escapes, in place (not NUL-terminated); NULL for
 * anything else. */
static const char *string_at(struct reader *r, size_t *len)
{
	const unsigned char *start = r->p + 1, *p = start;

	if (*r->p != '"')
		return NULL;
	while (plain[*p >> 6] >> (*p & 63) & 1)
		p++;
	if (*p != '"')
		return NULL;
	*len = p - start;
	r->p = p + 1;
	return (const char *)start;
}

/* The same, as a string of its own in scratch. */
static const char *string(struct reader *r, size_t *len)
{
	const char *at = string_at(r, len);

	return at ? keep(r, (const unsigned char *)at, *len) : NULL;
}

/* -?(0|[1-9][0-9]*), at most 18 digits, as json-c prints the integer it reads. */
static int integer(struct reader *r, struct pol_value *v)
{
	const unsigned char *start = r->p, *digits = r->p + (*r->p == '-');
	int64_t n = 0;

	r->p = digits;
	while (*r->p >= '0' && *r->p <= '9' && r->p - digits < 18)
		n = n * 10 + (*r->p++ - '0');
	if (r->p == digits || (*digits == '0' && r->p - digits > 1) || (*start == '-' && n == 0) ||
	    (*r->p >= '0' && *r->p <= '9') || *r->p == '.' || *r->p == 'e' || *r->p == 'E')
		return -EAGAIN;
	*v =
	    (struct pol_value){json_type_int, keep(r, start, r->p - start), *start == '-' ? -n : n};
	return 0;
}

static int value(struct reader *r, struct pol_value *v)
{
	size_t len;

	if (*r->p == '"') {
		v->type = json_type_string;
		v->num = 0;
		v->text = string(r, &len);
		return v->text ? 0 : -EAGAIN;
	}
	return *r->p == '-' || (*r->p >= '0' && *r->p <= '9') ? integer(r, v) : -EAGAIN;
}

/* After a list's item: 1 at its closing bracket, 0 at a comma (either taken), else -EAGAIN. */
static int next_item(struct reader *r, char close)
{
	skip_space(r);
	if (*r->p == close) {
		r->p++;
		return 1;
	}
	return *r->p++ == ',' ? 0 : -EAGAIN;
}

/* '[' value (',' value)* ']' into r->items. */
static int ports(struct reader *r)
{
	int e;

	r->n_items = 0;
	r->p++;
	skip_space(r);
	if (*r->p == ']')
		return -EAGAIN;
	for (;;) {
		if (r->n_items == r->cap_items) {
			size_t cap = r->cap_items ? r->cap_items * 2 : 16;
			struct pol_value *grown = realloc(r->items, cap * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			r->items = grown;
			r->cap_items = cap;
		}
		skip_space(r);
		if (value(r, &r->items[r->n_items++]))
			return -EAGAIN;
		e = next_item(r, ']');
		if (e)
			return e < 0 ? e : 0;
	}
}

static int rule(struct reader *r, struct pol_set *set, const char *file)
{
	struct pol_fields f = {0};
	int line = r->line, e;
	char err[8];

	if (*r->p++ != '{' || set->n_ids >= POL_MAX_RULES)
		return -EAGAIN;
	r->used = 0;
	for (;;) {
		const char *key;
		enum pol_field k;
		size_t len;

		skip_space(r);
		/* Only compared: no copy. */
		key = string_at(r, &len);
		if (!key)
			return -EAGAIN;
		k = policy_field_index(key, len);
		if (k == POL_F_COUNT || f.has[k])
			return -EAGAIN;
		f.has[k] = true;
		skip_space(r);
		if (*r->p++ != ':')
			return -EAGAIN;
		skip_space(r);
		if (k == POL_F_PORTS && *r->p == '[') {
			e = ports(r);
			f.v[k] = (struct pol_value){json_type_array, "", 0};
		} else {
			e = value(r, &f.v[k]);
		}
		if (e)
			return e;
		e = next_item(r, '}');
		if (e < 0)
			return e;
		if (e)
			break;
	}
	f.ports = f.v[POL_F_PORTS].type == json_type_array ? r->items : &f.v[POL_F_PORTS];
	f.n_ports = f.v[POL_F_PORTS].type == json_type_array ? r->n_items : 1;
	e = policy_add_fields(set, &f, file, line, err, sizeof(err));
	return e == -ENOMEM ? e : e ? -EAGAIN : 0;
}

/* '[' rule (',' rule)* ']' */
static int rules(struct reader *r, struct pol_set *set, const char *file)
{
	int e;

	if (*r->p++ != '[')
		return -EAGAIN;
	skip_space(r);
	if (*r->p == ']') {
		r->p++;
		return 0;
	}
	for (;;) {
		skip_space(r);
		e = rule(r, set, file);
		e = e ?: next_item(r, ']');
		if (e)
			return e < 0 ? e : 0;
	}
}

/* '{' with "rules" once and "description" and "source" strings at most once each '}' */
static int document(struct reader *r, struct pol_set *set, const char *file)
{
	bool seen_rules = false, seen_description = false, seen_source = false;
	size_t len;
	int e;

	skip_space(r);
	if (*r->p++ != '{')
		return -EAGAIN;
	for (;;) {
		const char *key;
		bool *seen;

		skip_space(r);
		r->used = 0;
		key = string(r, &len);
		if (!key)
			return -EAGAIN;
		seen = !strcmp(key, "rules")	     ? &seen_rules
		       : !strcmp(key, "description") ? &seen_description
		       : !strcmp(key, "source")	     ? &seen_source
						     : NULL;
		if (!seen || *seen)
			return -EAGAIN;
		*seen = true;
		skip_space(r);
		if (*r->p++ != ':')
			return -EAGAIN;
		skip_space(r);
		e = seen == &seen_rules ? rules(r, set, file) : string(r, &len) ? 0 : -EAGAIN;
		e = e ?: next_item(r, '}');
		if (e < 0)
			return e;
		if (e)
			break;
	}
	skip_space(r);
	return seen_rules && !*r->p ? 0 : -EAGAIN;
}

int policy_parse_fast(const char *file, const char *text, struct pol_set *set)
{
	size_t len = strlen(text), n_rules = 0, n = set->n, n_ids = set->n_ids,
	       n_port_entries = set->n_port_entries;
	struct reader r = {.p = (const unsigned char *)text, .line = 1, .scratch = malloc(len + 1)};
	int e;

	if (!r.scratch)
		return -ENOMEM;
	/* Room for about as many rows as objects, so appending moves none. */
	for (const char *c = text; (c = strchr(c, '{')); c++)
		n_rules++;
	policy_set_reserve(set, n_rules < POL_MAX_RULES ? n_rules : POL_MAX_RULES);
	e = document(&r, set, file);
	free(r.scratch);
	free(r.items);
	if (e) {
		set->n = n;
		set->n_ids = n_ids;
		set->n_port_entries = n_port_entries;
	}
	return e;
}
