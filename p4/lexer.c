/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The raw P4_16 lexer: characters of one file to tokens, following the
 * "Lexical constructs" of the P4_16 specification. Part of p4/, the front
 * end (the top layer of the library, above model/); source.c drives it and
 * adds the preprocessor on top, so nothing here knows about includes or
 * macros.
 *
 * What it reads: identifiers and keywords; '_' (don't care); integer
 * literals with an optional width and signedness prefix (8w255, 16s0x7f)
 * and base prefix (0x, 0b, 0o, 0d, either case) with '_' between digits,
 * kept as up to 128 bits; string literals with the escapes \" \\ \n \r \t
 * and \0; every operator and punctuation mark; annotations ('@name', whose
 * body is left to the parser as ordinary tokens); // and block comments.
 * A newline inside a string literal is an error, as is any escape not
 * listed above. Locations count lines and bytes from 1.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p4_private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- Strings that live as long as the source ------------------------------ */

struct p4_chunk {
	struct p4_chunk *next;
	size_t size, used;
	char data[];
};

#define CHUNK_SIZE 16384

static char *
strtab_alloc(struct p4_strtab *tab, size_t n)
{
	struct p4_chunk *c = tab->chunks;

	if (c == NULL || c->size - c->used < n) {
		size_t size = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		c = malloc(sizeof(*c) + size);
		if (c == NULL)
			return NULL;
		c->size = size;
		c->used = 0;
		c->next = tab->chunks;
		tab->chunks = c;
	}
	c->used += n;
	return c->data + c->used - n;
}

const char *
p4_strtab_copy(struct p4_strtab *tab, const char *s, size_t len)
{
	char *p = strtab_alloc(tab, len + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static uint32_t
hash_bytes(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static int
strtab_grow(struct p4_strtab *tab)
{
	uint32_t n = tab->nslots ? tab->nslots * 2 : 256;
	const char **slots = calloc(n, sizeof(*slots));

	if (slots == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tab->nslots; i++) {
		const char *s = tab->slots[i];
		uint32_t j;

		if (s == NULL)
			continue;
		j = hash_bytes(s, strlen(s)) & (n - 1);
		while (slots[j] != NULL)
			j = (j + 1) & (n - 1);
		slots[j] = s;
	}
	free(tab->slots);
	tab->slots = slots;
	tab->nslots = n;
	return 0;
}

const char *
p4_strtab_intern(struct p4_strtab *tab, const char *s, size_t len)
{
	uint32_t i;

	if ((tab->nused + 1) * 2 > tab->nslots && strtab_grow(tab) < 0)
		return NULL;
	i = hash_bytes(s, len) & (tab->nslots - 1);
	while (tab->slots[i] != NULL) {
		const char *t = tab->slots[i];

		if (strncmp(t, s, len) == 0 && t[len] == '\0')
			return t;
		i = (i + 1) & (tab->nslots - 1);
	}
	tab->slots[i] = p4_strtab_copy(tab, s, len);
	if (tab->slots[i] == NULL)
		return NULL;
	tab->nused++;
	return tab->slots[i];
}

void
p4_strtab_free(struct p4_strtab *tab)
{
	while (tab->chunks != NULL) {
		struct p4_chunk *next = tab->chunks->next;

		free(tab->chunks);
		tab->chunks = next;
	}
	free(tab->slots);
	memset(tab, 0, sizeof(*tab));
}

/* --- Token kinds ------------------------------------------------------------ */

static const struct {
	const char *spelling;
	char cls;
} tok_info[P4_TOK__COUNT] = {
#define P4_TOK_INFO(name, spelling, cls) [P4_TOK_##name] = {spelling, cls},
        P4_TOKEN_LIST(P4_TOK_INFO)
#undef P4_TOK_INFO
};

const char *
p4_tok_name(enum p4_tok kind)
{
	if ((unsigned)kind >= P4_TOK__COUNT)
		return "?";
	return tok_info[kind].spelling;
}

/* The keyword spelled by 'len' bytes at 's', or P4_TOK_IDENT. */
static enum p4_tok
keyword(const char *s, size_t len)
{
	for (unsigned k = 0; k < P4_TOK__COUNT; k++)
		if (tok_info[k].cls == 'K' && strlen(tok_info[k].spelling) == len &&
		    memcmp(tok_info[k].spelling, s, len) == 0)
			return (enum p4_tok)k;
	return P4_TOK_IDENT;
}

/* The longest punctuation mark at 's', or P4_TOK__COUNT. */
static enum p4_tok
punctuation(const char *s, size_t *len)
{
	enum p4_tok best = P4_TOK__COUNT;

	*len = 0;
	for (unsigned k = 0; k < P4_TOK__COUNT; k++) {
		size_t n;

		if (tok_info[k].cls != 'P')
			continue;
		n = strlen(tok_info[k].spelling);
		if (n > *len && strncmp(s, tok_info[k].spelling, n) == 0) {
			best = (enum p4_tok)k;
			*len = n;
		}
	}
	return best;
}

/* --- Errors ----------------------------------------------------------------- */

int
p4_error_at(struct ft_error *err, int code, const struct p4_loc *loc, const char *fmt, ...)
{
	char msg[FT_ERROR_MSG_MAX];
	va_list ap;

	if (err == NULL)
		return code;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ft_error_set(err, code, FT_ERR_SOURCE, loc->line, loc->file, "%s:%u:%u: %s",
	                    loc->file, loc->line, loc->col, msg);
}

/* A character as a message shows it: 'x', or '\x01'. */
static const char *
show_char(char c, char buf[8])
{
	unsigned char u = (unsigned char)c;

	if (u > 0x20 && u < 0x7f)
		snprintf(buf, 8, "%c", c);
	else
		snprintf(buf, 8, "\\x%02x", u);
	return buf;
}

/* --- Characters ------------------------------------------------------------- */

static inline char
peekc(const struct p4_file *f, size_t ahead)
{
	return f->pos + ahead < f->len ? f->buf[f->pos + ahead] : '\0';
}

static inline bool
at_end(const struct p4_file *f)
{
	return f->pos >= f->len;
}

void
p4_file_advance(struct p4_file *f, size_t n)
{
	while (n-- > 0 && f->pos < f->len) {
		if (f->buf[f->pos] == '\n') {
			f->line++;
			f->col = 1;
			f->line_start = true;
		} else {
			f->col++;
		}
		f->pos++;
	}
}

static bool
is_ident_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/*
 * Skips space and comments. In a directive, stops before a newline
 * (a backslash right before a newline continues the directive).
 */
static int
skip_space(struct p4_file *f, bool directive, struct ft_error *err)
{
	while (!at_end(f)) {
		char c = peekc(f, 0);

		if (c == '\n') {
			if (directive)
				return 0;
			p4_file_advance(f, 1);
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p4_file_advance(f, 1);
		} else if (directive && c == '\\' && peekc(f, 1) == '\n') {
			p4_file_advance(f, 2);
		} else if (directive && c == '\\' && peekc(f, 1) == '\r' && peekc(f, 2) == '\n') {
			p4_file_advance(f, 3);
		} else if (c == '/' && peekc(f, 1) == '/') {
			while (!at_end(f) && peekc(f, 0) != '\n')
				p4_file_advance(f, 1);
		} else if (c == '/' && peekc(f, 1) == '*') {
			struct p4_loc loc = p4_file_loc(f);
			bool line_start = f->line_start;

			p4_file_advance(f, 2);
			while (!at_end(f) && !(peekc(f, 0) == '*' && peekc(f, 1) == '/'))
				p4_file_advance(f, 1);
			if (at_end(f))
				return p4_error_at(err, -EINVAL, &loc, "unterminated comment");
			p4_file_advance(f, 2);
			/* A comment does not end a line: '#' may still come first. */
			f->line_start = line_start || f->line_start;
		} else {
			return 0;
		}
	}
	return 0;
}

/* --- Integer literals ------------------------------------------------------- */

static int
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

static const char *
base_name(unsigned base)
{
	switch (base) {
	case 2:
		return "binary";
	case 8:
		return "octal";
	case 16:
		return "hexadecimal";
	default:
		return "decimal";
	}
}

static int
lex_int(struct p4_file *f, struct p4_strtab *tab, struct p4_token *t, struct ft_error *err)
{
	const size_t start = f->pos;
	unsigned __int128 v = 0;
	unsigned base = 10, ndigits = 0;
	size_t q = f->pos;
	char buf[8];

	memset(&t->value, 0, sizeof(t->value));
	/* A width prefix: decimal digits, then 'w' or 's', then a digit. */
	while (q < f->len && f->buf[q] >= '0' && f->buf[q] <= '9')
		q++;
	if (q < f->len && (f->buf[q] == 'w' || f->buf[q] == 's') && q + 1 < f->len &&
	    f->buf[q + 1] >= '0' && f->buf[q + 1] <= '9') {
		unsigned long w = 0;

		for (size_t i = f->pos; i < q; i++) {
			w = w * 10 + (unsigned long)(f->buf[i] - '0');
			if (w > 100000)
				break;
		}
		if (w > P4_INT_MAX_WIDTH)
			return p4_error_at(err, -ENOTSUP, &t->loc,
			                   "integer width %lu is larger than the supported %u bits",
			                   w, P4_INT_MAX_WIDTH);
		if (w == 0)
			return p4_error_at(err, -EINVAL, &t->loc,
			                   "integer literal width must be at least 1");
		t->value.has_width = true;
		t->value.width = (uint16_t)w;
		t->value.is_signed = f->buf[q] == 's';
		p4_file_advance(f, q + 1 - f->pos);
	}
	if (peekc(f, 0) == '0') {
		switch (peekc(f, 1)) {
		case 'x':
		case 'X':
			base = 16;
			break;
		case 'b':
		case 'B':
			base = 2;
			break;
		case 'o':
		case 'O':
			base = 8;
			break;
		case 'd':
		case 'D':
			base = 10;
			p4_file_advance(f, 2);
			break;
		}
		if (base != 10)
			p4_file_advance(f, 2);
	}
	while (!at_end(f) && is_ident_char(peekc(f, 0))) {
		char c = peekc(f, 0);
		unsigned d;

		if (c == '_') {
			p4_file_advance(f, 1);
			continue;
		}
		d = (unsigned)digit_value(c);
		if (d >= base) {
			struct p4_loc loc = p4_file_loc(f);

			return p4_error_at(err, -EINVAL, &loc,
			                   "invalid digit '%s' in %s integer literal",
			                   show_char(c, buf), base_name(base));
		}
		if (v > (~(unsigned __int128)0 - d) / base)
			return p4_error_at(err, -ENOTSUP, &t->loc,
			                   "integer literal does not fit in %u bits",
			                   P4_INT_MAX_WIDTH);
		v = v * base + d;
		ndigits++;
		p4_file_advance(f, 1);
	}
	t->text = p4_strtab_copy(tab, f->buf + start, f->pos - start);
	if (t->text == NULL)
		return -ENOMEM;
	t->len = (uint32_t)(f->pos - start);
	if (ndigits == 0)
		return p4_error_at(err, -EINVAL, &t->loc, "integer literal '%s' has no digits",
		                   t->text);
	if (t->value.has_width) {
		unsigned w = t->value.width - (t->value.is_signed ? 1u : 0u);

		if (w < 128 && (v >> w) != 0)
			return p4_error_at(err, -EINVAL, &t->loc,
			                   "integer literal '%s' does not fit in %s<%u>", t->text,
			                   t->value.is_signed ? "int" : "bit", t->value.width);
	}
	t->kind = P4_TOK_INT;
	t->value.lo = (uint64_t)v;
	t->value.hi = (uint64_t)(v >> 64);
	t->value.base = (uint8_t)base;
	return 0;
}

/* --- String literals -------------------------------------------------------- */

static int
lex_string(struct p4_file *f, struct p4_strtab *tab, struct p4_token *t, struct ft_error *err)
{
	size_t n = 0, cap = 64;
	char *s = malloc(cap);
	char buf[8];
	int rc = 0;

	if (s == NULL)
		return -ENOMEM;
	p4_file_advance(f, 1);
	for (;;) {
		char c = peekc(f, 0);

		if (at_end(f) || c == '\n') {
			rc = p4_error_at(err, -EINVAL, &t->loc, "unterminated string literal");
			goto out;
		}
		if (c == '"') {
			p4_file_advance(f, 1);
			break;
		}
		if (c == '\\') {
			struct p4_loc loc = p4_file_loc(f);

			switch (peekc(f, 1)) {
			case '"':
				c = '"';
				break;
			case '\\':
				c = '\\';
				break;
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = '\0';
				break;
			default:
				if (at_end(f) || peekc(f, 1) == '\n') {
					rc = p4_error_at(err, -EINVAL, &t->loc,
					                 "unterminated string literal");
					goto out;
				}
				rc = p4_error_at(err, -EINVAL, &loc,
				                 "unknown escape sequence '\\%s' in string literal",
				                 show_char(peekc(f, 1), buf));
				goto out;
			}
			p4_file_advance(f, 2);
		} else {
			p4_file_advance(f, 1);
		}
		if (n + 1 >= cap) {
			char *bigger = realloc(s, cap * 2);

			if (bigger == NULL) {
				rc = -ENOMEM;
				goto out;
			}
			s = bigger;
			cap *= 2;
		}
		s[n++] = c;
	}
	t->kind = P4_TOK_STRING;
	t->text = p4_strtab_copy(tab, s, n);
	t->len = (uint32_t)n;
	if (t->text == NULL)
		rc = -ENOMEM;
out:
	free(s);
	return rc;
}

/* --- Tokens ----------------------------------------------------------------- */

int
p4_lex_raw(struct p4_file *f, struct p4_strtab *tab, struct p4_token *t, bool directive,
           struct ft_error *err)
{
	char c, buf[8];
	size_t n;
	int rc;

	rc = skip_space(f, directive, err);
	if (rc < 0)
		return rc;
	memset(t, 0, sizeof(*t));
	t->loc = p4_file_loc(f);
	t->joined = f->pos == f->last_end;
	if (at_end(f)) {
		t->kind = directive ? P4_RAW_EOL : P4_TOK_EOF;
		t->text = "";
		return 0;
	}
	c = peekc(f, 0);
	if (c == '\n') { /* only in a directive */
		t->kind = P4_RAW_EOL;
		t->text = "";
		return 0;
	}
	if (c == '#') {
		if (!directive && f->line_start) {
			p4_file_advance(f, 1);
			f->line_start = false;
			t->kind = P4_RAW_HASH;
			t->text = "#";
			return 0;
		}
		return p4_error_at(err, -EINVAL, &t->loc, "unexpected character '#'");
	}
	f->line_start = false;
	if (is_ident_start(c) || c == '@') {
		size_t start = f->pos + (c == '@');

		n = start;
		while (n < f->len && is_ident_char(f->buf[n]))
			n++;
		if (c == '@' && n == start)
			return p4_error_at(err, -EINVAL, &t->loc,
			                   "expected an annotation name after '@'");
		t->kind = c == '@' ? P4_TOK_ANNOTATION : keyword(f->buf + start, n - start);
		if (t->kind != P4_TOK_IDENT && t->kind != P4_TOK_ANNOTATION)
			t->text = tok_info[t->kind].spelling;
		else
			t->text = p4_strtab_intern(tab, f->buf + start, n - start);
		if (t->text == NULL)
			return -ENOMEM;
		t->len = (uint32_t)(n - start);
		p4_file_advance(f, n - f->pos);
	} else if (c >= '0' && c <= '9') {
		rc = lex_int(f, tab, t, err);
		if (rc < 0)
			return rc;
	} else if (c == '"') {
		rc = lex_string(f, tab, t, err);
		if (rc < 0)
			return rc;
	} else {
		t->kind = punctuation(f->buf + f->pos, &n);
		if (t->kind == P4_TOK__COUNT)
			return p4_error_at(err, -EINVAL, &t->loc, "unexpected character '%s'",
			                   show_char(c, buf));
		t->text = tok_info[t->kind].spelling;
		t->len = (uint32_t)n;
		p4_file_advance(f, n);
	}
	f->last_end = f->pos;
	return 0;
}
