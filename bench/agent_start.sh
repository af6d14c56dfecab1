#!/usr/bin/env bash
# Agent start-up and memory with N endpoints recorded: the time from exec to the API answering
# (datapath loaded or found, maps and attachments reconciled with the store), and the agent's
# resident memory then, against the same agent with no endpoint, in the same run.
#
#   bench/agent_start.sh [N] [RESTARTS]      (default 5000 endpoints, 5 restarts each)
#   MODEL=overlay bench/agent_start.sh ...   veth endpoints of an overlay network instead
#   OLD=/path/to/old/cbpfnet bench/agent_start.sh [N] [RESTARTS]
#                                            then the two builds in turn on the same host, two
#                                            rounds: each build's first start after the other's
#                                            reloads the programs (an upgrade) and is reported
#                                            apart; the RESTARTS after it give the build's median
#
# Endpoints are macvlan endpoints (or veth, MODEL=overlay) in namespaces of their own (one
# `ep apply`), so the start reconciles N interfaces' links and map entries, not just maps. See docs/benchmarks.md.
source "$(dirname "$0")/../tests/lib.sh"
N=${1:-5000}
RESTARTS=${2:-5}
[ "$N" -le 5000 ] || { echo "at most 5000 endpoints" >&2; exit 1; }
lib_init
host_add h1 1

# restart FILE: one restart of h1's agent ($CBPFNET); appends ready ms and RSS MB to FILE.
restart() {
	local t0 t1
	agent_stop h1 >/dev/null
	t0=${EPOCHREALTIME/./}
	agent_start h1 || { echo "agent did not start" >&2; exit 1; }
	t1=${EPOCHREALTIME/./}
	echo "$(((t1 - t0) / 1000)) $(awk '/VmRSS/ {print $2 / 1024}' "/proc/${AGENT_PIDS[h1]}/status")" \
		>>"$1"
}

# median COLUMN FILE
median() { awk -v c="$1" '{print $c}' "$2" | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# measure LABEL: RESTARTS restarts; appends LABEL, median ready ms and median RSS MB to
# $WORK/results (not printed into a command substitution: the agents it starts are this shell's).
measure() {
	local r
	: >"$WORK/starts"
	for ((r = 0; r < RESTARTS; r++)); do restart "$WORK/starts"; done
	printf '%s %s %.1f\n' "$1" "$(median 1 "$WORK/starts")" "$(median 2 "$WORK/starts")" \
		>>"$WORK/results"
}

# alternate: the old build and this one in turn, two rounds; prints each build's medians.
alternate() {
	local round build bin r
	: >"$WORK/old.starts" && : >"$WORK/new.starts" && : >"$WORK/old.upgrades" && : >"$WORK/new.upgrades"
	for round in 1 2; do
		for build in old new; do
			bin=$CBPFNET
			[ "$build" = old ] && bin=$OLD
			CBPFNET=$bin restart "$WORK/$build.upgrades"
			for ((r = 0; r < RESTARTS; r++)); do CBPFNET=$bin restart "$WORK/$build.starts"; done
		done
	done
	echo "# the two builds in turn at $N endpoints: median ready ms of $((2 * RESTARTS)) restarts" \
		"each, and of the 2 first starts after the other build (programs reloaded)"
	echo "old ($OLD) ready $(median 1 "$WORK/old.starts") upgrade $(median 1 "$WORK/old.upgrades")"
	echo "new ($CBPFNET) ready $(median 1 "$WORK/new.starts") upgrade $(median 1 "$WORK/new.upgrades")"
	echo "ratio new/old ready $(awk -v a="$(median 1 "$WORK/new.starts")" \
		-v b="$(median 1 "$WORK/old.starts")" 'BEGIN {printf "%.2f", a / b}')"
}

case ${MODEL:=macvlan} in
macvlan) model_args=(--model macvlan --parent ul0 --mode bridge) ;;
overlay) model_args=(--model overlay --vni 44) ;;
*) echo "MODEL: macvlan or overlay" >&2; exit 1 ;;
esac
cb h1 net create mv "${model_args[@]}" --subnet 10.44.0.0/16 >/dev/null
measure 0
for ((i = 0; i < N; i++)); do
	echo "{\"op\": \"add\", \"name\": \"s$i\", \"net\": \"mv\", \"netns\": \"$P-s$i\", \"create_netns\": true}"
done >"$WORK/add.json"
cb h1 ep apply "$WORK/add.json" >/dev/null || { echo "ep apply failed" >&2; exit 1; }
measure "$N"
echo "# endpoints ready_ms rss_mb (medians of $RESTARTS restarts; the start polls the API every 50 ms)"
cat "$WORK/results"
read -r _ e_ms e_mb < <(sed -n 1p "$WORK/results")
read -r _ f_ms f_mb < <(sed -n 2p "$WORK/results")
echo "ratio ready $(awk -v a="$f_ms" -v b="$e_ms" 'BEGIN {printf "%.2f", a / b}')" \
	"rss $(awk -v a="$f_mb" -v b="$e_mb" 'BEGIN {printf "%.2f", a / b}')"
[ -z "${OLD:-}" ] || alternate
for ((i = 0; i < N; i++)); do echo "{\"op\": \"del\", \"name\": \"s$i\", \"delete_netns\": true}"; done >"$WORK/del.json"
cb h1 ep apply "$WORK/del.json" >/dev/null
# Issue 11's budget at N endpoints: ready within 1 s, RSS within 50 MB; the exit status says.
if [ "$f_ms" -le 1000 ] && awk -v m="$f_mb" 'BEGIN {exit !(m <= 50)}'; then
	echo "budget: ready $f_ms ms <= 1000 ms, RSS $f_mb MB <= 50 MB: within"
else
	echo "budget: ready $f_ms ms (1000 ms), RSS $f_mb MB (50 MB): EXCEEDED"
	exit 1
fi
