/* Hand-built test packets for BPF_PROG_TEST_RUN fixtures. */
#ifndef CBPF_TEST_PACKET_H
#define CBPF_TEST_PACKET_H

#include <arpa/inet.h>
#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <stdint.h>
#include <string.h>

struct pkt {
	uint8_t data[256];
	uint32_t len;
};

static inline uint16_t pkt_ip_checksum(const struct iphdr *iph)
{
	const uint16_t *words = (const uint16_t *)iph;
	uint32_t sum = 0;

	for (int i = 0; i < iph->ihl * 2; i++)
		sum += words[i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

static inline void pkt_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint16_t proto)
{
	struct ethhdr *eth = (struct ethhdr *)p->data;

	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(proto);
	p->len = sizeof(*eth);
}

/* ARP over Ethernet for IPv4: op, sender MAC/IP, target MAC/IP. */
static inline void pkt_arp(struct pkt *p, const uint8_t *eth_dst, const uint8_t *eth_src,
			   uint16_t op, const uint8_t *sha, uint32_t spa, const uint8_t *tha,
			   uint32_t tpa)
{
	uint8_t *body;
	struct arphdr *arp;

	pkt_eth(p, eth_dst, eth_src, ETH_P_ARP);
	arp = (struct arphdr *)(p->data + p->len);
	arp->ar_hrd = htons(ARPHRD_ETHER);
	arp->ar_pro = htons(ETH_P_IP);
	arp->ar_hln = ETH_ALEN;
	arp->ar_pln = 4;
	arp->ar_op = htons(op);
	body = (uint8_t *)(arp + 1);
	memcpy(body, sha, ETH_ALEN);
	memcpy(body + 6, &spa, 4);
	memcpy(body + 10, tha, ETH_ALEN);
	memcpy(body + 16, &tpa, 4);
	p->len += sizeof(*arp) + 20;
}

/* IPv4 with an 8-byte ICMP echo payload and a valid header checksum. */
static inline void pkt_ipv4(struct pkt *p, const uint8_t *eth_dst, const uint8_t *eth_src,
			    uint32_t saddr, uint32_t daddr, uint8_t ttl)
{
	struct iphdr *iph;
	uint8_t *icmp;

	pkt_eth(p, eth_dst, eth_src, ETH_P_IP);
	iph = (struct iphdr *)(p->data + p->len);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->tot_len = htons(sizeof(*iph) + 8);
	iph->ttl = ttl;
	iph->protocol = 1;
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = pkt_ip_checksum(iph);
	icmp = (uint8_t *)(iph + 1);
	memset(icmp, 0, 8);
	icmp[0] = 8;
	p->len += sizeof(*iph) + 8;
}

/* Inserts an 802.1Q tag (TCI = pcp << 13 | vid) after the MAC addresses. */
static inline void pkt_vlan(struct pkt *p, uint16_t tci)
{
	uint16_t tag[2] = {htons(0x8100), htons(tci)};

	memmove(p->data + 16, p->data + 12, p->len - 12);
	memcpy(p->data + 12, tag, sizeof(tag));
	p->len += 4;
}

static inline struct iphdr *pkt_iph(struct pkt *p)
{
	return (struct iphdr *)(p->data + sizeof(struct ethhdr));
}

#endif
