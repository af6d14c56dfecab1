#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "cli/table.h"

static void add_cells(struct cli_table *t, va_list ap, size_t n)
{
	if (t->err)
		return;
	if ((t->rows + 1) * n > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16 * n;
		char **cells = realloc(t->cells, cap * sizeof(*cells));

		if (!cells) {
			t->err = -ENOMEM;
			return;
		}
		t->cells = cells;
		t->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		const char *cell = va_arg(ap, const char *);
		char *copy = strdup(cell && *cell ? cell : "-");

		if (!copy)
			t->err = -ENOMEM;
		t->cells[t->rows * n + i] = copy;
	}
	t->rows++;
}

void cli_table_init(struct cli_table *t, ...)
{
	va_list ap;

	memset(t, 0, sizeof(*t));
	va_start(ap, t);
	while (t->cols < CLI_TABLE_COLS && va_arg(ap, const char *))
		t->cols++;
	va_end(ap);
	va_start(ap, t);
	add_cells(t, ap, t->cols);
	va_end(ap);
}

void cli_table_row(struct cli_table *t, ...)
{
	va_list ap;

	va_start(ap, t);
	add_cells(t, ap, t->cols);
	va_end(ap);
}

int cli_table_print(struct cli_table *t, FILE *out)
{
	size_t width[CLI_TABLE_COLS] = {0};
	int err = t->err;

	if (err)
		cbpf_err("printing a table of %zu rows: %s", t->rows, strerror(-err));

	for (size_t r = 0; !err && r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			size_t len = strlen(t->cells[r * t->cols + c]);

			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; !err && r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * t->cols + c];

			if (c + 1 < t->cols)
				fprintf(out, "%-*s  ", (int)width[c], cell);
			else
				fprintf(out, "%s\n", cell);
		}
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
	return err;
}
