/* Address parsing and subnet arithmetic. */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdlib.h>
#include <string.h>

#include "core/addr.h"
#include "link/host_addrs.h"
#include "tap.h"

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* host_addrs_v4 reads what getifaddrs reads, from the IPv4 dump alone. */
static void check_host_addrs(void)
{
	struct ifaddrs *list, *a;
	uint32_t *got, want[256];
	size_t n_got, n_want = 0;
	int err = host_addrs_v4(&got, &n_got);

	CHECK(!err && !getifaddrs(&list), "host_addrs_v4 and getifaddrs read this namespace");
	if (err)
		return;
	for (a = list; a && n_want < 256; a = a->ifa_next)
		if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET)
			want[n_want++] = ((struct sockaddr_in *)a->ifa_addr)->sin_addr.s_addr;
	freeifaddrs(list);
	qsort(got, n_got, sizeof(*got), u32_cmp);
	qsort(want, n_want, sizeof(*want), u32_cmp);
	CHECK(n_got > 0 && n_got == n_want && !memcmp(got, want, n_got * sizeof(*got)),
	      "host_addrs_v4: the %zu IPv4 addresses getifaddrs lists (%zu)", n_want, n_got);
	free(got);
}

static uint32_t ip(const char *text)
{
	uint32_t value = 0;

	cbpf_parse_ip(text, &value);
	return value;
}

/* cbpf_parse_ip takes what inet_pton takes, to the same address, and refuses the rest. */
static void same_as_inet_pton(void)
{
	static const char *const texts[] = {
	    "1.2.3.4",	 "0.0.0.0",	"255.255.255.255", "10.0.0.0",	 "256.1.1.1",
	    "1.2.3.256", "01.2.3.4",	"1.2.3.04",	   "00.1.1.1",	 "1.2.3",
	    "1.2.3.4.5", "1..2.3",	".1.2.3",	   "1.2.3.4.",	 "",
	    "0x1.2.3.4", " 1.2.3.4",	"1.2.3.4 ",	   "1.2.3.2555", "1.2.3.-4",
	    "1.2.3.+4",	 "1.2.3.4/8",	"1.2.3.0",	   "4294967295", "1",
	    "1.2.3.4\n", "192.168.1.1", "1.2.3.999",	   "9.9.9.9",	 "1.2.3.4a"};
	int bad = 0;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct in_addr in = {0};
		uint32_t got = 0;
		int want = inet_pton(AF_INET, texts[i], &in) == 1,
		    e = cbpf_parse_ip(texts[i], &got);

		if ((e == 0) != want || (want && got != in.s_addr)) {
			bad++;
			printf("# '%s': inet_pton %d, cbpf_parse_ip %d\n", texts[i], want, e);
		}
	}
	CHECK(!bad, "cbpf_parse_ip agrees with inet_pton on %zu texts (%d differ)",
	      sizeof(texts) / sizeof(texts[0]), bad);
}

/* What cbpf_parse_cidr took before it read digits by hand: inet_pton, then strtol. */
static int cidr_by_libc(const char *text, struct cbpf_cidr *cidr)
{
	const char *slash = strchr(text, '/');
	char addr[CBPF_IP_STRLEN], *end;
	struct in_addr in;
	long len;

	if (!slash || slash == text || (size_t)(slash - text) >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, text, slash - text);
	addr[slash - text] = '\0';
	errno = 0;
	len = strtol(slash + 1, &end, 10);
	if (errno || end == slash + 1 || *end || len < 0 || len > 32 ||
	    inet_pton(AF_INET, addr, &in) != 1 || (in.s_addr & ~cbpf_prefix_mask(len)))
		return -EINVAL;
	cidr->addr = in.s_addr;
	cidr->prefix_len = len;
	return 0;
}

static void cidr_same_as_libc(void)
{
	static const char *const texts[] = {"10.0.0.0/8",
					    "10.0.0.0/08",
					    "10.0.0.0/008",
					    "10.0.0.0/ 8",
					    "10.0.0.0/+8",
					    "10.0.0.0/-8",
					    "10.0.0.0/",
					    "10.0.0.0/33",
					    "10.0.0.0/32",
					    "10.0.0.1/32",
					    "0.0.0.0/0",
					    "10.0.0.0/8/8",
					    "10.0.0.0/8 ",
					    "010.0.0.0/8",
					    "1.2.3.4/99999999999999999999",
					    "/8",
					    "10.0.0.0/0x8",
					    "172.16.255.0/24",
					    "172.16.255.0/23",
					    "1.2.3.4/032"};
	int bad = 0;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct cbpf_cidr got = {0}, want = {0};
		int e = cbpf_parse_cidr(texts[i], &got), w = cidr_by_libc(texts[i], &want);

		if (e != w ||
		    (!e && (got.addr != want.addr || got.prefix_len != want.prefix_len))) {
			bad++;
			printf("# '%s': libc %d, cbpf_parse_cidr %d\n", texts[i], w, e);
		}
	}
	CHECK(!bad, "cbpf_parse_cidr agrees with inet_pton and strtol on %zu texts (%d differ)",
	      sizeof(texts) / sizeof(texts[0]), bad);
}

int main(void)
{
	struct cbpf_cidr a, b;
	char buf[32];
	uint8_t mac[6];

	CHECK(cbpf_parse_cidr("10.1.0.0/24", &a) == 0 && a.addr == ip("10.1.0.0") &&
		  a.prefix_len == 24,
	      "parse 10.1.0.0/24");
	CHECK(cbpf_parse_cidr("10.1.0.1/24", &b) == -EINVAL, "reject host bits set");
	CHECK(cbpf_parse_cidr("10.1.0.0/33", &b) == -EINVAL, "reject prefix 33");
	CHECK(cbpf_parse_cidr("10.1.0.0", &b) == -EINVAL, "reject missing prefix");
	CHECK(cbpf_parse_cidr("10.1.0.0/2x", &b) == -EINVAL, "reject trailing junk");
	CHECK(cbpf_parse_cidr("/24", &b) == -EINVAL, "reject missing address");
	CHECK(cbpf_parse_ip("300.1.1.1", &b.addr) == -EINVAL, "reject octet 300");

	cbpf_parse_cidr("10.1.0.0/16", &b);
	CHECK(cbpf_cidr_overlap(&a, &b), "10.1.0.0/24 overlaps 10.1.0.0/16");
	cbpf_parse_cidr("10.2.0.0/24", &b);
	CHECK(!cbpf_cidr_overlap(&a, &b), "10.1.0.0/24 does not overlap 10.2.0.0/24");

	CHECK(cbpf_cidr_is_host(&a, ip("10.1.0.1")), ".1 is a host address");
	CHECK(!cbpf_cidr_is_host(&a, ip("10.1.0.0")), "network address is not a host");
	CHECK(!cbpf_cidr_is_host(&a, ip("10.1.0.255")), "broadcast is not a host");
	CHECK(!cbpf_cidr_is_host(&a, ip("10.2.0.1")), "outside address is not a host");
	CHECK(cbpf_cidr_host(&a, 1) == ip("10.1.0.1"), "first host is .1");
	CHECK(cbpf_cidr_host(&a, 254) == ip("10.1.0.254"), "last host is .254");
	CHECK(cbpf_cidr_host(&a, 255) == 0, "no 255th host in a /24");

	cbpf_format_cidr(&a, buf, sizeof(buf));
	CHECK(!strcmp(buf, "10.1.0.0/24"), "format cidr: %s", buf);
	CHECK(cbpf_parse_mac("02:cb:0a:01:00:02", mac) == 0 && mac[1] == 0xcb && mac[5] == 2,
	      "parse mac");
	CHECK(cbpf_parse_mac("02:cb:0a:01:00", mac) == -EINVAL, "reject short mac");
	cbpf_format_mac(mac, buf);
	CHECK(!strcmp(buf, "02:cb:0a:01:00:02"), "format mac: %s", buf);
	{
		static const char *const ips[] = {"0.0.0.0", "10.1.20.255", "198.18.0.1",
						  "255.255.255.255", "1.100.99.9"};
		char ip[CBPF_IP_STRLEN];
		uint32_t v;

		for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
			cbpf_parse_ip(ips[i], &v);
			cbpf_format_ip(v, ip);
			CHECK(!strcmp(ip, ips[i]), "address round trip: %s (%s)", ips[i], ip);
		}
	}
	check_host_addrs();
	same_as_inet_pton();
	cidr_same_as_libc();
	TAP_EXIT();
}
