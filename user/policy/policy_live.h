/* The accepted policy of a state: where its snapshot is recorded, and what the datapath holds. */
#ifndef CBPF_POLICY_LIVE_H
#define CBPF_POLICY_LIVE_H

#include <stddef.h>

#include "policy/policy_compile.h"

/* The state directory holding st->path, where the accepted files' snapshot lives. */
void policy_state_dir(const struct cbpf_state *st, char *buf, size_t size);
/* The accepted file rules compiled with the state's own: the rules the datapath holds. */
int policy_compile_live(struct cbpf_state *st, struct pol_compiled *c, char *msg, size_t size);

#endif
