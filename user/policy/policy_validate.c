/* A rule's fields checked and turned into rule rows, with "file:line" on every error. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "policy.h"
#include "policy/policy_parse_int.h"

static int parse_port_range(const char *text, uint16_t *lo, uint16_t *hi)
{
	char *end;
	unsigned long a = strtoul(text, &end, 10), b = a;

	if (end == text)
		return -EINVAL;
	if (*end == '-') {
		const char *second = end + 1;

		b = strtoul(second, &end, 10);
		if (end == second)
			return -EINVAL;
	}
	if (*end || a > 65535 || b > 65535 || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

static const char *const field_names[POL_F_COUNT] = {
    "id", "from", "to", "action", "direction", "protocol", "ports", "priority", "origin"};

enum pol_field policy_field_index(const char *name, size_t len)
{
	int k = 0;

	while (k < POL_F_COUNT &&
	       (strlen(field_names[k]) != len || memcmp(field_names[k], name, len)))
		k++;
	return k;
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

	memset(r, 0, sizeof(*r));
	if (f->has[POL_F_ID]) {
		v = &f->v[POL_F_ID];
		if (v->type != json_type_string || !state_valid_name(v->text))
			return policy_fail(err, size, file, line,
					   "id must be a name (" CBPF_NAME_RULE ")");
		snprintf(r->name, sizeof(r->name), "%s", v->text);
	}
	for (int i = 0; i < 2; i++) {
		const char *key = field_names[sel_fields[i]];
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
	if (!text || (strcmp(text, "allow") && strcmp(text, "deny")))
		return policy_fail(err, size, file, line, "action must be \"allow\" or \"deny\"");
	r->verdict = strcmp(text, "allow") ? CBPF_VERDICT_DENY : CBPF_VERDICT_ALLOW;
	r->drop_reason = r->verdict == CBPF_VERDICT_DENY ? CBPF_DROP_POLICY : 0;
	if (f->has[POL_F_DIRECTION]) {
		text = string_field(f, POL_F_DIRECTION);
		if (!text || (strcmp(text, "one-way") && strcmp(text, "two-way")))
			return policy_fail(err, size, file, line,
					   "direction must be \"one-way\" or \"two-way\"");
		r->two_way = !strcmp(text, "two-way");
	}
	if (f->has[POL_F_PROTOCOL]) {
		/* Only a string can name one; the message quotes whatever else was there. */
		text = f->v[POL_F_PROTOCOL].text;
		if (!strcmp(text, "tcp"))
			r->proto = 6;
		else if (!strcmp(text, "udp"))
			r->proto = 17;
		else if (!strcmp(text, "icmp"))
			r->proto = 1;
		else if (strcmp(text, "any"))
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
		snprintf(r->origin, sizeof(r->origin), "%s", text);
	else
		snprintf(r->origin, sizeof(r->origin), "%s:%d", file, line);
	r->port_lo = 0;
	r->port_hi = 65535;
	return 0;
}

int policy_add_fields(struct pol_set *set, const struct pol_fields *f, const char *file, int line,
		      char *err, size_t size)
{
	struct pol_rule proto_rule, *row;
	int e = check_rule(f, &proto_rule, file, line, err, size);

	if (e)
		return e;
	proto_rule.id = ++set->n_ids;
	if (!f->has[POL_F_PORTS]) {
		row = policy_set_append(set);
		if (!row)
			return -ENOMEM;
		*row = proto_rule;
		return 0;
	}
	if (proto_rule.proto != 6 && proto_rule.proto != 17)
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
	for (size_t i = 0; i < f->n_ports; i++) {
		const struct pol_value *one = &f->ports[i];
		uint16_t lo, hi;

		if ((one->type != json_type_string && one->type != json_type_int) ||
		    parse_port_range(one->text, &lo, &hi))
			return policy_fail(err, size, file, line,
					   "bad port range '%s' (PORT or LOW-HIGH, 0..65535)",
					   one->text);
		row = policy_set_append(set);
		if (!row)
			return -ENOMEM;
		*row = proto_rule;
		row->port_lo = lo;
		row->port_hi = hi;
	}
	return 0;
}
