/* policy set | del | list: verdicts between pairs of endpoints or networks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "cli/commands.h"
#include "core/output.h"
#include "policy.h"
#include "cli/cmd_policy.h"
#include "policy/rule_ref.h"
#include "store/state.h"
#include "reconcile/sync.h"

/* NAME resolves to an endpoint or a network; "ep:NAME" and "net:NAME" say which. */
static int resolve_selector(struct cbpf_state *st, const char *cmd, const char *text, char *out,
			    size_t size)
{
	bool is_ep, is_net;

	if (!strncmp(text, "ep:", 3)) {
		if (state_find_ep(st, text + 3))
			goto found;
	} else if (!strncmp(text, "net:", 4)) {
		if (state_find_net(st, text + 4))
			goto found;
	} else {
		is_ep = state_find_ep(st, text) != NULL;
		is_net = state_find_net(st, text) != NULL;
		if (is_ep && is_net) {
			cbpf_err("%s: '%s' names both an endpoint and a network; write ep:%s or "
				 "net:%s",
				 cmd, text, text, text);
			return -EINVAL;
		}
		if (is_ep || is_net) {
			snprintf(out, size, "%s:%s", is_ep ? "ep" : "net", text);
			return 0;
		}
	}
	cbpf_err("%s: no endpoint or network named '%s'", cmd, text);
	return -ENOENT;
found:
	snprintf(out, size, "%s", text);
	return 0;
}

static int apply(struct cbpf_ctx *ctx, struct cbpf_state *st)
{
	int err = sync_all_if_loaded(ctx, st);

	return err ? err : state_commit(st);
}

static int policy_set(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_rule rule = {0}, *existing;
	struct cbpf_state st;
	int err;

	if (argc != 4 || (strcmp(argv[3], "allow") && strcmp(argv[3], "deny"))) {
		cbpf_err("policy set: usage: policy set FROM TO allow|deny");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = resolve_selector(&st, "policy set", argv[1], rule.from, sizeof(rule.from));
	if (!err)
		err = resolve_selector(&st, "policy set", argv[2], rule.to, sizeof(rule.to));
	if (err)
		goto out;
	rule.verdict = strcmp(argv[3], "allow") ? CBPF_VERDICT_DENY : CBPF_VERDICT_ALLOW;
	existing = state_find_rule(&st, rule.from, rule.to);
	if (existing) {
		existing->verdict = rule.verdict;
		rule.id = existing->id;
	} else {
		rule.id = st.next_rule_id++;
		if (!state_add_rule(&st, &rule)) {
			err = -ENOMEM;
			goto out;
		}
	}
	err = apply(ctx, &st);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *doc = json_object_new_object();
		char ref[CBPF_RULE_REF_MAX];

		json_object_object_add(doc, "id", json_object_new_int64(rule.id));
		json_object_object_add(
		    doc, "ref",
		    json_object_new_string(cbpf_rule_ref(CBPF_RULE_STATE_BIT | rule.id, ref)));
		json_object_object_add(doc, "from", json_object_new_string(rule.from));
		json_object_object_add(doc, "to", json_object_new_string(rule.to));
		json_object_object_add(doc, "verdict", json_object_new_string(argv[3]));
		cbpf_print_json(doc);
	} else {
		char ref[CBPF_RULE_REF_MAX];

		printf("rule %s: %s -> %s %s\n", cbpf_rule_ref(CBPF_RULE_STATE_BIT | rule.id, ref),
		       rule.from, rule.to, argv[3]);
	}
out:
	state_close(&st);
	return err;
}

static int policy_del(struct cbpf_ctx *ctx, int argc, char **argv)
{
	char from[CBPF_NAME_MAX + 4], to[CBPF_NAME_MAX + 4];
	struct cbpf_rule *rule;
	struct cbpf_state st;
	int err;

	if (argc != 3) {
		cbpf_err("policy del: usage: policy del FROM TO");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = resolve_selector(&st, "policy del", argv[1], from, sizeof(from));
	if (!err)
		err = resolve_selector(&st, "policy del", argv[2], to, sizeof(to));
	if (err)
		goto out;
	rule = state_find_rule(&st, from, to);
	if (!rule) {
		cbpf_err("policy del: no rule from %s to %s", from, to);
		err = -ENOENT;
		goto out;
	}
	state_remove_rule(&st, rule);
	err = apply(ctx, &st);
	if (!err && !ctx->json)
		printf("deleted rule %s -> %s\n", from, to);
	if (!err && ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "deleted", json_object_new_boolean(1));
		cbpf_print_json(doc);
	}
out:
	state_close(&st);
	return err;
}

const struct cbpf_cmd cbpf_policy_cmds[] = {
    {.name = "set",
     .run = policy_set,
     .args = "FROM TO allow|deny",
     .help = "allow or deny traffic between two endpoints or networks (ep:NAME, net:NAME)",
     .example = "policy set net:front net:db deny"},
    {.name = "del",
     .run = policy_del,
     .args = "FROM TO",
     .help = "delete the rule between two endpoints or networks",
     .example = "policy del net:front net:db",
     .alias = "rm"},
    {.name = "list",
     .run = policy_list,
     .help = "list the rules",
     .example = "policy list",
     .alias = "ls"},
    {.name = "check",
     .run = policy_check,
     .args = "[--strict] FILE|DIR",
     .help = "check policy files without loading them",
     .opts = policy_check_opts,
     .example = "policy check --strict /etc/cbpfnet/policy"},
    {.name = "reload",
     .run = policy_reload,
     .help = "read the agent's policy files again",
     .example = "policy reload"},
    {.name = "explain",
     .run = policy_explain,
     .args = "SRC DST [tcp|udp|icmp[/PORT]]",
     .help = "the verdict between two endpoints, and the rule that decides it",
     .example = "policy explain web1 db1 tcp/5432"},
    {.name = "stats",
     .run = policy_stats,
     .help = "packets and drops counted per rule",
     .example = "policy stats"},
    {0},
};
