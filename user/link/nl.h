/* Links, addresses, routes and namespaces through libnl-route. */
#ifndef CBPF_NL_H
#define CBPF_NL_H

#include <stdint.h>

struct nl_sock;
struct rtnl_link;

/* Converts a libnl error (negative NLE_*) to a negative errno. */
int nl_to_errno(int nl_err);

/* Opens a network namespace by name (/run/netns/NAME) or by path; returns an fd or -errno. */
int nl_netns_open(const char *name_or_path);

/* A route socket in the caller's namespace, or in the namespace behind ns_fd when ns_fd >= 0. */
int nl_sock_open(int ns_fd, struct nl_sock **sock);
void nl_sock_close(struct nl_sock *sock);

struct nl_veth_spec {
	const char *host_ifname;
	const uint8_t *host_mac;
	const char *peer_ifname;
	const uint8_t *peer_mac;
	int peer_ns_fd; /* peer is created directly inside this namespace */
	unsigned int mtu;
};

/* Sets the MAC of a link about to be created or changed; a NULL mac leaves it alone. */
int nl_link_set_mac(struct rtnl_link *link, const uint8_t *mac);
int nl_veth_create(struct nl_sock *sock, const struct nl_veth_spec *spec);
int nl_link_delete(struct nl_sock *sock, const char *ifname);
int nl_link_up(struct nl_sock *sock, const char *ifname);

/* What nl_link_restore changed back. */
enum nl_link_restored {
	NL_RESTORED_MAC = 1,
	NL_RESTORED_MTU = 2,
};

/*
 * Sets ifindex's MAC and MTU back to mac and mtu where they differ (a NULL mac or a 0 mtu is
 * not checked); sets NL_RESTORED_* in restored.
 */
int nl_link_restore(struct nl_sock *sock, int ifindex, const uint8_t *mac, unsigned int mtu,
		    unsigned int *restored);
/* Returns the ifindex (> 0) or -errno. */
int nl_link_index(struct nl_sock *sock, const char *ifname);
int nl_addr_add(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len);
/* Finds the interface carrying IPv4 address ip; fills ifname (IFNAMSIZ) or returns -ENOENT. */
int nl_addr_owner(struct nl_sock *sock, uint32_t ip, char *ifname);
/* A route to dst_addr/prefix_len through ifindex, via gateway or on-link when gateway is 0. */
int nl_route_add(struct nl_sock *sock, int ifindex, uint32_t dst_addr, uint8_t prefix_len,
		 uint32_t gateway);

/* The steps of nl_ep_configure, in the order the kernel carries them out. */
enum nl_ep_step {
	NL_EP_IPV6_OFF,
	NL_EP_ADDRESS,
	NL_EP_LINK_UP,
	NL_EP_DEFAULT_ROUTE,
	NL_EP_STEPS,
};

/*
 * An endpoint's interface made ready in one netlink batch: IPv6 address generation off, address
 * ip/prefix_len, link up, default route via gateway (none when gateway is 0), sent in one message
 * and acknowledged in order. On error *failed names the step the kernel refused (or NL_EP_STEPS
 * when sending failed). A kernel without IPv6 refuses the first step with -EAFNOSUPPORT: IPv6 is
 * off there already, and that answer counts as done.
 */
int nl_ep_configure(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len,
		    uint32_t gateway, enum nl_ep_step *failed);
/*
 * The same batch, every step's answer in results (0 or -errno; -EEXIST: the address or route was
 * there already); returns -errno only when the batch could not be built or sent.
 */
int nl_ep_batch(struct nl_sock *sock, int ifindex, uint32_t ip, uint8_t prefix_len,
		uint32_t gateway, int results[NL_EP_STEPS]);

#endif
