/*
 * One agent per state directory: <state>/agent.lock is held with flock for the agent's life and
 * names its pid. The kernel drops the lock when the process dies, so a kill -9 leaves no stale
 * owner, and nobody is ever told to signal a pid that merely sits in a file.
 */
#ifndef CBPF_AGENT_LOCK_H
#define CBPF_AGENT_LOCK_H

#define AGENT_LOCK_FILE "agent.lock"

/* Takes the lock and writes our pid; -EBUSY (message printed) when another agent holds it. */
int agent_lock_take(const char *state_dir, int *fd_out);
void agent_lock_release(int fd);

#endif
