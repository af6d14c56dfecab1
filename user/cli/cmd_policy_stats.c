/* policy stats: the per-rule packet and byte counters of the live rules. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "cli/cmd_policy.h"
#include "core/output.h"
#include "cli/table.h"
#include "policy/rule_ref.h"
#include "reconcile/loader.h"

int policy_stats(struct cbpf_ctx *ctx, int argc, char **argv)
{
	int ncpu = libbpf_num_possible_cpus(), fd, err;
	struct cbpf_rule_stat per_cpu[ncpu > 0 ? ncpu : 1];
	char path[320], msg[POL_ERR_MAX];
	struct pol_compiled c;
	struct cbpf_state st;
	struct cli_table t;
	json_object *list;

	(void)argv;
	if (argc != 1) {
		cbpf_err("policy stats: takes no arguments");
		return -EINVAL;
	}
	cbpf_pin_path(ctx, "cbpf_rule_stats", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		cbpf_err("policy stats: %s: %s (run 'cbpfnet load' first)", path, strerror(errno));
		return err;
	}
	err = state_open(ctx->state_dir, &st);
	if (err) {
		close(fd);
		return err;
	}
	err = policy_compile_live(&st, &c, msg, sizeof(msg));
	state_close(&st);
	if (err) {
		cbpf_err("policy stats: %s", msg);
		close(fd);
		return err;
	}
	list = json_object_new_array();
	if (!ctx->json)
		cli_table_init(&t, "RULE", "NAME", "ORIGIN", "FROM", "TO", "VERDICT", "PACKETS",
			       "BYTES", NULL);
	for (size_t i = 0; i < c.all.n; i++) {
		const struct pol_rule *r = &c.all.rules[i];
		struct cbpf_rule_stat sum = {0};
		char from[96], to[96], ref[CBPF_RULE_REF_MAX];
		json_object *o;

		if (!r->id || (i && c.all.rules[i - 1].id == r->id))
			continue;
		if (!bpf_map_lookup_elem(fd, &r->id, per_cpu))
			for (int cpu = 0; cpu < ncpu; cpu++) {
				sum.packets += per_cpu[cpu].packets;
				sum.bytes += per_cpu[cpu].bytes;
			}
		policy_format_selector(&r->from, from, sizeof(from));
		policy_format_selector(&r->to, to, sizeof(to));
		if (!ctx->json) {
			char packets[24], bytes[24];

			snprintf(packets, sizeof(packets), "%llu", (unsigned long long)sum.packets);
			snprintf(bytes, sizeof(bytes), "%llu", (unsigned long long)sum.bytes);
			cli_table_row(&t, cbpf_rule_ref(r->id, ref), r->name, r->origin, from, to,
				      r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny", packets,
				      bytes);
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_new_int64(r->id));
		json_object_object_add(o, "ref", json_object_new_string(cbpf_rule_ref(r->id, ref)));
		json_object_object_add(o, "name", json_object_new_string(r->name));
		json_object_object_add(o, "origin", json_object_new_string(r->origin));
		json_object_object_add(o, "from", json_object_new_string(from));
		json_object_object_add(o, "to", json_object_new_string(to));
		json_object_object_add(
		    o, "verdict",
		    json_object_new_string(r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny"));
		json_object_object_add(o, "packets", json_object_new_uint64(sum.packets));
		json_object_object_add(o, "bytes", json_object_new_uint64(sum.bytes));
		json_object_array_add(list, o);
	}
	if (ctx->json) {
		cbpf_print_json(list);
	} else {
		json_object_put(list);
		err = cli_table_print(&t, stdout);
	}
	policy_compiled_free(&c);
	close(fd);
	return err;
}
