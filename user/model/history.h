/*
 * The decision history, the store's decisions table (<state>/cbpfnet.db, which took in the
 * history.db of earlier versions, see state_history.c): every --model auto decision with its
 * requirements, probabilities, choice and reason. It answers repeated requests (the paper's
 * history cache) and, once an operator confirms or overrides a decision, supplies it to
 * retraining as a labelled sample.
 */
#ifndef CBPF_MODEL_HISTORY_H
#define CBPF_MODEL_HISTORY_H

#include <stddef.h>

#include "model/data.h"
#include "model/req.h"

#define MODEL_NET_MAX	 64
#define MODEL_REASON_MAX 512

struct model_history;
struct cbpf_state;

enum model_source { MODEL_SOURCE_CLASSIFIER, MODEL_SOURCE_CACHE, MODEL_SOURCE_CONSTRAINT };

struct model_record {
	long long id;
	char net[MODEL_NET_MAX];
	struct model_req req;
	double alpha, beta;
	enum model_choice choice;
	enum model_source source;
	char reason[MODEL_REASON_MAX];
	unsigned model_version;
	char created_at[32];
	int label; /* -1 until confirmed or overridden */
	char labelled_at[32];
};

const char *model_source_name(enum model_source s);

/*
 * Opens (creating if needed) the store of a state directory, holding its lock until
 * model_history_close; reports failures.
 */
int model_history_open(const char *state_dir, struct model_history **h);
/* The history of a store the caller already holds open (and keeps open after the close). */
int model_history_use(struct cbpf_state *st, struct model_history **h);
void model_history_close(struct model_history *h);

/* Records rec and sets rec->id. */
int model_history_add(struct model_history *h, struct model_record *rec);
/*
 * The decision that answers a repeated request: the latest one with the same requirements that
 * the requirements decided (not a hard constraint), labelled ones first. 1 found, 0 none, <0.
 */
int model_history_find_req(struct model_history *h, const struct model_req *req,
			   struct model_record *out);
/* The latest decision for a network: 1 found, 0 none, <0 error. */
int model_history_find_net(struct model_history *h, const char *net, struct model_record *out);
int model_history_set_label(struct model_history *h, long long id, enum model_choice label);
/* Appends every confirmed or overridden decision to d as a sample; returns how many or <0. */
int model_history_samples(struct model_history *h, struct model_data *d);
/* Every decision (of one network, when net is set), oldest first; *recs is malloc'ed. */
int model_history_list(struct model_history *h, const char *net, struct model_record **recs,
		       size_t *n);

#endif
