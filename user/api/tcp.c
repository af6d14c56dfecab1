#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/mhd_lib.h"
#include "api/tcp.h"
#include "core/err.h"

/* Shorter tokens are guessable over a network that answers every try. */
#define TOKEN_MIN 16
#define TOKEN_MAX 512
#define PEM_MAX	  (64u << 10)

static int parse_listen(const char *text, struct api_tcp *t)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				 .ai_socktype = SOCK_STREAM};
	struct addrinfo *res = NULL;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(text, ':'), *h = text;
	size_t hlen;
	int rc;

	if (!colon || !colon[1]) {
		cbpf_err("daemon: --listen %s: expected ADDR:PORT (e.g. 127.0.0.1:8080)", text);
		return -EINVAL;
	}
	hlen = colon - text;
	if (hlen >= 2 && text[0] == '[' && text[hlen - 1] == ']') {
		h++;
		hlen -= 2;
	}
	if (!hlen || hlen >= sizeof(host)) {
		cbpf_err("daemon: --listen %s: expected ADDR:PORT (e.g. 127.0.0.1:8080)", text);
		return -EINVAL;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	rc = getaddrinfo(host, colon + 1, &hints, &res);
	if (rc || !res || res->ai_addrlen > sizeof(t->addr)) {
		cbpf_err("daemon: --listen %s: '%s' is not a numeric address or '%s' not a port",
			 text, host, colon + 1);
		if (res)
			freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(&t->addr, res->ai_addr, res->ai_addrlen);
	t->addr_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static bool is_loopback(const struct api_tcp *t)
{
	if (t->addr.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&t->addr;

		return (ntohl(in->sin_addr.s_addr) >> 24) == 127;
	}
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&t->addr)->sin6_addr);
}

/* The whole of a small file; with owner_only, refused when group or others may read it. */
static int read_small(const char *what, const char *path, size_t max, bool owner_only, char **out)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		err = -errno;
		cbpf_err("daemon: %s %s: %s", what, path, strerror(errno));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		cbpf_err("daemon: %s %s: not a regular file", what, path);
		close(fd);
		return -EINVAL;
	}
	if (owner_only && (st.st_mode & 077)) {
		cbpf_err("daemon: %s %s is mode %04o: others could read the token; make it 0600 "
			 "(chmod 600 %s)",
			 what, path, st.st_mode & 07777, path);
		close(fd);
		return -EPERM;
	}
	if ((size_t)st.st_size > max) {
		cbpf_err("daemon: %s %s: larger than %zu bytes", what, path, max);
		close(fd);
		return -EFBIG;
	}
	buf = calloc(1, (size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = read(fd, buf, (size_t)st.st_size);
	if (n != st.st_size) {
		err = n < 0 ? -errno : -EIO;
		cbpf_err("daemon: %s %s: short read", what, path);
		free(buf);
	} else {
		*out = buf;
	}
	close(fd);
	return err;
}

static int read_token(const char *path, struct api_tcp *t)
{
	char *text = NULL;
	size_t len;
	int err = read_small("--token-file", path, TOKEN_MAX + 2, true, &text);

	if (err)
		return err;
	len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
		text[--len] = '\0';
	for (size_t i = 0; i < len; i++) {
		/* A token is sent in a header: printable, no spaces. */
		if (text[i] <= ' ' || text[i] > '~') {
			cbpf_err("daemon: --token-file %s: the token has a space or control "
				 "character at byte %zu",
				 path, i);
			free(text);
			return -EINVAL;
		}
	}
	if (len < TOKEN_MIN) {
		cbpf_err("daemon: --token-file %s: the token has %zu characters, at least %d "
			 "needed (e.g. openssl rand -hex 32)",
			 path, len, TOKEN_MIN);
		free(text);
		return -EINVAL;
	}
	t->token = text;
	t->token_len = len;
	return 0;
}

int api_tcp_prepare(const struct api_tcp_config *cfg, struct api_tcp *t)
{
	char msg[256];
	int err;

	memset(t, 0, sizeof(*t));
	t->listen = strdup(cfg->listen);
	t->ui_dir = strdup(cfg->ui_dir);
	if (!t->listen || !t->ui_dir) {
		api_tcp_free(t);
		return -ENOMEM;
	}
	err = parse_listen(cfg->listen, t);
	if (!err && !cfg->token_file && !is_loopback(t)) {
		cbpf_err("daemon: --listen %s is not a loopback address: give --token-file FILE "
			 "(mode 0600) so that requests must carry the token",
			 cfg->listen);
		err = -EPERM;
	}
	if (!err && !cfg->tls_cert != !cfg->tls_key) {
		cbpf_err("daemon: --tls-cert and --tls-key go together");
		err = -EINVAL;
	}
	if (!err && cfg->tls_cert && (err = mhd_lib_open(msg, sizeof(msg)))) {
		cbpf_err("daemon: --tls-cert: %s", msg);
	} else if (!err && cfg->tls_cert &&
		   mhd_lib.is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		cbpf_err("daemon: --tls-cert: this libmicrohttpd was built without TLS");
		err = -EOPNOTSUPP;
	}
	if (!err && cfg->token_file)
		err = read_token(cfg->token_file, t);
	if (!err && cfg->tls_cert)
		err = read_small("--tls-cert", cfg->tls_cert, PEM_MAX, false, &t->cert);
	if (!err && cfg->tls_key)
		err = read_small("--tls-key", cfg->tls_key, PEM_MAX, true, &t->key);
	if (err)
		api_tcp_free(t);
	return err;
}

void api_tcp_free(struct api_tcp *t)
{
	if (t->token)
		explicit_bzero(t->token, t->token_len);
	if (t->key)
		explicit_bzero(t->key, strlen(t->key));
	free(t->token);
	free(t->cert);
	free(t->key);
	free(t->ui_dir);
	free(t->listen);
	memset(t, 0, sizeof(*t));
}

int api_tcp_listen(const struct api_tcp *t, int *fd_out)
{
	int one = 1, fd, err;

	fd = socket(t->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		cbpf_err("daemon: --listen %s: socket: %s", t->listen, strerror(errno));
		return err;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&t->addr, t->addr_len) || listen(fd, 64)) {
		err = -errno;
		cbpf_err("daemon: --listen %s: %s", t->listen, strerror(errno));
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

bool api_tcp_token_ok(const struct api_tcp *t, const char *token)
{
	size_t len = token ? strlen(token) : 0;
	unsigned char diff = len != t->token_len;

	if (!t->token)
		return true;
	if (!token)
		return false;
	/* Every byte of the expected token is compared, whatever the first difference. */
	for (size_t i = 0; i < t->token_len; i++)
		diff |= (unsigned char)t->token[i] ^ (unsigned char)(i < len ? token[i] : 0);
	return diff == 0;
}

bool api_tcp_bearer_ok(const struct api_tcp *t, const char *authorization)
{
	if (!t->token)
		return true;
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return false;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return api_tcp_token_ok(t, authorization);
}

bool api_tcp_host_ok(const char *host)
{
	struct in_addr in;
	char name[64];
	size_t len;

	if (!host)
		return false;
	if (!strncmp(host, "[::1]", 5))
		return !host[5] || host[5] == ':';
	len = strcspn(host, ":");
	if (len >= sizeof(name))
		return false;
	memcpy(name, host, len);
	name[len] = '\0';
	if (!strcasecmp(name, "localhost"))
		return true;
	return inet_pton(AF_INET, name, &in) == 1 && (ntohl(in.s_addr) >> 24) == 127;
}
