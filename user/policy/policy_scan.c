/* The position scanner: where each rule starts in a policy file's text, for "file:line". */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_parse_int.h"

int policy_fail(char *err, size_t size, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, size, "%s:%d: ", file, line);

	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < size)
		vsnprintf(err + n, size - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/*
 * json-c keeps no positions, so the offsets of the elements of the top-level "rules" array are
 * found with a small scanner over the same text; offsets[i] is where rules[i] starts.
 */
static size_t locate_rules(const char *text, size_t *offsets, size_t max)
{
	int depth = 0, in_rules = 0;
	size_t n = 0, key_start = 0, key_len = 0;
	int expect_value = 0, last_key_rules = 0;

	for (size_t i = 0; text[i]; i++) {
		char c = text[i];

		if (c == '"') {
			size_t start = ++i;

			while (text[i] && text[i] != '"')
				i += text[i] == '\\' && text[i + 1] ? 2 : 1;
			if (!text[i])
				break;
			if (in_rules && depth == 2 && expect_value && n < max)
				offsets[n++] = start - 1;
			expect_value = 0;
			key_start = start;
			key_len = i - start;
			continue;
		}
		if (c == ':' && depth == 1)
			last_key_rules = key_len == 5 && !strncmp(text + key_start, "rules", 5);
		if (c == '[' || c == '{') {
			if (in_rules && depth == 2 && expect_value && n < max)
				offsets[n++] = i;
			expect_value = 0;
			depth++;
			if (c == '[' && depth == 2 && last_key_rules) {
				in_rules = 1;
				expect_value = 1;
			}
		} else if (c == ']' || c == '}') {
			depth--;
			if (depth == 1)
				in_rules = 0;
		} else if (c == ',' && in_rules && depth == 2) {
			expect_value = 1;
		} else if (in_rules && depth == 2 && expect_value && c > ' ') {
			if (n < max)
				offsets[n++] = i;
			expect_value = 0;
		}
	}
	return n;
}

int policy_rule_lines(const char *text, int *lines, size_t n)
{
	size_t *offsets = calloc(n + 1, sizeof(*offsets)), pos = 0;
	int line = 1;

	if (!offsets)
		return -ENOMEM;
	if (locate_rules(text, offsets, n) != n)
		memset(offsets, 0, n * sizeof(*offsets));
	/* Offsets grow with i: count newlines once, not from the start for every rule. */
	for (size_t i = 0; i < n; i++) {
		for (; pos < offsets[i]; pos++)
			line += text[pos] == '\n';
		lines[i] = line;
	}
	free(offsets);
	return 0;
}
