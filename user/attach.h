/* Attaching the endpoint programs to interfaces (TC clsact ingress, or XDP). */
#ifndef CBPF_ATTACH_H
#define CBPF_ATTACH_H

#include <stdbool.h>

#include "cli.h"

enum cbpf_hook {
	CBPF_HOOK_TC,	    /* endpoint program, host side of an endpoint */
	CBPF_HOOK_XDP,	    /* endpoint early filter */
	CBPF_HOOK_UNDERLAY, /* tunnel end, TC ingress of the underlay interface */
};

/* Attaches (or replaces) the pinned program for hook on ifindex. */
int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook);
/* Attaches (or replaces) the pinned program pin at TC ingress or egress of ifindex. */
int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress);
/* Removes cbpfnet's TC filter and XDP program from ifindex; absent ones are fine. */
int cbpf_detach(int ifindex);
/* Reports which hooks carry a program: bit 0 TC, bit 1 XDP. Returns a mask or -errno. */
int cbpf_attached(int ifindex);

#endif
