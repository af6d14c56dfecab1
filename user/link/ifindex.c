#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "link/ifindex.h"

int link_ifindex_open(struct link_ifindex *lookup)
{
	lookup->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return lookup->fd < 0 ? -errno : 0;
}

void link_ifindex_close(struct link_ifindex *lookup)
{
	if (lookup->fd >= 0)
		close(lookup->fd);
	lookup->fd = -1;
}

unsigned int link_ifindex(const struct link_ifindex *lookup, const char *name)
{
	struct ifreq req = {0};

	if (!lookup)
		return if_nametoindex(name);
	if (strlen(name) >= sizeof(req.ifr_name)) {
		errno = ENODEV;
		return 0;
	}
	strcpy(req.ifr_name, name);
	return ioctl(lookup->fd, SIOCGIFINDEX, &req) ? 0 : (unsigned int)req.ifr_ifindex;
}
