/* Top-level commands, one file each. */
#ifndef CBPF_COMMANDS_H
#define CBPF_COMMANDS_H

#include <stdio.h>

#include "cli.h"

/* Every top-level command, NULL-terminated. */
extern const struct cbpf_cmd cbpf_commands[];
void cbpf_usage(FILE *out);

int cmd_load(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_unload(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_status(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_attach(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_detach(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_net(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_ep(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_node(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_policy(struct cbpf_ctx *ctx, int argc, char **argv);
int cmd_daemon(struct cbpf_ctx *ctx, int argc, char **argv);

#endif
