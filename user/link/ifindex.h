/*
 * Interfaces looked up by name many times in one pass. if_nametoindex opens, asks and closes a
 * socket each time; at an agent's start with 5000 veth endpoints that was 45000 system calls
 * where 15000 do.
 */
#ifndef CBPF_LINK_IFINDEX_H
#define CBPF_LINK_IFINDEX_H

struct link_ifindex {
	int fd; /* a socket of the namespace the lookups answer for */
};

/* Opens the lookups of the caller's namespace; 0 or -errno. */
int link_ifindex_open(struct link_ifindex *lookup);
void link_ifindex_close(struct link_ifindex *lookup);
/*
 * name's index in lookup's namespace, whichever namespace the thread is in, or 0 when it has
 * none (errno set), as if_nametoindex answers. A NULL lookup is if_nametoindex.
 */
unsigned int link_ifindex(const struct link_ifindex *lookup, const char *name);

#endif
