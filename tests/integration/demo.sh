#!/usr/bin/env bash
# The README's demo (scripts/demo.sh) runs green and teaches: it prints the commands a reader
# types (cbpfnet, ip netns, bpftool; never a harness function), a policy file, explain and
# monitor naming the rule that dropped, the endpoint map with dotted quads, and what to try next.
source "$(dirname "$0")/../lib.sh"
lib_init

out=$(timeout 300 bash "$REPO/scripts/demo.sh" 2>&1 | sed 's/\x1b\[[0-9;]*m//g')
rc=${PIPESTATUS[0]}
check_eq "scripts/demo.sh exits 0" "0" "$rc"
[ "$rc" -eq 0 ] || echo "$out" | tail -30 | sed 's/^/#   /'
typed=$(grep -E '^(\[h[0-9]\] )?\$ ' <<<"$out" | sed -E 's/^(\[h[0-9]\] )?\$ //')
check_eq "every printed command line starts with a real program" "" \
	"$(grep -vE '^(cbpfnet|ip netns (add|exec)|bpftool|cat) ' <<<"$typed")"
check_eq "no harness function is printed as a command" "" \
	"$(grep -E '(^| )(cb|in_ns|ns_add|host_add|agent_start|try_ping) ' <<<"$typed")"
check_contains "cbpfnet command lines as typed on a host" \
	"[h1] \$ cbpfnet net create web --subnet 10.10.0.0/24" "$out"
check_contains "the agent's start with the policy file" "[h1] \$ cbpfnet daemon --policy " "$out"
check_contains "the policy file is shown" '"id": "web-to-db-sql"' "$out"
check_contains "defaults: web1 reaches its own network" "web1 -> 10.10.0.3: reachable" "$out"
check_contains "the deny blocks web2 -> db1" "web2 -> 10.20.0.2: blocked" "$out"
check_contains "policy list shows the file rule as f1" \
	"f1    net:web  net:db  allow" "$out"
check_contains "explain names the rule" "web2 -> db1: deny (policy-deny)
  rule s2 at policy set rule 2: ep:web2 -> ep:db1 deny" "$out"
check "monitor caught the drop under the same rule" \
	grep -Eq '^[0-9-]{10}T[0-9:.]{12}Z drop +web2 -> db1 icmp reason=policy-deny rule=s2$' <<<"$out"
check_contains "the overlay carries the ping in VNI 4242" "4242	198.18.0.1,10.30.0.11	198.18.0.2,10.30.0.12" "$out"
check_contains "the macvlan network tags with VLAN 50" "50	10.50.0.11	10.50.0.13" "$out"
check "the endpoint map is printed with dotted quads" \
	grep -q '^10\.10\.0\.2  ifindex [0-9]*  identity 65537  net 1  node 0\.0\.0\.0' <<<"$out"
check_contains "a remote endpoint's node as a dotted quad" "10.30.0.12  ifindex 0  identity 65542  net 3  node 198.18.0.2" "$out"
check_contains "it ends with what to try next" "== what to try next" "$(tail -12 <<<"$out")"
demo_prefix=$(grep -oE '^\$ ip netns add [^ ]+-web1$' <<<"$out" | sed -E 's/^\$ ip netns add (.+)-web1$/\1/')
check "the demo's namespaces carry its prefix" test -n "$demo_prefix"
check_eq "the demo left none of its namespaces behind" "" \
	"$(ip netns list | awk '{print $1}' | grep "^$demo_prefix-" || true)"

lib_finish
