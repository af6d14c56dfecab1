#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/lr.h"
#include "model/rng.h"
#include "model/screen.h"

const struct model_screen_opts model_screen_defaults = {
    .c = 1,
    .fraction = 0.75,
    .scaling = 0.5,
    .resamples = 200,
    .seed = 2019,
};

#define MAX_OUTER 100
#define MAX_SWEEP 1000
#define TOL	  1e-9

struct l1 {
	const double (*x)[MODEL_NFEAT];
	const int *y;
	size_t n;
	double lambda; /* 1 / C */
};

static double l1_objective(const struct l1 *p, const double w[MODEL_NFEAT], double b)
{
	double f = 0;

	for (int j = 0; j < MODEL_NFEAT; j++)
		f += p->lambda * fabs(w[j]);
	for (size_t i = 0; i < p->n; i++) {
		double z = b;

		for (int j = 0; j < MODEL_NFEAT; j++)
			z += w[j] * p->x[i][j];
		f += (z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - p->y[i] * z;
	}
	return f;
}

static double soft_threshold(double v, double t)
{
	return v > t ? v - t : v < -t ? v + t : 0;
}

/*
 * Proximal Newton (as in newGLMNET): each outer step minimizes the quadratic model of the
 * log-likelihood plus the L1 term by coordinate descent, then backtracks on the real objective.
 * Coordinates that soft-thresholding zeroes are exactly 0, which is what selection counts.
 */
static int l1_fit(const struct l1 *p, double w[MODEL_NFEAT], double *b, double *wt, double *res)
{
	double f = l1_objective(p, w, *b);

	for (int outer = 0; outer < MAX_OUTER; outer++) {
		double nw[MODEL_NFEAT], nb = *b, t = 1, fn, change = 0;

		memcpy(nw, w, sizeof(nw));
		for (size_t i = 0; i < p->n; i++) {
			double z = *b, q;

			for (int j = 0; j < MODEL_NFEAT; j++)
				z += w[j] * p->x[i][j];
			q = model_sigmoid(z);
			wt[i] = fmax(q * (1 - q), 1e-5);
			res[i] = (p->y[i] - q) / wt[i];
		}
		for (int sweep = 0; sweep < MAX_SWEEP; sweep++) {
			double max_delta = 0, num = 0, den = 0, d;

			for (size_t i = 0; i < p->n; i++)
				num += wt[i] * res[i], den += wt[i];
			d = num / den;
			nb += d;
			for (size_t i = 0; i < p->n; i++)
				res[i] -= d;
			max_delta = fabs(d);
			for (int j = 0; j < MODEL_NFEAT; j++) {
				double a = 0, c = 0, v;

				for (size_t i = 0; i < p->n; i++) {
					a += wt[i] * p->x[i][j] * p->x[i][j];
					c += wt[i] * p->x[i][j] * res[i];
				}
				if (a == 0)
					continue;
				v = soft_threshold(c + a * nw[j], p->lambda) / a;
				d = v - nw[j];
				nw[j] = v;
				for (size_t i = 0; i < p->n; i++)
					res[i] -= d * p->x[i][j];
				max_delta = fmax(max_delta, fabs(d));
			}
			if (max_delta < TOL)
				break;
		}
		for (;;) {
			double tw[MODEL_NFEAT];

			for (int j = 0; j < MODEL_NFEAT; j++)
				tw[j] = w[j] + t * (nw[j] - w[j]);
			fn = l1_objective(p, tw, *b + t * (nb - *b));
			if (fn <= f || t < 1e-6) {
				for (int j = 0; j < MODEL_NFEAT; j++) {
					change = fmax(change, fabs(tw[j] - w[j]));
					w[j] = tw[j];
				}
				change = fmax(change, fabs(t * (nb - *b)));
				*b += t * (nb - *b);
				break;
			}
			t /= 2;
		}
		if (change < TOL || f - fn < 1e-12 * (1 + fabs(f)))
			return 0;
		f = fn;
	}
	return -EDOM;
}

static int check_opts(const struct model_screen_opts *o, size_t n)
{
	if (!(o->c > 0) || !(o->fraction > 0 && o->fraction <= 1) ||
	    !(o->scaling >= 0 && o->scaling < 1) || !o->resamples) {
		cbpf_err("model screen: need C > 0, 0 < fraction <= 1, 0 <= scaling < 1 and at "
			 "least one resample");
		return -EINVAL;
	}
	if ((size_t)(o->fraction * n) < 2) {
		cbpf_err("model screen: %zu samples are too few to resample", n);
		return -EINVAL;
	}
	return 0;
}

/* Centres every column and scales it to unit Euclidean norm over all samples. */
static void normalize(const struct model_data *d, double (*x)[MODEL_NFEAT])
{
	for (int j = 0; j < MODEL_NFEAT; j++) {
		double mean = 0, norm = 0;

		for (size_t i = 0; i < d->n; i++)
			mean += d->x[i].w[j];
		mean /= d->n;
		for (size_t i = 0; i < d->n; i++) {
			x[i][j] = d->x[i].w[j] - mean;
			norm += x[i][j] * x[i][j];
		}
		norm = norm > 0 ? sqrt(norm) : 1;
		for (size_t i = 0; i < d->n; i++)
			x[i][j] /= norm;
	}
}

int model_screen(const struct model_data *d, const struct model_screen_opts *o,
		 double freq[MODEL_NFEAT])
{
	size_t m = (size_t)(o->fraction * d->n);
	double(*all)[MODEL_NFEAT] = NULL, (*sub)[MODEL_NFEAT] = NULL, *wt = NULL, *res = NULL;
	size_t *order = NULL;
	int *y = NULL, err = check_opts(o, d->n);
	unsigned kept[MODEL_NFEAT] = {0};
	struct model_rng rng;

	if (err)
		return err;
	all = malloc(d->n * sizeof(*all));
	sub = malloc(m * sizeof(*sub));
	wt = malloc(m * sizeof(*wt));
	res = malloc(m * sizeof(*res));
	order = malloc(d->n * sizeof(*order));
	y = malloc(m * sizeof(*y));
	err = -ENOMEM;
	if (!all || !sub || !wt || !res || !order || !y)
		goto out;
	normalize(d, all);
	for (size_t i = 0; i < d->n; i++)
		order[i] = i;
	model_rng_seed(&rng, o->seed);
	err = 0;
	for (unsigned r = 0; r < o->resamples && !err; r++) {
		double scale[MODEL_NFEAT], w[MODEL_NFEAT] = {0}, b = 0;
		struct l1 p = {(const double(*)[MODEL_NFEAT])sub, y, m, 1 / o->c};

		for (int j = 0; j < MODEL_NFEAT; j++)
			scale[j] = model_rng_next(&rng) >> 63 ? 1 - o->scaling : 1;
		for (size_t i = 0; i < m; i++) {
			size_t k = i + model_rng_below(&rng, d->n - i), t = order[k];

			order[k] = order[i];
			order[i] = t;
			for (int j = 0; j < MODEL_NFEAT; j++)
				sub[i][j] = all[t][j] * scale[j];
			y[i] = d->y[t];
		}
		err = l1_fit(&p, w, &b, wt, res);
		for (int j = 0; j < MODEL_NFEAT; j++)
			kept[j] += w[j] != 0;
	}
	if (err)
		cbpf_err("model screen: the L1 fit did not converge");
	for (int j = 0; j < MODEL_NFEAT; j++)
		freq[j] = (double)kept[j] / o->resamples;
out:
	if (err == -ENOMEM)
		cbpf_err("model screen: out of memory");
	free(all);
	free(sub);
	free(wt);
	free(res);
	free(order);
	free(y);
	return err;
}
