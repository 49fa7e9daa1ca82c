#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The offload compiler's rules for vtep.p4 (tests/offload/vtep_entries.txt),
# per profile, against tests/offload/golden/vtep_PROFILE.txt; the
# testpmd_syntax test feeds the same files to dpdk-testpmd.
# FT_GOLDEN_UPDATE=1 rewrites them. Usage: compile_golden.sh FLOWTWIN SRCDIR
set -eu
flowtwin=$1
src=$2
rc=0
for nic in sim cx6dx cx7 bf2 bf3; do
	golden="$src/tests/offload/golden/vtep_$nic.txt"
	out=$("$flowtwin" compile "$src/p4/vtep.p4" --entries "$src/tests/offload/vtep_entries.txt" \
		--nic "$nic" --port 0 --port 1 | grep -v '^#')
	if [ "${FT_GOLDEN_UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$out" > "$golden"
	elif ! printf '%s\n' "$out" | diff -u "$golden" -; then
		echo "FAIL: $nic: rules differ from $golden" >&2
		rc=1
	fi
	[ -s "$golden" ] || { echo "FAIL: $golden is empty" >&2; rc=1; }
done
exit $rc
