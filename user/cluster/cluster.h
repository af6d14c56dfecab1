/*
 * Cluster mode of the agent (`cbpfnet daemon --etcd URL`): the node registers under a lease and
 * keeps it alive, publishes its local endpoints, and learns every node and remote endpoint from
 * a watch on /cbpfnet/v1/, applying them through the same commands as the command line.
 * docs/cluster.md describes the keys and what is done.
 */
#ifndef CBPF_CLUSTER_H
#define CBPF_CLUSTER_H

#include <stdbool.h>

struct agent;
struct cluster;

struct cluster_opts {
	const char *etcd;     /* URL[,URL...]; NULL: no cluster mode */
	const char *node;     /* NULL: the host name */
	const char *underlay; /* IFACE or ADDR; NULL: the address routing to etcd */
	int lease_ttl;	      /* seconds */
};

#define CLUSTER_LEASE_TTL     5
#define CLUSTER_LEASE_TTL_MIN 2

/* Resolves the node and starts its thread; etcd may be down (it is retried). */
int cluster_start(struct agent *a, const struct cluster_opts *opts, struct cluster **out);
struct cbpf_ctx;

/*
 * Runs the commands that change the cluster as well as the host (net create and net delete of an
 * overlay network) with their etcd side; *handled is false for every other command, which the
 * caller runs as usual. Called under the agent's lock.
 */
int cluster_command(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv, bool *handled);
/* Tells the cluster thread that a command ran: local endpoints may have changed. */
void cluster_kick(struct cluster *c);
/* Stops the thread and revokes the lease (the node and its endpoints leave etcd at once). */
void cluster_stop(struct cluster *c);

#endif
