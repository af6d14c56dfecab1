/*
 * What the policy parser's files share: the position scanner (policy_scan.c), the selector
 * grammar (policy_selector.c), the field checks (policy_validate.c), JSON to rules
 * (policy_parse.c) and the files and directories read (policy_file.c).
 */
#ifndef CBPF_POLICY_PARSE_INT_H
#define CBPF_POLICY_PARSE_INT_H

#include <stddef.h>
#include <string.h>

/* Writes "file:line: " and the message to err; returns -EINVAL. */
int policy_fail(char *err, size_t size, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/*
 * The line on which each of the n elements of the top-level "rules" array starts, lines[i] for
 * rules[i] (all 1 when the scanner does not find n of them): 0 or -ENOMEM.
 */
int policy_rule_lines(const char *text, int *lines, size_t n);

/* Digits of v ending at end; returns where they start. */
static inline char *policy_format_uint(unsigned int v, char *end)
{
	*end = '\0';
	do
		*--end = '0' + v % 10;
	while (v /= 10);
	return end;
}

/* What snprintf(dst, size, "%s%s", a, b) writes, without its formatting: a few per rule. */
static inline void policy_join_text(char *dst, size_t size, const char *a, const char *b)
{
	size_t n = strnlen(a, size - 1), m = strnlen(b, size - 1 - n);

	memcpy(dst, a, n);
	memcpy(dst + n, b, m);
	dst[n + m] = '\0';
}

#endif
