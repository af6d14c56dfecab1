/*
 * The names and indexes our links take, derived from store records: they say a link is ours, so
 * the models that create links and the reconciler that finds leftovers agree on them.
 */
#ifndef CBPF_LINK_NAMES_H
#define CBPF_LINK_NAMES_H

#include <stdint.h>

#include "store/state.h"

/* The host side of endpoint id's veth: its name, which says it is ours. */
void ep_host_ifname(uint32_t id, char name[CBPF_IFNAME_MAX]);
/* The host-unique ifindex of ep's macvlan (see maps/macvlan.h). */
int macvlan_ep_ifindex(const struct cbpf_endpoint *ep);
/* The host's shim of a macvlan network with host access: its name, which says it is ours. */
void macvlan_shim_name(uint16_t net_id, char name[CBPF_IFNAME_MAX]);

#endif
