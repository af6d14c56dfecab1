/* Flow parsing and connection tracking: replies to tracked flows pass without a policy check. */
#ifndef CBPF_CONNTRACK_BPF_H
#define CBPF_CONNTRACK_BPF_H

#include "conntrack.h"

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CBPF_MAX_CT);
	__type(key, struct cbpf_ct_key);
	__type(value, struct cbpf_ct_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_ct SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, CBPF_MAX_FRAGS);
	__type(key, struct cbpf_frag_key);
	__type(value, struct cbpf_frag_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_frags SEC(".maps");

#define CBPF_ICMP_ECHO_REPLY   0
#define CBPF_ICMP_ECHO_REQUEST 8
#define CBPF_TCP_FIN	       0x01
#define CBPF_TCP_RST	       0x04
#define CBPF_IP_FRAG_OFFSET    0x1fff
#define CBPF_IP_MF	       0x2000

enum cbpf_flow_kind {
	CBPF_FLOW_UNTRACKED = 0, /* no tuple: fragments, ICMP errors, other protocols */
	CBPF_FLOW_OPENER,	 /* can open a flow: TCP, UDP, ICMP echo request */
	CBPF_FLOW_REPLY_ONLY,	 /* ICMP echo reply: only ever a reply */
};

struct cbpf_flow {
	__u32 saddr;
	__u32 daddr;
	__u16 sport; /* network byte order; ICMP echo: the identifier */
	__u16 dport;
	__u8 proto;
	__u8 tcp_flags;
	__u8 kind; /* enum cbpf_flow_kind */
	__u8 pad;
};

/* Ports sit in the first bytes of the L4 header; what is not linear is treated as unknown. */
static __always_inline void cbpf_flow_parse(void *data_end, struct iphdr *iph, struct cbpf_flow *f)
{
	__u8 *l4 = (__u8 *)iph + iph->ihl * 4;

	__builtin_memset(f, 0, sizeof(*f));
	f->saddr = iph->saddr;
	f->daddr = iph->daddr;
	f->proto = iph->protocol;
	if (iph->frag_off & bpf_htons(CBPF_IP_FRAG_OFFSET))
		return;
	if (f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP) {
		if ((void *)(l4 + 4) > data_end)
			return;
		f->sport = *(__u16 *)l4;
		f->dport = *(__u16 *)(l4 + 2);
		f->kind = CBPF_FLOW_OPENER;
		if (f->proto == IPPROTO_TCP && (void *)(l4 + 14) <= data_end)
			f->tcp_flags = l4[13];
	} else if (f->proto == IPPROTO_ICMP) {
		if ((void *)(l4 + 6) > data_end)
			return;
		if (l4[0] == CBPF_ICMP_ECHO_REQUEST)
			f->kind = CBPF_FLOW_OPENER;
		else if (l4[0] == CBPF_ICMP_ECHO_REPLY)
			f->kind = CBPF_FLOW_REPLY_ONLY;
		f->sport = *(__u16 *)(l4 + 4);
	}
}

static __always_inline void cbpf_frag_key_of(const struct cbpf_flow *f, __be16 id,
					     struct cbpf_frag_key *key)
{
	key->saddr = f->saddr;
	key->daddr = f->daddr;
	key->id = id;
	key->proto = f->proto;
	key->pad = 0;
}

/* A first fragment was allowed: the rest of its datagram follows it. */
static __always_inline void cbpf_frag_allow(const struct cbpf_flow *f, __be16 id)
{
	struct cbpf_frag_value v = {.first_seen = bpf_ktime_get_coarse_ns()};
	struct cbpf_frag_key key;

	cbpf_frag_key_of(f, id, &key);
	bpf_map_update_elem(&cbpf_frags, &key, &v, BPF_ANY);
}

/* A later fragment: 1 when its first fragment was allowed, recently. */
static __always_inline int cbpf_frag_allowed(const struct cbpf_flow *f, __be16 id)
{
	struct cbpf_frag_value *v;
	struct cbpf_frag_key key;

	cbpf_frag_key_of(f, id, &key);
	v = bpf_map_lookup_elem(&cbpf_frags, &key);
	return v && bpf_ktime_get_coarse_ns() - v->first_seen <= CBPF_FRAG_TIMEOUT;
}

static __always_inline int cbpf_ct_expired(const struct cbpf_ct_value *v, __u8 proto, __u64 now)
{
	__u64 timeout = CBPF_CT_TIMEOUT_OTHER;

	if (proto == IPPROTO_TCP)
		timeout =
		    v->flags & CBPF_CT_CLOSING ? CBPF_CT_TIMEOUT_CLOSING : CBPF_CT_TIMEOUT_TCP;
	return now - v->last_seen > timeout;
}

static __always_inline void cbpf_ct_touch(struct cbpf_ct_value *v, const struct cbpf_flow *f,
					  __u64 now, __u32 flags)
{
	if (f->tcp_flags & (CBPF_TCP_FIN | CBPF_TCP_RST))
		flags |= CBPF_CT_CLOSING;
	/* Both directions touch one entry, often from two CPUs: storing only what changes (the
	 * coarse clock moves once per tick) keeps its cache line shared between them. */
	if (v->last_seen != now)
		v->last_seen = now;
	if ((v->flags & flags) != flags)
		v->flags |= flags;
}

/* The flow's key; returns 1 when the packet comes from end b. */
static __always_inline __u32 cbpf_ct_key_of(const struct cbpf_flow *f, struct cbpf_ct_key *key)
{
	__u32 from_b;

	__builtin_memset(key, 0, sizeof(*key));
	key->proto = f->proto;
	if (f->proto == IPPROTO_ICMP) {
		/* The requester is end a: echo requests come from a, echo replies from b. */
		from_b = f->kind == CBPF_FLOW_REPLY_ONLY;
		key->addr_a = from_b ? f->daddr : f->saddr;
		key->addr_b = from_b ? f->saddr : f->daddr;
		key->port_a = f->sport;
		return from_b;
	}
	from_b = f->saddr > f->daddr || (f->saddr == f->daddr && f->sport > f->dport);
	key->addr_a = from_b ? f->daddr : f->saddr;
	key->addr_b = from_b ? f->saddr : f->daddr;
	key->port_a = from_b ? f->dport : f->sport;
	key->port_b = from_b ? f->sport : f->dport;
	return from_b;
}

/* The flow's entry when it is tracked and not expired; *now is set whenever an entry exists. */
static __always_inline struct cbpf_ct_value *cbpf_ct_live(const struct cbpf_ct_key *key, __u8 proto,
							  __u64 *now)
{
	struct cbpf_ct_value *v = bpf_map_lookup_elem(&cbpf_ct, key);

	if (!v)
		return 0;
	*now = bpf_ktime_get_coarse_ns();
	return cbpf_ct_expired(v, proto, *now) ? 0 : v;
}

/* A packet from the end that did not open the flow answers it. */
static __always_inline int cbpf_ct_is_reply(const struct cbpf_ct_value *v, __u32 from_b)
{
	return !(v->flags & CBPF_CT_OPENED_BY_B) != !from_b;
}

/* The opener's direction was allowed, by this judgement or a stricter one, under epoch. */
static __always_inline int cbpf_ct_verdict_holds(const struct cbpf_ct_value *v, __u32 judgement,
						 __u32 epoch)
{
	__u32 bit = judgement ? CBPF_CT_VERDICT_INGRESS : CBPF_CT_VERDICT_EGRESS;
	__u32 verdict = v->verdict;

	return CBPF_CT_VERDICT_EPOCH(verdict) == CBPF_CT_VERDICT_EPOCH(CBPF_CT_VERDICT(epoch, 0)) &&
	       (verdict & bit);
}

/*
 * Records an allowed opening packet (v: its live entry, if any) and remembers the verdict
 * (allowed: CBPF_CT_VERDICT_* bits) under epoch; returns 1 for a new flow.
 */
static __always_inline int cbpf_ct_track(struct cbpf_ct_value *v, const struct cbpf_ct_key *key,
					 __u32 from_b, const struct cbpf_flow *f, __u64 now,
					 __u32 rule_id, __u32 allowed, __u32 epoch)
{
	struct cbpf_ct_value fresh = {.rule_id = rule_id,
				      .verdict = CBPF_CT_VERDICT(epoch, allowed)};

	if (v) {
		__u32 verdict = v->verdict;

		cbpf_ct_touch(v, f, now, 0);
		/* Bits of an older epoch say nothing any more; those of this one add up. */
		if (CBPF_CT_VERDICT_EPOCH(verdict) == CBPF_CT_VERDICT_EPOCH(fresh.verdict))
			fresh.verdict |= verdict;
		v->verdict = fresh.verdict;
		v->rule_id = rule_id;
		return 0;
	}
	if (!now)
		now = bpf_ktime_get_coarse_ns();
	cbpf_ct_touch(&fresh, f, now, from_b ? CBPF_CT_OPENED_BY_B : 0);
	bpf_map_update_elem(&cbpf_ct, key, &fresh, BPF_ANY);
	return 1;
}

#endif
