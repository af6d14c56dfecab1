/*
 * Randomized logistic regression (stability selection, Meinshausen & Buehlmann 2010), the
 * procedure behind the paper's Table 2, as scikit-learn's RandomizedLogisticRegression ran it:
 * columns centred and scaled to unit norm, then for every resample a random subset of the
 * samples, every feature's scale randomly kept or multiplied by (1 - scaling) -- which is
 * the same as multiplying its L1 penalty by 1/(1 - scaling) -- and an L1-penalized fit. A
 * feature's score is the fraction of resamples whose fit keeps it.
 */
#ifndef CBPF_MODEL_SCREEN_H
#define CBPF_MODEL_SCREEN_H

#include <stdint.h>

#include "model/data.h"

struct model_screen_opts {
	double c;	 /* inverse L1 penalty, LIBLINEAR's C */
	double fraction; /* share of the samples in each resample */
	double scaling;	 /* how much a feature's scale may shrink, 0 <= scaling < 1 */
	unsigned resamples;
	uint64_t seed;
};

/* scikit-learn's defaults: C 1, 75% of the samples, scaling 0.5, 200 resamples. */
extern const struct model_screen_opts model_screen_defaults;

/* freq[j] = selection frequency of feature j; reports and returns -EINVAL on bad options. */
int model_screen(const struct model_data *d, const struct model_screen_opts *o,
		 double freq[MODEL_NFEAT]);

#endif
