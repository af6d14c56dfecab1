#!/usr/bin/env bash
# Web UI benchmark: time from `ep add` to the endpoint drawn in an open topology page (p50/p99
# over EPS endpoints), and the events page under a flood of policy drops (RATE a second for SECS
# seconds): events the page received against the drop counter's delta and the stream's lost
# reports, how late the page's timers ran, and how fast clicks during the flood were answered.
#
#   bench/ui_topology.sh           (root; chromium and tests/ui's node_modules, see
#                                   scripts/install-deps.sh; results: docs/benchmarks.md)
#   EPS=100 RATE=1000 SECS=10 bench/ui_topology.sh
#   UI_DIR=/tmp/old-ui bench/ui_topology.sh     # another UI (e.g. an older commit's ui/)
source "$(dirname "$0")/../tests/lib.sh"
EPS=${EPS:-100}
RATE=${RATE:-1000}
SECS=${SECS:-10}
UI_DIR=${UI_DIR:-$REPO/ui}
lib_init

host_add h1 1
# Without IPv6 neither the endpoints nor the host's side of their links send anything of their
# own: every drop counted is the flood's.
v6off="sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1"
in_ns h1 $v6off
for ns in a1 a2 $(seq -f 'b%.0f' "$EPS"); do
	ns_add "$ns"
	in_ns "$ns" $v6off
done
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 ep add a1 --net neta --netns "$P-a1" >/dev/null
cb h1 ep add a2 --net neta --netns "$P-a2" >/dev/null
cb h1 policy set a1 a2 deny >/dev/null
TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$WORK/token"
chmod 600 "$WORK/token"
agent_stop h1
agent_start h1 --listen 198.18.0.1:8080 --token-file "$WORK/token" --ui-dir "$UI_DIR" ||
	{ echo "the agent did not start: $(tail -3 "$WORK/h1.agent.log")"; exit 1; }

# RATE datagrams a second from a1 to a2, paced on the clock, each dropped by the rule: one drop
# event each. (ping cannot: unanswered, it sends at most 100 a second.)
flood="ip netns exec $P-a1 python3 -c '
import socket, sys, time
rate, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
for i in range(n):
    d = t + i / rate - time.monotonic()
    if d > 0:
        time.sleep(d)
    s.sendto(b\"x\", (\"10.1.0.3\", 9))
print(n, time.monotonic() - t)' $RATE $((RATE * SECS))"

UI_URL=http://198.18.0.1:8080 UI_TOKEN=$TOKEN UI_WORK=$WORK BENCH_EPS=$EPS \
	BENCH_EP_ADD="$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state ep add b%N --net neta --netns $P-b%N >/dev/null" \
	BENCH_FLOOD="$flood" \
	BENCH_DROPS="$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state --json status | jq -c '.drops | map_values(.packets)'" \
	timeout $((120 + EPS * 5 + SECS * 2)) ip netns exec "$P-h1" node "$REPO/tests/ui/bench.mjs"
