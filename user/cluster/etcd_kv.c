#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

/* A request object with the key (and range_end when end is not NULL). */
static struct json_object *key_req(const char *key, const char *end, size_t end_len)
{
	struct json_object *req = json_object_new_object();

	if (!req)
		return NULL;
	if (etcd_add_b64(req, "key", key, strlen(key)) ||
	    (end && etcd_add_b64(req, "range_end", end, end_len))) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static int range(struct etcd_client *c, const char *op, const char *key, bool prefix, int64_t limit,
		 int64_t at_revision, struct etcd_kv **kvs, size_t *n, int64_t *revision,
		 bool *more)
{
	struct json_object *req = NULL, *resp = NULL, *m;
	char *end = NULL, why[256];
	size_t end_len = 0;
	int64_t rev;
	int err;

	*kvs = NULL;
	*n = 0;
	if (prefix && etcd_prefix_end(key, &end, &end_len))
		return etcd_fail(c, -EINVAL, op, key, "empty prefix");
	req = key_req(key, end, end_len);
	free(end);
	if (!req || (limit && etcd_add_i64(req, "limit", limit)) ||
	    (at_revision && etcd_add_i64(req, "revision", at_revision))) {
		json_object_put(req);
		return etcd_fail(c, -ENOMEM, op, key, "cannot build the request");
	}
	err = etcd_call(c, "/v3/kv/range", req, ETCD_RETRY_ANY, op, key, &resp);
	json_object_put(req);
	if (err)
		return err;
	err = etcd_parse_revision(resp, &rev, why, sizeof(why));
	if (!err)
		err = etcd_parse_kvs(resp, kvs, n, why, sizeof(why));
	if (!err && more)
		*more = json_object_object_get_ex(resp, "more", &m) && json_object_get_boolean(m);
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, op, key, "%s", why);
	if (revision)
		*revision = rev;
	return 0;
}

int etcd_get(struct etcd_client *c, const char *key, struct etcd_kv *kv, int64_t *revision)
{
	struct etcd_kv *kvs;
	size_t n;
	int err;

	memset(kv, 0, sizeof(*kv));
	err = range(c, "get", key, false, 0, 0, &kvs, &n, revision, NULL);
	if (err)
		return err;
	if (!n)
		return etcd_fail(c, -ENOENT, "get", key, "no such key");
	*kv = kvs[0];
	free(kvs);
	return 0;
}

int etcd_get_prefix(struct etcd_client *c, const char *prefix, int64_t limit, int64_t at_revision,
		    struct etcd_kv **kvs, size_t *n, int64_t *revision, bool *more)
{
	return range(c, "list", prefix, true, limit, at_revision, kvs, n, revision, more);
}

/* A request_put body: the key, the value and the lease. */
static struct json_object *put_req(const char *key, const void *value, size_t len, int64_t lease)
{
	struct json_object *req = key_req(key, NULL, 0);

	if (req && (etcd_add_b64(req, "value", value, len) ||
		    (lease && etcd_add_i64(req, "lease", lease)))) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

/* Reads header.revision of a write's answer into *revision (may be NULL) and frees it. */
static int write_done(struct etcd_client *c, const char *op, const char *key,
		      struct json_object *resp, int64_t *revision)
{
	char why[256];
	int64_t rev;
	int err;

	err = etcd_parse_revision(resp, &rev, why, sizeof(why));
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, op, key, "%s", why);
	if (revision)
		*revision = rev;
	return 0;
}

int etcd_put(struct etcd_client *c, const char *key, const void *value, size_t len, int64_t lease,
	     int64_t *revision)
{
	struct json_object *req = put_req(key, value, len, lease), *resp;
	int err;

	if (!req)
		return etcd_fail(c, -ENOMEM, "put", key, "cannot build the request");
	err = etcd_call(c, "/v3/kv/put", req, ETCD_RETRY_ANY, "put", key, &resp);
	json_object_put(req);
	return err ? err : write_done(c, "put", key, resp, revision);
}

static int delete_range(struct etcd_client *c, const char *op, const char *key, bool prefix,
			int64_t *deleted)
{
	struct json_object *req, *resp;
	char *end = NULL;
	size_t end_len = 0;
	int64_t n = 0;
	int err;

	if (prefix && etcd_prefix_end(key, &end, &end_len))
		return etcd_fail(c, -EINVAL, op, key, "empty prefix");
	req = key_req(key, end, end_len);
	free(end);
	if (!req)
		return etcd_fail(c, -ENOMEM, op, key, "cannot build the request");
	err = etcd_call(c, "/v3/kv/deleterange", req, ETCD_RETRY_ANY, op, key, &resp);
	json_object_put(req);
	if (err)
		return err;
	err = etcd_json_i64(resp, "deleted", &n);
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, op, key, "malformed answer");
	if (deleted)
		*deleted = n;
	return 0;
}

int etcd_delete(struct etcd_client *c, const char *key, int64_t *deleted)
{
	return delete_range(c, "delete", key, false, deleted);
}

int etcd_delete_prefix(struct etcd_client *c, const char *prefix, int64_t *deleted)
{
	return delete_range(c, "delete prefix", prefix, true, deleted);
}

/* {"target": TARGET, "key": KEY, FIELD: REV or VALUE}; result EQUAL is the default, omitted. */
static struct json_object *compare(const char *target, const char *key, const char *field,
				   int64_t rev, const void *value, size_t len)
{
	struct json_object *cmp = key_req(key, NULL, 0), *t = json_object_new_string(target);

	if (!cmp || !t || json_object_object_add(cmp, "target", t)) {
		json_object_put(t);
		json_object_put(cmp);
		return NULL;
	}
	if (value ? etcd_add_b64(cmp, field, value, len) : etcd_add_i64(cmp, field, rev)) {
		json_object_put(cmp);
		return NULL;
	}
	return cmp;
}

/* [{"request_put": put}] or [{"request_range": range}]. */
static struct json_object *one_op(const char *name, struct json_object *op)
{
	struct json_object *wrap = json_object_new_object(), *arr = json_object_new_array();

	if (!op || !wrap || !arr || json_object_object_add(wrap, name, op)) {
		json_object_put(op);
		json_object_put(wrap);
		json_object_put(arr);
		return NULL;
	}
	if (json_object_array_add(arr, wrap)) {
		json_object_put(wrap);
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

static struct json_object *txn_req(struct json_object *cmp, const char *key, const void *value,
				   size_t len, int64_t lease)
{
	struct json_object *req = json_object_new_object(), *cmps = json_object_new_array();
	struct json_object *ok = one_op("request_put", put_req(key, value, len, lease));
	struct json_object *ko = one_op("request_range", key_req(key, NULL, 0));

	bool added = cmps && cmp && !json_object_array_add(cmps, cmp);

	if (!added)
		json_object_put(cmp);
	if (!req || !added || !ok || !ko || json_object_object_add(req, "compare", cmps)) {
		json_object_put(cmps);
		json_object_put(ok);
		json_object_put(ko);
		json_object_put(req);
		return NULL;
	}
	if (json_object_object_add(req, "success", ok)) {
		json_object_put(ok);
		json_object_put(ko);
		json_object_put(req);
		return NULL;
	}
	if (json_object_object_add(req, "failure", ko)) {
		json_object_put(ko);
		json_object_put(req);
		return NULL;
	}
	return req;
}

/* The key as the failed transaction's range read it: *kv zeroed when absent. */
static int failure_kv(struct json_object *resp, struct etcd_kv *kv, char *why, size_t len)
{
	struct json_object *rs, *r0, *range;
	struct etcd_kv *kvs;
	size_t n;
	int err;

	memset(kv, 0, sizeof(*kv));
	if (!json_object_object_get_ex(resp, "responses", &rs) ||
	    !json_object_is_type(rs, json_type_array) || json_object_array_length(rs) != 1 ||
	    !(r0 = json_object_array_get_idx(rs, 0)) ||
	    !json_object_object_get_ex(r0, "response_range", &range)) {
		snprintf(why, len, "failed transaction without its read");
		return -EBADMSG;
	}
	err = etcd_parse_kvs(range, &kvs, &n, why, len);
	if (err)
		return err;
	if (n)
		*kv = kvs[0];
	for (size_t i = 1; i < n; i++) {
		free(kvs[i].key);
		free(kvs[i].value);
	}
	free(kvs);
	return 0;
}

/*
 * Writes key if cmp holds. When it does not, the current key decides the error: present gives
 * if_present (with its mod_revision in the message), absent -ENOENT.
 */
static int txn(struct etcd_client *c, const char *op, const char *key, struct json_object *cmp,
	       const void *value, size_t len, int64_t lease, int if_present, int64_t *revision)
{
	struct json_object *req = txn_req(cmp, key, value, len, lease), *resp, *ok;
	struct etcd_kv cur;
	char why[256];
	int err;

	if (!req)
		return etcd_fail(c, -ENOMEM, op, key, "cannot build the request");
	err = etcd_call(c, "/v3/kv/txn", req, ETCD_RETRY_UNSENT, op, key, &resp);
	json_object_put(req);
	if (err)
		return err;
	if (json_object_object_get_ex(resp, "succeeded", &ok) && json_object_get_boolean(ok))
		return write_done(c, op, key, resp, revision);
	err = failure_kv(resp, &cur, why, sizeof(why));
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, op, key, "%s", why);
	if (!cur.key)
		return etcd_fail(c, -ENOENT, op, key, "no such key");
	err = etcd_fail(c, if_present, op, key,
			if_present == -EEXIST ? "exists (mod_revision %" PRId64 ")"
					      : "changed meanwhile (mod_revision now %" PRId64 ")",
			cur.mod_revision);
	free(cur.key);
	free(cur.value);
	return err;
}

int etcd_create(struct etcd_client *c, const char *key, const void *value, size_t len,
		int64_t lease, int64_t *revision)
{
	return txn(c, "create", key, compare("CREATE", key, "create_revision", 0, NULL, 0), value,
		   len, lease, -EEXIST, revision);
}

int etcd_cas(struct etcd_client *c, const char *key, int64_t mod_revision, const void *value,
	     size_t len, int64_t lease, int64_t *revision)
{
	return txn(c, "compare-and-swap", key,
		   compare("MOD", key, "mod_revision", mod_revision, NULL, 0), value, len, lease,
		   -ECANCELED, revision);
}

int etcd_cas_value(struct etcd_client *c, const char *key, const void *expected,
		   size_t expected_len, const void *value, size_t len, int64_t lease,
		   int64_t *revision)
{
	/* A non-NULL pointer marks a value compare even for an empty expected value. */
	return txn(c, "compare-and-swap", key,
		   compare("VALUE", key, "value", 0, expected ? expected : "", expected_len), value,
		   len, lease, -ECANCELED, revision);
}
