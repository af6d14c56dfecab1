/* Gratuitous ARP from a raw packet socket in the endpoint's namespace (garp.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net/garp.h"
#include "link/nl.h"

struct garp_frame {
	struct ether_header eth;
	struct arphdr arp;
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
} __attribute__((packed));

/* A packet socket stays in the namespace it was made in, like a netlink one (nl_sock_open). */
static int packet_socket_in(const char *netns)
{
	int ns_fd = nl_netns_open(netns), self, fd = -1, err = 0;

	if (ns_fd < 0)
		return ns_fd;
	self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		err = -errno;
		close(ns_fd);
		return err;
	}
	if (setns(ns_fd, CLONE_NEWNET)) {
		err = -errno;
		goto out;
	}
	/* Protocol 0: the socket sends and receives nothing. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		err = -errno;
	if (setns(self, CLONE_NEWNET) && !err) {
		err = -errno;
		close(fd);
	}
out:
	close(self);
	close(ns_fd);
	return err ? err : fd;
}

int garp_announce(const char *netns, const char *ifname, uint32_t ip, const uint8_t mac[6])
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_halen = 6};
	struct garp_frame f = {0};
	struct ifreq ifr = {0};
	int fd = packet_socket_in(netns), err = 0;

	if (fd < 0)
		return fd;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFINDEX, &ifr)) {
		err = -errno;
		close(fd);
		return err;
	}
	to.sll_ifindex = ifr.ifr_ifindex;
	to.sll_protocol = htons(ETH_P_ARP);
	memcpy(to.sll_addr, bcast, 6);
	memcpy(f.eth.ether_dhost, bcast, 6);
	memcpy(f.eth.ether_shost, mac, 6);
	f.eth.ether_type = htons(ETHERTYPE_ARP);
	f.arp.ar_hrd = htons(ARPHRD_ETHER);
	f.arp.ar_pro = htons(ETHERTYPE_IP);
	f.arp.ar_hln = 6;
	f.arp.ar_pln = 4;
	memcpy(f.sha, mac, 6);
	memcpy(f.spa, &ip, 4);
	memcpy(f.tpa, &ip, 4);
	/* Both forms: some neighbours update their cache on requests only, some on replies. */
	for (int op = ARPOP_REQUEST; op <= ARPOP_REPLY && !err; op++) {
		f.arp.ar_op = htons(op);
		if (op == ARPOP_REPLY)
			memcpy(f.tha, mac, 6);
		if (sendto(fd, &f, sizeof(f), 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			err = -errno;
	}
	close(fd);
	return err;
}
