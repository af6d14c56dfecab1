/*
 * What `node list` shows of the cluster: every node the agent learned from etcd, alive or dead,
 * with its last heartbeat's age where known. Empty outside cluster mode.
 */
#ifndef CBPF_CLUSTER_VIEW_H
#define CBPF_CLUSTER_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/state.h"

struct cluster_node_view {
	char name[CBPF_NAME_MAX];
	uint32_t underlay;
	bool alive;	    /* its node key is in etcd (its lease lives) */
	double changed_age; /* seconds since it was seen coming or going */
	/* seconds since its last heartbeat (this node's exact, others' in whole seconds from
	 * their lease's TTL left); < 0: unknown */
	double heartbeat_age;
	size_t endpoints; /* its endpoints in etcd */
};

/* A copy of the view (the caller frees *out); 0 entries outside cluster mode. */
int cluster_view_get(struct cluster_node_view **out, size_t *n);

#endif
