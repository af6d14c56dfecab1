/* A command the learning reconciler runs (learn.c), alone or in a batch (learn_batch.c). */
#ifndef CBPF_LEARN_OP_H
#define CBPF_LEARN_OP_H

#include <stdbool.h>
#include <stdint.h>

#include "cluster/cluster_int.h"

/* The commands one reconciling pass runs, in order. */
struct op {
	char *argv[20];
	int argc;
	char text[8][CBPF_NAME_MAX]; /* what argv points into */
	char learned[LEARNED_MAX];   /* "node:NAME"/"net:NAME" learned (+1) or forgotten (-1) */
	int learned_change;
	/* a local endpoint taken over by another node: its address's flows end */
	uint32_t moved_ip;
	/*
	 * ep add --remote (text: 0 name, 1 ip, 2 mac, 3 net, 4 node) or ep del of a remote record:
	 * no link to make, so many go in one store transaction
	 */
	bool batch;
	int err; /* the outcome */
};

/* Each op on its own: its argv points into it. */
struct ops {
	struct op **v;
	size_t n;
};

struct agent;

/*
 * Runs the n batch ops in one endpoint session under the agent's lock, committed to the store
 * once: learning thousands of remote endpoints costs one read and one write of the store, not
 * one per endpoint. Each op's outcome goes to its err; a failed commit fails them all.
 */
void learn_run_batch(struct agent *a, struct op **ops, size_t n);

#endif
