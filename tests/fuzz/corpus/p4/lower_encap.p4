#include <core.p4>
#include <pna.p4>

header ethernet_h { bit<48> dst_addr; bit<48> src_addr; bit<16> ether_type; }
header ipv4_h { bit<8> ver_ihl; bit<8> diffserv; bit<16> total_len; bit<16> identification;
  bit<16> flags_offset; bit<8> ttl; bit<8> protocol; bit<16> hdr_checksum; bit<32> src_addr; bit<32> dst_addr; }
header udp_h { bit<16> src_port; bit<16> dst_port; bit<16> length; bit<16> checksum; }
header vxlan_h { bit<8> flags; bit<24> reserved; bit<24> vni; bit<8> reserved2; }

struct headers_t { ethernet_h outer_ethernet; ipv4_h outer_ipv4; udp_h outer_udp; vxlan_h outer_vxlan; ethernet_h ethernet; ipv4_h ipv4; }
struct metadata_t { bit<16> len; }

parser MainParserImpl(packet_in pkt, out headers_t hdr, inout metadata_t meta, in pna_main_parser_input_metadata_t istd) {
  state start {
    meta.len = (bit<16>) pkt.length();
    pkt.extract(hdr.ethernet);
    transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4; default: accept; }
  }
  state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }
}

control MainControlImpl(inout headers_t hdr, inout metadata_t meta, in pna_main_input_metadata_t istd, inout pna_main_output_metadata_t ostd) {
  InternetChecksum() ck;
  action drop() { drop_packet(); }
  action vxlan_encap(bit<48> ethernet_dst_addr, bit<32> port_out) {
    hdr.outer_ethernet.setValid();
    hdr.outer_ethernet.dst_addr = ethernet_dst_addr;
    hdr.outer_ipv4.setValid();
    hdr.outer_ipv4.total_len = hdr.ipv4.total_len + 50;
    ck.clear();
    ck.add({hdr.outer_ipv4.ver_ihl, hdr.outer_ipv4.total_len});
    hdr.outer_ipv4.hdr_checksum = ck.get();
    send_to_port((PortId_t) port_out);
  }
  table vxlan_table {
    key = { hdr.ethernet.dst_addr : exact; }
    actions = { vxlan_encap; drop; }
    const default_action = drop();
    size = 1024;
  }
  apply {
    if (hdr.ipv4.isValid() && hdr.ipv4.ttl != 0) {
      vxlan_table.apply();
    } else {
      drop();
    }
  }
}

control MainDeparserImpl(packet_out pkt, inout headers_t hdr, in metadata_t meta, in pna_main_output_metadata_t ostd) {
  apply { pkt.emit(hdr.outer_ethernet); pkt.emit(hdr.outer_ipv4); pkt.emit(hdr.ethernet); pkt.emit(hdr.ipv4); }
}

PNA_NIC(MainParserImpl(), MainControlImpl(), MainDeparserImpl()) main;
