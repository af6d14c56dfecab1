/*
 * The command tables every command is declared in, and their context: shared by the command line
 * (cli/), the commands of other folders (model/, policy/) and the agent that runs them.
 */
#ifndef CBPF_CMD_H
#define CBPF_CMD_H

#include <stdbool.h>
#include <stddef.h>

struct cbpf_cmd;
struct cbpf_pin_cache;
struct cbpf_link_table;
struct link_ifindex;

struct cbpf_ctx {
	const char *bpffs;	     /* bpffs mount; pins live under <bpffs>/cbpfnet */
	const char *state_dir;	     /* per-host state: networks, endpoints, history */
	bool json;		     /* print one JSON document instead of text */
	struct cbpf_pin_cache *pins; /* pins kept open across endpoints; NULL: opened per use */
	/* Our pinned links as read once for a pass over every endpoint; NULL: opened per use. */
	struct cbpf_link_table *links;
	/* Host interfaces looked up by name through one socket for a pass; NULL: one per lookup. */
	const struct link_ifindex *ifindexes;
	/* The program's command table, which the agent and cluster mode run requests through. */
	const struct cbpf_cmd *commands;
};

typedef int (*cbpf_cmd_fn)(struct cbpf_ctx *ctx, int argc, char **argv);

/*
 * One option of a command. The same table is the getopt_long array (cbpf_getopt), the
 * options part of --help, the man page and what bash completion offers, so they cannot drift.
 */
struct cbpf_opt {
	const char *name;    /* long option, without the dashes */
	int val;	     /* what cbpf_getopt returns for it */
	const char *metavar; /* its argument ("CIDR"); NULL: a flag without one */
	const char *help;
};

/*
 * A command or a group of subcommands (sub set, run NULL). Tables end with an entry whose
 * name is NULL.
 */
struct cbpf_cmd {
	const char *name;
	cbpf_cmd_fn run;
	const char *args;	     /* what follows the name on the usage line */
	const char *help;	     /* one line */
	const struct cbpf_opt *opts; /* NULL-terminated; NULL: no options */
	const char *example;	     /* the words after "cbpfnet " */
	const struct cbpf_cmd *sub;
	const char *alias; /* a second name (docker's "ls", "rm"); NULL: none */
};

/*
 * Finds argv[0] in a NULL-terminated table (by name or alias) and runs it with the remaining
 * arguments, descending into groups. `what` names the command group in errors ("net", "ep").
 */
int cbpf_dispatch(struct cbpf_ctx *ctx, const char *what, const struct cbpf_cmd *table, int argc,
		  char **argv);
/*
 * Reports word as unknown after the command path `path` ("" at the top) and returns -EINVAL,
 * naming the nearest command of table, or with opts given and a word starting with '-', the
 * nearest option of opts.
 */
int cbpf_unknown_word(const char *path, const struct cbpf_cmd *table, const struct cbpf_opt *opts,
		      const char *word);
/*
 * Follows argv's words through table and its groups as far as they name commands, writing each
 * alias's command name back into argv. Returns the command reached (NULL: not even the first
 * word is one), *depth the words it took, path their names ("ep add").
 */
const struct cbpf_cmd *cbpf_cmd_walk(const struct cbpf_cmd *table, int argc, char **argv,
				     int *depth, char *path, size_t size);
/* The entry of table named (or aliased) word; NULL when none is. */
const struct cbpf_cmd *cbpf_cmd_find(const struct cbpf_cmd *table, const char *word);
/* The name in table closest to word, for "did you mean"; NULL when none is close. */
const char *cbpf_cmd_nearest(const struct cbpf_cmd *table, const char *word);
/* The option name in opts closest to word (given with or without dashes); NULL if none. */
const char *cbpf_opt_nearest(const struct cbpf_opt *opts, const char *word);

/*
 * getopt_long over opts for the command `what` ("ep add"): the option's val, -1 after the last
 * option, or '?' after reporting an unknown option (naming the nearest one) or a missing value.
 * Set optind = 0 before the first call; options may stand anywhere among the arguments.
 */
int cbpf_getopt(int argc, char **argv, const struct cbpf_opt *opts, const char *what);

#endif
