#!/usr/bin/env bash
# CNI ADD and DEL, one plugin process per container as runtimes do it: cbpfnet's plugin
# (cbpfnet-cni, a client of the agent) against the reference CNI macvlan plugin with host-local
# IPAM, each on its own host's parent (ul0), in the same run. Each process is timed alone:
# build/bench/cni_exec, already in the host's namespace, forks and execs it (no `ip netns exec`
# or nsenter in the measured time). The tools alternate every CHUNK containers, so all see the
# same machine; times are grouped in windows of WINDOW containers to show whether they stay flat
# as endpoints accumulate.
#
#   bench/cni_add.sh [TOTAL]        (default 2000; CHUNK=100 WINDOW=500)
#   RCU_EXPEDITED=1 bench/cni_add.sh    the same with /sys/kernel/rcu_expedited set to 1 for the
#                                       run and put back at exit: each TCX attach waits for an RCU
#                                       grace period, which this setting makes expedited
#   OLD=DIR bench/cni_add.sh        also DIR/cbpfnet's agent and DIR/cbpfnet-cni (another build,
#                                   e.g. before a change) on a host of their own, as tool "old"
#   CLI=1 bench/cni_add.sh          also `cbpfnet ep add NAME --net NET --netns NS` and `ep del
#                                   NAME`, one process per endpoint, on a host of their own, as
#                                   tool "cli"; with OLD=DIR too, DIR/cbpfnet's the same way as
#                                   tool "oldcli"
#   RAW=DIR bench/cni_add.sh        also copies each tool's samples (ns, in the order run) to
#                                   DIR/TOOL.ADD and DIR/TOOL.DEL
#
# Every tool makes TOTAL containers. Prints, per window and tool: the containers present at the
# window's start, p50 and p99 in ms and their ratios to the reference's. See docs/benchmarks.md.
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
TOOLS=(cbpfnet)
# agent HOST N: host HOST (underlay address N) with its agent ($CBPFNET, the harness's knob), a
# macvlan network mvb on its ul0 and the plugin's configuration for it in $WORK/HOST.conf.
agent() {
	host_add "$1" "$2"
	cb "$1" net create mvb --model macvlan --parent ul0 --mode bridge --subnet 10.40.0.0/16 \
		>/dev/null
	printf '{"cniVersion":"1.0.0","name":"mvb","type":"cbpfnet","state":"%s"}\n' \
		"$WORK/$1/state" >"$WORK/$1.conf"
}
agent h1 1
if [ -n "${OLD:-}" ]; then
	[ -x "$OLD/cbpfnet" ] && [ -x "$OLD/cbpfnet-cni" ] ||
		{ echo "no cbpfnet and cbpfnet-cni in $OLD" >&2; exit 1; }
	CBPFNET=$OLD/cbpfnet agent h2 2
	TOOLS+=(old)
fi
if [ -n "${CLI:-}" ]; then
	agent h3 3
	TOOLS+=(cli)
fi
if [ -n "${CLI:-}" ] && [ -n "${OLD:-}" ]; then
	CBPFNET=$OLD/cbpfnet agent h5 5
	TOOLS+=(oldcli)
fi
# The reference on a host of its own as well: no tool's interfaces share a parent with another
# tool's, each parent holds the same number of macvlans.
host_add h4 4
mkdir -p "$WORK/ipam"
printf '{"cniVersion":"1.0.0","name":"mvref","type":"macvlan","master":"ul0","mode":"bridge","ipam":{"type":"host-local","subnet":"10.41.0.0/16","dataDir":"%s","routes":[{"dst":"0.0.0.0/0"}]}}\n' \
	"$WORK/ipam" >"$WORK/ref.conf"
declare -A NS_OF=([cbpfnet]=c [ref]=r [old]=o [cli]=e [oldcli]=f)
for ((i = 0; i < TOTAL; i++)); do
	for t in "${TOOLS[@]}" ref; do ip netns add "$P-${NS_OF[$t]}$i"; done
done

# launch COMMAND TOOL FIRST COUNT: cni_exec in the tool's host namespace; samples appended to
# TOOL.COMMAND.
launch() {
	local host=h1 ns=/run/netns/$P-${NS_OF[$2]} run
	case $2 in
	cbpfnet) run=("$PLUGIN" "$WORK/h1.conf" "$ns") ;;
	ref) host=h4 run=("$REF" "$WORK/ref.conf" "$ns") ;;
	old) host=h2 run=("$OLD/cbpfnet-cni" "$WORK/h2.conf" "$ns") ;;
	esac
	if [ "$2" = cli ] || [ "$2" = oldcli ]; then
		local bin=$CBPFNET
		host=h3
		[ "$2" = oldcli ] && host=h5 bin=$OLD/cbpfnet
		run=(--argv "$3" "$4" "$bin" --bpffs "$WORK/$host/bpffs" --state "$WORK/$host/state" ep)
		if [ "$1" = ADD ]; then
			run+=(add "cli%d" --net mvb --netns "$P-${NS_OF[$2]}%d")
		else
			run+=(del "cli%d")
		fi
	else
		run=("$1" "${run[@]}" "$3" "$4")
	fi
	nsenter --net="/run/netns/$P-$host" "$EXEC" "${run[@]}" >>"$WORK/$2.$1" ||
		{ echo "$2 $1 failed" >&2; exit 1; }
}
for ((i = 0; i < TOTAL; i += CHUNK)); do
	for t in "${TOOLS[@]}" ref; do launch ADD "$t" "$i" "$CHUNK"; done
done
for ((i = 0; i < TOTAL; i += CHUNK)); do
	for t in ref "${TOOLS[@]}"; do launch DEL "$t" "$i" "$CHUNK"; done
done

if [ -n "${RAW:-}" ]; then
	mkdir -p "$RAW"
	cp "$WORK"/*.ADD "$WORK"/*.DEL "$RAW"/
fi

# pct FILE FROM TO P: the P-th percentile (ms) of samples FROM..TO-1.
pct() {
	sed -n "$(($2 + 1)),$3p" "$1" | sort -n |
		awk -v p="$4" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i] / 1e6}'
}
echo "# command present tool p50 ref_p50 ratio_p50 p99 ref_p99 ratio_p99 (ms; present: each tool's containers at the window's start)"
for cmd in ADD DEL; do
	for ((w = 0; w < TOTAL; w += WINDOW)); do
		present=$w
		[ "$cmd" = DEL ] && present=$((TOTAL - w))
		r50=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 50)
		r99=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 99)
		for t in "${TOOLS[@]}"; do
			c50=$(pct "$WORK/$t.$cmd" $w $((w + WINDOW)) 50)
			c99=$(pct "$WORK/$t.$cmd" $w $((w + WINDOW)) 99)
			echo "$cmd $present $t $c50 $r50 $(awk -v a="$c50" -v b="$r50" 'BEGIN {printf "%.2f", a / b}')" \
				"$c99 $r99 $(awk -v a="$c99" -v b="$r99" 'BEGIN {printf "%.2f", a / b}')"
		done
	done
done
