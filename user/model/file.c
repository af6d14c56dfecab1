#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "model/file.h"

int model_file_begin(struct model_file_tmp *t, const char *path)
{
	t->path = path;
	if (snprintf(t->tmp, sizeof(t->tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(t->tmp)) {
		cbpf_err("%s: path too long", path);
		return -ENAMETOOLONG;
	}
	t->f = fopen(t->tmp, "w");
	if (!t->f) {
		int err = -errno;

		cbpf_err("cannot write %s: %s", path, strerror(-err));
		return err;
	}
	return 0;
}

int model_file_end(struct model_file_tmp *t)
{
	int err = 0;

	if (ferror(t->f))
		err = -EIO;
	if (fclose(t->f) && !err)
		err = -errno;
	if (!err && rename(t->tmp, t->path))
		err = -errno;
	if (err) {
		unlink(t->tmp);
		cbpf_err("cannot write %s: %s", t->path, strerror(-err));
	}
	return err;
}
