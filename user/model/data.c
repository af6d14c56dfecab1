#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/data.h"
#include "model/file.h"

int model_data_add(struct model_data *d, const struct model_req *x, int y)
{
	if (d->n == d->cap) {
		size_t cap = d->cap ? 2 * d->cap : 256;
		struct model_req *nx = realloc(d->x, cap * sizeof(*nx));
		int *ny;

		if (!nx)
			return -ENOMEM;
		d->x = nx;
		ny = realloc(d->y, cap * sizeof(*ny));
		if (!ny)
			return -ENOMEM;
		d->y = ny;
		d->cap = cap;
	}
	d->x[d->n] = *x;
	d->y[d->n++] = y;
	return 0;
}

void model_data_free(struct model_data *d)
{
	free(d->x);
	free(d->y);
	*d = (struct model_data){0};
}

/* Splits line in place at commas; returns the field count (at most max are stored). */
static int split(char *line, char **fields, int max)
{
	int n = 0;

	for (char *p = line;; p++) {
		if (n < max)
			fields[n] = p;
		n++;
		p = strchr(p, ',');
		if (!p)
			return n;
		*p = '\0';
	}
}

static int parse_line(const char *path, size_t lineno, char *line, struct model_req *x, int *y)
{
	char *fields[MODEL_NFEAT + 1];
	int n = split(line, fields, MODEL_NFEAT + 1);

	if (n != MODEL_NFEAT + 1) {
		cbpf_err("%s:%zu: expected %d fields, got %d", path, lineno, MODEL_NFEAT + 1, n);
		return -EINVAL;
	}
	for (int f = 0; f <= MODEL_NFEAT; f++) {
		int max = f < MODEL_NFEAT ? MODEL_W_MAX : 1;
		size_t digits = strspn(fields[f], "0123456789");
		long v = strtol(fields[f], NULL, 10);

		if (!digits || fields[f][digits] || digits > 2 || v > max) {
			cbpf_err("%s:%zu: field %d (%s): '%s' is not an integer 0..%d", path,
				 lineno, f + 1, f < MODEL_NFEAT ? model_feature_names[f] : "label",
				 fields[f], max);
			return -EINVAL;
		}
		if (f < MODEL_NFEAT)
			x->w[f] = (int)v;
		else
			*y = (int)v;
	}
	return 0;
}

int model_csv_parse(FILE *f, const char *path, struct model_data *d)
{
	size_t old_n = d->n, lineno = 0, cap = 0;
	char *line = NULL;
	ssize_t len;
	int err = 0;

	while (!err && (len = getline(&line, &cap, f)) >= 0) {
		struct model_req x;
		int y;

		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		/* Whatever follows a NUL byte would be ignored, not read. */
		if (strlen(line) != (size_t)len) {
			cbpf_err("%s:%zu: NUL byte in the line", path, lineno);
			err = -EINVAL;
			break;
		}
		if (lineno == 1) {
			if (strcmp(line, MODEL_CSV_HEADER)) {
				cbpf_err("%s:1: expected header '%s'", path, MODEL_CSV_HEADER);
				err = -EINVAL;
			}
			continue;
		}
		err = parse_line(path, lineno, line, &x, &y);
		if (!err)
			err = model_data_add(d, &x, y);
	}
	if (!err && ferror(f)) {
		err = -EIO;
		cbpf_err("cannot read %s: %s", path, strerror(EIO));
	}
	if (!err && lineno == 0) {
		cbpf_err("%s: empty file (expected header '%s')", path, MODEL_CSV_HEADER);
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		cbpf_err("%s: out of memory", path);
	if (err)
		d->n = old_n;
	free(line);
	return err;
}

int model_csv_read(const char *path, struct model_data *d)
{
	FILE *f = fopen(path, "r");
	int err;

	if (!f) {
		err = -errno;
		cbpf_err("cannot read %s: %s", path, strerror(-err));
		return err;
	}
	err = model_csv_parse(f, path, d);
	fclose(f);
	return err;
}

int model_csv_write(const char *path, const struct model_data *d)
{
	struct model_file_tmp t;
	int err = model_file_begin(&t, path);

	if (err)
		return err;
	fprintf(t.f, "%s\n", MODEL_CSV_HEADER);
	for (size_t i = 0; i < d->n; i++) {
		const int *w = d->x[i].w;

		fprintf(t.f, "%d,%d,%d,%d,%d\n", w[0], w[1], w[2], w[3], d->y[i]);
	}
	return model_file_end(&t);
}
