/*
 * The agent's spare exact map: an empty map like the live cbpf_policy_exact, made in the
 * background, so that an install whose exact entries are mostly new fills it and stores it in
 * the idle slot instead of deleting every old entry of the idle map and writing every new one
 * (half the kernel's operations; maps/policy.h). The map it replaces is dropped, and the next
 * spare is made after the install's command has ended.
 *
 * Every call but start and stop is made under the lock the agent's commands hold, which the
 * background thread takes too while it makes a spare: installs and the spare never race. Without
 * start (a process that is not the agent) there is never a spare.
 */
#ifndef CBPF_POLICY_SPARE_H
#define CBPF_POLICY_SPARE_H

#include <linux/types.h>
#include <pthread.h>
#include <stddef.h>

#include "core/cmd.h"

/* Starts the thread that makes spares like ctx's pinned cbpf_policy_exact, under lock. */
int policy_spare_start(const struct cbpf_ctx *ctx, pthread_mutex_t *lock);
/* Ends the thread and drops the spare. */
void policy_spare_stop(void);

/*
 * The spare, still the spare's, when there is one with room for n entries and of like_fd's type,
 * flags and sizes; else -1.
 */
int policy_spare_peek(int like_fd, size_t n);
/* The install took the spare just peeked: it is the install's to store or close. */
void policy_spare_used(void);
/*
 * After an install, with the live exact map's size: when there is no spare or a smaller one, the
 * thread makes one that size once the command ends.
 */
void policy_spare_fit(__u32 live_max_entries);

#endif
