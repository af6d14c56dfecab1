/* What the cluster mode's files share; the agent uses cluster.h. */
#ifndef CBPF_CLUSTER_INT_H
#define CBPF_CLUSTER_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "cluster/cluster.h"
#include "cluster/etcd.h"
#include "store/state.h"

#define CLUSTER_PREFIX	  "/cbpfnet/v1/"
#define CLUSTER_NODES	  CLUSTER_PREFIX "nodes/"
#define CLUSTER_ENDPOINTS CLUSTER_PREFIX "endpoints/"
#define CLUSTER_NETWORKS  CLUSTER_PREFIX "networks/"
#define CLUSTER_VNIS	  CLUSTER_PREFIX "vnis/"
#define CLUSTER_ADDRS	  CLUSTER_PREFIX "addrs/"

#define LEARNED_MAX (CBPF_NAME_MAX + 8)

/* A node as etcd shows it. */
struct mirror_node {
	char name[CBPF_NAME_MAX];
	uint32_t underlay;
	int64_t lease;
};

/* An endpoint record as etcd shows it (and as this node publishes its own). */
struct mirror_ep {
	char name[CBPF_NAME_MAX];
	char net[CBPF_NAME_MAX];
	char node[CBPF_NAME_MAX];
	uint32_t ip;
	uint8_t mac[6];
	bool overlay; /* published: in an overlay network, its address is claimed cluster-wide */
	/* mirror: its clash with a local name was logged; published: another node holds the name */
	bool warned;
};

/* An overlay network as etcd shows it: what every host creates alike. */
struct mirror_net {
	char name[CBPF_NAME_MAX];
	struct cbpf_cidr subnet;
	uint32_t gateway;
	uint32_t vni;
	uint16_t vlan;
	uint16_t mtu;
	bool icc;
	bool warned; /* its clash with a local network of that name was logged */
};

struct mirror {
	struct mirror_net *nets;
	size_t n_nets;
	struct mirror_node *nodes;
	size_t n_nodes;
	struct mirror_ep *eps;
	size_t n_eps;
};

struct cluster {
	struct agent *a;
	char node[CBPF_NAME_MAX];
	uint32_t underlay;
	int ttl;
	struct etcd_client *etcd; /* the cluster thread's */
	pthread_t thread;
	bool thread_started;
	struct etcd_client *beat_etcd; /* the heartbeat thread's */
	struct etcd_client *cmd_etcd;  /* commands', under the agent's lock */
	pthread_t beat_thread;
	bool beat_started;
	pthread_cond_t beat_cv;

	pthread_mutex_t m; /* guards what the watch thread shares: mirror and flags */
	pthread_cond_t cv;
	bool stop, kicked, dirty, relist;
	struct mirror mirror;
	int64_t beat_lease;    /* the lease the heartbeats keep alive; 0: none */
	bool lease_lost;       /* it expired: register again */
	double last_heartbeat; /* cluster_now() of the last keepalive that worked */

	/* the cluster thread's alone */
	struct etcd_watch *watch;
	int64_t lease;
	bool register_failing;
	struct mirror_ep *published;
	size_t n_published;
	/* Nodes and networks this agent added from etcd (and may delete), kept in
	 * <state>/cluster-learned so that one that left while the agent was down is deleted when it
	 * comes back. */
	char (*learned)[LEARNED_MAX]; /* "node:NAME", "net:NAME" */
	size_t n_learned;
};

/* registry.c: the lease, the node key and this node's endpoints. */
int registry_register(struct cluster *c);
int registry_publish(struct cluster *c);
void registry_revoke(struct cluster *c);

/* learn.c: the watch and the reconciler. */
int learn_load_learned(struct cluster *c);
int learn_list_and_watch(struct cluster *c);
void learn_reconcile(struct cluster *c);

/* mirror.c */
void mirror_clear(struct mirror *m);
/* Applies one key's PUT (value set) or DELETE (value NULL); other keys are ignored. */
int mirror_apply(struct mirror *m, const char *key, const char *value, int64_t lease);
/* Parses an endpoint value; -EINVAL when it is not one. */
int mirror_ep_parse(const char *name, const char *value, struct mirror_ep *ep);
char *mirror_ep_value(const struct mirror_ep *ep);
int mirror_net_parse(const char *name, const char *value, struct mirror_net *net);
char *mirror_net_value(const struct mirror_net *net);
void mirror_net_from_state(const struct cbpf_network *net, struct mirror_net *out);
bool mirror_net_same(const struct mirror_net *a, const struct mirror_net *b);
/* vnis/<vni> or vnis/<vni>.<vlan>: one network per VNI and VLAN, cluster-wide. */
void mirror_vni_key(uint32_t vni, uint16_t vlan, char *key, size_t len);

/* heartbeat.c: keepalives on their own thread, so that no long reconcile delays them. */
int heartbeat_start(struct cluster *c);
void heartbeat_stop(struct cluster *c);

/* Whether the caller is the cluster thread, whose commands apply etcd's state as it is. */
bool cluster_in_thread(void);

/* netsync.c: overlay networks created and deleted cluster-wide. */
/* The value of --NAME in a command's words ("--NAME V" or "--NAME=V"), or NULL. */
const char *cluster_option(int argc, char **argv, const char *name);
/* The command's object: its first word after the subcommand that is no option or value. */
const char *cluster_operand(int argc, char **argv);

/* addrs.c: addresses claimed cluster-wide (addrs/<net>/<ip>). */
/* ep add, ep connect and ep move --net with their address claimed in the cluster first. */
int cluster_ep_add(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv);
/* Claims ip for endpoint ep of node; -EEXIST with owner filled when another one holds it. */
int addr_claim(struct etcd_client *e, const char *node, int64_t lease, const char *net, uint32_t ip,
	       const char *ep, char *owner, size_t owner_len);
int addr_release(struct etcd_client *e, const char *net, uint32_t ip);
/* addrs/<net>/<ip> and its value. */
void addr_key(const char *net, uint32_t ip, char *key, size_t len);
void addr_value(const char *ep, const char *node, char *value, size_t len);
/* The lease the node's keys hang on; 0 while it is not registered. */
int64_t cluster_lease(struct cluster *c);
/* Runs words with stdout swallowed: an undo prints nothing to the caller. */
int run_quiet(struct cbpf_ctx *ctx, int argc, char **argv);

/*
 * takeover.c: `ep move NAME --netns NS` of an endpoint living on another node: made here with
 * its address and taken over in etcd with one transaction.
 */
int cluster_ep_takeover(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv);
/* Whether local endpoint have, published by this node, was taken over by ep's node. */
bool cluster_moved_away(const struct cluster *c, const struct cbpf_endpoint *have,
			const struct mirror_ep *ep);

/* underlay.c */
int cluster_find_underlay(const char *spec, const char *etcd_urls, uint32_t *ip);

/* view.c: what `node list` shows of the cluster. */
void cluster_view_set(const struct mirror *m, const char *self, double self_heartbeat);
/* This node's heartbeat, from the heartbeat thread. */
void cluster_view_heartbeat(const char *self, double when);
/* The client `node list` asks other nodes' heartbeats with (NULL: none). */
void cluster_view_etcd(struct etcd_client *e);
struct agent_events;
/* Where the view says that a node became ready or dead (NULL: nowhere, the agent is stopping). */
void cluster_view_events(struct agent_events *ev);

double cluster_now(void);
/* etcd out of reach (-EAGAIN, which the API answers with 503) or err as it was. */
int cluster_unavailable(int err);

#endif
