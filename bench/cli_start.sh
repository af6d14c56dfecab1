#!/usr/bin/env bash
# Start-up of the command line: `cbpfnet --version` and an `ep add` refused for want of an agent
# (start, option check, error), wall time p50/p90 over RUNS runs in turns of 20, this build
# against another one in the same run, and CPU time and page faults per run from getrusage.
# With AGENT=1 (root), also `net list` answered by an agent (this build's, in a simulated host of
# the test harness): the path of every command the agent runs, `ep add` included.
#
#   OLD=/path/to/old/cbpfnet [AGENT=1] bench/cli_start.sh [RUNS]      (default 100)
set -eo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
NEW=${CBPFNET:-$REPO/cbpfnet}
OLD=${OLD:?OLD=/path/to/another/cbpfnet}
RUNS=${1:-100}
STATE=
if [ -n "${AGENT:-}" ]; then
	source "$REPO/tests/lib.sh"
	lib_init
	host_add h1 1 >/dev/null
	STATE=$WORK/h1/state
fi
python3 - "$OLD" "$NEW" "$RUNS" "$STATE" <<'PY'
import resource, subprocess, sys, time

old, new, runs, state = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
bins = {"old": old, "new": new}
cases = {"--version": ["--version"],
         "ep add, no agent": ["--state", "/nonexistent-cbpfnet-state", "ep", "add", "x",
                              "--net", "n", "--netns", "y"]}
if state:
    cases["net list, agent"] = ["--state", state, "net", "list"]
times = {}
for _ in range(max(1, runs // 20)):
    for name, path in bins.items():
        for case, args in cases.items():
            for _ in range(20):
                t = time.perf_counter()
                subprocess.run([path] + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                times.setdefault((case, name), []).append(time.perf_counter() - t)
print("# case build p50_ms p90_ms new/old_p50")
for case in cases:
    p50 = {}
    for name in bins:
        v = sorted(times[(case, name)])
        p50[name] = v[len(v) // 2] * 1e3
        print("%s\t%s\t%.2f\t%.2f" % (case, name, p50[name], v[int(len(v) * 0.9)] * 1e3))
    print("%s\tratio\t%.2f" % (case, p50["new"] / p50["old"]))
for name, path in bins.items():
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(50):
        subprocess.run([path, "--version"], stdout=subprocess.DEVNULL)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    print("%s --version: CPU %.2f ms, %d page faults per run" %
          (name, cpu / 50 * 1e3, (r1.ru_minflt - r0.ru_minflt) / 50))
PY
