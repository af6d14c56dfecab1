#!/usr/bin/env bash
# Policy truth table on one host (host-local model): every strategy file under policy/, asserted
# with real ping, TCP and UDP in both directions, replies on one-way rules, the host and an
# "outside" namespace on the fabric reached through the host (SNAT).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../policy_lib.sh"
lib_init

host_add h1 1
outside_add out 100 198.18.0.1
for ns in a1 a2 b1 c1 c2 d1; do ns_add $ns; done
H=198.18.0.1   # h1's own address: "host"
O=198.18.0.100 # outside

cb h1 load >/dev/null
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 net create netb --subnet 10.2.0.0/24 >/dev/null
cb h1 net create netc --subnet 10.3.0.0/24 >/dev/null
cb h1 net create netd --subnet 10.4.0.0/24 >/dev/null
for e in a1:neta a2:neta b1:netb c1:netc c2:netc d1:netd; do
	cb h1 ep add "${e%%:*}" --net "${e##*:}" --netns "$P-${e%%:*}" >/dev/null
done
host_forwarding h1
A1=10.1.0.2 A2=10.1.0.3 B1=10.2.0.2 C1=10.3.0.2 C2=10.3.0.3 D1=10.4.0.2

# Before any file policy: Docker defaults, and the host and outside paths work at all.
check "no policy: c1 pings c2" ping_ok c1 $C2
check "no policy: b1 pings the host" ping_ok b1 $H
check "no policy: the host pings b1" ping_ok h1 $B1
check "no policy: a1 reaches outside (SNAT)" tcp_ok a1 out $O 7100
check "no policy: outside opens TCP to a1" tcp_ok out a1 $A1 7101

check "policy check accepts every strategy file" cb h1 policy check "$REPO/policy"
check "S1: a flow c1 -> c2 in progress stops when the daemon starts with policy/" \
	stream_cut c1 $C2 daemon_start h1 "$REPO/policy"
check_contains "daemon logs the applied policy" "policy applied: $REPO/policy: 12 rules" \
	"$(cat "$WORK/h1.agent.log")"

# 1. same-network block
check "S1: c1 -/-> c2 ping" ping_fails c1 $C2
check "S1: c2 -/-> c1 ping" ping_fails c2 $C1
check "S1: c1 -/-> c2 TCP" tcp_fails c1 c2 $C2 7110
check "S1: c2 -/-> c1 UDP" udp_echo_fails c2 c1 $C1 7111
check "S1: a1 -> neta peers still fine (a1 is not netc)" ping_ok a1 $A1

# 2. one-way between networks: neta cannot open to netb; netb opens to neta, replies pass
check "S2: a1 -/-> b1 ping" ping_fails a1 $B1
check "S2: a1 -/-> b1 TCP" tcp_fails a1 b1 $B1 7120
check "S2: a1 -/-> b1 UDP" udp_echo_fails a1 b1 $B1 7121
check "S2: the denied sender a1 sees loss, not an error" denied_quietly h1 policy-deny a1 $B1
check "S2: b1 -> a1 ping (echo reply passes back)" ping_ok b1 $A1
check "S2: b1 -> a1 TCP (a1's segments are replies)" tcp_ok b1 a1 $A1 7122
check "S2: b1 -> a1 UDP request and answer" udp_echo_ok b1 a1 $A1 7123

# 3. two-way between networks; the allowed pair proves the route exists
check "S3: b1 -/-> d1 ping" ping_fails b1 $D1
check "S3: d1 -/-> b1 ping" ping_fails d1 $B1
check "S3: d1 -/-> b1 TCP" tcp_fails d1 b1 $B1 7130
check "S3: a1 -> d1 TCP (allowed two-way)" tcp_ok a1 d1 $D1 7131
check "S3: d1 -> a1 UDP (allowed two-way)" udp_echo_ok d1 a1 $A1 7132

# 4. full block of an endpoint
check "S4: a1 -/-> a2 ping" ping_fails a1 $A2
check "S4: a2 -/-> a1 TCP" tcp_fails a2 a1 $A1 7140
check "S4: a2 -/-> host ping" ping_fails a2 $H
check "S4: host -/-> a2 TCP" tcp_fails h1 a2 $A2 7141
check "S4: a2 -/-> outside TCP" tcp_fails a2 out $O 7142
check "S4: outside -/-> a2 ping" ping_fails out $A2
check "S4: the host as a denied sender sees loss, not an error (tc_to_ep drops at egress)" \
	denied_quietly h1 policy-deny h1 $A2

# 5. container <-> host: netb one-way, netc both ways
check "S5: b1 -/-> host ping" ping_fails b1 $H
check "S5: b1 -/-> host TCP" tcp_fails b1 h1 $H 7150
check "S5: host -> b1 ping (b1's echo replies pass)" ping_ok h1 $B1
check "S5: host -> b1 TCP" tcp_ok h1 b1 $B1 7151
check "S5: host -> b1 UDP request and answer" udp_echo_ok h1 b1 $B1 7152
check "S5: c1 -/-> host ping" ping_fails c1 $H
check "S5: host -/-> c1 ping" ping_fails h1 $C1
check "S5: host -/-> c1 TCP" tcp_fails h1 c1 $C1 7153
check "S5: d1 -> host TCP (no rule)" tcp_ok d1 h1 $H 7154

# 7. container -> external one-way, through the host's SNAT
check "S7: a1 -> outside ping" ping_ok a1 $O
check "S7: a1 -> outside TCP" tcp_ok a1 out $O 7170
check "S7: a1 -> outside UDP request and answer" udp_echo_ok a1 out $O 7171
check "S7: outside -/-> a1 ping" ping_fails out $A1
check "S7: outside -/-> a1 TCP" tcp_fails out a1 $A1 7172
check "S7: outside -/-> a1 UDP" udp_echo_fails out a1 $A1 7173
check "S7: outside -> d1 TCP (no inbound rule on netd)" tcp_ok out d1 $D1 7174

# Port ranges: netd is closed to 192.0.2.0/24 on web ports only (checked with explain: the
# documentation range is never routed).
check_contains "explain: d1 to 192.0.2.10 tcp/8080 is denied by netd-no-web-out" \
	"rule f12 netd-no-web-out" "$(cb h1 policy explain d1 192.0.2.10 tcp/8080)"
check_contains "explain: tcp/8100 falls outside the range" "allow" \
	"$(cb h1 policy explain d1 192.0.2.10 tcp/8100 | head -1)"
check_contains "explain: udp/80 is not covered" "allow" \
	"$(cb h1 policy explain d1 192.0.2.10 udp/80 | head -1)"

# explain, stats, monitor
out=$(cb h1 policy explain a1 b1 tcp/80)
check_contains "explain names the deciding rule and its file:line" \
	"neta-never-opens-to-netb at $REPO/policy/2-one-way-networks.json:11" "$out"
check_eq "explain --json: b1 -> a1 allowed by rule netb-opens-to-neta" "allow netb-opens-to-neta" \
	"$(cb h1 --json policy explain b1 a1 | jq -r '"\(.verdict) \(.rule)"')"
check_contains "explain: default isolation when no rule applies" "network-isolation" \
	"$(cb h1 policy explain b1 c1)"
# explain runs the pinned tc_explain (bpf/explain.bpf.c), the datapath's decision code without
# its side effects: asking counts no rule hit or drop and tracks no flow, even for an allowed one.
side_effects() {
	echo "$(cb h1 --json policy stats | jq '[.[].packets] | add') $(drops h1 policy-deny)" \
		"$(drops h1 network-isolation) $(map_dump h1 cbpf_ct | jq length)"
}
before=$(side_effects)
check "the rule hits, drop counters and conntrack entries read as numbers" \
	grep -qE '^[0-9]+ [0-9]+ [0-9]+ [0-9]+$' <<<"$before"
for i in 1 2 3; do
	for pair in "a1 b1" "b1 c1" "b1 a1 tcp/80" "b1 a1 udp/53" "b1 a1 icmp"; do
		cb h1 policy explain $pair >/dev/null
	done
done
check_eq "explain counts nothing and tracks no flow (rule hits, drops, conntrack entries)" \
	"$before" "$(side_effects)"
# Its verdict is whatever the pinned program answers: without tc_explain explain says to load,
# with a no-op in its place nothing is judged and explain says so instead of naming the rule,
# and a load of this build over pins without tc_explain pins it again.
explain_pin=$(pin h1 prog_tc_explain)
rm "$explain_pin"
check_contains "explain over pins without tc_explain says what to do" "run 'cbpfnet load' first" \
	"$(cb h1 policy explain a1 b1 2>&1)"
bpftool prog load "$REPO/build/noop.bpf.o" "$explain_pin"
check_contains "explain's answer comes from the pinned BPF program (a no-op there judges nothing)" \
	"neither a1 nor b1 is a local endpoint" "$(cb h1 policy explain a1 b1 2>&1)"
rm "$explain_pin"
check "load of the same build over pins without tc_explain" cb h1 load
check_contains "after that load, explain names the rule again" "neta-never-opens-to-netb" \
	"$(cb h1 policy explain a1 b1 2>&1)"
out=$(cb h1 policy reload)
check_contains "policy reload of a directory counts its files and rules" \
	"reloaded 6 files, 12 rules from $REPO/policy in " "$out"
hits=$(cb h1 --json policy stats | jq '.[] | select(.name == "neta-never-opens-to-netb") | .packets')
check_gt "policy stats counts hits on neta-never-opens-to-netb" "${hits:-0}" 0
# monitor_ping OUT SRC DST [--json] monitor [OPTIONS]: monitor's output over one ping SRC -> DST.
monitor_ping() {
	local out=$1 src=$2 dst=$3 mon
	shift 3
	cb h1 "$@" >"$out" &
	mon=$!
	PIDS+=("$mon")
	sleep 0.5
	in_ns "$src" ping -c 1 -W 1 "$dst" >/dev/null
	wait $mon
}
monitor_ping "$WORK/monitor.out" a1 $B1 --json monitor --count 200 --timeout 3
check_contains "monitor --json streams the drop with names, reason and rule" \
	'"kind":"drop","src":"a1","dst":"b1","proto":"icmp"' "$(cat "$WORK/monitor.out")"
# One rule numbering: a rule is fN (files) or sN (policy set) in list, explain, stats, monitor.
ref=$(cb h1 --json policy list | jq -r '.[] | select(.name == "neta-never-opens-to-netb") | .ref')
check_eq "policy list numbers file rules fN" "f" "$(echo "$ref" | tr -d 0-9)"
check_contains "policy list shows the file rule in a table row" "$ref " \
	"$(cb h1 policy list | grep neta-never-opens-to-netb)"
check_eq "monitor --json names the rule policy list shows" "$ref" \
	"$(grep '"src":"a1","dst":"b1"' "$WORK/monitor.out" | head -1 | jq -r .ref)"
check_contains "explain names the same rule" "rule $ref neta-never-opens-to-netb" \
	"$(cb h1 policy explain a1 b1)"
check_eq "explain --json names the same rule" "$ref" "$(cb h1 --json policy explain a1 b1 | jq -r .ref)"
check_eq "stats --json counts under the same rule" "$ref" \
	"$(cb h1 --json policy stats | jq -r '.[] | select(.name == "neta-never-opens-to-netb") | .ref')"
check_eq "stats text starts its row with the same rule" "$ref" \
	"$(cb h1 policy stats | awk '/neta-never-opens-to-netb/ {print $1}')"
cb h1 policy stats >"$WORK/stats.txt"
check_eq "stats text has a header row" "RULE NAME ORIGIN FROM TO VERDICT PACKETS BYTES" \
	"$(head -1 "$WORK/stats.txt" | xargs)"
check_eq "stats text: every row's verdict starts under VERDICT, whatever the names' lengths" "" \
	"$(awk 'NR == 1 {col = index($0, "VERDICT")} NR > 1 && substr($0, col, 5) != "allow" &&
		substr($0, col, 4) != "deny" {print}' "$WORK/stats.txt")"
check_eq "policy list --json: a rule's ports, priority and direction" "f12 tcp/80,443,8000-8099 1000 one-way deny" \
	"$(cb h1 --json policy list | jq -r '.[] | select(.name == "netd-no-web-out") | "\(.ref) \(.match) \(.priority) \(.direction) \(.verdict)"')"
check_eq "policy list: a header row, then aligned columns" "RULE FROM TO ACTION DIR PRIORITY MATCH NAME ORIGIN" \
	"$(cb h1 policy list | head -1 | tr -s ' ')"
check_eq "policy list holds every file rule" "12" \
	"$(cb h1 --json policy list | jq '[.[] | select(.ref | startswith("f"))] | length')"

# A policy set rule shares the numbering: sN in list, monitor (text), explain and stats.
set_ref=$(cb h1 policy set b1 c1 deny | awk '{print $2}')
set_ref=${set_ref%:}
check_eq "policy set numbers its rule sN" "s" "$(echo "$set_ref" | tr -d 0-9)"
check_eq "policy list shows the set rule beside the file rules" "$set_ref ep:b1 ep:c1 deny" \
	"$(cb h1 policy list | awk '$2 == "ep:b1" && $3 == "ep:c1" {print $1, $2, $3, $4}')"
monitor_ping "$WORK/monitor.txt" b1 $C1 monitor --count 1 --timeout 5
check_contains "monitor (text) names the set rule as policy list does" \
	"reason=policy-deny rule=$set_ref" "$(grep 'b1 -> c1 icmp' "$WORK/monitor.txt")"
check_contains "explain names the set rule" "rule $set_ref at policy set" \
	"$(cb h1 policy explain b1 c1)"
check_gt "stats counts the set rule's drop" \
	"$(cb h1 --json policy stats | jq --arg r "$set_ref" '.[] | select(.ref == $r) | .packets')" 0
check "policy del b1 c1 (the deny)" cb h1 policy del b1 c1

# policy set still composes with the file policy.
check "policy set b1 c1 allow" cb h1 policy set b1 c1 allow
check "b1 -> c1 TCP after policy set" tcp_ok b1 c1 $C1 7180
check "file policy survives policy set: a1 -/-> b1" ping_fails a1 $B1
check "policy del b1 c1" cb h1 policy del b1 c1
check "b1 -/-> c1 after policy del" ping_fails b1 $C1

# SIGTERM leaves the datapath forwarding with the last policy.
daemon_stop h1
check_eq "daemon exits 0 on SIGTERM" "0" "$?"
check_fail "the stopped agent left no socket" test -e "$WORK/h1/state/cbpfnet.sock"
check_fail "the stopped agent left its pid in no lock file" test -s "$WORK/h1/state/agent.lock"
check "after SIGTERM: b1 -> a1 still forwarded" tcp_ok b1 a1 $A1 7190
check "after SIGTERM: a1 -/-> b1 still denied" ping_fails a1 $B1

# The pins of a build without tc_explain (another build id recorded, no program pinned): the
# agent of this build pins it at its start, and explain answers.
rm "$explain_pin"
meta=$(pin h1 cbpf_meta)
value=$(bpftool -j map lookup pinned "$meta" key 0 0 0 0 | jq -r '.value | .[8:] | join(" ")')
bpftool map update pinned "$meta" key 0 0 0 0 value 1 2 3 4 5 6 7 8 $value
check "the agent starts over the pins of a build without tc_explain" daemon_start h1 "$REPO/policy"
check_contains "the upgraded agent answers explain" "neta-never-opens-to-netb" \
	"$(cb h1 policy explain a1 b1 2>&1)"
daemon_stop h1 >/dev/null

lib_finish
