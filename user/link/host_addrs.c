#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/host_addrs.h"

static int push(uint32_t **addrs, size_t *n, size_t *cap, uint32_t addr)
{
	if (*n == *cap) {
		size_t grown_cap = *cap ? 2 * *cap : 16;
		uint32_t *grown = realloc(*addrs, grown_cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		*addrs = grown;
		*cap = grown_cap;
	}
	(*addrs)[(*n)++] = addr;
	return 0;
}

/* IFA_LOCAL is the interface's own address; IFA_ADDRESS is the peer's on point-to-point links. */
static int add_message(const struct nlmsghdr *h, uint32_t **addrs, size_t *n, size_t *cap)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	const struct rtattr *rta = IFA_RTA(ifa);
	int len = IFA_PAYLOAD(h);
	const uint32_t *local = NULL, *address = NULL;

	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) || ifa->ifa_family != AF_INET)
		return 0;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (RTA_PAYLOAD(rta) < (int)sizeof(uint32_t))
			continue;
		if (rta->rta_type == IFA_LOCAL)
			local = RTA_DATA(rta);
		else if (rta->rta_type == IFA_ADDRESS)
			address = RTA_DATA(rta);
	}
	if (local)
		return push(addrs, n, cap, *local);
	return address ? push(addrs, n, cap, *address) : 0;
}

/* One message: 1 at the end of the dump, 0 to go on, or -errno. */
static int read_message(const struct nlmsghdr *h, uint32_t **addrs, size_t *n, size_t *cap)
{
	if (h->nlmsg_type == NLMSG_DONE)
		return 1;
	if (h->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(h);

		return h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) ? -EIO : e->error ? e->error : 1;
	}
	return h->nlmsg_type == RTM_NEWADDR ? add_message(h, addrs, n, cap) : 0;
}

static int read_dump(int fd, uint32_t **addrs, size_t *n, size_t *cap)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));

	for (;;) {
		ssize_t got = recv(fd, buf, sizeof(buf), 0);
		size_t off = 0;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return got < 0 ? -errno : -EIO;
		while (off + sizeof(struct nlmsghdr) <= (size_t)got) {
			const struct nlmsghdr *h = (const struct nlmsghdr *)(buf + off);
			int err;

			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > (size_t)got - off)
				return -EIO;
			err = read_message(h, addrs, n, cap);
			if (err)
				return err < 0 ? err : 0;
			off += NLMSG_ALIGN(h->nlmsg_len);
		}
	}
}

int host_addrs_v4(uint32_t **addrs, size_t *n)
{
	struct {
		struct nlmsghdr h;
		struct ifaddrmsg ifa;
	} req = {
	    .h = {.nlmsg_len = sizeof(req),
		  .nlmsg_type = RTM_GETADDR,
		  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		  .nlmsg_seq = 1},
	    .ifa = {.ifa_family = AF_INET},
	};
	size_t cap = 0;
	int err = 0, fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	*addrs = NULL;
	*n = 0;
	if (fd < 0)
		return -errno;
	if (send(fd, &req, sizeof(req), 0) < 0)
		err = -errno;
	err = err ?: read_dump(fd, addrs, n, &cap);
	close(fd);
	if (err) {
		free(*addrs);
		*addrs = NULL;
		*n = 0;
	}
	return err;
}
