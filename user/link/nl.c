#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/inet6.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/netns.h"
#include "link/nl.h"

int nl_to_errno(int nl_err)
{
	switch (-nl_err) {
	case 0:
		return 0;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_NODEV:
	case NLE_OBJ_NOTFOUND:
		return -ENODEV;
	case NLE_PERM:
		return -EPERM;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_NOADDR:
		return -EADDRNOTAVAIL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_INVAL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

int nl_netns_open(const char *name_or_path)
{
	char path[256];
	int fd;

	if (strchr(name_or_path, '/'))
		snprintf(path, sizeof(path), "%s", name_or_path);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name_or_path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

static int sock_connect(struct nl_sock **sock)
{
	int err;

	*sock = nl_socket_alloc();
	if (!*sock)
		return -ENOMEM;
	err = nl_connect(*sock, NETLINK_ROUTE);
	if (err) {
		nl_socket_free(*sock);
		*sock = NULL;
		return nl_to_errno(err);
	}
	return 0;
}

int nl_sock_open(int ns_fd, struct nl_sock **sock)
{
	int self, err, restore;

	if (ns_fd < 0)
		return sock_connect(sock);
	/* A netlink socket stays in the namespace it was created in: enter, connect, return. */
	err = netns_enter(ns_fd, &self);
	if (err)
		return err;
	err = sock_connect(sock);
	restore = netns_leave(self, 0);
	if (restore && !err) {
		nl_sock_close(*sock);
		err = restore;
	}
	return err;
}

void nl_sock_close(struct nl_sock *sock)
{
	nl_socket_free(sock);
}

int nl_link_set_mac(struct rtnl_link *link, const uint8_t *mac)
{
	struct nl_addr *addr;

	if (!mac)
		return 0;
	addr = nl_addr_build(AF_LLC, mac, 6);
	if (!addr)
		return -ENOMEM;
	rtnl_link_set_addr(link, addr);
	nl_addr_put(addr);
	return 0;
}

int nl_veth_create(struct nl_sock *sock, const struct nl_veth_spec *spec)
{
	struct rtnl_link *link = rtnl_link_veth_alloc();
	struct rtnl_link *peer;
	int err;

	if (!link)
		return -ENOMEM;
	peer = rtnl_link_veth_get_peer(link);
	rtnl_link_set_name(link, spec->host_ifname);
	rtnl_link_set_name(peer, spec->peer_ifname);
	if (spec->mtu) {
		rtnl_link_set_mtu(link, spec->mtu);
		rtnl_link_set_mtu(peer, spec->mtu);
	}
	if (spec->peer_ns_fd >= 0)
		rtnl_link_set_ns_fd(peer, spec->peer_ns_fd);
	err = nl_link_set_mac(link, spec->host_mac);
	if (!err)
		err = nl_link_set_mac(peer, spec->peer_mac);
	if (!err)
		err = nl_to_errno(rtnl_link_add(sock, link, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_link_put(peer);
	rtnl_link_veth_release(link);
	return err;
}

int nl_link_delete(struct nl_sock *sock, const char *ifname)
{
	struct rtnl_link *link = rtnl_link_alloc();
	int err;

	if (!link)
		return -ENOMEM;
	rtnl_link_set_name(link, ifname);
	err = nl_to_errno(rtnl_link_delete(sock, link));
	rtnl_link_put(link);
	return err;
}

int nl_link_index(struct nl_sock *sock, const char *ifname)
{
	struct rtnl_link *link;
	int err, ifindex;

	err = rtnl_link_get_kernel(sock, 0, ifname, &link);
	if (err)
		return nl_to_errno(err);
	ifindex = rtnl_link_get_ifindex(link);
	rtnl_link_put(link);
	return ifindex;
}

int nl_link_up(struct nl_sock *sock, const char *ifname)
{
	struct rtnl_link *link, *change;
	int err;

	err = rtnl_link_get_kernel(sock, 0, ifname, &link);
	if (err)
		return nl_to_errno(err);
	change = rtnl_link_alloc();
	if (!change) {
		rtnl_link_put(link);
		return -ENOMEM;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = nl_to_errno(rtnl_link_change(sock, link, change, 0));
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

int nl_link_restore(struct nl_sock *sock, int ifindex, const uint8_t *mac, unsigned int mtu,
		    unsigned int *restored)
{
	struct rtnl_link *link, *change;
	struct nl_addr *now;
	unsigned int differs = 0;
	int err;

	err = rtnl_link_get_kernel(sock, ifindex, NULL, &link);
	if (err)
		return nl_to_errno(err);
	now = rtnl_link_get_addr(link);
	if (mac &&
	    (!now || nl_addr_get_len(now) != 6 || memcmp(nl_addr_get_binary_addr(now), mac, 6)))
		differs |= NL_RESTORED_MAC;
	if (mtu && rtnl_link_get_mtu(link) != mtu)
		differs |= NL_RESTORED_MTU;
	change = differs ? rtnl_link_alloc() : NULL;
	err = differs && !change ? -ENOMEM : 0;
	if (change) {
		err = differs & NL_RESTORED_MAC ? nl_link_set_mac(change, mac) : 0;
		if (differs & NL_RESTORED_MTU)
			rtnl_link_set_mtu(change, mtu);
		err = err ?: nl_to_errno(rtnl_link_change(sock, link, change, 0));
		rtnl_link_put(change);
	}
	rtnl_link_put(link);
	if (!err)
		*restored |= differs;
	return err;
}

static struct rtnl_addr *addr_object(int ifindex, uint32_t ip, uint8_t prefix_len)
{
	struct rtnl_addr *addr = rtnl_addr_alloc();
	struct nl_addr *local = nl_addr_build(AF_INET, &ip, sizeof(ip));

	if (addr && local) {
		nl_addr_set_prefixlen(local, prefix_len);
		rtnl_addr_set_ifindex(addr, ifindex);
		rtnl_addr_set_local(addr, local);
	}
	nl_addr_put(local);
	if (addr && !local) {
		rtnl_addr_put(addr);
		return NULL;
	}
	return addr;
}

int nl_addr_add(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len)
{
	struct rtnl_addr *addr = addr_object(ifindex, ip, prefix_len);
	int err;

	if (!addr)
		return -ENOMEM;
	err = nl_to_errno(rtnl_addr_add(sock, addr, 0));
	rtnl_addr_put(addr);
	return err;
}

static struct rtnl_route *route_object(int ifindex, uint32_t dst_addr, uint8_t prefix_len,
				       uint32_t gateway)
{
	struct rtnl_route *route = rtnl_route_alloc();
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	struct nl_addr *dst = nl_addr_build(AF_INET, &dst_addr, sizeof(dst_addr));
	struct nl_addr *via = gateway ? nl_addr_build(AF_INET, &gateway, sizeof(gateway)) : NULL;
	bool built = route && nh && dst && (via || !gateway);

	if (built) {
		nl_addr_set_prefixlen(dst, prefix_len);
		rtnl_route_set_family(route, AF_INET);
		rtnl_route_set_table(route, RT_TABLE_MAIN);
		rtnl_route_set_scope(route, gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
		rtnl_route_set_protocol(route, RTPROT_STATIC);
		rtnl_route_set_dst(route, dst);
		rtnl_route_nh_set_ifindex(nh, ifindex);
		if (via)
			rtnl_route_nh_set_gateway(nh, via);
		rtnl_route_add_nexthop(route, nh);
		nh = NULL; /* owned by the route now */
	}
	if (nh)
		rtnl_route_nh_free(nh);
	nl_addr_put(via);
	nl_addr_put(dst);
	if (!built && route) {
		rtnl_route_put(route);
		route = NULL;
	}
	return route;
}

int nl_route_add(struct nl_sock *sock, int ifindex, uint32_t dst_addr, uint8_t prefix_len,
		 uint32_t gateway)
{
	struct rtnl_route *route = route_object(ifindex, dst_addr, prefix_len, gateway);
	int err;

	if (!route)
		return -ENOMEM;
	err = nl_to_errno(rtnl_route_add(sock, route, NLM_F_CREATE | NLM_F_EXCL));
	rtnl_route_put(route);
	return err;
}

/*
 * Endpoints speak IPv4: policy is judged on IPv4 and BPF drops IPv6 frames. With address
 * generation off before the link comes up, the interface makes no link-local address, so no DAD,
 * MLD report or router solicitation leaves it, nothing is dropped and counted for it, and no
 * DAD work of the kernel's holds the rtnl lock the next endpoint's creation waits for. (Not
 * disable_ipv6: its /proc/sys path is looked up among every namespace's entries of the same
 * name, a cost that grew with the endpoints: 5 ms more per ADD at 2500.)
 */
static int ipv6_off_request(int ifindex, struct nl_msg **msg)
{
	struct rtnl_link *link = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int err = -ENOMEM;

	if (link && change) {
		rtnl_link_set_ifindex(link, ifindex);
		err =
		    nl_to_errno(rtnl_link_inet6_set_addr_gen_mode(change, IN6_ADDR_GEN_MODE_NONE));
		err = err ?: nl_to_errno(rtnl_link_build_change_request(link, change, 0, msg));
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

/* The link-up request for ifindex: no lookup needed, the index names the link. */
static int link_up_request(int ifindex, struct nl_msg **msg)
{
	struct rtnl_link *link = rtnl_link_alloc(), *change = rtnl_link_alloc();
	int err = -ENOMEM;

	if (link && change) {
		rtnl_link_set_ifindex(link, ifindex);
		rtnl_link_set_flags(change, IFF_UP);
		err = nl_to_errno(rtnl_link_build_change_request(link, change, 0, msg));
	}
	rtnl_link_put(change);
	rtnl_link_put(link);
	return err;
}

int nl_ep_batch(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len,
		uint32_t gateway, int results[NL_EP_STEPS])
{
	struct rtnl_addr *addr = addr_object(ifindex, ip, prefix_len);
	struct rtnl_route *route = route_object(ifindex, 0, 0, gateway);
	struct nl_msg *msgs[NL_EP_STEPS] = {NULL};
	int steps = NL_EP_STEPS;
	char batch[4096];
	size_t len = 0;
	int err = addr && route ? 0 : -ENOMEM;

	for (int i = 0; i < NL_EP_STEPS; i++)
		results[i] = 0;
	err = err ?: ipv6_off_request(ifindex, &msgs[NL_EP_IPV6_OFF]);
	err = err ?: nl_to_errno(rtnl_addr_build_add_request(addr, 0, &msgs[NL_EP_ADDRESS]));
	err = err ?: link_up_request(ifindex, &msgs[NL_EP_LINK_UP]);
	if (gateway)
		err = err
			  ?: nl_to_errno(rtnl_route_build_add_request(
				 route, NLM_F_CREATE | NLM_F_EXCL, &msgs[NL_EP_DEFAULT_ROUTE]));
	else
		steps = NL_EP_DEFAULT_ROUTE;
	for (int i = 0; i < steps && !err; i++) {
		struct nlmsghdr *hdr = nlmsg_hdr(msgs[i]);

		/* Sequence numbers and the ack flag, as nl_send_auto would set them. */
		nl_complete_msg(sock, msgs[i]);
		if (len + NLMSG_ALIGN(hdr->nlmsg_len) > sizeof(batch)) {
			err = -E2BIG;
			break;
		}
		memcpy(batch + len, hdr, hdr->nlmsg_len);
		len += NLMSG_ALIGN(hdr->nlmsg_len);
	}
	bool sent = !err && nl_sendto(sock, batch, len) >= 0;

	if (!err && !sent)
		err = -EIO;
	/* The kernel answers every message, in order: read them all. */
	for (int i = 0; i < steps && sent; i++)
		results[i] = nl_to_errno(nl_wait_for_ack(sock));
	if (results[NL_EP_IPV6_OFF] == -EAFNOSUPPORT)
		results[NL_EP_IPV6_OFF] = 0;
	for (int i = 0; i < NL_EP_STEPS; i++)
		nlmsg_free(msgs[i]);
	rtnl_route_put(route);
	rtnl_addr_put(addr);
	return err;
}

int nl_ep_configure(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len,
		    uint32_t gateway, enum nl_ep_step *failed)
{
	int results[NL_EP_STEPS];
	int err = nl_ep_batch(sock, ifindex, ip, prefix_len, gateway, results);

	*failed = NL_EP_STEPS;
	for (int i = 0; i < NL_EP_STEPS && !err; i++)
		if (results[i]) {
			err = results[i];
			*failed = i;
		}
	return err;
}

int nl_addr_owner(struct nl_sock *sock, uint32_t ip, char *ifname)
{
	struct nl_cache *addrs;
	struct nl_object *obj;
	int err, ifindex = 0;

	err = rtnl_addr_alloc_cache(sock, &addrs);
	if (err)
		return nl_to_errno(err);
	for (obj = nl_cache_get_first(addrs); obj && !ifindex; obj = nl_cache_get_next(obj)) {
		struct rtnl_addr *addr = (struct rtnl_addr *)obj;
		struct nl_addr *local = rtnl_addr_get_local(addr);

		if (rtnl_addr_get_family(addr) == AF_INET && local &&
		    nl_addr_get_len(local) == sizeof(ip) &&
		    !memcmp(nl_addr_get_binary_addr(local), &ip, sizeof(ip)))
			ifindex = rtnl_addr_get_ifindex(addr);
	}
	nl_cache_free(addrs);
	if (!ifindex || !if_indextoname(ifindex, ifname))
		return -ENOENT;
	return 0;
}
