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
	double c;	  /* inverse L1 penalty, LIBLINEAR's C */
	double fraction;  /* share of the samples in each resample */
	double scaling;	  /* how much a feature's scale may shrink, 0 <= scaling < 1 */
	unsigned resamples;
	uint64_t seed;
};

#define MODEL_SCREEN_DEFAULTS                                                                      \
	(struct model_screen_opts)                                                                 \
	{                                                                                          \
		.c = 1, .fraction = 0.75, .scaling = 0.5, .resamples = 200, .seed = 2019           \
	}

/* freq[j] = selection frequency of feature j; reports and returns -EINVAL on bad options. */
int model_screen(const struct model_data *d, const struct model_screen_opts *o,
		 double freq[MODEL_NFEAT]);

#endif
