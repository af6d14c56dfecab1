/*
 * Expedited RCU grace periods around the kernel calls of ours that wait for one while holding
 * the RTNL lock: creating or releasing a TCX link (tcx_entry_sync is a synchronize_rcu), and
 * deleting a link; and around storing a fresh policy map into an array of maps, which waits for
 * one after the update. A normal grace period is 10-30 ms on a small VM, most of an endpoint's
 * ADD or DEL, and nothing else on the host can change a link meanwhile; the kernel's own
 * synchronize_net() expedites for that reason whenever RTNL is held.
 */
#ifndef CBPF_RCU_EXPEDITE_H
#define CBPF_RCU_EXPEDITE_H

#include <stdbool.h>

struct rcu_expedite {
	bool open; /* begun while enabled: end closes it */
};

/* On by default; the agent's --expedite-attach off turns it off for the process. */
void rcu_expedite_enable(bool on);

/*
 * Turns /sys/kernel/rcu_expedited on from the first open window to the last, unless it was on
 * already. The threads of a process share windows; processes take turns on one lock
 * (/run/cbpfnet-rcu.lock), so the setting found before a process's first window is the one put
 * back after its last. Best effort: without the file or the right to write it, the calls wait
 * for normal grace periods. Opening and closing a window costs a few file calls: a caller with
 * several link calls in a row opens one around all of them.
 */
void rcu_expedite_begin(struct rcu_expedite *w);
/*
 * As rcu_expedite_begin, but never waits for another process: while one holds the lock, it has
 * the setting on (or found it on), so the call is expedited without a window of its own, and
 * w stays closed. For a policy reload, which must not wait for a batch of link calls.
 */
void rcu_expedite_try_begin(struct rcu_expedite *w);
void rcu_expedite_end(struct rcu_expedite *w);

/*
 * Puts the setting back when a process was killed inside a window it had turned it on for
 * (the lock file still holds its mark); the agent calls it at start.
 */
void rcu_expedite_recover(void);

#endif
