#!/usr/bin/env bash
# Policy compile time against the number of port entries of one identity pair: how it grows
# when the file doubles. Prints, per size, the median of RUNS `policy check` times (parse and
# compile of the file against the state, as the daemon does before installing; the "ms" of
# `policy check --json`), the fastest of them, and the ratio of the fastest to the size before
# (the fastest is the least disturbed by other jobs on the machine). Near-linear growth is a
# ratio near 2 per doubling (n log n: a little above).
#
#   bench/policy_compile_scale.sh            (root; SIZES="1000 2000 ... 64000" RUNS=7)
#
# The file: net:neta -> net:netb, a TCP deny listing N port ranges scattered over the port
# space (overlapping, some repeated), and an allow at priority 10 listing N/8 more; every
# entry is in the same pair, so one group is compiled. Only the compile is timed.
source "$(dirname "$0")/../tests/lib.sh"
SIZES=${SIZES:-"1000 2000 4000 8000 16000 32000 64000"}
RUNS=${RUNS:-7}
lib_init

host_add h1 1
cb h1 load >/dev/null
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 net create netb --subnet 10.2.0.0/24 >/dev/null

ports() { # N SEED: N ranges "LO-HI", LO scattered by a multiplier odd modulo 65536
	awk -v n="$1" -v m="$2" 'BEGIN { for (k = 0; k < n; k++) {
		lo = (k * m) % 65536; hi = lo + k % 7; if (hi > 65535) hi = 65535
		printf "%s\"%d-%d\"", k ? "," : "", lo, hi } }'
}
policy_file() { # N
	printf '{"rules": [\n{"from": "net:neta", "to": "net:netb", "action": "deny", "protocol": "tcp", "ports": [%s]},\n' "$(ports "$1" 40503)"
	printf '{"from": "net:neta", "to": "net:netb", "action": "allow", "protocol": "tcp", "priority": 10, "ports": [%s]}\n]}\n' "$(ports $(($1 / 8)) 9973)"
}

printf '# %s\n' "$(date -u '+%F %H:%M UTC') $(git -C "$REPO" rev-parse --short HEAD) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $RUNS runs per size"
printf '%8s %10s %10s %8s %10s\n' ports median_ms min_ms ratio entries
prev=
for n in $SIZES; do
	policy_file "$n" >"$WORK/p.json"
	times=()
	for ((r = 0; r < RUNS; r++)); do
		out=$(cb h1 --json policy check "$WORK/p.json") || { echo "policy check failed at $n: $out"; exit 1; }
		times+=("$(echo "$out" | jq .ms)")
		entries=$(echo "$out" | jq .entries)
	done
	median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n "$(((RUNS + 1) / 2))p")
	min=$(printf '%s\n' "${times[@]}" | sort -g | head -1)
	ratio=$([ -n "$prev" ] && awk -v a="$min" -v b="$prev" 'BEGIN { printf "%.2f", a / b }' || echo -)
	printf '%8d %10.1f %10.1f %8s %10d\n' $((n + n / 8)) "$median" "$min" "$ratio" "$entries"
	prev=$min
done
