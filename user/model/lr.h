/*
 * Binary logistic regression on the four requirement weights: beta = P(macvlan) =
 * sigmoid(b + sum_j w_j * (x_j - mean_j) / std_j). Features are standardized with the training
 * data's mean and standard deviation, which travel with the model.
 */
#ifndef CBPF_MODEL_LR_H
#define CBPF_MODEL_LR_H

#include "model/data.h"
#include "model/req.h"

/* 10-fold cross-validation on the shipped data picks it (docs/model.md, `model train --cv`). */
#define MODEL_LR_LAMBDA 0.1

struct model_lr {
	double mean[MODEL_NFEAT], std[MODEL_NFEAT];
	double w[MODEL_NFEAT];
	double b;
};

struct model_lr_fit {
	int iterations;
	double objective; /* penalized negative log-likelihood at the optimum */
};

/*
 * Newton's method (IRLS) on sum_i logloss_i + lambda/2 * |w|^2, the bias unpenalized: the same
 * problem LIBLINEAR solves with C = 1/lambda. Reports and returns -EINVAL when the data cannot
 * be fitted (fewer than two samples, a single label, lambda <= 0).
 */
int model_lr_train(const struct model_data *d, double lambda, struct model_lr *lr,
		   struct model_lr_fit *fit);

/*
 * Mean held-out log loss of K-fold cross-validation (sample i in fold i % k) at lambda.
 * Reports and returns -errno when a fold cannot be fitted.
 */
int model_lr_cv(const struct model_data *d, double lambda, unsigned k, double *log_loss);

double model_sigmoid(double z);
/* log(beta / alpha); contrib (may be NULL) receives each feature's share of it. */
double model_lr_logit(const struct model_lr *lr, const struct model_req *x,
		      double contrib[MODEL_NFEAT]);
double model_lr_beta(const struct model_lr *lr, const struct model_req *x);
/* model_lr_beta as a model_score_fn (arg is the struct model_lr). */
double model_lr_score(const struct model_req *x, const void *lr);

#endif
