/* Overlay map: which network a received VxLAN segment (VNI, inner VLAN) belongs to. */
#ifndef CBPF_MAPS_OVERLAY_H
#define CBPF_MAPS_OVERLAY_H

#include "common.h"

#define CBPF_VXLAN_PORT	    4789
#define CBPF_VXLAN_OVERHEAD 50 /* outer Ethernet 14 + IPv4 20 + UDP 8 + VxLAN 8 */
#define CBPF_MAX_SEGMENTS   4096

struct cbpf_vni_key {
	__u32 vni;
	__u16 vlan; /* 0: untagged inner frames */
	__u16 pad;
};

struct cbpf_vni_value {
	__u32 net_id;
};

/* This host's end of the tunnels (array of one, key 0); ifindex 0 until `node add` names it. */
struct cbpf_underlay {
	__u32 ifindex;
	__u32 ip; /* network byte order */
};

#endif
