/* policy explain: the verdict for a pair of ends and the rule that decides it. */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "policy/policy_cmds.h"
#include "cli/output.h"
#include "drop.h"
#include "endpoint.h"
#include "network.h"
#include "policy/rule_ref.h"
#include "reconcile/loader.h"

/* The live generation's pair hash and two tries, opened by id through the arrays of maps. */
static int live_maps(const struct cbpf_maps *maps, int fds[3])
{
	__u32 zero = 0, gen = 0, id;
	__u32 slots[3][2] = {
	    {maps->policy_pairs_gen, 0}, {maps->policy_gen, 0}, {maps->policy_gen, 0}};

	fds[0] = fds[1] = fds[2] = -1;
	if (bpf_map_lookup_elem(maps->policy_active, &zero, &gen))
		return -errno;
	gen %= CBPF_POLICY_GENERATIONS;
	slots[0][1] = gen;
	slots[1][1] = 2 * gen;
	slots[2][1] = 2 * gen + 1;
	for (int i = 0; i < 3; i++)
		if (bpf_map_lookup_elem(slots[i][0], &slots[i][1], &id) ||
		    (fds[i] = bpf_map_get_fd_by_id(id)) < 0)
			return -errno;
	return 0;
}

static int live_mask(const struct cbpf_ctx *ctx, const struct cbpf_maps *maps, uint32_t *mask)
{
	__u32 zero = 0, gen = 0;
	char path[320];
	int fd, err = 0;

	cbpf_pin_path(ctx, "cbpf_policy_mask", path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	if (bpf_map_lookup_elem(maps->policy_active, &zero, &gen))
		err = -errno;
	gen %= CBPF_POLICY_GENERATIONS;
	if (!err && bpf_map_lookup_elem(fd, &gen, mask))
		err = -errno;
	close(fd);
	return err;
}

static uint32_t table_lookup(int tables, uint32_t table, uint32_t addr, uint32_t prefixlen,
			     bool *found)
{
	struct cbpf_policy_key key = {
	    .prefixlen = prefixlen, .src_identity = table, .dst_identity = addr};
	struct cbpf_policy_value v;

	*found = !bpf_map_lookup_elem(tables, &key, &v);
	return *found ? v.rule_id : 0;
}

struct end {
	const char *text;
	bool is_ep;
	struct cbpf_ep_value ep;
	uint32_t ip;
	uint32_t ids[CBPF_LEVELS];
};

/* An endpoint's identities as cbpf_ids_of_ep() in bpf/policy.bpf.h derives them. */
static void ids_of_ep(const struct cbpf_maps *maps, int tables, struct end *e)
{
	struct cbpf_net_key nk = {.net_id = e->ep.net_id};
	struct cbpf_net_value net;
	bool found;

	e->is_ep = true;
	e->ids[CBPF_LEVEL_INSTANCE] = e->ep.identity;
	e->ids[CBPF_LEVEL_NET] = e->ep.net_id;
	if (!bpf_map_lookup_elem(maps->networks, &nk, &net) && net.vlan)
		e->ids[CBPF_LEVEL_VLAN] = CBPF_IDENTITY_VLAN_BASE + net.vlan;
	e->ids[CBPF_LEVEL_NODE] =
	    e->ep.flags & (CBPF_EP_LOCAL | CBPF_EP_MACVLAN)
		? CBPF_IDENTITY_NODE_BASE
		: table_lookup(tables, CBPF_IDENTITY_NODE_TABLE, e->ep.node_ip,
			       CBPF_POLICY_PREFIX_PAIR, &found);
}

/* Identities as the datapath derives them; see bpf/policy.bpf.h. */
static int resolve_end(const struct cbpf_maps *maps, struct cbpf_state *st, int tables,
		       const char *text, struct end *e)
{
	struct cbpf_endpoint *ep = state_find_ep(st, text);
	struct cbpf_ep_key key;
	bool found;

	memset(e, 0, sizeof(*e));
	e->text = text;
	if (ep)
		e->ip = ep->ip;
	else if (!strcmp(text, "host"))
		e->ip = 0;
	else if (inet_pton(AF_INET, text, &e->ip) != 1)
		return -ENOENT;
	key.ip = e->ip;
	if (e->ip && !bpf_map_lookup_elem(maps->endpoints, &key, &e->ep)) {
		ids_of_ep(maps, tables, e);
		return 0;
	}
	if (!e->ip) {
		e->ids[CBPF_LEVEL_INSTANCE] = CBPF_IDENTITY_HOST_BASE;
		return 0;
	}
	e->ids[CBPF_LEVEL_INSTANCE] =
	    table_lookup(tables, CBPF_IDENTITY_ADDR_TABLE, e->ip, CBPF_POLICY_PREFIX_PAIR, &found);
	if (!found)
		e->ids[CBPF_LEVEL_INSTANCE] = CBPF_IDENTITY_CIDR_BASE;
	return 0;
}

/*
 * A local macvlan endpoint's programs take an address of its network that neither the endpoint
 * map nor the host's addresses hold (a peer on another host) for a member of the network, as
 * macvlan_peer() in bpf/macvlan.bpf.c does.
 */
static void macvlan_peer(const struct cbpf_maps *maps, int tables, const struct end *local,
			 struct end *peer)
{
	struct cbpf_net_key nk = {.net_id = local->ep.net_id};
	struct cbpf_net_value net;

	if (!(local->is_ep && (local->ep.flags & CBPF_EP_MACVLAN)) || peer->is_ep || !peer->ip ||
	    CBPF_IDENTITY_CLASS(peer->ids[CBPF_LEVEL_INSTANCE]) ==
		CBPF_IDENTITY_CLASS(CBPF_IDENTITY_HOST_BASE) ||
	    bpf_map_lookup_elem(maps->networks, &nk, &net) || !net.prefix_len ||
	    net.prefix_len > 32 ||
	    ((peer->ip ^ net.subnet) & htonl(0xffffffffu << (32 - net.prefix_len))))
		return;
	memset(&peer->ep, 0, sizeof(peer->ep));
	memset(peer->ids, 0, sizeof(peer->ids));
	peer->ep.identity = local->ep.net_id;
	peer->ep.net_id = local->ep.net_id;
	ids_of_ep(maps, tables, peer);
}

static int parse_proto_port(const char *text, uint8_t *proto, uint16_t *port)
{
	char name[8] = "";
	unsigned int p = 0;
	int n = sscanf(text, "%7[a-z]/%u", name, &p);

	if (n < 1 || p > 65535)
		return -EINVAL;
	*proto = !strcmp(name, "tcp")	 ? 6
		 : !strcmp(name, "udp")	 ? 17
		 : !strcmp(name, "icmp") ? 1
					 : 0;
	*port = p;
	return *proto ? 0 : -EINVAL;
}

static void print_explain(struct cbpf_ctx *ctx, const char *src, const char *dst, uint32_t reason,
			  const struct pol_rule *rule, const char *why)
{
	const char *verdict = reason ? "deny" : "allow";
	char from[96] = "", to[96] = "", ref[CBPF_RULE_REF_MAX];

	if (rule) {
		policy_format_selector(&rule->from, from, sizeof(from));
		policy_format_selector(&rule->to, to, sizeof(to));
	}
	if (ctx->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "src", json_object_new_string(src));
		json_object_object_add(doc, "dst", json_object_new_string(dst));
		json_object_object_add(doc, "verdict", json_object_new_string(verdict));
		json_object_object_add(doc, "reason",
				       json_object_new_string(cbpf_drop_reason_name(reason)));
		json_object_object_add(doc, "rule_id", json_object_new_int64(rule ? rule->id : 0));
		json_object_object_add(
		    doc, "ref", json_object_new_string(cbpf_rule_ref(rule ? rule->id : 0, ref)));
		json_object_object_add(doc, "rule", json_object_new_string(rule ? rule->name : ""));
		json_object_object_add(doc, "origin",
				       json_object_new_string(rule ? rule->origin : why));
		cbpf_print_json(doc);
		return;
	}
	printf("%s -> %s: %s%s%s%s\n", src, dst, verdict, reason ? " (" : "",
	       reason ? cbpf_drop_reason_name(reason) : "", reason ? ")" : "");
	if (rule)
		printf("  rule %s%s%s at %s: %s -> %s %s, priority %u\n",
		       cbpf_rule_ref(rule->id, ref), rule->name[0] ? " " : "", rule->name,
		       rule->origin, from, to,
		       rule->verdict == CBPF_VERDICT_ALLOW ? "allow" : "deny", rule->priority);
	else
		printf("  %s\n", why);
	if (reason)
		printf("  replies to connections %s opens pass (connection tracking)\n", dst);
}

int policy_explain(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct pol_compiled c;
	struct cbpf_policy_key key = {.prefixlen = CBPF_POLICY_PREFIX_FULL};
	struct cbpf_policy_value v, best = {0};
	char msg[POL_ERR_MAX];
	struct cbpf_state st;
	struct cbpf_maps maps;
	struct end src, dst;
	uint32_t mask, fallback = 0, best_prio = 0x10000, reason;
	const char *why = "default: no rule matches";
	int fds[3] = {-1, -1, -1}, err;
	/* A macvlan endpoint of this host has no host side, but its own programs judge here. */
	const uint32_t local = CBPF_EP_LOCAL | CBPF_EP_MACVLAN;

	if (argc < 3 || argc > 4 ||
	    (argc == 4 && parse_proto_port(argv[3], &key.proto, &key.dport))) {
		cbpf_err("policy explain: usage: policy explain SRC DST [tcp|udp|icmp[/PORT]]");
		return -EINVAL;
	}
	key.dport = htons(key.dport);
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	err = cbpf_maps_open(ctx, &maps);
	if (err)
		goto out_state;
	err = live_maps(&maps, fds);
	if (err) {
		cbpf_err("policy explain: live policy in %s: %s", ctx->bpffs, strerror(-err));
		goto out_maps;
	}
	for (int i = 0; i < 2; i++) {
		err = resolve_end(&maps, &st, fds[2], argv[1 + i], i ? &dst : &src);
		if (err) {
			cbpf_err("policy explain: '%s' is no endpoint, address or 'host'",
				 argv[1 + i]);
			goto out_tries;
		}
	}
	macvlan_peer(&maps, fds[2], &src, &dst);
	macvlan_peer(&maps, fds[2], &dst, &src);
	if (!(src.is_ep && (src.ep.flags & local)) && !(dst.is_ep && (dst.ep.flags & local))) {
		cbpf_err("policy explain: neither %s nor %s is a local endpoint: this host does "
			 "not judge that traffic",
			 argv[1], argv[2]);
		err = -EINVAL;
		goto out_tries;
	}
	if (src.is_ep && dst.is_ep && (src.ep.flags & local) && src.ep.net_id != dst.ep.net_id) {
		fallback = CBPF_DROP_NET_ISOLATION;
		why = "default: endpoints reach their own network and no other";
	} else if (src.is_ep && dst.is_ep) {
		why = "default: same network";
	}
	err = live_mask(ctx, &maps, &mask);
	if (err) {
		cbpf_err("policy explain: level mask in %s: %s", ctx->bpffs, strerror(-err));
		goto out_tries;
	}
	/* The same walk as cbpf_policy_decide() in bpf/policy.bpf.h. */
	for (int i = 0; i < CBPF_LEVELS; i++)
		for (int j = 0; j < CBPF_LEVELS; j++) {
			struct cbpf_pair_key pair = {src.ids[i], dst.ids[j]};
			struct cbpf_policy_value port;
			uint8_t verdict;

			if (!(mask & (1u << (i * CBPF_LEVELS + j))) || !src.ids[i] || !dst.ids[j] ||
			    bpf_map_lookup_elem(fds[0], &pair, &v))
				continue;
			key.src_identity = pair.src_identity;
			key.dst_identity = pair.dst_identity;
			if ((v.verdict & CBPF_VERDICT_F_PORTS) &&
			    !bpf_map_lookup_elem(fds[1], &key, &port))
				v = port;
			verdict = v.verdict & CBPF_VERDICT_MASK;
			if (v.priority >= best_prio ||
			    (verdict != CBPF_VERDICT_ALLOW && verdict != CBPF_VERDICT_DENY))
				continue;
			best = v;
			best.verdict = verdict;
			best_prio = v.priority;
		}
	reason = best_prio < 0x10000 ? (best.verdict == CBPF_VERDICT_ALLOW ? 0 : best.drop_reason)
				     : fallback;
	err = policy_compile_live(&st, &c, msg, sizeof(msg));
	if (err) {
		cbpf_err("policy explain: %s", msg);
		goto out_tries;
	}
	if (best_prio < 0x10000 && !best.rule_id)
		why = "default: icc off in this network";
	print_explain(ctx, argv[1], argv[2], reason,
		      best_prio < 0x10000 ? policy_find_rule(&c, best.rule_id) : NULL, why);
	policy_compiled_free(&c);
out_tries:
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
out_maps:
	cbpf_maps_close(&maps);
out_state:
	state_close(&st);
	return err;
}
