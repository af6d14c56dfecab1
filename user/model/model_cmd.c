#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/cmds.h"
#include "model/model_cmd.h"

const struct cbpf_cmd cbpf_model_cmds[] = {
    {.name = "gen",
     .run = model_cmd_gen,
     .args = "[OPTIONS]",
     .help = "generate the labelled training and test data",
     .opts = model_gen_opts,
     .example = "model gen --seed 7"},
    {.name = "train",
     .run = model_cmd_train,
     .args = "[OPTIONS]",
     .help = "fit the classifier",
     .opts = model_train_opts,
     .example = "model train --out model.json"},
    {.name = "eval",
     .run = model_cmd_eval,
     .args = "[OPTIONS]",
     .help = "measure a model on labelled data",
     .opts = model_eval_opts,
     .example = "model eval --roc roc.png"},
    {.name = "screen",
     .run = model_cmd_screen,
     .args = "[OPTIONS]",
     .help = "randomized logistic regression: which requirements matter",
     .opts = model_screen_opts,
     .example = "model screen --C 0.5 --C 1"},
    {.name = "predict",
     .run = model_cmd_predict,
     .args = "--security S --scale N --efficiency E --extensibility X",
     .help = "the model a network with these requirements would get",
     .opts = model_predict_opts,
     .example = "model predict --require security=8,scale=2,efficiency=3,extensibility=5"},
    {.name = "decide",
     .run = model_cmd_decide,
     .args = "NET --require SPEC",
     .help = "decide a network's model and record it",
     .opts = model_decide_opts,
     .example = "model decide web --require security=8,scale=2,efficiency=3,"
		"extensibility=5"},
    {.name = "confirm",
     .run = model_cmd_confirm,
     .args = "NET",
     .help = "the recorded decision for NET was right",
     .example = "model confirm web"},
    {.name = "override",
     .run = model_cmd_override,
     .args = "NET overlay|macvlan",
     .help = "the recorded decision was wrong",
     .example = "model override web macvlan"},
    {.name = "history",
     .run = model_cmd_history,
     .args = "[NET]",
     .help = "recorded decisions",
     .example = "model history"},
    {.name = "retrain",
     .run = model_cmd_retrain,
     .args = "[OPTIONS]",
     .help = "refit with the confirmed decisions",
     .opts = model_retrain_opts,
     .example = "model retrain"},
    {0},
};

int model_getopt(int argc, char **argv, const struct cbpf_opt *opts)
{
	char what[64];
	int opt;

	snprintf(what, sizeof(what), "model %s", argv[0]);
	opt = cbpf_getopt(argc, argv, opts, what);
	return opt == '?' ? -EINVAL : opt;
}

int model_parse_double(const char *what, const char *text, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	if (!*text || *end || errno || !isfinite(*out)) {
		cbpf_err("%s: '%s' is not a number", what, text);
		return -EINVAL;
	}
	return 0;
}

int model_parse_u64(const char *what, const char *text, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 10);
	if (!*text || *end || errno || strspn(text, "0123456789") != strlen(text)) {
		cbpf_err("%s: '%s' is not a non-negative integer", what, text);
		return -EINVAL;
	}
	return 0;
}

int model_positional(int argc, char **argv, int want, const char *usage)
{
	if (argc - optind != want) {
		cbpf_err("model %s: expected %s", argv[0], usage);
		return -EINVAL;
	}
	return 0;
}

int model_constraint_opt(int opt, const char *arg, struct model_constraints *c)
{
	enum model_fact *fact = opt == 'L' ? &c->hosts_share_l2 : &c->parent_free;

	if (opt == 'T') {
		c->passthru = true;
		return 1;
	}
	if (opt != 'L' && opt != 'P')
		return 0;
	if (model_fact_parse(arg, fact)) {
		cbpf_err("--%s: '%s' is not yes, no or unknown",
			 opt == 'L' ? "same-l2" : "parent-free", arg);
		return -EINVAL;
	}
	return 1;
}

void model_print_metrics(const struct model_metrics *m)
{
	printf("  accuracy  %.4f\n  precision %.4f\n  recall    %.4f\n  F1        %.4f\n",
	       m->accuracy, m->precision, m->recall, m->f1);
	if (isnan(m->auc))
		printf("  AUC       n/a (one label only)\n");
	else
		printf("  AUC       %.4f\n", m->auc);
	printf("  log loss  %.4f\n", m->log_loss);
	printf("  confusion matrix (rows: label, columns: prediction)\n"
	       "               overlay  macvlan\n"
	       "    overlay  %8.6g %8.6g\n"
	       "    macvlan  %8.6g %8.6g\n",
	       m->tn, m->fp, m->fn, m->tp);
}

json_object *model_decision_json(const struct model_decision *d)
{
	json_object *o = json_object_new_object();
	json_object *req = json_object_new_object();

	for (int j = 0; j < MODEL_NFEAT; j++)
		json_object_object_add(req, model_feature_names[j],
				       json_object_new_int(d->req.w[j]));
	json_object_object_add(o, "requirements", req);
	json_object_object_add(o, "choice", json_object_new_string(model_choice_name(d->choice)));
	json_object_object_add(o, "alpha", json_object_new_double(d->alpha));
	json_object_object_add(o, "beta", json_object_new_double(d->beta));
	json_object_object_add(o, "source", json_object_new_string(model_source_name(d->source)));
	json_object_object_add(o, "cached", json_object_new_boolean(d->cached));
	json_object_object_add(o, "reason", json_object_new_string(d->reason));
	json_object_object_add(o, "model_version", json_object_new_int64(d->model_version));
	if (d->record_id)
		json_object_object_add(o, "decision", json_object_new_int64(d->record_id));
	if (d->cached)
		json_object_object_add(o, "cached_from", json_object_new_int64(d->cached_from));
	if (d->explained) {
		json_object *ex = json_object_new_object();

		for (int j = 0; j < MODEL_NFEAT; j++)
			json_object_object_add(ex, model_feature_names[j],
					       json_object_new_double(d->contrib[j]));
		json_object_object_add(ex, "bias", json_object_new_double(d->bias));
		json_object_object_add(o, "explanation", ex);
	}
	return o;
}

void model_print_decision(const struct model_decision *d)
{
	printf("choice  %s%s\n", model_choice_name(d->choice),
	       d->cached ? " (answered from the history cache)" : "");
	printf("alpha   %.4f  P(overlay)\nbeta    %.4f  P(macvlan)\n", d->alpha, d->beta);
	printf("reason  %s\n", d->reason);
	if (!d->explained)
		return;
	double z = d->bias;

	for (int j = 0; j < MODEL_NFEAT; j++)
		z += d->contrib[j];
	printf("explanation: log(beta/alpha) = %+.3f = bias %+.3f plus\n", z, d->bias);
	for (int j = 0; j < MODEL_NFEAT; j++)
		printf("  %-13s %2d  %+.3f  toward %s\n", model_feature_names[j], d->req.w[j],
		       d->contrib[j], d->contrib[j] > 0 ? "macvlan" : "overlay");
}
