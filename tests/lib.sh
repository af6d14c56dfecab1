# Test harness: simulated hosts as network namespaces on an underlay bridge, endpoints as
# namespaces on a host, TAP-style checks. Source it, then call lib_init.
#
# Every namespace, mount and process it creates carries the per-run prefix $P and is removed by
# the EXIT trap, whatever happens. The root namespace never gets an address.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CBPFNET=${CBPFNET:-$REPO/cbpfnet}
FAILURES=0
PIDS=()
HOSTS=()

lib_init() {
	P=cb$(printf '%04x' $((RANDOM % 65536)))$$
	P=${P:0:8}
	WORK=/run/cbpfnet-test-$P
	mkdir -p "$WORK"
	trap lib_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$P-fab"
	ip -n "$P-fab" link add br0 type bridge
	ip -n "$P-fab" link set br0 up
	ip -n "$P-fab" link set lo up
}

lib_cleanup() {
	local pid ns h i
	# A test that starts things the harness does not know (containers) ends them first.
	if declare -F lib_cleanup_hook >/dev/null; then lib_cleanup_hook; fi
	for pid in "${PIDS[@]}"; do
		kill "$pid" 2>/dev/null
	done
	# 10 s to end, then KILL: an agent stuck behind a flood of requests must not hang the exit.
	for pid in "${PIDS[@]}"; do
		for i in $(seq 100); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null
	done
	[ ${#PIDS[@]} -eq 0 ] || wait "${PIDS[@]}" 2>/dev/null
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$P-"); do
		ip netns del "$ns"
	done
	for h in "${HOSTS[@]}"; do
		umount "$WORK/$h/bpffs" 2>/dev/null
	done
	rm -rf "$WORK"
}

# --- checks -------------------------------------------------------------------------------

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILURES=$((FAILURES + 1))
}

# check DESC CMD...: passes when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@" >"$WORK/last.out" 2>&1; then ok "$desc"; else
		not_ok "$desc"
		sed 's/^/#   /' "$WORK/last.out" | head -20
	fi
}

# check_fail DESC CMD...: passes when CMD fails.
check_fail() {
	local desc=$1
	shift
	if "$@" >"$WORK/last.out" 2>&1; then
		not_ok "$desc (succeeded)"
		sed 's/^/#   /' "$WORK/last.out" | head -20
	else ok "$desc"; fi
}

check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1: expected '$2', got '$3'"; fi
}

check_contains() {
	case "$3" in
	*"$2"*) ok "$1" ;;
	*) not_ok "$1: '$2' not in: $3" ;;
	esac
}

# check_gt DESC A B: passes when A > B (integers).
check_gt() {
	if [ "$2" -gt "$3" ]; then ok "$1"; else not_ok "$1: $2 is not > $3"; fi
}

# bad_input HOST DESC EXPECT CMD...: CMD fails with exactly one stderr line containing EXPECT and
# leaves HOST as it was; the test defines `snapshot HOST` (map dumps, links, state).
bad_input() {
	local host=$1 desc=$2 expect=$3 err rc before after
	shift 3
	before=$(snapshot "$host")
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(snapshot "$host")
	if [ "$rc" -ne 0 ] && [ "$(echo "$err" | wc -l)" -eq 1 ] && [[ "$err" == *"$expect"* ]] &&
		[ "$before" = "$after" ]; then
		ok "bad input: $desc"
	else
		not_ok "bad input: $desc (rc=$rc, stderr: $err, state changed: $([ "$before" = "$after" ] && echo no || echo yes))"
	fi
}

lib_finish() {
	[ "$FAILURES" -eq 0 ]
}

# old_history_db FILE VALUES: FILE is a decision history as cbpfnet wrote it before the store
# took it in (<state>/history.db, schema version 1); VALUES are its rows as SQL tuples.
old_history_db() {
	sqlite3 "$1" "CREATE TABLE decisions (id INTEGER PRIMARY KEY, net TEXT NOT NULL,
		security INTEGER NOT NULL, scale INTEGER NOT NULL, efficiency INTEGER NOT NULL,
		extensibility INTEGER NOT NULL, alpha REAL NOT NULL, beta REAL NOT NULL,
		choice INTEGER NOT NULL CHECK (choice IN (0, 1)),
		source TEXT NOT NULL CHECK (source IN ('classifier', 'cache', 'constraint')),
		reason TEXT NOT NULL, model_version INTEGER NOT NULL, created_at TEXT NOT NULL,
		label INTEGER CHECK (label IN (0, 1)), labelled_at TEXT);
		CREATE INDEX decisions_req ON decisions (security, scale, efficiency, extensibility);
		CREATE INDEX decisions_net ON decisions (net);
		INSERT INTO decisions VALUES $2; PRAGMA user_version = 1;"
}

# --- hosts and endpoints -------------------------------------------------------------------

# host_add NAME N [DAEMON ARGS...]: a host namespace with uplink ul0 = 198.18.0.N/15 on the
# fabric bridge, its own bpffs (outside /sys, see README) and state directory, and its agent.
host_add() {
	local name=$1 n=$2
	shift 2
	ip netns add "$P-$name"
	ip -n "$P-$name" link set lo up
	ip -n "$P-fab" link add "$name-up" type veth peer name ul0 netns "$P-$name"
	ip -n "$P-fab" link set "$name-up" master br0 up
	ip -n "$P-$name" addr add "198.18.0.$n/15" dev ul0
	ip -n "$P-$name" link set ul0 up
	mkdir -p "$WORK/$name/bpffs" "$WORK/$name/state"
	mount -t bpf bpf "$WORK/$name/bpffs"
	HOSTS+=("$name")
	agent_start "$name" "$@" || {
		echo "not ok - $name's agent did not start: $(tail -3 "$WORK/$name.agent.log")"
		exit 1
	}
}

# agent_start HOST [DAEMON ARGS...]: HOST's agent (`cbpfnet daemon`) in the background, its log
# in $WORK/HOST.agent.log; returns once its API answers (30 s at most: loading the programs
# takes seconds on a busy machine).
declare -A AGENT_PIDS
agent_start() {
	local host=$1 i
	shift
	# nsenter, not `ip netns exec`: namespaces the agent creates (`ep apply` create_netns) must
	# be visible outside, and `ip netns exec` would give it a private mount namespace. nsenter
	# execs cbpfnet, so $! is the agent itself.
	nsenter --net="/run/netns/$P-$host" "$CBPFNET" --bpffs "$WORK/$host/bpffs" --state "$WORK/$host/state" \
		daemon "$@" 2>>"$WORK/$host.agent.log" >>"$WORK/$host.agent.log" &
	AGENT_PIDS[$host]=$!
	PIDS+=("$!")
	for i in $(seq 600); do
		curl -sf --max-time 2 --unix-socket "$WORK/$host/state/cbpfnet.sock" \
			http://agent/v1/status >/dev/null 2>&1 && return 0
		if ! kill -0 "${AGENT_PIDS[$host]}" 2>/dev/null; then
			wait "${AGENT_PIDS[$host]}"
			echo "# $host's agent exited with status $?" >>"$WORK/$host.agent.log"
			return 1
		fi
		sleep 0.05
	done
	echo "# $host's agent did not answer within 30 s" >>"$WORK/$host.agent.log"
	return 1
}

# agent_stop HOST: SIGTERM to HOST's agent; returns its exit status (10 s at most, then KILL).
agent_stop() {
	local pid=${AGENT_PIDS[$1]} i
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	wait "$pid"
}

# api HOST METHOD PATH [BODY]: an API request to HOST's agent; prints the body, then the
# status code on a line of its own.
api() {
	local host=$1 method=$2 path=$3 body=${4-}
	curl -s --max-time 60 --unix-socket "$WORK/$host/state/cbpfnet.sock" -X "$method" \
		${body:+-H 'Content-Type: application/json' --data-binary "$body"} \
		-w '\n%{http_code}\n' "http://agent$path"
}

# cb HOST ARGS...: cbpfnet as HOST runs it.
cb() {
	local host=$1
	shift
	ip netns exec "$P-$host" "$CBPFNET" --bpffs "$WORK/$host/bpffs" \
		--state "$WORK/$host/state" "$@"
}

# window_lock_hold SECONDS: another process holds the expedited-grace window lock
# (/run/cbpfnet-rcu.lock) for SECONDS, as for a batch of link calls; returns once it does (5 s
# at most).
window_lock_hold() {
	local i
	flock /run/cbpfnet-rcu.lock sleep "$1" &
	PIDS+=("$!")
	for i in $(seq 50); do
		flock -n /run/cbpfnet-rcu.lock true || return 0
		sleep 0.1
	done
	return 1
}

# ns_add NAME: an empty namespace for an endpoint (a container).
ns_add() {
	ip netns add "$P-$1"
	ip -n "$P-$1" link set lo up
}

in_ns() {
	local ns=$1
	shift
	ip netns exec "$P-$ns" "$@"
}

pin() { echo "$WORK/$1/bpffs/cbpfnet/$2"; }

# hooks NS IFACE: the programs on IFACE's TCX ingress, TCX egress and XDP hooks in NS, whoever
# attached them, as "hook name" in run order joined by commas (`cbpfnet attach --show`, which
# needs no pins: Debian's tc and bpftool cannot show TCX attachments).
hooks() {
	in_ns "$1" "$CBPFNET" --json attach --show "$2" | jq -r '[.[] | "\(.hook) \(.name)"] | join(",")'
}

# hook_id NS IFACE HOOK NAME: the id of program NAME on HOOK of IFACE in NS.
hook_id() {
	in_ns "$1" "$CBPFNET" attach --show "$2" | awk -v h="$3" -v n="$4" '$1 == h && $2 == n {print $4}'
}

# prog_id HOST PIN: the id of a program pinned by HOST's cbpfnet.
prog_id() { bpftool -j prog show pinned "$(pin "$1" "$2")" | jq .id; }

# TCX_NOOP IFACE ingress|egress|xdp, run in a namespace: somebody else's program attached by TCX
# (or to XDP, without a link);
# TCX_NOOP --into PINNED_LINK: tc_noop put inside one of our links in place of its program.
TCX_NOOP=$REPO/build/tests/tools/tcx_noop

# ping_ok NS ADDR / ping_fails NS ADDR
ping_ok() { in_ns "$1" ping -c 1 -W 2 "$2"; }
ping_fails() { ! in_ns "$1" ping -c 2 -i 0.2 -W 1 "$2"; }

# tcp_ok SRC_NS DST_NS DST_ADDR PORT: a line sent over TCP arrives intact.
tcp_ok() {
	local src=$1 dst=$2 addr=$3 port=$4 out="$WORK/tcp.$port.out" pid
	rm -f "$out"
	in_ns "$dst" timeout 5 socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$out,creat" &
	pid=$!
	PIDS+=("$pid")
	sleep 0.2
	echo "hello-$port" | in_ns "$src" timeout 3 socat -u - "TCP:$addr:$port,connect-timeout=2" ||
		{ kill "$pid" 2>/dev/null; return 1; }
	wait "$pid"
	[ "$(cat "$out" 2>/dev/null)" = "hello-$port" ]
}

# tcp_fails SRC_NS DST_NS DST_ADDR PORT: with a listener ready, no connection can be opened.
# With TCP_V=6, over IPv6 (DST_ADDR in socat's form, e.g. [fe80::1%eth0]).
tcp_fails() {
	local src=$1 dst=$2 addr=$3 port=$4 v=${TCP_V:-} pid rc
	in_ns "$dst" timeout 4 socat -u "TCP$v-LISTEN:$port,reuseaddr" /dev/null &
	pid=$!
	PIDS+=("$pid")
	sleep 0.2
	in_ns "$src" timeout 3 socat -u /dev/null "TCP$v:$addr:$port,connect-timeout=1"
	rc=$?
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$rc" -ne 0 ]
}

# drops HOST REASON: packets counted for a drop reason.
drops() {
	cb "$1" --json status | jq -r --arg r "$2" '.drops[$r].packets // 0'
}

# denied_quietly HOST REASON SRC DST: pings from SRC to DST go unanswered as lost packets do
# (no error such as "sendmsg: No buffer space available", only "100% packet loss"), and HOST
# counts the drop under REASON. What a denied sender sees: docs/policy.md.
denied_quietly() {
	local host=$1 reason=$2 src=$3 dst=$4 before out rc
	before=$(drops "$host" "$reason")
	out=$(in_ns "$src" ping -c 2 -i 0.3 -W 1 "$dst" 2>&1)
	rc=$?
	echo "$out"
	[ "$rc" -eq 1 ] || { echo "# ping exited $rc, not 1 (no reply)"; return 1; }
	case "$out" in *rror* | *"No buffer space"* | *sendmsg*) echo "# the sender saw an error"; return 1 ;; esac
	case "$out" in *" 0 received, 100% packet loss"*) ;; *) return 1 ;; esac
	[ "$(drops "$host" "$reason")" -gt "$before" ] || { echo "# no $reason drop counted on $host"; return 1; }
}

# stream_cut SRC DST_ADDR CMD...: a stream of echo requests from SRC (one flow: one identifier)
# has answers, CMD runs in its middle, and a second later the answers stop for good. For changes
# that must reach flows already open, not just new ones.
stream_cut() {
	local src=$1 addr=$2 out="$WORK/stream.out" pid at_change at_end
	shift 2
	in_ns "$src" ping -n -i 0.2 -c 30 -W 1 "$addr" >"$out" 2>&1 &
	pid=$!
	sleep 1.2
	if ! "$@" >/dev/null; then
		kill "$pid"
		return 1
	fi
	sleep 1 # answers already in flight at the change
	at_change=$(grep -c 'bytes from' "$out")
	wait "$pid"
	at_end=$(grep -c 'bytes from' "$out")
	echo "answers: $at_change up to a second after the change, $at_end at the end"
	[ "$at_change" -ge 3 ] && [ "$at_end" -eq "$at_change" ]
}

# epoch HOST: the policy epoch, which every map change a verdict derives from moves.
epoch() { map_dump "$1" cbpf_policy_epoch | jq -r '.[0].formatted.value'; }

# map_dump HOST MAP: bpftool's JSON dump of a pinned map.
map_dump() {
	bpftool -j map dump pinned "$(pin "$1" "$2")"
}

# udp_ok SRC_NS DST_NS DST_ADDR PORT: a datagram arrives intact.
udp_ok() {
	local src=$1 dst=$2 addr=$3 port=$4 out="$WORK/udp.$port.out" pid
	rm -f "$out"
	in_ns "$dst" timeout 4 socat -u "UDP-RECVFROM:$port,reuseaddr" "OPEN:$out,creat" &
	pid=$!
	PIDS+=("$pid")
	sleep 0.2
	echo "datagram-$port" | in_ns "$src" socat -u - "UDP-SENDTO:$addr:$port"
	wait "$pid"
	[ "$(cat "$out" 2>/dev/null)" = "datagram-$port" ]
}

# bulk_ok SRC_NS DST_NS DST_ADDR PORT MB: MB megabytes over TCP arrive with the same SHA-256.
bulk_ok() {
	local src=$1 dst=$2 addr=$3 port=$4 mb=$5 pid
	head -c "${mb}M" /dev/urandom >"$WORK/bulk.in"
	rm -f "$WORK/bulk.out"
	in_ns "$dst" timeout 30 socat -u "TCP-LISTEN:$port,reuseaddr" "OPEN:$WORK/bulk.out,creat" &
	pid=$!
	PIDS+=("$pid")
	sleep 0.2
	in_ns "$src" timeout 30 socat -u "OPEN:$WORK/bulk.in" "TCP:$addr:$port,connect-timeout=2" ||
		return 1
	wait "$pid"
	[ "$(sha256sum <"$WORK/bulk.in")" = "$(sha256sum <"$WORK/bulk.out")" ]
}

# capture NS IFACE FILTER COUNT CMD...: runs CMD while tcpdump in NS records up to COUNT frames
# matching FILTER on IFACE; prints the pcap path.
capture() {
	local ns=$1 ifname=$2 filter=$3 count=$4 pcap pid
	shift 4
	pcap="$WORK/cap.$RANDOM.pcap"
	in_ns "$ns" timeout 10 tcpdump -i "$ifname" -U -c "$count" -w "$pcap" "$filter" 2>/dev/null &
	pid=$!
	PIDS+=("$pid")
	sleep 0.5
	"$@" >/dev/null 2>&1
	wait "$pid"
	echo "$pcap"
}
