// SPDX-License-Identifier: GPL-2.0
/*
 * policy explain's program: judges a crafted packet with the datapath's own identity and
 * decision code (bpf/policy.bpf.h, bpf/macvlan.bpf.h), choosing the judgement as the programs
 * that meet such a packet choose it, and leaves the answer in skb->cb (maps/explain.h). It
 * skips what a judgement does besides deciding: no conntrack entry, counter or event, so asking
 * changes nothing. Run with BPF_PROG_TEST_RUN only, never attached.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "explain.h"
#include "macvlan.bpf.h"
#include "policy.bpf.h"
#include "proto.h"
#include "skb.h"

/* "host" has no one address: every address of this host's stack is its one identity. */
static __always_inline void explain_host(struct cbpf_ids *ids)
{
	ids->id[CBPF_LEVEL_INSTANCE] = CBPF_IDENTITY_HOST_BASE;
	ids->id[CBPF_LEVEL_NET] = 0;
	ids->id[CBPF_LEVEL_VLAN] = 0;
	ids->id[CBPF_LEVEL_NODE] = 0;
}

static __always_inline struct cbpf_ep_value *explain_ep(__u32 ip, __u32 host)
{
	struct cbpf_ep_key key = {.ip = ip};

	return host ? NULL : bpf_map_lookup_elem(&cbpf_endpoints, &key);
}

/* The link of a local macvlan endpoint's programs, which judge both its ways. */
static __always_inline __u32 explain_macvlan(const struct cbpf_policy_live *live,
					     const struct cbpf_ep_value *ep, struct iphdr *iph,
					     struct cbpf_ids *src_ids, struct cbpf_ids *dst_ids,
					     __u32 *fallback)
{
	struct cbpf_macvlan_key key = {.ifindex = ep->ifindex};
	struct cbpf_macvlan_link *link = bpf_map_lookup_elem(&cbpf_macvlan_links, &key);
	__u32 ends;

	if (!link)
		return 0;
	ends = macvlan_ids(live, iph->saddr, iph->daddr, link, src_ids, dst_ids, fallback);
	if (!ends)
		return 0;
	return CBPF_EXPLAIN_JUDGED |
	       (ends == (MACVLAN_END_SRC | MACVLAN_END_DST) ? CBPF_EXPLAIN_ENDPOINTS : 0);
}

/*
 * The identities and default of the judgement this host makes: a local endpoint's packets at
 * its own interface (tc_from_ep, or its macvlan programs), a remote endpoint's where the tunnel
 * ends (cbpf_tunnel_admit), any other sender's on the way into a local endpoint (tc_to_ep, or
 * the macvlan programs). Returns enum cbpf_explain_flags; without CBPF_EXPLAIN_JUDGED no
 * program of this host judges such packets.
 */
static __always_inline __u32 explain_ids(const struct cbpf_policy_live *live, struct iphdr *iph,
					 __u32 in, struct cbpf_ids *src_ids,
					 struct cbpf_ids *dst_ids, __u32 *fallback)
{
	struct cbpf_ep_value *src = explain_ep(iph->saddr, in & CBPF_EXPLAIN_SRC_HOST);
	struct cbpf_ep_value *dst = explain_ep(iph->daddr, in & CBPF_EXPLAIN_DST_HOST);
	const __u32 both = CBPF_EXPLAIN_JUDGED | CBPF_EXPLAIN_ENDPOINTS;

	*fallback = 0;
	if (src && (src->flags & CBPF_EP_MACVLAN))
		return explain_macvlan(live, src, iph, src_ids, dst_ids, fallback);
	if (src && (src->flags & CBPF_EP_LOCAL)) {
		*fallback = cbpf_egress_ids(live, src, dst, iph->daddr, src_ids, dst_ids);
		return dst ? both : CBPF_EXPLAIN_JUDGED;
	}
	if (!dst)
		return 0;
	if (dst->flags & CBPF_EP_MACVLAN)
		return explain_macvlan(live, dst, iph, src_ids, dst_ids, fallback);
	if (!(dst->flags & CBPF_EP_LOCAL))
		return 0;
	if (src && (src->flags & CBPF_EP_REMOTE)) {
		*fallback = cbpf_egress_ids(live, src, dst, iph->daddr, src_ids, dst_ids);
		return both;
	}
	cbpf_ingress_ids(live, src, dst, iph->saddr, src_ids, dst_ids);
	return src ? both : CBPF_EXPLAIN_JUDGED;
}

SEC("tc")
int tc_explain(struct __sk_buff *skb)
{
	void *data = SKB_LOAD_PTR(skb, data);
	void *data_end = SKB_LOAD_PTR(skb, data_end);
	struct ethhdr *eth = data;
	struct iphdr *iph = (void *)(eth + 1);
	__u32 in = skb->cb[CBPF_EXPLAIN_CB_FLAGS], out, fallback;
	struct cbpf_ids src_ids, dst_ids;
	struct cbpf_policy_live live;
	struct cbpf_verdict_out verdict;
	struct cbpf_flow f;

	if ((void *)(iph + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP) ||
	    iph->version != 4 || iph->ihl != 5)
		return CBPF_EXPLAIN_MALFORMED;
	if (!cbpf_policy_live(&live))
		return CBPF_EXPLAIN_NO_POLICY;
	cbpf_flow_parse(data_end, iph, &f);
	out = explain_ids(&live, iph, in, &src_ids, &dst_ids, &fallback);
	if (!(out & CBPF_EXPLAIN_JUDGED)) {
		skb->cb[CBPF_EXPLAIN_CB_FLAGS] = in;
		return CBPF_EXPLAIN_ANSWERED;
	}
	if (in & CBPF_EXPLAIN_SRC_HOST)
		explain_host(&src_ids);
	if (in & CBPF_EXPLAIN_DST_HOST)
		explain_host(&dst_ids);
	cbpf_policy_decide(&live, &src_ids, &dst_ids, live.mask, &f, fallback, &verdict);
	skb->cb[CBPF_EXPLAIN_CB_FLAGS] = in | out;
	skb->cb[CBPF_EXPLAIN_CB_REASON] = verdict.reason;
	skb->cb[CBPF_EXPLAIN_CB_RULE] = verdict.rule_id;
	return CBPF_EXPLAIN_ANSWERED;
}

char LICENSE[] SEC("license") = "GPL";
