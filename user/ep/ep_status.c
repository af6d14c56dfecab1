/* Whether an endpoint's interface is where the store says, for `ep list`. */
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "ep/ep.h"
#include "net/macvlan_link.h"
#include "net/netmodel.h"
#include "net/nl.h"
#include "network.h"

/* A macvlan lives in its namespace alone, under the index its endpoint id gives it. */
static bool macvlan_present(const struct cbpf_endpoint *ep, int ns_fd)
{
	struct nl_sock *sock;
	bool present;

	if (nl_sock_open(ns_fd, &sock))
		return false;
	present = nl_link_index(sock, ep->ifname) == macvlan_ep_ifindex(ep);
	nl_sock_close(sock);
	return present;
}

const char *ep_link_status(struct cbpf_state *st, const struct cbpf_endpoint *ep)
{
	const struct cbpf_network *net = state_find_net(st, ep->net);
	bool present;
	int ns_fd;

	if (!state_ep_is_local(ep))
		return "remote";
	/* A veth goes with its peer: the host side stands for both. */
	if (net && net->model != CBPF_MODEL_MACVLAN && if_nametoindex(ep->host_ifname))
		return "ok";
	ns_fd = nl_netns_open(ep->netns);
	if (ns_fd < 0)
		return "no-netns";
	present = net && net->model == CBPF_MODEL_MACVLAN && macvlan_present(ep, ns_fd);
	close(ns_fd);
	return present ? "ok" : "missing";
}
