/* ep add | del | list */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "netmodel.h"
#include "nl.h"
#include "output.h"
#include "state.h"
#include "sync.h"

struct ep_request {
	const char *name;
	const char *net;
	const char *netns;
	const char *ip;
	const char *ifname;
};

static int parse_add(int argc, char **argv, struct ep_request *req)
{
	static const struct option opts[] = {
		{"net", required_argument, NULL, 'n'},
		{"netns", required_argument, NULL, 's'},
		{"ip", required_argument, NULL, 'i'},
		{"ifname", required_argument, NULL, 'f'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	memset(req, 0, sizeof(*req));
	req->ifname = "eth0";
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			req->net = optarg;
			break;
		case 's':
			req->netns = optarg;
			break;
		case 'i':
			req->ip = optarg;
			break;
		case 'f':
			req->ifname = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || !req->net || !req->netns) {
		cbpf_err("ep add: usage: ep add NAME --net NET --netns NS [--ip ADDR] "
			 "[--ifname eth0]");
		return -EINVAL;
	}
	req->name = argv[optind];
	return 0;
}

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

static int validate_add(struct cbpf_state *st, const struct ep_request *req,
			struct cbpf_endpoint *ep)
{
	const char *name = req->name;
	struct cbpf_network *net;
	struct cbpf_endpoint *owner;
	int ns_fd;

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
	if (strlen(req->ifname) >= CBPF_IFNAME_MAX || !*req->ifname || strchr(req->ifname, '/')) {
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
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	snprintf(ep->net, sizeof(ep->net), "%s", net->name);
	snprintf(ep->netns, sizeof(ep->netns), "%s", req->netns);
	snprintf(ep->ifname, sizeof(ep->ifname), "%s", req->ifname);
	ep->id = st->next_ep_id;
	snprintf(ep->host_ifname, sizeof(ep->host_ifname), "cbe%x", ep->id);
	/* The address is unique per host, so the MAC derived from it is too. */
	ep->mac[0] = 0x02;
	ep->mac[1] = 0xcb;
	memcpy(&ep->mac[2], &ep->ip, 4);
	return 0;
}

static json_object *ep_json(const struct cbpf_endpoint *ep)
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
	return obj;
}

static int ep_add(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const struct net_model_ops *model;
	struct cbpf_network *net;
	struct ep_request req;
	struct cbpf_endpoint ep;
	struct cbpf_maps maps;
	struct cbpf_state st;
	int err = parse_add(argc, argv, &req);

	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = validate_add(&st, &req, &ep);
	if (err)
		goto out;
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	net = state_find_net(&st, ep.net);
	model = net_model_of(net);
	err = model->plumb(ctx, &st, &ep, net);
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
	if (!err)
		err = state_commit(&st);
	if (err) {
		sync_endpoint_delete(&maps, &ep);
		model->unplumb(ctx, &ep, net);
		goto close_maps;
	}
	if (ctx->json) {
		cbpf_print_json(ep_json(&ep));
	} else {
		char ip[CBPF_IP_STRLEN];

		cbpf_format_ip(ep.ip, ip);
		printf("added endpoint %s: %s in netns %s, %s, network %s, host side %s\n", ep.name,
		       ep.ifname, ep.netns, ip, ep.net, ep.host_ifname);
	}
close_maps:
	cbpf_maps_close(&maps);
out:
	state_close(&st);
	return err;
}

static int ep_del(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_endpoint *found, ep;
	struct cbpf_network *net;
	struct cbpf_maps maps;
	struct cbpf_state st;
	int err;

	if (argc != 2) {
		cbpf_err("ep del: usage: ep del NAME");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	found = state_find_ep(&st, argv[1]);
	if (!found) {
		cbpf_err("ep del %s: no such endpoint", argv[1]);
		err = -ENOENT;
		goto out;
	}
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	ep = *found;
	net = state_find_net(&st, ep.net);
	err = sync_endpoint_delete(&maps, &ep);
	if (!err && net)
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
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "deleted", json_object_new_string(ep.name));
		cbpf_print_json(doc);
	} else {
		printf("deleted endpoint %s\n", ep.name);
	}
close_maps:
	cbpf_maps_close(&maps);
out:
	state_close(&st);
	return err;
}

static int ep_list(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_state st;
	int err;

	(void)argv;
	if (argc != 1) {
		cbpf_err("ep list: takes no arguments");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	if (ctx->json) {
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < st.n_eps; i++)
			json_object_array_add(list, ep_json(&st.eps[i]));
		cbpf_print_json(list);
	} else {
		printf("%-16s %-12s %-15s %-17s %-10s %s\n", "NAME", "NETWORK", "IP", "MAC",
		       "HOST-IF", "NETNS");
		for (size_t i = 0; i < st.n_eps; i++) {
			const struct cbpf_endpoint *ep = &st.eps[i];
			char ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

			cbpf_format_ip(ep->ip, ip);
			cbpf_format_mac(ep->mac, mac);
			printf("%-16s %-12s %-15s %-17s %-10s %s\n", ep->name, ep->net, ip, mac,
			       ep->host_ifname, ep->netns);
		}
	}
	state_close(&st);
	return 0;
}

int cmd_ep(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct cbpf_cmd table[] = {
		{"add", ep_add, "ep add NAME --net NET --netns NS [--ip ADDR] [--ifname eth0]"},
		{"del", ep_del, "ep del NAME"},
		{"list", ep_list, "ep list"},
		{NULL, NULL, NULL},
	};

	return cbpf_dispatch(ctx, "ep", table, argc - 1, argv + 1);
}
