/* Writing a BPF map that is not live, from packed key and value arrays. */
#ifndef CBPF_MAP_FILL_H
#define CBPF_MAP_FILL_H

#include <stddef.h>

/* Writes n entries (BPF_ANY); 0 or -errno of the first entry the kernel refused. */
int map_fill(int fd, const void *keys, size_t key_size, const void *values, size_t value_size,
	     size_t n);
/* Deletes n entries that the map holds; 0 or -errno of the first it could not delete. */
int map_drop(int fd, const void *keys, size_t key_size, size_t n);

#endif
