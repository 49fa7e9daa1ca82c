/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private interface of the P4_16 front end (p4/): not installed.
 *
 * The first layer turns source text into tokens. A 'struct p4_src' is one
 * translation unit: the main file, the files it includes and the built-in
 * <core.p4> and <pna.p4>. p4_next() hands out the tokens after
 * preprocessing: directives are obeyed, skipped groups vanish, macros are
 * expanded (an expanded token carries the location of the macro's use), and
 * the end of the unit is one P4_TOK_EOF token, returned again on every
 * later call. p4_peek() shows the next token without consuming it, so a
 * parser gets one token of lookahead.
 *
 * Ownership: the source object owns every string a token points to (names,
 * decoded string literals, file names); they stay valid until
 * p4_src_close(). Tokens themselves are plain values the caller copies.
 *
 * Errors: the first error stops the unit. p4_next() returns it (a negative
 * errno) and fills the 'struct ft_error' with kind FT_ERR_SOURCE, 'object'
 * set to the file name, 'index' to the line, and 'message' to
 * "file:line:col: what is wrong". Every later call returns the same error.
 * -EINVAL: invalid input; -ENOTSUP: a construct outside the supported
 * subset, named in the message; -ENOENT: an include file that cannot be
 * found; -ENOMEM: out of memory.
 *
 * Not thread-safe: one source object per thread.
 */
#ifndef FT_P4_PRIVATE_H
#define FT_P4_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtwin/error.h>

#define P4_LOG(level, ...) ft_log(FT_LOG_##level, "p4", __VA_ARGS__)

/* The widest integer literal the front end keeps, in bits. */
#define P4_INT_MAX_WIDTH 128

/* Include files may nest this deep (the main file is level 0). */
#define P4_INCLUDE_MAX_DEPTH 32

/*
 * Every token kind, once: X(NAME, spelling, class). The class is 'S'
 * (special: its text varies), 'K' (keyword), 'P' (punctuation). The
 * keywords are those of the P4_16 specification (1.2.5) and of p4c's lexer;
 * default_action, size and the other table properties are identifiers, as
 * in the specification.
 *
 * There is no '>>' token: two '>' that touch are two P4_OP_GT tokens, the
 * second with 'joined' set, so that the parser can read 'bit<8>>' as two
 * closing angles and 'a >> b' as a shift (p4c does the same). For the
 * same reason '>>=' is '>' followed by a joined '>='. The compound
 * assignments of P4_16 1.2.5 are tokens; whether they are accepted is the
 * parser's decision.
 */
#define P4_TOKEN_LIST(X)                                                                           \
	X(EOF, "end of file", 'S')                                                                 \
	X(IDENT, "identifier", 'S')                                                                \
	X(INT, "integer", 'S')                                                                     \
	X(STRING, "string", 'S')                                                                   \
	X(ANNOTATION, "annotation", 'S')                                                           \
	X(KW_ABSTRACT, "abstract", 'K')                                                            \
	X(KW_ACTION, "action", 'K')                                                                \
	X(KW_ACTIONS, "actions", 'K')                                                              \
	X(KW_APPLY, "apply", 'K')                                                                  \
	X(KW_BIT, "bit", 'K')                                                                      \
	X(KW_BOOL, "bool", 'K')                                                                    \
	X(KW_BREAK, "break", 'K')                                                                  \
	X(KW_CONST, "const", 'K')                                                                  \
	X(KW_CONTINUE, "continue", 'K')                                                            \
	X(KW_CONTROL, "control", 'K')                                                              \
	X(KW_DEFAULT, "default", 'K')                                                              \
	X(KW_ELSE, "else", 'K')                                                                    \
	X(KW_ENTRIES, "entries", 'K')                                                              \
	X(KW_ENUM, "enum", 'K')                                                                    \
	X(KW_ERROR, "error", 'K')                                                                  \
	X(KW_EXIT, "exit", 'K')                                                                    \
	X(KW_EXTERN, "extern", 'K')                                                                \
	X(KW_FALSE, "false", 'K')                                                                  \
	X(KW_FOR, "for", 'K')                                                                      \
	X(KW_HEADER, "header", 'K')                                                                \
	X(KW_HEADER_UNION, "header_union", 'K')                                                    \
	X(KW_IF, "if", 'K')                                                                        \
	X(KW_IN, "in", 'K')                                                                        \
	X(KW_INOUT, "inout", 'K')                                                                  \
	X(KW_INT, "int", 'K')                                                                      \
	X(KW_KEY, "key", 'K')                                                                      \
	X(KW_LIST, "list", 'K')                                                                    \
	X(KW_MATCH_KIND, "match_kind", 'K')                                                        \
	X(KW_OUT, "out", 'K')                                                                      \
	X(KW_PACKAGE, "package", 'K')                                                              \
	X(KW_PARSER, "parser", 'K')                                                                \
	X(KW_PRIORITY, "priority", 'K')                                                            \
	X(KW_RETURN, "return", 'K')                                                                \
	X(KW_SELECT, "select", 'K')                                                                \
	X(KW_STATE, "state", 'K')                                                                  \
	X(KW_STRING, "string", 'K')                                                                \
	X(KW_STRUCT, "struct", 'K')                                                                \
	X(KW_SWITCH, "switch", 'K')                                                                \
	X(KW_TABLE, "table", 'K')                                                                  \
	X(KW_THIS, "this", 'K')                                                                    \
	X(KW_TRANSITION, "transition", 'K')                                                        \
	X(KW_TRUE, "true", 'K')                                                                    \
	X(KW_TUPLE, "tuple", 'K')                                                                  \
	X(KW_TYPE, "type", 'K')                                                                    \
	X(KW_TYPEDEF, "typedef", 'K')                                                              \
	X(KW_VALUE_SET, "value_set", 'K')                                                          \
	X(KW_VARBIT, "varbit", 'K')                                                                \
	X(KW_VOID, "void", 'K')                                                                    \
	X(DONTCARE, "_", 'K')                                                                      \
	X(OP_MASK, "&&&", 'P')                                                                     \
	X(OP_SAT_ADD_ASSIGN, "|+|=", 'P')                                                          \
	X(OP_SAT_SUB_ASSIGN, "|-|=", 'P')                                                          \
	X(OP_SAT_ADD, "|+|", 'P')                                                                  \
	X(OP_SAT_SUB, "|-|", 'P')                                                                  \
	X(OP_SHL_ASSIGN, "<<=", 'P')                                                               \
	X(OP_RANGE, "..", 'P')                                                                     \
	X(OP_AND, "&&", 'P')                                                                       \
	X(OP_OR, "||", 'P')                                                                        \
	X(OP_EQ, "==", 'P')                                                                        \
	X(OP_NE, "!=", 'P')                                                                        \
	X(OP_LE, "<=", 'P')                                                                        \
	X(OP_GE, ">=", 'P')                                                                        \
	X(OP_SHL, "<<", 'P')                                                                       \
	X(OP_CONCAT, "++", 'P')                                                                    \
	X(OP_ADD_ASSIGN, "+=", 'P')                                                                \
	X(OP_SUB_ASSIGN, "-=", 'P')                                                                \
	X(OP_MUL_ASSIGN, "*=", 'P')                                                                \
	X(OP_DIV_ASSIGN, "/=", 'P')                                                                \
	X(OP_MOD_ASSIGN, "%=", 'P')                                                                \
	X(OP_AND_ASSIGN, "&=", 'P')                                                                \
	X(OP_OR_ASSIGN, "|=", 'P')                                                                 \
	X(OP_XOR_ASSIGN, "^=", 'P')                                                                \
	X(OP_LPAREN, "(", 'P')                                                                     \
	X(OP_RPAREN, ")", 'P')                                                                     \
	X(OP_LBRACKET, "[", 'P')                                                                   \
	X(OP_RBRACKET, "]", 'P')                                                                   \
	X(OP_LBRACE, "{", 'P')                                                                     \
	X(OP_RBRACE, "}", 'P')                                                                     \
	X(OP_LT, "<", 'P')                                                                         \
	X(OP_GT, ">", 'P')                                                                         \
	X(OP_PLUS, "+", 'P')                                                                       \
	X(OP_MINUS, "-", 'P')                                                                      \
	X(OP_STAR, "*", 'P')                                                                       \
	X(OP_SLASH, "/", 'P')                                                                      \
	X(OP_PERCENT, "%", 'P')                                                                    \
	X(OP_PIPE, "|", 'P')                                                                       \
	X(OP_AMP, "&", 'P')                                                                        \
	X(OP_CARET, "^", 'P')                                                                      \
	X(OP_TILDE, "~", 'P')                                                                      \
	X(OP_NOT, "!", 'P')                                                                        \
	X(OP_COLON, ":", 'P')                                                                      \
	X(OP_COMMA, ",", 'P')                                                                      \
	X(OP_QUESTION, "?", 'P')                                                                   \
	X(OP_DOT, ".", 'P')                                                                        \
	X(OP_ASSIGN, "=", 'P')                                                                     \
	X(OP_SEMICOLON, ";", 'P')

enum p4_tok {
#define P4_TOK_ENUM(name, spelling, cls) P4_TOK_##name,
	P4_TOKEN_LIST(P4_TOK_ENUM)
#undef P4_TOK_ENUM
	        P4_TOK__COUNT
};

/* A position in the source. 'file' is owned by the source object. */
struct p4_loc {
	const char *file; /* as it was opened or included: "dir/x.p4", "<core.p4>" */
	uint32_t line;    /* 1-based */
	uint32_t col;     /* 1-based, in bytes (a tab counts as one) */
};

/* The value of an integer literal. */
struct p4_int {
	uint64_t lo, hi; /* the magnitude: up to 128 bits; the sign is a separate '-' */
	uint16_t width;  /* bits from a width prefix (8w, 16s), or 0 if none */
	bool has_width;  /* a width prefix was given */
	bool is_signed;  /* 's' prefix */
	uint8_t base;    /* 2, 8, 10 or 16, as written */
};

struct p4_token {
	enum p4_tok kind;
	struct p4_loc loc; /* of the first character; for a macro expansion, of the macro's use */
	/*
	 * NUL-terminated, owned by the source object. IDENT: the name.
	 * ANNOTATION: the name after '@'. STRING: the decoded value (which
	 * may contain NUL: see 'len'). INT: the literal as written.
	 * Keywords and punctuation: their spelling.
	 */
	const char *text;
	uint32_t len;        /* bytes in 'text' */
	bool joined;         /* starts right where the previous token ended: no space or comment */
	struct p4_int value; /* INT only */
};

struct p4_src;

/*
 * Opens 'path' as a translation unit. 'include_dirs' is NULL or a
 * NULL-terminated list searched after the including file's directory; it
 * is copied. Returns NULL on failure, with 'err' filled (-ENOENT if 'path'
 * cannot be read). Caller owns the result; free with p4_src_close().
 */
struct p4_src *p4_src_open_file(const char *path, const char *const *include_dirs,
                                struct ft_error *err);

/*
 * Opens 'len' bytes of 'text' as a translation unit named 'name' (used in
 * locations; quoted includes are looked up in its directory). 'text' and
 * 'include_dirs' are copied. Caller owns the result; free with
 * p4_src_close().
 */
struct p4_src *p4_src_open_string(const char *name, const char *text, size_t len,
                                  const char *const *include_dirs, struct ft_error *err);

/* Frees 'src' and every string its tokens point to. p4_src_close(NULL) does nothing. */
void p4_src_close(struct p4_src *src);

/*
 * Stores the next token in '*out' and consumes it. Returns 0, or a negative
 * errno with 'err' filled as described at the top of this file. At the end,
 * '*out' is a P4_TOK_EOF token, on this and every later call.
 */
int p4_next(struct p4_src *src, struct p4_token *out, struct ft_error *err);

/* As p4_next(), but leaves the token to be returned by the next p4_next(). */
int p4_peek(struct p4_src *src, struct p4_token *out, struct ft_error *err);

/* "identifier", "action", "&&&": what a token kind is called in messages. */
const char *p4_tok_name(enum p4_tok kind);

/*
 * Built-in include files: the text of <core.p4> and <pna.p4> (builtin.c),
 * or NULL for any other name.
 */
const char *p4_builtin_text(const char *name);

/* --- Between source.c and lexer.c ------------------------------------------ */

/* Interned strings and other text that lives as long as the source object. */
struct p4_strtab {
	struct p4_chunk *chunks;
	const char **slots; /* open hash of interned strings */
	uint32_t nslots, nused;
};

/* Copies 'len' bytes of 's' (plus a NUL) into 'tab'. NULL when out of memory. */
const char *p4_strtab_copy(struct p4_strtab *tab, const char *s, size_t len);
/* As p4_strtab_copy(), but equal strings share one copy: compare them by pointer. */
const char *p4_strtab_intern(struct p4_strtab *tab, const char *s, size_t len);
void p4_strtab_free(struct p4_strtab *tab);

/* One file being read: the raw lexer's state. */
struct p4_file {
	const char *buf; /* the text; may hold NUL bytes; buf[len] == '\0' */
	char *owned;     /* the same, if it must be freed */
	size_t len, pos;
	uint32_t line, col;
	const char *name;   /* for locations (interned) */
	const char *dir;    /* directory for quoted includes (interned) */
	const char *id;     /* identity for include-once: real path or "<core.p4>" (interned) */
	size_t last_end;    /* where the previous token ended, for 'joined' */
	bool line_start;    /* nothing but space since the last newline */
	uint32_t cond_base; /* depth of the conditional stack when the file was entered */
};

/* Raw token kinds that only the preprocessor sees. */
#define P4_RAW_EOL  ((enum p4_tok)(P4_TOK__COUNT + 1)) /* end of a directive's line */
#define P4_RAW_HASH ((enum p4_tok)(P4_TOK__COUNT + 2)) /* '#' first on its line */

/*
 * Reads one raw token from 'f'. In a directive ('directive' true) the end of
 * the line is a P4_RAW_EOL token (the newline is not consumed) and '#' is
 * an error; otherwise a '#' first on its line is P4_RAW_HASH. Returns 0 or
 * a negative errno with 'err' filled.
 */
int p4_lex_raw(struct p4_file *f, struct p4_strtab *tab, struct p4_token *t, bool directive,
               struct ft_error *err);

/* Moves 'n' characters forward in 'f', counting lines and columns. */
void p4_file_advance(struct p4_file *f, size_t n);

/* Fills 'err' with "file:line:col: message" and returns 'code'. */
int p4_error_at(struct ft_error *err, int code, const struct p4_loc *loc, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

/* The location of the next character of 'f'. */
static inline struct p4_loc
p4_file_loc(const struct p4_file *f)
{
	struct p4_loc loc = {f->name, f->line, f->col};

	return loc;
}

#endif
