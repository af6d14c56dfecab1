/*
 * map_fill (one batch update per map) against the one-entry-at-a-time fill it replaced: the
 * same entries in the policy trie and the pair hash, the same errors for a full hash and a bad
 * key. map_cache_write, which rewrites a known map by difference, against a fresh fill of the
 * same entries; map_cache_write_or, which fills an empty spare instead when most keys changed.
 * Needs root (it creates maps).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reconcile/map_cache.h"
#include "reconcile/map_fill.h"
#include "policy.h"
#include "tap.h"

#define N 5000

static int trie(void)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	return bpf_map_create(BPF_MAP_TYPE_LPM_TRIE, "fill_trie", sizeof(struct cbpf_policy_key),
			      sizeof(struct cbpf_policy_value), CBPF_MAX_POLICY, &opts);
}

static int hash(__u32 max_entries)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = BPF_F_NO_PREALLOC);

	return bpf_map_create(BPF_MAP_TYPE_HASH, "fill_hash", sizeof(struct cbpf_pair_key),
			      sizeof(struct cbpf_policy_value), max_entries, &opts);
}

/* Every key of a is in b with the same value, and both hold n keys. */
static int same_entries(int a, int b, size_t key_size, size_t n)
{
	char key[sizeof(struct cbpf_policy_key)], next[sizeof(key)];
	struct cbpf_policy_value va, vb;
	size_t seen = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(a, prev, next)) {
		memcpy(key, next, key_size);
		prev = key;
		if (bpf_map_lookup_elem(a, key, &va) || bpf_map_lookup_elem(b, key, &vb) ||
		    memcmp(&va, &vb, sizeof(va)))
			return 0;
		seen++;
	}
	return seen == n;
}

/* Entries shaped like the compiler's: pairs with protocol and port-block prefixes. */
static void policy_entries(struct cbpf_policy_key *keys, struct cbpf_policy_value *values)
{
	for (int i = 0; i < N; i++) {
		keys[i] = (struct cbpf_policy_key){
		    .prefixlen = CBPF_POLICY_PREFIX_PROTO + (i % 3 ? 16 - i % 7 : 0),
		    .src_identity = 1 + i % 13,
		    .dst_identity = CBPF_IDENTITY_CIDR_BASE + 1 + i,
		    .proto = i % 2 ? 6 : 17,
		    .dport = htons(i % 3 ? (1000 + i) & ~((1u << (i % 7)) - 1) : 0)};
		values[i] = (struct cbpf_policy_value){
		    .verdict = 1 + i % 2, .priority = i % 1000, .rule_id = i + 1};
	}
}

/* The trie one update per entry, in order, makes of these entries: the reference. */
static int single_fill(const struct cbpf_policy_key *keys, const struct cbpf_policy_value *values,
		       size_t n)
{
	int fd = trie();

	for (size_t i = 0; i < n; i++)
		bpf_map_update_elem(fd, &keys[i], &values[i], BPF_ANY);
	return fd;
}

static void cache_checks(struct cbpf_policy_key *keys, struct cbpf_policy_value *values)
{
	int fd = trie(), ref, err;
	size_t n = N;

	CHECK(!map_cache_reusable(fd, N), "a map this process did not write is not reused");
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), N);
	CHECK(!err && map_cache_reusable(fd, N),
	      "written once: filled (%d), and reused for the same entries", err);
	/* Next policy: a fifth of the entries gone, some changed, some new, one key twice. */
	memmove(keys, keys + N / 5, (N - N / 5) * sizeof(*keys));
	memmove(values, values + N / 5, (N - N / 5) * sizeof(*values));
	n -= N / 5;
	for (size_t i = 0; i < n; i += 7)
		values[i].priority ^= 0x100;
	for (size_t i = n; i < N - 2; i++) {
		keys[i] = keys[i - n];
		keys[i].dst_identity += 0x100000;
		values[i] = values[i - n];
	}
	keys[N - 2] = keys[3];
	values[N - 2] = values[3];
	values[N - 2].rule_id = 424242;
	n = N - 1;
	CHECK(map_cache_reusable(fd, n), "reused for entries that differ");
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), n);
	ref = single_fill(keys, values, n);
	CHECK(
	    !err && same_entries(fd, ref, sizeof(*keys), N - 2) &&
		same_entries(ref, fd, sizeof(*keys), N - 2),
	    "rewritten by difference: the entries a fresh fill gives, the last of a repeated key");
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), n);
	CHECK(!err && same_entries(fd, ref, sizeof(*keys), N - 2),
	      "rewritten with the same entries: unchanged");
	CHECK(!map_cache_reusable(fd, CBPF_MAX_POLICY + 1),
	      "not reused for more entries than max_entries");
	/* Every key new: deletes and writes in place still cost less than storing a fresh map. */
	for (size_t i = 0; i < n; i++)
		keys[i].dst_identity += 0x200000;
	CHECK(map_cache_reusable(fd, n), "reused for entries all new");
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), n);
	close(ref);
	ref = single_fill(keys, values, n);
	CHECK(!err && same_entries(fd, ref, sizeof(*keys), N - 2) &&
		  same_entries(ref, fd, sizeof(*keys), N - 2),
	      "rewritten with every key new: the entries a fresh fill gives, none of the old");
	for (size_t i = 0; i < n; i++)
		keys[i].dst_identity -= 0x200000;
	keys[0].prefixlen = CBPF_POLICY_PREFIX_FULL + 1;
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), n);
	CHECK(err == -EINVAL && !map_cache_reusable(fd, n),
	      "a failed write: -EINVAL (%d), and the map is no longer known", err);
	keys[0].prefixlen = CBPF_POLICY_PREFIX_PROTO;
}

/* A preallocated hash of policy keys, as the exact maps are. */
static int exact(void)
{
	return bpf_map_create(BPF_MAP_TYPE_HASH, "fill_exact", sizeof(struct cbpf_policy_key),
			      sizeof(struct cbpf_policy_value), 2 * N, NULL);
}

static void spare_checks(struct cbpf_policy_key *keys, struct cbpf_policy_value *values)
{
	int fd = exact(), spare = exact(), ref, wrote = -1, err;
	struct cbpf_policy_key none;

	policy_entries(keys, values);
	err = map_cache_write(fd, keys, sizeof(*keys), values, sizeof(*values), N);
	/* A tenth of the entries changed: cheaper in place. */
	for (int i = 0; i < N; i += 10)
		values[i].priority ^= 0x100;
	err = err
		  ?: map_cache_write_or(fd, spare, keys, sizeof(*keys), values, sizeof(*values), N,
					&wrote);
	CHECK(!err && wrote == fd && bpf_map_get_next_key(spare, NULL, &none) == -ENOENT,
	      "a tenth of the entries changed: rewritten in place (%d), the spare left empty", err);
	ref = exact();
	map_fill(ref, keys, sizeof(*keys), values, sizeof(*values), N);
	/* Every key new: 2N deletes and writes in place against N writes into the spare. */
	for (int i = 0; i < N; i++)
		keys[i].dst_identity += 0x300000;
	err =
	    map_cache_write_or(fd, spare, keys, sizeof(*keys), values, sizeof(*values), N, &wrote);
	CHECK(!err && wrote == spare, "every key new: the spare is filled instead (%d)", err);
	CHECK(same_entries(fd, ref, sizeof(*keys), N) && same_entries(ref, fd, sizeof(*keys), N),
	      "every key new: the old map is left as it was");
	close(ref);
	ref = exact();
	map_fill(ref, keys, sizeof(*keys), values, sizeof(*values), N);
	CHECK(same_entries(spare, ref, sizeof(*keys), N) &&
		  same_entries(ref, spare, sizeof(*keys), N),
	      "every key new: the spare holds the entries a fresh fill gives");
	CHECK(map_cache_reusable(spare, N) && !map_cache_reusable(fd, N),
	      "the spare is known from then on, the old map no longer");
	close(ref);
	/* The spare was filled without sorting its keys: the next difference sorts them. */
	for (int i = 0; i < N; i += 10)
		values[i].priority ^= 0x100;
	err = map_cache_write(spare, keys, sizeof(*keys), values, sizeof(*values), N);
	ref = exact();
	map_fill(ref, keys, sizeof(*keys), values, sizeof(*values), N);
	CHECK(!err && same_entries(spare, ref, sizeof(*keys), N) &&
		  same_entries(ref, spare, sizeof(*keys), N),
	      "the filled spare rewritten by difference holds a fresh fill's entries (%d)", err);
	close(ref);
	close(fd);
	close(spare);
}

int main(void)
{
	struct cbpf_policy_key *keys = calloc(N, sizeof(*keys));
	struct cbpf_pair_key *pairs = calloc(N, sizeof(*pairs));
	struct cbpf_policy_value *values = calloc(N, sizeof(*values));
	int batch = trie(), single = trie(), err;

	if (!keys || !pairs || !values || batch < 0 || single < 0) {
		printf("not ok - create maps: %s (root?)\n", strerror(errno));
		return 1;
	}
	policy_entries(keys, values);
	for (int i = 0; i < N; i++)
		bpf_map_update_elem(single, &keys[i], &values[i], BPF_ANY);
	err = map_fill(batch, keys, sizeof(*keys), values, sizeof(*values), N);
	CHECK(!err, "policy trie: %d entries filled (%d)", N, err);
	CHECK(same_entries(batch, single, sizeof(*keys), N) &&
		  same_entries(single, batch, sizeof(*keys), N),
	      "policy trie: the same entries as one update per entry");
	CHECK(!map_fill(batch, keys, sizeof(*keys), values, sizeof(*values), 0),
	      "no entries: nothing to do");

	for (int i = 0; i < N; i++)
		pairs[i] = (struct cbpf_pair_key){keys[i].src_identity, keys[i].dst_identity};
	batch = hash(N);
	single = hash(N);
	for (int i = 0; i < N; i++)
		bpf_map_update_elem(single, &pairs[i], &values[i], BPF_ANY);
	CHECK(!map_fill(batch, pairs, sizeof(*pairs), values, sizeof(*values), N),
	      "pair hash sized to its entries: filled");
	CHECK(same_entries(batch, single, sizeof(*pairs), N) &&
		  same_entries(single, batch, sizeof(*pairs), N),
	      "pair hash: the same entries as one update per entry");
	err = map_fill(hash(N - 1), pairs, sizeof(*pairs), values, sizeof(*values), N);
	CHECK(err == -E2BIG, "one pair more than the hash holds: -E2BIG (%d)", err);

	cache_checks(keys, values);
	spare_checks(keys, values);

	keys[N / 2].prefixlen = CBPF_POLICY_PREFIX_FULL + 1;
	err = map_fill(trie(), keys, sizeof(*keys), values, sizeof(*values), N);
	CHECK(err == -EINVAL, "a prefix longer than the key: -EINVAL (%d)", err);
	free(keys);
	free(pairs);
	free(values);
	TAP_EXIT();
}
