/*
 * Connection tracking: an LRU hash of flows. Both directions of a flow share one entry, so a
 * packet costs one lookup whichever way it goes: the key holds the flow's two ends in a fixed
 * order (end a, end b) and the entry's flags say which end opened it. A packet from the end that
 * did not open a tracked flow is a reply and passes whatever the policy says about its own
 * direction; that is what makes one-way rules stateful.
 *
 * An entry also remembers that the opener's direction was allowed, and under which policy epoch
 * (cbpf_policy_epoch, maps/policy.h): while the epoch holds, the flow's next packets that way
 * skip the identity and policy lookups. Every change to the policy, endpoints or networks moves
 * the epoch, so a remembered verdict never outlives what it was derived from.
 */
#ifndef CBPF_MAPS_CONNTRACK_H
#define CBPF_MAPS_CONNTRACK_H

#include "common.h"

#define CBPF_MAX_CT 65536

/*
 * Idle timeouts in nanoseconds of CLOCK_MONOTONIC at tick resolution (bpf_ktime_get_coarse_ns):
 * timeouts are seconds long, and the precise clock costs more than the rest of the lookup.
 */
#define CBPF_CT_TIMEOUT_TCP	(300ULL * 1000000000ULL)
#define CBPF_CT_TIMEOUT_CLOSING (10ULL * 1000000000ULL)
#define CBPF_CT_TIMEOUT_OTHER	(60ULL * 1000000000ULL)

enum cbpf_ct_flags {
	CBPF_CT_SEEN_REPLY = 1 << 0,
	CBPF_CT_CLOSING = 1 << 1,     /* FIN or RST seen: short timeout */
	CBPF_CT_OPENED_BY_B = 1 << 2, /* end b sent the opening packet */
};

/*
 * TCP and UDP: end a is the lower (address, port) of the two, compared as stored. ICMP echo:
 * end a is the requester, port_a the identifier, port_b 0.
 */
struct cbpf_ct_key {
	__u32 addr_a; /* network byte order, as are the ports */
	__u32 addr_b;
	__u16 port_a;
	__u16 port_b;
	__u8 proto;
	__u8 pad[3];
};

/*
 * The remembered verdict: the opener's direction was allowed, under policy epoch
 * CBPF_CT_VERDICT_EPOCH(verdict), by the judgement of packets leaving an endpoint (EGRESS) or of
 * packets the host delivers into one (INGRESS). The first is the stricter (it also isolates
 * networks by default), so it sets both. Epoch and bits share one word, written with one store:
 * CPUs judging the same flow around an epoch change can never pair one's epoch with the other's
 * bits.
 */
#define CBPF_CT_VERDICT_EGRESS		(1u << 0)
#define CBPF_CT_VERDICT_INGRESS		(1u << 1)
#define CBPF_CT_VERDICT_BITS		2
#define CBPF_CT_VERDICT_EPOCH(word)	((word) >> CBPF_CT_VERDICT_BITS)
#define CBPF_CT_VERDICT(epoch, allowed) ((__u32)(epoch) << CBPF_CT_VERDICT_BITS | (allowed))

struct cbpf_ct_value {
	__u64 last_seen; /* bpf_ktime_get_coarse_ns of the last packet either way */
	__u32 flags;	 /* enum cbpf_ct_flags */
	__u32 rule_id;	 /* the rule that last allowed the opener's direction */
	__u32 verdict;	 /* CBPF_CT_VERDICT(epoch, allowed bits), 0 for none */
	__u32 pad;
};

/*
 * Fragments after the first carry no ports, so they cannot be judged on their own: they follow
 * their first fragment's verdict. An allowed first fragment (offset 0, more fragments) records
 * its datagram here; a later fragment passes only when its datagram is recorded and younger than
 * the kernel's reassembly timeout (ipfrag_time), so a reused IP id cannot ride an old verdict.
 */
#define CBPF_MAX_FRAGS	  16384
#define CBPF_FRAG_TIMEOUT (30ULL * 1000000000ULL)

struct cbpf_frag_key {
	__u32 saddr; /* network byte order, as is id */
	__u32 daddr;
	__u16 id;
	__u8 proto;
	__u8 pad;
};

struct cbpf_frag_value {
	__u64 first_seen; /* bpf_ktime_get_coarse_ns of the first fragment */
};

#endif
