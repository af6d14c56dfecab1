/*
 * Per-packet cost of the datapath programs with BPF_PROG_TEST_RUN, next to an empty TC program
 * measured the same way, in two modes:
 * - repeat: one test run of REPEAT packets; the kernel reuses one skb across repeats, so this
 *   suits only programs that leave the packet as they found it (forward, deny), and the tunnel
 *   programs wrapped with their inverse step (bpf/tunnel_cost.bpf.c: an upper bound of each);
 * - single: SINGLES test runs of one packet each, for encapsulation and decapsulation, which
 *   change the packet's length; each run pays the timer's fixed overhead, so the figure that
 *   means something is the difference to the empty program.
 * The kernel's duration covers the program runs only, not the syscall.
 * Usage: build/bench/prog_cost [REPEAT [SINGLES]]   (as root; prints Markdown tables)
 */
#include <linux/bpf.h>
#include <stdlib.h>

#include "cbpfnet.skel.h"
#include "fixture.h"
#include "noop.skel.h"
#include "overlay.h"
#include "tunnel_cost.skel.h"

#define RUNS 7

static const uint8_t A1[6] = {0x02, 0xcb, 10, 1, 0, 2};
static const uint8_t A2[6] = {0x02, 0xcb, 10, 1, 0, 3};
static const uint8_t UL[6] = {0x9a, 0, 0, 0, 0, 1};

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/*
 * Median over RUNS of the mean ns per packet: `runs` test runs of `repeat` packets each.
 * The kernel reports each run's mean.
 */
static double cost(int prog, const struct pkt *in, unsigned int runs, unsigned int repeat,
		   uint32_t *verdict, int *same)
{
	struct pkt out;
	double samples[RUNS];

	for (int i = 0; i < RUNS; i++) {
		uint64_t total = 0;

		for (unsigned int n = 0; n < runs; n++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
				    .data_size_in = in->len, .data_out = out.data,
				    .data_size_out = sizeof(out.data), .repeat = repeat);
			if (bpf_prog_test_run_opts(prog, &opts))
				return -1;
			total += opts.duration;
			*verdict = opts.retval;
			*same =
			    opts.data_size_out == in->len && !memcmp(out.data, in->data, in->len);
		}
		samples[i] = (double)total / runs;
	}
	qsort(samples, RUNS, sizeof(samples[0]), compare);
	return samples[RUNS / 2];
}

struct row {
	const char *what;
	int prog;
	const struct pkt *in;
};

static void table(const char *mode, const struct row *rows, size_t n, unsigned int runs,
		  unsigned int repeat)
{
	double base = 0;
	uint32_t v = 0;
	int same = 0;

	printf("| %s mode | verdict | output = input | ns/packet | minus empty program | vs empty "
	       "program |\n",
	       mode);
	printf("| --- | --- | --- | --- | --- | --- |\n");
	for (size_t i = 0; i < n; i++) {
		double ns = cost(rows[i].prog, rows[i].in, runs, repeat, &v, &same);

		if (i == 0)
			base = ns;
		printf("| %s | %u | %s | %.1f | %.1f | %.2fx |\n", rows[i].what, v,
		       same ? "yes" : "no", ns, ns - base, base > 0 ? ns / base : 0);
	}
	printf("\n");
}

/*
 * Gives an echo request from pkt_ipv4 `bytes` of payload: the kernel refuses to strip a header
 * longer than what follows it, and the inverse of encapsulation strips 50 bytes.
 */
static void pad_echo(struct pkt *p, unsigned int bytes)
{
	struct iphdr *iph = pkt_iph(p);

	memset(p->data + p->len, 0xa5, bytes);
	p->len += bytes;
	iph->tot_len = htons(ntohs(iph->tot_len) + bytes);
	iph->check = 0;
	iph->check = pkt_ip_checksum(iph);
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	return bpf_object__find_map_fd_by_name(obj, name);
}

/*
 * One host: local endpoints 10.1.0.2-4 in network 1 (10.1.0.4 denied to 10.1.0.2), remote
 * endpoint 10.1.0.9 behind 198.18.0.2, VNI 100.
 */
static void fill(struct bpf_object *obj)
{
	struct cbpf_underlay underlay = {.ifindex = LO_IFINDEX, .ip = ip("198.18.0.1")};
	struct cbpf_vni_key vni = {.vni = 100};
	struct cbpf_vni_value segment = {.net_id = 1};
	struct cbpf_ep_key remote_key = {.ip = ip("10.1.0.9")};
	struct cbpf_ep_value remote = {
	    .identity = 0x10009, .net_id = 1, .flags = CBPF_EP_REMOTE, .node_ip = ip("198.18.0.2")};
	int eps = map_fd(obj, "cbpf_endpoints");
	uint32_t zero = 0;

	add_net(map_fd(obj, "cbpf_networks"), 1, "10.1.0.1", "10.1.0.0", UL);
	add_ep(eps, "10.1.0.2", LO_IFINDEX, 0x10001, 1, A1);
	add_ep(eps, "10.1.0.3", 42, 0x10002, 1, A2);
	add_ep(eps, "10.1.0.4", 43, 0x10004, 1, A2);
	memcpy(remote.mac, A2, 6);
	bpf_map_update_elem(eps, &remote_key, &remote, 0);
	/* The levels the compiler would mark for these rules: (endpoint, endpoint) and
	 * (network, network), as an icc setting or a network rule would add. */
	uint32_t levels = 1u << (CBPF_LEVEL_INSTANCE * CBPF_LEVELS + CBPF_LEVEL_INSTANCE) |
			  1u << (CBPF_LEVEL_NET * CBPF_LEVELS + CBPF_LEVEL_NET);

	bpf_map_update_elem(map_fd(obj, "cbpf_policy_mask"), &zero, &levels, 0);
	add_policy(map_fd(obj, "cbpf_policy"), 0x10001, 0x10004, CBPF_VERDICT_DENY,
		   CBPF_DROP_POLICY);
	bpf_map_update_elem(map_fd(obj, "cbpf_underlay"), &zero, &underlay, 0);
	bpf_map_update_elem(map_fd(obj, "cbpf_vnis"), &vni, &segment, 0);
}

/*
 * Two outside addresses denied udp/53 from network 1 by a port entry alone: 192.0.2.7 as the
 * compiler writes it (address and port in the exact hash, no pair entry: the level pair's
 * ports-only bit sends the lookup on), 192.0.2.8 as it did before (address and port in the
 * tries, a pair entry with no verdict of its own pointing at the port trie).
 */
static void fill_ports(struct bpf_object *obj)
{
	const uint32_t exact_id = CBPF_IDENTITY_CIDR_BASE + 7,
		       trie_id = CBPF_IDENTITY_CIDR_BASE + 8;
	const struct cbpf_policy_value deny = {.verdict = CBPF_VERDICT_DENY,
					       .drop_reason = CBPF_DROP_POLICY,
					       .priority = 1000},
				       pointer = {.verdict = CBPF_VERDICT_F_PORTS,
						  .priority = 0xffff};
	struct cbpf_policy_key key = {.prefixlen = CBPF_POLICY_PREFIX_PAIR,
				      .src_identity = CBPF_IDENTITY_ADDR_TABLE};
	struct cbpf_policy_value id = {.verdict = CBPF_VERDICT_IDENTITY};
	struct cbpf_pair_key pair = {1, trie_id};
	uint32_t zero = 0, levels = 1u << (CBPF_LEVEL_NET * CBPF_LEVELS + CBPF_LEVEL_INSTANCE) |
				    1u << (CBPF_MASK_PORTS_ONLY + CBPF_LEVEL_NET * CBPF_LEVELS +
					   CBPF_LEVEL_INSTANCE);

	bpf_map_update_elem(map_fd(obj, "cbpf_policy_mask"), &zero, &levels, 0);
	key.dst_identity = ip("192.0.2.7");
	id.rule_id = exact_id;
	bpf_map_update_elem(map_fd(obj, "cbpf_policy_exact"), &key, &id, 0);
	key.dst_identity = ip("192.0.2.8");
	id.rule_id = trie_id;
	bpf_map_update_elem(map_fd(obj, "cbpf_policy_tables"), &key, &id, 0);
	key = (struct cbpf_policy_key){.prefixlen = CBPF_POLICY_PREFIX_FULL,
				       .src_identity = 1,
				       .dst_identity = exact_id,
				       .proto = IPPROTO_UDP,
				       .dport = htons(53)};
	bpf_map_update_elem(map_fd(obj, "cbpf_policy_exact"), &key, &deny, 0);
	key.dst_identity = trie_id;
	bpf_map_update_elem(map_fd(obj, "cbpf_policy_ports"), &key, &deny, 0);
	bpf_map_update_elem(map_fd(obj, "cbpf_policy"), &pair, &pointer, 0);
}

int main(int argc, char **argv)
{
	unsigned int repeat = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	unsigned int singles = argc > 2 ? strtoul(argv[2], NULL, 10) : 100000;
	struct cbpfnet_bpf *skel, *ports;
	struct noop_bpf *noop;
	struct tunnel_cost_bpf *tunnel;
	struct pkt fwd, deny, encap, decap, frame, port_exact, port_trie;

	libbpf_set_print(NULL);
	FIXTURE_LOAD(cbpfnet_bpf, skel);
	FIXTURE_LOAD(noop_bpf, noop);
	FIXTURE_LOAD(tunnel_cost_bpf, tunnel);
	FIXTURE_LOAD(cbpfnet_bpf, ports);
	if (!skel || !noop || !tunnel || !ports)
		return 1;
	fill(skel->obj);
	fill(tunnel->obj);
	fill(ports->obj);
	fill_ports(ports->obj);

	pkt_ipv4(&fwd, A2, A1, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_ipv4(&deny, A2, A1, ip("10.1.0.2"), ip("10.1.0.4"), 64);
	pkt_ipv4(&encap, A2, A1, ip("10.1.0.2"), ip("10.1.0.9"), 64);
	pkt_ipv4(&frame, A1, A2, ip("10.1.0.9"), ip("10.1.0.2"), 64);
	/* Frames of 106 bytes, on both sides of the tunnel alike. */
	pad_echo(&fwd, 64);
	pad_echo(&deny, 64);
	pad_echo(&encap, 64);
	pad_echo(&frame, 64);
	pkt_vxlan(&decap, UL, UL, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &frame);
	pkt_ipv4(&port_exact, A2, A1, ip("10.1.0.2"), ip("192.0.2.7"), 64);
	pkt_udp(&port_exact, 40000, 53);
	pkt_ipv4(&port_trie, A2, A1, ip("10.1.0.2"), ip("192.0.2.8"), 64);
	pkt_udp(&port_trie, 40000, 53);

	int noop_fd = bpf_program__fd(noop->progs.tc_noop);
	int ep_fd = bpf_program__fd(skel->progs.tc_from_ep);
	const struct row repeat_rows[] = {
	    {"empty TC program (baseline)", noop_fd, &fwd},
	    {"tc_from_ep: allowed forward", ep_fd, &fwd},
	    {"tc_from_ep: denied pair", ep_fd, &deny},
	    {"xdp_from_ep: denied pair", bpf_program__fd(skel->progs.xdp_from_ep), &deny},
	    {"tc_from_ep: allowed forward, a ports-only level pair in use",
	     bpf_program__fd(ports->progs.tc_from_ep), &fwd},
	    {"tc_from_ep: udp/53 outside denied, exact hash, no pair entry",
	     bpf_program__fd(ports->progs.tc_from_ep), &port_exact},
	    {"tc_from_ep: udp/53 outside denied, tries, pair entry",
	     bpf_program__fd(ports->progs.tc_from_ep), &port_trie},
	    {"inverse steps alone (push + restore + strip)",
	     bpf_program__fd(tunnel->progs.tc_inverse_only), &decap},
	    {"tc_from_ep: VxLAN encap, then strip",
	     bpf_program__fd(tunnel->progs.tc_encap_then_strip), &encap},
	    {"tc_from_underlay: VxLAN decap, then restore",
	     bpf_program__fd(tunnel->progs.tc_decap_then_restore), &decap},
	};
	const struct row single_rows[] = {
	    {"empty TC program (baseline)", noop_fd, &fwd},
	    {"tc_from_ep: allowed forward", ep_fd, &fwd},
	    {"tc_from_ep: VxLAN encap", ep_fd, &encap},
	    {"tc_from_underlay: VxLAN decap", bpf_program__fd(skel->progs.tc_from_underlay),
	     &decap},
	};

	table("repeat", repeat_rows, sizeof(repeat_rows) / sizeof(repeat_rows[0]), 1, repeat);
	table("single", single_rows, sizeof(single_rows) / sizeof(single_rows[0]), singles, 1);
	printf("repeat mode: %u packets in one run; single mode: %u runs of one packet; median of "
	       "%d rounds each.\n",
	       repeat, singles, RUNS);
	tunnel_cost_bpf__destroy(tunnel);
	cbpfnet_bpf__destroy(skel);
	cbpfnet_bpf__destroy(ports);
	noop_bpf__destroy(noop);
	return 0;
}
