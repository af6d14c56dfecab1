#!/usr/bin/env bash
# CNI ADD and DEL, one plugin process per container as runtimes do it: cbpfnet's plugin
# (cbpfnet-cni, a client of the agent) against the reference CNI macvlan plugin with host-local
# IPAM, each on its own host's parent (ul0), in the same run. Each process is timed alone:
# build/bench/cni_exec, already in the host's namespace, forks and execs it (no `ip netns exec`
# or nsenter in the measured time). The tools alternate every CHUNK containers, so all see the
# same machine, each host on an underlay segment of its own (own_segment). CHUNK is short (10)
# because the machine slows in phases of seconds (steal, below): a chunk of 100 of cbpfnet's
# ADDs (0.3 s) can fall inside one while the reference's (5 s) averages it out. Times are
# grouped in windows of WINDOW containers to show whether they stay flat as endpoints accumulate.
#
#   bench/cni_add.sh [TOTAL]        (default 2000; CHUNK=10 WINDOW=500)
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
#                                   DIR/TOOL.ADD and DIR/TOOL.DEL, their chunks' times to
#                                   DIR/TOOL.ADD.chunks and DIR/TOOL.DEL.chunks, the steal
#                                   samples to DIR/steal
#
# Every tool makes TOTAL containers. Prints, per window and tool: the containers present at the
# window's start, p50 and p99 in ms, their ratios to the reference's (three decimals: 0.304 is no
# 0.30), and the CPU steal while the tool's and the reference's chunks of the window ran. See
# docs/benchmarks.md.
source "$(dirname "$0")/../tests/lib.sh"
TOTAL=${1:-2000}
CHUNK=${CHUNK:-10}
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
# own_segment HOST: HOST's underlay on a bridge of its own. No ADD or DEL needs another host, and
# on one shared segment every multicast frame a tool's containers send (the reference's have
# IPv6 on: DAD, MLD, router solicitations, about eight frames each) reaches every other tool's
# parent, where the macvlan driver's broadcast work walks all that parent's macvlans for it.
own_segment() {
	ip -n "$P-fab" link add "br-$1" type bridge
	ip -n "$P-fab" link set "br-$1" up
	ip -n "$P-fab" link set "$1-up" master "br-$1"
}
# agent HOST N: host HOST (underlay address N) with its agent ($CBPFNET, the harness's knob), a
# macvlan network mvb on its ul0 and the plugin's configuration for it in $WORK/HOST.conf.
agent() {
	host_add "$1" "$2"
	own_segment "$1"
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
own_segment h4
mkdir -p "$WORK/ipam"
printf '{"cniVersion":"1.0.0","name":"mvref","type":"macvlan","master":"ul0","mode":"bridge","ipam":{"type":"host-local","subnet":"10.41.0.0/16","dataDir":"%s","routes":[{"dst":"0.0.0.0/0"}]}}\n' \
	"$WORK/ipam" >"$WORK/ref.conf"
declare -A NS_OF=([cbpfnet]=c [ref]=r [old]=o [cli]=e [oldcli]=f)
for ((i = 0; i < TOTAL; i++)); do
	for t in "${TOOLS[@]}" ref; do ip netns add "$P-${NS_OF[$t]}$i"; done
done

# The hypervisor's share of the CPUs (steal), every half second: "END_NS PERCENT". A VM here
# loses up to a third of its time to it in phases of seconds, which slow every tool running then.
steal_sampler() {
	local prev cur now
	read -ra prev </proc/stat
	while sleep 0.5; do
		read -ra cur </proc/stat
		now=$(date +%s%N)
		awk -v now="$now" -v p="${prev[*]}" -v c="${cur[*]}" 'BEGIN {
			split(p, a); split(c, b)
			for (i = 2; i <= 9; i++) all += b[i] - a[i]
			printf "%s %.1f\n", now, all ? 100 * (b[9] - a[9]) / all : 0 }'
		prev=("${cur[@]}")
	done
}
steal_sampler >"$WORK/steal" &
PIDS+=("$!")

# launch COMMAND TOOL FIRST COUNT: cni_exec in the tool's host namespace; samples appended to
# TOOL.COMMAND, and "START_NS END_NS" of the chunk to TOOL.COMMAND.chunks.
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
	local start
	start=$(date +%s%N)
	nsenter --net="/run/netns/$P-$host" "$EXEC" "${run[@]}" >>"$WORK/$2.$1" ||
		{ echo "$2 $1 failed" >&2; exit 1; }
	echo "$start $(date +%s%N)" >>"$WORK/$2.$1.chunks"
}
for ((i = 0; i < TOTAL; i += CHUNK)); do
	for t in "${TOOLS[@]}" ref; do launch ADD "$t" "$i" "$CHUNK"; done
done
for ((i = 0; i < TOTAL; i += CHUNK)); do
	for t in ref "${TOOLS[@]}"; do launch DEL "$t" "$i" "$CHUNK"; done
done

if [ -n "${RAW:-}" ]; then
	mkdir -p "$RAW"
	cp "$WORK"/*.ADD "$WORK"/*.DEL "$WORK"/*.chunks "$WORK/steal" "$RAW"/
fi

# pct FILE FROM TO P: the P-th percentile (ms) of samples FROM..TO-1.
pct() {
	sed -n "$(($2 + 1)),$3p" "$1" | sort -n |
		awk -v p="$4" '{v[NR] = $1} END {i = int(NR * p / 100 + 0.999); if (i < 1) i = 1; printf "%.2f", v[i] / 1e6}'
}
# steal FILE FROM TO: the mean steal (%) of the samples taken while the chunks of samples
# FROM..TO-1 ran (a sample covers the half second before it).
steal() {
	awk -v from="$(($2 / CHUNK + 1))" -v to="$(($3 / CHUNK))" -v half=500000000 '
		NR == FNR { if (FNR >= from && FNR <= to) { s[++n] = $1; e[n] = $2 } next }
		{ for (i = 1; i <= n; i++) if ($1 > s[i] && $1 - half < e[i]) { sum += $2; k++; break } }
		END { printf "%.1f", k ? sum / k : 0 }' "$1" "$WORK/steal"
}
echo "# command present tool p50 ref_p50 ratio_p50 p99 ref_p99 ratio_p99 steal ref_steal (ms; present: each tool's containers at the window's start; steal: % of the CPUs the hypervisor took while the window's chunks ran)"
for cmd in ADD DEL; do
	for ((w = 0; w < TOTAL; w += WINDOW)); do
		present=$w
		[ "$cmd" = DEL ] && present=$((TOTAL - w))
		r50=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 50)
		r99=$(pct "$WORK/ref.$cmd" $w $((w + WINDOW)) 99)
		rst=$(steal "$WORK/ref.$cmd.chunks" $w $((w + WINDOW)))
		for t in "${TOOLS[@]}"; do
			c50=$(pct "$WORK/$t.$cmd" $w $((w + WINDOW)) 50)
			c99=$(pct "$WORK/$t.$cmd" $w $((w + WINDOW)) 99)
			echo "$cmd $present $t $c50 $r50 $(awk -v a="$c50" -v b="$r50" 'BEGIN {printf "%.3f", a / b}')" \
				"$c99 $r99 $(awk -v a="$c99" -v b="$r99" 'BEGIN {printf "%.3f", a / b}')" \
				"$(steal "$WORK/$t.$cmd.chunks" $w $((w + WINDOW))) $rst"
		done
	done
done
