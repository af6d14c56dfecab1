/*
 * An endpoint's policy identity: what the endpoint map carries and rules are compiled against,
 * here so that compiling a policy needs nothing from the reconciler that installs it.
 */
#ifndef CBPF_POLICY_IDENTITY_H
#define CBPF_POLICY_IDENTITY_H

#include <stdint.h>

#include "store/state.h"

uint32_t cbpf_ep_identity(const struct cbpf_endpoint *ep);

#endif
