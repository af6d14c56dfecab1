/* The full binary's way to the agent: monitor's event stream, or /v1/exec, or why neither. */
#include <errno.h>
#include <string.h>

#include "core/err.h"
#include "client/client.h"
#include "client/forward.h"
#include "client/monitor.h"

int forward_no_agent(const struct cbpf_ctx *ctx, const char *what, int err)
{
	if (err == -ENOENT || err == -ECONNREFUSED)
		cbpf_err("%s: no agent is running on state %s (start one: cbpfnet --state %s "
			 "--bpffs %s daemon [--policy FILE|DIR])",
			 what, ctx->state_dir, ctx->state_dir, ctx->bpffs);
	else if (err == -EACCES)
		cbpf_err(
		    "%s: permission denied on the agent's socket %s/cbpfnet.sock (root and the "
		    "socket's group may use it)",
		    what, ctx->state_dir);
	else
		cbpf_err("%s: cannot reach the agent on state %s: %s", what, ctx->state_dir,
			 strerror(-err));
	return 1;
}

int forward_to_agent(const struct cbpf_ctx *ctx, int argc, char **argv)
{
	int fd, err;

	if (!strcmp(argv[0], "monitor"))
		return monitor_run(ctx, argc, argv);
	err = client_connect(ctx->state_dir, &fd);
	if (err)
		return forward_no_agent(ctx, argv[0], err);
	return forward_exec(ctx, fd, argc, argv);
}
