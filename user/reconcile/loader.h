/* Loading, pinning and finding the BPF programs and maps under <bpffs>/cbpfnet. */
#ifndef CBPF_LOADER_H
#define CBPF_LOADER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cmd.h"
#include "core/err.h"

/* Program pins, beside the maps in the pin directory: the prefix, then the program's name. */
#define CBPF_PIN_PROG_PREFIX	      "prog_"
#define CBPF_PIN_PROG_TC	      CBPF_PIN_PROG_PREFIX "tc_from_ep"
#define CBPF_PIN_PROG_XDP	      CBPF_PIN_PROG_PREFIX "xdp_from_ep"
#define CBPF_PIN_PROG_UNDERLAY	      CBPF_PIN_PROG_PREFIX "tc_from_underlay"
#define CBPF_PIN_PROG_MACVLAN_EGRESS  CBPF_PIN_PROG_PREFIX "tc_macvlan_egress"
#define CBPF_PIN_PROG_MACVLAN_INGRESS CBPF_PIN_PROG_PREFIX "tc_macvlan_ingress"
#define CBPF_PIN_PROG_TC_TO_EP	      CBPF_PIN_PROG_PREFIX "tc_to_ep"
/* Never attached: policy explain runs it with BPF_PROG_TEST_RUN (maps/explain.h). */
#define CBPF_PIN_PROG_EXPLAIN CBPF_PIN_PROG_PREFIX "tc_explain"

struct cbpf_maps {
	int endpoints;
	int networks;
	int policy;
	int drop_stats;
	int meta;
	int vnis;
	int underlay;
	int policy_gen;	      /* array of maps: the tries of both policy generations */
	int policy_pairs_gen; /* array of maps: the pair hashes of both generations */
	int policy_exact_gen; /* array of maps: both generations' exact entries of their tries */
	int policy_active;    /* the live generation */
	int policy_epoch;     /* moved after every change a verdict derives from */
	char pin_dir[256];
};

/* <bpffs>/cbpfnet, or <bpffs>/cbpfnet/<name> when name is not NULL. */
int cbpf_pin_path(const struct cbpf_ctx *ctx, const char *name, char *buf, size_t size);
/* Mounts a bpffs at ctx->bpffs unless one is there already. */
int cbpf_bpffs_ensure(const struct cbpf_ctx *ctx);
/* Identifies the BPF objects compiled into this binary. */
uint64_t cbpf_build_id(void);

/* Loads and pins programs and maps; *loaded_now is false when this build was already loaded. */
int cbpf_load(const struct cbpf_ctx *ctx, bool *loaded_now);
int cbpf_unpin_all(const struct cbpf_ctx *ctx);
/* Opens the pinned maps; fails with a hint to run `cbpfnet load` when they are missing. */
int cbpf_maps_open(const struct cbpf_ctx *ctx, struct cbpf_maps *maps);
void cbpf_maps_close(struct cbpf_maps *maps);
/*
 * Moves the policy epoch: conntrack entries forget the verdicts they remember. Call after every
 * change to the endpoint, network or policy maps, once the change is in.
 */
int cbpf_policy_epoch_bump(const struct cbpf_maps *maps);

#define CBPF_PIN_CACHE_MAX 8

/*
 * A caller handling many endpoints in one process opens each pin once: path lookups in bpffs
 * would otherwise repeat for every endpoint. Only pins never replaced while cbpfnet runs belong
 * here (programs, the macvlan link map), not the policy maps, which are repinned on every flip.
 */
struct cbpf_pin_cache {
	pthread_mutex_t lock; /* endpoint deletions run on several threads */
	size_t n;
	struct {
		char name[48];
		int fd;
	} pins[CBPF_PIN_CACHE_MAX];
};

void cbpf_pin_cache_init(struct cbpf_pin_cache *cache);
/* Opens a never-repinned pin, through ctx->pins when set; returns an fd to close or -errno. */
int cbpf_pin_open_cached(const struct cbpf_ctx *ctx, const char *name);
void cbpf_pin_cache_close(struct cbpf_pin_cache *cache);

/*
 * Sets obj's maps to the sizes of the maps pinned under dir: policy reloads resize the pinned
 * ones, and libbpf shares a pinned map only with a definition of the same size.
 */
struct bpf_object;
void cbpf_match_pinned_sizes(struct bpf_object *obj, const char *dir);

#endif
