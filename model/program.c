/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The pipeline IR and its builder (include/flowtwin/program.h). Part of
 * model/, the bottom layer (shared/DESIGN.md): the P4 front end and tests
 * build programs with it; ft_pipeline_create(), the offload compiler, tools
 * and traces read them back, only through the accessors at the end of this
 * file.
 *
 * A program is plain data: growable arrays of header types, header instances,
 * metadata fields, actions, tables, counters, digests, conditions and the
 * nodes of each control, with every name and array copied in. Each check
 * below looks at one object and at what was added before it (objects are
 * numbered in the order they are added), so ft_program_add_*() runs it on the
 * new object before touching the program: a rejected add leaves the program
 * as it was, and an allocation failure too. ft_program_validate() runs the
 * same checks on every object again, and adds the one that needs the finished
 * program: node successors exist. The checks use the parser's protocol tables
 * (parse.c) for the layer and size of parsed headers.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/program.h>

#include "model_private.h"
#include "program_private.h"

#define GROUPS_DEFAULT  1024
#define MIRRORS_DEFAULT 16
#define VALUE_BITS_MAX  64 /* widest value arithmetic and ports accept */
#define MSG_SIZE        FT_ERROR_MSG_MAX
#define BYTES(bits)     (((bits) + 7) / 8)

struct htype {
	const char *name;
	struct ft_field_decl *fields; /* names owned */
	uint32_t *offsets;            /* bit offset of each field */
	uint32_t n_fields;
	uint32_t bytes;
};

struct header {
	const char *name;
	uint32_t type;
	enum ft_proto proto;
	enum ft_layer layer;
};

struct meta {
	const char *name;
	uint32_t bits;
};

struct action {
	const char *name;
	struct ft_param_decl *params; /* names owned */
	uint32_t n_params;
	struct ft_op *ops; /* lists owned */
	uint32_t n_ops;
	uint32_t data_size;
	bool learns; /* has an FT_OP_LEARN */
};

struct table {
	struct ft_table_decl decl; /* first: its name is the table's; pointers owned */
	uint32_t key_size;
	struct ft_entry *entries; /* the program's own; key, mask and data owned */
	uint32_t n_entries, cap_entries;
};

struct counter {
	const char *name;
	uint32_t size;
};

struct digest {
	const char *name;
};

struct node {
	struct ft_node n; /* on_action owned */
};

struct ft_program {
	const char *name;
	struct htype *types;
	uint32_t n_types, cap_types;
	struct header *headers;
	uint32_t n_headers, cap_headers;
	struct meta *meta;
	uint32_t n_meta, cap_meta;
	struct action *actions;
	uint32_t n_actions, cap_actions;
	struct table *tables;
	uint32_t n_tables, cap_tables;
	struct counter *counters;
	uint32_t n_counters, cap_counters;
	struct digest *digests;
	uint32_t n_digests, cap_digests;
	struct ft_cond *conds;
	uint32_t n_conds, cap_conds;
	struct node *nodes[FT_CTL_COUNT];
	uint32_t n_nodes[FT_CTL_COUNT], cap_nodes[FT_CTL_COUNT];
	uint32_t *emit;
	uint32_t n_emit;
	uint16_t vxlan_ports[FT_PARSE_VXLAN_PORTS_MAX];
	uint32_t n_vxlan_ports;
	uint32_t n_groups, n_mirrors;
};

static const char *const std_names[FT_STD_COUNT] = {
#define STD_NAME(e, name, bits) [FT_STD_##e] = name,
	FT_STD_FIELDS(STD_NAME)
#undef STD_NAME
};

static const uint32_t std_bits[FT_STD_COUNT] = {
#define STD_BITS(e, name, bits) [FT_STD_##e] = bits,
	FT_STD_FIELDS(STD_BITS)
#undef STD_BITS
};

const char *
ft_std_name(enum ft_std std)
{
	return (unsigned int)std < FT_STD_COUNT ? std_names[std] : NULL;
}

uint32_t
ft_std_bits(enum ft_std std)
{
	return (unsigned int)std < FT_STD_COUNT ? std_bits[std] : 0;
}

static const char *const op_names[] = {
	[FT_OP_SET] = "set",
	[FT_OP_ADD] = "add",
	[FT_OP_SUB] = "sub",
	[FT_OP_AND] = "and",
	[FT_OP_OR] = "or",
	[FT_OP_XOR] = "xor",
	[FT_OP_SHL] = "shl",
	[FT_OP_SHR] = "shr",
	[FT_OP_NOT] = "not",
	[FT_OP_SET_VALID] = "set_valid",
	[FT_OP_SET_INVALID] = "set_invalid",
	[FT_OP_CSUM] = "csum",
	[FT_OP_HASH] = "hash",
	[FT_OP_SEND] = "send",
	[FT_OP_DROP] = "drop",
	[FT_OP_REPLICATE] = "replicate",
	[FT_OP_MIRROR] = "mirror",
	[FT_OP_DIGEST] = "digest",
	[FT_OP_LEARN] = "learn",
	[FT_OP_COUNT] = "count",
};

static const char *const ctl_names[FT_CTL_COUNT] = {
	[FT_CTL_INGRESS] = "ingress",
	[FT_CTL_EGRESS] = "egress",
};

static const char *const match_names[] = {
	[FT_MATCH_EXACT] = "exact",
	[FT_MATCH_TERNARY] = "ternary",
	[FT_MATCH_LPM] = "lpm",
};

/* --- Memory ---------------------------------------------------------------- */

uint32_t ft_program_alloc_fail;

static bool
alloc_fails(void)
{
	return ft_program_alloc_fail != 0 && --ft_program_alloc_fail == 0;
}

static void *
zalloc(size_t size)
{
	if (alloc_fails())
		return NULL;
	return calloc(1, size);
}

/* A copy of 'len' bytes at 'src' (zeros if 'src' is NULL); NULL when 'len' is 0 or out of memory.
 */
static void *
dup_mem(const void *src, size_t len)
{
	void *p;

	if (len == 0)
		return NULL;
	p = zalloc(len);
	if (p != NULL && src != NULL)
		memcpy(p, src, len);
	return p;
}

static char *
dup_str(const char *s)
{
	if (alloc_fails())
		return NULL;
	return strdup(s);
}

/*
 * Returns 'arr' if it has room for element 'n' (n == *cap means it is full),
 * else a larger copy of it (and updates *cap), or NULL when out of memory;
 * 'arr' is then unchanged.
 */
static void *
reserve(void *arr, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t new_cap;
	void *p;

	if (n < *cap)
		return arr;
	if (*cap > UINT32_MAX / 4)
		return NULL;
	new_cap = *cap != 0 ? *cap * 2 : 8;
	if (alloc_fails())
		return NULL;
	p = realloc(arr, (size_t)new_cap * size);
	if (p != NULL)
		*cap = new_cap;
	return p;
}

/* Out of memory while adding 'what' (named 'name', or NULL). */
static int
no_memory(struct ft_error *err, const char *what, const char *name)
{
	return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
			    "out of memory adding %s%s%s%s", what, name != NULL ? " '" : "",
			    name != NULL ? name : "", name != NULL ? "'" : "");
}

static int
no_program(struct ft_error *err)
{
	return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, NULL, "no program");
}

/*
 * Index of the first of the 'n' objects at 'arr', 'stride' bytes apart and each
 * starting with its name (const char *), named 'name'; or -ENOENT.
 */
static int
lookup(const void *arr, size_t stride, uint32_t n, const char *name)
{
	uint32_t i;

	if (name == NULL)
		return -ENOENT;
	for (i = 0; i < n; i++) {
		const char *s =
		        *(const char *const *)(const void *)((const char *)arr + i * stride);

		if (strcmp(s, name) == 0)
			return (int)i;
	}
	return -ENOENT;
}

static bool
has_name(const char *name)
{
	return name != NULL && name[0] != '\0';
}

/* --- Operands -------------------------------------------------------------- */

/* Kinds of operand an operation or key accepts. */
enum {
	R_CONST = 1u << FT_REF_CONST,
	R_FIELD = 1u << FT_REF_FIELD,
	R_META = 1u << FT_REF_META,
	R_STD = 1u << FT_REF_STD,
	R_PARAM = 1u << FT_REF_PARAM,
	R_HEADER = 1u << FT_REF_HEADER,
	R_READ = R_CONST | R_FIELD | R_META | R_STD | R_PARAM,
	R_WRITE = R_FIELD | R_META,
	R_DATA = R_READ | R_HEADER,
	R_KEY = R_FIELD | R_META | R_STD,
};

/* Where operands are read: inside an action (its parameters) or not. */
struct scope {
	const struct ft_param_decl *params;
	uint32_t n_params;
	bool in_action;
};

static const struct scope no_action;

static struct scope
action_scope(const struct ft_program *prog, uint32_t action)
{
	struct scope sc = {0};

	if (action < prog->n_actions) {
		sc.params = prog->actions[action].params;
		sc.n_params = prog->actions[action].n_params;
		sc.in_action = true;
	}
	return sc;
}

static const struct htype *
header_type(const struct ft_program *prog, uint32_t header)
{
	return &prog->types[prog->headers[header].type];
}

/* Width of what 'ref' designates, or 0 if it designates nothing. */
static uint32_t
ref_width(const struct ft_program *prog, const struct scope *sc, const struct ft_ref *ref)
{
	const struct htype *t;

	switch (ref->kind) {
	case FT_REF_CONST:
		return ref->width <= FT_FIELD_BITS_MAX ? ref->width : 0;
	case FT_REF_FIELD:
		if (ref->id >= prog->n_headers)
			return 0;
		t = header_type(prog, ref->id);
		return ref->field < t->n_fields ? t->fields[ref->field].bits : 0;
	case FT_REF_META:
		return ref->id < prog->n_meta ? prog->meta[ref->id].bits : 0;
	case FT_REF_STD:
		return ref->id < FT_STD_COUNT ? std_bits[ref->id] : 0;
	case FT_REF_PARAM:
		return sc->in_action && ref->id < sc->n_params ? sc->params[ref->id].bits : 0;
	case FT_REF_HEADER:
		return ref->id < prog->n_headers ? header_type(prog, ref->id)->bytes * 8 : 0;
	default:
		return 0;
	}
}

/* Names what 'ref' designates for a message: "ipv4.ttl", "meta.vni", ... */
static const char *
ref_text(const struct ft_program *prog, const struct scope *sc, const struct ft_ref *ref, char *buf,
	 size_t size)
{
	const struct htype *t;

	switch (ref->kind) {
	case FT_REF_CONST:
		snprintf(buf, size, "a %u-bit constant", ref->width);
		break;
	case FT_REF_FIELD:
		if (ref->id >= prog->n_headers) {
			snprintf(buf, size, "field %u of header %u", ref->field, ref->id);
			break;
		}
		t = header_type(prog, ref->id);
		if (ref->field < t->n_fields)
			snprintf(buf, size, "%s.%s", prog->headers[ref->id].name,
				 t->fields[ref->field].name);
		else
			snprintf(buf, size, "field %u of '%s'", ref->field,
				 prog->headers[ref->id].name);
		break;
	case FT_REF_META:
		if (ref->id < prog->n_meta)
			snprintf(buf, size, "meta.%s", prog->meta[ref->id].name);
		else
			snprintf(buf, size, "metadata %u", ref->id);
		break;
	case FT_REF_STD:
		if (ref->id < FT_STD_COUNT)
			snprintf(buf, size, "std.%s", std_names[ref->id]);
		else
			snprintf(buf, size, "standard metadata %u", ref->id);
		break;
	case FT_REF_PARAM:
		if (sc->in_action && ref->id < sc->n_params)
			snprintf(buf, size, "parameter '%s'", sc->params[ref->id].name);
		else
			snprintf(buf, size, "parameter %u", ref->id);
		break;
	case FT_REF_HEADER:
		if (ref->id < prog->n_headers)
			snprintf(buf, size, "header '%s'", prog->headers[ref->id].name);
		else
			snprintf(buf, size, "header %u", ref->id);
		break;
	default:
		snprintf(buf, size, "an operand of kind %d", (int)ref->kind);
		break;
	}
	return buf;
}

static const char *
kind_text(enum ft_ref_kind kind)
{
	switch (kind) {
	case FT_REF_CONST:
		return "a constant";
	case FT_REF_FIELD:
		return "a header field";
	case FT_REF_META:
		return "metadata";
	case FT_REF_STD:
		return "standard metadata";
	case FT_REF_PARAM:
		return "an action parameter";
	case FT_REF_HEADER:
		return "a whole header";
	default:
		return "nothing";
	}
}

static const char *
allowed_text(uint32_t allowed)
{
	switch (allowed) {
	case R_WRITE:
		return "a header field or metadata";
	case R_READ:
		return "a value (constant, field, metadata, standard metadata or parameter)";
	case R_DATA:
		return "a value or a whole header";
	case R_KEY:
		return "a header field, metadata or standard metadata";
	case R_HEADER:
		return "a whole header";
	default:
		return "something else";
	}
}

/* The low 64 bits of a constant. */
static uint64_t
const_u64(const struct ft_ref *ref)
{
	uint64_t v = 0;
	int i;

	for (i = 8; i < 16; i++)
		v = v << 8 | ref->value[i];
	return v;
}

/*
 * Checks that 'ref' is of a kind in 'allowed' and designates something. On
 * failure writes why into 'msg', as the continuation of a sentence whose
 * subject is the operand ("is a constant; it must be ...").
 */
static int
check_ref(const struct ft_program *prog, const struct scope *sc, const struct ft_ref *ref,
	  uint32_t allowed, char *msg, size_t size)
{
	uint32_t i, n;

	if (ref->kind == FT_REF_NONE) {
		snprintf(msg, size, "is missing; it must be %s", allowed_text(allowed));
		return -EINVAL;
	}
	if ((unsigned int)ref->kind > FT_REF_HEADER) {
		snprintf(msg, size, "has unknown kind %d", (int)ref->kind);
		return -EINVAL;
	}
	if (!(allowed & (1u << ref->kind))) {
		snprintf(msg, size, "is %s; it must be %s", kind_text(ref->kind),
			 allowed_text(allowed));
		return -EINVAL;
	}
	switch (ref->kind) {
	case FT_REF_CONST:
		if (ref->width == 0 || ref->width > FT_FIELD_BITS_MAX) {
			snprintf(msg, size, "is a constant of %u bits; constants have 1 to %u",
				 ref->width, FT_FIELD_BITS_MAX);
			return -EINVAL;
		}
		n = 16 - BYTES(ref->width);
		for (i = 0; i < n; i++)
			if (ref->value[i] != 0)
				break;
		if (i < n || (ref->width % 8 != 0 && (ref->value[n] >> (ref->width % 8)) != 0)) {
			snprintf(msg, size,
				 "is a constant with bits set above its width of %u bits",
				 ref->width);
			return -EINVAL;
		}
		return 0;
	case FT_REF_FIELD:
		if (ref->id >= prog->n_headers) {
			snprintf(msg, size, "names header %u, which does not exist", ref->id);
			return -EINVAL;
		}
		n = header_type(prog, ref->id)->n_fields;
		if (ref->field >= n) {
			snprintf(msg, size, "names field %u of header '%s', which has %u fields",
				 ref->field, prog->headers[ref->id].name, n);
			return -EINVAL;
		}
		return 0;
	case FT_REF_META:
		if (ref->id >= prog->n_meta) {
			snprintf(msg, size, "names metadata field %u, which does not exist",
				 ref->id);
			return -EINVAL;
		}
		return 0;
	case FT_REF_STD:
		if (ref->id >= FT_STD_COUNT) {
			snprintf(msg, size, "names standard metadata %u, which does not exist",
				 ref->id);
			return -EINVAL;
		}
		return 0;
	case FT_REF_PARAM:
		if (!sc->in_action) {
			snprintf(msg, size, "is an action parameter outside an action");
			return -EINVAL;
		}
		if (ref->id >= sc->n_params) {
			snprintf(msg, size, "names parameter %u; the action has %u", ref->id,
				 sc->n_params);
			return -EINVAL;
		}
		return 0;
	case FT_REF_HEADER:
		if (ref->id >= prog->n_headers) {
			snprintf(msg, size, "names header %u, which does not exist", ref->id);
			return -EINVAL;
		}
		return 0;
	default:
		return 0;
	}
}

/*
 * Checks operand 'ref' in the role 'role' ("destination", "operand a", ...)
 * and that it is at most 'max_bits' wide; sets *width. On failure 'msg' is a
 * whole clause ("destination is a constant; ...").
 */
static int
check_operand(const struct ft_program *prog, const struct scope *sc, const struct ft_ref *ref,
	      uint32_t allowed, const char *role, uint32_t max_bits, uint32_t *width, char *msg,
	      size_t size)
{
	char why[128], what[48];
	int rc;

	rc = check_ref(prog, sc, ref, allowed, why, sizeof(why));
	if (rc < 0) {
		snprintf(msg, size, "%s %s", role, why);
		return rc;
	}
	*width = ref_width(prog, sc, ref);
	if (*width > max_bits) {
		snprintf(msg, size,
			 "%s %s is %u bits; values wider than %u bits can only be assigned and "
			 "compared for equality",
			 role, ref_text(prog, sc, ref, what, sizeof(what)), *width, max_bits);
		return -ENOTSUP;
	}
	return 0;
}

/*
 * Checks an assignment (or comparison) of a 'wa'-bit value to a 'wd'-bit one:
 * any widths up to 64 bits, wider ones only between equal widths.
 */
static int
check_widths(const char *what, uint32_t wd, uint32_t wa, char *msg, size_t size)
{
	if ((wd > VALUE_BITS_MAX || wa > VALUE_BITS_MAX) && wd != wa) {
		snprintf(msg, size,
			 "%s values of %u and %u bits; values wider than %u bits only go with "
			 "values of the same width",
			 what, wd, wa, VALUE_BITS_MAX);
		return -ENOTSUP;
	}
	return 0;
}

/* --- Header types, headers, metadata --------------------------------------- */

static int
check_type(const struct ft_program *prog, uint32_t id, const char *name,
	   const struct ft_field_decl *fields, uint32_t n_fields, uint32_t *bytes,
	   struct ft_error *err)
{
	char obj[FT_ERROR_NAME_MAX];
	uint64_t bits = 0;
	uint32_t i, j;
	int dup;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, NULL,
				    "header type %u has no name", id);
	dup = lookup(prog->types, sizeof(*prog->types), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "duplicate header type name: header type %d is also named '%s'",
				    dup, name);
	if (n_fields == 0 || fields == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "header type has no fields");
	for (i = 0; i < n_fields; i++) {
		const struct ft_field_decl *f = &fields[i];

		if (!has_name(f->name))
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, i, name,
					    "field %u of header type '%s' has no name", i, name);
		snprintf(obj, sizeof(obj), "%s.%s", name, f->name);
		if (strchr(f->name, '.') != NULL)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, i, obj,
					    "field names may not contain '.' (it separates "
					    "header and field in dotted names)");
		for (j = 0; j < i; j++)
			if (strcmp(fields[j].name, f->name) == 0)
				return ft_error_set(err, -EINVAL, FT_ERR_FIELD, i, obj,
						    "duplicate field name: field %u of header "
						    "type '%s' is also named '%s'",
						    j, name, f->name);
		if (f->bits == 0)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, i, obj, "field has 0 bits");
		if (f->bits > FT_FIELD_BITS_MAX)
			return ft_error_set(err, -ENOTSUP, FT_ERR_FIELD, i, obj,
					    "field has %u bits; at most %u are supported", f->bits,
					    FT_FIELD_BITS_MAX);
		bits += f->bits;
	}
	if (bits % 8 != 0)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "header type has %llu bits, not a whole number of bytes",
				    (unsigned long long)bits);
	if (bits > FT_HEADER_BYTES_MAX * 8)
		return ft_error_set(err, -ENOTSUP, FT_ERR_HEADER, id, name,
				    "header type has %llu bytes; at most %u are supported",
				    (unsigned long long)bits / 8, FT_HEADER_BYTES_MAX);
	*bytes = (uint32_t)(bits / 8);
	return 0;
}

static int
check_header(const struct ft_program *prog, uint32_t id, const char *name, uint32_t type,
	     enum ft_proto proto, enum ft_layer layer, struct ft_error *err)
{
	uint32_t bytes, j;
	int dup;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, NULL, "header %u has no name",
				    id);
	if (strchr(name, '.') != NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "header names may not contain '.' (it separates header and "
				    "field in dotted names)");
	if (strcmp(name, "meta") == 0 || strcmp(name, "std") == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "the header name '%s' is reserved for %s in dotted names", name,
				    name[0] == 'm' ? "metadata" : "standard metadata");
	dup = lookup(prog->headers, sizeof(*prog->headers), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "duplicate header name: header %d is also named '%s'", dup,
				    name);
	if (id >= FT_HEADERS_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_HEADER, id, name,
				    "too many header instances: at most %u are supported",
				    FT_HEADERS_MAX);
	if (type >= prog->n_types)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "header type %u does not exist", type);
	if ((unsigned int)layer > FT_L_NONE)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name, "unknown layer %d",
				    (int)layer);
	if ((unsigned int)proto >= FT_PROTO_COUNT)
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name, "unknown protocol %d",
				    (int)proto);
	if (layer != FT_L_NONE) {
		if (proto != ft_layer_proto(layer))
			return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
					    "header is parsed at layer %s, so its protocol must "
					    "be %s, not %s",
					    ft_layer_name(layer),
					    ft_proto_name(ft_layer_proto(layer)),
					    ft_proto_name(proto));
		for (j = 0; j < id; j++)
			if (prog->headers[j].layer == layer)
				return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
						    "layer %s already has header '%s'",
						    ft_layer_name(layer), prog->headers[j].name);
	}
	bytes = prog->types[type].bytes;
	if (proto != FT_PROTO_NONE && bytes != ft_proto_size(proto))
		return ft_error_set(err, -EINVAL, FT_ERR_HEADER, id, name,
				    "its type '%s' has %u bytes; %s %s header has %u",
				    prog->types[type].name, bytes,
				    ft_proto_name(proto)[0] != '\0' &&
						    strchr("aei", ft_proto_name(proto)[0]) != NULL
					    ? "an"
					    : "a",
				    ft_proto_name(proto), ft_proto_size(proto));
	return 0;
}

static int
check_meta(const struct ft_program *prog, uint32_t id, const char *name, uint32_t bits,
	   struct ft_error *err)
{
	uint32_t bytes = 0, j;
	int dup;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, id, NULL,
				    "metadata field %u has no name", id);
	dup = lookup(prog->meta, sizeof(*prog->meta), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, id, name,
				    "duplicate metadata name: metadata field %d is also named '%s'",
				    dup, name);
	if (bits == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, id, name,
				    "metadata field has 0 bits");
	if (bits > FT_FIELD_BITS_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_FIELD, id, name,
				    "metadata field has %u bits; at most %u are supported", bits,
				    FT_FIELD_BITS_MAX);
	for (j = 0; j < id; j++)
		bytes += BYTES(prog->meta[j].bits);
	if (bytes + BYTES(bits) > FT_META_BYTES_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_FIELD, id, name,
				    "metadata would take %u bytes (each field in whole bytes); at "
				    "most %u are supported",
				    bytes + BYTES(bits), FT_META_BYTES_MAX);
	return 0;
}

static int
check_vxlan_ports(const uint16_t *ports, uint32_t n, struct ft_error *err)
{
	uint32_t i, j;

	if (n > FT_PARSE_VXLAN_PORTS_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "%u VXLAN ports; at most %u are supported", n,
				    FT_PARSE_VXLAN_PORTS_MAX);
	if (n > 0 && ports == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "no array of VXLAN ports");
	for (i = 0; i < n; i++) {
		if (ports[i] == 0)
			return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, i, NULL,
					    "VXLAN port %u is 0", i);
		for (j = 0; j < i; j++)
			if (ports[j] == ports[i])
				return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, i, NULL,
						    "VXLAN port %u repeats port %u (%u)", i, j,
						    ports[i]);
	}
	return 0;
}

static int
check_emit(const struct ft_program *prog, const uint32_t *headers, uint32_t n, struct ft_error *err)
{
	uint32_t i, j;

	if (n > 0 && headers == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "no array of headers to emit");
	for (i = 0; i < n; i++) {
		if (headers[i] >= prog->n_headers)
			return ft_error_set(err, -EINVAL, FT_ERR_HEADER, headers[i], NULL,
					    "emit position %u names header %u, which does not "
					    "exist",
					    i, headers[i]);
		for (j = 0; j < i; j++)
			if (headers[j] == headers[i])
				return ft_error_set(err, -EINVAL, FT_ERR_HEADER, headers[i],
						    prog->headers[headers[i]].name,
						    "header is emitted twice (emit positions %u "
						    "and %u)",
						    j, i);
	}
	return 0;
}

/* --- Actions --------------------------------------------------------------- */

static int
check_list(const struct ft_program *prog, const struct scope *sc, const struct ft_op *op,
	   uint32_t *bits, uint32_t *bytes, char *msg, size_t size)
{
	char role[24];
	uint32_t i, w;
	int rc;

	*bits = 0;
	*bytes = 0;
	for (i = 0; i < op->n_list; i++) {
		snprintf(role, sizeof(role), "list item %u", i);
		rc = check_operand(prog, sc, &op->list[i], R_DATA, role, FT_HEADER_BYTES_MAX * 8,
				   &w, msg, size);
		if (rc < 0)
			return rc;
		*bits += w;
		*bytes += BYTES(w);
	}
	return 0;
}

static int
check_learn(const struct ft_program *prog, const struct scope *sc, uint32_t self,
	    const struct ft_op *op, char *msg, size_t size)
{
	const struct action *t;
	char role[24];
	uint32_t i, w;
	int rc;

	if (op->id >= prog->n_actions || op->id >= self) {
		snprintf(msg, size, "learns with action %u, which %s", op->id,
			 op->id >= prog->n_actions ? "does not exist"
						   : "is not one added before this one");
		return -EINVAL;
	}
	t = &prog->actions[op->id];
	if (op->n_list != t->n_params) {
		snprintf(msg, size,
			 "learns with action '%s', which has %u parameters, from %u values",
			 t->name, t->n_params, op->n_list);
		return -EINVAL;
	}
	for (i = 0; i < op->n_list; i++) {
		snprintf(role, sizeof(role), "list item %u", i);
		rc = check_operand(prog, sc, &op->list[i], R_READ, role, FT_FIELD_BITS_MAX, &w, msg,
				   size);
		if (rc < 0)
			return rc;
		if (w > t->params[i].bits) {
			snprintf(msg, size,
				 "list item %u is %u bits; parameter '%s' of '%s' has %u", i, w,
				 t->params[i].name, t->name, t->params[i].bits);
			return -EINVAL;
		}
		rc = check_widths("learns", t->params[i].bits, w, msg, size);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/*
 * Checks one operation of action 'self' (whose parameters 'sc' holds). On
 * failure 'msg' says what is wrong with it.
 */
static int
check_op(const struct ft_program *prog, const struct scope *sc, uint32_t self,
	 const struct ft_op *op, char *msg, size_t size)
{
	uint32_t wd, wa, wb, bits, bytes;
	char what[80], what2[80];
	int rc;

	if (op->n_list > 0 && op->list == NULL) {
		snprintf(msg, size, "n_list is %u but list is NULL", op->n_list);
		return -EINVAL;
	}
	switch (op->kind) {
	case FT_OP_SET:
		if (op->dst.kind == FT_REF_HEADER || op->a.kind == FT_REF_HEADER) {
			rc = check_operand(prog, sc, &op->dst, R_HEADER, "destination",
					   FT_HEADER_BYTES_MAX * 8, &wd, msg, size);
			if (rc == 0)
				rc = check_operand(prog, sc, &op->a, R_HEADER, "operand a",
						   FT_HEADER_BYTES_MAX * 8, &wa, msg, size);
			if (rc < 0)
				return rc;
			if (prog->headers[op->dst.id].type != prog->headers[op->a.id].type) {
				snprintf(msg, size,
					 "%s and %s are of different types ('%s', '%s'); a whole "
					 "header is assigned only from one of its type",
					 ref_text(prog, sc, &op->dst, what, sizeof(what)),
					 ref_text(prog, sc, &op->a, what2, sizeof(what2)),
					 header_type(prog, op->dst.id)->name,
					 header_type(prog, op->a.id)->name);
				return -EINVAL;
			}
			return 0;
		}
		rc = check_operand(prog, sc, &op->dst, R_WRITE, "destination", FT_FIELD_BITS_MAX,
				   &wd, msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->a, R_READ, "operand a", FT_FIELD_BITS_MAX,
					   &wa, msg, size);
		if (rc == 0)
			rc = check_widths("assigns between", wd, wa, msg, size);
		return rc;
	case FT_OP_ADD:
	case FT_OP_SUB:
	case FT_OP_AND:
	case FT_OP_OR:
	case FT_OP_XOR:
	case FT_OP_SHL:
	case FT_OP_SHR:
		rc = check_operand(prog, sc, &op->dst, R_WRITE, "destination", VALUE_BITS_MAX, &wd,
				   msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->a, R_READ, "operand a", VALUE_BITS_MAX,
					   &wa, msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->b, R_READ, "operand b", VALUE_BITS_MAX,
					   &wb, msg, size);
		return rc;
	case FT_OP_NOT:
		rc = check_operand(prog, sc, &op->dst, R_WRITE, "destination", VALUE_BITS_MAX, &wd,
				   msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->a, R_READ, "operand a", VALUE_BITS_MAX,
					   &wa, msg, size);
		return rc;
	case FT_OP_SET_VALID:
	case FT_OP_SET_INVALID:
		return check_operand(prog, sc, &op->dst, R_HEADER, "destination",
				     FT_HEADER_BYTES_MAX * 8, &wd, msg, size);
	case FT_OP_CSUM:
		rc = check_operand(prog, sc, &op->dst, R_WRITE, "destination", FT_FIELD_BITS_MAX,
				   &wd, msg, size);
		if (rc < 0)
			return rc;
		if (wd != 16) {
			snprintf(msg, size, "destination %s is %u bits; a checksum has 16",
				 ref_text(prog, sc, &op->dst, what, sizeof(what)), wd);
			return -EINVAL;
		}
		goto data_list;
	case FT_OP_HASH:
		if ((unsigned int)op->id > FT_HASH_TARGET_DEFAULT) {
			snprintf(msg, size, "unknown hash algorithm %u", op->id);
			return -EINVAL;
		}
		rc = check_operand(prog, sc, &op->dst, R_WRITE, "destination", VALUE_BITS_MAX, &wd,
				   msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->a, R_READ, "operand a (base)",
					   VALUE_BITS_MAX, &wa, msg, size);
		if (rc == 0)
			rc = check_operand(prog, sc, &op->b, R_READ, "operand b (max)",
					   VALUE_BITS_MAX, &wb, msg, size);
		if (rc < 0)
			return rc;
		if (op->b.kind == FT_REF_CONST && const_u64(&op->b) == 0) {
			snprintf(msg, size, "operand b (max) is the constant 0");
			return -EINVAL;
		}
	data_list:
		if (op->n_list == 0) {
			snprintf(msg, size, "has no data (list is empty)");
			return -EINVAL;
		}
		rc = check_list(prog, sc, op, &bits, &bytes, msg, size);
		if (rc < 0)
			return rc;
		if (bits % 8 != 0) {
			snprintf(msg, size,
				 "data is %u bits; only whole bytes of data are supported", bits);
			return -ENOTSUP;
		}
		if (bytes > FT_DATA_BYTES_MAX) {
			snprintf(msg, size, "data is %u bytes; at most %d are supported", bytes,
				 FT_DATA_BYTES_MAX);
			return -ENOTSUP;
		}
		return 0;
	case FT_OP_SEND:
	case FT_OP_REPLICATE:
	case FT_OP_MIRROR:
		return check_operand(prog, sc, &op->a, R_READ, "operand a", VALUE_BITS_MAX, &wa,
				     msg, size);
	case FT_OP_DROP:
		return 0;
	case FT_OP_DIGEST:
		if (op->id >= prog->n_digests) {
			snprintf(msg, size, "digest %u does not exist", op->id);
			return -EINVAL;
		}
		rc = check_list(prog, sc, op, &bits, &bytes, msg, size);
		if (rc < 0)
			return rc;
		if (bytes > FT_DIGEST_BYTES_MAX) {
			snprintf(msg, size,
				 "digest '%s' would carry %u bytes (each value in whole bytes); at "
				 "most %u are supported",
				 prog->digests[op->id].name, bytes, FT_DIGEST_BYTES_MAX);
			return -ENOTSUP;
		}
		return 0;
	case FT_OP_LEARN:
		return check_learn(prog, sc, self, op, msg, size);
	case FT_OP_COUNT:
		if (op->id >= prog->n_counters) {
			snprintf(msg, size, "counter %u does not exist", op->id);
			return -EINVAL;
		}
		rc = check_operand(prog, sc, &op->a, R_READ, "operand a (index)", VALUE_BITS_MAX,
				   &wa, msg, size);
		if (rc < 0)
			return rc;
		if (op->a.kind == FT_REF_CONST &&
		    const_u64(&op->a) >= prog->counters[op->id].size) {
			snprintf(msg, size, "index %llu is outside counter '%s' (%u cells)",
				 (unsigned long long)const_u64(&op->a), prog->counters[op->id].name,
				 prog->counters[op->id].size);
			return -EINVAL;
		}
		return 0;
	default:
		snprintf(msg, size, "unknown operation kind %d", (int)op->kind);
		return -EINVAL;
	}
}

static const char *
op_name(enum ft_op_kind kind)
{
	if ((unsigned int)kind < ARRAY_SIZE(op_names))
		return op_names[kind];
	return "?";
}

/* Whether two digest value lists have the same widths, that is the same layout. */
static bool
same_layout(const struct ft_program *prog, const struct scope *sa, const struct ft_op *a,
	    const struct scope *sb, const struct ft_op *b)
{
	uint32_t i;

	if (a->n_list != b->n_list)
		return false;
	for (i = 0; i < a->n_list; i++)
		if (ref_width(prog, sa, &a->list[i]) != ref_width(prog, sb, &b->list[i]))
			return false;
	return true;
}

/*
 * A digest has one layout: checks that operation 'i' of action 'self' (a
 * DIGEST) packs the same widths as the first earlier DIGEST of that digest.
 */
static int
check_digest_layout(const struct ft_program *prog, const struct scope *sc, uint32_t self,
		    const struct ft_op *ops, uint32_t i, char *msg, size_t size)
{
	const struct ft_op *op = &ops[i];
	uint32_t a, j;

	for (j = 0; j < i; j++)
		if (ops[j].kind == FT_OP_DIGEST && ops[j].id == op->id) {
			if (same_layout(prog, sc, &ops[j], sc, op))
				return 0;
			snprintf(msg, size,
				 "raises digest '%s' with values of other widths than operation "
				 "%u does",
				 prog->digests[op->id].name, j);
			return -EINVAL;
		}
	for (a = 0; a < self && a < prog->n_actions; a++) {
		const struct action *act = &prog->actions[a];
		struct scope sa = action_scope(prog, a);

		for (j = 0; j < act->n_ops; j++)
			if (act->ops[j].kind == FT_OP_DIGEST && act->ops[j].id == op->id) {
				if (same_layout(prog, &sa, &act->ops[j], sc, op))
					return 0;
				snprintf(msg, size,
					 "raises digest '%s' with values of other widths than "
					 "action '%s' does",
					 prog->digests[op->id].name, act->name);
				return -EINVAL;
			}
	}
	return 0;
}

static int
check_action(const struct ft_program *prog, uint32_t id, const char *name,
	     const struct ft_param_decl *params, uint32_t n_params, const struct ft_op *ops,
	     uint32_t n_ops, uint32_t *data_size, struct ft_error *err)
{
	struct scope sc = {.params = params, .n_params = n_params, .in_action = true};
	char msg[MSG_SIZE];
	uint32_t i, j, size = 0;
	int dup, rc;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, NULL, "action %u has no name",
				    id);
	dup = lookup(prog->actions, sizeof(*prog->actions), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
				    "duplicate action name: action %d is also named '%s'", dup,
				    name);
	if (n_params > 0 && params == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
				    "n_params is %u but params is NULL", n_params);
	for (i = 0; i < n_params; i++) {
		const struct ft_param_decl *p = &params[i];

		if (!has_name(p->name))
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
					    "parameter %u has no name", i);
		for (j = 0; j < i; j++)
			if (strcmp(params[j].name, p->name) == 0)
				return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
						    "parameter %u has the name of parameter %u "
						    "('%s')",
						    i, j, p->name);
		if (p->bits == 0)
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
					    "parameter %u ('%s') has 0 bits", i, p->name);
		if (p->bits > FT_FIELD_BITS_MAX)
			return ft_error_set(err, -ENOTSUP, FT_ERR_ACTION, id, name,
					    "parameter %u ('%s') has %u bits; at most %u are "
					    "supported",
					    i, p->name, p->bits, FT_FIELD_BITS_MAX);
		size += BYTES(p->bits);
	}
	if (size > FT_ACTION_DATA_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_ACTION, id, name,
				    "parameters take %u bytes; at most %u are supported", size,
				    FT_ACTION_DATA_MAX);
	if (n_ops > 0 && ops == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, name,
				    "n_ops is %u but ops is NULL", n_ops);
	for (i = 0; i < n_ops; i++) {
		rc = check_op(prog, &sc, id, &ops[i], msg, sizeof(msg));
		if (rc == 0 && ops[i].kind == FT_OP_DIGEST)
			rc = check_digest_layout(prog, &sc, id, ops, i, msg, sizeof(msg));
		if (rc < 0)
			return ft_error_set(err, rc, FT_ERR_ACTION, id, name,
					    "operation %u (%s): %s", i, op_name(ops[i].kind), msg);
	}
	*data_size = size;
	return 0;
}

/* --- Tables, counters, digests --------------------------------------------- */

/* The entry of 'action' in a table's action list, or NULL. */
static const struct ft_table_action *
table_action(const struct ft_table_decl *decl, uint32_t action)
{
	uint32_t i;

	for (i = 0; i < decl->n_actions; i++)
		if (decl->actions[i].action == action)
			return &decl->actions[i];
	return NULL;
}

/* Learning: only in the default action of an add_on_miss table, with entry actions. */
static int
check_table_learning(const struct ft_program *prog, uint32_t id, const struct ft_table_decl *decl,
		     struct ft_error *err)
{
	const struct ft_table_action *ta;
	uint32_t i, j;

	for (i = 0; i < decl->n_actions; i++) {
		const struct action *a = &prog->actions[decl->actions[i].action];

		if (!a->learns)
			continue;
		if (!decl->add_on_miss)
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "action '%s' learns, which only the default action "
					    "of an add_on_miss table may do",
					    a->name);
		if (decl->actions[i].scope == FT_SCOPE_TABLE_ONLY ||
		    (decl->actions[i].scope == FT_SCOPE_ANY &&
		     decl->default_action != decl->actions[i].action))
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "action '%s' learns, so it must be @defaultonly or "
					    "the table's default action",
					    a->name);
		for (j = 0; j < a->n_ops; j++) {
			if (a->ops[j].kind != FT_OP_LEARN)
				continue;
			ta = table_action(decl, a->ops[j].id);
			if (ta == NULL || ta->scope == FT_SCOPE_DEFAULT_ONLY)
				return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
						    "action '%s' learns entries of action '%s', "
						    "which is not an entry action of the table",
						    a->name, prog->actions[a->ops[j].id].name);
		}
	}
	return 0;
}

static int
check_table(const struct ft_program *prog, uint32_t id, const struct ft_table_decl *decl,
	    uint32_t *key_size, struct ft_error *err)
{
	char msg[MSG_SIZE], role[24];
	const struct ft_table_action *ta;
	uint32_t i, j, w, bytes = 0, n_lpm = 0;
	int dup, rc;

	if (!has_name(decl->name))
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, NULL, "table %u has no name",
				    id);
	dup = lookup(prog->tables, sizeof(*prog->tables), id, decl->name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "duplicate table name: table %d is also named '%s'", dup,
				    decl->name);
	if (decl->size == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "table size is 0; a table holds 1 to %u entries",
				    FT_TABLE_SIZE_MAX);
	if (decl->size > FT_TABLE_SIZE_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, id, decl->name,
				    "table size is %u; at most %u entries are supported",
				    decl->size, FT_TABLE_SIZE_MAX);
	if (decl->n_keys > 0 && decl->keys == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "n_keys is %u but keys is NULL", decl->n_keys);
	for (i = 0; i < decl->n_keys; i++) {
		const struct ft_key_decl *k = &decl->keys[i];

		if ((unsigned int)k->match > FT_MATCH_LPM)
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "key %u has unknown match kind %d", i, (int)k->match);
		snprintf(role, sizeof(role), "key %u", i);
		rc = check_operand(prog, &no_action, &k->ref, R_KEY, role, FT_FIELD_BITS_MAX, &w,
				   msg, sizeof(msg));
		if (rc < 0)
			return ft_error_set(err, rc, FT_ERR_TABLE, id, decl->name, "%s", msg);
		bytes += BYTES(w);
		if (k->match == FT_MATCH_LPM && ++n_lpm > 1)
			return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, id, decl->name,
					    "key %u is a second lpm field; at most one is "
					    "supported",
					    i);
		if (decl->add_on_miss && k->match != FT_MATCH_EXACT)
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "key %u is %s; add_on_miss tables are exact-match", i,
					    match_names[k->match]);
	}
	if (bytes > FT_KEY_BYTES_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, id, decl->name,
				    "key is %u bytes (each field in whole bytes); at most %u are "
				    "supported",
				    bytes, FT_KEY_BYTES_MAX);
	if (decl->add_on_miss && decl->n_keys == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "an add_on_miss table needs a key");
	if (decl->n_actions == 0 || decl->actions == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "table has no actions");
	for (i = 0; i < decl->n_actions; i++) {
		ta = &decl->actions[i];
		if (ta->action >= prog->n_actions)
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "action %u of the table's list does not exist",
					    ta->action);
		if ((unsigned int)ta->scope > FT_SCOPE_DEFAULT_ONLY)
			return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
					    "action '%s' has unknown scope %d",
					    prog->actions[ta->action].name, (int)ta->scope);
		for (j = 0; j < i; j++)
			if (decl->actions[j].action == ta->action)
				return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
						    "action '%s' is listed twice",
						    prog->actions[ta->action].name);
	}
	ta = table_action(decl, decl->default_action);
	if (ta == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "default action %u%s%s%s is not one of the table's actions",
				    decl->default_action,
				    decl->default_action < prog->n_actions ? " ('" : "",
				    decl->default_action < prog->n_actions
					    ? prog->actions[decl->default_action].name
					    : "",
				    decl->default_action < prog->n_actions ? "')" : "");
	if (ta->scope == FT_SCOPE_TABLE_ONLY)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, id, decl->name,
				    "default action '%s' is @tableonly",
				    prog->actions[ta->action].name);
	rc = check_table_learning(prog, id, decl, err);
	if (rc < 0)
		return rc;
	*key_size = bytes;
	return 0;
}

static int
check_counter(const struct ft_program *prog, uint32_t id, const char *name, uint32_t size,
	      struct ft_error *err)
{
	int dup;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, id, NULL,
				    "counter %u has no name", id);
	dup = lookup(prog->counters, sizeof(*prog->counters), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, id, name,
				    "duplicate counter name: counter %d is also named '%s'", dup,
				    name);
	if (size == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, id, name,
				    "counter '%s' has 0 cells", name);
	if (size > FT_TABLE_SIZE_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, id, name,
				    "counter '%s' has %u cells; at most %u are supported", name,
				    size, FT_TABLE_SIZE_MAX);
	return 0;
}

static int
check_digest(const struct ft_program *prog, uint32_t id, const char *name, struct ft_error *err)
{
	int dup;

	if (!has_name(name))
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, id, NULL, "digest %u has no name",
				    id);
	dup = lookup(prog->digests, sizeof(*prog->digests), id, name);
	if (dup >= 0)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, id, name,
				    "duplicate digest name: digest %d is also named '%s'", dup,
				    name);
	return 0;
}

static int
check_limits(uint32_t n_groups, uint32_t n_mirrors, struct ft_error *err)
{
	if (n_groups == 0 || n_mirrors == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "%s is 0; a program has at least one",
				    n_groups == 0 ? "the number of replication groups"
						  : "the number of mirror sessions");
	if (n_groups > FT_GROUPS_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "%u replication groups; at most %u are supported", n_groups,
				    FT_GROUPS_MAX);
	if (n_mirrors > FT_MIRRORS_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    "%u mirror sessions; at most %u are supported", n_mirrors,
				    FT_MIRRORS_MAX);
	return 0;
}

/* --- Control flow ---------------------------------------------------------- */

static int
check_cond(const struct ft_program *prog, uint32_t id, const struct ft_cond *c,
	   struct ft_error *err)
{
	char msg[MSG_SIZE];
	uint32_t wa, wb;
	int rc;

	switch (c->kind) {
	case FT_COND_VALID:
		if (c->hdr >= prog->n_headers)
			return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, NULL,
					    "condition %u: header %u does not exist", id, c->hdr);
		return 0;
	case FT_COND_CMP:
		if ((unsigned int)c->cmp > FT_CMP_GE)
			return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, NULL,
					    "condition %u: unknown comparison %d", id, (int)c->cmp);
		rc = check_operand(prog, &no_action, &c->a, R_READ, "operand a", FT_FIELD_BITS_MAX,
				   &wa, msg, sizeof(msg));
		if (rc == 0)
			rc = check_operand(prog, &no_action, &c->b, R_READ, "operand b",
					   FT_FIELD_BITS_MAX, &wb, msg, sizeof(msg));
		if (rc == 0)
			rc = check_widths("compares", wa, wb, msg, sizeof(msg));
		if (rc == 0 && (wa > VALUE_BITS_MAX || wb > VALUE_BITS_MAX) &&
		    c->cmp != FT_CMP_EQ && c->cmp != FT_CMP_NE) {
			snprintf(msg, sizeof(msg),
				 "orders values of %u bits; values wider than %u bits can only be "
				 "compared for equality",
				 wa, VALUE_BITS_MAX);
			rc = -ENOTSUP;
		}
		if (rc < 0)
			return ft_error_set(err, rc, FT_ERR_CONTROL, id, NULL, "condition %u: %s",
					    id, msg);
		return 0;
	case FT_COND_AND:
	case FT_COND_OR:
		if (c->r >= id)
			return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, NULL,
					    "condition %u: r is condition %u; it must be an "
					    "earlier one",
					    id, c->r);
		/* fall through */
	case FT_COND_NOT:
		if (c->l >= id)
			return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, NULL,
					    "condition %u: l is condition %u; it must be an "
					    "earlier one",
					    id, c->l);
		return 0;
	default:
		return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, NULL,
				    "condition %u: unknown kind %d", id, (int)c->kind);
	}
}

/*
 * Checks successor 'next' (called 'what') of node 'self' in a control of
 * 'n_nodes' nodes (UINT32_MAX while nodes may still be added).
 */
static int
check_next(uint32_t next, const char *what, uint32_t self, uint32_t n_nodes, bool may_default,
	   char *msg, size_t size)
{
	if (next == FT_NODE_END || (next == FT_NEXT_DEFAULT && may_default))
		return 0;
	if (next == FT_NEXT_DEFAULT) {
		snprintf(msg, size,
			 "%s is FT_NEXT_DEFAULT, which only next_hit and next_miss may be", what);
		return -EINVAL;
	}
	if (next <= self) {
		snprintf(msg, size,
			 "%s is node %u; edges go forward, to a node after %u, or to FT_NODE_END",
			 what, next, self);
		return -EINVAL;
	}
	if (n_nodes != UINT32_MAX && next >= n_nodes) {
		snprintf(msg, size,
			 "%s is node %u, which does not exist (the control has %u nodes)", what,
			 next, n_nodes);
		return -EINVAL;
	}
	return 0;
}

static int
check_node_msg(const struct ft_program *prog, uint32_t id, const struct ft_node *node,
	       uint32_t n_nodes, char *msg, size_t size)
{
	const struct ft_table_decl *decl;
	const struct action *a;
	char what[32];
	uint32_t i, j;
	int rc;

	switch (node->kind) {
	case FT_NODE_APPLY:
		if (node->table >= prog->n_tables) {
			snprintf(msg, size, "applies table %u, which does not exist", node->table);
			return -EINVAL;
		}
		decl = &prog->tables[node->table].decl;
		rc = check_next(node->next, "next", id, n_nodes, false, msg, size);
		if (rc == 0)
			rc = check_next(node->next_hit, "next_hit", id, n_nodes, true, msg, size);
		if (rc == 0)
			rc = check_next(node->next_miss, "next_miss", id, n_nodes, true, msg, size);
		if (rc < 0)
			return rc;
		if (node->n_on_action > 0 && node->on_action == NULL) {
			snprintf(msg, size, "n_on_action is %u but on_action is NULL",
				 node->n_on_action);
			return -EINVAL;
		}
		for (i = 0; i < node->n_on_action; i++) {
			const struct ft_action_next *an = &node->on_action[i];

			if (table_action(decl, an->action) == NULL) {
				snprintf(msg, size,
					 "on_action %u names action %u%s%s%s, which is not an "
					 "action of table '%s'",
					 i, an->action, an->action < prog->n_actions ? " ('" : "",
					 an->action < prog->n_actions
						 ? prog->actions[an->action].name
						 : "",
					 an->action < prog->n_actions ? "')" : "", decl->name);
				return -EINVAL;
			}
			for (j = 0; j < i; j++)
				if (node->on_action[j].action == an->action) {
					snprintf(msg, size, "on_action %u repeats action '%s'", i,
						 prog->actions[an->action].name);
					return -EINVAL;
				}
			snprintf(what, sizeof(what), "on_action %u next", i);
			rc = check_next(an->next, what, id, n_nodes, false, msg, size);
			if (rc < 0)
				return rc;
		}
		return 0;
	case FT_NODE_RUN:
		if (node->action >= prog->n_actions) {
			snprintf(msg, size, "runs action %u, which does not exist", node->action);
			return -EINVAL;
		}
		a = &prog->actions[node->action];
		if (a->n_params > 0) {
			snprintf(msg, size, "runs action '%s', which has %u parameters", a->name,
				 a->n_params);
			return -EINVAL;
		}
		if (a->learns) {
			snprintf(msg, size,
				 "runs action '%s', which learns; only the default action of an "
				 "add_on_miss table may learn",
				 a->name);
			return -EINVAL;
		}
		return check_next(node->next, "next", id, n_nodes, false, msg, size);
	case FT_NODE_IF:
		if (node->cond >= prog->n_conds) {
			snprintf(msg, size, "tests condition %u, which does not exist", node->cond);
			return -EINVAL;
		}
		rc = check_next(node->next, "next", id, n_nodes, false, msg, size);
		if (rc == 0)
			rc = check_next(node->next_false, "next_false", id, n_nodes, false, msg,
					size);
		return rc;
	default:
		snprintf(msg, size, "has unknown kind %d", (int)node->kind);
		return -EINVAL;
	}
}

static int
check_node(const struct ft_program *prog, enum ft_control ctl, uint32_t id,
	   const struct ft_node *node, uint32_t n_nodes, struct ft_error *err)
{
	char msg[MSG_SIZE];
	int rc;

	rc = check_node_msg(prog, id, node, n_nodes, msg, sizeof(msg));
	if (rc < 0)
		return ft_error_set(err, rc, FT_ERR_CONTROL, id, ctl_names[ctl], "node %u: %s", id,
				    msg);
	return 0;
}

/* --- Building -------------------------------------------------------------- */

struct ft_program *
ft_program_create(const char *name)
{
	struct ft_program *prog;

	prog = zalloc(sizeof(*prog));
	if (prog == NULL)
		return NULL;
	prog->name = dup_str(name != NULL ? name : "");
	if (prog->name == NULL) {
		free(prog);
		return NULL;
	}
	prog->vxlan_ports[0] = FT_VXLAN_PORT_DEFAULT;
	prog->n_vxlan_ports = 1;
	prog->n_groups = GROUPS_DEFAULT;
	prog->n_mirrors = MIRRORS_DEFAULT;
	return prog;
}

static void
free_type(struct htype *t)
{
	uint32_t i;

	if (t->fields != NULL)
		for (i = 0; i < t->n_fields; i++)
			free((void *)t->fields[i].name);
	free(t->fields);
	free(t->offsets);
	free((void *)t->name);
}

static void
free_params(struct ft_param_decl *params, uint32_t n)
{
	uint32_t i;

	if (params != NULL)
		for (i = 0; i < n; i++)
			free((void *)params[i].name);
	free(params);
}

static void
free_ops(struct ft_op *ops, uint32_t n)
{
	uint32_t i;

	if (ops != NULL)
		for (i = 0; i < n; i++)
			free((void *)ops[i].list);
	free(ops);
}

static void
free_table(struct table *t)
{
	free((void *)t->decl.name);
	free((void *)t->decl.keys);
	free((void *)t->decl.actions);
	free((void *)t->decl.default_data);
	for (uint32_t i = 0; i < t->n_entries; i++) {
		free((void *)t->entries[i].key);
		free((void *)t->entries[i].mask);
		free((void *)t->entries[i].data);
	}
	free(t->entries);
}

void
ft_program_destroy(struct ft_program *prog)
{
	uint32_t i, c;

	if (prog == NULL)
		return;
	for (i = 0; i < prog->n_types; i++)
		free_type(&prog->types[i]);
	free(prog->types);
	for (i = 0; i < prog->n_headers; i++)
		free((void *)prog->headers[i].name);
	free(prog->headers);
	for (i = 0; i < prog->n_meta; i++)
		free((void *)prog->meta[i].name);
	free(prog->meta);
	for (i = 0; i < prog->n_actions; i++) {
		free((void *)prog->actions[i].name);
		free_params(prog->actions[i].params, prog->actions[i].n_params);
		free_ops(prog->actions[i].ops, prog->actions[i].n_ops);
	}
	free(prog->actions);
	for (i = 0; i < prog->n_tables; i++)
		free_table(&prog->tables[i]);
	free(prog->tables);
	for (i = 0; i < prog->n_counters; i++)
		free((void *)prog->counters[i].name);
	free(prog->counters);
	for (i = 0; i < prog->n_digests; i++)
		free((void *)prog->digests[i].name);
	free(prog->digests);
	free(prog->conds);
	for (c = 0; c < FT_CTL_COUNT; c++) {
		for (i = 0; i < prog->n_nodes[c]; i++)
			free((void *)prog->nodes[c][i].n.on_action);
		free(prog->nodes[c]);
	}
	free(prog->emit);
	free((void *)prog->name);
	free(prog);
}

const char *
ft_program_name(const struct ft_program *prog)
{
	return prog != NULL ? prog->name : NULL;
}

int
ft_program_add_header_type(struct ft_program *prog, const char *name,
			   const struct ft_field_decl *fields, uint32_t n_fields,
			   struct ft_error *err)
{
	struct htype t = {0}, *arr;
	uint32_t i, off = 0;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_type(prog, prog->n_types, name, fields, n_fields, &t.bytes, err);
	if (rc < 0)
		return rc;
	t.name = dup_str(name);
	t.fields = zalloc(n_fields * sizeof(*t.fields));
	t.offsets = zalloc(n_fields * sizeof(*t.offsets));
	if (t.name == NULL || t.fields == NULL || t.offsets == NULL)
		goto nomem;
	t.n_fields = n_fields;
	for (i = 0; i < n_fields; i++) {
		t.fields[i].name = dup_str(fields[i].name);
		if (t.fields[i].name == NULL)
			goto nomem;
		t.fields[i].bits = fields[i].bits;
		t.offsets[i] = off;
		off += fields[i].bits;
	}
	arr = reserve(prog->types, &prog->cap_types, prog->n_types, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->types = arr;
	arr[prog->n_types] = t;
	return (int)prog->n_types++;

nomem:
	free_type(&t);
	return no_memory(err, "header type", name);
}

int
ft_program_add_header(struct ft_program *prog, const char *name, uint32_t type, enum ft_proto proto,
		      enum ft_layer layer, struct ft_error *err)
{
	struct header h = {.type = type, .proto = proto, .layer = layer}, *arr;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_header(prog, prog->n_headers, name, type, proto, layer, err);
	if (rc < 0)
		return rc;
	h.name = dup_str(name);
	if (h.name == NULL)
		goto nomem;
	arr = reserve(prog->headers, &prog->cap_headers, prog->n_headers, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->headers = arr;
	arr[prog->n_headers] = h;
	return (int)prog->n_headers++;

nomem:
	free((void *)h.name);
	return no_memory(err, "header", name);
}

int
ft_program_add_metadata(struct ft_program *prog, const char *name, uint32_t bits,
			struct ft_error *err)
{
	struct meta m = {.bits = bits}, *arr;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_meta(prog, prog->n_meta, name, bits, err);
	if (rc < 0)
		return rc;
	m.name = dup_str(name);
	if (m.name == NULL)
		goto nomem;
	arr = reserve(prog->meta, &prog->cap_meta, prog->n_meta, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->meta = arr;
	arr[prog->n_meta] = m;
	return (int)prog->n_meta++;

nomem:
	free((void *)m.name);
	return no_memory(err, "metadata field", name);
}

int
ft_program_set_vxlan_ports(struct ft_program *prog, const uint16_t *ports, uint32_t n,
			   struct ft_error *err)
{
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_vxlan_ports(ports, n, err);
	if (rc < 0)
		return rc;
	if (n > 0)
		memcpy(prog->vxlan_ports, ports, n * sizeof(*ports));
	prog->n_vxlan_ports = n;
	return 0;
}

int
ft_program_set_emit(struct ft_program *prog, const uint32_t *headers, uint32_t n,
		    struct ft_error *err)
{
	uint32_t *copy;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_emit(prog, headers, n, err);
	if (rc < 0)
		return rc;
	copy = dup_mem(headers, n * sizeof(*headers));
	if (n > 0 && copy == NULL)
		return no_memory(err, "the emit order", NULL);
	free(prog->emit);
	prog->emit = copy;
	prog->n_emit = n;
	return 0;
}

/* --- Operands -------------------------------------------------------------- */

struct ft_ref
ft_ref_const(uint64_t value, uint32_t width)
{
	struct ft_ref r = {.kind = FT_REF_CONST, .width = width};
	int i;

	if (width < 64)
		value &= (UINT64_C(1) << width) - 1;
	for (i = 15; i >= 8; i--) {
		r.value[i] = (uint8_t)value;
		value >>= 8;
	}
	return r;
}

struct ft_ref
ft_ref_const_bytes(const uint8_t *bytes, uint32_t width)
{
	struct ft_ref r = {.kind = FT_REF_CONST, .width = width};
	uint32_t n = BYTES(width);

	if (bytes == NULL || width == 0 || width > FT_FIELD_BITS_MAX)
		return r;
	memcpy(&r.value[16 - n], bytes, n);
	if (width % 8 != 0)
		r.value[16 - n] &= (uint8_t)((1u << (width % 8)) - 1);
	return r;
}

struct ft_ref
ft_ref_field(uint32_t header, uint32_t field)
{
	struct ft_ref r = {.kind = FT_REF_FIELD, .id = header, .field = field};

	return r;
}

struct ft_ref
ft_ref_meta(uint32_t meta)
{
	struct ft_ref r = {.kind = FT_REF_META, .id = meta};

	return r;
}

struct ft_ref
ft_ref_std(enum ft_std std)
{
	struct ft_ref r = {.kind = FT_REF_STD, .id = (uint32_t)std};

	return r;
}

struct ft_ref
ft_ref_param(uint32_t param)
{
	struct ft_ref r = {.kind = FT_REF_PARAM, .id = param};

	return r;
}

struct ft_ref
ft_ref_header(uint32_t header)
{
	struct ft_ref r = {.kind = FT_REF_HEADER, .id = header};

	return r;
}

int
ft_program_resolve(const struct ft_program *prog, const char *name, struct ft_ref *out)
{
	const char *dot;
	int h, f;
	size_t len;
	uint32_t i;

	if (prog == NULL || name == NULL || out == NULL)
		return -ENOENT;
	if (strncmp(name, "meta.", 5) == 0) {
		h = lookup(prog->meta, sizeof(*prog->meta), prog->n_meta, name + 5);
		if (h < 0)
			return -ENOENT;
		*out = ft_ref_meta((uint32_t)h);
		return 0;
	}
	if (strncmp(name, "std.", 4) == 0) {
		for (i = 0; i < FT_STD_COUNT; i++)
			if (strcmp(name + 4, std_names[i]) == 0) {
				*out = ft_ref_std((enum ft_std)i);
				return 0;
			}
		return -ENOENT;
	}
	dot = strchr(name, '.');
	if (dot == NULL) {
		h = lookup(prog->headers, sizeof(*prog->headers), prog->n_headers, name);
		if (h < 0)
			return -ENOENT;
		*out = ft_ref_header((uint32_t)h);
		return 0;
	}
	len = (size_t)(dot - name);
	for (i = 0; i < prog->n_headers; i++)
		if (strncmp(prog->headers[i].name, name, len) == 0 &&
		    prog->headers[i].name[len] == '\0') {
			f = ft_program_find_field(prog, prog->headers[i].type, dot + 1);
			if (f < 0)
				return -ENOENT;
			*out = ft_ref_field(i, (uint32_t)f);
			return 0;
		}
	return -ENOENT;
}

int
ft_program_ref_name(const struct ft_program *prog, const struct ft_ref *ref, char *buf,
		    size_t size)
{
	const struct header *h;

	if (prog != NULL && ref != NULL) {
		switch (ref->kind) {
		case FT_REF_META:
			if (ref->id < prog->n_meta)
				return snprintf(buf, size, "meta.%s", prog->meta[ref->id].name);
			break;
		case FT_REF_STD:
			if (ref->id < FT_STD_COUNT)
				return snprintf(buf, size, "std.%s", std_names[ref->id]);
			break;
		case FT_REF_HEADER:
		case FT_REF_FIELD:
			if (ref->id >= prog->n_headers)
				break;
			h = &prog->headers[ref->id];
			if (ref->kind == FT_REF_HEADER)
				return snprintf(buf, size, "%s", h->name);
			if (ref->field < prog->types[h->type].n_fields)
				return snprintf(buf, size, "%s.%s", h->name,
						prog->types[h->type].fields[ref->field].name);
			break;
		default:
			break;
		}
	}
	snprintf(buf, size, "?");
	return -ENOENT;
}

uint32_t
ft_program_ref_width(const struct ft_program *prog, uint32_t action, const struct ft_ref *ref)
{
	struct scope sc;

	if (prog == NULL || ref == NULL)
		return 0;
	sc = action_scope(prog, action);
	if (ref->kind == FT_REF_CONST && ref->width == 0)
		return 0;
	return ref_width(prog, &sc, ref);
}

/* --- Actions, tables, counters, digests ------------------------------------ */

int
ft_program_add_action(struct ft_program *prog, const char *name, const struct ft_param_decl *params,
		      uint32_t n_params, const struct ft_op *ops, uint32_t n_ops,
		      struct ft_error *err)
{
	struct action a = {0}, *arr;
	uint32_t i;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_action(prog, prog->n_actions, name, params, n_params, ops, n_ops, &a.data_size,
			  err);
	if (rc < 0)
		return rc;
	a.name = dup_str(name);
	if (a.name == NULL)
		goto nomem;
	if (n_params > 0) {
		a.params = zalloc(n_params * sizeof(*a.params));
		if (a.params == NULL)
			goto nomem;
		a.n_params = n_params;
		for (i = 0; i < n_params; i++) {
			a.params[i].name = dup_str(params[i].name);
			if (a.params[i].name == NULL)
				goto nomem;
			a.params[i].bits = params[i].bits;
		}
	}
	if (n_ops > 0) {
		a.ops = zalloc(n_ops * sizeof(*a.ops));
		if (a.ops == NULL)
			goto nomem;
		a.n_ops = n_ops;
		for (i = 0; i < n_ops; i++) {
			a.ops[i] = ops[i];
			a.ops[i].list = NULL;
			if (ops[i].n_list > 0) {
				a.ops[i].list =
					dup_mem(ops[i].list, ops[i].n_list * sizeof(*ops[i].list));
				if (a.ops[i].list == NULL)
					goto nomem;
			}
			if (ops[i].kind == FT_OP_LEARN)
				a.learns = true;
		}
	}
	arr = reserve(prog->actions, &prog->cap_actions, prog->n_actions, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->actions = arr;
	arr[prog->n_actions] = a;
	return (int)prog->n_actions++;

nomem:
	free((void *)a.name);
	free_params(a.params, a.n_params);
	free_ops(a.ops, a.n_ops);
	return no_memory(err, "action", name);
}

int
ft_program_action_data_size(const struct ft_program *prog, uint32_t action)
{
	if (prog == NULL || action >= prog->n_actions)
		return -ENOENT;
	return (int)prog->actions[action].data_size;
}

static void *
dup_or_null(const void *p, size_t n, bool *fail)
{
	void *q;

	if (p == NULL || n == 0)
		return NULL;
	q = malloc(n);
	if (q == NULL)
		*fail = true;
	else
		memcpy(q, p, n);
	return q;
}

int
ft_program_add_entry(struct ft_program *prog, uint32_t table, const struct ft_entry *e,
		     struct ft_error *err)
{
	struct table *t;
	struct ft_entry c;
	bool fail = false;
	int ds;

	if (prog == NULL)
		return no_program(err);
	if (table >= prog->n_tables)
		return ft_error_set(err, -ENOENT, FT_ERR_TABLE, table, NULL, "no such table");
	t = &prog->tables[table];
	if (e == NULL || (e->key == NULL && t->key_size > 0))
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, table, t->decl.name,
				    "entry has no key");
	if ((ds = ft_program_action_data_size(prog, e->action)) < 0)
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, table, t->decl.name,
				    "no action %u", e->action);
	if (t->n_entries == t->cap_entries) {
		uint32_t cap = t->cap_entries ? 2 * t->cap_entries : 8;
		struct ft_entry *arr = realloc(t->entries, cap * sizeof(*arr));

		if (arr == NULL)
			return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, table, t->decl.name,
					    "out of memory");
		t->entries = arr;
		t->cap_entries = cap;
	}
	c = *e;
	c.key = dup_or_null(e->key, t->key_size, &fail);
	c.mask = dup_or_null(e->mask, t->key_size, &fail);
	c.data = dup_or_null(e->data, (size_t)ds, &fail);
	if (fail) {
		free((void *)c.key);
		free((void *)c.mask);
		free((void *)c.data);
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, table, t->decl.name,
				    "out of memory");
	}
	t->entries[t->n_entries++] = c;
	return 0;
}

const struct ft_entry *
ft_program_entries(const struct ft_program *prog, uint32_t table, uint32_t *n)
{
	*n = prog != NULL && table < prog->n_tables ? prog->tables[table].n_entries : 0;
	return *n ? prog->tables[table].entries : NULL;
}

int
ft_program_add_table(struct ft_program *prog, const struct ft_table_decl *decl,
		     struct ft_error *err)
{
	struct table t = {0}, *arr;
	uint32_t data_size;
	int rc;

	if (prog == NULL)
		return no_program(err);
	if (decl == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, prog->n_tables, NULL,
				    "no table declaration");
	rc = check_table(prog, prog->n_tables, decl, &t.key_size, err);
	if (rc < 0)
		return rc;
	t.decl = *decl;
	t.decl.name = dup_str(decl->name);
	t.decl.keys = dup_mem(decl->keys, decl->n_keys * sizeof(*decl->keys));
	t.decl.actions = dup_mem(decl->actions, decl->n_actions * sizeof(*decl->actions));
	data_size = prog->actions[decl->default_action].data_size;
	t.decl.default_data = dup_mem(decl->default_data, data_size);
	if (t.decl.name == NULL || (decl->n_keys > 0 && t.decl.keys == NULL) ||
	    t.decl.actions == NULL || (data_size > 0 && t.decl.default_data == NULL))
		goto nomem;
	arr = reserve(prog->tables, &prog->cap_tables, prog->n_tables, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->tables = arr;
	arr[prog->n_tables] = t;
	return (int)prog->n_tables++;

nomem:
	free_table(&t);
	return no_memory(err, "table", decl->name);
}

int
ft_program_key_size(const struct ft_program *prog, uint32_t table)
{
	if (prog == NULL || table >= prog->n_tables)
		return -ENOENT;
	return (int)prog->tables[table].key_size;
}

int
ft_program_add_counter(struct ft_program *prog, const char *name, uint32_t size,
		       struct ft_error *err)
{
	struct counter c = {.size = size}, *arr;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_counter(prog, prog->n_counters, name, size, err);
	if (rc < 0)
		return rc;
	c.name = dup_str(name);
	if (c.name == NULL)
		goto nomem;
	arr = reserve(prog->counters, &prog->cap_counters, prog->n_counters, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->counters = arr;
	arr[prog->n_counters] = c;
	return (int)prog->n_counters++;

nomem:
	free((void *)c.name);
	return no_memory(err, "counter", name);
}

int
ft_program_add_digest(struct ft_program *prog, const char *name, struct ft_error *err)
{
	struct digest d = {0}, *arr;
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_digest(prog, prog->n_digests, name, err);
	if (rc < 0)
		return rc;
	d.name = dup_str(name);
	if (d.name == NULL)
		goto nomem;
	arr = reserve(prog->digests, &prog->cap_digests, prog->n_digests, sizeof(*arr));
	if (arr == NULL)
		goto nomem;
	prog->digests = arr;
	arr[prog->n_digests] = d;
	return (int)prog->n_digests++;

nomem:
	free((void *)d.name);
	return no_memory(err, "digest", name);
}

int
ft_program_set_limits(struct ft_program *prog, uint32_t n_groups, uint32_t n_mirrors,
		      struct ft_error *err)
{
	int rc;

	if (prog == NULL)
		return no_program(err);
	rc = check_limits(n_groups, n_mirrors, err);
	if (rc < 0)
		return rc;
	prog->n_groups = n_groups;
	prog->n_mirrors = n_mirrors;
	return 0;
}

/* --- Control flow ---------------------------------------------------------- */

int
ft_program_add_cond(struct ft_program *prog, const struct ft_cond *cond, struct ft_error *err)
{
	struct ft_cond *arr;
	int rc;

	if (prog == NULL)
		return no_program(err);
	if (cond == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, prog->n_conds, NULL,
				    "no condition");
	rc = check_cond(prog, prog->n_conds, cond, err);
	if (rc < 0)
		return rc;
	arr = reserve(prog->conds, &prog->cap_conds, prog->n_conds, sizeof(*arr));
	if (arr == NULL)
		return no_memory(err, "a condition", NULL);
	prog->conds = arr;
	arr[prog->n_conds] = *cond;
	return (int)prog->n_conds++;
}

int
ft_program_add_node(struct ft_program *prog, enum ft_control ctl, const struct ft_node *node,
		    struct ft_error *err)
{
	struct ft_action_next *on_action = NULL;
	struct node *arr;
	uint32_t id;
	int rc;

	if (prog == NULL)
		return no_program(err);
	if ((unsigned int)ctl >= FT_CTL_COUNT)
		return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, UINT32_MAX, NULL,
				    "unknown control %d", (int)ctl);
	id = prog->n_nodes[ctl];
	if (node == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_CONTROL, id, ctl_names[ctl],
				    "node %u: no node", id);
	rc = check_node(prog, ctl, id, node, UINT32_MAX, err);
	if (rc < 0)
		return rc;
	if (node->kind == FT_NODE_APPLY && node->n_on_action > 0) {
		on_action = dup_mem(node->on_action, node->n_on_action * sizeof(*on_action));
		if (on_action == NULL)
			return no_memory(err, "a node", NULL);
	}
	arr = reserve(prog->nodes[ctl], &prog->cap_nodes[ctl], id, sizeof(*arr));
	if (arr == NULL) {
		free(on_action);
		return no_memory(err, "a node", NULL);
	}
	prog->nodes[ctl] = arr;
	arr[id].n = *node;
	arr[id].n.on_action = on_action;
	if (on_action == NULL)
		arr[id].n.n_on_action = 0;
	return (int)prog->n_nodes[ctl]++;
}

int
ft_program_validate(const struct ft_program *prog, struct ft_error *err)
{
	uint32_t i, c, bytes;
	int rc;

	if (prog == NULL)
		return no_program(err);
	for (i = 0; i < prog->n_types; i++) {
		const struct htype *t = &prog->types[i];

		rc = check_type(prog, i, t->name, t->fields, t->n_fields, &bytes, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_headers; i++) {
		const struct header *h = &prog->headers[i];

		rc = check_header(prog, i, h->name, h->type, h->proto, h->layer, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_meta; i++) {
		rc = check_meta(prog, i, prog->meta[i].name, prog->meta[i].bits, err);
		if (rc < 0)
			return rc;
	}
	rc = check_vxlan_ports(prog->vxlan_ports, prog->n_vxlan_ports, err);
	if (rc == 0)
		rc = check_emit(prog, prog->emit, prog->n_emit, err);
	if (rc == 0)
		rc = check_limits(prog->n_groups, prog->n_mirrors, err);
	if (rc < 0)
		return rc;
	for (i = 0; i < prog->n_counters; i++) {
		rc = check_counter(prog, i, prog->counters[i].name, prog->counters[i].size, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_digests; i++) {
		rc = check_digest(prog, i, prog->digests[i].name, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_actions; i++) {
		const struct action *a = &prog->actions[i];

		rc = check_action(prog, i, a->name, a->params, a->n_params, a->ops, a->n_ops,
				  &bytes, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_tables; i++) {
		rc = check_table(prog, i, &prog->tables[i].decl, &bytes, err);
		if (rc < 0)
			return rc;
	}
	for (i = 0; i < prog->n_conds; i++) {
		rc = check_cond(prog, i, &prog->conds[i], err);
		if (rc < 0)
			return rc;
	}
	for (c = 0; c < FT_CTL_COUNT; c++)
		for (i = 0; i < prog->n_nodes[c]; i++) {
			rc = check_node(prog, (enum ft_control)c, i, &prog->nodes[c][i].n,
					prog->n_nodes[c], err);
			if (rc < 0)
				return rc;
		}
	return 0;
}

/* --- Reading back ---------------------------------------------------------- */

void
ft_program_info(const struct ft_program *prog, struct ft_program_info *info)
{
	uint32_t c;

	memset(info, 0, sizeof(*info));
	if (prog == NULL)
		return;
	info->n_header_types = prog->n_types;
	info->n_headers = prog->n_headers;
	info->n_metadata = prog->n_meta;
	info->n_actions = prog->n_actions;
	info->n_tables = prog->n_tables;
	info->n_counters = prog->n_counters;
	info->n_digests = prog->n_digests;
	info->n_conds = prog->n_conds;
	info->n_groups = prog->n_groups;
	info->n_mirrors = prog->n_mirrors;
	for (c = 0; c < FT_CTL_COUNT; c++)
		info->n_nodes[c] = prog->n_nodes[c];
	info->n_emit = prog->n_emit;
}

int
ft_program_header(const struct ft_program *prog, uint32_t id, struct ft_header_info *out)
{
	const struct header *h;

	if (prog == NULL || id >= prog->n_headers)
		return -ENOENT;
	h = &prog->headers[id];
	out->name = h->name;
	out->type = h->type;
	out->proto = h->proto;
	out->layer = h->layer;
	out->bytes = prog->types[h->type].bytes;
	return 0;
}

int
ft_program_header_type(const struct ft_program *prog, uint32_t id, struct ft_header_type_info *out)
{
	const struct htype *t;

	if (prog == NULL || id >= prog->n_types)
		return -ENOENT;
	t = &prog->types[id];
	out->name = t->name;
	out->fields = t->fields;
	out->n_fields = t->n_fields;
	out->bytes = t->bytes;
	return 0;
}

int
ft_program_field_offset(const struct ft_program *prog, uint32_t type, uint32_t field)
{
	if (prog == NULL || type >= prog->n_types || field >= prog->types[type].n_fields)
		return -ENOENT;
	return (int)prog->types[type].offsets[field];
}

int
ft_program_metadata(const struct ft_program *prog, uint32_t id, struct ft_metadata_info *out)
{
	if (prog == NULL || id >= prog->n_meta)
		return -ENOENT;
	out->name = prog->meta[id].name;
	out->bits = prog->meta[id].bits;
	return 0;
}

int
ft_program_action(const struct ft_program *prog, uint32_t id, struct ft_action_info *out)
{
	const struct action *a;

	if (prog == NULL || id >= prog->n_actions)
		return -ENOENT;
	a = &prog->actions[id];
	out->name = a->name;
	out->params = a->params;
	out->n_params = a->n_params;
	out->ops = a->ops;
	out->n_ops = a->n_ops;
	out->data_size = a->data_size;
	return 0;
}

int
ft_program_table(const struct ft_program *prog, uint32_t id, struct ft_table_decl *out)
{
	if (prog == NULL || id >= prog->n_tables)
		return -ENOENT;
	*out = prog->tables[id].decl;
	return 0;
}

int
ft_program_node(const struct ft_program *prog, enum ft_control ctl, uint32_t id,
		struct ft_node *out)
{
	if (prog == NULL || (unsigned int)ctl >= FT_CTL_COUNT || id >= prog->n_nodes[ctl])
		return -ENOENT;
	*out = prog->nodes[ctl][id].n;
	return 0;
}

int
ft_program_cond(const struct ft_program *prog, uint32_t id, struct ft_cond *out)
{
	if (prog == NULL || id >= prog->n_conds)
		return -ENOENT;
	*out = prog->conds[id];
	return 0;
}

const uint32_t *
ft_program_emit(const struct ft_program *prog, uint32_t *n)
{
	*n = prog != NULL ? prog->n_emit : 0;
	return prog != NULL ? prog->emit : NULL;
}

const char *
ft_program_counter_name(const struct ft_program *prog, uint32_t id)
{
	if (prog == NULL || id >= prog->n_counters)
		return NULL;
	return prog->counters[id].name;
}

uint32_t
ft_program_counter_size(const struct ft_program *prog, uint32_t id)
{
	if (prog == NULL || id >= prog->n_counters)
		return 0;
	return prog->counters[id].size;
}

const char *
ft_program_digest_name(const struct ft_program *prog, uint32_t id)
{
	if (prog == NULL || id >= prog->n_digests)
		return NULL;
	return prog->digests[id].name;
}

const uint16_t *
ft_program_vxlan_ports(const struct ft_program *prog, uint32_t *n)
{
	*n = prog != NULL ? prog->n_vxlan_ports : 0;
	return prog != NULL ? prog->vxlan_ports : NULL;
}

int
ft_program_find_table(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->tables, sizeof(*prog->tables), prog->n_tables, name);
}

int
ft_program_find_action(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->actions, sizeof(*prog->actions), prog->n_actions, name);
}

int
ft_program_find_header(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->headers, sizeof(*prog->headers), prog->n_headers, name);
}

int
ft_program_find_header_type(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->types, sizeof(*prog->types), prog->n_types, name);
}

int
ft_program_find_digest(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->digests, sizeof(*prog->digests), prog->n_digests, name);
}

int
ft_program_find_counter(const struct ft_program *prog, const char *name)
{
	if (prog == NULL)
		return -ENOENT;
	return lookup(prog->counters, sizeof(*prog->counters), prog->n_counters, name);
}

int
ft_program_find_field(const struct ft_program *prog, uint32_t type, const char *name)
{
	const struct htype *t;
	uint32_t i;

	if (prog == NULL || type >= prog->n_types || name == NULL)
		return -ENOENT;
	t = &prog->types[type];
	for (i = 0; i < t->n_fields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return (int)i;
	return -ENOENT;
}
