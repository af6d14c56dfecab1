#!/usr/bin/env bash
# README's "Your first network on your own machine" block, run as it stands: extracted from the
# README, in a namespace that stands for the reader's host, with cbpfnet pointed at this run's
# bpffs and state and every namespace the block names given this run's prefix (wrappers below;
# the block itself is not edited). Asserts its outcome and that its cleanup left nothing.
source "$(dirname "$0")/../lib.sh"
lib_init

block=$(awk '/^## Your first network on your own machine/ {s = 1} s && /^```sh$/ {b = 1; next}
	b && /^```$/ {exit} b {print}' "$REPO/README.md")
check "README has the walkthrough block" test -n "$block"

ip netns add "$P-me"
ip -n "$P-me" link set lo up
mkdir -p "$WORK/me/bpffs" "$WORK/me/state"
mount -t bpf bpf "$WORK/me/bpffs"
HOSTS+=(me)

cat >"$WORK/walkthrough.sh" <<PRELUDE
set -u
CBPFNET=$CBPFNET PFX=$P BPFFS=$WORK/me/bpffs STATE=$WORK/me/state
PRELUDE
cat >>"$WORK/walkthrough.sh" <<'PRELUDE'
# cbpfnet on this run's pins and state; a namespace name gets the run's prefix. Run in the
# background (the agent), it execs, so that $! is the agent itself.
cbpfnet() {
	local args=() prev=
	for a in "$@"; do
		[ "$prev" = --netns ] && args+=("$PFX-$a") || args+=("$a")
		prev=$a
	done
	[ "$BASHPID" = "$$" ] || exec "$CBPFNET" --bpffs "$BPFFS" --state "$STATE" "${args[@]}"
	"$CBPFNET" --bpffs "$BPFFS" --state "$STATE" "${args[@]}"
}
ip() {
	if [ "${1-}" = netns ]; then
		case "${2-}" in add | del | exec)
			local op=$2 ns=$3
			shift 3
			command ip netns "$op" "$PFX-$ns" "$@"
			return
			;;
		esac
	fi
	command ip "$@"
}
set -e
PRELUDE
echo "$block" >>"$WORK/walkthrough.sh"
echo 'echo "walkthrough: done"' >>"$WORK/walkthrough.sh"

out=$(timeout 120 nsenter --net="/run/netns/$P-me" bash "$WORK/walkthrough.sh" 2>&1)
rc=$?
check_eq "the walkthrough runs to its end, exit 0" "0 walkthrough: done" "$rc $(tail -1 <<<"$out")"
[ "$rc" -eq 0 ] || tail -20 <<<"$out" | sed 's/^/#   /'
check_contains "web1 reaches web2" "1 received" "$(grep -A1 -- '--- 10.10.0.3 ping' <<<"$out")"
check_contains "web1 does not reach db1 before the allow" "web1 -> db1: no answer" "$out"
check_contains "the allow opens web1 -> db1" "1 packets transmitted, 1 received" \
	"$(grep -A1 -- '--- 10.20.0.2 ping' <<<"$out" | grep transmitted | sed -n 2p)"
check_contains "web2 -> db1 is denied" "web2 -> db1: denied" "$out"
check_eq "the denied sender saw loss, not an error" "" "$(grep -i 'sendmsg\|No buffer space' <<<"$out")"
check_contains "explain names the deny and its rule" "web2 -> db1: deny (policy-deny)
  rule s2 at policy set rule 2: ep:web2 -> ep:db1 deny" "$out"
check_contains "policy list shows both rules" "s2    ep:web2  ep:db1  deny" "$out"
check "monitor --since 1m printed the drop and ended" \
	grep -Eq 'Z drop +web2 -> db1 icmp reason=policy-deny rule=s2$' <<<"$out"
check_eq "cleanup: none of the walkthrough's namespaces is left" "" \
	"$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$P-(web1|web2|db1)$" || true)"
check_fail "cleanup: nothing of cbpfnet's is pinned" test -e "$WORK/me/bpffs/cbpfnet/cbpf_endpoints"
check_eq "cleanup: no pin directory is left" "" "$(ls "$WORK/me/bpffs/cbpfnet" 2>/dev/null)"
check_eq "cleanup: no link is left in the host namespace but lo" "lo" \
	"$(ip -n "$P-me" -o link show | awk -F': ' '{print $2}' | paste -sd' ')"
check_fail "cleanup: the agent is gone (its socket answers no more)" \
	curl -sf --max-time 2 --unix-socket "$WORK/me/state/cbpfnet.sock" http://agent/v1/status

lib_finish
