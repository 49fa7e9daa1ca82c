/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The preprocessor of the P4_16 front end: a translation unit's files,
 * includes, conditionals and macros, on top of the raw lexer (lexer.c).
 * Part of p4/, the front end; the parser reads its tokens through p4_next()
 * and p4_peek() (p4_private.h).
 *
 * Why our own and not the system's cpp: the result must not depend on which
 * cpp is installed (or whether one is); every token keeps the file, line and
 * column of the original source with no line markers to trust; and a
 * construct we do not support is rejected by name instead of being passed
 * through. What P4 programs use of cpp is small:
 *
 *   #include <core.p4> / <pna.p4>   built-in text (builtin.c)
 *   #include "file" / <file>         the including file's directory (for
 *                                    "file"), then the include directories;
 *                                    each file is read once (include-once);
 *                                    a file including itself, directly or
 *                                    not, is an error, as is nesting deeper
 *                                    than P4_INCLUDE_MAX_DEPTH
 *   #define NAME tokens              object-like macros only; a different
 *   #undef NAME                      redefinition is an error
 *   #ifdef #ifndef #if #elif #else #endif
 *                                    #if takes C's integer constant
 *                                    expressions over integers, macros and
 *                                    defined(NAME); other names are 0
 *   #error text                      an error at the directive
 *
 * Rejected by name (-ENOTSUP): function-like macros, #pragma, #line,
 * #warning, #include_next, #elifdef, #elifndef, #ident, #sccs, #assert,
 * #unassert, #import, computed includes. Anything else after '#' is an
 * unknown directive (-EINVAL).
 *
 * Macros expand on tokens: a use is replaced by the body's tokens, each with
 * the location of the use; a macro is not expanded inside its own
 * expansion, as in C.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p4_private.h"

struct macro {
	const char *name; /* interned */
	struct p4_loc loc;
	struct p4_token *body;
	uint32_t n;
	bool defined; /* false after #undef: kept while expansions may use it */
	bool active;  /* being expanded */
	struct macro *next;
};

/* An expansion in progress. */
struct frame {
	struct macro *m;
	uint32_t pos;
	struct p4_loc loc; /* of the use */
	bool joined;       /* of the use */
};

/* An open #if/#ifdef/#ifndef. */
struct cond {
	struct p4_loc loc;
	const char *directive; /* "#ifdef", ... */
	bool parent_active;
	bool taken;   /* some branch was taken */
	bool active;  /* the current branch is taken */
	bool in_else; /* #else was seen */
};

struct p4_src {
	struct p4_strtab strs;
	char **include_dirs;

	struct p4_file files[P4_INCLUDE_MAX_DEPTH + 1];
	uint32_t nfiles;
	const char **seen; /* ids of files entered, for include-once */
	uint32_t nseen, seen_cap;

	struct macro *macros;
	struct frame *frames;
	uint32_t nframes, frames_cap;

	struct cond *conds;
	uint32_t nconds, conds_cap;

	/* #if: the expanded line */
	struct p4_token *line;
	uint32_t nline, line_cap, line_pos;

	struct p4_token ahead; /* p4_peek()'s token */
	bool have_ahead;
	int error; /* sticky */
	struct ft_error saved;
};

/* --- Small helpers ---------------------------------------------------------- */

static int
grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t n = *cap ? *cap : 8;
	void *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static struct p4_file *
top(struct p4_src *s)
{
	return s->nfiles ? &s->files[s->nfiles - 1] : NULL;
}

static bool
is_active(const struct p4_src *s)
{
	return s->nconds == 0 || s->conds[s->nconds - 1].active;
}

static struct macro *
find_macro(struct p4_src *s, const char *name)
{
	for (struct macro *m = s->macros; m != NULL; m = m->next)
		if (m->name == name && m->defined)
			return m;
	return NULL;
}

static bool
seen(struct p4_src *s, const char *id)
{
	for (uint32_t i = 0; i < s->nseen; i++)
		if (s->seen[i] == id)
			return true;
	return false;
}

/* --- Files ------------------------------------------------------------------ */

static int
read_file(const char *path, char **out, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	size_t n = 0, cap = 4096;
	char *buf;

	if (fp == NULL)
		return -errno;
	buf = malloc(cap);
	while (buf != NULL) {
		size_t got = fread(buf + n, 1, cap - n - 1, fp);

		n += got;
		if (n + 1 < cap)
			break;
		cap *= 2;
		char *bigger = realloc(buf, cap);

		if (bigger == NULL) {
			free(buf);
			buf = NULL;
		}
		buf = bigger;
	}
	if (buf == NULL) {
		fclose(fp);
		return -ENOMEM;
	}
	if (ferror(fp)) {
		int rc = -EIO;

		fclose(fp);
		free(buf);
		return rc;
	}
	fclose(fp);
	buf[n] = '\0';
	*out = buf;
	*len = n;
	return 0;
}

/* The directory part of 'path' ("." if none), interned. */
static const char *
dir_of(struct p4_src *s, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return p4_strtab_intern(&s->strs, ".", 1);
	if (slash == path)
		return p4_strtab_intern(&s->strs, "/", 1);
	return p4_strtab_intern(&s->strs, path, (size_t)(slash - path));
}

/*
 * Pushes a file. 'text' is borrowed when 'owned' is NULL, else owned (and
 * freed here on failure).
 */
static int
push_file(struct p4_src *s, const char *name, const char *id, const char *text, char *owned,
          size_t len)
{
	struct p4_file *f;

	if (grow((void **)&s->seen, &s->seen_cap, s->nseen + 1, sizeof(*s->seen)) < 0) {
		free(owned);
		return -ENOMEM;
	}
	f = &s->files[s->nfiles];
	memset(f, 0, sizeof(*f));
	f->name = p4_strtab_intern(&s->strs, name, strlen(name));
	f->id = id;
	f->dir = f->name ? dir_of(s, f->name) : NULL;
	if (f->name == NULL || f->dir == NULL) {
		free(owned);
		return -ENOMEM;
	}
	f->buf = text;
	f->owned = owned;
	f->len = len;
	f->line = 1;
	f->col = 1;
	f->line_start = true;
	f->last_end = SIZE_MAX;
	f->cond_base = s->nconds;
	s->seen[s->nseen++] = id;
	s->nfiles++;
	return 0;
}

static void
pop_file(struct p4_src *s)
{
	struct p4_file *f = top(s);

	free(f->owned);
	f->owned = NULL;
	s->nfiles--;
}

/* Copies of the include directories, or NULL on failure. */
static int
copy_dirs(struct p4_src *s, const char *const *dirs)
{
	uint32_t n = 0;

	while (dirs != NULL && dirs[n] != NULL)
		n++;
	s->include_dirs = calloc(n + 1, sizeof(char *));
	if (s->include_dirs == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		s->include_dirs[i] = strdup(dirs[i]);
		if (s->include_dirs[i] == NULL)
			return -ENOMEM;
	}
	return 0;
}

/* The identity of a file on disk: its real path, interned. */
static const char *
file_id(struct p4_src *s, const char *path)
{
	char *real = realpath(path, NULL);
	const char *id;

	if (real == NULL)
		return p4_strtab_intern(&s->strs, path, strlen(path));
	id = p4_strtab_intern(&s->strs, real, strlen(real));
	free(real);
	return id;
}

static struct p4_src *
src_new(const char *const *include_dirs, struct ft_error *err)
{
	struct p4_src *s = calloc(1, sizeof(*s));

	if (s == NULL || copy_dirs(s, include_dirs) < 0) {
		p4_src_close(s);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		return NULL;
	}
	return s;
}

struct p4_src *
p4_src_open_file(const char *path, const char *const *include_dirs, struct ft_error *err)
{
	struct p4_src *s = src_new(include_dirs, err);
	const char *id;
	char *buf;
	size_t len;
	int rc;

	if (s == NULL)
		return NULL;
	rc = read_file(path, &buf, &len);
	if (rc < 0) {
		ft_error_set(err, rc, FT_ERR_SOURCE, 0, path, "%s: cannot read: %s", path,
		             strerror(-rc));
		p4_src_close(s);
		return NULL;
	}
	id = file_id(s, path);
	if (id == NULL || push_file(s, path, id, buf, buf, len) < 0) {
		if (id == NULL)
			free(buf);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		p4_src_close(s);
		return NULL;
	}
	return s;
}

struct p4_src *
p4_src_open_string(const char *name, const char *text, size_t len, const char *const *include_dirs,
                   struct ft_error *err)
{
	struct p4_src *s = src_new(include_dirs, err);
	char *buf;
	const char *id;

	if (s == NULL)
		return NULL;
	buf = malloc(len + 1);
	id = p4_strtab_intern(&s->strs, name, strlen(name));
	if (buf == NULL || id == NULL) {
		free(buf);
		goto nomem;
	}
	memcpy(buf, text, len);
	buf[len] = '\0';
	if (push_file(s, name, id, buf, buf, len) < 0)
		goto nomem;
	return s;
nomem:
	ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	p4_src_close(s);
	return NULL;
}

void
p4_src_close(struct p4_src *s)
{
	if (s == NULL)
		return;
	while (s->nfiles > 0)
		pop_file(s);
	for (uint32_t i = 0; s->include_dirs != NULL && s->include_dirs[i] != NULL; i++)
		free(s->include_dirs[i]);
	free(s->include_dirs);
	while (s->macros != NULL) {
		struct macro *next = s->macros->next;

		free(s->macros->body);
		free(s->macros);
		s->macros = next;
	}
	free(s->seen);
	free(s->frames);
	free(s->conds);
	free(s->line);
	p4_strtab_free(&s->strs);
	free(s);
}

/* --- Directives: common parts ------------------------------------------------ */

static int
lex_dir(struct p4_src *s, struct p4_token *t, struct ft_error *err)
{
	return p4_lex_raw(top(s), &s->strs, t, true, err);
}

/* Skips the rest of a directive's line (in a skipped group: no errors). */
static void
skip_line(struct p4_file *f)
{
	while (f->pos < f->len && f->buf[f->pos] != '\n') {
		if (f->buf[f->pos] == '\\' && f->pos + 1 < f->len && f->buf[f->pos + 1] == '\n')
			p4_file_advance(f, 1);
		p4_file_advance(f, 1);
	}
	p4_file_advance(f, 1);
	f->line_start = true;
}

/* Requires the end of the directive's line and consumes it. */
static int
end_line(struct p4_src *s, const char *directive, struct ft_error *err)
{
	struct p4_token t;
	int rc = lex_dir(s, &t, err);

	if (rc < 0)
		return rc;
	if (t.kind != P4_RAW_EOL)
		return p4_error_at(err, -EINVAL, &t.loc, "extra tokens after %s", directive);
	skip_line(top(s));
	return 0;
}

/* Reads the name after #ifdef, #ifndef, #define, #undef. */
static int
dir_name(struct p4_src *s, const char *directive, const struct p4_loc *hash, struct p4_token *t,
         struct ft_error *err)
{
	int rc = lex_dir(s, t, err);

	if (rc < 0)
		return rc;
	if (t->kind == P4_RAW_EOL)
		return p4_error_at(err, -EINVAL, hash, "%s without a macro name", directive);
	if (t->kind != P4_TOK_IDENT)
		return p4_error_at(err, -EINVAL, &t->loc, "%s needs a macro name, not '%s'",
		                   directive, t->text);
	return 0;
}

/* --- #include ---------------------------------------------------------------- */

static bool
file_exists(const char *path)
{
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return false;
	fclose(fp);
	return true;
}

static int
do_include(struct p4_src *s, const struct p4_loc *hash, struct ft_error *err)
{
	struct p4_file *f = top(s);
	char name[PATH_MAX], path[PATH_MAX * 2 + 2], shown[PATH_MAX + 2];
	const char *text = NULL, *id;
	struct p4_loc loc;
	char *buf = NULL, open_c, close_c;
	size_t n = 0, len = 0;
	bool found = false;
	int rc;

	while (f->pos < f->len && (f->buf[f->pos] == ' ' || f->buf[f->pos] == '\t'))
		p4_file_advance(f, 1);
	loc = p4_file_loc(f);
	open_c = f->pos < f->len ? f->buf[f->pos] : '\0';
	if (open_c != '<' && open_c != '"') {
		if ((open_c >= 'a' && open_c <= 'z') || (open_c >= 'A' && open_c <= 'Z') ||
		    open_c == '_')
			return p4_error_at(err, -ENOTSUP, &loc,
			                   "computed #include is not supported");
		return p4_error_at(err, -EINVAL, &loc, "#include expects \"FILE\" or <FILE>");
	}
	close_c = open_c == '<' ? '>' : '"';
	p4_file_advance(f, 1);
	while (f->pos + n < f->len && f->buf[f->pos + n] != close_c && f->buf[f->pos + n] != '\n')
		n++;
	if (f->pos + n >= f->len || f->buf[f->pos + n] != close_c)
		return p4_error_at(err, -EINVAL, &loc, "missing terminating %c in #include",
		                   close_c);
	if (n == 0 || n >= sizeof(name))
		return p4_error_at(err, -EINVAL, &loc, "#include with an empty or too long name");
	memcpy(name, f->buf + f->pos, n);
	name[n] = '\0';
	p4_file_advance(f, n + 1);
	rc = end_line(s, "#include", err);
	if (rc < 0)
		return rc;
	snprintf(shown, sizeof(shown), "%c%s%c", open_c, name, close_c);

	if (open_c == '<')
		text = p4_builtin_text(name);
	if (text == NULL && open_c == '"') {
		if (name[0] == '/')
			snprintf(path, sizeof(path), "%s", name);
		else if (strcmp(f->dir, ".") == 0)
			snprintf(path, sizeof(path), "%s", name);
		else
			snprintf(path, sizeof(path), "%s/%s", f->dir, name);
		found = file_exists(path);
	}
	for (uint32_t i = 0; text == NULL && !found && name[0] != '/' && s->include_dirs[i]; i++) {
		snprintf(path, sizeof(path), "%s/%s", s->include_dirs[i], name);
		found = file_exists(path);
	}
	if (text == NULL && !found)
		text = p4_builtin_text(name);
	if (text == NULL && !found)
		return p4_error_at(err, -ENOENT, hash, "cannot find include file %s", shown);

	if (text != NULL) {
		snprintf(path, sizeof(path), "<%s>", name);
		id = p4_strtab_intern(&s->strs, path, strlen(path));
	} else {
		id = file_id(s, path);
	}
	if (id == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < s->nfiles; i++)
		if (s->files[i].id == id)
			return p4_error_at(err, -EINVAL, hash,
			                   "#include cycle: %s is already being included", shown);
	if (seen(s, id))
		return 0; /* include-once */
	if (s->nfiles > P4_INCLUDE_MAX_DEPTH)
		return p4_error_at(err, -EINVAL, hash, "#include nested more than %u levels deep",
		                   P4_INCLUDE_MAX_DEPTH);
	if (text != NULL)
		return push_file(s, path, id, text, NULL, strlen(text));
	rc = read_file(path, &buf, &len);
	if (rc < 0)
		return p4_error_at(err, rc, hash, "cannot read include file %s: %s", shown,
		                   strerror(-rc));
	return push_file(s, path, id, buf, buf, len);
}

/* --- #define, #undef --------------------------------------------------------- */

static bool
same_token(const struct p4_token *a, const struct p4_token *b)
{
	return a->kind == b->kind && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

static int
do_define(struct p4_src *s, const struct p4_loc *hash, struct ft_error *err)
{
	struct p4_token name, t, *body = NULL;
	uint32_t n = 0, cap = 0;
	struct macro *m, *old;
	int rc;

	rc = dir_name(s, "#define", hash, &name, err);
	if (rc < 0)
		return rc;
	for (;;) {
		rc = lex_dir(s, &t, err);
		if (rc < 0)
			goto fail;
		if (t.kind == P4_RAW_EOL)
			break;
		if (n == 0 && t.kind == P4_TOK_OP_LPAREN && t.joined) {
			rc = p4_error_at(err, -ENOTSUP, &name.loc,
			                 "function-like macros are not supported");
			goto fail;
		}
		if (grow((void **)&body, &cap, n + 1, sizeof(*body)) < 0) {
			rc = -ENOMEM;
			goto fail;
		}
		body[n++] = t;
	}
	skip_line(top(s));
	old = find_macro(s, name.text);
	if (old != NULL) {
		bool same = old->n == n;

		for (uint32_t i = 0; same && i < n; i++)
			same = same_token(&old->body[i], &body[i]);
		free(body);
		if (same)
			return 0;
		return p4_error_at(err, -EINVAL, &name.loc,
		                   "macro '%s' redefined differently (first defined at %s:%u:%u)",
		                   name.text, old->loc.file, old->loc.line, old->loc.col);
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	m->name = name.text;
	m->loc = name.loc;
	m->body = body;
	m->n = n;
	m->defined = true;
	m->next = s->macros;
	s->macros = m;
	return 0;
fail:
	free(body);
	return rc;
}

static int
do_undef(struct p4_src *s, const struct p4_loc *hash, struct ft_error *err)
{
	struct p4_token name;
	struct macro *m;
	int rc = dir_name(s, "#undef", hash, &name, err);

	if (rc < 0)
		return rc;
	m = find_macro(s, name.text);
	if (m != NULL)
		m->defined = false;
	return end_line(s, "#undef", err);
}

/* --- #if expressions ------------------------------------------------------------ */

static int
line_push(struct p4_src *s, const struct p4_token *t)
{
	if (grow((void **)&s->line, &s->line_cap, s->nline + 1, sizeof(*s->line)) < 0)
		return -ENOMEM;
	s->line[s->nline++] = *t;
	return 0;
}

static int
line_push_int(struct p4_src *s, const struct p4_loc *loc, uint64_t v)
{
	struct p4_token t = {.kind = P4_TOK_INT, .loc = *loc, .text = v ? "1" : "0", .len = 1};

	t.value.lo = v;
	t.value.base = 10;
	return line_push(s, &t);
}

/* Appends the expansion of 'm', used at 'loc', to the #if line. */
static int
line_expand(struct p4_src *s, struct macro *m, const struct p4_loc *loc)
{
	int rc = 0;

	m->active = true;
	for (uint32_t i = 0; rc == 0 && i < m->n; i++) {
		struct p4_token t = m->body[i];
		struct macro *inner;

		t.loc = *loc;
		if (t.kind == P4_TOK_IDENT && (inner = find_macro(s, t.text)) && !inner->active)
			rc = line_expand(s, inner, loc);
		else if (t.kind == P4_TOK_IDENT)
			rc = line_push_int(s, loc, 0);
		else
			rc = line_push(s, &t);
	}
	m->active = false;
	return rc;
}

/* Reads the rest of a #if or #elif line, expanded, into s->line. */
static int
line_read(struct p4_src *s, struct ft_error *err)
{
	struct p4_token t;
	struct macro *m;
	int rc;

	s->nline = 0;
	s->line_pos = 0;
	for (;;) {
		rc = lex_dir(s, &t, err);
		if (rc < 0)
			return rc;
		if (t.kind == P4_RAW_EOL)
			break;
		if (t.kind == P4_TOK_IDENT && strcmp(t.text, "defined") == 0) {
			struct p4_loc loc = t.loc;
			bool paren;

			rc = lex_dir(s, &t, err);
			if (rc < 0)
				return rc;
			paren = t.kind == P4_TOK_OP_LPAREN;
			if (paren && (rc = lex_dir(s, &t, err)) < 0)
				return rc;
			if (t.kind != P4_TOK_IDENT)
				return p4_error_at(err, -EINVAL, &loc,
				                   "'defined' needs a macro name");
			rc = line_push_int(s, &loc, find_macro(s, t.text) != NULL);
			if (rc < 0)
				return rc;
			if (paren) {
				rc = lex_dir(s, &t, err);
				if (rc < 0)
					return rc;
				if (t.kind != P4_TOK_OP_RPAREN)
					return p4_error_at(err, -EINVAL, &loc,
					                   "missing ')' after 'defined'");
			}
		} else if (t.kind == P4_TOK_IDENT && (m = find_macro(s, t.text)) != NULL) {
			rc = line_expand(s, m, &t.loc);
		} else if (t.kind == P4_TOK_IDENT ||
		           (t.kind > P4_TOK_ANNOTATION && t.kind <= P4_TOK_DONTCARE)) {
			rc = line_push_int(s, &t.loc, 0); /* other names are 0, as in C */
		} else {
			rc = line_push(s, &t);
		}
		if (rc < 0)
			return rc;
	}
	skip_line(top(s));
	return 0;
}

static const struct p4_token *
line_peek(struct p4_src *s)
{
	static const struct p4_token end = {.kind = P4_RAW_EOL, .text = "end of line"};

	return s->line_pos < s->nline ? &s->line[s->line_pos] : &end;
}

static int eval_cond(struct p4_src *s, const struct p4_loc *hash, bool live, int64_t *v,
                     struct ft_error *err);

static int
eval_unary(struct p4_src *s, const struct p4_loc *hash, bool live, int64_t *v, struct ft_error *err)
{
	const struct p4_token *t = line_peek(s);
	const struct p4_loc *loc = t->kind == P4_RAW_EOL ? hash : &t->loc;
	int rc;

	s->line_pos++;
	switch ((int)t->kind) {
	case P4_TOK_INT:
		if (t->value.hi != 0 || t->value.lo > INT64_MAX)
			return p4_error_at(err, -ENOTSUP, loc, "integer '%s' is too large for #if",
			                   t->text);
		*v = (int64_t)t->value.lo;
		return 0;
	case P4_TOK_OP_LPAREN:
		rc = eval_cond(s, hash, live, v, err);
		if (rc < 0)
			return rc;
		t = line_peek(s);
		if (t->kind != P4_TOK_OP_RPAREN)
			return p4_error_at(err, -EINVAL, t->kind == P4_RAW_EOL ? hash : &t->loc,
			                   "missing ')' in #if expression");
		s->line_pos++;
		return 0;
	case P4_TOK_OP_NOT:
	case P4_TOK_OP_TILDE:
	case P4_TOK_OP_MINUS:
	case P4_TOK_OP_PLUS:
		rc = eval_unary(s, hash, live, v, err);
		if (rc < 0)
			return rc;
		if (t->kind == P4_TOK_OP_NOT)
			*v = !*v;
		else if (t->kind == P4_TOK_OP_TILDE)
			*v = (int64_t) ~(uint64_t)*v;
		else if (t->kind == P4_TOK_OP_MINUS)
			*v = (int64_t)(0 - (uint64_t)*v);
		return 0;
	case P4_RAW_EOL:
		return p4_error_at(err, -EINVAL, loc, "missing expression in #if");
	default:
		return p4_error_at(err, -EINVAL, loc, "unexpected '%s' in #if expression", t->text);
	}
}

/* The binary operator at the cursor: its precedence (0 if none) and width in tokens. */
static int
binary_op(struct p4_src *s, enum p4_tok *op, uint32_t *ntok)
{
	const struct p4_token *t = line_peek(s);

	*op = t->kind;
	*ntok = 1;
	switch ((int)t->kind) {
	case P4_TOK_OP_STAR:
	case P4_TOK_OP_SLASH:
	case P4_TOK_OP_PERCENT:
		return 10;
	case P4_TOK_OP_PLUS:
	case P4_TOK_OP_MINUS:
		return 9;
	case P4_TOK_OP_SHL:
		return 8;
	case P4_TOK_OP_GT:
		if (s->line_pos + 1 < s->nline && s->line[s->line_pos + 1].kind == P4_TOK_OP_GT &&
		    s->line[s->line_pos + 1].joined) {
			*op = P4_TOK__COUNT; /* '>>' */
			*ntok = 2;
			return 8;
		}
		return 7;
	case P4_TOK_OP_LT:
	case P4_TOK_OP_LE:
	case P4_TOK_OP_GE:
		return 7;
	case P4_TOK_OP_EQ:
	case P4_TOK_OP_NE:
		return 6;
	case P4_TOK_OP_AMP:
		return 5;
	case P4_TOK_OP_CARET:
		return 4;
	case P4_TOK_OP_PIPE:
		return 3;
	case P4_TOK_OP_AND:
		return 2;
	case P4_TOK_OP_OR:
		return 1;
	default:
		return 0;
	}
}

static int
eval_binary(struct p4_src *s, const struct p4_loc *hash, int min_prec, bool live, int64_t *v,
            struct ft_error *err)
{
	int rc = eval_unary(s, hash, live, v, err);

	while (rc == 0) {
		struct p4_loc loc = line_peek(s)->loc;
		enum p4_tok op;
		uint32_t ntok;
		int prec = binary_op(s, &op, &ntok);
		bool rlive = live;
		uint64_t a = (uint64_t)*v, b;
		int64_t r;

		if (prec == 0 || prec < min_prec)
			break;
		s->line_pos += ntok;
		if (op == P4_TOK_OP_AND)
			rlive = live && *v != 0;
		else if (op == P4_TOK_OP_OR)
			rlive = live && *v == 0;
		rc = eval_binary(s, hash, prec + 1, rlive, &r, err);
		if (rc < 0)
			break;
		b = (uint64_t)r;
		switch ((int)op) {
		case P4_TOK_OP_STAR:
			*v = (int64_t)(a * b);
			break;
		case P4_TOK_OP_SLASH:
		case P4_TOK_OP_PERCENT:
			if (r == 0) {
				if (live)
					return p4_error_at(err, -EINVAL, &loc,
					                   "division by zero in #if");
				*v = 0;
			} else if (r == -1) {
				*v = op == P4_TOK_OP_SLASH ? (int64_t)(0 - a) : 0;
			} else {
				*v = op == P4_TOK_OP_SLASH ? *v / r : *v % r;
			}
			break;
		case P4_TOK_OP_PLUS:
			*v = (int64_t)(a + b);
			break;
		case P4_TOK_OP_MINUS:
			*v = (int64_t)(a - b);
			break;
		case P4_TOK_OP_SHL:
			*v = r < 0 || r > 63 ? 0 : (int64_t)(a << r);
			break;
		case P4_TOK__COUNT:
			*v = r < 0 || r > 63 ? (*v < 0 ? -1 : 0) : *v >> r;
			break;
		case P4_TOK_OP_LT:
			*v = *v < r;
			break;
		case P4_TOK_OP_GT:
			*v = *v > r;
			break;
		case P4_TOK_OP_LE:
			*v = *v <= r;
			break;
		case P4_TOK_OP_GE:
			*v = *v >= r;
			break;
		case P4_TOK_OP_EQ:
			*v = *v == r;
			break;
		case P4_TOK_OP_NE:
			*v = *v != r;
			break;
		case P4_TOK_OP_AMP:
			*v = (int64_t)(a & b);
			break;
		case P4_TOK_OP_CARET:
			*v = (int64_t)(a ^ b);
			break;
		case P4_TOK_OP_PIPE:
			*v = (int64_t)(a | b);
			break;
		case P4_TOK_OP_AND:
			*v = *v && r;
			break;
		case P4_TOK_OP_OR:
			*v = *v || r;
			break;
		}
	}
	return rc;
}

static int
eval_cond(struct p4_src *s, const struct p4_loc *hash, bool live, int64_t *v, struct ft_error *err)
{
	int64_t a, b;
	int rc = eval_binary(s, hash, 1, live, v, err);

	if (rc < 0 || line_peek(s)->kind != P4_TOK_OP_QUESTION)
		return rc;
	s->line_pos++;
	rc = eval_cond(s, hash, live && *v != 0, &a, err);
	if (rc < 0)
		return rc;
	if (line_peek(s)->kind != P4_TOK_OP_COLON)
		return p4_error_at(err, -EINVAL, hash, "missing ':' in #if expression");
	s->line_pos++;
	rc = eval_cond(s, hash, live && *v == 0, &b, err);
	if (rc < 0)
		return rc;
	*v = *v ? a : b;
	return 0;
}

/* Reads and evaluates the expression of a #if or #elif. */
static int
eval_line(struct p4_src *s, const char *directive, const struct p4_loc *hash, bool *out,
          struct ft_error *err)
{
	const struct p4_token *t;
	int64_t v;
	int rc = line_read(s, err);

	if (rc < 0)
		return rc;
	if (s->nline == 0)
		return p4_error_at(err, -EINVAL, hash, "%s with no expression", directive);
	rc = eval_cond(s, hash, true, &v, err);
	if (rc < 0)
		return rc;
	t = line_peek(s);
	if (t->kind != P4_RAW_EOL)
		return p4_error_at(err, -EINVAL, &t->loc, "unexpected '%s' in #if expression",
		                   t->text);
	*out = v != 0;
	return 0;
}

/* --- Conditionals ------------------------------------------------------------- */

static int
cond_open(struct p4_src *s, const char *directive, const struct p4_loc *hash, bool skipping,
          struct ft_error *err)
{
	struct p4_token name;
	struct cond *c;
	bool v = false;
	int rc;

	if (grow((void **)&s->conds, &s->conds_cap, s->nconds + 1, sizeof(*s->conds)) < 0)
		return -ENOMEM;
	if (skipping) {
		skip_line(top(s));
	} else if (strcmp(directive, "#if") == 0) {
		rc = eval_line(s, directive, hash, &v, err);
		if (rc < 0)
			return rc;
	} else {
		rc = dir_name(s, directive, hash, &name, err);
		if (rc < 0)
			return rc;
		v = (find_macro(s, name.text) != NULL) == (strcmp(directive, "#ifdef") == 0);
		rc = end_line(s, directive, err);
		if (rc < 0)
			return rc;
	}
	c = &s->conds[s->nconds++];
	c->loc = *hash;
	c->directive = directive;
	c->parent_active = !skipping;
	c->active = !skipping && v;
	c->taken = skipping || v;
	c->in_else = false;
	return 0;
}

static int
cond_next(struct p4_src *s, const char *directive, const struct p4_loc *hash, struct ft_error *err)
{
	struct cond *c = s->nconds > top(s)->cond_base ? &s->conds[s->nconds - 1] : NULL;
	bool v = false;
	int rc;

	if (c == NULL)
		return p4_error_at(err, -EINVAL, hash, "%s without #if", directive);
	if (strcmp(directive, "#endif") == 0) {
		bool check = c->parent_active;

		s->nconds--;
		if (!check) {
			skip_line(top(s));
			return 0;
		}
		return end_line(s, directive, err);
	}
	if (c->in_else)
		return p4_error_at(err, -EINVAL, hash, "%s after #else", directive);
	if (strcmp(directive, "#else") == 0) {
		c->in_else = true;
		c->active = c->parent_active && !c->taken;
		c->taken = true;
		if (!c->parent_active) {
			skip_line(top(s));
			return 0;
		}
		return end_line(s, directive, err);
	}
	/* #elif */
	if (c->taken) {
		c->active = false;
		skip_line(top(s));
		return 0;
	}
	rc = eval_line(s, directive, hash, &v, err);
	if (rc < 0)
		return rc;
	c->active = v;
	c->taken = v;
	return 0;
}

/* --- Directives ------------------------------------------------------------------ */

static int
do_error(struct p4_src *s, const struct p4_loc *hash, struct ft_error *err)
{
	struct p4_file *f = top(s);
	size_t a = f->pos, b;

	while (a < f->len && (f->buf[a] == ' ' || f->buf[a] == '\t'))
		a++;
	b = a;
	while (b < f->len && f->buf[b] != '\n')
		b++;
	while (b > a && (f->buf[b - 1] == ' ' || f->buf[b - 1] == '\t' || f->buf[b - 1] == '\r'))
		b--;
	if (b == a)
		return p4_error_at(err, -EINVAL, hash, "#error");
	return p4_error_at(err, -EINVAL, hash, "#error %.*s", (int)(b - a), f->buf + a);
}

static const char *const unsupported[] = {
        "pragma", "line", "warning", "include_next", "elifdef", "elifndef",
        "ident",  "sccs", "assert",  "unassert",     "import",
};

/* Handles the directive whose '#' was at 'hash'. */
static int
directive(struct p4_src *s, const struct p4_loc *hash, struct ft_error *err)
{
	bool skipping = !is_active(s);
	struct p4_token t;
	const char *d;
	int rc;

	rc = lex_dir(s, &t, err);
	if (rc < 0) {
		if (!skipping)
			return rc;
		skip_line(top(s));
		return 0;
	}
	if (t.kind == P4_RAW_EOL) { /* the null directive */
		skip_line(top(s));
		return 0;
	}
	d = t.text;
	if (t.kind != P4_TOK_IDENT && (t.kind < P4_TOK_KW_ABSTRACT || t.kind > P4_TOK_DONTCARE)) {
		if (skipping) {
			skip_line(top(s));
			return 0;
		}
		if (t.kind == P4_TOK_INT)
			return p4_error_at(err, -ENOTSUP, hash,
			                   "line markers ('# NUMBER') are not supported");
		return p4_error_at(err, -EINVAL, hash, "invalid preprocessor directive");
	}
	if (strcmp(d, "if") == 0)
		return cond_open(s, "#if", hash, skipping, err);
	if (strcmp(d, "ifdef") == 0)
		return cond_open(s, "#ifdef", hash, skipping, err);
	if (strcmp(d, "ifndef") == 0)
		return cond_open(s, "#ifndef", hash, skipping, err);
	if (strcmp(d, "elif") == 0)
		return cond_next(s, "#elif", hash, err);
	if (strcmp(d, "else") == 0)
		return cond_next(s, "#else", hash, err);
	if (strcmp(d, "endif") == 0)
		return cond_next(s, "#endif", hash, err);
	if (skipping) {
		skip_line(top(s));
		return 0;
	}
	if (strcmp(d, "include") == 0)
		return do_include(s, hash, err);
	if (strcmp(d, "define") == 0)
		return do_define(s, hash, err);
	if (strcmp(d, "undef") == 0)
		return do_undef(s, hash, err);
	if (strcmp(d, "error") == 0)
		return do_error(s, hash, err);
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(d, unsupported[i]) == 0)
			return p4_error_at(err, -ENOTSUP, hash, "#%s is not supported", d);
	return p4_error_at(err, -EINVAL, hash, "unknown preprocessor directive '#%s'", d);
}

/*
 * In a skipped group: moves to the next directive, past its '#'. Returns 1
 * there, 0 at the end of the file, or a negative errno.
 */
static int
skip_group(struct p4_file *f, struct p4_loc *hash, struct ft_error *err)
{
	while (f->pos < f->len) {
		char c = f->buf[f->pos], d = f->pos + 1 < f->len ? f->buf[f->pos + 1] : '\0';

		if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			p4_file_advance(f, 1);
		} else if (c == '/' && d == '/') {
			while (f->pos < f->len && f->buf[f->pos] != '\n')
				p4_file_advance(f, 1);
		} else if (c == '/' && d == '*') {
			struct p4_loc loc = p4_file_loc(f);
			bool line_start = f->line_start;

			p4_file_advance(f, 2);
			while (f->pos < f->len && !(f->buf[f->pos] == '*' && f->pos + 1 < f->len &&
			                            f->buf[f->pos + 1] == '/'))
				p4_file_advance(f, 1);
			if (f->pos >= f->len)
				return p4_error_at(err, -EINVAL, &loc, "unterminated comment");
			p4_file_advance(f, 2);
			f->line_start = line_start || f->line_start;
		} else if (c == '#' && f->line_start) {
			*hash = p4_file_loc(f);
			p4_file_advance(f, 1);
			f->line_start = false;
			return 1;
		} else if (c == '"') {
			p4_file_advance(f, 1);
			while (f->pos < f->len && f->buf[f->pos] != '\n' && f->buf[f->pos] != '"')
				p4_file_advance(f, f->buf[f->pos] == '\\' ? 2 : 1);
			if (f->pos < f->len && f->buf[f->pos] == '"')
				p4_file_advance(f, 1);
			f->line_start = false;
		} else {
			p4_file_advance(f, 1);
			f->line_start = false;
		}
	}
	return 0;
}

/* --- Tokens --------------------------------------------------------------------- */

static int
push_frame(struct p4_src *s, struct macro *m, const struct p4_token *use)
{
	struct frame *fr;

	if (grow((void **)&s->frames, &s->frames_cap, s->nframes + 1, sizeof(*s->frames)) < 0)
		return -ENOMEM;
	fr = &s->frames[s->nframes++];
	fr->m = m;
	fr->pos = 0;
	fr->loc = use->loc;
	fr->joined = use->joined;
	m->active = true;
	return 0;
}

/* The end of a file: checks its conditionals, leaves it. */
static int
end_file(struct p4_src *s, struct p4_token *t, struct ft_error *err)
{
	struct p4_file *f = top(s);

	if (s->nconds > f->cond_base) {
		const struct cond *c = &s->conds[s->nconds - 1];

		return p4_error_at(err, -EINVAL, &c->loc, "%s without #endif", c->directive);
	}
	t->loc = p4_file_loc(f);
	pop_file(s);
	return 0;
}

static int
produce(struct p4_src *s, struct p4_token *t, struct ft_error *err)
{
	for (;;) {
		struct p4_file *f;
		struct p4_loc hash;
		struct macro *m;
		int rc;

		if (s->nframes > 0) {
			struct frame *fr = &s->frames[s->nframes - 1];

			if (fr->pos == fr->m->n) {
				fr->m->active = false;
				s->nframes--;
				continue;
			}
			*t = fr->m->body[fr->pos];
			if (fr->pos++ == 0)
				t->joined = fr->joined;
			t->loc = fr->loc;
		} else {
			f = top(s);
			if (f == NULL) {
				t->kind = P4_TOK_EOF;
				t->text = "";
				t->len = 0;
				t->joined = false;
				return 0;
			}
			if (!is_active(s)) {
				rc = skip_group(f, &hash, err);
				if (rc < 0)
					return rc;
				rc = rc ? directive(s, &hash, err) : end_file(s, t, err);
				if (rc < 0)
					return rc;
				continue;
			}
			rc = p4_lex_raw(f, &s->strs, t, false, err);
			if (rc < 0)
				return rc;
			if (t->kind == P4_RAW_HASH) {
				rc = directive(s, &t->loc, err);
				if (rc < 0)
					return rc;
				continue;
			}
			if (t->kind == P4_TOK_EOF) {
				rc = end_file(s, t, err);
				if (rc < 0)
					return rc;
				continue;
			}
		}
		if (t->kind == P4_TOK_IDENT && (m = find_macro(s, t->text)) != NULL && !m->active) {
			rc = push_frame(s, m, t);
			if (rc < 0)
				return rc;
			continue;
		}
		return 0;
	}
}

/* Produces the next token, or the error that stopped the unit. */
static int
produce_sticky(struct p4_src *s, struct p4_token *t, struct ft_error *err)
{
	struct ft_error local;
	int rc;

	if (s->error == 0) {
		ft_error_clear(&local);
		rc = produce(s, t, &local);
		if (rc < 0) {
			if (local.kind == FT_ERR_NONE)
				ft_error_set(&local, rc, FT_ERR_RESOURCE, UINT32_MAX, NULL,
				             "out of memory");
			s->error = rc;
			s->saved = local;
		}
	}
	if (s->error != 0) {
		if (err != NULL)
			*err = s->saved;
		return s->error;
	}
	return 0;
}

int
p4_next(struct p4_src *s, struct p4_token *out, struct ft_error *err)
{
	if (s->have_ahead) {
		*out = s->ahead;
		s->have_ahead = false;
		return 0;
	}
	return produce_sticky(s, out, err);
}

int
p4_peek(struct p4_src *s, struct p4_token *out, struct ft_error *err)
{
	int rc;

	if (!s->have_ahead) {
		rc = produce_sticky(s, &s->ahead, err);
		if (rc < 0)
			return rc;
		s->have_ahead = true;
	}
	*out = s->ahead;
	return 0;
}
