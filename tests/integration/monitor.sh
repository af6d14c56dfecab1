#!/usr/bin/env bash
# monitor: wall-clock times to the ms, rule numbers, a start at now (old events never printed
# nor counted), --since for the past, following on a terminal and ending otherwise.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
for ns in a1 a2 b1; do ns_add $ns; done
cb h1 load >/dev/null
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 net create netb --subnet 10.2.0.0/24 >/dev/null
for e in a1:neta a2:neta b1:netb; do
	cb h1 ep add "${e%%:*}" --net "${e##*:}" --netns "$P-${e%%:*}" >/dev/null
done
A2=10.1.0.3 B1=10.2.0.2
# IPv6 chatter (DAD, router solicitations) would be dropped as events and spend counts.
for ns in h1 a1 a2 b1; do in_ns $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done
ref=$(cb h1 --json policy set a1 a2 deny | jq -r .ref)

# cb_within ARGS...: cbpfnet as h1 runs it, killed after 10 s (a monitor that should end).
cb_within() {
	timeout 10 ip netns exec "$P-h1" "$CBPFNET" --bpffs "$WORK/h1/bpffs" --state "$WORK/h1/state" "$@"
}

# monitor_bg OUT ARGS...: monitor in the background (its pid in $mon), given time to connect.
monitor_bg() {
	local out=$1
	shift
	cb h1 monitor "$@" >"$out" 2>&1 &
	mon=$!
	PIDS+=("$mon")
	sleep 0.5
}

# Drops made while no agent reads the ring buffer wait there: the next agent reads them first.
# A monitor started then must neither print them nor spend its count on them.
agent_stop h1 >/dev/null
in_ns a1 ping -c 3 -i 0.2 -W 1 $A2 >/dev/null
sleep 1.2
before_ms=$(date +%s%3N)
agent_start h1
monitor_bg "$WORK/now.out" --count 1 --timeout 8
in_ns a1 ping -c 1 -W 1 $B1 >/dev/null
wait $mon
check_eq "monitor --count 1 after an agent start prints one event" "1" "$(wc -l <"$WORK/now.out")"
check_contains "... the new drop, not one from before it started" "a1 -> b1 icmp" \
	"$(cat "$WORK/now.out")"
check_contains "... with its reason and no rule (the default isolation)" \
	"reason=network-isolation rule=-" "$(cat "$WORK/now.out")"
line=$(head -1 "$WORK/now.out")
check "the time is ISO-8601 UTC with ms" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z drop ' <<<"$line"
ev_ms=$(date -d "${line%% *}" +%s%3N)
check "the time is the wall clock's (within 10 s of the ping)" \
	test $((ev_ms - before_ms)) -ge 0 -a $((ev_ms - before_ms)) -lt 10000

# --since for the past: the kept events from then on; not on a terminal and without --follow,
# monitor prints them and ends.
out=$(cb_within monitor --since 2m)
check_eq "monitor --since 2m (not a terminal) ends by itself" "0" "$?"
check_contains "... printing the earlier drop, named and numbered" "a1 -> b1 icmp reason=network-isolation" "$out"
check_contains "... and the drops the agent read late, at their own time" \
	"a1 -> a2 icmp reason=policy-deny rule=$ref" "$out"
in_ns a1 ping -c 1 -W 1 $A2 >/dev/null
cut_iso=$(date -u -d "@$(((ev_ms + 1) / 1000)).$(printf %03d $(((ev_ms + 1) % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
out=$(cb_within --json monitor --since "$cut_iso")
check_eq "monitor --since TIME starts after the earlier drop" "a1 a2 $ref" \
	"$(jq -r '"\(.src) \(.dst) \(.ref)"' <<<"$out" | sort -u | paste -sd' ')"
out=$(cb_within monitor --since 1h --count 1)
check_eq "monitor --since with --count follows and stops at the count" "1" "$(grep -c ' drop ' <<<"$out")"
out=$(cb_within monitor)
check_eq "monitor (not a terminal, no --follow) starts at now and ends: nothing" "0 ''" \
	"$? '$out'"
check_fail "monitor --since yesterday-ish is refused" cb h1 monitor --since 5x
check_contains "... saying what is wrong" "--since 5x: not a duration" "$(cb h1 monitor --since 5x 2>&1)"
r=$(api h1 GET '/v1/events?since=soon')
check_eq "GET /v1/events?since=soon: 400" "400" "$(tail -1 <<<"$r")"

# The start is a time, not a place in the stream: an event the datapath made before it is
# skipped even when it arrives after the stream opened, and spends no count. (A start 3 s ahead
# makes such an event on purpose.)
start_iso=$(date -u -d "@$(($(date +%s) + 3))" +%Y-%m-%dT%H:%M:%S.000Z)
monitor_bg "$WORK/ahead.out" --since "$start_iso" --count 1 --timeout 10
in_ns a1 ping -c 1 -W 1 $A2 >/dev/null
while [ "$(date -u +%Y-%m-%dT%H:%M:%S.000Z)" \< "$start_iso" ]; do sleep 0.2; done
sleep 0.5
in_ns a1 ping -c 1 -W 1 $B1 >/dev/null
wait $mon
check_eq "an event older than the stream's start is neither printed nor counted" \
	"a1 -> b1 icmp" "$(grep -o 'a1 -> [ab][12] icmp' "$WORK/ahead.out" | paste -sd,)"

# On a terminal monitor follows until stopped.
timeout 4 script -qfec "$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state monitor" \
	/dev/null >"$WORK/tty.out" 2>&1 &
tty=$!
PIDS+=("$tty")
sleep 1
in_ns a1 ping -c 1 -W 1 $A2 >/dev/null
sleep 1
in_ns a1 ping -c 1 -W 1 $B1 >/dev/null
wait $tty
check_eq "on a terminal monitor follows until stopped (timeout ends it)" "124" "$?"
check_contains "... printing drops as they come (rule $ref)" "a1 -> a2 icmp reason=policy-deny rule=$ref" \
	"$(tr -d '\r' <"$WORK/tty.out")"
check_contains "... and the later one" "a1 -> b1 icmp reason=network-isolation" \
	"$(tr -d '\r' <"$WORK/tty.out")"

lib_finish
