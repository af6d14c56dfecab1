#!/usr/bin/env bash
# Installs everything cbpfnet needs to build, test and demo on Debian 12. Idempotent.
set -euo pipefail

packages=(
	build-essential pkg-config make clang llvm clang-format libclang-rt-14-dev
	libbpf-dev bpftool libelf-dev zlib1g-dev
	libnl-3-dev libnl-route-3-dev libjson-c-dev libsqlite3-dev sqlite3 libmicrohttpd-dev curl
	libcurl4-openssl-dev
	iproute2 iputils-ping netcat-openbsd iperf3 tcpdump tshark python3-scapy
	ethtool socat jq gnuplot-nox liblinear-tools containernetworking-plugins iptables
	podman runc busybox-static containerd chromium firefox-esr
	etcd-server gdb
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The web UI's browser tests drive Debian's chromium with playwright-core and Debian's
# firefox-esr with puppeteer-core over WebDriver BiDi (tests/ui's package-lock.json); no browser
# is downloaded. Node from Debian unless one is installed.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends nodejs npm
fi
(cd "$(dirname "$0")/../tests/ui" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund)
