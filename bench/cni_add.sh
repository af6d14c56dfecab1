#!/usr/bin/env bash
# CNI ADD and DEL, one plugin process per container as runtimes do it: cbpfnet's plugin
# (cbpfnet-cni, a client of the agent) against the reference CNI macvlan plugin with host-local
# IPAM, on macvlan networks of the same parent, in the same run. Each process is timed alone:
# build/bench/cni_exec, already in the host's namespace, forks and execs it (no `ip netns exec`
# or nsenter in the measured time). The tools alternate every CHUNK containers, so both see the
# same machine; times are grouped in windows of WINDOW containers to show whether they stay flat
# as endpoints accumulate.
#
#   bench/cni_add.sh [TOTAL]        (default 2000; CHUNK=100 WINDOW=500)
#   RCU_EXPEDITED=1 bench/cni_add.sh    the same with /sys/kernel/rcu_expedited set to 1 for the
#                                       run and put back at exit: each TCX attach waits for an RCU
#                                       grace period, which this setting makes expedited
#
# Prints, per window: tool p50 and p99 in ms, and cbpfnet/reference ratios. See docs/benchmarks.md.
source "$(dirname "$0")/../tests/lib.sh"
TOTAL=${1:-2000}
CHUNK=${CHUNK:-100}
WINDOW=${WINDOW:-500}
REF=${REF:-/usr/lib/cni/macvlan}
EXEC=$REPO/build/bench/cni_exec
PLUGIN=${PLUGIN:-$REPO/cbpfnet-cni}
[ -x "$EXEC" ] || { echo "build it first: make bench" >&2; exit 1; }
[ -x "$REF" ] || { echo "no reference plugin at $REF" >&2; exit 1; }
[ "$TOTAL" -le 5000 ] || { echo "at most 5000 containers" >&2; exit 1; }
lib_init
if [ -n "${RCU_EXPEDITED:-}" ]; then
	rcu_was=$(cat /sys/kernel/rcu_expedited)
	lib_cleanup_hook() { echo "$rcu_was" >/sys/kernel/rcu_expedited; }
	echo "$RCU_EXPEDITED" >/sys/kernel/rcu_expedited
fi
host_add h1 1
cb h1 net create mvb --model macvlan --parent ul0 --mode bridge --subnet 10.40.0.0/16 >/dev/null
printf '{"cniVersion":"1.0.0","name":"mvb","type":"cbpfnet","state":"%s"}\n' "$WORK/h1/state" \
	>"$WORK/cbpfnet.conf"
mkdir -p "$WORK/ipam"
printf '{"cniVersion":"1.0.0","name":"mvref","type":"macvlan","master":"ul0","mode":"bridge","ipam":{"type":"host-local","subnet":"10.41.0.0/16","dataDir":"%s","routes":[{"dst":"0.0.0.0/0"}]}}\n' \
	"$WORK/ipam" >"$WORK/ref.conf"
for ((i = 0; i < TOTAL; i++)); do
	ip netns add "$P-c$i"
	ip netns add "$P-r$i"
done

# launch COMMAND TOOL FIRST COUNT: cni_exec in h1's namespace; samples appended to TOOL.COMMAND.
launch() {
	local plugin=$PLUGIN conf=$WORK/cbpfnet.conf prefix=/run/netns/$P-c
	if [ "$2" = ref ]; then plugin=$REF conf=$WORK/ref.conf prefix=/run/netns/$P-r; fi
	nsenter --net="/run/netns/$P-h1" "$EXEC" "$1" "$plugin" "$conf" "$prefix" "$3" "$4" \
		>>"$WORK/$2.$1" || { echo "$2 $1 failed" >&2; exit 1; }
}
for ((i = 0; i < TOTAL; i += CHUNK)); do
	launch ADD cbpfnet "$i" "$CHUNK"
	launch ADD ref "$i" "$CHUNK"
done
for ((i = 0; i < TOTAL; i += CHUNK)); do
	launch DEL ref "$i" "$CHUNK"
	launch DEL cbpfnet "$i" "$CHUNK"
done

# pct FILE FROM TO P: the P-th percentile (ms) of samples FROM..TO-1.
pct() {
	sed -n "$(($2 + 1)),$3p" "$1" | sort -n |
		awk -v p="$4" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i] / 1e6}'
}
echo "# command window cbpfnet_p50 ref_p50 ratio_p50 cbpfnet_p99 ref_p99 ratio_p99 (ms; containers already present at the window's start)"
for cmd in ADD DEL; do
	for ((w = 0; w < TOTAL; w += WINDOW)); do
		c50=$(pct "$WORK/cbpfnet.$cmd" $w $((w + WINDOW)) 50)
		r50=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 50)
		c99=$(pct "$WORK/cbpfnet.$cmd" $w $((w + WINDOW)) 99)
		r99=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 99)
		echo "$cmd $w-$((w + WINDOW)) $c50 $r50 $(awk -v a="$c50" -v b="$r50" 'BEGIN {printf "%.2f", a / b}')" \
			"$c99 $r99 $(awk -v a="$c99" -v b="$r99" 'BEGIN {printf "%.2f", a / b}')"
	done
done
