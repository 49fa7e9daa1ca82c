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
# testpmd runs on three net_null ports (0, 1 and 2: rules may name any),
# without hugepages or PCI. net_null
# implements no rte_flow, so a 'flow create' line testpmd parsed fails with
# "Function not implemented", and one it could not parse says "Bad
# arguments". Each file is run twice:
#
#  1. as users replay rules: --cmdline-file=FILE. Here the number of
#     "Function not implemented" answers must equal the number of
#     'flow create' lines (and of the template commands that answer so,
#     below; the "... is invalid" answers are counted too). (A file-based cmdline has no output stream, so
#     testpmd's "Bad arguments" is not shown in this mode: hence run 2.)
#  2. the same lines on standard input, where testpmd echoes each line after
#     its prompt and answers right after it. This names the line at fault:
#     every 'flow create' must be answered "Function not implemented", and no
#     line (the 'set raw_encap N ... end_set', 'set raw_decap', 'set vxlan*'
#     lines included) may be answered "Bad arguments", "Command not found",
#     "Ambiguous command" or an "Error" ('set raw_encap' prints "Error - ..."
#     for an item it cannot put in a header).
#
# The template API's commands (offload/template.c) are checked the same way.
# On net_null, which implements no rte_flow, DPDK 22.11's testpmd answers a
# parsed command of each kind so:
#
#   flow configure ...                     Function not implemented
#   flow pattern_template P create ...     Function not implemented
#   flow actions_template P create ...     Function not implemented
#   flow template_table P create ...       Pattern template #I is invalid
#                                          (its templates were not created)
#   flow queue P create ...                Table #T is invalid
#   flow push P queue 0, flow pull ...     Queue #0 is invalid (no 'flow
#                                          configure' ran in that testpmd)
#
# and one it could not parse "Bad arguments". 'flow configure' records the
# queues before it fails, and 'flow push' and 'flow pull' on net_null then
# crash testpmd (22.11 calls a callback net_null does not have): so the
# push and pull lines are taken out of the file and run in a testpmd of
# their own, where no 'flow configure' came first. The answers to
# 'template_table' and 'queue' are printf()s to a buffered stdout: testpmd
# runs under 'stdbuf -oL' so that they come right after their line (without
# stdbuf, only run 1's counts check them).
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
if command -v stdbuf >/dev/null 2>&1; then
	limit="$limit stdbuf -oL"
	inorder=1
else
	inorder=0
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
	$limit "$testpmd" --no-huge -m 1024 --no-pci --vdev=net_null0 --vdev=net_null1 --vdev=net_null2 \
		--file-prefix="ftcheck$$_$run" --no-shconf --log-level=lib.eal:error \
		-- -i --total-num-mbufs=4096 "$@" >"$out" 2>&1
}

# check_transcript OUTPUT LINES MAP: block k of testpmd's transcript (from the
# k-th prompt to the next) answers line k of the file fed to it, which is line
# MAP[k] of the golden file.
check_transcript() {
	tr -d '\r' <"$1" | awk -v file="$f" -v lines="$2" -v map="$3" -v inorder="$inorder" '
		BEGIN { split(map, at, " ") }
		function check(   bad, want) {
			if (k == 0 || k > lines)
				return
			bad = ""
			want = ""
			if (cmd ~ /^flow (create|configure|pattern_template|actions_template) /)
				want = "Function not implemented"
			else if (inorder && cmd ~ /^flow template_table /)
				want = "(Pattern|Actions) template #[0-9]+ is invalid"
			else if (inorder && cmd ~ /^flow queue /)
				want = "Table #[0-9]+ is invalid"
			else if (inorder && cmd ~ /^flow (push|pull) /)
				want = "Queue #[0-9]+ is invalid"
			if (want != "" && ans !~ want)
				bad = "not parsed (testpmd did not answer /" want "/)"
			if (ans ~ /Bad arguments|Command not found|Ambiguous command|Error/)
				bad = "rejected"
			if (bad != "") {
				printf "FAIL: %s:%d: %s: %s\n", file, at[k], bad, cmd
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
		}'
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
	# The file without its push/pull lines, and where each line came from.
	grep -v -E '^flow (push|pull) ' "$f" >"$tmp/main.txt"
	grep -E '^flow (push|pull) ' "$f" >"$tmp/queue.txt"
	map=$(grep -n -v -E '^flow (push|pull) ' "$f" | cut -d: -f1 | tr '\n' ' ')
	qmap=$(grep -n -E '^flow (push|pull) ' "$f" | cut -d: -f1 | tr '\n' ' ')
	rules=$(grep -c '^flow create' "$f")
	notimpl=$(grep -c -E '^flow (create|configure|pattern_template|actions_template) ' "$f")
	invalid=$(grep -c -E '^flow (template_table|queue) ' "$f")
	queue_ops=$(wc -l <"$tmp/queue.txt")
	lines=$(wc -l <"$tmp/main.txt")

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
	run_testpmd "$tmp/file.out" --cmdline-file="$tmp/main.txt" </dev/null
	rc=$?
	parsed=$(grep -c 'Function not implemented' "$tmp/file.out")
	parsed_inv=$(grep -c -E '^(Pattern template|Actions template|Table) #[0-9]+ is invalid' \
		"$tmp/file.out")
	if [ "$rc" -ne 0 ] || [ "$parsed" -ne "$notimpl" ] || [ "$parsed_inv" -ne "$invalid" ]; then
		echo "FAIL: $f: --cmdline-file: testpmd (exit $rc) parsed $parsed of $notimpl" \
			"'flow create|configure|pattern_template|actions_template' lines and" \
			"$parsed_inv of $invalid 'flow template_table|queue' lines"
		ok=0
	fi

	# Run 2: standard input, line by line.
	run_testpmd "$tmp/stdin.out" <"$tmp/main.txt"
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "FAIL: $f: testpmd exited with $rc reading standard input"
		tail -n 20 "$tmp/stdin.out"
		ok=0
	fi
	# Block k of the transcript (from the k-th prompt to the next) answers line k.
	check_transcript "$tmp/stdin.out" "$lines" "$map" || ok=0

	# Run 3: the push and pull lines, in a testpmd without 'flow configure'.
	if [ "$queue_ops" -gt 0 ]; then
		run_testpmd "$tmp/queue.out" <"$tmp/queue.txt"
		rc=$?
		if [ "$rc" -ne 0 ]; then
			echo "FAIL: $f: testpmd exited with $rc reading the push/pull lines"
			tail -n 20 "$tmp/queue.out"
			ok=0
		fi
		check_transcript "$tmp/queue.out" "$queue_ops" "$qmap" || ok=0
	fi
	if [ "$ok" -eq 1 ]; then
		echo "ok: $f: $rules 'flow create', $notimpl + $invalid + $queue_ops commands" \
			"parsed, $((lines + queue_ops)) lines accepted"
	else
		status=1
	fi
done
exit $status
