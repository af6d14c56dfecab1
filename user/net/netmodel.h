/*
 * Network models: what differs between a host-local, an overlay and a macvlan network is how a
 * network is validated and set up and how an endpoint is plumbed. Each model is one table of
 * operations in its own file; commands stay model-agnostic.
 */
#ifndef CBPF_NETMODEL_H
#define CBPF_NETMODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cmd.h"
#include "store/state.h"

/* `net create` options as given; NULL when absent. */
struct net_request {
	const char *name;
	const char *subnet;
	const char *gateway;
	const char *icc;
	const char *model;
	const char *vni;
	const char *vlan;
	const char *parent;
	const char *mode;
	const char *require;
	const char *mtu;
	bool host_access;
};

/* What a relink made again. */
enum net_relink_made {
	NET_RELINK_LINK = 1,
	NET_RELINK_ADDRESS = 2,
	NET_RELINK_ROUTE = 4,
	NET_RELINK_MAC = 8, /* set back on a link that was there */
	NET_RELINK_MTU = 16,
};

struct net_model_ops {
	const char *name;
	unsigned int model; /* enum cbpf_net_model */
	/* Checks model options and fills the model's fields of net; touches nothing live. */
	int (*validate)(struct cbpf_state *st, const struct net_request *req,
			struct cbpf_network *net);
	/* Optional: live set-up after validation (e.g. a host shim interface). */
	int (*create)(const struct cbpf_ctx *ctx, const struct cbpf_network *net);
	/* Optional: undoes create. */
	int (*destroy)(const struct cbpf_ctx *ctx, const struct cbpf_network *net);
	/* Creates the endpoint's interface in its namespace, addressed and with its program. */
	int (*plumb)(const struct cbpf_ctx *ctx, struct cbpf_state *st,
		     const struct cbpf_endpoint *ep, const struct cbpf_network *net);
	/* Removes what plumb made; an interface already gone is fine. */
	int (*unplumb)(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
		       const struct cbpf_network *net);
	/* Optional, for interfaces outside the host namespace: points ep's interface at the
	 * pinned programs again after a load (0 when the interface is gone), or detaches them. */
	int (*reattach)(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
			const struct cbpf_network *net);
	int (*detach)(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep,
		      const struct cbpf_network *net);
	/*
	 * Makes ep's interface in the namespace ns_fd what the store says: the link (as plumb
	 * makes it) when it is missing, else its address and routes when they are; sets
	 * NET_RELINK_* in made. An interface of that name that cbpfnet did not make is left alone
	 * (-EEXIST, reported). Attachments and map entries are the caller's.
	 */
	int (*relink)(const struct cbpf_ctx *ctx, struct cbpf_state *st,
		      const struct cbpf_endpoint *ep, const struct cbpf_network *net, int ns_fd,
		      unsigned int *made);
	/*
	 * Whether ep's link is there, found without entering its namespace: at thousands of
	 * endpoints, entering each one is most of an agent's start.
	 */
	bool (*present)(const struct cbpf_ctx *ctx, const struct cbpf_endpoint *ep);
	/*
	 * Optional: makes what create made again when it is gone (and, when thorough, its address
	 * and routes when they are); sets NET_RELINK_* in made.
	 */
	int (*relink_net)(const struct cbpf_ctx *ctx, const struct cbpf_network *net, bool thorough,
			  unsigned int *made);
};

extern const struct net_model_ops net_model_local;
extern const struct net_model_ops net_model_overlay;
extern const struct net_model_ops net_model_macvlan;

const struct net_model_ops *net_model_by_name(const char *name);
const struct net_model_ops *net_model_of(const struct cbpf_network *net);

/* `net set NAME --mode MODE` on a macvlan network: checks as `net create` would and changes net
 * in st only; refuses while endpoints use the network. */
int macvlan_set_mode(struct cbpf_state *st, struct cbpf_network *net, const char *mode);

/* Fails with a message when an option of another model was given. */
int netmodel_reject_option(const struct net_request *req, const char *model, const char *option,
			   bool given);

/* Parses a decimal option in [min, max]; returns 0 or -EINVAL (no message). */
int parse_uint_option(const char *text, unsigned long min, unsigned long max, unsigned long *value);

/* --vlan as an 802.1Q VLAN ID in 1..4094, 0 when absent; fails with a message. */
int netmodel_parse_vlan(const struct net_request *req, uint16_t *vlan);

#endif
