/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet traces (include/flowtwin/trace.h). Part of model/, the bottom layer.
 *
 * The executor (exec.c) appends records with tr_add() while it runs a traced
 * packet (the record format is in trace_private.h); this file stores them and
 * renders them twice: as an indented tree in the manner of Open vSwitch's
 * ofproto/trace, and as JSON (jansson). Both name what was recorded through
 * the program's read accessors (program.h) and format every value by its
 * width and field name: 48 bits as a MAC, 32-bit addresses as dotted quads,
 * 128 bits as IPv6, up to 16 bits (and ports and VNIs) in decimal, the rest
 * (and EtherTypes and checksums) in hex.
 *
 * Copies. Everything recorded after a REPLICATE record belongs to one copy
 * or another; a copy ends with its OUTPUT or its final DROP. The renderers
 * derive the copies from that sequence.
 *
 * Rendering only reads the records and never trusts them: a record whose ids
 * are out of range for the program, or whose bytes do not match the layout
 * they should have, renders as "#N" or "?" (or raw hex), never as a crash.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include <flowtwin/drop.h>
#include <flowtwin/parse.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/trace.h>

#include "model_private.h"
#include "trace_private.h"

/* --- The record store ------------------------------------------------------ */

#define TR_RECS_MIN 64
#define TR_ARENA_MIN 1024

/* Caller owns the result; free with ft_trace_destroy(). NULL when out of memory. */
struct ft_trace *
ft_trace_create(void)
{
	return calloc(1, sizeof(struct ft_trace));
}

/* Frees 'trace' and its records. NULL does nothing. */
void
ft_trace_destroy(struct ft_trace *trace)
{
	if (trace == NULL)
		return;
	free(trace->recs);
	free(trace->arena);
	free(trace);
}

/* Forgets every record (and a past allocation failure), keeping the memory. */
void
ft_trace_reset(struct ft_trace *trace)
{
	if (trace == NULL)
		return;
	trace->n = 0;
	trace->arena_len = 0;
	trace->oom = 0;
}

uint32_t
ft_trace_len(const struct ft_trace *trace)
{
	return trace != NULL ? trace->n : 0;
}

/* Makes room for one more record. */
static int
recs_grow(struct ft_trace *t)
{
	uint64_t cap = t->cap ? (uint64_t)t->cap * 2 : TR_RECS_MIN;
	struct tr_rec *r;

	if (t->n < t->cap)
		return 0;
	if (cap > UINT32_MAX || cap > SIZE_MAX / sizeof(*r))
		return -ENOMEM;
	r = realloc(t->recs, (size_t)cap * sizeof(*r));
	if (r == NULL)
		return -ENOMEM;
	t->recs = r;
	t->cap = (uint32_t)cap;
	return 0;
}

/* Makes room for 'more' bytes in the arena. */
static int
arena_grow(struct ft_trace *t, uint64_t more)
{
	uint64_t need = (uint64_t)t->arena_len + more;
	uint64_t cap = t->arena_cap ? t->arena_cap : TR_ARENA_MIN;
	uint8_t *a;

	if (need <= t->arena_cap)
		return 0;
	if (need > UINT32_MAX)
		return -ENOMEM;
	while (cap < need)
		cap *= 2;
	if (cap > UINT32_MAX)
		cap = UINT32_MAX;
	a = realloc(t->arena, (size_t)cap);
	if (a == NULL)
		return -ENOMEM;
	t->arena = a;
	t->arena_cap = (uint32_t)cap;
	return 0;
}

static void
arena_put(struct ft_trace *t, const void *blob, uint32_t len, uint32_t *off, uint32_t *out_len)
{
	*off = t->arena_len;
	*out_len = blob != NULL ? len : 0;
	if (*out_len > 0) {
		memcpy(t->arena + t->arena_len, blob, len);
		t->arena_len += len;
	}
}

/*
 * Appends a record; the blobs are borrowed
 * (copied into the arena). On allocation failure sets t->oom; from then on
 * every record is dropped, so that the trace stays a true prefix of what
 * happened.
 */
void
tr_add(struct ft_trace *t, enum tr_kind kind, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
       const void *blob1, uint32_t len1, const void *blob2, uint32_t len2)
{
	struct tr_rec *r;

	if (t == NULL || t->oom)
		return;
	if (blob1 == NULL)
		len1 = 0;
	if (blob2 == NULL)
		len2 = 0;
	if (recs_grow(t) < 0 || arena_grow(t, (uint64_t)len1 + len2) < 0) {
		t->oom = 1;
		return;
	}
	r = &t->recs[t->n++];
	r->kind = (uint16_t)kind;
	r->a = a;
	r->b = b;
	r->c = c;
	r->d = d;
	arena_put(t, blob1, len1, &r->off1, &r->len1);
	arena_put(t, blob2, len2, &r->off2, &r->len2);
}

static const char *const kind_names[] = {
	[TR_PACKET] = "packet", [TR_PARSE] = "parse",	  [TR_CONTROL] = "control",
	[TR_TABLE] = "table",	[TR_DEFAULT] = "default", [TR_ACTION] = "action",
	[TR_COND] = "cond",	[TR_SET] = "set",	  [TR_VALID] = "valid",
	[TR_INVALID] = "invalid", [TR_SEND] = "send",	  [TR_DROP] = "drop",
	[TR_REPLICATE] = "replicate", [TR_MIRROR] = "mirror", [TR_DIGEST] = "digest",
	[TR_LEARN] = "learn",	[TR_COUNT] = "count",	  [TR_DEPARSE] = "deparse",
	[TR_OUTPUT] = "output",
};
/* A new kind in TR_KINDS needs a name above, and a rendering below. */
_Static_assert(ARRAY_SIZE(kind_names) == TR_KIND_COUNT, "tr_kind names out of step");

/* "table", or "?" for an unknown kind. */
const char *
tr_kind_name(enum tr_kind kind)
{
	if ((unsigned int)kind >= TR_KIND_COUNT || kind_names[kind] == NULL)
		return "?";
	return kind_names[kind];
}

/* Blob 1 or 2 of 'r', or NULL (and *len 0) if it lies outside the arena. */
static const uint8_t *
rec_blob(const struct ft_trace *t, const struct tr_rec *r, int which, uint32_t *len)
{
	uint32_t off = which == 1 ? r->off1 : r->off2;
	uint32_t n = which == 1 ? r->len1 : r->len2;

	if (n == 0 || t->arena == NULL || (uint64_t)off + n > t->arena_len) {
		*len = 0;
		return NULL;
	}
	*len = n;
	return t->arena + off;
}

/* --- A growing string -------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Room for 'more' characters and a NUL. A NULL 'sb' takes nothing. */
static bool
sb_reserve(struct sbuf *sb, size_t more)
{
	size_t cap;
	char *p;

	if (sb == NULL || sb->oom)
		return false;
	if (sb->len + more + 1 <= sb->cap)
		return true;
	cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + more + 1) {
		if (cap > SIZE_MAX / 2) {
			sb->oom = true;
			return false;
		}
		cap *= 2;
	}
	p = realloc(sb->p, cap);
	if (p == NULL) {
		sb->oom = true;
		return false;
	}
	sb->p = p;
	sb->cap = cap;
	return true;
}

static void
sb_putn(struct sbuf *sb, const char *s, size_t n)
{
	if (!sb_reserve(sb, n))
		return;
	memcpy(sb->p + sb->len, s, n);
	sb->len += n;
	sb->p[sb->len] = '\0';
}

static void
sb_puts(struct sbuf *sb, const char *s)
{
	sb_putn(sb, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void
sb_printf(struct sbuf *sb, const char *fmt, ...)
{
	char small[128];
	va_list ap;
	int n;

	if (sb == NULL || sb->oom)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		sb_putn(sb, small, (size_t)n);
		return;
	}
	if (!sb_reserve(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->p + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

static void
sb_indent(struct sbuf *sb, unsigned int level)
{
	static const char spaces[] = "                ";

	while (level > 0) {
		unsigned int k = level < sizeof(spaces) - 1 ? level : sizeof(spaces) - 1;

		sb_putn(sb, spaces, k);
		level -= k;
	}
}

/* Bytes as lowercase hex, no separators. */
static void
sb_hex(struct sbuf *sb, const uint8_t *p, uint32_t n)
{
	static const char digits[] = "0123456789abcdef";

	if (n == 0 || !sb_reserve(sb, (size_t)n * 2))
		return;
	for (uint32_t i = 0; i < n; i++) {
		sb->p[sb->len++] = digits[p[i] >> 4];
		sb->p[sb->len++] = digits[p[i] & 15];
	}
	sb->p[sb->len] = '\0';
}

/* "0x0a0b" for raw bytes whose layout is unknown, "?" for none. */
static void
sb_raw(struct sbuf *sb, const uint8_t *p, uint32_t n)
{
	if (p == NULL || n == 0) {
		sb_puts(sb, "?");
		return;
	}
	sb_puts(sb, "0x");
	sb_hex(sb, p, n);
}

static void
sb_clear(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->p != NULL)
		sb->p[0] = '\0';
}

/* The string built so far ("" if none), or NULL if an allocation failed. */
static const char *
sb_str(const struct sbuf *sb)
{
	if (sb->oom)
		return NULL;
	return sb->p != NULL ? sb->p : "";
}

/* --- Names ----------------------------------------------------------------- */

static void
sb_name(struct sbuf *sb, const char *name, uint32_t id)
{
	if (name != NULL)
		sb_puts(sb, name);
	else
		sb_printf(sb, "#%u", id);
}

static const char *
table_name(const struct ft_program *prog, uint32_t id)
{
	struct ft_table_decl d;

	return ft_program_table(prog, id, &d) == 0 ? d.name : NULL;
}

static const char *
action_name(const struct ft_program *prog, uint32_t id)
{
	struct ft_action_info ai;

	return ft_program_action(prog, id, &ai) == 0 ? ai.name : NULL;
}

static const char *
header_name(const struct ft_program *prog, uint32_t id)
{
	struct ft_header_info hi;

	return ft_program_header(prog, id, &hi) == 0 ? hi.name : NULL;
}

static const char *
ctl_name(uint32_t ctl)
{
	switch (ctl) {
	case FT_CTL_INGRESS:
		return "ingress";
	case FT_CTL_EGRESS:
		return "egress";
	default:
		return NULL;
	}
}

/*
 * Whether a DROP names an action: only for the reasons the program decides,
 * and not when no action ran (UINT16_MAX or UINT32_MAX). An id out of range
 * still names one, as "#N".
 */
static bool
drop_has_action(const struct tr_rec *r)
{
	return (r->a == FT_DROP_ACTION || r->a == FT_DROP_NO_OUTPUT) && r->b != UINT32_MAX &&
	       r->b != UINT16_MAX;
}

/* --- Values ---------------------------------------------------------------- */

/* How to show a value: its width and what it is a value of. */
struct vfmt {
	uint32_t bits;
	const char *name;    /* the field's own name ("dst_addr"), or NULL */
	enum ft_proto proto; /* of the header that holds the field */
};

#define VALUE_MAX 64

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

/* A 32-bit value shown as a dotted quad. */
static bool
is_ipv4_addr(const struct vfmt *f)
{
	if (f->proto == FT_PROTO_IPV4 || f->proto == FT_PROTO_ARP)
		return true; /* their only 32-bit fields are addresses */
	return f->name != NULL && (ends_with(f->name, "addr") || ends_with(f->name, "_ip") ||
				   strcasecmp(f->name, "ip") == 0);
}

/* Ports and VNIs read best in decimal whatever their width. */
static bool
is_decimal(const struct vfmt *f)
{
	return f->name != NULL &&
	       (strcasestr(f->name, "port") != NULL || ends_with(f->name, "vni"));
}

/* EtherTypes and checksums read best in hex, with all their digits. */
static bool
is_hex(const struct vfmt *f)
{
	return f->name != NULL && (ends_with(f->name, "type") || ends_with(f->name, "checksum") ||
				   ends_with(f->name, "csum"));
}

/*
 * Formats 'len' bytes at 'v', a value of f->bits bits in ceil(bits / 8)
 * big-endian bytes, into 'out' (VALUE_MAX bytes). "?" when the bytes do not
 * have that length.
 */
static void
value_str(char *out, const uint8_t *v, uint32_t len, const struct vfmt *f)
{
	uint32_t nb = (f->bits + 7) / 8, i;
	uint8_t u[16] = {0};
	uint64_t x = 0;
	int k;

	if (f->bits == 0 || f->bits > 128 || v == NULL || len != nb) {
		strcpy(out, "?");
		return;
	}
	memcpy(u + 16 - nb, v, nb);
	if (f->bits == 48) {
		snprintf(out, VALUE_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", u[10], u[11], u[12],
			 u[13], u[14], u[15]);
		return;
	}
	if (f->bits == 32 && is_ipv4_addr(f)) {
		snprintf(out, VALUE_MAX, "%u.%u.%u.%u", u[12], u[13], u[14], u[15]);
		return;
	}
	if (f->bits == 128) {
		if (inet_ntop(AF_INET6, u, out, VALUE_MAX) == NULL)
			strcpy(out, "?");
		return;
	}
	for (i = 8; i < 16; i++)
		x = x << 8 | u[i];
	if (f->bits <= 64 && is_hex(f)) {
		snprintf(out, VALUE_MAX, "0x%0*llx", (int)nb * 2, (unsigned long long)x);
		return;
	}
	if (f->bits <= 16 || (f->bits <= 64 && is_decimal(f))) {
		snprintf(out, VALUE_MAX, "%llu", (unsigned long long)x);
		return;
	}
	for (i = 0; i < 15 && u[i] == 0; i++)
		;
	k = snprintf(out, VALUE_MAX, "0x%x", u[i]);
	for (i++; i < 16; i++)
		k += snprintf(out + k, VALUE_MAX - (size_t)k, "%02x", u[i]);
}

/*
 * Appends the name of what 'r' designates ("ipv4.dst_addr", "meta.vni",
 * "std.in_port", a parameter of 'action', a header, or a constant's value)
 * to 'sb' (may be NULL) and describes its values in 'f'.
 */
static void
ref_name(struct sbuf *sb, const struct ft_program *prog, uint32_t action, const struct ft_ref *r,
	 struct vfmt *f)
{
	struct ft_header_type_info ti;
	struct ft_metadata_info mi;
	struct ft_header_info hi;
	struct ft_action_info ai;
	char val[VALUE_MAX];

	*f = (struct vfmt){0};
	switch (r->kind) {
	case FT_REF_FIELD:
	case FT_REF_HEADER:
		if (ft_program_header(prog, r->id, &hi) < 0) {
			sb_printf(sb, "#%u", r->id);
			if (r->kind == FT_REF_FIELD)
				sb_printf(sb, ".#%u", r->field);
			return;
		}
		sb_puts(sb, hi.name);
		f->proto = hi.proto;
		if (r->kind == FT_REF_HEADER) {
			f->bits = hi.bytes * 8;
			return;
		}
		if (ft_program_header_type(prog, hi.type, &ti) < 0 || r->field >= ti.n_fields) {
			sb_printf(sb, ".#%u", r->field);
			return;
		}
		sb_printf(sb, ".%s", ti.fields[r->field].name);
		f->name = ti.fields[r->field].name;
		f->bits = ti.fields[r->field].bits;
		return;
	case FT_REF_META:
		sb_puts(sb, "meta.");
		if (ft_program_metadata(prog, r->id, &mi) < 0) {
			sb_printf(sb, "#%u", r->id);
			return;
		}
		sb_puts(sb, mi.name);
		f->name = mi.name;
		f->bits = mi.bits;
		return;
	case FT_REF_STD:
		sb_puts(sb, "std.");
		if (r->id >= FT_STD_COUNT) {
			sb_printf(sb, "#%u", r->id);
			return;
		}
		sb_puts(sb, ft_std_name((enum ft_std)r->id));
		f->name = ft_std_name((enum ft_std)r->id);
		f->bits = ft_std_bits((enum ft_std)r->id);
		return;
	case FT_REF_PARAM:
		if (ft_program_action(prog, action, &ai) < 0 || r->id >= ai.n_params) {
			sb_printf(sb, "#%u", r->id);
			return;
		}
		sb_puts(sb, ai.params[r->id].name);
		f->name = ai.params[r->id].name;
		f->bits = ai.params[r->id].bits;
		return;
	case FT_REF_CONST:
		f->bits = r->width;
		if (r->width == 0 || r->width > 128) {
			sb_puts(sb, "?");
			return;
		}
		value_str(val, r->value + 16 - (r->width + 7) / 8, (r->width + 7) / 8, f);
		sb_puts(sb, val);
		return;
	default:
		sb_puts(sb, "?");
		return;
	}
}

/*
 * A packed list of values (a table key, action data, a digest): what each
 * item is, in order. Items are at most FT_FIELD_BITS_MAX bits and at least
 * one byte, so no layout of the model has more than LAYOUT_MAX.
 */
#define LAYOUT_MAX 128

struct layout {
	const struct ft_ref *items[LAYOUT_MAX];
	struct ft_ref params[LAYOUT_MAX]; /* storage for parameter items */
	uint32_t n;
	uint32_t action; /* for parameter items */
	bool ok;	 /* the layout is known */
};

static void
layout_key(struct layout *l, const struct ft_program *prog, uint32_t table)
{
	struct ft_table_decl d;

	l->n = 0;
	l->action = UINT32_MAX;
	l->ok = ft_program_table(prog, table, &d) == 0 && d.n_keys <= LAYOUT_MAX;
	for (uint32_t i = 0; l->ok && i < d.n_keys; i++)
		l->items[l->n++] = &d.keys[i].ref;
}

static void
layout_params(struct layout *l, const struct ft_program *prog, uint32_t action)
{
	struct ft_action_info ai;

	l->n = 0;
	l->action = action;
	l->ok = ft_program_action(prog, action, &ai) == 0 && ai.n_params <= LAYOUT_MAX;
	for (uint32_t i = 0; l->ok && i < ai.n_params; i++) {
		l->params[i] = ft_ref_param(i);
		l->items[l->n++] = &l->params[i];
	}
}

/* A digest's values are those of the list of its first DIGEST operation. */
static void
layout_digest(struct layout *l, const struct ft_program *prog, uint32_t digest)
{
	struct ft_program_info info;
	struct ft_action_info ai;

	l->n = 0;
	l->ok = false;
	ft_program_info(prog, &info);
	for (uint32_t a = 0; a < info.n_actions && !l->ok; a++) {
		if (ft_program_action(prog, a, &ai) < 0)
			continue;
		for (uint32_t o = 0; o < ai.n_ops && !l->ok; o++) {
			const struct ft_op *op = &ai.ops[o];

			if (op->kind != FT_OP_DIGEST || op->id != digest)
				continue;
			l->ok = true;
			l->action = a;
			/* As the executor: a whole header ends the data. */
			for (uint32_t i = 0; i < op->n_list && i < LAYOUT_MAX; i++) {
				if (op->list[i].kind == FT_REF_HEADER)
					break;
				l->items[l->n++] = &op->list[i];
			}
		}
	}
}

/* Whether 'len' bytes are exactly the layout's. */
static bool
layout_fits(const struct layout *l, const struct ft_program *prog, uint32_t len)
{
	uint64_t total = 0;
	struct vfmt f;

	if (!l->ok)
		return false;
	for (uint32_t i = 0; i < l->n; i++) {
		ref_name(NULL, prog, l->action, l->items[i], &f);
		if (f.bits == 0)
			return false;
		total += (f.bits + 7) / 8;
	}
	return total == len;
}

/*
 * Walks the items of 'l' over the bytes at 'v': calls 'fn' with each item's
 * name (NULL for a constant) and formatted value. The bytes must fit
 * (layout_fits()).
 */
typedef void (*item_fn)(void *arg, const char *name, const char *value);

static void
layout_walk(const struct layout *l, const struct ft_program *prog, const uint8_t *v,
	    struct sbuf *name, item_fn fn, void *arg)
{
	char val[VALUE_MAX];
	uint32_t off = 0;
	struct vfmt f;

	for (uint32_t i = 0; i < l->n; i++) {
		const struct ft_ref *r = l->items[i];
		uint32_t nb;

		sb_clear(name);
		ref_name(r->kind == FT_REF_CONST ? NULL : name, prog, l->action, r, &f);
		nb = (f.bits + 7) / 8;
		value_str(val, v + off, nb, &f);
		off += nb;
		fn(arg, r->kind == FT_REF_CONST ? NULL : sb_str(name), val);
	}
}

/* --- Conditions ------------------------------------------------------------ */

/* Deep enough for any condition a person writes; a DAG could be exponential. */
#define COND_DEPTH_MAX 8

static const char *const cmp_ops[] = {
	[FT_CMP_EQ] = "==", [FT_CMP_NE] = "!=", [FT_CMP_LT] = "<",
	[FT_CMP_LE] = "<=", [FT_CMP_GT] = ">",	[FT_CMP_GE] = ">=",
};

/* One side of a comparison; a constant is shown in the manner of the other side. */
static void
operand_put(struct sbuf *sb, const struct ft_program *prog, const struct ft_ref *r,
	    const struct ft_ref *other)
{
	struct vfmt f, g;
	char val[VALUE_MAX];
	uint32_t nb;

	if (r->kind != FT_REF_CONST) {
		ref_name(sb, prog, UINT32_MAX, r, &f);
		return;
	}
	ref_name(NULL, prog, UINT32_MAX, other, &g);
	f = (struct vfmt){.bits = r->width, .name = g.name, .proto = g.proto};
	nb = (r->width + 7) / 8;
	if (nb == 0 || nb > 16) {
		sb_puts(sb, "?");
		return;
	}
	value_str(val, r->value + 16 - nb, nb, &f);
	sb_puts(sb, val);
}

static void cond_put(struct sbuf *sb, const struct ft_program *prog, uint32_t id,
		     unsigned int depth);

/* An operand of && or ||: parenthesized when it is itself an && or ||. */
static void
cond_sub(struct sbuf *sb, const struct ft_program *prog, uint32_t id, unsigned int depth)
{
	struct ft_cond cd;
	bool paren = ft_program_cond(prog, id, &cd) == 0 &&
		     (cd.kind == FT_COND_AND || cd.kind == FT_COND_OR);

	if (paren)
		sb_puts(sb, "(");
	cond_put(sb, prog, id, depth);
	if (paren)
		sb_puts(sb, ")");
}

/* "ipv4 is valid", "meta.vni == 5000", "!(vxlan is valid)", "(a || b) && c". */
static void
cond_put(struct sbuf *sb, const struct ft_program *prog, uint32_t id, unsigned int depth)
{
	struct ft_cond cd;

	if (depth > COND_DEPTH_MAX) {
		sb_puts(sb, "...");
		return;
	}
	if (ft_program_cond(prog, id, &cd) < 0) {
		sb_printf(sb, "#%u", id);
		return;
	}
	switch (cd.kind) {
	case FT_COND_VALID:
		sb_name(sb, header_name(prog, cd.hdr), cd.hdr);
		sb_puts(sb, " is valid");
		return;
	case FT_COND_CMP:
		operand_put(sb, prog, &cd.a, &cd.b);
		sb_printf(sb, " %s ",
			  (unsigned int)cd.cmp < ARRAY_SIZE(cmp_ops) ? cmp_ops[cd.cmp] : "?");
		operand_put(sb, prog, &cd.b, &cd.a);
		return;
	case FT_COND_NOT:
		sb_puts(sb, "!(");
		cond_put(sb, prog, cd.l, depth + 1);
		sb_puts(sb, ")");
		return;
	case FT_COND_AND:
	case FT_COND_OR:
		cond_sub(sb, prog, cd.l, depth + 1);
		sb_puts(sb, cd.kind == FT_COND_AND ? " && " : " || ");
		cond_sub(sb, prog, cd.r, depth + 1);
		return;
	default:
		sb_puts(sb, "?");
		return;
	}
}

/* --- Copies ---------------------------------------------------------------- */

struct shape {
	uint32_t copy;	    /* 0 outside a copy, else the copy's number from 1 */
	bool start;	    /* the first record of its copy */
	uint32_t port, rid; /* at a start: the member, UINT32_MAX when not recorded */
};

/*
 * A DROP is either the packet's verdict or a drop_packet() call inside an
 * action; exec.c marks the latter with c = 1 (d = 1 is taken to mean the
 * same).
 */
static bool
is_final_drop(const struct tr_rec *r)
{
	return r->kind == TR_DROP && r->c == 0 && r->d == 0;
}

/* The member a copy starting at record i is for: its egress CONTROL, else its OUTPUT. */
static void
copy_member(const struct ft_trace *t, uint32_t i, struct shape *s)
{
	s->port = s->rid = UINT32_MAX;
	for (; i < t->n; i++) {
		const struct tr_rec *r = &t->recs[i];

		if (r->kind == TR_CONTROL && r->a == FT_CTL_EGRESS) {
			s->port = r->c;
			s->rid = r->b;
			return;
		}
		if (r->kind == TR_OUTPUT) {
			s->port = r->a;
			s->rid = r->c;
			return;
		}
		if (is_final_drop(r) || r->kind == TR_PACKET || r->kind == TR_REPLICATE)
			return;
	}
}

/* Which records belong to which copy. Caller frees the result; NULL when out of memory. */
static struct shape *
shape_compute(const struct ft_trace *t)
{
	struct shape *sh = calloc(t->n ? t->n : 1, sizeof(*sh));
	bool rep = false, open = false;
	uint32_t copy = 0;

	if (sh == NULL)
		return NULL;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct tr_rec *r = &t->recs[i];

		if (r->kind == TR_PACKET)
			rep = false;
		if (r->kind == TR_REPLICATE) {
			rep = true;
			open = false;
			copy = 0;
			continue;
		}
		if (!rep)
			continue;
		if (!open) {
			open = true;
			sh[i].start = true;
			copy_member(t, i, &sh[i]);
			copy++;
		}
		sh[i].copy = copy;
		if (r->kind == TR_OUTPUT || is_final_drop(r))
			open = false;
	}
	return sh;
}

/* --- Text ------------------------------------------------------------------ */

struct text {
	struct sbuf sb;
	const struct ft_program *prog;
	const struct ft_trace *t;
	struct layout lay;
	struct sbuf tmp;
};

/* Starts a line at 'level' (one space per level). */
static void
line(struct text *x, unsigned int level)
{
	sb_indent(&x->sb, level);
}

static void
line_end(struct text *x)
{
	sb_puts(&x->sb, "\n");
}

/* A blank line, unless at the start or after one. */
static void
blank(struct text *x)
{
	const struct sbuf *sb = &x->sb;

	if (sb->len == 0 || sb->oom || (sb->len >= 2 && sb->p[sb->len - 2] == '\n'))
		return;
	sb_puts(&x->sb, "\n");
}

struct item_text {
	struct sbuf *sb;
	const char *sep;
	uint32_t i;
};

static void
item_text(void *arg, const char *name, const char *value)
{
	struct item_text *it = arg;

	if (it->i++ > 0)
		sb_puts(it->sb, it->sep);
	if (name != NULL)
		sb_printf(it->sb, "%s=", name);
	sb_puts(it->sb, value);
}

/* The values of a layout "a=1, b=2", or raw hex when the bytes do not fit it. */
static void
text_values(struct text *x, const uint8_t *v, uint32_t len)
{
	struct item_text it = {.sb = &x->sb, .sep = ", "};

	if (!layout_fits(&x->lay, x->prog, len)) {
		sb_raw(&x->sb, v, len);
		return;
	}
	layout_walk(&x->lay, x->prog, v, &x->tmp, item_text, &it);
}

/* "vxlan_encap(dst=02:00:00:00:00:01, port=1)". */
static void
text_call(struct text *x, uint32_t action, const uint8_t *v, uint32_t len)
{
	sb_name(&x->sb, action_name(x->prog, action), action);
	sb_puts(&x->sb, "(");
	layout_params(&x->lay, x->prog, action);
	if (len > 0 || !layout_fits(&x->lay, x->prog, 0))
		text_values(x, v, len);
	sb_puts(&x->sb, ")");
}

/* "table fwd: ethernet.dst_addr=02:00:00:00:00:01" (no colon for a table without key). */
static void
text_key(struct text *x, uint32_t table, const uint8_t *v, uint32_t len)
{
	sb_name(&x->sb, table_name(x->prog, table), table);
	layout_key(&x->lay, x->prog, table);
	if (len == 0 && layout_fits(&x->lay, x->prog, 0))
		return;
	sb_puts(&x->sb, ": ");
	text_values(x, v, len);
}

static const char *const parse_flag_names[] = {
	"frag", "ipv6_ext", "inner_frag", "inner_ipv6_ext", "ipv4_opt", "inner_ipv4_opt",
};

static void
text_parse(struct text *x, const struct tr_rec *r)
{
	uint32_t k = 0;

	sb_puts(&x->sb, "Parse:");
	for (uint32_t l = 0; l < 32; l++) {
		if (!(r->a & (1u << l)))
			continue;
		if (l < FT_L_COUNT)
			sb_printf(&x->sb, " %s", ft_layer_name((enum ft_layer)l));
		else
			sb_printf(&x->sb, " #%u", l);
		k++;
	}
	if (k == 0)
		sb_puts(&x->sb, " (none)");
	if (r->b != FT_DROP_NONE)
		sb_printf(&x->sb, ", stopped: %s (%s)", ft_drop_sentence(r->b), ft_drop_name(r->b));
	else
		sb_printf(&x->sb, ", payload at %u", r->c);
	if (r->d != 0) {
		sb_puts(&x->sb, ", flags");
		k = 0;
		for (uint32_t f = 0; f < 32; f++) {
			if (!(r->d & (1u << f)))
				continue;
			sb_puts(&x->sb, k++ ? "," : " ");
			if (f < ARRAY_SIZE(parse_flag_names))
				sb_puts(&x->sb, parse_flag_names[f]);
			else
				sb_printf(&x->sb, "#%u", f);
		}
	}
}

static void
text_drop(struct text *x, const struct tr_rec *r)
{
	sb_printf(&x->sb, "Drop: %s", ft_drop_sentence(r->a));
	if (drop_has_action(r)) {
		sb_puts(&x->sb, r->a == FT_DROP_ACTION ? " '" : " after action '");
		sb_name(&x->sb, action_name(x->prog, r->b), r->b);
		sb_puts(&x->sb, "'");
	}
	sb_printf(&x->sb, " (%s)", ft_drop_name(r->a));
}

static void
text_set(struct text *x, const struct tr_rec *r)
{
	struct ft_ref ref = {.kind = (enum ft_ref_kind)r->a, .id = r->b, .field = r->c};
	char old[VALUE_MAX], now[VALUE_MAX];
	const uint8_t *v1, *v2;
	uint32_t n1, n2;
	struct vfmt f;

	v1 = rec_blob(x->t, r, 1, &n1);
	v2 = rec_blob(x->t, r, 2, &n2);
	if (ref.kind == FT_REF_CONST)
		ref.kind = FT_REF_NONE; /* a constant is no destination */
	ref_name(&x->sb, x->prog, UINT32_MAX, &ref, &f);
	f.bits = r->d;
	value_str(old, v1, n1, &f);
	value_str(now, v2, n2, &f);
	sb_printf(&x->sb, ": %s -> %s", old, now);
}

static void
text_digest(struct text *x, const struct tr_rec *r)
{
	const uint8_t *v;
	uint32_t n;

	v = rec_blob(x->t, r, 1, &n);
	sb_puts(&x->sb, "digest ");
	sb_name(&x->sb, ft_program_digest_name(x->prog, r->a), r->a);
	sb_puts(&x->sb, "(");
	layout_digest(&x->lay, x->prog, r->a);
	text_values(x, v, n);
	sb_puts(&x->sb, ")");
}

static void
text_learn(struct text *x, const struct tr_rec *r)
{
	const uint8_t *k, *v;
	uint32_t nk, nv;

	k = rec_blob(x->t, r, 1, &nk);
	v = rec_blob(x->t, r, 2, &nv);
	sb_puts(&x->sb, "learn into ");
	text_key(x, r->a, k, nk);
	sb_puts(&x->sb, " -> ");
	if (r->c) {
		text_call(x, r->b, v, nv);
	} else {
		sb_name(&x->sb, action_name(x->prog, r->b), r->b);
		sb_puts(&x->sb, ": lost (learn ring full)");
	}
}

/*
 * One record, as one line (two for a table). Sections start at 'base' (2
 * inside a copy), a control's nodes at base + 1, and the effects of the
 * action running now at *eff, which the record may move.
 */
static void
text_rec(struct text *x, const struct tr_rec *r, unsigned int base, unsigned int *eff)
{
	const uint8_t *v;
	uint32_t n;

	switch (r->kind) {
	case TR_PACKET:
		line(x, base);
		sb_printf(&x->sb, "Packet: in_port %u, %u bytes", r->a, r->b);
		break;
	case TR_PARSE:
		line(x, base);
		text_parse(x, r);
		break;
	case TR_CONTROL:
		line(x, base);
		sb_name(&x->sb, ctl_name(r->a), r->a);
		*eff = base + 2;
		break;
	case TR_TABLE:
	case TR_DEFAULT:
		line(x, base + 1);
		sb_puts(&x->sb, "table ");
		v = rec_blob(x->t, r, 1, &n);
		text_key(x, r->a, v, n);
		line_end(x);
		line(x, base + 2);
		if (r->kind == TR_TABLE)
			sb_printf(&x->sb, "-> hit, entry #%u: ", r->c);
		else
			sb_puts(&x->sb, "-> miss, default action ");
		v = rec_blob(x->t, r, 2, &n);
		text_call(x, r->d, v, n);
		*eff = base + 3;
		break;
	case TR_ACTION:
		line(x, base + 1);
		sb_puts(&x->sb, "run ");
		v = rec_blob(x->t, r, 1, &n);
		text_call(x, r->a, v, n);
		*eff = base + 2;
		break;
	case TR_COND:
		line(x, base + 1);
		sb_puts(&x->sb, "if ");
		cond_put(&x->sb, x->prog, r->a, 0);
		sb_puts(&x->sb, r->b ? ": true" : ": false");
		*eff = base + 2;
		break;
	case TR_SET:
		line(x, *eff);
		text_set(x, r);
		break;
	case TR_VALID:
	case TR_INVALID:
		line(x, *eff);
		sb_name(&x->sb, header_name(x->prog, r->a), r->a);
		sb_puts(&x->sb, r->kind == TR_VALID ? ": set valid" : ": set invalid");
		break;
	case TR_SEND:
		line(x, *eff);
		sb_printf(&x->sb, "send_to_port(%u)", r->a);
		break;
	case TR_DROP:
		if (!is_final_drop(r)) {
			line(x, *eff);
			sb_puts(&x->sb, "drop_packet()");
			break;
		}
		line(x, base);
		text_drop(x, r);
		break;
	case TR_REPLICATE:
		line(x, base);
		sb_printf(&x->sb, "Replicate to group %u (%u member%s)", r->a, r->b,
			  r->b == 1 ? "" : "s");
		break;
	case TR_MIRROR:
		line(x, base);
		if (r->b == UINT32_MAX)
			sb_printf(&x->sb, "Mirror: session %u disabled", r->a);
		else
			sb_printf(&x->sb, "Mirror: session %u to port %u", r->a, r->b);
		break;
	case TR_DIGEST:
		line(x, *eff);
		text_digest(x, r);
		break;
	case TR_LEARN:
		line(x, *eff);
		text_learn(x, r);
		break;
	case TR_COUNT:
		line(x, *eff);
		sb_puts(&x->sb, "count ");
		sb_name(&x->sb, ft_program_counter_name(x->prog, r->a), r->a);
		sb_printf(&x->sb, "[%u]", r->b);
		break;
	case TR_DEPARSE:
		line(x, base);
		sb_printf(&x->sb, "Deparse: %u header%s, %u bytes", r->a, r->a == 1 ? "" : "s",
			  r->b);
		break;
	case TR_OUTPUT:
		line(x, base);
		sb_printf(&x->sb, "Output: port %u, %u bytes", r->a, r->b);
		if (r->c != 0)
			sb_printf(&x->sb, ", rid %u", r->c);
		break;
	default:
		line(x, base);
		sb_printf(&x->sb, "? record #%u (%u, %u, %u, %u)", r->kind, r->a, r->b, r->c, r->d);
		break;
	}
	line_end(x);
}

/* Records that stand on their own rather than inside a control. */
static bool
is_section(const struct tr_rec *r)
{
	switch (r->kind) {
	case TR_PACKET:
	case TR_PARSE:
	case TR_CONTROL:
	case TR_DEPARSE:
	case TR_OUTPUT:
	case TR_REPLICATE:
	case TR_MIRROR:
		return true;
	case TR_DROP:
		return is_final_drop(r);
	default:
		return r->kind >= TR_KIND_COUNT;
	}
}

/*
 * Renders 'trace' as an indented tree, names from 'pipe''s program (NULL:
 * ids only). Caller owns the result; free with free(). NULL when out of
 * memory.
 */
char *
ft_trace_text(const struct ft_trace *trace, const struct ft_pipeline *pipe)
{
	static const struct ft_trace empty;
	const struct ft_trace *t = trace != NULL ? trace : &empty;
	struct text x = {.prog = pipe != NULL ? ft_pipeline_program(pipe) : NULL, .t = t};
	struct shape *sh = shape_compute(t);
	bool in_ctl = false;
	unsigned int eff = 2;

	if (sh == NULL)
		return NULL;
	for (uint32_t i = 0; i < t->n && !x.sb.oom; i++) {
		const struct tr_rec *r = &t->recs[i];
		unsigned int base = sh[i].copy ? 2 : 0;

		if (sh[i].start) {
			line(&x, 1);
			sb_printf(&x.sb, "copy %u", sh[i].copy);
			if (sh[i].port != UINT32_MAX)
				sb_printf(&x.sb, ": port %u, rid %u", sh[i].port, sh[i].rid);
			line_end(&x);
			in_ctl = false;
			eff = base + 2;
		}
		if (is_section(r) && in_ctl) {
			if (!sh[i].copy)
				blank(&x);
			in_ctl = false;
		}
		if (r->kind == TR_CONTROL) {
			if (!sh[i].copy)
				blank(&x);
			in_ctl = true;
		}
		text_rec(&x, r, base, &eff);
	}
	if (t->oom)
		sb_puts(&x.sb, "(trace truncated: out of memory)\n");
	free(sh);
	free(x.tmp.p);
	if (sb_str(&x.sb) == NULL) {
		free(x.sb.p);
		return NULL;
	}
	if (x.sb.p == NULL)
		return strdup("");
	return x.sb.p;
}

/* --- JSON ------------------------------------------------------------------ */

struct js {
	const struct ft_program *prog;
	const struct ft_trace *t;
	struct layout lay;
	struct sbuf tmp, name;
	bool fail; /* an allocation failed */
};

/* Sets o[key] = v, taking 'v'; records a failure (either NULL, or no memory). */
static void
jset(struct js *j, json_t *o, const char *key, json_t *v)
{
	if (o == NULL || v == NULL || json_object_set_new(o, key, v) < 0) {
		if (o == NULL)
			json_decref(v);
		j->fail = true;
	}
}

static void
jappend(struct js *j, json_t *a, json_t *v)
{
	if (a == NULL || v == NULL || json_array_append_new(a, v) < 0) {
		if (a == NULL)
			json_decref(v);
		j->fail = true;
	}
}

/* A string from the scratch buffer. */
static json_t *
jtmp(struct js *j)
{
	const char *s = sb_str(&j->tmp);

	return s != NULL ? json_stringn(s, j->tmp.len) : NULL;
}

/* A name, or "#N" for an id out of range. */
static json_t *
jname(struct js *j, const char *name, uint32_t id)
{
	sb_clear(&j->tmp);
	sb_name(&j->tmp, name, id);
	return jtmp(j);
}

static json_t *
jhex(struct js *j, const uint8_t *p, uint32_t n)
{
	sb_clear(&j->tmp);
	sb_hex(&j->tmp, p, n);
	return jtmp(j);
}

struct item_json {
	struct js *j;
	json_t *out; /* an object, or an array for nameless values */
};

static void
item_json(void *arg, const char *name, const char *value)
{
	struct item_json *it = arg;

	if (json_is_array(it->out))
		jappend(it->j, it->out, json_string(value));
	else if (name != NULL)
		jset(it->j, it->out, name, json_string(value));
	else
		it->j->fail = true; /* never: only digests carry constants */
}

/*
 * The values of j->lay over 'v' as {"name": "value"} (as_list: ["value"]);
 * when the bytes do not fit the layout, {"?": "0x.."} (["0x.."]).
 */
static json_t *
json_values(struct js *j, const uint8_t *v, uint32_t len, bool as_list)
{
	json_t *o = as_list ? json_array() : json_object();
	struct item_json it = {.j = j, .out = o};

	if (!layout_fits(&j->lay, j->prog, len)) {
		sb_clear(&j->tmp);
		sb_raw(&j->tmp, v, len);
		if (as_list)
			jappend(j, o, jtmp(j));
		else
			jset(j, o, "?", jtmp(j));
		return o;
	}
	layout_walk(&j->lay, j->prog, v, &j->name, item_json, &it);
	if (j->name.oom)
		j->fail = true;
	return o;
}

static json_t *
json_key(struct js *j, uint32_t table, const uint8_t *v, uint32_t len)
{
	layout_key(&j->lay, j->prog, table);
	return json_values(j, v, len, false);
}

static json_t *
json_params(struct js *j, uint32_t action, const uint8_t *v, uint32_t len)
{
	layout_params(&j->lay, j->prog, action);
	return json_values(j, v, len, false);
}

static void
json_packet(struct js *j, json_t *o, const struct tr_rec *r)
{
	const uint8_t *v;
	uint32_t n;

	v = rec_blob(j->t, r, 1, &n);
	jset(j, o, "in_port", json_integer(r->a));
	jset(j, o, "len", json_integer(r->b));
	jset(j, o, "hex", jhex(j, v, n));
}

static void
json_parse(struct js *j, json_t *o, const struct tr_rec *r)
{
	json_t *layers = json_array(), *flags = json_array();

	for (uint32_t l = 0; l < 32; l++)
		if (r->a & (1u << l))
			jappend(j, layers,
				l < FT_L_COUNT ? json_string(ft_layer_name((enum ft_layer)l))
					       : jname(j, NULL, l));
	for (uint32_t f = 0; f < 32; f++)
		if (r->d & (1u << f))
			jappend(j, flags,
				f < ARRAY_SIZE(parse_flag_names) ? json_string(parse_flag_names[f])
								 : jname(j, NULL, f));
	jset(j, o, "layers", layers);
	jset(j, o, "payload", json_integer(r->c));
	jset(j, o, "drop", r->b != FT_DROP_NONE ? json_string(ft_drop_name(r->b)) : json_null());
	jset(j, o, "flags", flags);
}

/* {"reason": "action", "sentence": "dropped by action", "action": "drop" or null}. */
static void
json_drop(struct js *j, json_t *o, const struct tr_rec *r)
{
	jset(j, o, "reason", json_string(ft_drop_name(r->a)));
	jset(j, o, "sentence", json_string(ft_drop_sentence(r->a)));
	jset(j, o, "action",
	     drop_has_action(r) ? jname(j, action_name(j->prog, r->b), r->b) : json_null());
}

static void
json_set(struct js *j, json_t *o, const struct tr_rec *r)
{
	struct ft_ref ref = {.kind = (enum ft_ref_kind)r->a, .id = r->b, .field = r->c};
	char val[VALUE_MAX];
	const uint8_t *v;
	uint32_t n;
	struct vfmt f;

	if (ref.kind == FT_REF_CONST)
		ref.kind = FT_REF_NONE;
	sb_clear(&j->tmp);
	ref_name(&j->tmp, j->prog, UINT32_MAX, &ref, &f);
	jset(j, o, "field", jtmp(j));
	f.bits = r->d;
	v = rec_blob(j->t, r, 1, &n);
	value_str(val, v, n, &f);
	jset(j, o, "old", json_string(val));
	v = rec_blob(j->t, r, 2, &n);
	value_str(val, v, n, &f);
	jset(j, o, "new", json_string(val));
}

/* One step: {"kind": ..., then what the kind records}. */
static json_t *
json_rec(struct js *j, const struct tr_rec *r)
{
	json_t *o = json_object();
	const uint8_t *v;
	uint32_t n;

	jset(j, o, "kind", json_string(r->kind == TR_DEFAULT ? "table" : tr_kind_name(r->kind)));
	switch (r->kind) {
	case TR_PACKET:
		json_packet(j, o, r);
		break;
	case TR_PARSE:
		json_parse(j, o, r);
		break;
	case TR_CONTROL:
		jset(j, o, "control", jname(j, ctl_name(r->a), r->a));
		break;
	case TR_TABLE:
	case TR_DEFAULT:
		jset(j, o, "table", jname(j, table_name(j->prog, r->a), r->a));
		v = rec_blob(j->t, r, 1, &n);
		jset(j, o, "key", json_key(j, r->a, v, n));
		jset(j, o, "hit", json_boolean(r->kind == TR_TABLE));
		jset(j, o, "entry", r->kind == TR_TABLE ? json_integer(r->c) : json_null());
		jset(j, o, "action", jname(j, action_name(j->prog, r->d), r->d));
		v = rec_blob(j->t, r, 2, &n);
		jset(j, o, "params", json_params(j, r->d, v, n));
		break;
	case TR_ACTION:
		jset(j, o, "action", jname(j, action_name(j->prog, r->a), r->a));
		v = rec_blob(j->t, r, 1, &n);
		jset(j, o, "params", json_params(j, r->a, v, n));
		break;
	case TR_COND:
		sb_clear(&j->tmp);
		cond_put(&j->tmp, j->prog, r->a, 0);
		jset(j, o, "cond", jtmp(j));
		jset(j, o, "result", json_boolean(r->b != 0));
		break;
	case TR_SET:
		json_set(j, o, r);
		break;
	case TR_VALID:
	case TR_INVALID:
		jset(j, o, "header", jname(j, header_name(j->prog, r->a), r->a));
		break;
	case TR_SEND:
		jset(j, o, "port", json_integer(r->a));
		break;
	case TR_DROP:
		json_drop(j, o, r);
		jset(j, o, "final", json_boolean(is_final_drop(r)));
		break;
	case TR_REPLICATE:
		jset(j, o, "group", json_integer(r->a));
		jset(j, o, "members", json_integer(r->b));
		break;
	case TR_MIRROR:
		jset(j, o, "session", json_integer(r->a));
		jset(j, o, "port", r->b == UINT32_MAX ? json_null() : json_integer(r->b));
		break;
	case TR_DIGEST:
		jset(j, o, "digest", jname(j, ft_program_digest_name(j->prog, r->a), r->a));
		layout_digest(&j->lay, j->prog, r->a);
		v = rec_blob(j->t, r, 1, &n);
		jset(j, o, "values", json_values(j, v, n, true));
		break;
	case TR_LEARN:
		jset(j, o, "table", jname(j, table_name(j->prog, r->a), r->a));
		v = rec_blob(j->t, r, 1, &n);
		jset(j, o, "key", json_key(j, r->a, v, n));
		jset(j, o, "action", jname(j, action_name(j->prog, r->b), r->b));
		v = rec_blob(j->t, r, 2, &n);
		jset(j, o, "params", r->c ? json_params(j, r->b, v, n) : json_null());
		jset(j, o, "queued", json_boolean(r->c != 0));
		break;
	case TR_COUNT:
		jset(j, o, "counter", jname(j, ft_program_counter_name(j->prog, r->a), r->a));
		jset(j, o, "index", json_integer(r->b));
		break;
	case TR_DEPARSE:
		jset(j, o, "headers", json_integer(r->a));
		jset(j, o, "len", json_integer(r->b));
		break;
	case TR_OUTPUT:
		jset(j, o, "port", json_integer(r->a));
		jset(j, o, "len", json_integer(r->b));
		jset(j, o, "rid", json_integer(r->c));
		break;
	default:
		jset(j, o, "record", json_integer(r->kind));
		break;
	}
	return o;
}

static json_t *
json_copy_step(struct js *j, const struct shape *s)
{
	json_t *o = json_object();

	jset(j, o, "kind", json_string("copy"));
	jset(j, o, "copy", json_integer(s->copy));
	jset(j, o, "port", s->port != UINT32_MAX ? json_integer(s->port) : json_null());
	jset(j, o, "rid", s->rid != UINT32_MAX ? json_integer(s->rid) : json_null());
	return o;
}

/*
 * Renders 'trace' as JSON, names from 'pipe''s program (NULL: ids only):
 *
 *   {"packet": {"in_port", "len", "hex"} or null,
 *    "parse": {"layers", "payload", "drop", "flags"} or null,
 *    "steps": [{"kind": ..., ...}, ...],  every other record in order;
 *             those of a copy carry "copy": N, after a {"kind": "copy"} step
 *    "outputs": [{"port", "len", "rid", "hex"}, ...],
 *    "drop": {"reason", "sentence", "action"} or null,  the packet's verdict
 *    "truncated": false}
 *
 * Caller owns the result; free with free(). NULL when out of memory.
 */
char *
ft_trace_json(const struct ft_trace *trace, const struct ft_pipeline *pipe)
{
	static const struct ft_trace empty;
	const struct ft_trace *t = trace != NULL ? trace : &empty;
	struct js j = {.prog = pipe != NULL ? ft_pipeline_program(pipe) : NULL, .t = t};
	json_t *root = json_object(), *packet = NULL, *parse = NULL, *drop = NULL;
	json_t *steps = json_array(), *outputs = json_array();
	struct shape *sh = shape_compute(t);
	char *s = NULL;

	for (uint32_t i = 0; sh != NULL && i < t->n && !j.fail; i++) {
		const struct tr_rec *r = &t->recs[i];
		const uint8_t *v;
		json_t *step;
		uint32_t n;

		if (sh[i].copy == 0 && r->kind == TR_PACKET && packet == NULL) {
			packet = json_object();
			json_packet(&j, packet, r);
			continue;
		}
		if (sh[i].copy == 0 && r->kind == TR_PARSE && parse == NULL) {
			parse = json_object();
			json_parse(&j, parse, r);
			continue;
		}
		if (sh[i].start)
			jappend(&j, steps, json_copy_step(&j, &sh[i]));
		step = json_rec(&j, r);
		if (sh[i].copy != 0)
			jset(&j, step, "copy", json_integer(sh[i].copy));
		jappend(&j, steps, step);
		if (r->kind == TR_OUTPUT) {
			json_t *o = json_object();

			v = rec_blob(t, r, 1, &n);
			jset(&j, o, "port", json_integer(r->a));
			jset(&j, o, "len", json_integer(r->b));
			jset(&j, o, "rid", json_integer(r->c));
			jset(&j, o, "hex", jhex(&j, v, n));
			jappend(&j, outputs, o);
		}
		if (sh[i].copy == 0 && is_final_drop(r)) {
			json_decref(drop);
			drop = json_object();
			json_drop(&j, drop, r);
		}
	}
	jset(&j, root, "packet", packet != NULL ? packet : json_null());
	jset(&j, root, "parse", parse != NULL ? parse : json_null());
	jset(&j, root, "steps", steps);
	jset(&j, root, "outputs", outputs);
	jset(&j, root, "drop", drop != NULL ? drop : json_null());
	jset(&j, root, "truncated", json_boolean(t->oom));
	if (sh != NULL && !j.fail && !j.tmp.oom)
		s = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(root);
	free(sh);
	free(j.tmp.p);
	free(j.name.p);
	return s;
}
