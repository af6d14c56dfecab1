#!/usr/bin/env bash
# The etcd client against a three-member etcd cluster (Debian's etcd-server), one member per
# namespace on the fabric: one member killed, the client and its watch carry on through the
# others; quorum lost, calls fail with a clear error within their timeouts; quorum back, they
# work again.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../etcd_lib.sh"
lib_init

PROBE=${ETCD_PROBE:-$REPO/build/tests/tools/etcd_probe}
declare -A MEMBER_PID
CLUSTER=e1=http://198.18.0.201:2380,e2=http://198.18.0.202:2380,e3=http://198.18.0.203:2380
URLS=http://198.18.0.201:2379,http://198.18.0.202:2379,http://198.18.0.203:2379

host_add cli 1
for n in 1 2 3; do host_add "e$n" "20$n"; done

probe() { in_ns cli "$PROBE" "$@"; }
ms() { echo $(($(date +%s%N) / 1000000)); }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1; }

# member_start N: member eN on its fabric address only (client and peer ports).
member_start() {
	local n=$1 addr=198.18.0.20$1
	ip netns exec "$P-e$n" etcd --name "e$n" --data-dir "$WORK/e$n.data" \
		--listen-client-urls "http://$addr:2379" --advertise-client-urls "http://$addr:2379" \
		--listen-peer-urls "http://$addr:2380" --initial-advertise-peer-urls "http://$addr:2380" \
		--initial-cluster "$CLUSTER" --initial-cluster-token "$P" \
		>>"$WORK/e$n.log" 2>&1 &
	MEMBER_PID[$n]=$!
	PIDS+=("$!")
}

# until_ok SECONDS CMD...: CMD succeeds within SECONDS (tries every 0.2 s).
until_ok() {
	local tries=$(($1 * 5))
	shift
	for _ in $(seq "$tries"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}

for n in 1 2 3; do member_start "$n"; done
for n in 1 2 3; do
	check "member e$n answers" until_ok 15 probe -t 200,1000 "http://198.18.0.20$n:2379" list /
done

check "put through the cluster" probe "$URLS" put /m/a 1
for n in 1 2 3; do
	check_contains "member e$n has it" "/m/a value_hex=31" \
		"$(probe "http://198.18.0.20$n:2379" get /m/a)"
done

# The client and its watch talk to e1 first; e1 dies.
probe "$URLS" watch /m/ 0 2 30 >"$WORK/watch.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
check "the watch is synced" wait_line "$WORK/watch.out" '^synced'
rb=$(probe "$URLS" put /m/b 2 | field revision)
kill -9 "${MEMBER_PID[1]}"
wait "${MEMBER_PID[1]}" 2>/dev/null
t0=$(ms)
check "with e1 killed, a put goes through the others (after an election if e1 led)" \
	until_ok 10 probe "$URLS" put /m/c 3
echo "# first put after the kill took $(($(ms) - t0)) ms"
rc=$(probe "$URLS" get /m/c | field revision)
check "a lease is granted and kept alive" \
	probe "$URLS" keepalive "$(probe "$URLS" grant 2 | field id)" 3 300
wait "$wpid"
check_eq "the watch saw both puts" "0" "$?"
check "it lost its member" grep -q '^down err=' "$WORK/watch.out"
check_eq "and resumed on another with nothing lost or repeated" \
	"put /m/b rev=$rb value_hex=32|put /m/c rev=$rc value_hex=33" \
	"$(grep '^put' "$WORK/watch.out" | paste -sd'|')"

# e2 dies too: no quorum. Calls fail within their timeouts and say where.
kill -9 "${MEMBER_PID[2]}"
wait "${MEMBER_PID[2]}" 2>/dev/null
t0=$(ms)
probe -t 500,1500 "$URLS" put /m/d 4 >"$WORK/noquorum.out" 2>&1
code=$?
took=$(($(ms) - t0))
check "without quorum a put fails (status $code)" test "$code" -ne 0
check "within its timeouts over three URLs (took $took ms)" test "$took" -le 5000
check_contains "naming the key" "etcd put /m/d: " "$(cat "$WORK/noquorum.out")"
check_contains "and the last member tried" "198.18.0.203:2379" "$(cat "$WORK/noquorum.out")"

# e1 comes back on its data: quorum again.
member_start 1
t0=$(ms)
check "with e1 back, puts work again" until_ok 15 probe "$URLS" put /m/e 5
echo "# first put after e1's restart took $(($(ms) - t0)) ms"
# The put that timed out without quorum may still commit once quorum is back (it sat in the
# leader's log): that is why the client never resends a transaction. It is left out here.
check_eq "nothing written was lost" "/m/a /m/b /m/c /m/e" \
	"$(probe "$URLS" list /m/ | awk '/value_hex/ && $1 != "/m/d" {print $1}' | xargs)"

lib_finish
