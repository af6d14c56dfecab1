/*
 * The policy parser's other files: the position scanner (policy_scan.c) for rule positions in
 * a file's text, and the files and directories read from disk (policy_file.c); JSON to checked
 * rules is policy_parse.c, the selector grammar policy_selector.c.
 */
#ifndef CBPF_POLICY_PARSE_INT_H
#define CBPF_POLICY_PARSE_INT_H

#include <stddef.h>

#include "policy/policy_rules.h"

/*
 * json-c keeps no positions: the offsets of the elements of the top-level "rules" array in
 * text, offsets[i] where rules[i] starts; returns how many (at most max).
 */
size_t policy_locate_rules(const char *text, size_t *offsets, size_t max);

#endif
