#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "reconcile/link_table.h"
#include "reconcile/loader.h"

#define LINKS_DIR     "links"
#define PIN_PROGS_MAX 8

struct link_entry {
	int ifindex;
	unsigned int type;
	unsigned int prog_id;
};

struct cbpf_link_table {
	struct link_entry *entries; /* by ifindex, then type */
	size_t n, cap;
	struct {
		char name[64];
		unsigned int id;
	} pins[PIN_PROGS_MAX];
	size_t n_pins;
};

static const char *hook_name(unsigned int type)
{
	return type == CBPF_BPF_XDP	  ? "xdp"
	       : type == CBPF_TCX_INGRESS ? "tcx_ingress"
					  : "tcx_egress";
}

int link_pin_path(const struct cbpf_ctx *ctx, unsigned int type, int ifindex, char *buf,
		  size_t size)
{
	char dir[256];
	int n;

	cbpf_pin_path(ctx, LINKS_DIR, dir, sizeof(dir));
	/* bpffs refuses names with a dot. */
	n = snprintf(buf, size, "%s/%s-%d", dir, hook_name(type), ifindex);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int link_pin_dir_make(const struct cbpf_ctx *ctx)
{
	char dir[256];

	cbpf_pin_path(ctx, LINKS_DIR, dir, sizeof(dir));
	return mkdir(dir, 0700) && errno != EEXIST ? -errno : 0;
}

/* The hook and interface a pin's name gives, as link_pin_path writes it. */
static bool parse_pin_name(const char *name, struct link_entry *entry)
{
	static const unsigned int types[] = {CBPF_TCX_INGRESS, CBPF_TCX_EGRESS, CBPF_BPF_XDP};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t len = strlen(hook_name(types[i]));
		char *end;
		long ifindex;

		if (strncmp(name, hook_name(types[i]), len) || name[len] != '-')
			continue;
		errno = 0;
		ifindex = strtol(name + len + 1, &end, 10);
		if (errno || *end || ifindex <= 0 || ifindex > INT32_MAX)
			return false;
		entry->type = types[i];
		entry->ifindex = (int)ifindex;
		return true;
	}
	return false;
}

static int link_info_read(int link_fd, unsigned int *prog_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	*prog_id = info.prog_id;
	/* tcx.ifindex and xdp.ifindex share the first word of the union. */
	return (int)info.xdp.ifindex;
}

int link_fd_ifindex(int link_fd)
{
	unsigned int prog_id;

	return link_info_read(link_fd, &prog_id);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct link_entry *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return x->type < y->type ? -1 : x->type > y->type;
}

static int entry_add(struct cbpf_link_table *table, const struct link_entry *entry)
{
	if (table->n == table->cap) {
		size_t cap = table->cap ? 2 * table->cap : 256;
		struct link_entry *grown = realloc(table->entries, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		table->entries = grown;
		table->cap = cap;
	}
	table->entries[table->n++] = *entry;
	return 0;
}

/* One pin: recorded when live and named as ours, unpinned when its interface is gone. */
static int read_pin(struct cbpf_link_table *table, const char *path, const char *name, int *pruned)
{
	struct link_entry entry;
	int fd = bpf_obj_get(path), ifindex;

	if (fd < 0)
		return 0;
	ifindex = link_info_read(fd, &entry.prog_id);
	close(fd);
	if (ifindex <= 0) {
		unlink(path);
		if (!ifindex && pruned)
			(*pruned)++;
		return 0;
	}
	return parse_pin_name(name, &entry) ? entry_add(table, &entry) : 0;
}

int link_table_read(const struct cbpf_ctx *ctx, struct cbpf_link_table **out, int *pruned)
{
	struct cbpf_link_table *table = calloc(1, sizeof(*table));
	char dir[256], path[512];
	struct dirent *entry;
	int err = 0;
	DIR *d;

	*out = NULL;
	if (pruned)
		*pruned = 0;
	if (!table)
		return -ENOMEM;
	cbpf_pin_path(ctx, LINKS_DIR, dir, sizeof(dir));
	d = opendir(dir);
	if (!d && errno != ENOENT) {
		err = -errno;
		free(table);
		return err;
	}
	while (d && !err && (entry = readdir(d))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		err = read_pin(table, path, entry->d_name, pruned);
	}
	if (d)
		closedir(d);
	if (err) {
		link_table_free(table);
		return err;
	}
	qsort(table->entries, table->n, sizeof(*table->entries), entry_cmp);
	*out = table;
	return 0;
}

unsigned int link_table_prog(const struct cbpf_link_table *table, unsigned int type, int ifindex)
{
	const struct link_entry key = {.ifindex = ifindex, .type = type};
	const struct link_entry *found =
	    bsearch(&key, table->entries, table->n, sizeof(key), entry_cmp);

	return found ? found->prog_id : 0;
}

unsigned int link_table_pin_prog(const struct cbpf_ctx *ctx, struct cbpf_link_table *table,
				 const char *pin)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd;

	for (size_t i = 0; i < table->n_pins; i++)
		if (!strcmp(table->pins[i].name, pin))
			return table->pins[i].id;
	fd = cbpf_pin_open_cached(ctx, pin);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	if (info.id && table->n_pins < PIN_PROGS_MAX && strlen(pin) < sizeof(table->pins[0].name)) {
		snprintf(table->pins[table->n_pins].name, sizeof(table->pins[0].name), "%s", pin);
		table->pins[table->n_pins++].id = info.id;
	}
	return info.id;
}

void link_table_free(struct cbpf_link_table *table)
{
	if (!table)
		return;
	free(table->entries);
	free(table);
}
