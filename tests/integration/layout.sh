#!/usr/bin/env bash
# The source tree as the architecture: user/reconcile/ is the one writer of BPF maps, links and
# attachments (issue 11), and every file but main.c sits in its concept's folder (issue 14).
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
