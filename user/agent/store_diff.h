/*
 * What a commit changed in the store, as change events: the agent keeps the store's networks,
 * endpoints, pair rules and nodes as they were last committed, and compares each commit's with
 * them. Comparing the store, not the command's words, also names what a batch, a cluster
 * update or a failed command's partial work changed.
 */
#ifndef CBPF_AGENT_STORE_DIFF_H
#define CBPF_AGENT_STORE_DIFF_H

#include <json-c/json.h>
#include <stddef.h>

#include "store/state.h"

/*
 * A view: the store's objects, each array sorted by name (rules by from, then to); freed with
 * state_objects_free. Reads the store in dir; an empty view when there is none yet.
 */
int store_view_read(const char *dir, struct cbpf_objects *v);
/* The view of a state in memory. */
int store_view_of(const struct cbpf_state *st, struct cbpf_objects *v);

/* The kinds of object a view holds, in the order their changes are told. */
enum store_kind { STORE_NODES, STORE_NETS, STORE_EPS, STORE_RULES, STORE_KINDS };
size_t store_kind_size(enum store_kind k);
/* A view's order of kind k: by name (rules by from, then to); 0 for the same object. */
int store_kind_cmp(enum store_kind k, const void *a, const void *b);
/* Kind k's array in o, and its count in *n. */
void **store_kind_items(struct cbpf_objects *o, enum store_kind k, size_t **n);

/*
 * Calls emit once per change from old to new, with an object {kind: "change", object, action,
 * name, ...} that emit owns: networks create/update/delete, endpoints add/update/move/delete
 * and connect/disconnect (a further interface NAME@NET), policy set/delete (pair rules), nodes
 * add/update/delete.
 */
void store_view_diff(const struct cbpf_objects *old, const struct cbpf_objects *new,
		     void (*emit)(void *arg, json_object *change), void *arg);

#endif
