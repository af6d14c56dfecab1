/*
 * The agent's long-lived hold on its store: one connection kept open, the checkpoint left to
 * quiet times, and a copy of the store as the last command left it. Each command under the
 * lock used to read every row again: at 4000 endpoints that was a third of a CNI ADD's time in
 * the agent, for one row changed.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "store/state_store.h"

/*
 * SQLite's own checkpoint (wal_autocheckpoint) is passive: it copies the log into the database
 * and leaves the log for a later write to restart, which only a connection writing a second
 * time did here. A run of commands that commit once each (every CNI DEL) grew the log without
 * end (test_store), and every open reads all of it (40 MB, 40 ms after 1400 DELs).
 * Truncating empties it. Our commands hold the store's lock; a reader of another program's
 * (sqlite3 on the file) is not waited for: the checkpoint is then a passive one, and a later
 * commit tries again. Either way the commit itself has happened.
 */
static sqlite3 *kept;
static sqlite3_stmt *data_version; /* kept's, read twice a command */
static char kept_path[CBPF_PATH_MAX];
static struct stat kept_file; /* a store moved away or replaced is another file */
static int log_frames_most = STORE_LOG_FRAMES;
/*
 * Pages in the log after this process's last commit, which the agent's thread reads, and the
 * length at which it checkpoints beside commands: after a failure (a reader of another
 * program's holds the log) half as many pages further on, so it tries again once the log has
 * grown, not at each look, and before a commit would checkpoint it itself.
 */
static _Atomic int log_frames, log_frames_aside = STORE_LOG_FRAMES_ASIDE;

static void log_emptied(void)
{
	log_frames = 0;
	log_frames_aside = STORE_LOG_FRAMES_ASIDE;
}

/*
 * The store's objects as the last command under the lock left them, and the kept
 * connection's data_version then: it moves when another connection commits, so an unchanged
 * one means nothing was written since, by this process's other connections or anyone else's.
 */
static struct cbpf_state_seen *copy;
static sqlite3_int64 copy_version;
/*
 * The last command's own connection with its statements. Opening one, setting it up and
 * closing it again took about 0.3 ms of each CNI ADD in the agent: the file, its log's index,
 * three pragmas and the schema's version read again, for the store the copy says is unchanged.
 */
static sqlite3 *parked;
static struct store_statements *parked_stmts;

int store_checkpoint_when_long(void *arg, sqlite3 *db, const char *name, int frames)
{
	(void)arg;
	log_frames = frames;
	if (frames < log_frames_most)
		return SQLITE_OK;
	sqlite3_busy_timeout(db, 0);
	if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) ==
	    SQLITE_OK)
		log_emptied();
	sqlite3_busy_timeout(db, STORE_BUSY_MS);
	return SQLITE_OK;
}

static void drop_parked(void)
{
	sqlite3_stmt *left;

	if (!parked)
		return;
	store_statements_free(parked_stmts);
	while ((left = sqlite3_next_stmt(parked, NULL)))
		sqlite3_finalize(left);
	sqlite3_close(parked);
	parked = NULL;
	parked_stmts = NULL;
}

static void drop_copy(void)
{
	if (!copy)
		return;
	state_objects_free(&copy->obj);
	free(copy->owned);
	free(copy);
	copy = NULL;
}

int state_keep_open(const char *dir)
{
	snprintf(kept_path, sizeof(kept_path), "%s/" STATE_DB, dir);
	if (sqlite3_open_v2(kept_path, &kept, SQLITE_OPEN_READWRITE, NULL)) {
		cbpf_err("state database %s: keep open: %s", kept_path,
			 kept ? sqlite3_errmsg(kept) : "out of memory");
		sqlite3_close(kept);
		kept = NULL;
		return -EIO;
	}
	sqlite3_db_config(kept, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* A connection opens the file and maps the log's index at its first read. */
	if (sqlite3_exec(kept, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) ||
	    sqlite3_prepare_v3(kept, "PRAGMA data_version", -1, SQLITE_PREPARE_PERSISTENT,
			       &data_version, NULL)) {
		cbpf_err("state database %s: keep open: %s", kept_path, sqlite3_errmsg(kept));
		state_keep_close();
		return -EIO;
	}
	if (stat(kept_path, &kept_file)) {
		cbpf_err("state database %s: keep open: %s", kept_path, strerror(errno));
		state_keep_close();
		return -EIO;
	}
	log_frames_most = STORE_LOG_FRAMES_KEPT;
	return 0;
}

void state_keep_close(void)
{
	drop_parked();
	drop_copy();
	sqlite3_finalize(data_version);
	data_version = NULL;
	sqlite3_close(kept);
	kept = NULL;
	kept_path[0] = '\0';
	log_frames_most = STORE_LOG_FRAMES;
}

/*
 * The first commit into an emptied log writes the log's header and waits for it to reach the
 * disk (with synchronous = NORMAL, the only commit that does), and a connection opened since
 * then waits for the directory too: the first ADD after each quiet spell waited for both (1 ms
 * under strace here, far more when the disk is busy). The quiet thread pays it instead, writing
 * back the schema version the store already has.
 */
static int restart_log(void)
{
	sqlite3_stmt *s;
	char sql[48];
	int rc = sqlite3_exec(kept, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(kept, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s) == SQLITE_ROW ? SQLITE_OK : SQLITE_ERROR;
		if (rc == SQLITE_OK)
			snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
				 sqlite3_column_int(s, 0));
		sqlite3_finalize(s);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(kept, sql, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(kept, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !sqlite3_get_autocommit(kept))
		sqlite3_exec(kept, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

int state_checkpoint(const char *dir)
{
	int fd, err = kept ? store_lock_take(dir, &fd) : 0;
	const char *what = "checkpoint";

	if (!kept || err)
		return err;
	err = sqlite3_wal_checkpoint_v2(kept, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (err == SQLITE_OK) {
		what = "restart the log after a checkpoint";
		err = restart_log();
	}
	close(fd);
	if (err == SQLITE_OK) {
		log_emptied();
		return 0;
	}
	cbpf_err("state database in %s: %s: %s", dir, what, sqlite3_errmsg(kept));
	return -EIO;
}

bool state_log_long(void)
{
	return log_frames >= log_frames_aside;
}

/*
 * A commit that checkpointed a log of STORE_LOG_FRAMES_KEPT pages itself took 15-90 ms here
 * (the database's sync), once every 265 CNI ADDs in a run of them: a passive checkpoint
 * blocks no writer, so the kept connection's is not used (a command's call on it would wait).
 */
int state_checkpoint_aside(const char *dir)
{
	sqlite3 *aside = NULL;
	int rc, err;

	if (!kept)
		return 0;
	rc = sqlite3_open_v2(kept_path, &aside, SQLITE_OPEN_READWRITE, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_db_config(aside, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	/* The checkpoint needs the log open, which a connection does at its first read. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(aside, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_wal_checkpoint_v2(aside, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	if (rc != SQLITE_OK)
		cbpf_err("state database %s: checkpoint beside commands: %s", kept_path,
			 aside ? sqlite3_errmsg(aside) : "out of memory");
	sqlite3_close(aside);
	err = rc == SQLITE_OK ? state_checkpoint(dir) : -EIO;
	if (err)
		log_frames_aside = log_frames + STORE_LOG_FRAMES_ASIDE / 2;
	return err;
}

/* The kept connection's data_version, when st is a connection to the kept store's file. */
static int kept_version(const struct cbpf_state *st, sqlite3_int64 *version)
{
	struct stat now;
	int rc;

	if (!kept || strcmp(st->path, kept_path) || stat(st->path, &now) ||
	    now.st_ino != kept_file.st_ino || now.st_dev != kept_file.st_dev)
		return -ENOENT;
	rc = sqlite3_step(data_version);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int64(data_version, 0);
	sqlite3_reset(data_version);
	return rc == SQLITE_ROW ? 0 : -EIO;
}

/*
 * A copy st's arrays can grow: state_add_* reallocate when the count is a power of two, so
 * an array holds the power of two at or above its count.
 */
static void *dup_growable(const void *items, size_t n, size_t size, int *err)
{
	size_t room = 1;
	void *copy;

	if (!n)
		return NULL;
	while (room < n)
		room *= 2;
	copy = malloc(room * size);
	if (!copy)
		*err = -ENOMEM;
	else
		memcpy(copy, items, n * size);
	return copy;
}

bool store_kept_take(struct cbpf_state *st)
{
	sqlite3_int64 version;
	struct cbpf_state_seen *seen = copy;
	int err = 0;

	if (!seen || kept_version(st, &version) || version != copy_version) {
		drop_copy();
		drop_parked();
		return false;
	}
	copy = NULL;
	st->nets = dup_growable(seen->obj.nets, seen->obj.n_nets, sizeof(*st->nets), &err);
	st->eps = dup_growable(seen->obj.eps, seen->obj.n_eps, sizeof(*st->eps), &err);
	st->rules = dup_growable(seen->obj.rules, seen->obj.n_rules, sizeof(*st->rules), &err);
	st->nodes = dup_growable(seen->obj.nodes, seen->obj.n_nodes, sizeof(*st->nodes), &err);
	st->owned = dup_growable(seen->owned, seen->n_owned, sizeof(*st->owned), &err);
	st->n_nets = seen->obj.n_nets;
	st->n_eps = seen->obj.n_eps;
	st->n_rules = seen->obj.n_rules;
	st->n_nodes = seen->obj.n_nodes;
	st->n_owned = seen->n_owned;
	st->next_ep_id = seen->next_ep_id;
	st->next_rule_id = seen->next_rule_id;
	st->seen = seen;
	if (!err)
		return true;
	/* The caller reads the store instead, into an empty st. */
	store_forget(st);
	free(st->nets);
	free(st->eps);
	free(st->rules);
	free(st->nodes);
	free(st->owned);
	st->nets = NULL, st->eps = NULL, st->rules = NULL, st->nodes = NULL, st->owned = NULL;
	st->n_nets = st->n_eps = st->n_rules = st->n_nodes = st->n_owned = 0;
	st->next_ep_id = st->next_rule_id = 1;
	return false;
}

void store_kept_keep(struct cbpf_state *st)
{
	sqlite3_int64 version;

	/* st's seen copy is what the store holds: read, or written by a commit that succeeded. */
	if (!st->seen || st->seen->unsure || st->lock_fd < 0 || kept_version(st, &version))
		return;
	drop_copy();
	copy = st->seen;
	copy_version = version;
	st->seen = NULL;
}

bool store_parked_take(struct cbpf_state *st)
{
	if (!parked)
		return false;
	st->db = parked;
	st->stmts = parked_stmts;
	parked = NULL;
	parked_stmts = NULL;
	return true;
}

void store_parked_keep(struct cbpf_state *st)
{
	/* Only with the copy just kept (store_kept_keep): without one, no command would use it. */
	if (!copy || !st->db || st->lock_fd < 0 || strcmp(st->path, kept_path) ||
	    !sqlite3_get_autocommit(st->db))
		return;
	for (sqlite3_stmt *s = sqlite3_next_stmt(st->db, NULL); s; s = sqlite3_next_stmt(st->db, s))
		if (sqlite3_stmt_busy(s))
			return;
	drop_parked();
	parked = st->db;
	parked_stmts = st->stmts;
	st->db = NULL;
	st->stmts = NULL;
}
