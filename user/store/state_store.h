/* Between the store's reading half (state_store.c) and its writing half (state_commit.c). */
#ifndef CBPF_STATE_STORE_H
#define CBPF_STATE_STORE_H

#include "store/state.h"

/* Pages in the log past which a commit checkpoints it into the database and empties it. */
#define STORE_LOG_FRAMES 64
/* The same while a process keeps the store open (state_keep_open): it checkpoints when quiet. */
#define STORE_LOG_FRAMES_KEPT 2048

/* What the database holds, as last read or written: state_commit writes the difference. */
struct cbpf_state_seen {
	struct cbpf_objects obj;
	struct cbpf_owned_netns *owned;
	size_t n_owned;
	uint32_t next_ep_id;
	uint32_t next_rule_id;
};

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
