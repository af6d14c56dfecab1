/* radix_order against qsort with memcmp: the same order, equal keys in their first order. */
#include <stdlib.h>
#include <string.h>

#include "core/radix.h"
#include "tap.h"

#define N    20000
#define SIZE 6

static const unsigned char *base;

/* memcmp, then the index: the stable order. */
static int cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = memcmp(base + x * SIZE, base + y * SIZE, SIZE);

	return c ? c : (x > y) - (x < y);
}

int main(void)
{
	unsigned char *keys = malloc(N * SIZE);
	size_t *want = malloc(N * sizeof(*want)), *got;
	unsigned int seed = 12345;

	for (size_t i = 0; i < N; i++) {
		seed = seed * 1103515245 + 12345;
		/* Byte 0 shared by every key (skipped), few values in 1 and 2 (many equal keys). */
		keys[i * SIZE] = 7;
		keys[i * SIZE + 1] = seed >> 28;
		keys[i * SIZE + 2] = (seed >> 20) & 3;
		keys[i * SIZE + 3] = i % 3 ? 0 : seed >> 8;
		keys[i * SIZE + 4] = 0;
		keys[i * SIZE + 5] = i % 5 ? 0 : seed >> 16;
		want[i] = i;
	}
	base = keys;
	qsort(want, N, sizeof(*want), cmp);
	got = radix_order(keys, SIZE, N);
	CHECK(got && !memcmp(got, want, N * sizeof(*want)),
	      "%d keys: qsort's order, equal keys in their first order", N);
	free(got);
	got = radix_order(keys, SIZE, 0);
	CHECK(got != NULL, "no keys: an empty order");
	free(got);
	got = radix_order(keys, SIZE, 1);
	CHECK(got && got[0] == 0, "one key: itself");
	free(got);
	free(keys);
	free(want);
	TAP_EXIT();
}
