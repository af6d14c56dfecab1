// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark only (bench/throughput_overlay.sh): the collect_md alternative to building VxLAN
 * headers in BPF, the way Cilium's tunnel mode works. The endpoint program hands frames for
 * remote endpoints to the host's one vxlan device in external (collect_md) mode with the
 * tunnel key set; a program on that device's ingress delivers what the device decapsulated.
 * Everything else is the datapath's own code. Untagged networks only.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "tunnel.h"

/* The host's vxlan device in external mode, set by bench/tunnel_md_load.c. */
const volatile __u32 cbpf_md_ifindex = 0;

static __always_inline int cbpf_encap_md(struct __sk_buff *skb, const struct cbpf_decision *d)
{
	struct cbpf_net_key net_key = {.net_id = d->net_id};
	struct cbpf_net_value *net = bpf_map_lookup_elem(&cbpf_networks, &net_key);
	struct bpf_tunnel_key key = {};

	if (!net || net->vlan) {
		cbpf_count_drop(CBPF_DROP_NO_ROUTE, skb->len);
		return TC_ACT_SHOT;
	}
	key.remote_ipv4 = bpf_ntohl(d->node_ip);
	key.tunnel_id = net->vni;
	key.tunnel_ttl = 64;
	if (bpf_skb_set_tunnel_key(skb, &key, sizeof(key),
				   BPF_F_ZERO_CSUM_TX | BPF_F_DONT_FRAGMENT)) {
		cbpf_count_drop(CBPF_DROP_ENCAP, skb->len);
		return TC_ACT_SHOT;
	}
	return bpf_redirect(cbpf_md_ifindex, 0);
}

#define CBPF_ENCAP cbpf_encap_md
#include "entry.h"

SEC("tc")
int tc_from_ep_md(struct __sk_buff *skb)
{
	return cbpf_tc_from_ep(skb);
}

/* Ingress of the vxlan device: inner frames, with the outer header's facts as tunnel key. */
SEC("tc")
int tc_from_vxlan_md(struct __sk_buff *skb)
{
	const __u32 headers = sizeof(struct ethhdr) + sizeof(struct iphdr);
	struct cbpf_vni_key vni_key = {};
	struct cbpf_vni_value *segment;
	struct bpf_tunnel_key key;
	struct cbpf_ep_value *dst;
	struct ethhdr *eth;
	void *data_end;
	int verdict;

	if (bpf_skb_get_tunnel_key(skb, &key, sizeof(key), 0))
		return TC_ACT_OK;
	if (SKB_LOAD_PTR(skb, data) + headers > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, headers);
	eth = SKB_LOAD_PTR(skb, data);
	data_end = SKB_LOAD_PTR(skb, data_end);
	if ((void *)(eth + 1) > data_end) {
		cbpf_count_drop(CBPF_DROP_MALFORMED_VXLAN, skb->len);
		return TC_ACT_SHOT;
	}
	vni_key.vni = key.tunnel_id;
	segment = bpf_map_lookup_elem(&cbpf_vnis, &vni_key);
	if (!segment) {
		cbpf_count_drop(CBPF_DROP_UNKNOWN_VNI, skb->len);
		return TC_ACT_SHOT;
	}
	verdict = cbpf_tunnel_admit(skb, data_end, eth + 1, eth->h_proto, segment->net_id,
				    bpf_htonl(key.remote_ipv4), &dst);
	if (verdict)
		return verdict;
	cbpf_mac_copy(eth->h_dest, dst->mac);
	return bpf_redirect_peer(dst->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
