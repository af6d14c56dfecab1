/* The names of this namespace's interfaces. */
#ifndef CBPF_HOST_LINKS_H
#define CBPF_HOST_LINKS_H

#include <net/if.h>
#include <stddef.h>
#include <stdio.h>

/*
 * Every interface of the calling thread's network namespace, in *names (allocated, *n of them);
 * 0 or -errno. Read from /proc/thread-self/net/dev, not an RTM_GETLINK dump: for each veth in a
 * dump the kernel looks up the id of the peer's namespace by walking the table of every
 * namespace id, and with 5000 veths on a host one dump took half a second.
 */
int host_link_names(char (**names)[IFNAMSIZ], size_t *n);
/* The same from an open file in the format of /proc/net/dev; -EINVAL on a line not in it. */
int host_link_names_parse(FILE *dev, char (**names)[IFNAMSIZ], size_t *n);

#endif
