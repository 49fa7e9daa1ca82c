/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the packet parser (model/parse.c). Each input is
 * parsed twice: whole, with the default configuration; and, after its first
 * CFG_BYTES bytes, with a configuration made of those bytes (layer mask,
 * number of VXLAN ports, first port). Every result is checked against what
 * parse.h promises for any input: the return value is out->drop and a
 * reason the parser can give; only declared layers are present, each of a
 * length its protocol allows, in an order the parse graph allows; they
 * follow one another from offset 0 and lie within the input; the payload
 * starts where the last one ends. A third parse, declaring exactly the
 * layers the first one found, must find them again. AddressSanitizer
 * catches any read outside the input (libFuzzer hands it over in a buffer
 * of exactly its size). Test code, not library code: a broken promise
 * aborts.
 *
 * Quick run (the 'fuzz' test suite, 30 seconds):
 *
 *	CC=clang meson setup /tmp/build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
 *		-Db_lundef=false
 *	ninja -C /tmp/build-fuzz tests/fuzz/fuzz_parse
 *	meson test -C /tmp/build-fuzz --suite fuzz
 *
 * Longer run (10 minutes; new inputs go to the first directory, the seeds
 * in the second are only read; a crash is written as crash-<sha1> in the
 * current directory and replayed by passing that file as the only argument):
 *
 *	mkdir -p /tmp/fuzz-parse
 *	/tmp/build-fuzz/tests/fuzz/fuzz_parse -max_total_time=600 -max_len=4096 \
 *		/tmp/fuzz-parse tests/fuzz/corpus/parse
 *
 * The seed corpus is written by tests/fuzz/make_corpus.py.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/drop.h>
#include <flowtwin/parse.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes at the start of an input that make the second configuration. */
#define CFG_BYTES 7

#define BIT(l) FT_LAYER_BIT(FT_L_##l)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: broken: %s\n", __FILE__, __LINE__, #cond);         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

#define F_ALL                                                                                      \
	(FT_PARSE_F_FRAG | FT_PARSE_F_IPV6_EXT | FT_PARSE_F_IN_FRAG | FT_PARSE_F_IN_IPV6_EXT |     \
	 FT_PARSE_F_IPV4_OPT | FT_PARSE_F_IN_IPV4_OPT)

static int
one_of(uint32_t present, uint32_t set)
{
	uint32_t m = present & set;

	return (m & (m - 1)) == 0;
}

/* The length a layer may have. */
static int
len_ok(enum ft_layer l, uint32_t len)
{
	switch (ft_layer_proto(l)) {
	case FT_PROTO_IPV4:
		return len >= 20 && len <= 60 && len % 4 == 0;
	case FT_PROTO_IPV6:
		return len >= 40 && len % 8 == 0 && len <= 40 + FT_PARSE_IPV6_EXT_MAX * 2048;
	case FT_PROTO_TCP:
		return len >= 20 && len <= 60 && len % 4 == 0;
	default:
		return len == ft_proto_size(ft_layer_proto(l));
	}
}

/* Which layers may be found together: the shape of the parse graph. */
static void
check_graph(uint32_t p, uint16_t flags, unsigned int inner)
{
	uint32_t b = inner ? FT_L_IN_ETH : 0;
	uint32_t vlan0 = FT_LAYER_BIT(b + FT_L_VLAN0), vlan1 = FT_LAYER_BIT(b + FT_L_VLAN1);
	uint32_t arp = FT_LAYER_BIT(b + FT_L_ARP), ip4 = FT_LAYER_BIT(b + FT_L_IPV4);
	uint32_t ip6 = FT_LAYER_BIT(b + FT_L_IPV6), udp = FT_LAYER_BIT(b + FT_L_UDP);
	uint32_t tcp = FT_LAYER_BIT(b + FT_L_TCP), icmp = FT_LAYER_BIT(b + FT_L_ICMP);
	uint32_t icmp6 = FT_LAYER_BIT(b + FT_L_ICMP6), eth = FT_LAYER_BIT(b + FT_L_ETH);
	uint32_t all = ((1u << FT_L_IN_ETH) - 1) << b;
	uint32_t f_frag = inner ? FT_PARSE_F_IN_FRAG : FT_PARSE_F_FRAG;
	uint32_t f_ext = inner ? FT_PARSE_F_IN_IPV6_EXT : FT_PARSE_F_IPV6_EXT;
	uint32_t f_opt = inner ? FT_PARSE_F_IN_IPV4_OPT : FT_PARSE_F_IPV4_OPT;

	CHECK(!(p & all) || (p & eth));
	CHECK(!(p & vlan1) || (p & vlan0));
	CHECK(one_of(p, arp | ip4 | ip6));
	CHECK(one_of(p, udp | tcp | icmp | icmp6));
	CHECK(!(p & (udp | tcp)) || (p & (ip4 | ip6)));
	CHECK(!(p & icmp) || (p & ip4));
	CHECK(!(p & icmp6) || (p & ip6));
	CHECK(!(flags & f_opt) || (p & ip4));
	CHECK(!(flags & f_ext) || (p & ip6));
	CHECK(!(flags & f_frag) || (p & (ip4 | ip6)));
}

static void
check(const struct ft_parse_cfg *cfg, const uint8_t *data, size_t size, const struct ft_parse *r,
      unsigned int ret)
{
	uint32_t end = 0;

	CHECK(ret == r->drop);
	CHECK(ret == FT_DROP_NONE || (ret >= FT_DROP_TRUNC_ETH && ret <= FT_DROP_VXLAN_FLAGS));
	CHECK((r->present & ~(cfg->layers & FT_LAYERS_ALL)) == 0);
	CHECK((r->flags & ~F_ALL) == 0);
	for (unsigned int l = 0; l < FT_L_COUNT; l++) {
		if (!(r->present & FT_LAYER_BIT(l)))
			continue;
		CHECK(r->off[l] == end);
		CHECK(len_ok(l, r->len[l]));
		end += r->len[l];
		CHECK(end <= size);
	}
	CHECK(r->payload == end);

	check_graph(r->present, r->flags, 0);
	check_graph(r->present, r->flags, 1);
	CHECK(!(r->present & BIT(VXLAN)) || (r->present & BIT(UDP)));
	CHECK(!(r->present >> FT_L_IN_ETH) || (r->present & BIT(VXLAN)));
	CHECK(!(r->flags &
	        (FT_PARSE_F_IN_FRAG | FT_PARSE_F_IN_IPV6_EXT | FT_PARSE_F_IN_IPV4_OPT)) ||
	      (r->present & BIT(VXLAN)));
	/* a fragment has no VXLAN */
	CHECK(!(r->flags & FT_PARSE_F_FRAG) || !(r->present & BIT(VXLAN)));
	if (r->present & BIT(VXLAN))
		CHECK(data[r->off[FT_L_VXLAN]] & 0x08);

	/* declaring exactly the layers found finds them again */
	if (ret == FT_DROP_NONE) {
		struct ft_parse_cfg again = *cfg;
		struct ft_parse r2;

		again.layers = r->present;
		CHECK(ft_parse(&again, data, (uint32_t)size, &r2) == FT_DROP_NONE);
		CHECK(r2.present == r->present && r2.payload == r->payload && r2.flags == r->flags);
	}
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ft_parse_cfg cfg;
	struct ft_parse r;
	unsigned int ret;

	if (size > UINT32_MAX)
		return 0;
	ft_parse_cfg_default(&cfg);
	ret = ft_parse(&cfg, data, (uint32_t)size, &r);
	check(&cfg, data, size, &r, ret);

	if (size < CFG_BYTES)
		return 0;
	/* mask, port count (up to two beyond the array: they must be ignored), first port */
	cfg.layers = rd32(data);
	cfg.n_vxlan_ports = (uint8_t)(data[4] % (FT_PARSE_VXLAN_PORTS_MAX + 3));
	cfg.vxlan_ports[0] = (uint16_t)(data[5] << 8 | data[6]);
	for (unsigned int i = 1; i < FT_PARSE_VXLAN_PORTS_MAX; i++)
		cfg.vxlan_ports[i] = (uint16_t)(FT_VXLAN_PORT_DEFAULT + i);
	ret = ft_parse(&cfg, data + CFG_BYTES, (uint32_t)(size - CFG_BYTES), &r);
	check(&cfg, data + CFG_BYTES, size - CFG_BYTES, &r, ret);
	return 0;
}
