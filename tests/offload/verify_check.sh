#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# flowtwin verify on vtep.p4: a pcapng capture (interface id = port) and a
# classic pcap (--in-port) through every profile without a divergence, with
# the split between NIC and software the rules predict; bad captures refused.
# Usage: verify_check.sh FLOWTWIN SOURCE_ROOT
set -eu
tool=$1
root=$2
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
entries=$root/tests/offload/vtep_entries.txt
python3 "$root/tests/offload/mkcapture.py" "$dir/t.pcapng" 5
python3 "$root/tests/offload/mkcapture.py" "$dir/t.pcap" 5

expect() { # PROFILE CAPTURE EXTRA-ARGS... -- EXPECTED-SUMMARY
	nic=$1 cap=$2
	shift 2
	args=""
	while [ "$1" != "--" ]; do args="$args $1"; shift; done
	shift
	out=$("$tool" verify "$root/p4/vtep.p4" --entries "$entries" --pcap "$cap" --nic "$nic" $args) || {
		echo "FAIL: verify $nic $cap exited $?:"; echo "$out"; exit 1; }
	case "$out" in
	*"$1"*) echo "ok: $nic $(basename "$cap"): $1" ;;
	*) echo "FAIL: verify $nic $cap: expected '$1', got:"; echo "$out"; exit 1 ;;
	esac
}

# sim and bf2 finish the decaps, the VLAN push and pop and the drops; cx6dx has no
# VLAN push; cx5 has no INTEGRITY and offloads nothing; malformed frames reach
# software unmarked.
expect sim "$dir/t.pcapng" -- "40 packets on sim: the NIC finished 30 (sent 20, dropped 10), software resumed 0, software from the start 10; 0 divergences"
expect bf2 "$dir/t.pcapng" -- "the NIC finished 30 (sent 20, dropped 10)"
expect cx6dx "$dir/t.pcapng" -- "the NIC finished 20 (sent 10, dropped 10), software resumed 10, software from the start 10; 0 divergences"
expect cx7 "$dir/t.pcapng" -- "0 divergences"
expect bf3 "$dir/t.pcapng" -- "0 divergences"
expect cx5 "$dir/t.pcapng" -- "the NIC finished 0 (sent 0, dropped 0), software resumed 0, software from the start 40; 0 divergences"
expect sim "$dir/t.pcap" --in-port 0 -- "25 packets on sim: the NIC finished 20 (sent 10, dropped 10), software resumed 0, software from the start 5; 0 divergences"

# Bad captures: an error naming the problem, exit 1.
head -c 100 "$dir/t.pcapng" >"$dir/cut.pcapng"
for bad in "$dir/cut.pcapng" "$dir/missing.pcap"; do
	if err=$("$tool" verify "$root/p4/vtep.p4" --pcap "$bad" 2>&1); then
		echo "FAIL: verify accepted $bad"; exit 1
	fi
	echo "ok: refused $(basename "$bad"): $err"
done
