/* The rows of a parsed policy: grown in steps, appended, freed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_rules.h"

int policy_set_reserve(struct pol_set *set, size_t n)
{
	size_t cap = set->cap ? set->cap * 2 : 64;
	struct pol_rule *grown;

	if (set->n + n <= set->cap)
		return 0;
	/*
	 * Beyond what was asked, room for the rows the compiler appends from the state (`policy
	 * set` rules, icc defaults): growing for those copied every file row, 3 % of a reload.
	 */
	if (cap < set->n + n)
		cap = set->n + n + (set->n + n) / 16 + 64;
	grown = realloc(set->rules, cap * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	set->rules = grown;
	set->cap = cap;
	return 0;
}

struct pol_rule *policy_set_append(struct pol_set *set)
{
	if (policy_set_reserve(set, 1))
		return NULL;
	return memset(&set->rules[set->n++], 0, sizeof(struct pol_rule));
}

void policy_set_free(struct pol_set *set)
{
	free(set->rules);
	for (size_t i = 0; i < set->n_sources; i++) {
		free(set->sources[i].name);
		free(set->sources[i].text);
	}
	free(set->sources);
	memset(set, 0, sizeof(*set));
}
