/* Reading, checking and applying a policy path; shared by the daemon and `policy check`. */
#ifndef CBPF_POLICY_LOAD_H
#define CBPF_POLICY_LOAD_H

#include "core/cmd.h"
#include "policy/policy_compile.h"

struct pol_result {
	size_t n_files;	  /* policy files read */
	size_t n_rules;	  /* file rules */
	size_t n_entries; /* rules-trie entries */
	double ms;	  /* parse, compile and install */
	double cpu_ms;	  /* their CPU time, which other load on the machine does not stretch */
	char message[POL_ERR_MAX];
};

/*
 * Parses and compiles path against the state without touching any map; strict also requires
 * every endpoint and network a rule names to exist.
 */
int policy_check_path(const struct cbpf_ctx *ctx, const char *path, bool strict,
		      struct pol_result *res);
/* Parses, compiles and installs path, then records it as the accepted policy. */
int policy_apply_path(const struct cbpf_ctx *ctx, const char *path, struct pol_result *res);

#endif
