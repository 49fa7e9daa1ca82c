#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the seed corpora of the fuzz targets:
- corpus/parse, for fuzz_parse: one small, well-formed packet for each
  protocol combination the parser knows, and one input that starts with the
  bytes fuzz_parse turns into a configuration;
- corpus/pipeline, for fuzz_pipeline: the example VTEP's traffic (an input
  port, a headroom and two split bytes, then the packet), and every parse
  seed from the uplink and from an access port.

Usage: tests/fuzz/make_corpus.py
"""
import os
import struct
import sys

MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(ethertype, dst=MAC_B, src=MAC_A):
    return dst + src + struct.pack("!H", ethertype)


def vlan(vid, ethertype):
    return struct.pack("!HH", vid, ethertype)


def ipv4(proto, payload, options=b"", frag=0, src="10.0.0.1", dst="10.0.0.2"):
    ihl = 5 + len(options) // 4
    total = ihl * 4 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64, proto, 0,
                      bytes(map(int, src.split("."))), bytes(map(int, dst.split("."))))
    return hdr + options + payload


def ipv6(next_header, payload):
    src = bytes.fromhex("fd000000000000000000000000000001")
    dst = bytes.fromhex("fd000000000000000000000000000002")
    return struct.pack("!IHBB", 0x60000000, len(payload), next_header, 64) + src + dst + payload


def ext6(next_header, len8=0):
    body = bytes((len8 + 1) * 8 - 2)
    return struct.pack("!BB", next_header, len8) + body


def frag6(next_header, offset, more):
    return struct.pack("!BBHI", next_header, 0, offset << 3 | more, 0x1234)


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(payload=b"", options=b""):
    doff = 5 + len(options) // 4
    return struct.pack("!HHIIBBHHH", 40000, 80, 1, 0, doff << 4, 0x02, 65535, 0, 0) + options + payload


def icmp(type_, payload=b""):
    return struct.pack("!BBH", type_, 0, 0) + payload


def vxlan(vni, inner, flags=0x08):
    return struct.pack("!B3xI", flags, vni << 8) + inner


def arp(op=1):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, MAC_A, bytes([10, 0, 0, 1]),
                       bytes(6), bytes([10, 0, 0, 2]))


def pad(frame, size=60):
    return frame + bytes(max(0, size - len(frame)))


def seeds():
    data = b"flowtwin"
    inner_v4_udp = eth(0x0800) + ipv4(17, udp(1000, 2000, data))
    yield "eth_ipv4_udp", eth(0x0800) + ipv4(17, udp(1234, 53, data))
    yield "eth_ipv4opt_tcpopt", eth(0x0800) + ipv4(6, tcp(data, bytes([2, 4, 5, 0xb4, 1, 1, 1, 0])),
                                                  options=bytes([0x94, 4, 0, 0]))
    yield "eth_ipv4_icmp", pad(eth(0x0800) + ipv4(1, icmp(8, data)))
    yield "eth_ipv4_frag_first", eth(0x0800) + ipv4(17, udp(1, 4789, data)[:12], frag=0x2000)
    yield "eth_ipv4_frag_last", pad(eth(0x0800) + ipv4(17, data, frag=0x0003))
    yield "eth_vlan_ipv4_udp", eth(0x8100) + vlan(100, 0x0800) + ipv4(17, udp(1, 2, data))
    yield "eth_qinq_ipv6_tcp", eth(0x88a8) + vlan(10, 0x8100) + vlan(20, 0x86dd) + ipv6(6, tcp(data))
    yield "eth_arp_request", pad(eth(0x0806, dst=b"\xff" * 6) + arp())
    yield "eth_ipv6_udp", eth(0x86dd) + ipv6(17, udp(546, 547, data))
    yield "eth_ipv6_ext_icmp6", eth(0x86dd) + ipv6(0, ext6(43, 0) + ext6(60, 1) + ext6(58, 0) +
                                                   icmp(128, data))
    yield "eth_ipv6_frag_first", eth(0x86dd) + ipv6(44, frag6(17, 0, 1) + udp(1, 4789, data)[:12])
    yield "eth_ipv6_frag_second", eth(0x86dd) + ipv6(44, frag6(17, 3, 0) + data)
    yield "vxlan_ipv4_udp", eth(0x0800) + ipv4(17, udp(50000, 4789, vxlan(42, inner_v4_udp)))
    inner = eth(0x8100) + vlan(5, 0x0800) + ipv4(6, tcp(data))
    yield "vxlan_ipv6_vlan_tcp", eth(0x86dd) + ipv6(17, udp(50000, 4789, vxlan(7, inner)))
    inner = eth(0x0806) + arp(2)
    yield "vxlan_inner_arp", eth(0x0800) + ipv4(17, udp(50000, 4789, vxlan(1, inner)))
    inner = eth(0x86dd) + ipv6(0, ext6(58) + icmp(135, data))
    yield "vxlan_inner_ipv6_icmp6", eth(0x0800) + ipv4(17, udp(50000, 4789, vxlan(3, inner)))
    # a datagram to the VXLAN port too short for a VXLAN header
    yield "trunc_vxlan", pad(eth(0x0800) + ipv4(17, udp(50000, 4789, b"\x08\x00\x00")))
    # fuzz_parse reads a configuration from the first 7 bytes: layers, port count, port 8472
    cfg = struct.pack("!IBH", (1 << 21) - 1, 1, 8472)
    yield "cfg_vxlan_8472", cfg + eth(0x0800) + ipv4(17, udp(50000, 8472, vxlan(9, inner_v4_udp)))


def pipeline_seeds():
    """The example VTEP (tools/example_vtep.c): access ports 1 and 2 in VNI 100,
    the uplink 0; vm1 02:..:0a, vm2 02:..:0b, a remote host 02:..:c1."""
    vm1, vm2 = bytes.fromhex("02000000000a"), bytes.fromhex("02000000000b")
    remote, bcast = bytes.fromhex("0200000000c1"), b"\xff" * 6
    data = bytes(range(18))

    def frame(dst, src):
        return eth(0x0800, dst, src) + ipv4(17, udp(1000, 80, data))

    def prefix(port, split=0):
        return bytes((port, 128, split, 0))

    yield "to_local", prefix(1) + frame(vm2, vm1)
    yield "to_vtep", prefix(1) + frame(remote, vm1)
    yield "flood", prefix(1) + frame(bcast, vm1)
    yield "burst_of_two", prefix(1, 128) + frame(remote, vm1) + frame(bcast, vm1)
    for name, inner in (("decap", frame(vm2, remote)), ("decap_flood", frame(bcast, remote))):
        yield name, prefix(0) + eth(0x0800) + ipv4(17, udp(50000, 4789, vxlan(100, inner)))
    yield "no_headroom", bytes((1, 0, 0, 0)) + frame(remote, vm1)
    for name, pkt in seeds():
        if not name.startswith("cfg_"):
            yield "uplink_" + name, prefix(0) + pkt
            yield "access_" + name, prefix(1) + pkt


def main():
    here = os.path.join(os.path.dirname(__file__), "corpus")
    for sub, gen in (("parse", seeds), ("pipeline", pipeline_seeds)):
        out = os.path.join(here, sub)
        os.makedirs(out, exist_ok=True)
        for name, pkt in gen():
            with open(os.path.join(out, name), "wb") as f:
                f.write(pkt)


if __name__ == "__main__":
    main()
