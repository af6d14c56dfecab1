/*
 * Moves between hosts: `ep move NAME --netns NS` on h2 takes over endpoint NAME of node h1 with
 * its address. h2 makes the endpoint in NS first, then takes endpoints/NAME and addrs/<net>/<ip>
 * with one transaction that holds only if neither key changed since h2 read them (h1 moving or
 * deleting it meanwhile wins, and h2 undoes its endpoint). h2 then announces the address with a
 * gratuitous ARP; h1 sees its endpoint's key name h2 and removes its own endpoint and the
 * address's conntrack entries (cluster_moved_away, learn.c); every other host repoints it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "agent/agent.h"
#include "core/log.h"
#include "cluster/cluster_int.h"
#include "net/garp.h"
#include "core/output.h"
#include "network.h"

/* The further interfaces (NAME@NET) the owner has of the endpoint, as "a, b" in names. */
static int further_interfaces(struct cluster *c, const char *name, char *names, size_t len)
{
	char prefix[sizeof(CLUSTER_ENDPOINTS) + CBPF_NAME_MAX + 1];
	struct etcd_kv *kvs = NULL;
	size_t n = 0, used = 0;
	int err;

	snprintf(prefix, sizeof(prefix), CLUSTER_ENDPOINTS "%s@", name);
	err = etcd_get_prefix(c->cmd_etcd, prefix, NULL, 0, 0, &kvs, &n, NULL, NULL);
	names[0] = '\0';
	for (size_t i = 0; !err && i < n && used < len; i++)
		used += snprintf(names + used, len - used, "%s%s", i ? ", " : "",
				 kvs[i].key + strlen(CLUSTER_ENDPOINTS));
	etcd_kvs_free(kvs, n);
	return err;
}

/* Reads what the move compares: the endpoint's record and its address key's revision. */
static int read_owner(struct cluster *c, const char *name, struct mirror_ep *ep, int64_t *ep_rev,
		      int64_t *addr_rev)
{
	char key[sizeof(CLUSTER_ADDRS) + 2 * CBPF_NAME_MAX], ip[CBPF_IP_STRLEN];
	struct etcd_kv kv;
	int err;

	snprintf(key, sizeof(key), CLUSTER_ENDPOINTS "%s", name);
	err = etcd_get(c->cmd_etcd, key, &kv, NULL);
	if (err == -ENOENT) {
		cbpf_err("ep move %s: no such endpoint in the cluster", name);
		return err;
	}
	if (err) {
		cbpf_err("ep move %s: reading the cluster: %s", name, etcd_errmsg(c->cmd_etcd));
		return cluster_unavailable(err);
	}
	*ep_rev = kv.mod_revision;
	err = mirror_ep_parse(name, kv.value, ep);
	free(kv.key);
	free(kv.value);
	if (err) {
		cbpf_err("ep move %s: the cluster's record of it is not an endpoint", name);
		return err;
	}
	addr_key(ep->net, ep->ip, key, sizeof(key));
	err = etcd_get(c->cmd_etcd, key, &kv, NULL);
	*addr_rev = 0;
	if (!err) {
		*addr_rev = kv.mod_revision;
		free(kv.key);
		free(kv.value);
	} else if (err != -ENOENT) {
		cbpf_format_ip(ep->ip, ip);
		cbpf_err("ep move %s: reading address %s: %s", name, ip, etcd_errmsg(c->cmd_etcd));
		return cluster_unavailable(err);
	}
	return 0;
}

/* The endpoint made here, as ep add makes it, in place of the learned record of the owner's. */
static int make_here(struct cbpf_ctx *ctx, const struct mirror_ep *ep, const char *netns,
		     struct cbpf_endpoint *made)
{
	char ip[CBPF_IP_STRLEN], name[CBPF_NAME_MAX], net[CBPF_NAME_MAX], ns[CBPF_PATH_MAX];
	char *del[] = {"ep", "del", name};
	char *add[] = {"ep", "add", name, "--net", net, "--netns", ns, "--ip", ip};
	struct cbpf_endpoint *have;
	struct cbpf_network *local_net;
	struct cbpf_state st;
	bool learned = false;
	int err;

	snprintf(name, sizeof(name), "%s", ep->name);
	snprintf(net, sizeof(net), "%s", ep->net);
	snprintf(ns, sizeof(ns), "%s", netns);
	cbpf_format_ip(ep->ip, ip);
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	local_net = state_find_net(&st, ep->net);
	have = state_find_ep(&st, ep->name);
	if (!local_net || local_net->model != CBPF_MODEL_OVERLAY) {
		cbpf_err(
		    "ep move %s: network %s of the endpoint is no overlay network of this host",
		    ep->name, ep->net);
		err = -ENOENT;
	} else if (have && state_ep_is_local(have)) {
		cbpf_err("ep move %s: this host has a local endpoint of that name", ep->name);
		err = -EEXIST;
	}
	learned = have != NULL;
	state_close(&st);
	if (!err && learned)
		err = run_quiet(ctx, 3, del);
	err = err ?: run_quiet(ctx, 9, add);
	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (!err) {
		have = state_find_ep(&st, ep->name);
		if (have)
			*made = *have;
		err = have ? 0 : -ENOENT;
		state_close(&st);
	}
	return err;
}

/* Owner and address change in one transaction, if neither key changed since they were read. */
static int take_keys(struct cluster *c, const struct mirror_ep *mine, int64_t ep_rev,
		     int64_t addr_rev, int64_t lease, bool *won)
{
	char ep_key[sizeof(CLUSTER_ENDPOINTS) + CBPF_NAME_MAX];
	char addr[sizeof(CLUSTER_ADDRS) + 2 * CBPF_NAME_MAX], addr_val[256];
	char *value = mirror_ep_value(mine);
	struct etcd_cmp cmps[2] = {
	    {.key = ep_key, .target = ETCD_CMP_MOD, .revision = ep_rev},
	    /* an address key that was absent must still be absent */
	    {.key = addr,
	     .target = addr_rev ? ETCD_CMP_MOD : ETCD_CMP_CREATE,
	     .revision = addr_rev},
	};
	struct etcd_op ops[2] = {
	    {.type = ETCD_OP_PUT, .key = ep_key, .value = value, .lease = lease},
	    {.type = ETCD_OP_PUT, .key = addr, .value = addr_val, .lease = lease},
	};
	int err;

	if (!value)
		return -ENOMEM;
	snprintf(ep_key, sizeof(ep_key), CLUSTER_ENDPOINTS "%s", mine->name);
	addr_key(mine->net, mine->ip, addr, sizeof(addr));
	addr_value(mine->name, mine->node, addr_val, sizeof(addr_val));
	ops[0].value_len = strlen(value);
	ops[1].value_len = strlen(addr_val);
	err = etcd_txn(c->cmd_etcd, cmps, 2, ops, 2, won, NULL);
	free(value);
	return err;
}

static void print_moved(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
			const char *from)
{
	char ip[CBPF_IP_STRLEN];

	cbpf_format_ip(ep->ip, ip);
	if (ctx->json) {
		json_object *doc = state_ep_json(ep);

		json_object_object_add(doc, "moved_from", json_object_new_string(from));
		cbpf_print_json(doc);
	} else {
		printf("moved endpoint %s from node %s to this host: %s in netns %s, network %s\n",
		       ep->name, from, ip, ep->netns, ep->net);
	}
}

int cluster_ep_takeover(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name = cluster_operand(argc, argv),
		   *netns = cluster_option(argc, argv, "netns");
	char further[512], owner[CBPF_NAME_MAX], undo_name[CBPF_NAME_MAX];
	char *undo[] = {"ep", "del", undo_name};
	int64_t lease = cluster_lease(c), ep_rev = 0, addr_rev = 0;
	struct cbpf_endpoint made;
	struct mirror_ep ep;
	bool won = false;
	int err;

	if (!name || strchr(name, '@')) {
		cbpf_err("ep move: usage: ep move NAME --netns NS (NAME an endpoint of another "
			 "node, not one of its further interfaces)");
		return -EINVAL;
	}
	if (!lease) {
		cbpf_err("ep move %s: this node is not registered in the cluster (is etcd "
			 "reachable?)",
			 name);
		return -EAGAIN;
	}
	err = read_owner(c, name, &ep, &ep_rev, &addr_rev);
	if (err)
		return err;
	snprintf(owner, sizeof(owner), "%s", ep.node);
	if (!strcmp(owner, c->node)) {
		cbpf_err("ep move %s: the endpoint lives on this node already (move it to another "
			 "namespace with ep del and ep add)",
			 name);
		return -EEXIST;
	}
	err = further_interfaces(c, name, further, sizeof(further));
	if (err) {
		cbpf_err("ep move %s: reading the cluster: %s", name, etcd_errmsg(c->cmd_etcd));
		return cluster_unavailable(err);
	}
	if (further[0]) {
		cbpf_err("ep move %s: node %s refuses: the endpoint has further interfaces there "
			 "(%s); disconnect them first",
			 name, owner, further);
		return -EBUSY;
	}
	err = make_here(ctx, &ep, netns, &made);
	if (err)
		return err;
	snprintf(ep.node, sizeof(ep.node), "%s", c->node);
	memcpy(ep.mac, made.mac, sizeof(ep.mac));
	err = take_keys(c, &ep, ep_rev, addr_rev, lease, &won);
	if (err || !won) {
		if (err)
			cbpf_err("ep move %s: taking it over in the cluster: %s; nothing moved",
				 name, etcd_errmsg(c->cmd_etcd));
		else
			cbpf_err("ep move %s: node %s changed or deleted the endpoint during the "
				 "move; nothing moved",
				 name, owner);
		snprintf(undo_name, sizeof(undo_name), "%s", name);
		if (run_quiet(ctx, 3, undo))
			cbpf_err("ep move %s: the endpoint made here could not be removed again",
				 name);
		return err ? cluster_unavailable(err) : -ECANCELED;
	}
	err = garp_announce(made.netns, made.ifname, made.ip, made.mac);
	if (err)
		agent_log(LOG_LVL_WARN, "cluster: ep move %s: gratuitous ARP from %s in %s: %s",
			  name, made.ifname, made.netns, strerror(-err));
	else
		agent_log(LOG_LVL_INFO,
			  "cluster: endpoint %s taken over from node %s; gratuitous ARP sent", name,
			  owner);
	print_moved(ctx, &made, owner);
	cluster_kick(c);
	return 0;
}

bool cluster_moved_away(const struct cluster *c, const struct cbpf_endpoint *have,
			const struct mirror_ep *ep)
{
	for (size_t i = 0; i < c->n_published; i++) {
		const struct mirror_ep *mine = &c->published[i];

		if (!strcmp(mine->name, have->name))
			return !mine->warned && strcmp(ep->node, c->node) && ep->ip == have->ip &&
			       !strcmp(ep->net, have->net);
	}
	return false;
}
