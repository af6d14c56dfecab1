/* PNG plots of a classifier, drawn by gnuplot (package gnuplot-nox). */
#ifndef CBPF_MODEL_PLOT_H
#define CBPF_MODEL_PLOT_H

#include <stddef.h>

#include "model/metrics.h"

int model_plot_roc(const char *png, const struct model_roc_point *pts, size_t n, double auc,
		   const char *title);
/*
 * Reliability diagram: observed macvlan share per bin of predicted P(macvlan), with 95% Wilson
 * intervals, and optionally (exact != NULL) the same bins over the generator's distribution.
 */
int model_plot_calibration(const char *png, const struct model_calib_bin *bins,
			   const struct model_calib_bin *exact, size_t nbins, const char *title);

#endif
