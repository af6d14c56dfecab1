/* Shared set-up for BPF_PROG_TEST_RUN fixtures: private maps, entries, runs, counters. */
#ifndef CBPF_TEST_FIXTURE_H
#define CBPF_TEST_FIXTURE_H

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drop.h"
#include "endpoint.h"
#include "network.h"
#include "packet.h"
#include "policy.h"

#define TC_ACT_OK	0
#define TC_ACT_SHOT	2
#define TC_ACT_REDIRECT 7
/* The test run's skb and xdp_buff arrive on the loopback device. */
#define LO_IFINDEX 1

static inline uint32_t ip(const char *text)
{
	return inet_addr(text);
}

static inline void add_net(int fd, uint32_t id, const char *gw, const char *subnet,
			   const uint8_t *mac)
{
	struct cbpf_net_key key = {.net_id = id};
	struct cbpf_net_value value = {
	    .gateway_ip = ip(gw), .subnet = ip(subnet), .prefix_len = 24};

	memcpy(value.gateway_mac, mac, 6);
	bpf_map_update_elem(fd, &key, &value, 0);
}

static inline void add_ep(int fd, const char *addr, uint32_t ifindex, uint32_t identity,
			  uint16_t net, const uint8_t *mac)
{
	struct cbpf_ep_key key = {.ip = ip(addr)};
	struct cbpf_ep_value value = {
	    .ifindex = ifindex, .identity = identity, .net_id = net, .flags = CBPF_EP_LOCAL};

	memcpy(value.mac, mac, 6);
	bpf_map_update_elem(fd, &key, &value, 0);
}

static inline void add_policy(int fd, uint32_t src, uint32_t dst, uint8_t verdict, uint8_t reason)
{
	struct cbpf_pair_key key = {src, dst};
	struct cbpf_policy_value value = {.verdict = verdict, .drop_reason = reason, .rule_id = 1};

	bpf_map_update_elem(fd, &key, &value, 0);
}

/* A pair entry naming its rule, for tests that check the rule counted. */
static inline void add_policy_rule(int fd, uint32_t src, uint32_t dst, uint8_t verdict,
				   uint8_t reason, uint32_t rule_id)
{
	struct cbpf_pair_key key = {src, dst};
	struct cbpf_policy_value value = {
	    .verdict = verdict, .drop_reason = reason, .priority = 1000, .rule_id = rule_id};

	bpf_map_update_elem(fd, &key, &value, 0);
}

/* Without the level mask the datapath skips every policy lookup. */
static inline void policy_use_all_levels(int fd)
{
	uint32_t zero = 0, all = 0xffff;

	bpf_map_update_elem(fd, &zero, &all, 0);
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

static inline int run(int prog_fd, const struct pkt *in, struct pkt *out, uint32_t *retval)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data, .data_size_in = in->len,
		    .data_out = out->data, .data_size_out = sizeof(out->data), .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	out->len = opts.data_size_out;
	*retval = opts.retval;
	return err;
}

/* Loads an object with every map private (nothing pinned); NULL after printing why. */
#define FIXTURE_LOAD(skel_type, skel)                                                              \
	({                                                                                         \
		struct skel_type *s_ = skel_type##__open();                                        \
		struct bpf_map *m_;                                                                \
		if (s_) {                                                                          \
			bpf_object__for_each_map(m_, s_->obj) bpf_map__set_pin_path(m_, NULL);     \
			if (skel_type##__load(s_)) {                                               \
				skel_type##__destroy(s_);                                          \
				s_ = NULL;                                                         \
			}                                                                          \
		}                                                                                  \
		if (!s_)                                                                           \
			printf("not ok - load %s: %s\n", #skel_type, strerror(errno));             \
		(skel) = s_;                                                                       \
	})

#endif
