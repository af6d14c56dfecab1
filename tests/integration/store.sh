#!/usr/bin/env bash
# The store (cbpfnet.db): the agent killed with SIGKILL in the middle of a 200-add `ep apply`,
# then restarted: its start recovers and the store and the host agree. A store moved away,
# emptied or damaged next to a live datapath is refused and the maps stay as they were.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
DB=$WORK/h1/state/cbpfnet.db
cbn() { cb h1 "$@"; }
check "load" cbn load
check "local network web" cbn net create web --subnet 10.60.0.0/16
ns_add a1
check "ep add a1" cbn ep add a1 --net web --netns "$P-a1"
check_eq "the database is 0600" 600 "$(stat -c %a "$DB")"

# sysfs, not `ip link show`: iproute2 stops listing at a veth whose peer's namespace it cannot
# resolve, which happens while namespaces come and go.
cb_links() { in_ns h1 ls /sys/class/net | grep -E '^cbe[1-9a-f][0-9a-f]*$' | sort; }
# Read from the database itself: the agent is down between the kill and its restart.
listed_links() { sqlite3 "$DB" 'SELECT host_ifname FROM endpoints' | sort; }
our_k_netns() { ip netns list | awk '{print $1}' | grep "^$P-k" | sort; }
listed_k_netns() { sqlite3 "$DB" 'SELECT netns FROM endpoints' | grep "^$P-k" | sort; }
recorded_count() { sqlite3 "$DB" 'SELECT count(*) FROM endpoints'; }

# --- kill -9 in the middle of a 200-endpoint batch -----------------------------------------
for i in $(seq 0 199); do
	echo "{\"op\": \"add\", \"name\": \"k$i\", \"net\": \"web\", \"netns\": \"$P-k$i\", \"create_netns\": true}"
done >"$WORK/batch.json"
# The agent does the work: it is what gets killed, while its client waits for the batch.
cbn ep apply "$WORK/batch.json" >/dev/null 2>&1 &
client=$!
made=0
for _ in $(seq 1 600); do # 30 s at most
	made=$(cb_links | wc -l)
	[ "$made" -ge 60 ] && break
	sleep 0.05
done
apply=${AGENT_PIDS[h1]}
check_eq "the process to kill is the agent, cbpfnet-full" \
	"$(dirname "$(readlink -f "$CBPFNET")")/cbpfnet-full" "$(readlink "/proc/$apply/exe")"
kill -9 "$apply"
wait "$apply" 2>/dev/null
wait "$client"
check_eq "the client of the killed agent fails" 1 "$?"
check_gt "ep apply was killed midway: more than 50 links made" "$made" 50
check_gt "and fewer than 201" 201 "$(cb_links | wc -l)"
echo "# killed with $(cb_links | wc -l) links, $(our_k_netns | wc -l) namespaces;" \
	"$(recorded_count) endpoints recorded"

# Before recovery the store already agrees with the host for every finished add.
recorded=$(recorded_count)
check_gt "the batch was cut short: fewer than 201 endpoints recorded" 201 "$recorded"
check_eq "every recorded endpoint's link exists before recovery" "" \
	"$(comm -23 <(listed_links) <(cb_links))"
# Leftovers the kill may or may not have left, made for sure: links named as cbpfnet names
# them and a namespace recorded as created by it, none of them recorded as an endpoint's; and
# look-alikes that are not cbpfnet's, which must stay.
in_ns h1 ip link add cbe7777 type veth peer name lo7777
in_ns h1 ip link add cbm9 link ul0 type macvlan
in_ns h1 ip link add cbe07 type veth peer name lo07
in_ns h1 ip link add cbefoo type veth peer name lofoo
ip netns add "$P-orphan"
ip netns add "$P-foreign"
sqlite3 "$DB" "INSERT INTO owned_netns VALUES ('$P-orphan')"
: >"$WORK/h1.agent.log"
check "the agent starts again after the kill (recovery)" agent_start h1
sed 's/^/# /' "$WORK/h1.agent.log"
check_contains "recovery deleted the unrecorded veth" "deleted link cbe7777" "$(cat "$WORK/h1.agent.log")"
check_contains "and the unrecorded macvlan shim" "deleted link cbm9" "$(cat "$WORK/h1.agent.log")"
check_contains "and the namespace it created for no endpoint" "deleted netns $P-orphan" \
	"$(cat "$WORK/h1.agent.log")"
check "look-alike links not named by cbpfnet stay" in_ns h1 ip link show cbe07
check "look-alike links not named by cbpfnet stay (cbefoo)" in_ns h1 ip link show cbefoo
check "a namespace cbpfnet did not create stays" ip netns pids "$P-foreign"
check_fail "the orphan namespace is gone" ip netns pids "$P-orphan"
check_eq "links present are exactly the recorded endpoints' (no leak, none missing)" \
	"$(listed_links)" "$(cb_links)"
check_eq "ep list count equals links present" "$(cb_links | wc -l)" \
	"$(cbn --json ep list | jq length)"
check_eq "recovery kept every endpoint recorded before it" "$recorded" \
	"$(cbn --json ep list | jq length)"
check_eq "namespaces present are exactly the recorded endpoints' (no leak)" \
	"$(listed_k_netns)" "$(our_k_netns)"
check_eq "no address allocated twice" "$(cbn --json ep list | jq '[.[].ip] | length')" \
	"$(cbn --json ep list | jq '[.[].ip] | unique | length')"
check_eq "one allocation per endpoint, unique per network" "$(cbn --json ep list | jq length) 0" \
	"$(sqlite3 "$DB" 'SELECT count(*) FROM allocations' \
		"SELECT count(*) FROM (SELECT net_id, ip FROM allocations GROUP BY 1, 2 HAVING count(*) > 1)" |
		paste -sd' ')"
check_eq "endpoint map holds the recorded endpoints" "$(cbn --json ep list | jq length)" \
	"$(map_dump h1 cbpf_endpoints | jq length)"
max_id=$(sqlite3 "$DB" 'SELECT max(id) FROM endpoints')
check_gt "the endpoint id counter was saved past every id used" \
	"$(sqlite3 "$DB" "SELECT value FROM counters WHERE name = 'next_ep_id'")" "$max_id"

next_id() { sqlite3 "$DB" "SELECT value FROM counters WHERE name = 'next_ep_id'"; }
id_before=$(next_id)
echo "{\"op\": \"add\", \"name\": \"dup\", \"net\": \"web\", \"netns\": \"$P-k20\", \"create_netns\": true}" >"$WORK/dup.json"
check_fail "an add creating k20's namespace again fails" cbn ep apply "$WORK/dup.json"
check_eq "k20's namespace is still recorded as cbpfnet's, the id given back" "$P-k20 $id_before" \
	"$(sqlite3 "$DB" "SELECT name FROM owned_netns WHERE name = '$P-k20'") $(next_id)"
ns_add z1
check "later ep add works" cbn ep add z1 --net web --netns "$P-z1"
k_ip=$(cbn --json ep list | jq -r '.[] | select(.name == "k10") | .ip')
check "z1 pings recorded k10 ($k_ip)" ping_ok z1 "$k_ip"
check "ep del of a recorded endpoint works" cbn ep del k10
echo '{"op": "del", "name": "k11", "delete_netns": true}' >"$WORK/del.json"
check "ep apply del with delete_netns of a recovered endpoint" cbn ep apply "$WORK/del.json"
check_fail "k11's namespace is gone" ip netns pids "$P-k11"
check "load again" cbn load
check "k10's namespace, kept by its del, is not taken as a leftover" ip netns pids "$P-k10"
check_eq "links still match the store" "$(listed_links)" "$(cb_links)"

# --- the store moved away, emptied or damaged next to live pins ----------------------------
maps_snapshot() {
	for m in cbpf_endpoints cbpf_networks cbpf_policy; do
		map_dump h1 $m | jq -S -c 'sort_by(.key)'
	done
}
before=$(maps_snapshot)
mkdir "$WORK/aside"
mv "$DB" "$DB-wal" "$DB-shm" "$WORK/aside/" 2>/dev/null
err=$(cbn load 2>&1)
check_eq "store moved away: load refuses" 1 "$?"
check_contains "saying why and naming the store" "no store in $WORK/h1/state" "$err"
check_eq "maps untouched" "$before" "$(maps_snapshot)"
check_fail "no database created by the refusal" test -e "$DB"
err=$(cbn net create other --subnet 10.61.0.0/24 2>&1)
check_eq "store moved away: net create refuses to rebuild the maps" 1 "$?"
check_contains "saying the store records no endpoint" "records no endpoint but the endpoint map holds some" "$err"
check_eq "maps untouched" "$before" "$(maps_snapshot)"
rm -f "$DB" "$DB-wal" "$DB-shm"

: >"$DB"
err=$(cbn load 2>&1)
check_eq "empty database: load refuses" 1 "$?"
check_contains "saying the store records nothing" "records nothing but the maps pinned" "$err"
check_eq "maps untouched" "$before" "$(maps_snapshot)"
rm -f "$DB" "$DB-wal" "$DB-shm"
mv "$WORK/aside/"* "$WORK/h1/state/"
check "store back: load" cbn load
check_eq "maps as before" "$before" "$(maps_snapshot)"

# --- the history.db of earlier versions: imported on the agent's first start, never again ----
mkdir -p "$WORK/h2/state"
old_history_db "$WORK/h2/state/history.db" "(5, 'old-web', 2, 8, 9, 5, 0.6, 0.4, 0, 'classifier',
	'r', 1, '2026-01-01T00:00:00Z', 1, '2026-01-02T00:00:00Z'),
	(6, 'old-db', 9, 1, 1, 1, 0.9, 0.1, 0, 'classifier', 'r', 1, '2026-01-01T00:00:00Z', NULL, NULL)"
host_add h2 2
history_ids() { api h2 GET /v1/model/history | head -n -1 | jq -r 'map(.decision) | join(",")'; }
check_eq "the agent's first start imported both decisions" "5,6" "$(history_ids)"
check_eq "the imported, labelled decision answers the cache through the API" "true 5 macvlan" \
	"$(api h2 POST /v1/model/decide '{"network": "new-web", "security": 2, "scale": 8,
		"efficiency": 9, "extensibility": 5}' | head -n -1 | jq -r '"\(.cached) \(.cached_from) \(.choice)"')"
agent_stop h2
check "the agent starts again" agent_start h2
check_eq "the second start imported nothing again" "5,6,7" "$(history_ids)"
check_eq "one database file, history.db renamed aside" "cbpfnet.db history.db.imported" \
	"$(cd "$WORK/h2/state" && echo *.db *.imported)"

# --- commands too close together for a quiet spell: the log is checkpointed beside them ----
# A commit that checkpointed a long log itself waited for the database's sync: one CNI ADD in
# every 265 of a run took 15-90 ms. With quiet spells of a minute, the agent's quiet
# checkpoint cannot be what empties the log here.
agent_stop h2
check "h2: the agent starts with --recheck 60000" agent_start h2 --recheck 60000
check "h2: network run" cb h2 net create run --subnet 10.62.0.0/16
log_pages() {
	local size
	size=$(stat -c %s "$WORK/h2/state/cbpfnet.db-wal" 2>/dev/null) || size=32
	echo $(((size - 32) / (4096 + 24)))
}
# The log is sampled after each add, and the agent may empty it between an add's commit and
# the sample: the last sample before it emptied is within one add's growth (step, as the add
# before wrote) of the mark.
most=0 emptied_at=0 failed=0 prev=0 grew=0 step=0
for i in $(seq 0 199); do
	ns_add "r$i"
	cb h2 ep add "r$i" --net run --netns "$P-r$i" >/dev/null || failed=$((failed + 1))
	pages=$(log_pages)
	[ "$pages" -gt "$most" ] && most=$pages
	if [ "$emptied_at" = 0 ] && [ "$pages" -lt $((most / 4)) ]; then
		emptied_at=$most step=$grew
	fi
	grew=$((pages - prev)) prev=$pages
done
echo "# the log reached $most pages; emptied at $emptied_at, after an add of $step pages"
check_eq "200 ep adds, one command each" 0 "$failed"
check_gt "the log was emptied during the run, once past 1024 pages (within an add's $step)" \
	"$((emptied_at + step))" 1023
check_gt "... before a commit would have checkpointed it itself (2048 pages)" 2048 "$emptied_at"
check_eq "every endpoint recorded and in the endpoint map" "200 200" \
	"$(cb h2 --json ep list | jq length) $(map_dump h2 cbpf_endpoints | jq length)"
# Its thread's own errors (a checkpoint that failed) come as "cbpfnet: ..." lines.
check_eq "the agent logged no error" "" \
	"$(grep -E ' (warn|error) |^cbpfnet: ' "$WORK/h2.agent.log")"

check "checkpoint the log into the database file" sqlite3 "$DB" 'PRAGMA wal_checkpoint(TRUNCATE)'
for page in 2 3 4 5; do
	printf 'garbage!garbage!' | dd of="$DB" bs=1 seek=$((page * 4096 - 4096)) conv=notrunc 2>/dev/null
done
sum=$(sha256sum <"$DB")
err=$(cbn ep list 2>&1)
check_eq "damaged database: ep list fails" 1 "$?"
check_contains "saying so and naming the file" "$DB" "$err"
check_contains "with SQLite's reason" "database disk image is malformed" "$err"
err=$(cbn load 2>&1)
check_eq "damaged database: load fails" 1 "$?"
agent_stop h1
: >"$WORK/h1.agent.log"
check_fail "damaged database: the agent refuses to start" agent_start h1
check_contains "saying why and naming the file" "$DB: read networks: database disk image is malformed" \
	"$(cat "$WORK/h1.agent.log")"
check_eq "the file is unchanged" "$sum" "$(sha256sum <"$DB")"
check_eq "maps untouched" "$before" "$(maps_snapshot)"
check "the datapath keeps forwarding without an agent: z1 pings a1" ping_ok z1 10.60.0.2

lib_finish
