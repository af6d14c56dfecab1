#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include "macvlan.h"
#include "reconcile/macvlan_map.h"

static int links_open(const struct cbpf_ctx *ctx)
{
	return cbpf_pin_open_cached(ctx, "cbpf_macvlan_links");
}

int macvlan_link_update(const struct cbpf_ctx *ctx, int ifindex, uint32_t ip,
			const struct cbpf_network *net)
{
	struct cbpf_macvlan_key key = {.ifindex = ifindex};
	struct cbpf_macvlan_link value = {.ip = ip,
					  .net_id = net->id,
					  .vlan = net->vlan,
					  .subnet = net->subnet.addr,
					  .prefix_len = net->subnet.prefix_len};
	int fd = links_open(ctx), err;

	if (fd < 0)
		return fd;
	err = bpf_map_update_elem(fd, &key, &value, 0) ? -errno : 0;
	close(fd);
	return err;
}

int macvlan_link_delete(const struct cbpf_ctx *ctx, int ifindex)
{
	struct cbpf_macvlan_key key = {.ifindex = ifindex};
	int fd = links_open(ctx), err;

	if (fd < 0)
		return fd;
	err = bpf_map_delete_elem(fd, &key) && errno != ENOENT ? -errno : 0;
	close(fd);
	return err;
}
