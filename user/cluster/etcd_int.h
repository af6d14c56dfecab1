/* What the etcd client's files share; not for callers (they use etcd.h). */
#ifndef CBPF_ETCD_INT_H
#define CBPF_ETCD_INT_H

#include <json-c/json.h>

#include "cluster/curl_lib.h"
#include "cluster/etcd.h"

struct etcd_buf {
	char *data;
	size_t len, cap;
};

struct etcd_client {
	char **urls;
	size_t n_urls;
	size_t cur; /* the URL that answered last: tried first */
	long connect_ms, total_ms;
	CURL *curl;
	struct curl_slist *headers;
	struct etcd_buf body;
	char err[1024];
};

/* May the request go to the next URL after it was sent? Reads and overwrites may, txns not. */
enum etcd_retry { ETCD_RETRY_UNSENT, ETCD_RETRY_ANY };

/*
 * POSTs req to path on each URL in turn, from the last one that answered, until one answers
 * 200 with a JSON object (*resp, the caller puts it). op and key name the call in errors.
 */
int etcd_call(struct etcd_client *c, const char *path, struct json_object *req,
	      enum etcd_retry retry, const char *op, const char *key, struct json_object **resp);

/* Sets c->err to "etcd OP KEY: MESSAGE" and returns err. */
int etcd_fail(struct etcd_client *c, int err, const char *op, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Adds a base64 string field to a request. */
int etcd_add_b64(struct json_object *obj, const char *name, const void *data, size_t len);
/* Adds an int64 field written as the gateway writes them, a string. */
int etcd_add_i64(struct json_object *obj, const char *name, int64_t v);
/* {"key": key} (plus "range_end" for every key under key when prefix): NULL when out of memory. */
struct json_object *etcd_key_req(const char *key, bool prefix);
/* A put request: key, value and lease (0: none). */
struct json_object *etcd_put_req(const char *key, const void *value, size_t len, int64_t lease);
/* Reads a write answer's header.revision into *revision (may be NULL) and puts resp. */
int etcd_write_done(struct etcd_client *c, const char *op, const char *key,
		    struct json_object *resp, int64_t *revision);
/* The range_end that makes [prefix, range_end) every key starting with prefix. */
int etcd_prefix_end(const char *prefix, char **end, size_t *len);

/* The request headers every request sends. */
struct curl_slist *etcd_headers(void);
/* Sets up the easy handle options every request shares (timeouts, no signals). */
void etcd_curl_common(CURL *curl, long connect_ms);
size_t etcd_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata);
/* curl's failure as -errno. */
int etcd_curl_errno(CURLcode rc);

#endif
