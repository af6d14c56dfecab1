#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

/* Per thread: the agent runs commands for several API clients, one at a time, on their threads. */
static _Thread_local char last_error[512];
static _Thread_local FILE *err_sink;

void cbpf_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(err_sink ? err_sink : stderr, "cbpfnet: %s\n", last_error);
}

void cbpf_err_redirect(FILE *sink)
{
	err_sink = sink;
	last_error[0] = '\0';
}

const char *cbpf_last_error(void)
{
	return last_error;
}
