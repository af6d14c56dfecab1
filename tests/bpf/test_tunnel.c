/*
 * BPF_PROG_TEST_RUN fixtures for the tunnel: encapsulation on the endpoint program and
 * decapsulation on the underlay program, compared byte for byte with frames built by hand.
 */
#include <linux/bpf.h>

#include "cbpfnet.skel.h"
#include "fixture.h"
#include "overlay.h"
#include "tap.h"

static const uint8_t E1_MAC[6] = {0x02, 0xcb, 10, 50, 0, 11};
static const uint8_t E2_MAC[6] = {0x02, 0xcb, 10, 50, 0, 12};
static const uint8_t S_MAC[6] = {0x02, 0xcb, 10, 70, 0, 11};
static const uint8_t GW[6] = {0x0a, 0xcb, 0, 0, 0, 1};
static const uint8_t UL_A[6] = {0x9a, 0, 0, 0, 0, 1};
static const uint8_t UL_B[6] = {0x9a, 0, 0, 0, 0, 2};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[6];

static void add_segment(int fd, uint32_t vni, uint16_t vlan, uint32_t net_id)
{
	struct cbpf_vni_key key = {.vni = vni, .vlan = vlan};
	struct cbpf_vni_value value = {.net_id = net_id};

	bpf_map_update_elem(fd, &key, &value, 0);
}

static void add_remote(int fd, const char *addr, uint32_t identity, uint16_t net,
		       const uint8_t *mac, const char *node)
{
	struct cbpf_ep_key key = {.ip = ip(addr)};
	struct cbpf_ep_value value = {
	    .identity = identity, .net_id = net, .flags = CBPF_EP_REMOTE, .node_ip = ip(node)};

	memcpy(value.mac, mac, 6);
	bpf_map_update_elem(fd, &key, &value, 0);
}

/* Registers a node's underlay address in the policy tables, as the compiler does. */
static void add_node(int fd, const char *underlay, uint32_t index)
{
	struct cbpf_policy_key key = {.prefixlen = CBPF_POLICY_PREFIX_PAIR,
				      .src_identity = CBPF_IDENTITY_NODE_TABLE,
				      .dst_identity = ip(underlay)};
	struct cbpf_policy_value value = {.verdict = CBPF_VERDICT_IDENTITY,
					  .rule_id = CBPF_IDENTITY_NODE_BASE + index};

	bpf_map_update_elem(fd, &key, &value, 0);
}

/* Runs prog on in; checks the verdict, and the output unless want is NULL. */
static void expect(int prog, const char *desc, const struct pkt *in, uint32_t verdict,
		   const struct pkt *want)
{
	struct pkt got;
	uint32_t retval;
	int err = run(prog, in, &got, &retval);

	CHECK(!err && retval == verdict, "%s: verdict %u (want %u)", desc, err ? 999 : retval,
	      verdict);
	if (want)
		CHECK(got.len == want->len && !memcmp(got.data, want->data, want->len),
		      "%s: output matches the hand-built frame byte for byte (%u/%u bytes)", desc,
		      got.len, want->len);
}

int main(void)
{
	struct pkt inner, in, want, got;
	struct cbpfnet_bpf *skel;
	struct cbpf_underlay underlay = {.ifindex = LO_IFINDEX, .ip = ip("198.18.0.1")};
	uint32_t zero = 0, retval;
	uint16_t sport;
	int eps, drops, tc_ep, tc_ul;
	uint64_t before;

	libbpf_set_print(NULL);
	FIXTURE_LOAD(cbpfnet_bpf, skel);
	if (!skel)
		return 1;
	eps = bpf_map__fd(skel->maps.cbpf_endpoints);
	drops = bpf_map__fd(skel->maps.cbpf_drop_stats);
	tc_ep = bpf_program__fd(skel->progs.tc_from_ep);
	tc_ul = bpf_program__fd(skel->progs.tc_from_underlay);

	/* ov1 (VNI 100): e1 local on lo, e2 on node 198.18.0.2; seg (VNI 300, VLAN 10): s1 local.
	 */
	struct cbpf_net_key key1 = {.net_id = 1}, key3 = {.net_id = 3};
	struct cbpf_net_value ov1 = {.gateway_ip = ip("10.50.0.1"),
				     .prefix_len = 24,
				     .vni = 100,
				     .model = CBPF_MODEL_OVERLAY};
	struct cbpf_net_value seg = {.gateway_ip = ip("10.70.0.1"),
				     .prefix_len = 24,
				     .vni = 300,
				     .vlan = 10,
				     .model = CBPF_MODEL_OVERLAY};

	memcpy(ov1.gateway_mac, GW, 6);
	memcpy(seg.gateway_mac, GW, 6);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_networks), &key1, &ov1, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_networks), &key3, &seg, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_underlay), &zero, &underlay, 0);
	add_segment(bpf_map__fd(skel->maps.cbpf_vnis), 100, 0, 1);
	add_segment(bpf_map__fd(skel->maps.cbpf_vnis), 300, 10, 3);
	add_ep(eps, "10.50.0.11", LO_IFINDEX, 0x10001, 1, E1_MAC);
	add_remote(eps, "10.50.0.12", 0x10002, 1, E2_MAC, "198.18.0.2");
	add_ep(eps, "10.70.0.11", LO_IFINDEX, 0x10003, 3, S_MAC);
	add_remote(eps, "10.70.0.12", 0x10004, 3, E2_MAC, "198.18.0.2");
	/* Nodes: this host .1, e2's .2 and .3, which hosts none of these endpoints. */
	add_node(bpf_map__fd(skel->maps.cbpf_policy_tables), "198.18.0.1", 1);
	add_node(bpf_map__fd(skel->maps.cbpf_policy_tables), "198.18.0.2", 2);
	add_node(bpf_map__fd(skel->maps.cbpf_policy_tables), "198.18.0.3", 3);

	/* Encapsulation: the outer source port comes from the flow hash, so it is read back. */
	pkt_ipv4(&in, E2_MAC, E1_MAC, ip("10.50.0.11"), ip("10.50.0.12"), 64);
	CHECK(!run(tc_ep, &in, &got, &retval) && retval == TC_ACT_REDIRECT,
	      "encap: e1 -> e2 is redirected to the underlay");
	sport = ntohs(*(uint16_t *)(got.data + PKT_VXLAN_SPORT_OFFSET));
	CHECK(sport >= 49152, "encap: outer source port %u is in the dynamic range", sport);
	pkt_vxlan(&want, E2_MAC, E1_MAC, ip("198.18.0.1"), ip("198.18.0.2"), sport, 100, 0, &in);
	/* Outer MACs are the neighbour subsystem's job after the redirect: compare from L3 on. */
	CHECK(got.len == want.len && !memcmp(got.data + 12, want.data + 12, want.len - 12),
	      "encap: outer IPv4/UDP/VxLAN and inner frame match byte for byte (%u/%u bytes)",
	      got.len, want.len);
	pkt_ipv4(&in, E2_MAC, E1_MAC, ip("10.50.0.11"), ip("10.50.0.12"), 64);
	((struct iphdr *)(in.data + 14))->id = htons(7);
	run(tc_ep, &in, &got, &retval);
	CHECK(ntohs(*(uint16_t *)(got.data + PKT_VXLAN_SPORT_OFFSET)) == sport,
	      "encap: the same flow keeps its source port");

	pkt_ipv4(&in, E2_MAC, S_MAC, ip("10.70.0.11"), ip("10.70.0.12"), 64);
	run(tc_ep, &in, &got, &retval);
	sport = ntohs(*(uint16_t *)(got.data + PKT_VXLAN_SPORT_OFFSET));
	pkt_vxlan(&want, E2_MAC, S_MAC, ip("198.18.0.1"), ip("198.18.0.2"), sport, 300, 10, &in);
	CHECK(retval == TC_ACT_REDIRECT && got.len == want.len &&
		  !memcmp(got.data + 12, want.data + 12, want.len - 12),
	      "encap: VLAN 10 segment gets VNI 300 and an inner 802.1Q tag 10");

	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_underlay), &zero,
			    &(struct cbpf_underlay){0}, 0);
	before = drop_count(drops, CBPF_DROP_NO_ROUTE);
	pkt_ipv4(&in, E2_MAC, E1_MAC, ip("10.50.0.11"), ip("10.50.0.12"), 64);
	expect(tc_ep, "encap without a local node", &in, TC_ACT_SHOT, NULL);
	CHECK(drop_count(drops, CBPF_DROP_NO_ROUTE) == before + 1,
	      "encap without a local node counts no-underlay-route");
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_underlay), &zero, &underlay, 0);

	/* Decapsulation. */
	pkt_ipv4(&inner, E1_MAC, E2_MAC, ip("10.50.0.12"), ip("10.50.0.11"), 64);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	expect(tc_ul, "decap: e2 -> e1", &in, TC_ACT_REDIRECT, &inner);

	pkt_ipv4(&inner, S_MAC, E2_MAC, ip("10.70.0.12"), ip("10.70.0.11"), 64);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 300, 10, &inner);
	expect(tc_ul, "decap: VLAN 10 frame loses its tag", &in, TC_ACT_REDIRECT, &inner);

	struct {
		const char *desc;
		uint32_t vni;
		uint16_t vlan;
		const char *outer_src;
		const char *inner_src;
		uint32_t reason;
	} drops_table[] = {
	    {"decap: unknown VNI", 999, 0, "198.18.0.2", "10.50.0.12", CBPF_DROP_UNKNOWN_VNI},
	    {"decap: VLAN 20 of VNI 300 is no segment here", 300, 20, "198.18.0.2", "10.50.0.12",
	     CBPF_DROP_UNKNOWN_VNI},
	    {"decap: e2's address from the wrong node", 100, 0, "198.18.0.3", "10.50.0.12",
	     CBPF_DROP_TUNNEL_SRC_MISMATCH},
	    {"decap: an unregistered source from e2's node", 100, 0, "198.18.0.2", "10.50.0.77",
	     CBPF_DROP_TUNNEL_SRC_MISMATCH},
	    {"decap: a local endpoint's address from a node", 100, 0, "198.18.0.2", "10.70.0.11",
	     CBPF_DROP_TUNNEL_SRC_MISMATCH},
	    {"decap: e2's address from an underlay address that is no node", 100, 0, "198.18.0.66",
	     "10.50.0.12", CBPF_DROP_TUNNEL_UNKNOWN_NODE},
	    {"decap: an unregistered source from no node", 100, 0, "198.18.0.66", "10.50.0.77",
	     CBPF_DROP_TUNNEL_UNKNOWN_NODE},
	};
	for (size_t i = 0; i < sizeof(drops_table) / sizeof(drops_table[0]); i++) {
		pkt_ipv4(&inner, E1_MAC, E2_MAC, ip(drops_table[i].inner_src), ip("10.50.0.11"),
			 64);
		pkt_vxlan(&in, UL_A, UL_B, ip(drops_table[i].outer_src), ip("198.18.0.1"), 50000,
			  drops_table[i].vni, drops_table[i].vlan, &inner);
		before = drop_count(drops, drops_table[i].reason);
		expect(tc_ul, drops_table[i].desc, &in, TC_ACT_SHOT, NULL);
		CHECK(drop_count(drops, drops_table[i].reason) == before + 1, "%s: counted",
		      drops_table[i].desc);
	}

	pkt_ipv4(&inner, E1_MAC, E2_MAC, ip("10.50.0.12"), ip("10.50.0.99"), 64);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	before = drop_count(drops, CBPF_DROP_UNKNOWN_EP);
	expect(tc_ul, "decap: no such local endpoint", &in, TC_ACT_SHOT, NULL);
	CHECK(drop_count(drops, CBPF_DROP_UNKNOWN_EP) == before + 1,
	      "decap: no such local endpoint: counted");

	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	in.data[14 + 20 + 8] = 0; /* VxLAN flags without I */
	before = drop_count(drops, CBPF_DROP_MALFORMED_VXLAN);
	expect(tc_ul, "decap: VxLAN header without the I flag", &in, TC_ACT_SHOT, NULL);
	CHECK(drop_count(drops, CBPF_DROP_MALFORMED_VXLAN) == before + 1,
	      "decap: VxLAN header without the I flag: counted");

	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	in.data[14 + 20 + 3] = 0x13; /* UDP to 4883: not ours */
	expect(tc_ul, "decap: other UDP goes to the host unchanged", &in, TC_ACT_OK, &in);
	pkt_ipv4(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 64);
	expect(tc_ul, "decap: plain host traffic goes to the host unchanged", &in, TC_ACT_OK, &in);

	/* A peer's ARP request for e1 comes back through the tunnel as a reply. */
	pkt_arp(&inner, BCAST, E2_MAC, 1, E2_MAC, ip("10.50.0.12"), ZERO, ip("10.50.0.11"));
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	pkt_arp(&inner, E2_MAC, E1_MAC, 2, E1_MAC, ip("10.50.0.11"), E2_MAC, ip("10.50.0.12"));
	pkt_vxlan(&want, UL_B, UL_A, ip("198.18.0.1"), ip("198.18.0.2"), 50000, 100, 0, &inner);
	expect(tc_ul, "decap: tunnelled ARP request for e1 is answered through the tunnel", &in,
	       TC_ACT_REDIRECT, &want);

	struct {
		const char *desc;
		const char *outer_src;
		const char *spa;
		uint32_t reason;
	} arp_drops[] = {
	    {"decap: ARP request from no node", "198.18.0.66", "10.50.0.12",
	     CBPF_DROP_TUNNEL_UNKNOWN_NODE},
	    {"decap: ARP request for an address e2's node does not host", "198.18.0.2",
	     "10.50.0.77", CBPF_DROP_TUNNEL_SRC_MISMATCH},
	};
	for (size_t i = 0; i < sizeof(arp_drops) / sizeof(arp_drops[0]); i++) {
		pkt_arp(&inner, BCAST, E2_MAC, 1, E2_MAC, ip(arp_drops[i].spa), ZERO,
			ip("10.50.0.11"));
		pkt_vxlan(&in, UL_A, UL_B, ip(arp_drops[i].outer_src), ip("198.18.0.1"), 50000, 100,
			  0, &inner);
		before = drop_count(drops, arp_drops[i].reason);
		expect(tc_ul, arp_drops[i].desc, &in, TC_ACT_SHOT, NULL);
		CHECK(drop_count(drops, arp_drops[i].reason) == before + 1, "%s: counted",
		      arp_drops[i].desc);
	}

	pkt_ipv6(&inner, E1_MAC, E2_MAC);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	before = drop_count(drops, CBPF_DROP_IPV6);
	expect(tc_ul, "decap: tunnelled IPv6 is dropped", &in, TC_ACT_SHOT, NULL);
	CHECK(drop_count(drops, CBPF_DROP_IPV6) == before + 1, "decap: tunnelled IPv6: counted");

	/* Fragments on decapsulation follow their first fragment like everywhere else. */
	pkt_ipv4(&inner, E1_MAC, E2_MAC, ip("10.50.0.12"), ip("10.50.0.11"), 64);
	pkt_frag(&inner, 0x42, 185, 0);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	before = drop_count(drops, CBPF_DROP_FRAG_UNKNOWN);
	expect(tc_ul, "decap: a later fragment of no first fragment", &in, TC_ACT_SHOT, NULL);
	CHECK(drop_count(drops, CBPF_DROP_FRAG_UNKNOWN) == before + 1,
	      "decap: a later fragment of no first fragment: counted");
	pkt_frag(&inner, 0x42, 0, 1);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	expect(tc_ul, "decap: the first fragment", &in, TC_ACT_REDIRECT, &inner);
	pkt_frag(&inner, 0x42, 185, 0);
	pkt_vxlan(&in, UL_A, UL_B, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &inner);
	expect(tc_ul, "decap: the later fragment follows it", &in, TC_ACT_REDIRECT, &inner);

	cbpfnet_bpf__destroy(skel);
	TAP_EXIT();
}
