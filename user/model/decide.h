/*
 * From a requirement to a network model: hard constraints first (they are facts about the
 * underlay, not preferences), then the history cache, then the classifier.
 */
#ifndef CBPF_MODEL_DECIDE_H
#define CBPF_MODEL_DECIDE_H

#include <stdbool.h>

#include "core/cmd.h"
#include "model/history.h"
#include "model/req.h"
#include "model/store.h"

enum model_fact { MODEL_FACT_UNKNOWN = 0, MODEL_FACT_NO, MODEL_FACT_YES };

/* What is known about the underlay; zero-initialized means "nothing known". */
struct model_constraints {
	enum model_fact hosts_share_l2; /* all hosts of the network on one L2 segment */
	/* A parent interface for the macvlan endpoints is available: it exists and, in passthru
	 * mode, nothing else uses it. */
	enum model_fact parent_free;
	bool passthru; /* macvlan would run in passthru mode */
};

struct model_decision {
	struct model_req req;
	enum model_choice choice;
	double alpha, beta;	     /* P(overlay), P(macvlan) */
	bool explained;		     /* contrib and bias are set (not for cache answers) */
	double contrib[MODEL_NFEAT]; /* each feature's share of log(beta / alpha) */
	double bias;		     /* the rest of it */
	bool cached;		     /* answered from the history */
	enum model_source source;
	unsigned model_version;
	long long record_id;   /* the history row written, 0 when not recorded */
	long long cached_from; /* the row that answered, when cached */
	char reason[MODEL_REASON_MAX];
};

/* Parses yes|no|unknown; returns 0 or -EINVAL (no message). */
int model_fact_parse(const char *text, enum model_fact *out);

/* The constraints and the classifier, without history. */
void model_predict(const struct model *m, const struct model_req *req,
		   const struct model_constraints *c, struct model_decision *out);

/*
 * The whole decision for network net (spec: "security=S,scale=N,efficiency=E,extensibility=X"):
 * constraints, then the history in the store of ctx->state_dir (locked meanwhile), then the model
 * in use (model_path NULL) or model_path; records it and fills out. Reports and returns -errno on
 * failure.
 */
int model_decide(struct cbpf_ctx *ctx, const char *model_path, const char *net, const char *spec,
		 const struct model_constraints *c, struct model_decision *out);

#endif
