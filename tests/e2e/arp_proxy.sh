#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Case (b) of issue 5 item 5, the seed's ARP proxy experiment: with `proxy`
# and a neighbour entry for the remote VM, the VTEP answers the local VM's
# ARP request itself: the request never crosses the underlay (a capture on
# the kernel VTEP's underlay link sees VXLAN, and no encapsulated ARP from
# the flowtwin host), and the ping that follows works. An ARP request for an
# IP without a neighbour entry does not cross the underlay either.
#     arp_proxy.sh none|sim|kernel [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
e2e_require

topo_setup 1
kv_setup 1 proxy
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
kv_neigh 1 "${VM_IP[1]}" "${VM_MAC[1]}"
ft_start proxy
ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
ft_fdb append $ZERO_MAC "${KV_IP[1]}"
ft_fdb append "${VM_MAC[2]}" "${KV_IP[1]}"
ft_fdb_local "${VM_MAC[1]}"
ft_neigh "${VM_IP[2]}" "${VM_MAC[2]}"

cap_start kv1 kv1 up0 udp port 4789
cap_start vm1 vm1 eth0 arp
neigh_flush vm1 vm2
ping_ok vm1 "${VM_IP[2]}" 5
# The answer came from the proxy: vm1 knows vm2's MAC.
nsx vm1 ip neigh show "${VM_IP[2]}" | grep -qi "${VM_MAC[2]}" ||
	fail "vm1 has no neighbour entry for ${VM_IP[2]}"
neigh_flush vm1 vm2
ping_ok vm2 "${VM_IP[1]}" 3
# No neighbour entry: nobody answers, and the request stays local.
ping_fails vm1 192.168.100.77
cap_stop kv1
cap_stop vm1

# vm1 asked and got a reply for vm2, from vm2's MAC.
cap_expect vm1 '>=1' type=0x0806 esrc="${VM_MAC[1]}" edst=ff:ff:ff:ff:ff:ff arpop=1 \
	arptpa="${VM_IP[2]}"
cap_expect vm1 '>=1' type=0x0806 esrc="${VM_MAC[2]}" edst="${VM_MAC[1]}" arpop=2 \
	arpspa="${VM_IP[2]}" arptpa="${VM_IP[1]}"
# The tunnel carried the pings, and no ARP at all from the flowtwin host.
cap_expect kv1 '>=8' vxlan src=$FT_IP dst="${KV_IP[1]}" vni=$VNI itype=0x0800
cap_expect kv1 0 vxlan src=$FT_IP itype=0x0806
cap_expect kv1 0 vxlan itype=0x0806
ft_check_stats software
e2e_done
