/* Policy path to live maps: everything is validated before the first map is written. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reconcile/policy_apply.h"
#include "reconcile/policy_load.h"

static double clock_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int load(const struct cbpf_ctx *ctx, const char *path, bool install, bool strict,
		struct pol_result *res)
{
	double start = clock_ms(CLOCK_MONOTONIC), cpu = clock_ms(CLOCK_THREAD_CPUTIME_ID);
	struct pol_set files = {0};
	struct pol_compiled c;
	struct cbpf_state st;
	struct cbpf_maps maps;
	int err;

	memset(res, 0, sizeof(*res));
	err = state_open(ctx->state_dir, &st);
	if (err) {
		snprintf(res->message, sizeof(res->message), "state %s: %s", ctx->state_dir,
			 strerror(-err));
		return err;
	}
	err = policy_parse_path(path, &files, res->message, sizeof(res->message));
	if (!err)
		err = policy_compile(&st, &files, strict, &c, res->message, sizeof(res->message));
	if (err)
		goto out;
	res->n_files = files.n_files;
	res->n_rules = files.n_ids;
	res->n_entries = c.rules.n;
	if (install) {
		err = cbpf_maps_open(ctx, &maps);
		if (!err) {
			err = policy_install(&maps, &c);
			cbpf_maps_close(&maps);
		}
		if (err)
			snprintf(res->message, sizeof(res->message), "install policy in %s: %s",
				 ctx->bpffs, strerror(-err));
		/* Recorded only once live, so every later compile includes what is live. */
		if (!err && (err = policy_snapshot_write(ctx->state_dir, &files, path)))
			snprintf(res->message, sizeof(res->message), "record policy in %s: %s",
				 ctx->state_dir, strerror(-err));
	}
	policy_compiled_free(&c);
	if (!err)
		snprintf(res->message, sizeof(res->message), "%s: %zu rules, %zu entries", path,
			 res->n_rules, res->n_entries);
out:
	res->ms = clock_ms(CLOCK_MONOTONIC) - start;
	res->cpu_ms = clock_ms(CLOCK_THREAD_CPUTIME_ID) - cpu;
	policy_set_free(&files);
	state_close(&st);
	return err;
}

int policy_check_path(const struct cbpf_ctx *ctx, const char *path, bool strict,
		      struct pol_result *res)
{
	return load(ctx, path, false, strict, res);
}

/*
 * Rules may name endpoints and networks that do not exist yet, as Kubernetes and Cilium
 * policies may: such a rule compiles to nothing until its objects appear, and every endpoint
 * and network change recompiles the accepted files.
 */
int policy_apply_path(const struct cbpf_ctx *ctx, const char *path, struct pol_result *res)
{
	return load(ctx, path, true, false, res);
}
