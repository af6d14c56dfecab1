/* policy check: validates policy files against the current state, applying nothing. */
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdio.h>

#include "core/err.h"
#include "cli/cmd_policy.h"
#include "core/output.h"
#include "reconcile/policy_load.h"

const struct cbpf_opt policy_check_opts[] = {
    {"strict", 'S', NULL, "every object a rule names must exist now"},
    {NULL, 0, NULL, NULL},
};

int policy_check(struct cbpf_ctx *ctx, int argc, char **argv)
{
	bool strict = false;
	struct pol_result res;
	int opt, err;

	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, policy_check_opts, "policy check")) != -1) {
		if (opt != 'S')
			return -EINVAL;
		strict = true;
	}
	if (optind != argc - 1) {
		cbpf_err("policy check: usage: policy check [--strict] FILE|DIR");
		return -EINVAL;
	}
	err = policy_check_path(ctx, argv[argc - 1], strict, &res);
	if (err) {
		cbpf_err("policy check: %s", res.message);
		return err;
	}
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "ok", json_object_new_boolean(1));
		json_object_object_add(doc, "rules", json_object_new_int64(res.n_rules));
		json_object_object_add(doc, "entries", json_object_new_int64(res.n_entries));
		json_object_object_add(doc, "ms", json_object_new_double(res.ms));
		cbpf_print_json(doc);
	} else {
		printf("ok: %s\n", res.message);
	}
	return 0;
}
