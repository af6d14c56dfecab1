/*
 * `cbpfnet` as typed: a small static program that sends a command line to the agent, the way
 * most commands run. Everything it does not send itself (local commands, help, the CNI mode, no
 * agent to reach) it hands to the full command line, cbpfnet-full next to it, with the same
 * words, by execv: same messages, same exit codes, same process (`cbpfnet daemon &` leaves the
 * agent's PID in $!). Loading the full binary's ten libraries cost every command the agent runs
 * 1.4-1.6 ms, half of a `net list` (docs/benchmarks.md).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "cli/help.h"
#include "client/client.h"
#include "client/forward.h"

#define FULL_NAME "cbpfnet-full"

/* Replaces this process with FULL_NAME from the directory of this program; returns 1 if not. */
static int run_full(char **argv)
{
	char path[4096];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - sizeof(FULL_NAME));
	char *slash;

	if (len < 0 || len == (ssize_t)(sizeof(path) - sizeof(FULL_NAME))) {
		cbpf_err("cannot find the directory of this program (/proc/self/exe): %s",
			 strerror(len < 0 ? errno : ENAMETOOLONG));
		return 1;
	}
	path[len] = '\0';
	slash = strrchr(path, '/');
	strcpy(slash ? slash + 1 : path, FULL_NAME);
	execv(path, argv);
	cbpf_err("cannot run the full command line %s: %s", path, strerror(errno));
	return 1;
}

/* The global options, taken quietly: a bad one is the full binary's to report, with usage. */
static bool take_globals(int *argc, char **words, struct cbpf_ctx *ctx, bool *help, bool *version)
{
	char *text = NULL;
	size_t len;
	FILE *quiet = open_memstream(&text, &len);
	int err;

	if (!quiet)
		return false;
	cbpf_err_redirect(quiet);
	err = cli_take_globals(argc, words, ctx, help, version);
	cbpf_err_redirect(NULL);
	fclose(quiet);
	free(text);
	return !err;
}

static int forward(const struct cbpf_ctx *ctx, int fd, int argc, char **argv)
{
	if (ctx->json && cli_errors_collect()) {
		cbpf_err("cannot hold back errors for --json: %s", strerror(errno));
		close(fd);
		return 1;
	}
	return cli_errors_finish(forward_exec(ctx, fd, argc, argv));
}

int main(int argc, char **argv)
{
	struct cbpf_ctx ctx = {.bpffs = "/sys/fs/bpf", .state_dir = "/var/lib/cbpfnet"};
	bool help = false, version = false;
	char **words = calloc(argc + 1, sizeof(*words));
	int n = argc, fd;

	/* cli_take_globals takes words out in place: argv stays whole for the full binary. */
	if (!words || argc < 2)
		return run_full(argv);
	memcpy(words, argv, argc * sizeof(*argv));
	if (!take_globals(&n, words, &ctx, &help, &version) || help || version || n < 2 ||
	    forward_runs_locally(n - 1, words + 1) || !strcmp(words[1], "monitor") ||
	    client_connect(ctx.state_dir, &fd))
		return run_full(argv);
	return forward(&ctx, fd, n - 1, words + 1);
}
