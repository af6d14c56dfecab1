/*
 * cbpfnet's attachments are bpf_links pinned under <pin dir>/links/, one per hook and
 * interface (`tcx_ingress-42`, `tcx_egress-42`, `xdp-42`): what cbpfnet attached is exactly
 * what is pinned there, and nobody else's program is ever detached. A new program replaces the
 * old one inside the link (bpf_link_update), so the hook is never without one of ours; a link
 * whose interface went away is unpinned and made anew.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reconcile/attach.h"
#include "reconcile/loader.h"
#include "reconcile/rcu_expedite.h"

#define CBPF_BPF_XDP	 37	   /* BPF_XDP, the attach type of an XDP link */
#define CBPF_F_BEFORE	 (1U << 3) /* BPF_F_BEFORE: with no program named, first on the hook */
#define CBPF_TCX_INGRESS 46
#define LINKS_DIR	 "links"

static const char *hook_name(unsigned int type)
{
	return type == CBPF_BPF_XDP	  ? "xdp"
	       : type == CBPF_TCX_INGRESS ? "tcx_ingress"
					  : "tcx_egress";
}

static int link_path(const struct cbpf_ctx *ctx, unsigned int type, int ifindex, char *buf,
		     size_t size)
{
	char dir[256];
	int n;

	cbpf_pin_path(ctx, LINKS_DIR, dir, sizeof(dir));
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	/* bpffs refuses names with a dot. */
	n = snprintf(buf, size, "%s/%s-%d", dir, hook_name(type), ifindex);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* The interface a link holds its program on; 0 once the interface is gone. */
static int link_ifindex(int link_fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	/* tcx.ifindex and xdp.ifindex share the first word of the union. */
	return (int)info.xdp.ifindex;
}

/* Our pinned link on the hook, live; -ENOENT when there is none (a dead one is unpinned). */
static int link_open(const char *path)
{
	int fd = bpf_obj_get(path), ifindex;

	if (fd < 0)
		return -errno;
	ifindex = link_ifindex(fd);
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
	__u32 len = sizeof(info), id = 0;

	if (type == CBPF_BPF_XDP) {
		if (bpf_xdp_query_id(ifindex, 0, &id) || !id)
			return 0;
		/* An XDP program attached without a link blocks link creation: it goes first. */
		return bpf_xdp_detach(ifindex, 0, NULL);
	}
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		return -errno;
	return cbpf_tcx_detach_others(ifindex, type, info.id);
}

static int link_attach(const struct cbpf_ctx *ctx, int ifindex, int prog_fd, unsigned int type)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = type == CBPF_BPF_XDP ? 0 : CBPF_F_BEFORE);
	struct rcu_expedite window;
	char path[512];
	int fd, err = link_path(ctx, type, ifindex, path, sizeof(path));

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
	err = bpf_obj_pin(fd, path) ? -errno : 0;
	close(fd);
	return err ?: (type == CBPF_BPF_XDP ? 0 : drop_unlinked(ifindex, type, prog_fd));
}

int cbpf_attach_tc(const struct cbpf_ctx *ctx, int ifindex, const char *pin, bool egress)
{
	int prog_fd = cbpf_pin_open_cached(ctx, pin), err;

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
	static const unsigned int types[] = {CBPF_TCX_INGRESS, CBPF_TCX_INGRESS + 1, CBPF_BPF_XDP};
	struct rcu_expedite window;
	char path[512];
	int err = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int e = link_path(ctx, types[i], ifindex, path, sizeof(path)), fd;

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
	static const unsigned int types[] = {CBPF_TCX_INGRESS, CBPF_TCX_INGRESS + 1, CBPF_BPF_XDP};
	char path[512];
	int err = 0;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int e = link_path(ctx, types[i], ifindex, path, sizeof(path));

		if (!e && unlink(path) && errno != ENOENT)
			e = -errno;
		err = err ?: e;
	}
	return err;
}

bool cbpf_link_live(const struct cbpf_ctx *ctx, int ifindex)
{
	char path[512];
	int fd, live;

	if (link_path(ctx, CBPF_TCX_INGRESS, ifindex, path, sizeof(path)))
		return false;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	live = link_ifindex(fd);
	close(fd);
	return live > 0;
}

int cbpf_links_prune(const struct cbpf_ctx *ctx, int *pruned)
{
	char dir[256], path[512];
	struct dirent *entry;
	DIR *d;

	*pruned = 0;
	cbpf_pin_path(ctx, LINKS_DIR, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((entry = readdir(d))) {
		int fd;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		fd = link_open(path);
		if (fd >= 0)
			close(fd);
		else if (fd == -ENOENT)
			(*pruned)++;
	}
	closedir(d);
	return 0;
}
