/*
 * The macvlan model: each endpoint gets its own MAC on the host's uplink (the parent), in one of
 * the kernel's four modes, optionally on an 802.1Q VLAN that the macvlan programs push and pop.
 */
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "link/names.h"
#include "core/err.h"
#include "reconcile/attach.h"
#include "net/macvlan_link.h"
#include "reconcile/loader.h"
#include "reconcile/macvlan_map.h"
#include "reconcile/rcu_expedite.h"
#include "network.h"
#include "core/output.h"
#include "net/netmodel.h"
#include "link/nl.h"
#include "net/plumb.h"

#define MACVLAN_MTU_MIN 576
#define MACVLAN_MTU_MAX 9000

/* The host's shim takes the subnet's last host address, out of the endpoints' way. */
static uint32_t shim_ip(const struct cbpf_network *net)
{
	return cbpf_cidr_host(&net->subnet, (1u << (32 - net->subnet.prefix_len)) - 2);
}

/* Another network hanging on the same parent that rules this one out, with a message; `what`
 * is the command ("net create NAME"); net itself may be in st already. */
static int check_parent_users(struct cbpf_state *st, const char *what,
			      const struct cbpf_network *net)
{
	for (size_t i = 0; i < st->n_nets; i++) {
		const struct cbpf_network *other = &st->nets[i];

		if (!strcmp(other->name, net->name) || other->model != CBPF_MODEL_MACVLAN ||
		    strcmp(other->parent, net->parent))
			continue;
		if (other->macvlan_mode == MACVLAN_MODE_PASSTHRU) {
			cbpf_err("%s: parent %s is owned by passthru network %s", what, net->parent,
				 other->name);
			return -EBUSY;
		}
		if (net->macvlan_mode == MACVLAN_MODE_PASSTHRU) {
			cbpf_err("%s: parent %s is already used by network %s; passthru needs it "
				 "alone",
				 what, net->parent, other->name);
			return -EBUSY;
		}
		if (other->vlan == net->vlan) {
			char vlan[16] = "untagged";

			if (net->vlan)
				snprintf(vlan, sizeof(vlan), "on VLAN %u", net->vlan);
			cbpf_err("%s: parent %s already carries network %s %s", what, net->parent,
				 other->name, vlan);
			return -EEXIST;
		}
	}
	return 0;
}

static int parse_mode(const char *what, const char *name, uint8_t *mode)
{
	if (!macvlan_mode_parse(name, mode))
		return 0;
	cbpf_err("%s: --mode takes bridge, vepa, private or passthru, not '%s'", what, name);
	return -EINVAL;
}

static int macvlan_validate(struct cbpf_state *st, const struct net_request *req,
			    struct cbpf_network *net)
{
	unsigned long value;
	char what[CBPF_NAME_MAX + 16];
	int err;

	snprintf(what, sizeof(what), "net create %s", req->name);
	err = netmodel_reject_option(req, "macvlan", "vni", req->vni);
	if (err)
		return err;
	if (!req->parent) {
		cbpf_err("net create %s: model macvlan needs --parent IFACE (the host's uplink)",
			 req->name);
		return -EINVAL;
	}
	if (strlen(req->parent) >= sizeof(net->parent) || !if_nametoindex(req->parent)) {
		cbpf_err("net create %s: parent interface '%s' does not exist on this host",
			 req->name, req->parent);
		return -ENODEV;
	}
	snprintf(net->parent, sizeof(net->parent), "%s", req->parent);
	err = parse_mode(what, req->mode ? req->mode : "bridge", &net->macvlan_mode);
	if (err)
		return err;
	err = netmodel_parse_vlan(req, &net->vlan);
	if (err)
		return err;
	if (req->mtu) {
		if (parse_uint_option(req->mtu, MACVLAN_MTU_MIN, MACVLAN_MTU_MAX, &value)) {
			cbpf_err("net create %s: --mtu %s is outside %u..%u", req->name, req->mtu,
				 MACVLAN_MTU_MIN, MACVLAN_MTU_MAX);
			return -EINVAL;
		}
		net->mtu = value;
	}
	if (req->host_access && net->macvlan_mode == MACVLAN_MODE_PASSTHRU) {
		cbpf_err(
		    "net create %s: --host-access does not apply to mode passthru (the endpoint "
		    "owns the parent)",
		    req->name);
		return -EINVAL;
	}
	if (req->host_access && net->vlan) {
		cbpf_err("net create %s: --host-access needs an untagged network (the host's shim "
			 "sends untagged frames)",
			 req->name);
		return -EINVAL;
	}
	net->host_access = req->host_access;
	if (net->host_access && net->gateway == shim_ip(net)) {
		cbpf_err("net create %s: the gateway takes the last address, which --host-access "
			 "reserves for the host's shim",
			 req->name);
		return -EINVAL;
	}
	return check_parent_users(st, what, net);
}

int macvlan_set_mode(struct cbpf_state *st, struct cbpf_network *net, const char *mode)
{
	struct cbpf_network changed = *net;
	char what[CBPF_NAME_MAX + 16];
	size_t users = 0;
	int err;

	snprintf(what, sizeof(what), "net set %s", net->name);
	err = parse_mode(what, mode, &changed.macvlan_mode);
	if (err)
		return err;
	for (size_t i = 0; i < st->n_eps; i++)
		users += !strcmp(st->eps[i].net, net->name);
	/* The kernel fixes a macvlan's mode when the link is made: a change would hold only for
	 * endpoints added later, and the network would run two modes at once. */
	if (users && changed.macvlan_mode != net->macvlan_mode) {
		cbpf_err("%s: %zu endpoint(s) use the network; its mode changes only without "
			 "endpoints (delete them first)",
			 what, users);
		return -EBUSY;
	}
	if (changed.host_access && changed.macvlan_mode == MACVLAN_MODE_PASSTHRU) {
		cbpf_err("%s: mode passthru does not go with --host-access (the endpoint owns the "
			 "parent)",
			 what);
		return -EINVAL;
	}
	err = check_parent_users(st, what, &changed);
	if (err)
		return err;
	net->macvlan_mode = changed.macvlan_mode;
	return 0;
}

/* --host-access: a bridge-mode macvlan on the parent in the host namespace, since a macvlan's
 * parent itself never sees its children's traffic. */
static int macvlan_create(const struct cbpf_ctx *ctx, const struct cbpf_network *net)
{
	char name[IFNAMSIZ], ip[CBPF_IP_STRLEN];
	struct macvlan_spec spec = {
	    .ifname = name,
	    .parent_ifindex = if_nametoindex(net->parent),
	    .mode = MACVLAN_MODE_BRIDGE,
	    .ns_fd = -1,
	    .mtu = net->mtu,
	    .up = true,
	};
	struct nl_sock *sock;
	int ifindex, err;

	(void)ctx;
	if (!net->host_access)
		return 0;
	macvlan_shim_name(net->id, name);
	cbpf_format_ip(shim_ip(net), ip);
	err = nl_sock_open(-1, &sock);
	if (err) {
		cbpf_err("net create %s: netlink socket: %s", net->name, strerror(-err));
		return err;
	}
	err = nl_macvlan_create(sock, &spec);
	if (err) {
		cbpf_err("net create %s: host shim %s on %s: %s", net->name, name, net->parent,
			 strerror(-err));
		goto out;
	}
	ifindex = nl_link_index(sock, name);
	err = ifindex < 0 ? ifindex : nl_addr_add(sock, ifindex, shim_ip(net), 32);
	err = err ?: nl_route_add(sock, ifindex, net->subnet.addr, net->subnet.prefix_len, 0);
	if (err) {
		cbpf_err("net create %s: address %s and route on host shim %s: %s", net->name, ip,
			 name, strerror(-err));
		nl_link_delete(sock, name);
	}
out:
	nl_sock_close(sock);
	return err;
}

static int macvlan_destroy(const struct cbpf_ctx *ctx, const struct cbpf_network *net)
{
	char name[IFNAMSIZ];
	struct nl_sock *sock;
	int err;

	(void)ctx;
	if (!net->host_access)
		return 0;
	macvlan_shim_name(net->id, name);
	err = nl_sock_open(-1, &sock);
	if (err)
		return err;
	err = nl_link_delete(sock, name);
	nl_sock_close(sock);
	if (err && err != -ENODEV)
		cbpf_err("net delete %s: remove host shim %s: %s", net->name, name, strerror(-err));
	return err == -ENODEV ? 0 : err;
}

/* The shim's address and subnet route, each added when it is missing. */
static int shim_ensure(const struct cbpf_network *net, const char *name, int ifindex,
		       unsigned int *made)
{
	struct nl_sock *sock;
	int err = nl_sock_open(-1, &sock), route;

	if (err) {
		cbpf_err("reconcile network %s: netlink socket: %s", net->name, strerror(-err));
		return err;
	}
	err = nl_addr_add(sock, ifindex, shim_ip(net), 32);
	route = nl_route_add(sock, ifindex, net->subnet.addr, net->subnet.prefix_len, 0);
	nl_sock_close(sock);
	*made |= (err ? 0 : NET_RELINK_ADDRESS) | (route ? 0 : NET_RELINK_ROUTE);
	err = err == -EEXIST ? 0 : err;
	err = err ?: (route == -EEXIST ? 0 : route);
	if (err)
		cbpf_err("reconcile network %s: address and route on host shim %s: %s", net->name,
			 name, strerror(-err));
	return err;
}

static int macvlan_relink_net(const struct cbpf_ctx *ctx, const struct cbpf_network *net,
			      bool thorough, unsigned int *made)
{
	char name[IFNAMSIZ];
	int ifindex, err;

	if (!net->host_access)
		return 0;
	macvlan_shim_name(net->id, name);
	ifindex = if_nametoindex(name);
	if (ifindex)
		return thorough ? shim_ensure(net, name, ifindex, made) : 0;
	err = macvlan_create(ctx, net);
	if (!err)
		*made |= NET_RELINK_LINK;
	return err;
}

/* What only the macvlan model forbids for a new endpoint, checked before anything is made. */
static int check_endpoint(struct cbpf_state *st, const struct cbpf_endpoint *ep,
			  const struct cbpf_network *net)
{
	char ip[CBPF_IP_STRLEN];

	if (net->host_access && ep->ip == shim_ip(net)) {
		cbpf_format_ip(ep->ip, ip);
		cbpf_err("ep add %s: address %s is reserved for the host shim of network %s",
			 ep->name, ip, net->name);
		return -EADDRINUSE;
	}
	if (net->macvlan_mode != MACVLAN_MODE_PASSTHRU)
		return 0;
	/* The endpoint itself is recorded when its missing link is made again. */
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].net, net->name) && strcmp(st->eps[i].name, ep->name)) {
			cbpf_err("ep add %s: network %s is passthru and endpoint %s already owns "
				 "parent %s",
				 ep->name, net->name, st->eps[i].name, net->parent);
			return -EBUSY;
		}
	return 0;
}

static int delete_in_netns(int ns_fd, const char *ifname)
{
	struct rcu_expedite window;
	struct nl_sock *sock;
	int err = nl_sock_open(ns_fd, &sock);

	if (err)
		return err;
	rcu_expedite_begin(&window);
	err = nl_link_delete(sock, ifname);
	rcu_expedite_end(&window);
	nl_sock_close(sock);
	return err == -ENODEV ? 0 : err;
}

static int macvlan_plumb(const struct cbpf_ctx *ctx, struct cbpf_state *st,
			 const struct cbpf_endpoint *ep, const struct cbpf_network *net)
{
	struct macvlan_spec spec = {
	    .ifname = ep->ifname,
	    .parent_ifindex = if_nametoindex(net->parent),
	    .mode = net->macvlan_mode,
	    /* passthru takes the parent's MAC: the endpoint stands in for the host's uplink */
	    .mac = net->macvlan_mode == MACVLAN_MODE_PASSTHRU ? NULL : ep->mac,
	    .ifindex = macvlan_ep_ifindex(ep),
	    .mtu = net->mtu,
	};
	struct nl_sock *host;
	int err;

	err = check_endpoint(st, ep, net);
	if (err)
		return err;
	if (!spec.parent_ifindex) {
		cbpf_err("ep add %s: parent %s of network %s is gone", ep->name, net->parent,
			 net->name);
		return -ENODEV;
	}
	spec.ns_fd = nl_netns_open(ep->netns);
	if (spec.ns_fd < 0) {
		cbpf_err("ep add %s: netns %s: %s", ep->name, ep->netns, strerror(-spec.ns_fd));
		return spec.ns_fd;
	}
	err = nl_sock_open(-1, &host);
	if (err) {
		cbpf_err("ep add %s: netlink socket: %s", ep->name, strerror(-err));
		goto out;
	}
	err = nl_macvlan_create(host, &spec);
	nl_sock_close(host);
	if (err) {
		cbpf_err("ep add %s: create macvlan %s on %s in netns %s: %s", ep->name, ep->ifname,
			 net->parent, ep->netns,
			 err == -EEXIST ? "an interface of that name exists" : strerror(-err));
		goto out;
	}
	err = plumb_configure_peer(spec.ns_fd, spec.ifindex, ep, net);
	if (err)
		goto undo;
	err = macvlan_attach(ctx, spec.ns_fd, spec.ifindex);
	err = err ?: macvlan_link_update(ctx, spec.ifindex, ep->ip, net);
	if (!err)
		goto out;
	cbpf_err("ep add %s: attach programs to %s in netns %s: %s", ep->name, ep->ifname,
		 ep->netns, strerror(-err));
undo:
	delete_in_netns(spec.ns_fd, ep->ifname);
out:
	close(spec.ns_fd);
	return err;
}

static int macvlan_unplumb(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
			   const struct cbpf_network *net)
{
	int ns_fd = nl_netns_open(ep->netns);
	int err = 0;

	(void)net;
	/* A namespace that is gone took the link with it. */
	if (ns_fd >= 0) {
		err = delete_in_netns(ns_fd, ep->ifname);
		close(ns_fd);
	}
	err = err ?: cbpf_links_forget(ctx, macvlan_ep_ifindex(ep));
	return err ?: macvlan_link_delete(ctx, macvlan_ep_ifindex(ep));
}

static int macvlan_relink(const struct cbpf_ctx *ctx, struct cbpf_state *st,
			  const struct cbpf_endpoint *ep, const struct cbpf_network *net, int ns_fd,
			  unsigned int *made)
{
	struct nl_sock *sock;
	int ifindex, err = nl_sock_open(ns_fd, &sock);

	if (err) {
		cbpf_err("reconcile %s: netlink socket in netns %s: %s", ep->name, ep->netns,
			 strerror(-err));
		return err;
	}
	ifindex = nl_link_index(sock, ep->ifname);
	if (ifindex == macvlan_ep_ifindex(ep)) {
		err = plumb_ensure_peer(sock, ifindex, ep, net, made);
	} else if (ifindex > 0) {
		/* Ours has the index the endpoint's id gives it: this one is someone else's. */
		cbpf_err("reconcile %s: netns %s has an interface %s that cbpfnet did not make "
			 "(ifindex %d, not %d); leaving it, the endpoint stays without its link",
			 ep->name, ep->netns, ep->ifname, ifindex, macvlan_ep_ifindex(ep));
		err = -EEXIST;
	} else {
		err = macvlan_plumb(ctx, st, ep, net);
		if (!err)
			*made |= NET_RELINK_LINK;
	}
	nl_sock_close(sock);
	return err;
}

/* Our pinned links on the interface die with it, and they are read from the host. */
static bool macvlan_present(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep)
{
	return cbpf_link_live(ctx, macvlan_ep_ifindex(ep), CBPF_TCX_INGRESS);
}

static int macvlan_reattach(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
			    const struct cbpf_network *net)
{
	int ifindex = macvlan_ep_ifindex(ep), ns_fd, err = 0;

	/* Its links hold today's programs (an agent's restart): no need to enter its netns. */
	if (!cbpf_link_current(ctx, ifindex, CBPF_PIN_PROG_MACVLAN_EGRESS, true) ||
	    !cbpf_link_current(ctx, ifindex, CBPF_PIN_PROG_MACVLAN_INGRESS, false)) {
		ns_fd = nl_netns_open(ep->netns);
		if (ns_fd < 0)
			return 0;
		err = macvlan_attach(ctx, ns_fd, ifindex);
		close(ns_fd);
		if (err == -ENODEV)
			return 0;
	}
	err = err ?: macvlan_link_update(ctx, ifindex, ep->ip, net);
	if (err)
		cbpf_err("load: attach to %s in netns %s (endpoint %s): %s", ep->ifname, ep->netns,
			 ep->name, strerror(-err));
	return err;
}

static int macvlan_detach_ep(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
			     const struct cbpf_network *net)
{
	int ns_fd = nl_netns_open(ep->netns), err;

	(void)ctx;
	(void)net;
	if (ns_fd < 0)
		return 0;
	err = macvlan_detach(ctx, ns_fd, macvlan_ep_ifindex(ep));
	close(ns_fd);
	if (err == -ENODEV)
		return 0;
	if (err)
		cbpf_err("unload: detach from %s in netns %s (endpoint %s): %s", ep->ifname,
			 ep->netns, ep->name, strerror(-err));
	return err;
}

const struct net_model_ops net_model_macvlan = {
    .name = "macvlan",
    .model = CBPF_MODEL_MACVLAN,
    .validate = macvlan_validate,
    .create = macvlan_create,
    .destroy = macvlan_destroy,
    .plumb = macvlan_plumb,
    .unplumb = macvlan_unplumb,
    .reattach = macvlan_reattach,
    .relink = macvlan_relink,
    .present = macvlan_present,
    .relink_net = macvlan_relink_net,
    .detach = macvlan_detach_ep,
};
