/*
 * macvlan links: the programs on a macvlan interface find their endpoint by ifindex. Endpoint
 * interfaces live in their own namespaces, where every first interface would get ifindex 2, so
 * cbpfnet assigns them host-unique indexes from CBPF_MACVLAN_IFINDEX_BASE.
 */
#ifndef CBPF_MAPS_MACVLAN_H
#define CBPF_MAPS_MACVLAN_H

#include "common.h"

#define CBPF_MACVLAN_IFINDEX_BASE 0x40000000
#define CBPF_MAX_MACVLAN_LINKS	  65536
#define CBPF_ETH_P_8021Q	  0x8100
#define CBPF_VLAN_VID_MASK	  0x0fff

struct cbpf_macvlan_key {
	__u32 ifindex;
};

/*
 * With a copy of the network's VLAN and subnet, which stay as they are while the network has
 * endpoints: a packet costs one lookup here, not a second one in cbpf_networks.
 */
struct cbpf_macvlan_link {
	__u32 ip; /* the endpoint's address, network byte order */
	__u16 net_id;
	__u16 vlan;   /* 0: untagged */
	__u32 subnet; /* network byte order */
	__u8 prefix_len;
	__u8 pad[3];
};

#endif
