/* The VxLAN overlay model (RFC 7348): one subnet across hosts, tunnelled in BPF. */
#include <errno.h>

#include "core/err.h"
#include "network.h"
#include "net/netmodel.h"
#include "overlay.h"
#include "net/plumb.h"

#define VXLAN_VNI_MAX	    0xffffff
#define VXLAN_VNI_FIRST	    4096 /* as Docker's overlay driver, leaving low VNIs to operators */
#define OVERLAY_MTU_MIN	    576
#define OVERLAY_MTU_DEFAULT (1500 - CBPF_VXLAN_OVERHEAD)

/* Two overlay networks may share a VNI only as different VLAN segments of it. */
static const struct cbpf_network *vni_owner(struct cbpf_state *st, uint32_t vni, uint16_t vlan)
{
	for (size_t i = 0; i < st->n_nets; i++)
		if (st->nets[i].model == CBPF_MODEL_OVERLAY && st->nets[i].vni == vni &&
		    st->nets[i].vlan == vlan)
			return &st->nets[i];
	return NULL;
}

static int overlay_validate(struct cbpf_state *st, const struct net_request *req,
			    struct cbpf_network *net)
{
	unsigned long value;
	const struct cbpf_network *owner;
	int err;

	err = netmodel_reject_option(req, "overlay", "parent", req->parent);
	err = err ?: netmodel_reject_option(req, "overlay", "mode", req->mode);
	err = err ?: netmodel_reject_option(req, "overlay", "host-access", req->host_access);
	if (err)
		return err;
	if (req->vlan) {
		if (parse_uint_option(req->vlan, 1, 4094, &value)) {
			cbpf_err("net create %s: VLAN ID %s is outside 1..4094", req->name,
				 req->vlan);
			return -EINVAL;
		}
		net->vlan = value;
	}
	if (req->vni) {
		if (parse_uint_option(req->vni, 1, VXLAN_VNI_MAX, &value)) {
			cbpf_err("net create %s: VNI %s is outside 1..%u", req->name, req->vni,
				 VXLAN_VNI_MAX);
			return -EINVAL;
		}
		owner = vni_owner(st, value, net->vlan);
		if (owner) {
			cbpf_err("net create %s: VNI %lu%s is taken by network %s", req->name,
				 value, net->vlan ? " with this VLAN" : "", owner->name);
			return -EEXIST;
		}
		net->vni = value;
	} else {
		for (value = VXLAN_VNI_FIRST; vni_owner(st, value, net->vlan); value++)
			;
		net->vni = value;
	}
	net->mtu = OVERLAY_MTU_DEFAULT;
	if (req->mtu) {
		if (parse_uint_option(req->mtu, 0, 9000 - CBPF_VXLAN_OVERHEAD, &value) ||
		    value < OVERLAY_MTU_MIN) {
			cbpf_err("net create %s: MTU %s is outside %u..%u (the underlay carries "
				 "%u bytes of VxLAN headers)",
				 req->name, req->mtu, OVERLAY_MTU_MIN, 9000 - CBPF_VXLAN_OVERHEAD,
				 CBPF_VXLAN_OVERHEAD);
			return -EINVAL;
		}
		net->mtu = value;
	}
	return 0;
}

const struct net_model_ops net_model_overlay = {
    .name = "overlay",
    .model = CBPF_MODEL_OVERLAY,
    .validate = overlay_validate,
    .plumb = veth_plumb,
    .unplumb = veth_unplumb,
    .relink = veth_relink,
    .present = veth_present,
};
