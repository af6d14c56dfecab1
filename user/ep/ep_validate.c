/* What `ep add` may do, decided from the state alone: names, addresses, MACs, namespaces. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link/names.h"
#include "core/err.h"
#include "ep/ep.h"
#include "link/netns.h"
#include "network.h"
#include "link/nl.h"

/*
 * The lowest free host number is at most n_eps + 2, the gateway taking one: mark the taken ones
 * up to there in one pass instead of searching every endpoint for every candidate, which grew
 * with the square of the endpoint count.
 */
static uint32_t first_free_ip(struct cbpf_state *st, const struct cbpf_network *net)
{
	size_t bound = st->n_eps + 2;
	bool *taken = calloc(bound + 1, sizeof(*taken));
	uint32_t base = ntohl(net->subnet.addr), n, ip = 0;

	if (!taken)
		return 0;
	for (size_t i = 0; i <= st->n_eps; i++) {
		n = ntohl(i < st->n_eps ? st->eps[i].ip : net->gateway) - base;
		if (n <= bound)
			taken[n] = true;
	}
	for (n = 1; n <= bound && !ip; n++)
		if (!taken[n])
			ip = cbpf_cidr_host(&net->subnet, n);
	free(taken);
	return ip;
}

/* The address is unique in the cluster, so the MAC derived from it is too: every host derives
 * the same MAC for an endpoint without asking. */
static void cbpf_default_mac(uint32_t ip, uint8_t mac[6])
{
	mac[0] = 0x02;
	mac[1] = 0xcb;
	memcpy(&mac[2], &ip, 4);
}

/* An endpoint on another node of an overlay network, reached through the tunnel. */
static int validate_remote(struct cbpf_state *st, const struct ep_request *req,
			   const struct cbpf_network *net, struct cbpf_endpoint *ep)
{
	struct cbpf_node *node = state_find_node(st, req->remote);

	if (net->model != CBPF_MODEL_OVERLAY) {
		cbpf_err(
		    "ep add %s: network %s is not an overlay network; remote endpoints need one",
		    req->name, net->name);
		return -EINVAL;
	}
	if (!node) {
		cbpf_err("ep add %s: no such node '%s' (add it with 'cbpfnet node add')", req->name,
			 req->remote);
		return -ENOENT;
	}
	if (node->ifname[0]) {
		cbpf_err("ep add %s: node %s is this host; add a local endpoint with --netns",
			 req->name, node->name);
		return -EINVAL;
	}
	snprintf(ep->node, sizeof(ep->node), "%s", node->name);
	if (!req->mac) {
		cbpf_default_mac(ep->ip, ep->mac);
	} else if (cbpf_parse_mac(req->mac, ep->mac) || (ep->mac[0] & 1) ||
		   !memcmp(ep->mac, "\0\0\0\0\0\0", 6)) {
		cbpf_err("ep add %s: '%s' is not a unicast MAC address", req->name, req->mac);
		return -EINVAL;
	}
	return 0;
}

/*
 * A remote endpoint's further interface is recorded as its node publishes it, NAME@NET, NET
 * being the network it is added to.
 */
static bool remote_interface(const struct ep_request *req)
{
	const char *at = strchr(req->name, '@');
	char first[CBPF_NAME_MAX];

	if (!at || !req->net || (size_t)(at - req->name) >= sizeof(first) ||
	    strcmp(at + 1, req->net))
		return false;
	snprintf(first, sizeof(first), "%.*s", (int)(at - req->name), req->name);
	return state_valid_name(first) && strlen(req->name) < CBPF_NAME_MAX;
}

int ep_validate_add(struct cbpf_state *st, const struct ep_request *req, struct cbpf_endpoint *ep)
{
	const char *name = req->name;
	struct cbpf_network *net;
	struct cbpf_endpoint *owner;
	int ns_fd, err;
	bool own;

	memset(ep, 0, sizeof(*ep));
	if (!req->interface && !state_valid_name(name) && !(req->remote && remote_interface(req))) {
		cbpf_err("ep add %s: invalid name (%s)", name, CBPF_NAME_RULE);
		return -EINVAL;
	}
	if (state_find_ep(st, name)) {
		cbpf_err("ep add %s: endpoint already exists", name);
		return -EEXIST;
	}
	net = state_find_net(st, req->net);
	if (!net) {
		cbpf_err("ep add %s: no such network '%s'", name, req->net);
		return -ENOENT;
	}
	if (req->ip) {
		if (cbpf_parse_ip(req->ip, &ep->ip) || !cbpf_cidr_is_host(&net->subnet, ep->ip) ||
		    ep->ip == net->gateway) {
			char subnet[32];

			cbpf_format_cidr(&net->subnet, subnet, sizeof(subnet));
			cbpf_err("ep add %s: address %s is not a free host address of network %s "
				 "(%s, gateway excluded)",
				 name, req->ip, net->name, subnet);
			return -EINVAL;
		}
		owner = state_find_ep_ip(st, ep->ip);
		if (owner) {
			cbpf_err("ep add %s: address %s is taken by endpoint %s", name, req->ip,
				 owner->name);
			return -EADDRINUSE;
		}
	} else {
		ep->ip = first_free_ip(st, net);
		if (!ep->ip) {
			cbpf_err("ep add %s: network %s has no free address", name, net->name);
			return -ENOSPC;
		}
	}
	if (req->remote) {
		err = validate_remote(st, req, net, ep);
		if (err)
			return err;
	} else {
		if (strlen(req->ifname) >= CBPF_IFNAME_MAX || !*req->ifname ||
		    strchr(req->ifname, '/')) {
			cbpf_err("ep add %s: invalid interface name '%s'", name, req->ifname);
			return -EINVAL;
		}
		if (strlen(req->netns) >= CBPF_PATH_MAX) {
			cbpf_err("ep add %s: netns path too long", name);
			return -ENAMETOOLONG;
		}
		if (req->create_netns && !netns_valid_name(req->netns)) {
			cbpf_err("ep add %s: netns %s to create must be a name, not a path", name,
				 req->netns);
			return -EINVAL;
		}
		if (!req->create_netns) {
			ns_fd = nl_netns_open(req->netns);
			if (ns_fd < 0) {
				cbpf_err("ep add %s: netns %s: %s", name, req->netns,
					 strerror(-ns_fd));
				return ns_fd;
			}
			own = netns_is_own(ns_fd);
			close(ns_fd);
			if (own) {
				cbpf_err("ep add %s: netns %s is this host's own network namespace "
					 "(an endpoint needs a namespace of its own)",
					 name, req->netns);
				return -EINVAL;
			}
		}
	}
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	snprintf(ep->net, sizeof(ep->net), "%s", net->name);
	ep->id = st->next_ep_id;
	if (req->remote)
		return 0;
	snprintf(ep->netns, sizeof(ep->netns), "%s", req->netns);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", req->ifname);
	/* A macvlan endpoint has no host side: its only interface is in its namespace. */
	if (net->model != CBPF_MODEL_MACVLAN)
		ep_host_ifname(ep->id, ep->host_ifname);
	cbpf_default_mac(ep->ip, ep->mac);
	return 0;
}
