/* Subcommands of `policy` for file-based policy: one file each (cmd_policy_check.c, _reload.c,
 * _explain.c, _stats.c, _list.c). */
#ifndef CBPF_POLICY_CMDS_H
#define CBPF_POLICY_CMDS_H

#include "core/cmd.h"
#include "policy/policy_live.h"

extern const struct cbpf_opt policy_check_opts[];

int policy_check(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_reload(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_explain(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_stats(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_list(struct cbpf_ctx *ctx, int argc, char **argv);

#endif
