#!/usr/bin/env bash
# Web UI benchmark: time from `ep add` to the endpoint drawn in an open topology page, and the
# events page under a flood of policy drops (1,000 per second for a few seconds): events the
# page received against drops counted, events reported lost, how late the page's timers ran.
#
#   bench/ui_latency.sh            (root; chromium and tests/ui's node_modules, see
#                                   scripts/install-deps.sh; results: docs/benchmarks.md)
#   EPS=20 RATE=1000 SECS=5 bench/ui_latency.sh
source "$(dirname "$0")/../tests/lib.sh"
EPS=${EPS:-10}
RATE=${RATE:-1000}
SECS=${SECS:-5}
lib_init

host_add h1 1
for ns in a1 a2; do ns_add $ns; done
for i in $(seq "$EPS"); do ns_add "b$i"; done
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 ep add a1 --net neta --netns "$P-a1" >/dev/null
cb h1 ep add a2 --net neta --netns "$P-a2" >/dev/null
cb h1 policy set a1 a2 deny >/dev/null
TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$WORK/token"
chmod 600 "$WORK/token"
agent_stop h1
agent_start h1 --listen 198.18.0.1:8080 --token-file "$WORK/token" --ui-dir "$REPO/ui" ||
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
print(n)' $RATE $((RATE * SECS))"

UI_URL=http://198.18.0.1:8080 UI_TOKEN=$TOKEN UI_WORK=$WORK BENCH_EPS=$EPS \
	BENCH_EP_ADD="$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state ep add b%N --net neta --netns $P-b%N >/dev/null" \
	BENCH_FLOOD="$flood" \
	BENCH_DROPS="$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state --json status | jq '.drops[\"policy-deny\"].packets'" \
	timeout 120 ip netns exec "$P-h1" node "$REPO/tests/ui/bench.mjs"
