#!/usr/bin/env bash
# The API and the web UI over TCP: tokens, TLS, body limit, the UI's files and nothing outside
# them, then the UI in Debian's chromium (tests/ui/ui.test.mjs, playwright-core) and firefox-esr
# (tests/ui/firefox.test.mjs, puppeteer-core). Every listener is
# inside a host namespace: 198.18.0.1 with a token, 127.0.0.1 of another host without one.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/../etcd_lib.sh"
lib_init

if ! [ -x /usr/bin/chromium ] || ! [ -x /usr/bin/firefox-esr ] ||
	! [ -d "$REPO/tests/ui/node_modules/playwright-core" ] ||
	! [ -d "$REPO/tests/ui/node_modules/puppeteer-core" ]; then
	not_ok "chromium, firefox-esr, playwright-core or puppeteer-core is missing: run scripts/install-deps.sh"
	exit 1
fi

host_add h1 1
host_add h2 2
for ns in a1 a2 c1; do ns_add $ns; done
cb h1 net create neta --subnet 10.1.0.0/24 >/dev/null
cb h1 ep add a1 --net neta --netns "$P-a1" >/dev/null
cb h1 ep add a2 --net neta --netns "$P-a2" >/dev/null

TOKEN=$(openssl rand -hex 24)
printf '%s\n' "$TOKEN" >"$WORK/token"
chmod 600 "$WORK/token"
# The UI's files, and a link out of them that must not be followed.
cp -r "$REPO/ui" "$WORK/ui"
ln -s /etc/passwd "$WORK/ui/passwd.html"
URL=http://198.18.0.1:8080

# daemon_refuses DESC EXPECT ARGS...: a daemon on h1's state with ARGS exits non-zero, saying EXPECT.
daemon_refuses() {
	local desc=$1 expect=$2 out rc
	shift 2
	out=$(timeout 10 nsenter --net="/run/netns/$P-h1" "$CBPFNET" --bpffs "$WORK/h1/bpffs" \
		--state "$WORK/h1/state" daemon "$@" 2>&1)
	rc=$?
	if [ "$rc" -ne 0 ] && [[ "$out" == *"$expect"* ]]; then ok "$desc"; else
		not_ok "$desc (exit $rc): $out"
	fi
}

daemon_refuses "a non-loopback --listen without a token file: the agent refuses to start" \
	"is not a loopback address: give --token-file" --listen 198.18.0.1:8080
chmod 644 "$WORK/token"
daemon_refuses "a token file others can read: the agent refuses to start" \
	"is mode 0644: others could read the token" --listen 198.18.0.1:8080 --token-file "$WORK/token"
chmod 600 "$WORK/token"

agent_stop h1
agent_start h1 --listen 198.18.0.1:8080 --token-file "$WORK/token" --ui-dir "$WORK/ui" ||
	{ not_ok "h1's agent with --listen did not start: $(tail -3 "$WORK/h1.agent.log")"; exit 1; }

# tcp H ARGS...: curl in host H's namespace, printing the status code only.
tcp() {
	local host=$1
	shift
	in_ns "$host" curl -s -o "$WORK/tcp.body" -w '%{http_code}' --max-time 10 "$@"
}
auth=(-H "Authorization: Bearer $TOKEN")

check_eq "TCP without a token: 401" "401" "$(tcp h1 "$URL/v1/status")"
check_eq "... as a JSON error naming the header" "unauthorized" "$(jq -r .error.code "$WORK/tcp.body")"
check_eq "TCP with a wrong token: 401" "401" \
	"$(tcp h1 -H "Authorization: Bearer ${TOKEN:0:47}x" "$URL/v1/status")"
check_eq "TCP with a token one character short: 401" "401" \
	"$(tcp h1 -H "Authorization: Bearer ${TOKEN:0:47}" "$URL/v1/status")"
check_eq "TCP with the token: 200" "200" "$(tcp h1 "${auth[@]}" "$URL/v1/status")"
check_eq "... and the agent's status" "neta" "$(tcp h1 "${auth[@]}" "$URL/v1/networks" >/dev/null; jq -r '.[0].name' "$WORK/tcp.body")"
check_eq "a state change without the token: 401, nothing made" "401 0" \
	"$(tcp h1 -X POST -H 'Content-Type: application/json' -d '{"name": "x", "subnet": "10.9.0.0/24"}' \
		"$URL/v1/networks") $(cb h1 --json net list | jq '[.[] | select(.name == "x")] | length')"
check_eq "the event stream takes the token as ?access_token= (EventSource sends no header)" "200" \
	"$(in_ns h1 curl -s -o /dev/null -w '%{http_code}' --max-time 1 "$URL/v1/events?access_token=$TOKEN")"
check_eq "... and refuses a wrong one" "401" "$(tcp h1 "$URL/v1/events?access_token=nottheone0123456789")"
head -c $((9 << 20)) /dev/zero | tr '\0' ' ' >"$WORK/big.json"
check_eq "a body over 8 MiB over TCP: 413" "413" \
	"$(tcp h1 "${auth[@]}" -X POST -H 'Content-Type: application/json' --data-binary "@$WORK/big.json" "$URL/v1/networks")"
check_eq "/v1/exec is not served over TCP" "404" \
	"$(tcp h1 "${auth[@]}" -X POST -H 'Content-Type: application/json' -d '{"argv": ["status"]}' "$URL/v1/exec")"
check_eq "a change with the token but not sent as JSON (a cross-site form's type): 415, nothing made" \
	"415 0" "$(tcp h1 "${auth[@]}" -X POST -H 'Content-Type: text/plain' \
		-d '{"name": "x", "subnet": "10.9.0.0/24"}' "$URL/v1/networks") \
$(cb h1 --json net list | jq '[.[] | select(.name == "x")] | length')"

check_eq "GET / is the UI's page, without a token" "200 text/html; charset=utf-8" \
	"$(in_ns h1 curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/")"
check_eq "a module has the JavaScript type" "200 text/javascript; charset=utf-8" \
	"$(in_ns h1 curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/ui/app.js")"
check_eq "an SVG drawing has its type" "200 image/svg+xml" \
	"$(in_ns h1 curl -s -o /dev/null -w '%{http_code} %{content_type}' "$URL/ui/logo.svg")"
for path in /ui/../../../../etc/passwd /ui/%2e%2e/%2e%2e/%2e%2e/etc/passwd /ui/..%2f..%2f..%2fetc%2fpasswd \
	/ui/%2E%2E/token /ui/passwd.html /ui//etc/passwd.html /../etc/passwd; do
	code=$(tcp h1 --path-as-is "$URL$path")
	if [ "$code" = 404 ] && ! grep -q 'root:' "$WORK/tcp.body"; then ok "traversal $path: 404"; else
		not_ok "traversal $path: $code $(head -c 200 "$WORK/tcp.body")"
	fi
done

# Loopback: no token needed only when the agent has no token file; TLS with a self-signed pair.
agent_stop h2
agent_start h2 --listen 127.0.0.1:8080 --ui-dir "$WORK/ui" ||
	not_ok "h2's agent on loopback did not start: $(tail -3 "$WORK/h2.agent.log")"
check_eq "loopback without a token file: allowed without a token" "200" "$(tcp h2 http://127.0.0.1:8080/v1/status)"
check_eq "... but not for another host name (DNS rebinding): 403" "403" \
	"$(tcp h2 -H 'Host: attacker.example:8080' http://127.0.0.1:8080/v1/status)"
agent_stop h2
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
	-keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null
chmod 600 "$WORK/key.pem"
agent_start h2 --listen 127.0.0.1:8443 --token-file "$WORK/token" --tls-cert "$WORK/cert.pem" \
	--tls-key "$WORK/key.pem" --ui-dir "$WORK/ui" ||
	not_ok "h2's agent with TLS did not start: $(tail -3 "$WORK/h2.agent.log")"
check_eq "loopback with a token file: 401 without the token" "401" \
	"$(tcp h2 --cacert "$WORK/cert.pem" https://127.0.0.1:8443/v1/status)"
check_eq "HTTPS with the token and the self-signed certificate: 200" "200" \
	"$(tcp h2 --cacert "$WORK/cert.pem" "${auth[@]}" https://127.0.0.1:8443/v1/status)"
check_eq "plain HTTP on the TLS port gets no answer" "000" "$(tcp h2 http://127.0.0.1:8443/v1/status)"

# The browsers run in h1's namespace, where the agent listens; so do the commands they run.
mkdir -p "$WORK/shots"
h1_cb="$CBPFNET --bpffs $WORK/h1/bpffs --state $WORK/h1/state"
# browser_test NAME SCRIPT: runs tests/ui/SCRIPT, its TAP lines counted as this script's own.
browser_test() {
	local name=$1 rc
	UI_URL=$URL UI_TOKEN=$TOKEN UI_WORK=$WORK UI_SHOTS=${UI_SCREENSHOTS:-$WORK/shots} \
		UI_TTL=${UI_TTL:-} UI_KILL=${UI_KILL:-} \
		UI_PING="ip netns exec $P-a1 ping -c 1 -W 1 10.1.0.3" \
		UI_EP_ADD="$h1_cb ep add c1 --net neta --netns $P-c1 >/dev/null" UI_EP_DEL="$h1_cb ep del c1 >/dev/null" \
		timeout 90 ip netns exec "$P-h1" node "$REPO/tests/ui/$2" >"$WORK/$name.tap" 2>&1
	rc=$?
	cat "$WORK/$name.tap"
	grep -q '^ok ' "$WORK/$name.tap" || not_ok "the $name test ran no check (exit $rc)"
	FAILURES=$((FAILURES + $(grep -c '^not ok ' "$WORK/$name.tap")))
	[ "$rc" -eq 0 ] || [ "$(grep -c '^not ok ' "$WORK/$name.tap")" -gt 0 ] || not_ok "the $name test exited $rc"
}
browser_test chromium ui.test.mjs
browser_test firefox firefox.test.mjs

# The overview grows with the cluster: h1 and h2 in cluster mode on an etcd of the fabric.
host_add etcd 200
ETCD_URL=http://198.18.0.200:2379
URL=$ETCD_URL etcd_start || not_ok "etcd did not start: $(tail -3 "$WORK/etcd.log")"
agent_stop h1
agent_stop h2
agent_start h1 --listen 198.18.0.1:8080 --token-file "$WORK/token" --ui-dir "$WORK/ui" \
	--etcd "$ETCD_URL" --node h1 --lease-ttl 2 ||
	not_ok "h1's agent in cluster mode did not start: $(tail -3 "$WORK/h1.agent.log")"
agent_start h2 --etcd "$ETCD_URL" --node h2 --lease-ttl 2 ||
	not_ok "h2's agent in cluster mode did not start: $(tail -3 "$WORK/h2.agent.log")"
UI_TTL=2 UI_KILL="kill -KILL ${AGENT_PIDS[h2]}" browser_test cluster cluster.test.mjs

lib_finish
