#include <stdio.h>
#include <string.h>

#include "policy/policy_live.h"

void policy_state_dir(const struct cbpf_state *st, char *buf, size_t size)
{
	const char *slash = strrchr(st->path, '/');
	int len = slash ? (int)(slash - st->path) : 1;

	snprintf(buf, size, "%.*s", len, slash ? st->path : ".");
}

int policy_compile_live(struct cbpf_state *st, struct pol_compiled *c, char *msg, size_t size)
{
	struct pol_set files = {0};
	char dir[CBPF_PATH_MAX];
	int err;

	policy_state_dir(st, dir, sizeof(dir));
	err = policy_snapshot_read(dir, &files, msg, size);
	if (!err)
		err = policy_compile(st, &files, false, c, msg, size);
	policy_set_free(&files);
	return err;
}
