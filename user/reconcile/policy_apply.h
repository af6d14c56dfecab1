/* Installing a compiled policy: a new generation beside the live one, then one flip. */
#ifndef CBPF_POLICY_APPLY_H
#define CBPF_POLICY_APPLY_H

#include "reconcile/loader.h"
#include "policy/policy_live.h"

/* Fills the idle generation's tries, flips the live index, re-pins cbpf_policy{,_tables}. */
int policy_install(const struct cbpf_maps *maps, const struct pol_compiled *c);
/* Compiles the state's rules with the accepted file rules (the snapshot) and installs them. */
int policy_sync(const struct cbpf_maps *maps, struct cbpf_state *st);

#endif
