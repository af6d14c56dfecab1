#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "model/metrics.h"

struct scored {
	double s;
	double w;
	int y;
};

static int by_score(const void *a, const void *b)
{
	double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;

	return (x > y) - (x < y);
}

static struct scored *sorted(const double *beta, const int *y, const double *w, size_t n)
{
	struct scored *v = malloc(n * sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct scored){beta[i], w ? w[i] : 1.0, y[i]};
	qsort(v, n, sizeof(*v), by_score);
	return v;
}

/* Mann-Whitney: the chance a random positive outranks a random negative, ties counting half. */
static double auc(const struct scored *v, size_t n)
{
	double neg_below = 0, pos = 0, neg = 0, sum = 0;

	for (size_t i = 0; i < n;) {
		double gp = 0, gn = 0;
		size_t j = i;

		for (; j < n && v[j].s == v[i].s; j++)
			*(v[j].y ? &gp : &gn) += v[j].w;
		sum += gp * (neg_below + 0.5 * gn);
		neg_below += gn;
		pos += gp;
		neg += gn;
		i = j;
	}
	return pos > 0 && neg > 0 ? sum / (pos * neg) : NAN;
}

int model_metrics_compute(const double *beta, const int *y, const double *w, size_t n,
			  struct model_metrics *m)
{
	struct scored *v;
	double loss = 0;

	if (!n)
		return -EINVAL;
	*m = (struct model_metrics){0};
	for (size_t i = 0; i < n; i++) {
		double wi = w ? w[i] : 1.0;
		double p = fmin(fmax(beta[i], 1e-15), 1 - 1e-15);
		int pred = beta[i] > 0.5;

		m->n += wi;
		if (y[i])
			*(pred ? &m->tp : &m->fn) += wi;
		else
			*(pred ? &m->fp : &m->tn) += wi;
		loss -= wi * (y[i] ? log(p) : log(1 - p));
	}
	m->accuracy = (m->tp + m->tn) / m->n;
	/* An empty denominator scores 0, as scikit-learn does, rather than NaN. */
	m->precision = m->tp + m->fp > 0 ? m->tp / (m->tp + m->fp) : 0;
	m->recall = m->tp + m->fn > 0 ? m->tp / (m->tp + m->fn) : 0;
	m->f1 = m->precision + m->recall > 0
		    ? 2 * m->precision * m->recall / (m->precision + m->recall)
		    : 0;
	m->log_loss = loss / m->n;
	v = sorted(beta, y, w, n);
	if (!v)
		return -ENOMEM;
	m->auc = auc(v, n);
	free(v);
	return 0;
}

int model_roc(const double *beta, const int *y, size_t n, struct model_roc_point **pts)
{
	struct scored *v = sorted(beta, y, NULL, n);
	double pos = 0, neg = 0, tp = 0, fp = 0;
	size_t k = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		*(v[i].y ? &pos : &neg) += 1;
	*pts = malloc((n + 1) * sizeof(**pts));
	if (!*pts || !pos || !neg) {
		free(v);
		free(*pts);
		*pts = NULL;
		return pos && neg ? -ENOMEM : -EINVAL;
	}
	/* Lower the threshold from the top score down, one distinct score at a time. */
	(*pts)[k++] = (struct model_roc_point){0, 0};
	for (size_t i = n; i > 0;) {
		size_t j = i;

		for (; j > 0 && v[j - 1].s == v[i - 1].s; j--)
			*(v[j - 1].y ? &tp : &fp) += 1;
		(*pts)[k++] = (struct model_roc_point){fp / neg, tp / pos};
		i = j;
	}
	free(v);
	return (int)k;
}

void model_calibration(const double *beta, const int *y, const double *w, size_t n, size_t nbins,
		       struct model_calib_bin *bins)
{
	for (size_t b = 0; b < nbins; b++)
		bins[b] = (struct model_calib_bin){.lo = (double)b / nbins,
						   .hi = (double)(b + 1) / nbins};
	for (size_t i = 0; i < n; i++) {
		size_t b = (size_t)(beta[i] * nbins);
		struct model_calib_bin *bin = &bins[b < nbins ? b : nbins - 1];
		double wi = w ? w[i] : 1.0;

		bin->mean_pred += wi * beta[i];
		bin->frac_pos += wi * y[i];
		bin->count += wi;
	}
	for (size_t b = 0; b < nbins; b++) {
		if (bins[b].count) {
			bins[b].mean_pred /= bins[b].count;
			bins[b].frac_pos /= bins[b].count;
		}
	}
}
