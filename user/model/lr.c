#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "core/err.h"
#include "model/lr.h"

#define NP	 (MODEL_NFEAT + 1) /* parameters: weights, then the bias */
#define MAX_ITER 100

double model_sigmoid(double z)
{
	return z >= 0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* log(1 + e^z) without overflow. */
static double softplus(double z)
{
	return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z));
}

double model_lr_logit(const struct model_lr *lr, const struct model_req *x,
		      double contrib[MODEL_NFEAT])
{
	double z = lr->b;

	for (int j = 0; j < MODEL_NFEAT; j++) {
		double c = lr->w[j] * (x->w[j] - lr->mean[j]) / lr->std[j];

		if (contrib)
			contrib[j] = c;
		z += c;
	}
	return z;
}

double model_lr_beta(const struct model_lr *lr, const struct model_req *x)
{
	return model_sigmoid(model_lr_logit(lr, x, NULL));
}

double model_lr_score(const struct model_req *x, const void *lr)
{
	return model_lr_beta(lr, x);
}

static void standardize(const struct model_data *d, struct model_lr *lr)
{
	for (int j = 0; j < MODEL_NFEAT; j++) {
		double sum = 0, sq = 0;

		for (size_t i = 0; i < d->n; i++)
			sum += d->x[i].w[j];
		lr->mean[j] = sum / d->n;
		for (size_t i = 0; i < d->n; i++)
			sq += (d->x[i].w[j] - lr->mean[j]) * (d->x[i].w[j] - lr->mean[j]);
		lr->std[j] = sqrt(sq / d->n);
		/* A constant feature carries nothing; unit scale keeps its weight at zero. */
		if (lr->std[j] == 0)
			lr->std[j] = 1;
	}
}

/* Solves a x = b for symmetric positive definite a (Cholesky); returns -EDOM if it is not. */
static int cholesky_solve(double a[NP][NP], const double b[NP], double x[NP])
{
	double l[NP][NP] = {{0}};

	for (int i = 0; i < NP; i++) {
		for (int j = 0; j <= i; j++) {
			double s = a[i][j];

			for (int k = 0; k < j; k++)
				s -= l[i][k] * l[j][k];
			if (i == j) {
				if (s <= 0)
					return -EDOM;
				l[i][i] = sqrt(s);
			} else {
				l[i][j] = s / l[j][j];
			}
		}
	}
	for (int i = 0; i < NP; i++) {
		double s = b[i];

		for (int k = 0; k < i; k++)
			s -= l[i][k] * x[k];
		x[i] = s / l[i][i];
	}
	for (int i = NP - 1; i >= 0; i--) {
		double s = x[i];

		for (int k = i + 1; k < NP; k++)
			s -= l[k][i] * x[k];
		x[i] = s / l[i][i];
	}
	return 0;
}

struct problem {
	const double (*s)[MODEL_NFEAT]; /* standardized features */
	const int *y;
	size_t n;
	double lambda;
};

static double objective(const struct problem *p, const double theta[NP])
{
	double f = 0;

	for (int j = 0; j < MODEL_NFEAT; j++)
		f += 0.5 * p->lambda * theta[j] * theta[j];
	for (size_t i = 0; i < p->n; i++) {
		double z = theta[MODEL_NFEAT];

		for (int j = 0; j < MODEL_NFEAT; j++)
			z += theta[j] * p->s[i][j];
		f += softplus(z) - p->y[i] * z;
	}
	return f;
}

/* Gradient and Hessian of the objective at theta. */
static void derivatives(const struct problem *p, const double theta[NP], double g[NP],
			double h[NP][NP])
{
	for (int a = 0; a < NP; a++) {
		g[a] = a < MODEL_NFEAT ? p->lambda * theta[a] : 0;
		for (int b = 0; b < NP; b++)
			h[a][b] = a == b && a < MODEL_NFEAT ? p->lambda : 0;
	}
	for (size_t i = 0; i < p->n; i++) {
		double v[NP], z = theta[MODEL_NFEAT], q, r;

		for (int j = 0; j < MODEL_NFEAT; j++) {
			v[j] = p->s[i][j];
			z += theta[j] * v[j];
		}
		v[MODEL_NFEAT] = 1;
		q = model_sigmoid(z);
		r = q * (1 - q);
		for (int a = 0; a < NP; a++) {
			g[a] += (q - p->y[i]) * v[a];
			for (int b = 0; b <= a; b++)
				h[a][b] += r * v[a] * v[b];
		}
	}
	for (int a = 0; a < NP; a++)
		for (int b = a + 1; b < NP; b++)
			h[a][b] = h[b][a];
}

static int newton(const struct problem *p, double theta[NP], int *iterations)
{
	double f = objective(p, theta);

	for (int it = 1; it <= MAX_ITER; it++) {
		double g[NP], h[NP][NP], step[NP], next[NP], decrement = 0, t = 1, fn;
		int err;

		derivatives(p, theta, g, h);
		err = cholesky_solve(h, g, step);
		if (err)
			return err;
		for (int a = 0; a < NP; a++)
			decrement += g[a] * step[a];
		/* Newton decrement: the predicted gain of this step; tiny means optimal. */
		if (decrement < 1e-20 * (1 + f)) {
			*iterations = it;
			return 0;
		}
		/* Backtrack until the objective drops enough (Armijo). */
		for (;;) {
			for (int a = 0; a < NP; a++)
				next[a] = theta[a] - t * step[a];
			fn = objective(p, next);
			if (fn <= f - 1e-4 * t * decrement || t < 1e-10)
				break;
			t /= 2;
		}
		for (int a = 0; a < NP; a++)
			theta[a] = next[a];
		if (f - fn <= 1e-15 * (1 + f)) {
			*iterations = it;
			return 0;
		}
		f = fn;
	}
	return -EDOM;
}

int model_lr_train(const struct model_data *d, double lambda, struct model_lr *lr,
		   struct model_lr_fit *fit)
{
	double(*s)[MODEL_NFEAT];
	double theta[NP] = {0};
	size_t pos = 0;
	int err;

	for (size_t i = 0; i < d->n; i++)
		pos += d->y[i] == 1;
	if (!(lambda > 0)) {
		cbpf_err("model train: lambda must be > 0, got %g", lambda);
		return -EINVAL;
	}
	if (pos == 0 || pos == d->n) {
		cbpf_err("model train: %zu samples, all labelled %s: need both labels", d->n,
			 pos ? "macvlan" : "overlay");
		return -EINVAL;
	}
	s = malloc(d->n * sizeof(*s));
	if (!s)
		return -ENOMEM;
	standardize(d, lr);
	for (size_t i = 0; i < d->n; i++)
		for (int j = 0; j < MODEL_NFEAT; j++)
			s[i][j] = (d->x[i].w[j] - lr->mean[j]) / lr->std[j];

	struct problem p = {(const double(*)[MODEL_NFEAT])s, d->y, d->n, lambda};

	err = newton(&p, theta, &fit->iterations);
	if (err) {
		cbpf_err("model train: Newton's method did not converge in %d iterations",
			 MAX_ITER);
	} else {
		for (int j = 0; j < MODEL_NFEAT; j++)
			lr->w[j] = theta[j];
		lr->b = theta[MODEL_NFEAT];
		fit->objective = objective(&p, theta);
	}
	free(s);
	return err;
}

int model_lr_cv(const struct model_data *d, double lambda, unsigned k, double *log_loss)
{
	double loss = 0;
	int err = 0;

	if (k < 2 || k > d->n) {
		cbpf_err("model train: cross-validation needs 2..%zu folds, got %u", d->n, k);
		return -EINVAL;
	}
	for (unsigned f = 0; f < k && !err; f++) {
		struct model_data fit = {0};
		struct model_lr lr;
		struct model_lr_fit info;

		for (size_t i = 0; i < d->n && !err; i++)
			if (i % k != f)
				err = model_data_add(&fit, &d->x[i], d->y[i]);
		if (!err)
			err = model_lr_train(&fit, lambda, &lr, &info);
		for (size_t i = f; i < d->n && !err; i += k) {
			double p = fmin(fmax(model_lr_beta(&lr, &d->x[i]), 1e-15), 1 - 1e-15);

			loss -= d->y[i] ? log(p) : log(1 - p);
		}
		model_data_free(&fit);
	}
	*log_loss = loss / d->n;
	return err;
}
