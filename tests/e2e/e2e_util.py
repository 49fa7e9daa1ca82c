# SPDX-License-Identifier: BSD-3-Clause
"""Helpers of the end-to-end tests (tests/e2e/lib.sh), standard library only.

    e2e_util.py show FILE                 one line per packet of a pcap
    e2e_util.py count FILE [MATCH...]     how many packets match all MATCHes
    e2e_util.py send IFACE DST SRC MARKER one raw Ethernet frame (0x88b5)
    e2e_util.py tcp-server PORT           accept one connection, read to EOF
    e2e_util.py tcp-client IP PORT BYTES  send BYTES random bytes
    (both TCP ends print "LENGTH SHA256" of what they moved)

MATCH words (for a VXLAN packet the inner frame's fields are the i* ones):
    vxlan          UDP to port 4789 with a VXLAN header
    src=IP dst=IP  outer IPv4 addresses
    vni=N          VXLAN network identifier
    type=0xNNNN    outer ethertype       itype=0xNNNN   inner ethertype
    edst=MAC       outer destination     idst=MAC       inner destination
    esrc=MAC       outer source          isrc=MAC       inner source
    ibcast         inner destination ff:ff:ff:ff:ff:ff
    frag           outer IPv4 with MF set or a fragment offset
    df             outer IPv4 with DF set
    vxflags=0xNN   the VXLAN flags byte   udpsum=N   the outer UDP checksum
    arpop=N arpspa=IP arptpa=IP   an (outer) ARP packet's opcode, sender and
                   target IP           iarpop= iarpspa= iarptpa=   inner ARP
    !WORD          the packet does not match WORD
    iplen>=N       outer IPv4 total length at least N
    iplen>N        outer IPv4 total length above N
    marker=TEXT    TEXT anywhere in the captured bytes
"""
import hashlib
import os
import socket
import struct
import sys


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        sys.exit(f"{path}: not a pcap file (pcapng is not read here)")
    linktype = struct.unpack(end + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: link type {linktype}, want Ethernet")
    off = 24
    while off + 16 <= len(data):
        _, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        yield data[off:off + incl], orig
        off += incl


def mac(b):
    return ":".join(f"{x:02x}" for x in b)


def ip4(b):
    return socket.inet_ntoa(b)


def eth(frame):
    """(dst, src, ethertype, payload), skipping one 802.1Q tag."""
    if len(frame) < 14:
        return None
    dst, src, et = frame[0:6], frame[6:12], struct.unpack("!H", frame[12:14])[0]
    body = frame[14:]
    if et == 0x8100 and len(body) >= 4:
        et = struct.unpack("!H", body[2:4])[0]
        body = body[4:]
    return mac(dst), mac(src), et, body


def decode(frame):
    """A dict of the fields the MATCH words name."""
    d = {"raw": frame}
    e = eth(frame)
    if not e:
        return d
    d["edst"], d["esrc"], d["type"], body = e
    if d["type"] == 0x0806 and len(body) >= 28:
        d["arp"] = (struct.unpack("!H", body[6:8])[0], ip4(body[14:18]), ip4(body[24:28]))
        d["arpop"], d["arpspa"], d["arptpa"] = d["arp"]
    if d["type"] != 0x0800 or len(body) < 20:
        return d
    ihl = (body[0] & 15) * 4
    d["iplen"] = struct.unpack("!H", body[2:4])[0]
    fl = struct.unpack("!H", body[6:8])[0]
    d["frag"] = bool(fl & 0x3FFF)
    d["df"] = bool(fl & 0x4000)
    d["proto"] = body[9]
    d["src"], d["dst"] = ip4(body[12:16]), ip4(body[16:20])
    l4 = body[ihl:]
    if d["proto"] == 17 and len(l4) >= 8:
        d["sport"], d["dport"] = struct.unpack("!HH", l4[0:4])
        d["udpsum"] = struct.unpack("!H", l4[6:8])[0]
        if d["dport"] == 4789 and len(l4) >= 16 and not d["frag"]:
            d["vxlan"] = True
            d["vxflags"] = l4[8]
            d["vni"] = struct.unpack("!I", l4[12:16])[0] >> 8
            inner = decode(l4[16:])
            d["inner"] = inner
            for k, v in inner.items():
                if k not in ("raw", "inner"):
                    d["i" + k] = v
    return d


def describe(d):
    if "type" not in d:
        return f"runt ({len(d['raw'])} bytes)"
    s = f"{d['esrc']} > {d['edst']} type 0x{d['type']:04x}"
    if "arp" in d:
        op, spa, tpa = d["arp"]
        s += f" ARP {'request' if op == 1 else 'reply' if op == 2 else op} {spa} -> {tpa}"
    if "src" in d:
        s += f" IP {d['src']} > {d['dst']} len {d['iplen']} proto {d['proto']}"
        if d["frag"]:
            s += " FRAGMENT"
    if d.get("vxlan"):
        s += f" | VXLAN vni {d['vni']} sport {d['sport']} | "
        s += describe(d["inner"])
    return s


def match(d, words):
    for w in words:
        if w.startswith("!"):
            ok = not match(d, [w[1:]])
        elif w == "vxlan":
            ok = d.get("vxlan", False)
        elif w == "frag":
            ok = d.get("frag", False)
        elif w == "df":
            ok = d.get("df", False)
        elif w == "ibcast":
            ok = d.get("iedst") == "ff:ff:ff:ff:ff:ff"
        elif w.startswith("iplen>="):
            ok = d.get("iplen", -1) >= int(w[7:])
        elif w.startswith("iplen>"):
            ok = d.get("iplen", -1) > int(w[6:])
        elif w.startswith("marker="):
            ok = w[7:].encode() in d["raw"]
        elif "=" in w:
            k, v = w.split("=", 1)
            key = {"idst": "iedst", "isrc": "iesrc"}.get(k, k)
            have = d.get(key)
            if k in ("type", "itype", "vni", "vxflags", "udpsum", "arpop", "iarpop"):
                ok = have is not None and have == int(v, 0)
            else:
                ok = have is not None and str(have).lower() == v.lower()
        else:
            sys.exit(f"unknown match word {w}")
        if not ok:
            return False
    return True


def cmd_show(path):
    for i, (frame, orig) in enumerate(read_pcap(path)):
        print(f"{i + 1:4d} {orig:5d}B {describe(decode(frame))}")


def cmd_count(path, words):
    print(sum(1 for frame, _ in read_pcap(path) if match(decode(frame), words)))


def cmd_send(iface, dst, src, marker):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    payload = marker.encode().ljust(46, b"\0")
    frame = bytes.fromhex(dst.replace(":", "")) + bytes.fromhex(src.replace(":", ""))
    s.send(frame + struct.pack("!H", 0x88B5) + payload)


def cmd_tcp_server(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", int(port)))
    ls.listen(1)
    print("listening", flush=True)
    c, _ = ls.accept()
    h, n = hashlib.sha256(), 0
    while True:
        b = c.recv(65536)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest(), flush=True)


def cmd_tcp_client(ip, port, nbytes):
    nbytes = int(nbytes)
    c = socket.create_connection((ip, int(port)), timeout=20)
    h, sent = hashlib.sha256(), 0
    while sent < nbytes:
        b = os.urandom(min(65536, nbytes - sent))
        c.sendall(b)
        h.update(b)
        sent += len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(sent, h.hexdigest(), flush=True)


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "show" and len(args) == 1:
        cmd_show(args[0])
    elif cmd == "count" and len(args) >= 1:
        cmd_count(args[0], args[1:])
    elif cmd == "send" and len(args) == 4:
        cmd_send(*args)
    elif cmd == "tcp-server" and len(args) == 1:
        cmd_tcp_server(*args)
    elif cmd == "tcp-client" and len(args) == 3:
        cmd_tcp_client(*args)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    try:
        main(sys.argv)
    except BrokenPipeError:
        sys.stderr.close()
