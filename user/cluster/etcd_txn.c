#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

static const char *const target_names[] = {
    [ETCD_CMP_VERSION] = "VERSION",
    [ETCD_CMP_CREATE] = "CREATE",
    [ETCD_CMP_MOD] = "MOD",
    [ETCD_CMP_VALUE] = "VALUE",
};
static const char *const target_fields[] = {
    [ETCD_CMP_VERSION] = "version",
    [ETCD_CMP_CREATE] = "create_revision",
    [ETCD_CMP_MOD] = "mod_revision",
    [ETCD_CMP_VALUE] = "value",
};
static const char *const result_names[] = {
    [ETCD_CMP_EQUAL] = "EQUAL",
    [ETCD_CMP_NOT_EQUAL] = "NOT_EQUAL",
    [ETCD_CMP_LESS] = "LESS",
    [ETCD_CMP_GREATER] = "GREATER",
};

static int add_string(struct json_object *obj, const char *name, const char *value)
{
	struct json_object *s = json_object_new_string(value);

	if (!s || json_object_object_add(obj, name, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

/* Moves item into arr; item is freed whatever happens. */
static int array_take(struct json_object *arr, struct json_object *item)
{
	if (!item)
		return -ENOMEM;
	if (json_object_array_add(arr, item)) {
		json_object_put(item);
		return -ENOMEM;
	}
	return 0;
}

/* Moves item into obj under name; item is freed whatever happens. */
static int object_take(struct json_object *obj, const char *name, struct json_object *item)
{
	if (!item)
		return -ENOMEM;
	if (json_object_object_add(obj, name, item)) {
		json_object_put(item);
		return -ENOMEM;
	}
	return 0;
}

static struct json_object *cmp_json(const struct etcd_cmp *cmp)
{
	struct json_object *o = etcd_key_req(cmp->key, cmp->prefix);
	const char *field = target_fields[cmp->target];
	int err;

	if (!o)
		return NULL;
	err = add_string(o, "target", target_names[cmp->target]);
	if (!err)
		err = add_string(o, "result", result_names[cmp->result]);
	if (!err)
		err = cmp->target == ETCD_CMP_VALUE
			  ? etcd_add_b64(o, field, cmp->value ? cmp->value : "", cmp->value_len)
			  : etcd_add_i64(o, field, cmp->revision);
	if (err) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* {"request_put": ...}, {"request_delete_range": ...} or {"request_range": ...}. */
static struct json_object *op_json(const char *kind, struct json_object *req)
{
	struct json_object *o;

	if (!req)
		return NULL;
	o = json_object_new_object();
	if (!o) {
		json_object_put(req);
		return NULL;
	}
	if (object_take(o, kind, req)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static struct json_object *write_json(const struct etcd_op *op)
{
	if (op->type == ETCD_OP_DELETE)
		return op_json("request_delete_range", etcd_key_req(op->key, op->prefix));
	return op_json("request_put",
		       etcd_put_req(op->key, op->value ? op->value : "", op->value_len, op->lease));
}

static bool valid(const struct etcd_cmp *cmps, size_t n_cmps, const struct etcd_op *ops,
		  size_t n_ops)
{
	for (size_t i = 0; i < n_cmps; i++)
		if ((unsigned)cmps[i].target > ETCD_CMP_VALUE ||
		    (unsigned)cmps[i].result > ETCD_CMP_GREATER || !cmps[i].key ||
		    (cmps[i].prefix && !cmps[i].key[0]))
			return false;
	for (size_t i = 0; i < n_ops; i++)
		if ((unsigned)ops[i].type > ETCD_OP_DELETE || !ops[i].key ||
		    (ops[i].prefix && (!ops[i].key[0] || ops[i].type != ETCD_OP_DELETE)))
			return false;
	return true;
}

/*
 * The request: compares, writes on success, and on failure a read of failure_key (NULL: none)
 * so that the caller can say why.
 */
static struct json_object *txn_req(const struct etcd_cmp *cmps, size_t n_cmps,
				   const struct etcd_op *ops, size_t n_ops, const char *failure_key)
{
	struct json_object *req = json_object_new_object(), *c, *s, *f;
	int err;

	if (!req)
		return NULL;
	c = json_object_new_array();
	err = object_take(req, "compare", c);
	s = err ? NULL : json_object_new_array();
	err = err ? err : object_take(req, "success", s);
	f = err ? NULL : json_object_new_array();
	err = err ? err : object_take(req, "failure", f);
	for (size_t i = 0; !err && i < n_cmps; i++)
		err = array_take(c, cmp_json(&cmps[i]));
	for (size_t i = 0; !err && i < n_ops; i++)
		err = array_take(s, write_json(&ops[i]));
	if (!err && failure_key)
		err = array_take(f, op_json("request_range", etcd_key_req(failure_key, false)));
	if (err) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

/* Sends a transaction once (never to a second URL once sent); *ok: did the compares hold. */
static int txn_send(struct etcd_client *c, const char *op, const char *key, struct json_object *req,
		    bool *ok, struct json_object **resp)
{
	struct json_object *s;
	int err;

	if (!req)
		return etcd_fail(c, -ENOMEM, op, key, "cannot build the request");
	err = etcd_call(c, "/v3/kv/txn", req, ETCD_RETRY_UNSENT, op, key, resp);
	json_object_put(req);
	if (err)
		return err;
	*ok = json_object_object_get_ex(*resp, "succeeded", &s) && json_object_get_boolean(s);
	return 0;
}

int etcd_txn(struct etcd_client *c, const struct etcd_cmp *cmps, size_t n_cmps,
	     const struct etcd_op *ops, size_t n_ops, bool *succeeded, int64_t *revision)
{
	const char *key = n_ops ? ops[0].key : n_cmps ? cmps[0].key : "";
	struct json_object *resp;
	int err;

	*succeeded = false;
	if (!valid(cmps, n_cmps, ops, n_ops))
		return etcd_fail(c, -EINVAL, "txn", key, "invalid compare or operation");
	err = txn_send(c, "txn", key, txn_req(cmps, n_cmps, ops, n_ops, NULL), succeeded, &resp);
	return err ? err : etcd_write_done(c, "txn", key, resp, revision);
}

/* The key as the failed transaction's read found it: *kv zeroed when absent. */
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
 * Writes key if cmp holds. When it does not, the key as it is decides the error: present
 * gives if_present (with its mod_revision in the message), absent -ENOENT.
 */
static int put_if(struct etcd_client *c, const char *op, const struct etcd_cmp *cmp,
		  const void *value, size_t len, int64_t lease, int if_present, int64_t *revision)
{
	struct etcd_op put = {ETCD_OP_PUT, cmp->key, false, value, len, lease};
	struct json_object *resp;
	struct etcd_kv cur;
	char why[256];
	bool ok;
	int err;

	err = txn_send(c, op, cmp->key, txn_req(cmp, 1, &put, 1, cmp->key), &ok, &resp);
	if (err)
		return err;
	if (ok)
		return etcd_write_done(c, op, cmp->key, resp, revision);
	err = failure_kv(resp, &cur, why, sizeof(why));
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, op, cmp->key, "%s", why);
	if (!cur.key)
		return etcd_fail(c, -ENOENT, op, cmp->key, "no such key");
	err = etcd_fail(c, if_present, op, cmp->key,
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
	struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_CREATE, .revision = 0};

	return put_if(c, "create", &cmp, value, len, lease, -EEXIST, revision);
}

int etcd_cas(struct etcd_client *c, const char *key, int64_t mod_revision, const void *value,
	     size_t len, int64_t lease, int64_t *revision)
{
	struct etcd_cmp cmp = {.key = key, .target = ETCD_CMP_MOD, .revision = mod_revision};

	return put_if(c, "compare-and-swap", &cmp, value, len, lease, -ECANCELED, revision);
}

int etcd_cas_value(struct etcd_client *c, const char *key, const void *expected,
		   size_t expected_len, const void *value, size_t len, int64_t lease,
		   int64_t *revision)
{
	struct etcd_cmp cmp = {
	    .key = key, .target = ETCD_CMP_VALUE, .value = expected, .value_len = expected_len};

	return put_if(c, "compare-and-swap", &cmp, value, len, lease, -ECANCELED, revision);
}
