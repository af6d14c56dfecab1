/*
 * Policy decisions: identities of both ends, one LPM lookup per level pair in use, connection
 * tracking for replies, per-rule counters and events. Used on the way out of an endpoint
 * (cbpf_policy_egress) and on the way into one from the host stack (cbpf_policy_ingress).
 */
#ifndef CBPF_POLICY_BPF_H
#define CBPF_POLICY_BPF_H

#include "maps.bpf.h"
#include "conntrack.bpf.h"
#include "events.bpf.h"

#define CBPF_POLICY_TRIE_DEF                                                                       \
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                                       \
	__uint(max_entries, CBPF_MAX_POLICY);                                                      \
	__uint(map_flags, BPF_F_NO_PREALLOC);                                                      \
	__type(key, struct cbpf_policy_key);                                                       \
	__type(value, struct cbpf_policy_value)

#define CBPF_POLICY_PAIRS_DEF                                                                      \
	__uint(type, BPF_MAP_TYPE_HASH);                                                           \
	__uint(max_entries, CBPF_MAX_POLICY);                                                      \
	__uint(map_flags, BPF_F_NO_PREALLOC);                                                      \
	__type(key, struct cbpf_pair_key);                                                         \
	__type(value, struct cbpf_policy_value)

/*
 * Full-length keys of both tries (an address's /32, a single port) are exact matches, the
 * longest a trie lookup can find: they live in a preallocated hash, tried before the trie,
 * because a hash takes an entry for a fraction of a trie insertion (docs/benchmarks.md). The
 * first generation's is small; a policy that outgrows a generation's gets a larger one.
 */
#define CBPF_POLICY_EXACT_DEF                                                                      \
	__uint(type, BPF_MAP_TYPE_HASH);                                                           \
	__uint(max_entries, 64);                                                                   \
	__type(key, struct cbpf_policy_key);                                                       \
	__type(value, struct cbpf_policy_value)

/* Templates of inner maps cannot carry a pin; the first generation's maps do. */
struct cbpf_policy_trie {
	CBPF_POLICY_TRIE_DEF;
};

struct cbpf_policy_exact {
	CBPF_POLICY_EXACT_DEF;
};

struct cbpf_policy_pairs {
	CBPF_POLICY_PAIRS_DEF;
};

struct {
	CBPF_POLICY_PAIRS_DEF;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy SEC(".maps");

struct {
	CBPF_POLICY_TRIE_DEF;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_ports SEC(".maps");

struct {
	CBPF_POLICY_TRIE_DEF;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_tables SEC(".maps");

struct {
	CBPF_POLICY_EXACT_DEF;
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_exact SEC(".maps");

/* Generation g keeps its pair hash in slot g. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, CBPF_POLICY_GENERATIONS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct cbpf_policy_pairs);
} cbpf_policy_pairs_gen SEC(".maps") = {
    .values = {[0] = (void *)&cbpf_policy},
};

/* Generation g keeps its port trie in slot 2g and its address tables in slot 2g + 1. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2 * CBPF_POLICY_GENERATIONS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct cbpf_policy_trie);
} cbpf_policy_gen SEC(".maps") = {
    .values = {[0] = (void *)&cbpf_policy_ports, [1] = (void *)&cbpf_policy_tables},
};

/* Generation g keeps the exact entries of both its tries in slot g. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, CBPF_POLICY_GENERATIONS);
	__type(key, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
	__array(values, struct cbpf_policy_exact);
} cbpf_policy_exact_gen SEC(".maps") = {
    .values = {[0] = (void *)&cbpf_policy_exact},
};

/*
 * Per generation: bit (src level * CBPF_LEVELS + dst level) is set when some entry uses that
 * level pair, so unused levels cost no lookup. An array, so reading it costs the same whatever
 * the policy holds.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CBPF_POLICY_GENERATIONS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_mask SEC(".maps");

/* Index 0: the policy epoch (maps/policy.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_epoch SEC(".maps");

/* Index 0: the live generation. A reload fills the other one, then flips this. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_policy_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, CBPF_MAX_RULE_STATS);
	__type(key, __u32);
	__type(value, struct cbpf_rule_stat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_rule_stats SEC(".maps");

struct cbpf_ids {
	__u32 id[CBPF_LEVELS]; /* 0 where the end has no identity at that level */
};

struct cbpf_verdict_out {
	__u32 reason;  /* 0 allows */
	__u32 rule_id; /* 0 when a default decided */
};

/* The live generation: its pair hash and level mask; its tries are fetched when needed. */
struct cbpf_policy_live {
	void *pairs;
	__u32 slot;
	__u32 mask;
	__u32 epoch;
};

#define CBPF_TRIE_PORTS	 0
#define CBPF_TRIE_TABLES 1

/* Generation g keeps its port trie in slot 2g and its address tables in 2g + 1. */
static __always_inline void *cbpf_live_trie(const struct cbpf_policy_live *live, __u32 which)
{
	__u32 slot = live->slot * 2 + which;

	return bpf_map_lookup_elem(&cbpf_policy_gen, &slot);
}

/* A trie's longest match for key: its exact entry when it has one, else the trie's. */
static __always_inline struct cbpf_policy_value *
cbpf_trie_lookup(const struct cbpf_policy_live *live, __u32 which,
		 const struct cbpf_policy_key *key)
{
	struct cbpf_policy_value *v = NULL;
	__u32 slot = live->slot;
	void *exact = bpf_map_lookup_elem(&cbpf_policy_exact_gen, &slot);
	void *trie;

	if (exact)
		v = bpf_map_lookup_elem(exact, key);
	if (v)
		return v;
	trie = cbpf_live_trie(live, which);
	return trie ? bpf_map_lookup_elem(trie, key) : NULL;
}

static __always_inline struct cbpf_policy_value *
cbpf_table_lookup(const struct cbpf_policy_live *live, __u32 table, __u32 addr, __u32 prefixlen)
{
	struct cbpf_policy_key key = {
	    .prefixlen = prefixlen, .src_identity = table, .dst_identity = addr};

	return cbpf_trie_lookup(live, CBPF_TRIE_TABLES, &key);
}

static __always_inline void cbpf_ids_of_ep(const struct cbpf_policy_live *live,
					   const struct cbpf_ep_value *ep, __u32 mask,
					   struct cbpf_ids *ids)
{
	/* Levels no rule uses are not worth a lookup. */
	const __u32 vlan_bits = 0x0f00 | 0x4444, node_bits = 0xf000 | 0x8888;

	ids->id[CBPF_LEVEL_INSTANCE] = ep->identity;
	ids->id[CBPF_LEVEL_NET] = ep->net_id;
	ids->id[CBPF_LEVEL_VLAN] = 0;
	ids->id[CBPF_LEVEL_NODE] = 0;
	if (mask & vlan_bits) {
		struct cbpf_net_key nk = {.net_id = ep->net_id};
		struct cbpf_net_value *net = bpf_map_lookup_elem(&cbpf_networks, &nk);

		if (net && net->vlan)
			ids->id[CBPF_LEVEL_VLAN] = CBPF_IDENTITY_VLAN_BASE + net->vlan;
	}
	if (mask & node_bits) {
		if (ep->flags & (CBPF_EP_LOCAL | CBPF_EP_MACVLAN)) {
			ids->id[CBPF_LEVEL_NODE] = CBPF_IDENTITY_NODE_BASE;
		} else {
			struct cbpf_policy_value *v = cbpf_table_lookup(
			    live, CBPF_IDENTITY_NODE_TABLE, ep->node_ip, CBPF_POLICY_PREFIX_PAIR);

			if (v)
				ids->id[CBPF_LEVEL_NODE] = v->rule_id;
		}
	}
}

/* A host address or a CIDR identity; addresses no table entry covers are "world". */
static __always_inline void cbpf_ids_of_addr(const struct cbpf_policy_live *live, __u32 addr,
					     struct cbpf_ids *ids)
{
	struct cbpf_policy_value *v =
	    cbpf_table_lookup(live, CBPF_IDENTITY_ADDR_TABLE, addr, CBPF_POLICY_PREFIX_PAIR);

	ids->id[CBPF_LEVEL_INSTANCE] = v ? v->rule_id : CBPF_IDENTITY_CIDR_BASE;
	ids->id[CBPF_LEVEL_NET] = 0;
	ids->id[CBPF_LEVEL_VLAN] = 0;
	ids->id[CBPF_LEVEL_NODE] = 0;
}

/* True when the address tables give addr to a host's own stack (a host identity). */
static __always_inline int cbpf_addr_is_host(const struct cbpf_policy_live *live, __u32 addr)
{
	struct cbpf_policy_value *v =
	    cbpf_table_lookup(live, CBPF_IDENTITY_ADDR_TABLE, addr, CBPF_POLICY_PREFIX_PAIR);

	return v && CBPF_IDENTITY_CLASS(v->rule_id) == CBPF_IDENTITY_CLASS(CBPF_IDENTITY_HOST_BASE);
}

/*
 * The identities of an egress judgement: src is an endpoint, dst an endpoint or, when NULL, judged
 * by daddr. Returns its default: endpoints reach their own network and no other; other addresses
 * are reachable. policy explain (bpf/explain.bpf.c) takes the same identities and default.
 */
static __always_inline __u32 cbpf_egress_ids(const struct cbpf_policy_live *live,
					     const struct cbpf_ep_value *src,
					     const struct cbpf_ep_value *dst, __u32 daddr,
					     struct cbpf_ids *src_ids, struct cbpf_ids *dst_ids)
{
	cbpf_ids_of_ep(live, src, live->mask, src_ids);
	if (!dst) {
		cbpf_ids_of_addr(live, daddr, dst_ids);
		return 0;
	}
	cbpf_ids_of_ep(live, dst, live->mask, dst_ids);
	return src->net_id != dst->net_id ? CBPF_DROP_NET_ISOLATION : 0;
}

/* The identities of an ingress judgement (allowed by default): src NULL is judged by saddr. */
static __always_inline void cbpf_ingress_ids(const struct cbpf_policy_live *live,
					     const struct cbpf_ep_value *src,
					     const struct cbpf_ep_value *dst, __u32 saddr,
					     struct cbpf_ids *src_ids, struct cbpf_ids *dst_ids)
{
	if (src)
		cbpf_ids_of_ep(live, src, live->mask, src_ids);
	else
		cbpf_ids_of_addr(live, saddr, src_ids);
	cbpf_ids_of_ep(live, dst, live->mask, dst_ids);
}

/* The lowest priority number over every level pair wins; ties keep the more specific pair. */
static __always_inline void cbpf_policy_decide(const struct cbpf_policy_live *live,
					       const struct cbpf_ids *src,
					       const struct cbpf_ids *dst, __u32 mask,
					       const struct cbpf_flow *f, __u32 fallback,
					       struct cbpf_verdict_out *out)
{
	struct cbpf_policy_key key = {
	    .prefixlen = CBPF_POLICY_PREFIX_FULL, .proto = f->proto, .dport = f->dport};
	__u32 best_prio = 0x10000, best_reason = fallback, best_rule = 0;
	struct cbpf_policy_value *v, *port;
	struct cbpf_pair_key pair;
	__u8 verdict;

	for (int i = 0; i < CBPF_LEVELS; i++) {
		for (int j = 0; j < CBPF_LEVELS; j++) {
			if (!(mask & (1u << (i * CBPF_LEVELS + j))) || !src->id[i] || !dst->id[j])
				continue;
			pair.src_identity = src->id[i];
			pair.dst_identity = dst->id[j];
			v = bpf_map_lookup_elem(live->pairs, &pair);
			if (!v && !(mask & (1u << (CBPF_MASK_PORTS_ONLY + i * CBPF_LEVELS + j))))
				continue;
			/* Port entries already account for the pair's any-protocol rules. */
			if (!v || (v->verdict & CBPF_VERDICT_F_PORTS)) {
				key.src_identity = pair.src_identity;
				key.dst_identity = pair.dst_identity;
				port = cbpf_trie_lookup(live, CBPF_TRIE_PORTS, &key);
				if (port)
					v = port;
				else if (!v)
					continue;
			}
			verdict = v->verdict & CBPF_VERDICT_MASK;
			if (v->priority >= best_prio ||
			    (verdict != CBPF_VERDICT_ALLOW && verdict != CBPF_VERDICT_DENY))
				continue;
			best_prio = v->priority;
			best_rule = v->rule_id;
			best_reason = verdict == CBPF_VERDICT_ALLOW ? 0 : v->drop_reason;
		}
	}
	out->reason = best_reason;
	out->rule_id = best_rule;
}

static __always_inline void cbpf_rule_count(__u32 rule_id, __u64 bytes)
{
	struct cbpf_rule_stat *stat, fresh = {.packets = 1, .bytes = bytes};

	if (!rule_id)
		return;
	stat = bpf_map_lookup_elem(&cbpf_rule_stats, &rule_id);
	if (stat) {
		stat->packets++;
		stat->bytes += bytes;
	} else {
		bpf_map_update_elem(&cbpf_rule_stats, &rule_id, &fresh, BPF_NOEXIST);
	}
}

/* The live generation's maps, read once so a packet never mixes two generations. */
static __always_inline int cbpf_policy_live(struct cbpf_policy_live *live)
{
	__u32 zero = 0, slot, *mask, *epoch;
	__u32 *gen = bpf_map_lookup_elem(&cbpf_policy_active, &zero);

	/* Read before any map the verdict derives from: a writer moves it after its change. */
	epoch = bpf_map_lookup_elem(&cbpf_policy_epoch, &zero);
	live->epoch = epoch ? *epoch : 0;
	if (!gen)
		return 0;
	slot = *gen & 1;
	mask = bpf_map_lookup_elem(&cbpf_policy_mask, &slot);
	live->mask = mask ? *mask : 0;
	live->slot = slot;
	live->pairs = bpf_map_lookup_elem(&cbpf_policy_pairs_gen, &slot);
	return live->pairs != NULL;
}

enum cbpf_judgement {
	CBPF_JUDGE_EGRESS,  /* a packet leaving a local endpoint */
	CBPF_JUDGE_INGRESS, /* a packet the host delivers into a local endpoint */
};

/* A packet on its way through the policy: its flow, and the flow's entry when tracked and live. */
struct cbpf_policy_pkt {
	struct cbpf_policy_live live;
	struct cbpf_flow f;
	struct cbpf_ct_key key;
	struct cbpf_ct_value *ct;
	__u64 now;
	__u32 from_b;
	__u32 judgement; /* enum cbpf_judgement */
	__u32 bytes;
	__u16 frag_first; /* the first fragment of a datagram: its verdict is recorded */
	__be16 ip_id;
};

/* The packet was allowed: a first fragment takes the rest of its datagram with it. */
static __always_inline void cbpf_policy_allowed(const struct cbpf_policy_pkt *p)
{
	if (p->frag_first)
		cbpf_frag_allow(&p->f, p->ip_id);
}

/*
 * First step of a judgement, before any identity is looked up. Returns 1 when the packet is
 * decided already (in out): no policy is loaded, it is a later fragment (its first fragment's
 * verdict holds for it), it answers a tracked flow, or its flow's direction was allowed under the
 * current epoch. Returns 0 when identities must decide (cbpf_policy_finish). Every path that
 * allows a packet calls cbpf_policy_allowed.
 */
static __always_inline int cbpf_policy_start(void *data_end, struct iphdr *iph, __u32 judgement,
					     struct cbpf_policy_pkt *p,
					     struct cbpf_verdict_out *out)
{
	out->reason = 0;
	out->rule_id = 0;
	if (!cbpf_policy_live(&p->live))
		return 1;
	cbpf_flow_parse(data_end, iph, &p->f);
	p->frag_first = 0;
	if (iph->frag_off & bpf_htons(CBPF_IP_MF | CBPF_IP_FRAG_OFFSET)) {
		/* Later fragments have no ports to judge: they follow the first one. */
		if (iph->frag_off & bpf_htons(CBPF_IP_FRAG_OFFSET)) {
			if (!cbpf_frag_allowed(&p->f, iph->id))
				out->reason = CBPF_DROP_FRAG_UNKNOWN;
			return 1;
		}
		p->frag_first = 1;
		p->ip_id = iph->id;
	}
	p->judgement = judgement;
	p->bytes = bpf_ntohs(iph->tot_len);
	p->ct = 0;
	p->now = 0;
	p->from_b = 0;
	if (p->f.kind == CBPF_FLOW_UNTRACKED)
		return 0;
	p->from_b = cbpf_ct_key_of(&p->f, &p->key);
	/* An echo request answers nothing: its entry matters only once it is allowed, and a
	 * denied ping flood should not pay for the lookup. */
	if (p->f.proto == IPPROTO_ICMP && p->f.kind == CBPF_FLOW_OPENER)
		return 0;
	p->ct = cbpf_ct_live(&p->key, p->f.proto, &p->now);
	if (!p->ct)
		return 0;
	if (cbpf_ct_is_reply(p->ct, p->from_b)) {
		cbpf_ct_touch(p->ct, &p->f, p->now, CBPF_CT_SEEN_REPLY);
		cbpf_policy_allowed(p);
		return 1;
	}
	if (p->f.kind != CBPF_FLOW_OPENER ||
	    !cbpf_ct_verdict_holds(p->ct, judgement, p->live.epoch))
		return 0;
	cbpf_ct_touch(p->ct, &p->f, p->now, 0);
	out->rule_id = p->ct->rule_id;
	cbpf_rule_count(out->rule_id, p->bytes);
	cbpf_policy_allowed(p);
	return 1;
}

/* Judges by identities; allowed openers are tracked and their verdict remembered. */
static __always_inline void cbpf_policy_finish(struct cbpf_policy_pkt *p,
					       const struct cbpf_ids *src,
					       const struct cbpf_ids *dst, __u32 fallback,
					       __u32 ifindex, struct cbpf_verdict_out *out)
{
	const struct cbpf_flow *f = &p->f;
	__u32 allowed = p->judgement == CBPF_JUDGE_EGRESS
			    ? CBPF_CT_VERDICT_EGRESS | CBPF_CT_VERDICT_INGRESS
			    : CBPF_CT_VERDICT_INGRESS;

	cbpf_policy_decide(&p->live, src, dst, p->live.mask, f, fallback, out);
	cbpf_rule_count(out->rule_id, p->bytes);
	if (out->reason) {
		cbpf_emit(CBPF_EVENT_DROP, out->reason, out->rule_id, ifindex, f->saddr, f->daddr,
			  f->sport, f->dport, f->proto);
		return;
	}
	cbpf_policy_allowed(p);
	if (f->kind != CBPF_FLOW_OPENER)
		return;
	if (f->proto == IPPROTO_ICMP)
		p->ct = cbpf_ct_live(&p->key, f->proto, &p->now);
	if (cbpf_ct_track(p->ct, &p->key, p->from_b, f, p->now, out->rule_id, allowed,
			  p->live.epoch))
		cbpf_emit(CBPF_EVENT_ALLOW_NEW, 0, out->rule_id, ifindex, f->saddr, f->daddr,
			  f->sport, f->dport, f->proto);
}

/*
 * The rest of cbpf_policy_egress once cbpf_policy_start left the packet undecided: for callers
 * that look their endpoints up only when needed.
 */
static __always_inline void cbpf_policy_egress_judge(struct cbpf_policy_pkt *p,
						     const struct cbpf_ep_value *src,
						     const struct cbpf_ep_value *dst, __u32 ifindex,
						     struct cbpf_verdict_out *out)
{
	struct cbpf_ids src_ids, dst_ids;
	__u32 fallback = cbpf_egress_ids(&p->live, src, dst, p->f.daddr, &src_ids, &dst_ids);

	cbpf_policy_finish(p, &src_ids, &dst_ids, fallback, ifindex, out);
}

/*
 * A packet leaving local endpoint src for dst (an endpoint, or NULL for any other address).
 * Without a deciding entry, endpoints reach their own network and no other; other addresses
 * are reachable.
 */
static __always_inline void cbpf_policy_egress(void *data_end, struct iphdr *iph,
					       const struct cbpf_ep_value *src,
					       const struct cbpf_ep_value *dst, __u32 ifindex,
					       struct cbpf_verdict_out *out)
{
	struct cbpf_policy_pkt p;

	if (!cbpf_policy_start(data_end, iph, CBPF_JUDGE_EGRESS, &p, out))
		cbpf_policy_egress_judge(&p, src, dst, ifindex, out);
}

/*
 * The rest of cbpf_policy_ingress once cbpf_policy_start left the packet undecided; src is NULL
 * for a sender that is no endpoint (judged by its address).
 */
static __always_inline void cbpf_policy_ingress_judge(struct cbpf_policy_pkt *p,
						      const struct cbpf_ep_value *src,
						      const struct cbpf_ep_value *dst,
						      __u32 ifindex, struct cbpf_verdict_out *out)
{
	struct cbpf_ids src_ids, dst_ids;

	cbpf_ingress_ids(&p->live, src, dst, p->f.saddr, &src_ids, &dst_ids);
	cbpf_policy_finish(p, &src_ids, &dst_ids, 0, ifindex, out);
}

/*
 * A packet the host stack sends into local endpoint dst: from the host itself, from outside
 * through the host, or from a remote endpoint the kernel delivered. Allowed by default.
 */
static __always_inline void cbpf_policy_ingress(void *data_end, struct iphdr *iph,
						const struct cbpf_ep_value *src,
						const struct cbpf_ep_value *dst, __u32 ifindex,
						struct cbpf_verdict_out *out)
{
	struct cbpf_policy_pkt p;

	if (!cbpf_policy_start(data_end, iph, CBPF_JUDGE_INGRESS, &p, out))
		cbpf_policy_ingress_judge(&p, src, dst, ifindex, out);
}

#endif
