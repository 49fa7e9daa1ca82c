/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API (include/flowtwin/ctl.h): command lines in the syntax of
 * BMv2's simple_switch_CLI turned into pipeline transactions, and table
 * state printed back in the same syntax. Part of model/, the bottom layer:
 * it uses only the public program and pipeline APIs and no DPDK.
 *
 * A line is split on whitespace into words; a word that starts with '#'
 * ends it (a comment). The first word picks a built-in command (the table
 * below) or a registered vocabulary. A built-in command that changes state
 * validates every word first (names through the program, values against
 * the widths of the key fields and action parameters), then stages its
 * changes in one transaction and commits it; any error aborts the
 * transaction, so a rejected command changes nothing.
 *
 * Entries are named by their handle (ft_entry_info.handle) in table_modify
 * and table_delete; the handle is looked up with ft_pipeline_table_walk()
 * and the entry's key, mask and priority copied out, because the walk's
 * callback must not call back into the pipeline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/ctl.h>

#include "model_private.h"

#define VALUE_BYTES_MAX (FT_FIELD_BITS_MAX / 8)

struct ft_ctl {
	struct ft_pipeline *pipe;
	const struct ft_ctl_vocab **vocabs; /* borrowed, in the order added */
	uint32_t n_vocabs;
};

/* --- Values ----------------------------------------------------------------- */

static bool
is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static unsigned int
digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'Z')
		return (unsigned int)(c - 'A' + 10);
	return 99;
}

/* aa:bb:cc:dd:ee:ff, each part one or two hex digits. */
static bool
parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!is_hex(s[0]))
			return false;
		mac[i] = (uint8_t)digit_value(*s++);
		if (is_hex(s[0]))
			mac[i] = (uint8_t)(mac[i] * 16 + digit_value(*s++));
		if (*s++ != (i < 5 ? ':' : '\0'))
			return false;
	}
	return true;
}

/*
 * A number in decimal, 0x hex or 0b binary into 'acc' (VALUE_BYTES_MAX + 1
 * big-endian bytes, one more than the widest field so that "too wide" shows).
 * Returns 0, -EINVAL for garbage, -ERANGE when it does not fit in 'acc'.
 */
static int
parse_number(const char *s, uint8_t *acc)
{
	unsigned int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	if (*s == '\0')
		return -EINVAL;
	memset(acc, 0, VALUE_BYTES_MAX + 1);
	for (; *s != '\0'; s++) {
		unsigned int carry = digit_value(*s);

		if (carry >= base)
			return -EINVAL;
		for (int i = VALUE_BYTES_MAX; i >= 0; i--) {
			unsigned int v = acc[i] * base + carry;

			acc[i] = (uint8_t)v;
			carry = v >> 8;
		}
		if (carry != 0)
			return -ERANGE;
	}
	return 0;
}

int
ft_ctl_parse_value(const char *text, uint32_t bits, uint8_t *out, const char *what,
                   struct ft_error *err)
{
	uint8_t acc[VALUE_BYTES_MAX + 1], addr[16];
	uint32_t nb = (bits + 7) / 8, spare = nb * 8 - bits;
	int rc;

	if (bits == 0 || bits > FT_FIELD_BITS_MAX)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "a field of %u bits cannot hold a value", bits);
	if (text == NULL || text[0] == '\0')
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "empty value");
	if (text[0] == '-')
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "'%s' is negative", text);
	if (strchr(text, ':') != NULL) {
		if (parse_mac(text, addr)) {
			if (bits != 48)
				return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
				                    "MAC address '%s' given for a %u-bit field",
				                    text, bits);
			memcpy(out, addr, 6);
			return 0;
		}
		if (inet_pton(AF_INET6, text, addr) == 1) {
			if (bits != 128)
				return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
				                    "IPv6 address '%s' given for a %u-bit field",
				                    text, bits);
			memcpy(out, addr, 16);
			return 0;
		}
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "bad %s address '%s'", bits == 128 ? "IPv6" : "MAC", text);
	}
	if (strchr(text, '.') != NULL) {
		if (inet_pton(AF_INET, text, addr) != 1)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
			                    "bad IPv4 address '%s'", text);
		if (bits != 32)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
			                    "IPv4 address '%s' given for a %u-bit field", text,
			                    bits);
		memcpy(out, addr, 4);
		return 0;
	}
	rc = parse_number(text, acc);
	if (rc == -EINVAL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "bad value '%s'",
		                    text);
	/* Nothing may be set above the field: not in the bytes before it, not in its top bits. */
	for (uint32_t i = 0; rc == 0 && i < sizeof(acc) - nb; i++)
		if (acc[i] != 0)
			rc = -ERANGE;
	if (rc == 0 && spare != 0 && (acc[sizeof(acc) - nb] >> (8 - spare)) != 0)
		rc = -ERANGE;
	if (rc < 0)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "'%s' does not fit in %u bits", text, bits);
	memcpy(out, acc + sizeof(acc) - nb, nb);
	return 0;
}

int
ft_ctl_format_value(const uint8_t *val, uint32_t bits, char *buf, uint32_t size)
{
	uint32_t nb = (bits + 7) / 8;
	char s[2 + 2 * VALUE_BYTES_MAX + 1];
	size_t len = 0;

	if (bits == 0 || bits > FT_FIELD_BITS_MAX)
		return -EINVAL;
	if (bits == 48) {
		snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", val[0], val[1], val[2],
		         val[3], val[4], val[5]);
	} else if (bits <= 16) {
		snprintf(s, sizeof(s), "%u",
		         nb == 1 ? val[0] : (unsigned int)(val[0] << 8 | val[1]));
	} else {
		/* Hex digits for the whole width: a 24-bit 100 is 0x000064. */
		uint32_t skip = nb * 2 - (bits + 3) / 4;

		s[len++] = '0';
		s[len++] = 'x';
		for (uint32_t i = skip; i < nb * 2; i++)
			s[len++] = "0123456789abcdef"[(val[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
		s[len] = '\0';
	}
	return snprintf(buf, size, "%s", s);
}

/* --- Words and output --------------------------------------------------------- */

/* A line split into words: argv points into buf, which both own. */
struct words {
	char *buf;
	char **argv;
	int argc;
};

static int
words_split(const char *line, struct words *w)
{
	static const char space[] = " \t\r\n\v\f";
	char *save = NULL, *tok;
	size_t n = 1;

	memset(w, 0, sizeof(*w));
	for (const char *p = line; *p != '\0'; p++)
		n += strchr(space, *p) != NULL;
	w->buf = strdup(line);
	w->argv = calloc(n + 1, sizeof(*w->argv));
	if (w->buf == NULL || w->argv == NULL) {
		free(w->buf);
		free(w->argv);
		return -ENOMEM;
	}
	for (tok = strtok_r(w->buf, space, &save); tok != NULL && tok[0] != '#';
	     tok = strtok_r(NULL, space, &save))
		w->argv[w->argc++] = tok;
	return 0;
}

static void
words_free(struct words *w)
{
	free(w->buf);
	free(w->argv);
}

/* A growing string for one line of output. */
struct line {
	char *s;
	size_t len, cap;
	bool oom;
};

static void line_printf(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
line_printf(struct line *l, const char *fmt, ...)
{
	va_list ap;
	size_t cap;
	char *s;
	int n;

	if (l->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(l->s ? l->s + l->len : NULL, l->cap - l->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			l->oom = true;
			return;
		}
		if (l->len + (size_t)n < l->cap) {
			l->len += (size_t)n;
			return;
		}
		cap = (l->len + (size_t)n + 1) * 2;
		if ((s = realloc(l->s, cap)) == NULL) {
			l->oom = true;
			return;
		}
		l->s = s;
		l->cap = cap;
	}
}

/* Appends 'sep' and a value. */
static void
line_value(struct line *l, const char *sep, const uint8_t *val, uint32_t bits)
{
	char s[2 + 2 * VALUE_BYTES_MAX + 1];

	ft_ctl_format_value(val, bits, s, sizeof(s));
	line_printf(l, "%s%s", sep, s);
}

/* Hands the line to 'out' and empties it. */
static int
line_flush(struct line *l, ft_ctl_out_fn out, void *arg, struct ft_error *err)
{
	if (l->oom)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	if (out != NULL && l->s != NULL)
		out(arg, l->s);
	l->len = 0;
	if (l->s != NULL)
		l->s[0] = '\0';
	return 0;
}

/* --- Names ------------------------------------------------------------------- */

/* A table and what the commands need of its declaration. */
struct table {
	uint32_t id;
	const char *name;
	struct ft_table_decl decl;
	uint32_t key_size;
	bool wildcard; /* some key is not exact: entries have masks */
	bool ternary;  /* some key is ternary: entries have a priority */
};

static int
table_find(const struct ft_ctl *ctl, const char *name, struct table *t, struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	int id = ft_program_find_table(prog, name);

	if (id < 0)
		return ft_error_set(err, -ENOENT, FT_ERR_TABLE, UINT32_MAX, name,
		                    "unknown table '%s'", name);
	memset(t, 0, sizeof(*t));
	t->id = (uint32_t)id;
	ft_program_table(prog, t->id, &t->decl);
	t->name = t->decl.name;
	t->key_size = (uint32_t)ft_program_key_size(prog, t->id);
	for (uint32_t k = 0; k < t->decl.n_keys; k++) {
		t->wildcard |= t->decl.keys[k].match != FT_MATCH_EXACT;
		t->ternary |= t->decl.keys[k].match == FT_MATCH_TERNARY;
	}
	return 0;
}

static const char *const scope_names[] = {
        [FT_SCOPE_ANY] = "",
        [FT_SCOPE_TABLE_ONLY] = "@tableonly",
        [FT_SCOPE_DEFAULT_ONLY] = "@defaultonly",
};

/*
 * Finds action 'name' among the table's actions; 'forbidden' is the scope
 * that may not be used here (@defaultonly for entries, @tableonly for the
 * default action).
 */
static int
action_find(const struct ft_ctl *ctl, const struct table *t, const char *name,
            enum ft_action_scope forbidden, uint32_t *action, struct ft_action_info *ai,
            struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	int id = ft_program_find_action(prog, name);

	if (id < 0)
		return ft_error_set(err, -ENOENT, FT_ERR_ACTION, UINT32_MAX, name,
		                    "unknown action '%s'", name);
	for (uint32_t i = 0; i < t->decl.n_actions; i++) {
		if (t->decl.actions[i].action != (uint32_t)id)
			continue;
		if (t->decl.actions[i].scope == forbidden)
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, (uint32_t)id, name,
			                    "action '%s' is %s in table '%s'", name,
			                    scope_names[forbidden], t->name);
		*action = (uint32_t)id;
		ft_program_action(prog, *action, ai);
		return 0;
	}
	return ft_error_set(err, -EINVAL, FT_ERR_ACTION, (uint32_t)id, name,
	                    "action '%s' is not an action of table '%s'", name, t->name);
}

/* ft_ctl_parse_value(), with the error re-labelled as being about 'kind' number 'index'. */
static int
parse_labelled(const char *text, uint32_t bits, uint8_t *out, const char *what,
               enum ft_error_kind kind, uint32_t index, struct ft_error *err)
{
	int rc = ft_ctl_parse_value(text, bits, out, what, err);

	if (rc < 0 && err != NULL) {
		err->kind = kind;
		err->index = index;
	}
	return rc;
}

/* A number of at most 32 bits (a handle, port, group, priority). */
static int
parse_u32(const char *text, uint32_t bits, const char *what, enum ft_error_kind kind, uint32_t *v,
          struct ft_error *err)
{
	uint8_t b[4] = {0};
	uint32_t nb = (bits + 7) / 8;
	int rc;

	/* Numbers only: ft_ctl_parse_value() would take an IPv4 address for 32 bits. */
	if (text[0] != '-' && strpbrk(text, ":.") != NULL)
		return ft_error_set(err, -EINVAL, kind, UINT32_MAX, what, "bad value '%s'", text);
	rc = parse_labelled(text, bits, b + 4 - nb, what, kind, UINT32_MAX, err);
	*v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return rc;
}

/* --- Keys and action data ---------------------------------------------------- */

/* Sets the first 'plen' of the 'bits' right-aligned bits in ceil(bits / 8) bytes. */
static void
prefix_mask(uint8_t *m, uint32_t bits, uint32_t plen)
{
	uint32_t nb = (bits + 7) / 8, spare = nb * 8 - bits;

	memset(m, 0, nb);
	for (uint32_t i = spare; i < spare + plen; i++)
		m[i / 8] |= (uint8_t)(0x80u >> (i % 8));
}

/* The number of bits set in a prefix mask. */
static uint32_t
prefix_len(const uint8_t *m, uint32_t nb)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < nb * 8; i++)
		n += (m[i / 8] >> (7 - i % 8)) & 1;
	return n;
}

/* Parses the key words of an entry of 't' into 'key' and (wildcard tables) 'mask'. */
static int
key_parse(const struct ft_ctl *ctl, const struct table *t, char **words, int n, uint8_t *key,
          uint8_t *mask, struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	uint32_t off = 0;
	int rc;

	if ((uint32_t)n != t->decl.n_keys)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, t->id, t->name,
		                    "expected %u key fields, got %d", t->decl.n_keys, n);
	for (uint32_t k = 0; k < t->decl.n_keys; k++) {
		const struct ft_key_decl *kd = &t->decl.keys[k];
		uint32_t bits = ft_program_ref_width(prog, UINT32_MAX, &kd->ref);
		uint32_t nb = (bits + 7) / 8;
		char name[FT_ERROR_NAME_MAX], *word = words[k], *sep;

		ft_program_ref_name(prog, &kd->ref, name, sizeof(name));
		memset(mask + off, 0xff, nb);
		if (kd->match == FT_MATCH_EXACT) {
			if (strstr(word, "&&&") != NULL || strchr(word, '/') != NULL)
				return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, name,
				                    "exact key field takes VALUE, not '%s'", word);
			rc = parse_labelled(word, bits, key + off, name, FT_ERR_KEY, k, err);
		} else if (kd->match == FT_MATCH_TERNARY) {
			if ((sep = strstr(word, "&&&")) == NULL)
				return ft_error_set(
				        err, -EINVAL, FT_ERR_KEY, k, name,
				        "ternary key field takes VALUE&&&MASK, not '%s'", word);
			*sep = '\0';
			rc = parse_labelled(word, bits, key + off, name, FT_ERR_KEY, k, err);
			if (rc == 0)
				rc = parse_labelled(sep + 3, bits, mask + off, name, FT_ERR_KEY, k,
				                    err);
			*sep = '&';
		} else {
			uint32_t plen;

			if ((sep = strrchr(word, '/')) == NULL)
				return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, name,
				                    "lpm key field takes VALUE/PREFIX, not '%s'",
				                    word);
			*sep = '\0';
			rc = parse_labelled(word, bits, key + off, name, FT_ERR_KEY, k, err);
			*sep = '/';
			if (rc == 0 && (strspn(sep + 1, "0123456789") != strlen(sep + 1) ||
			                parse_u32(sep + 1, 32, name, FT_ERR_KEY, &plen, NULL) < 0 ||
			                plen > bits))
				return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, name,
				                    "bad prefix length in '%s' (0 .. %u)", word,
				                    bits);
			if (rc == 0)
				prefix_mask(mask + off, bits, plen);
		}
		if (rc < 0)
			return rc;
		off += nb;
	}
	return 0;
}

/* Parses an action's parameter words into its packed data. */
static int
data_parse(const struct ft_action_info *ai, char **words, int n, uint8_t *data,
           struct ft_error *err)
{
	uint32_t off = 0;
	int rc;

	if ((uint32_t)n != ai->n_params)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, UINT32_MAX, ai->name,
		                    "expected %u action parameters, got %d", ai->n_params, n);
	for (uint32_t p = 0; p < ai->n_params; p++) {
		rc = parse_labelled(words[p], ai->params[p].bits, data + off, ai->params[p].name,
		                    FT_ERR_PARAM, p, err);
		if (rc < 0)
			return rc;
		off += (ai->params[p].bits + 7) / 8;
	}
	return 0;
}

/* Formats an action's packed data, one " VALUE" per parameter. */
static void
line_data(struct line *l, const struct ft_action_info *ai, const uint8_t *data)
{
	uint32_t off = 0;

	for (uint32_t p = 0; p < ai->n_params; p++) {
		line_value(l, " ", data + off, ai->params[p].bits);
		off += (ai->params[p].bits + 7) / 8;
	}
}

/* --- Reading entries back ------------------------------------------------------ */

/* Copies of the entries of one table (or the one with a given handle). */
struct snap {
	uint32_t handle, action, priority;
	uint64_t packets, bytes;
	uint8_t *key, *mask, *data; /* into 'bytes' of struct snaps */
};

struct snaps {
	uint32_t only;      /* the handle to copy, or UINT32_MAX for all */
	uint32_t key_size;  /* bytes of a key (and of a mask) */
	uint32_t data_size; /* bytes of the largest action data of the table */
	struct snap *v;
	uint8_t *bytes;
	uint32_t n, cap;
};

static int
snap_one(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct snaps *ss = arg;
	uint32_t stride = 2 * ss->key_size + ss->data_size;
	struct snap *s;
	uint8_t *p;

	(void)table;
	if (ss->only != UINT32_MAX && e->handle != ss->only)
		return 0;
	if (ss->n == ss->cap) {
		uint32_t cap = ss->cap ? 2 * ss->cap : 16;
		struct snap *v = realloc(ss->v, cap * sizeof(*v));
		uint8_t *b;

		if (v == NULL)
			return -ENOMEM;
		ss->v = v;
		b = realloc(ss->bytes, (size_t)cap * stride + 1);
		if (b == NULL)
			return -ENOMEM;
		ss->bytes = b;
		ss->cap = cap;
	}
	/* Pointers into 'bytes' are set once it stops moving (snaps_take()). */
	p = ss->bytes + (size_t)ss->n * stride;
	memcpy(p, e->key, ss->key_size);
	if (e->mask != NULL)
		memcpy(p + ss->key_size, e->mask, ss->key_size);
	else
		memset(p + ss->key_size, 0xff, ss->key_size);
	memcpy(p + 2 * ss->key_size, e->data, ss->data_size);
	s = &ss->v[ss->n++];
	s->handle = e->handle;
	s->action = e->action;
	s->priority = e->priority;
	s->packets = e->packets;
	s->bytes = e->bytes;
	return ss->only != UINT32_MAX; /* the one wanted: stop */
}

static void
snaps_free(struct snaps *ss)
{
	free(ss->v);
	free(ss->bytes);
}

/* Copies the entries of 't' (only the one with handle 'only', unless UINT32_MAX). */
static int
snaps_take(const struct ft_ctl *ctl, const struct table *t, uint32_t only, struct snaps *ss,
           struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	uint32_t stride;
	int rc;

	memset(ss, 0, sizeof(*ss));
	ss->only = only;
	ss->key_size = t->key_size;
	for (uint32_t i = 0; i < t->decl.n_actions; i++) {
		int size = ft_program_action_data_size(prog, t->decl.actions[i].action);

		if (size > (int)ss->data_size)
			ss->data_size = (uint32_t)size;
	}
	rc = ft_pipeline_table_walk(ctl->pipe, t->id, snap_one, ss);
	if (rc < 0) {
		snaps_free(ss);
		return ft_error_set(err, rc, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "cannot read table '%s'", t->name);
	}
	stride = 2 * ss->key_size + ss->data_size;
	for (uint32_t i = 0; i < ss->n; i++) {
		ss->v[i].key = ss->bytes + (size_t)i * stride;
		ss->v[i].mask = ss->v[i].key + ss->key_size;
		ss->v[i].data = ss->v[i].mask + ss->key_size;
	}
	return 0;
}

/* The entry of 't' with handle 'text', copied into 'ss' (ss->v[0]). */
static int
entry_by_handle(const struct ft_ctl *ctl, const struct table *t, const char *text, struct snaps *ss,
                struct ft_error *err)
{
	uint32_t handle = 0;
	int rc;

	if ((rc = parse_u32(text, 32, "handle", FT_ERR_ENTRY, &handle, err)) < 0)
		return rc;
	if ((rc = snaps_take(ctl, t, handle, ss, err)) < 0)
		return rc;
	if (ss->n == 0) {
		snaps_free(ss);
		return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, handle, t->name,
		                    "no entry with handle %u", handle);
	}
	return 0;
}

/* The entry's identity for ft_txn_entry_modify() and _delete(). */
static struct ft_entry
snap_entry(const struct table *t, const struct snap *s)
{
	return (struct ft_entry){
	        .key = s->key,
	        .mask = t->wildcard ? s->mask : NULL,
	        .priority = s->priority,
	        .action = s->action,
	        .data = s->data,
	};
}

/* --- Commands -------------------------------------------------------------------- */

/* Opens a transaction on the session's pipeline; NULL with '*rc' and 'err' set. */
static struct ft_txn *
txn_begin(struct ft_ctl *ctl, int *rc, struct ft_error *err)
{
	struct ft_error e = {0};
	struct ft_txn *txn = ft_txn_begin(ctl->pipe, &e);

	*rc = 0;
	if (txn == NULL) {
		*rc = e.code;
		if (err != NULL)
			*err = e;
	}
	return txn;
}

/* Commits 'txn' if 'rc' is 0, else aborts it; returns the outcome. */
static int
txn_finish(struct ft_txn *txn, int rc, struct ft_error *err)
{
	if (rc < 0) {
		ft_txn_abort(txn);
		return rc;
	}
	return ft_txn_commit(txn, err);
}

static int
usage(const char *cmd, const char *args, struct ft_error *err)
{
	return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, NULL, "usage: %s %s", cmd,
	                    args);
}

/* table_add TABLE ACTION KEY... => PARAM... [PRIORITY] */
static int
cmd_table_add(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
              struct ft_error *err)
{
	uint8_t key[FT_KEY_BYTES_MAX], mask[FT_KEY_BYTES_MAX], data[FT_ACTION_DATA_MAX];
	struct ft_action_info ai;
	struct ft_entry e = {0};
	struct ft_txn *txn;
	struct table t;
	int rc, arrow, n;

	(void)out, (void)arg;
	if (argc < 3)
		return usage(argv[0], "TABLE ACTION KEY... => PARAM... [PRIORITY]", err);
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0 ||
	    (rc = action_find(ctl, &t, argv[2], FT_SCOPE_DEFAULT_ONLY, &e.action, &ai, err)) < 0)
		return rc;
	for (arrow = 3; arrow < argc && strcmp(argv[arrow], "=>") != 0; arrow++)
		;
	if (arrow == argc)
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, t.name,
		                    "missing '=>' between the key and the action parameters");
	if ((rc = key_parse(ctl, &t, argv + 3, arrow - 3, key, mask, err)) < 0)
		return rc;
	n = argc - arrow - 1;
	if (t.ternary) {
		if (n != (int)ai.n_params + 1)
			return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, t.name,
			                    "ternary table: expected %u action parameters and a "
			                    "priority, got %d words after '=>'",
			                    ai.n_params, n);
		n--;
		if ((rc = parse_u32(argv[argc - 1], 32, "priority", FT_ERR_ENTRY, &e.priority,
		                    err)) < 0)
			return rc;
	} else if (n == (int)ai.n_params + 1) {
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, t.name,
		                    "only ternary tables take a priority ('%s')", argv[argc - 1]);
	}
	if ((rc = data_parse(&ai, argv + arrow + 1, n, data, err)) < 0)
		return rc;
	e.key = key;
	e.mask = t.wildcard ? mask : NULL;
	e.data = ai.n_params ? data : NULL;
	if ((txn = txn_begin(ctl, &rc, err)) == NULL)
		return rc;
	return txn_finish(txn, ft_txn_entry_add(txn, t.id, &e, err), err);
}

/* table_set_default TABLE ACTION [PARAM...] */
static int
cmd_table_set_default(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
                      struct ft_error *err)
{
	uint8_t data[FT_ACTION_DATA_MAX];
	struct ft_action_info ai;
	struct ft_txn *txn;
	struct table t;
	uint32_t action;
	int rc;

	(void)out, (void)arg;
	if (argc < 3)
		return usage(argv[0], "TABLE ACTION [PARAM...]", err);
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0)
		return rc;
	if (t.decl.default_const)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, t.id, t.name,
		                    "the default action of table '%s' is const", t.name);
	if ((rc = action_find(ctl, &t, argv[2], FT_SCOPE_TABLE_ONLY, &action, &ai, err)) < 0 ||
	    (rc = data_parse(&ai, argv + 3, argc - 3, data, err)) < 0)
		return rc;
	if ((txn = txn_begin(ctl, &rc, err)) == NULL)
		return rc;
	return txn_finish(
	        txn, ft_txn_default_set(txn, t.id, action, ai.n_params ? data : NULL, err), err);
}

/* table_modify TABLE ACTION HANDLE [=>] PARAM... */
static int
cmd_table_modify(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
                 struct ft_error *err)
{
	uint8_t data[FT_ACTION_DATA_MAX];
	struct ft_action_info ai;
	struct ft_entry e;
	struct ft_txn *txn;
	struct snaps ss;
	struct table t;
	uint32_t action;
	int rc, first = 4;

	(void)out, (void)arg;
	if (argc < 4)
		return usage(argv[0], "TABLE ACTION HANDLE [=>] PARAM...", err);
	if (argc > 4 && strcmp(argv[4], "=>") == 0)
		first = 5;
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0 ||
	    (rc = action_find(ctl, &t, argv[2], FT_SCOPE_DEFAULT_ONLY, &action, &ai, err)) < 0 ||
	    (rc = data_parse(&ai, argv + first, argc - first, data, err)) < 0 ||
	    (rc = entry_by_handle(ctl, &t, argv[3], &ss, err)) < 0)
		return rc;
	e = snap_entry(&t, &ss.v[0]);
	e.action = action;
	e.data = ai.n_params ? data : NULL;
	if ((txn = txn_begin(ctl, &rc, err)) != NULL)
		rc = txn_finish(txn, ft_txn_entry_modify(txn, t.id, &e, err), err);
	snaps_free(&ss);
	return rc;
}

/* table_delete TABLE HANDLE */
static int
cmd_table_delete(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
                 struct ft_error *err)
{
	struct ft_entry e;
	struct ft_txn *txn;
	struct snaps ss;
	struct table t;
	int rc;

	(void)out, (void)arg;
	if (argc != 3)
		return usage(argv[0], "TABLE HANDLE", err);
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0 ||
	    (rc = entry_by_handle(ctl, &t, argv[2], &ss, err)) < 0)
		return rc;
	e = snap_entry(&t, &ss.v[0]);
	if ((txn = txn_begin(ctl, &rc, err)) != NULL)
		rc = txn_finish(txn, ft_txn_entry_delete(txn, t.id, &e, err), err);
	snaps_free(&ss);
	return rc;
}

/* table_clear TABLE: deletes every entry (the default action stays). */
static int
cmd_table_clear(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
                struct ft_error *err)
{
	struct ft_txn *txn;
	struct snaps ss;
	struct table t;
	int rc;

	(void)out, (void)arg;
	if (argc != 2)
		return usage(argv[0], "TABLE", err);
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0 ||
	    (rc = snaps_take(ctl, &t, UINT32_MAX, &ss, err)) < 0)
		return rc;
	if ((txn = txn_begin(ctl, &rc, err)) != NULL) {
		for (uint32_t i = 0; i < ss.n && rc == 0; i++) {
			struct ft_entry e = snap_entry(&t, &ss.v[i]);

			rc = ft_txn_entry_delete(txn, t.id, &e, err);
		}
		rc = txn_finish(txn, rc, err);
	}
	snaps_free(&ss);
	return rc;
}

/* Appends the key of entry 's' of 't' in table_add syntax. */
static void
line_key(struct line *l, const struct ft_program *prog, const struct table *t, const struct snap *s)
{
	uint32_t off = 0;

	for (uint32_t k = 0; k < t->decl.n_keys; k++) {
		const struct ft_key_decl *kd = &t->decl.keys[k];
		uint32_t bits = ft_program_ref_width(prog, UINT32_MAX, &kd->ref);
		uint32_t nb = (bits + 7) / 8;

		line_value(l, " ", s->key + off, bits);
		if (kd->match == FT_MATCH_TERNARY)
			line_value(l, "&&&", s->mask + off, bits);
		else if (kd->match == FT_MATCH_LPM)
			line_printf(l, "/%u", prefix_len(s->mask + off, nb));
		off += nb;
	}
}

/*
 * table_dump TABLE: each entry as the table_add line that adds it, with a
 * comment giving its handle and counters, then the default action.
 */
static int
cmd_table_dump(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
               struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	struct ft_action_info ai;
	struct line l = {0};
	const uint8_t *data;
	struct snaps ss;
	struct table t;
	uint32_t action;
	int rc;

	if (argc != 2)
		return usage(argv[0], "TABLE", err);
	if ((rc = table_find(ctl, argv[1], &t, err)) < 0 ||
	    (rc = snaps_take(ctl, &t, UINT32_MAX, &ss, err)) < 0)
		return rc;
	for (uint32_t i = 0; i < ss.n && rc == 0; i++) {
		const struct snap *s = &ss.v[i];

		ft_program_action(prog, s->action, &ai);
		line_printf(&l, "table_add %s %s", t.name, ai.name);
		line_key(&l, prog, &t, s);
		line_printf(&l, " =>");
		line_data(&l, &ai, s->data);
		if (t.ternary)
			line_printf(&l, " %u", s->priority);
		line_printf(&l, " # handle %u packets %llu bytes %llu", s->handle,
		            (unsigned long long)s->packets, (unsigned long long)s->bytes);
		rc = line_flush(&l, out, arg, err);
	}
	if (rc == 0) {
		ft_pipeline_default_read(ctl->pipe, t.id, &action, &data);
		ft_program_action(prog, action, &ai);
		/* A const default cannot be set: keep the dump valid input by commenting it out. */
		line_printf(&l, "%stable_set_default %s %s",
		            t.decl.default_const ? "# const default: " : "", t.name, ai.name);
		line_data(&l, &ai, data);
		rc = line_flush(&l, out, arg, err);
	}
	free(l.s);
	snaps_free(&ss);
	return rc;
}

/* group_set GROUP [PORT[:RID]...] */
static int
cmd_group_set(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
              struct ft_error *err)
{
	struct ft_group_member *m = NULL;
	struct ft_txn *txn;
	uint32_t group, n = argc > 2 ? (uint32_t)argc - 2 : 0;
	int rc;

	(void)out, (void)arg;
	if (argc < 2)
		return usage(argv[0], "GROUP [PORT[:RID]...]", err);
	if ((rc = parse_u32(argv[1], 32, "group", FT_ERR_GROUP, &group, err)) < 0)
		return rc;
	if (n > 0 && (m = calloc(n, sizeof(*m))) == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	for (uint32_t i = 0; i < n && rc == 0; i++) {
		char *word = argv[2 + i], *colon = strchr(word, ':');
		uint32_t rid = 0;

		if (colon != NULL)
			*colon = '\0';
		rc = parse_u32(word, 32, "port", FT_ERR_GROUP, &m[i].port, err);
		if (rc == 0 && colon != NULL)
			rc = parse_u32(colon + 1, 16, "rid", FT_ERR_GROUP, &rid, err);
		if (colon != NULL)
			*colon = ':';
		m[i].rid = (uint16_t)rid;
	}
	if (rc == 0) {
		if ((txn = txn_begin(ctl, &rc, err)) != NULL)
			rc = txn_finish(txn, ft_txn_group_set(txn, group, m, n, err), err);
	}
	free(m);
	return rc;
}

/* mirror_set SESSION PORT|off */
static int
cmd_mirror_set(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
               struct ft_error *err)
{
	uint32_t session, port = UINT32_MAX;
	struct ft_txn *txn;
	int rc;

	(void)out, (void)arg;
	if (argc != 3)
		return usage(argv[0], "SESSION PORT|off", err);
	if ((rc = parse_u32(argv[1], 32, "session", FT_ERR_GROUP, &session, err)) < 0 ||
	    (strcmp(argv[2], "off") != 0 &&
	     (rc = parse_u32(argv[2], 32, "port", FT_ERR_GROUP, &port, err)) < 0))
		return rc;
	if ((txn = txn_begin(ctl, &rc, err)) == NULL)
		return rc;
	return txn_finish(txn, ft_txn_mirror_set(txn, session, port, err), err);
}

typedef int (*cmd_fn)(struct ft_ctl *ctl, int argc, char **argv, ft_ctl_out_fn out, void *arg,
                      struct ft_error *err);

static const struct {
	const char *name;
	cmd_fn fn;
} commands[] = {
        {"table_add", cmd_table_add},       {"table_set_default", cmd_table_set_default},
        {"table_modify", cmd_table_modify}, {"table_delete", cmd_table_delete},
        {"table_dump", cmd_table_dump},     {"table_clear", cmd_table_clear},
        {"group_set", cmd_group_set},       {"mirror_set", cmd_mirror_set},
};

/* --- Sessions ----------------------------------------------------------------------- */

struct ft_ctl *
ft_ctl_create(struct ft_pipeline *pipe)
{
	struct ft_ctl *ctl;

	if (pipe == NULL || (ctl = calloc(1, sizeof(*ctl))) == NULL)
		return NULL;
	ctl->pipe = pipe;
	return ctl;
}

void
ft_ctl_destroy(struct ft_ctl *ctl)
{
	if (ctl == NULL)
		return;
	free(ctl->vocabs);
	free(ctl);
}

struct ft_pipeline *
ft_ctl_pipeline(const struct ft_ctl *ctl)
{
	return ctl->pipe;
}

/* The vocabulary that owns 'word', or NULL. */
static const struct ft_ctl_vocab *
vocab_find(const struct ft_ctl *ctl, const char *word)
{
	for (uint32_t i = 0; i < ctl->n_vocabs; i++)
		for (const char *const *w = ctl->vocabs[i]->words; *w != NULL; w++)
			if (strcmp(*w, word) == 0)
				return ctl->vocabs[i];
	return NULL;
}

static bool
is_builtin(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, word) == 0)
			return true;
	return false;
}

int
ft_ctl_add_vocab(struct ft_ctl *ctl, const struct ft_ctl_vocab *vocab)
{
	const struct ft_ctl_vocab **v;

	if (ctl == NULL || vocab == NULL || vocab->words == NULL || vocab->exec == NULL)
		return -EINVAL;
	for (const char *const *w = vocab->words; *w != NULL; w++)
		if (is_builtin(*w) || vocab_find(ctl, *w) != NULL)
			return -EEXIST;
	v = realloc(ctl->vocabs, (ctl->n_vocabs + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	v[ctl->n_vocabs++] = vocab;
	ctl->vocabs = v;
	return 0;
}

/* Runs one line; '*ran' says whether it held a command (it was not blank or a comment). */
static int
exec_line(struct ft_ctl *ctl, const char *line, ft_ctl_out_fn out, void *arg, bool *ran,
          struct ft_error *err)
{
	const struct ft_ctl_vocab *vocab;
	struct words w;
	int rc;

	*ran = false;
	if (line == NULL)
		return 0;
	if (words_split(line, &w) < 0)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	if (w.argc == 0) {
		words_free(&w);
		return 0;
	}
	*ran = true;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(commands[i].name, w.argv[0]) == 0) {
			rc = commands[i].fn(ctl, w.argc, w.argv, out, arg, err);
			goto out;
		}
	if ((vocab = vocab_find(ctl, w.argv[0])) != NULL)
		rc = vocab->exec(ctl, vocab->arg, w.argc, w.argv, out, arg, err);
	else
		rc = ft_error_set(err, -ENOENT, FT_ERR_UNSPEC, UINT32_MAX, NULL,
		                  "unknown command '%s'", w.argv[0]);
out:
	words_free(&w);
	return rc;
}

int
ft_ctl_exec(struct ft_ctl *ctl, const char *line, ft_ctl_out_fn out, void *arg,
            struct ft_error *err)
{
	bool ran;

	return exec_line(ctl, line, out, arg, &ran, err);
}

int
ft_ctl_exec_file(struct ft_ctl *ctl, const char *path, ft_ctl_out_fn out, void *arg,
                 struct ft_error *err)
{
	struct ft_error e = {0};
	char *line = NULL;
	size_t cap = 0;
	uint32_t lineno = 0;
	int rc = 0, n = 0;
	bool ran;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		rc = -errno;
		return ft_error_set(err, rc, FT_ERR_SOURCE, UINT32_MAX, path, "cannot open: %s",
		                    strerror(-rc));
	}
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		ft_error_clear(&e);
		if ((rc = exec_line(ctl, line, out, arg, &ran, &e)) < 0) {
			ft_error_set(err, rc, FT_ERR_SOURCE, lineno, e.object, "%s:%u: %s", path,
			             lineno, e.message);
			break;
		}
		n += ran;
	}
	if (rc == 0 && ferror(f))
		rc = ft_error_set(err, -EIO, FT_ERR_SOURCE, lineno, path, "read error");
	free(line);
	fclose(f);
	return rc < 0 ? rc : n;
}

/* --- Learned and aged entries, events -------------------------------------------- */

/* An entry reported by ft_pipeline_learn() or _expire(), copied out of the lock. */
struct polled {
	uint32_t table;
	bool learned;
	struct ft_entry_info info; /* key, mask, data point into 'bytes' */
	uint8_t *bytes;
};

struct poll_list {
	const struct ft_program *prog;
	bool learned;
	struct polled *v;
	uint32_t n, cap;
	bool oom;
};

/* ft_entry_fn: copies one entry (called with the pipeline's lock held). */
static int
poll_collect(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct poll_list *pl = arg;
	int ks = ft_program_key_size(pl->prog, table);
	int ds = ft_program_action_data_size(pl->prog, e->action);
	struct polled *p;

	if (ks < 0 || ds < 0)
		return 0;
	if (pl->n == pl->cap) {
		uint32_t cap = pl->cap ? 2 * pl->cap : 16;
		struct polled *v = realloc(pl->v, cap * sizeof(*v));

		if (v == NULL) {
			pl->oom = true;
			return 0;
		}
		pl->v = v;
		pl->cap = cap;
	}
	p = &pl->v[pl->n];
	p->bytes = malloc(2 * (size_t)ks + (size_t)ds + 1);
	if (p->bytes == NULL) {
		pl->oom = true;
		return 0;
	}
	p->table = table;
	p->learned = pl->learned;
	p->info = *e;
	memcpy(p->bytes, e->key, (size_t)ks);
	p->info.key = p->bytes;
	if (e->mask != NULL) {
		memcpy(p->bytes + ks, e->mask, (size_t)ks);
		p->info.mask = p->bytes + ks;
	}
	if (e->data != NULL && ds > 0)
		memcpy(p->bytes + 2 * ks, e->data, (size_t)ds);
	p->info.data = ds > 0 ? p->bytes + 2 * ks : NULL;
	pl->n++;
	return 0;
}

/* "learned TABLE KEY... => ACTION PARAM..." or "aged TABLE KEY...". */
static int
poll_generic_line(struct ft_ctl *ctl, const struct polled *p, ft_ctl_out_fn out, void *arg,
                  struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	struct ft_action_info ai;
	struct line l = {0};
	struct snap s = {
	        .key = (uint8_t *)p->info.key,
	        .mask = (uint8_t *)p->info.mask,
	};
	uint8_t full[FT_KEY_BYTES_MAX];
	struct ft_table_decl d;
	struct table t;
	int rc;

	if (ft_program_table(prog, p->table, &d) < 0)
		return ft_error_set(err, -ENOENT, FT_ERR_TABLE, p->table, NULL, "no such table");
	if ((rc = table_find(ctl, d.name, &t, err)) < 0)
		return rc;
	if (s.mask == NULL) {
		memset(full, 0xff, sizeof(full));
		s.mask = full;
	}
	line_printf(&l, "%s %s", p->learned ? "learned" : "aged", t.name);
	line_key(&l, prog, &t, &s);
	if (p->learned && ft_program_action(prog, p->info.action, &ai) == 0) {
		line_printf(&l, " => %s", ai.name);
		line_data(&l, &ai, p->info.data);
	}
	rc = line_flush(&l, out, arg, err);
	free(l.s);
	return rc;
}

int
ft_ctl_poll(struct ft_ctl *ctl, ft_ctl_out_fn out, void *arg, struct ft_error *err)
{
	struct poll_list pl = {.prog = ft_pipeline_program(ctl->pipe)};
	struct ft_error e = {0};
	int rc, first = 0, n = 0;

	pl.learned = true;
	rc = ft_pipeline_learn(ctl->pipe, poll_collect, &pl, err);
	if (rc >= 0) {
		pl.learned = false;
		rc = ft_pipeline_expire(ctl->pipe, poll_collect, &pl, err);
	}
	if (rc < 0 && pl.n == 0) {
		free(pl.v);
		return rc;
	}
	first = rc < 0 ? rc : 0;
	if (pl.oom && first == 0)
		first = ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                     "out of memory: some learned or aged entries not reported");
	for (uint32_t i = 0; i < pl.n; i++) {
		const struct polled *p = &pl.v[i];
		int taken = 0;

		for (uint32_t k = 0; k < ctl->n_vocabs && taken == 0; k++) {
			const struct ft_ctl_vocab *vc = ctl->vocabs[k];

			if (vc->changed == NULL)
				continue;
			ft_error_clear(&e);
			taken = vc->changed(ctl, vc->arg, p->learned, p->table, &p->info, out, arg,
			                    &e);
			if (taken < 0 && first == 0) {
				first = taken;
				if (err != NULL)
					*err = e;
			}
		}
		if (taken == 0) {
			ft_error_clear(&e);
			rc = poll_generic_line(ctl, p, out, arg, &e);
			if (rc < 0 && first == 0) {
				first = rc;
				if (err != NULL)
					*err = e;
			}
		}
		n++;
	}
	for (uint32_t k = 0; k < ctl->n_vocabs; k++) {
		const struct ft_ctl_vocab *vc = ctl->vocabs[k];

		if (vc->poll == NULL)
			continue;
		ft_error_clear(&e);
		rc = vc->poll(ctl, vc->arg, out, arg, &e);
		if (rc > 0)
			n += rc;
		else if (rc < 0 && first == 0) {
			first = rc;
			if (err != NULL)
				*err = e;
		}
	}
	for (uint32_t i = 0; i < pl.n; i++)
		free(pl.v[i].bytes);
	free(pl.v);
	return first < 0 ? first : n;
}

/* The name of a digest's value: "vni" for meta.vni, "arp.target_proto_addr" for a field. */
static void
digest_item_name(const struct ft_program *prog, const struct ft_ref *ref, char *buf, size_t size)
{
	char name[FT_ERROR_NAME_MAX];

	ft_program_ref_name(prog, ref, name, sizeof(name));
	snprintf(buf, size, "%s", strncmp(name, "meta.", 5) == 0 ? name + 5 : name);
}

/* The first DIGEST operation of digest 'id' in the program (in action '*action'), or NULL. */
static const struct ft_op *
digest_op(const struct ft_program *prog, uint32_t id, uint32_t *action)
{
	struct ft_program_info pi;
	struct ft_action_info ai;

	ft_program_info(prog, &pi);
	for (uint32_t a = 0; a < pi.n_actions; a++) {
		if (ft_program_action(prog, a, &ai) < 0)
			continue;
		for (uint32_t i = 0; i < ai.n_ops; i++)
			if (ai.ops[i].kind == FT_OP_DIGEST && ai.ops[i].id == id) {
				*action = a;
				return &ai.ops[i];
			}
	}
	return NULL;
}

int
ft_ctl_event_text(struct ft_ctl *ctl, const struct ft_event *ev, char *buf, size_t size)
{
	const struct ft_program *prog = ft_pipeline_program(ctl->pipe);
	const char *dname = ft_program_digest_name(prog, ev->id);
	const struct ft_op *op;
	struct line l = {0};
	uint32_t off = 0, action = UINT32_MAX;
	bool known = true;
	int rc;

	for (uint32_t k = 0; k < ctl->n_vocabs; k++) {
		const struct ft_ctl_vocab *vc = ctl->vocabs[k];

		if (vc->event_text != NULL &&
		    (rc = vc->event_text(ctl, vc->arg, ev, buf, size)) > 0)
			return rc;
	}
	line_printf(&l, "digest %s", dname != NULL ? dname : "?");
	op = digest_op(prog, ev->id, &action);
	/* The layout is known when the values of the digest call fill the data exactly. */
	if (op != NULL) {
		for (uint32_t i = 0; i < op->n_list; i++)
			off += (ft_program_ref_width(prog, action, &op->list[i]) + 7) / 8;
		known = off == ev->len && off > 0;
	} else {
		known = false;
	}
	if (known) {
		off = 0;
		for (uint32_t i = 0; i < op->n_list; i++) {
			uint32_t bits = ft_program_ref_width(prog, action, &op->list[i]);
			char name[FT_ERROR_NAME_MAX];

			digest_item_name(prog, &op->list[i], name, sizeof(name));
			line_printf(&l, " %s=", name);
			line_value(&l, "", ev->data + off, bits);
			off += (bits + 7) / 8;
		}
	} else {
		line_printf(&l, " data=");
		for (uint32_t i = 0; i < ev->len && i < sizeof(ev->data); i++)
			line_printf(&l, "%02x", ev->data[i]);
	}
	rc = l.oom ? snprintf(buf, size, "digest %s", dname != NULL ? dname : "?")
	           : snprintf(buf, size, "%s", l.s != NULL ? l.s : "");
	free(l.s);
	return rc;
}
