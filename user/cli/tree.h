/* One object as text: the JSON document `inspect` prints with --json, laid out for people. */
#ifndef CBPF_CLI_TREE_H
#define CBPF_CLI_TREE_H

#include <json-c/json.h>
#include <stdio.h>

/* Keys aligned per level; nested objects indented; lists of objects one line an item. */
void cli_print_tree(FILE *out, json_object *doc);

#endif
