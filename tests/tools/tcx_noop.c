/*
 * Stands for somebody else's program in the integration tests: loads tc_noop (bpf/noop.bpf.c)
 * and attaches it by TCX behind whatever is on the hook, as a tool that knows nothing of
 * cbpfnet would. Like cbpfnet's, the attachment outlives this process and goes with the
 * interface. Run it in the interface's namespace.
 * Usage: build/tests/tools/tcx_noop IFACE ingress|egress
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "reconcile/attach.h"
#include "noop.skel.h"

int main(int argc, char **argv)
{
	struct noop_bpf *skel;
	unsigned int ifindex;
	bool egress;
	int err;

	if (argc != 3 || (strcmp(argv[2], "ingress") && strcmp(argv[2], "egress"))) {
		fprintf(stderr, "usage: %s IFACE ingress|egress\n", argv[0]);
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
	/* No flags: appended, the way a plain BPF_PROG_ATTACH places it. */
	err = bpf_prog_attach_opts(bpf_program__fd(skel->progs.tc_noop), ifindex,
				   cbpf_tcx_attach_type(egress), NULL);
	if (err)
		fprintf(stderr, "tcx_noop: attach tc_noop at TCX %s of %s: %s\n", argv[2], argv[1],
			strerror(-err));
	noop_bpf__destroy(skel);
	return err ? 1 : 0;
}
