#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The offload compiler's rules for vtep.p4 (tests/offload/vtep_entries.txt),
# per profile, against tests/offload/golden/vtep_PROFILE.txt ('flow create',
# --api sync) and, for the profiles of the template API, against
# tests/offload/golden/vtep_PROFILE_template.txt (--api template: flow
# configure, templates, tables, 'flow queue'); the testpmd_syntax test feeds
# the same files to dpdk-testpmd.
# FT_GOLDEN_UPDATE=1 rewrites them. Usage: compile_golden.sh FLOWTWIN SRCDIR
set -eu
flowtwin=$1
src=$2
rc=0
# check NAME NIC API: one golden file.
check() {
	golden="$src/tests/offload/golden/$1.txt"
	out=$("$flowtwin" compile "$src/p4/vtep.p4" --entries "$src/tests/offload/vtep_entries.txt" \
		--nic "$2" --api "$3" --port 0 --port 1 --port 2 | grep -v '^#') || {
		echo "FAIL: $1: flowtwin compile --nic $2 --api $3 failed" >&2
		rc=1
		return 0
	}
	if [ "${FT_GOLDEN_UPDATE:-0}" = 1 ]; then
		printf '%s\n' "$out" > "$golden"
	elif ! printf '%s\n' "$out" | diff -u "$golden" -; then
		echo "FAIL: $1: rules differ from $golden" >&2
		rc=1
	fi
	[ -s "$golden" ] || { echo "FAIL: $golden is empty" >&2; rc=1; }
}
for nic in sim cx6dx cx7 bf2 bf3; do
	check "vtep_$nic" "$nic" sync
done
for nic in cx7 bf3; do
	check "vtep_${nic}_template" "$nic" template
	# Without --api, testpmd text follows the profile: the template API here.
	if ! "$flowtwin" compile "$src/p4/vtep.p4" --entries "$src/tests/offload/vtep_entries.txt" \
		--nic "$nic" --port 0 --port 1 --port 2 | grep -q '^flow template_table '; then
		echo "FAIL: $nic: the default text is not the template API's" >&2
		rc=1
	fi
done
exit $rc
