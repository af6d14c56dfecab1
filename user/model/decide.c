#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "model/decide.h"
#include "model/model_cmd.h"

int model_fact_parse(const char *text, enum model_fact *out)
{
	static const char *const names[] = {"unknown", "no", "yes"};

	for (int f = 0; f < 3; f++) {
		if (!strcmp(text, names[f])) {
			*out = f;
			return 0;
		}
	}
	return -EINVAL;
}

/* Why macvlan is impossible, or NULL when nothing known rules it out. */
static const char *forbids_macvlan(const struct model_constraints *c)
{
	if (c->hosts_share_l2 == MODEL_FACT_NO)
		return "macvlan needs all hosts of the network on one L2 segment, and they are not";
	if (c->parent_free == MODEL_FACT_NO)
		return c->passthru ? "macvlan passthru needs a parent interface of its own, and "
				     "there is none free"
				   : "macvlan needs a parent interface, and there is none";
	return NULL;
}

/* What a macvlan choice still rests on, when the facts are not known. */
static const char *unchecked(const struct model_constraints *c)
{
	bool l2 = c->hosts_share_l2 == MODEL_FACT_UNKNOWN;
	bool parent = c->parent_free == MODEL_FACT_UNKNOWN;

	if (l2 && parent)
		return "; not checked: L2 adjacency of the hosts, a free parent interface "
		       "(unknown)";
	if (l2)
		return "; not checked: L2 adjacency of the hosts (unknown)";
	if (parent)
		return "; not checked: a free parent interface (unknown)";
	return "";
}

void model_predict(const struct model *m, const struct model_req *req,
		   const struct model_constraints *c, struct model_decision *out)
{
	const char *rule = forbids_macvlan(c);
	double z = model_lr_logit(&m->lr, req, out->contrib);
	int top = 0;

	out->req = *req;
	out->beta = model_sigmoid(z);
	out->alpha = 1 - out->beta;
	out->explained = true;
	out->bias = m->lr.b;
	out->cached = false;
	out->model_version = m->version;
	out->record_id = out->cached_from = 0;
	if (rule) {
		out->choice = MODEL_CHOICE_OVERLAY;
		out->source = MODEL_SOURCE_CONSTRAINT;
		snprintf(out->reason, sizeof(out->reason),
			 "hard constraint: %s (the classifier alone says %s, P(macvlan) %.3f)",
			 rule, model_choice_name(out->beta > 0.5), out->beta);
		return;
	}
	out->choice = out->beta > 0.5 ? MODEL_CHOICE_MACVLAN : MODEL_CHOICE_OVERLAY;
	out->source = MODEL_SOURCE_CLASSIFIER;
	/* Name the feature that pushed hardest toward the choice. */
	for (int j = 1; j < MODEL_NFEAT; j++)
		if ((out->choice ? 1 : -1) * (out->contrib[j] - out->contrib[top]) > 0)
			top = j;
	snprintf(out->reason, sizeof(out->reason),
		 "classifier, model version %u: P(macvlan) %.3f %s 0.5, mostly %s (%+.2f)%s",
		 m->version, out->beta, out->choice ? ">" : "<=", model_feature_names[top],
		 out->contrib[top], out->choice ? unchecked(c) : "");
}

static void from_history(const struct model_record *r, const struct model_constraints *c,
			 struct model_decision *out)
{
	bool overridden = r->label >= 0 && r->label != (int)r->choice;
	char label[128];

	out->choice = r->label >= 0 ? (enum model_choice)r->label : r->choice;
	/* The operator's word is certain; the classifier's numbers stay in the reason. */
	out->beta = overridden ? out->choice : r->beta;
	out->alpha = 1 - out->beta;
	out->explained = false;
	out->cached = true;
	out->source = MODEL_SOURCE_CACHE;
	out->model_version = r->model_version;
	out->cached_from = r->id;
	if (overridden)
		snprintf(label, sizeof(label),
			 "overridden by the operator; the classifier had P(macvlan) %.3f", r->beta);
	else
		snprintf(label, sizeof(label), "%s", r->label < 0 ? "not confirmed" : "confirmed");
	snprintf(out->reason, sizeof(out->reason),
		 "history: same requirements as decision #%lld (network %s, %s, %s)%s", r->id,
		 r->net, r->created_at, label, out->choice ? unchecked(c) : "");
}

/* The decision of net, recorded in history h. */
static int decide_in(struct cbpf_ctx *ctx, struct model_history *h, const char *model_path,
		     const char *net, const char *spec, const struct model_constraints *c,
		     struct model_decision *out)
{
	static const struct model_constraints none;
	struct model_record rec = {0};
	char path[MODEL_PATH_MAX];
	struct model_req req;
	struct model m;
	int err, found = 0;

	if (!c)
		c = &none;
	if (!net || !*net || strlen(net) >= MODEL_NET_MAX) {
		cbpf_err("model decision: network name must be 1..%d characters",
			 MODEL_NET_MAX - 1);
		return -EINVAL;
	}
	if (!spec) {
		cbpf_err("model decision for %s: --require security=S,scale=N,efficiency=E,"
			 "extensibility=X is missing",
			 net);
		return -EINVAL;
	}
	err = model_req_parse(spec, &req);
	if (err)
		return err;
	/* A constraint is a fact of this request; the cache only knows about requirements. */
	if (!forbids_macvlan(c))
		found = model_history_find_req(h, &req, &rec);
	if (found < 0)
		return found;
	if (found) {
		out->req = req;
		from_history(&rec, c, out);
	} else {
		err = model_path_in_use(ctx, model_path, path, sizeof(path));
		if (!err)
			err = model_load(path, &m);
		if (err)
			return err;
		model_predict(&m, &req, c, out);
	}
	rec = (struct model_record){
	    .req = req,
	    .alpha = out->alpha,
	    .beta = out->beta,
	    .choice = out->choice,
	    .source = out->source,
	    .model_version = out->model_version,
	};
	snprintf(rec.net, sizeof(rec.net), "%s", net);
	snprintf(rec.reason, sizeof(rec.reason), "%s", out->reason);
	model_now(rec.created_at);
	err = model_history_add(h, &rec);
	out->record_id = rec.id;
	return err;
}

int model_decide(struct cbpf_ctx *ctx, const char *model_path, const char *net, const char *spec,
		 const struct model_constraints *c, struct model_decision *out)
{
	struct model_history *h;
	int err = model_history_open(ctx->state_dir, &h);

	if (err)
		return err;
	err = decide_in(ctx, h, model_path, net, spec, c, out);
	model_history_close(h);
	return err;
}

int model_auto_decide(struct cbpf_ctx *ctx, struct cbpf_state *st, const char *net_name,
		      const char *require_spec, const struct model_constraints *c,
		      struct model_decision *out)
{
	struct model_history *h;
	int err = model_history_use(st, &h);

	if (err)
		return err;
	err = decide_in(ctx, h, NULL, net_name, require_spec, c, out);
	model_history_close(h);
	return err;
}
