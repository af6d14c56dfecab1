#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "model/rule.h"

const struct model_fixture model_table1[] = {
    {{{6, 0, 7, 2}}, 0}, {{{2, 8, 9, 5}}, 1}, {{{1, 3, 4, 7}}, 0},  {{{5, 4, 10, 7}}, 1},
    {{{6, 0, 7, 2}}, 0}, {{{1, 8, 5, 4}}, 1}, {{{4, 4, 6, 10}}, 1}, {{{5, 4, 10, 7}}, 0},
};
const size_t model_table1_len = sizeof(model_table1) / sizeof(model_table1[0]);

/* Twice the margin: an integer, so ties are exact. */
static int margin2(const struct model_req *x)
{
	return 2 * x->w[MODEL_EFFICIENCY] - 2 * x->w[MODEL_SECURITY] + x->w[MODEL_SCALE] -
	       x->w[MODEL_EXTENSIBILITY] - 7;
}

double model_rule_margin(const struct model_req *x)
{
	return margin2(x) / 2.0;
}

double model_rule_prob(const struct model_req *x)
{
	return 1.0 / (1.0 + exp(-MODEL_RULE_K * model_rule_margin(x)));
}

enum model_choice model_rule_choice(const struct model_req *x)
{
	return margin2(x) > 0 ? MODEL_CHOICE_MACVLAN : MODEL_CHOICE_OVERLAY;
}

bool model_rule_is_fixture(const struct model_req *x)
{
	for (size_t i = 0; i < model_table1_len; i++) {
		const int *f = model_table1[i].x.w;

		if (f[0] == x->w[0] && f[1] == x->w[1] && f[2] == x->w[2] && f[3] == x->w[3])
			return true;
	}
	return false;
}

size_t model_rule_population(struct model_req *out)
{
	size_t n = 0;

	for (size_t g = 0; g < MODEL_GRID_SIZE; g++) {
		size_t rest = g;

		for (int f = MODEL_NFEAT - 1; f >= 0; f--) {
			out[n].w[f] = (int)(rest % (MODEL_W_MAX + 1));
			rest /= MODEL_W_MAX + 1;
		}
		n += !model_rule_is_fixture(&out[n]);
	}
	return n;
}

double model_rule_score(const struct model_req *x, const void *arg)
{
	(void)arg;
	return model_rule_prob(x);
}

void model_population_free(struct model_population *p)
{
	free(p->score);
	free(p->w);
	free(p->y);
	*p = (struct model_population){0};
}

int model_population_score(model_score_fn score, const void *arg, struct model_population *p)
{
	struct model_req *x = malloc(MODEL_GRID_SIZE * sizeof(*x));
	size_t n;

	*p = (struct model_population){0};
	p->score = malloc(2 * MODEL_GRID_SIZE * sizeof(*p->score));
	p->w = malloc(2 * MODEL_GRID_SIZE * sizeof(*p->w));
	p->y = malloc(2 * MODEL_GRID_SIZE * sizeof(*p->y));
	if (!x || !p->score || !p->w || !p->y) {
		free(x);
		model_population_free(p);
		return -ENOMEM;
	}
	n = model_rule_population(x);
	/* Each vector appears once per label, weighted by how often it gets that label. */
	for (size_t i = 0; i < n; i++) {
		double q = model_rule_prob(&x[i]);

		p->score[2 * i] = p->score[2 * i + 1] = score(&x[i], arg);
		p->y[2 * i] = 1, p->w[2 * i] = q;
		p->y[2 * i + 1] = 0, p->w[2 * i + 1] = 1 - q;
	}
	p->n = 2 * n;
	free(x);
	return 0;
}

int model_rule_population_metrics(model_score_fn score, const void *arg, struct model_metrics *m)
{
	struct model_population p;
	int err = model_population_score(score, arg, &p);

	if (!err)
		err = model_metrics_compute(p.score, p.y, p.w, p.n, m);
	model_population_free(&p);
	return err;
}
