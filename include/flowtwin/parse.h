/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser.
 *
 * flowtwin parses packets with one fixed parser that knows the protocols a
 * VTEP meets, in the order they nest:
 *
 *	Ethernet [VLAN [VLAN]] ( ARP | IPv4 | IPv6 ) ( UDP | TCP | ICMP | ICMPv6 )
 *	UDP to a VXLAN port -> VXLAN -> the same layers again for the inner frame
 *
 * Each place in that graph is a layer (enum ft_layer). A pipeline declares
 * which layers it has header instances for; the parser stops at the first
 * layer that is not declared (what follows is payload), exactly as a P4
 * parser stops where its graph has no transition. A program's own parser
 * graph is therefore a sub-graph of this one; the P4 front end checks that.
 *
 * Every length is checked before a byte is read. A packet whose declared
 * layers are truncated or inconsistent gets a drop reason (enum ft_drop in
 * drop.h) and is never read beyond its end. What the parser does:
 *
 *	Ethernet   14 bytes; EtherType 0x8100 or 0x88a8 -> VLAN (at most two tags,
 *	           a third is payload), 0x0806 -> ARP, 0x0800 -> IPv4, 0x86dd -> IPv6.
 *	ARP        28 bytes, only for htype 1 / ptype 0x0800 / hlen 6 / plen 4;
 *	           any other ARP is payload. Fewer than 8 bytes, or fewer than 28
 *	           of that kind: FT_DROP_TRUNC_ARP.
 *	IPv4       version 4, IHL >= 5 (options are part of the layer; cut short:
 *	           FT_DROP_TRUNC_IPV4), total length >= IHL * 4 and <= the bytes
 *	           present (trailing padding is allowed). Fragments (MF or an
 *	           offset) set FT_PARSE_F_FRAG; a non-first fragment has no L4
 *	           layer; a first fragment is not checked for UDP length (it must
 *	           still be >= 8) and never parsed as VXLAN.
 *	IPv6       version 6, payload length <= the bytes present. Hop-by-hop,
 *	           routing, fragment and destination-options headers are walked
 *	           (at most FT_PARSE_IPV6_EXT_MAX, each within the payload length,
 *	           else FT_DROP_IPV6_EXT) and are part of the layer; they set
 *	           FT_PARSE_F_IPV6_EXT. A fragment header with M or an offset sets
 *	           FT_PARSE_F_FRAG (an atomic fragment is not a fragment); a
 *	           non-first fragment ends the walk and has no L4 layer; a first
 *	           fragment is treated as under IPv4.
 *	UDP        8 bytes, length >= 8 and == the IP payload (unless fragmented).
 *	           Destination port in the VXLAN set -> VXLAN (outer only).
 *	TCP        data offset >= 5, header within the IP payload (options are
 *	           part of the layer).
 *	ICMP       4 bytes (type, code, checksum) under IPv4 protocol 1; ICMPv6
 *	           the same under IPv6 next header 58 (cut short: both
 *	           FT_DROP_TRUNC_ICMP).
 *	VXLAN      8 bytes; the I flag (0x08) must be set; then the inner frame,
 *	           which ends where the outer UDP payload ends: for the inner
 *	           layers, that is where "the bytes present" end.
 *
 * The layer lengths here (len[]) include options and extension headers,
 * so the packet is always the concatenation of its layers and the payload.
 * L4 headers are checked against the IP payload (total or payload length),
 * not against the frame, which may carry padding.
 *
 * Thread-safety: ft_parse() only reads its inputs; call it from any thread.
 */
#ifndef FLOWTWIN_PARSE_H
#define FLOWTWIN_PARSE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Protocols: what a header is, whatever its position. */
enum ft_proto {
	FT_PROTO_NONE = 0, /* not a protocol the parser knows */
	FT_PROTO_ETH,
	FT_PROTO_VLAN,
	FT_PROTO_ARP,
	FT_PROTO_IPV4,
	FT_PROTO_IPV6,
	FT_PROTO_UDP,
	FT_PROTO_TCP,
	FT_PROTO_ICMP,
	FT_PROTO_ICMP6,
	FT_PROTO_VXLAN,
	FT_PROTO_COUNT
};

/* X(ENUM, proto, inner?, vlan index, name) */
#define FT_LAYERS(X)                                                                              \
	X(ETH, ETH, 0, 0, "eth")                                                                   \
	X(VLAN0, VLAN, 0, 0, "vlan0")                                                              \
	X(VLAN1, VLAN, 0, 1, "vlan1")                                                              \
	X(ARP, ARP, 0, 0, "arp")                                                                   \
	X(IPV4, IPV4, 0, 0, "ipv4")                                                                \
	X(IPV6, IPV6, 0, 0, "ipv6")                                                                \
	X(UDP, UDP, 0, 0, "udp")                                                                   \
	X(TCP, TCP, 0, 0, "tcp")                                                                   \
	X(ICMP, ICMP, 0, 0, "icmp")                                                                \
	X(ICMP6, ICMP6, 0, 0, "icmp6")                                                             \
	X(VXLAN, VXLAN, 0, 0, "vxlan")                                                             \
	X(IN_ETH, ETH, 1, 0, "inner_eth")                                                          \
	X(IN_VLAN0, VLAN, 1, 0, "inner_vlan0")                                                     \
	X(IN_VLAN1, VLAN, 1, 1, "inner_vlan1")                                                     \
	X(IN_ARP, ARP, 1, 0, "inner_arp")                                                          \
	X(IN_IPV4, IPV4, 1, 0, "inner_ipv4")                                                       \
	X(IN_IPV6, IPV6, 1, 0, "inner_ipv6")                                                       \
	X(IN_UDP, UDP, 1, 0, "inner_udp")                                                          \
	X(IN_TCP, TCP, 1, 0, "inner_tcp")                                                          \
	X(IN_ICMP, ICMP, 1, 0, "inner_icmp")                                                       \
	X(IN_ICMP6, ICMP6, 1, 0, "inner_icmp6")

/* Layers: a protocol at a position (outer or inner, first or second tag). */
enum ft_layer {
#define FT_LAYER_ENUM(e, p, i, v, n) FT_L_##e,
	FT_LAYERS(FT_LAYER_ENUM)
#undef FT_LAYER_ENUM
	FT_L_COUNT,
	FT_L_NONE = FT_L_COUNT /* a header the parser never fills */
};

#define FT_LAYER_BIT(l) (1u << (l))
#define FT_LAYERS_ALL ((1u << FT_L_COUNT) - 1)

#define FT_PARSE_VXLAN_PORTS_MAX 8
#define FT_PARSE_IPV6_EXT_MAX 8
#define FT_VXLAN_PORT_DEFAULT 4789

struct ft_parse_cfg {
	uint32_t layers;				/* FT_LAYER_BIT() of layers to parse */
	uint16_t vxlan_ports[FT_PARSE_VXLAN_PORTS_MAX]; /* UDP destination ports */
	uint8_t n_vxlan_ports; /* how many are set; beyond FT_PARSE_VXLAN_PORTS_MAX: ignored */
};

/* Fills 'cfg' with every layer and the VXLAN port 4789. */
void ft_parse_cfg_default(struct ft_parse_cfg *cfg);

enum {
	FT_PARSE_F_FRAG = 1u << 0,	  /* outer IPv4/IPv6 packet is a fragment */
	FT_PARSE_F_IPV6_EXT = 1u << 1,	  /* outer IPv6 has extension headers */
	FT_PARSE_F_IN_FRAG = 1u << 2,	  /* inner IP packet is a fragment */
	FT_PARSE_F_IN_IPV6_EXT = 1u << 3, /* inner IPv6 has extension headers */
	FT_PARSE_F_IPV4_OPT = 1u << 4,	  /* outer IPv4 has options */
	FT_PARSE_F_IN_IPV4_OPT = 1u << 5, /* inner IPv4 has options */
};

struct ft_parse {
	uint32_t present;	   /* FT_LAYER_BIT() of the layers found */
	uint16_t off[FT_L_COUNT];  /* offset of each present layer from the packet start */
	uint16_t len[FT_L_COUNT];  /* its length, options and extension headers included */
	uint16_t payload;	   /* offset of the first byte after the last layer */
	uint16_t flags;		   /* FT_PARSE_F_* */
	uint16_t drop;		   /* enum ft_drop: FT_DROP_NONE, or why the packet is bad */
};

/*
 * Parses the 'len' bytes at 'data' into 'out' according to 'cfg'. Returns
 * FT_DROP_NONE (0) for a packet that parsed, or the drop reason (also in
 * out->drop) for one that did not; 'out' then still describes the layers
 * that parsed before the bad one. Never reads outside [data, data + len).
 * Only present, payload, flags and drop are always written: off[] and len[]
 * hold values only for the layers in 'present'.
 */
unsigned int ft_parse(const struct ft_parse_cfg *cfg, const uint8_t *data, uint32_t len,
		      struct ft_parse *out);

/* The protocol of a layer; FT_PROTO_NONE for FT_L_NONE. */
enum ft_proto ft_layer_proto(enum ft_layer layer);
/* 1 for the layers of the inner frame, else 0. */
int ft_layer_is_inner(enum ft_layer layer);
/* "inner_ipv4", or "none". */
const char *ft_layer_name(enum ft_layer layer);
/* "ipv4", or "none". */
const char *ft_proto_name(enum ft_proto proto);
/* The fixed size in bytes of a protocol's header (IPv4: 20, IPv6: 40, TCP: 20, ICMP: 4). */
uint32_t ft_proto_size(enum ft_proto proto);

#ifdef __cplusplus
}
#endif

#endif
