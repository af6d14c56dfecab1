#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/err.h"
#include "cbpfnet.skel.h"
#include "explain.skel.h"
#include "macvlan.skel.h"
#include "reconcile/loader.h"
#include "meta.h"

int cbpf_pin_path(const struct cbpf_ctx *ctx, const char *name, char *buf, size_t size)
{
	int n = name ? snprintf(buf, size, "%s/" CBPF_PIN_DIR "/%s", ctx->bpffs, name)
		     : snprintf(buf, size, "%s/" CBPF_PIN_DIR, ctx->bpffs);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cbpf_bpffs_ensure(const struct cbpf_ctx *ctx)
{
	struct statfs fs;

	if (!statfs(ctx->bpffs, &fs) && fs.f_type == BPF_FS_MAGIC)
		return 0;
	if (mkdir(ctx->bpffs, 0700) && errno != EEXIST)
		goto fail;
	if (mount("bpf", ctx->bpffs, "bpf", 0, "mode=0700"))
		goto fail;
	return 0;
fail:
	cbpf_err("bpffs %s: cannot mount: %s", ctx->bpffs, strerror(errno));
	return -errno;
}

static uint64_t fnv1a(uint64_t hash, const unsigned char *bytes, size_t size)
{
	for (size_t i = 0; i < size; i++)
		hash = (hash ^ bytes[i]) * 0x100000001b3ULL;
	return hash;
}

uint64_t cbpf_build_id(void)
{
	size_t size, macvlan_size, explain_size;
	const unsigned char *elf = cbpfnet_bpf__elf_bytes(&size);
	const unsigned char *macvlan = macvlan_bpf__elf_bytes(&macvlan_size);
	const unsigned char *explain = explain_bpf__elf_bytes(&explain_size);

	return fnv1a(fnv1a(fnv1a(0xcbf29ce484222325ULL, elf, size), macvlan, macvlan_size), explain,
		     explain_size);
}

/* A random non-zero mark: frames carrying it were judged by this load's programs. */
static int draw_mark(volatile void *mark, size_t size)
{
	uint64_t value = 0;

	while (!value)
		if (getrandom(&value, size, 0) != (ssize_t)size)
			return -errno;
	memcpy((void *)mark, &value, size);
	return 0;
}

static int read_meta(const struct cbpf_ctx *ctx, struct cbpf_meta *meta)
{
	char path[256];
	__u32 zero = 0;
	int fd, err;

	cbpf_pin_path(ctx, "cbpf_meta", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, meta) ? -errno : 0;
	close(fd);
	return err;
}

static int pin_program(const struct cbpf_ctx *ctx, struct bpf_program *prog, const char *name)
{
	char path[256];
	int err;

	cbpf_pin_path(ctx, name, path, sizeof(path));
	unlink(path);
	err = bpf_program__pin(prog, path);
	if (err)
		cbpf_err("load: pin program %s: %s", path, strerror(-err));
	return err;
}

void cbpf_match_pinned_sizes(struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, bpf_map__name(map));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len))
			bpf_map__set_max_entries(map, info.max_entries);
		close(fd);
	}
}

/* The macvlan programs: a second object whose maps resolve to the pins the first one made. */
static int load_macvlan(const struct cbpf_ctx *ctx, const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct macvlan_bpf *skel = macvlan_bpf__open_opts(&opts);
	int err;

	if (!skel) {
		err = -errno;
		cbpf_err("load: open macvlan BPF object: %s", strerror(errno));
		return err;
	}
	cbpf_match_pinned_sizes(skel->obj, dir);
	err = draw_mark(&skel->rodata->cbpf_macvlan_mark, sizeof(skel->rodata->cbpf_macvlan_mark));
	if (err)
		cbpf_err("load: draw the macvlan mark: %s", strerror(-err));
	err = err ?: macvlan_bpf__load(skel);
	if (err)
		cbpf_err("load: load macvlan BPF programs into the kernel: %s", strerror(-err));
	if (!err)
		err = pin_program(ctx, skel->progs.tc_macvlan_egress, CBPF_PIN_PROG_MACVLAN_EGRESS);
	if (!err)
		err =
		    pin_program(ctx, skel->progs.tc_macvlan_ingress, CBPF_PIN_PROG_MACVLAN_INGRESS);
	macvlan_bpf__destroy(skel);
	return err;
}

/*
 * policy explain's program: a third object on the same pins. Pins of a build that had none get
 * it at the next load, so an agent upgraded from such a build answers explain.
 */
static int load_explain(const struct cbpf_ctx *ctx, const char *dir)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = dir);
	struct explain_bpf *skel = explain_bpf__open_opts(&opts);
	int err;

	if (!skel) {
		err = -errno;
		cbpf_err("load: open explain BPF object: %s", strerror(errno));
		return err;
	}
	cbpf_match_pinned_sizes(skel->obj, dir);
	err = explain_bpf__load(skel);
	if (err)
		cbpf_err("load: load the explain BPF program into the kernel: %s", strerror(-err));
	else
		err = pin_program(ctx, skel->progs.tc_explain, CBPF_PIN_PROG_EXPLAIN);
	explain_bpf__destroy(skel);
	return err;
}

static bool has_pin(const struct cbpf_ctx *ctx, const char *name)
{
	char path[256];

	cbpf_pin_path(ctx, name, path, sizeof(path));
	return !access(path, F_OK);
}

int cbpf_load(const struct cbpf_ctx *ctx, bool *loaded_now)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct cbpf_meta meta = {.build_id = cbpf_build_id(), .abi_version = CBPF_ABI_VERSION};
	struct cbpf_meta pinned;
	struct cbpfnet_bpf *skel;
	char dir[256];
	__u32 zero = 0;
	int err;

	*loaded_now = false;
	err = cbpf_bpffs_ensure(ctx);
	if (err)
		return err;
	cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = -errno;
		cbpf_err("load: create pin directory %s: %s", dir, strerror(errno));
		return err;
	}
	/*
	 * Pins of another build with the same map layout are upgraded in place: the new programs
	 * open the pinned maps with their contents, replace the old ones on every hook
	 * (cbpf_attach's BPF_F_REPLACE) and no packet meets an empty map or a bare hook. Another
	 * layout cannot share the maps, so it takes an unload first.
	 */
	if (!read_meta(ctx, &pinned)) {
		if (pinned.build_id == meta.build_id && pinned.abi_version == meta.abi_version)
			return has_pin(ctx, CBPF_PIN_PROG_EXPLAIN) ? 0 : load_explain(ctx, dir);
		if (pinned.abi_version != meta.abi_version) {
			cbpf_err("load: %s holds programs of another build with another map layout "
				 "(%016llx, abi %u; this is %016llx, abi %u): run 'cbpfnet unload' "
				 "first",
				 dir, (unsigned long long)pinned.build_id, pinned.abi_version,
				 (unsigned long long)meta.build_id, meta.abi_version);
			return -EEXIST;
		}
	}

	opts.pin_root_path = dir;
	skel = cbpfnet_bpf__open_opts(&opts);
	if (!skel) {
		err = -errno;
		cbpf_err("load: open BPF object: %s", strerror(errno));
		return err;
	}
	cbpf_match_pinned_sizes(skel->obj, dir);
	err = draw_mark(&skel->rodata->cbpf_xdp_mark, sizeof(skel->rodata->cbpf_xdp_mark));
	if (err) {
		cbpf_err("load: draw the XDP stage's mark from getrandom: %s", strerror(-err));
		goto out;
	}
	err = cbpfnet_bpf__load(skel);
	if (err) {
		cbpf_err("load: load BPF programs into the kernel (stale pins in %s?): %s", dir,
			 strerror(-err));
		goto out;
	}
	err = pin_program(ctx, skel->progs.tc_from_ep, CBPF_PIN_PROG_TC);
	if (!err)
		err = pin_program(ctx, skel->progs.xdp_from_ep, CBPF_PIN_PROG_XDP);
	if (!err)
		err = pin_program(ctx, skel->progs.tc_from_underlay, CBPF_PIN_PROG_UNDERLAY);
	if (!err)
		err = load_macvlan(ctx, dir);
	if (!err)
		err = pin_program(ctx, skel->progs.tc_to_ep, CBPF_PIN_PROG_TC_TO_EP);
	if (!err)
		err = load_explain(ctx, dir);
	/* The meta entry goes last: its presence means the pin set is complete. */
	if (!err && bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_meta), &zero, &meta, 0)) {
		err = -errno;
		cbpf_err("load: write %s/cbpf_meta: %s", dir, strerror(errno));
	}
	*loaded_now = !err;
out:
	cbpfnet_bpf__destroy(skel);
	return err;
}

/* Removes every pin in dir, and dir; one level of subdirectories (the links) included. */
static int unpin_dir(const char *dir, bool nested)
{
	char path[512];
	struct dirent *entry;
	DIR *d = opendir(dir);
	int err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((entry = readdir(d))) {
		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, entry->d_name);
		if (nested && entry->d_type == DT_DIR) {
			err = err ?: unpin_dir(path, false);
			continue;
		}
		if (unlink(path) && !err) {
			err = -errno;
			cbpf_err("unload: unpin %s: %s", path, strerror(errno));
		}
	}
	closedir(d);
	if (!err && rmdir(dir)) {
		err = -errno;
		cbpf_err("unload: remove %s: %s", dir, strerror(errno));
	}
	return err;
}

int cbpf_unpin_all(const struct cbpf_ctx *ctx)
{
	char dir[256];

	cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
	return unpin_dir(dir, true);
}

static int open_pin(const struct cbpf_ctx *ctx, const char *name)
{
	char path[256];
	int fd;

	cbpf_pin_path(ctx, name, path, sizeof(path));
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int cbpf_maps_open(const struct cbpf_ctx *ctx, struct cbpf_maps *maps)
{
	struct {
		const char *name;
		int *fd;
	} pins[] = {
	    {"cbpf_endpoints", &maps->endpoints},
	    {"cbpf_networks", &maps->networks},
	    {"cbpf_policy", &maps->policy},
	    {"cbpf_drop_stats", &maps->drop_stats},
	    {"cbpf_meta", &maps->meta},
	    {"cbpf_vnis", &maps->vnis},
	    {"cbpf_underlay", &maps->underlay},
	    {"cbpf_policy_gen", &maps->policy_gen},
	    {"cbpf_policy_active", &maps->policy_active},
	    {"cbpf_policy_pairs_gen", &maps->policy_pairs_gen},
	    {"cbpf_policy_exact_gen", &maps->policy_exact_gen},
	    {"cbpf_policy_epoch", &maps->policy_epoch},
	};
	char dir[256];

	cbpf_pin_path(ctx, NULL, maps->pin_dir, sizeof(maps->pin_dir));
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++)
		*pins[i].fd = -1;
	for (size_t i = 0; i < sizeof(pins) / sizeof(pins[0]); i++) {
		*pins[i].fd = open_pin(ctx, pins[i].name);
		if (*pins[i].fd < 0) {
			int err = *pins[i].fd;

			cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
			cbpf_err("map %s/%s: %s (run 'cbpfnet load' first)", dir, pins[i].name,
				 strerror(-err));
			cbpf_maps_close(maps);
			return err;
		}
	}
	return 0;
}

void cbpf_maps_close(struct cbpf_maps *maps)
{
	int *fds[] = {&maps->endpoints,
		      &maps->networks,
		      &maps->policy,
		      &maps->drop_stats,
		      &maps->meta,
		      &maps->vnis,
		      &maps->underlay,
		      &maps->policy_gen,
		      &maps->policy_active,
		      &maps->policy_pairs_gen,
		      &maps->policy_exact_gen,
		      &maps->policy_epoch};

	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int cbpf_policy_epoch_bump(const struct cbpf_maps *maps)
{
	__u32 zero = 0, epoch = 0;

	/* Concurrent writers may both store the same next value: each still moves it away from
	 * every epoch a verdict was taken in before its own change. */
	if (bpf_map_lookup_elem(maps->policy_epoch, &zero, &epoch))
		return -errno;
	epoch++;
	return bpf_map_update_elem(maps->policy_epoch, &zero, &epoch, BPF_ANY) ? -errno : 0;
}

void cbpf_pin_cache_init(struct cbpf_pin_cache *cache)
{
	memset(cache, 0, sizeof(*cache));
	pthread_mutex_init(&cache->lock, NULL);
}

static int pin_cache_open(const struct cbpf_ctx *ctx, struct cbpf_pin_cache *cache,
			  const char *name)
{
	int fd;

	for (size_t i = 0; i < cache->n; i++)
		if (!strcmp(cache->pins[i].name, name))
			return (fd = dup(cache->pins[i].fd)) < 0 ? -errno : fd;
	fd = open_pin(ctx, name);
	if (fd < 0 || cache->n == CBPF_PIN_CACHE_MAX || strlen(name) >= sizeof(cache->pins[0].name))
		return fd;
	snprintf(cache->pins[cache->n].name, sizeof(cache->pins[0].name), "%s", name);
	cache->pins[cache->n++].fd = fd;
	return (fd = dup(fd)) < 0 ? -errno : fd;
}

int cbpf_pin_open_cached(const struct cbpf_ctx *ctx, const char *name)
{
	int fd;

	if (!ctx->pins)
		return open_pin(ctx, name);
	pthread_mutex_lock(&ctx->pins->lock);
	fd = pin_cache_open(ctx, ctx->pins, name);
	pthread_mutex_unlock(&ctx->pins->lock);
	return fd;
}

void cbpf_pin_cache_close(struct cbpf_pin_cache *cache)
{
	for (size_t i = 0; i < cache->n; i++)
		close(cache->pins[i].fd);
	cache->n = 0;
	pthread_mutex_destroy(&cache->lock);
}
