/* Drop reasons and their per-CPU counters. */
#ifndef CBPF_MAPS_DROP_H
#define CBPF_MAPS_DROP_H

#include "common.h"

enum cbpf_drop_reason {
	CBPF_DROP_NONE = 0,
	CBPF_DROP_MALFORMED_ETH,
	CBPF_DROP_MALFORMED_ARP,
	CBPF_DROP_MALFORMED_IP,
	CBPF_DROP_SRC_SPOOF,	 /* source address not owned by the ingress interface */
	CBPF_DROP_ARP_UNKNOWN,	 /* ARP request for an address no endpoint owns */
	CBPF_DROP_POLICY,	 /* explicit deny rule */
	CBPF_DROP_ICC,		 /* same network, inter-container traffic off */
	CBPF_DROP_NET_ISOLATION, /* different networks, no rule allows it */
	CBPF_DROP_TTL,
	CBPF_DROP_NO_ROUTE, /* no underlay route to the remote node */
	CBPF_DROP_ENCAP,    /* the kernel refused to grow or shrink the packet */
	CBPF_DROP_MALFORMED_VXLAN,
	CBPF_DROP_UNKNOWN_VNI,	 /* VxLAN segment of no local network */
	CBPF_DROP_UNKNOWN_EP,	 /* tunnelled to an address no local endpoint owns */
	CBPF_DROP_VLAN_MISMATCH, /* 802.1Q tag of another network (or none where one is due) */
	CBPF_DROP_TUNNEL_UNKNOWN_NODE, /* VxLAN from an underlay address that is no node */
	CBPF_DROP_TUNNEL_SRC_MISMATCH, /* tunnelled source that is no endpoint of its sender */
	CBPF_DROP_EP_VLAN_TAG,	       /* a tag the endpoint wrote itself, or two tags */
	CBPF_DROP_ETHERTYPE,	       /* neither IPv4 nor ARP from an endpoint */
	CBPF_DROP_IPV6,		       /* cbpfnet networks are IPv4 only */
	CBPF_DROP_FRAG_UNKNOWN,	       /* non-first fragment of no allowed first fragment */
	CBPF_DROP_TUNNEL_FROM_EP,      /* an endpoint sending VxLAN to a node */
	CBPF_DROP_REASON_MAX,
};

struct cbpf_drop_stat {
	__u64 packets;
	__u64 bytes;
};

#endif
