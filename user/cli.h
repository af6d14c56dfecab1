/* Command-line plumbing shared by every cbpfnet command. */
#ifndef CBPF_CLI_H
#define CBPF_CLI_H

#include <stdbool.h>
#include <stdio.h>

struct cbpf_pin_cache;

struct cbpf_ctx {
	const char *bpffs;	     /* bpffs mount; pins live under <bpffs>/cbpfnet */
	const char *state_dir;	     /* per-host state: networks, endpoints, history */
	bool json;		     /* print one JSON document instead of text */
	struct cbpf_pin_cache *pins; /* pins kept open across endpoints; NULL: opened per use */
};

typedef int (*cbpf_cmd_fn)(struct cbpf_ctx *ctx, int argc, char **argv);

struct cbpf_cmd {
	const char *name;
	cbpf_cmd_fn run;
	const char *usage;
};

/*
 * Finds argv[0] in a NULL-terminated table and runs it with the remaining arguments.
 * `what` names the command group in errors ("net", "ep").
 */
int cbpf_dispatch(struct cbpf_ctx *ctx, const char *what, const struct cbpf_cmd *table, int argc,
		  char **argv);

/* Prints "cbpfnet: <message>" on stderr; every user-facing error goes through here. */
void cbpf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sends this thread's cbpf_err lines to sink (NULL: stderr) and forgets the last error. */
void cbpf_err_redirect(FILE *sink);
/* The message of the last cbpf_err, for callers that report errors another way (CNI). */
const char *cbpf_last_error(void);

#endif
