#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The demo (README's first command) runs the example traffic through the
# example VTEP and reports what each packet became. Checks the outcomes, the
# counters, and that --json output is valid JSON for each packet.
set -eu
FLOWTWIN=$1
out=$(mktemp)
trap 'rm -f "$out"' EXIT

"$FLOWTWIN" demo >"$out"

expect() {
	grep -qF -- "$1" "$out" || { echo "missing from the demo's output: $1"; exit 1; }
}
# 1: local unicast; 2: encapsulated (60 + 50 bytes); 4: decapsulated.
expect "Output: port 2, 60 bytes"
expect "Output: port 0, 110 bytes"
# 3: flood: pruned hairpin, two encapsulated copies to the two VTEPs.
expect "Drop: dropped by action 'drop_hairpin' (action)"
expect "Output: port 0, 110 bytes, rid 1"
expect "Output: port 0, 110 bytes, rid 2"
# 5: from the tunnel, never back into it.
expect "Drop: dropped by action 'drop_split_horizon' (action)"
# 6, 7
expect "Drop: dropped by action 'drop_unknown_vni' (action)"
expect "Drop: truncated IPv4 header (trunc_ipv4)"
expect "rx 7, tx 8 (copies 6)"
expect "dropped by action drop_split_horizon   2"
expect "fdb: 2 entries, 3 hits, 2 misses"

"$FLOWTWIN" demo --json | python3 -c '
import json, sys
traces = [json.loads(line) for line in sys.stdin if line.strip()]
assert len(traces) == 7, len(traces)
assert traces[1]["outputs"][0]["len"] == 110
assert traces[6]["drop"]["reason"] == "trunc_ipv4", traces[6]["drop"]
'
echo "demo: ok"
