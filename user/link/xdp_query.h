/*
 * The XDP programs on one interface, from one RTM_GETLINK for it. libbpf's bpf_xdp_query dumps
 * every link of the namespace to pick one out: with thousands of veths on a host, that made
 * `status` and every endpoint's delete cost a full dump each, and each dump a walk of the
 * peers' namespaces in the kernel.
 */
#ifndef CBPF_XDP_QUERY_H
#define CBPF_XDP_QUERY_H

#include <stdint.h>

struct nl_xdp_ids {
	uint32_t prog; /* the program when one mode alone has one (IFLA_XDP_PROG_ID) */
	uint32_t drv, skb, hw;
};

/* ifindex's XDP program ids in the caller's namespace (0: none); 0 or -errno (-ENODEV). */
int nl_xdp_query(int ifindex, struct nl_xdp_ids *ids);

#endif
