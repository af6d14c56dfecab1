#!/usr/bin/env bash
# Real containers: podman (CNI backend, runc) runs busybox containers whose networking is
# cbpfnet's CNI plugin, inside a simulated host. Podman's storage and configuration live in this
# run's work directory, so the machine's own podman setup is untouched.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
check "load" cb h1 load
check "net create web" cb h1 net create web --subnet 10.20.0.0/24
check "net create db" cb h1 net create db --subnet 10.21.0.0/24

PD=$WORK/podman
mkdir -p "$PD/rootfs/bin" "$PD/net.d" "$PD/cni"
cp /bin/busybox "$PD/rootfs/bin/"
for applet in sh ping sleep; do ln -s busybox "$PD/rootfs/bin/$applet"; done
tar -C "$PD/rootfs" -cf "$PD/rootfs.tar" .
ln -s "$REPO/cbpfnet-cni" "$PD/cni/cbpfnet"
for net in web db; do
	printf '{"cniVersion":"1.0.0","name":"%s","plugins":[{"type":"cbpfnet","bpffs":"%s","state":"%s"}]}\n' \
		"$net" "$WORK/h1/bpffs" "$WORK/h1/state" >"$PD/net.d/$net.conflist"
done
cat >"$PD/containers.conf" <<CONF
[network]
network_backend = "cni"
cni_plugin_dirs = ["$PD/cni"]
network_config_dir = "$PD/net.d"
CONF

# pm ARGS...: podman as host h1 runs it (nsenter keeps /sys, which runc needs).
pm() {
	CONTAINERS_CONF="$PD/containers.conf" nsenter --net="/run/netns/$P-h1" podman \
		--root "$PD/root" --runroot "$PD/run" --storage-driver vfs --runtime runc \
		--cgroup-manager cgroupfs "$@"
}
lib_cleanup_hook() { pm rm --all --force --time 0 >/dev/null 2>&1; }
run_opts=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)

check "import a busybox image" pm import "$PD/rootfs.tar" localhost/cbpf-busybox
check "start container web1" pm run -d --name web1 --network web "${run_opts[@]}" \
	localhost/cbpf-busybox sleep 600
check "start container db1" pm run -d --name db1 --network db "${run_opts[@]}" \
	localhost/cbpf-busybox sleep 600
check_eq "cbpfnet made an endpoint for each container" "2" "$(cb h1 --json ep list | jq length)"
web1=$(cb h1 --json ep list | jq -r '.[] | select(.net == "web") | .ip')
db1=$(cb h1 --json ep list | jq -r '.[] | select(.net == "db") | .ip')
check "a second web container pings web1" pm run --rm --network web "${run_opts[@]}" \
	localhost/cbpf-busybox ping -c 1 -W 2 "$web1"
check_fail "a web container cannot reach db1 (other network)" pm run --rm --network web \
	"${run_opts[@]}" localhost/cbpf-busybox ping -c 1 -W 1 "$db1"
check "policy: web -> db allowed" cb h1 policy set web db allow
check "policy: db -> web allowed" cb h1 policy set db web allow
check "now a web container reaches db1" pm run --rm --network web "${run_opts[@]}" \
	localhost/cbpf-busybox ping -c 1 -W 2 "$db1"
check "removing web1" pm rm --force --time 0 web1
check_eq "its endpoint went with it (CNI DEL)" "db1-only" \
	"$(cb h1 --json ep list | jq -r 'if length == 1 and .[0].net == "db" then "db1-only" else tostring end')"

lib_finish
