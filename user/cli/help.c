/* --help, `help`, the man page: all printed from the command tables. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "cli/help.h"
#include "cli/commands.h"

#define COLUMN 30

/* The unknown word after the command path c (NULL: the top); always -EINVAL. */
static int unknown_word(const struct cbpf_cmd *c, const char *path, const char *word)
{
	return cbpf_unknown_word(path, c ? c->sub : cbpf_commands, cli_global_opts, word);
}

/* The option of opts that word ("--name" or "--name=value") names, as getopt_long would. */
static const struct cbpf_opt *opt_named(const struct cbpf_opt *opts, const char *word)
{
	const struct cbpf_opt *found = NULL;
	size_t len = strcspn(word + 2, "="), matches = 0;

	for (const struct cbpf_opt *o = opts; o && o->name; o++) {
		if (strncmp(o->name, word + 2, len))
			continue;
		if (strlen(o->name) == len)
			return o;
		found = o;
		matches++;
	}
	return matches == 1 ? found : NULL;
}

/*
 * Every "--word" after the command must be one of its options: refused here with the nearest
 * one, agent or not, whether or not the command parses options at all.
 */
static int check_options(const struct cbpf_cmd *c, const char *path, int argc, char **argv)
{
	for (int i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const struct cbpf_opt *o;
		const char *near;

		if (strncmp(argv[i], "--", 2))
			continue;
		o = opt_named(c->opts, argv[i]);
		if (o) {
			i += o->metavar && !strchr(argv[i], '=');
			continue;
		}
		near = cbpf_opt_nearest(c->opts, argv[i]);
		if (!near)
			near = cbpf_opt_nearest(cli_global_opts, argv[i]);
		cbpf_err("%s: unknown option '%s'%s%s%s (see cbpfnet %s --help)", path, argv[i],
			 near ? "; did you mean '--" : "", near ? near : "", near ? "'?" : "",
			 path);
		return -EINVAL;
	}
	return 0;
}

int cli_check_line(int argc, char **argv)
{
	const struct cbpf_cmd *c;
	char path[128];
	int depth;

	c = cbpf_cmd_walk(cbpf_commands, argc, argv, &depth, path, sizeof(path));
	if (!c || (c->sub && depth < argc))
		return unknown_word(c, path, argv[depth]);
	if (c->sub) {
		cbpf_err("%s: missing subcommand (see cbpfnet %s --help)", path, path);
		return -EINVAL;
	}
	return check_options(c, path, argc - depth, argv + depth);
}

static void print_opts(FILE *out, const struct cbpf_opt *opts)
{
	for (const struct cbpf_opt *o = opts; o && o->name; o++) {
		char left[64];

		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->metavar ? " " : "",
			 o->metavar ? o->metavar : "");
		fprintf(out, "  %-*s %s\n", COLUMN - 3, left, o->help);
	}
}

static void print_commands(FILE *out, const struct cbpf_cmd *table)
{
	for (const struct cbpf_cmd *c = table; c->name; c++) {
		char left[128];

		snprintf(left, sizeof(left), "%s%s%s", c->name, c->alias ? ", " : "",
			 c->alias ? c->alias : "");
		fprintf(out, "  %-*s %s\n", COLUMN - 3, left, c->help);
	}
}

void cli_usage(FILE *out)
{
	fputs("usage: cbpfnet [--json] [--state DIR] [--bpffs DIR] COMMAND ...\n\ncommands:\n",
	      out);
	print_commands(out, cbpf_commands);
	fputs("\nglobal options (before or after the command):\n", out);
	print_opts(out, cli_global_opts);
	fputs("\nCommands that change the host are run by the agent (`cbpfnet daemon`) of the\n"
	      "state directory; run with no arguments and CNI_COMMAND set, cbpfnet is a CNI "
	      "plugin.\n`cbpfnet help COMMAND` or `cbpfnet COMMAND --help` tells more.\n",
	      out);
}

static void print_cmd(FILE *out, const struct cbpf_cmd *c, const char *path)
{
	if (c->sub) {
		fprintf(out, "usage: cbpfnet %s COMMAND ...\n\n%s\n\ncommands:\n", path, c->help);
		print_commands(out, c->sub);
		fprintf(out, "\n`cbpfnet %s COMMAND --help` shows a command's options.\n", path);
	} else {
		fprintf(out, "usage: cbpfnet %s%s%s\n\n%s\n", path, c->args ? " " : "",
			c->args ? c->args : "", c->help);
		if (c->opts && c->opts->name) {
			fputs("\noptions:\n", out);
			print_opts(out, c->opts);
		}
	}
	if (c->example)
		fprintf(out, "\nexample:\n  cbpfnet %s\n", c->example);
	fputs("\nglobal options: --json, --state DIR, --bpffs DIR (see cbpfnet --help)\n", out);
}

int cli_help(FILE *out, int argc, char **argv)
{
	const struct cbpf_cmd *c;
	char path[128];
	int depth;

	if (argc == 0) {
		cli_usage(out);
		return 0;
	}
	c = cbpf_cmd_walk(cbpf_commands, argc, argv, &depth, path, sizeof(path));
	if (!c || depth < argc)
		return unknown_word(c, path, argv[depth]);
	print_cmd(out, c, path);
	return 0;
}

/* One line per option the command's parser takes, for tests and completion. */
static int print_option_names(int argc, char **argv)
{
	const struct cbpf_cmd *c;
	char path[128];
	int depth;

	c = cbpf_cmd_walk(cbpf_commands, argc, argv, &depth, path, sizeof(path));
	if (argc && (!c || depth < argc))
		return unknown_word(c, path, argv[depth]);
	for (const struct cbpf_opt *o = c ? c->opts : cli_global_opts; o && o->name; o++)
		printf("--%s\n", o->name);
	return 0;
}

/* Every command path, one a line ("net create"), for tests and the man page's walk. */
static void print_paths(const struct cbpf_cmd *table, const char *prefix)
{
	for (const struct cbpf_cmd *c = table; c->name; c++) {
		char path[128];

		snprintf(path, sizeof(path), "%s%s%s", prefix, *prefix ? " " : "", c->name);
		if (c->sub)
			print_paths(c->sub, path);
		else
			printf("%s\n", path);
	}
}

const struct cbpf_opt cli_help_opts[] = {
    {"options", 'o', NULL, "only the command's options, one a line"},
    {"commands", 'c', NULL, "only every command, one a line"},
    {"man", 'm', NULL, "the man page (roff), all commands"},
    {NULL, 0, NULL, NULL},
};

int cli_help_cmd(struct cbpf_ctx *ctx, int argc, char **argv)
{
	bool options = false, commands = false, man = false;
	int opt;

	(void)ctx;
	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, cli_help_opts, "help")) != -1) {
		if (opt == '?')
			return -EINVAL;
		options |= opt == 'o';
		commands |= opt == 'c';
		man |= opt == 'm';
	}
	argc -= optind;
	argv += optind;
	if (man) {
		cli_man(stdout);
		return 0;
	}
	if (commands) {
		print_paths(cbpf_commands, "");
		return 0;
	}
	if (options)
		return print_option_names(argc, argv);
	return cli_help(stdout, argc, argv);
}
