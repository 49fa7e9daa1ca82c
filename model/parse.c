/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet parser: the one fixed parse graph of include/flowtwin/parse.h, from
 * the outer Ethernet header through VXLAN to the inner L4 header. Part of
 * model/, the bottom layer: the executor (exec.c) runs it on every packet that
 * reaches software, the program checker and trace use its layer tables, and
 * the offload compiler relies on it describing a packet exactly as the NIC's
 * pattern items see it.
 *
 * It runs once per packet, so it is written as straight-line code: one
 * function per protocol, all inlined into one frame parser that runs once for
 * the outer frame and once more for the inner frame of a VXLAN packet (the
 * inner layers are the outer ones shifted by INNER, asserted below). Nothing
 * loops per packet except the IPv6 extension-header walk (at most
 * FT_PARSE_IPV6_EXT_MAX steps) and the VXLAN port set (at most
 * FT_PARSE_VXLAN_PORTS_MAX). Each function checks the bytes it needs lie
 * before the end of its frame or IP payload before it reads them, with byte
 * loads in network order, so packets at any alignment and of any length are
 * safe. Only out->present, payload, flags and drop are reset; off[] and len[]
 * are written for the layers found and are meaningless for the others.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <flowtwin/drop.h>
#include <flowtwin/parse.h>

/*
 * Wire headers. Multi-byte fields are big-endian byte arrays read with
 * rd16(); the structs give sizes and offsets, never a pointer to cast to.
 */
struct eth_hdr {
	uint8_t dst[6];
	uint8_t src[6];
	uint8_t type[2];
};

struct vlan_hdr {
	uint8_t tci[2];
	uint8_t type[2];
};

struct arp_hdr {
	uint8_t htype[2];
	uint8_t ptype[2];
	uint8_t hlen;
	uint8_t plen;
	uint8_t op[2];
	uint8_t sha[6];
	uint8_t spa[4];
	uint8_t tha[6];
	uint8_t tpa[4];
};

struct ipv4_hdr {
	uint8_t ver_ihl;
	uint8_t tos;
	uint8_t total_len[2];
	uint8_t id[2];
	uint8_t frag[2]; /* flags (3 bits) and fragment offset (13 bits) */
	uint8_t ttl;
	uint8_t proto;
	uint8_t csum[2];
	uint8_t src[4];
	uint8_t dst[4];
};

struct ipv6_hdr {
	uint8_t ver_tc_flow[4];
	uint8_t payload_len[2];
	uint8_t next;
	uint8_t hop_limit;
	uint8_t src[16];
	uint8_t dst[16];
};

/* Hop-by-hop, routing and destination options: (len + 1) * 8 bytes. */
struct ipv6_ext_hdr {
	uint8_t next;
	uint8_t len;
};

struct ipv6_frag_hdr {
	uint8_t next;
	uint8_t reserved;
	uint8_t frag[2]; /* offset (13 bits), reserved (2), M (1) */
	uint8_t id[4];
};

struct udp_hdr {
	uint8_t src[2];
	uint8_t dst[2];
	uint8_t len[2];
	uint8_t csum[2];
};

struct tcp_hdr {
	uint8_t src[2];
	uint8_t dst[2];
	uint8_t seq[4];
	uint8_t ack[4];
	uint8_t doff; /* data offset in the high 4 bits */
	uint8_t flags;
	uint8_t window[2];
	uint8_t csum[2];
	uint8_t urg[2];
};

struct icmp_hdr {
	uint8_t type;
	uint8_t code;
	uint8_t csum[2];
};

struct vxlan_hdr {
	uint8_t flags;
	uint8_t reserved0[3];
	uint8_t vni[3];
	uint8_t reserved1;
};

_Static_assert(sizeof(struct eth_hdr) == 14, "eth_hdr");
_Static_assert(sizeof(struct vlan_hdr) == 4, "vlan_hdr");
_Static_assert(sizeof(struct arp_hdr) == 28, "arp_hdr");
_Static_assert(sizeof(struct ipv4_hdr) == 20, "ipv4_hdr");
_Static_assert(sizeof(struct ipv6_hdr) == 40, "ipv6_hdr");
_Static_assert(sizeof(struct ipv6_ext_hdr) == 2, "ipv6_ext_hdr");
_Static_assert(sizeof(struct ipv6_frag_hdr) == 8, "ipv6_frag_hdr");
_Static_assert(sizeof(struct udp_hdr) == 8, "udp_hdr");
_Static_assert(sizeof(struct tcp_hdr) == 20, "tcp_hdr");
_Static_assert(sizeof(struct icmp_hdr) == 4, "icmp_hdr");
_Static_assert(sizeof(struct vxlan_hdr) == 8, "vxlan_hdr");

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_ARP  0x0806
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define ETHERTYPE_IPV6 0x86dd

#define IPPROTO_N_HOPOPTS  0
#define IPPROTO_N_ICMP     1
#define IPPROTO_N_TCP      6
#define IPPROTO_N_UDP      17
#define IPPROTO_N_ROUTING  43
#define IPPROTO_N_FRAGMENT 44
#define IPPROTO_N_ICMPV6   58
#define IPPROTO_N_DSTOPTS  60

#define IPV4_MF         0x2000
#define IPV4_OFFSET     0x1fff
#define IPV6_FRAG_M     0x0001
#define IPV6_FRAG_SHIFT 3

#define ARP_HTYPE_ETH 1
#define VXLAN_F_I     0x08

/*
 * Offsets and lengths are 16-bit, whatever the packet length: the layers, at
 * their largest, end well before 64 KiB.
 */
#define FRAME_HDR_MAX (14 + 2 * 4 + 40 + FT_PARSE_IPV6_EXT_MAX * (256 * 8) + 15 * 4)
_Static_assert(2 * FRAME_HDR_MAX + 8 + 8 <= UINT16_MAX, "layer offsets fit in 16 bits");

/* The inner layers are the outer ones, in the same order, INNER further on. */
#define INNER (FT_L_IN_ETH - FT_L_ETH)
_Static_assert(FT_L_IN_VLAN0 == FT_L_VLAN0 + INNER, "inner layer order");
_Static_assert(FT_L_IN_VLAN1 == FT_L_VLAN1 + INNER, "inner layer order");
_Static_assert(FT_L_IN_ARP == FT_L_ARP + INNER, "inner layer order");
_Static_assert(FT_L_IN_IPV4 == FT_L_IPV4 + INNER, "inner layer order");
_Static_assert(FT_L_IN_IPV6 == FT_L_IPV6 + INNER, "inner layer order");
_Static_assert(FT_L_IN_UDP == FT_L_UDP + INNER, "inner layer order");
_Static_assert(FT_L_IN_TCP == FT_L_TCP + INNER, "inner layer order");
_Static_assert(FT_L_IN_ICMP == FT_L_ICMP + INNER, "inner layer order");
_Static_assert(FT_L_IN_ICMP6 == FT_L_ICMP6 + INNER, "inner layer order");
_Static_assert(FT_L_VXLAN < FT_L_IN_ETH && FT_L_IN_ICMP6 == FT_L_COUNT - 1, "inner layers last");
_Static_assert(FT_L_COUNT <= 32, "present is a 32-bit mask");

/* One frame being parsed: the outer one, or the inner one of a VXLAN packet. */
struct frame {
	const struct ft_parse_cfg *cfg;
	const uint8_t *data; /* the packet */
	struct ft_parse *out;
	uint32_t mask;      /* cfg->layers seen from here: bit FT_L_X means layer base + X */
	unsigned int base;  /* 0 for the outer frame, INNER for the inner one */
	unsigned int inner; /* 1 for the inner frame: no VXLAN, FT_PARSE_F_IN_* flags */
	uint32_t next_off;  /* after a valid VXLAN header: the inner frame's start, */
	uint32_t next_end;  /* and its end; else 0 */
};

static inline uint32_t
rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline int
wants(const struct frame *f, enum ft_layer layer)
{
	return (f->mask & FT_LAYER_BIT(layer)) != 0;
}

/* Records a valid layer (outer numbering) of 'len' bytes at 'off'. */
static inline void
found(const struct frame *f, enum ft_layer layer, uint32_t off, uint32_t len)
{
	unsigned int l = f->base + layer;

	f->out->present |= FT_LAYER_BIT(l);
	f->out->off[l] = (uint16_t)off;
	f->out->len[l] = (uint16_t)len;
	f->out->payload = (uint16_t)(off + len);
}

static inline int
is_vxlan_port(const struct ft_parse_cfg *cfg, uint32_t port)
{
	unsigned int n = cfg->n_vxlan_ports;

	if (n > FT_PARSE_VXLAN_PORTS_MAX)
		n = FT_PARSE_VXLAN_PORTS_MAX;
	for (unsigned int i = 0; i < n; i++)
		if (cfg->vxlan_ports[i] == port)
			return 1;
	return 0;
}

static inline unsigned int
parse_icmp(struct frame *f, enum ft_layer layer, uint32_t off, uint32_t end)
{
	if (!wants(f, layer))
		return FT_DROP_NONE;
	if (end - off < sizeof(struct icmp_hdr))
		return FT_DROP_TRUNC_ICMP;
	found(f, layer, off, sizeof(struct icmp_hdr));
	return FT_DROP_NONE;
}

static inline unsigned int
parse_tcp(struct frame *f, uint32_t off, uint32_t end)
{
	const uint8_t *p = f->data + off;
	uint32_t doff;

	if (!wants(f, FT_L_TCP))
		return FT_DROP_NONE;
	if (end - off < sizeof(struct tcp_hdr))
		return FT_DROP_TRUNC_TCP;
	doff = (uint32_t)(p[offsetof(struct tcp_hdr, doff)] >> 4) * 4;
	if (doff < sizeof(struct tcp_hdr) || doff > end - off)
		return FT_DROP_TCP_DOFF;
	found(f, FT_L_TCP, off, doff);
	return FT_DROP_NONE;
}

/*
 * UDP in the IP payload [off, end), and VXLAN behind it. When the VXLAN
 * header is valid, records the inner frame, which fills the rest of the
 * UDP payload, in f->next_off and f->next_end.
 */
static inline unsigned int
parse_udp(struct frame *f, uint32_t off, uint32_t end, int frag)
{
	const uint8_t *p = f->data + off;
	uint32_t ulen;

	if (!wants(f, FT_L_UDP))
		return FT_DROP_NONE;
	if (end - off < sizeof(struct udp_hdr))
		return FT_DROP_TRUNC_UDP;
	ulen = rd16(p + offsetof(struct udp_hdr, len));
	if (ulen < sizeof(struct udp_hdr) || (!frag && ulen != end - off))
		return FT_DROP_UDP_LEN;
	found(f, FT_L_UDP, off, sizeof(struct udp_hdr));

	if (f->inner || frag || !wants(f, FT_L_VXLAN) ||
	    !is_vxlan_port(f->cfg, rd16(p + offsetof(struct udp_hdr, dst))))
		return FT_DROP_NONE;
	off += sizeof(struct udp_hdr);
	if (end - off < sizeof(struct vxlan_hdr))
		return FT_DROP_TRUNC_VXLAN;
	if (!(f->data[off + offsetof(struct vxlan_hdr, flags)] & VXLAN_F_I))
		return FT_DROP_VXLAN_FLAGS;
	found(f, FT_L_VXLAN, off, sizeof(struct vxlan_hdr));
	f->next_off = off + sizeof(struct vxlan_hdr);
	f->next_end = end;
	return FT_DROP_NONE;
}

/* The layers after IPv4 or IPv6: none wanted, no need to look at the protocol. */
#define L4_LAYERS (FT_LAYER_BIT(FT_L_UDP) | FT_LAYER_BIT(FT_L_TCP) | FT_LAYER_BIT(FT_L_ICMP) | \
		   FT_LAYER_BIT(FT_L_ICMP6))

static inline unsigned int
parse_ipv4(struct frame *f, uint32_t off, uint32_t end)
{
	const uint8_t *p = f->data + off;
	uint32_t avail = end - off, ihl, total, frag;
	int is_frag;

	if (!wants(f, FT_L_IPV4))
		return FT_DROP_NONE;
	if (avail < sizeof(struct ipv4_hdr))
		return FT_DROP_TRUNC_IPV4;
	if (p[offsetof(struct ipv4_hdr, ver_ihl)] >> 4 != 4)
		return FT_DROP_IPV4_VERSION;
	ihl = (uint32_t)(p[offsetof(struct ipv4_hdr, ver_ihl)] & 0xf) * 4;
	if (ihl < sizeof(struct ipv4_hdr))
		return FT_DROP_IPV4_IHL;
	if (ihl > avail)
		return FT_DROP_TRUNC_IPV4;
	total = rd16(p + offsetof(struct ipv4_hdr, total_len));
	if (total < ihl || total > avail)
		return FT_DROP_IPV4_TOTLEN;
	found(f, FT_L_IPV4, off, ihl);

	frag = rd16(p + offsetof(struct ipv4_hdr, frag));
	is_frag = (frag & (IPV4_MF | IPV4_OFFSET)) != 0;
	if (ihl > sizeof(struct ipv4_hdr))
		f->out->flags |= f->inner ? FT_PARSE_F_IN_IPV4_OPT : FT_PARSE_F_IPV4_OPT;
	if (is_frag)
		f->out->flags |= f->inner ? FT_PARSE_F_IN_FRAG : FT_PARSE_F_FRAG;
	if (frag & IPV4_OFFSET)
		return FT_DROP_NONE; /* not the first fragment: no L4 header */
	if (!(f->mask & L4_LAYERS))
		return FT_DROP_NONE; /* what each L4 parser would say: not wanted */

	end = off + total;
	off += ihl;
	switch (p[offsetof(struct ipv4_hdr, proto)]) {
	case IPPROTO_N_UDP:
		return parse_udp(f, off, end, is_frag);
	case IPPROTO_N_TCP:
		return parse_tcp(f, off, end);
	case IPPROTO_N_ICMP:
		return parse_icmp(f, FT_L_ICMP, off, end);
	default:
		return FT_DROP_NONE;
	}
}

static inline unsigned int
parse_ipv6(struct frame *f, uint32_t off, uint32_t end)
{
	const uint8_t *p = f->data + off;
	uint32_t avail = end - off, cur, next, frag = 0;
	unsigned int n_ext;

	if (!wants(f, FT_L_IPV6))
		return FT_DROP_NONE;
	if (avail < sizeof(struct ipv6_hdr))
		return FT_DROP_TRUNC_IPV6;
	if (p[0] >> 4 != 6)
		return FT_DROP_IPV6_VERSION;
	end = rd16(p + offsetof(struct ipv6_hdr, payload_len));
	if (end > avail - sizeof(struct ipv6_hdr))
		return FT_DROP_IPV6_PLEN;
	end += off + sizeof(struct ipv6_hdr);
	next = p[offsetof(struct ipv6_hdr, next)];
	cur = off + sizeof(struct ipv6_hdr);

	/* The extension headers, all within the payload length. */
	for (n_ext = 0;; n_ext++) {
		const uint8_t *h = f->data + cur;
		uint32_t hlen;

		if (next == IPPROTO_N_HOPOPTS || next == IPPROTO_N_ROUTING ||
		    next == IPPROTO_N_DSTOPTS) {
			if (n_ext == FT_PARSE_IPV6_EXT_MAX ||
			    end - cur < sizeof(struct ipv6_ext_hdr))
				return FT_DROP_IPV6_EXT;
			hlen = ((uint32_t)h[offsetof(struct ipv6_ext_hdr, len)] + 1) * 8;
			if (hlen > end - cur)
				return FT_DROP_IPV6_EXT;
		} else if (next == IPPROTO_N_FRAGMENT) {
			if (n_ext == FT_PARSE_IPV6_EXT_MAX ||
			    end - cur < sizeof(struct ipv6_frag_hdr))
				return FT_DROP_IPV6_EXT;
			hlen = sizeof(struct ipv6_frag_hdr);
			frag = rd16(h + offsetof(struct ipv6_frag_hdr, frag));
		} else {
			break;
		}
		next = h[0];
		cur += hlen;
		if (frag >> IPV6_FRAG_SHIFT)
			break; /* not the first fragment: what follows is fragment data */
	}
	found(f, FT_L_IPV6, off, cur - off);

	if (n_ext)
		f->out->flags |= f->inner ? FT_PARSE_F_IN_IPV6_EXT : FT_PARSE_F_IPV6_EXT;
	if (frag & ~(uint32_t)6) /* offset or M: a fragment; an atomic fragment is not one */
		f->out->flags |= f->inner ? FT_PARSE_F_IN_FRAG : FT_PARSE_F_FRAG;
	if (frag >> IPV6_FRAG_SHIFT)
		return FT_DROP_NONE;

	switch (next) {
	case IPPROTO_N_UDP:
		return parse_udp(f, cur, end, (frag & IPV6_FRAG_M) != 0);
	case IPPROTO_N_TCP:
		return parse_tcp(f, cur, end);
	case IPPROTO_N_ICMPV6:
		return parse_icmp(f, FT_L_ICMP6, cur, end);
	default:
		return FT_DROP_NONE;
	}
}

static inline unsigned int
parse_arp(struct frame *f, uint32_t off, uint32_t end)
{
	const uint8_t *p = f->data + off;

	if (!wants(f, FT_L_ARP))
		return FT_DROP_NONE;
	if (end - off < offsetof(struct arp_hdr, sha))
		return FT_DROP_TRUNC_ARP;
	if (rd16(p + offsetof(struct arp_hdr, htype)) != ARP_HTYPE_ETH ||
	    rd16(p + offsetof(struct arp_hdr, ptype)) != ETHERTYPE_IPV4 ||
	    p[offsetof(struct arp_hdr, hlen)] != 6 || p[offsetof(struct arp_hdr, plen)] != 4)
		return FT_DROP_NONE; /* not Ethernet/IPv4: payload */
	if (end - off < sizeof(struct arp_hdr))
		return FT_DROP_TRUNC_ARP;
	found(f, FT_L_ARP, off, sizeof(struct arp_hdr));
	return FT_DROP_NONE;
}

static inline int
is_vlan_type(uint32_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

/*
 * Parses the frame in [off, end). Sets f->next_off (never 0 then) when a
 * VXLAN header was found and the inner frame [next_off, next_end) is next.
 */
static inline unsigned int
parse_frame(struct frame *f, uint32_t off, uint32_t end)
{
	uint32_t type;

	if (!wants(f, FT_L_ETH))
		return FT_DROP_NONE;
	if (end - off < sizeof(struct eth_hdr))
		return FT_DROP_TRUNC_ETH;
	type = rd16(f->data + off + offsetof(struct eth_hdr, type));
	found(f, FT_L_ETH, off, sizeof(struct eth_hdr));
	off += sizeof(struct eth_hdr);

	if (is_vlan_type(type)) {
		if (!wants(f, FT_L_VLAN0))
			return FT_DROP_NONE;
		if (end - off < sizeof(struct vlan_hdr))
			return FT_DROP_TRUNC_VLAN;
		type = rd16(f->data + off + offsetof(struct vlan_hdr, type));
		found(f, FT_L_VLAN0, off, sizeof(struct vlan_hdr));
		off += sizeof(struct vlan_hdr);
		if (is_vlan_type(type)) {
			if (!wants(f, FT_L_VLAN1))
				return FT_DROP_NONE;
			if (end - off < sizeof(struct vlan_hdr))
				return FT_DROP_TRUNC_VLAN;
			type = rd16(f->data + off + offsetof(struct vlan_hdr, type));
			found(f, FT_L_VLAN1, off, sizeof(struct vlan_hdr));
			off += sizeof(struct vlan_hdr);
		}
	}

	switch (type) {
	case ETHERTYPE_IPV4:
		return parse_ipv4(f, off, end);
	case ETHERTYPE_IPV6:
		return parse_ipv6(f, off, end);
	case ETHERTYPE_ARP:
		return parse_arp(f, off, end);
	default:
		return FT_DROP_NONE; /* any other EtherType, a third VLAN tag too: payload */
	}
}

unsigned int
ft_parse(const struct ft_parse_cfg *cfg, const uint8_t *data, uint32_t len, struct ft_parse *out)
{
	struct frame f = {
	        .cfg = cfg,
	        .data = data,
	        .out = out,
	        .mask = cfg->layers & FT_LAYERS_ALL,
	        .base = 0,
	        .inner = 0,
	        .next_off = 0,
	        .next_end = 0,
	};
	unsigned int drop;

	out->present = 0;
	out->payload = 0;
	out->flags = 0;

	drop = parse_frame(&f, 0, len);
	if (drop == FT_DROP_NONE && f.next_off != 0) {
		f.mask >>= INNER;
		f.base = INNER;
		f.inner = 1;
		drop = parse_frame(&f, f.next_off, f.next_end);
	}
	out->drop = (uint16_t)drop;
	return drop;
}

void
ft_parse_cfg_default(struct ft_parse_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->layers = FT_LAYERS_ALL;
	cfg->vxlan_ports[0] = FT_VXLAN_PORT_DEFAULT;
	cfg->n_vxlan_ports = 1;
}

/* The layer tables, from FT_LAYERS; index FT_L_NONE answers for "no layer". */
/* clang-format off */
static const uint8_t layer_protos[FT_L_COUNT + 1] = {
#define LAYER_PROTO(e, p, i, v, n) [FT_L_##e] = FT_PROTO_##p,
	FT_LAYERS(LAYER_PROTO)
#undef LAYER_PROTO
	[FT_L_NONE] = FT_PROTO_NONE,
};

static const uint8_t layer_inner[FT_L_COUNT + 1] = {
#define LAYER_INNER(e, p, i, v, n) [FT_L_##e] = i,
	FT_LAYERS(LAYER_INNER)
#undef LAYER_INNER
	[FT_L_NONE] = 0,
};

static const char *const layer_names[FT_L_COUNT + 1] = {
#define LAYER_NAME(e, p, i, v, n) [FT_L_##e] = n,
	FT_LAYERS(LAYER_NAME)
#undef LAYER_NAME
	[FT_L_NONE] = "none",
};
/* clang-format on */

static const char *const proto_names[FT_PROTO_COUNT] = {
        [FT_PROTO_NONE] = "none",   [FT_PROTO_ETH] = "eth",     [FT_PROTO_VLAN] = "vlan",
        [FT_PROTO_ARP] = "arp",     [FT_PROTO_IPV4] = "ipv4",   [FT_PROTO_IPV6] = "ipv6",
        [FT_PROTO_UDP] = "udp",     [FT_PROTO_TCP] = "tcp",     [FT_PROTO_ICMP] = "icmp",
        [FT_PROTO_ICMP6] = "icmp6", [FT_PROTO_VXLAN] = "vxlan",
};

static const uint8_t proto_sizes[FT_PROTO_COUNT] = {
        [FT_PROTO_NONE] = 0,
        [FT_PROTO_ETH] = sizeof(struct eth_hdr),
        [FT_PROTO_VLAN] = sizeof(struct vlan_hdr),
        [FT_PROTO_ARP] = sizeof(struct arp_hdr),
        [FT_PROTO_IPV4] = sizeof(struct ipv4_hdr),
        [FT_PROTO_IPV6] = sizeof(struct ipv6_hdr),
        [FT_PROTO_UDP] = sizeof(struct udp_hdr),
        [FT_PROTO_TCP] = sizeof(struct tcp_hdr),
        [FT_PROTO_ICMP] = sizeof(struct icmp_hdr),
        [FT_PROTO_ICMP6] = sizeof(struct icmp_hdr),
        [FT_PROTO_VXLAN] = sizeof(struct vxlan_hdr),
};

enum ft_proto
ft_layer_proto(enum ft_layer layer)
{
	if ((unsigned int)layer > FT_L_NONE)
		return FT_PROTO_NONE;
	return (enum ft_proto)layer_protos[layer];
}

int
ft_layer_is_inner(enum ft_layer layer)
{
	if ((unsigned int)layer > FT_L_NONE)
		return 0;
	return layer_inner[layer];
}

const char *
ft_layer_name(enum ft_layer layer)
{
	if ((unsigned int)layer > FT_L_NONE)
		return "none";
	return layer_names[layer];
}

const char *
ft_proto_name(enum ft_proto proto)
{
	if ((unsigned int)proto >= FT_PROTO_COUNT || proto_names[proto] == NULL)
		return "none";
	return proto_names[proto];
}

uint32_t
ft_proto_size(enum ft_proto proto)
{
	if ((unsigned int)proto >= FT_PROTO_COUNT)
		return 0;
	return proto_sizes[proto];
}
