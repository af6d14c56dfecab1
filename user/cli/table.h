/* Text tables: a header row, then columns as wide as their widest cell, whatever the names. */
#ifndef CBPF_CLI_TABLE_H
#define CBPF_CLI_TABLE_H

#include <stddef.h>
#include <stdio.h>

#define CLI_TABLE_COLS 12

struct cli_table {
	size_t cols, rows, cap;
	char **cells; /* rows * cols, row 0 the header */
	int err;      /* -ENOMEM once a cell could not be kept */
};

/* A table with the given header cells, NULL-terminated (at most CLI_TABLE_COLS). */
void cli_table_init(struct cli_table *t, ...);
/* Adds a row of t->cols cells (NULL or "" prints "-"); the strings are copied. */
void cli_table_row(struct cli_table *t, ...);
/* Prints t to out and frees it; 0 or the -ENOMEM a row met. */
int cli_table_print(struct cli_table *t, FILE *out);

#endif
