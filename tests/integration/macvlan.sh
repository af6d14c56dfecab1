#!/usr/bin/env bash
# macvlan model across simulated hosts whose ul0 uplinks sit on the fabric bridge: the four modes'
# reachability, 802.1Q tags in BPF (on the wire and VLAN isolation), pair policy, the host shim,
# unload/load, and bad input leaving live state untouched.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
# h2's shim is deleted by hand for `sync` to make again: no look after commits to race with it.
host_add h2 2 --recheck 0
host_add h3 3
host_add h4 4
for ns in a1 a2 b1 x1 v1 v2 p1 p2 p3 i1 i2 k1 e1 e2 z1 s1; do ns_add $ns; done
for h in h1 h2 h3 h4; do check "load on $h" cb $h load; done

mv() { cb "$@" --model macvlan --parent ul0; }
check "h1: bridge network on VLAN 10" mv h1 net create nbr --subnet 10.20.0.0/24 --mode bridge --vlan 10
check "h2: the same network, VLAN 10" mv h2 net create nbr --subnet 10.20.0.0/24 --mode bridge --vlan 10
check "h3: the same subnet on VLAN 11" mv h3 net create nbr --subnet 10.20.0.0/24 --mode bridge --vlan 11
check "h1: vepa network on VLAN 30" mv h1 net create nvepa --subnet 10.22.0.0/24 --mode vepa --vlan 30
check "h1: private network on VLAN 40" mv h1 net create npriv --subnet 10.23.0.0/24 --mode private --vlan 40
check "h2: private network on VLAN 40" mv h2 net create npriv --subnet 10.23.0.0/24 --mode private --vlan 40
check "h1: icc-off network on VLAN 50" mv h1 net create nicc --subnet 10.25.0.0/24 --vlan 50 --icc off
check "h2: untagged network with host access" mv h2 net create nha --subnet 10.24.0.0/24 --host-access
check "h4: passthru network on VLAN 10" mv h4 net create npt --subnet 10.20.0.0/24 --mode passthru --vlan 10

check "ep add a1" cb h1 ep add a1 --net nbr --netns "$P-a1" --ip 10.20.0.2
check "ep add a2" cb h1 ep add a2 --net nbr --netns "$P-a2" --ip 10.20.0.3
check "ep add b1 on h2" cb h2 ep add b1 --net nbr --netns "$P-b1" --ip 10.20.0.4
check "ep add x1 on h3 (VLAN 11)" cb h3 ep add x1 --net nbr --netns "$P-x1" --ip 10.20.0.5
check "ep add v1" cb h1 ep add v1 --net nvepa --netns "$P-v1"
check "ep add v2" cb h1 ep add v2 --net nvepa --netns "$P-v2"
check "ep add p1" cb h1 ep add p1 --net npriv --netns "$P-p1" --ip 10.23.0.2
check "ep add p2" cb h1 ep add p2 --net npriv --netns "$P-p2" --ip 10.23.0.3
check "ep add p3 on h2" cb h2 ep add p3 --net npriv --netns "$P-p3" --ip 10.23.0.4
check "ep add i1" cb h1 ep add i1 --net nicc --netns "$P-i1"
check "ep add i2" cb h1 ep add i2 --net nicc --netns "$P-i2"
check "ep add k1 on h2" cb h2 ep add k1 --net nha --netns "$P-k1"
check "ep add e1 on h4 (passthru)" cb h4 ep add e1 --net npt --netns "$P-e1" --ip 10.20.0.6

a1_link=$(in_ns a1 ip -j -d link show eth0)
check_eq "a1's eth0 is a bridge-mode macvlan with the endpoint's MAC" "macvlan bridge 02:cb:0a:14:00:02" \
	"$(echo "$a1_link" | jq -r '.[0] | "\(.linkinfo.info_kind) \(.linkinfo.info_data.mode) \(.address)"')"
check_eq "v1's eth0 is in vepa mode, p1's in private mode" "vepa private" \
	"$(in_ns v1 ip -j -d link show eth0 | jq -r '.[0].linkinfo.info_data.mode') $(in_ns p1 ip -j -d link show eth0 | jq -r '.[0].linkinfo.info_data.mode')"
check_eq "e1's passthru macvlan carries h4's uplink MAC" \
	"passthru $(in_ns h4 cat /sys/class/net/ul0/address)" \
	"$(in_ns e1 ip -j -d link show eth0 | jq -r '.[0] | "\(.linkinfo.info_data.mode) \(.address)"')"
check_eq "a1's default route is the gateway" "default via 10.20.0.1 dev eth0" \
	"$(in_ns a1 ip route show default | awk '{print $1, $2, $3, $4, $5}')"
macvlan_hooks="tcx_ingress tc_macvlan_ingr,tcx_egress tc_macvlan_egre"
check_eq "a1's eth0 carries the macvlan programs at TCX ingress and egress" "$macvlan_hooks" "$(hooks a1 eth0)"
check_eq "the TCX egress program is the pinned one" "$(prog_id h1 prog_tc_macvlan_egress)" \
	"$(hook_id a1 eth0 tcx_egress tc_macvlan_egre)"

# Bridge mode: siblings inside the host, peers on the same VLAN across the fabric.
check "bridge: a1 pings sibling a2" ping_ok a1 10.20.0.3
check "bridge: TCP a1 -> a2" tcp_ok a1 a2 10.20.0.3 7101
check "bridge: a1 pings b1 on h2 (same VLAN)" ping_ok a1 10.20.0.4
check "bridge: TCP b1 -> a1 across hosts" tcp_ok b1 a1 10.20.0.2 7102
check "passthru: e1 on h4 pings a1 (same VLAN)" ping_ok e1 10.20.0.2

# Tags on the wire: a capture on h1's fabric port dissected by tshark.
pcap=$(capture fab h1-up "vlan and icmp" 2 in_ns a1 ping -c 1 -W 2 10.20.0.4)
check_eq "fabric sees a1's echo request tagged with VLAN 10 and its reply too" \
	"10 10.20.0.2 10.20.0.4,10 10.20.0.4 10.20.0.2" \
	"$(tshark -r "$pcap" -T fields -e vlan.id -e ip.src -e ip.dst 2>/dev/null | tr '\t' ' ' | paste -sd,)"

# VLAN isolation: same subnet, VLAN 11 on h3.
before=$(drops h3 vlan-mismatch)
check "VLAN 10 a1 cannot reach VLAN 11 x1" ping_fails a1 10.20.0.5
check "VLAN 11 x1 cannot reach VLAN 10 b1" ping_fails x1 10.20.0.4
check_gt "h3 counted vlan-mismatch drops" "$(drops h3 vlan-mismatch)" "$before"

# VEPA: sibling traffic goes out to the switch and only comes back with hairpin on.
check "vepa: v1 cannot reach v2 without a hairpin switch port" ping_fails v1 10.22.0.3
in_ns fab bridge link set dev h1-up hairpin on
check "vepa: v1 pings v2 through the hairpin port" ping_ok v1 10.22.0.3
pcap=$(capture fab h1-up "vlan and icmp" 2 ping_ok v1 10.22.0.3)
check_contains "vepa: the sibling echo request crossed the switch tagged VLAN 30" "30 10.22.0.2 10.22.0.3" \
	"$(tshark -r "$pcap" -T fields -e vlan.id -e ip.src -e ip.dst 2>/dev/null | tr '\t' ' ')"
check "vepa: TCP v2 -> v1" tcp_ok v2 v1 10.22.0.2 7103

# Private: siblings never talk, even through the hairpin switch; other hosts are fine.
check "private: p1 cannot reach sibling p2 (hairpin on)" ping_fails p1 10.23.0.3
check "private: p1 pings p3 on h2" ping_ok p1 10.23.0.4

# Pair policy and icc off on macvlan endpoints.
before=$(drops h1 icc-off)
check "icc off: i1 cannot reach i2" ping_fails i1 10.25.0.3
check_gt "icc-off drops counted" "$(drops h1 icc-off)" "$before"
check "a flow a1 -> a2 in progress stops when a1 -> a2 deny is set" \
	stream_cut a1 10.20.0.3 cb h1 policy set a1 a2 deny
before=$(drops h1 policy-deny)
check "a1 cannot reach a2 after the deny" ping_fails a1 10.20.0.3
check "TCP a1 -> a2 fails after the deny" tcp_fails a1 a2 10.20.0.3 7104
check_gt "policy-deny drops counted" "$(drops h1 policy-deny)" "$before"
check_contains "explain judges two local macvlan endpoints: the deny and its rule" \
	"a1 -> a2: deny (policy-deny)
  rule s1 at policy set rule 1: ep:a1 -> ep:a2 deny" "$(cb h1 policy explain a1 a2 2>&1)"
check_contains "explain of the reverse way: the default within a network" \
	"a2 -> a1: allow
  default: same network" "$(cb h1 policy explain a2 a1 2>&1)"
check "a1 still reaches b1" ping_ok a1 10.20.0.4
check "policy del a1 a2" cb h1 policy del a1 a2
check "a1 reaches a2 again" ping_ok a1 10.20.0.3
# A sibling's frame is judged on the sender's egress and, carrying its mark, not again on
# receipt: the rule counts each request once. A frame from another host is judged on receipt.
check "policy set a1 -> a2 allow (a counted rule)" cb h1 policy set a1 a2 allow
check "policy set nbr -> a1 allow (a counted rule: b1 on h2 is nbr to h1)" cb h1 policy set nbr a1 allow
rule_packets() { cb h1 --json policy stats | jq --arg f "$1" --arg t "$2" '[.[] | select(.from == $f and .to == $t) | .packets] | add // 0'; }
before=$(rule_packets ep:a1 ep:a2)
check "5 pings a1 -> a2" in_ns a1 ping -c 5 -i 0.2 -W 2 10.20.0.3
check_eq "the sibling rule counts each of the 5 requests once" 5 $(($(rule_packets ep:a1 ep:a2) - before))
before=$(rule_packets net:nbr ep:a1)
check "5 pings b1 on h2 -> a1" in_ns b1 ping -c 5 -i 0.2 -W 2 10.20.0.2
check_eq "h1 judges each of b1's 5 requests on receipt" 5 $(($(rule_packets net:nbr ep:a1) - before))
check_contains "explain takes b1's address (on h2, unknown to h1) for network nbr, as a1's programs do" \
	"10.20.0.4 -> a1: allow" "$(cb h1 policy explain 10.20.0.4 a1 2>&1)"
check_contains "and names the counted rule" ": net:nbr -> ep:a1 allow" \
	"$(cb h1 policy explain 10.20.0.4 a1 2>&1)"
check "policy del a1 a2" cb h1 policy del a1 a2
check "policy del nbr a1" cb h1 policy del nbr a1

# A denied sender sees loss, not an error, in every mode: the sender's own egress program drops.
check "policy set a1 a2 deny, v1 v2 deny, p1 npriv deny (p3 on h2 counts as npriv)" eval \
	'cb h1 policy set a1 a2 deny && cb h1 policy set v1 v2 deny && cb h1 policy set p1 npriv deny'
check "h4: policy set e1 npt deny (a1 on h1 counts as npt there)" cb h4 policy set e1 npt deny
check "bridge: a1 -> sibling a2 denied: loss, no error, counted" denied_quietly h1 policy-deny a1 10.20.0.3
check "vepa: v1 -> v2 (hairpin) denied: loss, no error, counted" denied_quietly h1 policy-deny v1 10.22.0.3
check "private: p1 -> p3 on h2 denied: loss, no error, counted" denied_quietly h1 policy-deny p1 10.23.0.4
check "passthru: e1 -> a1 denied: loss, no error, counted" denied_quietly h4 policy-deny e1 10.20.0.2
check "the denied sender's TCP connect times out" tcp_fails a1 a2 10.20.0.3 7105
check "the deny holds one way: a2 still reaches a1" ping_ok a2 10.20.0.2
check "policy del of the four denies" eval 'cb h1 policy del a1 a2 && cb h1 policy del v1 v2 &&
	cb h1 policy del p1 npriv && cb h4 policy del e1 npt'
check "bridge: a1 reaches a2 again" ping_ok a1 10.20.0.3

# Host access through the shim.
check_eq "h2's shim holds the subnet's last address" "10.24.0.254/32" \
	"$(in_ns h2 ip -o -4 addr show dev cbm3 | awk '{print $4}')"
check "h2 pings its endpoint k1 through the shim" ping_ok h2 10.24.0.2
check "k1 pings the host's shim address" ping_ok k1 10.24.0.254
check "h1 (no shim) cannot reach its endpoint a1" ping_fails h1 10.20.0.2
in_ns h2 ip link del cbm3
check_contains "the shim deleted by hand: sync makes it again" \
	"network nha: made again: link" "$(cb h2 sync)"
check_eq "... with its address" "10.24.0.254/32" \
	"$(in_ns h2 ip -o -4 addr show dev cbm3 | awk '{print $4}')"
check "... and h2 pings k1 through it again" ping_ok h2 10.24.0.2

# Maps.
ifindex=$(in_ns a1 cat /sys/class/net/eth0/ifindex)
check_eq "a1's eth0 got its host-unique ifindex" "$((0x40000001))" "$ifindex"
check_eq "a1's endpoint entry: ifindex, macvlan flag, network" "$ifindex 4 1" \
	"$(map_dump h1 cbpf_endpoints | jq -r '.[].formatted.value | select(.identity == 65537) | "\(.ifindex) \(.flags) \(.net_id)"')"
check_eq "link map names a1's address (bytes 10.20.0.2) and network" '["0x0a","0x14","0x00","0x02"] 1' \
	"$(map_dump h1 cbpf_macvlan_links | jq -c -r --argjson i "$ifindex" '.[] | select(.formatted.key.ifindex == $i) | "\(.value[0:4]) \(.formatted.value.net_id)"')"
check_eq "network map holds nbr's VLAN" "10" \
	"$(map_dump h1 cbpf_networks | jq -r '.[].formatted | select(.key.net_id == 1) | .value.vlan')"

# Bad input: one line on stderr naming the object, exit != 0, nothing changed.
snapshot() {
	for m in cbpf_endpoints cbpf_networks cbpf_policy cbpf_macvlan_links; do
		map_dump "$1" $m | jq -S -c 'sort_by(.key)'
	done
	in_ns "$1" ip -o link show | awk -F': ' '{print $2}' | sort
	for ns in a1 e1 z1; do in_ns $ns ip -o link show | awk -F': ' '{print $2}'; done
	sqlite3 "$WORK/$1/state/cbpfnet.db" .dump
}
bad_input h1 "missing parent" "net create m1: model macvlan needs --parent IFACE" \
	cb h1 net create m1 --model macvlan --subnet 10.30.0.0/24
bad_input h1 "parent not on the host" "net create m1: parent interface 'nope0' does not exist on this host" \
	cb h1 net create m1 --model macvlan --parent nope0 --subnet 10.30.0.0/24
bad_input h1 "VLAN 0" "net create m1: VLAN ID 0 is outside 1..4094" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vlan 0
bad_input h1 "VLAN 4095" "net create m1: VLAN ID 4095 is outside 1..4094" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vlan 4095
bad_input h1 "VLAN not a number" "net create m1: VLAN ID ten is outside 1..4094" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vlan ten
bad_input h1 "unknown mode" "net create m1: --mode takes bridge, vepa, private or passthru, not 'hub'" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --mode hub --vlan 60
bad_input h1 "VNI on macvlan" "net create m1: --vni does not apply to model macvlan" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vni 5000
bad_input h1 "a VLAN the parent already carries" "net create m1: parent ul0 already carries network nbr on VLAN 10" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vlan 10
bad_input h1 "passthru on a parent in use" "net create m1: parent ul0 is already used by network nbr; passthru needs it alone" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --mode passthru --vlan 60
bad_input h4 "parent already owned in passthru" "net create m1: parent ul0 is owned by passthru network npt" \
	mv h4 net create m1 --subnet 10.30.0.0/24 --vlan 60
bad_input h4 "a second passthru endpoint" "ep add e2: network npt is passthru and endpoint e1 already owns parent ul0" \
	cb h4 ep add e2 --net npt --netns "$P-e2"
bad_input h1 "host access on a tagged network" "net create m1: --host-access needs an untagged network" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --vlan 60 --host-access
bad_input h1 "host access in passthru" "net create m1: --host-access does not apply to mode passthru" \
	mv h1 net create m1 --subnet 10.30.0.0/24 --mode passthru --host-access
bad_input h2 "the shim's address" "ep add z1: address 10.24.0.254 is reserved for the host shim of network nha" \
	cb h2 ep add z1 --net nha --netns "$P-z1" --ip 10.24.0.254
bad_input h1 "mode change on a network with endpoints (re-create)" "net create nbr: network already exists" \
	mv h1 net create nbr --subnet 10.20.0.0/24 --mode vepa --vlan 10
bad_input h1 "an interface name taken in the netns" "ep add z1: create macvlan lo on ul0 in netns $P-z1: an interface of that name exists" \
	cb h1 ep add z1 --net nbr --netns "$P-z1" --ifname lo

# net set --mode: the kernel fixes a macvlan's mode at creation, so only an empty network changes.
bad_input h1 "mode change on a network with endpoints" \
	"net set nbr: 2 endpoint(s) use the network; its mode changes only without endpoints" \
	cb h1 net set nbr --mode vepa
bad_input h1 "mode change to an unknown mode" \
	"net set nbr: --mode takes bridge, vepa, private or passthru, not 'hub'" cb h1 net set nbr --mode hub
bad_input h1 "mode change of a missing network" "net set nope: no such network" \
	cb h1 net set nope --mode vepa
check "h3: empty bridge network on VLAN 12" mv h3 net create nset --subnet 10.26.0.0/24 --vlan 12
bad_input h3 "mode change to passthru on a shared parent" \
	"net set nset: parent ul0 is already used by network nbr; passthru needs it alone" \
	cb h3 net set nset --mode passthru
check "h3: the empty network changes to private" cb h3 net set nset --mode private
before=$(epoch h3)
check "h3: ep add s1 on it" cb h3 ep add s1 --net nset --netns "$P-s1"
check_gt "ep add moves the policy epoch" "$(epoch h3)" "$before"
check_eq "s1's macvlan is made in the new mode" private \
	"$(in_ns s1 ip -j -d link show eth0 | jq -r '.[0].linkinfo.info_data.mode')"
before=$(epoch h3)
check "h3: ep del s1" cb h3 ep del s1
check_gt "ep del moves the policy epoch" "$(epoch h3)" "$before"

# A second load of the same build attaches again: in place, nothing stacks.
check "load h1 a second time" cb h1 load
check_eq "after a second load, one program on each of a1's hooks" "$macvlan_hooks" "$(hooks a1 eth0)"

# unload detaches, load re-attaches and rebuilds the link map; somebody else's program stays.
check "a foreign program at TCX egress of a1's eth0" in_ns a1 "$TCX_NOOP" eth0 egress
check_eq "the foreign program runs behind cbpfnet's" "$macvlan_hooks,tcx_egress tc_noop" "$(hooks a1 eth0)"
check "unload h1" cb h1 unload
check_eq "nothing of cbpfnet's left on a1's eth0, the foreign program stays" "tcx_egress tc_noop" \
	"$(hooks a1 eth0)"
check "load h1 again" cb h1 load
check_eq "after reload, cbpfnet's programs are back, first on their hooks" \
	"$macvlan_hooks,tcx_egress tc_noop" "$(hooks a1 eth0)"
check "after reload, a1 pings a2" ping_ok a1 10.20.0.3
check "after reload, a1 pings b1 (tag pushed again)" ping_ok a1 10.20.0.4
check_eq "after reload, the link map is rebuilt (8 endpoints on h1)" "8" "$(map_dump h1 cbpf_macvlan_links | jq length)"
before=$(drops h1 icc-off)
check "after reload, icc off still holds" ping_fails i1 10.25.0.3
check_gt "after reload, icc-off counted" "$(drops h1 icc-off)" "$before"

# Endpoint and network removal.
check "ep del a2" cb h1 ep del a2
check_fail "a2's macvlan is gone" in_ns a2 ip link show eth0
check_eq "a2's entries are gone from both maps" "7 7" \
	"$(map_dump h1 cbpf_endpoints | jq length) $(map_dump h1 cbpf_macvlan_links | jq length)"
check "ep del k1" cb h2 ep del k1
check "net delete nha removes the shim" cb h2 net delete nha
check_fail "h2's shim is gone" in_ns h2 ip link show cbm3

lib_finish
