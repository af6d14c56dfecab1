/*
 * A stable radix sort, a byte at a time from the last, skipping bytes every key shares; the
 * counts of every byte come from one pass over the keys in memory order. Sorting tens of
 * thousands of policy keys through qsort's comparisons was a tenth of a reload.
 */
#include <stdlib.h>

#include "core/radix.h"

size_t *radix_order(const void *keys, size_t key_size, size_t n)
{
	size_t *idx = malloc((n + 1) * sizeof(*idx)), *tmp = malloc((n + 1) * sizeof(*tmp));
	size_t(*count)[256] = calloc(key_size + 1, sizeof(*count));
	const unsigned char *k = keys;

	if (!idx || !tmp || !count) {
		free(idx);
		free(tmp);
		free(count);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		idx[i] = i;
		for (size_t b = 0; b < key_size; b++)
			count[b][k[i * key_size + b]]++;
	}
	for (size_t b = key_size; b-- > 0;) {
		size_t sum = 0, *swap;

		if (!n || count[b][k[b]] == n)
			continue;
		for (int d = 0; d < 256; d++) {
			size_t c = count[b][d];

			count[b][d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			tmp[count[b][k[idx[i] * key_size + b]]++] = idx[i];
		swap = idx;
		idx = tmp;
		tmp = swap;
	}
	free(tmp);
	free(count);
	return idx;
}
