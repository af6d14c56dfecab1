/* Between the store's reading half (state_store.c) and its writing half (state_commit.c). */
#ifndef CBPF_STATE_STORE_H
#define CBPF_STATE_STORE_H

#include "store/state.h"

#define STATE_DB      "cbpfnet.db"
#define STORE_BUSY_MS 10000 /* how long a command waits for another process's transaction */

/* Pages in the log past which a commit checkpoints it into the database and empties it. */
#define STORE_LOG_FRAMES 64
/*
 * The same while a process keeps the store open (state_keep_open): its own thread checkpoints
 * beside the commands from STORE_LOG_FRAMES_ASIDE on (state_checkpoint_aside), so a commit
 * does only if that thread falls behind.
 */
#define STORE_LOG_FRAMES_KEPT  2048
#define STORE_LOG_FRAMES_ASIDE 1024

/* What the database holds, as last read or written: state_commit writes the difference. */
struct cbpf_state_seen {
	struct cbpf_objects obj;
	struct cbpf_owned_netns *owned;
	size_t n_owned;
	uint32_t next_ep_id;
	uint32_t next_rule_id;
	bool unsure; /* a commit failed or the copy did: read the store again before trusting it */
};

/* Takes the store's lock in dir: *fd holds it until closed. */
int store_lock_take(const char *dir, int *fd);
/* The SQLite log hook that checkpoints a log grown past what this process allows. */
int store_checkpoint_when_long(void *arg, struct sqlite3 *db, const char *name, int frames);
/*
 * With the store kept open (state_keep_open), the copy of it the last command under the lock
 * left: store_kept_take fills st from it (true) unless another connection committed since;
 * store_kept_keep leaves st's seen copy for the next command. Both under the lock.
 */
bool store_kept_take(struct cbpf_state *st);
void store_kept_keep(struct cbpf_state *st);
/*
 * The last command's own connection (and its statements), kept for the next command under the
 * lock: store_parked_take gives it to st (true), for a caller whose store_kept_take said
 * nothing else committed since; store_parked_keep takes st's when its command ended cleanly.
 */
bool store_parked_take(struct cbpf_state *st);
void store_parked_keep(struct cbpf_state *st);
/* Reads of the whole store this process has made, from any thread. */
unsigned long store_reads(void);

void store_statements_free(struct store_statements *stmts);
/* Writes the difference between st and st->seen inside the caller's transaction. */
int store_write(struct cbpf_state *st);
/* Makes st->seen a copy of st, after a read or a committed write. */
int store_remember(struct cbpf_state *st);
void store_forget(struct cbpf_state *st);
/* Runs sql (no rows) and reports a failure as "state database PATH: what: reason". */
int store_exec(struct cbpf_state *st, const char *sql, const char *what);

/* Migration to version 2: the decision history table, filled from <dir>/history.db if any. */
int store_migrate_history(struct cbpf_state *st);
/* Whether <dir>/history.db exists: the migration to version 2 imports it. */
bool store_history_pending(const struct cbpf_state *st);
/* Once the migration committed: history.db becomes history.db.imported. */
int store_history_imported(const struct cbpf_state *st);

#endif
