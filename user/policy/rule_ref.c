#include <stdio.h>

#include "policy.h"
#include "policy/rule_ref.h"

const char *cbpf_rule_ref(uint32_t rule_id, char buf[CBPF_RULE_REF_MAX])
{
	if (!rule_id)
		snprintf(buf, CBPF_RULE_REF_MAX, "-");
	else if (rule_id & CBPF_RULE_STATE_BIT)
		snprintf(buf, CBPF_RULE_REF_MAX, "s%u", rule_id & ~CBPF_RULE_STATE_BIT);
	else
		snprintf(buf, CBPF_RULE_REF_MAX, "f%u", rule_id);
	return buf;
}
