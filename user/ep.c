/* Creating and destroying endpoints, for the command line and the CNI plugin alike. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ep.h"
#include "netmodel.h"
#include "network.h"
#include "nl.h"
#include "sync.h"

static uint32_t first_free_ip(struct cbpf_state *st, const struct cbpf_network *net)
{
	for (uint32_t n = 1;; n++) {
		uint32_t ip = cbpf_cidr_host(&net->subnet, n);

		if (!ip)
			return 0;
		if (ip != net->gateway && !state_find_ep_ip(st, ip))
			return ip;
	}
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
	} else if (cbpf_parse_mac(req->mac, ep->mac) || (ep->mac[0] & 1)) {
		cbpf_err("ep add %s: '%s' is not a unicast MAC address", req->name, req->mac);
		return -EINVAL;
	}
	return 0;
}

static int validate_add(struct cbpf_state *st, const struct ep_request *req,
			struct cbpf_endpoint *ep)
{
	const char *name = req->name;
	struct cbpf_network *net;
	struct cbpf_endpoint *owner;
	int ns_fd, err;

	memset(ep, 0, sizeof(*ep));
	if (!state_valid_name(name)) {
		cbpf_err("ep add %s: invalid name (use 1-63 of A-Z a-z 0-9 _ . -)", name);
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
		ns_fd = nl_netns_open(req->netns);
		if (ns_fd < 0) {
			cbpf_err("ep add %s: netns %s: %s", name, req->netns, strerror(-ns_fd));
			return ns_fd;
		}
		close(ns_fd);
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
		snprintf(ep->host_ifname, sizeof(ep->host_ifname), "cbe%x", ep->id);
	cbpf_default_mac(ep->ip, ep->mac);
	return 0;
}

json_object *ep_json(const struct cbpf_endpoint *ep)
{
	json_object *obj = json_object_new_object();
	char ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

	cbpf_format_ip(ep->ip, ip);
	cbpf_format_mac(ep->mac, mac);
	json_object_object_add(obj, "name", json_object_new_string(ep->name));
	json_object_object_add(obj, "id", json_object_new_int64(ep->id));
	json_object_object_add(obj, "identity", json_object_new_int64(cbpf_ep_identity(ep)));
	json_object_object_add(obj, "net", json_object_new_string(ep->net));
	json_object_object_add(obj, "netns", json_object_new_string(ep->netns));
	json_object_object_add(obj, "ifname", json_object_new_string(ep->ifname));
	json_object_object_add(obj, "host_ifname", json_object_new_string(ep->host_ifname));
	json_object_object_add(obj, "ip", json_object_new_string(ip));
	json_object_object_add(obj, "mac", json_object_new_string(mac));
	if (!state_ep_is_local(ep))
		json_object_object_add(obj, "node", json_object_new_string(ep->node));
	return obj;
}

int ep_create(const struct cbpf_ctx *ctx, const struct ep_request *req, struct cbpf_endpoint *out)
{
	const struct net_model_ops *model;
	struct cbpf_network *net;
	struct cbpf_endpoint ep;
	struct cbpf_maps maps;
	struct cbpf_state st;
	int err;

	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = validate_add(&st, req, &ep);
	if (err)
		goto out;
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	net = state_find_net(&st, ep.net);
	model = net_model_of(net);
	err = state_ep_is_local(&ep) ? model->plumb(ctx, &st, &ep, net) : 0;
	if (err)
		goto close_maps;
	st.next_ep_id++;
	if (!state_add_ep(&st, &ep))
		err = -ENOMEM;
	if (!err) {
		err = sync_endpoint(&maps, &st, &ep);
		if (err)
			cbpf_err("ep add %s: endpoint map: %s", ep.name, strerror(-err));
	}
	/* Rules may name the endpoint before it exists: they take effect as it appears. */
	if (!err)
		err = sync_policy(&maps, &st);
	if (!err)
		err = state_commit(&st);
	if (err) {
		sync_endpoint_delete(&maps, &ep);
		if (state_ep_is_local(&ep))
			model->unplumb(ctx, &ep, net);
		goto close_maps;
	}
	*out = ep;
close_maps:
	cbpf_maps_close(&maps);
out:
	state_close(&st);
	return err;
}

int ep_destroy(const struct cbpf_ctx *ctx, const char *name)
{
	struct cbpf_endpoint *found, ep;
	struct cbpf_network *net;
	struct cbpf_maps maps;
	struct cbpf_state st;
	int err;

	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	found = state_find_ep(&st, name);
	if (!found) {
		cbpf_err("ep del %s: no such endpoint", name);
		err = -ENOENT;
		goto out;
	}
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	ep = *found;
	net = state_find_net(&st, ep.net);
	err = sync_endpoint_delete(&maps, &ep);
	if (!err && net && state_ep_is_local(&ep))
		err = net_model_of(net)->unplumb(ctx, &ep, net);
	if (err) {
		cbpf_err("ep del %s: remove %s: %s", ep.name, ep.host_ifname, strerror(-err));
		goto close_maps;
	}
	state_remove_rules_naming(&st, "ep", ep.name);
	state_remove_ep(&st, found);
	err = sync_policy(&maps, &st);
	if (!err)
		err = state_commit(&st);
	if (err)
		goto close_maps;
close_maps:
	cbpf_maps_close(&maps);
out:
	state_close(&st);
	return err;
}
