/* Drop and verdict events for `cbpfnet monitor`; a full ring loses events, never packets. */
#ifndef CBPF_EVENTS_BPF_H
#define CBPF_EVENTS_BPF_H

#include "events.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, CBPF_EVENTS_SIZE);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_events SEC(".maps");

static __always_inline void cbpf_emit(__u8 kind, __u8 reason, __u32 rule_id, __u32 ifindex,
				      __u32 saddr, __u32 daddr, __u16 sport, __u16 dport,
				      __u8 proto)
{
	struct cbpf_event *e = bpf_ringbuf_reserve(&cbpf_events, sizeof(*e), 0);

	if (!e)
		return;
	e->ts = bpf_ktime_get_ns();
	e->saddr = saddr;
	e->daddr = daddr;
	e->sport = sport;
	e->dport = dport;
	e->proto = proto;
	e->kind = kind;
	e->reason = reason;
	e->pad = 0;
	e->rule_id = rule_id;
	e->ifindex = ifindex;
	bpf_ringbuf_submit(e, 0);
}

#endif
