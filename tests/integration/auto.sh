#!/usr/bin/env bash
# net create --model auto on a simulated host: the classifier's choice becomes a real network of
# that model, repeated requests come from the history, hard constraints override the classifier.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
check "load" cb h1 load
fast="security=1,scale=9,efficiency=9,extensibility=1"
safe="security=9,scale=2,efficiency=2,extensibility=9"

out=$(cb h1 --json net create fast1 --model auto --require "$fast" --subnet 10.60.0.0/24 \
	--parent ul0 --mode bridge --vlan 11)
check_eq "efficiency and scale with an uplink pick macvlan" "macvlan macvlan false" \
	"$(echo "$out" | jq -r '"\(.model) \(.auto.choice) \(.auto.cached)"')"
check_gt "and the classifier was sure (P(macvlan) > 0.9)" \
	"$(echo "$out" | jq '.auto.beta * 100 | floor')" 90
out=$(cb h1 --json net create safe1 --model auto --require "$safe" --subnet 10.61.0.0/24 \
	--parent ul0 --mode bridge --vlan 13)
check_eq "security and extensibility pick overlay" "overlay overlay" \
	"$(echo "$out" | jq -r '"\(.model) \(.auto.choice)"')"
check_eq "the overlay network got a VNI" "4096" "$(echo "$out" | jq .vni)"
out=$(cb h1 --json net create fast2 --model auto --require "$fast" --subnet 10.62.0.0/24 \
	--parent ul0 --mode bridge --vlan 12)
check_eq "the same requirements again are answered from the history" "true macvlan" \
	"$(echo "$out" | jq -r '"\(.auto.cached) \(.model)"')"
out=$(cb h1 --json net create fast3 --model auto --require "$fast" --subnet 10.63.0.0/24)
check_eq "without an uplink the hard constraint forces overlay" "overlay" \
	"$(echo "$out" | jq -r .model)"
check_contains "and says why" "parent" "$(echo "$out" | jq -r .auto.reason)"
check_eq "net list shows the chosen models" "fast1 macvlan,fast2 macvlan,fast3 overlay,safe1 overlay" \
	"$(cb h1 --json net list | jq -r 'sort_by(.name) | map("\(.name) \(.model)") | join(",")')"
err=$(cb h1 net create bad --model auto --require security=11,scale=1,efficiency=1,extensibility=1 \
	--subnet 10.64.0.0/24 2>&1 >/dev/null)
check_contains "a weight outside 0..10 is refused" "security" "$err"
check_eq "and no network was made" "4" "$(cb h1 --json net list | jq length)"

lib_finish
