#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# flowtwin-vtep and flowtwinctl end to end on DPDK's pcap ports (suite 'dpdk').
#
# Three net_pcap ports: 0 the uplink (VTEP 10.0.0.1), 1 an access port in
# VNI 100, 2 an access port in VNI 100 with VLAN 20. Their rx pcaps, written
# here before the daemon starts, are read as soon as the ports start, so the
# entries those packets need come from --config; the control socket then
# adds, shows, refuses and traces. What the ports sent (tx pcaps, flushed
# when the daemon closes them on SIGTERM) is checked frame by frame, and
# must be byte for byte the same with --offload none and --offload sim.
#
# The packets: a unicast to a remote VTEP (encapsulated), to a local VLAN
# port (tag pushed), a broadcast (flooded), a VXLAN packet from the remote
# VTEP (decapsulated), an ARP request for the VTEP's IP (answered), a
# unicast to a VTEP with no next hop (dropped, the daemon ARPs for it, the
# reply in the uplink's pcap installs the next hop, and a later unicast to
# it is encapsulated to the MAC of the reply), and a flood of random and
# truncated frames on two ports.
#
# Exit 77 (skipped) when not root or without the DPDK build or python3.
set -eu
VTEP=$1
CTL=$2
SRC=$3

[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (the DPDK EAL)"; exit 77; }
[ -x "$VTEP" ] && [ -x "$CTL" ] || { echo "SKIP: no DPDK build"; exit 77; }
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }

tmp=$(mktemp -d /tmp/ft_vtep_XXXXXX)
pid=
evpid=
cleanup() {
	[ -n "$evpid" ] && kill "$evpid" 2>/dev/null || true
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	for f in "$tmp"/*/log; do [ -f "$f" ] && { echo "--- $f"; tail -20 "$f"; }; done
	exit 1
}

expect() { # file, text
	grep -qF -- "$2" "$1" || { echo "missing from $1: $2"; cat "$1"; fail "$2"; }
}

# --- Packets, configuration ------------------------------------------------------
cat >"$tmp/pkt.py" <<'PY'
import random, struct, sys

def mac(s): return bytes.fromhex(s.replace(':', ''))
def ip(s): return bytes(int(x) for x in s.split('.'))
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ipv4(src, dst, proto, payload):
    h = bytearray(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                              ip(src), ip(dst)))
    struct.pack_into('!H', h, 10, csum(bytes(h)))
    return bytes(h) + payload
def udp(sp, dp, payload): return struct.pack('!HHHH', sp, dp, 8 + len(payload), 0) + payload
def eth(dst, src, et, payload): return mac(dst) + mac(src) + struct.pack('!H', et) + payload
def frame(dst, src, n=0):
    return eth(dst, src, 0x0800, ipv4('192.168.1.1', '192.168.1.2', 17,
                                        udp(1000 + n, 2000, bytes(range(18)))))
def arp(op, sha, spa, tha, tpa):
    return struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)
def vxlan(src, dst, vni, inner):
    return eth('02:00:00:00:99:01', '02:00:00:00:99:02', 0x0800,
               ipv4(src, dst, 17, udp(12345, 4789, struct.pack('!II', 0x08000000, vni << 8) + inner)))
def pad(f): return f + bytes(max(0, 60 - len(f)))

def write(path, frames):
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack('<IIII', 1700000000 + i // 1000, i % 1000, len(fr), len(fr)))
            f.write(fr)

def read(path):
    out = []
    with open(path, 'rb') as f:
        magic, = struct.unpack('<I', f.read(24)[:4])
        assert magic in (0xa1b2c3d4, 0xa1b23c4d), hex(magic)
        while True:
            h = f.read(16)
            if len(h) < 16: return out
            _, _, incl, orig = struct.unpack('<IIII', h)
            out.append(f.read(incl))

VM1, VM2, REM, REM3 = '02:00:00:00:01:01', '02:00:00:00:01:02', '02:00:00:00:00:22', '02:00:00:00:00:33'
A = frame(REM, VM1, 1)                  # to the remote VTEP 10.0.0.2
B = frame(VM2, VM1, 2)                  # to port 2, VLAN 20
C = frame('ff:ff:ff:ff:ff:ff', VM1, 3)  # flooded
D = frame(REM3, VM1, 4)                 # to 10.0.0.3: no next hop yet
E = frame(REM3, VM1, 5)                 # to 10.0.0.3 after the ARP reply
INNER = frame(VM1, REM, 6)              # inside the VXLAN packet from 10.0.0.2
ARPQ = pad(eth('ff:ff:ff:ff:ff:ff', '02:00:00:00:99:02', 0x0806,
               arp(1, '02:00:00:00:99:02', '10.0.0.2', '00:00:00:00:00:00', '10.0.0.1')))
ARPR = pad(eth('02:00:00:00:99:01', '02:00:00:00:99:03', 0x0806,
               arp(2, '02:00:00:00:99:03', '10.0.0.3', '02:00:00:00:99:01', '10.0.0.1')))

def gen(d):
    rnd = random.Random(5)
    junk_src = [frame(VM2, '03:00:00:00:00:%02x' % (i % 256), i) for i in range(300)]
    not_vxlan = [eth('02:00:00:00:99:01', '02:00:00:00:99:02', 0x0800,
                     ipv4('10.0.0.2', '10.0.0.1', 17, udp(1, 53, bytes(20)))) for _ in range(100)]
    def malformed(n, vlan):
        out = []
        for i in range(n):
            if i % 2:
                out.append(bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 200))))
            else:
                f = vxlan('10.0.0.2', '10.0.0.1', 100, INNER) if not vlan else \
                    INNER[:12] + struct.pack('!HH', 0x8100, 20) + INNER[12:]
                out.append(f[:rnd.randrange(1, 46 if vlan else 70)])
        return out
    write(d + '/in0.pcap', [vxlan('10.0.0.2', '10.0.0.1', 100, INNER), ARPQ] + not_vxlan
          + [ARPR] + malformed(1000, False))
    write(d + '/in1.pcap', [A, B, C, D] + junk_src + [E])
    write(d + '/in2.pcap', malformed(1000, True))

def check(d):
    """What the ports sent, by structure (the bytes of a frame built here)."""
    out = [read(d + '/out%d.pcap' % p) for p in range(3)]
    def vx(f):
        assert f[12:14] == b'\x08\x00' and f[23] == 17 and f[36:38] == b'\x12\xb5', f.hex()
        return f[0:6], f[6:12], f[26:30], f[30:34], struct.unpack('!I', f[46:50])[0] >> 8, f[50:]
    up = out[0]
    assert len(up) == 5, ['%d:%s' % (len(f), f[:14].hex()) for f in up]
    # ARP reply to 10.0.0.2 from the VTEP's MAC.
    r = up[0]
    assert r[12:14] == b'\x08\x06' and r[20:22] == b'\x00\x02', r.hex()
    assert r[22:28] == mac('02:00:00:00:99:01') and r[28:32] == ip('10.0.0.1'), r.hex()
    # A and C encapsulated to 10.0.0.2 via its static next hop; the ARP request for
    # 10.0.0.3 from the VTEP; E encapsulated to 10.0.0.3's MAC from the reply.
    encs = [vx(f) for f in up if f[12:14] == b'\x08\x00']
    assert len(encs) == 3, encs
    want = [(mac('02:00:00:00:99:02'), ip('10.0.0.2'), A), (mac('02:00:00:00:99:02'), ip('10.0.0.2'), C),
            (mac('02:00:00:00:99:03'), ip('10.0.0.3'), E)]
    for (dmac, smac, sip, dip, vni, inner), (wmac, wip, wf) in zip(encs, want):
        assert (dmac, smac, sip, dip, vni, inner) == (wmac, mac('02:00:00:00:99:01'), ip('10.0.0.1'),
                                                      wip, 100, wf), (dmac.hex(), dip, inner.hex())
    q = [f for f in up if f[12:14] == b'\x08\x06' and f[20:22] == b'\x00\x01']
    assert len(q) == 1, q
    assert q[0][0:6] == b'\xff' * 6 and q[0][22:28] == mac('02:00:00:00:99:01'), q[0].hex()
    assert q[0][28:32] == ip('10.0.0.1') and q[0][38:42] == ip('10.0.0.3'), q[0].hex()
    # Port 1: the decapsulated frame. Port 2: B and C with VLAN 20 pushed.
    assert out[1] == [INNER], [f.hex() for f in out[1]]
    tag = lambda f: f[:12] + struct.pack('!HH', 0x8100, 20) + f[12:]
    assert out[2] == [tag(B), tag(C)], [f.hex() for f in out[2]]

def same(d1, d2):
    for p in range(3):
        a, b = read('%s/out%d.pcap' % (d1, p)), read('%s/out%d.pcap' % (d2, p))
        assert a == b, 'port %d: %d vs %d frames, first difference at %s' % (
            p, len(a), len(b), next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None))

if __name__ == '__main__':
    {'gen': lambda: gen(sys.argv[2]), 'check': lambda: check(sys.argv[2]),
     'same': lambda: same(sys.argv[2], sys.argv[3]),
     'hex': lambda: print({'learn': frame('02:00:00:00:00:44', '02:00:00:00:01:77', 7).hex(),
                           'A': A.hex()}[sys.argv[2]])}[sys.argv[1]]()
PY
python3 "$tmp/pkt.py" gen "$tmp"

cat >"$tmp/config" <<'END'
# the flood list and the remote MACs of VNI 100
fdb add 00:00:00:00:00:00 vni 100 dst 10.0.0.2
fdb add 02:00:00:00:00:22 vni 100 dst 10.0.0.2
fdb add 02:00:00:00:00:33 vni 100 dst 10.0.0.3
fdb add 02:00:00:00:01:01 vni 100 port 1
fdb add 02:00:00:00:01:02 vni 100 port 2
nexthop add 10.0.0.2 lladdr 02:00:00:00:99:02
END

N0=1103 # rx on the uplink: VXLAN, ARP request, 100 not VXLAN, ARP reply, 1000 malformed
N1=305
N2=1000

eal() { # mode
	echo -l 0 --no-huge -m 512 --no-pci --no-shconf --file-prefix=ft_vtep_$$_$1 \
		--vdev=net_pcap0,rx_pcap=$tmp/in0.pcap,tx_pcap=$tmp/$1/out0.pcap \
		--vdev=net_pcap1,rx_pcap=$tmp/in1.pcap,tx_pcap=$tmp/$1/out1.pcap \
		--vdev=net_pcap2,rx_pcap=$tmp/in2.pcap,tx_pcap=$tmp/$1/out2.pcap
}
OPTS="--p4 $SRC/p4/vtep.p4 --uplink 0 --vtep-ip 10.0.0.1 --vtep-mac 02:00:00:00:99:01
	--access 1,vni=100 --access 2,vni=100,vlan=20"

# --- Refusals before any packet --------------------------------------------------
mkdir -p "$tmp/bad"
if "$VTEP" $(eal bad) -- --p4 "$SRC/p4/vtep.p4" --uplink 0 --vtep-ip 2001:db8::1 \
	--ctl "$tmp/bad/s" 2>"$tmp/bad/log"; then
	fail "an IPv6 --vtep-ip accepted"
fi
expect "$tmp/bad/log" "not supported: IPv6 underlay"
printf 'fdb add 00:00:00:00:00:00 vni 100 dst 10.0.0.2\n\nfdb add 02:00:00:00:00:22 vni 100 dst nowhere\n' \
	>"$tmp/bad/config"
if "$VTEP" $(eal bad) -- $OPTS --config "$tmp/bad/config" --ctl "$tmp/bad/s" 2>"$tmp/bad/log"; then
	fail "a bad configuration line accepted"
fi
expect "$tmp/bad/log" "$tmp/bad/config:3: "
[ ! -e "$tmp/bad/s" ] || fail "a socket was left behind"

# --- One daemon per offload mode ---------------------------------------------------
run_mode() { # none|sim|rte_flow
	mode=$1
	dir=$tmp/$mode
	sock=$dir/ctl.sock
	mkdir -p "$dir"
	"$VTEP" $(eal "$mode") -- $OPTS --offload "$mode" --config "$tmp/config" --ctl "$sock" \
		>"$dir/log" 2>&1 &
	pid=$!
	i=0
	while [ ! -S "$sock" ]; do
		kill -0 "$pid" 2>/dev/null || fail "$mode: the daemon exited"
		i=$((i + 1))
		[ $i -lt 300 ] || fail "$mode: no control socket after 30 s"
		sleep 0.1
	done
	ctl() { "$CTL" --ctl "$sock" "$@"; }

	# Every packet of the pcaps received (the malformed flood included), still serving.
	i=0
	until ctl stats >"$dir/stats" && grep -q "port 0 uplink: rx $N0 " "$dir/stats" &&
		grep -q "port 1 access: rx $N1 " "$dir/stats" &&
		grep -q "port 2 access: rx $N2 " "$dir/stats"; do
		i=$((i + 1))
		[ $i -lt 100 ] || { cat "$dir/stats"; fail "$mode: packets not all received"; }
		sleep 0.1
	done
	expect "$dir/stats" "port 1 drop drop_bad_src_mac: 300"
	expect "$dir/stats" "port 1 drop drop_no_nexthop: 1"
	expect "$dir/stats" "port 0 drop drop_not_vxlan: "
	expect "$dir/stats" "underlay: arp requests 1, next hops learned 1"
	kill -0 "$pid" || fail "$mode: the daemon died"
	grep -v offload "$dir/stats" >"$dir/stats.common"
	if [ "$mode" = rte_flow ]; then
		# net_pcap offloads no rte_flow rule: said once, then the model alone.
		expect "$dir/log" "offload rte_flow: port 0 (driver net_pcap) offloads no rte_flow rules: the model runs every packet"
		expect "$dir/stats" "offload none"
	fi
	if [ "$mode" = sim ]; then
		expect "$dir/stats" "offload sim: "
		# NIC-finished + software = received, on every port; the NIC finished some.
		python3 - "$dir/stats" <<'PY' || fail "sim: offload counts"
import re, sys
t = open(sys.argv[1]).read()
rx = {int(p): int(n) for p, n in re.findall(r'port (\d+) \w+: rx (\d+)', t)}
nic_total = 0
for p, nic, sw in re.findall(r'port (\d+) offload: nic (\d+) software (\d+)', t):
    assert int(nic) + int(sw) == rx[int(p)], (p, nic, sw, rx)
    nic_total += int(nic)
assert len(rx) == 3 and nic_total > 0, t
PY
	fi

	# Learning settles (committed every 100 ms): the inner source behind 10.0.0.2
	# and VM1 behind port 1; nothing learned from the malformed frames.
	i=0
	until [ "$(ctl table_dump mac_learn | grep -c '^table_add')" = 2 ]; do
		i=$((i + 1))
		[ $i -lt 50 ] || { ctl table_dump mac_learn; fail "$mode: learning"; }
		sleep 0.1
	done

	# The learned next hop is there; entries say where they run.
	ctl dump-flows >"$dir/flows0"
	expect "$dir/flows0" "table_add nexthop set_nexthop 0x0a000003/32 => 02:00:00:00:99:03"
	expect "$dir/flows0" "table_add fdb to_vtep 0x000064 02:00:00:00:00:22 => 0x0a000002"
	expect "$dir/flows0" " where "
	if [ "$mode" = sim ]; then
		grep -q " where nic" "$dir/flows0" || fail "sim: no entry in the NIC"
	else
		expect "$dir/flows0" "where software (offload none)"
	fi

	# Changes through the socket.
	ctl fdb add 02:00:00:00:00:44 vni 100 dst 10.0.0.2 >"$dir/out" || fail "$mode: fdb add"
	ctl neigh add 192.168.1.5 lladdr 02:00:00:00:05:05 vni 100 >"$dir/out" ||
		fail "$mode: neigh add"
	ctl dump-flows >"$dir/flows1"
	expect "$dir/flows1" "02:00:00:00:00:44 => 0x0a000002"
	expect "$dir/flows1" "table_add arp_proxy arp_reply 0x000064 0xc0a80105 => 02:00:00:00:05:05"
	ctl fdb show vni 100 >"$dir/fdb"
	expect "$dir/fdb" "fdb append 02:00:00:00:00:44 vni 100 dst 10.0.0.2"

	# Bad commands: non-zero, a message, nothing changed.
	for bad in "fdb add 02:00:00:00:00:55 vni 100 dst nowhere" "fdb add 02:00:00:00:00:44 vni 100 dst 10.0.0.2" \
		"no_such_command 1 2" "table_add fdb to_vtep 1 => 2" "stats now" "trace zz"; do
		if ctl $bad >"$dir/out" 2>"$dir/err"; then fail "$mode: '$bad' succeeded"; fi
		grep -q "^flowtwinctl: " "$dir/err" || fail "$mode: '$bad': no error message"
	done
	ctl dump-flows >"$dir/flows2"
	cmp -s "$dir/flows1" "$dir/flows2" || { diff "$dir/flows1" "$dir/flows2"; fail "$mode: changed"; }

	# A static next hop replaces the learned one.
	ctl nexthop add 10.0.0.3 lladdr 02:00:00:00:99:33 >/dev/null || fail "$mode: static nexthop"
	ctl nexthop show >"$dir/nh"
	expect "$dir/nh" "nexthop add 10.0.0.3/32 lladdr 02:00:00:00:99:33"

	# trace; and an event: the traced frame's source MAC is learned.
	# (flowtwinctl itself in the background, not a subshell: 'kill -INT' must reach it)
	"$CTL" --ctl "$sock" events >"$dir/events" 2>&1 &
	evpid=$!
	sleep 0.3
	ctl trace "$(python3 "$tmp/pkt.py" hex learn)" --in-port 1 >"$dir/trace" ||
		fail "$mode: trace"
	expect "$dir/trace" "table fdb: meta.vni="
	expect "$dir/trace" "Output: port 0"
	i=0
	until grep -q "learned vni 100 mac 02:00:00:00:01:77 port 1" "$dir/events"; do
		i=$((i + 1))
		[ $i -lt 50 ] || { cat "$dir/events"; fail "$mode: no learned event"; }
		sleep 0.1
	done
	kill -INT "$evpid"
	wait "$evpid" || fail "$mode: events did not end with 0 on SIGINT"
	evpid=

	ctl stats >/dev/null || fail "$mode: stats after all that"
	kill -TERM "$pid"
	wait "$pid" || fail "$mode: exit status $? after SIGTERM"
	pid=
	[ ! -e "$sock" ] || fail "$mode: the socket file is still there"
	ctl stats 2>/dev/null && fail "$mode: stats answered after the exit"
	python3 "$tmp/pkt.py" check "$dir" || fail "$mode: what the ports sent"
	echo "$mode: ok"
}

run_mode none
run_mode sim
run_mode rte_flow
python3 "$tmp/pkt.py" same "$tmp/none" "$tmp/rte_flow" || fail "none and rte_flow sent different packets"
python3 "$tmp/pkt.py" same "$tmp/none" "$tmp/sim" || fail "none and sim sent different packets"
cmp -s "$tmp/none/stats.common" "$tmp/sim/stats.common" ||
	{ diff "$tmp/none/stats.common" "$tmp/sim/stats.common"; fail "stats differ"; }
echo "vtep daemon: ok"
