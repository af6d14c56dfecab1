/* Named network namespaces under /run/netns, made and removed the way `ip netns add/del` do. */
#ifndef CBPF_NETNS_H
#define CBPF_NETNS_H

#include <stdbool.h>

/* A name (not a path) a namespace can be created under. */
bool netns_valid_name(const char *name);
/* Creates /run/netns/NAME; -EEXIST when it is there already. The caller's namespace is kept. */
int netns_create(const char *name);
/* Unmounts and removes /run/netns/NAME; the kernel frees the namespace with its last user. */
int netns_delete(const char *name);
/* The namespace open on fd is the caller's own (the host's, for cbpfnet). */
bool netns_is_own(int fd);

/* Enters the namespace on ns_fd; *self keeps the caller's to go back to. */
int netns_enter(int ns_fd, int *self);
/* Back to self (closed); returns err, or the failure to go back if err was 0. */
int netns_leave(int self, int err);

#endif
