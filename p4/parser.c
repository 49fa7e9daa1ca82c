/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The P4_16 parser: tokens in, syntax tree out. Part of p4/, the front end;
 * it sits on the preprocessor and lexer (source.c, lexer.c) and under name
 * resolution and type checking, which read the tree of ast.h.
 *
 * Recursive descent over the subset a PNA NIC program needs (docs/
 * p4-subset.md), with a lookahead of up to three tokens (read with
 * p4_next() into a small buffer). As in p4c, the grammar needs to know
 * which names are types in two places: a statement that starts with a
 * name, and '(' name ')' that may be a cast. The parser keeps the set of
 * names declared as types so far (and the type parameters) for that. Two
 * '>' that touch ('joined') are a shift in an expression and two closing
 * angles in a type. Anything of P4_16 outside the subset is rejected by
 * name with -ENOTSUP, never skipped; nesting deeper than MAX_DEPTH too.
 *
 * Errors unwind with longjmp() to p4_parse(), which frees the arena: every
 * node lives there, so no parsing function has anything to undo.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

/* --- Arena ------------------------------------------------------------------ */

#define ARENA_CHUNK 65536

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct p4_arena {
	struct arena_chunk *chunks;
};

static void
arena_free(struct p4_arena *a)
{
	struct arena_chunk *c, *next;

	if (a == NULL)
		return;
	for (c = a->chunks; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

/* Zeroed memory from 'a', or NULL. */
static void *
arena_alloc(struct p4_arena *a, size_t n)
{
	struct arena_chunk *c = a->chunks;
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (c == NULL || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = a->chunks;
		a->chunks = c;
	}
	p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

/* --- Parser state ------------------------------------------------------------ */

#define LOOKAHEAD 3

struct parser {
	struct p4_src *src;
	struct ft_error *err;
	struct p4_arena *arena;
	jmp_buf fail;
	struct p4_token la[LOOKAHEAD]; /* tokens read but not consumed */
	unsigned nla;
	struct p4_token prev; /* the last token consumed */
	const char **types;   /* names declared as types (arena strings) */
	uint32_t ntypes, captypes;
	uint32_t depth;            /* of nested expressions, statements and types */
	const char *files[2 * 16]; /* file names: the source's, then the arena's copy */
	uint32_t nfiles;
};

static _Noreturn void
fail_code(struct parser *p, int code)
{
	longjmp(p->fail, code);
}

static _Noreturn void __attribute__((format(printf, 4, 5)))
fail_at(struct parser *p, int code, const struct p4_loc *loc, const char *fmt, ...)
{
	char msg[FT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p4_error_at(p->err, code, loc, "%s", msg);
	fail_code(p, code);
}

/*
 * Nesting deeper than this is rejected rather than risking the stack:
 * recursive descent recurses once per level.
 */
#define MAX_DEPTH 200

static void
enter(struct parser *p, const struct p4_loc *loc)
{
	if (++p->depth > MAX_DEPTH)
		fail_at(p, -ENOTSUP, loc, "nesting deeper than %d levels is not supported",
		        MAX_DEPTH);
}

static void *
alloc(struct parser *p, size_t n)
{
	void *m = arena_alloc(p->arena, n);

	if (m == NULL) {
		ft_error_set(p->err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		fail_code(p, -ENOMEM);
	}
	return m;
}

#define NEW(p, T) ((T *)alloc((p), sizeof(T)))

static const char *
copy_str(struct parser *p, const char *s, size_t len)
{
	char *d = alloc(p, len + 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/*
 * The arena's copy of the file name 'name' of the source: the tree must not
 * point into the source object. The source interns its file names, so they
 * compare by pointer; the last 16 seen are remembered.
 */
static const char *
own_file(struct parser *p, const char *name)
{
	const char *copy;
	uint32_t i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[2 * i] == name)
			return p->files[2 * i + 1];
	copy = copy_str(p, name, strlen(name));
	i = p->nfiles < 16 ? p->nfiles++ : 15;
	p->files[2 * i] = name;
	p->files[2 * i + 1] = copy;
	return copy;
}

/* The k-th token ahead (0: the next one), not consumed. */
static const struct p4_token *
la(struct parser *p, unsigned k)
{
	int rc;

	while (p->nla <= k) {
		rc = p4_next(p->src, &p->la[p->nla], p->err);
		if (rc < 0)
			fail_code(p, rc);
		p->la[p->nla].loc.file = own_file(p, p->la[p->nla].loc.file);
		p->nla++;
	}
	return &p->la[k];
}

static const struct p4_token *
peek(struct parser *p)
{
	return la(p, 0);
}

static bool
at(struct parser *p, enum p4_tok kind)
{
	return peek(p)->kind == kind;
}

static struct p4_token
next(struct parser *p)
{
	la(p, 0);
	p->prev = p->la[0];
	memmove(&p->la[0], &p->la[1], (p->nla - 1) * sizeof(p->la[0]));
	p->nla--;
	return p->prev;
}

/* How a message shows a token: 'x', or end of file. */
static const char *
show(const struct p4_token *t, char *buf, size_t size)
{
	switch (t->kind) {
	case P4_TOK_EOF:
		return "end of file";
	case P4_TOK_STRING:
		return "a string";
	case P4_TOK_ANNOTATION:
		snprintf(buf, size, "'@%s'", t->text);
		return buf;
	default:
		snprintf(buf, size, "'%.40s'", t->text);
		return buf;
	}
}

static _Noreturn void
fail_expected(struct parser *p, const char *what)
{
	const struct p4_token *t = peek(p);
	char buf[64];

	fail_at(p, -EINVAL, &t->loc, "expected %s, found %s", what, show(t, buf, sizeof(buf)));
}

static bool
accept(struct parser *p, enum p4_tok kind)
{
	if (!at(p, kind))
		return false;
	next(p);
	return true;
}

static struct p4_token
expect(struct parser *p, enum p4_tok kind)
{
	char what[48];

	if (!at(p, kind)) {
		if (kind == P4_TOK_IDENT)
			fail_expected(p, "a name");
		snprintf(what, sizeof(what), "'%s'", p4_tok_name(kind));
		fail_expected(p, what);
	}
	return next(p);
}

static _Noreturn void
unsupported(struct parser *p, const struct p4_loc *loc, const char *what)
{
	fail_at(p, -ENOTSUP, loc, "%s", what);
}

/* Keywords that may still name things (p4c's nonTypeName). */
static bool
is_name(enum p4_tok kind)
{
	switch (kind) {
	case P4_TOK_IDENT:
	case P4_TOK_KW_APPLY:
	case P4_TOK_KW_KEY:
	case P4_TOK_KW_ACTIONS:
	case P4_TOK_KW_STATE:
	case P4_TOK_KW_ENTRIES:
	case P4_TOK_KW_TYPE:
	case P4_TOK_KW_PRIORITY:
		return true;
	default:
		return false;
	}
}

/* A name; 'loc' gets its location if not NULL. */
static const char *
expect_name(struct parser *p, struct p4_loc *loc)
{
	struct p4_token t;

	if (!is_name(peek(p)->kind))
		fail_expected(p, "a name");
	t = next(p);
	if (loc != NULL)
		*loc = t.loc;
	return copy_str(p, t.text, t.len);
}

static void
add_type_name(struct parser *p, const char *name)
{
	if (p->ntypes == p->captypes) {
		uint32_t cap = p->captypes ? p->captypes * 2 : 64;
		const char **n = alloc(p, cap * sizeof(*n));

		if (p->ntypes)
			memcpy(n, p->types, p->ntypes * sizeof(*n));
		p->types = n;
		p->captypes = cap;
	}
	p->types[p->ntypes++] = name;
}

static bool
is_type_name(struct parser *p, const struct p4_token *t)
{
	if (t->kind != P4_TOK_IDENT)
		return false;
	for (uint32_t i = 0; i < p->ntypes; i++)
		if (strcmp(p->types[i], t->text) == 0)
			return true;
	return false;
}

/* Whether 't' starts a type: a base type keyword or a known type name. */
static bool
starts_type(struct parser *p, const struct p4_token *t)
{
	switch (t->kind) {
	case P4_TOK_KW_BIT:
	case P4_TOK_KW_INT:
	case P4_TOK_KW_VARBIT:
	case P4_TOK_KW_BOOL:
	case P4_TOK_KW_ERROR:
	case P4_TOK_KW_STRING:
	case P4_TOK_KW_VOID:
	case P4_TOK_KW_TUPLE:
	case P4_TOK_KW_LIST:
		return true;
	default:
		return is_type_name(p, t);
	}
}

/* --- Annotations ------------------------------------------------------------- */

static struct p4_annot *
parse_annotations(struct parser *p)
{
	struct p4_annot *head = NULL, **tail = &head;

	while (at(p, P4_TOK_ANNOTATION)) {
		struct p4_token t = next(p);
		struct p4_annot *a = NEW(p, struct p4_annot);

		a->loc = t.loc;
		a->name = copy_str(p, t.text, t.len);
		if (at(p, P4_TOK_OP_LBRACKET))
			unsupported(p, &peek(p)->loc, "structured annotations are not supported");
		if (accept(p, P4_TOK_OP_LPAREN)) {
			struct p4_token *body = NULL;
			uint32_t n = 0, cap = 0, depth = 0;

			a->has_body = true;
			for (;;) {
				const struct p4_token *u = peek(p);

				if (u->kind == P4_TOK_EOF)
					fail_at(p, -EINVAL, &t.loc,
					        "unterminated argument list of annotation '@%s'",
					        a->name);
				if (u->kind == P4_TOK_OP_RPAREN && depth == 0)
					break;
				if (u->kind == P4_TOK_OP_LPAREN)
					depth++;
				else if (u->kind == P4_TOK_OP_RPAREN)
					depth--;
				if (n == cap) {
					struct p4_token *nb;

					cap = cap ? cap * 2 : 4;
					nb = alloc(p, cap * sizeof(*nb));
					if (n)
						memcpy(nb, body, n * sizeof(*nb));
					body = nb;
				}
				body[n] = next(p);
				body[n].text = copy_str(p, body[n].text, body[n].len);
				n++;
			}
			next(p);
			a->body = body;
			a->nbody = n;
		}
		*tail = a;
		tail = &a->next;
	}
	return head;
}

/* --- Types ------------------------------------------------------------------- */

static struct p4_expr *parse_expr(struct parser *p);
static struct p4_type *parse_type(struct parser *p);

/* <N> or <(expr)> after bit, int, varbit. */
static void
parse_width(struct parser *p, struct p4_type *ty)
{
	expect(p, P4_TOK_OP_LT);
	if (at(p, P4_TOK_INT)) {
		struct p4_token t = next(p);

		if (t.value.hi != 0 || t.value.lo > 0xffffffffu)
			fail_at(p, -EINVAL, &t.loc, "type width %s is too large", t.text);
		ty->width = (uint32_t)t.value.lo;
	} else if (accept(p, P4_TOK_OP_LPAREN)) {
		ty->width_expr = parse_expr(p);
		expect(p, P4_TOK_OP_RPAREN);
	} else {
		fail_expected(p, "a width");
	}
	ty->has_width = true;
	expect(p, P4_TOK_OP_GT);
}

/* <type, ...> after a type name or a method name; returns the count. */
static uint32_t
parse_type_args(struct parser *p, struct p4_type **out)
{
	struct p4_type **tail = out;
	uint32_t n = 0;

	expect(p, P4_TOK_OP_LT);
	do {
		*tail = parse_type(p);
		tail = &(*tail)->next;
		n++;
	} while (accept(p, P4_TOK_OP_COMMA));
	expect(p, P4_TOK_OP_GT);
	return n;
}

static struct p4_type *
parse_type_nested(struct parser *p)
{
	const struct p4_token *t = peek(p);
	struct p4_type *ty = NEW(p, struct p4_type);

	ty->loc = t->loc;
	switch (t->kind) {
	case P4_TOK_KW_BIT:
		next(p);
		ty->kind = P4_TYPE_BIT;
		if (at(p, P4_TOK_OP_LT))
			parse_width(p, ty);
		else
			ty->width = 1;
		break;
	case P4_TOK_KW_INT:
		next(p);
		ty->kind = P4_TYPE_INT;
		if (at(p, P4_TOK_OP_LT))
			parse_width(p, ty);
		break;
	case P4_TOK_KW_VARBIT:
		unsupported(p, &t->loc, "varbit types are not supported");
	case P4_TOK_KW_TUPLE:
		unsupported(p, &t->loc, "tuple types are not supported");
	case P4_TOK_KW_LIST:
		unsupported(p, &t->loc, "list types are not supported");
	case P4_TOK_KW_BOOL:
		next(p);
		ty->kind = P4_TYPE_BOOL;
		break;
	case P4_TOK_KW_ERROR:
		next(p);
		ty->kind = P4_TYPE_ERROR;
		break;
	case P4_TOK_KW_STRING:
		next(p);
		ty->kind = P4_TYPE_STRING;
		break;
	case P4_TOK_KW_VOID:
		next(p);
		ty->kind = P4_TYPE_VOID;
		break;
	case P4_TOK_DONTCARE:
		next(p);
		ty->kind = P4_TYPE_DONTCARE;
		break;
	case P4_TOK_IDENT:
		ty->kind = P4_TYPE_NAME;
		ty->name = expect_name(p, NULL);
		if (at(p, P4_TOK_OP_LT))
			ty->nargs = parse_type_args(p, &ty->args);
		break;
	default:
		fail_expected(p, "a type");
	}
	if (at(p, P4_TOK_OP_LBRACKET))
		unsupported(p, &peek(p)->loc, "header stacks are not supported");
	return ty;
}

/* parse_type_nested() one level deeper. */
static struct p4_type *
parse_type(struct parser *p)
{
	struct p4_type *r;

	enter(p, &peek(p)->loc);
	r = parse_type_nested(p);
	p->depth--;
	return r;
}

/* --- Expressions ------------------------------------------------------------- */

static struct p4_expr *
new_expr(struct parser *p, enum p4_expr_kind kind, const struct p4_loc *loc)
{
	struct p4_expr *e = NEW(p, struct p4_expr);

	e->kind = kind;
	e->loc = *loc;
	return e;
}

/* expr, expr, ... up to 'close' (not consumed); returns the count. */
static uint32_t
parse_expr_list(struct parser *p, enum p4_tok close, struct p4_expr **out)
{
	struct p4_expr **tail = out;
	uint32_t n = 0;

	if (at(p, close))
		return 0;
	do {
		if (at(p, close)) /* a trailing comma */
			break;
		*tail = parse_expr(p);
		tail = &(*tail)->next;
		n++;
	} while (accept(p, P4_TOK_OP_COMMA));
	return n;
}

/* Arguments in parentheses; rejects named arguments. */
static uint32_t
parse_args(struct parser *p, struct p4_expr **out)
{
	uint32_t n;

	expect(p, P4_TOK_OP_LPAREN);
	if (is_name(peek(p)->kind) && la(p, 1)->kind == P4_TOK_OP_ASSIGN)
		unsupported(p, &peek(p)->loc, "named arguments are not supported");
	n = parse_expr_list(p, P4_TOK_OP_RPAREN, out);
	expect(p, P4_TOK_OP_RPAREN);
	return n;
}

static struct p4_expr *parse_unary(struct parser *p);

/* Member access, indexing, slices and calls after 'e'. */
static struct p4_expr *
parse_postfix(struct parser *p, struct p4_expr *e)
{
	for (;;) {
		const struct p4_token *t = peek(p);
		struct p4_expr *x;

		if (t->kind == P4_TOK_OP_DOT) {
			x = new_expr(p, P4_EXPR_MEMBER, &t->loc);
			next(p);
			x->a = e;
			x->name = expect_name(p, NULL);
		} else if (t->kind == P4_TOK_OP_LBRACKET) {
			x = new_expr(p, P4_EXPR_INDEX, &t->loc);
			next(p);
			x->a = e;
			x->b = parse_expr(p);
			if (accept(p, P4_TOK_OP_COLON)) {
				x->kind = P4_EXPR_SLICE;
				x->c = parse_expr(p);
			}
			expect(p, P4_TOK_OP_RBRACKET);
		} else if (t->kind == P4_TOK_OP_LPAREN ||
		           (t->kind == P4_TOK_OP_LT && starts_type(p, la(p, 1)))) {
			x = new_expr(p, P4_EXPR_CALL, &t->loc);
			x->a = e;
			if (t->kind == P4_TOK_OP_LT)
				x->ntargs = parse_type_args(p, &x->targs);
			x->nargs = parse_args(p, &x->args);
		} else {
			return e;
		}
		e = x;
	}
}

/* After '(': whether a cast follows: '(' type ')'. */
static bool
is_cast(struct parser *p)
{
	const struct p4_token *t = peek(p);

	if (!starts_type(p, t))
		return false;
	if (t->kind == P4_TOK_IDENT)
		return la(p, 1)->kind == P4_TOK_OP_RPAREN || la(p, 1)->kind == P4_TOK_OP_LT;
	if (t->kind == P4_TOK_KW_ERROR)
		return la(p, 1)->kind == P4_TOK_OP_RPAREN;
	return true;
}

static struct p4_expr *
parse_primary(struct parser *p)
{
	struct p4_token t = *peek(p);
	struct p4_expr *e;

	switch (t.kind) {
	case P4_TOK_INT:
		next(p);
		e = new_expr(p, P4_EXPR_INT, &t.loc);
		e->ival = t.value;
		e->name = copy_str(p, t.text, t.len);
		return e;
	case P4_TOK_KW_TRUE:
	case P4_TOK_KW_FALSE:
		next(p);
		e = new_expr(p, P4_EXPR_BOOL, &t.loc);
		e->bval = t.kind == P4_TOK_KW_TRUE;
		return e;
	case P4_TOK_STRING:
		next(p);
		e = new_expr(p, P4_EXPR_STRING, &t.loc);
		e->name = copy_str(p, t.text, t.len);
		return e;
	case P4_TOK_KW_ERROR:
		next(p);
		e = new_expr(p, P4_EXPR_NAME, &t.loc);
		e->name = "error";
		return e;
	case P4_TOK_KW_THIS:
		unsupported(p, &t.loc, "'this' is not supported");
	case P4_TOK_OP_LBRACE:
		next(p);
		if (is_name(peek(p)->kind) && la(p, 1)->kind == P4_TOK_OP_ASSIGN)
			unsupported(p, &t.loc, "structure-valued expressions are not supported");
		e = new_expr(p, P4_EXPR_LIST, &t.loc);
		e->nargs = parse_expr_list(p, P4_TOK_OP_RBRACE, &e->args);
		expect(p, P4_TOK_OP_RBRACE);
		return e;
	case P4_TOK_OP_LPAREN:
		next(p);
		if (is_cast(p)) {
			e = new_expr(p, P4_EXPR_CAST, &t.loc);
			e->type = parse_type(p);
			expect(p, P4_TOK_OP_RPAREN);
			e->a = parse_unary(p);
			return e;
		}
		e = parse_expr(p);
		expect(p, P4_TOK_OP_RPAREN);
		return e;
	default:
		if (is_name(t.kind)) {
			e = new_expr(p, P4_EXPR_NAME, &t.loc);
			e->name = expect_name(p, NULL);
			return e;
		}
		fail_expected(p, "an expression");
	}
}

static struct p4_expr *
parse_unary_nested(struct parser *p)
{
	const struct p4_token *t = peek(p);

	if (t->kind == P4_TOK_OP_NOT || t->kind == P4_TOK_OP_TILDE || t->kind == P4_TOK_OP_MINUS) {
		struct p4_expr *e = new_expr(p, P4_EXPR_UNARY, &t->loc);

		e->op = next(p).kind;
		e->a = parse_unary(p);
		return e;
	}
	if (t->kind == P4_TOK_OP_PLUS) {
		next(p);
		return parse_unary(p);
	}
	return parse_postfix(p, parse_primary(p));
}

/* parse_unary_nested() one level deeper. */
static struct p4_expr *
parse_unary(struct parser *p)
{
	struct p4_expr *r;

	enter(p, &peek(p)->loc);
	r = parse_unary_nested(p);
	p->depth--;
	return r;
}

/*
 * The binding power of the binary operator ahead, 0 if none; '*shr' is set
 * for two joined '>' (a shift, two tokens). P4's order, loosest first.
 */
static int
binary_prec(struct parser *p, bool *shr)
{
	*shr = false;
	switch (peek(p)->kind) {
	case P4_TOK_OP_OR:
		return 1;
	case P4_TOK_OP_AND:
		return 2;
	case P4_TOK_OP_EQ:
	case P4_TOK_OP_NE:
		return 3;
	case P4_TOK_OP_GT:
		if (la(p, 1)->kind == P4_TOK_OP_GT && la(p, 1)->joined) {
			*shr = true;
			return 8;
		}
		return 4;
	case P4_TOK_OP_LT:
	case P4_TOK_OP_LE:
	case P4_TOK_OP_GE:
		return 4;
	case P4_TOK_OP_PIPE:
		return 5;
	case P4_TOK_OP_CARET:
		return 6;
	case P4_TOK_OP_AMP:
		return 7;
	case P4_TOK_OP_SHL:
		return 8;
	case P4_TOK_OP_CONCAT:
	case P4_TOK_OP_PLUS:
	case P4_TOK_OP_MINUS:
	case P4_TOK_OP_SAT_ADD:
	case P4_TOK_OP_SAT_SUB:
		return 9;
	case P4_TOK_OP_STAR:
	case P4_TOK_OP_SLASH:
	case P4_TOK_OP_PERCENT:
		return 10;
	default:
		return 0;
	}
}

/* Precedence climbing from 'lhs': every binary operator of P4 is left-associative. */
static struct p4_expr *
binary_rest(struct parser *p, struct p4_expr *lhs, int min)
{
	bool shr;
	int prec;

	while ((prec = binary_prec(p, &shr)) >= min && prec > 0) {
		struct p4_token op = next(p);
		struct p4_expr *e;

		if (shr) {
			next(p);
			e = new_expr(p, P4_EXPR_SHR, &op.loc);
			e->op = P4_TOK_OP_GT;
		} else {
			e = new_expr(p, P4_EXPR_BINARY, &op.loc);
			e->op = op.kind;
		}
		e->a = lhs;
		e->b = binary_rest(p, parse_unary(p), prec + 1);
		lhs = e;
	}
	return lhs;
}

static struct p4_expr *
parse_binary(struct parser *p, int min)
{
	return binary_rest(p, parse_unary(p), min);
}

static struct p4_expr *
parse_expr_nested(struct parser *p)
{
	struct p4_expr *c = parse_binary(p, 1);

	if (at(p, P4_TOK_OP_QUESTION)) {
		struct p4_token q = next(p);
		struct p4_expr *e = new_expr(p, P4_EXPR_TERNARY, &q.loc);

		e->a = c;
		e->b = parse_expr(p);
		expect(p, P4_TOK_OP_COLON);
		e->c = parse_expr(p);
		return e;
	}
	return c;
}

/* parse_expr_nested() one level deeper. */
static struct p4_expr *
parse_expr(struct parser *p)
{
	struct p4_expr *r;

	enter(p, &peek(p)->loc);
	r = parse_expr_nested(p);
	p->depth--;
	return r;
}

/* One element of a keyset: default, _, expr, expr &&& expr, expr .. expr. */
static struct p4_expr *
parse_simple_keyset(struct parser *p)
{
	const struct p4_token *t = peek(p);
	struct p4_expr *e;

	if (t->kind == P4_TOK_KW_DEFAULT || t->kind == P4_TOK_DONTCARE) {
		e = new_expr(p, t->kind == P4_TOK_KW_DEFAULT ? P4_EXPR_DEFAULT : P4_EXPR_DONTCARE,
		             &t->loc);
		next(p);
		return e;
	}
	e = parse_expr(p);
	if (at(p, P4_TOK_OP_MASK) || at(p, P4_TOK_OP_RANGE)) {
		struct p4_token op = next(p);
		struct p4_expr *x = new_expr(
		        p, op.kind == P4_TOK_OP_MASK ? P4_EXPR_MASK : P4_EXPR_RANGE, &op.loc);

		x->a = e;
		x->b = parse_expr(p);
		e = x;
	}
	return e;
}

/* A keyset: one element, or a tuple of them in parentheses. */
static struct p4_expr *
parse_keyset(struct parser *p)
{
	const struct p4_token *t = peek(p);
	struct p4_expr *e, **tail;

	if (t->kind != P4_TOK_OP_LPAREN)
		return parse_simple_keyset(p);
	e = new_expr(p, P4_EXPR_LIST, &t->loc);
	next(p);
	tail = &e->args;
	do {
		*tail = parse_simple_keyset(p);
		tail = &(*tail)->next;
		e->nargs++;
	} while (accept(p, P4_TOK_OP_COMMA));
	expect(p, P4_TOK_OP_RPAREN);
	if (e->nargs > 1)
		return e;
	if (e->args->kind == P4_EXPR_DEFAULT || e->args->kind == P4_EXPR_DONTCARE ||
	    e->args->kind == P4_EXPR_MASK || e->args->kind == P4_EXPR_RANGE)
		return e->args; /* (keyset) is the keyset */
	/* a parenthesized expression, maybe the start of a longer one */
	e = binary_rest(p, parse_postfix(p, e->args), 1);
	if (at(p, P4_TOK_OP_MASK) || at(p, P4_TOK_OP_RANGE)) {
		struct p4_token op = next(p);
		struct p4_expr *x = new_expr(
		        p, op.kind == P4_TOK_OP_MASK ? P4_EXPR_MASK : P4_EXPR_RANGE, &op.loc);

		x->a = e;
		x->b = parse_expr(p);
		e = x;
	}
	return e;
}

/* --- Statements -------------------------------------------------------------- */

static struct p4_stmt *parse_stmt(struct parser *p);
static struct p4_decl *parse_var_decl(struct parser *p, struct p4_annot *annots, bool is_const);

static struct p4_stmt *
new_stmt(struct parser *p, enum p4_stmt_kind kind, const struct p4_loc *loc)
{
	struct p4_stmt *s = NEW(p, struct p4_stmt);

	s->kind = kind;
	s->loc = *loc;
	return s;
}

/* { statements }: a P4_STMT_BLOCK. */
static struct p4_stmt *
parse_block(struct parser *p)
{
	struct p4_stmt *b = new_stmt(p, P4_STMT_BLOCK, &peek(p)->loc);
	struct p4_stmt **tail = &b->stmts;

	expect(p, P4_TOK_OP_LBRACE);
	while (!at(p, P4_TOK_OP_RBRACE)) {
		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &b->loc, "unbalanced '{': no matching '}'");
		*tail = parse_stmt(p);
		tail = &(*tail)->next;
		b->nstmts++;
	}
	next(p);
	return b;
}

static void
reject_compound_assign(struct parser *p)
{
	const struct p4_token *t = peek(p);

	switch (t->kind) {
	case P4_TOK_OP_ADD_ASSIGN:
	case P4_TOK_OP_SUB_ASSIGN:
	case P4_TOK_OP_MUL_ASSIGN:
	case P4_TOK_OP_DIV_ASSIGN:
	case P4_TOK_OP_MOD_ASSIGN:
	case P4_TOK_OP_AND_ASSIGN:
	case P4_TOK_OP_OR_ASSIGN:
	case P4_TOK_OP_XOR_ASSIGN:
	case P4_TOK_OP_SHL_ASSIGN:
	case P4_TOK_OP_SAT_ADD_ASSIGN:
	case P4_TOK_OP_SAT_SUB_ASSIGN:
		fail_at(p, -ENOTSUP, &t->loc, "compound assignment '%s' is not supported", t->text);
	case P4_TOK_OP_GT:
		if (la(p, 1)->kind == P4_TOK_OP_GE && la(p, 1)->joined)
			unsupported(p, &t->loc, "compound assignment '>>=' is not supported");
		break;
	default:
		break;
	}
}

static struct p4_stmt *
parse_switch(struct parser *p, const struct p4_loc *loc)
{
	struct p4_stmt *s = new_stmt(p, P4_STMT_SWITCH, loc);
	struct p4_switch_case **tail = &s->cases;
	struct p4_loc lbrace;

	expect(p, P4_TOK_OP_LPAREN);
	s->cond = parse_expr(p);
	expect(p, P4_TOK_OP_RPAREN);
	lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_switch_case *c = NEW(p, struct p4_switch_case);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		c->loc = peek(p)->loc;
		if (!accept(p, P4_TOK_KW_DEFAULT)) {
			if (!is_name(peek(p)->kind))
				fail_expected(p, "an action name or 'default' as a switch label");
			c->label = expect_name(p, NULL);
		}
		expect(p, P4_TOK_OP_COLON);
		if (at(p, P4_TOK_OP_LBRACE))
			c->body = parse_block(p);
		*tail = c;
		tail = &c->next;
		s->ncases++;
	}
	return s;
}

static struct p4_stmt *
parse_stmt_nested(struct parser *p)
{
	struct p4_annot *annots = parse_annotations(p);
	struct p4_token t = *peek(p);
	struct p4_stmt *s;

	switch (t.kind) {
	case P4_TOK_OP_SEMICOLON:
		next(p);
		s = new_stmt(p, P4_STMT_EMPTY, &t.loc);
		break;
	case P4_TOK_OP_LBRACE:
		s = parse_block(p);
		break;
	case P4_TOK_KW_IF:
		next(p);
		s = new_stmt(p, P4_STMT_IF, &t.loc);
		expect(p, P4_TOK_OP_LPAREN);
		s->cond = parse_expr(p);
		expect(p, P4_TOK_OP_RPAREN);
		s->then = parse_stmt(p);
		if (accept(p, P4_TOK_KW_ELSE))
			s->els = parse_stmt(p);
		break;
	case P4_TOK_KW_SWITCH:
		next(p);
		s = parse_switch(p, &t.loc);
		break;
	case P4_TOK_KW_RETURN:
		next(p);
		s = new_stmt(p, P4_STMT_RETURN, &t.loc);
		if (!at(p, P4_TOK_OP_SEMICOLON))
			s->rhs = parse_expr(p);
		expect(p, P4_TOK_OP_SEMICOLON);
		break;
	case P4_TOK_KW_EXIT:
		next(p);
		s = new_stmt(p, P4_STMT_EXIT, &t.loc);
		expect(p, P4_TOK_OP_SEMICOLON);
		break;
	case P4_TOK_KW_CONST:
		next(p);
		s = new_stmt(p, P4_STMT_DECL, &t.loc);
		s->decl = parse_var_decl(p, NULL, true);
		break;
	case P4_TOK_KW_FOR:
		unsupported(p, &t.loc, "for loops are not supported");
	case P4_TOK_KW_BREAK:
	case P4_TOK_KW_CONTINUE:
		fail_at(p, -ENOTSUP, &t.loc, "'%s' is not supported", t.text);
	case P4_TOK_KW_TRANSITION:
		fail_at(p, -EINVAL, &t.loc, "'transition' outside a parser state");
	default:
		if (starts_type(p, &t) || (t.kind == P4_TOK_IDENT && is_name(la(p, 1)->kind))) {
			s = new_stmt(p, P4_STMT_DECL, &t.loc);
			s->decl = parse_var_decl(p, NULL, false);
			break;
		}
		if (!is_name(t.kind))
			fail_expected(p, "a statement");
		{
			struct p4_expr *e = parse_unary(p);

			reject_compound_assign(p);
			if (accept(p, P4_TOK_OP_ASSIGN)) {
				s = new_stmt(p, P4_STMT_ASSIGN, &t.loc);
				s->lhs = e;
				s->rhs = parse_expr(p);
			} else if (e->kind == P4_EXPR_CALL) {
				s = new_stmt(p, P4_STMT_CALL, &t.loc);
				s->rhs = e;
			} else {
				fail_expected(p, "'=' or a call");
			}
			expect(p, P4_TOK_OP_SEMICOLON);
		}
		break;
	}
	s->annots = annots;
	return s;
}

/* parse_stmt_nested() one level deeper. */
static struct p4_stmt *
parse_stmt(struct parser *p)
{
	struct p4_stmt *r;

	enter(p, &peek(p)->loc);
	r = parse_stmt_nested(p);
	p->depth--;
	return r;
}

/* --- Declarations ------------------------------------------------------------ */

static struct p4_decl *
new_decl(struct parser *p, enum p4_decl_kind kind, const struct p4_loc *loc,
         struct p4_annot *annots)
{
	struct p4_decl *d = NEW(p, struct p4_decl);

	d->kind = kind;
	d->loc = *loc;
	d->annots = annots;
	return d;
}

/* [const] type name [= init]; the 'const' is already consumed. */
static struct p4_decl *
parse_var_decl(struct parser *p, struct p4_annot *annots, bool is_const)
{
	struct p4_decl *d =
	        new_decl(p, is_const ? P4_DECL_CONST : P4_DECL_VAR, &peek(p)->loc, annots);

	d->type = parse_type(p);
	d->name = expect_name(p, &d->loc);
	if (accept(p, P4_TOK_OP_ASSIGN))
		d->init = parse_expr(p);
	else if (is_const)
		expect(p, P4_TOK_OP_ASSIGN);
	expect(p, P4_TOK_OP_SEMICOLON);
	return d;
}

/* <T, U> declaring type parameters; each becomes a type name. */
static uint32_t
parse_type_params(struct parser *p, struct p4_name **out)
{
	struct p4_name **tail = out;
	uint32_t n = 0;

	if (!accept(p, P4_TOK_OP_LT))
		return 0;
	do {
		struct p4_name *tp = NEW(p, struct p4_name);

		tp->name = expect_name(p, &tp->loc);
		add_type_name(p, tp->name);
		*tail = tp;
		tail = &tp->next;
		n++;
	} while (accept(p, P4_TOK_OP_COMMA));
	expect(p, P4_TOK_OP_GT);
	return n;
}

/* ( [annots] [dir] type name [= expr], ... ) */
static uint32_t
parse_params(struct parser *p, struct p4_param **out)
{
	struct p4_param **tail = out;
	uint32_t n = 0;

	expect(p, P4_TOK_OP_LPAREN);
	if (accept(p, P4_TOK_OP_RPAREN))
		return 0;
	do {
		struct p4_param *q = NEW(p, struct p4_param);

		q->annots = parse_annotations(p);
		if (accept(p, P4_TOK_KW_IN))
			q->dir = P4_DIR_IN;
		else if (accept(p, P4_TOK_KW_OUT))
			q->dir = P4_DIR_OUT;
		else if (accept(p, P4_TOK_KW_INOUT))
			q->dir = P4_DIR_INOUT;
		q->type = parse_type(p);
		q->name = expect_name(p, &q->loc);
		if (accept(p, P4_TOK_OP_ASSIGN))
			q->init = parse_expr(p);
		*tail = q;
		tail = &q->next;
		n++;
	} while (accept(p, P4_TOK_OP_COMMA));
	expect(p, P4_TOK_OP_RPAREN);
	return n;
}

/* { [annots] [type] name [= value], ... } of enum, error, match_kind. */
static uint32_t
parse_members(struct parser *p, struct p4_field **out, bool values)
{
	struct p4_field **tail = out;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
	uint32_t n = 0;

	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_field *f = NEW(p, struct p4_field);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		f->annots = parse_annotations(p);
		f->name = expect_name(p, &f->loc);
		if (values) {
			expect(p, P4_TOK_OP_ASSIGN);
			f->value = parse_expr(p);
		}
		*tail = f;
		tail = &f->next;
		n++;
		if (!accept(p, P4_TOK_OP_COMMA) && !at(p, P4_TOK_OP_RBRACE))
			fail_expected(p, "',' or '}'");
	}
	return n;
}

/* { [annots] type name; ... } of header and struct. */
static uint32_t
parse_fields(struct parser *p, struct p4_field **out)
{
	struct p4_field **tail = out;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
	uint32_t n = 0;

	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_field *f = NEW(p, struct p4_field);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		f->annots = parse_annotations(p);
		f->type = parse_type(p);
		f->name = expect_name(p, &f->loc);
		expect(p, P4_TOK_OP_SEMICOLON);
		*tail = f;
		tail = &f->next;
		n++;
	}
	return n;
}

static struct p4_decl *
parse_action(struct parser *p, struct p4_annot *annots)
{
	struct p4_decl *d;

	expect(p, P4_TOK_KW_ACTION);
	d = new_decl(p, P4_DECL_ACTION, &peek(p)->loc, annots);
	d->name = expect_name(p, &d->loc);
	d->nparams = parse_params(p, &d->params);
	d->body = parse_block(p);
	return d;
}

/* key = { expr : match_kind [annots]; ... } */
static void
parse_key_prop(struct parser *p, struct p4_prop *pr)
{
	struct p4_key **tail = &pr->keys;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;

	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_key *k = NEW(p, struct p4_key);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		k->loc = peek(p)->loc;
		k->expr = parse_expr(p);
		expect(p, P4_TOK_OP_COLON);
		k->match_kind = expect_name(p, NULL);
		k->annots = parse_annotations(p);
		expect(p, P4_TOK_OP_SEMICOLON);
		*tail = k;
		tail = &k->next;
		pr->nkeys++;
	}
}

/* actions = { [annots] name [(args)]; ... } */
static void
parse_actions_prop(struct parser *p, struct p4_prop *pr)
{
	struct p4_action_ref **tail = &pr->actions;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;

	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_action_ref *a = NEW(p, struct p4_action_ref);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		a->annots = parse_annotations(p);
		a->name = expect_name(p, &a->loc);
		if (at(p, P4_TOK_OP_LPAREN)) {
			a->has_args = true;
			a->nargs = parse_args(p, &a->args);
		}
		expect(p, P4_TOK_OP_SEMICOLON);
		*tail = a;
		tail = &a->next;
		pr->nactions++;
	}
}

/* entries = { [annots] keyset : action [(args)]; ... } */
static void
parse_entries_prop(struct parser *p, struct p4_prop *pr)
{
	struct p4_entry **tail = &pr->entries;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;

	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_entry *en = NEW(p, struct p4_entry);

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		en->annots = parse_annotations(p);
		en->loc = peek(p)->loc;
		if (at(p, P4_TOK_KW_CONST))
			unsupported(p, &en->loc, "const entries inside entries are not supported");
		if (at(p, P4_TOK_KW_PRIORITY))
			unsupported(p, &en->loc, "entry priorities are not supported");
		en->keyset = parse_keyset(p);
		expect(p, P4_TOK_OP_COLON);
		en->action = parse_expr(p);
		expect(p, P4_TOK_OP_SEMICOLON);
		*tail = en;
		tail = &en->next;
		pr->nentries++;
	}
}

static struct p4_decl *
parse_table(struct parser *p, struct p4_annot *annots)
{
	struct p4_decl *d;
	struct p4_prop **tail;
	struct p4_loc lbrace;

	expect(p, P4_TOK_KW_TABLE);
	d = new_decl(p, P4_DECL_TABLE, &peek(p)->loc, annots);
	d->name = expect_name(p, &d->loc);
	tail = &d->props;
	lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
	while (!accept(p, P4_TOK_OP_RBRACE)) {
		struct p4_prop *pr = NEW(p, struct p4_prop);
		struct p4_token t;

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		pr->annots = parse_annotations(p);
		pr->is_const = accept(p, P4_TOK_KW_CONST);
		pr->loc = peek(p)->loc;
		if (!is_name(peek(p)->kind))
			fail_expected(p, "a table property");
		t = next(p);
		pr->name = copy_str(p, t.text, t.len);
		if (!at(p, P4_TOK_OP_ASSIGN))
			fail_at(p, -EINVAL, &peek(p)->loc, "expected '=' after table property '%s'",
			        pr->name);
		next(p);
		if (t.kind == P4_TOK_KW_KEY) {
			pr->kind = P4_PROP_KEY;
			parse_key_prop(p, pr);
		} else if (t.kind == P4_TOK_KW_ACTIONS) {
			pr->kind = P4_PROP_ACTIONS;
			parse_actions_prop(p, pr);
		} else if (t.kind == P4_TOK_KW_ENTRIES) {
			pr->kind = P4_PROP_ENTRIES;
			parse_entries_prop(p, pr);
		} else {
			if (strcmp(pr->name, "default_action") == 0)
				pr->kind = P4_PROP_DEFAULT_ACTION;
			else if (strcmp(pr->name, "size") == 0)
				pr->kind = P4_PROP_SIZE;
			else
				pr->kind = P4_PROP_OTHER;
			if (at(p, P4_TOK_OP_LBRACE))
				fail_at(p, -ENOTSUP, &peek(p)->loc,
				        "a list as the value of table property '%s' is not "
				        "supported",
				        pr->name);
			pr->value = parse_expr(p);
			expect(p, P4_TOK_OP_SEMICOLON);
		}
		*tail = pr;
		tail = &pr->next;
		d->nprops++;
	}
	return d;
}

/* type(args) name; with the type already read. */
static struct p4_decl *
finish_instance(struct parser *p, struct p4_type *ty, struct p4_annot *annots)
{
	struct p4_decl *d = new_decl(p, P4_DECL_INSTANCE, &ty->loc, annots);

	d->type = ty;
	d->nargs = parse_args(p, &d->args);
	if (at(p, P4_TOK_OP_ASSIGN))
		unsupported(p, &peek(p)->loc, "instantiations with initializers are not supported");
	d->name = expect_name(p, &d->loc);
	expect(p, P4_TOK_OP_SEMICOLON);
	return d;
}

/*
 * A declaration inside a parser or a control, or NULL at 'apply' or
 * 'state' (left for the caller).
 */
static struct p4_decl *
parse_local(struct parser *p, struct p4_annot *annots, bool in_control)
{
	const struct p4_token *t = peek(p);
	struct p4_type *ty;

	switch (t->kind) {
	case P4_TOK_KW_ACTION:
		return parse_action(p, annots);
	case P4_TOK_KW_TABLE:
		if (!in_control)
			fail_at(p, -EINVAL, &t->loc, "a table outside a control");
		return parse_table(p, annots);
	case P4_TOK_KW_CONST:
		next(p);
		return parse_var_decl(p, annots, true);
	case P4_TOK_KW_VALUE_SET:
		unsupported(p, &t->loc, "value_set is not supported");
	case P4_TOK_KW_APPLY:
	case P4_TOK_KW_STATE:
		if (annots != NULL && t->kind == P4_TOK_KW_APPLY)
			fail_at(p, -EINVAL, &t->loc, "annotations on an apply block");
		return NULL;
	default:
		break;
	}
	ty = parse_type(p);
	if (at(p, P4_TOK_OP_LPAREN))
		return finish_instance(p, ty, annots);
	{
		struct p4_decl *d = new_decl(p, P4_DECL_VAR, &ty->loc, annots);

		d->type = ty;
		d->name = expect_name(p, &d->loc);
		if (at(p, P4_TOK_OP_LPAREN))
			unsupported(p, &d->loc, "function declarations are not supported");
		if (accept(p, P4_TOK_OP_ASSIGN))
			d->init = parse_expr(p);
		expect(p, P4_TOK_OP_SEMICOLON);
		return d;
	}
}

static void
parse_transition(struct parser *p, struct p4_state *st)
{
	st->trans_loc = expect(p, P4_TOK_KW_TRANSITION).loc;
	if (accept(p, P4_TOK_KW_SELECT)) {
		struct p4_select_case **tail = &st->cases;
		struct p4_loc lbrace;

		st->trans = P4_TRANS_SELECT;
		expect(p, P4_TOK_OP_LPAREN);
		st->nselect = parse_expr_list(p, P4_TOK_OP_RPAREN, &st->select);
		if (st->nselect == 0)
			fail_expected(p, "an expression");
		expect(p, P4_TOK_OP_RPAREN);
		lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
		while (!accept(p, P4_TOK_OP_RBRACE)) {
			struct p4_select_case *c = NEW(p, struct p4_select_case);

			if (at(p, P4_TOK_EOF))
				fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
			c->loc = peek(p)->loc;
			c->keyset = parse_keyset(p);
			expect(p, P4_TOK_OP_COLON);
			if (!is_name(peek(p)->kind))
				fail_expected(p, "a state name");
			c->state = expect_name(p, NULL);
			expect(p, P4_TOK_OP_SEMICOLON);
			*tail = c;
			tail = &c->next;
			st->ncases++;
		}
		return;
	}
	if (!is_name(peek(p)->kind))
		fail_expected(p, "a state name or 'select' after 'transition'");
	st->trans = P4_TRANS_DIRECT;
	st->next_state = expect_name(p, NULL);
	expect(p, P4_TOK_OP_SEMICOLON);
}

static struct p4_state *
parse_state(struct parser *p, struct p4_annot *annots)
{
	struct p4_state *st = NEW(p, struct p4_state);
	struct p4_stmt **tail = &st->stmts;
	struct p4_loc lbrace;

	st->annots = annots;
	expect(p, P4_TOK_KW_STATE);
	st->name = expect_name(p, &st->loc);
	lbrace = expect(p, P4_TOK_OP_LBRACE).loc;
	for (;;) {
		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		if (at(p, P4_TOK_OP_RBRACE) || at(p, P4_TOK_KW_TRANSITION))
			break;
		*tail = parse_stmt(p);
		tail = &(*tail)->next;
		st->nstmts++;
	}
	if (at(p, P4_TOK_KW_TRANSITION))
		parse_transition(p, st);
	expect(p, P4_TOK_OP_RBRACE);
	return st;
}

/* parser/control: the name, type parameters and parameters are read. */
static void
parse_block_body(struct parser *p, struct p4_decl *d, bool in_control)
{
	struct p4_decl **ltail = &d->locals;
	struct p4_state **stail = &d->states;
	struct p4_loc lbrace = expect(p, P4_TOK_OP_LBRACE).loc;

	for (;;) {
		struct p4_annot *annots;
		struct p4_decl *l;

		if (at(p, P4_TOK_EOF))
			fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
		if (at(p, P4_TOK_OP_RBRACE)) {
			if (in_control)
				fail_at(p, -EINVAL, &peek(p)->loc,
				        "control '%s' has no apply block", d->name);
			break;
		}
		annots = parse_annotations(p);
		l = parse_local(p, annots, in_control);
		if (l != NULL) {
			*ltail = l;
			ltail = &l->next;
			d->nlocals++;
			continue;
		}
		if (at(p, P4_TOK_KW_APPLY)) {
			if (!in_control)
				fail_at(p, -EINVAL, &peek(p)->loc, "an apply block in a parser");
			next(p);
			d->body = parse_block(p);
			break;
		}
		if (in_control)
			fail_at(p, -EINVAL, &peek(p)->loc, "a parser state in a control");
		*stail = parse_state(p, annots);
		stail = &(*stail)->next;
		d->nstates++;
	}
	expect(p, P4_TOK_OP_RBRACE);
}

/* parser, control, package: a type declaration, or (not package) a block. */
static struct p4_decl *
parse_block_decl(struct parser *p, struct p4_annot *annots)
{
	struct p4_token kw = next(p);
	struct p4_decl *d = new_decl(p, P4_DECL_PARSER, &kw.loc, annots);
	bool is_control = kw.kind == P4_TOK_KW_CONTROL;

	d->name = expect_name(p, &d->loc);
	d->ntype_params = parse_type_params(p, &d->type_params);
	d->nparams = parse_params(p, &d->params);
	if (accept(p, P4_TOK_OP_SEMICOLON)) {
		d->kind = kw.kind == P4_TOK_KW_PARSER    ? P4_DECL_PARSER_TYPE
		          : kw.kind == P4_TOK_KW_CONTROL ? P4_DECL_CONTROL_TYPE
		                                         : P4_DECL_PACKAGE_TYPE;
		add_type_name(p, d->name);
		return d;
	}
	if (kw.kind == P4_TOK_KW_PACKAGE)
		expect(p, P4_TOK_OP_SEMICOLON);
	if (d->ntype_params > 0)
		fail_at(p, -ENOTSUP, &d->loc, "generic %s declarations are not supported", kw.text);
	d->kind = is_control ? P4_DECL_CONTROL : P4_DECL_PARSER;
	add_type_name(p, d->name);
	if (at(p, P4_TOK_OP_LPAREN))
		d->nctor_params = parse_params(p, &d->ctor_params);
	parse_block_body(p, d, is_control);
	return d;
}

/* extern: a function, or an object with methods and constructors. */
static struct p4_decl *
parse_extern(struct parser *p, struct p4_annot *annots)
{
	struct p4_loc kw = expect(p, P4_TOK_KW_EXTERN).loc;
	struct p4_decl *d;
	struct p4_loc lbrace;

	if (is_name(peek(p)->kind) &&
	    (la(p, 1)->kind == P4_TOK_OP_LBRACE || la(p, 1)->kind == P4_TOK_OP_LT) &&
	    !(la(p, 1)->kind == P4_TOK_OP_LT && is_type_name(p, peek(p)))) {
		/* an object: name [<T>] { ... }; Name<..> of a known type is a return type */
		struct p4_decl **tail;

		d = new_decl(p, P4_DECL_EXTERN_OBJ, &kw, annots);
		d->name = expect_name(p, &d->loc);
		add_type_name(p, d->name);
		d->ntype_params = parse_type_params(p, &d->type_params);
		if (!at(p, P4_TOK_OP_LBRACE)) { /* it was a generic function after all */
			unsupported(p, &d->loc,
			            "extern functions returning an undeclared generic type are not "
			            "supported");
		}
		lbrace = next(p).loc;
		tail = &d->locals;
		while (!accept(p, P4_TOK_OP_RBRACE)) {
			struct p4_annot *ma;
			struct p4_decl *m;

			if (at(p, P4_TOK_EOF))
				fail_at(p, -EINVAL, &lbrace, "unbalanced '{': no matching '}'");
			ma = parse_annotations(p);
			if (at(p, P4_TOK_KW_ABSTRACT))
				unsupported(p, &peek(p)->loc, "abstract methods are not supported");
			if (peek(p)->kind == P4_TOK_IDENT && strcmp(peek(p)->text, d->name) == 0 &&
			    la(p, 1)->kind == P4_TOK_OP_LPAREN) {
				m = new_decl(p, P4_DECL_CONSTRUCTOR, &peek(p)->loc, ma);
				m->name = expect_name(p, &m->loc);
			} else {
				m = new_decl(p, P4_DECL_METHOD, &peek(p)->loc, ma);
				m->type = parse_type(p);
				m->name = expect_name(p, &m->loc);
				m->ntype_params = parse_type_params(p, &m->type_params);
			}
			m->nparams = parse_params(p, &m->params);
			expect(p, P4_TOK_OP_SEMICOLON);
			*tail = m;
			tail = &m->next;
			d->nlocals++;
		}
		return d;
	}
	d = new_decl(p, P4_DECL_EXTERN_FUNC, &kw, annots);
	/* the return type may be a type parameter declared after the name */
	if (peek(p)->kind == P4_TOK_IDENT && is_name(la(p, 1)->kind) &&
	    la(p, 2)->kind == P4_TOK_OP_LT && !is_type_name(p, peek(p)))
		add_type_name(p, copy_str(p, peek(p)->text, peek(p)->len));
	d->type = parse_type(p);
	d->name = expect_name(p, &d->loc);
	d->ntype_params = parse_type_params(p, &d->type_params);
	d->nparams = parse_params(p, &d->params);
	expect(p, P4_TOK_OP_SEMICOLON);
	return d;
}

static struct p4_decl *
parse_top_decl(struct parser *p)
{
	struct p4_annot *annots = parse_annotations(p);
	struct p4_token t = *peek(p);
	struct p4_decl *d;

	switch (t.kind) {
	case P4_TOK_KW_CONST:
		next(p);
		return parse_var_decl(p, annots, true);
	case P4_TOK_KW_TYPEDEF:
	case P4_TOK_KW_TYPE:
		next(p);
		d = new_decl(p, t.kind == P4_TOK_KW_TYPEDEF ? P4_DECL_TYPEDEF : P4_DECL_TYPE,
		             &t.loc, annots);
		if (at(p, P4_TOK_KW_HEADER) || at(p, P4_TOK_KW_STRUCT) || at(p, P4_TOK_KW_ENUM))
			fail_at(p, -ENOTSUP, &peek(p)->loc,
			        "a %s declaration inside %s is not supported", peek(p)->text,
			        t.text);
		d->type = parse_type(p);
		d->name = expect_name(p, &d->loc);
		add_type_name(p, d->name);
		expect(p, P4_TOK_OP_SEMICOLON);
		return d;
	case P4_TOK_KW_ENUM:
		next(p);
		d = new_decl(p, P4_DECL_ENUM, &t.loc, annots);
		if (!at(p, P4_TOK_IDENT) || la(p, 1)->kind != P4_TOK_OP_LBRACE)
			d->type = parse_type(p);
		d->name = expect_name(p, &d->loc);
		add_type_name(p, d->name);
		d->nfields = parse_members(p, &d->fields, d->type != NULL);
		return d;
	case P4_TOK_KW_HEADER:
	case P4_TOK_KW_STRUCT:
		next(p);
		d = new_decl(p, t.kind == P4_TOK_KW_HEADER ? P4_DECL_HEADER : P4_DECL_STRUCT,
		             &t.loc, annots);
		d->name = expect_name(p, &d->loc);
		if (at(p, P4_TOK_OP_LT))
			fail_at(p, -ENOTSUP, &peek(p)->loc, "generic %ss are not supported",
			        t.text);
		add_type_name(p, d->name);
		d->nfields = parse_fields(p, &d->fields);
		return d;
	case P4_TOK_KW_HEADER_UNION:
		unsupported(p, &t.loc, "header unions are not supported");
	case P4_TOK_KW_VALUE_SET:
		unsupported(p, &t.loc, "value_set is not supported");
	case P4_TOK_KW_ERROR:
	case P4_TOK_KW_MATCH_KIND:
		next(p);
		d = new_decl(p, t.kind == P4_TOK_KW_ERROR ? P4_DECL_ERROR : P4_DECL_MATCH_KIND,
		             &t.loc, annots);
		d->name = t.kind == P4_TOK_KW_ERROR ? "error" : "match_kind";
		d->nfields = parse_members(p, &d->fields, false);
		return d;
	case P4_TOK_KW_EXTERN:
		return parse_extern(p, annots);
	case P4_TOK_KW_PARSER:
	case P4_TOK_KW_CONTROL:
	case P4_TOK_KW_PACKAGE:
		return parse_block_decl(p, annots);
	case P4_TOK_KW_ACTION:
		return parse_action(p, annots);
	case P4_TOK_KW_TABLE:
		fail_at(p, -EINVAL, &t.loc, "a table outside a control");
	case P4_TOK_KW_STATE:
		fail_at(p, -EINVAL, &t.loc, "a parser state outside a parser");
	default:
		break;
	}
	if (t.kind == P4_TOK_IDENT || starts_type(p, &t)) {
		struct p4_type *ty = parse_type(p);

		if (at(p, P4_TOK_OP_LPAREN))
			return finish_instance(p, ty, annots);
		expect_name(p, NULL);
		if (at(p, P4_TOK_OP_LPAREN) || at(p, P4_TOK_OP_LT))
			unsupported(p, &t.loc, "function declarations are not supported");
		unsupported(p, &t.loc, "variables outside a parser or control are not supported");
	}
	fail_expected(p, "a declaration");
}

struct p4_program *
p4_parse(struct p4_src *src, struct ft_error *err)
{
	struct parser p = {.src = src, .err = err};
	struct p4_program *volatile prog = NULL;
	struct p4_decl **tail;
	int rc;

	p.arena = calloc(1, sizeof(*p.arena));
	if (p.arena == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		return NULL;
	}
	rc = setjmp(p.fail);
	if (rc != 0) {
		arena_free(p.arena);
		return NULL;
	}
	prog = NEW(&p, struct p4_program);
	prog->arena = p.arena;
	tail = &prog->decls;
	while (!at(&p, P4_TOK_EOF)) {
		if (accept(&p, P4_TOK_OP_SEMICOLON))
			continue;
		*tail = parse_top_decl(&p);
		tail = &(*tail)->next;
		prog->ndecls++;
	}
	return prog;
}

void
p4_program_free(struct p4_program *prog)
{
	if (prog == NULL)
		return;
	arena_free(prog->arena); /* 'prog' itself lives in the arena */
}

const struct p4_decl *
p4_decl_find(const struct p4_decl *d, enum p4_decl_kind kind, const char *name)
{
	for (; d != NULL; d = d->next)
		if (d->kind == kind && d->name != NULL && strcmp(d->name, name) == 0)
			return d;
	return NULL;
}
