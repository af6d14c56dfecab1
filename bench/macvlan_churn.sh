#!/usr/bin/env bash
# Endpoint churn on a macvlan network: create then delete N endpoints (netns + macvlan + address
# + default route, and for cbpfnet the programs and map entries), per-endpoint time, in the same
# run for three ways of doing it:
#   cni      the reference CNI macvlan plugin (static IPAM): `ip netns add`, then one plugin
#            process per endpoint (ADD), as a runtime drives any CNI plugin; DEL, `ip netns del`.
#   cbpfnet  one `cbpfnet ep add` / `ep del` process per endpoint, with `ip netns add/del`.
#   batch    one `cbpfnet ep apply` process for all N adds (each creating its namespace) and one
#            for all N deletes (each removing it), as a long-lived agent would do the work.
#
#   bench/macvlan_churn.sh [COUNT...]      (default: 200 400 600 800 1000)
#
# Prints one line per (tool, count), also written to $OUT (default docs/macvlan_churn.dat);
# times in ms:
#   create_mean create_p99   the tool's own create per endpoint (cni, cbpfnet: the process,
#                            start included; batch: one add inside the process, measured there,
#                            namespace creation included)
#   delete_mean delete_p99   the same for delete (batch: the link and maps; the namespaces are
#                            unmounted together at the end, counted in the totals below)
#   netns_add_* netns_del_*  `ip netns add` / `ip netns del` around the tool (batch: NaN, inside)
#   noop_mean noop_p99       process start alone: the same binary doing nothing (`net list`,
#                            CNI VERSION; batch: `ep apply` of an empty list)
#   create_total delete_total  everything per endpoint: netns_add + create (delete + netns_del)
#                            means for cni and cbpfnet; batch: the ep apply process's wall time
#                            / N, start, state read and write included
# Timestamps come from bash's EPOCHREALTIME: no process is started to read the clock.
source "$(dirname "$0")/../tests/lib.sh"
CNI_PLUGIN=${CNI_PLUGIN:-/usr/lib/cni/macvlan}
OUT=${OUT:-$REPO/docs/macvlan_churn.dat}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(200 400 600 800 1000)
[ -x "$CNI_PLUGIN" ] || { echo "no CNI macvlan plugin at $CNI_PLUGIN" >&2; exit 1; }
lib_init
host_add h1 1
host_ns=/run/netns/$P-h1

now() { echo $((${EPOCHREALTIME/./} * 1000)); }
# Every tool runs the same way: a fresh process in the host's network namespace. nsenter keeps
# the mount namespace, so namespaces `ep apply` mounts under /run/netns are seen everywhere.
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
mean() { stats "$1" | cut -d' ' -f1; }

noop() {
	local tool=$1 i t0
	: >"$WORK/noop"
	for ((i = 0; i < 50; i++)); do
		t0=$(now)
		case $tool in
		cbpfnet) cbh net list >/dev/null ;;
		batch) echo '[]' | cbh ep apply - >/dev/null ;;
		cni) in_host env CNI_COMMAND=VERSION "$CNI_PLUGIN" >/dev/null </dev/null ;;
		esac
		echo $(($(now) - t0)) >>"$WORK/noop"
	done
	stats "$WORK/noop"
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
	echo "$tool $n $(stats "$WORK/create") $(stats "$WORK/delete") $(stats "$WORK/nsadd")" \
		"$(stats "$WORK/nsdel") $(noop "$tool")" \
		"$(echo "$(mean "$WORK/nsadd") $(mean "$WORK/create")" | awk '{printf "%.2f", $1 + $2}')" \
		"$(echo "$(mean "$WORK/delete") $(mean "$WORK/nsdel")" | awk '{printf "%.2f", $1 + $2}')"
}

# apply N FILE OUT: one `ep apply` of FILE; prints the wall time per endpoint (ms), per-op
# times (ns) go to OUT.
apply() {
	local n=$1 t0 t1
	t0=$(now)
	cbh --json ep apply "$2" >"$WORK/report" || { echo "batch: ep apply $2 failed" >&2; exit 1; }
	t1=$(now)
	jq -r '.ops[].ms * 1e6 | floor' "$WORK/report" >"$3"
	awk -v ns=$((t1 - t0)) -v n="$n" 'BEGIN {printf "%.2f", ns / n / 1e6}'
}

run_batch() {
	local n=$1 i create_total delete_total
	for ((i = 0; i < n; i++)); do
		echo "{\"op\": \"add\", \"name\": \"e$i\", \"net\": \"mvb\", \"netns\": \"$P-e$i\", \"ip\": \"$(addr "$i")\", \"create_netns\": true}"
	done >"$WORK/add.json"
	for ((i = 0; i < n; i++)); do
		echo "{\"op\": \"del\", \"name\": \"e$i\", \"delete_netns\": true}"
	done >"$WORK/del.json"
	create_total=$(apply "$n" "$WORK/add.json" "$WORK/create")
	delete_total=$(apply "$n" "$WORK/del.json" "$WORK/delete")
	echo "batch $n $(stats "$WORK/create") $(stats "$WORK/delete") NaN NaN NaN NaN" \
		"$(noop batch) $create_total $delete_total"
}

cbh load >/dev/null
cbh net create mvb --model macvlan --parent ul0 --mode bridge --subnet 10.40.0.0/16 >/dev/null
echo "# tool count create_mean create_p99 delete_mean delete_p99 netns_add_mean netns_add_p99 netns_del_mean netns_del_p99 noop_mean noop_p99 create_total delete_total (ms)" | tee "$OUT"
for n in "${counts[@]}"; do
	run_batch "$n" | tee -a "$OUT"
	run cbpfnet "$n" | tee -a "$OUT"
	run cni "$n" | tee -a "$OUT"
done
