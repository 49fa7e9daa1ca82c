/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the pipeline IR and its builder (model/program.c,
 * include/flowtwin/program.h). A VTEP-like program (parsed outer and inner
 * headers, encap headers only actions make valid, metadata, actions using
 * every kind of operation, exact/ternary/lpm/add_on_miss tables, conditions
 * and both controls) is built and read back through every accessor. Then
 * each validation rule gets a test that breaks it and asserts the return
 * code, the error's kind, index, object and message, and that the program is
 * unchanged (same counts, still valid). Arrays handed to the builder are
 * scribbled over afterwards to show that they were copied, and every
 * allocation of the whole build is made to fail in turn to walk every
 * out-of-memory exit (AddressSanitizer reports any leak).
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

#include <cmocka.h>

#include <flowtwin/program.h>

#include "program_private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define END           FT_NODE_END
#define DFLT          FT_NEXT_DEFAULT

/* Ids of the VTEP program, in the order they are added. */
enum { T_ETH, T_IPV4, T_UDP, T_VXLAN, T_IPV6, T_COUNT };
enum { F_ETH_DST, F_ETH_SRC, F_ETH_TYPE };
enum {
	F_IP_VERSION,
	F_IP_IHL,
	F_IP_DIFFSERV,
	F_IP_TOTAL_LEN,
	F_IP_ID,
	F_IP_FLAGS,
	F_IP_FRAG,
	F_IP_TTL,
	F_IP_PROTO,
	F_IP_CSUM,
	F_IP_SRC,
	F_IP_DST,
};
enum { F_UDP_SPORT, F_UDP_DPORT, F_UDP_LEN, F_UDP_CSUM };
enum { F_VX_FLAGS, F_VX_RSVD, F_VX_VNI, F_VX_RSVD2 };
enum { F_V6_VERSION, F_V6_TC, F_V6_FLOW, F_V6_PLEN, F_V6_NH, F_V6_HOP, F_V6_SRC, F_V6_DST };
enum {
	H_ETH,
	H_IPV4,
	H_IPV6,
	H_UDP,
	H_VXLAN,
	H_IN_ETH,
	H_O_ETH,
	H_O_IPV4,
	H_O_UDP,
	H_O_VXLAN,
	H_COUNT
};
enum { M_VNI, M_PORT, M_FLOOD, M_HASH, M_BD, M_COUNT };
enum { C_LEARNED, C_COUNT };
enum { D_L2MISS, D_COUNT };
enum {
	A_NOOP,
	A_DROP,
	A_SET_VNI,
	A_FORWARD,
	A_DECAP,
	A_ENCAP,
	A_FLOOD,
	A_L2MISS,
	A_LEARN,
	A_MANGLE,
	A_COUNT
};
enum { TB_VNI, TB_SMAC, TB_FDB, TB_ACL, TB_ROUTE, TB_COUNT };
enum { CD_VXLAN, CD_TTL0, CD_NOT_TTL0, CD_AND, CD_OR, CD_V6, CD_PORT, CD_COUNT };
enum { N_IN = 7, N_EG = 2 };

/* --- What goes into the VTEP program (filled by init_vtep_data()) ---------- */

static const struct ft_field_decl eth_fields[] = {
	{"dst_addr", 48},
	{"src_addr", 48},
	{"ether_type", 16},
};
static const struct ft_field_decl ipv4_fields[] = {
	{"version", 4},         {"ihl", 4},           {"diffserv", 8},     {"total_len", 16},
	{"identification", 16}, {"flags", 3},         {"frag_offset", 13}, {"ttl", 8},
	{"protocol", 8},        {"hdr_checksum", 16}, {"src_addr", 32},    {"dst_addr", 32},
};
static const uint32_t ipv4_offsets[] = {0, 4, 8, 16, 32, 48, 51, 64, 72, 80, 96, 128};
static const struct ft_field_decl udp_fields[] = {
	{"src_port", 16},
	{"dst_port", 16},
	{"length", 16},
	{"checksum", 16},
};
static const struct ft_field_decl vxlan_fields[] = {
	{"flags", 8},
	{"reserved", 24},
	{"vni", 24},
	{"reserved2", 8},
};
static const struct ft_field_decl ipv6_fields[] = {
	{"version", 4},  {"traffic_class", 8}, {"flow_label", 20}, {"payload_len", 16},
	{"next_hdr", 8}, {"hop_limit", 8},     {"src_addr", 128},  {"dst_addr", 128},
};

struct type_in {
	const char *name;
	const struct ft_field_decl *fields;
	uint32_t n_fields;
	uint32_t bytes;
};
static const struct type_in types_in[T_COUNT] = {
	[T_ETH] = {"ethernet_t", eth_fields, ARRAY_SIZE(eth_fields), 14},
	[T_IPV4] = {"ipv4_t", ipv4_fields, ARRAY_SIZE(ipv4_fields), 20},
	[T_UDP] = {"udp_t", udp_fields, ARRAY_SIZE(udp_fields), 8},
	[T_VXLAN] = {"vxlan_t", vxlan_fields, ARRAY_SIZE(vxlan_fields), 8},
	[T_IPV6] = {"ipv6_t", ipv6_fields, ARRAY_SIZE(ipv6_fields), 40},
};

struct header_in {
	const char *name;
	uint32_t type;
	enum ft_proto proto;
	enum ft_layer layer;
};
static const struct header_in headers_in[H_COUNT] = {
	[H_ETH] = {"ethernet", T_ETH, FT_PROTO_ETH, FT_L_ETH},
	[H_IPV4] = {"ipv4", T_IPV4, FT_PROTO_IPV4, FT_L_IPV4},
	[H_IPV6] = {"ipv6", T_IPV6, FT_PROTO_IPV6, FT_L_IPV6},
	[H_UDP] = {"udp", T_UDP, FT_PROTO_UDP, FT_L_UDP},
	[H_VXLAN] = {"vxlan", T_VXLAN, FT_PROTO_VXLAN, FT_L_VXLAN},
	[H_IN_ETH] = {"inner_ethernet", T_ETH, FT_PROTO_ETH, FT_L_IN_ETH},
	[H_O_ETH] = {"outer_ethernet", T_ETH, FT_PROTO_ETH, FT_L_NONE},
	[H_O_IPV4] = {"outer_ipv4", T_IPV4, FT_PROTO_IPV4, FT_L_NONE},
	[H_O_UDP] = {"outer_udp", T_UDP, FT_PROTO_UDP, FT_L_NONE},
	[H_O_VXLAN] = {"outer_vxlan", T_VXLAN, FT_PROTO_VXLAN, FT_L_NONE},
};

static const struct ft_metadata_info meta_in[M_COUNT] = {
	[M_VNI] = {"vni", 24},   [M_PORT] = {"port", 32},      [M_FLOOD] = {"flood", 1},
	[M_HASH] = {"hash", 16}, [M_BD] = {"local_md.bd", 12},
};

struct action_in {
	const char *name;
	const struct ft_param_decl *params;
	uint32_t n_params;
	struct ft_op ops[20];
	uint32_t n_ops;
	uint32_t data_size;
};

static const struct ft_param_decl set_vni_params[] = {{"vni", 24}};
static const struct ft_param_decl forward_params[] = {{"port", 32}};
static const struct ft_param_decl encap_params[] = {
	{"remote_ip", 32},
	{"port", 32},
	{"smac", 48},
};
static const struct ft_param_decl mangle_params[] = {{"mask", 16}};

static struct action_in actions_in[A_COUNT];
static struct ft_ref hash_list[3], csum_list[1], toeplitz_list[5], l2miss_list[2], learn_list[1],
	learn_digest_list[2];

static const struct ft_key_decl vni_keys[] = {
	{{FT_REF_FIELD, H_VXLAN, F_VX_VNI, 0, {0}}, FT_MATCH_EXACT}};
static const struct ft_key_decl smac_keys[] = {
	{{FT_REF_META, M_VNI, 0, 0, {0}}, FT_MATCH_EXACT},
	{{FT_REF_FIELD, H_IN_ETH, F_ETH_SRC, 0, {0}}, FT_MATCH_EXACT},
};
static const struct ft_key_decl fdb_keys[] = {
	{{FT_REF_META, M_VNI, 0, 0, {0}}, FT_MATCH_EXACT},
	{{FT_REF_FIELD, H_IN_ETH, F_ETH_DST, 0, {0}}, FT_MATCH_EXACT},
};
static const struct ft_key_decl acl_keys[] = {
	{{FT_REF_FIELD, H_IPV4, F_IP_SRC, 0, {0}}, FT_MATCH_TERNARY},
	{{FT_REF_FIELD, H_IPV4, F_IP_PROTO, 0, {0}}, FT_MATCH_TERNARY},
	{{FT_REF_STD, FT_STD_IN_PORT, 0, 0, {0}}, FT_MATCH_EXACT},
};
static const struct ft_key_decl route_keys[] = {
	{{FT_REF_META, M_VNI, 0, 0, {0}}, FT_MATCH_EXACT},
	{{FT_REF_FIELD, H_IPV4, F_IP_DST, 0, {0}}, FT_MATCH_LPM},
};
static const struct ft_table_action vni_actions[] = {
	{A_SET_VNI, FT_SCOPE_ANY},
	{A_DROP, FT_SCOPE_DEFAULT_ONLY},
};
static const struct ft_table_action smac_actions[] = {
	{A_FORWARD, FT_SCOPE_TABLE_ONLY},
	{A_LEARN, FT_SCOPE_DEFAULT_ONLY},
};
static const struct ft_table_action fdb_actions[] = {
	{A_ENCAP, FT_SCOPE_ANY},
	{A_FORWARD, FT_SCOPE_ANY},
	{A_FLOOD, FT_SCOPE_DEFAULT_ONLY},
	{A_L2MISS, FT_SCOPE_ANY},
};
static const struct ft_table_action acl_actions[] = {
	{A_NOOP, FT_SCOPE_ANY},
	{A_DROP, FT_SCOPE_ANY},
};
static const struct ft_table_action route_actions[] = {
	{A_FORWARD, FT_SCOPE_ANY},
	{A_DROP, FT_SCOPE_ANY},
};
static const uint8_t route_default_data[] = {0, 0, 0, 7};

static const struct ft_table_decl tables_in[TB_COUNT] = {
	[TB_VNI] = {.name = "vni_map",
		    .keys = vni_keys,
		    .n_keys = ARRAY_SIZE(vni_keys),
		    .actions = vni_actions,
		    .n_actions = ARRAY_SIZE(vni_actions),
		    .default_action = A_DROP,
		    .default_const = true,
		    .size = 4096},
	[TB_SMAC] = {.name = "smac",
		     .keys = smac_keys,
		     .n_keys = ARRAY_SIZE(smac_keys),
		     .actions = smac_actions,
		     .n_actions = ARRAY_SIZE(smac_actions),
		     .default_action = A_LEARN,
		     .size = 65536,
		     .idle_timeout_ms = 300000,
		     .add_on_miss = true},
	[TB_FDB] = {.name = "fdb",
		    .keys = fdb_keys,
		    .n_keys = ARRAY_SIZE(fdb_keys),
		    .actions = fdb_actions,
		    .n_actions = ARRAY_SIZE(fdb_actions),
		    .default_action = A_FLOOD,
		    .size = 65536},
	[TB_ACL] = {.name = "acl",
		    .keys = acl_keys,
		    .n_keys = ARRAY_SIZE(acl_keys),
		    .actions = acl_actions,
		    .n_actions = ARRAY_SIZE(acl_actions),
		    .default_action = A_NOOP,
		    .size = 1024},
	[TB_ROUTE] = {.name = "route",
		      .keys = route_keys,
		      .n_keys = ARRAY_SIZE(route_keys),
		      .actions = route_actions,
		      .n_actions = ARRAY_SIZE(route_actions),
		      .default_action = A_FORWARD,
		      .default_data = route_default_data,
		      .size = FT_TABLE_SIZE_MAX},
};
static const uint32_t key_sizes[TB_COUNT] = {3, 9, 9, 9, 7};

static struct ft_cond conds_in[CD_COUNT];

static const struct ft_action_next vni_next[] = {{A_SET_VNI, 2}};
static const struct ft_action_next fdb_next[] = {{A_ENCAP, END}, {A_FLOOD, END}};
static const struct ft_node ingress_in[N_IN] = {
	{.kind = FT_NODE_IF, .cond = CD_AND, .next = 1, .next_false = 3},
	{.kind = FT_NODE_APPLY,
	 .table = TB_VNI,
	 .next = END,
	 .next_hit = DFLT,
	 .next_miss = END,
	 .on_action = vni_next,
	 .n_on_action = ARRAY_SIZE(vni_next)},
	{.kind = FT_NODE_RUN, .action = A_DECAP, .next = 3},
	{.kind = FT_NODE_APPLY, .table = TB_SMAC, .next = 4, .next_hit = DFLT, .next_miss = DFLT},
	{.kind = FT_NODE_APPLY, .table = TB_ACL, .next = 5, .next_hit = 5, .next_miss = 5},
	{.kind = FT_NODE_APPLY,
	 .table = TB_FDB,
	 .next = 6,
	 .next_hit = DFLT,
	 .next_miss = END,
	 .on_action = fdb_next,
	 .n_on_action = ARRAY_SIZE(fdb_next)},
	{.kind = FT_NODE_APPLY,
	 .table = TB_ROUTE,
	 .next = END,
	 .next_hit = DFLT,
	 .next_miss = DFLT},
};
static const struct ft_node egress_in[N_EG] = {
	{.kind = FT_NODE_IF, .cond = CD_PORT, .next = 1, .next_false = END},
	{.kind = FT_NODE_RUN, .action = A_DROP, .next = END},
};
static const uint32_t emit_in[] = {H_O_ETH, H_O_IPV4, H_O_UDP, H_O_VXLAN, H_ETH,
				   H_IPV4,  H_IPV6,   H_UDP,   H_VXLAN,   H_IN_ETH};
static const uint16_t ports_in[] = {4789, 8472};
static const uint8_t v6_addr[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static struct ft_op
op(enum ft_op_kind kind, struct ft_ref dst, struct ft_ref a, struct ft_ref b)
{
	struct ft_op o = {.kind = kind, .dst = dst, .a = a, .b = b};

	return o;
}

static struct ft_op
op_list(enum ft_op_kind kind, uint32_t id, struct ft_ref dst, const struct ft_ref *list, uint32_t n)
{
	struct ft_op o = {.kind = kind, .id = id, .dst = dst, .list = list, .n_list = n};

	return o;
}

static const struct ft_ref none;

static struct ft_ref
fld(uint32_t h, uint32_t f)
{
	return ft_ref_field(h, f);
}

static struct ft_ref
k(uint64_t v, uint32_t w)
{
	return ft_ref_const(v, w);
}

static void
set_action(uint32_t id, const char *name, const struct ft_param_decl *params, uint32_t n_params,
	   uint32_t data_size)
{
	actions_in[id].name = name;
	actions_in[id].params = params;
	actions_in[id].n_params = n_params;
	actions_in[id].data_size = data_size;
}

static void
push(uint32_t action, struct ft_op o)
{
	struct action_in *a = &actions_in[action];

	assert_true(a->n_ops < ARRAY_SIZE(a->ops));
	a->ops[a->n_ops++] = o;
}

static void
init_vtep_data(void)
{
	struct ft_op h;

	memset(actions_in, 0, sizeof(actions_in));
	set_action(A_NOOP, "NoAction", NULL, 0, 0);
	set_action(A_DROP, "drop", NULL, 0, 0);
	push(A_DROP, op(FT_OP_DROP, none, none, none));
	set_action(A_SET_VNI, "set_vni", set_vni_params, 1, 3);
	push(A_SET_VNI, op(FT_OP_SET, ft_ref_meta(M_VNI), ft_ref_param(0), none));
	push(A_SET_VNI, op(FT_OP_SET, ft_ref_meta(M_BD), k(1, 12), none));
	set_action(A_FORWARD, "forward", forward_params, 1, 4);
	push(A_FORWARD, op(FT_OP_SEND, none, ft_ref_param(0), none));

	set_action(A_DECAP, "decap", NULL, 0, 0);
	push(A_DECAP, op(FT_OP_SET, ft_ref_header(H_ETH), ft_ref_header(H_IN_ETH), none));
	push(A_DECAP, op(FT_OP_SET_INVALID, ft_ref_header(H_IPV4), none, none));
	push(A_DECAP, op(FT_OP_SET_INVALID, ft_ref_header(H_UDP), none, none));
	push(A_DECAP, op(FT_OP_SET_INVALID, ft_ref_header(H_VXLAN), none, none));
	push(A_DECAP, op(FT_OP_SET_INVALID, ft_ref_header(H_IN_ETH), none, none));

	set_action(A_ENCAP, "encap", encap_params, 3, 14);
	push(A_ENCAP, op(FT_OP_SET_VALID, ft_ref_header(H_O_ETH), none, none));
	push(A_ENCAP, op(FT_OP_SET_VALID, ft_ref_header(H_O_IPV4), none, none));
	push(A_ENCAP, op(FT_OP_SET_VALID, ft_ref_header(H_O_UDP), none, none));
	push(A_ENCAP, op(FT_OP_SET_VALID, ft_ref_header(H_O_VXLAN), none, none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_ETH, F_ETH_SRC), ft_ref_param(2), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_ETH, F_ETH_TYPE), k(0x0800, 16), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_IPV4, F_IP_DST), ft_ref_param(0), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_IPV4, F_IP_SRC), fld(H_IPV4, F_IP_DST), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_IPV4, F_IP_TTL), k(64, 8), none));
	push(A_ENCAP,
	     op(FT_OP_ADD, fld(H_O_IPV4, F_IP_TOTAL_LEN), ft_ref_std(FT_STD_PKT_LEN), k(36, 16)));
	push(A_ENCAP,
	     op(FT_OP_SUB, fld(H_O_UDP, F_UDP_LEN), fld(H_O_IPV4, F_IP_TOTAL_LEN), k(20, 16)));
	hash_list[0] = fld(H_IN_ETH, F_ETH_DST);
	hash_list[1] = fld(H_IN_ETH, F_ETH_SRC);
	hash_list[2] = fld(H_IN_ETH, F_ETH_TYPE);
	h = op_list(FT_OP_HASH, FT_HASH_CRC32, fld(H_O_UDP, F_UDP_SPORT), hash_list, 3);
	h.a = k(49152, 16);
	h.b = k(16384, 16);
	push(A_ENCAP, h);
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_UDP, F_UDP_DPORT), k(4789, 16), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_VXLAN, F_VX_VNI), ft_ref_meta(M_VNI), none));
	push(A_ENCAP, op(FT_OP_SET, fld(H_O_VXLAN, F_VX_FLAGS), k(8, 8), none));
	csum_list[0] = ft_ref_header(H_O_IPV4);
	push(A_ENCAP, op_list(FT_OP_CSUM, 0, fld(H_O_IPV4, F_IP_CSUM), csum_list, 1));
	push(A_ENCAP, op(FT_OP_SEND, none, ft_ref_param(1), none));

	set_action(A_FLOOD, "flood", NULL, 0, 0);
	push(A_FLOOD, op(FT_OP_REPLICATE, none, ft_ref_meta(M_VNI), none));
	push(A_FLOOD, op(FT_OP_MIRROR, none, k(3, 8), none));

	set_action(A_L2MISS, "l2miss", NULL, 0, 0);
	l2miss_list[0] = fld(H_IN_ETH, F_ETH_DST);
	l2miss_list[1] = ft_ref_meta(M_VNI);
	push(A_L2MISS, op_list(FT_OP_DIGEST, D_L2MISS, none, l2miss_list, 2));
	push(A_L2MISS, op(FT_OP_DROP, none, none, none));

	set_action(A_LEARN, "learn_mac", NULL, 0, 0);
	learn_list[0] = ft_ref_std(FT_STD_IN_PORT);
	push(A_LEARN, op_list(FT_OP_LEARN, A_FORWARD, none, learn_list, 1));
	h = op(FT_OP_COUNT, none, k(0, 32), none);
	h.id = C_LEARNED;
	push(A_LEARN, h);
	learn_digest_list[0] = fld(H_IN_ETH, F_ETH_SRC);
	learn_digest_list[1] = ft_ref_meta(M_VNI);
	push(A_LEARN, op_list(FT_OP_DIGEST, D_L2MISS, none, learn_digest_list, 2));

	set_action(A_MANGLE, "mangle", mangle_params, 1, 2);
	push(A_MANGLE, op(FT_OP_AND, ft_ref_meta(M_HASH), ft_ref_meta(M_HASH), ft_ref_param(0)));
	push(A_MANGLE, op(FT_OP_OR, ft_ref_meta(M_HASH), ft_ref_meta(M_HASH), k(1, 16)));
	push(A_MANGLE,
	     op(FT_OP_XOR, ft_ref_meta(M_PORT), ft_ref_meta(M_PORT), ft_ref_std(FT_STD_IN_PORT)));
	push(A_MANGLE, op(FT_OP_SHL, ft_ref_meta(M_HASH), ft_ref_meta(M_HASH), k(2, 8)));
	push(A_MANGLE, op(FT_OP_SHR, ft_ref_meta(M_HASH), ft_ref_meta(M_HASH), k(1, 8)));
	push(A_MANGLE, op(FT_OP_NOT, ft_ref_meta(M_FLOOD), ft_ref_meta(M_FLOOD), none));
	push(A_MANGLE, op(FT_OP_SET, fld(H_IPV6, F_V6_DST), fld(H_IPV6, F_V6_SRC), none));
	push(A_MANGLE,
	     op(FT_OP_SET, fld(H_IPV6, F_V6_SRC), ft_ref_const_bytes(v6_addr, 128), none));
	push(A_MANGLE, op(FT_OP_SET, ft_ref_meta(M_PORT), fld(H_ETH, F_ETH_DST), none));
	push(A_MANGLE, op(FT_OP_SET, ft_ref_meta(M_HASH), fld(H_IPV4, F_IP_FLAGS), none));
	toeplitz_list[0] = fld(H_IPV4, F_IP_SRC);
	toeplitz_list[1] = fld(H_IPV4, F_IP_DST);
	toeplitz_list[2] = fld(H_IPV4, F_IP_PROTO);
	toeplitz_list[3] = fld(H_UDP, F_UDP_SPORT);
	toeplitz_list[4] = fld(H_UDP, F_UDP_DPORT);
	h = op_list(FT_OP_HASH, FT_HASH_TOEPLITZ, ft_ref_meta(M_HASH), toeplitz_list, 5);
	h.a = k(0, 16);
	h.b = ft_ref_meta(M_PORT);
	push(A_MANGLE, h);
	push(A_MANGLE, op(FT_OP_SEND, none, ft_ref_std(FT_STD_IN_PORT), none));

	memset(conds_in, 0, sizeof(conds_in));
	conds_in[CD_VXLAN] = (struct ft_cond){.kind = FT_COND_VALID, .hdr = H_VXLAN};
	conds_in[CD_TTL0] = (struct ft_cond){
		.kind = FT_COND_CMP, .cmp = FT_CMP_EQ, .a = fld(H_IPV4, F_IP_TTL), .b = k(0, 8)};
	conds_in[CD_NOT_TTL0] = (struct ft_cond){.kind = FT_COND_NOT, .l = CD_TTL0};
	conds_in[CD_AND] = (struct ft_cond){.kind = FT_COND_AND, .l = CD_VXLAN, .r = CD_NOT_TTL0};
	conds_in[CD_OR] = (struct ft_cond){.kind = FT_COND_OR, .l = CD_VXLAN, .r = CD_TTL0};
	conds_in[CD_V6] = (struct ft_cond){.kind = FT_COND_CMP,
					   .cmp = FT_CMP_NE,
					   .a = fld(H_IPV6, F_V6_DST),
					   .b = ft_ref_const_bytes(v6_addr, 128)};
	conds_in[CD_PORT] = (struct ft_cond){.kind = FT_COND_CMP,
					     .cmp = FT_CMP_LT,
					     .a = ft_ref_meta(M_PORT),
					     .b = ft_ref_std(FT_STD_OUT_PORT)};
}

/* --- Building it ----------------------------------------------------------- */

struct build {
	struct ft_program *prog;
	struct ft_error err;
	bool oom; /* allocations may fail: an add may return -ENOMEM */
	int rc;   /* the first failure */
};

static void
fail_with(const struct ft_error *err, int rc, int want)
{
	char buf[512];

	ft_error_format(err, buf, sizeof(buf));
	print_error("got %d, want %d: %s\n", rc, want, buf);
	fail();
}

/*
 * One step of a build: the add must return 'want', or when allocations may
 * fail, -ENOMEM with the program unchanged.
 */
static void
step(struct build *b, const struct ft_program_info *before, int rc, int want)
{
	struct ft_program_info after;
	struct ft_error v;
	uint32_t saved;

	if (rc == want)
		return;
	if (!b->oom || rc != -ENOMEM)
		fail_with(&b->err, rc, want);
	assert_int_equal(b->err.code, -ENOMEM);
	assert_int_equal(b->err.kind, FT_ERR_RESOURCE);
	assert_non_null(strstr(b->err.message, "out of memory"));
	ft_program_info(b->prog, &after);
	assert_memory_equal(before, &after, sizeof(after));
	/* still consistent, but for a successor the failed add would have created */
	saved = ft_program_alloc_fail;
	if (ft_program_validate(b->prog, &v) != 0) {
		assert_int_equal(v.kind, FT_ERR_CONTROL);
		assert_non_null(strstr(v.message, "which does not exist (the control has"));
	}
	ft_program_alloc_fail = saved;
	b->rc = rc;
}

#define STEP(b, want, call)                                                                        \
	do {                                                                                       \
		struct ft_program_info before_;                                                    \
		if ((b)->rc < 0)                                                                   \
			break;                                                                     \
		ft_program_info((b)->prog, &before_);                                              \
		step((b), &before_, (call), (want));                                               \
	} while (0)

static void
build_vtep(struct build *b)
{
	struct ft_program *p = b->prog;
	struct ft_error *e = &b->err;
	uint32_t i;

	for (i = 0; i < T_COUNT; i++)
		STEP(b, (int)i,
		     ft_program_add_header_type(p, types_in[i].name, types_in[i].fields,
						types_in[i].n_fields, e));
	for (i = 0; i < H_COUNT; i++)
		STEP(b, (int)i,
		     ft_program_add_header(p, headers_in[i].name, headers_in[i].type,
					   headers_in[i].proto, headers_in[i].layer, e));
	for (i = 0; i < M_COUNT; i++)
		STEP(b, (int)i, ft_program_add_metadata(p, meta_in[i].name, meta_in[i].bits, e));
	STEP(b, 0, ft_program_set_vxlan_ports(p, ports_in, ARRAY_SIZE(ports_in), e));
	STEP(b, 0, ft_program_set_emit(p, emit_in, ARRAY_SIZE(emit_in), e));
	STEP(b, 0, ft_program_set_limits(p, 4096, 4, e));
	STEP(b, C_LEARNED, ft_program_add_counter(p, "learned", 1024, e));
	STEP(b, D_L2MISS, ft_program_add_digest(p, "l2miss", e));
	for (i = 0; i < A_COUNT; i++)
		STEP(b, (int)i,
		     ft_program_add_action(p, actions_in[i].name, actions_in[i].params,
					   actions_in[i].n_params, actions_in[i].ops,
					   actions_in[i].n_ops, e));
	for (i = 0; i < TB_COUNT; i++)
		STEP(b, (int)i, ft_program_add_table(p, &tables_in[i], e));
	for (i = 0; i < CD_COUNT; i++)
		STEP(b, (int)i, ft_program_add_cond(p, &conds_in[i], e));
	for (i = 0; i < N_IN; i++)
		STEP(b, (int)i, ft_program_add_node(p, FT_CTL_INGRESS, &ingress_in[i], e));
	for (i = 0; i < N_EG; i++)
		STEP(b, (int)i, ft_program_add_node(p, FT_CTL_EGRESS, &egress_in[i], e));
}

static struct ft_program *
new_vtep(void)
{
	struct build b = {0};

	init_vtep_data();
	b.prog = ft_program_create("vtep");
	assert_non_null(b.prog);
	build_vtep(&b);
	assert_int_equal(b.rc, 0);
	return b.prog;
}

static int
setup_vtep(void **state)
{
	*state = new_vtep();
	return 0;
}

static int
teardown_vtep(void **state)
{
	ft_program_destroy(*state);
	return 0;
}

/* --- Reading it back ------------------------------------------------------- */

static void
assert_ref_equal(const struct ft_ref *a, const struct ft_ref *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->field, b->field);
	assert_int_equal(a->width, b->width);
	assert_memory_equal(a->value, b->value, sizeof(a->value));
}

static void
assert_op_equal(const struct ft_op *a, const struct ft_op *b)
{
	uint32_t i;

	assert_int_equal(a->kind, b->kind);
	assert_ref_equal(&a->dst, &b->dst);
	assert_ref_equal(&a->a, &b->a);
	assert_ref_equal(&a->b, &b->b);
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->n_list, b->n_list);
	if (a->n_list == 0)
		return;
	assert_non_null(a->list);
	assert_ptr_not_equal(a->list, b->list); /* a copy */
	for (i = 0; i < a->n_list; i++)
		assert_ref_equal(&a->list[i], &b->list[i]);
}

static void
assert_node_equal(const struct ft_node *a, const struct ft_node *b)
{
	assert_int_equal(a->kind, b->kind);
	switch (a->kind) {
	case FT_NODE_APPLY:
		assert_int_equal(a->table, b->table);
		assert_int_equal(a->next_hit, b->next_hit);
		assert_int_equal(a->next_miss, b->next_miss);
		assert_int_equal(a->n_on_action, b->n_on_action);
		if (a->n_on_action > 0) {
			assert_ptr_not_equal(a->on_action, b->on_action);
			assert_memory_equal(a->on_action, b->on_action,
					    a->n_on_action * sizeof(*a->on_action));
		}
		break;
	case FT_NODE_RUN:
		assert_int_equal(a->action, b->action);
		break;
	case FT_NODE_IF:
		assert_int_equal(a->cond, b->cond);
		assert_int_equal(a->next_false, b->next_false);
		break;
	}
	assert_int_equal(a->next, b->next);
}

static void
test_vtep_info(void **state)
{
	struct ft_program *prog = *state;
	struct ft_program_info info;
	const uint16_t *ports;
	const uint32_t *emit;
	uint32_t n;

	assert_string_equal(ft_program_name(prog), "vtep");
	ft_program_info(prog, &info);
	assert_int_equal(info.n_header_types, T_COUNT);
	assert_int_equal(info.n_headers, H_COUNT);
	assert_int_equal(info.n_metadata, M_COUNT);
	assert_int_equal(info.n_actions, A_COUNT);
	assert_int_equal(info.n_tables, TB_COUNT);
	assert_int_equal(info.n_counters, C_COUNT);
	assert_int_equal(info.n_digests, D_COUNT);
	assert_int_equal(info.n_conds, CD_COUNT);
	assert_int_equal(info.n_groups, 4096);
	assert_int_equal(info.n_mirrors, 4);
	assert_int_equal(info.n_nodes[FT_CTL_INGRESS], N_IN);
	assert_int_equal(info.n_nodes[FT_CTL_EGRESS], N_EG);
	assert_int_equal(info.n_emit, ARRAY_SIZE(emit_in));

	emit = ft_program_emit(prog, &n);
	assert_int_equal(n, ARRAY_SIZE(emit_in));
	assert_memory_equal(emit, emit_in, sizeof(emit_in));
	ports = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ports[0], 4789);
	assert_int_equal(ports[1], 8472);

	assert_string_equal(ft_program_counter_name(prog, C_LEARNED), "learned");
	assert_int_equal(ft_program_counter_size(prog, C_LEARNED), 1024);
	assert_null(ft_program_counter_name(prog, C_COUNT));
	assert_int_equal(ft_program_counter_size(prog, C_COUNT), 0);
	assert_string_equal(ft_program_digest_name(prog, D_L2MISS), "l2miss");
	assert_null(ft_program_digest_name(prog, D_COUNT));
	assert_int_equal(ft_program_validate(prog, NULL), 0);
}

static void
test_vtep_headers(void **state)
{
	struct ft_program *prog = *state;
	struct ft_header_type_info ti;
	struct ft_header_info hi;
	struct ft_metadata_info mi;
	uint32_t i, j;

	for (i = 0; i < T_COUNT; i++) {
		assert_int_equal(ft_program_header_type(prog, i, &ti), 0);
		assert_string_equal(ti.name, types_in[i].name);
		assert_int_equal(ti.n_fields, types_in[i].n_fields);
		assert_int_equal(ti.bytes, types_in[i].bytes);
		assert_ptr_not_equal(ti.fields, types_in[i].fields);
		for (j = 0; j < ti.n_fields; j++) {
			assert_string_equal(ti.fields[j].name, types_in[i].fields[j].name);
			assert_int_equal(ti.fields[j].bits, types_in[i].fields[j].bits);
			assert_int_equal(ft_program_find_field(prog, i, ti.fields[j].name), j);
		}
		assert_int_equal(ft_program_find_header_type(prog, types_in[i].name), i);
	}
	assert_int_equal(ft_program_header_type(prog, T_COUNT, &ti), -ENOENT);
	for (j = 0; j < ARRAY_SIZE(ipv4_offsets); j++)
		assert_int_equal(ft_program_field_offset(prog, T_IPV4, j), ipv4_offsets[j]);
	assert_int_equal(ft_program_field_offset(prog, T_IPV6, F_V6_DST), 192);
	assert_int_equal(ft_program_field_offset(prog, T_ETH, F_ETH_TYPE), 96);
	assert_int_equal(ft_program_field_offset(prog, T_IPV4, 12), -ENOENT);
	assert_int_equal(ft_program_field_offset(prog, T_COUNT, 0), -ENOENT);
	assert_int_equal(ft_program_find_field(prog, T_IPV4, "nope"), -ENOENT);
	assert_int_equal(ft_program_find_field(prog, T_COUNT, "ttl"), -ENOENT);
	assert_int_equal(ft_program_find_header_type(prog, "nope_t"), -ENOENT);

	for (i = 0; i < H_COUNT; i++) {
		assert_int_equal(ft_program_header(prog, i, &hi), 0);
		assert_string_equal(hi.name, headers_in[i].name);
		assert_int_equal(hi.type, headers_in[i].type);
		assert_int_equal(hi.proto, headers_in[i].proto);
		assert_int_equal(hi.layer, headers_in[i].layer);
		assert_int_equal(hi.bytes, types_in[hi.type].bytes);
		assert_int_equal(ft_program_find_header(prog, headers_in[i].name), i);
	}
	assert_int_equal(ft_program_header(prog, H_COUNT, &hi), -ENOENT);
	assert_int_equal(ft_program_find_header(prog, "ipv4_t"), -ENOENT);

	for (i = 0; i < M_COUNT; i++) {
		assert_int_equal(ft_program_metadata(prog, i, &mi), 0);
		assert_string_equal(mi.name, meta_in[i].name);
		assert_int_equal(mi.bits, meta_in[i].bits);
	}
	assert_int_equal(ft_program_metadata(prog, M_COUNT, &mi), -ENOENT);
}

static void
test_vtep_actions(void **state)
{
	struct ft_program *prog = *state;
	struct ft_action_info ai;
	uint32_t i, j;

	for (i = 0; i < A_COUNT; i++) {
		const struct action_in *in = &actions_in[i];

		assert_int_equal(ft_program_action(prog, i, &ai), 0);
		assert_string_equal(ai.name, in->name);
		assert_int_equal(ai.n_params, in->n_params);
		for (j = 0; j < ai.n_params; j++) {
			assert_string_equal(ai.params[j].name, in->params[j].name);
			assert_int_equal(ai.params[j].bits, in->params[j].bits);
		}
		assert_int_equal(ai.n_ops, in->n_ops);
		for (j = 0; j < ai.n_ops; j++)
			assert_op_equal(&ai.ops[j], &in->ops[j]);
		assert_int_equal(ai.data_size, in->data_size);
		assert_int_equal(ft_program_action_data_size(prog, i), in->data_size);
		assert_int_equal(ft_program_find_action(prog, in->name), i);
	}
	assert_int_equal(ft_program_action(prog, A_COUNT, &ai), -ENOENT);
	assert_int_equal(ft_program_action_data_size(prog, A_COUNT), -ENOENT);
	assert_int_equal(ft_program_find_action(prog, "nope"), -ENOENT);
	/* every kind of operation is in the program */
	for (j = FT_OP_SET; j <= FT_OP_COUNT; j++) {
		bool seen = false;

		for (i = 0; i < A_COUNT && !seen; i++) {
			uint32_t o;

			for (o = 0; o < actions_in[i].n_ops; o++)
				seen |= actions_in[i].ops[o].kind == (enum ft_op_kind)j;
		}
		assert_true(seen);
	}
}

static void
test_vtep_tables(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_decl d;
	uint32_t i, j;

	for (i = 0; i < TB_COUNT; i++) {
		const struct ft_table_decl *in = &tables_in[i];

		assert_int_equal(ft_program_table(prog, i, &d), 0);
		assert_string_equal(d.name, in->name);
		assert_ptr_not_equal(d.name, in->name);
		assert_int_equal(d.n_keys, in->n_keys);
		for (j = 0; j < d.n_keys; j++) {
			assert_ref_equal(&d.keys[j].ref, &in->keys[j].ref);
			assert_int_equal(d.keys[j].match, in->keys[j].match);
		}
		assert_int_equal(d.n_actions, in->n_actions);
		assert_ptr_not_equal(d.actions, in->actions);
		assert_memory_equal(d.actions, in->actions, d.n_actions * sizeof(*d.actions));
		assert_int_equal(d.default_action, in->default_action);
		assert_int_equal(d.default_const, in->default_const);
		assert_int_equal(d.size, in->size);
		assert_int_equal(d.idle_timeout_ms, in->idle_timeout_ms);
		assert_int_equal(d.add_on_miss, in->add_on_miss);
		assert_int_equal(ft_program_key_size(prog, i), key_sizes[i]);
		assert_int_equal(ft_program_find_table(prog, in->name), i);
		if (actions_in[d.default_action].data_size == 0)
			assert_null(d.default_data);
	}
	assert_int_equal(ft_program_table(prog, TB_ROUTE, &d), 0);
	assert_non_null(d.default_data);
	assert_ptr_not_equal(d.default_data, route_default_data);
	assert_memory_equal(d.default_data, route_default_data, sizeof(route_default_data));
	assert_int_equal(ft_program_table(prog, TB_COUNT, &d), -ENOENT);
	assert_int_equal(ft_program_key_size(prog, TB_COUNT), -ENOENT);
	assert_int_equal(ft_program_find_table(prog, "nope"), -ENOENT);
	assert_int_equal(ft_program_find_counter(prog, "learned"), C_LEARNED);
	assert_int_equal(ft_program_find_counter(prog, "nope"), -ENOENT);
	assert_int_equal(ft_program_find_digest(prog, "l2miss"), D_L2MISS);
	assert_int_equal(ft_program_find_digest(prog, "nope"), -ENOENT);
}

static void
test_vtep_control(void **state)
{
	struct ft_program *prog = *state;
	struct ft_node n;
	struct ft_cond c;
	uint32_t i;

	for (i = 0; i < CD_COUNT; i++) {
		assert_int_equal(ft_program_cond(prog, i, &c), 0);
		assert_int_equal(c.kind, conds_in[i].kind);
		switch (c.kind) {
		case FT_COND_VALID:
			assert_int_equal(c.hdr, conds_in[i].hdr);
			break;
		case FT_COND_CMP:
			assert_int_equal(c.cmp, conds_in[i].cmp);
			assert_ref_equal(&c.a, &conds_in[i].a);
			assert_ref_equal(&c.b, &conds_in[i].b);
			break;
		default:
			assert_int_equal(c.l, conds_in[i].l);
			if (c.kind != FT_COND_NOT)
				assert_int_equal(c.r, conds_in[i].r);
		}
	}
	assert_int_equal(ft_program_cond(prog, CD_COUNT, &c), -ENOENT);
	for (i = 0; i < N_IN; i++) {
		assert_int_equal(ft_program_node(prog, FT_CTL_INGRESS, i, &n), 0);
		assert_node_equal(&n, &ingress_in[i]);
	}
	for (i = 0; i < N_EG; i++) {
		assert_int_equal(ft_program_node(prog, FT_CTL_EGRESS, i, &n), 0);
		assert_node_equal(&n, &egress_in[i]);
	}
	assert_int_equal(ft_program_node(prog, FT_CTL_INGRESS, N_IN, &n), -ENOENT);
	assert_int_equal(ft_program_node(prog, FT_CTL_EGRESS, N_EG, &n), -ENOENT);
	assert_int_equal(ft_program_node(prog, FT_CTL_COUNT, 0, &n), -ENOENT);
}

/* Arrays and names handed to the builder are copied: scribbling on them changes nothing. */
static void
test_copies(void **state)
{
	struct ft_program *prog = *state;
	char tname[16] = "tag_t", f0[8] = "pcp", f1[8] = "vid", aname[16] = "tag";
	char pname[8] = "vid", tbname[16] = "tags";
	struct ft_field_decl fields[2] = {{f0, 4}, {f1, 12}};
	struct ft_param_decl params[1] = {{pname, 12}};
	struct ft_ref list[2];
	struct ft_op ops[2];
	struct ft_key_decl keys[1];
	struct ft_table_action acts[1];
	uint8_t data[2] = {0x0a, 0xbc};
	struct ft_action_next an[1];
	struct ft_node node;
	struct ft_header_type_info ti;
	struct ft_action_info ai;
	struct ft_table_decl d = {0}, got;
	struct ft_node gotn;
	uint32_t emit[2] = {H_ETH, H_IPV4};
	uint16_t ports[1] = {4790};
	const uint32_t *e;
	const uint16_t *p;
	uint32_t n;
	int t, a, tb, nd;

	t = ft_program_add_header_type(prog, tname, fields, 2, NULL);
	assert_int_equal(t, T_COUNT);
	list[0] = ft_ref_meta(M_BD);
	list[1] = ft_ref_param(0);
	ops[0] = op(FT_OP_SET, ft_ref_meta(M_BD), ft_ref_param(0), none);
	ops[1] = op_list(FT_OP_HASH, FT_HASH_CRC16, ft_ref_meta(M_HASH), list, 2);
	ops[1].a = k(0, 8);
	ops[1].b = k(100, 8);
	a = ft_program_add_action(prog, aname, params, 1, ops, 2, NULL);
	assert_int_equal(a, A_COUNT);
	keys[0] = (struct ft_key_decl){ft_ref_meta(M_BD), FT_MATCH_EXACT};
	acts[0] = (struct ft_table_action){(uint32_t)a, FT_SCOPE_ANY};
	d.name = tbname;
	d.keys = keys;
	d.n_keys = 1;
	d.actions = acts;
	d.n_actions = 1;
	d.default_action = (uint32_t)a;
	d.default_data = data;
	d.size = 10;
	tb = ft_program_add_table(prog, &d, NULL);
	assert_int_equal(tb, TB_COUNT);
	an[0] = (struct ft_action_next){(uint32_t)a, END};
	node = (struct ft_node){.kind = FT_NODE_APPLY,
				.table = (uint32_t)tb,
				.next = END,
				.next_hit = DFLT,
				.next_miss = DFLT,
				.on_action = an,
				.n_on_action = 1};
	nd = ft_program_add_node(prog, FT_CTL_EGRESS, &node, NULL);
	assert_int_equal(nd, N_EG);
	assert_int_equal(ft_program_set_emit(prog, emit, 2, NULL), 0);
	assert_int_equal(ft_program_set_vxlan_ports(prog, ports, 1, NULL), 0);

	memset(tname, 'x', sizeof(tname) - 1);
	memset(f0, 'x', sizeof(f0) - 1);
	memset(f1, 'y', sizeof(f1) - 1);
	memset(aname, 'x', sizeof(aname) - 1);
	memset(pname, 'x', sizeof(pname) - 1);
	memset(tbname, 'x', sizeof(tbname) - 1);
	memset(fields, 0x5a, sizeof(fields));
	memset(params, 0x5a, sizeof(params));
	memset(list, 0x5a, sizeof(list));
	memset(ops, 0x5a, sizeof(ops));
	memset(keys, 0x5a, sizeof(keys));
	memset(acts, 0x5a, sizeof(acts));
	memset(data, 0x5a, sizeof(data));
	memset(an, 0x5a, sizeof(an));
	memset(&node, 0x5a, sizeof(node));
	memset(&d, 0x5a, sizeof(d));
	memset(emit, 0x5a, sizeof(emit));
	memset(ports, 0x5a, sizeof(ports));

	assert_int_equal(ft_program_header_type(prog, (uint32_t)t, &ti), 0);
	assert_string_equal(ti.name, "tag_t");
	assert_string_equal(ti.fields[0].name, "pcp");
	assert_int_equal(ti.fields[0].bits, 4);
	assert_string_equal(ti.fields[1].name, "vid");
	assert_int_equal(ti.fields[1].bits, 12);
	assert_int_equal(ti.bytes, 2);
	assert_int_equal(ft_program_field_offset(prog, (uint32_t)t, 1), 4);

	assert_int_equal(ft_program_action(prog, (uint32_t)a, &ai), 0);
	assert_string_equal(ai.name, "tag");
	assert_string_equal(ai.params[0].name, "vid");
	assert_int_equal(ai.params[0].bits, 12);
	assert_int_equal(ai.data_size, 2);
	assert_int_equal(ai.ops[0].kind, FT_OP_SET);
	assert_int_equal(ai.ops[0].dst.kind, FT_REF_META);
	assert_int_equal(ai.ops[0].dst.id, M_BD);
	assert_int_equal(ai.ops[1].kind, FT_OP_HASH);
	assert_int_equal(ai.ops[1].id, FT_HASH_CRC16);
	assert_int_equal(ai.ops[1].n_list, 2);
	assert_int_equal(ai.ops[1].list[0].kind, FT_REF_META);
	assert_int_equal(ai.ops[1].list[0].id, M_BD);
	assert_int_equal(ai.ops[1].list[1].kind, FT_REF_PARAM);
	assert_int_equal(ai.ops[1].list[1].id, 0);

	assert_int_equal(ft_program_table(prog, (uint32_t)tb, &got), 0);
	assert_string_equal(got.name, "tags");
	assert_int_equal(got.keys[0].ref.kind, FT_REF_META);
	assert_int_equal(got.keys[0].ref.id, M_BD);
	assert_int_equal(got.keys[0].match, FT_MATCH_EXACT);
	assert_int_equal(got.actions[0].action, a);
	assert_int_equal(got.actions[0].scope, FT_SCOPE_ANY);
	assert_int_equal(got.default_data[0], 0x0a);
	assert_int_equal(got.default_data[1], 0xbc);
	assert_int_equal(got.size, 10);
	assert_int_equal(ft_program_key_size(prog, (uint32_t)tb), 2);

	assert_int_equal(ft_program_node(prog, FT_CTL_EGRESS, (uint32_t)nd, &gotn), 0);
	assert_int_equal(gotn.kind, FT_NODE_APPLY);
	assert_int_equal(gotn.n_on_action, 1);
	assert_int_equal(gotn.on_action[0].action, a);
	assert_int_equal(gotn.on_action[0].next, END);

	e = ft_program_emit(prog, &n);
	assert_int_equal(n, 2);
	assert_int_equal(e[0], H_ETH);
	assert_int_equal(e[1], H_IPV4);
	p = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 1);
	assert_int_equal(p[0], 4790);
	assert_int_equal(ft_program_validate(prog, NULL), 0);
}

/* A default action with parameters and no data gets zeros; one without has no data. */
static void
test_default_data_zero(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_decl d = tables_in[TB_ROUTE], got;
	uint8_t zeros[4] = {0};

	d.name = "route2";
	d.default_data = NULL;
	d.size = 1;
	assert_int_equal(ft_program_add_table(prog, &d, NULL), TB_COUNT);
	assert_int_equal(ft_program_table(prog, TB_COUNT, &got), 0);
	assert_non_null(got.default_data);
	assert_memory_equal(got.default_data, zeros, sizeof(zeros));

	d.name = "route3";
	d.default_action = A_DROP;
	d.default_data = route_default_data; /* ignored: drop has no parameters */
	assert_int_equal(ft_program_add_table(prog, &d, NULL), TB_COUNT + 1);
	assert_int_equal(ft_program_table(prog, TB_COUNT + 1, &got), 0);
	assert_null(got.default_data);
}

/* Defaults of an empty program; destroy(NULL); create copies its name. */
static void
test_empty(void **state)
{
	struct ft_program_info info;
	struct ft_program *prog;
	char name[8] = "p4";
	const uint16_t *ports;
	uint32_t n;

	(void)state;
	ft_program_destroy(NULL);
	prog = ft_program_create(name);
	assert_non_null(prog);
	name[0] = 'x';
	assert_string_equal(ft_program_name(prog), "p4");
	ft_program_info(prog, &info);
	assert_int_equal(info.n_header_types + info.n_headers + info.n_metadata + info.n_actions +
				 info.n_tables + info.n_counters + info.n_digests + info.n_conds +
				 info.n_nodes[0] + info.n_nodes[1] + info.n_emit,
			 0);
	assert_int_equal(info.n_groups, 1024);
	assert_int_equal(info.n_mirrors, 16);
	ports = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 1);
	assert_int_equal(ports[0], FT_VXLAN_PORT_DEFAULT);
	assert_null(ft_program_emit(prog, &n));
	assert_int_equal(n, 0);
	/* an empty ingress control is allowed: everything is dropped */
	assert_int_equal(ft_program_validate(prog, NULL), 0);
	ft_program_destroy(prog);

	prog = ft_program_create(NULL);
	assert_non_null(prog);
	assert_string_equal(ft_program_name(prog), "");
	ft_program_destroy(prog);
}

/* --- Operands -------------------------------------------------------------- */

static void
test_ref_constructors(void **state)
{
	static const uint8_t in[2] = {0xff, 0xff};
	static const uint8_t low12[16] = {[14] = 0x0f, [15] = 0xff};
	static const uint8_t v8[16] = {[15] = 0xff};
	static const uint8_t v64[16] = {[8] = 0x01,  [9] = 0x23,  [10] = 0x45, [11] = 0x67,
					[12] = 0x89, [13] = 0xab, [14] = 0xcd, [15] = 0xef};
	struct ft_ref r;

	(void)state;
	r = ft_ref_const(0x1ff, 8); /* bits above the width are dropped */
	assert_int_equal(r.kind, FT_REF_CONST);
	assert_int_equal(r.width, 8);
	assert_memory_equal(r.value, v8, 16);
	r = ft_ref_const(0x0123456789abcdefULL, 64);
	assert_memory_equal(r.value, v64, 16);
	r = ft_ref_const_bytes(in, 12);
	assert_int_equal(r.width, 12);
	assert_memory_equal(r.value, low12, 16);
	r = ft_ref_const_bytes(v6_addr, 128);
	assert_memory_equal(r.value, v6_addr, 16);

	r = ft_ref_field(3, 4);
	assert_int_equal(r.kind, FT_REF_FIELD);
	assert_int_equal(r.id, 3);
	assert_int_equal(r.field, 4);
	r = ft_ref_meta(2);
	assert_int_equal(r.kind, FT_REF_META);
	assert_int_equal(r.id, 2);
	r = ft_ref_std(FT_STD_RID);
	assert_int_equal(r.kind, FT_REF_STD);
	assert_int_equal(r.id, FT_STD_RID);
	r = ft_ref_param(1);
	assert_int_equal(r.kind, FT_REF_PARAM);
	assert_int_equal(r.id, 1);
	r = ft_ref_header(5);
	assert_int_equal(r.kind, FT_REF_HEADER);
	assert_int_equal(r.id, 5);
}

static void
expect_resolve(const struct ft_program *prog, const char *name, enum ft_ref_kind kind, uint32_t id,
	       uint32_t field)
{
	struct ft_ref r;
	char back[64];

	memset(&r, 0x5a, sizeof(r));
	if (ft_program_resolve(prog, name, &r) != 0) {
		print_error("'%s' did not resolve\n", name);
		fail();
	}
	assert_int_equal(r.kind, kind);
	assert_int_equal(r.id, id);
	assert_int_equal(r.field, field);
	/* ft_program_ref_name() is its inverse. */
	assert_true(ft_program_ref_name(prog, &r, back, sizeof(back)) > 0);
	assert_string_equal(back, name);
}

static void
test_resolve(void **state)
{
	static const char *const unknown[] = {
		"",     "ipv4.nope",  "nope.ttl", "nope",      "meta.nope",   "meta.",
		"meta", "std",        "std.",     "std.nope",  "std.IN_PORT", "ipv4.",
		".ttl", "ipv4.ttl.x", "ipv4_t",   "ipv4.ttl ", "local_md.bd", "meta.vni.x",
	};
	struct ft_program *prog = *state;
	struct ft_ref r;
	uint32_t i;

	expect_resolve(prog, "ipv4.ttl", FT_REF_FIELD, H_IPV4, F_IP_TTL);
	expect_resolve(prog, "inner_ethernet.src_addr", FT_REF_FIELD, H_IN_ETH, F_ETH_SRC);
	expect_resolve(prog, "outer_vxlan.vni", FT_REF_FIELD, H_O_VXLAN, F_VX_VNI);
	expect_resolve(prog, "ipv6.dst_addr", FT_REF_FIELD, H_IPV6, F_V6_DST);
	expect_resolve(prog, "ipv4", FT_REF_HEADER, H_IPV4, 0);
	expect_resolve(prog, "outer_udp", FT_REF_HEADER, H_O_UDP, 0);
	expect_resolve(prog, "meta.vni", FT_REF_META, M_VNI, 0);
	expect_resolve(prog, "meta.local_md.bd", FT_REF_META, M_BD, 0);
	expect_resolve(prog, "std.in_port", FT_REF_STD, FT_STD_IN_PORT, 0);
	expect_resolve(prog, "std.out_port", FT_REF_STD, FT_STD_OUT_PORT, 0);
	expect_resolve(prog, "std.pkt_len", FT_REF_STD, FT_STD_PKT_LEN, 0);
	expect_resolve(prog, "std.rid", FT_REF_STD, FT_STD_RID, 0);
	expect_resolve(prog, "std.timestamp", FT_REF_STD, FT_STD_TIMESTAMP, 0);
	for (i = 0; i < ARRAY_SIZE(unknown); i++) {
		r = ft_ref_meta(77);
		if (ft_program_resolve(prog, unknown[i], &r) != -ENOENT) {
			print_error("'%s' resolved\n", unknown[i]);
			fail();
		}
		assert_int_equal(r.id, 77); /* untouched */
	}
	assert_int_equal(ft_program_resolve(prog, NULL, &r), -ENOENT);
	r = ft_ref_meta(9999);
	assert_int_equal(ft_program_ref_name(prog, &r, (char[8]){0}, 8), -ENOENT);
	r = ft_ref_const(1, 8);
	assert_int_equal(ft_program_ref_name(prog, &r, (char[8]){0}, 8), -ENOENT);
}

static void
test_ref_width(void **state)
{
	struct ft_program *prog = *state;
	struct ft_ref r;

	r = fld(H_IPV4, F_IP_FLAGS);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 3);
	r = fld(H_IPV6, F_V6_SRC);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 128);
	r = fld(H_IPV4, 12);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = fld(H_COUNT, 0);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = ft_ref_header(H_IPV6);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 320);
	r = ft_ref_header(H_COUNT);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = ft_ref_meta(M_BD);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 12);
	r = ft_ref_meta(M_COUNT);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = ft_ref_std(FT_STD_IN_PORT);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 32);
	r = ft_ref_std(FT_STD_OUT_PORT);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 32);
	r = ft_ref_std(FT_STD_PKT_LEN);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 16);
	r = ft_ref_std(FT_STD_RID);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 16);
	r = ft_ref_std(FT_STD_TIMESTAMP);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 64);
	r = ft_ref_std(FT_STD_COUNT);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = ft_ref_param(2);
	assert_int_equal(ft_program_ref_width(prog, A_ENCAP, &r), 48);
	assert_int_equal(ft_program_ref_width(prog, A_FORWARD, &r), 0);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = k(5, 17);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 17);
	r = ft_ref_const_bytes(v6_addr, 128);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 128);
	r = k(0, 0);
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
	r = none;
	assert_int_equal(ft_program_ref_width(prog, UINT32_MAX, &r), 0);
}

/* --- Rejections ------------------------------------------------------------ */

static struct ft_error err;

/*
 * Checks that 'rc' is 'code' with an error of 'kind' about object 'index'
 * named 'object', whose message contains 'needle'.
 */
static void
check_reject(int rc, int code, enum ft_error_kind kind, uint32_t index, const char *object,
	     const char *needle)
{
	char buf[512];

	ft_error_format(&err, buf, sizeof(buf));
	if (rc != code || err.code != code || err.kind != kind || err.index != index ||
	    strcmp(err.object, object) != 0 || strstr(err.message, needle) == NULL) {
		print_error("got %d kind %d index %u object '%s': %s\n"
			    "want %d kind %d index %u object '%s', message with '%s'\n",
			    rc, err.kind, err.index, err.object, buf, code, kind, index, object,
			    needle);
		fail();
	}
}

/* 'call' must fail as described and leave the program unchanged and valid. */
#define REJECT(prog, call, code, kind, index, object, needle)                                      \
	do {                                                                                       \
		struct ft_program_info before_, after_;                                            \
		ft_program_info((prog), &before_);                                                 \
		memset(&err, 0, sizeof(err));                                                      \
		check_reject((call), (code), (kind), (index), (object), (needle));                 \
		ft_program_info((prog), &after_);                                                  \
		assert_memory_equal(&before_, &after_, sizeof(before_));                           \
		assert_int_equal(ft_program_validate((prog), NULL), 0);                            \
	} while (0)

static const struct ft_field_decl tag_fields[] = {{"pcp", 3}, {"dei", 1}, {"vid", 12}};

static void
test_reject_type_name(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_header_type(prog, NULL, tag_fields, 3, &err), -EINVAL,
	       FT_ERR_HEADER, T_COUNT, "", "has no name");
	REJECT(prog, ft_program_add_header_type(prog, "", tag_fields, 3, &err), -EINVAL,
	       FT_ERR_HEADER, T_COUNT, "", "has no name");
	REJECT(prog, ft_program_add_header_type(prog, "udp_t", tag_fields, 3, &err), -EINVAL,
	       FT_ERR_HEADER, T_COUNT, "udp_t", "duplicate header type name");
	REJECT(prog, ft_program_add_header_type(prog, "tag_t", tag_fields, 0, &err), -EINVAL,
	       FT_ERR_HEADER, T_COUNT, "tag_t", "has no fields");
	REJECT(prog, ft_program_add_header_type(prog, "tag_t", NULL, 3, &err), -EINVAL,
	       FT_ERR_HEADER, T_COUNT, "tag_t", "has no fields");
	assert_int_equal(ft_program_add_header_type(prog, "tag_t", tag_fields, 3, &err), T_COUNT);
}

static void
test_reject_field_names(void **state)
{
	struct ft_program *prog = *state;
	struct ft_field_decl f[3] = {{"pcp", 3}, {"dei", 1}, {"pcp", 12}};

	REJECT(prog, ft_program_add_header_type(prog, "tag_t", f, 3, &err), -EINVAL, FT_ERR_FIELD,
	       2, "tag_t.pcp", "duplicate field name");
	f[2].name = "";
	REJECT(prog, ft_program_add_header_type(prog, "tag_t", f, 3, &err), -EINVAL, FT_ERR_FIELD,
	       2, "tag_t", "field 2 of header type 'tag_t' has no name");
	f[2].name = NULL;
	REJECT(prog, ft_program_add_header_type(prog, "tag_t", f, 3, &err), -EINVAL, FT_ERR_FIELD,
	       2, "tag_t", "has no name");
	f[2].name = "v.id";
	REJECT(prog, ft_program_add_header_type(prog, "tag_t", f, 3, &err), -EINVAL, FT_ERR_FIELD,
	       2, "tag_t.v.id", "may not contain '.'");
}

static void
test_reject_field_bits(void **state)
{
	struct ft_program *prog = *state;
	struct ft_field_decl f[2] = {{"a", 0}, {"b", 8}};

	REJECT(prog, ft_program_add_header_type(prog, "t", f, 2, &err), -EINVAL, FT_ERR_FIELD, 0,
	       "t.a", "field has 0 bits");
	f[0].bits = FT_FIELD_BITS_MAX + 1;
	f[1].bits = 7;
	REJECT(prog, ft_program_add_header_type(prog, "t", f, 2, &err), -ENOTSUP, FT_ERR_FIELD, 0,
	       "t.a", "field has 129 bits; at most 128 are supported");
	f[0].bits = FT_FIELD_BITS_MAX;
	f[1].bits = 8;
	assert_int_equal(ft_program_add_header_type(prog, "t", f, 2, &err), T_COUNT);
}

static void
test_reject_type_size(void **state)
{
	struct ft_program *prog = *state;
	struct ft_field_decl f[5] = {{"a", 128}, {"b", 128}, {"c", 128}, {"d", 128}, {"e", 4}};

	REJECT(prog, ft_program_add_header_type(prog, "t", f, 5, &err), -EINVAL, FT_ERR_HEADER,
	       T_COUNT, "t", "has 516 bits, not a whole number of bytes");
	f[4].bits = 8;
	REJECT(prog, ft_program_add_header_type(prog, "t", f, 5, &err), -ENOTSUP, FT_ERR_HEADER,
	       T_COUNT, "t", "has 65 bytes; at most 64 are supported");
	/* exactly FT_HEADER_BYTES_MAX is fine */
	assert_int_equal(ft_program_add_header_type(prog, "t", f, 4, &err), T_COUNT);
}

static void
test_reject_header_names(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_header(prog, "", T_ETH, FT_PROTO_ETH, FT_L_NONE, &err), -EINVAL,
	       FT_ERR_HEADER, H_COUNT, "", "has no name");
	REJECT(prog, ft_program_add_header(prog, "udp", T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "udp", "duplicate header name: header 3");
	REJECT(prog, ft_program_add_header(prog, "meta", T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "meta", "reserved");
	REJECT(prog, ft_program_add_header(prog, "std", T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "std", "reserved");
	REJECT(prog, ft_program_add_header(prog, "a.b", T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "a.b", "may not contain '.'");
}

static void
test_reject_header_type(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_header(prog, "x", T_COUNT, FT_PROTO_NONE, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "x", "header type 5 does not exist");
	REJECT(prog, ft_program_add_header(prog, "x", T_ETH, FT_PROTO_NONE, FT_L_COUNT + 1, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "x", "unknown layer");
	REJECT(prog, ft_program_add_header(prog, "x", T_ETH, FT_PROTO_COUNT, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "x", "unknown protocol");
}

static void
test_reject_header_layer_proto(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_header(prog, "tcp", T_UDP, FT_PROTO_UDP, FT_L_TCP, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "tcp",
	       "parsed at layer tcp, so its protocol must be tcp, not udp");
	/* a parsed header must have a protocol */
	REJECT(prog, ft_program_add_header(prog, "tcp", T_UDP, FT_PROTO_NONE, FT_L_TCP, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "tcp", "its protocol must be tcp, not none");
}

static void
test_reject_header_size(void **state)
{
	struct ft_program *prog = *state;
	struct ft_field_decl f[2] = {{"base", 160}, {"options", 32}};
	int t;

	f[0].bits = 128;
	f[1].bits = 64;
	t = ft_program_add_header_type(prog, "ipv4_opt_t", f, 2, NULL);
	assert_int_equal(t, T_COUNT);
	REJECT(prog,
	       ft_program_add_header(prog, "inner_ipv4", (uint32_t)t, FT_PROTO_IPV4, FT_L_IN_IPV4,
				     &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "inner_ipv4",
	       "its type 'ipv4_opt_t' has 24 bytes; an ipv4 header has 20");
	/* the size rule holds for unparsed instances with a protocol too */
	REJECT(prog,
	       ft_program_add_header(prog, "encap_ipv4", (uint32_t)t, FT_PROTO_IPV4, FT_L_NONE,
				     &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "encap_ipv4", "an ipv4 header has 20");
	REJECT(prog, ft_program_add_header(prog, "tcp", T_UDP, FT_PROTO_TCP, FT_L_NONE, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "tcp",
	       "its type 'udp_t' has 8 bytes; a tcp header has 20");
	/* without a protocol, any size */
	assert_int_equal(
		ft_program_add_header(prog, "opaque", (uint32_t)t, FT_PROTO_NONE, FT_L_NONE, &err),
		H_COUNT);
}

static void
test_reject_header_layer_twice(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_header(prog, "eth2", T_ETH, FT_PROTO_ETH, FT_L_ETH, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "eth2", "layer eth already has header 'ethernet'");
	REJECT(prog, ft_program_add_header(prog, "in_eth2", T_ETH, FT_PROTO_ETH, FT_L_IN_ETH, &err),
	       -EINVAL, FT_ERR_HEADER, H_COUNT, "in_eth2",
	       "layer inner_eth already has header 'inner_ethernet'");
	/* any number of unparsed instances */
	assert_int_equal(ft_program_add_header(prog, "eth2", T_ETH, FT_PROTO_ETH, FT_L_NONE, &err),
			 H_COUNT);
	assert_int_equal(ft_program_add_header(prog, "eth3", T_ETH, FT_PROTO_ETH, FT_L_NONE, &err),
			 H_COUNT + 1);
}

static void
test_reject_headers_max(void **state)
{
	struct ft_program *prog = *state;
	char name[16];
	uint32_t i;

	for (i = H_COUNT; i < FT_HEADERS_MAX; i++) {
		snprintf(name, sizeof(name), "h%u", i);
		assert_int_equal(
			ft_program_add_header(prog, name, T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
			(int)i);
	}
	REJECT(prog, ft_program_add_header(prog, "one_more", T_UDP, FT_PROTO_UDP, FT_L_NONE, &err),
	       -ENOTSUP, FT_ERR_HEADER, FT_HEADERS_MAX, "one_more", "at most 32 are supported");
}

static void
test_reject_metadata(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_metadata(prog, "", 8, &err), -EINVAL, FT_ERR_FIELD, M_COUNT, "",
	       "has no name");
	REJECT(prog, ft_program_add_metadata(prog, NULL, 8, &err), -EINVAL, FT_ERR_FIELD, M_COUNT,
	       "", "has no name");
	REJECT(prog, ft_program_add_metadata(prog, "vni", 8, &err), -EINVAL, FT_ERR_FIELD, M_COUNT,
	       "vni", "duplicate metadata name: metadata field 0");
	REJECT(prog, ft_program_add_metadata(prog, "x", 0, &err), -EINVAL, FT_ERR_FIELD, M_COUNT,
	       "x", "has 0 bits");
	REJECT(prog, ft_program_add_metadata(prog, "x", 129, &err), -ENOTSUP, FT_ERR_FIELD, M_COUNT,
	       "x", "has 129 bits; at most 128 are supported");
}

static void
test_reject_metadata_total(void **state)
{
	struct ft_program *prog = *state;
	char name[8];
	uint32_t i;

	/* the VTEP has 3 + 4 + 1 + 2 + 2 = 12 bytes; 7 * 16 more make 124 */
	for (i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "w%u", i);
		assert_int_equal(ft_program_add_metadata(prog, name, 128, &err), M_COUNT + i);
	}
	/* 33 bits take 5 bytes: 129 */
	REJECT(prog, ft_program_add_metadata(prog, "x", 33, &err), -ENOTSUP, FT_ERR_FIELD,
	       M_COUNT + 7, "x", "metadata would take 129 bytes");
	assert_int_equal(ft_program_add_metadata(prog, "x", 32, &err), M_COUNT + 7);
	REJECT(prog, ft_program_add_metadata(prog, "y", 1, &err), -ENOTSUP, FT_ERR_FIELD,
	       M_COUNT + 8, "y", "at most 128 are supported");
}

static void
test_reject_vxlan_ports(void **state)
{
	struct ft_program *prog = *state;
	uint16_t ports[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	const uint16_t *p;
	uint32_t n;

	REJECT(prog, ft_program_set_vxlan_ports(prog, ports, 9, &err), -ENOTSUP, FT_ERR_PROGRAM,
	       UINT32_MAX, "", "9 VXLAN ports; at most 8 are supported");
	REJECT(prog, ft_program_set_vxlan_ports(prog, NULL, 1, &err), -EINVAL, FT_ERR_PROGRAM,
	       UINT32_MAX, "", "no array");
	ports[2] = 0;
	REJECT(prog, ft_program_set_vxlan_ports(prog, ports, 3, &err), -EINVAL, FT_ERR_PROGRAM, 2,
	       "", "VXLAN port 2 is 0");
	ports[2] = 1;
	REJECT(prog, ft_program_set_vxlan_ports(prog, ports, 3, &err), -EINVAL, FT_ERR_PROGRAM, 2,
	       "", "VXLAN port 2 repeats port 0");
	p = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 2);
	assert_int_equal(p[0], 4789);
	assert_int_equal(p[1], 8472);
	ports[2] = 3;
	assert_int_equal(ft_program_set_vxlan_ports(prog, ports, 8, &err), 0);
	p = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 8);
	assert_int_equal(p[7], 8);
	assert_int_equal(ft_program_set_vxlan_ports(prog, NULL, 0, &err), 0);
	ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 0);
}

static void
test_reject_emit(void **state)
{
	struct ft_program *prog = *state;
	uint32_t bad[3] = {H_ETH, H_COUNT, H_IPV4};
	const uint32_t *e;
	uint32_t n;

	REJECT(prog, ft_program_set_emit(prog, bad, 3, &err), -EINVAL, FT_ERR_HEADER, H_COUNT, "",
	       "emit position 1 names header 10, which does not exist");
	bad[1] = H_ETH;
	REJECT(prog, ft_program_set_emit(prog, bad, 3, &err), -EINVAL, FT_ERR_HEADER, H_ETH,
	       "ethernet", "emitted twice (emit positions 0 and 1)");
	REJECT(prog, ft_program_set_emit(prog, NULL, 2, &err), -EINVAL, FT_ERR_PROGRAM, UINT32_MAX,
	       "", "no array");
	e = ft_program_emit(prog, &n);
	assert_int_equal(n, ARRAY_SIZE(emit_in));
	assert_memory_equal(e, emit_in, sizeof(emit_in));
	assert_int_equal(ft_program_set_emit(prog, NULL, 0, &err), 0);
	assert_null(ft_program_emit(prog, &n));
	assert_int_equal(n, 0);
}

/* Adds an action with one operation. */
static int
add_op(struct ft_program *prog, const char *name, const struct ft_param_decl *params,
       uint32_t n_params, struct ft_op o)
{
	return ft_program_add_action(prog, name, params, n_params, &o, 1, &err);
}

static void
test_reject_action_names(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op d = op(FT_OP_DROP, none, none, none);

	REJECT(prog, add_op(prog, "", NULL, 0, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "",
	       "action 10 has no name");
	REJECT(prog, add_op(prog, "drop", NULL, 0, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "drop",
	       "duplicate action name: action 1");
	REJECT(prog, ft_program_add_action(prog, "x", NULL, 0, NULL, 2, &err), -EINVAL,
	       FT_ERR_ACTION, A_COUNT, "x", "n_ops is 2 but ops is NULL");
}

static const char *const names9[9] = {"p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8"};

static void
test_reject_params(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op d = op(FT_OP_DROP, none, none, none);
	struct ft_param_decl p[9];
	uint32_t i;

	p[0] = (struct ft_param_decl){"a", 8};
	p[1] = (struct ft_param_decl){"a", 8};
	REJECT(prog, add_op(prog, "x", p, 2, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "parameter 1 has the name of parameter 0 ('a')");
	p[1] = (struct ft_param_decl){"", 8};
	REJECT(prog, add_op(prog, "x", p, 2, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "parameter 1 has no name");
	p[1] = (struct ft_param_decl){"b", 0};
	REJECT(prog, add_op(prog, "x", p, 2, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "parameter 1 ('b') has 0 bits");
	p[1] = (struct ft_param_decl){"b", 129};
	REJECT(prog, add_op(prog, "x", p, 2, d), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "parameter 1 ('b') has 129 bits");
	REJECT(prog, add_op(prog, "x", NULL, 2, d), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "n_params is 2 but params is NULL");
	for (i = 0; i < 9; i++)
		p[i] = (struct ft_param_decl){names9[i], 128};
	REJECT(prog, add_op(prog, "x", p, 9, d), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "parameters take 144 bytes; at most 128 are supported");
	assert_int_equal(add_op(prog, "x", p, 8, d), A_COUNT);
	assert_int_equal(ft_program_action_data_size(prog, A_COUNT), 128);
}

/* Each way an operand can designate nothing. */
static void
test_reject_refs(void **state)
{
	struct ft_program *prog = *state;
	struct ft_param_decl p = {"v", 8};
	struct ft_ref c;
	struct ft_op o;

	o = op(FT_OP_SET, fld(H_COUNT, 0), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (set): destination names header 10, which does not exist");
	o = op(FT_OP_SET, fld(H_IPV4, 12), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination names field 12 of header 'ipv4', which has 12 fields");
	o = op(FT_OP_SET, ft_ref_meta(M_COUNT), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination names metadata field 5, which does not exist");
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), ft_ref_std(FT_STD_COUNT), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a names standard metadata 5, which does not exist");
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), ft_ref_param(1), none);
	REJECT(prog, add_op(prog, "x", &p, 1, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a names parameter 1; the action has 1");
	o = op(FT_OP_SET_VALID, ft_ref_header(H_COUNT), none, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (set_valid): destination names header 10, which does not exist");
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), k(0, 0), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is a constant of 0 bits; constants have 1 to 128");
	c = k(0, 8);
	c.width = 129;
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), c, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is a constant of 129 bits");
	c = k(0, 8);
	c.value[14] = 1;
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), c, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is a constant with bits set above its width of 8 bits");
	c = k(0, 4);
	c.value[15] = 0x10;
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), c, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "bits set above its width of 4 bits");
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), none, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is missing");
	c = k(1, 8);
	c.kind = (enum ft_ref_kind)42;
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), c, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a has unknown kind 42");
	o = op((enum ft_op_kind)99, none, none, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (?): unknown operation kind 99");
	o = op_list(FT_OP_CSUM, 0, fld(H_IPV4, F_IP_CSUM), NULL, 2);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "n_list is 2 but list is NULL");
}

static void
test_reject_set_dst(void **state)
{
	struct ft_program *prog = *state;
	struct ft_param_decl p = {"v", 8};
	struct ft_op o;

	o = op(FT_OP_SET, k(1, 8), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is a constant; it must be a header field or metadata");
	o = op(FT_OP_SET, ft_ref_std(FT_STD_OUT_PORT), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is standard metadata; it must be a header field or metadata");
	o = op(FT_OP_SET, ft_ref_param(0), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", &p, 1, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is an action parameter; it must be a header field or metadata");
	o = op(FT_OP_ADD, ft_ref_std(FT_STD_RID), k(1, 8), k(1, 8));
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (add): destination is standard metadata");
	o = op(FT_OP_NOT, k(1, 8), k(1, 8), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (not): destination is a constant");
}

static void
test_reject_set_widths(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op o;

	o = op(FT_OP_SET, fld(H_IPV6, F_V6_DST), fld(H_IPV4, F_IP_DST), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "assigns between values of 128 and 32 bits");
	o = op(FT_OP_SET, ft_ref_meta(M_PORT), fld(H_IPV6, F_V6_DST), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "assigns between values of 32 and 128 bits");
	o = op(FT_OP_SET, fld(H_IPV6, F_V6_DST), k(1, 64), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "values wider than 64 bits only go with values of the same width");
	/* up to 64 bits, widths mix (truncate / zero-extend) */
	o = op(FT_OP_SET, fld(H_IPV4, F_IP_FLAGS), ft_ref_std(FT_STD_TIMESTAMP), none);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

static void
test_reject_set_header(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op o;

	o = op(FT_OP_SET, ft_ref_header(H_O_IPV4), ft_ref_header(H_ETH), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "header 'outer_ipv4' and header 'ethernet' are of different types ('ipv4_t', "
	       "'ethernet_t')");
	o = op(FT_OP_SET, ft_ref_header(H_O_ETH), fld(H_ETH, F_ETH_DST), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is a header field; it must be a whole header");
	o = op(FT_OP_SET, ft_ref_meta(M_VNI), ft_ref_header(H_ETH), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is metadata; it must be a whole header");
}

static void
test_reject_arith_wide(void **state)
{
	static const enum ft_op_kind kinds[] = {FT_OP_ADD, FT_OP_SUB, FT_OP_AND, FT_OP_OR,
						FT_OP_XOR, FT_OP_SHL, FT_OP_SHR};
	struct ft_program *prog = *state;
	struct ft_op o;
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		o = op(kinds[i], fld(H_IPV6, F_V6_DST), fld(H_IPV6, F_V6_DST), k(1, 8));
		REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
		       "destination ipv6.dst_addr is 128 bits; values wider than 64 bits");
		o = op(kinds[i], ft_ref_meta(M_PORT), ft_ref_meta(M_PORT), fld(H_IPV6, F_V6_SRC));
		REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
		       "operand b ipv6.src_addr is 128 bits");
	}
	o = op(FT_OP_NOT, ft_ref_meta(M_PORT), fld(H_IPV6, F_V6_SRC), none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (not): operand a ipv6.src_addr is 128 bits");
	o = op(FT_OP_ADD, ft_ref_meta(M_PORT), ft_ref_header(H_ETH), k(1, 8));
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a is a whole header; it must be a value");
}

static void
test_reject_set_valid(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op o;

	o = op(FT_OP_SET_VALID, fld(H_O_ETH, F_ETH_DST), none, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (set_valid): destination is a header field; it must be a whole "
	       "header");
	o = op(FT_OP_SET_INVALID, ft_ref_meta(M_VNI), none, none);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (set_invalid): destination is metadata");
}

static void
test_reject_csum(void **state)
{
	struct ft_program *prog = *state;
	struct ft_ref l[2] = {fld(H_IPV4, F_IP_VERSION), fld(H_IPV4, F_IP_FLAGS)};
	struct ft_ref hdr = ft_ref_header(H_IPV4);
	struct ft_op o;

	o = op_list(FT_OP_CSUM, 0, fld(H_IPV4, F_IP_SRC), &hdr, 1);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (csum): destination ipv4.src_addr is 32 bits; a checksum has 16");
	o = op_list(FT_OP_CSUM, 0, k(0, 16), &hdr, 1);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is a constant");
	o = op_list(FT_OP_CSUM, 0, fld(H_IPV4, F_IP_CSUM), NULL, 0);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (csum): has no data (list is empty)");
	o = op_list(FT_OP_CSUM, 0, fld(H_IPV4, F_IP_CSUM), l, 2);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "data is 7 bits; only whole bytes of data are supported");
	l[1] = ft_ref_meta(M_COUNT);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "list item 1 names metadata field 5, which does not exist");
	/* 12 + 4 bits: a whole number of bytes */
	l[0] = ft_ref_meta(M_BD);
	l[1] = fld(H_IPV4, F_IP_IHL);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

static void
test_reject_hash(void **state)
{
	struct ft_program *prog = *state;
	struct ft_ref l[1] = {fld(H_IPV4, F_IP_SRC)};
	struct ft_op o;

	o = op_list(FT_OP_HASH, FT_HASH_TARGET_DEFAULT + 1, ft_ref_meta(M_HASH), l, 1);
	o.a = k(0, 8);
	o.b = k(16, 8);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (hash): unknown hash algorithm 5");
	o.id = FT_HASH_CRC32;
	o.b = k(0, 8);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand b (max) is the constant 0");
	o.b = k(16, 8);
	o.dst = fld(H_IPV6, F_V6_SRC);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "destination ipv6.src_addr is 128 bits");
	o.dst = ft_ref_std(FT_STD_RID);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "destination is standard metadata");
	o.dst = ft_ref_meta(M_HASH);
	o.a = ft_ref_header(H_ETH);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a (base) is a whole header");
	o.a = k(0, 8);
	o.n_list = 0;
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "has no data (list is empty)");
	o.n_list = 1;
	l[0] = fld(H_IPV4, F_IP_FLAGS);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "data is 3 bits");
	/* a whole header and a 128-bit field may be hashed */
	l[0] = ft_ref_header(H_IPV6);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

static void
test_reject_ports(void **state)
{
	static const enum ft_op_kind kinds[] = {FT_OP_SEND, FT_OP_REPLICATE, FT_OP_MIRROR};
	static const char *const names[] = {"send", "replicate", "mirror"};
	struct ft_program *prog = *state;
	char needle[96];
	struct ft_op o;
	uint32_t i;

	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		o = op(kinds[i], none, ft_ref_header(H_ETH), none);
		snprintf(needle, sizeof(needle), "operation 0 (%s): operand a is a whole header",
			 names[i]);
		REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
		       needle);
		o = op(kinds[i], none, fld(H_IPV6, F_V6_SRC), none);
		REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
		       "operand a ipv6.src_addr is 128 bits");
		o = op(kinds[i], none, none, none);
		REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
		       "operand a is missing");
	}
	/* DROP takes nothing and checks nothing */
	o = op(FT_OP_DROP, ft_ref_meta(M_COUNT), none, none);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

static void
test_reject_digest(void **state)
{
	struct ft_program *prog = *state;
	struct ft_ref l[5];
	struct ft_op o;
	int d;
	uint32_t i;

	for (i = 0; i < 5; i++)
		l[i] = fld(H_IPV6, F_V6_SRC);
	o = op_list(FT_OP_DIGEST, D_COUNT, none, l, 1);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (digest): digest 1 does not exist");
	d = ft_program_add_digest(prog, "v6", &err);
	assert_int_equal(d, D_COUNT);
	o.n_list = 5;
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "digest 'v6' would carry 80 bytes (each value in whole bytes); at most 64");
	o.n_list = 4;
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

/* Every DIGEST of one digest packs the same widths. */
static void
test_reject_digest_layout(void **state)
{
	struct ft_program *prog = *state;
	struct ft_param_decl p = {"mac", 48};
	struct ft_ref l[2] = {fld(H_ETH, F_ETH_DST), ft_ref_meta(M_PORT)};
	struct ft_op ops[2];

	ops[0] = op_list(FT_OP_DIGEST, D_L2MISS, none, l, 2);
	REJECT(prog, ft_program_add_action(prog, "x", NULL, 0, ops, 1, &err), -EINVAL,
	       FT_ERR_ACTION, A_COUNT, "x",
	       "raises digest 'l2miss' with values of other widths than action 'l2miss' does");
	/* within one action */
	l[1] = ft_ref_meta(M_VNI);
	ops[0] = op_list(FT_OP_DIGEST, D_L2MISS, none, l, 2);
	ops[1] = op_list(FT_OP_DIGEST, D_L2MISS, none, l, 1);
	REJECT(prog, ft_program_add_action(prog, "x", NULL, 0, ops, 2, &err), -EINVAL,
	       FT_ERR_ACTION, A_COUNT, "x",
	       "operation 1 (digest): raises digest 'l2miss' with values of other widths than "
	       "operation 0 does");
	/* a parameter of the same width is the same layout */
	l[0] = ft_ref_param(0);
	assert_int_equal(ft_program_add_action(prog, "x", &p, 1, ops, 1, &err), A_COUNT);
}

static void
test_reject_learn(void **state)
{
	struct ft_program *prog = *state;
	struct ft_ref l[2] = {fld(H_ETH, F_ETH_SRC), ft_ref_std(FT_STD_IN_PORT)};
	struct ft_op o;

	o = op_list(FT_OP_LEARN, A_COUNT, none, l, 1);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (learn): learns with action 10, which does not exist");
	o = op_list(FT_OP_LEARN, A_FORWARD, none, l, 2);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "learns with action 'forward', which has 1 parameters, from 2 values");
	o = op_list(FT_OP_LEARN, A_FORWARD, none, l, 1);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "list item 0 is 48 bits; parameter 'port' of 'forward' has 32");
	l[0] = ft_ref_header(H_ETH);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "list item 0 is a whole header");
	/* narrower values are zero-extended */
	l[0] = ft_ref_meta(M_HASH);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
}

static void
test_reject_count(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op o;

	o = op(FT_OP_COUNT, none, k(0, 8), none);
	o.id = C_COUNT;
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "operation 0 (count): counter 1 does not exist");
	o.id = C_LEARNED;
	o.a = k(1024, 16);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -EINVAL, FT_ERR_ACTION, A_COUNT, "x",
	       "index 1024 is outside counter 'learned' (1024 cells)");
	o.a = fld(H_IPV6, F_V6_SRC);
	REJECT(prog, add_op(prog, "x", NULL, 0, o), -ENOTSUP, FT_ERR_ACTION, A_COUNT, "x",
	       "operand a (index) ipv6.src_addr is 128 bits");
	o.a = k(1023, 16);
	assert_int_equal(add_op(prog, "x", NULL, 0, o), A_COUNT);
	o.a = ft_ref_meta(M_HASH);
	assert_int_equal(add_op(prog, "y", NULL, 0, o), A_COUNT + 1);
}

/* An error in a later operation names its index. */
static void
test_reject_op_index(void **state)
{
	struct ft_program *prog = *state;
	struct ft_op ops[3] = {
		op(FT_OP_DROP, none, none, none),
		op(FT_OP_SET, ft_ref_meta(M_VNI), k(1, 8), none),
		op(FT_OP_SET, ft_ref_meta(M_VNI), ft_ref_param(0), none),
	};

	REJECT(prog, ft_program_add_action(prog, "x", NULL, 0, ops, 3, &err), -EINVAL,
	       FT_ERR_ACTION, A_COUNT, "x",
	       "operation 2 (set): operand a names parameter 0; the action has 0");
}

static struct ft_table_decl
table(const char *name, const struct ft_key_decl *keys, uint32_t n_keys,
      const struct ft_table_action *acts, uint32_t n_acts, uint32_t dflt)
{
	struct ft_table_decl d = {.name = name,
				  .keys = keys,
				  .n_keys = n_keys,
				  .actions = acts,
				  .n_actions = n_acts,
				  .default_action = dflt,
				  .size = 100};

	return d;
}

static const struct ft_table_action drop_only[] = {{A_DROP, FT_SCOPE_ANY}};

static void
test_reject_table_names(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_decl d = table("", vni_keys, 1, drop_only, 1, A_DROP);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "",
	       "table 5 has no name");
	d.name = "fdb";
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "fdb",
	       "duplicate table name: table 2 is also named 'fdb'");
	REJECT(prog, ft_program_add_table(prog, NULL, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "",
	       "no table declaration");
}

static void
test_reject_table_size(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_decl d = table("t", vni_keys, 1, drop_only, 1, A_DROP);

	d.size = 0;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "table size is 0; a table holds 1 to 16777216 entries");
	d.size = FT_TABLE_SIZE_MAX + 1;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -ENOTSUP, FT_ERR_TABLE, TB_COUNT, "t",
	       "table size is 16777217; at most 16777216 entries are supported");
	d.size = 1;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
}

static void
test_reject_table_key_kinds(void **state)
{
	struct ft_program *prog = *state;
	struct ft_key_decl key = {k(1, 8), FT_MATCH_EXACT};
	struct ft_table_decl d = table("t", &key, 1, drop_only, 1, A_DROP);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 0 is a constant; it must be a header field, metadata or standard metadata");
	key.ref = ft_ref_param(0);
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 0 is an action parameter");
	key.ref = ft_ref_header(H_ETH);
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 0 is a whole header");
	key.ref = fld(H_ETH, 3);
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 0 names field 3 of header 'ethernet', which has 3 fields");
	key.ref = ft_ref_std(FT_STD_TIMESTAMP);
	key.match = (enum ft_match_kind)7;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 0 has unknown match kind 7");
	d.keys = NULL;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "n_keys is 1 but keys is NULL");
	/* a keyless table is allowed (it always misses) */
	d.n_keys = 0;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
	assert_int_equal(ft_program_key_size(prog, TB_COUNT), 0);
}

static void
test_reject_table_key_size(void **state)
{
	struct ft_program *prog = *state;
	struct ft_key_decl keys[5];
	struct ft_table_decl d = table("t", keys, 5, drop_only, 1, A_DROP);
	uint32_t i;

	for (i = 0; i < 5; i++)
		keys[i] = (struct ft_key_decl){fld(H_IPV6, i < 4 ? F_V6_SRC : F_V6_DST),
					       FT_MATCH_TERNARY};
	REJECT(prog, ft_program_add_table(prog, &d, &err), -ENOTSUP, FT_ERR_TABLE, TB_COUNT, "t",
	       "key is 80 bytes (each field in whole bytes); at most 64 are supported");
	d.n_keys = 4;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
	assert_int_equal(ft_program_key_size(prog, TB_COUNT), 64);
}

static void
test_reject_table_lpm(void **state)
{
	struct ft_program *prog = *state;
	struct ft_key_decl keys[3] = {
		{fld(H_IPV4, F_IP_SRC), FT_MATCH_LPM},
		{fld(H_IPV4, F_IP_PROTO), FT_MATCH_TERNARY},
		{fld(H_IPV4, F_IP_DST), FT_MATCH_LPM},
	};
	struct ft_table_decl d = table("t", keys, 3, drop_only, 1, A_DROP);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -ENOTSUP, FT_ERR_TABLE, TB_COUNT, "t",
	       "key 2 is a second lpm field; at most one is supported");
	keys[2].match = FT_MATCH_EXACT;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
}

static void
test_reject_table_actions(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_action acts[3] = {
		{A_DROP, FT_SCOPE_ANY}, {A_FORWARD, FT_SCOPE_ANY}, {A_COUNT, FT_SCOPE_ANY}};
	struct ft_table_decl d = table("t", vni_keys, 1, acts, 3, A_DROP);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 10 of the table's list does not exist");
	acts[2].action = A_DROP;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 'drop' is listed twice");
	acts[2] = (struct ft_table_action){A_NOOP, (enum ft_action_scope)3};
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 'NoAction' has unknown scope 3");
	d.n_actions = 0;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "table has no actions");
	d.n_actions = 2;
	d.actions = NULL;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "table has no actions");
}

static void
test_reject_table_default(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_action acts[2] = {{A_DROP, FT_SCOPE_TABLE_ONLY},
					  {A_FORWARD, FT_SCOPE_DEFAULT_ONLY}};
	struct ft_table_decl d = table("t", vni_keys, 1, acts, 2, A_NOOP);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "default action 0 ('NoAction') is not one of the table's actions");
	d.default_action = A_COUNT + 3;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "default action 13 is not one of the table's actions");
	d.default_action = A_DROP;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "default action 'drop' is @tableonly");
	d.default_action = A_FORWARD;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
}

static void
test_reject_add_on_miss_keys(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_decl d = tables_in[TB_SMAC];
	struct ft_key_decl keys[2] = {smac_keys[0], smac_keys[1]};

	d.name = "smac2";
	d.keys = keys;
	keys[1].match = FT_MATCH_TERNARY;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "smac2",
	       "key 1 is ternary; add_on_miss tables are exact-match");
	keys[1].match = FT_MATCH_LPM;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "smac2",
	       "key 1 is lpm; add_on_miss tables are exact-match");
	d.n_keys = 0;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "smac2",
	       "an add_on_miss table needs a key");
	d.n_keys = 1;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
}

static void
test_reject_learning_tables(void **state)
{
	struct ft_program *prog = *state;
	struct ft_table_action acts[2] = {{A_FORWARD, FT_SCOPE_ANY},
					  {A_LEARN, FT_SCOPE_DEFAULT_ONLY}};
	struct ft_table_decl d = table("t", smac_keys, 2, acts, 2, A_LEARN);

	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 'learn_mac' learns, which only the default action of an add_on_miss "
	       "table may do");
	d.add_on_miss = true;
	acts[1].scope = FT_SCOPE_TABLE_ONLY;
	d.default_action = A_FORWARD;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 'learn_mac' learns, so it must be @defaultonly or the table's default "
	       "action");
	acts[1].scope = FT_SCOPE_ANY;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "must be @defaultonly or the table's default action");
	/* the learned action must be an entry action of the table */
	d.default_action = A_LEARN;
	acts[0].scope = FT_SCOPE_DEFAULT_ONLY;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "action 'learn_mac' learns entries of action 'forward', which is not an entry "
	       "action of the table");
	acts[0].action = A_DROP;
	acts[0].scope = FT_SCOPE_ANY;
	REJECT(prog, ft_program_add_table(prog, &d, &err), -EINVAL, FT_ERR_TABLE, TB_COUNT, "t",
	       "learns entries of action 'forward'");
	/* scope any, as the default action: fine */
	acts[0].action = A_FORWARD;
	assert_int_equal(ft_program_add_table(prog, &d, &err), TB_COUNT);
}

static void
test_reject_counter_digest(void **state)
{
	struct ft_program *prog = *state;

	REJECT(prog, ft_program_add_counter(prog, "", 1, &err), -EINVAL, FT_ERR_PROGRAM, C_COUNT,
	       "", "counter 1 has no name");
	REJECT(prog, ft_program_add_counter(prog, "learned", 1, &err), -EINVAL, FT_ERR_PROGRAM,
	       C_COUNT, "learned", "duplicate counter name: counter 0");
	REJECT(prog, ft_program_add_counter(prog, "c", 0, &err), -EINVAL, FT_ERR_PROGRAM, C_COUNT,
	       "c", "counter 'c' has 0 cells");
	REJECT(prog, ft_program_add_counter(prog, "c", FT_TABLE_SIZE_MAX + 1, &err), -ENOTSUP,
	       FT_ERR_PROGRAM, C_COUNT, "c", "at most 16777216 are supported");
	assert_int_equal(ft_program_add_counter(prog, "c", FT_TABLE_SIZE_MAX, &err), C_COUNT);
	REJECT(prog, ft_program_add_digest(prog, NULL, &err), -EINVAL, FT_ERR_PROGRAM, D_COUNT, "",
	       "digest 1 has no name");
	REJECT(prog, ft_program_add_digest(prog, "l2miss", &err), -EINVAL, FT_ERR_PROGRAM, D_COUNT,
	       "l2miss", "duplicate digest name: digest 0");
}

static void
test_reject_limits(void **state)
{
	struct ft_program *prog = *state;
	struct ft_program_info info;

	REJECT(prog, ft_program_set_limits(prog, 0, 1, &err), -EINVAL, FT_ERR_PROGRAM, UINT32_MAX,
	       "", "the number of replication groups is 0");
	REJECT(prog, ft_program_set_limits(prog, 1, 0, &err), -EINVAL, FT_ERR_PROGRAM, UINT32_MAX,
	       "", "the number of mirror sessions is 0");
	REJECT(prog, ft_program_set_limits(prog, 65537, 1, &err), -ENOTSUP, FT_ERR_PROGRAM,
	       UINT32_MAX, "", "65537 replication groups; at most 65536");
	REJECT(prog, ft_program_set_limits(prog, 1, 257, &err), -ENOTSUP, FT_ERR_PROGRAM,
	       UINT32_MAX, "", "257 mirror sessions; at most 256");
	assert_int_equal(ft_program_set_limits(prog, 65536, 256, &err), 0);
	ft_program_info(prog, &info);
	assert_int_equal(info.n_groups, 65536);
	assert_int_equal(info.n_mirrors, 256);
}

static void
test_reject_conds(void **state)
{
	struct ft_program *prog = *state;
	struct ft_cond c = {.kind = FT_COND_VALID, .hdr = H_COUNT};

	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "condition 7: header 10 does not exist");
	c = (struct ft_cond){.kind = FT_COND_NOT, .l = CD_COUNT};
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "condition 7: l is condition 7; it must be an earlier one");
	c = (struct ft_cond){.kind = FT_COND_AND, .l = 0, .r = CD_COUNT + 1};
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "r is condition 8; it must be an earlier one");
	c = (struct ft_cond){.kind = FT_COND_OR, .l = CD_COUNT, .r = 0};
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "l is condition 7");
	c = (struct ft_cond){.kind = (enum ft_cond_kind)9};
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "condition 7: unknown kind 9");
	REJECT(prog, ft_program_add_cond(prog, NULL, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "no condition");
}

static void
test_reject_cmp(void **state)
{
	struct ft_program *prog = *state;
	struct ft_cond c = {.kind = FT_COND_CMP,
			    .cmp = FT_CMP_LT,
			    .a = fld(H_IPV6, F_V6_SRC),
			    .b = fld(H_IPV6, F_V6_DST)};

	REJECT(prog, ft_program_add_cond(prog, &c, &err), -ENOTSUP, FT_ERR_CONTROL, CD_COUNT, "",
	       "condition 7: orders values of 128 bits; values wider than 64 bits can only be "
	       "compared for equality");
	c.cmp = FT_CMP_EQ;
	c.b = fld(H_IPV4, F_IP_DST);
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -ENOTSUP, FT_ERR_CONTROL, CD_COUNT, "",
	       "compares values of 128 and 32 bits");
	c.b = ft_ref_param(0);
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "operand b is an action parameter outside an action");
	c.b = ft_ref_header(H_IPV6);
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "operand b is a whole header");
	c.b = fld(H_IPV6, F_V6_DST);
	c.cmp = (enum ft_cmp)6;
	REJECT(prog, ft_program_add_cond(prog, &c, &err), -EINVAL, FT_ERR_CONTROL, CD_COUNT, "",
	       "unknown comparison 6");
	c.cmp = FT_CMP_NE;
	assert_int_equal(ft_program_add_cond(prog, &c, &err), CD_COUNT);
	/* narrow values of any widths may be ordered */
	c = (struct ft_cond){.kind = FT_COND_CMP,
			     .cmp = FT_CMP_GE,
			     .a = fld(H_IPV4, F_IP_FLAGS),
			     .b = ft_ref_std(FT_STD_TIMESTAMP)};
	assert_int_equal(ft_program_add_cond(prog, &c, &err), CD_COUNT + 1);
}

static void
test_reject_nodes(void **state)
{
	struct ft_program *prog = *state;
	struct ft_node n = {.kind = FT_NODE_APPLY,
			    .table = TB_COUNT,
			    .next = END,
			    .next_hit = DFLT,
			    .next_miss = DFLT};

	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "node 7: applies table 5, which does not exist");
	n = (struct ft_node){.kind = FT_NODE_RUN, .action = A_COUNT, .next = END};
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress", "node 2: runs action 10, which does not exist");
	n.action = A_FORWARD;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress", "runs action 'forward', which has 1 parameters");
	n.action = A_LEARN;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress",
	       "runs action 'learn_mac', which learns; only the default action of an add_on_miss "
	       "table may learn");
	n = (struct ft_node){.kind = FT_NODE_IF, .cond = CD_COUNT, .next = END, .next_false = END};
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress", "tests condition 7, which does not exist");
	n.kind = (enum ft_node_kind)5;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress", "node 2: has unknown kind 5");
	REJECT(prog, ft_program_add_node(prog, FT_CTL_COUNT, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       UINT32_MAX, "", "unknown control 2");
	REJECT(prog, ft_program_add_node(prog, FT_CTL_EGRESS, NULL, &err), -EINVAL, FT_ERR_CONTROL,
	       N_EG, "egress", "no node");
}

static void
test_reject_node_edges(void **state)
{
	struct ft_program *prog = *state;
	struct ft_node n = {.kind = FT_NODE_IF, .cond = 0, .next = N_IN, .next_false = END};

	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress",
	       "node 7: next is node 7; edges go forward, to a node after 7, or to FT_NODE_END");
	n.next = END;
	n.next_false = 3;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "next_false is node 3; edges go forward");
	n.next_false = DFLT;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress",
	       "next_false is FT_NEXT_DEFAULT, which only next_hit and next_miss may be");
	n = (struct ft_node){.kind = FT_NODE_RUN, .action = A_DROP, .next = DFLT};
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "next is FT_NEXT_DEFAULT");
	n = (struct ft_node){.kind = FT_NODE_APPLY,
			     .table = TB_ACL,
			     .next = END,
			     .next_hit = 2,
			     .next_miss = DFLT};
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "next_hit is node 2; edges go forward");
	n.next_hit = END;
	n.next_miss = N_IN;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "next_miss is node 7");
	/* successors may name nodes not added yet */
	n.next_miss = N_IN + 5;
	assert_int_equal(ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), N_IN);
}

static void
test_reject_on_action(void **state)
{
	struct ft_program *prog = *state;
	struct ft_action_next an[2] = {{A_DROP, END}, {A_ENCAP, END}};
	struct ft_node n = {.kind = FT_NODE_APPLY,
			    .table = TB_ACL,
			    .next = END,
			    .next_hit = DFLT,
			    .next_miss = DFLT,
			    .on_action = an,
			    .n_on_action = 2};

	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress",
	       "on_action 1 names action 5 ('encap'), which is not an action of table 'acl'");
	an[1].action = A_COUNT;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "on_action 1 names action 10, which is not an action");
	an[1].action = A_DROP;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "on_action 1 repeats action 'drop'");
	an[1] = (struct ft_action_next){A_NOOP, 1};
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "on_action 1 next is node 1; edges go forward");
	an[1].next = DFLT;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "on_action 1 next is FT_NEXT_DEFAULT");
	n.on_action = NULL;
	REJECT(prog, ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), -EINVAL, FT_ERR_CONTROL,
	       N_IN, "ingress", "n_on_action is 2 but on_action is NULL");
}

/* ft_program_validate(): the checks that need the whole program. */
static void
test_validate_successors(void **state)
{
	struct ft_program *prog = *state;
	struct ft_action_next an[1] = {{A_NOOP, N_IN + 2}};
	struct ft_node n = {.kind = FT_NODE_APPLY,
			    .table = TB_ACL,
			    .next = END,
			    .next_hit = DFLT,
			    .next_miss = N_IN + 1};
	struct ft_program *p2;

	assert_int_equal(ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), N_IN);
	memset(&err, 0, sizeof(err));
	check_reject(ft_program_validate(prog, &err), -EINVAL, FT_ERR_CONTROL, N_IN, "ingress",
		     "node 7: next_miss is node 8, which does not exist (the control has 8 "
		     "nodes)");
	n = (struct ft_node){.kind = FT_NODE_RUN, .action = A_NOOP, .next = END};
	assert_int_equal(ft_program_add_node(prog, FT_CTL_INGRESS, &n, &err), N_IN + 1);
	assert_int_equal(ft_program_validate(prog, &err), 0);

	p2 = new_vtep();
	n = (struct ft_node){.kind = FT_NODE_APPLY,
			     .table = TB_ACL,
			     .next = END,
			     .next_hit = DFLT,
			     .next_miss = DFLT,
			     .on_action = an,
			     .n_on_action = 1};
	assert_int_equal(ft_program_add_node(p2, FT_CTL_EGRESS, &n, &err), N_EG);
	memset(&err, 0, sizeof(err));
	check_reject(ft_program_validate(p2, &err), -EINVAL, FT_ERR_CONTROL, N_EG, "egress",
		     "node 2: on_action 0 next is node 9, which does not exist (the control has 3 "
		     "nodes)");
	ft_program_destroy(p2);

	p2 = new_vtep();
	n = (struct ft_node){.kind = FT_NODE_IF, .cond = 0, .next = N_EG + 1, .next_false = END};
	assert_int_equal(ft_program_add_node(p2, FT_CTL_EGRESS, &n, &err), N_EG);
	memset(&err, 0, sizeof(err));
	check_reject(ft_program_validate(p2, &err), -EINVAL, FT_ERR_CONTROL, N_EG, "egress",
		     "next is node 3, which does not exist");
	ft_program_destroy(p2);
}

static void
test_null_program(void **state)
{
	struct ft_program_info info;
	uint32_t n = 5;

	(void)state;
	memset(&err, 0, sizeof(err));
	check_reject(ft_program_add_metadata(NULL, "x", 1, &err), -EINVAL, FT_ERR_PROGRAM,
		     UINT32_MAX, "", "no program");
	check_reject(ft_program_validate(NULL, &err), -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, "",
		     "no program");
	ft_program_info(NULL, &info);
	assert_int_equal(info.n_headers, 0);
	assert_null(ft_program_emit(NULL, &n));
	assert_int_equal(n, 0);
	assert_int_equal(ft_program_find_table(NULL, "fdb"), -ENOENT);
	/* a NULL err is allowed everywhere */
	assert_int_equal(ft_program_add_table(NULL, NULL, NULL), -EINVAL);
}

/* Every allocation of a whole build fails in turn: -ENOMEM, nothing half-added, no leak. */
static void
test_out_of_memory(void **state)
{
	struct build b;
	uint32_t n, failures = 0;

	(void)state;
	init_vtep_data();
	for (n = 1;; n++) {
		memset(&b, 0, sizeof(b));
		b.oom = true;
		ft_program_alloc_fail = n;
		b.prog = ft_program_create("vtep");
		if (b.prog == NULL) {
			assert_int_equal(ft_program_alloc_fail, 0);
			failures++;
			continue;
		}
		build_vtep(&b);
		if (ft_program_alloc_fail != 0) {
			/* the n-th allocation was never made: the build is complete */
			ft_program_alloc_fail = 0;
			assert_int_equal(b.rc, 0);
			assert_int_equal(ft_program_validate(b.prog, NULL), 0);
			ft_program_destroy(b.prog);
			break;
		}
		assert_int_equal(b.rc, -ENOMEM);
		failures++;
		ft_program_destroy(b.prog);
	}
	assert_int_equal(failures, n - 1);
	assert_true(failures > 100);
}

int
main(void)
{
#define VTEP_TEST(t) cmocka_unit_test_setup_teardown(t, setup_vtep, teardown_vtep)
	const struct CMUnitTest tests[] = {
		VTEP_TEST(test_vtep_info),
		VTEP_TEST(test_vtep_headers),
		VTEP_TEST(test_vtep_actions),
		VTEP_TEST(test_vtep_tables),
		VTEP_TEST(test_vtep_control),
		VTEP_TEST(test_copies),
		VTEP_TEST(test_default_data_zero),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_ref_constructors),
		VTEP_TEST(test_resolve),
		VTEP_TEST(test_ref_width),
		VTEP_TEST(test_reject_type_name),
		VTEP_TEST(test_reject_field_names),
		VTEP_TEST(test_reject_field_bits),
		VTEP_TEST(test_reject_type_size),
		VTEP_TEST(test_reject_header_names),
		VTEP_TEST(test_reject_header_type),
		VTEP_TEST(test_reject_header_layer_proto),
		VTEP_TEST(test_reject_header_size),
		VTEP_TEST(test_reject_header_layer_twice),
		VTEP_TEST(test_reject_headers_max),
		VTEP_TEST(test_reject_metadata),
		VTEP_TEST(test_reject_metadata_total),
		VTEP_TEST(test_reject_vxlan_ports),
		VTEP_TEST(test_reject_emit),
		VTEP_TEST(test_reject_action_names),
		VTEP_TEST(test_reject_params),
		VTEP_TEST(test_reject_refs),
		VTEP_TEST(test_reject_set_dst),
		VTEP_TEST(test_reject_set_widths),
		VTEP_TEST(test_reject_set_header),
		VTEP_TEST(test_reject_arith_wide),
		VTEP_TEST(test_reject_set_valid),
		VTEP_TEST(test_reject_csum),
		VTEP_TEST(test_reject_hash),
		VTEP_TEST(test_reject_ports),
		VTEP_TEST(test_reject_digest),
		VTEP_TEST(test_reject_digest_layout),
		VTEP_TEST(test_reject_learn),
		VTEP_TEST(test_reject_count),
		VTEP_TEST(test_reject_op_index),
		VTEP_TEST(test_reject_table_names),
		VTEP_TEST(test_reject_table_size),
		VTEP_TEST(test_reject_table_key_kinds),
		VTEP_TEST(test_reject_table_key_size),
		VTEP_TEST(test_reject_table_lpm),
		VTEP_TEST(test_reject_table_actions),
		VTEP_TEST(test_reject_table_default),
		VTEP_TEST(test_reject_add_on_miss_keys),
		VTEP_TEST(test_reject_learning_tables),
		VTEP_TEST(test_reject_counter_digest),
		VTEP_TEST(test_reject_limits),
		VTEP_TEST(test_reject_conds),
		VTEP_TEST(test_reject_cmp),
		VTEP_TEST(test_reject_nodes),
		VTEP_TEST(test_reject_node_edges),
		VTEP_TEST(test_reject_on_action),
		VTEP_TEST(test_validate_successors),
		cmocka_unit_test(test_null_program),
		cmocka_unit_test(test_out_of_memory),
	};
#undef VTEP_TEST

	return cmocka_run_group_tests(tests, NULL, NULL);
}
