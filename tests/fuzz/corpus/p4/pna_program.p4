#include <core.p4>
#include <pna.p4>
#define VXLAN_PORT 4789
header ethernet_t { bit<48> dst; bit<48> src; bit<16> type; }
struct headers_t { ethernet_t eth; }
struct meta_t { bit<24> vni; }
parser MainParser(packet_in pkt, out headers_t h, inout meta_t m, in pna_main_parser_input_metadata_t istd) {
    state start { pkt.extract(h.eth); transition select(h.eth.type) { 16w0x0800: accept; default: accept; } }
}
control MainControl(inout headers_t h, inout meta_t m, in pna_main_input_metadata_t istd, inout pna_main_output_metadata_t ostd) {
    action fwd(PortId_t port) { send_to_port(port); }
    action drop() { drop_packet(); }
    table fdb { key = { m.vni: exact; h.eth.dst: exact; } actions = { fwd; @defaultonly drop; } default_action = drop(); size = 1024; }
    apply { if (h.eth.isValid()) { switch (fdb.apply().action_run) { fwd: { } default: { } } } }
}
