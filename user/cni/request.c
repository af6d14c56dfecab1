/* What a CNI runtime asks, checked without touching the host (fuzzed as it is). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cni/cni.h"

static const char *const supported_versions[] = {"0.4.0", "1.0.0"};

static const char *string_field(json_object *conf, const char *key)
{
	json_object *value;

	return json_object_object_get_ex(conf, key, &value) &&
		       json_object_is_type(value, json_type_string)
		   ? json_object_get_string(value)
		   : NULL;
}

void cni_endpoint_name(const char *container, const char *ifname, char *out, size_t size)
{
	uint64_t hash = 0xcbf29ce484222325ULL;

	for (const char *p = container; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 0x100000001b3ULL;
	hash = (hash ^ 0xff) * 0x100000001b3ULL;
	for (const char *p = ifname; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 0x100000001b3ULL;
	snprintf(out, size, "cni-%.12s-%016llx-%s", container, (unsigned long long)hash, ifname);
	for (char *p = out; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    *p))
			*p = '_';
}

json_object *cni_error_doc(const char *version, int code, const char *msg)
{
	json_object *doc = json_object_new_object();

	json_object_object_add(doc, "cniVersion", json_object_new_string(version));
	json_object_object_add(doc, "code", json_object_new_int(code));
	json_object_object_add(doc, "msg", json_object_new_string(msg));
	return doc;
}

json_object *cni_version_doc(void)
{
	json_object *doc = json_object_new_object();
	json_object *versions = json_object_new_array();

	for (size_t i = 0; i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		json_object_array_add(versions, json_object_new_string(supported_versions[i]));
	json_object_object_add(doc, "cniVersion", json_object_new_string(CNI_VERSION));
	json_object_object_add(doc, "supportedVersions", versions);
	return doc;
}

static int refuse(struct cni_request *req, const char *version, enum cni_code code, const char *msg)
{
	req->err_code = code;
	req->err_version = version;
	req->err_msg = msg;
	return code;
}

int cni_parse_request(json_object *conf, const struct cni_env *env, struct cni_request *req)
{
	const char *network = string_field(conf, "network");
	const char *name = string_field(conf, "name");

	req->version = string_field(conf, "cniVersion");
	if (!req->version || !name)
		return refuse(req, CNI_VERSION, CNI_ERR_CONFIG,
			      "network configuration needs cniVersion and name");
	if (strcmp(req->version, supported_versions[0]) &&
	    strcmp(req->version, supported_versions[1]))
		return refuse(req, CNI_VERSION, CNI_ERR_VERSION,
			      "unsupported cniVersion; this plugin speaks 0.4.0 and 1.0.0");
	snprintf(req->network, sizeof(req->network), "%s", network ? network : name);
	req->ctx.bpffs = string_field(conf, "bpffs") ?: "/sys/fs/bpf";
	req->ctx.state_dir = string_field(conf, "state") ?: "/var/lib/cbpfnet";
	req->container = env->container;
	req->netns = env->netns;
	req->ifname = env->ifname;
	if (!req->container || !*req->container || !req->ifname || !*req->ifname)
		return refuse(req, req->version, CNI_ERR_ENV,
			      "CNI_CONTAINERID and CNI_IFNAME must be set");
	/* Relative to whatever directory the runtime ran us in: never what it meant. */
	if (req->netns && *req->netns && req->netns[0] != '/') {
		snprintf(req->err_text, sizeof(req->err_text),
			 "CNI_NETNS '%.*s' is not an absolute path", CBPF_PATH_MAX, req->netns);
		return refuse(req, req->version, CNI_ERR_ENV, req->err_text);
	}
	cni_endpoint_name(req->container, req->ifname, req->endpoint, sizeof(req->endpoint));
	return 0;
}
