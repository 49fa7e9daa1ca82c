#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (c) of issue 5 item 5, the seed's l2miss/l3miss experiment: the
# flowtwin host has proxy, l2miss and l3miss on and no entry for the remote
# VM. vm1's ping raises an l3miss (its ARP request), a small controller
# reading the event stream answers with a neighbour entry (nud reachable);
# the next unicast frame raises an l2miss, the controller answers with an
# fdb entry; then the ping goes through.
#     miss.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

topo_setup 1
kv_setup 1 proxy
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
kv_neigh 1 "${VM_IP[1]}" "${VM_MAC[1]}"
ft_start proxy l2miss l3miss
ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
ft_fdb_local "${VM_MAC[1]}"

# What the controller knows (the control plane's directory).
declare -A IP2MAC=(["${VM_IP[2]}"]="${VM_MAC[2]}")
declare -A MAC2VTEP=(["${VM_MAC[2]}"]="${KV_IP[1]}")
declare -A answered=()

# Handles the events not seen yet; echoes how many were answered so far.
controller_step() {
	local w1 w2 w3 w4 w5 key
	while read -r w1 w2 w3 w4 w5; do
		case "$w1 $w4" in
		"l3miss ip")
			key="l3 $w5"
			[ -z "${answered[$key]:-}" ] || continue
			[ -n "${IP2MAC[$w5]:-}" ] || continue
			log "controller: $w1 $w2 $w3 $w4 $w5 -> neigh ${IP2MAC[$w5]} nud reachable"
			ft_neigh "$w5" "${IP2MAC[$w5]}" reachable
			answered[$key]=1
			;;
		"l2miss mac")
			key="l2 ${w5,,}"
			[ -z "${answered[$key]:-}" ] || continue
			[ -n "${MAC2VTEP[${w5,,}]:-}" ] || continue
			log "controller: $w1 $w2 $w3 $w4 $w5 -> fdb dst ${MAC2VTEP[${w5,,}]}"
			ft_fdb append "${w5,,}" "${MAC2VTEP[${w5,,}]}"
			answered[$key]=1
			;;
		esac
	done < <(ft_events_read)
}

ft_events_start
neigh_flush vm1
ping_fails vm1 "${VM_IP[2]}"
ip netns exec "${P}vm1" ping -c 40 -i 0.25 -W 1 "${VM_IP[2]}" >"$WORK/ping.log" 2>&1 &
PIDS+=("$!")
for ((t = 0; t < 100; t++)); do
	controller_step
	[ ${#answered[@]} -eq 2 ] && grep -q 'bytes from' "$WORK/ping.log" && break
	sleep 0.1
done
echo "--- events"
ft_events_read | sed 's/^/  /'
ft_events_read | grep -qx "l3miss vni $VNI ip ${VM_IP[2]}" || fail "no l3miss for ${VM_IP[2]}"
ft_events_read | grep -qix "l2miss vni $VNI mac ${VM_MAC[2]}" || fail "no l2miss for ${VM_MAC[2]}"
[ ${#answered[@]} -eq 2 ] || fail "the controller answered ${#answered[@]} events of 2"
ping_ok vm1 "${VM_IP[2]}" 5
ping_ok vm2 "${VM_IP[1]}" 3
ft_check_stats nic software
e2e_done
