#!/usr/bin/env bash
# VxLAN overlay across three simulated hosts, VLAN segments inside one VNI, the wire format,
# MTU, interoperation with the kernel's own vxlan + bridge, and bad input.
source "$(dirname "$0")/../lib.sh"
lib_init

HOSTS3=(h1 h2 h3)
for i in 1 2 3; do host_add "h$i" "$i"; done
for h in "${HOSTS3[@]}"; do
	check "$h: load" cb "$h" load
	for i in 1 2 3; do cb "$h" node add "h$i" --underlay "198.18.0.$i" >/dev/null; done
	check "$h: ov1 (VNI 100)" cb "$h" net create ov1 --model overlay --subnet 10.50.0.0/24 --vni 100
	check "$h: ov2 (VNI 200)" cb "$h" net create ov2 --model overlay --subnet 10.60.0.0/24 --vni 200
	check "$h: seg10 (VNI 300, VLAN 10)" cb "$h" net create seg10 --model overlay \
		--subnet 10.70.0.0/24 --vni 300 --vlan 10
	check "$h: seg20 (VNI 300, VLAN 20)" cb "$h" net create seg20 --model overlay \
		--subnet 10.71.0.0/24 --vni 300 --vlan 20
done
check_eq "h1 knows itself as the node on ul0" "h1 ul0" \
	"$(cb h1 --json node list | jq -r '.[] | select(.local) | "\(.name) \(.ifname)"')"
check_eq "h1's ul0 carries the tunnel program at TCX ingress, once" "tcx_ingress tc_from_underla" \
	"$(hooks h1 ul0)"

# endpoint NAME HOST NET IP: local on HOST, registered as remote on the two others.
endpoint() {
	local name=$1 host=$2 net=$3 ip=$4 h
	ns_add "$name"
	cb "$host" ep add "$name" --net "$net" --netns "$P-$name" --ip "$ip" >/dev/null
	for h in "${HOSTS3[@]}"; do
		[ "$h" = "$host" ] || cb "$h" ep add "$name" --net "$net" --remote "$host" --ip "$ip" >/dev/null
	done
}
endpoint e1 h1 ov1 10.50.0.11
endpoint e2 h2 ov1 10.50.0.12
endpoint e3 h3 ov1 10.50.0.13
endpoint f1 h1 ov2 10.60.0.11
endpoint f2 h2 ov2 10.60.0.12
endpoint s10a h1 seg10 10.70.0.11
endpoint s10b h2 seg10 10.70.0.12
endpoint s20b h2 seg20 10.71.0.12
check_eq "h1's endpoint map holds 3 local and 5 remote endpoints" "3 5" \
	"$(map_dump h1 cbpf_endpoints | jq -r '[.[].formatted.value.flags] | "\(map(select(. == 1)) | length) \(map(select(. == 2)) | length)"')"
check_eq "e2's entry on h1 points at h2's underlay address" "$(printf '%d' 0x020012c6)" \
	"$(map_dump h1 cbpf_endpoints | jq -r '.[].formatted | select(.key.ip == 201339402) | .value.node_ip')"

for pair in "e1 10.50.0.12" "e1 10.50.0.13" "e2 10.50.0.11" "e2 10.50.0.13" "e3 10.50.0.11" "e3 10.50.0.12"; do
	check "ov1: ${pair% *} pings ${pair#* } across hosts" ping_ok $pair
done
check "ov1: TCP e1 -> e3" tcp_ok e1 e3 10.50.0.13 7201
check "ov1: TCP e3 -> e2" tcp_ok e3 e2 10.50.0.12 7202
check "ov1: UDP e2 -> e1" udp_ok e2 e1 10.50.0.11 7203
check "ov1: UDP e1 -> e3" udp_ok e1 e3 10.50.0.13 7204
check "ov1: 16 MB over TCP e1 -> e2 arrive intact (SHA-256)" bulk_ok e1 e2 10.50.0.12 7205 16
check "ov2: f1 pings f2" ping_ok f1 10.60.0.12
check "ov1 and ov2 stay apart: e1 cannot reach f2" ping_fails e1 10.60.0.12
check "seg10: s10a pings s10b" ping_ok s10a 10.70.0.12
check "seg10 and seg20 stay apart: s10a cannot reach s20b" ping_fails s10a 10.71.0.12

# The wire: tshark dissects the underlay frames as VxLAN with the right VNI and inner headers.
pcap=$(capture fab h1-up "udp port 4789" 2 ping_ok e1 10.50.0.12)
fields=$(tshark -r "$pcap" -T fields -e vxlan.vni -e ip.src -e ip.dst -e udp.srcport 2>/dev/null | head -1)
check_eq "ov1 frame: VNI 100, outer 198.18.0.1 -> .2, inner 10.50.0.11 -> .12" \
	"100 198.18.0.1,10.50.0.11 198.18.0.2,10.50.0.12" "$(echo "$fields" | awk '{print $1, $2, $3}')"
sport=$(echo "$fields" | awk '{print $4}')
check "outer UDP source port $sport is in the dynamic range" test "${sport:-0}" -ge 49152
pcap=$(capture fab h1-up "udp port 4789" 2 ping_ok s10a 10.70.0.12)
check_eq "seg10 frame: VNI 300 with inner 802.1Q tag 10" "300 10" \
	"$(tshark -r "$pcap" -T fields -e vxlan.vni -e vlan.id 2>/dev/null | head -1 | awk '{print $1, $2}')"

# Hand-made frames probe the decapsulation side.
send_vxlan() { in_ns h2 /usr/bin/python3 "$REPO/tests/vxlan_send.py" "$@"; }
before=$(drops h1 unknown-vni)
send_vxlan 198.18.0.1 999 0 10.50.0.12 10.50.0.11 02:cb:0a:32:00:0b
check_gt "unknown VNI 999 is dropped and counted" "$(drops h1 unknown-vni)" "$before"
before=$(drops h1 unknown-endpoint)
send_vxlan 198.18.0.1 300 20 10.71.0.12 10.70.0.11 02:cb:0a:46:00:0b
check_gt "VLAN 20 frame for a VLAN 10 endpoint is dropped" "$(drops h1 unknown-endpoint)" "$before"
before=$(drops h1 unknown-endpoint)
send_vxlan 198.18.0.1 200 0 10.60.0.12 10.50.0.11 02:cb:0a:32:00:0b
check_gt "VNI 200 (ov2) frame for an ov1 endpoint is dropped" "$(drops h1 unknown-endpoint)" "$before"
before=$(drops h1 tunnel-src-mismatch)
in_ns h3 /usr/bin/python3 "$REPO/tests/vxlan_send.py" 198.18.0.1 100 0 10.50.0.12 10.50.0.11 02:cb:0a:32:00:0b
check_gt "e2's address tunnelled from h3 (not its node) is dropped as a source mismatch" \
	"$(drops h1 tunnel-src-mismatch)" "$before"
pcap=$(capture s10a eth0 "icmp" 1 send_vxlan 198.18.0.1 300 10 10.70.0.12 10.70.0.11 02:cb:0a:46:00:0b)
check_eq "a VLAN 10 frame from s10b's node reaches s10a, tag removed" "10.70.0.12 10.70.0.11 " \
	"$(tshark -r "$pcap" -T fields -e ip.src -e ip.dst -e vlan.id 2>/dev/null | head -1 | tr '\t' ' ')"

# MTU: endpoints get 1500 - 50; the largest unfragmentable ping fits, one byte more does not.
check_eq "overlay endpoint MTU is 1450" "1450" "$(in_ns e1 cat /sys/class/net/eth0/mtu)"
check "1422-byte DF ping (1450 on the wire inside) crosses" in_ns e1 ping -c 1 -W 2 -M do -s 1422 10.50.0.12
check_fail "1423-byte DF ping is refused locally" in_ns e1 ping -c 1 -W 1 -M do -s 1423 10.50.0.12

# Policy on the inner packet at the receiving host.
check "h2: deny e1 -> e2" cb h2 policy set e1 e2 deny
before=$(drops h2 policy-deny)
check "e1 cannot reach e2 once h2 denies it" ping_fails e1 10.50.0.12
check_gt "h2 counted the policy drop on decapsulation" "$(drops h2 policy-deny)" "$before"
check "... the sender sees loss, not an error (receiver drops)" denied_quietly h2 policy-deny e1 10.50.0.12
check "h2: allow e1 -> e2 again" cb h2 policy del e1 e2
check "h1: deny e1 -> e2" cb h1 policy set e1 e2 deny
check "the sender's own host drops: e1 sees loss, not an error, h1 counts it" \
	denied_quietly h1 policy-deny e1 10.50.0.12
check "h1: allow e1 -> e2 again" cb h1 policy del e1 e2

# Interoperation: h4 runs the kernel's vxlan device and a bridge (Docker overlay / Flannel
# style) with the same VNI; h1 and h4 know each other, ARP crosses the tunnel.
host_add h4 4
in_ns h4 ip link add vx100 type vxlan id 100 dstport 4789 local 198.18.0.4 nolearning
in_ns h4 ip link add br100 type bridge
in_ns h4 ip link set vx100 master br100 up
in_ns h4 ip link set br100 up
ns_add k1
in_ns h4 ip link add k1h type veth peer name eth0 netns "$P-k1"
in_ns h4 ip link set k1h master br100 up
in_ns k1 ip link set eth0 address 02:42:0a:32:00:0e mtu 1450 up
in_ns k1 ip addr add 10.50.0.14/24 dev eth0
in_ns h4 bridge fdb append 00:00:00:00:00:00 dev vx100 dst 198.18.0.1
in_ns h4 bridge fdb append 02:cb:0a:32:00:0b dev vx100 dst 198.18.0.1
check "h1: node h4" cb h1 node add h4 --underlay 198.18.0.4
check "h1: k1 on h4 with its own MAC" cb h1 ep add k1 --net ov1 --remote h4 --ip 10.50.0.14 \
	--mac 02:42:0a:32:00:0e
check "kernel vxlan k1 pings cbpfnet e1 (ARP answered through the tunnel)" ping_ok k1 10.50.0.11
check_eq "k1 learned e1's MAC from the tunnel ARP reply" "02:cb:0a:32:00:0b" \
	"$(in_ns k1 ip neigh show 10.50.0.11 | awk '{print $5}')"
check "cbpfnet e1 pings kernel vxlan k1" ping_ok e1 10.50.0.14
check "TCP e1 -> k1" tcp_ok e1 k1 10.50.0.14 7206
check "TCP k1 -> e1" tcp_ok k1 e1 10.50.0.11 7207
check "4 MB k1 -> e1 arrive intact" bulk_ok k1 e1 10.50.0.11 7208 4

# Bad input: one line naming the object, exit != 0, nothing changed.
snapshot() {
	for m in cbpf_endpoints cbpf_networks cbpf_vnis; do map_dump h1 $m | jq -S -c 'sort_by(.key)'; done
	sqlite3 "$WORK/h1/state/cbpfnet.db" .dump
}
bad_input h1 "VNI out of range" "net create ov9: VNI 16777216 is outside 1..16777215" \
	cb h1 net create ov9 --model overlay --subnet 10.90.0.0/24 --vni 16777216
bad_input h1 "VNI taken" "net create ov9: VNI 100 is taken by network ov1" \
	cb h1 net create ov9 --model overlay --subnet 10.90.0.0/24 --vni 100
bad_input h1 "VLAN out of range" "net create ov9: VLAN ID 4095 is outside 1..4094" \
	cb h1 net create ov9 --model overlay --subnet 10.90.0.0/24 --vlan 4095
bad_input h1 "subnet overlap" "net create ov9: subnet 10.50.0.128/25 overlaps network ov1" \
	cb h1 net create ov9 --model overlay --subnet 10.50.0.128/25
bad_input h1 "MTU too small" "net create ov9: MTU 500 is outside 576..8950" \
	cb h1 net create ov9 --model overlay --subnet 10.90.0.0/24 --mtu 500
bad_input h1 "unknown node" "ep add x9: no such node 'h9'" \
	cb h1 ep add x9 --net ov1 --remote h9 --ip 10.50.0.99
bad_input h1 "underlay address not reachable" "node add h9: underlay address 203.0.113.9 is not reachable" \
	cb h1 node add h9 --underlay 203.0.113.9


# A node that leaves takes its endpoints out of the maps.
check "h1: node del h3" cb h1 node del h3
check_eq "e3 is gone from h1's endpoint map" "" \
	"$(map_dump h1 cbpf_endpoints | jq -r '.[].formatted | select(.value.node_ip == 50336454) | .key.ip')"
check "e1 no longer reaches e3" ping_fails e1 10.50.0.13

lib_finish
