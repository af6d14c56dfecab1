#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

static struct json_object *id_req(const char *name, int64_t v)
{
	struct json_object *req = json_object_new_object();

	if (req && etcd_add_i64(req, name, v)) {
		json_object_put(req);
		return NULL;
	}
	return req;
}

int etcd_lease_grant(struct etcd_client *c, int64_t ttl, int64_t *id, int64_t *granted)
{
	struct json_object *req = id_req("TTL", ttl), *resp;
	char what[32];
	int64_t got_id, got_ttl;
	int err;

	snprintf(what, sizeof(what), "TTL %" PRId64, ttl);
	if (!req)
		return etcd_fail(c, -ENOMEM, "lease grant", what, "cannot build the request");
	/* A grant whose answer was lost leaves a lease nobody keeps alive: it expires alone. */
	err = etcd_call(c, "/v3/lease/grant", req, ETCD_RETRY_ANY, "lease grant", what, &resp);
	json_object_put(req);
	if (err)
		return err;
	err = etcd_json_i64(resp, "ID", &got_id);
	if (!err)
		err = etcd_json_i64(resp, "TTL", &got_ttl);
	json_object_put(resp);
	if (err || got_id == 0 || got_ttl <= 0)
		return etcd_fail(c, -EBADMSG, "lease grant", what, "answer without ID or TTL");
	*id = got_id;
	if (granted)
		*granted = got_ttl;
	return 0;
}

int etcd_lease_keepalive(struct etcd_client *c, int64_t id, int64_t *ttl_left)
{
	struct json_object *req = id_req("ID", id), *resp, *result;
	char what[32], why[256];
	int64_t ttl = 0;
	int err;

	snprintf(what, sizeof(what), "%" PRId64, id);
	if (!req)
		return etcd_fail(c, -ENOMEM, "lease keepalive", what, "cannot build the request");
	err = etcd_call(c, "/v3/lease/keepalive", req, ETCD_RETRY_ANY, "lease keepalive", what,
			&resp);
	json_object_put(req);
	if (err)
		return err;
	/* A streamed RPC: the one answer comes wrapped as {"result": ...}. */
	if (!json_object_object_get_ex(resp, "result", &result)) {
		json_object_put(resp);
		return etcd_fail(c, -EBADMSG, "lease keepalive", what, "answer without a result");
	}
	if (json_object_object_get_ex(result, "error", NULL))
		err = etcd_parse_error(result, why, sizeof(why));
	else
		err = etcd_json_i64(result, "TTL", &ttl);
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, "lease keepalive", what, "%s",
				 err == -EBADMSG ? "malformed TTL" : why);
	/* etcd answers an expired or revoked lease with 200 and no TTL (a TTL of 0). */
	if (ttl <= 0)
		return etcd_fail(c, -ENOENT, "lease keepalive", what,
				 "lease gone (expired or revoked)");
	if (ttl_left)
		*ttl_left = ttl;
	return 0;
}

int etcd_lease_timetolive(struct etcd_client *c, int64_t id, int64_t *ttl_left, int64_t *granted)
{
	struct json_object *req = id_req("ID", id), *resp;
	char what[32];
	int64_t ttl = 0, got = 0;
	int err;

	snprintf(what, sizeof(what), "%" PRId64, id);
	if (!req)
		return etcd_fail(c, -ENOMEM, "lease timetolive", what, "cannot build the request");
	err = etcd_call(c, "/v3/lease/timetolive", req, ETCD_RETRY_ANY, "lease timetolive", what,
			&resp);
	json_object_put(req);
	if (err)
		return err;
	err = etcd_json_i64(resp, "TTL", &ttl);
	err = err ?: etcd_json_i64(resp, "grantedTTL", &got);
	json_object_put(resp);
	if (err)
		return etcd_fail(c, err, "lease timetolive", what, "malformed TTL");
	/* An expired lease answers TTL -1 (and no grantedTTL). */
	if (ttl <= 0 || got <= 0)
		return etcd_fail(c, -ENOENT, "lease timetolive", what,
				 "lease gone (expired or revoked)");
	*ttl_left = ttl;
	*granted = got;
	return 0;
}

int etcd_lease_revoke(struct etcd_client *c, int64_t id)
{
	struct json_object *req = id_req("ID", id), *resp;
	char what[32];
	int err;

	snprintf(what, sizeof(what), "%" PRId64, id);
	if (!req)
		return etcd_fail(c, -ENOMEM, "lease revoke", what, "cannot build the request");
	err = etcd_call(c, "/v3/lease/revoke", req, ETCD_RETRY_ANY, "lease revoke", what, &resp);
	json_object_put(req);
	if (err)
		return err;
	json_object_put(resp);
	return 0;
}
