#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/cmds.h"
#include "model/model_cmd.h"

static const struct cbpf_cmd subcommands[] = {
    {"gen", model_cmd_gen, "gen [--train FILE --test FILE] [--seed N]  generate the data"},
    {"train", model_cmd_train, "train [--train FILE] [--test FILE] [--out FILE]"},
    {"eval", model_cmd_eval, "eval [--data FILE] [--roc PNG] [--calibration PNG]"},
    {"screen", model_cmd_screen, "screen [--C C]...  randomized logistic regression"},
    {"predict", model_cmd_predict,
     "predict --security S --scale N --efficiency E "
     "--extensibility X"},
    {"decide", model_cmd_decide, "decide NET --require SPEC  decide and record"},
    {"confirm", model_cmd_confirm, "confirm NET  the recorded decision was right"},
    {"override", model_cmd_override, "override NET overlay|macvlan  it was wrong"},
    {"history", model_cmd_history, "history [NET]  recorded decisions"},
    {"retrain", model_cmd_retrain, "retrain  refit with confirmed decisions"},
    {NULL, NULL, NULL},
};

int cmd_model(struct cbpf_ctx *ctx, int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help"))) {
		for (const struct cbpf_cmd *c = subcommands; c->name; c++)
			printf("  model %s\n", c->usage);
		return 0;
	}
	return cbpf_dispatch(ctx, "model", subcommands, argc - 1, argv + 1);
}

int model_getopt(int argc, char **argv, const struct option *opts)
{
	char shorts[64] = ":";
	size_t n = 1;
	int opt;

	/* Every long option has a one-letter code; accept nothing else. */
	for (const struct option *o = opts; o->name && n + 2 < sizeof(shorts); o++) {
		shorts[n++] = (char)o->val;
		if (o->has_arg == required_argument)
			shorts[n++] = ':';
	}
	shorts[n] = '\0';
	opterr = 0;
	opt = getopt_long(argc, argv, shorts, opts, NULL);
	if (opt == '?') {
		cbpf_err("model %s: unknown option '%s'", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	if (opt == ':') {
		cbpf_err("model %s: option '%s' needs a value", argv[0], argv[optind - 1]);
		return -EINVAL;
	}
	return opt;
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
