/*
 * The frame of a `list` command over one array of the state, so that every list takes the same
 * arguments and prints the same shapes: with --json an array of one object per item, else a
 * table with a row per item.
 */
#ifndef CBPF_CLI_LIST_H
#define CBPF_CLI_LIST_H

#include <json-c/json.h>
#include <stddef.h>

#include "cli/table.h"
#include "core/cmd.h"
#include "store/state.h"

struct cli_list {
	const char *what; /* "ep list", for errors */
	/* The array of st listed, and its length in *n. */
	const void *(*items)(const struct cbpf_state *st, size_t *n);
	size_t size; /* of one item */
	/* ctx and st for what an item shows beside its record (an endpoint's link status). */
	json_object *(*to_json)(const struct cbpf_ctx *ctx, struct cbpf_state *st,
				const void *item);
	void (*header)(struct cli_table *t);
	void (*row)(struct cli_table *t, const struct cbpf_ctx *ctx, struct cbpf_state *st,
		    const void *item);
};

/* Runs the list l for a command line of argc words (the command's name alone); 0 or -errno. */
int cli_list(struct cbpf_ctx *ctx, int argc, const struct cli_list *l);

#endif
