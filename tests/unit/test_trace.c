/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of packet traces (model/trace.c, include/flowtwin/trace.h).
 *
 * A small program (Ethernet + IPv4, a forwarding table whose entries
 * forward, VXLAN-encapsulate or flood, a compound condition, an action run
 * by a node, and optionally an egress control) runs real packets through
 * ft_worker_trace(); the tests compare the whole text of several traces and
 * check the JSON by parsing it back. Hand-made records then cover what the
 * executor never records: ids out of range, bytes that do not fit their
 * layout, unknown kinds, corrupt blob offsets, and running out of memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <flowtwin/drop.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/trace.h>

#include "trace_private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- The program ----------------------------------------------------------- */

struct ids {
	uint32_t eth, ip, o_eth, o_ip, o_udp, vx;
	uint32_t m_flag, m_vni, m_addr, m_v6, m_stamp, m_port, m_tag, m_big;
	uint32_t a_drop, a_fwd, a_encap, a_mark, a_flood;
	uint32_t t_fwd;
	uint32_t c_valid, c_dst, c_not, c_and, c_port, c_or, c_rid;
	uint32_t ctr, dig;
};

static struct ids ID;

static uint32_t
ok(int rc, const struct ft_error *err)
{
	if (rc < 0)
		fail_msg("builder: %d %s: %s", rc, err->object, err->message);
	return (uint32_t)rc;
}

static uint32_t
add_cond(struct ft_program *p, struct ft_cond c)
{
	struct ft_error err = {0};

	return ok(ft_program_add_cond(p, &c, &err), &err);
}

static uint32_t
add_node(struct ft_program *p, enum ft_control ctl, struct ft_node n)
{
	struct ft_error err = {0};

	if (n.next_hit == 0)
		n.next_hit = FT_NEXT_DEFAULT;
	if (n.next_miss == 0)
		n.next_miss = FT_NEXT_DEFAULT;
	return ok(ft_program_add_node(p, ctl, &n, &err), &err);
}

static uint32_t
add_action(struct ft_program *p, const char *name, const struct ft_param_decl *params,
	   uint32_t n_params, const struct ft_op *ops, uint32_t n_ops)
{
	struct ft_error err = {0};

	return ok(ft_program_add_action(p, name, params, n_params, ops, n_ops, &err), &err);
}

static struct ft_op
op_set(struct ft_ref dst, struct ft_ref a)
{
	return (struct ft_op){.kind = FT_OP_SET, .dst = dst, .a = a};
}

static struct ft_op
op_valid(uint32_t hdr)
{
	return (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(hdr)};
}

/*
 * The program: with_egress adds an egress control that drops the copy with
 * rid 8. Ingress:
 *
 *   0: apply fwd; on drop -> end
 *   1: if (ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || std.in_port != 7
 *   2:   run mark
 */
static struct ft_program *
build_program(bool with_egress)
{
	static const struct ft_field_decl eth_f[] = {
		{"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
	static const struct ft_field_decl ip_f[] = {
		{"version", 4},	       {"ihl", 4},	    {"diffserv", 8}, {"total_len", 16},
		{"identification", 16}, {"flags", 3},	    {"frag_offset", 13}, {"ttl", 8},
		{"protocol", 8},       {"hdr_checksum", 16}, {"src_addr", 32}, {"dst_addr", 32}};
	static const struct ft_field_decl udp_f[] = {
		{"src_port", 16}, {"dst_port", 16}, {"length", 16}, {"checksum", 16}};
	static const struct ft_field_decl vx_f[] = {
		{"flags", 8}, {"reserved", 24}, {"vni", 24}, {"reserved2", 8}};
	struct ft_program *p = ft_program_create("trace_test");
	struct ft_error err = {0};
	uint32_t eth_t, ip_t, udp_t, vx_t;

	assert_non_null(p);
	eth_t = ok(ft_program_add_header_type(p, "ethernet_t", eth_f, 3, &err), &err);
	ip_t = ok(ft_program_add_header_type(p, "ipv4_t", ip_f, 12, &err), &err);
	udp_t = ok(ft_program_add_header_type(p, "udp_t", udp_f, 4, &err), &err);
	vx_t = ok(ft_program_add_header_type(p, "vxlan_t", vx_f, 4, &err), &err);
	ID.eth =
		ok(ft_program_add_header(p, "ethernet", eth_t, FT_PROTO_ETH, FT_L_ETH, &err), &err);
	ID.ip = ok(ft_program_add_header(p, "ipv4", ip_t, FT_PROTO_IPV4, FT_L_IPV4, &err), &err);
	ID.o_eth =
		ok(ft_program_add_header(p, "outer_ethernet", eth_t, FT_PROTO_ETH, FT_L_NONE, &err),
		   &err);
	ID.o_ip = ok(ft_program_add_header(p, "outer_ipv4", ip_t, FT_PROTO_IPV4, FT_L_NONE, &err),
		     &err);
	ID.o_udp = ok(ft_program_add_header(p, "outer_udp", udp_t, FT_PROTO_UDP, FT_L_NONE, &err),
		      &err);
	ID.vx = ok(ft_program_add_header(p, "vxlan", vx_t, FT_PROTO_VXLAN, FT_L_NONE, &err), &err);
	{
		uint32_t emit[] = {ID.o_eth, ID.o_ip, ID.o_udp, ID.vx, ID.eth, ID.ip};

		ok(ft_program_set_emit(p, emit, ARRAY_SIZE(emit), &err), &err);
	}
	ID.m_flag = ok(ft_program_add_metadata(p, "flag", 8, &err), &err);
	ID.m_vni = ok(ft_program_add_metadata(p, "vni", 24, &err), &err);
	ID.m_addr = ok(ft_program_add_metadata(p, "remote_addr", 32, &err), &err);
	ID.m_v6 = ok(ft_program_add_metadata(p, "remote_v6", 128, &err), &err);
	ID.m_stamp = ok(ft_program_add_metadata(p, "stamp", 64, &err), &err);
	ID.m_port = ok(ft_program_add_metadata(p, "tun_port", 32, &err), &err);
	ID.m_tag = ok(ft_program_add_metadata(p, "tag", 20, &err), &err);
	ID.m_big = ok(ft_program_add_metadata(p, "big", 72, &err), &err);
	ID.ctr = ok(ft_program_add_counter(p, "pkts", 4, &err), &err);
	ID.dig = ok(ft_program_add_digest(p, "mac_seen", &err), &err);

	{
		struct ft_op ops[] = {{.kind = FT_OP_DROP}};

		ID.a_drop = add_action(p, "drop", NULL, 0, ops, 1);
	}
	{
		struct ft_param_decl prm[] = {{"port", 32}, {"smac", 48}};
		struct ft_op ops[] = {
			op_set(ft_ref_field(ID.eth, 1), ft_ref_param(1)),
			{.kind = FT_OP_SEND, .a = ft_ref_param(0)},
		};

		ID.a_fwd = add_action(p, "forward", prm, 2, ops, 2);
	}
	{
		struct ft_param_decl prm[] = {{"ethernet_dst_addr", 48},
					      {"ipv4_dst_addr", 32},
					      {"vni", 24},
					      {"port_out", 32}};
		struct ft_op ops[] = {
			op_valid(ID.o_eth),
			op_valid(ID.o_ip),
			op_valid(ID.o_udp),
			op_valid(ID.vx),
			op_set(ft_ref_field(ID.o_eth, 0), ft_ref_param(0)),
			op_set(ft_ref_field(ID.o_eth, 2), ft_ref_const(0x0800, 16)),
			op_set(ft_ref_field(ID.o_ip, 0), ft_ref_const(4, 4)),
			op_set(ft_ref_field(ID.o_ip, 1), ft_ref_const(5, 4)),
			op_set(ft_ref_field(ID.o_ip, 11), ft_ref_param(1)),
			op_set(ft_ref_field(ID.o_udp, 1), ft_ref_const(4789, 16)),
			op_set(ft_ref_field(ID.vx, 0), ft_ref_const(8, 8)),
			op_set(ft_ref_field(ID.vx, 2), ft_ref_param(2)),
			{.kind = FT_OP_SEND, .a = ft_ref_param(3)},
		};

		ID.a_encap = add_action(p, "vxlan_encap", prm, 4, ops, ARRAY_SIZE(ops));
	}
	{
		struct ft_op ops[] = {
			op_set(ft_ref_meta(ID.m_flag), ft_ref_const(1, 8)),
			{.kind = FT_OP_COUNT, .id = ID.ctr, .a = ft_ref_const(0, 32)},
		};

		ID.a_mark = add_action(p, "mark", NULL, 0, ops, 2);
	}
	{
		static struct ft_ref list[2];
		struct ft_param_decl prm[] = {{"group", 16}};
		struct ft_op ops[] = {
			{.kind = FT_OP_DIGEST, .id = ID.dig, .list = list, .n_list = 2},
			{.kind = FT_OP_MIRROR, .a = ft_ref_const(1, 8)},
			{.kind = FT_OP_REPLICATE, .a = ft_ref_param(0)},
		};

		list[0] = ft_ref_field(ID.eth, 1);
		list[1] = ft_ref_std(FT_STD_IN_PORT);
		ID.a_flood = add_action(p, "flood", prm, 1, ops, ARRAY_SIZE(ops));
	}
	{
		struct ft_key_decl keys[] = {{ft_ref_field(ID.eth, 0), FT_MATCH_EXACT}};
		struct ft_table_action acts[] = {
			{ID.a_fwd, FT_SCOPE_ANY},
			{ID.a_encap, FT_SCOPE_ANY},
			{ID.a_flood, FT_SCOPE_ANY},
			{ID.a_drop, FT_SCOPE_ANY},
		};
		struct ft_table_decl t = {
			.name = "fwd",
			.keys = keys,
			.n_keys = 1,
			.actions = acts,
			.n_actions = ARRAY_SIZE(acts),
			.default_action = ID.a_drop,
			.size = 64,
		};

		ID.t_fwd = ok(ft_program_add_table(p, &t, &err), &err);
	}
	ID.c_valid = add_cond(p, (struct ft_cond){.kind = FT_COND_VALID, .hdr = ID.ip});
	ID.c_dst = add_cond(p, (struct ft_cond){.kind = FT_COND_CMP,
						.cmp = FT_CMP_EQ,
						.a = ft_ref_field(ID.ip, 11),
						.b = ft_ref_const(0x0a000001, 32)});
	ID.c_not = add_cond(p, (struct ft_cond){.kind = FT_COND_NOT, .l = ID.c_dst});
	ID.c_and =
		add_cond(p, (struct ft_cond){.kind = FT_COND_AND, .l = ID.c_valid, .r = ID.c_not});
	ID.c_port = add_cond(p, (struct ft_cond){.kind = FT_COND_CMP,
						 .cmp = FT_CMP_NE,
						 .a = ft_ref_std(FT_STD_IN_PORT),
						 .b = ft_ref_const(7, 32)});
	ID.c_or = add_cond(p, (struct ft_cond){.kind = FT_COND_OR, .l = ID.c_and, .r = ID.c_port});
	ID.c_rid = add_cond(p, (struct ft_cond){.kind = FT_COND_CMP,
						.cmp = FT_CMP_EQ,
						.a = ft_ref_std(FT_STD_RID),
						.b = ft_ref_const(8, 16)});
	{
		struct ft_action_next on_drop[] = {{ID.a_drop, FT_NODE_END}};

		add_node(p, FT_CTL_INGRESS,
			 (struct ft_node){.kind = FT_NODE_APPLY,
					  .table = ID.t_fwd,
					  .next = 1,
					  .on_action = on_drop,
					  .n_on_action = 1});
		add_node(p, FT_CTL_INGRESS,
			 (struct ft_node){.kind = FT_NODE_IF,
					  .cond = ID.c_or,
					  .next = 2,
					  .next_false = FT_NODE_END});
		add_node(p, FT_CTL_INGRESS,
			 (struct ft_node){
				 .kind = FT_NODE_RUN, .action = ID.a_mark, .next = FT_NODE_END});
	}
	if (with_egress) {
		add_node(p, FT_CTL_EGRESS,
			 (struct ft_node){.kind = FT_NODE_IF,
					  .cond = ID.c_rid,
					  .next = 1,
					  .next_false = FT_NODE_END});
		add_node(p, FT_CTL_EGRESS,
			 (struct ft_node){
				 .kind = FT_NODE_RUN, .action = ID.a_drop, .next = FT_NODE_END});
	}
	return p;
}

/* --- Pipelines, entries and packets ---------------------------------------- */

struct rig {
	struct ft_pipeline *pipe;
	struct ft_worker *w;
	struct ft_pkt_pool_simple *sp;
	struct ft_trace *t;
	uint8_t buf[2048];
	struct ft_pkt pkt;
	struct ft_burst_result res;
};

static struct rig *
rig_create(bool with_egress)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct ft_program *p = build_program(with_egress);
	struct ft_pkt_pool pool;
	struct ft_error err = {0};

	assert_non_null(r);
	r->pipe = ft_pipeline_create(p, NULL, &err);
	if (r->pipe == NULL)
		fail_msg("ft_pipeline_create: %s: %s", err.object, err.message);
	r->sp = ft_pkt_pool_simple_create(8, 2048, &pool);
	assert_non_null(r->sp);
	r->w = ft_worker_create(r->pipe, &pool, &err);
	assert_non_null(r->w);
	r->t = ft_trace_create();
	assert_non_null(r->t);
	return r;
}

static void
rig_destroy(struct rig *r)
{
	ft_trace_destroy(r->t);
	ft_worker_destroy(r->w);
	ft_pipeline_destroy(r->pipe);
	ft_pkt_pool_simple_destroy(r->sp);
	free(r);
}

static void
mac(uint8_t *p, uint8_t last)
{
	static const uint8_t base[6] = {0x02, 0, 0, 0, 0, 0};

	memcpy(p, base, 6);
	p[5] = last;
}

/* Adds fwd[dst] -> action(data) and returns the entry's handle. */
static uint32_t
entry_add(struct rig *r, const uint8_t dst[6], uint32_t action, const uint8_t *data)
{
	/*
	 * Padded copies: pipeline.c (stage_entry) reads the key's rounded-up
	 * stride and the table's largest action data from what it is given.
	 */
	uint8_t key[16] = {0}, pad[FT_ACTION_DATA_MAX] = {0};
	struct ft_entry e = {.key = key, .action = action, .data = pad};
	struct ft_entry_info info;
	struct ft_error err = {0};
	struct ft_txn *txn = ft_txn_begin(r->pipe, &err);

	memcpy(key, dst, 6);
	memcpy(pad, data,
	       (size_t)ft_program_action_data_size(ft_pipeline_program(r->pipe), action));
	assert_non_null(txn);
	if (ft_txn_entry_add(txn, ID.t_fwd, &e, &err) < 0)
		fail_msg("entry_add: %s", err.message);
	assert_int_equal(ft_txn_commit(txn, &err), 0);
	assert_int_equal(ft_pipeline_entry_read(r->pipe, ID.t_fwd, &e, &info), 0);
	return info.handle;
}

/*
 * A 64-byte Ethernet + IPv4 packet from 02:00:00:00:00:01, 10.0.0.2 to
 * 'dst' and 'ip_dst' (the last octet of 10.0.0.x), on 'in_port'.
 */
static void
packet_make(struct rig *r, const uint8_t dst[6], uint8_t ip_dst, uint32_t in_port)
{
	uint8_t *q = r->buf + FT_PKT_HEADROOM;

	memset(r->buf, 0, sizeof(r->buf));
	memcpy(q, dst, 6);
	mac(q + 6, 1);
	q[12] = 0x08;
	q[13] = 0x00;
	q[14] = 0x45;
	q[17] = 50; /* total length: 64 - 14 */
	q[22] = 64; /* ttl */
	q[23] = 17; /* udp, not parsed: payload */
	q[26] = 10, q[29] = 2;
	q[30] = 10, q[33] = ip_dst;
	assert_int_equal(ft_pkt_init(&r->pkt, r->buf, sizeof(r->buf), FT_PKT_HEADROOM, 64, in_port),
			 0);
}

static void
trace_run(struct rig *r)
{
	ft_trace_reset(r->t);
	memset(&r->res, 0, sizeof(r->res));
	assert_true(ft_worker_trace(r->w, &r->pkt, r->t, &r->res) >= 0);
	assert_true(ft_trace_len(r->t) > 0);
}

static char *
text_of(struct rig *r)
{
	char *s = ft_trace_text(r->t, r->pipe);

	assert_non_null(s);
	return s;
}

static json_t *
json_of(struct rig *r)
{
	char *s = ft_trace_json(r->t, r->pipe);
	json_error_t jerr;
	json_t *j;

	assert_non_null(s);
	j = json_loads(s, 0, &jerr);
	if (j == NULL)
		fail_msg("bad JSON (%s) in %s", jerr.text, s);
	free(s);
	return j;
}

static void
assert_text(const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("trace text differs.\n--- got:\n%s--- want:\n%s", got, want);
}

/* j at a path of object keys and array indices: "steps", 1, "key", NULL... */
static json_t *
jget(json_t *j, const char *path)
{
	char buf[256], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, "/", &save); tok && j; tok = strtok_r(NULL, "/", &save)) {
		if (json_is_array(j))
			j = json_array_get(j, strtoul(tok, NULL, 10));
		else
			j = json_object_get(j, tok);
	}
	if (j == NULL)
		fail_msg("no %s in the JSON", path);
	return j;
}

static void
assert_jstr(json_t *j, const char *path, const char *want)
{
	json_t *v = jget(j, path);

	if (!json_is_string(v))
		fail_msg("%s is not a string", path);
	assert_string_equal(json_string_value(v), want);
}

static void
assert_jint(json_t *j, const char *path, long long want)
{
	json_t *v = jget(j, path);

	if (!json_is_integer(v))
		fail_msg("%s is not an integer", path);
	assert_int_equal(json_integer_value(v), want);
}

static const char cond_line[] =
	" if (ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || std.in_port != 7: true\n";

/* --- Traces of real packets -------------------------------------------------- */

/* A hit whose action sets a field and sends; then a condition and a RUN node. */
static void
test_hit_forward(void **state)
{
	struct rig *r = rig_create(false);
	uint8_t dst[6], data[10] = {0, 0, 0, 3, 0x02, 0, 0, 0, 0, 0xaa};
	char want[2048], *s;
	uint32_t h;
	json_t *j;

	(void)state;
	mac(dst, 2);
	h = entry_add(r, dst, ID.a_fwd, data);
	packet_make(r, dst, 9, 1);
	trace_run(r);
	assert_int_equal(r->res.n_tx, 1);

	s = text_of(r);
	snprintf(want, sizeof(want),
		 "Packet: in_port 1, 64 bytes\n"
		 "Parse: eth ipv4, payload at 34\n"
		 "\n"
		 "ingress\n"
		 " table fwd: ethernet.dst_addr=02:00:00:00:00:02\n"
		 "  -> hit, entry #%u: forward(port=3, smac=02:00:00:00:00:aa)\n"
		 "   ethernet.src_addr: 02:00:00:00:00:01 -> 02:00:00:00:00:aa\n"
		 "   send_to_port(3)\n"
		 "%s"
		 " run mark()\n"
		 "  meta.flag: 0 -> 1\n"
		 "  count pkts[0]\n"
		 "\n"
		 "Deparse: 2 headers, 64 bytes\n"
		 "Output: port 3, 64 bytes\n",
		 h, cond_line);
	assert_text(s, want);
	free(s);

	/* Keys in a fixed order: the serialized form starts the same way each time. */
	s = ft_trace_json(r->t, r->pipe);
	assert_non_null(s);
	assert_true(strncmp(s, "{\"packet\":{\"in_port\":1,\"len\":64,\"hex\":\"020000000002",
			    strlen("{'packet':{'in_port':1,'len':64,'hex':'020000000002")) == 0);
	assert_non_null(strstr(s, "\"parse\":{\"layers\":[\"eth\",\"ipv4\"],\"payload\":34,"
				  "\"drop\":null"));
	free(s);

	j = json_of(r);
	assert_jint(j, "packet/in_port", 1);
	assert_jint(j, "packet/len", 64);
	assert_int_equal(strlen(json_string_value(jget(j, "packet/hex"))), 128);
	assert_jstr(j, "parse/layers/0", "eth");
	assert_jstr(j, "parse/layers/1", "ipv4");
	assert_int_equal(json_array_size(jget(j, "parse/layers")), 2);
	assert_jint(j, "parse/payload", 34);
	assert_true(json_is_null(jget(j, "parse/drop")));
	assert_jstr(j, "steps/0/kind", "control");
	assert_jstr(j, "steps/0/control", "ingress");
	assert_jstr(j, "steps/1/kind", "table");
	assert_jstr(j, "steps/1/table", "fwd");
	assert_jstr(j, "steps/1/key/ethernet.dst_addr", "02:00:00:00:00:02");
	assert_true(json_is_true(jget(j, "steps/1/hit")));
	assert_jint(j, "steps/1/entry", h);
	assert_jstr(j, "steps/1/action", "forward");
	assert_jstr(j, "steps/1/params/port", "3");
	assert_jstr(j, "steps/1/params/smac", "02:00:00:00:00:aa");
	assert_jstr(j, "steps/2/kind", "set");
	assert_jstr(j, "steps/2/field", "ethernet.src_addr");
	assert_jstr(j, "steps/2/old", "02:00:00:00:00:01");
	assert_jstr(j, "steps/2/new", "02:00:00:00:00:aa");
	assert_jstr(j, "steps/3/kind", "send");
	assert_jint(j, "steps/3/port", 3);
	assert_jstr(j, "steps/4/kind", "cond");
	assert_jstr(j, "steps/4/cond",
		    "(ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || std.in_port != 7");
	assert_true(json_is_true(jget(j, "steps/4/result")));
	assert_jstr(j, "steps/5/kind", "action");
	assert_jstr(j, "steps/5/action", "mark");
	assert_jstr(j, "steps/6/field", "meta.flag");
	assert_jstr(j, "steps/7/kind", "count");
	assert_jstr(j, "steps/7/counter", "pkts");
	assert_jint(j, "steps/7/index", 0);
	assert_jstr(j, "steps/8/kind", "deparse");
	assert_jint(j, "steps/8/headers", 2);
	assert_jstr(j, "steps/9/kind", "output");
	assert_int_equal(json_array_size(jget(j, "steps")), 10);
	assert_int_equal(json_array_size(jget(j, "outputs")), 1);
	assert_jint(j, "outputs/0/port", 3);
	assert_jint(j, "outputs/0/len", 64);
	assert_jint(j, "outputs/0/rid", 0);
	/* The output's bytes: the new source MAC. */
	assert_true(strncmp(json_string_value(jget(j, "outputs/0/hex")),
			    "0200000000020200000000aa0800", 28) == 0);
	assert_true(json_is_null(jget(j, "drop")));
	assert_true(json_is_false(jget(j, "truncated")));
	json_decref(j);
	rig_destroy(r);
}

/* A miss runs the default action, drop(); its on_action edge ends the control. */
static void
test_miss_default_drop(void **state)
{
	struct rig *r = rig_create(false);
	uint8_t dst[6];
	char *s;
	json_t *j;

	(void)state;
	mac(dst, 0x99);
	packet_make(r, dst, 9, 1);
	trace_run(r);
	assert_int_equal(r->res.n_tx, 0);
	assert_int_equal(r->res.drop[0], FT_DROP_ACTION);

	s = text_of(r);
	assert_text(s, "Packet: in_port 1, 64 bytes\n"
		       "Parse: eth ipv4, payload at 34\n"
		       "\n"
		       "ingress\n"
		       " table fwd: ethernet.dst_addr=02:00:00:00:00:99\n"
		       "  -> miss, default action drop()\n"
		       "   drop_packet()\n"
		       "\n"
		       "Drop: dropped by action 'drop' (action)\n");
	free(s);

	j = json_of(r);
	assert_true(json_is_false(jget(j, "steps/1/hit")));
	assert_true(json_is_null(jget(j, "steps/1/entry")));
	assert_jstr(j, "steps/1/action", "drop");
	assert_int_equal(json_object_size(jget(j, "steps/1/params")), 0);
	assert_jstr(j, "steps/2/kind", "drop");
	assert_true(json_is_false(jget(j, "steps/2/final")));
	assert_jstr(j, "drop/reason", "action");
	assert_jstr(j, "drop/sentence", "dropped by action");
	assert_jstr(j, "drop/action", "drop");
	assert_int_equal(json_array_size(jget(j, "outputs")), 0);
	json_decref(j);
	rig_destroy(r);
}

/* A truncated IPv4 header: the parser's reason, and nothing else runs. */
static void
test_parse_error(void **state)
{
	struct rig *r = rig_create(false);
	uint8_t dst[6];
	char *s;
	json_t *j;

	(void)state;
	mac(dst, 2);
	packet_make(r, dst, 9, 4);
	r->pkt.len = 24; /* Ethernet and 10 bytes of IPv4 */
	trace_run(r);
	assert_int_equal(r->res.drop[0], FT_DROP_TRUNC_IPV4);

	s = text_of(r);
	assert_text(s, "Packet: in_port 4, 24 bytes\n"
		       "Parse: eth, stopped: truncated IPv4 header (trunc_ipv4)\n"
		       "Drop: truncated IPv4 header (trunc_ipv4)\n");
	free(s);

	j = json_of(r);
	assert_jstr(j, "parse/drop", "trunc_ipv4");
	assert_int_equal(json_array_size(jget(j, "parse/layers")), 1);
	assert_jstr(j, "drop/reason", "trunc_ipv4");
	assert_jstr(j, "drop/sentence", "truncated IPv4 header");
	assert_true(json_is_null(jget(j, "drop/action")));
	assert_int_equal(json_array_size(jget(j, "steps")), 1); /* the drop itself */
	json_decref(j);
	rig_destroy(r);
}

/* VXLAN encapsulation: four headers made valid, their fields set, 50 more bytes. */
static void
test_vxlan_encap(void **state)
{
	struct rig *r = rig_create(false);
	uint8_t dst[6], data[6 + 4 + 3 + 4] = {0x02, 0x10, 0, 0, 0, 0x01, 192, 168, 1, 2,
						0,    0x13, 0x88, 0, 0, 0, 1};
	char want[4096], *s;
	uint32_t h;
	json_t *j;

	(void)state;
	dst[0] = 0x02, dst[1] = 0x10, dst[2] = dst[3] = dst[4] = 0, dst[5] = 5;
	h = entry_add(r, dst, ID.a_encap, data);
	packet_make(r, dst, 9, 1);
	trace_run(r);
	assert_int_equal(r->res.n_tx, 1);
	assert_int_equal(r->res.tx[0].pkt->len, 114);

	s = text_of(r);
	snprintf(want, sizeof(want),
		 "Packet: in_port 1, 64 bytes\n"
		 "Parse: eth ipv4, payload at 34\n"
		 "\n"
		 "ingress\n"
		 " table fwd: ethernet.dst_addr=02:10:00:00:00:05\n"
		 "  -> hit, entry #%u: vxlan_encap(ethernet_dst_addr=02:10:00:00:00:01, "
		 "ipv4_dst_addr=192.168.1.2, vni=5000, port_out=1)\n"
		 "   outer_ethernet: set valid\n"
		 "   outer_ipv4: set valid\n"
		 "   outer_udp: set valid\n"
		 "   vxlan: set valid\n"
		 "   outer_ethernet.dst_addr: 00:00:00:00:00:00 -> 02:10:00:00:00:01\n"
		 "   outer_ethernet.ether_type: 0x0000 -> 0x0800\n"
		 "   outer_ipv4.version: 0 -> 4\n"
		 "   outer_ipv4.ihl: 0 -> 5\n"
		 "   outer_ipv4.dst_addr: 0.0.0.0 -> 192.168.1.2\n"
		 "   outer_udp.dst_port: 0 -> 4789\n"
		 "   vxlan.flags: 0 -> 8\n"
		 "   vxlan.vni: 0 -> 5000\n"
		 "   send_to_port(1)\n"
		 "%s"
		 " run mark()\n"
		 "  meta.flag: 0 -> 1\n"
		 "  count pkts[0]\n"
		 "\n"
		 "Deparse: 6 headers, 114 bytes\n"
		 "Output: port 1, 114 bytes\n",
		 h, cond_line);
	assert_text(s, want);
	free(s);

	j = json_of(r);
	assert_jstr(j, "steps/1/params/ipv4_dst_addr", "192.168.1.2");
	assert_jstr(j, "steps/1/params/vni", "5000");
	assert_jstr(j, "steps/2/kind", "valid");
	assert_jstr(j, "steps/2/header", "outer_ethernet");
	assert_jstr(j, "steps/6/field", "outer_ethernet.dst_addr");
	assert_jstr(j, "steps/6/old", "00:00:00:00:00:00");
	assert_jstr(j, "steps/6/new", "02:10:00:00:00:01");
	assert_jint(j, "outputs/0/len", 114);
	assert_int_equal(strlen(json_string_value(jget(j, "outputs/0/hex"))), 228);
	/* The outer Ethernet header leads the packet that left. */
	assert_true(strncmp(json_string_value(jget(j, "outputs/0/hex")), "021000000001", 12) == 0);
	json_decref(j);
	rig_destroy(r);
}

/* The same condition, false two ways; the RUN node after it does not run. */
static void
test_condition(void **state)
{
	struct rig *r = rig_create(false);
	uint8_t dst[6], data[10] = {0, 0, 0, 3, 0x02, 0, 0, 0, 0, 0xaa};
	char *s;
	json_t *j;

	(void)state;
	mac(dst, 2);
	entry_add(r, dst, ID.a_fwd, data);
	for (int k = 0; k < 2; k++) {
		/* To 10.0.0.1 from port 7; to 10.0.0.9 from port 7 is true again. */
		packet_make(r, dst, 1, 7);
		trace_run(r);
		s = text_of(r);
		assert_non_null(strstr(s, " if (ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || "
					  "std.in_port != 7: false\n"
					  "\n"
					  "Deparse: 2 headers, 64 bytes\n"));
		assert_null(strstr(s, "run mark"));
		free(s);
		j = json_of(r);
		assert_jstr(j, "steps/4/kind", "cond");
		assert_true(json_is_false(jget(j, "steps/4/result")));
		assert_jstr(j, "steps/5/kind", "deparse");
		json_decref(j);
	}
	packet_make(r, dst, 9, 7);
	trace_run(r);
	s = text_of(r);
	assert_non_null(strstr(s, cond_line));
	assert_non_null(strstr(s, " run mark()\n"));
	free(s);
	rig_destroy(r);
}

/* Mirroring, a digest, replication to two members, one of them dropped in egress. */
static void
test_replicate(void **state)
{
	struct rig *r = rig_create(true);
	struct ft_group_member m[] = {{2, 7}, {3, 8}};
	uint8_t dst[6], data[2] = {0, 3};
	struct ft_error err = {0};
	struct ft_txn *txn;
	char want[4096], *s;
	uint32_t h;
	json_t *j;

	(void)state;
	memset(dst, 0xff, 6);
	h = entry_add(r, dst, ID.a_flood, data);
	txn = ft_txn_begin(r->pipe, &err);
	assert_non_null(txn);
	assert_int_equal(ft_txn_group_set(txn, 3, m, 2, &err), 0);
	assert_int_equal(ft_txn_mirror_set(txn, 1, 9, &err), 0);
	assert_int_equal(ft_txn_commit(txn, &err), 0);
	packet_make(r, dst, 9, 1);
	trace_run(r);
	assert_int_equal(r->res.n_tx, 2); /* the mirror copy and copy 1 */
	assert_int_equal(r->res.n_events, 1);

	s = text_of(r);
	snprintf(want, sizeof(want),
		 "Packet: in_port 1, 64 bytes\n"
		 "Parse: eth ipv4, payload at 34\n"
		 "\n"
		 "ingress\n"
		 " table fwd: ethernet.dst_addr=ff:ff:ff:ff:ff:ff\n"
		 "  -> hit, entry #%u: flood(group=3)\n"
		 "   digest mac_seen(ethernet.src_addr=02:00:00:00:00:01, std.in_port=1)\n"
		 "%s"
		 " run mark()\n"
		 "  meta.flag: 0 -> 1\n"
		 "  count pkts[0]\n"
		 "\n"
		 "Deparse: 2 headers, 64 bytes\n"
		 "Mirror: session 1 to port 9\n"
		 "Output: port 9, 64 bytes\n"
		 "Replicate to group 3 (2 members)\n"
		 " copy 1: port 2, rid 7\n"
		 "  Parse: eth ipv4, payload at 34\n"
		 "  egress\n"
		 "   if std.rid == 8: false\n"
		 "  Deparse: 2 headers, 64 bytes\n"
		 "  Output: port 2, 64 bytes, rid 7\n"
		 " copy 2: port 3, rid 8\n"
		 "  Parse: eth ipv4, payload at 34\n"
		 "  egress\n"
		 "   if std.rid == 8: true\n"
		 "   run drop()\n"
		 "    drop_packet()\n"
		 "  Drop: dropped by action 'drop' (action)\n",
		 h, cond_line);
	assert_text(s, want);
	free(s);

	j = json_of(r);
	assert_jstr(j, "steps/2/kind", "digest");
	assert_jstr(j, "steps/2/digest", "mac_seen");
	assert_jstr(j, "steps/2/values/0", "02:00:00:00:00:01");
	assert_jstr(j, "steps/2/values/1", "1");
	assert_int_equal(json_array_size(jget(j, "outputs")), 2);
	assert_jint(j, "outputs/0/port", 9);
	assert_jint(j, "outputs/1/port", 2);
	assert_jint(j, "outputs/1/rid", 7);
	assert_true(json_is_null(jget(j, "drop"))); /* copy 1 left */
	{
		json_t *steps = jget(j, "steps"), *st;
		size_t i, copies = 0, in_copy2 = 0;

		json_array_foreach(steps, i, st) {
			const char *kind = json_string_value(json_object_get(st, "kind"));
			json_t *c = json_object_get(st, "copy");

			if (strcmp(kind, "copy") == 0) {
				copies++;
				assert_int_equal(json_integer_value(c), copies);
				assert_int_equal(json_integer_value(json_object_get(st, "port")),
						 copies + 1);
			} else if (c != NULL && json_integer_value(c) == 2) {
				in_copy2++;
				if (strcmp(kind, "drop") == 0) {
					assert_true(json_is_true(json_object_get(st, "final")) ||
						    json_is_false(json_object_get(st, "final")));
				}
			}
		}
		assert_int_equal(copies, 2);
		assert_int_equal(in_copy2, 6); /* parse, control, cond, action, drop x2 */
	}
	json_decref(j);
	rig_destroy(r);
}

/* --- Hand-made records ------------------------------------------------------ */

static void
add(struct ft_trace *t, enum tr_kind k, uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
	tr_add(t, k, a, b, c, d, NULL, 0, NULL, 0);
}

static void
add_set(struct ft_trace *t, uint32_t kind, uint32_t id, uint32_t field, uint32_t bits,
	const void *old, const void *now, uint32_t len)
{
	tr_add(t, TR_SET, kind, id, field, bits, old, len, now, len);
}

/* Every value format, through SET records on metadata of each width. */
static void
test_values(void **state)
{
	struct rig *r = rig_create(false);
	static const uint8_t z[16];
	static const uint8_t vni[3] = {0, 0x13, 0x88}, addr[4] = {10, 1, 2, 3};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	static const uint8_t stamp[8] = {0, 0, 0, 0, 0, 0xab, 0xcd, 0xef};
	static const uint8_t port[4] = {0, 0, 0x12, 0xb5}, tag[3] = {0x0f, 0x12, 0x34};
	static const uint8_t big[9] = {1}, flag[1] = {255}, csum[2] = {0xbe, 0xef};
	char *s;

	(void)state;
	add_set(r->t, FT_REF_META, ID.m_vni, 0, 24, z, vni, 3);
	add_set(r->t, FT_REF_META, ID.m_addr, 0, 32, z, addr, 4);
	add_set(r->t, FT_REF_META, ID.m_v6, 0, 128, z, v6, 16);
	add_set(r->t, FT_REF_META, ID.m_stamp, 0, 64, z, stamp, 8);
	add_set(r->t, FT_REF_META, ID.m_port, 0, 32, z, port, 4);
	add_set(r->t, FT_REF_META, ID.m_tag, 0, 20, z, tag, 3);
	add_set(r->t, FT_REF_META, ID.m_big, 0, 72, z, big, 9);
	add_set(r->t, FT_REF_META, ID.m_flag, 0, 8, z, flag, 1);
	add_set(r->t, FT_REF_FIELD, ID.ip, 10, 32, z, addr, 4); /* ipv4.src_addr */
	add_set(r->t, FT_REF_STD, FT_STD_TIMESTAMP, 0, 64, z, stamp, 8);
	add_set(r->t, FT_REF_FIELD, ID.ip, 9, 16, z, csum, 2); /* ipv4.hdr_checksum */
	add_set(r->t, FT_REF_META, ID.m_addr, 0, 32, z, addr, 3); /* bytes short */
	s = ft_trace_text(r->t, r->pipe);
	assert_non_null(s);
	assert_text(s, "  meta.vni: 0 -> 5000\n"
		       "  meta.remote_addr: 0.0.0.0 -> 10.1.2.3\n"
		       "  meta.remote_v6: :: -> 2001:db8::1\n"
		       "  meta.stamp: 0x0 -> 0xabcdef\n"
		       "  meta.tun_port: 0 -> 4789\n"
		       "  meta.tag: 0x0 -> 0xf1234\n"
		       "  meta.big: 0x0 -> 0x10000000000000000\n"
		       "  meta.flag: 0 -> 255\n"
		       "  ipv4.src_addr: 0.0.0.0 -> 10.1.2.3\n"
		       "  std.timestamp: 0x0 -> 0xabcdef\n"
		       "  ipv4.hdr_checksum: 0x0000 -> 0xbeef\n"
		       "  meta.remote_addr: ? -> ?\n");
	free(s);
	rig_destroy(r);
}

/* Ids out of range, bytes that do not fit, unknown kinds: "#N" and "?", no crash. */
static void
test_corrupt_records(void **state)
{
	struct rig *r = rig_create(false);
	struct ft_trace *t = r->t;
	static const uint8_t k3[3] = {1, 2, 3}, k2[2] = {0xaa, 0xbb}, v1[1] = {7};
	char *s, *js;
	json_t *j;
	json_error_t jerr;

	(void)state;
	add(t, TR_PARSE, FT_LAYER_BIT(FT_L_ETH) | (1u << 30), 250, 0, 1u << 9);
	add(t, TR_CONTROL, 5, 0, 0, 0);
	tr_add(t, TR_TABLE, 99, 1, 5, 77, k3, 3, k3, 3);
	tr_add(t, TR_TABLE, ID.t_fwd, 1, 5, ID.a_fwd, k2, 2, k2, 2);
	tr_add(t, TR_DEFAULT, ID.t_fwd, 0, 0, 500, NULL, 0, NULL, 0);
	tr_add(t, TR_ACTION, 4000, 0, 0, 0, NULL, 0, NULL, 0);
	add(t, TR_COND, 1000, 1, 0, 0);
	add_set(t, 9, 0, 0, 8, v1, v1, 1);
	add_set(t, FT_REF_META, 50, 0, 8, v1, v1, 1);
	add_set(t, FT_REF_FIELD, 40, 3, 8, v1, v1, 1);
	add_set(t, FT_REF_FIELD, ID.ip, 99, 8, v1, v1, 1);
	add_set(t, FT_REF_STD, 42, 0, 8, v1, v1, 1);
	add_set(t, FT_REF_CONST, 0, 0, 200, v1, v1, 1);
	add(t, TR_VALID, 31, 0, 0, 0);
	add(t, TR_INVALID, 31, 0, 0, 0);
	tr_add(t, TR_DIGEST, 42, 0, 0, 0, k2, 2, NULL, 0);
	tr_add(t, TR_DIGEST, ID.dig, 0, 0, 0, k2, 2, NULL, 0);
	tr_add(t, TR_LEARN, 42, 4000, 1, 0, k2, 2, k2, 2);
	tr_add(t, TR_LEARN, ID.t_fwd, ID.a_fwd, 0, 0, NULL, 0, NULL, 0);
	add(t, TR_COUNT, 42, 3, 0, 0);
	add(t, TR_DROP, FT_DROP_ACTION, 9999, 1, 0);
	add(t, TR_MIRROR, 3, UINT32_MAX, 0, 0);
	add(t, TR_DROP, 200, 9999, 0, 0);
	add(t, TR_DROP, FT_DROP_ACTION, 9999, 0, 0);
	add(t, TR_DROP, FT_DROP_NO_OUTPUT, UINT16_MAX, 0, 0);
	add(t, TR_DEPARSE, 1, 40, 0, 0);
	add(t, (enum tr_kind)999, 1, 2, 3, 4);
	tr_add(t, TR_OUTPUT, 1, 3, 0, 0, k3, 3, NULL, 0);
	t->recs[t->n - 1].off1 = UINT32_MAX - 1; /* a corrupt blob offset */

	s = ft_trace_text(t, r->pipe);
	assert_non_null(s);
	assert_text(s, "Parse: eth #30, stopped: ? (?), flags #9\n"
		       "\n"
		       "#5\n"
		       " table #99: 0x010203\n"
		       "  -> hit, entry #5: #77(0x010203)\n"
		       " table fwd: 0xaabb\n"
		       "  -> hit, entry #5: forward(0xaabb)\n"
		       " table fwd: ?\n"
		       "  -> miss, default action #500(?)\n"
		       " run #4000(?)\n"
		       " if #1000: true\n"
		       "  ?: 7 -> 7\n"
		       "  meta.#50: 7 -> 7\n"
		       "  #40.#3: 7 -> 7\n"
		       "  ipv4.#99: 7 -> 7\n"
		       "  std.#42: 7 -> 7\n"
		       "  ?: ? -> ?\n"
		       "  #31: set valid\n"
		       "  #31: set invalid\n"
		       "  digest #42(0xaabb)\n"
		       "  digest mac_seen(0xaabb)\n"
		       "  learn into #42: 0xaabb -> #4000(0xaabb)\n"
		       "  learn into fwd: ? -> forward: lost (learn ring full)\n"
		       "  count #42[3]\n"
		       "  drop_packet()\n"
		       "\n"
		       "Mirror: session 3 disabled\n"
		       "Drop: ? (?)\n"
		       "Drop: dropped by action '#9999' (action)\n"
		       "Drop: no output port chosen (no_output)\n"
		       "Deparse: 1 header, 40 bytes\n"
		       "? record #999 (1, 2, 3, 4)\n"
		       "Output: port 1, 3 bytes\n");
	free(s);

	js = ft_trace_json(t, r->pipe);
	assert_non_null(js);
	j = json_loads(js, 0, &jerr);
	if (j == NULL)
		fail_msg("bad JSON (%s) in %s", jerr.text, js);
	free(js);
	assert_jstr(j, "parse/layers/1", "#30");
	assert_jstr(j, "parse/drop", "?");
	assert_jstr(j, "steps/0/control", "#5");
	assert_jstr(j, "steps/1/table", "#99");
	assert_jstr(j, "steps/1/key/?", "0x010203");
	assert_jstr(j, "steps/1/action", "#77");
	assert_jstr(j, "steps/2/params/?", "0xaabb");
	assert_jstr(j, "steps/5/cond", "#1000");
	assert_jstr(j, "steps/6/field", "?");
	assert_jstr(j, "steps/8/field", "#40.#3");
	assert_jstr(j, "steps/11/old", "?");
	assert_jstr(j, "steps/12/header", "#31");
	assert_jstr(j, "steps/15/values/0", "0xaabb");
	assert_true(json_is_false(jget(j, "steps/17/queued")));
	assert_true(json_is_null(jget(j, "steps/17/params")));
	assert_true(json_is_null(jget(j, "steps/20/port")));
	assert_jstr(j, "steps/23/kind", "drop");
	assert_true(json_is_null(jget(j, "steps/23/action")));
	assert_jstr(j, "steps/25/kind", "?");
	assert_jint(j, "steps/25/record", 999);
	assert_jstr(j, "outputs/0/hex", "");
	assert_jstr(j, "drop/reason", "no_output");
	json_decref(j);

	/* Without a pipeline: ids only. */
	s = ft_trace_text(t, NULL);
	assert_non_null(s);
	assert_non_null(strstr(s, " table #0: 0xaabb\n  -> hit, entry #5: #1(0xaabb)\n"));
	free(s);
	js = ft_trace_json(t, NULL);
	assert_non_null(js);
	j = json_loads(js, 0, &jerr);
	assert_non_null(j);
	json_decref(j);
	free(js);
	rig_destroy(r);
}

/* drop_packet() inside an action (c = 1, or d = 1) is no verdict; c = d = 0 is. */
static void
test_drop_flag(void **state)
{
	struct rig *r = rig_create(false);
	char *s;
	json_t *j;

	(void)state;
	add(r->t, TR_CONTROL, FT_CTL_INGRESS, 0, 0, 0);
	add(r->t, TR_DROP, FT_DROP_ACTION, ID.a_drop, 1, 0);
	add(r->t, TR_DROP, FT_DROP_ACTION, ID.a_drop, 0, 1);
	add(r->t, TR_DROP, FT_DROP_NO_OUTPUT, ID.a_mark, 0, 0);
	s = text_of(r);
	assert_text(s, "ingress\n"
		       "  drop_packet()\n"
		       "  drop_packet()\n"
		       "\n"
		       "Drop: no output port chosen after action 'mark' (no_output)\n");
	free(s);
	j = json_of(r);
	assert_true(json_is_false(jget(j, "steps/1/final")));
	assert_true(json_is_false(jget(j, "steps/2/final")));
	assert_true(json_is_true(jget(j, "steps/3/final")));
	assert_jstr(j, "drop/reason", "no_output");
	assert_jstr(j, "drop/action", "mark");
	json_decref(j);
	rig_destroy(r);
}

/* A compound condition of every kind, and a condition DAG deeper than the renderer goes. */
static void
test_cond_text(void **state)
{
	struct ft_program *p = build_program(false);
	struct ft_pipeline *pipe;
	struct ft_trace *t = ft_trace_create();
	struct ft_error err = {0};
	uint32_t c = 0, deep;
	char *s;

	(void)state;
	/* c = c & c, twenty times over: 2^20 leaves if it were expanded. */
	deep = add_cond(p, (struct ft_cond){.kind = FT_COND_VALID, .hdr = ID.vx});
	for (int i = 0; i < 20; i++)
		deep = add_cond(p, (struct ft_cond){.kind = FT_COND_AND, .l = deep, .r = deep});
	c = add_cond(p, (struct ft_cond){.kind = FT_COND_CMP,
					 .cmp = FT_CMP_GE,
					 .a = ft_ref_const(64, 8),
					 .b = ft_ref_field(ID.ip, 7)});
	pipe = ft_pipeline_create(p, NULL, &err);
	assert_non_null(pipe);
	assert_non_null(t);
	add(t, TR_COND, ID.c_or, 0, 0, 0);
	add(t, TR_COND, c, 1, 0, 0);
	add(t, TR_COND, deep, 1, 0, 0);
	s = ft_trace_text(t, pipe);
	assert_non_null(s);
	assert_true(strncmp(s,
			    " if (ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || "
			    "std.in_port != 7: false\n"
			    " if 64 >= ipv4.ttl: true\n"
			    " if (",
			    strlen(" if (ipv4 is valid && !(ipv4.dst_addr == 10.0.0.1)) || "
				   "std.in_port != 7: false\n if 64 >= ipv4.ttl: true\n if (")) ==
		    0);
	assert_non_null(strstr(s, "..."));
	assert_true(strlen(s) < 100000);
	free(s);
	ft_trace_destroy(t);
	ft_pipeline_destroy(pipe);
}

/* Running out of memory: the trace keeps its prefix and says it is truncated. */
static void
test_oom(void **state)
{
	struct ft_trace *t = ft_trace_create();
	static const uint8_t b[1];
	char *s, *js;
	json_t *j;

	(void)state;
	assert_non_null(t);
	add(t, TR_PACKET, 1, 64, 0, 0);
	/* A blob too large for the arena fails without touching its bytes. */
	tr_add(t, TR_OUTPUT, 1, 2, 0, 0, b, UINT32_MAX, b, 1);
	assert_int_equal(t->oom, 1);
	add(t, TR_DEPARSE, 1, 40, 0, 0); /* dropped: the trace stays a prefix */
	assert_int_equal(ft_trace_len(t), 1);
	s = ft_trace_text(t, NULL);
	assert_non_null(s);
	assert_text(s, "Packet: in_port 1, 64 bytes\n"
		       "(trace truncated: out of memory)\n");
	free(s);
	js = ft_trace_json(t, NULL);
	assert_non_null(js);
	assert_string_equal(js,
			    "{\"packet\":{\"in_port\":1,\"len\":64,\"hex\":\"\"},\"parse\":null,"
			    "\"steps\":[],\"outputs\":[],\"drop\":null,\"truncated\":true}");
	j = json_loads(js, 0, NULL);
	assert_non_null(j);
	json_decref(j);
	free(js);

	ft_trace_reset(t);
	assert_int_equal(t->oom, 0);
	assert_int_equal(ft_trace_len(t), 0);
	s = ft_trace_text(t, NULL);
	assert_string_equal(s, "");
	free(s);
	ft_trace_destroy(t);
}

/* The store: growth past its first allocation, blobs kept intact, names of kinds. */
static void
test_store(void **state)
{
	struct ft_trace *t = ft_trace_create();
	uint8_t blob[300];
	const struct tr_rec *r;

	(void)state;
	ft_trace_destroy(NULL);
	assert_int_equal(ft_trace_len(NULL), 0);
	ft_trace_reset(NULL);
	tr_add(NULL, TR_SEND, 1, 0, 0, 0, NULL, 0, NULL, 0);
	assert_non_null(t);
	for (uint32_t i = 0; i < 1000; i++) {
		memset(blob, (int)i, sizeof(blob));
		tr_add(t, TR_OUTPUT, i, 300, 0, 0, blob, 300, blob, i % 7);
	}
	assert_int_equal(ft_trace_len(t), 1000);
	assert_int_equal(t->oom, 0);
	for (uint32_t i = 0; i < 1000; i += 111) {
		r = &t->recs[i];
		assert_int_equal(r->kind, TR_OUTPUT);
		assert_int_equal(r->a, i);
		assert_int_equal(r->len1, 300);
		assert_int_equal(r->len2, i % 7);
		assert_int_equal(t->arena[r->off1], (uint8_t)i);
		assert_int_equal(t->arena[r->off1 + 299], (uint8_t)i);
	}
	for (int k = 0; k < TR_KIND_COUNT; k++)
		assert_string_not_equal(tr_kind_name((enum tr_kind)k), "?");
	assert_string_equal(tr_kind_name(TR_TABLE), "table");
	assert_string_equal(tr_kind_name(TR_KIND_COUNT), "?");
	ft_trace_destroy(t);
}

/*
 * What the executor records for a whole-header copy, for a write to a field
 * of an invalid header (ignored, so not recorded), and whom a drop is blamed
 * on: the action that called drop_packet(), not a later one.
 */
static void
test_header_copy_and_blame(void **state)
{
	static const struct ft_field_decl eth_f[] = {{"dst", 48}, {"src", 48}, {"type", 16}};
	struct ft_program *p = ft_program_create("blame");
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = ft_pkt_pool_simple_create(4, 512, &pool);
	struct ft_error err;
	struct ft_burst_result res;
	uint8_t buf[256] = {0};
	struct ft_pkt pkt;
	int t, eth, copy, ghost, first, second;

	(void)state;
	t = ft_program_add_header_type(p, "eth_t", eth_f, 3, &err);
	eth = ft_program_add_header(p, "eth", (uint32_t)t, FT_PROTO_ETH, FT_L_ETH, &err);
	copy = ft_program_add_header(p, "eth_copy", (uint32_t)t, FT_PROTO_ETH, FT_L_NONE, &err);
	ghost = ft_program_add_header(p, "ghost", (uint32_t)t, FT_PROTO_ETH, FT_L_NONE, &err);
	assert_true(eth >= 0 && copy >= 0 && ghost >= 0);
	struct ft_op a1[] = {
		{.kind = FT_OP_SET, .dst = ft_ref_header((uint32_t)copy), .a = ft_ref_header((uint32_t)eth)},
		{.kind = FT_OP_SET, .dst = ft_ref_field((uint32_t)ghost, 2), .a = ft_ref_const(7, 16)},
		{.kind = FT_OP_DROP},
	};
	struct ft_op a2[] = {{.kind = FT_OP_SET, .dst = ft_ref_field((uint32_t)eth, 2),
			      .a = ft_ref_const(0x86dd, 16)}};
	first = ft_program_add_action(p, "first", NULL, 0, a1, 3, &err);
	second = ft_program_add_action(p, "second", NULL, 0, a2, 1, &err);
	assert_true(first >= 0 && second >= 0);
	struct ft_node n0 = {.kind = FT_NODE_RUN, .action = (uint32_t)first, .next = 1};
	struct ft_node n1 = {.kind = FT_NODE_RUN, .action = (uint32_t)second, .next = FT_NODE_END};
	uint32_t emit[] = {(uint32_t)eth};

	assert_true(ft_program_add_node(p, FT_CTL_INGRESS, &n0, &err) >= 0);
	assert_true(ft_program_add_node(p, FT_CTL_INGRESS, &n1, &err) >= 0);
	assert_int_equal(ft_program_set_emit(p, emit, 1, &err), 0);
	struct ft_pipeline *pipe = ft_pipeline_create(p, NULL, &err);
	assert_non_null(pipe);
	struct ft_worker *w = ft_worker_create(pipe, &pool, &err);
	struct ft_trace *tr = ft_trace_create();
	assert_non_null(w);
	for (int i = 0; i < 6; i++)
		buf[128 + i] = (uint8_t)(0xa0 + i);
	buf[128 + 12] = 0x08;
	assert_int_equal(ft_pkt_init(&pkt, buf, sizeof(buf), 128, 60, 3), 0);
	ft_worker_trace(w, &pkt, tr, &res);
	char *text = ft_trace_text(tr, pipe);

	assert_non_null(text);
	assert_non_null(strstr(text, "eth_copy: set valid"));
	/* the copy is recorded as a change of the whole header, to eth's bytes */
	assert_non_null(strstr(text, "eth_copy: "));
	assert_non_null(strstr(text, "a0a1a2a3a4a5"));
	assert_null(strstr(text, "ghost."));
	assert_non_null(strstr(text, "Drop: dropped by action 'first'"));
	assert_int_equal(res.drop[0], FT_DROP_ACTION);
	assert_int_equal(res.drop_action[0], (uint16_t)first);
	assert_int_equal(ft_pipeline_action_drops(pipe, (uint32_t)first), 1);
	assert_int_equal(ft_pipeline_action_drops(pipe, (uint32_t)second), 0);
	free(text);
	ft_trace_destroy(tr);
	ft_worker_destroy(w);
	ft_pipeline_destroy(pipe);
	ft_pkt_pool_simple_destroy(sp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_forward),
		cmocka_unit_test(test_header_copy_and_blame),
		cmocka_unit_test(test_miss_default_drop),
		cmocka_unit_test(test_parse_error),
		cmocka_unit_test(test_vxlan_encap),
		cmocka_unit_test(test_condition),
		cmocka_unit_test(test_replicate),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_corrupt_records),
		cmocka_unit_test(test_drop_flag),
		cmocka_unit_test(test_cond_text),
		cmocka_unit_test(test_oom),
		cmocka_unit_test(test_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
