/* Policy compiler: identities, priorities, port ranges as prefixes, CIDR nesting, conflicts. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "policy.h"
#include "policy/policy_compile.h"
#include "tap.h"

static struct cbpf_network nets[] = {
    {.name = "neta", .id = 1, .icc = true},
    {.name = "netb", .id = 2, .icc = true},
    {.name = "netc", .id = 3, .icc = false},
};
static struct cbpf_endpoint eps[] = {{.name = "a1", .id = 1, .net = "neta"}};
/* h1 is this host: its underlay address is on one of our interfaces (ul0). */
static struct cbpf_node nodes[] = {{.name = "h2", .underlay_ip = 0x020012c6},
				   {.name = "h1", .underlay_ip = 0x010012c6, .ifname = "ul0"}};
static struct cbpf_state st = {.nets = nets,
			       .n_nets = 3,
			       .eps = eps,
			       .n_eps = 1,
			       .nodes = nodes,
			       .n_nodes = 2,
			       .path = "/nonexistent/state.json"};
static char err[POL_ERR_MAX];

static int compile(const char *text, struct pol_compiled *c, bool strict)
{
	struct pol_set set = {0};
	int rc = policy_parse_text("t.json", text, &set, err, sizeof(err));

	if (!rc)
		rc = policy_compile(&st, &set, strict, c, err, sizeof(err));
	policy_set_free(&set);
	return rc;
}

/* The entry for (src, dst, proto, port) the way the kernel's LPM trie would pick it. */
static const struct pol_entry *lookup(const struct pol_compiled *c, uint32_t src, uint32_t dst,
				      uint8_t proto, uint16_t port)
{
	const struct pol_entry *best = NULL;
	uint32_t want = (uint32_t)proto << 24 | port;

	for (size_t i = 0; i < c->pairs.n + c->rules.n; i++) {
		const struct pol_entry *e =
		    i < c->pairs.n ? &c->pairs.e[i] : &c->rules.e[i - c->pairs.n];
		uint32_t have = (uint32_t)e->key.proto << 24 | ntohs(e->key.dport);
		uint32_t bits = e->key.prefixlen - 64, mask = bits ? ~0u << (32 - bits) : 0;

		if (e->key.src_identity != src || e->key.dst_identity != dst ||
		    (have & mask) != (want & mask))
			continue;
		if (!best || e->key.prefixlen > best->key.prefixlen)
			best = e;
	}
	return best;
}

/* The identity of cidr in c; 0 when it has none. */
static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static uint32_t cidr_id(const struct pol_compiled *c, const char *cidr)
{
	struct cbpf_cidr want;

	cbpf_parse_cidr(cidr, &want);
	for (size_t i = 0; i < c->n_cidrs; i++)
		if (c->cidrs[i].cidr.addr == want.addr &&
		    c->cidrs[i].cidr.prefix_len == want.prefix_len)
			return c->cidrs[i].id;
	return 0;
}

/*
 * A CIDR's identity does not depend on the others: CIDRs added in front of every other keep
 * theirs (so a reload rewrites only the new rules' entries), and no two share one.
 */
static void stable_cidr_ids(void)
{
	size_t cap = 100 * 4200, len;
	char *text = malloc(cap);
	struct pol_compiled before, after;
	uint32_t *ids = calloc(4200, sizeof(*ids));
	size_t kept = 0, unique = 1;

	for (int extra = 0; extra <= 200; extra += 200) {
		len = snprintf(text, cap, "{\"rules\": [\n");
		for (int i = 0; i < extra; i++)
			len += snprintf(text + len, cap - len,
					"{\"from\": \"net:neta\", \"to\": \"cidr:10.200.%d.0/24\", "
					"\"action\": \"deny\"},\n",
					i);
		for (int i = 0; i < 4000; i++)
			len +=
			    snprintf(text + len, cap - len,
				     "{\"from\": \"net:neta\", \"to\": \"cidr:172.16.%d.%d/32\", "
				     "\"action\": \"deny\"},\n",
				     i / 256, i % 256);
		snprintf(text + len - 2, cap - len + 2, "]}");
		CHECK(compile(text, extra ? &after : &before, false) == 0, "%d CIDRs compile (%s)",
		      4000 + extra, err);
	}
	for (int i = 0; i < 4000; i++) {
		char cidr[32];

		snprintf(cidr, sizeof(cidr), "172.16.%d.%d/32", i / 256, i % 256);
		kept += cidr_id(&before, cidr) && cidr_id(&before, cidr) == cidr_id(&after, cidr);
	}
	CHECK(kept == 4000,
	      "200 CIDRs added before 4000 others: all 4000 keep their identity (%zu)", kept);
	for (size_t i = 0; i < after.n_cidrs; i++) {
		ids[i] = after.cidrs[i].id;
		unique &=
		    CBPF_IDENTITY_CLASS(ids[i]) == CBPF_IDENTITY_CLASS(CBPF_IDENTITY_CIDR_BASE) &&
		    ids[i] != CBPF_IDENTITY_CIDR_BASE;
	}
	qsort(ids, after.n_cidrs, sizeof(*ids), u32_cmp);
	for (size_t i = 1; i < after.n_cidrs; i++)
		unique &= ids[i] != ids[i - 1];
	CHECK(after.n_cidrs == 4200 && unique,
	      "4200 CIDRs: 4200 distinct CIDR-class identities, none is world's");
	policy_compiled_free(&before);
	policy_compiled_free(&after);
	free(ids);
	free(text);
}

static uint32_t rule_at(const struct pol_compiled *c, uint32_t src, uint32_t dst, uint8_t proto,
			uint16_t port)
{
	const struct pol_entry *e = lookup(c, src, dst, proto, port);

	return e ? e->value.rule_id : 0xdead;
}

int main(void)
{
	struct pol_compiled c;
	const struct pol_entry *e;
	const uint32_t A1 = CBPF_IDENTITY_EP_BASE + 1;

	CHECK(compile("{\"rules\": [{\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": "
		      "\"deny\"}]}",
		      &c, true) == 0,
	      "one net rule compiles (%s)", err);
	e = lookup(&c, 1, 2, 6, 80);
	CHECK(e && e->key.prefixlen == CBPF_POLICY_PREFIX_PAIR &&
		  e->value.verdict == CBPF_VERDICT_DENY &&
		  e->value.drop_reason == CBPF_DROP_POLICY && e->value.rule_id == 1,
	      "net rule: one pair entry with the deny and rule id 1");
	CHECK(!lookup(&c, 2, 1, 6, 80), "one-way: nothing for netb -> neta");
	e = lookup(&c, 3, 3, 1, 0);
	CHECK(e && e->value.drop_reason == CBPF_DROP_ICC && e->value.priority == 65535 &&
		  e->value.rule_id == 0,
	      "netc icc off: default deny below every rule");
	CHECK(c.pairs.n == 2 && c.rules.n == 0, "two pair entries, no port entries (%zu, %zu)",
	      c.pairs.n, c.rules.n);
	CHECK(c.mask == 1u << (CBPF_LEVEL_NET * CBPF_LEVELS + CBPF_LEVEL_NET),
	      "level mask names only (net, net) (%#x)", c.mask);
	policy_compiled_free(&c);

	CHECK(
	    compile(
		"{\"rules\": [\n"
		"{\"from\": \"ep:a1\", \"to\": \"net:netb\", \"action\": \"allow\", \"priority\": "
		"200},\n"
		"{\"from\": \"ep:a1\", \"to\": \"net:netb\", \"action\": \"deny\", \"protocol\": "
		"\"tcp\", \"ports\": [\"80-90\", \"443\"], \"priority\": 100},\n"
		"{\"from\": \"ep:a1\", \"to\": \"net:netb\", \"action\": \"allow\", \"protocol\": "
		"\"tcp\", \"ports\": \"85\", \"priority\": 50},\n"
		"{\"from\": \"ep:a1\", \"to\": \"net:netb\", \"action\": \"deny\", \"protocol\": "
		"\"udp\", \"priority\": 300}\n"
		"]}",
		&c, true) == 0,
	    "port ranges compile (%s)", err);
	CHECK(rule_at(&c, A1, 2, 6, 79) == 1 && rule_at(&c, A1, 2, 6, 80) == 2 &&
		  rule_at(&c, A1, 2, 6, 84) == 2 && rule_at(&c, A1, 2, 6, 85) == 3 &&
		  rule_at(&c, A1, 2, 6, 86) == 2 && rule_at(&c, A1, 2, 6, 90) == 2 &&
		  rule_at(&c, A1, 2, 6, 91) == 1 && rule_at(&c, A1, 2, 6, 443) == 2 &&
		  rule_at(&c, A1, 2, 6, 444) == 1,
	      "tcp ports: 79 any-allow, 80-84 deny, 85 narrower allow wins, 86-90 deny, 443 deny");
	e = lookup(&c, A1, 2, 1, 0);
	CHECK(e && e->key.prefixlen == CBPF_POLICY_PREFIX_PAIR &&
		  e->value.verdict == (CBPF_VERDICT_ALLOW | CBPF_VERDICT_F_PORTS),
	      "the pair entry keeps its own verdict and points on to the port trie");
	CHECK(rule_at(&c, A1, 2, 17, 53) == 1,
	      "udp: the any-protocol allow at priority 200 beats the udp deny at 300");
	CHECK(rule_at(&c, A1, 2, 1, 0) == 1, "icmp falls back to the pair entry");
	CHECK(c.mask == (1u << (CBPF_LEVEL_INSTANCE * CBPF_LEVELS + CBPF_LEVEL_NET) |
			 1u << (CBPF_LEVEL_NET * CBPF_LEVELS + CBPF_LEVEL_NET)),
	      "level mask names (endpoint, net) and netc's (net, net) icc default");
	policy_compiled_free(&c);

	CHECK(
	    compile("{\"rules\": [\n"
		    "{\"from\": \"net:neta\", \"to\": \"cidr:10.0.0.0/8\", \"action\": \"deny\"},\n"
		    "{\"from\": \"net:neta\", \"to\": \"cidr:10.9.0.0/16\", \"action\": \"allow\", "
		    "\"protocol\": \"tcp\", \"ports\": \"22\", \"priority\": 900},\n"
		    "{\"from\": \"world\", \"to\": \"net:neta\", \"action\": \"deny\", "
		    "\"direction\": \"two-way\", \"priority\": 5000}\n"
		    "]}",
		    &c, true) == 0,
	    "CIDR rules compile (%s)", err);
	{
		uint32_t wide = 0, narrow = 0;

		for (size_t i = 0; i < c.n_cidrs; i++) {
			if (c.cidrs[i].cidr.prefix_len == 8)
				wide = c.cidrs[i].id;
			if (c.cidrs[i].cidr.prefix_len == 16)
				narrow = c.cidrs[i].id;
		}
		CHECK(c.n_cidrs == 2 && wide && narrow, "two CIDR identities");
		CHECK(rule_at(&c, 1, wide, 6, 22) == 1 && rule_at(&c, 1, narrow, 6, 22) == 2 &&
			  rule_at(&c, 1, narrow, 6, 23) == 1,
		      "the /8 deny also binds the nested /16; its port 22 allow is narrower");
		CHECK(rule_at(&c, CBPF_IDENTITY_CIDR_BASE, 1, 6, 1) == 3 &&
			  rule_at(&c, narrow, 1, 6, 1) == 3 && rule_at(&c, 1, wide, 17, 1) == 1,
		      "world covers unlisted addresses and every CIDR, both ways");
	}
	policy_compiled_free(&c);

	CHECK(compile("{\"rules\": [\n{\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": "
		      "\"deny\"},\n{\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": "
		      "\"allow\", \"protocol\": \"udp\", \"ports\": \"53\"}\n]}",
		      &c, true) == -EINVAL &&
		  !strcmp(err, "t.json:3: conflicts with the rule at t.json:2: both have "
			       "priority 1000, one allows and one denies"),
	      "conflicting rules at one priority are rejected: %s", err);
	CHECK(compile("{\"rules\": [\n{\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": "
		      "\"deny\", \"protocol\": \"tcp\"},\n{\"from\": \"net:neta\", \"to\": "
		      "\"net:netb\", \"action\": \"allow\", \"protocol\": \"udp\"}\n]}",
		      &c, true) == 0,
	      "different protocols at one priority do not conflict");
	policy_compiled_free(&c);
	CHECK(compile("{\"rules\": [\n{\"from\": \"ep:ghost\", \"to\": \"net:netb\", \"action\": "
		      "\"deny\"}]}",
		      &c, true) == -EINVAL &&
		  !strcmp(err, "t.json:2: no such object 'ep:ghost'"),
	      "strict: unknown endpoint rejected: %s", err);
	CHECK(compile("{\"rules\": [\n{\"from\": \"ep:ghost\", \"to\": \"net:netb\", \"action\": "
		      "\"deny\"}]}",
		      &c, false) == 0 &&
		  c.pairs.n == 1 && c.rules.n == 0,
	      "lenient: the rule is left out, icc default stays");
	policy_compiled_free(&c);

	CHECK(compile(
		  "{\"rules\": [\n"
		  "{\"from\": \"node:h2\", \"to\": \"net:neta\", \"action\": \"deny\"},\n"
		  "{\"from\": \"host:h2\", \"to\": \"net:neta\", \"action\": \"allow\", "
		  "\"protocol\": \"tcp\", \"ports\": \"22\"},\n"
		  "{\"from\": \"vlan:100\", \"to\": \"host\", \"action\": \"deny\", \"direction\": "
		  "\"two-way\"}\n"
		  "]}",
		  &c, true) == 0,
	      "node, host and vlan selectors compile (%s)", err);
	CHECK(rule_at(&c, CBPF_IDENTITY_NODE_BASE + 1, 1, 6, 80) == 1 &&
		  rule_at(&c, CBPF_IDENTITY_HOST_BASE + 1, 1, 6, 22) == 2 &&
		  rule_at(&c, CBPF_IDENTITY_VLAN_BASE + 100, CBPF_IDENTITY_HOST_BASE, 1, 0) == 3 &&
		  rule_at(&c, CBPF_IDENTITY_HOST_BASE, CBPF_IDENTITY_VLAN_BASE + 100, 1, 0) == 3,
	      "node:h2, host:h2, vlan:100 and host resolve to their identities");
	{
		bool node_entry = false, host_entry = false;

		for (size_t i = 0; i < c.tables.n; i++) {
			const struct pol_entry *t = &c.tables.e[i];

			node_entry |= t->key.src_identity == CBPF_IDENTITY_NODE_TABLE &&
				      t->key.dst_identity == nodes[0].underlay_ip &&
				      t->value.rule_id == CBPF_IDENTITY_NODE_BASE + 1;
			host_entry |= t->key.src_identity == CBPF_IDENTITY_ADDR_TABLE &&
				      t->key.dst_identity == nodes[0].underlay_ip &&
				      t->value.rule_id == CBPF_IDENTITY_HOST_BASE + 1;
		}
		CHECK(node_entry && host_entry,
		      "h2's underlay address is in the node and host tables");
	}
	policy_compiled_free(&c);

	CHECK(compile("{\"rules\": [\n"
		      "{\"from\": \"node:h1\", \"to\": \"net:neta\", \"action\": \"deny\"},\n"
		      "{\"from\": \"net:neta\", \"to\": \"host:h1\", \"action\": \"deny\"}\n"
		      "]}",
		      &c, true) == 0,
	      "node:h1 and host:h1 naming this host compile (%s)", err);
	CHECK(rule_at(&c, CBPF_IDENTITY_NODE_BASE, 1, 6, 80) == 1 &&
		  rule_at(&c, 1, CBPF_IDENTITY_HOST_BASE, 6, 80) == 2 &&
		  rule_at(&c, CBPF_IDENTITY_NODE_BASE + 2, 1, 6, 80) == 0xdead &&
		  rule_at(&c, 1, CBPF_IDENTITY_HOST_BASE + 2, 6, 80) == 0xdead,
	      "node:h1 and host:h1 on h1 are this host's identities, as node:local and host are");
	{
		bool node_entry = false, host_entry = false;

		for (size_t i = 0; i < c.tables.n; i++) {
			const struct pol_entry *t = &c.tables.e[i];

			node_entry |= t->key.src_identity == CBPF_IDENTITY_NODE_TABLE &&
				      t->key.dst_identity == nodes[1].underlay_ip &&
				      t->value.rule_id == CBPF_IDENTITY_NODE_BASE;
			host_entry |= t->key.src_identity == CBPF_IDENTITY_ADDR_TABLE &&
				      t->key.dst_identity == nodes[1].underlay_ip &&
				      t->value.rule_id == CBPF_IDENTITY_HOST_BASE;
		}
		CHECK(node_entry && host_entry,
		      "this host's underlay address maps to this host's node and host identities");
	}
	policy_compiled_free(&c);

	{
		/* One pair, many single ports: the sweep must give each its own winner. */
		size_t n = 20000, len = 0, cap = 64 * n + 256;
		char *text = malloc(cap);

		len += snprintf(text + len, cap - len,
				"{\"rules\": [{\"from\": \"net:neta\", \"to\": \"net:netb\", "
				"\"action\": \"deny\", \"protocol\": \"tcp\", \"ports\": [");
		for (size_t i = 0; i < n; i++)
			len +=
			    snprintf(text + len, cap - len, "%s\"%zu\"", i ? ", " : "", 2 * i + 1);
		len += snprintf(text + len, cap - len,
				"]}, {\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": "
				"\"allow\", \"protocol\": \"tcp\", \"ports\": \"100-199\", "
				"\"priority\": 5}]}");
		CHECK(compile(text, &c, true) == 0, "20000 port entries of one pair compile (%s)",
		      err);
		CHECK(rule_at(&c, 1, 2, 6, 1) == 1 && rule_at(&c, 1, 2, 6, 39999) == 1 &&
			  rule_at(&c, 1, 2, 6, 2) == 0xdead &&
			  rule_at(&c, 1, 2, 6, 40000) == 0xdead && rule_at(&c, 1, 2, 6, 101) == 2 &&
			  rule_at(&c, 1, 2, 6, 150) == 2 && rule_at(&c, 1, 2, 6, 201) == 1,
		      "odd ports deny, even ones nothing, 100-199 is the priority-5 allow");
		CHECK(!lookup(&c, 1, 2, 1, 0) &&
			  (c.mask & 1u << (CBPF_MASK_PORTS_ONLY + CBPF_LEVEL_NET * CBPF_LEVELS +
					   CBPF_LEVEL_NET)),
		      "a pair with port rules alone has no pair entry: its level pair's ports-only "
		      "bit sends the datapath to the trie (mask %#x)",
		      c.mask);
		policy_compiled_free(&c);
		free(text);
	}
	CHECK(compile("{\"rules\": [\n"
		      "{\"from\": \"net:neta\", \"to\": \"net:netb\", \"action\": \"deny\", "
		      "\"protocol\": \"tcp\", \"ports\": \"8000-8099\"},\n"
		      "{\"from\": \"net:netb\", \"to\": \"net:neta\", \"action\": \"deny\", "
		      "\"protocol\": \"udp\"}\n"
		      "]}",
		      &c, true) == 0,
	      "pairs of one rule each compile (%s)", err);
	CHECK(rule_at(&c, 1, 2, 6, 7999) == 0xdead && rule_at(&c, 1, 2, 6, 8000) == 1 &&
		  rule_at(&c, 1, 2, 6, 8063) == 1 && rule_at(&c, 1, 2, 6, 8099) == 1 &&
		  rule_at(&c, 1, 2, 6, 8100) == 0xdead && rule_at(&c, 1, 2, 17, 8000) == 0xdead &&
		  c.rules.n == 4,
	      "one rule's port range: its own aligned blocks (8000-8063, 8064-8095, 8096-8099: "
	      "%zu entries in all), nothing beside it",
	      c.rules.n);
	CHECK(rule_at(&c, 2, 1, 17, 1) == 2 && rule_at(&c, 2, 1, 17, 65535) == 2 &&
		  rule_at(&c, 2, 1, 6, 1) == 0xdead,
	      "one rule of a protocol and no ports: the protocol entry alone");
	policy_compiled_free(&c);
	{
		size_t n = POL_MAX_PORT_ENTRIES + 1, len = 0, cap = 8 * n + 256;
		char *text = malloc(cap);

		len += snprintf(text + len, cap - len,
				"{\"rules\": [{\"from\": \"net:neta\", \"to\": \"net:netb\",\n"
				"\"action\": \"deny\", \"protocol\": \"tcp\", \"ports\": [");
		for (size_t i = 0; i < n; i++)
			len += snprintf(text + len, cap - len, "%s%zu", i ? "," : "", i % 65536);
		snprintf(text + len, cap - len, "]}]}");
		CHECK(compile(text, &c, true) == -EINVAL &&
			  !strcmp(err, "t.json:1: more than 200000 port entries in the policy (the "
				       "limit, counted over all rules)"),
		      "one port entry over the limit is refused: %s", err);
		free(text);
	}
	{
		/*
		 * world binds every CIDR: (CIDRs + 1)^2 pairs from one world -> world rule, beside
		 * one pair per CIDR rule and netc's icc-off default.
		 */
		size_t cap = 128 * 2100 + 256, len = 0;
		char *text = malloc(cap), want[160];

		for (int n_cidrs = 2048; n_cidrs >= 1100; n_cidrs -= 948) {
			len = snprintf(text, cap, "{\"rules\": [\n");
			for (int i = 0; i < n_cidrs; i++)
				len += snprintf(
				    text + len, cap - len,
				    "{\"from\": \"cidr:10.%d.%d.0/24\", \"to\": \"net:neta\", "
				    "\"action\": \"deny\"},\n",
				    i / 256, i % 256);
			snprintf(
			    text + len, cap - len,
			    "{\"from\": \"world\", \"to\": \"world\", \"action\": \"deny\"}]}");
			if (n_cidrs == 2048)
				snprintf(
				    want, sizeof(want),
				    "t.json:%d: the rules up to here expand to more than 4194304 "
				    "(source, destination) pairs (the limit)",
				    n_cidrs + 2);
			else
				snprintf(
				    want, sizeof(want),
				    "the policy compiles to %d pair entries, more than the 1048576 "
				    "its map holds",
				    (n_cidrs + 1) * (n_cidrs + 1) + n_cidrs + 1);
			CHECK(compile(text, &c, true) == -EINVAL && !strcmp(err, want),
			      "%d CIDRs and world -> world are refused: %s", n_cidrs, err);
		}
		free(text);
	}
	{
		struct pol_set set = {0};

		CHECK(policy_parse_path("policy/cross-host", &set, err, sizeof(err)) == 0 &&
			  policy_compile(&st, &set, true, &c, err, sizeof(err)) == 0,
		      "the cross-host example compiles against a state with node h2 (%s)", err);
		policy_compiled_free(&c);
		policy_set_free(&set);
	}
	stable_cidr_ids();
	TAP_EXIT();
}
