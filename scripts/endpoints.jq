# bpftool -j map dump pinned .../cbpf_endpoints | jq -r -f scripts/endpoints.jq
# One line per endpoint map entry, addresses as dotted quads: the map holds them in network byte
# order, which bpftool prints as one little-endian integer.
def quad: [., ./256, ./65536, ./16777216 | floor % 256 | tostring] | join(".");
.[] | .formatted |
	"\(.key.ip | quad)  ifindex \(.value.ifindex)  identity \(.value.identity)  net \(.value.net_id)  node \(.value.node_ip | quad)  flags \(.value.flags)"
