/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the front end's translation to the pipeline IR
 * (p4/lower.c, through include/flowtwin/p4.h).
 *
 * Programs are written here from one template with holes for the parser
 * states, the control's locals and its apply block. The tests check what
 * the IR says (layers, VXLAN ports, tables) and, above all, what the
 * translated program does to real packets, built by hand here; and that
 * every construct outside the subset is refused with its own message at
 * its own position.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct ft_error err;
static char *last_text; /* the program load() read last */

static const char tmpl[] =
	"#include <core.p4>\n"
	"#include <pna.p4>\n"
	"header ethernet_h { bit<48> dst_addr; bit<48> src_addr; bit<16> ether_type; }\n"
	"header vlan_h { bit<3> pcp; bit<1> dei; bit<12> vid; bit<16> ether_type; }\n"
	"header ipv4_h { bit<4> version; bit<4> ihl; bit<6> dscp; bit<2> ecn; bit<16> total_len;\n"
	"  bit<16> identification; bit<3> flags; bit<13> frag_offset; bit<8> ttl;\n"
	"  bit<8> protocol; bit<16> hdr_checksum; bit<32> src_addr; bit<32> dst_addr; }\n"
	"header udp_h { bit<16> src_port; bit<16> dst_port; bit<16> length; bit<16> checksum; }\n"
	"header vxlan_h { bit<8> flags; bit<24> reserved; bit<24> vni; bit<8> reserved2; }\n"
	"struct headers_t { ethernet_h outer_ethernet; ipv4_h outer_ipv4; ethernet_h ethernet;\n"
	"  vlan_h vlan; ipv4_h ipv4; udp_h udp; vxlan_h vxlan; ethernet_h inner_ethernet;\n"
	"  ipv4_h inner_ipv4; }\n"
	"struct metadata_t { bit<32> port; bit<16> len; bit<8> x; bit<24> vni; bool flag; }\n"
	"struct digest_t { bit<24> vni; bit<48> mac; }\n"
	"parser P(packet_in pkt, out headers_t hdr, inout metadata_t meta,\n"
	"         in pna_main_parser_input_metadata_t istd) {\n"
	"@PARSER@\n"
	"}\n"
	"control C(inout headers_t hdr, inout metadata_t meta, in pna_main_input_metadata_t istd,\n"
	"          inout pna_main_output_metadata_t ostd) {\n"
	"@LOCALS@\n"
	"  apply {\n"
	"@APPLY@\n"
	"  }\n"
	"}\n"
	"control D(packet_out pkt, inout headers_t hdr, in metadata_t meta,\n"
	"          in pna_main_output_metadata_t ostd) {\n"
	"  apply { pkt.emit(hdr); }\n"
	"}\n"
	"PNA_NIC(P(), C(), D()) main;\n";

/* The template's parser: Ethernet, VLAN, IPv4, UDP, VXLAN, inner Ethernet and IPv4. */
static const char parser_std[] =
	"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	"  0x8100: parse_vlan; 0x88a8: parse_vlan; 0x0800: parse_ipv4; default: accept; } }\n"
	"state parse_vlan { pkt.extract(hdr.vlan); transition select(hdr.vlan.ether_type) {\n"
	"  0x0800: parse_ipv4; default: accept; } }\n"
	"state parse_ipv4 { pkt.extract(hdr.ipv4); transition select(hdr.ipv4.protocol) {\n"
	"  17: parse_udp; default: accept; } }\n"
	"state parse_udp { pkt.extract(hdr.udp); transition select(hdr.udp.dst_port) {\n"
	"  4789: parse_vxlan; 8472: parse_vxlan; default: accept; } }\n"
	"state parse_vxlan { pkt.extract(hdr.vxlan); pkt.extract(hdr.inner_ethernet);\n"
	"  transition select(hdr.inner_ethernet.ether_type) { 0x0800: parse_inner_ipv4;\n"
	"  default: accept; } }\n"
	"state parse_inner_ipv4 { pkt.extract(hdr.inner_ipv4); transition accept; }\n";

/* The template with its holes filled; NULL keeps the default. Caller frees. */
static char *
program(const char *parser, const char *locals, const char *apply)
{
	const char *fill[3][2] = {{"@PARSER@", parser ? parser : parser_std},
				  {"@LOCALS@", locals ? locals : ""},
				  {"@APPLY@", apply ? apply : ""}};
	size_t size = sizeof(tmpl) + 1;
	char *out, *o;
	const char *s = tmpl;

	for (int i = 0; i < 3; i++)
		size += strlen(fill[i][1]);
	out = o = malloc(size);
	assert_non_null(out);
	while (*s) {
		int i;

		for (i = 0; i < 3 && strncmp(s, fill[i][0], strlen(fill[i][0])) != 0; i++)
			;
		if (i < 3) {
			o += sprintf(o, "%s", fill[i][1]);
			s += strlen(fill[i][0]);
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

static struct ft_program *
load(const char *parser, const char *locals, const char *apply)
{
	char *text = program(parser, locals, apply);
	struct ft_program *p;

	ft_error_clear(&err);
	p = ft_p4_load_string("t.p4", text, strlen(text), NULL, &err);
	free(last_text);
	last_text = text;
	return p;
}

static struct ft_program *
load_ok(const char *parser, const char *locals, const char *apply)
{
	struct ft_program *p = load(parser, locals, apply);

	if (p == NULL)
		fail_msg("load failed: %s", err.message);
	return p;
}

/* The line (1-based) of the first 'needle' in the program 'load()' built last. */

static uint32_t
line_of(const char *needle)
{
	const char *m = strstr(last_text, needle);
	uint32_t line = 1;

	assert_non_null(m);
	for (const char *s = last_text; s < m; s++)
		line += *s == '\n';
	return line;
}

/* --- Packets ----------------------------------------------------------------- */

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
csum(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Ethernet + IPv4 + UDP to 'dport', 'len' bytes. */
static uint32_t
udp_frame(uint8_t *p, uint32_t len, uint16_t dport)
{
	static const uint8_t dst[6] = {0x02, 0, 0, 0, 0, 0x02}, src[6] = {0x02, 0, 0, 0, 0, 0x01};

	memset(p, 0, len);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, 0x0800);
	p[14] = 0x45;
	p[15] = 0x02; /* ECT(0) */
	put16(p + 16, len - 14);
	p[22] = 64;
	p[23] = 17;
	p[26] = 10, p[29] = 1;
	p[30] = 10, p[33] = 2;
	put16(p + 24, csum(p + 14, 20));
	put16(p + 34, 1000);
	put16(p + 36, dport);
	put16(p + 38, len - 34);
	return len;
}

struct run {
	struct ft_pipeline *pipe;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	struct ft_burst_result res;
};

static struct run *
run_create(struct ft_program *prog)
{
	struct run *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->pipe = ft_pipeline_create(prog, NULL, &err);
	if (r->pipe == NULL)
		fail_msg("pipeline: %s", err.message);
	r->sp = ft_pkt_pool_simple_create(64, 2048, &r->pool);
	r->w = ft_worker_create(r->pipe, &r->pool, &err);
	assert_non_null(r->w);
	return r;
}

static void
run_destroy(struct run *r)
{
	ft_worker_destroy(r->w);
	ft_pkt_pool_simple_destroy(r->sp);
	ft_pipeline_destroy(r->pipe);
	free(r);
}

/*
 * Sends one packet in on 'port'; copies the first packet out to 'out' (if
 * not NULL) and returns its port, or -1 with nothing sent. '*n_tx' gets the
 * number of packets out.
 */
static int64_t
run_pkt(struct run *r, uint32_t port, const uint8_t *bytes, uint32_t len, uint8_t *out,
	uint32_t *out_len, uint32_t *n_tx)
{
	struct ft_pkt *p = r->pool.alloc(r->pool.arg, 2048);
	int64_t rc = -1;

	p->data_off = FT_PKT_HEADROOM;
	p->len = (uint16_t)len;
	p->in_port = port;
	memcpy(ft_pkt_data(p), bytes, len);
	ft_worker_run(r->w, &p, 1, &r->res);
	if (n_tx)
		*n_tx = r->res.n_tx;
	if (r->res.n_tx) {
		rc = r->res.tx[0].port;
		if (out) {
			memcpy(out, ft_pkt_data(r->res.tx[0].pkt), r->res.tx[0].pkt->len);
			*out_len = r->res.tx[0].pkt->len;
		}
	}
	for (uint32_t i = 0; i < r->res.n_tx; i++)
		if (r->res.tx[i].pkt != p)
			r->pool.free(r->pool.arg, r->res.tx[i].pkt);
	r->pool.free(r->pool.arg, p);
	return rc;
}

static void
add_entry(struct run *r, const char *table, const uint8_t *key, const char *action,
	  const uint8_t *data)
{
	const struct ft_program *prog = ft_pipeline_program(r->pipe);
	struct ft_txn *txn = ft_txn_begin(r->pipe, &err);
	struct ft_entry e = {.key = key, .data = data};
	int t = ft_program_find_table(prog, table);

	assert_true(t >= 0);
	e.action = (uint32_t)ft_program_find_action(prog, action);
	assert_int_equal(ft_txn_entry_add(txn, (uint32_t)t, &e, &err), 0);
	assert_int_equal(ft_txn_commit(txn, &err), 0);
}

/* --- What the IR says ---------------------------------------------------------- */

static void
test_layers(void **state)
{
	static const struct {
		const char *name;
		enum ft_layer layer;
		enum ft_proto proto;
	} want[] = {
		{"outer_ethernet", FT_L_NONE, FT_PROTO_ETH}, {"outer_ipv4", FT_L_NONE, FT_PROTO_IPV4},
		{"ethernet", FT_L_ETH, FT_PROTO_ETH},	     {"vlan", FT_L_VLAN0, FT_PROTO_VLAN},
		{"ipv4", FT_L_IPV4, FT_PROTO_IPV4},	     {"udp", FT_L_UDP, FT_PROTO_UDP},
		{"vxlan", FT_L_VXLAN, FT_PROTO_VXLAN},	     {"inner_ethernet", FT_L_IN_ETH, FT_PROTO_ETH},
		{"inner_ipv4", FT_L_IN_IPV4, FT_PROTO_IPV4},
	};
	struct ft_program *p = load_ok(NULL, NULL, NULL);
	const uint16_t *ports;
	uint32_t n;

	(void)state;
	for (uint32_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct ft_header_info hi;
		int h = ft_program_find_header(p, want[i].name);

		assert_true(h >= 0);
		assert_int_equal(ft_program_header(p, (uint32_t)h, &hi), 0);
		assert_int_equal(hi.layer, want[i].layer);
		assert_int_equal(hi.proto, want[i].proto);
	}
	ports = ft_program_vxlan_ports(p, &n);
	assert_int_equal(n, 2);
	assert_int_equal(ports[0], 4789);
	assert_int_equal(ports[1], 8472);
	ft_program_destroy(p);
}

/* @flowtwin_proto names the protocol of a header nothing extracts. */
static void
test_proto_annotation(void **state)
{
	char *text = program(NULL, NULL, NULL);
	char *at = strstr(text, "ethernet_h outer_ethernet");
	struct ft_program *p;
	struct ft_header_info hi;
	size_t len = strlen(text);
	char *edited = malloc(len + 64);

	(void)state;
	memcpy(edited, text, (size_t)(at - text));
	len = (size_t)(at - text);
	len += (size_t)sprintf(edited + len, "@flowtwin_proto(\"vlan\") vlan_h outer_ethernet");
	strcpy(edited + len, at + strlen("ethernet_h outer_ethernet"));
	p = ft_p4_load_string("t.p4", edited, strlen(edited), NULL, &err);
	if (p == NULL)
		fail_msg("%s", err.message);
	ft_program_header(p, (uint32_t)ft_program_find_header(p, "outer_ethernet"), &hi);
	assert_int_equal(hi.proto, FT_PROTO_VLAN);
	ft_program_destroy(p);
	free(text);
	free(edited);
}

static void
test_table_decl(void **state)
{
	struct ft_program *p = load_ok(
		NULL,
		"  action set_port(bit<32> port) { meta.port = port; }\n"
		"  action learn(bit<32> port) { add_entry(\"set_port\", {port}, "
		"(ExpireTimeProfileId_t)0); }\n"
		"  table t {\n"
		"    key = { meta.vni : exact; hdr.ethernet.src_addr : exact; }\n"
		"    actions = { @tableonly set_port; @defaultonly learn; }\n"
		"    default_action = learn(7);\n"
		"    add_on_miss = true;\n"
		"    pna_idle_timeout = PNA_IdleTimeout_t.NOTIFY_CONTROL;\n"
		"    size = 4096;\n"
		"  }\n"
		"  table u { key = { hdr.ipv4.dst_addr : lpm; istd.input_port : exact; }\n"
		"    actions = { set_port; } }\n",
		"t.apply(); u.apply();");
	struct ft_table_decl td;
	struct ft_action_info ai;

	(void)state;
	assert_int_equal(ft_program_table(p, (uint32_t)ft_program_find_table(p, "t"), &td), 0);
	assert_int_equal(td.n_keys, 2);
	assert_int_equal(td.keys[0].ref.kind, FT_REF_META);
	assert_int_equal(td.keys[1].ref.kind, FT_REF_FIELD);
	assert_int_equal(td.n_actions, 2);
	assert_int_equal(td.actions[0].scope, FT_SCOPE_TABLE_ONLY);
	assert_int_equal(td.actions[1].scope, FT_SCOPE_DEFAULT_ONLY);
	assert_true(td.add_on_miss);
	assert_int_equal(td.idle_timeout_ms, 300000);
	assert_int_equal(td.size, 4096);
	assert_false(td.default_const);
	assert_memory_equal(td.default_data, "\0\0\0\7", 4);
	ft_program_action(p, td.default_action, &ai);
	assert_string_equal(ai.name, "learn");
	assert_int_equal(ai.ops[0].kind, FT_OP_LEARN);

	/* No default_action: NoAction, added as @defaultonly. */
	assert_int_equal(ft_program_table(p, (uint32_t)ft_program_find_table(p, "u"), &td), 0);
	assert_int_equal(td.keys[0].match, FT_MATCH_LPM);
	assert_int_equal(td.keys[1].ref.kind, FT_REF_STD);
	assert_int_equal(td.keys[1].ref.id, FT_STD_IN_PORT);
	assert_int_equal(td.size, 1024);
	ft_program_action(p, td.default_action, &ai);
	assert_string_equal(ai.name, "NoAction");
	assert_int_equal(td.n_actions, 2);
	assert_int_equal(td.actions[1].scope, FT_SCOPE_DEFAULT_ONLY);
	ft_program_destroy(p);
}

/* --- What the program does ------------------------------------------------------ */

/* An encapsulation in the style of DPDK's VXLAN example, checked byte for byte. */
static void
test_encap(void **state)
{
	struct ft_program *p = load_ok(
		NULL,
		"  InternetChecksum() ck;\n"
		"  action encap(bit<48> dmac, bit<32> dip, bit<32> port) {\n"
		"    hdr.outer_ethernet.setValid();\n"
		"    hdr.outer_ethernet.dst_addr = dmac;\n"
		"    hdr.outer_ethernet.src_addr = 48w0x020000000009;\n"
		"    hdr.outer_ethernet.ether_type = 0x0800;\n"
		"    hdr.outer_ipv4.setValid();\n"
		"    hdr.outer_ipv4.version = 4;\n"
		"    hdr.outer_ipv4.ihl = 5;\n"
		"    hdr.outer_ipv4.ecn = hdr.ipv4.ecn;\n"
		"    hdr.outer_ipv4.total_len = hdr.ipv4.total_len + 20 + 14;\n"
		"    hdr.outer_ipv4.ttl = 64;\n"
		"    hdr.outer_ipv4.protocol = 4;\n"
		"    hdr.outer_ipv4.dst_addr = dip;\n"
		"    ck.clear();\n"
		"    ck.add({hdr.outer_ipv4.version, hdr.outer_ipv4.ihl, hdr.outer_ipv4.dscp,\n"
		"            hdr.outer_ipv4.ecn, hdr.outer_ipv4.total_len,\n"
		"            hdr.outer_ipv4.identification, hdr.outer_ipv4.flags,\n"
		"            hdr.outer_ipv4.frag_offset, hdr.outer_ipv4.ttl,\n"
		"            hdr.outer_ipv4.protocol, hdr.outer_ipv4.src_addr,\n"
		"            hdr.outer_ipv4.dst_addr});\n"
		"    hdr.outer_ipv4.hdr_checksum = ck.get();\n"
		"    send_to_port((PortId_t)port);\n"
		"  }\n"
		"  action drop() { drop_packet(); }\n"
		"  table fwd { key = { hdr.ethernet.dst_addr : exact; }\n"
		"    actions = { encap; drop; } const default_action = drop(); }\n",
		"fwd.apply();");
	static const uint8_t key[6] = {0x02, 0, 0, 0, 0, 0x02};
	static const uint8_t data[14] = {0x02, 0, 0, 0, 0, 0x07, 192, 168, 0, 1, 0, 0, 0, 5};
	uint8_t in[64], out[256], want[256];
	uint32_t len = udp_frame(in, 64, 53), out_len;
	struct run *r = run_create(p);

	(void)state;
	assert_int_equal(run_pkt(r, 1, in, len, out, &out_len, NULL), -1); /* miss: drop */
	add_entry(r, "fwd", key, "encap", data);
	assert_int_equal(run_pkt(r, 1, in, len, out, &out_len, NULL), 5);
	memset(want, 0, sizeof(want));
	memcpy(want, data, 6);
	want[11] = 9, want[6] = 2;
	put16(want + 12, 0x0800);
	want[14] = 0x45;
	want[15] = 0x02; /* ECN copied */
	put16(want + 16, 64 - 14 + 34);
	want[22] = 64;
	want[23] = 4;
	memcpy(want + 30, data + 6, 4);
	put16(want + 24, csum(want + 14, 20));
	memcpy(want + 34, in, len);
	assert_int_equal(out_len, 34 + len);
	assert_memory_equal(out, want, out_len);
	run_destroy(r);
}

/*
 * Control flow: hit and miss, switch on action_run with a fall-through
 * label and a default, if/else on validity and comparisons, and the
 * parser's prologue (pkt.length()). Each path sends the packet to its own
 * port.
 */
static void
test_control_flow(void **state)
{
	static const char parser[] =
		"state start { meta.len = (bit<16>)pkt.length(); pkt.extract(hdr.ethernet);\n"
		"  transition select(hdr.ethernet.ether_type) { 0x0800: parse_ipv4;\n"
		"  default: accept; } }\n"
		"state parse_ipv4 { pkt.extract(hdr.ipv4); transition accept; }\n";
	struct ft_program *p;

	(void)state;
	p = load_ok(parser,
		    "  action a1() { meta.x = 1; }\n"
		    "  action a2() { meta.x = 2; }\n"
		    "  action a3() { meta.x = 3; }\n"
		    "  action fwd(bit<32> port) { send_to_port((PortId_t)port); }\n"
		    "  table t { key = { hdr.ethernet.src_addr : exact; } actions = { a1; a2; a3; }\n"
		    "    default_action = a3(); }\n"
		    "  table hm { key = { hdr.ethernet.dst_addr : exact; } actions = { NoAction; } }\n",
		    "    if (!hdr.ipv4.isValid()) {\n"
		    "      send_to_port((PortId_t)(bit<32>)meta.len);\n"
		    "      exit;\n"
		    "    }\n"
		    "    switch (t.apply().action_run) {\n"
		    "      a1:\n"
		    "      a2: { if (meta.x == 1) { fwd(11); } else { fwd(12); } }\n"
		    "      default: { fwd(13); }\n"
		    "    }\n"
		    "    if (hdr.ipv4.ttl > 100 || hdr.ipv4.ttl == 1) { fwd(20); }\n"
		    "    if (hm.apply().hit) { meta.port = meta.port + 100; send_to_port((PortId_t)meta.port); }\n"
		    "    else { meta.flag = true; }\n"
		    "    if (meta.flag && meta.x != 3) { fwd(30); }\n");
	struct run *r = run_create(p);
	uint8_t in[64];
	uint32_t len = udp_frame(in, 64, 53);
	uint8_t k_src[6] = {0x02, 0, 0, 0, 0, 0x01}, k_dst[6] = {0x02, 0, 0, 0, 0, 0x02};

	/* Not IPv4: out the port that is its length. */
	in[12] = 0x86, in[13] = 0x00;
	assert_int_equal(run_pkt(r, 1, in, 61, NULL, NULL, NULL), 61);
	in[12] = 0x08;
	/* t misses: a3 -> default case, 13; ttl 64; hm misses, flag set, x == 3: stays 13. */
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 13);
	add_entry(r, "t", k_src, "a1", NULL);
	/* a1 falls through to a2's body: x == 1 -> 11; then flag && x != 3 -> 30. */
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 30);
	in[22] = 1; /* ttl 1 -> 20 */
	add_entry(r, "hm", k_dst, "NoAction", NULL);
	/* hit: meta.port = 0 + 100 -> 100, and the flag stays clear. */
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 100);
	run_destroy(r);
}

/* Expressions: wrap-around, casts, slices, shifts, locals, bound arguments. */
static void
test_expressions(void **state)
{
	struct ft_program *p = load_ok(
		NULL,
		"  const bit<16> BASE = 0x0f00 + 0xf0;\n"
		"  action calc(bit<8> k) {\n"
		"    bit<16> t = hdr.ipv4.total_len - 1;\n"
		"    hdr.ipv4.identification = (t << 4) | BASE;\n"
		"    hdr.ipv4.ttl = hdr.ipv4.ttl + 200;\n"
		"    hdr.ipv4.protocol = hdr.ipv4.dst_addr[15:8] ^ k;\n"
		"    hdr.ipv4.hdr_checksum = (bit<16>)(hdr.ipv4.src_addr >> 20) + ~16w0;\n"
		"    meta.port = (bit<32>)hdr.ipv4.ttl;\n"
		"    send_to_port((PortId_t)meta.port);\n"
		"  }\n",
		"calc(0x5a);");
	struct run *r = run_create(p);
	uint8_t in[64], out[128];
	uint32_t len = udp_frame(in, 64, 53), out_len;

	(void)state;
	/* ttl 64 + 200 = 264 wraps to 8: the port. */
	assert_int_equal(run_pkt(r, 1, in, len, out, &out_len, NULL), 8);
	assert_int_equal(out[22], 8);
	/* identification = ((50 - 1) << 4) | 0x0ff0 */
	assert_int_equal(out[18] << 8 | out[19], ((49 << 4) | 0x0ff0) & 0xffff);
	/* protocol = dst_addr[15:8] (0) ^ 0x5a */
	assert_int_equal(out[23], 0x5a);
	/* checksum field = (10.0.0.1 >> 20) truncated + 0xffff: 0x00a0 - 1 */
	assert_int_equal(out[24] << 8 | out[25], 0x009f);
	run_destroy(r);
}

/* Digests, counters, replication, the Hash extern. */
static void
test_externs(void **state)
{
	struct ft_program *p = load_ok(
		NULL,
		"  Digest<digest_t>() miss;\n"
		"  Counter<bit<32>, bit<32>>(16, PNA_CounterType_t.PACKETS_AND_BYTES) cnt;\n"
		"  Hash<bit<16>>(PNA_HashAlgorithm_t.TARGET_DEFAULT) h;\n"
		"  action go() {\n"
		"    miss.pack({24w7, hdr.ethernet.src_addr});\n"
		"    cnt.count(3);\n"
		"    hdr.udp.src_port = h.get_hash(16w49152, {hdr.ethernet.src_addr}, 16w16384);\n"
		"    send_to_port((PortId_t)32w2);\n"
		"  }\n",
		"go();");
	struct run *r = run_create(p);
	uint8_t in[64], out[128];
	uint32_t len = udp_frame(in, 64, 53), out_len;
	uint64_t packets, bytes;
	uint32_t sport;

	(void)state;
	assert_int_equal(run_pkt(r, 1, in, len, out, &out_len, NULL), 2);
	assert_int_equal(r->res.n_events, 1);
	assert_int_equal(r->res.events[0].id, ft_program_find_digest(p, "miss"));
	assert_int_equal(r->res.events[0].len, 9);
	assert_memory_equal(r->res.events[0].data, "\0\0\7\2\0\0\0\0\1", 9);
	assert_int_equal(ft_pipeline_counter_read(r->pipe, 0, 3, &packets, &bytes), 0);
	assert_int_equal(packets, 1);
	sport = (uint32_t)(out[34] << 8 | out[35]);
	assert_true(sport >= 49152);
	run_destroy(r);
}

/*
 * Entries in the program: 'const entries' (the first that matches wins, and
 * the control plane cannot change them) and plain 'entries' (it can).
 */
static void
test_entries(void **state)
{
	struct ft_program *p = load_ok(
		NULL,
		"  action fwd(bit<32> port) { send_to_port((PortId_t)port); }\n"
		"  table ecn { key = { hdr.ipv4.ecn : ternary; hdr.ipv4.ttl : exact; }\n"
		"    actions = { fwd; NoAction; }\n"
		"    const entries = {\n"
		"      (3, 64) : fwd(7);\n"
		"      (2 &&& 2, 64) : fwd(8);\n"
		"      (_, 64) : fwd(9);\n"
		"    }\n"
		"  }\n"
		"  table ports { key = { istd.input_port : exact; } actions = { fwd; }\n"
		"    default_action = fwd(1);\n"
		"    entries = { 5 : fwd(55); }\n"
		"  }\n",
		"if (!ecn.apply().hit) { ports.apply(); }");
	struct run *r = run_create(p);
	uint8_t in[64];
	uint32_t len = udp_frame(in, 64, 53);
	uint8_t k[4] = {0, 0, 0, 5}, d[4] = {0, 0, 0, 66};
	struct ft_entry e = {.key = k, .action = (uint32_t)ft_program_find_action(p, "fwd"),
			     .data = d};
	struct ft_txn *txn;

	(void)state;
	in[15] = 3; /* CE: the first entry */
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 7);
	in[15] = 2; /* ECT(0): the second (the third matches too, later) */
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 8);
	in[15] = 1;
	assert_int_equal(run_pkt(r, 1, in, len, NULL, NULL, NULL), 9);
	in[22] = 63; /* no const entry: ports, entry 5 or the default */
	assert_int_equal(run_pkt(r, 5, in, len, NULL, NULL, NULL), 55);
	assert_int_equal(run_pkt(r, 4, in, len, NULL, NULL, NULL), 1);
	/* The control plane may change 'entries', not 'const entries'. */
	txn = ft_txn_begin(r->pipe, &err);
	assert_int_equal(ft_txn_entry_modify(txn, (uint32_t)ft_program_find_table(p, "ports"), &e,
					     &err), 0);
	assert_int_equal(ft_txn_commit(txn, &err), 0);
	assert_int_equal(run_pkt(r, 5, in, len, NULL, NULL, NULL), 66);
	txn = ft_txn_begin(r->pipe, &err);
	assert_int_equal(ft_txn_entry_add(txn, (uint32_t)ft_program_find_table(p, "ecn"), &e,
					  &err), -EPERM);
	ft_txn_abort(txn);
	run_destroy(r);

	/* Two entries with one key: the pipeline refuses the program, and frees nothing of it. */
	p = load_ok(NULL,
		    "  table t { key = { meta.x : exact; } actions = { NoAction; }\n"
		    "    const entries = { 1 : NoAction(); 1 : NoAction(); } }\n",
		    "t.apply();");
	assert_null(ft_pipeline_create(p, NULL, &err));
	assert_int_equal(err.code, -EEXIST);
	ft_program_destroy(p);
}

/* --- What is refused, and how ------------------------------------------------ */

struct bad {
	const char *parser, *locals, *apply;
	int code;
	const char *msg;
};

static const struct bad bad[] = {
	/* The parser graph. */
	{"state start { pkt.extract(hdr.ethernet); transition reject; }", NULL, NULL, -ENOTSUP,
	 "transition reject is not supported"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.src_addr) {\n"
	 " default: accept; } }", NULL, NULL, -ENOTSUP,
	 "select on anything but the next-protocol field of 'ethernet' (eth) is not supported"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	 " 0x8100: v; default: accept; } }\n"
	 "state v { pkt.extract(hdr.vlan); transition accept; }", NULL, NULL, -ENOTSUP,
	 "after eth, value 0x88a8 leads the model's parser to vlan0 ('vlan'); the P4 parser must "
	 "go there too"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	 " 0x88cc: v; default: accept; } }\n"
	 "state v { pkt.extract(hdr.ipv4); transition accept; }", NULL, NULL, -ENOTSUP,
	 "the model's parser does not go on from eth for value 0x88cc"},
	{"state start { pkt.extract(hdr.ethernet); pkt.extract(hdr.ipv4); transition accept; }",
	 NULL, NULL, -ENOTSUP,
	 "'ipv4' is extracted after 'ethernet' without a select"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	 " 0x0800: v; default: v; } }\n"
	 "state v { pkt.extract(hdr.ipv4); transition accept; }", NULL, NULL, -ENOTSUP,
	 "the default case must go to accept"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	 " 0x0800: v; default: accept; } }\n"
	 "state v { pkt.extract(hdr.vlan); transition accept; }", NULL, NULL, -ENOTSUP,
	 "'vlan' is extracted as ipv4 but its type vlan_h is 32 bits, not 160"},
	{"state start { pkt.extract(hdr.ethernet); transition select(hdr.ethernet.ether_type) {\n"
	 " 0x0800: v; 0x86dd: w; default: accept; } }\n"
	 "state v { pkt.extract(hdr.ipv4); transition accept; }\n"
	 "state w { pkt.extract(hdr.ipv4); transition accept; }", NULL, NULL, -ENOTSUP,
	 "'ipv4' is extracted as ipv6 but its type ipv4_h is 160 bits, not 320"},
	{"state start { pkt.extract(hdr.ethernet); verify(true, error.NoMatch); "
	 "transition accept; }", NULL, NULL, -ENOTSUP,
	 "in a parser state only extract() is supported"},
	/* Actions. */
	{NULL, "action a() { if (hdr.ipv4.ttl == 0) { drop_packet(); } }", "a();", -ENOTSUP,
	 "if inside an action is not supported (actions are straight-line): move it to the "
	 "apply block"},
	{NULL, "action a() { meta.x = hdr.ipv4.ttl == 0 ? 8w1 : 8w2; }", "a();", -ENOTSUP,
	 "'?:' inside an action is not supported"},
	{NULL, "action a() { meta.flag = hdr.ipv4.ttl == 0; }", "a();", -ENOTSUP,
	 "conditions inside an action are not supported"},
	{NULL, "action a() { meta.x = hdr.ipv4.ttl * hdr.ipv4.ttl; }", "a();", -ENOTSUP,
	 "operator '*' on fields is not supported"},
	{NULL, "action b() { } action a() { b(); }", "a();", -ENOTSUP,
	 "calling an action from an action is not supported"},
	{NULL, "action a() { meta.x = hdr.ethernet.ether_type; }", "a();", -EINVAL,
	 "type mismatch: bit<16> where bit<8> is expected"},
	{NULL, "action a() { meta.x = foo; }", "a();", -EINVAL, "unknown name 'foo'"},
	{NULL, "action a() { meta.port = (bit<32>)istd.direction; }", "a();", -ENOTSUP,
	 "istd.direction is not supported (input_port and timestamp are)"},
	{NULL, "action a(int<8> v) { }", "a(1);", -ENOTSUP,
	 "signed integers (int<N>) are not supported"},
	{NULL, "action a(inout bit<8> v) { }", NULL, -ENOTSUP, NULL},
	{NULL, "action a() { recirculate(); }", "a();", -ENOTSUP, "recirculate() is not supported"},
	/* Tables and controls. */
	{NULL, "table t { key = { meta.x : range; } actions = { NoAction; } }", "t.apply();",
	 -ENOTSUP, "match kind 'range' is not supported"},
	{NULL, "table t { key = { meta.x : exact; } actions = { NoAction; }\n"
	 " const entries = { (1, 2) : NoAction(); } }", "t.apply();", -EINVAL,
	 "the table has 1 key fields, the entry 2"},
	{NULL, "table t { key = { meta.x : exact; } actions = { NoAction; }\n"
	 " const entries = { _ : NoAction(); } }", "t.apply();", -EINVAL,
	 "an exact key field needs a value"},
	{NULL, "table t { key = { meta.x : ternary; } actions = { NoAction; }\n"
	 " const entries = { 1 .. 3 : NoAction(); } }", "t.apply();", -ENOTSUP,
	 "ranges are not supported"},
	{NULL, "table t { actions = { NoAction; } foo = 1; }", "t.apply();", -ENOTSUP,
	 "table property 'foo' is not supported"},
	{NULL, "table t { key = { meta.x + 1 : exact; } actions = { NoAction; } }",
	 "t.apply();", -ENOTSUP, "this expression is not supported here"},
	{NULL, "Meter<bit<32>>(16, PNA_MeterType_t.PACKETS) m;", NULL, -ENOTSUP,
	 "extern Meter is not supported"},
	{NULL, "bit<8> v;", NULL, -ENOTSUP, "control-local variables are not supported"},
	{NULL, NULL, "switch (meta.x) { default: {} }", -ENOTSUP,
	 "switch is supported on t.apply().action_run only"},
	{NULL, NULL, "if (meta.x + 1 == 2) { exit; }", -ENOTSUP,
	 "only fields, metadata and constants can be compared in a condition"},
	{NULL, "table t { actions = { NoAction; } }", "if (t.apply()) { exit; }", -EINVAL,
	 "apply() is not a condition: use .hit or .miss"},
};

static void
test_errors(void **state)
{
	(void)state;
	for (uint32_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct ft_program *p = load(bad[i].parser, bad[i].locals, bad[i].apply);

		if (p != NULL)
			fail_msg("case %u loaded", i);
		if (err.code != bad[i].code)
			fail_msg("case %u: code %d, not %d: %s", i, err.code, bad[i].code,
				 err.message);
		if (strncmp(err.message, "t.p4:", 5) != 0 ||
		    (bad[i].msg && strstr(err.message, bad[i].msg) == NULL))
			fail_msg("case %u: '%s'", i, err.message);
	}
}

/* Positions: the error is where the offending construct is. */
static void
test_error_positions(void **state)
{
	char want[64];

	(void)state;
	assert_null(load(NULL, "action a() {\n  meta.x = hdr.ipv4.ttl * 2 * hdr.ipv4.ttl;\n}",
			 "a();"));
	snprintf(want, sizeof(want), "t.p4:%u:29: operator '*'", line_of("meta.x = hdr"));
	if (strncmp(err.message, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", err.message, want);
	assert_null(load("state start { pkt.extract(hdr.ethernet);\n  transition reject; }",
			 NULL, NULL));
	snprintf(want, sizeof(want), "t.p4:%u:3: transition reject", line_of("transition reject"));
	if (strncmp(err.message, want, strlen(want)) != 0)
		fail_msg("'%s' does not start with '%s'", err.message, want);
}

/* A program without main, or whose main is not a PNA_NIC. */
static void
test_no_main(void **state)
{
	static const char text[] = "#include <core.p4>\nheader h_t { bit<8> a; }\n";

	(void)state;
	assert_null(ft_p4_load_string("t.p4", text, strlen(text), NULL, &err));
	if (strstr(err.message, "t.p4:2:8: no package instantiation 'main'") == NULL)
		fail_msg("%s", err.message);
	assert_null(ft_p4_load_string("t.p4", "", 0, NULL, &err));
	assert_string_equal(err.message, "t.p4:1:1: no package instantiation 'main'");
	assert_null(ft_p4_load("/nonexistent/x.p4", NULL, &err));
	assert_int_equal(err.code, -ENOENT);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layers),	       cmocka_unit_test(test_proto_annotation),
		cmocka_unit_test(test_table_decl),     cmocka_unit_test(test_encap),
		cmocka_unit_test(test_control_flow),   cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_externs),	       cmocka_unit_test(test_entries),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_error_positions), cmocka_unit_test(test_no_main),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	free(last_text);
	return rc;
}
