/* Top-level commands, one file each. */
#ifndef CBPF_COMMANDS_H
#define CBPF_COMMANDS_H

#include <stdio.h>

#include "core/cmd.h"
#include "core/err.h"

/* Every top-level command, NULL-terminated; groups point at their subcommand tables. */
extern const struct cbpf_cmd cbpf_commands[];
extern const struct cbpf_cmd cbpf_net_cmds[], cbpf_ep_cmds[], cbpf_node_cmds[], cbpf_policy_cmds[];
extern const struct cbpf_opt cbpf_attach_opts[], agent_daemon_opts[];

int cmd_load(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_unload(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_status(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_attach(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_detach(struct cbpf_ctx *ctx, int argc, char **argv);
/* Everything about one object: record, map entries, hooks, counters, rules (cmd_inspect.c). */
int net_inspect(struct cbpf_ctx *ctx, int argc, char **argv);
int ep_inspect(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_daemon(struct cbpf_ctx *ctx, int argc, char **argv);

#endif
