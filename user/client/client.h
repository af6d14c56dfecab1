/*
 * The agent's API as its clients (the command line, the CNI plugin) reach it: HTTP/1.0 over
 * <state>/cbpfnet.sock, one request per connection. Kept to plain sockets: a client is a short
 * process, and its start-up is most of what a CNI ADD costs.
 */
#ifndef CBPF_CLIENT_H
#define CBPF_CLIENT_H

#include <stddef.h>

struct api_response {
	int status;
	char *body; /* NUL-terminated */
	size_t len;
};

/* Connects to the agent of state_dir; -ENOENT or -ECONNREFUSED when none runs. */
int client_connect(const char *state_dir, int *fd_out);
/* Sends one request on fd (from client_connect) and reads the whole response; closes fd. */
int client_request(int fd, const char *method, const char *path, const char *body, size_t len,
		   struct api_response *resp);
/* Sends a GET request on fd and leaves the response's body to be read from fd. */
int client_stream(int fd, const char *path);
void client_response_free(struct api_response *resp);

#endif
