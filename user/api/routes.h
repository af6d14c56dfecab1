/* The API's routes: what each method and path does. docs/api.md documents them. */
#ifndef CBPF_API_ROUTES_H
#define CBPF_API_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "api/server.h"

struct api_call {
	struct agent *agent;
	const char *method;
	const char *path;
	const char *query_count;  /* ?count= of the event stream, NULL when absent */
	const char *query_since;  /* ?since= of the event stream, NULL when absent */
	const char *query_follow; /* ?follow= of the event stream, NULL when absent */
	const char *query_types;  /* ?types= of the event stream, NULL when absent */
	const char *body;
	size_t body_len;
};

void api_route(const struct api_call *call, struct api_reply *reply);

/*
 * The route table in order, for what must document it (docs/openapi.json, checked by
 * tests/unit/test_openapi.c): route i's method and path ('*' stands for one name segment), and
 * whether a function of its own reads the body (custom) instead of a field table. False past
 * the end.
 */
bool api_route_info(size_t i, const char **method, const char **pattern, bool *custom);
/* Field j of route i's body table: its key and whether it is required; false past the end. */
bool api_route_field(size_t i, size_t j, const char **key, bool *required);

#endif
