#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The P4 commands of the flowtwin tool: check (a summary, or an error with
# its position), trace (one packet through dpdk_vxlan.p4 with an entries
# file, text and JSON) and stf (a vector that passes, one that fails).
set -eu
FLOWTWIN=$1
SRC=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

expect() { # file, text
	grep -qF -- "$2" "$1" || { echo "missing from $1: $2"; cat "$1"; exit 1; }
}

"$FLOWTWIN" check "$SRC/p4/vtep.p4" >"$tmp/check"
expect "$tmp/check" "p4/vtep.p4: 14 headers"
expect "$tmp/check" "  fdb (size 262144)"
expect "$tmp/check" "    key: meta.vni:exact meta.dst_mac:exact"
expect "$tmp/check" "  inner_ethernet       14 bytes  parsed as inner_eth"

# A program outside the subset: refused with file:line:col, exit 1.
sed 's/transition accept;/transition reject;/' "$SRC/p4/dpdk_vxlan.p4" >"$tmp/bad.p4"
cp "$SRC/p4/flowtwin.p4" "$tmp/" 2>/dev/null || true
if "$FLOWTWIN" check "$tmp/bad.p4" 2>"$tmp/err"; then
	echo "check accepted a program with 'transition reject'"; exit 1
fi
grep -qE "bad.p4:[0-9]+:[0-9]+: transition reject is not supported" "$tmp/err" ||
	{ echo "unexpected error:"; cat "$tmp/err"; exit 1; }

# One encapsulation through dpdk_vxlan.p4: 64 bytes in, 50 more out on port 5.
cat >"$tmp/entries" <<'END'
table_add vxlan_table vxlan_encap 02:00:00:00:00:02 => 02:00:00:00:00:09 02:00:00:00:00:01 0x0800 0x45 0 50 0 0x4000 64 17 0 10.0.0.1 10.0.0.2 49152 4789 30 0 8 0 100 0 5
END
pkt=02000000000202000000000108004500003200010000401166b60a0100010a02000113881388001ec49d
pkt=${pkt}00000000000000000000000000000000000000000000
"$FLOWTWIN" trace "$SRC/p4/dpdk_vxlan.p4" --entries "$tmp/entries" --packet "$pkt" \
	--in-port 1 >"$tmp/trace"
expect "$tmp/trace" "table vxlan_table: ethernet.dst_addr=02:00:00:00:00:02"
expect "$tmp/trace" "outer_ipv4.total_len: 50 -> 100"
expect "$tmp/trace" "Output: port 5, 114 bytes"
"$FLOWTWIN" trace "$SRC/p4/dpdk_vxlan.p4" --entries "$tmp/entries" --packet "$pkt" --json |
	python3 -c 'import json, sys; t = json.load(sys.stdin); assert t["outputs"][0]["port"] == 5, t'

# stf: a vector that passes, and the same with one byte changed, which fails.
"$FLOWTWIN" stf "$SRC/p4/vtep.p4" "$SRC/tests/stf/l2pop.stf" >"$tmp/stf"
expect "$tmp/stf" "0 failures"
sed '0,/^expect 1 \(..\)/s//expect 1 ff/' "$SRC/tests/stf/l2pop.stf" >"$tmp/broken.stf"
if "$FLOWTWIN" stf "$SRC/p4/vtep.p4" "$tmp/broken.stf" >"$tmp/stf2"; then
	echo "stf passed a broken vector"; exit 1
fi
expect "$tmp/stf2" "1 failures"
echo "cli: ok"
