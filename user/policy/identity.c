#include "policy.h"
#include "policy/identity.h"

uint32_t cbpf_ep_identity(const struct cbpf_endpoint *ep)
{
	return CBPF_IDENTITY_EP_BASE + ep->id;
}
