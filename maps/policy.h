/*
 * Policy maps. cbpf_policy is a hash keyed by (source identity, destination identity): the
 * verdict for any protocol and port. When rules of the pair name protocols or ports, the entry
 * carries CBPF_VERDICT_F_PORTS and the LPM trie cbpf_policy_ports holds (pair, protocol, port)
 * entries whose protocol and port bits make port ranges longest-prefix matches. Either way a
 * lookup costs the same whatever the number of rules. The datapath tries every (source level,
 * destination level) pair in use, most specific first, and keeps the lowest priority number.
 *
 * A generation is the pair hash (cbpf_policy_pairs_gen slot g), two tries: the port rules and
 * the tables (address identities) in cbpf_policy_gen slots 2g and 2g + 1, and a hash of both
 * tries' full-length keys (a single port, a /32 address) in cbpf_policy_exact_gen slot g: an
 * exact key is the longest match a trie could give, so lookups try it first and the tries hold
 * only shorter prefixes (inserting into a hash costs a fraction of a trie insertion).
 * A reload fills the idle generation beside the live one and flips cbpf_policy_active in one
 * update, so a packet sees either the old policy or the new one. In the tables trie, reserved
 * source identities name the table: ADDR maps external and host addresses to identities, NODE maps
 * a node's underlay address to its node identity. cbpf_policy_mask[g] holds the mask of level pairs
 * generation g uses.
 *
 * cbpf_policy_epoch[0] (a __u32) changes after every change to the policy, endpoint or network
 * maps: verdicts remembered in conntrack entries (maps/conntrack.h) hold only under the epoch
 * they were taken in. Writers change the maps first and the epoch after.
 */
#ifndef CBPF_MAPS_POLICY_H
#define CBPF_MAPS_POLICY_H

#include "common.h"

/* Identity classes; see docs/policy.md. */
#define CBPF_IDENTITY_EP_BASE	 0x10000
#define CBPF_IDENTITY_VLAN_BASE	 0x01000000
#define CBPF_IDENTITY_NODE_BASE	 0x02000000 /* endpoints hosted on a node; index 0 is this host */
#define CBPF_IDENTITY_HOST_BASE	 0x03000000 /* a host's own stack; index 0 is this host */
#define CBPF_IDENTITY_CIDR_BASE	 0x04000000 /* external addresses; CIDR_BASE itself is "world" */
#define CBPF_IDENTITY_CLASS(id)	 ((id) >> 24)
#define CBPF_IDENTITY_NODE_TABLE 0xfffffffd
#define CBPF_IDENTITY_ADDR_TABLE 0xfffffffe

#define CBPF_MAX_POLICY		(1 << 20)
#define CBPF_POLICY_GENERATIONS 2

/* Prefix lengths over the key bits after prefixlen. */
#define CBPF_POLICY_PREFIX_PAIR	 64 /* any protocol, any port: the pair hash, never the trie */
#define CBPF_POLICY_PREFIX_PROTO 80 /* protocol and the zero pad byte */
#define CBPF_POLICY_PREFIX_FULL	 96

/* Identity levels, most specific first; a packet's identities sit at these positions. */
enum cbpf_level {
	CBPF_LEVEL_INSTANCE = 0, /* endpoint, host or CIDR */
	CBPF_LEVEL_NET = 1,
	CBPF_LEVEL_VLAN = 2,
	CBPF_LEVEL_NODE = 3,
	CBPF_LEVELS = 4,
};

enum cbpf_verdict {
	CBPF_VERDICT_ALLOW = 1,
	CBPF_VERDICT_DENY = 2,
	CBPF_VERDICT_IDENTITY = 3, /* address-table entry: rule_id holds the identity */
};

/*
 * cbpf_policy_mask bit CBPF_MASK_PORTS_ONLY + (src level * CBPF_LEVELS + dst level): some pair of
 * that level pair has protocol or port entries and no pair-hash entry (no rule of the pair is
 * for any protocol), so a pair-hash miss there still looks in the port trie.
 */
#define CBPF_MASK_PORTS_ONLY 16

/* Pair-hash entry flag: cbpf_policy_ports has protocol or port entries for this pair. */
#define CBPF_VERDICT_F_PORTS 0x80
#define CBPF_VERDICT_MASK    0x7f

struct cbpf_pair_key {
	__u32 src_identity;
	__u32 dst_identity;
};

struct cbpf_policy_key {
	__u32 prefixlen;
	__u32 src_identity; /* for the address tables: ADDR or NODE */
	__u32 dst_identity; /* for the address tables: the address, network byte order */
	__u8 proto;	    /* IPPROTO_*; 0 in entries that match any protocol */
	__u8 pad;
	__be16 dport; /* TCP/UDP destination port, network byte order */
};

struct cbpf_policy_value {
	__u8 verdict;	  /* enum cbpf_verdict */
	__u8 drop_reason; /* enum cbpf_drop_reason counted when verdict is deny */
	__u16 priority;	  /* lower wins; ties go to the more specific level pair */
	__u32 rule_id;
};

/* Rule ids: file rules count from 1, `policy set` rules carry this bit, icc defaults are 0. */
#define CBPF_RULE_STATE_BIT 0x80000000u

/* Per-rule hit counters, not swapped with the policy: ids stay stable across reloads. */
#define CBPF_MAX_RULE_STATS (1 << 18)

struct cbpf_rule_stat {
	__u64 packets;
	__u64 bytes;
};

#endif
