#!/usr/bin/env bash
# TCP throughput, every path built in the same run on simulated hosts, iperf3 medians as ratios.
#   same host:   cbpfnet endpoints of one network  vs  a Linux bridge with veths (issue 2)
#   across hosts: cbpfnet overlay  vs  kernel vxlan + bridge (Docker/Flannel style)
#                 vs  routed containers without encapsulation  vs  plain host-to-host veth (issue 3)
# Usage: bench/throughput.sh   (RUNS=5 SECONDS_PER_RUN=5 by default; run as root)
source "$(dirname "$0")/../tests/lib.sh"
RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
lib_init

# gbps SRC_NS DST_NS ADDR: median Gbit/s of RUNS iperf3 runs.
gbps() {
	local src=$1 dst=$2 addr=$3 i pid samples=()
	for ((i = 0; i < RUNS; i++)); do
		in_ns "$dst" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		pid=$!
		PIDS+=("$pid")
		sleep 0.3
		samples+=("$(in_ns "$src" iperf3 -c "$addr" -p 5201 -t "$SECONDS_PER_RUN" -J |
			jq '.end.sum_received.bits_per_second / 1e9')")
		wait "$pid"
	done
	printf '%s\n' "${samples[@]}" | sort -g | awk '{v[NR] = $1} END {printf "%.2f", v[int((NR + 1) / 2)]}'
}

# veth_container HOST NAME ADDR/LEN [MTU]: a namespace wired to HOST by a veth "NAME-h".
veth_container() {
	local host=$1 name=$2 addr=$3 mtu=${4:-1500}
	ns_add "$name"
	in_ns "$host" ip link add "$name-h" mtu "$mtu" type veth peer name eth0 mtu "$mtu" netns "$P-$name"
	in_ns "$host" ip link set "$name-h" up
	in_ns "$name" ip addr add "$addr" dev eth0
	in_ns "$name" ip link set eth0 up
}

# cbpfnet: one host for the same-host pair, two hosts for the overlay.
host_add h1 1
host_add h2 2
for h in h1 h2; do
	cb $h load >/dev/null
	cb $h node add h1 --underlay 198.18.0.1 >/dev/null
	cb $h node add h2 --underlay 198.18.0.2 >/dev/null
	cb $h net create ov --model overlay --subnet 10.50.0.0/24 >/dev/null
done
cb h1 net create loc --subnet 10.40.0.0/24 >/dev/null
for c in l1 l2 o1 o2; do ns_add $c; done
cb h1 ep add l1 --net loc --netns "$P-l1" --ip 10.40.0.11 >/dev/null
cb h1 ep add l2 --net loc --netns "$P-l2" --ip 10.40.0.12 >/dev/null
cb h1 ep add o1 --net ov --netns "$P-o1" --ip 10.50.0.11 >/dev/null
cb h2 ep add o2 --net ov --netns "$P-o2" --ip 10.50.0.12 >/dev/null
cb h1 ep add o2 --net ov --remote h2 --ip 10.50.0.12 >/dev/null
cb h2 ep add o1 --net ov --remote h1 --ip 10.50.0.11 >/dev/null

# Linux bridge on one host (h3).
host_add h3 3
in_ns h3 ip link add br0 type bridge
in_ns h3 ip link set br0 up
veth_container h3 b1 10.41.0.11/24
veth_container h3 b2 10.41.0.12/24
in_ns h3 ip link set b1-h master br0
in_ns h3 ip link set b2-h master br0

# Kernel vxlan + bridge on h4 and h5, same VNI, static FDB entries, MTU 1450 like cbpfnet's.
host_add h4 4
host_add h5 5
for n in 4 5; do
	peer=$((9 - n))
	in_ns h$n ip link add vx100 type vxlan id 100 dstport 4789 local 198.18.0.$n nolearning
	in_ns h$n ip link add br100 type bridge
	in_ns h$n ip link set vx100 master br100 up
	in_ns h$n ip link set br100 up
	veth_container h$n k$n 10.42.0.1$n/24 1450
	in_ns h$n ip link set k$n-h master br100
	in_ns h$n bridge fdb append 00:00:00:00:00:00 dev vx100 dst 198.18.0.$peer
done

# Routed containers without encapsulation on h6 and h7: host routes through the underlay.
host_add h6 6
host_add h7 7
for n in 6 7; do
	peer=$((13 - n))
	veth_container h$n r$n 10.43.$n.2/24
	in_ns h$n ip addr add 10.43.$n.1/24 dev r$n-h
	in_ns h$n sysctl -qw net.ipv4.ip_forward=1
	in_ns h$n ip route add 10.43.$peer.0/24 via 198.18.0.$peer
	in_ns r$n ip route add default via 10.43.$n.1
done

same_cbpf=$(gbps l1 l2 10.40.0.12)
same_bridge=$(gbps b1 b2 10.41.0.12)
overlay=$(gbps o1 o2 10.50.0.12)
kvxlan=$(gbps k4 k5 10.42.0.15)
routed=$(gbps r6 r7 10.43.7.2)
hosts=$(gbps h1 h2 198.18.0.2)

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
cat <<TABLE
| path | Gbit/s (median of $RUNS x ${SECONDS_PER_RUN}s) | ratio |
| --- | --- | --- |
| same host: cbpfnet endpoints | $same_cbpf | $(ratio "$same_cbpf" "$same_bridge")x the bridge |
| same host: Linux bridge + veth (baseline) | $same_bridge | 1.00x |
| across hosts: cbpfnet overlay | $overlay | $(ratio "$overlay" "$kvxlan")x kernel vxlan, $(ratio "$overlay" "$routed")x routed |
| across hosts: kernel vxlan + bridge | $kvxlan | 1.00x |
| across hosts: routed, no encapsulation | $routed | $(ratio "$routed" "$kvxlan")x kernel vxlan |
| across hosts: plain veth host to host (limit) | $hosts | $(ratio "$hosts" "$kvxlan")x kernel vxlan |
TABLE
