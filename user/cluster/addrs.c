/*
 * Addresses of overlay networks are cluster-wide: each one is a key addrs/<net>/<ip> created
 * only if absent, under the owner node's lease (a dead node's addresses free themselves). `ep
 * add`, `ep connect` and `ep move --net` claim their address before the endpoint is made (the
 * lowest free one without --ip) and gives it back if the endpoint cannot be made; the publisher
 * claims the addresses of endpoints that existed before (and again after a lost lease) and releases
 * deleted ones.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "agent/agent.h"
#include "cluster/cluster_int.h"
#include "network.h"

#define ADDR_ATTEMPTS 16 /* racing hosts: each loss moves to the next free address */

void addr_key(const char *net, uint32_t ip, char *key, size_t len)
{
	char text[CBPF_IP_STRLEN];

	cbpf_format_ip(ip, text);
	snprintf(key, len, CLUSTER_ADDRS "%s/%s", net, text);
}

void addr_value(const char *ep, const char *node, char *value, size_t len)
{
	snprintf(value, len, "{\"endpoint\":\"%s\",\"node\":\"%s\"}", ep, node);
}

int addr_claim(struct etcd_client *e, const char *node, int64_t lease, const char *net, uint32_t ip,
	       const char *ep, char *owner, size_t owner_len)
{
	char key[sizeof(CLUSTER_ADDRS) + CBPF_NAME_MAX + CBPF_IP_STRLEN + 2], value[256];
	const char *their_ep, *their_node;
	json_object *obj;
	struct etcd_kv kv;
	int err;

	addr_key(net, ip, key, sizeof(key));
	addr_value(ep, node, value, sizeof(value));
	err = etcd_create(e, key, value, strlen(value), lease, NULL);
	if (err != -EEXIST)
		return err;
	err = etcd_get(e, key, &kv, NULL);
	if (err)
		return err;
	obj = json_tokener_parse(kv.value);
	their_ep = json_object_get_string(json_object_object_get(obj, "endpoint"));
	their_node = json_object_get_string(json_object_object_get(obj, "node"));
	if (their_ep && their_node && !strcmp(their_ep, ep) && !strcmp(their_node, node)) {
		/* ours from a former lease: moved to the current one */
		err = etcd_cas(e, key, kv.mod_revision, value, strlen(value), lease, NULL);
	} else {
		snprintf(owner, owner_len, "endpoint %s on node %s", their_ep ?: "?",
			 their_node ?: "?");
		err = -EEXIST;
	}
	json_object_put(obj);
	free(kv.key);
	free(kv.value);
	return err;
}

int addr_release(struct etcd_client *e, const char *net, uint32_t ip)
{
	char key[sizeof(CLUSTER_ADDRS) + CBPF_NAME_MAX + CBPF_IP_STRLEN + 2];

	addr_key(net, ip, key, sizeof(key));
	return etcd_delete(e, key, NULL);
}

static bool addr_used(const struct cbpf_state *st, const struct cbpf_network *net, uint32_t ip,
		      const struct etcd_kv *kvs, size_t n)
{
	char key[sizeof(CLUSTER_ADDRS) + CBPF_NAME_MAX + CBPF_IP_STRLEN + 2];

	if (ip == net->gateway)
		return true;
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip == ip && !strcmp(st->eps[i].net, net->name))
			return true;
	addr_key(net->name, ip, key, sizeof(key));
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kvs[i].key, key))
			return true;
	return false;
}

/* The lowest address of net free here and in the cluster; 0 when there is none. */
static int addr_free(struct cluster *c, struct cbpf_ctx *ctx, const char *net_name, uint32_t *ip)
{
	char prefix[sizeof(CLUSTER_ADDRS) + CBPF_NAME_MAX + 1];
	struct etcd_kv *kvs = NULL;
	struct cbpf_network *net;
	struct cbpf_state st;
	size_t n = 0;
	int err;

	snprintf(prefix, sizeof(prefix), CLUSTER_ADDRS "%s/", net_name);
	err = etcd_get_prefix(c->cmd_etcd, prefix, NULL, 0, 0, &kvs, &n, NULL, NULL);
	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (!err) {
		net = state_find_net(&st, net_name);
		*ip = 0;
		for (uint32_t i = 1; net && cbpf_cidr_host(&net->subnet, i); i++) {
			if (!addr_used(&st, net, cbpf_cidr_host(&net->subnet, i), kvs, n)) {
				*ip = cbpf_cidr_host(&net->subnet, i);
				break;
			}
		}
		state_close(&st);
	}
	etcd_kvs_free(kvs, n);
	return err;
}

static bool overlay_net(struct cbpf_ctx *ctx, const char *name)
{
	struct cbpf_state st;
	struct cbpf_network *net;
	bool overlay;

	if (!name || state_open(ctx->state_dir, &st))
		return false;
	net = state_find_net(&st, name);
	overlay = net && net->model == CBPF_MODEL_OVERLAY;
	state_close(&st);
	return overlay;
}

int64_t cluster_lease(struct cluster *c)
{
	int64_t lease;

	pthread_mutex_lock(&c->m);
	lease = c->beat_lease;
	pthread_mutex_unlock(&c->m);
	return lease;
}

int cluster_ep_add(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name = cluster_operand(argc, argv), *net = cluster_option(argc, argv, "net");
	const char *ip_text = cluster_option(argc, argv, "ip"), *verb = argv[1];
	char owner[160] = "", ip_buf[CBPF_IP_STRLEN], record[CBPF_NAME_MAX * 2];
	char **words = calloc(argc + 3, sizeof(*words));
	int64_t lease = cluster_lease(c);
	uint32_t ip = 0;
	int err = 0;

	if (!words)
		return -ENOMEM;
	memcpy(words, argv, argc * sizeof(*words));
	if (!name || strchr(name, '@') || !overlay_net(ctx, net) ||
	    (ip_text && cbpf_parse_ip(ip_text, &ip))) {
		/* not a cluster address, or bad input the command itself reports */
		err = cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc, argv);
		free(words);
		return err;
	}
	/* A further interface's address is claimed under its record's name, as it is published. */
	if (!strcmp(verb, "connect"))
		snprintf(record, sizeof(record), "%s@%s", name, net);
	else
		snprintf(record, sizeof(record), "%s", name);
	if (!lease) {
		cbpf_err(
		    "ep %s %s: this node is not registered in the cluster (is etcd reachable?)",
		    verb, name);
		free(words);
		return -EAGAIN;
	}
	for (int attempt = 0; attempt < ADDR_ATTEMPTS; attempt++) {
		if (!ip_text) {
			err = addr_free(c, ctx, net, &ip);
			if (!err && !ip) {
				cbpf_err("ep %s %s: no free address left in network %s", verb, name,
					 net);
				err = -ENOSPC;
				break;
			}
		}
		err = err
			  ?: addr_claim(c->cmd_etcd, c->node, lease, net, ip, record, owner,
					sizeof(owner));
		if (err == -EEXIST && !ip_text)
			continue;
		break;
	}
	cbpf_format_ip(ip, ip_buf);
	if (err == -EEXIST) {
		cbpf_err("ep %s %s: address %s of network %s is taken in the cluster by %s", verb,
			 name, ip_buf, net, owner);
		free(words);
		return err;
	}
	if (err) {
		cbpf_err("ep %s %s: claiming an address in the cluster: %s", verb, name,
			 etcd_errmsg(c->cmd_etcd));
		free(words);
		return cluster_unavailable(err);
	}
	if (!ip_text) {
		words[argc] = "--ip";
		words[argc + 1] = ip_buf;
		argc += 2;
	}
	err = cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc, words);
	if (err && addr_release(c->cmd_etcd, net, ip))
		cbpf_err("ep %s %s: address %s not given back to the cluster: %s", verb, name,
			 ip_buf, etcd_errmsg(c->cmd_etcd));
	free(words);
	return err;
}
