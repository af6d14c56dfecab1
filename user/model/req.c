#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "model/req.h"

const char *const model_feature_names[MODEL_NFEAT] = {
    [MODEL_SECURITY] = "security",
    [MODEL_SCALE] = "scale",
    [MODEL_EFFICIENCY] = "efficiency",
    [MODEL_EXTENSIBILITY] = "extensibility",
};

const char *model_choice_name(enum model_choice c)
{
	return c == MODEL_CHOICE_MACVLAN ? "macvlan" : "overlay";
}

int model_choice_parse(const char *text, enum model_choice *out)
{
	if (!strcmp(text, "overlay"))
		*out = MODEL_CHOICE_OVERLAY;
	else if (!strcmp(text, "macvlan"))
		*out = MODEL_CHOICE_MACVLAN;
	else
		return -EINVAL;
	return 0;
}

int model_weight_parse(const char *what, const char *text, int *out)
{
	size_t digits = strspn(text, "0123456789");
	long v = strtol(text, NULL, 10);

	if (!digits || text[digits] || digits > 2 || v > MODEL_W_MAX) {
		cbpf_err("%s: '%s' is not an integer weight 0..%d", what, text, MODEL_W_MAX);
		return -EINVAL;
	}
	*out = (int)v;
	return 0;
}

static int feature_index(const char *name, size_t len)
{
	for (int i = 0; i < MODEL_NFEAT; i++)
		if (strlen(model_feature_names[i]) == len &&
		    !strncmp(model_feature_names[i], name, len))
			return i;
	return -1;
}

int model_req_parse(const char *spec, struct model_req *out)
{
	bool seen[MODEL_NFEAT] = {false};
	const char *item = spec;

	while (*item) {
		size_t len = strcspn(item, ",");
		const char *eq = memchr(item, '=', len);
		char value[16];
		int f;

		if (!eq) {
			cbpf_err("requirement '%.*s': expected NAME=WEIGHT", (int)len, item);
			return -EINVAL;
		}
		f = feature_index(item, eq - item);
		if (f < 0) {
			cbpf_err("requirement '%.*s': unknown name (expected security, scale, "
				 "efficiency or extensibility)",
				 (int)len, item);
			return -EINVAL;
		}
		if (seen[f]) {
			cbpf_err("requirement %s given twice", model_feature_names[f]);
			return -EINVAL;
		}
		if ((size_t)(item + len - eq - 1) >= sizeof(value)) {
			cbpf_err("%s: '%.*s' is not an integer weight 0..%d",
				 model_feature_names[f], (int)(item + len - eq - 1), eq + 1,
				 MODEL_W_MAX);
			return -EINVAL;
		}
		snprintf(value, sizeof(value), "%.*s", (int)(item + len - eq - 1), eq + 1);
		if (model_weight_parse(model_feature_names[f], value, &out->w[f]))
			return -EINVAL;
		seen[f] = true;
		item += len + (item[len] == ',');
	}
	for (int i = 0; i < MODEL_NFEAT; i++) {
		if (!seen[i]) {
			cbpf_err("requirement %s missing (need security, scale, efficiency and "
				 "extensibility)",
				 model_feature_names[i]);
			return -EINVAL;
		}
	}
	return 0;
}
