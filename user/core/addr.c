#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"

/*
 * A dotted quad from p up to end, as inet_pton(AF_INET) takes one: four decimal octets up to 255
 * without leading zeros, nothing else. By hand: through inet_pton, the CIDR selectors of a
 * 10 000-rule policy file were 3 % of its reload.
 */
static int parse_quad(const char *p, const char *end, uint32_t *ip)
{
	uint32_t addr = 0, v = 0;
	int octets = 0;
	bool digit = false;

	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9') {
			if ((digit && !v) || (v = v * 10 + (*p - '0')) > 255)
				return -EINVAL;
			if (!digit && ++octets > 4)
				return -EINVAL;
			digit = true;
		} else if (*p == '.' && digit && octets < 4) {
			addr = addr << 8 | v;
			v = 0;
			digit = false;
		} else {
			return -EINVAL;
		}
	}
	if (octets < 4)
		return -EINVAL;
	*ip = htonl(addr << 8 | v);
	return 0;
}

int cbpf_parse_ip(const char *text, uint32_t *ip)
{
	return text ? parse_quad(text, text + strlen(text), ip) : -EINVAL;
}

uint32_t cbpf_prefix_mask(uint8_t prefix_len)
{
	return prefix_len ? htonl(~0u << (32 - prefix_len)) : 0;
}

int cbpf_parse_cidr(const char *text, struct cbpf_cidr *cidr)
{
	const char *slash;
	char *end;
	long len;
	uint32_t ip;

	if (!text)
		return -EINVAL;
	slash = strchr(text, '/');
	if (!slash || slash == text)
		return -EINVAL;
	/* One or two plain digits read here, anything else as strtol reads it. */
	end = (char *)slash + 1;
	for (len = 0; *end >= '0' && *end <= '9' && end - slash <= 2; end++)
		len = len * 10 + (*end - '0');
	errno = 0;
	if (end == slash + 1 || (*end >= '0' && *end <= '9'))
		len = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || len < 0 || len > 32)
		return -EINVAL;
	if (parse_quad(text, slash, &ip))
		return -EINVAL;
	if (ip & ~cbpf_prefix_mask(len))
		return -EINVAL;
	cidr->addr = ip;
	cidr->prefix_len = len;
	return 0;
}

int cbpf_parse_mac(const char *text, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;

	if (!text || sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
			    &b[5], &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	return 0;
}

/* By hand: inet_ntop formats with sprintf, and a policy snapshot formats one per CIDR rule. */
void cbpf_format_ip(uint32_t ip, char buf[CBPF_IP_STRLEN])
{
	const unsigned char *octet = (const unsigned char *)&ip;

	for (int i = 0; i < 4; i++) {
		if (octet[i] >= 100)
			*buf++ = '0' + octet[i] / 100;
		if (octet[i] >= 10)
			*buf++ = '0' + octet[i] / 10 % 10;
		*buf++ = '0' + octet[i] % 10;
		*buf++ = i < 3 ? '.' : '\0';
	}
}

void cbpf_format_cidr(const struct cbpf_cidr *cidr, char *buf, unsigned long size)
{
	char ip[CBPF_IP_STRLEN];

	cbpf_format_ip(cidr->addr, ip);
	snprintf(buf, size, "%s/%u", ip, cidr->prefix_len);
}

void cbpf_format_mac(const uint8_t mac[6], char buf[CBPF_MAC_STRLEN])
{
	snprintf(buf, CBPF_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
		 mac[3], mac[4], mac[5]);
}

bool cbpf_cidr_contains(const struct cbpf_cidr *cidr, uint32_t ip)
{
	return (ip & cbpf_prefix_mask(cidr->prefix_len)) == cidr->addr;
}

bool cbpf_cidr_overlap(const struct cbpf_cidr *a, const struct cbpf_cidr *b)
{
	uint8_t shorter = a->prefix_len < b->prefix_len ? a->prefix_len : b->prefix_len;
	uint32_t mask = cbpf_prefix_mask(shorter);

	return (a->addr & mask) == (b->addr & mask);
}

bool cbpf_cidr_is_host(const struct cbpf_cidr *cidr, uint32_t ip)
{
	uint32_t host_mask = ~cbpf_prefix_mask(cidr->prefix_len);

	if (!cbpf_cidr_contains(cidr, ip))
		return false;
	if (cidr->prefix_len >= 31)
		return true;
	return (ip & host_mask) != 0 && (ip & host_mask) != host_mask;
}

uint32_t cbpf_cidr_host(const struct cbpf_cidr *cidr, uint32_t n)
{
	uint32_t ip = htonl(ntohl(cidr->addr) + n);

	return n && cbpf_cidr_is_host(cidr, ip) ? ip : 0;
}

/* Special-purpose blocks (RFC 6890) no endpoint or tunnel end can live in. */
static const struct {
	uint32_t addr; /* host byte order */
	uint8_t prefix_len;
	bool unicast; /* a host may hold such an address; only the subnet check refuses it */
	const char *what;
} special[] = {
    {0x00000000, 8, false, "0.0.0.0/8 (\"this network\")"},
    {0x7f000000, 8, false, "127.0.0.0/8 (loopback)"},
    {0xa9fe0000, 16, true, "169.254.0.0/16 (link-local)"},
    {0xe0000000, 4, false, "224.0.0.0/4 (multicast)"},
    {0xf0000000, 4, false, "240.0.0.0/4 (reserved, broadcast)"},
};

static const char *special_block(const struct cbpf_cidr *cidr, bool unicast_too)
{
	for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++) {
		struct cbpf_cidr block = {htonl(special[i].addr), special[i].prefix_len};

		if ((unicast_too || !special[i].unicast) && cbpf_cidr_overlap(&block, cidr))
			return special[i].what;
	}
	return NULL;
}

const char *cbpf_subnet_special(const struct cbpf_cidr *cidr)
{
	return special_block(cidr, true);
}

const char *cbpf_ip_not_unicast(uint32_t ip)
{
	struct cbpf_cidr host = {ip, 32};

	return special_block(&host, false);
}
