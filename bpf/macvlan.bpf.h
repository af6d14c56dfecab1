/*
 * The macvlan link map and the two ends of a packet as a macvlan endpoint's programs see them:
 * shared by those programs (bpf/macvlan.bpf.c) and policy explain (bpf/explain.bpf.c).
 */
#ifndef CBPF_MACVLAN_BPF_H
#define CBPF_MACVLAN_BPF_H

#include "macvlan.h"
#include "policy.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CBPF_MAX_MACVLAN_LINKS);
	__type(key, struct cbpf_macvlan_key);
	__type(value, struct cbpf_macvlan_link);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_macvlan_links SEC(".maps");

/*
 * Who ip is for policy: an endpoint this host knows, else a member of the network whose subnet
 * holds it (a peer on another host). Returns 0 for an address to be judged as an address: one
 * the tables give to a host's stack (the host's shim, or any host address the endpoint routes
 * to through it, is the host, not a network member), or one outside the subnet.
 */
static __always_inline int macvlan_peer(const struct cbpf_policy_live *live, __be32 ip,
					const struct cbpf_macvlan_link *link,
					struct cbpf_ep_value *out)
{
	struct cbpf_ep_key key = {.ip = ip};
	struct cbpf_ep_value *ep = bpf_map_lookup_elem(&cbpf_endpoints, &key);
	__u32 mask;

	if (ep) {
		*out = *ep;
		return 1;
	}
	if (link->prefix_len == 0 || link->prefix_len > 32 || cbpf_addr_is_host(live, ip))
		return 0;
	mask = bpf_htonl(0xffffffffu << (32 - link->prefix_len));
	if ((ip & mask) != link->subnet)
		return 0;
	__builtin_memset(out, 0, sizeof(*out));
	out->identity = link->net_id;
	out->net_id = link->net_id;
	return 1;
}

#define MACVLAN_END_SRC 1
#define MACVLAN_END_DST 2

/*
 * The identities link's programs judge a packet from saddr to daddr by, and its default in
 * *fallback: as the sender's egress when the source is an endpoint (or a network member), else
 * as the receiver's ingress. Returns which ends count as endpoints (MACVLAN_END_*); 0 when
 * neither does, and then no rule applies.
 */
static __always_inline __u32 macvlan_ids(const struct cbpf_policy_live *live, __be32 saddr,
					 __be32 daddr, const struct cbpf_macvlan_link *link,
					 struct cbpf_ids *src_ids, struct cbpf_ids *dst_ids,
					 __u32 *fallback)
{
	struct cbpf_ep_value src, dst;
	int src_ep = macvlan_peer(live, saddr, link, &src);
	int dst_ep = macvlan_peer(live, daddr, link, &dst);

	*fallback = 0;
	if (src_ep)
		*fallback =
		    cbpf_egress_ids(live, &src, dst_ep ? &dst : NULL, daddr, src_ids, dst_ids);
	else if (dst_ep)
		cbpf_ingress_ids(live, NULL, &dst, saddr, src_ids, dst_ids);
	return (src_ep ? MACVLAN_END_SRC : 0) | (dst_ep ? MACVLAN_END_DST : 0);
}

#endif
