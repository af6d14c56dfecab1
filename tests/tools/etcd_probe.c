/*
 * Drives the etcd client (user/cluster/etcd.h) from tests/integration/etcd_client.sh: one call
 * per run, results on stdout one line each, values in hex so any byte shows. On failure it
 * prints the client's message on stderr and exits with the errno (17 for EEXIST...).
 * Usage: etcd_probe [-t CONNECT_MS,TOTAL_MS] URLS COMMAND ARGS...
 *   get KEY | list PREFIX [LIMIT [REVISION [AFTER]]] | put KEY VALUE [LEASE] | del KEY
 *   delp PREFIX
 *   create KEY VALUE [LEASE] | cas KEY MOD_REVISION VALUE | casv KEY EXPECTED VALUE
 *   txn COMPARE... -- WRITE...: COMPARE is TARGET:OP:KEY:ARG with TARGET version, create, mod
 *     or value, OP eq, ne, lt or gt, KEY ending in '*' for a prefix, ARG a revision or VALUE;
 *     WRITE is put:KEY=VALUE or del:KEY (del:PREFIX*). Exits ECANCELED when a compare fails.
 *   grant TTL | keepalive ID [COUNT INTERVAL_MS] | revoke ID
 *   watch PREFIX FROM_REVISION EVENTS SECONDS: prints events until EVENTS puts and deletes were
 *     seen (exit 0), the watch was compacted (exit ESTALE) or SECONDS passed (exit ETIME).
 * VALUE is text, or hex:HEX for any bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/etcd.h"

#define EXIT_USAGE 255

static struct etcd_client *client;

static void usage(void)
{
	fprintf(stderr, "usage: etcd_probe [-t CONNECT_MS,TOTAL_MS] URLS COMMAND ARGS...\n");
	exit(EXIT_USAGE);
}

static int64_t num(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		usage();
	return v;
}

/* VALUE as bytes: hex:HEX or the text itself. */
static char *value(const char *arg, size_t *len)
{
	size_t n;
	char *v;

	if (strncmp(arg, "hex:", 4)) {
		*len = strlen(arg);
		return strdup(arg);
	}
	arg += 4;
	n = strlen(arg);
	if (n % 2)
		usage();
	v = malloc(n / 2 + 1);
	for (size_t i = 0; v && i < n / 2; i++) {
		unsigned int b;

		if (sscanf(arg + 2 * i, "%2x", &b) != 1)
			usage();
		v[i] = (char)b;
	}
	*len = n / 2;
	return v;
}

static void print_hex(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		printf("%02x", (unsigned char)v[i]);
}

static void print_kv(const struct etcd_kv *kv)
{
	printf("%s value_hex=", kv->key);
	print_hex(kv->value, kv->value_len);
	printf(" len=%zu create=%" PRId64 " mod=%" PRId64 " version=%" PRId64 " lease=%" PRId64
	       "\n",
	       kv->value_len, kv->create_revision, kv->mod_revision, kv->version, kv->lease);
}

static int fail(int err)
{
	fprintf(stderr, "etcd_probe: %s\n", etcd_errmsg(client));
	return -err;
}

static atomic_int events_seen;
static atomic_bool compacted;

static int on_event(void *arg, const struct etcd_event *ev)
{
	(void)arg;
	switch (ev->type) {
	case ETCD_EV_PUT:
		printf("put %s rev=%" PRId64 " value_hex=", ev->kv.key, ev->revision);
		print_hex(ev->kv.value, ev->kv.value_len);
		printf("\n");
		atomic_fetch_add(&events_seen, 1);
		break;
	case ETCD_EV_DELETE:
		printf("delete %s rev=%" PRId64 "\n", ev->kv.key, ev->revision);
		atomic_fetch_add(&events_seen, 1);
		break;
	case ETCD_EV_SYNCED:
		printf("synced next=%" PRId64 "\n", ev->revision);
		break;
	case ETCD_EV_DOWN:
		printf("down err=%d %s\n", -ev->err, ev->msg);
		break;
	case ETCD_EV_COMPACTED:
		printf("compacted rev=%" PRId64 "\n", ev->revision);
		atomic_store(&compacted, true);
		break;
	}
	return 0;
}

static int watch(const char *prefix, int64_t from, int events, int64_t seconds)
{
	struct timespec tick = {0, 20 * 1000 * 1000};
	struct etcd_watch *w;
	int err, status;

	err = etcd_watch_start(client, prefix, from, on_event, NULL, &w);
	if (err)
		return fail(err);
	for (int64_t t = 0; t < seconds * 50; t++) {
		if (atomic_load(&events_seen) >= events || atomic_load(&compacted))
			break;
		nanosleep(&tick, NULL);
	}
	status = etcd_watch_stop(w);
	if (status) {
		printf("ended status=%d\n", -status);
		return -status;
	}
	return atomic_load(&events_seen) >= events ? 0 : ETIME;
}

/* KEY or PREFIX*: a copy without the star, and whether it had one. */
static char *key_arg(const char *arg, size_t len, bool *prefix)
{
	*prefix = len && arg[len - 1] == '*';
	return strndup(arg, *prefix ? len - 1 : len);
}

static void parse_cmp(char *arg, struct etcd_cmp *c)
{
	static const char *const targets[] = {"version", "create", "mod", "value"};
	static const char *const results[] = {"eq", "ne", "lt", "gt"};
	char *t = strtok(arg, ":"), *r = strtok(NULL, ":"), *k = strtok(NULL, ":");
	char *v = strtok(NULL, "");
	int ti = -1, ri = -1;

	for (int i = 0; t && r && i < 4; i++) {
		ti = strcmp(t, targets[i]) ? ti : i;
		ri = strcmp(r, results[i]) ? ri : i;
	}
	if (ti < 0 || ri < 0 || !k)
		usage();
	c->key = key_arg(k, strlen(k), &c->prefix);
	c->target = (enum etcd_cmp_target)ti;
	c->result = (enum etcd_cmp_result)ri;
	if (c->target == ETCD_CMP_VALUE) {
		c->value = value(v ? v : "", &c->value_len);
	} else {
		c->revision = v ? num(v) : 0;
	}
}

static void parse_op(const char *arg, struct etcd_op *o)
{
	const char *eq;

	if (!strncmp(arg, "put:", 4) && (eq = strchr(arg + 4, '='))) {
		o->type = ETCD_OP_PUT;
		o->key = key_arg(arg + 4, (size_t)(eq - arg - 4), &o->prefix);
		o->value = value(eq + 1, &o->value_len);
	} else if (!strncmp(arg, "del:", 4)) {
		o->type = ETCD_OP_DELETE;
		o->key = key_arg(arg + 4, strlen(arg + 4), &o->prefix);
	} else {
		usage();
	}
}

static int txn(int argc, char **argv)
{
	struct etcd_cmp cmps[16] = {0};
	struct etcd_op ops[16] = {0};
	size_t nc = 0, no = 0;
	bool ok, writes = false;
	int64_t rev;
	int err;

	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			writes = true;
		else if (!writes && nc < 16)
			parse_cmp(argv[i], &cmps[nc++]);
		else if (writes && no < 16)
			parse_op(argv[i], &ops[no++]);
		else
			usage();
	}
	err = etcd_txn(client, cmps, nc, ops, no, &ok, &rev);
	for (size_t i = 0; i < nc; i++) {
		free((char *)cmps[i].key);
		free((void *)cmps[i].value);
	}
	for (size_t i = 0; i < no; i++) {
		free((char *)ops[i].key);
		free((void *)ops[i].value);
	}
	if (err)
		return fail(err);
	printf("succeeded=%d revision=%" PRId64 "\n", ok, rev);
	return ok ? 0 : ECANCELED;
}

static int run(const char *cmd, int argc, char **argv)
{
	int64_t rev = 0, n = 0, id, ttl;
	struct etcd_kv kv, *kvs;
	size_t len, elen, count;
	char *v, *e;
	bool more;
	int err;

	if (!strcmp(cmd, "get") && argc == 1) {
		err = etcd_get(client, argv[0], &kv, &rev);
		if (err)
			return fail(err);
		print_kv(&kv);
		printf("revision=%" PRId64 "\n", rev);
		free(kv.key);
		free(kv.value);
		return 0;
	}
	if (!strcmp(cmd, "list") && argc >= 1 && argc <= 4) {
		err = etcd_get_prefix(client, argv[0], argc > 3 ? argv[3] : NULL,
				      argc > 1 ? num(argv[1]) : 0, argc > 2 ? num(argv[2]) : 0,
				      &kvs, &count, &rev, &more);
		if (err)
			return fail(err);
		for (size_t i = 0; i < count; i++)
			print_kv(&kvs[i]);
		printf("revision=%" PRId64 " count=%zu more=%d\n", rev, count, more);
		etcd_kvs_free(kvs, count);
		return 0;
	}
	if ((!strcmp(cmd, "put") || !strcmp(cmd, "create")) && (argc == 2 || argc == 3)) {
		v = value(argv[1], &len);
		if (!strcmp(cmd, "put"))
			err = etcd_put(client, argv[0], v, len, argc > 2 ? num(argv[2]) : 0, &rev);
		else
			err =
			    etcd_create(client, argv[0], v, len, argc > 2 ? num(argv[2]) : 0, &rev);
		free(v);
		if (err)
			return fail(err);
		printf("revision=%" PRId64 "\n", rev);
		return 0;
	}
	if ((!strcmp(cmd, "del") || !strcmp(cmd, "delp")) && argc == 1) {
		err = !strcmp(cmd, "del") ? etcd_delete(client, argv[0], &n)
					  : etcd_delete_prefix(client, argv[0], &n);
		if (err)
			return fail(err);
		printf("deleted=%" PRId64 "\n", n);
		return 0;
	}
	if (!strcmp(cmd, "cas") && argc == 3) {
		v = value(argv[2], &len);
		err = etcd_cas(client, argv[0], num(argv[1]), v, len, 0, &rev);
		free(v);
		if (err)
			return fail(err);
		printf("revision=%" PRId64 "\n", rev);
		return 0;
	}
	if (!strcmp(cmd, "casv") && argc == 3) {
		e = value(argv[1], &elen);
		v = value(argv[2], &len);
		err = etcd_cas_value(client, argv[0], e, elen, v, len, 0, &rev);
		free(e);
		free(v);
		if (err)
			return fail(err);
		printf("revision=%" PRId64 "\n", rev);
		return 0;
	}
	if (!strcmp(cmd, "txn"))
		return txn(argc, argv);
	if (!strcmp(cmd, "grant") && argc == 1) {
		err = etcd_lease_grant(client, num(argv[0]), &id, &ttl);
		if (err)
			return fail(err);
		printf("id=%" PRId64 " ttl=%" PRId64 "\n", id, ttl);
		return 0;
	}
	if (!strcmp(cmd, "keepalive") && (argc == 1 || argc == 3)) {
		int64_t times = argc > 1 ? num(argv[1]) : 1, ms = argc > 1 ? num(argv[2]) : 0;
		struct timespec gap = {ms / 1000, ms % 1000 * 1000000};

		for (int64_t i = 0; i < times; i++) {
			if (i)
				nanosleep(&gap, NULL);
			err = etcd_lease_keepalive(client, num(argv[0]), &ttl);
			if (err)
				return fail(err);
			printf("ttl=%" PRId64 "\n", ttl);
		}
		return 0;
	}
	if (!strcmp(cmd, "revoke") && argc == 1) {
		err = etcd_lease_revoke(client, num(argv[0]));
		return err ? fail(err) : 0;
	}
	if (!strcmp(cmd, "watch") && argc == 4)
		return watch(argv[0], num(argv[1]), (int)num(argv[2]), num(argv[3]));
	usage();
	return EXIT_USAGE;
}

int main(int argc, char **argv)
{
	long connect_ms = ETCD_CONNECT_TIMEOUT_MS, total_ms = ETCD_TIMEOUT_MS;
	char err[1024];
	int rc, i = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		if (sscanf(argv[2], "%ld,%ld", &connect_ms, &total_ms) != 2)
			usage();
		i = 3;
	}
	if (argc - i < 2)
		usage();
	rc = etcd_open(argv[i], &client, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "etcd_probe: %s\n", err);
		return -rc;
	}
	etcd_set_timeouts(client, connect_ms, total_ms);
	rc = run(argv[i + 1], argc - i - 2, argv + i + 2);
	etcd_close(client);
	return rc;
}
