#!/usr/bin/env bash
# Builds a small cluster in network namespaces and shows traffic and policy working. Every
# command it runs is printed as you would type it on that host ("[h1] $ cbpfnet ..."; the
# namespaces carry this run's prefix). Everything it creates is removed on exit. Exits non-zero
# when a command that should succeed fails (tests/integration/demo.sh runs it).
set -u
source "$(dirname "$0")/../tests/lib.sh"
lib_init
DEMO_FAILED=0

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# on HOST CBPFNET-ARGS...: the cbpfnet command line as typed on HOST, then run there.
on() {
	local host=$1
	shift
	printf '[%s] $ cbpfnet %s\n' "$host" "$*"
	cb "$host" "$@" || {
		echo "   (failed)"
		DEMO_FAILED=1
	}
}
# show CMD...: a command as typed, then run.
show() {
	printf '$ %s\n' "$*"
	"$@"
}
try_ping() {
	printf '$ ip netns exec %s ping -c 1 -W 1 %s\n' "$P-$1" "$2"
	if in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; then
		echo "   $1 -> $2: reachable"
	else
		echo "   $1 -> $2: blocked"
	fi
}

say "a policy file: rules may name networks and endpoints before they exist"
cat >"$WORK/demo-policy.json" <<'JSON'
{
  "description": "db accepts only TCP 5432 from web; db2 is cut off from everything",
  "rules": [
    { "id": "web-to-db-sql", "from": "net:web", "to": "net:db", "action": "allow",
      "protocol": "tcp", "ports": ["5432"] },
    { "id": "db2-isolated", "from": "ep:db2", "to": "world", "action": "deny",
      "direction": "two-way", "priority": 10 }
  ]
}
JSON
show cat "$WORK/demo-policy.json"

say "host h1 (underlay 198.18.0.1): the agent loads the datapath and applies the file"
host_add h1 1
agent_stop h1 >/dev/null 2>&1
printf '[h1] $ cbpfnet daemon --policy %s &\n' "$WORK/demo-policy.json"
agent_start h1 --policy "$WORK/demo-policy.json" || DEMO_FAILED=1

say "two networks, one with inter-container traffic off (Docker's --icc=false)"
on h1 net create web --subnet 10.10.0.0/24
on h1 net create db --subnet 10.20.0.0/24 --icc off
for c in web1 web2 db1 db2; do
	printf '$ ip netns add %s\n' "$P-$c"
	ns_add $c
done
on h1 ep add web1 --net web --netns "$P-web1"
on h1 ep add web2 --net web --netns "$P-web2"
on h1 ep add db1 --net db --netns "$P-db1"
on h1 ep add db2 --net db --netns "$P-db2"
on h1 ep list

say "defaults: same network reachable, other networks and icc-off peers blocked"
try_ping web1 10.10.0.3
try_ping web1 10.20.0.2
try_ping db1 10.20.0.3

say "allow web -> db one way: web opens connections to db, replies pass, db cannot open to web"
on h1 policy set web db allow
try_ping web1 10.20.0.2
try_ping db1 10.10.0.2
say "then deny one pair: a denied sender sees loss, as behind a firewall's DROP"
on h1 policy set web2 db1 deny
try_ping web2 10.20.0.2
try_ping web1 10.20.0.2
say "every live rule, from the file (fN) and from policy set (sN), one numbering everywhere"
on h1 policy list
say "why was web2 -> db1 dropped? explain names the rule; monitor caught the drop"
on h1 policy explain web2 db1
printf '[h1] $ cbpfnet monitor --since 1m | grep policy-deny\n'
cb h1 monitor --since 1m | grep policy-deny | tail -2
on h1 policy stats

say "a second host h2 (198.18.0.2, its agent started as on h1) and a VxLAN overlay across both"
host_add h2 2
for h in h1 h2; do
	on $h node add h1 --underlay 198.18.0.1
	on $h node add h2 --underlay 198.18.0.2
	on $h net create app --model overlay --subnet 10.30.0.0/24 --vni 4242
done
ns_add app1
ns_add app2
on h1 ep add app1 --net app --netns "$P-app1" --ip 10.30.0.11
on h2 ep add app2 --net app --netns "$P-app2" --ip 10.30.0.12
on h1 ep add app2 --net app --remote h2 --ip 10.30.0.12
on h2 ep add app1 --net app --remote h1 --ip 10.30.0.11
try_ping app1 10.30.0.12
echo "   a ping crossing the underlay, as tshark dissects it:"
pcap=$(capture fab h1-up "udp port 4789" 2 in_ns app1 ping -c 1 -W 1 10.30.0.12)
tshark -r "$pcap" -T fields -e vxlan.vni -e ip.src -e ip.dst -E header=y 2>/dev/null | sed 's/^/   /'

say "a macvlan network on VLAN 50 over both hosts' uplinks: the 802.1Q tag is pushed and popped in BPF"
on h1 net create lan --model macvlan --parent ul0 --mode bridge --subnet 10.50.0.0/24 --vlan 50
on h2 net create lan --model macvlan --parent ul0 --mode bridge --subnet 10.50.0.0/24 --vlan 50
for c in m1 m2 m3; do ns_add $c; done
on h1 ep add m1 --net lan --netns "$P-m1" --ip 10.50.0.11
on h1 ep add m2 --net lan --netns "$P-m2" --ip 10.50.0.12
on h2 ep add m3 --net lan --netns "$P-m3" --ip 10.50.0.13
try_ping m1 10.50.0.12
try_ping m1 10.50.0.13
echo "   a ping from m1 to m3 on the fabric, as tshark dissects it:"
pcap=$(capture fab h1-up "vlan and icmp" 2 in_ns m1 ping -c 1 -W 1 10.50.0.13)
tshark -r "$pcap" -T fields -e vlan.id -e ip.src -e ip.dst -E header=y 2>/dev/null | sed 's/^/   /'
echo "   the programs on m1's interface:"
printf '$ ip netns exec %s cbpfnet attach --show eth0\n' "$P-m1"
in_ns m1 "$CBPFNET" attach --show eth0
on h1 policy set m1 m2 deny
try_ping m1 10.50.0.12
try_ping m1 10.50.0.13

say "the classifier picks a model for a new network from weighted requirements"
on h1 net create secure --model auto --subnet 10.40.0.0/24 \
	--require security=9,scale=3,efficiency=2,extensibility=8
on h1 model predict --security 2 --scale 9 --efficiency 9 --extensibility 1

say "status: maps, drop counters by reason, attachments"
on h1 status
say "the endpoint map as the kernel holds it, addresses as dotted quads"
printf '[h1] $ bpftool -j map dump pinned %s | jq -r -f scripts/endpoints.jq\n' "$(pin h1 cbpf_endpoints)"
bpftool -j map dump pinned "$(pin h1 cbpf_endpoints)" | jq -r -f "$REPO/scripts/endpoints.jq"

say "what to try next"
cat <<'TEXT'
   - Your own machine, no harness: README "Your first network on your own machine".
   - Write rules with ports and priorities (docs/policy.md), check them with
     `cbpfnet policy check FILE`, and `cbpfnet policy reload` them into a running agent.
   - Watch drops live: `cbpfnet monitor` on a terminal, or `cbpfnet monitor --since 10m`.
   - Run containers: the CNI plugin with podman (README "CNI plugin").
   - A cluster on etcd: `cbpfnet daemon --etcd URL` (docs/cluster.md), and the web UI with
     `cbpfnet daemon --listen 127.0.0.1:8080`.
TEXT
[ "$DEMO_FAILED" -eq 0 ] || echo "some demo commands failed (above)"
exit "$DEMO_FAILED"
