#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client/client.h"

#define AGENT_SOCKET "cbpfnet.sock"

int client_connect(const char *state_dir, int *fd_out)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd, err;

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/" AGENT_SOCKET, state_dir) >=
	    sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		err = -errno;
		close(fd);
		return err;
	}
	*fd_out = fd;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= n;
	}
	return 0;
}

static int send_head(int fd, const char *method, const char *path, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.0\r\nHost: cbpfnet\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 method, path, len);

	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	return write_all(fd, head, n);
}

int client_request(int fd, const char *method, const char *path, const char *body, size_t len,
		   struct api_response *resp)
{
	size_t cap = 65536, got = 0;
	char *buf = NULL, *split;
	int err;

	memset(resp, 0, sizeof(*resp));
	err = send_head(fd, method, path, len);
	if (!err && len)
		err = write_all(fd, body, len);
	if (err)
		goto out;
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		ssize_t n;

		if (got + 1 == cap) {
			char *grown = realloc(buf, cap *= 2);

			if (!grown) {
				err = -ENOMEM;
				goto out;
			}
			buf = grown;
		}
		n = read(fd, buf + got, cap - got - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (!n)
			break;
		got += n;
	}
	buf[got] = '\0';
	split = strstr(buf, "\r\n\r\n");
	if (sscanf(buf, "HTTP/1.%*c %d", &resp->status) != 1 || !split) {
		err = -EPROTO;
		goto out;
	}
	resp->len = got - (split + 4 - buf);
	memmove(buf, split + 4, resp->len + 1);
	resp->body = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

int client_stream(int fd, const char *path)
{
	char c, last[4] = "";
	int err = send_head(fd, "GET", path, 0);

	/* Past the header, byte by byte: the stream's body stays unread in the socket. */
	while (!err && memcmp(last, "\r\n\r\n", 4)) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPROTO;
		memmove(last, last + 1, 3);
		last[3] = c;
	}
	return err;
}

void client_response_free(struct api_response *resp)
{
	free(resp->body);
	resp->body = NULL;
}
