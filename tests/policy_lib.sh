# Helpers shared by the policy integration tests (sourced after tests/lib.sh).

# udp_echo_ok SRC_NS DST_NS ADDR PORT: a datagram goes out and the answer comes back.
udp_echo_ok() {
	local src=$1 dst=$2 addr=$3 port=$4 pid got
	in_ns "$dst" timeout 4 socat -T 2 "UDP-LISTEN:$port,reuseaddr" SYSTEM:'read l; echo "re-$l"' &
	pid=$!
	PIDS+=("$pid")
	sleep 0.2
	got=$(echo "u$port" | in_ns "$src" timeout 3 socat -T 1 - "UDP:$addr:$port")
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ "$got" = "re-u$port" ]
}
udp_echo_fails() { ! udp_echo_ok "$@"; }

# host_forwarding HOST: the host forwards and masquerades toward the fabric (cbpfnet routes
# the host to its endpoints itself; forwarding and NAT stay the host's business).
host_forwarding() {
	in_ns "$1" sysctl -qw net.ipv4.ip_forward=1
	in_ns "$1" iptables-nft -t nat -A POSTROUTING -s 10.0.0.0/8 -o ul0 -j MASQUERADE
}

# outside_add NAME N VIA: a namespace on the fabric at 198.18.0.N that routes 10/8 through VIA.
outside_add() {
	local name=$1 n=$2 via=$3
	ip netns add "$P-$name"
	ip -n "$P-$name" link set lo up
	ip -n "$P-fab" link add "$name-up" type veth peer name eth0 netns "$P-$name"
	ip -n "$P-fab" link set "$name-up" master br0 up
	ip -n "$P-$name" addr add "198.18.0.$n/15" dev eth0
	ip -n "$P-$name" link set eth0 up
	ip -n "$P-$name" route add 10.0.0.0/8 via "$via"
}

# daemon_start HOST PATH: HOST's agent restarted with policy PATH, its log in
# $WORK/HOST.agent.log.
daemon_start() {
	agent_stop "$1" >/dev/null 2>&1
	agent_start "$1" --policy "$2"
}

# daemon_stop HOST: SIGTERM to HOST's agent; returns its exit status.
daemon_stop() {
	agent_stop "$1"
}
