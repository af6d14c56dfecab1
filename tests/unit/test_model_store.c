/*
 * The classifier's persistence and decisions: model JSON round trip and rejection of bad
 * files, hard constraints, the SQLite history (cache, labels, samples) and model_decide.
 */
#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/decide.h"
#include "model/history.h"
#include "model/store.h"
#include "capture.h"
#include "tap.h"

static char dir[] = "/tmp/test_model_store_XXXXXX";

static const char *path_in(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

/* Everything the store leaves in dir, so the next test starts without one. */
static void remove_store(void)
{
	static const char *const files[] = {"cbpfnet.db", "cbpfnet.db-wal", "cbpfnet.db-shm",
					    "lock", "history.db.imported"};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(path_in(files[i]));
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

/* A model that says macvlan exactly when efficiency exceeds security. */
static struct model sample_model(void)
{
	struct model m = {
	    .lr = {.mean = {5, 5, 5, 5}, .std = {1, 1, 1, 1}, .w = {-1, 0.25, 1, -0.25}, .b = 0},
	    .version = 3,
	    .lambda = 0.1,
	    .n_train = 2000,
	    .iterations = 9,
	    .trained_at = "2019-01-01T00:00:00Z",
	    .train_data = "model/train.csv",
	    .has_test = true,
	    .test_data = "model/test.csv",
	    .test =
		{.n = 300, .accuracy = 0.95, .auc = 0.99, .tp = 70, .tn = 215, .fp = 5, .fn = 10},
	};
	return m;
}

static void test_json(void)
{
	static const struct {
		const char *name, *text, *error;
	} bad[] = {
	    {"truncated", "{\"format\": \"cbpfnet-model\"", "not valid JSON (truncated)"},
	    {"garbage", "model", "not valid JSON"},
	    {"empty", "", "not valid JSON (empty file)"},
	    {"array", "[1, 2]", "not a cbpfnet model (not a JSON object)"},
	    {"other", "{\"format\": \"something\"}", "not a cbpfnet model"},
	    {"version", "{\"format\": \"cbpfnet-model\", \"format_version\": 2}",
	     "model format version 2 is not supported (this cbpfnet reads 1)"},
	    {"trailing", "{\"format\": \"cbpfnet-model\"} x", "trailing data"},
	};
	struct model m = sample_model(), back, kept = sample_model();
	const char *p = path_in("m.json"), *e;
	char *text;
	size_t len = 0;
	FILE *f;
	int err;

	CHECK(model_save(p, &m) == 0 && model_load(p, &back) == 0, "a model saves and loads");
	CHECK(!memcmp(&back.lr, &m.lr, sizeof(m.lr)) && back.version == 3 && back.lambda == 0.1 &&
		  back.test.accuracy == 0.95 && back.test.tp == 70 &&
		  !strcmp(back.trained_at, m.trained_at),
	      "every field survives the round trip exactly");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_text(p, bad[i].text);
		capture();
		err = model_load(p, &kept);
		e = captured_text();
		CHECK(err == -EINVAL && strstr(e, p) && strstr(e, bad[i].error) &&
			  kept.version == 3,
		      "%s model file refused: %s", bad[i].name, e);
	}
	/* Corrupt one field of a good file at a time. */
	model_save(p, &m);
	f = fopen(p, "r");
	text = NULL;
	getdelim(&text, &len, '\0', f);
	fclose(f);
	{
		static const struct {
			const char *from, *to, *error;
		} edits[] = {
		    {"\"bias\":0.0", "\"bias\":\"zero\"", "bias is not a number"},
		    {"\"weights\":[", "\"weights\":[1,", "'weights' has 5 entries, expected 4"},
		    {"\"std\":[\n      1", "\"std\":[\n      0", "scaling.std[0] must be > 0"},
		    {"\"bias\":0.0", "\"bias\":1e999", "bias is not finite"},
		    {"\"security\"", "\"safety\"", "features must be security"},
		};
		for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
			char *at = strstr(text, edits[i].from), edited[8192];

			if (!at) {
				CHECK(0, "edit %zu applies", i);
				continue;
			}
			snprintf(edited, sizeof(edited), "%.*s%s%s", (int)(at - text), text,
				 edits[i].to, at + strlen(edits[i].from));
			write_text(p, edited);
			capture();
			err = model_load(p, &kept);
			e = captured_text();
			CHECK(err == -EINVAL && strstr(e, edits[i].error), "bad field refused: %s",
			      e);
		}
	}
	free(text);
	unlink(p);
	capture();
	err = model_load(p, &kept);
	e = captured_text();
	CHECK(err == -ENOENT && strstr(e, "cannot read model"), "a missing model file: %s", e);
}

static void test_constraints(void)
{
	struct model m = sample_model();
	struct model_req macvlan_req = {{2, 5, 9, 5}}, overlay_req = {{9, 5, 2, 5}};
	struct model_constraints c = {0};
	struct model_decision d;

	model_predict(&m, &macvlan_req, &c, &d);
	CHECK(d.choice == MODEL_CHOICE_MACVLAN && d.source == MODEL_SOURCE_CLASSIFIER &&
		  fabs(d.alpha + d.beta - 1) < 1e-12 && d.beta > 0.99,
	      "the classifier picks macvlan, alpha + beta = 1");
	CHECK(fabs(d.bias + d.contrib[0] + d.contrib[1] + d.contrib[2] + d.contrib[3] -
		   log(d.beta / d.alpha)) < 1e-9 &&
		  fabs(d.contrib[0] - 3) < 1e-12 && fabs(d.contrib[2] - 4) < 1e-12,
	      "contributions are weight x scaled value and sum to the log-odds");
	CHECK(strstr(d.reason, "mostly efficiency (+4.00)") &&
		  strstr(d.reason, "not checked: L2 adjacency of the hosts, a free parent"),
	      "the reason names the main push and what was not checked: %s", d.reason);
	c.hosts_share_l2 = MODEL_FACT_NO;
	model_predict(&m, &macvlan_req, &c, &d);
	CHECK(d.choice == MODEL_CHOICE_OVERLAY && d.source == MODEL_SOURCE_CONSTRAINT &&
		  strstr(d.reason, "hard constraint: macvlan needs all hosts of the network "
				   "on one L2 segment") &&
		  strstr(d.reason, "classifier alone says macvlan"),
	      "hosts on different L2 segments force overlay: %s", d.reason);
	c = (struct model_constraints){
	    .hosts_share_l2 = MODEL_FACT_YES, .parent_free = MODEL_FACT_NO, .passthru = true};
	model_predict(&m, &macvlan_req, &c, &d);
	CHECK(d.choice == MODEL_CHOICE_OVERLAY && strstr(d.reason, "macvlan passthru needs"),
	      "passthru without a free parent forces overlay: %s", d.reason);
	c.parent_free = MODEL_FACT_YES;
	model_predict(&m, &macvlan_req, &c, &d);
	CHECK(d.choice == MODEL_CHOICE_MACVLAN && !strstr(d.reason, "not checked"),
	      "known facts that allow macvlan leave the classifier's choice");
	model_predict(&m, &overlay_req, &c, &d);
	CHECK(d.choice == MODEL_CHOICE_OVERLAY && strstr(d.reason, "mostly security (-4.00)"),
	      "overlay for a security-heavy requirement: %s", d.reason);
}

static void test_history(void)
{
	struct model m = sample_model();
	struct cbpf_ctx ctx = {.state_dir = dir};
	struct model_constraints no_l2 = {.hosts_share_l2 = MODEL_FACT_NO};
	struct model_decision d;
	struct model_history *h;
	struct model_record r, *recs = NULL;
	struct model_data samples = {0};
	const char *model_path = path_in("decide.json"), *e;
	size_t n;
	int err;

	model_save(model_path, &m);
	err = model_decide(&ctx, model_path, "web",
			   "security=2,scale=5,efficiency=9,extensibility=5", NULL, &d);
	CHECK(!err && !d.cached && d.choice == MODEL_CHOICE_MACVLAN && d.record_id == 1 &&
		  d.model_version == 3,
	      "a first request goes to the classifier and is recorded as #1");
	err = model_decide(&ctx, model_path, "web2",
			   "efficiency=9,extensibility=5,scale=5,security=2", NULL, &d);
	CHECK(!err && d.cached && d.cached_from == 1 && d.record_id == 2 &&
		  d.choice == MODEL_CHOICE_MACVLAN &&
		  strstr(d.reason, "history: same requirements as decision #1 (network web"),
	      "the same requirements are answered from the history: %s", d.reason);
	err = model_decide(&ctx, model_path, "iso",
			   "security=2,scale=5,efficiency=9,extensibility=5", &no_l2, &d);
	CHECK(!err && !d.cached && d.source == MODEL_SOURCE_CONSTRAINT &&
		  d.choice == MODEL_CHOICE_OVERLAY,
	      "a hard constraint is not overruled by the history");
	CHECK(model_history_open(dir, &h) == 0, "history opens");
	CHECK(model_history_find_net(h, "web", &r) == 1 && r.id == 1 && r.label == -1 &&
		  r.source == MODEL_SOURCE_CLASSIFIER,
	      "decisions are found by network");
	CHECK(model_history_set_label(h, 1, MODEL_CHOICE_OVERLAY) == 0, "an override is recorded");
	CHECK(model_history_samples(h, &samples) == 1 && samples.n == 1 && samples.y[0] == 0 &&
		  samples.x[0].w[2] == 9,
	      "the override is a labelled sample");
	model_history_close(h);
	err = model_decide(&ctx, model_path, "web3",
			   "security=2,scale=5,efficiency=9,extensibility=5", NULL, &d);
	CHECK(!err && d.cached && d.cached_from == 1 && d.choice == MODEL_CHOICE_OVERLAY &&
		  d.beta == 0 && strstr(d.reason, "overridden by the operator"),
	      "an overridden answer wins over later unlabelled ones: %s", d.reason);
	CHECK(model_history_open(dir, &h) == 0 && model_history_list(h, NULL, &recs, &n) == 0 &&
		  n == 4 && recs[2].source == MODEL_SOURCE_CONSTRAINT && recs[3].label == -1,
	      "the history lists every decision");
	free(recs);
	model_history_close(h);
	capture();
	err = model_decide(&ctx, model_path, "bad",
			   "security=2,scale=5,efficiency=12,extensibility=5", NULL, &d);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "efficiency: '12' is not an integer weight 0..10"),
	      "an out-of-range weight is refused before anything is recorded: %s", e);
	capture();
	err = model_decide(&ctx, model_path, "bad", NULL, NULL, &d);
	e = captured_text();
	CHECK(err == -EINVAL &&
		  strstr(e, "--require security=S,scale=N,efficiency=E,extensibility=X "
			    "is missing"),
	      "a missing requirement is refused: %s", e);
	write_text(model_path, "{");
	capture();
	err = model_decide(&ctx, model_path, "new",
			   "security=1,scale=1,efficiency=1,extensibility=1", NULL, &d);
	e = captured_text();
	CHECK(err == -EINVAL && strstr(e, "not valid JSON"), "a corrupt model stops the decision");
	CHECK(model_history_open(dir, &h) == 0 && model_history_list(h, NULL, &recs, &n) == 0 &&
		  n == 4,
	      "failed decisions record nothing");
	free(recs);
	model_history_close(h);
	model_data_free(&samples);
	unlink(model_path);
	remove_store();
}

/* history.db as earlier versions wrote it, with the rows given as SQL values. */
static bool write_old_history(const char *rows)
{
	char sql[2048];
	sqlite3 *db;
	int rc;

	snprintf(sql, sizeof(sql),
		 "CREATE TABLE decisions (id INTEGER PRIMARY KEY, net, security, scale,"
		 " efficiency, extensibility, alpha, beta, choice, source, reason,"
		 " model_version, created_at, label, labelled_at);"
		 "INSERT INTO decisions VALUES %s; PRAGMA user_version = 1;",
		 rows);
	if (sqlite3_open(path_in("history.db"), &db) != SQLITE_OK)
		return false;
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc == SQLITE_OK;
}

/* The history.db of earlier versions moves into the store once, ids and labels kept. */
static void test_history_import(void)
{
	struct model_record *recs = NULL;
	char moved[512];
	struct model_history *h;
	size_t n = 0;

	CHECK(write_old_history("(3, 'web', 2, 5, 9, 5, 0.1, 0.9, 1, 'classifier', 'r', 2,"
				" '2026-01-01T00:00:00Z', 0, '2026-01-02T00:00:00Z'),"
				" (4, 'db', 9, 1, 1, 1, 0.8, 0.2, 0, 'classifier', 'r', 2,"
				" '2026-01-01T00:00:00Z', NULL, NULL)"),
	      "an old history.db is written");
	CHECK(model_history_open(dir, &h) == 0 && model_history_list(h, NULL, &recs, &n) == 0 &&
		  n == 2 && recs[0].id == 3 && recs[0].label == 0 && recs[1].id == 4 &&
		  recs[1].label == -1 && !strcmp(recs[1].net, "db"),
	      "the first open imports both decisions with their ids and labels");
	free(recs);
	model_history_close(h);
	CHECK(access(path_in("history.db"), F_OK) && !access(path_in("history.db.imported"), F_OK),
	      "history.db is renamed history.db.imported");
	CHECK(model_history_open(dir, &h) == 0 && model_history_list(h, NULL, &recs, &n) == 0 &&
		  n == 2,
	      "a second open does not import again");
	free(recs);
	recs = NULL;
	model_history_close(h);
	/* path_in returns one buffer: the rename needs both names at once. */
	snprintf(moved, sizeof(moved), "%s", path_in("history.db.imported"));
	CHECK(rename(moved, path_in("history.db")) == 0 && model_history_open(dir, &h) == 0 &&
		  model_history_list(h, NULL, &recs, &n) == 0 && n == 2,
	      "nor does a history.db put back after the move");
	free(recs);
	model_history_close(h);
	unlink(path_in("history.db"));
	remove_store();
}

/* A damaged or foreign history.db is refused with its path and reason, and leaves no handle. */
static void test_corrupt_history(void)
{
	struct model_history *h = (struct model_history *)&h;
	struct model_data samples = {0};
	const char *path = path_in("history.db"), *e;
	sqlite3 *db;
	int err;

	write_text(path, "this is not an SQLite database, it is what a crash left behind\n");
	capture();
	err = model_history_open(dir, &h);
	e = captured_text();
	CHECK(err == -EIO && !h && strstr(e, path) && strstr(e, "file is not a database"),
	      "a history.db that is not a database is refused and leaves no handle: %s", e);
	CHECK(!access(path, F_OK), "and it is left where it was, not imported");
	model_history_close(h);
	unlink(path);
	remove_store();

	CHECK(write_old_history("(7, 'x', 1, 2, 3, 4, 0, 0, 0, 'classifier', '', 1, '', 5, '')"),
	      "a history without the table's constraints is written");
	capture();
	err = model_history_open(dir, &h);
	e = captured_text();
	CHECK(err == -EIO && strstr(e, "importing decision #7 of") &&
		  strstr(e, "CHECK constraint failed"),
	      "a label the classifier cannot have produced is not imported: %s", e);
	unlink(path);
	remove_store();

	/* A damaged store (the constraints bypassed) must not feed retraining either. */
	CHECK(model_history_open(dir, &h) == 0, "a fresh store opens");
	model_history_close(h);
	CHECK(sqlite3_open(path_in("cbpfnet.db"), &db) == SQLITE_OK &&
		  sqlite3_exec(db,
			       "PRAGMA ignore_check_constraints = ON;"
			       "INSERT INTO decisions VALUES (7, 'x', 1, 2, 3, 4, 0, 0, 0,"
			       " 'classifier', '', 1, '', 5, '');",
			       NULL, NULL, NULL) == SQLITE_OK,
	      "a decision with label 5 is forced into the store");
	sqlite3_close(db);
	capture();
	err = model_history_open(dir, &h);
	if (!err)
		err = model_history_samples(h, &samples);
	e = captured_text();
	CHECK(err == -EINVAL && samples.n == 0 && strstr(e, "decision #7: label 5 is not 0 or 1"),
	      "a label the classifier cannot have produced is not used for retraining: %s", e);
	model_history_close(h);
	model_data_free(&samples);
	remove_store();
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	test_json();
	test_constraints();
	test_history();
	test_history_import();
	test_corrupt_history();
	rmdir(dir);
	TAP_EXIT();
}
