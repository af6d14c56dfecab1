/*
 * The fast reader of policy documents (see policy_fields.h): a strict subset of what json-c
 * reads, read to the same rules through the same checks, without a json-c object per value.
 * Outside the subset, and on any error, it gives up and json-c reads the document, so every
 * message stays as json-c's reading gives it.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "policy_fields.h"

#define MAX_DEPTH 16 /* json-c stops at 32 */
#define MAX_PORTS 64

struct scan {
	const char *p;
	const char *file;
	struct pol_set *set;
	const char *counted; /* newlines are counted up to here */
	int line;
	char scratch[2048]; /* one rule's values, NUL-terminated */
	size_t used;
};

static void skip_ws(struct scan *s)
{
	while (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')
		s->p++;
}

static bool eat(struct scan *s, char c)
{
	skip_ws(s);
	if (*s->p != c)
		return false;
	s->p++;
	return true;
}

/*
 * Steps through an array or object after its opening bracket: 1 when an element follows, 0 at
 * the closing bracket, -1 on anything else.
 */
static int next(struct scan *s, char close, bool *first)
{
	if (*first) {
		*first = false;
		return eat(s, close) ? 0 : 1;
	}
	if (eat(s, ','))
		return 1;
	return eat(s, close) ? 0 : -1;
}

/* A string without escapes or control characters. */
static bool string(struct scan *s, const char **start, size_t *len)
{
	if (!eat(s, '"'))
		return false;
	*start = s->p;
	while ((unsigned char)*s->p >= 0x20 && *s->p != '"' && *s->p != '\\')
		s->p++;
	if (*s->p != '"')
		return false;
	*len = s->p++ - *start;
	return true;
}

static bool digits(struct scan *s)
{
	const char *start = s->p;

	while (*s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

/* A strict JSON number; *value is -1 unless it is a plain integer up to MAX_INT. */
static bool number(struct scan *s, int64_t *value)
{
	const char *start = s->p;
	bool plain = *s->p != '-';

	s->p += !plain;
	if (*s->p == '0')
		s->p++;
	else if (*s->p < '1' || *s->p > '9' || !digits(s))
		return false;
	if (*s->p == '.') {
		s->p++;
		plain = false;
		if (!digits(s))
			return false;
	}
	if (*s->p == 'e' || *s->p == 'E') {
		s->p++;
		s->p += *s->p == '+' || *s->p == '-';
		plain = false;
		if (!digits(s))
			return false;
	}
	*value = -1;
	if (plain && s->p - start <= 9) {
		*value = 0;
		for (const char *c = start; c < s->p; c++)
			*value = *value * 10 + (*c - '0');
	}
	return true;
}

static bool skip_value(struct scan *s, int depth)
{
	static const char *const words[] = {"true", "false", "null"};
	const char *start;
	size_t len;
	int64_t num;
	bool object, first = true;
	char close;
	int more;

	skip_ws(s);
	if (*s->p == '"')
		return string(s, &start, &len);
	if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
		return number(s, &num);
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strncmp(s->p, words[i], strlen(words[i]))) {
			s->p += strlen(words[i]);
			return true;
		}
	if ((*s->p != '{' && *s->p != '[') || depth >= MAX_DEPTH)
		return false;
	object = *s->p++ == '{';
	close = object ? '}' : ']';
	while ((more = next(s, close, &first)) > 0)
		if ((object && (!string(s, &start, &len) || !eat(s, ':'))) ||
		    !skip_value(s, depth + 1))
			return false;
	return !more;
}

/* A rule field: a string or a plain integer, its text kept in the rule's scratch space. */
static bool field_value(struct scan *s, struct pol_value *v)
{
	const char *start;
	size_t len;

	skip_ws(s);
	if (*s->p == '"') {
		if (!string(s, &start, &len))
			return false;
		v->type = json_type_string;
	} else {
		start = s->p;
		if (!number(s, &v->num) || v->num < 0)
			return false;
		len = s->p - start;
		v->type = json_type_int;
	}
	if (s->used + len + 1 > sizeof(s->scratch))
		return false;
	v->text = memcpy(s->scratch + s->used, start, len);
	s->scratch[s->used + len] = '\0';
	s->used += len + 1;
	return true;
}

static bool rule(struct scan *s)
{
	struct pol_value items[MAX_PORTS];
	struct pol_fields f = {0};
	char err[POL_ERR_MAX];
	bool first = true;
	int more;

	skip_ws(s);
	for (; s->counted < s->p; s->counted++)
		s->line += *s->counted == '\n';
	if (s->set->n >= POL_MAX_RULES || !eat(s, '{'))
		return false;
	s->used = 0;
	f.ports = &f.v[POL_F_PORTS];
	f.n_ports = 1;
	while ((more = next(s, '}', &first)) > 0) {
		bool first_port = true;
		const char *key;
		size_t len;
		enum pol_field k;

		if (!string(s, &key, &len) || !eat(s, ':'))
			return false;
		k = policy_field_index(key, len);
		if (k == POL_F_COUNT || f.has[k])
			return false;
		f.has[k] = true;
		if (k != POL_F_PORTS || !eat(s, '[')) {
			if (!field_value(s, &f.v[k]))
				return false;
			continue;
		}
		f.v[k].type = json_type_array;
		f.ports = items;
		f.n_ports = 0;
		while ((more = next(s, ']', &first_port)) > 0)
			if (f.n_ports == MAX_PORTS || !field_value(s, &items[f.n_ports++]))
				return false;
		if (more < 0)
			return false;
	}
	return !more && !policy_add_fields(s->set, &f, s->file, s->line, err, sizeof(err));
}

static bool document(struct scan *s)
{
	static const char *const top[] = {"rules", "description", "source"};
	bool seen[3] = {false}, first = true;
	int more;

	if (!eat(s, '{'))
		return false;
	while ((more = next(s, '}', &first)) > 0) {
		bool first_rule = true;
		const char *key;
		size_t len, k = 0;

		if (!string(s, &key, &len) || !eat(s, ':'))
			return false;
		while (k < 3 && (strlen(top[k]) != len || memcmp(top[k], key, len)))
			k++;
		if (k == 3 || seen[k])
			return false;
		seen[k] = true;
		if (k) {
			if (!skip_value(s, 1))
				return false;
			continue;
		}
		if (!eat(s, '['))
			return false;
		while ((more = next(s, ']', &first_rule)) > 0)
			if (!rule(s))
				return false;
		if (more < 0)
			return false;
	}
	skip_ws(s);
	return !more && seen[0] && !*s->p;
}

int policy_scan_text(const char *file, const char *text, struct pol_set *set)
{
	struct scan s = {.p = text, .file = file, .set = set, .counted = text, .line = 1};
	size_t n = set->n, objects = 0;
	uint32_t n_ids = set->n_ids;

	/* Every rule opens a brace: room for them all saves moving rows as they come. */
	for (const char *p = strchr(text, '{'); p && objects < POL_MAX_RULES;
	     p = strchr(p + 1, '{'))
		objects++;
	policy_set_reserve(set, objects);
	if (document(&s))
		return 0;
	set->n = n;
	set->n_ids = n_ids;
	return -EAGAIN;
}
