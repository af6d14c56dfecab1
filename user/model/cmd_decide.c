/* model predict, decide, confirm, override and history: single requirements and their record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/cmds.h"
#include "core/output.h"

static int print_decision(struct cbpf_ctx *ctx, const struct model_decision *d)
{
	if (ctx->json)
		cbpf_print_json(model_decision_json(d));
	else
		model_print_decision(d);
	return 0;
}

const struct cbpf_opt model_predict_opts[] = {
    {"security", 's', "S", "security need, 0..10"},
    {"scale", 'n', "N", "scale need, 0..10"},
    {"efficiency", 'e', "E", "efficiency need, 0..10"},
    {"extensibility", 'x', "X", "extensibility need, 0..10"},
    {"require", 'r', "SPEC", "the four at once: security=S,scale=N,..."},
    {"model", 'M', "FILE", "the model to use (default the installed one)"},
    {"same-l2", 'L', "yes|no|unknown", "the hosts share an L2 segment"},
    {"parent-free", 'P', "yes|no|unknown", "a parent interface is free for macvlan"},
    {"passthru", 'T', NULL, "macvlan would need passthru mode"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_predict(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const char feature_opt[MODEL_NFEAT] = {'s', 'n', 'e', 'x'};
	struct model_constraints c = {0};
	const char *model_opt = NULL, *spec = NULL;
	bool seen[MODEL_NFEAT] = {false};
	char path[MODEL_PATH_MAX];
	struct model_decision d;
	struct model_req req;
	struct model m;
	int opt, err;

	optind = 0;
	while ((opt = model_getopt(argc, argv, model_predict_opts)) != -1) {
		const char *f = opt > 0 ? memchr(feature_opt, opt, MODEL_NFEAT) : NULL;

		if (f) {
			char what[32];

			snprintf(what, sizeof(what), "--%s", model_feature_names[f - feature_opt]);
			if (model_weight_parse(what, optarg, &req.w[f - feature_opt]))
				return -EINVAL;
			seen[f - feature_opt] = true;
		} else if (opt == 'r') {
			spec = optarg;
		} else if (opt == 'M') {
			model_opt = optarg;
		} else if (model_constraint_opt(opt, optarg, &c) != 1) {
			return -EINVAL;
		}
	}
	if (model_positional(argc, argv, 0, "no arguments besides options"))
		return -EINVAL;
	if (spec && (seen[0] || seen[1] || seen[2] || seen[3])) {
		cbpf_err("model predict: give --require or the four weights, not both");
		return -EINVAL;
	}
	if (spec && model_req_parse(spec, &req))
		return -EINVAL;
	for (int j = 0; j < MODEL_NFEAT && !spec; j++) {
		if (!seen[j]) {
			cbpf_err(
			    "model predict: requirement --%s missing (need --security, --scale, "
			    "--efficiency and --extensibility, each 0..10)",
			    model_feature_names[j]);
			return -EINVAL;
		}
	}
	err = model_path_in_use(ctx, model_opt, path, sizeof(path));
	if (!err)
		err = model_load(path, &m);
	if (err)
		return err;
	model_predict(&m, &req, &c, &d);
	return print_decision(ctx, &d);
}

const struct cbpf_opt model_decide_opts[] = {
    {"require", 'r', "SPEC", "security=S,scale=N,efficiency=E,extensibility=X"},
    {"model", 'M', "FILE", "the model to use (default the installed one)"},
    {"same-l2", 'L', "yes|no|unknown", "the hosts share an L2 segment"},
    {"parent-free", 'P', "yes|no|unknown", "a parent interface is free for macvlan"},
    {"passthru", 'T', NULL, "macvlan would need passthru mode"},
    {NULL, 0, NULL, NULL},
};

int model_cmd_decide(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct model_constraints c = {0};
	const char *model_opt = NULL, *spec = NULL;
	struct model_decision d;
	int opt, err;

	optind = 0;
	while ((opt = model_getopt(argc, argv, model_decide_opts)) != -1) {
		if (opt == 'r')
			spec = optarg;
		else if (opt == 'M')
			model_opt = optarg;
		else if (model_constraint_opt(opt, optarg, &c) != 1)
			return -EINVAL;
	}
	if (model_positional(argc, argv, 1, "a network name"))
		return -EINVAL;
	err = model_decide(ctx, model_opt, argv[optind], spec, &c, &d);
	if (err)
		return err;
	if (!ctx->json)
		printf("decision #%lld for network %s recorded in %s/cbpfnet.db\n", d.record_id,
		       argv[optind], ctx->state_dir);
	return print_decision(ctx, &d);
}

static json_object *record_json(const struct model_record *r)
{
	struct model_decision d = {
	    .req = r->req,
	    .choice = r->choice,
	    .alpha = r->alpha,
	    .beta = r->beta,
	    .cached = r->source == MODEL_SOURCE_CACHE,
	    .source = r->source,
	    .model_version = r->model_version,
	    .record_id = r->id,
	};
	json_object *o;

	snprintf(d.reason, sizeof(d.reason), "%s", r->reason);
	o = model_decision_json(&d);
	json_object_object_del(o, "cached_from");
	json_object_object_add(o, "network", json_object_new_string(r->net));
	json_object_object_add(o, "created_at", json_object_new_string(r->created_at));
	json_object_object_add(
	    o, "label", r->label < 0 ? NULL : json_object_new_string(model_choice_name(r->label)));
	return o;
}

/* Labels the latest decision of a network: confirm keeps its choice, override replaces it. */
static int label(struct cbpf_ctx *ctx, const char *net, const enum model_choice *forced)
{
	struct model_history *h = NULL;
	struct model_record r;
	enum model_choice to;
	int err = model_history_open(ctx->state_dir, &h);

	if (err)
		return err;
	err = model_history_find_net(h, net, &r);
	if (err == 0) {
		cbpf_err("model %s: no decision recorded for network %s",
			 forced ? "override" : "confirm", net);
		err = -ENOENT;
	}
	if (err < 0)
		goto out;
	if (r.source == MODEL_SOURCE_CONSTRAINT) {
		cbpf_err("model %s: decision #%lld for network %s was made by a hard constraint, "
			 "not by the requirements; there is nothing to learn from it",
			 forced ? "override" : "confirm", r.id, net);
		err = -EINVAL;
		goto out;
	}
	to = forced ? *forced : r.choice;
	err = model_history_set_label(h, r.id, to);
	if (err)
		goto out;
	r.label = to;
	if (ctx->json)
		cbpf_print_json(record_json(&r));
	else
		printf("decision #%lld for network %s: %s %s; it is a labelled sample for the next "
		       "`model retrain`\n",
		       r.id, net, to == r.choice ? "confirmed" : "overridden to",
		       model_choice_name(to));
out:
	model_history_close(h);
	return err;
}

int model_cmd_confirm(struct cbpf_ctx *ctx, int argc, char **argv)
{

	optind = 0;
	if (model_getopt(argc, argv, NULL) != -1 || model_positional(argc, argv, 1, "NET"))
		return -EINVAL;
	return label(ctx, argv[optind], NULL);
}

int model_cmd_override(struct cbpf_ctx *ctx, int argc, char **argv)
{
	enum model_choice to;

	optind = 0;
	if (model_getopt(argc, argv, NULL) != -1 ||
	    model_positional(argc, argv, 2, "NET overlay|macvlan"))
		return -EINVAL;
	if (model_choice_parse(argv[optind + 1], &to)) {
		cbpf_err("model override: '%s' is not overlay or macvlan", argv[optind + 1]);
		return -EINVAL;
	}
	return label(ctx, argv[optind], &to);
}

int model_cmd_history(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct model_record *recs = NULL;
	struct model_history *h = NULL;
	const char *net;
	size_t n = 0;
	int err;

	optind = 0;
	if (model_getopt(argc, argv, NULL) != -1)
		return -EINVAL;
	if (argc - optind > 1)
		return model_positional(argc, argv, 1, "at most one network name");
	net = optind < argc ? argv[optind] : NULL;
	err = model_history_open(ctx->state_dir, &h);
	if (!err)
		err = model_history_list(h, net, &recs, &n);
	model_history_close(h);
	if (err)
		return err;
	if (ctx->json) {
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < n; i++)
			json_object_array_add(a, record_json(&recs[i]));
		cbpf_print_json(a);
	} else {
		printf("%5s  %-16s  %-11s  %-7s  %6s  %-10s  %-4s  %-10s\n", "#", "network",
		       "sec,sc,ef,ex", "choice", "beta", "source", "ver", "label");
		for (size_t i = 0; i < n; i++) {
			const struct model_record *r = &recs[i];
			char req[16];

			snprintf(req, sizeof(req), "%d,%d,%d,%d", r->req.w[0], r->req.w[1],
				 r->req.w[2], r->req.w[3]);
			printf("%5lld  %-16s  %-11s  %-7s  %6.3f  %-10s  %-4u  %-10s\n", r->id,
			       r->net, req, model_choice_name(r->choice), r->beta,
			       model_source_name(r->source), r->model_version,
			       r->label < 0 ? "-" : model_choice_name(r->label));
		}
	}
	free(recs);
	return 0;
}
