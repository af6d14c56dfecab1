/* Endpoints in several networks: connect, disconnect and move (ep.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "reconcile/ct_forget.h"
#include "ep/ep.h"
#include "reconcile/sync.h"

bool ep_is_interface(const struct cbpf_endpoint *ep)
{
	return strchr(ep->name, '@') != NULL;
}

/* The endpoint's first interface, local and not itself a further interface. */
static struct cbpf_endpoint *first_interface(struct cbpf_state *st, const char *verb,
					     const char *name)
{
	struct cbpf_endpoint *ep = strchr(name, '@') ? NULL : state_find_ep(st, name);

	if (!ep)
		cbpf_err("ep %s %s: no such endpoint", verb, name);
	else if (!state_ep_is_local(ep))
		cbpf_err(
		    "ep %s %s: endpoint lives on node %s; only local endpoints change networks",
		    verb, name, ep->node);
	return ep && state_ep_is_local(ep) ? ep : NULL;
}

/* The first ethN that none of the namespace's interfaces of this endpoint uses. */
static void free_ifname(struct cbpf_state *st, const char *name, char *out, size_t size)
{
	size_t len = strlen(name);

	for (int n = 1;; n++) {
		bool taken = false;

		snprintf(out, size, "eth%d", n);
		for (size_t i = 0; i < st->n_eps && !taken; i++)
			taken = !strncmp(st->eps[i].name, name, len) &&
				(st->eps[i].name[len] == '\0' || st->eps[i].name[len] == '@') &&
				!strcmp(st->eps[i].ifname, out);
		if (!taken)
			return;
	}
}

int ep_connect(const struct cbpf_ctx *ctx, const char *name, const char *net, const char *ip,
	       const char *ifname, struct cbpf_endpoint *out)
{
	struct ep_request req = {.net = net, .ip = ip, .ifname = ifname, .interface = true};
	char record[CBPF_NAME_MAX * 2], chosen[CBPF_IFNAME_MAX];
	struct cbpf_endpoint *first;
	struct ep_session s;
	int err = ep_session_open(ctx, &s);

	if (err)
		return err;
	first = first_interface(&s.st, "connect", name);
	err = first ? 0 : -ENOENT;
	if (!err && !state_find_net(&s.st, net)) {
		cbpf_err("ep connect %s: no such network '%s'", name, net);
		err = -ENOENT;
	} else if (!err && !strcmp(first->net, net)) {
		cbpf_err("ep connect %s: the endpoint's first interface is in network %s already",
			 name, net);
		err = -EEXIST;
	} else if (!err && snprintf(record, sizeof(record), "%s@%s", name, net) >= CBPF_NAME_MAX) {
		cbpf_err("ep connect %s: '%s' is longer than %d characters", name, record,
			 CBPF_NAME_MAX - 1);
		err = -ENAMETOOLONG;
	} else if (!err && state_find_ep(&s.st, record)) {
		cbpf_err("ep connect %s: the endpoint is in network %s already (%s)", name, net,
			 state_find_ep(&s.st, record)->ifname);
		err = -EEXIST;
	}
	if (!err) {
		if (!ifname) {
			free_ifname(&s.st, name, chosen, sizeof(chosen));
			req.ifname = chosen;
		}
		req.name = record;
		req.netns = first->netns;
		err = ep_session_add(&s, &req, out);
	}
	err = err ?: ep_session_commit(&s);
	ep_session_close(&s);
	return err;
}

int ep_disconnect(const struct cbpf_ctx *ctx, const char *name, const char *net)
{
	char record[CBPF_NAME_MAX * 2];
	struct cbpf_endpoint *first;
	struct ep_session s;
	int err = ep_session_open(ctx, &s);

	if (err)
		return err;
	first = first_interface(&s.st, "disconnect", name);
	err = first ? 0 : -ENOENT;
	snprintf(record, sizeof(record), "%s@%s", name, net);
	if (!err && !strcmp(first->net, net)) {
		cbpf_err(
		    "ep disconnect %s: network %s holds the endpoint's first interface (use ep "
		    "move or ep del)",
		    name, net);
		err = -EINVAL;
	} else if (!err && !state_find_ep(&s.st, record)) {
		cbpf_err("ep disconnect %s: the endpoint is not in network %s", name, net);
		err = -ENOENT;
	}
	err = err ?: ep_session_del(&s, record, false);
	err = err ?: ep_session_commit(&s);
	ep_session_close(&s);
	return err;
}

/* Rules naming the endpoint, kept across the delete and add that make up a move. */
static size_t take_rules(struct cbpf_state *st, const char *name, struct cbpf_rule **out)
{
	char selector[CBPF_NAME_MAX + 4];
	size_t n = 0;

	snprintf(selector, sizeof(selector), "ep:%s", name);
	*out = calloc(st->n_rules + 1, sizeof(**out));
	for (size_t i = 0; *out && i < st->n_rules; i++)
		if (!strcmp(st->rules[i].from, selector) || !strcmp(st->rules[i].to, selector))
			(*out)[n++] = st->rules[i];
	return n;
}

int ep_move(const struct cbpf_ctx *ctx, const char *name, const char *net, const char *ip,
	    struct cbpf_endpoint *out)
{
	struct cbpf_endpoint *first, old;
	struct cbpf_rule *rules = NULL;
	char record[CBPF_NAME_MAX * 2], old_ip[CBPF_IP_STRLEN];
	struct ep_session s;
	size_t n_rules = 0;
	int err = ep_session_open(ctx, &s);

	if (err)
		return err;
	s.one_commit = true;
	first = first_interface(&s.st, "move", name);
	err = first ? 0 : -ENOENT;
	snprintf(record, sizeof(record), "%s@%s", name, net);
	if (!err && !state_find_net(&s.st, net)) {
		cbpf_err("ep move %s: no such network '%s'", name, net);
		err = -ENOENT;
	} else if (!err && !strcmp(first->net, net)) {
		cbpf_err("ep move %s: the endpoint is in network %s already", name, net);
		err = -EEXIST;
	} else if (!err && state_find_ep(&s.st, record)) {
		cbpf_err("ep move %s: the endpoint has an interface in network %s already "
			 "(disconnect it first)",
			 name, net);
		err = -EEXIST;
	}
	if (!err) {
		old = *first;
		n_rules = take_rules(&s.st, name, &rules);
		err = rules ? 0 : -ENOMEM;
	}
	err = err ?: ep_session_del(&s, name, false);
	if (!err) {
		struct ep_request req = {
		    .name = name, .net = net, .netns = old.netns, .ifname = old.ifname, .ip = ip};

		err = ep_session_add(&s, &req, out);
		if (err) {
			struct ep_request back = {.name = name,
						  .net = old.net,
						  .netns = old.netns,
						  .ifname = old.ifname,
						  .ip = old_ip};

			cbpf_format_ip(old.ip, old_ip);
			if (ep_session_add(&s, &back, NULL))
				cbpf_err("ep move %s: the endpoint could not be made again in "
					 "network %s",
					 name, old.net);
		}
		for (size_t i = 0; i < n_rules; i++)
			state_add_rule(&s.st, &rules[i]);
	}
	if (!err && n_rules) {
		struct cbpf_maps maps;

		err = cbpf_maps_open(ctx, &maps);
		err = err ?: sync_policy(&maps, &s.st);
		if (!err)
			cbpf_maps_close(&maps);
	}
	/* The one transaction of the move: the endpoint leaves A and enters B together. */
	err = ep_session_commit(&s) ?: err;
	/* Flows of the old address end: its replies are no longer tracked ones. */
	if (!err)
		err = ct_forget_addr(ctx, old.ip, NULL);
	free(rules);
	ep_session_close(&s);
	return err;
}
