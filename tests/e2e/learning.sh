#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (e) of issue 5 item 5: learning on the flowtwin host (`learning on`,
# `ageing 2`; the kernel's `learning ageing 2`). After traffic from vm2,
# the forwarding state holds vm2's MAC -> 10.0.0.2 (flowtwin-vtep's
# dump-flows, the kernel's bridge fdb); it stays while vm2 keeps sending,
# longer than the ageing time, and ages out a few seconds after vm2 stops.
#     learning.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

topo_setup 1
kv_setup 1
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
ft_start learning ageing=2
ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
ft_fdb append $ZERO_MAC "${KV_IP[1]}"
ft_fdb_local "${VM_MAC[1]}"

# Is MAC learned behind the VTEP IP? (flowtwin-vtep: the fdb copy of the
# mac_learn entry in dump-flows: "table_add fdb to_vtep 0x000064 MAC =>
# 0x0a000002"; the kernel: "MAC dst IP self" without "permanent".)
learned() { # MAC IP
	local text
	text=$(ft_fdb_text)
	if [ "$E2E_MODE" = kernel ]; then
		echo "$text" | grep -Eiq "^$1 dst $2 self( |$)" &&
			! echo "$text" | grep -Eiq "^$1 dst $2 self.*permanent"
	else
		local hex
		# shellcheck disable=SC2086 # split on the dots
		hex=$(IFS=. && printf '0x%02x%02x%02x%02x' $2)
		echo "$text" | grep -Eiq "^table_add fdb to_vtep 0x0*$(printf %x $VNI) $1 => $hex( |$)"
	fi
}

ft_events_start
learned "${VM_MAC[2]}" "${KV_IP[1]}" && fail "vm2's MAC is learned before any traffic"
ip netns exec "${P}vm2" ping -c 25 -i 0.2 -W 1 "${VM_IP[1]}" >"$WORK/ping.log" 2>&1 &
ping_pid=$!
PIDS+=("$ping_pid")
for ((t = 0; t < 30; t++)); do
	learned "${VM_MAC[2]}" "${KV_IP[1]}" && break
	sleep 0.1
done
[ $t -lt 30 ] || {
	ft_fdb_text
	fail "vm2's MAC not learned behind ${KV_IP[1]} after 3 s of traffic"
}
log "learned ${VM_MAC[2]} -> ${KV_IP[1]} after ~$((t * 100)) ms"
if [ "$E2E_MODE" != kernel ]; then
	ctl dump-flows | grep -Ei "${VM_MAC[2]}" | sed 's/^/  /'
	ctl fdb show | sed 's/^/  /'
fi
# Still there while vm2 sends, past the ageing time (refreshed by each frame).
sleep 3.5
learned "${VM_MAC[2]}" "${KV_IP[1]}" || fail "vm2's MAC aged out while vm2 was sending"
wait "$ping_pid" || true
grep -q ' 0% packet loss' "$WORK/ping.log" || fail "vm2 -> vm1: $(grep loss "$WORK/ping.log")"
log "vm2 stopped sending"
# Then it ages out: 2 s, plus the kernel's 10 s cleanup period.
limit=60
[ "$E2E_MODE" != kernel ] || limit=150
for ((t = 0; t < limit; t++)); do
	learned "${VM_MAC[2]}" "${KV_IP[1]}" || break
	sleep 0.1
done
[ $t -lt $limit ] || fail "vm2's MAC did not age out $((limit / 10)) s after vm2 stopped"
log "aged out ~$((t * 100)) ms after the last frame"
if [ "$E2E_MODE" != kernel ]; then
	echo "--- events"
	ft_events_read | sed 's/^/  /'
	ft_events_read | grep -qix "learned vni $VNI mac ${VM_MAC[2]} dst ${KV_IP[1]}" ||
		fail "no learned event for ${VM_MAC[2]}"
	ft_events_read | grep -qix "aged vni $VNI mac ${VM_MAC[2]}" ||
		fail "no aged event for ${VM_MAC[2]}"
fi
# Ageing took the learned entry only: the static one stays, and traffic
# from vm2 teaches its MAC again.
if [ "$E2E_MODE" != kernel ]; then
	ctl fdb show | grep -qix "fdb add ${VM_MAC[1]} vni $VNI port 1" ||
		fail "the static fdb entry of vm1 went with the ageing"
fi
ping_ok vm2 "${VM_IP[1]}" 2
retry 20 learned "${VM_MAC[2]}" "${KV_IP[1]}" || fail "vm2's MAC not learned again"
ft_check_stats software
e2e_done
