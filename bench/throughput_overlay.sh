#!/usr/bin/env bash
# Container <-> container TCP throughput across two simulated hosts (issue 3), four paths built
# in the same run, each on its own pair of hosts on the same fabric bridge:
#   cbpfnet   h1 -> h2  cbpfnet overlay network (VxLAN in BPF), endpoints at MTU 1450
#   vxlan     h3 -> h4  kernel vxlan + bridge (Docker overlay / Flannel style), MTU 1450,
#                       nolearning with static fdb entries
#   routed    h5 -> h6  no encapsulation: host routes between the container subnets through the
#                       underlay, forwarding on, MTU 1500 (as a routed network runs it)
#   veth      h7 -> h8  host <-> host over the fabric on the uplinks, MTU 1500 (the limit)
#   md        h9 -> h10 the design alternative (docs/design.md): the same cbpfnet overlay, but
#                       the endpoint program sets a tunnel key and redirects to one vxlan device
#                       in external (collect_md) mode per host, which builds and strips the
#                       headers (bpf/tunnel_md.bpf.c, loaded by build/bench/tunnel_md_load)
# Targets: cbpfnet >= 1.05x vxlan and >= 0.95x routed. Prints a Markdown table; see
# docs/benchmarks.md.
#
#   RUNS=5 SECONDS_PER_RUN=5 STREAMS=1 bench/throughput_overlay.sh
source "$(dirname "$0")/../tests/lib.sh"
source "$(dirname "$0")/throughput_lib.sh"
lib_init

[ -x "$REPO/build/bench/tunnel_md_load" ] || die "build/bench/tunnel_md_load missing: run make bench"
for i in $(seq 10); do host_add "h$i" "$i"; done

# overlay_pair N M SUBNET A B: a cbpfnet overlay network SUBNET.0/24 (VNI 100) on hosts hN and
# hM, endpoint A (SUBNET.11) on hN and B (SUBNET.12) on hM, commands as in
# tests/integration/overlay.sh.
overlay_pair() {
	local n=$1 m=$2 subnet=$3 a=$4 b=$5 h k
	for h in "h$n" "h$m"; do
		cb "$h" load >/dev/null || die "$h: load"
		for k in "$n" "$m"; do
			cb "$h" node add "h$k" --underlay "198.18.0.$k" >/dev/null || die "$h: node h$k"
		done
		cb "$h" net create ov --model overlay --subnet "$subnet.0/24" --vni 100 >/dev/null ||
			die "$h: net create"
	done
	ns_add "$a"
	ns_add "$b"
	cb "h$n" ep add "$a" --net ov --netns "$P-$a" --ip "$subnet.11" >/dev/null || die "ep add $a"
	cb "h$m" ep add "$a" --net ov --remote "h$n" --ip "$subnet.11" >/dev/null || die "ep add $a (remote)"
	cb "h$m" ep add "$b" --net ov --netns "$P-$b" --ip "$subnet.12" >/dev/null || die "ep add $b"
	cb "h$n" ep add "$b" --net ov --remote "h$m" --ip "$subnet.12" >/dev/null || die "ep add $b (remote)"
}

# (a) cbpfnet overlay.
overlay_pair 1 2 10.90.0 ca cb

# (b) kernel vxlan + bridge: the vxlan device and the container veths on one bridge per host,
# every peer MAC pinned in the fdb (no learning, no flooding but broadcast for ARP).
kvx_host() { # HOST N PEER_N CONTAINER IP MAC
	local h=$1 n=$2 peer=$3 c=$4 ip=$5 mac=$6
	in_ns "$h" ip link add vx100 type vxlan id 100 dstport 4789 local "198.18.0.$n" dev ul0 nolearning
	in_ns "$h" ip link add br100 type bridge
	in_ns "$h" ip link set vx100 master br100 up
	in_ns "$h" ip link set br100 up
	ns_add "$c"
	in_ns "$h" ip link add "$c-h" mtu 1450 type veth peer name eth0 netns "$P-$c"
	in_ns "$h" ip link set "$c-h" master br100 up
	in_ns "$c" ip link set eth0 address "$mac" mtu 1450 up
	in_ns "$c" ip addr add "$ip/24" dev eth0
	in_ns "$h" bridge fdb append 00:00:00:00:00:00 dev vx100 dst "198.18.0.$peer"
}
kvx_host h3 3 4 ka 10.91.0.11 02:42:0a:5b:00:0b
kvx_host h4 4 3 kb 10.91.0.12 02:42:0a:5b:00:0c
in_ns h3 bridge fdb append 02:42:0a:5b:00:0c dev vx100 dst 198.18.0.4
in_ns h4 bridge fdb append 02:42:0a:5b:00:0b dev vx100 dst 198.18.0.3

# (c) routed, no encapsulation: container subnet 10.92.N.0/24 behind host N.
routed_host() { # HOST N PEER_N CONTAINER
	local h=$1 n=$2 peer=$3 c=$4
	in_ns "$h" sysctl -qw net.ipv4.ip_forward=1
	ns_add "$c"
	in_ns "$h" ip link add "$c-h" type veth peer name eth0 netns "$P-$c"
	in_ns "$h" ip addr add "10.92.$n.1/24" dev "$c-h"
	in_ns "$h" ip link set "$c-h" up
	in_ns "$c" ip addr add "10.92.$n.2/24" dev eth0
	in_ns "$c" ip link set eth0 up
	in_ns "$c" ip route add default via "10.92.$n.1"
	in_ns "$h" ip route add "10.92.$peer.0/24" via "198.18.0.$peer" dev ul0
}
routed_host h5 5 6 ra
routed_host h6 6 5 rb

# (d) collect_md: a cbpfnet overlay built by the same commands, then its tunnel step swapped
# for the vxlan device's: the endpoint's ingress program and the device's ingress program come
# from bpf/tunnel_md.bpf.c and share the host's pinned maps; the underlay program is removed so
# the device's UDP socket receives the tunnel traffic. build/bench/tunnel_md_load does the
# swap by TCX.
overlay_pair 9 10 10.93.0 ma mb
md_host() { # HOST ENDPOINT
	local h=$1 e=$2 ifname
	ifname=$(cb "$h" --json ep list | jq -r --arg n "$e" '.[] | select(.name == $n) | .host_ifname')
	in_ns "$h" ip link add vxmd type vxlan external dstport 4789 &&
		in_ns "$h" ip link set vxmd up &&
		in_ns "$h" "$REPO/build/bench/tunnel_md_load" "$WORK/$h/bpffs/cbpfnet" vxmd ul0 "$ifname"
}
md_host h9 ma || die "collect_md on h9"
md_host h10 mb || die "collect_md on h10"

ping_ok ca 10.90.0.12 >/dev/null || die "cbpfnet: ca cannot ping cb"
ping_ok ma 10.93.0.12 >/dev/null || die "collect_md: ma cannot ping mb"
ping_ok ka 10.91.0.12 >/dev/null || die "kernel vxlan: ka cannot ping kb"
ping_ok ra 10.92.6.2 >/dev/null || die "routed: ra cannot ping rb"
ping_ok h7 198.18.0.8 >/dev/null || die "veth: h7 cannot ping h8"

# path: label, source ns, destination ns, destination address, MTU source ns.
PATHS=(cbpfnet md vxlan routed veth)
declare -A SRC=([cbpfnet]=ca [md]=ma [vxlan]=ka [routed]=ra [veth]=h7)
declare -A DST=([cbpfnet]=cb [md]=mb [vxlan]=kb [routed]=rb [veth]=h8)
declare -A ADDR=([cbpfnet]=10.90.0.12 [md]=10.93.0.12 [vxlan]=10.91.0.12 [routed]=10.92.6.2 [veth]=198.18.0.8)
declare -A IFACE=([cbpfnet]=eth0 [md]=eth0 [vxlan]=eth0 [routed]=eth0 [veth]=ul0)
declare -A LABEL=(
	[cbpfnet]="cbpfnet overlay (VxLAN in BPF)"
	[md]="cbpfnet overlay, collect_md vxlan device (alternative)"
	[vxlan]="kernel vxlan + bridge"
	[routed]="routed, no encapsulation"
	[veth]="host <-> host veth over the fabric"
)
declare -A GBPS RTX
for i in $(seq "$RUNS"); do
	line="run $i:"
	for p in "${PATHS[@]}"; do
		read -r g r < <(iperf_gbps "${SRC[$p]}" "${DST[$p]}" "${ADDR[$p]}")
		GBPS[$p]+="$g "
		RTX[$p]+="$r "
		line+=$(printf ' %s %.2f' "$p" "$g")
	done
	echo "$line Gbit/s" >&2
done

declare -A MED
declare -A SPREAD
for p in "${PATHS[@]}"; do
	read -ra v <<<"${GBPS[$p]}"
	MED[$p]=$(median "${v[@]}")
	SPREAD[$p]=$(spread "${v[@]}")
done
bench_header
echo "| path (host A container -> host B container) | MTU | median Gbit/s | min-max | retransmits per run | / kernel vxlan | / routed | / host veth | / collect_md |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for p in "${PATHS[@]}"; do
	printf '| %s | %s | %.2f | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$p]}" \
		"$(in_ns "${SRC[$p]}" cat "/sys/class/net/${IFACE[$p]}/mtu")" "${MED[$p]}" \
		"${SPREAD[$p]}" "${RTX[$p]% }" "$(ratio "${MED[$p]}" "${MED[vxlan]}")" \
		"$(ratio "${MED[$p]}" "${MED[routed]}")" "$(ratio "${MED[$p]}" "${MED[veth]}")" \
		"$(ratio "${MED[$p]}" "${MED[md]}")"
done
echo
echo "Target cbpfnet >= 1.05x kernel vxlan + bridge: $(meets "${MED[cbpfnet]}" "${MED[vxlan]}" 1.05)"
echo "Target cbpfnet >= 0.95x routed: $(meets "${MED[cbpfnet]}" "${MED[routed]}" 0.95)"
echo "Design choice, headers in BPF vs collect_md device: $(ratio "${MED[cbpfnet]}" "${MED[md]}")x"
echo "cbpfnet drops during the run: h1 $(drops_total h1), h2 $(drops_total h2), h9 $(drops_total h9), h10 $(drops_total h10)"
