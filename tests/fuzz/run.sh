#!/usr/bin/env bash
# Runs one libFuzzer target, build-asan/fuzz/fuzz_TARGET, for SECONDS over its committed seeds
# (tests/fuzz/corpus/TARGET) and prints one TAP line. What the run discovers goes to
# $FUZZ_CORPUS/TARGET when FUZZ_CORPUS is set (make fuzz: build-asan/fuzz/corpus, so long runs
# build on each other), else to a temporary directory; never into the repository. A crashing
# input is kept in build-asan/fuzz/crashes/, to be replayed with `build-asan/fuzz/fuzz_TARGET
# FILE` and committed as a regression seed.
set -u
cd "$(dirname "$0")/../.." || exit 1

target=${1:?usage: tests/fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-60}
bin=build-asan/fuzz/fuzz_$target
seeds=tests/fuzz/corpus/$target
crashes=build-asan/fuzz/crashes

if [ ! -x "$bin" ]; then
	echo "not ok - fuzz $target: $bin is missing (make fuzz-build)"
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
new=$work/new
[ -n "${FUZZ_CORPUS:-}" ] && new=$FUZZ_CORPUS/$target
mkdir -p "$new"
dict=()
[ -f "tests/fuzz/$target.dict" ] && dict=(-dict="tests/fuzz/$target.dict")

# The targets print their parsers' complaints: -close_fd_mask=3 silences them, while libFuzzer and
# the sanitizers keep reporting on a copy of stderr. libFuzzer stops itself at max_total_time;
# timeout(1) is there for a run that would not.
timeout --kill-after=10 $((seconds + 60)) "$bin" -max_total_time="$seconds" -timeout=10 \
	-rss_limit_mb=2048 -max_len=4096 -close_fd_mask=3 -print_final_stats=1 \
	-artifact_prefix="$work/" "${dict[@]}" "$new" "$seeds" >"$work/log" 2>&1
rc=$?

execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log")
cov=$(grep -E '^#[0-9]+' "$work/log" | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -1)
corp=$(grep -E '^#[0-9]+' "$work/log" | grep -o 'corp: [0-9]*/[0-9]*[a-zA-Z]*' | tail -1)
inited=$(grep -m1 'INITED' "$work/log" | grep -o 'cov: [0-9]* ft: [0-9]*')
echo "# fuzz $target: ${seconds}s, seeds ${inited:-?}, end ${cov:-?} ${corp:-}"
if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
	echo "ok - fuzz $target: $execs execs, no crash"
	exit 0
fi
mkdir -p "$crashes"
for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-* "$work"/slow-unit-*; do
	[ -f "$a" ] || continue
	cp "$a" "$crashes/${target}-$(basename "$a")"
	echo "# kept $crashes/${target}-$(basename "$a")"
done
grep -E 'ERROR|runtime error|SUMMARY|==[0-9]+==|#[0-9]+ 0x' "$work/log" | grep -vE 'fuzzer::|libc_start|in _start|in main ' | head -30 | sed 's/^/# /'
echo "not ok - fuzz $target: exit status $rc after ${execs:-?} execs (see the lines above)"
exit 1
