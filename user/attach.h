/*
 * Attaching the endpoint programs to interfaces: TCX ingress and egress (BPF_PROG_ATTACH with
 * the interface's index as target, Linux 6.6), or XDP. Attachments are not links: like tc
 * filters they stay after the process exits, and go with the interface.
 */
#ifndef CBPF_ATTACH_H
#define CBPF_ATTACH_H

#include <linux/bpf.h>
#include <stdbool.h>

#include "cli.h"

enum cbpf_hook {
	CBPF_HOOK_TC,	    /* endpoint program, host side of an endpoint */
	CBPF_HOOK_XDP,	    /* endpoint early filter */
	CBPF_HOOK_UNDERLAY, /* tunnel end, TCX ingress of the underlay interface */
};

/* Attaches (or replaces) the pinned program for hook on ifindex. */
int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook);
/* Attaches (or replaces) the pinned program pin at TCX ingress or egress of ifindex. */
int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress);
/*
 * Attaches prog_fd at TCX ingress or egress of ifindex in place of cbpfnet's program there
 * (BPF_F_REPLACE: no packet finds the hook without one), or first on the hook when none of
 * cbpfnet's is there. Other programs on the hook stay where they are; a second program of
 * cbpfnet's there (none should be) is detached. Attaching what is attached already is a no-op.
 */
int cbpf_tcx_attach(int ifindex, int prog_fd, bool egress);
/* Detaches cbpfnet's programs from TCX ingress and egress of ifindex; others stay. */
int cbpf_tcx_detach(int ifindex);
/* The kernel's attach type for TCX ingress or egress, for tools attaching programs of their own. */
unsigned int cbpf_tcx_attach_type(bool egress);
/* Removes cbpfnet's TCX programs and the XDP program from ifindex; absent ones are fine. */
int cbpf_detach(int ifindex);
/*
 * Reports which hooks carry a program: bit 0 TC (one of cbpfnet's at TCX ingress), bit 1 XDP.
 * Returns a mask or -errno.
 */
int cbpf_attached(int ifindex);

/* One program on an interface's hooks, as `cbpfnet attach --show` lists it. */
struct cbpf_hook_prog {
	const char *hook; /* "tcx_ingress", "tcx_egress" or "xdp" */
	char name[BPF_OBJ_NAME_LEN];
	unsigned int id;
};

/* Room for every program the hooks can hold: 64 per TCX hook (BPF_MPROG_MAX), 3 XDP modes. */
#define CBPF_HOOK_PROGS_MAX (2 * 64 + 3)

/*
 * Lists the programs at TCX ingress (in the order they run), TCX egress, then XDP of ifindex,
 * whoever attached them, into progs (CBPF_HOOK_PROGS_MAX entries). Returns the count or -errno.
 */
int cbpf_hook_progs(int ifindex, struct cbpf_hook_prog *progs);

#endif
