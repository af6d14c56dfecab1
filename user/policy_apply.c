/*
 * Policy installation. The live generation is never written: the new tries are created and
 * filled while packets use the old ones, and a single array update makes them live.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy_apply.h"

/* A trie of the live one's type, size and BTF, so tools print it with field names. */
static int trie_create(int live_fd, const char *name)
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
	fd = bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, name, info.key_size, info.value_size,
			    info.max_entries, &opts);
	if (fd < 0)
		fd = -errno;
	if (btf_fd > 0)
		close(btf_fd);
	return fd;
}

static int trie_fill(int fd, const struct pol_entries *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (bpf_map_update_elem(fd, &t->e[i].key, &t->e[i].value, BPF_ANY))
			return -errno;
	return 0;
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

int policy_install(const struct cbpf_maps *maps, const struct pol_compiled *c)
{
	__u32 zero = 0, live = 0, next, slot;
	int rules = trie_create(maps->policy, "cbpf_policy");
	int tables = rules < 0 ? rules : trie_create(maps->policy, "cbpf_policy_tab");
	int err = rules < 0 ? rules : tables < 0 ? tables : 0;

	if (!err)
		err = trie_fill(rules, &c->rules);
	if (!err)
		err = trie_fill(tables, &c->tables);
	if (!err && bpf_map_lookup_elem(maps->policy_active, &zero, &live))
		err = -errno;
	next = (live + 1) % CBPF_POLICY_GENERATIONS;
	slot = 2 * next;
	if (!err && bpf_map_update_elem(maps->policy_gen, &slot, &rules, BPF_ANY))
		err = -errno;
	slot++;
	if (!err && bpf_map_update_elem(maps->policy_gen, &slot, &tables, BPF_ANY))
		err = -errno;
	/* The flip: from here on new packets see only the new generation. */
	if (!err && bpf_map_update_elem(maps->policy_active, &zero, &next, BPF_ANY))
		err = -errno;
	if (!err)
		err = repin(maps, rules, "cbpf_policy");
	if (!err)
		err = repin(maps, tables, "cbpf_policy_tables");
	if (rules >= 0)
		close(rules);
	if (tables >= 0)
		close(tables);
	return err;
}

void policy_state_dir(const struct cbpf_state *st, char *buf, size_t size)
{
	const char *slash = strrchr(st->path, '/');
	int len = slash ? (int)(slash - st->path) : 1;

	snprintf(buf, size, "%.*s", len, slash ? st->path : ".");
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
