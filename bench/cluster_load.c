/*
 * Load for bench/cluster_scale.sh: simulated nodes and their endpoints written straight into
 * etcd, as agents would publish them, with no datapath behind them; and a map counter.
 *
 *   cluster_load URL NODES EPS_PER_NODE NET SUBNET TTL
 *       grants a lease per node, writes nodes/simN and endpoints/simN-K (addresses from SUBNET's .2
 * on, a /16, in order) under it, 128 keys per transaction, prints "written MS" (time of the last
 * write, CLOCK_REALTIME ms), then keeps the leases alive until a line or EOF arrives on stdin,
 * prints "revoking MS", revokes them all and prints "revoked MS". cluster_load --count PIN N
 * ABOVE|BELOW TIMEOUT_S polls the pinned hash map every 20 ms until it holds at least N entries
 * (ABOVE) or at most N (BELOW); prints "reached MS" (CLOCK_REALTIME ms) or fails after TIMEOUT_S.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/addr.h"
#include "cluster/etcd.h"
#include "endpoint.h"

#define TXN_OPS 128 /* etcd's default --max-txn-ops */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static size_t map_count(int fd)
{
	struct cbpf_ep_key key, next;
	void *prev = NULL;
	size_t n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static int count(int argc, char **argv)
{
	long long deadline;
	size_t want;
	bool above;
	int fd;

	if (argc != 6)
		return 2;
	fd = bpf_obj_get(argv[2]);
	if (fd < 0) {
		fprintf(stderr, "cluster_load: map %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	want = strtoul(argv[3], NULL, 10);
	above = !strcmp(argv[4], "ABOVE");
	deadline = now_ms() + atol(argv[5]) * 1000LL;
	while (now_ms() < deadline) {
		size_t n = map_count(fd);

		if (above ? n >= want : n <= want) {
			printf("reached %lld %zu\n", now_ms(), n);
			return 0;
		}
		usleep(20000);
	}
	fprintf(stderr, "cluster_load: map %s: %zu entries after %s s\n", argv[2], map_count(fd),
		argv[5]);
	return 1;
}

/*
 * Heartbeats at TTL/3 for the first n leases, as agents send them: writing 10 000 keys on a
 * loaded machine can take longer than the TTL, and the first nodes must not die meanwhile.
 */
static void keep_alive(struct etcd_client *e, const int64_t *leases, int n, int ttl,
		       long long *last)
{
	if (now_ms() - *last < ttl * 1000LL / 3)
		return;
	for (int i = 0; i < n; i++)
		if (etcd_lease_keepalive(e, leases[i], NULL))
			fprintf(stderr, "cluster_load: keepalive: %s\n", etcd_errmsg(e));
	*last = now_ms();
}

/* One transaction of up to TXN_OPS puts; the caller's arrays are reused. */
static int flush(struct etcd_client *e, struct etcd_op *ops, char (*keys)[96], char (*values)[160],
		 size_t *n)
{
	bool ok = false;
	int err;

	for (size_t i = 0; i < *n; i++) {
		ops[i].key = keys[i];
		ops[i].value = values[i];
		ops[i].value_len = strlen(values[i]);
	}
	err = *n ? etcd_txn(e, NULL, 0, ops, *n, &ok, NULL) : 0;
	if (err)
		fprintf(stderr, "cluster_load: %s\n", etcd_errmsg(e));
	*n = 0;
	return err;
}

int main(int argc, char **argv)
{
	static struct etcd_op ops[TXN_OPS];
	static char keys[TXN_OPS][96], values[TXN_OPS][160];
	char errbuf[512], ip_text[CBPF_IP_STRLEN], mac_text[CBPF_MAC_STRLEN];
	struct cbpf_cidr subnet;
	struct etcd_client *e;
	int nodes, per_node, ttl, err = 0;
	int64_t *leases;
	long long last_beat;
	size_t n = 0;
	uint32_t host = 2; /* .1 is the network's gateway */

	if (argc > 1 && !strcmp(argv[1], "--count"))
		return count(argc, argv);
	if (argc != 7 || cbpf_parse_cidr(argv[5], &subnet)) {
		fprintf(stderr, "usage: cluster_load URL NODES EPS_PER_NODE NET SUBNET TTL | "
				"cluster_load --count PIN N ABOVE|BELOW TIMEOUT_S\n");
		return 2;
	}
	nodes = atoi(argv[2]);
	per_node = atoi(argv[3]);
	ttl = atoi(argv[6]);
	if (etcd_open(argv[1], &e, errbuf, sizeof(errbuf))) {
		fprintf(stderr, "cluster_load: %s\n", errbuf);
		return 1;
	}
	leases = calloc(nodes, sizeof(*leases));
	last_beat = now_ms();
	for (int i = 0; !err && i < nodes; i++) {
		err = etcd_lease_grant(e, ttl, &leases[i], NULL);
		if (err) {
			fprintf(stderr, "cluster_load: %s\n", etcd_errmsg(e));
			break;
		}
		snprintf(keys[n], sizeof(keys[n]), "/cbpfnet/v1/nodes/sim%d", i);
		snprintf(values[n], sizeof(values[n]), "{\"underlay\":\"198.19.%d.%d\"}", i / 250,
			 i % 250 + 1);
		ops[n].type = ETCD_OP_PUT;
		ops[n++].lease = leases[i];
		for (int k = 0; !err && k < per_node; k++, host++) {
			uint32_t ip = cbpf_cidr_host(&subnet, host);
			uint8_t mac[6] = {0x02, 0xcc};

			memcpy(mac + 2, &ip, 4);
			cbpf_format_ip(ip, ip_text);
			cbpf_format_mac(mac, mac_text);
			if (n == TXN_OPS) {
				err = flush(e, ops, keys, values, &n);
				keep_alive(e, leases, i + 1, ttl, &last_beat);
			}
			snprintf(keys[n], sizeof(keys[n]), "/cbpfnet/v1/endpoints/sim%d-%d", i, k);
			snprintf(values[n], sizeof(values[n]),
				 "{\"node\":\"sim%d\",\"net\":\"%s\",\"ip\":\"%s\",\"mac\":\"%s\"}",
				 i, argv[4], ip_text, mac_text);
			ops[n].type = ETCD_OP_PUT;
			ops[n++].lease = leases[i];
		}
		if (!err && n == TXN_OPS)
			err = flush(e, ops, keys, values, &n);
	}
	err = err ?: flush(e, ops, keys, values, &n);
	if (err)
		return 1;
	printf("written %lld\n", now_ms());
	fflush(stdout);
	/* Heartbeats until told to let the nodes die. */
	for (;;) {
		struct pollfd p = {.fd = 0, .events = POLLIN};

		if (poll(&p, 1, 100) > 0)
			break;
		keep_alive(e, leases, nodes, ttl, &last_beat);
	}
	printf("revoking %lld\n", now_ms());
	for (int i = 0; i < nodes; i++)
		if (etcd_lease_revoke(e, leases[i]))
			fprintf(stderr, "cluster_load: revoke: %s\n", etcd_errmsg(e));
	printf("revoked %lld\n", now_ms());
	free(leases);
	etcd_close(e);
	return 0;
}
