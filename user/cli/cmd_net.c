/* net create | list | delete | set */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "cli/list.h"
#include "cli/table.h"
#include "cli/commands.h"
#include "model/model_cmd.h"
#include "net/netmodel.h"
#include "network.h"
#include "json/obj_json.h"
#include "core/output.h"
#include "store/state.h"
#include "reconcile/sync.h"

static const struct cbpf_opt create_opts[] = {
    {"subnet", 's', "CIDR", "the network's IPv4 subnet (/8 to /30)"},
    {"gateway", 'g', "ADDR", "the gateway address (default: the subnet's first host)"},
    {"icc", 'i', "on|off", "traffic between its endpoints (default on)"},
    {"model", 'm', "local|overlay|macvlan|auto", "how it reaches other hosts (default local)"},
    {"vni", 'v', "N", "overlay: the VxLAN network identifier"},
    {"vlan", 'l', "ID", "overlay or macvlan: the 802.1Q tag"},
    {"parent", 'p', "IFACE", "macvlan: the uplink endpoints hang on"},
    {"mode", 'o', "bridge|vepa|private|passthru", "macvlan: the mode (default bridge)"},
    {"host-access", 'h', NULL, "macvlan: let the host reach its endpoints"},
    {"require", 'r', "SPEC", "auto: security=S,scale=N,efficiency=E,extensibility=X (each 0..10)"},
    {"mtu", 'u', "N", "the endpoints' MTU"},
    {NULL, 0, NULL, NULL},
};

static int parse_create(int argc, char **argv, struct net_request *req)
{
	int opt;

	memset(req, 0, sizeof(*req));
	req->icc = "on";
	req->model = "local";
	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, create_opts, "net create")) != -1) {
		switch (opt) {
		case 's':
			req->subnet = optarg;
			break;
		case 'g':
			req->gateway = optarg;
			break;
		case 'i':
			req->icc = optarg;
			break;
		case 'm':
			req->model = optarg;
			break;
		case 'v':
			req->vni = optarg;
			break;
		case 'l':
			req->vlan = optarg;
			break;
		case 'p':
			req->parent = optarg;
			break;
		case 'o':
			req->mode = optarg;
			break;
		case 'r':
			req->require = optarg;
			break;
		case 'u':
			req->mtu = optarg;
			break;
		case 'h':
			req->host_access = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || !req->subnet) {
		cbpf_err(
		    "net create: usage: net create NAME --subnet CIDR [--icc on|off] "
		    "[--gateway ADDR] [--model local|overlay|macvlan|auto] [--vni N] [--vlan ID] "
		    "[--parent IFACE --mode bridge|vepa|private|passthru] [--host-access] "
		    "[--require security=S,scale=N,efficiency=E,extensibility=X] [--mtu N]");
		return -EINVAL;
	}
	req->name = argv[optind];
	return 0;
}

static int allocate_net_id(struct cbpf_state *st, uint16_t *id)
{
	for (uint16_t candidate = 1; candidate < CBPF_MAX_NETWORKS; candidate++)
		if (!state_find_net_id(st, candidate)) {
			*id = candidate;
			return 0;
		}
	return -ENOSPC;
}

/* Checks what every model shares against the state and fills net; touches nothing. */
static int validate_create(struct cbpf_state *st, const struct net_request *req,
			   struct cbpf_network *net)
{
	const char *name = req->name, *special;

	memset(net, 0, sizeof(*net));
	if (!state_valid_name(name)) {
		cbpf_err("net create %s: invalid name (%s)", name, CBPF_NAME_RULE);
		return -EINVAL;
	}
	if (state_find_net(st, name)) {
		cbpf_err("net create %s: network already exists", name);
		return -EEXIST;
	}
	snprintf(net->name, sizeof(net->name), "%s", name);
	if (cbpf_parse_on_off(req->icc, &net->icc)) {
		cbpf_err("net create %s: --icc takes on or off, not '%s'", name, req->icc);
		return -EINVAL;
	}
	if (cbpf_parse_cidr(req->subnet, &net->subnet)) {
		cbpf_err("net create %s: subnet '%s' is not an IPv4 network in CIDR form", name,
			 req->subnet);
		return -EINVAL;
	}
	special = cbpf_subnet_special(&net->subnet);
	if (special) {
		cbpf_err("net create %s: subnet %s lies in %s, where endpoints cannot work", name,
			 req->subnet, special);
		return -EINVAL;
	}
	if (net->subnet.prefix_len > 30 || net->subnet.prefix_len < 8) {
		cbpf_err("net create %s: subnet %s must have a prefix between /8 and /30", name,
			 req->subnet);
		return -EINVAL;
	}
	for (size_t i = 0; i < st->n_nets; i++) {
		char other[32];

		if (!cbpf_cidr_overlap(&st->nets[i].subnet, &net->subnet))
			continue;
		cbpf_format_cidr(&st->nets[i].subnet, other, sizeof(other));
		cbpf_err("net create %s: subnet %s overlaps network %s (%s)", name, req->subnet,
			 st->nets[i].name, other);
		return -EEXIST;
	}
	if (req->gateway) {
		if (cbpf_parse_ip(req->gateway, &net->gateway) ||
		    !cbpf_cidr_is_host(&net->subnet, net->gateway)) {
			cbpf_err("net create %s: gateway %s is not a host address of %s", name,
				 req->gateway, req->subnet);
			return -EINVAL;
		}
	} else {
		net->gateway = cbpf_cidr_host(&net->subnet, 1);
	}
	if (allocate_net_id(st, &net->id)) {
		cbpf_err("net create %s: all %d network ids are in use", name,
			 CBPF_MAX_NETWORKS - 1);
		return -ENOSPC;
	}
	/* Locally administered, distinct from endpoint MACs (02:cb:...). */
	const uint8_t mac[6] = {0x0a, 0xcb, 0, 0, net->id >> 8, net->id & 0xff};

	memcpy(net->gateway_mac, mac, sizeof(mac));
	return 0;
}

/* --model auto: the classifier picks overlay or macvlan from the requirements. */
static const struct net_model_ops *choose_model(struct cbpf_ctx *ctx, struct cbpf_state *st,
						const struct net_request *req,
						struct model_decision *decision)
{
	struct model_constraints constraints = {0};

	if (strcmp(req->model, "auto"))
		return net_model_by_name(req->model);
	if (!req->require) {
		cbpf_err("net create %s: --model auto needs --require "
			 "security=S,scale=N,efficiency=E,extensibility=X",
			 req->name);
		return NULL;
	}
	/* macvlan needs an uplink to hang endpoints on; without --parent it is ruled out. */
	constraints.parent_free = req->parent ? MODEL_FACT_YES : MODEL_FACT_NO;
	constraints.passthru = req->mode && !strcmp(req->mode, "passthru");
	for (size_t i = 0; req->parent && i < st->n_nets; i++)
		if (!strcmp(st->nets[i].parent, req->parent) && constraints.passthru)
			constraints.parent_free = MODEL_FACT_NO;
	if (model_auto_decide(ctx, st, req->name, req->require, &constraints, decision))
		return NULL;
	return decision->choice == MODEL_CHOICE_MACVLAN ? &net_model_macvlan : &net_model_overlay;
}

/* With --model auto the user gave options for either outcome; the loser's do not apply. */
static void drop_other_model_options(struct net_request *req, const struct net_model_ops *chosen)
{
	if (chosen->model == CBPF_MODEL_OVERLAY) {
		req->parent = NULL;
		req->mode = NULL;
		req->host_access = false;
	} else {
		req->vni = NULL;
	}
}

static json_object *decision_json(const struct model_decision *decision)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "choice",
			       json_object_new_string(decision->choice == MODEL_CHOICE_MACVLAN
							  ? "macvlan"
							  : "overlay"));
	json_object_object_add(obj, "alpha", json_object_new_double(decision->alpha));
	json_object_object_add(obj, "beta", json_object_new_double(decision->beta));
	json_object_object_add(obj, "cached", json_object_new_boolean(decision->cached));
	json_object_object_add(obj, "reason", json_object_new_string(decision->reason));
	return obj;
}

static int net_create(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const struct net_model_ops *model;
	struct model_decision decision = {0};
	struct net_request req;
	struct cbpf_network net;
	struct cbpf_state st;
	int err = parse_create(argc, argv, &req);

	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	model = net_model_by_name(req.model);
	if (!model && strcmp(req.model, "auto")) {
		cbpf_err("net create %s: unknown model '%s' (local, overlay, macvlan or auto)",
			 req.name, req.model);
		err = -EINVAL;
		goto out;
	}
	err = validate_create(&st, &req, &net);
	if (err)
		goto out;
	model = choose_model(ctx, &st, &req, &decision);
	if (!model) {
		err = -EINVAL;
		goto out;
	}
	net.model = model->model;
	if (!strcmp(req.model, "auto"))
		drop_other_model_options(&req, model);
	err = model->validate(&st, &req, &net);
	if (err)
		goto out;
	if (!state_add_net(&st, &net)) {
		err = -ENOMEM;
		goto out;
	}
	err = model->create ? model->create(ctx, &net) : 0;
	if (err)
		goto out;
	err = sync_all_if_loaded(ctx, &st);
	if (!err)
		err = state_commit(&st);
	if (err) {
		if (model->destroy)
			model->destroy(ctx, &net);
		goto out;
	}
	if (ctx->json) {
		json_object *doc = net_json(&net);

		if (!strcmp(req.model, "auto"))
			json_object_object_add(doc, "auto", decision_json(&decision));
		cbpf_print_json(doc);
	} else {
		char subnet[32];

		cbpf_format_cidr(&net.subnet, subnet, sizeof(subnet));
		if (!strcmp(req.model, "auto"))
			printf("model auto chose %s: P(overlay)=%.3f P(macvlan)=%.3f%s\n  %s\n",
			       model->name, decision.alpha, decision.beta,
			       decision.cached ? " (answered from history)" : "", decision.reason);
		printf("created %s network %s (id %u, %s, icc %s)\n", model->name, net.name, net.id,
		       subnet, net.icc ? "on" : "off");
	}
out:
	state_close(&st);
	return err;
}

static const void *net_items(const struct cbpf_state *st, size_t *n)
{
	*n = st->n_nets;
	return st->nets;
}

static json_object *net_item_json(const struct cbpf_ctx *ctx, struct cbpf_state *st,
				  const void *item)
{
	(void)ctx;
	(void)st;
	return net_json(item);
}

static void net_header(struct cli_table *t)
{
	cli_table_init(t, "NAME", "ID", "MODEL", "SUBNET", "GATEWAY", "ICC", "VNI", "VLAN",
		       "PARENT", "MODE", "MTU", NULL);
}

static void net_row(struct cli_table *t, const struct cbpf_ctx *ctx, struct cbpf_state *st,
		    const void *item)
{
	const struct cbpf_network *net = item;
	char id[8], subnet[32], gateway[CBPF_IP_STRLEN], vni[12] = "", vlan[8] = "", mtu[12] = "";

	(void)ctx;
	(void)st;
	snprintf(id, sizeof(id), "%u", net->id);
	cbpf_format_cidr(&net->subnet, subnet, sizeof(subnet));
	cbpf_format_ip(net->gateway, gateway);
	if (net->model == CBPF_MODEL_OVERLAY)
		snprintf(vni, sizeof(vni), "%u", net->vni);
	if (net->vlan)
		snprintf(vlan, sizeof(vlan), "%u", net->vlan);
	if (net->mtu)
		snprintf(mtu, sizeof(mtu), "%u", net->mtu);
	cli_table_row(t, net->name, id, cbpf_model_name(net->model), subnet, gateway,
		      net->icc ? "on" : "off", vni, vlan, net->parent,
		      net->parent[0] ? macvlan_mode_name(net->macvlan_mode) : NULL, mtu);
}

static int net_list(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct cli_list list = {"net list",    net_items,	sizeof(struct cbpf_network),
					     net_item_json, net_header, net_row};

	(void)argv;
	return cli_list(ctx, argc, &list);
}

static int net_delete(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const struct net_model_ops *model;
	struct cbpf_network *net, removed;
	struct cbpf_state st;
	size_t users = 0;
	int err;

	if (argc != 2) {
		cbpf_err("net delete: usage: net delete NAME");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	net = state_find_net(&st, argv[1]);
	if (!net) {
		cbpf_err("net delete %s: no such network", argv[1]);
		err = -ENOENT;
		goto out;
	}
	for (size_t i = 0; i < st.n_eps; i++)
		users += !strcmp(st.eps[i].net, net->name);
	if (users) {
		cbpf_err("net delete %s: %zu endpoint(s) still attached; delete them first",
			 argv[1], users);
		err = -EBUSY;
		goto out;
	}
	removed = *net;
	model = net_model_of(&removed);
	state_remove_rules_naming(&st, "net", net->name);
	state_remove_net(&st, net);
	err = model->destroy ? model->destroy(ctx, &removed) : 0;
	if (!err)
		err = sync_all_if_loaded(ctx, &st);
	if (!err)
		err = state_commit(&st);
	if (err)
		goto out;
	cbpf_print_deleted(ctx->json, "network", argv[1]);
out:
	state_close(&st);
	return err;
}

static const struct cbpf_opt set_opts[] = {
    {"mode", 'o', "bridge|vepa|private|passthru", "the new macvlan mode"},
    {NULL, 0, NULL, NULL},
};

static int net_set(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *mode = NULL;
	struct cbpf_network *net;
	struct cbpf_state st;
	int opt, err;

	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, set_opts, "net set")) != -1) {
		if (opt != 'o')
			return -EINVAL;
		mode = optarg;
	}
	if (optind != argc - 1 || !mode) {
		cbpf_err("net set: usage: net set NAME --mode bridge|vepa|private|passthru");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	net = state_find_net(&st, argv[optind]);
	if (!net) {
		cbpf_err("net set %s: no such network", argv[optind]);
		err = -ENOENT;
	} else if (net->model != CBPF_MODEL_MACVLAN) {
		cbpf_err("net set %s: --mode applies to macvlan networks; %s is %s", net->name,
			 net->name, cbpf_model_name(net->model));
		err = -EINVAL;
	} else {
		err = macvlan_set_mode(&st, net, mode);
	}
	err = err ?: state_commit(&st);
	if (!err) {
		if (ctx->json)
			cbpf_print_json(net_json(net));
		else
			printf("network %s: mode %s\n", net->name, mode);
	}
	state_close(&st);
	return err;
}

const struct cbpf_cmd cbpf_net_cmds[] = {
    {.name = "create",
     .run = net_create,
     .args = "NAME --subnet CIDR [OPTIONS]",
     .help = "create a network",
     .opts = create_opts,
     .example = "net create front --subnet 10.20.0.0/24 --icc off"},
    {.name = "list",
     .run = net_list,
     .help = "list networks",
     .example = "net list",
     .alias = "ls"},
    {.name = "delete",
     .run = net_delete,
     .args = "NAME",
     .help = "delete a network without endpoints",
     .example = "net delete front",
     .alias = "rm"},
    {.name = "inspect",
     .run = net_inspect,
     .args = "NAME",
     .help = "everything about a network: record, map entries, endpoints, rules, counters",
     .example = "net inspect front"},
    {.name = "set",
     .run = net_set,
     .args = "NAME --mode MODE",
     .help = "change a macvlan network's mode",
     .opts = set_opts,
     .example = "net set lan --mode vepa"},
    {0},
};
