/* cbpfnet entry point: global options, then the command table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cni.h"
#include "client/forward.h"
#include "commands.h"

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"bpffs", required_argument, NULL, 'b'},
	    {"state", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct cbpf_ctx ctx = {
	    .bpffs = "/sys/fs/bpf",
	    .state_dir = "/var/lib/cbpfnet",
	};
	int opt;

	/* A container runtime runs the binary as its CNI plugin: no arguments, CNI_COMMAND set. */
	if (argc == 1 && getenv("CNI_COMMAND"))
		return cni_main();

	/* '+' stops at the command name: everything after it belongs to the command. */
	while ((opt = getopt_long(argc, argv, "+jh", opts, NULL)) != -1) {
		switch (opt) {
		case 'b':
			ctx.bpffs = optarg;
			break;
		case 's':
			ctx.state_dir = optarg;
			break;
		case 'j':
			ctx.json = true;
			break;
		case 'h':
			cbpf_usage(stdout);
			return 0;
		default:
			cbpf_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		cbpf_usage(stderr);
		return 2;
	}
	argc -= optind;
	argv += optind;
	/* Whatever changes the host is the agent's to do; the socket's mode decides who may ask. */
	if (!forward_runs_locally(argc, argv))
		return forward_to_agent(&ctx, argc, argv);
	/* Everything local but the classifier touches links, namespaces or BPF objects. */
	if (geteuid() != 0 && strcmp(argv[0], "model")) {
		cbpf_err("%s: needs root (CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN)", argv[0]);
		return 1;
	}
	return cbpf_dispatch(&ctx, "cbpfnet", cbpf_commands, argc, argv) ? 1 : 0;
}
