/* Subcommands of `policy` for file-based policy (policy_cmds.c). */
#ifndef CBPF_POLICY_CMDS_H
#define CBPF_POLICY_CMDS_H

#include "cli.h"

int policy_check(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_reload(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_explain(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_stats(struct cbpf_ctx *ctx, int argc, char **argv);

#endif
