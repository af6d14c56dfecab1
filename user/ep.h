/* Endpoint life cycle: validation, plumbing, maps and state in one place. */
#ifndef CBPF_EP_H
#define CBPF_EP_H

#include <json-c/json.h>

#include "cli.h"
#include "state.h"

/* What `ep add` was asked; NULL fields were not given. */
struct ep_request {
	const char *name;
	const char *net;
	const char *netns;
	const char *ip;
	const char *ifname;
	const char *remote;
	const char *mac;
};

/*
 * Validates req, plumbs the endpoint (local) or registers it (remote), fills the maps and
 * commits the state; fills out. On failure nothing is left behind and the error is reported.
 */
int ep_create(const struct cbpf_ctx *ctx, const struct ep_request *req, struct cbpf_endpoint *out);
/* Removes endpoint name from the host, the maps and the state; -ENOENT when there is none. */
int ep_destroy(const struct cbpf_ctx *ctx, const char *name);
json_object *ep_json(const struct cbpf_endpoint *ep);

#endif
