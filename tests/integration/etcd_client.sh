#!/usr/bin/env bash
# The etcd v3 client (user/cluster/etcd*.c) against a real etcd from Debian's etcd-server,
# through build/tests/tools/etcd_probe: binary-safe values, prefixes, create-if-absent races,
# compare-and-swap, leases (revoke, expiry, keepalive), watches (order, revisions, compaction,
# reconnect), failover between URLs, timeouts while etcd hangs or is dead, and recovery.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../etcd_lib.sh"
lib_init

PROBE=${ETCD_PROBE:-$REPO/build/tests/tools/etcd_probe}
URL=http://198.18.0.200:2379

# etcd lives in its own namespace on the fabric; clients run in "cli".
host_add etcd 200
host_add cli 1

# A stopped etcd would ignore the harness's SIGTERM and its `wait` would hang.
lib_cleanup_hook() { [ -z "$ETCD_PID" ] || kill -CONT "$ETCD_PID" 2>/dev/null; }

probe() { in_ns cli "$PROBE" "$@"; }

# rc CMD...: CMD's exit status, its output in $WORK/rc.out.
rc() {
	"$@" >"$WORK/rc.out" 2>&1
	echo $?
}

ms() { echo $(($(date +%s%N) / 1000000)); }
field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" | head -1; }

check "etcd starts on the fabric address" etcd_start
check_fail "etcd does not listen on the namespace's loopback" \
	in_ns etcd "$PROBE" -t 200,500 http://127.0.0.1:2379 list /

# Values are bytes: NUL, 0xff, newline and quote survive, and so does an empty value (which
# the gateway omits from its answer).
check "put a binary value" probe "$URL" put /t/bin hex:00ff0a0d3d2200
check_eq "get returns the same bytes" "00ff0a0d3d2200 7" \
	"$(probe "$URL" get /t/bin | awk 'NR == 1 {print $2, $3}' | sed 's/value_hex=//; s/len=//')"
check "put an empty value" probe "$URL" put /t/empty ""
check_contains "an empty value reads back empty" "value_hex= len=0 " "$(probe "$URL" get /t/empty)"
check_eq "a missing key is ENOENT" "2" "$(rc probe "$URL" get /t/none)"
check_contains "and says which call on which key" "etcd get /t/none: no such key" \
	"$(cat "$WORK/rc.out")"

# Prefixes: order, limit, a past revision, and a key that only shares the first bytes.
r1=$(probe "$URL" put /p/a 1 | field revision)
probe "$URL" put /p/b 2 >/dev/null
r2=$(probe "$URL" put /p/c 3 | field revision)
probe "$URL" put /pz outside >/dev/null
check_eq "list /p/ holds its three keys in order" "/p/a /p/b /p/c" \
	"$(probe "$URL" list /p/ | awk '/value_hex/ {print $1}' | xargs)"
check_contains "list with a limit says there is more" "count=2 more=1" \
	"$(probe "$URL" list /p/ 2)"
check_eq "list at the revision of /p/a's put sees only /p/a" "/p/a" \
	"$(probe "$URL" list /p/ 0 "$r1" | awk '/value_hex/ {print $1}' | xargs)"
check_contains "the listing's revision is the store's" "revision=$((r2 + 1)) " \
	"$(probe "$URL" list /p/)"
check_eq "pages of 2: the second page starts after the first's last key" "/p/c count=1 more=0" \
	"$(probe "$URL" list /p/ 2 "$r2" /p/b | awk '/value_hex/ {k = $1} /^revision/ {print k, $2, $3}')"
check_eq "a page start outside the prefix is EINVAL" "22" "$(rc probe "$URL" list /p/ 2 0 /a)"
check_contains "delete prefix /p/ deletes three keys" "deleted=3" "$(probe "$URL" delp /p/)"
check_contains "and not /pz" "value_hex=$(printf outside | od -An -tx1 | tr -d ' \n')" \
	"$(probe "$URL" get /pz)"
check_contains "delete of a missing key deletes nothing" "deleted=0" \
	"$(probe "$URL" del /p/a)"

# Create-if-absent: 20 agents race for one VNI; exactly one wins.
for i in $(seq 20); do
	(
		probe "$URL" create /cbpfnet/v1/vni/4097 "agent$i" >/dev/null 2>"$WORK/race.$i.err"
		echo $? >"$WORK/race.$i.rc"
	) &
	PIDS+=("$!")
done
for i in $(seq 20); do
	for _ in $(seq 100); do [ -s "$WORK/race.$i.rc" ] && break || sleep 0.1; done
done
winners=$(grep -lx 0 "$WORK"/race.*.rc | wc -l)
losers=$(grep -lx 17 "$WORK"/race.*.rc | wc -l)
check_eq "20 racing creators: one wins, 19 get EEXIST" "1 19" "$winners $losers"
winner=$(grep -lx 0 "$WORK"/race.*.rc | sed 's/.*race\.\([0-9]*\)\.rc/\1/')
check_contains "the key holds the winner's value" \
	"value_hex=$(printf "agent%s" "$winner" | od -An -tx1 | tr -d ' \n') " \
	"$(probe "$URL" get /cbpfnet/v1/vni/4097)"
check_contains "a loser is told the key exists" "etcd create /cbpfnet/v1/vni/4097: exists" \
	"$(cat "$(grep -lx 17 "$WORK"/race.*.rc | head -1 | sed 's/rc$/err/')")"

# Compare-and-swap on mod_revision and on value.
mod=$(probe "$URL" get /cbpfnet/v1/vni/4097 | field mod)
check_eq "cas with a stale mod_revision is ECANCELED" "125" \
	"$(rc probe "$URL" cas /cbpfnet/v1/vni/4097 $((mod - 1)) stolen)"
check_contains "and names the current mod_revision" "changed meanwhile (mod_revision now $mod)" \
	"$(cat "$WORK/rc.out")"
check "cas with the current mod_revision writes" probe "$URL" cas /cbpfnet/v1/vni/4097 "$mod" moved
check_eq "cas on a missing key is ENOENT" "2" "$(rc probe "$URL" cas /t/none 5 x)"
check_eq "cas-value with a wrong value is ECANCELED" "125" \
	"$(rc probe "$URL" casv /cbpfnet/v1/vni/4097 stolen again)"
check "cas-value with the current value writes" probe "$URL" casv /cbpfnet/v1/vni/4097 moved again
check_contains "the key holds the last write" "value_hex=$(printf again | od -An -tx1 | tr -d ' \n') " \
	"$(probe "$URL" get /cbpfnet/v1/vni/4097)"

# Transactions: several compares and writes, all or nothing.
check_contains "claim a network and its VNI together" "succeeded=1" \
	"$(probe "$URL" txn create:eq:/n/net1:0 create:eq:/vni/4098:0 -- put:/n/net1=4098 put:/vni/4098=net1)"
check_eq "a second network claiming the same VNI fails" "125" \
	"$(rc probe "$URL" txn create:eq:/n/net2:0 create:eq:/vni/4098:0 -- put:/n/net2=4098 put:/vni/4098=net2)"
check_eq "and writes nothing: its network key does not exist" "2" "$(rc probe "$URL" get /n/net2)"
check_contains "nor did the VNI change owner" "value_hex=$(printf net1 | od -An -tx1 | tr -d ' \n') " \
	"$(probe "$URL" get /vni/4098)"
nrev=$(probe "$URL" list /n/ | field revision)
check_contains "a compare on a whole prefix: nothing under /n/ changed since the list" \
	"succeeded=1" "$(probe "$URL" txn "mod:lt:/n/*:$((nrev + 1))" -- put:/n/net3=x)"
check_eq "after a write under /n/, the same compare fails" "125" \
	"$(rc probe "$URL" txn "mod:lt:/n/*:$((nrev + 1))" -- put:/n/net4=x)"
check_eq "and its write did not happen" "2" "$(rc probe "$URL" get /n/net4)"
for i in $(seq 10); do
	(
		probe "$URL" txn create:eq:/n/race$i:0 create:eq:/vni/5000:0 -- \
			put:/n/race$i=5000 put:/vni/5000=race$i >/dev/null 2>&1
		echo $? >"$WORK/txn.$i.rc"
	) &
	PIDS+=("$!")
done
for i in $(seq 10); do
	for _ in $(seq 100); do [ -s "$WORK/txn.$i.rc" ] && break || sleep 0.1; done
done
check_eq "10 agents racing for VNI 5000: one wins, 9 fail" "1 9" \
	"$(grep -lx 0 "$WORK"/txn.*.rc | wc -l) $(grep -lx 125 "$WORK"/txn.*.rc | wc -l)"
check_eq "exactly one network holds it" "1" "$(probe "$URL" list /n/race | grep -c value_hex)"
check_contains "a move: delete one key and write another if both are as read" "succeeded=1" \
	"$(probe "$URL" txn "mod:eq:/n/net1:$(probe "$URL" get /n/net1 | field mod)" \
		"value:eq:/vni/4098:net1" -- del:/n/net1 put:/vni/4098=moved)"
check_eq "the deleted key is gone" "2" "$(rc probe "$URL" get /n/net1)"
check_contains "delete a prefix in a transaction" "succeeded=1" \
	"$(probe "$URL" txn -- "del:/n/*" "del:/vni/*")"
check_contains "leaves nothing under it" "count=0" "$(probe "$URL" list /n/)"

# Leases.
check_contains "a TTL below etcd's minimum is raised to 2 s" "ttl=2" "$(probe "$URL" grant 1)"
lease=$(probe "$URL" grant 5 | field id)
probe "$URL" put /l/a x "$lease" >/dev/null
check_contains "a key written under a lease carries it" "lease=$lease" "$(probe "$URL" get /l/a)"
check_contains "keepalive answers the TTL" "ttl=5" "$(probe "$URL" keepalive "$lease")"
check "revoke" probe "$URL" revoke "$lease"
check_eq "the key goes with the revoke at once" "2" "$(rc probe "$URL" get /l/a)"
check_eq "keepalive on a revoked lease is ENOENT" "2" "$(rc probe "$URL" keepalive "$lease")"
check_contains "and says the lease is gone" "lease gone" "$(cat "$WORK/rc.out")"
check_eq "revoking it again is ENOENT" "2" "$(rc probe "$URL" revoke "$lease")"
check_eq "put under a lease that is gone is ENOENT" "2" "$(rc probe "$URL" put /l/z x "$lease")"

# Expiry without keepalive: within TTL + 1 s.
lease=$(probe "$URL" grant 2 | field id)
probe "$URL" put /l/b x "$lease" >/dev/null
t0=$(ms)
gone=
for _ in $(seq 60); do
	if [ "$(rc probe "$URL" get /l/b)" = 2 ]; then
		gone=$(($(ms) - t0))
		break
	fi
	sleep 0.1
done
echo "# key under a 2 s lease gone after ${gone:-never} ms"
check "a key under an expired lease goes within TTL + 1 s" \
	test -n "$gone" -a "${gone:-0}" -le 3000 -a "${gone:-0}" -ge 1000
check_eq "keepalive on an expired lease is ENOENT (200 without TTL)" "2" \
	"$(rc probe "$URL" keepalive "$lease")"

# Keepalive holds a key past its TTL.
lease=$(probe "$URL" grant 2 | field id)
probe "$URL" put /l/c x "$lease" >/dev/null
check "8 keepalives 0.5 s apart" probe "$URL" keepalive "$lease" 8 500
check_contains "the key outlived its 2 s TTL by keepalives" "lease=$lease" \
	"$(probe "$URL" get /l/c)"
probe "$URL" revoke "$lease" >/dev/null

# Watch: puts and deletes under the prefix, in order, with their revisions, nothing else.
probe "$URL" watch /w/ 0 4 10 >"$WORK/watch.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
check "the watch is synced" wait_line "$WORK/watch.out" '^synced'
ra=$(probe "$URL" put /w/a 1 | field revision)
rb=$(probe "$URL" put /w/b 2 | field revision)
probe "$URL" put /wx outside >/dev/null
rd=$(probe "$URL" del /w/a >/dev/null && probe "$URL" list /w/ | field revision)
re=$(probe "$URL" put /w/a hex:00 | field revision)
wait "$wpid"
check_eq "the watch ends after its 4 events" "0" "$?"
check_eq "puts and deletes arrive in order with their revisions" \
	"put /w/a rev=$ra value_hex=31|put /w/b rev=$rb value_hex=32|delete /w/a rev=$rd|put /w/a rev=$re value_hex=00" \
	"$(grep -E '^(put|delete)' "$WORK/watch.out" | paste -sd'|')"
check_eq "a watch from a past revision replays from there" \
	"put /w/b rev=$rb value_hex=32|delete /w/a rev=$rd|put /w/a rev=$re value_hex=00" \
	"$(probe "$URL" watch /w/ "$rb" 3 5 | grep -E '^(put|delete)' | paste -sd'|')"

# Compaction: a watch from before it is cancelled; re-list and re-watch works.
check "compact up to the last revision" \
	in_ns cli curl -sf -m 3 -X POST "$URL/v3/kv/compaction" -d "{\"revision\":\"$re\"}"
check_eq "a watch from a compacted revision ends with ESTALE" "116" \
	"$(rc probe "$URL" watch /w/ "$ra" 1 5)"
check_contains "after reporting the compaction" "compacted rev=$re" "$(cat "$WORK/rc.out")"
check_eq "a list at a compacted revision is ESTALE" "116" "$(rc probe "$URL" list /w/ 0 "$ra")"
check_contains "and says so" "compacted" "$(cat "$WORK/rc.out")"
lrev=$(probe "$URL" list /w/ | field revision)
probe "$URL" watch /w/ $((lrev + 1)) 1 10 >"$WORK/rewatch.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
check "the new watch is synced" wait_line "$WORK/rewatch.out" '^synced'
rz=$(probe "$URL" put /w/z 1 | field revision)
wait "$wpid"
check_eq "re-list and re-watch sees the next put" "put /w/z rev=$rz value_hex=31" \
	"$(grep '^put' "$WORK/rewatch.out")"

# Failover: a dead port and an address nobody holds come first; calls go through the third.
urls=http://198.18.0.200:2399,http://198.18.0.201:2379,$URL
check "put through the third URL" probe -t 300,2000 "$urls" put /f/a via-third
check_contains "get through the third URL" "/f/a value_hex=" "$(probe -t 300,2000 "$urls" get /f/a)"
check_eq "a txn unsent on dead URLs goes to the live one" "17" \
	"$(rc probe -t 300,2000 "$urls" create /f/a again)"
probe -t 300,2000 "$urls" watch /f/ 0 1 10 >"$WORK/fwatch.out" 2>&1 &
wpid=$!
PIDS+=("$wpid")
check "a watch fails over too" wait_line "$WORK/fwatch.out" '^synced'
probe "$URL" put /f/b 1 >/dev/null
wait "$wpid"
check_eq "and sees events" "0" "$?"
check_eq "with every URL dead the error names each" "111" \
	"$(rc probe -t 300,1000 http://198.18.0.200:2398,http://198.18.0.200:2399 get /f/a)"
check_contains "the first" "198.18.0.200:2398" "$(cat "$WORK/rc.out")"
check_contains "the second" "198.18.0.200:2399" "$(cat "$WORK/rc.out")"

# Outage: a hung etcd times out, a dead one refuses; a watch rides through a restart.
probe "$URL" watch /o/ 0 1 30 >"$WORK/owatch.out" 2>&1 &
opid=$!
PIDS+=("$opid")
check "the outage watch is synced" wait_line "$WORK/owatch.out" '^synced'
kill -STOP "$ETCD_PID"
probe -t 300,1000 "$URL" watch /o/ 0 1 30 >"$WORK/hwatch.out" 2>&1 &
hpid=$!
PIDS+=("$hpid")
t0=$(ms)
code=$(rc probe -t 500,1500 "$URL" get /t/bin)
took=$(($(ms) - t0))
check "a watch started on a hung etcd reports it down" wait_line "$WORK/hwatch.out" \
	"^down err=110 watch /o/ on $URL/v3/watch: no answer in 1000 ms"
kill -CONT "$ETCD_PID"
check "and syncs once etcd answers" wait_line "$WORK/hwatch.out" '^synced'
check_eq "a call to a hung etcd fails with ETIMEDOUT" "110" "$code"
check "within its 1.5 s timeout (took $took ms)" test "$took" -ge 1400 -a "$took" -le 2500
check_contains "naming the call, the key and the URL" "etcd get /t/bin: $URL/v3/kv/range: " \
	"$(cat "$WORK/rc.out")"
check_contains "and the timeout" "timed out" "$(cat "$WORK/rc.out")"
kill -9 "$ETCD_PID"
wait "$ETCD_PID" 2>/dev/null
t0=$(ms)
code=$(rc probe "$URL" put /o/x before-restart)
took=$(($(ms) - t0))
check_eq "a call to a dead etcd fails with ECONNREFUSED" "111" "$code"
check "at once (took $took ms)" test "$took" -le 1000
check "the watch reports the connection lost" wait_line "$WORK/owatch.out" '^down err='
check "etcd restarts on its data" etcd_start
check_contains "the data survived" "value_hex=00ff0a0d3d2200 " "$(probe "$URL" get /t/bin)"
check "calls work again" probe "$URL" put /o/x after-restart
wait "$opid"
check_eq "the watch reconnected and saw the put" "0" "$?"
check_contains "after a new SYNCED" "synced" "$(sed -n '/^down/,$p' "$WORK/owatch.out")"
check_contains "the put" "put /o/x" "$(grep '^put' "$WORK/owatch.out")"
wait "$hpid"
check_eq "the watch started while etcd hung saw it too" "0" "$?"

lib_finish
