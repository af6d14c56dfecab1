/*
 * Overlay networks are cluster-wide: `net create` of one claims, in one transaction, its name
 * (networks/<net>) and its VNI (vnis/<vni>[.<vlan>]), so two hosts never give one VNI to two
 * networks, and every other host creates it from the watch. A network the cluster already has
 * is created here with the cluster's VNI; without --vni, the lowest VNI free in the cluster and
 * on this host is taken. The local command runs first and is undone if the claim fails, so a
 * failure leaves nothing half-made.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "agent/agent.h"
#include "core/log.h"
#include "cluster/cluster_int.h"
#include "network.h"

#define VNI_FIRST    4096 /* as `net create` picks on one host */
#define VNI_ATTEMPTS 8	  /* racing hosts: each loss moves to the next free VNI */

/* The value of --NAME (as "--NAME V" or "--NAME=V"), or NULL. */
const char *cluster_option(int argc, char **argv, const char *name)
{
	size_t len = strlen(name);

	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "--", 2) || strncmp(argv[i] + 2, name, len))
			continue;
		if (argv[i][2 + len] == '=')
			return argv[i] + 3 + len;
		if (!argv[i][2 + len] && i + 1 < argc)
			return argv[i + 1];
	}
	return NULL;
}

/* The network's name: the word after "create"/"del" that is neither option nor value. */
const char *cluster_operand(int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2)) {
			if (!strchr(argv[i], '=') && strcmp(argv[i], "--host-access"))
				i++;
			continue;
		}
		return argv[i];
	}
	return NULL;
}

int run_quiet(struct cbpf_ctx *ctx, int argc, char **argv)
{
	FILE *saved = stdout, *null = fopen("/dev/null", "w");
	int err;

	if (null)
		stdout = null;
	err = cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc, argv);
	stdout = saved;
	if (null)
		fclose(null);
	return err;
}

static int local_net(struct cbpf_ctx *ctx, const char *name, struct cbpf_network *out)
{
	struct cbpf_state st;
	struct cbpf_network *net;
	int err = state_open(ctx->state_dir, &st);

	if (err)
		return err;
	net = state_find_net(&st, name);
	if (net)
		*out = *net;
	state_close(&st);
	return net ? 0 : -ENOENT;
}

/* The lowest VNI free in the cluster (vnis/ keys) and on this host, for VLAN vlan. */
static int free_vni(struct cluster *c, struct cbpf_ctx *ctx, uint16_t vlan, uint32_t *vni)
{
	struct etcd_kv *kvs = NULL;
	struct cbpf_state st;
	size_t n = 0;
	char key[64];
	int err;

	err = etcd_get_prefix(c->cmd_etcd, CLUSTER_VNIS, NULL, 0, 0, &kvs, &n, NULL, NULL);
	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	for (uint32_t v = VNI_FIRST; !err; v++) {
		bool used = false;

		mirror_vni_key(v, vlan, key, sizeof(key));
		for (size_t i = 0; i < n && !used; i++)
			used = !strcmp(kvs[i].key, key);
		for (size_t i = 0; i < st.n_nets && !used; i++)
			used = st.nets[i].model == CBPF_MODEL_OVERLAY && st.nets[i].vni == v &&
			       st.nets[i].vlan == vlan;
		if (!used) {
			*vni = v;
			break;
		}
	}
	if (!err)
		state_close(&st);
	etcd_kvs_free(kvs, n);
	return err;
}

/*
 * Claims the network's name and VNI. Returns 0 when claimed or when the cluster has this very
 * network already; -EEXIST with *taken_by set when the VNI is another network's; -EEXIST with
 * theirs filled when the name is a network with other options.
 */
static int claim(struct cluster *c, const struct mirror_net *net, char *taken_by,
		 struct mirror_net *theirs)
{
	char net_key[sizeof(CLUSTER_NETWORKS) + CBPF_NAME_MAX], vni_key[64], vni_val[96];
	char *value = mirror_net_value(net);
	struct etcd_cmp cmps[2] = {
	    {.key = net_key, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL},
	    {.key = vni_key, .target = ETCD_CMP_CREATE, .result = ETCD_CMP_EQUAL},
	};
	struct etcd_op ops[2] = {
	    {.type = ETCD_OP_PUT, .key = net_key},
	    {.type = ETCD_OP_PUT, .key = vni_key, .value = vni_val},
	};
	json_object *owner;
	struct etcd_kv kv;
	bool ok;
	int err;

	if (!value)
		return -ENOMEM;
	snprintf(net_key, sizeof(net_key), CLUSTER_NETWORKS "%s", net->name);
	mirror_vni_key(net->vni, net->vlan, vni_key, sizeof(vni_key));
	snprintf(vni_val, sizeof(vni_val), "{\"net\":\"%s\"}", net->name);
	ops[0].value = value;
	ops[0].value_len = strlen(value);
	ops[1].value_len = strlen(vni_val);
	err = etcd_txn(c->cmd_etcd, cmps, 2, ops, 2, &ok, NULL);
	free(value);
	if (err || ok)
		return err;
	err = etcd_get(c->cmd_etcd, net_key, &kv, NULL);
	if (!err) {
		err = mirror_net_parse(net->name, kv.value, theirs) ?: -EEXIST;
		free(kv.key);
		free(kv.value);
		return err == -EEXIST && mirror_net_same(theirs, net) ? 0 : err;
	}
	if (err != -ENOENT)
		return err;
	err = etcd_get(c->cmd_etcd, vni_key, &kv, NULL);
	if (err)
		return err == -ENOENT ? -ECANCELED : err; /* its owner went meanwhile */
	owner = json_tokener_parse(kv.value);
	snprintf(taken_by, CBPF_NAME_MAX, "network %s",
		 json_object_get_string(json_object_object_get(owner, "net")) ?: "?");
	json_object_put(owner);
	free(kv.key);
	free(kv.value);
	return -EEXIST;
}

static int net_create(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name = cluster_operand(argc, argv),
		   *model = cluster_option(argc, argv, "model");
	bool auto_vni = !cluster_option(argc, argv, "vni") && model && !strcmp(model, "overlay");
	char vni_text[16], taken_by[CBPF_NAME_MAX] = "", *del[] = {"net", "delete", NULL, NULL};
	char **words = calloc(argc + 3, sizeof(*words));
	struct mirror_net mine, theirs = {0};
	struct cbpf_network local;
	uint32_t vni = 0;
	int err = 0;

	if (!words)
		return -ENOMEM;
	if (!name) {
		free(words);
		return cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc, argv);
	}
	for (int attempt = 0; attempt < VNI_ATTEMPTS; attempt++) {
		memcpy(words, argv, argc * sizeof(*words));
		if (auto_vni) {
			uint16_t vlan = cluster_option(argc, argv, "vlan")
					    ? atoi(cluster_option(argc, argv, "vlan"))
					    : 0;

			err = free_vni(c, ctx, vlan, &vni);
			if (err) {
				cbpf_err("net create %s: choosing a VNI free in the cluster: %s",
					 name, etcd_errmsg(c->cmd_etcd));
				err = cluster_unavailable(err);
				break;
			}
			snprintf(vni_text, sizeof(vni_text), "%u", vni);
			words[argc] = "--vni";
			words[argc + 1] = vni_text;
		}
		err =
		    cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc + (auto_vni ? 2 : 0), words);
		if (err || local_net(ctx, name, &local) || local.model != CBPF_MODEL_OVERLAY)
			break;
		mirror_net_from_state(&local, &mine);
		err = claim(c, &mine, taken_by, &theirs);
		if (!err)
			break;
		del[2] = (char *)name;
		run_quiet(ctx, 3, del);
		if ((err == -EEXIST && taken_by[0] && auto_vni) || err == -ECANCELED) {
			taken_by[0] = '\0';
			if (attempt + 1 < VNI_ATTEMPTS)
				continue;
			cbpf_err("net create %s: no VNI claimed in %d attempts (other hosts are "
				 "creating networks); try again",
				 name, VNI_ATTEMPTS);
			err = -EAGAIN;
		} else if (err == -EEXIST && taken_by[0])
			cbpf_err("net create %s: VNI %u%s is taken in the cluster by %s", name,
				 mine.vni, mine.vlan ? " (with its VLAN)" : "", taken_by);
		else if (err == -EEXIST)
			cbpf_err("net create %s: the cluster has network %s with other options "
				 "(VNI %u, VLAN %u): create it with the same ones",
				 name, name, theirs.vni, theirs.vlan);
		else
			cbpf_err("net create %s: not created: the cluster cannot be reached: %s",
				 name, etcd_errmsg(c->cmd_etcd));
		err = cluster_unavailable(err);
		break;
	}
	free(words);
	return err;
}

static int net_delete(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *name = cluster_operand(argc, argv);
	char net_key[sizeof(CLUSTER_NETWORKS) + CBPF_NAME_MAX], vni_key[64];
	struct etcd_op ops[2] = {{.type = ETCD_OP_DELETE, .key = net_key},
				 {.type = ETCD_OP_DELETE, .key = vni_key}};
	struct cbpf_network local;
	bool overlay, ok;
	int err;

	overlay = name && !local_net(ctx, name, &local) && local.model == CBPF_MODEL_OVERLAY;
	err = cbpf_dispatch(ctx, "cbpfnet", ctx->commands, argc, argv);
	if (err || !overlay)
		return err;
	snprintf(net_key, sizeof(net_key), CLUSTER_NETWORKS "%s", name);
	mirror_vni_key(local.vni, local.vlan, vni_key, sizeof(vni_key));
	err = etcd_txn(c->cmd_etcd, NULL, 0, ops, 2, &ok, NULL);
	if (err)
		cbpf_err(
		    "net delete %s: deleted on this host, not in the cluster (which will create "
		    "it here again): %s",
		    name, etcd_errmsg(c->cmd_etcd));
	return err;
}

int cluster_command(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv, bool *handled)
{
	*handled = false;
	if (cluster_in_thread() || argc < 2)
		return 0;
	if (!strcmp(argv[0], "ep") && !strcmp(argv[1], "move") &&
	    cluster_option(argc, argv, "netns") && !cluster_option(argc, argv, "net")) {
		*handled = true;
		return cluster_ep_takeover(c, ctx, argc, argv);
	}
	if (!strcmp(argv[0], "ep") &&
	    ((!strcmp(argv[1], "add") && cluster_option(argc, argv, "netns") &&
	      !cluster_option(argc, argv, "remote")) ||
	     !strcmp(argv[1], "connect") ||
	     (!strcmp(argv[1], "move") && cluster_option(argc, argv, "net")))) {
		*handled = true;
		return cluster_ep_add(c, ctx, argc, argv);
	}
	if (strcmp(argv[0], "net"))
		return 0;
	if (!strcmp(argv[1], "create")) {
		*handled = true;
		return net_create(c, ctx, argc, argv);
	}
	if (!strcmp(argv[1], "delete")) {
		*handled = true;
		return net_delete(c, ctx, argc, argv);
	}
	return 0;
}
