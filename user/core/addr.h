/* IPv4 and MAC address parsing and arithmetic; all addresses in network byte order. */
#ifndef CBPF_ADDR_H
#define CBPF_ADDR_H

#include <stdbool.h>
#include <stdint.h>

#define CBPF_IP_STRLEN	16
#define CBPF_MAC_STRLEN 18

struct cbpf_cidr {
	uint32_t addr; /* network address, host bits cleared */
	uint8_t prefix_len;
};

int cbpf_parse_ip(const char *text, uint32_t *ip);
/* Rejects host bits set ("10.0.0.1/24"): a subnet must name a network. */
int cbpf_parse_cidr(const char *text, struct cbpf_cidr *cidr);
int cbpf_parse_mac(const char *text, uint8_t mac[6]);
void cbpf_format_ip(uint32_t ip, char buf[CBPF_IP_STRLEN]);
void cbpf_format_cidr(const struct cbpf_cidr *cidr, char *buf, unsigned long size);
void cbpf_format_mac(const uint8_t mac[6], char buf[CBPF_MAC_STRLEN]);

uint32_t cbpf_prefix_mask(uint8_t prefix_len); /* network byte order */
bool cbpf_cidr_contains(const struct cbpf_cidr *cidr, uint32_t ip);
bool cbpf_cidr_overlap(const struct cbpf_cidr *a, const struct cbpf_cidr *b);
/* Host addresses exclude the network and broadcast addresses. */
bool cbpf_cidr_is_host(const struct cbpf_cidr *cidr, uint32_t ip);
/* The n-th host address (1-based) of the subnet, or 0 when out of range. */
uint32_t cbpf_cidr_host(const struct cbpf_cidr *cidr, uint32_t n);
/* The special-purpose block a subnet overlaps (e.g. "127.0.0.0/8 (loopback)"), or NULL. */
const char *cbpf_subnet_special(const struct cbpf_cidr *cidr);
/* The block of an address no peer can send unicast to (0/8, loopback, multicast, 240/4), or NULL.
 */
const char *cbpf_ip_not_unicast(uint32_t ip);

#endif
