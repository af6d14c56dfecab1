/*
 * cbpfnet's attachments are bpf_links pinned under <pin dir>/links/, one per hook and
 * interface (`tcx_ingress-42`, `tcx_egress-42`, `xdp-42`): what cbpfnet attached is exactly
 * what is pinned there, and nobody else's program is ever detached. A new program replaces the
 * old one inside the link (bpf_link_update), so the hook is never without one of ours; a link
 * whose interface went away is unpinned and made anew.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "reconcile/link_table.h"
#include "reconcile/loader.h"
#include "reconcile/rcu_expedite.h"

/* Our pinned link on the hook, live; -ENOENT when there is none (a dead one is unpinned). */
static int link_open(const char *path)
{
	int fd = bpf_obj_get(path), ifindex;

	if (fd < 0)
		return -errno;
	ifindex = link_fd_ifindex(fd);
	if (ifindex > 0)
		return fd;
	close(fd);
	unlink(path);
	return ifindex < 0 ? ifindex : -ENOENT;
}

/* cbpfnet programs attached without a link (by a build before links) go once ours is in. */
static int drop_unlinked(int ifindex, unsigned int type, int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	/* An XDP program attached without a link blocks link creation: it goes first. */
	if (type == CBPF_BPF_XDP)
		return cbpf_xdp_detach_unlinked(ifindex);
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	return cbpf_tcx_detach_others(ifindex, type, info.id);
}

static int link_attach(const struct cbpf_ctx *ctx, int ifindex, int prog_fd, unsigned int type)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = type == CBPF_BPF_XDP ? 0 : CBPF_F_BEFORE);
	struct rcu_expedite window;
	char path[512];
	int fd, err = link_pin_path(ctx, type, ifindex, path, sizeof(path));

	if (err)
		return err;
	fd = link_open(path);
	if (fd >= 0) {
		err = bpf_link_update(fd, prog_fd, NULL);
		close(fd);
		return err ?: (type == CBPF_BPF_XDP ? 0 : drop_unlinked(ifindex, type, prog_fd));
	}
	if (fd != -ENOENT)
		return fd;
	if (type == CBPF_BPF_XDP && (err = drop_unlinked(ifindex, type, prog_fd)))
		return err;
	rcu_expedite_begin(&window);
	fd = bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)type, &opts);
	if (fd == -EEXIST) {
		/* The same program attached without a link: it has to go before the link. */
		err = cbpf_tcx_detach_others(ifindex, type, 0);
		fd = err ?: bpf_link_create(prog_fd, ifindex, (enum bpf_attach_type)type, &opts);
	}
	rcu_expedite_end(&window);
	if (fd < 0)
		return fd;
	err = link_pin_dir_make(ctx);
	err = err ?: (bpf_obj_pin(fd, path) ? -errno : 0);
	close(fd);
	return err ?: (type == CBPF_BPF_XDP ? 0 : drop_unlinked(ifindex, type, prog_fd));
}

bool cbpf_link_current(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress)
{
	unsigned int prog_id;

	if (!ctx->links)
		return false;
	prog_id = link_table_prog(ctx->links, cbpf_tcx_attach_type(egress), ifindex);
	return prog_id && prog_id == link_table_pin_prog(ctx, ctx->links, pin);
}

int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress)
{
	int prog_fd, err;

	/*
	 * A link holding this program got it here, and our programs attached without a link
	 * went then: nothing is left to do, for every endpoint at an agent's restart.
	 */
	if (cbpf_link_current(ctx, ifindex, pin, egress))
		return 0;
	prog_fd = cbpf_pin_open_cached(ctx, pin);
	if (prog_fd < 0)
		return prog_fd;
	err = link_attach(ctx, ifindex, prog_fd, cbpf_tcx_attach_type(egress));
	close(prog_fd);
	return err;
}

int cbpf_attach_xdp(const struct cbpf_ctx *ctx, int ifindex)
{
	int prog_fd = cbpf_pin_open_cached(ctx, CBPF_PIN_PROG_XDP), err;

	if (prog_fd < 0)
		return prog_fd;
	err = link_attach(ctx, ifindex, prog_fd, CBPF_BPF_XDP);
	close(prog_fd);
	return err;
}

int cbpf_links_unpin(const struct cbpf_ctx *ctx, int ifindex)
{
	static const unsigned int types[] = {CBPF_TCX_INGRESS, CBPF_TCX_EGRESS, CBPF_BPF_XDP};
	struct rcu_expedite window;
	char path[512];
	int err = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int e = link_pin_path(ctx, types[i], ifindex, path, sizeof(path)), fd;

		/* Detached now: the last reference's release would detach it only later. */
		fd = e ? -1 : bpf_obj_get(path);
		if (fd >= 0) {
			rcu_expedite_begin(&window);
			e = bpf_link_detach(fd);
			rcu_expedite_end(&window);
			close(fd);
		}
		if (!e && unlink(path) && errno != ENOENT)
			e = -errno;
		err = err ?: e;
	}
	return err;
}

int cbpf_links_forget(const struct cbpf_ctx *ctx, int ifindex)
{
	static const unsigned int types[] = {CBPF_TCX_INGRESS, CBPF_TCX_EGRESS, CBPF_BPF_XDP};
	char path[512];
	int err = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int e = link_pin_path(ctx, types[i], ifindex, path, sizeof(path));

		if (!e && unlink(path) && errno != ENOENT)
			e = -errno;
		err = err ?: e;
	}
	return err;
}

bool cbpf_link_live(const struct cbpf_ctx *ctx, int ifindex, unsigned int type)
{
	char path[512];
	int fd, live;

	if (ctx->links)
		return link_table_prog(ctx->links, type, ifindex);
	if (link_pin_path(ctx, type, ifindex, path, sizeof(path)))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	live = link_fd_ifindex(fd);
	close(fd);
	return live > 0;
}

int cbpf_links_prune(const struct cbpf_ctx *ctx, int *pruned)
{
	struct cbpf_link_table *table;
	int err = link_table_read(ctx, &table, pruned);

	link_table_free(table);
	return err;
}
