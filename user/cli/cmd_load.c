/* load, unload, status: the lifecycle of the pinned datapath. */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "reconcile/attach.h"
#include "cli/commands.h"
#include "drop.h"
#include "meta.h"
#include "link/ifindex.h"
#include "reconcile/link_table.h"
#include "reconcile/loader.h"
#include "net/relink.h"
#include "net/netmodel.h"
#include "core/output.h"
#include "store/state.h"
#include "reconcile/state_reconcile.h"
#include "reconcile/sync.h"

static int no_arguments(const char *cmd, int argc, char **argv)
{
	if (argc > 1) {
		cbpf_err("%s: unexpected argument '%s'", cmd, argv[1]);
		return -EINVAL;
	}
	return 0;
}

/* Re-attaches every local endpoint whose interface exists, and the underlay: after a reload
 * they point at the new programs. */
static int attach_endpoints(struct cbpf_ctx *ctx, struct cbpf_state *st)
{
	for (size_t i = 0; i < st->n_eps; i++) {
		const struct cbpf_network *net = state_find_net(st, st->eps[i].net);
		unsigned int ifindex;
		int err;

		if (net && net_model_of(net)->reattach) {
			err = net_model_of(net)->reattach(ctx, &st->eps[i], net);
			if (err)
				return err;
			continue;
		}
		ifindex = st->eps[i].host_ifname[0]
			      ? link_ifindex(ctx->ifindexes, st->eps[i].host_ifname)
			      : 0;
		if (!ifindex)
			continue;
		err = cbpf_attach(ctx, ifindex, CBPF_HOOK_TC);
		if (err) {
			cbpf_err("load: attach to %s (endpoint %s): %s", st->eps[i].host_ifname,
				 st->eps[i].name, strerror(-err));
			return err;
		}
	}
	struct cbpf_node *self = state_local_node(st);
	unsigned int ifindex = self ? if_nametoindex(self->ifname) : 0;
	int err = ifindex ? cbpf_attach(ctx, ifindex, CBPF_HOOK_UNDERLAY) : 0;

	if (err)
		cbpf_err("load: attach the tunnel program to %s: %s", self->ifname, strerror(-err));
	return err;
}

static int map_count(int fd)
{
	char key[64];
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, key)) {
		prev = key;
		n++;
	}
	return n;
}

/* An empty store (a truncated or fresh database) next to maps that hold entries: the same. */
static int refuse_empty_store(const struct cbpf_state *st, const struct cbpf_maps *maps,
			      bool loaded_now, const char *dir)
{
	int n;

	if (loaded_now || st->n_nets || st->n_eps || st->n_nodes)
		return 0;
	n = map_count(maps->networks) + map_count(maps->endpoints);
	if (!n)
		return 0;
	cbpf_err("load: the store %s records nothing but the maps pinned in %s hold %d network "
		 "and endpoint entries; refusing to empty them: restore the store, or run "
		 "'cbpfnet unload' first",
		 st->path, dir, n);
	return -EEXIST;
}

int cmd_load(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct relink_report relinked = {0};
	struct cbpf_ctx pass = *ctx;
	struct link_ifindex ifindexes;
	struct cbpf_pin_cache pins;
	struct cbpf_state st;
	struct cbpf_maps maps;
	bool loaded_now;
	char dir[256];
	int err = no_arguments(argv[0], argc, argv);

	if (err)
		return err;
	cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
	/* A store gone next to a live datapath: syncing would empty its maps and stop traffic. */
	if (!state_exists(ctx->state_dir) && !access(dir, F_OK)) {
		cbpf_err("load: no store in %s (no cbpfnet.db, no state.json) but a datapath is "
			 "pinned in %s; refusing to empty its maps: restore the store, or run "
			 "'cbpfnet unload' first",
			 ctx->state_dir, dir);
		return -ENOENT;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
	err = cbpf_load(ctx, &loaded_now);
	if (!err)
		err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	/* For this pass only: the programs it caches may be replaced by the next load. */
	pass.pins = &pins;
	cbpf_pin_cache_init(&pins);
	err = link_ifindex_open(&ifindexes);
	if (err)
		cbpf_err("load: socket for interface lookups: %s", strerror(-err));
	pass.ifindexes = &ifindexes;
	err = err ?: refuse_empty_store(&st, &maps, loaded_now, dir);
	err = err ?: state_reconcile_leftovers(ctx, &st);
	/*
	 * Our links, read once for the whole pass; those of interfaces that are gone (deleted
	 * behind our back, or while we were down) are unpinned on the way.
	 */
	if (!err && (err = link_table_read(ctx, &pass.links, NULL)))
		cbpf_err("load: read links in %s: %s", dir, strerror(-err));
	/* Before the maps: an endpoint's entry needs its interface. */
	if (!err)
		relink_endpoints(&pass, &st,
				 strcmp(argv[0], "sync") ? RELINK_FROM_HOST : RELINK_IN_NETNS,
				 &relinked);
	if (!err) {
		err = sync_all(&maps, &st, &ifindexes);
		if (err)
			cbpf_err("load: fill maps from %s: %s", st.path, strerror(-err));
	}
	if (!err)
		err = attach_endpoints(&pass, &st);
	link_table_free(pass.links);
	link_ifindex_close(&ifindexes);
	cbpf_pin_cache_close(&pins);
	cbpf_maps_close(&maps);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "pin_dir", json_object_new_string(dir));
		json_object_object_add(doc, "loaded", json_object_new_boolean(loaded_now));
		json_object_object_add(doc, "endpoints_made_again",
				       json_object_new_uint64(relinked.made));
		json_object_object_add(doc, "endpoints_without_netns",
				       json_object_new_uint64(relinked.no_netns));
		json_object_object_add(doc, "interfaces_failed",
				       json_object_new_uint64(relinked.failed));
		cbpf_print_json(doc);
	} else {
		printf("%s %s\n", loaded_now ? "loaded and pinned in" : "already loaded in", dir);
	}
	/*
	 * One interface that cannot be made again must not keep the agent from starting (the
	 * others forward), but `sync`, asked for exactly this, says so in its exit status.
	 */
	if (relinked.failed && strcmp(argv[0], "load")) {
		cbpf_err("%s: %zu interface(s) could not be made again (above)", argv[0],
			 relinked.failed);
		err = relinked.first_err;
	}
out:
	state_close(&st);
	return err;
}

int cmd_unload(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct cbpf_state st;
	char dir[256];
	int err = no_arguments("unload", argc, argv);

	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	for (size_t i = 0; i < st.n_eps + st.n_nodes; i++) {
		const char *ifname =
		    i < st.n_eps ? st.eps[i].host_ifname : st.nodes[i - st.n_eps].ifname;
		unsigned int ifindex = ifname[0] ? if_nametoindex(ifname) : 0;
		const struct cbpf_network *net =
		    i < st.n_eps ? state_find_net(&st, st.eps[i].net) : NULL;

		if (net && net_model_of(net)->detach) {
			err = net_model_of(net)->detach(ctx, &st.eps[i], net);
			if (err)
				goto out;
			continue;
		}
		if (ifindex && (err = cbpf_detach(ctx, ifindex))) {
			cbpf_err("unload: detach from %s: %s", ifname, strerror(-err));
			goto out;
		}
	}
	err = cbpf_unpin_all(ctx);
	if (err)
		goto out;
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "unloaded", json_object_new_string(dir));
		cbpf_print_json(doc);
	} else {
		printf("unloaded %s\n", dir);
	}
out:
	state_close(&st);
	return err;
}

static json_object *drop_counters(int fd)
{
	int ncpu = libbpf_num_possible_cpus();
	json_object *drops = json_object_new_object();
	struct cbpf_drop_stat per_cpu[ncpu > 0 ? ncpu : 1];

	for (__u32 reason = 1; reason < CBPF_DROP_REASON_MAX && ncpu > 0; reason++) {
		struct cbpf_drop_stat sum = {0};

		if (bpf_map_lookup_elem(fd, &reason, per_cpu))
			continue;
		for (int cpu = 0; cpu < ncpu; cpu++) {
			sum.packets += per_cpu[cpu].packets;
			sum.bytes += per_cpu[cpu].bytes;
		}
		json_object *entry = json_object_new_object();

		json_object_object_add(entry, "packets", json_object_new_uint64(sum.packets));
		json_object_object_add(entry, "bytes", json_object_new_uint64(sum.bytes));
		json_object_object_add(drops, cbpf_drop_reason_name(reason), entry);
	}
	return drops;
}

static void print_status_text(json_object *doc)
{
	json_object *maps, *drops, *eps;

	printf("pin directory: %s\n",
	       json_object_get_string(json_object_object_get(doc, "pin_dir")));
	printf("build: %s\n", json_object_get_string(json_object_object_get(doc, "build_id")));
	maps = json_object_object_get(doc, "maps");
	printf("maps:\n");
	json_object_object_foreach(maps, name, count)
	    printf("  %-16s %d entries\n", name, json_object_get_int(count));
	drops = json_object_object_get(doc, "drops");
	printf("drops:\n");
	json_object_object_foreach(drops, reason, stat) printf(
	    "  %-20s %llu packets\n", reason,
	    (unsigned long long)json_object_get_uint64(json_object_object_get(stat, "packets")));
	eps = json_object_object_get(doc, "endpoints");
	printf("endpoints:\n");
	for (size_t i = 0; i < json_object_array_length(eps); i++) {
		json_object *ep = json_object_array_get_idx(eps, i);

		printf("  %-16s %-12s %s\n",
		       json_object_get_string(json_object_object_get(ep, "name")),
		       json_object_get_string(json_object_object_get(ep, "host_ifname")),
		       json_object_get_string(json_object_object_get(ep, "attached")));
	}
}

static const char *attach_state(const struct cbpf_ctx *ctx, const struct cbpf_our_progs *ours,
				const struct cbpf_endpoint *ep)
{
	unsigned int ifindex;
	int mask;

	if (!state_ep_is_local(ep))
		return "remote";
	if (!ep->host_ifname[0])
		return "in-netns"; /* macvlan: the programs sit on the endpoint's own interface */
	ifindex = link_ifindex(ctx->ifindexes, ep->host_ifname);
	if (!ifindex)
		return "missing";
	mask = cbpf_attached(ctx, ours, ifindex);
	if (mask < 0)
		return "unknown";
	if ((mask & 3) == 3)
		return "tc+xdp";
	return mask & 1 ? "tc" : mask & 2 ? "xdp" : "none";
}

int cmd_status(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct link_ifindex ifindexes = {.fd = -1};
	struct cbpf_ctx pass = *ctx;
	struct cbpf_our_progs ours;
	struct cbpf_state st;
	struct cbpf_maps maps;
	char dir[256], build[20];
	json_object *doc, *counts, *eps;
	__u32 zero = 0;
	struct cbpf_meta meta;
	int err = no_arguments("status", argc, argv);

	if (err)
		return err;
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out;
	cbpf_pin_path(ctx, NULL, dir, sizeof(dir));
	bpf_map_lookup_elem(maps.meta, &zero, &meta);
	snprintf(build, sizeof(build), "%016llx", (unsigned long long)meta.build_id);
	doc = json_object_new_object();
	json_object_object_add(doc, "pin_dir", json_object_new_string(dir));
	json_object_object_add(doc, "build_id", json_object_new_string(build));
	counts = json_object_new_object();
	json_object_object_add(counts, "cbpf_endpoints",
			       json_object_new_int(map_count(maps.endpoints)));
	json_object_object_add(counts, "cbpf_networks",
			       json_object_new_int(map_count(maps.networks)));
	json_object_object_add(counts, "cbpf_policy", json_object_new_int(map_count(maps.policy)));
	json_object_object_add(doc, "maps", counts);
	json_object_object_add(doc, "drops", drop_counters(maps.drop_stats));
	eps = json_object_new_array();
	/* Without a socket of its own, each lookup opens one. */
	if (!link_ifindex_open(&ifindexes))
		pass.ifindexes = &ifindexes;
	cbpf_our_progs_read(ctx, &ours);
	for (size_t i = 0; i < st.n_eps; i++) {
		json_object *ep = json_object_new_object();

		json_object_object_add(ep, "name", json_object_new_string(st.eps[i].name));
		json_object_object_add(ep, "host_ifname",
				       json_object_new_string(st.eps[i].host_ifname));
		json_object_object_add(
		    ep, "attached", json_object_new_string(attach_state(&pass, &ours, &st.eps[i])));
		json_object_array_add(eps, ep);
	}
	link_ifindex_close(&ifindexes);
	json_object_object_add(doc, "endpoints", eps);
	if (!ctx->json) {
		print_status_text(doc);
		json_object_put(doc);
	} else {
		cbpf_print_json(doc);
	}
	cbpf_maps_close(&maps);
out:
	state_close(&st);
	return err;
}
