/*
 * The per-host agent (`cbpfnet daemon`): the one process that changes the host. It holds the
 * state directory's lock, loads the datapath, applies the policy files it was given and serves
 * the HTTP/JSON API on <state>/cbpfnet.sock, through which the command line and the CNI plugin
 * reach it.
 */
#ifndef CBPF_AGENT_H
#define CBPF_AGENT_H

#include <json-c/json.h>
#include <pthread.h>
#include <stdbool.h>

#include "core/cmd.h"

#define AGENT_SOCKET_FILE "cbpfnet.sock"

struct agent_events;
struct api_server;
struct cluster;

struct agent {
	struct cbpf_ctx ctx;
	const char *policy_path; /* NULL: the agent was given no policy files */
	/*
	 * Commands run one at a time: they share getopt's globals and stdout, and each one is a
	 * read-change-commit of the state.
	 */
	pthread_mutex_t lock;
	unsigned int policy_generation;
	unsigned long changes; /* moves after every command that ran: event name caches follow */
	struct agent_events *events;
	struct api_server *api;
	struct api_server *api_tcp; /* NULL without --listen */
	struct cluster *cluster;    /* NULL: not in cluster mode */
	/*
	 * Cluster mode's part in the commands the agent runs, set before it starts: it takes some
	 * over (*handled) and hears of every one that ran.
	 */
	int (*cluster_command)(struct cluster *c, struct cbpf_ctx *ctx, int argc, char **argv,
			       bool *handled);
	void (*cluster_kick)(struct cluster *c);
	/*
	 * The command line's check of a line's words against the command tables (an unknown or
	 * missing command, an option not the command's), run on /v1/exec: `cbpfnet` sends lines
	 * unchecked, as it holds no tables.
	 */
	int (*check_line)(int argc, char **argv);
};

/* Re-reads the policy files; doc gets the outcome ({generation, ok, message, ...}). */
int agent_policy_reload(struct agent *a, json_object **doc);

#endif
