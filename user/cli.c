#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static char last_error[512];

void cbpf_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	fprintf(stderr, "cbpfnet: %s\n", last_error);
}

const char *cbpf_last_error(void)
{
	return last_error;
}

int cbpf_dispatch(struct cbpf_ctx *ctx, const char *what, const struct cbpf_cmd *table, int argc,
		  char **argv)
{
	if (argc < 1) {
		cbpf_err("%s: missing subcommand", what);
		return -EINVAL;
	}
	for (const struct cbpf_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, argv[0]))
			return c->run(ctx, argc, argv);
	cbpf_err("%s: unknown subcommand '%s'", what, argv[0]);
	return -EINVAL;
}
