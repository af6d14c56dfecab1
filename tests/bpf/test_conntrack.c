/*
 * BPF_PROG_TEST_RUN fixtures for stateful policy: conntrack states (new, reply, established,
 * expired, closing), ICMP echo tracking, and the egress program guarding what the host sends
 * into an endpoint.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cbpfnet.skel.h"
#include "conntrack.h"
#include "drop.h"
#include "endpoint.h"
#include "network.h"
#include "packet.h"
#include "policy.h"
#include "tap.h"

#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7
#define TC_ACT_OK	0
#define LO_IFINDEX	1
#define TCP_SYN		0x02
#define TCP_ACK		0x10
#define TCP_FIN		0x01

static const uint8_t A1_MAC[6] = {0x02, 0xcb, 10, 1, 0, 2};
static const uint8_t B1_MAC[6] = {0x02, 0xcb, 10, 2, 0, 2};
static const uint8_t GW_A[6] = {0x0a, 0xcb, 0, 0, 0, 1};
static const uint8_t GW_B[6] = {0x0a, 0xcb, 0, 0, 0, 2};

static struct cbpfnet_bpf *skel;
static int ct_fd, from_ep, to_ep;

static uint32_t ip(const char *text)
{
	return inet_addr(text);
}

/* IPv4 with a TCP/UDP header (ports, TCP flags) or an ICMP echo (type, id). */
static void pkt_l4(struct pkt *p, const uint8_t *dst_mac, const uint8_t *src_mac, uint32_t saddr,
		   uint32_t daddr, uint8_t proto, uint16_t sport, uint16_t dport, uint8_t flags)
{
	struct iphdr *iph;
	uint8_t *l4;
	size_t l4_len = proto == 6 ? 20 : 8;

	pkt_ipv4(p, dst_mac, src_mac, saddr, daddr, 64);
	iph = pkt_iph(p);
	iph->protocol = proto;
	iph->tot_len = htons(sizeof(*iph) + l4_len);
	iph->check = 0;
	iph->check = pkt_ip_checksum(iph);
	l4 = (uint8_t *)(iph + 1);
	memset(l4, 0, l4_len);
	if (proto == 1) {
		l4[0] = flags; /* ICMP type */
		*(uint16_t *)(l4 + 4) = htons(sport);
	} else {
		*(uint16_t *)l4 = htons(sport);
		*(uint16_t *)(l4 + 2) = htons(dport);
		if (proto == 6) {
			l4[12] = 5 << 4;
			l4[13] = flags;
		}
	}
	p->len = sizeof(struct ethhdr) + sizeof(*iph) + l4_len;
}

static int run(int prog, const struct pkt *in)
{
	struct pkt out;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out.data, .data_size_out = sizeof(out.data), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &opts))
		return -errno;
	return opts.retval;
}

/* True when (s, sport) is end b of its flow with (d, dport): the higher end as stored. */
static int is_end_b(const char *s, const char *d, uint16_t sport, uint16_t dport)
{
	uint32_t sa = ip(s), da = ip(d);

	return sa > da || (sa == da && htons(sport) > htons(dport));
}

/* Key of the flow (s, sport) opened to (d, dport); ICMP: s is the requester, sport the id. */
static struct cbpf_ct_key ct_key(const char *s, const char *d, uint8_t proto, uint16_t sport,
				 uint16_t dport)
{
	int swap = proto != 1 && is_end_b(s, d, sport, dport);
	struct cbpf_ct_key k = {.addr_a = ip(swap ? d : s),
				.addr_b = ip(swap ? s : d),
				.port_a = htons(swap ? dport : sport),
				.port_b = htons(swap ? sport : dport),
				.proto = proto};

	return k;
}

/* The flags an entry must carry to name (s, sport) as the flow's opener. */
static uint32_t opener_flag(const char *s, const char *d, uint16_t sport, uint16_t dport)
{
	return is_end_b(s, d, sport, dport) ? CBPF_CT_OPENED_BY_B : 0;
}

static int ct_get(struct cbpf_ct_key k, struct cbpf_ct_value *v)
{
	return bpf_map_lookup_elem(ct_fd, &k, v) ? -errno : 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void add_ep(const char *addr, uint32_t identity, uint16_t net, const uint8_t *mac)
{
	struct cbpf_ep_key key = {.ip = ip(addr)};
	struct cbpf_ep_value v = {
	    .ifindex = LO_IFINDEX, .identity = identity, .net_id = net, .flags = CBPF_EP_LOCAL};

	memcpy(v.mac, mac, 6);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_endpoints), &key, &v, 0);
}

static void add_net(uint32_t id, const char *gw, const uint8_t *mac)
{
	struct cbpf_net_key key = {.net_id = id};
	struct cbpf_net_value v = {.gateway_ip = ip(gw), .prefix_len = 24};

	memcpy(v.gateway_mac, mac, 6);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_networks), &key, &v, 0);
}

static void set_epoch(uint32_t epoch)
{
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_policy_epoch), &(uint32_t){0}, &epoch, 0);
}

static void add_pair(int fd, uint32_t src, uint32_t dst, uint8_t verdict, uint8_t reason,
		     uint32_t rule_id)
{
	struct cbpf_pair_key key = {src, dst};
	struct cbpf_policy_value v = {
	    .verdict = verdict, .drop_reason = reason, .priority = 1000, .rule_id = rule_id};

	bpf_map_update_elem(fd, &key, &v, 0);
}

static void add_entry(int fd, uint32_t prefixlen, uint32_t src, uint32_t dst, uint8_t verdict,
		      uint8_t reason, uint32_t rule_id)
{
	struct cbpf_policy_key key = {
	    .prefixlen = prefixlen, .src_identity = src, .dst_identity = dst};
	struct cbpf_policy_value v = {
	    .verdict = verdict, .drop_reason = reason, .priority = 1000, .rule_id = rule_id};

	bpf_map_update_elem(fd, &key, &v, 0);
}

int main(void)
{
	struct cbpf_ct_value v, before;
	struct bpf_map *map;
	struct pkt p;
	int pairs, tables;

	libbpf_set_print(NULL);
	skel = cbpfnet_bpf__open();
	if (!skel) {
		printf("not ok - open skeleton: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_map(map, skel->obj) bpf_map__set_pin_path(map, NULL);
	if (cbpfnet_bpf__load(skel)) {
		printf("not ok - load skeleton: %s\n", strerror(errno));
		return 1;
	}
	ct_fd = bpf_map__fd(skel->maps.cbpf_ct);
	from_ep = bpf_program__fd(skel->progs.tc_from_ep);
	to_ep = bpf_program__fd(skel->progs.tc_to_ep);
	pairs = bpf_map__fd(skel->maps.cbpf_policy);
	tables = bpf_map__fd(skel->maps.cbpf_policy_tables);

	/* neta (a1) may not open to netb (b1); netb opens to neta; the host may not open to a1. */
	add_net(1, "10.1.0.1", GW_A);
	add_net(2, "10.2.0.1", GW_B);
	add_ep("10.1.0.2", 0x10001, 1, A1_MAC);
	add_ep("10.2.0.2", 0x10002, 2, B1_MAC);
	add_pair(pairs, 2, 1, CBPF_VERDICT_ALLOW, 0, 7);
	add_pair(pairs, 1, 2, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 8);
	add_pair(pairs, CBPF_IDENTITY_HOST_BASE, 1, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 9);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_policy_mask), &(uint32_t){0},
			    &(uint32_t){0xffff}, 0);
	add_entry(tables, 64, CBPF_IDENTITY_ADDR_TABLE, ip("198.18.0.1"), CBPF_VERDICT_IDENTITY, 0,
		  CBPF_IDENTITY_HOST_BASE);

	/* new */
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 6, 40000, 80, TCP_SYN);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT, "new: allowed SYN b1 -> a1 is forwarded");
	CHECK(!ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &v) && v.rule_id == 7 &&
		  !(v.flags & CBPF_CT_SEEN_REPLY) &&
		  (v.flags & CBPF_CT_OPENED_BY_B) == opener_flag("10.2.0.2", "10.1.0.2", 40000, 80),
	      "new: the flow is tracked with b1 as its opener and its rule (flags %u)", v.flags);
	/* reply */
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 6, 80, 40000, TCP_SYN | TCP_ACK);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT,
	      "reply: SYN-ACK a1 -> b1 passes although a1 -> b1 is denied");
	CHECK(!ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &v) &&
		  (v.flags & CBPF_CT_SEEN_REPLY),
	      "reply: the entry is marked seen-reply");
	CHECK((v.flags & CBPF_CT_OPENED_BY_B) == opener_flag("10.2.0.2", "10.1.0.2", 40000, 80),
	      "reply: the entry still names b1 as the opener");
	/* established */
	before = v;
	ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &before);
	/* The datapath's clock advances once per tick (at most 10 ms at HZ=100). */
	nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 6, 40000, 80, TCP_ACK);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT, "established: b1's ACK is forwarded");
	CHECK(!ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &v) &&
		  v.last_seen > before.last_seen,
	      "established: last_seen moves forward");
	/* remembered verdicts */
	CHECK(v.verdict == CBPF_CT_VERDICT(0, CBPF_CT_VERDICT_EGRESS | CBPF_CT_VERDICT_INGRESS),
	      "verdict: the entry remembers b1's direction as allowed at epoch 0 (verdict %u)",
	      v.verdict);
	add_pair(pairs, 2, 1, CBPF_VERDICT_DENY, CBPF_DROP_POLICY, 10);
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 6, 40000, 80, TCP_ACK);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT,
	      "verdict: while the epoch holds, b1's segment passes on the remembered verdict");
	set_epoch(1);
	CHECK(run(from_ep, &p) == TC_ACT_SHOT,
	      "verdict: once the epoch moves, b1's segment is judged again and denied");
	add_pair(pairs, 2, 1, CBPF_VERDICT_ALLOW, 0, 7);
	set_epoch(2);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT &&
		  !ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &v) &&
		  CBPF_CT_VERDICT_EPOCH(v.verdict) == 2 && v.rule_id == 7 &&
		  (v.verdict & CBPF_CT_VERDICT_EGRESS),
	      "verdict: allowed again, the entry remembers it under epoch 2 (verdict %u)",
	      v.verdict);
	{
		struct cbpf_ct_key k = ct_key("10.1.0.2", "10.2.0.2", 6, 40200, 80);
		struct cbpf_ct_value forged = {
		    .last_seen = mono_ns(),
		    .flags = opener_flag("10.1.0.2", "10.2.0.2", 40200, 80),
		    .verdict = CBPF_CT_VERDICT(2, CBPF_CT_VERDICT_INGRESS)};

		bpf_map_update_elem(ct_fd, &k, &forged, 0);
		pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 6, 40200, 80, TCP_ACK);
		CHECK(run(from_ep, &p) == TC_ACT_SHOT,
		      "verdict: what the host may deliver does not decide what a1 may send");
		forged.verdict =
		    CBPF_CT_VERDICT(1, CBPF_CT_VERDICT_EGRESS | CBPF_CT_VERDICT_INGRESS);
		bpf_map_update_elem(ct_fd, &k, &forged, 0);
		CHECK(run(from_ep, &p) == TC_ACT_SHOT,
		      "verdict: a verdict of an older epoch does not decide");
		bpf_map_delete_elem(ct_fd, &k);
	}
	/* a1 opening its own connection is not a reply */
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 6, 40001, 80, TCP_SYN);
	CHECK(run(from_ep, &p) == TC_ACT_SHOT, "new from a1 -> b1 is dropped by the deny rule");
	CHECK(ct_get(ct_key("10.1.0.2", "10.2.0.2", 6, 40001, 80), &v) == -ENOENT,
	      "a dropped opener is not tracked");
	/* expired */
	ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80), &v);
	v.last_seen = mono_ns() - CBPF_CT_TIMEOUT_TCP - 1000000000ULL;
	{
		struct cbpf_ct_key k = ct_key("10.2.0.2", "10.1.0.2", 6, 40000, 80);

		bpf_map_update_elem(ct_fd, &k, &v, 0);
	}
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 6, 80, 40000, TCP_ACK);
	CHECK(run(from_ep, &p) == TC_ACT_SHOT, "expired: a1's late segment is judged and dropped");
	/* closing */
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 6, 40002, 80, TCP_SYN);
	run(from_ep, &p);
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 6, 40002, 80, TCP_FIN | TCP_ACK);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT &&
		  !ct_get(ct_key("10.2.0.2", "10.1.0.2", 6, 40002, 80), &v) &&
		  (v.flags & CBPF_CT_CLOSING),
	      "closing: a FIN puts the flow on the short timeout");
	/* UDP */
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 17, 5353, 53, 0);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT, "udp: b1 -> a1 datagram opens a flow");
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 17, 53, 5353, 0);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT, "udp: a1's answer passes");
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 17, 53, 5354, 0);
	CHECK(run(from_ep, &p) == TC_ACT_SHOT, "udp: a1 -> b1 to another port is dropped");
	/* ICMP echo */
	pkt_l4(&p, GW_A, B1_MAC, ip("10.2.0.2"), ip("10.1.0.2"), 1, 77, 0, 8);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT &&
		  !ct_get(ct_key("10.2.0.2", "10.1.0.2", 1, 77, 0), &v),
	      "icmp: b1's echo request is tracked by its identifier");
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 1, 77, 0, 0);
	CHECK(run(from_ep, &p) == TC_ACT_REDIRECT, "icmp: a1's echo reply passes");
	pkt_l4(&p, GW_B, A1_MAC, ip("10.1.0.2"), ip("10.2.0.2"), 1, 77, 0, 8);
	CHECK(run(from_ep, &p) == TC_ACT_SHOT,
	      "icmp: a1's echo request with the same identifier is not a reply");
	/* host -> endpoint through the egress program */
	pkt_l4(&p, A1_MAC, GW_A, ip("198.18.0.1"), ip("10.1.0.2"), 6, 50000, 22, TCP_SYN);
	/* A drop at egress is a redirect to ifindex 0: the host sees loss, not ENOBUFS. */
	CHECK(run(to_ep, &p) == TC_ACT_REDIRECT,
	      "to_ep: the host cannot open to a1 (host -> neta deny)");
	pkt_l4(&p, GW_A, A1_MAC, ip("10.1.0.2"), ip("198.18.0.1"), 6, 40100, 22, TCP_SYN);
	CHECK(run(from_ep, &p) == TC_ACT_OK, "a1 opens to the host: handed to the stack");
	pkt_l4(&p, A1_MAC, GW_A, ip("198.18.0.1"), ip("10.1.0.2"), 6, 22, 40100, TCP_SYN | TCP_ACK);
	CHECK(run(to_ep, &p) == TC_ACT_OK, "to_ep: the host's reply to a1 passes");
	/* an opener that is end a of its flow: b1 to a higher outside address */
	pkt_l4(&p, GW_B, B1_MAC, ip("10.2.0.2"), ip("10.2.0.3"), 17, 6000, 7000, 0);
	CHECK(run(from_ep, &p) == TC_ACT_OK &&
		  !ct_get(ct_key("10.2.0.2", "10.2.0.3", 17, 6000, 7000), &v) &&
		  opener_flag("10.2.0.2", "10.2.0.3", 6000, 7000) == 0 &&
		  !(v.flags & CBPF_CT_OPENED_BY_B),
	      "end a opening: tracked without the opened-by-b flag (flags %u)", v.flags);
	pkt_l4(&p, B1_MAC, GW_B, ip("10.2.0.3"), ip("10.2.0.2"), 17, 7000, 6000, 0);
	CHECK(run(to_ep, &p) == TC_ACT_OK &&
		  !ct_get(ct_key("10.2.0.2", "10.2.0.3", 17, 6000, 7000), &v) &&
		  (v.flags & CBPF_CT_SEEN_REPLY) && !(v.flags & CBPF_CT_OPENED_BY_B),
	      "end a opening: the answer from end b is seen as its reply (flags %u)", v.flags);
	pkt_l4(&p, B1_MAC, GW_B, ip("10.1.0.2"), ip("10.2.0.2"), 6, 1, 2, TCP_SYN);
	CHECK(run(to_ep, &p) == TC_ACT_OK,
	      "to_ep: a packet from a local endpoint is not judged twice");
	cbpfnet_bpf__destroy(skel);
	TAP_EXIT();
}
