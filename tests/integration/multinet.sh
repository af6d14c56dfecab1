#!/usr/bin/env bash
# Endpoints in several networks (ep connect/disconnect), moves between networks (ep move), and
# leaving (ep del takes every interface), asserted with real traffic and policy.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
for ns in x y w pa pb pc spare1 spare2; do ns_add $ns; done
check "net create na" cb h1 net create na --subnet 10.50.0.0/24
check "net create nb" cb h1 net create nb --subnet 10.51.0.0/24
check "net create nc" cb h1 net create nc --subnet 10.52.0.0/24
check "ep add x (na)" cb h1 ep add x --net na --netns "$P-x" --ip 10.50.0.10
check "ep add y (na)" cb h1 ep add y --net na --netns "$P-y" --ip 10.50.0.20
check "ep add pa (na)" cb h1 ep add pa --net na --netns "$P-pa" --ip 10.50.0.2
check "ep add pb (nb)" cb h1 ep add pb --net nb --netns "$P-pb" --ip 10.51.0.2
check "ep add pc (nc)" cb h1 ep add pc --net nc --netns "$P-pc" --ip 10.52.0.2
check "x cannot reach pb before it joins nb (network isolation)" ping_fails x 10.51.0.2

# Join a second network: a second interface with its own address, no second default route.
entries=$(map_dump h1 cbpf_endpoints | jq length)
check "ep connect x --net nb" cb h1 ep connect x --net nb --ip 10.51.0.10
check_eq "x has eth1 with its nb address" "10.51.0.10/24" \
	"$(in_ns x ip -o -4 addr show dev eth1 | awk '{print $4}')"
check_eq "x keeps one default route, through eth0" "default via 10.50.0.1 dev eth0" \
	"$(in_ns x ip route show default | awk '{print $1, $2, $3, $4, $5}')"
check "x pings pb through eth1" ping_ok x 10.51.0.2
check "pb pings x's nb address" ping_ok pb 10.51.0.10
check "TCP pb -> x on nb" tcp_ok pb x 10.51.0.10 7301
check "x still pings pa through eth0" ping_ok x 10.50.0.2
check "pb cannot reach x's na address (another network)" ping_fails pb 10.50.0.10
check_eq "the interface is listed as x@nb" "x@nb nb eth1 10.51.0.10" \
	"$(cb h1 --json ep list | jq -r '.[] | select(.name == "x@nb") | "\(.name) \(.net) \(.ifname) \(.ip)"')"
check_eq "the new interface has its own map entry" "$((entries + 1))" \
	"$(map_dump h1 cbpf_endpoints | jq length)"
# Its own identity: a rule on nb's interface alone.
check "policy set pb -> x@nb's network peer deny (ep:pb to net:nb)" cb h1 policy set ep:pb net:na deny
check "a deny towards na does not touch x's nb interface: pb pings x@nb" ping_ok pb 10.51.0.10

r=$(api h1 POST /v1/endpoints/x/connect '{"net": "nc"}')
check_eq "POST /v1/endpoints/x/connect: 200" "200" "$(tail -n1 <<<"$r")"
check_eq "... eth2 in nc" "eth2" "$(sed '$d' <<<"$r" | jq -r .ifname)"
check "x pings pc through eth2" ping_ok x 10.52.0.2
r=$(api h1 POST /v1/endpoints/x/connect '{"net": "nc"}')
check_eq "connecting to the same network again: 409" "409" "$(tail -n1 <<<"$r")"
out=$(cb h1 ep connect x --net na 2>&1)
check_contains "connecting to the first interface's network is refused" \
	"first interface is in network na already" "$out"
out=$(cb h1 ep connect nosuch --net nb 2>&1)
check_contains "connecting an unknown endpoint is refused" "ep connect nosuch: no such endpoint" "$out"

# Leave one network.
check "ep disconnect x --net nb" cb h1 ep disconnect x --net nb
check_fail "x's eth1 is gone" in_ns x ip link show eth1
check "x no longer reaches pb" ping_fails x 10.51.0.2
check_eq "x@nb is gone from the store" "" \
	"$(cb h1 --json ep list | jq -r '.[] | select(.name == "x@nb") | .name')"
check "pb's address 10.51.0.10 is free again: ep add takes it" \
	cb h1 ep add pb2 --net nb --netns "$P-spare1" --ip 10.51.0.10
check "ep del pb2" cb h1 ep del pb2
out=$(cb h1 ep disconnect x --net na 2>&1)
check_contains "disconnecting the first interface is refused" "holds the endpoint's first interface" "$out"

# Move between networks: y leaves na for nb; nb's rules apply to it, na's do not.
check "policy set nc -> nb allow" cb h1 policy set net:nc net:nb allow
check "policy set y -> pa deny (a rule naming y)" cb h1 policy set ep:y ep:pa deny
check "before the move pc cannot reach y (na)" ping_fails pc 10.50.0.20
# ct_of HOST A.B.C.D: conntrack entries with the address at either end.
ct_of() {
	local a b c d
	IFS=. read -r a b c d <<<"$2"
	map_dump "$1" cbpf_ct | jq --argjson ip $((d << 24 | c << 16 | b << 8 | a)) \
		'[.[] | select(.formatted.key.addr_a == $ip or .formatted.key.addr_b == $ip)] | length'
}
check "x pings y's na address (a tracked flow)" ping_ok x 10.50.0.20
check_gt "the flow is in conntrack" "$(ct_of h1 10.50.0.20)" 0
check "ep move y --net nb" cb h1 ep move y --net nb --ip 10.51.0.20
check_eq "the flows of y's old address are gone from conntrack" "0" "$(ct_of h1 10.50.0.20)"
check_eq "y's eth0 now has its nb address only" "10.51.0.20/24" \
	"$(in_ns y ip -o -4 addr show dev eth0 | awk '{print $4}' | tr '\n' ' ' | sed 's/ $//')"
check_eq "y's default route is nb's gateway" "default via 10.51.0.1 dev eth0" \
	"$(in_ns y ip route show default | awk '{print $1, $2, $3, $4, $5}')"
check "the nc -> nb rule now applies to y: pc pings y" ping_ok pc 10.51.0.20
check "y reaches pb in nb" ping_ok y 10.51.0.2
check "y's old address answers no more" ping_fails pa 10.50.0.20
check_eq "y is recorded in nb with one record" "nb 10.51.0.20" \
	"$(cb h1 --json ep list | jq -r '.[] | select(.name == "y") | "\(.net) \(.ip)"')"
check_eq "the rule naming y moved with it" "ep:y ep:pa deny" \
	"$(cb h1 policy list | awk '$2 == "ep:y" {print $2, $3, $4}')"
check "10.50.0.20 was released: ep add takes it" \
	cb h1 ep add z --net na --netns "$P-spare2" --ip 10.50.0.20
r=$(api h1 POST /v1/endpoints/y/move '{"net": "nb"}')
check_eq "moving into the network it is in: 409" "409" "$(tail -n1 <<<"$r")"
r=$(api h1 POST /v1/endpoints/y/move '{"net": "nosuch"}')
check_eq "moving into an unknown network: 404" "404" "$(tail -n1 <<<"$r")"
check "a failed move left y working" ping_ok y 10.51.0.2

# ep del removes every interface.
before=$(map_dump h1 cbpf_endpoints | jq length)
check "ep del x (with its nc interface)" cb h1 ep del x
check_eq "x and x@nc are gone from the store" "" \
	"$(cb h1 --json ep list | jq -r '.[] | select(.name | startswith("x")) | .name')"
check_eq "both map entries went" "$((before - 2))" "$(map_dump h1 cbpf_endpoints | jq length)"
check_fail "x's eth2 is gone" in_ns x ip link show eth2

# A move is one store transaction: an agent killed (-9) at that transaction finds the endpoint
# after its restart wholly in the old network (killed just before it) or wholly in the new one
# (just after it), never in both or neither. gdb stops the agent there, so the kill is exact.
# crash_move NET AFTER: `ep move w --net NET`, the agent killed as the move enters its commit
# (AFTER=0) or as the commit returns (AFTER=1), then started again.
crash_move() {
	local net=$1 after=$2 pid=${AGENT_PIDS[h1]} gdb_out="$WORK/gdb.$1.out" gdb_pid move_pid
	timeout 60 gdb -p "$pid" -batch -nx -ex 'set pagination off' -ex 'break ep_move' \
		-ex 'echo gdb:ready\n' -ex continue -ex 'break state_commit' -ex continue \
		$([ "$after" = 1 ] && echo "-ex finish") -ex kill >"$gdb_out" 2>&1 &
	gdb_pid=$!
	for _ in $(seq 300); do
		grep -q 'gdb:ready' "$gdb_out" && break
		sleep 0.1
	done
	cb h1 ep move w --net "$net" >/dev/null 2>&1 &
	move_pid=$!
	wait "$gdb_pid"
	wait "$move_pid"
	wait "$pid" 2>/dev/null
	kill -0 "$pid" 2>/dev/null && return 1
	agent_start h1
}
# w_records: w's records in the store as "NET IP", one line each.
w_records() { sqlite3 "$WORK/h1/state/cbpfnet.db" "SELECT net || ' ' || ip FROM endpoints WHERE name = 'w'"; }
check "ep add w (na)" cb h1 ep add w --net na --netns "$P-w" --ip 10.50.0.30
check "the agent killed as the move na -> nb commits, then restarted" crash_move nb 1
check_eq "after the commit: w is in nb alone" "nb 10.51.0.3" "$(w_records)"
check "... and pb pings it there" ping_ok pb 10.51.0.3
check "... its na address is free: ep add takes it" \
	cb h1 ep add w2 --net na --netns "$P-spare1" --ip 10.50.0.30
check "the agent killed as the move nb -> nc enters its commit, then restarted" crash_move nc 0
check_eq "before the commit: w is still in nb alone" "nb 10.51.0.3" "$(w_records)"
check_eq "... and nc holds no address but pc's" "0" \
	"$(sqlite3 "$WORK/h1/state/cbpfnet.db" "SELECT count(*) FROM allocations a JOIN networks n ON a.net_id = n.id WHERE n.name = 'nc' AND a.ip != '10.52.0.2'")"
check_contains "... and the move's half-made link was removed at the restart" \
	"recovery: deleted link" "$(cat "$WORK/h1.agent.log")"
check_contains "... and w's nb link, deleted by the move, was made again at the restart" \
	"reconcile: endpoint w: made again: link" "$(cat "$WORK/h1.agent.log")"
check_eq "... w's eth0 has its nb address" "10.51.0.3/24" \
	"$(in_ns w ip -o -4 addr show dev eth0 | awk '{print $4}')"
check "... and w works: pb pings it in nb" ping_ok pb 10.51.0.3
check "... and w pings pb" ping_ok w 10.51.0.2

lib_finish
