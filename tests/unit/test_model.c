/*
 * The classifier's numerics: requirement parsing, CSV, metrics, the rule and its Bayes figures,
 * training on the committed data and stability selection. Each figure is checked against a
 * second computation written here, not against the code under test.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/data.h"
#include "model/gen.h"
#include "model/lr.h"
#include "model/metrics.h"
#include "model/req.h"
#include "model/rule.h"
#include "model/screen.h"
#include "capture.h"
#include "tap.h"

/* The paper's Table 3. */
#define PAPER_ACCURACY 0.94701

static void test_req(void)
{
	struct model_req r;
	const char *e;
	int err;

	err = model_req_parse("extensibility=10,security=0,efficiency=7,scale=3", &r);
	CHECK(!err && r.w[MODEL_SECURITY] == 0 && r.w[MODEL_SCALE] == 3 &&
		  r.w[MODEL_EFFICIENCY] == 7 && r.w[MODEL_EXTENSIBILITY] == 10,
	      "requirements parse in any order");
	capture();
	err = model_req_parse("security=11,scale=3,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "security: '11' is not an integer weight 0..10"),
	      "weight 11 is refused: %s", e);
	capture();
	err = model_req_parse("security=-1,scale=3,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "'-1' is not an integer weight"), "weight -1 is refused");
	capture();
	err = model_req_parse("security=7.5,scale=3,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "'7.5' is not an integer weight"),
	      "weight 7.5 is refused");
	capture();
	err = model_req_parse("security=1,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "requirement scale missing"),
	      "missing scale is named: %s", e);
	capture();
	err = model_req_parse("security=1,security=2,scale=1,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "security given twice"), "a repeated weight is refused");
	capture();
	err = model_req_parse("security=1,speed=2,scale=1,efficiency=7,extensibility=1", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "'speed=2': unknown name"), "an unknown name is refused");
	capture();
	err = model_req_parse("security=1,scale=1,efficiency=7,extensibility=", &r);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "extensibility: '' is not an integer weight"),
	      "an empty weight is refused");
}

static const char *write_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/test_model_%d_%s", (int)getpid(), name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_csv(void)
{
	static const struct {
		const char *text, *error;
	} bad[] = {
	    {"security,scale,efficiency,extensibility,label\n1,2,3,4,0\n1,2,3\n",
	     ":3: expected 5 fields, got 3"},
	    {"security,scale,efficiency,extensibility,label\n1,2,3,4,0,1\n",
	     ":2: expected 5 fields, got 6"},
	    {"security,scale,efficiency,extensibility,label\n1,2,11,4,0\n",
	     ":2: field 3 (efficiency): '11' is not an integer 0..10"},
	    {"security,scale,efficiency,extensibility,label\n1,2,3,4,2\n",
	     ":2: field 5 (label): '2' is not an integer 0..1"},
	    {"security,scale,efficiency,extensibility,label\n1, 2,3,4,1\n",
	     ":2: field 2 (scale): ' 2' is not an integer 0..10"},
	    {"security,scale,efficiency,extensibility,label\n\n", ":2: expected 5 fields, got 1"},
	    {"sec,scale,eff,ext,label\n1,2,3,4,1\n", ":1: expected header"},
	    {"", ": empty file"},
	};
	struct model_data d = {0};
	struct model_req x = {{1, 2, 3, 4}};
	const char *path, *e;
	char want[256];
	int err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		path = write_file("bad.csv", bad[i].text);
		capture();
		err = model_csv_read(path, &d);
		e = captured_text();
		snprintf(want, sizeof(want), "%s%s", path, bad[i].error);
		CHECK(err == -EINVAL && strstr(e, want) && d.n == 0, "malformed CSV %zu: %s", i,
		      want);
		unlink(path);
	}
	{
		static const char nul[] =
		    "security,scale,efficiency,extensibility,label\n1,2,3,4,1\0,9\n";
		FILE *f = fmemopen((void *)nul, sizeof(nul) - 1, "r");

		capture();
		err = model_csv_parse(f, "nul.csv", &d);
		e = captured_text();
		fclose(f);
		CHECK(err == -EINVAL && d.n == 0 && strstr(e, "nul.csv:2: NUL byte in the line"),
		      "a NUL byte in a CSV line is refused, not cut off: %s", e);
	}
	model_data_add(&d, &x, 1);
	path = write_file("ok.csv", "");
	CHECK(model_csv_write(path, &d) == 0, "a CSV is written");
	model_data_free(&d);
	CHECK(model_csv_read(path, &d) == 0 && d.n == 1 && d.x[0].w[3] == 4 && d.y[0] == 1,
	      "and reads back");
	unlink(path);
	model_data_free(&d);
}

static void test_metrics(void)
{
	const double beta[] = {0.9, 0.8, 0.3, 0.6, 0.2, 0.1};
	const int y[] = {1, 1, 1, 0, 0, 0};
	const double tie[] = {0.5, 0.5, 0.7, 0.1};
	const int ty[] = {1, 0, 1, 0};
	const double w2[] = {2, 2, 2, 2, 2, 2};
	struct model_metrics m, mw;
	struct model_roc_point *pts;
	int n;

	/* By hand: predictions 1 1 0 1 0 0, so tp 2 fn 1 fp 1 tn 2; 8 of 9 pairs ranked right. */
	CHECK(model_metrics_compute(beta, y, NULL, 6, &m) == 0, "metrics compute");
	CHECK(m.tp == 2 && m.fn == 1 && m.fp == 1 && m.tn == 2, "confusion matrix by hand");
	CHECK(fabs(m.accuracy - 4.0 / 6) < 1e-12 && fabs(m.precision - 2.0 / 3) < 1e-12 &&
		  fabs(m.recall - 2.0 / 3) < 1e-12 && fabs(m.f1 - 2.0 / 3) < 1e-12,
	      "accuracy, precision, recall, F1 by hand");
	CHECK(fabs(m.auc - 8.0 / 9) < 1e-12, "AUC by hand: %.6f", m.auc);
	CHECK(fabs(m.log_loss -
		   (-(log(0.9) + log(0.8) + log(0.3) + log(0.4) + log(0.8) + log(0.9)) / 6)) <
		  1e-12,
	      "log loss by hand");
	CHECK(model_metrics_compute(beta, y, w2, 6, &mw) == 0 && mw.tp == 4 &&
		  fabs(mw.accuracy - m.accuracy) < 1e-12 && fabs(mw.auc - m.auc) < 1e-12,
	      "uniform weights change counts, not rates");
	/* Pairs: (0.5 vs 0.5) half, (0.5 vs 0.1) 1, (0.7 vs 0.5) 1, (0.7 vs 0.1) 1 -> 3.5 / 4. */
	CHECK(model_metrics_compute(tie, ty, NULL, 4, &m) == 0 && fabs(m.auc - 0.875) < 1e-12,
	      "tied scores count half in the AUC");
	CHECK(model_metrics_compute(beta, (const int[]){0, 0, 0, 0, 0, 0}, NULL, 6, &m) == 0 &&
		  isnan(m.auc) && m.precision == 0 && m.recall == 0,
	      "one label only: AUC undefined, empty ratios 0");
	n = model_roc(beta, y, 6, &pts);
	CHECK(n == 7 && pts[0].fpr == 0 && pts[0].tpr == 0 && pts[n - 1].fpr == 1 &&
		  pts[n - 1].tpr == 1 && fabs(pts[3].fpr - 1.0 / 3) < 1e-12 &&
		  fabs(pts[3].tpr - 2.0 / 3) < 1e-12,
	      "ROC runs from (0,0) to (1,1) through (1/3, 2/3)");
	free(pts);
}

/* The rule, written again from docs/model.md, and its Bayes accuracy by brute force. */
static double reference_bayes_accuracy(void)
{
	double sum = 0;
	int n = 0;

	for (int sec = 0; sec <= 10; sec++)
		for (int sc = 0; sc <= 10; sc++)
			for (int ef = 0; ef <= 10; ef++)
				for (int ex = 0; ex <= 10; ex++) {
					struct model_req x = {{sec, sc, ef, ex}};
					double p =
					    1 /
					    (1 + exp(-1.62 * (ef - sec + (sc - ex) / 2.0 - 3.5)));

					if (model_rule_is_fixture(&x))
						continue;
					sum += p > 0.5 ? p : 1 - p;
					n++;
				}
	return sum / n;
}

static void test_rule(void)
{
	struct model_metrics bayes;
	double ref = reference_bayes_accuracy();

	CHECK(model_rule_population_metrics(model_rule_score, NULL, &bayes) == 0,
	      "Bayes figures computed");
	CHECK(fabs(bayes.accuracy - ref) < 1e-12, "Bayes accuracy %.6f matches brute force %.6f",
	      bayes.accuracy, ref);
	CHECK(fabs(bayes.n - (14641 - 6)) < 1e-6, "the population is the grid minus 6 fixtures");
	CHECK(fabs(bayes.accuracy - PAPER_ACCURACY) < 0.0005,
	      "noise calibrated to the paper's accuracy: Bayes %.4f", bayes.accuracy);
	/* The fixture rows: 5 agree with the rule, (5,4,10,7) is its boundary, (4,4,6,10) not. */
	for (size_t i = 0; i < model_table1_len; i++) {
		const struct model_fixture *f = &model_table1[i];
		double margin = model_rule_margin(&f->x);
		int boundary = f->x.w[0] == 5 && f->x.w[2] == 10;
		int disagrees = f->x.w[3] == 10;

		CHECK(boundary ? margin == 0
			       : (disagrees ? (int)model_rule_choice(&f->x) != f->label
					    : (int)model_rule_choice(&f->x) == f->label),
		      "Table 1 row %zu under the rule: margin %+.1f", i + 1, margin);
	}
}

static int in(const struct model_data *d, const struct model_req *x)
{
	for (size_t i = 0; i < d->n; i++)
		if (!memcmp(&d->x[i], x, sizeof(*x)))
			return 1;
	return 0;
}

static void test_gen(void)
{
	struct model_data a = {0}, b = {0}, c = {0}, e = {0}, committed = {0};
	int same = 1, shared = 0;

	CHECK(model_gen(MODEL_GEN_SEED, 2000, 300, &a, &b) == 0 && a.n == 2000 && b.n == 300,
	      "generator draws 2000 + 300");
	CHECK(model_gen(MODEL_GEN_SEED, 2000, 300, &c, &e) == 0, "and again");
	for (size_t i = 0; i < a.n; i++)
		same &= !memcmp(&a.x[i], &c.x[i], sizeof(a.x[i])) && a.y[i] == c.y[i];
	CHECK(same, "the same seed gives the same data");
	for (size_t i = 0; i < b.n; i++)
		shared += in(&a, &b.x[i]);
	CHECK(shared == 0, "no test vector is a training vector");
	for (size_t i = 0; i < model_table1_len; i++)
		same &= !memcmp(&a.x[i], &model_table1[i].x, sizeof(a.x[i])) &&
			a.y[i] == model_table1[i].label;
	CHECK(same, "Table 1 heads the training set with the paper's labels");
	CHECK(model_csv_read("model/train.csv", &committed) == 0 && committed.n == a.n &&
		  !memcmp(committed.x, a.x, a.n * sizeof(*a.x)) &&
		  !memcmp(committed.y, a.y, a.n * sizeof(*a.y)),
	      "model/train.csv is what the generator makes");
	model_data_free(&a);
	model_data_free(&b);
	model_data_free(&c);
	model_data_free(&e);
	model_data_free(&committed);
}

/* Gradient of the penalized log-likelihood in raw units, computed independently. */
static double max_gradient(const struct model_data *d, const struct model_lr *lr, double lambda)
{
	double g[MODEL_NFEAT + 1] = {0}, max = 0;

	for (size_t i = 0; i < d->n; i++) {
		double z = lr->b, s[MODEL_NFEAT];

		for (int j = 0; j < MODEL_NFEAT; j++) {
			s[j] = (d->x[i].w[j] - lr->mean[j]) / lr->std[j];
			z += lr->w[j] * s[j];
		}
		double r = 1 / (1 + exp(-z)) - d->y[i];

		for (int j = 0; j < MODEL_NFEAT; j++)
			g[j] += r * s[j];
		g[MODEL_NFEAT] += r;
	}
	for (int j = 0; j <= MODEL_NFEAT; j++)
		max = fmax(max, fabs(g[j] + (j < MODEL_NFEAT ? lambda * lr->w[j] : 0)));
	return max;
}

static void test_train(void)
{
	struct model_data train = {0}, test = {0};
	struct model_metrics met, pop, bayes;
	struct model_lr lr;
	struct model_lr_fit fit;
	double *beta;
	int agree = 1;

	CHECK(model_csv_read("model/train.csv", &train) == 0 &&
		  model_csv_read("model/test.csv", &test) == 0,
	      "committed data reads");
	CHECK(model_lr_train(&train, MODEL_LR_LAMBDA, &lr, &fit) == 0, "training converges in %d",
	      fit.iterations);
	CHECK(max_gradient(&train, &lr, MODEL_LR_LAMBDA) < 1e-6, "the gradient vanishes: %.2g",
	      max_gradient(&train, &lr, MODEL_LR_LAMBDA));
	CHECK(lr.w[MODEL_SECURITY] < 0 && lr.w[MODEL_EXTENSIBILITY] < 0 &&
		  lr.w[MODEL_EFFICIENCY] > 0 && lr.w[MODEL_SCALE] > 0,
	      "security and extensibility push to overlay, efficiency and scale to macvlan");
	/* The rule's per-point slopes are 1.62 and 0.81; 2000 samples recover them to ~10%. */
	CHECK(fabs(-lr.w[MODEL_SECURITY] / lr.std[MODEL_SECURITY] - 1.62) < 0.16 &&
		  fabs(lr.w[MODEL_EFFICIENCY] / lr.std[MODEL_EFFICIENCY] - 1.62) < 0.16 &&
		  fabs(lr.w[MODEL_SCALE] / lr.std[MODEL_SCALE] - 0.81) < 0.08 &&
		  fabs(-lr.w[MODEL_EXTENSIBILITY] / lr.std[MODEL_EXTENSIBILITY] - 0.81) < 0.08,
	      "weights recover the rule");
	beta = malloc(test.n * sizeof(*beta));
	for (size_t i = 0; i < test.n; i++)
		beta[i] = model_lr_beta(&lr, &test.x[i]);
	model_metrics_compute(beta, test.y, NULL, test.n, &met);
	model_rule_population_metrics(model_rule_score, NULL, &bayes);
	model_rule_population_metrics(model_lr_score, &lr, &pop);
	CHECK(met.accuracy >= bayes.accuracy - 0.005, "test accuracy %.4f >= Bayes %.4f - 0.5 pt",
	      met.accuracy, bayes.accuracy);
	CHECK(met.accuracy >= PAPER_ACCURACY, "test accuracy %.4f >= the paper's %.5f",
	      met.accuracy, PAPER_ACCURACY);
	CHECK(fabs(pop.accuracy - bayes.accuracy) < 0.005,
	      "expected accuracy over the generator %.4f within 0.5 pt of Bayes", pop.accuracy);
	CHECK(pop.auc >= bayes.auc - 0.002, "expected AUC %.4f near the Bayes AUC %.4f", pop.auc,
	      bayes.auc);
	CHECK(met.auc >= 0.98, "test AUC %.4f >= 0.98", met.auc);
	/* Table 1 predicts as the rule says; its boundary row sits near P = 0.5. */
	for (size_t i = 0; i < model_table1_len; i++) {
		const struct model_req *x = &model_table1[i].x;
		double b = model_lr_beta(&lr, x);

		if (model_rule_margin(x) == 0)
			agree &= fabs(b - 0.5) < 0.1;
		else
			agree &= (b > 0.5) == (model_rule_choice(x) == MODEL_CHOICE_MACVLAN);
	}
	CHECK(agree, "the Table 1 rows predict as the rule says");
	free(beta);
	model_data_free(&train);
	model_data_free(&test);
}

static void test_screen(void)
{
	struct model_screen_opts o = model_screen_defaults;
	struct model_data d = {0};
	double f[MODEL_NFEAT];

	model_csv_read("model/train.csv", &d);
	o.c = 0.4;
	CHECK(model_screen(&d, &o, f) == 0, "stability selection runs");
	CHECK(f[MODEL_SECURITY] >= 0.95 && f[MODEL_EFFICIENCY] >= 0.95,
	      "security %.2f and efficiency %.2f always kept, as in Table 2", f[MODEL_SECURITY],
	      f[MODEL_EFFICIENCY]);
	CHECK(f[MODEL_SCALE] > 0.3 && f[MODEL_SCALE] < 0.7 && f[MODEL_EXTENSIBILITY] > 0.3 &&
		  f[MODEL_EXTENSIBILITY] < 0.7,
	      "scale %.2f and extensibility %.2f kept about half the time, as in Table 2",
	      f[MODEL_SCALE], f[MODEL_EXTENSIBILITY]);
	o.c = 1;
	o.resamples = 50;
	CHECK(model_screen(&d, &o, f) == 0 && f[MODEL_SCALE] >= 0.95 &&
		  f[MODEL_EXTENSIBILITY] >= 0.95,
	      "a weaker penalty (C = 1) keeps every feature");
	o.scaling = 1;
	capture();
	CHECK(model_screen(&d, &o, f) == -EINVAL && strstr(captured_text(), "scaling < 1"),
	      "scaling 1 is refused");
	model_data_free(&d);
}

int main(void)
{
	test_req();
	test_csv();
	test_metrics();
	test_rule();
	test_gen();
	test_train();
	test_screen();
	TAP_EXIT();
}
