// SPDX-License-Identifier: GPL-2.0
/*
 * Programs that do nothing: the baseline for benchmarks (the cost of running any TC program at
 * all), and somebody else's programs in the tests.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_noop(struct __sk_buff *skb)
{
	return 0;
}

SEC("xdp")
int xdp_noop(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
