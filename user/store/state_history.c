/*
 * Version 2 of the store: the classifier's decision history (user/model/history.c), once a
 * database of its own (<state>/history.db), becomes a table of the store. An existing
 * history.db is copied in by the migration, so it is imported exactly once whatever happens to
 * the file afterwards; it is then renamed history.db.imported.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "store/state_store.h"

#define HISTORY_DB	   "history.db"
#define HISTORY_DB_VERSION 1 /* the PRAGMA user_version history.db files were written with */

static const char schema_v2[] =
    "CREATE TABLE decisions (id INTEGER PRIMARY KEY, net TEXT NOT NULL,"
    " security INTEGER NOT NULL, scale INTEGER NOT NULL,"
    " efficiency INTEGER NOT NULL, extensibility INTEGER NOT NULL,"
    " alpha REAL NOT NULL, beta REAL NOT NULL,"
    " choice INTEGER NOT NULL CHECK (choice IN (0, 1)),"
    " source TEXT NOT NULL CHECK (source IN ('classifier', 'cache', 'constraint')),"
    " reason TEXT NOT NULL, model_version INTEGER NOT NULL, created_at TEXT NOT NULL,"
    " label INTEGER CHECK (label IN (0, 1)), labelled_at TEXT);"
    "CREATE INDEX decisions_req ON decisions (security, scale, efficiency, extensibility);"
    "CREATE INDEX decisions_net ON decisions (net);";

/* The columns in the order both tables have them: ids are kept, so labels stay attached. */
#define COLUMNS                                                                                    \
	"id, net, security, scale, efficiency, extensibility, alpha, beta, choice, source, "       \
	"reason, model_version, created_at, label, labelled_at"
#define NCOLUMNS 15

static void history_path(const struct cbpf_state *st, char *buf, size_t size, const char *suffix)
{
	const char *slash = strrchr(st->path, '/'); /* st->path is always <dir>/cbpfnet.db */

	snprintf(buf, size, "%.*s/" HISTORY_DB "%s", (int)(slash - st->path), st->path, suffix);
}

bool store_history_pending(const struct cbpf_state *st)
{
	char path[CBPF_PATH_MAX + 16];

	history_path(st, path, sizeof(path), "");
	return !access(path, F_OK);
}

static int old_fail(sqlite3 *old, const char *path, const char *what)
{
	cbpf_err("history database %s: %s: %s", path, what,
		 old ? sqlite3_errmsg(old) : "out of memory");
	return -EIO;
}

static int old_version(sqlite3 *old, const char *path)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(old, "PRAGMA user_version", -1, &s, NULL), version;

	rc = rc ?: sqlite3_step(s);
	version = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : -1;
	sqlite3_finalize(s);
	if (version < 0)
		return old_fail(old, path, "reading schema version");
	if (version != HISTORY_DB_VERSION) {
		cbpf_err("history database %s: schema version %d, this cbpfnet imports version %d",
			 path, version, HISTORY_DB_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Copies every row; the new table's constraints refuse what this code never wrote. */
static int copy_rows(struct cbpf_state *st, sqlite3 *old, const char *path)
{
	sqlite3_stmt *from = NULL, *to = NULL;
	int rc, err = 0;

	if (sqlite3_prepare_v2(old, "SELECT " COLUMNS " FROM decisions ORDER BY id", -1, &from,
			       NULL) != SQLITE_OK)
		return old_fail(old, path, "reading history");
	if (sqlite3_prepare_v2(st->db,
			       "INSERT INTO decisions (" COLUMNS ") VALUES "
			       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			       -1, &to, NULL) != SQLITE_OK) {
		sqlite3_finalize(from);
		cbpf_err("state database %s: importing %s: %s", st->path, path,
			 sqlite3_errmsg(st->db));
		return -EIO;
	}
	while (!err && (rc = sqlite3_step(from)) == SQLITE_ROW) {
		for (int i = 0; i < NCOLUMNS; i++)
			sqlite3_bind_value(to, i + 1, sqlite3_column_value(from, i));
		if (sqlite3_step(to) != SQLITE_DONE) {
			cbpf_err("state database %s: importing decision #%lld of %s: %s", st->path,
				 (long long)sqlite3_column_int64(from, 0), path,
				 sqlite3_errmsg(st->db));
			err = -EIO;
		}
		sqlite3_reset(to);
	}
	if (!err && rc != SQLITE_DONE)
		err = old_fail(old, path, "reading history");
	sqlite3_finalize(from);
	sqlite3_finalize(to);
	return err;
}

static int import_history(struct cbpf_state *st, const char *path)
{
	sqlite3 *old = NULL;
	int err;

	if (sqlite3_open_v2(path, &old, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		err = old_fail(old, path, "cannot open");
		sqlite3_close(old);
		return err;
	}
	err = old_version(old, path);
	err = err ?: copy_rows(st, old, path);
	sqlite3_close(old);
	return err;
}

int store_migrate_history(struct cbpf_state *st)
{
	char path[CBPF_PATH_MAX + 16];
	int err = store_exec(st, schema_v2, "create the decision history (version 2)");

	history_path(st, path, sizeof(path), "");
	if (err || access(path, F_OK))
		return err;
	return import_history(st, path);
}

int store_history_imported(const struct cbpf_state *st)
{
	char from[CBPF_PATH_MAX + 16], to[CBPF_PATH_MAX + 32];
	int err;

	history_path(st, from, sizeof(from), "");
	history_path(st, to, sizeof(to), ".imported");
	if (!rename(from, to))
		return 0;
	err = -errno;
	cbpf_err("history database %s: imported, but renaming it to %s failed: %s", from, to,
		 strerror(-err));
	return err;
}
