#!/usr/bin/env bash
# The command line itself: help from the option tables with no agent, did-you-mean, global
# options anywhere, CBPFNET_STATE/CBPFNET_BPFFS, docker-style aliases.
source "$(dirname "$0")/../lib.sh"
lib_init

# No agent answers on this state: help must come from the binary alone.
NOAGENT=(--state "$WORK/no-agent" --bpffs "$WORK/no-agent")
mkdir -p "$WORK/no-agent"

mapfile -t PATHS < <("$CBPFNET" help --commands)
check_gt "help --commands lists the commands" "${#PATHS[@]}" 30
bad=()
for path in "${PATHS[@]}"; do
	# shellcheck disable=SC2086 # a path is words
	out=$("$CBPFNET" "${NOAGENT[@]}" $path --help 2>&1) || bad+=("$path: exit $?")
	# shellcheck disable=SC2086
	[[ "$out" == "usage: cbpfnet $path"* ]] || bad+=("$path: no usage line")
	[[ "$out" == *"example:"* ]] || bad+=("$path: no example")
	# shellcheck disable=SC2086
	for opt in $("$CBPFNET" help --options $path); do
		grep -q "^  $opt\b" <<<"$out" || bad+=("$path: --help does not name $opt")
	done
done
check_eq "every command's --help exits 0 without an agent and names every option" "" \
	"$(IFS=";"; echo "${bad[*]}")"
# The same options reach the parser: an option not in a command's table is refused by name.
bad=()
for path in "ep add" "net create" "node add" "policy check" "model predict" "attach" "daemon"; do
	# shellcheck disable=SC2086
	out=$("$CBPFNET" "${NOAGENT[@]}" help --options $path)
	[ -n "$out" ] || bad+=("$path: no options")
done
check_eq "commands with options dump their table" "" "$(IFS=";"; echo "${bad[*]}")"
check_eq "--help and help agree" "$("$CBPFNET" "${NOAGENT[@]}" ep add --help)" \
	"$("$CBPFNET" "${NOAGENT[@]}" help ep add)"
check_contains "cbpfnet net --help lists the subcommands and aliases" "list, ls" \
	"$("$CBPFNET" "${NOAGENT[@]}" net --help)"
check_contains "-h works after the command" "usage: cbpfnet net delete NAME" \
	"$("$CBPFNET" "${NOAGENT[@]}" net delete -h)"
if command -v setpriv >/dev/null; then
	check "help needs no root" setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$CBPFNET" "${NOAGENT[@]}" ep add --help
fi
version=$("$CBPFNET" --version)
check_contains "--version names the build" "cbpfnet $(git -C "$REPO" describe --always --dirty 2>/dev/null | cut -c1-7)" "$version"
abi=$(awk '/define CBPF_ABI_VERSION/ {print $3}' "$REPO/maps/common.h")
check_contains "--version names the pin ABI" "pin ABI $abi)" "$version"

# Unknown words: the nearest one, a non-zero exit.
out=$("$CBPFNET" "${NOAGENT[@]}" nte ls 2>&1)
check_eq "an unknown command fails" 1 "$?"
check_contains "and names the nearest" "unknown command 'nte'; did you mean 'net'?" "$out"
out=$("$CBPFNET" "${NOAGENT[@]}" ep lst 2>&1)
check_eq "an unknown subcommand fails" 1 "$?"
check_contains "and names the nearest" "ep: unknown subcommand 'lst'; did you mean 'list'?" "$out"
out=$("$CBPFNET" "${NOAGENT[@]}" help ep ad 2>&1)
check_contains "help on an unknown word names the nearest" "did you mean 'add'?" "$out"
out=$("$CBPFNET" "${NOAGENT[@]}" model predict --securty 3 2>&1)
check_eq "an unknown option fails" 1 "$?"
check_contains "and names the nearest" "unknown option '--securty'; did you mean '--security'?" \
	"$out"
out=$("$CBPFNET" "${NOAGENT[@]}" --jsn net ls 2>&1)
check_contains "an unknown global option names the nearest" "did you mean '--json'?" "$out"
out=$("$CBPFNET" "${NOAGENT[@]}" ep add x --nte front 2>&1)
check_contains "an unknown option of a forwarded command is refused without an agent" \
	"ep add: unknown option '--nte'; did you mean '--net'?" "$out"
out=$("$CBPFNET" "${NOAGENT[@]}" net list --jsn 2>&1)
check_contains "a command without options names the nearest global one" \
	"net list: unknown option '--jsn'; did you mean '--json'?" "$out"

# json_err DESC CMD...: with --json CMD's error is one JSON document {"error": ...} on stdout,
# nothing on stderr, and the exit status is the one it has without --json.
json_err() {
	local desc=$1 out err rc rc_text
	shift
	"$@" >/dev/null 2>&1
	rc_text=$?
	out=$("$@" --json 2>"$WORK/json_err.stderr")
	rc=$?
	err=$(cat "$WORK/json_err.stderr")
	if [ "$rc" -ne 0 ] && [ "$rc" -eq "$rc_text" ] && [ -z "$err" ] &&
		jq -e '(.error | type == "string" and length > 0) and (keys == ["error"])' \
			<<<"$out" >/dev/null 2>&1; then
		ok "--json error: $desc"
	else
		not_ok "--json error: $desc (rc $rc, $rc_text without --json; stdout: $out; stderr: $err)"
	fi
}
json_err "an unknown command" "$CBPFNET" "${NOAGENT[@]}" nte ls
json_err "no agent" "$CBPFNET" "${NOAGENT[@]}" net ls
json_err "a missing command" "$CBPFNET" "${NOAGENT[@]}"
json_err "a local usage error" "$CBPFNET" "${NOAGENT[@]}" model predict --securty 3

host_add h1 1
json_err "a usage error from the agent" cb h1 net create nosubnet
json_err "an unknown option" cb h1 net create x --subnt 10.9.0.0/24
json_err "an error from the agent" cb h1 net delete nosuch
# `cbpfnet` sends a line to the agent unchecked: the agent's check must say what the local one
# says without an agent, word for word, with the same exit status.
bad=()
for line in "nte ls" "ep lst" "ep" "ep add x --nte front" "net list --jsn" "status --verbose"; do
	# shellcheck disable=SC2086 # a line is words
	here=$("$CBPFNET" "${NOAGENT[@]}" $line 2>&1; echo "exit $?")
	# shellcheck disable=SC2086
	there=$(cb h1 $line 2>&1; echo "exit $?")
	[ "$here" = "$there" ] || bad+=("$line: '$here' without an agent, '$there' with")
	[[ "$there" == *"exit 1" && "$there" == *"(see cbpfnet"* ]] || bad+=("$line: '$there'")
done
check_eq "a bad line fails alike with and without an agent" "" "$(IFS=";"; echo "${bad[*]}")"
check_eq "the exec route checks a line's options before running it" \
	"1 cbpfnet: net list: unknown option '--jsn'; did you mean '--json'? (see cbpfnet net list --help)" \
	"$(api h1 POST /v1/exec '{"argv": ["net", "list", "--jsn"]}' | sed '$d' |
		jq -r '(.exit | tostring) + " " + (.stderr | rtrimstr("\n"))')"
out=$(cb h1 net create x --subnet 2>&1)
check_eq "a missing value, through the agent" \
	"cbpfnet: net create: option '--subnet' needs a value; exit 1" "$out; exit $?"
check_contains "cbpfnet, the front, is static" "not a dynamic executable" "$(ldd "$CBPFNET" 2>&1)"
check_eq "with CNI_COMMAND and no arguments the front runs the CNI plugin" '["0.4.0","1.0.0"]' \
	"$(echo '{}' | CNI_COMMAND=VERSION "$CBPFNET" | jq -c .supportedVersions)"
mkdir "$WORK/elsewhere"
ln -s "$CBPFNET" "$WORK/elsewhere/cbpfnet"
check_contains "through a link, the front runs the full binary beside the file it names" \
	"cbpfnet $(git -C "$REPO" describe --always --dirty 2>/dev/null | cut -c1-7)" \
	"$("$WORK/elsewhere/cbpfnet" --version 2>&1)"
# The front alone, without cbpfnet-full next to it, says what it cannot find.
mkdir "$WORK/front-alone"
cp "$CBPFNET" "$WORK/front-alone/cbpfnet"
out=$("$WORK/front-alone/cbpfnet" --version 2>&1)
check_eq "the front without the full binary names it" "cbpfnet: cannot run the full command \
line $WORK/front-alone/cbpfnet-full: No such file or directory; exit 1" "$out; exit $?"
check_eq "the agent's error text is the error" "net delete nosuch: no such network" \
	"$(cb h1 --json net delete nosuch | jq -r .error)"
check "net create with the global option last" cb h1 net create neta --subnet 10.1.0.0/24 --json
check_eq "net list --json: options after the command" "neta" \
	"$(ip netns exec "$P-h1" "$CBPFNET" net list --json --state "$WORK/h1/state" \
		--bpffs "$WORK/h1/bpffs" | jq -r '.[0].name')"
check_contains "the agent's parser names the nearest option too" \
	"net create: unknown option '--subnt'; did you mean '--subnet'?" \
	"$(api h1 POST /v1/exec '{"argv": ["net", "create", "x", "--subnt", "10.9.0.0/24"]}' |
		sed '$d' | jq -r .stderr)"
check_eq "CBPFNET_STATE and CBPFNET_BPFFS stand for --state and --bpffs" "neta" \
	"$(CBPFNET_STATE="$WORK/h1/state" CBPFNET_BPFFS="$WORK/h1/bpffs" \
		ip netns exec "$P-h1" "$CBPFNET" --json net ls | jq -r '.[0].name')"
check_contains "--state wins over CBPFNET_STATE" "no agent is running on state $WORK/no-agent" \
	"$(CBPFNET_STATE="$WORK/h1/state" "$CBPFNET" --state "$WORK/no-agent" net ls 2>&1)"
ns_add a1
check "ep add" cb h1 ep add a1 --net neta --netns "$P-a1"
check_eq "ep ls is ep list" "$(cb h1 ep list)" "$(cb h1 ep ls)"
check "ep rm is ep del" cb h1 ep rm a1
check_eq "the endpoint is gone" 0 "$(cb h1 --json ep ls | jq length)"
check_eq "the API's exec route takes aliases too" "neta 0" \
	"$(api h1 POST /v1/exec '{"argv": ["net", "ls"], "json": true}' | sed '$d' |
		jq -r '(.stdout | fromjson | .[0].name) + " " + (.exit | tostring)')"
check "net rm is net delete" cb h1 net rm neta
check_eq "the network is gone" 0 "$(cb h1 --json net ls | jq length)"

# Tables: a header row, every column starting where its header does, whatever the names.
# aligned TEXT: each header word's column holds a cell starting at that offset in every row.
aligned() {
	awk 'NR == 1 { n = 0; for (i = 1; i <= length($0); i++)
			if (substr($0, i, 1) != " " && (i == 1 || substr($0, i - 1, 1) == " ")) start[++n] = i
		next }
		{ for (k = 1; k <= n; k++) {
			c = substr($0, start[k], 1); p = substr($0, start[k] - 1, 1)
			if (c == " " || c == "" || (start[k] > 1 && p != " ")) { print "row " NR - 1 " column " k; exit 1 } } }' <<<"$1"
}
CNI_NAME=cni-0123456789ab-0123456789abcdef-eth0
ip -n "$P-h1" link add lan0 type veth peer name lan1
ip -n "$P-h1" link set lan0 up
ip -n "$P-h1" link set lan1 up
check "net create a local network" cb h1 net create front --subnet 10.1.0.0/24
check "net create a macvlan network" cb h1 net create lan --subnet 10.5.0.0/24 --model macvlan \
	--parent lan0 --mode private --vlan 7
ns_add a2
ns_add a3
check "ep add with a CNI-style name" cb h1 ep add "$CNI_NAME" --net front --netns "$P-a1"
check "ep add a short name" cb h1 ep add a2 --net front --netns "$P-a2"
check "ep add on the macvlan network" cb h1 ep add m3 --net lan --netns "$P-a3"
out=$(cb h1 ep list)
check_eq "ep list has a header and a row per endpoint" "NAME NETWORK IP MAC HOST-IF NETNS/NODE STATUS 4" \
	"$(head -1 <<<"$out" | xargs) $(wc -l <<<"$out")"
check "ep list columns stay aligned with a long CNI name" aligned "$out"
check_contains "and the name is whole" "$CNI_NAME  front" "$out"
out=$(cb h1 net list)
check "net list columns stay aligned" aligned "$out"
check_eq "net list shows model, VNI, VLAN, parent and mode" \
	"NAME ID MODEL SUBNET GATEWAY ICC VNI VLAN PARENT MODE MTU|lan macvlan 7 lan0 private" \
	"$(head -1 <<<"$out" | xargs)|$(awk '$1 == "lan" {print $1, $3, $8, $9, $10}' <<<"$out")"
check_eq "net list --json: the macvlan mode is a word" "private" \
	"$(cb h1 --json net list | jq -r '.[] | select(.name == "lan") | .mode')"
check_eq "ep list --json: an object per endpoint" "a2 m3" \
	"$(cb h1 --json ep list | jq -r '[.[].name | select(. == "a2" or . == "m3")] | join(" ")')"
for list in "ep list" "net list"; do
	# shellcheck disable=SC2086 # a command path is words
	out=$(cb h1 $list extra 2>&1)
	check_eq "$list refuses an argument" "1 cbpfnet: $list: takes no arguments" "$? $out"
done
check "node list columns stay aligned" aligned "$(cb h1 node add h1 --underlay 198.18.0.1 >/dev/null && cb h1 node list)"

# inspect: the record, the datapath's map entries, hooks, counters and rules of one object.
check "a2 pings the CNI endpoint" ping_ok a2 10.1.0.2
check "policy set names the CNI endpoint" cb h1 policy set "$CNI_NAME" a2 allow
doc=$(cb h1 --json ep inspect "$CNI_NAME")
host_if=$(jq -r .host_ifname <<<"$doc")
check_eq "ep inspect: the map entry points at the host-side link" \
	"$(ip -n "$P-h1" -j link show "$host_if" | jq .[0].ifindex) local" \
	"$(jq -r '"\(.map.ifindex) \(.map.flags | join(","))"' <<<"$doc")"
check_eq "ep inspect: the map's identity is the endpoint's" "$(jq .identity <<<"$doc")" \
	"$(jq .map.identity <<<"$doc")"
check_contains "ep inspect: the hooks carry the endpoint program" "tc_from_ep" \
	"$(jq -r '.hooks[].name' <<<"$doc")"
check_gt "ep inspect: the link's counters saw the ping" "$(jq .counters.tx_packets <<<"$doc")" 0
check_eq "ep inspect: the rules that name it" "ep:$CNI_NAME ep:a2 allow" \
	"$(jq -r '.rules[] | "\(.from) \(.to) \(.verdict)"' <<<"$doc")"
out=$(cb h1 ep inspect "$CNI_NAME")
check_contains "ep inspect as text names the map entry" "map:" "$out"
check_contains "and the counters" "tx_packets" "$out"
doc=$(cb h1 --json net inspect front)
check_eq "net inspect: endpoints and the map's gateway" "a2 $CNI_NAME|10.1.0.1" \
	"$(jq -r '(.endpoints | sort | join(" ")) + "|" + .map.gateway_ip' <<<"$doc")"
check_gt "net inspect: counters over its endpoints" "$(jq .counters.rx_packets <<<"$doc")" 0
check_eq "net inspect lan: mode and VLAN in the map" "private 7" \
	"$(cb h1 --json net inspect lan | jq -r '"\(.mode) \(.map.vlan)"')"
json_err "inspect of no such network" cb h1 net inspect nosuch

# attach: only endpoints' host-side links; the underlay keeps its tunnel program.
before=$(cb h1 --json attach --show ul0 | jq -c 'sort_by(.hook)')
check_contains "ul0 carries the tunnel program" "tc_from_underla" "$before"
out=$(cb h1 attach ul0 2>&1)
check_eq "attach on the underlay fails" 1 "$?"
check_contains "naming the interface and why" \
	"attach: ul0 is the underlay interface of node h1, not an endpoint's" "$out"
check_eq "and the tunnel program stays" "$before" \
	"$(cb h1 --json attach --show ul0 | jq -c 'sort_by(.hook)')"
out=$(cb h1 attach --xdp lan1 2>&1)
check_eq "attach on a link that is no endpoint's fails" 1 "$?"
check_contains "naming it" "attach: lan1 is not the host-side interface of an endpoint" "$out"
check_eq "and lan1 has no program" 0 "$(cb h1 --json attach --show lan1 | jq length)"
check "attach on an endpoint's host-side link still works" cb h1 attach --xdp "$host_if"

# Completion: the script the binary writes, run as bash would on a line ending in the word typed.
completes() {
	bash -c 'source <("$1" completion bash) || exit 1
		shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _cbpfnet
		printf "%s\n" "${COMPREPLY[@]}" | sort | xargs' _ "$CBPFNET" "$@"
}
ONH1=(--state "$WORK/h1/state" --bpffs "$WORK/h1/bpffs")
check "completion bash is valid bash" bash -n <("$CBPFNET" completion bash)
check_eq "completion offers commands" "net node" "$(completes "$CBPFNET" n)"
check_eq "completion offers subcommands and aliases" \
	"create delete inspect list ls rm set" "$(completes "$CBPFNET" net "")"
check_eq "completion offers every option of net create" \
	"$("$CBPFNET" help --options net create | sort | xargs)" \
	"$(completes "$CBPFNET" net create x --"" | tr ' ' '\n' | grep -vx -e --json -e --state \
		-e --bpffs -e --help -e --version | xargs)"
check_eq "completion offers an option's words" "bridge passthru private vepa" \
	"$(completes "$CBPFNET" net create x --mode "")"
check_eq "completion offers global options after the command" "--json" \
	"$(completes "$CBPFNET" net list --js)"
check_eq "completion offers the agent's network names after --net" "front lan" \
	"$(completes "$CBPFNET" "${ONH1[@]}" ep add x --net "")"
check_eq "completion offers network names to net inspect" "front" \
	"$(completes "$CBPFNET" "${ONH1[@]}" net inspect f)"
check_eq "completion offers endpoint names to ep rm" "a2" \
	"$(completes "$CBPFNET" "${ONH1[@]}" ep rm a)"
check_eq "without an agent, no names and no error" "" \
	"$(completes "$CBPFNET" "${NOAGENT[@]}" net inspect "" 2>&1)"

# The man page: every command from the same tables.
man=$("$CBPFNET" help --man)
missing=()
for path in "${PATHS[@]}"; do
	grep -q "^\.SS cbpfnet $path\b" <<<"$man" || missing+=("$path")
done
check_eq "help --man has a section for every command" "" "${missing[*]}"
check_contains "with its options" '\fB\-\-subnet\fR \fICIDR\fR' "$man"

lib_finish
