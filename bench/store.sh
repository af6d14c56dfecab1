#!/usr/bin/env bash
# The state store's cost per command at COUNT recorded endpoints, old build against new in the
# same run: one `ep add` process (macvlan endpoint into an existing namespace) and one `net list`
# process, REPEAT times each, medians in ms and the ratio new/old.
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

# timed HOST BIN: prints "ep_add_median net_list_median" for REPEAT runs of each.
timed() {
	local host=$1 bin=$2 i
	for i in $(seq 1 "$REPEAT"); do ns_add "$host-t$i"; done
	nsenter --net="/run/netns/$P-$host" bash -c '
		bin=$1 bpffs=$2 state=$3 prefix=$4 repeat=$5
		us() { echo "${EPOCHREALTIME/./}"; }
		for i in $(seq 1 "$repeat"); do
			t0=$(us); "$bin" --bpffs "$bpffs" --state "$state" ep add "t$i" --net mv \
				--netns "$prefix-t$i" >/dev/null || exit 1; t1=$(us)
			echo "add $((t1 - t0))"
		done
		for i in $(seq 1 "$repeat"); do
			t0=$(us); "$bin" --bpffs "$bpffs" --state "$state" net list >/dev/null || exit 1
			t1=$(us); echo "list $((t1 - t0))"
		done' _ "$bin" "$WORK/$host/bpffs" "$WORK/$host/state" "$P-$host" "$REPEAT" \
		>"$WORK/times-$host" || return 1
	for kind in add list; do
		awk -v k=$kind '$1 == k {print $2}' "$WORK/times-$host" | sort -n |
			awk '{v[NR] = $1} END {printf "%.2f ", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) / 1000}'
	done
}

for host in old new; do
	bin=$OLD
	[ $host = new ] && bin=$NEW
	host_add $host $([ $host = old ] && echo 1 || echo 2)
	CBPFNET=$bin cb $host load >/dev/null
	CBPFNET=$bin cb $host net create mv --model macvlan --parent ul0 --subnet 10.200.0.0/16 >/dev/null
	fill $host "$bin" "$COUNT" || exit 1
done
read -r old_add old_list < <(timed old "$OLD")
read -r new_add new_list < <(timed new "$NEW")
printf '%-26s %10s %10s %8s\n' "at $COUNT endpoints (ms)" old new new/old
awk -v o="$old_add" -v n="$new_add" 'BEGIN {printf "%-26s %10.2f %10.2f %8.2f\n", "ep add (one process)", o, n, n / o}'
awk -v o="$old_list" -v n="$new_list" 'BEGIN {printf "%-26s %10.2f %10.2f %8.2f\n", "net list", o, n, n / o}'
