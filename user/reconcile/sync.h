/* Derives map contents from the state: the state is the truth, maps are its compiled form. */
#ifndef CBPF_SYNC_H
#define CBPF_SYNC_H

#include <stddef.h>

#include "link/ifindex.h"
#include "reconcile/loader.h"
#include "store/state.h"

int sync_network(const struct cbpf_maps *maps, const struct cbpf_network *net);
int sync_endpoint(const struct cbpf_maps *maps, struct cbpf_state *st,
		  const struct cbpf_endpoint *ep);
int sync_endpoint_delete(const struct cbpf_maps *maps, const struct cbpf_endpoint *ep);
/* Rewrites the VxLAN segment map from the overlay networks, and this host's tunnel end. */
int sync_segments(const struct cbpf_maps *maps, struct cbpf_state *st);
/* Rewrites the policy map from the rules and the networks' icc settings. */
int sync_policy(const struct cbpf_maps *maps, struct cbpf_state *st);
/*
 * Rewrites every map from the state, removing entries the state does not name; host-side
 * interfaces are looked up through lookup (NULL: one socket per lookup).
 */
int sync_all(const struct cbpf_maps *maps, struct cbpf_state *st,
	     const struct link_ifindex *lookup);

/* sync_all when the datapath is loaded; otherwise `load` does it later. */
int sync_all_if_loaded(const struct cbpf_ctx *ctx, struct cbpf_state *st);

/*
 * Makes a hash map hold exactly the n given entries: upserts them, then deletes other keys.
 * Keys are sorted in place.
 */
int map_replace_all(int fd, void *keys, void *values, size_t n, size_t key_size, size_t value_size);

#endif
