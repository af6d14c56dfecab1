/*
 * Connection tracking: an LRU hash of flows keyed by the 5-tuple in the direction that opened
 * them. A packet whose reversed tuple is tracked is a reply and passes whatever the policy says
 * about its own direction; that is what makes one-way rules stateful.
 */
#ifndef CBPF_MAPS_CONNTRACK_H
#define CBPF_MAPS_CONNTRACK_H

#include "common.h"

#define CBPF_MAX_CT 65536

/* Idle timeouts in nanoseconds (bpf_ktime_get_ns, CLOCK_MONOTONIC). */
#define CBPF_CT_TIMEOUT_TCP	(300ULL * 1000000000ULL)
#define CBPF_CT_TIMEOUT_CLOSING (10ULL * 1000000000ULL)
#define CBPF_CT_TIMEOUT_OTHER	(60ULL * 1000000000ULL)

enum cbpf_ct_flags {
	CBPF_CT_SEEN_REPLY = 1 << 0,
	CBPF_CT_CLOSING = 1 << 1, /* FIN or RST seen: short timeout */
};

struct cbpf_ct_key {
	__u32 saddr; /* network byte order, as are the ports */
	__u32 daddr;
	__u16 sport; /* ICMP echo: the identifier */
	__u16 dport; /* ICMP echo: 0 */
	__u8 proto;
	__u8 pad[3];
};

struct cbpf_ct_value {
	__u64 last_seen; /* bpf_ktime_get_ns of the last packet either way */
	__u32 flags;	 /* enum cbpf_ct_flags */
	__u32 rule_id;	 /* the rule that allowed the opening packet */
};

#endif
