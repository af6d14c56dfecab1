/*
 * Bodies of the TC entry points, so the benchmark object can wrap the very code the datapath
 * runs (bpf/tunnel_cost.bpf.c) instead of a copy of it.
 */
#ifndef CBPF_ENTRY_H
#define CBPF_ENTRY_H

#include "skb.h"
#include "tunnel.h"

/* The tunnel step for remote endpoints; bpf/tunnel_md.bpf.c swaps in the collect_md one. */
#ifndef CBPF_ENCAP
#define CBPF_ENCAP cbpf_encap
#endif

/*
 * The XDP stage marks frames it judged and allowed with this value in the metadata in front of
 * the frame, which veth hands on to TC. The loader draws it at random (0 turns marks off), so
 * nothing but this program set's XDP stage can claim a frame was judged.
 */
const volatile __u32 cbpf_xdp_mark = 0;

/* True when the XDP stage judged and allowed this frame. */
static __always_inline __u32 cbpf_xdp_judged(struct __sk_buff *skb)
{
	__u32 *mark = SKB_LOAD_PTR(skb, data_meta);

	if (!cbpf_xdp_mark || (void *)(mark + 1) > SKB_LOAD_PTR(skb, data))
		return 0;
	return *mark == cbpf_xdp_mark;
}

/* Frames an endpoint sends, at the ingress of its host-side interface. */
static __always_inline int cbpf_tc_from_ep(struct __sk_buff *skb)
{
	__u32 judged = cbpf_xdp_judged(skb);
	struct cbpf_decision d;

	const __u32 headers =
	    sizeof(struct ethhdr) + sizeof(struct arphdr) + sizeof(struct arp_ipv4);

	/* The receive path moved a tag the endpoint wrote out of the frame before TC: no endpoint
	 * may choose its VLAN. */
	if (skb->vlan_present) {
		cbpf_count_drop(CBPF_DROP_EP_VLAN_TAG, skb->len);
		cbpf_emit(CBPF_EVENT_DROP, CBPF_DROP_EP_VLAN_TAG, 0, skb->ifindex, 0, 0, 0, 0, 0);
		return TC_ACT_SHOT;
	}

	/* Headers must be linear for direct access; the largest we read is Ethernet + ARP. */
	if (SKB_LOAD_PTR(skb, data) + headers > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, headers);

	void *data = SKB_LOAD_PTR(skb, data);
	void *data_end = SKB_LOAD_PTR(skb, data_end);

	cbpf_from_endpoint(data, data_end, skb->ifindex, judged, &d);
	switch (d.action) {
	case CBPF_ACT_DROP:
		cbpf_count_drop(d.reason, skb->len);
		if (!d.event_sent)
			cbpf_emit(CBPF_EVENT_DROP, d.reason, 0, skb->ifindex, 0, 0, 0, 0, 0);
		return TC_ACT_SHOT;
	case CBPF_ACT_REPLY:
		return bpf_redirect(skb->ifindex, 0);
	case CBPF_ACT_FORWARD:
		return bpf_redirect_peer(d.ifindex, 0);
	case CBPF_ACT_ENCAP:
		return CBPF_ENCAP(skb, &d);
	default:
		return TC_ACT_OK;
	}
}

/* Frames arriving on the host's underlay interface. */
static __always_inline int cbpf_tc_from_underlay(struct __sk_buff *skb)
{
	/* Outer headers, inner Ethernet, a VLAN tag and the inner IPv4 header. */
	const __u32 headers = CBPF_OUTER_LEN + sizeof(struct ethhdr) +
			      sizeof(struct cbpf_vlan_tag) + sizeof(struct iphdr);

	if (SKB_LOAD_PTR(skb, data) + headers > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, headers);
	return cbpf_decap(skb, SKB_LOAD_PTR(skb, data), SKB_LOAD_PTR(skb, data_end));
}

#endif
