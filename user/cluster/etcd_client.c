#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

/* Keys and answers may hold any byte: errors show them on one line, printable and bounded. */
static void printable(char *dst, size_t size, const char *key)
{
	size_t i = 0;

	for (; key && key[i] && i + 1 < size; i++)
		dst[i] = key[i] < 0x20 || key[i] == 0x7f ? '?' : key[i];
	dst[i] = '\0';
}

int etcd_fail(struct etcd_client *c, int err, const char *op, const char *key, const char *fmt, ...)
{
	char k[160], msg[sizeof(c->err)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printable(k, sizeof(k), key);
	snprintf(c->err, sizeof(c->err), "etcd %.40s%s%.150s: %.800s", op, key ? " " : "", k, msg);
	return err;
}

const char *etcd_errmsg(const struct etcd_client *c)
{
	return c->err;
}

static int parse_urls(struct etcd_client *c, const char *urls)
{
	char *copy = strdup(urls), *save = NULL, *u;
	int err = 0;

	if (!copy)
		return etcd_fail(c, -ENOMEM, "open", NULL, "out of memory");
	for (u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(u);
		char **grown;

		while (n && u[n - 1] == '/')
			u[--n] = '\0';
		if ((strncmp(u, "http://", 7) && strncmp(u, "https://", 8)) || !strchr(u, ':')[3]) {
			err = etcd_fail(c, -EINVAL, "open", NULL,
					"URL '%.100s' is not http(s)://HOST:PORT", u);
			break;
		}
		grown = realloc(c->urls, (c->n_urls + 1) * sizeof(*c->urls));
		if (!grown || !(grown[c->n_urls] = strdup(u))) {
			if (grown)
				c->urls = grown;
			err = etcd_fail(c, -ENOMEM, "open", NULL, "out of memory");
			break;
		}
		c->urls = grown;
		c->n_urls++;
	}
	free(copy);
	if (!err && !c->n_urls)
		err = etcd_fail(c, -EINVAL, "open", NULL, "no URL in '%.100s'", urls);
	return err;
}

int etcd_open(const char *urls, struct etcd_client **out, char *errbuf, size_t errlen)
{
	struct etcd_client *c;
	int err;

	*out = NULL;
	err = curl_lib_open(errbuf, errlen);
	if (err)
		return err;
	snprintf(errbuf, errlen, "etcd open %.200s: out of memory", urls);
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->connect_ms = ETCD_CONNECT_TIMEOUT_MS;
	c->total_ms = ETCD_TIMEOUT_MS;
	c->curl = curl_lib.easy_init();
	c->headers = etcd_headers();
	if (!c->curl || !c->headers) {
		etcd_close(c);
		return -ENOMEM;
	}
	err = parse_urls(c, urls);
	if (err) {
		snprintf(errbuf, errlen, "%s", c->err);
		etcd_close(c);
		return err;
	}
	*out = c;
	return 0;
}

void etcd_close(struct etcd_client *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_urls; i++)
		free(c->urls[i]);
	free(c->urls);
	if (c->curl)
		curl_lib.easy_cleanup(c->curl);
	curl_lib.slist_free_all(c->headers);
	free(c->body.data);
	free(c);
}

void etcd_set_timeouts(struct etcd_client *c, long connect_ms, long total_ms)
{
	c->connect_ms = connect_ms;
	c->total_ms = total_ms;
}

size_t etcd_buf_write(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_buf *b = userdata;
	size_t n = size * nmemb;

	if (b->len + n + 1 > ETCD_STREAM_MAX)
		return 0;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *d;

		while (cap < b->len + n + 1)
			cap *= 2;
		d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, ptr, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

int etcd_curl_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
		return -EHOSTUNREACH;
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
		return -ECONNRESET;
	case CURLE_WRITE_ERROR:
		return -EMSGSIZE;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

struct curl_slist *etcd_headers(void)
{
	struct curl_slist *h = curl_lib.slist_append(NULL, "Content-Type: application/json"), *more;

	/* curl would wait for "100 Continue" before a large body; the gateway needs no such step.
	 */
	more = h ? curl_lib.slist_append(h, "Expect:") : NULL;
	if (!more)
		curl_lib.slist_free_all(h);
	return more;
}

void etcd_curl_common(CURL *curl, long connect_ms)
{
	/* Signals would hit whichever thread runs; timeouts work without them on Debian's curl. */
	curl_lib.easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_lib.easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_lib.easy_setopt(curl, CURLOPT_WRITEFUNCTION, etcd_buf_write);
	curl_lib.easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
}

/* One POST to one URL; *sent tells whether any of the request left this host. */
static int post(struct etcd_client *c, const char *url, const char *body, long *http, bool *sent,
		char *why, size_t whylen)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	long reqsize = 0;
	CURLcode rc;

	c->body.len = 0;
	curl_lib.easy_reset(c->curl);
	etcd_curl_common(c->curl, c->connect_ms);
	curl_lib.easy_setopt(c->curl, CURLOPT_URL, url);
	curl_lib.easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
	curl_lib.easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
	curl_lib.easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_lib.easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->total_ms);
	curl_lib.easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
	curl_lib.easy_setopt(c->curl, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_lib.easy_perform(c->curl);
	curl_lib.easy_getinfo(c->curl, CURLINFO_REQUEST_SIZE, &reqsize);
	*sent = reqsize > 0;
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", errbuf[0] ? errbuf : curl_lib.easy_strerror(rc));
		return etcd_curl_errno(rc);
	}
	curl_lib.easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, http);
	return 0;
}

/* The answer to a request that reached etcd: 0 with *resp, or the error etcd reported. */
static int answer(struct etcd_client *c, long http, struct json_object **resp, char *why,
		  size_t whylen)
{
	struct json_object *body = NULL;
	const char *text = c->body.data ? c->body.data : "";

	char shown[101];
	int err;

	err = etcd_parse_body(text, c->body.len, &body, why, whylen);
	if (err) {
		if (http == 200)
			return err;
		printable(shown, sizeof(shown), text);
		snprintf(why, whylen, "HTTP %ld: %s", http, shown);
		return -EPROTO;
	}
	if (http != 200 || json_object_object_get_ex(body, "error", NULL)) {
		err = etcd_parse_error(body, why, whylen);
		json_object_put(body);
		return err;
	}
	*resp = body;
	return 0;
}

int etcd_call(struct etcd_client *c, const char *path, struct json_object *req,
	      enum etcd_retry retry, const char *op, const char *key, struct json_object **resp)
{
	const char *body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	char msgs[sizeof(c->err) - 200] = "", why[256], url[512];
	size_t used = 0;
	int err = -EIO;

	*resp = NULL;
	if (!body)
		return etcd_fail(c, -ENOMEM, op, key, "cannot build the request");
	for (size_t i = 0; i < c->n_urls; i++) {
		size_t idx = (c->cur + i) % c->n_urls;
		bool sent = false;
		long http = 0;

		snprintf(url, sizeof(url), "%s%s", c->urls[idx], path);
		err = post(c, url, body, &http, &sent, why, sizeof(why));
		if (!err) {
			err = answer(c, http, resp, why, sizeof(why));
			if (!err) {
				c->cur = idx;
				return 0;
			}
			sent = true;
		}
		if (used < sizeof(msgs))
			used += snprintf(msgs + used, sizeof(msgs) - used, "%s%s: %s",
					 used ? "; " : "", url, why);
		/*
		 * An answer from etcd is final, except "unavailable" (no leader, stopping) and a
		 * server error, which another member may not have.
		 */
		if (http && http < 500 && err != -EAGAIN)
			break;
		if (sent && retry != ETCD_RETRY_ANY)
			break;
	}
	return etcd_fail(c, err, op, key, "%s", msgs);
}

int etcd_add_b64(struct json_object *obj, const char *name, const void *data, size_t len)
{
	struct json_object *s;
	char *enc;
	int err;

	err = etcd_b64_encode(data, len, &enc);
	if (err)
		return err;
	s = json_object_new_string(enc);
	free(enc);
	if (!s || json_object_object_add(obj, name, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

int etcd_add_i64(struct json_object *obj, const char *name, int64_t v)
{
	char buf[24];
	struct json_object *s;

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	s = json_object_new_string(buf);
	if (!s || json_object_object_add(obj, name, s)) {
		json_object_put(s);
		return -ENOMEM;
	}
	return 0;
}

int etcd_prefix_end(const char *prefix, char **end, size_t *len)
{
	size_t n = strlen(prefix);
	char *e;

	if (!n)
		return -EINVAL;
	e = malloc(n);
	if (!e)
		return -ENOMEM;
	memcpy(e, prefix, n);
	/* The first key after every key with this prefix: bump the last byte that can be. */
	while (n && (unsigned char)e[n - 1] == 0xff)
		n--;
	if (!n) {
		/* All 0xff: no key follows them, and "\0" means "to the end" to etcd. */
		e[0] = '\0';
		n = 1;
	} else {
		e[n - 1]++;
	}
	*end = e;
	*len = n;
	return 0;
}
