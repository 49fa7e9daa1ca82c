#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The dpdk-testpmd syntax oracle: proves that DPDK's own testpmd parses every
# rule in the golden files (tests/offload/golden/*.txt, written by
# offload/flow_text.c).
#
# usage: testpmd_check.sh DIR     (exit 0: all parsed; 1: a line was
#                                  rejected; 77: no dpdk-testpmd, skipped)
#
# testpmd runs on two net_null ports (0 and 1: rules may name either),
# without hugepages or PCI. net_null
# implements no rte_flow, so a 'flow create' line testpmd parsed fails with
# "Function not implemented", and one it could not parse says "Bad
# arguments". Each file is run twice:
#
#  1. as users replay rules: --cmdline-file=FILE. Here the number of
#     "Function not implemented" answers must equal the number of
#     'flow create' lines. (A file-based cmdline has no output stream, so
#     testpmd's "Bad arguments" is not shown in this mode: hence run 2.)
#  2. the same lines on standard input, where testpmd echoes each line after
#     its prompt and answers right after it. This names the line at fault:
#     every 'flow create' must be answered "Function not implemented", and no
#     line (the 'set raw_encap N ... end_set', 'set raw_decap', 'set vxlan*'
#     lines included) may be answered "Bad arguments", "Command not found",
#     "Ambiguous command" or an "Error" ('set raw_encap' prints "Error - ..."
#     for an item it cannot put in a header).
#
# Each run has its own --file-prefix and --no-shconf, so parallel runs do not
# collide; each is limited to 60 seconds. TESTPMD overrides the program.

set -u

dir=${1:?usage: testpmd_check.sh DIR}
testpmd=${TESTPMD:-dpdk-testpmd}

if ! command -v "$testpmd" >/dev/null 2>&1; then
	echo "SKIP: $testpmd not found"
	exit 77
fi
if command -v timeout >/dev/null 2>&1; then
	limit="timeout 60"
else
	limit=
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/testpmd_check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

run=0
# run_testpmd OUTPUT [testpmd application options]: stdin is the caller's.
run_testpmd() {
	out=$1
	shift
	run=$((run + 1))
	$limit "$testpmd" --no-huge -m 1024 --no-pci --vdev=net_null0 --vdev=net_null1 \
		--file-prefix="ftcheck$$_$run" --no-shconf --log-level=lib.eal:error \
		-- -i --total-num-mbufs=4096 "$@" >"$out" 2>&1
}

status=0
files=0
for f in "$dir"/*.txt; do
	if [ ! -f "$f" ]; then
		echo "FAIL: no *.txt file in $dir"
		exit 1
	fi
	files=$((files + 1))
	ok=1
	case $f in
	/*) abs=$f ;;
	*) abs=$(pwd)/$f ;;
	esac
	rules=$(grep -c '^flow create' "$f")
	lines=$(wc -l <"$f")

	# testpmd keeps the first 512 characters of a line (RDLINE_BUF_SIZE).
	if ! awk -v file="$f" 'length($0) > 512 {
			printf "FAIL: %s:%d: %d characters; testpmd reads 512 of a line\n", \
				file, NR, length($0)
			bad = 1
		}
		END { exit bad }' "$f"; then
		ok=0
	fi

	# Run 1: --cmdline-file, counted.
	run_testpmd "$tmp/file.out" --cmdline-file="$abs" </dev/null
	rc=$?
	parsed=$(grep -c 'Function not implemented' "$tmp/file.out")
	if [ "$rc" -ne 0 ] || [ "$parsed" -ne "$rules" ]; then
		echo "FAIL: $f: --cmdline-file: testpmd (exit $rc) parsed $parsed of $rules" \
			"'flow create' lines"
		ok=0
	fi

	# Run 2: standard input, line by line.
	run_testpmd "$tmp/stdin.out" <"$f"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $f: testpmd exited with $rc reading standard input"
		tail -n 20 "$tmp/stdin.out"
		ok=0
	fi
	# Block k of the transcript (from the k-th prompt to the next) answers line k.
	tr -d '\r' <"$tmp/stdin.out" | awk -v file="$f" -v lines="$lines" '
		function check(   bad) {
			if (k == 0 || k > lines)
				return
			bad = ""
			if (cmd ~ /^flow create/ && ans !~ /Function not implemented/)
				bad = "flow create not parsed"
			if (ans ~ /Bad arguments|Command not found|Ambiguous command|Error/)
				bad = "rejected"
			if (bad != "") {
				printf "FAIL: %s:%d: %s: %s\n", file, k, bad, cmd
				n = split(ans, a, "\n")
				for (i = 1; i <= n; i++)
					if (a[i] != "")
						printf "    testpmd: %s\n", a[i]
				failed++
			}
		}
		/^testpmd> / {
			check()
			k++
			cmd = substr($0, 10)
			ans = ""
			next
		}
		k > 0 { ans = ans $0 "\n" }
		END {
			check()
			# The last prompt is the one that met the end of the input.
			if (k != lines + 1) {
				printf "FAIL: %s: testpmd answered %d of %d lines\n", file, k - 1, lines
				failed++
			}
			exit failed > 0
		}' || ok=0
	if [ "$ok" -eq 1 ]; then
		echo "ok: $f: $rules 'flow create' lines parsed, $lines lines accepted"
	else
		status=1
	fi
done
exit $status
