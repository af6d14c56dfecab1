/*
 * The interfaces of a namespace, read from /proc/net/dev instead of a netlink dump, and looked
 * up by name through one socket.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include "link/host_links.h"
#include "link/ifindex.h"
#include "tap.h"

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* host_link_names lists what if_nameindex (a netlink dump) lists. */
static void same_as_if_nameindex(void)
{
	struct if_nameindex *all = if_nameindex();
	char(*got)[IFNAMSIZ], want[256][IFNAMSIZ];
	size_t n_got, n_want = 0;
	int err = host_link_names(&got, &n_got);

	CHECK(!err && all, "host_link_names and if_nameindex read this namespace");
	if (err || !all)
		return;
	for (struct if_nameindex *i = all; i->if_name && n_want < 256; i++)
		snprintf(want[n_want++], IFNAMSIZ, "%s", i->if_name);
	if_freenameindex(all);
	qsort(got, n_got, sizeof(*got), name_cmp);
	qsort(want, n_want, sizeof(*want), name_cmp);
	size_t same = 0;

	for (size_t i = 0; i < n_got && i < n_want; i++)
		same += !strcmp(got[i], want[i]);
	CHECK(n_got > 0 && n_got == n_want && same == n_want,
	      "host_link_names: the %zu interfaces if_nameindex lists (%zu)", n_want, n_got);
	free(got);
}

struct dev_case {
	const char *text;
	int err;
	const char *names; /* the names read, space-separated */
};

static const char header[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n";

static const struct dev_case cases[] = {
    {"", 0, ""},
    {"    lo:  1234 5 0 0 0 0 0 0 1234 5 0 0 0 0 0 0\n"
     "cbe1a2b3c4d5e6:       0       0    0    0    0     0          0         0        0       "
     "0    0    0    0     0       0          0\n"
     "  eth0.5: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
     0, "lo cbe1a2b3c4d5e6 eth0.5"},
    /* The last line may lack its newline. */
    {"  ul0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16", 0, "ul0"},
    {"  no colon here 1 2 3\n", -EINVAL, ""},
    {"  : 1 2 3\n", -EINVAL, ""},
    {"  a name: 1 2 3\n", -EINVAL, ""},
    /* IFNAMSIZ counts the terminating NUL: 16 characters is one too many. */
    {"  abcdefghijklmnop: 1 2 3\n", -EINVAL, ""},
    {"  abcdefghijklmno: 1 2 3\n", 0, "abcdefghijklmno"},
};

static void parses_the_format(void)
{
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char text[1024], joined[512] = "", (*names)[IFNAMSIZ];
		size_t n;
		FILE *dev;
		int err;

		snprintf(text, sizeof(text), "%s%s", header, cases[c].text);
		dev = fmemopen(text, strlen(text), "r");
		err = host_link_names_parse(dev, &names, &n);
		fclose(dev);
		for (size_t i = 0; i < n; i++)
			snprintf(joined + strlen(joined), sizeof(joined) - strlen(joined), "%s%s",
				 i ? " " : "", names[i]);
		CHECK(err == cases[c].err && !strcmp(joined, cases[c].names) &&
			  (err ? !names && !n : 1),
		      "case %zu: %d, '%s' (got %d, '%s')", c, cases[c].err, cases[c].names, err,
		      joined);
		free(names);
	}
}

/* link_ifindex answers what if_nametoindex answers, through its socket or without one. */
static void lookups_as_if_nametoindex(void)
{
	struct link_ifindex lookup;
	char(*names)[IFNAMSIZ];
	size_t n, same = 0;
	int err = link_ifindex_open(&lookup) ?: host_link_names(&names, &n);

	CHECK(!err, "a lookup socket and the interfaces' names");
	if (err)
		return;
	for (size_t i = 0; i < n; i++)
		same += link_ifindex(&lookup, names[i]) == if_nametoindex(names[i]) &&
			link_ifindex(NULL, names[i]) == if_nametoindex(names[i]);
	CHECK(n > 0 && same == n, "the index of each of the %zu interfaces (%zu the same)", n,
	      same);
	errno = 0;
	CHECK(!link_ifindex(&lookup, "cbpf-no-such") && errno == ENODEV,
	      "a name no interface has: 0, ENODEV (errno %d)", errno);
	errno = 0;
	CHECK(!link_ifindex(&lookup, "abcdefghijklmnopq") && errno == ENODEV,
	      "a name too long for any interface: 0, ENODEV (errno %d)", errno);
	link_ifindex_close(&lookup);
	CHECK(lookup.fd == -1, "closed, the lookup holds no socket");
	free(names);
}

int main(void)
{
	same_as_if_nameindex();
	parses_the_format();
	lookups_as_if_nametoindex();
	TAP_EXIT();
}
