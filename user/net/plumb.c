#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "net/plumb.h"
#include "link/nl.h"

/* Address, link and (first interface) default route inside the endpoint's namespace. */
int plumb_configure_peer(int ns_fd, int ifindex, const struct cbpf_endpoint *ep,
			 const struct cbpf_network *net)
{
	static const char *const steps[] = {
	    [NL_EP_ADDRESS] = "address",
	    [NL_EP_LINK_UP] = "bring up",
	    [NL_EP_DEFAULT_ROUTE] = "default route",
	    [NL_EP_STEPS] = "configure",
	};
	enum nl_ep_step failed = NL_EP_STEPS;
	struct nl_sock *sock;
	int err;

	err = nl_sock_open(ns_fd, &sock);
	if (err) {
		cbpf_err("ep add %s: netlink socket in netns %s: %s", ep->name, ep->netns,
			 strerror(-err));
		return err;
	}
	if (!ifindex)
		ifindex = nl_link_index(sock, ep->ifname);
	/* The default route is the first interface's; a further one reaches its subnet only. */
	err = ifindex < 0 ? ifindex
			  : nl_ep_configure(sock, ifindex, ep->ip, net->subnet.prefix_len,
					    strchr(ep->name, '@') ? 0 : net->gateway, &failed);
	if (err && failed == NL_EP_DEFAULT_ROUTE && err == -EEXIST)
		cbpf_err("ep add %s: default route in netns %s: the namespace already has one",
			 ep->name, ep->netns);
	else if (err)
		cbpf_err("ep add %s: %s on %s in netns %s: %s", ep->name, steps[failed], ep->ifname,
			 ep->netns, strerror(-err));
	nl_sock_close(sock);
	return err;
}

int veth_plumb(const struct cbpf_ctx *ctx, struct cbpf_state *st, const struct cbpf_endpoint *ep,
	       const struct cbpf_network *net)
{
	struct nl_veth_spec spec = {
	    .host_ifname = ep->host_ifname,
	    .host_mac = net->gateway_mac,
	    .peer_ifname = ep->ifname,
	    .peer_mac = ep->mac,
	    .mtu = net->mtu,
	};
	struct nl_sock *host;
	int ns_fd, ifindex, err;

	(void)st;
	ns_fd = nl_netns_open(ep->netns);
	if (ns_fd < 0) {
		cbpf_err("ep add %s: netns %s: %s", ep->name, ep->netns, strerror(-ns_fd));
		return ns_fd;
	}
	spec.peer_ns_fd = ns_fd;
	err = nl_sock_open(-1, &host);
	if (err) {
		cbpf_err("ep add %s: netlink socket: %s", ep->name, strerror(-err));
		close(ns_fd);
		return err;
	}
	err = nl_veth_create(host, &spec);
	if (err) {
		cbpf_err("ep add %s: create veth %s/%s in netns %s: %s", ep->name, ep->host_ifname,
			 ep->ifname, ep->netns,
			 err == -EEXIST ? "an interface of that name exists" : strerror(-err));
		goto out;
	}
	err = plumb_configure_peer(ns_fd, 0, ep, net);
	if (err)
		goto undo;
	err = nl_link_up(host, ep->host_ifname);
	ifindex = err ? err : nl_link_index(host, ep->host_ifname);
	err = ifindex < 0 ? ifindex : cbpf_attach(ctx, ifindex, CBPF_HOOK_TC);
	if (err) {
		cbpf_err("ep add %s: attach program to %s: %s", ep->name, ep->host_ifname,
			 strerror(-err));
		goto undo;
	}
	/*
	 * The host reaches its endpoints the way a bridge host reaches its containers; the
	 * route goes when the link does.
	 */
	err = nl_route_add(host, ifindex, ep->ip, 32, 0);
	if (err) {
		cbpf_err("ep add %s: host route to %s via %s: %s", ep->name, ep->name,
			 ep->host_ifname,
			 err == -EEXIST ? "the host already routes that address" : strerror(-err));
		goto undo;
	}
	goto out;
undo:
	nl_link_delete(host, ep->host_ifname);
out:
	nl_sock_close(host);
	close(ns_fd);
	return err;
}

int veth_unplumb(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
		 const struct cbpf_network *net)
{
	struct nl_sock *host;
	int ifindex, err = nl_sock_open(-1, &host);

	(void)net;
	if (err)
		return err;
	ifindex = nl_link_index(host, ep->host_ifname);
	err = nl_link_delete(host, ep->host_ifname);
	nl_sock_close(host);
	if (err && err != -ENODEV)
		return err;
	return ifindex > 0 ? cbpf_links_forget(ctx, ifindex) : 0;
}
