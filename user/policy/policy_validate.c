/* A rule's fields checked and turned into rows, whichever reader found them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "policy/policy_fields.h"
#include "policy/policy_parse_int.h"

/*
 * A port of plain digits, the usual case, read here; anything else as strtoul reads it, so
 * both take the same texts. A strtoul call per port was 2 % of a reload.
 */
static unsigned long port_number(const char *text, char **end)
{
	unsigned long v = 0;
	const char *p = text;

	while (*p >= '0' && *p <= '9' && p - text < 5)
		v = v * 10 + (*p++ - '0');
	if (p == text || (*p >= '0' && *p <= '9'))
		return strtoul(text, end, 10);
	*end = (char *)p;
	return v;
}

static int parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a = port_number(text, &end), b = a;

	if (end == text)
		return -EINVAL;
	if (*end == '-') {
		const char *second = end + 1;

		b = port_number(second, &end);
		if (end == second)
			return -EINVAL;
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

/* With their lengths, so that a key is compared with the one name its length allows. */
#define FIELD(name)                                                                                \
	{                                                                                          \
		name, sizeof(name) - 1                                                             \
	}
static const struct {
	const char *name;
	size_t len;
} fields[POL_F_COUNT] = {
    FIELD("id"),       FIELD("from"),  FIELD("to"),	  FIELD("action"), FIELD("direction"),
    FIELD("protocol"), FIELD("ports"), FIELD("priority"), FIELD("origin"),
};

/* A byte loop the compiler keeps inline: a memcmp call per field was 3 % of a reload. */
static bool same_name(const char *a, const char *b, size_t len)
{
	while (len && *a == *b) {
		a++;
		b++;
		len--;
	}
	return !len;
}

/* The one field a key's length and a byte can name, then compared whole: trying the fields in
 * turn was 1 % of a reload. */
enum pol_field policy_field_index(const char *name, size_t len)
{
	enum pol_field k;

	switch (len) {
	case 2:
		k = name[0] == 'i' ? POL_F_ID : POL_F_TO;
		break;
	case 4:
		k = POL_F_FROM;
		break;
	case 5:
		k = POL_F_PORTS;
		break;
	case 6:
		k = name[0] == 'a' ? POL_F_ACTION : POL_F_ORIGIN;
		break;
	case 8:
		k = name[2] == 'o' ? POL_F_PROTOCOL : POL_F_PRIORITY;
		break;
	case 9:
		k = POL_F_DIRECTION;
		break;
	default:
		return POL_F_COUNT;
	}
	return fields[k].len == len && same_name(fields[k].name, name, len) ? k : POL_F_COUNT;
}

/* strcmp(text, lit) == 0, kept inline: six strcmp calls per rule were 1 % of a reload. */
static bool is(const char *text, const char *lit)
{
	return same_name(text, lit, strlen(lit) + 1);
}

/* A string field's text; NULL when it is missing or not a string. */
static const char *string_field(const struct pol_fields *f, enum pol_field k)
{
	return f->has[k] && f->v[k].type == json_type_string ? f->v[k].text : NULL;
}

/* Fills everything but the ports; the caller adds one row per port range. */
static int check_rule(const struct pol_fields *f, struct pol_rule *r, const char *file, int line,
		      char *err, size_t size)
{
	static const enum pol_field sel_fields[] = {POL_F_FROM, POL_F_TO};
	struct pol_selector *sels[] = {&r->from, &r->to};
	const struct pol_value *v;
	const char *text;
	char num[13], *digits;

	memset(r, 0, sizeof(*r));
	if (f->has[POL_F_ID]) {
		v = &f->v[POL_F_ID];
		if (v->type != json_type_string || !state_valid_name(v->text))
			return policy_fail(err, size, file, line,
					   "id must be a name (" CBPF_NAME_RULE ")");
		policy_join_text(r->name, sizeof(r->name), v->text, "");
	}
	for (int i = 0; i < 2; i++) {
		const char *key = fields[sel_fields[i]].name;
		int e;

		text = string_field(f, sel_fields[i]);
		if (!text)
			return policy_fail(err, size, file, line, "'%s' is missing or not a string",
					   key);
		e = policy_parse_selector(text, sels[i]);
		if (e == -ENOENT)
			return policy_fail(
			    err, size, file, line,
			    "unknown selector '%s' (ep:, net:, vlan:, node:, host, host:, "
			    "cidr:, world)",
			    text);
		if (e)
			return policy_fail(err, size, file, line, "bad %s selector '%s'", key,
					   text);
	}
	text = string_field(f, POL_F_ACTION);
	if (!text || (!is(text, "allow") && !is(text, "deny")))
		return policy_fail(err, size, file, line, "action must be \"allow\" or \"deny\"");
	r->verdict = is(text, "allow") ? CBPF_VERDICT_ALLOW : CBPF_VERDICT_DENY;
	r->drop_reason = r->verdict == CBPF_VERDICT_DENY ? CBPF_DROP_POLICY : 0;
	if (f->has[POL_F_DIRECTION]) {
		text = string_field(f, POL_F_DIRECTION);
		if (!text || (!is(text, "one-way") && !is(text, "two-way")))
			return policy_fail(err, size, file, line,
					   "direction must be \"one-way\" or \"two-way\"");
		r->two_way = is(text, "two-way");
	}
	if (f->has[POL_F_PROTOCOL]) {
		/* Only a string can name one; the message quotes whatever else was there. */
		text = f->v[POL_F_PROTOCOL].text;
		if (is(text, "tcp"))
			r->proto = 6;
		else if (is(text, "udp"))
			r->proto = 17;
		else if (is(text, "icmp"))
			r->proto = 1;
		else if (!is(text, "any"))
			return policy_fail(err, size, file, line,
					   "protocol must be tcp, udp, icmp or any, not '%s'",
					   text);
	}
	r->priority = POL_DEFAULT_PRIORITY;
	if (f->has[POL_F_PRIORITY]) {
		v = &f->v[POL_F_PRIORITY];
		if (v->type != json_type_int || v->num < 0 || v->num > POL_MAX_PRIORITY)
			return policy_fail(err, size, file, line,
					   "priority must be an integer 0..%d", POL_MAX_PRIORITY);
		r->priority = v->num;
	}
	text = string_field(f, POL_F_ORIGIN);
	if (text)
		policy_join_text(r->origin, sizeof(r->origin), text, "");
	else {
		digits = policy_format_uint(line, num + sizeof(num) - 1);
		*--digits = ':';
		policy_join_text(r->origin, sizeof(r->origin), file, digits);
	}
	r->port_lo = 0;
	r->port_hi = 65535;
	return 0;
}

int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size)
{
	struct pol_rule *rule;
	int e;

	/* Checked in the row it will take rather than in a copy: rows are large. */
	if (policy_set_reserve(set, 1))
		return -ENOMEM;
	e = check_rule(f, &set->rules[set->n], file, line, err, size);
	if (e)
		return e;
	set->rules[set->n].id = ++set->n_ids;
	if (!f->has[POL_F_PORTS]) {
		set->n++;
		return 0;
	}
	if (set->rules[set->n].proto != 6 && set->rules[set->n].proto != 17)
		return policy_fail(err, size, file, line, "ports need protocol tcp or udp");
	if (!f->n_ports)
		return policy_fail(err, size, file, line, "ports is an empty list");
	if (f->n_ports > POL_MAX_PORT_ENTRIES - set->n_port_entries)
		return policy_fail(
		    err, size, file, line,
		    "more than %d port entries in the policy (the limit, counted over all "
		    "rules)",
		    POL_MAX_PORT_ENTRIES);
	set->n_port_entries += f->n_ports;
	if (policy_set_reserve(set, f->n_ports))
		return -ENOMEM;
	rule = &set->rules[set->n];
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct pol_value *one = &f->ports[i];
		uint16_t lo, hi;

		if ((one->type != json_type_string && one->type != json_type_int) ||
		    parse_port_range(one->text, &lo, &hi))
			return policy_fail(err, size, file, line,
					   "bad port range '%s' (PORT or LOW-HIGH, 0..65535)",
					   one->text);
		if (i)
			rule[i] = rule[0];
		rule[i].port_lo = lo;
		rule[i].port_hi = hi;
	}
	set->n += f->n_ports;
	return 0;
}
