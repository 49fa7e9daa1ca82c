/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the rule printers (offload/flow_text.c, include/flowtwin/
 * flow_text.h).
 *
 * A set of rules, built here as rte_flow's own types, uses every item and
 * action the printer supports with every field testpmd can express: full,
 * partial and range matches, VXLAN decap and encap through 'set vxlan',
 * 'set vxlan-with-vlan', 'set vxlan-tos-ttl' and 'set raw_encap', raw
 * decap, VLAN pop/push/set, tags, metadata, marks, integrity, and transfer
 * rules on represented ports. Their testpmd text must equal
 * tests/offload/golden/basic.txt; the 'testpmd_syntax' test then proves that
 * dpdk-testpmd parses all of it. The JSON of a few rules is checked field by
 * field, and every refusal (-ENOTSUP, -EINVAL) is checked with its error.
 *
 * FT_GOLDEN_UPDATE=1 rewrites the golden file from the printer instead of
 * comparing (review the diff before committing it). The source tree is
 * $FT_SOURCE_ROOT (meson sets it), else ".".
 *
 * test_checker_fails proves the syntax oracle can fail: it runs
 * tests/offload/testpmd_check.sh on deliberately broken lines (a bad 'flow
 * create', a bad 'set raw_encap', a bad 'set vxlan') and wants each
 * rejected with the line named; it is skipped without dpdk-testpmd.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_ethdev.h>

#include <flowtwin/flow_text.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char root[4096];

static int
find_root(void **state)
{
	const char *r = getenv("FT_SOURCE_ROOT");

	(void)state;
	snprintf(root, sizeof(root), "%s", r != NULL && r[0] != '\0' ? r : ".");
	return 0;
}

/* --- Building blocks ------------------------------------------------------------------ */

#define MAC(a, b, c, d, e, f)                                                                      \
	{                                                                                          \
		.addr_bytes = { a, b, c, d, e, f }                                                 \
	}
#define IP4(a, b, c, d) RTE_BE32(((uint32_t)(a) << 24) | ((b) << 16) | ((c) << 8) | (d))
#define V6(last)                                                                                   \
	{                                                                                          \
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last                      \
	}

#define ITEM(t, s, m)                                                                              \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_##t, .spec = s, .mask = m                               \
	}
#define ITEM_RANGE(t, s, l, m)                                                                     \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_##t, .spec = s, .last = l, .mask = m                    \
	}
#define END_ITEM                                                                                   \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_END                                                     \
	}
#define ACT(t, c)                                                                                  \
	{                                                                                          \
		.type = RTE_FLOW_ACTION_TYPE_##t, .conf = c                                        \
	}
#define END_ACT                                                                                    \
	{                                                                                          \
		.type = RTE_FLOW_ACTION_TYPE_END                                                   \
	}

static const struct rte_ether_addr mac_a = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55);
static const struct rte_ether_addr mac_b = MAC(0x02, 0x00, 0x00, 0x00, 0x00, 0x0b);

/* Header bytes ETH / [VLAN] / IPv4|IPv6 / UDP / VXLAN as a VTEP sends them. */
static size_t
vxlan_header(uint8_t *b, bool vlan, bool v6, uint32_t vni)
{
	struct rte_ether_hdr *eth = (void *)b;
	size_t off = sizeof(*eth);

	memset(b, 0, 128);
	eth->dst_addr = mac_b;
	eth->src_addr = mac_a;
	if (vlan) {
		struct rte_vlan_hdr *vh = (void *)(b + off);

		eth->ether_type = RTE_BE16(0x8100);
		vh->vlan_tci = RTE_BE16(0x2064); /* pcp 1, vid 100 */
		vh->eth_proto = v6 ? RTE_BE16(0x86dd) : RTE_BE16(0x0800);
		off += sizeof(*vh);
	} else {
		eth->ether_type = v6 ? RTE_BE16(0x86dd) : RTE_BE16(0x0800);
	}
	if (v6) {
		struct rte_ipv6_hdr *ip = (void *)(b + off);
		static const uint8_t s[16] = V6(1), d[16] = V6(2);

		ip->vtc_flow = RTE_BE32(0x60000000);
		ip->proto = 17;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, s, 16);
		memcpy(ip->dst_addr, d, 16);
		off += sizeof(*ip);
	} else {
		struct rte_ipv4_hdr *ip = (void *)(b + off);

		ip->version_ihl = 0x45;
		ip->fragment_offset = RTE_BE16(0x4000); /* DF */
		ip->time_to_live = 64;
		ip->next_proto_id = 17;
		ip->src_addr = IP4(192, 0, 2, 1);
		ip->dst_addr = IP4(192, 0, 2, 2);
		off += sizeof(*ip);
	}
	struct rte_udp_hdr *udp = (void *)(b + off);

	udp->src_port = RTE_BE16(49152);
	udp->dst_port = RTE_BE16(4789);
	off += sizeof(*udp);
	b[off] = 0x08;
	b[off + 4] = vni >> 16;
	b[off + 5] = vni >> 8;
	b[off + 6] = vni;
	return off + 8;
}

/* --- The rules ------------------------------------------------------------------------ */

struct rule {
	const char *what;
	uint16_t port;
	struct rte_flow_attr attr;
	const struct rte_flow_item *pattern;
	const struct rte_flow_action *actions;
};

/* 1. Group 0: a VXLAN packet to this VTEP is marked, counted and sent to group 1. */
static const struct rte_flow_item_eth r1_eth = {.hdr.dst_addr = MAC(0x02, 0, 0, 0, 0, 0x0b)};
static const struct rte_flow_item_ipv4 r1_ip = {.hdr.dst_addr = IP4(192, 0, 2, 2)};
static const struct rte_flow_item_ipv4 r1_ip_mask = {.hdr.dst_addr = RTE_BE32(0xffffffff)};
static const struct rte_flow_item_udp r1_udp = {.hdr.dst_port = RTE_BE16(4789)};
static const struct rte_flow_item_udp r1_udp_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
static const struct rte_flow_item r1_pattern[] = {
	ITEM(ETH, &r1_eth, NULL),
	ITEM(IPV4, &r1_ip, &r1_ip_mask),
	ITEM(UDP, &r1_udp, &r1_udp_mask),
	ITEM(VXLAN, NULL, NULL),
	END_ITEM,
};
static const struct rte_flow_action_mark r1_mark = {.id = 0x10};
static const struct rte_flow_action_count r1_count = {.id = 0};
static const struct rte_flow_action_jump r1_jump = {.group = 1};
static const struct rte_flow_action r1_actions[] = {
	ACT(MARK, &r1_mark),
	ACT(COUNT, &r1_count),
	ACT(JUMP, &r1_jump),
	END_ACT,
};

/* 2. Decap VNI 100, remember it in a tag and in the metadata, go on to group 2. */
static const struct rte_flow_item_ipv4 r2_ip = {
	.hdr = {.src_addr = IP4(198, 51, 100, 7), .dst_addr = IP4(192, 0, 2, 2)},
};
static const struct rte_flow_item_vxlan r2_vx = {.vni = {0, 0, 100}};
static const struct rte_flow_item r2_pattern[] = {
	ITEM(ETH, NULL, NULL),
	ITEM(IPV4, &r2_ip, NULL),
	ITEM(UDP, &r1_udp, &r1_udp_mask),
	ITEM(VXLAN, &r2_vx, NULL),
	END_ITEM,
};
static const struct rte_flow_action_set_tag r2_tag = {.data = 100, .mask = 0xffffff, .index = 0};
static const struct rte_flow_action_set_meta r2_meta = {.data = 0xabc, .mask = 0xfff};
static const struct rte_flow_action_jump r2_jump = {.group = 2};
static const struct rte_flow_action r2_actions[] = {
	ACT(VXLAN_DECAP, NULL), ACT(SET_TAG, &r2_tag), ACT(SET_META, &r2_meta),
	ACT(COUNT, NULL),       ACT(JUMP, &r2_jump),   END_ACT,
};

/* 3. IPv6 underlay: match its fields, strip the tunnel with RAW_DECAP. */
static const struct rte_flow_item_ipv6 r3_ip = {
	.hdr = {.vtc_flow = RTE_BE32(0x6b812345),
		.proto = 17,
		.hop_limits = 64,
		.src_addr = V6(1),
		.dst_addr = V6(2)},
	.has_frag_ext = 0,
};
static const struct rte_flow_item_ipv6 r3_ip_mask = {
	.hdr = {.vtc_flow = RTE_BE32(0x0fcfffff),
		.proto = 0xff,
		.hop_limits = 0xff,
		.src_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		.dst_addr = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			     0xff, 0xff, 0xff, 0xff}},
	.has_frag_ext = 1,
};
static uint8_t r3_hdr[128];
static struct rte_flow_action_raw_decap r3_decap = {.data = r3_hdr};
static const struct rte_flow_action_queue r3_queue = {.index = 3};
static const struct rte_flow_item r3_pattern[] = {
	ITEM(ETH, NULL, NULL),
	ITEM(IPV6, &r3_ip, &r3_ip_mask),
	ITEM(UDP, &r1_udp, NULL),
	ITEM(VXLAN, &r2_vx, NULL),
	END_ITEM,
};
static const struct rte_flow_action r3_actions[] = {
	ACT(RAW_DECAP, &r3_decap),
	ACT(QUEUE, &r3_queue),
	END_ACT,
};

/* 4. A tagged frame: every VLAN and IPv4 field, partial masks; pop, rewrite MACs. */
static const struct rte_flow_item_eth r4_eth = {
	.hdr = {.dst_addr = MAC(0x01, 0x00, 0x5e, 0x00, 0x00, 0x01),
		.src_addr = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
		.ether_type = RTE_BE16(0x8100)},
	.has_vlan = 1,
};
static const struct rte_flow_item_eth r4_eth_mask = {
	.hdr = {.dst_addr = MAC(0x01, 0, 0, 0, 0, 0),
		.src_addr = MAC(0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		.ether_type = RTE_BE16(0xffff)},
	.has_vlan = 1,
};
static const struct rte_flow_item_vlan r4_vlan = {
	.hdr = {.vlan_tci = RTE_BE16(0x3064), .eth_proto = RTE_BE16(0x0800)},
	.has_more_vlan = 0,
};
static const struct rte_flow_item_vlan r4_vlan_mask = {
	.hdr = {.vlan_tci = RTE_BE16(0xf0ff), .eth_proto = RTE_BE16(0xffff)},
	.has_more_vlan = 1,
};
static const struct rte_flow_item_ipv4 r4_ip = {
	.hdr = {.version_ihl = 0x45,
		.type_of_service = 0x2e,
		.packet_id = RTE_BE16(7),
		.fragment_offset = RTE_BE16(0x4000),
		.time_to_live = 64,
		.next_proto_id = 6,
		.src_addr = IP4(10, 1, 2, 3),
		.dst_addr = IP4(10, 9, 0, 0)},
};
static const struct rte_flow_item_ipv4 r4_ip_mask = {
	.hdr = {.version_ihl = 0xff,
		.type_of_service = 0xfc,
		.packet_id = RTE_BE16(0xffff),
		.fragment_offset = RTE_BE16(0x3fff),
		.time_to_live = 0xff,
		.next_proto_id = 0xff,
		.src_addr = RTE_BE32(0xffffffff),
		.dst_addr = RTE_BE32(0xffff0000)},
};
static const struct rte_flow_item_tcp r4_tcp = {
	.hdr = {.src_port = RTE_BE16(1024), .dst_port = RTE_BE16(80), .tcp_flags = 0x02},
};
static const struct rte_flow_item_tcp r4_tcp_last = {.hdr = {.src_port = RTE_BE16(2047)}};
static const struct rte_flow_item_tcp r4_tcp_mask = {
	.hdr = {.src_port = RTE_BE16(0xffff), .dst_port = RTE_BE16(0xffff), .tcp_flags = 0x12},
};
/* All of it is one line longer than testpmd reads (refused); the golden file has two halves. */
static const struct rte_flow_item r4_pattern[] = {
	ITEM(ETH, &r4_eth, &r4_eth_mask),
	ITEM(VLAN, &r4_vlan, &r4_vlan_mask),
	ITEM(IPV4, &r4_ip, &r4_ip_mask),
	ITEM_RANGE(TCP, &r4_tcp, &r4_tcp_last, &r4_tcp_mask),
	END_ITEM,
};
static const struct rte_flow_item r4a_pattern[] = {
	ITEM(ETH, &r4_eth, &r4_eth_mask),
	ITEM(VLAN, &r4_vlan, &r4_vlan_mask),
	END_ITEM,
};
static const struct rte_flow_item r4b_pattern[] = {
	ITEM(ETH, NULL, NULL),
	ITEM(IPV4, &r4_ip, &r4_ip_mask),
	ITEM_RANGE(TCP, &r4_tcp, &r4_tcp_last, &r4_tcp_mask),
	END_ITEM,
};
static const struct rte_flow_action_set_mac r4_smac = {.mac_addr = {0x02, 0, 0, 0, 0, 0x0a}};
static const struct rte_flow_action_set_mac r4_dmac = {.mac_addr = {0x02, 0, 0, 0, 0, 0x0c}};
static const struct rte_flow_action r4_actions[] = {
	ACT(OF_POP_VLAN, NULL),
	ACT(SET_MAC_SRC, &r4_smac),
	ACT(SET_MAC_DST, &r4_dmac),
	ACT(QUEUE, &r3_queue),
	END_ACT,
};

/* 5. Transfer: a frame from a VF's representor gets a VLAN and goes to the uplink. */
static const struct rte_flow_item_ethdev r5_port = {.port_id = 1};
static const struct rte_flow_item_vlan r5_vlan = {.hdr.vlan_tci = RTE_BE16(0xffff)};
static const struct rte_flow_item_vlan r5_vlan_mask = {.hdr.vlan_tci = RTE_BE16(0xffff)};
static const struct rte_flow_action_of_push_vlan r5_push = {.ethertype = RTE_BE16(0x8100)};
static const struct rte_flow_action_of_set_vlan_vid r5_vid = {.vlan_vid = RTE_BE16(100)};
static const struct rte_flow_action_of_set_vlan_pcp r5_pcp = {.vlan_pcp = 3};
static const struct rte_flow_action_ethdev r5_out = {.port_id = 0};
static const struct rte_flow_item r5_pattern[] = {
	ITEM(REPRESENTED_PORT, &r5_port, NULL),
	ITEM(ETH, &r1_eth, NULL),
	END_ITEM,
};
static const struct rte_flow_action r5_actions[] = {
	ACT(OF_PUSH_VLAN, &r5_push),
	ACT(OF_SET_VLAN_VID, &r5_vid),
	ACT(OF_SET_VLAN_PCP, &r5_pcp),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};
/* 5b. The same port matching a full TCI (tci is ...), dropped. */
static const struct rte_flow_item r5b_pattern[] = {
	ITEM(REPRESENTED_PORT, &r5_port, NULL),
	ITEM(ETH, NULL, NULL),
	ITEM(VLAN, &r5_vlan, &r5_vlan_mask),
	END_ITEM,
};
static const struct rte_flow_action r5b_actions[] = {ACT(DROP, NULL), END_ACT};

/* 6. VXLAN_ENCAP as 'set vxlan' builds it, IPv4. */
static const struct rte_flow_item_eth e6_eth = {
	.hdr = {.dst_addr = MAC(0x02, 0, 0, 0, 0, 0x0b),
		.src_addr = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55)},
};
static const struct rte_flow_item_ipv4 e6_ip = {
	.hdr = {.src_addr = IP4(192, 0, 2, 1), .dst_addr = IP4(192, 0, 2, 2)},
};
static const struct rte_flow_item_udp e6_udp = {
	.hdr = {.src_port = RTE_BE16(49152), .dst_port = RTE_BE16(4789)},
};
static const struct rte_flow_item_vxlan e6_vx = {.vni = {0, 0x10, 0x00}};
static struct rte_flow_item e6_def[] = {
	ITEM(ETH, &e6_eth, &rte_flow_item_eth_mask),
	ITEM(IPV4, &e6_ip, &rte_flow_item_ipv4_mask),
	ITEM(UDP, &e6_udp, &rte_flow_item_udp_mask),
	ITEM(VXLAN, &e6_vx, &rte_flow_item_vxlan_mask),
	END_ITEM,
};
static const struct rte_flow_action_vxlan_encap r6_encap = {.definition = e6_def};
static const struct rte_flow_item_ethdev r6_port = {.port_id = 2};
static const struct rte_flow_item r6_pattern[] = {
	ITEM(REPRESENTED_PORT, &r6_port, NULL),
	ITEM(ETH, &r1_eth, NULL),
	END_ITEM,
};
static const struct rte_flow_action r6_actions[] = {
	ACT(VXLAN_ENCAP, &r6_encap),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};

/* 7. VXLAN_ENCAP with a VLAN on the underlay, IPv6: 'set vxlan-with-vlan'. */
static const struct rte_flow_item_vlan e7_vlan = {.hdr.vlan_tci = RTE_BE16(200)};
static const struct rte_flow_item_ipv6 e7_ip = {.hdr = {.src_addr = V6(1), .dst_addr = V6(2)}};
static struct rte_flow_item e7_def[] = {
	ITEM(ETH, &e6_eth, NULL), ITEM(VLAN, &e7_vlan, NULL), ITEM(IPV6, &e7_ip, NULL),
	ITEM(UDP, &e6_udp, NULL), ITEM(VXLAN, &e6_vx, NULL),  END_ITEM,
};
static const struct rte_flow_action_vxlan_encap r7_encap = {.definition = e7_def};
static const struct rte_flow_action r7_actions[] = {
	ACT(VXLAN_ENCAP, &r7_encap),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};

/* 8. VXLAN_ENCAP with TOS and TTL: 'set vxlan-tos-ttl'. */
static const struct rte_flow_item_ipv4 e8_ip = {
	.hdr = {.type_of_service = 0xb8,
		.time_to_live = 32,
		.src_addr = IP4(192, 0, 2, 1),
		.dst_addr = IP4(192, 0, 2, 3)},
};
static const struct rte_flow_item_ipv4 e8_ip_mask = {
	.hdr = {.type_of_service = 0xff,
		.time_to_live = 0xff,
		.src_addr = RTE_BE32(0xffffffff),
		.dst_addr = RTE_BE32(0xffffffff)},
};
static struct rte_flow_item e8_def[] = {
	ITEM(ETH, &e6_eth, NULL),
	ITEM(IPV4, &e8_ip, &e8_ip_mask),
	ITEM(UDP, &e6_udp, NULL),
	ITEM(VXLAN, &e6_vx, NULL),
	END_ITEM,
};
static const struct rte_flow_action_vxlan_encap r8_encap = {.definition = e8_def};
static const struct rte_flow_action r8_actions[] = {
	ACT(VXLAN_ENCAP, &r8_encap),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};

/*
 * 9. VXLAN_ENCAP that no 'set vxlan' can give (TTL without TOS, DF, VXLAN
 * flags, an EtherType): printed as RAW_ENCAP of the same bytes.
 */
static const struct rte_flow_item_eth e9_eth = {
	.hdr = {.dst_addr = MAC(0x02, 0, 0, 0, 0, 0x0b),
		.src_addr = MAC(0x00, 0x11, 0x22, 0x33, 0x44, 0x55),
		.ether_type = RTE_BE16(0x0800)},
};
static const struct rte_flow_item_ipv4 e9_ip = {
	.hdr = {.fragment_offset = RTE_BE16(0x4000),
		.time_to_live = 64,
		.src_addr = IP4(192, 0, 2, 1),
		.dst_addr = IP4(192, 0, 2, 4)},
};
static const struct rte_flow_item_vxlan e9_vx = {.flags = 0x08, .vni = {0x12, 0x34, 0x56}};
static struct rte_flow_item e9_def[] = {
	ITEM(ETH, &e9_eth, NULL),
	ITEM(IPV4, &e9_ip, NULL),
	ITEM(UDP, &e6_udp, NULL),
	ITEM(VXLAN, &e9_vx, NULL),
	END_ITEM,
};
static const struct rte_flow_action_vxlan_encap r9_encap = {.definition = e9_def};
static const struct rte_flow_action r9_actions[] = {
	ACT(COUNT, NULL),
	ACT(VXLAN_ENCAP, &r9_encap),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};

/* 10. RAW_ENCAP of a header with a VLAN tag, FLAG, and the PORT_ID fate. */
static uint8_t r10_hdr[128];
static struct rte_flow_action_raw_encap r10_encap = {.data = r10_hdr};
static const struct rte_flow_action_port_id r10_port = {.id = 1};
static const struct rte_flow_item_port_id r10_in = {.id = 3};
static const struct rte_flow_item r10_pattern[] = {
	ITEM(PORT_ID, &r10_in, NULL),
	ITEM(ETH, NULL, NULL),
	END_ITEM,
};
static const struct rte_flow_action r10_actions[] = {
	ACT(FLAG, NULL),
	ACT(RAW_ENCAP, &r10_encap),
	ACT(PORT_ID, &r10_port),
	END_ACT,
};

/* 11. Metadata items: tag, meta, mark, integrity; RSS. */
static const struct rte_flow_item_tag r11_tag = {.data = 100, .index = 0};
static const struct rte_flow_item_tag r11_tag_mask = {.data = 0xffffff, .index = 0xff};
static const struct rte_flow_item_meta r11_meta = {.data = 0xabc};
static const struct rte_flow_item_meta r11_meta_mask = {.data = 0xfff};
static const struct rte_flow_item_mark r11_mark = {.id = 0x10};
static const struct rte_flow_item_integrity r11_integrity = {
	.level = 0,
	.packet_ok = 1,
	.l3_ok = 1,
	.l4_ok = 1,
};
static const struct rte_flow_item_integrity r11_integrity_mask = {
	.level = 0xffffffff,
	.packet_ok = 1,
	.l3_ok = 1,
	.l4_ok = 1,
};
static const struct rte_flow_item r11_pattern[] = {
	ITEM(TAG, &r11_tag, &r11_tag_mask),
	ITEM(META, &r11_meta, &r11_meta_mask),
	ITEM(MARK, &r11_mark, NULL),
	ITEM(INTEGRITY, &r11_integrity, &r11_integrity_mask),
	END_ITEM,
};
static const uint16_t r11_queues[] = {0, 1, 2, 3};
static const struct rte_flow_action_rss r11_rss = {
	.func = RTE_ETH_HASH_FUNCTION_TOEPLITZ,
	.level = 1,
	.types = RTE_ETH_RSS_NONFRAG_IPV4_UDP | RTE_ETH_RSS_NONFRAG_IPV6_UDP | RTE_ETH_RSS_IPV4,
	.queue_num = 4,
	.queue = r11_queues,
};
static const struct rte_flow_action r11_actions[] = {ACT(RSS, &r11_rss), END_ACT};

/* 11b. Integrity with its default (zero) mask, and RSS with default types. */
static const struct rte_flow_item_integrity r11b_integrity = {.level = 1, .value = 0x7};
static const struct rte_flow_item r11b_pattern[] = {
	ITEM(INTEGRITY, &r11b_integrity, NULL),
	END_ITEM,
};
static const struct rte_flow_action_rss r11b_rss = {.queue_num = 2, .queue = r11_queues};
static const struct rte_flow_action r11b_actions[] = {
	ACT(MARK, &r1_mark),
	ACT(RSS, &r11b_rss),
	END_ACT,
};

/* 12. From the uplink's representor: port_representor item and fate. */
static const struct rte_flow_item_ethdev r12_port = {.port_id = 0};
static const struct rte_flow_action_ethdev r12_out = {.port_id = 0};
static const struct rte_flow_action_port_id r12_orig = {.original = 1, .id = 0};
static const struct rte_flow_item r12_pattern[] = {
	ITEM(PORT_REPRESENTOR, &r12_port, NULL),
	ITEM(ETH, NULL, NULL),
	END_ITEM,
};
static const struct rte_flow_action r12_actions[] = {
	ACT(PORT_REPRESENTOR, &r12_out),
	END_ACT,
};
static const struct rte_flow_action r12b_actions[] = {ACT(PORT_ID, &r12_orig), END_ACT};

/* 13. A gateway: decap an IPv4 tunnel and encap into an IPv6 one with a VLAN. */
static uint8_t r13_decap_hdr[128], r13_encap_hdr[128];
static struct rte_flow_action_raw_decap r13_decap = {.data = r13_decap_hdr};
static struct rte_flow_action_raw_encap r13_encap = {.data = r13_encap_hdr};
static const struct rte_flow_item_udp r13_udp = {.hdr.src_port = RTE_BE16(1000)};
static const struct rte_flow_item_udp r13_udp_last = {.hdr.src_port = RTE_BE16(1999)};
static const struct rte_flow_item r13_pattern[] = {
	ITEM(ETH, &r1_eth, NULL),
	ITEM(IPV4, &r2_ip, NULL),
	ITEM_RANGE(UDP, &r13_udp, &r13_udp_last, NULL),
	ITEM(VXLAN, &r2_vx, NULL),
	END_ITEM,
};
static const struct rte_flow_action r13_actions[] = {
	ACT(RAW_DECAP, &r13_decap),
	ACT(RAW_ENCAP, &r13_encap),
	ACT(REPRESENTED_PORT, &r5_out),
	END_ACT,
};

/* 14. Egress. */
static const struct rte_flow_item_eth r14_eth = {.hdr.ether_type = RTE_BE16(0x86dd)};
static const struct rte_flow_item_eth r14_eth_mask = {.hdr.ether_type = RTE_BE16(0xffff)};
static const struct rte_flow_item r14_pattern[] = {
	ITEM(ETH, &r14_eth, &r14_eth_mask),
	ITEM(IPV6, NULL, NULL),
	END_ITEM,
};

static const struct rule rules[] = {
	{"classify VXLAN in group 0",
	 0,
	 {.group = 0, .priority = 1, .ingress = 1},
	 r1_pattern,
	 r1_actions},
	{"decap VNI 100", 0, {.group = 1, .ingress = 1}, r2_pattern, r2_actions},
	{"raw decap an IPv6 tunnel",
	 0,
	 {.group = 1, .priority = 2, .ingress = 1},
	 r3_pattern,
	 r3_actions},
	{"VLAN fields", 0, {.group = 2, .ingress = 1}, r4a_pattern, r4_actions},
	{"IPv4 and TCP fields",
	 0,
	 {.group = 2, .priority = 1, .ingress = 1},
	 r4b_pattern,
	 r3_actions + 1},
	{"push a VLAN in transfer", 0, {.group = 1, .transfer = 1}, r5_pattern, r5_actions},
	{"full TCI", 0, {.group = 1, .priority = 1, .transfer = 1}, r5b_pattern, r5b_actions},
	{"encap: set vxlan", 0, {.group = 3, .transfer = 1}, r6_pattern, r6_actions},
	{"encap: set vxlan-with-vlan", 0, {.group = 3, .transfer = 1}, r6_pattern, r7_actions},
	{"encap: set vxlan-tos-ttl", 0, {.group = 3, .transfer = 1}, r6_pattern, r8_actions},
	{"encap: raw_encap for a definition set vxlan cannot give",
	 0,
	 {.group = 3, .transfer = 1},
	 r6_pattern,
	 r9_actions},
	{"raw_encap with a VLAN, port_id",
	 0,
	 {.group = 4, .transfer = 1},
	 r10_pattern,
	 r10_actions},
	{"metadata items, RSS", 0, {.group = 5, .ingress = 1}, r11_pattern, r11_actions},
	{"integrity with its default mask",
	 0,
	 {.group = 5, .priority = 3, .ingress = 1},
	 r11b_pattern,
	 r11b_actions},
	{"from the uplink representor", 1, {.group = 6, .transfer = 1}, r12_pattern, r12_actions},
	{"port_id original",
	 1,
	 {.group = 6, .priority = 1, .transfer = 1},
	 r12_pattern,
	 r12b_actions},
	{"gateway: raw decap, raw encap", 0, {.group = 7, .transfer = 1}, r13_pattern, r13_actions},
	{"egress", 0, {.egress = 1}, r14_pattern, r5b_actions},
};

static const struct rule *
find_rule(const char *what)
{
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (strcmp(rules[i].what, what) == 0)
			return &rules[i];
	fail_msg("no rule '%s'", what);
	return NULL;
}

static int
setup_rules(void **state)
{
	find_root(state);
	r3_decap.size = vxlan_header(r3_hdr, false, true, 100);
	r10_encap.size = vxlan_header(r10_hdr, true, false, 0x20000);
	r13_decap.size = vxlan_header(r13_decap_hdr, false, false, 100);
	r13_encap.size = vxlan_header(r13_encap_hdr, true, true, 7);
	return 0;
}

/* The golden text: a comment line per rule, then its commands. Caller frees. */
static char *
all_rules_text(void)
{
	size_t cap = 1 << 16, len = 0;
	char *s = malloc(cap);
	struct ft_error err;

	assert_non_null(s);
	len += snprintf(s, cap,
			"# Generated by tests/offload/test_flow_text.c (FT_GOLDEN_UPDATE=1 "
			"rewrites it);\n# checked by dpdk-testpmd in tests/offload/"
			"testpmd_check.sh.\n");
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++) {
		const struct rule *r = &rules[i];
		int n;

		len += snprintf(s + len, cap - len, "# %zu. %s\n", i + 1, r->what);
		n = ft_flow_testpmd(s + len, cap - len, r->port, &r->attr, r->pattern, r->actions,
				    &err);
		if (n < 0)
			fail_msg("rule %zu: %d: %s: %s", i + 1, n, err.object, err.message);
		assert_true((size_t)n < cap - len);
		len += (size_t)n;
	}
	return s;
}

static char *
read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *s;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	return s;
}

static void
test_golden(void **state)
{
	char path[4200];
	char *text = all_rules_text(), *golden;
	const char *update = getenv("FT_GOLDEN_UPDATE");

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/offload/golden/basic.txt", root);
	if (update != NULL && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs(text, f);
		assert_int_equal(fclose(f), 0);
		print_message("rewrote %s\n", path);
	}
	golden = read_file(path);
	if (golden == NULL)
		fail_msg("cannot read %s (FT_GOLDEN_UPDATE=1 writes it)", path);
	if (strcmp(text, golden) != 0) {
		/* Name the first line that differs. */
		const char *a = text, *b = golden;
		unsigned line = 1;

		while (*a != '\0' && *a == *b) {
			if (*a == '\n')
				line++;
			a++;
			b++;
		}
		fail_msg(
			"%s differs from the printer at line %u:\nprinter: %.300s\ngolden:  %.300s",
			path, line, a, b);
	}
	free(text);
	free(golden);
}

/* Every line of the golden text the way the brief says it must look. */
static void
test_text_shapes(void **state)
{
	char buf[2048];
	struct ft_error err;
	int n;

	(void)state;
	n = ft_flow_testpmd(buf, sizeof(buf), 0, &rules[0].attr, r1_pattern, r1_actions, &err);
	assert_true(n > 0);
	assert_string_equal(buf,
			    "flow create 0 priority 1 ingress pattern eth dst is "
			    "02:00:00:00:00:0b src is 00:00:00:00:00:00 / ipv4 dst is 192.0.2.2 "
			    "/ udp dst is 4789 / vxlan / end actions mark id 16 / count / jump "
			    "group 1 / end\n");
	/* Truncation: the length of the whole text, a terminated prefix. */
	assert_int_equal(ft_flow_testpmd(buf, 10, 0, &rules[0].attr, r1_pattern, r1_actions, &err),
			 n);
	assert_string_equal(buf, "flow crea");
	assert_int_equal(ft_flow_testpmd(NULL, 0, 0, &rules[0].attr, r1_pattern, r1_actions, &err),
			 n);

	/* The whole of rule 4 is too long a line for testpmd. */
	memset(&err, 0, sizeof(err));
	assert_int_equal(
		ft_flow_testpmd(buf, sizeof(buf), 0, &rules[3].attr, r4_pattern, r4_actions, &err),
		-ENOTSUP);
	assert_non_null(strstr(err.message, "testpmd reads at most 512"));
	n = ft_flow_testpmd(buf, sizeof(buf), 0, &rules[3].attr, r4a_pattern, r4_actions, &err);
	assert_true(n > 0);
	/* Partial masks, VLAN sub-fields, a TCP range. */
	assert_non_null(strstr(buf, "eth dst spec 01:00:5e:00:00:01 dst mask 01:00:00:00:00:00 "
				    "src is 00:11:22:33:44:55 type is 0x8100 has_vlan is 1 / "));
	assert_non_null(strstr(buf, "vlan pcp is 1 dei is 1 vid spec 100 vid mask 0xff "
				    "inner_type is 0x800 has_more_vlan is 0 / "));
	n = ft_flow_testpmd(buf, sizeof(buf), 0, &rules[3].attr, r4b_pattern, r4_actions, &err);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "tos spec 46 tos mask 0xfc"));
	assert_non_null(strstr(buf, "dst spec 10.9.0.0 dst mask 255.255.0.0"));
	assert_non_null(strstr(buf, "tcp src is 1024 src last 2047 dst is 80 flags spec 0x2 "
				    "flags mask 0x12 / end"));

	/* Encap: set lines before the rule. */
	n = ft_flow_testpmd(buf, sizeof(buf), 0, &rules[0].attr, r6_pattern, r9_actions, &err);
	assert_true(n > 0);
	assert_true(strncmp(buf,
			    "set raw_encap 0 eth dst is 02:00:00:00:00:0b src is "
			    "00:11:22:33:44:55 type is 0x0800 / ipv4 src is 192.0.2.1 dst is "
			    "192.0.2.4 proto is 17 ",
			    110) == 0);
	assert_non_null(strstr(buf, "fragment_offset is 0x4000 ttl is 64 / udp src is 49152 dst "
				    "is 4789 / vxlan vni is 1193046 / end_set\n"));
	assert_non_null(strstr(buf, "actions count / raw_encap index 0 / represented_port "
				    "ethdev_port_id 0 / end\n"));
	n = ft_flow_testpmd(buf, sizeof(buf), 0, &rules[0].attr, r13_pattern, r13_actions, &err);
	assert_true(n > 0);
	assert_true(strncmp(buf, "set raw_decap 0 eth ", 20) == 0);
	assert_non_null(strstr(buf,
			       "\nset raw_encap 0 eth dst is 02:00:00:00:00:0b src is "
			       "00:11:22:33:44:55 type is 0x8100 / vlan tci is 8292 inner_type is "
			       "0x86dd / ipv6 src is 2001:db8::1 dst is 2001:db8::2 proto is 17 "
			       "hop is 64 / udp src is 49152 dst is 4789 / vxlan vni is 7 / "
			       "end_set\n"));
	assert_non_null(strstr(buf, "udp src is 1000 src last 1999 dst is 0 /"));
	assert_non_null(strstr(buf, "actions raw_decap index 0 / raw_encap index 0 /"));
}

static json_t *
rule_json(const char *what)
{
	const struct rule *r = find_rule(what);
	struct ft_error err;
	json_t *j = ft_flow_json(r->port, &r->attr, r->pattern, r->actions, &err);

	if (j == NULL)
		fail_msg("rule '%s': %s", what, err.message);
	return j;
}

static void
test_json(void **state)
{
	json_t *j, *v;
	json_int_t group, prio, id, vni, dport, index;
	int ingress, transfer;

	(void)state;
	/* Rule 2: decap with tag and metadata. */
	j = rule_json("decap VNI 100");
	assert_int_equal(json_unpack(j, "{s:i, s:{s:I, s:I, s:b, s:b}}", "port", &(int){0}, "attr",
				     "group", &group, "priority", &prio, "ingress", &ingress,
				     "transfer", &transfer),
			 0);
	assert_int_equal(group, 1);
	assert_int_equal(prio, 0);
	assert_true(ingress);
	assert_false(transfer);
	v = json_object_get(j, "pattern");
	assert_int_equal(json_array_size(v), 4);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "type")),
			    "eth");
	assert_null(json_object_get(json_array_get(v, 0), "spec")); /* bare item */
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "type")),
			    "ipv4");
	assert_int_equal(json_unpack(json_array_get(v, 1), "{s:{s:o}}", "spec", "src", &v), 0);
	assert_string_equal(json_string_value(v), "198.51.100.7");
	v = json_object_get(j, "pattern");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(v, 1), "mask"), "dst")),
			    "255.255.255.255"); /* the default mask */
	assert_int_equal(json_unpack(json_array_get(v, 2), "{s:{s:I}, s:{s:I}}", "spec", "dst",
				     &dport, "mask", "dst", &id),
			 0);
	assert_int_equal(dport, 4789);
	assert_int_equal(id, 0xffff);
	assert_int_equal(json_unpack(json_array_get(v, 3), "{s:{s:I}}", "spec", "vni", &vni), 0);
	assert_int_equal(vni, 100);
	v = json_object_get(j, "actions");
	assert_int_equal(json_array_size(v), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "type")),
			    "vxlan_decap");
	assert_null(json_object_get(json_array_get(v, 0), "conf"));
	assert_int_equal(json_unpack(json_array_get(v, 1), "{s:s, s:{s:I, s:I, s:I}}", "type",
				     &(const char *){NULL}, "conf", "data", &vni, "mask", &id,
				     "index", &index),
			 0);
	assert_int_equal(vni, 100);
	assert_int_equal(id, 0xffffff);
	assert_int_equal(index, 0);
	assert_int_equal(json_unpack(json_array_get(v, 4), "{s:{s:I}}", "conf", "group", &group),
			 0);
	assert_int_equal(group, 2);
	json_decref(j);

	/* Rule 4 whole (JSON has no line limit): partial masks, VLAN, a range. */
	j = ft_flow_json(0, &rules[3].attr, r4_pattern, r4_actions, NULL);
	assert_non_null(j);
	v = json_object_get(j, "pattern");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(v, 0), "mask"), "dst")),
			    "01:00:00:00:00:00");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 0), "spec"), "has_vlan")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 1), "spec"), "tci")),
			 0x3064);
	assert_null(json_object_get(json_object_get(json_array_get(v, 1), "spec"), "vid"));
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 3), "last"), "src")),
			 2047);
	assert_null(json_object_get(json_array_get(v, 2), "last"));
	v = json_object_get(j, "actions");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(v, 1), "conf"), "mac_addr")),
			    "02:00:00:00:00:0a");
	json_decref(j);

	/* Rule 7: the encap definition, and a transfer fate. */
	j = rule_json("encap: set vxlan-with-vlan");
	assert_int_equal(json_unpack(j, "{s:{s:b}}", "attr", "transfer", &transfer), 0);
	assert_true(transfer);
	v = json_object_get(json_array_get(json_object_get(j, "actions"), 0), "conf");
	v = json_object_get(v, "definition");
	assert_int_equal(json_array_size(v), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 2), "type")),
			    "ipv6");
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_array_get(v, 2), "spec"), "dst")),
			    "2001:db8::2");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 1), "spec"), "tci")),
			 200);
	assert_int_equal(json_unpack(json_array_get(json_object_get(j, "actions"), 1), "{s:{s:I}}",
				     "conf", "ethdev_port_id", &id),
			 0);
	assert_int_equal(id, 0);
	json_decref(j);

	/* Rule 11: metadata items and RSS. */
	j = rule_json("metadata items, RSS");
	v = json_object_get(j, "pattern");
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 0), "mask"), "index")),
			 0xff);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(json_array_get(v, 3), "spec"), "value")),
			 0xd);
	v = json_object_get(json_array_get(json_object_get(j, "actions"), 0), "conf");
	assert_int_equal(json_array_size(json_object_get(v, "queues")), 4);
	assert_int_equal(json_integer_value(json_object_get(v, "level")), 1);
	json_decref(j);
}

/* --- Refusals ---------------------------------------------------------------------------- */

static void
expect_refusal(const struct rte_flow_attr *attr, const struct rte_flow_item *pattern,
	       const struct rte_flow_action *actions, int code, const char *object,
	       const char *msg_part)
{
	char buf[2048];
	struct ft_error err;
	int n;

	memset(&err, 0, sizeof(err));
	n = ft_flow_testpmd(buf, sizeof(buf), 0, attr, pattern, actions, &err);
	assert_int_equal(n, code);
	assert_int_equal(err.code, code);
	assert_int_equal(err.kind, FT_ERR_RULE);
	if (object != NULL)
		assert_string_equal(err.object, object);
	if (strstr(err.message, msg_part) == NULL)
		fail_msg("message '%s' lacks '%s'", err.message, msg_part);
}

static void
test_refusals(void **state)
{
	static const struct rte_flow_attr in = {.ingress = 1};
	static const struct rte_flow_action drop[] = {ACT(DROP, NULL), END_ACT};
	static const struct rte_flow_item p_ok[] = {ITEM(ETH, NULL, NULL), END_ITEM};
	/* A field without a testpmd keyword. */
	static const struct rte_flow_item_ipv4 len_mask = {.hdr.total_length = RTE_BE16(0xffff)};
	static const struct rte_flow_item p_len[] = {
		ITEM(ETH, NULL, NULL),
		ITEM(IPV4, &r2_ip, &len_mask),
		END_ITEM,
	};
	static const struct rte_flow_item_vxlan vx_flags = {.flags = 0xff, .vni = {1, 1, 1}};
	static const struct rte_flow_item p_vx[] = {ITEM(VXLAN, &vx_flags, &vx_flags), END_ITEM};
	static const struct rte_flow_item_tcp seq_mask = {.hdr.sent_seq = RTE_BE32(1)};
	static const struct rte_flow_item p_tcp[] = {ITEM(TCP, &r4_tcp, &seq_mask), END_ITEM};
	/* TAG index takes 'is' only. */
	static const struct rte_flow_item_tag tag_mask = {.data = 1, .index = 0x0f};
	static const struct rte_flow_item p_tag[] = {ITEM(TAG, &r11_tag, &tag_mask), END_ITEM};
	/* An item the printer does not know. */
	static const struct rte_flow_item p_gre[] = {
		{.type = RTE_FLOW_ITEM_TYPE_GRE},
		END_ITEM,
	};
	static const struct rte_flow_item p_integrity[] = {ITEM(INTEGRITY, NULL, NULL), END_ITEM};
	/* Encap headers that are not ETH/[VLAN]/IP/UDP/VXLAN or lose bytes. */
	static uint8_t gre_hdr[64];
	static struct rte_flow_action_raw_encap gre = {.data = gre_hdr, .size = 38};
	static const struct rte_flow_action a_gre[] = {ACT(RAW_ENCAP, &gre), END_ACT};
	static uint8_t cks_hdr[128];
	static struct rte_flow_action_raw_encap cks = {.data = cks_hdr};
	static const struct rte_flow_action a_cks[] = {ACT(RAW_ENCAP, &cks), END_ACT};
	static uint8_t pre[128];
	static struct rte_flow_action_raw_encap preserve = {.data = cks_hdr, .preserve = pre};
	static const struct rte_flow_action a_pre[] = {ACT(RAW_ENCAP, &preserve), END_ACT};
	static struct rte_flow_item e_bad[] = {
		ITEM(ETH, &e6_eth, NULL),
		ITEM(UDP, &e6_udp, NULL),
		ITEM(VXLAN, &e6_vx, NULL),
		END_ITEM,
	};
	static const struct rte_flow_action_vxlan_encap enc_bad = {.definition = e_bad};
	static const struct rte_flow_action a_enc_bad[] = {ACT(VXLAN_ENCAP, &enc_bad), END_ACT};
	static const uint8_t key[40] = {1};
	static const struct rte_flow_action_rss rss_key = {
		.key = key,
		.key_len = 40,
		.queue_num = 1,
		.queue = r11_queues,
	};
	static const struct rte_flow_action a_rss[] = {ACT(RSS, &rss_key), END_ACT};
	static const struct rte_flow_action a_nomark[] = {ACT(MARK, NULL), END_ACT};
	static const struct rte_flow_action a_meter[] = {
		{.type = RTE_FLOW_ACTION_TYPE_METER},
		END_ACT,
	};
	static const struct rte_flow_attr nodir = {.group = 1};
	struct rte_flow_action_raw_encap many_conf;
	struct rte_flow_action many[10];
	struct rte_udp_hdr *udp;
	char name[64];

	(void)state;
	expect_refusal(&in, p_len, drop, -ENOTSUP, "ipv4.total_length", "no keyword");
	expect_refusal(&in, p_vx, drop, -ENOTSUP, "vxlan.flags", "pattern item 0");
	expect_refusal(&in, p_tcp, drop, -ENOTSUP, "tcp.sent_seq", "no keyword");
	expect_refusal(&in, p_tag, drop, -ENOTSUP, "tag.index", "full mask");
	snprintf(name, sizeof(name), "item type %d", RTE_FLOW_ITEM_TYPE_GRE);
	expect_refusal(&in, p_gre, drop, -ENOTSUP, name, "not supported");
	expect_refusal(&in, p_integrity, drop, -ENOTSUP, "integrity", "without a spec");

	memset(gre_hdr, 0, sizeof(gre_hdr));
	gre_hdr[12] = 0x08; /* IPv4 carrying GRE */
	gre_hdr[14] = 0x45;
	gre_hdr[14 + 9] = 47;
	expect_refusal(&in, p_ok, a_gre, -ENOTSUP, "raw_encap", "not UDP");
	(void)vxlan_header(cks_hdr, false, false, 5);
	cks.size = vxlan_header(cks_hdr, false, false, 5);
	udp = (void *)(cks_hdr + 14 + 20);
	udp->dgram_cksum = RTE_BE16(0x1234);
	expect_refusal(&in, p_ok, a_cks, -ENOTSUP, "raw_encap", "UDP length or checksum");
	udp->dgram_cksum = 0;
	cks.size -= 1;
	expect_refusal(&in, p_ok, a_cks, -ENOTSUP, "raw_encap", "header is not ETH");
	preserve.size = cks.size + 1;
	expect_refusal(&in, p_ok, a_pre, -ENOTSUP, "raw_encap", "preserve");
	expect_refusal(&in, p_ok, a_enc_bad, -ENOTSUP, "vxlan_encap", "definition is not");
	expect_refusal(&in, p_ok, a_rss, -ENOTSUP, "rss", "key");
	expect_refusal(&in, p_ok, a_nomark, -EINVAL, "mark", "no configuration");
	snprintf(name, sizeof(name), "action type %d", RTE_FLOW_ACTION_TYPE_METER);
	expect_refusal(&in, p_ok, a_meter, -ENOTSUP, name, "not supported");
	expect_refusal(&nodir, p_ok, drop, -EINVAL, "attr", "no direction");

	/* Nine raw_encap buffers: testpmd has eight. */
	many_conf = (struct rte_flow_action_raw_encap){.data = r10_hdr, .size = r10_encap.size};
	for (int i = 0; i < 9; i++)
		many[i] = (struct rte_flow_action)ACT(RAW_ENCAP, &many_conf);
	many[9] = (struct rte_flow_action)END_ACT;
	expect_refusal(&in, p_ok, many, -EINVAL, "raw_encap", "more than 8");

	/* JSON refuses what it does not know, too. */
	struct ft_error err;

	assert_null(ft_flow_json(0, &in, p_gre, drop, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_null(ft_flow_json(0, &in, p_len, a_meter, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_null(ft_flow_json(0, NULL, p_len, drop, &err));
	assert_int_equal(err.code, -EINVAL);
}

/* --- The checker can fail ------------------------------------------------------------------ */

static int
run_checker(const char *dir, const char *log)
{
	char cmd[8400];
	int st;

	snprintf(cmd, sizeof(cmd), "sh '%s/tests/offload/testpmd_check.sh' '%s' > '%s' 2>&1", root,
		 dir, log);
	st = system(cmd);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void
test_checker_fails(void **state)
{
	static const char *const broken[] = {
		/* A misspelt field in a rule. */
		"flow create 0 ingress pattern eth / ipv4 srcc is 10.0.0.1 / end actions drop / "
		"end\n",
		/* 'index spec' is not TAG syntax (only 'index is'). */
		"flow create 0 ingress pattern tag data is 1 index spec 0 / end actions drop / "
		"end\n",
		/* A bad 'set raw_encap' (buffer 8 does not exist), then a good rule. */
		"set raw_encap 8 eth / ipv4 / udp / vxlan vni is 1 / end_set\n"
		"flow create 0 ingress pattern eth / end actions drop / end\n",
		/* A 'set vxlan' without eth-dst. */
		"set vxlan ip-version ipv4 vni 5 udp-src 1 udp-dst 4789 ip-src 1.1.1.1 ip-dst "
		"2.2.2.2 eth-src 00:11:22:33:44:55\n"
		"flow create 0 ingress pattern eth / end actions drop / end\n",
	};
	char dir[] = "/tmp/ft_testpmd_check.XXXXXX";
	char path[256], log[256];

	(void)state;
	if (system("command -v dpdk-testpmd > /dev/null 2>&1") != 0)
		skip();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/case.txt", dir);
	snprintf(log, sizeof(log), "%s.log", dir);
	for (size_t i = 0; i < ARRAY_SIZE(broken); i++) {
		FILE *f = fopen(path, "w");
		char *out;

		assert_non_null(f);
		fputs(broken[i], f);
		fclose(f);
		assert_int_equal(run_checker(dir, log), 1);
		out = read_file(log);
		assert_non_null(out);
		/* The failing line is named: file:line. */
		if (strstr(out, "case.txt:1: rejected") == NULL)
			fail_msg("case %zu: checker output lacks the line:\n%s", i, out);
		free(out);
	}
	/* And a good file passes. */
	{
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fputs("flow create 0 ingress pattern eth / end actions drop / end\n", f);
		fclose(f);
		assert_int_equal(run_checker(dir, log), 0);
	}
	unlink(path);
	unlink(log);
	rmdir(dir);
}

/* --- No byte lost: testpmd's own copy of each header ----------------------------------------- */

/*
 * Each encapsulation header goes through its 'set raw_encap 0' or 'set
 * raw_decap 0' line into testpmd, and testpmd's 'show raw_encap 0' hexdump
 * of the buffer it built must be the header's bytes.
 */
struct roundtrip {
	const struct rte_flow_action *actions;
	const uint8_t *want;
	size_t *want_len;
	const char *show;
};

static uint8_t e9_bytes[128];
static size_t e9_len;

/* The header rule 9's VXLAN_ENCAP stands for: its spec bytes, defaults filled. */
static void
build_e9_bytes(void)
{
	static const uint8_t h[] = {
		0x02, 0,    0,    0,    0,    0x0b, 0x00, 0x11, 0x22, 0x33,
		0x44, 0x55, 0x08, 0x00, /* eth */
		0x45, 0,    0,    0,    0,    0,    0x40, 0,    64,   17,
		0,    0,    192,  0,    2,    1,    192,  0,    2,    4, /* ipv4 */
		0xc0, 0x00, 0x12, 0xb5, 0,    0,    0,    0,             /* udp */
		0x08, 0,    0,    0,    0x12, 0x34, 0x56, 0,             /* vxlan */
	};

	memcpy(e9_bytes, h, sizeof(h));
	e9_len = sizeof(h);
}

/* Parses rte_hexdump blocks ("index: 0 at [..], len=N" then "OFFSET: XX XX .. | ascii"). */
static size_t
next_hexdump(FILE *f, uint8_t *b, size_t max)
{
	char line[256];
	size_t len = 0, want = 0;
	bool in = false;

	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, "len=");

		if (!in) {
			if (strstr(line, "index: ") != NULL && p != NULL) {
				want = strtoul(p + 4, NULL, 10);
				in = true;
				if (want == 0)
					return 0;
			}
			continue;
		}
		p = strchr(line, ':');
		if (p == NULL)
			break;
		for (p++; *p == ' ' && p[1] != '|';) {
			unsigned v;

			if (sscanf(p, " %2x", &v) != 1)
				break;
			if (len < max)
				b[len] = (uint8_t)v;
			len++;
			p += 3;
		}
		if (len >= want)
			return len;
	}
	return in ? len : (size_t)-1;
}

static void
test_raw_bytes_roundtrip(void **state)
{
	static const struct rte_flow_item eth[] = {ITEM(ETH, NULL, NULL), END_ITEM};
	static const struct rte_flow_attr transfer = {.transfer = 1};
	static const struct rte_flow_action a3[] = {ACT(RAW_DECAP, &r3_decap), END_ACT};
	static const struct rte_flow_action a13d[] = {ACT(RAW_DECAP, &r13_decap), END_ACT};
	static const struct rte_flow_action a13e[] = {ACT(RAW_ENCAP, &r13_encap), END_ACT};
	static const struct rte_flow_action a9[] = {ACT(VXLAN_ENCAP, &r9_encap), END_ACT};
	const struct roundtrip cases[] = {
		{a3, r3_hdr, &r3_decap.size, "show raw_decap 0"},
		{r10_actions, r10_hdr, &r10_encap.size, "show raw_encap 0"},
		{a13d, r13_decap_hdr, &r13_decap.size, "show raw_decap 0"},
		{a13e, r13_encap_hdr, &r13_encap.size, "show raw_encap 0"},
		{a9, e9_bytes, &e9_len, "show raw_encap 0"},
	};
	char dir[] = "/tmp/ft_raw_roundtrip.XXXXXX";
	char cmds[256], out[256], cmd[1024], text[4096];
	FILE *f;

	(void)state;
	if (system("command -v dpdk-testpmd > /dev/null 2>&1") != 0)
		skip();
	build_e9_bytes();
	assert_non_null(mkdtemp(dir));
	snprintf(cmds, sizeof(cmds), "%s/cmds.txt", dir);
	snprintf(out, sizeof(out), "%s/out.txt", dir);
	f = fopen(cmds, "w");
	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ft_error err;
		char *nl;

		assert_true(ft_flow_testpmd(text, sizeof(text), 0, &transfer, eth, cases[i].actions,
					    &err) > 0);
		nl = strchr(text, '\n');
		assert_non_null(nl);
		assert_true(strncmp(text, "set raw_", 8) == 0);
		fprintf(f, "%.*s\n%s\n", (int)(nl - text + 0), text, cases[i].show);
	}
	fclose(f);
	snprintf(
		cmd, sizeof(cmd),
		"dpdk-testpmd --no-huge -m 1024 --no-pci --vdev=net_null0 --file-prefix=ftrt%d "
		"--no-shconf --log-level=lib.eal:error -- -i --total-num-mbufs=4096 < %s > %s 2>&1",
		(int)getpid(), cmds, out);
	assert_int_equal(system(cmd), 0);
	f = fopen(out, "r");
	assert_non_null(f);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint8_t got[512];
		size_t n = next_hexdump(f, got, sizeof(got));

		if (n != *cases[i].want_len)
			fail_msg("case %zu: testpmd built %zd bytes, want %zu (see %s)", i,
				 (ssize_t)n, *cases[i].want_len, out);
		for (size_t k = 0; k < n; k++)
			if (got[k] != cases[i].want[k])
				fail_msg("case %zu: byte %zu: testpmd built 0x%02x, want 0x%02x", i,
					 k, got[k], cases[i].want[k]);
	}
	fclose(f);
	unlink(cmds);
	unlink(out);
	rmdir(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),        cmocka_unit_test(test_text_shapes),
		cmocka_unit_test(test_json),          cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_checker_fails), cmocka_unit_test(test_raw_bytes_roundtrip),
	};

	return cmocka_run_group_tests(tests, setup_rules, NULL);
}
