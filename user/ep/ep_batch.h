/*
 * `ep apply`: many endpoint adds and deletes in one process, from JSON (one array of operations,
 * or one operation object per line):
 *
 *   {"op": "add", "name": "e1", "net": "mv", "netns": "c1", "ip": "10.40.0.2",
 *    "ifname": "eth0", "create_netns": true}
 *   {"op": "add", "name": "r1", "net": "ov", "remote": "node2", "ip": "10.9.0.7", "mac": "..."}
 *   {"op": "del", "name": "e1", "delete_netns": true}
 *
 * Fields are those of `ep add` / `ep del`; create_netns makes /run/netns/NETNS first and
 * delete_netns removes the endpoint's one after it. The whole input is checked before anything
 * runs. Each operation is all or nothing; a failed one is reported and the next ones still run.
 */
#ifndef CBPF_EP_BATCH_H
#define CBPF_EP_BATCH_H

#include <json-c/json.h>

#include "core/cmd.h"

/*
 * Parses text (len bytes, read with json_in_read) into an array of operation objects (*ops), or
 * fails naming the bad entry and its line.
 */
int ep_batch_parse(const char *text, size_t len, json_object **ops);
/* Runs ops; fills *report with per-operation results and timings. Returns -EIO if any failed. */
int ep_batch_run(const struct cbpf_ctx *ctx, json_object *ops, json_object **report);

#endif
