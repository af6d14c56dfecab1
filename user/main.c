/* cbpfnet entry point: global options, then the command table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cmd.h"
#include "core/err.h"
#include "cli/help.h"
#include "cni/cni.h"
#include "client/forward.h"
#include "cli/commands.h"

static int run(struct cbpf_ctx *ctx, int argc, char **argv)
{
	if (argc == 0) {
		if (ctx->json)
			cbpf_err("missing command (see cbpfnet --help)");
		else
			cli_usage(stderr);
		return 2;
	}
	if (cli_check_line(argc, argv))
		return 1;
	/* Whatever changes the host is the agent's to do; the socket's mode decides who may ask. */
	if (!forward_runs_locally(argc, argv))
		return forward_to_agent(ctx, argc, argv);
	/* Everything local but the classifier touches links, namespaces or BPF objects. */
	if (geteuid() != 0 && strcmp(argv[0], "model") && strcmp(argv[0], "help") &&
	    strcmp(argv[0], "completion")) {
		cbpf_err("%s: needs root (CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN)", argv[0]);
		return 1;
	}
	return cbpf_dispatch(ctx, "cbpfnet", cbpf_commands, argc, argv) ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct cbpf_ctx ctx = {
	    .bpffs = "/sys/fs/bpf",
	    .state_dir = "/var/lib/cbpfnet",
	    .commands = cbpf_commands,
	};
	bool help = false, version = false;

	/* A container runtime runs the binary as its CNI plugin: no arguments, CNI_COMMAND set. */
	if (argc == 1 && getenv("CNI_COMMAND"))
		return cni_main();
	if (cli_take_globals(&argc, argv, &ctx, &help, &version)) {
		cli_usage(stderr);
		return 2;
	}
	argc--;
	argv++;
	if (version) {
		cli_version(stdout);
		return 0;
	}
	if (ctx.json && cli_errors_collect()) {
		cbpf_err("cannot hold back errors for --json: %s", strerror(errno));
		return 1;
	}
	/* Help comes from the tables here, agent or not, root or not. */
	if (help)
		return cli_errors_finish(cli_help(stdout, argc, argv) ? 1 : 0);
	return cli_errors_finish(run(&ctx, argc, argv));
}
