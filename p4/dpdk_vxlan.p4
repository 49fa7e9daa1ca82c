/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DPDK's SWX VXLAN example (examples/pipeline/examples/vxlan.spec) in P4:
 * one exact table on the Ethernet destination whose action wraps the frame
 * in outer Ethernet/IPv4/UDP/VXLAN headers taken whole from the entry's
 * action data. The outer IPv4 total length and UDP length in the entry hold
 * the overhead only (50 and 30 for DPDK's example); the action adds the
 * inner IPv4 total length per packet and recomputes the outer IPv4 header
 * checksum.
 *
 * It is the exact equivalent of build_dpdk_vxlan() in
 * tests/bench/bench_model.c (the benchmark's "dpdk-vxlan" workload): the
 * same header types, field names and widths, the same instances in the same
 * order, the same action parameters in the same order, the same table and
 * the same emit order. Keep the two in step.
 *
 * The IPv4 layout is DPDK's, not the one flowtwin's other programs use:
 * version and IHL are one 8-bit field (ver_ihl), the flags and the fragment
 * offset one 16-bit field (flags_offset), and diffserv is not split into
 * DSCP and ECN. The front end accepts it because the header is 20 bytes and
 * the fields it knows by position (total_len, protocol, addresses) are where
 * IPv4 has them; it checks the layout of a known protocol loosely.
 *
 * Entries: key = destination MAC; vxlan_encap(22 values: the 21 outer
 * header fields in order, then the output port), as encap_data() in the
 * benchmark writes them.
 */
#include <core.p4>
#include <pna.p4>

header ethernet_h {
	bit<48> dst_addr;
	bit<48> src_addr;
	bit<16> ether_type;
}

/* DPDK's layout (see above): 20 bytes. */
header ipv4_h {
	bit<8>  ver_ihl;
	bit<8>  diffserv;
	bit<16> total_len;
	bit<16> identification;
	bit<16> flags_offset;
	bit<8>  ttl;
	bit<8>  protocol;
	bit<16> hdr_checksum;
	bit<32> src_addr;
	bit<32> dst_addr;
}

header udp_h {
	bit<16> src_port;
	bit<16> dst_port;
	bit<16> length;
	bit<16> checksum;
}

header vxlan_h {
	bit<8>  flags;
	bit<24> reserved;
	bit<24> vni;
	bit<8>  reserved2;
}

/*
 * In the order of the benchmark's instances (and of DPDK's example). No
 * state extracts a UDP or VXLAN header, so @flowtwin_proto names what
 * outer_udp and outer_vxlan are, as the benchmark does (FT_PROTO_UDP,
 * FT_PROTO_VXLAN); p4c ignores the annotation.
 */
struct headers_t {
	ethernet_h ethernet;
	ipv4_h     ipv4;
	ethernet_h outer_ethernet;
	ipv4_h     outer_ipv4;
	@flowtwin_proto("udp")   udp_h   outer_udp;
	@flowtwin_proto("vxlan") vxlan_h outer_vxlan;
}

/* No metadata. */
struct metadata_t {
}

parser MainParserImpl(packet_in pkt,
		      out headers_t hdr,
		      inout metadata_t meta,
		      in pna_main_parser_input_metadata_t istd) {
	state start {
		pkt.extract(hdr.ethernet);
		transition select(hdr.ethernet.ether_type) {
			0x0800: parse_ipv4;
			default: accept;
		}
	}

	state parse_ipv4 {
		pkt.extract(hdr.ipv4);
		transition accept;
	}
}

control MainControlImpl(inout headers_t hdr,
			inout metadata_t meta,
			in pna_main_input_metadata_t istd,
			inout pna_main_output_metadata_t ostd) {
	InternetChecksum() ipv4_checksum;

	action drop() {
		drop_packet();
	}

	action vxlan_encap(bit<48> ethernet_dst_addr,
			   bit<48> ethernet_src_addr,
			   bit<16> ethernet_ether_type,
			   bit<8>  ipv4_ver_ihl,
			   bit<8>  ipv4_diffserv,
			   bit<16> ipv4_total_len,
			   bit<16> ipv4_identification,
			   bit<16> ipv4_flags_offset,
			   bit<8>  ipv4_ttl,
			   bit<8>  ipv4_protocol,
			   bit<16> ipv4_hdr_checksum,
			   bit<32> ipv4_src_addr,
			   bit<32> ipv4_dst_addr,
			   bit<16> udp_src_port,
			   bit<16> udp_dst_port,
			   bit<16> udp_length,
			   bit<16> udp_checksum,
			   bit<8>  vxlan_flags,
			   bit<24> vxlan_reserved,
			   bit<24> vxlan_vni,
			   bit<8>  vxlan_reserved2,
			   bit<32> port_out) {
		hdr.outer_ethernet.setValid();
		hdr.outer_ipv4.setValid();
		hdr.outer_udp.setValid();
		hdr.outer_vxlan.setValid();

		hdr.outer_ethernet.dst_addr = ethernet_dst_addr;
		hdr.outer_ethernet.src_addr = ethernet_src_addr;
		hdr.outer_ethernet.ether_type = ethernet_ether_type;

		hdr.outer_ipv4.ver_ihl = ipv4_ver_ihl;
		hdr.outer_ipv4.diffserv = ipv4_diffserv;
		hdr.outer_ipv4.total_len = ipv4_total_len;
		hdr.outer_ipv4.identification = ipv4_identification;
		hdr.outer_ipv4.flags_offset = ipv4_flags_offset;
		hdr.outer_ipv4.ttl = ipv4_ttl;
		hdr.outer_ipv4.protocol = ipv4_protocol;
		hdr.outer_ipv4.hdr_checksum = ipv4_hdr_checksum;
		hdr.outer_ipv4.src_addr = ipv4_src_addr;
		hdr.outer_ipv4.dst_addr = ipv4_dst_addr;

		hdr.outer_udp.src_port = udp_src_port;
		hdr.outer_udp.dst_port = udp_dst_port;
		hdr.outer_udp.length = udp_length;
		hdr.outer_udp.checksum = udp_checksum;

		hdr.outer_vxlan.flags = vxlan_flags;
		hdr.outer_vxlan.reserved = vxlan_reserved;
		hdr.outer_vxlan.vni = vxlan_vni;
		hdr.outer_vxlan.reserved2 = vxlan_reserved2;

		/* The entry holds the overhead; add the inner IPv4 length. */
		hdr.outer_ipv4.total_len = hdr.outer_ipv4.total_len + hdr.ipv4.total_len;
		hdr.outer_udp.length = hdr.outer_udp.length + hdr.ipv4.total_len;

		/* Every field but the checksum itself. */
		ipv4_checksum.clear();
		ipv4_checksum.add({
			hdr.outer_ipv4.ver_ihl,
			hdr.outer_ipv4.diffserv,
			hdr.outer_ipv4.total_len,
			hdr.outer_ipv4.identification,
			hdr.outer_ipv4.flags_offset,
			hdr.outer_ipv4.ttl,
			hdr.outer_ipv4.protocol,
			hdr.outer_ipv4.src_addr,
			hdr.outer_ipv4.dst_addr
		});
		hdr.outer_ipv4.hdr_checksum = ipv4_checksum.get();

		send_to_port((PortId_t) port_out);
	}

	table vxlan_table {
		key = {
			hdr.ethernet.dst_addr : exact;
		}
		actions = {
			vxlan_encap;
			drop;
		}
		const default_action = drop();
		size = 1048576;
	}

	apply {
		vxlan_table.apply();
	}
}

control MainDeparserImpl(packet_out pkt,
			 inout headers_t hdr,
			 in metadata_t meta,
			 in pna_main_output_metadata_t ostd) {
	apply {
		pkt.emit(hdr.outer_ethernet);
		pkt.emit(hdr.outer_ipv4);
		pkt.emit(hdr.outer_udp);
		pkt.emit(hdr.outer_vxlan);
		pkt.emit(hdr.ethernet);
		pkt.emit(hdr.ipv4);
	}
}

PNA_NIC(MainParserImpl(), MainControlImpl(), MainDeparserImpl()) main;
