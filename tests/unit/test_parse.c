/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the packet parser (model/parse.c, include/flowtwin/parse.h):
 * one test per rule of the parse graph, each with a good packet and every
 * way to break it, asserting the exact drop reason, layers, offsets,
 * lengths, payload offset and flags. Packets are built field by field below
 * and handed to the parser in a heap buffer of exactly their length, so a
 * read past the end shows up under AddressSanitizer; every parse is also
 * checked against the invariants that hold for any input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/drop.h>
#include <flowtwin/packet.h>
#include <flowtwin/parse.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(l)        FT_LAYER_BIT(FT_L_##l)

/* A packet under construction. */
struct pkt {
	uint8_t b[40960]; /* room for the largest headers */
	uint32_t len;
};

static struct ft_parse_cfg dflt;

static void
wr16(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

/* Appends 'n' bytes, filled with a pattern, and returns their offset. */
static uint32_t
put(struct pkt *p, uint32_t n)
{
	uint32_t off = p->len;

	assert_true(off + n <= sizeof(p->b));
	for (uint32_t i = 0; i < n; i++)
		p->b[off + i] = (uint8_t)(0x40 + off + i);
	p->len += n;
	return off;
}

static uint32_t
put_eth(struct pkt *p, uint32_t type)
{
	uint32_t off = put(p, 14);

	wr16(p->b + off + 12, type);
	return off;
}

static uint32_t
put_vlan(struct pkt *p, uint32_t tci, uint32_t type)
{
	uint32_t off = put(p, 4);

	wr16(p->b + off, tci);
	wr16(p->b + off + 2, type);
	return off;
}

static uint32_t
put_arp(struct pkt *p, uint32_t htype, uint32_t ptype, uint8_t hlen, uint8_t plen)
{
	uint32_t off = put(p, 28);

	wr16(p->b + off, htype);
	wr16(p->b + off + 2, ptype);
	p->b[off + 4] = hlen;
	p->b[off + 5] = plen;
	wr16(p->b + off + 6, 1); /* request */
	return off;
}

/* IPv4 with 'ihl' 32-bit words of header; the total length is set by end_ipv4(). */
static uint32_t
put_ipv4(struct pkt *p, uint8_t proto, unsigned int ihl, uint32_t frag)
{
	uint32_t off = put(p, ihl * 4);

	p->b[off] = (uint8_t)(0x40 | (ihl & 0xf));
	wr16(p->b + off + 2, 0);
	wr16(p->b + off + 6, frag);
	p->b[off + 8] = 64;
	p->b[off + 9] = proto;
	return off;
}

/* Sets the total length of the IPv4 header at 'off' to reach the end of the packet. */
static void
end_ipv4(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 2, p->len - off);
}

static uint32_t
put_ipv6(struct pkt *p, uint8_t next)
{
	uint32_t off = put(p, 40);

	p->b[off] = 0x60;
	p->b[off + 6] = next;
	p->b[off + 7] = 64;
	return off;
}

static void
end_ipv6(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 4, p->len - off - 40);
}

/* Hop-by-hop, routing or destination options: (len8 + 1) * 8 bytes. */
static uint32_t
put_ext6(struct pkt *p, uint8_t next, uint8_t len8)
{
	uint32_t off = put(p, (len8 + 1u) * 8);

	p->b[off] = next;
	p->b[off + 1] = len8;
	return off;
}

static uint32_t
put_frag6(struct pkt *p, uint8_t next, uint32_t offset, int more)
{
	uint32_t off = put(p, 8);

	p->b[off] = next;
	p->b[off + 1] = 0;
	wr16(p->b + off + 2, offset << 3 | (more ? 1 : 0));
	return off;
}

static uint32_t
put_udp(struct pkt *p, uint32_t sport, uint32_t dport)
{
	uint32_t off = put(p, 8);

	wr16(p->b + off, sport);
	wr16(p->b + off + 2, dport);
	wr16(p->b + off + 4, 0);
	return off;
}

static void
end_udp(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 4, p->len - off);
}

/* TCP with 'doff' 32-bit words of header. */
static uint32_t
put_tcp(struct pkt *p, unsigned int doff)
{
	uint32_t off = put(p, doff * 4);

	p->b[off + 12] = (uint8_t)(doff << 4);
	return off;
}

static uint32_t
put_icmp(struct pkt *p, uint8_t type)
{
	uint32_t off = put(p, 4);

	p->b[off] = type;
	p->b[off + 1] = 0;
	return off;
}

static uint32_t
put_vxlan(struct pkt *p, uint8_t flags, uint32_t vni)
{
	uint32_t off = put(p, 8);

	memset(p->b + off, 0, 8);
	p->b[off] = flags;
	p->b[off + 4] = (uint8_t)(vni >> 16);
	p->b[off + 5] = (uint8_t)(vni >> 8);
	p->b[off + 6] = (uint8_t)vni;
	return off;
}

/*
 * What holds for any input: the return value is out->drop, the present
 * layers follow one another from offset 0 without gaps (enum order is
 * packet order), all lie within the packet, and the payload starts where
 * the last one ends.
 */
static void
check_invariants(const struct ft_parse *r, unsigned int ret, uint32_t len)
{
	uint32_t end = 0;

	assert_int_equal(ret, r->drop);
	assert_true(r->drop < FT_DROP_COUNT);
	assert_int_equal(r->present & ~FT_LAYERS_ALL, 0);
	for (unsigned int l = 0; l < FT_L_COUNT; l++) {
		if (!(r->present & FT_LAYER_BIT(l)))
			continue;
		assert_int_equal(r->off[l], end);
		assert_true(r->len[l] >= ft_proto_size(ft_layer_proto(l)));
		end = (uint32_t)r->off[l] + r->len[l];
		assert_true(end <= len);
	}
	assert_int_equal(r->payload, end);
	assert_true(r->payload <= len);
}

/*
 * Parses 'len' bytes of 'bytes' from a heap copy of exactly that size, into
 * an 'r' filled with garbage first.
 */
static unsigned int
run(const struct ft_parse_cfg *cfg, const uint8_t *bytes, uint32_t len, struct ft_parse *r)
{
	uint8_t *copy = malloc(len ? len : 1);
	unsigned int ret;

	assert_non_null(copy);
	memcpy(copy, bytes, len);
	memset(r, 0xa5, sizeof(*r));
	ret = ft_parse(cfg, copy, len, r);
	free(copy);
	check_invariants(r, ret, len);
	return ret;
}

static unsigned int
parse(const struct pkt *p, struct ft_parse *r)
{
	return run(&dflt, p->b, p->len, r);
}

static unsigned int
parse_cut(const struct pkt *p, uint32_t len, struct ft_parse *r)
{
	return run(&dflt, p->b, len, r);
}

struct lay {
	enum ft_layer layer;
	uint32_t off;
	uint32_t len;
};

#define L(layer, off, len) ((struct lay){FT_L_##layer, off, len})

static void
expect_layers(const struct ft_parse *r, uint32_t payload, const struct lay *ls, size_t n,
              const char *file, int line)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned int l = ls[i].layer;

		mask |= FT_LAYER_BIT(l);
		if (!(r->present & FT_LAYER_BIT(l)))
			print_error("layer %s missing\n", ft_layer_name(l));
		_assert_true(r->present & FT_LAYER_BIT(l), "present", file, line);
		_assert_int_equal(r->off[l], ls[i].off, file, line);
		_assert_int_equal(r->len[l], ls[i].len, file, line);
	}
	_assert_int_equal(r->present, mask, file, line);
	_assert_int_equal(r->payload, payload, file, line);
}

/* EXPECT(r, payload, L(ETH, 0, 14), ...): exactly these layers, then the payload. */
#define EXPECT(r, payload, ...)                                                                    \
	do {                                                                                       \
		const struct lay ls_[] = {__VA_ARGS__};                                            \
		expect_layers(r, payload, ls_, ARRAY_SIZE(ls_), __FILE__, __LINE__);               \
	} while (0)

/* No layer at all. */
#define EXPECT_NOTHING(r)                                                                          \
	do {                                                                                       \
		assert_int_equal((r)->present, 0);                                                 \
		assert_int_equal((r)->payload, 0);                                                 \
	} while (0)

/* Ethernet / IPv4 / UDP to 'dport' with 'n' bytes of data. */
static void
build_ipv4_udp(struct pkt *p, uint32_t dport, uint32_t n)
{
	uint32_t ip, udp;

	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 17, 5, 0);
	udp = put_udp(p, 1234, dport);
	put(p, n);
	end_udp(p, udp);
	end_ipv4(p, ip);
}

/*
 * Ethernet / IPv4 / UDP 4789 / VXLAN / Ethernet / IPv4 / UDP / 16 bytes:
 * ETH 0, IPV4 14, UDP 34, VXLAN 42, IN_ETH 50, IN_IPV4 64, IN_UDP 84,
 * payload 92, 108 bytes in all.
 */
static void
build_vxlan(struct pkt *p)
{
	uint32_t ip, udp, in_ip, in_udp;

	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 17, 5, 0);
	udp = put_udp(p, 50000, 4789);
	put_vxlan(p, 0x08, 42);
	put_eth(p, 0x0800);
	in_ip = put_ipv4(p, 17, 5, 0);
	in_udp = put_udp(p, 1000, 2000);
	put(p, 16);
	end_udp(p, in_udp);
	end_ipv4(p, in_ip);
	end_udp(p, udp);
	end_ipv4(p, ip);
	assert_int_equal(p->len, 108);
}

#define VXLAN_LAYERS                                                                               \
	L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8), L(IN_ETH, 50, 14),         \
	        L(IN_IPV4, 64, 20), L(IN_UDP, 84, 8)

/* ---- configuration and tables ---- */

static void
test_cfg_default(void **state)
{
	struct ft_parse_cfg cfg;

	(void)state;
	memset(&cfg, 0xff, sizeof(cfg));
	ft_parse_cfg_default(&cfg);
	assert_int_equal(cfg.layers, FT_LAYERS_ALL);
	assert_int_equal(cfg.n_vxlan_ports, 1);
	assert_int_equal(cfg.vxlan_ports[0], 4789);
	for (unsigned int i = 1; i < FT_PARSE_VXLAN_PORTS_MAX; i++)
		assert_int_equal(cfg.vxlan_ports[i], 0);
}

static void
test_layer_tables(void **state)
{
	static const struct {
		enum ft_layer layer;
		enum ft_proto proto;
		int inner;
		const char *name;
	} t[] = {
	        {FT_L_ETH, FT_PROTO_ETH, 0, "eth"},
	        {FT_L_VLAN0, FT_PROTO_VLAN, 0, "vlan0"},
	        {FT_L_VLAN1, FT_PROTO_VLAN, 0, "vlan1"},
	        {FT_L_ARP, FT_PROTO_ARP, 0, "arp"},
	        {FT_L_IPV4, FT_PROTO_IPV4, 0, "ipv4"},
	        {FT_L_IPV6, FT_PROTO_IPV6, 0, "ipv6"},
	        {FT_L_UDP, FT_PROTO_UDP, 0, "udp"},
	        {FT_L_TCP, FT_PROTO_TCP, 0, "tcp"},
	        {FT_L_ICMP, FT_PROTO_ICMP, 0, "icmp"},
	        {FT_L_ICMP6, FT_PROTO_ICMP6, 0, "icmp6"},
	        {FT_L_VXLAN, FT_PROTO_VXLAN, 0, "vxlan"},
	        {FT_L_IN_ETH, FT_PROTO_ETH, 1, "inner_eth"},
	        {FT_L_IN_VLAN0, FT_PROTO_VLAN, 1, "inner_vlan0"},
	        {FT_L_IN_VLAN1, FT_PROTO_VLAN, 1, "inner_vlan1"},
	        {FT_L_IN_ARP, FT_PROTO_ARP, 1, "inner_arp"},
	        {FT_L_IN_IPV4, FT_PROTO_IPV4, 1, "inner_ipv4"},
	        {FT_L_IN_IPV6, FT_PROTO_IPV6, 1, "inner_ipv6"},
	        {FT_L_IN_UDP, FT_PROTO_UDP, 1, "inner_udp"},
	        {FT_L_IN_TCP, FT_PROTO_TCP, 1, "inner_tcp"},
	        {FT_L_IN_ICMP, FT_PROTO_ICMP, 1, "inner_icmp"},
	        {FT_L_IN_ICMP6, FT_PROTO_ICMP6, 1, "inner_icmp6"},
	        {FT_L_NONE, FT_PROTO_NONE, 0, "none"},
	        {(enum ft_layer)(FT_L_NONE + 1), FT_PROTO_NONE, 0, "none"},
	        {(enum ft_layer) - 1, FT_PROTO_NONE, 0, "none"},
	};

	(void)state;
	assert_int_equal(FT_L_COUNT, 21);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		assert_int_equal(ft_layer_proto(t[i].layer), t[i].proto);
		assert_int_equal(ft_layer_is_inner(t[i].layer), t[i].inner);
		assert_string_equal(ft_layer_name(t[i].layer), t[i].name);
	}
}

static void
test_proto_tables(void **state)
{
	static const struct {
		enum ft_proto proto;
		const char *name;
		uint32_t size;
	} t[] = {
	        {FT_PROTO_NONE, "none", 0},       {FT_PROTO_ETH, "eth", 14},
	        {FT_PROTO_VLAN, "vlan", 4},       {FT_PROTO_ARP, "arp", 28},
	        {FT_PROTO_IPV4, "ipv4", 20},      {FT_PROTO_IPV6, "ipv6", 40},
	        {FT_PROTO_UDP, "udp", 8},         {FT_PROTO_TCP, "tcp", 20},
	        {FT_PROTO_ICMP, "icmp", 4},       {FT_PROTO_ICMP6, "icmp6", 4},
	        {FT_PROTO_VXLAN, "vxlan", 8},     {FT_PROTO_COUNT, "none", 0},
	        {(enum ft_proto) - 1, "none", 0},
	};

	(void)state;
	assert_int_equal(FT_PROTO_COUNT, 11);
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		assert_string_equal(ft_proto_name(t[i].proto), t[i].name);
		assert_int_equal(ft_proto_size(t[i].proto), t[i].size);
	}
}

/* ---- Ethernet and VLAN ---- */

static void
test_eth_only(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x1234);
	put(&p, 46);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));
	assert_int_equal(r.flags, 0);

	/* exactly 14 bytes */
	assert_int_equal(parse_cut(&p, 14, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));
}

static void
test_eth_trunc(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x0800);
	for (uint32_t n = 0; n < 14; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_ETH);
		EXPECT_NOTHING(&r);
	}
}

static void
test_vlan_one(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp;

	(void)state;
	put_eth(&p, 0x8100);
	put_vlan(&p, 100, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 2);
	put(&p, 10);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 46, L(ETH, 0, 14), L(VLAN0, 14, 4), L(IPV4, 18, 20), L(UDP, 38, 8));
}

static void
test_vlan_two(void **state)
{
	/* 802.1ad outer tag, then 802.1Q; then 802.1Q twice */
	static const uint32_t tpid[][2] = {{0x88a8, 0x8100}, {0x8100, 0x8100}, {0x88a8, 0x88a8}};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(tpid); i++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;
		uint32_t ip;

		put_eth(&p, tpid[i][0]);
		put_vlan(&p, 10, tpid[i][1]);
		put_vlan(&p, 20, 0x0800);
		ip = put_ipv4(&p, 6, 5, 0);
		put_tcp(&p, 5);
		put(&p, 5);
		end_ipv4(&p, ip);
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 62, L(ETH, 0, 14), L(VLAN0, 14, 4), L(VLAN1, 18, 4), L(IPV4, 22, 20),
		       L(TCP, 42, 20));
	}
}

static void
test_vlan_qinq(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x88a8);
	put_vlan(&p, 7, 0x0806);
	put_arp(&p, 1, 0x0800, 6, 4);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 46, L(ETH, 0, 14), L(VLAN0, 14, 4), L(ARP, 18, 28));
}

static void
test_vlan_three(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip;

	(void)state;
	put_eth(&p, 0x8100);
	put_vlan(&p, 1, 0x88a8);
	put_vlan(&p, 2, 0x8100);
	put_vlan(&p, 3, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	put_udp(&p, 1, 2);
	end_ipv4(&p, ip);
	/* the third tag and all behind it is payload, not parsed, not an error */
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 22, L(ETH, 0, 14), L(VLAN0, 14, 4), L(VLAN1, 18, 4));
}

static void
test_vlan_trunc(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x8100);
	put_vlan(&p, 1, 0x8100);
	put_vlan(&p, 2, 0x1234);
	for (uint32_t n = 14; n < 18; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_VLAN);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
	for (uint32_t n = 18; n < 22; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_VLAN);
		EXPECT(&r, 18, L(ETH, 0, 14), L(VLAN0, 14, 4));
	}
	assert_int_equal(parse_cut(&p, 22, &r), FT_DROP_NONE);
	EXPECT(&r, 22, L(ETH, 0, 14), L(VLAN0, 14, 4), L(VLAN1, 18, 4));
}

static void
test_vlan_mask(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x8100);
	put_vlan(&p, 1, 0x8100);
	put(&p, 2); /* a truncated second tag: not looked at when not declared */

	cfg.layers = FT_LAYERS_ALL & ~BIT(VLAN1);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 18, L(ETH, 0, 14), L(VLAN0, 14, 4));

	cfg.layers = FT_LAYERS_ALL & ~BIT(VLAN0);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));
}

/* ---- ARP ---- */

static void
test_arp_request(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x0806);
	put_arp(&p, 1, 0x0800, 6, 4);
	put(&p, 18); /* padding to 60 bytes */
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(ARP, 14, 28));

	assert_int_equal(parse_cut(&p, 42, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(ARP, 14, 28));
}

static void
test_arp_other(void **state)
{
	/* htype, ptype, hlen, plen: each one wrong in turn */
	static const struct {
		uint32_t htype, ptype;
		uint8_t hlen, plen;
	} t[] = {{6, 0x0800, 6, 4}, {1, 0x86dd, 6, 16}, {1, 0x0800, 8, 4}, {1, 0x0800, 6, 6}};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;

		put_eth(&p, 0x0806);
		put_arp(&p, t[i].htype, t[i].ptype, t[i].hlen, t[i].plen);
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 14, L(ETH, 0, 14));
		/* not an error even when shorter than 28 bytes, once it says what it is */
		for (uint32_t n = 22; n < p.len; n++) {
			assert_int_equal(parse_cut(&p, n, &r), FT_DROP_NONE);
			EXPECT(&r, 14, L(ETH, 0, 14));
		}
		for (uint32_t n = 14; n < 22; n++) {
			assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_ARP);
			EXPECT(&r, 14, L(ETH, 0, 14));
		}
	}
}

static void
test_arp_trunc(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;

	(void)state;
	put_eth(&p, 0x0806);
	put_arp(&p, 1, 0x0800, 6, 4);
	for (uint32_t n = 14; n < 42; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_ARP);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}

	/* not declared: not looked at */
	struct ft_parse_cfg cfg = dflt;

	cfg.layers &= ~BIT(ARP);
	assert_int_equal(run(&cfg, p.b, 20, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));
}

/* ---- IPv4 ---- */

static void
test_ipv4_udp(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 10);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	assert_int_equal(r.flags, 0);

	/* trailing padding after the IP packet: not part of it, not an error */
	put(&p, 8);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* no data */
	build_ipv4_udp(&p, 2000, 0);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
}

static void
test_ipv4_options(void **state)
{
	(void)state;
	for (unsigned int ihl = 6; ihl <= 15; ihl++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;
		uint32_t ip, udp, hl = ihl * 4;

		put_eth(&p, 0x0800);
		ip = put_ipv4(&p, 17, ihl, 0);
		udp = put_udp(&p, 1, 2);
		put(&p, 3);
		end_udp(&p, udp);
		end_ipv4(&p, ip);
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 14 + hl + 8, L(ETH, 0, 14), L(IPV4, 14, hl), L(UDP, 14 + hl, 8));
		assert_int_equal(r.flags, FT_PARSE_F_IPV4_OPT);

		/* options cut short by the end of the frame */
		assert_int_equal(parse_cut(&p, 14 + hl - 1, &r), FT_DROP_TRUNC_IPV4);
		EXPECT(&r, 14, L(ETH, 0, 14));
		assert_int_equal(r.flags, 0);
	}
}

static void
test_ipv4_trunc(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 10);
	for (uint32_t n = 14; n < 34; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_IPV4);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
}

static void
test_ipv4_version(void **state)
{
	static const uint8_t bad[] = {0x00, 0x55, 0x65, 0xf5};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv4_udp(&p, 2000, 10);
		p.b[14] = bad[i];
		assert_int_equal(parse(&p, &r), FT_DROP_IPV4_VERSION);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
}

static void
test_ipv4_ihl(void **state)
{
	(void)state;
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv4_udp(&p, 2000, 10);
		p.b[14] = 0x40 | ihl;
		assert_int_equal(parse(&p, &r), FT_DROP_IPV4_IHL);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
}

static void
test_ipv4_totlen(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 10); /* total length 38 */

	/* below the header length */
	wr16(p.b + 16, 19);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));
	wr16(p.b + 16, 0);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));

	/* beyond the frame */
	wr16(p.b + 16, 39);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));
	wr16(p.b + 16, 0xffff);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));

	/* exactly the header: no room for UDP */
	wr16(p.b + 16, 20);
	assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_UDP);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));

	/* with options: below IHL * 4 */
	p.len = 0;
	put_eth(&p, 0x0800);
	put_ipv4(&p, 17, 6, 0);
	put_udp(&p, 1, 2);
	wr16(p.b + 16, 23);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));
	assert_int_equal(r.flags, 0);
}

static void
test_ipv4_frag_first(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp;

	(void)state;
	/* first fragment of a VXLAN packet: MF, offset 0, UDP length of the whole datagram */
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0x2000);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 1);
	put(&p, 32);
	end_ipv4(&p, ip);
	wr16(p.b + udp + 4, 1400);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	assert_int_equal(r.flags, FT_PARSE_F_FRAG);

	/* with DF as well */
	wr16(p.b + ip + 6, 0x6000);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	assert_int_equal(r.flags, FT_PARSE_F_FRAG);

	/* the UDP length is still at least 8 */
	wr16(p.b + udp + 4, 7);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	assert_int_equal(r.flags, FT_PARSE_F_FRAG);

	/* the L4 header must still be there */
	wr16(p.b + udp + 4, 1400);
	wr16(p.b + ip + 2, 27);
	assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_UDP);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
}

static void
test_ipv4_frag_nonfirst(void **state)
{
	/* offset != 0, with and without MF */
	static const uint32_t frag[] = {0x2001, 0x0001, 0x1fff, 0x00b9};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(frag); i++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;
		uint32_t ip;

		put_eth(&p, 0x0800);
		ip = put_ipv4(&p, 17, 5, frag[i]);
		put(&p, 3); /* not even a UDP header's worth: it is not one */
		end_ipv4(&p, ip);
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
		assert_int_equal(r.flags, FT_PARSE_F_FRAG);
	}
}

static void
test_ipv4_df(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 4);
	wr16(p.b + 20, 0x4000);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	assert_int_equal(r.flags, 0);
	/* not a fragment: the UDP length is checked */
	wr16(p.b + 38, 13);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
}

static void
test_ipv4_other_proto(void **state)
{
	static const uint8_t protos[] = {0, 2, 47, 50, 58, 132, 255};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv4_udp(&p, 2000, 10);
		p.b[23] = protos[i];
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}
}

/* ---- UDP, TCP, ICMP ---- */

static void
test_udp_len(void **state)
{
	static const uint32_t bad[] = {0, 7, 8, 17, 19, 0xffff};
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 10); /* UDP length 18 */
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		wr16(p.b + 38, bad[i]);
		assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}
	/* compared with the IP payload, not with the frame */
	wr16(p.b + 38, 18);
	put(&p, 4);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	wr16(p.b + 38, 22);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
}

static void
test_udp_trunc(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_udp(&p, 2000, 0);
	for (uint32_t n = 0; n < 8; n++) {
		/* an IP packet whose payload is too short for UDP */
		wr16(p.b + 16, 20 + n);
		assert_int_equal(parse_cut(&p, 34 + n, &r), FT_DROP_TRUNC_UDP);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
		/* and the same with trailing padding that would have held it */
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_UDP);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}
}

static void
build_ipv4_tcp(struct pkt *p, unsigned int doff, uint32_t n)
{
	uint32_t ip;

	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 6, 5, 0);
	put_tcp(p, doff);
	put(p, n);
	end_ipv4(p, ip);
}

static void
test_tcp(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_tcp(&p, 5, 100);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 54, L(ETH, 0, 14), L(IPV4, 14, 20), L(TCP, 34, 20));

	/* a bare header */
	build_ipv4_tcp(&p, 5, 0);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 54, L(ETH, 0, 14), L(IPV4, 14, 20), L(TCP, 34, 20));
}

static void
test_tcp_options(void **state)
{
	(void)state;
	for (unsigned int doff = 6; doff <= 15; doff++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv4_tcp(&p, doff, 0);
		put(&p, 6); /* Ethernet padding */
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 34 + doff * 4, L(ETH, 0, 14), L(IPV4, 14, 20), L(TCP, 34, doff * 4));
	}
}

static void
test_tcp_doff(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	for (uint8_t doff = 0; doff < 5; doff++) {
		build_ipv4_tcp(&p, 5, 40);
		p.b[34 + 12] = (uint8_t)(doff << 4);
		assert_int_equal(parse(&p, &r), FT_DROP_TCP_DOFF);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}

	/* options beyond the IP payload, even when the frame has the bytes */
	build_ipv4_tcp(&p, 5, 3);
	p.b[34 + 12] = 6 << 4;
	put(&p, 20);
	assert_int_equal(parse(&p, &r), FT_DROP_TCP_DOFF);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	p.b[34 + 12] = 15 << 4;
	assert_int_equal(parse(&p, &r), FT_DROP_TCP_DOFF);

	/* just fits */
	build_ipv4_tcp(&p, 5, 4);
	p.b[34 + 12] = 6 << 4;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 58, L(ETH, 0, 14), L(IPV4, 14, 20), L(TCP, 34, 24));
}

static void
test_tcp_trunc(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv4_tcp(&p, 5, 0);
	for (uint32_t n = 0; n < 20; n++) {
		wr16(p.b + 16, 20 + n);
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_TCP);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}
}

static void
test_icmp(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip;

	(void)state;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 1, 5, 0);
	put_icmp(&p, 8);
	put(&p, 4);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 38, L(ETH, 0, 14), L(IPV4, 14, 20), L(ICMP, 34, 4));

	for (uint32_t n = 0; n < 4; n++) {
		wr16(p.b + 16, 20 + n);
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_ICMP);
		EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));
	}
	wr16(p.b + 16, 24);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 38, L(ETH, 0, 14), L(IPV4, 14, 20), L(ICMP, 34, 4));
}

/* ---- IPv6 ---- */

static void
build_ipv6_udp(struct pkt *p, uint32_t dport, uint32_t n)
{
	uint32_t ip, udp;

	p->len = 0;
	put_eth(p, 0x86dd);
	ip = put_ipv6(p, 17);
	udp = put_udp(p, 1, dport);
	put(p, n);
	end_udp(p, udp);
	end_ipv6(p, ip);
}

static void
test_ipv6_udp(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv6_udp(&p, 53, 20);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 62, L(ETH, 0, 14), L(IPV6, 14, 40), L(UDP, 54, 8));
	assert_int_equal(r.flags, 0);

	/* trailing padding */
	put(&p, 10);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 62, L(ETH, 0, 14), L(IPV6, 14, 40), L(UDP, 54, 8));
	wr16(p.b + 58, 38);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
	EXPECT(&r, 54, L(ETH, 0, 14), L(IPV6, 14, 40));

	/* with TCP */
	p.len = 0;
	put_eth(&p, 0x86dd);
	put_ipv6(&p, 6);
	put_tcp(&p, 7);
	end_ipv6(&p, 14);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 82, L(ETH, 0, 14), L(IPV6, 14, 40), L(TCP, 54, 28));
}

static void
test_ipv6_trunc(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv6_udp(&p, 53, 20);
	for (uint32_t n = 14; n < 54; n++) {
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_TRUNC_IPV6);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
	/* a payload length that leaves no room for UDP */
	for (uint32_t n = 0; n < 8; n++) {
		wr16(p.b + 18, n);
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_UDP);
		EXPECT(&r, 54, L(ETH, 0, 14), L(IPV6, 14, 40));
	}
}

static void
test_ipv6_version(void **state)
{
	static const uint8_t bad[] = {0x00, 0x40, 0x70, 0xf6};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv6_udp(&p, 53, 20);
		p.b[14] = bad[i];
		assert_int_equal(parse(&p, &r), FT_DROP_IPV6_VERSION);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
}

static void
test_ipv6_plen(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_ipv6_udp(&p, 53, 20); /* payload length 28 */
	wr16(p.b + 18, 29);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_PLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));
	wr16(p.b + 18, 0xffff);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_PLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));
	for (uint32_t n = 54; n < p.len; n++) {
		wr16(p.b + 18, 28);
		assert_int_equal(parse_cut(&p, n, &r), FT_DROP_IPV6_PLEN);
		EXPECT(&r, 14, L(ETH, 0, 14));
	}
}

static void
test_ipv6_ext_each(void **state)
{
	static const struct {
		uint8_t nh;
		uint8_t len8; /* for 0, 43, 60 */
		uint32_t size;
	} t[] = {{0, 0, 8}, {43, 1, 16}, {60, 2, 24}, {44, 0, 8}, {0, 255, 2048}};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;
		uint32_t ip, udp, l4 = 54 + t[i].size;

		put_eth(&p, 0x86dd);
		ip = put_ipv6(&p, t[i].nh);
		if (t[i].nh == 44)
			put_frag6(&p, 17, 0, 0); /* atomic fragment: not a fragment */
		else
			put_ext6(&p, 17, t[i].len8);
		udp = put_udp(&p, 1, 2);
		put(&p, 5);
		end_udp(&p, udp);
		end_ipv6(&p, ip);
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, l4 + 8, L(ETH, 0, 14), L(IPV6, 14, 40 + t[i].size), L(UDP, l4, 8));
		assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT);

		/* the extension header cut short by the payload length */
		for (uint32_t n = 0; n < t[i].size; n++) {
			wr16(p.b + 18, n);
			assert_int_equal(parse(&p, &r), FT_DROP_IPV6_EXT);
			EXPECT(&r, 14, L(ETH, 0, 14));
			assert_int_equal(r.flags, 0);
		}
	}
}

static void
test_ipv6_ext_chain(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip;

	(void)state;
	/* all four kinds, then TCP */
	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 0);
	put_ext6(&p, 43, 0);
	put_ext6(&p, 60, 1);
	put_ext6(&p, 44, 0);
	put_frag6(&p, 6, 0, 0);
	put_tcp(&p, 5);
	end_ipv6(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 114, L(ETH, 0, 14), L(IPV6, 14, 80), L(TCP, 94, 20));
	assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT);

	/* a chain ending in no next header (59): payload */
	p.b[ip + 40 + 8 + 16 + 8] = 59;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 94, L(ETH, 0, 14), L(IPV6, 14, 80));
}

static void
test_ipv6_ext_max(void **state)
{
	(void)state;
	for (unsigned int n = 1; n <= FT_PARSE_IPV6_EXT_MAX + 1; n++) {
		struct pkt p = {.len = 0};
		struct ft_parse r;
		uint32_t ip, udp;

		put_eth(&p, 0x86dd);
		ip = put_ipv6(&p, 60);
		for (unsigned int i = 0; i < n; i++)
			put_ext6(&p, i + 1 < n ? 60 : 17, 0);
		udp = put_udp(&p, 1, 2);
		end_udp(&p, udp);
		end_ipv6(&p, ip);
		if (n <= FT_PARSE_IPV6_EXT_MAX) {
			assert_int_equal(parse(&p, &r), FT_DROP_NONE);
			EXPECT(&r, 54 + 8 * n + 8, L(ETH, 0, 14), L(IPV6, 14, 40 + 8 * n),
			       L(UDP, 54 + 8 * n, 8));
		} else {
			assert_int_equal(parse(&p, &r), FT_DROP_IPV6_EXT);
			EXPECT(&r, 14, L(ETH, 0, 14));
		}
	}

	/* the same with fragment headers */
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip;

	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 44);
	for (unsigned int i = 0; i < FT_PARSE_IPV6_EXT_MAX; i++)
		put_frag6(&p, 44, 0, 0);
	put_frag6(&p, 59, 0, 0);
	end_ipv6(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_EXT);
	EXPECT(&r, 14, L(ETH, 0, 14));
	/* one fewer is fine */
	p.b[ip + 40 + 8 * (FT_PARSE_IPV6_EXT_MAX - 1)] = 59;
	assert_int_equal(parse_cut(&p, p.len - 8, &r), FT_DROP_IPV6_PLEN);
	wr16(p.b + ip + 4, p.len - 8 - ip - 40);
	assert_int_equal(parse_cut(&p, p.len - 8, &r), FT_DROP_NONE);
	EXPECT(&r, 54 + 8 * FT_PARSE_IPV6_EXT_MAX, L(ETH, 0, 14),
	       L(IPV6, 14, 40 + 8 * FT_PARSE_IPV6_EXT_MAX));
}

static void
test_ipv6_frag_first(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp;

	(void)state;
	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 44);
	put_frag6(&p, 17, 0, 1);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 5);
	put(&p, 40);
	end_ipv6(&p, ip);
	wr16(p.b + udp + 4, 1300); /* the whole datagram's length */
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 70, L(ETH, 0, 14), L(IPV6, 14, 48), L(UDP, 62, 8));
	assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT | FT_PARSE_F_FRAG);

	wr16(p.b + udp + 4, 4);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
	EXPECT(&r, 62, L(ETH, 0, 14), L(IPV6, 14, 48));

	/* an atomic fragment is not a fragment: the UDP length is checked */
	wr16(p.b + udp + 4, 1300);
	for (uint32_t res = 0; res <= 6; res += 2) {
		wr16(p.b + ip + 42, res); /* offset 0, reserved bits, M 0 */
		assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
		EXPECT(&r, 62, L(ETH, 0, 14), L(IPV6, 14, 48));
		assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT);
	}
}

static void
test_ipv6_frag_nonfirst(void **state)
{
	static const uint32_t offsets[] = {1, 185, 0x1fff};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
		for (int more = 0; more <= 1; more++) {
			struct pkt p = {.len = 0};
			struct ft_parse r;
			uint32_t ip;

			put_eth(&p, 0x86dd);
			ip = put_ipv6(&p, 0);
			put_ext6(&p, 44, 0);
			/* next header says hop-by-hop, but what follows is fragment data */
			put_frag6(&p, 0, offsets[i], more);
			put(&p, 3);
			end_ipv6(&p, ip);
			assert_int_equal(parse(&p, &r), FT_DROP_NONE);
			EXPECT(&r, 70, L(ETH, 0, 14), L(IPV6, 14, 56));
			assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT | FT_PARSE_F_FRAG);
		}
	}
}

static void
test_ipv6_other_next(void **state)
{
	static const uint8_t nh[] = {1, 4, 41, 50, 59, 132};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(nh); i++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv6_udp(&p, 53, 20);
		p.b[20] = nh[i];
		assert_int_equal(parse(&p, &r), FT_DROP_NONE);
		EXPECT(&r, 54, L(ETH, 0, 14), L(IPV6, 14, 40));
	}
}

static void
test_icmp6(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip;

	(void)state;
	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 58);
	put_icmp(&p, 135);
	put(&p, 20);
	end_ipv6(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 58, L(ETH, 0, 14), L(IPV6, 14, 40), L(ICMP6, 54, 4));

	for (uint32_t n = 0; n < 4; n++) {
		wr16(p.b + 18, n);
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_ICMP);
		EXPECT(&r, 54, L(ETH, 0, 14), L(IPV6, 14, 40));
	}

	/* behind a hop-by-hop header (MLD) */
	p.len = 0;
	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 0);
	put_ext6(&p, 58, 0);
	put_icmp(&p, 143);
	end_ipv6(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 66, L(ETH, 0, 14), L(IPV6, 14, 48), L(ICMP6, 62, 4));
}

static void
test_icmp_family(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	/* ICMP is IPv4 protocol 1 only, ICMPv6 IPv6 next header 58 only */
	build_ipv4_udp(&p, 1, 20);
	p.b[23] = 58;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));

	build_ipv6_udp(&p, 1, 20);
	p.b[20] = 1;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 54, L(ETH, 0, 14), L(IPV6, 14, 40));
}

/* ---- VXLAN and the inner frame ---- */

static void
test_vxlan(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);
	assert_int_equal(r.flags, 0);

	/* flags other than I are not checked */
	p.b[42] = 0xff;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);
}

static void
test_vxlan_flags(void **state)
{
	static const uint8_t bad[] = {0x00, 0x80, 0xf7, 0x01};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct pkt p;
		struct ft_parse r;

		build_vxlan(&p);
		p.b[42] = bad[i];
		assert_int_equal(parse(&p, &r), FT_DROP_VXLAN_FLAGS);
		EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	}
}

static void
test_vxlan_trunc(void **state)
{
	(void)state;
	for (uint32_t n = 0; n < 8; n++) {
		struct pkt p;
		struct ft_parse r;

		build_ipv4_udp(&p, 4789, n);
		if (n > 0)
			p.b[42] = 0x08;
		assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_VXLAN);
		EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
	}
}

static void
test_vxlan_ports(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);
	wr16(p.b + 36, 8472);

	/* not a VXLAN port by default */
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* configured as the second port */
	cfg.vxlan_ports[1] = 8472;
	cfg.n_vxlan_ports = 2;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);

	/* as the last possible port */
	cfg.vxlan_ports[1] = 0;
	cfg.vxlan_ports[FT_PARSE_VXLAN_PORTS_MAX - 1] = 8472;
	cfg.n_vxlan_ports = FT_PARSE_VXLAN_PORTS_MAX;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);

	/* listed, but beyond n_vxlan_ports */
	cfg.n_vxlan_ports = FT_PARSE_VXLAN_PORTS_MAX - 1;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* an n_vxlan_ports out of range reads no further than the array (UBSan: bounds) */
	cfg.n_vxlan_ports = 200;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);
	cfg.n_vxlan_ports = 255;
	cfg.vxlan_ports[FT_PARSE_VXLAN_PORTS_MAX - 1] = 8473;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* no port at all: 4789 is plain UDP */
	build_vxlan(&p);
	cfg.n_vxlan_ports = 0;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* the source port does not count */
	wr16(p.b + 34, 4789);
	wr16(p.b + 36, 4790);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
}

static void
test_vxlan_not_in_mask(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);
	p.b[42] = 0; /* would be VXLAN_FLAGS */
	cfg.layers &= ~BIT(VXLAN);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	/* inner layers declared without VXLAN are never reached */
	cfg.layers = BIT(ETH) | BIT(IPV4) | BIT(UDP) | BIT(IN_ETH) | BIT(IN_IPV4);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));
}

static void
test_vxlan_ipv6_outer(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp, in_ip;

	(void)state;
	put_eth(&p, 0x86dd);
	ip = put_ipv6(&p, 17);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 0xffffff);
	put_eth(&p, 0x86dd);
	in_ip = put_ipv6(&p, 58);
	put_icmp(&p, 128);
	put(&p, 8);
	end_ipv6(&p, in_ip);
	end_udp(&p, udp);
	end_ipv6(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 128, L(ETH, 0, 14), L(IPV6, 14, 40), L(UDP, 54, 8), L(VXLAN, 62, 8),
	       L(IN_ETH, 70, 14), L(IN_IPV6, 84, 40), L(IN_ICMP6, 124, 4));
	assert_int_equal(r.flags, 0);
}

static void
test_vxlan_inner_vlan_tcp(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp, in_ip;

	(void)state;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 7);
	put_eth(&p, 0x8100);
	put_vlan(&p, 10, 0x0800);
	in_ip = put_ipv4(&p, 6, 5, 0);
	put_tcp(&p, 6);
	put(&p, 9);
	end_ipv4(&p, in_ip);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 112, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_VLAN0, 64, 4), L(IN_IPV4, 68, 20), L(IN_TCP, 88, 24));

	/* two inner tags */
	p.len = 0;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 7);
	put_eth(&p, 0x88a8);
	put_vlan(&p, 10, 0x8100);
	put_vlan(&p, 11, 0x8100);
	put_vlan(&p, 12, 0x0800);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 72, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_VLAN0, 64, 4), L(IN_VLAN1, 68, 4));
}

static void
test_vxlan_inner_arp(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp;

	(void)state;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 7);
	put_eth(&p, 0x0806);
	put_arp(&p, 1, 0x0800, 6, 4);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 92, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_ARP, 64, 28));

	/* truncated by the outer lengths, with the frame still holding the bytes */
	wr16(p.b + ip + 2, 20 + 8 + 8 + 14 + 27);
	wr16(p.b + udp + 4, 8 + 8 + 14 + 27);
	assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_ARP);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));
}

static void
test_vxlan_no_nesting(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp, in_ip, in_udp;

	(void)state;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 1);
	put_eth(&p, 0x0800);
	in_ip = put_ipv4(&p, 17, 5, 0);
	in_udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x00, 2); /* not parsed, so no VXLAN_FLAGS */
	put_eth(&p, 0x0800);
	end_udp(&p, in_udp);
	end_ipv4(&p, in_ip);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);
}

static void
test_vxlan_inner_errors(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);
	p.b[64] = 0x55;
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_VERSION);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));

	build_vxlan(&p);
	p.b[64] = 0x44;
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_IHL);

	build_vxlan(&p);
	wr16(p.b + 64 + 2, 45);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));

	build_vxlan(&p);
	wr16(p.b + 84 + 4, 23);
	assert_int_equal(parse(&p, &r), FT_DROP_UDP_LEN);
	EXPECT(&r, 84, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 20));

	build_vxlan(&p);
	p.b[64 + 9] = 6; /* TCP, with 24 bytes of IP payload */
	p.b[84 + 12] = 0x60;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 108, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 20), L(IN_TCP, 84, 24));
	p.b[84 + 12] = 0x70;
	assert_int_equal(parse(&p, &r), FT_DROP_TCP_DOFF);
	EXPECT(&r, 84, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 20));
	wr16(p.b + 64 + 2, 20 + 19);
	assert_int_equal(parse(&p, &r), FT_DROP_TRUNC_TCP);

	build_vxlan(&p);
	p.b[64 + 9] = 1;
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 88, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 20), L(IN_ICMP, 84, 4));

	/* inner IPv6 with a bad version */
	build_vxlan(&p);
	wr16(p.b + 50 + 12, 0x86dd);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_VERSION);
	/* ... and with a payload length beyond the outer UDP payload */
	p.b[64] = 0x60;
	wr16(p.b + 64 + 4, 5);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_PLEN);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));
}

static void
test_vxlan_inner_flags(void **state)
{
	struct pkt p = {.len = 0};
	struct ft_parse r;
	uint32_t ip, udp, in_ip;

	(void)state;
	/* inner IPv4 with options, first fragment */
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 1);
	put_eth(&p, 0x0800);
	in_ip = put_ipv4(&p, 17, 7, 0x2000);
	put_udp(&p, 1, 2);
	end_ipv4(&p, in_ip);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	wr16(p.b + in_ip + 28 + 4, 999);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 100, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 28), L(IN_UDP, 92, 8));
	assert_int_equal(r.flags, FT_PARSE_F_IN_IPV4_OPT | FT_PARSE_F_IN_FRAG);

	/* inner IPv6 with a routing header, non-first fragment */
	p.len = 0;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 6, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 1);
	put_eth(&p, 0x86dd);
	in_ip = put_ipv6(&p, 43);
	put_ext6(&p, 44, 1);
	put_frag6(&p, 17, 100, 1);
	put(&p, 30);
	end_ipv6(&p, in_ip);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 132, L(ETH, 0, 14), L(IPV4, 14, 24), L(UDP, 38, 8), L(VXLAN, 46, 8),
	       L(IN_ETH, 54, 14), L(IN_IPV6, 68, 64));
	assert_int_equal(r.flags,
	                 FT_PARSE_F_IPV4_OPT | FT_PARSE_F_IN_IPV6_EXT | FT_PARSE_F_IN_FRAG);

	/* a too long inner chain */
	p.len = 0;
	put_eth(&p, 0x0800);
	ip = put_ipv4(&p, 17, 5, 0);
	udp = put_udp(&p, 1, 4789);
	put_vxlan(&p, 0x08, 1);
	put_eth(&p, 0x86dd);
	in_ip = put_ipv6(&p, 0);
	for (unsigned int i = 0; i <= FT_PARSE_IPV6_EXT_MAX; i++)
		put_ext6(&p, 0, 0);
	end_ipv6(&p, in_ip);
	end_udp(&p, udp);
	end_ipv4(&p, ip);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV6_EXT);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));
	assert_int_equal(r.flags, 0);
}

static void
test_vxlan_outer_padding(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	/* the inner frame ends with the outer UDP payload, not with the frame */
	build_vxlan(&p);
	put(&p, 12);
	assert_int_equal(parse(&p, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);
	wr16(p.b + 64 + 2, 44 + 12);
	assert_int_equal(parse(&p, &r), FT_DROP_IPV4_TOTLEN);
}

static void
test_vxlan_inner_mask(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);
	cfg.layers = FT_LAYERS_ALL & ~BIT(IN_ETH);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 50, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8));

	cfg.layers = FT_LAYERS_ALL & ~BIT(IN_IPV4);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 64, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14));

	cfg.layers = FT_LAYERS_ALL & ~BIT(IN_UDP);
	wr16(p.b + 84 + 4, 3); /* not looked at */
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 84, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8), L(VXLAN, 42, 8),
	       L(IN_ETH, 50, 14), L(IN_IPV4, 64, 20));
}

/* ---- the layer mask ---- */

static void
test_mask_stops_at_ipv4(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p;
	struct ft_parse r;

	(void)state;
	cfg.layers = BIT(ETH) | BIT(IPV4);
	build_vxlan(&p);
	wr16(p.b + 38, 3); /* a bad UDP length is payload now */
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 34, L(ETH, 0, 14), L(IPV4, 14, 20));

	/* IPv4 is still checked */
	wr16(p.b + 16, 200);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_IPV4_TOTLEN);
	EXPECT(&r, 14, L(ETH, 0, 14));

	/* IPv6 is not declared */
	build_ipv6_udp(&p, 1, 1);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));
}

static void
test_mask_edges(void **state)
{
	struct ft_parse_cfg cfg = dflt;
	struct pkt p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&p);

	/* nothing declared: everything is payload, even a runt */
	cfg.layers = 0;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT_NOTHING(&r);
	assert_int_equal(run(&cfg, p.b, 3, &r), FT_DROP_NONE);
	EXPECT_NOTHING(&r);

	/* bits beyond the layers are ignored */
	cfg.layers = 0xffffffffu;
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT(&r, 92, VXLAN_LAYERS);

	/* inner layers only: nothing, since the parse starts at the outer Ethernet */
	cfg.layers = FT_LAYERS_ALL & ~((1u << FT_L_IN_ETH) - 1);
	assert_int_equal(run(&cfg, p.b, p.len, &r), FT_DROP_NONE);
	EXPECT_NOTHING(&r);
}

/* ---- truncation everywhere ---- */

/*
 * Every prefix of the VXLAN packet, three ways: as cut (the outer IPv4 total
 * length then claims more than there is), with the outer IPv4 and UDP
 * lengths set to match the cut (so the cut reaches the inner layers), and
 * with the inner lengths set to match as well.
 */
static void
test_trunc_exhaustive(void **state)
{
	/* each layer: its start, its end, the reason for a cut inside it */
	static const struct {
		enum ft_layer layer;
		uint32_t start, end;
		unsigned int trunc;
	} t[] = {
	        {FT_L_ETH, 0, 14, FT_DROP_TRUNC_ETH},
	        {FT_L_IPV4, 14, 34, FT_DROP_TRUNC_IPV4},
	        {FT_L_UDP, 34, 42, FT_DROP_TRUNC_UDP},
	        {FT_L_VXLAN, 42, 50, FT_DROP_TRUNC_VXLAN},
	        {FT_L_IN_ETH, 50, 64, FT_DROP_TRUNC_ETH},
	        {FT_L_IN_IPV4, 64, 84, FT_DROP_TRUNC_IPV4},
	        {FT_L_IN_UDP, 84, 92, FT_DROP_TRUNC_UDP},
	};
	struct pkt full, p;
	struct ft_parse r;

	(void)state;
	build_vxlan(&full);
	for (int fix = 0; fix < 3; fix++) {
		for (uint32_t cut = 0; cut <= full.len; cut++) {
			unsigned int want = FT_DROP_NONE, ret;
			uint32_t present = 0, payload = 0;

			p = full;
			if (fix >= 1) {
				wr16(p.b + 14 + 2, cut > 14 ? cut - 14 : 0);
				wr16(p.b + 34 + 4, cut > 34 ? cut - 34 : 0);
			}
			if (fix >= 2) {
				wr16(p.b + 64 + 2, cut > 64 ? cut - 64 : 0);
				wr16(p.b + 84 + 4, cut > 84 ? cut - 84 : 0);
			}
			for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
				if (cut < t[i].end) {
					want = t[i].trunc;
					break;
				}
				present |= FT_LAYER_BIT(t[i].layer);
				payload = t[i].end;
			}
			/* a cut in an IPv4 payload whose total length says otherwise */
			if (fix == 0 && cut >= 34 && cut < full.len) {
				want = FT_DROP_IPV4_TOTLEN;
				present = BIT(ETH);
				payload = 14;
			} else if (fix == 1 && cut >= 84 && cut < full.len) {
				want = FT_DROP_IPV4_TOTLEN;
				present &= ~BIT(IN_IPV4) & ~BIT(IN_UDP);
				payload = 64;
			}

			ret = parse_cut(&p, cut, &r);
			if (ret != want || r.present != present || r.payload != payload)
				print_error("fix %d cut %u: got %s present %#x payload %u\n", fix,
				            cut, ft_drop_name(ret), r.present, r.payload);
			assert_int_equal(ret, want);
			assert_int_equal(r.present, present);
			assert_int_equal(r.payload, payload);
			for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
				if (!(present & FT_LAYER_BIT(t[i].layer)))
					continue;
				assert_int_equal(r.off[t[i].layer], t[i].start);
				assert_int_equal(r.len[t[i].layer], t[i].end - t[i].start);
			}
		}
	}
}

#define SAMPLES_MAX 12

/* Sample packets, one of each kind; returns how many. */
static size_t
build_samples(struct pkt *pkts)
{
	struct pkt *p;
	size_t n = 0;
	uint32_t ip, udp, in_ip;

	build_vxlan(&pkts[n++]);
	build_ipv4_tcp(&pkts[n++], 8, 10);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x88a8);
	put_vlan(p, 1, 0x8100);
	put_vlan(p, 2, 0x0806);
	put_arp(p, 1, 0x0800, 6, 4);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x86dd);
	ip = put_ipv6(p, 0);
	put_ext6(p, 43, 1);
	put_ext6(p, 60, 0);
	put_frag6(p, 17, 0, 0);
	udp = put_udp(p, 1, 4789);
	put_vxlan(p, 0x08, 3);
	put_eth(p, 0x8100);
	put_vlan(p, 5, 0x86dd);
	in_ip = put_ipv6(p, 58);
	put_icmp(p, 1);
	end_ipv6(p, in_ip);
	end_udp(p, udp);
	end_ipv6(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 1, 8, 0);
	put_icmp(p, 0);
	end_ipv4(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x8100);
	put_vlan(p, 9, 0x86dd);
	ip = put_ipv6(p, 58);
	put_icmp(p, 128);
	put(p, 12);
	end_ipv6(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 17, 5, 0);
	udp = put_udp(p, 1, 4789);
	put_vxlan(p, 0x08, 3);
	put_eth(p, 0x8100);
	put_vlan(p, 5, 0x8100);
	put_vlan(p, 6, 0x0800);
	in_ip = put_ipv4(p, 6, 6, 0);
	put_tcp(p, 7);
	end_ipv4(p, in_ip);
	end_udp(p, udp);
	end_ipv4(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x86dd);
	ip = put_ipv6(p, 17);
	udp = put_udp(p, 1, 4789);
	put_vxlan(p, 0x08, 3);
	put_eth(p, 0x0806);
	put_arp(p, 1, 0x0800, 6, 4);
	end_udp(p, udp);
	end_ipv6(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x0800);
	ip = put_ipv4(p, 17, 5, 0);
	udp = put_udp(p, 1, 4789);
	put_vxlan(p, 0x08, 3);
	put_eth(p, 0x0800);
	in_ip = put_ipv4(p, 1, 5, 0);
	put_icmp(p, 8);
	end_ipv4(p, in_ip);
	end_udp(p, udp);
	end_ipv4(p, ip);

	p = &pkts[n++];
	p->len = 0;
	put_eth(p, 0x86dd);
	ip = put_ipv6(p, 6);
	put_tcp(p, 5);
	end_ipv6(p, ip);

	assert_true(n <= SAMPLES_MAX);
	return n;
}

/*
 * Every prefix of the sample packets: the layers found in a prefix are
 * layers of the whole packet, at the same place.
 */
static void
test_prefixes(void **state)
{
	struct pkt *pkts = calloc(SAMPLES_MAX, sizeof(*pkts));
	uint32_t seen = 0;
	size_t n;

	(void)state;
	assert_non_null(pkts);
	n = build_samples(pkts);
	for (size_t i = 0; i < n; i++) {
		struct ft_parse whole, r;

		assert_int_equal(parse(&pkts[i], &whole), FT_DROP_NONE);
		seen |= whole.present;
		for (uint32_t cut = 0; cut < pkts[i].len; cut++) {
			assert_int_not_equal(parse_cut(&pkts[i], cut, &r), FT_DROP_NONE);
			assert_int_equal(r.present & ~whole.present, 0);
			for (unsigned int l = 0; l < FT_L_COUNT; l++) {
				if (!(r.present & FT_LAYER_BIT(l)))
					continue;
				assert_int_equal(r.off[l], whole.off[l]);
				assert_int_equal(r.len[l], whole.len[l]);
			}
		}
	}
	/* the samples have every layer */
	assert_int_equal(seen, FT_LAYERS_ALL);
	free(pkts);
}

/*
 * Each layer of each sample packet left out of the mask in turn: the parse
 * stops right before it, without an error.
 */
static void
test_mask_each_layer(void **state)
{
	struct pkt *pkts = calloc(SAMPLES_MAX, sizeof(*pkts));
	size_t n;

	(void)state;
	assert_non_null(pkts);
	n = build_samples(pkts);
	for (size_t i = 0; i < n; i++) {
		struct ft_parse whole, r;

		assert_int_equal(parse(&pkts[i], &whole), FT_DROP_NONE);
		for (unsigned int l = 0; l < FT_L_COUNT; l++) {
			struct ft_parse_cfg cfg = dflt;

			if (!(whole.present & FT_LAYER_BIT(l)))
				continue;
			cfg.layers &= ~FT_LAYER_BIT(l);
			assert_int_equal(run(&cfg, pkts[i].b, pkts[i].len, &r), FT_DROP_NONE);
			assert_int_equal(r.present, whole.present & (FT_LAYER_BIT(l) - 1));
			assert_int_equal(r.payload, whole.off[l]);
			assert_int_equal(r.flags & ~whole.flags, 0);
		}
	}
	free(pkts);
}

/* ---- the output ---- */

static void
test_out_reset(void **state)
{
	struct pkt p;
	struct ft_parse r;

	(void)state;
	/* each parse starts afresh: nothing is left from the one before */
	build_vxlan(&p);
	assert_int_equal(ft_parse(&dflt, p.b, p.len, &r), FT_DROP_NONE);
	p.b[42] = 0;
	assert_int_equal(ft_parse(&dflt, p.b, p.len, &r), FT_DROP_VXLAN_FLAGS);
	assert_int_equal(r.drop, FT_DROP_VXLAN_FLAGS);
	EXPECT(&r, 42, L(ETH, 0, 14), L(IPV4, 14, 20), L(UDP, 34, 8));

	build_ipv4_udp(&p, 1, 1);
	wr16(p.b + 20, 0x2000);
	assert_int_equal(ft_parse(&dflt, p.b, p.len, &r), FT_DROP_NONE);
	assert_int_equal(r.drop, FT_DROP_NONE);
	assert_int_equal(r.flags, FT_PARSE_F_FRAG);

	assert_int_equal(ft_parse(&dflt, p.b, 10, &r), FT_DROP_TRUNC_ETH);
	assert_int_equal(r.drop, FT_DROP_TRUNC_ETH);
	assert_int_equal(r.flags, 0);
	EXPECT_NOTHING(&r);

	assert_int_equal(ft_parse(&dflt, p.b, p.len, &r), FT_DROP_NONE);
	assert_int_equal(r.drop, FT_DROP_NONE);
}

static void
test_long_packet(void **state)
{
	uint32_t len = 70000;
	uint8_t *b = calloc(len, 1);
	struct ft_parse r;

	(void)state;
	assert_non_null(b);
	/* an unknown EtherType: the rest is payload */
	wr16(b + 12, 0x1234);
	assert_int_equal(ft_parse(&dflt, b, len, &r), FT_DROP_NONE);
	EXPECT(&r, 14, L(ETH, 0, 14));

	/* the largest IPv4 packet, fully there */
	wr16(b + 12, 0x0800);
	b[14] = 0x45;
	wr16(b + 16, 0xffff);
	b[23] = 6;
	b[34 + 12] = 0x50;
	assert_int_equal(ft_parse(&dflt, b, len, &r), FT_DROP_NONE);
	EXPECT(&r, 54, L(ETH, 0, 14), L(IPV4, 14, 20), L(TCP, 34, 20));
	free(b);
}

static void
test_largest_headers(void **state)
{
	struct pkt *p = calloc(1, sizeof(*p));
	struct ft_parse r;
	uint32_t ip, udp, in_ip, ext = FT_PARSE_IPV6_EXT_MAX * 2048;

	(void)state;
	assert_non_null(p);
	/* the longest chains of the longest headers still have 16-bit offsets */
	put_eth(p, 0x8100);
	put_vlan(p, 1, 0x8100);
	put_vlan(p, 2, 0x86dd);
	ip = put_ipv6(p, 0);
	for (unsigned int i = 0; i < FT_PARSE_IPV6_EXT_MAX; i++)
		put_ext6(p, i + 1 < FT_PARSE_IPV6_EXT_MAX ? 60 : 17, 255);
	udp = put_udp(p, 1, 4789);
	put_vxlan(p, 0x08, 1);
	put_eth(p, 0x88a8);
	put_vlan(p, 1, 0x8100);
	put_vlan(p, 2, 0x86dd);
	in_ip = put_ipv6(p, 60);
	for (unsigned int i = 0; i < FT_PARSE_IPV6_EXT_MAX; i++)
		put_ext6(p, i + 1 < FT_PARSE_IPV6_EXT_MAX ? 43 : 6, 255);
	put_tcp(p, 15);
	end_ipv6(p, in_ip);
	end_udp(p, udp);
	end_ipv6(p, ip);
	assert_int_equal(parse(p, &r), FT_DROP_NONE);
	EXPECT(&r, 2 * (22 + 40 + ext) + 16 + 60, L(ETH, 0, 14), L(VLAN0, 14, 4), L(VLAN1, 18, 4),
	       L(IPV6, 22, 40 + ext), L(UDP, 62 + ext, 8), L(VXLAN, 70 + ext, 8),
	       L(IN_ETH, 78 + ext, 14), L(IN_VLAN0, 92 + ext, 4), L(IN_VLAN1, 96 + ext, 4),
	       L(IN_IPV6, 100 + ext, 40 + ext), L(IN_TCP, 140 + 2 * ext, 60));
	assert_int_equal(r.flags, FT_PARSE_F_IPV6_EXT | FT_PARSE_F_IN_IPV6_EXT);
	free(p);
}

/* ft_hex_decode(): packet bytes as the tools take them. */
static void
test_hex_decode(void **state)
{
	uint8_t b[4];

	(void)state;
	assert_int_equal(ft_hex_decode("0a:0B 1f\n20", b, sizeof(b)), 4);
	assert_int_equal(b[0], 0x0a);
	assert_int_equal(b[1], 0x0b);
	assert_int_equal(b[2], 0x1f);
	assert_int_equal(b[3], 0x20);
	assert_int_equal(ft_hex_decode("", b, sizeof(b)), 0);
	assert_int_equal(ft_hex_decode("0a0", b, sizeof(b)), -1);	  /* odd */
	assert_int_equal(ft_hex_decode("0x0a", b, sizeof(b)), -1);	  /* 'x' */
	assert_int_equal(ft_hex_decode("0102030405", b, sizeof(b)), -1); /* too long */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_hex_decode),
	        cmocka_unit_test(test_cfg_default),
	        cmocka_unit_test(test_layer_tables),
	        cmocka_unit_test(test_proto_tables),
	        cmocka_unit_test(test_eth_only),
	        cmocka_unit_test(test_eth_trunc),
	        cmocka_unit_test(test_vlan_one),
	        cmocka_unit_test(test_vlan_two),
	        cmocka_unit_test(test_vlan_qinq),
	        cmocka_unit_test(test_vlan_three),
	        cmocka_unit_test(test_vlan_trunc),
	        cmocka_unit_test(test_vlan_mask),
	        cmocka_unit_test(test_arp_request),
	        cmocka_unit_test(test_arp_other),
	        cmocka_unit_test(test_arp_trunc),
	        cmocka_unit_test(test_ipv4_udp),
	        cmocka_unit_test(test_ipv4_options),
	        cmocka_unit_test(test_ipv4_trunc),
	        cmocka_unit_test(test_ipv4_version),
	        cmocka_unit_test(test_ipv4_ihl),
	        cmocka_unit_test(test_ipv4_totlen),
	        cmocka_unit_test(test_ipv4_frag_first),
	        cmocka_unit_test(test_ipv4_frag_nonfirst),
	        cmocka_unit_test(test_ipv4_df),
	        cmocka_unit_test(test_ipv4_other_proto),
	        cmocka_unit_test(test_udp_len),
	        cmocka_unit_test(test_udp_trunc),
	        cmocka_unit_test(test_tcp),
	        cmocka_unit_test(test_tcp_options),
	        cmocka_unit_test(test_tcp_doff),
	        cmocka_unit_test(test_tcp_trunc),
	        cmocka_unit_test(test_icmp),
	        cmocka_unit_test(test_ipv6_udp),
	        cmocka_unit_test(test_ipv6_trunc),
	        cmocka_unit_test(test_ipv6_version),
	        cmocka_unit_test(test_ipv6_plen),
	        cmocka_unit_test(test_ipv6_ext_each),
	        cmocka_unit_test(test_ipv6_ext_chain),
	        cmocka_unit_test(test_ipv6_ext_max),
	        cmocka_unit_test(test_ipv6_frag_first),
	        cmocka_unit_test(test_ipv6_frag_nonfirst),
	        cmocka_unit_test(test_ipv6_other_next),
	        cmocka_unit_test(test_icmp6),
	        cmocka_unit_test(test_icmp_family),
	        cmocka_unit_test(test_vxlan),
	        cmocka_unit_test(test_vxlan_flags),
	        cmocka_unit_test(test_vxlan_trunc),
	        cmocka_unit_test(test_vxlan_ports),
	        cmocka_unit_test(test_vxlan_not_in_mask),
	        cmocka_unit_test(test_vxlan_ipv6_outer),
	        cmocka_unit_test(test_vxlan_inner_vlan_tcp),
	        cmocka_unit_test(test_vxlan_inner_arp),
	        cmocka_unit_test(test_vxlan_no_nesting),
	        cmocka_unit_test(test_vxlan_inner_errors),
	        cmocka_unit_test(test_vxlan_inner_flags),
	        cmocka_unit_test(test_vxlan_outer_padding),
	        cmocka_unit_test(test_vxlan_inner_mask),
	        cmocka_unit_test(test_mask_stops_at_ipv4),
	        cmocka_unit_test(test_mask_edges),
	        cmocka_unit_test(test_trunc_exhaustive),
	        cmocka_unit_test(test_prefixes),
	        cmocka_unit_test(test_mask_each_layer),
	        cmocka_unit_test(test_out_reset),
	        cmocka_unit_test(test_long_packet),
	        cmocka_unit_test(test_largest_headers),
	};

	ft_parse_cfg_default(&dflt);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
