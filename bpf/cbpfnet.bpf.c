// SPDX-License-Identifier: GPL-2.0
/*
 * Endpoint programs (TC forwards and tunnels, XDP is an early filter in front of it) and the
 * underlay program that ends tunnels.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "entry.h"

SEC("tc")
int tc_from_ep(struct __sk_buff *skb)
{
	return cbpf_tc_from_ep(skb);
}

SEC("tc")
int tc_from_underlay(struct __sk_buff *skb)
{
	return cbpf_tc_from_underlay(skb);
}

/* Egress of an endpoint's host-side interface: what the host stack sends into the endpoint. */
SEC("tc")
int tc_to_ep(struct __sk_buff *skb)
{
	struct cbpf_decision d;

	const __u32 headers = sizeof(struct ethhdr) + sizeof(struct iphdr) + 8;

	if (SKB_LOAD_PTR(skb, data) + headers > SKB_LOAD_PTR(skb, data_end))
		bpf_skb_pull_data(skb, headers);

	void *data = SKB_LOAD_PTR(skb, data);
	void *data_end = SKB_LOAD_PTR(skb, data_end);

	cbpf_to_endpoint(data, data_end, skb->ifindex, &d);
	if (d.action != CBPF_ACT_DROP)
		return TC_ACT_OK;
	cbpf_count_drop(d.reason, skb->len);
	return cbpf_egress_drop();
}

SEC("xdp")
int xdp_from_ep(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct cbpf_decision d;
	__u32 *mark;

	cbpf_from_endpoint(data, data_end, ctx->ingress_ifindex, 0, &d);
	switch (d.action) {
	case CBPF_ACT_DROP:
		cbpf_count_drop(d.reason, data_end - data);
		return XDP_DROP;
	case CBPF_ACT_REPLY:
		return XDP_TX;
	default:
		/* Allowed frames go on to the TC program, which can redirect into a peer netns;
		 * the mark spares them a second judgement there. */
		if (!d.judged || !cbpf_xdp_mark ||
		    bpf_xdp_adjust_meta(ctx, -(int)sizeof(cbpf_xdp_mark)))
			return XDP_PASS;
		mark = (void *)(long)ctx->data_meta;
		if ((void *)(mark + 1) <= (void *)(long)ctx->data)
			*mark = cbpf_xdp_mark;
		return XDP_PASS;
	}
}

char LICENSE[] SEC("license") = "GPL";
