/* Gratuitous ARP: an address that changed host announced from its new interface. */
#ifndef CBPF_GARP_H
#define CBPF_GARP_H

#include <stdint.h>

/*
 * Sends a gratuitous ARP request and reply for ip (network byte order) with mac from ifname in
 * namespace netns (a name under /run/netns or a path), from a raw packet socket: neighbours
 * that cached the address's former owner learn the new one without waiting out their cache.
 */
int garp_announce(const char *netns, const char *ifname, uint32_t ip, const uint8_t mac[6]);

#endif
