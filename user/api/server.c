#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent/agent.h"
#include "core/log.h"
#include "api/routes.h"
#include "api/mhd_lib.h"
#include "api/server.h"
#include "api/static.h"
#include "api/tcp.h"
#include "core/err.h"

struct api_server {
	struct agent *agent;
	struct MHD_Daemon *mhd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct api_tcp *tcp; /* NULL: the unix socket, where file permissions decide */
};

/* One request's body as it arrives. */
struct pending {
	char *body;
	size_t len;
	bool too_large;
	unsigned int refused; /* over TCP: 401, 403 or 415; the body is read and dropped */
};

void api_error(struct api_reply *r, unsigned int status, const char *code, const char *object,
	       const char *fmt, ...)
{
	json_object *err = json_object_new_object();
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_object_object_add(err, "code", json_object_new_string(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	if (object)
		json_object_object_add(err, "object", json_object_new_string(object));
	r->status = status;
	r->doc = json_object_new_object();
	json_object_object_add(r->doc, "error", err);
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct api_reply *r, bool tcp)
{
	struct MHD_Response *resp = r->response;
	enum MHD_Result ret;

	if (!resp) {
		const char *text = json_object_to_json_string_ext(
		    r->doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
		size_t len = strlen(text);
		char *copy = malloc(len + 1);

		if (!copy)
			return MHD_NO;
		memcpy(copy, text, len);
		copy[len] = '\n';
		resp = mhd_lib.create_response_from_buffer(len + 1, copy, MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(copy);
			return MHD_NO;
		}
		mhd_lib.add_response_header(resp, "Content-Type", "application/json");
	}
	if (tcp) {
		mhd_lib.add_response_header(resp, "X-Content-Type-Options", "nosniff");
		if (r->status == MHD_HTTP_UNAUTHORIZED)
			mhd_lib.add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						    "Bearer");
	}
	ret = mhd_lib.queue_response(conn, r->status, resp);
	mhd_lib.destroy_response(resp);
	json_object_put(r->doc);
	return ret;
}

/*
 * Over TCP the API needs the token (EventSource cannot send headers, so the event stream also
 * takes it as ?access_token=); the UI's files need none, they hold nothing of the host. A web
 * page elsewhere must not drive the API through the operator's browser: a change needs a JSON
 * content type (a cross-site form cannot send one without the CORS consent the agent never
 * gives), and without a token the Host must be a loopback name (no DNS rebinding).
 */
static unsigned int tcp_refusal(const struct api_tcp *t, struct MHD_Connection *conn,
				const char *url, const char *method)
{
	const char *query, *type;

	if (strncmp(url, "/v1/", 4))
		return 0;
	if (!t->token && !api_tcp_host_ok(mhd_lib.lookup_connection_value(conn, MHD_HEADER_KIND,
									  MHD_HTTP_HEADER_HOST)))
		return MHD_HTTP_FORBIDDEN;
	query = mhd_lib.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "access_token");
	if (!api_tcp_bearer_ok(t, mhd_lib.lookup_connection_value(conn, MHD_HEADER_KIND,
								  MHD_HTTP_HEADER_AUTHORIZATION)) &&
	    !(!strcmp(method, "GET") && !strcmp(url, "/v1/events") && query &&
	      api_tcp_token_ok(t, query)))
		return MHD_HTTP_UNAUTHORIZED;
	type = mhd_lib.lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (strcmp(method, "GET") && strcmp(method, "HEAD") &&
	    (!type || strncasecmp(type, "application/json", 16) ||
	     (type[16] && type[16] != ';' && type[16] != ' ')))
		return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
	return 0;
}

static void refuse(struct api_reply *r, unsigned int status, const char *method, const char *url)
{
	if (status == MHD_HTTP_UNAUTHORIZED)
		api_error(r, status, "unauthorized", url,
			  "%s %s needs the header 'Authorization: Bearer TOKEN' with the agent's "
			  "token",
			  method, url);
	else if (status == MHD_HTTP_FORBIDDEN)
		api_error(r, status, "forbidden-host", url,
			  "without a token the agent answers only requests for a loopback host "
			  "name (127.0.0.1, [::1], localhost)");
	else
		api_error(r, status, "unsupported-media-type", url,
			  "%s %s needs 'Content-Type: application/json' over TCP", method, url);
}

/* A request over TCP that is not the API's: the UI's files, or refused. */
static bool tcp_route(const struct api_server *s, const char *method, const char *url,
		      struct api_reply *reply)
{
	if (strncmp(url, "/v1/", 4)) {
		api_static(s->tcp->ui_dir, method, url, reply);
		return true;
	}
	/*
	 * Remote clients use the resource routes; /v1/exec reads files as the agent does and
	 * /v1/cni opens namespace paths: both are for local clients on the unix socket.
	 */
	if (!strcmp(url, "/v1/exec") || !strcmp(url, "/v1/cni")) {
		api_error(reply, MHD_HTTP_NOT_FOUND, "no-route", url,
			  "%s is served on the unix socket only", url);
		return true;
	}
	return false;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **state)
{
	struct api_server *s = cls;
	struct pending *p = *state;
	struct api_reply reply = {0};

	(void)version;
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return MHD_NO;
		*state = p;
		p->refused = s->tcp ? tcp_refusal(s->tcp, conn, url, method) : 0;
		return MHD_YES;
	}
	if (*size) {
		if (!p->refused && !p->too_large && p->len + *size <= API_BODY_MAX) {
			char *grown = realloc(p->body, p->len + *size + 1);

			if (!grown)
				return MHD_NO;
			p->body = grown;
			memcpy(p->body + p->len, data, *size);
			p->len += *size;
			p->body[p->len] = '\0';
		} else {
			/* Read to the end and answer 413: the client gets a reply, not a reset. */
			p->too_large = true;
		}
		*size = 0;
		return MHD_YES;
	}
	if (p->refused) {
		refuse(&reply, p->refused, method, url);
	} else if (p->too_large) {
		api_error(&reply, MHD_HTTP_CONTENT_TOO_LARGE, "body-too-large", url,
			  "request body over %u bytes", API_BODY_MAX);
	} else {
		struct api_call call = {
		    .agent = s->agent,
		    .method = method,
		    .path = url,
		    .query_count =
			mhd_lib.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "count"),
		    .query_since =
			mhd_lib.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "since"),
		    .query_follow =
			mhd_lib.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "follow"),
		    .query_types =
			mhd_lib.lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "types"),
		    .body = p->body ? p->body : "",
		    .body_len = p->len,
		};

		if (!s->tcp || !tcp_route(s, method, url, &reply))
			api_route(&call, &reply);
	}
	agent_log(LOG_LVL_DEBUG, "api%s: %s %s -> %u", s->tcp ? " tcp" : "", method, url,
		  reply.status);
	return send_reply(conn, &reply, s->tcp != NULL);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **state,
		    enum MHD_RequestTerminationCode code)
{
	struct pending *p = *state;

	(void)cls;
	(void)conn;
	(void)code;
	if (p) {
		free(p->body);
		free(p);
		*state = NULL;
	}
}

static int bind_socket(const char *path, int *fd_out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd, err;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		cbpf_err("daemon: socket path %s is longer than %zu bytes", path,
			 sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* The state directory's lock is ours, so a socket already there is a dead agent's. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) || chmod(path, 0660) ||
	    listen(fd, 128)) {
		err = -errno;
		cbpf_err("daemon: listen on %s: %s", path, strerror(errno));
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

static int open_mhd(const char *where)
{
	char msg[256];
	int err = mhd_lib_open(msg, sizeof(msg));

	if (err)
		cbpf_err("daemon: cannot serve the API on %s: %s", where, msg);
	return err;
}

int api_start(struct agent *a, const char *path, struct api_server **out)
{
	struct api_server *s = calloc(1, sizeof(*s));
	int fd = -1, err;

	if (!s)
		return -ENOMEM;
	s->agent = a;
	snprintf(s->path, sizeof(s->path), "%s", path);
	err = open_mhd(path);
	if (!err)
		err = bind_socket(path, &fd);
	if (err) {
		free(s);
		return err;
	}
	s->mhd = mhd_lib.start_daemon(
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
	    NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED,
	    on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_END);
	if (!s->mhd) {
		cbpf_err("daemon: cannot serve the API on %s", path);
		close(fd);
		unlink(path);
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

int api_start_tcp(struct agent *a, struct api_tcp *t, struct api_server **out)
{
	unsigned int flags =
	    MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
	struct api_server *s = calloc(1, sizeof(*s));
	int fd = -1, err;

	if (!s)
		return -ENOMEM;
	s->agent = a;
	s->tcp = t;
	err = open_mhd(t->listen);
	if (!err)
		err = api_tcp_listen(t, &fd);
	if (err) {
		free(s);
		return err;
	}
	/* libmicrohttpd refuses TLS options on a daemon without TLS: they go in only with it. */
	struct MHD_OptionItem tls[] = {
	    {MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert},
	    {MHD_OPTION_HTTPS_MEM_KEY, 0, t->key},
	    {MHD_OPTION_END, 0, NULL},
	};
	if (t->cert)
		flags |= MHD_USE_TLS;
	else
		tls[0].option = MHD_OPTION_END;
	/* A thread per connection: the limit keeps a remote client from taking them all. */
	s->mhd = mhd_lib.start_daemon(
	    flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_NOTIFY_COMPLETED, on_done, s, MHD_OPTION_CONNECTION_TIMEOUT, 60u,
	    MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
	if (!s->mhd) {
		cbpf_err("daemon: cannot serve the API on %s%s", t->listen,
			 t->cert ? " (is the TLS key pair valid?)" : "");
		close(fd);
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

void api_stop(struct api_server *s)
{
	if (!s)
		return;
	/* Gone from the file system first: a client now finds no agent rather than a hang. */
	if (!s->tcp)
		unlink(s->path);
	mhd_lib.stop_daemon(s->mhd);
	free(s);
}
