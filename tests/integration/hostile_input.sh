#!/usr/bin/env bash
# Hostile and impossible input: each is refused with exit status 1 (CNI: its error code), one
# exact error line naming the value, and nothing changed (maps, links, routes, state). JSON
# from outside (policy files, ep apply, CNI stdin) with \u0000, NUL bytes, duplicate keys or
# invalid UTF-8; an endpoint namespace that is the host's own; addresses, names and MACs that
# cannot work.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
ns_add c1
check "load" cb h1 load
check "net create web" cb h1 net create web --subnet 10.20.0.0/24
check "node add h1 (this host)" cb h1 node add h1 --underlay 198.18.0.1
check "node add h2" cb h1 node add h2 --underlay 198.18.0.2
check "net create ov (overlay)" cb h1 net create ov --model overlay --subnet 10.30.0.0/24

snapshot() { # maps, links, addresses, routes and state of h1
	for m in cbpf_endpoints cbpf_networks cbpf_policy; do map_dump h1 $m | jq -S -c 'sort_by(.key)'; done
	in_ns h1 ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sort
	in_ns h1 ip -4 -o addr show 2>/dev/null
	in_ns h1 ip -4 route show table all 2>/dev/null
	sqlite3 "$WORK/h1/state/cbpfnet.db" .dump
}

# refused DESC EXPECT CMD...: CMD exits with status 1, its stderr is exactly "cbpfnet: EXPECT",
# and h1 is as it was.
refused() {
	local desc=$1 expect=$2 err rc before after
	shift 2
	before=$(snapshot)
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snapshot)
	if [ "$rc" -eq 1 ] && [ "$err" = "cbpfnet: $expect" ] && [ "$before" = "$after" ]; then
		ok "refused: $desc"
	else
		not_ok "refused: $desc (rc=$rc, stderr: '$err', want '$expect', state changed: $([ "$before" = "$after" ] && echo no || echo yes))"
	fi
}

# --- item 12: an endpoint namespace that is the host's own ---------------------------------
refused "--netns /proc/self/ns/net (the host's own namespace)" \
	"ep add x1: netns /proc/self/ns/net is this host's own network namespace (an endpoint needs a namespace of its own)" \
	cb h1 ep add x1 --net web --netns /proc/self/ns/net
refused "--netns naming the host's namespace by another path (same inode)" \
	"ep add x1: netns /run/netns/$P-h1 is this host's own network namespace (an endpoint needs a namespace of its own)" \
	cb h1 ep add x1 --net web --netns "/run/netns/$P-h1"
apply() { printf '%b' "$1" | cb h1 ep apply -; }
refused "ep apply with the host's own namespace" \
	"ep add x1: netns /proc/self/ns/net is this host's own network namespace (an endpoint needs a namespace of its own)" \
	apply '{"op": "add", "name": "x1", "net": "web", "netns": "/proc/self/ns/net"}'
check "a real endpoint namespace is still accepted" cb h1 ep add c1 --net web --netns "$P-c1"

conf() {
	printf '{"cniVersion":"1.0.0","name":"web","type":"cbpfnet","bpffs":"%s","state":"%s"}' \
		"$WORK/h1/bpffs" "$WORK/h1/state"
}
# cni_msg NETNS [CONF]: ADD with that CNI_NETNS; prints "CODE MSG" of the error document.
cni_msg() {
	local conf=${2:-$(conf)}
	printf '%s' "$conf" | in_ns h1 env CNI_COMMAND=ADD CNI_CONTAINERID=abcdef012345 \
		CNI_NETNS="$1" CNI_IFNAME=eth0 "$CBPFNET" 2>/dev/null | jq -r '"\(.code) \(.msg)"'
}
before=$(snapshot)
out=$(cni_msg "/run/netns/$P-h1")
check_contains "CNI: CNI_NETNS naming the host's own namespace gets code 100" "100 ep add cni-abcdef012345-" "$out"
check_contains "... and says why" "-eth0: netns /run/netns/$P-h1 is this host's own network namespace (an endpoint needs a namespace of its own)" \
	"$out"
check_eq "CNI: a relative CNI_NETNS gets code 7" \
	"7 CNI_NETNS 'run/netns/$P-c1' is not an absolute path" "$(cni_msg "run/netns/$P-c1")"
check_eq "CNI: and neither changed anything (no route or address in the host)" "$before" "$(snapshot)"

# --- item 13: JSON from outside -------------------------------------------------------------
pol() { printf '%b' "$1" >"$WORK/p.json"; }
pol '{"rules": [\n{"from": "net:web\\u0000junk", "to": "net:ov", "action": "deny"}]}'
refused "policy file: \\u0000 in a selector is not cut off" \
	"policy check: $WORK/p.json:2: \\u0000 (a NUL character) in a string" cb h1 policy check "$WORK/p.json"
pol '{"rules": [\n{"from": "net:web", "to": "net:ov",\n "action": "deny", "action": "allow"}]}'
refused "policy file: a key written twice" \
	"policy check: $WORK/p.json:3: duplicate key \"action\"" cb h1 policy check "$WORK/p.json"
pol '{"rules": [\n{"id": "caf\xe9", "from": "net:web", "to": "net:ov", "action": "deny"}]}'
refused "policy file: invalid UTF-8" \
	"policy check: $WORK/p.json:2: invalid UTF-8" cb h1 policy check "$WORK/p.json"

refused "ep apply: \\u0000 in a name" \
	"ep apply: line 1 (entry 1): \\u0000 (a NUL character) in a string" \
	apply '{"op": "del", "name": "c1\\u0000x"}'
refused "ep apply: a NUL byte ends nothing silently" \
	"ep apply: line 2 (entry 2): NUL byte in the input" \
	apply '{"op": "del", "name": "c1"}\n\0{"op": "del", "name": "c1"}'
refused "ep apply: a key written twice" \
	"ep apply: line 2 (entry 1): duplicate key \"name\"" \
	apply '{"op": "del", "name": "nosuch",\n "name": "c1"}'
refused "ep apply: invalid UTF-8" \
	"ep apply: line 1 (entry 1): invalid UTF-8" apply '{"op": "del", "name": "c\xff1"}'

before=$(snapshot)
check_eq "CNI stdin: \\u0000 in a string gets code 4 and the line" \
	"4 network configuration on stdin, line 1: \\u0000 (a NUL character) in a string" \
	"$(cni_msg "/run/netns/$P-c1" "$(conf | sed 's/"name":"web"/"name":"web\\u0000x"/')")"
check_eq "CNI stdin: a key written twice gets code 4" \
	"4 network configuration on stdin, line 1: duplicate key \"name\"" \
	"$(cni_msg "/run/netns/$P-c1" "$(conf | sed 's/"name":"web"/"name":"web","name":"ov"/')")"
check_eq "CNI stdin: invalid UTF-8 gets code 4" \
	"4 network configuration on stdin, line 1: invalid UTF-8" \
	"$(cni_msg "/run/netns/$P-c1" "$(conf | sed 's/"name":"web"/"name":"w\xffb"/')")"
check_eq "CNI: none of it changed anything" "$before" "$(snapshot)"

# --- item 14: values that cannot work -------------------------------------------------------
for s in "127.0.0.0/24 127.0.0.0/8 (loopback)" "224.1.0.0/24 224.0.0.0/4 (multicast)" \
	"240.0.0.0/24 240.0.0.0/4 (reserved, broadcast)" "0.0.0.0/8 0.0.0.0/8 (\"this network\")" \
	"169.254.1.0/24 169.254.0.0/16 (link-local)"; do
	set -- $s
	subnet=$1
	shift
	refused "subnet $subnet" "net create bad: subnet $subnet lies in $*, where endpoints cannot work" \
		cb h1 net create bad --subnet "$subnet"
done
for name in . .. -; do
	refused "network name '$name'" \
		"net create $name: invalid name (use 1-63 of A-Z a-z 0-9 _ . -, not starting with -, not . or ..)" \
		cb h1 net create "$name" --subnet 10.40.0.0/24
done
refused "endpoint name '-'" \
	"ep add -: invalid name (use 1-63 of A-Z a-z 0-9 _ . -, not starting with -, not . or ..)" \
	cb h1 ep add - --net web --netns "$P-c1"
refused "endpoint name '..'" \
	"ep add ..: invalid name (use 1-63 of A-Z a-z 0-9 _ . -, not starting with -, not . or ..)" \
	cb h1 ep add .. --net web --netns "$P-c1"
for mac in 00:00:00:00:00:00 ff:ff:ff:ff:ff:ff 01:00:5e:00:00:01; do
	refused "remote MAC $mac" "ep add r1: '$mac' is not a unicast MAC address" \
		cb h1 ep add r1 --net ov --remote h2 --ip 10.30.0.9 --mac "$mac"
done
for s in "0.0.0.0 0.0.0.0/8 (\"this network\")" "127.0.0.1 127.0.0.0/8 (loopback)" \
	"224.0.0.1 224.0.0.0/4 (multicast)" "255.255.255.255 240.0.0.0/4 (reserved, broadcast)"; do
	set -- $s
	ip=$1
	shift
	refused "underlay $ip" \
		"node add h3: underlay address $ip lies in $*: not a unicast address of a host" \
		cb h1 node add h3 --underlay "$ip"
done

lib_finish
