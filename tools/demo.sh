#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job on a fresh Debian 12 machine: install what is missing, build,
# and run the VTEP demo (tests/e2e/demo.sh): flowtwin-vtep with the software
# NIC (--offload sim) against a Linux kernel VXLAN device in network
# namespaces, pings across the overlay, dump-flows and the NIC/software
# counters, then everything cleaned up. Needs root (namespaces, af_packet).
# `./tools/demo.sh none` runs the model alone; `build/tools/flowtwin demo`
# is the earlier demo of the model on its own.
set -eu
cd "$(dirname "$0")/.."
./tools/deps.sh
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build >/dev/null
exec bash tests/e2e/demo.sh "${1:-sim}" "$PWD/build" "$PWD"
