/*
 * policy explain's program against the datapath: tc_explain (bpf/explain.bpf.c) shares the
 * endpoint programs' maps, and for each row the same packet goes through both. Explain's verdict
 * must be the packet's fate, its drop reason the one counted and its rule the one whose counter
 * rose; explain itself must count nothing and track no flow.
 */
#include <linux/bpf.h>

#include "cbpfnet.skel.h"
#include "conntrack.h"
#include "explain.h"
#include "explain.skel.h"
#include "fixture.h"
#include "macvlan.h"
#include "macvlan.skel.h"
#include "tap.h"

static const uint8_t A_MAC[6] = {0x02, 0xcb, 10, 1, 0, 2};
static const uint8_t GW_MAC[6] = {0x0a, 0xcb, 0, 0, 0, 1};

/* The datapath program that meets the row's packet on lo, and its verdict for a drop. */
enum hook { FROM_EP, TO_EP, MACVLAN_OUT, MACVLAN_IN };

static const uint32_t dropped[] = {
    [FROM_EP] = TC_ACT_SHOT,
    [TO_EP] = TC_ACT_REDIRECT, /* the sender's transmit path: dropped as if sent */
    [MACVLAN_OUT] = TC_ACT_REDIRECT,
    [MACVLAN_IN] = TC_ACT_SHOT,
};

struct row {
	const char *desc;
	const char *src, *dst;
	uint8_t proto;
	uint16_t dport;
	enum hook hook;
	uint32_t reason;
	uint32_t rule;
};

struct maps {
	int drops, rules, ct;
};

/* The first packet of a flow: ICMP echo request, or TCP/UDP from port 40000 to dport. */
static void flow_pkt(struct pkt *p, const struct row *r)
{
	struct iphdr *iph;

	pkt_ipv4(p, A_MAC, GW_MAC, ip(r->src), ip(r->dst), 64);
	if (r->proto == IPPROTO_ICMP)
		return;
	pkt_udp(p, 40000, r->dport);
	iph = pkt_iph(p);
	iph->protocol = r->proto;
	iph->check = 0;
	iph->check = pkt_ip_checksum(iph);
}

static uint64_t rule_hits(int fd, uint32_t rule)
{
	int ncpu = libbpf_num_possible_cpus();
	struct cbpf_rule_stat stats[ncpu];
	uint64_t sum = 0;

	if (!rule || bpf_map_lookup_elem(fd, &rule, stats))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += stats[i].packets;
	return sum;
}

static uint32_t map_entries(int fd)
{
	struct cbpf_ct_key key, next;
	uint32_t n = 0;

	for (int err = bpf_map_get_next_key(fd, NULL, &next); !err;
	     err = bpf_map_get_next_key(fd, &key, &next)) {
		key = next;
		n++;
	}
	return n;
}

static void check_row(const int progs[], int explain, const struct maps *m, const struct row *r)
{
	struct __sk_buff ctx = {0};
	struct pkt in, out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in.data, .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx, .ctx_size_out = sizeof(ctx),
		    .repeat = 1);
	uint32_t verdict;
	uint64_t drops, hits;
	uint32_t flows, reason, rule;
	int err;

	flow_pkt(&in, r);
	opts.data_size_in = in.len;
	drops = drop_count(m->drops, r->reason);
	hits = rule_hits(m->rules, r->rule);
	flows = map_entries(m->ct);
	err = bpf_prog_test_run_opts(explain, &opts);
	reason = ctx.cb[CBPF_EXPLAIN_CB_REASON];
	rule = ctx.cb[CBPF_EXPLAIN_CB_RULE];
	CHECK(!err && opts.retval == CBPF_EXPLAIN_ANSWERED &&
		  (ctx.cb[CBPF_EXPLAIN_CB_FLAGS] & CBPF_EXPLAIN_JUDGED) && reason == r->reason &&
		  rule == r->rule,
	      "explain: %s: reason %u rule %u (want %u, %u)", r->desc, reason, rule, r->reason,
	      r->rule);
	CHECK(drop_count(m->drops, r->reason) == drops && rule_hits(m->rules, r->rule) == hits &&
		  map_entries(m->ct) == flows,
	      "explain: %s: no counter moved, no flow tracked", r->desc);

	err = run(progs[r->hook], &in, &out, &verdict);
	CHECK(!err && (verdict == dropped[r->hook]) == (reason != 0),
	      "datapath: %s: %s as explain said", r->desc, reason ? "dropped" : "passed");
	if (reason)
		CHECK(drop_count(m->drops, reason) == drops + 1,
		      "datapath: %s: counted under explain's reason", r->desc);
	if (rule)
		CHECK(rule_hits(m->rules, rule) == hits + 1,
		      "datapath: %s: counted under explain's rule", r->desc);
}

/* obj on the maps of the same name in from, as the loader shares them through pins. */
static int share_maps(struct bpf_object *obj, const struct bpf_object *from)
{
	struct bpf_map *map, *same;

	bpf_object__for_each_map(map, obj)
	{
		bpf_map__set_pin_path(map, NULL);
		same = bpf_object__find_map_by_name(from, bpf_map__name(map));
		if (same && bpf_map__reuse_fd(map, bpf_map__fd(same)))
			return -errno;
	}
	return 0;
}

int main(void)
{
	const uint32_t world = CBPF_IDENTITY_CIDR_BASE, host = CBPF_IDENTITY_HOST_BASE;
	/* a1, c1 and m1 sit on lo, where the test runs' packets arrive and leave. */
	static const struct row rows[] = {
	    {"a1 -> a2, one network, no rule", "10.1.0.2", "10.1.0.3", IPPROTO_ICMP, 0, FROM_EP, 0,
	     0},
	    {"a1 -> b1 tcp/22, denied pair", "10.1.0.2", "10.2.0.2", IPPROTO_TCP, 22, FROM_EP,
	     CBPF_DROP_POLICY, 5},
	    {"c1 -> c2, icc off", "10.3.0.2", "10.3.0.3", IPPROTO_ICMP, 0, FROM_EP, CBPF_DROP_ICC,
	     0},
	    {"c1 -> b1 udp/53, no rule across networks", "10.3.0.2", "10.2.0.2", IPPROTO_UDP, 53,
	     FROM_EP, CBPF_DROP_NET_ISOLATION, 0},
	    {"a1 -> b2, allowed pair across networks", "10.1.0.2", "10.2.0.3", IPPROTO_UDP, 53,
	     FROM_EP, 0, 6},
	    {"a1 -> outside tcp/80, the port entry denies", "10.1.0.2", "192.0.2.10", IPPROTO_TCP,
	     80, FROM_EP, CBPF_DROP_POLICY, 7},
	    {"a1 -> outside tcp/443, the pair allows", "10.1.0.2", "192.0.2.10", IPPROTO_TCP, 443,
	     FROM_EP, 0, 8},
	    {"a1 -> outside udp/80, the pair allows", "10.1.0.2", "192.0.2.10", IPPROTO_UDP, 80,
	     FROM_EP, 0, 8},
	    {"the host's address -> a1 tcp/22, host denied", "198.18.0.1", "10.1.0.2", IPPROTO_TCP,
	     22, TO_EP, CBPF_DROP_POLICY, 9},
	    {"outside -> a1 tcp/22, allowed by default", "192.0.2.10", "10.1.0.2", IPPROTO_TCP, 22,
	     TO_EP, 0, 0},
	    {"m1 (macvlan) -> a peer on another host, its network denied", "10.4.0.2", "10.4.0.9",
	     IPPROTO_UDP, 53, MACVLAN_OUT, CBPF_DROP_POLICY, 10},
	    {"a peer on another host -> m1 (macvlan), its network allowed", "10.4.0.9", "10.4.0.2",
	     IPPROTO_TCP, 22, MACVLAN_IN, 0, 11},
	    {"m1 (macvlan) -> c1, no rule across networks", "10.4.0.2", "10.3.0.2", IPPROTO_ICMP, 0,
	     MACVLAN_OUT, CBPF_DROP_NET_ISOLATION, 0},
	    /* 203.0.113.7/32 and its port 443 in the exact hash, the /24 and ports 8000-8007 in
	     * the tries; the /32's pair has port entries and no pair-hash entry. */
	    {"a1 -> an exact address tcp/443: its exact port entry, no pair entry", "10.1.0.2",
	     "203.0.113.7", IPPROTO_TCP, 443, FROM_EP, CBPF_DROP_POLICY, 12},
	    {"a1 -> an exact address tcp/8003: the port trie's range", "10.1.0.2", "203.0.113.7",
	     IPPROTO_TCP, 8003, FROM_EP, CBPF_DROP_POLICY, 13},
	    {"a1 -> an exact address tcp/22: its identity has no rule there", "10.1.0.2",
	     "203.0.113.7", IPPROTO_TCP, 22, FROM_EP, 0, 0},
	    {"a1 -> another address of the /24: the address trie's identity", "10.1.0.2",
	     "203.0.113.9", IPPROTO_TCP, 443, FROM_EP, CBPF_DROP_POLICY, 14},
	};
	const uint32_t exact_id = CBPF_IDENTITY_CIDR_BASE + 1, net_id = CBPF_IDENTITY_CIDR_BASE + 2;
	const struct {
		struct cbpf_policy_key key;
		struct cbpf_policy_value value;
		bool exact;
	} entries[] = {
	    {{CBPF_POLICY_PREFIX_PAIR, CBPF_IDENTITY_ADDR_TABLE, ip("203.0.113.7"), 0, 0, 0},
	     {CBPF_VERDICT_IDENTITY, 0, 0, exact_id},
	     true},
	    {{CBPF_POLICY_PREFIX_PAIR - 8, CBPF_IDENTITY_ADDR_TABLE, ip("203.0.113.0"), 0, 0, 0},
	     {CBPF_VERDICT_IDENTITY, 0, 0, net_id},
	     false},
	    {{CBPF_POLICY_PREFIX_FULL, 0x10001, exact_id, IPPROTO_TCP, 0, htons(443)},
	     {CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 1000, 12},
	     true},
	    {{CBPF_POLICY_PREFIX_FULL - 3, 0x10001, exact_id, IPPROTO_TCP, 0, htons(8000)},
	     {CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 1000, 13},
	     false},
	};
	uint32_t zero = 0,
		 mask = 0xffff | 1u << (CBPF_MASK_PORTS_ONLY + CBPF_LEVEL_INSTANCE * CBPF_LEVELS +
					CBPF_LEVEL_INSTANCE);
	struct cbpf_policy_key port = {.prefixlen = CBPF_POLICY_PREFIX_FULL,
				       .src_identity = 0x10001,
				       .dst_identity = world,
				       .proto = IPPROTO_TCP,
				       .dport = htons(80)};
	struct cbpf_policy_value port_deny = {.verdict = CBPF_VERDICT_DENY,
					      .drop_reason = CBPF_DROP_POLICY,
					      .priority = 1000,
					      .rule_id = 7};
	struct cbpf_policy_key host_addr = {.prefixlen = CBPF_POLICY_PREFIX_PAIR,
					    .src_identity = CBPF_IDENTITY_ADDR_TABLE,
					    .dst_identity = ip("198.18.0.1")};
	struct cbpf_policy_value host_id = {.verdict = CBPF_VERDICT_IDENTITY, .rule_id = host};
	/* m1, a macvlan endpoint of network 4 on lo; its network's peers on other hosts are in
	 * no map. */
	struct cbpf_macvlan_key m1_link = {.ifindex = LO_IFINDEX};
	struct cbpf_macvlan_link link = {
	    .ip = ip("10.4.0.2"), .net_id = 4, .subnet = ip("10.4.0.0"), .prefix_len = 24};
	struct cbpf_ep_key m1 = {.ip = ip("10.4.0.2")};
	struct cbpf_ep_value m1_ep = {
	    .ifindex = LO_IFINDEX, .identity = 0x10007, .net_id = 4, .flags = CBPF_EP_MACVLAN};
	struct explain_bpf *explain = explain_bpf__open();
	struct macvlan_bpf *mv = macvlan_bpf__open();
	struct cbpfnet_bpf *dp;
	struct maps m;
	int eps, nets, pol, progs[4], loaded;

	libbpf_set_print(NULL);
	FIXTURE_LOAD(cbpfnet_bpf, dp);
	loaded = dp && explain && mv && !share_maps(mv->obj, dp->obj) && !macvlan_bpf__load(mv) &&
		 !share_maps(explain->obj, dp->obj) && !share_maps(explain->obj, mv->obj) &&
		 !explain_bpf__load(explain);
	CHECK(loaded, "the explain and macvlan objects load on the datapath's maps");
	if (!loaded)
		goto out;
	progs[FROM_EP] = bpf_program__fd(dp->progs.tc_from_ep);
	progs[TO_EP] = bpf_program__fd(dp->progs.tc_to_ep);
	progs[MACVLAN_OUT] = bpf_program__fd(mv->progs.tc_macvlan_egress);
	progs[MACVLAN_IN] = bpf_program__fd(mv->progs.tc_macvlan_ingress);
	eps = bpf_map__fd(dp->maps.cbpf_endpoints);
	nets = bpf_map__fd(dp->maps.cbpf_networks);
	pol = bpf_map__fd(dp->maps.cbpf_policy);
	m.drops = bpf_map__fd(dp->maps.cbpf_drop_stats);
	m.rules = bpf_map__fd(dp->maps.cbpf_rule_stats);
	m.ct = bpf_map__fd(dp->maps.cbpf_ct);

	/* neta: a1, a2; netb: b1, b2; netc (icc off): c1, c2. */
	add_net(nets, 1, "10.1.0.1", "10.1.0.0", GW_MAC);
	add_net(nets, 2, "10.2.0.1", "10.2.0.0", GW_MAC);
	add_net(nets, 3, "10.3.0.1", "10.3.0.0", GW_MAC);
	add_net(nets, 4, "10.4.0.1", "10.4.0.0", GW_MAC);
	add_ep(eps, "10.1.0.2", LO_IFINDEX, 0x10001, 1, A_MAC);
	add_ep(eps, "10.1.0.3", 42, 0x10002, 1, A_MAC);
	add_ep(eps, "10.2.0.2", 43, 0x10003, 2, A_MAC);
	add_ep(eps, "10.2.0.3", 44, 0x10004, 2, A_MAC);
	add_ep(eps, "10.3.0.2", LO_IFINDEX, 0x10005, 3, A_MAC);
	add_ep(eps, "10.3.0.3", 45, 0x10006, 3, A_MAC);
	bpf_map_update_elem(eps, &m1, &m1_ep, 0);
	bpf_map_update_elem(bpf_map__fd(mv->maps.cbpf_macvlan_links), &m1_link, &link, 0);
	policy_use_all_levels(bpf_map__fd(dp->maps.cbpf_policy_mask));
	add_policy_rule(pol, 3, 3, CBPF_VERDICT_DENY, CBPF_DROP_ICC, 0);
	add_policy_rule(pol, 0x10001, 0x10003, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 5);
	add_policy_rule(pol, 1, 0x10004, CBPF_VERDICT_ALLOW, 0, 6);
	add_policy_rule(pol, 0x10001, world, CBPF_VERDICT_ALLOW | CBPF_VERDICT_F_PORTS, 0, 8);
	add_policy_rule(pol, host, 0x10001, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 9);
	add_policy_rule(pol, 0x10007, 4, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 10);
	add_policy_rule(pol, 4, 0x10007, CBPF_VERDICT_ALLOW, 0, 11);
	bpf_map_update_elem(bpf_map__fd(dp->maps.cbpf_policy_ports), &port, &port_deny, 0);
	bpf_map_update_elem(bpf_map__fd(dp->maps.cbpf_policy_tables), &host_addr, &host_id, 0);
	add_policy_rule(pol, 0x10001, net_id, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 14);
	bpf_map_update_elem(bpf_map__fd(dp->maps.cbpf_policy_mask), &zero, &mask, 0);
	for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
		bpf_map_update_elem(
		    bpf_map__fd(entries[i].exact ? dp->maps.cbpf_policy_exact
				: entries[i].key.src_identity == CBPF_IDENTITY_ADDR_TABLE
				    ? dp->maps.cbpf_policy_tables
				    : dp->maps.cbpf_policy_ports),
		    &entries[i].key, &entries[i].value, 0);

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		check_row(progs, bpf_program__fd(explain->progs.tc_explain), &m, &rows[i]);
	CHECK(map_entries(m.ct) > 0,
	      "the datapath tracked the allowed flows: the flow count reads");
out:
	macvlan_bpf__destroy(mv);
	explain_bpf__destroy(explain);
	cbpfnet_bpf__destroy(dp);
	TAP_EXIT();
}
