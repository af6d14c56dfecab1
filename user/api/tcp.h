/*
 * The API and the web UI over TCP (`daemon --listen ADDR:PORT`): the listening address, the
 * bearer token and the TLS key pair, read and checked before anything is served.
 */
#ifndef CBPF_API_TCP_H
#define CBPF_API_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct api_tcp_config {
	const char *listen;	/* ADDR:PORT or [ADDR6]:PORT; NULL: no TCP */
	const char *token_file; /* NULL: no token (loopback only) */
	const char *tls_cert, *tls_key;
	const char *ui_dir;
};

struct api_tcp {
	struct sockaddr_storage addr;
	socklen_t addr_len;
	char *token; /* NULL: requests need none */
	size_t token_len;
	char *cert, *key; /* PEM text; NULL: plain HTTP */
	char *ui_dir;
	char *listen; /* as given, for messages */
};

/* Parses and reads everything cfg names; refuses a non-loopback address without a token. */
int api_tcp_prepare(const struct api_tcp_config *cfg, struct api_tcp *t);
void api_tcp_free(struct api_tcp *t);

/* A bound, listening socket for t->addr. */
int api_tcp_listen(const struct api_tcp *t, int *fd_out);

/* Whether "Bearer TOKEN" (or the bare token of ?access_token=) matches, in constant time. */
bool api_tcp_bearer_ok(const struct api_tcp *t, const char *authorization);
bool api_tcp_token_ok(const struct api_tcp *t, const char *token);
/* Whether a Host header names loopback: 127.x.y.z, [::1] or localhost, with any port. */
bool api_tcp_host_ok(const char *host);

#endif
