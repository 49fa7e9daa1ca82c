#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Several workers (issue 5 item 1): flowtwin-vtep with two packet workers,
# each polling its own rx queue of both af_packet ports (qpairs=2: the
# kernel's PACKET_FANOUT hash spreads flows over the queues).
#
#  1. The same traffic through one worker, then through two: vm1 pings vm2
#     from eight source addresses at once (eight flows each way) and sends
#     three broadcast pings (flooded in software); no ARP anywhere (static
#     neighbours) and no IGMP (multicast off on every link, and 3 s for
#     what the links sent when they came up), so both runs see exactly the
#     same packets (the underlay is captured: on a failure the harness
#     shows what crossed it). What the
#     daemon counted over that window (each port's rx, tx, drops, and with
#     --offload sim the NIC / software split) must be the same.
#  2. Then four TCP transfers at once over the two workers, each checked by
#     its SHA-256 at both ends, and the per-worker statistics: both workers
#     received packets; with --offload sim the workers' NIC / software
#     counts add up to the ports'.
#     workers.sh none|sim [BUILD_DIR] [SOURCE_DIR]
. "$(dirname "$0")/lib.sh"
[ "$E2E_MODE" != kernel ] || skip "flowtwin-vtep's workers: nothing to compare in the kernel"
e2e_require

NSRC=8
BYTES=$((1 << 20))
topo_setup 1
kv_setup 1
kv_fdb 1 append $ZERO_MAC $FT_IP
kv_fdb 1 append "${VM_MAC[1]}" $FT_IP
# vm1's sources, and static neighbours: no ARP in the measured window.
SRCS=()
for ((i = 1; i <= NSRC; i++)); do
	SRCS+=("192.168.100.$((10 + i))")
	ip -n "${P}vm1" addr add "${SRCS[-1]}/24" dev eth0
	ip -n "${P}vm2" neigh replace "${SRCS[-1]}" lladdr "${VM_MAC[1]}" dev eth0 nud permanent
done
ip -n "${P}vm2" neigh replace "${VM_IP[1]}" lladdr "${VM_MAC[1]}" dev eth0 nud permanent
ip -n "${P}vm1" neigh replace "${VM_IP[2]}" lladdr "${VM_MAC[2]}" dev eth0 nud permanent
ip -n "${P}kv1" neigh replace $FT_IP lladdr $FT_UP_MAC dev up0 nud permanent
# No IGMP: a bridge or a link that comes up reports its groups on its own
# schedule, and such a report crossing the tunnel would count in one run only.
for ns in vm1 vm2 kv1 ft; do
	for dev in $(ip -n "$P$ns" -o link show | awk -F': ' '{ print $2 }' | sed 's/@.*//'); do
		ip -n "$P$ns" link set "$dev" multicast off
	done
done
sleep 3 # what the links sent when they came up is gone

# What the daemon counted between two `flowtwinctl stats`, as sorted lines
# "port N rx/tx/dropped/nic/software/resumed/unmarked: DELTA" (and drops by
# name); the per-worker lines are left out: they are what may differ.
stats_delta() { # before after
	"$PY" - "$1" "$2" <<'PY'
import re, sys

def parse(path):
    c = {}
    for line in open(path):
        line = line.strip()
        m = re.match(r'port (\d+) \w+: rx (\d+) tx (\d+) tx_full (\d+) dropped (\d+)$', line)
        if m:
            for k, v in zip(('rx', 'tx', 'tx_full', 'dropped'), m.groups()[1:]):
                c['port %s %s' % (m.group(1), k)] = int(v)
            continue
        m = re.match(r'port (\d+) offload: nic (\d+) software (\d+) '
                     r'\(resumed (\d+), unmarked (\d+)\)$', line)
        if m:
            for k, v in zip(('nic', 'software', 'resumed', 'unmarked'), m.groups()[1:]):
                c['port %s %s' % (m.group(1), k)] = int(v)
            continue
        m = re.match(r'(port \d+ drop \S+): (\d+)$', line)
        if m:
            c[m.group(1)] = int(m.group(2))
    return c

a, b = parse(sys.argv[1]), parse(sys.argv[2])
for k in sorted(set(a) | set(b)):
    d = b.get(k, 0) - a.get(k, 0)
    if d:
        print('%s: %d' % (k, d))
PY
}

# The daemon with N workers, its entries, the measured window.
measure() { # workers
	ft_start workers="$1"
	ft_nexthop "${KV_IP[1]}" "${KV_UP_MAC[1]}"
	ft_fdb append $ZERO_MAC "${KV_IP[1]}"
	ft_fdb append "${VM_MAC[2]}" "${KV_IP[1]}"
	ft_fdb_local "${VM_MAC[1]}"
	grep -q "rx queues as the device fills them\|running: .* $1 worker" "$WORK/vtep.log" ||
		fail "workers=$1: $(tail -3 "$WORK/vtep.log")"
	cap_start "ul$1" ul ft
	sleep 0.3 # the first sync done, nothing in flight
	ctl_do stats >"$WORK/stats.$1.0"
	local pids=() s p
	for s in "${SRCS[@]}"; do
		nsx vm1 ping -q -c 10 -i 0.05 -W 2 -I "$s" "${VM_IP[2]}" >"$WORK/ping.$1.$s" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "workers=$1: a ping lost replies: $(grep loss "$WORK"/ping."$1".*)"
	done
	nsx vm1 ping -q -b -c 3 -i 0.1 -W 1 192.168.100.255 >/dev/null 2>&1 || true
	sleep 0.3
	ctl_do stats >"$WORK/stats.$1.1"
	cap_stop "ul$1"
	stats_delta "$WORK/stats.$1.0" "$WORK/stats.$1.1" >"$WORK/delta.$1"
	log "workers=$1: $(tr '\n' ';' <"$WORK/delta.$1")"
}

measure 1
vtep_stop
measure 2
grep -q "port 1 rx: $((NSRC * 10 + 3))$" "$WORK/delta.2" ||
	fail "access port: not every packet counted ($(grep 'port 1 rx' "$WORK/delta.2"))"
cmp -s "$WORK/delta.1" "$WORK/delta.2" ||
	{ diff "$WORK/delta.1" "$WORK/delta.2"; fail "one worker and two counted differently"; }
[ "$E2E_MODE" = none ] || grep -q "software" "$WORK/delta.2" ||
	fail "the window has no NIC / software split"

# Four TCP transfers at once, over both workers.
transfer() { # n
	local out=$WORK/tcp$1 port=$((5000 + $1)) i
	ip netns exec "${P}vm2" "$PY" "$E2E_DIR/e2e_util.py" tcp-server $port >"$out.server" 2>&1 &
	PIDS+=($!)
	for ((i = 0; i < 50; i++)); do
		grep -q listening "$out.server" && break
		sleep 0.1
	done
	timeout 60 ip netns exec "${P}vm1" "$PY" "$E2E_DIR/e2e_util.py" tcp-client "${VM_IP[2]}" \
		$port $BYTES >"$out.client" 2>&1
}
pids=()
for n in 1 2 3 4; do
	transfer $n &
	pids+=($!)
done
for n in 1 2 3 4; do
	wait "${pids[$((n - 1))]}" || fail "transfer $n: $(tail -1 "$WORK/tcp$n.client")"
done
for n in 1 2 3 4; do
	out=$WORK/tcp$n
	for ((i = 0; i < 50; i++)); do
		[ "$(wc -l <"$out.server")" -ge 2 ] && break
		sleep 0.1
	done
	[ "$(tail -1 "$out.client")" = "$(tail -1 "$out.server")" ] ||
		fail "transfer $n: sent '$(tail -1 "$out.client")', received '$(tail -1 "$out.server")'"
done
log "4 transfers of $BYTES bytes: sha256 equal"

# Both workers carried traffic; with sim their split adds up to the ports'.
out=$(ctl stats 2>&1) || fail "flowtwinctl stats: $out"
echo "$out" | grep '^worker' | sed 's/^/  stats: /'
for w in 0 1; do
	rx=$(echo "$out" | sed -n "s/^worker $w lcore [0-9]*: rx \([0-9]*\) .*/\1/p")
	[ -n "$rx" ] && [ "$rx" -gt 0 ] || fail "worker $w received nothing"
done
ft_check_stats nic software
if [ "$E2E_MODE" = sim ]; then
	echo "$out" | awk '
		/^port [0-9]+ offload: / { pn += $5; ps += $7 }
		/^worker [0-9]+ offload: / { wn += $5; ws += $7; w++ }
		END { exit !(w == 2 && pn == wn && ps == ws) }' ||
		fail "the workers' NIC / software counts do not add up to the ports'"
fi
e2e_done
