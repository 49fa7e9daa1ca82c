#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (a) of issue 5 item 5, the seed's "dynamic FDB" experiment: unicast
# and all-zeros FDB entries on both VTEPs, nolearning; the VMs ping each
# other both ways (ARP crosses the tunnel through the all-zeros entries), and
# the underlay carries VXLAN of VNI 100 in both directions.
#     fdb.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

topo_setup 1
kv_setup 1
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
ft_start
# No fdb entry on the flowtwin host yet: vm1's ARP requests go nowhere.
ping_fails vm1 "${VM_IP[2]}"
# No nexthop entry: flowtwin-vtep resolves 10.0.0.2 with ARP.
ft_fdb append $ZERO_MAC "${KV_IP[1]}"
ft_fdb append "${VM_MAC[2]}" "${KV_IP[1]}"
ft_fdb_local "${VM_MAC[1]}"

cap_start ul ul ft udp port 4789
neigh_flush vm1 vm2
ping_ok vm1 "${VM_IP[2]}" 5
neigh_flush vm1 vm2
ping_ok vm2 "${VM_IP[1]}" 5
cap_stop ul

# Both directions, VNI 100, ARP included (broadcast over the all-zeros
# entries and the unicast replies).
cap_expect ul '>=10' vxlan src=$FT_IP dst="${KV_IP[1]}" vni=$VNI itype=0x0800
cap_expect ul '>=10' vxlan src="${KV_IP[1]}" dst=$FT_IP vni=$VNI itype=0x0800
cap_expect ul '>=1' vxlan src=$FT_IP vni=$VNI itype=0x0806 ibcast
cap_expect ul '>=1' vxlan src="${KV_IP[1]}" vni=$VNI itype=0x0806 ibcast
cap_expect ul 0 vxlan frag
# VXLAN flags 0x08 (the I bit); the outer UDP checksum 0 (docs/vtep.md; Linux
# computes it unless the device says noudpcsum).
cap_expect ul 0 vxlan '!vxflags=0x08'
[ "$E2E_MODE" = kernel ] || cap_expect ul 0 vxlan src=$FT_IP '!udpsum=0'
# The encapsulation itself: flowtwin's outer MACs are its own and the next
# hop's, the inner frame is vm1's, untouched.
cap_expect ul '>=10' vxlan src=$FT_IP esrc=$FT_UP_MAC edst="${KV_UP_MAC[1]}" \
	isrc="${VM_MAC[1]}" idst="${VM_MAC[2]}"
ft_check_stats nic software
e2e_done
