/*
 * Network model classifier timings for docs/benchmarks.md: training on the shipped 2000
 * samples, one prediction, one constrained decision with explanation, stability selection.
 * Each figure is the median of many repetitions on a warm cache. Not a test: `make bench-model`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "model/data.h"
#include "model/decide.h"
#include "model/lr.h"
#include "model/screen.h"

#define RUNS 101

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	const size_t batch = 1000000;
	struct model_data d = {0};
	struct model m = {.version = 1};
	struct model_lr_fit fit;
	struct model_constraints c = {0};
	struct model_decision dec;
	double t[RUNS], sink = 0;

	if (argc != 2 || model_csv_read(argv[1], &d)) {
		fprintf(stderr, "usage: model_bench TRAIN.csv\n");
		return 2;
	}
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		if (model_lr_train(&d, MODEL_LR_LAMBDA, &m.lr, &fit))
			return 1;
		t[r] = now_ns() - t0;
	}
	printf("train (Newton, %zu samples, %d iterations): median %.3f ms over %d runs\n", d.n,
	       fit.iterations, median(t, RUNS) / 1e6, RUNS);

	/* Cycle through the training vectors so the branch predictor sees real inputs. */
	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (size_t i = 0; i < batch; i++)
			sink += model_lr_beta(&m.lr, &d.x[i % d.n]);
		t[r] = (now_ns() - t0) / batch;
	}
	printf("predict (beta of one requirement): median %.1f ns over %d batches of %zu\n",
	       median(t, RUNS), RUNS, batch);

	for (int r = 0; r < RUNS; r++) {
		double t0 = now_ns();

		for (size_t i = 0; i < batch / 10; i++) {
			model_predict(&m, &d.x[i % d.n], &c, &dec);
			sink += dec.beta;
		}
		t[r] = (now_ns() - t0) / (batch / 10);
	}
	printf("decide without history (constraints, beta, explanation, reason): median %.1f ns "
	       "over %d batches of %zu\n",
	       median(t, RUNS), RUNS, batch / 10);

	/* The whole --model auto path: the store opened, its history queried and written every
	 * time. */
	static const char *const store_files[] = {"cbpfnet.db", "cbpfnet.db-wal", "cbpfnet.db-shm",
						  "lock"};
	char dir[] = "/tmp/cbpfnet-bench-XXXXXX", path[MODEL_PATH_MAX];
	struct cbpf_ctx ctx = {.state_dir = mkdtemp(dir)};

	snprintf(path, sizeof(path), "%s/model.json", dir);
	if (!ctx.state_dir || model_save(path, &m))
		return 1;
	for (int pass = 0; pass < 2; pass++) {
		for (int r = 0; r < RUNS; r++) {
			char net[32], spec[96];
			const int *w = d.x[pass ? 0 : r].w;
			double t0;

			snprintf(net, sizeof(net), "n%d-%d", pass, r);
			snprintf(spec, sizeof(spec),
				 "security=%d,scale=%d,efficiency=%d,extensibility=%d", w[0], w[1],
				 w[2], w[3]);
			t0 = now_ns();
			if (model_decide(&ctx, NULL, net, spec, NULL, &dec))
				return 1;
			t[r] = now_ns() - t0;
		}
		printf("model_auto_decide, %s: median %.3f ms over %d runs\n",
		       pass ? "answered from the history cache" : "classifier, recorded",
		       median(t, RUNS) / 1e6, RUNS);
	}

	unlink(path);
	for (size_t i = 0; i < sizeof(store_files) / sizeof(store_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, store_files[i]);
		unlink(path);
	}
	rmdir(dir);

	struct model_screen_opts o = model_screen_defaults;
	double freq[MODEL_NFEAT];

	o.c = 0.4;
	for (int r = 0; r < 5; r++) {
		double t0 = now_ns();

		if (model_screen(&d, &o, freq))
			return 1;
		t[r] = now_ns() - t0;
	}
	printf("screen (%u resamples, C %.1f): median %.0f ms over 5 runs\n", o.resamples, o.c,
	       median(t, 5) / 1e6);
	model_data_free(&d);
	return sink == 0.5; /* keeps the predictions from being optimized away */
}
