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

/* Egress of the host side: policy for what the host stack sends into the endpoint. */
static int attach_to_ep(const struct cbpf_ctx *ctx, int ifindex)
{
	LIBBPF_OPTS(bpf_tc_hook, tc_hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CBPF_TC_HANDLE, .priority = CBPF_TC_PRIORITY,
		    .flags = BPF_TC_F_REPLACE);
	int err, prog_fd = cbpf_prog_open(ctx, CBPF_PIN_PROG_TC_TO_EP);

	if (prog_fd < 0)
		return prog_fd;
	tc_opts.prog_fd = prog_fd;
	err = bpf_tc_attach(&tc_hook, &tc_opts);
	close(prog_fd);
	return err;
}

int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook)
{
	const char *pin = hook == CBPF_HOOK_XDP ? CBPF_PIN_PROG_XDP : CBPF_PIN_PROG_TC;
	int prog_fd = cbpf_prog_open(ctx, pin);
	int err;

	if (prog_fd < 0)
		return prog_fd;
	if (hook == CBPF_HOOK_XDP) {
		err = bpf_xdp_attach(ifindex, prog_fd, 0, NULL);
	} else {
		LIBBPF_OPTS(bpf_tc_hook, tc_hook, .ifindex = ifindex, .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, tc_opts, .handle = CBPF_TC_HANDLE,
			    .priority = CBPF_TC_PRIORITY, .prog_fd = prog_fd,
			    .flags = BPF_TC_F_REPLACE);

		err = bpf_tc_hook_create(&tc_hook);
		if (err == -EEXIST)
			err = 0;
		if (!err)
			err = bpf_tc_attach(&tc_hook, &tc_opts);
		if (!err)
			err = attach_to_ep(ctx, ifindex);
	}
	close(prog_fd);
	return err;
}

static int silent(enum libbpf_print_level level, const char *fmt, va_list args)
{
	(void)level;
	(void)fmt;
	(void)args;
	return 0;
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
