#!/usr/bin/env bash
# The state store's cost per command at COUNT recorded endpoints, old build against new in the
# same run: one `ep add` process (macvlan endpoint into an existing namespace) and one `net list`
# process, REPEAT times each (in rounds of 5, old and new in turn), medians in ms and new/old.
#
#   CBPFNET_OLD=/path/to/old/cbpfnet bench/store.sh [COUNT] [REPEAT]   (default 1000 20)
#
# Each build gets its own simulated host (namespace, bpffs, state directory), filled with COUNT
# endpoints by one `ep apply`. Every timed command runs from one bash already in the host's
# network namespace, timed with EPOCHREALTIME: no launcher and no clock process in the figures.
source "$(dirname "$0")/../tests/lib.sh"
COUNT=${1:-1000}
REPEAT=${2:-20}
OLD=${CBPFNET_OLD:?set CBPFNET_OLD to the build to compare with}
NEW=$CBPFNET
lib_init

# fill HOST BIN N: N macvlan endpoints, each in a namespace of its own created by ep apply.
fill() {
	local host=$1 bin=$2 n=$3 i
	for i in $(seq 1 "$n"); do
		echo "{\"op\": \"add\", \"name\": \"f$i\", \"net\": \"mv\", \"netns\": \"$P-$host-f$i\", \"create_netns\": true}"
	done >"$WORK/fill-$host.json"
	nsenter --net="/run/netns/$P-$host" "$bin" --bpffs "$WORK/$host/bpffs" \
		--state "$WORK/$host/state" ep apply "$WORK/fill-$host.json" >/dev/null
}

# timed HOST BIN FIRST LAST: runs of `ep add` (endpoints tFIRST..tLAST) and as many of
# `net list`, appended to $WORK/times-HOST as "add US" and "list US" lines.
timed() {
	local host=$1 bin=$2 first=$3 last=$4
	nsenter --net="/run/netns/$P-$host" bash -c '
		bin=$1 bpffs=$2 state=$3 prefix=$4 first=$5 last=$6
		us() { echo "${EPOCHREALTIME/./}"; }
		for i in $(seq "$first" "$last"); do
			t0=$(us); "$bin" --bpffs "$bpffs" --state "$state" ep add "t$i" --net mv \
				--netns "$prefix-t$i" >/dev/null || exit 1; t1=$(us)
			echo "add $((t1 - t0))"
			t0=$(us); "$bin" --bpffs "$bpffs" --state "$state" net list >/dev/null || exit 1
			t1=$(us); echo "list $((t1 - t0))"
		done' _ "$bin" "$WORK/$host/bpffs" "$WORK/$host/state" "$P-$host" "$first" "$last" \
		>>"$WORK/times-$host"
}

# median HOST KIND: in ms.
median() {
	awk -v k="$2" '$1 == k {print $2}' "$WORK/times-$1" | sort -n |
		awk '{v[NR] = $1} END {printf "%.2f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000}'
}

for host in old new; do
	bin=$OLD
	[ $host = new ] && bin=$NEW
	host_add $host $([ $host = old ] && echo 1 || echo 2)
	CBPFNET=$bin cb $host load >/dev/null
	CBPFNET=$bin cb $host net create mv --model macvlan --parent ul0 --subnet 10.200.0.0/16 >/dev/null
	fill $host "$bin" "$COUNT" || exit 1
done
# Rounds of 5 runs, old and new in turn, so the machine's load drifts over both alike.
for host in old new; do
	for i in $(seq 1 "$REPEAT"); do ns_add "$host-t$i"; done
done
for first in $(seq 1 5 "$REPEAT"); do
	last=$((first + 4 < REPEAT ? first + 4 : REPEAT))
	timed old "$OLD" "$first" "$last" || exit 1
	timed new "$NEW" "$first" "$last" || exit 1
done
printf '%-26s %10s %10s %8s\n' "at $COUNT endpoints (ms)" old new new/old
for kind in add list; do
	o=$(median old $kind) n=$(median new $kind)
	awk -v k="$([ $kind = add ] && echo "ep add (one process)" || echo "net list")" -v o="$o" -v n="$n" \
		'BEGIN {printf "%-26s %10.2f %10.2f %8.2f\n", k, o, n, n / o}'
done
