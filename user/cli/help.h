/*
 * What the command line answers by itself from the command tables, agent or not: --help, the
 * global options, the man page, bash completion and --version.
 */
#ifndef CBPF_CLI_HELP_H
#define CBPF_CLI_HELP_H

#include <stdbool.h>
#include <stdio.h>

#include "core/cmd.h"
#include "core/err.h"

/* --json, --state, --bpffs, --help, --version: accepted before or after the command. */
extern const struct cbpf_opt cli_global_opts[];

/*
 * Takes the global options out of argv[1..] wherever they stand (up to a "--"), after the
 * defaults CBPFNET_STATE and CBPFNET_BPFFS; *argc shrinks to what is left. Sets *help and
 * *version when asked. Returns 0 or -EINVAL after reporting.
 */
int cli_take_globals(int *argc, char **argv, struct cbpf_ctx *ctx, bool *help, bool *version);

/*
 * Checks that argv starts with a complete command path and that every "--option" after it is
 * the command's, reporting the unknown word and the nearest one; 0 or -EINVAL.
 */
int cli_check_line(int argc, char **argv);

/* --help of the command argv names (none: cbpfnet's own); 0 or -EINVAL after reporting. */
int cli_help(FILE *out, int argc, char **argv);
/* Help of the whole program, for `cbpfnet` alone or a bad global option. */
void cli_usage(FILE *out);
/* `cbpfnet help [--options|--commands|--man] [COMMAND...]`. */
extern const struct cbpf_opt cli_help_opts[];
int cli_help_cmd(struct cbpf_ctx *ctx, int argc, char **argv);
/* The man page of every command, in roff (`help --man`). */
void cli_man(FILE *out);
/* `cbpfnet completion bash|names KIND`. */
int cli_completion_cmd(struct cbpf_ctx *ctx, int argc, char **argv);
/*
 * With --json: cli_errors_collect holds back every cbpf_err line; cli_errors_finish(status)
 * prints them as {"error": ...} on stdout when the command failed without printing a document,
 * on stderr as text otherwise, and returns status.
 */
int cli_errors_collect(void);
int cli_errors_finish(int status);
/* `cbpfnet --version`. */
void cli_version(FILE *out);

#endif
