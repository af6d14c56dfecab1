/*
 * Attaching the endpoint programs to interfaces: TCX ingress and egress (Linux 6.6), or XDP.
 * cbpfnet's attachments are bpf_links pinned under <pin dir>/links/ (attach_link.c): they stay
 * after the process exits, go when unpinned, and name exactly what is ours.
 */
#ifndef CBPF_ATTACH_H
#define CBPF_ATTACH_H

#include <linux/bpf.h>
#include <stdbool.h>

#include "core/cmd.h"

/*
 * TCX, the kernel's own BPF hook at ingress and egress (Linux 6.6): BPF_PROG_ATTACH, DETACH and
 * QUERY with these attach types and the interface's index as target. These are the kernel's
 * uapi values (enum bpf_attach_type, BPF_F_BEFORE); Debian's <linux/bpf.h> (6.1) and libbpf
 * 1.1 predate them.
 */
#define CBPF_TCX_INGRESS 46	   /* BPF_TCX_INGRESS */
#define CBPF_TCX_EGRESS	 47	   /* BPF_TCX_EGRESS */
#define CBPF_BPF_XDP	 37	   /* BPF_XDP, the attach type of an XDP link */
#define CBPF_F_BEFORE	 (1U << 3) /* BPF_F_BEFORE: with no program named, first on the hook */

enum cbpf_hook {
	CBPF_HOOK_TC,	    /* endpoint program, host side of an endpoint */
	CBPF_HOOK_XDP,	    /* endpoint early filter */
	CBPF_HOOK_UNDERLAY, /* tunnel end, TCX ingress of the underlay interface */
};

/* Attaches (or replaces) the pinned program for hook on ifindex. */
int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook);
/*
 * Attaches the pinned program pin at TCX ingress or egress of ifindex through our pinned link
 * there: a live link gets the program in place of its old one, otherwise a new link goes first
 * on the hook. A cbpfnet program attached without a link (an older build) is detached after.
 */
int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress);
/* The same for the XDP stage. */
int cbpf_attach_xdp(const struct cbpf_ctx *ctx, int ifindex);
/* Unpins ifindex's links, which detaches their programs; missing ones are fine. */
int cbpf_links_unpin(const struct cbpf_ctx *ctx, int ifindex);
/*
 * Unpins ifindex's links once the interface is deleted: the deletion detached them already,
 * without the grace period an explicit detach waits for on each hook.
 */
int cbpf_links_forget(const struct cbpf_ctx *ctx, int ifindex);
/*
 * Whether our pinned link of attach type (CBPF_TCX_INGRESS, CBPF_BPF_XDP...) on ifindex holds a
 * live interface: a link whose interface was deleted (in whatever namespace) reads ifindex 0.
 * Changes nothing.
 */
bool cbpf_link_live(const struct cbpf_ctx *ctx, int ifindex, unsigned int type);
/*
 * Whether, by the links read for this pass (ctx->links), our link at TCX ingress or egress of
 * ifindex is live and holds the program pinned as pin. False without such a snapshot.
 */
bool cbpf_link_current(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress);
/* Unpins links whose interface is gone; *pruned counts them. */
int cbpf_links_prune(const struct cbpf_ctx *ctx, int *pruned);
/* Detaches, from one TCX hook, cbpfnet programs attached without a link, but keep_id. */
int cbpf_tcx_detach_others(int ifindex, unsigned int type, unsigned int keep_id);
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
/* Removes cbpfnet's links, and programs of ours attached without one, from ifindex. */
int cbpf_detach(const struct cbpf_ctx *ctx, int ifindex);
/*
 * Detaches the XDP program on ifindex that was attached without a link, if it is cbpfnet's (an
 * older build's): a link cannot be made next to it. -EBUSY when it is somebody else's, which
 * stays; 0 when there is none.
 */
int cbpf_xdp_detach_unlinked(int ifindex);
/* The ids of cbpfnet's pinned TC programs: on a hook, these are ours without a look at names. */
struct cbpf_our_progs {
	unsigned int ids[8];
	int n;
};
/* Reads them once for a pass over many interfaces; a program not pinned is left out. */
void cbpf_our_progs_read(const struct cbpf_ctx *ctx, struct cbpf_our_progs *progs);
/*
 * Reports which hooks carry a program of cbpfnet's: bit 0 TC (at TCX ingress), bit 1 XDP (our
 * pinned link). known (NULL: none) spares opening each program on the hook for its name, at
 * thousands of interfaces most of `status`. Returns a mask or -errno.
 */
int cbpf_attached(const struct cbpf_ctx *ctx, const struct cbpf_our_progs *known, int ifindex);

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
