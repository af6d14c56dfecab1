/* Entry points of the network model classifier for the rest of cbpfnet. */
#ifndef CBPF_MODEL_CMD_H
#define CBPF_MODEL_CMD_H

#include "core/cmd.h"
#include "core/err.h"
#include "model/decide.h"

/* `cbpfnet model SUBCOMMAND ...`. */
extern const struct cbpf_cmd cbpf_model_cmds[];

/*
 * `net create NAME --model auto --require SPEC`: decides the model of network net_name from
 * SPEC ("security=S,scale=N,efficiency=E,extensibility=X", each 0..10) and what c says about
 * the underlay (NULL: nothing known), using the model in use and the history of st, the store
 * the caller holds open. Records the decision, so `model confirm/override NET` can label it,
 * and fills out. Returns 0, or -errno after reporting through cbpf_err.
 */
int model_auto_decide(struct cbpf_ctx *ctx, struct cbpf_state *st, const char *net_name,
		      const char *require_spec, const struct model_constraints *c,
		      struct model_decision *out);

#endif
