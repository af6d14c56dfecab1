#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cbpf_err(const char *fmt, ...)
{
	va_list ap;

	fputs("cbpfnet: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
