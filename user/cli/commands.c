/* The top-level command table, shared by the command line and the agent that runs it. */
#include <errno.h>

#include "core/err.h"
#include "cli/help.h"
#include "client/forward.h"
#include "cli/commands.h"
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
    {.name = "load", .run = cmd_load, .help = "load and pin programs and maps", .example = "load"},
    {.name = "sync",
     .run = cmd_load,
     .help = "reconcile maps and attachments with the store now",
     .example = "sync"},
    {.name = "unload",
     .run = cmd_unload,
     .help = "detach and unpin everything",
     .example = "unload"},
    {.name = "status",
     .run = cmd_status,
     .help = "what is loaded, attached and counted",
     .example = "status"},
    {.name = "attach",
     .run = cmd_attach,
     .args = "IFACE [--xdp|--tc] | --show IFACE",
     .help = "attach the endpoint program to an endpoint's host interface",
     .opts = cbpf_attach_opts,
     .example = "attach --show eth0"},
    {.name = "detach",
     .run = cmd_detach,
     .args = "IFACE",
     .help = "remove cbpfnet programs from IFACE",
     .example = "detach veth1a2b3c"},
    {.name = "net", .help = "networks", .example = "net ls", .sub = cbpf_net_cmds},
    {.name = "ep", .help = "endpoints", .example = "ep ls", .sub = cbpf_ep_cmds},
    {.name = "node",
     .help = "peer hosts (and this one) on the underlay",
     .example = "node ls",
     .sub = cbpf_node_cmds},
    {.name = "policy",
     .help = "verdicts between endpoints and networks",
     .example = "policy ls",
     .sub = cbpf_policy_cmds},
    {.name = "daemon",
     .run = cmd_daemon,
     .args = "[OPTIONS]",
     .help = "the host agent: owns the datapath, serves the API",
     .opts = agent_daemon_opts,
     .example = "daemon --policy /etc/cbpfnet/policy"},
    {.name = "monitor",
     .run = monitor_in_agent,
     .args = "[OPTIONS]",
     .help = "drop and verdict events, from now on or --since a time",
     .opts = forward_monitor_opts,
     .example = "monitor --since 5m --count 10"},
    {.name = "model",
     .help = "the network model classifier",
     .example = "model history",
     .sub = cbpf_model_cmds},
    {.name = "help",
     .run = cli_help_cmd,
     .args = "[COMMAND...]",
     .help = "help on a command",
     .opts = cli_help_opts,
     .example = "help ep add"},
    {.name = "completion",
     .run = cli_completion_cmd,
     .args = "bash",
     .help = "print the bash completion script",
     .example = "completion bash > /etc/bash_completion.d/cbpfnet"},
    {0},
};
