#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The main job on a fresh Debian 12 machine: install what is missing, build,
# and run the demo of the software model on the bundled example VTEP pipeline.
set -eu
cd "$(dirname "$0")/.."
./tools/deps.sh
if [ -d build ]; then meson setup --reconfigure build >/dev/null; else meson setup build >/dev/null; fi
ninja -C build tools/flowtwin >/dev/null
exec ./build/tools/flowtwin demo "$@"
