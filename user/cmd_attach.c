/* attach, detach: put the endpoint program on any interface by hand. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "attach.h"
#include "commands.h"
#include "output.h"

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

int cmd_attach(struct cbpf_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"xdp", no_argument, NULL, 'x'},
	    {"tc", no_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	enum cbpf_hook hook = CBPF_HOOK_TC;
	unsigned int ifindex;
	int opt, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'x')
			hook = CBPF_HOOK_XDP;
		else if (opt == 't')
			hook = CBPF_HOOK_TC;
		else
			return -EINVAL;
	}
	if (optind != argc - 1) {
		cbpf_err("attach: usage: attach IFACE [--xdp|--tc]");
		return -EINVAL;
	}
	ifindex = if_nametoindex(argv[optind]);
	if (!ifindex) {
		cbpf_err("attach: interface %s: %s", argv[optind], strerror(errno));
		return -ENODEV;
	}
	err = cbpf_attach(ctx, ifindex, hook);
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
	err = cbpf_detach(ifindex);
	if (err) {
		cbpf_err("detach: %s: %s", argv[1], strerror(-err));
		return err;
	}
	return report(ctx, "detached", argv[1], "tc+xdp");
}
