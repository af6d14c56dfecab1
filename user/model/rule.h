/*
 * The expert rule behind the generated data (docs/model.md explains every constant).
 *
 * An operator scores a requirement in points, favouring macvlan's shorter datapath for
 * efficiency and scale and overlay isolation for security and extensibility, security and
 * efficiency counting twice as much as the other two (the paper's Table 2):
 *
 *     margin = efficiency - security + (scale - extensibility) / 2 - 3.5
 *
 * The offset puts the paper's contradictory row (5,4,10,7), labelled both ways in Table 1, on
 * the boundary. The operator is not a machine: like any human choice this one is modelled as a
 * random utility, macvlan being picked with probability sigmoid(k * margin). k is set so that the
 * best possible classifier is as accurate as the paper's reported 0.947 (k = 1.6226 would give
 * 0.94701 exactly; 1.62 gives 0.94695).
 */
#ifndef CBPF_MODEL_RULE_H
#define CBPF_MODEL_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "model/metrics.h"
#include "model/req.h"

#define MODEL_RULE_K 1.62

struct model_fixture {
	struct model_req x;
	int label;
};

/* Table 1 of the paper, in its order, duplicate and contradictory rows included. */
extern const struct model_fixture model_table1[];
extern const size_t model_table1_len;

/* The rule's margin in points; positive means macvlan. */
double model_rule_margin(const struct model_req *x);
/* P(the operator picks macvlan). */
double model_rule_prob(const struct model_req *x);
/* What the rule says: macvlan only when the margin is positive, ties stay overlay. */
enum model_choice model_rule_choice(const struct model_req *x);
bool model_rule_is_fixture(const struct model_req *x);

#define MODEL_GRID_SIZE 14641 /* 11^4 requirement vectors */

/*
 * Fills out (room for MODEL_GRID_SIZE) with the vectors the generator draws from, in grid
 * order: every vector of the grid except Table 1's, so the test set never repeats a fixture.
 * Returns how many.
 */
size_t model_rule_population(struct model_req *out);

typedef double (*model_score_fn)(const struct model_req *x, const void *arg);

/* One draw of the generator as weighted samples: each vector once per label. */
struct model_population {
	size_t n;
	double *score, *w;
	int *y;
};
/* Scores every drawable vector; free with model_population_free. Returns 0 or -ENOMEM. */
int model_population_score(model_score_fn score, const void *arg, struct model_population *p);
void model_population_free(struct model_population *p);
/*
 * Exact expected metrics of a scorer (P(macvlan) in [0,1]) on one draw of the generator: every
 * drawable vector, weighted by the rule's probability of each label. With model_rule_score
 * this gives the Bayes figures.
 */
int model_rule_population_metrics(model_score_fn score, const void *arg, struct model_metrics *m);
double model_rule_score(const struct model_req *x, const void *arg);

#endif
