#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>

#include "core/dlib.h"

int dlib_open(const char *soname, const struct dlib_symbol *syms, size_t n, char *msg, size_t size)
{
	void *lib = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(msg, size, "load %s: %s", soname, dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < n; i++) {
		*syms[i].slot = dlsym(lib, syms[i].name);
		if (!*syms[i].slot) {
			snprintf(msg, size, "%s has no %s", soname, syms[i].name);
			return -ENOSYS;
		}
	}
	return 0;
}
