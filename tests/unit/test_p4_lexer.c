/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the P4_16 preprocessor and lexer (p4/source.c, p4/lexer.c,
 * p4/builtin.c through p4/p4_private.h).
 *
 * Every token kind is lexed from its spelling and compared; every literal
 * form is checked for value, width and signedness; every error is checked
 * for its code and its whole "file:line:col: message" text. Includes run
 * on real files in a temporary directory. The built-in <core.p4> and
 * <pna.p4> must lex cleanly and declare the names programs rely on, and a
 * PNA program written here is lexed and checked at its key points.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "p4_private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TOKS      4096

/* The tokens of the last source lexed, which stays open until the next one. */
static struct p4_token toks[MAX_TOKS];
static struct ft_error err;
static struct p4_src *cur;

static void
keep(struct p4_src *s)
{
	p4_src_close(cur);
	cur = s;
}

static int
teardown(void **state)
{
	(void)state;
	keep(NULL);
	return 0;
}

/* Lexes a whole source; returns the number of tokens before EOF, or the error. */
static int
lex_src(struct p4_src *s, uint32_t *n)
{
	int rc = 0;

	*n = 0;
	for (;;) {
		assert_true(*n < MAX_TOKS);
		rc = p4_next(s, &toks[*n], &err);
		if (rc < 0 || toks[*n].kind == P4_TOK_EOF)
			break;
		(*n)++;
	}
	return rc;
}

static int
lex_text(const char *text, uint32_t *n)
{
	struct p4_src *s;
	int rc;

	ft_error_clear(&err);
	s = p4_src_open_string("t.p4", text, strlen(text), NULL, &err);
	assert_non_null(s);
	rc = lex_src(s, n);
	if (rc < 0) { /* the error is sticky */
		struct p4_token t;
		struct ft_error again;

		assert_int_equal(p4_next(s, &t, &again), rc);
		assert_string_equal(again.message, err.message);
		assert_int_equal(p4_peek(s, &t, &again), rc);
	}
	keep(s);
	return rc;
}

/* The texts of all tokens, separated by spaces. */
static const char *
texts(uint32_t n)
{
	static char buf[8192];
	size_t len = 0;

	buf[0] = '\0';
	for (uint32_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "",
		                        toks[i].text);
	return buf;
}

static const char *
lex_ok(const char *text, uint32_t *n)
{
	int rc = lex_text(text, n);

	if (rc < 0)
		fail_msg("'%s': %d %s", text, rc, err.message);
	return texts(*n);
}

static void
expect_error(const char *text, int code, const char *message)
{
	uint32_t n;
	int rc = lex_text(text, &n);

	if (rc != code || strcmp(err.message, message) != 0)
		fail_msg("'%s': got %d '%s', want %d '%s'", text, rc, err.message, code, message);
	assert_int_equal(err.kind, FT_ERR_SOURCE);
	assert_int_equal(err.code, code);
}

/* --- Token kinds ------------------------------------------------------------ */

static void
test_keywords(void **state)
{
	char text[4096] = "";
	uint32_t n, count = 0;

	(void)state;
	for (int k = P4_TOK_KW_ABSTRACT; k <= P4_TOK_DONTCARE; k++) {
		strcat(text, p4_tok_name((enum p4_tok)k));
		strcat(text, "\n");
	}
	lex_ok(text, &n);
	for (int k = P4_TOK_KW_ABSTRACT; k <= P4_TOK_DONTCARE; k++, count++) {
		assert_int_equal(toks[count].kind, k);
		assert_string_equal(toks[count].text, p4_tok_name((enum p4_tok)k));
		assert_int_equal(toks[count].loc.line, count + 1);
		assert_int_equal(toks[count].loc.col, 1);
	}
	assert_int_equal(n, count);
	assert_true(count >= 48);
	/* Table properties and near-keywords are identifiers. */
	lex_ok("default_action size actionsx _x x_ verify packet_in", &n);
	assert_int_equal(n, 7);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(toks[i].kind, P4_TOK_IDENT);
	assert_string_equal(toks[4].text, "x_");
	/* Equal names are one string. */
	lex_ok("abc abc", &n);
	assert_ptr_equal(toks[0].text, toks[1].text);
}

static void
test_punctuation(void **state)
{
	char text[4096] = "";
	uint32_t n, count = 0;

	(void)state;
	for (int k = P4_TOK_OP_MASK; k < P4_TOK__COUNT; k++) {
		strcat(text, p4_tok_name((enum p4_tok)k));
		strcat(text, " ");
	}
	lex_ok(text, &n);
	for (int k = P4_TOK_OP_MASK; k < P4_TOK__COUNT; k++, count++) {
		assert_int_equal(toks[count].kind, k);
		assert_string_equal(toks[count].text, p4_tok_name((enum p4_tok)k));
		assert_false(toks[count].joined);
	}
	assert_int_equal(n, count);

	/* Longest match, and '>' never combines. */
	assert_string_equal(lex_ok("a&&&b&&c|+|d|-|e++f..g", &n),
	                    "a &&& b && c |+| d |-| e ++ f .. g");
	assert_string_equal(lex_ok("bit<bit<8>> x>>=2 a<<=b<=c", &n),
	                    "bit < bit < 8 > > x > >= 2 a <<= b <= c");
	assert_int_equal(toks[5].kind, P4_TOK_OP_GT);
	assert_true(toks[5].joined);
	assert_int_equal(toks[6].kind, P4_TOK_OP_GT);
	assert_true(toks[6].joined);
	assert_false(toks[7].joined);
	assert_int_equal(toks[9].kind, P4_TOK_OP_GE);
	assert_true(toks[9].joined);
	lex_ok("a > /**/> b", &n);
	assert_int_equal(toks[2].kind, P4_TOK_OP_GT);
	assert_false(toks[2].joined);
	/* Comments vanish. */
	assert_string_equal(lex_ok("a // b c\n/* d\n e */ f/**/g", &n), "a f g");
	assert_int_equal(toks[1].loc.line, 3);
	assert_int_equal(toks[1].loc.col, 7);
	assert_false(toks[2].joined);
}

static void
test_annotations_and_strings(void **state)
{
	uint32_t n;

	(void)state;
	lex_ok("@name(\"x.y\") @priority @hidden[a] _", &n);
	assert_int_equal(n, 10);
	assert_int_equal(toks[0].kind, P4_TOK_ANNOTATION);
	assert_string_equal(toks[0].text, "name");
	assert_int_equal(toks[1].kind, P4_TOK_OP_LPAREN);
	assert_true(toks[1].joined);
	assert_int_equal(toks[2].kind, P4_TOK_STRING);
	assert_string_equal(toks[2].text, "x.y");
	assert_int_equal(toks[4].kind, P4_TOK_ANNOTATION);
	assert_string_equal(toks[4].text, "priority");
	assert_int_equal(toks[5].kind, P4_TOK_ANNOTATION);
	assert_int_equal(toks[6].kind, P4_TOK_OP_LBRACKET);
	assert_int_equal(toks[9].kind, P4_TOK_DONTCARE);

	lex_ok("\"a\\\"b\\\\c\\nd\\te\\rf\\0g\" \"\"", &n);
	assert_int_equal(n, 2);
	assert_int_equal(toks[0].len, 13);
	assert_memory_equal(toks[0].text, "a\"b\\c\nd\te\rf\0g", 13);
	assert_int_equal(toks[1].kind, P4_TOK_STRING);
	assert_int_equal(toks[1].len, 0);
}

/* --- Integer literals --------------------------------------------------------- */

static const struct {
	const char *text;
	uint64_t lo, hi;
	uint16_t width;
	bool is_signed;
	uint8_t base;
} ints[] = {
        {"0", 0, 0, 0, false, 10},
        {"42", 42, 0, 0, false, 10},
        {"1_000_000", 1000000, 0, 0, false, 10},
        {"0x10", 16, 0, 0, false, 16},
        {"0XdEaD", 0xdead, 0, 0, false, 16},
        {"0b101", 5, 0, 0, false, 2},
        {"0B1_0", 2, 0, 0, false, 2},
        {"0o17", 15, 0, 0, false, 8},
        {"0O7", 7, 0, 0, false, 8},
        {"0d99", 99, 0, 0, false, 10},
        {"0D1_0", 10, 0, 0, false, 10},
        {"8w255", 255, 0, 8, false, 10},
        {"8s127", 127, 0, 8, true, 10},
        {"32w0xdead_beef", 0xdeadbeef, 0, 32, false, 16},
        {"16w0b1", 1, 0, 16, false, 2},
        {"12w0o7777", 07777, 0, 12, false, 8},
        {"4s0d7", 7, 0, 4, true, 10},
        {"1w1", 1, 0, 1, false, 10},
        {"2s1", 1, 0, 2, true, 10},
        {"48w0xffff_ffff_ffff", 0xffffffffffffULL, 0, 48, false, 16},
        {"64s0x7fffffffffffffff", 0x7fffffffffffffffULL, 0, 64, true, 16},
        {"0x1_0000_0000_0000_0000", 0, 1, 0, false, 16},
        {"0xffffffffffffffffffffffffffffffff", UINT64_MAX, UINT64_MAX, 0, false, 16},
        {"128w0xffffffffffffffffffffffffffffffff", UINT64_MAX, UINT64_MAX, 128, false, 16},
        {"128s0x7fffffffffffffffffffffffffffffff", UINT64_MAX, INT64_MAX, 128, true, 16},
        {"340282366920938463463374607431768211455", UINT64_MAX, UINT64_MAX, 0, false, 10},
};

static void
test_int_literals(void **state)
{
	uint32_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ints); i++) {
		lex_ok(ints[i].text, &n);
		assert_int_equal(n, 1);
		assert_int_equal(toks[0].kind, P4_TOK_INT);
		assert_string_equal(toks[0].text, ints[i].text);
		if (toks[0].value.lo != ints[i].lo || toks[0].value.hi != ints[i].hi)
			fail_msg("%s: got %#llx:%#llx", ints[i].text,
			         (unsigned long long)toks[0].value.hi,
			         (unsigned long long)toks[0].value.lo);
		assert_int_equal(toks[0].value.width, ints[i].width);
		assert_int_equal(toks[0].value.has_width, ints[i].width != 0);
		assert_int_equal(toks[0].value.is_signed, ints[i].is_signed);
		assert_int_equal(toks[0].value.base, ints[i].base);
	}
	/* The sign is a token of its own; '..' ends a literal. */
	assert_string_equal(lex_ok("-8s5 1..0x5 8 w 5", &n), "- 8s5 1 .. 0x5 8 w 5");
	assert_int_equal(toks[0].kind, P4_TOK_OP_MINUS);
	assert_int_equal(toks[5].kind, P4_TOK_INT);
	assert_int_equal(toks[6].kind, P4_TOK_IDENT);
}

/* --- Errors ------------------------------------------------------------------- */

static const struct {
	const char *text;
	int code;
	const char *message;
} errors[] = {
        {"a /* x\n", -EINVAL, "t.p4:1:3: unterminated comment"},
        {"a\n  \"abc\nd\"", -EINVAL, "t.p4:2:3: unterminated string literal"},
        {"\"abc", -EINVAL, "t.p4:1:1: unterminated string literal"},
        {"x \"a\\qb\"", -EINVAL, "t.p4:1:5: unknown escape sequence '\\q' in string literal"},
        {"0x1g", -EINVAL, "t.p4:1:4: invalid digit 'g' in hexadecimal integer literal"},
        {"0b102", -EINVAL, "t.p4:1:5: invalid digit '2' in binary integer literal"},
        {"0o8", -EINVAL, "t.p4:1:3: invalid digit '8' in octal integer literal"},
        {" 12a", -EINVAL, "t.p4:1:4: invalid digit 'a' in decimal integer literal"},
        {"0x", -EINVAL, "t.p4:1:1: integer literal '0x' has no digits"},
        {"8w0x_", -EINVAL, "t.p4:1:1: integer literal '8w0x_' has no digits"},
        {"x 129w1", -ENOTSUP, "t.p4:1:3: integer width 129 is larger than the supported 128 bits"},
        {"0w1", -EINVAL, "t.p4:1:1: integer literal width must be at least 1"},
        {"8w256", -EINVAL, "t.p4:1:1: integer literal '8w256' does not fit in bit<8>"},
        {"8s128", -EINVAL, "t.p4:1:1: integer literal '8s128' does not fit in int<8>"},
        {"1s1", -EINVAL, "t.p4:1:1: integer literal '1s1' does not fit in int<1>"},
        {"0x1_0000_0000_0000_0000_0000_0000_0000_0000", -ENOTSUP,
         "t.p4:1:1: integer literal does not fit in 128 bits"},
        {"a $", -EINVAL, "t.p4:1:3: unexpected character '$'"},
        {"a\n\x01", -EINVAL, "t.p4:2:1: unexpected character '\\x01'"},
        {"a # b", -EINVAL, "t.p4:1:3: unexpected character '#'"},
        {"@ x", -EINVAL, "t.p4:1:1: expected an annotation name after '@'"},
        {"#foo", -EINVAL, "t.p4:1:1: unknown preprocessor directive '#foo'"},
        {"x\n  # 5 \"f\"", -ENOTSUP, "t.p4:2:3: line markers ('# NUMBER') are not supported"},
        {"#pragma once", -ENOTSUP, "t.p4:1:1: #pragma is not supported"},
        {"#line 5", -ENOTSUP, "t.p4:1:1: #line is not supported"},
        {"#warning w", -ENOTSUP, "t.p4:1:1: #warning is not supported"},
        {"#define F(x) x", -ENOTSUP, "t.p4:1:9: function-like macros are not supported"},
        {"#define", -EINVAL, "t.p4:1:1: #define without a macro name"},
        {"#define 1 2", -EINVAL, "t.p4:1:9: #define needs a macro name, not '1'"},
        {"#define A 1\n#define A 2", -EINVAL,
         "t.p4:2:9: macro 'A' redefined differently (first defined at t.p4:1:9)"},
        {"#include \"nope.p4\"", -ENOENT, "t.p4:1:1: cannot find include file \"nope.p4\""},
        {"\n#include <nope.p4>", -ENOENT, "t.p4:2:1: cannot find include file <nope.p4>"},
        {"#include NAME", -ENOTSUP, "t.p4:1:10: computed #include is not supported"},
        {"#include 5", -EINVAL, "t.p4:1:10: #include expects \"FILE\" or <FILE>"},
        {"#include <core.p4", -EINVAL, "t.p4:1:10: missing terminating > in #include"},
        {"#include <core.p4> x", -EINVAL, "t.p4:1:20: extra tokens after #include"},
        {"x\n#error stop  here \ny", -EINVAL, "t.p4:2:1: #error stop  here"},
        {"#error", -EINVAL, "t.p4:1:1: #error"},
        {"  #endif", -EINVAL, "t.p4:1:3: #endif without #if"},
        {"#else", -EINVAL, "t.p4:1:1: #else without #if"},
        {"#elif 1", -EINVAL, "t.p4:1:1: #elif without #if"},
        {"#ifdef X\n#else\n#else\n#endif", -EINVAL, "t.p4:3:1: #else after #else"},
        {"#ifdef X\n#else\n#elif 1\n#endif", -EINVAL, "t.p4:3:1: #elif after #else"},
        {"x\n#ifndef X\ny\n", -EINVAL, "t.p4:2:1: #ifndef without #endif"},
        {"#if 0\n#ifdef Y\n#endif\n", -EINVAL, "t.p4:1:1: #if without #endif"},
        {"#ifdef\n#endif", -EINVAL, "t.p4:1:1: #ifdef without a macro name"},
        {"#ifdef X Y\n#endif", -EINVAL, "t.p4:1:10: extra tokens after #ifdef"},
        {"#if 1\n#endif x", -EINVAL, "t.p4:2:8: extra tokens after #endif"},
        {"#if 1/0\n#endif", -EINVAL, "t.p4:1:6: division by zero in #if"},
        {"#if\n#endif", -EINVAL, "t.p4:1:1: #if with no expression"},
        {"#if (1\n#endif", -EINVAL, "t.p4:1:1: missing ')' in #if expression"},
        {"#if 1 +\n#endif", -EINVAL, "t.p4:1:1: missing expression in #if"},
        {"#if 1 2\n#endif", -EINVAL, "t.p4:1:7: unexpected '2' in #if expression"},
        {"#if \"s\"\n#endif", -EINVAL, "t.p4:1:5: unexpected 's' in #if expression"},
        {"#if 1 ? 2\n#endif", -EINVAL, "t.p4:1:1: missing ':' in #if expression"},
        {"#if defined\n#endif", -EINVAL, "t.p4:1:5: 'defined' needs a macro name"},
        {"#if defined(X\n#endif", -EINVAL, "t.p4:1:5: missing ')' after 'defined'"},
        {"#if 99999999999999999999\n#endif", -ENOTSUP,
         "t.p4:1:5: integer '99999999999999999999' is too large for #if"},
        {"#if 0\n/* x\n", -EINVAL, "t.p4:2:1: unterminated comment"},
        {"#define B 0x1g\n", -EINVAL,
         "t.p4:1:14: invalid digit 'g' in hexadecimal integer literal"},
};

static void
test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(errors); i++)
		expect_error(errors[i].text, errors[i].code, errors[i].message);
	/* The message is the whole story when err is NULL too: no crash. */
	{
		struct p4_src *s = p4_src_open_string("t.p4", "$", 1, NULL, NULL);
		struct p4_token t;

		assert_non_null(s);
		assert_int_equal(p4_next(s, &t, NULL), -EINVAL);
		p4_src_close(s);
	}
	p4_src_close(NULL);
}

/* --- Macros and conditionals --------------------------------------------------- */

static void
test_define(void **state)
{
	uint32_t n;

	(void)state;
	assert_string_equal(lex_ok("#define W 8\n"
	                           "#define T bit<W>\n"
	                           "  T x = W;\n"
	                           "#undef W\n"
	                           "W",
	                           &n),
	                    "bit < 8 > x = 8 ; W");
	for (uint32_t i = 0; i < 4; i++) { /* the use's location */
		assert_int_equal(toks[i].loc.line, 3);
		assert_int_equal(toks[i].loc.col, 3);
		assert_string_equal(toks[i].loc.file, "t.p4");
	}
	assert_int_equal(toks[2].kind, P4_TOK_INT);
	assert_int_equal(toks[2].value.lo, 8);
	assert_int_equal(toks[4].loc.col, 5);
	assert_int_equal(toks[6].loc.col, 9);
	assert_int_equal(toks[8].kind, P4_TOK_IDENT);
	assert_int_equal(toks[8].loc.line, 5);

	/* A macro is not expanded in its own expansion; mutual recursion stops too. */
	assert_string_equal(lex_ok("#define A A + 1\n#define B C\n#define C B\nA B C", &n),
	                    "A + 1 B C");
	/* An identical redefinition is fine; an empty macro expands to nothing. */
	assert_string_equal(lex_ok("#define A (1)\n#define A (1)\n#define E\nA E E x", &n),
	                    "( 1 ) x");
	/* Keywords in bodies, and a backslash continues a directive. */
	assert_string_equal(lex_ok("#define H header \\\n h_t\nH {}", &n), "header h_t { }");
	assert_int_equal(toks[0].kind, P4_TOK_KW_HEADER);
	/* The joined flag of an expansion is that of the use. */
	lex_ok("#define G >\nbit<bit<8>G", &n);
	assert_int_equal(toks[5].kind, P4_TOK_OP_GT);
	assert_true(toks[6].joined);
}

static void
test_conditionals(void **state)
{
	uint32_t n;

	(void)state;
	assert_string_equal(lex_ok("#define X\n"
	                           "#ifdef X\n"
	                           " a\n"
	                           "# ifndef X\n"
	                           "  b\n"
	                           "# else\n"
	                           "  c\n"
	                           "#  ifdef Y\n"
	                           "  d\n"
	                           "#  else\n"
	                           "  e\n"
	                           "#  endif\n"
	                           "# endif\n"
	                           "#else\n"
	                           " f\n"
	                           "#endif\n"
	                           "#ifndef Y\n"
	                           "g\n"
	                           "#endif\n",
	                           &n),
	                    "a c e g");
	assert_int_equal(toks[3].loc.line, 18);

	/* #if and #elif with expressions, defined, macros and C's rules. */
	assert_string_equal(
	        lex_ok("#define V 3\n"
	               "#define W (V + 1)\n"
	               "#if V == 3 && defined(V) && !defined W2\n"
	               "a\n"
	               "#endif\n"
	               "#if W * 2 == 8 && (1 << 4) == 16 && (256 >> 4) == 16 && -1 < 0\n"
	               "b\n"
	               "#elif 1\n"
	               "no\n"
	               "#endif\n"
	               "#if UNDEFINED\n"
	               "no\n"
	               "#elif V > 5\n"
	               "no\n"
	               "#elif V % 2 == 1 ? 0x10 & 0b10000 : 0\n"
	               "c\n"
	               "#elif 1\n"
	               "no\n"
	               "#else\n"
	               "no\n"
	               "#endif\n"
	               "#if 0 && 1 / 0 || 1 || 1 / 0\n"
	               "d\n"
	               "#endif\n"
	               "#if (7 ^ 2) == 5 && (4 | 1) == 5 && ~0 == -1 && 7 / 2 == 3 && 1 != 2\n"
	               "e\n"
	               "#endif\n"
	               "#if 2 >= 2 && 2 <= 2 && 1 > 0 && 0 ? 0 : 1\n"
	               "f\n"
	               "#endif\n",
	               &n),
	        "a b c d e f");

	/* Nothing in a skipped group is lexed or obeyed, but comments are. */
	assert_string_equal(lex_ok("#if 0\n"
	                           "$ 0x1g \"abc\n"
	                           "#foo\n"
	                           "#include \"none.p4\"\n"
	                           "#error no\n"
	                           "/* #endif */\n"
	                           "#if 1/0\n"
	                           "#else\n"
	                           "#endif\n"
	                           "#elif 0 && 1/0\n"
	                           "#else\n"
	                           "ok\n"
	                           "#endif\n",
	                           &n),
	                    "ok");
	assert_int_equal(toks[0].loc.line, 12);
}

/* --- Includes ------------------------------------------------------------------ */

static char tmpdir[64];

static void
write_file(const char *rel, const char *text)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
lex_file(const char *rel, const char *const *dirs, uint32_t *n)
{
	char path[256];
	struct p4_src *s;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, rel);
	ft_error_clear(&err);
	s = p4_src_open_file(path, dirs, &err);
	assert_non_null(s);
	rc = lex_src(s, n);
	keep(s);
	return rc;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void
test_includes(void **state)
{
	char sub[128], lib[128], want[512];
	const char *dirs[] = {lib, NULL};
	uint32_t n;

	(void)state;
	strcpy(tmpdir, "/tmp/test_p4_lexer.XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	snprintf(lib, sizeof(lib), "%s/lib", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(lib, 0700), 0);

	/* Relative to the including file; include-once; include dirs. */
	write_file("a.p4", "#include \"sub/b.p4\"\n#include \"c.p4\"\n#include <d.p4>\na_tok\n");
	write_file("sub/b.p4", "#include \"../c.p4\"\n\n  b_tok\n");
	write_file("c.p4", "#define C_DEFINED 1\nc_tok\n");
	write_file("lib/d.p4", "#include \"../c.p4\"\n#if C_DEFINED\nd_tok\n#endif\n");
	if (lex_file("a.p4", dirs, &n) != 0)
		fail_msg("%s", err.message);
	assert_string_equal(texts(n), "c_tok b_tok d_tok a_tok");
	assert_true(ends_with(toks[0].loc.file, "/sub/../c.p4"));
	assert_true(ends_with(toks[1].loc.file, "/sub/b.p4"));
	assert_int_equal(toks[1].loc.line, 3);
	assert_int_equal(toks[1].loc.col, 3);
	assert_true(ends_with(toks[2].loc.file, "/lib/d.p4"));
	assert_int_equal(toks[3].loc.line, 4);
	/* Without the include directory, <d.p4> is not found. */
	assert_int_equal(lex_file("a.p4", NULL, &n), -ENOENT);
	snprintf(want, sizeof(want), "%s/a.p4:3:1: cannot find include file <d.p4>", tmpdir);
	assert_string_equal(err.message, want);

	/* A cycle. */
	write_file("x.p4", "#include \"y.p4\"\nx\n");
	write_file("y.p4", "y\n#include \"x.p4\"\n");
	assert_int_equal(lex_file("x.p4", NULL, &n), -EINVAL);
	snprintf(want, sizeof(want),
	         "%s/y.p4:2:1: #include cycle: \"x.p4\" is already being included", tmpdir);
	assert_string_equal(err.message, want);
	write_file("self.p4", "#include \"self.p4\"\n");
	assert_int_equal(lex_file("self.p4", NULL, &n), -EINVAL);

	/* 32 levels of nesting are fine, 33 are not. */
	for (int i = 0; i <= 33; i++) {
		char name[32], text[64];

		snprintf(name, sizeof(name), "n%d.p4", i);
		if (i < 33)
			snprintf(text, sizeof(text), "#include \"n%d.p4\"\nt%d\n", i + 1, i);
		else
			snprintf(text, sizeof(text), "t%d\n", i);
		write_file(name, text);
	}
	assert_int_equal(lex_file("n1.p4", NULL, &n), 0);
	assert_int_equal(n, 33);
	assert_string_equal(toks[0].text, "t33");
	assert_int_equal(lex_file("n0.p4", NULL, &n), -EINVAL);
	snprintf(want, sizeof(want), "%s/n32.p4:1:1: #include nested more than 32 levels deep",
	         tmpdir);
	assert_string_equal(err.message, want);

	/* Conditionals do not cross files. */
	write_file("open.p4", "#ifdef X\n");
	write_file("inc_open.p4", "#include \"open.p4\"\n#endif\n");
	assert_int_equal(lex_file("inc_open.p4", NULL, &n), -EINVAL);
	snprintf(want, sizeof(want), "%s/open.p4:1:1: #ifdef without #endif", tmpdir);
	assert_string_equal(err.message, want);
	write_file("close.p4", "#endif\n");
	write_file("inc_close.p4", "#ifdef X\n#include \"close.p4\"\n#endif\n");
	assert_int_equal(lex_file("inc_close.p4", NULL, &n), 0);
	write_file("inc_close2.p4", "#ifndef X\n#include \"close.p4\"\n#endif\n");
	assert_int_equal(lex_file("inc_close2.p4", NULL, &n), -EINVAL);
	snprintf(want, sizeof(want), "%s/close.p4:1:1: #endif without #if", tmpdir);
	assert_string_equal(err.message, want);

	/* A main file that cannot be read. */
	ft_error_clear(&err);
	assert_null(p4_src_open_file("/nonexistent/x.p4", NULL, &err));
	assert_int_equal(err.code, -ENOENT);
	assert_string_equal(err.message,
	                    "/nonexistent/x.p4: cannot read: No such file or directory");

	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		assert_int_equal(system(cmd), 0);
	}
}

/* --- Built-ins ------------------------------------------------------------------ */

static uint32_t
count_ident(uint32_t n, const char *name)
{
	uint32_t c = 0;

	for (uint32_t i = 0; i < n; i++)
		if (strcmp(toks[i].text, name) == 0)
			c++;
	return c;
}

static void
test_builtins(void **state)
{
	static const char *const names[] = {
	        "PNA_NIC",
	        "MainParserT",
	        "MainControlT",
	        "MainDeparserT",
	        "main_parser",
	        "main_control",
	        "main_deparser",
	        "pna_main_parser_input_metadata_t",
	        "pna_main_input_metadata_t",
	        "pna_main_output_metadata_t",
	        "PortId_t",
	        "send_to_port",
	        "drop_packet",
	        "mirror_packet",
	        "add_entry",
	        "Hash",
	        "InternetChecksum",
	        "Counter",
	        "DirectCounter",
	        "Digest",
	        "PNA_IdleTimeout_t",
	        "NO_TIMEOUT",
	        "NOTIFY_CONTROL",
	        "PNA_Direction_t",
	        "NET_TO_HOST",
	        "input_port",
	        "packet_in",
	        "packet_out",
	        "extract",
	        "emit",
	        "NoAction",
	        "verify",
	        "exact",
	        "ternary",
	        "lpm",
	        "NoError",
	        "PacketTooShort",
	};
	uint32_t n;

	(void)state;
	assert_null(p4_builtin_text("v1model.p4"));
	assert_non_null(p4_builtin_text("core.p4"));
	lex_ok("#include <core.p4>\n#include <pna.p4>\n#include \"core.p4\"\nend", &n);
	assert_true(n > 500);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (count_ident(n, names[i]) == 0)
			fail_msg("%s is not declared", names[i]);
	assert_int_equal(count_ident(n, "NoAction"), 1); /* core.p4 read once */
	assert_int_equal(count_ident(n, "PNA_NIC"), 1);
	assert_string_equal(toks[0].loc.file, "<core.p4>");
	assert_string_equal(toks[n - 2].loc.file, "<pna.p4>");
	assert_string_equal(toks[n - 1].text, "end");
	assert_int_equal(toks[n - 1].loc.line, 4);
	/* pna.p4 alone pulls in core.p4. */
	lex_ok("#include <pna.p4>\n", &n);
	assert_int_equal(count_ident(n, "packet_in"), 2);
	assert_int_equal(count_ident(n, "PNA_NIC"), 1);
}

/* --- A program -------------------------------------------------------------------- */

static const char program[] =
        "#include <core.p4>\n"
        "#include <pna.p4>\n"
        "\n"
        "#define VXLAN_PORT 16w4789\n"
        "typedef bit<48> mac_t;\n"
        "\n"
        "header ethernet_t {\n"
        "    mac_t dst;\n"
        "    mac_t src;\n"
        "    bit<16> ether_type;\n"
        "}\n"
        "header udp_t { bit<16> sport; bit<16> dport; bit<16> len; bit<16> csum; }\n"
        "header vxlan_t { bit<8> flags; bit<24> rsvd; bit<24> vni; bit<8> rsvd2; }\n"
        "struct headers_t { ethernet_t eth; udp_t udp; vxlan_t vxlan; }\n"
        "struct meta_t { bit<24> vni; }\n"
        "\n"
        "parser MyParser(packet_in pkt, out headers_t hdr, inout meta_t meta,\n"
        "                in pna_main_parser_input_metadata_t istd) {\n"
        "    state start {\n"
        "        pkt.extract(hdr.eth);\n"
        "        transition select(hdr.eth.ether_type) {\n"
        "            0x0800 &&& 0xffff: parse_udp;\n"
        "            default: accept;\n"
        "        }\n"
        "    }\n"
        "    state parse_udp {\n"
        "        pkt.extract(hdr.udp);\n"
        "        transition select(hdr.udp.dport) {\n"
        "            VXLAN_PORT: parse_vxlan;\n"
        "            _: accept;\n"
        "        }\n"
        "    }\n"
        "    state parse_vxlan { pkt.extract(hdr.vxlan); transition accept; }\n"
        "}\n"
        "\n"
        "control MyControl(inout headers_t hdr, inout meta_t meta,\n"
        "                  in pna_main_input_metadata_t istd,\n"
        "                  inout pna_main_output_metadata_t ostd) {\n"
        "    action fwd(PortId_t port) { send_to_port(port); }\n"
        "    action drop() { drop_packet(); }\n"
        "    @name(\"fdb\")\n"
        "    table fdb {\n"
        "        key = { meta.vni: exact; hdr.eth.dst: exact @name(\"dmac\"); }\n"
        "        actions = { fwd; drop; @defaultonly NoAction; }\n"
        "        default_action = drop();\n"
        "        size = 65536;\n"
        "        pna_idle_timeout = PNA_IdleTimeout_t.NOTIFY_CONTROL;\n"
        "    }\n"
        "    apply {\n"
        "        meta.vni = hdr.vxlan.vni >> 8w1;\n"
        "        switch (fdb.apply().action_run) {\n"
        "            fwd: { hdr.vxlan.flags = 8w0x08; }\n"
        "            default: { exit; }\n"
        "        }\n"
        "    }\n"
        "}\n"
        "\n"
        "control MyDeparser(packet_out pkt, inout headers_t hdr, in meta_t meta,\n"
        "                   in pna_main_output_metadata_t ostd) {\n"
        "    apply { pkt.emit(hdr.eth); pkt.emit(hdr.udp); pkt.emit(hdr.vxlan); }\n"
        "}\n"
        "\n"
        "PNA_NIC(MyParser(), MyControl(), MyDeparser()) main;\n";

/* The index of the first token at 'line' in the main file. */
static uint32_t
at_line(uint32_t n, uint32_t line)
{
	for (uint32_t i = 0; i < n; i++)
		if (strcmp(toks[i].loc.file, "t.p4") == 0 && toks[i].loc.line == line)
			return i;
	fail_msg("no token on line %u", line);
	return 0;
}

static void
test_program(void **state)
{
	uint32_t n, i;

	(void)state;
	lex_ok(program, &n);
	i = at_line(n, 5);
	assert_int_equal(toks[i].kind, P4_TOK_KW_TYPEDEF);
	assert_int_equal(toks[i + 1].kind, P4_TOK_KW_BIT);
	assert_int_equal(toks[i + 3].value.lo, 48);
	assert_string_equal(toks[i + 5].text, "mac_t");

	i = at_line(n, 22); /* 0x0800 &&& 0xffff: parse_udp; */
	assert_int_equal(toks[i].value.lo, 0x800);
	assert_int_equal(toks[i + 1].kind, P4_TOK_OP_MASK);
	assert_int_equal(toks[i + 2].value.lo, 0xffff);
	assert_int_equal(toks[i + 3].kind, P4_TOK_OP_COLON);
	assert_int_equal(toks[i].loc.col, 13);

	i = at_line(n, 29); /* VXLAN_PORT expands at its use */
	assert_int_equal(toks[i].kind, P4_TOK_INT);
	assert_int_equal(toks[i].value.lo, 4789);
	assert_int_equal(toks[i].value.width, 16);
	assert_int_equal(toks[i].loc.col, 13);
	assert_int_equal(toks[at_line(n, 30)].kind, P4_TOK_DONTCARE);

	i = at_line(n, 41); /* @name("fdb") */
	assert_int_equal(toks[i].kind, P4_TOK_ANNOTATION);
	assert_int_equal(toks[i + 2].kind, P4_TOK_STRING);
	assert_string_equal(toks[i + 2].text, "fdb");
	i = at_line(n, 42);
	assert_int_equal(toks[i].kind, P4_TOK_KW_TABLE);
	assert_int_equal(toks[at_line(n, 43)].kind, P4_TOK_KW_KEY);
	assert_int_equal(toks[at_line(n, 44)].kind, P4_TOK_KW_ACTIONS);
	i = at_line(n, 45);
	assert_int_equal(toks[i].kind, P4_TOK_IDENT);
	assert_string_equal(toks[i].text, "default_action");
	assert_string_equal(toks[at_line(n, 47)].text, "pna_idle_timeout");

	i = at_line(n, 50); /* meta.vni = hdr.vxlan.vni >> 8w1; */
	assert_int_equal(toks[i + 9].kind, P4_TOK_OP_GT);
	assert_int_equal(toks[i + 10].kind, P4_TOK_OP_GT);
	assert_true(toks[i + 10].joined);
	assert_int_equal(toks[i + 11].value.width, 8);

	i = at_line(n, 51); /* switch (fdb.apply().action_run) { */
	assert_int_equal(toks[i].kind, P4_TOK_KW_SWITCH);
	assert_int_equal(toks[i + 1].kind, P4_TOK_OP_LPAREN);
	assert_string_equal(toks[i + 2].text, "fdb");
	assert_int_equal(toks[i + 4].kind, P4_TOK_KW_APPLY);
	assert_string_equal(toks[i + 8].text, "action_run");
	assert_int_equal(toks[at_line(n, 53)].kind, P4_TOK_KW_DEFAULT);
	assert_int_equal(toks[at_line(n, 53) + 3].kind, P4_TOK_KW_EXIT);
	i = at_line(n, 52);
	assert_int_equal(toks[i + 9].value.lo, 8);
	assert_int_equal(toks[i + 9].value.base, 16);

	/* The end: PNA_NIC(...) main; */
	i = at_line(n, 63);
	assert_string_equal(toks[i].text, "PNA_NIC");
	assert_string_equal(toks[n - 2].text, "main");
	assert_int_equal(toks[n - 1].kind, P4_TOK_OP_SEMICOLON);
	assert_int_equal(toks[n - 1].loc.line, 63);
	assert_int_equal(toks[n].kind, P4_TOK_EOF);
	assert_int_equal(toks[n].loc.line, 64);
	assert_int_equal(count_ident(n, "parse_vxlan"), 2);
}

static void
test_peek(void **state)
{
	struct p4_src *s;
	struct p4_token a, b;
	const char *text = "x y";

	(void)state;
	s = p4_src_open_string("dir/t.p4", text, strlen(text), NULL, &err);
	assert_non_null(s);
	assert_int_equal(p4_peek(s, &a, &err), 0);
	assert_int_equal(p4_peek(s, &b, &err), 0);
	assert_string_equal(a.text, "x");
	assert_ptr_equal(a.text, b.text);
	assert_string_equal(a.loc.file, "dir/t.p4");
	assert_int_equal(p4_next(s, &b, &err), 0);
	assert_string_equal(b.text, "x");
	assert_int_equal(p4_next(s, &b, &err), 0);
	assert_string_equal(b.text, "y");
	assert_int_equal(b.loc.col, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p4_peek(s, &a, &err), 0);
		assert_int_equal(a.kind, P4_TOK_EOF);
		assert_int_equal(p4_next(s, &b, &err), 0);
		assert_int_equal(b.kind, P4_TOK_EOF);
		assert_int_equal(b.loc.col, 4);
	}
	assert_string_equal(p4_tok_name(P4_TOK_IDENT), "identifier");
	assert_string_equal(p4_tok_name(P4_TOK_OP_MASK), "&&&");
	p4_src_close(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_teardown(test_keywords, teardown),
	        cmocka_unit_test_teardown(test_punctuation, teardown),
	        cmocka_unit_test_teardown(test_annotations_and_strings, teardown),
	        cmocka_unit_test_teardown(test_int_literals, teardown),
	        cmocka_unit_test_teardown(test_errors, teardown),
	        cmocka_unit_test_teardown(test_define, teardown),
	        cmocka_unit_test_teardown(test_conditionals, teardown),
	        cmocka_unit_test_teardown(test_includes, teardown),
	        cmocka_unit_test_teardown(test_builtins, teardown),
	        cmocka_unit_test_teardown(test_program, teardown),
	        cmocka_unit_test_teardown(test_peek, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
