#!/usr/bin/env bash
# The host agent: one per state directory, the command line as its client, the API's answers to
# bad input, concurrent clients, the event stream, and restarts that lose no packet.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
for ns in a1 a2 b1; do ns_add $ns; done
SOCK="$WORK/h1/state/cbpfnet.sock"

# status: the code on the last line of `api`'s output; body: the rest.
status() { tail -n 1 <<<"$1"; }
body() { sed '$d' <<<"$1"; }

check_eq "the API socket is mode 0660" "660" "$(stat -c %a "$SOCK")"
out=$(cb h1 daemon 2>&1)
check_eq "a second agent on the same state exits 1" "1" "$?"
check_contains "a second agent says which agent holds the state" \
	"another agent (pid ${AGENT_PIDS[h1]}) is running on state $WORK/h1/state" "$out"
out=$(ip netns exec "$P-h1" "$CBPFNET" --bpffs "$WORK/h1/bpffs" --state "$WORK/h1/state" \
	daemon 2>&1)
check_contains "a second agent started directly refuses too" "another agent" "$out"
check "the first agent still answers" cb h1 status

check "net create neta through the agent" cb h1 net create neta --subnet 10.1.0.0/24
check "net create netb through the agent" cb h1 net create netb --subnet 10.2.0.0/24
check "ep add a1" cb h1 ep add a1 --net neta --netns "$P-a1"
check "ep add a2" cb h1 ep add a2 --net neta --netns "$P-a2"
check "ep add b1" cb h1 ep add b1 --net netb --netns "$P-b1"
check "a1 pings a2" ping_ok a1 10.1.0.3

# Our attachments are bpf_links pinned per hook and interface.
a1_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "a1") | .host_ifname')
a1_idx=$(in_ns h1 cat "/sys/class/net/$a1_if/ifindex")
check_eq "a1's host interface has its two pinned links" "tcx_egress-$a1_idx tcx_ingress-$a1_idx" \
	"$(ls "$WORK/h1/bpffs/cbpfnet/links" | grep -- "-$a1_idx\$" | sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "the ingress link holds tc_from_ep" "tc_from_ep" \
	"$(bpftool -j prog show id "$(bpftool -j link show pinned "$WORK/h1/bpffs/cbpfnet/links/tcx_ingress-$a1_idx" | jq .prog_id)" | jq -r .name)"
b1_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "b1") | .host_ifname')
b1_idx=$(in_ns h1 cat "/sys/class/net/$b1_if/ifindex")
in_ns h1 ip link del "$b1_if"
check "sync after b1's interface was deleted behind the agent's back" cb h1 sync
check_eq "sync unpinned the dead links" "" \
	"$(ls "$WORK/h1/bpffs/cbpfnet/links" | grep -- "-$b1_idx\$")"
check "ep del b1 (its interface made again by sync)" cb h1 ep del b1
check "ep add b1 again" cb h1 ep add b1 --net netb --netns "$P-b1"

# Resource routes.
r=$(api h1 GET /v1/networks)
check_eq "GET /v1/networks: 200" "200" "$(status "$r")"
check_eq "GET /v1/networks lists both networks" "neta netb" "$(body "$r" | jq -r '[.[].name] | join(" ")')"
r=$(api h1 GET /v1/endpoints)
check_eq "GET /v1/endpoints: a1's address" "10.1.0.2" \
	"$(body "$r" | jq -r '.[] | select(.name == "a1") | .ip')"
r=$(api h1 POST /v1/networks '{"name": "netc", "subnet": "10.3.0.0/24", "icc": false}')
check_eq "POST /v1/networks: 200" "200" "$(status "$r")"
check_eq "the network made through the API has icc off" "false" \
	"$(cb h1 --json net list | jq '.[] | select(.name == "netc") | .icc')"
r=$(api h1 DELETE /v1/networks/netc)
check_eq "DELETE /v1/networks/netc: 200" "200" "$(status "$r")"
r=$(api h1 DELETE /v1/endpoints/nosuch)
check_eq "DELETE of an unknown endpoint: 404" "404" "$(status "$r")"
check_eq "... with a stable code and the object" "not-found nosuch" \
	"$(body "$r" | jq -r '.error | "\(.code) \(.object)"')"
r=$(api h1 POST /v1/networks '{"name": "neta", "subnet": "10.9.0.0/24"}')
check_eq "POST of an existing network's name: 409" "409" "$(status "$r")"

# Bad input changes nothing.
snapshot() {
	cb h1 --json net list
	cb h1 --json ep list
	cb h1 --json policy list
	map_dump h1 cbpf_endpoints
	map_dump h1 cbpf_networks
}
before=$(snapshot)
bad_api() {
	local desc=$1 want=$2 code=$3 method=$4 path=$5 data=${6-} r
	r=$(api h1 "$method" "$path" "$data")
	check_eq "API $desc: $want" "$want" "$(status "$r")"
	[ -z "$code" ] || check_eq "API $desc: error code $code" "$code" "$(body "$r" | jq -r .error.code)"
}
bad_api "malformed JSON" 400 bad-json POST /v1/endpoints '{"name": "x", "net": '
bad_api "trailing garbage" 400 bad-json POST /v1/endpoints '{"name": "x", "net": "neta"} {}'
bad_api "a JSON array" 400 bad-json POST /v1/networks '[1, 2]'
bad_api "empty body" 400 bad-json POST /v1/networks ''
bad_api "unknown field" 400 unknown-field POST /v1/endpoints \
	'{"name": "x", "net": "neta", "netns": "'"$P-b1"'", "colour": "red"}'
bad_api "wrong type" 400 wrong-type POST /v1/networks '{"name": "n", "subnet": 10}'
bad_api "a string where a number goes" 400 wrong-type POST /v1/networks \
	'{"name": "n", "subnet": "10.7.0.0/24", "vni": "7"}'
bad_api "missing field" 400 missing-field POST /v1/nodes '{"name": "h9"}'
bad_api "NUL in a string" 400 invalid POST /v1/networks '{"name": "n\u0000x", "subnet": "10.7.0.0/24"}'
bad_api "a name that reads as an option" 400 invalid POST /v1/networks \
	'{"name": "--help", "subnet": "10.7.0.0/24"}'
bad_api "invalid subnet" 400 invalid POST /v1/networks '{"name": "n", "subnet": "10.7.0.0/33"}'
bad_api "wrong method" 405 method-not-allowed PUT /v1/networks '{}'
bad_api "unknown route" 404 no-route GET /v1/nothing
bad_api "a body where none is taken" 400 unexpected-body DELETE /v1/endpoints/a1 '{"force": true}'
bad_api "exec with a non-string word" 400 wrong-type POST /v1/exec '{"argv": ["ep", 1]}'
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' ' ' >"$WORK/huge.json"
r=$(curl -s --max-time 20 --unix-socket "$SOCK" -X POST --data-binary @"$WORK/huge.json" \
	-w '\n%{http_code}\n' http://agent/v1/networks)
check_eq "API body over 8 MiB: 413" "413" "$(status "$r")"
check_eq "bad input changed nothing (store and maps)" "$before" "$(snapshot)"
check "the agent survived the bad input" cb h1 status

# 50 clients at once: 50 adds, then 25 deletes, every change recorded and in the map.
for i in $(seq 50); do ns_add "c$i"; done
# (`wait` names its jobs: a bare one would wait for the agent too.)
jobs=()
for i in $(seq 50); do
	api h1 POST /v1/endpoints '{"name": "c'"$i"'", "net": "netb", "netns": "'"$P-c$i"'"}' \
		>"$WORK/add.$i" &
	jobs+=($!)
done
wait "${jobs[@]}"
check_eq "50 concurrent adds: 50 answered 200" "50" "$(tail -qn 1 "$WORK"/add.* | grep -c '^200$')"
check_eq "50 concurrent adds: 51 endpoints on netb in the store" "51" \
	"$(cb h1 --json ep list | jq '[.[] | select(.net == "netb")] | length')"
addrs=$(cb h1 --json ep list | jq -r '.[] | select(.net == "netb") | .ip' | sort -u | wc -l)
check_eq "50 concurrent adds: 51 distinct addresses" "51" "$addrs"
check_eq "50 concurrent adds: 53 endpoint map entries" "53" "$(map_dump h1 cbpf_endpoints | jq length)"
jobs=()
for i in $(seq 25); do
	api h1 DELETE "/v1/endpoints/c$i" >"$WORK/del.$i" &
	jobs+=($!)
done
wait "${jobs[@]}"
check_eq "25 concurrent deletes: 25 answered 200" "25" "$(tail -qn 1 "$WORK"/del.* | grep -c '^200$')"
check_eq "25 concurrent deletes: 26 endpoints left on netb" "26" \
	"$(cb h1 --json ep list | jq '[.[] | select(.net == "netb")] | length')"
check_eq "25 concurrent deletes: 28 endpoint map entries" "28" "$(map_dump h1 cbpf_endpoints | jq length)"
check "c50 still pings b1" ping_ok c50 10.2.0.2

# The event stream: a denied packet arrives as an event with wall-clock time, names and rule
# (among others: containers' own IPv6 start-up traffic is dropped and reported too).
check "policy set a1 a2 deny" cb h1 policy set a1 a2 deny
curl -sN --max-time 4 --unix-socket "$SOCK" "http://agent/v1/events?count=200" >"$WORK/sse.out" &
sse=$!
sleep 0.5
ping_fails a1 10.1.0.3 >/dev/null
wait $sse
ev=$(sed -n 's/^data: //p' "$WORK/sse.out" | jq -c 'select(.reason == "policy-deny")' | head -1)
check_eq "GET /v1/events streams the drop" "drop a1 a2 policy-deny icmp" \
	"$(jq -r '"\(.kind) \(.src) \(.dst) \(.reason) \(.proto)"' <<<"$ev")"
check_contains "the event has a wall-clock time" "$(date -u +%Y-%m-%dT)" "$(jq -r .time <<<"$ev")"
check_eq "SSE messages carry an id and an event name" "2" \
	"$(grep -m1 -B2 '^data: ' "$WORK/sse.out" | grep -c '^id: \|^event: flow')"
cb h1 --json monitor --count 200 --timeout 4 >"$WORK/mon.out" &
mon=$!
sleep 0.5
ping_fails a1 10.1.0.3 >/dev/null
wait $mon
check_eq "monitor through the agent prints the drop" "a1 a2" \
	"$(jq -r 'select(.reason == "policy-deny") | "\(.src) \(.dst)"' <"$WORK/mon.out" | head -1)"
cb h1 --json monitor --count 1 --timeout 4 >"$WORK/mon1.out" &
mon=$!
sleep 0.5
ping_fails a1 10.1.0.3 >/dev/null
wait $mon
check_eq "monitor --count 1 prints one event" "1" "$(wc -l <"$WORK/mon1.out")"

# Changes of the store on the same stream (?types=change), each after its commit, in order; a
# failed command changes nothing and says nothing there.
curl -sN --max-time 20 --unix-socket "$SOCK" "http://agent/v1/events?types=change&count=9" \
	>"$WORK/change.out" &
sse=$!
sleep 0.5
ns_add d1
cb h1 net create netd --subnet 10.4.0.0/24 >/dev/null
cb h1 net create netd --subnet 10.5.0.0/24 >/dev/null 2>&1
cb h1 ep add d1 --net netd --netns "$P-d1" >/dev/null
cb h1 ep connect d1 --net neta >/dev/null
cb h1 ep disconnect d1 --net neta >/dev/null
cb h1 ep move d1 --net netb >/dev/null
cb h1 policy set d1 a1 deny >/dev/null
cb h1 ep del d1 >/dev/null
cb h1 net delete netd >/dev/null
wait $sse
check_eq "the stream names every change: network, endpoint, interface, move, rule" \
	"network create netd|endpoint add d1 netd|endpoint connect d1 neta|endpoint disconnect d1 neta|endpoint move d1 netb|policy set ep:d1 ep:a1 deny|endpoint delete d1 netb|policy delete ep:d1 ep:a1 deny|network delete netd" \
	"$(sed -n 's/^data: //p' "$WORK/change.out" | jq -r '[.object, .action,
		(if .object == "policy" then "\(.from) \(.to) \(.verdict)" else "\(.name) \(.net // "")" end)]
		| join(" ") | rtrimstr(" ")' | paste -sd'|')"
check_eq "change messages are named change, with an id" "2" \
	"$(grep -m1 -B2 '^data: ' "$WORK/change.out" | grep -c '^id: [0-9]\|^event: change$')"
check_eq "?types=nosuch: 400" "400" "$(status "$(api h1 GET '/v1/events?types=nosuch')")"

# The agent's log lines (?types=log): the latest are kept for a client that comes later.
cb h1 net create nete --subnet 10.1.0.0/24 >/dev/null 2>&1
curl -sN --max-time 3 --unix-socket "$SOCK" "http://agent/v1/events?types=log" >"$WORK/log.out" &
sse=$!
sleep 0.5
cb h1 policy reload >/dev/null 2>&1
wait $sse
check_contains "a client that comes later gets the log line of the failed net create, with its level" \
	"info net create: failed: " \
	"$(sed -n 's/^data: //p' "$WORK/log.out" | jq -r 'select(.message | contains("nete")) | "\(.level) \(.message)"')"
check_contains "... and live lines: the refused policy reload" "policy reload: failed: " \
	"$(sed -n 's/^data: //p' "$WORK/log.out" | jq -r .message)"
check_eq "no flow or change message in a log stream" "0" "$(grep -c '^event: \(flow\|change\)' "$WORK/log.out")"

# A restart, a kill -9 and an upgrade lose no packet, never break a TCP stream and keep the
# policy in force. The stream a2 -> a1 sends 4 KiB every 50 ms until told to stop (4 minutes at
# most), so it is in flight through every stage.
in_ns a2 ping -n -i 0.05 -c 120 -W 1 10.1.0.2 >"$WORK/ping.out" 2>&1 &
pinger=$!
in_ns a1 ping -n -i 0.1 -c 60 -W 1 10.1.0.3 >"$WORK/denied.out" 2>&1 &
denied=$!
in_ns a1 timeout 300 socat -u TCP-LISTEN:7100,reuseaddr "OPEN:$WORK/stream.out,creat,trunc" \
	2>"$WORK/stream.rx.err" &
stream_rx=$!
PIDS+=("$stream_rx")
# retrans NS: TCP segments NS has sent again (a lost or late segment of the stream shows here).
retrans() { in_ns "$1" awk '/^Tcp:/ && $13 ~ /^[0-9]+$/ {print $13}' /proc/net/snmp; }
retrans_before=$(retrans a2)
sleep 0.2
for _ in $(seq 4800); do
	[ -e "$WORK/stream.stop" ] && break
	head -c 4096 /dev/urandom
	sleep 0.05
done | tee "$WORK/stream.in" | in_ns a2 timeout 300 socat -u - TCP:10.1.0.2:7100,connect-timeout=2 \
	2>"$WORK/stream.tx.err" &
stream_tx=$!
PIDS+=("$stream_tx")
# denied STAGE: the denied pair a1 -> a2 cannot open a TCP connection at this stage.
denied() { check "$1: a1 -> a2 still denied (TCP)" tcp_fails a1 a2 10.1.0.3 7200; }
sleep 0.5
agent_stop h1
check_eq "the agent exits 0 on SIGTERM" "0" "$?"
out=$(cb h1 net list 2>&1)
check_contains "without an agent the command line says how to start one" \
	"no agent is running on state $WORK/h1/state (start one: cbpfnet" "$out"
check "ping a2 -> a1 still answered with no agent" ping_ok a2 10.1.0.2
denied "agent stopped"
check "the agent starts again" agent_start h1
denied "agent started again"
kill -KILL "${AGENT_PIDS[h1]}"
wait "${AGENT_PIDS[h1]}" 2>/dev/null
denied "agent killed with SIGKILL"
check "the agent starts after a kill -9 (the lock died with it)" agent_start h1
denied "agent started after the kill"
# An upgrade: the agent stops, a new build (a copy of the binary, whose pins record another
# build: the id is rewritten here) with the same map layout starts and replaces the programs in
# place on every hook, keeping the maps.
a1_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "a1") | .host_ifname')
old_prog=$(hook_id h1 "$a1_if" tcx_ingress tc_from_ep)
agent_stop h1
meta=$(pin h1 cbpf_meta)
value=$(bpftool -j map lookup pinned "$meta" key 0 0 0 0 | jq -r '.value | .[8:] | join(" ")')
bpftool map update pinned "$meta" key 0 0 0 0 value 1 2 3 4 5 6 7 8 $value
# A build is the front and the full binary it runs for `daemon`, side by side.
mkdir "$WORK/new-build"
cp "$CBPFNET" "$(dirname "$CBPFNET")/cbpfnet-full" "$WORK/new-build/"
CBPFNET=$WORK/new-build/cbpfnet check "the new build, same map layout, starts" agent_start h1
check_eq "the agent running is the new build's binary" "$WORK/new-build/cbpfnet-full" \
	"$(readlink "/proc/${AGENT_PIDS[h1]}/exe")"
denied "new build started"
new_prog=$(hook_id h1 "$a1_if" tcx_ingress tc_from_ep)
check "the upgrade replaced a1's program in place ($old_prog -> $new_prog)" \
	test -n "$new_prog" -a "$new_prog" != "$old_prog"
check_eq "one tc_from_ep on a1's hook, not two" "tcx_ingress tc_from_ep,tcx_egress tc_to_ep" \
	"$(hooks h1 "$a1_if")"
wait $pinger
check_contains "120 pings across stop, start, kill -9 and upgrade: none lost" " 0% packet loss" \
	"$(cat "$WORK/ping.out")"
wait $denied
check_contains "the denied pair got no answer throughout" " 0 received" "$(cat "$WORK/denied.out")"
touch "$WORK/stream.stop"
wait $stream_tx
check_eq "the TCP stream's sender ended cleanly (no reset, no timeout)" "0 " \
	"$? $(cat "$WORK/stream.tx.err")"
wait $stream_rx
check_eq "the TCP stream's receiver ended cleanly" "0 " "$? $(cat "$WORK/stream.rx.err")"
sent=$(stat -c %s "$WORK/stream.in")
check_gt "the stream carried data through every stage" "$sent" $((100 * 4096))
check_eq "every byte sent across the stages arrived" "$sent" "$(stat -c %s "$WORK/stream.out")"
check_eq "and in order, unchanged" "$(sha256sum <"$WORK/stream.in")" "$(sha256sum <"$WORK/stream.out")"
check_eq "no segment of the stream had to be sent again" "$retrans_before" "$(retrans a2)"
check_eq "the store kept every endpoint" "28" "$(cb h1 --json ep list | jq length)"

# The reconciler makes what the kernel lost again from the store, at `sync` and at the agent's
# start: an endpoint's link (same name, MAC and address, in its namespace), its address and
# routes, attachments and map entry, on veth and macvlan networks alike. a1 -> a2 stays denied
# (the rule above) and m1 -> m2 is denied below; the other way round answers.
# status NAME: NAME's status in `ep list`.
ep_status() { cb h1 --json ep list | jq -r --arg n "$1" '.[] | select(.name == $n) | .status'; }
# ep_back LABEL NS ADDR MAC ALLOWED_FROM ALLOWED_TO [DENIED_FROM DENIED_TO]: NS's eth0 has
# ADDR and MAC, its default route, ALLOWED_FROM pings ALLOWED_TO, DENIED_FROM -> DENIED_TO is
# dropped and counted.
ep_back() {
	check_eq "$1: eth0 is back with its address" "$3" \
		"$(in_ns "$2" ip -o -4 addr show dev eth0 | awk '{print $4}')"
	check_eq "$1: ... its MAC" "$4" "$(in_ns "$2" cat /sys/class/net/eth0/address)"
	check_eq "$1: ... and its default route" "1" "$(in_ns "$2" ip route show default dev eth0 | wc -l)"
	check "$1: traffic flows ($5 pings $6)" ping_ok "$5" "$6"
	[ $# -gt 6 ] || return 0
	check "$1: the deny holds ($7 -> $8 dropped and counted)" \
		denied_quietly h1 policy-deny "$7" "$8"
}
# Links deleted by hand below are for `ep list` to see and `sync` or a restart to make again:
# the agent's own look after commits (--recheck, tested at the end) would race with them.
agent_stop h1
check "the agent restarts without its look after commits (--recheck 0)" agent_start h1 --recheck 0
# lose_and_sync LABEL NS: NS's eth0 (endpoint NS) deleted by hand: ep list says missing, and
# sync says it made the link again.
lose_and_sync() {
	in_ns "$2" ip link del eth0
	check_eq "$1: $2's interface deleted by hand: ep list says missing" "missing" \
		"$(ep_status "$2")"
	check_contains "$1: sync makes $2's link again" "endpoint $2: made again: link" \
		"$(cb h1 sync)"
}
a2_mac=$(in_ns a2 cat /sys/class/net/eth0/address)
lose_and_sync veth a2
ep_back "veth, sync" a2 10.1.0.3/24 "$a2_mac" a2 10.1.0.2 a1 10.1.0.3
check_eq "veth, sync: ep list says ok" "ok" "$(ep_status a2)"
a2_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "a2") | .host_ifname')
check_eq "veth, sync: its programs are attached again" "tcx_ingress tc_from_ep,tcx_egress tc_to_ep" \
	"$(hooks h1 "$a2_if")"
check_eq "veth, sync: its map entry names the new interface" \
	"$(in_ns h1 cat "/sys/class/net/$a2_if/ifindex")" \
	"$(map_dump h1 cbpf_endpoints | jq '.[] | select(.formatted.key.ip == 50331914) | .formatted.value.ifindex')"
in_ns a2 ip addr flush dev eth0
in_ns h1 ip route del 10.1.0.3/32
out=$(cb h1 sync)
check_contains "veth: address and host route deleted: sync adds them again" \
	"endpoint a2: made again: address route" "$out"
ep_back "veth, address" a2 10.1.0.3/24 "$a2_mac" a2 10.1.0.2
check "veth, address: the host reaches a2 again (its route)" ping_ok h1 10.1.0.3
in_ns a2 ip link set eth0 address 02:00:00:00:aa:01 mtu 1400
check_contains "veth: MAC and MTU changed by hand: sync sets both back" \
	"endpoint a2: made again: mac mtu" "$(cb h1 sync)"
check_eq "veth: ... the MAC and MTU are the endpoint's again" "$a2_mac 1500" \
	"$(in_ns a2 cat /sys/class/net/eth0/address) $(in_ns a2 cat /sys/class/net/eth0/mtu)"
check "veth: ... and a2 pings a1" ping_ok a2 10.1.0.2
out=$(cb h1 sync)
check_eq "sync with nothing missing makes nothing" "already loaded in $WORK/h1/bpffs/cbpfnet" "$out"
in_ns a2 ip link del eth0
agent_stop h1
check "veth: the agent restarts after a2's interface was deleted" agent_start h1 --recheck 0
check_contains "veth, restart: the agent logs what it made again" \
	"warn  cbpfnet daemon: reconcile: endpoint a2: made again: link" "$(cat "$WORK/h1.agent.log")"
ep_back "veth, restart" a2 10.1.0.3/24 "$a2_mac" a2 10.1.0.2 a1 10.1.0.3

ns_add m1
ns_add m2
check "net create mv (macvlan on ul0)" cb h1 net create mv --model macvlan --parent ul0 \
	--mode bridge --subnet 10.9.0.0/24
check "ep add m1 (mv)" cb h1 ep add m1 --net mv --netns "$P-m1"
check "ep add m2 (mv)" cb h1 ep add m2 --net mv --netns "$P-m2"
check "policy set m1 m2 deny" cb h1 policy set m1 m2 deny
m1_mac=$(in_ns m1 cat /sys/class/net/eth0/address)
m1_idx=$(in_ns m1 cat /sys/class/net/eth0/ifindex)
lose_and_sync macvlan m1
ep_back "macvlan, sync" m1 10.9.0.2/24 "$m1_mac" m2 10.9.0.2 m1 10.9.0.3
check_eq "macvlan, sync: the same ifindex (the one its map entries name)" "$m1_idx" \
	"$(in_ns m1 cat /sys/class/net/eth0/ifindex)"
in_ns m1 ip link set eth0 address 02:00:00:00:aa:02
check_contains "macvlan: MAC changed by hand: sync sets it back" \
	"endpoint m1: made again: mac" "$(cb h1 sync)"
ep_back "macvlan, MAC" m1 10.9.0.2/24 "$m1_mac" m2 10.9.0.2 m1 10.9.0.3
in_ns m1 ip link del eth0
agent_stop h1
check "macvlan: the agent restarts after m1's interface was deleted" agent_start h1 --recheck 0
ep_back "macvlan, restart" m1 10.9.0.2/24 "$m1_mac" m2 10.9.0.2 m1 10.9.0.3
# A start takes a live link for done only when it holds today's program: one that another
# program was put into by hand gets ours back, and the link next to it is left as it was.
link_prog() { bpftool -j link show pinned "$(pin h1 "links/$1")" | jq .prog_id; }
# program_put_back LABEL EP IFINDEX INGRESS_PROG EGRESS_PROG: tc_noop put into the TCX ingress
# link on IFINDEX (endpoint EP's), then a restart; the pinned programs are the ones expected.
program_put_back() {
	local egress_link
	egress_link=$(bpftool -j link show pinned "$(pin h1 "links/tcx_egress-$3")" | jq .id)
	check "$1: tc_noop put into $2's TCX ingress link by hand" "$TCX_NOOP" --into \
		"$(pin h1 "links/tcx_ingress-$3")"
	check_eq "$1: ... which holds tc_noop now" "tc_noop" \
		"$(bpftool -j prog show id "$(link_prog "tcx_ingress-$3")" | jq -r .name)"
	agent_stop h1
	check "$1: the agent restarts after $2's link got another program" agent_start h1 --recheck 0
	check_eq "$1, restart: $2's ingress link holds the pinned $4 again" \
		"$(prog_id h1 "prog_$4")" "$(link_prog "tcx_ingress-$3")"
	check_eq "$1, restart: its egress link is the same link, with the pinned $5" \
		"$egress_link $(prog_id h1 "prog_$5")" \
		"$(bpftool -j link show pinned "$(pin h1 "links/tcx_egress-$3")" | jq -r '"\(.id) \(.prog_id)"')"
}
program_put_back macvlan m1 "$(in_ns m1 cat /sys/class/net/eth0/ifindex)" \
	tc_macvlan_ingress tc_macvlan_egress
ep_back "macvlan, program put back" m1 10.9.0.2/24 "$m1_mac" m2 10.9.0.2 m1 10.9.0.3
a2_if=$(cb h1 --json ep list | jq -r '.[] | select(.name == "a2") | .host_ifname')
program_put_back veth a2 "$(in_ns h1 cat "/sys/class/net/$a2_if/ifindex")" tc_from_ep tc_to_ep
ep_back "veth, program put back" a2 10.1.0.3/24 "$a2_mac" a2 10.1.0.2 a1 10.1.0.3
# An interface of the endpoint's name that cbpfnet did not make is never replaced.
in_ns m1 ip link del eth0
in_ns m1 ip link add eth0 type veth peer name foreign0
out=$(cb h1 sync 2>&1)
check_eq "someone else's eth0 in m1's namespace: sync exits 1" "1" "$?"
check_contains "... and says which interface it left alone" \
	"reconcile m1: netns $P-m1 has an interface eth0 that cbpfnet did not make" "$out"
check_eq "... which is still theirs (a veth)" "veth" \
	"$(in_ns m1 ip -d -o link show eth0 | grep -o 'veth' | head -1)"
in_ns m1 ip link del eth0
check "once it is gone, sync makes m1's link again" cb h1 sync
check "... and m2 pings m1" ping_ok m2 10.9.0.2

# A namespace that is gone (container ended, host rebooted) is not made again: the runtime's
# DEL is coming, and the record and address wait for it, as Docker and Cilium keep theirs.
ip netns del "$P-m2"
check_eq "netns gone: ep list says no-netns" "no-netns" "$(ep_status m2)"
check "netns gone: sync succeeds" cb h1 sync
check_contains "netns gone: the agent warns" \
	"warn  cbpfnet daemon: reconcile: endpoint m2: netns $P-m2 is gone" "$(cat "$WORK/h1.agent.log")"
check_eq "netns gone: m2 keeps its record and address" "10.9.0.3" \
	"$(cb h1 --json ep list | jq -r '.[] | select(.name == "m2") | .ip')"
agent_stop h1
check "netns gone: the agent restarts" agent_start h1 --recheck 0
check "netns gone: ep del m2 (the runtime's DEL) succeeds" cb h1 ep del m2

# The reconciler after commits: links deleted behind the agent's back come back without `sync`
# or a restart once the store has been quiet for --recheck ms after a commit.
agent_stop h1
check_contains "--expedite-grace takes on or off" "daemon: --expedite-grace maybe: on or off" \
	"$(cb h1 daemon --expedite-grace maybe 2>&1)"
# A process killed while it had /sys/kernel/rcu_expedited on for a link call left its mark in
# the window lock: the next agent's start puts the setting back.
knob=$(cat /sys/kernel/rcu_expedited)
printf 1 >/run/cbpfnet-rcu.lock
echo 1 >/sys/kernel/rcu_expedited
check "the agent restarts with --recheck 300" agent_start h1 --recheck 300
check_eq "its start put back what a killed window left on, and the mark" "0 0" \
	"$(cat /sys/kernel/rcu_expedited) $(stat -c %s /run/cbpfnet-rcu.lock)"
echo "$knob" >/sys/kernel/rcu_expedited
ns_add m3
in_ns a2 ip link del eth0
in_ns m1 ip link del eth0
check "ep add m3 (a commit) after a2's and m1's interfaces were deleted by hand" \
	cb h1 ep add m3 --net mv --netns "$P-m3"
for i in $(seq 100); do
	[ "$(ep_status a2) $(ep_status m1)" = "ok ok" ] && break
	sleep 0.1
done
check_eq "recheck: a2 and m1 read ok again within 10 s, no sync run" "ok ok" \
	"$(ep_status a2) $(ep_status m1)"
check_eq "links made and attached leave /sys/kernel/rcu_expedited as they found it ($knob)" \
	"$knob" "$(cat /sys/kernel/rcu_expedited)"
ep_back "veth, recheck" a2 10.1.0.3/24 "$a2_mac" a2 10.1.0.2
ep_back "macvlan, recheck" m1 10.9.0.2/24 "$m1_mac" m3 10.9.0.2
check_contains "recheck: the agent logs what it made again" \
	"warn  cbpfnet daemon: reconcile: endpoint m1: made again: link" \
	"$(tail -20 "$WORK/h1.agent.log")"

# The window lock removed while the agent runs (a cleaner of /run): the agent keeps the file
# open between windows, and its next window takes the file other processes find, not the one
# it still has open, so it waits for a process holding that one.
rm /run/cbpfnet-rcu.lock
check "another process holds a new window lock" window_lock_hold 2
ns_add m4
t0=$(date +%s%N)
check "ep add m4 meanwhile" \
	cb h1 ep add m4 --net mv --netns "$P-m4"
ms=$((($(date +%s%N) - t0) / 1000000))
check "... waited for that process (${ms} ms)" test "$ms" -ge 1000
check "ep del m4" cb h1 ep del m4

lib_finish
