/* Labelled requirement vectors, and their CSV form (header, then one sample a line). */
#ifndef CBPF_MODEL_DATA_H
#define CBPF_MODEL_DATA_H

#include <stddef.h>
#include <stdio.h>

#include "model/req.h"

#define MODEL_CSV_HEADER "security,scale,efficiency,extensibility,label"

struct model_data {
	size_t n, cap;
	struct model_req *x;
	int *y;
};

/* Returns 0 or -ENOMEM. */
int model_data_add(struct model_data *d, const struct model_req *x, int y);
void model_data_free(struct model_data *d);

/*
 * Appends the samples of a CSV file to d. Every problem is reported as "path:line: ..." and
 * leaves d as it was.
 */
int model_csv_read(const char *path, struct model_data *d);
/* The same from an open stream; path names it in errors. */
int model_csv_parse(FILE *f, const char *path, struct model_data *d);
/* Writes d to path through a temporary file, so a failure never leaves half a file. */
int model_csv_write(const char *path, const struct model_data *d);

#endif
