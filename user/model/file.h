/* Whole-file replacement: write to a temporary sibling, then rename over the target. */
#ifndef CBPF_MODEL_FILE_H
#define CBPF_MODEL_FILE_H

#include <stdio.h>

struct model_file_tmp {
	FILE *f;
	const char *path;
	char tmp[4096];
};

/* Opens "<path>.tmp.<pid>" for writing; reports and returns -errno on failure. */
int model_file_begin(struct model_file_tmp *t, const char *path);
/* Closes and renames over the target; on any failure removes the temporary file, reports and
 * returns -errno. */
int model_file_end(struct model_file_tmp *t);

#endif
