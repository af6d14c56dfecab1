/*
 * Remembered contents of the maps this process wrote. A policy reload refills the idle
 * generation with nearly what it held before; writing only the difference saves the kernel
 * one locked insertion per unchanged entry, which was most of a reload.
 */
#include <bpf/bpf.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/radix.h"
#include "reconcile/map_cache.h"
#include "reconcile/map_fill.h"

/* The three maps of both policy generations, and room to spare. */
#define RECORDS 8

struct record {
	__u32 id; /* 0: unused */
	uint64_t used;
	size_t key_size, value_size, n;
	char *keys, *values;	/* as last written */
	size_t *order, n_order; /* by_key() of them, once a difference needed it */
};

static struct record records[RECORDS];
static uint64_t uses;

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static struct record *find(__u32 id)
{
	for (int i = 0; i < RECORDS; i++)
		if (id && records[i].id == id)
			return &records[i];
	return NULL;
}

static void forget(struct record *r)
{
	free(r->keys);
	free(r->values);
	free(r->order);
	memset(r, 0, sizeof(*r));
}

struct entries {
	const char *keys, *values;
	size_t key_size, value_size, n;
};

/*
 * memcmp's order, a word at a time for the policy maps' keys (8 and 16 bytes): sorting three
 * maps' keys twice a reload through memcmp calls was a tenth of a reload.
 */
static int key_cmp(const char *a, const char *b, size_t size)
{
	uint64_t x, y;

	if (size % sizeof(x))
		return memcmp(a, b, size);
	for (size_t i = 0; i < size; i += sizeof(x)) {
		memcpy(&x, a + i, sizeof(x));
		memcpy(&y, b + i, sizeof(y));
		if (x != y)
			return be64toh(x) < be64toh(y) ? -1 : 1;
	}
	return 0;
}

/* Indices of the entries in key order (memcmp's), one per key: the last of a repeated one. */
static size_t *by_key(const struct entries *e, size_t *n)
{
	size_t *idx = radix_order(e->keys, e->key_size, e->n), m = 0;

	if (!idx)
		return NULL;
	for (size_t i = 0; i < e->n; i++)
		if (i + 1 == e->n || key_cmp(e->keys + idx[i] * e->key_size,
					     e->keys + idx[i + 1] * e->key_size, e->key_size))
			idx[m++] = idx[i];
	*n = m;
	return idx;
}

#define SAMPLE 64

/*
 * Whether filling the spare clearly costs the kernel fewer operations than the difference,
 * judged from SAMPLE of new's entries looked up in fd, which holds old's: then new's keys need
 * no sorting, which was a twentieth of a reload whose every rule is new. A wrong guess costs
 * only time: either way the map ends up holding new's entries. Only a clear case is taken; the
 * rest is counted exactly.
 */
static bool spare_clearly_cheaper(int fd, const struct entries *old, const struct entries *new)
{
	size_t ks = new->key_size, vs = new->value_size, step = new->n / SAMPLE, same_key = 0,
	       same_entry = 0, drops, puts;
	char value[64];

	if (new->n < SAMPLE || ks != old->key_size || vs != old->value_size || vs > sizeof(value))
		return false;
	for (size_t i = 0; i < SAMPLE; i++) {
		if (bpf_map_lookup_elem(fd, new->keys + i *step *ks, value))
			continue;
		same_key++;
		same_entry += !memcmp(value, new->values + i *step *vs, vs);
	}
	/* The difference's deletes and writes, scaled from the sample, against a fill. */
	drops = old->n - (old->n < same_key * new->n / SAMPLE ? old->n : same_key *new->n / SAMPLE);
	puts = new->n - same_entry *new->n / SAMPLE;
	return drops + puts > new->n + new->n / 2;
}

/*
 * Deletes the keys only old has, then writes the entries new adds or changes; or, when that
 * costs the kernel more operations than filling the empty map spare with new's entries, fills
 * spare instead (*wrote says which). Takes old's by_key() from r (made here the first time) and
 * leaves new's in *in, unless the spare was filled without comparing.
 */
static int difference(int fd, int spare, struct record *r, const struct entries *new, size_t **in,
		      size_t *n_new, int *wrote)
{
	const struct entries e_old = {r->keys, r->values, r->key_size, r->value_size, r->n},
			     *old = &e_old;
	size_t ks = new->key_size, vs = new->value_size, n_old, i = 0, j = 0, n_drop = 0, n_put = 0;

	*in = NULL;
	*n_new = 0;
	if (spare >= 0 && spare_clearly_cheaper(fd, old, new)) {
		*wrote = spare;
		return map_fill(spare, new->keys, ks, new->values, vs, new->n);
	}
	size_t *io = r->order ? r->order : (r->order = by_key(old, &r->n_order));

	n_old = r->n_order;
	*in = by_key(new, n_new);
	char *drop = malloc(old->n * ks + 1), *put_keys = malloc(new->n *ks + 1),
	     *put_values = malloc(new->n *vs + 1);
	int err = -ENOMEM;

	*wrote = fd;
	if (io && *in && drop && put_keys && put_values) {
		while (i < n_old || j < *n_new) {
			const char *ko = i < n_old ? old->keys + io[i] * ks : NULL;
			const char *kn = j < *n_new ? new->keys + (*in)[j] * ks : NULL;
			int c = !ko ? 1 : !kn ? -1 : key_cmp(ko, kn, ks);

			if (c < 0) {
				memcpy(drop + n_drop++ * ks, ko, ks);
			} else if (c > 0 || memcmp(old->values + io[i] * vs,
						   new->values + (*in)[j] * vs, vs)) {
				memcpy(put_keys + n_put * ks, kn, ks);
				memcpy(put_values + n_put++ * vs, new->values + (*in)[j] * vs, vs);
			}
			i += c <= 0;
			j += c >= 0;
		}
		if (spare >= 0 && n_drop + n_put > *n_new) {
			*wrote = spare;
			err = map_fill(spare, new->keys, ks, new->values, vs, new->n);
		} else {
			err = map_drop(fd, drop, ks, n_drop);
			err = err ?: map_fill(fd, put_keys, ks, put_values, vs, n_put);
		}
	}
	free(drop);
	free(put_keys);
	free(put_values);
	return err;
}

static bool same(const struct record *r, const struct entries *e)
{
	return r->n == e->n && !memcmp(r->keys, e->keys, e->n * e->key_size) &&
	       !memcmp(r->values, e->values, e->n * e->value_size);
}

bool map_cache_reusable(int fd, size_t n)
{
	struct bpf_map_info info;

	return !map_info(fd, &info) && find(info.id) && n <= info.max_entries;
}

static struct record *least_used(void)
{
	struct record *r = &records[0];

	for (int i = 1; i < RECORDS; i++)
		if (records[i].used < r->used)
			r = &records[i];
	return r;
}

int map_cache_write_or(int fd, int spare, const void *keys, size_t key_size, const void *values,
		       size_t value_size, size_t n, int *wrote)
{
	struct entries new = {keys, values, key_size, value_size, n};
	struct bpf_map_info info;
	struct record *r;
	size_t *order = NULL, n_order = 0;
	int err = map_info(fd, &info);

	*wrote = fd;
	if (err)
		return err;
	r = find(info.id);
	if (r && same(r, &new)) {
		r->used = ++uses;
		return 0;
	}
	if (r) {
		err = difference(fd, spare, r, &new, &order, &n_order, wrote);
	} else {
		err = map_fill(fd, keys, key_size, values, value_size, n);
		r = least_used();
	}
	/* Filled instead, the spare is the map recorded; fd's contents are no longer known. */
	if (!err && *wrote != fd)
		err = map_info(spare, &info);
	forget(r);
	r->keys = err ? NULL : malloc(n * key_size + 1);
	r->values = err ? NULL : malloc(n * value_size + 1);
	if (!r->keys || !r->values) {
		/* Without the memory, the map is right but no longer known. */
		forget(r);
		free(order);
		return err;
	}
	memcpy(r->keys, keys, n * key_size);
	memcpy(r->values, values, n * value_size);
	*r = (struct record){info.id, ++uses,	 key_size, value_size, n,
			     r->keys, r->values, order,	   n_order};
	return 0;
}

int map_cache_write(int fd, const void *keys, size_t key_size, const void *values,
		    size_t value_size, size_t n)
{
	int wrote;

	return map_cache_write_or(fd, -1, keys, key_size, values, value_size, n, &wrote);
}
