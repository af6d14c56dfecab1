/* The macvlan link map: the entry the macvlan programs find their endpoint by, per ifindex. */
#ifndef CBPF_MACVLAN_MAP_H
#define CBPF_MACVLAN_MAP_H

#include <stdint.h>

#include "reconcile/loader.h"
#include "store/state.h"

/* Writes or removes the link map entry for ifindex: the endpoint's address and its network. */
int macvlan_link_update(const struct cbpf_ctx *ctx, int ifindex, uint32_t ip,
			const struct cbpf_network *net);
int macvlan_link_delete(const struct cbpf_ctx *ctx, int ifindex);

#endif
