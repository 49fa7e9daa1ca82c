#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs the benchmarks of the software model beside DPDK's SWX pipeline, in one
# run, so that the figures are compared as ratios on the same (noisy) machine:
#
#   tests/bench/run.sh [--quick | --compile]
#
# For each table size it alternates SWX and flowtwin ROUNDS times and keeps
# the best of each (the least disturbed run), then prints the ratio. Then it
# counts instructions per packet of flowtwin's burst under callgrind.
# --quick: one round, 1 s each (a smoke test of the programs).
# --compile: instead, the offload compiler's rate on vtep.p4 with 1K, 64K and
# 1M FDB entries (bench_compile; 1M takes about a second per profile and 400 MB),
# then its instructions under callgrind at 64K entries (docs/PERFORMANCE.md,
# "Offload compile").
set -eu
cd "$(dirname "$0")/../.."
./tools/deps.sh

ROUNDS=3
SECONDS_EACH=2
[ "${1:-}" = "--quick" ] && ROUNDS=1 && SECONDS_EACH=1

B=build-bench
if [ -d $B ]; then meson setup --reconfigure $B --buildtype=release >/dev/null
else meson setup $B --buildtype=release >/dev/null; fi

if [ "${1:-}" = "--compile" ]; then
	ninja -C $B tests/bench/bench_compile >/dev/null
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "date: $(date -u +%Y-%m-%d)"
	for n in 1024 65536 1048576; do
		$B/tests/bench/bench_compile --entries $n | grep '^RESULT'
	done
	out=$(mktemp)
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=ft_offload_compile \
		$B/tests/bench/bench_compile --entries 65536 --ctl-entries 0 --profile sim >/dev/null 2>&1
	callgrind_annotate --inclusive=no "$out" 2>/dev/null | sed -n '/PROGRAM TOTALS/p;/file:function/,+16p'
	rm -f "$out"
	exit 0
fi
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

# The same workloads on pipelines loaded from P4: dpdk_vxlan.p4 (its table
# holds 1M entries) and the whole VTEP of vtep.p4 (its FDB holds 256K).
swx=$(best $B/tests/bench/swx/bench_swx -- --entries 1048576 --seconds $SECONDS_EACH)
ft=$(best $B/tests/bench/bench_model --workload dpdk-vxlan --p4 p4/dpdk_vxlan.p4 --entries 1048576 --seconds $SECONDS_EACH)
echo "$swx"
echo "$ft"
echo "RATIO workload=dpdk-vxlan entries=1048576 flowtwin-p4/swx=$(echo "scale=2; $(field "$ft" mpps) / $(field "$swx" mpps)" | bc)"
for n in 262144 1024; do
	c=$(best $B/tests/bench/bench_model --workload vtep-decap --entries $n --seconds $SECONDS_EACH)
	p=$(best $B/tests/bench/bench_model --workload vtep-decap --p4 p4/vtep.p4 --entries $n --seconds $SECONDS_EACH)
	echo "$c"
	echo "$p"
	echo "RATIO workload=vtep-decap entries=$n vtep.p4/c=$(echo "scale=2; $(field "$p" mpps) / $(field "$c" mpps)" | bc)"
done
echo

# Instructions per packet: callgrind counts instructions, not time, so this
# figure does not depend on what else the machine is doing.
for w in dpdk-vxlan vtep-decap dpdk-vxlan:p4/dpdk_vxlan.p4 vtep-decap:p4/vtep.p4; do
	p4=""
	case $w in *:*) p4="--p4 ${w#*:}"; w=${w%%:*} ;; esac
	out=$(mktemp)
	# shellcheck disable=SC2086
	valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect=bench_burst \
		$B/tests/bench/bench_model --workload $w $p4 --entries 1024 --bursts 2000 >/dev/null 2>&1
	ir=$(callgrind_annotate "$out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
	echo "CALLGRIND workload=$w ${p4:+program=${p4#--p4 }} entries=1024 instructions_per_pkt=$((ir / (2000 * 64)))"
	rm -f "$out"
done
