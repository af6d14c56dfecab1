/*
 * policy explain asks the datapath's own decision code: userspace runs tc_explain
 * (bpf/explain.bpf.c) with BPF_PROG_TEST_RUN on a crafted IPv4 packet from the source to the
 * destination, with the protocol and port asked about. What a packet cannot say travels in
 * skb->cb, words indexed by enum cbpf_explain_cb. The program writes no map and sends no event.
 */
#ifndef CBPF_MAPS_EXPLAIN_H
#define CBPF_MAPS_EXPLAIN_H

#include "common.h"

enum cbpf_explain_cb {
	CBPF_EXPLAIN_CB_FLAGS = 0, /* enum cbpf_explain_flags, in and out */
	CBPF_EXPLAIN_CB_REASON,	   /* out: enum cbpf_drop_reason, 0 allows */
	CBPF_EXPLAIN_CB_RULE,	   /* out: the deciding entry's rule id; 0 for a default */
};

enum cbpf_explain_flags {
	CBPF_EXPLAIN_SRC_HOST = 1 << 0,	 /* in: the source is this host's own stack */
	CBPF_EXPLAIN_DST_HOST = 1 << 1,	 /* in: the destination is */
	CBPF_EXPLAIN_JUDGED = 1 << 2,	 /* out: a program of this host judges such packets */
	CBPF_EXPLAIN_ENDPOINTS = 1 << 3, /* out: both ends were judged as endpoints */
};

/* tc_explain's return value; the program is never attached, so these are no TC verdicts. */
enum cbpf_explain_ret {
	CBPF_EXPLAIN_ANSWERED = 0,  /* skb->cb holds the answer */
	CBPF_EXPLAIN_NO_POLICY = 1, /* the pins hold no live policy generation */
	CBPF_EXPLAIN_MALFORMED = 2, /* the packet is no IPv4 packet with its header in place */
};

#endif
