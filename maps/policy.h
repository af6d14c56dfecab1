/*
 * Policy map: verdicts keyed by (source identity, destination identity). An identity names either
 * a network (below CBPF_IDENTITY_EP_BASE, equal to its net_id) or an endpoint (at or above it), so
 * the datapath resolves a pair with at most four exact-match lookups, most specific first:
 * (ep, ep), (ep, net), (net, ep), (net, net). With no entry, a network reaches itself and no other.
 */
#ifndef CBPF_MAPS_POLICY_H
#define CBPF_MAPS_POLICY_H

#include "common.h"

#define CBPF_IDENTITY_EP_BASE 0x10000
#define CBPF_MAX_POLICY	      (1 << 20)

enum cbpf_verdict {
	CBPF_VERDICT_ALLOW = 1,
	CBPF_VERDICT_DENY = 2,
};

struct cbpf_policy_key {
	__u32 src_identity;
	__u32 dst_identity;
};

struct cbpf_policy_value {
	__u8 verdict;     /* enum cbpf_verdict */
	__u8 drop_reason; /* enum cbpf_drop_reason counted when verdict is deny */
	__u16 pad;
	__u32 rule_id;
};

#endif
