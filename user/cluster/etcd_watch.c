#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"

/* Reconnect delays: the first retry comes soon, a long outage is polled every 2 s. */
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS   2000

struct etcd_watch {
	pthread_t thread;
	char **urls;
	size_t n_urls, cur;
	long connect_ms, total_ms;
	char *prefix;
	const char *url;  /* of the connection in progress, for errors */
	int64_t next_rev; /* where a new connection starts; 0: now */
	etcd_watch_fn fn;
	void *arg;
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	struct etcd_stream stream;
	atomic_bool stop;
	bool ended;   /* by compaction or by the callback */
	bool down;    /* DOWN reported, SYNCED not yet */
	bool heard;   /* the connection in progress brought a message */
	int status;   /* how it ended */
	int conn_err; /* why the connection in progress failed */
	char msg[1024];
};

static int emit(struct etcd_watch *w, const struct etcd_event *ev)
{
	int rc = w->fn(w->arg, ev);

	if (rc) {
		w->ended = true;
		w->status = rc;
	}
	return rc;
}

static int on_resp(void *arg, const struct etcd_watch_resp *r)
{
	struct etcd_watch *w = arg;
	struct etcd_event ev = {0};

	w->heard = true;
	if (r->err) {
		snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s: %.300s", w->prefix,
			 w->url, w->stream.err);
		return r->err;
	}
	if (r->canceled && r->compact_revision > 0) {
		ev.type = ETCD_EV_COMPACTED;
		ev.revision = r->compact_revision;
		emit(w, &ev);
		w->ended = true;
		w->status = -ESTALE;
		return -ESTALE;
	}
	if (r->canceled) {
		snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s canceled by etcd: %.300s",
			 w->prefix, w->url,
			 r->cancel_reason ? r->cancel_reason : "no reason given");
		return -ECANCELED;
	}
	if (r->created) {
		if (!w->next_rev)
			w->next_rev = r->revision + 1;
		w->down = false;
		ev.type = ETCD_EV_SYNCED;
		ev.revision = w->next_rev;
		if (emit(w, &ev))
			return -ECANCELED;
	}
	for (size_t i = 0; i < r->n_events; i++) {
		w->next_rev = r->events[i].revision + 1;
		if (emit(w, &r->events[i]))
			return -ECANCELED;
	}
	return 0;
}

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct etcd_watch *w = userdata;
	size_t n = size * nmemb;
	int err;

	err = etcd_stream_feed(&w->stream, ptr, n, on_resp, w);
	if (!err)
		return n;
	if (!w->ended) {
		w->conn_err = err;
		if (err == -EBADMSG || err == -EMSGSIZE || err == -ENOMEM)
			snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s: %.300s",
				 w->prefix, w->url, w->stream.err);
	}
	return 0; /* aborts the transfer */
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static struct json_object *watch_req(const struct etcd_watch *w)
{
	struct json_object *req = json_object_new_object(), *create = json_object_new_object();
	char *end = NULL;
	size_t end_len = 0;

	if (!req || !create || json_object_object_add(req, "create_request", create)) {
		json_object_put(create);
		json_object_put(req);
		return NULL;
	}
	if (etcd_prefix_end(w->prefix, &end, &end_len) ||
	    etcd_add_b64(create, "key", w->prefix, strlen(w->prefix)) ||
	    etcd_add_b64(create, "range_end", end, end_len) ||
	    (w->next_rev && etcd_add_i64(create, "start_revision", w->next_rev))) {
		free(end);
		json_object_put(req);
		return NULL;
	}
	free(end);
	return req;
}

/* One connection to one URL, until it breaks, the watch ends or the caller stops it. */
static int stream_once(struct etcd_watch *w, const char *base)
{
	char url[512], errbuf[CURL_ERROR_SIZE] = "";
	struct json_object *req = watch_req(w);
	CURLcode rc = CURLE_OK;
	struct timespec t0;
	struct CURLMsg *m;
	int running = 1, left;

	if (!req)
		return -ENOMEM;
	snprintf(url, sizeof(url), "%s/v3/watch", base);
	w->url = url;
	etcd_stream_reset(&w->stream);
	w->conn_err = 0;
	w->msg[0] = '\0';
	curl_lib.easy_reset(w->easy);
	etcd_curl_common(w->easy, w->connect_ms);
	curl_lib.easy_setopt(w->easy, CURLOPT_URL, url);
	curl_lib.easy_setopt(w->easy, CURLOPT_HTTPHEADER, w->headers);
	curl_lib.easy_setopt(w->easy, CURLOPT_COPYPOSTFIELDS,
			     json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	curl_lib.easy_setopt(w->easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_lib.easy_setopt(w->easy, CURLOPT_WRITEDATA, w);
	curl_lib.easy_setopt(w->easy, CURLOPT_ERRORBUFFER, errbuf);
	/* A watch is quiet for as long as nothing changes: only TCP keepalives find a dead peer. */
	curl_lib.easy_setopt(w->easy, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_lib.easy_setopt(w->easy, CURLOPT_TCP_KEEPIDLE, 2L);
	curl_lib.easy_setopt(w->easy, CURLOPT_TCP_KEEPINTVL, 1L);
	json_object_put(req);
	w->heard = false;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	curl_lib.multi_add_handle(w->multi, w->easy);
	while (running && !atomic_load(&w->stop)) {
		if (curl_lib.multi_perform(w->multi, &running) != CURLM_OK)
			break;
		/*
		 * etcd answers a new watch at once ("created"). A member that accepts the
		 * connection and stays silent (hung, stopped) is given up on like a request.
		 */
		if (running && !w->heard && elapsed_ms(&t0) > w->total_ms) {
			w->conn_err = -ETIMEDOUT;
			snprintf(w->msg, sizeof(w->msg),
				 "watch %.150s on %.300s: no answer in %ld ms", w->prefix, url,
				 w->total_ms);
			break;
		}
		if (running)
			curl_lib.multi_poll(w->multi, NULL, 0, w->heard ? 1000 : 100, NULL);
	}
	while ((m = curl_lib.multi_info_read(w->multi, &left)))
		if (m->msg == CURLMSG_DONE)
			rc = m->data.result;
	curl_lib.multi_remove_handle(w->multi, w->easy);
	if (w->ended || atomic_load(&w->stop))
		return 0;
	if (w->conn_err) {
		if (!w->msg[0])
			snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s: %s", w->prefix,
				 url, strerror(-w->conn_err));
		return w->conn_err;
	}
	if (rc != CURLE_OK) {
		snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s: %s", w->prefix, url,
			 errbuf[0] ? errbuf : curl_lib.easy_strerror(rc));
		return etcd_curl_errno(rc);
	}
	snprintf(w->msg, sizeof(w->msg), "watch %.150s on %.300s: etcd closed the stream",
		 w->prefix, url);
	return -ECONNRESET;
}

static void *watch_main(void *arg)
{
	struct etcd_watch *w = arg;
	long delay = RETRY_FIRST_MS;

	while (!atomic_load(&w->stop) && !w->ended) {
		struct etcd_event ev = {.type = ETCD_EV_DOWN};
		bool was_up = !w->down;
		int err = stream_once(w, w->urls[w->cur]);

		if (atomic_load(&w->stop) || w->ended)
			break;
		if (!w->down) {
			w->down = true;
			ev.err = err;
			ev.msg = w->msg;
			if (emit(w, &ev))
				break;
		}
		if (was_up)
			delay = RETRY_FIRST_MS;
		/* Whatever failed, the next URL: a dead member is not retried alone. */
		w->cur = (w->cur + 1) % w->n_urls;
		curl_lib.multi_poll(w->multi, NULL, 0, (int)delay, NULL);
		delay = delay * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : delay * 2;
	}
	return NULL;
}

static void watch_free(struct etcd_watch *w)
{
	for (size_t i = 0; i < w->n_urls; i++)
		free(w->urls[i]);
	free(w->urls);
	free(w->prefix);
	if (w->easy)
		curl_lib.easy_cleanup(w->easy);
	if (w->multi)
		curl_lib.multi_cleanup(w->multi);
	curl_lib.slist_free_all(w->headers);
	etcd_stream_fini(&w->stream);
	free(w);
}

int etcd_watch_start(struct etcd_client *c, const char *prefix, int64_t from_revision,
		     etcd_watch_fn fn, void *arg, struct etcd_watch **out)
{
	struct etcd_watch *w = calloc(1, sizeof(*w));
	int err = -ENOMEM;

	*out = NULL;
	if (!w)
		return etcd_fail(c, -ENOMEM, "watch", prefix, "out of memory");
	if (!prefix[0]) {
		free(w);
		return etcd_fail(c, -EINVAL, "watch", prefix, "empty prefix");
	}
	w->urls = calloc(c->n_urls, sizeof(*w->urls));
	w->prefix = strdup(prefix);
	w->multi = curl_lib.multi_init();
	w->easy = curl_lib.easy_init();
	w->headers = etcd_headers();
	if (!w->urls || !w->prefix || !w->multi || !w->easy || !w->headers ||
	    etcd_stream_init(&w->stream))
		goto fail;
	for (; w->n_urls < c->n_urls; w->n_urls++)
		if (!(w->urls[w->n_urls] = strdup(c->urls[w->n_urls])))
			goto fail;
	w->cur = c->cur;
	w->connect_ms = c->connect_ms;
	w->total_ms = c->total_ms;
	w->next_rev = from_revision > 0 ? from_revision : 0;
	w->fn = fn;
	w->arg = arg;
	err = -pthread_create(&w->thread, NULL, watch_main, w);
	if (err)
		goto fail;
	*out = w;
	return 0;
fail:
	watch_free(w);
	return etcd_fail(c, err, "watch", prefix, "cannot start: %s", strerror(-err));
}

int etcd_watch_stop(struct etcd_watch *w)
{
	int status;

	atomic_store(&w->stop, true);
	curl_lib.multi_wakeup(w->multi);
	pthread_join(w->thread, NULL);
	status = w->status;
	watch_free(w);
	return status;
}
