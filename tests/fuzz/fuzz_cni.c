/*
 * What a CNI runtime hands the plugin: CNI_* variables and the network configuration on stdin.
 * The input is "CNI_CONTAINERID\nCNI_NETNS\nCNI_IFNAME\n" followed by the configuration; a
 * missing line is an unset variable.
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>

#include "cni/cni.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cuts the next line off *text; NULL when there is none. */
static const char *next_line(char **text)
{
	char *line = *text, *nl = strchr(line, '\n');

	if (!nl)
		return NULL;
	*nl = '\0';
	*text = nl + 1;
	return line;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size), *rest = text;
	struct cni_request req = {0};
	struct cni_env env;
	json_object *conf;

	if (!text)
		return 0;
	env.container = next_line(&rest);
	env.netns = env.container ? next_line(&rest) : NULL;
	env.ifname = env.netns ? next_line(&rest) : NULL;
	conf = json_tokener_parse(rest);
	if (conf) {
		cni_parse_request(conf, &env, &req);
		json_object_put(conf);
	}
	free(text);
	return 0;
}
