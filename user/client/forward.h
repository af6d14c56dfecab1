/* The command line as a client of the agent. */
#ifndef CBPF_CLIENT_FORWARD_H
#define CBPF_CLIENT_FORWARD_H

#include <stdbool.h>

#include "core/cmd.h"

/* `monitor`'s options: it is the one command the client runs against the event stream. */
extern const struct cbpf_opt forward_monitor_opts[];

/* Words that run in the calling process: they touch nothing the agent owns. */
bool forward_runs_locally(int argc, char **argv);
/*
 * Has the agent of ctx->state_dir run the words; returns the command's exit status, or 1 with
 * a message saying how to start an agent when none runs.
 */
int forward_to_agent(const struct cbpf_ctx *ctx, int argc, char **argv);
/*
 * Sends the words to the agent connected on fd (client_connect; closed here) and passes on what
 * the command printed; returns its exit status, or 1 with a message when the agent did not
 * answer or refused the request.
 */
int forward_exec(const struct cbpf_ctx *ctx, int fd, int argc, char **argv);
/* Says why the agent could not be reached (err from client_connect) for command what; 1. */
int forward_no_agent(const struct cbpf_ctx *ctx, const char *what, int err);

#endif
