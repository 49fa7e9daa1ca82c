#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs every test of flowtwin on a Debian 12 machine: installs what is
# missing, then builds and tests
#   1. the normal build, warnings as errors (all suites, e2e included);
#   2. the same under AddressSanitizer + UndefinedBehaviorSanitizer (not e2e);
#   3. the unit suite and the differential test under valgrind;
#   4. a short libFuzzer run of every fuzz target (clang).
# Ends with one line "N passed, N failed" over all of them.
set -eu
cd "$(dirname "$0")/.."
./tools/deps.sh

setup() { # dir, options...
	dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
}

results=""
run() { # dir, log name, meson test options...
	dir=$1
	log=$2
	shift 2
	rc=0
	meson test -C "$dir" --print-errorlogs --logbase "$log" "$@" || rc=$?
	results="$results $dir/meson-logs/$log*.json" # a wrapper adds its name
	return $rc
}

fail=0
setup build-ci -Dwerror=true
run build-ci all || fail=1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
setup build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false
# The differential test with fewer packets: ASan makes it five times slower.
export FT_TWIN_PACKETS=5000
run build-asan asan --suite unit --suite tools --suite stf --suite offload --suite dpdk || fail=1
unset FT_TWIN_PACKETS

VALGRIND="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite"
run build-ci valgrind --suite unit --wrapper "$VALGRIND" --timeout-multiplier 10 || fail=1
# The twin with failure injection (rules refused at random) and make-before-break.
export FT_TWIN_PACKETS=300
run build-ci valgrind-twin test_twin --wrapper "$VALGRIND" --timeout-multiplier 10 || fail=1
unset FT_TWIN_PACKETS

CC=clang setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false
run build-fuzz fuzz --suite fuzz || fail=1

python3 - $results <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line)["result"]
        if r == "OK" or r == "EXPECTEDFAIL":
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $fail
