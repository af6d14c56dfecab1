/* Plumbing an endpoint: veth pair into its namespace, address, route, program, maps. */
#ifndef CBPF_PLUMB_H
#define CBPF_PLUMB_H

#include "cli.h"
#include "state.h"

/*
 * Creates the interfaces for ep (host_ifname, mac and ip already chosen) in network net and
 * attaches the endpoint program. On failure nothing it created is left behind.
 */
int endpoint_plumb(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
		   const struct cbpf_network *net);
/* Removes the host side (and with it the peer); a link already gone is fine. */
int endpoint_unplumb(const struct cbpf_endpoint *ep);

#endif
