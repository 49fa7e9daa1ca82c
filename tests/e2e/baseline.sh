#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The harness's own check: every e2e case with a Linux vxlan device in place
# of flowtwin-vtep (mode 'kernel'), so that the topology, the captures and
# the checks are known to be right before they judge flowtwin-vtep. Exits 77
# when every case skipped.
#     baseline.sh [BUILD_DIR] [SOURCE_DIR]
set -u
dir=$(cd "$(dirname "$0")" && pwd)
pass=0 failed=0 skipped=0
for c in fdb arp_proxy miss flood learning tcp; do
	rc=0
	start=$SECONDS
	"$dir/$c.sh" kernel "$@" >"/tmp/fte2e-baseline-$$.log" 2>&1 || rc=$?
	case $rc in
	0) pass=$((pass + 1)); echo "ok      $c ($((SECONDS - start)) s)" ;;
	77) skipped=$((skipped + 1)); echo "skipped $c: $(tail -1 /tmp/fte2e-baseline-$$.log)" ;;
	*) failed=$((failed + 1)); echo "FAILED  $c"; cat "/tmp/fte2e-baseline-$$.log" ;;
	esac
done
rm -f "/tmp/fte2e-baseline-$$.log"
echo "baseline: $pass passed, $failed failed, $skipped skipped"
[ $failed -eq 0 ] || exit 1
[ $pass -gt 0 ] || exit 77
