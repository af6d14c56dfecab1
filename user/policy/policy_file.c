/* Policy files and directories of them read from disk, then parsed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/json_in.h"
#include "policy/policy_rules.h"

char *policy_read_text(const char *path, size_t *len, char *err, size_t err_size)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	long size;

	if (!f) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) ||
	    !(buf = malloc(size + 1)) || fread(buf, 1, size, f) != (size_t)size) {
		snprintf(err, err_size, "%s: cannot read: %s", path, strerror(errno ? errno : EIO));
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	fclose(f);
	if (strlen(buf) != (size_t)size) {
		snprintf(err, err_size, "%s:%d: NUL byte in a text file", path,
			 json_in_line(buf, strlen(buf)));
		free(buf);
		return NULL;
	}
	*len = size;
	return buf;
}

/* The text is the set's from here on, parsed or not. */
int policy_parse_source(const char *name, char *text, size_t len, struct pol_set *set, char *err,
			size_t err_size)
{
	struct pol_source *grown = realloc(set->sources, (set->n_sources + 1) * sizeof(*grown));
	char *copy = strdup(name);
	int e;

	if (grown)
		set->sources = grown;
	if (!grown || !copy) {
		free(copy);
		free(text);
		return -ENOMEM;
	}
	e = policy_parse_text(name, text, set, err, err_size);
	if (e) {
		free(copy);
		free(text);
		return e;
	}
	set->sources[set->n_sources++] = (struct pol_source){copy, text, len};
	set->n_files++;
	return 0;
}

static int parse_file(const char *path, struct pol_set *set, char *err, size_t err_size)
{
	size_t len;
	char *text = policy_read_text(path, &len, err, err_size);

	return text ? policy_parse_source(path, text, len, set, err, err_size) : -EINVAL;
}

static int json_name(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 5 && !strcmp(d->d_name + len - 5, ".json");
}

int policy_parse_path(const char *path, struct pol_set *set, char *err, size_t err_size)
{
	struct dirent **names;
	char file[CBPF_PATH_MAX * 2];
	int n, e = 0;
	DIR *d = opendir(path);

	if (!d)
		return errno == ENOTDIR
			   ? parse_file(path, set, err, err_size)
			   : (snprintf(err, err_size, "%s: %s", path, strerror(errno)), -EINVAL);
	closedir(d);
	n = scandir(path, &names, json_name, alphasort);
	if (n < 0) {
		snprintf(err, err_size, "%s: %s", path, strerror(errno));
		return -EINVAL;
	}
	for (int i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		if (!e)
			e = parse_file(file, set, err, err_size);
		free(names[i]);
	}
	free(names);
	return e;
}
