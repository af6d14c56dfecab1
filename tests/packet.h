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
	/* Puts the IPv4 header after a 14-byte Ethernet header on a 4-byte boundary, as the
	 * kernel's NET_IP_ALIGN does: the builders write it through struct iphdr. */
	uint8_t align_pad[2];
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

/*
 * Wraps frame in VxLAN as RFC 7348 lays it out: outer Ethernet, IPv4 (DF, TTL 64, ID 0), UDP to
 * 4789 with a zero checksum, the VxLAN header with the I flag, then the frame, tagged with vlan
 * after its MACs when vlan is not 0.
 */
static inline void pkt_vxlan(struct pkt *p, const uint8_t *eth_dst, const uint8_t *eth_src,
			     uint32_t saddr, uint32_t daddr, uint16_t sport, uint32_t vni,
			     uint16_t vlan, const struct pkt *frame)
{
	uint32_t inner_len = frame->len + (vlan ? 4 : 0);
	struct iphdr *iph;
	uint8_t *udp, *vx, *inner;

	pkt_eth(p, eth_dst, eth_src, ETH_P_IP);
	iph = (struct iphdr *)(p->data + p->len);
	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = 17;
	iph->frag_off = htons(0x4000);
	iph->tot_len = htons(20 + 8 + 8 + inner_len);
	iph->saddr = saddr;
	iph->daddr = daddr;
	iph->check = pkt_ip_checksum(iph);
	udp = (uint8_t *)(iph + 1);
	*(uint16_t *)udp = htons(sport);
	*(uint16_t *)(udp + 2) = htons(4789);
	*(uint16_t *)(udp + 4) = htons(8 + 8 + inner_len);
	*(uint16_t *)(udp + 6) = 0;
	vx = udp + 8;
	*(uint32_t *)vx = htonl(0x08000000);
	*(uint32_t *)(vx + 4) = htonl(vni << 8);
	inner = vx + 8;
	memcpy(inner, frame->data, 12);
	if (vlan) {
		*(uint16_t *)(inner + 12) = htons(0x8100);
		*(uint16_t *)(inner + 14) = htons(vlan);
		memcpy(inner + 16, frame->data + 12, frame->len - 12);
	} else {
		memcpy(inner + 12, frame->data + 12, frame->len - 12);
	}
	p->len += 20 + 8 + 8 + inner_len;
}

/* Offset of the outer UDP source port in a frame built by pkt_vxlan. */
#define PKT_VXLAN_SPORT_OFFSET (14 + 20)

/* Inserts an 802.1Q tag (TCI = pcp << 13 | vid) after the MAC addresses. */
static inline void pkt_vlan(struct pkt *p, uint16_t tci)
{
	uint16_t tag[2] = {htons(0x8100), htons(tci)};

	memmove(p->data + 16, p->data + 12, p->len - 12);
	memcpy(p->data + 12, tag, sizeof(tag));
	p->len += 4;
}

/* Inserts a tag of type tpid (0x8100 802.1Q, 0x88a8 802.1ad) after the MAC addresses. */
static inline void pkt_tag(struct pkt *p, uint16_t tpid, uint16_t tci)
{
	pkt_vlan(p, tci);
	*(uint16_t *)(p->data + 12) = htons(tpid);
}

/* IPv6 (link-local fe80::1 -> fe80::2) with an 8-byte ICMPv6 echo request. */
static inline void pkt_ipv6(struct pkt *p, const uint8_t *eth_dst, const uint8_t *eth_src)
{
	uint8_t *ip6;

	pkt_eth(p, eth_dst, eth_src, ETH_P_IPV6);
	ip6 = p->data + p->len;
	memset(ip6, 0, 48);
	ip6[0] = 0x60;
	ip6[5] = 8;  /* payload length */
	ip6[6] = 58; /* ICMPv6 */
	ip6[7] = 64; /* hop limit */
	ip6[8] = 0xfe, ip6[9] = 0x80, ip6[23] = 1;
	ip6[24] = 0xfe, ip6[25] = 0x80, ip6[39] = 2;
	ip6[40] = 128; /* echo request */
	p->len += 48;
}

/* Turns the 8-byte echo payload of a pkt_ipv4 packet into a UDP header with these ports. */
static inline void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	struct iphdr *iph = (struct iphdr *)(p->data + sizeof(struct ethhdr));
	uint16_t *udp = (uint16_t *)(iph + 1);

	iph->protocol = 17;
	iph->check = 0;
	iph->check = pkt_ip_checksum(iph);
	udp[0] = htons(sport);
	udp[1] = htons(dport);
	udp[2] = htons(8);
	udp[3] = 0;
}

/* Makes an IPv4 packet a fragment of datagram id: offset in 8-byte units, more to come. */
static inline void pkt_frag(struct pkt *p, uint16_t id, uint16_t offset, int more)
{
	struct iphdr *iph = (struct iphdr *)(p->data + sizeof(struct ethhdr));

	iph->id = htons(id);
	iph->frag_off = htons(offset | (more ? 0x2000 : 0));
	iph->check = 0;
	iph->check = pkt_ip_checksum(iph);
}

static inline struct iphdr *pkt_iph(struct pkt *p)
{
	return (struct iphdr *)(p->data + sizeof(struct ethhdr));
}

#endif
