#include <bpf/bpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "link/names.h"
#include "endpoint.h"
#include "drop.h"
#include "network.h"
#include "overlay.h"
#include "policy.h"
#include "core/cmd.h"
#include "core/err.h"
#include "policy/identity.h"
#include "reconcile/policy_apply.h"
#include "reconcile/sync.h"

int sync_network(const struct cbpf_maps *maps, const struct cbpf_network *net)
{
	struct cbpf_net_key key = {.net_id = net->id};
	struct cbpf_net_value value = {
	    .gateway_ip = net->gateway,
	    .subnet = net->subnet.addr,
	    .prefix_len = net->subnet.prefix_len,
	    .model = net->model,
	    .vni = net->vni,
	    .vlan = net->vlan,
	};

	memcpy(value.gateway_mac, net->gateway_mac, sizeof(value.gateway_mac));
	if (bpf_map_update_elem(maps->networks, &key, &value, 0))
		return -errno;
	return cbpf_policy_epoch_bump(maps);
}

static int ep_value(struct cbpf_state *st, const struct cbpf_endpoint *ep,
		    const struct link_ifindex *lookup, struct cbpf_ep_value *value)
{
	struct cbpf_network *net = state_find_net(st, ep->net);
	struct cbpf_node *node;

	if (!net)
		return -ENOENT;
	memset(value, 0, sizeof(*value));
	value->identity = cbpf_ep_identity(ep);
	value->net_id = net->id;
	memcpy(value->mac, ep->mac, sizeof(value->mac));
	if (state_ep_is_local(ep)) {
		/* A macvlan endpoint has no host side: its interface lives in its own namespace. */
		bool macvlan = net->model == CBPF_MODEL_MACVLAN;
		int ifindex =
		    macvlan ? macvlan_ep_ifindex(ep) : (int)link_ifindex(lookup, ep->host_ifname);

		value->ifindex = ifindex > 0 ? ifindex : 0;
		value->flags = macvlan ? CBPF_EP_MACVLAN : CBPF_EP_LOCAL;
		return value->ifindex ? 0 : -ENODEV;
	}
	node = state_find_node(st, ep->node);
	if (!node)
		return -ENOENT;
	value->node_ip = node->underlay_ip;
	value->flags = CBPF_EP_REMOTE;
	return 0;
}

int sync_endpoint(const struct cbpf_maps *maps, struct cbpf_state *st,
		  const struct cbpf_endpoint *ep)
{
	struct cbpf_ep_key key = {.ip = ep->ip};
	struct cbpf_ep_value value;
	int err = ep_value(st, ep, NULL, &value);

	if (err)
		return err;
	if (bpf_map_update_elem(maps->endpoints, &key, &value, 0))
		return -errno;
	return cbpf_policy_epoch_bump(maps);
}

int sync_endpoint_delete(const struct cbpf_maps *maps, const struct cbpf_endpoint *ep)
{
	struct cbpf_ep_key key = {.ip = ep->ip};

	if (bpf_map_delete_elem(maps->endpoints, &key) && errno != ENOENT)
		return -errno;
	return cbpf_policy_epoch_bump(maps);
}

int sync_policy(const struct cbpf_maps *maps, struct cbpf_state *st)
{
	return policy_sync(maps, st);
}

static int sync_underlay(const struct cbpf_maps *maps, struct cbpf_state *st)
{
	struct cbpf_node *self = state_local_node(st);
	struct cbpf_underlay value = {0};
	__u32 zero = 0;

	if (self) {
		value.ifindex = if_nametoindex(self->ifname);
		value.ip = self->underlay_ip;
	}
	return bpf_map_update_elem(maps->underlay, &zero, &value, 0) ? -errno : 0;
}

int sync_segments(const struct cbpf_maps *maps, struct cbpf_state *st)
{
	struct cbpf_vni_key *keys = calloc(st->n_nets + 1, sizeof(*keys));
	struct cbpf_vni_value *values = calloc(st->n_nets + 1, sizeof(*values));
	size_t n = 0;
	int err = -ENOMEM;

	if (keys && values) {
		for (size_t i = 0; i < st->n_nets; i++) {
			if (st->nets[i].model != CBPF_MODEL_OVERLAY)
				continue;
			keys[n] =
			    (struct cbpf_vni_key){.vni = st->nets[i].vni, .vlan = st->nets[i].vlan};
			values[n++].net_id = st->nets[i].id;
		}
		err = map_replace_all(maps->vnis, keys, values, n, sizeof(*keys), sizeof(*values));
	}
	if (!err)
		err = sync_underlay(maps, st);
	free(keys);
	free(values);
	return err;
}

int sync_all(const struct cbpf_maps *maps, struct cbpf_state *st, const struct link_ifindex *lookup)
{
	struct cbpf_net_key *net_keys = calloc(st->n_nets + 1, sizeof(*net_keys));
	struct cbpf_net_value *net_values = calloc(st->n_nets + 1, sizeof(*net_values));
	struct cbpf_ep_key *ep_keys = calloc(st->n_eps + 1, sizeof(*ep_keys));
	struct cbpf_ep_value *ep_values = calloc(st->n_eps + 1, sizeof(*ep_values));
	size_t n_eps = 0;
	int err = -ENOMEM;

	if (!net_keys || !net_values || !ep_keys || !ep_values)
		goto out;
	for (size_t i = 0; i < st->n_nets; i++) {
		err = sync_network(maps, &st->nets[i]);
		if (err)
			goto out;
		net_keys[i].net_id = st->nets[i].id;
		bpf_map_lookup_elem(maps->networks, &net_keys[i], &net_values[i]);
	}
	err = map_replace_all(maps->networks, net_keys, net_values, st->n_nets, sizeof(*net_keys),
			      sizeof(*net_values));
	if (err)
		goto out;
	for (size_t i = 0; i < st->n_eps; i++) {
		/* An endpoint whose interface is gone has nothing to forward to. */
		if (ep_value(st, &st->eps[i], lookup, &ep_values[n_eps]))
			continue;
		ep_keys[n_eps++].ip = st->eps[i].ip;
	}
	err = map_replace_all(maps->endpoints, ep_keys, ep_values, n_eps, sizeof(*ep_keys),
			      sizeof(*ep_values));
	if (!err)
		err = cbpf_policy_epoch_bump(maps);
	if (!err)
		err = sync_segments(maps, st);
	if (!err)
		err = sync_policy(maps, st);
out:
	free(net_keys);
	free(net_values);
	free(ep_keys);
	free(ep_values);
	return err;
}

/*
 * Endpoints leave the maps one by one as they are deleted, so a store without endpoints next to
 * an endpoint map that has some is a store lost or replaced: a full sync would empty the map.
 */
static int refuse_lost_endpoints(const struct cbpf_maps *maps, const struct cbpf_state *st,
				 const char *bpffs)
{
	struct cbpf_ep_key key;

	if (st->n_eps || bpf_map_get_next_key(maps->endpoints, NULL, &key))
		return 0;
	cbpf_err("update maps in %s: the store %s records no endpoint but the endpoint map holds "
		 "some; refusing to empty it: restore the store, or run 'cbpfnet unload' first",
		 bpffs, st->path);
	return -EEXIST;
}

/* Pushes a state change to the maps when the datapath is loaded; otherwise `load` will. */
int sync_all_if_loaded(const struct cbpf_ctx *ctx, struct cbpf_state *st)
{
	struct cbpf_maps maps;
	char meta[256];
	int err;

	cbpf_pin_path(ctx, "cbpf_meta", meta, sizeof(meta));
	if (access(meta, F_OK))
		return 0;
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		return err;
	err = refuse_lost_endpoints(&maps, st, ctx->bpffs);
	if (!err) {
		err = sync_all(&maps, st, NULL);
		if (err)
			cbpf_err("update maps in %s: %s", ctx->bpffs, strerror(-err));
	}
	cbpf_maps_close(&maps);
	return err;
}

static size_t sort_key_size;

static int compare_keys(const void *a, const void *b)
{
	return memcmp(a, b, sort_key_size);
}

int map_replace_all(int fd, void *keys, void *values, size_t n, size_t key_size, size_t value_size)
{
	char key[64], *stale = NULL;
	size_t n_stale = 0;
	void *prev = NULL;
	int err = 0;

	if (key_size > sizeof(key))
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (char *)keys + i * key_size,
					(char *)values + i * value_size, 0))
			return -errno;
	sort_key_size = key_size;
	qsort(keys, n, key_size, compare_keys);
	/* Deleting during the walk would restart it: collect stale keys first. */
	while (!bpf_map_get_next_key(fd, prev, key)) {
		prev = key;
		if (bsearch(key, keys, n, key_size, compare_keys))
			continue;
		char *grown = realloc(stale, (n_stale + 1) * key_size);

		if (!grown) {
			free(stale);
			return -ENOMEM;
		}
		stale = grown;
		memcpy(stale + n_stale++ * key_size, key, key_size);
	}
	for (size_t i = 0; i < n_stale && !err; i++)
		if (bpf_map_delete_elem(fd, stale + i * key_size) && errno != ENOENT)
			err = -errno;
	free(stale);
	return err;
}
