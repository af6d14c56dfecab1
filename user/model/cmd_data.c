/* model gen, train, eval and screen: the data and the classifier, no history involved. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "model/cmds.h"
#include "model/file.h"
#include "model/gen.h"
#include "model/plot.h"
#include "model/rule.h"
#include "model/screen.h"
#include "core/output.h"

static size_t count_macvlan(const struct model_data *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->y[i];
	return n;
}

static json_object *table1_json(void)
{
	json_object *rows = json_object_new_array();

	for (size_t i = 0; i < model_table1_len; i++) {
		const struct model_fixture *f = &model_table1[i];
		json_object *r = json_object_new_object();
		json_object *x = json_object_new_array();

		for (int j = 0; j < MODEL_NFEAT; j++)
			json_object_array_add(x, json_object_new_int(f->x.w[j]));
		json_object_object_add(r, "requirements", x);
		json_object_object_add(r, "paper_label", json_object_new_int(f->label));
		json_object_object_add(r, "rule_margin",
				       json_object_new_double(model_rule_margin(&f->x)));
		json_object_object_add(r, "rule_p_macvlan",
				       json_object_new_double(model_rule_prob(&f->x)));
		json_object_object_add(r, "rule_choice",
				       json_object_new_int(model_rule_choice(&f->x)));
		json_object_array_add(rows, r);
	}
	return rows;
}

static const char *verdict(const struct model_fixture *f)
{
	if (model_rule_margin(&f->x) == 0)
		return "boundary: either label";
	return (int)model_rule_choice(&f->x) == f->label ? "rule agrees" : "rule disagrees";
}

static void print_table1(void)
{
	printf("Table 1 under the rule (sec,scale,eff,ext -> paper label: margin, P(macvlan)):\n");
	for (size_t i = 0; i < model_table1_len; i++) {
		const struct model_fixture *f = &model_table1[i];
		double m = model_rule_margin(&f->x);

		printf("  %2d,%2d,%2d,%2d -> %d: %+5.1f  %.3f  %s\n", f->x.w[0], f->x.w[1],
		       f->x.w[2], f->x.w[3], f->label, m, model_rule_prob(&f->x), verdict(f));
	}
}

const struct cbpf_opt model_gen_opts[] = {
    {"train", 't', "FILE", "where the training set goes"},
    {"test", 'v', "FILE", "where the test set goes"},
    {"seed", 's', "N", "random seed"},
    {"train-size", 'n', "N", "training samples"},
    {"test-size", 'm', "N", "test samples"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_gen(struct cbpf_ctx *ctx, int argc, char **argv)
{
	uint64_t seed = MODEL_GEN_SEED, n_train = MODEL_GEN_N_TRAIN, n_test = MODEL_GEN_N_TEST;
	const char *train_path = NULL, *test_path = NULL;
	struct model_data train = {0}, test = {0};
	struct model_metrics bayes;
	int opt, err = 0;

	optind = 0;
	while ((opt = model_getopt(argc, argv, model_gen_opts)) != -1) {
		switch (opt) {
		case 't':
			train_path = optarg;
			break;
		case 'v':
			test_path = optarg;
			break;
		case 's':
			err = model_parse_u64("--seed", optarg, &seed);
			break;
		case 'n':
			err = model_parse_u64("--train-size", optarg, &n_train);
			break;
		case 'm':
			err = model_parse_u64("--test-size", optarg, &n_test);
			break;
		default:
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	if (!train_path != !test_path) {
		cbpf_err("model gen: give both --train and --test, or neither to only print the "
			 "Bayes figures");
		return -EINVAL;
	}
	err = model_rule_population_metrics(model_rule_score, NULL, &bayes);
	if (!err && train_path)
		err = model_gen(seed, n_train, n_test, &train, &test);
	if (!err && train_path)
		err = model_csv_write(train_path, &train);
	if (!err && train_path)
		err = model_csv_write(test_path, &test);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "noise_k", json_object_new_double(MODEL_RULE_K));
		json_object_object_add(o, "bayes", model_metrics_json(&bayes));
		json_object_object_add(o, "table1", table1_json());
		if (train_path) {
			json_object_object_add(o, "seed", json_object_new_int64((int64_t)seed));
			json_object_object_add(o, "train_samples", json_object_new_int64(train.n));
			json_object_object_add(o, "train_macvlan",
					       json_object_new_int64(count_macvlan(&train)));
			json_object_object_add(o, "test_samples", json_object_new_int64(test.n));
			json_object_object_add(o, "test_macvlan",
					       json_object_new_int64(count_macvlan(&test)));
		}
		cbpf_print_json(o);
		goto out;
	}
	printf("rule: margin = efficiency - security + (scale - extensibility)/2 - 3.5; "
	       "P(macvlan) = sigmoid(%.2f * margin)\n",
	       MODEL_RULE_K);
	if (train_path) {
		printf("seed %llu\n", (unsigned long long)seed);
		printf("wrote %s: %zu samples (%zu Table 1 rows first), %zu macvlan\n", train_path,
		       train.n, model_table1_len, count_macvlan(&train));
		printf(
		    "wrote %s: %zu samples, %zu macvlan, no vector shared with the training set\n",
		    test_path, test.n, count_macvlan(&test));
	}
	printf(
	    "Bayes classifier (macvlan when margin > 0), exact over the %.0f drawable vectors:\n",
	    bayes.n);
	model_print_metrics(&bayes);
	print_table1();
out:
	model_data_free(&train);
	model_data_free(&test);
	return err;
}

static double elapsed_ms(const struct timespec *a, const struct timespec *b)
{
	return (b->tv_sec - a->tv_sec) * 1e3 + (b->tv_nsec - a->tv_nsec) / 1e6;
}

/* Scores every sample of d with the model. */
static double *predict_all(const struct model_lr *lr, const struct model_data *d)
{
	double *beta = malloc((d->n ? d->n : 1) * sizeof(*beta));

	if (!beta) {
		cbpf_err("out of memory");
		return NULL;
	}
	for (size_t i = 0; i < d->n; i++)
		beta[i] = model_lr_beta(lr, &d->x[i]);
	return beta;
}

int model_evaluate(const struct model_lr *lr, const struct model_data *d, const char *what,
		   struct model_metrics *m)
{
	double *beta;
	int err;

	if (!d->n) {
		cbpf_err("%s: no samples to evaluate on", what);
		return -EINVAL;
	}
	beta = predict_all(lr, d);
	if (!beta)
		return -ENOMEM;
	err = model_metrics_compute(beta, d->y, NULL, d->n, m);
	free(beta);
	return err;
}

int model_fit(const struct model_data *train, const char *train_path, size_t n_confirmed,
	      double lambda, struct model *m, double *ms)
{
	struct model_lr_fit fit;
	struct timespec a, b;
	int err;

	clock_gettime(CLOCK_MONOTONIC, &a);
	err = model_lr_train(train, lambda, &m->lr, &fit);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (err)
		return err;
	*ms = elapsed_ms(&a, &b);
	m->lambda = lambda;
	m->n_train = train->n;
	m->n_confirmed = n_confirmed;
	m->iterations = fit.iterations;
	model_now(m->trained_at);
	snprintf(m->train_data, sizeof(m->train_data), "%s", train_path);
	return 0;
}

void model_print_weights(const struct model *m)
{
	printf("weights per point of requirement (log-odds toward macvlan):");
	for (int j = 0; j < MODEL_NFEAT; j++)
		printf(" %s %+.3f", model_feature_names[j], m->lr.w[j] / m->lr.std[j]);
	printf("\n");
}

/* Picks the lambda of a fixed grid with the lowest cross-validated log loss. */
static int choose_lambda(struct cbpf_ctx *ctx, const struct model_data *d, uint64_t folds,
			 double *lambda)
{
	static const double grid[] = {1e-4, 1e-3, 1e-2, 0.1, 0.3, 1, 3, 10};
	double best = INFINITY, loss;

	if (!ctx->json)
		printf("%" PRIu64 "-fold cross-validation:\n", folds);
	for (size_t i = 0; i < sizeof(grid) / sizeof(grid[0]); i++) {
		int err = model_lr_cv(d, grid[i], folds > UINT_MAX ? 0 : (unsigned)folds, &loss);

		if (err)
			return err;
		if (!ctx->json)
			printf("  lambda %-6g log loss %.5f\n", grid[i], loss);
		if (loss < best) {
			best = loss;
			*lambda = grid[i];
		}
	}
	return 0;
}

const struct cbpf_opt model_train_opts[] = {
    {"train", 't', "FILE", "training set"},
    {"test", 'v', "FILE", "test set"},
    {"lambda", 'l', "L", "L2 penalty (default: chosen by cross-validation)"},
    {"out", 'o', "FILE", "where the model goes"},
    {"cv", 'k', "K", "folds of the cross-validation"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_train(struct cbpf_ctx *ctx, int argc, char **argv)
{
	uint64_t folds = 0;
	char train_path[MODEL_PATH_MAX], test_path[MODEL_PATH_MAX], out[MODEL_PATH_MAX];
	struct model_data train = {0}, test = {0};
	struct model m = {0}, old;
	double lambda = MODEL_LR_LAMBDA, ms;
	int opt, err = 0;

	model_path_data("train.csv", train_path, sizeof(train_path));
	model_path_data("test.csv", test_path, sizeof(test_path));
	out[0] = '\0';
	optind = 0;
	while ((opt = model_getopt(argc, argv, model_train_opts)) != -1) {
		if (opt == 't')
			snprintf(train_path, sizeof(train_path), "%s", optarg);
		else if (opt == 'v')
			snprintf(test_path, sizeof(test_path), "%s", optarg);
		else if (opt == 'o')
			snprintf(out, sizeof(out), "%s", optarg);
		else if (opt == 'l')
			err = model_parse_double("--lambda", optarg, &lambda);
		else if (opt == 'k')
			err = model_parse_u64("--cv", optarg, &folds);
		else
			return -EINVAL;
		if (err)
			return err;
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	if (!out[0] && (err = model_path_state(ctx, out, sizeof(out))))
		return err;
	err = model_csv_read(train_path, &train);
	if (!err && folds)
		err = choose_lambda(ctx, &train, folds, &lambda);
	if (!err)
		err = model_csv_read(test_path, &test);
	if (!err)
		err = model_fit(&train, train_path, 0, lambda, &m, &ms);
	if (!err)
		err = model_evaluate(&m.lr, &test, test_path, &m.test);
	if (err)
		goto done;
	m.has_test = true;
	snprintf(m.test_data, sizeof(m.test_data), "%s", test_path);
	/* Replacing a model starts a new generation, so recorded decisions stay attributable. */
	m.version = 1;
	if (access(out, F_OK) == 0) {
		err = model_load(out, &old);
		if (err) {
			cbpf_err(
			    "model train: not replacing %s, which is not a valid model; remove it "
			    "first",
			    out);
			goto done;
		}
		m.version = old.version + 1;
	}
	err = model_save(out, &m);
	if (err)
		goto done;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "model", json_object_new_string(out));
		json_object_object_add(o, "version", json_object_new_int64(m.version));
		json_object_object_add(o, "train_samples", json_object_new_int64(train.n));
		json_object_object_add(o, "iterations", json_object_new_int(m.iterations));
		json_object_object_add(o, "train_ms", json_object_new_double(ms));
		json_object_object_add(o, "test", model_metrics_json(&m.test));
		cbpf_print_json(o);
		goto done;
	}
	printf("trained on %s: %zu samples, lambda %g, %d Newton iterations, %.3f ms\n", train_path,
	       train.n, lambda, m.iterations, ms);
	model_print_weights(&m);
	printf("test set %s, %zu samples:\n", test_path, test.n);
	model_print_metrics(&m.test);
	printf("wrote %s (version %u)\n", out, m.version);
done:
	model_data_free(&train);
	model_data_free(&test);
	return err;
}

static int write_scores(const char *path, const struct model_data *d, const double *beta)
{
	struct model_file_tmp t;
	int err = model_file_begin(&t, path);

	if (err)
		return err;
	fprintf(t.f, "label,beta\n");
	for (size_t i = 0; i < d->n; i++)
		fprintf(t.f, "%d,%.17g\n", d->y[i], beta[i]);
	return model_file_end(&t);
}

static int plots(const struct model_data *d, const double *beta, const char *roc, const char *calib,
		 const struct model_metrics *met, const char *data_path,
		 const struct model_population *pop)
{
	struct model_calib_bin bins[10], exact[10];
	struct model_roc_point *pts;
	char title[MODEL_PATH_MAX + 64];
	int n, err = 0;

	if (roc) {
		n = model_roc(beta, d->y, d->n, &pts);
		if (n < 0) {
			cbpf_err("%s: a ROC curve needs both labels in %s", roc, data_path);
			return n;
		}
		snprintf(title, sizeof(title),
			 "ROC of the network model classifier on %s (%zu samples)", data_path,
			 d->n);
		err = model_plot_roc(roc, pts, (size_t)n, met->auc, title);
		free(pts);
	}
	if (!err && calib) {
		model_calibration(beta, d->y, NULL, d->n, 10, bins);
		if (pop)
			model_calibration(pop->score, pop->y, pop->w, pop->n, 10, exact);
		snprintf(title, sizeof(title), "Reliability of P(macvlan) on %s (%zu samples)",
			 data_path, d->n);
		err = model_plot_calibration(calib, bins, pop ? exact : NULL, 10, title);
	}
	return err;
}

const struct cbpf_opt model_eval_opts[] = {
    {"model", 'M', "FILE", "the model to evaluate (default the installed one)"},
    {"data", 'd', "FILE", "labelled data to score"},
    {"roc", 'r', "PNG", "plot the ROC curve"},
    {"calibration", 'c', "PNG", "plot the calibration curve"},
    {"scores", 's', "FILE", "write each sample's score"},
    {"population", 'p', NULL, "also score the whole requirement space"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_eval(struct cbpf_ctx *ctx, int argc, char **argv)
{
	const char *model_opt = NULL, *roc = NULL, *calib = NULL, *scores = NULL;
	char data_path[MODEL_PATH_MAX], path[MODEL_PATH_MAX];
	struct model_population pop_scores = {0};
	struct model_metrics met, pop, bayes;
	struct model_data d = {0};
	bool population = false;
	double *beta = NULL;
	struct model m;
	int opt, err;

	model_path_data("test.csv", data_path, sizeof(data_path));
	optind = 0;
	while ((opt = model_getopt(argc, argv, model_eval_opts)) != -1) {
		switch (opt) {
		case 'M':
			model_opt = optarg;
			break;
		case 'd':
			snprintf(data_path, sizeof(data_path), "%s", optarg);
			break;
		case 'r':
			roc = optarg;
			break;
		case 'c':
			calib = optarg;
			break;
		case 's':
			scores = optarg;
			break;
		case 'p':
			population = true;
			break;
		default:
			return -EINVAL;
		}
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	err = model_path_in_use(ctx, model_opt, path, sizeof(path));
	if (!err)
		err = model_load(path, &m);
	if (!err)
		err = model_csv_read(data_path, &d);
	if (!err && !d.n) {
		cbpf_err("%s: no samples to evaluate on", data_path);
		err = -EINVAL;
	}
	if (!err && !(beta = predict_all(&m.lr, &d)))
		err = -ENOMEM;
	if (!err)
		err = model_metrics_compute(beta, d.y, NULL, d.n, &met);
	if (!err && population)
		err = model_population_score(model_lr_score, &m.lr, &pop_scores);
	if (!err && population)
		err = model_metrics_compute(pop_scores.score, pop_scores.y, pop_scores.w,
					    pop_scores.n, &pop);
	if (!err && population)
		err = model_rule_population_metrics(model_rule_score, NULL, &bayes);
	if (!err && scores)
		err = write_scores(scores, &d, beta);
	if (!err)
		err = plots(&d, beta, roc, calib, &met, data_path, population ? &pop_scores : NULL);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "model", json_object_new_string(path));
		json_object_object_add(o, "version", json_object_new_int64(m.version));
		json_object_object_add(o, "data", json_object_new_string(data_path));
		json_object_object_add(o, "metrics", model_metrics_json(&met));
		if (population) {
			json_object_object_add(o, "population", model_metrics_json(&pop));
			json_object_object_add(o, "bayes", model_metrics_json(&bayes));
		}
		cbpf_print_json(o);
		goto out;
	}
	printf("model %s (version %u) on %s, %zu samples:\n", path, m.version, data_path, d.n);
	model_print_metrics(&met);
	if (population) {
		printf("over the generator's whole distribution (exact expectation):\n");
		model_print_metrics(&pop);
		printf("Bayes classifier, same distribution:\n");
		model_print_metrics(&bayes);
	}
out:
	if (err == -ENOMEM)
		cbpf_err("model eval: out of memory");
	model_population_free(&pop_scores);
	free(beta);
	model_data_free(&d);
	return err;
}

const struct cbpf_opt model_screen_opts[] = {
    {"train", 't', "FILE", "training set"},
    {"C", 'C', "C", "inverse penalty to try (repeatable)"},
    {"resamples", 'n', "N", "bootstrap resamples"},
    {"fraction", 'f', "F", "fraction of samples per resample"},
    {"scaling", 'S', "S", "randomized penalty scaling"},
    {"seed", 's', "N", "random seed"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_screen(struct cbpf_ctx *ctx, int argc, char **argv)
{
	/* A stability path: where the strong features are always kept and the weak ones only
	 * when the random rescaling spares them, the scores read like the paper's Table 2. */
	static const double path[] = {0.25, 0.3, 0.4, 0.5, 0.7, 1};
	double cs[16], freq[16][MODEL_NFEAT];
	size_t n_c = 0, n_path = sizeof(path) / sizeof(path[0]);
	struct model_screen_opts o = model_screen_defaults;
	char train_path[MODEL_PATH_MAX];
	struct model_data d = {0};
	uint64_t u;
	int opt, err = 0;

	model_path_data("train.csv", train_path, sizeof(train_path));
	optind = 0;
	while ((opt = model_getopt(argc, argv, model_screen_opts)) != -1) {
		switch (opt) {
		case 't':
			snprintf(train_path, sizeof(train_path), "%s", optarg);
			break;
		case 'C':
			if (n_c == sizeof(cs) / sizeof(cs[0])) {
				cbpf_err("model screen: at most %zu values of --C", n_c);
				return -EINVAL;
			}
			err = model_parse_double("--C", optarg, &cs[n_c++]);
			break;
		case 'n':
			err = model_parse_u64("--resamples", optarg, &u);
			o.resamples = u > 100000 ? 0 : (unsigned)u;
			break;
		case 'f':
			err = model_parse_double("--fraction", optarg, &o.fraction);
			break;
		case 'S':
			err = model_parse_double("--scaling", optarg, &o.scaling);
			break;
		case 's':
			err = model_parse_u64("--seed", optarg, &o.seed);
			break;
		default:
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	if (!n_c) {
		memcpy(cs, path, sizeof(path));
		n_c = n_path;
	}
	err = model_csv_read(train_path, &d);
	for (size_t i = 0; i < n_c && !err; i++) {
		o.c = cs[i];
		err = model_screen(&d, &o, freq[i]);
	}
	model_data_free(&d);
	if (err)
		return err;
	if (ctx->json) {
		json_object *doc = json_object_new_object();
		json_object *rows = json_object_new_array();

		for (size_t i = 0; i < n_c; i++) {
			json_object *r = json_object_new_object();

			json_object_object_add(r, "C", json_object_new_double(cs[i]));
			for (int j = 0; j < MODEL_NFEAT; j++)
				json_object_object_add(r, model_feature_names[j],
						       json_object_new_double(freq[i][j]));
			json_object_array_add(rows, r);
		}
		json_object_object_add(doc, "data", json_object_new_string(train_path));
		json_object_object_add(doc, "resamples", json_object_new_int64(o.resamples));
		json_object_object_add(doc, "fraction", json_object_new_double(o.fraction));
		json_object_object_add(doc, "scaling", json_object_new_double(o.scaling));
		json_object_object_add(doc, "seed", json_object_new_int64((int64_t)o.seed));
		json_object_object_add(doc, "path", rows);
		cbpf_print_json(doc);
		return 0;
	}
	printf("randomized logistic regression on %s: %u resamples of %.0f%%, scaling %.2f, "
	       "seed %llu\n",
	       train_path, o.resamples, 100 * o.fraction, o.scaling, (unsigned long long)o.seed);
	printf("selection frequency per L1 penalty (C = 1/penalty):\n"
	       "  %6s  %8s  %8s  %10s  %13s\n",
	       "C", "security", "scale", "efficiency", "extensibility");
	for (size_t i = 0; i < n_c; i++)
		printf("  %6g  %8.3f  %8.3f  %10.3f  %13.3f\n", cs[i], freq[i][0], freq[i][1],
		       freq[i][2], freq[i][3]);
	return 0;
}
