#!/usr/bin/env bash
# Same-host endpoint <-> endpoint TCP throughput (issue 2): two cbpfnet endpoints of one network
# on one simulated host against two veths on a Linux bridge on another, built in the same run.
# Target: cbpfnet >= 1.0x the bridge. Prints a Markdown table; see docs/benchmarks.md.
#
#   RUNS=5 SECONDS_PER_RUN=5 STREAMS=1 bench/throughput_same_host.sh
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/throughput_lib.sh"
lib_init

# cbpfnet: host h1, network bench, endpoints a and b (MTU and offloads as cbpfnet sets them).
host_add h1 1
cb h1 load >/dev/null || die "cbpfnet load"
cb h1 net create bench --subnet 10.80.0.0/24 >/dev/null || die "net create"
for e in a:10.80.0.2 b:10.80.0.3; do
	ns_add "${e%:*}"
	cb h1 ep add "${e%:*}" --net bench --netns "$P-${e%:*}" --ip "${e#*:}" >/dev/null ||
		die "ep add ${e%:*}"
done

# Baseline: host h2, bridge br0 with veths to x and y (the docker0 layout, default MTU 1500 and
# offloads, no iptables: a bare bridge is the cheapest kernel path a bridge network can have).
host_add h2 2
in_ns h2 ip link add br0 type bridge
in_ns h2 ip link set br0 up
for c in x:10.81.0.2 y:10.81.0.3; do
	ns_add "${c%:*}"
	in_ns h2 ip link add "v${c%:*}" type veth peer name eth0 netns "$P-${c%:*}"
	in_ns h2 ip link set "v${c%:*}" master br0 up
	in_ns "${c%:*}" ip addr add "${c#*:}/24" dev eth0
	in_ns "${c%:*}" ip link set eth0 up
done

ping_ok a 10.80.0.3 >/dev/null || die "a cannot ping b over cbpfnet"
ping_ok x 10.81.0.3 >/dev/null || die "x cannot ping y over the bridge"
mtu_cb=$(in_ns a cat /sys/class/net/eth0/mtu)
mtu_br=$(in_ns x cat /sys/class/net/eth0/mtu)

cb_runs=() br_runs=() cb_rtx=() br_rtx=()
for i in $(seq "$RUNS"); do
	read -r g r < <(iperf_gbps a b 10.80.0.3)
	cb_runs+=("$g") cb_rtx+=("$r")
	read -r g r < <(iperf_gbps x y 10.81.0.3)
	br_runs+=("$g") br_rtx+=("$r")
	printf "run %d: cbpfnet %.2f, bridge %.2f Gbit/s\n" "$i" "${cb_runs[-1]}" "${br_runs[-1]}" >&2
done

cb_med=$(median "${cb_runs[@]}")
br_med=$(median "${br_runs[@]}")
bench_header
echo "| path (same host, endpoint -> endpoint) | MTU | median Gbit/s | min-max | retransmits per run | ratio to bridge |"
echo "| --- | --- | --- | --- | --- | --- |"
printf '| cbpfnet local network (TC, bpf_redirect_peer) | %s | %.2f | %s | %s | %s |\n' \
	"$mtu_cb" "$cb_med" "$(spread "${cb_runs[@]}")" "${cb_rtx[*]}" "$(ratio "$cb_med" "$br_med")"
printf '| Linux bridge + veth | %s | %.2f | %s | %s | 1.00 |\n' \
	"$mtu_br" "$br_med" "$(spread "${br_runs[@]}")" "${br_rtx[*]}"
echo
echo "Target cbpfnet >= 1.0x bridge: $(meets "$cb_med" "$br_med" 1.0)"
echo "cbpfnet drops during the run: h1 $(drops_total h1)"
