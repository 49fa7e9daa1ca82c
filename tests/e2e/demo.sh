#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The VTEP demo (README's first command runs it through tools/demo.sh): the
# seed articles' two-host experiment with flowtwin-vtep as one host and a
# Linux kernel VXLAN device as the other, in network namespaces. flowtwin-vtep
# runs with --offload sim: the software NIC executes the rte_flow rules
# compiled from the entries, the model handles the rest. Shows the pings,
# where every entry runs (NIC or software, and why) and the counters of both.
#     demo.sh [MODE] [BUILD_DIR] [SOURCE_DIR]     (MODE: sim, the default, or none)
set -- "${1:-sim}" "${@:2}"
. "$(dirname "$0")/lib.sh"
e2e_require

say() { printf '\n=== %s\n' "$*"; }

say "Topology: vm1 (192.168.100.1) -- flowtwin-vtep 10.0.0.1 ==underlay== Linux vxlan100 10.0.0.2 -- vm2 (192.168.100.2), VNI 100"
topo_setup 1
kv_setup 1
# The kernel host: all-zeros entry (flood to flowtwin) and vm1's MAC behind it.
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
say "Starting flowtwin-vtep --offload $E2E_MODE (uplink port 0, access port 1 in VNI $VNI)"
ft_start
say "flowtwinctl: the same entries on flowtwin (bridge fdb syntax)"
for c in "fdb append $ZERO_MAC vni $VNI dst ${KV_IP[1]}" \
	"fdb add ${VM_MAC[2]} vni $VNI dst ${KV_IP[1]}" \
	"fdb add ${VM_MAC[1]} vni $VNI port 1"; do
	echo "flowtwinctl $c"
	ctl_do $c
done
say "ping vm1 -> vm2, then vm2 -> vm1, across the overlay"
ping_ok vm1 "${VM_IP[2]}" 3
nsx vm1 ping -c 3 -i 0.2 "${VM_IP[2]}" | tail -n 2
ping_ok vm2 "${VM_IP[1]}" 3
nsx vm2 ping -c 3 -i 0.2 "${VM_IP[1]}" | tail -n 2
say "flowtwinctl dump-flows: every entry, where it runs (NIC or software) and why, its counters"
ctl dump-flows | grep -v '^#' | grep -E 'fdb|vni_term|port_class|vtep_known' || true
say "flowtwinctl stats: per port, and what the NIC finished apart from what software handled"
ctl stats
[ "$E2E_MODE" = none ] || ft_check_stats nic software
say "Done: cleaning up the namespaces"
