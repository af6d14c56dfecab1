/* veth plumbing, shared by the local and overlay models: a veth pair into the endpoint's
 * namespace, address, default route, program on the host side. */
#ifndef CBPF_PLUMB_H
#define CBPF_PLUMB_H

#include "core/cmd.h"
#include "store/state.h"

struct nl_sock;

/*
 * Creates the interfaces for ep (host_ifname, mac and ip already chosen) in network net and
 * attaches the endpoint program. On failure nothing it created is left behind.
 */
int veth_plumb(const struct cbpf_ctx *ctx, struct cbpf_state *st, const struct cbpf_endpoint *ep,
	       const struct cbpf_network *net);
/* Removes the host side (and with it the peer); a link already gone is fine. */
int veth_unplumb(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
		 const struct cbpf_network *net);
/*
 * Address, link up and default route for ep's interface inside the namespace ns_fd, in one netlink
 * batch; ifindex 0 looks the interface up by name.
 */
int plumb_configure_peer(int ns_fd, int ifindex, const struct cbpf_endpoint *ep,
			 const struct cbpf_network *net);

/*
 * Makes the address, link state and (first interface) default route of ep's interface ifindex
 * in the namespace of sock what the store says, keeping what is there; sets NET_RELINK_* in made
 * for what it added.
 */
int plumb_ensure_peer(struct nl_sock *sock, int ifindex, const struct cbpf_endpoint *ep,
		      const struct cbpf_network *net, unsigned int *made);
/* net_model_ops.present of the veth models: a veth goes with its peer, the host side stands
 * for both. */
bool veth_present(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep);
/* net_model_ops.relink of the veth models. */
int veth_relink(const struct cbpf_ctx *ctx, struct cbpf_state *st, const struct cbpf_endpoint *ep,
		const struct cbpf_network *net, int ns_fd, unsigned int *made);

#endif
