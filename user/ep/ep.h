/* Endpoint life cycle: validation, plumbing, maps and state in one place. */
#ifndef CBPF_EP_H
#define CBPF_EP_H

#include <json-c/json.h>

#include "core/cmd.h"
#include "reconcile/loader.h"
#include "policy/policy_rules.h"
#include "store/state.h"

/* What `ep add` was asked; NULL fields were not given. */
struct ep_request {
	const char *name;
	const char *net;
	const char *netns;
	const char *ip;
	const char *ifname;
	const char *remote;
	const char *mac;
	bool create_netns; /* netns is a name to create under /run/netns first */
	bool interface;	   /* name is NAME@NET: a further interface of endpoint NAME */
};

/*
 * Endpoint changes in one process: the state is locked and read once, maps, program pins and
 * the accepted policy are opened once. Each add or del is all or nothing on its own and
 * committed to the store as it completes, so a process killed midway leaves the store agreeing
 * with the host; an add writes its endpoint id (and the namespace it creates) ahead, so the
 * leftovers of a kill are recognisable (state_reconcile_leftovers).
 */
struct ep_session {
	struct cbpf_ctx ctx; /* the caller's, with the session's pin cache */
	struct cbpf_state st;
	struct cbpf_maps maps;
	bool maps_open;
	struct pol_set files; /* the accepted policy file rules */
	bool files_read;
	/*
	 * Adds and deletes leave the store alone until ep_session_commit, which then records them
	 * all in one transaction (a move: the store never shows the endpoint in both networks or
	 * in neither). Links of a session killed midway are told apart by their unrecorded ids.
	 */
	bool one_commit;
	char **doomed_netns; /* deleted by the commit, after every link of the session */
	size_t n_doomed;
	struct cbpf_pin_cache pins;
};

int ep_session_open(const struct cbpf_ctx *ctx, struct ep_session *s);
/* Like ep_create, inside s; out may be NULL. */
int ep_session_add(struct ep_session *s, const struct ep_request *req, struct cbpf_endpoint *out);
/* Like ep_destroy, inside s; with delete_netns, the commit removes the endpoint's namespace. */
int ep_session_del(struct ep_session *s, const char *name, bool delete_netns);
/* A link deletion is mostly the kernel waiting out RCU grace periods, and waits overlap. */
#define EP_DEL_THREADS 16

struct ep_del_op {
	const char *name;
	bool delete_netns;
	int err;	 /* the result, as ep_session_del would return it */
	char error[512]; /* its message when err is set */
	double ms;	 /* this endpoint's own work, not the time it waited for a thread */
	/* for the session */
	struct cbpf_endpoint ep;
	bool named, prepared;
};

/*
 * Each op as ep_session_del, in order, except that the links go on EP_DEL_THREADS threads
 * between the checks and the bookkeeping. Ops must not depend on each other's links.
 */
void ep_session_del_many(struct ep_session *s, struct ep_del_op *ops, size_t n);
/* Deletes the namespaces of deleted endpoints and records that they are gone. */
int ep_session_commit(struct ep_session *s);
void ep_session_close(struct ep_session *s);

/* Checks req against st and fills ep (id, MAC, address, names); touches nothing live. */
int ep_validate_add(struct cbpf_state *st, const struct ep_request *req, struct cbpf_endpoint *ep);

/*
 * Validates req, plumbs the endpoint (local) or registers it (remote), fills the maps and
 * commits the state; fills out. On failure nothing is left behind and the error is reported.
 */
int ep_create(const struct cbpf_ctx *ctx, const struct ep_request *req, struct cbpf_endpoint *out);
/* Removes endpoint name from the host, the maps and the state; -ENOENT when there is none. */
int ep_destroy(const struct cbpf_ctx *ctx, const char *name);
json_object *ep_json(const struct cbpf_endpoint *ep);
/*
 * Whether ep's interface is there: "ok", "missing" (its namespace is, so `sync` makes it again),
 * "no-netns" (the namespace is gone: the record waits for its delete) or "remote".
 */
const char *ep_link_status(const struct cbpf_ctx *ctx, struct cbpf_state *st,
			   const struct cbpf_endpoint *ep);

/*
 * Endpoints in several networks. An endpoint's first interface is the record NAME; each further
 * one, in network NET, is the record NAME@NET ('@' is in no name a user can give), with its own
 * address, identity and interface (eth1, eth2, ...) in the same namespace and no default route.
 */
int ep_connect(const struct cbpf_ctx *ctx, const char *name, const char *net, const char *ip,
	       const char *ifname, struct cbpf_endpoint *out);
int ep_disconnect(const struct cbpf_ctx *ctx, const char *name, const char *net);
/*
 * Moves endpoint name's first interface to network net (address ip, or the first free one) in
 * one step: the old interface, address and map entry go, the new ones come, and
 * rules naming the endpoint stay with it. If the new interface cannot be made, the old one is
 * made again.
 */
int ep_move(const struct cbpf_ctx *ctx, const char *name, const char *net, const char *ip,
	    struct cbpf_endpoint *out);
/* Interface records are named NAME@NET. */
bool ep_is_interface(const struct cbpf_endpoint *ep);
/* A monotonic clock in ms, for per-endpoint timings. */
double ep_now_ms(void);

#endif
