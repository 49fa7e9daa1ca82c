#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Packets per second through the flowtwin-vtep daemon (issue 5 item 8), on
# virtual ports with no kernel in the way:
#
#   tests/bench/bench_vtep.sh [--seconds S] [--workers "1 2"] [--offload "none sim"]
#                             [--build DIR] [--smoke]
#
# The uplink (port 0) is a net_pcap port that replays, forever
# (infinite_rx=1, packets held in memory), a pcap of 256 VXLAN packets from
# 10.0.0.2 to the VTEP 10.0.0.1, VNI 100, whose inner destinations are 64
# MACs the FDB puts behind access port 1, and whose inner sources are 16
# MACs the FDB already knows behind 10.0.0.2 (learning settles at once).
# The access port (port 1) is a net_null port that receives nothing
# (no-rx=1) and frees what it is sent. So every packet is received, decapsulated,
# looked up and sent: the decap path of docs/vtep.md, end to end through
# driver/dpdk and the daemon.
#
# net_pcap has no RSS: with N workers the uplink gets N rx queues, one
# rx_pcap each (the same file), which is what RSS would give N cores; the
# daemon says "no RSS: N rx queues as the device fills them". net_null has
# RSS (and receives nothing).
#
# Lcores: the main lcore (control socket, learning, stats) and one lcore per
# worker, with --lcores so that it runs on any machine: workers=1 is
# '0@0,1@1' (main on CPU 0, the worker alone on CPU 1); workers=2 is
# '0@0,1@0,2@1': on a 2-CPU machine the main lcore shares CPU 0 with worker
# 1 (it sleeps in poll() 1 ms at a time, waking for the control socket and
# every 100 ms for learning and aging). On more CPUs, each lcore gets its own.
#
# Measure: after 1.5 s of warm-up, `flowtwinctl stats` twice, S seconds
# apart (5 by default); Mpps = the uplink's rx delta / the time between the
# two answers. The access port's tx delta must be at least 99% of it (every
# packet decapsulated and sent), or the run fails. One line per run:
#
#   RESULT workload=vtep-daemon offload=X workers=N mpps=Y
#
# then one RATIO line per worker count (none/sim) and per offload
# (workers=2 / workers=1). --smoke: 0.5 s, workers 1, both offloads, on
# whatever lcores exist (the 'bench' suite runs it: it fails only when the
# daemon does not forward). Nothing here is a timed assertion.
set -eu

SECONDS_RUN=5
WORKERS="1 2"
OFFLOADS="none sim"
SMOKE=0
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$SRC/build
while [ $# -gt 0 ]; do
	case $1 in
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	--workers) WORKERS=$2; shift 2 ;;
	--offload) OFFLOADS=$2; shift 2 ;;
	--build) BUILD=$2; shift 2 ;;
	--smoke) SMOKE=1; SECONDS_RUN=0.5; WORKERS=1; shift ;;
	*) echo "usage: $0 [--seconds S] [--workers \"1 2\"] [--offload \"none sim\"] [--build DIR] [--smoke]" >&2
	   exit 2 ;;
	esac
done
VTEP=$BUILD/tools/flowtwin-vtep
CTL=$BUILD/tools/flowtwinctl
[ -x "$VTEP" ] && [ -x "$CTL" ] || { echo "bench_vtep: no $VTEP (DPDK not found?)" >&2; exit 77; }

tmp=$(mktemp -d /tmp/ft_bench_vtep.XXXXXX)
pid=
cleanup() {
	if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT

python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]

def mac(i, hi):
    return bytes([0x02, 0, 0, hi, i >> 8, i & 0xff])

def csum(b):
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff

def ipv4(src, dst, proto, payload):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 0, 0x4000, 64, proto, 0,
                    bytes(src), bytes(dst))
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload

def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload

VTEP_MAC = bytes.fromhex('020000009901')
REM_MAC = bytes.fromhex('020000009902')
pkts = []
for i in range(256):
    inner = mac(i % 64, 1) + mac(i % 16, 2) + b'\x08\x00' + ipv4(
        [192, 168, 100, 2], [192, 168, 100, 1 + i % 64], 17, udp(1000 + i, 2000, bytes(18)))
    vx = struct.pack('!II', 0x08000000, 100 << 8) + inner
    outer = VTEP_MAC + REM_MAC + b'\x08\x00' + ipv4([10, 0, 0, 2], [10, 0, 0, 1], 17,
                                                    udp(49152 + i, 4789, vx))
    pkts.append(outer)
with open(d + '/uplink.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for p in pkts:
        f.write(struct.pack('<IIII', 0, 0, len(p), len(p)) + p)
with open(d + '/config', 'w') as f:
    f.write('nexthop add 10.0.0.2 lladdr 02:00:00:00:99:02\n')
    for i in range(64):
        f.write('fdb add %s vni 100 port 1\n' % ':'.join('%02x' % b for b in mac(i, 1)))
    for i in range(16):
        f.write('fdb add %s vni 100 dst 10.0.0.2\n' % ':'.join('%02x' % b for b in mac(i, 2)))
PY

# "rx tx" of a port from a stats output
port_counts() { # file port
	sed -n "s/^port $2 [a-z]*: rx \([0-9]*\) tx \([0-9]*\) .*/\1 \2/p" "$1"
}

lcores_for() { # workers
	if [ "$SMOKE" = 1 ]; then echo "-l 0"; return; fi
	local n=$1 ncpu l i
	ncpu=$(nproc)
	l="0@0"
	for ((i = 1; i <= n; i++)); do
		if [ "$ncpu" -gt "$n" ]; then l+=",$i@$i"
		else l+=",$i@$(((i - 1) % ncpu))"; fi
	done
	echo "--lcores $l"
}

declare -A MPPS
run() { # offload workers
	local off=$1 n=$2 uplink rx0 rx1 tx0 tx1 t0 t1 mpps i sock=$tmp/ctl.$1.$2
	uplink="net_pcap0,infinite_rx=1"
	for ((i = 0; i < n; i++)); do uplink+=",rx_pcap=$tmp/uplink.pcap"; done
	"$VTEP" $(lcores_for "$n") --no-huge -m 1024 --no-pci --no-shconf \
		--file-prefix=ft_bench_vtep_$$ --log-level=lib.eal:warning \
		--vdev="$uplink" --vdev=net_null0,no-rx=1 -- \
		--p4 "$SRC/p4/vtep.p4" --uplink 0 --vtep-ip 10.0.0.1 --vtep-mac 02:00:00:00:99:01 \
		--access 1,vni=100 --offload "$off" --config "$tmp/config" \
		$([ "$SMOKE" = 1 ] || echo "--lcores-workers $n") --ctl "$sock" \
		>"$tmp/log.$off.$n" 2>&1 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		[ -S "$sock" ] && break
		kill -0 "$pid" 2>/dev/null || { cat "$tmp/log.$off.$n" >&2; echo "bench_vtep: the daemon exited" >&2; exit 1; }
		sleep 0.1
	done
	[ -S "$sock" ] || { echo "bench_vtep: no control socket" >&2; exit 1; }
	sleep "$([ "$SMOKE" = 1 ] && echo 0.3 || echo 1.5)"
	"$CTL" --ctl "$sock" stats >"$tmp/s0"
	t0=$(date +%s.%N)
	sleep "$SECONDS_RUN"
	"$CTL" --ctl "$sock" stats >"$tmp/s1"
	t1=$(date +%s.%N)
	kill -TERM "$pid"
	wait "$pid" || { cat "$tmp/log.$off.$n" >&2; echo "bench_vtep: exit status $?" >&2; exit 1; }
	pid=
	read -r rx0 _ <<<"$(port_counts "$tmp/s0" 0)"
	read -r rx1 _ <<<"$(port_counts "$tmp/s1" 0)"
	read -r _ tx0 <<<"$(port_counts "$tmp/s0" 1)"
	read -r _ tx1 <<<"$(port_counts "$tmp/s1" 1)"
	if [ $((rx1 - rx0)) -le 0 ] || [ $(((tx1 - tx0) * 100)) -lt $(((rx1 - rx0) * 99)) ]; then
		cat "$tmp/s1" >&2
		echo "bench_vtep: offload $off workers $n: rx $((rx1 - rx0)), forwarded $((tx1 - tx0))" >&2
		exit 1
	fi
	mpps=$(python3 -c "print('%.3f' % (($rx1 - $rx0) / ($t1 - $t0) / 1e6))")
	MPPS[$off.$n]=$mpps
	echo "RESULT workload=vtep-daemon offload=$off workers=$n mpps=$mpps"
	if [ "$SMOKE" = 0 ]; then grep "^workers:\|offload" "$tmp/s1" | sed 's/^/#   /'; fi
}

echo "# machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# date: $(date -u +%Y-%m-%d), ${SECONDS_RUN} s per run"
for n in $WORKERS; do
	for off in $OFFLOADS; do
		run "$off" "$n"
	done
done
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
for n in $WORKERS; do
	[ -n "${MPPS[none.$n]:-}" ] && [ -n "${MPPS[sim.$n]:-}" ] &&
		echo "RATIO workload=vtep-daemon workers=$n none/sim=$(ratio "${MPPS[none.$n]}" "${MPPS[sim.$n]}")"
done
for off in $OFFLOADS; do
	[ -n "${MPPS[$off.1]:-}" ] && [ -n "${MPPS[$off.2]:-}" ] &&
		echo "RATIO workload=vtep-daemon offload=$off workers2/workers1=$(ratio "${MPPS[$off.2]}" "${MPPS[$off.1]}")"
done
exit 0
