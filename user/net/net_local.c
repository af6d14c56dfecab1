/* The host-local model: endpoints on one host, forwarded by the endpoint program. */
#include <errno.h>

#include "core/err.h"
#include "network.h"
#include "net/netmodel.h"
#include "net/plumb.h"

/* Options that only another model understands are an error, not silently ignored. */
int netmodel_reject_option(const struct net_request *req, const char *model, const char *option,
			   bool given)
{
	if (!given)
		return 0;
	cbpf_err("net create %s: --%s does not apply to model %s", req->name, option, model);
	return -EINVAL;
}

static int local_validate(struct cbpf_state *st, const struct net_request *req,
			  struct cbpf_network *net)
{
	unsigned long mtu = 1500;
	int err;

	(void)st;
	err = netmodel_reject_option(req, "local", "vni", req->vni);
	err = err ?: netmodel_reject_option(req, "local", "vlan", req->vlan);
	err = err ?: netmodel_reject_option(req, "local", "parent", req->parent);
	err = err ?: netmodel_reject_option(req, "local", "mode", req->mode);
	err = err ?: netmodel_reject_option(req, "local", "host-access", req->host_access);
	if (err)
		return err;
	if (req->mtu && parse_uint_option(req->mtu, 576, 9000, &mtu)) {
		cbpf_err("net create %s: --mtu %s is outside 576..9000", req->name, req->mtu);
		return -EINVAL;
	}
	net->mtu = mtu;
	return 0;
}

const struct net_model_ops net_model_local = {
    .name = "local",
    .model = CBPF_MODEL_LOCAL,
    .validate = local_validate,
    .plumb = veth_plumb,
    .unplumb = veth_unplumb,
    .relink = veth_relink,
    .present = veth_present,
};
