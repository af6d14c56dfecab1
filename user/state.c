#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "network.h"
#include "policy.h"
#include "state.h"

#define STATE_FILE   "state.json"
#define STATE_FORMAT 1

bool state_valid_name(const char *name)
{
	size_t len = strlen(name);

	/* "." and ".." would name directories in paths built from names; "-..." reads as an option.
	 */
	if (len == 0 || len >= CBPF_NAME_MAX || name[0] == '-' || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       len;
}

static int mkdir_p(const char *dir)
{
	char path[CBPF_PATH_MAX];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Growable arrays: every collection in the state is one of these. */
static void *array_append(void **items, size_t *n, size_t size, const void *item)
{
	void *grown = realloc(*items, (*n + 1) * size);

	if (!grown)
		return NULL;
	*items = grown;
	memcpy((char *)grown + *n * size, item, size);
	return (char *)grown + (*n)++ * size;
}

static void array_remove(void *items, size_t *n, size_t size, void *item)
{
	size_t index = ((char *)item - (char *)items) / size;

	memmove(item, (char *)item + size, (*n - index - 1) * size);
	(*n)--;
}

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

static json_object *net_to_json(const struct cbpf_network *net)
{
	json_object *obj = json_object_new_object();
	char subnet[32], ip[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];

	cbpf_format_cidr(&net->subnet, subnet, sizeof(subnet));
	cbpf_format_ip(net->gateway, ip);
	cbpf_format_mac(net->gateway_mac, mac);
	json_object_object_add(obj, "name", json_object_new_string(net->name));
	json_object_object_add(obj, "id", json_object_new_int(net->id));
	json_object_object_add(obj, "model", json_object_new_int(net->model));
	json_object_object_add(obj, "subnet", json_object_new_string(subnet));
	json_object_object_add(obj, "gateway", json_object_new_string(ip));
	json_object_object_add(obj, "gateway_mac", json_object_new_string(mac));
	json_object_object_add(obj, "icc", json_object_new_int(net->icc));
	json_object_object_add(obj, "vni", json_object_new_int64(net->vni));
	json_object_object_add(obj, "vlan", json_object_new_int(net->vlan));
	json_object_object_add(obj, "mtu", json_object_new_int(net->mtu));
	json_object_object_add(obj, "parent", json_object_new_string(net->parent));
	json_object_object_add(obj, "macvlan_mode", json_object_new_int(net->macvlan_mode));
	json_object_object_add(obj, "host_access", json_object_new_int(net->host_access));
	return obj;
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

static json_object *node_to_json(const struct cbpf_node *node)
{
	json_object *obj = json_object_new_object();
	char ip[CBPF_IP_STRLEN];

	cbpf_format_ip(node->underlay_ip, ip);
	json_object_object_add(obj, "name", json_object_new_string(node->name));
	json_object_object_add(obj, "underlay", json_object_new_string(ip));
	json_object_object_add(obj, "ifname", json_object_new_string(node->ifname));
	return obj;
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

static json_object *rule_to_json(const struct cbpf_rule *rule)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", json_object_new_int64(rule->id));
	json_object_object_add(obj, "from", json_object_new_string(rule->from));
	json_object_object_add(obj, "to", json_object_new_string(rule->to));
	json_object_object_add(obj, "verdict", json_object_new_int(rule->verdict));
	return obj;
}

static int parse_state(struct cbpf_state *st, json_object *root)
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

int state_open(const char *dir, struct cbpf_state *st)
{
	char lock_path[CBPF_PATH_MAX + 8];
	json_object *root;
	int err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	st->next_ep_id = 1;
	st->next_rule_id = 1;
	err = mkdir_p(dir);
	if (err) {
		cbpf_err("state directory %s: %s", dir, strerror(-err));
		return err;
	}
	snprintf(st->path, sizeof(st->path), "%s/" STATE_FILE, dir);
	snprintf(lock_path, sizeof(lock_path), "%s/lock", dir);
	st->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0 || flock(st->lock_fd, LOCK_EX)) {
		err = -errno;
		cbpf_err("state lock %s: %s", lock_path, strerror(errno));
		state_close(st);
		return err;
	}
	if (access(st->path, F_OK))
		return 0;
	root = json_object_from_file(st->path);
	err = root ? parse_state(st, root) : -EINVAL;
	json_object_put(root);
	if (err) {
		cbpf_err("state file %s: unreadable or from another cbpfnet version", st->path);
		state_close(st);
	}
	return err;
}

int state_commit(struct cbpf_state *st)
{
	json_object *root = json_object_new_object();
	json_object *nets = json_object_new_array();
	json_object *eps = json_object_new_array();
	json_object *rules = json_object_new_array();
	json_object *nodes = json_object_new_array();
	char tmp[CBPF_PATH_MAX + 8];
	int err = 0;

	for (size_t i = 0; i < st->n_nets; i++)
		json_object_array_add(nets, net_to_json(&st->nets[i]));
	for (size_t i = 0; i < st->n_eps; i++)
		json_object_array_add(eps, state_ep_json(&st->eps[i]));
	for (size_t i = 0; i < st->n_rules; i++)
		json_object_array_add(rules, rule_to_json(&st->rules[i]));
	for (size_t i = 0; i < st->n_nodes; i++)
		json_object_array_add(nodes, node_to_json(&st->nodes[i]));
	json_object_object_add(root, "format", json_object_new_int(STATE_FORMAT));
	json_object_object_add(root, "next_ep_id", json_object_new_int64(st->next_ep_id));
	json_object_object_add(root, "next_rule_id", json_object_new_int64(st->next_rule_id));
	json_object_object_add(root, "networks", nets);
	json_object_object_add(root, "endpoints", eps);
	json_object_object_add(root, "rules", rules);
	json_object_object_add(root, "nodes", nodes);

	snprintf(tmp, sizeof(tmp), "%s.tmp", st->path);
	if (json_object_to_file_ext(tmp, root, JSON_C_TO_STRING_PRETTY) || rename(tmp, st->path)) {
		err = -errno ? -errno : -EIO;
		cbpf_err("state file %s: write failed: %s", st->path, strerror(-err));
	}
	json_object_put(root);
	return err;
}

void state_close(struct cbpf_state *st)
{
	free(st->nets);
	free(st->eps);
	free(st->rules);
	free(st->nodes);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
}

struct cbpf_network *state_find_net(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (!strcmp(st->nets[i].name, name))
			return &st->nets[i];
	return NULL;
}

struct cbpf_network *state_find_net_id(struct cbpf_state *st, uint16_t id)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].id == id)
			return &st->nets[i];
	return NULL;
}

struct cbpf_endpoint *state_find_ep(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (!strcmp(st->eps[i].name, name))
			return &st->eps[i];
	return NULL;
}

struct cbpf_endpoint *state_find_ep_ip(struct cbpf_state *st, uint32_t ip)
{
	for (size_t i = 0; i < st->n_eps; i++)
		if (st->eps[i].ip == ip)
			return &st->eps[i];
	return NULL;
}

struct cbpf_rule *state_find_rule(struct cbpf_state *st, const char *from, const char *to)
{
	for (size_t i = 0; i < st->n_rules; i++)
		if (!strcmp(st->rules[i].from, from) && !strcmp(st->rules[i].to, to))
			return &st->rules[i];
	return NULL;
}

struct cbpf_node *state_find_node(struct cbpf_state *st, const char *name)
{
	for (size_t i = 0; i < st->n_nodes; i++)
		if (!strcmp(st->nodes[i].name, name))
			return &st->nodes[i];
	return NULL;
}

struct cbpf_node *state_local_node(struct cbpf_state *st)
{
	for (size_t i = 0; i < st->n_nodes; i++)
		if (st->nodes[i].ifname[0])
			return &st->nodes[i];
	return NULL;
}

bool state_ep_is_local(const struct cbpf_endpoint *ep)
{
	return ep->node[0] == '\0';
}

struct cbpf_node *state_add_node(struct cbpf_state *st, const struct cbpf_node *node)
{
	return array_append((void **)&st->nodes, &st->n_nodes, sizeof(*node), node);
}

void state_remove_node(struct cbpf_state *st, struct cbpf_node *node)
{
	array_remove(st->nodes, &st->n_nodes, sizeof(*node), node);
}

struct cbpf_network *state_add_net(struct cbpf_state *st, const struct cbpf_network *net)
{
	return array_append((void **)&st->nets, &st->n_nets, sizeof(*net), net);
}

struct cbpf_endpoint *state_add_ep(struct cbpf_state *st, const struct cbpf_endpoint *ep)
{
	return array_append((void **)&st->eps, &st->n_eps, sizeof(*ep), ep);
}

struct cbpf_rule *state_add_rule(struct cbpf_state *st, const struct cbpf_rule *rule)
{
	return array_append((void **)&st->rules, &st->n_rules, sizeof(*rule), rule);
}

void state_remove_net(struct cbpf_state *st, struct cbpf_network *net)
{
	array_remove(st->nets, &st->n_nets, sizeof(*net), net);
}

void state_remove_ep(struct cbpf_state *st, struct cbpf_endpoint *ep)
{
	array_remove(st->eps, &st->n_eps, sizeof(*ep), ep);
}

void state_remove_rule(struct cbpf_state *st, struct cbpf_rule *rule)
{
	array_remove(st->rules, &st->n_rules, sizeof(*rule), rule);
}

void state_remove_rules_naming(struct cbpf_state *st, const char *kind, const char *name)
{
	char selector[CBPF_NAME_MAX + 8];

	snprintf(selector, sizeof(selector), "%s:%s", kind, name);
	for (size_t i = st->n_rules; i-- > 0;)
		if (!strcmp(st->rules[i].from, selector) || !strcmp(st->rules[i].to, selector))
			state_remove_rule(st, &st->rules[i]);
}
