/*
 * cbpfnet as a CNI plugin (CNI spec 0.4.0 and 1.0.0). Runtimes exec the plugin (`cbpfnet-cni`,
 * or `cbpfnet` with no arguments) with CNI_COMMAND set; it checks the request and hands ADD,
 * DEL and CHECK to the agent of the configured state directory, which does the work
 * (cni/serve.c). The plugin stays a short client: its start-up is most of what an ADD costs.
 */
#ifndef CBPF_CNI_H
#define CBPF_CNI_H

#include <json-c/json.h>

#include "core/cmd.h"
#include "core/err.h"
#include "store/state.h"

#define CNI_VERSION "1.0.0"

/* Error codes of the CNI specification. */
enum cni_code {
	CNI_ERR_VERSION = 1,
	CNI_ERR_CONFIG = 4,
	CNI_ERR_ENV = 7,
	CNI_ERR_TRY_AGAIN = 11, /* no agent answers now */
	CNI_ERR_PLUGIN = 100,	/* 100 and up belong to the plugin */
};

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
/*
 * The endpoint of one container interface: "cni-" + the id's first 12 characters + a hash of
 * the whole id and the interface + the interface, so two containers never share an endpoint,
 * whatever their id prefixes, and DEL of one never finds another's.
 */
void cni_endpoint_name(const char *container, const char *ifname, char *out, size_t size);
json_object *cni_error_doc(const char *version, int code, const char *msg);
json_object *cni_version_doc(void);
/* Runs the CNI command in the environment with the network config on stdin; exit status. */
int cni_main(void);
/*
 * The agent's side of ADD, DEL and CHECK for req: *result gets ADD's result document (NULL
 * otherwise). Returns 0 or -errno, the reason reported through cbpf_err.
 */
int cni_serve(const struct cbpf_ctx *ctx, const struct cni_request *req, json_object **result);

#endif
