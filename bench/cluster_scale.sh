#!/usr/bin/env bash
# Cluster scale: one real host learns NODES x PER_NODE remote endpoints that a load tool
# (bench/cluster_load.c) writes straight into etcd for simulated nodes with leases, then loses
# them all when the simulated nodes' leases are revoked at once.
#
#   bench/cluster_scale.sh [NODES] [PER_NODE] [TTL]     (default 100 nodes x 100 endpoints, 5 s)
#
# Prints: the time from the last write to every endpoint in the host's endpoint map, the agent's
# RSS and CPU time meanwhile, and the time from the first revoke to every one gone from the map.
# See docs/benchmarks.md (cluster section).
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/etcd_lib.sh"
NODES=${1:-100}
PER_NODE=${2:-100}
TTL=${3:-5}
N=$((NODES * PER_NODE))
LOAD=$REPO/build/bench/cluster_load
URL=http://198.18.0.200:2379
[ -x "$LOAD" ] || { echo "build it first: make bench" >&2; exit 1; }
lib_init
host_add etcd 200
host_add h1 1
etcd_start || { echo "etcd did not start" >&2; exit 1; }
agent_stop h1 >/dev/null
agent_start h1 --etcd "$URL" --node h1 --lease-ttl "$TTL" || { echo "agent did not start" >&2; exit 1; }
cb h1 net create ov --model overlay --subnet 10.128.0.0/16 --vni 100 >/dev/null || exit 1

pid=${AGENT_PIDS[h1]}
entries() { bpftool -j map dump pinned "$(pin h1 cbpf_endpoints)" | jq length; }
cpu_ms() { awk '{print ($14 + $15) * 1000 / '"$(getconf CLK_TCK)"'}' "/proc/$pid/stat"; }
rss_mb() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$pid/status"; }
base=$(entries)
rss0=$(rss_mb)
cpu0=$(cpu_ms)

# The load tool keeps its leases alive until a line arrives on its stdin (a fifo).
mkfifo "$WORK/load.in"
in_ns h1 "$LOAD" "$URL" "$NODES" "$PER_NODE" ov 10.128.0.0/16 "$TTL" <"$WORK/load.in" >"$WORK/load.out" 2>&1 &
load_pid=$!
PIDS+=("$load_pid")
exec 9>"$WORK/load.in"
wait_line "$WORK/load.out" '^written' || sleep 60
wait_line "$WORK/load.out" '^written' || { cat "$WORK/load.out"; exit 1; }
written=$(awk '/^written/ {print $2}' "$WORK/load.out")
# The agent's peak while learning: sampled every 100 ms until the count is reached.
(while kill -0 "$pid" 2>/dev/null; do rss_mb; echo; sleep 0.1; done) >"$WORK/rss" &
rss_pid=$!
PIDS+=("$rss_pid")
reached=$("$LOAD" --count "$(pin h1 cbpf_endpoints)" $((base + N)) ABOVE 120 | awk '{print $2}')
kill "$rss_pid"
if [ -z "$reached" ]; then
	echo "the host did not learn $N endpoints in 120 s; the load tool and the agent said:" >&2
	tail -5 "$WORK/load.out" "$WORK/h1.agent.log" >&2
	exit 1
fi
cpu1=$(cpu_ms)
peak=$(sort -n "$WORK/rss" | tail -1)
learn_ms=$((reached - written))
echo "# $NODES nodes x $PER_NODE endpoints = $N remote endpoints, lease TTL $TTL s"
echo "learn: last write -> all $N in h1's endpoint map: $learn_ms ms (target 2000 ms: ratio $(awk -v a="$learn_ms" 'BEGIN {printf "%.2f", a / 2000}'))"
echo "agent: RSS $rss0 MB before, peak $peak MB while learning, $(rss_mb) MB after; CPU $(awk -v a="$cpu1" -v b="$cpu0" 'BEGIN {printf "%.0f", a - b}') ms while learning"

# All simulated nodes die at once.
echo >&9
wait_line "$WORK/load.out" '^revoking' || { cat "$WORK/load.out"; exit 1; }
revoking=$(awk '/^revoking/ {print $2}' "$WORK/load.out")
cpu2=$(cpu_ms)
gone=$("$LOAD" --count "$(pin h1 cbpf_endpoints)" "$base" BELOW 120 | awk '{print $2}')
[ -n "$gone" ] || { echo "the host did not drop the endpoints in 120 s" >&2; exit 1; }
wait "$load_pid"
exec 9>&-
gone_ms=$((gone - revoking))
budget=$(((TTL + 2) * 1000))
echo "dead: first revoke -> all $N gone from h1's map: $gone_ms ms (target TTL + 2 s = $budget ms: ratio $(awk -v a="$gone_ms" -v b="$budget" 'BEGIN {printf "%.2f", a / b}'))"
echo "agent: CPU $(awk -v a="$(cpu_ms)" -v b="$cpu2" 'BEGIN {printf "%.0f", a - b}') ms while dropping them; RSS $(rss_mb) MB after"
lib_finish 2>/dev/null
