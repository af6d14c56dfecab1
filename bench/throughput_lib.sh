# shellcheck shell=bash
# Shared by the throughput benchmarks: iperf3 runs between namespaces, medians, table rows.
# Source after tests/lib.sh and lib_init. Parameters (environment):
#   RUNS             iperf3 runs per path (default 5); paths are interleaved run by run so
#                    that load from other users of the machine spreads over all of them
#   SECONDS_PER_RUN  measured seconds per run (default 5), after 1 s omitted for slow start
#   STREAMS          parallel TCP streams per run (default 1)

RUNS=${RUNS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-5}
STREAMS=${STREAMS:-1}
IPERF_PORT=5201

# die MESSAGE: a setup step failed; the run stops (lib.sh's trap cleans up).
die() {
	echo "setup failed: $*" >&2
	exit 1
}

# wait_listen NS PORT: until a TCP listener on PORT exists in NS (2 s at most).
wait_listen() {
	for _ in $(seq 40); do
		in_ns "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	return 1
}

# iperf_gbps SRC_NS DST_NS DST_ADDR: one run; prints "Gbit/s retransmits", or "0 -" with the
# reason on stderr when the transfer failed or stalled.
iperf_gbps() {
	local src=$1 dst=$2 addr=$3 out="$WORK/iperf.$1.json" pid limit
	limit=$((SECONDS_PER_RUN + 15))
	in_ns "$dst" timeout "$limit" iperf3 -s -1 -p "$IPERF_PORT" >/dev/null 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if ! wait_listen "$dst" "$IPERF_PORT"; then
		echo "iperf3 server in $dst did not start" >&2
		echo "0 -"
		return
	fi
	if ! in_ns "$src" timeout "$limit" iperf3 -c "$addr" -p "$IPERF_PORT" -t "$SECONDS_PER_RUN" \
		-O 1 -P "$STREAMS" -J >"$out" 2>&1; then
		echo "iperf3 $src -> $addr failed: $(jq -r '.error // empty' "$out" 2>/dev/null || head -c 200 "$out")" >&2
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo "0 -"
		return
	fi
	wait "$pid" 2>/dev/null
	jq -r '"\(.end.sum_received.bits_per_second / 1e9) \(.end.sum_sent.retransmits)"' "$out"
}

# median VALUES...: the median (mean of the middle two for an even count).
median() {
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1} END {
		if (NR == 0) { print "nan"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# spread VALUES...: "min-max" with two decimals.
spread() {
	printf '%s\n' "$@" | sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%.2f-%.2f", lo, hi}'
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# meets A B TARGET: "yes" when A / B >= TARGET.
meets() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { print (b > 0 && a / b >= t) ? "yes" : "no" }'; }

# bench_header: the conditions of this run, as Markdown.
bench_header() {
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) CPUs, load average" \
		"$(cut -d' ' -f1-3 /proc/loadavg) at start; $RUNS runs x ${SECONDS_PER_RUN} s" \
		"(+1 s omitted), $STREAMS TCP stream(s) each, iperf3 $(iperf3 --version | awk 'NR == 1 {print $2}')"
	echo
}

# drops_total HOST: packets cbpfnet dropped on HOST, all reasons ("reason=N" list when any).
drops_total() {
	cb "$1" --json status | jq -r '[.drops | to_entries[] | select(.value.packets > 0) |
		"\(.key)=\(.value.packets)"] | if length == 0 then "none" else join(" ") end'
}
