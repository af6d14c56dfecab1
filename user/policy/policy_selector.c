/* The selector grammar: "ep:NAME", "cidr:A.B.C.D/N", "world" ... to a selector and back. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_parse_int.h"
#include "policy/policy_rules.h"

int policy_parse_selector(const char *text, struct pol_selector *sel)
{
#define KIND(prefix, kind)                                                                         \
	{                                                                                          \
		prefix, sizeof(prefix) - 1, kind                                                   \
	}
	static const struct {
		const char *prefix;
		size_t len;
		uint8_t kind;
	} kinds[] = {
	    KIND("ep:", POL_SEL_EP),	 KIND("net:", POL_SEL_NET),   KIND("vlan:", POL_SEL_VLAN),
	    KIND("node:", POL_SEL_NODE), KIND("host:", POL_SEL_HOST), KIND("cidr:", POL_SEL_CIDR),
	};
#undef KIND

	memset(sel, 0, sizeof(*sel));
	if (*text == 'w' && !strcmp(text, "world")) {
		sel->kind = POL_SEL_WORLD;
		return 0;
	}
	if (*text == 'h' && !strcmp(text, "host")) {
		sel->kind = POL_SEL_HOST;
		strcpy(sel->name, "local");
		return 0;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		size_t len = kinds[i].len;
		const char *arg = text + len;
		char *end;

		/* The first byte first: two selectors a rule went through six strncmp calls. */
		if (*text != *kinds[i].prefix || strncmp(text, kinds[i].prefix, len))
			continue;
		sel->kind = kinds[i].kind;
		if (sel->kind == POL_SEL_CIDR)
			return cbpf_parse_cidr(arg, &sel->cidr) ? -EDOM : 0;
		if (sel->kind == POL_SEL_VLAN) {
			unsigned long v = strtoul(arg, &end, 10);

			if (!*arg || *end || v < 1 || v > 4094)
				return -EDOM;
			sel->vlan = v;
			return 0;
		}
		if (!state_valid_name(arg))
			return -EDOM;
		policy_join_text(sel->name, sizeof(sel->name), arg, "");
		return 0;
	}
	return -ENOENT;
}

/* Without snprintf: a snapshot formats two selectors per rule. */
void policy_format_selector(const struct pol_selector *sel, char *buf, size_t size)
{
	static const char *const prefixes[] = {
	    [POL_SEL_EP] = "ep:",     [POL_SEL_NET] = "net:",	[POL_SEL_VLAN] = "vlan:",
	    [POL_SEL_NODE] = "node:", [POL_SEL_HOST] = "host:", [POL_SEL_CIDR] = "cidr:",
	};
	char num[12], cidr[CBPF_IP_STRLEN + sizeof(num)];
	const char *prefix = sel->kind < POL_SEL_WORLD ? prefixes[sel->kind] : "world", *arg;
	size_t n = strlen(prefix), m;

	switch (sel->kind) {
	case POL_SEL_VLAN:
		arg = policy_format_uint(sel->vlan, num + sizeof(num) - 1);
		break;
	case POL_SEL_CIDR:
		cbpf_format_ip(sel->cidr.addr, cidr);
		strcat(strcat(cidr, "/"),
		       policy_format_uint(sel->cidr.prefix_len, num + sizeof(num) - 1));
		arg = cidr;
		break;
	case POL_SEL_EP:
	case POL_SEL_NET:
	case POL_SEL_NODE:
	case POL_SEL_HOST:
		arg = sel->name;
		break;
	default:
		arg = "";
	}
	if (!size)
		return;
	n = n < size - 1 ? n : size - 1;
	memcpy(buf, prefix, n);
	m = strlen(arg);
	m = m < size - 1 - n ? m : size - 1 - n;
	memcpy(buf + n, arg, m);
	buf[n + m] = '\0';
}
