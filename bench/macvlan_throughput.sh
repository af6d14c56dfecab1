#!/usr/bin/env bash
# macvlan bridge-mode throughput between two sibling endpoints, with the macvlan programs attached
# and with none (after `cbpfnet unload`, which detaches them), alternating in the same run.
#
#   bench/macvlan_throughput.sh [ROUNDS] [SECONDS]      (default: 3 rounds of 5 s)
#   PIN=0 bench/macvlan_throughput.sh ...              (let the scheduler place iperf3)
#
# Prints Gbit/s per round and the median ratio with/without BPF, for an untagged network and for
# one on VLAN 10 (its tag pushed and popped in BPF; without BPF the frames simply go untagged).
# Rounds alternate which side goes first (with BPF first in odd rounds), so a drift of the
# machine during a round favours neither. By default the iperf3 client runs on CPU 0 and the
# server on CPU 1: on a 2-CPU machine the scheduler otherwise sometimes puts both on one CPU,
# which moves a round by more than the difference measured.
source "$(dirname "$0")/../tests/lib.sh"
rounds=${1:-3}
secs=${2:-5}
affinity=()
[ "${PIN:-1}" = 0 ] || affinity=(-A 0,1)
lib_init
host_add h1 1
for ns in s1 s2 t1 t2; do ns_add $ns; done
cb h1 load >/dev/null
cb h1 net create plain --model macvlan --parent ul0 --mode bridge --subnet 10.50.0.0/24 >/dev/null
cb h1 net create tagged --model macvlan --parent ul0 --mode bridge --subnet 10.51.0.0/24 --vlan 10 >/dev/null
cb h1 ep add s1 --net plain --netns "$P-s1" --ip 10.50.0.2 >/dev/null
cb h1 ep add s2 --net plain --netns "$P-s2" --ip 10.50.0.3 >/dev/null
cb h1 ep add t1 --net tagged --netns "$P-t1" --ip 10.51.0.2 >/dev/null
cb h1 ep add t2 --net tagged --netns "$P-t2" --ip 10.51.0.3 >/dev/null
in_ns s1 ping -c 1 -W 2 10.50.0.3 >/dev/null && in_ns t1 ping -c 1 -W 2 10.51.0.3 >/dev/null ||
	{ echo "endpoints do not reach each other" >&2; exit 1; }

# gbps SRC DST_NS DST_ADDR: one iperf3 TCP run, Gbit/s received.
gbps() {
	local pid
	in_ns "$2" iperf3 -s -1 >/dev/null 2>&1 &
	pid=$!
	PIDS+=("$pid")
	sleep 0.3
	in_ns "$1" iperf3 -c "$3" -t "$secs" "${affinity[@]}" -J |
		jq '.end.sum_received.bits_per_second / 1e9'
	wait "$pid" 2>/dev/null
}

median() { sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

: >"$WORK/plain.bpf" && : >"$WORK/plain.none" && : >"$WORK/tagged.bpf" && : >"$WORK/tagged.none"
with_bpf() {
	gbps s1 s2 10.50.0.3 >>"$WORK/plain.bpf"
	gbps t1 t2 10.51.0.3 >>"$WORK/tagged.bpf"
}
# Loading and unloading leave the kernel work to finish (program verification, freeing the old
# programs after an RCU grace period): a pause keeps it out of the next measurement.
settle() { sleep 2; }
without_bpf() {
	cb h1 unload >/dev/null
	settle
	gbps s1 s2 10.50.0.3 >>"$WORK/plain.none"
	gbps t1 t2 10.51.0.3 >>"$WORK/tagged.none"
	cb h1 load >/dev/null
	settle
}
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then
		with_bpf
		without_bpf
	else
		without_bpf
		with_bpf
	fi
	echo "round $r: plain bpf $(tail -1 "$WORK/plain.bpf") none $(tail -1 "$WORK/plain.none");" \
		"vlan10 bpf $(tail -1 "$WORK/tagged.bpf") none(untagged) $(tail -1 "$WORK/tagged.none") Gbit/s"
done
for n in plain tagged; do
	b=$(median <"$WORK/$n.bpf")
	u=$(median <"$WORK/$n.none")
	echo "$n: median with BPF $b Gbit/s, without $u Gbit/s, ratio $(echo "$b $u" | awk '{printf "%.3f", $1 / $2}')"
done
