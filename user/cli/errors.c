/*
 * With --json, errors are a JSON document on stdout ({"error": "..."}), as bpftool's are, so a
 * script reads one stream; the exit status stays what it was.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "cli/help.h"
#include "core/output.h"

static char *collected;
static size_t collected_len;
static FILE *sink;

int cli_errors_collect(void)
{
	sink = open_memstream(&collected, &collected_len);
	if (!sink)
		return -errno;
	cbpf_err_redirect(sink);
	return 0;
}

int cli_errors_finish(int status)
{
	json_object *doc;
	char *line, *message, *save = NULL;
	size_t used = 0;

	if (!sink)
		return status;
	cbpf_err_redirect(NULL);
	fclose(sink);
	sink = NULL;
	/* Success with warnings, or a command that already printed its document: text. */
	if (!status || cbpf_json_docs() || !collected_len) {
		fwrite(collected, 1, collected_len, stderr);
		free(collected);
		return status;
	}
	/* One message: the lines of the error, "cbpfnet: " taken off each, joined by "; ". */
	message = calloc(1, 2 * collected_len + 1);
	for (line = strtok_r(collected, "\n", &save); message && line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "cbpfnet: ", 9))
			line += 9;
		used += sprintf(message + used, "%s%s", used ? "; " : "", line);
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "error",
			       json_object_new_string(message ? message : "out of memory"));
	cbpf_print_json(doc);
	free(message);
	free(collected);
	return status;
}
