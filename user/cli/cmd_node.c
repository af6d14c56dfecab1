/* node add | del | list: the hosts this one tunnels to, and itself. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "cli/table.h"
#include "cluster/view.h"
#include "cli/commands.h"
#include "link/nl.h"
#include "json/obj_json.h"
#include "core/output.h"
#include "overlay.h"
#include "store/state.h"
#include "reconcile/sync.h"

/* A connected UDP socket asks the routing table without sending anything. */
static int underlay_reachable(uint32_t ip)
{
	struct sockaddr_in addr = {
	    .sin_family = AF_INET,
	    .sin_port = htons(CBPF_VXLAN_PORT),
	    .sin_addr.s_addr = ip,
	};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		err = -errno;
	close(fd);
	return err;
}

/* The local node's underlay interface ends tunnels: it carries the underlay program. */
static int attach_underlay(struct cbpf_ctx *ctx, const struct cbpf_node *node)
{
	unsigned int ifindex = if_nametoindex(node->ifname);
	int err = ifindex ? cbpf_attach(ctx, ifindex, CBPF_HOOK_UNDERLAY) : -ENODEV;

	if (err)
		cbpf_err("node add %s: attach the tunnel program to %s: %s", node->name,
			 node->ifname, strerror(-err));
	return err;
}

static const struct cbpf_opt add_opts[] = {
    {"underlay", 'u', "ADDR", "the node's underlay address (this host's: the tunnel end)"},
    {NULL, 0, NULL, NULL},
};

static int node_add(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *underlay = NULL, *name;
	struct cbpf_node node = {0};
	struct nl_sock *sock;
	struct cbpf_state st;
	int opt, err;

	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, add_opts, "node add")) != -1) {
		if (opt != 'u')
			return -EINVAL;
		underlay = optarg;
	}
	if (optind != argc - 1 || !underlay) {
		cbpf_err("node add: usage: node add NAME --underlay ADDR");
		return -EINVAL;
	}
	name = argv[optind];
	if (!state_valid_name(name)) {
		cbpf_err("node add %s: invalid name (%s)", name, CBPF_NAME_RULE);
		return -EINVAL;
	}
	if (cbpf_parse_ip(underlay, &node.underlay_ip)) {
		cbpf_err("node add %s: underlay address '%s' is not an IPv4 address", name,
			 underlay);
		return -EINVAL;
	}
	if (cbpf_ip_not_unicast(node.underlay_ip)) {
		cbpf_err("node add %s: underlay address %s lies in %s: not a unicast address of a "
			 "host",
			 name, underlay, cbpf_ip_not_unicast(node.underlay_ip));
		return -EINVAL;
	}
	snprintf(node.name, sizeof(node.name), "%s", name);
	err = underlay_reachable(node.underlay_ip);
	if (err) {
		cbpf_err("node add %s: underlay address %s is not reachable from this host: %s",
			 name, underlay, strerror(-err));
		return err;
	}
	err = nl_sock_open(-1, &sock);
	if (err) {
		cbpf_err("node add %s: netlink socket: %s", name, strerror(-err));
		return err;
	}
	nl_addr_owner(sock, node.underlay_ip, node.ifname);
	nl_sock_close(sock);

	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	for (size_t i = 0; i < st.n_nodes; i++) {
		if (!strcmp(st.nodes[i].name, name)) {
			cbpf_err("node add %s: node already exists", name);
			err = -EEXIST;
		} else if (st.nodes[i].underlay_ip == node.underlay_ip) {
			cbpf_err("node add %s: underlay address %s belongs to node %s", name,
				 underlay, st.nodes[i].name);
			err = -EEXIST;
		}
		if (err)
			goto out;
	}
	if (node.ifname[0] && state_local_node(&st)) {
		cbpf_err("node add %s: this host is already node %s", name,
			 state_local_node(&st)->name);
		err = -EEXIST;
		goto out;
	}
	if (node.ifname[0]) {
		err = attach_underlay(ctx, &node);
		if (err)
			goto out;
	}
	err = state_add_node(&st, &node) ? 0 : -ENOMEM;
	/*
	 * No map entry names a peer before its endpoints are added, so only this host's own node
	 * changes the maps; a full sync per peer made a cluster of 100 nodes rewrite every map
	 * 100 times while it was learned.
	 */
	err = err ?: (node.ifname[0] ? sync_all_if_loaded(ctx, &st) : 0);
	err = err ?: state_commit(&st);
	if (err)
		goto out;
	if (ctx->json)
		cbpf_print_json(node_json(&node));
	else
		printf("added node %s (%s%s%s)\n", name, underlay,
		       node.ifname[0] ? ", this host on " : "", node.ifname);
out:
	state_close(&st);
	return err;
}

static int node_del(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_state st;
	struct cbpf_node *node;
	size_t removed = 0;
	bool peer;
	int err;

	if (argc != 2) {
		cbpf_err("node del: usage: node del NAME");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	node = state_find_node(&st, argv[1]);
	if (!node) {
		cbpf_err("node del %s: no such node", argv[1]);
		err = -ENOENT;
		goto out;
	}
	if (node->ifname[0]) {
		unsigned int ifindex = if_nametoindex(node->ifname);

		if (ifindex)
			cbpf_detach(ctx, ifindex);
	}
	/* A node that leaves takes its endpoints with it, from every map. */
	for (size_t i = st.n_eps; i-- > 0;) {
		if (strcmp(st.eps[i].node, node->name))
			continue;
		state_remove_rules_naming(&st, "ep", st.eps[i].name);
		state_remove_ep(&st, &st.eps[i]);
		removed++;
	}
	peer = !node->ifname[0];
	state_remove_node(&st, node);
	/* A peer whose endpoints went already is in no map entry (see node add). */
	err = peer && !removed ? 0 : sync_all_if_loaded(ctx, &st);
	err = err ?: state_commit(&st);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "deleted", json_object_new_string(argv[1]));
		json_object_object_add(doc, "endpoints_removed", json_object_new_int64(removed));
		cbpf_print_json(doc);
	} else {
		printf("deleted node %s and its %zu endpoint(s)\n", argv[1], removed);
	}
out:
	state_close(&st);
	return err;
}

static const struct cluster_node_view *view_find(const struct cluster_node_view *v, size_t n,
						 const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

/* What the cluster knows of a node (nothing outside cluster mode or for a hand-added node). */
static void add_view(json_object *obj, const struct cluster_node_view *v)
{
	if (!v)
		return;
	json_object_object_add(obj, "state", json_object_new_string(v->alive ? "ready" : "dead"));
	json_object_object_add(obj, "since_s", json_object_new_double(v->changed_age));
	if (v->heartbeat_age >= 0)
		json_object_object_add(obj, "heartbeat_age_s",
				       json_object_new_double(v->heartbeat_age));
	json_object_object_add(obj, "endpoints", json_object_new_int64(v->endpoints));
}

static void node_row(struct cli_table *t, json_object *node)
{
	json_object *hb = json_object_object_get(node, "heartbeat_age_s");
	json_object *state = json_object_object_get(node, "state");
	json_object *ifname = json_object_object_get(node, "ifname");
	json_object *eps = json_object_object_get(node, "endpoints");
	char age[32] = "";

	if (hb)
		snprintf(age, sizeof(age), "%.1fs", json_object_get_double(hb));
	cli_table_row(t, json_object_get_string(json_object_object_get(node, "name")),
		      json_object_get_string(json_object_object_get(node, "underlay")),
		      ifname ? json_object_get_string(ifname) : NULL,
		      state ? json_object_get_string(state) : NULL, age,
		      eps ? json_object_get_string(eps) : NULL);
}

static int node_list(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cluster_node_view *view;
	struct cli_table t;
	struct cbpf_state st;
	json_object *list;
	size_t n_view;
	int err;

	(void)argv;
	if (argc != 1) {
		cbpf_err("node list: takes no arguments");
		return -EINVAL;
	}
	err = cluster_view_get(&view, &n_view);
	if (err) {
		cbpf_err("node list: %s", strerror(-err));
		return err;
	}
	err = state_open(ctx->state_dir, &st);
	if (err) {
		free(view);
		return err;
	}
	list = json_object_new_array();
	for (size_t i = 0; i < st.n_nodes; i++) {
		json_object *obj = node_json(&st.nodes[i]);

		add_view(obj, view_find(view, n_view, st.nodes[i].name));
		json_object_array_add(list, obj);
	}
	/* Nodes that died: gone from the state, remembered by the cluster view. */
	for (size_t i = 0; i < n_view; i++) {
		struct cbpf_node gone = {.underlay_ip = view[i].underlay};
		json_object *obj;

		if (state_find_node(&st, view[i].name))
			continue;
		snprintf(gone.name, sizeof(gone.name), "%s", view[i].name);
		obj = node_json(&gone);
		add_view(obj, &view[i]);
		json_object_array_add(list, obj);
	}
	state_close(&st);
	free(view);
	if (ctx->json) {
		cbpf_print_json(list);
		return 0;
	}
	cli_table_init(&t, "NAME", "UNDERLAY", "LOCAL", "STATE", "HEARTBEAT", "ENDPOINTS", NULL);
	for (size_t i = 0; i < json_object_array_length(list); i++)
		node_row(&t, json_object_array_get_idx(list, i));
	json_object_put(list);
	return cli_table_print(&t, stdout);
}

const struct cbpf_cmd cbpf_node_cmds[] = {
    {.name = "add",
     .run = node_add,
     .args = "NAME --underlay ADDR",
     .help = "add a peer host, or this one when ADDR is its own",
     .opts = add_opts,
     .example = "node add h2 --underlay 198.18.0.2"},
    {.name = "del",
     .run = node_del,
     .args = "NAME",
     .help = "delete a node and its endpoints",
     .example = "node del h2",
     .alias = "rm"},
    {.name = "list",
     .run = node_list,
     .help = "list nodes (and their state in cluster mode)",
     .example = "node list",
     .alias = "ls"},
    {0},
};
