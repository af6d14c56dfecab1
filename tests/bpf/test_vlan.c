/*
 * BPF_PROG_TEST_RUN fixtures for the macvlan programs: 802.1Q push on egress, pop and wrong-tag
 * drop on ingress, source and pair-policy checks. Each row names the interface's endpoint, the
 * input frame, the verdict, the output frame and the drop reason that must be counted.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>

#include "drop.h"
#include "endpoint.h"
#include "macvlan.h"
#include "macvlan.skel.h"
#include "fixture.h"
#include "network.h"
#include "packet.h"
#include "policy.h"
#include "tap.h"

#define TC_ACT_OK   0
#define TC_ACT_SHOT 2
/* An egress drop is a redirect to ifindex 0, which the sender takes for loss (bpf/skb.h). */
#define EGRESS_DROP 7
/* The test run's skb arrives on the loopback device: its link entry names the endpoint. */
#define LO_IFINDEX 1

static const uint8_t E1_MAC[6] = {0x02, 0xcb, 10, 5, 0, 2};
static const uint8_t E2_MAC[6] = {0x02, 0xcb, 10, 5, 0, 3};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t ZERO[6];

struct fixture {
	const char *desc;
	int ingress;	 /* run the ingress program, else egress */
	const char *ep;	 /* the endpoint owning the interface */
	uint16_t net_id; /* its network */
	struct pkt in;
	int verdict;
	struct pkt out;	 /* expected output; len 0 means "unchanged" */
	uint32_t reason; /* drop reason counted, CBPF_DROP_NONE for none */
	uint16_t tag;	 /* egress: VLAN ID the program must push, 0 for none */
	uint64_t mark;	 /* ingress: the mark the frame carries in skb->cb, 0 for none */
};

/* What the fixtures load as the macvlan mark, and a value that is not it. */
#define MARK	   0x1122334455667788ULL
#define WRONG_MARK 0x1122334455667789ULL

struct maps {
	int eps, nets, pol, drops, links;
};

static void add_vlan_net(int fd, uint32_t id, const char *subnet, uint16_t vlan)
{
	struct cbpf_net_key key = {.net_id = id};
	struct cbpf_net_value value = {
	    .subnet = ip(subnet), .prefix_len = 24, .vlan = vlan, .model = CBPF_MODEL_MACVLAN};

	bpf_map_update_elem(fd, &key, &value, 0);
}

static void add_macvlan_ep(int fd, const char *addr, uint32_t identity, uint16_t net)
{
	struct cbpf_ep_key key = {.ip = ip(addr)};
	struct cbpf_ep_value value = {.ifindex = CBPF_MACVLAN_IFINDEX_BASE + identity,
				      .identity = identity,
				      .net_id = net,
				      .flags = CBPF_EP_MACVLAN};

	bpf_map_update_elem(fd, &key, &value, 0);
}

/*
 * The test run reports neither the skb's VLAN metadata nor a pushed tag in the frame. Running the
 * program twice on the same skb (repeat = 2) shows whether it pushed one: the second run finds a
 * tag in the metadata, which no endpoint may send, and drops the frame as endpoint-vlan-tag.
 * The tag's VLAN ID is checked on the wire by tests/integration/macvlan.sh.
 */
static void check_pushed_tag(struct bpf_program *prog, const struct fixture *f, int drops)
{
	struct pkt got;
	uint64_t before = drop_count(drops, CBPF_DROP_EP_VLAN_TAG);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->in.data, .data_size_in = f->in.len,
		    .data_out = got.data, .data_size_out = sizeof(got.data), .repeat = 2);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	uint64_t tagged = drop_count(drops, CBPF_DROP_EP_VLAN_TAG) - before;

	CHECK(!err && opts.retval == (uint32_t)(f->tag ? EGRESS_DROP : TC_ACT_OK) &&
		  tagged == (f->tag ? 1 : 0),
	      "egress: %s: %s", f->desc, f->tag ? "802.1Q tag pushed" : "no tag pushed");
}

static void check_fixture(struct macvlan_bpf *skel, const struct maps *m, const struct fixture *f)
{
	struct bpf_program *prog =
	    f->ingress ? skel->progs.tc_macvlan_ingress : skel->progs.tc_macvlan_egress;
	struct cbpf_macvlan_key key = {.ifindex = LO_IFINDEX};
	struct cbpf_net_key net_key = {.net_id = f->net_id};
	struct cbpf_net_value net;
	struct cbpf_macvlan_link link = {.ip = ip(f->ep), .net_id = f->net_id};
	const struct pkt *want = f->out.len ? &f->out : &f->in;
	const char *hook = f->ingress ? "ingress" : "egress";
	struct pkt got;
	uint64_t before = drop_count(m->drops, f->reason);
	int verdict = !f->ingress && f->verdict == TC_ACT_SHOT ? EGRESS_DROP : f->verdict;
	struct __sk_buff ctx = {.cb = {(uint32_t)f->mark, f->mark >> 32}}, ctx_out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->in.data, .data_size_in = f->in.len,
		    .data_out = got.data, .data_size_out = sizeof(got.data), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);
	int err;

	/* The link carries its network's VLAN and subnet, as `ep add` writes them. */
	bpf_map_lookup_elem(m->nets, &net_key, &net);
	link.vlan = net.vlan;
	link.subnet = net.subnet;
	link.prefix_len = net.prefix_len;
	bpf_map_update_elem(m->links, &key, &link, 0);
	err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
	got.len = opts.data_size_out;
	CHECK(!err && opts.retval == (uint32_t)verdict, "%s: %s: verdict %d (want %d)", hook,
	      f->desc, err ? err : (int)opts.retval, verdict);
	if (f->reason != CBPF_DROP_NONE) {
		CHECK(drop_count(m->drops, f->reason) == before + 1,
		      "%s: %s: drop reason %u counted", hook, f->desc, f->reason);
		return;
	}
	CHECK(got.len == want->len && !memcmp(got.data, want->data, want->len),
	      "%s: %s: output frame as expected", hook, f->desc);
	if (f->ingress) {
		if (f->mark == MARK)
			CHECK(!ctx_out.cb[0] && !ctx_out.cb[1], "ingress: %s: the mark is used up",
			      f->desc);
		return;
	}
	CHECK(((uint64_t)ctx_out.cb[1] << 32 | ctx_out.cb[0]) == MARK,
	      "egress: %s: the allowed frame leaves with the mark", f->desc);
	check_pushed_tag(prog, f, m->drops);
}

int main(void)
{
	static struct fixture f[40];
	struct macvlan_bpf *skel;
	struct bpf_map *map;
	struct maps m;
	int n = 0;

	libbpf_set_print(NULL);
	skel = macvlan_bpf__open();
	if (!skel) {
		printf("not ok - open skeleton: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->cbpf_macvlan_mark = MARK;
	/* Private maps for the fixtures: nothing is pinned. */
	bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, NULL);
	if (macvlan_bpf__load(skel)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	m.eps = bpf_map__fd(skel->maps.cbpf_endpoints);
	m.nets = bpf_map__fd(skel->maps.cbpf_networks);
	m.pol = bpf_map__fd(skel->maps.cbpf_policy);
	m.drops = bpf_map__fd(skel->maps.cbpf_drop_stats);
	m.links = bpf_map__fd(skel->maps.cbpf_macvlan_links);

	/* net 1 on VLAN 10: e1, e2, e3 (e1 -> e3 denied); net 2 untagged: u1; net 3 on VLAN 30
	 * with icc off: i1. */
	add_vlan_net(m.nets, 1, "10.5.0.0", 10);
	add_vlan_net(m.nets, 2, "10.6.0.0", 0);
	add_vlan_net(m.nets, 3, "10.7.0.0", 30);
	add_macvlan_ep(m.eps, "10.5.0.2", 0x10001, 1);
	add_macvlan_ep(m.eps, "10.5.0.3", 0x10002, 1);
	add_macvlan_ep(m.eps, "10.5.0.4", 0x10003, 1);
	add_macvlan_ep(m.eps, "10.6.0.2", 0x10004, 2);
	add_macvlan_ep(m.eps, "10.7.0.2", 0x10005, 3);
	policy_use_all_levels(bpf_map__fd(skel->maps.cbpf_policy_mask));
	add_policy(m.pol, 0x10001, 0x10003, CBPF_VERDICT_DENY, CBPF_DROP_POLICY);
	add_policy(m.pol, 3, 3, CBPF_VERDICT_DENY, CBPF_DROP_ICC);

	f[n].desc = "IPv4 to a peer leaves with the network's VLAN tag";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].tag = 10;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "ARP request leaves with the network's VLAN tag";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].tag = 10;
	pkt_arp(&f[n].in, BCAST, E1_MAC, 1, E1_MAC, ip("10.5.0.2"), ZERO, ip("10.5.0.3"));
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "IPv4 to a peer on another host (not in the maps) is tagged";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].tag = 10;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.77"), 64);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "untagged network: frame leaves without a tag";
	f[n].ep = "10.6.0.2", f[n].net_id = 2;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.6.0.2"), ip("10.6.0.3"), 64);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "spoofed IPv4 source is dropped";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_SRC_SPOOF;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.3"), ip("10.5.0.4"), 64);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "spoofed ARP sender is dropped";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_SRC_SPOOF;
	pkt_arp(&f[n].in, BCAST, E1_MAC, 1, E1_MAC, ip("10.5.0.9"), ZERO, ip("10.5.0.3"));
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "denied pair is dropped before tagging";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_POLICY;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.4"), 64);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "icc off: a same-network peer on another host is dropped";
	f[n].ep = "10.7.0.2", f[n].net_id = 3, f[n].reason = CBPF_DROP_ICC;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.7.0.2"), ip("10.7.0.9"), 64);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "another network's endpoint is dropped (no rule)";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_NET_ISOLATION;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.6.0.2"), 64);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "frame tagged with the network's VLAN is popped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	f[n].out = f[n].in;
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "priority bits do not change the VLAN: popped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	pkt_arp(&f[n].in, BCAST, E1_MAC, 1, E1_MAC, ip("10.5.0.2"), ZERO, ip("10.5.0.3"));
	f[n].out = f[n].in;
	pkt_vlan(&f[n].in, 5 << 13 | 10);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "frame tagged with another VLAN is dropped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	f[n].reason = CBPF_DROP_VLAN_MISMATCH;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	pkt_vlan(&f[n].in, 20);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "untagged frame on a tagged network is dropped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	f[n].reason = CBPF_DROP_VLAN_MISMATCH;
	pkt_arp(&f[n].in, BCAST, E1_MAC, 1, E1_MAC, ip("10.5.0.2"), ZERO, ip("10.5.0.3"));
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "tagged frame on an untagged network is dropped";
	f[n].ingress = 1, f[n].ep = "10.6.0.2", f[n].net_id = 2;
	f[n].reason = CBPF_DROP_VLAN_MISMATCH;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.6.0.3"), ip("10.6.0.2"), 64);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "untagged frame on an untagged network passes unchanged";
	f[n].ingress = 1, f[n].ep = "10.6.0.2", f[n].net_id = 2;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.6.0.3"), ip("10.6.0.2"), 64);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "denied pair is dropped on receipt too";
	f[n].ingress = 1, f[n].ep = "10.5.0.4", f[n].net_id = 1;
	f[n].reason = CBPF_DROP_POLICY;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.4"), 64);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "icc off: a same-network sender on another host is dropped on receipt";
	f[n].ingress = 1, f[n].ep = "10.7.0.2", f[n].net_id = 3;
	f[n].reason = CBPF_DROP_ICC;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.7.0.9"), ip("10.7.0.2"), 64);
	pkt_vlan(&f[n].in, 30);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "a marked frame (a sibling's, judged on its egress) is not judged again";
	f[n].ingress = 1, f[n].ep = "10.5.0.4", f[n].net_id = 1, f[n].mark = MARK;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.4"), 64);
	f[n].out = f[n].in;
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_OK;

	f[n].desc = "a frame with another mark (another host's, another load's) is judged";
	f[n].ingress = 1, f[n].ep = "10.5.0.4", f[n].net_id = 1, f[n].mark = WRONG_MARK;
	f[n].reason = CBPF_DROP_POLICY;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.4"), 64);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "a marked frame with another VLAN's tag is still dropped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1, f[n].mark = MARK;
	f[n].reason = CBPF_DROP_VLAN_MISMATCH;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	pkt_vlan(&f[n].in, 20);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "an 802.1Q tag the endpoint wrote on an untagged network is dropped";
	f[n].ep = "10.6.0.2", f[n].net_id = 2, f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.6.0.2"), ip("10.5.0.3"), 64);
	pkt_tag(&f[n].in, 0x8100, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "an 802.1ad tag the endpoint wrote is dropped";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	pkt_tag(&f[n].in, 0x88a8, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "IPv6 is dropped on egress";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_IPV6;
	pkt_ipv6(&f[n].in, E2_MAC, E1_MAC);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "an unknown ethertype is dropped on egress";
	f[n].ep = "10.5.0.2", f[n].net_id = 1, f[n].reason = CBPF_DROP_ETHERTYPE;
	pkt_eth(&f[n].in, E2_MAC, E1_MAC, 0x88b5);
	memset(f[n].in.data + f[n].in.len, 0xcb, 46);
	f[n].in.len += 46;
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "a double-tagged frame (the network's tag over another) is dropped";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	pkt_vlan(&f[n].in, 20);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "an 802.1ad tag inside an untagged network is dropped";
	f[n].ingress = 1, f[n].ep = "10.6.0.2", f[n].net_id = 2;
	f[n].reason = CBPF_DROP_EP_VLAN_TAG;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.6.0.3"), ip("10.6.0.2"), 64);
	pkt_tag(&f[n].in, 0x88a8, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "IPv6 is dropped on receipt";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1, f[n].reason = CBPF_DROP_IPV6;
	pkt_ipv6(&f[n].in, E2_MAC, E1_MAC);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	f[n].desc = "a later fragment of no allowed first fragment is dropped on receipt";
	f[n].ingress = 1, f[n].ep = "10.5.0.3", f[n].net_id = 1;
	f[n].reason = CBPF_DROP_FRAG_UNKNOWN;
	pkt_ipv4(&f[n].in, E2_MAC, E1_MAC, ip("10.5.0.2"), ip("10.5.0.3"), 64);
	pkt_frag(&f[n].in, 0x55, 185, 0);
	pkt_vlan(&f[n].in, 10);
	f[n++].verdict = TC_ACT_SHOT;

	for (int i = 0; i < n; i++)
		check_fixture(skel, &m, &f[i]);
	macvlan_bpf__destroy(skel);
	TAP_EXIT();
}
