#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

struct json_object *etcd_key_req(const char *key, bool prefix)
{
	struct json_object *req = json_object_new_object();
	char *end = NULL;
	size_t end_len = 0;
	int err;

	if (!req)
		return NULL;
	err = prefix ? etcd_prefix_end(key, &end, &end_len) : 0;
	if (err || etcd_add_b64(req, "key", key, strlen(key)) ||
	    (prefix && etcd_add_b64(req, "range_end", end, end_len))) {
		free(end);
		json_object_put(req);
		return NULL;
	}
	free(end);
	return req;
}

/* A range on the keys under prefix that come after `after` (which must be under prefix). */
static struct json_object *after_req(const char *prefix, const char *after)
{
	struct json_object *req;
	size_t n = strlen(after);
	char *first;
	int err;

	req = etcd_key_req(prefix, true);
	first = malloc(n + 1);
	if (!req || !first) {
		free(first);
		json_object_put(req);
		return NULL;
	}
	/* The first key after `after` is `after` and a NUL byte. */
	memcpy(first, after, n);
	first[n] = '\0';
	err = etcd_add_b64(req, "key", first, n + 1);
	free(first);
	if (err) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

static int range(struct etcd_client *c, const char *op, const char *key, bool prefix,
		 const char *after, int64_t limit, int64_t at_revision, struct etcd_kv **kvs,
		 size_t *n, int64_t *revision, bool *more)
{
	struct json_object *req, *resp = NULL, *m;
	char why[256];
	int64_t rev;
	int err;

	*kvs = NULL;
	*n = 0;
	if (prefix && !key[0])
		return etcd_fail(c, -EINVAL, op, key, "empty prefix");
	if (after && strncmp(after, key, strlen(key)))
		return etcd_fail(c, -EINVAL, op, key, "page start '%.100s' is not under the prefix",
				 after);
	req = after ? after_req(key, after) : etcd_key_req(key, prefix);
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
	err = range(c, "get", key, false, NULL, 0, 0, &kvs, &n, revision, NULL);
	if (err)
		return err;
	if (!n)
		return etcd_fail(c, -ENOENT, "get", key, "no such key");
	*kv = kvs[0];
	free(kvs);
	return 0;
}

int etcd_get_prefix(struct etcd_client *c, const char *prefix, const char *after, int64_t limit,
		    int64_t at_revision, struct etcd_kv **kvs, size_t *n, int64_t *revision,
		    bool *more)
{
	return range(c, "list", prefix, true, after, limit, at_revision, kvs, n, revision, more);
}

struct json_object *etcd_put_req(const char *key, const void *value, size_t len, int64_t lease)
{
	struct json_object *req = etcd_key_req(key, false);

	if (req && (etcd_add_b64(req, "value", value, len) ||
		    (lease && etcd_add_i64(req, "lease", lease)))) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

int etcd_write_done(struct etcd_client *c, const char *op, const char *key,
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
	struct json_object *req = etcd_put_req(key, value, len, lease), *resp;
	int err;

	if (!req)
		return etcd_fail(c, -ENOMEM, "put", key, "cannot build the request");
	err = etcd_call(c, "/v3/kv/put", req, ETCD_RETRY_ANY, "put", key, &resp);
	json_object_put(req);
	return err ? err : etcd_write_done(c, "put", key, resp, revision);
}

static int delete_range(struct etcd_client *c, const char *op, const char *key, bool prefix,
			int64_t *deleted)
{
	struct json_object *req, *resp;
	int64_t n = 0;
	int err;

	if (prefix && !key[0])
		return etcd_fail(c, -EINVAL, op, key, "empty prefix");
	req = etcd_key_req(key, prefix);
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
