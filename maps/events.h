/* Events the datapath streams to `cbpfnet monitor` through a ring buffer. */
#ifndef CBPF_MAPS_EVENTS_H
#define CBPF_MAPS_EVENTS_H

#include "common.h"

#define CBPF_EVENTS_SIZE (256 * 1024)

enum cbpf_event_kind {
	CBPF_EVENT_DROP = 1,	  /* any drop; reason says why */
	CBPF_EVENT_ALLOW_NEW = 2, /* policy allowed the first packet of a flow */
};

struct cbpf_event {
	__u64 ts; /* bpf_ktime_get_ns */
	__u32 saddr;
	__u32 daddr;
	__u16 sport; /* network byte order */
	__u16 dport;
	__u8 proto;
	__u8 kind;   /* enum cbpf_event_kind */
	__u8 reason; /* enum cbpf_drop_reason */
	__u8 pad;
	__u32 rule_id;
	__u32 ifindex;
};

#endif
