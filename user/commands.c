/* The top-level command table, shared by the command line and the agent that runs it. */
#include <errno.h>

#include "commands.h"
#include "model/model_cmd.h"

/* `monitor` is a client of the agent's event stream (client/forward.c), never run inside it. */
static int monitor_in_agent(struct cbpf_ctx *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	cbpf_err("monitor: read the agent's event stream (GET /v1/events) instead");
	return -EINVAL;
}

const struct cbpf_cmd cbpf_commands[] = {
    {"load", cmd_load, "load                      load and pin programs and maps"},
    {"sync", cmd_load,
     "sync                      reconcile maps and attachments with the store now"},
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
    {"daemon", cmd_daemon,
     "daemon [--policy FILE|DIR] the host agent: owns the datapath, serves the API"},
    {"monitor", monitor_in_agent,
     "monitor [--since DURATION|TIME] [--follow] [--count N] [--timeout S]  drop and flow events"},
    {"model", cmd_model, "model gen|train|eval|screen|predict|retrain|confirm|override"},
    {NULL, NULL, NULL},
};

void cbpf_usage(FILE *out)
{
	fputs("usage: cbpfnet [--bpffs DIR] [--state DIR] [--json] COMMAND ...\n\ncommands:\n",
	      out);
	for (const struct cbpf_cmd *c = cbpf_commands; c->name; c++)
		fprintf(out, "  %s\n", c->usage);
	fputs("\nCommands that change the host are run by the agent (`cbpfnet daemon`) of the\n"
	      "state directory; run with no arguments and CNI_COMMAND set, cbpfnet is a CNI "
	      "plugin.\n",
	      out);
}
