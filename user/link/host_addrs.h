/* This namespace's IPv4 interface addresses. */
#ifndef CBPF_HOST_ADDRS_H
#define CBPF_HOST_ADDRS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Every IPv4 address of every interface, network byte order, in *addrs (allocated, *n of
 * them); 0 or -errno. Asks netlink for IPv4 addresses alone, which the kernel answers without
 * the RTNL lock; getifaddrs also dumps every link under it and waited up to a second behind
 * other namespaces being created or removed.
 */
int host_addrs_v4(uint32_t **addrs, size_t *n);

#endif
