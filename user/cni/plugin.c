/* The plugin process: checks what the runtime asks and has the agent do it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/client.h"
#include "cni/cni.h"
#include "json/json_in.h"

static int print_doc(json_object *doc, int status)
{
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
	return status;
}

static int fail(const char *version, int code, const char *msg)
{
	return print_doc(cni_error_doc(version, code, msg), 1);
}

/* The network configuration on stdin, strictly: it comes from the container runtime's files. */
static int read_conf(json_object **conf)
{
	struct json_in_error je;
	char msg[256];
	size_t len;
	char *text = json_in_read(stdin, &len);
	int err = text ? json_in_parse(text, len, false, conf, NULL, &je) : -EIO;

	if (!err && !json_object_is_type(*conf, json_type_object)) {
		json_object_put(*conf);
		snprintf(msg, sizeof(msg), "network configuration on stdin is not a JSON object");
	} else if (err == -EINVAL) {
		snprintf(msg, sizeof(msg), "network configuration on stdin, line %d: %s",
			 json_in_line(text, je.offset), je.what);
	} else if (err) {
		snprintf(msg, sizeof(msg), "network configuration on stdin: %s", strerror(-err));
	} else {
		free(text);
		return 0;
	}
	free(text);
	return fail(CNI_VERSION, CNI_ERR_CONFIG, msg);
}

/* The agent's answer: ADD's result, nothing for DEL and CHECK, or its error as a CNI error. */
static int forward(const struct cni_request *req)
{
	json_object *body = json_object_new_object(), *doc, *v;
	struct api_response resp;
	char msg[512];
	const char *text;
	int fd, err = client_connect(req->ctx.state_dir, &fd);

	if (err) {
		snprintf(msg, sizeof(msg), "no cbpfnet agent answers on state %s: %s",
			 req->ctx.state_dir, strerror(-err));
		json_object_put(body);
		return fail(req->version, CNI_ERR_TRY_AGAIN, msg);
	}
	json_object_object_add(body, "command", json_object_new_string(req->command));
	json_object_object_add(body, "container_id", json_object_new_string(req->container));
	json_object_object_add(body, "ifname", json_object_new_string(req->ifname));
	json_object_object_add(body, "network", json_object_new_string(req->network));
	json_object_object_add(body, "cni_version", json_object_new_string(req->version));
	if (req->netns && *req->netns)
		json_object_object_add(body, "netns", json_object_new_string(req->netns));
	text = json_object_to_json_string_ext(body, JSON_C_TO_STRING_PLAIN);
	err = client_request(fd, "POST", "/v1/cni", text, strlen(text), &resp);
	json_object_put(body);
	if (err) {
		snprintf(msg, sizeof(msg), "the cbpfnet agent on state %s did not answer: %s",
			 req->ctx.state_dir, strerror(-err));
		return fail(req->version, CNI_ERR_TRY_AGAIN, msg);
	}
	doc = json_tokener_parse(resp.body);
	client_response_free(&resp);
	if (resp.status == 200 && doc && json_object_object_length(doc))
		return print_doc(doc, 0);
	if (resp.status == 200) {
		json_object_put(doc);
		return 0;
	}
	v = doc ? json_object_object_get(json_object_object_get(doc, "error"), "message") : NULL;
	snprintf(msg, sizeof(msg), "%s", v ? json_object_get_string(v) : "the agent refused");
	json_object_put(doc);
	return fail(req->version, CNI_ERR_PLUGIN, msg);
}

int cni_main(void)
{
	struct cni_request req = {.command = getenv("CNI_COMMAND")};
	const struct cni_env env = {
	    .container = getenv("CNI_CONTAINERID"),
	    .netns = getenv("CNI_NETNS"),
	    .ifname = getenv("CNI_IFNAME"),
	};
	json_object *conf;
	int rc;

	if (!req.command)
		return fail(CNI_VERSION, CNI_ERR_ENV, "CNI_COMMAND is not set");
	if (!strcmp(req.command, "VERSION"))
		return print_doc(cni_version_doc(), 0);
	rc = read_conf(&conf);
	if (rc)
		return rc;
	if (cni_parse_request(conf, &env, &req))
		rc = fail(req.err_version, req.err_code, req.err_msg);
	else if (strcmp(req.command, "ADD") && strcmp(req.command, "DEL") &&
		 strcmp(req.command, "CHECK"))
		rc = fail(req.version, CNI_ERR_ENV,
			  "CNI_COMMAND must be ADD, DEL, CHECK or VERSION");
	else if (!strcmp(req.command, "ADD") && (!req.netns || !*req.netns))
		rc = fail(req.version, CNI_ERR_ENV, "ADD needs CNI_NETNS");
	else
		rc = forward(&req);
	json_object_put(conf);
	return rc;
}
