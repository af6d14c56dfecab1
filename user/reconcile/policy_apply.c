/*
 * Policy installation. The live generation is never written: the idle generation's maps are
 * brought to the new policy (or fresh ones filled) while packets use the live ones, and a
 * single array update makes them live.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/map_cache.h"
#include "reconcile/policy_apply.h"

/* A map of the live one's type, sizes and BTF, so tools print it with field names. */
static int map_like(int live_fd, const char *name, __u32 max_entries)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);
	int btf_fd, fd;

	if (bpf_obj_get_info_by_fd(live_fd, &info, &len))
		return -errno;
	btf_fd = info.btf_id ? bpf_btf_get_fd_by_id(info.btf_id) : -1;
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = info.map_flags,
		    .btf_fd = btf_fd > 0 ? btf_fd : 0,
		    .btf_key_type_id = btf_fd > 0 ? info.btf_key_type_id : 0,
		    .btf_value_type_id = btf_fd > 0 ? info.btf_value_type_id : 0);
	fd = bpf_map_create(info.type, name, info.key_size, info.value_size, max_entries, &opts);
	if (fd < 0)
		fd = -errno;
	if (btf_fd > 0)
		close(btf_fd);
	return fd;
}

/*
 * A hash allocates and initialises all its buckets at creation: for CBPF_MAX_POLICY entries
 * that took longer than filling 10 000 pairs. So a fresh pair hash holds the policy's pairs
 * and whatever else fits its power-of-two bucket count at no cost; a policy it cannot hold
 * gets a fresh map, and past the cap the fill fails with E2BIG as it did before.
 */
static __u32 pairs_capacity(size_t n)
{
	__u32 cap = 64;

	while (cap < n && cap < CBPF_MAX_POLICY)
		cap *= 2;
	return cap;
}

/* Keys and values as the maps take them: two packed arrays. */
struct packed {
	void *keys;
	size_t key_size, n;
	struct cbpf_policy_value *values;
};

static int pack(const struct pol_entries *t, bool pairs, struct packed *p)
{
	p->key_size = pairs ? sizeof(struct cbpf_pair_key) : sizeof(struct cbpf_policy_key);
	p->n = t->n;
	p->keys = calloc(t->n + 1, p->key_size);
	p->values = calloc(t->n + 1, sizeof(*p->values));
	if (!p->keys || !p->values)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		if (pairs)
			((struct cbpf_pair_key *)p->keys)[i] = (struct cbpf_pair_key){
			    t->e[i].key.src_identity, t->e[i].key.dst_identity};
		else
			((struct cbpf_policy_key *)p->keys)[i] = t->e[i].key;
		p->values[i] = t->e[i].value;
	}
	return 0;
}

/*
 * Brings the idle generation's map in slot to the entries: in place when this process wrote
 * it and it has room (map_cache.h), else a fresh map like the live one. *fd is the map
 * written; *fresh says it is not in the slot yet.
 */
static int write_idle(int outer, __u32 slot, const struct pol_entries *t, bool pairs, int live_fd,
		      const char *name, __u32 max_entries, int *fd, bool *fresh)
{
	struct packed p;
	__u32 id;
	int err = pack(t, pairs, &p);

	if (!err && !bpf_map_lookup_elem(outer, &slot, &id) &&
	    (*fd = bpf_map_get_fd_by_id(id)) >= 0 && !map_cache_reusable(*fd, p.n)) {
		close(*fd);
		*fd = -1;
	}
	*fresh = *fd < 0;
	if (!err && *fd < 0)
		err = (*fd = map_like(live_fd, name, max_entries)) < 0 ? *fd : 0;
	err = err ?: map_cache_write(*fd, p.keys, p.key_size, p.values, sizeof(*p.values), p.n);
	free(p.keys);
	free(p.values);
	return err;
}

/* Pins under a temporary name, then renames over the old pin: readers always find one. */
static int repin(const struct cbpf_maps *maps, int fd, const char *name)
{
	char path[320], tmp[330];

	snprintf(path, sizeof(path), "%s/%s", maps->pin_dir, name);
	/* bpffs rejects dots in pin names. */
	snprintf(tmp, sizeof(tmp), "%s_new", path);
	unlink(tmp);
	if (bpf_obj_pin(fd, tmp))
		return -errno;
	return rename(tmp, path) ? -errno : 0;
}

/*
 * The kernel waits for an RCU grace period after every update of an array of maps (8-16 ms
 * each on a loaded 2-vCPU VM, three per reload): a map rewritten in place is in its slot
 * already and is not stored again.
 */
static int set_slot(int outer, __u32 slot, int inner, bool fresh)
{
	if (!fresh)
		return 0;
	return bpf_map_update_elem(outer, &slot, &inner, BPF_ANY) ? -errno : 0;
}

int policy_install(const struct cbpf_maps *maps, const struct pol_compiled *c)
{
	char path[320];
	__u32 zero = 0, live = 0, next;
	int fds[3] = {-1, -1, -1}, trie_fd, mask_fd, err = 0;
	bool fresh[3] = {true, true, true};
	int *pairs = &fds[0], *ports = &fds[1], *tables = &fds[2];

	snprintf(path, sizeof(path), "%s/cbpf_policy_tables", maps->pin_dir);
	trie_fd = bpf_obj_get(path);
	if (trie_fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "%s/cbpf_policy_mask", maps->pin_dir);
	mask_fd = bpf_obj_get(path);
	if (mask_fd < 0) {
		err = -errno;
		close(trie_fd);
		return err;
	}
	if (bpf_map_lookup_elem(maps->policy_active, &zero, &live))
		err = -errno;
	next = (live + 1) % CBPF_POLICY_GENERATIONS;
	err = err
		  ?: write_idle(maps->policy_pairs_gen, next, &c->pairs, true, maps->policy,
				"cbpf_policy", pairs_capacity(c->pairs.n), pairs, &fresh[0]);
	err = err
		  ?: write_idle(maps->policy_gen, 2 * next, &c->rules, false, trie_fd,
				"cbpf_policy_por", CBPF_MAX_POLICY, ports, &fresh[1]);
	err = err
		  ?: write_idle(maps->policy_gen, 2 * next + 1, &c->tables, false, trie_fd,
				"cbpf_policy_tab", CBPF_MAX_POLICY, tables, &fresh[2]);
	close(trie_fd);
	if (!err && bpf_map_update_elem(mask_fd, &next, &c->mask, BPF_ANY))
		err = -errno;
	err = err ?: set_slot(maps->policy_pairs_gen, next, *pairs, fresh[0]);
	err = err ?: set_slot(maps->policy_gen, 2 * next, *ports, fresh[1]);
	err = err ?: set_slot(maps->policy_gen, 2 * next + 1, *tables, fresh[2]);
	/* The flip: from here on new packets see only the new generation. */
	if (!err && bpf_map_update_elem(maps->policy_active, &zero, &next, BPF_ANY))
		err = -errno;
	err = err ?: cbpf_policy_epoch_bump(maps);
	err = err ?: repin(maps, *pairs, "cbpf_policy");
	err = err ?: repin(maps, *ports, "cbpf_policy_ports");
	err = err ?: repin(maps, *tables, "cbpf_policy_tables");
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(mask_fd);
	return err;
}

int policy_sync(const struct cbpf_maps *maps, struct cbpf_state *st)
{
	struct pol_set files = {0};
	struct pol_compiled c;
	char dir[CBPF_PATH_MAX], err[POL_ERR_MAX];
	int e;

	policy_state_dir(st, dir, sizeof(dir));
	e = policy_snapshot_read(dir, &files, err, sizeof(err));
	if (!e)
		e = policy_compile(st, &files, false, &c, err, sizeof(err));
	policy_set_free(&files);
	if (e) {
		cbpf_err("policy: %s", err);
		return e;
	}
	e = policy_install(maps, &c);
	policy_compiled_free(&c);
	return e;
}
