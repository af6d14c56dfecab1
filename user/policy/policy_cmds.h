/* Subcommands of `policy` for file-based policy: one file each (policy_check.c, policy_reload.c,
 * policy_explain.c, policy_stats.c; policy list in policy_list.c). */
#ifndef CBPF_POLICY_CMDS_H
#define CBPF_POLICY_CMDS_H

#include "core/cmd.h"
#include "policy/policy_compile.h"

extern const struct cbpf_opt policy_check_opts[];

int policy_check(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_reload(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_explain(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_stats(struct cbpf_ctx *ctx, int argc, char **argv);
int policy_list(struct cbpf_ctx *ctx, int argc, char **argv);

/* The accepted file rules compiled with the state's own: the rules the datapath holds. */
int policy_compile_live(struct cbpf_state *st, struct pol_compiled *c, char *msg, size_t size);

#endif
