/* The API's routes: what each method and path does. docs/api.md documents them. */
#ifndef CBPF_API_ROUTES_H
#define CBPF_API_ROUTES_H

#include <stddef.h>

#include "api/server.h"

struct api_call {
	struct agent *agent;
	const char *method;
	const char *path;
	const char *query_count; /* ?count= of the event stream, NULL when absent */
	const char *query_types; /* ?types= of the event stream, NULL when absent */
	const char *body;
	size_t body_len;
};

void api_route(const struct api_call *call, struct api_reply *reply);

#endif
