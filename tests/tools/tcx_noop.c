/*
 * Stands for somebody else's program in the integration tests: loads tc_noop (bpf/noop.bpf.c)
 * and attaches it by TCX behind whatever is on the hook, as a tool that knows nothing of
 * cbpfnet would. Like cbpfnet's, the attachment outlives this process and goes with the
 * interface. Run it in the interface's namespace. With --into, it puts tc_noop in place of the
 * program inside a pinned link instead (BPF_LINK_UPDATE), as a root user's tool could do to
 * one of cbpfnet's. With xdp, it attaches xdp_noop to the interface's XDP hook the way
 * `ip link set IFACE xdp` does (no link).
 * Usage: build/tests/tools/tcx_noop IFACE ingress|egress|xdp
 *        build/tests/tools/tcx_noop --into PINNED_LINK
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "noop.skel.h"

static int into_link(const char *pinned)
{
	struct noop_bpf *skel;
	int link_fd = bpf_obj_get(pinned), err;

	if (link_fd < 0) {
		fprintf(stderr, "tcx_noop: open link %s: %s\n", pinned, strerror(errno));
		return 1;
	}
	skel = noop_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "tcx_noop: load tc_noop: %s\n", strerror(errno));
		close(link_fd);
		return 1;
	}
	err = bpf_link_update(link_fd, bpf_program__fd(skel->progs.tc_noop), NULL);
	if (err)
		fprintf(stderr, "tcx_noop: put tc_noop into link %s: %s\n", pinned, strerror(-err));
	noop_bpf__destroy(skel);
	close(link_fd);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct noop_bpf *skel;
	unsigned int ifindex;
	bool egress;
	int err;

	if (argc == 3 && !strcmp(argv[1], "--into"))
		return into_link(argv[2]);
	if (argc != 3 ||
	    (strcmp(argv[2], "ingress") && strcmp(argv[2], "egress") && strcmp(argv[2], "xdp"))) {
		fprintf(stderr, "usage: %s IFACE ingress|egress|xdp | --into PINNED_LINK\n",
			argv[0]);
		return 2;
	}
	egress = !strcmp(argv[2], "egress");
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "tcx_noop: interface %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	skel = noop_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "tcx_noop: load tc_noop: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(argv[2], "xdp")) {
		err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_noop), 0, NULL);
		if (err)
			fprintf(stderr, "tcx_noop: attach xdp_noop to %s: %s\n", argv[1],
				strerror(-err));
		noop_bpf__destroy(skel);
		return err ? 1 : 0;
	}
	/* No flags: appended, the way a plain BPF_PROG_ATTACH places it. */
	err = bpf_prog_attach_opts(bpf_program__fd(skel->progs.tc_noop), ifindex,
				   cbpf_tcx_attach_type(egress), NULL);
	if (err)
		fprintf(stderr, "tcx_noop: attach tc_noop at TCX %s of %s: %s\n", argv[2], argv[1],
			strerror(-err));
	noop_bpf__destroy(skel);
	return err ? 1 : 0;
}
