#!/usr/bin/env bash
# cbpfnet as a CNI plugin, driven the way a container runtime drives it: environment, the
# network configuration on stdin, a result or an error document on stdout.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
ns_add c1
ns_add c2
check "load" cb h1 load
check "net create web" cb h1 net create web --subnet 10.20.0.0/24

conf() {
	printf '{"cniVersion":"%s","name":"%s","type":"cbpfnet","bpffs":"%s","state":"%s"}' \
		"${2:-1.0.0}" "$1" "$WORK/h1/bpffs" "$WORK/h1/state"
}
# cni COMMAND CONTAINER NETNS [NETWORK [VERSION]]: runs the plugin as the runtime would, on h1:
# the lean cbpfnet-cni, or cbpfnet itself with PLUGIN=$CBPFNET.
PLUGIN=$REPO/cbpfnet-cni
cni() {
	conf "${4:-web}" "$5" | in_ns h1 env CNI_COMMAND="$1" CNI_CONTAINERID="$2" \
		CNI_NETNS="/run/netns/$P-$3" CNI_IFNAME=eth0 CNI_PATH="$REPO" "$PLUGIN" 2>/dev/null
}

out=$(cni ADD 0123456789abcdef0123 c1)
check_eq "ADD returns the address and gateway" "10.20.0.2/24 10.20.0.1" \
	"$(echo "$out" | jq -r '.ips[0].address + " " + .ips[0].gateway')"
check_eq "ADD names the sandbox interface and its namespace" "eth0 /run/netns/$P-c1" \
	"$(echo "$out" | jq -r '.interfaces[1].name + " " + .interfaces[1].sandbox')"
check_eq "ADD reports the default route" "0.0.0.0/0" "$(echo "$out" | jq -r '.routes[0].dst')"
check "ADD of a second container" cni ADD fedcba9876543210fedc c2
check_eq "the container has its address" "10.20.0.2/24" \
	"$(in_ns c1 ip -o -4 addr show dev eth0 | awk '{print $4}')"
check "containers added by CNI reach each other" ping_ok c1 10.20.0.3
check_contains "cbpfnet lists the CNI endpoint, named after the container" "cni-0123456789ab-" \
	"$(cb h1 --json ep list | jq -r '.[0].name')"
check "CHECK passes for an added container" cni CHECK 0123456789abcdef0123 c1
check_fail "CHECK fails for an unknown container" cni CHECK 99999999999999999999 c1
check "DEL removes the endpoint" cni DEL 0123456789abcdef0123 c1
check_eq "its map entry is gone" "1" "$(map_dump h1 cbpf_endpoints | jq length)"
check "DEL again succeeds (already gone)" cni DEL 0123456789abcdef0123 c1
check_eq "VERSION lists 0.4.0 and 1.0.0" '["0.4.0","1.0.0"]' \
	"$(echo '{}' | CNI_COMMAND=VERSION "$PLUGIN" | jq -c .supportedVersions)"
check_eq "cbpfnet with no arguments is the same plugin" '["0.4.0","1.0.0"]' \
	"$(echo '{}' | CNI_COMMAND=VERSION "$CBPFNET" | jq -c .supportedVersions)"
check_contains "the plugin binary is static: no loader work at each exec" \
	"not a dynamic executable" "$(ldd "$PLUGIN" 2>&1)"
out=$(cni ADD 0123456789abcdef0123 c1 web 0.4.0)
check_eq "a 0.4.0 result carries the IP version" "4 10.20.0.2/24" \
	"$(echo "$out" | jq -r '.ips[0].version + " " + .ips[0].address')"

out=$(cni ADD 1111111111111111 c1 nosuchnet)
check_eq "ADD to an unknown network fails with a CNI error" "100" "$(echo "$out" | jq .code)"
check_contains "and the error names the network" "no such network 'nosuchnet'" \
	"$(echo "$out" | jq -r .msg)"
out=$(cni ADD 1111111111111111 c1 web 9.9.9)
check_eq "an unsupported cniVersion gets code 1" "1" "$(echo "$out" | jq .code)"
out=$(echo 'not json' | in_ns h1 env CNI_COMMAND=ADD CNI_CONTAINERID=x CNI_NETNS=/run/netns/x \
	CNI_IFNAME=eth0 "$PLUGIN" 2>/dev/null)
check_eq "a configuration that is not JSON gets code 4" "4" "$(echo "$out" | jq .code)"

# Ids sharing their first 12 characters: DEL of one never touches the other's endpoint.
cni DEL 0123456789abcdef0123 c1 >/dev/null
ns_add c3
check "ADD of container 0123456789abAAAA" cni ADD 0123456789abAAAA c3
out=$(cni ADD 0123456789abBBBB c1 nosuchnet)
check_eq "a failed ADD of 0123456789abBBBB" "100" "$(echo "$out" | jq .code)"
check "the runtime's DEL of 0123456789abBBBB succeeds" cni DEL 0123456789abBBBB c1
check "AAAA's endpoint is untouched: c3 still has eth0" in_ns c3 ip link show eth0
check "and it still reaches c2" ping_ok c3 10.20.0.3
check_eq "both prefixes' endpoints are listed apart" "1" \
	"$(cb h1 --json ep list | jq '[.[] | select(.name | startswith("cni-0123456789ab-"))] | length')"
check "ADD of 0123456789abBBBB in web works beside AAAA" cni ADD 0123456789abBBBB c1
check "DEL of 0123456789abBBBB" cni DEL 0123456789abBBBB c1
check "AAAA's endpoint is still there after BBBB's DEL" in_ns c3 ip link show eth0
check "CHECK of AAAA passes" cni CHECK 0123456789abAAAA c3

# The plugin is the agent's client: with no agent it says to try again (CNI code 11).
agent_stop h1
out=$(cni ADD 2222222222222222 c1)
check_eq "no agent: CNI error code 11" "11" "$(echo "$out" | jq .code)"
check_contains "... saying no agent answers" "no cbpfnet agent answers on state $WORK/h1/state" \
	"$(echo "$out" | jq -r .msg)"

lib_finish
