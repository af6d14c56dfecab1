/*
 * Endpoint-side datapath, written over (data, data_end) so the TC and XDP entry points share one
 * verified implementation. It decides; the entry point carries the decision out with its own
 * helpers and return codes.
 */
#ifndef CBPF_DATAPATH_H
#define CBPF_DATAPATH_H

#include "proto.h"
#include "maps.bpf.h"
#include "policy.bpf.h"

enum cbpf_action {
	CBPF_ACT_PASS,	  /* hand to the kernel stack unchanged */
	CBPF_ACT_DROP,	  /* reason says why */
	CBPF_ACT_REPLY,	  /* frame rewritten in place, send back out the ingress interface */
	CBPF_ACT_FORWARD, /* frame rewritten for a local endpoint behind ifindex */
	CBPF_ACT_ENCAP,	  /* frame rewritten for a remote endpoint: tunnel it to node_ip */
};

struct cbpf_decision {
	__u32 action;
	__u32 reason;
	__u32 ifindex;
	__u32 node_ip;
	__u32 net_id;
	__u32 rule_id;	  /* policy rule behind a drop, 0 for none */
	__u32 event_sent; /* the policy code already reported this drop */
	__u32 judged;	  /* the policy allowed the packet (XDP tells TC so) */
};

static __always_inline int cbpf_drop(struct cbpf_decision *d, __u32 reason)
{
	d->action = CBPF_ACT_DROP;
	d->reason = reason;
	return 0;
}

static __always_inline int cbpf_mac_eq(const __u8 *a, const __u8 *b)
{
	return a[0] == b[0] && a[1] == b[1] && a[2] == b[2] && a[3] == b[3] && a[4] == b[4] &&
	       a[5] == b[5];
}

static __always_inline void cbpf_mac_copy(__u8 *dst, const __u8 *src)
{
	__builtin_memcpy(dst, src, CBPF_ETH_ALEN);
}

/* The source endpoint must own both the address and the interface the frame came in on. */
static __always_inline struct cbpf_ep_value *cbpf_local_source(__be32 ip, __u32 ingress_ifindex)
{
	struct cbpf_ep_key key = {.ip = ip};
	struct cbpf_ep_value *ep = bpf_map_lookup_elem(&cbpf_endpoints, &key);

	if (!ep || !(ep->flags & CBPF_EP_LOCAL) || ep->ifindex != ingress_ifindex)
		return 0;
	return ep;
}

static __always_inline int cbpf_handle_arp(void *data, void *data_end, __u32 ingress_ifindex,
					   struct cbpf_decision *d)
{
	struct ethhdr *eth = data;
	struct arphdr *arp = (void *)(eth + 1);
	struct arp_ipv4 *body = (void *)(arp + 1);
	struct cbpf_ep_value *src, *target;
	struct cbpf_net_value *net;
	struct cbpf_net_key net_key;
	struct cbpf_ep_key target_key;
	const __u8 *answer;
	__be32 tpa;

	if ((void *)(body + 1) > data_end)
		return cbpf_drop(d, CBPF_DROP_MALFORMED_ARP);
	if (arp->ar_hrd != bpf_htons(ARPHRD_ETHER) || arp->ar_pro != bpf_htons(ETH_P_IP) ||
	    arp->ar_hln != CBPF_ETH_ALEN || arp->ar_pln != 4)
		return cbpf_drop(d, CBPF_DROP_MALFORMED_ARP);
	if (arp->ar_op != bpf_htons(ARPOP_REQUEST)) {
		d->action = CBPF_ACT_PASS;
		return 0;
	}

	src = cbpf_local_source(body->spa, ingress_ifindex);
	if (!src)
		return cbpf_drop(d, CBPF_DROP_SRC_SPOOF);
	net_key.net_id = src->net_id;
	net = bpf_map_lookup_elem(&cbpf_networks, &net_key);
	if (!net)
		return cbpf_drop(d, CBPF_DROP_ARP_UNKNOWN);

	tpa = body->tpa;
	if (tpa == net->gateway_ip) {
		answer = net->gateway_mac;
	} else {
		target_key.ip = tpa;
		target = bpf_map_lookup_elem(&cbpf_endpoints, &target_key);
		if (!target || target->net_id != src->net_id)
			return cbpf_drop(d, CBPF_DROP_ARP_UNKNOWN);
		answer = target->mac;
	}

	cbpf_mac_copy(eth->h_dest, eth->h_source);
	cbpf_mac_copy(eth->h_source, answer);
	arp->ar_op = bpf_htons(ARPOP_REPLY);
	cbpf_mac_copy(body->tha, body->sha);
	body->tpa = body->spa;
	cbpf_mac_copy(body->sha, answer);
	body->spa = tpa;
	d->action = CBPF_ACT_REPLY;
	return 0;
}

static __always_inline void cbpf_decrement_ttl(struct iphdr *iph)
{
	__u32 check = iph->check;

	check += bpf_htons(0x0100);
	iph->check = (__sum16)(check + (check >= 0xFFFF));
	iph->ttl--;
}

/*
 * An endpoint must not speak VxLAN to a node: behind the host's masquerade its frames would come
 * from that host's underlay address and pass there as the host's own endpoints'. Only UDP to the
 * VxLAN port (or whose header cannot be read) pays for the node lookup.
 */
static __always_inline int cbpf_tunnel_to_node(void *data_end, struct iphdr *iph)
{
	struct udphdr *udp = (void *)iph + iph->ihl * 4;
	struct cbpf_policy_live live;

	if (iph->protocol != IPPROTO_UDP)
		return 0;
	if ((void *)(udp + 1) <= data_end && udp->dest != bpf_htons(CBPF_VXLAN_PORT))
		return 0;
	return cbpf_policy_live(&live) && cbpf_table_lookup(&live, CBPF_IDENTITY_NODE_TABLE,
							    iph->daddr, CBPF_POLICY_PREFIX_PAIR);
}

static __always_inline int cbpf_handle_ipv4(void *data, void *data_end, __u32 ingress_ifindex,
					    __u32 judged_before, struct cbpf_decision *d)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct cbpf_ep_value *src, *dst;
	struct cbpf_net_value *src_net, *dst_net;
	struct cbpf_net_key net_key;
	struct cbpf_ep_key dst_key;
	struct cbpf_verdict_out verdict;

	if ((void *)(iph + 1) > data_end)
		return cbpf_drop(d, CBPF_DROP_MALFORMED_IP);
	if (iph->version != 4 || iph->ihl < 5 || (void *)iph + iph->ihl * 4 > data_end)
		return cbpf_drop(d, CBPF_DROP_MALFORMED_IP);

	src = cbpf_local_source(iph->saddr, ingress_ifindex);
	if (!src)
		return cbpf_drop(d, CBPF_DROP_SRC_SPOOF);

	dst_key.ip = iph->daddr;
	dst = bpf_map_lookup_elem(&cbpf_endpoints, &dst_key);
	if (!judged_before) {
		cbpf_policy_egress(data_end, iph, src, dst, ingress_ifindex, &verdict);
		if (verdict.reason) {
			d->rule_id = verdict.rule_id;
			d->event_sent = 1;
			return cbpf_drop(d, verdict.reason);
		}
	}
	d->judged = 1;
	if (!dst || !(dst->flags & (CBPF_EP_LOCAL | CBPF_EP_REMOTE))) {
		if (!dst && cbpf_tunnel_to_node(data_end, iph))
			return cbpf_drop(d, CBPF_DROP_TUNNEL_FROM_EP);
		d->action = CBPF_ACT_PASS;
		return 0;
	}

	/* A frame already addressed to its destination is switched; only one for the gateway is
	 * routed, and telling them apart by MAC spares the network lookup on the common path. */
	if (cbpf_mac_eq(eth->h_dest, dst->mac))
		goto deliver;
	net_key.net_id = src->net_id;
	src_net = bpf_map_lookup_elem(&cbpf_networks, &net_key);
	if (src_net && cbpf_mac_eq(eth->h_dest, src_net->gateway_mac)) {
		/* Addressed to the gateway: route between networks like a router would. */
		if (iph->ttl <= 1)
			return cbpf_drop(d, CBPF_DROP_TTL);
		net_key.net_id = dst->net_id;
		dst_net = bpf_map_lookup_elem(&cbpf_networks, &net_key);
		if (!dst_net)
			return cbpf_drop(d, CBPF_DROP_NET_ISOLATION);
		cbpf_decrement_ttl(iph);
		cbpf_mac_copy(eth->h_source, dst_net->gateway_mac);
	}
	cbpf_mac_copy(eth->h_dest, dst->mac);
deliver:
	if (dst->flags & CBPF_EP_REMOTE) {
		d->action = CBPF_ACT_ENCAP;
		d->node_ip = dst->node_ip;
		d->net_id = dst->net_id;
		return 0;
	}
	d->action = CBPF_ACT_FORWARD;
	d->ifindex = dst->ifindex;
	return 0;
}

/*
 * Why a frame an endpoint sends that is neither IPv4 nor ARP is dropped. Policy speaks IPv4
 * only, so IPv6 would pass every deny (and a container can turn IPv6 on itself); a tag the
 * endpoint wrote would put it on a VLAN it may not choose.
 */
static __always_inline __u32 cbpf_foreign_ethertype(__be16 proto)
{
	if (proto == bpf_htons(ETH_P_IPV6))
		return CBPF_DROP_IPV6;
	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD))
		return CBPF_DROP_EP_VLAN_TAG;
	return CBPF_DROP_ETHERTYPE;
}

/*
 * Entry for frames an endpoint sends, seen on the host side of its interface. judged_before:
 * the XDP stage already judged this frame against the policy and allowed it, so judging it
 * again would count its rule twice and track its flow twice.
 */
static __always_inline int cbpf_from_endpoint(void *data, void *data_end, __u32 ingress_ifindex,
					      __u32 judged_before, struct cbpf_decision *d)
{
	struct ethhdr *eth = data;

	d->action = CBPF_ACT_PASS;
	d->reason = CBPF_DROP_NONE;
	d->ifindex = 0;
	d->node_ip = 0;
	d->net_id = 0;
	d->rule_id = 0;
	d->event_sent = 0;
	d->judged = 0;
	if ((void *)(eth + 1) > data_end)
		return cbpf_drop(d, CBPF_DROP_MALFORMED_ETH);
	if (eth->h_proto == bpf_htons(ETH_P_ARP))
		return cbpf_handle_arp(data, data_end, ingress_ifindex, d);
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return cbpf_handle_ipv4(data, data_end, ingress_ifindex, judged_before, d);
	return cbpf_drop(d, cbpf_foreign_ethertype(eth->h_proto));
}

/*
 * Entry for frames the host stack sends into a local endpoint (egress of its host-side
 * interface): from the host itself, from outside through the host, or from a remote endpoint.
 * Frames one endpoint sends another never come this way: they are redirected to the peer.
 */
static __always_inline int cbpf_to_endpoint(void *data, void *data_end, __u32 egress_ifindex,
					    struct cbpf_decision *d)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	struct cbpf_ep_value *src, *dst;
	struct cbpf_ep_key key;
	struct cbpf_verdict_out verdict;

	d->action = CBPF_ACT_PASS;
	d->reason = CBPF_DROP_NONE;
	d->rule_id = 0;
	d->event_sent = 0;
	if ((void *)(eth + 1) > data_end)
		return 0;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return cbpf_drop(d, CBPF_DROP_IPV6);
	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if (iph->version != 4 || iph->ihl < 5 || (void *)iph + iph->ihl * 4 > data_end)
		return 0;
	key.ip = iph->daddr;
	dst = bpf_map_lookup_elem(&cbpf_endpoints, &key);
	if (!dst || !(dst->flags & CBPF_EP_LOCAL) || dst->ifindex != egress_ifindex)
		return 0;
	key.ip = iph->saddr;
	src = bpf_map_lookup_elem(&cbpf_endpoints, &key);
	/* A local source was judged when it left its own interface. */
	if (src && (src->flags & CBPF_EP_LOCAL))
		return 0;
	cbpf_policy_ingress(data_end, iph, src, dst, egress_ifindex, &verdict);
	if (verdict.reason) {
		d->rule_id = verdict.rule_id;
		d->event_sent = 1;
		return cbpf_drop(d, verdict.reason);
	}
	return 0;
}

#endif
