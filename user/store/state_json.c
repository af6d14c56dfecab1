/* The state.json of earlier versions, read once to import it into the database. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "store/state.h"

#define STATE_FORMAT 1

static void copy_string(char *dst, size_t size, json_object *obj, const char *key)
{
	json_object *value;

	dst[0] = '\0';
	if (json_object_object_get_ex(obj, key, &value))
		snprintf(dst, size, "%s", json_object_get_string(value));
}

static uint32_t get_u32(json_object *obj, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(obj, key, &value) ? (uint32_t)json_object_get_int64(value)
							   : 0;
}

static int get_ip(json_object *obj, const char *key, uint32_t *ip)
{
	char text[CBPF_IP_STRLEN + 4];

	copy_string(text, sizeof(text), obj, key);
	return cbpf_parse_ip(text, ip);
}

static int get_mac(json_object *obj, const char *key, uint8_t mac[6])
{
	char text[CBPF_MAC_STRLEN];

	copy_string(text, sizeof(text), obj, key);
	return cbpf_parse_mac(text, mac);
}

static int net_from_json(json_object *obj, struct cbpf_network *net)
{
	char subnet[32];

	memset(net, 0, sizeof(*net));
	copy_string(net->name, sizeof(net->name), obj, "name");
	copy_string(subnet, sizeof(subnet), obj, "subnet");
	net->id = get_u32(obj, "id");
	net->model = get_u32(obj, "model");
	net->icc = get_u32(obj, "icc");
	net->vni = get_u32(obj, "vni");
	net->vlan = get_u32(obj, "vlan");
	net->mtu = get_u32(obj, "mtu");
	net->macvlan_mode = get_u32(obj, "macvlan_mode");
	net->host_access = get_u32(obj, "host_access");
	copy_string(net->parent, sizeof(net->parent), obj, "parent");
	if (cbpf_parse_cidr(subnet, &net->subnet) || get_ip(obj, "gateway", &net->gateway) ||
	    get_mac(obj, "gateway_mac", net->gateway_mac) || !net->id)
		return -EINVAL;
	return 0;
}

static int ep_from_json(json_object *obj, struct cbpf_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	copy_string(ep->name, sizeof(ep->name), obj, "name");
	copy_string(ep->net, sizeof(ep->net), obj, "net");
	copy_string(ep->netns, sizeof(ep->netns), obj, "netns");
	copy_string(ep->ifname, sizeof(ep->ifname), obj, "ifname");
	copy_string(ep->host_ifname, sizeof(ep->host_ifname), obj, "host_ifname");
	copy_string(ep->node, sizeof(ep->node), obj, "node");
	ep->id = get_u32(obj, "id");
	if (get_ip(obj, "ip", &ep->ip) || get_mac(obj, "mac", ep->mac) || !ep->id)
		return -EINVAL;
	return 0;
}

json_object *state_ep_json(const struct cbpf_endpoint *ep)
{
	json_object *obj = json_object_new_object();
	char ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

	cbpf_format_ip(ep->ip, ip);
	cbpf_format_mac(ep->mac, mac);
	json_object_object_add(obj, "name", json_object_new_string(ep->name));
	json_object_object_add(obj, "id", json_object_new_int64(ep->id));
	json_object_object_add(obj, "net", json_object_new_string(ep->net));
	json_object_object_add(obj, "netns", json_object_new_string(ep->netns));
	json_object_object_add(obj, "ifname", json_object_new_string(ep->ifname));
	json_object_object_add(obj, "host_ifname", json_object_new_string(ep->host_ifname));
	json_object_object_add(obj, "ip", json_object_new_string(ip));
	json_object_object_add(obj, "mac", json_object_new_string(mac));
	json_object_object_add(obj, "node", json_object_new_string(ep->node));
	return obj;
}

static int node_from_json(json_object *obj, struct cbpf_node *node)
{
	memset(node, 0, sizeof(*node));
	copy_string(node->name, sizeof(node->name), obj, "name");
	copy_string(node->ifname, sizeof(node->ifname), obj, "ifname");
	return get_ip(obj, "underlay", &node->underlay_ip);
}

static int rule_from_json(json_object *obj, struct cbpf_rule *rule)
{
	memset(rule, 0, sizeof(*rule));
	rule->id = get_u32(obj, "id");
	rule->verdict = get_u32(obj, "verdict");
	copy_string(rule->from, sizeof(rule->from), obj, "from");
	copy_string(rule->to, sizeof(rule->to), obj, "to");
	return rule->id && rule->verdict ? 0 : -EINVAL;
}

int state_from_json(struct cbpf_state *st, json_object *root)
{
	json_object *list;

	if (get_u32(root, "format") != STATE_FORMAT)
		return -EPROTO;
	st->next_ep_id = get_u32(root, "next_ep_id");
	st->next_rule_id = get_u32(root, "next_rule_id");
	if (json_object_object_get_ex(root, "networks", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct cbpf_network net;

			if (net_from_json(json_object_array_get_idx(list, i), &net) ||
			    !state_add_net(st, &net))
				return -EINVAL;
		}
	if (json_object_object_get_ex(root, "endpoints", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct cbpf_endpoint ep;

			if (ep_from_json(json_object_array_get_idx(list, i), &ep) ||
			    !state_add_ep(st, &ep))
				return -EINVAL;
		}
	if (json_object_object_get_ex(root, "rules", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct cbpf_rule rule;

			if (rule_from_json(json_object_array_get_idx(list, i), &rule) ||
			    !state_add_rule(st, &rule))
				return -EINVAL;
		}
	if (json_object_object_get_ex(root, "nodes", &list))
		for (size_t i = 0; i < json_object_array_length(list); i++) {
			struct cbpf_node node;

			if (node_from_json(json_object_array_get_idx(list, i), &node) ||
			    !state_add_node(st, &node))
				return -EINVAL;
		}
	return 0;
}
