#include <bpf/bpf.h>
#include <errno.h>
#include <unistd.h>

#include "reconcile/map_like.h"

int map_like(int like_fd, const char *name, __u32 max_entries)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	int btf_fd, fd;

	if (bpf_obj_get_info_by_fd(like_fd, &info, &len))
		return -errno;
	btf_fd = info.btf_id ? bpf_btf_get_fd_by_id(info.btf_id) : -1;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags,
		    .btf_fd = btf_fd > 0 ? btf_fd : 0,
		    .btf_key_type_id = btf_fd > 0 ? info.btf_key_type_id : 0,
		    .btf_value_type_id = btf_fd > 0 ? info.btf_value_type_id : 0);
	fd = bpf_map_create(info.type, name, info.key_size, info.value_size, max_entries, &opts);
	if (fd < 0)
		fd = -errno;
	if (btf_fd > 0)
		close(btf_fd);
	return fd;
}
