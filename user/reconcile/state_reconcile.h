/* After a crash: what cbpfnet made on this host that the store does not record goes again. */
#ifndef CBPF_STATE_RECONCILE_H
#define CBPF_STATE_RECONCILE_H

#include "core/cmd.h"
#include "store/state.h"

/*
 * In the caller's network namespace, deletes the links cbpfnet names (veth host sides cbe<id>,
 * macvlan shims cbm<net id>) that no recorded endpoint or network owns, then deletes the
 * namespaces `ep add` created (st->owned) that no recorded endpoint is in, and commits. Other
 * namespaces are never touched: /run/netns is shared by every host and every user of the
 * machine, and only the store knows which ones cbpfnet made. Each removal is reported on stderr.
 */
int state_reconcile_leftovers(const struct cbpf_ctx *ctx, struct cbpf_state *st);

#endif
