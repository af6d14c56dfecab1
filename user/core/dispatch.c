/* Command tables: finding a command, parsing its options, and naming the nearest word. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "core/cmd.h"
#include "core/err.h"

#define OPTS_MAX 48

/* Edit distance counting a swap of neighbours as one edit ("nte" is one from "net"). */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[32][32];

	if (la >= 32 || lb >= 32)
		return 32;
	for (size_t i = 0; i <= la; i++)
		for (size_t j = 0; j <= lb; j++) {
			size_t best;

			if (!i || !j) {
				d[i][j] = i + j;
				continue;
			}
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[la][lb];
}

/* How close candidate is to word; SIZE_MAX when too far to suggest. */
static size_t nearness(const char *word, const char *candidate)
{
	size_t d, len = strlen(word), allowed = len > 9 ? 3 : len > 5 ? 2 : 1;

	if (len >= 2 && !strncmp(candidate, word, len))
		return 0;
	d = distance(word, candidate);
	return d <= allowed ? d : (size_t)-1;
}

const struct cbpf_cmd *cbpf_cmd_walk(const struct cbpf_cmd *table, int argc, char **argv,
				     int *depth, char *path, size_t size)
{
	const struct cbpf_cmd *c = NULL, *next;
	size_t used = 0;
	int i = 0;

	path[0] = '\0';
	while (i < argc && table && (next = cbpf_cmd_find(table, argv[i]))) {
		c = next;
		argv[i++] = (char *)c->name;
		if (used < size)
			used +=
			    snprintf(path + used, size - used, "%s%s", used ? " " : "", c->name);
		table = c->sub;
	}
	*depth = i;
	return c;
}

const struct cbpf_cmd *cbpf_cmd_find(const struct cbpf_cmd *table, const char *word)
{
	for (const struct cbpf_cmd *c = table; c->name; c++)
		if (!strcmp(c->name, word) || (c->alias && !strcmp(c->alias, word)))
			return c;
	return NULL;
}

const char *cbpf_cmd_nearest(const struct cbpf_cmd *table, const char *word)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (const struct cbpf_cmd *c = table; c->name; c++) {
		size_t d = nearness(word, c->name);

		if (c->alias && nearness(word, c->alias) < d)
			d = nearness(word, c->alias);
		if (d < best_d) {
			best_d = d;
			best = c->name;
		}
	}
	return best;
}

const char *cbpf_opt_nearest(const struct cbpf_opt *opts, const char *word)
{
	char bare[64];
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	word += strspn(word, "-");
	snprintf(bare, sizeof(bare), "%.*s", (int)strcspn(word, "="), word);
	for (const struct cbpf_opt *o = opts; o && o->name; o++) {
		size_t d = nearness(bare, o->name);

		if (d < best_d) {
			best_d = d;
			best = o->name;
		}
	}
	return best;
}

int cbpf_unknown_word(const char *path, const struct cbpf_cmd *table, const struct cbpf_opt *opts,
		      const char *word)
{
	bool option = opts && word[0] == '-';
	const char *near = option ? cbpf_opt_nearest(opts, word) : cbpf_cmd_nearest(table, word);

	cbpf_err("%s%sunknown %s '%s'%s%s%s%s (see cbpfnet %s%s--help)", path, *path ? ": " : "",
		 option	 ? "option"
		 : *path ? "subcommand"
			 : "command",
		 word, near ? "; did you mean '" : "", near && option ? "--" : "", near ? near : "",
		 near ? "'?" : "", path, *path ? " " : "");
	return -EINVAL;
}

int cbpf_dispatch(struct cbpf_ctx *ctx, const char *what, const struct cbpf_cmd *table, int argc,
		  char **argv)
{
	bool top = !strcmp(what, "cbpfnet");
	const struct cbpf_cmd *c;
	char path[128];

	if (argc < 1) {
		if (top)
			cbpf_err("missing command (see cbpfnet --help)");
		else
			cbpf_err("%s: missing subcommand (see cbpfnet %s --help)", what, what);
		return -EINVAL;
	}
	c = cbpf_cmd_find(table, argv[0]);
	if (!c || !(c->run || c->sub))
		return cbpf_unknown_word(top ? "" : what, table, NULL, argv[0]);
	if (!c->sub)
		return c->run(ctx, argc, argv);
	snprintf(path, sizeof(path), "%s%s%s", top ? "" : what, top ? "" : " ", c->name);
	return cbpf_dispatch(ctx, path, c->sub, argc - 1, argv + 1);
}

int cbpf_getopt(int argc, char **argv, const struct cbpf_opt *opts, const char *what)
{
	static _Thread_local struct option longopts[OPTS_MAX + 1];
	const char *word, *near;
	size_t n = 0;
	int opt;

	for (const struct cbpf_opt *o = opts; o && o->name && n < OPTS_MAX; o++, n++)
		longopts[n] = (struct option){o->name, o->metavar ? required_argument : no_argument,
					      NULL, o->val};
	longopts[n] = (struct option){NULL, 0, NULL, 0};
	opterr = 0;
	opt = getopt_long(argc, argv, ":", longopts, NULL);
	if (opt != '?' && opt != ':')
		return opt;
	word = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
	near = cbpf_opt_nearest(opts, word);
	if (opt == ':')
		cbpf_err("%s: option '%s' needs a value", what, word);
	else if (strchr(word, '=') && near && !strncmp(word + 2, near, strlen(near)))
		cbpf_err("%s: option '--%s' takes no value", what, near);
	else
		cbpf_err("%s: unknown option '%s'%s%s%s (see cbpfnet %s --help)", what, word,
			 near ? "; did you mean '--" : "", near ? near : "", near ? "'?" : "",
			 what);
	return '?';
}
