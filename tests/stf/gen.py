#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generates the STF vectors of p4/vtep.p4 (tests/stf/*.stf).

Every expected byte is computed here from the packet formats (Ethernet,
802.1Q, ARP, IPv4 with its checksum, UDP, VXLAN), independently of the
model: python3 tests/stf/gen.py [DIR] rewrites the files. Nothing here
reads the pipeline's output. The UDP source port of an encapsulated frame
is a hash of the inner MACs: it is written '****' (its checksum is 0, as
Linux sends over IPv4, so nothing else depends on it).
"""
import os
import struct
import sys

# --- Packet formats -----------------------------------------------------------


def mac(s):
    return bytes.fromhex(s.replace(":", ""))


def ip(s):
    return bytes(int(x) for x in s.split("."))


def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xFFFF) + (t >> 16)
    return ~t & 0xFFFF


def eth(dst, src, typ):
    return mac(dst) + mac(src) + struct.pack("!H", typ)


def dot1q(vid, typ, pcp=0):
    return struct.pack("!HH", pcp << 13 | vid, typ)


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac(sha) + ip(spa) + mac(tha) + ip(tpa)


def ipv4(src, dst, payload, proto=6, dscp=0, ecn=0, ttl=64, ident=0x1234, df=False):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, dscp << 2 | ecn, 20 + len(payload), ident,
                    0x4000 if df else 0, ttl, proto, 0, ip(src), ip(dst))
    c = csum(h)
    return h[:10] + struct.pack("!H", c) + h[12:] + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def vxlan(vni, flags=0x08):
    return struct.pack("!B3sI", flags, b"\0\0\0", vni << 8)


TCP = bytes.fromhex("c0010050000000010000000050022000abcd0000")  # a TCP SYN-ish segment


def ip_frame(dst, src, sip, dip, vid=None, **kw):
    """An Ethernet frame carrying IPv4 (TCP payload), optionally tagged."""
    body = ipv4(sip, dip, TCP, **kw)
    if vid is None:
        return eth(dst, src, 0x0800) + body
    return eth(dst, src, 0x8100) + dot1q(vid, 0x0800) + body


def arp_frame(dst, src, op, sha, spa, tha, tpa, vid=None):
    body = arp(op, sha, spa, tha, tpa)
    if vid is None:
        return eth(dst, src, 0x0806) + body
    return eth(dst, src, 0x8100) + dot1q(vid, 0x0806) + body


def tag(frame, vid):
    """The frame with an 802.1Q tag pushed after its addresses."""
    return frame[:12] + struct.pack("!H", 0x8100) + dot1q(vid, struct.unpack("!H", frame[12:14])[0]) + frame[14:]


def untag(frame):
    return frame[:12] + frame[16:]


def tunnel(frame, vni, src, dst, src_mac, dst_mac, ecn=0, ttl=64, dport=4789, sport=0xC123):
    """A VXLAN packet as a remote VTEP sends it."""
    u = udp(sport, dport, vxlan(vni) + frame)
    return eth(dst_mac, src_mac, 0x0800) + ipv4(src, dst, u, proto=17, ecn=ecn, ttl=ttl,
                                                ident=0x4242, df=True)


def encap(frame, vni, remote, nh_mac, dscp=0, ecn=0, ttl=64):
    """What vtep.p4 sends: outer Ethernet/IPv4 (id 0, DF)/UDP (4789, csum 0)/VXLAN.
    Returns the hex with the hashed UDP source port as '****'."""
    u = udp(0, 4789, vxlan(vni) + frame)
    pkt = eth(nh_mac, LOCAL_MAC, 0x0800) + ipv4(LOCAL_IP, remote, u, proto=17, dscp=dscp,
                                                 ecn=ecn, ttl=ttl, ident=0, df=True)
    h = pkt.hex()
    off = 2 * (14 + 20)
    return h[:off] + "****" + h[off + 4:]


def hexs(b):
    return b if isinstance(b, str) else b.hex()


# --- The VTEP's configuration ----------------------------------------------------

LOCAL_IP, LOCAL_MAC, UPLINK = "10.0.0.1", "02:00:00:00:00:01", 10
VTEP2, NH2, RID2 = "10.0.0.2", "02:00:00:00:0a:02", 1
VTEP3, NH3, RID3 = "10.0.0.3", "02:00:00:00:0a:03", 2
ROUTER = "02:00:00:00:0a:fe"  # underlay MAC of the remote VTEPs' router
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"
# Hosts: A on port 1, B on port 2, C on port 3 (VLAN 10) - VNI 100;
# R behind VTEP 10.0.0.2, S behind 10.0.0.3; D and E on ports 5 and 6 (VNI 200).
A, A_IP = "02:00:00:00:01:01", "10.1.0.1"
B, B_IP = "02:00:00:00:01:02", "10.1.0.2"
C, C_IP = "02:00:00:00:01:03", "10.1.0.3"
R, R_IP = "02:00:00:00:02:02", "10.1.0.12"
S, S_IP = "02:00:00:00:02:03", "10.1.0.13"
D, D_IP = "02:00:00:00:05:05", "10.2.0.5"
E, E_IP = "02:00:00:00:06:06", "10.2.0.6"
UNKNOWN = "02:00:00:00:09:09"


def config(ttl=64, ttl_inherit=0, tos=0, tos_inherit=0, proxy=0, l2miss=0, l3miss=0, dstport=4789):
    return ("table_set_default vtep_config set_config %s %s %d %d %d %d %d %d %d %d %d"
            % (LOCAL_IP, LOCAL_MAC, dstport, UPLINK, ttl, ttl_inherit, tos, tos_inherit, proxy,
               l2miss, l3miss))


SETUP = """\
# --- Setup (docs/vtep.md, the entries the commands write) ---------------------
# vtep set local-ip 10.0.0.1 ; port add 10 uplink (MAC 02:00:00:00:00:01)
{config}
table_add port_class from_uplink 10 0 =>
# port add 1 access vni 100 ; port add 2 access vni 100 ; port add 3 access vni 100 vlan 10
table_add port_class access 1 0 => 100
table_add port_class access 2 0 => 100
table_add port_class access_vlan 3 10 => 100
table_add port_vlan_out set_out_vlan 3 => 10
table_add vni_term decap 100 =>
# bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst 10.0.0.2 (and dst 10.0.0.3):
# the flood list of VNI 100 (head-end replication), rid 1 and rid 2
table_add remote_vtep to_remote 1 => 10.0.0.2
table_add remote_vtep to_remote 2 => 10.0.0.3
table_add vtep_known vtep_ok 100 10.0.0.2 =>
table_add vtep_known vtep_ok 100 10.0.0.3 =>
group_set 1 1 2 3 10:1 10:2
table_add bum_group flood 100 => 1 1
# port add 5 access vni 200 ; port add 6 access vni 200 (no flood list: local only)
table_add port_class access 5 0 => 200
table_add port_class access 6 0 => 200
table_add vni_term decap 200 =>
group_set 2 5 6
table_add bum_group flood 200 => 2 0
# The underlay: 10.0.0.2 on the segment (/32), the rest of 10.0.0.0/24 behind a router
table_add nexthop set_nexthop 10.0.0.2/32 => 02:00:00:00:0a:02
table_add nexthop set_nexthop 10.0.0.0/24 => 02:00:00:00:0a:fe
"""


def setup(**kw):
    return SETUP.format(config=config(**kw))


class Stf:
    def __init__(self, name, title):
        self.name = name
        self.lines = ["# " + l if l else "#" for l in title.strip().split("\n")]
        self.lines.append("# Generated by tests/stf/gen.py: edit it, not this file.")
        self.lines.append("")

    def raw(self, text):
        self.lines.extend(text.rstrip("\n").split("\n"))

    def comment(self, text):
        self.lines.append("")
        for l in text.strip().split("\n"):
            self.lines.append("# " + l if l else "#")

    def packet(self, port, data):
        self.lines.append("packet %d %s" % (port, hexs(data)))

    def expect(self, port, data):
        self.lines.append("expect %d %s$" % (port, hexs(data)))

    def write(self, d):
        with open(os.path.join(d, self.name + ".stf"), "w") as f:
            f.write("\n".join(self.lines) + "\n")


def digest_l2miss(vni, m, port):
    return "l2miss_digest %06x%s%08x" % (vni, mac(m).hex(), port)


def digest_l3miss(vni, addr, port):
    return "l3miss_digest %06x%s%08x" % (vni, ip(addr).hex(), port)


def learned_line(vni, m, port, remote):
    """ft_ctl_poll()'s generic line for an entry learned into mac_learn (ctl.h)."""
    return "learned mac_learn 0x%06x %s => learned 0x%08x 0x%s" % (vni, m, port, ip(remote).hex())


def aged_line(vni, m):
    return "aged mac_learn 0x%06x %s" % (vni, m)


def digest_move(vni, m, port, remote):
    return "mac_move_digest %06x%s%08x%s" % (vni, mac(m).hex(), port, ip(remote).hex())


FILES = []


def vector(fn):
    FILES.append(fn)
    return fn


# --- The vectors ---------------------------------------------------------------


@vector
def classify():
    t = Stf("classify", """\
Access ports -> VNI (port_class). Linux: a bridge port with a PVID (untagged)
or a VLAN sub-interface; Neutron: the local VLAN of a network on br-int.
Port 1, 2: untagged in VNI 100; port 3: VLAN 10 in VNI 100 (the tag comes
off on the way in and goes back on on the way out); ports 5, 6: VNI 200.
A port or a tag that is not configured is dropped (drop_unknown_port).""")
    t.raw(setup())
    t.raw("table_add fdb to_port 100 %s => 2\ntable_add fdb to_port 100 %s => 3\n"
          "table_add fdb to_port 100 %s => 1" % (B, C, A))
    t.comment("Untagged port 1 -> B on port 2: bridged as it is.")
    f = ip_frame(B, A, A_IP, B_IP)
    t.packet(1, f); t.expect(2, f)
    t.comment("Tagged port 3 (VLAN 10) -> B on port 2: the tag is removed.")
    f = ip_frame(B, C, C_IP, B_IP, vid=10)
    t.packet(3, f); t.expect(2, untag(f))
    t.comment("Port 1 -> C on port 3: the port's tag, VLAN 10 (pcp 0), is pushed.")
    f = ip_frame(C, A, A_IP, C_IP)
    t.packet(1, f); t.expect(3, tag(f, 10))
    t.comment("Port 3 -> A on port 1 with an ARP frame: tag removed, ARP untouched.")
    f = arp_frame(A, C, 2, C, C_IP, A, A_IP, vid=10)
    t.packet(3, f); t.expect(1, untag(f))
    t.comment("A priority tag (VLAN 0) on untagged port 1 classifies as untagged and stays.")
    f = ip_frame(B, A, A_IP, B_IP, vid=0)
    t.packet(1, f); t.expect(2, f)
    t.comment("VNI isolation: port 5 (VNI 200) to B's MAC: fdb (200, B) misses, flooded in\n"
              "VNI 200 only (port 6; port 5 is the input port).")
    f = ip_frame(B, D, D_IP, B_IP)
    t.packet(5, f); t.expect(6, f)
    t.comment("Drops (drop_unknown_port, drop_counter[0]): VLAN 20 on port 3, VLAN 5 on\n"
              "untagged port 1, untagged on tagged port 3, unknown port 7, a tagged frame\n"
              "on the uplink.")
    drops = [(3, ip_frame(B, C, C_IP, B_IP, vid=20)), (1, ip_frame(B, A, A_IP, B_IP, vid=5)),
             (3, ip_frame(B, C, C_IP, B_IP)), (7, ip_frame(B, A, A_IP, B_IP)),
             (UPLINK, tag(tunnel(ip_frame(A, R, R_IP, A_IP), 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC), 5))]
    for p, f in drops:
        t.packet(p, f)
    t.raw("no_packet")
    t.raw("check_counter drop_counter(0) packets == %d" % len(drops))
    t.raw("check_counter drop_counter(0) bytes == %d" % sum(len(f) for _, f in drops))
    return t


@vector
def decap():
    t = Stf("decap", """\
Tunnel termination (vni_term, vtep_known, decap). Linux: vxlan_rcv() on the
VTEP's UDP socket (local IP, dstport 4789) strips the outer Ethernet, IPv4,
UDP and VXLAN headers and hands the inner frame to the bridge of the VNI.
Unlike Linux, only VTEPs known for the VNI (flood list, fdb) are accepted.""")
    t.raw(setup())
    t.raw("table_add fdb to_port 100 %s => 1\ntable_add fdb to_port 100 %s => 3\n"
          "table_add fdb to_vtep 100 %s => 10.0.0.2" % (A, C, R))
    t.comment("R behind 10.0.0.2 -> A on port 1: the inner frame, as it was sent.")
    f = ip_frame(A, R, R_IP, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC)); t.expect(1, f)
    t.comment("S behind 10.0.0.3 (through the router) -> C on port 3: VLAN 10 pushed on\n"
              "the inner frame.")
    f = ip_frame(C, S, S_IP, C_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC)); t.expect(3, tag(f, 10))
    t.comment("An ARP reply inside the tunnel is bridged the same way.")
    f = arp_frame(A, R, 2, R, R_IP, A, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC)); t.expect(1, f)
    t.comment("drop_unknown_vni (drop_counter[2]): VNI 300 is not terminated here.")
    t.packet(UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 300, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.comment("drop_unknown_vtep (drop_counter[3]): 10.0.0.9 is no VTEP of VNI 100, and\n"
              "10.0.0.2 is not one of VNI 200 (its flood list is empty).")
    t.packet(UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 100, "10.0.0.9", LOCAL_IP, NH2, LOCAL_MAC))
    t.packet(UPLINK, tunnel(ip_frame(D, R, R_IP, D_IP), 200, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.comment("drop_not_vxlan (drop_counter[1]): to another IP, to UDP 8472 while the\n"
              "VTEP uses 4789, plain UDP (DNS) to the local IP, TCP, IPv6.")
    t.packet(UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 100, VTEP2, "10.0.0.99", NH2, LOCAL_MAC))
    t.packet(UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, dport=8472))
    t.packet(UPLINK, eth(LOCAL_MAC, NH2, 0x0800) + ipv4(VTEP2, LOCAL_IP, udp(5353, 53, b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"), proto=17))
    t.packet(UPLINK, ip_frame(LOCAL_MAC, NH2, VTEP2, LOCAL_IP))
    t.packet(UPLINK, eth(LOCAL_MAC, NH2, 0x86dd) + bytes(40))
    t.comment("drop_bad_src_mac (drop_counter[5]): a group source MAC inside the tunnel.")
    t.packet(UPLINK, tunnel(ip_frame(A, "01:00:5e:00:00:01", R_IP, A_IP), 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.comment("Split horizon (copy_drop_counter[1]): a frame from the tunnel to R, whose\n"
              "fdb entry is a VTEP, never goes back into the underlay.")
    t.packet(UPLINK, tunnel(ip_frame(R, S, S_IP, R_IP), 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    t.raw("no_packet")
    t.raw("check_counter drop_counter(1) packets == 5\ncheck_counter drop_counter(2) packets == 1\n"
          "check_counter drop_counter(3) packets == 2\ncheck_counter drop_counter(5) packets == 1\n"
          "check_counter copy_drop_counter(1) packets == 1")
    return t


@vector
def dstport():
    t = Stf("dstport", """\
dstport 8472 (Linux's historic default, `ip link add ... dstport 8472`): the
VTEP terminates and sends VXLAN on 8472 only.""")
    t.raw(setup(dstport=8472))
    t.raw("table_add fdb to_port 100 %s => 1\ntable_add fdb to_vtep 100 %s => 10.0.0.2" % (A, R))
    f = ip_frame(A, R, R_IP, A_IP)
    t.comment("Received on 8472: decapsulated. On 4789: drop_not_vxlan.")
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, dport=8472)); t.expect(1, f)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, dport=4789))
    t.comment("Sent: UDP destination port 8472.")
    f = ip_frame(R, A, A_IP, R_IP)
    e = encap(f, 100, VTEP2, NH2)
    e = e[:2 * 36] + "2118" + e[2 * 38:]
    t.packet(1, f); t.expect(UPLINK, e)
    t.raw("check_counter drop_counter(1) packets == 1")
    return t


@vector
def v_encap():
    t = Stf("encap", """\
Unicast to one remote VTEP (fdb to_vtep: `bridge fdb add MAC dev vxlan100
dst IP`). Linux vxlan_xmit_one(): outer Ethernet to the next hop, IPv4 with
DF, UDP to 4789 from a port hashed from the inner flow in 49152..65535
(written ****), checksum 0, VXLAN flags 0x08 and the VNI. TTL and TOS fixed
(`ttl N`, `tos N`) or inherited (`ttl inherit`, `tos inherit`); ECN copied
from an inner IPv4 header (RFC 6040 normal mode), not-ECT otherwise.""")
    t.raw(setup())
    t.raw("table_add fdb to_vtep 100 %s => 10.0.0.2\ntable_add fdb to_vtep 100 %s => 10.0.0.3"
          % (R, S))
    t.comment("A -> R: next hop 10.0.0.2 itself (/32), TTL 64, TOS 0, inner ECT(0) copied.")
    f = ip_frame(R, A, A_IP, R_IP, ecn=2)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2, ecn=2))
    t.comment("A -> S: 10.0.0.3 through the router (the 10.0.0.0/24 route), inner CE copied.")
    f = ip_frame(S, A, A_IP, S_IP, ecn=3)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER, ecn=3))
    t.comment("C on tagged port 3 -> R: the tag is not carried; lengths are of the untagged frame.")
    f = ip_frame(R, C, C_IP, R_IP, vid=10)
    t.packet(3, f); t.expect(UPLINK, encap(untag(f), 100, VTEP2, NH2))
    t.comment("A -> R, an ARP reply (not IPv4): ECN not-ECT.")
    f = arp_frame(R, A, 2, A, A_IP, R, R_IP)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2))
    t.comment("ttl 32 tos 0xb8 (DSCP 46): fixed, whatever the inner header says; ECN still copied.")
    t.raw(config(ttl=32, tos=0xB8))
    f = ip_frame(R, A, A_IP, R_IP, dscp=10, ecn=1, ttl=20)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2, dscp=46, ecn=1, ttl=32))
    t.comment("ttl inherit, tos inherit: the inner TTL and DSCP (no decrement, as Linux).")
    t.raw(config(ttl=64, ttl_inherit=1, tos=0, tos_inherit=1))
    f = ip_frame(R, A, A_IP, R_IP, dscp=10, ecn=1, ttl=20)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2, dscp=10, ecn=1, ttl=20))
    t.comment("... and for a non-IPv4 frame, TTL 64 and DSCP 0.")
    f = arp_frame(R, A, 2, A, A_IP, R, R_IP)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2))
    return t


@vector
def v_encap_multi():
    t = Stf("encap_multi", """\
A unicast MAC behind two VTEPs (`bridge fdb append MAC dev vxlan100 dst
10.0.0.2` and `... dst 10.0.0.3`): fdb to_vtep_group, one copy per VTEP, in
the group's order.""")
    t.raw(setup())
    M = "02:00:00:00:07:07"
    t.raw("group_set 3 10:1 10:2\ntable_add fdb to_vtep_group 100 %s => 3" % M)
    f = ip_frame(M, A, A_IP, "10.1.0.77")
    t.packet(1, f)
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2))
    t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    return t


@vector
def v_flood():
    t = Stf("flood", """\
BUM (broadcast, unknown unicast, multicast): the all-zeros fdb entry of
Linux (`bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst 10.0.0.2`, and
dst 10.0.0.3), Neutron's FLOOD_TO_TUN. Head-end replication: one copy per
local port of the VNI and one encapsulated copy per remote VTEP. Never back
out the input port (drop_hairpin, copy_drop_counter[4]); a frame from the
tunnel is never sent into the tunnel again (split horizon, drop_split_horizon,
copy_drop_counter[1]).""")
    t.raw(setup())
    t.comment("Broadcast ARP request from A (port 1): ports 2, 3 (tagged), 10.0.0.2, 10.0.0.3.")
    f = arp_frame(BCAST, A, 1, A, A_IP, ZERO, "10.1.0.99")
    t.packet(1, f)
    t.expect(2, f); t.expect(3, tag(f, 10))
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("Unknown unicast from B (port 2), IPv4: ports 1, 3 and both VTEPs.")
    f = ip_frame(UNKNOWN, B, B_IP, "10.1.0.99")
    t.packet(2, f)
    t.expect(1, f); t.expect(3, tag(f, 10))
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("Multicast from C (tagged port 3): ports 1, 2 and both VTEPs, untagged.")
    f = ip_frame("01:00:5e:00:00:fb", C, C_IP, "224.0.0.251", vid=10)
    t.packet(3, f)
    u = untag(f)
    t.expect(1, u); t.expect(2, u)
    t.expect(UPLINK, encap(u, 100, VTEP2, NH2)); t.expect(UPLINK, encap(u, 100, VTEP3, ROUTER))
    t.comment("Broadcast from the tunnel (R behind 10.0.0.2): local ports only.")
    f = arp_frame(BCAST, R, 1, R, R_IP, ZERO, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.expect(1, f); t.expect(2, f); t.expect(3, tag(f, 10))
    t.comment("Unknown unicast from the tunnel: local ports only.")
    f = ip_frame(UNKNOWN, S, S_IP, "10.1.0.99")
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    t.expect(1, f); t.expect(2, f); t.expect(3, tag(f, 10))
    t.comment("Broadcast in VNI 200 (no flood list) from D (port 5): port 6 only.")
    f = arp_frame(BCAST, D, 1, D, D_IP, ZERO, E_IP)
    t.packet(5, f); t.expect(6, f)
    t.raw("check_counter copy_drop_counter(4) packets == 4\n"
          "check_counter copy_drop_counter(1) packets == 4")
    return t


@vector
def ecn_decap():
    t = Stf("ecn_decap", """\
RFC 6040 decapsulation, as Linux's INET_ECN_decapsulate(): an outer CE
makes an inner ECT(0) or ECT(1) CE (the inner checksum patched); an outer CE
over a not-ECT inner IPv4 packet is dropped (drop_ecn, drop_counter[4]); any
other combination leaves the inner header as it is.""")
    t.raw(setup())
    t.raw("table_add fdb to_port 100 %s => 1" % A)

    def case(outer, inner, out, what):
        t.comment(what)
        f = ip_frame(A, R, R_IP, A_IP, ecn=inner)
        t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, ecn=outer))
        if out is not None:
            t.expect(1, ip_frame(A, R, R_IP, A_IP, ecn=out))
    case(3, 2, 3, "outer CE, inner ECT(0): inner CE, checksum recomputed.")
    case(3, 1, 3, "outer CE, inner ECT(1): inner CE.")
    case(3, 3, 3, "outer CE, inner CE: unchanged.")
    case(3, 0, None, "outer CE, inner not-ECT: dropped.")
    case(2, 0, 0, "outer ECT(0), inner not-ECT: unchanged.")
    case(1, 2, 2, "outer ECT(1), inner ECT(0): unchanged (no ECT(1) propagation).")
    case(0, 3, 3, "outer not-ECT, inner CE: unchanged.")
    t.comment("outer CE, inner ARP (not IPv4): passes.")
    f = arp_frame(A, R, 2, R, R_IP, A, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, ecn=3)); t.expect(1, f)
    t.raw("check_counter drop_counter(4) packets == 1")
    return t


@vector
def arp_proxy():
    t = Stf("arp_proxy", """\
ARP proxy (`ip link set vxlan100 type vxlan proxy`, `ip neigh add 10.1.0.12
lladdr 02:00:00:00:02:02 dev vxlan100`; Neutron's ARP_RESPONDER): a request
from an access port for a known IP is answered in place (Ethernet and ARP
addresses swapped, opcode 2, sender = the entry) back out the input port; a
request for an unknown IP is flooded to local ports only, never across the
underlay (drop_proxy_suppressed, copy_drop_counter[2]), and with l3miss on
raises the l3miss event (l3miss_digest: VNI, IP, input port).""")
    t.raw(setup(proxy=1))
    t.raw("table_add arp_proxy arp_reply 100 %s => %s\ntable_add arp_proxy arp_reply 100 %s => %s"
          % (R_IP, R, A_IP, A))
    t.raw("expect_event " + digest_l3miss(100, "10.1.0.99", 1))
    t.comment("A asks for R's IP: answered on port 1; nothing else.")
    t.packet(1, arp_frame(BCAST, A, 1, A, A_IP, ZERO, R_IP))
    t.expect(1, arp_frame(A, R, 2, R, R_IP, A, A_IP))
    t.comment("C asks from tagged port 3: the reply goes back tagged.")
    t.packet(3, arp_frame(BCAST, C, 1, C, C_IP, ZERO, R_IP, vid=10))
    t.expect(3, arp_frame(C, R, 2, R, R_IP, C, C_IP, vid=10))
    t.comment("A asks for an unknown IP, l3miss off: ports 2 and 3 only, no event.")
    f = arp_frame(BCAST, A, 1, A, A_IP, ZERO, "10.1.0.99")
    t.packet(1, f); t.expect(2, f); t.expect(3, tag(f, 10))
    t.comment("The same with l3miss on: the l3miss event too.")
    t.raw(config(proxy=1, l3miss=1))
    t.packet(1, f); t.expect(2, f); t.expect(3, tag(f, 10))
    t.comment("A request from the tunnel (R asks for A) is not proxied: bridged to the local\n"
              "ports (as Linux, which proxies on transmit only).")
    g = arp_frame(BCAST, R, 1, R, R_IP, ZERO, A_IP)
    t.packet(UPLINK, tunnel(g, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.expect(1, g); t.expect(2, g); t.expect(3, tag(g, 10))
    t.comment("proxy off: the request for R's IP floods everywhere, VTEPs included.")
    t.raw(config(proxy=0, l3miss=1))
    f = arp_frame(BCAST, A, 1, A, A_IP, ZERO, R_IP)
    t.packet(1, f); t.expect(2, f); t.expect(3, tag(f, 10))
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.raw("check_counter copy_drop_counter(2) packets == 4\n"
          "check_counter copy_drop_counter(4) packets == 3")
    return t


@vector
def l2miss():
    t = Stf("l2miss", """\
l2miss (`ip link add ... l2miss`): a unicast destination with no fdb entry
and no all-zeros entry (VNI 200 has no flood list) raises the l2miss event
(l2miss_digest: VNI, MAC, input port) for the controller, and is still
flooded to the local ports. No event for broadcast, for a known MAC, in a
VNI with a flood list, from the tunnel, or with l2miss off.""")
    t.raw(setup(l2miss=1))
    t.raw("table_add fdb to_port 200 %s => 6\ntable_add vtep_known vtep_ok 200 10.0.0.2 =>" % E)
    t.raw("expect_event " + digest_l2miss(200, UNKNOWN, 5))
    t.comment("D -> unknown unicast in VNI 200: port 6, and the event.")
    f = ip_frame(UNKNOWN, D, D_IP, "10.2.0.99")
    t.packet(5, f); t.expect(6, f)
    t.comment("D -> broadcast: port 6, no event.")
    g = arp_frame(BCAST, D, 1, D, D_IP, ZERO, E_IP)
    t.packet(5, g); t.expect(6, g)
    t.comment("D -> E (known): port 6, no event.")
    g = ip_frame(E, D, D_IP, E_IP)
    t.packet(5, g); t.expect(6, g)
    t.comment("VNI 100 has a flood list (the all-zeros entry): flooded, no event.")
    g = ip_frame(UNKNOWN, A, A_IP, "10.1.0.99")
    t.packet(1, g); t.expect(2, g); t.expect(3, tag(g, 10))
    t.expect(UPLINK, encap(g, 100, VTEP2, NH2)); t.expect(UPLINK, encap(g, 100, VTEP3, ROUTER))
    t.comment("From the tunnel into VNI 200: ports 5 and 6, no event.")
    g = ip_frame(UNKNOWN, R, R_IP, "10.2.0.99")
    t.packet(UPLINK, tunnel(g, 200, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.expect(5, g); t.expect(6, g)
    t.comment("l2miss off: no event.")
    t.raw(config(l2miss=0))
    t.packet(5, f); t.expect(6, f)
    return t


@vector
def l2pop():
    t = Stf("l2pop", """\
Neutron L2 population: the controller pre-loads the fdb (UCAST_TO_TUN) and
the ARP responder for every remote port, so a known host is reached without
an ARP broadcast and without flooding: one ARP reply from the local VTEP,
then one unicast tunnel packet.""")
    t.raw(setup(proxy=1))
    t.raw("table_add fdb to_vtep 100 %s => 10.0.0.2\ntable_add fdb to_vtep 100 %s => 10.0.0.3\n"
          "table_add fdb to_port 100 %s => 1\n"
          "table_add arp_proxy arp_reply 100 %s => %s\ntable_add arp_proxy arp_reply 100 %s => %s"
          % (R, S, A, R_IP, R, S_IP, S))
    t.raw("no_event")
    t.comment("A asks for S's IP: the reply comes from the local VTEP; nothing on the uplink.")
    t.packet(1, arp_frame(BCAST, A, 1, A, A_IP, ZERO, S_IP))
    t.expect(1, arp_frame(A, S, 2, S, S_IP, A, A_IP))
    t.comment("A -> S: one packet, to 10.0.0.3 only.")
    f = ip_frame(S, A, A_IP, S_IP)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("A answers an ARP request of R with a unicast reply: to 10.0.0.2 only.")
    f = arp_frame(R, A, 2, A, A_IP, R, R_IP)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2))
    t.comment("S -> A from the tunnel: port 1 only.")
    f = ip_frame(A, S, S_IP, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC)); t.expect(1, f)
    return t


@vector
def underlay_arp():
    t = Stf("underlay_arp", """\
The underlay: the VTEP answers an ARP request for its own IP on the uplink
(as the host stack of a Linux VTEP does); anything else on the uplink that is
not VXLAN to it is dropped (drop_not_vxlan, drop_counter[1]).""")
    t.raw(setup())
    t.comment("The router asks for 10.0.0.1: the reply, out the uplink.")
    t.packet(UPLINK, arp_frame(BCAST, ROUTER, 1, ROUTER, "10.0.0.254", ZERO, LOCAL_IP))
    t.expect(UPLINK, arp_frame(ROUTER, LOCAL_MAC, 2, LOCAL_MAC, LOCAL_IP, ROUTER, "10.0.0.254"))
    t.comment("A request for another IP, and a reply to us: dropped.")
    t.packet(UPLINK, arp_frame(BCAST, ROUTER, 1, ROUTER, "10.0.0.254", ZERO, "10.0.0.5"))
    t.packet(UPLINK, arp_frame(LOCAL_MAC, ROUTER, 2, ROUTER, "10.0.0.254", LOCAL_MAC, LOCAL_IP))
    t.raw("check_counter drop_counter(1) packets == 2")
    return t


@vector
def drops():
    t = Stf("drops", """\
Every drop action of vtep.p4, each once, and its counter cell (docs/vtep.md,
"Drops"): packets and bytes.""")
    t.raw(setup(proxy=1))
    t.raw("# port add 8 access vni 300 (a VNI without a replication group)\n"
          "table_add port_class access 8 0 => 300\n"
          "# VNI 400: port 9 and rid 9, which has no remote_vtep entry\n"
          "table_add port_class access 9 0 => 400\ngroup_set 4 9 10:9\n"
          "table_add bum_group flood 400 => 4 1\n"
          "table_add fdb to_vtep 100 %s => 10.0.0.2\n"
          "table_add fdb to_vtep 100 02:00:00:00:08:08 => 192.168.7.7\n"
          "table_add fdb to_port 100 %s => 1" % (R, B))
    cells, copy_cells = {}, {}

    def drop(cell, port, f, what, copy=False):
        t.comment(what)
        t.packet(port, f)
        (copy_cells if copy else cells)[cell] = len(f) if not copy else cells_len(f, port)

    def cells_len(f, port):
        return len(f) - 4 if port == 3 else len(f)
    drop(0, 7, ip_frame(B, A, A_IP, B_IP), "drop_unknown_port: port 7.")
    drop(1, UPLINK, ip_frame(LOCAL_MAC, NH2, VTEP2, LOCAL_IP), "drop_not_vxlan: TCP to the VTEP.")
    drop(2, UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 300, VTEP2, LOCAL_IP, NH2, LOCAL_MAC),
         "drop_unknown_vni: VNI 300 does not terminate here.")
    drop(3, UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP), 100, "10.0.0.9", LOCAL_IP, NH2, LOCAL_MAC),
         "drop_unknown_vtep: 10.0.0.9.")
    drop(4, UPLINK, tunnel(ip_frame(A, R, R_IP, A_IP, ecn=0), 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC, ecn=3),
         "drop_ecn: outer CE, inner not-ECT.")
    drop(5, 1, ip_frame(B, "01:00:5e:00:00:01", A_IP, B_IP), "drop_bad_src_mac.")
    drop(6, 8, arp_frame(BCAST, A, 1, A, A_IP, ZERO, B_IP), "drop_no_group: VNI 300.")
    f = arp_frame(BCAST, "02:00:00:00:09:01", 1, "02:00:00:00:09:01", "10.4.0.1", ZERO, "10.4.0.2")
    t.comment("drop_unknown_rid (copy 0) and drop_hairpin (copy 4): VNI 400 floods to port 9\n"
              "(the input port) and rid 9.")
    t.packet(9, f)
    copy_cells[0] = len(f)
    t.comment("drop_split_horizon (copy 1): from the tunnel to R behind a VTEP.")
    g = ip_frame(R, S, S_IP, R_IP)
    t.packet(UPLINK, tunnel(g, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    copy_cells[1] = len(g)
    t.comment("drop_proxy_suppressed (copy 2, x2) and drop_hairpin (copy 4): proxy on, no\n"
              "neighbour entry; flooded to ports 2 and 3 only.")
    h = arp_frame(BCAST, A, 1, A, A_IP, ZERO, "10.1.0.99")
    t.packet(1, h); t.expect(2, h); t.expect(3, tag(h, 10))
    t.comment("drop_no_nexthop (copy 3): no route to 192.168.7.7.")
    k = ip_frame("02:00:00:00:08:08", A, A_IP, "10.1.0.88")
    t.packet(1, k)
    t.comment("drop_hairpin (copy 4): B's entry says port 1, B sent from port 1.")
    m = ip_frame(B, A, A_IP, B_IP)
    t.packet(1, m)
    for c in range(7):
        t.raw("check_counter drop_counter(%d) packets == 1" % c)
        t.raw("check_counter drop_counter(%d) bytes == %d" % (c, cells[c]))
    t.raw("check_counter drop_counter(7) packets == 0")
    t.raw("check_counter copy_drop_counter(0) packets == 1\n"
          "check_counter copy_drop_counter(0) bytes == %d\n"
          "check_counter copy_drop_counter(1) packets == 1\n"
          "check_counter copy_drop_counter(1) bytes == %d\n"
          "check_counter copy_drop_counter(2) packets == 2\n"
          "check_counter copy_drop_counter(2) bytes == %d\n"
          "check_counter copy_drop_counter(3) packets == 1\n"
          "check_counter copy_drop_counter(3) bytes == %d\n"
          "check_counter copy_drop_counter(4) packets == 3\n"
          "check_counter copy_drop_counter(4) bytes == %d"
          % (len(f), len(g), 2 * len(h), len(k), len(f) + len(h) + len(m)))
    return t


@vector
def learning():
    t = Stf("learning", """\
Source learning and ageing (Linux: learning on by default, `ageing 300`;
`nolearning`). mac_learn learns (VNI, source MAC) -> where it was seen;
'wait' commits what was learned and deletes what aged. A learned MAC seen
behind another port or VTEP raises mac_move_digest (VNI, MAC, port, remote
IP); a MAC that aged out is learned anew, without an event. 'advance' moves
the pipeline's clock. The learned/aged lines are ft_ctl_poll()'s generic
ones (no vocabulary takes mac_learn's entries here).""")
    t.raw(setup())
    t.comment("t=0: A on port 1, R behind 10.0.0.2; learned.")
    t.packet(1, arp_frame(BCAST, A, 1, A, A_IP, ZERO, B_IP))
    t.raw("expect 2\nexpect 3\nexpect %d" % UPLINK)
    f = arp_frame(BCAST, R, 1, R, R_IP, ZERO, A_IP)
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.raw("expect 1\nwait")
    t.raw("expect_event " + learned_line(100, A, 1, "0.0.0.0"))
    t.raw("expect_event " + learned_line(100, R, UPLINK, VTEP2))
    t.comment("A shows up on port 2, R behind 10.0.0.3: two moves.")
    t.packet(2, arp_frame(BCAST, A, 1, A, A_IP, ZERO, B_IP))
    t.raw("expect_event " + digest_move(100, A, 2, "0.0.0.0"))
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    t.raw("expect_event " + digest_move(100, R, UPLINK, VTEP3))
    t.comment("t=200 s: A again from port 1 (refreshes A's entry, no move).")
    t.raw("advance 200")
    t.packet(1, arp_frame(BCAST, A, 1, A, A_IP, ZERO, B_IP))
    t.comment("t=400 s: R (idle 400 s) aged; A (idle 200 s) not.")
    t.raw("advance 200\nwait")
    t.raw("expect_event " + aged_line(100, R))
    t.packet(2, arp_frame(BCAST, A, 1, A, A_IP, ZERO, B_IP))
    t.raw("expect_event " + digest_move(100, A, 2, "0.0.0.0"))
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    t.comment("R relearned behind 10.0.0.3: no event from there; one from 10.0.0.2.")
    t.raw("wait")
    t.raw("expect_event " + learned_line(100, R, UPLINK, VTEP3))
    t.packet(UPLINK, tunnel(f, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC))
    t.packet(UPLINK, tunnel(f, 100, VTEP2, LOCAL_IP, NH2, LOCAL_MAC))
    t.raw("expect_event " + digest_move(100, R, UPLINK, VTEP2))
    t.comment("learning off (nolearning): B is not learned, so no move.")
    t.raw("table_set_default mac_learn no_learn")
    t.packet(1, arp_frame(BCAST, B, 1, B, B_IP, ZERO, A_IP))
    t.raw("wait")
    t.packet(2, arp_frame(BCAST, B, 1, B, B_IP, ZERO, A_IP))
    t.raw("expect 1\nexpect 2\nexpect 3\nexpect %d" % UPLINK)
    return t


@vector
def linux():
    t = Stf("linux", """\
The seeds' Linux experiments, written with the VTEP vocabulary (the
iproute2 commands of a vxlan device) instead of table entries:
  ip link add vxlan100 type vxlan id 100 local 10.0.0.1 nolearning proxy l3miss
  bridge fdb append 00:00:00:00:00:00 dev vxlan100 dst 10.0.0.2   (and 10.0.0.3)
  bridge fdb add <mac> dev vxlan100 dst 10.0.0.2
  ip neigh add 10.1.0.12 lladdr <mac> dev vxlan100
then learning on, and a learned MAC ageing out.""")
    t.raw("vtep set local-ip 10.0.0.1 learning off proxy on l3miss on\n"
          "port add 10 uplink lladdr 02:00:00:00:00:01\n"
          "port add 1 access vni 100\nport add 2 access vni 100\n"
          "nexthop add 10.0.0.2 lladdr 02:00:00:00:0a:02\n"
          "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0a:fe\n"
          "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2\n"
          "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3")
    t.comment("bridge fdb append: a broadcast from A reaches port 2 and both VTEPs.")
    f = ip_frame(BCAST, A, A_IP, "10.1.0.255")
    t.packet(1, f); t.expect(2, f)
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("Unknown unicast floods the same way.")
    f = ip_frame(R, A, A_IP, R_IP)
    t.packet(1, f); t.expect(2, f)
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("bridge fdb add R dst 10.0.0.2: now to that VTEP only.")
    t.raw("fdb add %s vni 100 dst 10.0.0.2" % R)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP2, NH2))
    t.comment("ip neigh add (proxy): A's ARP request for R is answered locally; a request\n"
              "for an unknown IP stays local (ports 2) and raises l3miss.")
    t.raw("neigh add %s lladdr %s vni 100" % (R_IP, R))
    t.packet(1, arp_frame(BCAST, A, 1, A, A_IP, ZERO, R_IP))
    t.expect(1, arp_frame(A, R, 2, R, R_IP, A, A_IP))
    g = arp_frame(BCAST, A, 1, A, A_IP, ZERO, "10.1.0.99")
    t.packet(1, g); t.expect(2, g)
    t.raw("expect_event l3miss vni 100 ip 10.1.0.99")
    t.comment("Learning on: S's frame from 10.0.0.3 teaches (100, S) -> 10.0.0.3 (A is not\n"
              "known yet: it floods to the local ports); A -> S then goes to that VTEP alone\n"
              "and teaches (100, A) -> port 1.")
    t.raw("vtep set learning on")
    h = ip_frame(A, S, S_IP, A_IP)
    t.packet(UPLINK, tunnel(h, 100, VTEP3, LOCAL_IP, ROUTER, LOCAL_MAC)); t.expect(1, h)
    t.expect(2, h)
    t.raw("wait\nexpect_event learned vni 100 mac %s dst 10.0.0.3" % S)
    f = ip_frame(S, A, A_IP, S_IP)
    t.packet(1, f); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    t.comment("After the ageing time (300 s) without S sending, the entry ages out and\n"
              "A -> S floods again.")
    t.raw("advance 301\nwait\nexpect_event learned vni 100 mac %s port 1\n"
          "expect_event aged vni 100 mac %s" % (A, S))
    t.packet(1, f); t.expect(2, f)
    t.expect(UPLINK, encap(f, 100, VTEP2, NH2)); t.expect(UPLINK, encap(f, 100, VTEP3, ROUTER))
    return t


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for fn in FILES:
        fn().write(d)


if __name__ == "__main__":
    main()
