#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian 12 packages flowtwin needs to build, test and run its
# demo, if any is missing. Needs root (or sudo) only when something is missing.
set -eu

# What the build, the tests, the demo and the benchmarks use (dpdk-dev:
# dpdk-testpmd, the rule-syntax oracle; iproute2 ethtool iputils-ping tcpdump:
# the end-to-end tests and the demo in network namespaces).
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev
 libjansson-dev libxxhash-dev libcmocka-dev libpcap-dev libdpdk-dev
 valgrind bc python3 python3-scapy dpdk-dev iproute2 ethtool iputils-ping tcpdump"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
