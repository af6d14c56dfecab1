/* Endpoints' interfaces made again where the kernel lost them and the store did not. */
#ifndef CBPF_RELINK_H
#define CBPF_RELINK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cmd.h"
#include "store/state.h"

struct relink_report {
	size_t made;	 /* endpoints with something made again */
	size_t no_netns; /* endpoints whose namespace is gone */
	size_t failed;	 /* endpoints and networks' host links that could not be made again */
	int first_err;	 /* the first failure's -errno */
};

/* How far relink_endpoints looks. */
enum relink_depth {
	/* Whole links, looked for from the host; a gone namespace is logged (agent start). */
	RELINK_FROM_HOST,
	/* The same, a gone namespace counted without a word (the agent's check after commits). */
	RELINK_FROM_HOST_QUIET,
	/* Every namespace entered: addresses, routes, MAC and MTU too (`cbpfnet sync`). */
	RELINK_IN_NETNS,
};

/*
 * Compares each network's own link on the host (a macvlan shim) and each local endpoint's
 * interface with the kernel and makes what is missing again, as `ep add` made it: the link
 * (same name, MAC, model, VLAN and parent) when the namespace still exists, else, with
 * RELINK_IN_NETNS, its address, routes, MAC and MTU. Looking from the host, an endpoint whose
 * link is found is left alone: what a crash leaves is a whole link missing (a move killed before
 * its commit), and entering thousands of namespaces would double the agent's start; addresses
 * and routes deleted by hand wait for `sync`. Each endpoint is on its own: a failure is reported
 * and the others go on. An endpoint whose namespace is gone keeps its record and address (the
 * runtime's DEL, or `ep del`, removes it); a namespace named by a /proc path is left alone, as
 * its process may be another one by now. Attachments and map entries follow in the full sync
 * and attach that come after. Lines on stdout unless json.
 */
void relink_endpoints(const struct cbpf_ctx *ctx, struct cbpf_state *st, enum relink_depth depth,
		      struct relink_report *report);

#endif
