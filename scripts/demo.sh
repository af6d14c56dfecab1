#!/usr/bin/env bash
# Builds a small cluster in network namespaces and shows traffic and policy working.
# Everything it creates carries a per-run prefix and is removed on exit.
set -u
source "$(dirname "$0")/../tests/lib.sh"
lib_init

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() {
	printf '$ %s\n' "$*"
	"$@"
}
try_ping() {
	if in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; then
		echo "   $1 -> $2: reachable"
	else
		echo "   $1 -> $2: blocked"
	fi
}

say "host h1 (underlay 198.18.0.1) loads the datapath"
host_add h1 1
run cb h1 load
say "two networks, one with inter-container traffic off"
run cb h1 net create web --subnet 10.10.0.0/24
run cb h1 net create db --subnet 10.20.0.0/24 --icc off
for c in web1 web2 db1 db2; do ns_add $c; done
run cb h1 ep add web1 --net web --netns "$P-web1"
run cb h1 ep add web2 --net web --netns "$P-web2"
run cb h1 ep add db1 --net db --netns "$P-db1"
run cb h1 ep add db2 --net db --netns "$P-db2"
run cb h1 ep list

say "defaults: same network reachable, other networks and icc-off peers blocked"
try_ping web1 10.10.0.3
try_ping web1 10.20.0.2
try_ping db1 10.20.0.3

say "allow web -> db one way: web opens connections to db, replies pass, db cannot open to web"
run cb h1 policy set web db allow
try_ping web1 10.20.0.2
try_ping db1 10.10.0.2
say "then deny one pair"
run cb h1 policy set web2 db1 deny
try_ping web2 10.20.0.2
try_ping web1 10.20.0.2

say "a second host h2 (198.18.0.2) and a VxLAN overlay network across both"
host_add h2 2
run cb h2 load
for h in h1 h2; do
	run cb $h node add h1 --underlay 198.18.0.1
	run cb $h node add h2 --underlay 198.18.0.2
	run cb $h net create app --model overlay --subnet 10.30.0.0/24 --vni 4242
done
ns_add app1
ns_add app2
run cb h1 ep add app1 --net app --netns "$P-app1" --ip 10.30.0.11
run cb h2 ep add app2 --net app --netns "$P-app2" --ip 10.30.0.12
run cb h1 ep add app2 --net app --remote h2 --ip 10.30.0.12
run cb h2 ep add app1 --net app --remote h1 --ip 10.30.0.11
try_ping app1 10.30.0.12
echo "   a ping crossing the underlay, as tshark dissects it:"
pcap=$(capture fab h1-up "udp port 4789" 2 in_ns app1 ping -c 1 -W 1 10.30.0.12)
tshark -r "$pcap" -T fields -e vxlan.vni -e ip.src -e ip.dst -E header=y 2>/dev/null | sed 's/^/   /'

say "a macvlan network on VLAN 50 over both hosts' uplinks: the 802.1Q tag is pushed and popped in BPF"
run cb h1 net create lan --model macvlan --parent ul0 --mode bridge --subnet 10.50.0.0/24 --vlan 50
run cb h2 net create lan --model macvlan --parent ul0 --mode bridge --subnet 10.50.0.0/24 --vlan 50
for c in m1 m2 m3; do ns_add $c; done
run cb h1 ep add m1 --net lan --netns "$P-m1" --ip 10.50.0.11
run cb h1 ep add m2 --net lan --netns "$P-m2" --ip 10.50.0.12
run cb h2 ep add m3 --net lan --netns "$P-m3" --ip 10.50.0.13
try_ping m1 10.50.0.12
try_ping m1 10.50.0.13
echo "   a ping from m1 to m3 on the fabric, as tshark dissects it:"
pcap=$(capture fab h1-up "vlan and icmp" 2 in_ns m1 ping -c 1 -W 1 10.50.0.13)
tshark -r "$pcap" -T fields -e vlan.id -e ip.src -e ip.dst -E header=y 2>/dev/null | sed 's/^/   /'
echo "   the programs on m1's interface:"
run in_ns m1 "$CBPFNET" attach --show eth0
run cb h1 policy set m1 m2 deny
try_ping m1 10.50.0.12
try_ping m1 10.50.0.13

say "the classifier picks a model for a new network from weighted requirements"
run cb h1 net create secure --model auto --subnet 10.40.0.0/24 \
	--require security=9,scale=3,efficiency=2,extensibility=8
run cb h1 model predict --security 2 --scale 9 --efficiency 9 --extensibility 1

say "status: maps, drop counters by reason, attachments"
run cb h1 status
say "bpftool sees the maps with field names"
run bpftool map dump pinned "$(pin h1 cbpf_endpoints)" | head -20
