/* cbpfnet entry point: global options, then the command table. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cni.h"
#include "commands.h"
#include "model/model_cmd.h"

static const struct cbpf_cmd commands[] = {
    {"load", cmd_load, "load                      load and pin programs and maps"},
    {"unload", cmd_unload, "unload                    detach and unpin everything"},
    {"status", cmd_status, "status                    what is loaded, attached and counted"},
    {"attach", cmd_attach,
     "attach IFACE [--xdp|--tc] attach the endpoint program\n"
     "  attach --show IFACE       list the programs on IFACE's TCX and XDP hooks"},
    {"detach", cmd_detach, "detach IFACE              remove cbpfnet programs from IFACE"},
    {"net", cmd_net, "net create|set|list|delete networks"},
    {"ep", cmd_ep, "ep add|del|apply|list     endpoints"},
    {"node", cmd_node, "node add|del|list         peer hosts (and this one) on the underlay"},
    {"policy", cmd_policy, "policy set|del|list|check|reload|explain|stats"},
    {"daemon", cmd_daemon, "daemon --policy FILE|DIR  apply a policy file, reload on SIGHUP"},
    {"monitor", cmd_monitor, "monitor [--count N] [--timeout S]  drop and verdict events"},
    {"model", cmd_model, "model gen|train|eval|screen|predict|retrain|confirm|override"},
    {NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fputs("usage: cbpfnet [--bpffs DIR] [--state DIR] [--json] COMMAND ...\n\ncommands:\n",
	      out);
	for (const struct cbpf_cmd *c = commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fputs("\nRun with no arguments and CNI_COMMAND set, cbpfnet is a CNI plugin (README).\n",
	      out);
}

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
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	/* Everything but the classifier touches links, namespaces or BPF objects. */
	if (geteuid() != 0 && strcmp(argv[optind], "model")) {
		cbpf_err("%s: needs root (CAP_NET_ADMIN, CAP_BPF and CAP_SYS_ADMIN)", argv[optind]);
		return 1;
	}
	return cbpf_dispatch(&ctx, "cbpfnet", commands, argc - optind, argv + optind) ? 1 : 0;
}
