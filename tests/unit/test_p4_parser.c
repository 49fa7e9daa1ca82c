/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the P4_16 parser (p4/parser.c through p4/ast.h).
 *
 * The built-in <core.p4> and <pna.p4> must parse; a PNA program written
 * here is parsed and its tree checked at its key points (declarations,
 * table properties, parser states and transitions, the shape of
 * expressions, '>>' from two joined '>'); every syntax error and every
 * construct outside the subset is checked for its code and its whole
 * "file:line:col: message" text.
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

#include "ast.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct ft_error err;

/* Parses 'text' as "t.p4"; the source is closed before returning. */
static struct p4_program *
parse_text(const char *text)
{
	struct p4_program *prog;
	struct p4_src *s;

	ft_error_clear(&err);
	s = p4_src_open_string("t.p4", text, strlen(text), NULL, &err);
	assert_non_null(s);
	prog = p4_parse(s, &err);
	p4_src_close(s);
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
prop(const struct p4_decl *table, const char *name)
{
	for (const struct p4_prop *pr = table->props; pr != NULL; pr = pr->next)
		if (strcmp(pr->name, name) == 0)
			return pr;
	fail_msg("table '%s' has no property '%s'", table->name, name);
	return NULL;
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

static void
assert_name(const struct p4_expr *e, const char *name)
{
	assert_non_null(e);
	assert_int_equal(e->kind, P4_EXPR_NAME);
	assert_string_equal(e->name, name);
}

static void
assert_int_lit(const struct p4_expr *e, uint64_t v)
{
	assert_non_null(e);
	assert_int_equal(e->kind, P4_EXPR_INT);
	assert_int_equal(e->ival.lo, v);
}

static void
test_builtins(void **state)
{
	struct p4_program *prog;
	const struct p4_decl *d;

	(void)state;
	prog = parse_text("#include <core.p4>\n#include <pna.p4>\n");
	if (prog == NULL)
		fail_msg("%s", err.message);
	d = find(prog->decls, P4_DECL_EXTERN_OBJ, "packet_in");
	assert_int_equal(d->nlocals, 5);
	assert_int_equal(d->locals->kind, P4_DECL_METHOD);
	assert_string_equal(d->locals->name, "extract");
	assert_int_equal(d->locals->ntype_params, 1);
	assert_int_equal(d->locals->params->dir, P4_DIR_OUT);
	d = find(prog->decls, P4_DECL_EXTERN_OBJ, "Counter");
	assert_int_equal(d->ntype_params, 2);
	assert_int_equal(d->locals->kind, P4_DECL_CONSTRUCTOR);
	assert_string_equal(d->locals->params->next->name, "type");
	assert_string_equal(d->locals->next->params->next->annots->name, "optional");
	d = find(prog->decls, P4_DECL_EXTERN_FUNC, "add_entry");
	assert_int_equal(d->type->kind, P4_TYPE_BOOL);
	assert_int_equal(d->nparams, 3);
	d = find(prog->decls, P4_DECL_EXTERN_FUNC, "SelectByDirection");
	assert_string_equal(d->annots->name, "pure");
	assert_false(d->annots->has_body);
	d = find(prog->decls, P4_DECL_TYPE, "PortId_t");
	assert_string_equal(d->annots->name, "p4runtime_translation");
	assert_int_equal(d->annots->nbody, 3);
	assert_string_equal(d->annots->body[0].text, "p4.org/pna/v1/PortId_t");
	d = find(prog->decls, P4_DECL_CONST, "PNA_PORT_CPU");
	assert_int_equal(d->init->kind, P4_EXPR_CAST);
	assert_string_equal(d->init->type->name, "InterfaceId_t");
	assert_int_lit(d->init->a, 0xfffffffd);
	d = find(prog->decls, P4_DECL_PACKAGE_TYPE, "PNA_NIC");
	assert_int_equal(d->nparams, 3);
	assert_int_equal(d->params->type->nargs, 2);
	d = find(prog->decls, P4_DECL_CONTROL_TYPE, "MainControlT");
	assert_int_equal(d->nparams, 4);
	d = find(prog->decls, P4_DECL_ERROR, "error");
	assert_int_equal(d->nfields, 7);
	d = find(prog->decls, P4_DECL_ACTION, "NoAction");
	assert_int_equal(d->body->nstmts, 0);
	assert_string_equal(d->loc.file, "<core.p4>");
	p4_program_free(prog);
}

static const char vxlan_p4[] =
        "#include <core.p4>\n"
        "#include <pna.p4>\n"
        "\n"
        "typedef bit<48> mac_t;\n"
        "const bit<16> ETH_IPV4 = 0x0800;\n"
        "enum bit<8> Proto { UDP = 17, TCP = 6 }\n"
        "header ethernet_t { mac_t dst; mac_t src; bit<16> type; }\n"
        "header ipv4_t {\n"
        "\tbit<4> version; bit<4> ihl; bit<8> tos; bit<16> len;\n"
        "\tbit<16> id; bit<3> flags; bit<13> frag; bit<8> ttl;\n"
        "\tbit<8> proto; bit<16> csum; bit<32> src; bit<32> dst;\n"
        "}\n"
        "header udp_t { bit<16> sport; bit<16> dport; bit<16> len; bit<16> csum; }\n"
        "header vxlan_t { bit<8> flags; bit<24> rsvd; bit<24> vni; bit<8> rsvd2; }\n"
        "struct headers_t { ethernet_t eth; ipv4_t ipv4; udp_t udp; vxlan_t vxlan; }\n"
        "struct meta_t { bit<24> vni; bool learn; }\n"
        "\n"
        "parser MainParser(packet_in pkt, out headers_t hdr, inout meta_t meta,\n"
        "\t\t  in pna_main_parser_input_metadata_t istd) {\n"
        "\tstate start {\n"
        "\t\tpkt.extract(hdr.eth);\n"
        "\t\ttransition select(hdr.eth.type) {\n"
        "\t\t\tETH_IPV4: parse_ipv4;\n"
        "\t\t\tdefault: accept;\n"
        "\t\t}\n"
        "\t}\n"
        "\tstate parse_ipv4 {\n"
        "\t\tpkt.extract(hdr.ipv4);\n"
        "\t\ttransition select(hdr.ipv4.proto, hdr.ipv4.frag) {\n"
        "\t\t\t(17, 0): parse_udp;\n"
        "\t\t\t(_, 0x10 &&& 0x1fff): reject;\n"
        "\t\t\tdefault: accept;\n"
        "\t\t}\n"
        "\t}\n"
        "\tstate parse_udp {\n"
        "\t\tpkt.extract(hdr.udp);\n"
        "\t\ttransition select(hdr.udp.dport) { 4789: parse_vxlan; _: accept; }\n"
        "\t}\n"
        "\t@name(\"vx\") state parse_vxlan { pkt.extract(hdr.vxlan); transition accept; }\n"
        "}\n"
        "\n"
        "control MainControl(inout headers_t hdr, inout meta_t meta,\n"
        "\t\t    in pna_main_input_metadata_t istd,\n"
        "\t\t    inout pna_main_output_metadata_t ostd) {\n"
        "\tCounter<bit<32>, bit<8>>(1024, PNA_CounterType_t.PACKETS) c;\n"
        "\tbit<32> tmp = 0;\n"
        "\taction drop() { drop_packet(); }\n"
        "\taction forward(PortId_t port, in bit<24> vni) {\n"
        "\t\tsend_to_port(port);\n"
        "\t\tmeta.vni = vni;\n"
        "\t\thdr.ipv4.ttl = hdr.ipv4.ttl - 1;\n"
        "\t}\n"
        "\taction learn() { add_entry(\"forward\", {(PortId_t)1, meta.vni}, 0); }\n"
        "\ttable fdb {\n"
        "\t\tkey = { meta.vni : exact; hdr.eth.dst : exact @name(\"dmac\"); }\n"
        "\t\tactions = { forward; @defaultonly learn; }\n"
        "\t\tconst default_action = learn;\n"
        "\t\tadd_on_miss = true;\n"
        "\t\tpna_idle_timeout = PNA_IdleTimeout_t.NOTIFY_CONTROL;\n"
        "\t\tsize = 65536;\n"
        "\t}\n"
        "\ttable port_vni {\n"
        "\t\tkey = { istd.input_port : exact; hdr.ipv4.dst & 0xffffff00 : ternary; }\n"
        "\t\tactions = { forward(1); drop; NoAction; }\n"
        "\t\tdefault_action = drop();\n"
        "\t\tconst entries = {\n"
        "\t\t\t(1, 0x0a000000 &&& 0xff000000) : forward(1, 100);\n"
        "\t\t\t(_, _) : drop();\n"
        "\t\t}\n"
        "\t}\n"
        "\tapply {\n"
        "\t\tbit<8> x = hdr.ipv4.ttl >> 2;\n"
        "\t\ttmp = meta.vni ++ x + tmp * 3;\n"
        "\t\tif (hdr.vxlan.isValid() && !meta.learn) {\n"
        "\t\t\tmeta.vni = hdr.vxlan.vni[23:0];\n"
        "\t\t} else if (hdr.ipv4.isValid()) {\n"
        "\t\t\tc.count((bit<8>)hdr.ipv4.proto);\n"
        "\t\t} else {\n"
        "\t\t\texit;\n"
        "\t\t}\n"
        "\t\tswitch (port_vni.apply().action_run) {\n"
        "\t\t\tforward: { fdb.apply(); }\n"
        "\t\t\tdrop:\n"
        "\t\t\tdefault: { return; }\n"
        "\t\t}\n"
        "\t\tif (!fdb.apply().hit) { tmp = meta.learn ? 32w1 : 32w0; }\n"
        "\t}\n"
        "}\n"
        "\n"
        "control MainDeparser(packet_out pkt, inout headers_t hdr, in meta_t meta,\n"
        "\t\t     in pna_main_output_metadata_t ostd) {\n"
        "\tapply { pkt.emit(hdr.eth); pkt.emit(hdr.ipv4); pkt.emit(hdr.udp); "
        "pkt.emit(hdr.vxlan); }\n"
        "}\n"
        "\n"
        "PNA_NIC(MainParser(), MainControl(), MainDeparser()) main;\n";

static void
test_program(void **state)
{
	const struct p4_decl *d, *ctl, *t;
	const struct p4_state *st;
	const struct p4_prop *pr;
	const struct p4_stmt *s;
	const struct p4_expr *e;
	struct p4_program *prog;
	uint32_t n = 0;

	(void)state;
	prog = parse_text(vxlan_p4);
	if (prog == NULL)
		fail_msg("%s", err.message);

	/* the declarations of t.p4, after those of <core.p4> and <pna.p4> */
	for (d = prog->decls; d != NULL; d = d->next)
		if (strcmp(d->loc.file, "t.p4") == 0)
			n++;
	assert_int_equal(n, 13);
	d = find(prog->decls, P4_DECL_ENUM, "Proto");
	assert_int_equal(d->type->kind, P4_TYPE_BIT);
	assert_int_equal(d->type->width, 8);
	assert_int_equal(d->nfields, 2);
	assert_int_lit(d->fields->value, 17);
	d = find(prog->decls, P4_DECL_HEADER, "ipv4_t");
	assert_int_equal(d->nfields, 12);
	assert_int_equal(d->fields->next->next->next->next->next->type->width, 3);
	d = find(prog->decls, P4_DECL_INSTANCE, "main");
	assert_string_equal(d->type->name, "PNA_NIC");
	assert_int_equal(d->nargs, 3);
	assert_int_equal(d->args->kind, P4_EXPR_CALL);
	assert_name(d->args->a, "MainParser");

	/* parser: states and transitions */
	d = find(prog->decls, P4_DECL_PARSER, "MainParser");
	assert_int_equal(d->nparams, 4);
	assert_int_equal(d->nstates, 4);
	st = find_state(d, "start");
	assert_int_equal(st->nstmts, 1);
	assert_int_equal(st->trans, P4_TRANS_SELECT);
	assert_int_equal(st->nselect, 1);
	assert_int_equal(st->ncases, 2);
	assert_name(st->cases->keyset, "ETH_IPV4");
	assert_string_equal(st->cases->state, "parse_ipv4");
	assert_int_equal(st->cases->next->keyset->kind, P4_EXPR_DEFAULT);
	assert_string_equal(st->cases->next->state, "accept");
	st = find_state(d, "parse_ipv4");
	assert_int_equal(st->nselect, 2);
	assert_int_equal(st->cases->keyset->kind, P4_EXPR_LIST);
	assert_int_equal(st->cases->keyset->nargs, 2);
	e = st->cases->next->keyset;
	assert_int_equal(e->args->kind, P4_EXPR_DONTCARE);
	assert_int_equal(e->args->next->kind, P4_EXPR_MASK);
	assert_int_lit(e->args->next->b, 0x1fff);
	st = find_state(d, "parse_udp");
	assert_int_equal(st->cases->next->keyset->kind, P4_EXPR_DONTCARE);
	st = find_state(d, "parse_vxlan");
	assert_int_equal(st->trans, P4_TRANS_DIRECT);
	assert_string_equal(st->next_state, "accept");
	assert_string_equal(st->annots->name, "name");
	assert_int_equal(st->loc.line, 39);
	assert_int_equal(st->loc.col, 20);

	/* control: locals and tables */
	ctl = find(prog->decls, P4_DECL_CONTROL, "MainControl");
	assert_int_equal(ctl->nlocals, 7);
	d = find(ctl->locals, P4_DECL_INSTANCE, "c");
	assert_string_equal(d->type->name, "Counter");
	assert_int_equal(d->type->nargs, 2);
	assert_int_equal(d->type->args->next->width, 8);
	assert_int_equal(d->nargs, 2);
	assert_int_equal(d->args->next->kind, P4_EXPR_MEMBER);
	assert_name(d->args->next->a, "PNA_CounterType_t");
	d = find(ctl->locals, P4_DECL_VAR, "tmp");
	assert_int_lit(d->init, 0);
	d = find(ctl->locals, P4_DECL_ACTION, "forward");
	assert_int_equal(d->nparams, 2);
	assert_int_equal(d->params->dir, P4_DIR_NONE);
	assert_int_equal(d->params->next->dir, P4_DIR_IN);
	assert_int_equal(d->body->nstmts, 3);
	s = d->body->stmts->next->next;
	assert_int_equal(s->kind, P4_STMT_ASSIGN);
	assert_int_equal(s->rhs->kind, P4_EXPR_BINARY);
	assert_int_equal(s->rhs->op, P4_TOK_OP_MINUS);
	d = find(ctl->locals, P4_DECL_ACTION, "learn");
	e = d->body->stmts->rhs;
	assert_int_equal(e->nargs, 3);
	assert_int_equal(e->args->kind, P4_EXPR_STRING);
	assert_int_equal(e->args->next->kind, P4_EXPR_LIST);
	assert_int_equal(e->args->next->args->kind, P4_EXPR_CAST);

	t = find(ctl->locals, P4_DECL_TABLE, "fdb");
	assert_int_equal(t->nprops, 6);
	pr = prop(t, "key");
	assert_int_equal(pr->kind, P4_PROP_KEY);
	assert_int_equal(pr->nkeys, 2);
	assert_string_equal(pr->keys->match_kind, "exact");
	assert_string_equal(pr->keys->next->annots->name, "name");
	pr = prop(t, "actions");
	assert_int_equal(pr->nactions, 2);
	assert_string_equal(pr->actions->next->annots->name, "defaultonly");
	assert_false(pr->actions->has_args);
	pr = prop(t, "default_action");
	assert_int_equal(pr->kind, P4_PROP_DEFAULT_ACTION);
	assert_true(pr->is_const);
	assert_name(pr->value, "learn");
	pr = prop(t, "add_on_miss");
	assert_int_equal(pr->kind, P4_PROP_OTHER);
	assert_int_equal(pr->value->kind, P4_EXPR_BOOL);
	assert_true(pr->value->bval);
	pr = prop(t, "pna_idle_timeout");
	assert_int_equal(pr->value->kind, P4_EXPR_MEMBER);
	assert_string_equal(pr->value->name, "NOTIFY_CONTROL");
	pr = prop(t, "size");
	assert_int_equal(pr->kind, P4_PROP_SIZE);
	assert_int_lit(pr->value, 65536);

	t = find(ctl->locals, P4_DECL_TABLE, "port_vni");
	pr = prop(t, "key");
	assert_int_equal(pr->keys->next->expr->op, P4_TOK_OP_AMP);
	assert_string_equal(pr->keys->next->match_kind, "ternary");
	pr = prop(t, "actions");
	assert_int_equal(pr->nactions, 3);
	assert_true(pr->actions->has_args);
	assert_int_equal(pr->actions->nargs, 1);
	pr = prop(t, "default_action");
	assert_false(pr->is_const);
	assert_int_equal(pr->value->kind, P4_EXPR_CALL);
	pr = prop(t, "entries");
	assert_int_equal(pr->kind, P4_PROP_ENTRIES);
	assert_true(pr->is_const);
	assert_int_equal(pr->nentries, 2);
	assert_int_equal(pr->entries->keyset->kind, P4_EXPR_LIST);
	assert_int_equal(pr->entries->keyset->args->next->kind, P4_EXPR_MASK);
	assert_int_equal(pr->entries->action->nargs, 2);
	assert_name(pr->entries->action->a, "forward");

	/* apply: statements and expression shapes */
	assert_int_equal(ctl->body->nstmts, 5);
	s = ctl->body->stmts;
	assert_int_equal(s->kind, P4_STMT_DECL);
	e = s->decl->init; /* hdr.ipv4.ttl >> 2 */
	assert_int_equal(e->kind, P4_EXPR_SHR);
	assert_int_equal(e->a->kind, P4_EXPR_MEMBER);
	assert_int_lit(e->b, 2);
	s = s->next;
	e = s->rhs; /* meta.vni ++ x + tmp * 3 is (meta.vni ++ x) + (tmp * 3) */
	assert_int_equal(e->op, P4_TOK_OP_PLUS);
	assert_int_equal(e->a->op, P4_TOK_OP_CONCAT);
	assert_int_equal(e->b->op, P4_TOK_OP_STAR);
	assert_int_lit(e->b->b, 3);
	s = s->next;
	assert_int_equal(s->kind, P4_STMT_IF);
	assert_int_equal(s->cond->op, P4_TOK_OP_AND);
	assert_int_equal(s->cond->a->kind, P4_EXPR_CALL);
	assert_string_equal(s->cond->a->a->name, "isValid");
	assert_int_equal(s->cond->b->kind, P4_EXPR_UNARY);
	assert_int_equal(s->then->stmts->rhs->kind, P4_EXPR_SLICE);
	assert_int_equal(s->els->kind, P4_STMT_IF);
	assert_int_equal(s->els->then->stmts->rhs->args->kind, P4_EXPR_CAST);
	assert_int_equal(s->els->els->stmts->kind, P4_STMT_EXIT);
	s = s->next;
	assert_int_equal(s->kind, P4_STMT_SWITCH);
	assert_string_equal(s->cond->name, "action_run");
	assert_int_equal(s->ncases, 3);
	assert_string_equal(s->cases->label, "forward");
	assert_non_null(s->cases->body);
	assert_null(s->cases->next->body);
	assert_null(s->cases->next->next->label);
	assert_int_equal(s->cases->next->next->body->stmts->kind, P4_STMT_RETURN);
	s = s->next;
	assert_string_equal(s->cond->a->name, "hit");
	assert_int_equal(s->then->stmts->rhs->kind, P4_EXPR_TERNARY);

	d = find(prog->decls, P4_DECL_CONTROL, "MainDeparser");
	assert_int_equal(d->body->nstmts, 4);
	assert_string_equal(d->body->stmts->next->rhs->args->name, "ipv4");
	p4_program_free(prog);
}

/* Appends the tree of an expression to 'buf', as text: (a + (b * c)). */
static void
show(const struct p4_expr *e, char *buf, size_t size)
{
	size_t len = strlen(buf);

#define PUT(s) snprintf(buf + strlen(buf), size - strlen(buf), "%s", (s))
	assert_true(len + 1 < size);
	switch (e->kind) {
	case P4_EXPR_INT:
	case P4_EXPR_NAME:
		PUT(e->name);
		break;
	case P4_EXPR_UNARY:
		PUT("(");
		PUT(p4_tok_name(e->op));
		show(e->a, buf, size);
		PUT(")");
		break;
	case P4_EXPR_BINARY:
	case P4_EXPR_SHR:
		PUT("(");
		show(e->a, buf, size);
		PUT(" ");
		PUT(e->kind == P4_EXPR_SHR ? ">>" : p4_tok_name(e->op));
		PUT(" ");
		show(e->b, buf, size);
		PUT(")");
		break;
	case P4_EXPR_TERNARY:
		PUT("(");
		show(e->a, buf, size);
		PUT(" ? ");
		show(e->b, buf, size);
		PUT(" : ");
		show(e->c, buf, size);
		PUT(")");
		break;
	case P4_EXPR_MEMBER:
		show(e->a, buf, size);
		PUT(".");
		PUT(e->name);
		break;
	case P4_EXPR_CAST:
		PUT("(cast ");
		show(e->a, buf, size);
		PUT(")");
		break;
	default:
		PUT("?");
		break;
	}
#undef PUT
}

static void
test_precedence(void **state)
{
	static const struct {
		const char *in, *tree;
	} cases[] = {
	        {"a + b * c", "(a + (b * c))"},
	        {"a * b + c", "((a * b) + c)"},
	        {"a - b - c", "((a - b) - c)"},
	        {"x >> 2", "(x >> 2)"},
	        {"x >> 2 + 1", "(x >> (2 + 1))"},
	        {"a > b", "(a > b)"},
	        {"a << 1 >> 2", "((a << 1) >> 2)"},
	        {"a == b & c", "(a == (b & c))"},
	        {"a | b ^ c & d", "(a | (b ^ (c & d)))"},
	        {"a < b == c > d", "((a < b) == (c > d))"},
	        {"a || b && c", "(a || (b && c))"},
	        {"a && b ? c : d ? e : f", "((a && b) ? c : (d ? e : f))"},
	        {"-a * ~b", "((-a) * (~b))"},
	        {"!a.b && c", "((!a.b) && c)"},
	        {"a |+| b |-| c", "((a |+| b) |-| c)"},
	        {"(a + b) * c", "((a + b) * c)"},
	        {"(bit<8>)a + b", "((cast a) + b)"},
	        {"a >= b", "(a >= b)"},
	};
	char text[256], tree[512];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct p4_program *prog;

		snprintf(text, sizeof(text), "const bit<8> k = %s;\n", cases[i].in);
		prog = parse_text(text);
		if (prog == NULL)
			fail_msg("%s: %s", cases[i].in, err.message);
		tree[0] = '\0';
		show(prog->decls->init, tree, sizeof(tree));
		if (strcmp(tree, cases[i].tree) != 0)
			fail_msg("%s: got %s, want %s", cases[i].in, tree, cases[i].tree);
		p4_program_free(prog);
	}
}

static void
test_errors(void **state)
{
	static const struct {
		const char *text;
		int code;
		const char *msg;
	} cases[] = {
	        {"header h_t { bit<8> a }\n", -EINVAL, "t.p4:1:23: expected ';', found '}'"},
	        {"const bit<8> k = 1\nconst bit<8> j = 2;\n", -EINVAL,
	         "t.p4:2:1: expected ';', found 'const'"},
	        {"control C() {\n\tapply {\n\t\tx = 1;\n\t\n", -EINVAL,
	         "t.p4:2:8: unbalanced '{': no matching '}'"},
	        {"parser P() {\n\tstate start { transition 5; }\n}\n", -EINVAL,
	         "t.p4:2:27: expected a state name or 'select' after 'transition', found '5'"},
	        {"parser P() {\n\tstate start { transition select(a) { 1 : 2; } }\n}\n", -EINVAL,
	         "t.p4:2:43: expected a state name, found '2'"},
	        {"header_union u_t { }\n", -ENOTSUP, "t.p4:1:1: header unions are not supported"},
	        {"control C() {\n\ttable t { size : 10; }\n\tapply { }\n}\n", -EINVAL,
	         "t.p4:2:17: expected '=' after table property 'size'"},
	        {"control C() {\n\ttable t { 5 = 3; }\n\tapply { }\n}\n", -EINVAL,
	         "t.p4:2:12: expected a table property, found '5'"},
	        {"control C() {\n\ttable t { actions = { a; } x = { 1; } }\n\tapply { }\n}\n",
	         -ENOTSUP, "t.p4:2:33: a list as the value of table property 'x' is not supported"},
	        {"parser P() {\n\tvalue_set<bit<8>>(4) vs;\n\tstate start { transition accept; "
	         "}\n}\n",
	         -ENOTSUP, "t.p4:2:2: value_set is not supported"},
	        {"struct s_t { varbit<32> v; }\n", -ENOTSUP,
	         "t.p4:1:14: varbit types are not supported"},
	        {"struct s_t { tuple<bit<8>> v; }\n", -ENOTSUP,
	         "t.p4:1:14: tuple types are not supported"},
	        {"struct s_t { h_t[4] v; }\n", -ENOTSUP,
	         "t.p4:1:17: header stacks are not supported"},
	        {"bit<8> f(in bit<8> x) { return x; }\n", -ENOTSUP,
	         "t.p4:1:1: function declarations are not supported"},
	        {"control C() {\n\tapply { a += 1; }\n}\n", -ENOTSUP,
	         "t.p4:2:12: compound assignment '+=' is not supported"},
	        {"control C() {\n\tapply { for (bit<8> i = 0; i < 4; i = i + 1) { } }\n}\n",
	         -ENOTSUP, "t.p4:2:10: for loops are not supported"},
	        {"control C() {\n\taction a() { }\n}\n", -EINVAL,
	         "t.p4:3:1: control 'C' has no apply block"},
	        {"control C() {\n\tapply { a + 1; }\n}\n", -EINVAL,
	         "t.p4:2:12: expected '=' or a call, found '+'"},
	        {"control C() {\n\tapply { if (a) }\n}\n", -EINVAL,
	         "t.p4:2:17: expected a statement, found '}'"},
	        {"control C() {\n\tapply { x = (a + ; }\n}\n", -EINVAL,
	         "t.p4:2:19: expected an expression, found ';'"},
	        {"control C() {\n\tapply { f(x = 1); }\n}\n", -ENOTSUP,
	         "t.p4:2:12: named arguments are not supported"},
	        {"control C() {\n\tapply { switch (t.apply().action_run) { 1: { } } }\n}\n",
	         -EINVAL,
	         "t.p4:2:42: expected an action name or 'default' as a switch label, found '1'"},
	        {"control C() {\n\tstate s { }\n\tapply { }\n}\n", -EINVAL,
	         "t.p4:2:2: a parser state in a control"},
	        {"parser P() {\n\tstate s { }\n\tapply { }\n}\n", -EINVAL,
	         "t.p4:3:2: an apply block in a parser"},
	        {"table t { }\n", -EINVAL, "t.p4:1:1: a table outside a control"},
	        {"struct s_t<T> { T f; }\n", -ENOTSUP,
	         "t.p4:1:11: generic structs are not supported"},
	        {"@name[a=1] const bit<8> k = 1;\n", -ENOTSUP,
	         "t.p4:1:6: structured annotations are not supported"},
	        {"@name(\"x\" const bit<8> k = 1;\n", -EINVAL,
	         "t.p4:1:1: unterminated argument list of annotation '@name'"},
	        {"extern E { abstract void f(); }\n", -ENOTSUP,
	         "t.p4:1:12: abstract methods are not supported"},
	        {"control C() {\n\ttable t { const entries = { priority = 1 : a(); } }\n"
	         "\tapply { }\n}\n",
	         -ENOTSUP, "t.p4:2:30: entry priorities are not supported"},
	        {"control C() {\n\tapply { x = this; }\n}\n", -ENOTSUP,
	         "t.p4:2:14: 'this' is not supported"},
	        {"control C() {\n\tapply { x = {a = 1}; }\n}\n", -ENOTSUP,
	         "t.p4:2:14: structure-valued expressions are not supported"},
	        {"bit<8> x;\n", -ENOTSUP,
	         "t.p4:1:1: variables outside a parser or control are not supported"},
	        {"}\n", -EINVAL, "t.p4:1:1: expected a declaration, found '}'"},
	        {"typedef bit<8 t;\n", -EINVAL, "t.p4:1:15: expected '>', found 't'"},
	        {"enum E { A B }\n", -EINVAL, "t.p4:1:12: expected ',' or '}', found 'B'"},
	        {"#define X(a) a\n", -ENOTSUP, NULL}, /* the lexer's error passes through */
	        {"control C() {\n\tapply { transition accept; }\n}\n", -EINVAL,
	         "t.p4:2:10: 'transition' outside a parser state"},
	        {"control C() {\n\tapply { x = a > > b; }\n}\n", -EINVAL,
	         "t.p4:2:18: expected an expression, found '>'"},
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct p4_program *prog = parse_text(cases[i].text);

		if (prog != NULL)
			fail_msg("case %zu parsed: %s", i, cases[i].text);
		if (err.code != cases[i].code)
			fail_msg("case %zu: code %d, want %d (%s)", i, err.code, cases[i].code,
			         err.message);
		assert_int_equal(err.kind, FT_ERR_SOURCE);
		if (cases[i].msg != NULL && strcmp(err.message, cases[i].msg) != 0)
			fail_msg("case %zu:\n got  %s\n want %s", i, err.message, cases[i].msg);
	}
}

/* Forms the PNA program above does not use. */
static void
test_forms(void **state)
{
	static const char text[] = "#include <pna.p4>\n"
	                           "typedef bit<8> u8;\n"
	                           "enum u8 E2 { A = 1, B = 2, }\n"
	                           "enum Color { RED, GREEN, }\n"
	                           "extern bit<16> csum<T>(in T data);\n"
	                           "control Ctl(inout u8 x)(bit<8> n, bool b) {\n"
	                           "\tapply {\n"
	                           "\t\tPortId_t p = (PortId_t)1;\n"
	                           "\t\tfoo_t y;\n"
	                           "\t\tx = csum<bit<8>>(x)[7:0];\n"
	                           "\t\tif (error.NoError == istd.parser_error) { x = (x); }\n"
	                           "\t\tif (a) if (b) x = 1; else x = 2;\n"
	                           "\t\tconst bit<4> c = 3;\n"
	                           "\t\t;\n"
	                           "\t\t@atomic { x = -x; }\n"
	                           "\t}\n"
	                           "}\n"
	                           "parser Prs(packet_in pkt) {\n"
	                           "\tstate start { transition select(x) { (1) + 1: s2; 1 .. 5: "
	                           "s2; (3 &&& 3): s2; } }\n"
	                           "\tstate s2 { }\n"
	                           "}\n";
	const struct p4_decl *d;
	const struct p4_stmt *s;
	const struct p4_state *st;
	const struct p4_select_case *c;
	struct p4_program *prog;

	(void)state;
	prog = parse_text(text);
	if (prog == NULL)
		fail_msg("%s", err.message);
	d = find(prog->decls, P4_DECL_ENUM, "E2");
	assert_int_equal(d->type->kind, P4_TYPE_NAME);
	assert_int_equal(d->nfields, 2);
	d = find(prog->decls, P4_DECL_ENUM, "Color");
	assert_null(d->type);
	assert_int_equal(d->nfields, 2);
	d = find(prog->decls, P4_DECL_EXTERN_FUNC, "csum");
	assert_int_equal(d->type->width, 16);
	assert_string_equal(d->type_params->name, "T");
	d = find(prog->decls, P4_DECL_CONTROL, "Ctl");
	assert_int_equal(d->nctor_params, 2);
	s = d->body->stmts;
	assert_int_equal(s->kind, P4_STMT_DECL);
	assert_int_equal(s->decl->init->kind, P4_EXPR_CAST);
	s = s->next;
	assert_int_equal(s->kind, P4_STMT_DECL);
	assert_string_equal(s->decl->type->name, "foo_t");
	assert_null(s->decl->init);
	s = s->next;
	assert_int_equal(s->rhs->kind, P4_EXPR_SLICE);
	assert_int_equal(s->rhs->a->kind, P4_EXPR_CALL);
	assert_int_equal(s->rhs->a->ntargs, 1);
	assert_int_equal(s->rhs->a->targs->width, 8);
	s = s->next;
	assert_int_equal(s->cond->op, P4_TOK_OP_EQ);
	assert_int_equal(s->cond->a->kind, P4_EXPR_MEMBER);
	assert_name(s->cond->a->a, "error");
	assert_name(s->then->stmts->rhs, "x");
	s = s->next; /* the else belongs to the inner if */
	assert_null(s->els);
	assert_non_null(s->then->els);
	s = s->next;
	assert_int_equal(s->decl->kind, P4_DECL_CONST);
	s = s->next;
	assert_int_equal(s->kind, P4_STMT_EMPTY);
	s = s->next;
	assert_int_equal(s->kind, P4_STMT_BLOCK);
	assert_string_equal(s->annots->name, "atomic");
	assert_int_equal(s->stmts->rhs->kind, P4_EXPR_UNARY);
	d = find(prog->decls, P4_DECL_PARSER, "Prs");
	st = find_state(d, "start");
	c = st->cases;
	assert_int_equal(c->keyset->kind, P4_EXPR_BINARY);
	assert_int_equal(c->next->keyset->kind, P4_EXPR_RANGE);
	assert_int_equal(c->next->next->keyset->kind, P4_EXPR_MASK);
	st = find_state(d, "s2");
	assert_int_equal(st->trans, P4_TRANS_NONE);
	p4_program_free(prog);
}

/* Deep nesting is refused, not a stack overflow. */
static void
test_nesting(void **state)
{
	static const char *const heads[] = {"(", "!", "a ? b : "};
	char *text = malloc(64 + 1000 * 8);

	(void)state;
	assert_non_null(text);
	for (size_t h = 0; h < ARRAY_SIZE(heads); h++) {
		strcpy(text, "const bit<8> k = ");
		for (int i = 0; i < 1000; i++)
			strcat(text, heads[h]);
		assert_null(parse_text(text));
		assert_int_equal(err.code, -ENOTSUP);
		assert_non_null(
		        strstr(err.message, "nesting deeper than 200 levels is not supported"));
	}
	strcpy(text, "control C() { apply {");
	for (int i = 0; i < 1000; i++)
		strcat(text, "{");
	assert_null(parse_text(text));
	assert_string_equal(err.message,
	                    "t.p4:1:222: nesting deeper than 200 levels is not supported");
	free(text);
}

/*
 * Every prefix of the PNA program either parses or fails with an error at
 * a position in t.p4: no crash, no leak (run under ASan), no silence.
 */
static void
test_prefixes(void **state)
{
	size_t len = strlen(vxlan_p4), ok = 0;
	char *text = malloc(len + 1);

	(void)state;
	assert_non_null(text);
	for (size_t n = 0; n <= len; n++) {
		struct p4_program *prog;

		memcpy(text, vxlan_p4, n);
		text[n] = '\0';
		prog = parse_text(text);
		if (prog != NULL) {
			ok++;
			p4_program_free(prog);
			continue;
		}
		assert_true(err.code == -EINVAL || err.code == -ENOTSUP || err.code == -ENOENT);
		if (strncmp(err.message, "t.p4:", 5) != 0)
			fail_msg("prefix %zu: %s", n, err.message);
	}
	assert_true(ok > 0);
	free(text);
}

static void
test_free_null(void **state)
{
	(void)state;
	p4_program_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        /* clang-format off */
	        cmocka_unit_test(test_builtins),
	        cmocka_unit_test(test_program),
	        cmocka_unit_test(test_precedence),
	        cmocka_unit_test(test_errors),
	        cmocka_unit_test(test_forms),
	        cmocka_unit_test(test_nesting),
	        cmocka_unit_test(test_prefixes),
	        cmocka_unit_test(test_free_null),
	        /* clang-format on */
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
