/*
 * JSON from outside (policy files, `ep apply` input, CNI stdin), read strictly: json-c alone
 * truncates strings at "\u0000", keeps the last of two equal keys and passes invalid UTF-8 on.
 * Every reader of outside input goes through json_in_parse so that each of these is refused.
 */
#ifndef CBPF_JSON_IN_H
#define CBPF_JSON_IN_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct json_in_error {
	size_t offset; /* where in the text the problem is */
	char what[160];
};

/*
 * One JSON value from the start of text (len bytes): strict syntax, valid UTF-8, no NUL byte,
 * no "\u0000" in a string or key, no key twice in one object. With trailing, text may go on
 * after the value (*used says where it ended); without, only whitespace may follow. Returns 0
 * with *out set, or -EINVAL with *e filled (-ENOMEM without memory).
 */
int json_in_parse(const char *text, size_t len, bool trailing, json_object **out, size_t *used,
		  struct json_in_error *e);
/* The line (from 1) of offset in text. */
int json_in_line(const char *text, size_t offset);
/* All of a stream, with a NUL after its len bytes; NULL when it cannot be read. */
char *json_in_read(FILE *in, size_t *len);

#endif
