#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Writes the capture tests/offload/verify_check.sh verifies: vtep.p4 traffic
for tests/offload/vtep_entries.txt (uplink 0, access 1, tagged access 2) as
pcapng with the port as interface id (mkcapture.py FILE.pcapng REPEAT), or
as classic pcap of uplink packets only (mkcapture.py FILE.pcap REPEAT)."""
import struct, sys
def csum(b):
    s=sum(struct.unpack('!%dH'%(len(b)//2), b))
    while s>>16: s=(s&0xffff)+(s>>16)
    return (~s)&0xffff
def ipv4(src,dst,proto,payload,tos=0):
    h=struct.pack('!BBHHHBBH4s4s',0x45,tos,20+len(payload),0,0,64,proto,0,bytes(src),bytes(dst))
    h=h[:10]+struct.pack('!H',csum(h))+h[12:]
    return h+payload
def udp(sp,dp,payload): return struct.pack('!HHHH',sp,dp,8+len(payload),0)+payload
def eth(dst,src,t,payload): return bytes(dst)+bytes(src)+struct.pack('!H',t)+payload
def mac(x): return bytes.fromhex(x.replace(':',''))
inner=eth(mac('02:00:00:00:00:0a'),mac('02:00:00:00:00:0b'),0x0800,ipv4([192,168,0,2],[192,168,0,1],17,udp(1000,2000,b'x'*32)))
inner_c=eth(mac('02:00:00:00:00:0c'),mac('02:00:00:00:00:0b'),0x0800,ipv4([192,168,0,2],[192,168,0,3],17,udp(1000,2000,b'y'*32)))
def vx(inner,vni=100,src=[10,0,0,2]):
    return eth(mac('02:00:00:00:01:01'),mac('02:00:00:00:0f:0f'),0x0800,ipv4(src,[10,0,0,1],17,udp(49152,4789,struct.pack('!BBHI',8,0,0,vni<<8)+inner)))
access=eth(mac('02:00:00:00:00:0c'),mac('02:00:00:00:00:0a'),0x0800,ipv4([192,168,0,1],[192,168,0,3],17,udp(1,2,b'z'*40)))
tagged=eth(mac('02:00:00:00:00:0a'),mac('02:00:00:00:00:0c'),0x8100,struct.pack('!HH',10,0x0800)+ipv4([192,168,0,3],[192,168,0,1],17,udp(1,2,b'w'*40)))
# decap to a port, decap + VLAN push, unknown VNI, unknown VTEP, access to a tagged
# port, tagged access (VLAN pop), two malformed frames
pkts=[(0,vx(inner)),(0,vx(inner_c)),(0,vx(inner,vni=999)),(0,vx(inner,src=[10,0,0,9])),(1,access),(2,tagged),(1,access[:20]),(0,vx(inner)[:60])]*int(sys.argv[2])
out=open(sys.argv[1],'wb')
if sys.argv[1].endswith('.pcap'):
    out.write(struct.pack('<IHHiIII',0xa1b2c3d4,2,4,0,0,65535,1))
    for port,p in pkts:
        if port == 0:
            out.write(struct.pack('<IIII',0,0,len(p),len(p))+p)
    sys.exit(0)
def block(t,body):
    body+=b'\0'*((4-len(body)%4)%4)
    out.write(struct.pack('<II',t,12+len(body))+body+struct.pack('<I',12+len(body)))
block(0x0a0d0d0a,struct.pack('<IHHq',0x1a2b3c4d,1,0,-1))
for i in range(3): block(1,struct.pack('<HHI',1,0,0))
for port,p in pkts: block(6,struct.pack('<IIIII',port,0,0,len(p),len(p))+p)
