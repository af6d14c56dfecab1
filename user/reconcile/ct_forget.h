/* Ending the tracked flows of an address that left its endpoint. */
#ifndef CBPF_CT_FORGET_H
#define CBPF_CT_FORGET_H

#include <stdint.h>

#include "core/cmd.h"

/*
 * Removes every conntrack entry with ip (network byte order) at either end, so that replies
 * to a former holder's flows are judged afresh instead of passing as tracked; how many went in
 * *n when n is not NULL.
 */
int ct_forget_addr(const struct cbpf_ctx *ctx, uint32_t ip, size_t *n);

#endif
