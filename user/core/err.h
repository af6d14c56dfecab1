/*
 * The one channel of user-facing errors, used by every folder; per thread, as the agent runs
 * commands for several API clients on their threads.
 */
#ifndef CBPF_ERR_H
#define CBPF_ERR_H

#include <stdio.h>

/* Prints "cbpfnet: <message>" on stderr; every user-facing error goes through here. */
void cbpf_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sends this thread's cbpf_err lines to sink (NULL: stderr) and forgets the last error. */
void cbpf_err_redirect(FILE *sink);
/* The message of the last cbpf_err, for callers that report errors another way (CNI). */
const char *cbpf_last_error(void);

#endif
