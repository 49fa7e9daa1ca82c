/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the P4 programs flowtwin ships (p4/vtep.p4,
 * p4/dpdk_vxlan.p4 and the architecture extension p4/flowtwin.p4).
 *
 * Each is read from the source tree through the front end as far as it
 * exists (preprocessor, lexer, parser: p4/ast.h) and its tree is checked:
 * the declarations the control plane and the documentation name (tables
 * with their keys and actions, header types with their layouts, the copy
 * control), and the rules of the subset the front end will translate
 * (straight-line actions, plain key fields, one-field selects on the header
 * just extracted, every drop its own action). When the semantic layer
 * lands, these programs are its first real input. Then each is loaded
 * through the whole front end (ft_p4_load()) into the pipeline IR, and the
 * model builds a pipeline from it (ft_pipeline_create()).
 *
 * The source tree: $FT_SOURCE_ROOT or $MESON_SOURCE_ROOT if set, else the
 * directory this file was compiled from (__FILE__, relative to the build
 * directory, where `meson test` runs), else "..", "../.." and ".".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>

#include "ast.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct ft_error err;
static char root[4096];

/* The source tree (meson sets FT_SOURCE_ROOT for the unit tests). */
static int
find_root(void **state)
{
	const char *r = getenv("FT_SOURCE_ROOT");

	(void)state;
	snprintf(root, sizeof(root), "%s", r != NULL && r[0] != '\0' ? r : ".");
	return 0;
}

/* Parses <root>/p4/<name>; the source is closed before returning. */
static struct p4_program *
parse_file(const char *name)
{
	struct p4_program *prog;
	struct p4_src *s;
	char path[4200];

	snprintf(path, sizeof(path), "%s/p4/%s", root, name);
	ft_error_clear(&err);
	s = p4_src_open_file(path, NULL, &err);
	if (s == NULL)
		fail_msg("%s: %s", path, err.message);
	prog = p4_parse(s, &err);
	p4_src_close(s);
	if (prog == NULL)
		fail_msg("%s", err.message);
	return prog;
}

static const struct p4_decl *
find(const struct p4_decl *list, enum p4_decl_kind kind, const char *name)
{
	const struct p4_decl *d = p4_decl_find(list, kind, name);

	if (d == NULL)
		fail_msg("no declaration '%s' of kind %d", name, (int)kind);
	return d;
}

static const struct p4_prop *
find_prop(const struct p4_decl *table, const char *name)
{
	for (const struct p4_prop *pr = table->props; pr != NULL; pr = pr->next)
		if (strcmp(pr->name, name) == 0)
			return pr;
	return NULL;
}

static const struct p4_prop *
prop(const struct p4_decl *table, const char *name)
{
	const struct p4_prop *pr = find_prop(table, name);

	if (pr == NULL)
		fail_msg("table '%s' has no property '%s'", table->name, name);
	return pr;
}

static const struct p4_state *
find_state(const struct p4_decl *parser, const char *name)
{
	for (const struct p4_state *st = parser->states; st != NULL; st = st->next)
		if (strcmp(st->name, name) == 0)
			return st;
	fail_msg("parser '%s' has no state '%s'", parser->name, name);
	return NULL;
}

static bool
has_annot(const struct p4_annot *a, const char *name)
{
	for (; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return true;
	return false;
}

/* "hdr.ethernet.dst_addr" for a chain of names and members; "" for anything else. */
static void
path_of(const struct p4_expr *e, char *buf, size_t size)
{
	char inner[256];

	buf[0] = '\0';
	if (e == NULL)
		return;
	if (e->kind == P4_EXPR_NAME) {
		snprintf(buf, size, "%s", e->name);
	} else if (e->kind == P4_EXPR_MEMBER) {
		path_of(e->a, inner, sizeof(inner));
		if (inner[0] != '\0')
			snprintf(buf, size, "%s.%s", inner, e->name);
	}
}

/* The name of a called function or method: "drop_packet", "hdr.vlan.setValid". */
static void
callee(const struct p4_stmt *s, char *buf, size_t size)
{
	buf[0] = '\0';
	if (s->kind == P4_STMT_CALL && s->rhs != NULL && s->rhs->kind == P4_EXPR_CALL)
		path_of(s->rhs->a, buf, size);
}

/* The bits of a header or struct: every field a bit<N> with a literal N. */
static uint32_t
bits_of(const struct p4_decl *d)
{
	uint32_t bits = 0;

	for (const struct p4_field *f = d->fields; f != NULL; f = f->next) {
		if (f->type->kind != P4_TYPE_BIT || f->type->width_expr != NULL)
			fail_msg("%s.%s is not bit<N>", d->name, f->name);
		bits += f->type->width;
	}
	return bits;
}

/* Checks a header type's fields: names and widths, in order. */
static void
check_header(const struct p4_program *prog, const char *name, const char *const *fields,
             const uint32_t *widths, uint32_t n)
{
	const struct p4_decl *d = find(prog->decls, P4_DECL_HEADER, name);
	const struct p4_field *f = d->fields;

	if (d->nfields != n)
		fail_msg("header %s: %u fields, want %u", name, d->nfields, n);
	for (uint32_t i = 0; i < n; i++, f = f->next) {
		if (strcmp(f->name, fields[i]) != 0)
			fail_msg("header %s: field %u is %s, want %s", name, i, f->name, fields[i]);
		assert_int_equal(f->type->kind, P4_TYPE_BIT);
		if (f->type->width != widths[i])
			fail_msg("header %s: %s is bit<%u>, want bit<%u>", name, f->name,
			         f->type->width, widths[i]);
	}
}

/* Checks the instances of a struct of headers: names and types, in order. */
static void
check_instances(const struct p4_decl *d, const char *const (*inst)[2], uint32_t n)
{
	const struct p4_field *f = d->fields;

	if (d->nfields != n)
		fail_msg("%s: %u members, want %u", d->name, d->nfields, n);
	for (uint32_t i = 0; i < n; i++, f = f->next) {
		assert_int_equal(f->type->kind, P4_TYPE_NAME);
		if (strcmp(f->name, inst[i][0]) != 0 || strcmp(f->type->name, inst[i][1]) != 0)
			fail_msg("%s member %u: %s %s, want %s %s", d->name, i, f->type->name,
			         f->name, inst[i][1], inst[i][0]);
	}
}

/* The names of a table's actions, in order, joined by ' '; '@' marks @defaultonly. */
static void
table_actions(const struct p4_decl *t, char *buf, size_t size)
{
	const struct p4_prop *pr = prop(t, "actions");

	buf[0] = '\0';
	for (const struct p4_action_ref *a = pr->actions; a != NULL; a = a->next)
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s%s", buf[0] ? " " : "",
		         has_annot(a->annots, "defaultonly") ? "@" : "", a->name);
}

/* The key of a table, as "field:kind field:kind". */
static void
table_key(const struct p4_decl *t, char *buf, size_t size)
{
	const struct p4_prop *pr = find_prop(t, "key");
	char f[256];

	buf[0] = '\0';
	if (pr == NULL)
		return;
	for (const struct p4_key *k = pr->keys; k != NULL; k = k->next) {
		path_of(k->expr, f, sizeof(f));
		snprintf(buf + strlen(buf), size - strlen(buf), "%s%s:%s", buf[0] ? " " : "",
		         f[0] ? f : "?", k->match_kind);
	}
}

/* The name of a table's default action (a name or a call). */
static const char *
default_action(const struct p4_decl *t, bool *is_const)
{
	const struct p4_prop *pr = prop(t, "default_action");

	*is_const = pr->is_const;
	if (pr->value->kind == P4_EXPR_CALL)
		return pr->value->a->name;
	return pr->value->name;
}

/*
 * The subset's rules for one action: a straight-line list of assignments
 * and calls (no if, switch, ?:, declarations, exit or return); a drop_*
 * action calls drop_packet().
 */
static void
check_expr_no_ternary(const struct p4_expr *e, const char *where)
{
	if (e == NULL)
		return;
	if (e->kind == P4_EXPR_TERNARY)
		fail_msg("%s: ?: in an action", where);
	if (e->kind == P4_EXPR_SLICE)
		fail_msg("%s: a slice in an action", where);
	check_expr_no_ternary(e->a, where);
	check_expr_no_ternary(e->b, where);
	check_expr_no_ternary(e->c, where);
	for (const struct p4_expr *x = e->args; x != NULL; x = x->next)
		check_expr_no_ternary(x, where);
}

static void
check_action(const struct p4_decl *a)
{
	bool drops = false;
	char name[256];

	for (const struct p4_param *p = a->params; p != NULL; p = p->next) {
		if (p->dir != P4_DIR_NONE)
			fail_msg("action %s: parameter %s has a direction", a->name, p->name);
		if (p->type->kind != P4_TYPE_BIT)
			fail_msg("action %s: parameter %s is not bit<N>", a->name, p->name);
	}
	for (const struct p4_stmt *s = a->body->stmts; s != NULL; s = s->next) {
		if (s->kind != P4_STMT_ASSIGN && s->kind != P4_STMT_CALL)
			fail_msg("action %s: statement of kind %d at line %u", a->name, (int)s->kind,
			         s->loc.line);
		check_expr_no_ternary(s->lhs, a->name);
		check_expr_no_ternary(s->rhs, a->name);
		callee(s, name, sizeof(name));
		if (strcmp(name, "drop_packet") == 0)
			drops = true;
	}
	if (strncmp(a->name, "drop", 4) == 0 && !drops)
		fail_msg("action %s does not call drop_packet()", a->name);
	if (strncmp(a->name, "drop", 4) != 0 && drops)
		fail_msg("action %s drops but is not named drop_*", a->name);
}

/*
 * The subset's rules for the tables of a control: keys are plain fields
 * (hdr.x.f, meta.f, istd.input_port, copy.*) matched exact, ternary or lpm;
 * every listed action and the default action are declared in the control
 * (or are NoAction); the default action is listed and not @tableonly.
 */
static void
check_tables(const struct p4_decl *ctl)
{
	for (const struct p4_decl *t = ctl->locals; t != NULL; t = t->next) {
		const struct p4_prop *keys, *acts;
		const char *def;
		bool is_const, listed = false;
		char f[256];

		if (t->kind == P4_DECL_ACTION)
			check_action(t);
		if (t->kind != P4_DECL_TABLE)
			continue;
		keys = find_prop(t, "key");
		for (const struct p4_key *k = keys ? keys->keys : NULL; k != NULL; k = k->next) {
			path_of(k->expr, f, sizeof(f));
			if (f[0] == '\0')
				fail_msg("table %s: a key that is not a plain field", t->name);
			if (strncmp(f, "hdr.", 4) != 0 && strncmp(f, "meta.", 5) != 0 &&
			    strcmp(f, "istd.input_port") != 0 && strncmp(f, "copy.", 5) != 0)
				fail_msg("table %s: key %s", t->name, f);
			if (strcmp(k->match_kind, "exact") != 0 &&
			    strcmp(k->match_kind, "ternary") != 0 && strcmp(k->match_kind, "lpm") != 0)
				fail_msg("table %s: match kind %s", t->name, k->match_kind);
		}
		acts = prop(t, "actions");
		def = default_action(t, &is_const);
		for (const struct p4_action_ref *a = acts->actions; a != NULL; a = a->next) {
			if (strcmp(a->name, "NoAction") != 0 &&
			    p4_decl_find(ctl->locals, P4_DECL_ACTION, a->name) == NULL)
				fail_msg("table %s: action %s is not declared in %s", t->name,
				         a->name, ctl->name);
			if (strcmp(a->name, def) == 0) {
				listed = true;
				if (has_annot(a->annots, "tableonly"))
					fail_msg("table %s: default action %s is @tableonly",
					         t->name, def);
			}
		}
		if (!listed)
			fail_msg("table %s: default action %s is not listed", t->name, def);
	}
}

/*
 * The subset's rules for the parser: each state extracts one header of
 * 'hdr' (the start state may also assign metadata); a select is on one
 * field of the header just extracted, with constant cases and default.
 */
static void
check_parser(const struct p4_decl *p)
{
	for (const struct p4_state *st = p->states; st != NULL; st = st->next) {
		char extracted[256] = "", f[256];

		for (const struct p4_stmt *s = st->stmts; s != NULL; s = s->next) {
			callee(s, f, sizeof(f));
			if (strcmp(f, "pkt.extract") == 0) {
				if (extracted[0] != '\0')
					fail_msg("state %s extracts twice", st->name);
				assert_int_equal(s->rhs->nargs, 1);
				path_of(s->rhs->args, extracted, sizeof(extracted));
				assert_int_equal(strncmp(extracted, "hdr.", 4), 0);
			} else if (s->kind == P4_STMT_ASSIGN && strcmp(st->name, "start") == 0) {
				path_of(s->lhs, f, sizeof(f));
				assert_int_equal(strncmp(f, "meta.", 5), 0);
			} else {
				fail_msg("state %s: statement at line %u", st->name, s->loc.line);
			}
		}
		if (extracted[0] == '\0')
			fail_msg("state %s extracts nothing", st->name);
		assert_int_not_equal(st->trans, P4_TRANS_NONE);
		if (st->trans == P4_TRANS_DIRECT) {
			assert_string_not_equal(st->next_state, "reject");
			continue;
		}
		assert_int_equal(st->nselect, 1);
		path_of(st->select, f, sizeof(f));
		if (strncmp(f, extracted, strlen(extracted)) != 0 || f[strlen(extracted)] != '.')
			fail_msg("state %s selects on %s, not a field of %s", st->name, f,
			         extracted);
		for (const struct p4_select_case *c = st->cases; c != NULL; c = c->next) {
			assert_string_not_equal(c->state, "reject");
			if (c->keyset->kind != P4_EXPR_INT && c->keyset->kind != P4_EXPR_DEFAULT)
				fail_msg("state %s: a case that is not a constant", st->name);
			if (strcmp(c->state, "accept") != 0)
				(void)find_state(p, c->state);
		}
	}
}

/* The select case of 'st' for 'value' goes to 'next'. */
static void
assert_case(const struct p4_state *st, uint64_t value, const char *next)
{
	for (const struct p4_select_case *c = st->cases; c != NULL; c = c->next)
		if (c->keyset->kind == P4_EXPR_INT && c->keyset->ival.lo == value) {
			if (strcmp(c->state, next) != 0)
				fail_msg("state %s: 0x%llx goes to %s, want %s", st->name,
				         (unsigned long long)value, c->state, next);
			return;
		}
	fail_msg("state %s has no case 0x%llx", st->name, (unsigned long long)value);
}

/* The deparser emits exactly these instances of 'hdr', in this order. */
static void
check_emit(const struct p4_decl *dep, const char *const *order, uint32_t n)
{
	const struct p4_stmt *s = dep->body->stmts;
	char f[256];

	if (dep->body->nstmts != n)
		fail_msg("%s: %u statements, want %u", dep->name, dep->body->nstmts, n);
	for (uint32_t i = 0; i < n; i++, s = s->next) {
		callee(s, f, sizeof(f));
		assert_string_equal(f, "pkt.emit");
		path_of(s->rhs->args, f, sizeof(f));
		if (strncmp(f, "hdr.", 4) != 0 || strcmp(f + 4, order[i]) != 0)
			fail_msg("%s: emit %u is %s, want hdr.%s", dep->name, i, f, order[i]);
	}
}

/* The package: PNA_NIC(MainParserImpl(), MainControlImpl(), MainDeparserImpl()) main; */
static void
check_main(const struct p4_program *prog)
{
	const struct p4_decl *d = find(prog->decls, P4_DECL_INSTANCE, "main");
	static const char *const blocks[] = {"MainParserImpl", "MainControlImpl",
	                                     "MainDeparserImpl"};
	const struct p4_expr *a = d->args;

	assert_string_equal(d->type->name, "PNA_NIC");
	assert_int_equal(d->nargs, 3);
	for (size_t i = 0; i < ARRAY_SIZE(blocks); i++, a = a->next) {
		assert_int_equal(a->kind, P4_EXPR_CALL);
		assert_string_equal(a->a->name, blocks[i]);
	}
	assert_int_equal(find(prog->decls, P4_DECL_PARSER, "MainParserImpl")->nparams, 4);
	assert_int_equal(find(prog->decls, P4_DECL_CONTROL, "MainControlImpl")->nparams, 4);
	assert_int_equal(find(prog->decls, P4_DECL_CONTROL, "MainDeparserImpl")->nparams, 4);
}

/* metadata_t: flat, bit<N> and bool only. */
static void
check_metadata(const struct p4_program *prog)
{
	const struct p4_decl *d = find(prog->decls, P4_DECL_STRUCT, "metadata_t");

	for (const struct p4_field *f = d->fields; f != NULL; f = f->next)
		if (f->type->kind != P4_TYPE_BIT && f->type->kind != P4_TYPE_BOOL)
			fail_msg("metadata_t.%s is not bit<N> or bool", f->name);
}

static const char *const eth_f[] = {"dst_addr", "src_addr", "ether_type"};
static const uint32_t eth_w[] = {48, 48, 16};
static const char *const udp_f[] = {"src_port", "dst_port", "length", "checksum"};
static const uint32_t udp_w[] = {16, 16, 16, 16};
static const char *const vxlan_f[] = {"flags", "reserved", "vni", "reserved2"};
static const uint32_t vxlan_w[] = {8, 24, 24, 8};

/* One table of vtep.p4: control, key, actions ('@': @defaultonly), default. */
struct table_want {
	const char *control, *name, *key, *actions, *def;
	bool def_const;
};

static const struct table_want vtep_tables[] = {
        {"MainControlImpl", "vtep_config", "", "@set_config", "set_config", false},
        {"MainControlImpl", "port_class", "istd.input_port:exact meta.vlan_id:exact",
         "from_uplink access access_vlan @drop_unknown_port", "drop_unknown_port", true},
        {"MainControlImpl", "vni_term", "hdr.vxlan.vni:exact", "decap @drop_unknown_vni",
         "drop_unknown_vni", true},
        {"MainControlImpl", "vtep_known", "meta.vni:exact meta.src_vtep_ip:exact",
         "vtep_ok @drop_unknown_vtep @accept_unknown_vtep", "drop_unknown_vtep", false},
        {"MainControlImpl", "mac_learn", "meta.vni:exact meta.src_mac:exact",
         "learned @learn @no_learn", "learn", false},
        {"MainControlImpl", "arp_proxy", "meta.vni:exact hdr.arp.target_proto_addr:exact",
         "arp_reply @proxy_miss", "proxy_miss", true},
        {"MainControlImpl", "fdb", "meta.vni:exact meta.dst_mac:exact",
         "to_port to_vtep to_vtep_group @fdb_miss", "fdb_miss", true},
        {"MainControlImpl", "bum_group", "meta.vni:exact", "flood @drop_no_group",
         "drop_no_group", true},
        {"VtepCopyImpl", "remote_vtep", "copy.rid:exact", "to_remote @drop_unknown_rid",
         "drop_unknown_rid", true},
        {"VtepCopyImpl", "nexthop", "meta.remote_ip:lpm", "set_nexthop @drop_no_nexthop",
         "drop_no_nexthop", true},
        {"VtepCopyImpl", "port_vlan_out", "copy.output_port:exact", "set_out_vlan @NoAction",
         "NoAction", true},
};

static void
test_vtep_headers(void **state)
{
	static const char *const vlan_f[] = {"pcp", "dei", "vid", "ether_type"};
	static const uint32_t vlan_w[] = {3, 1, 12, 16};
	static const char *const arp_f[] = {"hw_type",        "proto_type",        "hw_addr_len",
	                                    "proto_addr_len", "opcode",            "sender_hw_addr",
	                                    "sender_proto_addr", "target_hw_addr",
	                                    "target_proto_addr"};
	static const uint32_t arp_w[] = {16, 16, 8, 8, 16, 48, 32, 48, 32};
	static const char *const ipv4_f[] = {"version",      "ihl",         "dscp",     "ecn",
	                                     "total_len",    "identification", "flags",
	                                     "frag_offset",  "ttl",         "protocol",
	                                     "hdr_checksum", "src_addr",    "dst_addr"};
	static const uint32_t ipv4_w[] = {4, 4, 6, 2, 16, 16, 3, 13, 8, 8, 16, 32, 32};
	static const char *const inst[][2] = {
	        {"outer_ethernet", "ethernet_h"}, {"outer_ipv4", "ipv4_h"},
	        {"outer_udp", "udp_h"},           {"outer_vxlan", "vxlan_h"},
	        {"ethernet", "ethernet_h"},       {"vlan", "vlan_h"},
	        {"arp", "arp_h"},                 {"ipv4", "ipv4_h"},
	        {"udp", "udp_h"},                 {"vxlan", "vxlan_h"},
	        {"inner_ethernet", "ethernet_h"}, {"inner_vlan", "vlan_h"},
	        {"inner_arp", "arp_h"},           {"inner_ipv4", "ipv4_h"},
	};
	struct p4_program *prog;

	(void)state;
	prog = parse_file("vtep.p4");
	check_header(prog, "ethernet_h", eth_f, eth_w, ARRAY_SIZE(eth_f));
	check_header(prog, "vlan_h", vlan_f, vlan_w, ARRAY_SIZE(vlan_f));
	check_header(prog, "arp_h", arp_f, arp_w, ARRAY_SIZE(arp_f));
	check_header(prog, "ipv4_h", ipv4_f, ipv4_w, ARRAY_SIZE(ipv4_f));
	check_header(prog, "udp_h", udp_f, udp_w, ARRAY_SIZE(udp_f));
	check_header(prog, "vxlan_h", vxlan_f, vxlan_w, ARRAY_SIZE(vxlan_f));
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "ethernet_h")), 14 * 8);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "vlan_h")), 4 * 8);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "arp_h")), 28 * 8);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "ipv4_h")), 20 * 8);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "udp_h")), 8 * 8);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "vxlan_h")), 8 * 8);
	check_instances(find(prog->decls, P4_DECL_STRUCT, "headers_t"), inst, ARRAY_SIZE(inst));
	check_metadata(prog);
	/* the model's metadata limit: 128 bytes, each field in whole bytes */
	{
		const struct p4_decl *m = find(prog->decls, P4_DECL_STRUCT, "metadata_t");
		uint32_t bytes = 0;

		for (const struct p4_field *f = m->fields; f != NULL; f = f->next)
			bytes += f->type->kind == P4_TYPE_BOOL ? 1 : (f->type->width + 7) / 8;
		assert_true(bytes <= 128);
	}
	/* the digests */
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_STRUCT, "l2miss_t")), 24 + 48 + 32);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_STRUCT, "l3miss_t")), 24 + 32 + 32);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_STRUCT, "mac_move_t")),
	                 24 + 48 + 32 + 32);
	p4_program_free(prog);
}

static void
test_vtep_parser(void **state)
{
	static const struct {
		const char *state, *hdr;
	} extracts[] = {
	        {"start", "hdr.ethernet"},
	        {"parse_vlan", "hdr.vlan"},
	        {"parse_arp", "hdr.arp"},
	        {"parse_ipv4", "hdr.ipv4"},
	        {"parse_udp", "hdr.udp"},
	        {"parse_vxlan", "hdr.vxlan"},
	        {"parse_inner_ethernet", "hdr.inner_ethernet"},
	        {"parse_inner_arp", "hdr.inner_arp"},
	        {"parse_inner_ipv4", "hdr.inner_ipv4"},
	};
	const struct p4_decl *p;
	const struct p4_state *st;
	struct p4_program *prog;
	char f[256];

	(void)state;
	prog = parse_file("vtep.p4");
	p = find(prog->decls, P4_DECL_PARSER, "MainParserImpl");
	check_parser(p);
	assert_int_equal(p->nstates, ARRAY_SIZE(extracts));
	for (size_t i = 0; i < ARRAY_SIZE(extracts); i++) {
		st = find_state(p, extracts[i].state);
		path_of(st->stmts->rhs->args, f, sizeof(f));
		assert_string_equal(f, extracts[i].hdr);
	}
	st = find_state(p, "start");
	assert_int_equal(st->nstmts, 2);
	path_of(st->stmts->next->lhs, f, sizeof(f));
	assert_string_equal(f, "meta.pkt_len");
	assert_int_equal(st->stmts->next->rhs->kind, P4_EXPR_CAST);
	assert_case(st, 0x8100, "parse_vlan");
	assert_case(st, 0x88a8, "parse_vlan");
	assert_case(st, 0x0806, "parse_arp");
	assert_case(st, 0x0800, "parse_ipv4");
	st = find_state(p, "parse_vlan");
	assert_case(st, 0x0806, "parse_arp");
	assert_case(st, 0x0800, "parse_ipv4");
	assert_case(find_state(p, "parse_ipv4"), 17, "parse_udp");
	assert_case(find_state(p, "parse_udp"), 4789, "parse_vxlan");
	st = find_state(p, "parse_vxlan");
	assert_int_equal(st->trans, P4_TRANS_DIRECT);
	assert_string_equal(st->next_state, "parse_inner_ethernet");
	st = find_state(p, "parse_inner_ethernet");
	assert_case(st, 0x0806, "parse_inner_arp");
	assert_case(st, 0x0800, "parse_inner_ipv4");
	p4_program_free(prog);
}

static void
test_vtep_tables(void **state)
{
	const struct p4_decl *ingress, *copy, *t;
	struct p4_program *prog;
	uint32_t n_tables[2] = {0, 0};
	char buf[512];

	(void)state;
	prog = parse_file("vtep.p4");
	ingress = find(prog->decls, P4_DECL_CONTROL, "MainControlImpl");
	copy = find(prog->decls, P4_DECL_CONTROL, "VtepCopyImpl");
	check_tables(ingress);
	check_tables(copy);
	for (size_t i = 0; i < ARRAY_SIZE(vtep_tables); i++) {
		const struct table_want *w = &vtep_tables[i];
		const struct p4_decl *ctl = strcmp(w->control, "VtepCopyImpl") == 0 ? copy : ingress;
		bool is_const;

		t = find(ctl->locals, P4_DECL_TABLE, w->name);
		table_key(t, buf, sizeof(buf));
		if (strcmp(buf, w->key) != 0)
			fail_msg("table %s: key '%s', want '%s'", w->name, buf, w->key);
		table_actions(t, buf, sizeof(buf));
		if (strcmp(buf, w->actions) != 0)
			fail_msg("table %s: actions '%s', want '%s'", w->name, buf, w->actions);
		if (strcmp(default_action(t, &is_const), w->def) != 0 || is_const != w->def_const)
			fail_msg("table %s: default action %s", w->name, default_action(t, &is_const));
		assert_non_null(find_prop(t, "size"));
	}
	for (t = ingress->locals; t != NULL; t = t->next)
		n_tables[0] += t->kind == P4_DECL_TABLE;
	for (t = copy->locals; t != NULL; t = t->next)
		n_tables[1] += t->kind == P4_DECL_TABLE;
	assert_int_equal(n_tables[0] + n_tables[1], ARRAY_SIZE(vtep_tables));

	/* learning: add-on-miss, aged; its default action adds "learned" */
	t = find(ingress->locals, P4_DECL_TABLE, "mac_learn");
	assert_true(prop(t, "add_on_miss")->value->bval);
	assert_string_equal(prop(t, "pna_idle_timeout")->value->name, "NOTIFY_CONTROL");
	t = find(ingress->locals, P4_DECL_ACTION, "learn");
	callee(t->body->stmts, buf, sizeof(buf));
	assert_string_equal(buf, "add_entry");
	assert_int_equal(t->body->stmts->rhs->args->kind, P4_EXPR_STRING);
	assert_string_equal(t->body->stmts->rhs->args->name, "learned");
	assert_int_equal(t->body->stmts->rhs->args->next->nargs,
	                 find(ingress->locals, P4_DECL_ACTION, "learned")->nparams);
	/* only tables that are not add_on_miss have no add_entry; every table is applied */
	for (t = ingress->locals; t != NULL; t = t->next)
		if (t->kind == P4_DECL_TABLE && strcmp(t->name, "mac_learn") != 0)
			assert_null(find_prop(t, "add_on_miss"));
	/* the ECN decisions of RFC 6040 decapsulation (in the apply block) */
	check_action(find(ingress->locals, P4_DECL_ACTION, "ecn_ce_from_ect1"));
	check_action(find(ingress->locals, P4_DECL_ACTION, "ecn_ce_from_ect0"));
	/* vtep_config: keyless, its default carries the settings */
	t = find(ingress->locals, P4_DECL_TABLE, "vtep_config");
	assert_null(find_prop(t, "key"));
	assert_int_equal(prop(t, "default_action")->value->nargs,
	                 find(ingress->locals, P4_DECL_ACTION, "set_config")->nparams);
	p4_program_free(prog);
}

/* Every drop reason has its own action, and the flooding and encap pieces exist. */
static void
test_vtep_actions(void **state)
{
	static const char *const ingress_drops[] = {
	        "drop_unknown_port", "drop_not_vxlan",   "drop_unknown_vni", "drop_unknown_vtep",
	        "drop_ecn",          "drop_bad_src_mac", "drop_no_group",
	};
	static const char *const copy_drops[] = {
	        "drop_unknown_rid", "drop_split_horizon", "drop_proxy_suppressed",
	        "drop_no_nexthop",  "drop_hairpin",
	};
	const struct p4_decl *ingress, *copy, *a;
	struct p4_program *prog;
	char buf[256];
	bool found;

	(void)state;
	prog = parse_file("vtep.p4");
	ingress = find(prog->decls, P4_DECL_CONTROL, "MainControlImpl");
	copy = find(prog->decls, P4_DECL_CONTROL, "VtepCopyImpl");
	for (size_t i = 0; i < ARRAY_SIZE(ingress_drops); i++)
		check_action(find(ingress->locals, P4_DECL_ACTION, ingress_drops[i]));
	for (size_t i = 0; i < ARRAY_SIZE(copy_drops); i++)
		check_action(find(copy->locals, P4_DECL_ACTION, copy_drops[i]));

	/* flooding replicates to the group of the VNI */
	a = find(ingress->locals, P4_DECL_ACTION, "flood");
	found = false;
	for (const struct p4_stmt *s = a->body->stmts; s != NULL; s = s->next) {
		callee(s, buf, sizeof(buf));
		found |= strcmp(buf, "flowtwin_replicate") == 0;
	}
	assert_true(found);

	/* the ARP proxy replies out the input port */
	a = find(ingress->locals, P4_DECL_ACTION, "arp_reply");
	found = false;
	for (const struct p4_stmt *s = a->body->stmts; s != NULL; s = s->next) {
		callee(s, buf, sizeof(buf));
		if (strcmp(buf, "send_to_port") == 0) {
			path_of(s->rhs->args, buf, sizeof(buf));
			found = strcmp(buf, "istd.input_port") == 0;
		}
	}
	assert_true(found);

	/* encapsulation: the four outer headers become valid; the checksum is computed last */
	a = find(copy->locals, P4_DECL_ACTION, "vxlan_encap");
	{
		static const char *const valid[] = {"hdr.outer_ethernet.setValid",
		                                    "hdr.outer_ipv4.setValid",
		                                    "hdr.outer_udp.setValid",
		                                    "hdr.outer_vxlan.setValid"};
		size_t n = 0;

		for (const struct p4_stmt *s = a->body->stmts; s != NULL; s = s->next) {
			callee(s, buf, sizeof(buf));
			if (n < ARRAY_SIZE(valid) && strcmp(buf, valid[n]) == 0)
				n++;
		}
		assert_int_equal(n, ARRAY_SIZE(valid));
	}
	a = find(copy->locals, P4_DECL_ACTION, "outer_ipv4_checksum");
	assert_int_equal(a->body->nstmts, 3);
	callee(a->body->stmts, buf, sizeof(buf));
	assert_string_equal(buf, "outer_ipv4_csum.clear");
	callee(a->body->stmts->next, buf, sizeof(buf));
	assert_string_equal(buf, "outer_ipv4_csum.add");
	assert_int_equal(a->body->stmts->next->rhs->args->nargs, 12);
	assert_non_null(find(copy->locals, P4_DECL_INSTANCE, "udp_src_hash"));
	p4_program_free(prog);
}

static void
test_vtep_controls(void **state)
{
	static const char *const emit[] = {
	        "outer_ethernet", "outer_ipv4", "outer_udp", "outer_vxlan", "ethernet",
	        "vlan",           "arp",        "ipv4",      "udp",         "vxlan",
	        "inner_ethernet", "inner_vlan", "inner_arp", "inner_ipv4",
	};
	static const char *const copy_params[][2] = {
	        {"hdr", "headers_t"},
	        {"meta", "metadata_t"},
	        {"istd", "pna_main_input_metadata_t"},
	        {"copy", "flowtwin_copy_metadata_t"},
	};
	const struct p4_decl *copy;
	const struct p4_param *p;
	struct p4_program *prog;
	uint32_t n_copy = 0;

	(void)state;
	prog = parse_file("vtep.p4");
	check_main(prog);
	check_emit(find(prog->decls, P4_DECL_CONTROL, "MainDeparserImpl"), emit,
	           ARRAY_SIZE(emit));
	/* exactly one @flowtwin_copy control, with the documented parameters */
	for (const struct p4_decl *d = prog->decls; d != NULL; d = d->next)
		if (d->kind == P4_DECL_CONTROL && has_annot(d->annots, "flowtwin_copy"))
			n_copy++;
	assert_int_equal(n_copy, 1);
	copy = find(prog->decls, P4_DECL_CONTROL, "VtepCopyImpl");
	assert_true(has_annot(copy->annots, "flowtwin_copy"));
	assert_int_equal(copy->nparams, ARRAY_SIZE(copy_params));
	p = copy->params;
	for (size_t i = 0; i < ARRAY_SIZE(copy_params); i++, p = p->next) {
		assert_string_equal(p->name, copy_params[i][0]);
		assert_string_equal(p->type->name, copy_params[i][1]);
		assert_int_equal(p->dir, i < 2 ? P4_DIR_INOUT : P4_DIR_IN);
	}
	/* flowtwin.p4 came in through the quoted include */
	assert_non_null(strstr(find(prog->decls, P4_DECL_EXTERN_FUNC, "flowtwin_replicate")
	                               ->loc.file,
	                       "flowtwin.p4"));
	p4_program_free(prog);
}

static void
test_flowtwin_p4(void **state)
{
	char name[4200];
	const char *text = "#include <core.p4>\n#include <pna.p4>\n#include \"flowtwin.p4\"\n"
	                   "#include \"flowtwin.p4\"\n";
	const struct p4_decl *d;
	struct p4_program *prog;
	struct p4_src *s;

	(void)state;
	/* a unit in p4/, so that the quoted include is found beside it */
	snprintf(name, sizeof(name), "%s/p4/t.p4", root);
	s = p4_src_open_string(name, text, strlen(text), NULL, &err);
	assert_non_null(s);
	prog = p4_parse(s, &err);
	p4_src_close(s);
	if (prog == NULL)
		fail_msg("%s", err.message);
	d = find(prog->decls, P4_DECL_EXTERN_FUNC, "flowtwin_replicate");
	assert_int_equal(d->type->kind, P4_TYPE_VOID);
	assert_int_equal(d->nparams, 1);
	assert_int_equal(d->params->dir, P4_DIR_IN);
	assert_int_equal(d->params->type->kind, P4_TYPE_BIT);
	assert_int_equal(d->params->type->width, 32);
	d = find(prog->decls, P4_DECL_STRUCT, "flowtwin_copy_metadata_t");
	assert_int_equal(d->nfields, 2);
	assert_string_equal(d->fields->name, "output_port");
	assert_string_equal(d->fields->type->name, "PortId_t");
	assert_string_equal(d->fields->next->name, "rid");
	assert_int_equal(d->fields->next->type->width, 16);
	d = find(prog->decls, P4_DECL_CONTROL_TYPE, "FlowtwinCopyT");
	assert_int_equal(d->nparams, 4);
	assert_int_equal(d->ntype_params, 2);
	/* included twice, declared once */
	{
		uint32_t n = 0;

		for (d = prog->decls; d != NULL; d = d->next)
			n += d->kind == P4_DECL_EXTERN_FUNC &&
			     strcmp(d->name, "flowtwin_replicate") == 0;
		assert_int_equal(n, 1);
	}
	p4_program_free(prog);
}

/* dpdk_vxlan.p4 is build_dpdk_vxlan() of tests/bench/bench_model.c. */
static void
test_dpdk_vxlan(void **state)
{
	static const char *const ipv4_f[] = {"ver_ihl",      "diffserv", "total_len",
	                                     "identification", "flags_offset", "ttl",
	                                     "protocol",     "hdr_checksum", "src_addr",
	                                     "dst_addr"};
	static const uint32_t ipv4_w[] = {8, 8, 16, 16, 16, 8, 8, 16, 32, 32};
	static const char *const inst[][2] = {
	        {"ethernet", "ethernet_h"},     {"ipv4", "ipv4_h"},
	        {"outer_ethernet", "ethernet_h"}, {"outer_ipv4", "ipv4_h"},
	        {"outer_udp", "udp_h"},         {"outer_vxlan", "vxlan_h"},
	};
	static const char *const emit[] = {"outer_ethernet", "outer_ipv4", "outer_udp",
	                                   "outer_vxlan",    "ethernet",   "ipv4"};
	static const struct {
		const char *prefix;
		const char *const *f;
		const uint32_t *w;
		uint32_t n;
	} outer[] = {{"ethernet", eth_f, eth_w, 3},
	             {"ipv4", ipv4_f, ipv4_w, 10},
	             {"udp", udp_f, udp_w, 4},
	             {"vxlan", vxlan_f, vxlan_w, 4}};
	const struct p4_decl *ctl, *t, *a;
	const struct p4_param *p;
	const struct p4_stmt *s;
	struct p4_program *prog;
	char buf[256], want[256];
	bool is_const;

	(void)state;
	prog = parse_file("dpdk_vxlan.p4");
	check_header(prog, "ethernet_h", eth_f, eth_w, 3);
	check_header(prog, "ipv4_h", ipv4_f, ipv4_w, 10);
	check_header(prog, "udp_h", udp_f, udp_w, 4);
	check_header(prog, "vxlan_h", vxlan_f, vxlan_w, 4);
	assert_int_equal(bits_of(find(prog->decls, P4_DECL_HEADER, "ipv4_h")), 160);
	check_instances(find(prog->decls, P4_DECL_STRUCT, "headers_t"), inst, ARRAY_SIZE(inst));
	check_metadata(prog);
	check_parser(find(prog->decls, P4_DECL_PARSER, "MainParserImpl"));
	assert_case(find_state(find(prog->decls, P4_DECL_PARSER, "MainParserImpl"), "start"),
	            0x0800, "parse_ipv4");
	check_main(prog);
	check_emit(find(prog->decls, P4_DECL_CONTROL, "MainDeparserImpl"), emit,
	           ARRAY_SIZE(emit));

	ctl = find(prog->decls, P4_DECL_CONTROL, "MainControlImpl");
	check_tables(ctl);
	t = find(ctl->locals, P4_DECL_TABLE, "vxlan_table");
	table_key(t, buf, sizeof(buf));
	assert_string_equal(buf, "hdr.ethernet.dst_addr:exact");
	table_actions(t, buf, sizeof(buf));
	assert_string_equal(buf, "vxlan_encap drop");
	assert_string_equal(default_action(t, &is_const), "drop");
	assert_true(is_const);
	{
		const struct p4_prop *pr = prop(t, "size");

		assert_int_equal(pr->value->kind, P4_EXPR_INT);
		assert_int_equal(pr->value->ival.lo, 1u << 20);
	}

	/* vxlan_encap: <header>_<field> for the 21 outer fields, then port_out */
	a = find(ctl->locals, P4_DECL_ACTION, "vxlan_encap");
	assert_int_equal(a->nparams, 22);
	p = a->params;
	for (size_t h = 0; h < ARRAY_SIZE(outer); h++)
		for (uint32_t f = 0; f < outer[h].n; f++, p = p->next) {
			snprintf(want, sizeof(want), "%s_%s", outer[h].prefix, outer[h].f[f]);
			assert_string_equal(p->name, want);
			assert_int_equal(p->type->width, outer[h].w[f]);
		}
	assert_string_equal(p->name, "port_out");
	assert_int_equal(p->type->width, 32);
	/* the inner IPv4 length is added to both lengths; the port is the last parameter */
	{
		bool ip_len = false, udp_len = false, sent = false;

		for (s = a->body->stmts; s != NULL; s = s->next) {
			if (s->kind == P4_STMT_ASSIGN && s->rhs->kind == P4_EXPR_BINARY &&
			    s->rhs->op == P4_TOK_OP_PLUS) {
				path_of(s->rhs->b, want, sizeof(want));
				assert_string_equal(want, "hdr.ipv4.total_len");
				path_of(s->lhs, buf, sizeof(buf));
				ip_len |= strcmp(buf, "hdr.outer_ipv4.total_len") == 0;
				udp_len |= strcmp(buf, "hdr.outer_udp.length") == 0;
			}
			callee(s, buf, sizeof(buf));
			if (strcmp(buf, "send_to_port") == 0) {
				assert_int_equal(s->rhs->args->kind, P4_EXPR_CAST);
				path_of(s->rhs->args->a, buf, sizeof(buf));
				assert_string_equal(buf, "port_out");
				sent = true;
			}
			if (strcmp(buf, "ipv4_checksum.add") == 0)
				assert_int_equal(s->rhs->args->nargs, 9);
		}
		assert_true(ip_len && udp_len && sent);
	}
	p4_program_free(prog);
}

/* Loads <root>/p4/<name> through the whole front end; the model must accept the IR. */
static struct ft_program *
load_file(const char *name)
{
	struct ft_program *prog;
	char path[4200];

	snprintf(path, sizeof(path), "%s/p4/%s", root, name);
	ft_error_clear(&err);
	prog = ft_p4_load(path, NULL, &err);
	if (prog == NULL)
		fail_msg("%s", err.message);
	if (ft_program_validate(prog, &err) < 0)
		fail_msg("%s: %s", name, err.message);
	return prog;
}

static void
assert_header(const struct ft_program *prog, const char *name, enum ft_proto proto,
              enum ft_layer layer)
{
	struct ft_header_info hi;
	int id = ft_program_find_header(prog, name);

	if (id < 0)
		fail_msg("no header instance %s", name);
	assert_int_equal(ft_program_header(prog, (uint32_t)id, &hi), 0);
	if (hi.proto != proto || hi.layer != layer)
		fail_msg("%s: %s at layer %s, want %s at %s", name, ft_proto_name(hi.proto),
		         ft_layer_name(hi.layer), ft_proto_name(proto), ft_layer_name(layer));
}

static void
test_load_vtep(void **state)
{
	static const struct {
		const char *name;
		enum ft_proto proto;
		enum ft_layer layer;
	} hdrs[] = {
	        {"outer_ethernet", FT_PROTO_ETH, FT_L_NONE},
	        {"outer_ipv4", FT_PROTO_IPV4, FT_L_NONE},
	        {"outer_udp", FT_PROTO_UDP, FT_L_NONE},
	        {"outer_vxlan", FT_PROTO_VXLAN, FT_L_NONE},
	        {"ethernet", FT_PROTO_ETH, FT_L_ETH},
	        {"vlan", FT_PROTO_VLAN, FT_L_VLAN0},
	        {"arp", FT_PROTO_ARP, FT_L_ARP},
	        {"ipv4", FT_PROTO_IPV4, FT_L_IPV4},
	        {"udp", FT_PROTO_UDP, FT_L_UDP},
	        {"vxlan", FT_PROTO_VXLAN, FT_L_VXLAN},
	        {"inner_ethernet", FT_PROTO_ETH, FT_L_IN_ETH},
	        {"inner_vlan", FT_PROTO_VLAN, FT_L_NONE},
	        {"inner_arp", FT_PROTO_ARP, FT_L_IN_ARP},
	        {"inner_ipv4", FT_PROTO_IPV4, FT_L_IN_IPV4},
	};
	struct ft_program *prog;
	struct ft_pipeline *pipe;
	struct ft_program_info pi;
	struct ft_table_decl td;
	const uint16_t *ports;
	uint32_t n;
	int t;

	(void)state;
	prog = load_file("vtep.p4");
	for (size_t i = 0; i < ARRAY_SIZE(hdrs); i++)
		assert_header(prog, hdrs[i].name, hdrs[i].proto, hdrs[i].layer);
	ports = ft_program_vxlan_ports(prog, &n);
	assert_int_equal(n, 2);
	assert_true((ports[0] == 4789 && ports[1] == 8472) ||
	            (ports[0] == 8472 && ports[1] == 4789));
	ft_program_info(prog, &pi);
	assert_int_equal(pi.n_tables, ARRAY_SIZE(vtep_tables));
	assert_true(pi.n_nodes[FT_CTL_INGRESS] > 0);
	assert_true(pi.n_nodes[FT_CTL_EGRESS] > 0);
	for (size_t i = 0; i < ARRAY_SIZE(vtep_tables); i++)
		if (ft_program_find_table(prog, vtep_tables[i].name) < 0)
			fail_msg("no table %s in the IR", vtep_tables[i].name);
	t = ft_program_find_table(prog, "mac_learn");
	assert_int_equal(ft_program_table(prog, (uint32_t)t, &td), 0);
	assert_true(td.add_on_miss);
	assert_true(td.idle_timeout_ms > 0);
	assert_true(ft_program_find_digest(prog, "l2miss_digest") >= 0);
	assert_true(ft_program_find_digest(prog, "l3miss_digest") >= 0);
	assert_true(ft_program_find_digest(prog, "mac_move_digest") >= 0);
	assert_true(ft_program_find_counter(prog, "drop_counter") >= 0);
	assert_true(ft_program_find_counter(prog, "copy_drop_counter") >= 0);
	pipe = ft_pipeline_create(prog, NULL, &err);
	if (pipe == NULL) {
		ft_program_destroy(prog);
		fail_msg("vtep.p4: %s", err.message);
	}
	ft_pipeline_destroy(pipe);
}

static void
test_load_dpdk_vxlan(void **state)
{
	static const char *const emit[] = {"outer_ethernet", "outer_ipv4", "outer_udp",
	                                   "outer_vxlan",    "ethernet",   "ipv4"};
	struct ft_program *prog;
	struct ft_pipeline *pipe;
	struct ft_program_info pi;
	struct ft_table_decl td;
	struct ft_action_info ai;
	const uint32_t *order;
	uint32_t n;

	(void)state;
	prog = load_file("dpdk_vxlan.p4");
	assert_header(prog, "ethernet", FT_PROTO_ETH, FT_L_ETH);
	assert_header(prog, "ipv4", FT_PROTO_IPV4, FT_L_IPV4);
	assert_header(prog, "outer_ethernet", FT_PROTO_ETH, FT_L_NONE);
	assert_header(prog, "outer_ipv4", FT_PROTO_IPV4, FT_L_NONE);
	assert_header(prog, "outer_udp", FT_PROTO_UDP, FT_L_NONE);
	assert_header(prog, "outer_vxlan", FT_PROTO_VXLAN, FT_L_NONE);
	ft_program_info(prog, &pi);
	assert_int_equal(pi.n_tables, 1);
	assert_int_equal(pi.n_metadata, 0);
	assert_int_equal(pi.n_nodes[FT_CTL_EGRESS], 0);
	assert_int_equal(ft_program_table(prog, 0, &td), 0);
	assert_string_equal(td.name, "vxlan_table");
	assert_int_equal(td.size, 1u << 20);
	assert_true(td.default_const);
	assert_int_equal(ft_program_action(prog, td.default_action, &ai), 0);
	assert_string_equal(ai.name, "drop");
	assert_true(ft_program_find_action(prog, "vxlan_encap") >= 0);
	assert_int_equal(
	        ft_program_action(prog, (uint32_t)ft_program_find_action(prog, "vxlan_encap"), &ai),
	        0);
	assert_int_equal(ai.n_params, 22);
	assert_int_equal(ai.data_size, 54); /* what encap_data() in bench_model.c writes */
	order = ft_program_emit(prog, &n);
	assert_int_equal(n, ARRAY_SIZE(emit));
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(order[i], (uint32_t)ft_program_find_header(prog, emit[i]));
	pipe = ft_pipeline_create(prog, NULL, &err);
	if (pipe == NULL) {
		ft_program_destroy(prog);
		fail_msg("dpdk_vxlan.p4: %s", err.message);
	}
	ft_pipeline_destroy(pipe);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        /* clang-format off */
	        cmocka_unit_test(test_vtep_headers),
	        cmocka_unit_test(test_vtep_parser),
	        cmocka_unit_test(test_vtep_tables),
	        cmocka_unit_test(test_vtep_actions),
	        cmocka_unit_test(test_vtep_controls),
	        cmocka_unit_test(test_flowtwin_p4),
	        cmocka_unit_test(test_dpdk_vxlan),
	        cmocka_unit_test(test_load_vtep),
	        cmocka_unit_test(test_load_dpdk_vxlan),
	        /* clang-format on */
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
