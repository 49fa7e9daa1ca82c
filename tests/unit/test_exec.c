/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the packet path (model/exec.c, reached through
 * ft_worker_run() in include/flowtwin/pipeline.h).
 *
 * Each test builds a small program with the builder API, loads entries,
 * runs real packets and compares every packet that comes out, byte for
 * byte, with one built independently here: the frame builders, the IPv4
 * checksum, CRC-32 and CRC-16 below share no code with the model, and hash
 * results are anchored on published check values (CRC catalogue, Microsoft's
 * RSS verification suite). VXLAN encapsulations are also handed to scapy,
 * when it can be imported, as a second opinion. A randomized differential
 * test runs random packets through a multi-table pipeline as one burst and
 * one at a time and requires the same result for each packet.
 *
 * The harness checks ownership after every burst: used[i] is set exactly
 * when input i is in tx[], every other tx[] packet is a distinct copy, a
 * packet has a drop reason exactly when nothing was sent for it, and once
 * the copies are freed the pool is full again. Input packets sit in heap
 * buffers of exactly their headroom plus their length, so that a write
 * outside them shows up under AddressSanitizer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtwin/drop.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- Building programs ----------------------------------------------------- */

static struct ft_error err;

static uint32_t
ok_at(int rc, const char *what, int line)
{
	if (rc < 0)
		fail_msg("line %d: %s returned %d: '%s': %s", line, what, rc, err.object,
		         err.message);
	return (uint32_t)rc;
}

#define OK(x) ok_at((x), #x, __LINE__)

static const struct ft_field_decl eth_f[] = {
        {"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
enum { ETH_DST, ETH_SRC, ETH_TYPE };

static const struct ft_field_decl vlan_f[] = {
        {"pcp", 3}, {"dei", 1}, {"vid", 12}, {"ether_type", 16}};
enum { VLAN_PCP, VLAN_DEI, VLAN_VID, VLAN_TYPE };

static const struct ft_field_decl ipv4_f[] = {
        {"version", 4},         {"ihl", 4},           {"diffserv", 8},     {"total_len", 16},
        {"identification", 16}, {"flags", 3},         {"frag_offset", 13}, {"ttl", 8},
        {"protocol", 8},        {"hdr_checksum", 16}, {"src_addr", 32},    {"dst_addr", 32},
};
enum {
	IP_VER,
	IP_IHL,
	IP_DS,
	IP_LEN,
	IP_ID,
	IP_FLAGS,
	IP_FRAG,
	IP_TTL,
	IP_PROTO,
	IP_CSUM,
	IP_SRC,
	IP_DST
};

/* IPv4 as DPDK's SWX examples declare it: whole bytes only. */
static const struct ft_field_decl ipv4b_f[] = {
        {"ver_ihl", 8},       {"diffserv", 8},  {"total_len", 16}, {"identification", 16},
        {"flags_offset", 16}, {"ttl", 8},       {"protocol", 8},   {"hdr_checksum", 16},
        {"src_addr", 32},     {"dst_addr", 32},
};
enum {
	IPB_VER_IHL,
	IPB_DS,
	IPB_LEN,
	IPB_ID,
	IPB_FRAG,
	IPB_TTL,
	IPB_PROTO,
	IPB_CSUM,
	IPB_SRC,
	IPB_DST
};

static const struct ft_field_decl ipv6_f[] = {
        {"version", 4},  {"traffic_class", 8}, {"flow_label", 20}, {"payload_len", 16},
        {"next_hdr", 8}, {"hop_limit", 8},     {"src_addr", 128},  {"dst_addr", 128},
};
enum { V6_VER, V6_TC, V6_FLOW, V6_PLEN, V6_NH, V6_HLIM, V6_SRC, V6_DST };

static const struct ft_field_decl udp_f[] = {
        {"src_port", 16}, {"dst_port", 16}, {"length", 16}, {"checksum", 16}};
enum { UDP_SPORT, UDP_DPORT, UDP_LEN, UDP_CSUM };

static const struct ft_field_decl tcp_f[] = {
        {"src_port", 16}, {"dst_port", 16}, {"seq_no", 32}, {"ack_no", 32},   {"data_offset", 4},
        {"res", 4},       {"flags", 8},     {"window", 16}, {"checksum", 16}, {"urgent_ptr", 16},
};
enum {
	TCP_SPORT,
	TCP_DPORT,
	TCP_SEQ,
	TCP_ACK,
	TCP_DOFF,
	TCP_RES,
	TCP_FLAGS,
	TCP_WIN,
	TCP_CSUM,
	TCP_URG
};

static const struct ft_field_decl vxlan_f[] = {
        {"flags", 8}, {"reserved", 24}, {"vni", 24}, {"reserved2", 8}};
enum { VX_FLAGS, VX_RSVD, VX_VNI, VX_RSVD2 };

static const struct ft_field_decl icmp_f[] = {{"type", 8}, {"code", 8}, {"checksum", 16}};

static const struct ft_field_decl arp_f[] = {
        {"htype", 16}, {"ptype", 16}, {"hlen", 8}, {"plen", 8}, {"oper", 16},
        {"sha", 48},   {"spa", 32},   {"tha", 48}, {"tpa", 32},
};

/*
 * A header of our own that actions make valid and fill with the values under
 * test, emitted in front of the frame so that they show in the output bytes.
 */
static const struct ft_field_decl probe_f[] = {
        {"f8", 8}, {"f16", 16}, {"f32", 32}, {"f48", 48}, {"f64", 64}, {"f128", 128},
        {"f1", 1}, {"f3", 3},   {"f12", 12}, {"f24", 24}, {"g16", 16}, {"g32", 32},
};
enum { P_F8, P_F16, P_F32, P_F48, P_F64, P_F128, P_F1, P_F3, P_F12, P_F24, P_G16, P_G32 };
#define PROBE_LEN 48

struct types {
	uint32_t eth, vlan, ipv4, ipv4b, ipv6, udp, tcp, vxlan, icmp, arp, probe;
};

static void
types_add(struct ft_program *p, struct types *t)
{
	t->eth = OK(ft_program_add_header_type(p, "ethernet_h", eth_f, ARRAY_SIZE(eth_f), &err));
	t->vlan = OK(ft_program_add_header_type(p, "vlan_h", vlan_f, ARRAY_SIZE(vlan_f), &err));
	t->ipv4 = OK(ft_program_add_header_type(p, "ipv4_h", ipv4_f, ARRAY_SIZE(ipv4_f), &err));
	t->ipv4b = OK(ft_program_add_header_type(p, "ipv4b_h", ipv4b_f, ARRAY_SIZE(ipv4b_f), &err));
	t->ipv6 = OK(ft_program_add_header_type(p, "ipv6_h", ipv6_f, ARRAY_SIZE(ipv6_f), &err));
	t->udp = OK(ft_program_add_header_type(p, "udp_h", udp_f, ARRAY_SIZE(udp_f), &err));
	t->tcp = OK(ft_program_add_header_type(p, "tcp_h", tcp_f, ARRAY_SIZE(tcp_f), &err));
	t->vxlan = OK(ft_program_add_header_type(p, "vxlan_h", vxlan_f, ARRAY_SIZE(vxlan_f), &err));
	t->icmp = OK(ft_program_add_header_type(p, "icmp_h", icmp_f, ARRAY_SIZE(icmp_f), &err));
	t->arp = OK(ft_program_add_header_type(p, "arp_h", arp_f, ARRAY_SIZE(arp_f), &err));
	t->probe = OK(ft_program_add_header_type(p, "probe_h", probe_f, ARRAY_SIZE(probe_f), &err));
}

static uint32_t
header(struct ft_program *p, const char *name, uint32_t type, enum ft_proto proto,
       enum ft_layer layer)
{
	return OK(ft_program_add_header(p, name, type, proto, layer, &err));
}

static uint32_t
meta(struct ft_program *p, const char *name, uint32_t bits)
{
	return OK(ft_program_add_metadata(p, name, bits, &err));
}

static uint32_t
action_add(struct ft_program *p, const char *name, const struct ft_param_decl *params,
           uint32_t n_params, const struct ft_op *ops, uint32_t n_ops)
{
	return OK(ft_program_add_action(p, name, params, n_params, ops, n_ops, &err));
}

/* Operands and operations, short enough to write actions as lists. */
#define F(h, f)  ft_ref_field((h), (f))
#define K(v, w)  ft_ref_const((v), (w))
#define KB(b, w) ft_ref_const_bytes((b), (w))
#define MT(m)    ft_ref_meta(m)
#define PR(i)    ft_ref_param(i)
#define HD(h)    ft_ref_header(h)
#define SD(s)    ft_ref_std(s)
#define SET(d, x)                                                                                  \
	{                                                                                          \
		.kind = FT_OP_SET, .dst = (d), .a = (x)                                            \
	}
#define OP(k, d, x, y)                                                                             \
	{                                                                                          \
		.kind = FT_OP_##k, .dst = (d), .a = (x), .b = (y)                                  \
	}
#define NOT(d, x)                                                                                  \
	{                                                                                          \
		.kind = FT_OP_NOT, .dst = (d), .a = (x)                                            \
	}
#define VALID(h)                                                                                   \
	{                                                                                          \
		.kind = FT_OP_SET_VALID, .dst = ft_ref_header(h)                                   \
	}
#define INVALID(h)                                                                                 \
	{                                                                                          \
		.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(h)                                 \
	}
#define SEND(x)                                                                                    \
	{                                                                                          \
		.kind = FT_OP_SEND, .a = (x)                                                       \
	}
#define DROP()                                                                                     \
	{                                                                                          \
		.kind = FT_OP_DROP                                                                 \
	}
#define LIST(...)                                                                                  \
	.list = (const struct ft_ref[]){__VA_ARGS__},                                              \
	.n_list = (uint32_t)(sizeof((const struct ft_ref[]){__VA_ARGS__}) / sizeof(struct ft_ref))
#define CSUM(d, ...)                                                                               \
	{                                                                                          \
		.kind = FT_OP_CSUM, .dst = (d), LIST(__VA_ARGS__)                                  \
	}
#define HASH(algo, d, base, max, ...)                                                              \
	{                                                                                          \
		.kind = FT_OP_HASH, .id = (algo), .dst = (d), .a = (base), .b = (max),             \
		LIST(__VA_ARGS__)                                                                  \
	}
#define OPS(...)                                                                                   \
	(const struct ft_op[]){__VA_ARGS__},                                                       \
	        (uint32_t)(sizeof((const struct ft_op[]){__VA_ARGS__}) / sizeof(struct ft_op))
/* 'params' is PARAMS(...) or NOPARAMS. */
#define ACT(p, name, params, ...) action_add((p), (name), params, OPS(__VA_ARGS__))
#define NOPARAMS                  NULL, 0
#define PARAMS(...)                                                                                \
	(const struct ft_param_decl[]){__VA_ARGS__},                                               \
	        (uint32_t)(sizeof((const struct ft_param_decl[]){__VA_ARGS__}) /                   \
	                   sizeof(struct ft_param_decl))
#define U32S(...)                                                                                  \
	(const uint32_t[]){__VA_ARGS__},                                                           \
	        (uint32_t)(sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t))

static uint32_t
table_add(struct ft_program *p, const char *name, const struct ft_key_decl *keys, uint32_t n_keys,
          const uint32_t *acts, uint32_t n_acts, uint32_t dflt)
{
	struct ft_table_action ta[32];
	struct ft_table_decl td = {.name = name,
	                           .keys = keys,
	                           .n_keys = n_keys,
	                           .actions = ta,
	                           .n_actions = n_acts,
	                           .default_action = dflt,
	                           .size = 1024};

	assert_true(n_acts <= ARRAY_SIZE(ta));
	for (uint32_t i = 0; i < n_acts; i++)
		ta[i] = (struct ft_table_action){acts[i], FT_SCOPE_ANY};
	return OK(ft_program_add_table(p, &td, &err));
}

static uint32_t
key1_table(struct ft_program *p, const char *name, struct ft_ref ref, enum ft_match_kind match,
           const uint32_t *acts, uint32_t n_acts, uint32_t dflt)
{
	struct ft_key_decl k = {ref, match};

	return table_add(p, name, &k, 1, acts, n_acts, dflt);
}

static uint32_t
node_apply(struct ft_program *p, enum ft_control c, uint32_t table, uint32_t next, uint32_t hit,
           uint32_t miss, const struct ft_action_next *on, uint32_t n_on)
{
	struct ft_node n = {.kind = FT_NODE_APPLY,
	                    .table = table,
	                    .next = next,
	                    .next_hit = hit,
	                    .next_miss = miss,
	                    .on_action = on,
	                    .n_on_action = n_on};

	return OK(ft_program_add_node(p, c, &n, &err));
}

static uint32_t
node_apply1(struct ft_program *p, enum ft_control c, uint32_t table, uint32_t next)
{
	return node_apply(p, c, table, next, FT_NEXT_DEFAULT, FT_NEXT_DEFAULT, NULL, 0);
}

static uint32_t
node_run(struct ft_program *p, enum ft_control c, uint32_t action, uint32_t next)
{
	struct ft_node n = {.kind = FT_NODE_RUN, .action = action, .next = next};

	return OK(ft_program_add_node(p, c, &n, &err));
}

static uint32_t
node_if(struct ft_program *p, enum ft_control c, uint32_t cond, uint32_t yes, uint32_t no)
{
	struct ft_node n = {.kind = FT_NODE_IF, .cond = cond, .next = yes, .next_false = no};

	return OK(ft_program_add_node(p, c, &n, &err));
}

static uint32_t
cond_cmp(struct ft_program *p, enum ft_cmp cmp, struct ft_ref a, struct ft_ref b)
{
	struct ft_cond c = {.kind = FT_COND_CMP, .cmp = cmp, .a = a, .b = b};

	return OK(ft_program_add_cond(p, &c, &err));
}

static uint32_t
cond_valid(struct ft_program *p, uint32_t hdr)
{
	struct ft_cond c = {.kind = FT_COND_VALID, .hdr = hdr};

	return OK(ft_program_add_cond(p, &c, &err));
}

static uint32_t
cond_bool(struct ft_program *p, enum ft_cond_kind kind, uint32_t l, uint32_t r)
{
	struct ft_cond c = {.kind = kind, .l = l, .r = r};

	return OK(ft_program_add_cond(p, &c, &err));
}

static void
emit(struct ft_program *p, const uint32_t *hdrs, uint32_t n)
{
	OK(ft_program_set_emit(p, hdrs, n, &err));
}

/* --- Entries --------------------------------------------------------------- */

static void
entry_add(struct ft_pipeline *pipe, uint32_t table, const uint8_t *key, const uint8_t *mask,
          uint32_t prio, uint32_t action, const uint8_t *data)
{
	struct ft_txn *txn = ft_txn_begin(pipe, &err);
	struct ft_entry e = {
	        .key = key, .mask = mask, .priority = prio, .action = action, .data = data};

	assert_non_null(txn);
	OK(ft_txn_entry_add(txn, table, &e, &err));
	OK(ft_txn_commit(txn, &err));
}

/* An entry of a table keyed on one 32-bit value (std.in_port, an address). */
static void
entry32(struct ft_pipeline *pipe, uint32_t table, uint32_t key, uint32_t action,
        const uint8_t *data)
{
	uint8_t k[4] = {(uint8_t)(key >> 24), (uint8_t)(key >> 16), (uint8_t)(key >> 8),
	                (uint8_t)key};

	entry_add(pipe, table, k, NULL, 0, action, data);
}

static void
group_set(struct ft_pipeline *pipe, uint32_t group, const struct ft_group_member *m, uint32_t n)
{
	struct ft_txn *txn = ft_txn_begin(pipe, &err);

	assert_non_null(txn);
	OK(ft_txn_group_set(txn, group, m, n, &err));
	OK(ft_txn_commit(txn, &err));
}

static void
mirror_set(struct ft_pipeline *pipe, uint32_t session, uint32_t port)
{
	struct ft_txn *txn = ft_txn_begin(pipe, &err);

	assert_non_null(txn);
	OK(ft_txn_mirror_set(txn, session, port, &err));
	OK(ft_txn_commit(txn, &err));
}

/* --- Bytes, frames and reference computations ------------------------------ */

static void
wr(uint8_t *p, uint32_t n, uint64_t v)
{
	for (uint32_t i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
rd(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* RFC 1071 ones' complement checksum, one byte at a time. */
static uint16_t
ref_csum(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i++)
		s += (i & 1) ? p[i] : (uint32_t)p[i] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* CRC-32 (IEEE), bit by bit. */
static uint32_t
ref_crc32(const uint8_t *p, uint32_t n)
{
	uint32_t c = 0xffffffffu;

	for (uint32_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
	}
	return ~c;
}

/* CRC-16/ARC, bit by bit. */
static uint16_t
ref_crc16(const uint8_t *p, uint32_t n)
{
	uint16_t c = 0;

	for (uint32_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (uint16_t)((c & 1) ? (c >> 1) ^ 0xa001u : c >> 1);
	}
	return c;
}

#define FRAME_MAX 2048

struct frame {
	uint32_t len;
	uint8_t b[FRAME_MAX];
};

static uint8_t *
fr_grow(struct frame *f, uint32_t n)
{
	uint8_t *p = f->b + f->len;

	assert_true(f->len + n <= sizeof(f->b));
	memset(p, 0, n);
	f->len += n;
	return p;
}

static void
fr_bytes(struct frame *f, const uint8_t *b, uint32_t n)
{
	memcpy(fr_grow(f, n), b, n);
}

static void
fr_payload(struct frame *f, uint32_t n, uint8_t seed)
{
	uint8_t *p = fr_grow(f, n);

	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 7u);
}

static void
fr_eth(struct frame *f, uint64_t dst, uint64_t src, uint16_t type)
{
	uint8_t *p = fr_grow(f, 14);

	wr(p, 6, dst);
	wr(p + 6, 6, src);
	wr(p + 12, 2, type);
}

static void
fr_vlan(struct frame *f, uint16_t tci, uint16_t type)
{
	uint8_t *p = fr_grow(f, 4);

	wr(p, 2, tci);
	wr(p + 2, 2, type);
}

struct ip4 {
	uint8_t tos, ttl, proto;
	uint16_t id, frag; /* frag: flags and fragment offset */
	uint32_t src, dst;
};

/* An IPv4 header without options, total length 20 + l4_len, checksum computed here. */
static void
fr_ipv4(struct frame *f, const struct ip4 *ip, uint32_t l4_len)
{
	uint8_t *p = fr_grow(f, 20);

	p[0] = 0x45;
	p[1] = ip->tos;
	wr(p + 2, 2, 20 + l4_len);
	wr(p + 4, 2, ip->id);
	wr(p + 6, 2, ip->frag);
	p[8] = ip->ttl;
	p[9] = ip->proto;
	wr(p + 12, 4, ip->src);
	wr(p + 16, 4, ip->dst);
	wr(p + 10, 2, ref_csum(p, 20));
}

static void
fr_ipv6(struct frame *f, uint8_t tc, uint32_t flow, uint8_t nh, uint8_t hlim, const uint8_t *src,
        const uint8_t *dst, uint32_t plen)
{
	uint8_t *p = fr_grow(f, 40);

	wr(p, 4, 6u << 28 | (uint32_t)tc << 20 | flow);
	wr(p + 4, 2, plen);
	p[6] = nh;
	p[7] = hlim;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
}

static void
fr_udp(struct frame *f, uint16_t sport, uint16_t dport, uint32_t payload)
{
	uint8_t *p = fr_grow(f, 8);

	wr(p, 2, sport);
	wr(p + 2, 2, dport);
	wr(p + 4, 2, 8 + payload);
}

static void
fr_tcp(struct frame *f, uint16_t sport, uint16_t dport)
{
	uint8_t *p = fr_grow(f, 20);

	wr(p, 2, sport);
	wr(p + 2, 2, dport);
	wr(p + 4, 4, 0x01020304);
	p[12] = 0x50;
	p[13] = 0x18;
	wr(p + 14, 2, 0x2000);
}

static void
fr_vxlan(struct frame *f, uint32_t vni)
{
	uint8_t *p = fr_grow(f, 8);

	p[0] = 0x08;
	wr(p + 4, 3, vni);
}

/* Ethernet / IPv4 / UDP with 'n' bytes of payload. */
static void
frame_udp4(struct frame *f, uint64_t dmac, uint64_t smac, struct ip4 ip, uint16_t sport,
           uint16_t dport, uint32_t n)
{
	ip.proto = 17;
	fr_eth(f, dmac, smac, 0x0800);
	fr_ipv4(f, &ip, 8 + n);
	fr_udp(f, sport, dport, n);
	fr_payload(f, n, (uint8_t)sport);
}

/* Ethernet / IPv4 / TCP with 'n' bytes of payload. */
static void
frame_tcp4(struct frame *f, uint64_t dmac, uint64_t smac, struct ip4 ip, uint16_t sport,
           uint16_t dport, uint32_t n)
{
	ip.proto = 6;
	fr_eth(f, dmac, smac, 0x0800);
	fr_ipv4(f, &ip, 20 + n);
	fr_tcp(f, sport, dport);
	fr_payload(f, n, (uint8_t)dport);
}

/* The values of a probe header, and its bytes as we expect them. */
struct probe {
	uint64_t f8, f16, f32, f48, f64, f1, f3, f12, f24, g16, g32;
	uint8_t f128[16];
};

static void
fr_probe(struct frame *f, const struct probe *v)
{
	uint8_t *q = fr_grow(f, PROBE_LEN);

	q[0] = (uint8_t)v->f8;
	wr(q + 1, 2, v->f16);
	wr(q + 3, 4, v->f32);
	wr(q + 7, 6, v->f48);
	wr(q + 13, 8, v->f64);
	memcpy(q + 21, v->f128, 16);
	wr(q + 37, 2, v->f1 << 15 | v->f3 << 12 | v->f12);
	wr(q + 39, 3, v->f24);
	wr(q + 42, 2, v->g16);
	wr(q + 44, 4, v->g32);
}

static void
hexdump(const char *what, const uint8_t *p, uint32_t n)
{
	print_message("%s (%u bytes):\n", what, n);
	for (uint32_t i = 0; i < n; i += 16) {
		print_message("  %04x:", i);
		for (uint32_t j = i; j < i + 16 && j < n; j++)
			print_message(" %02x", p[j]);
		print_message("\n");
	}
}

/* --- Running bursts -------------------------------------------------------- */

#define POOL_BUF 2048

/* A pipeline, a worker with its pool, and the inputs of the next burst. */
struct rig {
	struct ft_pipeline *pipe;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	uint32_t pool_n;
	uint32_t n;
	bool ran;
	struct ft_pkt in[FT_BURST_MAX + 1];
	struct ft_pkt *pkts[FT_BURST_MAX + 1];
	struct ft_burst_result res;
};

static uint64_t fake_now = 0x123456789abull;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return fake_now;
}

/* Loads 'prog' (taking it) with a worker whose pool has 'pool_n' buffers (0: no pool). */
static struct rig *
rig_open(struct ft_program *prog, uint32_t pool_n)
{
	struct ft_pipeline_params params = {.clock = fake_clock};
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->pipe = ft_pipeline_create(prog, &params, &err);
	if (r->pipe == NULL)
		fail_msg("ft_pipeline_create: '%s': %s", err.object, err.message);
	r->pool_n = pool_n;
	if (pool_n) {
		r->sp = ft_pkt_pool_simple_create(pool_n, POOL_BUF, &r->pool);
		assert_non_null(r->sp);
	}
	r->w = ft_worker_create(r->pipe, pool_n ? &r->pool : NULL, &err);
	assert_non_null(r->w);
	return r;
}

/* A second worker on the same pipeline, with its own pool. */
static struct rig *
rig_share(struct rig *o, uint32_t pool_n)
{
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->pipe = o->pipe;
	r->pool_n = pool_n;
	if (pool_n) {
		r->sp = ft_pkt_pool_simple_create(pool_n, POOL_BUF, &r->pool);
		assert_non_null(r->sp);
	}
	r->w = ft_worker_create(r->pipe, pool_n ? &r->pool : NULL, &err);
	assert_non_null(r->w);
	return r;
}

/* Frees the copies of the last burst and the inputs; the pool must be full again. */
static void
rig_clear(struct rig *r)
{
	if (r->ran) {
		for (uint32_t t = 0; t < r->res.n_tx; t++) {
			struct ft_pkt *p = r->res.tx[t].pkt;

			if (p < r->in || p >= r->in + r->n)
				r->pool.free(r->pool.arg, p);
		}
	}
	for (uint32_t i = 0; i < r->n; i++)
		free(r->in[i].buf);
	r->n = 0;
	r->ran = false;
	if (r->sp)
		assert_int_equal(ft_pkt_pool_simple_avail(r->sp), r->pool_n);
}

static void
rig_close(struct rig *r, bool own_pipe)
{
	rig_clear(r);
	ft_worker_destroy(r->w);
	if (own_pipe)
		ft_pipeline_destroy(r->pipe);
	ft_pkt_pool_simple_destroy(r->sp);
	free(r);
}

/*
 * Queues a packet for the next burst in a buffer of exactly headroom + len
 * bytes; the headroom holds garbage. Returns its index.
 */
static uint32_t
rig_add(struct rig *r, const uint8_t *bytes, uint32_t len, uint32_t port, uint32_t headroom)
{
	uint8_t *buf;

	if (r->ran)
		rig_clear(r);
	assert_true(r->n <= FT_BURST_MAX);
	buf = malloc(headroom + len ? headroom + len : 1);
	assert_non_null(buf);
	memset(buf, 0xa5, headroom);
	memcpy(buf + headroom, bytes, len);
	OK(ft_pkt_init(&r->in[r->n], buf, headroom + len, (uint16_t)headroom, (uint16_t)len, port));
	r->pkts[r->n] = &r->in[r->n];
	return r->n++;
}

static uint32_t
rig_addf(struct rig *r, const struct frame *f, uint32_t port)
{
	return rig_add(r, f->b, f->len, port, FT_PKT_HEADROOM);
}

/* The checks that hold after any burst. */
static void
check_burst(const struct rig *r)
{
	const struct ft_burst_result *res = &r->res;
	bool in_tx[FT_BURST_MAX] = {0}, sent[FT_BURST_MAX] = {0};

	assert_true(res->n_tx <= FT_BURST_TX_MAX);
	for (uint32_t t = 0; t < res->n_tx; t++) {
		const struct ft_tx *x = &res->tx[t];

		assert_non_null(x->pkt);
		assert_true(x->src < r->n);
		sent[x->src] = true;
		assert_int_equal(x->pkt->nb_segs, 1);
		assert_true((uint32_t)x->pkt->data_off + x->pkt->len <= x->pkt->buf_len);
		for (uint32_t u = 0; u < t; u++)
			assert_ptr_not_equal(res->tx[u].pkt, x->pkt);
		if (x->pkt >= r->in && x->pkt < r->in + r->n) {
			uint32_t i = (uint32_t)(x->pkt - r->in);

			assert_int_equal(i, x->src);
			in_tx[i] = true;
		}
	}
	for (uint32_t i = 0; i < r->n; i++) {
		assert_int_equal(res->used[i] != 0, in_tx[i]);
		assert_true(res->drop[i] < FT_DROP_COUNT);
		if (sent[i] != (res->drop[i] == FT_DROP_NONE))
			fail_msg("packet %u: %s sent, drop reason '%s'", i,
			         sent[i] ? "something" : "nothing", ft_drop_name(res->drop[i]));
	}
	assert_true(res->n_events <= FT_BURST_EVENTS_MAX);
	for (uint32_t e = 0; e < res->n_events; e++) {
		assert_int_equal(res->events[e].kind, FT_EVENT_DIGEST);
		assert_true(res->events[e].src < r->n);
		assert_true(res->events[e].len <= FT_DIGEST_BYTES_MAX);
	}
}

/* Runs the queued packets as one burst and checks what holds for any burst. */
static int
rig_run(struct rig *r)
{
	struct ft_stats before, after;
	int rc;

	ft_pipeline_stats(r->pipe, &before);
	memset(&r->res, 0x5c, sizeof(r->res)); /* every field read below must be written */
	rc = ft_worker_run(r->w, r->pkts, (uint16_t)r->n, &r->res);
	r->ran = true;
	ft_pipeline_stats(r->pipe, &after);
	assert_int_equal(rc, (int)r->res.n_tx);
	assert_int_equal(after.rx - before.rx, r->n);
	assert_int_equal(after.tx - before.tx, r->res.n_tx);
	check_burst(r);
	return rc;
}

static void
expect_tx(const struct rig *r, uint32_t t, uint32_t src, uint32_t port, const uint8_t *b,
          uint32_t len)
{
	const struct ft_tx *x;

	if (t >= r->res.n_tx)
		fail_msg("expected output %u, have only %u", t, r->res.n_tx);
	x = &r->res.tx[t];
	assert_int_equal(x->src, src);
	assert_int_equal(x->port, port);
	if (x->pkt->len != len || memcmp(ft_pkt_data(x->pkt), b, len) != 0) {
		hexdump("expected", b, len);
		hexdump("got", ft_pkt_data(x->pkt), x->pkt->len);
		fail_msg("output %u differs", t);
	}
}

static void
expect_txf(const struct rig *r, uint32_t t, uint32_t src, uint32_t port, const struct frame *f)
{
	expect_tx(r, t, src, port, f->b, f->len);
}

static void
expect_drop(const struct rig *r, uint32_t i, unsigned int reason, uint32_t action)
{
	if (r->res.drop[i] != reason)
		fail_msg("packet %u: drop '%s', expected '%s'", i, ft_drop_name(r->res.drop[i]),
		         ft_drop_name(reason));
	if (action != UINT32_MAX)
		assert_int_equal(r->res.drop_action[i], action);
}

static uint64_t
stat_drop(struct rig *r, unsigned int reason)
{
	struct ft_stats s;

	ft_pipeline_stats(r->pipe, &s);
	return s.drop[reason];
}

/* --- scapy, as a second opinion -------------------------------------------- */

/*
 * Checks VXLAN packets with scapy: layers, lengths, the IPv4 checksum as
 * scapy recomputes it, the VNI and the inner frame. Arguments come in
 * fours: packet hex, VNI, inner frame hex, "vtep" or "dpdk". Exits 77 when
 * scapy cannot be imported. No single quotes: it goes into sh -c '...'.
 */
static const char scapy_script[] =
        "import sys\n"
        "try:\n"
        "    from scapy.all import Ether, IP, UDP\n"
        "    from scapy.layers.vxlan import VXLAN\n"
        "except Exception:\n"
        "    sys.exit(77)\n"
        "bad = []\n"
        "a = sys.argv[1:]\n"
        "for k in range(0, len(a), 4):\n"
        "    b = bytes.fromhex(a[k]); vni = int(a[k + 1]); inner = bytes.fromhex(a[k + 2])\n"
        "    e = []\n"
        "    p = Ether(b)\n"
        "    if IP not in p or UDP not in p or VXLAN not in p:\n"
        "        bad.append(\"packet %d: layers %s\" % (k // 4, p.summary())); continue\n"
        "    ip = p[IP]; u = p[UDP]; v = p[VXLAN]\n"
        "    if p.type != 0x800: e.append(\"ethertype\")\n"
        "    if ip.version != 4 or ip.ihl != 5: e.append(\"version/ihl\")\n"
        "    if ip.len != len(b) - 14: e.append(\"ip.len %d\" % ip.len)\n"
        "    if ip.ttl != 64 or int(ip.flags) != 2 or ip.proto != 17: e.append(\"ttl/df/proto\")\n"
        "    q = IP(bytes(ip)[:20]); q.chksum = None\n"
        "    if IP(bytes(q)).chksum != ip.chksum: e.append(\"ip.chksum %#x\" % ip.chksum)\n"
        "    if u.len != len(b) - 34: e.append(\"udp.len %d\" % u.len)\n"
        "    if u.dport != 4789: e.append(\"udp.dport %d\" % u.dport)\n"
        "    if a[k + 3] == \"vtep\" and (u.chksum != 0 or u.sport < 49152):\n"
        "        e.append(\"udp.chksum/sport\")\n"
        "    if v.vni != vni or int(v.flags) != 8: e.append(\"vni %d flags %d\" % (v.vni, "
        "int(v.flags)))\n"
        "    if bytes(v.payload) != inner: e.append(\"inner frame\")\n"
        "    if e: bad.append(\"packet %d: %s\" % (k // 4, \" \".join(e)))\n"
        "print(\"; \".join(bad))\n"
        "sys.exit(1 if bad else 0)\n";

static char scapy_args[64 * 1024];
static size_t scapy_len;

static void
hex_append(const uint8_t *p, uint32_t n)
{
	assert_true(scapy_len + 2 * n + 2 < sizeof(scapy_args));
	scapy_args[scapy_len++] = ' ';
	for (uint32_t i = 0; i < n; i++)
		scapy_len += (size_t)snprintf(scapy_args + scapy_len, 3, "%02x", p[i]);
}

static void
scapy_add(const struct ft_pkt *p, uint32_t vni, const struct frame *inner, bool vtep)
{
	hex_append(ft_pkt_data(p), p->len);
	scapy_len += (size_t)snprintf(scapy_args + scapy_len, 16, " %u", vni);
	hex_append(inner->b, inner->len);
	scapy_len += (size_t)snprintf(scapy_args + scapy_len, 8, " %s", vtep ? "vtep" : "dpdk");
}

static void
scapy_run(void)
{
	const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
	size_t size = sizeof(scapy_script) + scapy_len + 256;
	char *cmd = malloc(size), out[4096] = "";
	size_t got;
	FILE *f;
	int st;

	assert_non_null(cmd);
	snprintf(cmd, size, "%s -c '%s'%s 2>&1", py, scapy_script, scapy_args);
	scapy_len = 0;
	f = popen(cmd, "r");
	free(cmd);
	if (f == NULL) {
		print_message("cannot run %s: skipping the scapy cross-check\n", py);
		return;
	}
	got = fread(out, 1, sizeof(out) - 1, f);
	out[got] = '\0';
	st = pclose(f);
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 77 || WEXITSTATUS(st) == 127)) {
		print_message("scapy cannot be imported by %s: skipping the scapy cross-check\n",
		              py);
		return;
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("scapy disagrees: %s", out);
}

/* --- 1. VXLAN encapsulation ------------------------------------------------ */

struct tunnel {
	uint64_t rmac, lmac;
	uint32_t rip, lip, vni, port;
	uint16_t sport; /* DPDK style: from the entry */
};

/* What the VXLAN encapsulation of 'inner' must be, built field by field. */
static void
vxlan_expect(struct frame *out, const struct tunnel *tn, uint16_t sport, const struct frame *inner)
{
	out->len = 0;
	fr_eth(out, tn->rmac, tn->lmac, 0x0800);
	fr_ipv4(out,
	        &(struct ip4){
	                .ttl = 64, .proto = 17, .frag = 0x4000, .src = tn->lip, .dst = tn->rip},
	        16 + inner->len);
	fr_udp(out, sport, 4789, 8 + inner->len);
	fr_vxlan(out, tn->vni);
	fr_bytes(out, inner->b, inner->len);
}

/* Checks an encapsulated packet's lengths and checksum from its own bytes. */
static void
vxlan_verify(const struct ft_pkt *pkt, uint32_t inner_len)
{
	const uint8_t *p = ft_pkt_data(pkt);
	uint32_t len = pkt->len;

	assert_int_equal(len, 50 + inner_len);
	assert_int_equal(rd(p + 12, 2), 0x0800);
	assert_int_equal(p[14], 0x45);
	assert_int_equal(rd(p + 16, 2), len - 14); /* IPv4 total length */
	assert_int_equal(ref_csum(p + 14, 20), 0); /* a right header sums to 0xffff */
	assert_int_not_equal(rd(p + 24, 2), 0);
	assert_int_equal(rd(p + 36, 2), 4789);
	assert_int_equal(rd(p + 38, 2), len - 34); /* UDP length */
	assert_int_equal(p[42], 0x08);
}

/* Outer Ethernet / IPv4 / UDP / VXLAN around 'inner'. */
static void
frame_vxlan(struct frame *f, uint32_t vni, const struct frame *inner, uint16_t sport)
{
	fr_eth(f, 0x0200000000e1, 0x0200000000e2, 0x0800);
	fr_ipv4(f,
	        &(struct ip4){.ttl = 64,
	                      .proto = 17,
	                      .frag = 0x4000,
	                      .src = 0xc0a80102,
	                      .dst = 0xc0a80101},
	        16 + inner->len);
	fr_udp(f, sport, 4789, 8 + inner->len);
	fr_vxlan(f, vni);
	fr_bytes(f, inner->b, inner->len);
}

struct dpdk {
	uint32_t eth, ip, o_eth, o_ip, o_udp, o_vx, encap, drop, table;
};

/*
 * DPDK's SWX VXLAN example through the builder: one exact table on the
 * Ethernet destination whose action takes every field of the outer headers
 * from its data, adds the inner IPv4 length to the outer lengths and
 * computes the outer IPv4 checksum.
 */
static struct ft_program *
dpdk_build(struct dpdk *d)
{
	struct ft_program *p = ft_program_create("dpdk_vxlan");
	struct ft_param_decl params[22];
	struct ft_op ops[32];
	struct ft_ref csum[9];
	char names[22][32];
	uint32_t n_ops = 0, n_params = 0, n_csum = 0;
	struct types t;

	assert_non_null(p);
	types_add(p, &t);
	d->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	d->ip = header(p, "ipv4", t.ipv4b, FT_PROTO_IPV4, FT_L_IPV4);
	d->o_eth = header(p, "outer_ethernet", t.eth, FT_PROTO_ETH, FT_L_NONE);
	d->o_ip = header(p, "outer_ipv4", t.ipv4b, FT_PROTO_IPV4, FT_L_NONE);
	d->o_udp = header(p, "outer_udp", t.udp, FT_PROTO_UDP, FT_L_NONE);
	d->o_vx = header(p, "outer_vxlan", t.vxlan, FT_PROTO_VXLAN, FT_L_NONE);

	const struct {
		uint32_t hdr;
		const struct ft_field_decl *f;
		uint32_t n;
	} outer[] = {{d->o_eth, eth_f, 3},
	             {d->o_ip, ipv4b_f, 10},
	             {d->o_udp, udp_f, 4},
	             {d->o_vx, vxlan_f, 4}};

	for (uint32_t h = 0; h < 4; h++)
		ops[n_ops++] = (struct ft_op)VALID(outer[h].hdr);
	for (uint32_t h = 0; h < 4; h++)
		for (uint32_t f = 0; f < outer[h].n; f++) {
			snprintf(names[n_params], sizeof(names[0]), "h%u_%s", h,
			         outer[h].f[f].name);
			params[n_params] =
			        (struct ft_param_decl){names[n_params], outer[h].f[f].bits};
			ops[n_ops++] = (struct ft_op)SET(F(outer[h].hdr, f), PR(n_params));
			n_params++;
		}
	params[n_params++] = (struct ft_param_decl){"port_out", 32};
	ops[n_ops++] =
	        (struct ft_op)OP(ADD, F(d->o_ip, IPB_LEN), F(d->o_ip, IPB_LEN), F(d->ip, IPB_LEN));
	ops[n_ops++] = (struct ft_op)OP(ADD, F(d->o_udp, UDP_LEN), F(d->o_udp, UDP_LEN),
	                                F(d->ip, IPB_LEN));
	for (uint32_t f = 0; f < 10; f++)
		if (f != IPB_CSUM)
			csum[n_csum++] = F(d->o_ip, f);
	ops[n_ops++] = (struct ft_op){
	        .kind = FT_OP_CSUM, .dst = F(d->o_ip, IPB_CSUM), .list = csum, .n_list = n_csum};
	ops[n_ops++] = (struct ft_op)SEND(PR(21));
	d->encap = action_add(p, "vxlan_encap", params, n_params, ops, n_ops);
	d->drop = ACT(p, "drop", NOPARAMS, DROP());
	d->table = key1_table(p, "vxlan_table", F(d->eth, ETH_DST), FT_MATCH_EXACT,
	                      U32S(d->encap, d->drop), d->drop);
	node_apply1(p, FT_CTL_INGRESS, d->table, FT_NODE_END);
	emit(p, U32S(d->o_eth, d->o_ip, d->o_udp, d->o_vx, d->eth, d->ip));
	return p;
}

/* The action data of vxlan_encap: the outer headers with the fixed part of the lengths. */
static void
dpdk_data(uint8_t *d, const struct tunnel *tn)
{
	memset(d, 0, 54);
	wr(d, 6, tn->rmac);
	wr(d + 6, 6, tn->lmac);
	wr(d + 12, 2, 0x0800);
	d[14] = 0x45;
	wr(d + 16, 2, 50); /* outer overhead; the inner IPv4 length is added */
	wr(d + 20, 2, 0x4000);
	d[22] = 64;
	d[23] = 17;
	wr(d + 26, 4, tn->lip);
	wr(d + 30, 4, tn->rip);
	wr(d + 34, 2, tn->sport);
	wr(d + 36, 2, 4789);
	wr(d + 38, 2, 30); /* UDP + VXLAN + inner Ethernet */
	d[42] = 0x08;
	wr(d + 46, 3, tn->vni);
	wr(d + 50, 4, tn->port);
}

static void
dpdk_entry(struct rig *r, const struct dpdk *d, uint64_t dmac, const struct tunnel *tn)
{
	uint8_t key[6], data[54];

	wr(key, 6, dmac);
	dpdk_data(data, tn);
	entry_add(r->pipe, d->table, key, NULL, 0, d->encap, data);
}

static void
test_encap_dpdk(void **state)
{
	static const struct tunnel tn[2] = {
	        {.rmac = 0x0200000000a1,
	         .lmac = 0x0200000000b1,
	         .rip = 0xc0a80002,
	         .lip = 0xc0a80001,
	         .vni = 0x123456,
	         .port = 3,
	         .sport = 0xc001},
	        {.rmac = 0x0200000000a2,
	         .lmac = 0x0200000000b2,
	         .rip = 0x0a0a0a0a,
	         .lip = 0xfffffffe,
	         .vni = 0xffffff,
	         .port = 0x10000,
	         .sport = 65535},
	};
	static struct frame in[3], out;
	struct dpdk d;
	struct rig *r = rig_open(dpdk_build(&d), 8);

	(void)state;
	dpdk_entry(r, &d, 0xd1, &tn[0]);
	dpdk_entry(r, &d, 0xd2, &tn[1]);
	frame_udp4(&in[0], 0xd1, 0x0200000000c1,
	           (struct ip4){.ttl = 9, .id = 7, .src = 0x0a000001, .dst = 0x0a000002}, 1000,
	           2000, 30);
	frame_udp4(&in[1], 0xd2, 0x0200000000c2,
	           (struct ip4){.ttl = 1, .tos = 0xb8, .src = 0x0a000003, .dst = 0x0a000004}, 53,
	           53, 1200);
	frame_udp4(&in[2], 0xd3, 0x0200000000c3, (struct ip4){.ttl = 1}, 1, 2, 3);
	/* Twice: the second time, the scratch headers hold the first burst's values. */
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < 3; i++)
			rig_addf(r, &in[i], 1);
		rig_run(r);
		assert_int_equal(r->res.n_tx, 2);
		for (uint32_t i = 0; i < 2; i++) {
			vxlan_expect(&out, &tn[i], tn[i].sport, &in[i]);
			expect_txf(r, i, i, tn[i].port, &out);
			vxlan_verify(r->res.tx[i].pkt, in[i].len);
			assert_ptr_equal(r->res.tx[i].pkt, &r->in[i]);
			assert_int_equal(r->in[i].data_off, FT_PKT_HEADROOM - 50);
			if (round == 0)
				scapy_add(r->res.tx[i].pkt, tn[i].vni, &in[i], false);
		}
		expect_drop(r, 2, FT_DROP_ACTION, d.drop);
	}
	scapy_run();
	rig_close(r, true);
}

struct vtep {
	uint32_t eth, o_eth, o_ip, o_udp, o_vx, m_smac, m_dmac, to_vtep, drop, table;
};

/*
 * A VTEP's encapsulation as tools/example_vtep.c writes it, field by field:
 * lengths from std.pkt_len, DF, TTL 64, UDP checksum 0, the UDP source port
 * from a CRC-32 of the inner MAC addresses in 49152..65535.
 */
static struct ft_program *
vtep_build(struct vtep *v)
{
	struct ft_program *p = ft_program_create("vtep_encap");
	struct types t;

	assert_non_null(p);
	types_add(p, &t);
	v->o_eth = header(p, "outer_ethernet", t.eth, FT_PROTO_ETH, FT_L_NONE);
	v->o_ip = header(p, "outer_ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_NONE);
	v->o_udp = header(p, "outer_udp", t.udp, FT_PROTO_UDP, FT_L_NONE);
	v->o_vx = header(p, "outer_vxlan", t.vxlan, FT_PROTO_VXLAN, FT_L_NONE);
	v->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	v->m_smac = meta(p, "smac", 48);
	v->m_dmac = meta(p, "dmac", 48);
	v->to_vtep = ACT(
	        p, "to_vtep",
	        PARAMS({"remote_mac", 48}, {"remote_ip", 32}, {"local_mac", 48}, {"local_ip", 32},
	               {"vni", 24}, {"port", 32}),
	        SET(MT(v->m_smac), F(v->eth, ETH_SRC)), SET(MT(v->m_dmac), F(v->eth, ETH_DST)),
	        VALID(v->o_eth), VALID(v->o_ip), VALID(v->o_udp), VALID(v->o_vx),
	        SET(F(v->o_eth, ETH_DST), PR(0)), SET(F(v->o_eth, ETH_SRC), PR(2)),
	        SET(F(v->o_eth, ETH_TYPE), K(0x0800, 16)), SET(F(v->o_ip, IP_VER), K(4, 4)),
	        SET(F(v->o_ip, IP_IHL), K(5, 4)),
	        OP(ADD, F(v->o_ip, IP_LEN), SD(FT_STD_PKT_LEN), K(36, 16)),
	        SET(F(v->o_ip, IP_FLAGS), K(2, 3)), SET(F(v->o_ip, IP_TTL), K(64, 8)),
	        SET(F(v->o_ip, IP_PROTO), K(17, 8)), SET(F(v->o_ip, IP_SRC), PR(3)),
	        SET(F(v->o_ip, IP_DST), PR(1)),
	        CSUM(F(v->o_ip, IP_CSUM), F(v->o_ip, IP_VER), F(v->o_ip, IP_IHL), F(v->o_ip, IP_DS),
	             F(v->o_ip, IP_LEN), F(v->o_ip, IP_ID), F(v->o_ip, IP_FLAGS),
	             F(v->o_ip, IP_FRAG), F(v->o_ip, IP_TTL), F(v->o_ip, IP_PROTO),
	             F(v->o_ip, IP_SRC), F(v->o_ip, IP_DST)),
	        HASH(FT_HASH_CRC32, F(v->o_udp, UDP_SPORT), K(49152, 16), K(16384, 16),
	             MT(v->m_smac), MT(v->m_dmac)),
	        SET(F(v->o_udp, UDP_DPORT), K(4789, 16)),
	        OP(ADD, F(v->o_udp, UDP_LEN), SD(FT_STD_PKT_LEN), K(16, 16)),
	        SET(F(v->o_vx, VX_FLAGS), K(0x08, 8)), SET(F(v->o_vx, VX_VNI), PR(4)), SEND(PR(5)));
	v->drop = ACT(p, "drop", NOPARAMS, DROP());
	v->table = key1_table(p, "fdb", F(v->eth, ETH_DST), FT_MATCH_EXACT,
	                      U32S(v->to_vtep, v->drop), v->drop);
	node_apply1(p, FT_CTL_INGRESS, v->table, FT_NODE_END);
	emit(p, U32S(v->o_eth, v->o_ip, v->o_udp, v->o_vx, v->eth));
	return p;
}

static void
vtep_entry(struct rig *r, const struct vtep *v, uint64_t dmac, const struct tunnel *tn)
{
	uint8_t key[6], d[27];

	wr(key, 6, dmac);
	wr(d, 6, tn->rmac);
	wr(d + 6, 4, tn->rip);
	wr(d + 10, 6, tn->lmac);
	wr(d + 16, 4, tn->lip);
	wr(d + 20, 3, tn->vni);
	wr(d + 23, 4, tn->port);
	entry_add(r->pipe, v->table, key, NULL, 0, v->to_vtep, d);
}

static void
test_encap_vtep(void **state)
{
	static const struct tunnel tn[2] = {
	        {.rmac = 0x0200000000a1,
	         .lmac = 0x0200000000b1,
	         .rip = 0xc0a80002,
	         .lip = 0xc0a80001,
	         .vni = 5000,
	         .port = 9},
	        {.rmac = 0x0200000000a2,
	         .lmac = 0x0200000000b2,
	         .rip = 0x0a0a0a0a,
	         .lip = 0x0b0b0b0b,
	         .vni = 0xabcdef,
	         .port = 10},
	};
	static struct frame in[5], out;
	uint16_t sports[5];
	uint32_t distinct = 0;
	struct vtep v;
	struct rig *r = rig_open(vtep_build(&v), 8);

	(void)state;
	vtep_entry(r, &v, 0x0200000000d1, &tn[0]);
	vtep_entry(r, &v, 0x0200000000d2, &tn[1]);
	for (uint32_t i = 0; i < 5; i++) {
		/* 60 bytes (the Ethernet minimum) and longer, different source MACs. */
		frame_udp4(&in[i], 0x0200000000d1 + (i & 1), 0x02000000c000 + i * 0x1111,
		           (struct ip4){.ttl = 64, .src = 0xc0a80a01, .dst = 0xc0a80a02 + i},
		           (uint16_t)(1000 + i), 80, 18 + i * 100);
		rig_addf(r, &in[i], 1);
	}
	rig_run(r);
	assert_int_equal(r->res.n_tx, 5);
	for (uint32_t i = 0; i < 5; i++) {
		const struct tunnel *t = &tn[i & 1];
		uint8_t macs[12];
		uint32_t crc;

		memcpy(macs, in[i].b + 6, 6); /* meta.smac, then meta.dmac */
		memcpy(macs + 6, in[i].b, 6);
		crc = ref_crc32(macs, 12);
		sports[i] = (uint16_t)(49152 + crc % 16384);
		assert_true(sports[i] >= 49152);
		vxlan_expect(&out, t, sports[i], &in[i]);
		expect_txf(r, i, i, t->port, &out);
		vxlan_verify(r->res.tx[i].pkt, in[i].len);
		assert_int_equal(rd(ft_pkt_data(r->res.tx[i].pkt) + 34, 2), sports[i]);
		assert_int_equal(rd(ft_pkt_data(r->res.tx[i].pkt) + 40, 2), 0);
		scapy_add(r->res.tx[i].pkt, t->vni, &in[i], true);
		for (uint32_t j = 0; j < i; j++)
			if (sports[j] == sports[i])
				goto seen;
		distinct++;
	seen:;
	}
	assert_true(distinct >= 2); /* the port follows the flow */
	scapy_run();
	rig_close(r, true);
}

/* --- 2. VXLAN decapsulation ------------------------------------------------ */

static void
test_decap(void **state)
{
	struct ft_program *p = ft_program_create("decap");
	static struct frame inner[2], in[4];
	uint32_t eth, ip, udp, vx, in_eth, in_ip, decap, drop, tbl;
	struct types t;
	struct rig *r;
	uint8_t key[3], data[4];

	(void)state;
	types_add(p, &t);
	eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	ip = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	udp = header(p, "udp", t.udp, FT_PROTO_UDP, FT_L_UDP);
	vx = header(p, "vxlan", t.vxlan, FT_PROTO_VXLAN, FT_L_VXLAN);
	in_eth = header(p, "inner_ethernet", t.eth, FT_PROTO_ETH, FT_L_IN_ETH);
	in_ip = header(p, "inner_ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IN_IPV4);
	decap = ACT(p, "decap", PARAMS({"port", 32}), INVALID(eth), INVALID(ip), INVALID(udp),
	            INVALID(vx), SEND(PR(0)));
	drop = ACT(p, "drop", NOPARAMS, DROP());
	tbl = key1_table(p, "vni", F(vx, VX_VNI), FT_MATCH_EXACT, U32S(decap, drop), drop);
	node_apply1(p, FT_CTL_INGRESS, tbl, FT_NODE_END);
	emit(p, U32S(eth, ip, udp, vx, in_eth, in_ip));
	r = rig_open(p, 4);

	wr(key, 3, 0xabcd);
	wr(data, 4, 7);
	entry_add(r->pipe, tbl, key, NULL, 0, decap, data);
	wr(key, 3, 0xfffffe);
	wr(data, 4, 8);
	entry_add(r->pipe, tbl, key, NULL, 0, decap, data);

	frame_udp4(&inner[0], 0x0200000000f1, 0x0200000000f2,
	           (struct ip4){.ttl = 3, .src = 0xc0a80a01, .dst = 0xc0a80a02}, 5, 6, 40);
	fr_eth(&inner[1], 0x0200000000f3, 0x0200000000f4, 0x8100); /* a tagged inner frame */
	fr_vlan(&inner[1], 0x2064, 0x0800);
	fr_ipv4(&inner[1], &(struct ip4){.ttl = 4, .proto = 6, .src = 1, .dst = 2}, 20);
	fr_tcp(&inner[1], 80, 8080);
	frame_vxlan(&in[0], 0xabcd, &inner[0], 49999);
	frame_vxlan(&in[1], 0xfffffe, &inner[1], 50000);
	frame_vxlan(&in[2], 5, &inner[0], 50001);
	frame_udp4(&in[3], 1, 2, (struct ip4){.ttl = 1}, 4789 + 1, 4788, 16); /* not VXLAN */
	for (uint32_t i = 0; i < 4; i++)
		rig_addf(r, &in[i], 0);
	rig_run(r);
	assert_int_equal(r->res.n_tx, 2);
	expect_txf(r, 0, 0, 7, &inner[0]);
	expect_txf(r, 1, 1, 8, &inner[1]);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(r->in[i].data_off, FT_PKT_HEADROOM + 50);
		assert_int_equal(r->in[i].len, in[i].len - 50);
	}
	expect_drop(r, 2, FT_DROP_ACTION, drop);
	expect_drop(r, 3, FT_DROP_ACTION, drop);
	rig_close(r, true);
}

/* --- 3 and 4. Operations, checksums, hashes -------------------------------- */

/*
 * One program, one action per kind of operation: a table on std.in_port
 * picks the action, so a packet's input port says what it tests. Results go
 * into the probe header, emitted in front of the frame.
 */
enum {
	PORT_WIDTHS = 1,
	PORT_SUBBYTE,
	PORT_VLANF,
	PORT_V6,
	PORT_ADDSUB,
	PORT_BITS,
	PORT_NOT,
	PORT_FILL_ALL,
	PORT_FILL_PART,
	PORT_POP,
	PORT_PUSH,
	PORT_HCOPY,
	PORT_HCOPY_INV,
	PORT_INVALID,
	PORT_META,
	PORT_PARAMS,
	PORT_CSUM,
	PORT_HASH,
	PORT_TOEPLITZ,
	PORT_TOEPLITZ6,
	PORT_LONG,
	PORT_COUNT
};

struct ops {
	uint32_t probe, o_eth, eth, vlan0, x_vlan, ipv4, ipv6, udp, tcp;
	uint32_t m8, m12, m16, m32, m64, m128, acc, mz;
	uint32_t table, drop;
	uint32_t act[PORT_COUNT];
};

static const uint8_t ones16[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t v6_c[16] = {0x20, 0x01, 0x0d, 0xb8, 0,    0,    0, 0,
                                 0,    0,    0,    0,    0xca, 0xfe, 0, 0x99};
static const uint8_t v6_s[16] = {
        0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x1f, 0xff,
        0,    0,    0,    0,    0,    0,    0,    0x07}; /* 3ffe:2501:200:1fff::7 */
static const uint8_t v6_d[16] = {0x3f, 0xfe, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0,
                                 0,    0,    0,    0,    0,    0,    0x01}; /* 3ffe:2501:200:3::1 */
static const uint8_t params_data[41] = {
        0x01, 0x05, 0x0a, 0xbc, 0x12, 0x34, 0x56, 0x01, 0x02, 0x03, 0x04,
        0x05, 0x06, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, /* p64 */
        0xf0, 0xe1, 0xd2, 0xc3, 0xb4, 0xa5, 0x96, 0x87, 0x78, 0x69, 0x5a,
        0x4b, 0x3c, 0x2d, 0x1e, 0x0f, /* p128 */
        0x0f, 0xed, 0xcb,             /* p20 */
        0x99,
};

static struct ft_program *
ops_build(struct ops *o)
{
	struct ft_program *p = ft_program_create("ops");
	uint32_t pr, e, v, i4, i6, tcp, acts[PORT_COUNT], n = 0;
	struct types t;

	assert_non_null(p);
	types_add(p, &t);
	pr = o->probe = header(p, "probe", t.probe, FT_PROTO_NONE, FT_L_NONE);
	o->o_eth = header(p, "outer_ethernet", t.eth, FT_PROTO_ETH, FT_L_NONE);
	e = o->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	v = o->vlan0 = header(p, "vlan", t.vlan, FT_PROTO_VLAN, FT_L_VLAN0);
	o->x_vlan = header(p, "extra_vlan", t.vlan, FT_PROTO_VLAN, FT_L_NONE);
	i4 = o->ipv4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	i6 = o->ipv6 = header(p, "ipv6", t.ipv6, FT_PROTO_IPV6, FT_L_IPV6);
	o->udp = header(p, "udp", t.udp, FT_PROTO_UDP, FT_L_UDP);
	tcp = o->tcp = header(p, "tcp", t.tcp, FT_PROTO_TCP, FT_L_TCP);
	o->m8 = meta(p, "m8", 8);
	o->m12 = meta(p, "m12", 12);
	o->m16 = meta(p, "m16", 16);
	o->m32 = meta(p, "m32", 32);
	o->m64 = meta(p, "m64", 64);
	o->m128 = meta(p, "m128", 128);
	o->acc = meta(p, "acc", 16);
	o->mz = meta(p, "zero", 64);

	o->act[PORT_WIDTHS] =
	        ACT(p, "widths", NOPARAMS, VALID(pr), SET(F(pr, P_F16), F(i4, IP_TTL)),
	            SET(F(pr, P_F8), F(i4, IP_SRC)), SET(F(pr, P_F48), F(i4, IP_DST)),
	            SET(F(pr, P_F32), F(e, ETH_SRC)), SET(F(pr, P_F12), F(e, ETH_TYPE)),
	            SET(F(pr, P_F1), F(i4, IP_TTL)), SET(F(pr, P_F3), K(0xff, 8)),
	            SET(MT(o->m12), F(i4, IP_ID)), SET(F(pr, P_F24), MT(o->m12)),
	            SET(F(pr, P_F64), F(e, ETH_DST)), SET(F(pr, P_G16), F(i4, IP_FRAG)),
	            SET(F(pr, P_G32), F(i4, IP_FLAGS)), SEND(K(1, 32)));
	o->act[PORT_SUBBYTE] =
	        ACT(p, "subbyte", NOPARAMS, VALID(pr), SET(F(pr, P_F16), F(i4, IP_FRAG)),
	            SET(F(pr, P_F3), F(i4, IP_FLAGS)), SET(F(pr, P_F8), F(i4, IP_IHL)),
	            SET(F(pr, P_F12), F(i4, IP_VER)), SET(F(i4, IP_FLAGS), K(5, 3)),
	            SET(F(i4, IP_FRAG), K(0x1abc, 13)), SET(F(i4, IP_VER), K(9, 4)),
	            SET(F(i4, IP_IHL), K(0xa, 4)), SET(F(pr, P_F32), F(i4, IP_FRAG)),
	            SET(F(pr, P_F24), F(i4, IP_FLAGS)), SET(F(pr, P_G16), F(i4, IP_VER)),
	            SET(F(pr, P_G32), F(i4, IP_IHL)), SEND(K(1, 32)));
	o->act[PORT_VLANF] =
	        ACT(p, "vlan_fields", NOPARAMS, VALID(pr), SET(F(pr, P_F12), F(v, VLAN_VID)),
	            SET(F(pr, P_F3), F(v, VLAN_PCP)), SET(F(pr, P_F1), F(v, VLAN_DEI)),
	            SET(F(v, VLAN_VID), K(0xabc, 12)), SET(F(v, VLAN_PCP), K(2, 3)),
	            SET(F(pr, P_F16), F(v, VLAN_VID)), SET(F(pr, P_F8), F(v, VLAN_DEI)),
	            SEND(K(1, 32)));
	o->act[PORT_V6] = ACT(p, "ipv6", NOPARAMS, VALID(pr), SET(F(pr, P_F128), F(i6, V6_SRC)),
	                      SET(F(i6, V6_SRC), F(i6, V6_DST)), SET(F(i6, V6_DST), KB(v6_c, 128)),
	                      SET(F(i6, V6_FLOW), K(0xabcde, 20)), SET(F(i6, V6_TC), K(0x5a, 8)),
	                      SET(F(pr, P_F32), F(i6, V6_FLOW)), SET(F(pr, P_F8), F(i6, V6_TC)),
	                      SET(F(pr, P_F12), F(i6, V6_VER)), SET(MT(o->m128), F(i6, V6_DST)),
	                      SET(F(pr, P_F64), F(i6, V6_HLIM)), SEND(K(1, 32)));
	o->act[PORT_ADDSUB] = ACT(
	        p, "add_sub", NOPARAMS, VALID(pr), OP(ADD, F(i4, IP_TTL), F(i4, IP_TTL), K(2, 8)),
	        OP(SUB, F(pr, P_F8), K(0, 8), K(1, 8)), OP(SUB, F(pr, P_F16), MT(o->m16), K(1, 1)),
	        OP(ADD, F(pr, P_F12), K(0xfff, 12), K(1, 12)),
	        OP(ADD, F(pr, P_F64), K(~0ull, 64), K(2, 8)),
	        OP(ADD, F(i4, IP_FRAG), F(i4, IP_FRAG), K(0x1fff, 13)),
	        OP(ADD, F(i4, IP_FRAG), F(i4, IP_FRAG), K(2, 8)),
	        OP(SUB, F(pr, P_F3), K(2, 3), K(3, 3)),
	        OP(ADD, F(pr, P_F24), F(i4, IP_TTL), K(0xffffff, 24)),
	        OP(ADD, F(pr, P_F48), F(i4, IP_SRC), F(i4, IP_DST)),
	        OP(ADD, F(pr, P_F32), F(i4, IP_SRC), F(i4, IP_DST)),
	        OP(SUB, F(pr, P_G16), F(i4, IP_ID), F(i4, IP_TTL)),
	        OP(ADD, MT(o->m12), K(0xffe, 12), K(3, 8)), SET(F(pr, P_G32), MT(o->m12)),
	        SEND(K(1, 32)));
	o->act[PORT_BITS] =
	        ACT(p, "bits", NOPARAMS, VALID(pr),
	            OP(AND, F(pr, P_F32), K(0xf0f0f0f0, 32), K(0xff00ff00, 32)),
	            OP(OR, F(pr, P_F48), K(0xf0f0f0f0, 32), K(0xff00ff00ff00ull, 48)),
	            OP(XOR, F(pr, P_F64), K(~0ull, 64), K(0x0123456789abcdefull, 64)),
	            OP(SHL, F(pr, P_F8), K(0x81, 8), K(1, 8)),
	            OP(SHR, F(pr, P_F16), K(0x8000, 16), K(15, 8)),
	            OP(SHL, F(pr, P_F24), K(1, 8), K(23, 8)), SET(F(pr, P_F12), K(0xabc, 12)),
	            OP(SHL, F(pr, P_F12), F(pr, P_F12), K(64, 8)), SET(F(pr, P_F3), K(5, 3)),
	            OP(SHR, F(pr, P_F3), F(pr, P_F3), K(70, 8)),
	            OP(SHL, F(i4, IP_TTL), F(i4, IP_TTL), K(1, 8)),
	            OP(XOR, F(i4, IP_FLAGS), F(i4, IP_FLAGS), K(7, 3)),
	            OP(AND, F(pr, P_G16), F(i4, IP_ID), K(0xff0f, 16)),
	            OP(SHR, F(pr, P_G32), F(i4, IP_SRC), F(i4, IP_TTL)), SEND(K(1, 32)));
	o->act[PORT_NOT] = ACT(p, "not", NOPARAMS, VALID(pr), NOT(F(pr, P_F8), K(0x0f, 8)),
	                       NOT(F(pr, P_F16), F(i4, IP_TTL)), NOT(F(pr, P_F3), K(2, 3)),
	                       NOT(F(pr, P_F64), K(0, 1)), NOT(F(i4, IP_FLAGS), F(i4, IP_FLAGS)),
	                       NOT(F(pr, P_F1), F(pr, P_F1)), NOT(F(pr, P_F12), F(i4, IP_FRAG)),
	                       SEND(K(1, 32)));
	o->act[PORT_FILL_ALL] = ACT(
	        p, "fill_all", NOPARAMS, VALID(pr), VALID(o->o_eth), VALID(v),
	        SET(F(pr, P_F8), K(0xff, 8)), SET(F(pr, P_F16), K(0xffff, 16)),
	        SET(F(pr, P_F32), K(0xffffffff, 32)), SET(F(pr, P_F48), K(0xffffffffffffull, 48)),
	        SET(F(pr, P_F64), K(~0ull, 64)), SET(F(pr, P_F128), KB(ones16, 128)),
	        SET(F(pr, P_F1), K(1, 1)), SET(F(pr, P_F3), K(7, 3)),
	        SET(F(pr, P_F12), K(0xfff, 12)), SET(F(pr, P_F24), K(0xffffff, 24)),
	        SET(F(pr, P_G16), K(0xffff, 16)), SET(F(pr, P_G32), K(0xffffffff, 32)),
	        SET(F(o->o_eth, ETH_DST), K(0xffffffffffffull, 48)),
	        SET(F(o->o_eth, ETH_SRC), K(0xffffffffffffull, 48)),
	        SET(F(o->o_eth, ETH_TYPE), K(0xffff, 16)), SET(F(v, VLAN_PCP), K(7, 3)),
	        SET(F(v, VLAN_DEI), K(1, 1)), SET(F(v, VLAN_VID), K(0xfff, 12)),
	        SET(F(v, VLAN_TYPE), K(0xffff, 16)), SEND(K(1, 32)));
	o->act[PORT_FILL_PART] =
	        ACT(p, "fill_part", NOPARAMS, VALID(pr), VALID(o->o_eth), VALID(v),
	            SET(F(pr, P_F12), K(7, 12)), SET(F(o->o_eth, ETH_TYPE), K(0x1234, 16)),
	            SET(F(v, VLAN_VID), K(5, 12)), SEND(K(1, 32)));
	o->act[PORT_POP] = ACT(p, "pop", NOPARAMS, SET(F(e, ETH_TYPE), F(v, VLAN_TYPE)), INVALID(v),
	                       SEND(K(1, 32)));
	o->act[PORT_PUSH] =
	        ACT(p, "push", PARAMS({"vid", 12}), VALID(v), SET(F(v, VLAN_PCP), K(3, 3)),
	            SET(F(v, VLAN_VID), PR(0)), SET(F(v, VLAN_TYPE), F(e, ETH_TYPE)),
	            SET(F(e, ETH_TYPE), K(0x8100, 16)), SEND(K(1, 32)));
	o->act[PORT_HCOPY] = ACT(p, "hcopy", NOPARAMS, SET(HD(o->o_eth), HD(e)),
	                         SET(F(o->o_eth, ETH_DST), K(0x02aabbccddeeull, 48)),
	                         SET(F(e, ETH_SRC), K(0x020000000099ull, 48)), SEND(K(1, 32)));
	o->act[PORT_HCOPY_INV] = ACT(p, "hcopy_invalid", NOPARAMS, VALID(o->x_vlan),
	                             SET(F(o->x_vlan, VLAN_VID), K(7, 12)),
	                             SET(HD(o->x_vlan), HD(v)), SEND(K(1, 32)));
	o->act[PORT_INVALID] = ACT(
	        p, "invalid_rw", PARAMS({"seq", 32}, {"addr", 128}), VALID(pr),
	        SET(F(tcp, TCP_SEQ), PR(0)), SET(F(i6, V6_SRC), PR(1)),
	        SET(F(pr, P_F12), K(0xfff, 12)), SET(F(pr, P_F12), F(v, VLAN_VID)),
	        SET(F(pr, P_F128), KB(ones16, 128)), SET(F(pr, P_F128), F(i6, V6_SRC)),
	        SET(F(pr, P_F16), K(0xffff, 16)), OP(ADD, F(pr, P_F16), F(tcp, TCP_DPORT), K(0, 8)),
	        SET(F(pr, P_F8), K(0xff, 8)), SET(F(pr, P_F8), F(tcp, TCP_FLAGS)),
	        SET(F(pr, P_F3), K(7, 3)), SET(F(pr, P_F3), F(v, VLAN_PCP)),
	        SET(F(v, VLAN_VID), K(5, 12)), SET(F(i6, V6_DST), KB(ones16, 128)),
	        SET(F(tcp, TCP_SEQ), K(1, 32)), OP(ADD, F(tcp, TCP_WIN), F(tcp, TCP_WIN), K(1, 8)),
	        /* nor do they land anywhere else */
	        SET(F(pr, P_G16), MT(o->m16)), SET(F(pr, P_G32), MT(o->m32)),
	        SET(F(pr, P_F24), MT(o->m12)), SET(F(pr, P_F48), MT(o->m8)),
	        SET(F(pr, P_F64), MT(o->m64)), SEND(K(1, 32)));
	o->act[PORT_META] =
	        ACT(p, "meta", NOPARAMS, VALID(pr), OP(ADD, MT(o->acc), MT(o->acc), K(1, 8)),
	            SET(F(pr, P_F16), MT(o->acc)), OP(ADD, MT(o->m64), MT(o->m64), K(5, 8)),
	            SET(F(pr, P_F64), MT(o->m64)), SET(F(pr, P_F128), MT(o->m128)),
	            SET(MT(o->m128), KB(ones16, 128)), SET(F(pr, P_F3), MT(o->m8)),
	            SET(MT(o->m8), K(6, 8)), SET(F(pr, P_F48), SD(FT_STD_TIMESTAMP)),
	            SET(F(pr, P_F32), SD(FT_STD_IN_PORT)), SET(F(pr, P_F24), SD(FT_STD_PKT_LEN)),
	            SET(F(pr, P_G16), SD(FT_STD_RID)), SET(F(pr, P_G32), SD(FT_STD_OUT_PORT)),
	            SEND(K(1, 32)), SET(F(pr, P_F8), SD(FT_STD_OUT_PORT)));
	o->act[PORT_PARAMS] =
	        ACT(p, "params",
	            PARAMS({"p1", 1}, {"p3", 3}, {"p12", 12}, {"p24", 24}, {"p48", 48}, {"p64", 64},
	                   {"p128", 128}, {"p20", 20}, {"p8", 8}),
	            VALID(pr), SET(F(pr, P_F1), PR(0)), SET(F(pr, P_F3), PR(1)),
	            SET(F(pr, P_F12), PR(2)), SET(F(pr, P_F24), PR(3)), SET(F(pr, P_F48), PR(4)),
	            SET(F(pr, P_F64), PR(5)), SET(F(pr, P_F128), PR(6)), SET(MT(o->m32), PR(7)),
	            SET(F(pr, P_F32), MT(o->m32)), SET(F(pr, P_F8), PR(8)),
	            OP(ADD, F(pr, P_G32), PR(2), PR(3)), SET(F(pr, P_G16), PR(4)), SEND(K(1, 32)));
	o->act[PORT_CSUM] = ACT(
	        p, "csum", NOPARAMS, VALID(pr),
	        CSUM(F(pr, P_G16), F(i4, IP_VER), F(i4, IP_IHL), F(i4, IP_DS), F(i4, IP_LEN),
	             F(i4, IP_ID), F(i4, IP_FLAGS), F(i4, IP_FRAG), F(i4, IP_TTL), F(i4, IP_PROTO),
	             F(i4, IP_SRC), F(i4, IP_DST)),
	        OP(ADD, F(i4, IP_TTL), F(i4, IP_TTL), K(0xff, 8)),
	        CSUM(F(i4, IP_CSUM), F(i4, IP_VER), F(i4, IP_IHL), F(i4, IP_DS), F(i4, IP_LEN),
	             F(i4, IP_ID), F(i4, IP_FLAGS), F(i4, IP_FRAG), F(i4, IP_TTL), F(i4, IP_PROTO),
	             F(i4, IP_SRC), F(i4, IP_DST)),
	        SET(F(pr, P_F24), K(0xffffff, 24)), CSUM(MT(o->m16), HD(i4)),
	        SET(F(pr, P_F24), MT(o->m16)), CSUM(F(pr, P_F16), F(i4, IP_SRC), F(i4, IP_TTL)),
	        CSUM(MT(o->m16), F(i4, IP_PROTO), K(0x1234, 16), F(i4, IP_FLAGS), F(i4, IP_FRAG)),
	        SET(F(pr, P_G32), MT(o->m16)), SEND(K(1, 32)));
	o->act[PORT_HASH] = ACT(
	        p, "hash", PARAMS({"s", 72}), VALID(pr),
	        HASH(FT_HASH_CRC32, F(pr, P_G32), K(0, 8), K(1ull << 32, 33), PR(0)),
	        HASH(FT_HASH_CRC16, F(pr, P_G16), K(0, 8), K(1u << 16, 17), PR(0)),
	        HASH(FT_HASH_CRC32, F(pr, P_F16), K(1000, 16), K(7, 8), PR(0)),
	        HASH(FT_HASH_IDENTITY, F(pr, P_F64), K(0, 8), K(~0ull, 64), F(e, ETH_SRC),
	             F(i4, IP_DST)),
	        HASH(FT_HASH_IDENTITY, F(pr, P_F24), K(0, 8), K(1ull << 40, 41), F(e, ETH_DST)),
	        HASH(FT_HASH_CRC32, F(pr, P_F32), K(0, 8), K(1ull << 32, 33), F(i4, IP_VER),
	             F(i4, IP_IHL), F(i4, IP_DS), F(i4, IP_LEN)),
	        HASH(FT_HASH_CRC32, F(pr, P_F48), K(0, 8), K(1ull << 32, 33), F(i4, IP_FLAGS),
	             F(i4, IP_FRAG), K(0x31, 8)),
	        HASH(FT_HASH_CRC16, F(pr, P_F12), K(0, 8), K(1u << 12, 13), PR(0)), SEND(K(1, 32)));
	o->act[PORT_TOEPLITZ] =
	        ACT(p, "toeplitz", NOPARAMS, VALID(pr),
	            HASH(FT_HASH_TOEPLITZ, F(pr, P_G32), K(0, 8), K(1ull << 32, 33), F(i4, IP_SRC),
	                 F(i4, IP_DST)),
	            HASH(FT_HASH_TOEPLITZ, F(pr, P_F32), K(0, 8), K(1ull << 32, 33), F(i4, IP_SRC),
	                 F(i4, IP_DST), F(tcp, TCP_SPORT), F(tcp, TCP_DPORT)),
	            HASH(FT_HASH_TOEPLITZ, F(pr, P_F16), K(100, 8), K(1000, 16), F(i4, IP_SRC),
	                 F(i4, IP_DST), F(tcp, TCP_SPORT), F(tcp, TCP_DPORT)),
	            SEND(K(1, 32)));
	o->act[PORT_TOEPLITZ6] =
	        ACT(p, "toeplitz6", NOPARAMS, VALID(pr),
	            HASH(FT_HASH_TOEPLITZ, F(pr, P_G32), K(0, 8), K(1ull << 32, 33), F(i6, V6_SRC),
	                 F(i6, V6_DST)),
	            HASH(FT_HASH_TOEPLITZ, F(pr, P_F32), K(0, 8), K(1ull << 32, 33), F(i6, V6_SRC),
	                 F(i6, V6_DST), F(tcp, TCP_SPORT), F(tcp, TCP_DPORT)),
	            SEND(K(1, 32)));
	{
		/* FT_DATA_BYTES_MAX (256) bytes of checksummed data: the longest list. */
		struct ft_ref list[32];
		struct ft_op ops[] = {
		        VALID(pr),
		        SET(MT(o->m64), K(0x0123456789abcdefull, 64)),
		        {.kind = FT_OP_CSUM, .dst = F(pr, P_G16), .list = list, .n_list = 32},
		        SEND(K(1, 32)),
		};

		for (uint32_t i = 0; i < 32; i++)
			list[i] = MT(o->m64);
		o->act[PORT_LONG] = action_add(p, "long_list", NULL, 0, ops, ARRAY_SIZE(ops));
	}
	o->drop = ACT(p, "drop", NOPARAMS, DROP());
	for (uint32_t i = 1; i < PORT_COUNT; i++)
		acts[n++] = o->act[i];
	acts[n++] = o->drop;
	o->table = key1_table(p, "ops", SD(FT_STD_IN_PORT), FT_MATCH_EXACT, acts, n, o->drop);
	node_apply1(p, FT_CTL_INGRESS, o->table, FT_NODE_END);
	emit(p, U32S(pr, o->o_eth, e, v, o->x_vlan, i4, i6, o->udp, tcp));
	return p;
}

static struct rig *
ops_open(struct ops *o)
{
	struct rig *r = rig_open(ops_build(o), 4);
	static const uint8_t vid[2] = {0x0a, 0xbc};

	for (uint32_t port = 1; port < PORT_COUNT; port++) {
		const uint8_t *data = port == PORT_PUSH      ? vid
		                      : port == PORT_PARAMS  ? params_data
		                      : port == PORT_HASH    ? (const uint8_t *)"123456789"
		                      : port == PORT_INVALID ? params_data + 13
		                                             : NULL;

		entry32(r->pipe, o->table, port, o->act[port], data);
	}
	return r;
}

/* Runs 'in' at 'port' alone and expects 'out' on port 1. */
static void
run_one(struct rig *r, const struct frame *in, uint32_t port, const struct frame *out)
{
	rig_addf(r, in, port);
	rig_run(r);
	assert_int_equal(r->res.n_tx, 1);
	expect_txf(r, 0, 0, 1, out);
	rig_clear(r);
}

/* The probe with 'pv', then 'in' from byte 'from' on. */
static void
probe_then(struct frame *out, const struct probe *pv, const struct frame *in, uint32_t from)
{
	out->len = 0;
	if (pv)
		fr_probe(out, pv);
	fr_bytes(out, in->b + from, in->len - from);
}

static const struct ip4 ip_a = {
        .ttl = 64, .id = 0x1234, .frag = 0x4000, .src = 0xc0a80a01, .dst = 0xc0a80a02};

static void
test_set_widths(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {.f8 = 0x17,
	                   .f16 = 0x41,
	                   .f32 = 0x33445566,
	                   .f48 = 0x0a000002,
	                   .f64 = 0x0a0b0c0d0e0f,
	                   .f1 = 1,
	                   .f3 = 7,
	                   .f12 = 0x800,
	                   .f24 = 0xeef,
	                   .g16 = 0xabc,
	                   .g32 = 1};

	(void)state;
	/* MF and an offset: a fragment, so UDP is not parsed (it is payload). */
	frame_udp4(&in, 0x0a0b0c0d0e0f, 0x112233445566,
	           (struct ip4){.ttl = 0x41,
	                        .id = 0xbeef,
	                        .frag = 0x2000 | 0xabc,
	                        .src = 0xc0a80117,
	                        .dst = 0x0a000002},
	           7, 8, 20);
	probe_then(&out, &pv, &in, 0);
	run_one(r, &in, PORT_WIDTHS, &out);
	rig_close(r, true);
}

static void
test_subbyte_fields(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {.f16 = 0x123,
	                   .f3 = 2,
	                   .f8 = 5,
	                   .f12 = 4,
	                   .f32 = 0x1abc,
	                   .f24 = 5,
	                   .g16 = 9,
	                   .g32 = 0xa};
	struct probe pvl = {.f12 = 0x123, .f3 = 6, .f1 = 1, .f16 = 0xabc, .f8 = 1};

	(void)state;
	frame_udp4(&in, 1, 2,
	           (struct ip4){
	                   .tos = 0x5c, .ttl = 7, .id = 0xffff, .frag = 0x4123, .src = 3, .dst = 4},
	           9, 9, 10);
	probe_then(&out, &pv, &in, 0);
	/* version 9, IHL 10; flags 5, offset 0x1abc; every other bit as it was */
	out.b[PROBE_LEN + 14] = 0x9a;
	wr(out.b + PROBE_LEN + 14 + 6, 2, 0xbabc);
	run_one(r, &in, PORT_SUBBYTE, &out);

	/* VLAN: PCP 6, DEI 1, VID 0x123 -> PCP 2, DEI 1, VID 0xabc. */
	in.len = 0;
	fr_eth(&in, 1, 2, 0x8100);
	fr_vlan(&in, 0xd123, 0x0800);
	fr_ipv4(&in, &ip_a, 8);
	fr_udp(&in, 1, 2, 0);
	probe_then(&out, &pvl, &in, 0);
	wr(out.b + PROBE_LEN + 14, 2, 0x5abc);
	run_one(r, &in, PORT_VLANF, &out);
	rig_close(r, true);
}

static void
test_ipv6_wide(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {.f32 = 0xabcde, .f8 = 0x5a, .f12 = 6, .f64 = 0x40};

	(void)state;
	memcpy(pv.f128, v6_s, 16);
	fr_eth(&in, 1, 2, 0x86dd);
	fr_ipv6(&in, 0x12, 0x34567, 17, 0x40, v6_s, v6_d, 8 + 4);
	fr_udp(&in, 1, 2, 4);
	fr_payload(&in, 4, 1);
	probe_then(&out, &pv, &in, 0);
	wr(out.b + PROBE_LEN + 14, 4, 0x65aabcde);
	memcpy(out.b + PROBE_LEN + 14 + 8, v6_d, 16);
	memcpy(out.b + PROBE_LEN + 14 + 24, v6_c, 16);
	run_one(r, &in, PORT_V6, &out);
	rig_close(r, true);
}

static void
test_arith(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe add = {.f8 = 0xff,
	                    .f16 = 0xffff,
	                    .f12 = 0,
	                    .f64 = 1,
	                    .f3 = 7,
	                    .f24 = 0,
	                    .f48 = 0x100000001ull,
	                    .f32 = 1,
	                    .g16 = 0xffff,
	                    .g32 = 1};
	struct probe bits = {.f32 = 0xf000f000,
	                     .f48 = 0xff00fff0fff0ull,
	                     .f64 = 0xfedcba9876543210ull,
	                     .f8 = 0x02,
	                     .f16 = 1,
	                     .f24 = 0x800000,
	                     .f12 = 0,
	                     .f3 = 0,
	                     .g16 = 0x1204,
	                     .g32 = 0x20000000};
	struct probe not = {
	        .f8 = 0xf0, .f16 = 0xffbe, .f3 = 5, .f64 = ~0ull, .f1 = 1, .f12 = 0xedc};

	(void)state;
	/* ADD and SUB wrap at the destination's width, not the operands'. */
	frame_udp4(&in, 1, 2,
	           (struct ip4){.ttl = 255, .id = 0, .frag = 0x4000, .src = 0xffffffff, .dst = 2},
	           1, 2, 3);
	probe_then(&out, &add, &in, 0);
	out.b[PROBE_LEN + 14 + 8] = 1;             /* ttl 255 + 2 */
	wr(out.b + PROBE_LEN + 14 + 6, 2, 0x4001); /* DF kept; offset 0 + 0x1fff + 2 */
	run_one(r, &in, PORT_ADDSUB, &out);

	in.len = 0;
	frame_udp4(&in, 1, 2,
	           (struct ip4){
	                   .ttl = 0x81, .id = 0x1234, .frag = 0x4000, .src = 0x80000000, .dst = 2},
	           1, 2, 3);
	probe_then(&out, &bits, &in, 0);
	out.b[PROBE_LEN + 14 + 8] = 0x02;          /* 0x81 << 1 in 8 bits */
	wr(out.b + PROBE_LEN + 14 + 6, 2, 0xa000); /* flags 010 ^ 111 */
	run_one(r, &in, PORT_BITS, &out);

	/* NOT of a narrower value: zero-extended, inverted, truncated. */
	in.len = 0;
	frame_udp4(&in, 1, 2, (struct ip4){.ttl = 0x41, .frag = 0x4123, .src = 1, .dst = 2}, 1, 2,
	           3);
	probe_then(&out, &not, &in, 0);
	wr(out.b + PROBE_LEN + 14 + 6, 2, 0xa123);
	run_one(r, &in, PORT_NOT, &out);
	rig_close(r, true);
}

static void
test_set_valid_zeroes(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, all, part;
	struct probe pa = {.f8 = 0xff,
	                   .f16 = 0xffff,
	                   .f32 = 0xffffffff,
	                   .f48 = 0xffffffffffffull,
	                   .f64 = ~0ull,
	                   .f1 = 1,
	                   .f3 = 7,
	                   .f12 = 0xfff,
	                   .f24 = 0xffffff,
	                   .g16 = 0xffff,
	                   .g32 = 0xffffffff};
	struct probe pp = {.f12 = 7};
	static const uint8_t ff[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                               0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	(void)state;
	memcpy(pa.f128, ones16, 16);
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	fr_probe(&all, &pa);
	fr_bytes(&all, ff, 14);
	fr_bytes(&all, in.b, 14);
	fr_bytes(&all, ff, 4);
	fr_bytes(&all, in.b + 14, in.len - 14);
	fr_probe(&part, &pp);
	fr_grow(&part, 12);
	fr_bytes(&part, (const uint8_t[]){0x12, 0x34}, 2);
	fr_bytes(&part, in.b, 14);
	fr_bytes(&part, (const uint8_t[]){0x00, 0x05, 0x00, 0x00}, 4);
	fr_bytes(&part, in.b + 14, in.len - 14);
	/*
	 * The same packet slots first hold headers filled with ones, then get
	 * headers made valid and only partly written: the rest must read 0.
	 */
	for (int round = 0; round < 2; round++) {
		for (uint32_t i = 0; i < 3; i++)
			rig_addf(r, &in, PORT_FILL_ALL);
		rig_run(r);
		for (uint32_t i = 0; i < 3; i++)
			expect_txf(r, i, i, 1, &all);
		for (uint32_t i = 0; i < 3; i++)
			rig_addf(r, &in, PORT_FILL_PART);
		rig_run(r);
		for (uint32_t i = 0; i < 3; i++)
			expect_txf(r, i, i, 1, &part);
	}
	rig_close(r, true);
}

static void
test_vlan_pop_push(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out, body;

	(void)state;
	/* The rest of the frame after the EtherType. */
	fr_ipv4(&body, &ip_a, 8 + 6);
	fr_udp(&body, 5, 6, 6);
	fr_payload(&body, 6, 9);

	/* Pop: the exact untagged frame, 4 bytes further in the buffer. */
	fr_eth(&in, 0x0200000000aa, 0x0200000000bb, 0x8100);
	fr_vlan(&in, 0x6064, 0x0800);
	fr_bytes(&in, body.b, body.len);
	fr_eth(&out, 0x0200000000aa, 0x0200000000bb, 0x0800);
	fr_bytes(&out, body.b, body.len);
	rig_addf(r, &in, PORT_POP);
	rig_run(r);
	expect_txf(r, 0, 0, 1, &out);
	assert_int_equal(r->in[0].data_off, FT_PKT_HEADROOM + 4);

	/* QinQ: only the outer tag is a header; popping it exposes the inner one. */
	in.len = out.len = 0;
	fr_eth(&in, 0x0200000000aa, 0x0200000000bb, 0x88a8);
	fr_vlan(&in, 0x0005, 0x8100);
	fr_vlan(&in, 0x0006, 0x0800);
	fr_bytes(&in, body.b, body.len);
	fr_eth(&out, 0x0200000000aa, 0x0200000000bb, 0x8100);
	fr_vlan(&out, 0x0006, 0x0800);
	fr_bytes(&out, body.b, body.len);
	run_one(r, &in, PORT_POP, &out);

	/*
	 * Push, after a packet that left a VLAN header of all ones in the same
	 * slot: PCP 3, DEI 0 (never written: zero), VID from the entry.
	 */
	in.len = 0;
	fr_eth(&in, 0x0200000000aa, 0x0200000000bb, 0x0800);
	fr_bytes(&in, body.b, body.len);
	rig_addf(r, &in, PORT_FILL_ALL);
	rig_run(r);
	rig_clear(r);
	out.len = 0;
	fr_eth(&out, 0x0200000000aa, 0x0200000000bb, 0x8100);
	fr_vlan(&out, 0x6abc, 0x0800);
	fr_bytes(&out, body.b, body.len);
	rig_addf(r, &in, PORT_PUSH);
	rig_run(r);
	expect_txf(r, 0, 0, 1, &out);
	assert_int_equal(r->in[0].data_off, FT_PKT_HEADROOM - 4);
	rig_close(r, true);
}

static void
test_header_copy(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;

	(void)state;
	/* outer_ethernet = ethernet: a copy, not an alias, of bytes and validity. */
	frame_udp4(&in, 0x0200000000aa, 0x0200000000bb, ip_a, 1, 2, 3);
	fr_eth(&out, 0x02aabbccddee, 0x0200000000bb, 0x0800);
	fr_eth(&out, 0x0200000000aa, 0x020000000099, 0x0800);
	fr_bytes(&out, in.b + 14, in.len - 14);
	run_one(r, &in, PORT_HCOPY, &out);

	/* Copying an invalid header makes the destination invalid. */
	run_one(r, &in, PORT_HCOPY_INV, &in);

	/* Copying a valid one: the tag twice. */
	in.len = out.len = 0;
	fr_eth(&in, 0x0200000000aa, 0x0200000000bb, 0x8100);
	fr_vlan(&in, 0x2123, 0x0800);
	fr_ipv4(&in, &ip_a, 8);
	fr_udp(&in, 1, 2, 0);
	fr_bytes(&out, in.b, 18);
	fr_bytes(&out, in.b + 14, in.len - 14);
	run_one(r, &in, PORT_HCOPY_INV, &out);
	rig_close(r, true);
}

static void
test_invalid_header_access(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe zero = {0};

	(void)state;
	/* No VLAN tag, no IPv6, no TCP: reads give 0, writes leave them invalid. */
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	probe_then(&out, &zero, &in, 0);
	run_one(r, &in, PORT_INVALID, &out);
	rig_close(r, true);
}

static void
test_meta_per_packet(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in[5], out;

	(void)state;
	for (uint32_t i = 0; i < 5; i++)
		frame_udp4(&in[i], 1, 2, ip_a, 1, 2, 10 + i);
	/* Every packet starts with zeroed metadata, in a burst and across bursts. */
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 5 - round; i++)
			rig_addf(r, &in[i], PORT_META);
		rig_run(r);
		for (uint32_t i = 0; i < 5 - round; i++) {
			struct probe pv = {.f16 = 1,
			                   .f64 = 5,
			                   .f3 = 0,
			                   .f48 = fake_now & 0xffffffffffffull,
			                   .f32 = PORT_META,
			                   .f24 = in[i].len,
			                   .g16 = 0,
			                   .g32 = 0,
			                   .f8 = 1};

			probe_then(&out, &pv, &in[i], 0);
			expect_txf(r, i, i, 1, &out);
		}
	}
	rig_close(r, true);
}

static void
test_odd_params(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {.f1 = 1,
	                   .f3 = 5,
	                   .f12 = 0xabc,
	                   .f24 = 0x123456,
	                   .f48 = 0x010203040506ull,
	                   .f64 = 0x8877665544332211ull,
	                   .f32 = 0xfedcb,
	                   .f8 = 0x99,
	                   .g32 = 0x123456 + 0xabc,
	                   .g16 = 0x0506};

	(void)state;
	memcpy(pv.f128, params_data + 21, 16);
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	probe_then(&out, &pv, &in, 0);
	run_one(r, &in, PORT_PARAMS, &out);
	rig_close(r, true);
}

static void
test_csum(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out, body;
	struct ip4 ip = {.tos = 0x10,
	                 .ttl = 17,
	                 .id = 0xabcd,
	                 .frag = 0x4000,
	                 .src = 0xc0a80001,
	                 .dst = 0x08080808,
	                 .proto = 17};
	struct probe pv = {0};
	uint8_t b[5];

	(void)state;
	frame_udp4(&in, 1, 2, ip, 1, 2, 3);
	pv.g16 = rd(in.b + 14 + 10, 2); /* the header's own checksum */
	pv.f24 = 0;                     /* the whole header, checksum included */
	wr(b, 4, ip.src);
	b[4] = 16; /* ttl after the decrement: an odd length */
	pv.f16 = ref_csum(b, 5);
	b[0] = 17;
	wr(b + 1, 2, 0x1234);
	wr(b + 3, 2, 0x4000); /* three bits and thirteen */
	pv.g32 = ref_csum(b, 5);
	/* The frame: ttl - 1 and the checksum recomputed, built here independently. */
	ip.ttl = 16;
	fr_ipv4(&body, &ip, 8 + 3);
	probe_then(&out, &pv, &in, 0);
	memcpy(out.b + PROBE_LEN + 14, body.b, 20);
	assert_int_not_equal(rd(body.b + 10, 2), pv.g16);
	run_one(r, &in, PORT_CSUM, &out);
	rig_close(r, true);
}

/* A checksum over the most data a list may have: all of it is summed. */
static void
test_csum_long_list(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {0};
	uint8_t data[256];

	(void)state;
	for (uint32_t i = 0; i < 32; i++)
		wr(data + 8 * i, 8, 0x0123456789abcdefull);
	pv.g16 = ref_csum(data, sizeof(data));
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	probe_then(&out, &pv, &in, 0);
	run_one(r, &in, PORT_LONG, &out);
	rig_close(r, true);
}

/* A checksum or hash list longer than FT_DATA_BYTES_MAX is refused, not cut. */
static void
test_data_list_too_long(void **state)
{
	struct ft_program *p = ft_program_create("too_long");
	struct ft_ref list[33];
	struct ft_error e;
	int m, rc;

	(void)state;
	assert_non_null(p);
	m = ft_program_add_metadata(p, "wide", 64, &e);
	assert_true(m >= 0);
	assert_true(ft_program_add_metadata(p, "sum", 16, &e) >= 0);
	for (uint32_t i = 0; i < 33; i++)
		list[i] = ft_ref_meta((uint32_t)m);
	struct ft_op csum = {.kind = FT_OP_CSUM, .dst = ft_ref_meta((uint32_t)m + 1),
			     .list = list, .n_list = 33};
	rc = ft_program_add_action(p, "csum", NULL, 0, &csum, 1, &e);
	assert_int_equal(rc, -ENOTSUP);
	assert_non_null(strstr(e.message, "at most 256"));
	struct ft_op hash = {.kind = FT_OP_HASH, .id = FT_HASH_CRC32,
			     .dst = ft_ref_meta((uint32_t)m), .a = ft_ref_const(0, 8),
			     .b = ft_ref_const(7, 8), .list = list, .n_list = 33};
	assert_int_equal(ft_program_add_action(p, "hash", NULL, 0, &hash, 1, &e), -ENOTSUP);
	csum.n_list = 32;
	assert_true(ft_program_add_action(p, "csum", NULL, 0, &csum, 1, &e) >= 0);
	ft_program_destroy(p);
}

static void
test_hash(void **state)
{
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;
	struct probe pv = {0};
	uint8_t b[16];

	(void)state;
	/* Check values from the CRC catalogue, for our references and the model. */
	assert_int_equal(ref_crc32((const uint8_t *)"123456789", 9), 0xcbf43926);
	assert_int_equal(ref_crc16((const uint8_t *)"123456789", 9), 0xbb3d);
	frame_udp4(&in, 0x0a0b0c0d0e0f, 0x112233445566,
	           (struct ip4){.ttl = 1, .frag = 0x2000 | 0x1234, .src = 1, .dst = 0xc0a80102}, 1,
	           2, 3);
	pv.g32 = 0xcbf43926;
	pv.g16 = 0xbb3d;
	pv.f16 = 1000 + 0xcbf43926u % 7;
	pv.f64 = 0x33445566c0a80102ull; /* identity: the last 8 of 10 bytes */
	pv.f24 = 0x0d0e0f;              /* identity % 2^40, truncated to 24 bits */
	pv.f32 = ref_crc32(in.b + 14, 4);
	memcpy(b, in.b + 14 + 6, 2);
	b[2] = 0x31;
	pv.f48 = ref_crc32(b, 3);
	pv.f12 = 0xbb3d % 4096;
	probe_then(&out, &pv, &in, 0);
	run_one(r, &in, PORT_HASH, &out);
	rig_close(r, true);
}

static void
test_toeplitz(void **state)
{
	/* Microsoft's "Verifying the RSS Hash Calculation", with its default key. */
	static const struct {
		uint32_t src, dst;
		uint16_t sport, dport;
		uint32_t h2, h4;
	} v4[] = {
	        {0x420995bb, 0xa18e6450, 2794, 1766, 0x323e8fc2, 0x51ccc178},   /* 66.9.149.187 */
	        {0xc75c6f02, 0x41458c53, 14230, 4739, 0xd718262a, 0xc626b0ea},  /* 199.92.111.2 */
	        {0x1813c65f, 0x0c16cfb8, 12898, 38024, 0xd2d0a5de, 0x5c2b394a}, /* 24.19.198.95 */
	};
	struct ops o;
	struct rig *r = ops_open(&o);
	static struct frame in, out;

	(void)state;
	for (uint32_t i = 0; i < ARRAY_SIZE(v4); i++) {
		struct probe pv = {.g32 = v4[i].h2, .f32 = v4[i].h4, .f16 = 100 + v4[i].h4 % 1000};

		in.len = 0;
		frame_tcp4(&in, 1, 2, (struct ip4){.ttl = 64, .src = v4[i].src, .dst = v4[i].dst},
		           v4[i].sport, v4[i].dport, 0);
		probe_then(&out, &pv, &in, 0);
		run_one(r, &in, PORT_TOEPLITZ, &out);
	}
	/* IPv6: 3ffe:2501:200:1fff::7 port 2794 -> 3ffe:2501:200:3::1 port 1766. */
	{
		struct probe pv = {.g32 = 0x2cc18cd5, .f32 = 0x40207d3d};

		in.len = 0;
		fr_eth(&in, 1, 2, 0x86dd);
		fr_ipv6(&in, 0, 0, 6, 64, v6_s, v6_d, 20);
		fr_tcp(&in, 2794, 1766);
		probe_then(&out, &pv, &in, 0);
		run_one(r, &in, PORT_TOEPLITZ6, &out);
	}
	rig_close(r, true);
}

/* --- 5. Control flow ------------------------------------------------------- */

static uint32_t
mark_action(struct ft_program *p, uint32_t path, uint32_t width, uint32_t bit)
{
	char name[16];

	snprintf(name, sizeof(name), "mark%u", bit);
	return ACT(p, name, NOPARAMS, OP(OR, MT(path), MT(path), K(1ull << bit, width)));
}

static void
test_apply_next(void **state)
{
	struct ft_program *p = ft_program_create("apply");
	uint32_t pr, e, i4, path, mark[5], hit1, hit2, miss, t1hit, t1def, fin, t0, t1;
	static struct frame in[9], out;
	struct types t;
	struct rig *r;

	(void)state;
	types_add(p, &t);
	pr = header(p, "probe", t.probe, FT_PROTO_NONE, FT_L_NONE);
	e = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	i4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	path = meta(p, "path", 32);
	for (uint32_t k = 0; k < 5; k++)
		mark[k] = mark_action(p, path, 32, 10 + k);
	hit1 = mark_action(p, path, 32, 1);
	hit2 = mark_action(p, path, 32, 2);
	miss = mark_action(p, path, 32, 3);
	t1hit = mark_action(p, path, 32, 4);
	t1def = mark_action(p, path, 32, 5);
	fin = ACT(p, "fin", NOPARAMS, VALID(pr), SET(F(pr, P_G32), MT(path)), SEND(K(1, 32)));
	t0 = key1_table(p, "t0", F(i4, IP_DST), FT_MATCH_EXACT, U32S(hit1, hit2, miss), miss);
	t1 = key1_table(p, "t1", F(i4, IP_SRC), FT_MATCH_EXACT, U32S(t1hit, t1def), t1def);
	{
		struct ft_action_next on0[] = {{hit2, 4}}, on1[] = {{t1def, 6}};

		node_apply(p, FT_CTL_INGRESS, t0, 1, 2, 3, on0, 1); /* 0 */
		node_run(p, FT_CTL_INGRESS, mark[0], 5);            /* 1: never */
		node_run(p, FT_CTL_INGRESS, mark[1], 5);            /* 2: hit */
		node_run(p, FT_CTL_INGRESS, mark[2], 5);            /* 3: miss */
		node_run(p, FT_CTL_INGRESS, mark[3], 5);            /* 4: hit2 */
		node_apply(p, FT_CTL_INGRESS, t1, 7, FT_NEXT_DEFAULT, FT_NEXT_DEFAULT, on1,
		           1);                                 /* 5 */
		node_run(p, FT_CTL_INGRESS, mark[4], 7);       /* 6: t1def */
		node_run(p, FT_CTL_INGRESS, fin, FT_NODE_END); /* 7 */
	}
	emit(p, U32S(pr, e, i4));
	r = rig_open(p, 4);
	entry32(r->pipe, t0, 1, hit1, NULL);
	entry32(r->pipe, t0, 2, hit2, NULL);
	entry32(r->pipe, t1, 1, t1hit, NULL);
	entry32(r->pipe, t1, 2, t1def, NULL); /* an entry whose action is also the default */

	for (uint32_t i = 0; i < 9; i++) {
		frame_udp4(&in[i], 1, 2, (struct ip4){.ttl = 1, .src = 1 + i % 3, .dst = 1 + i / 3},
		           1, 2, i);
		rig_addf(r, &in[i], 0);
	}
	rig_run(r);
	assert_int_equal(r->res.n_tx, 9);
	for (uint32_t i = 0; i < 9; i++) {
		static const uint32_t by_dst[3] = {1u << 1 | 1u << 11, 1u << 2 | 1u << 13,
		                                   1u << 3 | 1u << 12};
		static const uint32_t by_src[3] = {1u << 4, 1u << 5 | 1u << 14, 1u << 5 | 1u << 14};
		struct probe pv = {.g32 = by_dst[i / 3] | by_src[i % 3]};

		probe_then(&out, &pv, &in[i], 0);
		expect_txf(r, i, i, 1, &out);
	}
	rig_close(r, true);
}

/* Keys built from sub-byte fields, metadata, standard metadata and 128-bit fields. */
static void
test_keys(void **state)
{
	struct ft_program *p = ft_program_create("keys");
	uint32_t e, v, i4, i6, tcp, m12, out, setm, drop, t4, t6;
	static struct frame in[8];
	struct types t;
	struct rig *r;
	uint8_t k[24], d[4];

	(void)state;
	types_add(p, &t);
	e = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	v = header(p, "vlan", t.vlan, FT_PROTO_VLAN, FT_L_VLAN0);
	i4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	i6 = header(p, "ipv6", t.ipv6, FT_PROTO_IPV6, FT_L_IPV6);
	tcp = header(p, "tcp", t.tcp, FT_PROTO_TCP, FT_L_TCP);
	m12 = meta(p, "m12", 12);
	out = ACT(p, "out", PARAMS({"port", 32}), SEND(PR(0)));
	setm = ACT(p, "setm", NOPARAMS, SET(MT(m12), F(i4, IP_ID)));
	drop = ACT(p, "drop", NOPARAMS, DROP());
	{
		struct ft_key_decl k4[] = {{F(v, VLAN_VID), FT_MATCH_EXACT},
		                           {F(i4, IP_FLAGS), FT_MATCH_EXACT},
		                           {MT(m12), FT_MATCH_EXACT},
		                           {F(e, ETH_SRC), FT_MATCH_EXACT},
		                           {SD(FT_STD_IN_PORT), FT_MATCH_EXACT},
		                           {F(tcp, TCP_DPORT), FT_MATCH_EXACT}};

		t4 = table_add(p, "t4", k4, 6, U32S(out, drop), drop);
	}
	t6 = key1_table(p, "t6", F(i6, V6_SRC), FT_MATCH_EXACT, U32S(out, drop), drop);
	node_if(p, FT_CTL_INGRESS, cond_valid(p, i6), 3, 1);
	node_run(p, FT_CTL_INGRESS, setm, 2);
	node_apply1(p, FT_CTL_INGRESS, t4, FT_NODE_END);
	node_apply1(p, FT_CTL_INGRESS, t6, FT_NODE_END);
	emit(p, U32S(e, v, i4, i6, tcp));
	r = rig_open(p, 4);
	/* Each value in whole bytes, right-aligned: vid, flags, m12, MAC, port, TCP port. */
	memset(k, 0, sizeof(k)); /* no TCP header in these packets: its port reads 0 */
	wr(k, 2, 0x123);
	k[2] = 2;
	wr(k + 3, 2, 0xabc);
	wr(k + 5, 6, 0x0200000000b1ull);
	wr(k + 11, 4, 3);
	wr(d, 4, 11);
	entry_add(r->pipe, t4, k, NULL, 0, out, d);
	wr(k, 2, 0); /* no tag: its VID reads 0 */
	k[2] = 1;
	wr(k + 3, 2, 0x001);
	wr(k + 5, 6, 0x0200000000b2ull);
	wr(d, 4, 12);
	entry_add(r->pipe, t4, k, NULL, 0, out, d);
	wr(d, 4, 13);
	entry_add(r->pipe, t6, v6_s, NULL, 0, out, d);

	const struct {
		uint16_t tci; /* 0: untagged */
		uint16_t frag, id;
		uint64_t smac;
		uint32_t port, out;
	} pk[] = {
	        {0xb123, 0x4000, 0x1abc, 0x0200000000b1ull, 3, 11}, /* PCP 5, DEI 1 */
	        {0xb123, 0x4000, 0x1abc, 0x0200000000b1ull, 4, 0},  /* another port */
	        {0, 0x2000, 0xf001, 0x0200000000b2ull, 3, 12},      /* MF, m12 = 0x001 */
	        {0xb124, 0x4000, 0x1abc, 0x0200000000b1ull, 3, 0},  /* another VID */
	        {0x0123, 0x4000, 0x2abc, 0x0200000000b1ull, 3, 11}, /* PCP is not in the key */
	        {0x0123, 0x4000, 0x1abd, 0x0200000000b1ull, 3, 0},  /* another m12 */
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(pk); i++) {
		fr_eth(&in[i], 1, pk[i].smac, pk[i].tci ? 0x8100 : 0x0800);
		if (pk[i].tci)
			fr_vlan(&in[i], pk[i].tci, 0x0800);
		fr_ipv4(&in[i],
		        &(struct ip4){.ttl = 1, .proto = 17, .id = pk[i].id, .frag = pk[i].frag},
		        8);
		fr_udp(&in[i], 1, 2, 0);
		rig_addf(r, &in[i], pk[i].port);
	}
	fr_eth(&in[6], 1, 2, 0x86dd);
	fr_ipv6(&in[6], 0, 0, 59, 1, v6_s, v6_d, 0);
	rig_addf(r, &in[6], 0);
	fr_eth(&in[7], 1, 2, 0x86dd);
	fr_ipv6(&in[7], 0, 0, 59, 1, v6_d, v6_s, 0);
	rig_addf(r, &in[7], 0);
	rig_run(r);
	for (uint32_t i = 0, tx = 0; i < ARRAY_SIZE(pk); i++) {
		if (pk[i].out)
			expect_txf(r, tx++, i, pk[i].out, &in[i]);
		else
			expect_drop(r, i, FT_DROP_ACTION, drop);
	}
	expect_txf(r, 3, 6, 13, &in[6]);
	expect_drop(r, 7, FT_DROP_ACTION, drop);
	assert_int_equal(r->res.n_tx, 4);
	rig_close(r, true);
}

#define N_CONDS 18

/* What the conditions of test_conditions() say, computed from the packet's parameters. */
static uint64_t
cond_ref(uint32_t ttl, bool tagged, uint32_t vid, const uint8_t *s6, const uint8_t *d6,
         uint32_t port, uint64_t smac)
{
	bool c[N_CONDS];
	uint64_t bits = 0;

	c[0] = ttl == 64;
	c[1] = ttl != 64;
	c[2] = ttl < 64;
	c[3] = ttl <= 64;
	c[4] = ttl > 64;
	c[5] = ttl >= 64;
	c[6] = memcmp(s6, v6_s, 16) == 0;
	c[7] = !c[6];
	c[8] = tagged;
	c[9] = !tagged;
	c[10] = c[2] && c[8];
	c[11] = c[4] || c[8];
	c[12] = port < ttl;
	c[13] = memcmp(d6, s6, 16) == 0;
	c[14] = smac <= 0x800000000000ull;
	c[15] = ttl == 0;
	c[16] = vid >= 0x800;
	c[17] = !c[13];
	for (uint32_t k = 0; k < N_CONDS; k++)
		if (c[k])
			bits |= 1ull << k;
	return bits;
}

static void
test_conditions(void **state)
{
	static const enum ft_cmp cmps[6] = {FT_CMP_EQ, FT_CMP_NE, FT_CMP_LT,
	                                    FT_CMP_LE, FT_CMP_GT, FT_CMP_GE};
	static const uint8_t zero16[16];
	static struct frame in[FT_BURST_MAX], out;
	struct ft_program *p = ft_program_create("conds");
	uint32_t pr, e, v, i4, i6, path, c[N_CONDS], fin, n = 0;
	uint64_t expect[FT_BURST_MAX];
	struct types t;
	struct rig *r;

	(void)state;
	types_add(p, &t);
	pr = header(p, "probe", t.probe, FT_PROTO_NONE, FT_L_NONE);
	e = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	v = header(p, "vlan", t.vlan, FT_PROTO_VLAN, FT_L_VLAN0);
	i4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	i6 = header(p, "ipv6", t.ipv6, FT_PROTO_IPV6, FT_L_IPV6);
	path = meta(p, "path", 64);
	for (uint32_t k = 0; k < 6; k++)
		c[k] = cond_cmp(p, cmps[k], F(i4, IP_TTL), K(64, 8));
	c[6] = cond_cmp(p, FT_CMP_EQ, F(i6, V6_SRC), KB(v6_s, 128));
	c[7] = cond_cmp(p, FT_CMP_NE, F(i6, V6_SRC), KB(v6_s, 128));
	c[8] = cond_valid(p, v);
	c[9] = cond_bool(p, FT_COND_NOT, c[8], 0);
	c[10] = cond_bool(p, FT_COND_AND, c[2], c[8]);
	c[11] = cond_bool(p, FT_COND_OR, c[4], c[8]);
	c[12] = cond_cmp(p, FT_CMP_LT, SD(FT_STD_IN_PORT), F(i4, IP_TTL));
	c[13] = cond_cmp(p, FT_CMP_EQ, F(i6, V6_DST), F(i6, V6_SRC));
	c[14] = cond_cmp(p, FT_CMP_LE, F(e, ETH_SRC), K(0x800000000000ull, 48));
	c[15] = cond_cmp(p, FT_CMP_EQ, F(i4, IP_TTL), K(0, 8));
	c[16] = cond_cmp(p, FT_CMP_GE, F(v, VLAN_VID), K(0x800, 12));
	c[17] = cond_cmp(p, FT_CMP_NE, F(i6, V6_DST), F(i6, V6_SRC));
	fin = ACT(p, "fin", NOPARAMS, VALID(pr), SET(F(pr, P_F64), MT(path)), SEND(K(1, 32)));
	for (uint32_t k = 0; k < N_CONDS; k++) {
		uint32_t mark = mark_action(p, path, 64, k);

		node_if(p, FT_CTL_INGRESS, c[k], 2 * k + 1, 2 * k + 2);
		node_run(p, FT_CTL_INGRESS, mark, 2 * k + 2);
	}
	node_run(p, FT_CTL_INGRESS, fin, FT_NODE_END);
	emit(p, U32S(pr, e, v, i4, i6));
	r = rig_open(p, 4);

	/* IPv4 around the threshold, tagged or not, from ports below and above the TTL. */
	for (uint32_t ttl = 63; ttl <= 65; ttl++)
		for (uint32_t tag = 0; tag < 3; tag++)
			for (uint32_t k = 0; k < 3; k++) {
				static const uint32_t ports[3] = {0, 64, 100};
				static const uint64_t macs[3] = {
				        0x7fffffffffffull, 0x800000000000ull, 0x800000000001ull};
				static const uint32_t vids[3] = {0, 0x123, 0x900};
				struct frame *f = &in[n];

				fr_eth(f, 1, macs[k], tag ? 0x8100 : 0x0800);
				if (tag)
					fr_vlan(f, (uint16_t)vids[tag], 0x0800);
				fr_ipv4(f,
				        &(struct ip4){.ttl = (uint8_t)ttl,
				                      .proto = 17,
				                      .src = 1,
				                      .dst = 2},
				        8);
				fr_udp(f, 1, 2, 0);
				expect[n] = cond_ref(ttl, tag != 0, vids[tag], zero16, zero16,
				                     ports[k], macs[k]);
				rig_addf(r, f, ports[k]);
				n++;
			}
	/* IPv6: the source equal to the constant or not, the destination equal to it or not. */
	for (uint32_t k = 0; k < 6; k++) {
		const uint8_t *s = k % 3 == 0 ? v6_s : k % 3 == 1 ? v6_d : v6_c;
		struct frame *f = &in[n];

		fr_eth(f, 1, 2, k >= 3 ? 0x8100 : 0x86dd);
		if (k >= 3)
			fr_vlan(f, 0x0fff, 0x86dd);
		fr_ipv6(f, 0, 0, 59, 64, s, v6_d, 0);
		expect[n] = cond_ref(0, k >= 3, k >= 3 ? 0xfff : 0, s, v6_d, 7, 2);
		rig_addf(r, f, 7);
		n++;
	}
	rig_run(r);
	assert_int_equal(r->res.n_tx, n);
	for (uint32_t i = 0; i < n; i++) {
		struct probe pv = {.f64 = expect[i]};

		probe_then(&out, &pv, &in[i], 0);
		expect_txf(r, i, i, 1, &out);
	}
	rig_close(r, true);
}

/* --- 5. The differential test: one burst against one packet at a time ------ */

#define MAC_A 0x0200000000a0ull
#define MAC_B 0x0200000000b0ull
#define MAC_C 0x0200000000c0ull
#define MAC_D 0x0200000000d0ull
#define MAC_E 0x0200000000e0ull

struct diff {
	uint32_t o_eth, o_ip, o_udp, o_vx, eth, vlan0, ipv4, ipv6, udp, tcp, vx, in_eth, in_ip;
	uint32_t m_vni, m_smac, m_dmac, m_mark, dig;
	uint32_t nop, drop, decap, fwd, ttl, encap, flood, rewrite, mirror, digest, acl_drop;
	uint32_t push, pop, v6, tcpmark, e_encap, e_drop, e_mark;
	uint32_t t_vni, t_lpm, t_acl, t_l2, t_egr;
};

/*
 * A VXLAN encapsulation to parameters 0 (MAC), 1 (IP) and 2 (VNI). The lists
 * go into 'csum' (11) and 'hash' (2), which must live until the action is added.
 */
static uint32_t
diff_encap_ops(const struct diff *d, struct ft_op *o, struct ft_ref *csum, struct ft_ref *hash)
{
	uint32_t n = 0, nc = 0;

	hash[0] = MT(d->m_smac);
	hash[1] = MT(d->m_dmac);

	for (uint32_t f = 0; f < 12; f++)
		if (f != IP_CSUM)
			csum[nc++] = F(d->o_ip, f);
	o[n++] = (struct ft_op)SET(MT(d->m_smac), F(d->eth, ETH_SRC));
	o[n++] = (struct ft_op)SET(MT(d->m_dmac), F(d->eth, ETH_DST));
	o[n++] = (struct ft_op)VALID(d->o_eth);
	o[n++] = (struct ft_op)VALID(d->o_ip);
	o[n++] = (struct ft_op)VALID(d->o_udp);
	o[n++] = (struct ft_op)VALID(d->o_vx);
	o[n++] = (struct ft_op)SET(F(d->o_eth, ETH_DST), PR(0));
	o[n++] = (struct ft_op)SET(F(d->o_eth, ETH_SRC), K(0x02000000ffffull, 48));
	o[n++] = (struct ft_op)SET(F(d->o_eth, ETH_TYPE), K(0x0800, 16));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_VER), K(4, 4));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_IHL), K(5, 4));
	o[n++] = (struct ft_op)OP(ADD, F(d->o_ip, IP_LEN), SD(FT_STD_PKT_LEN), K(36, 16));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_FLAGS), K(2, 3));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_TTL), K(64, 8));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_PROTO), K(17, 8));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_SRC), K(0x0a0000fe, 32));
	o[n++] = (struct ft_op)SET(F(d->o_ip, IP_DST), PR(1));
	o[n++] = (struct ft_op){
	        .kind = FT_OP_CSUM, .dst = F(d->o_ip, IP_CSUM), .list = csum, .n_list = nc};
	o[n++] = (struct ft_op){.kind = FT_OP_HASH,
	                        .id = FT_HASH_CRC32,
	                        .dst = F(d->o_udp, UDP_SPORT),
	                        .a = K(49152, 16),
	                        .b = K(16384, 16),
	                        .list = hash,
	                        .n_list = 2};
	o[n++] = (struct ft_op)SET(F(d->o_udp, UDP_DPORT), K(4789, 16));
	o[n++] = (struct ft_op)OP(ADD, F(d->o_udp, UDP_LEN), SD(FT_STD_PKT_LEN), K(16, 16));
	o[n++] = (struct ft_op)SET(F(d->o_vx, VX_FLAGS), K(0x08, 8));
	o[n++] = (struct ft_op)SET(F(d->o_vx, VX_VNI), PR(2));
	return n;
}

/*
 * Ingress:
 *   0 if vxlan valid -> 1 else 2
 *   1 apply vni_term (decap and send | drop)
 *   2 if ipv4 valid -> 3 else 5
 *   3 apply lpm on ipv4.dst (forward | ttl and checksum | encap | flood | drop | nop);
 *     drop ends the control
 *   4 apply acl, ternary on (protocol, UDP port) (rewrite MACs | mirror | digest | drop)
 *   5 apply l2 on (eth.dst, vlan.vid) (forward | push | pop | IPv6 | flood | drop)
 *   6 if mark == 2 && tcp valid -> 7 (change TCP flags and window)
 * Egress: apply on std.rid (encap | drop | write rid and port into the MACs).
 */
static struct ft_program *
diff_build(struct diff *d)
{
	struct ft_program *p = ft_program_create("diff");
	struct ft_op ops[32];
	struct ft_ref csum[12], hash[2];
	struct ft_param_decl encap_p[] = {{"mac", 48}, {"ip", 32}, {"vni", 24}, {"port", 16}};
	struct types t;
	uint32_t n, c_mark, c_tcp, c_and;

	assert_non_null(p);
	types_add(p, &t);
	d->o_eth = header(p, "outer_ethernet", t.eth, FT_PROTO_ETH, FT_L_NONE);
	d->o_ip = header(p, "outer_ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_NONE);
	d->o_udp = header(p, "outer_udp", t.udp, FT_PROTO_UDP, FT_L_NONE);
	d->o_vx = header(p, "outer_vxlan", t.vxlan, FT_PROTO_VXLAN, FT_L_NONE);
	d->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	d->vlan0 = header(p, "vlan", t.vlan, FT_PROTO_VLAN, FT_L_VLAN0);
	d->ipv4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	d->ipv6 = header(p, "ipv6", t.ipv6, FT_PROTO_IPV6, FT_L_IPV6);
	d->udp = header(p, "udp", t.udp, FT_PROTO_UDP, FT_L_UDP);
	d->tcp = header(p, "tcp", t.tcp, FT_PROTO_TCP, FT_L_TCP);
	d->vx = header(p, "vxlan", t.vxlan, FT_PROTO_VXLAN, FT_L_VXLAN);
	d->in_eth = header(p, "inner_ethernet", t.eth, FT_PROTO_ETH, FT_L_IN_ETH);
	d->in_ip = header(p, "inner_ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IN_IPV4);
	d->m_vni = meta(p, "vni", 24);
	d->m_smac = meta(p, "smac", 48);
	d->m_dmac = meta(p, "dmac", 48);
	d->m_mark = meta(p, "mark", 8);
	d->dig = OK(ft_program_add_digest(p, "seen", &err));
	OK(ft_program_set_limits(p, 8, 4, &err));

	d->nop = action_add(p, "nop", NULL, 0, NULL, 0);
	d->drop = ACT(p, "drop", NOPARAMS, DROP());
	d->decap = ACT(p, "decap", PARAMS({"port", 16}), SET(MT(d->m_vni), F(d->vx, VX_VNI)),
	               INVALID(d->eth), INVALID(d->vlan0), INVALID(d->ipv4), INVALID(d->ipv6),
	               INVALID(d->udp), INVALID(d->vx), SEND(PR(0)));
	d->fwd = ACT(p, "fwd", PARAMS({"port", 16}), SEND(PR(0)), SET(MT(d->m_mark), K(2, 8)));
	d->ttl = ACT(p, "ttl", PARAMS({"port", 16}),
	             OP(ADD, F(d->ipv4, IP_TTL), F(d->ipv4, IP_TTL), K(0xff, 8)),
	             CSUM(F(d->ipv4, IP_CSUM), F(d->ipv4, IP_VER), F(d->ipv4, IP_IHL),
	                  F(d->ipv4, IP_DS), F(d->ipv4, IP_LEN), F(d->ipv4, IP_ID),
	                  F(d->ipv4, IP_FLAGS), F(d->ipv4, IP_FRAG), F(d->ipv4, IP_TTL),
	                  F(d->ipv4, IP_PROTO), F(d->ipv4, IP_SRC), F(d->ipv4, IP_DST)),
	             SEND(PR(0)));
	n = diff_encap_ops(d, ops, csum, hash);
	ops[n++] = (struct ft_op)SEND(PR(3));
	d->encap = action_add(p, "encap", encap_p, 4, ops, n);
	d->flood = ACT(p, "flood", PARAMS({"group", 16}), {.kind = FT_OP_REPLICATE, .a = PR(0)});
	d->rewrite = ACT(p, "rewrite", PARAMS({"mac", 48}), SET(MT(d->m_dmac), F(d->eth, ETH_DST)),
	                 SET(F(d->eth, ETH_DST), PR(0)), SET(F(d->eth, ETH_SRC), MT(d->m_dmac)));
	d->mirror = ACT(p, "mirror", PARAMS({"session", 8}), {.kind = FT_OP_MIRROR, .a = PR(0)});
	d->digest = ACT(p, "digest", NOPARAMS,
	                {.kind = FT_OP_DIGEST,
	                 .id = d->dig,
	                 LIST(F(d->eth, ETH_SRC), F(d->ipv4, IP_TTL), MT(d->m_mark))});
	d->acl_drop = ACT(p, "acl_drop", NOPARAMS, DROP());
	d->push = ACT(p, "push", PARAMS({"vid", 12}, {"port", 16}), VALID(d->vlan0),
	              SET(F(d->vlan0, VLAN_VID), PR(0)),
	              SET(F(d->vlan0, VLAN_TYPE), F(d->eth, ETH_TYPE)),
	              SET(F(d->eth, ETH_TYPE), K(0x8100, 16)), SEND(PR(1)));
	d->pop = ACT(p, "pop", PARAMS({"port", 16}),
	             SET(F(d->eth, ETH_TYPE), F(d->vlan0, VLAN_TYPE)), INVALID(d->vlan0),
	             SEND(PR(0)));
	d->v6 = ACT(p, "v6", PARAMS({"port", 16}),
	            OP(ADD, F(d->ipv6, V6_HLIM), F(d->ipv6, V6_HLIM), K(0xff, 8)),
	            SET(F(d->ipv6, V6_SRC), F(d->ipv6, V6_DST)), SEND(PR(0)));
	d->tcpmark = ACT(p, "tcpmark", NOPARAMS,
	                 OP(OR, F(d->tcp, TCP_FLAGS), F(d->tcp, TCP_FLAGS), K(0x10, 8)),
	                 OP(ADD, F(d->tcp, TCP_WIN), F(d->tcp, TCP_WIN), K(1, 8)));
	n = diff_encap_ops(d, ops, csum, hash);
	d->e_encap = action_add(p, "e_encap", encap_p, 3, ops, n);
	d->e_drop = ACT(p, "e_drop", NOPARAMS, DROP());
	d->e_mark = ACT(p, "e_mark", NOPARAMS, SET(F(d->eth, ETH_SRC), SD(FT_STD_RID)),
	                SET(F(d->eth, ETH_DST), SD(FT_STD_OUT_PORT)));

	d->t_vni = key1_table(p, "vni_term", F(d->vx, VX_VNI), FT_MATCH_EXACT,
	                      U32S(d->decap, d->drop), d->drop);
	d->t_lpm = key1_table(p, "lpm", F(d->ipv4, IP_DST), FT_MATCH_LPM,
	                      U32S(d->fwd, d->ttl, d->encap, d->flood, d->drop, d->nop), d->nop);
	{
		struct ft_key_decl k[] = {{F(d->ipv4, IP_PROTO), FT_MATCH_TERNARY},
		                          {F(d->udp, UDP_DPORT), FT_MATCH_TERNARY}};

		d->t_acl = table_add(p, "acl", k, 2,
		                     U32S(d->rewrite, d->mirror, d->digest, d->acl_drop, d->nop),
		                     d->nop);
	}
	{
		struct ft_key_decl k[] = {{F(d->eth, ETH_DST), FT_MATCH_EXACT},
		                          {F(d->vlan0, VLAN_VID), FT_MATCH_EXACT}};

		d->t_l2 = table_add(p, "l2", k, 2,
		                    U32S(d->fwd, d->push, d->pop, d->v6, d->flood, d->drop, d->nop),
		                    d->nop);
	}
	d->t_egr = key1_table(p, "egress", SD(FT_STD_RID), FT_MATCH_EXACT,
	                      U32S(d->e_encap, d->e_drop, d->e_mark, d->nop), d->nop);

	c_mark = cond_cmp(p, FT_CMP_EQ, MT(d->m_mark), K(2, 8));
	c_tcp = cond_valid(p, d->tcp);
	c_and = cond_bool(p, FT_COND_AND, c_mark, c_tcp);
	{
		struct ft_action_next on_lpm[] = {{d->drop, FT_NODE_END}};
		struct ft_action_next on_acl[] = {{d->acl_drop, FT_NODE_END}};

		node_if(p, FT_CTL_INGRESS, cond_valid(p, d->vx), 1, 2);
		node_apply1(p, FT_CTL_INGRESS, d->t_vni, FT_NODE_END);
		node_if(p, FT_CTL_INGRESS, cond_valid(p, d->ipv4), 3, 5);
		node_apply(p, FT_CTL_INGRESS, d->t_lpm, 4, FT_NEXT_DEFAULT, FT_NEXT_DEFAULT, on_lpm,
		           1);
		node_apply(p, FT_CTL_INGRESS, d->t_acl, 5, FT_NEXT_DEFAULT, FT_NEXT_DEFAULT, on_acl,
		           1);
		node_apply1(p, FT_CTL_INGRESS, d->t_l2, 6);
		node_if(p, FT_CTL_INGRESS, c_and, 7, FT_NODE_END);
		node_run(p, FT_CTL_INGRESS, d->tcpmark, FT_NODE_END);
		node_apply1(p, FT_CTL_EGRESS, d->t_egr, FT_NODE_END);
	}
	emit(p, U32S(d->o_eth, d->o_ip, d->o_udp, d->o_vx, d->eth, d->vlan0, d->ipv4, d->ipv6,
	             d->udp, d->tcp, d->vx, d->in_eth, d->in_ip));
	return p;
}

static void
diff_entries(struct rig *r, const struct diff *d)
{
	uint8_t k[8], m[8], a[16];

	/* vni_term */
	wr(k, 3, 100);
	wr(a, 2, 5);
	entry_add(r->pipe, d->t_vni, k, NULL, 0, d->decap, a);
	wr(k, 3, 200);
	entry_add(r->pipe, d->t_vni, k, NULL, 0, d->drop, NULL);
	/* lpm: 10/8 and 10.x/16 */
	const struct {
		uint32_t prefix, len, action, arg;
	} lpm[] = {
	        {0x0a000000, 8, d->fwd, 1},    {0x0a010000, 16, d->ttl, 2},
	        {0x0a020000, 16, d->encap, 3}, {0x0a030000, 16, d->flood, 1},
	        {0x0a040000, 16, d->flood, 2}, {0x0a050000, 16, d->flood, 9},
	        {0x0a060000, 16, d->drop, 0},  {0x0a070000, 16, d->nop, 0},
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(lpm); i++) {
		const uint8_t *data = a;

		wr(k, 4, lpm[i].prefix);
		wr(m, 4, ~0u << (32 - lpm[i].len));
		if (lpm[i].action == d->encap) {
			wr(a, 6, 0x0200000000f0ull);
			wr(a + 6, 4, 0xc0a80002);
			wr(a + 10, 3, 5000);
			wr(a + 13, 2, lpm[i].arg);
		} else if (lpm[i].action == d->drop || lpm[i].action == d->nop) {
			data = NULL;
		} else {
			wr(a, 2, lpm[i].arg);
		}
		entry_add(r->pipe, d->t_lpm, k, m, 0, lpm[i].action, data);
	}
	/* acl: (protocol, UDP port) */
	const struct {
		uint32_t proto, pmask, port, mask, prio, action, arg;
	} acl[] = {
	        {17, 0xff, 53, 0xffff, 10, d->digest, 0},
	        {6, 0xff, 0, 0, 5, d->mirror, 0},
	        {17, 0xff, 0x1000, 0xf000, 7, d->rewrite, 0},
	        {17, 0xff, 7, 0xffff, 8, d->mirror, 1},
	        {17, 0xff, 9, 0xffff, 9, d->acl_drop, 0},
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(acl); i++) {
		const uint8_t *data = NULL;

		k[0] = (uint8_t)acl[i].proto;
		wr(k + 1, 2, acl[i].port);
		m[0] = (uint8_t)acl[i].pmask;
		wr(m + 1, 2, acl[i].mask);
		if (acl[i].action == d->rewrite) {
			wr(a, 6, MAC_C);
			data = a;
		} else if (acl[i].action == d->mirror) {
			a[0] = (uint8_t)acl[i].arg;
			data = a;
		}
		entry_add(r->pipe, d->t_acl, k, m, acl[i].prio, acl[i].action, data);
	}
	/* l2: (eth.dst, vlan.vid) */
	const struct {
		uint64_t mac;
		uint32_t vid, action, arg, arg2;
	} l2[] = {
	        {MAC_A, 0, d->fwd, 3, 0}, {MAC_B, 0, d->push, 42, 4}, {MAC_C, 42, d->pop, 6, 0},
	        {MAC_D, 0, d->v6, 7, 0},  {MAC_E, 0, d->flood, 3, 0}, {MAC_C, 0, d->fwd, 8, 0},
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(l2); i++) {
		wr(k, 6, l2[i].mac);
		wr(k + 6, 2, l2[i].vid);
		wr(a, 2, l2[i].arg);
		wr(a + 2, 2, l2[i].arg2);
		entry_add(r->pipe, d->t_l2, k, NULL, 0, l2[i].action, a);
	}
	/* egress, on std.rid */
	wr(k, 2, 1);
	wr(a, 6, 0x0200000000f1ull);
	wr(a + 6, 4, 0xc0a80003);
	wr(a + 10, 3, 6000);
	entry_add(r->pipe, d->t_egr, k, NULL, 0, d->e_encap, a);
	wr(k, 2, 2);
	entry_add(r->pipe, d->t_egr, k, NULL, 0, d->e_mark, NULL);
	wr(k, 2, 3);
	entry_add(r->pipe, d->t_egr, k, NULL, 0, d->e_drop, NULL);
	/* groups: 1 and 3 with three members, 2 empty; mirror 0 to port 100, 1 disabled */
	group_set(r->pipe, 1, (const struct ft_group_member[]){{1, 0}, {2, 1}, {3, 2}}, 3);
	group_set(r->pipe, 2, NULL, 0);
	group_set(r->pipe, 3, (const struct ft_group_member[]){{4, 3}, {5, 1}, {6, 0}}, 3);
	mirror_set(r->pipe, 0, 100);
	mirror_set(r->pipe, 1, UINT32_MAX);
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A random packet of one of several kinds, some of them malformed. */
static void
diff_packet(uint64_t *s, struct frame *f, uint32_t *port, uint32_t *headroom, int depth)
{
	static const uint64_t macs[] = {
	        MAC_A, MAC_B, MAC_C, MAC_D, MAC_E, 0xffffffffffffull, 0x020000001234ull};
	static const uint16_t dports[] = {53, 7, 9, 0x1234, 80, 4789};
	static const uint16_t vids[] = {0, 42, 7, 0xfff};
	static const uint32_t rooms[] = {FT_PKT_HEADROOM, 40, 60, 200};
	static struct frame inner;
	uint32_t kind = (uint32_t)(rnd(s) % (depth ? 8 : 9));
	uint64_t dmac = macs[rnd(s) % ARRAY_SIZE(macs)];
	uint64_t smac = 0x020000000000ull | (rnd(s) & 0xffffff);
	uint32_t dst = rnd(s) % 4 ? 0x0a000000u | (uint32_t)(rnd(s) % 9) << 16 | (rnd(s) & 0xffff)
	                          : (uint32_t)rnd(s);
	uint16_t dport = rnd(s) % 5 ? dports[rnd(s) % ARRAY_SIZE(dports)] : (uint16_t)rnd(s);
	uint16_t sport = (uint16_t)rnd(s);
	uint32_t n = (uint32_t)(rnd(s) % 80);
	struct ip4 ip = {.ttl = (uint8_t)rnd(s),
	                 .id = (uint16_t)rnd(s),
	                 .src = (uint32_t)rnd(s),
	                 .dst = dst,
	                 .tos = (uint8_t)rnd(s)};
	uint8_t s6[16], d6[16];

	f->len = 0;
	switch (kind) {
	case 0:
		frame_udp4(f, dmac, smac, ip, sport, dport, n);
		break;
	case 1:
		frame_tcp4(f, dmac, smac, ip, sport, dport, n);
		break;
	case 2:
		fr_eth(f, dmac, smac, 0x8100);
		fr_vlan(f, (uint16_t)(rnd(s) & 0xe000) | vids[rnd(s) % ARRAY_SIZE(vids)], 0x0800);
		ip.proto = 17;
		fr_ipv4(f, &ip, 8 + n);
		fr_udp(f, sport, dport, n);
		fr_payload(f, n, (uint8_t)n);
		break;
	case 3:
		for (uint32_t i = 0; i < 16; i++) {
			s6[i] = (uint8_t)rnd(s);
			d6[i] = (uint8_t)rnd(s);
		}
		fr_eth(f, dmac, smac, 0x86dd);
		fr_ipv6(f, (uint8_t)rnd(s), (uint32_t)rnd(s) & 0xfffff, 17, (uint8_t)rnd(s), s6, d6,
		        8 + n);
		fr_udp(f, sport, dport, n);
		fr_payload(f, n, (uint8_t)n);
		break;
	case 4: {
		static const uint32_t vnis[] = {100, 200, 300};

		inner.len = 0;
		if (rnd(s) % 2)
			frame_udp4(&inner, dmac, smac, ip, sport, dport, n);
		else
			frame_tcp4(&inner, dmac, smac, ip, sport, dport, n);
		frame_vxlan(f, vnis[rnd(s) % 3], &inner, sport);
		break;
	}
	case 5:
		fr_eth(f, dmac, smac, rnd(s) % 2 ? 0x0806 : 0x88cc);
		fr_payload(f, 28 + n, (uint8_t)n);
		break;
	case 6:
		ip.proto = 1;
		fr_eth(f, dmac, smac, 0x0800);
		fr_ipv4(f, &ip, 4 + n);
		fr_payload(f, 4 + n, 3);
		break;
	case 7:
		ip.frag = (uint16_t)(0x2000 | (rnd(s) & 0x1fff));
		frame_udp4(f, dmac, smac, ip, sport, dport, n);
		break;
	default:
		diff_packet(s, f, port, headroom, 1);
		f->len = (uint32_t)(rnd(s) % (f->len + 1));
		break;
	}
	*port = (uint32_t)(rnd(s) % 4);
	*headroom = rooms[rnd(s) % ARRAY_SIZE(rooms)];
}

#define REC_BYTES 512

struct rec {
	uint16_t src;
	uint32_t port;
	uint16_t len;
	uint8_t b[REC_BYTES];
};

/* Everything observable of a burst, or of a sequence of one-packet bursts. */
struct outcome {
	uint32_t n_rec, n_ev;
	struct rec rec[FT_BURST_TX_MAX];
	struct ft_event ev[FT_BURST_EVENTS_MAX];
	uint16_t drop[FT_BURST_MAX], drop_action[FT_BURST_MAX];
	uint8_t used[FT_BURST_MAX];
};

/* Appends what rig 'r' produced, its packets numbered from 'base'. */
static void
outcome_add(struct outcome *o, const struct rig *r, uint32_t base)
{
	for (uint32_t t = 0; t < r->res.n_tx; t++) {
		const struct ft_tx *x = &r->res.tx[t];
		struct rec *c;

		assert_true(o->n_rec < FT_BURST_TX_MAX);
		c = &o->rec[o->n_rec++];

		assert_true(x->pkt->len <= REC_BYTES);
		c->src = (uint16_t)(base + x->src);
		c->port = x->port;
		c->len = x->pkt->len;
		memcpy(c->b, ft_pkt_data(x->pkt), x->pkt->len);
	}
	/* Events by packet, each packet's in the order raised. */
	for (uint32_t i = 0; i < r->n; i++) {
		for (uint32_t e = 0; e < r->res.n_events; e++)
			if (r->res.events[e].src == i) {
				o->ev[o->n_ev] = r->res.events[e];
				o->ev[o->n_ev++].src = (uint16_t)(base + i);
			}
		o->drop[base + i] = r->res.drop[i];
		o->drop_action[base + i] = r->res.drop_action[i];
		o->used[base + i] = r->res.used[i] != 0;
	}
}

static void
stats_delta(struct ft_stats *d, const struct ft_stats *a, const struct ft_stats *b)
{
	d->rx = b->rx - a->rx;
	d->tx = b->tx - a->tx;
	d->copies = b->copies - a->copies;
	d->events_lost = b->events_lost - a->events_lost;
	for (uint32_t i = 0; i < FT_DROP_COUNT; i++)
		d->drop[i] = b->drop[i] - a->drop[i];
}

static void
diff_fail(uint64_t seed, uint32_t iter, const struct frame *f, uint32_t i, const char *what)
{
	hexdump("packet", f[i].b, f[i].len);
	fail_msg("seed %llu, iteration %u, packet %u: %s differs between the burst and the "
	         "packet alone",
	         (unsigned long long)seed, iter, i, what);
}

static void
test_differential(void **state)
{
	static struct frame f[FT_BURST_MAX];
	static struct outcome one_burst, alone;
	uint32_t port[FT_BURST_MAX], room[FT_BURST_MAX];
	const char *env = getenv("FT_TEST_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 0x5eed1234abcdull, s = seed;
	uint32_t sent = 0, dropped = 0, copies = 0, events = 0;
	struct diff d;
	struct rig *r = rig_open(diff_build(&d), 1024);

	(void)state;
	diff_entries(r, &d);
	for (uint32_t iter = 0; iter < 200; iter++) {
		uint32_t n = 1 + (uint32_t)(rnd(&s) % FT_BURST_MAX);
		struct ft_stats s0, s1, s2, d1, d2;
		struct ft_table_stats t0[5], t1[5], t2[5];
		const uint32_t tables[5] = {d.t_vni, d.t_lpm, d.t_acl, d.t_l2, d.t_egr};

		for (uint32_t i = 0; i < n; i++)
			diff_packet(&s, &f[i], &port[i], &room[i], 0);
		memset(&one_burst, 0, sizeof(one_burst));
		memset(&alone, 0, sizeof(alone));

		ft_pipeline_stats(r->pipe, &s0);
		for (uint32_t k = 0; k < 5; k++)
			OK(ft_pipeline_table_stats(r->pipe, tables[k], &t0[k]));
		for (uint32_t i = 0; i < n; i++) {
			rig_add(r, f[i].b, f[i].len, port[i], room[i]);
			memset(r->in[i].buf, (int)(rnd(&s) & 0xff), room[i]);
		}
		rig_run(r);
		outcome_add(&one_burst, r, 0);
		rig_clear(r);
		ft_pipeline_stats(r->pipe, &s1);
		for (uint32_t k = 0; k < 5; k++)
			OK(ft_pipeline_table_stats(r->pipe, tables[k], &t1[k]));
		for (uint32_t i = 0; i < n; i++) {
			rig_add(r, f[i].b, f[i].len, port[i], room[i]);
			memset(r->in[0].buf, (int)(rnd(&s) & 0xff), room[i]);
			rig_run(r);
			outcome_add(&alone, r, i);
			rig_clear(r);
		}
		ft_pipeline_stats(r->pipe, &s2);
		for (uint32_t k = 0; k < 5; k++)
			OK(ft_pipeline_table_stats(r->pipe, tables[k], &t2[k]));

		for (uint32_t i = 0; i < n; i++) {
			if (one_burst.drop[i] != alone.drop[i] ||
			    one_burst.drop_action[i] != alone.drop_action[i])
				diff_fail(seed, iter, f, i, "the drop reason");
			if (one_burst.used[i] != alone.used[i])
				diff_fail(seed, iter, f, i, "used[]");
			dropped += one_burst.drop[i] != FT_DROP_NONE;
		}
		for (uint32_t t = 0; t < one_burst.n_rec || t < alone.n_rec; t++) {
			const struct rec *a = &one_burst.rec[t], *b = &alone.rec[t];

			if (t >= one_burst.n_rec || t >= alone.n_rec)
				diff_fail(seed, iter, f, (t < one_burst.n_rec ? a : b)->src,
				          "the number of outputs");
			if (a->src != b->src)
				diff_fail(seed, iter, f, a->src < b->src ? a->src : b->src,
				          "the number of outputs");
			if (a->port != b->port || a->len != b->len || memcmp(a->b, b->b, a->len)) {
				hexdump("in the burst", a->b, a->len);
				hexdump("alone", b->b, b->len);
				diff_fail(seed, iter, f, a->src, "an output");
			}
		}
		assert_int_equal(one_burst.n_ev, alone.n_ev);
		for (uint32_t e = 0; e < one_burst.n_ev; e++) {
			const struct ft_event *a = &one_burst.ev[e], *b = &alone.ev[e];

			if (a->src != b->src || a->id != b->id || a->len != b->len ||
			    memcmp(a->data, b->data, a->len))
				diff_fail(seed, iter, f, a->src, "an event");
		}
		stats_delta(&d1, &s0, &s1);
		stats_delta(&d2, &s1, &s2);
		assert_int_equal(d1.rx, d2.rx);
		assert_int_equal(d1.tx, d2.tx);
		assert_int_equal(d1.copies, d2.copies);
		assert_memory_equal(d1.drop, d2.drop, sizeof(d1.drop));
		for (uint32_t k = 0; k < 5; k++) {
			assert_int_equal(t1[k].hits - t0[k].hits, t2[k].hits - t1[k].hits);
			assert_int_equal(t1[k].misses - t0[k].misses, t2[k].misses - t1[k].misses);
		}
		sent += one_burst.n_rec;
		copies += (uint32_t)d1.copies;
		events += one_burst.n_ev;
	}
	/* The random packets took the interesting paths. */
	assert_true(sent > 500);
	assert_true(dropped > 200);
	assert_true(copies > 50);
	assert_true(events > 10);
	rig_close(r, true);
}

/* --- 6 and 7. Fates, drop reasons, copies and their buffers ---------------- */

enum {
	FP_SEND_DROP = 1,
	FP_DROP_SEND,
	FP_SEND2,
	FP_NOP,
	FP_REP1,
	FP_REP_UNSET,
	FP_REP_BAD,
	FP_REP_BIG,
	FP_DIGEST,
	FP_SEND_PORT,
	FP_NOTE_SENT, /* for these two, a node runs 'note' after the table */
	FP_NOTE_NONE,
	FP_REP_EMPTIED,
	FP_REP_MIRROR, /* mirror to session 0, replicate to group 3 */
};

struct fate {
	uint32_t eth, ipv4, x, d0, d1;
	uint32_t send_drop, drop_send, send2, nop, note, rep, rep_mirror, digest, send_port, drop;
	uint32_t table;
};

static struct rig *
fate_open(struct fate *fa, uint32_t pool_n)
{
	struct ft_program *p = ft_program_create("fate");
	struct types t;
	struct rig *r;
	uint8_t d[4];
	uint32_t note_if;

	assert_non_null(p);
	types_add(p, &t);
	fa->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	fa->ipv4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	fa->x = meta(p, "x", 8);
	fa->d0 = OK(ft_program_add_digest(p, "fields", &err));
	fa->d1 = OK(ft_program_add_digest(p, "header", &err));
	OK(ft_program_set_limits(p, 8, 4, &err));
	fa->send_drop = ACT(p, "send_drop", NOPARAMS, SEND(K(1, 32)), DROP());
	fa->drop_send = ACT(p, "drop_send", NOPARAMS, DROP(), SEND(K(2, 32)));
	fa->send2 = ACT(p, "send2", NOPARAMS, SEND(K(1, 32)), SEND(K(3, 32)));
	fa->nop = ACT(p, "nop", NOPARAMS, SET(MT(fa->x), K(1, 8)));
	fa->note = ACT(p, "note", NOPARAMS, SET(MT(fa->x), K(2, 8)));
	fa->rep = ACT(p, "rep", PARAMS({"group", 32}), {.kind = FT_OP_REPLICATE, .a = PR(0)});
	fa->rep_mirror =
	        ACT(p, "rep_mirror", PARAMS({"group", 32}), {.kind = FT_OP_MIRROR, .a = K(0, 8)},
	            {.kind = FT_OP_REPLICATE, .a = PR(0)});
	fa->digest = ACT(p, "digest", NOPARAMS, SET(MT(fa->x), K(0x77, 8)),
	                 {.kind = FT_OP_DIGEST,
	                  .id = fa->d0,
	                  LIST(F(fa->eth, ETH_SRC), F(fa->ipv4, IP_TTL), F(fa->ipv4, IP_FLAGS),
	                       K(0xabc, 12), MT(fa->x))},
	                 {.kind = FT_OP_DIGEST, .id = fa->d1, LIST(HD(fa->ipv4))}, SEND(K(4, 32)));
	fa->send_port = ACT(p, "send_port", PARAMS({"port", 32}), SEND(PR(0)));
	fa->drop = ACT(p, "drop", NOPARAMS, DROP());
	fa->table = key1_table(p, "t", SD(FT_STD_IN_PORT), FT_MATCH_EXACT,
	                       U32S(fa->send_drop, fa->drop_send, fa->send2, fa->nop, fa->rep,
	                            fa->rep_mirror, fa->digest, fa->send_port, fa->drop),
	                       fa->drop);
	note_if = cond_bool(p, FT_COND_AND,
	                    cond_cmp(p, FT_CMP_GE, SD(FT_STD_IN_PORT), K(FP_NOTE_SENT, 32)),
	                    cond_cmp(p, FT_CMP_LE, SD(FT_STD_IN_PORT), K(FP_NOTE_NONE, 32)));
	node_apply1(p, FT_CTL_INGRESS, fa->table, 1);
	node_if(p, FT_CTL_INGRESS, note_if, 2, FT_NODE_END);
	node_run(p, FT_CTL_INGRESS, fa->note, FT_NODE_END);
	emit(p, U32S(fa->eth, fa->ipv4));
	r = rig_open(p, pool_n);

	entry32(r->pipe, fa->table, FP_SEND_DROP, fa->send_drop, NULL);
	entry32(r->pipe, fa->table, FP_DROP_SEND, fa->drop_send, NULL);
	entry32(r->pipe, fa->table, FP_SEND2, fa->send2, NULL);
	entry32(r->pipe, fa->table, FP_NOP, fa->nop, NULL);
	entry32(r->pipe, fa->table, FP_NOTE_NONE, fa->nop, NULL);
	const struct {
		uint32_t port, arg;
	} reps[] = {{FP_REP1, 1},
	            {FP_REP_UNSET, 2},
	            {FP_REP_BAD, 9},
	            {FP_REP_BIG, 3},
	            {FP_REP_EMPTIED, 4}};
	for (uint32_t i = 0; i < ARRAY_SIZE(reps); i++) {
		wr(d, 4, reps[i].arg);
		entry32(r->pipe, fa->table, reps[i].port, fa->rep, d);
	}
	wr(d, 4, 3);
	entry32(r->pipe, fa->table, FP_REP_MIRROR, fa->rep_mirror, d);
	mirror_set(r->pipe, 0, 500);
	entry32(r->pipe, fa->table, FP_DIGEST, fa->digest, NULL);
	wr(d, 4, 0xfffffffe);
	entry32(r->pipe, fa->table, FP_SEND_PORT, fa->send_port, d);
	wr(d, 4, 5);
	entry32(r->pipe, fa->table, FP_NOTE_SENT, fa->send_port, d);

	group_set(r->pipe, 1, (const struct ft_group_member[]){{20, 0}, {21, 5}, {22, 9}}, 3);
	{
		struct ft_group_member big[FT_BURST_TX_MAX];

		for (uint32_t i = 0; i < FT_BURST_TX_MAX; i++)
			big[i] = (struct ft_group_member){1000 + i, (uint16_t)i};
		group_set(r->pipe, 3, big, FT_BURST_TX_MAX);
	}
	group_set(r->pipe, 4, (const struct ft_group_member[]){{1, 1}}, 1);
	group_set(r->pipe, 4, NULL, 0);
	return r;
}

static void
test_send_drop_fates(void **state)
{
	static const uint32_t ports[] = {FP_SEND_DROP, FP_DROP_SEND, FP_SEND2, FP_NOP,
	                                 FP_NOTE_SENT, FP_NOTE_NONE, 99,       FP_SEND_PORT};
	static struct frame in;
	struct fate fa;
	struct rig *r = fate_open(&fa, 8);
	uint64_t act0 = stat_drop(r, FT_DROP_ACTION), none0 = stat_drop(r, FT_DROP_NO_OUTPUT);

	(void)state;
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	for (uint32_t i = 0; i < ARRAY_SIZE(ports); i++)
		rig_addf(r, &in, ports[i]);
	rig_run(r);
	/* send then drop: dropped; drop then send: sent; the last send wins. */
	expect_drop(r, 0, FT_DROP_ACTION, fa.send_drop);
	expect_txf(r, 0, 1, 2, &in);
	expect_txf(r, 1, 2, 3, &in);
	/* No send: no output, blamed on the last action, the node's one included. */
	expect_drop(r, 3, FT_DROP_NO_OUTPUT, fa.nop);
	expect_txf(r, 2, 4, 5, &in);
	expect_drop(r, 5, FT_DROP_NO_OUTPUT, fa.note);
	expect_drop(r, 6, FT_DROP_ACTION, fa.drop);
	expect_txf(r, 3, 7, 0xfffffffe, &in);
	assert_int_equal(r->res.n_tx, 4);
	assert_int_equal(stat_drop(r, FT_DROP_ACTION) - act0, 2);
	assert_int_equal(stat_drop(r, FT_DROP_NO_OUTPUT) - none0, 2);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, fa.send_drop), 1);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, fa.nop), 1);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, fa.note), 1);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, fa.drop), 1);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, fa.send2), 0);
	rig_close(r, true);
}

static void
test_replicate_groups(void **state)
{
	static struct frame in;
	struct fate fa;
	struct rig *r = fate_open(&fa, 8), *one, *none;
	struct ft_stats s0, s1;

	(void)state;
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 30);
	ft_pipeline_stats(r->pipe, &s0);
	rig_addf(r, &in, FP_REP1);
	rig_addf(r, &in, FP_REP_UNSET);
	rig_addf(r, &in, FP_REP_EMPTIED);
	rig_addf(r, &in, FP_REP_BAD);
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	/* One copy per member, in member order; the original goes to the last. */
	assert_int_equal(r->res.n_tx, 3);
	expect_txf(r, 0, 0, 20, &in);
	expect_txf(r, 1, 0, 21, &in);
	expect_txf(r, 2, 0, 22, &in);
	assert_ptr_equal(r->res.tx[2].pkt, &r->in[0]);
	assert_int_equal(s1.copies - s0.copies, 2);
	expect_drop(r, 1, FT_DROP_EMPTY_GROUP, fa.rep);
	expect_drop(r, 2, FT_DROP_EMPTY_GROUP, fa.rep);
	expect_drop(r, 3, FT_DROP_BAD_GROUP, fa.rep);
	assert_int_equal(s1.drop[FT_DROP_EMPTY_GROUP] - s0.drop[FT_DROP_EMPTY_GROUP], 2);
	assert_int_equal(s1.drop[FT_DROP_BAD_GROUP] - s0.drop[FT_DROP_BAD_GROUP], 1);

	/* A pool with one buffer: the second copy is lost, the original still goes. */
	one = rig_share(r, 1);
	rig_addf(one, &in, FP_REP1);
	rig_run(one);
	assert_int_equal(one->res.n_tx, 2);
	expect_txf(one, 0, 0, 20, &in);
	expect_txf(one, 1, 0, 22, &in);
	assert_ptr_equal(one->res.tx[1].pkt, &one->in[0]);
	ft_pipeline_stats(r->pipe, &s0);
	assert_int_equal(s0.drop[FT_DROP_NO_BUFFER] - s1.drop[FT_DROP_NO_BUFFER], 1);
	rig_clear(one);
	assert_int_equal(ft_pkt_pool_simple_avail(one->sp), 1);

	/* No pool at all: no copies. */
	none = rig_share(r, 0);
	rig_addf(none, &in, FP_REP1);
	rig_run(none);
	assert_int_equal(none->res.n_tx, 1);
	expect_txf(none, 0, 0, 22, &in);
	ft_pipeline_stats(r->pipe, &s1);
	assert_int_equal(s1.drop[FT_DROP_NO_BUFFER] - s0.drop[FT_DROP_NO_BUFFER], 2);
	rig_close(none, false);
	rig_close(one, false);
	rig_close(r, true);
}

static void
test_too_many_copies(void **state)
{
	static struct frame in;
	struct fate fa;
	struct rig *r = fate_open(&fa, 300);
	uint64_t before = stat_drop(r, FT_DROP_TOO_MANY_COPIES);

	(void)state;
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	rig_addf(r, &in, FP_REP_BIG);
	rig_addf(r, &in, FP_REP_BIG);
	rig_addf(r, &in, FP_REP_MIRROR);
	rig_run(r);
	/* The first packet fills tx[]; every output of the others is dropped. */
	assert_int_equal(r->res.n_tx, FT_BURST_TX_MAX);
	for (uint32_t t = 0; t < FT_BURST_TX_MAX; t++)
		expect_txf(r, t, 0, 1000 + t, &in);
	assert_true(r->res.used[0]);
	expect_drop(r, 1, FT_DROP_TOO_MANY_COPIES, UINT32_MAX);
	expect_drop(r, 2, FT_DROP_TOO_MANY_COPIES, UINT32_MAX);
	assert_int_equal(stat_drop(r, FT_DROP_TOO_MANY_COPIES) - before, 2 * FT_BURST_TX_MAX + 1);
	rig_close(r, true); /* the copies that did not fit went back to the pool */
}

static void
test_digests(void **state)
{
	static struct frame in;
	struct fate fa;
	struct rig *r = fate_open(&fa, 8);
	struct ft_stats s0, s1;
	uint8_t d0[11];

	(void)state;
	frame_udp4(&in, 1, 0x0a0b0c0d0e0f,
	           (struct ip4){.ttl = 33, .frag = 0x4000, .src = 1, .dst = 2}, 1, 2, 3);
	wr(d0, 6, 0x0a0b0c0d0e0f); /* each value in whole bytes, right-aligned */
	d0[6] = 33;
	d0[7] = 2;
	wr(d0 + 8, 2, 0xabc);
	d0[10] = 0x77;
	rig_addf(r, &in, FP_DIGEST);
	rig_run(r);
	expect_txf(r, 0, 0, 4, &in);
	assert_int_equal(r->res.n_events, 2);
	assert_int_equal(r->res.events[0].id, fa.d0);
	assert_int_equal(r->res.events[0].src, 0);
	assert_int_equal(r->res.events[0].len, sizeof(d0));
	assert_memory_equal(r->res.events[0].data, d0, sizeof(d0));
	assert_int_equal(r->res.events[1].id, fa.d1);
	assert_int_equal(r->res.events[1].len, 20);
	assert_memory_equal(r->res.events[1].data, in.b + 14, 20);

	/* 128 digests in one burst: the first 64 are reported, the others counted. */
	ft_pipeline_stats(r->pipe, &s0);
	for (uint32_t i = 0; i < FT_BURST_MAX; i++)
		rig_addf(r, &in, FP_DIGEST);
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	assert_int_equal(r->res.n_events, FT_BURST_EVENTS_MAX);
	for (uint32_t e = 0; e < FT_BURST_EVENTS_MAX; e++) {
		assert_int_equal(r->res.events[e].src, e / 2);
		assert_int_equal(r->res.events[e].id, e % 2 ? fa.d1 : fa.d0);
	}
	assert_int_equal(s1.events_lost - s0.events_lost, 2 * FT_BURST_MAX - FT_BURST_EVENTS_MAX);
	rig_close(r, true);
}

static void
test_multiseg_and_limits(void **state)
{
	static struct frame in;
	struct fate fa;
	struct rig *r = fate_open(&fa, 8);
	struct ft_stats s0, s1;

	(void)state;
	frame_udp4(&in, 1, 2, ip_a, 1, 2, 3);
	rig_addf(r, &in, FP_SEND2);
	rig_addf(r, &in, FP_SEND2);
	rig_addf(r, &in, FP_SEND2);
	r->in[0].nb_segs = 2;
	r->in[2].nb_segs = 0;
	rig_run(r);
	expect_drop(r, 0, FT_DROP_MULTISEG, UINT16_MAX);
	expect_txf(r, 0, 1, 3, &in);
	expect_drop(r, 2, FT_DROP_MULTISEG, UINT16_MAX);
	assert_int_equal(r->res.n_tx, 1);
	rig_clear(r);

	/* More than FT_BURST_MAX packets: refused, nothing counted. */
	for (uint32_t i = 0; i <= FT_BURST_MAX; i++)
		rig_addf(r, &in, FP_SEND2);
	ft_pipeline_stats(r->pipe, &s0);
	assert_int_equal(ft_worker_run(r->w, r->pkts, FT_BURST_MAX + 1, &r->res), -EINVAL);
	ft_pipeline_stats(r->pipe, &s1);
	assert_int_equal(s1.rx, s0.rx);
	assert_int_equal(r->res.n_tx, 0);
	rig_clear(r);
	/* An empty burst. */
	assert_int_equal(ft_worker_run(r->w, r->pkts, 0, &r->res), 0);
	assert_int_equal(r->res.n_tx, 0);
	assert_int_equal(r->res.n_events, 0);
	rig_close(r, true);
}

/* Every reason the parser gives reaches drop[] (and the counters). */
static void
test_parse_drops(void **state)
{
	static struct frame f[24];
	unsigned int reason[24];
	bool covered[FT_DROP_COUNT] = {0};
	struct ft_program *p = ft_program_create("parse");
	struct types t;
	struct rig *r;
	struct ft_stats s0, s1;
	uint32_t n = 0, send;

	(void)state;
	types_add(p, &t);
	{
		static const struct {
			const char *name;
			enum ft_proto proto;
			enum ft_layer layer;
		} h[] = {
		        {"ethernet", FT_PROTO_ETH, FT_L_ETH},
		        {"vlan0", FT_PROTO_VLAN, FT_L_VLAN0},
		        {"vlan1", FT_PROTO_VLAN, FT_L_VLAN1},
		        {"arp", FT_PROTO_ARP, FT_L_ARP},
		        {"ipv4", FT_PROTO_IPV4, FT_L_IPV4},
		        {"ipv6", FT_PROTO_IPV6, FT_L_IPV6},
		        {"udp", FT_PROTO_UDP, FT_L_UDP},
		        {"tcp", FT_PROTO_TCP, FT_L_TCP},
		        {"icmp", FT_PROTO_ICMP, FT_L_ICMP},
		        {"icmp6", FT_PROTO_ICMP6, FT_L_ICMP6},
		        {"vxlan", FT_PROTO_VXLAN, FT_L_VXLAN},
		        {"inner", FT_PROTO_ETH, FT_L_IN_ETH},
		};
		const uint32_t type[] = {t.eth, t.vlan, t.vlan, t.arp,  t.ipv4,  t.ipv6,
		                         t.udp, t.tcp,  t.icmp, t.icmp, t.vxlan, t.eth};
		uint32_t ids[ARRAY_SIZE(h)];

		for (uint32_t i = 0; i < ARRAY_SIZE(h); i++)
			ids[i] = header(p, h[i].name, type[i], h[i].proto, h[i].layer);
		emit(p, ids, ARRAY_SIZE(h));
	}
	send = ACT(p, "send", NOPARAMS, SEND(K(1, 32)));
	node_run(p, FT_CTL_INGRESS, send, FT_NODE_END);
	r = rig_open(p, 4);

#define CASE(r_) (reason[n] = FT_DROP_##r_, &f[n++])
	{
		struct frame *x;
		struct ip4 ip = {.ttl = 1, .src = 1, .dst = 2};
		static struct frame inner;

		fr_payload(CASE(TRUNC_ETH), 13, 0);
		x = CASE(TRUNC_VLAN);
		fr_eth(x, 1, 2, 0x8100);
		fr_payload(x, 3, 0);
		x = CASE(TRUNC_VLAN); /* the second tag */
		fr_eth(x, 1, 2, 0x88a8);
		fr_vlan(x, 1, 0x8100);
		fr_payload(x, 3, 0);
		x = CASE(TRUNC_ARP);
		fr_eth(x, 1, 2, 0x0806);
		fr_payload(x, 7, 0);
		x = CASE(TRUNC_IPV4);
		fr_eth(x, 1, 2, 0x0800);
		fr_payload(x, 19, 0);
		x->b[14] = 0x45;
		x = CASE(TRUNC_IPV6);
		fr_eth(x, 1, 2, 0x86dd);
		fr_payload(x, 39, 0);
		x->b[14] = 0x60;
		x = CASE(TRUNC_UDP);
		fr_eth(x, 1, 2, 0x0800);
		ip.proto = 17;
		fr_ipv4(x, &ip, 7);
		fr_payload(x, 7, 0);
		x = CASE(TRUNC_TCP);
		fr_eth(x, 1, 2, 0x0800);
		ip.proto = 6;
		fr_ipv4(x, &ip, 19);
		fr_payload(x, 19, 0);
		x = CASE(TRUNC_ICMP);
		fr_eth(x, 1, 2, 0x0800);
		ip.proto = 1;
		fr_ipv4(x, &ip, 3);
		fr_payload(x, 3, 0);
		x = CASE(TRUNC_VXLAN);
		fr_eth(x, 1, 2, 0x0800);
		ip.proto = 17;
		fr_ipv4(x, &ip, 15);
		fr_udp(x, 1, 4789, 7);
		fr_payload(x, 7, 0);
		x->b[42] = 0x08;
		x = CASE(IPV4_VERSION);
		frame_udp4(x, 1, 2, ip, 1, 2, 3);
		x->b[14] = 0x55;
		x = CASE(IPV4_IHL);
		frame_udp4(x, 1, 2, ip, 1, 2, 3);
		x->b[14] = 0x44;
		x = CASE(IPV4_TOTLEN);
		frame_udp4(x, 1, 2, ip, 1, 2, 3);
		wr(x->b + 16, 2, 200);
		x = CASE(TRUNC_IPV4); /* options cut short */
		frame_udp4(x, 1, 2, ip, 1, 2, 3);
		x->b[14] = 0x4f;
		x = CASE(IPV6_VERSION);
		fr_eth(x, 1, 2, 0x86dd);
		fr_ipv6(x, 0, 0, 59, 1, v6_s, v6_d, 0);
		x->b[14] = 0x40;
		x = CASE(IPV6_PLEN);
		fr_eth(x, 1, 2, 0x86dd);
		fr_ipv6(x, 0, 0, 59, 1, v6_s, v6_d, 100);
		fr_payload(x, 8, 0);
		x = CASE(IPV6_EXT);
		fr_eth(x, 1, 2, 0x86dd);
		fr_ipv6(x, 0, 0, 0, 1, v6_s, v6_d, 8);
		fr_bytes(x, (const uint8_t[]){59, 1, 0, 0, 0, 0, 0, 0}, 8);
		x = CASE(UDP_LEN);
		frame_udp4(x, 1, 2, ip, 1, 2, 4);
		wr(x->b + 38, 2, 9);
		x = CASE(TCP_DOFF);
		frame_tcp4(x, 1, 2, ip, 1, 2, 0);
		x->b[46] = 0x40;
		x = CASE(VXLAN_FLAGS);
		frame_udp4(&inner, 1, 2, ip, 1, 2, 3);
		frame_vxlan(x, 5, &inner, 1);
		x->b[42] = 0;
		x = CASE(NONE);
		frame_vxlan(x, 5, &inner, 1);
	}
#undef CASE
	ft_pipeline_stats(r->pipe, &s0);
	for (uint32_t i = 0; i < n; i++)
		rig_addf(r, &f[i], 0);
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	for (uint32_t i = 0; i < n; i++) {
		expect_drop(r, i, reason[i], UINT32_MAX);
		if (reason[i] != FT_DROP_NONE)
			assert_int_equal(r->res.drop_action[i], UINT16_MAX);
		covered[reason[i]] = true;
	}
	for (unsigned int k = FT_DROP_TRUNC_ETH; k <= FT_DROP_VXLAN_FLAGS; k++) {
		uint32_t count = 0;

		for (uint32_t i = 0; i < n; i++)
			count += reason[i] == k;
		if (!covered[k])
			fail_msg("no packet for parse drop '%s'", ft_drop_name(k));
		assert_int_equal(s1.drop[k] - s0.drop[k], count);
	}
	expect_txf(r, 0, n - 1, 1, &f[n - 1]);
	rig_close(r, true);
}

static void
test_no_headroom(void **state)
{
	static const struct tunnel tn = {.rmac = 0x0200000000a1,
	                                 .lmac = 0x0200000000b1,
	                                 .rip = 0xc0a80002,
	                                 .lip = 0xc0a80001,
	                                 .vni = 77,
	                                 .port = 3,
	                                 .sport = 4000};
	static struct frame in, out;
	struct dpdk d;
	struct rig *r = rig_open(dpdk_build(&d), 4);
	uint32_t big_len = 65500;
	uint8_t *big = calloc(1, big_len);

	(void)state;
	assert_non_null(big);
	dpdk_entry(r, &d, 0xd1, &tn);
	frame_udp4(&in, 0xd1, 2, ip_a, 1, 2, 3);
	rig_add(r, in.b, in.len, 0, 49);
	rig_add(r, in.b, in.len, 0, 50);
	/* 65500 bytes + 50 do not fit in a 16-bit length. */
	wr(big, 6, 0xd1);
	wr(big + 12, 2, 0x0800);
	big[14] = 0x45;
	wr(big + 16, 2, big_len - 14);
	big[23] = 17;
	rig_add(r, big, big_len, 0, FT_PKT_HEADROOM);
	rig_run(r);
	expect_drop(r, 0, FT_DROP_NO_HEADROOM, UINT32_MAX);
	vxlan_expect(&out, &tn, tn.sport, &in);
	expect_txf(r, 0, 1, 3, &out);
	assert_int_equal(r->in[1].data_off, 0);
	expect_drop(r, 2, FT_DROP_TOO_BIG, UINT32_MAX);
	free(big);
	rig_close(r, true);
}

/* Egress: a control per copy, std.rid and std.out_port, mirrors. */

enum {
	RP_REP1 = 1,    /* group 1: five members, one dropped in egress */
	RP_REP2,        /* group 2: the original's member is dropped in egress */
	RP_REP3,        /* group 3: its only member is dropped in egress */
	RP_SEND,        /* unicast to port 5 */
	RP_SEND_66,     /* unicast to port 66, dropped in egress */
	RP_MIRROR,      /* mirror to session 0 (port 100), send to 7 */
	RP_MIRROR_OFF,  /* session 1 is disabled */
	RP_MIRROR_BAD,  /* session 9 does not exist */
	RP_MIRROR_DROP, /* mirror, then drop */
	RP_MIRROR_REP,  /* mirror, then replicate to group 1 */
	RP_BREAK,       /* makes the IPv4 version 5: egress cannot parse it */
	RP_REP5,        /* group 5: one member at port 67, where egress adds a header */
	RP_SEND_67,     /* unicast to port 67 */
	RP_MIRROR_66,   /* mirror, then unicast to port 66 */
	RP_REP4,        /* group 4: four members */
};

struct rep {
	uint32_t o_eth, probe, eth, ipv4, x;
	uint32_t i_rep, i_send, i_mirror_send, i_mirror_drop, i_mirror_rep, i_break, i_drop;
	uint32_t e_tag, e_drop, e_encap, e_resend, e_encap0;
	uint32_t t_in, t_e;
};

/* Egress writes what it sees into the probe. */
#define TAG_OPS(pr, x)                                                                             \
	VALID(pr), SET(F(pr, P_F16), SD(FT_STD_RID)), SET(F(pr, P_F32), SD(FT_STD_OUT_PORT)),      \
	        SET(F(pr, P_F8), MT(x)), SET(F(pr, P_F24), SD(FT_STD_PKT_LEN)),                    \
	        SET(F(pr, P_G32), SD(FT_STD_IN_PORT))

static struct rig *
rep_open(struct rep *re, uint32_t pool_n)
{
	struct ft_program *p = ft_program_create("rep");
	uint32_t pr, c66, c67;
	struct types t;
	struct rig *r;
	uint8_t d[8];

	assert_non_null(p);
	types_add(p, &t);
	re->o_eth = header(p, "outer_ethernet", t.eth, FT_PROTO_ETH, FT_L_NONE);
	pr = re->probe = header(p, "probe", t.probe, FT_PROTO_NONE, FT_L_NONE);
	re->eth = header(p, "ethernet", t.eth, FT_PROTO_ETH, FT_L_ETH);
	re->ipv4 = header(p, "ipv4", t.ipv4, FT_PROTO_IPV4, FT_L_IPV4);
	re->x = meta(p, "x", 8);
	OK(ft_program_set_limits(p, 16, 4, &err));
	re->i_rep = ACT(p, "i_rep", PARAMS({"group", 16}), SET(MT(re->x), K(0x5a, 8)),
	                SET(F(re->eth, ETH_SRC), K(0x02000000abcdull, 48)),
	                {.kind = FT_OP_REPLICATE, .a = PR(0)});
	re->i_send =
	        ACT(p, "i_send", PARAMS({"port", 32}), SET(MT(re->x), K(0x33, 8)), SEND(PR(0)));
	re->i_mirror_send = ACT(p, "i_mirror_send", PARAMS({"session", 8}, {"port", 32}),
	                        {.kind = FT_OP_MIRROR, .a = PR(0)}, SEND(PR(1)));
	re->i_mirror_drop = ACT(p, "i_mirror_drop", PARAMS({"session", 8}),
	                        {.kind = FT_OP_MIRROR, .a = PR(0)}, DROP());
	re->i_mirror_rep =
	        ACT(p, "i_mirror_rep", PARAMS({"session", 8}, {"group", 16}),
	            SET(F(re->eth, ETH_SRC), K(0x02000000abcdull, 48)),
	            {.kind = FT_OP_MIRROR, .a = PR(0)}, {.kind = FT_OP_REPLICATE, .a = PR(1)});
	re->i_break = ACT(p, "i_break", PARAMS({"port", 32}), SET(F(re->ipv4, IP_VER), K(5, 4)),
	                  SEND(PR(0)));
	re->i_drop = ACT(p, "i_drop", NOPARAMS, DROP());
	re->e_tag = ACT(p, "e_tag", NOPARAMS, TAG_OPS(pr, re->x));
	re->e_drop = ACT(p, "e_drop", NOPARAMS, DROP());
	re->e_encap = ACT(p, "e_encap", PARAMS({"mac", 48}), TAG_OPS(pr, re->x), VALID(re->o_eth),
	                  SET(F(re->o_eth, ETH_DST), PR(0)),
	                  SET(F(re->o_eth, ETH_SRC), K(0x02000000eeeeull, 48)),
	                  SET(F(re->o_eth, ETH_TYPE), K(0x88b5, 16)));
	re->e_resend = ACT(p, "e_resend", PARAMS({"port", 32}), TAG_OPS(pr, re->x), SEND(PR(0)));
	re->e_encap0 = ACT(p, "e_encap0", NOPARAMS, VALID(re->o_eth),
	                   SET(F(re->o_eth, ETH_DST), K(0x02000000ddddull, 48)),
	                   SET(F(re->o_eth, ETH_SRC), K(0x02000000eeeeull, 48)),
	                   SET(F(re->o_eth, ETH_TYPE), K(0x88b5, 16)));
	re->t_in = key1_table(p, "in", SD(FT_STD_IN_PORT), FT_MATCH_EXACT,
	                      U32S(re->i_rep, re->i_send, re->i_mirror_send, re->i_mirror_drop,
	                           re->i_mirror_rep, re->i_break, re->i_drop),
	                      re->i_drop);
	re->t_e = key1_table(p, "per_rid", SD(FT_STD_RID), FT_MATCH_EXACT,
	                     U32S(re->e_tag, re->e_drop, re->e_encap, re->e_resend), re->e_tag);
	node_apply1(p, FT_CTL_INGRESS, re->t_in, FT_NODE_END);
	c66 = cond_cmp(p, FT_CMP_EQ, SD(FT_STD_OUT_PORT), K(66, 32));
	c67 = cond_cmp(p, FT_CMP_EQ, SD(FT_STD_OUT_PORT), K(67, 32));
	node_if(p, FT_CTL_EGRESS, c66, 1, 2);
	node_run(p, FT_CTL_EGRESS, re->e_drop, FT_NODE_END);
	node_if(p, FT_CTL_EGRESS, c67, 3, 4);
	node_run(p, FT_CTL_EGRESS, re->e_encap0, FT_NODE_END);
	node_apply1(p, FT_CTL_EGRESS, re->t_e, FT_NODE_END);
	emit(p, U32S(re->o_eth, pr, re->eth, re->ipv4));
	r = rig_open(p, pool_n);

	const struct {
		uint32_t port, action, a, b;
	} in[] = {
	        {RP_REP1, re->i_rep, 1, 0},
	        {RP_REP2, re->i_rep, 2, 0},
	        {RP_REP3, re->i_rep, 3, 0},
	        {RP_SEND, re->i_send, 5, 0},
	        {RP_SEND_66, re->i_send, 66, 0},
	        {RP_MIRROR, re->i_mirror_send, 0, 7},
	        {RP_MIRROR_OFF, re->i_mirror_send, 1, 7},
	        {RP_MIRROR_BAD, re->i_mirror_send, 9, 7},
	        {RP_MIRROR_DROP, re->i_mirror_drop, 0, 0},
	        {RP_MIRROR_REP, re->i_mirror_rep, 0, 1},
	        {RP_BREAK, re->i_break, 8, 0},
	        {RP_REP5, re->i_rep, 5, 0},
	        {RP_SEND_67, re->i_send, 67, 0},
	        {RP_MIRROR_66, re->i_mirror_send, 0, 66},
	        {RP_REP4, re->i_rep, 4, 0},
	};
	for (uint32_t i = 0; i < ARRAY_SIZE(in); i++) {
		if (in[i].action == re->i_rep) {
			wr(d, 2, in[i].a);
		} else if (in[i].action == re->i_mirror_send) {
			d[0] = (uint8_t)in[i].a;
			wr(d + 1, 4, in[i].b);
		} else if (in[i].action == re->i_mirror_rep) {
			d[0] = (uint8_t)in[i].a;
			wr(d + 1, 2, in[i].b);
		} else if (in[i].action == re->i_mirror_drop) {
			d[0] = (uint8_t)in[i].a;
		} else {
			wr(d, 4, in[i].a);
		}
		entry32(r->pipe, re->t_in, in[i].port, in[i].action, d);
	}
	wr(d, 2, 2);
	entry_add(r->pipe, re->t_e, d, NULL, 0, re->e_drop, NULL);
	wr(d, 2, 3);
	wr(d + 2, 6, 0x02000000ccccull);
	entry_add(r->pipe, re->t_e, d, NULL, 0, re->e_encap, d + 2);
	wr(d, 2, 4);
	wr(d + 2, 4, 77);
	entry_add(r->pipe, re->t_e, d, NULL, 0, re->e_resend, d + 2);
	group_set(r->pipe, 1,
	          (const struct ft_group_member[]){{10, 1}, {11, 2}, {12, 3}, {13, 4}, {14, 0}}, 5);
	group_set(r->pipe, 2, (const struct ft_group_member[]){{20, 1}, {21, 2}}, 2);
	group_set(r->pipe, 3, (const struct ft_group_member[]){{30, 2}}, 1);
	group_set(r->pipe, 4, (const struct ft_group_member[]){{40, 1}, {41, 1}, {42, 1}, {43, 0}},
	          4);
	group_set(r->pipe, 5, (const struct ft_group_member[]){{67, 0}}, 1);
	mirror_set(r->pipe, 0, 100);
	mirror_set(r->pipe, 1, UINT32_MAX);
	return r;
}

/* The frame after egress tagged it: [outer Ethernet] probe frame. */
static void
tagged(struct frame *out, const struct frame *in, uint64_t rid, uint64_t port, uint64_t x,
       uint32_t in_port, uint64_t outer_mac)
{
	struct probe pv = {.f16 = rid, .f32 = port, .f8 = x, .f24 = in->len, .g32 = in_port};

	out->len = 0;
	if (outer_mac)
		fr_eth(out, outer_mac, 0x02000000eeeeull, 0x88b5);
	fr_probe(out, &pv);
	fr_bytes(out, in->b, in->len);
}

static void
test_replicate_egress(void **state)
{
	static struct frame in, in2, out;
	struct rep re;
	struct rig *r = rep_open(&re, 16);
	struct ft_stats s0, s1;
	uint64_t dropped = ft_pipeline_action_drops(r->pipe, re.e_drop);

	(void)state;
	frame_udp4(&in, 0x0200000000aa, 0x0200000000bb, ip_a, 1, 2, 20);
	in2 = in;
	wr(in2.b + 6, 6, 0x02000000abcdull); /* what ingress did before replicating */
	ft_pipeline_stats(r->pipe, &s0);
	rig_addf(r, &in, RP_REP1);
	rig_addf(r, &in, RP_SEND);
	rig_addf(r, &in, RP_REP2);
	rig_addf(r, &in, RP_REP3);
	rig_addf(r, &in, RP_SEND_66);
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	/*
	 * Group 1: rid 1 tagged; rid 2 dropped; rid 3 encapsulated; rid 4 sent
	 * elsewhere by egress; rid 0, the last member, gets the original.
	 */
	tagged(&out, &in2, 1, 10, 0x5a, RP_REP1, 0);
	expect_txf(r, 0, 0, 10, &out);
	tagged(&out, &in2, 3, 12, 0x5a, RP_REP1, 0x02000000ccccull);
	expect_txf(r, 1, 0, 12, &out);
	tagged(&out, &in2, 4, 13, 0x5a, RP_REP1, 0);
	expect_txf(r, 2, 0, 77, &out);
	tagged(&out, &in2, 0, 14, 0x5a, RP_REP1, 0);
	expect_txf(r, 3, 0, 14, &out);
	assert_ptr_equal(r->res.tx[3].pkt, &r->in[0]);
	/* Unicast: egress runs with rid 0 and the chosen port. */
	tagged(&out, &in, 0, 5, 0x33, RP_SEND, 0);
	expect_txf(r, 4, 1, 5, &out);
	/* Group 2: the copy goes, the original (last member) is dropped. */
	tagged(&out, &in2, 1, 20, 0x5a, RP_REP2, 0);
	expect_txf(r, 5, 2, 20, &out);
	assert_false(r->res.used[2]);
	/* Every member dropped in egress: dropped by the egress action. */
	expect_drop(r, 3, FT_DROP_ACTION, re.e_drop);
	expect_drop(r, 4, FT_DROP_ACTION, re.e_drop);
	assert_int_equal(r->res.n_tx, 6);
	assert_int_equal(s1.copies - s0.copies, 5);
	assert_int_equal(s1.drop[FT_DROP_ACTION] - s0.drop[FT_DROP_ACTION], 4);
	assert_int_equal(ft_pipeline_action_drops(r->pipe, re.e_drop) - dropped, 4);
	rig_close(r, true);
}

static void
test_egress_drop_reasons(void **state)
{
	static struct frame in, out;
	struct rep re;
	struct rig *r = rep_open(&re, 16);
	struct ft_stats s0, s1;

	(void)state;
	frame_udp4(&in, 0x0200000000aa, 0x0200000000bb, ip_a, 1, 2, 20);
	ft_pipeline_stats(r->pipe, &s0);
	rig_addf(r, &in, RP_BREAK);               /* egress cannot parse what ingress made */
	rig_add(r, in.b, in.len, RP_REP5, 8);     /* egress adds 14 bytes: no room */
	rig_add(r, in.b, in.len, RP_SEND_67, 8);  /* the same, unicast */
	rig_add(r, in.b, in.len, RP_SEND_67, 14); /* exactly enough room */
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	expect_drop(r, 0, FT_DROP_IPV4_VERSION, UINT32_MAX);
	expect_drop(r, 1, FT_DROP_NO_HEADROOM, UINT32_MAX);
	expect_drop(r, 2, FT_DROP_NO_HEADROOM, UINT32_MAX);
	out.len = 0;
	fr_eth(&out, 0x02000000ddddull, 0x02000000eeeeull, 0x88b5);
	fr_bytes(&out, in.b, in.len);
	expect_txf(r, 0, 3, 67, &out);
	assert_int_equal(r->in[3].data_off, 0);
	assert_int_equal(s1.drop[FT_DROP_IPV4_VERSION] - s0.drop[FT_DROP_IPV4_VERSION], 1);
	assert_int_equal(s1.drop[FT_DROP_NO_HEADROOM] - s0.drop[FT_DROP_NO_HEADROOM], 2);
	rig_close(r, true);
}

static void
test_mirror(void **state)
{
	static struct frame in, in2, out;
	struct rep re;
	struct rig *r = rep_open(&re, 16), *none;
	struct ft_stats s0, s1;
	uint32_t t = 0;

	(void)state;
	frame_udp4(&in, 0x0200000000aa, 0x0200000000bb, ip_a, 1, 2, 20);
	in2 = in;
	wr(in2.b + 6, 6, 0x02000000abcdull);
	ft_pipeline_stats(r->pipe, &s0);
	rig_addf(r, &in, RP_MIRROR);
	rig_addf(r, &in, RP_MIRROR_OFF);
	rig_addf(r, &in, RP_MIRROR_BAD);
	rig_addf(r, &in, RP_MIRROR_DROP);
	rig_addf(r, &in, RP_MIRROR_REP);
	rig_addf(r, &in, RP_MIRROR_66);
	rig_run(r);
	ft_pipeline_stats(r->pipe, &s1);
	/* The mirror copy is the packet as ingress left it; it skips egress. */
	expect_txf(r, t++, 0, 100, &in);
	tagged(&out, &in, 0, 7, 0, RP_MIRROR, 0);
	expect_txf(r, t++, 0, 7, &out);
	/* A disabled session and one out of range copy nothing. */
	tagged(&out, &in, 0, 7, 0, RP_MIRROR_OFF, 0);
	expect_txf(r, t++, 1, 7, &out);
	tagged(&out, &in, 0, 7, 0, RP_MIRROR_BAD, 0);
	expect_txf(r, t++, 2, 7, &out);
	/* A packet dropped in ingress never leaves, so it is not mirrored. */
	expect_drop(r, 3, FT_DROP_ACTION, re.i_mirror_drop);
	/* Mirrored once, then replicated. */
	expect_txf(r, t++, 4, 100, &in2);
	tagged(&out, &in2, 1, 10, 0, RP_MIRROR_REP, 0);
	expect_txf(r, t++, 4, 10, &out);
	tagged(&out, &in2, 3, 12, 0, RP_MIRROR_REP, 0x02000000ccccull);
	expect_txf(r, t++, 4, 12, &out);
	tagged(&out, &in2, 4, 13, 0, RP_MIRROR_REP, 0);
	expect_txf(r, t++, 4, 77, &out);
	tagged(&out, &in2, 0, 14, 0, RP_MIRROR_REP, 0);
	expect_txf(r, t++, 4, 14, &out);
	/* Mirrored, then dropped in egress: the mirror copy was sent. */
	expect_txf(r, t++, 5, 100, &in);
	assert_false(r->res.used[5]);
	assert_int_equal(r->res.n_tx, t);
	assert_int_equal(s1.copies - s0.copies, 3 + 4);

	/* Without a pool the mirror copy is lost; the packet still goes. */
	none = rig_share(r, 0);
	rig_addf(none, &in, RP_MIRROR);
	rig_run(none);
	tagged(&out, &in, 0, 7, 0, RP_MIRROR, 0);
	expect_txf(none, 0, 0, 7, &out);
	assert_int_equal(none->res.n_tx, 1);
	ft_pipeline_stats(r->pipe, &s0);
	assert_int_equal(s0.drop[FT_DROP_NO_BUFFER] - s1.drop[FT_DROP_NO_BUFFER], 1);
	rig_close(none, false);
	rig_close(r, true);
}

static void
test_egress_pool(void **state)
{
	static struct frame in, in2, out;
	struct rep re;
	struct rig *r = rep_open(&re, 1);
	uint64_t before = stat_drop(r, FT_DROP_NO_BUFFER);

	(void)state;
	frame_udp4(&in, 0x0200000000aa, 0x0200000000bb, ip_a, 1, 2, 20);
	in2 = in;
	wr(in2.b + 6, 6, 0x02000000abcdull);
	/* Four members, one spare buffer: one copy, two lost, and the original. */
	rig_addf(r, &in, RP_REP4);
	rig_run(r);
	assert_int_equal(r->res.n_tx, 2);
	tagged(&out, &in2, 1, 40, 0x5a, RP_REP4, 0);
	expect_txf(r, 0, 0, 40, &out);
	tagged(&out, &in2, 0, 43, 0x5a, RP_REP4, 0);
	expect_txf(r, 1, 0, 43, &out);
	assert_int_equal(stat_drop(r, FT_DROP_NO_BUFFER) - before, 2);
	/* A copy dropped in egress gives its buffer back for the next one. */
	rig_addf(r, &in, RP_REP2);
	rig_run(r);
	assert_int_equal(r->res.n_tx, 1);
	rig_close(r, true);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_encap_dpdk),
	        cmocka_unit_test(test_encap_vtep),
	        cmocka_unit_test(test_decap),
	        cmocka_unit_test(test_set_widths),
	        cmocka_unit_test(test_subbyte_fields),
	        cmocka_unit_test(test_ipv6_wide),
	        cmocka_unit_test(test_arith),
	        cmocka_unit_test(test_set_valid_zeroes),
	        cmocka_unit_test(test_vlan_pop_push),
	        cmocka_unit_test(test_header_copy),
	        cmocka_unit_test(test_invalid_header_access),
	        cmocka_unit_test(test_meta_per_packet),
	        cmocka_unit_test(test_odd_params),
	        cmocka_unit_test(test_csum),
	        cmocka_unit_test(test_csum_long_list),
	        cmocka_unit_test(test_data_list_too_long),
	        cmocka_unit_test(test_hash),
	        cmocka_unit_test(test_toeplitz),
	        cmocka_unit_test(test_apply_next),
	        cmocka_unit_test(test_keys),
	        cmocka_unit_test(test_conditions),
	        cmocka_unit_test(test_differential),
	        cmocka_unit_test(test_send_drop_fates),
	        cmocka_unit_test(test_replicate_groups),
	        cmocka_unit_test(test_too_many_copies),
	        cmocka_unit_test(test_digests),
	        cmocka_unit_test(test_multiseg_and_limits),
	        cmocka_unit_test(test_parse_drops),
	        cmocka_unit_test(test_no_headroom),
	        cmocka_unit_test(test_replicate_egress),
	        cmocka_unit_test(test_egress_drop_reasons),
	        cmocka_unit_test(test_mirror),
	        cmocka_unit_test(test_egress_pool),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
