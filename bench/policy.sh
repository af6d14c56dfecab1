#!/usr/bin/env bash
# Policy benchmark: TCP throughput and per-packet cost through cbpfnet with 0, 1k, 10k and 100k
# rules, against iptables FORWARD rules of the same meaning (nft and legacy back ends) on a
# kernel-routed path built in the same run, plus policy reload time.
#
#   bench/policy.sh [OUT_DIR]      (root; writes OUT_DIR/policy.dat, policy.png, policy.md)
#   ONLY=reload RELOADS=7 bench/policy.sh [OUT_DIR]   (only the reload times: policy-reload.txt,
#                                                      with iptables-legacy-restore of the same
#                                                      10k rules timed in turn with the reloads)
#   CBPFNET_OLD=/path/to/old/cbpfnet ONLY=reload ...  (also another build's reloads of the same
#                                                      files, on a second host, in turn)
#   RELOAD_COUNTS=10000 ONLY=reload ...                (the reload section's rule counts; default
#                                                      10000 100000)
#
# Rule shape, identical in meaning on both sides: "from the client's network to one /32 of
# 172.16.0.0/12, TCP to one port: drop". None matches the measured flow, so every rule is on
# its path: iptables walks them, cbpfnet looks the pair up once in its trie.
# Figures are ratios against 0 rules of the same system, measured in the same run.
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/../tests/policy_lib.sh"
OUT=${1:-$REPO/docs}
SECS=${SECS:-3}
COUNTS=${COUNTS:-"0 1000 10000 100000"}
ONLY=${ONLY:-}          # "reload": no traffic, iptables or plot; the same reloads in the same order
RELOADS=${RELOADS:-3}   # reloads per count and kind in the reload section
CBPFNET_OLD=${CBPFNET_OLD:-} # with ONLY=reload: h2 runs this build, reloaded in turn with h1
lib_init
mkdir -p "$OUT"

# old CMD...: CMD with the old build as cbpfnet (lib.sh's functions read $CBPFNET when called).
old() {
	local CBPFNET=$CBPFNET_OLD
	"$@"
}
# setup HOST: the networks and endpoints the rules name, on HOST.
setup() {
	cb "$1" load >/dev/null
	cb "$1" net create neta --subnet 10.1.0.0/24 >/dev/null
	cb "$1" net create netb --subnet 10.2.0.0/24 >/dev/null
	cb "$1" ep add a1 --net neta --netns "$P-$1-a1" >/dev/null
	cb "$1" ep add b1 --net netb --netns "$P-$1-b1" >/dev/null
}
host_add h1 1
for ns in h1-a1 h1-b1 k1 k2; do ns_add $ns; done
setup h1
if [ "$ONLY" = reload ] && [ -n "$CBPFNET_OLD" ]; then
	old host_add h2 2
	for ns in h2-a1 h2-b1; do ns_add $ns; done
	old setup h2
fi

# Kernel-routed baseline: k1 and k2 behind plain veths routed by h1, FORWARD in the path.
in_ns h1 sysctl -qw net.ipv4.ip_forward=1
for i in 1 2; do
	ip -n "$P-h1" link add kh$i type veth peer name eth0 netns "$P-k$i"
	ip -n "$P-h1" addr add 10.9.$i.1/24 dev kh$i
	ip -n "$P-h1" link set kh$i up
	ip -n "$P-k$i" addr add 10.9.$i.2/24 dev eth0
	ip -n "$P-k$i" link set eth0 up
	ip -n "$P-k$i" route add default via 10.9.$i.1
done

policy_file() { # N [EDIT [SHIFT]]: N deny rules plus the allow for the measured pair; EDIT > 0
	# moves the port of every 100th rule by EDIT (an edit of 1 % of the rules); SHIFT moves every
	# rule's address to 172.(16 + SHIFT + ...) (every rule new)
	local edit=${2:-0} shift=${3:-0}
	echo '{"rules": [{"from": "net:neta", "to": "net:netb", "action": "allow", "direction": "two-way", "priority": 10}'
	for ((i = 0; i < $1; i++)); do
		printf ',{"from": "net:neta", "to": "cidr:172.%d.%d.%d/32", "action": "deny", "protocol": "tcp", "ports": "%d"}\n' \
			$((16 + shift + i / 65536)) $((i / 256 % 256)) $((i % 256)) $((1000 + (i + (i % 100 ? 0 : edit)) % 50000))
	done
	echo ']}'
}
iptables_rules() { # N: the same rules as an iptables-restore file
	echo '*filter'
	echo ':FORWARD ACCEPT [0:0]'
	for ((i = 0; i < $1; i++)); do
		printf -- '-A FORWARD -s 10.9.1.0/24 -d 172.%d.%d.%d/32 -p tcp --dport %d -j DROP\n' \
			$((16 + i / 65536)) $((i / 256 % 256)) $((i % 256)) $((1000 + i % 50000))
	done
	echo 'COMMIT'
}

tcp_gbps() { # CLIENT SERVER ADDR
	in_ns "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	sleep 0.3
	in_ns "$1" iperf3 -c "$3" -p 5201 -t "$SECS" -J 2>/dev/null |
		jq '.end.sum_received.bits_per_second / 1e9'
}
udp_kpps() { # CLIENT SERVER ADDR: 64-byte datagrams as fast as one sender goes
	in_ns "$2" iperf3 -s -1 -p 5202 >/dev/null 2>&1 &
	sleep 0.3
	in_ns "$1" iperf3 -c "$3" -p 5202 -u -b 0 -l 64 -t "$SECS" -J 2>/dev/null |
		jq '(.end.sum.packets - .end.sum.lost_packets) / .end.sum.seconds / 1e3'
}
# Average run time of tc_from_ep per packet over a UDP run (kernel.bpf_stats_enabled).
bpf_ns() {
	local id s1 s2
	id=$(bpftool -j prog show pinned "$(pin h1 prog_tc_from_ep)" | jq .id)
	s1=$(bpftool -j prog show id "$id" | jq '[.run_time_ns, .run_cnt]')
	udp_kpps h1-a1 h1-b1 10.2.0.2 >/dev/null
	s2=$(bpftool -j prog show id "$id" | jq '[.run_time_ns, .run_cnt]')
	jq -n --argjson a "$s1" --argjson b "$s2" '($b[0] - $a[0]) / ($b[1] - $a[1])'
}

stats_was=$(sysctl -n kernel.bpf_stats_enabled)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=$stats_was; lib_cleanup' EXIT

# The reply is read before jq starts: in a pipe, jq's start (about 10 ms of CPU) ran beside the
# reload on the 2 cores and took one from it, 5-15 ms of a reload's wall time.
reload_ms() {
	local reply
	reply=$(cb "${1:-h1}" --json policy reload)
	jq -r '.ms * 10 | round / 10' <<<"$reply"
}
# reload_report [HOST]: "WALL ms (cpu CPU ms)" of one reload (the CPU part when the build says).
reload_report() {
	local reply
	reply=$(cb "${1:-h1}" --json policy reload)
	jq -r '"\(.ms * 10 | round / 10) ms" + if .cpu_ms then " (cpu \(.cpu_ms * 10 | round / 10) ms)" else "" end' <<<"$reply"
}
# old_reload LABEL: with an old build, a line with its reload time of the same file.
old_reload() { [ -z "$CBPFNET_OLD" ] || echo "old build, $1: $(old reload_report h2)"; }
# The same rules through iptables-legacy-restore in h1, the command alone timed (bash's time).
restore_ms() {
	in_ns h1 bash -c 'TIMEFORMAT=%3R; { time iptables-legacy-restore <"$1"; } 2>&1' _ "$1" |
		awk '{ printf "%.1f", $1 * 1000 }'
}

[ "$ONLY" = reload ] || printf '# rules cbpf_gbps cbpf_kpps cbpf_ns nft_gbps nft_kpps legacy_gbps legacy_kpps reload_ms\n' >"$OUT/policy.dat"
policy_file 0 >"$WORK/p.json"
daemon_start h1 "$WORK/p.json" || { echo "daemon failed: $(cat "$WORK/h1.agent.log")"; exit 1; }
if [ -n "$CBPFNET_OLD" ]; then
	old daemon_start h2 "$WORK/p.json" || { echo "old daemon failed: $(cat "$WORK/h2.agent.log")"; exit 1; }
fi
if [ "$ONLY" != reload ]; then
	# Warm-up: the first iperf3 run of a fresh namespace pair is slow on this machine.
	tcp_gbps h1-a1 h1-b1 10.2.0.2 >/dev/null
	tcp_gbps k1 k2 10.9.2.2 >/dev/null
fi
for n in $COUNTS; do
	policy_file "$n" >"$WORK/p.json"
	reload=$(reload_ms)
	[ -n "$CBPFNET_OLD" ] && old reload_ms h2 >/dev/null
	[ "$ONLY" = reload ] && continue
	cg=$(tcp_gbps h1-a1 h1-b1 10.2.0.2)
	ck=$(udp_kpps h1-a1 h1-b1 10.2.0.2)
	cn=$(bpf_ns)
	res=()
	for ipt in iptables-nft iptables-legacy; do
		iptables_rules "$n" | in_ns h1 "$ipt-restore"
		res+=("$(tcp_gbps k1 k2 10.9.2.2)" "$(udp_kpps k1 k2 10.9.2.2)")
		in_ns h1 "$ipt" -F FORWARD
	done
	printf '%s %s %s %s %s %s %s %s %s\n' "$n" "$cg" "$ck" "$cn" "${res[@]}" "${reload:-0}" | tee -a "$OUT/policy.dat"
done
# Reload time of 10k and 100k rules, RELOADS times each (the largest above set them up once):
# the same file again; a file with 1 % of its rules edited anew before every reload; one with r
# more rules on 10.200.x.0/24 at reload r, ahead of every other CIDR (which renumbered every
# CIDR identity while identities were ranks); and one whose every rule names an address no
# earlier reload used, so neither generation holds any entry of it (alternating two files would
# find the idle generation already right).
for n in ${RELOAD_COUNTS:-10000 100000}; do
	policy_file "$n" >"$WORK/p.json"
	# Each cbpfnet reload beside an iptables-legacy-restore of the same rules, in turn, so
	# both see the same machine load; iptables-restore replaces the whole table each time.
	iptables_rules "$n" >"$WORK/ipt.rules"
	for ((r = 1; r <= RELOADS; r++)); do
		echo "reload $n: $(reload_report)"
		old_reload "reload $n"
		[ "$n" = 10000 ] && echo "iptables-legacy-restore $n: $(restore_ms "$WORK/ipt.rules") ms"
	done
	in_ns h1 iptables-legacy -F FORWARD
	for ((r = 1; r <= RELOADS; r++)); do
		policy_file "$n" "$r" >"$WORK/p.json"
		echo "reload $n, 1 % edited: $(reload_report)"
		old_reload "reload $n, 1 % edited"
		[ "$n" = 10000 ] && echo "iptables-legacy-restore $n: $(restore_ms "$WORK/ipt.rules") ms"
	done
	for ((r = 1; r <= RELOADS; r++)); do
		{
			policy_file "$n" | sed '$d'
			for ((i = 0; i < r; i++)); do
				printf ',{"from": "net:neta", "to": "cidr:10.200.%d.0/24", "action": "deny", "protocol": "udp", "ports": "9"}\n' $i
			done
			echo ']}'
		} >"$WORK/p.json"
		echo "reload $n, CIDRs added in front: $(reload_report)"
		old_reload "reload $n, CIDRs added in front"
		[ "$n" = 10000 ] && echo "iptables-legacy-restore $n: $(restore_ms "$WORK/ipt.rules") ms"
	done
	for ((r = 1; r <= RELOADS; r++)); do
		policy_file "$n" 0 $((2 * r)) >"$WORK/p.json"
		echo "reload $n, every rule new: $(reload_report)"
		old_reload "reload $n, every rule new"
		[ "$n" = 10000 ] && echo "iptables-legacy-restore $n: $(restore_ms "$WORK/ipt.rules") ms"
	done
done | tee "$OUT/policy-reload.txt"
daemon_stop h1
[ -n "$CBPFNET_OLD" ] && daemon_stop h2
[ "$ONLY" = reload ] && { echo "wrote $OUT/policy-reload.txt"; exit 0; }

# Ratios against 0 rules of the same system (the first row).
awk '!/^#/ { if (!c0) { c0 = $2; n0 = $5; l0 = $7 }
	print ($1 ? $1 : 100), $2 / c0, $5 / n0, $7 / l0 }' "$OUT/policy.dat" >"$OUT/policy-ratio.dat"
gnuplot <<GP
set terminal pngcairo size 900,520 noenhanced
set output "$OUT/policy.png"
set title "TCP throughput vs rule count, relative to 0 rules of the same system (same run)"
set xlabel "rules (0 rules drawn at 100)"
set ylabel "throughput / throughput at 0 rules"
set logscale x
set xrange [50:200000]
set yrange [0:*]
set key bottom left
set grid
plot "$OUT/policy-ratio.dat" using 1:2 with linespoints lw 2 title "cbpfnet (BPF: pair hash, port LPM trie)", \
     "" using 1:3 with linespoints lw 2 title "iptables-nft FORWARD", \
     "" using 1:4 with linespoints lw 2 title "iptables-legacy FORWARD"
GP
echo "wrote $OUT/policy.dat $OUT/policy.png"
