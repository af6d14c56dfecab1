# A one-member etcd (Debian's etcd-server) for the cluster tests: in namespace $P-etcd, made by
# `host_add etcd 200`, listening for clients on $URL (that namespace's fabric address) only and
# for peers on its loopback. Source after tests/lib.sh; set URL first.

ETCD_PID=

# etcd_start: etcd on its data in $WORK/etcd.data, ready to answer (10 s at most).
etcd_start() {
	ip netns exec "$P-etcd" etcd --name e0 --data-dir "$WORK/etcd.data" \
		--listen-client-urls "$URL" --advertise-client-urls "$URL" \
		--listen-peer-urls http://127.0.0.1:2380 \
		--initial-advertise-peer-urls http://127.0.0.1:2380 \
		--initial-cluster e0=http://127.0.0.1:2380 >>"$WORK/etcd.log" 2>&1 &
	ETCD_PID=$!
	PIDS+=("$ETCD_PID")
	for _ in $(seq 50); do
		in_ns etcd curl -sf --max-time 1 "$URL/health" 2>/dev/null | grep -q '"health":"true"' &&
			return 0
		sleep 0.2
	done
	tail -5 "$WORK/etcd.log"
	return 1
}

# wait_line FILE PATTERN: FILE gets a line matching PATTERN within 5 s.
wait_line() {
	for _ in $(seq 50); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
