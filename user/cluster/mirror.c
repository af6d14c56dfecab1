/* The agent's copy of the nodes and endpoints in etcd, and their values' JSON. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/cluster_int.h"
#include "network.h"
#include "json/obj_json.h"

void mirror_clear(struct mirror *m)
{
	free(m->nets);
	free(m->nodes);
	free(m->eps);
	memset(m, 0, sizeof(*m));
}

static const char *str_field(json_object *obj, const char *name)
{
	json_object *v = json_object_object_get(obj, name);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int copy_name(char *dst, const char *src)
{
	if (!src || !state_valid_name(src))
		return -EINVAL;
	snprintf(dst, CBPF_NAME_MAX, "%s", src);
	return 0;
}

int mirror_ep_parse(const char *name, const char *value, struct mirror_ep *ep)
{
	json_object *obj = json_tokener_parse(value);
	const char *ip, *mac;
	int err;

	memset(ep, 0, sizeof(*ep));
	if (!obj)
		return -EINVAL;
	ip = str_field(obj, "ip");
	mac = str_field(obj, "mac");
	err = copy_name(ep->net, str_field(obj, "net"));
	err = err ?: copy_name(ep->node, str_field(obj, "node"));
	err = err ?: (ip && !cbpf_parse_ip(ip, &ep->ip) ? 0 : -EINVAL);
	err = err ?: (mac && !cbpf_parse_mac(mac, ep->mac) ? 0 : -EINVAL);
	json_object_put(obj);
	if (err || strlen(name) >= CBPF_NAME_MAX)
		return -EINVAL;
	snprintf(ep->name, sizeof(ep->name), "%s", name);
	return 0;
}

char *mirror_ep_value(const struct mirror_ep *ep)
{
	json_object *obj = json_object_new_object();
	char ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN], *text;

	if (!obj)
		return NULL;
	cbpf_format_ip(ep->ip, ip);
	cbpf_format_mac(ep->mac, mac);
	json_object_object_add(obj, "node", json_object_new_string(ep->node));
	json_object_object_add(obj, "net", json_object_new_string(ep->net));
	json_object_object_add(obj, "ip", json_object_new_string(ip));
	json_object_object_add(obj, "mac", json_object_new_string(mac));
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return text;
}

static int int_field(json_object *obj, const char *name, int64_t min, int64_t max, int64_t *v)
{
	json_object *f = json_object_object_get(obj, name);

	if (!json_object_is_type(f, json_type_int))
		return -EINVAL;
	*v = json_object_get_int64(f);
	return *v < min || *v > max ? -EINVAL : 0;
}

int mirror_net_parse(const char *name, const char *value, struct mirror_net *net)
{
	json_object *obj = json_tokener_parse(value);
	const char *subnet, *gateway;
	int64_t vni = 0, vlan = 0, mtu = 0;
	int err;

	memset(net, 0, sizeof(*net));
	if (!obj)
		return -EINVAL;
	subnet = str_field(obj, "subnet");
	gateway = str_field(obj, "gateway");
	err = copy_name(net->name, name);
	err = err ?: (subnet && !cbpf_parse_cidr(subnet, &net->subnet) ? 0 : -EINVAL);
	err = err ?: (gateway && !cbpf_parse_ip(gateway, &net->gateway) ? 0 : -EINVAL);
	err = err ?: int_field(obj, "vni", 1, 0xffffff, &vni);
	err = err ?: int_field(obj, "vlan", 0, 4094, &vlan);
	err = err ?: int_field(obj, "mtu", 0, 65535, &mtu);
	net->vni = vni;
	net->vlan = vlan;
	net->mtu = mtu;
	net->icc = json_object_get_boolean(json_object_object_get(obj, "icc"));
	json_object_put(obj);
	return err;
}

char *mirror_net_value(const struct mirror_net *net)
{
	struct cbpf_network shared = {
	    .model = CBPF_MODEL_OVERLAY,
	    .subnet = net->subnet,
	    .gateway = net->gateway,
	    .vni = net->vni,
	    .vlan = net->vlan,
	    .mtu = net->mtu,
	    .icc = net->icc,
	};
	json_object *obj = net_json(&shared);
	char *text;

	if (!obj)
		return NULL;
	/* The name is the key's; the id and gateway MAC are each host's own. */
	json_object_object_del(obj, "name");
	json_object_object_del(obj, "id");
	json_object_object_del(obj, "gateway_mac");
	text = strdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN));
	json_object_put(obj);
	return text;
}

void mirror_net_from_state(const struct cbpf_network *net, struct mirror_net *out)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "%s", net->name);
	out->subnet = net->subnet;
	out->gateway = net->gateway;
	out->vni = net->vni;
	out->vlan = net->vlan;
	out->mtu = net->mtu;
	out->icc = net->icc;
}

bool mirror_net_same(const struct mirror_net *a, const struct mirror_net *b)
{
	return a->subnet.addr == b->subnet.addr && a->subnet.prefix_len == b->subnet.prefix_len &&
	       a->gateway == b->gateway && a->vni == b->vni && a->vlan == b->vlan &&
	       a->mtu == b->mtu && a->icc == b->icc;
}

void mirror_vni_key(uint32_t vni, uint16_t vlan, char *key, size_t len)
{
	if (vlan)
		snprintf(key, len, CLUSTER_VNIS "%u.%u", vni, vlan);
	else
		snprintf(key, len, CLUSTER_VNIS "%u", vni);
}

static int node_parse(const char *name, const char *value, struct mirror_node *node)
{
	json_object *obj = json_tokener_parse(value);
	const char *ip = obj ? str_field(obj, "underlay") : NULL;
	int err = copy_name(node->name, name);

	err = err ?: (ip && !cbpf_parse_ip(ip, &node->underlay) ? 0 : -EINVAL);
	json_object_put(obj);
	return err;
}

/* Applies one key's PUT (value set) or DELETE (value NULL); -EINVAL for a bad value. */
int mirror_apply(struct mirror *m, const char *key, const char *value, int64_t lease)
{
	const char *name;

	if (!strncmp(key, CLUSTER_NODES, strlen(CLUSTER_NODES))) {
		struct mirror_node node = {.lease = lease};
		size_t i;

		name = key + strlen(CLUSTER_NODES);
		for (i = 0; i < m->n_nodes && strcmp(m->nodes[i].name, name); i++)
			;
		if (!value) {
			if (i < m->n_nodes)
				m->nodes[i] = m->nodes[--m->n_nodes];
			return 0;
		}
		if (node_parse(name, value, &node))
			return -EINVAL;
		if (i == m->n_nodes) {
			struct mirror_node *grown = realloc(m->nodes, (i + 1) * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			m->nodes = grown;
			m->n_nodes++;
		}
		m->nodes[i] = node;
	} else if (!strncmp(key, CLUSTER_NETWORKS, strlen(CLUSTER_NETWORKS))) {
		struct mirror_net net;
		size_t i;

		name = key + strlen(CLUSTER_NETWORKS);
		for (i = 0; i < m->n_nets && strcmp(m->nets[i].name, name); i++)
			;
		if (!value) {
			if (i < m->n_nets)
				m->nets[i] = m->nets[--m->n_nets];
			return 0;
		}
		if (mirror_net_parse(name, value, &net))
			return -EINVAL;
		if (i == m->n_nets) {
			struct mirror_net *grown = realloc(m->nets, (i + 1) * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			m->nets = grown;
			m->n_nets++;
		} else {
			net.warned = m->nets[i].warned;
		}
		m->nets[i] = net;
	} else if (!strncmp(key, CLUSTER_ENDPOINTS, strlen(CLUSTER_ENDPOINTS))) {
		struct mirror_ep ep;
		size_t i;

		name = key + strlen(CLUSTER_ENDPOINTS);
		for (i = 0; i < m->n_eps && strcmp(m->eps[i].name, name); i++)
			;
		if (!value) {
			if (i < m->n_eps)
				m->eps[i] = m->eps[--m->n_eps];
			return 0;
		}
		if (mirror_ep_parse(name, value, &ep))
			return -EINVAL;
		if (i == m->n_eps) {
			struct mirror_ep *grown = realloc(m->eps, (i + 1) * sizeof(*grown));

			if (!grown)
				return -ENOMEM;
			m->eps = grown;
			m->n_eps++;
		} else {
			ep.warned = m->eps[i].warned;
		}
		m->eps[i] = ep;
	}
	return 0;
}
