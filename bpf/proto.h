/* Protocol constants and headers that vmlinux.h does not carry (they are macros in UAPI). */
#ifndef CBPF_PROTO_H
#define CBPF_PROTO_H

#define ETH_P_IP     0x0800
#define ETH_P_ARP    0x0806
#define ETH_P_IPV6   0x86DD
#define ETH_P_8021Q  0x8100
#define ETH_P_8021AD 0x88A8

#define ARPHRD_ETHER  1
#define ARPOP_REQUEST 1
#define ARPOP_REPLY   2

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7

/* The IPv4-over-Ethernet tail of an ARP packet, after struct arphdr. */
struct arp_ipv4 {
	__u8 sha[6];
	__be32 spa;
	__u8 tha[6];
	__be32 tpa;
} __attribute__((packed));

#endif
