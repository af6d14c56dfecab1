/* Sorting many fixed-size keys without a comparison per pair. */
#ifndef CBPF_CORE_RADIX_H
#define CBPF_CORE_RADIX_H

#include <stddef.h>

/*
 * The indices of n keys of key_size bytes in memcmp's order, equal keys in their first order
 * (a stable sort): n + 1 of them to free, NULL without memory. Keys meant to sort as numbers
 * are written big-endian.
 */
size_t *radix_order(const void *keys, size_t key_size, size_t n);

#endif
