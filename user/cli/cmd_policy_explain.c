/*
 * policy explain: the verdict for a pair of ends and the rule that decides it, from the
 * datapath's own decision code: tc_explain (bpf/explain.bpf.c) run on a crafted packet.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <json-c/json.h>
#include <linux/if_ether.h>
#include <netinet/ip.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "cli/cmd_policy.h"
#include "core/output.h"
#include "drop.h"
#include "explain.h"
#include "policy/rule_ref.h"
#include "reconcile/loader.h"

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

/* An end as the command line names it: an endpoint, an address, or "host". */
static int resolve_end(struct cbpf_state *st, const char *text, uint32_t *ip, bool *host)
{
	struct cbpf_endpoint *ep = state_find_ep(st, text);

	*ip = 0;
	*host = !ep && !strcmp(text, "host");
	if (ep)
		*ip = ep->ip;
	else if (!*host && inet_pton(AF_INET, text, ip) != 1)
		return -ENOENT;
	return 0;
}

/* The first packet of a flow from src to dst: a TCP or UDP packet to port, or an echo request. */
struct explain_pkt {
	struct ethhdr eth;
	struct iphdr ip;
	uint8_t l4[20];
} __attribute__((packed));

static void craft(struct explain_pkt *pkt, uint32_t src, uint32_t dst, uint8_t proto, uint16_t port)
{
	const uint16_t sport = htons(40000);

	memset(pkt, 0, sizeof(*pkt));
	pkt->eth.h_proto = htons(ETH_P_IP);
	pkt->ip.version = 4;
	pkt->ip.ihl = 5;
	pkt->ip.ttl = 64;
	pkt->ip.protocol = proto;
	pkt->ip.tot_len = htons(sizeof(*pkt) - sizeof(pkt->eth));
	pkt->ip.saddr = src;
	pkt->ip.daddr = dst;
	if (proto == IPPROTO_ICMP) {
		pkt->l4[0] = 8; /* echo request */
		return;
	}
	memcpy(&pkt->l4[0], &sport, sizeof(sport));
	memcpy(&pkt->l4[2], &port, sizeof(port));
}

/* Runs the pinned tc_explain on pkt; the answer is in ctx->cb. */
static int ask_datapath(const struct cbpf_ctx *cctx, struct explain_pkt *pkt, struct __sk_buff *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = pkt, .data_size_in = sizeof(*pkt),
		    .ctx_in = ctx, .ctx_size_in = sizeof(*ctx), .ctx_out = ctx,
		    .ctx_size_out = sizeof(*ctx), .repeat = 1);
	char path[320];
	int fd, err;

	cbpf_pin_path(cctx, CBPF_PIN_PROG_EXPLAIN, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0) {
		err = -errno;
		cbpf_err("policy explain: program %s: %s (run 'cbpfnet load' first)", path,
			 strerror(errno));
		return err;
	}
	err = bpf_prog_test_run_opts(fd, &opts) ? -errno : 0;
	close(fd);
	if (err) {
		cbpf_err("policy explain: test run of %s: %s", path, strerror(-err));
		return err;
	}
	if (opts.retval == CBPF_EXPLAIN_NO_POLICY) {
		cbpf_err("policy explain: live policy in %s: %s", cctx->bpffs, strerror(ENOENT));
		return -ENOENT;
	}
	if (opts.retval != CBPF_EXPLAIN_ANSWERED) {
		cbpf_err("policy explain: %s refused the crafted packet (%u)", path, opts.retval);
		return -EPROTO;
	}
	return 0;
}

static const char *default_why(uint32_t flags, uint32_t reason)
{
	if (reason == CBPF_DROP_ICC)
		return "default: icc off in this network";
	if (reason == CBPF_DROP_NET_ISOLATION)
		return "default: endpoints reach their own network and no other";
	return flags & CBPF_EXPLAIN_ENDPOINTS ? "default: same network"
					      : "default: no rule matches";
}

int policy_explain(struct cbpf_ctx *ctx, int argc, char **argv)
{
	struct __sk_buff skb = {0};
	struct explain_pkt pkt;
	struct pol_compiled c;
	char msg[POL_ERR_MAX];
	struct cbpf_state st;
	uint32_t ips[2], flags, reason, rule_id;
	uint16_t port = 0;
	uint8_t proto = 0;
	bool host;
	int err;

	if (argc < 3 || argc > 4 || (argc == 4 && parse_proto_port(argv[3], &proto, &port))) {
		cbpf_err("policy explain: usage: policy explain SRC DST [tcp|udp|icmp[/PORT]]");
		return -EINVAL;
	}
	err = state_open(ctx->state_dir, &st);
	if (err)
		return err;
	for (int i = 0; i < 2; i++) {
		err = resolve_end(&st, argv[1 + i], &ips[i], &host);
		if (err) {
			cbpf_err("policy explain: '%s' is no endpoint, address or 'host'",
				 argv[1 + i]);
			goto out;
		}
		if (host)
			skb.cb[CBPF_EXPLAIN_CB_FLAGS] |=
			    i ? CBPF_EXPLAIN_DST_HOST : CBPF_EXPLAIN_SRC_HOST;
	}
	craft(&pkt, ips[0], ips[1], proto, htons(port));
	err = ask_datapath(ctx, &pkt, &skb);
	if (err)
		goto out;
	flags = skb.cb[CBPF_EXPLAIN_CB_FLAGS];
	reason = skb.cb[CBPF_EXPLAIN_CB_REASON];
	rule_id = skb.cb[CBPF_EXPLAIN_CB_RULE];
	if (!(flags & CBPF_EXPLAIN_JUDGED)) {
		cbpf_err("policy explain: neither %s nor %s is a local endpoint: this host does "
			 "not judge that traffic",
			 argv[1], argv[2]);
		err = -EINVAL;
		goto out;
	}
	err = policy_compile_live(&st, &c, msg, sizeof(msg));
	if (err) {
		cbpf_err("policy explain: %s", msg);
		goto out;
	}
	print_explain(ctx, argv[1], argv[2], reason, policy_find_rule(&c, rule_id),
		      default_why(flags, rule_id ? 0 : reason));
	policy_compiled_free(&c);
out:
	state_close(&st);
	return err;
}
