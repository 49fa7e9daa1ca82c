#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (d) of issue 5 item 5: head-end replication. Two kernel VTEPs
# (10.0.0.2 with vm2, 10.0.0.3 with vm3) and the flowtwin host on one
# underlay bridge, all-zeros entries from each VTEP to the two others,
# nolearning. A broadcast and an unknown unicast frame from vm1 reach both
# kernel VTEPs, one copy each, and both VMs behind them; the same frames from
# vm2 reach vm1 and vm3 once each, and the flowtwin host sends nothing of
# them back into a tunnel (split horizon).
#     flood.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

topo_setup 2
kv_setup 1
kv_setup 2
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append $ZERO_MAC "${KV_IP[2]}"
kv_fdb 2 append $ZERO_MAC $FT_IP
kv_fdb 2 append $ZERO_MAC "${KV_IP[1]}"
ft_start
ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
ft_nexthop "${KV_IP[2]}" "${KV_UP_MAC[2]}"
ft_fdb append $ZERO_MAC "${KV_IP[1]}"
ft_fdb append $ZERO_MAC "${KV_IP[2]}"
ft_fdb_local "${VM_MAC[1]}"

BCAST=ff:ff:ff:ff:ff:ff
UNKNOWN=02:00:00:00:00:99
cap_start ul ul ft udp port 4789
cap_start kv1 kv1 up0 udp port 4789
cap_start kv2 kv2 up0 udp port 4789
for i in 1 2 3; do
	cap_start "vm$i" "vm$i" eth0 ether proto 0x88b5
done
sleep 0.5
send_frame vm1 $BCAST "${VM_MAC[1]}" E2E-BCAST-1
send_frame vm1 $UNKNOWN "${VM_MAC[1]}" E2E-UNKNOWN-1
send_frame vm2 $BCAST "${VM_MAC[2]}" E2E-BCAST-2
send_frame vm2 $UNKNOWN "${VM_MAC[2]}" E2E-UNKNOWN-2
# An IP broadcast too (nobody answers: icmp_echo_ignore_broadcasts).
nsx vm1 ping -b -c 1 -W 1 192.168.100.255 >/dev/null 2>&1 || true
sleep 0.5
for c in ul kv1 kv2 vm1 vm2 vm3; do
	cap_stop $c
done

# From vm1: one copy to each kernel VTEP, delivered to each VM behind them.
for m in BCAST UNKNOWN; do
	dst=${!m}
	for k in 1 2; do
		cap_expect "kv$k" 1 vxlan src=$FT_IP dst="${KV_IP[$k]}" vni=$VNI \
			isrc="${VM_MAC[1]}" idst="$dst" marker=E2E-$m-1
	done
	cap_expect vm2 1 esrc="${VM_MAC[1]}" edst="$dst" marker=E2E-$m-1
	cap_expect vm3 1 esrc="${VM_MAC[1]}" edst="$dst" marker=E2E-$m-1
done
for k in 1 2; do
	cap_expect "kv$k" 1 vxlan src=$FT_IP dst="${KV_IP[$k]}" isrc="${VM_MAC[1]}" ibcast \
		itype=0x0800
done
# From vm2: kv1 replicates to the flowtwin host and to kv2; the flowtwin
# host delivers to vm1 once and sends nothing back into a tunnel.
for m in BCAST UNKNOWN; do
	dst=${!m}
	cap_expect ul 1 vxlan src="${KV_IP[1]}" dst=$FT_IP marker=E2E-$m-2
	cap_expect ul 0 vxlan src=$FT_IP marker=E2E-$m-2
	cap_expect kv2 1 vxlan marker=E2E-$m-2
	cap_expect vm1 1 esrc="${VM_MAC[2]}" edst="$dst" marker=E2E-$m-2
	cap_expect vm3 1 esrc="${VM_MAC[2]}" edst="$dst" marker=E2E-$m-2
done
# And ARP across the three: vm1 resolves and pings vm2 and vm3.
ping_ok vm1 "${VM_IP[2]}" 3
ping_ok vm1 "${VM_IP[3]}" 3
ft_check_stats software
e2e_done
