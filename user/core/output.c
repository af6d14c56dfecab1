#include <errno.h>
#include <linux/if_link.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "drop.h"
#include "network.h"
#include "core/output.h"

static _Thread_local unsigned int docs_printed;

void cbpf_print_json(json_object *doc)
{
	docs_printed++;
	puts(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY |
						     JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(doc);
}

void cbpf_print_deleted(bool json, const char *what, const char *name)
{
	json_object *doc;

	if (!json) {
		printf("deleted %s %s\n", what, name);
		return;
	}
	doc = json_object_new_object();
	json_object_object_add(doc, "deleted", json_object_new_string(name));
	cbpf_print_json(doc);
}

unsigned int cbpf_json_docs(void)
{
	return docs_printed;
}

const char *cbpf_drop_reason_name(unsigned int reason)
{
	static const char *const names[CBPF_DROP_REASON_MAX] = {
	    [CBPF_DROP_NONE] = "none",
	    [CBPF_DROP_MALFORMED_ETH] = "malformed-ethernet",
	    [CBPF_DROP_MALFORMED_ARP] = "malformed-arp",
	    [CBPF_DROP_MALFORMED_IP] = "malformed-ipv4",
	    [CBPF_DROP_SRC_SPOOF] = "source-spoofed",
	    [CBPF_DROP_ARP_UNKNOWN] = "arp-unknown-target",
	    [CBPF_DROP_POLICY] = "policy-deny",
	    [CBPF_DROP_ICC] = "icc-off",
	    [CBPF_DROP_NET_ISOLATION] = "network-isolation",
	    [CBPF_DROP_TTL] = "ttl-exceeded",
	    [CBPF_DROP_NO_ROUTE] = "no-underlay-route",
	    [CBPF_DROP_ENCAP] = "encap-failed",
	    [CBPF_DROP_MALFORMED_VXLAN] = "malformed-vxlan",
	    [CBPF_DROP_UNKNOWN_VNI] = "unknown-vni",
	    [CBPF_DROP_UNKNOWN_EP] = "unknown-endpoint",
	    [CBPF_DROP_VLAN_MISMATCH] = "vlan-mismatch",
	    [CBPF_DROP_TUNNEL_UNKNOWN_NODE] = "tunnel-unknown-node",
	    [CBPF_DROP_TUNNEL_SRC_MISMATCH] = "tunnel-src-mismatch",
	    [CBPF_DROP_EP_VLAN_TAG] = "endpoint-vlan-tag",
	    [CBPF_DROP_ETHERTYPE] = "unsupported-ethertype",
	    [CBPF_DROP_IPV6] = "ipv6-disabled",
	    [CBPF_DROP_FRAG_UNKNOWN] = "frag-unknown",
	    [CBPF_DROP_TUNNEL_FROM_EP] = "tunnel-from-endpoint",
	};

	return reason < CBPF_DROP_REASON_MAX && names[reason] ? names[reason] : "unknown";
}

const char *cbpf_model_name(unsigned int model)
{
	switch (model) {
	case CBPF_MODEL_LOCAL:
		return "local";
	case CBPF_MODEL_OVERLAY:
		return "overlay";
	case CBPF_MODEL_MACVLAN:
		return "macvlan";
	default:
		return "unknown";
	}
}

static const struct {
	const char *name;
	uint8_t mode;
} modes[] = {
    {"bridge", MACVLAN_MODE_BRIDGE},
    {"vepa", MACVLAN_MODE_VEPA},
    {"private", MACVLAN_MODE_PRIVATE},
    {"passthru", MACVLAN_MODE_PASSTHRU},
};

const char *macvlan_mode_name(uint8_t mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (modes[i].mode == mode)
			return modes[i].name;
	return "unknown";
}

int macvlan_mode_parse(const char *name, uint8_t *mode)
{
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(modes[i].name, name)) {
			*mode = modes[i].mode;
			return 0;
		}
	return -EINVAL;
}

int cbpf_parse_on_off(const char *text, bool *value)
{
	if (!strcmp(text, "on"))
		*value = true;
	else if (!strcmp(text, "off"))
		*value = false;
	else
		return -EINVAL;
	return 0;
}
