/*
 * Per-packet cost of the datapath programs with BPF_PROG_TEST_RUN, next to an empty TC program
 * measured the same way. Each packet is its own test run (repeat 1): the kernel reuses one skb
 * across repeats, and encapsulation would grow the same packet again and again. The kernel's
 * duration covers the program only, not the syscall.
 * Usage: build/bench/prog_cost [PACKETS]   (as root; prints a Markdown table)
 */
#include <linux/bpf.h>
#include <stdlib.h>

#include "cbpfnet.skel.h"
#include "fixture.h"
#include "noop.skel.h"
#include "overlay.h"

#define RUNS 7

static const uint8_t A1[6] = {0x02, 0xcb, 10, 1, 0, 2};
static const uint8_t A2[6] = {0x02, 0xcb, 10, 1, 0, 3};
static const uint8_t UL[6] = {0x9a, 0, 0, 0, 0, 1};

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median over RUNS of the mean kernel-measured ns per packet over `packets` single runs. */
static double cost(int prog, const struct pkt *in, unsigned int packets, uint32_t *verdict)
{
	struct pkt out;
	double samples[RUNS];

	for (int i = 0; i < RUNS; i++) {
		uint64_t total = 0;

		for (unsigned int n = 0; n < packets; n++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in->data,
				    .data_size_in = in->len, .data_out = out.data,
				    .data_size_out = sizeof(out.data), .repeat = 1);
			if (bpf_prog_test_run_opts(prog, &opts))
				return -1;
			total += opts.duration;
			*verdict = opts.retval;
		}
		samples[i] = (double)total / packets;
	}
	qsort(samples, RUNS, sizeof(samples[0]), compare);
	return samples[RUNS / 2];
}

int main(int argc, char **argv)
{
	unsigned int packets = argc > 1 ? strtoul(argv[1], NULL, 10) : 200000;
	struct cbpf_underlay underlay = {.ifindex = LO_IFINDEX, .ip = ip("198.18.0.1")};
	struct cbpf_vni_key vni = {.vni = 100};
	struct cbpf_vni_value segment = {.net_id = 1};
	struct cbpf_ep_key remote_key = {.ip = ip("10.1.0.9")};
	struct cbpf_ep_value remote = {.identity = 0x10009, .net_id = 1, .flags = CBPF_EP_REMOTE,
				       .node_ip = ip("198.18.0.2")};
	struct cbpfnet_bpf *skel;
	struct noop_bpf *noop;
	struct pkt fwd, deny, encap, decap, frame;
	uint32_t zero = 0, v = 0;
	int eps;

	libbpf_set_print(NULL);
	FIXTURE_LOAD(cbpfnet_bpf, skel);
	FIXTURE_LOAD(noop_bpf, noop);
	if (!skel || !noop)
		return 1;
	eps = bpf_map__fd(skel->maps.cbpf_endpoints);
	add_net(bpf_map__fd(skel->maps.cbpf_networks), 1, "10.1.0.1", "10.1.0.0", UL);
	add_ep(eps, "10.1.0.2", LO_IFINDEX, 0x10001, 1, A1);
	add_ep(eps, "10.1.0.3", 42, 0x10002, 1, A2);
	add_ep(eps, "10.1.0.4", 43, 0x10004, 1, A2);
	memcpy(remote.mac, A2, 6);
	bpf_map_update_elem(eps, &remote_key, &remote, 0);
	add_policy(bpf_map__fd(skel->maps.cbpf_policy), 0x10001, 0x10004, CBPF_VERDICT_DENY,
		   CBPF_DROP_POLICY);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_underlay), &zero, &underlay, 0);
	bpf_map_update_elem(bpf_map__fd(skel->maps.cbpf_vnis), &vni, &segment, 0);

	pkt_ipv4(&fwd, A2, A1, ip("10.1.0.2"), ip("10.1.0.3"), 64);
	pkt_ipv4(&deny, A2, A1, ip("10.1.0.2"), ip("10.1.0.4"), 64);
	pkt_ipv4(&encap, A2, A1, ip("10.1.0.2"), ip("10.1.0.9"), 64);
	pkt_ipv4(&frame, A1, A2, ip("10.1.0.9"), ip("10.1.0.2"), 64);
	pkt_vxlan(&decap, UL, UL, ip("198.18.0.2"), ip("198.18.0.1"), 50000, 100, 0, &frame);

	struct {
		const char *what;
		int prog;
		const struct pkt *in;
	} rows[] = {
		{"empty TC program (baseline)", bpf_program__fd(noop->progs.tc_noop), &fwd},
		{"tc_from_ep: allowed forward", bpf_program__fd(skel->progs.tc_from_ep), &fwd},
		{"tc_from_ep: denied pair", bpf_program__fd(skel->progs.tc_from_ep), &deny},
		{"xdp_from_ep: denied pair", bpf_program__fd(skel->progs.xdp_from_ep), &deny},
		{"tc_from_ep: VxLAN encap", bpf_program__fd(skel->progs.tc_from_ep), &encap},
		{"tc_from_underlay: VxLAN decap", bpf_program__fd(skel->progs.tc_from_underlay),
		 &decap},
	};
	double base = 0;

	printf("| program and case | verdict | ns/packet | vs empty program |\n");
	printf("| --- | --- | --- | --- |\n");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		double ns = cost(rows[i].prog, rows[i].in, packets, &v);

		if (i == 0)
			base = ns;
		printf("| %s | %u | %.1f | %.2fx |\n", rows[i].what, v, ns, base > 0 ? ns / base : 0);
	}
	printf("\n%u packets per run, one test run each, median of %d runs.\n", packets, RUNS);
	cbpfnet_bpf__destroy(skel);
	noop_bpf__destroy(noop);
	return 0;
}
