#!/usr/bin/env bash
# Runs every test program and integration script; each prints TAP-style "ok - ..." or
# "not ok - ..." lines. Closes with "N passed, N failed" and exits non-zero on any failure.
set -u
cd "$(dirname "$0")/.."

filter=${1:-}
passed=0
failed=0
failures=()

run_one() {
	local name=$1
	shift
	local out
	echo "# $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	local rc=${PIPESTATUS[0]}
	local p f
	p=$(grep -c '^ok ' "$out")
	f=$(grep -c '^not ok ' "$out")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name ran no check"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	[ "$f" -eq 0 ] || failures+=("$name")
	rm -f "$out"
}

for bin in build/tests/unit/test_* build/tests/bpf/test_*; do
	[ -x "$bin" ] || continue
	case "$bin" in *"$filter"*) run_one "$bin" "$bin" ;; esac
done
# The same unit and BPF fixture tests built with ASan and UBSan (make asan): a sanitizer report
# aborts the program, which fails it.
for src in tests/unit/test_*.c tests/bpf/test_*.c; do
	bin=build-asan/${src%.c}
	case "$bin" in *"$filter"*) ;; *) continue ;; esac
	if [ -x "$bin" ]; then
		run_one "$bin" env ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
			UBSAN_OPTIONS=print_stacktrace=1 "$bin"
	else
		run_one "$bin" echo "not ok - $bin is missing (make asan)"
	fi
done
# Each fuzz target for a few seconds over its seeds (make fuzz runs them longer).
for src in tests/fuzz/fuzz_*.c; do
	target=${src#tests/fuzz/fuzz_}
	target=${target%.c}
	case "fuzz $target" in *"$filter"*) run_one "fuzz $target" tests/fuzz/run.sh "$target" \
		"${FUZZ_TEST_SECONDS:-12}" ;; esac
done
for script in tests/integration/*.sh; do
	[ -f "$script" ] || continue
	case "$script" in *"$filter"*) run_one "$script" bash "$script" ;; esac
done

[ "${#failures[@]}" -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
