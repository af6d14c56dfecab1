#!/usr/bin/env bash
# Policy reload: SIGHUP swaps under continuous traffic with zero wrongly passed or dropped
# packets, bad files are rejected with file:line and leave every policy map byte-identical.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../policy_lib.sh"
lib_init

host_add h1 1
for ns in a1 b1; do ns_add $ns; done
cb h1 load >/dev/null
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 net create netb --subnet 10.2.0.0/24 >/dev/null
cb h1 ep add a1 --net neta --netns "$P-a1" >/dev/null
cb h1 ep add b1 --net netb --netns "$P-b1" >/dev/null
A1=10.1.0.2 B1=10.2.0.2
POL=$WORK/policy.json

# Two policies with the same meaning for b1 <-> a1 (b1 opens to a1, a1 never opens to b1) but
# decided by different rules: in v2 a net-level deny at priority 500 is overridden by an
# endpoint-level allow at 100. Half of v2 would drop b1's packets; half of v1 would pass a1's.
cat >"$WORK/v1.json" <<'JSON'
{"rules": [
  {"id": "b-to-a", "from": "net:netb", "to": "net:neta", "action": "allow"},
  {"id": "a-not-b", "from": "net:neta", "to": "net:netb", "action": "deny"}
]}
JSON
{
	echo '{"rules": ['
	echo '  {"id": "b-not-a", "from": "net:netb", "to": "net:neta", "action": "deny", "priority": 500},'
	echo '  {"id": "b1-to-a1", "from": "ep:b1", "to": "ep:a1", "action": "allow", "priority": 100},'
	echo '  {"id": "a1-not-b1", "from": "ep:a1", "to": "ep:b1", "action": "deny", "priority": 100},'
	echo '  {"id": "a-not-b", "from": "net:neta", "to": "net:netb", "action": "allow", "priority": 600},'
	for i in $(seq 1 3000); do
		printf '  {"from": "cidr:172.%d.%d.0/24", "to": "net:neta", "action": "deny"},\n' $((16 + i / 256)) $((i % 256))
	done
	echo '  {"from": "world", "to": "net:netb", "action": "allow", "protocol": "tcp", "ports": "1-1024"}'
	echo ']}'
} >"$WORK/v2.json"
cp "$WORK/v1.json" "$POL"
check "daemon starts (under umask 000)" eval 'umask 000; daemon_start h1 "$POL"'
check_eq "the accepted policy and the store are 0600 whatever the umask" "600 600 600" \
	"$(stat -c %a "$WORK/h1/state/policy.json" "$WORK/h1/state/cbpfnet.db" "$WORK/h1/state/agent.lock" | paste -sd' ')"
check "v1: b1 -> a1" ping_ok b1 $A1
check "v1: a1 -/-> b1" ping_fails a1 $B1
cp "$WORK/v2.json" "$POL.tmp" && mv "$POL.tmp" "$POL"
out=$(cb h1 policy reload)
check_eq "policy reload to v2 prints files, rules, path and time" \
	"reloaded 1 file, 3005 rules from $POL in MS ms" "$(sed -E 's/in [0-9]+\.[0-9] ms$/in MS ms/' <<<"$out")"
check_eq "the accepted policy is v2's file, the previous one v1's, both 0600" "3005 $POL 2 $POL 600 600" \
	"$(jq -r '([.files[].policy.rules[]] | length), .files[0].file' "$WORK/h1/state/policy.json" "$WORK/h1/state/policy.json.prev" | paste -sd' ') $(stat -c %a "$WORK/h1/state/policy.json" "$WORK/h1/state/policy.json.prev" | paste -sd' ')"
check_contains "explain: v2 decides b1 -> a1 by the endpoint rule" "b1-to-a1" \
	"$(cb h1 policy explain b1 a1)"
check "v2: b1 -> a1" ping_ok b1 $A1
check "v2: a1 -/-> b1" ping_fails a1 $B1

# Continuous traffic both ways while the policy flips 20 times.
in_ns b1 ping -q -i 0.005 -c 1500 -W 1 $A1 >"$WORK/good.out" 2>&1 &
good=$!
in_ns a1 ping -q -i 0.005 -c 1500 -W 1 $B1 >"$WORK/bad.out" 2>&1 &
bad=$!
PIDS+=("$good" "$bad")
reloads=0
for i in $(seq 1 20); do
	if [ $((i % 2)) -eq 1 ]; then cp "$WORK/v1.json" "$POL.tmp"; else cp "$WORK/v2.json" "$POL.tmp"; fi
	mv "$POL.tmp" "$POL"
	cb h1 policy reload >/dev/null && reloads=$((reloads + 1))
done
wait "$good" "$bad"
check_eq "20 reloads under traffic succeeded" 20 "$reloads"
sent=$(grep -o '^[0-9]* packets transmitted' "$WORK/good.out" | cut -d' ' -f1)
got=$(grep -o '[0-9]* received' "$WORK/good.out" | cut -d' ' -f1)
check_eq "allowed flow b1 -> a1: all $sent echo requests answered (0 wrongly dropped)" "$sent" "$got"
check_eq "denied flow a1 -> b1: 0 wrongly passed" "0" \
	"$(grep -o '[0-9]* received' "$WORK/bad.out" | cut -d' ' -f1)"
check_eq "policy reload --json reports the outcome, counts and time as numbers" \
	"true number number number number $POL" \
	"$(cb h1 --json policy reload | jq -r '"\(.ok) \(.files|type) \(.rules|type) \(.ms|type) \(.generation|type) \(.path)"')"
check_eq "policy reload --json: 1 file, 3005 rules, ms > 0" "1 3005 true" \
	"$(cb h1 --json policy reload | jq -r '"\(.files) \(.rules) \(.ms > 0)"')"

# A reload writes into the idle generation's maps only what differs from what they hold. With
# v2 live and v1 idle, the reloads below leave live what the second one wrote over v2 (CIDR
# rules dropped, added and given ports; /32 CIDRs with one port, whose addresses and ports are
# exact entries and whose pairs have no pair-hash entry): the maps a fresh install of v3 gives
# (a restarted daemon knows no map and fills new ones).
{
	sed -n '1,5p' "$WORK/v2.json"
	echo '  {"id": "a-not-host-7200", "from": "net:neta", "to": "host", "action": "deny", "protocol": "tcp", "ports": "7200"},'
	for i in $(seq 1001 3500); do
		if [ $((i % 5)) -eq 1 ]; then
			printf '  {"from": "net:neta", "to": "cidr:172.%d.%d.%d/32", "action": "deny", "protocol": "tcp", "ports": "%d"},\n' $((16 + i / 65536)) $((i / 256 % 256)) $((i % 256)) $((1000 + i))
		elif [ $((i % 3)) -eq 0 ]; then
			printf '  {"from": "cidr:172.%d.%d.0/24", "to": "net:neta", "action": "deny", "protocol": "udp", "ports": ["53", "5000-5999"]},\n' $((16 + i / 256)) $((i % 256))
		else
			printf '  {"from": "cidr:172.%d.%d.0/24", "to": "net:neta", "action": "deny"},\n' $((16 + i / 256)) $((i % 256))
		fi
	done
	tail -2 "$WORK/v2.json"
} >"$WORK/v3.json"
policy_dumps() {
	for m in cbpf_policy cbpf_policy_ports cbpf_policy_tables cbpf_policy_exact; do
		bpftool -j map dump pinned "$(pin h1 $m)" | jq -c 'sort_by(.key)'
	done
}
for v in v3 v3 v2 v3; do
	cp "$WORK/$v.json" "$POL.tmp" && mv "$POL.tmp" "$POL"
	cb h1 policy reload >/dev/null || not_ok "reload to $v"
done
reloaded=$(policy_dumps)
daemon_stop h1
daemon_stop h1 >/dev/null 2>&1
check "daemon restarts with v3" agent_start h1 --policy "$POL" --log-level debug
check_eq "maps after reloads by difference = maps of a fresh install ($(echo "$reloaded" | wc -c) bytes)" \
	"$(policy_dumps)" "$reloaded"
check "v3: b1 -> a1" ping_ok b1 $A1
check "v3: a1 -/-> b1" ping_fails a1 $B1
# The host's addresses are exact entries and net:neta -> host has port entries alone.
before=$(drops h1 policy-deny)
check "v3: a1 -/-> the host's underlay address tcp/7200 (a port entry, no pair entry)" \
	tcp_fails a1 h1 198.18.0.1 7200
check_gt "v3: the denied connection is counted as policy-deny" "$(drops h1 policy-deny)" "$before"
check "v3: a1 -> the host's underlay address tcp/7201" tcp_ok a1 h1 198.18.0.1 7201
check_eq "v3: the exact entries hold each /32's port and address (500 each)" "500 500" \
	"$(bpftool -j map dump pinned "$(pin h1 cbpf_policy_exact)" | jq -r '[.[].formatted] |
		"\([.[] | select(.key.prefixlen == 96 and .key.dst_identity >= 67108864)] | length)" +
		" \([.[] | select(.key.prefixlen == 64 and .value.rule_id >= 67108864)] | length)"')"

# The spare exact map (user/reconcile/policy_spare.h): a reload whose exact entries are mostly
# new fills the agent's empty spare and stores it in the idle slot instead of rewriting the idle
# map. v4 has none of v3's exact entries but the host's: 2000 /32 rules, a port each, and the
# host deny on tcp/7300; v5 edits 1 % of v4's ports and moves the host deny to tcp/7301. Each
# reload's maps are compared below with a fresh install of the same file.
{
	sed -n '1,5p' "$WORK/v2.json"
	echo '  {"id": "a-not-host-7300", "from": "net:neta", "to": "host", "action": "deny", "protocol": "tcp", "ports": "7300"},'
	for i in $(seq 1 2000); do
		printf '  {"from": "net:neta", "to": "cidr:172.30.%d.%d/32", "action": "deny", "protocol": "tcp", "ports": "%d"},\n' $((i / 256)) $((i % 256)) $((3000 + i))
	done
	tail -2 "$WORK/v2.json"
} >"$WORK/v4.json"
sed -E 's|"ports": "7300"|"ports": "7301"|; s/"ports": "([34][0-9]00)"/"ports": "1\1"/' \
	"$WORK/v4.json" >"$WORK/v5.json"
spare_made() { grep -c "spare exact map ready" "$WORK/h1.agent.log"; }
spare_used() { grep -c "exact entries into the spare map" "$WORK/h1.agent.log"; }
# spare_reload V: once the agent has a spare ready (10 s at most), reloads V; prints how many
# installs took the spare.
spare_reload() {
	local used i
	used=$(spare_used)
	for i in $(seq 100); do
		[ "$(spare_made)" -gt "$used" ] && break
		sleep 0.1
	done
	cp "$WORK/$1.json" "$POL.tmp" && mv "$POL.tmp" "$POL"
	cb h1 --json policy reload | jq -r .ms >"$WORK/spare.ms" || return 1
	echo $(($(spare_used) - used))
}
# denied_port PORT: a1 -> the host's underlay address on tcp/PORT fails and is counted.
denied_port() {
	local before
	before=$(drops h1 policy-deny)
	tcp_fails a1 h1 198.18.0.1 "$1" && [ "$(drops h1 policy-deny)" -gt "$before" ]
}
check_eq "v3 again, both generations v3 since the restart: nothing written, the spare kept" 0 \
	"$(spare_reload v3)"
check_eq "v4, every exact entry new but the host's: filled into the spare, not rewritten in place" 1 \
	"$(spare_reload v4)"
dump_v4=$(policy_dumps)
check "v4: a1 -/-> host tcp/7300, counted as policy-deny" denied_port 7300
check "v4: a1 -> host tcp/7200, v3's deny gone with the map it was in" tcp_ok a1 h1 198.18.0.1 7200
# Another process inside an expedited window (its lock held, as for a batch of link calls)
# delays no reload: the store goes on without a window of its own.
check "another process holds the window lock" window_lock_hold 3
check_eq "v5, 1 % edited, the idle map two files back (v3): into the spare again" 1 \
	"$(spare_reload v5)"
check "v5: stored while another process held the window lock, in under 1 s ($(cat "$WORK/spare.ms") ms)" \
	awk -v ms="$(cat "$WORK/spare.ms")" 'BEGIN { exit !(ms < 1000) }'

dump_v5=$(policy_dumps)
check "v5: a1 -/-> host tcp/7301, counted as policy-deny" denied_port 7301
check_eq "v5 again, the idle map the first spare (v4): rewritten in place" 0 "$(spare_reload v5)"
dump_v5_again=$(policy_dumps)
check "v5 again: a1 -/-> host tcp/7301, counted as policy-deny" denied_port 7301
check "v5 again: a1 -> host tcp/7300" tcp_ok a1 h1 198.18.0.1 7300
daemon_stop h1
check "daemon restarts with v4" daemon_start h1 "$WORK/v4.json"
check_eq "maps after the reload into the spare (v4) = maps of a fresh install" \
	"$(policy_dumps)" "$dump_v4"
daemon_stop h1
check "daemon restarts with v5" daemon_start h1 "$WORK/v5.json"
check_eq "maps after the 1 % edit into the spare (v5) = maps of a fresh install" \
	"$(policy_dumps)" "$dump_v5"
check_eq "maps after v5 again, in place over the spare = maps of a fresh install" \
	"$(policy_dumps)" "$dump_v5_again"
daemon_stop h1
cp "$WORK/v3.json" "$POL"
check "daemon restarts with v3" daemon_start h1 "$POL"

# Bad files: rejected with file:line, the daemon keeps the live policy, maps byte-identical.
snapshot() {
	for m in cbpf_policy cbpf_policy_tables cbpf_policy_exact cbpf_policy_active; do
		bpftool map dump pinned "$(pin h1 $m)" | sort
	done
	bpftool -j map dump pinned "$(pin h1 cbpf_policy_gen)"
	bpftool -j map dump pinned "$(pin h1 cbpf_policy_exact_gen)"
	cat "$WORK/h1/state/policy.json"
}
bad_file() {
	local desc=$1 expect=$2 before after err rc
	before=$(snapshot)
	cp "$POL.bad" "$POL"
	err=$(cb h1 policy check "$POL" 2>&1 >/dev/null)
	rc=$?
	cb h1 policy reload 2>"$WORK/reload.err" >/dev/null
	local rrc=$?
	after=$(snapshot)
	if [ "$rc" -ne 0 ] && [ "$rrc" -ne 0 ] && [[ "$err" == *"$POL:$expect"* ]] &&
		grep -q "$POL:$expect" "$WORK/reload.err" && [ "$before" = "$after" ]; then
		ok "bad file rejected, maps unchanged: $desc"
	else
		not_ok "bad file: $desc (check rc=$rc: $err; reload rc=$rrc: $(cat "$WORK/reload.err"); maps changed: $([ "$before" = "$after" ] && echo no || echo yes))"
	fi
}
printf '{"rules": [\n  {"from": "net:neta", "to": "net:netb", "action": "deny"}\n  {"from": "net:netb"}\n]}\n' >"$POL.bad"
bad_file "syntax error" "3: JSON syntax"
printf '{"rules": [\n  {"from": "net:neta", "to": "net:netb", "action": "deny"},\n  {"from": "pod:x", "to": "net:netb", "action": "deny"}\n]}\n' >"$POL.bad"
bad_file "unknown selector" "3: unknown selector 'pod:x'"
printf '{"rules": [\n  {"from": "net:neta", "to": "net:netb", "action": "deny"},\n\n  {"from": "net:neta", "to": "net:netb", "action": "allow", "protocol": "tcp"}\n]}\n' >"$POL.bad"
bad_file "conflicting rules at one priority" "4: conflicts with the rule at $POL:2"
printf '{"rules": [\n  {"from": "cidr:10.0.0.1/24", "to": "net:netb", "action": "deny"}\n]}\n' >"$POL.bad"
bad_file "bad CIDR" "2: bad from selector 'cidr:10.0.0.1/24'"
printf '{"rules": [\n  {"from": "world", "to": "net:netb", "action": "deny",\n   "protocol": "tcp", "ports": ["80", "70000"]}\n]}\n' >"$POL.bad"
bad_file "bad port" "2: bad port range '70000'"
check_contains "the daemon logged the rejection" "policy rejected, keeping the live one: $POL:2: bad port range" \
	"$(cat "$WORK/h1.agent.log")"

# A rule may name an endpoint that does not exist yet: it takes effect when the endpoint
# appears and stops when it goes.
ns_add ghost
ns_add other
{ sed '$d' "$WORK/v1.json" | sed '$s/$/,/'; echo '  {"id": "ghost-not-b1", "from": "ep:ghost", "to": "ep:b1", "action": "deny"}'; echo ']}'; } >"$POL.ghost"
out=$(cb h1 policy check --strict "$POL.ghost" 2>&1)
check_contains "policy check --strict refuses a rule naming a missing endpoint" \
	"4: no such object 'ep:ghost'" "$out"
check "policy check without --strict accepts it" cb h1 policy check "$POL.ghost"
cp "$POL.ghost" "$POL"
check "the agent accepts a policy naming an endpoint that does not exist yet" cb h1 policy reload
check "ep add ghost (netb)" cb h1 ep add ghost --net netb --netns "$P-ghost" --ip 10.2.0.50
check "the waiting rule applies once ghost exists: ghost -/-> b1" ping_fails ghost $B1
check_contains "explain names the waiting rule" "ghost-not-b1" "$(cb h1 policy explain ghost b1)"
check "ep del ghost" cb h1 ep del ghost
check "ep add other with ghost's old address" \
	cb h1 ep add other --net netb --netns "$P-other" --ip 10.2.0.50
check "the rule went with ghost: other -> b1" ping_ok other $B1
cp "$WORK/v1.json" "$POL"
check "back to v1" cb h1 policy reload
check "after rejections: b1 -> a1 still allowed" ping_ok b1 $A1
check "after rejections: a1 -/-> b1 still denied" ping_fails a1 $B1
check "daemon stops on SIGTERM" daemon_stop h1
check_fail "policy reload without a daemon fails" cb h1 policy reload

lib_finish
