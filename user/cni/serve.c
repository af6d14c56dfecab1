/* The agent's side of the CNI plugin: endpoints for container interfaces. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "cni/cni.h"
#include "ep/ep.h"

static json_object *result_doc(const struct cni_request *req, const struct cbpf_endpoint *ep,
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
static int lookup(const struct cbpf_ctx *ctx, const char *name, struct cbpf_endpoint *ep,
		  struct cbpf_network *net)
{
	struct cbpf_state st;
	struct cbpf_endpoint *found;
	struct cbpf_network *found_net;
	int err = state_open(ctx->state_dir, &st);

	if (err)
		return err;
	found = state_find_ep(&st, name);
	found_net = found ? state_find_net(&st, found->net) : NULL;
	if (found_net) {
		*ep = *found;
		*net = *found_net;
	}
	state_close(&st);
	return found_net ? 0 : -ENOENT;
}

/* One session from validation to the result: reading the store again for the result would cost
 * as much as the add's own read, and grows with the endpoints recorded. */
static int add(const struct cbpf_ctx *ctx, const struct cni_request *req, json_object **result)
{
	struct ep_request ep_req = {
	    .name = req->endpoint,
	    .net = req->network,
	    .netns = req->netns,
	    .ifname = req->ifname,
	};
	const struct cbpf_network *net;
	struct cbpf_endpoint ep;
	struct ep_session s;
	int err = ep_session_open(ctx, &s);

	if (err)
		return err;
	err = ep_session_add(&s, &ep_req, &ep);
	err = err ?: ep_session_commit(&s);
	net = err ? NULL : state_find_net(&s.st, ep.net);
	if (net)
		*result = result_doc(req, &ep, net);
	ep_session_close(&s);
	return err;
}

/*
 * The endpoint's name comes from the whole container id: another container's is never found.
 * One commit, as ep_destroy: each commit copies the whole store for the event feed.
 */
static int del(const struct cbpf_ctx *ctx, const struct cni_request *req)
{
	struct ep_session s;
	int err = ep_session_open(ctx, &s), e;

	if (err)
		return err;
	s.one_commit = true;
	if (state_find_ep(&s.st, req->endpoint)) {
		err = ep_session_del(&s, req->endpoint, false);
		e = ep_session_commit(&s);
		err = err ?: e;
	}
	ep_session_close(&s);
	return err;
}

static int check(const struct cbpf_ctx *ctx, const struct cni_request *req)
{
	struct cbpf_endpoint ep;
	struct cbpf_network net;

	if (lookup(ctx, req->endpoint, &ep, &net)) {
		cbpf_err("CHECK: no endpoint %s for container %s", req->endpoint, req->container);
		return -ENOENT;
	}
	if (strcmp(ep.net, req->network) ||
	    (ep.host_ifname[0] && !if_nametoindex(ep.host_ifname))) {
		cbpf_err("CHECK: endpoint %s: interface %s or network %s is not as created",
			 ep.name, ep.host_ifname, req->network);
		return -EINVAL;
	}
	return 0;
}

int cni_serve(const struct cbpf_ctx *ctx, const struct cni_request *req, json_object **result)
{
	*result = NULL;
	if (!strcmp(req->command, "ADD"))
		return add(ctx, req, result);
	if (!strcmp(req->command, "DEL"))
		return del(ctx, req);
	if (!strcmp(req->command, "CHECK"))
		return check(ctx, req);
	cbpf_err("CNI command '%s': one of ADD, DEL, CHECK", req->command);
	return -EINVAL;
}
