/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bundled example pipeline: a small VXLAN VTEP built with the builder
 * API (include/flowtwin/program.h), for `flowtwin demo` and the tests. It is
 * what p4/vtep.p4 will say in P4; until the front end exists it is written
 * here in C. Part of tools/.
 *
 * Ingress:
 *   port_vni   std.in_port -> set_vni(vni) for an access port, uplink() for
 *              the uplink; any other port: drop
 *   vni_term   (uplink only) vxlan.vni -> decap(): the VNI goes to
 *              meta.vni, the outer Ethernet/IPv4/UDP/VXLAN become invalid;
 *              an unknown VNI: drop_unknown_vni
 *   fdb        (meta.vni, meta.dmac) -> to_port(port) | to_vtep(encap...)
 *              miss: flood() replicates to group meta.vni
 * Egress, once per copy:
 *   a copy from the tunnel to a tunnel is dropped (split horizon:
 *   drop_split_horizon); a copy to the port it came in on is dropped
 *   (drop_hairpin);
 *   flood_vtep std.rid -> encap_to(encap...) for rid != 0 (a remote VTEP)
 *
 * Encapsulation fills outer Ethernet, IPv4 (DF, TTL 64, checksum), UDP
 * (source port from a CRC32 of the inner addresses in 49152..65535,
 * checksum 0) and VXLAN (flags 0x08, the VNI), as Linux does.
 */
#include <string.h>

#include <flowtwin/pipeline.h>

#include "example_vtep.h"

static const struct ft_field_decl eth_f[] = {{"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
static const struct ft_field_decl ipv4_f[] = {
	{"version", 4},	 {"ihl", 4},	   {"diffserv", 8},	 {"total_len", 16},
	{"identification", 16}, {"flags", 3}, {"frag_offset", 13}, {"ttl", 8},
	{"protocol", 8}, {"hdr_checksum", 16}, {"src_addr", 32},    {"dst_addr", 32},
};
static const struct ft_field_decl udp_f[] = {
	{"src_port", 16}, {"dst_port", 16}, {"length", 16}, {"checksum", 16}};
static const struct ft_field_decl vxlan_f[] = {
	{"flags", 8}, {"reserved", 24}, {"vni", 24}, {"reserved2", 8}};

enum { ETH_DST, ETH_SRC, ETH_TYPE };
enum { IP_VER, IP_IHL, IP_DS, IP_LEN, IP_ID, IP_FLAGS, IP_FRAG, IP_TTL, IP_PROTO, IP_CSUM,
       IP_SRC, IP_DST };
enum { UDP_SPORT, UDP_DPORT, UDP_LEN, UDP_CSUM };
enum { VX_FLAGS, VX_RSVD, VX_VNI, VX_RSVD2 };

struct b {
	struct ft_program *p;
	struct ft_error *err;
	int rc;
	struct ft_op ops[48];
	uint32_t n;
};

static void
op(struct b *b, struct ft_op o)
{
	if (b->n < sizeof(b->ops) / sizeof(b->ops[0]))
		b->ops[b->n++] = o;
}

static void
set(struct b *b, struct ft_ref dst, struct ft_ref a)
{
	op(b, (struct ft_op){.kind = FT_OP_SET, .dst = dst, .a = a});
}

static int
action(struct b *b, const char *name, const struct ft_param_decl *params, uint32_t n_params)
{
	int id = ft_program_add_action(b->p, name, params, n_params, b->ops, b->n, b->err);

	b->n = 0;
	if (id < 0 && b->rc == 0)
		b->rc = id;
	return id;
}

static void
check(struct b *b, int rc)
{
	if (rc < 0 && b->rc == 0)
		b->rc = rc;
}

/*
 * The operations of an encapsulation to a remote VTEP whose MAC, IP and the
 * local source MAC and IP are parameters 0..3 of the action.
 */
static void
encap_ops(struct b *b, const struct example_vtep *v, struct ft_ref *hash_list)
{
	static struct ft_ref csum[11];
	uint32_t nc = 0;

	op(b, (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(v->o_eth)});
	op(b, (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(v->o_ip)});
	op(b, (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(v->o_udp)});
	op(b, (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(v->o_vx)});
	set(b, ft_ref_field(v->o_eth, ETH_DST), ft_ref_param(0));
	set(b, ft_ref_field(v->o_eth, ETH_SRC), ft_ref_param(2));
	set(b, ft_ref_field(v->o_eth, ETH_TYPE), ft_ref_const(0x0800, 16));
	set(b, ft_ref_field(v->o_ip, IP_VER), ft_ref_const(4, 4));
	set(b, ft_ref_field(v->o_ip, IP_IHL), ft_ref_const(5, 4));
	/* Outer length: IPv4 + UDP + VXLAN headers and the inner frame. */
	op(b, (struct ft_op){.kind = FT_OP_ADD, .dst = ft_ref_field(v->o_ip, IP_LEN),
			     .a = ft_ref_std(FT_STD_PKT_LEN), .b = ft_ref_const(36, 16)});
	set(b, ft_ref_field(v->o_ip, IP_FLAGS), ft_ref_const(2, 3)); /* DF */
	set(b, ft_ref_field(v->o_ip, IP_TTL), ft_ref_const(64, 8));
	set(b, ft_ref_field(v->o_ip, IP_PROTO), ft_ref_const(17, 8));
	set(b, ft_ref_field(v->o_ip, IP_SRC), ft_ref_param(3));
	set(b, ft_ref_field(v->o_ip, IP_DST), ft_ref_param(1));
	for (uint32_t f = 0; f < 12; f++)
		if (f != IP_CSUM)
			csum[nc++] = ft_ref_field(v->o_ip, f);
	op(b, (struct ft_op){.kind = FT_OP_CSUM, .dst = ft_ref_field(v->o_ip, IP_CSUM),
			     .list = csum, .n_list = nc});
	op(b, (struct ft_op){.kind = FT_OP_HASH, .id = FT_HASH_TARGET_DEFAULT,
			     .dst = ft_ref_field(v->o_udp, UDP_SPORT),
			     .a = ft_ref_const(49152, 16), .b = ft_ref_const(16384, 16),
			     .list = hash_list, .n_list = 2});
	set(b, ft_ref_field(v->o_udp, UDP_DPORT), ft_ref_const(4789, 16));
	op(b, (struct ft_op){.kind = FT_OP_ADD, .dst = ft_ref_field(v->o_udp, UDP_LEN),
			     .a = ft_ref_std(FT_STD_PKT_LEN), .b = ft_ref_const(16, 16)});
	set(b, ft_ref_field(v->o_vx, VX_FLAGS), ft_ref_const(0x08, 8));
	set(b, ft_ref_field(v->o_vx, VX_VNI), ft_ref_meta(v->m_vni));
}

int
example_vtep_build(struct example_vtep *v, struct ft_error *err)
{
	struct b b = {.err = err};
	int eth, ip, udp, vx;

	memset(v, 0, sizeof(*v));
	b.p = v->prog = ft_program_create("example_vtep");
	if (b.p == NULL)
		return -12;
	check(&b, eth = ft_program_add_header_type(b.p, "ethernet_h", eth_f, 3, err));
	check(&b, ip = ft_program_add_header_type(b.p, "ipv4_h", ipv4_f, 12, err));
	check(&b, udp = ft_program_add_header_type(b.p, "udp_h", udp_f, 4, err));
	check(&b, vx = ft_program_add_header_type(b.p, "vxlan_h", vxlan_f, 4, err));
	if (b.rc)
		goto fail;
	check(&b, v->o_eth = ft_program_add_header(b.p, "outer_ethernet", (uint32_t)eth,
						   FT_PROTO_ETH, FT_L_NONE, err));
	check(&b, v->o_ip = ft_program_add_header(b.p, "outer_ipv4", (uint32_t)ip, FT_PROTO_IPV4,
						  FT_L_NONE, err));
	check(&b, v->o_udp = ft_program_add_header(b.p, "outer_udp", (uint32_t)udp, FT_PROTO_UDP,
						   FT_L_NONE, err));
	check(&b, v->o_vx = ft_program_add_header(b.p, "outer_vxlan", (uint32_t)vx,
						  FT_PROTO_VXLAN, FT_L_NONE, err));
	check(&b, v->eth = ft_program_add_header(b.p, "ethernet", (uint32_t)eth, FT_PROTO_ETH,
						 FT_L_ETH, err));
	check(&b, v->ip = ft_program_add_header(b.p, "ipv4", (uint32_t)ip, FT_PROTO_IPV4,
						FT_L_IPV4, err));
	check(&b, v->udp = ft_program_add_header(b.p, "udp", (uint32_t)udp, FT_PROTO_UDP, FT_L_UDP,
						 err));
	check(&b, v->vx = ft_program_add_header(b.p, "vxlan", (uint32_t)vx, FT_PROTO_VXLAN,
						FT_L_VXLAN, err));
	check(&b, v->in_eth = ft_program_add_header(b.p, "inner_ethernet", (uint32_t)eth,
						    FT_PROTO_ETH, FT_L_IN_ETH, err));
	check(&b, v->m_vni = ft_program_add_metadata(b.p, "vni", 24, err));
	check(&b, v->m_dmac = ft_program_add_metadata(b.p, "dmac", 48, err));
	check(&b, v->m_smac = ft_program_add_metadata(b.p, "smac", 48, err));
	check(&b, v->m_tunnel = ft_program_add_metadata(b.p, "from_tunnel", 1, err));
	if (b.rc)
		goto fail;

	static struct ft_ref hash_list[2];
	hash_list[0] = ft_ref_meta(v->m_smac);
	hash_list[1] = ft_ref_meta(v->m_dmac);

	/* Actions. */
	static const struct ft_param_decl p_vni = {"vni", 24}, p_port = {"port", 32};
	static const struct ft_param_decl p_encap[] = {
		{"remote_mac", 48}, {"remote_ip", 32}, {"local_mac", 48}, {"local_ip", 32},
		{"port", 32}};

	op(&b, (struct ft_op){.kind = FT_OP_DROP});
	v->a_drop = action(&b, "drop", NULL, 0);
	set(&b, ft_ref_meta(v->m_vni), ft_ref_param(0));
	set(&b, ft_ref_meta(v->m_dmac), ft_ref_field(v->eth, ETH_DST));
	set(&b, ft_ref_meta(v->m_smac), ft_ref_field(v->eth, ETH_SRC));
	v->a_set_vni = action(&b, "set_vni", &p_vni, 1);
	set(&b, ft_ref_meta(v->m_tunnel), ft_ref_const(1, 1));
	v->a_uplink = action(&b, "uplink", NULL, 0);
	set(&b, ft_ref_meta(v->m_vni), ft_ref_field(v->vx, VX_VNI));
	set(&b, ft_ref_meta(v->m_dmac), ft_ref_field(v->in_eth, ETH_DST));
	set(&b, ft_ref_meta(v->m_smac), ft_ref_field(v->in_eth, ETH_SRC));
	op(&b, (struct ft_op){.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(v->eth)});
	op(&b, (struct ft_op){.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(v->ip)});
	op(&b, (struct ft_op){.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(v->udp)});
	op(&b, (struct ft_op){.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(v->vx)});
	v->a_decap = action(&b, "decap", NULL, 0);
	op(&b, (struct ft_op){.kind = FT_OP_DROP});
	v->a_drop_vni = action(&b, "drop_unknown_vni", NULL, 0);
	op(&b, (struct ft_op){.kind = FT_OP_SEND, .a = ft_ref_param(0)});
	v->a_to_port = action(&b, "to_port", &p_port, 1);
	encap_ops(&b, v, hash_list);
	op(&b, (struct ft_op){.kind = FT_OP_SEND, .a = ft_ref_param(4)});
	v->a_to_vtep = action(&b, "to_vtep", p_encap, 5);
	op(&b, (struct ft_op){.kind = FT_OP_REPLICATE, .a = ft_ref_meta(v->m_vni)});
	v->a_flood = action(&b, "flood", NULL, 0);
	encap_ops(&b, v, hash_list);
	v->a_encap_to = action(&b, "encap_to", p_encap, 4);
	op(&b, (struct ft_op){.kind = FT_OP_DROP});
	v->a_split = action(&b, "drop_split_horizon", NULL, 0);
	op(&b, (struct ft_op){.kind = FT_OP_DROP});
	v->a_hairpin = action(&b, "drop_hairpin", NULL, 0);
	v->a_noop = action(&b, "no_encap", NULL, 0);
	if (b.rc)
		goto fail;

	/* Tables. */
	{
		struct ft_key_decl k_port = {ft_ref_std(FT_STD_IN_PORT), FT_MATCH_EXACT};
		struct ft_table_action acts[] = {{(uint32_t)v->a_set_vni, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_uplink, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_drop, FT_SCOPE_DEFAULT_ONLY}};
		struct ft_table_decl td = {.name = "port_vni", .keys = &k_port, .n_keys = 1,
					   .actions = acts, .n_actions = 3,
					   .default_action = (uint32_t)v->a_drop,
					   .default_const = true, .size = 256};

		check(&b, v->t_port = ft_program_add_table(b.p, &td, err));
	}
	{
		struct ft_key_decl k = {ft_ref_field(v->vx, VX_VNI), FT_MATCH_EXACT};
		struct ft_table_action acts[] = {{(uint32_t)v->a_decap, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_drop_vni, FT_SCOPE_DEFAULT_ONLY}};
		struct ft_table_decl td = {.name = "vni_term", .keys = &k, .n_keys = 1,
					   .actions = acts, .n_actions = 2,
					   .default_action = (uint32_t)v->a_drop_vni,
					   .default_const = true, .size = 4096};

		check(&b, v->t_term = ft_program_add_table(b.p, &td, err));
	}
	{
		struct ft_key_decl k[] = {{ft_ref_meta(v->m_vni), FT_MATCH_EXACT},
					  {ft_ref_meta(v->m_dmac), FT_MATCH_EXACT}};
		struct ft_table_action acts[] = {{(uint32_t)v->a_to_port, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_to_vtep, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_flood, FT_SCOPE_DEFAULT_ONLY}};
		struct ft_table_decl td = {.name = "fdb", .keys = k, .n_keys = 2, .actions = acts,
					   .n_actions = 3, .default_action = (uint32_t)v->a_flood,
					   .default_const = true, .size = 65536};

		check(&b, v->t_fdb = ft_program_add_table(b.p, &td, err));
	}
	{
		struct ft_key_decl k = {ft_ref_std(FT_STD_RID), FT_MATCH_EXACT};
		struct ft_table_action acts[] = {{(uint32_t)v->a_encap_to, FT_SCOPE_TABLE_ONLY},
						 {(uint32_t)v->a_noop, FT_SCOPE_DEFAULT_ONLY}};
		struct ft_table_decl td = {.name = "flood_vtep", .keys = &k, .n_keys = 1,
					   .actions = acts, .n_actions = 2,
					   .default_action = (uint32_t)v->a_noop,
					   .default_const = true, .size = 4096};

		check(&b, v->t_flood = ft_program_add_table(b.p, &td, err));
	}
	if (b.rc)
		goto fail;

	/* Ingress: 0 port_vni; 1 vni_term (uplink only); 2 fdb. */
	{
		struct ft_action_next on_port[] = {{(uint32_t)v->a_set_vni, 2},
						   {(uint32_t)v->a_uplink, 1}};
		struct ft_action_next on_term[] = {{(uint32_t)v->a_drop_vni, FT_NODE_END}};
		struct ft_node n0 = {.kind = FT_NODE_APPLY, .table = (uint32_t)v->t_port,
				     .next = FT_NODE_END, .next_hit = FT_NEXT_DEFAULT,
				     .next_miss = FT_NEXT_DEFAULT, .on_action = on_port,
				     .n_on_action = 2};
		struct ft_node n1 = {.kind = FT_NODE_APPLY, .table = (uint32_t)v->t_term, .next = 2,
				     .next_hit = FT_NEXT_DEFAULT, .next_miss = FT_NEXT_DEFAULT,
				     .on_action = on_term, .n_on_action = 1};
		struct ft_node n2 = {.kind = FT_NODE_APPLY, .table = (uint32_t)v->t_fdb,
				     .next = FT_NODE_END, .next_hit = FT_NEXT_DEFAULT,
				     .next_miss = FT_NEXT_DEFAULT};

		check(&b, ft_program_add_node(b.p, FT_CTL_INGRESS, &n0, err));
		check(&b, ft_program_add_node(b.p, FT_CTL_INGRESS, &n1, err));
		check(&b, ft_program_add_node(b.p, FT_CTL_INGRESS, &n2, err));
	}
	/*
	 * Egress: 0 if (rid != 0 && from_tunnel) -> 1 split horizon;
	 * 2 if (rid == 0 && out_port == in_port) -> 3 no hairpin; 4 flood_vtep.
	 */
	{
		struct ft_cond rid = {.kind = FT_COND_CMP, .cmp = FT_CMP_NE,
				      .a = ft_ref_std(FT_STD_RID), .b = ft_ref_const(0, 16)};
		struct ft_cond tun = {.kind = FT_COND_CMP, .cmp = FT_CMP_EQ,
				      .a = ft_ref_meta(v->m_tunnel), .b = ft_ref_const(1, 1)};
		struct ft_cond self = {.kind = FT_COND_CMP, .cmp = FT_CMP_EQ,
				       .a = ft_ref_std(FT_STD_OUT_PORT),
				       .b = ft_ref_std(FT_STD_IN_PORT)};
		struct ft_cond both = {.kind = FT_COND_AND}, not_rid = {.kind = FT_COND_NOT};
		struct ft_cond hairpin = {.kind = FT_COND_AND};
		int c_rid, c_tun, c_split, c_self, c_not_rid, c_hairpin;

		check(&b, c_rid = ft_program_add_cond(b.p, &rid, err));
		check(&b, c_tun = ft_program_add_cond(b.p, &tun, err));
		check(&b, c_self = ft_program_add_cond(b.p, &self, err));
		if (b.rc)
			goto fail;
		both.l = (uint32_t)c_rid;
		both.r = (uint32_t)c_tun;
		not_rid.l = (uint32_t)c_rid;
		check(&b, c_split = ft_program_add_cond(b.p, &both, err));
		check(&b, c_not_rid = ft_program_add_cond(b.p, &not_rid, err));
		if (b.rc)
			goto fail;
		hairpin.l = (uint32_t)c_not_rid;
		hairpin.r = (uint32_t)c_self;
		check(&b, c_hairpin = ft_program_add_cond(b.p, &hairpin, err));
		if (b.rc)
			goto fail;

		struct ft_node e[] = {
			{.kind = FT_NODE_IF, .cond = (uint32_t)c_split, .next = 1, .next_false = 2},
			{.kind = FT_NODE_RUN, .action = (uint32_t)v->a_split, .next = FT_NODE_END},
			{.kind = FT_NODE_IF, .cond = (uint32_t)c_hairpin, .next = 3,
			 .next_false = 4},
			{.kind = FT_NODE_RUN, .action = (uint32_t)v->a_hairpin, .next = FT_NODE_END},
			{.kind = FT_NODE_APPLY, .table = (uint32_t)v->t_flood, .next = FT_NODE_END,
			 .next_hit = FT_NEXT_DEFAULT, .next_miss = FT_NEXT_DEFAULT},
		};

		for (uint32_t i = 0; i < 5; i++)
			check(&b, ft_program_add_node(b.p, FT_CTL_EGRESS, &e[i], err));
	}
	{
		uint32_t emit[] = {(uint32_t)v->o_eth, (uint32_t)v->o_ip, (uint32_t)v->o_udp,
				   (uint32_t)v->o_vx,  (uint32_t)v->eth,  (uint32_t)v->ip,
				   (uint32_t)v->udp,   (uint32_t)v->vx,	  (uint32_t)v->in_eth};

		check(&b, ft_program_set_emit(b.p, emit, 9, err));
	}
	if (b.rc)
		goto fail;
	return 0;
fail:
	ft_program_destroy(v->prog);
	v->prog = NULL;
	return b.rc;
}


int
example_vtep_populate(struct ft_pipeline *pipe, const struct example_vtep *v,
		      struct ft_error *err)
{
	struct ft_txn *txn = ft_txn_begin(pipe, err);
	uint8_t k[16], d[32];
	int rc = 0;

	if (txn == NULL)
		return -1;
#define ADD(tbl, act)                                                                             \
	do {                                                                                      \
		struct ft_entry e = {.key = k, .action = (uint32_t)(act), .data = d};             \
		if (rc == 0)                                                                      \
			rc = ft_txn_entry_add(txn, (uint32_t)(tbl), &e, err);                     \
	} while (0)
	/* port_vni: ports 1 and 2 are access ports of VNI 100; port 0 is the uplink. */
	put32(k, 1), d[0] = 0, d[1] = 0, d[2] = 100;
	ADD(v->t_port, v->a_set_vni);
	put32(k, 2);
	ADD(v->t_port, v->a_set_vni);
	put32(k, 0);
	ADD(v->t_port, v->a_uplink);
	/* vni_term: VNI 100 terminates here. */
	k[0] = 0, k[1] = 0, k[2] = 100;
	ADD(v->t_term, v->a_decap);
	/* fdb: vm2 behind port 2; the remote host behind VTEP 10.0.0.2. */
	k[0] = 0, k[1] = 0, k[2] = 100;
	memcpy(k + 3, EX_MAC_VM2, 6);
	put32(d, 2);
	ADD(v->t_fdb, v->a_to_port);
	memcpy(k + 3, EX_MAC_REMOTE, 6);
	memcpy(d, EX_MAC_VTEP2, 6);
	put32(d + 6, 0x0a000002);
	memcpy(d + 10, EX_MAC_LOCAL, 6);
	put32(d + 16, 0x0a000001);
	put32(d + 20, 0);
	ADD(v->t_fdb, v->a_to_vtep);
	/* flood_vtep: rid 1 -> VTEP 10.0.0.2, rid 2 -> VTEP 10.0.0.3 (the all-zeros entries). */
	put16(k, 1);
	memcpy(d, EX_MAC_VTEP2, 6);
	put32(d + 6, 0x0a000002);
	ADD(v->t_flood, v->a_encap_to);
	put16(k, 2);
	memcpy(d, EX_MAC_VTEP3, 6);
	put32(d + 6, 0x0a000003);
	ADD(v->t_flood, v->a_encap_to);
#undef ADD
	/* Group 100, the flood list of VNI 100: both access ports and both VTEPs. */
	struct ft_group_member m[] = {{1, 0}, {2, 0}, {0, 1}, {0, 2}};

	if (rc == 0)
		rc = ft_txn_group_set(txn, 100, m, 4, err);
	if (rc < 0) {
		ft_txn_abort(txn);
		return rc;
	}
	return ft_txn_commit(txn, err);
}
