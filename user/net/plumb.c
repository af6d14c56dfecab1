#include <errno.h>
#include <linux/if_link.h>
#include <stdbool.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "reconcile/rcu_expedite.h"
#include "net/netmodel.h"
#include "net/plumb.h"
#include "network.h"
#include "link/ifindex.h"
#include "link/nl.h"

static const char *const steps[] = {
    [NL_EP_IPV6_OFF] = "IPv6 off", [NL_EP_ADDRESS] = "address",
    [NL_EP_LINK_UP] = "bring up",  [NL_EP_DEFAULT_ROUTE] = "default route",
    [NL_EP_STEPS] = "configure",
};

/* The default route is the first interface's; a further one reaches its subnet only. */
static uint32_t peer_gateway(const struct cbpf_endpoint *ep, const struct cbpf_network *net)
{
	return strchr(ep->name, '@') ? 0 : net->gateway;
}

/* IPv6 off, address, link and (first interface) default route inside the endpoint's namespace. */
int plumb_configure_peer(int ns_fd, int ifindex, const struct cbpf_endpoint *ep,
			 const struct cbpf_network *net)
{
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
	err = ifindex < 0 ? ifindex
			  : nl_ep_configure(sock, ifindex, ep->ip, net->subnet.prefix_len,
					    peer_gateway(ep, net), &failed);
	if (err && failed == NL_EP_DEFAULT_ROUTE && err == -EEXIST)
		cbpf_err("ep add %s: default route in netns %s: the namespace already has one",
			 ep->name, ep->netns);
	else if (err)
		cbpf_err("ep add %s: %s on %s in netns %s: %s", ep->name, steps[failed], ep->ifname,
			 ep->netns, strerror(-err));
	nl_sock_close(sock);
	return err;
}

int plumb_ensure_peer(struct nl_sock *sock, int ifindex, const struct cbpf_endpoint *ep,
		      const struct cbpf_network *net, unsigned int *made)
{
	/* passthru takes the parent's MAC, whatever the store derived for the endpoint */
	bool own_mac =
	    net->model != CBPF_MODEL_MACVLAN || net->macvlan_mode != MACVLAN_MODE_PASSTHRU;
	uint32_t gateway = peer_gateway(ep, net);
	unsigned int restored = 0;
	int results[NL_EP_STEPS];
	int err = nl_link_restore(sock, ifindex, own_mac ? ep->mac : NULL, net->mtu, &restored);

	if (err) {
		cbpf_err("reconcile %s: set the MAC and MTU of %s in netns %s back: %s", ep->name,
			 ep->ifname, ep->netns, strerror(-err));
		return err;
	}
	*made |= (restored & NL_RESTORED_MAC ? NET_RELINK_MAC : 0) |
		 (restored & NL_RESTORED_MTU ? NET_RELINK_MTU : 0);
	err = nl_ep_batch(sock, ifindex, ep->ip, net->subnet.prefix_len, gateway, results);
	if (err) {
		cbpf_err("reconcile %s: configure %s in netns %s: %s", ep->name, ep->ifname,
			 ep->netns, strerror(-err));
		return err;
	}
	for (int i = 0; i < NL_EP_STEPS; i++) {
		if (!results[i] && i == NL_EP_ADDRESS)
			*made |= NET_RELINK_ADDRESS;
		if (!results[i] && i == NL_EP_DEFAULT_ROUTE && gateway)
			*made |= NET_RELINK_ROUTE;
		/* An address or route that is there stays; another default route is not ours. */
		if (!results[i] || (results[i] == -EEXIST && i != NL_EP_LINK_UP))
			continue;
		cbpf_err("reconcile %s: %s on %s in netns %s: %s", ep->name, steps[i], ep->ifname,
			 ep->netns, strerror(-results[i]));
		return results[i];
	}
	return 0;
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
	struct rcu_expedite window;
	struct nl_sock *host;
	int ifindex, err = nl_sock_open(-1, &host);

	(void)net;
	if (err)
		return err;
	ifindex = nl_link_index(host, ep->host_ifname);
	rcu_expedite_begin(&window);
	err = nl_link_delete(host, ep->host_ifname);
	rcu_expedite_end(&window);
	nl_sock_close(host);
	if (err && err != -ENODEV)
		return err;
	return ifindex > 0 ? cbpf_links_forget(ctx, ifindex) : 0;
}

/* Both ends there: the peer's address and routes, the host side up with its route. */
static int veth_ensure(struct nl_sock *host, struct nl_sock *peer, int host_ifindex,
		       int peer_ifindex, const struct cbpf_endpoint *ep,
		       const struct cbpf_network *net, unsigned int *made)
{
	int err = plumb_ensure_peer(peer, peer_ifindex, ep, net, made);

	if (err)
		return err;
	err = nl_link_up(host, ep->host_ifname);
	if (err) {
		cbpf_err("reconcile %s: bring up %s: %s", ep->name, ep->host_ifname,
			 strerror(-err));
		return err;
	}
	err = nl_route_add(host, host_ifindex, ep->ip, 32, 0);
	if (!err)
		*made |= NET_RELINK_ROUTE;
	if (err == -EEXIST)
		return 0;
	if (err)
		cbpf_err("reconcile %s: host route to %s via %s: %s", ep->name, ep->name,
			 ep->host_ifname, strerror(-err));
	return err;
}

bool veth_present(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep)
{
	return link_ifindex(ctx->ifindexes, ep->host_ifname) > 0;
}

int veth_relink(const struct cbpf_ctx *ctx, struct cbpf_state *st, const struct cbpf_endpoint *ep,
		const struct cbpf_network *net, int ns_fd, unsigned int *made)
{
	struct nl_sock *host, *peer;
	int host_ifindex, peer_ifindex, err;

	err = nl_sock_open(-1, &host);
	if (err) {
		cbpf_err("reconcile %s: netlink socket: %s", ep->name, strerror(-err));
		return err;
	}
	err = nl_sock_open(ns_fd, &peer);
	if (err) {
		cbpf_err("reconcile %s: netlink socket in netns %s: %s", ep->name, ep->netns,
			 strerror(-err));
		nl_sock_close(host);
		return err;
	}
	host_ifindex = nl_link_index(host, ep->host_ifname);
	peer_ifindex = nl_link_index(peer, ep->ifname);
	if (host_ifindex > 0 && peer_ifindex > 0) {
		err = veth_ensure(host, peer, host_ifindex, peer_ifindex, ep, net, made);
	} else if (peer_ifindex > 0) {
		/* A veth goes with its peer: this interface was made by someone else. */
		cbpf_err("reconcile %s: %s is gone but netns %s has an interface %s that cbpfnet "
			 "did not make; leaving it, the endpoint stays without its link",
			 ep->name, ep->host_ifname, ep->netns, ep->ifname);
		err = -EEXIST;
	} else {
		/* The name says the host side is ours; its peer is not where the store says. */
		if (host_ifindex > 0)
			err = nl_link_delete(host, ep->host_ifname);
		if (err && err != -ENODEV)
			cbpf_err("reconcile %s: delete %s, whose peer is not in netns %s: %s",
				 ep->name, ep->host_ifname, ep->netns, strerror(-err));
		else
			err = veth_plumb(ctx, st, ep, net);
		if (!err)
			*made |= NET_RELINK_LINK;
	}
	nl_sock_close(peer);
	nl_sock_close(host);
	return err;
}
