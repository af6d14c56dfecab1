/*
 * cbpfnet's pinned links, <pin dir>/links/<hook>-<ifindex> (attach_link.c), and a snapshot of
 * them read once for a pass over every endpoint: at thousands of endpoints, opening each
 * endpoint's links one by one to learn whether they are live and hold today's programs was most
 * of the agent's start.
 */
#ifndef CBPF_LINK_TABLE_H
#define CBPF_LINK_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/cmd.h"

/* The pin of the link of attach type on ifindex; -ENAMETOOLONG when buf is too small. */
int link_pin_path(const struct cbpf_ctx *ctx, unsigned int type, int ifindex, char *buf,
		  size_t size);
/* The directory the pins are in, made when missing: only a new link needs it. */
int link_pin_dir_make(const struct cbpf_ctx *ctx);
/* The interface a link holds its program on; 0 once the interface is gone, or -errno. */
int link_fd_ifindex(int link_fd);

/*
 * Reads every pinned link; one whose interface is gone is unpinned on the way and counted in
 * *pruned (NULL: not counted). A missing directory reads as no links.
 */
int link_table_read(const struct cbpf_ctx *ctx, struct cbpf_link_table **out, int *pruned);
/* The id of the program the live link of attach type on ifindex holds, 0 when there is none. */
unsigned int link_table_prog(const struct cbpf_link_table *table, unsigned int type, int ifindex);
/*
 * The id of the program pinned as pin, remembered for the table's life: the programs do not
 * change during a pass. 0 when it cannot be read.
 */
unsigned int link_table_pin_prog(const struct cbpf_ctx *ctx, struct cbpf_link_table *table,
				 const char *pin);
void link_table_free(struct cbpf_link_table *table);

#endif
