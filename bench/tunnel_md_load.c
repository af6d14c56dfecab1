/*
 * Loads the collect_md alternative (bpf/tunnel_md.bpf.c) beside a host's cbpfnet programs,
 * sharing its pinned maps, pins its two programs (bench_md_from_ep, bench_md_from_vxlan) and
 * swaps the attachments by TCX: cbpfnet's tunnel program leaves the underlay interface (the
 * vxlan device's UDP socket receives the tunnel traffic instead), bench_md_from_ep takes the
 * place of cbpfnet's program at the endpoint's host interface's ingress, and
 * bench_md_from_vxlan goes on the vxlan device's ingress.
 * Run inside the host's network namespace (the interfaces are looked up there).
 * Usage: build/bench/tunnel_md_load PIN_DIR VXLAN_DEVICE UNDERLAY_IFACE ENDPOINT_IFACE
 *        (PIN_DIR: <bpffs>/cbpfnet)
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "reconcile/loader.h"
#include "tunnel_md.skel.h"

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

/* At TCX ingress of ifname in place of cbpfnet's program there (or first). */
static int attach(struct bpf_program *prog, const char *ifname, int ifindex)
{
	int err = cbpf_tcx_attach(ifindex, bpf_program__fd(prog), false);

	if (err)
		fprintf(stderr, "tunnel_md_load: attach %s at TCX ingress of %s: %s\n",
			bpf_program__name(prog), ifname, strerror(-err));
	return err;
}

int main(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	const char *dir, *names[3];
	struct tunnel_md_bpf *skel;
	unsigned int ifindex[3];
	int err;

	if (argc != 5) {
		fprintf(stderr, "usage: %s PIN_DIR VXLAN_DEVICE UNDERLAY_IFACE ENDPOINT_IFACE\n",
			argv[0]);
		return 2;
	}
	dir = argv[1];
	for (int i = 0; i < 3; i++) {
		names[i] = argv[2 + i];
		ifindex[i] = if_nametoindex(names[i]);
		if (!ifindex[i]) {
			fprintf(stderr, "tunnel_md_load: interface %s: %s\n", names[i],
				strerror(errno));
			return 1;
		}
	}
	opts.pin_root_path = dir;
	skel = tunnel_md_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "tunnel_md_load: open: %s\n", strerror(errno));
		return 1;
	}
	skel->rodata->cbpf_md_ifindex = ifindex[0];
	cbpf_match_pinned_sizes(skel->obj, dir);
	err = tunnel_md_bpf__load(skel);
	if (err)
		fprintf(stderr, "tunnel_md_load: load with the maps pinned in %s: %s\n", dir,
			strerror(-err));
	if (!err)
		err = pin(skel->progs.tc_from_ep_md, dir, "bench_md_from_ep");
	if (!err)
		err = pin(skel->progs.tc_from_vxlan_md, dir, "bench_md_from_vxlan");
	if (!err) {
		err = cbpf_tcx_detach(ifindex[1]);
		if (err)
			fprintf(stderr, "tunnel_md_load: detach cbpfnet's programs from %s: %s\n",
				names[1], strerror(-err));
	}
	if (!err)
		err = attach(skel->progs.tc_from_ep_md, names[2], ifindex[2]);
	if (!err)
		err = attach(skel->progs.tc_from_vxlan_md, names[0], ifindex[0]);
	tunnel_md_bpf__destroy(skel);
	return err ? 1 : 0;
}
