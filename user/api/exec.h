/* Running a command of the command line inside the agent, its output captured. */
#ifndef CBPF_API_EXEC_H
#define CBPF_API_EXEC_H

#include <stdbool.h>
#include <stddef.h>

struct agent;

struct exec_result {
	int err;   /* the command's return: 0 or -errno */
	char *out; /* what it printed on stdout */
	size_t out_len;
	char *errors; /* its cbpf_err lines */
	size_t errors_len;
};

struct exec_request {
	char **argv; /* NULL-terminated, the words after the global options */
	int argc;
	bool json;
	const char *input; /* the command's stdin; NULL: empty */
	size_t input_len;
	const char *cwd; /* relative paths of the caller resolve here; NULL: "/" */
	bool whole_line; /* argv is a command line as typed: checked before it runs */
};

/* A command's stdin and working directory; NULL fields: empty input, "/". */
struct exec_io {
	const char *input;
	size_t input_len;
	const char *cwd;
};

typedef int (*exec_fn)(struct agent *a, void *arg);

/*
 * Runs fn under the agent's lock with stdout, stdin and cbpf_err captured as for a command;
 * res->err is what fn returned. The caller frees res->out and res->errors.
 */
void exec_call(struct agent *a, exec_fn fn, void *arg, const struct exec_io *io,
	       struct exec_result *res);
/* Runs req under the agent's lock; the caller frees res->out and res->errors. */
void exec_run(struct agent *a, const struct exec_request *req, struct exec_result *res);
void exec_result_free(struct exec_result *res);

#endif
