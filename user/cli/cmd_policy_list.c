/* policy list: every live rule, from the accepted files and from `policy set`, by rule number. */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/output.h"
#include "policy/policy_live.h"
#include "cli/cmd_policy.h"
#include "policy/rule_ref.h"

/* "any", "icmp", "tcp" or "tcp/80,8000-8099" over the rows rules[0..n) of one rule. */
static void format_match(const struct pol_rule *rules, size_t n, char *buf, size_t size)
{
	static const char *const protos[] = {[1] = "icmp", [6] = "tcp", [17] = "udp"};
	const char *proto = rules->proto < 18 ? protos[rules->proto] : NULL;
	char sep = '/';
	size_t len;

	snprintf(buf, size, "%s", !rules->proto ? "any" : proto ? proto : "?");
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = &rules[i];

		if (r->port_lo == 0 && r->port_hi == 65535)
			continue;
		len = strlen(buf);
		if (r->port_lo == r->port_hi)
			snprintf(buf + len, size - len, "%c%u", sep, r->port_lo);
		else
			snprintf(buf + len, size - len, "%c%u-%u", sep, r->port_lo, r->port_hi);
		sep = ',';
	}
}

struct list_row {
	char ref[CBPF_RULE_REF_MAX], from[96], to[96], match[256], prio[8];
	const struct pol_rule *rule;
};

static void print_table(const struct list_row *rows, size_t n)
{
	int w[5] = {4, 4, 2, 6, 5};

	for (size_t i = 0; i < n; i++) {
		const char *cols[5] = {rows[i].ref, rows[i].from, rows[i].to, rows[i].match,
				       rows[i].rule->name};

		for (int c = 0; c < 5; c++)
			if ((int)strlen(cols[c]) > w[c])
				w[c] = (int)strlen(cols[c]);
	}
	printf("%-*s  %-*s  %-*s  %-6s  %-8s  %-8s  %-*s  %-*s  %s\n", w[0], "RULE", w[1], "FROM",
	       w[2], "TO", "ACTION", "DIR", "PRIORITY", w[3], "MATCH", w[4], "NAME", "ORIGIN");
	for (size_t i = 0; i < n; i++) {
		const struct pol_rule *r = rows[i].rule;

		printf("%-*s  %-*s  %-*s  %-6s  %-8s  %-8s  %-*s  %-*s  %s\n", w[0], rows[i].ref,
		       w[1], rows[i].from, w[2], rows[i].to,
		       r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny",
		       r->two_way ? "two-way" : "one-way", rows[i].prio, w[3], rows[i].match, w[4],
		       r->name[0] ? r->name : "-", r->origin);
	}
}

static json_object *row_json(const struct list_row *row)
{
	const struct pol_rule *r = row->rule;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "ref", json_object_new_string(row->ref));
	json_object_object_add(o, "id", json_object_new_int64(r->id));
	json_object_object_add(o, "name", json_object_new_string(r->name));
	json_object_object_add(o, "from", json_object_new_string(row->from));
	json_object_object_add(o, "to", json_object_new_string(row->to));
	json_object_object_add(
	    o, "verdict",
	    json_object_new_string(r->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny"));
	json_object_object_add(o, "direction",
			       json_object_new_string(r->two_way ? "two-way" : "one-way"));
	json_object_object_add(o, "priority", json_object_new_int(r->priority));
	json_object_object_add(o, "match", json_object_new_string(row->match));
	json_object_object_add(o, "origin", json_object_new_string(r->origin));
	return o;
}

int policy_list(struct cbpf_ctx *ctx, int argc, char **argv)
{
	char msg[POL_ERR_MAX];
	struct pol_compiled c;
	struct cbpf_state st;
	struct list_row *rows;
	size_t n = 0;
	int err;

	(void)argv;
	if (argc != 1) {
		cbpf_err("policy list: takes no arguments");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = policy_compile_live(&st, &c, msg, sizeof(msg));
	state_close(&st);
	if (err) {
		cbpf_err("policy list: %s", msg);
		return err;
	}
	rows = calloc(c.all.n + 1, sizeof(*rows));
	if (!rows) {
		policy_compiled_free(&c);
		cbpf_err("policy list: out of memory for %zu rules", c.all.n);
		return -ENOMEM;
	}
	/* A rule listing several port ranges is several consecutive rows of one id. */
	for (size_t i = 0, j; i < c.all.n; i = j) {
		const struct pol_rule *r = &c.all.rules[i];

		for (j = i + 1; j < c.all.n && c.all.rules[j].id == r->id; j++)
			;
		if (!r->id)
			continue;
		rows[n].rule = r;
		cbpf_rule_ref(r->id, rows[n].ref);
		policy_format_selector(&r->from, rows[n].from, sizeof(rows[n].from));
		policy_format_selector(&r->to, rows[n].to, sizeof(rows[n].to));
		format_match(r, j - i, rows[n].match, sizeof(rows[n].match));
		snprintf(rows[n].prio, sizeof(rows[n].prio), "%u", r->priority);
		n++;
	}
	if (ctx->json) {
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(list, row_json(&rows[i]));
		cbpf_print_json(list);
	} else {
		print_table(rows, n);
	}
	free(rows);
	policy_compiled_free(&c);
	return 0;
}
