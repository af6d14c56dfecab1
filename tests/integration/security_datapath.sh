#!/usr/bin/env bash
# Datapath isolation attacks, each sent as a real packet and asserted dropped and counted:
# VxLAN injected from the underlay and from containers, VLAN hopping on macvlan, IPv6 around
# IPv4 denies, IPv4 fragments on one-way rules, and an endpoint reaching the host through another
# of its addresses than the one a deny was tested on.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../policy_lib.sh"
lib_init

PY=/usr/bin/python3
host_add h1 1
host_add h2 2
host_add h3 3 # a machine on the underlay that is no node
for h in h1 h2; do
	check "$h: load" cb $h load
	cb $h node add h1 --underlay 198.18.0.1 >/dev/null
	cb $h node add h2 --underlay 198.18.0.2 >/dev/null
	cb $h net create ov --model overlay --subnet 10.50.0.0/24 --vni 100 >/dev/null
	cb $h net create m20 --model macvlan --parent ul0 --subnet 10.21.0.0/24 --vlan 20 >/dev/null
done
cb h1 net create fa --subnet 10.70.0.0/24 >/dev/null
cb h1 net create fb --subnet 10.71.0.0/24 >/dev/null
cb h1 net create mu --model macvlan --parent ul0 --subnet 10.20.0.0/24 --host-access >/dev/null
cb h2 net create loc --subnet 10.60.0.0/24 >/dev/null
for ns in e1 e2 fa1 fb1 u1 u2 u3 t1 t2 c1; do ns_add $ns; done
cb h1 ep add e1 --net ov --netns "$P-e1" --ip 10.50.0.11 >/dev/null
cb h2 ep add e2 --net ov --netns "$P-e2" --ip 10.50.0.12 >/dev/null
cb h1 ep add e2 --net ov --remote h2 --ip 10.50.0.12 >/dev/null
cb h2 ep add e1 --net ov --remote h1 --ip 10.50.0.11 >/dev/null
cb h1 ep add fa1 --net fa --netns "$P-fa1" --ip 10.70.0.2 >/dev/null
cb h1 ep add fb1 --net fb --netns "$P-fb1" --ip 10.71.0.2 >/dev/null
for u in u1:2 u2:3 u3:4; do
	cb h1 ep add "${u%%:*}" --net mu --netns "$P-${u%%:*}" --ip "10.20.0.${u##*:}" >/dev/null
done
cb h1 ep add t1 --net m20 --netns "$P-t1" --ip 10.21.0.2 >/dev/null
cb h2 ep add t2 --net m20 --netns "$P-t2" --ip 10.21.0.3 >/dev/null
cb h2 ep add c1 --net loc --netns "$P-c1" --ip 10.60.0.2 >/dev/null
host_forwarding h2
E1_MAC=02:cb:0a:32:00:0b

check "e1 (h1) pings e2 (h2) over the overlay" ping_ok e1 10.50.0.12
check "t1 (h1) pings t2 (h2) on VLAN 20" ping_ok t1 10.21.0.3

# silent NS IFACE FILTER CMD...: CMD runs and no frame matching FILTER reaches IFACE in NS.
# Only for interfaces whose frames cbpfnet judges before they get there (not macvlan ingress,
# which packet sockets see before TCX).
silent() {
	local ns=$1 ifname=$2 filter=$3 pcap="$WORK/silent.$RANDOM.pcap" pid
	shift 3
	in_ns "$ns" timeout 20 tcpdump -i "$ifname" -U -w "$pcap" "$filter" 2>/dev/null &
	pid=$!
	PIDS+=("$pid")
	sleep 0.5
	"$@" >/dev/null 2>&1
	sleep 1 # frames still on their way
	kill "$pid" 2>/dev/null
	wait "$pid"
	[ -f "$pcap" ] && [ "$(tcpdump -r "$pcap" 2>/dev/null | wc -l)" -eq 0 ]
}

# rose HOST REASON CMD...: CMD succeeds and HOST's counter for REASON rises.
rose() {
	local host=$1 reason=$2 before
	shift 2
	before=$(drops "$host" "$reason")
	"$@" || return 1
	[ "$(drops "$host" "$reason")" -gt "$before" ]
}

# 1. VxLAN injection. Tunnels are taken only from nodes, carrying only their own endpoints.
vx() { in_ns "$1" $PY "$REPO/tests/vxlan_send.py" "${@:2}"; }
pcap=$(capture e1 eth0 icmp 1 vx h2 198.18.0.1 100 0 10.50.0.12 10.50.0.11 $E1_MAC)
check_eq "control: e2's node h2 tunnels e2's address to e1, delivered" "10.50.0.12 10.50.0.11" \
	"$(tshark -r "$pcap" -T fields -e ip.src -e ip.dst 2>/dev/null | head -1 | tr '\t' ' ')"
check "h3 (no node) tunnels an unregistered source to e1: nothing arrives" \
	rose h1 tunnel-unknown-node silent e1 eth0 icmp vx h3 198.18.0.1 100 0 10.50.0.99 10.50.0.11 $E1_MAC
check "h3 (no node) tunnels e2's address to e1: nothing arrives" \
	rose h1 tunnel-unknown-node silent e1 eth0 icmp vx h3 198.18.0.1 100 0 10.50.0.12 10.50.0.11 $E1_MAC
check "node h2 tunnels a source it does not host to e1: nothing arrives" \
	rose h1 tunnel-src-mismatch silent e1 eth0 icmp vx h2 198.18.0.1 100 0 10.50.0.99 10.50.0.11 $E1_MAC
check "node h2 tunnels h1's own e1 address to e1: nothing arrives" \
	rose h1 tunnel-src-mismatch silent e1 eth0 icmp vx h2 198.18.0.1 100 0 10.50.0.11 10.50.0.11 $E1_MAC
# A container of another network on h2, which forwards and masquerades: its VxLAN would leave
# with h2's underlay address as the source, so h2 stops it.
check "c1 (network loc on h2) tunnels e2's address to e1 via h2's masquerade: nothing arrives" \
	rose h2 tunnel-from-endpoint silent e1 eth0 icmp vx c1 198.18.0.1 100 0 10.50.0.12 10.50.0.11 $E1_MAC
check "c1 tunnels an unregistered source the same way: nothing arrives" \
	rose h2 tunnel-from-endpoint silent e1 eth0 icmp vx c1 198.18.0.1 100 0 10.50.0.99 10.50.0.11 $E1_MAC
check "c1 still reaches h1's underlay address otherwise" ping_ok c1 198.18.0.1
check "e1 still pings e2 after the injections" ping_ok e1 10.50.0.12

# 2. VLAN hopping: an endpoint may not choose its tag, nor send what is neither IPv4 nor ARP.
l2() { in_ns "$1" $PY "$REPO/tests/l2_send.py" eth0 "${@:2}"; }
T1_MAC=$(in_ns t1 cat /sys/class/net/eth0/address)
T2_MAC=$(in_ns t2 cat /sys/class/net/eth0/address)
# udp_lands NS PORT CMD...: the length of the first datagram NS receives on PORT while CMD runs
# (0: none). Packet sockets on a macvlan see frames before TCX, so delivery is read off a socket.
udp_lands() {
	local ns=$1 port=$2 pid
	shift 2
	in_ns "$ns" $PY "$REPO/tests/udp_sized.py" listen "$port" 10 >"$WORK/lands.$port" &
	pid=$!
	PIDS+=("$pid")
	sleep 0.3
	"$@" >/dev/null 2>&1
	wait "$pid"
	cat "$WORK/lands.$port"
}
check_eq "control: t2 (h2) receives t1's frame on VLAN 20" 5 \
	"$(udp_lands t2 7001 l2 t1 "$T2_MAC" tagged "" 10.21.0.2 10.21.0.3 7001)"
check "u1 (untagged) writes tag 20 to reach t1 on the same host: nothing arrives" \
	rose h1 endpoint-vlan-tag silent t1 eth0 "udp port 7002" \
	l2 u1 "$T1_MAC" tagged 8100:20 10.20.0.2 10.21.0.2 7002
check "u1 writes tag 20 to reach t2 on h2: nothing on the wire or at t2" \
	rose h1 endpoint-vlan-tag silent fab h2-up "udp port 7003" \
	l2 u1 "$T2_MAC" tagged 8100:20 10.20.0.2 10.21.0.3 7003
check "t1 (VLAN 20) writes a second tag under its own: nothing on the wire" \
	rose h1 endpoint-vlan-tag silent fab h1-up "vlan 20 and vlan 30" \
	l2 t1 "$T2_MAC" tagged 8100:30 10.21.0.2 10.21.0.3 7004
check "u1 writes an 802.1ad tag: nothing on the wire" \
	rose h1 endpoint-vlan-tag silent fab h1-up "ether proto 0x88a8" \
	l2 u1 "$T2_MAC" tagged 88a8:20 10.20.0.2 10.21.0.3 7005
check "u1 sends an unknown ethertype: nothing on the wire" \
	rose h1 unsupported-ethertype silent fab h1-up "ether proto 0x88b5" l2 u1 "$T2_MAC" ethertype 88b5
check "e1 (veth) writes tag 20: nothing leaves h1" \
	rose h1 endpoint-vlan-tag silent h1 ul0 "vlan" l2 e1 "$T1_MAC" tagged 8100:20 10.50.0.11 10.21.0.2 7006
check "e1 (veth) sends an unknown ethertype: counted" \
	rose h1 unsupported-ethertype l2 e1 "$T1_MAC" ethertype 88b5
# From the wire (h3): the network's tag over a second one.
before=$(drops h1 endpoint-vlan-tag)
check_eq "a double-tagged frame from the wire (VLAN 20 over 30) does not reach t1" 0 \
	"$(udp_lands t1 7007 in_ns h3 $PY "$REPO/tests/l2_send.py" ul0 "$T1_MAC" tagged 8100:20,8100:30 10.21.0.9 10.21.0.2 7007)"
check_gt "h1 counted it as endpoint-vlan-tag" "$(drops h1 endpoint-vlan-tag)" "$before"
check_eq "control: a frame from the wire on VLAN 20 alone reaches t1" 5 \
	"$(udp_lands t1 7008 in_ns h3 $PY "$REPO/tests/l2_send.py" ul0 "$T1_MAC" tagged 8100:20 10.21.0.9 10.21.0.2 7008)"

# 3. IPv6: policy is IPv4, so IPv6 is dropped to and from endpoints whatever the policy says.
cat >"$WORK/policy.json" <<'JSON'
{
  "rules": [
    { "id": "u1-u2-apart", "from": "ep:u1", "to": "ep:u2", "action": "deny", "direction": "two-way" },
    { "id": "u1-not-to-host", "from": "ep:u1", "to": "host", "action": "deny" },
    { "id": "e1-not-to-host", "from": "ep:e1", "to": "host", "action": "deny" },
    { "id": "fa-opens-to-fb", "from": "net:fa", "to": "net:fb", "action": "allow" }
  ]
}
JSON
check "h1: daemon with the test policy" daemon_start h1 "$WORK/policy.json"
# lladdr NS IFACE: IFACE's link-local address once duplicate address detection is over.
lladdr() {
	local i addr
	for i in $(seq 30); do
		addr=$(in_ns "$1" ip -j -6 addr show dev "$2" scope link |
			jq -r '.[0].addr_info[] | select((.tentative // false) | not) | .local' | head -1)
		[ -n "$addr" ] && echo "$addr" && return 0
		sleep 0.2
	done
	return 1
}
# IPv6 is off on the interfaces cbpfnet makes (macvlan u1, veth e1: no address generated), so a
# container that does not turn it on sends none (no DAD, MLD or router solicitation): minutes
# after they were added, their namespaces have sent no ICMPv6 message.
icmp6_out() { in_ns "$1" awk '$1 == "Icmp6OutMsgs" {print $2}' /proc/net/snmp6; }
v6_state() { in_ns "$1" ip -d -j link show eth0 | jq -r '.[0].inet6_addr_gen_mode'; }
check_eq "IPv6 is off on u1's and e1's eth0 as made" "none none" "$(v6_state u1) $(v6_state e1)"
check_eq "u1 and e1 have no IPv6 address and have sent no ICMPv6 message" "0 0 0 0" \
	"$(in_ns u1 ip -6 -o addr show dev eth0 | wc -l) $(in_ns e1 ip -6 -o addr show dev eth0 | wc -l) $(icmp6_out u1) $(icmp6_out e1)"
# A container can turn IPv6 on by itself (its own link-local address): the test does, so only
# cbpfnet stands in the way.
n=0
for ns in u1 u2 u3 e1; do in_ns $ns ip -6 addr add "fe80::c0:$((++n))/64" dev eth0; done
U1=$(lladdr u1 eth0) U2=$(lladdr u2 eth0) U3=$(lladdr u3 eth0)
SHIM=$(lladdr h1 "$(in_ns h1 ip -j link show type macvlan | jq -r '.[0].ifname')")
E1_HOST=$(lladdr h1 "$(cb h1 --json ep list | jq -r '.[] | select(.name == "e1") | .host_ifname')")
E1=$(lladdr e1 eth0)
check "every interface has a link-local address" \
	test -n "$U1" -a -n "$U2" -a -n "$U3" -a -n "$SHIM" -a -n "$E1_HOST" -a -n "$E1"
ping6_fails() { ! in_ns "$1" ping -6 -c 2 -i 0.2 -W 1 "$2%eth0"; }
tcp6_fails() { TCP_V=6 tcp_fails "$1" "$2" "[$3%eth0]" "$4"; }
check "IPv4 control: the u1 <-> u2 deny holds" ping_fails u1 10.20.0.3
check "IPv4 control: e1 -> host deny holds" ping_fails e1 10.50.0.1
check "IPv4 control: u2 pings u3 (allowed)" ping_ok u2 10.20.0.4
check "ping6 u1 -> u2 (two-way deny) fails, counted" rose h1 ipv6-disabled ping6_fails u1 "$U2"
check "ping6 u2 -> u1 (two-way deny) fails, counted" rose h1 ipv6-disabled ping6_fails u2 "$U1"
check "TCP over IPv6 u2 -> u1 fails, counted" rose h1 ipv6-disabled tcp6_fails u2 u1 "$U1" 7201
check "ping6 u1 -> the host's macvlan shim fails, counted" \
	rose h1 ipv6-disabled ping6_fails u1 "$SHIM"
check "ping6 e1 (veth) -> the host (deny to host) fails, counted" \
	rose h1 ipv6-disabled ping6_fails e1 "$E1_HOST"
check "TCP over IPv6 e1 (veth) -> the host fails, counted" \
	rose h1 ipv6-disabled tcp6_fails e1 h1 "$E1_HOST" 7203
E1_IF=$(cb h1 --json ep list | jq -r '.[] | select(.name == "e1") | .host_ifname')
check "ping6 from the host into e1 (tc_to_ep) fails, counted" \
	rose h1 ipv6-disabled eval '! in_ns h1 ping -6 -c 2 -i 0.2 -W 1 "$E1%$E1_IF"'
check "ping6 u2 -> u3 (allowed peers) is dropped too, counted" rose h1 ipv6-disabled ping6_fails u2 "$U3"
check "TCP over IPv6 u3 -> u2 (allowed peers) is dropped too" tcp6_fails u3 u2 "$U2" 7202

# 4. Fragments follow their first fragment's verdict: fa may open to fb, fb not to fa.
# udp_reply SRC DST ADDR PORT SIZE: SRC asks, DST answers with SIZE bytes, all of which arrive.
udp_reply() {
	local src=$1 dst=$2 addr=$3 port=$4 size=$5 pid got
	in_ns "$dst" $PY "$REPO/tests/udp_sized.py" serve "$port" "$size" &
	pid=$!
	PIDS+=("$pid")
	sleep 0.3
	got=$(in_ns "$src" $PY "$REPO/tests/udp_sized.py" ask "$addr" "$port")
	wait "$pid"
	[ "$got" = "$size" ]
}
check "fa1 -> fb1 UDP request, 3000-byte reply arrives whole" udp_reply fa1 fb1 10.71.0.2 7301 3000
check "fa1 -> fb1 UDP request, 8000-byte reply arrives whole" udp_reply fa1 fb1 10.71.0.2 7302 8000
check "fa1 -> fb1 UDP request, 1400-byte (unfragmented) reply arrives" \
	udp_reply fa1 fb1 10.71.0.2 7303 1400
before=$(drops h1 frag-unknown)
check_eq "fb1 -> fa1 unasked 8000-byte datagram (the denied way) does not arrive" 0 \
	"$(udp_lands fa1 7304 in_ns fb1 $PY "$REPO/tests/udp_sized.py" send 10.70.0.2 7304 8000)"
check_gt "its later fragments were counted as frag-unknown" "$(drops h1 frag-unknown)" "$before"
# The same between macvlan siblings: u3's egress judges its reply fragments.
check "h1: u3 may not open to u2" cb h1 policy set u3 u2 deny
check "IPv4 control: u3 cannot reach u2" ping_fails u3 10.20.0.3
check "macvlan: u2 asks sibling u3, an 8000-byte reply arrives whole" \
	udp_reply u2 u3 10.20.0.4 7306 8000
# The same over the overlay: h2 judges e2's reply fragments on their way into the tunnel.
check "h2: e2 may not open to e1" cb h2 policy set e2 e1 deny
check "IPv4 control: e2 cannot reach e1" ping_fails e2 10.50.0.11
check "overlay: e1 asks e2 on h2, an 8000-byte reply arrives whole" \
	udp_reply e1 e2 10.50.0.12 7305 8000

# 5. Endpoint -> host holds for every address of the host, whatever way the endpoint takes to it:
# the macvlan shim (in the endpoint's own subnet), and the underlay, which the host answers ARP
# for on its shim once the endpoint routes it onto its link.
for ns in u1 u2; do in_ns $ns ip route add 198.18.0.1/32 dev eth0; done
for addr in 10.20.0.254 198.18.0.1; do
	check "control: u2 (no rule) pings the host at $addr" ping_ok u2 $addr
	check "ping u1 -> the host at $addr (u1-not-to-host) fails, counted" \
		rose h1 policy-deny ping_fails u1 $addr
	check "TCP u1 -> the host at $addr fails, counted" rose h1 policy-deny tcp_fails u1 h1 $addr 7210
done
check "ping e1 (veth) -> the host at the macvlan shim's address fails, counted" \
	rose h1 policy-deny ping_fails e1 10.20.0.254
check "TCP u2 -> the host's shim (no rule) connects" tcp_ok u2 h1 10.20.0.254 7211
check "the allowed way: h1 pings u1 through its shim" ping_ok h1 10.20.0.2
check "the allowed way: h1 opens TCP to u1" tcp_ok h1 u1 10.20.0.2 7212
check "u1 still reaches its sibling u3" ping_ok u1 10.20.0.4
check_contains "explain takes the shim's address for the host, as u1's programs do" \
	"u1 -> 10.20.0.254: deny (policy-deny)" "$(cb h1 policy explain u1 10.20.0.254 2>&1)"

daemon_stop h1 >/dev/null
lib_finish
