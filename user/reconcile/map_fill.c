/*
 * One batch call per map: a syscall per entry cost more than the insertion itself. Kernels
 * before 5.13 have no batch ops for LPM tries; there, and to find the entry a failed batch
 * stopped at, the entries go one by one (the map is not live, so writing an entry a second
 * time is harmless).
 */
#include <bpf/bpf.h>
#include <errno.h>

#include "reconcile/map_fill.h"

int map_fill(int fd, const void *keys, size_t key_size, const void *values, size_t value_size,
	     size_t n)
{
	__u32 count = n;

	if (!n || !bpf_map_update_batch(fd, keys, values, &count, NULL))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (bpf_map_update_elem(fd, (const char *)keys + i * key_size,
					(const char *)values + i * value_size, BPF_ANY))
			return -errno;
	return 0;
}

int map_drop(int fd, const void *keys, size_t key_size, size_t n)
{
	__u32 count = n;

	if (!n || !bpf_map_delete_batch(fd, keys, &count, NULL))
		return 0;
	/* A failed batch may have deleted some: those are gone already, not an error here. */
	for (size_t i = 0; i < n; i++)
		if (bpf_map_delete_elem(fd, (const char *)keys + i * key_size) && errno != ENOENT)
			return -errno;
	return 0;
}
