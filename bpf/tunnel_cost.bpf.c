// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark only (bench/prog_cost.c). BPF_PROG_TEST_RUN's repeat mode runs one skb through a
 * program again and again, so a program that changes the packet's length sees its own output
 * the second time. These wrap the datapath's tunnel entry points with the inverse step, which
 * hands the next repeat the same packet: each figure is the tunnel step plus its inverse, an
 * upper bound of the step alone. tc_inverse_only times the inverse steps by themselves.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* See bpf/tunnel.h: a marked skb cannot be encapsulated again by the next repeat. */
#define CBPF_ENCAP_MARKS(inner_l2) 0
#include "entry.h"

/* What encapsulation pushes behind the Ethernet header and decapsulation strips (no VLAN). */
#define TUNNEL_ROOM                                                                                \
	(sizeof(struct iphdr) + sizeof(struct udphdr) + sizeof(struct cbpf_vxlanhdr) +             \
	 sizeof(struct ethhdr))

SEC("tc")
int tc_encap_then_strip(struct __sk_buff *skb)
{
	int verdict = cbpf_tc_from_ep(skb);

	if (verdict == TC_ACT_REDIRECT &&
	    bpf_skb_adjust_room(skb, -(__s32)TUNNEL_ROOM, BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	return verdict;
}

SEC("tc")
int tc_decap_then_restore(struct __sk_buff *skb)
{
	__u8 outer[CBPF_OUTER_LEN + sizeof(struct ethhdr)];
	int verdict;

	if (bpf_skb_load_bytes(skb, 0, outer, sizeof(outer)))
		return TC_ACT_SHOT;
	verdict = cbpf_tc_from_underlay(skb);
	if (verdict == TC_ACT_REDIRECT &&
	    (bpf_skb_adjust_room(skb, TUNNEL_ROOM, BPF_ADJ_ROOM_MAC, 0) ||
	     bpf_skb_store_bytes(skb, 0, outer, sizeof(outer), 0)))
		return TC_ACT_SHOT;
	return verdict;
}

/* Both inverse steps with no tunnel work between them. */
SEC("tc")
int tc_inverse_only(struct __sk_buff *skb)
{
	__u8 outer[CBPF_OUTER_LEN + sizeof(struct ethhdr)];

	if (bpf_skb_load_bytes(skb, 0, outer, sizeof(outer)) ||
	    bpf_skb_adjust_room(skb, TUNNEL_ROOM, BPF_ADJ_ROOM_MAC, 0) ||
	    bpf_skb_store_bytes(skb, 0, outer, sizeof(outer), 0) ||
	    bpf_skb_adjust_room(skb, -(__s32)TUNNEL_ROOM, BPF_ADJ_ROOM_MAC, 0))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
