/*
 * macvlan links: created on the parent with libnl straight into the endpoint's namespace, the
 * macvlan programs at TCX on them (the link map entry they find their endpoint by is written by
 * reconcile/macvlan_map.c).
 */
#ifndef CBPF_MACVLAN_LINK_H
#define CBPF_MACVLAN_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "link/names.h"
#include "core/addr.h"
#include "core/cmd.h"
#include "store/state.h"

struct nl_sock;

struct macvlan_spec {
	const char *ifname;
	int parent_ifindex; /* in the namespace of the socket that creates the link */
	uint32_t mode;	    /* MACVLAN_MODE_* */
	const uint8_t *mac; /* NULL: the kernel's choice (passthru takes the parent's) */
	int ns_fd;	    /* created directly in this namespace; -1 for the socket's */
	int ifindex;	    /* 0: the kernel's choice */
	unsigned int mtu;   /* 0: the parent's */
	bool up;	    /* up at creation; an endpoint's comes up once configured */
};

/* The host-unique ifindex of ep's macvlan (see maps/macvlan.h). */
int macvlan_ep_ifindex(const struct cbpf_endpoint *ep);

/* The host's shim of a macvlan network with host access: its name, which says it is ours. */
void macvlan_shim_name(uint16_t net_id, char name[CBPF_IFNAME_MAX]);

/* Creates the link in one request. */
int nl_macvlan_create(struct nl_sock *sock, const struct macvlan_spec *spec);

/* Attaches the macvlan programs at TCX ingress and egress of ifindex inside ns_fd. */
int macvlan_attach(const struct cbpf_ctx *ctx, int ns_fd, int ifindex);
/* Detaches them; other programs on the hooks stay. */
int macvlan_detach(const struct cbpf_ctx *ctx, int ns_fd, int ifindex);

#endif
