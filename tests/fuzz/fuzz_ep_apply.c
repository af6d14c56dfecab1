/*
 * `ep apply` input: the batch parser and its per-entry checks, then the state-only validation
 * of each add that needs no namespace opened (remote endpoints, and namespaces still to create).
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>

#include "ep/ep.h"
#include "ep/ep_batch.h"
#include "fuzz.h"
#include "fuzz_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *field(json_object *op, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(op, key, &v) ? json_object_get_string(v) : NULL;
}

static void validate(json_object *op)
{
	json_object *create;
	struct ep_request req = {
	    .name = field(op, "name"),
	    .net = field(op, "net"),
	    .netns = field(op, "netns"),
	    .ip = field(op, "ip"),
	    .ifname = field(op, "ifname") ?: "eth0",
	    .remote = field(op, "remote"),
	    .mac = field(op, "mac"),
	    .create_netns = json_object_object_get_ex(op, "create_netns", &create) &&
			    json_object_get_boolean(create),
	};
	struct cbpf_endpoint ep;
	struct cbpf_state st;

	if (strcmp(field(op, "op"), "add") || !(req.remote || req.create_netns))
		return;
	fuzz_state(&st);
	ep_validate_add(&st, &req, &ep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	json_object *ops;

	if (!text)
		return 0;
	if (!ep_batch_parse(text, size, &ops)) {
		for (size_t i = 0; i < json_object_array_length(ops); i++)
			validate(json_object_array_get_idx(ops, i));
		json_object_put(ops);
	}
	free(text);
	return 0;
}
