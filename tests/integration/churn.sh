#!/usr/bin/env bash
# `ep apply`: endpoints added and deleted in batches by one process, namespaces created and
# removed with them; real traffic and map contents in between, and bad entries in a batch that
# fail alone, leaving nothing of themselves behind.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
# nsenter keeps the caller's mount namespace (ip netns exec makes a private one), so namespaces
# that cbpfnet mounts under /run/netns are seen here.
cbn() {
	nsenter --net="/run/netns/$P-h1" "$CBPFNET" --bpffs "$WORK/h1/bpffs" \
		--state "$WORK/h1/state" "$@"
}
check "load" cbn load
check "macvlan network" cbn net create mvb --model macvlan --parent ul0 --subnet 10.40.0.0/24

ep_names() { cbn --json ep list | jq -r '[.[].name] | sort | join(" ")'; }
map_count() { map_dump h1 "$1" | jq length; }
listed_ids() { cbn --json ep list | jq -c '[.[].identity] | sort'; }
map_ids() { map_dump h1 cbpf_endpoints | jq -c '[.[].formatted.value.identity] | sort'; }
our_netns() { ip netns list | awk '{print $1}' | grep -c "^$P-c"; }

# 20 adds as one JSON array, each creating its namespace.
{
	echo "["
	for i in $(seq 0 19); do
		sep=,
		[ "$i" -eq 19 ] && sep=
		echo "{\"op\": \"add\", \"name\": \"c$i\", \"net\": \"mvb\", \"netns\": \"$P-c$i\", \"ip\": \"10.40.0.$((10 + i))\", \"create_netns\": true}$sep"
	done
	echo "]"
} >"$WORK/add.json"
check "ep apply: 20 adds with created namespaces" cbn --json ep apply "$WORK/add.json"
report=$(cat "$WORK/last.out")
check_eq "every add reported ok with its time" "20 0 20" \
	"$(echo "$report" | jq -r '"\([.ops[] | select(.ok)] | length) \(.failed) \([.ops[] | select(.ms > 0)] | length)"')"
check_eq "20 namespaces made" 20 "$(our_netns)"
check_eq "state lists the 20 endpoints" 20 "$(cbn --json ep list | jq length)"
check_eq "endpoint map holds 20 entries" 20 "$(map_count cbpf_endpoints)"
check_eq "link map holds 20 entries" 20 "$(map_count cbpf_macvlan_links)"
check_eq "endpoint map entries carry the listed endpoints' identities" "$(listed_ids)" "$(map_ids)"
check_eq "c3's eth0: macvlan with its address" "macvlan 10.40.0.13/24" \
	"$(in_ns c3 ip -j -d addr show eth0 | jq -r '.[0] | "\(.linkinfo.info_kind) \(.addr_info[0].local)/\(.addr_info[0].prefixlen)"')"
check_eq "c3's eth0 carries the macvlan programs at TCX ingress and egress" \
	"tcx_ingress tc_macvlan_ingr,tcx_egress tc_macvlan_egre" "$(hooks c3 eth0)"
check "c0 pings c19" ping_ok c0 10.40.0.29
check "TCP c5 -> c6" tcp_ok c5 c6 10.40.0.16 7201

# Bad entries in the middle of a batch fail alone; the others around them are made.
cat >"$WORK/mixed.json" <<JSON
{"op": "add", "name": "c20", "net": "mvb", "netns": "$P-c20", "ip": "10.40.0.40", "create_netns": true}
{"op": "add", "name": "c21", "net": "nonet", "netns": "$P-c21", "create_netns": true}
{"op": "add", "name": "c22", "net": "mvb", "netns": "$P-c22", "ip": "10.40.0.10", "create_netns": true}
{"op": "add", "name": "c23", "net": "mvb", "netns": "$P-c23", "ip": "10.40.0.43", "ifname": "lo", "create_netns": true}
{"op": "add", "name": "c24", "net": "mvb", "netns": "$P-c24", "ip": "10.40.0.44", "create_netns": true}
JSON
err=$(cbn --json ep apply "$WORK/mixed.json" 2>&1 >"$WORK/mixed.out")
rc=$?
check_eq "mixed batch exits 1 with 3 failures" "1 3" "$rc $(jq .failed "$WORK/mixed.out")"
check_contains "unknown network named" "ep add c21: no such network 'nonet'" "$err"
check_contains "taken address named with its owner" "ep add c22: address 10.40.0.10 is taken by endpoint c0" "$err"
check_contains "failed plumbing named" "ep add c23: create macvlan lo on ul0 in netns $P-c23" "$err"
check_eq "one error line per failed entry" 3 "$(echo "$err" | wc -l)"
check_eq "the good entries around them were made" "c20 c24" \
	"$(cbn --json ep list | jq -r '[.[].name | select(test("^c2[0-4]$"))] | sort | join(" ")')"
check_eq "no namespace left of the failed entries" "" \
	"$(ip netns list | awk '{print $1}' | grep -E "^$P-c2[123]$")"
check_eq "endpoint map: 22 entries" 22 "$(map_count cbpf_endpoints)"
check_eq "... exactly the listed endpoints', none for the failures" "$(listed_ids)" "$(map_ids)"

check "an add without an address" cbn ep apply - <<<'{"op": "add", "name": "auto", "net": "mvb", "netns": "'"$P-cauto"'", "create_netns": true}'
check_eq "... gets the first free one" 10.40.0.2 \
	"$(cbn --json ep list | jq -r '.[] | select(.name == "auto") | .ip')"

# A malformed batch runs nothing.
before="$(ep_names) $(our_netns) $(map_count cbpf_endpoints)"
printf '%s\n' '{"op": "add", "name": "c30", "net": "mvb", "netns": "'"$P-c30"'", "create_netns": true}' \
	'{"op": "del", "name": "c0", "netns_delete": true}' >"$WORK/bad.json"
err=$(cbn ep apply "$WORK/bad.json" 2>&1 >/dev/null)
rc=$?
check_eq "unknown field: exit 1, entry and field named" \
	'1 cbpfnet: ep apply: entry 2 (del c0): unknown field "netns_delete"' "$rc $err"
check_eq "malformed batch changed nothing" "$before" \
	"$(ep_names) $(our_netns) $(map_count cbpf_endpoints)"
err=$(echo '{"op": "add", "name": ' | cbn ep apply - 2>&1 >/dev/null)
check_contains "truncated JSON refused" "JSON syntax" "$err"

# Everything deleted in one batch, namespaces with it.
cbn --json ep list | jq -c '.[] | {op: "del", name: .name, delete_netns: true}' >"$WORK/del.json"
check "ep apply: 23 deletes removing the namespaces" cbn ep apply "$WORK/del.json"
check_eq "no endpoint left in the state" "" "$(ep_names)"
check_eq "no namespace left" 0 "$(our_netns)"
check_eq "endpoint and link maps empty" "0 0" \
	"$(map_count cbpf_endpoints) $(map_count cbpf_macvlan_links)"
check_fail "deleting again fails" cbn ep apply "$WORK/del.json"
check_contains "... naming the endpoint" "ep del c0: no such endpoint" "$(cat "$WORK/last.out")"

lib_finish
