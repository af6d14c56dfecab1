/*
 * POST /v1/exec: the words of a command line to the agent, and what it printed and returned back
 * to this process's stdout, stderr and exit status.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "client/client.h"
#include "client/forward.h"

static char *read_all(FILE *in, size_t *len)
{
	size_t cap = 65536;
	char *text = malloc(cap);

	*len = 0;
	while (text) {
		size_t n = fread(text + *len, 1, cap - *len, in);

		*len += n;
		if (n == 0)
			break;
		if (*len == cap) {
			char *grown = realloc(text, cap *= 2);

			if (!grown)
				free(text);
			text = grown;
		}
	}
	return text;
}

/*
 * The agent's error lines: with --json and nothing on stdout they become this process's errors
 * (main prints them as one JSON document); otherwise they go to stderr as they came.
 */
static void pass_errors(const struct cbpf_ctx *ctx, const char *text, bool stdout_empty)
{
	char *copy, *line, *save = NULL;

	if (!ctx->json || !stdout_empty || !(copy = strdup(text))) {
		fputs(text, stderr);
		return;
	}
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		cbpf_err("%s", strncmp(line, "cbpfnet: ", 9) ? line : line + 9);
	free(copy);
}

int forward_exec(const struct cbpf_ctx *ctx, int fd, int argc, char **argv)
{
	json_object *req, *words, *doc = NULL, *out, *v;
	struct api_response resp;
	char cwd[4096];
	const char *body;
	int err, code = 1;

	req = json_object_new_object();
	words = json_object_new_array();
	for (int i = 0; i < argc; i++)
		json_object_array_add(words, json_object_new_string(argv[i]));
	json_object_object_add(req, "argv", words);
	json_object_object_add(req, "json", json_object_new_boolean(ctx->json));
	if (getcwd(cwd, sizeof(cwd)) && cwd[0] == '/')
		json_object_object_add(req, "cwd", json_object_new_string(cwd));
	/* `ep apply -` reads the caller's stdin: it travels with the request. */
	if (argc == 3 && !strcmp(argv[0], "ep") && !strcmp(argv[1], "apply") &&
	    !strcmp(argv[2], "-")) {
		size_t len;
		char *input = read_all(stdin, &len);

		if (!input) {
			cbpf_err("ep apply: standard input: %s", strerror(errno));
			json_object_put(req);
			close(fd);
			return 1;
		}
		json_object_object_add(req, "input", json_object_new_string_len(input, (int)len));
		free(input);
	}
	body = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	err = client_request(fd, "POST", "/v1/exec", body, strlen(body), &resp);
	json_object_put(req);
	if (err) {
		cbpf_err("%s: the agent on state %s did not answer: %s", argv[0], ctx->state_dir,
			 strerror(-err));
		return 1;
	}
	doc = json_tokener_parse(resp.body);
	if (resp.status != 200 || !doc) {
		json_object *e = doc ? json_object_object_get(doc, "error") : NULL;

		cbpf_err("%s: the agent refused the request (HTTP %d): %s", argv[0], resp.status,
			 e ? json_object_get_string(json_object_object_get(e, "message"))
			   : resp.body);
	} else {
		out = json_object_object_get(doc, "stdout");
		if (out)
			fwrite(json_object_get_string(out), 1, json_object_get_string_len(out),
			       stdout);
		if (json_object_object_get_ex(doc, "stderr", &v))
			pass_errors(ctx, json_object_get_string(v),
				    !json_object_get_string_len(out));
		if (json_object_object_get_ex(doc, "exit", &v))
			code = json_object_get_int(v);
	}
	json_object_put(doc);
	client_response_free(&resp);
	return code;
}
