#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "net/netmodel.h"
#include "link/netns.h"
#include "link/nl.h"
#include "net/relink.h"

/* After a reboot every namespace is gone: the first few are named, the rest counted. */
#define RELINK_NAMED_MAX 20

static void describe(unsigned int made, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s%s%s", made & NET_RELINK_LINK ? " link" : "",
		 made & NET_RELINK_ADDRESS ? " address" : "",
		 made & NET_RELINK_ROUTE ? " route" : "", made & NET_RELINK_MAC ? " mac" : "",
		 made & NET_RELINK_MTU ? " mtu" : "");
}

/* 0 when the namespace is there and may be written; -ENOENT when it is gone. */
static int open_netns(const struct cbpf_endpoint *ep, int *ns_fd)
{
	*ns_fd = nl_netns_open(ep->netns);
	if (*ns_fd < 0)
		return *ns_fd;
	/* Never the host's own: an endpoint's address and default route do not go there. */
	if (netns_is_own(*ns_fd)) {
		close(*ns_fd);
		return -EPERM;
	}
	return 0;
}

static int relink_one(const struct cbpf_ctx *ctx, struct cbpf_state *st,
		      const struct cbpf_endpoint *ep, enum relink_depth depth,
		      struct relink_report *report)
{
	const struct cbpf_network *net = state_find_net(st, ep->net);
	const struct net_model_ops *model = net ? net_model_of(net) : NULL;
	unsigned int made = 0;
	char what[48];
	int ns_fd, err;

	if (!model || !model->relink || !strncmp(ep->netns, "/proc/", 6))
		return 0;
	if (depth != RELINK_IN_NETNS && model->present && model->present(ctx, ep))
		return 0;
	err = open_netns(ep, &ns_fd);
	if (err == -ENOENT) {
		if (report->no_netns++ < RELINK_NAMED_MAX && depth != RELINK_FROM_HOST_QUIET)
			agent_log(LOG_LVL_WARN,
				  "reconcile: endpoint %s: netns %s is gone (container ended or "
				  "host rebooted); its record and address stay until it is deleted "
				  "(the runtime's CNI DEL, or ep del)",
				  ep->name, ep->netns);
		return 0;
	}
	if (err) {
		cbpf_err("reconcile %s: netns %s: %s", ep->name, ep->netns, strerror(-err));
		return err;
	}
	err = model->relink(ctx, st, ep, net, ns_fd, &made);
	close(ns_fd);
	if (err || !made)
		return err;
	report->made++;
	describe(made, what, sizeof(what));
	agent_log(LOG_LVL_WARN, "reconcile: endpoint %s: made again:%s (%s in netns %s)", ep->name,
		  what, ep->ifname, ep->netns);
	if (!ctx->json)
		printf("endpoint %s: made again:%s (%s in netns %s)\n", ep->name, what, ep->ifname,
		       ep->netns);
	return 0;
}

/* A network's own link on the host (a macvlan network's shim). */
static int relink_net(const struct cbpf_ctx *ctx, const struct cbpf_network *net, bool thorough)
{
	const struct net_model_ops *model = net_model_of(net);
	unsigned int made = 0;
	char parts[48];
	int err;

	if (!model || !model->relink_net)
		return 0;
	err = model->relink_net(ctx, net, thorough, &made);
	if (err || !made)
		return err;
	describe(made, parts, sizeof(parts));
	agent_log(LOG_LVL_WARN, "reconcile: network %s: made again:%s (its link on the host)",
		  net->name, parts);
	if (!ctx->json)
		printf("network %s: made again:%s (its link on the host)\n", net->name, parts);
	return 0;
}

void relink_endpoints(const struct cbpf_ctx *ctx, struct cbpf_state *st, enum relink_depth depth,
		      struct relink_report *report)
{
	memset(report, 0, sizeof(*report));
	for (size_t i = 0; i < st->n_nets; i++) {
		int err = relink_net(ctx, &st->nets[i], depth == RELINK_IN_NETNS);

		if (!err)
			continue;
		report->failed++;
		report->first_err = report->first_err ?: err;
	}
	for (size_t i = 0; i < st->n_eps; i++) {
		int err;

		if (!state_ep_is_local(&st->eps[i]))
			continue;
		err = relink_one(ctx, st, &st->eps[i], depth, report);
		if (!err)
			continue;
		report->failed++;
		report->first_err = report->first_err ?: err;
	}
	if (report->no_netns > RELINK_NAMED_MAX && depth != RELINK_FROM_HOST_QUIET)
		agent_log(LOG_LVL_WARN, "reconcile: %zu more endpoints whose netns is gone",
			  report->no_netns - RELINK_NAMED_MAX);
}
