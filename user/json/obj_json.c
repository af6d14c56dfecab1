/* Networks and nodes as every command and the API print them. */
#include <json-c/json.h>

#include "json/obj_json.h"
#include "core/output.h"

json_object *net_json(const struct cbpf_network *net)
{
	json_object *obj = json_object_new_object();
	char subnet[32], gateway[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

	cbpf_format_cidr(&net->subnet, subnet, sizeof(subnet));
	cbpf_format_ip(net->gateway, gateway);
	cbpf_format_mac(net->gateway_mac, mac);
	json_object_object_add(obj, "name", json_object_new_string(net->name));
	json_object_object_add(obj, "id", json_object_new_int(net->id));
	json_object_object_add(obj, "model", json_object_new_string(cbpf_model_name(net->model)));
	json_object_object_add(obj, "subnet", json_object_new_string(subnet));
	json_object_object_add(obj, "gateway", json_object_new_string(gateway));
	json_object_object_add(obj, "gateway_mac", json_object_new_string(mac));
	json_object_object_add(obj, "icc", json_object_new_boolean(net->icc));
	json_object_object_add(obj, "vni", json_object_new_int64(net->vni));
	json_object_object_add(obj, "vlan", json_object_new_int(net->vlan));
	json_object_object_add(obj, "mtu", json_object_new_int(net->mtu));
	if (net->parent[0]) {
		json_object_object_add(obj, "parent", json_object_new_string(net->parent));
		json_object_object_add(
		    obj, "mode", json_object_new_string(macvlan_mode_name(net->macvlan_mode)));
		json_object_object_add(obj, "host_access",
				       json_object_new_boolean(net->host_access));
	}
	return obj;
}

json_object *node_json(const struct cbpf_node *node)
{
	json_object *obj = json_object_new_object();
	char ip[CBPF_IP_STRLEN];

	cbpf_format_ip(node->underlay_ip, ip);
	json_object_object_add(obj, "name", json_object_new_string(node->name));
	json_object_object_add(obj, "underlay", json_object_new_string(ip));
	json_object_object_add(obj, "local", json_object_new_boolean(node->ifname[0] != '\0'));
	if (node->ifname[0])
		json_object_object_add(obj, "ifname", json_object_new_string(node->ifname));
	return obj;
}
