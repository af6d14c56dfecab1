/*
 * A small etcd v3 client over etcd's JSON gateway (/v3/...), with libcurl and json-c.
 * docs/cluster.md explains the design: failover, timeouts and the gateway's quirks.
 *
 * Every call returns 0 or -errno and, on error, leaves a message naming the operation, the key
 * and the URL in etcd_errmsg(c) (the library prints nothing; callers pass it to cbpf_err).
 * A client is used by one thread at a time; a watch runs in its own thread with its own
 * connection and may be started from any client.
 */
#ifndef CBPF_ETCD_H
#define CBPF_ETCD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct etcd_client;

/* One key-value pair. key and value are NUL-terminated copies; value may hold any bytes. */
struct etcd_kv {
	char *key;
	size_t key_len;
	char *value;
	size_t value_len;
	int64_t create_revision;
	int64_t mod_revision;
	int64_t version;
	int64_t lease;
};

void etcd_kvs_free(struct etcd_kv *kvs, size_t n);

/* Defaults: 1 s to connect, 3 s per request in all, per URL tried. */
#define ETCD_CONNECT_TIMEOUT_MS 1000
#define ETCD_TIMEOUT_MS		3000

/* urls: "http://a:2379[,http://b:2379...]". On error the message goes to err. */
int etcd_open(const char *urls, struct etcd_client **out, char *err, size_t errlen);
void etcd_close(struct etcd_client *c);
void etcd_set_timeouts(struct etcd_client *c, long connect_ms, long total_ms);
const char *etcd_errmsg(const struct etcd_client *c);

/*
 * Reads. *revision (may be NULL) is the store revision the answer was taken at: watch from
 * revision + 1 to miss nothing. etcd_get finds at most one pair (-ENOENT when absent).
 * etcd_get_prefix lists keys under prefix in key order, after the key `after` (NULL: from the
 * first), at most limit (0: all) at at_revision (0: now); *more (may be NULL) tells whether the
 * limit cut the list: the next page is after the last key, at the same revision. A compacted
 * at_revision fails with -ESTALE.
 */
int etcd_get(struct etcd_client *c, const char *key, struct etcd_kv *kv, int64_t *revision);
int etcd_get_prefix(struct etcd_client *c, const char *prefix, const char *after, int64_t limit,
		    int64_t at_revision, struct etcd_kv **kvs, size_t *n, int64_t *revision,
		    bool *more);

/* Writes. lease 0: none. *revision (may be NULL): the revision of the write. */
int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t len, int64_t lease,
	     int64_t *revision);
/* *deleted (may be NULL): how many keys went. Deleting nothing is not an error. */
int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted);
int etcd_delete_prefix(struct etcd_client *c, const char *prefix, int64_t *deleted);

/*
 * Transactions, each one compare and one write, so that two writers never both win.
 * etcd_create writes only if key is absent (-EEXIST otherwise). etcd_cas writes only if the
 * key's mod_revision is still mod_revision, etcd_cas_value only if its value is still
 * expected; both fail with -ECANCELED when it changed (or -ENOENT when key is absent).
 * A transaction is never retried on another URL once sent: if the answer is lost the call
 * fails with -ETIMEDOUT (or the transport's error) and the caller reads the key to learn.
 */
int etcd_create(struct etcd_client *c, const char *key, const void *value, size_t len,
		int64_t lease, int64_t *revision);
int etcd_cas(struct etcd_client *c, const char *key, int64_t mod_revision, const void *value,
	     size_t len, int64_t lease, int64_t *revision);
int etcd_cas_value(struct etcd_client *c, const char *key, const void *expected,
		   size_t expected_len, const void *value, size_t len, int64_t lease,
		   int64_t *revision);

/* A general transaction: every compare must hold for the writes to happen, all at once. */
enum etcd_cmp_target { ETCD_CMP_VERSION, ETCD_CMP_CREATE, ETCD_CMP_MOD, ETCD_CMP_VALUE };
enum etcd_cmp_result { ETCD_CMP_EQUAL, ETCD_CMP_NOT_EQUAL, ETCD_CMP_LESS, ETCD_CMP_GREATER };

struct etcd_cmp {
	const char *key;
	bool prefix; /* holds for every key under key (an absent key compares as 0) */
	enum etcd_cmp_target target;
	enum etcd_cmp_result result;
	int64_t revision;  /* VERSION, CREATE, MOD; CREATE == 0: absent */
	const void *value; /* VALUE */
	size_t value_len;
};

enum etcd_op_type { ETCD_OP_PUT, ETCD_OP_DELETE };

struct etcd_op {
	enum etcd_op_type type;
	const char *key;
	bool prefix; /* DELETE: every key under key */
	const void *value;
	size_t value_len;
	int64_t lease;
};

/*
 * Writes ops if every compare holds. Returns 0 with *succeeded telling which: when false,
 * nothing was written and the caller reads again and decides. *revision (may be NULL): the
 * store revision after the transaction. Never resent once sent, like etcd_create.
 */
int etcd_txn(struct etcd_client *c, const struct etcd_cmp *cmps, size_t n_cmps,
	     const struct etcd_op *ops, size_t n_ops, bool *succeeded, int64_t *revision);

/*
 * Leases. etcd raises a TTL below its minimum (2 s); *granted (may be NULL) is the TTL given.
 * keepalive and revoke fail with -ENOENT when the lease expired or was revoked: every key
 * under it is gone and the owner must grant a new lease and write them again.
 */
int etcd_lease_grant(struct etcd_client *c, int64_t ttl, int64_t *id, int64_t *granted);
int etcd_lease_keepalive(struct etcd_client *c, int64_t id, int64_t *ttl_left);
int etcd_lease_revoke(struct etcd_client *c, int64_t id);
/* The TTL left (whole seconds, as etcd counts) and the TTL granted; -ENOENT when gone. */
int etcd_lease_timetolive(struct etcd_client *c, int64_t id, int64_t *ttl_left, int64_t *granted);

/* Watches ------------------------------------------------------------------------------- */

enum etcd_event_type {
	ETCD_EV_PUT,
	ETCD_EV_DELETE,
	/* The watch is connected (again): events resume from the revision after the last one. */
	ETCD_EV_SYNCED,
	/* Connection lost; the watch retries every URL until etcd answers or it is stopped. */
	ETCD_EV_DOWN,
	/*
	 * The revision to watch from was compacted: events were lost. The watch has ended; the
	 * caller lists the prefix again and starts a new watch from that list's revision + 1.
	 */
	ETCD_EV_COMPACTED,
};

struct etcd_event {
	enum etcd_event_type type;
	struct etcd_kv kv; /* PUT, DELETE (a delete has only key and mod_revision) */
	int64_t revision;  /* PUT, DELETE: kv.mod_revision; COMPACTED: compact_revision */
	int err;	   /* DOWN: why (-errno) */
	const char *msg;   /* DOWN: what failed, on which URL */
};

/*
 * Called from the watch's thread, in revision order; the event and its strings are valid only
 * during the call. A non-zero return stops the watch.
 */
typedef int (*etcd_watch_fn)(void *arg, const struct etcd_event *ev);

struct etcd_watch;

/*
 * Watches every key under prefix from from_revision (0: from now), in a thread of its own,
 * across reconnects: after a lost connection it resumes after the last revision delivered.
 */
int etcd_watch_start(struct etcd_client *c, const char *prefix, int64_t from_revision,
		     etcd_watch_fn fn, void *arg, struct etcd_watch **out);
/*
 * Stops the watch (at once, even while it waits on etcd) and frees it. Returns how it ended:
 * 0 (stopped by the caller or the callback), -ESTALE (compacted), or the error that ended it.
 */
int etcd_watch_stop(struct etcd_watch *w);

#endif
