/* The macvlan model: endpoints get their own MAC on the host's uplink. */
#include <errno.h>

#include "network.h"
#include "netmodel.h"

static int macvlan_validate(struct cbpf_state *st, const struct net_request *req,
			    struct cbpf_network *net)
{
	(void)st;
	(void)net;
	cbpf_err("net create %s: model macvlan is not available in this build", req->name);
	return -EOPNOTSUPP;
}

const struct net_model_ops net_model_macvlan = {
	.name = "macvlan",
	.model = CBPF_MODEL_MACVLAN,
	.validate = macvlan_validate,
};
