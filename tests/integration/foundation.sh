#!/usr/bin/env bash
# Same-host datapath on one simulated host: forwarding, ARP, defaults, pair policy, counters,
# map contents, XDP stage, unload/load, and bad input leaving live state untouched.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
for ns in a1 a2 b1 c1 c2 x1; do ns_add $ns; done

check "load pins programs and maps" cb h1 load
check_contains "a second load of the same build is a no-op" "already loaded" "$(cb h1 load)"
check "pinned maps exist" test -e "$(pin h1 cbpf_endpoints)" -a -e "$(pin h1 prog_tc_from_ep)"

check "net create neta" cb h1 net create neta --subnet 10.1.0.0/24
check "net create netb" cb h1 net create netb --subnet 10.2.0.0/24
check "net create netc with icc off" cb h1 net create netc --subnet 10.3.0.0/24 --icc off
check "ep add a1" cb h1 ep add a1 --net neta --netns "$P-a1"
check "ep add a2 with a fixed address" cb h1 ep add a2 --net neta --netns "$P-a2" --ip 10.1.0.3
check "ep add b1" cb h1 ep add b1 --net netb --netns "$P-b1"
check "ep add c1" cb h1 ep add c1 --net netc --netns "$P-c1"
check "ep add c2" cb h1 ep add c2 --net netc --netns "$P-c2"

check_eq "a1 got the first free address" "10.1.0.2/24" \
	"$(in_ns a1 ip -o -4 addr show dev eth0 | awk '{print $4}')"
check_eq "a1's default route is the gateway" "default via 10.1.0.1 dev eth0" \
	"$(in_ns a1 ip route show default | awk '{print $1, $2, $3, $4, $5}')"
check_eq "ep list --json is one document with 5 endpoints" "5" "$(cb h1 --json ep list | jq length)"

# Forwarding and ARP in BPF.
check "a1 pings a2 (same network)" ping_ok a1 10.1.0.3
check "TCP a1 -> a2" tcp_ok a1 a2 10.1.0.3 7001
check "TCP a2 -> a1" tcp_ok a2 a1 10.1.0.2 7002
check_eq "a1 learned a2's MAC from the BPF ARP reply" "02:cb:0a:01:00:03" \
	"$(in_ns a1 ip neigh show 10.1.0.3 | awk '{print $5}')"

# The host reaches its endpoints, as a bridge host reaches its containers.
a1_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "a1") | .host_ifname')
check_eq "the host routes a1's address through a1's host interface" "10.1.0.2 dev $a1_if" \
	"$(in_ns h1 ip route show 10.1.0.2/32 | awk '{print $1, $2, $3}')"
check "the host pings a1" ping_ok h1 10.1.0.2
check "TCP host -> a1" tcp_ok h1 a1 10.1.0.2 7010

# Docker defaults: networks are isolated from each other, icc off isolates inside.
before=$(drops h1 network-isolation)
check "a1 cannot reach b1 (other network)" ping_fails a1 10.2.0.2
check "TCP a1 -> b1 fails" tcp_fails a1 b1 10.2.0.2 7003
check_gt "network-isolation drops counted" "$(drops h1 network-isolation)" "$before"
check_eq "a1 learned the gateway MAC from the BPF ARP reply" "0a:cb:00:00:00:01" \
	"$(in_ns a1 ip neigh show 10.1.0.1 | awk '{print $5}')"
before=$(drops h1 icc-off)
check "c1 cannot reach c2 (icc off)" ping_fails c1 10.3.0.3
check_gt "icc-off drops counted" "$(drops h1 icc-off)" "$before"

# Pair policy.
check "policy set neta -> netb allow" cb h1 policy set neta netb allow
check "policy set netb -> neta allow" cb h1 policy set netb neta allow
check "a1 pings b1 once both directions are allowed" ping_ok a1 10.2.0.2
check "TCP a1 -> b1 across networks" tcp_ok a1 b1 10.2.0.2 7004
check "policy set a1 -> a2 deny" cb h1 policy set a1 a2 deny
before=$(drops h1 policy-deny)
check "a1 cannot reach a2 after the deny" ping_fails a1 10.1.0.3
check_gt "policy-deny drops counted" "$(drops h1 policy-deny)" "$before"
policy=$(map_dump h1 cbpf_policy)
check_eq "policy map holds the icc entry and three rules" "4" "$(echo "$policy" | jq length)"
check_eq "the deny entry is keyed by a1 and a2 identities and names its reason" \
	"65537 65538 2 6" \
	"$(echo "$policy" | jq -r '.[].formatted | select(.value.verdict == 2 and .key.src_identity > 65535) |
		"\(.key.src_identity) \(.key.dst_identity) \(.value.verdict) \(.value.drop_reason)"')"
check "policy del a1 a2" cb h1 policy del a1 a2
check "a1 reaches a2 again" ping_ok a1 10.1.0.3

# Map contents with field names (BTF).
eps=$(map_dump h1 cbpf_endpoints)
check_eq "endpoint map has 5 entries" "5" "$(echo "$eps" | jq length)"
ifindex=$(in_ns h1 cat /sys/class/net/cbe1/ifindex)
check_eq "a1's entry names its host interface, identity, network and MAC" \
	"$ifindex 65537 1 1 [2,203,10,1,0,2]" \
	"$(echo "$eps" | jq -c -r '.[].formatted.value | select(.identity == 65537) |
		"\(.ifindex) \(.identity) \(.net_id) \(.flags) \(.mac)"')"
check_eq "network map dump shows neta's gateway fields" "24 [10,203,0,0,0,1]" \
	"$(map_dump h1 cbpf_networks | jq -c -r '.[].formatted | select(.key.net_id == 1) |
		"\(.value.prefix_len) \(.value.gateway_mac)"')"

# The endpoint programs on TCX, XDP in front of them; somebody else's program beside them.
ep_hooks="tcx_ingress tc_from_ep,tcx_egress tc_to_ep"
check_eq "a1's host interface carries the endpoint programs at TCX ingress and egress" \
	"$ep_hooks" "$(hooks h1 cbe1)"
check_eq "attach --show lists them with the pinned programs' ids" \
	"tcx_ingress tc_from_ep id $(prog_id h1 prog_tc_from_ep),tcx_egress tc_to_ep id $(prog_id h1 prog_tc_to_ep)" \
	"$(in_ns h1 "$CBPFNET" attach --show cbe1 | paste -sd,)"
check "a foreign program at TCX ingress of a1's host interface" in_ns h1 "$TCX_NOOP" cbe1 ingress
check "attach a1's host interface by hand" cb h1 attach cbe1
check "attach a1's host interface by hand, twice" cb h1 attach cbe1 --tc
check_eq "attaching twice leaves one program of cbpfnet's per hook, the foreign one behind it" \
	"tcx_ingress tc_from_ep,tcx_ingress tc_noop,tcx_egress tc_to_ep" "$(hooks h1 cbe1)"
check "with the foreign program on the hook, TCP a1 -> a2" tcp_ok a1 a2 10.1.0.3 7006
check "attach --xdp on a1's host interface" cb h1 attach cbe1 --xdp
check_eq "status shows tc+xdp on a1" "tc+xdp" \
	"$(cb h1 --json status | jq -r '.endpoints[] | select(.name == "a1") | .attached')"
check_eq "XDP is listed after TCX" "tcx_ingress tc_from_ep,tcx_ingress tc_noop,tcx_egress tc_to_ep,xdp xdp_from_ep" \
	"$(hooks h1 cbe1)"
check "with XDP, a1 still reaches a2" ping_ok a1 10.1.0.3
check "with XDP, TCP a1 -> a2" tcp_ok a1 a2 10.1.0.3 7005
# XDP passes what it allowed on to TC with a mark: each packet is judged, and counted, once.
check "policy set a1 -> a2 allow (a counted rule)" cb h1 policy set a1 a2 allow
rule_packets() { cb h1 --json policy stats | jq '[.[] | select(.from == "ep:a1" and .to == "ep:a2") | .packets] | add // 0'; }
before=$(rule_packets)
check "with XDP, 5 pings a1 -> a2" in_ns a1 ping -c 5 -i 0.2 -W 2 10.1.0.3
check_eq "with XDP, the allow rule counts each of the 5 requests once" 5 $(($(rule_packets) - before))
check "policy set a1 -> a2 deny again" cb h1 policy set a1 a2 deny
before=$(drops h1 policy-deny)
check "XDP drops the denied pair" ping_fails a1 10.1.0.3
check_gt "policy-deny counted by the XDP stage" "$(drops h1 policy-deny)" "$before"
check_eq "the XDP program is the pinned one" \
	"$(bpftool -j prog show pinned "$(pin h1 prog_xdp_from_ep)" | jq .id)" \
	"$(in_ns h1 ip -j link show cbe1 | jq '.[0].xdp.prog.id')"
check "detach removes both hooks" cb h1 detach cbe1
check_eq "status shows none on a1" "none" \
	"$(cb h1 --json status | jq -r '.endpoints[] | select(.name == "a1") | .attached')"
check_eq "detach leaves the foreign program alone" "tcx_ingress tc_noop" "$(hooks h1 cbe1)"
check "detach again: nothing of cbpfnet's there is fine" cb h1 detach cbe1
xdp_prog() { in_ns h1 ip -j link show "$1" | jq '.[0].xdp.prog.id // 0'; }
check "a foreign XDP program on a1's host interface (no link)" in_ns h1 "$TCX_NOOP" cbe1 xdp
foreign_xdp=$(xdp_prog cbe1)
check_eq "status does not take it for cbpfnet's" "none" \
	"$(cb h1 --json status | jq -r '.endpoints[] | select(.name == "a1") | .attached')"
out=$(cb h1 attach cbe1 --xdp 2>&1)
check_eq "attach --xdp next to it exits 1" "1" "$?"
check_contains "... and says whose program is in the way" \
	"attach: XDP program on cbe1: its XDP hook holds a program cbpfnet did not attach" "$out"
check_eq "... which is still there" "$foreign_xdp" "$(xdp_prog cbe1)"
check "detach with it there succeeds" cb h1 detach cbe1
check_eq "... and leaves it there too" "$foreign_xdp" "$(xdp_prog cbe1)"
in_ns h1 ip link set dev cbe1 xdp off
check "policy del a1 a2 again" cb h1 policy del a1 a2

# Bad input: one line on stderr naming the object, exit != 0, nothing changed.
snapshot() {
	for m in cbpf_endpoints cbpf_networks cbpf_policy; do map_dump h1 $m | jq -S -c 'sort_by(.key)'; done
	in_ns h1 ip -o link show | awk -F': ' '{print $2}' | sort
	sqlite3 "$WORK/h1/state/cbpfnet.db" .dump
}
bad_input h1 "unknown network" "ep add x1: no such network 'nope'" \
	cb h1 ep add x1 --net nope --netns "$P-x1"
bad_input h1 "overlapping subnet" "net create netd: subnet 10.1.0.0/16 overlaps network neta (10.1.0.0/24)" \
	cb h1 net create netd --subnet 10.1.0.0/16
bad_input h1 "address outside the subnet" "ep add x1: address 10.9.0.5 is not a free host address of network neta" \
	cb h1 ep add x1 --net neta --netns "$P-x1" --ip 10.9.0.5
bad_input h1 "address taken" "ep add x1: address 10.1.0.2 is taken by endpoint a1" \
	cb h1 ep add x1 --net neta --netns "$P-x1" --ip 10.1.0.2
bad_input h1 "gateway address" "ep add x1: address 10.1.0.1 is not a free host address" \
	cb h1 ep add x1 --net neta --netns "$P-x1" --ip 10.1.0.1
bad_input h1 "missing netns" "ep add x1: netns $P-missing: No such file or directory" \
	cb h1 ep add x1 --net neta --netns "$P-missing"
# A namespace that already routes elsewhere: the batch's last step is refused, all of it undone.
ns_add x2
ip -n "$P-x2" link add v0 type veth peer name v1
ip -n "$P-x2" addr add 10.77.0.2/24 dev v0
ip -n "$P-x2" link set v0 up
ip -n "$P-x2" route add default via 10.77.0.1
bad_input h1 "netns with a default route" \
	"ep add x2: default route in netns $P-x2: the namespace already has one" \
	cb h1 ep add x2 --net neta --netns "$P-x2"
check_eq "the refused endpoint left no interface in its netns" "lo v0 v1" \
	"$(ip -n "$P-x2" -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | sort | xargs)"
bad_input h1 "existing endpoint" "ep add a1: endpoint already exists" \
	cb h1 ep add a1 --net neta --netns "$P-x1"
bad_input h1 "existing network" "net create neta: network already exists" \
	cb h1 net create neta --subnet 10.9.0.0/24
bad_input h1 "subnet with host bits" "net create netd: subnet '10.9.0.1/24' is not an IPv4 network" \
	cb h1 net create netd --subnet 10.9.0.1/24
bad_input h1 "bad icc value" "net create netd: --icc takes on or off, not 'maybe'" \
	cb h1 net create netd --subnet 10.9.0.0/24 --icc maybe
bad_input h1 "deleting a network in use" "net delete neta: 2 endpoint(s) still attached" \
	cb h1 net delete neta
bad_input h1 "policy on an unknown object" "policy set: no endpoint or network named 'ghost'" \
	cb h1 policy set a1 ghost deny
bad_input h1 "non-root" "cbpfnet: ep: permission denied on the agent's socket" \
	setpriv --reuid=65534 --regid=65534 --clear-groups "$CBPFNET" --bpffs "$WORK/h1/bpffs" \
	--state "$WORK/h1/state" ep add x1 --net neta --netns "$P-x1"
# A different build's pins with another map layout: overwrite the recorded build and ABI, then load.
meta=$(pin h1 cbpf_meta)
orig=$(bpftool -j map lookup pinned "$meta" key 0 0 0 0 | jq -r '.value | join(" ")')
bpftool map update pinned "$meta" key 0 0 0 0 value 1 2 3 4 5 6 7 8 1 0 0 0 0 0 0 0
bad_input h1 "load over another build's pins" "holds programs of another build" cb h1 load
bpftool map update pinned "$meta" key 0 0 0 0 value $orig

# Endpoint removal and the unload/load cycle.
check "ep del a2" cb h1 ep del a2
check_eq "a2's map entry is gone" "4" "$(map_dump h1 cbpf_endpoints | jq length)"
check_fail "a2's host interface is gone" in_ns h1 ip link show cbe2
check "a1 no longer reaches a2's address" ping_fails a1 10.1.0.3
check_eq "the host's route to a2 went with its interface" "" "$(in_ns h1 ip route show 10.1.0.3/32)"
check "unload" cb h1 unload
check_fail "pins are gone after unload" test -e "$(pin h1 cbpf_endpoints)"
check_eq "nothing of cbpfnet's left on a1's interface, the foreign program stays" \
	"tcx_ingress tc_noop" "$(hooks h1 cbe1)"
b1_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "b1") | .host_ifname')
check_eq "nothing left on b1's host interface" "" "$(hooks h1 "$b1_if")"
check "load again" cb h1 load
check_eq "after reload, a1's programs are back, first on their hooks" \
	"tcx_ingress tc_from_ep,tcx_ingress tc_noop,tcx_egress tc_to_ep" "$(hooks h1 cbe1)"
check "after reload, endpoints are re-attached: a1 pings b1" ping_ok a1 10.2.0.2
check_eq "after reload, the endpoint map is rebuilt from state" "4" \
	"$(map_dump h1 cbpf_endpoints | jq length)"

# Pins lost while the programs stay attached (bpffs remounted): a load replaces the old
# programs in place with the new ones.
old_id=$(hook_id h1 cbe1 tcx_ingress tc_from_ep)
rm -r "$WORK/h1/bpffs/cbpfnet"
check "load into an empty pin directory" cb h1 load
check_eq "the old programs are replaced, not stacked" \
	"tcx_ingress tc_from_ep,tcx_ingress tc_noop,tcx_egress tc_to_ep" "$(hooks h1 cbe1)"
check_eq "a1's TCX ingress program is the newly pinned one" "$(prog_id h1 prog_tc_from_ep)" \
	"$(hook_id h1 cbe1 tcx_ingress tc_from_ep)"
check "... which is not the old one" test "$old_id" != "$(hook_id h1 cbe1 tcx_ingress tc_from_ep)"
check "with the new programs, TCP a1 -> b1" tcp_ok a1 b1 10.2.0.2 7007

lib_finish
