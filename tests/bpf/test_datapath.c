/*
 * BPF_PROG_TEST_RUN fixtures for the endpoint programs: each row is an input packet, the
 * expected verdict, the expected output packet and the drop reason that must be counted.
 */
#include <linux/bpf.h>

#include "cbpfnet.skel.h"
#include "fixture.h"
#include "tap.h"

static const uint8_t A1_MAC[6] = {0x02, 0xcb, 10, 1, 0, 2};
static const uint8_t A2_MAC[6] = {0x02, 0xcb, 10, 1, 0, 3};
static const uint8_t B1_MAC[6] = {0x02, 0xcb, 10, 2, 0, 2};
static const uint8_t C1_MAC[6] = {0x02, 0xcb, 10, 3, 0, 2};
static const uint8_t GW_A[6] = {0x0a, 0xcb, 0, 0, 0, 1};
static const uint8_t GW_B[6] = {0x0a, 0xcb, 0, 0, 0, 2};
static const uint8_t GW_C[6] = {0x0a, 0xcb, 0, 0, 0, 3};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[6];

struct fixture {
	const char *desc;
	struct pkt in;
	int tc_verdict;
	int xdp_verdict;
	struct pkt out;	 /* expected output; len 0 means "unchanged" */
	uint32_t reason; /* drop reason counted, CBPF_DROP_NONE for none */
};

static void check_fixture(const char *hook, int prog_fd, int drops_fd, const struct fixture *f,
			  int expected_verdict)
{
	const struct pkt *want = f->out.len ? &f->out : &f->in;
	struct pkt got;
	uint32_t verdict;
	uint64_t before = drop_count(drops_fd, f->reason);
	int err = run(prog_fd, &f->in, &got, &verdict);

	if (expected_verdict < 0) {
		/* The kernel refuses to build the skb: such a frame cannot reach the program. */
		CHECK(err == expected_verdict, "%s: %s: test run refused with %d (got %d)", hook,
		      f->desc, expected_verdict, err);
		return;
	}
	CHECK(!err && verdict == (uint32_t)expected_verdict, "%s: %s: verdict %d (want %d)", hook,
	      f->desc, err ? err : (int)verdict, expected_verdict);
	if (f->reason != CBPF_DROP_NONE)
		CHECK(drop_count(drops_fd, f->reason) == before + 1,
		      "%s: %s: drop reason %u counted", hook, f->desc, f->reason);
	else
		CHECK(got.len == want->len && !memcmp(got.data, want->data, want->len),
		      "%s: %s: output packet as expected", hook, f->desc);
}

int main(void)
{
	static struct fixture f[40];
	struct cbpfnet_bpf *skel;
	int n = 0, eps, nets, pol, drops;

	libbpf_set_print(NULL);
	FIXTURE_LOAD(cbpfnet_bpf, skel);
	if (!skel)
		return 1;
	eps = bpf_map__fd(skel->maps.cbpf_endpoints);
	nets = bpf_map__fd(skel->maps.cbpf_networks);
	pol = bpf_map__fd(skel->maps.cbpf_policy);
	drops = bpf_map__fd(skel->maps.cbpf_drop_stats);

	/* neta: a1 (sender, on lo) and a2; netb: b1; netc (icc off): c1 (sender) and c2. */
	add_net(nets, 1, "10.1.0.1", "10.1.0.0", GW_A);
	add_net(nets, 2, "10.2.0.1", "10.2.0.0", GW_B);
	add_net(nets, 3, "10.3.0.1", "10.3.0.0", GW_C);
	add_ep(eps, "10.1.0.2", LO_IFINDEX, 0x10001, 1, A1_MAC);
	add_ep(eps, "10.1.0.3", 42, 0x10002, 1, A2_MAC);
	add_ep(eps, "10.1.0.4", 43, 0x10004, 1, A2_MAC);
	add_ep(eps, "10.2.0.2", 44, 0x10003, 2, B1_MAC);
	add_ep(eps, "10.2.0.3", 46, 0x10007, 2, B1_MAC);
	add_ep(eps, "10.3.0.2", LO_IFINDEX, 0x10005, 3, C1_MAC);
	add_ep(eps, "10.3.0.3", 45, 0x10006, 3, C1_MAC);
	policy_use_all_levels(bpf_map__fd(skel->maps.cbpf_policy_mask));
	add_policy(pol, 3, 3, CBPF_VERDICT_DENY, CBPF_DROP_ICC);
	add_policy(pol, 0x10001, 0x10004, CBPF_VERDICT_DENY, CBPF_DROP_POLICY);
	add_policy(pol, 0x10001, 0x10007, CBPF_VERDICT_ALLOW, 0);
	/* Node 198.18.0.2 in the policy tables, as the compiler registers every node. */
	struct cbpf_policy_key node = {.prefixlen = CBPF_POLICY_PREFIX_PAIR,
				       .src_identity = CBPF_IDENTITY_NODE_TABLE,
				       .dst_identity = ip("198.18.0.2")};
	struct cbpf_policy_value node_id = {.verdict = CBPF_VERDICT_IDENTITY,
					    .rule_id = CBPF_IDENTITY_NODE_BASE + 2};

	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_policy_tables), &node, &node_id, 0);

	f[n].desc = "ARP request for the gateway is answered with the gateway MAC";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.1.0.1"));
	pkt_arp(&f[n].out, A1_MAC, GW_A, 2, GW_A, ip("10.1.0.1"), A1_MAC, ip("10.1.0.2"));
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_TX;

	f[n].desc = "ARP request for a peer is answered with the peer's MAC";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.1.0.3"));
	pkt_arp(&f[n].out, A1_MAC, A2_MAC, 2, A2_MAC, ip("10.1.0.3"), A1_MAC, ip("10.1.0.2"));
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_TX;

	f[n].desc = "ARP request for an unknown address is dropped";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.1.0.99"));
	f[n].reason = CBPF_DROP_ARP_UNKNOWN;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "ARP request for another network's endpoint is dropped";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.2.0.2"));
	f[n].reason = CBPF_DROP_ARP_UNKNOWN;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "ARP reply from the endpoint goes to the stack";
	pkt_arp(&f[n].in, GW_A, A1_MAC, 2, A1_MAC, ip("10.1.0.2"), GW_A, ip("10.1.0.1"));
	f[n].tc_verdict = TC_ACT_OK, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "same-network forward keeps the frame and redirects";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "routed forward to an allowed endpoint rewrites MACs and TTL";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("10.2.0.3"), 64);
	pkt_ipv4(&f[n].out, B1_MAC, GW_B, ip("10.1.0.2"), ip("10.2.0.3"), 63);
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "denied endpoint pair is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.4"), 64);
	f[n].reason = CBPF_DROP_POLICY;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "cross-network traffic without a rule is dropped";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 64);
	f[n].reason = CBPF_DROP_NET_ISOLATION;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "icc off drops traffic inside the network";
	pkt_ipv4(&f[n].in, C1_MAC, C1_MAC, ip("10.3.0.2"), ip("10.3.0.3"), 64);
	f[n].reason = CBPF_DROP_ICC;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "spoofed source address is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.3"), ip("10.1.0.2"), 64);
	f[n].reason = CBPF_DROP_SRC_SPOOF;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "routed packet with TTL 1 is dropped";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("10.2.0.3"), 1);
	f[n].reason = CBPF_DROP_TTL;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "address outside every network goes to the stack unchanged";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("198.18.9.9"), 64);
	f[n].tc_verdict = TC_ACT_OK, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "truncated IPv4 header is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	f[n].in.len = sizeof(struct ethhdr) + 10;
	f[n].reason = CBPF_DROP_MALFORMED_IP;
	f[n].tc_verdict = -EINVAL, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "IPv4 header length below 20 bytes is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_iph(&f[n].in)->ihl = 3;
	f[n].reason = CBPF_DROP_MALFORMED_IP;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "IPv4 options running past the packet are dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_iph(&f[n].in)->ihl = 15;
	f[n].reason = CBPF_DROP_MALFORMED_IP;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "truncated ARP is dropped";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.1.0.1"));
	f[n].in.len = sizeof(struct ethhdr) + 12;
	f[n].reason = CBPF_DROP_MALFORMED_ARP;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "ARP for a non-IPv4 protocol is dropped";
	pkt_arp(&f[n].in, BCAST, A1_MAC, 1, A1_MAC, ip("10.1.0.2"), ZERO, ip("10.1.0.1"));
	((struct arphdr *)(f[n].in.data + sizeof(struct ethhdr)))->ar_pro = htons(ETH_P_IPV6);
	f[n].reason = CBPF_DROP_MALFORMED_ARP;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "IPv6 is dropped: policy cannot judge it";
	pkt_ipv6(&f[n].in, A2_MAC, A1_MAC);
	f[n].reason = CBPF_DROP_IPV6;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "an 802.1Q tag the endpoint wrote is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_tag(&f[n].in, 0x8100, 20);
	f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "a double tag (802.1ad over 802.1Q) is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_tag(&f[n].in, 0x8100, 20);
	pkt_tag(&f[n].in, 0x88a8, 30);
	f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "an unknown ethertype is dropped";
	pkt_eth(&f[n].in, A2_MAC, A1_MAC, 0x88b5);
	memset(f[n].in.data + f[n].in.len, 0xcb, 46);
	f[n].in.len += 46;
	f[n].reason = CBPF_DROP_ETHERTYPE;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "a later fragment of no allowed first fragment is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_frag(&f[n].in, 0x77, 185, 0);
	f[n].reason = CBPF_DROP_FRAG_UNKNOWN;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "an allowed first fragment is forwarded";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_frag(&f[n].in, 0x78, 0, 1);
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "a later fragment follows its allowed first fragment";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_frag(&f[n].in, 0x78, 185, 0);
	f[n].tc_verdict = TC_ACT_REDIRECT, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "a denied first fragment is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.4"), 64);
	pkt_frag(&f[n].in, 0x79, 0, 1);
	f[n].reason = CBPF_DROP_POLICY;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "a later fragment of a denied first fragment is dropped";
	pkt_ipv4(&f[n].in, A2_MAC, A1_MAC, ip("10.1.0.2"), ip("10.1.0.4"), 64);
	pkt_frag(&f[n].in, 0x79, 185, 0);
	f[n].reason = CBPF_DROP_FRAG_UNKNOWN;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "a later fragment does not ride another source's first fragment";
	pkt_ipv4(&f[n].in, A2_MAC, C1_MAC, ip("10.3.0.2"), ip("10.1.0.3"), 64);
	pkt_frag(&f[n].in, 0x78, 185, 0);
	f[n].reason = CBPF_DROP_FRAG_UNKNOWN;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "VxLAN from an endpoint to a node's underlay address is dropped";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("198.18.0.2"), 64);
	pkt_udp(&f[n].in, 50000, 4789);
	f[n].reason = CBPF_DROP_TUNNEL_FROM_EP;
	f[n].tc_verdict = TC_ACT_SHOT, f[n++].xdp_verdict = XDP_DROP;

	f[n].desc = "VxLAN from an endpoint to an address that is no node goes to the stack";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("198.18.9.9"), 64);
	pkt_udp(&f[n].in, 50000, 4789);
	f[n].tc_verdict = TC_ACT_OK, f[n++].xdp_verdict = XDP_PASS;

	f[n].desc = "other UDP from an endpoint to a node goes to the stack";
	pkt_ipv4(&f[n].in, GW_A, A1_MAC, ip("10.1.0.2"), ip("198.18.0.2"), 64);
	pkt_udp(&f[n].in, 50000, 53);
	f[n].tc_verdict = TC_ACT_OK, f[n++].xdp_verdict = XDP_PASS;

	for (int i = 0; i < n; i++) {
		check_fixture("tc", bpf_program__fd(skel->progs.tc_from_ep), drops, &f[i],
			      f[i].tc_verdict);
		check_fixture("xdp", bpf_program__fd(skel->progs.xdp_from_ep), drops, &f[i],
			      f[i].xdp_verdict);
	}
	cbpfnet_bpf__destroy(skel);
	TAP_EXIT();
}
