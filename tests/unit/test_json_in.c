/* Strict reading of outside JSON: NUL bytes, \u0000, duplicate keys, invalid UTF-8, syntax. */
#include <errno.h>
#include <string.h>

#include "json/json_in.h"
#include "tap.h"

static struct json_in_error e;

/* 0 when text parses; else its error as "line: what". */
static int parse(const char *text, size_t len, bool trailing, char *msg, size_t size)
{
	json_object *doc = NULL;
	int err = json_in_parse(text, len, trailing, &doc, NULL, &e);

	json_object_put(doc);
	if (err)
		snprintf(msg, size, "%d: %s", json_in_line(text, e.offset), e.what);
	return err;
}

#define REFUSED(text, want, ...)                                                                   \
	do {                                                                                       \
		char msg_[256] = "";                                                               \
		int rc_ = parse(text, sizeof(text) - 1, false, msg_, sizeof(msg_));                \
		CHECK(rc_ == -EINVAL && !strcmp(msg_, want), __VA_ARGS__);                         \
		if (strcmp(msg_, want))                                                            \
			printf("# got '%s', want '%s'\n", msg_, want);                             \
	} while (0)

int main(void)
{
	char msg[256];
	json_object *doc;
	size_t used;
	const char *text2 = "{\"a\": 1}\n{\"a\": 2}";

	const char *good = "{\"a\": [1, {\"b\": \"x\"}], \"c\": \"\\u00e9\\\\u0000\"}";

	CHECK(parse(good, strlen(good), false, msg, sizeof(msg)) == 0,
	      "a plain document, an escaped backslash before u0000 and a non-ASCII escape parse");
	REFUSED("{\n\"from\": \"net:neta\\u0000junk\"}", "2: \\u0000 (a NUL character) in a string",
		"\\u0000 in a string value is refused on its line");
	REFUSED("{\"a\\u0000b\": 1}", "1: \\u0000 (a NUL character) in a string",
		"\\u0000 in a key is refused");
	REFUSED("{\"a\": 1,\n \"b\": 2,\n \"a\": 3}", "3: duplicate key \"a\"",
		"a duplicate key is refused where it repeats");
	REFUSED("[{\"x\": {}}, {\"k\": 1,\n\"\\u006b\": 2}]", "2: duplicate key \"k\"",
		"a duplicate key written with an escape is still the same key");
	REFUSED("{\"o\": {\"a\": {\"z\": 1, \"z\": 1}, \"b\": 2}}", "1: duplicate key \"z\"",
		"a duplicate key in a nested object is refused");
	REFUSED("{\"a\":\n \"\xc3\x28\"}", "2: invalid UTF-8", "invalid UTF-8 is refused");
	REFUSED("{\"a\": \"x\"}\n\x00{}", "2: NUL byte in the input", "a NUL byte is refused");
	REFUSED("{'a\"': 1}", "1: JSON syntax: single-quoted string",
		"strict: a single-quoted string (json-c takes it) is refused before its quote "
		"misleads");
	REFUSED("{\"a\": 1,}", "1: JSON syntax: unexpected character",
		"strict: a trailing comma is refused");
	REFUSED("{\"a\": 1} x", "1: JSON syntax: text after the document",
		"text after the document is refused");
	REFUSED("{\"a\": ", "1: JSON syntax: unexpected end of input", "a cut document is refused");
	CHECK(json_in_parse(text2, strlen(text2), true, &doc, &used, &e) == 0 &&
		  used + strspn(text2 + used, "\n") == 9,
	      "with trailing text allowed, one document is read and its end given (%zu)", used);
	json_object_put(doc);
	TAP_EXIT();
}
