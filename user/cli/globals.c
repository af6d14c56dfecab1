/* The options every command takes, wherever they stand on the line. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "cli/help.h"

enum { G_JSON = 'j', G_STATE = 's', G_BPFFS = 'b', G_HELP = 'h', G_VERSION = 'V' };

const struct cbpf_opt cli_global_opts[] = {
    {"json", G_JSON, NULL, "print one JSON document (errors too: {\"error\": ...})"},
    {"state", G_STATE, "DIR",
     "state directory and agent socket (default $CBPFNET_STATE or /var/lib/cbpfnet)"},
    {"bpffs", G_BPFFS, "DIR", "bpffs mount of the pins (default $CBPFNET_BPFFS or /sys/fs/bpf)"},
    {"help", G_HELP, NULL, "this help, or the command's (-h)"},
    {"version", G_VERSION, NULL, "build and pin ABI version"},
    {NULL, 0, NULL, NULL},
};

/* The global option word names, or NULL; *value points at an inline "=VALUE". */
static const struct cbpf_opt *global_opt(const char *word, const char **value)
{
	*value = NULL;
	if (!strcmp(word, "-j"))
		return &cli_global_opts[0];
	if (!strcmp(word, "-h"))
		return &cli_global_opts[3];
	if (strncmp(word, "--", 2))
		return NULL;
	for (const struct cbpf_opt *o = cli_global_opts; o->name; o++) {
		size_t len = strlen(o->name);

		if (strncmp(word + 2, o->name, len))
			continue;
		if (!word[2 + len])
			return o;
		if (word[2 + len] == '=' && o->metavar) {
			*value = word + 3 + len;
			return o;
		}
	}
	return NULL;
}

int cli_take_globals(int *argc, char **argv, struct cbpf_ctx *ctx, bool *help, bool *version)
{
	const char *env_state = getenv("CBPFNET_STATE"), *env_bpffs = getenv("CBPFNET_BPFFS");
	int kept = 1, i;

	if (env_state && *env_state)
		ctx->state_dir = env_state;
	if (env_bpffs && *env_bpffs)
		ctx->bpffs = env_bpffs;
	for (i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		const char *value;
		const struct cbpf_opt *o = global_opt(argv[i], &value);

		if (!o) {
			argv[kept++] = argv[i];
			continue;
		}
		if (o->metavar && !value) {
			if (i + 1 >= *argc) {
				cbpf_err("option '--%s' needs a value (%s)", o->name, o->metavar);
				return -EINVAL;
			}
			value = argv[++i];
		}
		if (o->val == G_JSON)
			ctx->json = true;
		else if (o->val == G_STATE)
			ctx->state_dir = value;
		else if (o->val == G_BPFFS)
			ctx->bpffs = value;
		else if (o->val == G_HELP)
			*help = true;
		else
			*version = true;
	}
	while (i < *argc)
		argv[kept++] = argv[i++];
	argv[kept] = NULL;
	*argc = kept;
	return 0;
}
