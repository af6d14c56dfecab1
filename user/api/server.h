/*
 * HTTP/1.1 + JSON on a unix socket, served with libmicrohttpd, one thread per connection (an
 * event stream holds its thread while it waits). Bodies over API_BODY_MAX get 413 and run
 * nothing.
 */
#ifndef CBPF_API_SERVER_H
#define CBPF_API_SERVER_H

#include <json-c/json.h>
#include <stddef.h>

#define API_BODY_MAX (8u << 20)

struct agent;
struct api_server;
struct api_tcp;
struct MHD_Connection;
struct MHD_Response;

/* Binds path (mode 0660, a stale socket replaced) and serves it until api_stop. */
int api_start(struct agent *a, const char *path, struct api_server **out);
/*
 * The same API over TCP, with t's token and TLS, plus the UI's files; t must outlive the
 * server. /v1/exec is not served there.
 */
int api_start_tcp(struct agent *a, struct api_tcp *t, struct api_server **out);
void api_stop(struct api_server *s);

/* What a route answers: a status and a JSON document, or a response of its own (a stream). */
struct api_reply {
	unsigned int status;
	json_object *doc;
	struct MHD_Response *response;
};

/* {"error": {"code", "message", "object"}} with status. */
void api_error(struct api_reply *r, unsigned int status, const char *code, const char *object,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

#endif
