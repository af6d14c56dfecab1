#!/usr/bin/env bash
# The source tree as the architecture: user/reconcile/ is the one writer of BPF maps, links and
# attachments (issue 11), every file but main.c sits in its concept's folder and the policy
# stages have no include cycle (issue 14).
# Reads the tree only: no namespaces, no root.
set -u
cd "$(dirname "$0")/../.."

# Every libbpf call that writes a map entry or attaches or detaches a program.
writes='\b(bpf_map_(update|delete)_(elem|batch)|bpf_map__(update|delete)_elem|bpf_link_create|bpf_link_detach|bpf_prog_(attach|detach)[a-z_]*|bpf_program__attach[a-z_]*|bpf_xdp_(attach|detach)|bpf_tc_(attach|detach))\s*\('

result() {
	if [ "$1" -eq 0 ]; then echo "ok - $2"; else echo "not ok - $2"; fi
}

# The pattern itself must match the reconciler's writes, or the next check proves nothing.
inside=$(grep -rEl "$writes" user/reconcile --include='*.c' | wc -l)
result "$([ "$inside" -ge 3 ] && echo 0 || echo 1)" \
	"the write pattern finds the reconciler's writes ($inside files in user/reconcile/)"

outside=$(grep -rEn "$writes" user --include='*.c' --include='*.h' | grep -v '^user/reconcile/')
[ -z "$outside" ] || printf '# %s\n' "$outside"
result "$([ -z "$outside" ] && echo 0 || echo 1)" \
	"no map, link or attachment write in user/ outside user/reconcile/"

loose=$(find user -maxdepth 1 -type f \( -name '*.c' -o -name '*.h' \) ! -name main.c | sort)
[ -z "$loose" ] || printf '# loose: %s\n' $loose
result "$([ -z "$loose" ] && echo 0 || echo 1)" "no source file in user/ itself but main.c"

# Include cycles (a file and its header count as one module): the policy stages (parse, resolve,
# compile, then the reconciler's install) and the store, network, endpoint and reconciler folders
# must be in none, so each can be read and tested from the bottom up.
cycles=$(python3 - <<'PY'
import os, re, sys

edges = {}
for d, _, files in os.walk("user"):
    for f in files:
        if not f.endswith((".c", ".h")):
            continue
        path = os.path.join(d, f)
        mod = path[len("user/"):].rsplit(".", 1)[0]
        with open(path) as src:
            for inc in re.findall(r'^#include "([^"]+)\.h"', src.read(), re.M):
                if inc != mod and os.path.exists(f"user/{inc}.h"):
                    edges.setdefault(mod, set()).add(inc)

index, low, stack, on, count = {}, {}, [], set(), [0]
sys.setrecursionlimit(10000)

def visit(v):
    index[v] = low[v] = count[0]
    count[0] += 1
    stack.append(v)
    on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop()
            on.discard(w)
            comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            print(" ".join(sorted(comp)))

print("edges", sum(len(e) for e in edges.values()))
for v in list(edges):
    if v not in index:
        visit(v)
PY
)
# The graph must have been read, or "no cycle" proves nothing.
nedges=$(echo "$cycles" | awk '$1 == "edges" {print $2}')
result "$([ "${nedges:-0}" -ge 200 ] && echo 0 || echo 1)" \
	"the include graph was read (${nedges:-no} edges between user/ files)"
guarded=$(echo "$cycles" | grep -E '(^| )(policy|reconcile|store|json|net|ep)/' || true)
[ -z "$guarded" ] || printf '# cycle: %s\n' "$guarded"
result "$([ -z "$guarded" ] && echo 0 || echo 1)" \
	"no include cycle through policy/, reconcile/, store/, json/, net/ or ep/"

# Folder cycles: folder A depends on folder B when a file of A includes a header of B. Each
# folder must sit above the ones it includes, so that the tree reads bottom up (core/, store/,
# link/ ... cli/).
folders=$(python3 - <<'PY'
import os, re, sys

root = "user"
graph = {}
for d, _, files in os.walk(root):
    folder = os.path.relpath(d, root)
    if folder == ".":
        continue
    for f in files:
        if not f.endswith((".c", ".h")):
            continue
        path = os.path.join(d, f)
        name = os.path.relpath(path, root)
        with open(path) as src:
            for to, rest in re.findall(r'^#include "([^"/]+)/([^"]+)"', src.read(), re.M):
                header = f"{to}/{rest}"
                if to == folder or not os.path.exists(os.path.join(root, header)):
                    continue
                graph.setdefault(folder, {}).setdefault(to, f"{name} -> {header}")

print("folders", len(graph), "edges", sum(len(e) for e in graph.values()))


# The shortest chain of includes from start back to start, or None.
def path_back(start):
    prev, todo = {start: None}, [start]
    while todo:
        v = todo.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == start:
                chain, u = [graph[v][w]], v
                while prev[u] is not None:
                    chain.append(graph[prev[u]][u])
                    u = prev[u]
                return list(reversed(chain))
            if w not in prev:
                prev[w] = v
                todo.append(w)
    return None


# One cycle per folder in one, unless an earlier cycle went through it.
done = set()
for folder in sorted(graph):
    chain = None if folder in done else path_back(folder)
    if chain:
        done.update(link.split("/")[0] for link in chain)
        print("cycle: " + ", ".join(chain))
PY
)
fedges=$(echo "$folders" | awk '$1 == "folders" {print $4}')
result "$([ "${fedges:-0}" -ge 30 ] && echo 0 || echo 1)" \
	"the folder graph was read (${fedges:-no} edges between user/ folders)"
bad=$(echo "$folders" | grep -E '^cycle:' || true)
[ -z "$bad" ] || echo "$bad" | sed 's/^/# /'
result "$([ -z "$bad" ] && echo 0 || echo 1)" \
	"no include cycle between folders of user/"
