// SPDX-License-Identifier: GPL-2.0
/*
 * macvlan endpoint programs, on the macvlan interface inside the endpoint's namespace: TC egress
 * sees what the endpoint sends (source check, pair policy, 802.1Q push), TC ingress what it
 * receives (tag check and pop, pair policy). The kernel here has no 8021q module; tags are
 * carried in the skb's VLAN metadata, which veth and bridges keep and captures show.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "datapath.h"
#include "macvlan.bpf.h"
#include "skb.h"

/*
 * Egress leaves this value in skb->cb of every frame it allowed. A bridge-mode sibling's frame
 * reaches the receiving endpoint's ingress as the same skb with cb untouched (the parent's
 * dev_forward_skb and the macvlan receive handler rewrite neither), so ingress knows that frame
 * was judged on this host already and does not judge it twice. A frame from the wire never
 * carries it: drivers start with a zeroed cb, a bridge or qdisc on the way rewrites it, and the
 * loader draws the value at random on every load (0 turns marking off), so another host's
 * programs, or an earlier load's, hold a different one.
 */
const volatile __u64 cbpf_macvlan_mark = 0;

/* Ethernet + 802.1Q + ARP: the most any check reads. */
#define MACVLAN_HEADERS                                                                            \
	(sizeof(struct ethhdr) + 4 + sizeof(struct arphdr) + sizeof(struct arp_ipv4))

/*
 * Returns 0 when the packet's pair may talk (or it answers a tracked flow), else the reason. A
 * flow already judged under the current epoch needs no peer lookups. One end is the endpoint
 * the link belongs to; the other may be any address.
 */
static __always_inline __u32 macvlan_policy(void *data_end, struct iphdr *iph,
					    const struct cbpf_macvlan_link *link)
{
	struct cbpf_verdict_out verdict;
	struct cbpf_ids src_ids, dst_ids;
	struct cbpf_policy_pkt p;
	__u32 fallback;

	if (cbpf_policy_start(data_end, iph, CBPF_JUDGE_EGRESS, &p, &verdict))
		return verdict.reason;
	if (!macvlan_ids(&p.live, iph->saddr, iph->daddr, link, &src_ids, &dst_ids, &fallback)) {
		cbpf_policy_allowed(&p);
		return 0;
	}
	cbpf_policy_finish(&p, &src_ids, &dst_ids, fallback, 0, &verdict);
	return verdict.reason;
}

/* What the endpoint sends: its own address only, and only to peers policy allows. */
static __always_inline __u32 macvlan_check_egress(void *data, void *data_end,
						  const struct cbpf_macvlan_link *link)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return CBPF_DROP_MALFORMED_ETH;
	if (eth->h_proto == bpf_htons(ETH_P_ARP)) {
		struct arp_ipv4 *body = (void *)(eth + 1) + sizeof(struct arphdr);

		if ((void *)(body + 1) > data_end)
			return CBPF_DROP_MALFORMED_ARP;
		return body->spa == link->ip ? 0 : CBPF_DROP_SRC_SPOOF;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
			return CBPF_DROP_MALFORMED_IP;
		if (iph->saddr != link->ip)
			return CBPF_DROP_SRC_SPOOF;
		return macvlan_policy(data_end, iph, link);
	}
	return cbpf_foreign_ethertype(eth->h_proto);
}

/*
 * What the endpoint receives once the network's tag is gone: policy for IPv4 addressed to it; no
 * IPv6 (policy cannot judge it) and no tag left; the rest the kernel judges.
 */
static __always_inline __u32 macvlan_check_ingress(void *data, void *data_end,
						   const struct cbpf_macvlan_link *link)
{
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end)
		return CBPF_DROP_MALFORMED_ETH;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return CBPF_DROP_IPV6;
	if (eth->h_proto == bpf_htons(ETH_P_8021Q) || eth->h_proto == bpf_htons(ETH_P_8021AD))
		return CBPF_DROP_EP_VLAN_TAG;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return 0;
	if ((void *)(iph + 1) > data_end || iph->version != 4 || iph->ihl < 5)
		return CBPF_DROP_MALFORMED_IP;
	if (iph->daddr != link->ip)
		return 0;
	return macvlan_policy(data_end, iph, link);
}

static __always_inline int macvlan_drop(struct __sk_buff *skb, __u32 reason)
{
	cbpf_count_drop(reason, skb->len);
	return TC_ACT_SHOT;
}

/* The endpoint is the sender here: a drop must read to it as loss, not as an error. */
static __always_inline int macvlan_egress_drop(struct __sk_buff *skb, __u32 reason)
{
	cbpf_count_drop(reason, skb->len);
	return cbpf_egress_drop();
}

static __always_inline const struct cbpf_macvlan_link *macvlan_lookup(struct __sk_buff *skb)
{
	struct cbpf_macvlan_key key = {.ifindex = skb->ifindex};

	return bpf_map_lookup_elem(&cbpf_macvlan_links, &key);
}

SEC("tc")
int tc_macvlan_egress(struct __sk_buff *skb)
{
	const struct cbpf_macvlan_link *link = macvlan_lookup(skb);
	__u32 reason;

	if (!link)
		return TC_ACT_OK;
	/* Only the network gives tags; one the endpoint set up itself sits in the metadata. */
	if (skb->vlan_present)
		return macvlan_egress_drop(skb, CBPF_DROP_EP_VLAN_TAG);
	if (SKB_LOAD_PTR(skb, data) + MACVLAN_HEADERS > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, MACVLAN_HEADERS);
	reason = macvlan_check_egress(SKB_LOAD_PTR(skb, data), SKB_LOAD_PTR(skb, data_end), link);
	if (reason)
		return macvlan_egress_drop(skb, reason);
	/* The tag goes into the skb's VLAN metadata, as a VLAN device would put it. */
	if (link->vlan && bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), link->vlan))
		return macvlan_egress_drop(skb, CBPF_DROP_VLAN_MISMATCH);
	skb->cb[0] = (__u32)cbpf_macvlan_mark;
	skb->cb[1] = cbpf_macvlan_mark >> 32;
	return TC_ACT_OK;
}

/* True when this host's egress allowed the frame (a sibling's); the mark is used up. */
static __always_inline int macvlan_judged_here(struct __sk_buff *skb)
{
	int judged = cbpf_macvlan_mark && skb->cb[0] == (__u32)cbpf_macvlan_mark &&
		     skb->cb[1] == cbpf_macvlan_mark >> 32;

	if (judged) {
		skb->cb[0] = 0;
		skb->cb[1] = 0;
	}
	return judged;
}

SEC("tc")
int tc_macvlan_ingress(struct __sk_buff *skb)
{
	const struct cbpf_macvlan_link *link = macvlan_lookup(skb);
	__u32 reason, tag = 0;
	int judged = macvlan_judged_here(skb);

	if (!link)
		return TC_ACT_OK;
	if (SKB_LOAD_PTR(skb, data) + MACVLAN_HEADERS > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, MACVLAN_HEADERS);

	void *data = SKB_LOAD_PTR(skb, data);
	void *data_end = SKB_LOAD_PTR(skb, data_end);
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return macvlan_drop(skb, CBPF_DROP_MALFORMED_ETH);
	/* The receive path moves tags into metadata; a tag still in the frame is read there. */
	if (skb->vlan_present && skb->vlan_proto != bpf_htons(ETH_P_8021Q))
		return macvlan_drop(skb, CBPF_DROP_VLAN_MISMATCH);
	if (skb->vlan_present)
		tag = skb->vlan_tci & CBPF_VLAN_VID_MASK;
	else if ((void *)(eth + 1) + 4 <= data_end && eth->h_proto == bpf_htons(ETH_P_8021Q))
		tag = bpf_ntohs(*(__be16 *)(eth + 1)) & CBPF_VLAN_VID_MASK;
	if (tag != link->vlan)
		return macvlan_drop(skb, CBPF_DROP_VLAN_MISMATCH);
	if (tag && bpf_skb_vlan_pop(skb))
		return macvlan_drop(skb, CBPF_DROP_VLAN_MISMATCH);
	/* A second tag (the pop moves one in the frame to the metadata) would carry the frame
	 * into a VLAN inside the network's: nobody on it may choose one. */
	if (SKB_LOAD_U32(skb, vlan_present))
		return macvlan_drop(skb, CBPF_DROP_EP_VLAN_TAG);
	if (judged)
		return TC_ACT_OK;
	reason = macvlan_check_ingress(SKB_LOAD_PTR(skb, data), SKB_LOAD_PTR(skb, data_end), link);
	if (reason)
		return macvlan_drop(skb, reason);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "GPL";
