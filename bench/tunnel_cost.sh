#!/usr/bin/env bash
# Per-packet cost of VxLAN encapsulation and decapsulation on real traffic: kernel BPF run-time
# statistics (kernel.bpf_stats_enabled) of the programs while a UDP stream of small datagrams
# crosses a cbpfnet overlay, next to the same program forwarding between two endpoints of one
# host in the same run (the baseline). BPF_PROG_TEST_RUN cannot time these programs well: it
# reuses one skb across repeats, and tunnelling changes the packet's length.
# Usage: bench/tunnel_cost.sh   (SECONDS_PER_RUN=5 by default; run as root)
source "$(dirname "$0")/../tests/lib.sh"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
lib_init

host_add h1 1
host_add h2 2
host_add h3 3
for h in h1 h2; do
	cb $h load >/dev/null
	cb $h node add h1 --underlay 198.18.0.1 >/dev/null
	cb $h node add h2 --underlay 198.18.0.2 >/dev/null
	cb $h net create ov --model overlay --subnet 10.50.0.0/24 >/dev/null
done
cb h3 load >/dev/null
cb h3 net create loc --subnet 10.40.0.0/24 >/dev/null
for c in o1 o2 l1 l2; do ns_add $c; done
cb h1 ep add o1 --net ov --netns "$P-o1" --ip 10.50.0.11 >/dev/null
cb h2 ep add o2 --net ov --netns "$P-o2" --ip 10.50.0.12 >/dev/null
cb h1 ep add o2 --net ov --remote h2 --ip 10.50.0.12 >/dev/null
cb h2 ep add o1 --net ov --remote h1 --ip 10.50.0.11 >/dev/null
cb h3 ep add l1 --net loc --netns "$P-l1" --ip 10.40.0.11 >/dev/null
cb h3 ep add l2 --net loc --netns "$P-l2" --ip 10.40.0.12 >/dev/null

stats() { bpftool -j prog show id "$1" | jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"'; }

# udp_flood SRC DST ADDR: small datagrams for SECONDS_PER_RUN seconds.
udp_flood() {
	local pid
	in_ns "$2" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.3
	in_ns "$1" iperf3 -c "$3" -p 5202 -u -b 0 -l 64 -t "$SECONDS_PER_RUN" >/dev/null 2>&1
	wait "$pid"
}

enc=$(prog_id h1 prog_tc_from_ep)
dec=$(prog_id h2 prog_tc_from_underlay)
fwd=$(prog_id h3 prog_tc_from_ep)
old=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
read -r e0 ec0 <<<"$(stats "$enc")"
read -r d0 dc0 <<<"$(stats "$dec")"
udp_flood o1 o2 10.50.0.12
read -r e1 ec1 <<<"$(stats "$enc")"
read -r d1 dc1 <<<"$(stats "$dec")"
read -r f0 fc0 <<<"$(stats "$fwd")"
udp_flood l1 l2 10.40.0.12
read -r f1 fc1 <<<"$(stats "$fwd")"
sysctl -qw kernel.bpf_stats_enabled="$old"

per() { awk -v t="$1" -v c="$2" 'BEGIN {printf "%.1f", (c > 0) ? t / c : 0}'; }
enc_ns=$(per $((e1 - e0)) $((ec1 - ec0)))
dec_ns=$(per $((d1 - d0)) $((dc1 - dc0)))
fwd_ns=$(per $((f1 - f0)) $((fc1 - fc0)))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }
cat <<TABLE
| program on real traffic (64-byte UDP, ${SECONDS_PER_RUN}s) | packets | ns/packet | vs local forward |
| --- | --- | --- | --- |
| tc_from_ep: local forward, same host (baseline) | $((fc1 - fc0)) | $fwd_ns | 1.00x |
| tc_from_ep: VxLAN encapsulation | $((ec1 - ec0)) | $enc_ns | $(ratio "$enc_ns" "$fwd_ns")x |
| tc_from_underlay: VxLAN decapsulation | $((dc1 - dc0)) | $dec_ns | $(ratio "$dec_ns" "$fwd_ns")x |
TABLE
