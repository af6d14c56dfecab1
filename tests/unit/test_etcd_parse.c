/*
 * The etcd client's pure parsers (user/cluster/etcd_parse.c): base64, the gateway's int64 and
 * omitted fields, error answers, range answers, prefix ends, and the watch stream split at
 * every byte. The samples are answers etcd 3.4's gateway gave.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/etcd_int.h"
#include "cluster/etcd_parse.h"
#include "tap.h"

/* A string literal and its length. */
#define S(lit) lit, sizeof(lit) - 1

static const char stream[] =
    "{\"result\":{\"header\":{\"cluster_id\":\"2037210783374497686\",\"member_id\":"
    "\"13195394291058371180\",\"revision\":\"6\",\"raft_term\":\"2\"},\"created\":true}}\n"
    "{\"result\":{\"header\":{\"revision\":\"6\"},\"events\":[{\"kv\":{\"key\":\"YQ==\","
    "\"create_revision\":\"2\",\"mod_revision\":\"2\",\"version\":\"1\",\"value\":\"AAE=\"}},"
    "{\"type\":\"DELETE\",\"kv\":{\"key\":\"YQ==\",\"mod_revision\":\"4\"}},{\"kv\":{\"key\":"
    "\"YQ==\",\"create_revision\":\"6\",\"mod_revision\":\"6\",\"version\":\"1\",\"value\":"
    "\"/w==\",\"lease\":\"7668682513557759754\"}}]}}\n"
    "{\"result\":{\"header\":{\"raft_term\":\"2\"},\"canceled\":true,\"compact_revision\":\"4\"}}";

static const char expected[] = "created@6 put a=0001@2 delete a@4 put a=ff@6 lease "
			       "7668682513557759754 canceled compact@4 ";

struct transcript {
	char text[1024];
	int calls, stop_after;
};

static void append(struct transcript *t, const char *s)
{
	strncat(t->text, s, sizeof(t->text) - strlen(t->text) - 1);
}

static int record(void *arg, const struct etcd_watch_resp *r)
{
	struct transcript *t = arg;
	char buf[128];

	t->calls++;
	if (r->created) {
		snprintf(buf, sizeof(buf), "created@%lld ", (long long)r->revision);
		append(t, buf);
	}
	for (size_t i = 0; i < r->n_events; i++) {
		const struct etcd_event *e = &r->events[i];

		snprintf(buf, sizeof(buf), "%s %s", e->type == ETCD_EV_PUT ? "put" : "delete",
			 e->kv.key);
		append(t, buf);
		if (e->type == ETCD_EV_PUT) {
			append(t, "=");
			for (size_t j = 0; j < e->kv.value_len; j++) {
				snprintf(buf, sizeof(buf), "%02x", (unsigned char)e->kv.value[j]);
				append(t, buf);
			}
		}
		snprintf(buf, sizeof(buf), "@%lld ", (long long)e->revision);
		append(t, buf);
		if (e->kv.lease) {
			snprintf(buf, sizeof(buf), "lease %lld ", (long long)e->kv.lease);
			append(t, buf);
		}
	}
	if (r->canceled) {
		snprintf(buf, sizeof(buf), "canceled compact@%lld ",
			 (long long)r->compact_revision);
		append(t, buf);
	}
	return t->calls == t->stop_after ? -ECANCELED : 0;
}

/* Feeds the stream in pieces of `piece` bytes; the transcript of what came out. */
static int feed(const char *data, size_t len, size_t piece, struct transcript *t)
{
	struct etcd_stream s;
	int err = 0;

	if (etcd_stream_init(&s))
		return -ENOMEM;
	for (size_t off = 0; off < len && !err; off += piece)
		err = etcd_stream_feed(&s, data + off, len - off < piece ? len - off : piece,
				       record, t);
	etcd_stream_fini(&s);
	return err;
}

static void test_b64(void)
{
	static const char *const vec[][2] = {
	    {"", ""},	     {"f", "Zg=="},	   {"fo", "Zm8="},
	    {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}};
	unsigned char bytes[64];
	bool all = true;
	char *enc, *dec;
	size_t n;

	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		etcd_b64_encode(vec[i][0], strlen(vec[i][0]), &enc);
		etcd_b64_decode(vec[i][1], strlen(vec[i][1]), &dec, &n);
		all = all && !strcmp(enc, vec[i][1]) && n == strlen(vec[i][0]) &&
		      !memcmp(dec, vec[i][0], n) && dec[n] == '\0';
		free(enc);
		free(dec);
	}
	CHECK(all, "base64 matches RFC 4648's test vectors both ways");
	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (unsigned char)(i * 37 + 255);
	all = true;
	for (size_t len = 0; len <= sizeof(bytes); len++) {
		int err;

		etcd_b64_encode(bytes, len, &enc);
		err = etcd_b64_decode(enc, strlen(enc), &dec, &n);
		all = all && !err && n == len && !memcmp(dec, bytes, len);
		free(enc);
		if (!err)
			free(dec);
	}
	CHECK(all, "base64 round trip of every length 0..64, every byte value");
	CHECK(etcd_b64_decode("Zg=", 3, &dec, &n) == -EBADMSG, "base64: reject a length not x4");
	CHECK(etcd_b64_decode("Z===", 4, &dec, &n) == -EBADMSG, "base64: reject three pads");
	CHECK(etcd_b64_decode("Zg=a", 4, &dec, &n) == -EBADMSG, "base64: reject a pad inside");
	CHECK(etcd_b64_decode("Zm9v\0Zg=", 8, &dec, &n) == -EBADMSG, "base64: reject a NUL");
	CHECK(etcd_b64_decode("Zm-v", 4, &dec, &n) == -EBADMSG, "base64: reject URL alphabet");
}

static void test_fields(void)
{
	struct json_object *o = json_tokener_parse(
	    "{\"s\":\"-42\",\"i\":7,\"bad\":\"12x\",\"b\":true,\"big\":\"9223372036854775807\"}");
	int64_t v;

	CHECK(!etcd_json_i64(o, "s", &v) && v == -42, "int64 written as a string");
	CHECK(!etcd_json_i64(o, "i", &v) && v == 7, "int64 written as a number");
	CHECK(!etcd_json_i64(o, "big", &v) && v == INT64_MAX, "int64 up to its maximum");
	CHECK(!etcd_json_i64(o, "absent", &v) && v == 0, "an omitted int64 is 0");
	CHECK(etcd_json_i64(o, "bad", &v) == -EBADMSG, "reject a string that is no integer");
	CHECK(etcd_json_i64(o, "b", &v) == -EBADMSG, "reject a boolean");
	json_object_put(o);
}

static void test_answers(void)
{
	static const char range[] =
	    "{\"header\":{\"revision\":\"9\"},\"kvs\":[{\"key\":\"YQ==\",\"create_revision\":"
	    "\"2\",\"mod_revision\":\"3\",\"version\":\"2\",\"value\":\"AP8=\"},{\"key\":"
	    "\"Yg==\",\"mod_revision\":\"5\"}],\"count\":\"2\"}";
	struct json_object *o;
	struct etcd_kv *kvs;
	char err[256];
	int64_t rev;
	size_t n;

	CHECK(!etcd_parse_body(range, strlen(range), &o, err, sizeof(err)), "parse a range answer");
	CHECK(!etcd_parse_revision(o, &rev, err, sizeof(err)) && rev == 9, "its header revision");
	CHECK(!etcd_parse_kvs(o, &kvs, &n, err, sizeof(err)) && n == 2 &&
		  !strcmp(kvs[0].key, "a") && kvs[0].value_len == 2 &&
		  !memcmp(kvs[0].value, "\0\xff", 2) && kvs[0].create_revision == 2 &&
		  kvs[0].mod_revision == 3 && kvs[0].version == 2 && kvs[1].value_len == 0 &&
		  kvs[1].create_revision == 0 && kvs[1].mod_revision == 5,
	      "its key-values, binary value and omitted fields");
	etcd_kvs_free(kvs, n);
	json_object_put(o);

	etcd_parse_body(S("{\"header\":{\"revision\":\"1\"}}"), &o, err, sizeof(err));
	CHECK(!etcd_parse_kvs(o, &kvs, &n, err, sizeof(err)) && n == 0 && !kvs,
	      "an empty range has no kvs: zero pairs");
	json_object_put(o);

	CHECK(etcd_parse_body(S("{\"a\":1} x"), &o, err, sizeof(err)) == -EBADMSG,
	      "reject trailing data after an answer");
	CHECK(etcd_parse_body(S("{\"a\":"), &o, err, sizeof(err)) == -EBADMSG &&
		  strstr(err, "truncated"),
	      "reject a truncated answer, saying so");
	CHECK(etcd_parse_body(S("[]"), &o, err, sizeof(err)) == -EBADMSG,
	      "reject an answer that is no object");

	etcd_parse_body(S("{\"kvs\":[{\"key\":\"Y!==\"}]}"), &o, err, sizeof(err));
	CHECK(etcd_parse_kvs(o, &kvs, &n, err, sizeof(err)) == -EBADMSG,
	      "reject a key that is not base64");
	json_object_put(o);

	o = json_tokener_parse("{\"error\":\"etcdserver: requested lease not found\",\"message\":"
			       "\"etcdserver: requested lease not found\",\"code\":5}");
	CHECK(etcd_parse_error(o, err, sizeof(err)) == -ENOENT &&
		  strstr(err, "requested lease not found"),
	      "gRPC NotFound is ENOENT with etcd's message");
	json_object_put(o);
	o = json_tokener_parse(
	    "{\"error\":{\"grpc_code\":14,\"http_code\":503,\"message\":\"etcdserver:"
	    " no leader\",\"http_status\":\"Service Unavailable\"}}");
	CHECK(etcd_parse_error(o, err, sizeof(err)) == -EAGAIN && strstr(err, "no leader"),
	      "a stream error: Unavailable is EAGAIN");
	json_object_put(o);
	o = json_tokener_parse("{\"error\":\"etcdserver: mvcc: required revision has been "
			       "compacted\",\"code\":11}");
	CHECK(etcd_parse_error(o, err, sizeof(err)) == -ESTALE, "a compacted revision is ESTALE");
	json_object_put(o);
}

static void test_prefix_end(void)
{
	char *end;
	size_t n;

	CHECK(!etcd_prefix_end("/a/", &end, &n) && n == 3 && !memcmp(end, "/a0", 3),
	      "prefix end of /a/ is /a0");
	free(end);
	CHECK(!etcd_prefix_end("a\xff", &end, &n) && n == 1 && end[0] == 'b',
	      "prefix end skips trailing 0xff bytes");
	free(end);
	CHECK(!etcd_prefix_end("\xff\xff", &end, &n) && n == 1 && end[0] == '\0',
	      "prefix end of all 0xff is \\0 (to the end)");
	free(end);
	CHECK(etcd_prefix_end("", &end, &n) == -EINVAL, "an empty prefix is refused");
}

static void test_stream(void)
{
	size_t len = strlen(stream);
	struct transcript t;
	bool all = true;
	char *big;
	int err;

	memset(&t, 0, sizeof(t));
	CHECK(!feed(stream, len, len, &t) && !strcmp(t.text, expected) && t.calls == 3,
	      "a watch stream in one piece: created, three events, compaction");
	for (size_t piece = 1; piece < 64; piece++) {
		memset(&t, 0, sizeof(t));
		all = all && !feed(stream, len, piece, &t) && !strcmp(t.text, expected);
	}
	CHECK(all, "the same stream split in pieces of every size from 1 to 63 bytes");

	memset(&t, 0, sizeof(t));
	CHECK(!feed(S("{\"result\":{\"header\":{},\"created\":true}}{\"result\":{\"header\":{},"
		      "\"created\":true}}  \r\n"),
		    7, &t) &&
		  t.calls == 2,
	      "messages with nothing between them, whitespace after");

	memset(&t, 0, sizeof(t));
	t.stop_after = 1;
	CHECK(feed(stream, len, len, &t) == -ECANCELED && t.calls == 1,
	      "the callback's error stops the stream");

	memset(&t, 0, sizeof(t));
	CHECK(feed(S("{\"result\":{\"header\":{}}}{]"), 3, &t) == -EBADMSG && t.calls == 1,
	      "garbage after a message is an error, the message before it delivered");
	memset(&t, 0, sizeof(t));
	CHECK(feed(S("[1]"), 3, &t) == -EBADMSG, "a message that is no object is an error");
	memset(&t, 0, sizeof(t));
	CHECK(feed(S("{\"result\":{\"header\":{},\"events\":[{\"type\":\"MOVE\",\"kv\":{}}]}}"), 5,
		   &t) == -EBADMSG,
	      "an unknown event type is an error");
	memset(&t, 0, sizeof(t));
	CHECK(feed(S("{\"result\":{\"header\":{},\"events\":[{\"type\":\"PUT\"}]}}"), 5, &t) ==
		  -EBADMSG,
	      "an event without its key-value is an error");

	big = malloc(ETCD_STREAM_MAX + 2);
	memset(big, ' ', ETCD_STREAM_MAX + 2);
	memcpy(big, "{\"a\":\"", 6);
	memset(&t, 0, sizeof(t));
	err = feed(big, ETCD_STREAM_MAX + 2, 1 << 20, &t);
	CHECK(err == -EMSGSIZE, "a message longer than the limit is refused");
	free(big);
}

int main(void)
{
	test_b64();
	test_fields();
	test_answers();
	test_prefix_end();
	test_stream();
	TAP_EXIT();
}
