#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (f) of issue 5 item 5: TCP over the overlay. With static fdb entries
# on both VTEPs, 4 MB go from vm1 to vm2 and 4 MB back, each checked by its
# SHA-256 at both ends; the inner MTU is 1450 on a 1500-byte underlay, so
# full-sized segments make 1500-byte outer packets and nothing is
# fragmented (the underlay capture has no IPv4 fragment and no packet over
# 1500 bytes).
#     tcp.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

BYTES=$((4 << 20))
topo_setup 1
kv_setup 1
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
ft_start
ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
ft_fdb append $ZERO_MAC "${KV_IP[1]}"
ft_fdb append "${VM_MAC[2]}" "${KV_IP[1]}"
ft_fdb_local "${VM_MAC[1]}"
ping_ok vm1 "${VM_IP[2]}" 2

# One transfer: server in namespace $2, client in $1 to $3.
transfer() { # client-ns server-ns server-ip name
	local out=$WORK/$4
	ip netns exec "$P$2" "$PY" "$E2E_DIR/e2e_util.py" tcp-server 5001 >"$out.server" 2>&1 &
	local spid=$!
	PIDS+=("$spid")
	local i
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$out.server" && break
		sleep 0.1
	done
	local t0=$SECONDS
	timeout 40 ip netns exec "$P$1" "$PY" "$E2E_DIR/e2e_util.py" tcp-client "$3" 5001 $BYTES \
		>"$out.client" 2>&1 || fail "$4: client failed: $(tail -1 "$out.client")"
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$out.server")" -ge 2 ] && break
		sleep 0.1
	done
	local sent got
	sent=$(tail -1 "$out.client")
	got=$(tail -1 "$out.server")
	[ "$sent" = "$got" ] || fail "$4: sent '$sent', received '$got'"
	[ "${sent%% *}" = $BYTES ] || fail "$4: sent $sent"
	log "$4: $BYTES bytes in $((SECONDS - t0)) s, sha256 equal"
}

cap_start ul ul ft udp port 4789
transfer vm1 vm2 "${VM_IP[2]}" vm1-to-vm2
transfer vm2 vm1 "${VM_IP[1]}" vm2-to-vm1
cap_stop ul

cap_expect ul 0 frag
cap_expect ul 0 'iplen>1500'
cap_expect ul '>=1000' vxlan src=$FT_IP dst="${KV_IP[1]}" 'iplen>=1500'
cap_expect ul '>=1000' vxlan src="${KV_IP[1]}" dst=$FT_IP 'iplen>=1500'
# flowtwin-vtep sets DF on every outer header (docs/vtep.md); Linux does not
# by default.
[ "$E2E_MODE" = kernel ] || cap_expect ul 0 vxlan src=$FT_IP '!df'
ft_check_stats nic software
e2e_done
