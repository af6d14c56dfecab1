#!/usr/bin/env bash
# Strategy 6, cross-host one-way isolation, on both network models: a peer on another host cannot
# open connections to the protected endpoints, they can open to it, and its replies pass
# (connection tracking on the receiving host).
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../policy_lib.sh"
lib_init

host_add h1 1
host_add h2 2
for h in h1 h2; do
	check "$h: load" cb $h load
	cb $h node add h1 --underlay 198.18.0.1 >/dev/null
	cb $h node add h2 --underlay 198.18.0.2 >/dev/null
	check "$h: overlay ov1" cb $h net create ov1 --model overlay --subnet 10.50.0.0/24 --vni 100
	check "$h: macvlan mv (VLAN 100 on ul0)" cb $h net create mv --model macvlan --parent ul0 \
		--mode bridge --vlan 100 --subnet 10.80.0.0/24
done
for ep in e1 e2 m1 m2; do ns_add $ep; done
cb h1 ep add e1 --net ov1 --netns "$P-e1" --ip 10.50.0.11 >/dev/null
cb h2 ep add e2 --net ov1 --netns "$P-e2" --ip 10.50.0.12 >/dev/null
cb h1 ep add e2 --net ov1 --remote h2 --ip 10.50.0.12 >/dev/null
cb h2 ep add e1 --net ov1 --remote h1 --ip 10.50.0.11 >/dev/null
cb h1 ep add m1 --net mv --netns "$P-m1" --ip 10.80.0.11 >/dev/null
cb h2 ep add m2 --net mv --netns "$P-m2" --ip 10.80.0.12 >/dev/null
ns_add late
cb h1 ep add late --net ov1 --netns "$P-late" --ip 10.50.0.21 >/dev/null

check "before any policy: e2 (h2) pings e1 (h1) over the overlay" ping_ok e2 10.50.0.11
check "before any policy: m2 (h2) pings m1 (h1) over macvlan" ping_ok m2 10.80.0.11

cat >"$WORK/crosshost.json" <<'JSON'
{
  "rules": [
    { "id": "h2-not-into-ov1", "from": "node:h2", "to": "net:ov1", "action": "deny",
      "direction": "one-way" },
    { "id": "mv-not-into-m1", "from": "net:mv", "to": "ep:m1", "action": "deny",
      "direction": "one-way" },
    { "id": "e1-not-into-late", "from": "ep:e1", "to": "ep:late", "action": "deny",
      "direction": "one-way" }
  ]
}
JSON
check "policy check accepts the cross-host file" cb h1 policy check "$WORK/crosshost.json"
check "h1's daemon applies it" daemon_start h1 "$WORK/crosshost.json"

# Overlay: the rule names h2's node; the receiving host judges the decapsulated packet.
before=$(drops h1 policy-deny)
check "overlay: e2 on h2 cannot ping e1" ping_fails e2 10.50.0.11
check "overlay: e2 on h2 cannot open TCP to e1" tcp_fails e2 e1 10.50.0.11 7301
check_gt "overlay: h1 counted the drops on decapsulation" "$(drops h1 policy-deny)" "$before"
check "overlay: e1 pings e2 and the replies from h2 pass" ping_ok e1 10.50.0.12
check "overlay: TCP e1 -> e2, answered across hosts" tcp_ok e1 e2 10.50.0.12 7302
check "overlay: UDP e1 -> e2 and back" udp_echo_ok e1 e2 10.50.0.12 7303

# macvlan: peers on other hosts count as members of the network; m1 is closed to them.
check "macvlan: m2 on h2 cannot ping m1" ping_fails m2 10.80.0.11
check "macvlan: m2 on h2 cannot open TCP to m1" tcp_fails m2 m1 10.80.0.11 7304
check "macvlan: m1 pings m2 and the replies pass" ping_ok m1 10.80.0.12
check "macvlan: TCP m1 -> m2, answered across hosts" tcp_ok m1 m2 10.80.0.12 7305

# An endpoint that leaves and comes back under its name gets a new identity: the rules naming
# it follow it without a reload.
check "e1 cannot open to late" ping_fails e1 10.50.0.21
check "h1: ep del late" cb h1 ep del late
check "h1: ep add late again" cb h1 ep add late --net ov1 --netns "$P-late" --ip 10.50.0.21
check "late can open to e1" ping_ok late 10.50.0.11
check "e1 still cannot open to late, without a reload" ping_fails e1 10.50.0.21

check_contains "explain names the deciding rule" "h2-not-into-ov1" \
	"$(cb h1 policy explain e2 e1 tcp/80 2>&1)"
daemon_stop h1 >/dev/null
check "after SIGTERM the last policy stays in force: e2 still cannot ping e1" ping_fails e2 10.50.0.11

# One cluster-wide file means the same on every host: on h2, node:h2 is h2's own endpoints and
# host:h2 its own stack, as node:local and host are. h1 drops its policy, so only h2 judges.
echo '{"rules": []}' >"$WORK/empty.json"
check "h1's daemon applies an empty policy" daemon_start h1 "$WORK/empty.json"
daemon_stop h1 >/dev/null
check "with no policy on h1, e2 pings e1" ping_ok e2 10.50.0.11
check "with no policy on h2, e2 pings h2's own underlay address" ping_ok e2 198.18.0.2
cat >"$WORK/cluster.json" <<'JSON'
{
  "rules": [
    { "id": "h2-not-into-ov1", "from": "node:h2", "to": "net:ov1", "action": "deny" },
    { "id": "ov1-not-to-h2", "from": "net:ov1", "to": "host:h2", "action": "deny" },
    { "id": "h2-not-into-mv", "from": "node:h2", "to": "net:mv", "action": "deny" }
  ]
}
JSON
check "h2's daemon applies the cluster-wide file" daemon_start h2 "$WORK/cluster.json"
before=$(drops h2 policy-deny)
check "node:h2 on h2: e2 (on h2) cannot ping e1" ping_fails e2 10.50.0.11
check "node:h2 on h2: e2 cannot open TCP to e1" tcp_fails e2 e1 10.50.0.11 7306
check_gt "node:h2 on h2: h2 counted the drops" "$(drops h2 policy-deny)" "$before"
check "node:h2 on h2: e1 still pings e2 (one-way; replies pass)" ping_ok e1 10.50.0.12
check_contains "node:h2 on h2: explain names the rule" \
	"rule f1 h2-not-into-ov1 at $WORK/cluster.json:3: node:h2 -> net:ov1 deny" \
	"$(cb h2 policy explain e2 e1 tcp/80 2>&1)"
before=$(drops h2 policy-deny)
check "host:h2 on h2: e2 cannot ping h2's underlay address" ping_fails e2 198.18.0.2
check_gt "host:h2 on h2: h2 counted the drops" "$(drops h2 policy-deny)" "$before"
check_contains "host:h2 on h2: explain names the rule for h2's address" \
	"rule f2 ov1-not-to-h2 at $WORK/cluster.json:4: net:ov1 -> host:h2 deny" \
	"$(cb h2 policy explain e2 198.18.0.2 2>&1)"
check_contains "host:h2 on h2: explain names the rule for 'host'" "rule f2 ov1-not-to-h2" \
	"$(cb h2 policy explain e2 host 2>&1)"
# node:h2 covers h2's macvlan endpoints as it does its veth ones: m2's own programs judge it.
before=$(drops h2 policy-deny)
check "node:h2 on h2: m2 (macvlan on h2) cannot ping m1" ping_fails m2 10.80.0.11
check "node:h2 on h2: m2 cannot open TCP to m1" tcp_fails m2 m1 10.80.0.11 7307
check_gt "node:h2 on h2: h2 counted the macvlan drops" "$(drops h2 policy-deny)" "$before"
check "node:h2 on h2: m1 still pings m2 (one-way; replies pass)" ping_ok m1 10.80.0.12
check "node:h2 on h2: TCP m1 -> m2, answered" tcp_ok m1 m2 10.80.0.12 7308
check_contains "node:h2 on h2: explain names the rule for the macvlan endpoint" \
	"rule f3 h2-not-into-mv at $WORK/cluster.json:5: node:h2 -> net:mv deny" \
	"$(cb h2 policy explain m2 10.80.0.11 tcp/80 2>&1)"
daemon_stop h2 >/dev/null

lib_finish
