#!/usr/bin/env bash
# A second real runtime: containerd 1.6 (Debian's) runs busybox containers with `ctr run --cni`,
# their networking done by cbpfnet's CNI plugin, inside a simulated host. The containerd is this
# run's own (root, state, socket, runc root under the work directory). No registry is reachable:
# the image is an OCI layout built here from Debian's busybox-static and imported.
#
# ctr reads its CNI configuration from /etc/cni/net.d and plugins from /opt/cni/bin, with no
# option to move them; containerd and ctr run in a mount namespace of their own where this run's
# directories are mounted over those, so the machine's own files are neither read nor changed.
source "$(dirname "$0")/../lib.sh"
lib_init

host_add h1 1
check "load" cb h1 load
check "net create web" cb h1 net create web --subnet 10.30.0.0/24

CD=$WORK/containerd
mkdir -p "$CD/rootfs/bin" "$CD/net.d" "$CD/opt/cni/bin" "$CD/oci/blobs/sha256" "$CD/shim"
ln -s "$REPO/cbpfnet-cni" "$CD/opt/cni/bin/cbpfnet"
printf '{"cniVersion":"1.0.0","name":"web","plugins":[{"type":"cbpfnet","bpffs":"%s","state":"%s"}]}\n' \
	"$WORK/h1/bpffs" "$WORK/h1/state" >"$CD/net.d/10-web.conflist"

# --- a busybox image as an OCI layout: layer, config, manifest, index ---------------------------
cp /bin/busybox "$CD/rootfs/bin/"
for applet in sh ping sleep ip; do ln -s busybox "$CD/rootfs/bin/$applet"; done
tar -C "$CD/rootfs" --owner=0 --group=0 -cf "$CD/layer.tar" .
# blob FILE: stores FILE under its digest; prints "DIGEST SIZE".
blob() {
	local sum
	sum=$(sha256sum "$1" | cut -d' ' -f1)
	cp "$1" "$CD/oci/blobs/sha256/$sum"
	echo "sha256:$sum $(stat -c %s "$1")"
}
read -r layer layer_size < <(blob "$CD/layer.tar")
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
	"$layer" >"$CD/config.json"
read -r config config_size < <(blob "$CD/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
	"$config" "$config_size" "$layer" "$layer_size" >"$CD/manifest.json"
read -r manifest manifest_size < <(blob "$CD/manifest.json")
IMAGE=localhost/cbpf-busybox:1
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"1"}}]}' \
	"$manifest" "$manifest_size" "$IMAGE" >"$CD/oci/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' >"$CD/oci/oci-layout"
tar -C "$CD/oci" -cf "$CD/image.tar" .

# --- this run's containerd ------------------------------------------------------------------
cat >"$CD/config.toml" <<CONF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CD/containerd.sock"
[ttrpc]
  address = "$CD/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
CONF
# The shims put their sockets under /run/containerd and ctr its fifos, whatever the configuration
# says: a tmpfs there, in the private mount namespace, keeps them off the machine's. The empty
# directory to mount it on is removed at the end when this run made it.
[ -d /run/containerd ] || { mkdir /run/containerd && MADE_RUN_DIR=1; }
unshare --mount --propagation private sh -c '
	mount -t tmpfs tmpfs /run/containerd && mount --bind "$1/net.d" /etc/cni/net.d &&
	mount -t tmpfs tmpfs /opt && mkdir -p /opt/cni && mount --bind "$1/opt/cni" /opt/cni &&
	exec nsenter --net="$2" containerd --config "$1/config.toml"' \
	sh "$CD" "/run/netns/$P-h1" >"$CD/containerd.log" 2>&1 &
CTRD=$!
PIDS+=("$CTRD")
# c ARGS...: ctr as host h1 runs it, in containerd's mount namespace (so its CNI files).
c() {
	nsenter --mount="/proc/$CTRD/ns/mnt" --net="/run/netns/$P-h1" \
		ctr --address "$CD/containerd.sock" --namespace cbpf "$@"
}
lib_cleanup_hook() {
	local id
	for id in $(c task ls -q 2>/dev/null); do c task kill -s KILL "$id" >/dev/null 2>&1; done
	sleep 0.5
	for id in $(c container ls -q 2>/dev/null); do
		c task delete -f "$id" >/dev/null 2>&1
		c container delete "$id" >/dev/null 2>&1
	done
	kill "$CTRD" 2>/dev/null
	wait "$CTRD" 2>/dev/null
	[ -z "${MADE_RUN_DIR:-}" ] || rmdir /run/containerd
}
for _ in $(seq 200); do # 20 s at most
	c version >/dev/null 2>&1 && break
	sleep 0.1
done
check "containerd answers" c version

check "import the busybox image" c image import --snapshotter native "$CD/image.tar"
check_contains "the image is listed" "$IMAGE" "$(c image ls -q)"
# ctr 1.6 runs CNI DEL only for a container it runs in the foreground with --rm, when its task
# ends (`ctr task delete` of a detached one does not: that came in 1.7). c1 is run that way, by a
# ctr in the background; c2 detached.
run_opts=(--cni --snapshotter native --runc-root "$CD/runc")
c run --rm "${run_opts[@]}" "$IMAGE" "$P-c1" sleep 600 </dev/null >"$CD/c1.out" 2>&1 &
C1_RUN=$!
PIDS+=("$C1_RUN")
check "ctr run -d --cni c2" c run -d "${run_opts[@]}" "$IMAGE" "$P-c2" sleep 600
for _ in $(seq 200); do # 20 s at most
	[ "$(c task ls | awk -v id="$P-c1" '$1 == id {print $3}')" = RUNNING ] && break
	sleep 0.1
done
check_eq "ctr run --rm --cni c1 runs" RUNNING "$(c task ls | awk -v id="$P-c1" '$1 == id {print $3}')"
check_eq "cbpfnet made an endpoint for each container" 2 "$(cb h1 --json ep list | jq length)"
# addr CONTAINER: its eth0's IPv4 address, read inside the container by busybox's ip.
addr() { c task exec --exec-id "a$RANDOM" "$P-$1" ip -4 -o addr show dev eth0 | awk '{print $4}'; }
# ep_of ADDR FIELD: a field of the endpoint cbpfnet records for an address.
ep_of() { cb h1 --json ep list | jq -r --arg ip "$1" --arg f "$2" '.[] | select(.ip == $ip) | .[$f]'; }
a1=$(addr c1)
a2=$(addr c2)
for ct in c1 c2; do
	a=$(addr $ct)
	check_contains "$ct has an address of web (10.30.0.0/24)" "10.30.0." "${a%/24}/24"
	check_eq "$ct's address is the one cbpfnet recorded" "${a%/24}" "$(ep_of "${a%/24}" ip)"
done
a1=${a1%/24}
a2=${a2%/24}
# cping FROM ADDR: FROM's container pings ADDR (busybox ping, exit status 0 on an answer).
cping() { c task exec --exec-id "p$RANDOM" "$P-$1" ping -c 1 -W 2 "$2" >/dev/null 2>&1; }
check "c1 pings c2" cping c1 "$a2"
check "c2 pings c1" cping c2 "$a1"

ep1=$(ep_of "$a1" name)
ep2=$(ep_of "$a2" name)
check "policy: $ep1 -> $ep2 denied" cb h1 policy set "$ep1" "$ep2" deny
before=$(drops h1 policy-deny)
check_fail "c1 no longer pings c2" cping c1 "$a2"
check_gt "the policy-deny counter rose" "$(drops h1 policy-deny)" "$before"

# --- c1's task ends: its ctr run --rm runs CNI DEL and deletes the container -----------------
host_if=$(ep_of "$a1" host_ifname)
check "c1's host interface $host_if exists" in_ns h1 test -e "/sys/class/net/$host_if"
check "kill c1's task" c task kill -s KILL "$P-c1"
for _ in $(seq 200); do # 20 s at most
	kill -0 "$C1_RUN" 2>/dev/null || break
	sleep 0.1
done
check_fail "c1's ctr run --rm has ended" kill -0 "$C1_RUN"
check_eq "ctr deleted the container" "" "$(c container ls -q | grep -x "$P-c1")"
check_eq "c1's endpoint is gone from ep list, c2's stays" "$ep2" \
	"$(cb h1 --json ep list | jq -r '.[].name')"
check_fail "c1's host interface is gone" in_ns h1 test -e "/sys/class/net/$host_if"
check_eq "c1's map entry is gone: one endpoint left" 1 "$(map_dump h1 cbpf_endpoints | jq length)"
check "c2 still runs and answers its own pings" cping c2 "$a2"
check "ctr task delete -f c2" c task delete -f "$P-c2"
check "ctr container delete c2" c container delete "$P-c2"
check_eq "a detached container's delete runs no CNI DEL in 1.6: c2's endpoint stays" "$ep2" \
	"$(cb h1 --json ep list | jq -r '.[].name')"
check "ep del removes it (README)" cb h1 ep del "$ep2"
check_eq "no endpoint left" 0 "$(cb h1 --json ep list | jq length)"

lib_finish
