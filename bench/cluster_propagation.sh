#!/usr/bin/env bash
# Propagation in cluster mode: from `ep add` on h1 to the first ping answered from h2, N times,
# with the time `ep add` itself took, so that an outlier can be told to be the command (etcd's
# writes) or what follows it (publish, watch, learn, ARP).
#
#   bench/cluster_propagation.sh [N]      (default 50)
#
# Prints each sample, then p50/p99 of both. See docs/benchmarks.md (cluster section).
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/etcd_lib.sh"
N=${1:-50}
URL=http://198.18.0.200:2379
lib_init
host_add etcd 200
host_add h1 1
host_add h2 2
etcd_start || { echo "etcd did not start" >&2; exit 1; }
for h in h1 h2; do
	agent_stop "$h" >/dev/null
	agent_start "$h" --etcd "$URL" --node "$h" --lease-ttl 5 || { echo "$h: no agent" >&2; exit 1; }
done
cb h1 net create ov --model overlay --subnet 10.70.0.0/16 --vni 100 >/dev/null || exit 1
for _ in $(seq 100); do cb h2 --json net list | jq -e '.[] | select(.name == "ov")' >/dev/null && break; sleep 0.1; done
ns_add probe
cb h2 ep add probe --net ov --netns "$P-probe" --ip 10.70.0.2 >/dev/null || exit 1
# ARP retried every 50 ms, not every second: the kernel's retry is not what is measured.
in_ns probe sysctl -qw net.ipv4.neigh.eth0.retrans_time_ms=50
ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
: >"$WORK/samples"
for ((i = 0; i < N; i++)); do
	ip=10.70.$((1 + i / 250)).$((1 + i % 250))
	ns_add "s$i"
	t0=$(ms)
	cb h1 ep add "s$i" --net ov --netns "$P-s$i" --ip "$ip" >/dev/null || exit 1
	t1=$(ms)
	until in_ns probe ping -c 1 -W 0.1 "$ip" >/dev/null 2>&1; do
		[ $(($(ms) - t0)) -lt 10000 ] || break
	done
	t2=$(ms)
	echo "$((t2 - t0)) $((t1 - t0))" | tee -a "$WORK/samples"
done
pct() { sort -n | awk -v p="$1" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; print v[i]}'; }
echo "# $N samples: ep add on h1 -> first ping from h2 answered (ms): p50 $(cut -d' ' -f1 "$WORK/samples" | pct 50)" \
	"p99 $(cut -d' ' -f1 "$WORK/samples" | pct 99) (targets 200 and 1000);" \
	"the ep add command alone: p50 $(cut -d' ' -f2 "$WORK/samples" | pct 50) p99 $(cut -d' ' -f2 "$WORK/samples" | pct 99)"
lib_finish 2>/dev/null
