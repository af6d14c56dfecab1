// SPDX-License-Identifier: GPL-2.0
/* Baseline for benchmarks: the cost of running any TC program at all. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tc")
int tc_noop(struct __sk_buff *skb)
{
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
