/* Output helpers: with --json every command prints exactly one JSON document. */
#ifndef CBPF_CORE_OUTPUT_H
#define CBPF_CORE_OUTPUT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

/* Prints doc as JSON and releases it. */
void cbpf_print_json(json_object *doc);
/* A delete's answer: {"deleted": name} with --json, "deleted <what> <name>" otherwise. */
void cbpf_print_deleted(bool json, const char *what, const char *name);
/* How many documents this thread printed: with --json an error becomes one only if none was. */
unsigned int cbpf_json_docs(void);
const char *cbpf_drop_reason_name(unsigned int reason);
const char *cbpf_model_name(unsigned int model);
/* "bridge", "vepa", "private" or "passthru": the word `--mode` takes for a MACVLAN_MODE_*. */
const char *macvlan_mode_name(uint8_t mode);
/* The MACVLAN_MODE_* a word names; 0 or -EINVAL. */
int macvlan_mode_parse(const char *name, uint8_t *mode);
/* Parses "on"/"off"; returns 0 or -EINVAL. */
int cbpf_parse_on_off(const char *text, bool *value);

#endif
