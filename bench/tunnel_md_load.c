/*
 * Loads the collect_md alternative (bpf/tunnel_md.bpf.c) beside a host's cbpfnet programs,
 * sharing its pinned maps, and pins the two programs for `tc filter ... bpf pinned` to attach.
 * Run inside the host's network namespace (the vxlan device's index is looked up there).
 * Usage: build/bench/tunnel_md_load PIN_DIR VXLAN_DEVICE   (PIN_DIR: <bpffs>/cbpfnet)
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tunnel_md.skel.h"

/*
 * The daemon sizes some maps to the policy it installs; the object must declare the pinned
 * sizes for libbpf to share those maps.
 */
static void match_pinned_sizes(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
	}
}

static int pin(struct bpf_program *prog, const char *dir, const char *name)
{
	char path[512];
	int err;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	err = bpf_program__pin(prog, path);
	if (err)
		fprintf(stderr, "tunnel_md_load: pin %s: %s\n", path, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct tunnel_md_bpf *skel;
	unsigned int ifindex;
	int err;

	if (argc != 3) {
		fprintf(stderr, "usage: %s PIN_DIR VXLAN_DEVICE\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	if (!ifindex) {
		fprintf(stderr, "tunnel_md_load: device %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	opts.pin_root_path = argv[1];
	skel = tunnel_md_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "tunnel_md_load: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->cbpf_md_ifindex = ifindex;
	match_pinned_sizes(skel->obj, argv[1]);
	err = tunnel_md_bpf__load(skel);
	if (err)
		fprintf(stderr, "tunnel_md_load: load with the maps pinned in %s: %s\n", argv[1],
			strerror(-err));
	if (!err)
		err = pin(skel->progs.tc_from_ep_md, argv[1], "bench_md_from_ep");
	if (!err)
		err = pin(skel->progs.tc_from_vxlan_md, argv[1], "bench_md_from_vxlan");
	tunnel_md_bpf__destroy(skel);
	return err ? 1 : 0;
}
