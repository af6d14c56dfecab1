/* attach, detach: put the endpoint program on any interface by hand; attach --show lists. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "cli/commands.h"
#include "core/output.h"
#include "store/state.h"

static int report(struct cbpf_ctx *ctx, const char *verb, const char *ifname, const char *hook)
{
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, verb, json_object_new_string(ifname));
		json_object_object_add(doc, "hook", json_object_new_string(hook));
		cbpf_print_json(doc);
	} else {
		printf("%s %s (%s)\n", verb, ifname, hook);
	}
	return 0;
}

/* Every program on the interface's TCX and XDP hooks, cbpfnet's or not; needs no pins. */
static int show(struct cbpf_ctx *ctx, const char *ifname, unsigned int ifindex)
{
	struct cbpf_hook_prog progs[CBPF_HOOK_PROGS_MAX];
	int n = cbpf_hook_progs(ifindex, progs);
	json_object *doc;

	if (n < 0) {
		cbpf_err("attach --show: programs on %s: %s", ifname, strerror(-n));
		return n;
	}
	if (!ctx->json) {
		for (int i = 0; i < n; i++)
			printf("%s %s id %u\n", progs[i].hook, progs[i].name, progs[i].id);
		return 0;
	}
	doc = json_object_new_array();
	for (int i = 0; i < n; i++) {
		json_object *prog = json_object_new_object();

		json_object_object_add(prog, "hook", json_object_new_string(progs[i].hook));
		json_object_object_add(prog, "name", json_object_new_string(progs[i].name));
		json_object_object_add(prog, "id", json_object_new_int64(progs[i].id));
		json_object_array_add(doc, prog);
	}
	cbpf_print_json(doc);
	return 0;
}

const struct cbpf_opt cbpf_attach_opts[] = {
    {"xdp", 'x', NULL, "on the XDP hook"},
    {"tc", 't', NULL, "on the TCX hook (the default)"},
    {"show", 's', NULL, "list the programs on IFACE's TCX and XDP hooks instead"},
    {NULL, 0, NULL, NULL},
};

/*
 * The endpoint program belongs on endpoints' host-side links only: on the underlay it would
 * replace the tunnel program and cut the overlay until the next load.
 */
static int refuse_non_endpoint(const struct cbpf_ctx *ctx, const char *ifname)
{
	struct cbpf_state st;
	int err = state_open(ctx->state_dir, &st);

	if (err)
		return err;
	for (size_t i = 0; i < st.n_eps; i++)
		if (state_ep_is_local(&st.eps[i]) && !strcmp(st.eps[i].host_ifname, ifname))
			goto out;
	err = -EINVAL;
	if (state_local_node(&st) && !strcmp(state_local_node(&st)->ifname, ifname))
		cbpf_err("attach: %s is the underlay interface of node %s, not an endpoint's: the "
			 "endpoint program would replace its tunnel program",
			 ifname, state_local_node(&st)->name);
	else
		cbpf_err(
		    "attach: %s is not the host-side interface of an endpoint (see the HOST-IF "
		    "column of `cbpfnet ep list`)",
		    ifname);
out:
	state_close(&st);
	return err;
}

int cmd_attach(struct cbpf_ctx *ctx, int argc, char **argv)
{
	enum cbpf_hook hook = CBPF_HOOK_TC;
	bool hook_given = false, list = false;
	unsigned int ifindex;
	int opt, err;

	optind = 0;
	while ((opt = cbpf_getopt(argc, argv, cbpf_attach_opts, "attach")) != -1) {
		if (opt == 'x' || opt == 't') {
			hook = opt == 'x' ? CBPF_HOOK_XDP : CBPF_HOOK_TC;
			hook_given = true;
		} else if (opt == 's') {
			list = true;
		} else {
			return -EINVAL;
		}
	}
	if (optind != argc - 1 || (list && hook_given)) {
		cbpf_err("attach: usage: attach IFACE [--xdp|--tc], or attach --show IFACE");
		return -EINVAL;
	}
	ifindex = if_nametoindex(argv[optind]);
	if (!ifindex) {
		cbpf_err("attach: interface %s: %s", argv[optind], strerror(errno));
		return -ENODEV;
	}
	if (list)
		return show(ctx, argv[optind], ifindex);
	err = refuse_non_endpoint(ctx, argv[optind]);
	if (err)
		return err;
	err = cbpf_attach(ctx, ifindex, hook);
	if (err == -EBUSY && hook == CBPF_HOOK_XDP) {
		cbpf_err("attach: XDP program on %s: its XDP hook holds a program cbpfnet did not "
			 "attach, which is left alone (see `cbpfnet attach --show %s`)",
			 argv[optind], argv[optind]);
		return err;
	}
	if (err) {
		cbpf_err("attach: %s program on %s: %s", hook == CBPF_HOOK_XDP ? "XDP" : "TC",
			 argv[optind], strerror(-err));
		return err;
	}
	return report(ctx, "attached", argv[optind], hook == CBPF_HOOK_XDP ? "xdp" : "tc");
}

int cmd_detach(struct cbpf_ctx *ctx, int argc, char **argv)
{
	unsigned int ifindex;
	int err;

	if (argc != 2) {
		cbpf_err("detach: usage: detach IFACE");
		return -EINVAL;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		cbpf_err("detach: interface %s: %s", argv[1], strerror(errno));
		return -ENODEV;
	}
	err = cbpf_detach(ctx, ifindex);
	if (err) {
		cbpf_err("detach: %s: %s", argv[1], strerror(-err));
		return err;
	}
	return report(ctx, "detached", argv[1], "tc+xdp");
}
