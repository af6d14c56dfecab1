/* Map definitions shared by every cbpfnet BPF object; pinned by name so all objects share them. */
#ifndef CBPF_MAPS_BPF_H
#define CBPF_MAPS_BPF_H

#include "endpoint.h"
#include "network.h"
#include "policy.h"
#include "drop.h"
#include "meta.h"
#include "overlay.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CBPF_MAX_ENDPOINTS);
	__type(key, struct cbpf_ep_key);
	__type(value, struct cbpf_ep_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_endpoints SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CBPF_MAX_NETWORKS);
	__type(key, struct cbpf_net_key);
	__type(value, struct cbpf_net_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_networks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CBPF_DROP_REASON_MAX);
	__type(key, __u32);
	__type(value, struct cbpf_drop_stat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_drop_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cbpf_meta);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_meta SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, CBPF_MAX_SEGMENTS);
	__type(key, struct cbpf_vni_key);
	__type(value, struct cbpf_vni_value);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_vnis SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cbpf_underlay);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} cbpf_underlay SEC(".maps");

static __always_inline void cbpf_count_drop(__u32 reason, __u64 bytes)
{
	struct cbpf_drop_stat *stat = bpf_map_lookup_elem(&cbpf_drop_stats, &reason);

	if (stat) {
		stat->packets++;
		stat->bytes += bytes;
	}
}

#endif
