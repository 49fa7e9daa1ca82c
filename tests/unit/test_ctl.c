/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the control API (model/ctl.c, include/flowtwin/ctl.h).
 *
 * A small program built with the builder API has one table of each kind
 * the commands must handle: exact on std.in_port, exact on two keys (a
 * 24-bit metadata field and a 48-bit header field), ternary, lpm on a
 * 32-bit field, exact on a 128-bit field, and a table of two entries; with
 * @tableonly and @defaultonly actions, a const default, and parameters of
 * 1, 12, 24, 32 and 48 bits. Commands go in as text; what they did is read
 * back through the pipeline API (ft_pipeline_entry_read(),
 * ft_pipeline_default_read(), ft_pipeline_group_read()), and table_dump's
 * text is compared with the exact text expected, and fed into a fresh
 * pipeline to see that it rebuilds the same state.
 *
 * Every rejected command is run through reject(), which checks the error
 * code, kind, object and message, and that the text of every table and
 * group is the same after it as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <flowtwin/ctl.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- The program ------------------------------------------------------------- */

enum { H_ETH, H_IPV4 };
enum { ETH_DST, ETH_SRC, ETH_TYPE };
enum { IP_PROTO = 8, IP_DST = 11 };
enum { M_VNI, M_ADDR6 };
enum { A_DROP, A_FWD, A_SET_VNI, A_ENCAP, A_MISS, A_SET_DMAC, A_FLAG };
enum { T_PORT, T_FDB, T_ACL, T_ROUTE, T_V6, T_TINY, N_TABLES };
#define N_GROUPS 8

static const char *const table_names[N_TABLES] = {"port_in", "fdb", "acl", "route", "v6", "tiny"};

static uint32_t
ok(int rc, const struct ft_error *err)
{
	if (rc < 0)
		fail_msg("builder: %d %s: %s", rc, err->object, err->message);
	return (uint32_t)rc;
}

static void
add_action(struct ft_program *p, const char *name, const struct ft_param_decl *params,
           uint32_t n_params, const struct ft_op *ops, uint32_t n_ops)
{
	struct ft_error err = {0};

	ok(ft_program_add_action(p, name, params, n_params, ops, n_ops, &err), &err);
}

static void
add_table(struct ft_program *p, const char *name, const struct ft_key_decl *keys, uint32_t n_keys,
          const struct ft_table_action *acts, uint32_t n_acts, uint32_t def, bool def_const,
          uint32_t size)
{
	struct ft_table_decl d = {.name = name,
	                          .keys = keys,
	                          .n_keys = n_keys,
	                          .actions = acts,
	                          .n_actions = n_acts,
	                          .default_action = def,
	                          .default_const = def_const,
	                          .size = size};
	struct ft_error err = {0};

	ok(ft_program_add_table(p, &d, &err), &err);
}

/*
 * Tables:
 *   port_in  std.in_port exact -> set_vni(vni) | drop @tableonly | miss @defaultonly; default miss
 *   fdb      (meta.vni exact, ethernet.dst_addr exact) -> forward(port)
 *            | encap(vni, dmac, port) | flag(on, tag) | miss @defaultonly; default miss
 *   acl      (ipv4.dst_addr ternary, ipv4.protocol ternary) -> forward | drop; const default drop
 *   route    ipv4.dst_addr lpm -> forward | set_dmac(dmac) | drop; default drop
 *   v6       meta.addr6 (128 bits) exact -> forward; default forward(0)
 *   tiny     ethernet.ether_type exact, 2 entries -> forward | drop; default drop
 */
static struct ft_program *
program_build(void)
{
	static const struct ft_field_decl eth_f[] = {
	        {"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
	static const struct ft_field_decl ip_f[] = {{"version", 4},         {"ihl", 4},
	                                            {"diffserv", 8},        {"total_len", 16},
	                                            {"identification", 16}, {"flags", 3},
	                                            {"frag_offset", 13},    {"ttl", 8},
	                                            {"protocol", 8},        {"hdr_checksum", 16},
	                                            {"src_addr", 32},       {"dst_addr", 32}};
	static const struct ft_param_decl p_port[] = {{"port", 32}};
	static const struct ft_param_decl p_vni[] = {{"vni", 24}};
	static const struct ft_param_decl p_encap[] = {{"vni", 24}, {"dmac", 48}, {"port", 32}};
	static const struct ft_param_decl p_dmac[] = {{"dmac", 48}};
	static const struct ft_param_decl p_flag[] = {{"on", 1}, {"tag", 12}};
	struct ft_program *p = ft_program_create("ctl_test");
	struct ft_error err = {0};
	uint32_t eth_t, ip_t, emit[2] = {H_ETH, H_IPV4};
	struct ft_op op_drop = {.kind = FT_OP_DROP};
	struct ft_op op_fwd = {.kind = FT_OP_SEND, .a = ft_ref_param(0)};
	struct ft_op op_vni = {.kind = FT_OP_SET, .dst = ft_ref_meta(M_VNI), .a = ft_ref_param(0)};
	struct ft_op op_dmac = {
	        .kind = FT_OP_SET, .dst = ft_ref_field(H_ETH, ETH_DST), .a = ft_ref_param(0)};
	struct ft_op op_encap[3] = {
	        op_vni,
	        {.kind = FT_OP_SET, .dst = ft_ref_field(H_ETH, ETH_DST), .a = ft_ref_param(1)},
	        {.kind = FT_OP_SEND, .a = ft_ref_param(2)},
	};
	struct ft_key_decl k_port[] = {{ft_ref_std(FT_STD_IN_PORT), FT_MATCH_EXACT}};
	struct ft_key_decl k_fdb[] = {{ft_ref_meta(M_VNI), FT_MATCH_EXACT},
	                              {ft_ref_field(H_ETH, ETH_DST), FT_MATCH_EXACT}};
	struct ft_key_decl k_acl[] = {{ft_ref_field(H_IPV4, IP_DST), FT_MATCH_TERNARY},
	                              {ft_ref_field(H_IPV4, IP_PROTO), FT_MATCH_TERNARY}};
	struct ft_key_decl k_route[] = {{ft_ref_field(H_IPV4, IP_DST), FT_MATCH_LPM}};
	struct ft_key_decl k_v6[] = {{ft_ref_meta(M_ADDR6), FT_MATCH_EXACT}};
	struct ft_key_decl k_tiny[] = {{ft_ref_field(H_ETH, ETH_TYPE), FT_MATCH_EXACT}};
	struct ft_table_action a_port[] = {{A_SET_VNI, FT_SCOPE_ANY},
	                                   {A_DROP, FT_SCOPE_TABLE_ONLY},
	                                   {A_MISS, FT_SCOPE_DEFAULT_ONLY}};
	struct ft_table_action a_fdb[] = {{A_FWD, FT_SCOPE_ANY},
	                                  {A_ENCAP, FT_SCOPE_ANY},
	                                  {A_FLAG, FT_SCOPE_ANY},
	                                  {A_MISS, FT_SCOPE_DEFAULT_ONLY}};
	struct ft_table_action a_fwd_drop[] = {{A_FWD, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}};
	struct ft_table_action a_route[] = {
	        {A_FWD, FT_SCOPE_ANY}, {A_SET_DMAC, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}};
	struct ft_table_action a_v6[] = {{A_FWD, FT_SCOPE_ANY}};
	uint32_t chain[N_TABLES];

	assert_non_null(p);
	eth_t = ok(ft_program_add_header_type(p, "ethernet_t", eth_f, 3, &err), &err);
	ip_t = ok(ft_program_add_header_type(p, "ipv4_t", ip_f, 12, &err), &err);
	assert_int_equal(
	        ok(ft_program_add_header(p, "ethernet", eth_t, FT_PROTO_ETH, FT_L_ETH, &err), &err),
	        H_ETH);
	assert_int_equal(
	        ok(ft_program_add_header(p, "ipv4", ip_t, FT_PROTO_IPV4, FT_L_IPV4, &err), &err),
	        H_IPV4);
	ok(ft_program_set_emit(p, emit, 2, &err), &err);
	assert_int_equal(ok(ft_program_add_metadata(p, "vni", 24, &err), &err), M_VNI);
	assert_int_equal(ok(ft_program_add_metadata(p, "addr6", 128, &err), &err), M_ADDR6);
	ok(ft_program_set_limits(p, N_GROUPS, 4, &err), &err);

	add_action(p, "drop", NULL, 0, &op_drop, 1);
	add_action(p, "forward", p_port, 1, &op_fwd, 1);
	add_action(p, "set_vni", p_vni, 1, &op_vni, 1);
	add_action(p, "encap", p_encap, 3, op_encap, 3);
	add_action(p, "miss", NULL, 0, &op_drop, 1);
	add_action(p, "set_dmac", p_dmac, 1, &op_dmac, 1);
	add_action(p, "flag", p_flag, 2, &op_drop, 1);

	add_table(p, "port_in", k_port, 1, a_port, 3, A_MISS, false, 16);
	add_table(p, "fdb", k_fdb, 2, a_fdb, 4, A_MISS, false, 64);
	add_table(p, "acl", k_acl, 2, a_fwd_drop, 2, A_DROP, true, 16);
	add_table(p, "route", k_route, 1, a_route, 3, A_DROP, false, 16);
	add_table(p, "v6", k_v6, 1, a_v6, 1, A_FWD, false, 4);
	add_table(p, "tiny", k_tiny, 1, a_fwd_drop, 2, A_DROP, false, 2);
	for (uint32_t i = 0; i < N_TABLES; i++) {
		struct ft_node nd = {.kind = FT_NODE_APPLY,
		                     .table = i,
		                     .next = i + 1 < N_TABLES ? i + 1 : FT_NODE_END,
		                     .next_hit = FT_NEXT_DEFAULT,
		                     .next_miss = FT_NEXT_DEFAULT};

		chain[i] = ok(ft_program_add_node(p, FT_CTL_INGRESS, &nd, &err), &err);
	}
	(void)chain;
	return p;
}

/* A pipeline and a control session over it. */
struct bed {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
};

static void
bed_init(struct bed *b)
{
	struct ft_program *p = program_build();
	struct ft_error err = {0};

	b->pipe = ft_pipeline_create(p, NULL, &err);
	if (b->pipe == NULL)
		fail_msg("pipeline: %s: %s", err.object, err.message);
	b->ctl = ft_ctl_create(b->pipe);
	assert_non_null(b->ctl);
	assert_ptr_equal(ft_ctl_pipeline(b->ctl), b->pipe);
}

static void
bed_fini(struct bed *b)
{
	ft_ctl_destroy(b->ctl);
	ft_pipeline_destroy(b->pipe);
}

/* --- Running commands -------------------------------------------------------- */

/* Output collected as text, one line after another, each ending in '\n'. */
struct text {
	char *s;
	size_t len;
	uint32_t lines;
};

static void
text_out(void *arg, const char *line)
{
	struct text *t = arg;
	size_t n = strlen(line);

	assert_null(strchr(line, '\n'));
	t->s = realloc(t->s, t->len + n + 2);
	assert_non_null(t->s);
	memcpy(t->s + t->len, line, n);
	t->len += n;
	t->s[t->len++] = '\n';
	t->s[t->len] = '\0';
	t->lines++;
}

static void
run_at(struct ft_ctl *ctl, const char *line, int at)
{
	struct ft_error err = {0};
	int rc = ft_ctl_exec(ctl, line, NULL, NULL, &err);

	if (rc != 0)
		fail_msg("line %d: '%s' returned %d: %s '%s': %s", at, line, rc,
		         ft_error_kind_name(err.kind), err.object, err.message);
}
#define run(ctl, line) run_at((ctl), (line), __LINE__)

/* The output of 'table_dump TABLE'. Caller frees the result. */
static char *
dump(struct ft_ctl *ctl, const char *table)
{
	struct text t = {0};
	struct ft_error err = {0};
	char line[128];

	snprintf(line, sizeof(line), "table_dump %s", table);
	assert_int_equal(ft_ctl_exec(ctl, line, text_out, &t, &err), 0);
	assert_non_null(t.s);
	return t.s;
}

static void
dump_is(struct ft_ctl *ctl, const char *table, const char *want)
{
	char *got = dump(ctl, table);

	assert_string_equal(got, want);
	free(got);
}

/* Everything the commands can change, as text: every table's dump and every group. */
static char *
state(struct bed *b)
{
	struct text t = {0};
	char line[256];

	for (uint32_t i = 0; i < N_TABLES; i++) {
		snprintf(line, sizeof(line), "table_dump %s", table_names[i]);
		assert_int_equal(ft_ctl_exec(b->ctl, line, text_out, &t, NULL), 0);
	}
	for (uint32_t g = 0; g < N_GROUPS; g++) {
		struct ft_group_member m[16];
		int n = ft_pipeline_group_read(b->pipe, g, m, 16);
		int len;

		assert_true(n >= 0 && n <= 16);
		len = snprintf(line, sizeof(line), "group %u:", g);
		for (int i = 0; i < n; i++)
			len += snprintf(line + len, sizeof(line) - (size_t)len, " %u:%u", m[i].port,
			                m[i].rid);
		text_out(&t, line);
	}
	return t.s;
}

/*
 * Runs a command that must fail with 'code', an error of 'kind' about
 * 'object' whose message is 'message'; and change nothing.
 */
static void
reject_at(struct bed *b, const char *line, int code, enum ft_error_kind kind, const char *object,
          const char *message, int at)
{
	struct ft_error err = {0};
	char *before = state(b), *after;
	int rc = ft_ctl_exec(b->ctl, line, NULL, NULL, &err);

	if (rc != code || err.code != code || err.kind != kind || strcmp(err.object, object) ||
	    strcmp(err.message, message))
		fail_msg("line %d: '%s': got %d %s '%s': '%s'; want %d %s '%s': '%s'", at, line, rc,
		         ft_error_kind_name(err.kind), err.object, err.message, code,
		         ft_error_kind_name(kind), object, message);
	after = state(b);
	assert_string_equal(before, after);
	free(before);
	free(after);
	/* And without an error to fill. */
	assert_int_equal(ft_ctl_exec(b->ctl, line, NULL, NULL, NULL), code);
}
#define reject(b, line, code, kind, object, message)                                               \
	reject_at((b), (line), (code), (kind), (object), (message), __LINE__)

/* Reads the entry of 'table' with 'key' (and 'mask', 'priority'); asserts it is there. */
static struct ft_entry_info
entry(struct bed *b, uint32_t table, const uint8_t *key, const uint8_t *mask, uint32_t priority)
{
	struct ft_entry e = {.key = key, .mask = mask, .priority = priority};
	struct ft_entry_info info;

	assert_int_equal(ft_pipeline_entry_read(b->pipe, table, &e, &info), 0);
	return info;
}

static bool
has_entry(struct bed *b, uint32_t table, const uint8_t *key, const uint8_t *mask, uint32_t priority)
{
	struct ft_entry e = {.key = key, .mask = mask, .priority = priority};
	struct ft_entry_info info;

	return ft_pipeline_entry_read(b->pipe, table, &e, &info) == 0;
}

/* --- Values ------------------------------------------------------------------ */

static void
parse_ok(const char *text, uint32_t bits, const uint8_t *want)
{
	uint8_t out[16];
	struct ft_error err = {0};
	int rc;

	memset(out, 0xee, sizeof(out));
	rc = ft_ctl_parse_value(text, bits, out, "f", &err);
	if (rc != 0)
		fail_msg("'%s' (%u bits): %d %s", text, bits, rc, err.message);
	assert_memory_equal(out, want, (bits + 7) / 8);
	if ((bits + 7) / 8 < sizeof(out))
		assert_int_equal(out[(bits + 7) / 8], 0xee); /* nothing written past the value */
}

static void
parse_bad(const char *text, uint32_t bits, const char *message)
{
	uint8_t out[16];
	struct ft_error err = {0};

	assert_int_equal(ft_ctl_parse_value(text, bits, out, "meta.vni", &err), -EINVAL);
	assert_int_equal(err.code, -EINVAL);
	assert_int_equal(err.kind, FT_ERR_FIELD);
	assert_string_equal(err.object, "meta.vni");
	assert_string_equal(err.message, message);
	assert_int_equal(ft_ctl_parse_value(text, bits, out, NULL, NULL), -EINVAL);
}

static void
test_parse_value(void **state_)
{
	static const uint8_t max128[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	static const uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

	(void)state_;
	parse_ok("0", 1, (const uint8_t[]){0});
	parse_ok("1", 1, (const uint8_t[]){1});
	parse_ok("0b1", 1, (const uint8_t[]){1});
	parse_ok("4095", 12, (const uint8_t[]){0x0f, 0xff});
	parse_ok("0xfff", 12, (const uint8_t[]){0x0f, 0xff});
	parse_ok("0XFfF", 12, (const uint8_t[]){0x0f, 0xff});
	parse_ok("0b101", 24, (const uint8_t[]){0, 0, 5});
	parse_ok("16777215", 24, (const uint8_t[]){0xff, 0xff, 0xff});
	parse_ok("0x000064", 24, (const uint8_t[]){0, 0, 100});
	parse_ok("007", 24, (const uint8_t[]){0, 0, 7});
	parse_ok("4294967295", 32, (const uint8_t[]){0xff, 0xff, 0xff, 0xff});
	parse_ok("10.1.2.3", 32, (const uint8_t[]){10, 1, 2, 3});
	parse_ok("aa:bb:cc:dd:ee:ff", 48, (const uint8_t[]){0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff});
	parse_ok("0:1:2:a:B:c", 48, (const uint8_t[]){0, 1, 2, 0xa, 0xb, 0xc});
	parse_ok("0x0000aabbccddeeff", 48, (const uint8_t[]){0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff});
	parse_ok("2001:db8::1", 128, v6);
	parse_ok("340282366920938463463374607431768211455", 128, max128);
	parse_ok("0xffffffffffffffffffffffffffffffff", 128, max128);

	parse_bad("", 24, "empty value");
	parse_bad(NULL, 24, "empty value");
	parse_bad("-1", 24, "'-1' is negative");
	parse_bad("12x", 24, "bad value '12x'");
	parse_bad("0x", 24, "bad value '0x'");
	parse_bad("0b102", 24, "bad value '0b102'");
	parse_bad("+1", 24, "bad value '+1'");
	parse_bad("16777216", 24, "'16777216' does not fit in 24 bits");
	parse_bad("0x1000000", 24, "'0x1000000' does not fit in 24 bits");
	parse_bad("2", 1, "'2' does not fit in 1 bits");
	parse_bad("4096", 12, "'4096' does not fit in 12 bits");
	parse_bad("340282366920938463463374607431768211456", 128,
	          "'340282366920938463463374607431768211456' does not fit in 128 bits");
	parse_bad("99999999999999999999999999999999999999999999", 128,
	          "'99999999999999999999999999999999999999999999' does not fit in 128 bits");
	/* 2^136 wraps to 0 in any fixed-width arithmetic a parser might use. */
	parse_bad("87112285931760246646623899502532662132736", 8,
	          "'87112285931760246646623899502532662132736' does not fit in 8 bits");
	parse_bad("0x10000000000000000000000000000000000", 8,
	          "'0x10000000000000000000000000000000000' does not fit in 8 bits");
	parse_bad("18446744073709551616", 64, "'18446744073709551616' does not fit in 64 bits");
	parse_ok("0x000000000000000000000000000000000000000001", 8, (const uint8_t[]){1});
	parse_bad("aa:bb", 48, "bad MAC address 'aa:bb'");
	parse_bad("aa:bb:cc:dd:ee:fg", 48, "bad MAC address 'aa:bb:cc:dd:ee:fg'");
	parse_bad("aa:bb:cc:dd:ee:ff:00", 48, "bad MAC address 'aa:bb:cc:dd:ee:ff:00'");
	parse_bad("aaa:bb:cc:dd:ee:ff", 48, "bad MAC address 'aaa:bb:cc:dd:ee:ff'");
	parse_bad("aa:bb:cc:dd:ee:ff", 24,
	          "MAC address 'aa:bb:cc:dd:ee:ff' given for a 24-bit field");
	parse_bad("10.0.0", 32, "bad IPv4 address '10.0.0'");
	parse_bad("10.0.0.256", 32, "bad IPv4 address '10.0.0.256'");
	parse_bad("10.0.0.1", 48, "IPv4 address '10.0.0.1' given for a 48-bit field");
	parse_bad("2001:db8::1", 48, "IPv6 address '2001:db8::1' given for a 48-bit field");
	parse_bad("2001:db8::g", 128, "bad IPv6 address '2001:db8::g'");
	parse_bad("1", 0, "a field of 0 bits cannot hold a value");
	parse_bad("1", 129, "a field of 129 bits cannot hold a value");
}

static void
format_is(const uint8_t *val, uint32_t bits, const char *want)
{
	char buf[64];
	uint8_t back[16];

	assert_int_equal(ft_ctl_format_value(val, bits, buf, sizeof(buf)), (int)strlen(want));
	assert_string_equal(buf, want);
	/* What it prints reads back as the same value. */
	assert_int_equal(ft_ctl_parse_value(buf, bits, back, "f", NULL), 0);
	assert_memory_equal(back, val, (bits + 7) / 8);
}

static void
test_format_value(void **state_)
{
	uint8_t v[16];
	char small[4];

	(void)state_;
	format_is((const uint8_t[]){1}, 1, "1");
	format_is((const uint8_t[]){0x0f, 0xff}, 12, "4095");
	format_is((const uint8_t[]){0xff, 0xff}, 16, "65535");
	format_is((const uint8_t[]){0, 0, 100}, 24, "0x000064");
	format_is((const uint8_t[]){10, 0, 0, 1}, 32, "0x0a000001");
	format_is((const uint8_t[]){1, 0, 0, 0, 1}, 33, "0x100000001");
	format_is((const uint8_t[]){0xaa, 0xbb, 0xcc, 0, 0xee, 0xf}, 48, "aa:bb:cc:00:ee:0f");
	memset(v, 0xab, sizeof(v));
	format_is(v, 128, "0xabababababababababababababababab");
	/* Truncation reports the length needed, as snprintf() does. */
	assert_int_equal(
	        ft_ctl_format_value((const uint8_t[]){0, 0, 100}, 24, small, sizeof(small)), 8);
	assert_string_equal(small, "0x0");
	assert_int_equal(ft_ctl_format_value(v, 0, small, sizeof(small)), -EINVAL);
	assert_int_equal(ft_ctl_format_value(v, 129, small, sizeof(small)), -EINVAL);

	/* Every width, random values: format then parse gives the value back. */
	srand(7);
	for (uint32_t bits = 1; bits <= 128; bits++) {
		for (int round = 0; round < 20; round++) {
			uint32_t nb = (bits + 7) / 8;
			char buf[64];
			uint8_t back[16];

			for (uint32_t i = 0; i < nb; i++)
				v[i] = (uint8_t)rand();
			if (nb * 8 > bits)
				v[0] &= (uint8_t)(0xffu >> (nb * 8 - bits));
			ft_ctl_format_value(v, bits, buf, sizeof(buf));
			assert_int_equal(ft_ctl_parse_value(buf, bits, back, "f", NULL), 0);
			assert_memory_equal(back, v, nb);
		}
	}
}

/* --- Commands ------------------------------------------------------------------ */

static void
test_table_add_exact(void **state_)
{
	static const uint8_t k_port[4] = {0, 0, 0, 7};
	static const uint8_t k_fdb[9] = {0, 0, 100, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
	static const uint8_t k_fdb2[9] = {0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1};
	static const uint8_t k_v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
	struct ft_entry_info e;
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add port_in set_vni 7 => 100");
	run(b.ctl, "  table_add\tfdb forward 100 aa:bb:cc:dd:ee:ff => 3   ");
	run(b.ctl, "table_add fdb encap 0xffffff 02:00:00:00:00:01 => 5000 0:1:2:3:4:5 10.0.0.9");
	run(b.ctl, "table_add v6 forward 2001:db8::1 => 0x10 # a comment after the command");

	e = entry(&b, T_PORT, k_port, NULL, 0);
	assert_int_equal(e.action, A_SET_VNI);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 100}), 3);
	e = entry(&b, T_FDB, k_fdb, NULL, 0);
	assert_int_equal(e.action, A_FWD);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 0, 3}), 4);
	e = entry(&b, T_FDB, k_fdb2, NULL, 0);
	assert_int_equal(e.action, A_ENCAP);
	assert_memory_equal(e.data,
	                    ((const uint8_t[]){0, 0x13, 0x88, 0, 1, 2, 3, 4, 5, 10, 0, 0, 9}), 13);
	e = entry(&b, T_V6, k_v6, NULL, 0);
	assert_int_equal(e.action, A_FWD);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 0, 0x10}), 4);

	/* Blank lines and comments do nothing and succeed. */
	assert_int_equal(ft_ctl_exec(b.ctl, "", NULL, NULL, NULL), 0);
	assert_int_equal(ft_ctl_exec(b.ctl, "   \t ", NULL, NULL, NULL), 0);
	assert_int_equal(ft_ctl_exec(b.ctl, "# table_add port_in set_vni 8 => 1", NULL, NULL, NULL),
	                 0);
	assert_false(has_entry(&b, T_PORT, (const uint8_t[]){0, 0, 0, 8}, NULL, 0));
	bed_fini(&b);
}

static void
test_table_add_ternary_lpm(void **state_)
{
	static const uint8_t k_acl[5] = {10, 0, 0, 0, 6};
	static const uint8_t m_acl[5] = {255, 0, 0, 0, 0xff};
	static const uint8_t k_acl2[5] = {0, 0, 0, 0, 0};
	static const uint8_t m_acl2[5] = {0, 0, 0, 0, 0};
	static const uint8_t k_rt[4] = {10, 1, 0, 0};
	static const uint8_t m_rt[4] = {255, 255, 0, 0};
	static const uint8_t m_rt0[4] = {0, 0, 0, 0};
	struct ft_entry_info e;
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add acl forward 10.0.0.0&&&255.0.0.0 6&&&0xff => 1 20");
	run(b.ctl, "table_add acl drop 0&&&0 0&&&0 => 1");
	run(b.ctl, "table_add route set_dmac 10.1.0.0/16 => aa:bb:cc:dd:ee:ff");
	run(b.ctl, "table_add route forward 0.0.0.0/0 => 9");
	/* Key bits outside the mask are dropped: this is 10.2.0.0/16. */
	run(b.ctl, "table_add route forward 10.2.3.4/16 => 4");

	e = entry(&b, T_ACL, k_acl, m_acl, 20);
	assert_int_equal(e.action, A_FWD);
	assert_int_equal(e.priority, 20);
	assert_memory_equal(e.mask, m_acl, 5);
	e = entry(&b, T_ACL, k_acl2, m_acl2, 1);
	assert_int_equal(e.action, A_DROP);
	e = entry(&b, T_ROUTE, k_rt, m_rt, 0);
	assert_int_equal(e.action, A_SET_DMAC);
	assert_memory_equal(e.data, ((const uint8_t[]){0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}), 6);
	e = entry(&b, T_ROUTE, (const uint8_t[]){0, 0, 0, 0}, m_rt0, 0);
	assert_int_equal(e.action, A_FWD);
	e = entry(&b, T_ROUTE, (const uint8_t[]){10, 2, 0, 0}, m_rt, 0);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 0, 4}), 4);
	dump_is(b.ctl, "route",
	        "table_add route set_dmac 0x0a010000/16 => aa:bb:cc:dd:ee:ff"
	        " # handle 0 packets 0 bytes 0\n"
	        "table_add route forward 0x00000000/0 => 0x00000009 # handle 1 packets 0 bytes 0\n"
	        "table_add route forward 0x0a020000/16 => 0x00000004 # handle 2 packets 0 bytes 0\n"
	        "table_set_default route drop\n");
	dump_is(b.ctl, "acl",
	        "table_add acl forward 0x0a000000&&&0xff000000 6&&&255 => 0x00000001 20"
	        " # handle 0 packets 0 bytes 0\n"
	        "table_add acl drop 0x00000000&&&0x00000000 0&&&0 => 1 # handle 1 packets 0 bytes "
	        "0\n"
	        "# const default: table_set_default acl drop\n");
	bed_fini(&b);
}

static void
test_set_default(void **state_)
{
	const uint8_t *data;
	uint32_t action;
	struct bed b;

	(void)state_;
	bed_init(&b);
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_TINY, &action, &data), 0);
	assert_int_equal(action, A_DROP);
	run(b.ctl, "table_set_default tiny forward 12");
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_TINY, &action, &data), 0);
	assert_int_equal(action, A_FWD);
	assert_memory_equal(data, ((const uint8_t[]){0, 0, 0, 12}), 4);
	run(b.ctl, "table_set_default tiny drop");
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_TINY, &action, &data), 0);
	assert_int_equal(action, A_DROP);
	run(b.ctl, "table_set_default fdb flag 1 4095");
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_FDB, &action, &data), 0);
	assert_int_equal(action, A_FLAG);
	assert_memory_equal(data, ((const uint8_t[]){1, 0x0f, 0xff}), 3);
	dump_is(b.ctl, "fdb", "table_set_default fdb flag 1 4095\n");
	/* A @defaultonly action may be the default. */
	run(b.ctl, "table_set_default fdb miss");
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_FDB, &action, &data), 0);
	assert_int_equal(action, A_MISS);
	dump_is(b.ctl, "fdb", "table_set_default fdb miss\n");
	bed_fini(&b);
}

/* Tables with masks (lpm, ternary) take a new default action too. */
static void
test_set_default_wildcard(void **state_)
{
	const uint8_t *data;
	uint32_t action;
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add route forward 10.0.0.0/8 => 1");
	run(b.ctl, "table_set_default route set_dmac 01:02:03:04:05:06");
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_ROUTE, &action, &data), 0);
	assert_int_equal(action, A_SET_DMAC);
	assert_memory_equal(data, ((const uint8_t[]){1, 2, 3, 4, 5, 6}), 6);
	dump_is(b.ctl, "route",
	        "table_add route forward 0x0a000000/8 => 0x00000001 # handle 0 packets 0 bytes 0\n"
	        "table_set_default route set_dmac 01:02:03:04:05:06\n");
	bed_fini(&b);
}

/* The handle of the only entry whose dump line contains 'needle'. */
static uint32_t
handle_of(struct ft_ctl *ctl, const char *table, const char *needle)
{
	char *d = dump(ctl, table), *line = strstr(d, needle), *h;
	unsigned int handle;

	assert_non_null(line);
	h = strstr(line, "# handle ");
	assert_non_null(h);
	assert_int_equal(sscanf(h, "# handle %u", &handle), 1);
	free(d);
	return handle;
}

static void
test_modify_delete(void **state_)
{
	static const uint8_t k1[9] = {0, 0, 1, 0, 0, 0, 0, 0, 1};
	static const uint8_t k2[9] = {0, 0, 2, 0, 0, 0, 0, 0, 2};
	static const uint8_t k_acl[5] = {10, 0, 0, 0, 0};
	static const uint8_t m_acl[5] = {255, 0, 0, 0, 0};
	struct ft_entry_info e;
	uint32_t h1, h2, ha;
	char line[128], msg[64];
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add fdb forward 1 00:00:00:00:00:01 => 1");
	run(b.ctl, "table_add fdb forward 2 00:00:00:00:00:02 => 2");
	run(b.ctl, "table_add acl forward 10.0.0.0&&&255.0.0.0 0&&&0 => 1 5");
	h1 = handle_of(b.ctl, "fdb", "0x000001");
	h2 = handle_of(b.ctl, "fdb", "0x000002");
	ha = handle_of(b.ctl, "acl", "forward");
	assert_int_not_equal(h1, h2);

	snprintf(line, sizeof(line), "table_modify fdb encap %u => 7 aa:aa:aa:aa:aa:aa 8", h1);
	run(b.ctl, line);
	e = entry(&b, T_FDB, k1, NULL, 0);
	assert_int_equal(e.action, A_ENCAP);
	assert_int_equal(e.handle, h1);
	assert_memory_equal(
	        e.data,
	        ((const uint8_t[]){0, 0, 7, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0, 0, 0, 8}), 13);
	/* '=>' is optional in table_modify. */
	snprintf(line, sizeof(line), "table_modify fdb forward %u 33", h1);
	run(b.ctl, line);
	e = entry(&b, T_FDB, k1, NULL, 0);
	assert_int_equal(e.action, A_FWD);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 0, 33}), 4);
	e = entry(&b, T_FDB, k2, NULL, 0);
	assert_memory_equal(e.data, ((const uint8_t[]){0, 0, 0, 2}), 4);

	/* A ternary entry keeps its priority. */
	snprintf(line, sizeof(line), "table_modify acl drop %u", ha);
	run(b.ctl, line);
	e = entry(&b, T_ACL, k_acl, m_acl, 5);
	assert_int_equal(e.action, A_DROP);

	snprintf(line, sizeof(line), "table_delete fdb %u", h1);
	run(b.ctl, line);
	assert_false(has_entry(&b, T_FDB, k1, NULL, 0));
	assert_true(has_entry(&b, T_FDB, k2, NULL, 0));
	snprintf(line, sizeof(line), "table_delete acl %u", ha);
	run(b.ctl, line);
	assert_false(has_entry(&b, T_ACL, k_acl, m_acl, 5));

	/* The deleted handle is gone. */
	snprintf(line, sizeof(line), "table_delete fdb %u", h1);
	snprintf(msg, sizeof(msg), "no entry with handle %u", h1);
	reject(&b, line, -ENOENT, FT_ERR_ENTRY, "fdb", msg);
	bed_fini(&b);
}

static void
test_table_clear(void **state_)
{
	const uint8_t *data;
	uint32_t action;
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add port_in set_vni 1 => 1");
	run(b.ctl, "table_add port_in set_vni 2 => 2");
	run(b.ctl, "table_add port_in set_vni 3 => 3");
	run(b.ctl, "table_add route forward 10.0.0.0/8 => 1");
	run(b.ctl, "table_set_default port_in set_vni 9");
	run(b.ctl, "table_clear port_in");
	dump_is(b.ctl, "port_in", "table_set_default port_in set_vni 0x000009\n");
	assert_false(has_entry(&b, T_PORT, (const uint8_t[]){0, 0, 0, 1}, NULL, 0));
	assert_int_equal(ft_pipeline_default_read(b.pipe, T_PORT, &action, &data), 0);
	assert_int_equal(action, A_SET_VNI);
	/* Other tables keep theirs. */
	assert_true(has_entry(&b, T_ROUTE, (const uint8_t[]){10, 0, 0, 0},
	                      (const uint8_t[]){255, 0, 0, 0}, 0));
	/* Clearing an empty table is fine. */
	run(b.ctl, "table_clear port_in");
	bed_fini(&b);
}

/* One Ethernet frame (type 0x9000, so the parser stops there) in on 'port'. */
static void
send_one(struct ft_pipeline *pipe, uint32_t port, uint16_t len)
{
	static struct ft_burst_result res;
	uint8_t buf[FT_PKT_HEADROOM + 128] = {0};
	struct ft_error err = {0};
	struct ft_worker *w = ft_worker_create(pipe, NULL, &err);
	struct ft_pkt p, *pp = &p;

	assert_non_null(w);
	assert_int_equal(ft_pkt_init(&p, buf, sizeof(buf), FT_PKT_HEADROOM, len, port), 0);
	ft_pkt_data(&p)[12] = 0x90;
	ft_worker_run(w, &pp, 1, &res);
	ft_worker_destroy(w);
}

static void
test_dump_text(void **state_)
{
	struct text t = {0};
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add port_in set_vni 1 => 100");
	run(b.ctl, "table_add port_in set_vni 0x2 => 0x200");
	send_one(b.pipe, 1, 64);
	send_one(b.pipe, 1, 100);
	send_one(b.pipe, 2, 70);
	dump_is(b.ctl, "port_in",
	        "table_add port_in set_vni 0x00000001 => 0x000064 # handle 0 packets 2 bytes 164\n"
	        "table_add port_in set_vni 0x00000002 => 0x000200 # handle 1 packets 1 bytes 70\n"
	        "table_set_default port_in miss\n");

	run(b.ctl, "table_add fdb encap 5 00:11:22:33:44:55 => 5000 0:1:2:3:4:5 10.0.0.9");
	run(b.ctl, "table_add fdb flag 6 00:11:22:33:44:56 => 0 12");
	dump_is(b.ctl, "fdb",
	        "table_add fdb encap 0x000005 00:11:22:33:44:55 => 0x001388 00:01:02:03:04:05 "
	        "0x0a000009 # handle 0 packets 0 bytes 0\n"
	        "table_add fdb flag 0x000006 00:11:22:33:44:56 => 0 12 # handle 1 packets 0 bytes "
	        "0\n"
	        "table_set_default fdb miss\n");
	run(b.ctl, "table_add v6 forward 2001:db8::1 => 1");
	dump_is(b.ctl, "v6",
	        "table_add v6 forward 0x20010db8000000000000000000000001 => 0x00000001"
	        " # handle 0 packets 0 bytes 0\n"
	        "table_set_default v6 forward 0x00000000\n");
	dump_is(b.ctl, "tiny", "table_set_default tiny drop\n");

	/* Without an output function the dump still succeeds. */
	assert_int_equal(ft_ctl_exec(b.ctl, "table_dump port_in", NULL, NULL, NULL), 0);
	/* Each line goes out on its own. */
	assert_int_equal(ft_ctl_exec(b.ctl, "table_dump fdb", text_out, &t, NULL), 0);
	assert_int_equal(t.lines, 3);
	free(t.s);
	bed_fini(&b);
}

static const char *const populate[] = {
        "table_add port_in set_vni 1 => 100",
        "table_add port_in set_vni 2 => 16777215",
        "table_set_default port_in set_vni 3",
        "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 3",
        "table_add fdb encap 7 00:00:00:00:00:07 => 8 02:00:00:00:00:08 9",
        "table_add fdb flag 0 ff:ff:ff:ff:ff:ff => 1 0",
        "table_set_default fdb flag 0 7",
        "table_add acl forward 10.0.0.0&&&255.0.0.0 17&&&0xff => 1 10",
        "table_add acl drop 0.0.0.0&&&0.0.0.0 0&&&0 => 0",
        "table_add acl forward 192.168.1.1&&&255.255.255.255 0&&&0 => 2 0xffffffff",
        "table_add route forward 10.0.0.0/8 => 1",
        "table_add route set_dmac 10.1.0.0/16 => 00:00:5e:00:53:01",
        "table_add route forward 0.0.0.0/0 => 0",
        "table_add route forward 255.255.255.255/32 => 4",
        "table_set_default tiny forward 5",
        "table_add v6 forward ::1 => 1",
        "table_add v6 forward ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff => 2",
        "table_add tiny forward 0x0800 => 1",
        "table_add tiny drop 0x86dd =>",
        "group_set 3 1 2:7",
};

/* The dump of every table, without the handle and counter comments. */
static char *
tables_text(struct bed *b)
{
	struct text t = {0};
	char line[128];

	for (uint32_t i = 0; i < N_TABLES; i++) {
		snprintf(line, sizeof(line), "table_dump %s", table_names[i]);
		assert_int_equal(ft_ctl_exec(b->ctl, line, text_out, &t, NULL), 0);
	}
	for (char *c = strstr(t.s, " # handle"); c != NULL; c = strstr(c, " # handle")) {
		char *nl = strchr(c, '\n');

		memmove(c, nl, strlen(nl) + 1);
	}
	return t.s;
}

static void
test_round_trip(void **state_)
{
	struct bed a, b;
	char *ta, *tb, *line, *save = NULL;
	struct ft_group_member m[4];

	(void)state_;
	bed_init(&a);
	bed_init(&b);
	for (size_t i = 0; i < ARRAY_SIZE(populate); i++)
		run(a.ctl, populate[i]);
	/* A modify and a delete, so that handles are not simply 0, 1, 2. */
	run(a.ctl, "table_modify fdb forward 0 => 4");
	run(a.ctl, "table_delete route 2");
	ta = tables_text(&a);
	assert_non_null(
	        strstr(ta, "table_add fdb forward 0x000064 aa:bb:cc:dd:ee:ff => 0x00000004\n"));
	assert_null(strstr(ta, "0x00000000/0"));

	/* Feed a's dump, comments and all, into b. */
	for (uint32_t i = 0; i < N_TABLES; i++) {
		char *d = dump(a.ctl, table_names[i]);

		for (line = strtok_r(d, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
			run(b.ctl, line);
		free(d);
	}
	tb = tables_text(&b);
	assert_string_equal(ta, tb);
	/* And the state read through the pipeline agrees. */
	for (uint32_t i = 0; i < N_TABLES; i++) {
		const uint8_t *da, *db;
		uint32_t aa, ab;

		ft_pipeline_default_read(a.pipe, i, &aa, &da);
		ft_pipeline_default_read(b.pipe, i, &ab, &db);
		assert_int_equal(aa, ab);
	}
	assert_true(has_entry(&b, T_ACL, (const uint8_t[]){192, 168, 1, 1, 0},
	                      (const uint8_t[]){255, 255, 255, 255, 0}, 0xffffffff));
	assert_int_equal(ft_pipeline_group_read(a.pipe, 3, m, 4), 2);
	free(ta);
	free(tb);
	bed_fini(&a);
	bed_fini(&b);
}

static void
test_groups_mirrors(void **state_)
{
	struct ft_group_member m[8];
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "group_set 5 1 2:7 3:0x10");
	assert_int_equal(ft_pipeline_group_read(b.pipe, 5, m, 8), 3);
	assert_int_equal(m[0].port, 1);
	assert_int_equal(m[0].rid, 0);
	assert_int_equal(m[1].port, 2);
	assert_int_equal(m[1].rid, 7);
	assert_int_equal(m[2].port, 3);
	assert_int_equal(m[2].rid, 16);
	run(b.ctl, "group_set 5");
	assert_int_equal(ft_pipeline_group_read(b.pipe, 5, m, 8), 0);
	run(b.ctl, "group_set 5 4");
	reject(&b, "group_set 5 1 2:65536", -EINVAL, FT_ERR_GROUP, "rid",
	       "'65536' does not fit in 16 bits");
	reject(&b, "group_set 5 x", -EINVAL, FT_ERR_GROUP, "port", "bad value 'x'");
	reject(&b, "group_set 5 10.0.0.1", -EINVAL, FT_ERR_GROUP, "port", "bad value '10.0.0.1'");
	reject(&b, "group_set 8 1", -EINVAL, FT_ERR_GROUP, "",
	       "group 8 out of range (the program has 8 groups)");
	reject(&b, "group_set", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: group_set GROUP [PORT[:RID]...]");
	assert_int_equal(ft_pipeline_group_read(b.pipe, 5, m, 8), 1);
	assert_int_equal(m[0].port, 4);

	run(b.ctl, "mirror_set 1 3");
	run(b.ctl, "mirror_set 1 off");
	reject(&b, "mirror_set 4 1", -EINVAL, FT_ERR_GROUP, "", "mirror session 4 out of range");
	reject(&b, "mirror_set 1 on", -EINVAL, FT_ERR_GROUP, "port", "bad value 'on'");
	reject(&b, "mirror_set 1", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: mirror_set SESSION PORT|off");
	bed_fini(&b);
}

/* --- Errors ------------------------------------------------------------------- */

static void
test_errors_names(void **state_)
{
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 3");
	reject(&b, "table_add fbd forward 100 aa:bb:cc:dd:ee:f0 => 3", -ENOENT, FT_ERR_TABLE, "fbd",
	       "unknown table 'fbd'");
	reject(&b, "table_dump fbd", -ENOENT, FT_ERR_TABLE, "fbd", "unknown table 'fbd'");
	reject(&b, "table_add fdb forwrd 100 aa:bb:cc:dd:ee:f0 => 3", -ENOENT, FT_ERR_ACTION,
	       "forwrd", "unknown action 'forwrd'");
	reject(&b, "table_add fdb set_vni 100 aa:bb:cc:dd:ee:f0 => 3", -EINVAL, FT_ERR_ACTION,
	       "set_vni", "action 'set_vni' is not an action of table 'fdb'");
	reject(&b, "table_add fdb miss 100 aa:bb:cc:dd:ee:f0 =>", -EINVAL, FT_ERR_ACTION, "miss",
	       "action 'miss' is @defaultonly in table 'fdb'");
	reject(&b, "table_set_default port_in drop", -EINVAL, FT_ERR_ACTION, "drop",
	       "action 'drop' is @tableonly in table 'port_in'");
	reject(&b, "table_set_default acl forward 1", -EINVAL, FT_ERR_TABLE, "acl",
	       "the default action of table 'acl' is const");
	reject(&b, "table_set_default acl drop", -EINVAL, FT_ERR_TABLE, "acl",
	       "the default action of table 'acl' is const");
	reject(&b, "table_set_default route nosuch", -ENOENT, FT_ERR_ACTION, "nosuch",
	       "unknown action 'nosuch'");
	reject(&b, "tabel_add fdb forward 1 aa:bb:cc:dd:ee:ff => 3", -ENOENT, FT_ERR_UNSPEC, "",
	       "unknown command 'tabel_add'");
	reject(&b, "table_add fdb", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: table_add TABLE ACTION KEY... => PARAM... [PRIORITY]");
	reject(&b, "table_set_default fdb", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: table_set_default TABLE ACTION [PARAM...]");
	reject(&b, "table_modify fdb forward", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: table_modify TABLE ACTION HANDLE [=>] PARAM...");
	reject(&b, "table_delete fdb", -EINVAL, FT_ERR_UNSPEC, "",
	       "usage: table_delete TABLE HANDLE");
	reject(&b, "table_dump", -EINVAL, FT_ERR_UNSPEC, "", "usage: table_dump TABLE");
	reject(&b, "table_clear fdb x", -EINVAL, FT_ERR_UNSPEC, "", "usage: table_clear TABLE");
	reject(&b, "table_clear fbd", -ENOENT, FT_ERR_TABLE, "fbd", "unknown table 'fbd'");
	bed_fini(&b);
}

static void
test_errors_keys(void **state_)
{
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 3");
	reject(&b, "table_add fdb forward 100 aa:bb => 3", -EINVAL, FT_ERR_KEY, "ethernet.dst_addr",
	       "bad MAC address 'aa:bb'");
	reject(&b, "table_add fdb forward 16777216 aa:bb:cc:dd:ee:f0 => 3", -EINVAL, FT_ERR_KEY,
	       "meta.vni", "'16777216' does not fit in 24 bits");
	reject(&b, "table_add fdb forward 0x1000000 aa:bb:cc:dd:ee:f0 => 3", -EINVAL, FT_ERR_KEY,
	       "meta.vni", "'0x1000000' does not fit in 24 bits");
	reject(&b, "table_add fdb forward aa:bb:cc:dd:ee:f0 100 => 3", -EINVAL, FT_ERR_KEY,
	       "meta.vni", "MAC address 'aa:bb:cc:dd:ee:f0' given for a 24-bit field");
	reject(&b, "table_add fdb forward 100 10.0.0.1 => 3", -EINVAL, FT_ERR_KEY,
	       "ethernet.dst_addr", "IPv4 address '10.0.0.1' given for a 48-bit field");
	reject(&b, "table_add fdb forward -1 aa:bb:cc:dd:ee:f0 => 3", -EINVAL, FT_ERR_KEY,
	       "meta.vni", "'-1' is negative");
	reject(&b, "table_add fdb forward 100 => 3", -EINVAL, FT_ERR_TABLE, "fdb",
	       "expected 2 key fields, got 1");
	reject(&b, "table_add fdb forward 100 aa:bb:cc:dd:ee:f0 1 => 3", -EINVAL, FT_ERR_TABLE,
	       "fdb", "expected 2 key fields, got 3");
	reject(&b, "table_add fdb forward 100 aa:bb:cc:dd:ee:f0 3", -EINVAL, FT_ERR_ENTRY, "fdb",
	       "missing '=>' between the key and the action parameters");
	reject(&b, "table_add port_in set_vni 0x100000000 => 1", -EINVAL, FT_ERR_KEY, "std.in_port",
	       "'0x100000000' does not fit in 32 bits");
	reject(&b, "table_add route forward 10.0.0/8 => 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "bad IPv4 address '10.0.0'");
	reject(&b, "table_add route forward 10.0.0.0 => 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "lpm key field takes VALUE/PREFIX, not '10.0.0.0'");
	reject(&b, "table_add route forward 10.0.0.0/33 => 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "bad prefix length in '10.0.0.0/33' (0 .. 32)");
	reject(&b, "table_add route forward 10.0.0.0/x => 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "bad prefix length in '10.0.0.0/x' (0 .. 32)");
	reject(&b, "table_add route forward 10.0.0.0/ => 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "bad prefix length in '10.0.0.0/' (0 .. 32)");
	reject(&b, "table_add acl forward 10.0.0.0 0&&&0 => 1 1", -EINVAL, FT_ERR_KEY,
	       "ipv4.dst_addr", "ternary key field takes VALUE&&&MASK, not '10.0.0.0'");
	reject(&b, "table_add acl forward 0&&&0 6&&&0x100 => 1 1", -EINVAL, FT_ERR_KEY,
	       "ipv4.protocol", "'0x100' does not fit in 8 bits");
	reject(&b, "table_add acl forward 0&&& 6&&&1 => 1 1", -EINVAL, FT_ERR_KEY, "ipv4.dst_addr",
	       "empty value");
	reject(&b, "table_add fdb forward 1&&&1 aa:bb:cc:dd:ee:f0 => 3", -EINVAL, FT_ERR_KEY,
	       "meta.vni", "exact key field takes VALUE, not '1&&&1'");
	reject(&b, "table_add v6 forward 2001:db8::/32 => 3", -EINVAL, FT_ERR_KEY, "meta.addr6",
	       "exact key field takes VALUE, not '2001:db8::/32'");
	reject(&b, "table_add v6 forward 2001:db8:::1 => 3", -EINVAL, FT_ERR_KEY, "meta.addr6",
	       "bad IPv6 address '2001:db8:::1'");
	bed_fini(&b);
}

static void
test_errors_params(void **state_)
{
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 3");
	reject(&b, "table_add fdb encap 1 aa:bb:cc:dd:ee:f0 => 0x1000000 aa:bb:cc:dd:ee:f1 2",
	       -EINVAL, FT_ERR_PARAM, "vni", "'0x1000000' does not fit in 24 bits");
	reject(&b, "table_add fdb encap 1 aa:bb:cc:dd:ee:f0 => 1 aa:bb:cc:dd:ee 2", -EINVAL,
	       FT_ERR_PARAM, "dmac", "bad MAC address 'aa:bb:cc:dd:ee'");
	reject(&b, "table_add fdb encap 1 aa:bb:cc:dd:ee:f0 => 1 aa:bb:cc:dd:ee:f1", -EINVAL,
	       FT_ERR_ACTION, "encap", "expected 3 action parameters, got 2");
	reject(&b, "table_add fdb forward 1 aa:bb:cc:dd:ee:f0 =>", -EINVAL, FT_ERR_ACTION,
	       "forward", "expected 1 action parameters, got 0");
	reject(&b, "table_add fdb forward 1 aa:bb:cc:dd:ee:f0 => 1 2", -EINVAL, FT_ERR_ENTRY, "fdb",
	       "only ternary tables take a priority ('2')");
	reject(&b, "table_add fdb forward 1 aa:bb:cc:dd:ee:f0 => 1 2 3", -EINVAL, FT_ERR_ACTION,
	       "forward", "expected 1 action parameters, got 3");
	reject(&b, "table_add fdb flag 1 aa:bb:cc:dd:ee:f0 => 2 1", -EINVAL, FT_ERR_PARAM, "on",
	       "'2' does not fit in 1 bits");
	reject(&b, "table_add acl forward 0&&&0 0&&&0 => 1", -EINVAL, FT_ERR_ENTRY, "acl",
	       "ternary table: expected 1 action parameters and a priority, got 1 words after "
	       "'=>'");
	reject(&b, "table_add acl forward 0&&&0 0&&&0 => 1 -5", -EINVAL, FT_ERR_ENTRY, "priority",
	       "'-5' is negative");
	reject(&b, "table_add acl forward 0&&&0 0&&&0 => 1 0x100000000", -EINVAL, FT_ERR_ENTRY,
	       "priority", "'0x100000000' does not fit in 32 bits");
	reject(&b, "table_set_default route forward", -EINVAL, FT_ERR_ACTION, "forward",
	       "expected 1 action parameters, got 0");
	reject(&b, "table_set_default route forward 1 2", -EINVAL, FT_ERR_ACTION, "forward",
	       "expected 1 action parameters, got 2");
	reject(&b, "table_set_default route set_dmac 1.2.3.4", -EINVAL, FT_ERR_PARAM, "dmac",
	       "IPv4 address '1.2.3.4' given for a 48-bit field");
	reject(&b, "table_modify fdb forward 0 => 0x100000000", -EINVAL, FT_ERR_PARAM, "port",
	       "'0x100000000' does not fit in 32 bits");
	reject(&b, "table_modify fdb miss 0", -EINVAL, FT_ERR_ACTION, "miss",
	       "action 'miss' is @defaultonly in table 'fdb'");
	reject(&b, "table_modify fdb encap 0 => 1", -EINVAL, FT_ERR_ACTION, "encap",
	       "expected 3 action parameters, got 1");
	bed_fini(&b);
}

static void
test_errors_entries(void **state_)
{
	struct ft_txn *txn;
	struct bed b;

	(void)state_;
	bed_init(&b);
	run(b.ctl, "table_add tiny forward 0x0800 => 1");
	run(b.ctl, "table_add tiny drop 0x86dd =>");
	reject(&b, "table_add tiny forward 0x0806 => 1", -ENOSPC, FT_ERR_ENTRY, "tiny",
	       "table full (2 entries)");
	run(b.ctl, "table_delete tiny 0");
	run(b.ctl, "table_add tiny forward 0x0806 => 1");

	run(b.ctl, "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 3");
	reject(&b, "table_add fdb forward 100 aa:bb:cc:dd:ee:ff => 4", -EEXIST, FT_ERR_ENTRY, "fdb",
	       "an entry with this key already exists");
	reject(&b, "table_add fdb encap 0x64 AA:BB:CC:DD:EE:FF => 1 0:0:0:0:0:0 1", -EEXIST,
	       FT_ERR_ENTRY, "fdb", "an entry with this key already exists");
	run(b.ctl, "table_add acl forward 10.0.0.0&&&255.0.0.0 0&&&0 => 1 5");
	reject(&b, "table_add acl drop 10.0.0.0&&&255.0.0.0 0&&&0 => 5", -EEXIST, FT_ERR_ENTRY,
	       "acl", "an entry with this key already exists");
	/* Same key and mask at another priority is another entry. */
	run(b.ctl, "table_add acl drop 10.0.0.0&&&255.0.0.0 0&&&0 => 6");

	/* Someone else's transaction is open: nothing can change. */
	txn = ft_txn_begin(b.pipe, NULL);
	assert_non_null(txn);
	reject(&b, "table_add fdb forward 101 aa:bb:cc:dd:ee:ff => 4", -EBUSY, FT_ERR_TXN, "",
	       "another transaction is open");
	reject(&b, "table_clear fdb", -EBUSY, FT_ERR_TXN, "", "another transaction is open");
	reject(&b, "group_set 1 1", -EBUSY, FT_ERR_TXN, "", "another transaction is open");
	ft_txn_abort(txn);
	run(b.ctl, "table_add fdb forward 101 aa:bb:cc:dd:ee:ff => 4");

	reject(&b, "table_delete fdb 7", -ENOENT, FT_ERR_ENTRY, "fdb", "no entry with handle 7");
	reject(&b, "table_modify fdb forward 7 => 1", -ENOENT, FT_ERR_ENTRY, "fdb",
	       "no entry with handle 7");
	reject(&b, "table_delete fdb x", -EINVAL, FT_ERR_ENTRY, "handle", "bad value 'x'");
	reject(&b, "table_delete fdb -1", -EINVAL, FT_ERR_ENTRY, "handle", "'-1' is negative");
	bed_fini(&b);
}

/* --- Files and vocabularies ---------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void
test_exec_file(void **state_)
{
	char path[] = "/tmp/test_ctl.XXXXXX", want[256];
	struct ft_error err = {0};
	struct text t = {0};
	struct bed b;
	int fd;

	(void)state_;
	bed_init(&b);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);

	write_file(path, "# entries\n"
	                 "\n"
	                 "table_add port_in set_vni 1 => 100\n"
	                 "table_add port_in set_vni 2 => 200 # trailing comment\n"
	                 "   \n"
	                 "table_dump port_in\n"
	                 "table_set_default tiny forward 1"); /* no newline at the end */
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, text_out, &t, &err), 4);
	assert_true(has_entry(&b, T_PORT, (const uint8_t[]){0, 0, 0, 2}, NULL, 0));
	assert_int_equal(t.lines, 3);
	free(t.s);

	write_file(path, "table_add port_in set_vni 3 => 300\n"
	                 "# a comment\n"
	                 "\n"
	                 "table_add fdb forward 16777216 aa:bb:cc:dd:ee:ff => 3\n"
	                 "table_add port_in set_vni 4 => 400\n");
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, NULL, NULL, &err), -EINVAL);
	assert_int_equal(err.kind, FT_ERR_SOURCE);
	assert_int_equal(err.code, -EINVAL);
	assert_int_equal(err.index, 4);
	assert_string_equal(err.object, "meta.vni");
	snprintf(want, sizeof(want), "%s:4: '16777216' does not fit in 24 bits", path);
	assert_string_equal(err.message, want);
	/* The lines before the error ran; the ones after did not. */
	assert_true(has_entry(&b, T_PORT, (const uint8_t[]){0, 0, 0, 3}, NULL, 0));
	assert_false(has_entry(&b, T_PORT, (const uint8_t[]){0, 0, 0, 4}, NULL, 0));

	write_file(path, "table_add fbd forward 1 => 1\n");
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, NULL, NULL, &err), -ENOENT);
	snprintf(want, sizeof(want), "%s:1: unknown table 'fbd'", path);
	assert_string_equal(err.message, want);
	assert_int_equal(err.index, 1);
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, NULL, NULL, NULL), -ENOENT);

	write_file(path, "");
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, NULL, NULL, &err), 0);

	unlink(path);
	assert_int_equal(ft_ctl_exec_file(b.ctl, path, NULL, NULL, &err), -ENOENT);
	assert_int_equal(err.kind, FT_ERR_SOURCE);
	assert_string_equal(err.object, path);
	bed_fini(&b);
}

struct vocab_seen {
	int calls;
	int argc;
	char argv[8][32];
	struct ft_ctl *ctl;
};

static int
vocab_exec(struct ft_ctl *ctl, void *vocab_arg, int argc, char **argv, ft_ctl_out_fn out,
           void *out_arg, struct ft_error *err)
{
	struct vocab_seen *seen = vocab_arg;

	seen->calls++;
	seen->ctl = ctl;
	seen->argc = argc;
	assert_null(argv[argc]);
	for (int i = 0; i < argc && i < 8; i++)
		snprintf(seen->argv[i], sizeof(seen->argv[i]), "%s", argv[i]);
	if (argc > 0)
		argv[0][0] = 'X'; /* the words are the vocabulary's to change */
	if (out != NULL)
		out(out_arg, "vocab says hi");
	if (argc > 1 && strcmp(argv[1], "fail") == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, "fdb", "told to fail");
	return 0;
}

static void
test_vocab(void **state_)
{
	static const char *const words[] = {"fdb", "neigh", NULL};
	static const char *const clash[] = {"port", "table_add", NULL};
	static const char *const clash2[] = {"neigh", NULL};
	static const char *const other_words[] = {"port", NULL};
	struct vocab_seen seen = {0}, other = {0};
	struct ft_ctl_vocab v = {.words = words, .exec = vocab_exec, .arg = &seen};
	struct ft_ctl_vocab vc = {.words = clash, .exec = vocab_exec, .arg = &other};
	struct ft_ctl_vocab vc2 = {.words = clash2, .exec = vocab_exec, .arg = &other};
	struct ft_ctl_vocab vo = {.words = other_words, .exec = vocab_exec, .arg = &other};
	struct ft_ctl_vocab bad = {.words = words, .exec = NULL};
	struct ft_error err = {0};
	struct text t = {0};
	struct bed b;

	(void)state_;
	bed_init(&b);
	reject(&b, "fdb add 1", -ENOENT, FT_ERR_UNSPEC, "", "unknown command 'fdb'");
	assert_int_equal(ft_ctl_add_vocab(b.ctl, &v), 0);
	assert_int_equal(ft_ctl_add_vocab(b.ctl, &vc), -EEXIST);
	assert_int_equal(ft_ctl_add_vocab(b.ctl, &vc2), -EEXIST);
	assert_int_equal(ft_ctl_add_vocab(b.ctl, &bad), -EINVAL);
	assert_int_equal(ft_ctl_add_vocab(b.ctl, NULL), -EINVAL);
	assert_int_equal(ft_ctl_add_vocab(b.ctl, &vo), 0);

	assert_int_equal(ft_ctl_exec(b.ctl, "  fdb add 100\taa:bb:cc:dd:ee:ff  # comment", text_out,
	                             &t, &err),
	                 0);
	assert_int_equal(seen.calls, 1);
	assert_ptr_equal(seen.ctl, b.ctl);
	assert_int_equal(seen.argc, 4);
	assert_string_equal(seen.argv[0], "fdb");
	assert_string_equal(seen.argv[1], "add");
	assert_string_equal(seen.argv[2], "100");
	assert_string_equal(seen.argv[3], "aa:bb:cc:dd:ee:ff");
	assert_string_equal(t.s, "vocab says hi\n");
	free(t.s);

	assert_int_equal(ft_ctl_exec(b.ctl, "neigh", NULL, NULL, &err), 0);
	assert_int_equal(seen.calls, 2);
	assert_int_equal(seen.argc, 1);
	assert_int_equal(ft_ctl_exec(b.ctl, "port 1 up", NULL, NULL, &err), 0);
	assert_int_equal(other.calls, 1);
	assert_int_equal(seen.calls, 2);
	assert_string_equal(other.argv[2], "up");

	assert_int_equal(ft_ctl_exec(b.ctl, "fdb fail", NULL, NULL, &err), -EINVAL);
	assert_string_equal(err.message, "told to fail");
	/* Built-in commands still work, and still belong to ctl. */
	run(b.ctl, "table_add port_in set_vni 1 => 1");
	assert_int_equal(seen.calls, 3);
	reject(&b, "fdbx add", -ENOENT, FT_ERR_UNSPEC, "", "unknown command 'fdbx'");
	bed_fini(&b);
}

static void
test_create_destroy(void **state_)
{
	(void)state_;
	ft_ctl_destroy(NULL);
	assert_null(ft_ctl_create(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_parse_value),
	        cmocka_unit_test(test_format_value),
	        cmocka_unit_test(test_table_add_exact),
	        cmocka_unit_test(test_table_add_ternary_lpm),
	        cmocka_unit_test(test_set_default),
	        cmocka_unit_test(test_set_default_wildcard),
	        cmocka_unit_test(test_modify_delete),
	        cmocka_unit_test(test_table_clear),
	        cmocka_unit_test(test_dump_text),
	        cmocka_unit_test(test_round_trip),
	        cmocka_unit_test(test_groups_mirrors),
	        cmocka_unit_test(test_errors_names),
	        cmocka_unit_test(test_errors_keys),
	        cmocka_unit_test(test_errors_params),
	        cmocka_unit_test(test_errors_entries),
	        cmocka_unit_test(test_exec_file),
	        cmocka_unit_test(test_vocab),
	        cmocka_unit_test(test_create_destroy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
