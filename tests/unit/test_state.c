/* State store: round trip, names, rule bookkeeping, and map_replace_all on a real BPF map. */
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/state.h"
#include "reconcile/sync.h"
#include "tap.h"

static void state_round_trip(void)
{
	char dir[] = "/tmp/cbpf-state-XXXXXX";
	struct cbpf_network net = {
	    .name = "web", .id = 3, .model = 1, .icc = false, .vni = 4242, .vlan = 10, .mtu = 1450};
	struct cbpf_endpoint ep = {.name = "web1", .id = 7, .net = "web", .ifname = "eth0"};
	struct cbpf_endpoint remote = {.name = "web2", .id = 8, .net = "web", .node = "h2"};
	struct cbpf_node node = {.name = "h2"};
	struct cbpf_rule rule = {.id = 1, .from = "ep:web1", .to = "net:web", .verdict = 2};
	struct cbpf_state st;

	CHECK(mkdtemp(dir) != NULL, "temporary state directory");
	cbpf_parse_cidr("10.10.0.0/24", &net.subnet);
	cbpf_parse_ip("10.10.0.1", &net.gateway);
	cbpf_parse_ip("10.10.0.2", &ep.ip);
	cbpf_parse_ip("10.10.0.3", &remote.ip);
	cbpf_parse_ip("198.18.0.2", &node.underlay_ip);
	CHECK(state_open(dir, &st) == 0 && st.n_nets == 0, "a new state directory starts empty");
	state_add_net(&st, &net);
	state_add_ep(&st, &ep);
	state_add_ep(&st, &remote);
	state_add_node(&st, &node);
	state_add_rule(&st, &rule);
	st.next_ep_id = 9;
	CHECK(state_commit(&st) == 0, "commit writes the database");
	state_close(&st);

	CHECK(state_open(dir, &st) == 0, "state reopens");
	struct cbpf_network *n = state_find_net(&st, "web");
	CHECK(n && n->id == 3 && n->vni == 4242 && n->vlan == 10 && !n->icc && n->mtu == 1450 &&
		  n->subnet.prefix_len == 24,
	      "network fields survive the round trip");
	CHECK(state_find_ep_ip(&st, ep.ip) && state_ep_is_local(state_find_ep(&st, "web1")),
	      "local endpoint found by address");
	CHECK(!state_ep_is_local(state_find_ep(&st, "web2")) &&
		  !strcmp(state_find_ep(&st, "web2")->node, "h2"),
	      "remote endpoint keeps its node");
	CHECK(st.next_ep_id == 9, "id allocator survives");
	state_remove_rules_naming(&st, "ep", "web1");
	CHECK(st.n_rules == 0, "rules naming a removed endpoint go with it");
	state_close(&st);

	char path[64];
	FILE *f;

	CHECK(rmdir(dir) == -1 && errno == ENOTEMPTY, "the database is in the state directory");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0, "remove the state directory");
	snprintf(dir, sizeof(dir), "/tmp/cbpf-state-XXXXXX");
	CHECK(mkdtemp(dir) != NULL, "a second state directory");
	snprintf(path, sizeof(path), "%s/state.json", dir);
	f = fopen(path, "w");
	fputs("{\"format\": 99}", f);
	fclose(f);
	CHECK(state_open(dir, &st) == -EPROTO, "a state file of another format is refused");
	CHECK(access(path, F_OK) == 0, "and left where it was");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK(system(path) == 0, "remove the state directory");
}

static void names(void)
{
	CHECK(state_valid_name("web-1.a_b"), "letters, digits, - . _ are valid");
	CHECK(!state_valid_name(""), "empty name is invalid");
	CHECK(!state_valid_name("a/b"), "slash is invalid");
	CHECK(!state_valid_name("a b"), "space is invalid");
	CHECK(!state_valid_name("0123456789012345678901234567890123456789012345678901234567890123"),
	      "64 characters is too long");
}

static void replace_all(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_HASH, "test", 4, 4, 64, NULL);
	uint32_t keys[3] = {30, 10, 20}, values[3] = {3, 1, 2}, k, v, count = 0;
	void *prev = NULL;

	CHECK(fd >= 0, "create a hash map");
	for (k = 1; k <= 5; k++)
		bpf_map_update_elem(fd, &k, &k, 0);
	CHECK(map_replace_all(fd, keys, values, 3, 4, 4) == 0, "map_replace_all succeeds");
	while (!bpf_map_get_next_key(fd, prev, &k)) {
		prev = &k;
		count++;
	}
	CHECK(count == 3, "only the given keys remain (%u)", count);
	k = 20;
	CHECK(!bpf_map_lookup_elem(fd, &k, &v) && v == 2, "values stay with their keys");
	k = 3;
	CHECK(bpf_map_lookup_elem(fd, &k, &v) && errno == ENOENT, "stale keys are deleted");
	CHECK(map_replace_all(fd, keys, values, 0, 4, 4) == 0, "replacing with nothing succeeds");
	CHECK(bpf_map_get_next_key(fd, NULL, &k) && errno == ENOENT, "and empties the map");
	close(fd);
}

int main(void)
{
	state_round_trip();
	names();
	replace_all();
	TAP_EXIT();
}
