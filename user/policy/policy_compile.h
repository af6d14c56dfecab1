/*
 * Rules to policy-trie entries. Every selector resolves to identities; every (source identity,
 * destination identity) pair gets entries whose values already name the winning rule for each
 * protocol and port range, so the datapath does a fixed number of lookups per packet.
 */
#ifndef CBPF_POLICY_COMPILE_H
#define CBPF_POLICY_COMPILE_H

#include "policy.h"
#include "policy/policy_rules.h"

struct pol_entry {
	struct cbpf_policy_key key;
	struct cbpf_policy_value value;
};

struct pol_entries {
	struct pol_entry *e;
	size_t n, cap;
};

struct pol_cidr {
	struct cbpf_cidr cidr;
	uint32_t id;
};

struct pol_compiled {
	struct pol_entries pairs;  /* the pair hash (keys with prefix 64) */
	struct pol_entries rules;  /* the port trie */
	struct pol_entries tables; /* address tables and the level mask */
	struct pol_set all;	   /* file rules, `policy set` rules and icc defaults */
	struct pol_cidr *cidrs;	   /* sorted by (addr, prefix_len) */
	size_t n_cidrs;
	uint32_t mask;
};

/*
 * Compiles the file rules with the state's own rules; errors name the rule's file:line. Unless
 * strict, rules naming objects that no longer exist are left out instead of failing: an
 * accepted policy must not block `ep del`. The rows of files move to out->all, success or not
 * (files keeps its ids count, files and sources).
 */
int policy_compile(struct cbpf_state *st, struct pol_set *files, bool strict,
		   struct pol_compiled *out, char *err, size_t err_size);
void policy_compiled_free(struct pol_compiled *c);

/* The identities of a selector in the compiled policy; *ids is allocated. */
int policy_selector_ids(struct cbpf_state *st, const struct pol_compiled *c,
			const struct pol_selector *sel, uint32_t **ids, size_t *n);
/* CBPF_LEVEL_* of an identity. */
unsigned int policy_identity_level(uint32_t id);
/* The rule behind a rule id, NULL for defaults. */
const struct pol_rule *policy_find_rule(const struct pol_compiled *c, uint32_t rule_id);

#endif
