/* New maps shaped like a pinned one, for policy generations and their spare. */
#ifndef CBPF_MAP_LIKE_H
#define CBPF_MAP_LIKE_H

#include <linux/types.h>

/*
 * A map of like_fd's type, flags, sizes and BTF (so tools print it with field names), holding
 * max_entries; an fd or -errno.
 */
int map_like(int like_fd, const char *name, __u32 max_entries);

#endif
