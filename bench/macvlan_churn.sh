#!/usr/bin/env bash
# Endpoint churn on a macvlan network: create then delete N endpoints (netns + macvlan + address
# + default route, and for cbpfnet the programs and map entries), per-endpoint wall time, with
# cbpfnet and with the reference CNI macvlan plugin (static IPAM) in the same run.
#
#   bench/macvlan_churn.sh [COUNT...]      (default: 200 400 600 800 1000)
#
# Prints one line per (tool, count), also written to $OUT (default docs/macvlan_churn.dat): the
# tool's own create and delete time per endpoint (mean, p99; process start included, as a
# runtime calling either would pay it), then `ip netns add` and `ip netns del` around it, the
# same work for both tools, then a no-op run of the same binary (process start alone).
source "$(dirname "$0")/../tests/lib.sh"
CNI_PLUGIN=${CNI_PLUGIN:-/usr/lib/cni/macvlan}
OUT=${OUT:-$REPO/docs/macvlan_churn.dat}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(200 400 600 800 1000)
[ -x "$CNI_PLUGIN" ] || { echo "no CNI macvlan plugin at $CNI_PLUGIN" >&2; exit 1; }
lib_init
host_add h1 1
host_ns=/run/netns/$P-h1

now() { date +%s%N; }
# Both tools run the same way: a fresh process in the host's network namespace.
in_host() { nsenter --net="$host_ns" "$@"; }
cbh() { in_host "$CBPFNET" --bpffs "$WORK/h1/bpffs" --state "$WORK/h1/state" "$@"; }

addr() { echo "10.40.$(($1 / 250)).$(($1 % 250 + 2))"; }

cni() {
	local cmd=$1 i=$2
	in_host env CNI_COMMAND="$cmd" CNI_CONTAINERID="c$i" CNI_NETNS="/run/netns/$P-e$i" \
		CNI_IFNAME=eth0 CNI_PATH=/usr/lib/cni "$CNI_PLUGIN" >/dev/null <<CONF
{"cniVersion": "1.0.0", "name": "mvbench", "type": "macvlan", "master": "ul0", "mode": "bridge",
 "ipam": {"type": "static", "addresses": [{"address": "$(addr "$i")/16"}],
          "routes": [{"dst": "0.0.0.0/0", "gw": "10.40.0.1"}]}}
CONF
}

# stats FILE: mean and p99 (ms) of nanosecond samples, one a line.
stats() {
	sort -n "$1" | awk '{v[NR] = $1; s += $1} END {
		i = int(NR * 0.99 + 0.999); if (i > NR) i = NR;
		printf "%.2f %.2f", s / NR / 1e6, v[i] / 1e6 }'
}

run() {
	local tool=$1 n=$2 i t0 t1
	: >"$WORK/create" && : >"$WORK/delete" && : >"$WORK/nsadd" && : >"$WORK/nsdel"
	for ((i = 0; i < n; i++)); do
		t0=$(now)
		ip netns add "$P-e$i"
		t1=$(now)
		if [ "$tool" = cbpfnet ]; then
			cbh ep add "e$i" --net mvb --netns "$P-e$i" --ip "$(addr "$i")" >/dev/null
		else
			cni ADD "$i"
		fi || { echo "$tool: create $i failed" >&2; exit 1; }
		echo $(($(now) - t1)) >>"$WORK/create"
		echo $((t1 - t0)) >>"$WORK/nsadd"
	done
	for ((i = 0; i < n; i++)); do
		t0=$(now)
		if [ "$tool" = cbpfnet ]; then cbh ep del "e$i" >/dev/null; else cni DEL "$i"; fi ||
			{ echo "$tool: delete $i failed" >&2; exit 1; }
		t1=$(now)
		ip netns del "$P-e$i"
		echo $((t1 - t0)) >>"$WORK/delete"
		echo $(($(now) - t1)) >>"$WORK/nsdel"
	done
	# Process start alone: a no-op of the same binary, started the same way.
	: >"$WORK/noop"
	for ((i = 0; i < 50; i++)); do
		t0=$(now)
		if [ "$tool" = cbpfnet ]; then cbh net list >/dev/null; else
			in_host env CNI_COMMAND=VERSION "$CNI_PLUGIN" >/dev/null </dev/null; fi
		echo $(($(now) - t0)) >>"$WORK/noop"
	done
	echo "$tool $n $(stats "$WORK/create") $(stats "$WORK/delete") $(stats "$WORK/nsadd") $(stats "$WORK/nsdel") $(stats "$WORK/noop")"
}

cbh load >/dev/null
cbh net create mvb --model macvlan --parent ul0 --mode bridge --subnet 10.40.0.0/16 >/dev/null
echo "# tool count create_mean_ms create_p99_ms delete_mean_ms delete_p99_ms netns_add_mean_ms netns_add_p99_ms netns_del_mean_ms netns_del_p99_ms noop_mean_ms noop_p99_ms" | tee "$OUT"
for n in "${counts[@]}"; do
	run cbpfnet "$n" | tee -a "$OUT"
	run cni "$n" | tee -a "$OUT"
done
