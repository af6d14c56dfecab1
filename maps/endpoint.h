/* Endpoint map: every endpoint address this host can reach, local or (later) on remote nodes. */
#ifndef CBPF_MAPS_ENDPOINT_H
#define CBPF_MAPS_ENDPOINT_H

#include "common.h"

#define CBPF_MAX_ENDPOINTS 65536

enum cbpf_ep_flags {
	CBPF_EP_LOCAL = 1 << 0,	  /* reached through ifindex on this host */
	CBPF_EP_REMOTE = 1 << 1,  /* reached through node_ip over the underlay */
	CBPF_EP_MACVLAN = 1 << 2, /* macvlan on this host: ifindex is in the endpoint's netns */
};

struct cbpf_ep_key {
	__u32 ip; /* IPv4, network byte order */
};

struct cbpf_ep_value {
	__u32 ifindex;	/* host-side interface of a local endpoint */
	__u32 identity; /* policy identity, see policy.h */
	__u32 node_ip;	/* underlay address of the node hosting a remote endpoint */
	__u16 net_id;
	__u16 flags; /* enum cbpf_ep_flags */
	__u8 mac[CBPF_ETH_ALEN];
	__u8 pad[2];
};

#endif
