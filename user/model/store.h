/*
 * A trained model as a JSON file: scaling, weights and bias, how it was trained and how it
 * scored on the held-out test set. Files are checked on load (format, version, shape, finite
 * numbers) and replaced atomically on save, so a bad file never becomes the model in use.
 */
#ifndef CBPF_MODEL_STORE_H
#define CBPF_MODEL_STORE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/cmd.h"
#include "model/lr.h"
#include "model/metrics.h"

#define MODEL_FORMAT	     "cbpfnet-model"
#define MODEL_FORMAT_VERSION 1
#define MODEL_FILE	     "model.json"

#ifndef CBPF_MODEL_DIR
#define CBPF_MODEL_DIR "/usr/local/share/cbpfnet"
#endif
/* The source tree's copy, found when cbpfnet runs from a checkout, from any directory. */
#ifndef MODEL_SOURCE_DIR
#define MODEL_SOURCE_DIR "model"
#endif

#define MODEL_PATH_MAX 4096

struct model {
	struct model_lr lr;
	unsigned version; /* 1 for a first fit, +1 for every retrained model put in use */
	double lambda;
	size_t n_train;	    /* samples fitted, confirmed ones included */
	size_t n_confirmed; /* of which confirmed or overridden decisions */
	int iterations;
	char trained_at[32]; /* UTC, ISO 8601 */
	char train_data[MODEL_PATH_MAX];
	bool has_test;
	char test_data[MODEL_PATH_MAX];
	struct model_metrics test;
};

/* Reports "<path>: what is wrong" and returns -errno; *m is untouched on failure. */
int model_load(const char *path, struct model *m);
int model_save(const char *path, const struct model *m);
json_object *model_metrics_json(const struct model_metrics *m);

/*
 * The model in use: `explicit` when given, else <state>/model.json, else the installed
 * CBPF_MODEL_DIR/model.json, else the source tree's model/model.json. Reports and returns
 * -ENOENT when there is none.
 */
int model_path_in_use(const struct cbpf_ctx *ctx, const char *explicit, char *buf, size_t size);
/* Where train and retrain write: <state>/model.json. */
int model_path_state(const struct cbpf_ctx *ctx, char *buf, size_t size);
/* The shipped data file `name` (train.csv, test.csv): installed copy, else the source tree's. */
void model_path_data(const char *name, char *buf, size_t size);
/* Current UTC time, ISO 8601. */
void model_now(char buf[32]);

#endif
