#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link/host_links.h"

/* Two header lines, then one line per interface: its name, a colon, its counters. */
#define DEV_HEADER_LINES 2

static int grow(char (**names)[IFNAMSIZ], size_t *cap)
{
	size_t grown_cap = *cap ? 2 * *cap : 64;
	char(*grown)[IFNAMSIZ] = realloc(*names, grown_cap * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	*names = grown;
	*cap = grown_cap;
	return 0;
}

int host_link_names_parse(FILE *dev, char (**names)[IFNAMSIZ], size_t *n)
{
	size_t cap = 0, line_no = 0, len;
	char line[1024];
	int err = 0;

	*names = NULL;
	*n = 0;
	while (!err && fgets(line, sizeof(line), dev)) {
		char *name = line + strspn(line, " "), *colon = strchr(name, ':');

		if (++line_no <= DEV_HEADER_LINES)
			continue;
		len = colon ? (size_t)(colon - name) : 0;
		if (!len || len >= IFNAMSIZ || memchr(name, ' ', len))
			err = -EINVAL;
		else if (*n < cap || !(err = grow(names, &cap))) {
			memcpy((*names)[*n], name, len);
			(*names)[(*n)++][len] = '\0';
		}
	}
	if (err) {
		free(*names);
		*names = NULL;
		*n = 0;
	}
	return err;
}

int host_link_names(char (**names)[IFNAMSIZ], size_t *n)
{
	FILE *dev = fopen("/proc/thread-self/net/dev", "re");
	int err;

	if (!dev) {
		*names = NULL;
		*n = 0;
		return -errno;
	}
	err = host_link_names_parse(dev, names, n);
	fclose(dev);
	return err;
}
