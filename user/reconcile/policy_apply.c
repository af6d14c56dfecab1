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

#include "core/log.h"
#include "reconcile/map_cache.h"
#include "reconcile/map_like.h"
#include "reconcile/policy_apply.h"
#include "reconcile/policy_spare.h"
#include "reconcile/rcu_expedite.h"

/*
 * A hash allocates and initialises all its buckets at creation (a preallocated one its
 * entries too): for CBPF_MAX_POLICY entries that took longer than filling 10 000 pairs. So a
 * fresh hash holds the policy's entries and whatever else fits its power-of-two bucket count
 * at no cost; a policy it cannot hold gets a fresh map, and past the cap the fill fails with
 * E2BIG as it did before. The exact hash takes the full-length keys of two compiled tables of
 * up to CBPF_MAX_POLICY entries each, so the cap is twice that.
 */
static __u32 capacity(size_t n)
{
	__u32 cap = 64;

	while (cap < n && cap < 2 * CBPF_MAX_POLICY)
		cap *= 2;
	return cap;
}

/*
 * Which entries of a compiled table a map takes: the trie keeps the keys shorter than its
 * full length, the exact hash those of full length (maps/policy.h).
 */
enum take { TAKE_ALL, TAKE_SHORTER, TAKE_FULL };

struct source {
	const struct pol_entries *t;
	__u32 full; /* the trie's full key length */
	enum take take;
};

static bool taken(const struct source *s, const struct pol_entry *e)
{
	return s->take == TAKE_ALL || (e->key.prefixlen == s->full) == (s->take == TAKE_FULL);
}

/* Keys and values as the maps take them: two packed arrays. */
struct packed {
	void *keys;
	size_t key_size, n;
	struct cbpf_policy_value *values;
};

static int pack(const struct source *src, size_t n_src, bool pairs, struct packed *p)
{
	size_t total = 0;

	for (size_t s = 0; s < n_src; s++)
		total += src[s].t->n;
	p->key_size = pairs ? sizeof(struct cbpf_pair_key) : sizeof(struct cbpf_policy_key);
	p->n = 0;
	p->keys = calloc(total + 1, p->key_size);
	p->values = calloc(total + 1, sizeof(*p->values));
	if (!p->keys || !p->values)
		return -ENOMEM;
	for (size_t s = 0; s < n_src; s++) {
		for (size_t i = 0; i < src[s].t->n; i++) {
			const struct pol_entry *e = &src[s].t->e[i];

			if (!taken(&src[s], e))
				continue;
			if (pairs)
				((struct cbpf_pair_key *)p->keys)[p->n] = (struct cbpf_pair_key){
				    e->key.src_identity, e->key.dst_identity};
			else
				((struct cbpf_policy_key *)p->keys)[p->n] = e->key;
			p->values[p->n++] = e->value;
		}
	}
	return 0;
}

/*
 * Brings the idle generation's map in slot to the entries: in place when this process wrote
 * it and it has room (map_cache.h), else a fresh map like the live one, max_entries large or,
 * when 0, sized to the entries. With use_spare, the agent's spare stands in for a fresh map,
 * and for the idle one when rewriting that would cost more than filling the spare
 * (policy_spare.h). *fd is the map written; *fresh says it is not in the slot yet.
 */
static int write_idle(int outer, __u32 slot, const struct source *src, size_t n_src, bool pairs,
		      int live_fd, const char *name, __u32 max_entries, bool use_spare, int *fd,
		      bool *fresh)
{
	struct packed p;
	__u32 id;
	int spare = -1, wrote = -1, err = pack(src, n_src, pairs, &p);

	if (!err && !bpf_map_lookup_elem(outer, &slot, &id) &&
	    (*fd = bpf_map_get_fd_by_id(id)) >= 0 && !map_cache_reusable(*fd, p.n)) {
		close(*fd);
		*fd = -1;
	}
	if (!err && use_spare)
		spare = policy_spare_peek(live_fd, p.n);
	*fresh = *fd < 0;
	if (!err && *fd < 0 && spare >= 0) {
		policy_spare_used();
		agent_log(LOG_LVL_DEBUG,
			  "policy: %zu exact entries into the spare map, the idle one unknown or "
			  "too small",
			  p.n);
		*fd = spare;
		spare = -1;
	}
	if (!err && *fd < 0)
		err = (*fd = map_like(live_fd, name, max_entries ?: capacity(p.n))) < 0 ? *fd : 0;
	err = err
		  ?: map_cache_write_or(*fd, spare, p.keys, p.key_size, p.values, sizeof(*p.values),
					p.n, &wrote);
	if (wrote >= 0 && wrote != *fd) {
		/* Written, the spare is the install's (to store, or to close on an error). */
		policy_spare_used();
		agent_log(
		    LOG_LVL_DEBUG,
		    "policy: %zu exact entries into the spare map, most of the idle one's changed",
		    p.n);
		close(*fd);
		*fd = wrote;
		*fresh = true;
	}
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
 * each on a loaded 2-vCPU VM): a map rewritten in place is in its slot already and is not
 * stored again, and fresh ones are stored inside an expedited window (rcu_expedite.h).
 */
static int set_slot(int outer, __u32 slot, int inner, bool fresh)
{
	if (!fresh)
		return 0;
	return bpf_map_update_elem(outer, &slot, &inner, BPF_ANY) ? -errno : 0;
}

/* A pinned map, to make fresh maps like it. */
static int open_pinned(const struct cbpf_maps *maps, const char *name)
{
	char path[320];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", maps->pin_dir, name);
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

/* The spare follows the live exact map's size: a policy that grew needs a larger one. */
static void fit_spare(int live_exact)
{
	struct bpf_map_info info = {0};
	__u32 len = sizeof(info);

	if (live_exact >= 0 && !bpf_obj_get_info_by_fd(live_exact, &info, &len))
		policy_spare_fit(info.max_entries);
}

int policy_install(const struct cbpf_maps *maps, const struct pol_compiled *c)
{
	__u32 zero = 0, live = 0, next;
	int fds[4] = {-1, -1, -1, -1}, trie_fd, exact_fd = -1, mask_fd = -1, err = 0;
	bool fresh[4] = {true, true, true, true};
	struct rcu_expedite window = {0};
	int *pairs = &fds[0], *ports = &fds[1], *tables = &fds[2], *exact = &fds[3];
	const struct source pairs_src = {&c->pairs, 0, TAKE_ALL},
			    ports_src = {&c->rules, CBPF_POLICY_PREFIX_FULL, TAKE_SHORTER},
			    tables_src = {&c->tables, CBPF_POLICY_PREFIX_PAIR, TAKE_SHORTER},
			    exact_src[] = {{&c->rules, CBPF_POLICY_PREFIX_FULL, TAKE_FULL},
					   {&c->tables, CBPF_POLICY_PREFIX_PAIR, TAKE_FULL}};

	trie_fd = open_pinned(maps, "cbpf_policy_tables");
	if (trie_fd < 0)
		return trie_fd;
	exact_fd = open_pinned(maps, "cbpf_policy_exact");
	err = exact_fd < 0 ? exact_fd : 0;
	if (!err) {
		mask_fd = open_pinned(maps, "cbpf_policy_mask");
		err = mask_fd < 0 ? mask_fd : 0;
	}
	if (!err && bpf_map_lookup_elem(maps->policy_active, &zero, &live))
		err = -errno;
	next = (live + 1) % CBPF_POLICY_GENERATIONS;
	err = err
		  ?: write_idle(maps->policy_pairs_gen, next, &pairs_src, 1, true, maps->policy,
				"cbpf_policy", 0, false, pairs, &fresh[0]);
	err = err
		  ?: write_idle(maps->policy_gen, 2 * next, &ports_src, 1, false, trie_fd,
				"cbpf_policy_por", CBPF_MAX_POLICY, false, ports, &fresh[1]);
	err = err
		  ?: write_idle(maps->policy_gen, 2 * next + 1, &tables_src, 1, false, trie_fd,
				"cbpf_policy_tab", CBPF_MAX_POLICY, false, tables, &fresh[2]);
	err = err
		  ?: write_idle(maps->policy_exact_gen, next, exact_src, 2, false, exact_fd,
				"cbpf_policy_exa", 0, true, exact, &fresh[3]);
	if (!err && bpf_map_update_elem(mask_fd, &next, &c->mask, BPF_ANY))
		err = -errno;
	if (!err && (fresh[0] || fresh[1] || fresh[2] || fresh[3]))
		rcu_expedite_try_begin(&window);
	err = err ?: set_slot(maps->policy_pairs_gen, next, *pairs, fresh[0]);
	err = err ?: set_slot(maps->policy_gen, 2 * next, *ports, fresh[1]);
	err = err ?: set_slot(maps->policy_gen, 2 * next + 1, *tables, fresh[2]);
	err = err ?: set_slot(maps->policy_exact_gen, next, *exact, fresh[3]);
	rcu_expedite_end(&window);
	/* The flip: from here on new packets see only the new generation. */
	if (!err && bpf_map_update_elem(maps->policy_active, &zero, &next, BPF_ANY))
		err = -errno;
	err = err ?: cbpf_policy_epoch_bump(maps);
	err = err ?: repin(maps, *pairs, "cbpf_policy");
	err = err ?: repin(maps, *ports, "cbpf_policy_ports");
	err = err ?: repin(maps, *tables, "cbpf_policy_tables");
	err = err ?: repin(maps, *exact, "cbpf_policy_exact");
	fit_spare(err ? exact_fd : *exact);
	for (int i = 0; i < 4; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	close(trie_fd);
	if (exact_fd >= 0)
		close(exact_fd);
	if (mask_fd >= 0)
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
