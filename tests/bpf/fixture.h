/* Map helpers shared by the BPF_PROG_TEST_RUN fixtures. */
#ifndef CBPF_TEST_FIXTURE_H
#define CBPF_TEST_FIXTURE_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <stdint.h>

#include "drop.h"
#include "policy.h"

static inline void add_policy(int fd, uint32_t src, uint32_t dst, uint8_t verdict, uint8_t reason)
{
	struct cbpf_policy_key key = {src, dst};
	struct cbpf_policy_value value = {.verdict = verdict, .drop_reason = reason, .rule_id = 1};

	bpf_map_update_elem(fd, &key, &value, 0);
}

static inline uint64_t drop_count(int fd, uint32_t reason)
{
	int ncpu = libbpf_num_possible_cpus();
	struct cbpf_drop_stat stats[ncpu];
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(fd, &reason, stats))
		return 0;
	for (int i = 0; i < ncpu; i++)
		sum += stats[i].packets;
	return sum;
}

#endif
