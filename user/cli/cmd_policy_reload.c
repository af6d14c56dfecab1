/* policy reload without an agent: the agent runs the command itself. */
#include <errno.h>

#include "core/err.h"
#include "cli/cmd_policy.h"
#include "core/output.h"

/* The agent runs `policy reload` itself (api/exec.c); reaching this means there is none. */
int policy_reload(struct cbpf_ctx *ctx, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	cbpf_err("policy reload: no agent is running on state %s (start one: cbpfnet daemon "
		 "--policy FILE|DIR)",
		 ctx->state_dir);
	return -ESRCH;
}
