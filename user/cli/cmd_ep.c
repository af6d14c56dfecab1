/* ep add | del | list */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "cli/list.h"
#include "cli/table.h"
#include "cli/commands.h"
#include "ep/ep.h"
#include "ep/ep_batch.h"
#include "json/json_in.h"
#include "core/output.h"
#include "store/state.h"
#include "reconcile/sync.h"

static const struct cbpf_opt add_opts[] = {
    {"net", 'n', "NET", "the network to join"},
    {"netns", 's', "NS", "the local endpoint's network namespace (/run/netns/NS or a path)"},
    {"ip", 'i', "ADDR", "its address (default: the next free one of the subnet)"},
    {"ifname", 'f', "IF", "its interface inside the namespace (default eth0)"},
    {"remote", 'r', "NODE", "an endpoint of another node instead (needs --ip)"},
    {"mac", 'm', "MAC", "a remote endpoint's MAC (default derived from --ip)"},
    {NULL, 0, NULL, NULL},
};

static int parse_add(int argc, char **argv, struct ep_request *req)
{
	int opt;

	memset(req, 0, sizeof(*req));
	req->ifname = "eth0";
	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, add_opts, "ep add")) != -1) {
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
		case 'r':
			req->remote = optarg;
			break;
		case 'm':
			req->mac = optarg;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || !req->net || !req->netns == !req->remote ||
	    (req->remote && !req->ip)) {
		cbpf_err(
		    "ep add: usage: ep add NAME --net NET --netns NS [--ip ADDR] "
		    "[--ifname eth0] | ep add NAME --net NET --remote NODE --ip ADDR [--mac MAC]");
		return -EINVAL;
	}
	req->name = argv[optind];
	return 0;
}

static int ep_add(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct ep_request req;
	struct cbpf_endpoint ep;
	int err = parse_add(argc, argv, &req);

	if (err)
		return err;
	err = ep_create(ctx, &req, &ep);
	if (err)
		return err;
	if (ctx->json) {
		cbpf_print_json(ep_json(&ep));
	} else {
		char ip[CBPF_IP_STRLEN];

		cbpf_format_ip(ep.ip, ip);
		if (state_ep_is_local(&ep))
			printf("added endpoint %s: %s in netns %s, %s, network %s, host side %s\n",
			       ep.name, ep.ifname, ep.netns, ip, ep.net,
			       ep.host_ifname[0] ? ep.host_ifname : "none (macvlan)");
		else
			printf("added remote endpoint %s: %s on node %s, network %s\n", ep.name, ip,
			       ep.node, ep.net);
	}
	return 0;
}

static int ep_del(struct cbpf_ctx *ctx, int argc, char **argv)
{
	int err;

	if (argc != 2) {
		cbpf_err("ep del: usage: ep del NAME");
		return -EINVAL;
	}
	err = ep_destroy(ctx, argv[1]);
	if (err)
		return err;
	cbpf_print_deleted(ctx->json, "endpoint", argv[1]);
	return 0;
}

static void print_report(json_object *report)
{
	json_object *ops = json_object_object_get(report, "ops");

	for (size_t i = 0; i < json_object_array_length(ops); i++) {
		json_object *op = json_object_array_get_idx(ops, i);

		printf("%s %s %s %.3f ms\n",
		       json_object_get_string(json_object_object_get(op, "op")),
		       json_object_get_string(json_object_object_get(op, "name")),
		       json_object_get_boolean(json_object_object_get(op, "ok")) ? "ok" : "failed",
		       json_object_get_double(json_object_object_get(op, "ms")));
	}
	printf("%zu operations, %d failed, state %s (%.3f ms), %.3f ms in all\n",
	       json_object_array_length(ops),
	       json_object_get_int(json_object_object_get(report, "failed")),
	       json_object_get_boolean(json_object_object_get(report, "committed")) ? "written"
										    : "NOT written",
	       json_object_get_double(json_object_object_get(report, "commit_ms")),
	       json_object_get_double(json_object_object_get(report, "ms")));
}

static int ep_apply(struct cbpf_ctx *ctx, int argc, char **argv)
{
	json_object *ops, *report;
	FILE *in;
	char *text;
	size_t len;
	int err;

	if (argc != 2) {
		cbpf_err("ep apply: usage: ep apply FILE|-  (JSON operations, see README)");
		return -EINVAL;
	}
	in = strcmp(argv[1], "-") ? fopen(argv[1], "r") : stdin;
	if (!in) {
		err = -errno;
		cbpf_err("ep apply: %s: %s", argv[1], strerror(errno));
		return err;
	}
	text = json_in_read(in, &len);
	if (in != stdin)
		fclose(in);
	if (!text) {
		cbpf_err("ep apply: %s: read failed", argv[1]);
		return -EIO;
	}
	err = ep_batch_parse(text, len, &ops);
	free(text);
	if (err)
		return err;
	err = ep_batch_run(ctx, ops, &report);
	json_object_put(ops);
	if (ctx->json)
		cbpf_print_json(report);
	else {
		print_report(report);
		json_object_put(report);
	}
	return err;
}

static const void *ep_items(const struct cbpf_state *st, size_t *n)
{
	*n = st->n_eps;
	return st->eps;
}

static json_object *ep_item_json(const struct cbpf_ctx *ctx, struct cbpf_state *st,
				 const void *item)
{
	json_object *ep = ep_json(item);

	json_object_object_add(ep, "status", json_object_new_string(ep_link_status(ctx, st, item)));
	return ep;
}

static void ep_header(struct cli_table *t)
{
	cli_table_init(t, "NAME", "NETWORK", "IP", "MAC", "HOST-IF", "NETNS/NODE", "STATUS", NULL);
}

static void ep_row(struct cli_table *t, const struct cbpf_ctx *ctx, struct cbpf_state *st,
		   const void *item)
{
	const struct cbpf_endpoint *ep = item;
	char ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

	cbpf_format_ip(ep->ip, ip);
	cbpf_format_mac(ep->mac, mac);
	cli_table_row(t, ep->name, ep->net, ip, mac, ep->host_ifname,
		      state_ep_is_local(ep) ? ep->netns : ep->node, ep_link_status(ctx, st, ep));
}

static int ep_list(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct cli_list list = {"ep list",	   ep_items,  sizeof(struct cbpf_endpoint),
					     ep_item_json, ep_header, ep_row};

	(void)argv;
	return cli_list(ctx, argc, &list);
}

static void print_endpoint(const struct cbpf_ctx *ctx, const char *verb,
			   const struct cbpf_endpoint *ep)
{
	char ip[CBPF_IP_STRLEN];

	if (ctx->json) {
		cbpf_print_json(ep_json(ep));
		return;
	}
	cbpf_format_ip(ep->ip, ip);
	printf("%s %s: %s in netns %s, %s, network %s\n", verb, ep->name, ep->ifname, ep->netns, ip,
	       ep->net);
}

static const struct cbpf_opt connect_opts[] = {
    {"net", 'n', "NET", "the network to connect to"},
    {"ip", 'i', "ADDR", "the address on it (default: the next free one)"},
    {"ifname", 'f', "IF", "the new interface in the namespace (default: the first free ethN)"},
    {NULL, 0, NULL, NULL},
};
static const struct cbpf_opt disconnect_opts[] = {
    {"net", 'n', "NET", "the network to leave"},
    {NULL, 0, NULL, NULL},
};
static const struct cbpf_opt move_opts[] = {
    {"net", 'n', "NET", "the network to move to"},
    {"ip", 'i', "ADDR", "the address there (default: the next free one)"},
    {"netns", 's', "NS",
     "take over an endpoint of another node into NS on this host, same address (cluster mode)"},
    {NULL, 0, NULL, NULL},
};

/* NAME --net NET [--ip ADDR] [--ifname IF]; ifname NULL when not allowed. */
static int parse_net_change(const char *verb, const struct cbpf_opt *opts, int argc, char **argv,
			    const char **name, const char **net, const char **ip,
			    const char **ifname)
{
	char what[32];
	bool takes_ifname = ifname != NULL;
	int opt;

	*net = *ip = NULL;
	if (ifname)
		*ifname = NULL;
	snprintf(what, sizeof(what), "ep %s", verb);
	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, opts, what)) != -1) {
		if (opt == 'n')
			*net = optarg;
		else if (opt == 'i' && ip)
			*ip = optarg;
		else if (opt == 'f' && takes_ifname)
			*ifname = optarg;
		else
			opt = '?';
		if (opt == '?')
			break;
	}
	if (opt == '?' || optind != argc - 1 || !*net) {
		cbpf_err("ep %s: usage: ep %s NAME --net NET%s%s", verb, verb,
			 ip ? " [--ip ADDR]" : "", takes_ifname ? " [--ifname IF]" : "");
		return -EINVAL;
	}
	*name = argv[optind];
	return 0;
}

static int ep_connect_cmd(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name, *net, *ip, *ifname;
	struct cbpf_endpoint ep;
	int err = parse_net_change("connect", connect_opts, argc, argv, &name, &net, &ip, &ifname);

	err = err ?: ep_connect(ctx, name, net, ip, ifname, &ep);
	if (!err)
		print_endpoint(ctx, "connected", &ep);
	return err;
}

static int ep_disconnect_cmd(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name, *net, *ip;
	int err =
	    parse_net_change("disconnect", disconnect_opts, argc, argv, &name, &net, &ip, NULL);

	if (!err && ip) {
		cbpf_err("ep disconnect: usage: ep disconnect NAME --net NET");
		return -EINVAL;
	}
	err = err ?: ep_disconnect(ctx, name, net);
	if (err)
		return err;
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "disconnected", json_object_new_string(name));
		json_object_object_add(doc, "net", json_object_new_string(net));
		cbpf_print_json(doc);
	} else {
		printf("disconnected endpoint %s from network %s\n", name, net);
	}
	return 0;
}

static int ep_move_cmd(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name, *net, *ip;
	struct cbpf_endpoint ep;
	int err;

	/* In cluster mode the cluster takes `ep move --netns` before it gets here. */
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--netns", 7) && (!argv[i][7] || argv[i][7] == '=')) {
			cbpf_err(
			    "ep move --netns: a move from another node needs the agent in cluster "
			    "mode (cbpfnet daemon --etcd URL)");
			return -EINVAL;
		}
	err = parse_net_change("move", move_opts, argc, argv, &name, &net, &ip, NULL);

	err = err ?: ep_move(ctx, name, net, ip, &ep);
	if (!err)
		print_endpoint(ctx, "moved", &ep);
	return err;
}

const struct cbpf_cmd cbpf_ep_cmds[] = {
    {.name = "add",
     .run = ep_add,
     .args = "NAME --net NET (--netns NS | --remote NODE --ip ADDR) [OPTIONS]",
     .help = "add an endpoint: a veth (or macvlan) pair into NS, or a remote node's address",
     .opts = add_opts,
     .example = "ep add web1 --net front --netns web1 --ip 10.20.0.10"},
    {.name = "del",
     .run = ep_del,
     .args = "NAME",
     .help = "delete an endpoint and its interface",
     .example = "ep del web1",
     .alias = "rm"},
    {.name = "apply",
     .run = ep_apply,
     .args = "FILE|-",
     .help = "run a JSON list of add/del operations as one batch",
     .example = "ep apply ops.json"},
    {.name = "list", .run = ep_list, .help = "list endpoints", .example = "ep list", .alias = "ls"},
    {.name = "inspect",
     .run = ep_inspect,
     .args = "NAME",
     .help = "everything about an endpoint: record, map entry, hooks, counters, rules",
     .example = "ep inspect web1"},
    {.name = "connect",
     .run = ep_connect_cmd,
     .args = "NAME --net NET [OPTIONS]",
     .help = "give an endpoint one more interface, on another network",
     .opts = connect_opts,
     .example = "ep connect web1 --net back"},
    {.name = "disconnect",
     .run = ep_disconnect_cmd,
     .args = "NAME --net NET",
     .help = "remove an endpoint's interface on a network",
     .opts = disconnect_opts,
     .example = "ep disconnect web1 --net back"},
    {.name = "move",
     .run = ep_move_cmd,
     .args = "NAME --net NET [--ip ADDR] | NAME --netns NS",
     .help = "move an endpoint to another network, keeping its namespace; or, in cluster mode, "
	     "from another node to a namespace here",
     .opts = move_opts,
     .example = "ep move web1 --net back"},
    {0},
};
