#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/if_link.h>
#include <string.h>
#include <unistd.h>

#include "link/xdp_query.h"
#include "reconcile/attach.h"
#include "reconcile/loader.h"
#include "reconcile/rcu_expedite.h"

/* The most programs one TCX hook holds (BPF_MPROG_MAX). */
#define CBPF_TCX_MAX 64

/* cbpfnet's TC programs: what is found on a TCX hook by one of these names is ours. */
static const char *const our_tc_pins[] = {
    CBPF_PIN_PROG_TC,
    CBPF_PIN_PROG_TC_TO_EP,
    CBPF_PIN_PROG_UNDERLAY,
    CBPF_PIN_PROG_MACVLAN_EGRESS,
    CBPF_PIN_PROG_MACVLAN_INGRESS,
};

_Static_assert(sizeof(our_tc_pins) / sizeof(our_tc_pins[0]) <=
		   sizeof(((struct cbpf_our_progs *)0)->ids) / sizeof(unsigned int),
	       "struct cbpf_our_progs holds every pinned TC program");

static bool is_ours(const char *kernel_name)
{
	for (size_t i = 0; i < sizeof(our_tc_pins) / sizeof(our_tc_pins[0]); i++) {
		const char *name = our_tc_pins[i] + strlen(CBPF_PIN_PROG_PREFIX);

		/* The kernel keeps the first BPF_OBJ_NAME_LEN - 1 characters of a name. */
		if (!strncmp(kernel_name, name, BPF_OBJ_NAME_LEN - 1))
			return true;
	}
	return false;
}

unsigned int cbpf_tcx_attach_type(bool egress)
{
	return egress ? CBPF_TCX_EGRESS : CBPF_TCX_INGRESS;
}

/* The ids of the programs at TCX hook type of ifindex, in run order; the count or -errno. */
static int tcx_query(int ifindex, unsigned int type, __u32 ids[CBPF_TCX_MAX])
{
	__u32 count = CBPF_TCX_MAX;
	int err = bpf_prog_query(ifindex, (enum bpf_attach_type)type, 0, NULL, ids, &count);

	return err ? err : (int)count;
}

/* Opens program id, its name in name; an fd or -errno (-ENOENT: it went meanwhile). */
static int prog_open_id(__u32 id, char name[BPF_OBJ_NAME_LEN])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id), err;

	if (fd < 0)
		return fd;
	err = bpf_obj_get_info_by_fd(fd, &info, &len);
	if (err) {
		close(fd);
		return err;
	}
	memcpy(name, info.name, BPF_OBJ_NAME_LEN);
	return fd;
}

/* cbpfnet's programs on one TCX hook, in run order, opened. */
struct tcx_ours {
	int n;
	int fds[CBPF_TCX_MAX];
	__u32 ids[CBPF_TCX_MAX];
};

static void tcx_ours_close(struct tcx_ours *ours)
{
	for (int i = 0; i < ours->n; i++)
		close(ours->fds[i]);
	ours->n = 0;
}

static int tcx_ours_open(int ifindex, unsigned int type, struct tcx_ours *ours)
{
	__u32 ids[CBPF_TCX_MAX];
	int n = tcx_query(ifindex, type, ids);

	ours->n = 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		char name[BPF_OBJ_NAME_LEN];
		int fd = prog_open_id(ids[i], name);

		if (fd == -ENOENT)
			continue;
		if (fd < 0) {
			tcx_ours_close(ours);
			return fd;
		}
		if (!is_ours(name)) {
			close(fd);
			continue;
		}
		ours->fds[ours->n] = fd;
		ours->ids[ours->n++] = ids[i];
	}
	return 0;
}

/* Detaches ours->fds[i] for every i but keep; one that went meanwhile is fine. */
static int tcx_detach_ours(int ifindex, unsigned int type, const struct tcx_ours *ours, int keep)
{
	int err = 0;

	for (int i = 0; i < ours->n && !err; i++) {
		if (i == keep)
			continue;
		err = bpf_prog_detach2(ours->fds[i], ifindex, (enum bpf_attach_type)type);
		/* Gone meanwhile, or held by a link: a link goes by its pin, not this way. */
		if (err == -ENOENT || err == -EBUSY)
			err = 0;
	}
	return err;
}

int cbpf_tcx_attach(int ifindex, int prog_fd, bool egress)
{
	LIBBPF_OPTS(bpf_prog_attach_opts, opts, .flags = CBPF_F_BEFORE);
	unsigned int type = cbpf_tcx_attach_type(egress);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct tcx_ours ours;
	bool present = false;
	int keep = -1, err;

	err = bpf_obj_get_info_by_fd(prog_fd, &info, &len);
	err = err ?: tcx_ours_open(ifindex, type, &ours);
	if (err)
		return err;
	for (int i = 0; i < ours.n && !present; i++) {
		if (ours.ids[i] == info.id) {
			keep = i;
			present = true;
		}
	}
	if (!present && ours.n) {
		/* In place of ours, where it runs: the hook is never without one of ours. */
		opts.flags = BPF_F_REPLACE;
		opts.replace_prog_fd = ours.fds[0];
		keep = 0;
	}
	if (!present)
		err = bpf_prog_attach_opts(prog_fd, ifindex, (enum bpf_attach_type)type, &opts);
	err = err ?: tcx_detach_ours(ifindex, type, &ours, keep);
	tcx_ours_close(&ours);
	return err;
}

int cbpf_tcx_detach_others(int ifindex, unsigned int type, unsigned int keep_id)
{
	struct tcx_ours ours;
	int err = tcx_ours_open(ifindex, type, &ours);

	for (int i = 0; i < ours.n && !err; i++) {
		if (ours.ids[i] == keep_id)
			continue;
		err = bpf_prog_detach2(ours.fds[i], ifindex, (enum bpf_attach_type)type);
		/* Gone meanwhile, or held by a link (ours or another's): not detached this way. */
		if (err == -ENOENT || err == -EBUSY)
			err = 0;
	}
	tcx_ours_close(&ours);
	return err;
}

int cbpf_tcx_detach(int ifindex)
{
	struct tcx_ours ours;
	int err = 0;

	for (int egress = 0; egress <= 1 && !err; egress++) {
		unsigned int type = cbpf_tcx_attach_type(egress);

		err = tcx_ours_open(ifindex, type, &ours);
		if (err)
			break;
		err = tcx_detach_ours(ifindex, type, &ours, -1);
		tcx_ours_close(&ours);
	}
	return err;
}

int cbpf_attach(const struct cbpf_ctx *ctx, int ifindex, enum cbpf_hook hook)
{
	struct rcu_expedite window;
	int err;

	/*
	 * An endpoint's host side: what it sends (ingress) and what the host sends it (egress),
	 * in one window (rcu_expedite.h).
	 */
	if (hook == CBPF_HOOK_TC) {
		/* Nothing to change: no window, which could wait for another process's. */
		if (cbpf_link_current(ctx, ifindex, CBPF_PIN_PROG_TC, false) &&
		    cbpf_link_current(ctx, ifindex, CBPF_PIN_PROG_TC_TO_EP, true))
			return 0;
		rcu_expedite_begin(&window);
		err = cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_TC, false);
		err = err ?: cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_TC_TO_EP, true);
		rcu_expedite_end(&window);
		return err;
	}
	if (hook == CBPF_HOOK_UNDERLAY)
		return cbpf_attach_tc(ctx, ifindex, CBPF_PIN_PROG_UNDERLAY, false);
	return cbpf_attach_xdp(ctx, ifindex);
}

void cbpf_our_progs_read(const struct cbpf_ctx *ctx, struct cbpf_our_progs *progs)
{
	progs->n = 0;
	for (size_t i = 0; i < sizeof(our_tc_pins) / sizeof(our_tc_pins[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = cbpf_pin_open_cached(ctx, our_tc_pins[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			progs->ids[progs->n++] = info.id;
		if (!ctx->pins)
			close(fd);
	}
}

/* Whether program id is ours: a pinned one, or one of an older build's, by its name. */
static bool prog_is_ours(const struct cbpf_our_progs *known, __u32 id)
{
	char name[BPF_OBJ_NAME_LEN];
	int fd;

	for (int i = 0; known && i < known->n; i++)
		if (known->ids[i] == id)
			return true;
	fd = prog_open_id(id, name);
	if (fd < 0)
		return false;
	close(fd);
	return is_ours(name);
}

int cbpf_attached(const struct cbpf_ctx *ctx, const struct cbpf_our_progs *known, int ifindex)
{
	__u32 ids[CBPF_TCX_MAX];
	int n = tcx_query(ifindex, CBPF_TCX_INGRESS, ids), mask = 0;

	if (n < 0)
		return n;
	for (int i = 0; i < n && !mask; i++)
		if (prog_is_ours(known, ids[i]))
			mask |= 1 << CBPF_HOOK_TC;
	/*
	 * Ours is the pinned link. Asking the interface instead costs a netlink message, and the
	 * kernel walks every peer namespace for each: on a host of veths, seconds for `status`.
	 */
	if (cbpf_link_live(ctx, ifindex, CBPF_BPF_XDP))
		mask |= 1 << CBPF_HOOK_XDP;
	return mask;
}

int cbpf_xdp_detach_unlinked(int ifindex)
{
	char name[BPF_OBJ_NAME_LEN];
	struct nl_xdp_ids xdp;
	int err = nl_xdp_query(ifindex, &xdp), fd;

	if (err || !xdp.prog)
		return err;
	fd = prog_open_id(xdp.prog, name);
	if (fd < 0)
		return fd == -ENOENT ? 0 : fd;
	close(fd);
	return strncmp(name, &CBPF_PIN_PROG_XDP[strlen(CBPF_PIN_PROG_PREFIX)], BPF_OBJ_NAME_LEN - 1)
		   ? -EBUSY
		   : bpf_xdp_detach(ifindex, 0, NULL);
}

int cbpf_detach(const struct cbpf_ctx *ctx, int ifindex)
{
	int err = cbpf_links_unpin(ctx, ifindex);

	err = err ?: cbpf_tcx_detach(ifindex);
	if (err)
		return err;
	/* Another tool's XDP program stays where it is. */
	err = cbpf_xdp_detach_unlinked(ifindex);
	return err == -EBUSY ? 0 : err;
}

/* Appends the program id on hook to progs; one that went meanwhile is left out. */
static int hook_prog_add(struct cbpf_hook_prog *progs, int n, const char *hook, __u32 id)
{
	int fd = prog_open_id(id, progs[n].name);

	if (fd == -ENOENT)
		return n;
	if (fd < 0)
		return fd;
	close(fd);
	progs[n].hook = hook;
	progs[n].id = id;
	return n + 1;
}

int cbpf_hook_progs(int ifindex, struct cbpf_hook_prog *progs)
{
	struct nl_xdp_ids xdp;
	__u32 ids[CBPF_TCX_MAX];
	int n = 0, count;

	for (int egress = 0; egress <= 1; egress++) {
		count = tcx_query(ifindex, cbpf_tcx_attach_type(egress), ids);
		for (int i = 0; i < count && n >= 0; i++)
			n = hook_prog_add(progs, n, egress ? "tcx_egress" : "tcx_ingress", ids[i]);
		if (count < 0 || n < 0)
			return count < 0 ? count : n;
	}
	/* A program per XDP mode: driver, generic (skb) and offloaded. */
	count = nl_xdp_query(ifindex, &xdp);
	if (count)
		return count;
	__u32 xdp_ids[] = {xdp.drv, xdp.skb, xdp.hw};

	for (size_t i = 0; i < sizeof(xdp_ids) / sizeof(xdp_ids[0]) && n >= 0; i++)
		if (xdp_ids[i])
			n = hook_prog_add(progs, n, "xdp", xdp_ids[i]);
	return n;
}
