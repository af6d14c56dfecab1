/* Whether an endpoint's interface is where the store says, for `ep list`. */
#include <string.h>
#include <unistd.h>

#include "ep/ep.h"
#include "net/macvlan_link.h"
#include "net/netmodel.h"
#include "link/nl.h"
#include "network.h"

/* A macvlan lives in its namespace alone, under the index its endpoint id gives it. */
static bool macvlan_in_netns(const struct cbpf_endpoint *ep, int ns_fd)
{
	struct nl_sock *sock;
	bool present;

	if (nl_sock_open(ns_fd, &sock))
		return false;
	present = nl_link_index(sock, ep->ifname) == macvlan_ep_ifindex(ep);
	nl_sock_close(sock);
	return present;
}

const char *ep_link_status(const struct cbpf_ctx *ctx, struct cbpf_state *st,
			   const struct cbpf_endpoint *ep)
{
	const struct cbpf_network *net = state_find_net(st, ep->net);
	const struct net_model_ops *model = net ? net_model_of(net) : NULL;
	bool present;
	int ns_fd;

	if (!state_ep_is_local(ep))
		return "remote";
	/*
	 * The namespace first: a deleted namespace's links live on until the kernel's cleanup of
	 * it has run, which takes a while on a busy host.
	 */
	ns_fd = nl_netns_open(ep->netns);
	if (ns_fd < 0)
		return "no-netns";
	/* A macvlan that is there without our links (detached) is still there. */
	present = (model && model->present && model->present(ctx, ep)) ||
		  (net && net->model == CBPF_MODEL_MACVLAN && macvlan_in_netns(ep, ns_fd));
	close(ns_fd);
	return present ? "ok" : "missing";
}
