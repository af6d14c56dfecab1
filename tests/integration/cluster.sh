#!/usr/bin/env bash
# Cluster mode (`cbpfnet daemon --etcd`) against a real etcd from Debian's etcd-server: three
# hosts learn each other and each other's endpoints with no `node add` and no `ep add --remote`;
# a killed agent's endpoints vanish everywhere within TTL + 2 s; a clean stop deregisters at
# once; a restarted agent is learned again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../etcd_lib.sh"
lib_init

PROBE=${ETCD_PROBE:-$REPO/build/tests/tools/etcd_probe}
URL=http://198.18.0.200:2379
TTL=2
STOPPED=

# A stopped agent would ignore the harness's SIGTERM and its `wait` would hang.
lib_cleanup_hook() { [ -z "$STOPPED" ] || kill -CONT "$STOPPED" 2>/dev/null; }

host_add etcd 200
for i in 1 2 3; do host_add "h$i" "$i"; done

probe() { in_ns h1 "$PROBE" -t 500,1000 "$URL" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }

# cluster_agent HOST: HOST's agent again, now in cluster mode.
cluster_agent() {
	agent_start "$1" --etcd "$URL" --node "$1" --lease-ttl "$TTL" --log-level debug
}

# remote_ips HOST: the addresses of HOST's remote endpoints in its endpoint map, sorted.
remote_ips() {
	map_dump "$1" cbpf_endpoints |
		jq -r '.[].formatted | select(.value.flags == 2) | .key.ip' | sort -n | xargs
}
ipnum() { # dotted quad -> the map's key.ip (network byte order read as a little-endian u32)
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((d << 24) | (c << 16) | (b << 8) | a))
}

# wait_for SECONDS CMD...: CMD succeeds within SECONDS (polled every 50 ms).
wait_for() {
	local deadline=$(($(ms) + $1 * 1000))
	shift
	while [ "$(ms)" -lt "$deadline" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}
has_remote() { [[ " $(remote_ips "$1") " == *" $(ipnum "$2") "* ]]; }
lacks_remote() { ! has_remote "$@"; }
# etcd_value KEY: KEY's value in etcd, read through its JSON gateway.
etcd_value() {
	in_ns h1 curl -sf -m 3 "$URL/v3/kv/range" -d "{\"key\":\"$(printf %s "$1" | base64 -w0)\"}" |
		jq -r '.kvs[0].value // empty' | base64 -d
}
# ct_of HOST A.B.C.D: conntrack entries with the address at either end.
ct_of() {
	map_dump "$1" cbpf_ct | jq --argjson ip "$(ipnum "$2")" \
		'[.[] | select(.formatted.key.addr_a == $ip or .formatted.key.addr_b == $ip)] | length'
}
ip_of() { cb "$1" --json ep list | jq -r ".[] | select(.name == \"$2\") | .ip"; }
node_count() { [ "$(cb "$1" --json node list | jq '[.[] | select(.state == "ready")] | length')" = "$2" ]; }

check "etcd starts on the fabric address" etcd_start
for h in h1 h2 h3; do
	check "$h: plain agent stopped" agent_stop "$h"
	check "$h: agent in cluster mode" cluster_agent "$h"
done
check_contains "a --lease-ttl below 2 s is refused" "--lease-ttl 1: seconds, 2 to 3600" \
	"$(cb h1 daemon --etcd "$URL" --lease-ttl 1 2>&1)"

for h in h1 h2 h3; do
	check "$h learns the three nodes with no node add" wait_for 5 node_count "$h" 3
done

# Overlay networks are cluster-wide: created once, on every host with the same VNI.
net_vni() { cb "$1" --json net list | jq -r ".[] | select(.name == \"$2\") | .vni"; }
net_is() { [ "$(net_vni "$1" "$2")" = "$3" ]; }
check "ov1 (VNI 100) created on h1" cb h1 net create ov1 --model overlay --subnet 10.50.0.0/24 --vni 100
for h in h2 h3; do
	check "$h creates ov1 with VNI 100 from the cluster" wait_for 5 net_is "$h" ov1 100
done
check_contains "net create ov1 again on h2 says it exists" "net create ov1: network already exists" \
	"$(cb h2 net create ov1 --model overlay --subnet 10.50.0.0/24 --vni 100 2>&1)"
# Without --vni, two hosts at once: each network gets its own VNI, the same on every host.
cb h2 net create ov2 --model overlay --subnet 10.60.0.0/24 >"$WORK/ov2.out" 2>&1 &
pid2=$!
cb h3 net create ov3 --model overlay --subnet 10.61.0.0/24 >"$WORK/ov3.out" 2>&1
rc3=$?
wait "$pid2"
check_eq "ov2 on h2 and ov3 on h3, created at once, both succeed" "0 0" "$? $rc3"
v2=$(net_vni h2 ov2)
v3=$(net_vni h3 ov3)
check "ov2 and ov3 got different VNIs ($v2, $v3)" test -n "$v2" -a -n "$v3" -a "$v2" != "$v3"
for h in h1 h2 h3; do
	check "$h agrees: ov2 is VNI $v2, ov3 is VNI $v3" wait_for 5 eval "net_is $h ov2 $v2 && net_is $h ov3 $v3"
done
# Two hosts racing for one VNI with two networks: exactly one wins, the other is told why.
cb h1 net create r1 --model overlay --subnet 10.62.0.0/24 --vni 700 >"$WORK/r1.out" 2>&1 &
pid1=$!
cb h2 net create r2 --model overlay --subnet 10.63.0.0/24 --vni 700 >"$WORK/r2.out" 2>&1
rc2=$?
wait "$pid1"
rc1=$?
check_eq "r1 and r2 race for VNI 700: exactly one wins" 1 $(((rc1 == 0) + (rc2 == 0)))
if [ "$rc1" -eq 0 ]; then win=r1 lose=r2; else win=r2 lose=r1; fi
# The loser hears of the winner from etcd's transaction, or from its own store when it had
# already learned the winner before asking: either way the message names the winner.
check "the loser $lose names the winner $win" \
	grep -qE "VNI 700 is taken (in the cluster )?by network $win\b" "$WORK/$lose.out"
for h in h1 h2 h3; do
	check "$h has the winner $win with VNI 700" wait_for 5 net_is "$h" "$win" 700
	check_eq "$h has no network $lose (the loser's is undone)" "" "$(net_vni "$h" "$lose")"
done
check_eq "nor has the cluster" 2 "$(probe get "/cbpfnet/v1/networks/$lose" >/dev/null 2>&1; echo $?)"
check "net delete of ov3 on h3 deletes it on every host" cb h3 net delete ov3
for h in h1 h2; do
	check "$h deletes ov3" wait_for 5 eval "[ -z \"\$(net_vni $h ov3)\" ]"
done
check_eq "h1 is itself the node on ul0, the others are remote" "h1:ul0 h2:- h3:-" \
	"$(cb h1 --json node list | jq -r '.[] | "\(.name):\(.ifname // "-")"' | sort | xargs)"
check_eq "h1's ul0 carries the tunnel program (own node learned from etcd)" \
	"tcx_ingress tc_from_underla" "$(hooks h1 ul0)"
check_contains "node list shows state and heartbeat" "ready" "$(cb h1 node list | grep '^h1 ')"
check "h1's own heartbeat is younger than the TTL" \
	test "$(cb h1 --json node list | jq '.[] | select(.name == "h1") | .heartbeat_age_s < 2')" = true
check "h1 sees h2's heartbeat age from its lease, at most the TTL" \
	test "$(cb h1 --json node list | jq '.[] | select(.name == "h2") | .heartbeat_age_s <= 2')" = true

ns_add e2 && cb h2 ep add e2 --net ov1 --netns "$P-e2" --ip 10.50.0.12 >/dev/null
ns_add e3 && cb h3 ep add e3 --net ov1 --netns "$P-e3" --ip 10.50.0.13 >/dev/null
check "h1 learns e2 and e3" wait_for 5 has_remote h1 10.50.0.13
check "the endpoints are published under /cbpfnet/v1/endpoints/" probe get /cbpfnet/v1/endpoints/e2

# Propagation: from `ep add` on h1 to the first ping answered from h2. e2 retries ARP every
# 50 ms instead of every second, so that an ARP request sent before h2 knew e1 does not cost a
# second of the kernel's neighbour retry on top of the control plane's time.
in_ns e2 sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=50
ns_add e1
t0=$(ms)
cb h1 ep add e1 --net ov1 --netns "$P-e1" --ip 10.50.0.11 >/dev/null
until in_ns e2 ping -c 1 -W 0.1 10.50.0.11 >/dev/null 2>&1; do
	[ $(($(ms) - t0)) -lt 10000 ] || break
done
prop=$(($(ms) - t0))
echo "# propagation: ep add on h1 -> first ping answered from h2: $prop ms"
check "e2 (h2) pings e1 (h1) within 10 s of ep add on h1 ($prop ms)" test "$prop" -lt 10000
check "e3 (h3) pings e1 (h1)" ping_ok e3 10.50.0.11
check "e1 (h1) pings e3 (h3)" ping_ok e1 10.50.0.13
check_eq "no node add or ep add --remote was typed: h2's remote endpoints are e1 and e3" \
	"$(ipnum 10.50.0.11) $(ipnum 10.50.0.13)" "$(remote_ips h2)"

# Further interfaces (NAME@NET) are published and learned like first ones: e1 on h1 joins ov2,
# and h2's and h3's endpoints in ov2 reach its ov2 address; it leaves, and they no longer do.
ns_add p2 && cb h2 ep add p2 --net ov2 --netns "$P-p2" --ip 10.60.0.22 >/dev/null
ns_add p3 && cb h3 ep add p3 --net ov2 --netns "$P-p3" --ip 10.60.0.23 >/dev/null
check "ep connect e1 --net ov2 on h1 (its address claimed in the cluster)" cb h1 ep connect e1 --net ov2
e1b=$(ip_of h1 e1@ov2)
check_eq "e1@ov2's address $e1b is claimed in the cluster under its record's name" "e1@ov2 h1" \
	"$(etcd_value "/cbpfnet/v1/addrs/ov2/$e1b" | jq -r '"\(.endpoint) \(.node)"')"
for h in h2 h3; do
	check "$h learns e1@ov2" wait_for 5 has_remote "$h" "$e1b"
done
check "p2 (h2) pings e1's ov2 address" ping_ok p2 "$e1b"
check "p3 (h3) pings e1's ov2 address" ping_ok p3 "$e1b"
check "ep disconnect e1 --net ov2 on h1" cb h1 ep disconnect e1 --net ov2
for h in h2 h3; do
	check "$h forgets e1@ov2" wait_for 5 lacks_remote "$h" "$e1b"
done
check "p2 no longer reaches e1's ov2 address" ping_fails p2 "$e1b"
check "e1's ov2 address is free in the cluster" eval "! probe get /cbpfnet/v1/addrs/ov2/$e1b"
# ep move --net on h1 is seen everywhere: the new address is reached, the old one is gone.
ns_add m1 && cb h1 ep add m1 --net ov1 --netns "$P-m1" --ip 10.50.0.14 >/dev/null
check "h2 learns m1 in ov1" wait_for 5 has_remote h2 10.50.0.14
check "ep move m1 --net ov2 on h1" cb h1 ep move m1 --net ov2 --ip 10.60.0.14
for h in h2 h3; do
	check "$h sees m1 in ov2" wait_for 5 has_remote "$h" 10.60.0.14
	check "$h forgets m1's ov1 address" wait_for 5 lacks_remote "$h" 10.50.0.14
done
check "p3 (h3) pings m1 in ov2" ping_ok p3 10.60.0.14
check "m1's ov1 address is free in the cluster" eval "! probe get /cbpfnet/v1/addrs/ov1/10.50.0.14"
check_eq "h2 records m1 in ov2 on node h1" "ov2 h1" \
	"$(cb h2 --json ep list | jq -r '.[] | select(.name == "m1") | "\(.net) \(.node)"')"

# Move between hosts: h2 takes over h1's mv (the container restarted on h2) with its address,
# while e3 on h3 pings it every 20 ms: the answers stop for at most a second.
ns_add mv1 && cb h1 ep add mv --net ov1 --netns "$P-mv1" --ip 10.50.0.15 >/dev/null
ns_add mv2
check "h3 learns mv" wait_for 5 has_remote h3 10.50.0.15
check "e3 (h3) pings mv on h1" ping_ok e3 10.50.0.15
check_gt "h1 tracks the flow to mv" "$(ct_of h1 10.50.0.15)" 0
in_ns e3 ping -n -i 0.02 -c 250 -W 1 10.50.0.15 >"$WORK/move.ping" 2>&1 &
ping_pid=$!
sleep 1.5
garp=$(capture h2 any "arp and src host 10.50.0.15" 2 cb h2 ep move mv --netns "$P-mv2")
wait "$ping_pid"
answered=$(grep -c 'bytes from' "$WORK/move.ping")
lost_ms=$(((250 - answered) * 20))
echo "# move between hosts: $answered of 250 echo requests (every 20 ms) answered: ${lost_ms} ms lost"
check "a ping stream from h3 across the move loses at most 1 s ($lost_ms ms)" test "$lost_ms" -le 1000
check_eq "h2 announced the address with a gratuitous ARP request and reply" "2" \
	"$(tcpdump -r "$garp" -n 2>/dev/null | grep -c '10.50.0.15')"
check_eq "mv lives in h2's namespace with its address" "10.50.0.15/24" \
	"$(in_ns mv2 ip -o -4 addr show dev eth0 | awk '{print $4}')"
node_of() { cb "$1" --json ep list | jq -r '.[] | select(.name == "mv") | .node // "local"'; }
check_eq "every host sees mv on h2" "h2 local h2" \
	"$(wait_for 5 eval '[ "$(node_of h1) $(node_of h3)" = "h2 h2" ]'; echo "$(node_of h1) $(node_of h2) $(node_of h3)")"
check_fail "h1 removed its interface" in_ns mv1 ip link show eth0
check_eq "h1 removed the address's conntrack entries" "0" "$(ct_of h1 10.50.0.15)"
check_eq "the address's key names mv on h2" "mv h2" \
	"$(etcd_value /cbpfnet/v1/addrs/ov1/10.50.0.15 | jq -r '"\(.endpoint) \(.node)"')"
check "e2 (h2) pings mv, now its neighbour" ping_ok e2 10.50.0.15
ns_add mv1b
r=$(api h1 POST /v1/endpoints/mv/move "{\"netns\": \"/run/netns/$P-mv1b\"}")
check_eq "the API moves mv back to h1 (POST /v1/endpoints/mv/move with netns): 200" "200" \
	"$(tail -n1 <<<"$r")"
check_eq "... it says from where" "h2" "$(sed '$d' <<<"$r" | jq -r .moved_from)"
check_eq "every host sees mv on h1 again" "local h1 h1" \
	"$(wait_for 5 eval '[ "$(node_of h2) $(node_of h3)" = "h1 h1" ]'; echo "$(node_of h1) $(node_of h2) $(node_of h3)")"
check "e3 (h3) pings mv back on h1" ping_ok e3 10.50.0.15
check_fail "h2 removed its interface" in_ns mv2 ip link show eth0
check_contains "moving an endpoint that does not exist says so" \
	"ep move nosuch: no such endpoint in the cluster" "$(cb h3 ep move nosuch --netns "$P-t2" 2>&1)"
check_contains "moving an endpoint to the node it lives on says so" \
	"ep move mv: the endpoint lives on this node already" "$(cb h1 ep move mv --netns "$P-t2" 2>&1)"
check "m1 on h1 joins ov1 too (m1@ov1)" cb h1 ep connect m1 --net ov1
check_contains "its owner refuses to give up an endpoint with further interfaces" \
	"ep move m1: node h1 refuses: the endpoint has further interfaces there (m1@ov1)" \
	"$(cb h3 ep move m1 --netns "$P-t2" 2>&1)"
check_eq "and nothing of m1 was made on h3" "h1" \
	"$(cb h3 --json ep list | jq -r '.[] | select(.name == "m1") | .node')"
check "ep disconnect m1 --net ov1" cb h1 ep disconnect m1 --net ov1

# Addresses are cluster-wide: two hosts at once without --ip get different ones; a taken one is
# refused with its owner.
ns_add a2 && ns_add a3
cb h2 ep add a2 --net ov1 --netns "$P-a2" >"$WORK/a2.out" 2>&1 &
pid2=$!
cb h3 ep add a3 --net ov1 --netns "$P-a3" >"$WORK/a3.out" 2>&1
rc3=$?
wait "$pid2"
check_eq "a2 on h2 and a3 on h3, added at once without --ip, both succeed" "0 0" "$? $rc3"
a2ip=$(ip_of h2 a2)
a3ip=$(ip_of h3 a3)
check "they got different addresses ($a2ip, $a3ip)" test -n "$a2ip" -a "$a2ip" != "$a3ip"
check "a2 pings a3 across hosts" ping_ok a2 "${a3ip%/*}"
ns_add t2
check_contains "e1's address on h2 is refused, naming its owner" \
	"ep add t2: address 10.50.0.11 of network ov1 is taken in the cluster by endpoint e1 on node h1" \
	"$(cb h2 ep add t2 --net ov1 --netns "$P-t2" --ip 10.50.0.11 2>&1)"
check_eq "and nothing is left of t2 on h2" "" "$(ip_of h2 t2)"
check "deleting a3 frees its address in the cluster" eval \
	"cb h3 ep del a3 >/dev/null && wait_for 3 eval '! probe get /cbpfnet/v1/addrs/ov1/${a3ip%/*}'"

ns_add x3 && cb h3 ep add x --net ov1 --netns "$P-x3" --ip 10.50.0.33 >/dev/null
check "h1 learns h3's x" wait_for 5 has_remote h1 10.50.0.33

# kill -9 of h3's agent: its lease expires, every host drops e3 within TTL + 2 s.
{
	kill -KILL "${AGENT_PIDS[h3]}"
	wait "${AGENT_PIDS[h3]}"
} 2>/dev/null
t0=$(ms)
wait_for $((TTL + 4)) lacks_remote h1 10.50.0.13
t1=$(($(ms) - t0))
wait_for $((TTL + 4)) lacks_remote h2 10.50.0.13
t2=$(($(ms) - t0))
echo "# dead node: e3 gone from h1's map after $t1 ms, from h2's after $t2 ms (TTL $TTL s)"
check "e3 gone from h1's map within TTL + 2 s ($t1 ms)" test "$t1" -le $(((TTL + 2) * 1000))
check "e3 gone from h2's map within TTL + 2 s ($t2 ms)" test "$t2" -le $(((TTL + 2) * 1000))
check_eq "h1 shows h3 dead" "dead" \
	"$(cb h1 --json node list | jq -r '.[] | select(.name == "h3") | .state')"
check "e2 still pings e1" ping_ok e2 10.50.0.11

# A clean stop revokes the lease: the node key is gone as the agent exits.
check "h2's agent stops cleanly" agent_stop h2
check_eq "h2's node key is gone at once" 2 "$(probe get /cbpfnet/v1/nodes/h2 >/dev/null 2>&1; echo $?)"
check_eq "and its endpoint's key" 2 "$(probe get /cbpfnet/v1/endpoints/e2 >/dev/null 2>&1; echo $?)"
check "h1 drops e2 within 1 s" wait_for 1 lacks_remote h1 10.50.0.12

# While h3 is away h1 takes the name x. Endpoint names are cluster-wide: the first node to
# publish one keeps it; the other's is not published, and is not replaced by the remote one.
ns_add x1 && check "h1 takes the name x while h3 is away" \
	cb h1 ep add x --net ov1 --netns "$P-x1" --ip 10.50.0.31

# h3 comes back: registered and published again, learned by h1.
check "h3's agent restarts in cluster mode" cluster_agent h3
check "h1 learns e3 again" wait_for 5 has_remote h1 10.50.0.13
check "e1 (h1) pings e3 (h3) again" ping_ok e1 10.50.0.13
check "h3 forgot h2, which left while it was down" wait_for 5 lacks_remote h3 10.50.0.12
check_eq "h3 knows the nodes h1 and h3" "h1 h3" \
	"$(cb h3 --json node list | jq -r '.[] | select(.state == "ready") | .name' | sort | xargs)"
check "h3 logs that its x is not published" wait_for 3 grep -q \
	"endpoint x not published: node h1 has an endpoint of that name" "$WORK/h3.agent.log"
check "and that h1's x is not learned over its own" grep -q \
	"endpoint x of node h1 not learned: a local endpoint has that name" "$WORK/h3.agent.log"
check "h1 keeps its own x, not h3's" lacks_remote h1 10.50.0.33
check "h3 keeps its own x, not h1's" lacks_remote h3 10.50.0.31
cb h1 ep del x >/dev/null
check "once h1 lets go of x, h3 publishes its x and h1 learns it" wait_for 5 has_remote h1 10.50.0.33

# etcd away: the datapath keeps forwarding, changes that need the cluster fail with a clear
# error (HTTP 503 from the API) and leave nothing behind; etcd back, the agents converge.
etcd_stop() {
	kill -TERM "$ETCD_PID"
	for _ in $(seq 50); do kill -0 "$ETCD_PID" 2>/dev/null || return 0; sleep 0.1; done
	return 1
}
check "etcd stops" etcd_stop
check "e1 (h1) still pings e3 (h3) with etcd down" ping_ok e1 10.50.0.13
check_contains "net create with etcd down fails, saying why" \
	"net create ov9: choosing a VNI free in the cluster: etcd list /cbpfnet/v1/vnis/" \
	"$(cb h1 net create ov9 --model overlay --subnet 10.79.0.0/24 2>&1)"
check_eq "the API answers 503" 503 \
	"$(api h1 POST /v1/networks '{"name": "ov9", "model": "overlay", "subnet": "10.79.0.0/24"}' | tail -1)"
check_eq "and h1 has no ov9" "" "$(net_vni h1 ov9)"
ns_add y1
check_contains "ep add in an overlay network with etcd down fails, saying why" \
	"ep add y1: claiming an address in the cluster: etcd" \
	"$(cb h1 ep add y1 --net ov1 --netns "$P-y1" 2>&1)"
check "etcd starts again" etcd_start
check "e1 still pings e3" ping_ok e1 10.50.0.13
check "ep add on h1 after the outage" cb h1 ep add y1 --net ov1 --netns "$P-y1" --ip 10.50.0.41
check "h3 learns it: the watch came back" wait_for 5 has_remote h3 10.50.0.41
check "h3's e3 pings y1" ping_ok e3 10.50.0.41

# A lease lost while the agent could not send heartbeats (stopped here; an outage longer than
# the TTL does the same): the others drop its endpoints; when it runs again it registers anew
# and republishes, and is learned again, keeping its own node meanwhile.
kill -STOP "${AGENT_PIDS[h1]}"
STOPPED=${AGENT_PIDS[h1]}
check "h1's agent stopped: h3 drops e1 when h1's lease expires" wait_for $((TTL + 4)) lacks_remote h3 10.50.0.11
kill -CONT "$STOPPED"
STOPPED=
check "h1 registers again and republishes: h3 learns e1 again" wait_for 5 has_remote h3 10.50.0.11
check "h3's e3 pings h1's e1" ping_ok e3 10.50.0.11
check "h1 logged the lost lease" grep -q "cluster: lease of node h1 expired; registering again" \
	"$WORK/h1.agent.log"
check_eq "h1 is still its own node on ul0" "h1:ul0" \
	"$(cb h1 --json node list | jq -r '.[] | select(.name == "h1") | "\(.name):\(.ifname)"')"

# h1 cut off from etcd (longer than its TTL) while the cluster changes and etcd compacts its
# history: back on the network, h1 registers again, lists and watches again, and converges.
lists_before=$(grep -c "cluster: .* at revision .*; watching" "$WORK/h1.agent.log")
ip -n "$P-h1" link set ul0 down
ns_add z3 && cb h3 ep add z3 --net ov1 --netns "$P-z3" --ip 10.50.0.53 >/dev/null
cb h3 ep del x >/dev/null
rev=$(in_ns h3 "$PROBE" "$URL" list /cbpfnet/v1/ 1 | sed -n 's/^revision=\([0-9]*\).*/\1/p')
check "etcd compacts its history up to revision $rev" \
	in_ns h3 curl -sf -m 3 -X POST "$URL/v3/kv/compaction" -d "{\"revision\":\"$rev\"}"
sleep $((TTL + 1))
ip -n "$P-h1" link set ul0 up
check "h1 back: it learns z3, added while it was cut off" wait_for 10 has_remote h1 10.50.0.53
lists() { grep -c "cluster: .* at revision .*; watching" "$WORK/h1.agent.log"; }
check "h1 listed and watched again once its heartbeats came back" \
	wait_for 5 eval '[ "$(lists)" -gt "$lists_before" ]'
check "and forgets x, deleted meanwhile" wait_for 5 lacks_remote h1 10.50.0.33
check "h3 learns h1's e1 again" wait_for 5 has_remote h3 10.50.0.11
check "e1 (h1) pings z3 (h3)" ping_ok e1 10.50.0.53

lib_finish
