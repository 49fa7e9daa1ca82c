/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private interface of the P4_16 front end (p4/): the syntax tree. Not
 * installed.
 *
 * p4_parse() reads a translation unit (p4_private.h) and builds the tree of
 * the whole unit, built-in <core.p4> and <pna.p4> included; each node keeps
 * its location, so a declaration's 'loc.file' tells where it came from.
 * Nothing is resolved or checked here beyond the grammar: names stay
 * names, and the layers above (name resolution, type checking) give them a
 * meaning.
 *
 * Ownership: one arena inside 'struct p4_program' owns every node and every
 * string of the tree (names are copied out of the source object, so the
 * source may be closed as soon as p4_parse() returns). p4_program_free()
 * frees them all at once. Lists are singly linked through 'next', with
 * their length beside the head.
 *
 * Errors: the first syntax error stops the parse; p4_parse() returns NULL
 * with 'err' set to "file:line:col: message" (kind FT_ERR_SOURCE). -EINVAL:
 * not P4_16; -ENOTSUP: P4_16, but outside the subset, named in the message
 * ("header unions are not supported"); -ENOMEM: out of memory.
 *
 * Not thread-safe: one parse per source object.
 */
#ifndef FT_P4_AST_H
#define FT_P4_AST_H

#include <stdbool.h>
#include <stdint.h>

#include "p4_private.h"

struct p4_arena;

/* @name(body): 'body' holds the tokens between the parentheses, unparsed. */
struct p4_annot {
	struct p4_loc loc;
	const char *name;      /* without '@' */
	struct p4_token *body; /* strings owned by the arena */
	uint32_t nbody;
	bool has_body; /* '(' ... ')' was given, even if empty */
	struct p4_annot *next;
};

enum p4_type_kind {
	P4_TYPE_BIT, /* bit<N> */
	P4_TYPE_INT, /* int<N>, or int with no width */
	P4_TYPE_BOOL,
	P4_TYPE_ERROR,
	P4_TYPE_STRING,
	P4_TYPE_VOID,
	P4_TYPE_NAME,     /* a named type, maybe with type arguments */
	P4_TYPE_DONTCARE, /* _ */
};

struct p4_type {
	enum p4_type_kind kind;
	struct p4_loc loc;
	uint32_t width;             /* BIT, INT: N when written as a literal */
	struct p4_expr *width_expr; /* BIT, INT: N when written as '(' expression ')' */
	bool has_width;             /* INT: a width was given */
	const char *name;           /* NAME */
	struct p4_type *args;       /* NAME: type arguments */
	uint32_t nargs;
	struct p4_type *next; /* in a list of type arguments */
};

enum p4_expr_kind {
	P4_EXPR_INT,      /* 'ival' */
	P4_EXPR_BOOL,     /* 'bval' */
	P4_EXPR_STRING,   /* 'name': the value */
	P4_EXPR_NAME,     /* 'name'; the 'error' keyword is the name "error" */
	P4_EXPR_MEMBER,   /* a.name */
	P4_EXPR_INDEX,    /* a[b] */
	P4_EXPR_SLICE,    /* a[b:c] */
	P4_EXPR_CALL,     /* a<targs>(args) */
	P4_EXPR_CAST,     /* (type) a */
	P4_EXPR_UNARY,    /* op a: P4_TOK_OP_NOT, OP_TILDE, OP_MINUS */
	P4_EXPR_BINARY,   /* a op b; '>>' is P4_EXPR_SHR */
	P4_EXPR_SHR,      /* a >> b (two joined '>') */
	P4_EXPR_TERNARY,  /* a ? b : c */
	P4_EXPR_LIST,     /* { args } in an expression, ( args ) in a keyset */
	P4_EXPR_DEFAULT,  /* keyset 'default' */
	P4_EXPR_DONTCARE, /* keyset '_' */
	P4_EXPR_MASK,     /* keyset a &&& b */
	P4_EXPR_RANGE,    /* keyset a .. b */
};

struct p4_expr {
	enum p4_expr_kind kind;
	struct p4_loc loc;
	enum p4_tok op;     /* UNARY, BINARY: the operator's token */
	struct p4_int ival; /* INT */
	bool bval;          /* BOOL */
	const char *name;   /* NAME, MEMBER, STRING; INT: the literal as written */
	struct p4_expr *a, *b, *c;
	struct p4_type *type;  /* CAST */
	struct p4_type *targs; /* CALL: type arguments */
	uint32_t ntargs;
	struct p4_expr *args; /* CALL, LIST */
	uint32_t nargs;
	struct p4_expr *next; /* in an argument or list */
};

enum p4_dir { P4_DIR_NONE, P4_DIR_IN, P4_DIR_OUT, P4_DIR_INOUT };

struct p4_param {
	struct p4_loc loc;
	struct p4_annot *annots;
	enum p4_dir dir;
	struct p4_type *type;
	const char *name;
	struct p4_expr *init; /* default value, or NULL */
	struct p4_param *next;
};

/* A field of a header or struct, or a member of an enum, error or match_kind. */
struct p4_field {
	struct p4_loc loc;
	struct p4_annot *annots;
	struct p4_type *type; /* header, struct */
	const char *name;
	struct p4_expr *value; /* serializable enum member */
	struct p4_field *next;
};

/* A type parameter: <T, D>. */
struct p4_name {
	struct p4_loc loc;
	const char *name;
	struct p4_name *next;
};

enum p4_stmt_kind {
	P4_STMT_ASSIGN, /* lhs = rhs */
	P4_STMT_CALL,   /* rhs: a P4_EXPR_CALL */
	P4_STMT_IF,     /* if (cond) then [else els] */
	P4_STMT_SWITCH, /* switch (cond) { cases } */
	P4_STMT_BLOCK,  /* { stmts } */
	P4_STMT_RETURN, /* rhs or NULL */
	P4_STMT_EXIT,
	P4_STMT_DECL, /* a variable or constant: 'decl' */
	P4_STMT_EMPTY,
};

/* label: body; 'label' NULL for default; 'body' NULL for a fall-through label. */
struct p4_switch_case {
	struct p4_loc loc;
	const char *label;
	struct p4_stmt *body;
	struct p4_switch_case *next;
};

struct p4_stmt {
	enum p4_stmt_kind kind;
	struct p4_loc loc;
	struct p4_annot *annots;
	struct p4_expr *lhs, *rhs, *cond;
	struct p4_stmt *then, *els;
	struct p4_stmt *stmts; /* BLOCK */
	uint32_t nstmts;
	struct p4_switch_case *cases;
	uint32_t ncases;
	struct p4_decl *decl; /* DECL */
	struct p4_stmt *next;
};

/* keyset : state; 'keyset' is a P4_EXPR_LIST for a tuple. */
struct p4_select_case {
	struct p4_loc loc;
	struct p4_expr *keyset;
	const char *state;
	struct p4_select_case *next;
};

enum p4_trans_kind {
	P4_TRANS_NONE,   /* no transition statement */
	P4_TRANS_DIRECT, /* transition state; */
	P4_TRANS_SELECT, /* transition select (exprs) { cases } */
};

struct p4_state {
	struct p4_loc loc;
	struct p4_annot *annots;
	const char *name;
	struct p4_stmt *stmts;
	uint32_t nstmts;
	enum p4_trans_kind trans;
	struct p4_loc trans_loc;
	const char *next_state; /* DIRECT */
	struct p4_expr *select; /* SELECT: the expressions */
	uint32_t nselect;
	struct p4_select_case *cases;
	uint32_t ncases;
	struct p4_state *next;
};

/* key = { expr : match_kind; } */
struct p4_key {
	struct p4_loc loc;
	struct p4_expr *expr;
	const char *match_kind;
	struct p4_annot *annots;
	struct p4_key *next;
};

/* actions = { name(args); }: 'args' are the bound arguments, if any. */
struct p4_action_ref {
	struct p4_loc loc;
	struct p4_annot *annots;
	const char *name;
	struct p4_expr *args;
	uint32_t nargs;
	bool has_args;
	struct p4_action_ref *next;
};

/* keyset : action; 'action' is a P4_EXPR_CALL or a P4_EXPR_NAME. */
struct p4_entry {
	struct p4_loc loc;
	struct p4_annot *annots;
	struct p4_expr *keyset;
	struct p4_expr *action;
	struct p4_entry *next;
};

enum p4_prop_kind {
	P4_PROP_KEY,
	P4_PROP_ACTIONS,
	P4_PROP_DEFAULT_ACTION, /* 'value' */
	P4_PROP_ENTRIES,
	P4_PROP_SIZE,  /* 'value' */
	P4_PROP_OTHER, /* name = value; */
};

struct p4_prop {
	enum p4_prop_kind kind;
	struct p4_loc loc;
	struct p4_annot *annots;
	const char *name; /* as written: "key", "pna_idle_timeout" */
	bool is_const;
	struct p4_expr *value;
	struct p4_key *keys;
	uint32_t nkeys;
	struct p4_action_ref *actions;
	uint32_t nactions;
	struct p4_entry *entries;
	uint32_t nentries;
	struct p4_prop *next;
};

enum p4_decl_kind {
	P4_DECL_TYPEDEF,      /* typedef type name; */
	P4_DECL_TYPE,         /* type type name; */
	P4_DECL_CONST,        /* const type name = init; */
	P4_DECL_VAR,          /* type name [= init]; in a block */
	P4_DECL_ENUM,         /* 'type' set for a serializable enum; members in 'fields' */
	P4_DECL_HEADER,       /* fields */
	P4_DECL_STRUCT,       /* fields */
	P4_DECL_ERROR,        /* members in 'fields' */
	P4_DECL_MATCH_KIND,   /* members in 'fields' */
	P4_DECL_EXTERN_FUNC,  /* 'type' is the return type */
	P4_DECL_EXTERN_OBJ,   /* methods and constructors in 'locals' */
	P4_DECL_METHOD,       /* in an extern object */
	P4_DECL_CONSTRUCTOR,  /* in an extern object */
	P4_DECL_PARSER_TYPE,  /* parser name<T>(params); */
	P4_DECL_CONTROL_TYPE, /* control name<T>(params); */
	P4_DECL_PACKAGE_TYPE, /* package name<T>(params); */
	P4_DECL_PARSER,       /* locals, states */
	P4_DECL_CONTROL,      /* locals, body (the apply block) */
	P4_DECL_ACTION,       /* params, body */
	P4_DECL_TABLE,        /* props */
	P4_DECL_INSTANCE,     /* type(args) name; */
};

struct p4_decl {
	enum p4_decl_kind kind;
	struct p4_loc loc;
	struct p4_annot *annots;
	const char *name;
	struct p4_type *type;
	struct p4_expr *init;
	struct p4_name *type_params;
	uint32_t ntype_params;
	struct p4_param *params;
	uint32_t nparams;
	struct p4_param *ctor_params; /* PARSER, CONTROL: constructor parameters */
	uint32_t nctor_params;
	struct p4_field *fields;
	uint32_t nfields;
	struct p4_decl *locals;
	uint32_t nlocals;
	struct p4_state *states;
	uint32_t nstates;
	struct p4_stmt *body; /* a P4_STMT_BLOCK */
	struct p4_prop *props;
	uint32_t nprops;
	struct p4_expr *args; /* INSTANCE */
	uint32_t nargs;
	struct p4_decl *next;
};

struct p4_program {
	struct p4_arena *arena;
	struct p4_decl *decls;
	uint32_t ndecls;
};

/*
 * Parses the rest of 'src' into a program. Returns NULL on error with 'err'
 * filled ("file:line:col: message"). 'src' is borrowed; the result does
 * not point into it. Caller owns the result; free with p4_program_free().
 */
struct p4_program *p4_parse(struct p4_src *src, struct ft_error *err);

/* Frees 'prog' and every node of it. p4_program_free(NULL) does nothing. */
void p4_program_free(struct p4_program *prog);

/* The declaration called 'name' of kind 'kind' in the list 'd', or NULL. */
const struct p4_decl *p4_decl_find(const struct p4_decl *d, enum p4_decl_kind kind,
                                   const char *name);

#endif
