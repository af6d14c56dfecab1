/* What the agent does once the store is quiet after commits: links deleted behind its back, the
 * log. */
#ifndef CBPF_AGENT_RECHECK_H
#define CBPF_AGENT_RECHECK_H

struct agent;
struct agent_recheck;

#define AGENT_RECHECK_MS 1000

/*
 * Once the store has been quiet for quiet_ms after a commit (of a command, an API call or the
 * cluster), every local endpoint's and network's link is looked for from the host, and what is
 * gone while its namespace is there is made again with its attachments and map entries, as the
 * agent's start does; then the store's log is checkpointed (state_checkpoint), so no command
 * waits for that. Looking from the host costs a lookup per endpoint, and waiting for a quiet
 * store keeps both out of a run of commands. quiet_ms 0: the log is checkpointed after
 * AGENT_RECHECK_MS of quiet, and links are not looked for. A run of commands too close together
 * to leave a quiet spell has its log checkpointed beside it (state_checkpoint_aside) once long.
 */
int agent_recheck_start(struct agent *a, unsigned int quiet_ms, struct agent_recheck **out);
void agent_recheck_stop(struct agent_recheck *r);

#endif
