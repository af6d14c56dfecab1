/* Network map: per-network facts the datapath needs (gateway, model, tags). */
#ifndef CBPF_MAPS_NETWORK_H
#define CBPF_MAPS_NETWORK_H

#include "common.h"

#define CBPF_MAX_NETWORKS 4096

enum cbpf_net_model {
	CBPF_MODEL_LOCAL = 0, /* host-local bridge-like network */
	CBPF_MODEL_OVERLAY = 1,
	CBPF_MODEL_MACVLAN = 2,
};

struct cbpf_net_key {
	__u32 net_id;
};

struct cbpf_net_value {
	__u32 gateway_ip; /* network byte order */
	__u32 subnet;	  /* network byte order */
	__u32 vni;
	__u16 vlan;
	__u8 prefix_len;
	__u8 model; /* enum cbpf_net_model */
	__u8 gateway_mac[CBPF_ETH_ALEN];
	__u8 pad[2];
};

#endif
