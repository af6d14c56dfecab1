/*
 * Maps this process wrote, and what it wrote into each, so that writing one of them again
 * changes only the entries that differ. Only the writer knows a map's contents this way: a
 * map written by another process counts as unknown.
 */
#ifndef CBPF_MAP_CACHE_H
#define CBPF_MAP_CACHE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether the map can be rewritten to hold n entries: this process knows what it holds and it
 * has room. Rewriting costs a write per entry that differs (a delete and a write when a key
 * changes), never more than twice a fresh fill, and spares the RCU grace period of storing a
 * fresh map into an array of maps, which cost more than the writes it saved.
 */
bool map_cache_reusable(int fd, size_t n);
/*
 * Makes the map hold exactly these n entries (of a repeated key, the last), and remembers
 * them. A map that is not known must be empty. On an error the map is no longer known.
 */
int map_cache_write(int fd, const void *keys, size_t key_size, const void *values,
		    size_t value_size, size_t n);
/*
 * As map_cache_write, but when rewriting fd costs the kernel more operations than n (more
 * deletes and writes than entries: most keys changed) and spare >= 0, fills spare instead, an
 * empty map that is not known, which is then known and fd no longer. *wrote is the map written,
 * on an error too.
 */
int map_cache_write_or(int fd, int spare, const void *keys, size_t key_size, const void *values,
		       size_t value_size, size_t n, int *wrote);

#endif
