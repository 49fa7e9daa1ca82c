/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtwin's VXLAN VTEP: the semantics of the Linux vxlan device (iproute2
 * `bridge fdb`, `ip neigh`) and of Neutron's br-tun with L2 population, as
 * one PNA program. docs/vtep.md is its design note: what each table is
 * for, and which entries each control-plane command writes.
 *
 * Ports are of two kinds: access ports (each in one VNI, untagged or with
 * one 802.1Q tag) and the uplink (the underlay, where the VXLAN tunnels
 * are). Ingress, in order:
 *
 *   vtep_config   keyless: its default action holds the settings (local
 *                 VTEP IP and MAC, UDP port, uplink port, TTL/TOS policy,
 *                 proxy, l2miss, l3miss)
 *   port_class    (input port, VLAN id) -> access port of a VNI, or the
 *                 uplink; else drop_unknown_port
 *   uplink:       VXLAN to the local IP and UDP port -> vni_term (VNI ->
 *                 decap) -> vtep_known ((VNI, outer source IP) of a known
 *                 remote VTEP, else drop_unknown_vtep) -> ECN (RFC 6040,
 *                 in the apply block); an ARP request for the local IP is
 *                 answered;
 *                 anything else: drop_not_vxlan
 *   bridging:     mac_learn ((VNI, source MAC), add-on-miss, aged) ->
 *                 arp_proxy ((VNI, target IP), ARP requests from access
 *                 ports when proxy is on) -> fdb ((VNI, destination MAC))
 *                 -> on a miss, bum_group (VNI -> replication group)
 *
 * Every packet that leaves then runs the copy control (VtepCopyImpl, see
 * p4/flowtwin.p4): split horizon, no hairpin, remote_vtep (rid -> remote
 * VTEP IP), nexthop (remote IP -> next-hop MAC), VXLAN encapsulation, and
 * the VLAN tag of the output access port (port_vlan_out).
 *
 * Every drop is an action of its own (drop_*), counted in drop_counter /
 * copy_drop_counter at the index given beside it, so counters and traces
 * name the reason.
 *
 * Style, for the front end: each statement of an action is one operation
 * (an assignment of a value, or of one operator applied to two values);
 * temporaries are metadata fields. Conditions compare plain fields.
 */
#include <core.p4>
#include <pna.p4>
#include "flowtwin.p4"

/* --- Headers ------------------------------------------------------------- */

header ethernet_h {
	bit<48> dst_addr;
	bit<48> src_addr;
	bit<16> ether_type;
}

/* 802.1Q / 802.1ad tag. */
header vlan_h {
	bit<3>  pcp;
	bit<1>  dei;
	bit<12> vid;
	bit<16> ether_type;
}

/* ARP for Ethernet and IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4). */
header arp_h {
	bit<16> hw_type;
	bit<16> proto_type;
	bit<8>  hw_addr_len;
	bit<8>  proto_addr_len;
	bit<16> opcode;
	bit<48> sender_hw_addr;
	bit<32> sender_proto_addr;
	bit<48> target_hw_addr;
	bit<32> target_proto_addr;
}

header ipv4_h {
	bit<4>  version;
	bit<4>  ihl;
	bit<6>  dscp;
	bit<2>  ecn;
	bit<16> total_len;
	bit<16> identification;
	bit<3>  flags;
	bit<13> frag_offset;
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

struct headers_t {
	/* Added by encapsulation; never parsed. */
	ethernet_h outer_ethernet;
	ipv4_h     outer_ipv4;
	udp_h      outer_udp;
	vxlan_h    outer_vxlan;
	/* The received frame (from an access port), or the tunnel (uplink). */
	ethernet_h ethernet;
	vlan_h     vlan;
	arp_h      arp;
	ipv4_h     ipv4;
	udp_h      udp;
	vxlan_h    vxlan;
	/* The frame inside the tunnel. */
	ethernet_h inner_ethernet;
	vlan_h     inner_vlan; /* unused: never parsed, never made valid */
	arp_h      inner_arp;
	ipv4_h     inner_ipv4;
}

/* Zero at the start of each packet. Flags are bit<1>. */
struct metadata_t {
	/* parser */
	bit<16> pkt_len;       /* length of the received frame */
	/* settings (vtep_config) */
	bit<32> local_ip;
	bit<48> local_mac;
	bit<16> udp_port;
	bit<32> uplink_port;
	bit<8>  ttl;
	bit<1>  ttl_inherit;
	bit<8>  tos;
	bit<1>  tos_inherit;
	bit<1>  proxy;
	bit<1>  l2miss;
	bit<1>  l3miss;
	/* classification */
	bit<12> vlan_id;       /* of the received tag; 0: untagged */
	bit<32> in_port;
	bit<1>  from_tunnel;   /* came in on the uplink */
	bit<1>  bridge;        /* a frame to bridge in 'vni' */
	bit<24> vni;
	bit<48> dst_mac;       /* of the frame being bridged */
	bit<48> src_mac;
	bit<1>  dst_group;     /* I/G bit of dst_mac: broadcast or multicast */
	bit<1>  src_group;
	bit<16> frame_len;     /* length of the frame being bridged (a stripped tag excluded) */
	bit<32> src_vtep_ip;   /* outer source IP of a decapsulated frame; 0 if local */
	bit<2>  outer_ecn;     /* ECN of the outer IPv4 header of a decapsulated frame */
	/* learning */
	bit<32> learned_port;
	bit<32> learned_ip;
	/* forwarding */
	bit<1>  drop;          /* a drop_* action ran */
	bit<1>  is_reply;      /* an ARP reply built here, sent back out the input port */
	bit<1>  local_only;    /* proxied ARP request: no copies to remote VTEPs */
	bit<1>  has_remote;    /* the VNI's flood list has remote VTEPs */
	bit<1>  to_tunnel;     /* this copy goes to a remote VTEP */
	bit<32> remote_ip;
	bit<48> nh_mac;
	bit<12> out_vid;       /* tag to push on the output access port; 0: none */
	/* temporaries */
	bit<32> tmp_ip;
	bit<17> csum_sum;
	bit<16> csum_carry;
}

/* Events for the control plane. */
struct l2miss_t {
	bit<24> vni;
	bit<48> mac;        /* the unicast destination with no FDB entry */
	bit<32> in_port;
}

struct l3miss_t {
	bit<24> vni;
	bit<32> ip;         /* the target of an ARP request with no neighbour entry */
	bit<32> in_port;
}

/* A learned MAC seen behind another port or VTEP than its entry says. */
struct mac_move_t {
	bit<24> vni;
	bit<48> mac;
	bit<32> port;       /* where it is now */
	bit<32> remote_ip;  /* the VTEP it is behind now; 0: a local port */
}

/* --- Parser -------------------------------------------------------------- */

parser MainParserImpl(packet_in pkt,
		      out headers_t hdr,
		      inout metadata_t meta,
		      in pna_main_parser_input_metadata_t istd) {
	state start {
		pkt.extract(hdr.ethernet);
		meta.pkt_len = (bit<16>) pkt.length();
		transition select(hdr.ethernet.ether_type) {
			0x8100: parse_vlan;
			0x88a8: parse_vlan;
			0x0806: parse_arp;
			0x0800: parse_ipv4;
			default: accept;
		}
	}

	/* One tag; what follows a second tag is payload. */
	state parse_vlan {
		pkt.extract(hdr.vlan);
		transition select(hdr.vlan.ether_type) {
			0x0806: parse_arp;
			0x0800: parse_ipv4;
			default: accept;
		}
	}

	state parse_arp {
		pkt.extract(hdr.arp);
		transition accept;
	}

	state parse_ipv4 {
		pkt.extract(hdr.ipv4);
		transition select(hdr.ipv4.protocol) {
			17: parse_udp;
			default: accept;
		}
	}

	/* 4789: IANA's VXLAN port; 8472: Linux's historic default (dstport 8472). */
	state parse_udp {
		pkt.extract(hdr.udp);
		transition select(hdr.udp.dst_port) {
			4789: parse_vxlan;
			8472: parse_vxlan;
			default: accept;
		}
	}

	state parse_vxlan {
		pkt.extract(hdr.vxlan);
		transition parse_inner_ethernet;
	}

	state parse_inner_ethernet {
		pkt.extract(hdr.inner_ethernet);
		transition select(hdr.inner_ethernet.ether_type) {
			0x0806: parse_inner_arp;
			0x0800: parse_inner_ipv4;
			default: accept;
		}
	}

	state parse_inner_arp {
		pkt.extract(hdr.inner_arp);
		transition accept;
	}

	state parse_inner_ipv4 {
		pkt.extract(hdr.inner_ipv4);
		transition accept;
	}
}

/* --- Main control (ingress) ---------------------------------------------- */

control MainControlImpl(inout headers_t hdr,
			inout metadata_t meta,
			in pna_main_input_metadata_t istd,
			inout pna_main_output_metadata_t ostd) {
	/*
	 * Drops by reason: 0 unknown_port, 1 not_vxlan, 2 unknown_vni,
	 * 3 unknown_vtep, 4 ecn, 5 bad_src_mac, 6 no_group.
	 */
	Counter<bit<64>, bit<8>>(8, PNA_CounterType_t.PACKETS_AND_BYTES) drop_counter;
	Digest<l2miss_t>() l2miss_digest;
	Digest<l3miss_t>() l3miss_digest;
	Digest<mac_move_t>() mac_move_digest;

	/* Settings: the control plane rewrites vtep_config's default action. */
	action set_config(bit<32> local_ip, bit<48> local_mac, bit<16> udp_port,
			  bit<32> uplink_port, bit<8> ttl, bit<1> ttl_inherit, bit<8> tos,
			  bit<1> tos_inherit, bit<1> proxy, bit<1> l2miss, bit<1> l3miss) {
		meta.local_ip = local_ip;
		meta.local_mac = local_mac;
		meta.udp_port = udp_port;
		meta.uplink_port = uplink_port;
		meta.ttl = ttl;
		meta.ttl_inherit = ttl_inherit;
		meta.tos = tos;
		meta.tos_inherit = tos_inherit;
		meta.proxy = proxy;
		meta.l2miss = l2miss;
		meta.l3miss = l3miss;
	}

	table vtep_config {
		actions = {
			@defaultonly set_config;
		}
		default_action = set_config(0, 0, 4789, 0, 64, 0, 0, 0, 0, 0, 0);
		size = 1;
	}

	/* --- Drops: each reason its own action. */

	action drop_unknown_port() {
		meta.drop = 1;
		drop_counter.count(8w0);
		drop_packet();
	}

	action drop_not_vxlan() {
		meta.drop = 1;
		drop_counter.count(8w1);
		drop_packet();
	}

	action drop_unknown_vni() {
		meta.drop = 1;
		drop_counter.count(8w2);
		drop_packet();
	}

	action drop_unknown_vtep() {
		meta.drop = 1;
		drop_counter.count(8w3);
		drop_packet();
	}

	action drop_ecn() {
		meta.drop = 1;
		drop_counter.count(8w4);
		drop_packet();
	}

	action drop_bad_src_mac() {
		meta.drop = 1;
		drop_counter.count(8w5);
		drop_packet();
	}

	action drop_no_group() {
		meta.drop = 1;
		drop_counter.count(8w6);
		drop_packet();
	}

	/* --- Classification. */

	action read_vlan() {
		meta.vlan_id = hdr.vlan.vid;
	}

	action from_uplink() {
		meta.in_port = (bit<32>) istd.input_port;
		meta.from_tunnel = 1;
	}

	/* An untagged access port (or a priority tag, VLAN 0, left as it is). */
	action access(bit<24> vni) {
		meta.in_port = (bit<32>) istd.input_port;
		meta.vni = vni;
		meta.bridge = 1;
		meta.dst_mac = hdr.ethernet.dst_addr;
		meta.src_mac = hdr.ethernet.src_addr;
		meta.dst_group = (bit<1>) (hdr.ethernet.dst_addr >> 40);
		meta.src_group = (bit<1>) (hdr.ethernet.src_addr >> 40);
		meta.frame_len = meta.pkt_len;
	}

	/* An access port with a VLAN: the tag is removed (and pushed again on output). */
	action access_vlan(bit<24> vni) {
		meta.in_port = (bit<32>) istd.input_port;
		meta.vni = vni;
		meta.bridge = 1;
		meta.dst_mac = hdr.ethernet.dst_addr;
		meta.src_mac = hdr.ethernet.src_addr;
		meta.dst_group = (bit<1>) (hdr.ethernet.dst_addr >> 40);
		meta.src_group = (bit<1>) (hdr.ethernet.src_addr >> 40);
		hdr.ethernet.ether_type = hdr.vlan.ether_type;
		hdr.vlan.setInvalid();
		meta.frame_len = meta.pkt_len - 4;
	}

	table port_class {
		key = {
			istd.input_port : exact;
			meta.vlan_id    : exact;
		}
		actions = {
			@tableonly from_uplink;
			@tableonly access;
			@tableonly access_vlan;
			@defaultonly drop_unknown_port;
		}
		const default_action = drop_unknown_port();
		size = 4096;
	}

	/* --- Tunnel termination. */

	/* The outer Ethernet/IPv4/UDP/VXLAN go; the inner frame is bridged in its VNI. */
	action decap() {
		meta.vni = hdr.vxlan.vni;
		meta.bridge = 1;
		meta.src_vtep_ip = hdr.ipv4.src_addr;
		meta.outer_ecn = hdr.ipv4.ecn;
		meta.dst_mac = hdr.inner_ethernet.dst_addr;
		meta.src_mac = hdr.inner_ethernet.src_addr;
		meta.dst_group = (bit<1>) (hdr.inner_ethernet.dst_addr >> 40);
		meta.src_group = (bit<1>) (hdr.inner_ethernet.src_addr >> 40);
		hdr.ethernet.setInvalid();
		hdr.vlan.setInvalid();
		hdr.ipv4.setInvalid();
		hdr.udp.setInvalid();
		hdr.vxlan.setInvalid();
	}

	/* VNIs that terminate here. */
	table vni_term {
		key = {
			hdr.vxlan.vni : exact;
		}
		actions = {
			@tableonly decap;
			@defaultonly drop_unknown_vni;
		}
		const default_action = drop_unknown_vni();
		size = 16384;
	}

	action vtep_ok() {
	}

	/* Accepts a tunnel from any VTEP: not used by the command vocabulary (docs/vtep.md). */
	action accept_unknown_vtep() {
	}

	/* Remote VTEPs known for a VNI (from its flood list and its FDB). */
	table vtep_known {
		key = {
			meta.vni         : exact;
			meta.src_vtep_ip : exact;
		}
		actions = {
			@tableonly vtep_ok;
			@defaultonly drop_unknown_vtep;
			@defaultonly accept_unknown_vtep;
		}
		default_action = drop_unknown_vtep();
		size = 65536;
	}

	/*
	 * RFC 6040 decapsulation, outer CE: into ECT(1) or ECT(0) the inner
	 * header becomes CE, and its checksum is patched as Linux's
	 * IP_ECN_set_ce() does: ones' complement addition (end-around carry)
	 * of 0xfffd (ECT(1): the word grew by 2) or 0xfffe (ECT(0): by 1).
	 */
	action ecn_ce_from_ect1() {
		hdr.inner_ipv4.ecn = 3;
		meta.csum_sum = (bit<17>) hdr.inner_ipv4.hdr_checksum + 17w0xfffd;
		meta.csum_carry = (bit<16>) (meta.csum_sum >> 16);
		hdr.inner_ipv4.hdr_checksum = (bit<16>) meta.csum_sum + meta.csum_carry;
	}

	action ecn_ce_from_ect0() {
		hdr.inner_ipv4.ecn = 3;
		meta.csum_sum = (bit<17>) hdr.inner_ipv4.hdr_checksum + 17w0xfffe;
		meta.csum_carry = (bit<16>) (meta.csum_sum >> 16);
		hdr.inner_ipv4.hdr_checksum = (bit<16>) meta.csum_sum + meta.csum_carry;
	}

	/* The underlay: the reply to an ARP request for the local VTEP IP. */
	action underlay_arp_reply() {
		hdr.arp.opcode = 2;
		hdr.arp.target_hw_addr = hdr.arp.sender_hw_addr;
		hdr.arp.target_proto_addr = hdr.arp.sender_proto_addr;
		hdr.arp.sender_hw_addr = meta.local_mac;
		hdr.arp.sender_proto_addr = meta.local_ip;
		hdr.ethernet.dst_addr = hdr.ethernet.src_addr;
		hdr.ethernet.src_addr = meta.local_mac;
		meta.is_reply = 1;
		send_to_port(istd.input_port);
	}

	/* --- Learning. */

	/* The entry learned: where the MAC was seen (remote_ip 0: a local port). */
	action learned(bit<32> port, bit<32> remote_ip) {
		meta.learned_port = port;
		meta.learned_ip = remote_ip;
	}

	action learn() {
		add_entry("learned", {meta.in_port, meta.src_vtep_ip}, (ExpireTimeProfileId_t) 0);
	}

	action no_learn() {
	}

	/*
	 * Source learning: add-on-miss adds (VNI, source MAC) -> learned(port,
	 * remote IP) here; the control plane copies it into the fdb and
	 * removes the copy when the entry ages out. learning off: the default
	 * action is no_learn.
	 */
	table mac_learn {
		key = {
			meta.vni     : exact;
			meta.src_mac : exact;
		}
		actions = {
			@tableonly learned;
			@defaultonly learn;
			@defaultonly no_learn;
		}
		default_action = learn();
		add_on_miss = true;
		pna_idle_timeout = PNA_IdleTimeout_t.NOTIFY_CONTROL;
		size = 65536;
	}

	action report_move() {
		mac_move_digest.pack({meta.vni, meta.src_mac, meta.in_port, meta.src_vtep_ip});
	}

	/* --- ARP proxy. */

	/* The request becomes the reply in place and goes back out the input port. */
	action arp_reply(bit<48> mac) {
		meta.tmp_ip = hdr.arp.target_proto_addr;
		hdr.arp.opcode = 2;
		hdr.arp.target_hw_addr = hdr.arp.sender_hw_addr;
		hdr.arp.target_proto_addr = hdr.arp.sender_proto_addr;
		hdr.arp.sender_hw_addr = mac;
		hdr.arp.sender_proto_addr = meta.tmp_ip;
		hdr.ethernet.dst_addr = hdr.ethernet.src_addr;
		hdr.ethernet.src_addr = mac;
		meta.is_reply = 1;
		send_to_port(istd.input_port);
	}

	/* No neighbour entry: the request is flooded to local ports only. */
	action proxy_miss() {
		meta.local_only = 1;
	}

	table arp_proxy {
		key = {
			meta.vni                  : exact;
			hdr.arp.target_proto_addr : exact;
		}
		actions = {
			@tableonly arp_reply;
			@defaultonly proxy_miss;
		}
		const default_action = proxy_miss();
		size = 65536;
	}

	action raise_l3miss() {
		l3miss_digest.pack({meta.vni, hdr.arp.target_proto_addr, meta.in_port});
	}

	/* --- Forwarding. */

	action to_port(bit<32> port) {
		send_to_port((PortId_t) port);
	}

	action to_vtep(bit<32> remote_ip) {
		meta.remote_ip = remote_ip;
		meta.to_tunnel = 1;
		send_to_port((PortId_t) meta.uplink_port);
	}

	/* A MAC behind several VTEPs (`fdb append`): a group of (uplink, rid) members. */
	action to_vtep_group(bit<32> group) {
		flowtwin_replicate(group);
	}

	action fdb_miss() {
	}

	table fdb {
		key = {
			meta.vni     : exact;
			meta.dst_mac : exact;
		}
		actions = {
			@tableonly to_port;
			@tableonly to_vtep;
			@tableonly to_vtep_group;
			@defaultonly fdb_miss;
		}
		const default_action = fdb_miss();
		size = 262144;
	}

	/* BUM: the VNI's local ports (rid 0) and its flood list (rid != 0). */
	action flood(bit<32> group, bit<1> has_remote) {
		meta.has_remote = has_remote;
		flowtwin_replicate(group);
	}

	table bum_group {
		key = {
			meta.vni : exact;
		}
		actions = {
			@tableonly flood;
			@defaultonly drop_no_group;
		}
		const default_action = drop_no_group();
		size = 16384;
	}

	action raise_l2miss() {
		l2miss_digest.pack({meta.vni, meta.dst_mac, meta.in_port});
	}

	apply {
		vtep_config.apply();
		if (hdr.vlan.isValid()) {
			read_vlan();
		}
		port_class.apply();

		/* The uplink: tunnel termination and the underlay. */
		if (meta.from_tunnel == 1) {
			if (hdr.vxlan.isValid() && hdr.ipv4.dst_addr == meta.local_ip &&
			    hdr.udp.dst_port == meta.udp_port) {
				vni_term.apply();
				if (meta.drop == 0) {
					vtep_known.apply();
				}
				/* RFC 6040: outer CE into ECT(1), ECT(0), not-ECT. */
				if (meta.drop == 0 && hdr.inner_ipv4.isValid() &&
				    meta.outer_ecn == 3) {
					if (hdr.inner_ipv4.ecn == 1) {
						ecn_ce_from_ect1();
					} else if (hdr.inner_ipv4.ecn == 2) {
						ecn_ce_from_ect0();
					} else if (hdr.inner_ipv4.ecn == 0) {
						drop_ecn();
					}
				}
			} else if (hdr.arp.isValid() && hdr.arp.opcode == 1 &&
				   hdr.arp.target_proto_addr == meta.local_ip) {
				underlay_arp_reply();
			} else {
				drop_not_vxlan();
			}
		}

		/* Bridging in meta.vni. */
		if (meta.bridge == 1 && meta.drop == 0) {
			if (meta.src_group == 1) {
				drop_bad_src_mac();
			} else {
				if (mac_learn.apply().hit) {
					if (meta.learned_port != meta.in_port ||
					    meta.learned_ip != meta.src_vtep_ip) {
						report_move();
					}
				}
				if (meta.from_tunnel == 0 && meta.proxy == 1 && hdr.arp.isValid() &&
				    hdr.arp.opcode == 1) {
					switch (arp_proxy.apply().action_run) {
						proxy_miss: {
							if (meta.l3miss == 1) {
								raise_l3miss();
							}
						}
					}
				}
				if (meta.is_reply == 0) {
					switch (fdb.apply().action_run) {
						fdb_miss: {
							bum_group.apply();
							if (meta.drop == 0 && meta.has_remote == 0 &&
							    meta.dst_group == 0 && meta.from_tunnel == 0 &&
							    meta.l2miss == 1) {
								raise_l2miss();
							}
						}
					}
				}
			}
		}
	}
}

/* --- Copy control: once per packet that leaves (p4/flowtwin.p4) ---------- */

@flowtwin_copy
control VtepCopyImpl(inout headers_t hdr,
		     inout metadata_t meta,
		     in pna_main_input_metadata_t istd,
		     in flowtwin_copy_metadata_t copy) {
	/*
	 * Drops by reason: 0 unknown_rid, 1 split_horizon, 2 proxy_suppressed,
	 * 3 no_nexthop, 4 hairpin.
	 */
	Counter<bit<64>, bit<8>>(8, PNA_CounterType_t.PACKETS_AND_BYTES) copy_drop_counter;
	Hash<bit<16>>(PNA_HashAlgorithm_t.TARGET_DEFAULT) udp_src_hash;
	InternetChecksum() outer_ipv4_csum;

	action drop_unknown_rid() {
		meta.drop = 1;
		copy_drop_counter.count(8w0);
		drop_packet();
	}

	/* Tunnel to tunnel: a VTEP never forwards what it received from a VTEP. */
	action drop_split_horizon() {
		meta.drop = 1;
		copy_drop_counter.count(8w1);
		drop_packet();
	}

	/* A proxied ARP request never crosses the underlay. */
	action drop_proxy_suppressed() {
		meta.drop = 1;
		copy_drop_counter.count(8w2);
		drop_packet();
	}

	action drop_no_nexthop() {
		meta.drop = 1;
		copy_drop_counter.count(8w3);
		drop_packet();
	}

	/* Never back out the port the frame came in on. */
	action drop_hairpin() {
		meta.drop = 1;
		copy_drop_counter.count(8w4);
		drop_packet();
	}

	/* rid -> the remote VTEP it names. */
	action to_remote(bit<32> remote_ip) {
		meta.remote_ip = remote_ip;
		meta.to_tunnel = 1;
	}

	table remote_vtep {
		key = {
			copy.rid : exact;
		}
		actions = {
			@tableonly to_remote;
			@defaultonly drop_unknown_rid;
		}
		const default_action = drop_unknown_rid();
		size = 65536;
	}

	/* The underlay: remote VTEP IP -> MAC of the next hop (the VTEP, or a router). */
	action set_nexthop(bit<48> mac) {
		meta.nh_mac = mac;
	}

	table nexthop {
		key = {
			meta.remote_ip : lpm;
		}
		actions = {
			@tableonly set_nexthop;
			@defaultonly drop_no_nexthop;
		}
		const default_action = drop_no_nexthop();
		size = 65536;
	}

	/*
	 * Outer Ethernet, IPv4 (DF, fixed TTL and TOS, ECN not-ECT), UDP
	 * (source port 49152 + hash % 16384, checksum 0) and VXLAN (I flag,
	 * VNI). The lengths are those of the frame as it is bridged.
	 */
	action vxlan_encap() {
		hdr.outer_ethernet.setValid();
		hdr.outer_ethernet.dst_addr = meta.nh_mac;
		hdr.outer_ethernet.src_addr = meta.local_mac;
		hdr.outer_ethernet.ether_type = 0x0800;

		hdr.outer_ipv4.setValid();
		hdr.outer_ipv4.version = 4;
		hdr.outer_ipv4.ihl = 5;
		hdr.outer_ipv4.dscp = (bit<6>) (meta.tos >> 2);
		hdr.outer_ipv4.ecn = 0;
		hdr.outer_ipv4.total_len = meta.frame_len + 36;
		hdr.outer_ipv4.identification = 0;
		hdr.outer_ipv4.flags = 2;
		hdr.outer_ipv4.frag_offset = 0;
		hdr.outer_ipv4.ttl = meta.ttl;
		hdr.outer_ipv4.protocol = 17;
		hdr.outer_ipv4.hdr_checksum = 0;
		hdr.outer_ipv4.src_addr = meta.local_ip;
		hdr.outer_ipv4.dst_addr = meta.remote_ip;

		hdr.outer_udp.setValid();
		hdr.outer_udp.src_port = udp_src_hash.get_hash(16w49152, {meta.src_mac, meta.dst_mac},
							       16w16384);
		hdr.outer_udp.dst_port = meta.udp_port;
		hdr.outer_udp.length = meta.frame_len + 16;
		hdr.outer_udp.checksum = 0;

		hdr.outer_vxlan.setValid();
		hdr.outer_vxlan.flags = 0x08;
		hdr.outer_vxlan.reserved = 0;
		hdr.outer_vxlan.vni = meta.vni;
		hdr.outer_vxlan.reserved2 = 0;
	}

	/* ttl inherit, for an IPv4 frame. */
	action inherit_ttl() {
		hdr.outer_ipv4.ttl = hdr.ipv4.ttl;
	}

	/* tos inherit, for an IPv4 frame. */
	action inherit_dscp() {
		hdr.outer_ipv4.dscp = hdr.ipv4.dscp;
	}

	/* RFC 6040 encapsulation (normal mode): the outer ECN is the inner one. */
	action copy_inner_ecn() {
		hdr.outer_ipv4.ecn = hdr.ipv4.ecn;
	}

	action outer_ipv4_checksum() {
		outer_ipv4_csum.clear();
		outer_ipv4_csum.add({
			hdr.outer_ipv4.version,
			hdr.outer_ipv4.ihl,
			hdr.outer_ipv4.dscp,
			hdr.outer_ipv4.ecn,
			hdr.outer_ipv4.total_len,
			hdr.outer_ipv4.identification,
			hdr.outer_ipv4.flags,
			hdr.outer_ipv4.frag_offset,
			hdr.outer_ipv4.ttl,
			hdr.outer_ipv4.protocol,
			hdr.outer_ipv4.src_addr,
			hdr.outer_ipv4.dst_addr
		});
		hdr.outer_ipv4.hdr_checksum = outer_ipv4_csum.get();
	}

	/* The VLAN of an access port, pushed on the frames it sends. */
	action set_out_vlan(bit<12> vid) {
		meta.out_vid = vid;
	}

	table port_vlan_out {
		key = {
			copy.output_port : exact;
		}
		actions = {
			@tableonly set_out_vlan;
			@defaultonly NoAction;
		}
		const default_action = NoAction();
		size = 4096;
	}

	action push_vlan() {
		hdr.vlan.setValid();
		hdr.vlan.pcp = 0;
		hdr.vlan.dei = 0;
		hdr.vlan.vid = meta.out_vid;
		hdr.vlan.ether_type = hdr.ethernet.ether_type;
		hdr.ethernet.ether_type = 0x8100;
	}

	apply {
		if (copy.rid != 0) {
			remote_vtep.apply();
		}
		if (meta.drop == 0) {
			if (meta.to_tunnel == 1) {
				if (meta.from_tunnel == 1) {
					drop_split_horizon();
				} else if (meta.local_only == 1) {
					drop_proxy_suppressed();
				} else {
					nexthop.apply();
					if (meta.drop == 0) {
						vxlan_encap();
						if (hdr.ipv4.isValid()) {
							if (meta.ttl_inherit == 1) {
								inherit_ttl();
							}
							if (meta.tos_inherit == 1) {
								inherit_dscp();
							}
							copy_inner_ecn();
						}
						outer_ipv4_checksum();
					}
				}
			} else if (copy.output_port == istd.input_port && meta.is_reply == 0) {
				drop_hairpin();
			} else {
				port_vlan_out.apply();
				/*
				 * The copy control sees the packet parsed again
				 * (p4/flowtwin.p4): a decapsulated frame is
				 * hdr.ethernet here too.
				 */
				if (meta.out_vid != 0) {
					push_vlan();
				}
			}
		}
	}
}

/* --- Deparser ------------------------------------------------------------ */

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
		pkt.emit(hdr.vlan);
		pkt.emit(hdr.arp);
		pkt.emit(hdr.ipv4);
		pkt.emit(hdr.udp);
		pkt.emit(hdr.vxlan);
		pkt.emit(hdr.inner_ethernet);
		pkt.emit(hdr.inner_vlan);
		pkt.emit(hdr.inner_arp);
		pkt.emit(hdr.inner_ipv4);
	}
}

PNA_NIC(MainParserImpl(), MainControlImpl(), MainDeparserImpl()) main;
