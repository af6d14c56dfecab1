/*
 * net inspect, ep inspect: everything about one object in one place: its record, the map
 * entries the datapath reads for it, its hooks and counters, and the rules that name it.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <ifaddrs.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <netpacket/packet.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "cli/tree.h"
#include "cli/commands.h"
#include "endpoint.h"
#include "ep/ep.h"
#include "reconcile/loader.h"
#include "network.h"
#include "json/obj_json.h"
#include "core/output.h"
#include "overlay.h"
#include "store/state.h"

/* The kernel's counters of ifname in this namespace; NULL when it has no such link. */
static json_object *link_counters(const char *ifname)
{
	struct ifaddrs *all, *a;
	json_object *obj = NULL;

	if (!ifname[0] || getifaddrs(&all))
		return NULL;
	for (a = all; a && !obj; a = a->ifa_next) {
		const struct rtnl_link_stats *s = a->ifa_data;

		if (!a->ifa_addr || a->ifa_addr->sa_family != AF_PACKET || !s ||
		    strcmp(a->ifa_name, ifname))
			continue;
		obj = json_object_new_object();
		json_object_object_add(obj, "rx_packets", json_object_new_int64(s->rx_packets));
		json_object_object_add(obj, "rx_bytes", json_object_new_int64(s->rx_bytes));
		json_object_object_add(obj, "rx_dropped", json_object_new_int64(s->rx_dropped));
		json_object_object_add(obj, "tx_packets", json_object_new_int64(s->tx_packets));
		json_object_object_add(obj, "tx_bytes", json_object_new_int64(s->tx_bytes));
		json_object_object_add(obj, "tx_dropped", json_object_new_int64(s->tx_dropped));
	}
	freeifaddrs(all);
	return obj;
}

/* The rules of the store that name selector ("ep:a1", "net:neta") on either side. */
static json_object *rules_naming(const struct cbpf_state *st, const char *selector)
{
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < st->n_rules; i++) {
		const struct cbpf_rule *r = &st->rules[i];
		json_object *obj;

		if (strcmp(r->from, selector) && strcmp(r->to, selector))
			continue;
		obj = json_object_new_object();
		json_object_object_add(obj, "id", json_object_new_int64(r->id));
		json_object_object_add(obj, "from", json_object_new_string(r->from));
		json_object_object_add(obj, "to", json_object_new_string(r->to));
		json_object_object_add(
		    obj, "verdict",
		    json_object_new_string(r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny"));
		json_object_array_add(list, obj);
	}
	return list;
}

static json_object *ip_string(uint32_t ip)
{
	char text[CBPF_IP_STRLEN];

	cbpf_format_ip(ip, text);
	return json_object_new_string(text);
}

static json_object *mac_string(const uint8_t *mac)
{
	char text[CBPF_MAC_STRLEN];

	cbpf_format_mac(mac, text);
	return json_object_new_string(text);
}

/* cbpf_networks[id] and, for an overlay, its cbpf_vnis entry; NULL when there is none. */
static json_object *net_map_entry(const struct cbpf_maps *maps, const struct cbpf_network *net)
{
	struct cbpf_net_key key = {.net_id = net->id};
	struct cbpf_vni_key vkey = {.vni = net->vni, .vlan = net->vlan};
	struct cbpf_vni_value vvalue;
	struct cbpf_net_value v;
	json_object *obj;

	if (bpf_map_lookup_elem(maps->networks, &key, &v))
		return NULL;
	obj = json_object_new_object();
	json_object_object_add(obj, "gateway_ip", ip_string(v.gateway_ip));
	json_object_object_add(obj, "subnet", ip_string(v.subnet));
	json_object_object_add(obj, "prefix_len", json_object_new_int(v.prefix_len));
	json_object_object_add(obj, "vni", json_object_new_int64(v.vni));
	json_object_object_add(obj, "vlan", json_object_new_int(v.vlan));
	json_object_object_add(obj, "model", json_object_new_string(cbpf_model_name(v.model)));
	json_object_object_add(obj, "gateway_mac", mac_string(v.gateway_mac));
	if (net->model == CBPF_MODEL_OVERLAY && !bpf_map_lookup_elem(maps->vnis, &vkey, &vvalue))
		json_object_object_add(obj, "vni_entry_net_id", json_object_new_int(vvalue.net_id));
	return obj;
}

static json_object *ep_map_entry(const struct cbpf_maps *maps, const struct cbpf_endpoint *ep)
{
	struct cbpf_ep_key key = {.ip = ep->ip};
	struct cbpf_ep_value v;
	json_object *obj, *flags;

	if (bpf_map_lookup_elem(maps->endpoints, &key, &v))
		return NULL;
	obj = json_object_new_object();
	flags = json_object_new_array();
	if (v.flags & CBPF_EP_LOCAL)
		json_object_array_add(flags, json_object_new_string("local"));
	if (v.flags & CBPF_EP_REMOTE)
		json_object_array_add(flags, json_object_new_string("remote"));
	if (v.flags & CBPF_EP_MACVLAN)
		json_object_array_add(flags, json_object_new_string("macvlan"));
	json_object_object_add(obj, "ifindex", json_object_new_int64(v.ifindex));
	json_object_object_add(obj, "identity", json_object_new_int64(v.identity));
	json_object_object_add(obj, "net_id", json_object_new_int(v.net_id));
	json_object_object_add(obj, "node_ip", ip_string(v.node_ip));
	json_object_object_add(obj, "flags", flags);
	json_object_object_add(obj, "mac", mac_string(v.mac));
	return obj;
}

static json_object *hooks_of(const char *ifname)
{
	struct cbpf_hook_prog progs[CBPF_HOOK_PROGS_MAX];
	unsigned int ifindex = ifname[0] ? if_nametoindex(ifname) : 0;
	json_object *list;
	int n;

	if (!ifindex || (n = cbpf_hook_progs(ifindex, progs)) < 0)
		return NULL;
	list = json_object_new_array();
	for (int i = 0; i < n; i++) {
		json_object *prog = json_object_new_object();

		json_object_object_add(prog, "hook", json_object_new_string(progs[i].hook));
		json_object_object_add(prog, "name", json_object_new_string(progs[i].name));
		json_object_object_add(prog, "id", json_object_new_int64(progs[i].id));
		json_object_array_add(list, prog);
	}
	return list;
}

static int print_doc(const struct cbpf_ctx *ctx, json_object *doc)
{
	if (ctx->json) {
		cbpf_print_json(doc);
	} else {
		cli_print_tree(stdout, doc);
		json_object_put(doc);
	}
	return 0;
}

static int one_name(const char *what, int argc)
{
	if (argc == 2)
		return 0;
	cbpf_err("%s: usage: %s NAME", what, what);
	return -EINVAL;
}

int net_inspect(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_maps maps;
	struct cbpf_state st;
	const struct cbpf_network *net;
	json_object *doc, *eps, *counters;
	char selector[CBPF_NAME_MAX + 8];
	int err = one_name("net inspect", argc);
	bool loaded;

	err = err ?: state_open(ctx->state_dir, &st);
	if (err)
		return err;
	net = state_find_net(&st, argv[1]);
	if (!net) {
		cbpf_err("net inspect %s: no such network", argv[1]);
		state_close(&st);
		return -ENOENT;
	}
	loaded = !cbpf_maps_open(ctx, &maps);
	doc = net_json(net);
	eps = json_object_new_array();
	counters = json_object_new_object();
	for (size_t i = 0; i < st.n_eps; i++) {
		const struct cbpf_endpoint *ep = &st.eps[i];
		json_object *c;

		if (strcmp(ep->net, net->name))
			continue;
		json_object_array_add(eps, json_object_new_string(ep->name));
		c = link_counters(ep->host_ifname);
		if (!c)
			continue;
		/* The network's traffic: the sum over its local endpoints' host-side links. */
		json_object_object_foreach(c, key, value)
		{
			json_object *sum = json_object_object_get(counters, key);

			json_object_object_add(
			    counters, key,
			    json_object_new_int64(json_object_get_int64(value) +
						  (sum ? json_object_get_int64(sum) : 0)));
		}
		json_object_put(c);
	}
	json_object_object_add(doc, "endpoints", eps);
	snprintf(selector, sizeof(selector), "net:%s", net->name);
	json_object_object_add(doc, "rules", rules_naming(&st, selector));
	/* null when the datapath is not loaded (or, for an endpoint, not on this host) */
	json_object_object_add(doc, "map", loaded ? net_map_entry(&maps, net) : NULL);
	json_object_object_add(doc, "counters", counters);
	if (loaded)
		cbpf_maps_close(&maps);
	state_close(&st);
	return print_doc(ctx, doc);
}

int ep_inspect(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_maps maps;
	struct cbpf_state st;
	const struct cbpf_endpoint *ep;
	json_object *doc;
	char selector[CBPF_NAME_MAX + 8];
	int err = one_name("ep inspect", argc);
	bool loaded;

	err = err ?: state_open(ctx->state_dir, &st);
	if (err)
		return err;
	ep = state_find_ep(&st, argv[1]);
	if (!ep) {
		cbpf_err("ep inspect %s: no such endpoint", argv[1]);
		state_close(&st);
		return -ENOENT;
	}
	loaded = !cbpf_maps_open(ctx, &maps);
	doc = ep_json(ep);
	snprintf(selector, sizeof(selector), "ep:%s", ep->name);
	json_object_object_add(doc, "rules", rules_naming(&st, selector));
	json_object_object_add(doc, "map", loaded ? ep_map_entry(&maps, ep) : NULL);
	json_object_object_add(doc, "hooks",
			       state_ep_is_local(ep) ? hooks_of(ep->host_ifname) : NULL);
	json_object_object_add(doc, "counters",
			       state_ep_is_local(ep) ? link_counters(ep->host_ifname) : NULL);
	if (loaded)
		cbpf_maps_close(&maps);
	state_close(&st);
	return print_doc(ctx, doc);
}
