#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs the benchmarks of the software model beside DPDK's SWX pipeline, in one
# run, so that the figures are compared as ratios on the same (noisy) machine:
#
#   tests/bench/run.sh [--quick]
#
# For each table size it alternates SWX and flowtwin ROUNDS times and keeps
# the best of each (the least disturbed run), then prints the ratio. Then it
# counts instructions per packet of flowtwin's burst under callgrind.
# --quick: one round, 1 s each (a smoke test of the programs).
set -eu
cd "$(dirname "$0")/../.."
./tools/deps.sh

ROUNDS=3
SECONDS_EACH=2
[ "${1:-}" = "--quick" ] && ROUNDS=1 && SECONDS_EACH=1

B=build-bench
if [ -d $B ]; then meson setup --reconfigure $B --buildtype=release >/dev/null
else meson setup $B --buildtype=release >/dev/null; fi
ninja -C $B tests/bench/bench_model tests/bench/swx/bench_swx >/dev/null

field() { # line, key
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

best() { # command...: the RESULT line with the highest mpps of ROUNDS runs
	top=""
	i=0
	while [ $i -lt $ROUNDS ]; do
		line=$("$@" | grep '^RESULT') || { echo "FAILED: $*" >&2; exit 1; }
		if [ -z "$top" ] || [ "$(echo "$(field "$line" mpps) > $(field "$top" mpps)" | bc)" = 1 ]; then
			top=$line
		fi
		i=$((i + 1))
	done
	echo "$top"
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "date: $(date -u +%Y-%m-%d)"
echo
for n in 1048576 1024; do
	swx=$(best $B/tests/bench/swx/bench_swx -- --entries $n --seconds $SECONDS_EACH)
	ft=$(best $B/tests/bench/bench_model --workload dpdk-vxlan --entries $n --seconds $SECONDS_EACH)
	dec=$(best $B/tests/bench/bench_model --workload vtep-decap --entries $n --seconds $SECONDS_EACH)
	echo "$swx"
	echo "$ft"
	echo "$dec"
	echo "RATIO workload=dpdk-vxlan entries=$n flowtwin/swx=$(echo "scale=2; $(field "$ft" mpps) / $(field "$swx" mpps)" | bc)"
	echo
done

# Instructions per packet: callgrind counts instructions, not time, so this
# figure does not depend on what else the machine is doing.
for w in dpdk-vxlan vtep-decap; do
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=bench_burst \
		$B/tests/bench/bench_model --workload $w --entries 1024 --bursts 2000 >/dev/null 2>&1
	ir=$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	echo "CALLGRIND workload=$w entries=1024 instructions_per_pkt=$((ir / (2000 * 64)))"
	rm -f "$out"
done
