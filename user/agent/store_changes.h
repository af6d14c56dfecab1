/*
 * A command's changes to the store, gathered commit by commit from what each commit removed and
 * wrote, then told as change events against the view the previous command left and applied
 * to it. Only the objects a command touched are compared: copying and sorting the whole store
 * at every commit was most of a CNI ADD's time in the agent at thousands of endpoints.
 */
#ifndef CBPF_AGENT_STORE_CHANGES_H
#define CBPF_AGENT_STORE_CHANGES_H

#include <json-c/json.h>

#include "store/state.h"

/* Per kind, sorted like a view: the latest of each object written, the objects removed. */
struct store_changes {
	struct cbpf_objects came;
	struct cbpf_objects gone;
};

/*
 * One commit's changes: gone holds the objects it removed or rewrote as they were, came the
 * objects it added or rewrote. 0, or -ENOMEM with c unreliable (store_changes_free it).
 */
int store_changes_add(struct store_changes *c, const struct cbpf_objects *gone,
		      const struct cbpf_objects *came);
/*
 * Emits what c changes in view (a sorted view, store_diff.h), then brings view to the store
 * after them and empties c. 0, or -ENOMEM with view unreliable.
 */
int store_changes_apply(struct cbpf_objects *view, struct store_changes *c,
			void (*emit)(void *arg, json_object *change), void *arg);
void store_changes_free(struct store_changes *c);

#endif
