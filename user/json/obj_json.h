/* Networks and nodes as JSON: `net list`, `node list`, `inspect` and the API's answers. */
#ifndef CBPF_OBJ_JSON_H
#define CBPF_OBJ_JSON_H

#include <json-c/json.h>

#include "store/state.h"

/* Enum fields are words ("model": "overlay", "mode": "bridge"). */
json_object *net_json(const struct cbpf_network *net);
/* "local" and "ifname" say whether the node is this host. */
json_object *node_json(const struct cbpf_node *node);

#endif
