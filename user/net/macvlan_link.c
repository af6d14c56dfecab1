#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "reconcile/loader.h"
#include "reconcile/rcu_expedite.h"
#include "macvlan.h"
#include "net/macvlan_link.h"
#include "link/netns.h"
#include "link/nl.h"

int nl_macvlan_create(struct nl_sock *sock, const struct macvlan_spec *spec)
{
	struct rtnl_link *link = rtnl_link_macvlan_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, spec->ifname);
	rtnl_link_set_link(link, spec->parent_ifindex);
	if (spec->up)
		rtnl_link_set_flags(link, IFF_UP);
	if (spec->ifindex)
		rtnl_link_set_ifindex(link, spec->ifindex);
	if (spec->mtu)
		rtnl_link_set_mtu(link, spec->mtu);
	if (spec->ns_fd >= 0)
		rtnl_link_set_ns_fd(link, spec->ns_fd);
	err = nl_to_errno(rtnl_link_macvlan_set_mode(link, spec->mode));
	err = err ?: nl_link_set_mac(link, spec->mac);
	err = err ?: nl_to_errno(rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(link);
	return err;
}

/* TCX attach and detach find the ifindex in the caller's namespace: enter ns_fd around them. */
int macvlan_attach(const struct cbpf_ctx *ctx, int ns_fd, int ifindex)
{
	struct rcu_expedite window;
	int self, err = netns_enter(ns_fd, &self);

	if (err)
		return err;
	/* One window for both links (rcu_expedite.h). */
	rcu_expedite_begin(&window);
	err = cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_MACVLAN_EGRESS, true);
	err = err ?: cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_MACVLAN_INGRESS, false);
	rcu_expedite_end(&window);
	return netns_leave(self, err);
}

int macvlan_detach(const struct cbpf_ctx *ctx, int ns_fd, int ifindex)
{
	int self, err = netns_enter(ns_fd, &self);

	if (err)
		return err;
	err = cbpf_detach(ctx, ifindex);
	return netns_leave(self, err);
}
