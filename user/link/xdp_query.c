#include <errno.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <string.h>

#include "link/nl.h"
#include "link/xdp_query.h"

static uint32_t attr_u32(struct nlattr *attr)
{
	return attr ? nla_get_u32(attr) : 0;
}

static int on_link(struct nl_msg *msg, void *arg)
{
	struct nlattr *link[IFLA_MAX + 1], *xdp[IFLA_XDP_MAX + 1];
	struct nl_xdp_ids *ids = arg;

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct ifinfomsg), link, IFLA_MAX, NULL) < 0 ||
	    !link[IFLA_XDP] || nla_parse_nested(xdp, IFLA_XDP_MAX, link[IFLA_XDP], NULL) < 0)
		return NL_OK;
	ids->prog = attr_u32(xdp[IFLA_XDP_PROG_ID]);
	ids->drv = attr_u32(xdp[IFLA_XDP_DRV_PROG_ID]);
	ids->skb = attr_u32(xdp[IFLA_XDP_SKB_PROG_ID]);
	ids->hw = attr_u32(xdp[IFLA_XDP_HW_PROG_ID]);
	return NL_OK;
}

int nl_xdp_query(int ifindex, struct nl_xdp_ids *ids)
{
	struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = ifindex};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETLINK, 0);
	struct nl_sock *sock = NULL;
	struct nl_cb *cb = NULL;
	int err = msg ? nl_sock_open(-1, &sock) : -ENOMEM;

	memset(ids, 0, sizeof(*ids));
	err = err ?: nl_to_errno(nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO));
	/* The counters are most of a link's message and nothing here reads them. */
	err = err ?: nl_to_errno(nla_put_u32(msg, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS));
	if (!err && !(cb = nl_cb_clone(nl_socket_get_cb(sock))))
		err = -ENOMEM;
	if (!err) {
		nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_link, ids);
		err = nl_send_auto(sock, msg);
		err = err < 0 ? nl_to_errno(err) : nl_to_errno(nl_recvmsgs(sock, cb));
	}
	nl_cb_put(cb);
	if (sock)
		nl_sock_close(sock);
	nlmsg_free(msg);
	return err;
}
