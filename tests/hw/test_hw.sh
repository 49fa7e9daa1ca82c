#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The hardware suite (docs/hardware.md): flowtwin-vtep with --offload
# rte_flow on a real ConnectX / BlueField port, and flowtwin verify on a
# capture of the traffic it received. Skipped (exit 77) when the machine has
# no NVIDIA/Mellanox NIC (PCI vendor 15b3), no hugepages, or no root.
#
#   test_hw.sh FLOWTWIN_VTEP FLOWTWIN FLOWTWINCTL SOURCE_ROOT
#
# Environment:
#   FT_HW_PCI      the PCI address to use (default: the first 15b3 function)
#   FT_HW_DEVARGS  mlx5 devargs (default: dv_flow_en=1,dv_xmeta_en=1)
#   FT_HW_PROFILE  the profile flowtwin verify runs (default: what the
#                  daemon reports it picked)
#   FT_HW_PCAP     a pcapng capture of the port's traffic (default: the
#                  one tests/offload/mkcapture.py makes)
#
# What it checks: the daemon starts with --offload rte_flow on the port (the
# profile pick and the rule install succeed), installs rules, and flowtwin
# verify finds no divergence between the model and the twin on the capture
# with the picked profile's rules. What the NIC itself did to each packet is
# compared by the operator (docs/hardware.md, "Verifying a NIC"): this
# script has never run on hardware (none where it was written).
set -u
vtep=$1 flowtwin=$2 ctl=$3 src=$4

skip() { echo "SKIP: $*"; exit 77; }

pci=${FT_HW_PCI:-}
if [ -z "$pci" ]; then
	if command -v lspci >/dev/null 2>&1; then
		pci=$(lspci -D -d 15b3: 2>/dev/null | awk '/Ethernet|Network/ {print $1; exit}')
	fi
	if [ -z "$pci" ] && [ -d /sys/bus/pci/drivers/mlx5_core ]; then
		pci=$(ls /sys/bus/pci/drivers/mlx5_core | grep -E '^[0-9a-f]{4}:' | head -n 1)
	fi
fi
[ -n "$pci" ] || skip "no ConnectX/BlueField (PCI vendor 15b3) on this machine"
[ "$(id -u)" = 0 ] || skip "the hardware suite needs root (mlx5 devices, hugepages)"
hp=$(awk '/HugePages_Total/ {print $2}' /proc/meminfo)
[ "${hp:-0}" -gt 0 ] || skip "no hugepages (echo 1024 > /proc/sys/vm/nr_hugepages)"

devargs=${FT_HW_DEVARGS:-dv_flow_en=1,dv_xmeta_en=1}
work=$(mktemp -d /tmp/ft_hw.XXXXXX)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
sock=$work/ctl.sock

echo "hw: $pci ($devargs)"
"$vtep" -l 0-1 -a "$pci,$devargs" --file-prefix "ft_hw_$$" -- \
	--p4 "$src/p4/vtep.p4" --uplink 0 --vtep-ip 10.0.0.1 \
	--offload rte_flow --ctl "$sock" >"$work/vtep.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
	i=$((i + 1))
done
if [ ! -S "$sock" ]; then
	cat "$work/vtep.log"
	if grep -q "offloads no rte_flow rules\|not supported yet" "$work/vtep.log"; then
		skip "the daemon or the port offers no rte_flow offload here"
	fi
	echo "FAIL: flowtwin-vtep did not start"
	exit 1
fi
# The entries of the compiler's golden test; port 0 is the uplink.
grep -v '^#' "$src/tests/offload/vtep_entries.txt" | grep -v '^port add [12]' |
	grep -v '^vtep set' | grep -v 'port [12]$' >"$work/entries.txt"
while read -r line; do
	[ -n "$line" ] && "$ctl" --ctl "$sock" $line >/dev/null
done <"$work/entries.txt"
kill -0 "$pid" 2>/dev/null || { cat "$work/vtep.log"; echo "FAIL: flowtwin-vtep died"; exit 1; }
# The profile the daemon picked (its log line "... profile NAME"), else cx6dx.
profile=${FT_HW_PROFILE:-$(sed -n 's/.*profile \([a-z0-9]*\).*/\1/p' "$work/vtep.log" | head -n 1)}
profile=${profile:-cx6dx}

pcap=${FT_HW_PCAP:-}
if [ -z "$pcap" ]; then
	pcap=$work/t.pcapng
	python3 "$src/tests/offload/mkcapture.py" "$pcap" 5 || exit 1
fi
"$flowtwin" verify "$src/p4/vtep.p4" --entries "$src/tests/offload/vtep_entries.txt" \
	--pcap "$pcap" --nic "$profile"
