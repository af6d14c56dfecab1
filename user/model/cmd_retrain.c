/*
 * model retrain: refit on the shipped training data plus every confirmed or overridden
 * decision, and put the new model in use only if it does at least as well on the held-out test
 * set as the model in use.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/cmds.h"
#include "model/history.h"
#include "core/output.h"

static json_object *outcome_json(const char *path, const struct model *old, const struct model *new,
				 bool replaced, int n_confirmed)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "model", json_object_new_string(path));
	json_object_object_add(o, "kept", json_object_new_string(replaced ? "new" : "old"));
	json_object_object_add(o, "version",
			       json_object_new_int64(replaced ? new->version : old->version));
	json_object_object_add(o, "confirmed_samples", json_object_new_int(n_confirmed));
	json_object_object_add(o, "old_test", model_metrics_json(&old->test));
	json_object_object_add(o, "new_test", model_metrics_json(&new->test));
	return o;
}

const struct cbpf_opt model_retrain_opts[] = {
    {"model", 'M', "FILE", "the model to start from (default the installed one)"},
    {"train", 't', "FILE", "training set"},
    {"test", 'v', "FILE", "test set"},
    {"lambda", 'l', "L", "L2 penalty"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_retrain(struct cbpf_ctx *ctx, int argc, char **argv)
{
	char train_path[MODEL_PATH_MAX], test_path[MODEL_PATH_MAX], in_use[MODEL_PATH_MAX];
	char out[MODEL_PATH_MAX];
	const char *model_opt = NULL;
	struct model_data train = {0}, test = {0};
	struct model old, new = {0};
	struct model_history *h = NULL;
	double lambda = 0, ms;
	bool lambda_set = false;
	bool replaced;
	int opt, err = 0, n_confirmed = 0;

	model_path_data("train.csv", train_path, sizeof(train_path));
	model_path_data("test.csv", test_path, sizeof(test_path));
	optind = 0;
	while ((opt = model_getopt(argc, argv, model_retrain_opts)) != -1) {
		if (opt == 'M') {
			model_opt = optarg;
		} else if (opt == 't') {
			snprintf(train_path, sizeof(train_path), "%s", optarg);
		} else if (opt == 'v') {
			snprintf(test_path, sizeof(test_path), "%s", optarg);
		} else if (opt == 'l') {
			err = model_parse_double("--lambda", optarg, &lambda);
			lambda_set = true;
		} else {
			return -EINVAL;
		}
		if (err)
			return err;
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	/* The model in use is replaced where it lives when named, else in the state directory. */
	err = model_path_in_use(ctx, model_opt, in_use, sizeof(in_use));
	if (!err)
		err = model_opt ? 0 : model_path_state(ctx, out, sizeof(out));
	if (!err && model_opt)
		snprintf(out, sizeof(out), "%s", model_opt);
	if (!err)
		err = model_load(in_use, &old);
	if (!err)
		err = model_csv_read(train_path, &train);
	if (!err)
		err = model_csv_read(test_path, &test);
	if (!err)
		err = model_history_open(ctx->state_dir, &h);
	if (!err) {
		n_confirmed = model_history_samples(h, &train);
		err = n_confirmed < 0 ? n_confirmed : 0;
	}
	if (!err)
		err = model_fit(&train, train_path, n_confirmed, lambda_set ? lambda : old.lambda,
				&new, &ms);
	if (!err)
		err = model_evaluate(&old.lr, &test, test_path, &old.test);
	if (!err)
		err = model_evaluate(&new.lr, &test, test_path, &new.test);
	if (err)
		goto out;
	/* Equal accuracy goes to the new model: it has seen more evidence. */
	replaced = new.test.accuracy >= old.test.accuracy;
	new.version = old.version + 1;
	new.has_test = old.has_test = true;
	snprintf(new.test_data, sizeof(new.test_data), "%s", test_path);
	if (replaced)
		err = model_save(out, &new);
	if (err)
		goto out;
	if (ctx->json) {
		cbpf_print_json(
		    outcome_json(replaced ? out : in_use, &old, &new, replaced, n_confirmed));
		goto out;
	}
	printf("retrained on %s plus %d labelled decisions (confirmed or overridden): %zu "
	       "samples, %.3f ms\n",
	       train_path, n_confirmed, train.n, ms);
	printf("test set %s: accuracy %.4f (new) vs %.4f (model in use, version %u)\n", test_path,
	       new.test.accuracy, old.test.accuracy, old.version);
	if (replaced)
		printf("kept the new model: version %u written to %s\n", new.version, out);
	else
		printf("kept the old model: the new one scores worse on the test set; %s "
		       "unchanged (version %u)\n",
		       in_use, old.version);
out:
	model_history_close(h);
	model_data_free(&train);
	model_data_free(&test);
	return err;
}
