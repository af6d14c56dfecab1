/* cbpfnet as a CNI plugin (CNI spec 1.0): runtimes exec it with CNI_COMMAND set. */
#ifndef CBPF_CNI_H
#define CBPF_CNI_H

#include <json-c/json.h>

#include "cli.h"
#include "state.h"

/* The CNI_* variables a runtime passes, as read from the environment. */
struct cni_env {
	const char *container;
	const char *netns;
	const char *ifname;
};

struct cni_request {
	const char *command;
	const char *container;
	const char *netns;
	const char *ifname;
	const char *version;
	char network[CBPF_NAME_MAX];
	char endpoint[CBPF_NAME_MAX];
	struct cbpf_ctx ctx;
	/* Why the request was refused: CNI error code, the version to answer in, the message. */
	int err_code;
	const char *err_version;
	const char *err_msg;
	char err_text[CBPF_PATH_MAX + 64]; /* err_msg when it names a value */
};

/*
 * Checks a network configuration and the CNI_* environment and fills req (its strings point
 * into conf and env). Touches nothing outside its arguments, so it can be fuzzed. Returns 0, or
 * the CNI error code with err_* set.
 */
int cni_parse_request(json_object *conf, const struct cni_env *env, struct cni_request *req);
/* Runs the CNI command in the environment with the network config on stdin; exit status. */
int cni_main(void);

#endif
