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

/*
 * Compares each network's own link on the host (a macvlan shim) and each local endpoint's
 * interface with the kernel and makes what is missing again, as
 * `ep add` made it: the link (same name, MAC, model, VLAN and parent) when the namespace still
 * exists, else, when thorough, its address and routes. Without thorough, an endpoint whose link
 * is found from the host is left alone: what a crash leaves is a whole link missing (a move
 * killed before its commit), and entering thousands of namespaces would double the agent's
 * start; addresses and routes deleted by hand wait for `sync`. Each endpoint is on its own: a
 * failure is reported and the others go on. An endpoint whose namespace is gone keeps its record
 * and address (the runtime's DEL, or `ep del`, removes it) and is logged at warning level; a
 * namespace named by a /proc path is left alone, as its process may be another one by now.
 * Attachments and map entries follow in the full sync and attach that come after. Lines on stdout
 * unless json.
 */
void relink_endpoints(const struct cbpf_ctx *ctx, struct cbpf_state *st, bool thorough,
		      struct relink_report *report);

#endif
