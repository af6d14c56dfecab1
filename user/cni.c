/*
 * The CNI plugin face of cbpfnet. The network configuration names a cbpfnet network; ADD makes
 * an endpoint for the container's namespace and interface, DEL removes it (and succeeds when it
 * is already gone, as the spec asks), CHECK verifies it, VERSION lists what is spoken.
 */
#include <errno.h>
#include <json-c/json.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cni.h"
#include "ep.h"
#include "json_in.h"
#include "network.h"

#define CNI_VERSION "1.0.0"

/* Error codes of the CNI specification. */
enum cni_code {
	CNI_ERR_VERSION = 1,
	CNI_ERR_CONFIG = 4,
	CNI_ERR_ENV = 7,
	CNI_ERR_PLUGIN = 100, /* 100 and up belong to the plugin */
};

static const char *const supported_versions[] = {"0.4.0", "1.0.0"};

static int cni_error(const char *version, enum cni_code code, const char *msg)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "cniVersion", json_object_new_string(version));
	json_object_object_add(doc, "code", json_object_new_int(code));
	json_object_object_add(doc, "msg", json_object_new_string(msg));
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	return 1;
}

static int print_json(json_object *doc)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return 0;
}

static const char *string_field(json_object *conf, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(conf, key, &value) &&
		       json_object_is_type(value, json_type_string)
		   ? json_object_get_string(value)
		   : NULL;
}

/* One endpoint per container interface; container ids are long hex strings. */
static void endpoint_name(const char *container, const char *ifname, char *out, size_t size)
{
	snprintf(out, size, "cni-%.12s-%s", container, ifname);
	for (char *p = out; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			*p = '_';
}

static int refuse(struct cni_request *req, const char *version, enum cni_code code, const char *msg)
{
	req->err_code = code;
	req->err_version = version;
	req->err_msg = msg;
	return code;
}

int cni_parse_request(json_object *conf, const struct cni_env *env, struct cni_request *req)
{
	const char *network = string_field(conf, "network");
	const char *name = string_field(conf, "name");

	req->version = string_field(conf, "cniVersion");
	if (!req->version || !name)
		return refuse(req, CNI_VERSION, CNI_ERR_CONFIG,
			      "network configuration needs cniVersion and name");
	if (strcmp(req->version, supported_versions[0]) &&
	    strcmp(req->version, supported_versions[1]))
		return refuse(req, CNI_VERSION, CNI_ERR_VERSION,
			      "unsupported cniVersion; this plugin speaks 0.4.0 and 1.0.0");
	snprintf(req->network, sizeof(req->network), "%s", network ? network : name);
	req->ctx.bpffs = string_field(conf, "bpffs") ?: "/sys/fs/bpf";
	req->ctx.state_dir = string_field(conf, "state") ?: "/var/lib/cbpfnet";
	req->container = env->container;
	req->netns = env->netns;
	req->ifname = env->ifname;
	if (!req->container || !*req->container || !req->ifname || !*req->ifname)
		return refuse(req, req->version, CNI_ERR_ENV,
			      "CNI_CONTAINERID and CNI_IFNAME must be set");
	/* Relative to whatever directory the runtime ran us in: never what it meant. */
	if (req->netns && *req->netns && req->netns[0] != '/') {
		snprintf(req->err_text, sizeof(req->err_text),
			 "CNI_NETNS '%.*s' is not an absolute path", CBPF_PATH_MAX, req->netns);
		return refuse(req, req->version, CNI_ERR_ENV, req->err_text);
	}
	endpoint_name(req->container, req->ifname, req->endpoint, sizeof(req->endpoint));
	return 0;
}

static json_object *result(const struct cni_request *req, const struct cbpf_endpoint *ep,
			   const struct cbpf_network *net)
{
	json_object *doc = json_object_new_object();
	json_object *interfaces = json_object_new_array();
	json_object *host = json_object_new_object(), *sandbox = json_object_new_object();
	json_object *ips = json_object_new_array(), *ipc = json_object_new_object();
	json_object *routes = json_object_new_array(), *route = json_object_new_object();
	char addr[CBPF_IP_STRLEN + 4], gateway[CBPF_IP_STRLEN], mac[CBPF_MAC_STRLEN];
	char ip[CBPF_IP_STRLEN];

	cbpf_format_ip(ep->ip, ip);
	snprintf(addr, sizeof(addr), "%s/%u", ip, net->subnet.prefix_len);
	cbpf_format_ip(net->gateway, gateway);
	json_object_object_add(host, "name", json_object_new_string(ep->host_ifname));
	cbpf_format_mac(net->gateway_mac, mac);
	json_object_object_add(host, "mac", json_object_new_string(mac));
	json_object_object_add(sandbox, "name", json_object_new_string(ep->ifname));
	cbpf_format_mac(ep->mac, mac);
	json_object_object_add(sandbox, "mac", json_object_new_string(mac));
	json_object_object_add(sandbox, "sandbox", json_object_new_string(ep->netns));
	json_object_array_add(interfaces, host);
	json_object_array_add(interfaces, sandbox);
	if (!strcmp(req->version, "0.4.0"))
		json_object_object_add(ipc, "version", json_object_new_string("4"));
	json_object_object_add(ipc, "address", json_object_new_string(addr));
	json_object_object_add(ipc, "gateway", json_object_new_string(gateway));
	json_object_object_add(ipc, "interface", json_object_new_int(1));
	json_object_array_add(ips, ipc);
	json_object_object_add(route, "dst", json_object_new_string("0.0.0.0/0"));
	json_object_object_add(route, "gw", json_object_new_string(gateway));
	json_object_array_add(routes, route);
	json_object_object_add(doc, "cniVersion", json_object_new_string(req->version));
	json_object_object_add(doc, "interfaces", interfaces);
	json_object_object_add(doc, "ips", ips);
	json_object_object_add(doc, "routes", routes);
	json_object_object_add(doc, "dns", json_object_new_object());
	return doc;
}

/* The endpoint and its network as recorded, for CHECK and for ADD's result. */
static int lookup(const struct cni_request *req, struct cbpf_endpoint *ep, struct cbpf_network *net)
{
	struct cbpf_state st;
	struct cbpf_endpoint *found;
	struct cbpf_network *found_net;
	int err = state_open(req->ctx.state_dir, &st);

	if (err)
		return err;
	found = state_find_ep(&st, req->endpoint);
	found_net = found ? state_find_net(&st, found->net) : NULL;
	if (found_net) {
		*ep = *found;
		*net = *found_net;
	}
	state_close(&st);
	return found_net ? 0 : -ENOENT;
}

static int cni_add(struct cni_request *req)
{
	struct ep_request ep_req = {
	    .name = req->endpoint,
	    .net = req->network,
	    .netns = req->netns,
	    .ifname = req->ifname,
	};
	struct cbpf_endpoint ep;
	struct cbpf_network net;

	if (!req->netns || !*req->netns)
		return cni_error(req->version, CNI_ERR_ENV, "ADD needs CNI_NETNS");
	if (ep_create(&req->ctx, &ep_req, &ep) || lookup(req, &ep, &net))
		return cni_error(req->version, CNI_ERR_PLUGIN, cbpf_last_error());
	return print_json(result(req, &ep, &net));
}

static int cni_del(struct cni_request *req)
{
	struct cbpf_endpoint ep;
	struct cbpf_network net;

	if (lookup(req, &ep, &net) == -ENOENT)
		return 0;
	return ep_destroy(&req->ctx, req->endpoint)
		   ? cni_error(req->version, CNI_ERR_PLUGIN, cbpf_last_error())
		   : 0;
}

static int cni_check(struct cni_request *req)
{
	struct cbpf_endpoint ep;
	struct cbpf_network net;
	char msg[256];

	if (lookup(req, &ep, &net)) {
		snprintf(msg, sizeof(msg), "no endpoint %s for this container", req->endpoint);
		return cni_error(req->version, CNI_ERR_PLUGIN, msg);
	}
	if (strcmp(ep.net, req->network) || !if_nametoindex(ep.host_ifname)) {
		snprintf(msg, sizeof(msg),
			 "endpoint %s: interface %s or network %s is not as created", ep.name,
			 ep.host_ifname, req->network);
		return cni_error(req->version, CNI_ERR_PLUGIN, msg);
	}
	return 0;
}

static int cni_version(void)
{
	json_object *doc = json_object_new_object();
	json_object *versions = json_object_new_array();

	for (size_t i = 0; i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		json_object_array_add(versions, json_object_new_string(supported_versions[i]));
	json_object_object_add(doc, "cniVersion", json_object_new_string(CNI_VERSION));
	json_object_object_add(doc, "supportedVersions", versions);
	return print_json(doc);
}

/* The network configuration on stdin, strictly: it comes from the container runtime's files. */
static int read_conf(json_object **conf)
{
	struct json_in_error je;
	char msg[256];
	size_t len;
	char *text = json_in_read(stdin, &len);
	int err = text ? json_in_parse(text, len, false, conf, NULL, &je) : -EIO;

	if (!err && !json_object_is_type(*conf, json_type_object)) {
		json_object_put(*conf);
		snprintf(msg, sizeof(msg), "network configuration on stdin is not a JSON object");
	} else if (err == -EINVAL) {
		snprintf(msg, sizeof(msg), "network configuration on stdin, line %d: %s",
			 json_in_line(text, je.offset), je.what);
	} else if (err) {
		snprintf(msg, sizeof(msg), "network configuration on stdin: %s", strerror(-err));
	} else {
		free(text);
		return 0;
	}
	free(text);
	return cni_error(CNI_VERSION, CNI_ERR_CONFIG, msg);
}

int cni_main(void)
{
	struct cni_request req = {.command = getenv("CNI_COMMAND")};
	const struct cni_env env = {
	    .container = getenv("CNI_CONTAINERID"),
	    .netns = getenv("CNI_NETNS"),
	    .ifname = getenv("CNI_IFNAME"),
	};
	json_object *conf;
	int rc;

	if (!strcmp(req.command, "VERSION"))
		return cni_version();
	rc = read_conf(&conf);
	if (rc)
		return rc;
	rc = cni_parse_request(conf, &env, &req)
		 ? cni_error(req.err_version, req.err_code, req.err_msg)
		 : 0;
	if (!rc) {
		if (!strcmp(req.command, "ADD"))
			rc = cni_add(&req);
		else if (!strcmp(req.command, "DEL"))
			rc = cni_del(&req);
		else if (!strcmp(req.command, "CHECK"))
			rc = cni_check(&req);
		else
			rc = cni_error(req.version, CNI_ERR_ENV,
				       "CNI_COMMAND must be ADD, DEL, CHECK or VERSION");
	}
	json_object_put(conf);
	return rc;
}
