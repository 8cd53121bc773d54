#!/bin/sh
# Installs every Debian 12 package iocsift needs to build, run and test.
# Idempotent: packages already present are left as they are.
# libzstd-dev compresses the on-box history's blocks (docs/history.md).
# bind9-utils, nftables and squid are the block lists' consumers that
# tests/integration/exports_test.py runs (named-checkzone, nft -c, squid
# -k parse); on a machine with systemd the squid package also starts a
# squid on port 3128, which no test uses or needs.
# libnats-dev is the NATS C client of the nats:// sink; nats-server is the
# JetStream server tests/integration/nats_sink_test.py starts on a port of
# its own (the package's service, where systemd starts it, listens on
# 4222 and no test uses it).
set -eu

PACKAGES="
bind9-utils
build-essential
clang
dpdk
dpdk-dev
jq
libclang-rt-14-dev
libcmocka-dev
libdpdk-dev
libhyperscan-dev
libidn2-dev
libjansson-dev
libnats-dev
libpcap-dev
libssl-dev
libzstd-dev
openssl
liburcu-dev
meson
nats-server
ninja-build
nftables
iproute2
pkg-config
procps
python3-scapy
ripgrep
rsyslog
rsyslog-openssl
squid
tcpreplay
tshark
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install:$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends $missing
fi
