#include <stdio.h>

#include "link/names.h"
#include "macvlan.h"

void ep_host_ifname(uint32_t id, char name[CBPF_IFNAME_MAX])
{
	snprintf(name, CBPF_IFNAME_MAX, "cbe%x", id);
}

int macvlan_ep_ifindex(const struct cbpf_endpoint *ep)
{
	return CBPF_MACVLAN_IFINDEX_BASE + ep->id;
}

void macvlan_shim_name(uint16_t net_id, char name[CBPF_IFNAME_MAX])
{
	snprintf(name, CBPF_IFNAME_MAX, "cbm%x", net_id);
}
