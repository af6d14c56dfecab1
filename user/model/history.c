#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/history.h"
#include "model/store.h"
#include "store/state.h"

struct model_history {
	struct cbpf_state own;
	struct cbpf_state *st;
};

static const char columns[] = "id, net, security, scale, efficiency, extensibility, alpha, beta, "
			      "choice, source, reason, model_version, created_at, label, "
			      "labelled_at";

static const char *const source_names[] = {
    [MODEL_SOURCE_CLASSIFIER] = "classifier",
    [MODEL_SOURCE_CACHE] = "cache",
    [MODEL_SOURCE_CONSTRAINT] = "constraint",
};

const char *model_source_name(enum model_source s)
{
	return source_names[s];
}

static int fail(struct model_history *h, const char *what)
{
	cbpf_err("state database %s: %s: %s", h->st->path, what, sqlite3_errmsg(h->st->db));
	return -EIO;
}

int model_history_open(const char *state_dir, struct model_history **out)
{
	struct model_history *h = calloc(1, sizeof(*h));
	int err = h ? state_open(state_dir, &h->own) : -ENOMEM;

	*out = NULL;
	if (err) {
		free(h);
		return err;
	}
	h->st = &h->own;
	*out = h;
	return 0;
}

int model_history_use(struct cbpf_state *st, struct model_history **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	(*out)->st = st;
	return 0;
}

void model_history_close(struct model_history *h)
{
	if (!h)
		return;
	if (h->st == &h->own)
		state_close(&h->own);
	free(h);
}

static void text(char *dst, size_t size, sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void row(sqlite3_stmt *st, struct model_record *r)
{
	const char *src = (const char *)sqlite3_column_text(st, 9);

	r->id = sqlite3_column_int64(st, 0);
	text(r->net, sizeof(r->net), st, 1);
	for (int j = 0; j < MODEL_NFEAT; j++)
		r->req.w[j] = sqlite3_column_int(st, 2 + j);
	r->alpha = sqlite3_column_double(st, 6);
	r->beta = sqlite3_column_double(st, 7);
	r->choice = sqlite3_column_int(st, 8) ? MODEL_CHOICE_MACVLAN : MODEL_CHOICE_OVERLAY;
	r->source = MODEL_SOURCE_CLASSIFIER;
	for (int s = 0; s < 3; s++)
		if (src && !strcmp(src, source_names[s]))
			r->source = s;
	text(r->reason, sizeof(r->reason), st, 10);
	r->model_version = (unsigned)sqlite3_column_int64(st, 11);
	text(r->created_at, sizeof(r->created_at), st, 12);
	r->label = sqlite3_column_type(st, 13) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 13);
	text(r->labelled_at, sizeof(r->labelled_at), st, 14);
}

int model_history_add(struct model_history *h, struct model_record *r)
{
	static const char sql[] =
	    "INSERT INTO decisions (net, security, scale, efficiency, extensibility, alpha, "
	    "beta, choice, source, reason, model_version, created_at) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "recording decision");
	sqlite3_bind_text(st, 1, r->net, -1, SQLITE_STATIC);
	for (int j = 0; j < MODEL_NFEAT; j++)
		sqlite3_bind_int(st, 2 + j, r->req.w[j]);
	sqlite3_bind_double(st, 6, r->alpha);
	sqlite3_bind_double(st, 7, r->beta);
	sqlite3_bind_int(st, 8, r->choice);
	sqlite3_bind_text(st, 9, source_names[r->source], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, r->reason, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 11, r->model_version);
	sqlite3_bind_text(st, 12, r->created_at, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(h, "recording decision");
	r->id = sqlite3_last_insert_rowid(h->st->db);
	r->label = -1;
	r->labelled_at[0] = '\0';
	return 0;
}

/* Runs a query that yields at most one record; 1 found, 0 none, <0 error. */
static int find_one(struct model_history *h, sqlite3_stmt *st, struct model_record *out)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		row(st, out);
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return fail(h, "reading history");
	return rc == SQLITE_ROW;
}

int model_history_find_req(struct model_history *h, const struct model_req *req,
			   struct model_record *out)
{
	char sql[512];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM decisions WHERE security = ? AND scale = ? AND efficiency = ? "
		 "AND extensibility = ? AND source != 'constraint' "
		 "ORDER BY label IS NOT NULL DESC, id DESC LIMIT 1",
		 columns);
	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "reading history");
	for (int j = 0; j < MODEL_NFEAT; j++)
		sqlite3_bind_int(st, 1 + j, req->w[j]);
	return find_one(h, st, out);
}

int model_history_find_net(struct model_history *h, const char *net, struct model_record *out)
{
	char sql[512];
	sqlite3_stmt *st;

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM decisions WHERE net = ? ORDER BY id DESC LIMIT 1", columns);
	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "reading history");
	sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
	return find_one(h, st, out);
}

int model_history_set_label(struct model_history *h, long long id, enum model_choice label)
{
	static const char sql[] = "UPDATE decisions SET label = ?, labelled_at = ? WHERE id = ?";
	char now[32];
	sqlite3_stmt *st;
	int rc;

	model_now(now);
	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "labelling decision");
	sqlite3_bind_int(st, 1, label);
	sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(h, "labelling decision");
}

/*
 * The table's CHECK constraints hold only for files this code created: a damaged or foreign
 * history must not feed retraining weights and labels the classifier cannot have produced.
 */
static int check_sample(struct model_history *h, long long id, const struct model_req *x, int y)
{
	for (int j = 0; j < MODEL_NFEAT; j++) {
		if (x->w[j] < 0 || x->w[j] > MODEL_W_MAX) {
			cbpf_err("%s: decision #%lld: %s %d is not a weight 0..%d", h->st->path, id,
				 model_feature_names[j], x->w[j], MODEL_W_MAX);
			return -EINVAL;
		}
	}
	if (y != 0 && y != 1) {
		cbpf_err("%s: decision #%lld: label %d is not 0 or 1", h->st->path, id, y);
		return -EINVAL;
	}
	return 0;
}

int model_history_samples(struct model_history *h, struct model_data *d)
{
	static const char sql[] = "SELECT security, scale, efficiency, extensibility, label, id "
				  "FROM decisions WHERE label IS NOT NULL ORDER BY id";
	sqlite3_stmt *st;
	int rc, n = 0, err = 0;

	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "reading labelled decisions");
	while (!err && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct model_req x;
		int y = sqlite3_column_int(st, 4);

		for (int j = 0; j < MODEL_NFEAT; j++)
			x.w[j] = sqlite3_column_int(st, j);
		err = check_sample(h, sqlite3_column_int64(st, 5), &x, y);
		if (!err)
			err = model_data_add(d, &x, y);
		n++;
	}
	sqlite3_finalize(st);
	if (err)
		return err;
	return rc == SQLITE_DONE ? n : fail(h, "reading labelled decisions");
}

int model_history_list(struct model_history *h, const char *net, struct model_record **recs,
		       size_t *n)
{
	char sql[512];
	sqlite3_stmt *st;
	int rc;

	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM decisions WHERE ?1 IS NULL OR net = ?1 ORDER BY id", columns);
	if (sqlite3_prepare_v2(h->st->db, sql, -1, &st, NULL) != SQLITE_OK)
		return fail(h, "reading history");
	sqlite3_bind_text(st, 1, net, -1, SQLITE_STATIC);
	*recs = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct model_record *grown = realloc(*recs, (*n + 1) * sizeof(**recs));

		if (!grown) {
			rc = SQLITE_NOMEM;
			break;
		}
		*recs = grown;
		row(st, &(*recs)[(*n)++]);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	free(*recs);
	*recs = NULL;
	*n = 0;
	return rc == SQLITE_NOMEM ? -ENOMEM : fail(h, "reading history");
}
