/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The front end's last layer: from the syntax tree (ast.h) to the pipeline
 * IR (program.h). Part of p4/; it uses model/'s public builder API only.
 *
 * It resolves names, checks types and translates in one walk, starting from
 * the package instantiation 'PNA_NIC(parser, control, deparser) main':
 *
 *  1. The headers and metadata structs come from the parser's parameters.
 *  2. The parser graph is walked from 'start' (parser_graph()): each
 *     extract gets the layer of the model's fixed parser that the select
 *     value leading to it names, and every transition the fixed parser would
 *     take between declared layers must be in the graph, so that the two
 *     parsers agree on every packet they both accept.
 *  3. Header types, instances (with their layers) and metadata are added.
 *  4. The main control becomes the ingress control, the @flowtwin_copy
 *     control the egress one (ctl_lower()): statements of the apply block
 *     become nodes, tables become IR tables, actions are translated on first
 *     use (act_lower()), and runs of plain statements in an apply block
 *     become actions of their own that a RUN node executes.
 *  5. The deparser's emit() calls give the emit order.
 *
 * Expressions are typed as they are translated (struct ty); constants are
 * folded at 128 bits; values that need computing go to hidden metadata
 * fields ("$tN"), reused from one action to the next.
 *
 * Errors unwind with longjmp() to lower(), which frees what was built and
 * returns the error: "file:line:col: message", -EINVAL for an invalid
 * program, -ENOTSUP for one outside the subset, named.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/p4.h>

#include "ast.h"

typedef unsigned __int128 u128;

#define IR_NONE UINT32_MAX

/* --- Types and values ------------------------------------------------------ */

enum tk {
	T_NONE,
	T_BIT,	  /* bit<w>, and serializable enums, and 'type' over bit<w> */
	T_INT,	  /* an integer without a width */
	T_BOOL,	  /* w == 1 */
	T_HDR,	  /* a header type: 'd' */
	T_STRUCT, /* 'd' */
	T_ENUM,	  /* a plain enum 'd' */
	T_STRING,
	T_VOID,
	T_OTHER, /* error, extern objects, ... */
};

struct ty {
	enum tk k;
	uint32_t w;
	const struct p4_decl *d;
};

/* Roots: what a control's or parser's parameter stands for. */
enum root {
	R_HDR,	/* the headers struct */
	R_META, /* the metadata struct */
	R_ISTD, /* pna_main_input_metadata_t, pna_main_parser_input_metadata_t */
	R_OSTD, /* pna_main_output_metadata_t */
	R_COPY, /* flowtwin_copy_metadata_t */
	R_PKT,	/* packet_in, packet_out */
};

enum vk {
	V_REF,	  /* an IR operand: 'ref', type 'ty' */
	V_CONST,  /* a constant 'c' of type 'ty' */
	V_HDR,	  /* header instance 'id' */
	V_ROOT,	  /* parameter root 'id' (enum root) */
	V_TABLE,  /* table declaration 'd' */
	V_EXTERN, /* extern instance 'd' */
	V_ACTION, /* action declaration 'd' */
	V_TYPE,	  /* a type name (enum members are read through it) */
};

struct val {
	enum vk k;
	struct ty ty;
	struct ft_ref ref;
	u128 c;
	uint32_t id;
	const struct p4_decl *d;
};

/* --- The translation's state ----------------------------------------------- */

struct inst {
	const char *name;
	const struct p4_field *f;      /* the field of the headers struct */
	const struct p4_decl *type;    /* header declaration */
	enum ft_layer layer;
	enum ft_proto proto;
	struct p4_loc extracted_at;
	uint32_t id;		       /* IR header id */
};

struct meta {
	const char *name;
	uint32_t bits;
	uint32_t id;
};

struct htype {
	const struct p4_decl *d;
	uint32_t id;
	uint32_t bytes;
};

/* An action translated: one per declaration and list of bound constants. */
struct act {
	const struct p4_decl *d;
	const struct p4_decl *ctl;
	uint32_t id;
};

struct tbl {
	const struct p4_decl *d;
	uint32_t id;
};

/* An extern instance of a control. */
enum ext_kind { X_COUNTER, X_DCOUNTER, X_DIGEST, X_HASH, X_CSUM };

struct ext {
	const struct p4_decl *d;
	enum ext_kind kind;
	uint32_t id;	   /* IR counter or digest id */
	const struct p4_decl *digest_type; /* X_DIGEST: the struct T */
};

struct temp {
	uint32_t bits;
	uint32_t id; /* metadata id */
};

#define LW_SLOTS 32

struct lw {
	struct ft_error *err;
	jmp_buf fail;
	const struct p4_program *ast;
	struct p4_loc start; /* line 1 of the main file, for what has no place */
	struct ft_program *prog;

	const struct p4_decl *parser, *ingress, *copy, *deparser;
	const struct p4_decl *hdr_struct, *meta_struct;

	struct inst *insts;
	uint32_t n_insts;
	struct meta *metas;
	uint32_t n_metas;
	struct htype *htypes;
	uint32_t n_htypes;
	struct act *acts;
	uint32_t n_acts;
	struct tbl *tbls;
	uint32_t n_tbls;
	struct ext *exts;
	uint32_t n_exts;
	struct temp *temps;
	uint32_t n_temps;
	uint16_t vxlan_ports[FT_PARSE_VXLAN_PORTS_MAX];
	uint32_t n_vxlan_ports;

	/* Memory to free at the end: lists handed to the builder, names. */
	void **mem;
	uint32_t n_mem;
	/*
	 * Growing arrays of the builders (operations, nodes, edges), in slots
	 * that outlive a failure: after the longjmp() lower() frees them.
	 */
	void *slot[LW_SLOTS];
	bool slot_used[LW_SLOTS];
};

/* Where a name is looked up: a control (or parser), maybe inside an action. */
struct scope {
	const struct p4_decl *ctl;
	const struct p4_decl *action;
	struct local *locals; /* action-local variables */
};

struct local {
	const char *name;
	struct val v;
	struct local *next;
};

static void __attribute__((noreturn, format(printf, 4, 5)))
fail(struct lw *lw, int code, const struct p4_loc *loc, const char *fmt, ...)
{
	char msg[FT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p4_error_at(lw->err, code, loc, "%s", msg);
	longjmp(lw->fail, code);
}

#define unsupported(lw, loc, ...) fail(lw, -ENOTSUP, loc, __VA_ARGS__)
#define invalid(lw, loc, ...) fail(lw, -EINVAL, loc, __VA_ARGS__)

/* Fails the translation with the builder's own error, placed at 'loc'. */
static void __attribute__((noreturn))
fail_ir(struct lw *lw, int rc, const struct p4_loc *loc)
{
	char msg[FT_ERROR_MSG_MAX];

	ft_error_format(lw->err, msg, sizeof(msg));
	fail(lw, rc, loc, "%s", msg);
}

static int
ir(struct lw *lw, int rc, const struct p4_loc *loc)
{
	if (rc < 0)
		fail_ir(lw, rc, loc);
	return rc;
}

static void *
lw_alloc(struct lw *lw, size_t size)
{
	void **mem = realloc(lw->mem, (lw->n_mem + 1) * sizeof(*mem));
	void *p;

	if (mem == NULL)
		goto oom;
	lw->mem = mem;
	p = calloc(1, size ? size : 1);
	if (p == NULL)
		goto oom;
	lw->mem[lw->n_mem++] = p;
	return p;
oom:
	ft_error_set(lw->err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	longjmp(lw->fail, -ENOMEM);
}

/* Grows the array '*arr' of 'n' items of 'size' bytes by one; returns the new item. */
static void *
grow(struct lw *lw, void *arr, uint32_t n, size_t size)
{
	void **p = arr;
	char *a = realloc(*p, (n + 1) * size);

	if (a == NULL) {
		ft_error_set(lw->err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		longjmp(lw->fail, -ENOMEM);
	}
	*p = a;
	memset(a + n * size, 0, size);
	return a + n * size;
}

/* A slot for a growing array, NULL until grown; give it back with slot_put(). */
static void **
slot_get(struct lw *lw)
{
	for (uint32_t i = 0; i < LW_SLOTS; i++)
		if (!lw->slot_used[i]) {
			lw->slot_used[i] = true;
			lw->slot[i] = NULL;
			return &lw->slot[i];
		}
	ft_error_set(lw->err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "nesting too deep");
	longjmp(lw->fail, -ENOMEM);
}

static void
slot_put(struct lw *lw, void **slot)
{
	free(*slot);
	*slot = NULL;
	lw->slot_used[slot - lw->slot] = false;
}

static char *
lw_printf(struct lw *lw, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *
lw_printf(struct lw *lw, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	char *s;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s = lw_alloc(lw, strlen(buf) + 1);
	strcpy(s, buf);
	return s;
}

static bool
has_annot(const struct p4_annot *a, const char *name)
{
	for (; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return true;
	return false;
}

static const struct p4_annot *
find_annot(const struct p4_annot *a, const char *name)
{
	for (; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* The string argument of @name("..."), or NULL. */
static const char *
annot_string(struct lw *lw, const struct p4_annot *a)
{
	if (a->nbody != 1 || a->body[0].kind != P4_TOK_STRING)
		invalid(lw, &a->loc, "@%s takes one string", a->name);
	return a->body[0].text;
}

/* --- Declarations and types ------------------------------------------------ */

static const struct p4_decl *
top_find(const struct lw *lw, const char *name)
{
	for (const struct p4_decl *d = lw->ast->decls; d != NULL; d = d->next)
		if (d->name != NULL && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

static u128 eval_const(struct lw *lw, const struct scope *sc, const struct p4_expr *e,
		       struct ty *ty);

static struct ty
resolve_type(struct lw *lw, const struct p4_type *t)
{
	struct ty ty = {0};

	switch (t->kind) {
	case P4_TYPE_BIT:
		ty.k = T_BIT;
		ty.w = t->width;
		if (t->width_expr != NULL)
			ty.w = (uint32_t)eval_const(lw, NULL, t->width_expr, NULL);
		if (ty.w == 0 || ty.w > FT_FIELD_BITS_MAX)
			unsupported(lw, &t->loc, "bit<%u>: widths are 1 to %u bits", ty.w,
				    FT_FIELD_BITS_MAX);
		return ty;
	case P4_TYPE_INT:
		if (t->has_width)
			unsupported(lw, &t->loc, "signed integers (int<N>) are not supported");
		ty.k = T_INT;
		return ty;
	case P4_TYPE_BOOL:
		ty.k = T_BOOL;
		ty.w = 1;
		return ty;
	case P4_TYPE_STRING:
		ty.k = T_STRING;
		return ty;
	case P4_TYPE_VOID:
		ty.k = T_VOID;
		return ty;
	case P4_TYPE_ERROR:
	case P4_TYPE_DONTCARE:
		ty.k = T_OTHER;
		return ty;
	case P4_TYPE_NAME:
		break;
	}
	const struct p4_decl *d = top_find(lw, t->name);

	if (d == NULL)
		invalid(lw, &t->loc, "unknown type '%s'", t->name);
	switch (d->kind) {
	case P4_DECL_TYPEDEF:
	case P4_DECL_TYPE:
		return resolve_type(lw, d->type);
	case P4_DECL_HEADER:
		ty.k = T_HDR;
		ty.d = d;
		return ty;
	case P4_DECL_STRUCT:
		ty.k = T_STRUCT;
		ty.d = d;
		return ty;
	case P4_DECL_ENUM:
		if (d->type != NULL) {
			ty = resolve_type(lw, d->type);
			ty.d = d;
			return ty;
		}
		ty.k = T_ENUM;
		ty.d = d;
		return ty;
	default:
		ty.k = T_OTHER;
		ty.d = d;
		return ty;
	}
}

static const char *
ty_name(const struct ty *ty, char *buf, size_t size)
{
	switch (ty->k) {
	case T_BIT:
		snprintf(buf, size, "bit<%u>", ty->w);
		break;
	case T_INT:
		snprintf(buf, size, "int");
		break;
	case T_BOOL:
		snprintf(buf, size, "bool");
		break;
	case T_HDR:
	case T_STRUCT:
	case T_ENUM:
		snprintf(buf, size, "%s", ty->d->name);
		break;
	default:
		snprintf(buf, size, "this type");
		break;
	}
	return buf;
}

/* Bits of a field type that the IR can hold: bit<W>, bool, serializable enums. */
static uint32_t
field_bits(struct lw *lw, const struct p4_type *t, const char *what)
{
	struct ty ty = resolve_type(lw, t);

	if (ty.k != T_BIT && ty.k != T_BOOL)
		unsupported(lw, &t->loc, "%s: only bit<W>, bool and serializable enum fields are "
			    "supported", what);
	return ty.w;
}

/* --- Constants ------------------------------------------------------------- */

static u128
mask(uint32_t w)
{
	return w >= 128 ? ~(u128)0 : (((u128)1 << w) - 1);
}

static const struct p4_decl *
local_find(const struct p4_decl *ctl, const char *name)
{
	if (ctl == NULL)
		return NULL;
	for (const struct p4_decl *d = ctl->locals; d != NULL; d = d->next)
		if (d->name != NULL && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}

/* The value of a member of enum 'd' (serializable: its value; plain: its index). */
static u128
enum_member(struct lw *lw, const struct p4_decl *d, const char *name, const struct p4_loc *loc)
{
	uint32_t i = 0;

	for (const struct p4_field *f = d->fields; f != NULL; f = f->next, i++)
		if (strcmp(f->name, name) == 0) {
			if (d->type == NULL)
				return i;
			struct ty ty = resolve_type(lw, d->type);
			return eval_const(lw, NULL, f->value, NULL) & mask(ty.w);
		}
	invalid(lw, loc, "enum %s has no member '%s'", d->name, name);
}

/*
 * Evaluates a constant expression; '*ty' (may be NULL) gets its type:
 * T_INT for a literal without a width. Fails unless 'e' is constant.
 */
static u128
eval_const(struct lw *lw, const struct scope *sc, const struct p4_expr *e, struct ty *ty)
{
	struct ty t = {.k = T_INT}, tb;
	u128 a, b;
	char buf[32];

	switch (e->kind) {
	case P4_EXPR_INT:
		if (e->ival.is_signed)
			unsupported(lw, &e->loc, "signed integers are not supported");
		a = (u128)e->ival.hi << 64 | e->ival.lo;
		if (e->ival.has_width) {
			t.k = T_BIT;
			t.w = e->ival.width;
		}
		break;
	case P4_EXPR_BOOL:
		t.k = T_BOOL;
		t.w = 1;
		a = e->bval;
		break;
	case P4_EXPR_NAME: {
		const struct p4_decl *d = local_find(sc ? sc->ctl : NULL, e->name);

		if (d == NULL || d->kind != P4_DECL_CONST)
			d = top_find(lw, e->name);
		if (d == NULL || d->kind != P4_DECL_CONST)
			invalid(lw, &e->loc, "'%s' is not a constant", e->name);
		t = resolve_type(lw, d->type);
		a = eval_const(lw, sc, d->init, NULL) & (t.k == T_INT ? ~(u128)0 : mask(t.w));
		break;
	}
	case P4_EXPR_MEMBER: {
		const struct p4_decl *d;

		if (e->a->kind != P4_EXPR_NAME || (d = top_find(lw, e->a->name)) == NULL ||
		    d->kind != P4_DECL_ENUM)
			invalid(lw, &e->loc, "'%s' is not a constant", e->name);
		a = enum_member(lw, d, e->name, &e->loc);
		t = d->type ? resolve_type(lw, d->type) : (struct ty){.k = T_ENUM, .d = d};
		t.d = d;
		break;
	}
	case P4_EXPR_CAST:
		a = eval_const(lw, sc, e->a, NULL);
		t = resolve_type(lw, e->type);
		if (t.k == T_BIT || t.k == T_BOOL)
			a &= mask(t.w);
		break;
	case P4_EXPR_UNARY:
		a = eval_const(lw, sc, e->a, &t);
		if (e->op == P4_TOK_OP_NOT)
			a = !a;
		else if (e->op == P4_TOK_OP_TILDE)
			a = ~a;
		else
			a = -a;
		if (t.k == T_BIT)
			a &= mask(t.w);
		else if (e->op != P4_TOK_OP_NOT && t.k == T_INT)
			unsupported(lw, &e->loc, "negative integers are not supported");
		break;
	case P4_EXPR_SHR:
	case P4_EXPR_BINARY:
		a = eval_const(lw, sc, e->a, &t);
		b = eval_const(lw, sc, e->b, &tb);
		if (t.k == T_INT && tb.k == T_BIT && e->kind == P4_EXPR_BINARY &&
		    e->op != P4_TOK_OP_SHL)
			t = tb;
		if (e->kind == P4_EXPR_SHR) {
			a = b >= 128 ? 0 : a >> b;
			break;
		}
		switch (e->op) {
		case P4_TOK_OP_PLUS: a += b; break;
		case P4_TOK_OP_MINUS:
			if (t.k == T_INT && b > a)
				unsupported(lw, &e->loc, "negative integers are not supported");
			a -= b;
			break;
		case P4_TOK_OP_STAR: a *= b; break;
		case P4_TOK_OP_SLASH:
		case P4_TOK_OP_PERCENT:
			if (b == 0)
				invalid(lw, &e->loc, "division by zero");
			a = e->op == P4_TOK_OP_SLASH ? a / b : a % b;
			break;
		case P4_TOK_OP_AMP: a &= b; break;
		case P4_TOK_OP_PIPE: a |= b; break;
		case P4_TOK_OP_CARET: a ^= b; break;
		case P4_TOK_OP_SHL: a = b >= 128 ? 0 : a << b; break;
		case P4_TOK_OP_EQ: a = a == b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_NE: a = a != b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_LT: a = a < b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_LE: a = a <= b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_GT: a = a > b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_GE: a = a >= b; t = (struct ty){.k = T_BOOL, .w = 1}; break;
		case P4_TOK_OP_AND: a = a && b; break;
		case P4_TOK_OP_OR: a = a || b; break;
		default:
			unsupported(lw, &e->loc, "operator '%s' is not supported in a constant",
				    p4_tok_name(e->op));
		}
		if (t.k == T_BIT)
			a &= mask(t.w);
		break;
	case P4_EXPR_SLICE: {
		u128 hi = eval_const(lw, sc, e->b, NULL), lo = eval_const(lw, sc, e->c, NULL);

		a = eval_const(lw, sc, e->a, NULL);
		if (hi < lo || hi >= 128)
			invalid(lw, &e->loc, "bad slice [%u:%u]", (unsigned)hi, (unsigned)lo);
		t.k = T_BIT;
		t.w = (uint32_t)(hi - lo + 1);
		a = (a >> lo) & mask(t.w);
		break;
	}
	default:
		invalid(lw, &e->loc, "not a constant");
	}
	if (t.k == T_BIT && t.w < 128 && a > mask(t.w))
		invalid(lw, &e->loc, "value does not fit in %s", ty_name(&t, buf, sizeof(buf)));
	if (ty != NULL)
		*ty = t;
	return a;
}

/* Whether 'e' is a constant expression (without failing). */
static bool
is_const(struct lw *lw, const struct scope *sc, const struct p4_expr *e)
{
	switch (e->kind) {
	case P4_EXPR_INT:
	case P4_EXPR_BOOL:
		return true;
	case P4_EXPR_NAME: {
		const struct p4_decl *d = local_find(sc ? sc->ctl : NULL, e->name);

		if (sc != NULL && sc->locals != NULL)
			for (const struct local *l = sc->locals; l != NULL; l = l->next)
				if (strcmp(l->name, e->name) == 0)
					return false;
		if (sc != NULL && sc->action != NULL)
			for (const struct p4_param *p = sc->action->params; p; p = p->next)
				if (strcmp(p->name, e->name) == 0)
					return false;
		if (d != NULL)
			return d->kind == P4_DECL_CONST;
		d = top_find(lw, e->name);
		return d != NULL && d->kind == P4_DECL_CONST;
	}
	case P4_EXPR_MEMBER: {
		const struct p4_decl *d;

		return e->a->kind == P4_EXPR_NAME && (d = top_find(lw, e->a->name)) != NULL &&
		       d->kind == P4_DECL_ENUM;
	}
	case P4_EXPR_CAST:
	case P4_EXPR_UNARY:
		return is_const(lw, sc, e->a);
	case P4_EXPR_BINARY:
	case P4_EXPR_SHR:
		return is_const(lw, sc, e->a) && is_const(lw, sc, e->b);
	case P4_EXPR_SLICE:
		return is_const(lw, sc, e->a);
	default:
		return false;
	}
}

/* --- Header instances and metadata ----------------------------------------- */

static struct inst *
inst_find(struct lw *lw, const char *name)
{
	for (uint32_t i = 0; i < lw->n_insts; i++)
		if (strcmp(lw->insts[i].name, name) == 0)
			return &lw->insts[i];
	return NULL;
}

static struct meta *
meta_find(struct lw *lw, const char *name)
{
	for (uint32_t i = 0; i < lw->n_metas; i++)
		if (strcmp(lw->metas[i].name, name) == 0)
			return &lw->metas[i];
	return NULL;
}

/* Reads the headers and metadata structs. */
static void
structs_read(struct lw *lw)
{
	for (const struct p4_field *f = lw->hdr_struct->fields; f != NULL; f = f->next) {
		struct ty ty = resolve_type(lw, f->type);
		struct inst *in;

		if (ty.k != T_HDR)
			unsupported(lw, &f->loc,
				    "'%s': the headers struct may only hold header instances", f->name);
		if (ty.d->ntype_params)
			unsupported(lw, &f->loc, "generic headers are not supported");
		in = grow(lw, &lw->insts, lw->n_insts++, sizeof(*in));
		in->name = f->name;
		in->f = f;
		in->type = ty.d;
		in->layer = FT_L_NONE;
		in->proto = FT_PROTO_NONE;
	}
	if (lw->n_insts > FT_HEADERS_MAX)
		unsupported(lw, &lw->hdr_struct->loc, "more than %u header instances",
			    FT_HEADERS_MAX);
	for (const struct p4_field *f = lw->meta_struct->fields; f != NULL; f = f->next) {
		struct meta *m = grow(lw, &lw->metas, lw->n_metas++, sizeof(*m));

		m->name = f->name;
		m->bits = field_bits(lw, f->type, f->name);
	}
}

/* Bit offset and width of field 'name' in header 'd', or false. */
static bool
hdr_field(struct lw *lw, const struct p4_decl *d, const char *name, uint32_t *off,
	  uint32_t *bits, uint32_t *index)
{
	uint32_t o = 0, i = 0;

	for (const struct p4_field *f = d->fields; f != NULL; f = f->next, i++) {
		uint32_t w = field_bits(lw, f->type, f->name);

		if (strcmp(f->name, name) == 0) {
			*off = o;
			*bits = w;
			if (index)
				*index = i;
			return true;
		}
		o += w;
	}
	return false;
}

static uint32_t
hdr_bits(struct lw *lw, const struct p4_decl *d)
{
	uint32_t o = 0;

	for (const struct p4_field *f = d->fields; f != NULL; f = f->next)
		o += field_bits(lw, f->type, f->name);
	return o;
}

/* --- The parser graph ------------------------------------------------------ */

/*
 * The model's fixed parser as a table: from a layer, the field it selects
 * on (bit offset and width in the header) and the values that lead on.
 */
struct edge {
	uint32_t value;
	enum ft_layer to;
};

struct layer_sel {
	uint32_t off, bits; /* the selecting field; bits == 0: the next layer is fixed */
	struct edge e[5];
	uint32_t n;
};

static struct layer_sel
layer_next(enum ft_layer l, const uint16_t *vxlan_ports, uint32_t n_ports)
{
	bool in = ft_layer_is_inner(l);
	struct layer_sel s = {0};
	enum ft_layer vlan = FT_L_NONE;

	switch (ft_layer_proto(l)) {
	case FT_PROTO_ETH:
	case FT_PROTO_VLAN:
		s.off = ft_layer_proto(l) == FT_PROTO_ETH ? 96 : 16;
		s.bits = 16;
		if (l == FT_L_ETH)
			vlan = FT_L_VLAN0;
		else if (l == FT_L_VLAN0)
			vlan = FT_L_VLAN1;
		else if (l == FT_L_IN_ETH)
			vlan = FT_L_IN_VLAN0;
		else if (l == FT_L_IN_VLAN0)
			vlan = FT_L_IN_VLAN1;
		if (vlan != FT_L_NONE) {
			s.e[s.n++] = (struct edge){0x8100, vlan};
			s.e[s.n++] = (struct edge){0x88a8, vlan};
		}
		s.e[s.n++] = (struct edge){0x0806, in ? FT_L_IN_ARP : FT_L_ARP};
		s.e[s.n++] = (struct edge){0x0800, in ? FT_L_IN_IPV4 : FT_L_IPV4};
		s.e[s.n++] = (struct edge){0x86dd, in ? FT_L_IN_IPV6 : FT_L_IPV6};
		break;
	case FT_PROTO_IPV4:
	case FT_PROTO_IPV6:
		s.off = ft_layer_proto(l) == FT_PROTO_IPV4 ? 72 : 48;
		s.bits = 8;
		s.e[s.n++] = (struct edge){17, in ? FT_L_IN_UDP : FT_L_UDP};
		s.e[s.n++] = (struct edge){6, in ? FT_L_IN_TCP : FT_L_TCP};
		if (ft_layer_proto(l) == FT_PROTO_IPV4)
			s.e[s.n++] = (struct edge){1, in ? FT_L_IN_ICMP : FT_L_ICMP};
		else
			s.e[s.n++] = (struct edge){58, in ? FT_L_IN_ICMP6 : FT_L_ICMP6};
		break;
	case FT_PROTO_UDP:
		if (in)
			break;
		s.off = 16;
		s.bits = 16;
		for (uint32_t i = 0; i < n_ports && s.n < 5; i++)
			s.e[s.n++] = (struct edge){vxlan_ports[i], FT_L_VXLAN};
		break;
	case FT_PROTO_VXLAN:
		s.e[s.n++] = (struct edge){0, FT_L_IN_ETH};
		break;
	default:
		break;
	}
	return s;
}

static const struct p4_state *
state_find(const struct p4_decl *parser, const char *name)
{
	for (const struct p4_state *st = parser->states; st != NULL; st = st->next)
		if (strcmp(st->name, name) == 0)
			return st;
	return NULL;
}

/* The header instance of 'pkt.extract(hdr.X)', or NULL if 'st' is not such a call. */
static struct inst *
extract_of(struct lw *lw, const struct p4_stmt *st)
{
	const struct p4_expr *c = st->rhs, *arg;

	if (st->kind != P4_STMT_CALL || c->a->kind != P4_EXPR_MEMBER ||
	    strcmp(c->a->name, "extract") != 0)
		return NULL;
	if (c->nargs != 1)
		unsupported(lw, &c->loc, "extract with a variable-size field is not supported");
	arg = c->args;
	if (arg->kind != P4_EXPR_MEMBER || arg->a->kind != P4_EXPR_NAME ||
	    inst_find(lw, arg->name) == NULL)
		unsupported(lw, &arg->loc, "extract must name a header instance (hdr.name)");
	return inst_find(lw, arg->name);
}

static void
inst_set_layer(struct lw *lw, struct inst *in, enum ft_layer l, const struct p4_loc *loc)
{
	if (in->layer == l)
		return;
	if (in->layer != FT_L_NONE)
		unsupported(lw, loc,
			    "header '%s' is extracted as %s here and as %s at line %u: one "
			    "instance per protocol layer", in->name, ft_layer_name(l),
			    ft_layer_name(in->layer), in->extracted_at.line);
	for (uint32_t i = 0; i < lw->n_insts; i++)
		if (lw->insts[i].layer == l)
			unsupported(lw, loc,
				    "'%s' and '%s' are both extracted as %s: one instance per "
				    "protocol layer", lw->insts[i].name, in->name, ft_layer_name(l));
	in->layer = l;
	in->extracted_at = *loc;
}

/*
 * Walks the graph from state 'st', where the next extract is at layer 'l'
 * (FT_L_NONE after accept). 'depth' bounds the walk: the model has fewer
 * layers than that.
 */
static void
walk_state(struct lw *lw, const struct p4_state *st, enum ft_layer l, uint32_t depth,
	   const struct p4_loc *from)
{
	enum ft_layer cur = FT_L_NONE;
	struct inst *last = NULL;

	if (depth > 2 * FT_L_COUNT)
		unsupported(lw, from, "parser loops are not supported");
	for (const struct p4_stmt *s = st->stmts; s != NULL; s = s->next) {
		struct inst *in = extract_of(lw, s);

		if (in == NULL) {
			if (s->kind == P4_STMT_ASSIGN && strcmp(st->name, "start") == 0)
				continue; /* the parser's prologue: parser_prologue() */
			if (s->kind == P4_STMT_EMPTY)
				continue;
			unsupported(lw, &s->loc,
				    "in a parser state only extract() is supported (and assignments "
				    "in 'start')");
		}
		if (cur != FT_L_NONE) {
			/* A second extract in one state: only where the next layer is fixed. */
			struct layer_sel sel = layer_next(cur, lw->vxlan_ports, lw->n_vxlan_ports);

			if (sel.bits != 0 || sel.n == 0)
				unsupported(lw, &s->loc,
					    "'%s' is extracted after '%s' without a select: the "
					    "model's parser decides by %s's next-protocol field",
					    in->name, last->name, last->name);
			l = sel.e[0].to;
		}
		if (l == FT_L_NONE)
			unsupported(lw, &s->loc, "the model's parser has no layer for '%s' here",
				    in->name);
		if (hdr_bits(lw, in->type) != ft_proto_size(ft_layer_proto(l)) * 8)
			unsupported(lw, &s->loc,
				    "'%s' is extracted as %s but its type %s is %u bits, not %u",
				    in->name, ft_layer_name(l), in->type->name,
				    hdr_bits(lw, in->type), ft_proto_size(ft_layer_proto(l)) * 8);
		inst_set_layer(lw, in, l, &s->loc);
		cur = l;
		last = in;
		l = FT_L_NONE;
	}
	if (st->trans == P4_TRANS_NONE)
		invalid(lw, &st->loc, "state '%s' has no transition", st->name);
	if (cur == FT_L_NONE && strcmp(st->name, "start") != 0)
		unsupported(lw, &st->loc, "state '%s' extracts nothing", st->name);
	if (cur == FT_L_NONE)
		unsupported(lw, &st->loc, "the start state must extract the Ethernet header");

	struct layer_sel sel = layer_next(cur, lw->vxlan_ports, lw->n_vxlan_ports);
	bool taken[8] = {false};

	if (st->trans == P4_TRANS_DIRECT) {
		const struct p4_state *to;

		if (strcmp(st->next_state, "accept") == 0)
			goto check;
		if (strcmp(st->next_state, "reject") == 0)
			unsupported(lw, &st->trans_loc, "transition reject is not supported: the "
				    "model's parser passes on what it does not parse");
		to = state_find(lw->parser, st->next_state);
		if (to == NULL)
			invalid(lw, &st->trans_loc, "no state '%s'", st->next_state);
		if (sel.bits != 0 || sel.n == 0)
			unsupported(lw, &st->trans_loc,
				    "transition to '%s' without a select after %s: the model's "
				    "parser decides by its next-protocol field", st->next_state,
				    ft_layer_name(cur));
		taken[0] = true;
		walk_state(lw, to, sel.e[0].to, depth + 1, &st->trans_loc);
		goto check;
	}
	/* select: one field, the next-protocol field of the last header extracted. */
	const struct p4_expr *x = st->select;
	uint32_t off, bits;

	if (st->nselect != 1 || x->kind != P4_EXPR_MEMBER || x->a->kind != P4_EXPR_MEMBER ||
	    x->a->a->kind != P4_EXPR_NAME || strcmp(x->a->name, last->name) != 0 ||
	    !hdr_field(lw, last->type, x->name, &off, &bits, NULL) || sel.bits == 0 ||
	    off != sel.off || bits != sel.bits)
		unsupported(lw, &x->loc,
			    "select on anything but the next-protocol field of '%s' (%s) is not "
			    "supported", last->name, ft_layer_name(cur));
	for (const struct p4_select_case *c = st->cases; c != NULL; c = c->next) {
		const struct p4_state *to;
		uint32_t v;
		uint32_t k;

		if (c->keyset->kind == P4_EXPR_DEFAULT || c->keyset->kind == P4_EXPR_DONTCARE) {
			if (strcmp(c->state, "accept") != 0)
				unsupported(lw, &c->loc, "the default case must go to accept: the "
					    "model's parser passes on unknown protocols");
			continue;
		}
		if (c->keyset->kind == P4_EXPR_MASK || c->keyset->kind == P4_EXPR_RANGE ||
		    c->keyset->kind == P4_EXPR_LIST)
			unsupported(lw, &c->keyset->loc, "select cases other than single values "
				    "are not supported");
		v = (uint32_t)eval_const(lw, NULL, c->keyset, NULL);
		if (strcmp(c->state, "accept") == 0)
			continue; /* checked below: only if the model would go on */
		if (strcmp(c->state, "reject") == 0)
			unsupported(lw, &c->loc, "transition reject is not supported: the model's "
				    "parser passes on what it does not parse");
		to = state_find(lw->parser, c->state);
		if (to == NULL)
			invalid(lw, &c->loc, "no state '%s'", c->state);
		if (ft_layer_proto(cur) == FT_PROTO_UDP && !ft_layer_is_inner(cur)) {
			/* The ports that lead to VXLAN are the program's VXLAN ports. */
			for (k = 0; k < lw->n_vxlan_ports && lw->vxlan_ports[k] != v; k++)
				;
			if (k == lw->n_vxlan_ports) {
				if (k == FT_PARSE_VXLAN_PORTS_MAX || v == 0)
					unsupported(lw, &c->loc, "at most %u VXLAN ports",
						    FT_PARSE_VXLAN_PORTS_MAX);
				lw->vxlan_ports[lw->n_vxlan_ports++] = (uint16_t)v;
			}
			sel = layer_next(cur, lw->vxlan_ports, lw->n_vxlan_ports);
		}
		for (k = 0; k < sel.n && sel.e[k].value != v; k++)
			;
		if (k == sel.n)
			unsupported(lw, &c->loc, "the model's parser does not go on from %s for "
				    "value 0x%x", ft_layer_name(cur), v);
		taken[k] = true;
		walk_state(lw, to, sel.e[k].to, depth + 1, &c->loc);
	}
check:
	/* Where the model goes on to a declared layer, the graph must too. */
	for (uint32_t k = 0; k < sel.n; k++) {
		if (taken[k])
			continue;
		for (uint32_t i = 0; i < lw->n_insts; i++)
			if (lw->insts[i].layer == sel.e[k].to)
				unsupported(lw, &st->loc,
					    "state '%s': after %s, value 0x%x leads the model's parser "
					    "to %s ('%s'); the P4 parser must go there too", st->name,
					    ft_layer_name(cur), sel.e[k].value,
					    ft_layer_name(sel.e[k].to), lw->insts[i].name);
	}
}

/*
 * Walks the parser graph twice: the first walk assigns layers, the second
 * checks completeness against every layer now known to be declared.
 */
static void
parser_graph(struct lw *lw)
{
	const struct p4_state *start = state_find(lw->parser, "start");

	if (start == NULL)
		invalid(lw, &lw->parser->loc, "parser '%s' has no start state", lw->parser->name);
	walk_state(lw, start, FT_L_ETH, 0, &start->loc);
	walk_state(lw, start, FT_L_ETH, 0, &start->loc);
}

/* Protocols of the instances nothing extracts: by type, or @flowtwin_proto. */
static void
inst_protos(struct lw *lw)
{
	for (uint32_t i = 0; i < lw->n_insts; i++) {
		struct inst *in = &lw->insts[i];
		const struct p4_annot *a = find_annot(in->f->annots, "flowtwin_proto");

		if (in->layer != FT_L_NONE) {
			in->proto = ft_layer_proto(in->layer);
			if (a != NULL)
				unsupported(lw, &a->loc, "@flowtwin_proto on a parsed header: its "
					    "protocol comes from the parser");
			continue;
		}
		if (a != NULL) {
			const char *p = annot_string(lw, a);
			uint32_t k;

			for (k = 1; k < FT_PROTO_COUNT && strcmp(ft_proto_name(k), p) != 0; k++)
				;
			if (k == FT_PROTO_COUNT)
				invalid(lw, &a->loc, "unknown protocol '%s'", p);
			in->proto = k;
			continue;
		}
		for (uint32_t j = 0; j < lw->n_insts; j++)
			if (lw->insts[j].type == in->type && lw->insts[j].layer != FT_L_NONE)
				in->proto = ft_layer_proto(lw->insts[j].layer);
	}
}

/* --- The IR's declarations ------------------------------------------------- */

static uint32_t
htype_id(struct lw *lw, const struct p4_decl *d)
{
	struct ft_field_decl fields[64];
	uint32_t n = 0;
	struct htype *h;

	for (uint32_t i = 0; i < lw->n_htypes; i++)
		if (lw->htypes[i].d == d)
			return lw->htypes[i].id;
	for (const struct p4_field *f = d->fields; f != NULL; f = f->next) {
		if (n == 64)
			unsupported(lw, &f->loc, "more than 64 fields in a header");
		fields[n].name = f->name;
		fields[n++].bits = field_bits(lw, f->type, f->name);
	}
	h = grow(lw, &lw->htypes, lw->n_htypes++, sizeof(*h));
	h->d = d;
	h->id = (uint32_t)ir(lw, ft_program_add_header_type(lw->prog, d->name, fields, n, lw->err),
			     &d->loc);
	return h->id;
}

static void
decls_emit(struct lw *lw)
{
	for (uint32_t i = 0; i < lw->n_insts; i++) {
		struct inst *in = &lw->insts[i];
		uint32_t t = htype_id(lw, in->type);

		in->id = (uint32_t)ir(lw, ft_program_add_header(lw->prog, in->name, t, in->proto,
								in->layer, lw->err),
				      &in->f->loc);
	}
	for (uint32_t i = 0; i < lw->n_metas; i++)
		lw->metas[i].id = (uint32_t)ir(
			lw, ft_program_add_metadata(lw->prog, lw->metas[i].name, lw->metas[i].bits,
						    lw->err),
			&lw->meta_struct->loc);
	ir(lw, ft_program_set_vxlan_ports(lw->prog, lw->vxlan_ports, lw->n_vxlan_ports, lw->err),
	   &lw->parser->loc);
}

/* A hidden metadata field of 'bits' bits: the 'k'-th of that width in use. */
static struct ft_ref
temp_get(struct lw *lw, uint32_t bits, uint32_t *used)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < lw->n_temps; i++) {
		if (lw->temps[i].bits != bits)
			continue;
		if (k++ == *used) {
			(*used)++;
			return ft_ref_meta(lw->temps[i].id);
		}
	}
	struct temp *t = grow(lw, &lw->temps, lw->n_temps, sizeof(*t));
	char name[16];

	snprintf(name, sizeof(name), "$t%u", lw->n_temps);
	t->bits = bits;
	t->id = (uint32_t)ir(lw, ft_program_add_metadata(lw->prog, name, bits, lw->err),
			     &lw->meta_struct->loc);
	lw->n_temps++;
	(*used)++;
	return ft_ref_meta(t->id);
}

/* --- Actions ------------------------------------------------------------------ */

/* An action being built: its operations and the temporaries they use. */
struct abuild {
	struct lw *lw;
	struct scope *sc;
	void **ops; /* a slot: struct ft_op[] */
	uint32_t n_ops;
	uint32_t temps_used[FT_FIELD_BITS_MAX + 1];
	/* InternetChecksum state: the instance being summed and what was added. */
	const struct p4_decl *csum;
	struct ft_ref *csum_list;
	uint32_t n_csum;
	bool csum_open;
	bool in_apply; /* statements of an apply block: action calls are inlined */
};

static void
abuild_start(struct lw *lw, struct abuild *ab, struct scope *sc)
{
	memset(ab, 0, sizeof(*ab));
	ab->lw = lw;
	ab->sc = sc;
	ab->ops = slot_get(lw);
}

/* Drops what 'ab' built (nothing is added to the program). */
static void
abuild_drop(struct abuild *ab)
{
	slot_put(ab->lw, ab->ops);
}

static void
emit(struct abuild *ab, struct ft_op op)
{
	struct ft_op *o = grow(ab->lw, ab->ops, ab->n_ops++, sizeof(*o));

	*o = op;
}

static struct ft_ref
temp(struct abuild *ab, uint32_t bits)
{
	return temp_get(ab->lw, bits, &ab->temps_used[bits]);
}

static struct val lower_name(struct abuild *ab, const struct p4_expr *e);

static struct ft_ref
const_ref(u128 c, uint32_t w)
{
	uint8_t b[16];

	for (int i = 0; i < 16; i++)
		b[15 - i] = (uint8_t)(c >> (8 * i));
	return ft_ref_const_bytes(b + 16 - (w + 7) / 8, w);
}

/* Resolves a member expression or name to a value (no operations emitted). */
static struct val
lower_path(struct abuild *ab, const struct p4_expr *e)
{
	struct lw *lw = ab->lw;
	struct val v = {0}, base;

	if (e->kind == P4_EXPR_NAME)
		return lower_name(ab, e);
	if (e->kind != P4_EXPR_MEMBER)
		unsupported(lw, &e->loc, "this expression is not supported here");
	if (e->a->kind == P4_EXPR_NAME) {
		const struct p4_decl *d = top_find(lw, e->a->name);

		if (d != NULL && d->kind == P4_DECL_ENUM && local_find(ab->sc->ctl, e->a->name) == NULL) {
			v.k = V_CONST;
			v.c = enum_member(lw, d, e->name, &e->loc);
			v.ty = d->type ? resolve_type(lw, d->type) : (struct ty){.k = T_ENUM, .d = d};
			v.ty.d = d;
			return v;
		}
	}
	base = lower_path(ab, e->a);
	switch (base.k) {
	case V_ROOT:
		switch ((enum root)base.id) {
		case R_HDR: {
			struct inst *in = inst_find(lw, e->name);

			if (in == NULL)
				invalid(lw, &e->loc, "no header '%s' in %s", e->name,
					lw->hdr_struct->name);
			v.k = V_HDR;
			v.id = in->id;
			v.ty = (struct ty){.k = T_HDR, .d = in->type};
			v.ref = ft_ref_header(in->id);
			v.ty.w = hdr_bits(lw, in->type);
			return v;
		}
		case R_META: {
			struct meta *m = meta_find(lw, e->name);

			if (m == NULL)
				invalid(lw, &e->loc, "no field '%s' in %s", e->name,
					lw->meta_struct->name);
			v.k = V_REF;
			v.ref = ft_ref_meta(m->id);
			v.ty = (struct ty){.k = T_BIT, .w = m->bits};
			return v;
		}
		case R_ISTD:
			v.k = V_REF;
			if (strcmp(e->name, "input_port") == 0) {
				v.ref = ft_ref_std(FT_STD_IN_PORT);
				v.ty = (struct ty){.k = T_BIT, .w = 32};
			} else if (strcmp(e->name, "timestamp") == 0) {
				v.ref = ft_ref_std(FT_STD_TIMESTAMP);
				v.ty = (struct ty){.k = T_BIT, .w = 64};
			} else {
				unsupported(lw, &e->loc, "%s.%s is not supported (input_port and "
					    "timestamp are)", e->a->kind == P4_EXPR_NAME ?
					    e->a->name : "istd", e->name);
			}
			return v;
		case R_COPY:
			v.k = V_REF;
			if (strcmp(e->name, "output_port") == 0) {
				v.ref = ft_ref_std(FT_STD_OUT_PORT);
				v.ty = (struct ty){.k = T_BIT, .w = 32};
			} else if (strcmp(e->name, "rid") == 0) {
				v.ref = ft_ref_std(FT_STD_RID);
				v.ty = (struct ty){.k = T_BIT, .w = 16};
			} else {
				invalid(lw, &e->loc, "flowtwin_copy_metadata_t has no field '%s'",
					e->name);
			}
			return v;
		default:
			unsupported(lw, &e->loc, "'%s' of this parameter is not supported", e->name);
		}
	case V_HDR: {
		const struct inst *in = NULL;
		uint32_t off, bits, idx;

		for (uint32_t i = 0; i < lw->n_insts; i++)
			if (lw->insts[i].id == base.id)
				in = &lw->insts[i];
		if (!hdr_field(lw, in->type, e->name, &off, &bits, &idx))
			invalid(lw, &e->loc, "header %s has no field '%s'", in->type->name, e->name);
		v.k = V_REF;
		v.ref = ft_ref_field(in->id, idx);
		v.ty = (struct ty){.k = T_BIT, .w = bits};
		return v;
	}
	default:
		unsupported(lw, &e->loc, "member '%s' of this expression is not supported",
			    e->name);
	}
}

/* The control's parameter named 'name' as a root, or -1. */
static int
root_of(struct lw *lw, const struct p4_decl *ctl, const char *name)
{
	for (const struct p4_param *p = ctl->params; p != NULL; p = p->next) {
		struct ty ty;

		if (strcmp(p->name, name) != 0)
			continue;
		ty = resolve_type(lw, p->type);
		if (ty.d == lw->hdr_struct)
			return R_HDR;
		if (ty.d == lw->meta_struct)
			return R_META;
		if (ty.d == NULL)
			break;
		if (strcmp(ty.d->name, "pna_main_input_metadata_t") == 0 ||
		    strcmp(ty.d->name, "pna_main_parser_input_metadata_t") == 0)
			return R_ISTD;
		if (strcmp(ty.d->name, "pna_main_output_metadata_t") == 0)
			return R_OSTD;
		if (strcmp(ty.d->name, "flowtwin_copy_metadata_t") == 0)
			return R_COPY;
		if (strcmp(ty.d->name, "packet_in") == 0 || strcmp(ty.d->name, "packet_out") == 0)
			return R_PKT;
		break;
	}
	return -1;
}

static struct val
lower_name(struct abuild *ab, const struct p4_expr *e)
{
	struct lw *lw = ab->lw;
	const struct scope *sc = ab->sc;
	struct val v = {0};
	const struct p4_decl *d;
	int r;

	for (const struct local *l = sc->locals; l != NULL; l = l->next)
		if (strcmp(l->name, e->name) == 0)
			return l->v;
	if (sc->action != NULL) {
		uint32_t i = 0;

		for (const struct p4_param *p = sc->action->params; p != NULL; p = p->next, i++)
			if (strcmp(p->name, e->name) == 0) {
				v.k = V_REF;
				v.ref = ft_ref_param(i);
				v.ty = resolve_type(lw, p->type);
				return v;
			}
	}
	if ((r = root_of(lw, sc->ctl, e->name)) >= 0) {
		v.k = V_ROOT;
		v.id = (uint32_t)r;
		return v;
	}
	d = local_find(sc->ctl, e->name);
	if (d == NULL)
		d = top_find(lw, e->name);
	if (d == NULL)
		invalid(lw, &e->loc, "unknown name '%s'", e->name);
	v.d = d;
	switch (d->kind) {
	case P4_DECL_CONST:
		v.k = V_CONST;
		v.c = eval_const(lw, sc, e, &v.ty);
		return v;
	case P4_DECL_TABLE:
		v.k = V_TABLE;
		return v;
	case P4_DECL_INSTANCE:
		v.k = V_EXTERN;
		return v;
	case P4_DECL_ACTION:
		v.k = V_ACTION;
		return v;
	case P4_DECL_VAR:
		unsupported(lw, &e->loc, "control-local variables are not supported; use the "
			    "metadata struct");
	default:
		v.k = V_TYPE;
		return v;
	}
}

static struct val lower_rval(struct abuild *ab, const struct p4_expr *e, uint32_t want);
static void lower_into(struct abuild *ab, struct ft_ref dst, uint32_t w, const struct p4_expr *e);

static struct val
vconst(u128 c, uint32_t w)
{
	struct val v = {.k = V_CONST, .c = c & mask(w), .ty = {.k = T_BIT, .w = w}};

	v.ref = const_ref(c & mask(w), w);
	return v;
}

/* The IR operand of value 'v' (a ref, or a constant of width 'w'). */
static struct ft_ref
operand(struct abuild *ab, const struct val *v, uint32_t w, const struct p4_loc *loc)
{
	if (v->k == V_CONST) {
		uint32_t cw = v->ty.k == T_INT || v->ty.k == T_ENUM ? w : v->ty.w;

		if (cw == 0)
			invalid(ab->lw, loc, "the width of this constant is not known here");
		if (cw < 128 && v->c > mask(cw))
			invalid(ab->lw, loc, "value does not fit in bit<%u>", cw);
		return const_ref(v->c, cw);
	}
	if (v->k != V_REF)
		invalid(ab->lw, loc, "not a value");
	return v->ref;
}

/* A value of type bit<w> that a P4 operator takes: same width, or an untyped int. */
static void
check_width(struct abuild *ab, const struct val *v, uint32_t w, const struct p4_loc *loc)
{
	char a[32];

	if (v->k == V_CONST && v->ty.k == T_INT)
		return;
	if (v->ty.k == T_HDR || v->ty.k == T_STRUCT)
		invalid(ab->lw, loc, "a header or struct is not a number");
	if (v->ty.w != w)
		invalid(ab->lw, loc, "type mismatch: %s where bit<%u> is expected",
			ty_name(&v->ty, a, sizeof(a)), w);
}

/* The width of 'e' if it has one without context; 0 for an untyped constant. */
static uint32_t
expr_width(struct abuild *ab, const struct p4_expr *e)
{
	struct lw *lw = ab->lw;

	if (is_const(lw, ab->sc, e)) {
		struct ty ty;

		eval_const(lw, ab->sc, e, &ty);
		return ty.k == T_INT ? 0 : ty.w;
	}
	switch (e->kind) {
	case P4_EXPR_NAME:
	case P4_EXPR_MEMBER: {
		struct val v = lower_path(ab, e);

		return v.k == V_REF ? v.ty.w : 0;
	}
	case P4_EXPR_CAST:
		return resolve_type(lw, e->type).w;
	case P4_EXPR_SLICE:
		return (uint32_t)(eval_const(lw, ab->sc, e->b, NULL) -
				  eval_const(lw, ab->sc, e->c, NULL) + 1);
	case P4_EXPR_UNARY:
		return expr_width(ab, e->a);
	case P4_EXPR_SHR:
		return expr_width(ab, e->a);
	case P4_EXPR_BINARY:
		if (e->op == P4_TOK_OP_SHL)
			return expr_width(ab, e->a);
		if (expr_width(ab, e->a))
			return expr_width(ab, e->a);
		return expr_width(ab, e->b);
	default:
		return 0; /* calls included: their width comes from where they go */
	}
}

/* A call that yields a value: hash.get_hash(), checksum.get(), pkt.length(). */
static bool lower_value_call(struct abuild *ab, const struct p4_expr *e, struct ft_ref dst,
			     uint32_t w);

/*
 * Computes 'e' into 'dst' of 'w' bits; 'e' must have type bit<w> (or be an
 * untyped constant).
 */
static void
lower_into(struct abuild *ab, struct ft_ref dst, uint32_t w, const struct p4_expr *e)
{
	struct lw *lw = ab->lw;
	enum ft_op_kind k;

	if (is_const(lw, ab->sc, e) || e->kind == P4_EXPR_NAME || e->kind == P4_EXPR_MEMBER ||
	    e->kind == P4_EXPR_SLICE || e->kind == P4_EXPR_CAST) {
		struct val v = lower_rval(ab, e, w);

		check_width(ab, &v, w, &e->loc);
		emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = dst, .a = operand(ab, &v, w, &e->loc)});
		return;
	}
	if (w > 64)
		unsupported(lw, &e->loc, "arithmetic on values wider than 64 bits is not supported");
	switch (e->kind) {
	case P4_EXPR_UNARY: {
		struct val a = lower_rval(ab, e->a, w);

		check_width(ab, &a, w, &e->loc);
		if (e->op == P4_TOK_OP_TILDE)
			emit(ab, (struct ft_op){.kind = FT_OP_NOT, .dst = dst,
						.a = operand(ab, &a, w, &e->loc)});
		else if (e->op == P4_TOK_OP_MINUS)
			emit(ab, (struct ft_op){.kind = FT_OP_SUB, .dst = dst,
						.a = const_ref(0, w),
						.b = operand(ab, &a, w, &e->loc)});
		else
			unsupported(lw, &e->loc, "'!' inside an action is not supported: move the "
				    "condition to the apply block");
		return;
	}
	case P4_EXPR_SHR:
	case P4_EXPR_BINARY: {
		bool shift = e->kind == P4_EXPR_SHR || e->op == P4_TOK_OP_SHL;

		if (e->kind == P4_EXPR_SHR)
			k = FT_OP_SHR;
		else
			switch (e->op) {
			case P4_TOK_OP_PLUS: k = FT_OP_ADD; break;
			case P4_TOK_OP_MINUS: k = FT_OP_SUB; break;
			case P4_TOK_OP_AMP: k = FT_OP_AND; break;
			case P4_TOK_OP_PIPE: k = FT_OP_OR; break;
			case P4_TOK_OP_CARET: k = FT_OP_XOR; break;
			case P4_TOK_OP_SHL: k = FT_OP_SHL; break;
			case P4_TOK_OP_EQ: case P4_TOK_OP_NE: case P4_TOK_OP_LT:
			case P4_TOK_OP_LE: case P4_TOK_OP_GT: case P4_TOK_OP_GE:
			case P4_TOK_OP_AND: case P4_TOK_OP_OR:
				unsupported(lw, &e->loc, "conditions inside an action are not "
					    "supported: move them to the apply block");
			default:
				unsupported(lw, &e->loc, "operator '%s' on fields is not supported",
					    p4_tok_name(e->op));
			}
		struct val a = lower_rval(ab, e->a, w);
		struct val b = lower_rval(ab, e->b, shift ? 8 : w);

		check_width(ab, &a, w, &e->a->loc);
		if (!shift)
			check_width(ab, &b, w, &e->b->loc);
		emit(ab, (struct ft_op){.kind = k, .dst = dst, .a = operand(ab, &a, w, &e->loc),
					.b = operand(ab, &b, shift ? (b.ty.w ? b.ty.w : 8) : w,
						     &e->loc)});
		return;
	}
	case P4_EXPR_CALL:
		if (lower_value_call(ab, e, dst, w))
			return;
		break;
	case P4_EXPR_TERNARY:
		unsupported(lw, &e->loc, "'?:' inside an action is not supported: use if in the "
			    "apply block");
	default:
		break;
	}
	unsupported(lw, &e->loc, "this expression is not supported in an action");
}

/*
 * The value of 'e' as an operand: a ref or a constant, computing into a
 * temporary where needed. 'want' is the width an untyped constant takes.
 */
static struct val
lower_rval(struct abuild *ab, const struct p4_expr *e, uint32_t want)
{
	struct lw *lw = ab->lw;
	struct val v = {0};

	if (is_const(lw, ab->sc, e)) {
		v.k = V_CONST;
		v.c = eval_const(lw, ab->sc, e, &v.ty);
		if (v.ty.k == T_BOOL)
			v.ty.w = 1;
		return v;
	}
	switch (e->kind) {
	case P4_EXPR_NAME:
	case P4_EXPR_MEMBER:
		v = lower_path(ab, e);
		if (v.k != V_REF && v.k != V_CONST && v.k != V_HDR)
			invalid(lw, &e->loc, "not a value");
		return v;
	case P4_EXPR_CAST: {
		struct ty to = resolve_type(lw, e->type);
		struct val a;

		if (to.k != T_BIT && to.k != T_BOOL)
			unsupported(lw, &e->loc, "casts to this type are not supported");
		a = lower_rval(ab, e->a, to.w);
		if (a.k == V_CONST)
			return vconst(a.c, to.w);
		if (a.ty.w == to.w) {
			a.ty = to;
			return a;
		}
		v.k = V_REF;
		v.ty = to;
		v.ref = temp(ab, to.w);
		emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = v.ref, .a = a.ref});
		return v;
	}
	case P4_EXPR_SLICE: {
		uint32_t hi = (uint32_t)eval_const(lw, ab->sc, e->b, NULL);
		uint32_t lo = (uint32_t)eval_const(lw, ab->sc, e->c, NULL);
		struct val a = lower_rval(ab, e->a, 0);

		if (a.k != V_REF || hi < lo || hi >= a.ty.w)
			invalid(lw, &e->loc, "bad slice [%u:%u]", hi, lo);
		if (a.ty.w > 64)
			unsupported(lw, &e->loc, "slices of values wider than 64 bits are not "
				    "supported");
		v.k = V_REF;
		v.ty = (struct ty){.k = T_BIT, .w = hi - lo + 1};
		if (lo != 0) {
			struct ft_ref t = temp(ab, a.ty.w);

			emit(ab, (struct ft_op){.kind = FT_OP_SHR, .dst = t, .a = a.ref,
						.b = const_ref(lo, 8)});
			a.ref = t;
		}
		v.ref = temp(ab, v.ty.w);
		emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = v.ref, .a = a.ref});
		return v;
	}
	default: {
		uint32_t w = expr_width(ab, e);

		if (w == 0)
			w = want;
		if (w == 0)
			invalid(lw, &e->loc, "the width of this expression is not known here");
		v.k = V_REF;
		v.ty = (struct ty){.k = T_BIT, .w = w};
		v.ref = temp(ab, w);
		lower_into(ab, v.ref, w, e);
		return v;
	}
	}
}

/* The items of a list expression or a struct-typed value, as IR operands. */
static uint32_t
lower_list(struct abuild *ab, const struct p4_expr *e, const struct p4_decl *type,
	   struct ft_ref **out)
{
	struct lw *lw = ab->lw;
	const struct p4_expr *items = e->kind == P4_EXPR_LIST ? e->args : e;
	uint32_t n = e->kind == P4_EXPR_LIST ? e->nargs : 1;
	const struct p4_field *f = type ? type->fields : NULL;
	struct ft_ref *list = lw_alloc(lw, (n ? n : 1) * sizeof(*list));
	uint32_t i = 0;

	if (type != NULL && type->nfields != n)
		invalid(lw, &e->loc, "%s has %u fields, the list %u", type->name, type->nfields, n);
	for (const struct p4_expr *x = items; i < n; x = x->next, i++) {
		uint32_t w = f ? field_bits(lw, f->type, f->name) : 0;
		struct val v = lower_rval(ab, x, w);

		if (v.k == V_HDR) {
			list[i] = v.ref;
		} else {
			if (w != 0)
				check_width(ab, &v, w, &x->loc);
			list[i] = operand(ab, &v, w, &x->loc);
		}
		if (f)
			f = f->next;
	}
	*out = list;
	return n;
}

static struct ext *
ext_of(struct lw *lw, const struct p4_decl *d)
{
	for (uint32_t i = 0; i < lw->n_exts; i++)
		if (lw->exts[i].d == d)
			return &lw->exts[i];
	return NULL;
}

static uint32_t act_lower(struct lw *lw, const struct p4_decl *ctl, const struct p4_decl *d);

static bool
lower_value_call(struct abuild *ab, const struct p4_expr *e, struct ft_ref dst, uint32_t w)
{
	struct lw *lw = ab->lw;
	const struct p4_expr *f = e->a;
	struct val obj;
	struct ext *x;

	if (f->kind != P4_EXPR_MEMBER)
		return false;
	obj = lower_path(ab, f->a);
	if (obj.k == V_ROOT && obj.id == R_PKT && strcmp(f->name, "length") == 0) {
		emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = dst,
					.a = ft_ref_std(FT_STD_PKT_LEN)});
		return true;
	}
	if (obj.k != V_EXTERN || (x = ext_of(lw, obj.d)) == NULL)
		return false;
	if (x->kind == X_HASH && strcmp(f->name, "get_hash") == 0) {
		/* PNA_HashAlgorithm_t has TARGET_DEFAULT only. */
		struct ft_op op = {.kind = FT_OP_HASH, .id = FT_HASH_TARGET_DEFAULT, .dst = dst};

		if (w > 64)
			unsupported(lw, &e->loc, "hashes wider than 64 bits are not supported");
		if (e->nargs == 3) {
			struct val base = lower_rval(ab, e->args, w);
			struct val max = lower_rval(ab, e->args->next->next, w);

			op.a = operand(ab, &base, w, &e->loc);
			op.b = operand(ab, &max, w, &e->loc);
			op.n_list = lower_list(ab, e->args->next, NULL, (struct ft_ref **)&op.list);
		} else if (e->nargs == 1) {
			op.a = const_ref(0, w);
			op.b = const_ref((u128)1 << w, w + 1);
			op.n_list = lower_list(ab, e->args, NULL, (struct ft_ref **)&op.list);
		} else {
			invalid(lw, &e->loc, "get_hash takes 1 or 3 arguments");
		}
		emit(ab, op);
		return true;
	}
	if (x->kind == X_CSUM && strcmp(f->name, "get") == 0) {
		if (!ab->csum_open || ab->csum != obj.d)
			unsupported(lw, &e->loc, "InternetChecksum: clear(), add() and get() must be "
				    "called in one action");
		if (w != 16)
			invalid(lw, &e->loc, "get() is bit<16>");
		emit(ab, (struct ft_op){.kind = FT_OP_CSUM, .dst = dst, .list = ab->csum_list,
					.n_list = ab->n_csum});
		return true;
	}
	return false;
}

static int
find_action_by_name(struct lw *lw, const struct p4_decl *ctl, const char *name,
		    const struct p4_decl **out)
{
	const struct p4_decl *d = local_find(ctl, name);

	if (d == NULL)
		d = top_find(lw, name);
	if (d == NULL || d->kind != P4_DECL_ACTION)
		return -ENOENT;
	*out = d;
	return 0;
}

static void lower_stmt(struct abuild *ab, const struct p4_stmt *s);

/*
 * An action called with arguments from an apply block: its body, with each
 * parameter bound to the value of its argument.
 */
static void
inline_action(struct abuild *ab, const struct p4_decl *d, const struct p4_expr *call)
{
	struct lw *lw = ab->lw;
	struct local *saved = ab->sc->locals;
	const struct p4_decl *saved_action = ab->sc->action;
	const struct p4_expr *arg = call->args;

	if (call->nargs != d->nparams)
		invalid(lw, &call->loc, "action %s takes %u arguments, not %u", d->name,
			d->nparams, call->nargs);
	for (const struct p4_param *p = d->params; p != NULL; p = p->next, arg = arg->next) {
		struct local *l = lw_alloc(lw, sizeof(*l));
		uint32_t w = field_bits(lw, p->type, p->name);
		struct val v = lower_rval(ab, arg, w);

		check_width(ab, &v, w, &arg->loc);
		if (v.k == V_CONST)
			v = vconst(v.c, w);
		l->name = p->name;
		l->v = v;
		l->next = ab->sc->locals;
		ab->sc->locals = l;
	}
	ab->sc->action = NULL;
	for (const struct p4_stmt *s = d->body->stmts; s != NULL; s = s->next)
		lower_stmt(ab, s);
	ab->sc->action = saved_action;
	ab->sc->locals = saved;
}

/* A call statement inside an action (or a run of apply-block statements). */
static void
lower_call_stmt(struct abuild *ab, const struct p4_expr *e)
{
	struct lw *lw = ab->lw;
	const struct p4_expr *f = e->a;
	const struct p4_expr *a0 = e->args;

	if (f->kind == P4_EXPR_NAME) {
		const char *n = f->name;

		if (strcmp(n, "drop_packet") == 0) {
			emit(ab, (struct ft_op){.kind = FT_OP_DROP});
		} else if (strcmp(n, "send_to_port") == 0 || strcmp(n, "flowtwin_replicate") == 0) {
			struct val v;

			if (e->nargs != 1)
				invalid(lw, &e->loc, "%s takes one argument", n);
			v = lower_rval(ab, a0, 32);
			emit(ab, (struct ft_op){.kind = n[0] == 's' ? FT_OP_SEND : FT_OP_REPLICATE,
						.a = operand(ab, &v, 32, &a0->loc)});
		} else if (strcmp(n, "mirror_packet") == 0) {
			struct val v;

			if (e->nargs != 2)
				invalid(lw, &e->loc, "mirror_packet takes two arguments");
			v = lower_rval(ab, a0->next, 16);
			emit(ab, (struct ft_op){.kind = FT_OP_MIRROR,
						.a = operand(ab, &v, 16, &a0->loc)});
		} else if (strcmp(n, "add_entry") == 0) {
			const struct p4_decl *ad;
			struct ft_op op = {.kind = FT_OP_LEARN};

			if (e->nargs != 3 || a0->kind != P4_EXPR_STRING)
				invalid(lw, &e->loc, "add_entry(\"action\", {params}, profile)");
			if (find_action_by_name(lw, ab->sc->ctl, a0->name, &ad) < 0)
				invalid(lw, &a0->loc, "no action '%s'", a0->name);
			op.id = act_lower(lw, ab->sc->ctl, ad);
			op.n_list = lower_list(ab, a0->next, NULL, (struct ft_ref **)&op.list);
			emit(ab, op);
		} else if (strcmp(n, "verify") == 0 || strcmp(n, "recirculate") == 0 ||
			   strcmp(n, "truncate") == 0) {
			unsupported(lw, &e->loc, "%s() is not supported", n);
		} else {
			const struct p4_decl *ad;

			if (find_action_by_name(lw, ab->sc->ctl, n, &ad) < 0)
				invalid(lw, &e->loc, "unknown function '%s'", n);
			if (!ab->in_apply)
				unsupported(lw, &e->loc, "calling an action from an action is not "
					    "supported");
			inline_action(ab, ad, e);
		}
		return;
	}
	if (f->kind != P4_EXPR_MEMBER)
		unsupported(lw, &e->loc, "this call is not supported");

	struct val obj = lower_path(ab, f->a);
	struct ext *x;

	if (obj.k == V_HDR) {
		if (strcmp(f->name, "setValid") == 0)
			emit(ab, (struct ft_op){.kind = FT_OP_SET_VALID, .dst = obj.ref});
		else if (strcmp(f->name, "setInvalid") == 0)
			emit(ab, (struct ft_op){.kind = FT_OP_SET_INVALID, .dst = obj.ref});
		else
			unsupported(lw, &e->loc, "header method %s() is not supported here", f->name);
		return;
	}
	if (obj.k != V_EXTERN || (x = ext_of(lw, obj.d)) == NULL)
		unsupported(lw, &e->loc, "method %s() is not supported here", f->name);
	switch (x->kind) {
	case X_COUNTER: {
		struct val v;

		if (strcmp(f->name, "count") != 0 || e->nargs != 1)
			unsupported(lw, &e->loc, "Counter: only count(index) is supported");
		v = lower_rval(ab, a0, 32);
		emit(ab, (struct ft_op){.kind = FT_OP_COUNT, .id = x->id,
					.a = operand(ab, &v, 32, &a0->loc)});
		return;
	}
	case X_DCOUNTER:
		/* Every entry counts its packets and bytes: nothing to do. */
		if (strcmp(f->name, "count") != 0 || e->nargs != 0)
			unsupported(lw, &e->loc, "DirectCounter: only count() is supported");
		return;
	case X_DIGEST: {
		struct ft_op op = {.kind = FT_OP_DIGEST, .id = x->id};

		if (strcmp(f->name, "pack") != 0 || e->nargs != 1)
			invalid(lw, &e->loc, "Digest: pack(data)");
		if (a0->kind == P4_EXPR_LIST) {
			op.n_list = lower_list(ab, a0, x->digest_type, (struct ft_ref **)&op.list);
		} else {
			/* A struct in the metadata is not a thing: the fields are flat. */
			unsupported(lw, &a0->loc, "Digest.pack: pass a list {a, b, ...}");
		}
		emit(ab, op);
		return;
	}
	case X_CSUM:
		if (strcmp(f->name, "clear") == 0) {
			ab->csum = obj.d;
			ab->csum_open = true;
			ab->n_csum = 0;
			ab->csum_list = NULL;
		} else if (strcmp(f->name, "add") == 0) {
			struct ft_ref *items, *all;
			uint32_t n;

			if (!ab->csum_open || ab->csum != obj.d)
				unsupported(lw, &e->loc, "InternetChecksum: call clear() first, in "
					    "the same action");
			n = lower_list(ab, a0, NULL, &items);
			all = lw_alloc(lw, (ab->n_csum + n) * sizeof(*all));
			if (ab->n_csum)
				memcpy(all, ab->csum_list, ab->n_csum * sizeof(*all));
			memcpy(all + ab->n_csum, items, n * sizeof(*all));
			ab->csum_list = all;
			ab->n_csum += n;
		} else {
			unsupported(lw, &e->loc, "InternetChecksum: %s() is not supported",
				    f->name);
		}
		return;
	case X_HASH:
		unsupported(lw, &e->loc, "the value of get_hash() must be assigned");
	}
}

/* A statement inside an action. */
static void
lower_stmt(struct abuild *ab, const struct p4_stmt *s)
{
	struct lw *lw = ab->lw;

	switch (s->kind) {
	case P4_STMT_EMPTY:
		return;
	case P4_STMT_BLOCK:
		for (const struct p4_stmt *x = s->stmts; x != NULL; x = x->next)
			lower_stmt(ab, x);
		return;
	case P4_STMT_ASSIGN: {
		struct val dst = lower_path(ab, s->lhs);

		if (dst.k == V_HDR) {
			struct val src = lower_path(ab, s->rhs);

			if (src.k != V_HDR || src.ty.d != dst.ty.d)
				invalid(lw, &s->loc, "a header is assigned from a header of its type");
			emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = dst.ref, .a = src.ref});
			return;
		}
		if (dst.k != V_REF || dst.ref.kind == FT_REF_PARAM || dst.ref.kind == FT_REF_STD)
			invalid(lw, &s->lhs->loc, "cannot assign to this");
		lower_into(ab, dst.ref, dst.ty.w, s->rhs);
		return;
	}
	case P4_STMT_CALL:
		lower_call_stmt(ab, s->rhs);
		return;
	case P4_STMT_DECL: {
		const struct p4_decl *d = s->decl;
		struct local *l = lw_alloc(lw, sizeof(*l));
		struct ty ty;

		if (d->kind != P4_DECL_VAR)
			unsupported(lw, &s->loc, "this declaration is not supported in an action");
		ty = resolve_type(lw, d->type);
		if (ty.k != T_BIT && ty.k != T_BOOL)
			unsupported(lw, &s->loc, "local variables are bit<W> or bool");
		l->name = d->name;
		l->v.k = V_REF;
		l->v.ty = ty;
		l->v.ref = temp(ab, ty.w);
		if (d->init != NULL)
			lower_into(ab, l->v.ref, ty.w, d->init);
		else
			emit(ab, (struct ft_op){.kind = FT_OP_SET, .dst = l->v.ref,
						.a = const_ref(0, ty.w)});
		l->next = ab->sc->locals;
		ab->sc->locals = l;
		return;
	}
	case P4_STMT_IF:
	case P4_STMT_SWITCH:
		unsupported(lw, &s->loc, "%s inside an action is not supported (actions are "
			    "straight-line): move it to the apply block",
			    s->kind == P4_STMT_IF ? "if" : "switch");
	case P4_STMT_RETURN:
	case P4_STMT_EXIT:
		unsupported(lw, &s->loc, "%s inside an action is not supported",
			    s->kind == P4_STMT_RETURN ? "return" : "exit");
	}
}

/* Adds the operations built in 'ab' as action 'name'. */
static uint32_t
abuild_finish(struct abuild *ab, const char *name, const struct ft_param_decl *params,
	      uint32_t n_params, const struct p4_loc *loc)
{
	int id = ft_program_add_action(ab->lw->prog, name, params, n_params, *ab->ops,
				       ab->n_ops, ab->lw->err);

	abuild_drop(ab);
	return (uint32_t)ir(ab->lw, id, loc);
}

/* The IR name of an action or table: plain, or "Control.name" if another has it. */
static const char *
ir_name(struct lw *lw, const struct p4_decl *ctl, const struct p4_decl *d)
{
	const struct p4_annot *a = find_annot(d->annots, "name");
	const char *name = a ? annot_string(lw, a) : d->name;
	const struct p4_decl *others[] = {lw->ingress, lw->copy};

	if (name[0] == '.')
		name++;
	for (uint32_t i = 0; i < 2 && ctl != NULL; i++)
		if (others[i] != NULL && others[i] != ctl && local_find(others[i], d->name) != NULL)
			return lw_printf(lw, "%s.%s", ctl->name, name);
	return name;
}

/* Translates action 'd' of control 'ctl' once; returns its IR id. */
static uint32_t
act_lower(struct lw *lw, const struct p4_decl *ctl, const struct p4_decl *d)
{
	struct ft_param_decl params[32];
	struct scope sc = {.ctl = ctl, .action = d};
	struct abuild ab;
	uint32_t n = 0;
	struct act *a;

	if (local_find(ctl, d->name) != d)
		ctl = NULL; /* a top-level action: the same for every control */
	for (uint32_t i = 0; i < lw->n_acts; i++)
		if (lw->acts[i].d == d && lw->acts[i].ctl == ctl)
			return lw->acts[i].id;
	sc.ctl = ctl ? ctl : sc.ctl;
	for (const struct p4_param *p = d->params; p != NULL; p = p->next) {
		if (p->dir != P4_DIR_NONE)
			unsupported(lw, &p->loc, "action parameters with a direction are not "
				    "supported");
		if (n == 32)
			unsupported(lw, &p->loc, "more than 32 action parameters");
		params[n].name = p->name;
		params[n++].bits = field_bits(lw, p->type, p->name);
	}
	abuild_start(lw, &ab, &sc);
	for (const struct p4_stmt *s = d->body->stmts; s != NULL; s = s->next)
		lower_stmt(&ab, s);
	a = grow(lw, &lw->acts, lw->n_acts, sizeof(*a));
	a->d = d;
	a->ctl = ctl;
	a->id = abuild_finish(&ab, ir_name(lw, ctl, d), params, n, &d->loc);
	return lw->acts[lw->n_acts++].id;
}

/* --- Tables ------------------------------------------------------------------ */

/* Packs constant arguments as action data (program.h: big-endian, byte-aligned). */
static uint8_t *
pack_args(struct lw *lw, const struct scope *sc, const struct p4_decl *ad,
	  const struct p4_expr *args, uint32_t nargs, const struct p4_loc *loc)
{
	uint8_t *data = lw_alloc(lw, FT_ACTION_DATA_MAX);
	uint32_t off = 0;
	const struct p4_expr *a = args;

	if (nargs != ad->nparams)
		invalid(lw, loc, "action %s takes %u arguments, not %u", ad->name, ad->nparams,
			nargs);
	for (const struct p4_param *p = ad->params; p != NULL; p = p->next, a = a->next) {
		uint32_t w = field_bits(lw, p->type, p->name), n = (w + 7) / 8;
		struct ty ty;
		u128 v;

		if (!is_const(lw, sc, a))
			unsupported(lw, &a->loc, "arguments here must be constants");
		v = eval_const(lw, sc, a, &ty);
		if (w < 128 && v > mask(w))
			invalid(lw, &a->loc, "value does not fit parameter '%s' (bit<%u>)", p->name,
				w);
		if (off + n > FT_ACTION_DATA_MAX)
			unsupported(lw, loc, "action data over %u bytes", FT_ACTION_DATA_MAX);
		for (uint32_t i = 0; i < n; i++)
			data[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
		off += n;
	}
	return data;
}

/* The action an action reference (in 'actions' or 'default_action') names. */
static const struct p4_decl *
action_ref(struct lw *lw, const struct p4_decl *ctl, const char *name, const struct p4_loc *loc)
{
	const struct p4_decl *d;

	if (find_action_by_name(lw, ctl, name, &d) < 0)
		invalid(lw, loc, "no action '%s'", name);
	return d;
}

static struct tbl *
tbl_of(struct lw *lw, const struct p4_decl *d)
{
	for (uint32_t i = 0; i < lw->n_tbls; i++)
		if (lw->tbls[i].d == d)
			return &lw->tbls[i];
	return NULL;
}

/* One key field of an entry: value and mask of 'bits' bits at 'key' and 'msk'. */
static void
keyset_lower(struct lw *lw, const struct scope *sc, const struct p4_expr *x,
	     const struct ft_key_decl *kd, uint32_t bits, uint8_t *key, uint8_t *msk)
{
	uint32_t n = (bits + 7) / 8;
	u128 v = 0, m = mask(bits);

	if (x->kind == P4_EXPR_DEFAULT || x->kind == P4_EXPR_DONTCARE) {
		if (kd->match == FT_MATCH_EXACT)
			invalid(lw, &x->loc, "an exact key field needs a value");
		m = 0;
	} else if (x->kind == P4_EXPR_MASK) {
		if (kd->match == FT_MATCH_EXACT)
			invalid(lw, &x->loc, "a mask on an exact key field");
		v = eval_const(lw, sc, x->a, NULL);
		m = eval_const(lw, sc, x->b, NULL);
	} else if (x->kind == P4_EXPR_RANGE) {
		unsupported(lw, &x->loc, "ranges are not supported");
	} else {
		v = eval_const(lw, sc, x, NULL);
	}
	if (bits < 128 && (v > mask(bits) || m > mask(bits)))
		invalid(lw, &x->loc, "value does not fit the key field (bit<%u>)", bits);
	for (uint32_t i = 0; i < n; i++) {
		key[i] = (uint8_t)((v & m) >> (8 * (n - 1 - i)));
		msk[i] = (uint8_t)(m >> (8 * (n - 1 - i)));
	}
}

/*
 * A table's 'entries' (or 'const entries'): each becomes an entry the
 * program adds. In a table with a ternary field the first entry wins, as
 * P4 says: priorities count down from the number of entries.
 */
static void
entries_lower(struct lw *lw, const struct scope *sc, uint32_t table,
	      const struct ft_table_decl *td, const struct p4_prop *pr)
{
	bool wildcard = false;
	uint32_t prio = pr->nentries;
	uint8_t key[FT_KEY_BYTES_MAX], msk[FT_KEY_BYTES_MAX];

	for (uint32_t k = 0; k < td->n_keys; k++)
		wildcard |= td->keys[k].match != FT_MATCH_EXACT;
	for (const struct p4_entry *en = pr->entries; en != NULL; en = en->next, prio--) {
		const struct p4_expr *x = en->keyset;
		const struct p4_expr *items = x->kind == P4_EXPR_LIST ? x->args : x;
		uint32_t nitems = x->kind == P4_EXPR_LIST ? x->nargs : 1, off = 0, k = 0;
		const struct p4_expr *call = en->action;
		const struct p4_expr *f = call->kind == P4_EXPR_CALL ? call->a : call;
		struct ft_entry e = {.key = key, .priority = prio};
		const struct p4_decl *ad;
		struct ft_table_action *ta = NULL;

		if (nitems != td->n_keys)
			invalid(lw, &x->loc, "the table has %u key fields, the entry %u", td->n_keys,
				nitems);
		for (const struct p4_expr *i = items; k < nitems; i = i->next, k++) {
			uint32_t bits = ft_program_ref_width(lw->prog, UINT32_MAX, &td->keys[k].ref);

			keyset_lower(lw, sc, i, &td->keys[k], bits, key + off, msk + off);
			off += (bits + 7) / 8;
		}
		if (f->kind != P4_EXPR_NAME)
			invalid(lw, &call->loc, "an entry names an action");
		ad = action_ref(lw, sc->ctl, f->name, &call->loc);
		e.action = act_lower(lw, sc->ctl, ad);
		for (uint32_t a = 0; a < td->n_actions; a++)
			if (td->actions[a].action == e.action)
				ta = (struct ft_table_action *)&td->actions[a];
		if (ta == NULL || ta->scope == FT_SCOPE_DEFAULT_ONLY)
			invalid(lw, &call->loc, "action %s is not allowed in the table's entries",
				ad->name);
		if (ad->nparams || (call->kind == P4_EXPR_CALL && call->nargs))
			e.data = pack_args(lw, sc, ad, call->kind == P4_EXPR_CALL ? call->args : NULL,
					   call->kind == P4_EXPR_CALL ? call->nargs : 0, &call->loc);
		e.mask = wildcard ? msk : NULL;
		if (!wildcard)
			e.priority = 0;
		ir(lw, ft_program_add_entry(lw->prog, table, &e, lw->err), &en->loc);
	}
}

static uint32_t
tbl_lower(struct lw *lw, const struct scope *sc, const struct p4_decl *t)
{
	struct ft_key_decl keys[16];
	struct ft_table_action acts[32];
	struct ft_table_decl td = {.size = 1024};
	const struct p4_decl *ctl = sc->ctl, *def = NULL;
	const struct p4_prop *pr, *entries = NULL;
	struct scope ksc = *sc;
	struct abuild ab;
	struct tbl *tb = tbl_of(lw, t);

	if (tb != NULL)
		return tb->id;
	td.name = ir_name(lw, ctl, t);
	for (pr = t->props; pr != NULL; pr = pr->next) {
		switch (pr->kind) {
		case P4_PROP_KEY:
			abuild_start(lw, &ab, &ksc);
			for (const struct p4_key *k = pr->keys; k != NULL; k = k->next) {
				struct val v;

				if (td.n_keys == 16)
					unsupported(lw, &k->loc, "more than 16 key fields");
				v = lower_path(&ab, k->expr);
				if (v.k != V_REF || v.ref.kind == FT_REF_PARAM)
					unsupported(lw, &k->expr->loc, "a key is a header field, a "
						    "metadata field or istd.input_port");
				keys[td.n_keys].ref = v.ref;
				if (strcmp(k->match_kind, "exact") == 0)
					keys[td.n_keys].match = FT_MATCH_EXACT;
				else if (strcmp(k->match_kind, "ternary") == 0)
					keys[td.n_keys].match = FT_MATCH_TERNARY;
				else if (strcmp(k->match_kind, "lpm") == 0)
					keys[td.n_keys].match = FT_MATCH_LPM;
				else
					unsupported(lw, &k->loc, "match kind '%s' is not supported",
						    k->match_kind);
				td.n_keys++;
			}
			abuild_drop(&ab);
			break;
		case P4_PROP_ACTIONS:
			for (const struct p4_action_ref *a = pr->actions; a != NULL; a = a->next) {
				const struct p4_decl *ad = action_ref(lw, ctl, a->name, &a->loc);

				if (a->has_args && a->nargs)
					unsupported(lw, &a->loc, "actions with bound arguments are not "
						    "supported");
				if (td.n_actions == 31)
					unsupported(lw, &a->loc, "more than 31 actions in a table");
				acts[td.n_actions].action = act_lower(lw, ctl, ad);
				acts[td.n_actions].scope =
					has_annot(a->annots, "tableonly")     ? FT_SCOPE_TABLE_ONLY
					: has_annot(a->annots, "defaultonly") ? FT_SCOPE_DEFAULT_ONLY
									      : FT_SCOPE_ANY;
				td.n_actions++;
			}
			break;
		case P4_PROP_DEFAULT_ACTION: {
			const struct p4_expr *v = pr->value;
			const struct p4_expr *f = v->kind == P4_EXPR_CALL ? v->a : v;

			if (f->kind != P4_EXPR_NAME)
				invalid(lw, &v->loc, "default_action names an action");
			def = action_ref(lw, ctl, f->name, &v->loc);
			td.default_const = pr->is_const;
			if (def->nparams || (v->kind == P4_EXPR_CALL && v->nargs))
				td.default_data = pack_args(lw, sc, def, v->kind == P4_EXPR_CALL ?
							    v->args : NULL,
							    v->kind == P4_EXPR_CALL ? v->nargs : 0,
							    &v->loc);
			break;
		}
		case P4_PROP_SIZE: {
			u128 n = eval_const(lw, sc, pr->value, NULL);

			if (n == 0 || n > FT_TABLE_SIZE_MAX)
				unsupported(lw, &pr->loc, "size: 1 to %u entries", FT_TABLE_SIZE_MAX);
			td.size = (uint32_t)n;
			break;
		}
		case P4_PROP_ENTRIES:
			entries = pr;
			td.const_entries = pr->is_const;
			break;
		case P4_PROP_OTHER:
			if (strcmp(pr->name, "pna_idle_timeout") == 0) {
				struct ty ty;
				u128 v = eval_const(lw, sc, pr->value, &ty);

				if (ty.d == NULL || strcmp(ty.d->name, "PNA_IdleTimeout_t") != 0)
					invalid(lw, &pr->value->loc, "pna_idle_timeout takes a "
						"PNA_IdleTimeout_t");
				/* NOTIFY_CONTROL: the Linux bridge's default ageing, 300 s. */
				td.idle_timeout_ms = v ? 300000 : 0;
			} else if (strcmp(pr->name, "add_on_miss") == 0) {
				td.add_on_miss = eval_const(lw, sc, pr->value, NULL) != 0;
			} else if (strcmp(pr->name, "pna_direct_counter") == 0) {
				struct abuild xb;
				struct val v;
				struct ext *x;

				abuild_start(lw, &xb, &ksc);
				v = lower_path(&xb, pr->value);
				abuild_drop(&xb);
				if (v.k != V_EXTERN || (x = ext_of(lw, v.d)) == NULL ||
				    x->kind != X_DCOUNTER)
					invalid(lw, &pr->value->loc, "pna_direct_counter names a "
						"DirectCounter");
			} else {
				unsupported(lw, &pr->loc, "table property '%s' is not supported",
					    pr->name);
			}
			break;
		}
	}
	if (def == NULL) {
		/* P4: a table without default_action runs NoAction on a miss. */
		uint32_t id;

		def = top_find(lw, "NoAction");
		id = act_lower(lw, NULL, def);
		uint32_t i;
		for (i = 0; i < td.n_actions && acts[i].action != id; i++)
			;
		if (i == td.n_actions)
			acts[td.n_actions++] = (struct ft_table_action){id, FT_SCOPE_DEFAULT_ONLY};
	}
	td.default_action = act_lower(lw, ctl, def);
	for (uint32_t i = 0; i <= td.n_actions; i++) {
		if (i == td.n_actions)
			invalid(lw, &t->loc, "table %s: its default action %s is not in its "
				"actions", t->name, def->name);
		if (acts[i].action == td.default_action)
			break;
	}
	td.keys = keys;
	td.actions = acts;
	tb = grow(lw, &lw->tbls, lw->n_tbls, sizeof(*tb));
	tb->d = t;
	tb->id = (uint32_t)ir(lw, ft_program_add_table(lw->prog, &td, lw->err), &t->loc);
	lw->n_tbls++;
	if (entries != NULL)
		entries_lower(lw, sc, tb->id, &td, entries);
	return tb->id;
}

/* --- Extern instances ------------------------------------------------------ */

static void
exts_declare(struct lw *lw, const struct p4_decl *ctl)
{
	for (const struct p4_decl *d = ctl->locals; d != NULL; d = d->next) {
		const char *tn;
		struct ext *x;

		if (d->kind == P4_DECL_VAR)
			unsupported(lw, &d->loc, "control-local variables are not supported; use the "
				    "metadata struct");
		if (d->kind != P4_DECL_INSTANCE)
			continue;
		if (d->type->kind != P4_TYPE_NAME)
			invalid(lw, &d->loc, "not an extern");
		tn = d->type->name;
		x = grow(lw, &lw->exts, lw->n_exts, sizeof(*x));
		x->d = d;
		if (strcmp(tn, "Counter") == 0) {
			u128 n;

			if (d->nargs != 2)
				invalid(lw, &d->loc, "Counter(n_counters, type)");
			n = eval_const(lw, NULL, d->args, NULL);
			if (n == 0 || n > FT_TABLE_SIZE_MAX)
				unsupported(lw, &d->loc, "Counter: 1 to %u cells", FT_TABLE_SIZE_MAX);
			x->kind = X_COUNTER;
			x->id = (uint32_t)ir(lw, ft_program_add_counter(lw->prog, d->name,
									(uint32_t)n, lw->err),
					     &d->loc);
		} else if (strcmp(tn, "DirectCounter") == 0) {
			x->kind = X_DCOUNTER;
		} else if (strcmp(tn, "Digest") == 0) {
			struct ty ty;

			if (d->type->nargs != 1)
				invalid(lw, &d->loc, "Digest<T> takes one type");
			ty = resolve_type(lw, d->type->args);
			if (ty.k != T_STRUCT)
				unsupported(lw, &d->loc, "Digest<T>: T must be a struct");
			x->kind = X_DIGEST;
			x->digest_type = ty.d;
			x->id = (uint32_t)ir(lw, ft_program_add_digest(lw->prog, d->name, lw->err),
					     &d->loc);
		} else if (strcmp(tn, "Hash") == 0) {
			x->kind = X_HASH;
		} else if (strcmp(tn, "InternetChecksum") == 0) {
			x->kind = X_CSUM;
		} else {
			unsupported(lw, &d->loc, "extern %s is not supported", tn);
		}
		lw->n_exts++;
	}
}

/* --- Controls: the apply block as a graph of nodes ------------------------- */

/* An edge of a node not yet pointing anywhere. */
struct hole {
	uint32_t node;
	int32_t field; /* -1 next, -2 next_false, -3 next_hit, -4 next_miss, k >= 0: on_action[k] */
};

struct cbuild {
	struct lw *lw;
	struct scope sc;
	struct ft_node *nodes; /* *nodes_slot */
	struct ft_action_next **on; /* *on_slot: each node's on_action, or NULL */
	uint32_t n;
	struct hole *holes; /* *holes_slot: the edges not yet pointing anywhere */
	uint32_t n_holes;
	const struct p4_stmt **run; /* *run_slot: plain statements waiting to become an action */
	uint32_t n_run;
	void **nodes_slot, **on_slot, **holes_slot, **run_slot;
};

static void
hole_add(struct cbuild *cb, uint32_t node, int32_t field)
{
	struct hole *h = grow(cb->lw, cb->holes_slot, cb->n_holes++, sizeof(*h));

	cb->holes = *cb->holes_slot;

	h->node = node;
	h->field = field;
}

static void
holes_fill(struct cbuild *cb, uint32_t to)
{
	for (uint32_t i = 0; i < cb->n_holes; i++) {
		struct ft_node *n = &cb->nodes[cb->holes[i].node];

		switch (cb->holes[i].field) {
		case -1: n->next = to; break;
		case -2: n->next_false = to; break;
		case -3: n->next_hit = to; break;
		case -4: n->next_miss = to; break;
		default: cb->on[cb->holes[i].node][cb->holes[i].field].next = to; break;
		}
	}
	cb->n_holes = 0;
}

/* Appends a node; every open edge now leads to it. */
static uint32_t
node_add(struct cbuild *cb, struct ft_node node)
{
	uint32_t id = cb->n;
	struct ft_node *n = grow(cb->lw, cb->nodes_slot, cb->n, sizeof(*n));

	grow(cb->lw, cb->on_slot, cb->n, sizeof(*cb->on));
	cb->nodes = *cb->nodes_slot;
	cb->on = *cb->on_slot;
	*n = node;
	cb->n++;
	holes_fill(cb, id);
	return id;
}

/* Takes the open edges out of 'cb' (to be restored with holes_put()). */
static struct hole *
holes_take(struct cbuild *cb, uint32_t *n)
{
	struct hole *h = lw_alloc(cb->lw, (cb->n_holes + 1) * sizeof(*h));

	memcpy(h, cb->holes, cb->n_holes * sizeof(*h));
	*n = cb->n_holes;
	cb->n_holes = 0;
	return h;
}

static void
holes_put(struct cbuild *cb, const struct hole *h, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		hole_add(cb, h[i].node, h[i].field);
}

/* Turns the waiting plain statements into an action and a RUN node. */
static void
run_flush(struct cbuild *cb)
{
	struct lw *lw = cb->lw;
	struct abuild ab;
	uint32_t id;

	if (cb->n_run == 0)
		return;
	abuild_start(lw, &ab, &cb->sc);
	ab.in_apply = true;
	for (uint32_t i = 0; i < cb->n_run; i++)
		lower_stmt(&ab, cb->run[i]);
	cb->sc.locals = NULL;
	id = abuild_finish(&ab, lw_printf(lw, "%s@%u:%u", cb->sc.ctl->name, cb->run[0]->loc.line,
						 cb->run[0]->loc.col),
			   NULL, 0, &cb->run[0]->loc);
	cb->n_run = 0;
	hole_add(cb, node_add(cb, (struct ft_node){.kind = FT_NODE_RUN, .action = id}), -1);
}

static uint32_t
cond_add(struct lw *lw, const struct ft_cond *c, const struct p4_loc *loc)
{
	return (uint32_t)ir(lw, ft_program_add_cond(lw->prog, c, lw->err), loc);
}

/* An operand of a comparison in a condition: a field, metadata or a constant. */
static struct val
cond_operand(struct cbuild *cb, struct abuild *ab, const struct p4_expr *e)
{
	struct val v;

	if (is_const(cb->lw, &cb->sc, e)) {
		v.k = V_CONST;
		v.c = eval_const(cb->lw, &cb->sc, e, &v.ty);
		return v;
	}
	if (e->kind != P4_EXPR_NAME && e->kind != P4_EXPR_MEMBER)
		unsupported(cb->lw, &e->loc, "only fields, metadata and constants can be compared "
			    "in a condition");
	v = lower_path(ab, e);
	if (v.k != V_REF)
		invalid(cb->lw, &e->loc, "not a value");
	return v;
}

static uint32_t
cond_lower(struct cbuild *cb, const struct p4_expr *e)
{
	struct lw *lw = cb->lw;
	struct ft_cond c = {0};
	struct abuild ab;

	switch (e->kind) {
	case P4_EXPR_UNARY:
		if (e->op != P4_TOK_OP_NOT)
			break;
		c.kind = FT_COND_NOT;
		c.l = cond_lower(cb, e->a);
		return cond_add(lw, &c, &e->loc);
	case P4_EXPR_BINARY:
		if (e->op == P4_TOK_OP_AND || e->op == P4_TOK_OP_OR) {
			c.kind = e->op == P4_TOK_OP_AND ? FT_COND_AND : FT_COND_OR;
			c.l = cond_lower(cb, e->a);
			c.r = cond_lower(cb, e->b);
			return cond_add(lw, &c, &e->loc);
		}
		switch (e->op) {
		case P4_TOK_OP_EQ: c.cmp = FT_CMP_EQ; break;
		case P4_TOK_OP_NE: c.cmp = FT_CMP_NE; break;
		case P4_TOK_OP_LT: c.cmp = FT_CMP_LT; break;
		case P4_TOK_OP_LE: c.cmp = FT_CMP_LE; break;
		case P4_TOK_OP_GT: c.cmp = FT_CMP_GT; break;
		case P4_TOK_OP_GE: c.cmp = FT_CMP_GE; break;
		default:
			unsupported(lw, &e->loc, "operator '%s' in a condition is not supported",
				    p4_tok_name(e->op));
		}
		{
			struct val a, b;
			uint32_t w;

			abuild_start(lw, &ab, &cb->sc);
			a = cond_operand(cb, &ab, e->a);
			b = cond_operand(cb, &ab, e->b);
			abuild_drop(&ab);
			w = a.k == V_REF ? a.ty.w : b.ty.w;
			if (a.k == V_CONST && b.k == V_CONST)
				w = a.ty.w ? a.ty.w : 64;
			check_width(&ab, &a, w, &e->a->loc);
			check_width(&ab, &b, w, &e->b->loc);
			c.kind = FT_COND_CMP;
			c.a = operand(&ab, &a, w, &e->a->loc);
			c.b = operand(&ab, &b, w, &e->b->loc);
			return cond_add(lw, &c, &e->loc);
		}
	case P4_EXPR_CALL:
		if (e->a->kind == P4_EXPR_MEMBER && strcmp(e->a->name, "isValid") == 0 &&
		    e->nargs == 0) {
			struct val h;

			abuild_start(lw, &ab, &cb->sc);
			h = lower_path(&ab, e->a->a);
			abuild_drop(&ab);
			if (h.k != V_HDR)
				invalid(lw, &e->loc, "isValid() of something not a header");
			c.kind = FT_COND_VALID;
			c.hdr = h.id;
			return cond_add(lw, &c, &e->loc);
		}
		break;
	case P4_EXPR_NAME:
	case P4_EXPR_MEMBER:
	case P4_EXPR_BOOL: {
		struct val v;

		abuild_start(lw, &ab, &cb->sc);
		v = cond_operand(cb, &ab, e);
		abuild_drop(&ab);
		if (v.ty.k != T_BOOL && !(v.k == V_REF && v.ty.w == 1 && v.ty.k == T_BIT))
			invalid(lw, &e->loc, "a condition must be a bool");
		c.kind = FT_COND_CMP;
		c.cmp = FT_CMP_EQ;
		c.a = v.k == V_CONST ? const_ref(v.c, 1) : v.ref;
		c.b = const_ref(1, 1);
		return cond_add(lw, &c, &e->loc);
	}
	default:
		break;
	}
	unsupported(lw, &e->loc, "this condition is not supported (comparisons of fields and "
		    "constants, isValid(), !, && and || are)");
}

/* 't.apply()': the table, or NULL if 'e' is not an apply call. */
static const struct p4_decl *
apply_of(struct cbuild *cb, const struct p4_expr *e)
{
	const struct p4_decl *d;

	if (e == NULL || e->kind != P4_EXPR_CALL || e->a->kind != P4_EXPR_MEMBER ||
	    strcmp(e->a->name, "apply") != 0 || e->a->a->kind != P4_EXPR_NAME)
		return NULL;
	d = local_find(cb->sc.ctl, e->a->a->name);
	if (d == NULL || d->kind != P4_DECL_TABLE)
		return NULL;
	if (e->nargs)
		invalid(cb->lw, &e->loc, "apply() takes no arguments");
	return d;
}

static uint32_t
apply_node(struct cbuild *cb, const struct p4_decl *t)
{
	struct ft_node n = {.kind = FT_NODE_APPLY, .next_hit = FT_NEXT_DEFAULT,
			    .next_miss = FT_NEXT_DEFAULT, .next = FT_NODE_END};

	n.table = tbl_lower(cb->lw, &cb->sc, t);
	return node_add(cb, n);
}

static void ctl_stmt(struct cbuild *cb, const struct p4_stmt *s);

static void
ctl_stmts(struct cbuild *cb, const struct p4_stmt *s)
{
	for (; s != NULL; s = s->next)
		ctl_stmt(cb, s);
}

/* 'if (t.apply().hit)' and friends: the table and whether the sense is 'hit'. */
static const struct p4_decl *
hit_test(struct cbuild *cb, const struct p4_expr *c, bool *hit)
{
	bool neg = false;
	const struct p4_decl *t;

	if (c->kind == P4_EXPR_UNARY && c->op == P4_TOK_OP_NOT) {
		neg = true;
		c = c->a;
	}
	if (c->kind != P4_EXPR_MEMBER || (strcmp(c->name, "hit") != 0 &&
					  strcmp(c->name, "miss") != 0))
		return NULL;
	t = apply_of(cb, c->a);
	if (t == NULL)
		return NULL;
	*hit = (strcmp(c->name, "hit") == 0) != neg;
	return t;
}

static void
ctl_if(struct cbuild *cb, const struct p4_stmt *s)
{
	struct hole *h_else;
	uint32_t n_else, node;
	const struct p4_decl *t;
	bool hit;

	run_flush(cb);
	if ((t = hit_test(cb, s->cond, &hit)) != NULL) {
		node = apply_node(cb, t);
		hole_add(cb, node, hit ? -4 : -3);
		h_else = holes_take(cb, &n_else);
		hole_add(cb, node, hit ? -3 : -4);
	} else {
		if (apply_of(cb, s->cond) != NULL)
			invalid(cb->lw, &s->cond->loc, "apply() is not a condition: use .hit or "
				".miss");
		struct ft_node n = {.kind = FT_NODE_IF, .cond = cond_lower(cb, s->cond)};

		node = node_add(cb, n);
		hole_add(cb, node, -2);
		h_else = holes_take(cb, &n_else);
		hole_add(cb, node, -1);
	}
	ctl_stmt(cb, s->then);
	run_flush(cb);
	{
		uint32_t n_then;
		struct hole *h_then = holes_take(cb, &n_then);

		holes_put(cb, h_else, n_else);
		if (s->els != NULL) {
			ctl_stmt(cb, s->els);
			run_flush(cb);
		}
		holes_put(cb, h_then, n_then);
	}
}

static void
ctl_switch(struct cbuild *cb, const struct p4_stmt *s)
{
	struct lw *lw = cb->lw;
	const struct p4_expr *c = s->cond;
	const struct p4_decl *t;
	struct ft_action_next *on;
	struct hole *labels;
	uint32_t n_labels = 0, node, k = 0;
	bool has_default = false;

	run_flush(cb);
	if (c->kind != P4_EXPR_MEMBER || strcmp(c->name, "action_run") != 0 ||
	    (t = apply_of(cb, c->a)) == NULL)
		unsupported(lw, &c->loc, "switch is supported on t.apply().action_run only");
	node = apply_node(cb, t);
	on = lw_alloc(lw, (s->ncases + 1) * sizeof(*on));
	cb->on[node] = on;
	labels = lw_alloc(lw, (s->ncases + 1) * sizeof(*labels));
	for (const struct p4_switch_case *sc = s->cases; sc != NULL; sc = sc->next) {
		if (sc->label == NULL) {
			has_default = true;
			labels[n_labels++] = (struct hole){node, -1};
		} else {
			const struct p4_decl *ad = action_ref(lw, cb->sc.ctl, sc->label, &sc->loc);
			uint32_t id = act_lower(lw, cb->sc.ctl, ad);

			for (uint32_t i = 0; i < k; i++)
				if (on[i].action == id)
					invalid(lw, &sc->loc, "duplicate case %s", sc->label);
			on[k] = (struct ft_action_next){id, FT_NODE_END};
			labels[n_labels++] = (struct hole){node, (int32_t)k++};
		}
		if (sc->body == NULL)
			continue; /* falls through to the next label's body */
		/* The labels so far lead to this body; where it ends joins the others. */
		uint32_t n_before;
		struct hole *before = holes_take(cb, &n_before);

		holes_put(cb, labels, n_labels);
		n_labels = 0;
		ctl_stmt(cb, sc->body);
		run_flush(cb);
		holes_put(cb, before, n_before);
	}
	if (n_labels)
		invalid(lw, &s->loc, "the last case of a switch needs a body");
	cb->nodes[node].n_on_action = k;
	if (!has_default)
		hole_add(cb, node, -1);
}

static void
ctl_stmt(struct cbuild *cb, const struct p4_stmt *s)
{
	struct lw *lw = cb->lw;
	const struct p4_decl *t;

	switch (s->kind) {
	case P4_STMT_EMPTY:
		return;
	case P4_STMT_BLOCK:
		ctl_stmts(cb, s->stmts);
		return;
	case P4_STMT_IF:
		ctl_if(cb, s);
		return;
	case P4_STMT_SWITCH:
		ctl_switch(cb, s);
		return;
	case P4_STMT_RETURN:
	case P4_STMT_EXIT:
		if (s->rhs != NULL)
			invalid(lw, &s->loc, "return with a value in a control");
		run_flush(cb);
		holes_fill(cb, FT_NODE_END);
		return;
	case P4_STMT_CALL:
		if ((t = apply_of(cb, s->rhs)) != NULL) {
			run_flush(cb);
			hole_add(cb, apply_node(cb, t), -1);
			return;
		}
		if (s->rhs->a->kind == P4_EXPR_NAME && s->rhs->nargs == 0) {
			const struct p4_decl *ad;

			if (find_action_by_name(lw, cb->sc.ctl, s->rhs->a->name, &ad) == 0) {
				struct ft_node n = {.kind = FT_NODE_RUN};

				run_flush(cb);
				n.action = act_lower(lw, cb->sc.ctl, ad);
				hole_add(cb, node_add(cb, n), -1);
				return;
			}
		}
		/* a plain statement */
		__attribute__((fallthrough));
	case P4_STMT_ASSIGN:
	case P4_STMT_DECL: {
		const struct p4_stmt **r = grow(lw, cb->run_slot, cb->n_run++, sizeof(*r));

		cb->run = *cb->run_slot;

		*r = s;
		return;
	}
	}
}

/* Lowers control 'ctl' into IR control 'which'; 'first' (may be NULL) runs first. */
static void
ctl_lower(struct lw *lw, const struct p4_decl *ctl, enum ft_control which,
	  const struct p4_stmt *first, const struct p4_decl *first_scope)
{
	struct cbuild cb = {.lw = lw, .sc = {.ctl = ctl}};
	int rc = 0;

	cb.nodes_slot = slot_get(lw);
	cb.on_slot = slot_get(lw);
	cb.holes_slot = slot_get(lw);
	cb.run_slot = slot_get(lw);
	if (first != NULL) {
		/* The parser's prologue: assignments of its start state. */
		struct scope psc = {.ctl = first_scope};
		struct abuild ab;
		uint32_t id;

		abuild_start(lw, &ab, &psc);
		for (const struct p4_stmt *s = first; s != NULL; s = s->next)
			if (s->kind == P4_STMT_ASSIGN)
				lower_stmt(&ab, s);
		id = abuild_finish(&ab, lw_printf(lw, "%s.start", first_scope->name), NULL, 0,
				   &first->loc);
		hole_add(&cb, node_add(&cb, (struct ft_node){.kind = FT_NODE_RUN, .action = id}),
			 -1);
	}
	exts_declare(lw, ctl);
	/* Every action and table, used or not, in the order declared. */
	for (const struct p4_decl *d = ctl->locals; d != NULL; d = d->next)
		if (d->kind == P4_DECL_ACTION)
			act_lower(lw, ctl, d);
		else if (d->kind == P4_DECL_TABLE)
			tbl_lower(lw, &cb.sc, d);
	ctl_stmts(&cb, ctl->body->stmts);
	run_flush(&cb);
	holes_fill(&cb, FT_NODE_END);
	for (uint32_t i = 0; i < cb.n && rc >= 0; i++) {
		if (cb.on[i] != NULL)
			cb.nodes[i].on_action = cb.on[i];
		rc = ft_program_add_node(lw->prog, which, &cb.nodes[i], lw->err);
	}
	slot_put(lw, cb.nodes_slot);
	slot_put(lw, cb.on_slot);
	slot_put(lw, cb.holes_slot);
	slot_put(lw, cb.run_slot);
	if (rc < 0)
		fail_ir(lw, rc, &ctl->loc);
}

/* --- The deparser ---------------------------------------------------------- */

static void
deparser_lower(struct lw *lw)
{
	const struct p4_decl *dp = lw->deparser;
	uint32_t emit[FT_HEADERS_MAX], n = 0;
	struct scope sc = {.ctl = dp};
	struct abuild ab;

	abuild_start(lw, &ab, &sc);
	for (const struct p4_stmt *s = dp->body->stmts; s != NULL; s = s->next) {
		const struct p4_expr *c = s->rhs;
		struct val v;

		if (s->kind == P4_STMT_EMPTY)
			continue;
		if (s->kind != P4_STMT_CALL || c->a->kind != P4_EXPR_MEMBER ||
		    strcmp(c->a->name, "emit") != 0 || c->nargs != 1)
			unsupported(lw, &s->loc, "the deparser may only call emit()");
		v = lower_path(&ab, c->args);
		if (v.k == V_ROOT && v.id == R_HDR) {
			for (uint32_t i = 0; i < lw->n_insts && n < FT_HEADERS_MAX; i++)
				emit[n++] = lw->insts[i].id;
			continue;
		}
		if (v.k != V_HDR)
			unsupported(lw, &c->args->loc, "emit() of a header instance or of the "
				    "headers struct");
		for (uint32_t i = 0; i < n; i++)
			if (emit[i] == v.id)
				invalid(lw, &c->args->loc, "header emitted twice");
		emit[n++] = v.id;
	}
	abuild_drop(&ab);
	ir(lw, ft_program_set_emit(lw->prog, emit, n, lw->err), &dp->loc);
}

/* --- The whole program ----------------------------------------------------- */

/* The parser or control declaration an argument of 'main' instantiates. */
static const struct p4_decl *
main_arg(struct lw *lw, const struct p4_expr *a, enum p4_decl_kind kind)
{
	const struct p4_decl *d;

	if (a == NULL || a->kind != P4_EXPR_CALL || a->a->kind != P4_EXPR_NAME)
		invalid(lw, a ? &a->loc : &lw->start, "PNA_NIC takes (parser(), "
			"control(), deparser())");
	if (a->nargs)
		unsupported(lw, &a->loc, "constructor parameters are not supported");
	d = top_find(lw, a->a->name);
	if (d == NULL || d->kind != kind)
		invalid(lw, &a->loc, "'%s' is not a %s", a->a->name,
			kind == P4_DECL_PARSER ? "parser" : "control");
	if (d->nctor_params)
		unsupported(lw, &d->loc, "constructor parameters are not supported");
	return d;
}

static const struct p4_decl *
param_struct(struct lw *lw, const struct p4_decl *d, uint32_t pos)
{
	const struct p4_param *p = d->params;
	struct ty ty;

	for (uint32_t i = 0; i < pos && p != NULL; i++)
		p = p->next;
	if (p == NULL)
		invalid(lw, &d->loc, "%s has too few parameters for PNA", d->name);
	ty = resolve_type(lw, p->type);
	if (ty.k != T_STRUCT)
		unsupported(lw, &p->loc, "'%s' must be a struct", p->name);
	return ty.d;
}

static void
program_lower(struct lw *lw)
{
	const struct p4_decl *main = NULL;
	const struct p4_loc *last = &lw->start;

	for (const struct p4_decl *d = lw->ast->decls; d != NULL; d = d->next) {
		last = &d->loc;
		if (d->kind == P4_DECL_INSTANCE && strcmp(d->name, "main") == 0)
			main = d;
		if (d->kind == P4_DECL_CONTROL && has_annot(d->annots, "flowtwin_copy")) {
			if (lw->copy != NULL)
				invalid(lw, &d->loc, "two controls are @flowtwin_copy");
			lw->copy = d;
		}
		if (d->kind == P4_DECL_PARSER || d->kind == P4_DECL_CONTROL)
			if (d->ntype_params)
				unsupported(lw, &d->loc, "generic parsers and controls are not "
					    "supported");
	}
	if (main == NULL)
		invalid(lw, last, "no package instantiation 'main'");
	if (main->type->kind != P4_TYPE_NAME || strcmp(main->type->name, "PNA_NIC") != 0)
		unsupported(lw, &main->loc, "main must be a PNA_NIC");
	if (main->nargs != 3)
		invalid(lw, &main->loc, "PNA_NIC takes a parser, a control and a deparser");
	lw->parser = main_arg(lw, main->args, P4_DECL_PARSER);
	lw->ingress = main_arg(lw, main->args->next, P4_DECL_CONTROL);
	lw->deparser = main_arg(lw, main->args->next->next, P4_DECL_CONTROL);
	lw->hdr_struct = param_struct(lw, lw->parser, 1);
	lw->meta_struct = param_struct(lw, lw->parser, 2);
	if (lw->copy != NULL && (param_struct(lw, lw->copy, 0) != lw->hdr_struct ||
				 param_struct(lw, lw->copy, 1) != lw->meta_struct ||
				 root_of(lw, lw->copy, lw->copy->params->next->next->next ?
					 lw->copy->params->next->next->next->name : "") != R_COPY))
		invalid(lw, &lw->copy->loc, "a @flowtwin_copy control takes (inout headers, inout "
			"metadata, in pna_main_input_metadata_t, in flowtwin_copy_metadata_t)");

	structs_read(lw);
	parser_graph(lw);
	inst_protos(lw);
	decls_emit(lw);

	const struct p4_state *start = state_find(lw->parser, "start");
	const struct p4_stmt *prologue = NULL;

	for (const struct p4_stmt *s = start->stmts; s != NULL; s = s->next)
		if (s->kind == P4_STMT_ASSIGN)
			prologue = start->stmts;
	ctl_lower(lw, lw->ingress, FT_CTL_INGRESS, prologue, lw->parser);
	if (lw->copy != NULL)
		ctl_lower(lw, lw->copy, FT_CTL_EGRESS, NULL, NULL);
	deparser_lower(lw);
}

static struct ft_program *
lower(struct p4_src *src, const char *name, struct ft_error *err)
{
	struct lw lw = {.err = err, .start = {name, 1, 1}};
	struct p4_program *ast;
	int rc;

	if (src == NULL)
		return NULL;
	ast = p4_parse(src, err);
	p4_src_close(src);
	if (ast == NULL)
		return NULL;
	lw.ast = ast;
	lw.prog = ft_program_create("p4");
	rc = lw.prog == NULL ? ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
					    "out of memory")
			     : setjmp(lw.fail);
	if (rc == 0) {
		program_lower(&lw);
		rc = ft_program_validate(lw.prog, err);
		if (rc < 0) {
			char msg[FT_ERROR_MSG_MAX];

			ft_error_format(err, msg, sizeof(msg));
			p4_error_at(err, rc, &lw.parser->loc, "%s", msg);
		}
	}
	for (uint32_t i = 0; i < LW_SLOTS; i++)
		free(lw.slot[i]);
	for (uint32_t i = 0; i < lw.n_mem; i++)
		free(lw.mem[i]);
	free(lw.mem);
	free(lw.insts);
	free(lw.metas);
	free(lw.htypes);
	free(lw.acts);
	free(lw.tbls);
	free(lw.exts);
	free(lw.temps);
	p4_program_free(ast);
	if (rc < 0) {
		ft_program_destroy(lw.prog);
		return NULL;
	}
	return lw.prog;
}

struct ft_program *
ft_p4_load(const char *path, const char *const *include_dirs, struct ft_error *err)
{
	return lower(p4_src_open_file(path, include_dirs, err), path, err);
}

struct ft_program *
ft_p4_load_string(const char *name, const char *text, size_t len,
		  const char *const *include_dirs, struct ft_error *err)
{
	return lower(p4_src_open_string(name, text, len, include_dirs, err), name, err);
}
