/*
 * Classifier metrics with macvlan (label 1) as the positive class, as in the paper's Table 3.
 * Samples carry weights so the same code gives exact expected figures over a distribution.
 */
#ifndef CBPF_MODEL_METRICS_H
#define CBPF_MODEL_METRICS_H

#include <stddef.h>

struct model_metrics {
	double n; /* total weight */
	double tp, fp, tn, fn;
	double accuracy, precision, recall, f1;
	double auc;	 /* NAN when one label is absent */
	double log_loss; /* mean, probabilities clamped to [1e-15, 1 - 1e-15] */
};

/*
 * beta[i] = predicted P(macvlan), y[i] in {0,1}, w = NULL for unit weights. A sample is
 * predicted macvlan when beta > 0.5. Returns 0, or -EINVAL for n == 0, -ENOMEM.
 */
int model_metrics_compute(const double *beta, const int *y, const double *w, size_t n,
			  struct model_metrics *m);

/* One point of the ROC curve per distinct threshold, from (0,0) to (1,1). */
struct model_roc_point {
	double fpr, tpr;
};
/* *pts is malloc'ed; returns the number of points or -ENOMEM / -EINVAL (one label absent). */
int model_roc(const double *beta, const int *y, size_t n, struct model_roc_point **pts);

struct model_calib_bin {
	double lo, hi;	  /* predicted-probability range */
	double mean_pred; /* mean beta in the bin */
	double frac_pos;  /* observed fraction of macvlan labels */
	double count;	  /* total weight */
};
/* Splits [0,1] into nbins equal bins (w = NULL for unit weights); empty bins have count 0. */
void model_calibration(const double *beta, const int *y, const double *w, size_t n, size_t nbins,
		       struct model_calib_bin *bins);

#endif
