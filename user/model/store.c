#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/err.h"
#include "model/file.h"
#include "model/store.h"

static json_object *doubles(const double *v, int n)
{
	json_object *a = json_object_new_array();

	for (int i = 0; i < n; i++)
		json_object_array_add(a, json_object_new_double(v[i]));
	return a;
}

/* Counts print as integers unless they are expected (fractional) counts. */
static json_object *count(double v)
{
	return v == (int64_t)v ? json_object_new_int64((int64_t)v) : json_object_new_double(v);
}

json_object *model_metrics_json(const struct model_metrics *m)
{
	json_object *o = json_object_new_object();
	json_object *cm = json_object_new_object();

	json_object_object_add(o, "samples", count(m->n));
	json_object_object_add(o, "accuracy", json_object_new_double(m->accuracy));
	json_object_object_add(o, "precision", json_object_new_double(m->precision));
	json_object_object_add(o, "recall", json_object_new_double(m->recall));
	json_object_object_add(o, "f1", json_object_new_double(m->f1));
	json_object_object_add(o, "auc", isnan(m->auc) ? NULL : json_object_new_double(m->auc));
	json_object_object_add(o, "log_loss", json_object_new_double(m->log_loss));
	json_object_object_add(cm, "tp", count(m->tp));
	json_object_object_add(cm, "fp", count(m->fp));
	json_object_object_add(cm, "tn", count(m->tn));
	json_object_object_add(cm, "fn", count(m->fn));
	json_object_object_add(o, "confusion", cm);
	return o;
}

static json_object *to_json(const struct model *m)
{
	json_object *o = json_object_new_object();
	json_object *feat = json_object_new_array();
	json_object *scaling = json_object_new_object();
	json_object *tr = json_object_new_object();

	for (int j = 0; j < MODEL_NFEAT; j++)
		json_object_array_add(feat, json_object_new_string(model_feature_names[j]));
	json_object_object_add(o, "format", json_object_new_string(MODEL_FORMAT));
	json_object_object_add(o, "format_version", json_object_new_int(MODEL_FORMAT_VERSION));
	json_object_object_add(o, "version", json_object_new_int64(m->version));
	json_object_object_add(o, "labels", json_object_new_string("0 overlay, 1 macvlan"));
	json_object_object_add(o, "features", feat);
	json_object_object_add(scaling, "mean", doubles(m->lr.mean, MODEL_NFEAT));
	json_object_object_add(scaling, "std", doubles(m->lr.std, MODEL_NFEAT));
	json_object_object_add(o, "scaling", scaling);
	json_object_object_add(o, "weights", doubles(m->lr.w, MODEL_NFEAT));
	json_object_object_add(o, "bias", json_object_new_double(m->lr.b));
	json_object_object_add(tr, "solver", json_object_new_string("newton-irls"));
	json_object_object_add(tr, "lambda", json_object_new_double(m->lambda));
	json_object_object_add(tr, "samples", json_object_new_int64((int64_t)m->n_train));
	json_object_object_add(tr, "confirmed_samples",
			       json_object_new_int64((int64_t)m->n_confirmed));
	json_object_object_add(tr, "iterations", json_object_new_int(m->iterations));
	json_object_object_add(tr, "data", json_object_new_string(m->train_data));
	json_object_object_add(tr, "trained_at", json_object_new_string(m->trained_at));
	json_object_object_add(o, "training", tr);
	if (m->has_test) {
		json_object *t = model_metrics_json(&m->test);

		json_object_object_add(t, "data", json_object_new_string(m->test_data));
		json_object_object_add(o, "test", t);
	}
	return o;
}

int model_save(const char *path, const struct model *m)
{
	json_object *o = to_json(m);
	struct model_file_tmp t;
	int err = model_file_begin(&t, path);

	if (!err) {
		fprintf(t.f, "%s\n",
			json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
		err = model_file_end(&t);
	}
	json_object_put(o);
	return err;
}

/* Loading: each getter reports what is wrong with which key. */
struct loader {
	const char *path;
	int err;
};

static json_object *get(struct loader *l, json_object *obj, const char *key, json_type type)
{
	json_object *v;

	if (l->err)
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, type)) {
		cbpf_err("%s: '%s' missing or not a%s %s", l->path, key,
			 type == json_type_array || type == json_type_object ? "n" : "",
			 json_type_to_name(type));
		l->err = -EINVAL;
		return NULL;
	}
	return v;
}

static double get_number(struct loader *l, json_object *v, const char *what)
{
	double d;

	if (l->err)
		return 0;
	if (!v ||
	    !(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int))) {
		cbpf_err("%s: %s is not a number", l->path, what);
		l->err = -EINVAL;
		return 0;
	}
	d = json_object_get_double(v);
	if (!isfinite(d)) {
		cbpf_err("%s: %s is not finite", l->path, what);
		l->err = -EINVAL;
	}
	return d;
}

static void get_vector(struct loader *l, json_object *obj, const char *key, double *out)
{
	json_object *a = get(l, obj, key, json_type_array);

	if (!a)
		return;
	if (json_object_array_length(a) != MODEL_NFEAT) {
		cbpf_err("%s: '%s' has %zu entries, expected %d", l->path, key,
			 json_object_array_length(a), MODEL_NFEAT);
		l->err = -EINVAL;
		return;
	}
	for (int j = 0; j < MODEL_NFEAT; j++)
		out[j] = get_number(l, json_object_array_get_idx(a, j), key);
}

static void get_string(struct loader *l, json_object *obj, const char *key, char *buf, size_t size)
{
	json_object *v = get(l, obj, key, json_type_string);

	if (v)
		snprintf(buf, size, "%s", json_object_get_string(v));
}

static void check_header(struct loader *l, json_object *root)
{
	json_object *v, *feat;

	if (!json_object_object_get_ex(root, "format", &v) ||
	    strcmp(json_object_get_string(v), MODEL_FORMAT)) {
		cbpf_err("%s: not a cbpfnet model (no \"format\": \"%s\")", l->path, MODEL_FORMAT);
		l->err = -EINVAL;
		return;
	}
	v = get(l, root, "format_version", json_type_int);
	if (v && json_object_get_int(v) != MODEL_FORMAT_VERSION) {
		cbpf_err("%s: model format version %d is not supported (this cbpfnet reads %d)",
			 l->path, json_object_get_int(v), MODEL_FORMAT_VERSION);
		l->err = -EINVAL;
		return;
	}
	feat = get(l, root, "features", json_type_array);
	if (!feat)
		return;
	for (int j = 0; j < MODEL_NFEAT; j++) {
		json_object *f = json_object_array_get_idx(feat, j);

		if (json_object_array_length(feat) != MODEL_NFEAT || !f ||
		    strcmp(json_object_get_string(f), model_feature_names[j])) {
			cbpf_err("%s: features must be security, scale, efficiency, extensibility",
				 l->path);
			l->err = -EINVAL;
			return;
		}
	}
}

static void get_metrics(struct loader *l, json_object *t, struct model_metrics *m)
{
	json_object *cm = get(l, t, "confusion", json_type_object), *auc;

	m->n = get_number(l, json_object_object_get(t, "samples"), "test.samples");
	m->accuracy = get_number(l, json_object_object_get(t, "accuracy"), "test.accuracy");
	m->precision = get_number(l, json_object_object_get(t, "precision"), "test.precision");
	m->recall = get_number(l, json_object_object_get(t, "recall"), "test.recall");
	m->f1 = get_number(l, json_object_object_get(t, "f1"), "test.f1");
	m->log_loss = get_number(l, json_object_object_get(t, "log_loss"), "test.log_loss");
	auc = json_object_object_get(t, "auc");
	m->auc = auc ? get_number(l, auc, "test.auc") : NAN;
	if (!cm)
		return;
	m->tp = get_number(l, json_object_object_get(cm, "tp"), "test.confusion.tp");
	m->fp = get_number(l, json_object_object_get(cm, "fp"), "test.confusion.fp");
	m->tn = get_number(l, json_object_object_get(cm, "tn"), "test.confusion.tn");
	m->fn = get_number(l, json_object_object_get(cm, "fn"), "test.confusion.fn");
}

static void from_json(struct loader *l, json_object *root, struct model *m)
{
	json_object *scaling, *tr, *t, *v;

	check_header(l, root);
	v = get(l, root, "version", json_type_int);
	if (v && json_object_get_int64(v) < 1) {
		cbpf_err("%s: version must be >= 1", l->path);
		l->err = -EINVAL;
	}
	m->version = v ? (unsigned)json_object_get_int64(v) : 0;
	scaling = get(l, root, "scaling", json_type_object);
	get_vector(l, scaling, "mean", m->lr.mean);
	get_vector(l, scaling, "std", m->lr.std);
	for (int j = 0; j < MODEL_NFEAT && !l->err; j++) {
		if (!(m->lr.std[j] > 0)) {
			cbpf_err("%s: scaling.std[%d] must be > 0", l->path, j);
			l->err = -EINVAL;
		}
	}
	get_vector(l, root, "weights", m->lr.w);
	m->lr.b = get_number(l, json_object_object_get(root, "bias"), "bias");
	tr = get(l, root, "training", json_type_object);
	m->lambda = get_number(l, tr ? json_object_object_get(tr, "lambda") : NULL, "lambda");
	m->n_train = (size_t)get_number(l, tr ? json_object_object_get(tr, "samples") : NULL,
					"training.samples");
	m->n_confirmed =
	    (size_t)get_number(l, tr ? json_object_object_get(tr, "confirmed_samples") : NULL,
			       "training.confirmed_samples");
	m->iterations = (int)get_number(l, tr ? json_object_object_get(tr, "iterations") : NULL,
					"training.iterations");
	get_string(l, tr, "data", m->train_data, sizeof(m->train_data));
	get_string(l, tr, "trained_at", m->trained_at, sizeof(m->trained_at));
	m->has_test = json_object_object_get_ex(root, "test", &t);
	if (m->has_test) {
		if (!json_object_is_type(t, json_type_object)) {
			cbpf_err("%s: 'test' is not an object", l->path);
			l->err = -EINVAL;
			return;
		}
		get_metrics(l, t, &m->test);
		get_string(l, t, "data", m->test_data, sizeof(m->test_data));
	}
}

/* Parses text as exactly one JSON document; reports why not. */
static json_object *parse(const char *path, const char *text)
{
	json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	json_object *root = NULL;
	const char *why = NULL;

	if (!tok)
		return NULL;
	if (strspn(text, " \t\r\n") == len) {
		why = "empty file";
	} else {
		root = json_tokener_parse_ex(tok, text, (int)len);
		end = json_tokener_get_parse_end(tok);
		if (json_tokener_get_error(tok) == json_tokener_continue)
			why = "truncated";
		else if (!root)
			why = json_tokener_error_desc(json_tokener_get_error(tok));
		else if (strspn(text + end, " \t\r\n") != len - end)
			why = "trailing data after the document";
	}
	if (why) {
		cbpf_err("%s: not valid JSON (%s)", path, why);
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int model_load(const char *path, struct model *m)
{
	struct loader l = {path, 0};
	struct model tmp = {0};
	json_object *root;
	char *text = NULL;
	size_t len = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		int err = -errno;

		cbpf_err("cannot read model %s: %s", path, strerror(-err));
		return err;
	}
	if (getdelim(&text, &len, '\0', f) < 0) {
		if (ferror(f)) {
			cbpf_err("cannot read model %s: %s", path, strerror(errno));
			free(text);
			fclose(f);
			return -EIO;
		}
		free(text);
		text = NULL; /* empty file: getdelim leaves the buffer undefined */
	}
	fclose(f);
	root = parse(path, text ? text : "");
	free(text);
	if (!root)
		return -EINVAL;
	if (!json_object_is_type(root, json_type_object)) {
		cbpf_err("%s: not a cbpfnet model (not a JSON object)", path);
		l.err = -EINVAL;
	} else {
		from_json(&l, root, &tmp);
	}
	json_object_put(root);
	if (!l.err)
		*m = tmp;
	return l.err;
}

static bool readable(const char *path)
{
	return access(path, R_OK) == 0;
}

int model_path_state(const struct cbpf_ctx *ctx, char *buf, size_t size)
{
	if (snprintf(buf, size, "%s/%s", ctx->state_dir, MODEL_FILE) >= (int)size) {
		cbpf_err("%s: path too long", ctx->state_dir);
		return -ENAMETOOLONG;
	}
	return 0;
}

int model_path_in_use(const struct cbpf_ctx *ctx, const char *explicit, char *buf, size_t size)
{
	const char *fallback[] = {CBPF_MODEL_DIR "/" MODEL_FILE, MODEL_SOURCE_DIR "/" MODEL_FILE};
	int err;

	if (explicit) {
		snprintf(buf, size, "%s", explicit);
		return 0;
	}
	err = model_path_state(ctx, buf, size);
	if (err || readable(buf))
		return err;
	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		if (readable(fallback[i])) {
			snprintf(buf, size, "%s", fallback[i]);
			return 0;
		}
	}
	cbpf_err("no model: none of %s/%s, %s, %s exists (create one with `cbpfnet model train`)",
		 ctx->state_dir, MODEL_FILE, fallback[0], fallback[1]);
	return -ENOENT;
}

void model_path_data(const char *name, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", CBPF_MODEL_DIR, name);
	if (!readable(buf))
		snprintf(buf, size, "%s/%s", MODEL_SOURCE_DIR, name);
}

void model_now(char buf[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
