#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/store_changes.h"
#include "agent/store_diff.h"

/* Where key is or would go in kind k's sorted array of o; *found says whether it is there. */
static size_t find(struct cbpf_objects *o, enum store_kind k, const void *key, bool *found)
{
	size_t *n, lo = 0, hi, size = store_kind_size(k);
	const char *items = *store_kind_items(o, k, &n);

	hi = *n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = store_kind_cmp(k, items + mid * size, key);

		if (!c) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Puts item in its place in o's array of kind k, over the object of the same key if any. */
static int put(struct cbpf_objects *o, enum store_kind k, const void *item)
{
	size_t *n, size = store_kind_size(k);
	void **items = store_kind_items(o, k, &n);
	bool found;
	size_t at = find(o, k, item, &found);
	char *grown;

	if (!found) {
		grown = realloc(*items, (*n + 1) * size);
		if (!grown)
			return -ENOMEM;
		memmove(grown + (at + 1) * size, grown + at * size, (*n - at) * size);
		*items = grown;
		(*n)++;
	}
	memcpy((char *)*items + at * size, item, size);
	return 0;
}

static void drop(struct cbpf_objects *o, enum store_kind k, const void *key)
{
	size_t *n, size = store_kind_size(k);
	char *items = *store_kind_items(o, k, &n);
	bool found;
	size_t at = find(o, k, key, &found);

	if (!found)
		return;
	memmove(items + at * size, items + (at + 1) * size, (*n - at - 1) * size);
	(*n)--;
}

int store_changes_add(struct store_changes *c, const struct cbpf_objects *gone,
		      const struct cbpf_objects *came)
{
	int err = 0;

	for (int k = 0; k < STORE_KINDS; k++) {
		size_t *n_gone, *n_came, size = store_kind_size(k);
		const char *g = *store_kind_items((struct cbpf_objects *)gone, k, &n_gone);
		const char *w = *store_kind_items((struct cbpf_objects *)came, k, &n_came);

		/* Removals first: a commit that rewrites an object hands it over in both. */
		for (size_t i = 0; i < *n_gone && !err; i++) {
			drop(&c->came, k, g + i * size);
			err = put(&c->gone, k, g + i * size);
		}
		for (size_t i = 0; i < *n_came && !err; i++) {
			drop(&c->gone, k, w + i * size);
			err = put(&c->came, k, w + i * size);
		}
	}
	return err;
}

/* Copies into was the objects of view that c touches, as they were: sorted, since c's are. */
static int touched_before(struct cbpf_objects *view, struct store_changes *c,
			  struct cbpf_objects *was)
{
	int err = 0;

	for (int k = 0; k < STORE_KINDS && !err; k++) {
		struct cbpf_objects *sets[] = {&c->came, &c->gone};
		size_t size = store_kind_size(k);

		for (int s = 0; s < 2 && !err; s++) {
			size_t *n, *n_view;
			const char *items = *store_kind_items(sets[s], k, &n);
			const char *in_view = *store_kind_items(view, k, &n_view);

			for (size_t i = 0; i < *n && !err; i++) {
				bool found;
				size_t at = find(view, k, items + i * size, &found);

				if (found)
					err = put(was, k, in_view + at * size);
			}
		}
	}
	return err;
}

int store_changes_apply(struct cbpf_objects *view, struct store_changes *c,
			void (*emit)(void *arg, json_object *change), void *arg)
{
	struct cbpf_objects was = {0};
	int err = touched_before(view, c, &was);

	if (!err)
		store_view_diff(&was, &c->came, emit, arg);
	for (int k = 0; k < STORE_KINDS && !err; k++) {
		size_t *n_gone, *n_came, size = store_kind_size(k);
		const char *g = *store_kind_items(&c->gone, k, &n_gone);
		const char *w = *store_kind_items(&c->came, k, &n_came);

		for (size_t i = 0; i < *n_gone; i++)
			drop(view, k, g + i * size);
		for (size_t i = 0; i < *n_came && !err; i++)
			err = put(view, k, w + i * size);
	}
	state_objects_free(&was);
	store_changes_free(c);
	return err;
}

void store_changes_free(struct store_changes *c)
{
	state_objects_free(&c->came);
	state_objects_free(&c->gone);
}
