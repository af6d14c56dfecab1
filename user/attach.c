#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "loader.h"

/* Fixed handle and priority: one cbpfnet filter per interface, found again without state. */
#define CBPF_TC_HANDLE	 0xcbf
#define CBPF_TC_PRIORITY 1

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
}

int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress)
{
	LIBBPF_OPTS(bpf_tc_hook, tc_hook, .ifindex = ifindex,
		    .attach_point = egress ? BPF_TC_EGRESS : BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CBPF_TC_HANDLE, .priority = CBPF_TC_PRIORITY,
		    .flags = BPF_TC_F_REPLACE);
	int err;

	tc_opts.prog_fd = cbpf_prog_open(ctx, pin);
	if (tc_opts.prog_fd < 0)
		return tc_opts.prog_fd;
	/* The clsact qdisc may be there already (the other direction's program): not an error. */
	libbpf_print_fn_t previous = libbpf_set_print(silent);

	err = bpf_tc_hook_create(&tc_hook);
	libbpf_set_print(previous);
	if (err == -EEXIST)
		err = 0;
	if (!err)
		err = bpf_tc_attach(&tc_hook, &tc_opts);
	close(tc_opts.prog_fd);
	return err;
}

int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook)
{
	int prog_fd, err;

	/* An endpoint's host side: what it sends (ingress) and what the host sends it (egress). */
	if (hook == CBPF_HOOK_TC) {
		err = cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_TC, false);
		return err ? err : cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_TC_TO_EP, true);
	}
	if (hook == CBPF_HOOK_UNDERLAY)
		return cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_UNDERLAY, false);
	prog_fd = cbpf_prog_open(ctx, CBPF_PIN_PROG_XDP);
	if (prog_fd < 0)
		return prog_fd;
	err = bpf_xdp_attach(ifindex, prog_fd, 0, NULL);
	close(prog_fd);
	return err;
}

int cbpf_attached(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, tc_hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CBPF_TC_HANDLE, .priority = CBPF_TC_PRIORITY);
	__u32 xdp_id = 0;
	int mask = 0;

	/* A missing filter is an answer here, not an error for libbpf to print. */
	libbpf_print_fn_t previous = libbpf_set_print(silent);

	if (!bpf_tc_query(&tc_hook, &tc_opts))
		mask |= 1 << CBPF_HOOK_TC;
	libbpf_set_print(previous);
	if (!bpf_xdp_query_id(ifindex, 0, &xdp_id) && xdp_id)
		mask |= 1 << CBPF_HOOK_XDP;
	return mask;
}

int cbpf_detach(int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, tc_hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CBPF_TC_HANDLE, .priority = CBPF_TC_PRIORITY);
	int err = 0;

	/* Query first: detaching a missing filter makes libbpf print a kernel error. */
	if (cbpf_attached(ifindex) & (1 << CBPF_HOOK_TC)) {
		LIBBPF_OPTS(bpf_tc_hook, egress, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, egress_opts, .handle = CBPF_TC_HANDLE,
			    .priority = CBPF_TC_PRIORITY);
		libbpf_print_fn_t previous;

		tc_opts.prog_fd = tc_opts.prog_id = 0;
		tc_opts.flags = 0;
		err = bpf_tc_detach(&tc_hook, &tc_opts);
		/* Pins of an older build have no egress program: nothing to detach then. */
		previous = libbpf_set_print(silent);
		if (!err && !bpf_tc_query(&egress, &egress_opts)) {
			egress_opts.prog_fd = egress_opts.prog_id = 0;
			egress_opts.flags = 0;
			err = bpf_tc_detach(&egress, &egress_opts);
		}
		libbpf_set_print(previous);
	}
	if (!err)
		err = bpf_xdp_detach(ifindex, 0, NULL);
	return err;
}
