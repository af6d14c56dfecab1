#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "link/host_links.h"
#include "link/names.h"
#include "core/err.h"
#include "link/netns.h"
#include "network.h"
#include "link/nl.h"
#include "reconcile/state_reconcile.h"

/* The number after prefix when name is exactly prefix followed by it in the form cbpfnet writes. */
static bool parse_named(const char *name, const char *prefix, unsigned long *value)
{
	size_t len = strlen(prefix);
	char *end;

	if (strncmp(name, prefix, len) || !name[len] || name[len] == '0')
		return false;
	*value = strtoul(name + len, &end, 16);
	return !*end && *value <= UINT32_MAX;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * The local endpoints' namespaces (or host-side links), sorted: at thousands of endpoints,
 * looking each link or namespace up among all of them would be most of the agent's start.
 */
static const char **ep_names(const struct cbpf_state *st, bool links, size_t *n)
{
	const char **names = calloc(st->n_eps + 1, sizeof(*names));

	*n = 0;
	for (size_t i = 0; names && i < st->n_eps; i++) {
		const struct cbpf_endpoint *ep = &st->eps[i];

		if (links && ep->host_ifname[0])
			names[(*n)++] = ep->host_ifname;
		else if (!links && state_ep_is_local(ep))
			names[(*n)++] = ep->netns;
	}
	if (names)
		qsort(names, *n, sizeof(*names), compare_names);
	else
		cbpf_err("recovery: %s", strerror(ENOMEM));
	return names;
}

static bool named(const char **names, size_t n, const char *name)
{
	return bsearch(&name, names, n, sizeof(*names), compare_names);
}

/* Whether link name is one cbpfnet makes and the store does not account for. */
static bool leftover_link(struct cbpf_state *st, const char **links, size_t n_links,
			  const char *name)
{
	char expect[CBPF_IFNAME_MAX];
	unsigned long id;

	if (parse_named(name, "cbe", &id)) {
		ep_host_ifname(id, expect);
		if (strcmp(expect, name))
			return false;
		return !named(links, n_links, name);
	}
	if (parse_named(name, "cbm", &id) && id <= UINT16_MAX) {
		macvlan_shim_name(id, expect);
		if (strcmp(expect, name))
			return false;
		for (size_t i = 0; i < st->n_nets; i++)
			if (st->nets[i].id == id && st->nets[i].model == CBPF_MODEL_MACVLAN &&
			    st->nets[i].host_access)
				return false;
		return true;
	}
	return false;
}

static int remove_links(struct cbpf_state *st)
{
	char(*names)[IFNAMSIZ] = NULL;
	struct nl_sock *sock = NULL;
	size_t n_links, n_names;
	const char **links = ep_names(st, true, &n_links);
	int err = links ? host_link_names(&names, &n_names) : -ENOMEM;

	if (err) {
		if (links)
			cbpf_err("recovery: list links: %s", strerror(-err));
		free(links);
		return err;
	}
	for (size_t i = 0; i < n_names && !err; i++) {
		if (!leftover_link(st, links, n_links, names[i]))
			continue;
		if (!sock && (err = nl_sock_open(-1, &sock))) {
			cbpf_err("recovery: netlink socket: %s", strerror(-err));
			break;
		}
		err = nl_link_delete(sock, names[i]);
		/* A veth goes with its peer: deleting one pair's end may have taken another. */
		if (err == -ENODEV)
			err = 0;
		if (err)
			cbpf_err("recovery: delete link %s (recorded by no endpoint): %s", names[i],
				 strerror(-err));
		else
			fprintf(stderr,
				"cbpfnet: recovery: deleted link %s, recorded by no endpoint\n",
				names[i]);
	}
	if (sock)
		nl_sock_close(sock);
	free(names);
	free(links);
	return err;
}

static int remove_netns(struct cbpf_state *st)
{
	size_t n_used;
	const char **used = ep_names(st, false, &n_used);

	if (!used)
		return -ENOMEM;
	for (size_t i = st->n_owned; i-- > 0;) {
		const char *owned = st->owned[i].name;
		char name[CBPF_PATH_MAX];
		int err;

		if (named(used, n_used, owned))
			continue;
		snprintf(name, sizeof(name), "%s", st->owned[i].name);
		err = netns_delete(name);
		if (err && err != -ENOENT) {
			cbpf_err("recovery: delete netns %s (created for no recorded endpoint): %s",
				 name, strerror(-err));
			free(used);
			return err;
		}
		if (!err)
			fprintf(stderr,
				"cbpfnet: recovery: deleted netns %s, created for no recorded "
				"endpoint\n",
				name);
		state_disown_netns(st, name);
	}
	free(used);
	return 0;
}

int state_reconcile_leftovers(const struct cbpf_ctx *ctx, struct cbpf_state *st)
{
	int err;

	(void)ctx; /* the agent's call names the host it reconciles; links are found by netlink */
	err = remove_links(st);
	err = err ?: remove_netns(st);
	return err ?: state_commit(st);
}
