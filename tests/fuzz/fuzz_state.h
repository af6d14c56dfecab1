/*
 * A small cluster held in memory only (no state directory, no lock file, no maps), so the
 * targets that compile or validate against a state never touch the host.
 */
#ifndef CBPF_FUZZ_STATE_H
#define CBPF_FUZZ_STATE_H

#include "network.h"
#include "store/state.h"

/* 10.40.0.0/24 overlay, 10.50.0.0/24 VLAN 20 macvlan, 10.60.0.0/24 local; h1 is this host. */
static struct cbpf_network fuzz_nets[] = {
    {.name = "ov",
     .id = 1,
     .model = CBPF_MODEL_OVERLAY,
     .subnet = {.addr = 0x0000280a, .prefix_len = 24},
     .gateway = 0x0100280a,
     .icc = true,
     .vni = 100},
    {.name = "mv",
     .id = 2,
     .model = CBPF_MODEL_MACVLAN,
     .subnet = {.addr = 0x0000320a, .prefix_len = 24},
     .gateway = 0x0100320a,
     .icc = true,
     .vlan = 20,
     .parent = "eth0"},
    {.name = "lo1",
     .id = 3,
     .model = CBPF_MODEL_LOCAL,
     .subnet = {.addr = 0x00003c0a, .prefix_len = 24},
     .gateway = 0x01003c0a,
     .icc = false},
};
static struct cbpf_endpoint fuzz_eps[] = {
    {.name = "a1", .id = 1, .net = "ov", .netns = "c1", .ifname = "eth0", .ip = 0x0200280a},
    {.name = "r1", .id = 2, .net = "ov", .ip = 0x0300280a, .node = "h2"},
    {.name = "m1", .id = 3, .net = "mv", .netns = "c3", .ifname = "eth0", .ip = 0x0200320a},
    {.name = "l1", .id = 4, .net = "lo1", .netns = "c4", .ifname = "eth0", .ip = 0x02003c0a},
};
static struct cbpf_node fuzz_nodes[] = {
    {.name = "h1", .underlay_ip = 0x010012c6, .ifname = "eth0"},
    {.name = "h2", .underlay_ip = 0x020012c6},
};
static struct cbpf_rule fuzz_rules[] = {
    {.id = 1, .from = "net:ov", .to = "net:mv", .verdict = 2},
};

static inline void fuzz_state(struct cbpf_state *st)
{
	*st = (struct cbpf_state){
	    .nets = fuzz_nets,
	    .n_nets = sizeof(fuzz_nets) / sizeof(fuzz_nets[0]),
	    .eps = fuzz_eps,
	    .n_eps = sizeof(fuzz_eps) / sizeof(fuzz_eps[0]),
	    .rules = fuzz_rules,
	    .n_rules = sizeof(fuzz_rules) / sizeof(fuzz_rules[0]),
	    .nodes = fuzz_nodes,
	    .n_nodes = sizeof(fuzz_nodes) / sizeof(fuzz_nodes[0]),
	    .next_ep_id = 5,
	    .next_rule_id = 2,
	    .lock_fd = -1,
	    .path = "/nonexistent/state.json",
	};
}

#endif
