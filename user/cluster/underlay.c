/* The address this node's tunnels end on: given, an interface's, or the one routing to etcd. */
#include <errno.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "cluster/cluster_int.h"

static int iface_address(const char *ifname, uint32_t *ip)
{
	struct ifaddrs *list, *ifa;
	int err = -EADDRNOTAVAIL;

	if (getifaddrs(&list))
		return -errno;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr && ifa->ifa_addr->sa_family == AF_INET &&
		    !strcmp(ifa->ifa_name, ifname)) {
			*ip = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr;
			err = 0;
			break;
		}
	}
	freeifaddrs(list);
	return err;
}

/* The first URL's host and port, as getaddrinfo takes them. */
static int first_url_host(const char *urls, char *host, size_t hlen, char *port, size_t plen)
{
	const char *p = strstr(urls, "://"), *end, *colon;

	p = p ? p + 3 : urls;
	end = p + strcspn(p, ",/");
	colon = memchr(p, ':', end - p);
	if (!colon)
		colon = end;
	if (colon == p || (size_t)(colon - p) >= hlen)
		return -EINVAL;
	snprintf(host, hlen, "%.*s", (int)(colon - p), p);
	if (colon < end)
		snprintf(port, plen, "%.*s", (int)(end - colon - 1), colon + 1);
	else
		snprintf(port, plen, "2379");
	return 0;
}

/* A connected UDP socket learns its source address from the routing table; nothing is sent. */
static int route_source(const char *urls, uint32_t *ip)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_DGRAM}, *res;
	struct sockaddr_in local;
	socklen_t len = sizeof(local);
	char host[256], port[16];
	int fd, err;

	if (first_url_host(urls, host, sizeof(host), port, sizeof(port))) {
		cbpf_err("daemon: --etcd %s: no host in the first URL", urls);
		return -EINVAL;
	}
	err = getaddrinfo(host, port, &hints, &res);
	if (err) {
		cbpf_err("daemon: --etcd %s: %s: %s", urls, host, gai_strerror(err));
		return -EHOSTUNREACH;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	err = fd < 0 ? -errno : 0;
	if (!err && connect(fd, res->ai_addr, res->ai_addrlen))
		err = -errno;
	if (!err && getsockname(fd, (struct sockaddr *)&local, &len))
		err = -errno;
	if (fd >= 0)
		close(fd);
	freeaddrinfo(res);
	if (err) {
		cbpf_err("daemon: no route to etcd at %s to find the underlay address: %s "
			 "(give --underlay)",
			 host, strerror(-err));
		return err;
	}
	*ip = local.sin_addr.s_addr;
	return 0;
}

int cluster_find_underlay(const char *spec, const char *etcd_urls, uint32_t *ip)
{
	int err;

	if (!spec)
		return route_source(etcd_urls, ip);
	if (!cbpf_parse_ip(spec, ip))
		return 0;
	err = iface_address(spec, ip);
	if (err)
		cbpf_err(
		    "daemon: --underlay %s: neither an IPv4 address nor an interface with one: "
		    "%s",
		    spec, strerror(-err));
	return err;
}
