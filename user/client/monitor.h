/* `monitor`: the agent's drop and flow events (GET /v1/events) on the command line. */
#ifndef CBPF_CLIENT_MONITOR_H
#define CBPF_CLIENT_MONITOR_H

#include "core/cmd.h"

/* Runs `monitor [--since ...] [--follow] [--count N] [--timeout S]`; returns the exit status. */
int monitor_run(const struct cbpf_ctx *ctx, int argc, char **argv);

#endif
