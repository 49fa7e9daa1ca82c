/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipelines: compiling a program, table entries, transactions, workers and
 * the control-plane reads (pipeline.h). Part of model/; the packet path
 * itself is in exec.c.
 *
 * Compiling resolves every operand of the program to a 'struct loc' (byte
 * offsets, shifts, widths) once, so the packet path never looks a name up,
 * and fuses runs of byte-aligned assignments from action data into header
 * fields into single copies (the way an encapsulation fills a header).
 *
 * Commit and the grace period. Each table has two match structures; workers
 * read copy pipe->active. ft_txn_commit():
 *
 *   1. applies the staged changes, in order, to the inactive copy; a change
 *      that fails (duplicate, missing entry, no room) undoes the ones before
 *      it and the commit fails with nothing changed;
 *   2. publishes: one atomic store of pipe->active, then pipe->gen++;
 *   3. waits for the grace period: every worker is either quiescent
 *      (busy_gen == 0) or started its burst after step 2 (busy_gen >= gen);
 *   4. applies the same changes to the other copy, which nobody reads now;
 *   5. frees the entry slots, handles and groups that neither copy uses.
 *
 * A worker stores the gen it read in busy_gen, then (after a full fence)
 * reads pipe->active; the writer stores pipe->active, then reads busy_gen.
 * Either the writer sees the worker busy and waits, or the worker sees the
 * new copy: a reader never uses a copy that is being written.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <flowtwin/pipeline.h>

#include "pipeline_private.h"

#define ALIGN8(x) (((x) + 7u) & ~7u)
#define HUGE_PAGE (2u << 20)

#define CACHE_LINE 64u

/*
 * Zeroed memory for the large arrays of a table (entries, counters), at
 * least 64-byte aligned (an entry slot of 64 bytes is then one cache line);
 * from 2 MB on, in 2 MB-aligned chunks the kernel may back with transparent
 * huge pages, so that lookups in a table of millions of entries do not also
 * miss the TLB. Free with free().
 *
 * malloc may hand out heap memory a process touched and freed before (after
 * a large free glibc serves even big blocks from its heap): those pages are
 * small ones already, and madvise(MADV_HUGEPAGE) alone leaves them so.
 * MADV_DONTNEED drops them first (the range is wholly ours), so that the
 * memset below faults the range in afresh, in huge pages where the kernel
 * has them.
 */
static void *
big_calloc(size_t n, size_t size)
{
	size_t bytes = n * size, align = CACHE_LINE;
	void *p;

	if (size && bytes / size != n)
		return NULL;
	if (bytes >= HUGE_PAGE)
		align = HUGE_PAGE;
	bytes = (bytes + align - 1) & ~(align - 1);
	if (bytes == 0)
		bytes = align;
	p = aligned_alloc(align, bytes);
	if (p == NULL)
		return NULL;
	if (align == HUGE_PAGE) {
		madvise(p, bytes, MADV_HUGEPAGE);
		madvise(p, bytes, MADV_DONTNEED);
	}
	memset(p, 0, bytes);
	return p;
}

static uint64_t
clock_monotonic_ms(void *arg)
{
	struct timespec ts;

	(void)arg;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
pipe_now(const struct ft_pipeline *pipe)
{
	return pipe->params.clock(pipe->params.clock_arg);
}

/* --- Compiling operands -------------------------------------------------- */

/* Offset of parameter 'p' in the packed data of action 'a'. */
static uint32_t
param_offset(const struct ft_action_info *ai, uint32_t p)
{
	uint32_t off = 0;

	for (uint32_t i = 0; i < p; i++)
		off += (ai->params[i].bits + 7) / 8;
	return off;
}

static int
loc_compile(const struct ft_pipeline *pipe, int action, const struct ft_ref *r, struct loc *l,
	    struct ft_error *err)
{
	const struct ft_program *prog = pipe->prog;
	uint32_t bitoff = 0;

	memset(l, 0, sizeof(*l));
	switch (r->kind) {
	case FT_REF_CONST: {
		uint32_t nb = (r->width + 7) / 8;

		l->kind = LOC_CONST;
		l->bits = (uint16_t)r->width;
		l->nbytes = (uint8_t)(nb > 8 ? 8 : nb);
		memcpy(l->cbytes, r->value + 16 - nb, nb);
		for (uint32_t i = (nb > 8 ? nb - 8 : 0); i < nb; i++)
			l->cval = l->cval << 8 | l->cbytes[i];
		l->mask = r->width >= 64 ? ~0ull : (1ull << r->width) - 1;
		l->wide = r->width > 64;
		l->aligned = r->width % 8 == 0;
		return 0;
	}
	case FT_REF_FIELD: {
		struct ft_header_info hi;
		struct ft_header_type_info ti;
		int off;

		if (ft_program_header(prog, r->id, &hi) < 0 ||
		    ft_program_header_type(prog, hi.type, &ti) < 0 || r->field >= ti.n_fields)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, r->id, NULL,
					    "no such header field");
		off = ft_program_field_offset(prog, hi.type, r->field);
		bitoff = (uint32_t)off;
		l->kind = LOC_HDR;
		l->hdr = (uint8_t)r->id;
		l->bits = (uint16_t)ti.fields[r->field].bits;
		l->off = (uint16_t)(bitoff / 8);
		break;
	}
	case FT_REF_HEADER: {
		struct ft_header_info hi;

		if (ft_program_header(prog, r->id, &hi) < 0)
			return ft_error_set(err, -EINVAL, FT_ERR_HEADER, r->id, NULL,
					    "no such header");
		l->kind = LOC_WHOLE_HDR;
		l->hdr = (uint8_t)r->id;
		l->bits = (uint16_t)(hi.bytes * 8);
		l->wide = true;
		l->aligned = true;
		l->nbytes = 0;
		return 0;
	}
	case FT_REF_META: {
		struct ft_metadata_info mi;

		if (ft_program_metadata(prog, r->id, &mi) < 0)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, r->id, NULL,
					    "no such metadata field");
		l->kind = LOC_META;
		l->hdr = BASE_META;
		l->bits = (uint16_t)mi.bits;
		l->off = pipe->meta_off[r->id];
		bitoff = l->off * 8u + (((mi.bits + 7) / 8) * 8 - mi.bits);
		bitoff -= l->off * 8u;
		break;
	}
	case FT_REF_PARAM: {
		struct ft_action_info ai;

		if (action < 0 || ft_program_action(prog, (uint32_t)action, &ai) < 0 ||
		    r->id >= ai.n_params)
			return ft_error_set(err, -EINVAL, FT_ERR_PARAM, r->id, NULL,
					    "no such action parameter");
		l->kind = LOC_PARAM;
		l->hdr = BASE_PARAMS;
		l->bits = (uint16_t)ai.params[r->id].bits;
		l->off = (uint16_t)param_offset(&ai, r->id);
		bitoff = ((ai.params[r->id].bits + 7) / 8) * 8 - ai.params[r->id].bits;
		break;
	}
	case FT_REF_STD:
		if (r->id >= FT_STD_COUNT)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, r->id, NULL,
					    "no such standard metadata");
		l->kind = LOC_STD;
		l->off = (uint16_t)r->id;
		l->bits = (uint16_t)ft_std_bits((enum ft_std)r->id);
		l->nbytes = (uint8_t)(l->bits / 8);
		l->aligned = true;
		return 0;
	default:
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, NULL,
				    "operand of unknown kind %d", (int)r->kind);
	}
	/* A bit string at bit 'bitoff % 8' of byte 'off'. */
	{
		uint32_t lead = bitoff % 8;
		uint32_t nb = (lead + l->bits + 7) / 8;

		l->wide = l->bits > 64;
		l->aligned = lead == 0 && l->bits % 8 == 0;
		if (l->wide && !l->aligned)
			return ft_error_set(err, -ENOTSUP, FT_ERR_FIELD, r->id, NULL,
					    "a field wider than 64 bits must be byte-aligned");
		if (!l->wide && nb > 8)
			return ft_error_set(err, -ENOTSUP, FT_ERR_FIELD, r->id, NULL,
					    "a field may span at most 8 bytes");
		l->nbytes = (uint8_t)(l->wide ? 0 : nb);
		l->shift = (uint8_t)(l->wide ? 0 : nb * 8 - lead - l->bits);
		l->mask = l->bits >= 64 ? ~0ull : (1ull << l->bits) - 1;
	}
	return 0;
}

/* --- Compiling actions ---------------------------------------------------- */

static const uint8_t op_to_insn[] = {
	[FT_OP_SET] = I_SET,
	[FT_OP_ADD] = I_ADD,
	[FT_OP_SUB] = I_SUB,
	[FT_OP_AND] = I_AND,
	[FT_OP_OR] = I_OR,
	[FT_OP_XOR] = I_XOR,
	[FT_OP_SHL] = I_SHL,
	[FT_OP_SHR] = I_SHR,
	[FT_OP_NOT] = I_NOT,
	[FT_OP_SET_VALID] = I_VALID,
	[FT_OP_SET_INVALID] = I_INVALID,
	[FT_OP_CSUM] = I_CSUM,
	[FT_OP_HASH] = I_HASH,
	[FT_OP_SEND] = I_SEND,
	[FT_OP_DROP] = I_DROP,
	[FT_OP_REPLICATE] = I_REPLICATE,
	[FT_OP_MIRROR] = I_MIRROR,
	[FT_OP_DIGEST] = I_DIGEST,
	[FT_OP_LEARN] = I_LEARN,
	[FT_OP_COUNT] = I_COUNT,
};

static bool
is_operand(const struct ft_ref *r)
{
	return r->kind != FT_REF_NONE;
}

/* A 16-bit value in whole bytes of a header, the metadata or the action data. */
static bool
is_u16(const struct loc *l)
{
	return (l->kind == LOC_HDR || l->kind == LOC_META || l->kind == LOC_PARAM) && l->aligned &&
	       l->bits == 16;
}

/* A byte-aligned copy from action data into a header: fusable into I_COPY. */
static bool
copy_candidate(const struct insn *in)
{
	return in->kind == I_SET && in->dst.kind == LOC_HDR && in->a.kind == LOC_PARAM &&
	       in->dst.aligned && in->a.aligned && in->dst.bits == in->a.bits;
}

/*
 * When every item of a checksum or hash list is whole bytes in a header,
 * the metadata or the action data, the list becomes runs of bytes, merged
 * where adjacent, so the packet path copies instead of packing bits.
 */
static int
segs_compile(struct insn *in)
{
	struct seg *sg = calloc(in->n_list ? in->n_list : 1, sizeof(*sg));
	uint32_t n = 0;

	if (sg == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < in->n_list; i++) {
		const struct loc *l = &in->list[i];
		struct seg s;

		if (!l->aligned || l->kind == LOC_CONST || l->kind == LOC_STD ||
		    l->kind == LOC_WHOLE_HDR) {
			free(sg);
			return 0;
		}
		s.hdr = l->hdr;
		s.off = l->off;
		s.len = (uint16_t)(l->bits / 8);
		if (n > 0 && sg[n - 1].hdr == s.hdr && sg[n - 1].off + sg[n - 1].len == s.off)
			sg[n - 1].len = (uint16_t)(sg[n - 1].len + s.len);
		else
			sg[n++] = s;
	}
	in->segs = sg;
	in->n_segs = n;
	in->segs_even = true;
	for (uint32_t i = 0; i < n; i++)
		in->segs_even &= sg[i].len % 2 == 0;
	return 0;
}

static bool
reads_header(const struct insn *in, uint32_t h)
{
	const struct loc *ops[] = {&in->a, &in->b};

	for (uint32_t i = 0; i < 2; i++)
		if ((ops[i]->kind == LOC_HDR || ops[i]->kind == LOC_WHOLE_HDR) && ops[i]->hdr == h)
			return true;
	for (uint32_t i = 0; i < in->n_list; i++)
		if ((in->list[i].kind == LOC_HDR || in->list[i].kind == LOC_WHOLE_HDR) &&
		    in->list[i].hdr == h)
			return true;
	/* A partial write reads the bytes around the field. */
	return in->dst.kind == LOC_HDR && in->dst.hdr == h && !in->dst.aligned &&
	       in->kind != I_COPY;
}

/*
 * A header made valid is zeroed, unless the same action writes every byte
 * of it before anything reads it (an encapsulation filling its headers from
 * the entry): then I_VALID's len is set to 1 and the packet path skips the
 * memset.
 */
static void
valid_fill_compile(const struct ft_pipeline *pipe, struct caction *ca)
{
	for (uint32_t i = 0; i < ca->n_insns; i++) {
		struct insn *v = &ca->insns[i];
		uint8_t filled[FT_HEADER_BYTES_MAX] = {0};
		uint32_t h, n = 0, bytes;

		if (v->kind != I_VALID)
			continue;
		h = v->dst.hdr;
		bytes = pipe->hdr_bytes[h];
		for (uint32_t j = i + 1; j < ca->n_insns && n < bytes; j++) {
			const struct insn *in = &ca->insns[j];
			uint32_t len = in->kind == I_COPY ? in->len : in->dst.bits / 8u;

			if (reads_header(in, h) || (in->kind == I_INVALID && in->dst.hdr == h))
				break;
			if (in->dst.kind != LOC_HDR || in->dst.hdr != h || !in->dst.aligned ||
			    (in->kind != I_COPY && in->kind != I_SET && in->kind != I_SET_WIDE))
				continue;
			for (uint32_t b = in->dst.off; b < in->dst.off + len && b < bytes; b++)
				if (!filled[b]) {
					filled[b] = 1;
					n++;
				}
		}
		v->len = n == bytes;
	}
}

/* Points l at the scratch area if it is a field of a header in 'known'. */
static void
loc_to_scratch(const struct ft_pipeline *pipe, uint32_t known, struct loc *l)
{
	if (l->kind == LOC_HDR && l->hdr < FT_HEADERS_MAX && (known & (1u << l->hdr))) {
		l->off = (uint16_t)(pipe->hdr_scratch[l->hdr] + l->off);
		l->hdr = BASE_SCRATCH;
	}
}

/*
 * The instruction list the packet path runs when nothing is traced (traces
 * run ca->insns, whose records follow the program's operations). A header
 * the parser never fills is valid only in the scratch area, at a fixed
 * offset; once the action has made it valid (and nothing since may have
 * made it invalid), its fields are addressed there (BASE_SCRATCH), which is
 * never NULL. Copies from adjacent action data into adjacent headers then
 * fuse into one: the prefix headers are back to back in the scratch area
 * (compile()), so an encapsulation fills all its headers with one copy.
 * Owns copies of the lists and runs.
 */
static int
action_fast_compile(const struct ft_pipeline *pipe, struct caction *ca)
{
	uint32_t known = 0; /* unparsed headers certainly valid here */

	ca->fast = calloc(ca->n_insns ? ca->n_insns : 1, sizeof(*ca->fast));
	if (ca->fast == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < ca->n_insns; i++) {
		const struct insn *src = &ca->insns[i];
		struct insn *in = &ca->fast[ca->n_fast];
		struct insn *prev = ca->n_fast ? in - 1 : NULL;

		*in = *src;
		in->list = NULL;
		in->segs = NULL;
		ca->n_fast++;
		if (src->list != NULL) {
			in->list = malloc(src->n_list * sizeof(*in->list));
			if (in->list == NULL)
				return -ENOMEM;
			memcpy(in->list, src->list, src->n_list * sizeof(*in->list));
		}
		if (src->segs != NULL) {
			in->segs = malloc((src->n_segs ? src->n_segs : 1) * sizeof(*in->segs));
			if (in->segs == NULL)
				return -ENOMEM;
			memcpy(in->segs, src->segs, src->n_segs * sizeof(*in->segs));
		}
		switch (in->kind) {
		case I_VALID: {
			uint32_t h = in->dst.hdr;

			if (pipe->hdr_layer[h] != FT_L_NONE)
				continue;
			known |= 1u << h;
			if (!in->len) /* it must be zeroed if it was not valid */
				continue;
			/*
			 * Filled whole by the action: its one place is the same
			 * whether it was valid or not, so no test; successive
			 * ones become one instruction.
			 */
			if (prev && prev->kind == I_VALID_SCRATCH) {
				ca->n_fast--;
				in = prev;
			} else {
				in->kind = I_VALID_SCRATCH;
				in->mask = 0;
				in->n_segs = 0;
				in->segs = calloc(ca->n_insns, sizeof(*in->segs));
				if (in->segs == NULL)
					return -ENOMEM;
			}
			in->mask |= 1u << h;
			in->segs[in->n_segs++] = (struct seg){.hdr = (uint8_t)h,
							      .off = pipe->hdr_scratch[h],
							      .len = pipe->hdr_bytes[h]};
			continue;
		}
		case I_INVALID:
		case I_HDR_COPY: /* makes dst invalid if the source is */
			known &= ~(1u << in->dst.hdr);
			continue;
		default:
			break;
		}
		loc_to_scratch(pipe, known, &in->dst);
		loc_to_scratch(pipe, known, &in->a);
		loc_to_scratch(pipe, known, &in->b);
		for (uint32_t j = 0; j < in->n_list; j++)
			loc_to_scratch(pipe, known, &in->list[j]);
		for (uint32_t j = 0; in->segs && j < in->n_segs; j++) {
			struct seg *sg = &in->segs[j];

			if (sg->hdr < FT_HEADERS_MAX && (known & (1u << sg->hdr))) {
				sg->off = (uint16_t)(pipe->hdr_scratch[sg->hdr] + sg->off);
				sg->hdr = BASE_SCRATCH;
			}
		}
		if (in->kind == I_COPY && prev && prev->kind == I_COPY &&
		    prev->dst.hdr == in->dst.hdr && prev->dst.off + prev->len == in->dst.off &&
		    prev->a.off + prev->len == in->a.off) {
			prev->len += in->len;
			ca->n_fast--;
		}
	}
	return 0;
}

static int
action_compile(struct ft_pipeline *pipe, uint32_t id, struct caction *ca, struct ft_error *err)
{
	struct ft_action_info ai;
	int rc;

	ft_program_action(pipe->prog, id, &ai);
	ca->data_size = ai.data_size;
	ca->insns = calloc(ai.n_ops ? ai.n_ops : 1, sizeof(*ca->insns));
	if (ca->insns == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, ai.name, "out of memory");
	for (uint32_t i = 0; i < ai.n_ops; i++) {
		const struct ft_op *op = &ai.ops[i];
		struct insn *in = &ca->insns[ca->n_insns];

		if ((unsigned int)op->kind >= ARRAY_SIZE(op_to_insn))
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, id, ai.name,
					    "operation %u has an unknown kind", i);
		in->kind = op_to_insn[op->kind];
		in->id = op->id;
		in->src_op = i;
		if ((is_operand(&op->dst) && (rc = loc_compile(pipe, (int)id, &op->dst, &in->dst, err))) ||
		    (is_operand(&op->a) && (rc = loc_compile(pipe, (int)id, &op->a, &in->a, err))) ||
		    (is_operand(&op->b) && (rc = loc_compile(pipe, (int)id, &op->b, &in->b, err))))
			return rc;
		if (op->n_list) {
			in->list = calloc(op->n_list, sizeof(*in->list));
			if (in->list == NULL)
				return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, ai.name,
						    "out of memory");
			in->n_list = op->n_list;
			for (uint32_t j = 0; j < op->n_list; j++)
				if ((rc = loc_compile(pipe, (int)id, &op->list[j], &in->list[j], err)))
					return rc;
		}
		if ((in->kind == I_CSUM || in->kind == I_HASH) && (rc = segs_compile(in)) < 0)
			return ft_error_set(err, rc, FT_ERR_RESOURCE, id, ai.name, "out of memory");
		if (in->kind == I_SET && in->dst.kind == LOC_WHOLE_HDR)
			in->kind = in->a.kind == LOC_WHOLE_HDR ? I_HDR_COPY : I_SET;
		else if (in->kind == I_SET && (in->dst.wide || in->a.wide))
			in->kind = I_SET_WIDE;
		if (in->kind == I_ADD && is_u16(&in->dst) && is_u16(&in->a) &&
		    (is_u16(&in->b) || (in->b.kind == LOC_CONST && in->b.bits <= 16)))
			in->kind = I_ADD16;
		/* Fuse with the previous instruction when both copy adjacent bytes. */
		if (copy_candidate(in) || (in->kind == I_SET_WIDE && in->a.kind == LOC_PARAM &&
					   in->dst.kind == LOC_HDR && in->dst.bits == in->a.bits)) {
			struct insn *prev = ca->n_insns ? &ca->insns[ca->n_insns - 1] : NULL;
			uint32_t len = in->dst.bits / 8u;

			if (prev && prev->kind == I_COPY && prev->dst.hdr == in->dst.hdr &&
			    prev->dst.off + prev->len == in->dst.off &&
			    prev->a.off + prev->len == in->a.off) {
				prev->len += len;
				memset(in, 0, sizeof(*in));
				continue;
			}
			in->kind = I_COPY;
			in->len = len;
		}
		ca->n_insns++;
	}
	valid_fill_compile(pipe, ca);
	if (action_fast_compile(pipe, ca) < 0)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, ai.name, "out of memory");
	return 0;
}

/* --- Tables --------------------------------------------------------------- */

/*
 * Free slots form a stack linked through their first 4 bytes (a used slot's
 * handle): no reader sees a slot between its release and its reuse.
 */
static uint32_t
slot_alloc(struct ptable *t)
{
	uint32_t s = t->free_slot;

	if (s != MT_MISS)
		t->free_slot = slot_word(slot_ptr(t, s), 0);
	return s;
}

static void
slot_release(struct ptable *t, uint32_t s)
{
	memcpy(slot_ptr(t, s), &t->free_slot, 4);
	t->free_slot = s;
}

/* Bits to write 0 .. n. */
static uint32_t
bits_for(uint32_t n)
{
	return n ? 32 - (uint32_t)__builtin_clz(n) : 1;
}

/* The entry slot's layout (pipeline_private.h), once keys, data and handles are known. */
static void
slot_layout(const struct ft_pipeline *pipe, struct ptable *t)
{
	uint32_t hb = bits_for(t->n_handles), ab = bits_for(pipe->n_actions - 1), next;

	t->compact = !t->wildcard && hb + ab + 1 <= 32;
	if (!t->compact) {
		t->fmt = (struct slot_fmt){.handle_mask = UINT32_MAX,
					   .learned_bit = SLOT_F_LEARNED,
					   .word_off = 4,
					   .action_shift = 16};
		t->key_off = 8;
		t->mask_off = t->key_off + t->key_stride;
		t->prio_off = t->mask_off + (t->wildcard ? t->key_stride : 0);
		t->data_off = t->prio_off + (t->wildcard ? 8 : 0);
		t->stride = ALIGN8(t->data_off + t->data_max);
		return;
	}
	t->fmt = (struct slot_fmt){.handle_mask = (1u << hb) - 1,
				   .learned_bit = 1u << hb,
				   .action_shift = (uint8_t)(32 - ab)};
	t->key_off = t->mask_off = t->prio_off = 4;
	t->data_off = t->key_off + t->key_size;
	t->stride = ALIGN8(t->data_off + t->data_max);
	/* One line per slot where 8 bytes or less buy it (8, 16, 32 or 64 divide a line). */
	next = t->stride <= 8 ? 8 : 1u << (32 - __builtin_clz(t->stride - 1));
	if (next <= CACHE_LINE && next - t->stride <= 8)
		t->stride = next;
}

static int
table_compile(struct ft_pipeline *pipe, uint32_t id, struct ptable *t, struct ft_error *err)
{
	const struct ft_program *prog = pipe->prog;
	uint32_t off = 0, extra, n_ternary = 0;
	int rc;

	ft_program_table(prog, id, &t->decl);
	t->name = t->decl.name;
	t->lpm_key = -1;
	t->keys = calloc(t->decl.n_keys ? t->decl.n_keys : 1, sizeof(*t->keys));
	t->allowed = calloc(pipe->n_actions ? pipe->n_actions : 1, 1);
	if (t->keys == NULL || t->allowed == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, t->name, "out of memory");
	t->n_keys = t->decl.n_keys;
	for (uint32_t k = 0; k < t->n_keys; k++) {
		struct ckey *ck = &t->keys[k];

		if ((rc = loc_compile(pipe, -1, &t->decl.keys[k].ref, &ck->loc, err)))
			return rc;
		ck->off = (uint16_t)off;
		ck->nbytes = (uint16_t)((ck->loc.bits + 7) / 8);
		ck->match = (uint8_t)t->decl.keys[k].match;
		off += ck->nbytes;
		if (ck->match == FT_MATCH_LPM)
			t->lpm_key = (int)k;
		if (ck->match != FT_MATCH_EXACT)
			t->wildcard = true;
		if (ck->match == FT_MATCH_TERNARY)
			n_ternary++;
	}
	t->lpm_only = t->lpm_key >= 0 && n_ternary == 0;
	t->key_size = off;
	t->key_stride = ALIGN8(off ? off : 1);
	for (uint32_t a = 0; a < t->decl.n_actions; a++) {
		uint32_t act = t->decl.actions[a].action;

		t->allowed[act] = (uint8_t)(1 + t->decl.actions[a].scope);
		if (pipe->actions[act].data_size > t->data_max)
			t->data_max = pipe->actions[act].data_size;
	}
	/*
	 * Room for the entries, for the new slots of in-flight modifies, and the defaults;
	 * handles likewise, for adds that follow deletes in one transaction (a deleted
	 * entry's handle is freed only after the grace period).
	 */
	extra = t->decl.size / 16 > 16 ? t->decl.size / 16 : 16;
	t->n_slots = t->decl.size + extra + 2;
	t->n_handles = t->decl.size + extra;
	slot_layout(pipe, t);
	t->slots = big_calloc(t->n_slots, t->stride);
	t->free_handles = malloc(sizeof(uint32_t) * t->n_handles);
	t->idle_timeout_ms = t->decl.idle_timeout_ms;
	if (t->decl.idle_timeout_ms)
		t->last_hit = calloc(t->n_handles, sizeof(*t->last_hit));
	if (t->slots == NULL || t->free_handles == NULL ||
	    (t->decl.idle_timeout_ms && t->last_hit == NULL))
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, t->name,
				    "out of memory for %u entries", t->decl.size);
	t->free_slot = MT_MISS;
	for (uint32_t i = t->n_slots; i-- > 0;)
		slot_release(t, i);
	for (uint32_t i = 0; i < t->n_handles; i++)
		t->free_handles[i] = t->n_handles - 1 - i;
	t->n_free_handles = t->n_handles;
	if (t->n_keys > 0) {
		struct mt_params mp = {
			.kind = t->wildcard ? MT_WILDCARD : MT_EXACT,
			.key_size = t->key_size,
			.capacity = t->decl.size,
			.slots = {.base = t->slots,
				  .stride = t->stride,
				  .key_off = t->key_off,
				  .mask_off = t->mask_off,
				  .prio_off = t->prio_off},
		};

		for (int c = 0; c < 2; c++) {
			t->copy[c].mt = mt_create(&mp);
			if (t->copy[c].mt == NULL)
				return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, id, t->name,
						    "out of memory for the match structure");
		}
	}
	/* The default action: one slot both copies share until a commit changes it. */
	{
		uint32_t s = slot_alloc(t);
		uint8_t *p = slot_ptr(t, s);
		uint32_t act = t->decl.default_action;

		slot_header_set(t, s, UINT32_MAX, act, false);
		if (t->decl.default_data)
			memcpy(p + t->data_off, t->decl.default_data,
			       pipe->actions[act].data_size);
		t->copy[0].default_slot = t->copy[1].default_slot = s;
	}
	return 0;
}

static void
table_free(struct ptable *t)
{
	mt_destroy(t->copy[0].mt);
	mt_destroy(t->copy[1].mt);
	free(t->keys);
	free(t->allowed);
	free(t->slots);
	free(t->free_handles);
	free(t->last_hit);
}

/* --- Banks of counters ---------------------------------------------------- */

static int
bank_init(const struct ft_pipeline *pipe, struct bank *b)
{
	memset(b, 0, sizeof(*b));
	b->entry = calloc(pipe->n_tables + 1, sizeof(*b->entry));
	b->cells = calloc(pipe->n_counters + 1, sizeof(*b->cells));
	b->hits = calloc(pipe->n_tables + 1, sizeof(*b->hits));
	b->misses = calloc(pipe->n_tables + 1, sizeof(*b->misses));
	b->action_drops = calloc(pipe->n_actions + 1, sizeof(*b->action_drops));
	if (!b->entry || !b->cells || !b->hits || !b->misses || !b->action_drops)
		return -ENOMEM;
	for (uint32_t t = 0; t < pipe->n_tables; t++) {
		b->entry[t] = big_calloc(pipe->tables[t].n_handles, sizeof(struct counter_cell));
		if (b->entry[t] == NULL)
			return -ENOMEM;
	}
	for (uint32_t c = 0; c < pipe->n_counters; c++) {
		b->cells[c] = calloc(pipe->counter_size[c], sizeof(struct counter_cell));
		if (b->cells[c] == NULL)
			return -ENOMEM;
	}
	return 0;
}

static void
bank_free(const struct ft_pipeline *pipe, struct bank *b)
{
	if (b->entry)
		for (uint32_t t = 0; t < pipe->n_tables; t++)
			free(b->entry[t]);
	if (b->cells)
		for (uint32_t c = 0; c < pipe->n_counters; c++)
			free(b->cells[c]);
	free(b->entry);
	free(b->cells);
	free(b->hits);
	free(b->misses);
	free(b->action_drops);
}


static void
cell_add(struct counter_cell *to, const struct counter_cell *from)
{
	atomic_store_explicit(&to->packets, RLOAD(to->packets) + RLOAD(from->packets),
			      memory_order_relaxed);
	atomic_store_explicit(&to->bytes, RLOAD(to->bytes) + RLOAD(from->bytes),
			      memory_order_relaxed);
}

static void
u64_add(_Atomic uint64_t *to, const _Atomic uint64_t *from)
{
	atomic_store_explicit(to, RLOAD(*to) + RLOAD(*from), memory_order_relaxed);
}

/* Adds a destroyed worker's counts to the pipeline's. */
static void
bank_fold(const struct ft_pipeline *pipe, struct bank *to, const struct bank *from)
{
	for (uint32_t t = 0; t < pipe->n_tables; t++) {
		for (uint32_t h = 0; h < pipe->tables[t].n_handles; h++)
			if (RLOAD(from->entry[t][h].packets))
				cell_add(&to->entry[t][h], &from->entry[t][h]);
		u64_add(&to->hits[t], &from->hits[t]);
		u64_add(&to->misses[t], &from->misses[t]);
	}
	for (uint32_t c = 0; c < pipe->n_counters; c++)
		for (uint32_t i = 0; i < pipe->counter_size[c]; i++)
			cell_add(&to->cells[c][i], &from->cells[c][i]);
	for (uint32_t a = 0; a < pipe->n_actions; a++)
		u64_add(&to->action_drops[a], &from->action_drops[a]);
	for (uint32_t r = 0; r < FT_DROP_COUNT; r++)
		u64_add(&to->drop[r], &from->drop[r]);
	u64_add(&to->rx, &from->rx);
	u64_add(&to->tx, &from->tx);
	u64_add(&to->copies, &from->copies);
	u64_add(&to->learn_lost, &from->learn_lost);
	u64_add(&to->events_lost, &from->events_lost);
}

/* Calls fn on the dead bank and every live worker's bank. Lock held. */
#define FOR_EACH_BANK(pipe, b)                                                                    \
	for (uint32_t _w = 0; _w <= (pipe)->params.n_workers_max; _w++)                           \
		if (((b) = _w == 0 ? &(pipe)->dead                                                 \
				   : ((pipe)->workers[_w - 1] ? &(pipe)->workers[_w - 1]->bank     \
							       : NULL)) != NULL)

static void
entry_counters(struct ft_pipeline *pipe, uint32_t table, uint32_t handle, uint64_t *pkts,
	       uint64_t *bytes)
{
	struct bank *b;

	*pkts = *bytes = 0;
	FOR_EACH_BANK (pipe, b) {
		*pkts += RLOAD(b->entry[table][handle].packets);
		*bytes += RLOAD(b->entry[table][handle].bytes);
	}
}

static void
entry_counters_clear(struct ft_pipeline *pipe, uint32_t table, uint32_t handle)
{
	struct bank *b;

	FOR_EACH_BANK (pipe, b) {
		atomic_store_explicit(&b->entry[table][handle].packets, 0, memory_order_relaxed);
		atomic_store_explicit(&b->entry[table][handle].bytes, 0, memory_order_relaxed);
	}
}

/* --- Creating and destroying ---------------------------------------------- */

static void
pipeline_free(struct ft_pipeline *pipe, bool free_prog)
{
	if (pipe == NULL)
		return;
	for (uint32_t t = 0; pipe->tables && t < pipe->n_tables; t++)
		table_free(&pipe->tables[t]);
	free(pipe->tables);
	for (uint32_t a = 0; pipe->actions && a < pipe->n_actions; a++) {
		for (uint32_t i = 0; i < pipe->actions[a].n_insns; i++) {
			free(pipe->actions[a].insns[i].list);
			free(pipe->actions[a].insns[i].segs);
		}
		free(pipe->actions[a].insns);
		for (uint32_t i = 0; i < pipe->actions[a].n_fast; i++) {
			free(pipe->actions[a].fast[i].list);
			free(pipe->actions[a].fast[i].segs);
		}
		free(pipe->actions[a].fast);
	}
	free(pipe->actions);
	for (int c = 0; c < FT_CTL_COUNT; c++)
		free(pipe->nodes[c]);
	free(pipe->conds);
	free(pipe->meta_off);
	/* The copies share their groups but for changes in flight: free each once. */
	for (uint32_t g = 0; pipe->gcopy[0].groups && g < pipe->n_groups; g++) {
		if (pipe->gcopy[1].groups && pipe->gcopy[1].groups[g] != pipe->gcopy[0].groups[g])
			free(pipe->gcopy[1].groups[g]);
		free(pipe->gcopy[0].groups[g]);
	}
	for (int c = 0; c < 2; c++) {
		free(pipe->gcopy[c].groups);
		free(pipe->gcopy[c].mirror_port);
	}
	if (pipe->dead.entry)
		bank_free(pipe, &pipe->dead);
	free(pipe->counter_size);
	free(pipe->workers);
	pthread_mutex_destroy(&pipe->lock);
	if (free_prog)
		ft_program_destroy(pipe->prog);
	free(pipe);
}

static int
compile(struct ft_pipeline *pipe, struct ft_error *err)
{
	const struct ft_program *prog = pipe->prog;
	const struct ft_program_info *info = &pipe->info;
	const uint32_t *emit;
	const uint16_t *ports;
	uint8_t layer_hdr[FT_L_COUNT]; /* the instance the parser fills at each layer, or 0xff */
	uint8_t prefix[FT_HEADERS_MAX];
	uint32_t n, off, n_prefix = 0;
	int rc;

	/* Headers and the parser. */
	pipe->n_headers = info->n_headers;
	memset(layer_hdr, 0xff, sizeof(layer_hdr));
	pipe->parse_cfg.layers = 0;
	for (uint32_t h = 0; h < info->n_headers; h++) {
		struct ft_header_info hi;

		ft_program_header(prog, h, &hi);
		pipe->hdr_bytes[h] = (uint16_t)hi.bytes;
		pipe->hdr_layer[h] = (uint8_t)hi.layer;
		if (hi.layer != FT_L_NONE) {
			layer_hdr[hi.layer] = (uint8_t)h;
			pipe->parse_cfg.layers |= FT_LAYER_BIT(hi.layer);
		}
	}
	pipe->n_parsed = 0;
	for (uint32_t l = 0; l < FT_L_COUNT; l++)
		if (layer_hdr[l] != 0xff) {
			pipe->parsed_layer[pipe->n_parsed] = (uint8_t)l;
			pipe->parsed_inst[pipe->n_parsed++] = layer_hdr[l];
		}
	ports = ft_program_vxlan_ports(prog, &n);
	if (n == 0) {
		pipe->parse_cfg.vxlan_ports[0] = FT_VXLAN_PORT_DEFAULT;
		pipe->parse_cfg.n_vxlan_ports = 1;
	} else {
		for (uint32_t i = 0; i < n && i < FT_PARSE_VXLAN_PORTS_MAX; i++)
			pipe->parse_cfg.vxlan_ports[i] = ports[i];
		pipe->parse_cfg.n_vxlan_ports = (uint8_t)(n < FT_PARSE_VXLAN_PORTS_MAX ? n : FT_PARSE_VXLAN_PORTS_MAX);
	}
	emit = ft_program_emit(prog, &n);
	for (uint32_t i = 0; i < n; i++)
		pipe->emit[i] = emit[i];
	pipe->n_emit = n;
	/*
	 * A packet whose headers all stay where the parser found them needs no
	 * deparsing when the emit order is the packet's own order.
	 */
	{
		uint32_t last = 0, listed = 0, parsed = 0;

		pipe->emit_as_parsed = true;
		for (uint32_t i = 0; i < n; i++) {
			uint32_t l = pipe->hdr_layer[emit[i]];

			if (l == FT_L_NONE)
				continue;
			if (listed && l <= last)
				pipe->emit_as_parsed = false;
			last = l;
			listed++;
		}
		for (uint32_t h = 0; h < info->n_headers; h++)
			parsed += pipe->hdr_layer[h] != FT_L_NONE;
		if (listed != parsed)
			pipe->emit_as_parsed = false;
		/* The headers an encapsulation puts in front of the parsed ones. */
		for (uint32_t i = 0; i < n && pipe->hdr_layer[emit[i]] == FT_L_NONE; i++) {
			pipe->prefix_mask |= 1u << emit[i];
			prefix[n_prefix++] = (uint8_t)emit[i];
		}
	}
	/*
	 * Each packet's scratch area: the prefix headers first, back to back in
	 * emit order, so that when all of them are valid the deparser writes
	 * them with one copy (and an action filling them from adjacent action
	 * data copies them with one copy); then the other headers.
	 */
	off = 0;
	for (uint32_t i = 0; i < n_prefix; i++) {
		pipe->hdr_scratch[prefix[i]] = (uint16_t)off;
		off += pipe->hdr_bytes[prefix[i]];
	}
	pipe->prefix_bytes = off;
	off = ALIGN8(off);
	for (uint32_t h = 0; h < info->n_headers; h++) {
		if (pipe->prefix_mask & (1u << h))
			continue;
		pipe->hdr_scratch[h] = (uint16_t)off;
		off += ALIGN8(pipe->hdr_bytes[h]);
	}
	pipe->scratch_size = off ? off : 8;

	/* Metadata: each field in whole bytes. */
	pipe->meta_off = calloc(info->n_metadata + 1, sizeof(*pipe->meta_off));
	if (pipe->meta_off == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	off = 0;
	for (uint32_t m = 0; m < info->n_metadata; m++) {
		struct ft_metadata_info mi;

		ft_program_metadata(prog, m, &mi);
		pipe->meta_off[m] = (uint16_t)off;
		off += (mi.bits + 7) / 8;
	}
	pipe->meta_size = off;

	/* Counters, groups, mirrors. */
	pipe->n_counters = info->n_counters;
	pipe->counter_size = calloc(info->n_counters + 1, sizeof(uint32_t));
	if (pipe->counter_size == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	for (uint32_t c = 0; c < info->n_counters; c++) {
		/* The builder keeps sizes; read them through the counter's name. */
		pipe->counter_size[c] = ft_program_counter_size(prog, c);
	}
	pipe->n_groups = info->n_groups;
	pipe->n_mirrors = info->n_mirrors;
	for (int c = 0; c < 2; c++) {
		pipe->gcopy[c].groups = calloc(pipe->n_groups + 1, sizeof(struct group *));
		pipe->gcopy[c].mirror_port = malloc(sizeof(uint32_t) * (pipe->n_mirrors + 1));
		if (pipe->gcopy[c].groups == NULL || pipe->gcopy[c].mirror_port == NULL)
			return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
					    "out of memory");
		for (uint32_t s = 0; s < pipe->n_mirrors; s++)
			pipe->gcopy[c].mirror_port[s] = UINT32_MAX;
	}

	/* Actions. */
	pipe->n_actions = info->n_actions;
	pipe->actions = calloc(info->n_actions + 1, sizeof(*pipe->actions));
	if (pipe->actions == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	for (uint32_t a = 0; a < info->n_actions; a++)
		if ((rc = action_compile(pipe, a, &pipe->actions[a], err)))
			return rc;

	/* Conditions. */
	pipe->conds = calloc(info->n_conds + 1, sizeof(*pipe->conds));
	if (pipe->conds == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	for (uint32_t c = 0; c < info->n_conds; c++) {
		struct ccond *cc = &pipe->conds[c];
		struct ft_cond cd;

		ft_program_cond(prog, c, &cd);
		cc->kind = (uint8_t)cd.kind;
		cc->cmp = (uint8_t)cd.cmp;
		cc->hdr = cd.hdr;
		cc->l = cd.l;
		cc->r = cd.r;
		if (cd.kind == FT_COND_CMP &&
		    ((rc = loc_compile(pipe, -1, &cd.a, &cc->a, err)) ||
		     (rc = loc_compile(pipe, -1, &cd.b, &cc->b, err))))
			return rc;
	}

	/* Tables. */
	pipe->n_tables = info->n_tables;
	pipe->tables = calloc(info->n_tables + 1, sizeof(*pipe->tables));
	if (pipe->tables == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	for (uint32_t t = 0; t < info->n_tables; t++)
		if ((rc = table_compile(pipe, t, &pipe->tables[t], err)))
			return rc;

	/* Control. */
	for (int c = 0; c < FT_CTL_COUNT; c++) {
		pipe->n_nodes[c] = info->n_nodes[c];
		pipe->nodes[c] = calloc(info->n_nodes[c] + 1, sizeof(struct ft_node));
		if (pipe->nodes[c] == NULL)
			return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
					    "out of memory");
		for (uint32_t i = 0; i < info->n_nodes[c]; i++)
			ft_program_node(prog, (enum ft_control)c, i, &pipe->nodes[c][i]);
	}
	return 0;
}

static int install_program_entries(struct ft_pipeline *pipe, struct ft_error *err);

struct ft_pipeline *
ft_pipeline_create(struct ft_program *prog, const struct ft_pipeline_params *params,
		   struct ft_error *err)
{
	struct ft_pipeline *pipe;

	if (prog == NULL) {
		ft_error_set(err, -EINVAL, FT_ERR_PROGRAM, UINT32_MAX, NULL, "no program");
		return NULL;
	}
	if (ft_program_validate(prog, err) < 0)
		return NULL;
	pipe = calloc(1, sizeof(*pipe));
	if (pipe == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&pipe->lock, NULL);
	pipe->prog = prog;
	if (params)
		pipe->params = *params;
	if (pipe->params.n_workers_max == 0)
		pipe->params.n_workers_max = 16;
	if (pipe->params.clock == NULL)
		pipe->params.clock = clock_monotonic_ms;
	if (pipe->params.learn_ring_size == 0)
		pipe->params.learn_ring_size = 1024;
	ft_program_info(prog, &pipe->info);
	pipe->workers = calloc(pipe->params.n_workers_max, sizeof(*pipe->workers));
	if (pipe->workers == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		pipeline_free(pipe, false);
		return NULL;
	}
	if (compile(pipe, err) < 0) {
		pipeline_free(pipe, false);
		return NULL;
	}
	if (bank_init(pipe, &pipe->dead) < 0) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		pipeline_free(pipe, false);
		return NULL;
	}
	atomic_store(&pipe->gen, 1);
	if (install_program_entries(pipe, err) < 0) {
		pipeline_free(pipe, false);
		return NULL;
	}
	return pipe;
}

void
ft_pipeline_destroy(struct ft_pipeline *pipe)
{
	if (pipe == NULL)
		return;
	if (pipe->open_txn)
		ft_txn_abort(pipe->open_txn);
	pipeline_free(pipe, true);
}

const struct ft_program *
ft_pipeline_program(const struct ft_pipeline *pipe)
{
	return pipe->prog;
}

uint64_t
ft_pipeline_table_memory(const struct ft_pipeline *pipe, uint32_t table)
{
	const struct ptable *t;
	uint64_t bytes;

	if (table >= pipe->n_tables)
		return 0;
	t = &pipe->tables[table];
	bytes = (uint64_t)t->n_slots * t->stride + (uint64_t)t->n_handles * sizeof(uint32_t);
	if (t->last_hit)
		bytes += (uint64_t)t->n_handles * sizeof(*t->last_hit);
	for (int c = 0; c < 2; c++)
		if (t->copy[c].mt)
			bytes += mt_memory(t->copy[c].mt);
	/* Counters of one worker. */
	bytes += (uint64_t)t->n_handles * sizeof(struct counter_cell);
	return bytes;
}

/* --- Transactions ---------------------------------------------------------- */

enum txn_kind { TX_ADD, TX_MODIFY, TX_DELETE, TX_DEFAULT, TX_GROUP, TX_MIRROR };

struct txn_op {
	enum txn_kind kind;
	uint32_t table; /* or group, or mirror session */
	uint32_t action;
	uint32_t priority;
	uint32_t port;
	bool learned;
	uint8_t *key, *mask, *data; /* owned */
	struct group *group;	   /* TX_GROUP: owned until applied */
	/* filled while applying */
	uint32_t new_slot, old_slot;
	struct group *old_group;
	uint32_t old_port;
};

struct ft_txn {
	struct ft_pipeline *pipe;
	struct txn_op *ops;
	uint32_t n, cap;
	bool program; /* installs the program's own entries: const tables too */
};

struct ft_txn *
ft_txn_begin(struct ft_pipeline *pipe, struct ft_error *err)
{
	struct ft_txn *txn;

	pthread_mutex_lock(&pipe->lock);
	if (pipe->open_txn != NULL) {
		pthread_mutex_unlock(&pipe->lock);
		ft_error_set(err, -EBUSY, FT_ERR_TXN, UINT32_MAX, NULL,
			     "another transaction is open");
		return NULL;
	}
	txn = calloc(1, sizeof(*txn));
	if (txn == NULL) {
		pthread_mutex_unlock(&pipe->lock);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		return NULL;
	}
	txn->pipe = pipe;
	pipe->open_txn = txn;
	pthread_mutex_unlock(&pipe->lock);
	return txn;
}

static void
op_free(struct txn_op *op)
{
	free(op->key);
	free(op->mask);
	free(op->data);
	free(op->group);
}

static void
txn_free(struct ft_txn *txn)
{
	for (uint32_t i = 0; i < txn->n; i++)
		op_free(&txn->ops[i]);
	free(txn->ops);
	free(txn);
}

void
ft_txn_abort(struct ft_txn *txn)
{
	struct ft_pipeline *pipe;

	if (txn == NULL)
		return;
	pipe = txn->pipe;
	pthread_mutex_lock(&pipe->lock);
	pipe->open_txn = NULL;
	pthread_mutex_unlock(&pipe->lock);
	txn_free(txn);
}

/* The entries the program declares (P4 'entries'), in one transaction. */
static int
install_program_entries(struct ft_pipeline *pipe, struct ft_error *err)
{
	struct ft_txn *txn = NULL;
	int rc = 0;

	for (uint32_t t = 0; t < pipe->n_tables && rc == 0; t++) {
		uint32_t n;
		const struct ft_entry *e = ft_program_entries(pipe->prog, t, &n);

		if (n > 0 && txn == NULL) {
			if ((txn = ft_txn_begin(pipe, err)) == NULL)
				return -ENOMEM;
			txn->program = true;
		}
		for (uint32_t i = 0; i < n && rc == 0; i++)
			rc = ft_txn_entry_add(txn, t, &e[i], err);
	}
	if (txn == NULL)
		return 0;
	if (rc < 0) {
		ft_txn_abort(txn);
		return rc;
	}
	return ft_txn_commit(txn, err);
}

uint32_t
ft_txn_size(const struct ft_txn *txn)
{
	return txn->n;
}

static struct txn_op *
txn_push(struct ft_txn *txn, struct ft_error *err)
{
	if (txn->n == txn->cap) {
		uint32_t cap = txn->cap ? txn->cap * 2 : 16;
		struct txn_op *ops = realloc(txn->ops, cap * sizeof(*ops));

		if (ops == NULL) {
			ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
				     "out of memory");
			return NULL;
		}
		txn->ops = ops;
		txn->cap = cap;
	}
	memset(&txn->ops[txn->n], 0, sizeof(txn->ops[0]));
	return &txn->ops[txn->n];
}

/*
 * A copy of 'size' bytes at 'src' (zeros if 'src' is NULL) padded with zeros
 * to 'padded' bytes: keys to their stride, action data to the table's slot.
 * Caller owns the result; free with free().
 */
static uint8_t *
bytes_dup(const uint8_t *src, uint32_t size, uint32_t padded)
{
	uint8_t *q = calloc(1, padded > size ? padded : (size ? size : 1));

	if (q != NULL && src != NULL)
		memcpy(q, src, size);
	return q;
}

/* Does a right-aligned value of 'bits' bits in ceil(bits / 8) bytes fit? */
static bool
fits(const uint8_t *p, uint32_t bits)
{
	uint32_t spare = ((bits + 7) / 8) * 8 - bits;

	return spare == 0 || (p[0] >> (8 - spare)) == 0;
}

static bool
is_prefix(const uint8_t *m, uint32_t bits, uint32_t *plen)
{
	uint32_t nb = (bits + 7) / 8, spare = nb * 8 - bits, len = 0;
	bool ended = false;

	for (uint32_t i = spare; i < nb * 8; i++) {
		bool bit = (m[i / 8] >> (7 - i % 8)) & 1;

		if (bit && ended)
			return false;
		if (!bit)
			ended = true;
		else
			len++;
	}
	*plen = len;
	return true;
}

static int
check_data(const struct ft_pipeline *pipe, uint32_t action, const uint8_t *data,
	   struct ft_error *err)
{
	struct ft_action_info ai;
	uint32_t off = 0;

	ft_program_action(pipe->prog, action, &ai);
	if (data == NULL)
		return 0;
	for (uint32_t p = 0; p < ai.n_params; p++) {
		if (!fits(data + off, ai.params[p].bits))
			return ft_error_set(err, -EINVAL, FT_ERR_PARAM, p, ai.params[p].name,
					    "value does not fit in %u bits",
					    ai.params[p].bits);
		off += (ai.params[p].bits + 7) / 8;
	}
	return 0;
}

/* Checks an entry alone and fills op's key, mask, priority. */
static int
stage_entry(struct ft_txn *txn, uint32_t table, const struct ft_entry *e, bool need_action,
	    struct txn_op *op, struct ft_error *err)
{
	const struct ft_pipeline *pipe = txn->pipe;
	const struct ptable *t;
	int rc;

	if (table >= pipe->n_tables)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, table, NULL, "no such table");
	t = &pipe->tables[table];
	if (e == NULL || (e->key == NULL && t->key_size > 0))
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, table, t->name, "entry has no key");
	if (t->n_keys == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_ENTRY, table, t->name,
				    "a keyless table has no entries, only a default action");
	if (t->decl.const_entries && !txn->program)
		return ft_error_set(err, -EPERM, FT_ERR_TABLE, table, t->name,
				    "the table's entries are const: the program's own");
	for (uint32_t k = 0; k < t->n_keys; k++) {
		const struct ckey *ck = &t->keys[k];
		uint32_t plen;

		if (!fits(e->key + ck->off, ck->loc.bits))
			return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, t->name,
					    "key field %u does not fit in %u bits", k,
					    (unsigned int)ck->loc.bits);
		if (e->mask == NULL)
			continue;
		if (ck->match == FT_MATCH_EXACT) {
			for (uint32_t i = 0; i < ck->nbytes; i++) {
				uint8_t full = (uint8_t)(i == 0 ? 0xffu >> ((ck->nbytes * 8 - ck->loc.bits)) : 0xff);

				if ((e->mask[ck->off + i] & full) != full)
					return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, t->name,
							    "key field %u is exact: its mask must be all ones",
							    k);
			}
		} else if (ck->match == FT_MATCH_LPM && !is_prefix(e->mask + ck->off, ck->loc.bits, &plen)) {
			return ft_error_set(err, -EINVAL, FT_ERR_KEY, k, t->name,
					    "key field %u is lpm: its mask must be a prefix", k);
		}
	}
	if (need_action) {
		if (e->action >= pipe->n_actions || t->allowed[e->action] == 0)
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, e->action, t->name,
					    "action %u is not an action of this table", e->action);
		if (t->allowed[e->action] == 1 + FT_SCOPE_DEFAULT_ONLY)
			return ft_error_set(err, -EINVAL, FT_ERR_ACTION, e->action, t->name,
					    "action %u is only a default action", e->action);
		if ((rc = check_data(pipe, e->action, e->data, err)))
			return rc;
	}
	op->table = table;
	op->action = e->action;
	op->key = bytes_dup(e->key, t->key_size, t->key_stride);
	op->mask = t->wildcard ? malloc(t->key_stride) : NULL;
	if (op->key == NULL || (t->wildcard && op->mask == NULL))
		goto oom;
	memset(op->key + t->key_size, 0, t->key_stride - t->key_size);
	if (t->wildcard) {
		memset(op->mask, 0, t->key_stride);
		for (uint32_t k = 0; k < t->n_keys; k++) {
			const struct ckey *ck = &t->keys[k];

			if (e->mask && ck->match != FT_MATCH_EXACT)
				memcpy(op->mask + ck->off, e->mask + ck->off, ck->nbytes);
			else
				memset(op->mask + ck->off, 0xff, ck->nbytes);
			if (ck->nbytes * 8 > ck->loc.bits)
				op->mask[ck->off] &= (uint8_t)(0xffu >> (ck->nbytes * 8 - ck->loc.bits));
		}
		for (uint32_t i = 0; i < t->key_size; i++)
			op->key[i] &= op->mask[i];
	}
	op->priority = e->priority;
	if (t->lpm_only) {
		/* Longest prefix wins: the priority is the prefix length. */
		const struct ckey *ck = &t->keys[t->lpm_key];

		is_prefix(op->mask + ck->off, ck->loc.bits, &op->priority);
	}
	if (need_action) {
		uint32_t size = pipe->actions[e->action].data_size;

		op->data = bytes_dup(e->data, size, t->data_max);
		if (op->data == NULL)
			goto oom;
	}
	return 0;
oom:
	free(op->key);
	free(op->mask);
	op->key = op->mask = NULL;
	return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
}

static int
txn_check(struct ft_txn *txn, struct ft_error *err)
{
	if (txn == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TXN, UINT32_MAX, NULL, "no transaction");
	return 0;
}

static int
stage(struct ft_txn *txn, enum txn_kind kind, uint32_t table, const struct ft_entry *e,
      struct ft_error *err)
{
	struct txn_op *op;
	int rc;

	if ((rc = txn_check(txn, err)))
		return rc;
	if ((op = txn_push(txn, err)) == NULL)
		return -ENOMEM;
	if ((rc = stage_entry(txn, table, e, kind != TX_DELETE, op, err)) < 0)
		return rc;
	op->kind = kind;
	txn->n++;
	return 0;
}

int
ft_txn_entry_add(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
		 struct ft_error *err)
{
	return stage(txn, TX_ADD, table, e, err);
}

int
ft_txn_entry_modify(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
		    struct ft_error *err)
{
	return stage(txn, TX_MODIFY, table, e, err);
}

int
ft_txn_entry_delete(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
		    struct ft_error *err)
{
	return stage(txn, TX_DELETE, table, e, err);
}

int
ft_txn_default_set(struct ft_txn *txn, uint32_t table, uint32_t action, const uint8_t *data,
		   struct ft_error *err)
{
	struct ft_pipeline *pipe;
	struct ptable *t;
	struct txn_op *op;
	int rc;

	if ((rc = txn_check(txn, err)))
		return rc;
	pipe = txn->pipe;
	if (table >= pipe->n_tables)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, table, NULL, "no such table");
	t = &pipe->tables[table];
	if (t->decl.default_const)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, table, t->name,
				    "the default action is const");
	if (action >= pipe->n_actions || t->allowed[action] == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, action, t->name,
				    "action %u is not an action of this table", action);
	if (t->allowed[action] == 1 + FT_SCOPE_TABLE_ONLY)
		return ft_error_set(err, -EINVAL, FT_ERR_ACTION, action, t->name,
				    "action %u may not be the default action", action);
	if ((rc = check_data(pipe, action, data, err)))
		return rc;
	if ((op = txn_push(txn, err)) == NULL)
		return -ENOMEM;
	op->data = bytes_dup(data, pipe->actions[action].data_size, t->data_max);
	if (op->data == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
				    "out of memory");
	op->kind = TX_DEFAULT;
	op->table = table;
	op->action = action;
	txn->n++;
	return 0;
}

int
ft_txn_group_set(struct ft_txn *txn, uint32_t group, const struct ft_group_member *members,
		 uint32_t n, struct ft_error *err)
{
	struct txn_op *op;
	struct group *g;
	int rc;

	if ((rc = txn_check(txn, err)))
		return rc;
	if (group >= txn->pipe->n_groups)
		return ft_error_set(err, -EINVAL, FT_ERR_GROUP, group, NULL,
				    "group %u out of range (the program has %u groups)", group,
				    txn->pipe->n_groups);
	if (n > 0 && members == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_GROUP, group, NULL, "no members given");
	if (n > FT_BURST_TX_MAX)
		return ft_error_set(err, -ENOTSUP, FT_ERR_GROUP, group, NULL,
				    "a group has at most %d members", FT_BURST_TX_MAX);
	if ((op = txn_push(txn, err)) == NULL)
		return -ENOMEM;
	g = n ? malloc(sizeof(*g) + n * sizeof(g->m[0])) : NULL;
	if (n && g == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
				    "out of memory");
	if (g) {
		g->n = n;
		memcpy(g->m, members, n * sizeof(g->m[0]));
	}
	op->kind = TX_GROUP;
	op->table = group;
	op->group = g;
	txn->n++;
	return 0;
}

int
ft_txn_mirror_set(struct ft_txn *txn, uint32_t session, uint32_t port, struct ft_error *err)
{
	struct txn_op *op;
	int rc;

	if ((rc = txn_check(txn, err)))
		return rc;
	if (session >= txn->pipe->n_mirrors)
		return ft_error_set(err, -EINVAL, FT_ERR_GROUP, session, NULL,
				    "mirror session %u out of range", session);
	if ((op = txn_push(txn, err)) == NULL)
		return -ENOMEM;
	op->kind = TX_MIRROR;
	op->table = session;
	op->port = port;
	txn->n++;
	return 0;
}

/* The entry of copy 'c' with op's identity, or MT_MISS. */
static uint32_t
find(const struct ptable *t, int c, const struct txn_op *op)
{
	if (t->copy[c].mt == NULL)
		return MT_MISS;
	return mt_find(t->copy[c].mt, op->key, op->mask, op->priority);
}

static void
slot_fill(struct ptable *t, uint32_t s, uint32_t handle, const struct txn_op *op)
{
	uint8_t *p = slot_ptr(t, s);

	slot_header_set(t, s, handle, op->action, op->learned);
	if (op->key) /* a compact slot has no room for the key's padding */
		memcpy(p + t->key_off, op->key, t->compact ? t->key_size : t->key_stride);
	if (t->wildcard && op->mask) { /* a default action has neither key nor mask */
		memcpy(p + t->mask_off, op->mask, t->key_stride);
		memcpy(p + t->prio_off, &op->priority, 4);
	}
	if (op->data)
		memcpy(p + t->data_off, op->data, t->data_max);
}

/* Applies op to copy c, first time (allocating). 0 or a negative errno. */
static int
apply_first(struct ft_pipeline *pipe, int c, struct txn_op *op, uint32_t index,
	    struct ft_error *err)
{
	struct ptable *t = op->kind <= TX_DEFAULT ? &pipe->tables[op->table] : NULL;
	uint32_t old, s;
	int rc;

	switch (op->kind) {
	case TX_ADD:
		if (find(t, c, op) != MT_MISS)
			return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, index, t->name,
					    "an entry with this key already exists");
		if (t->n_entries >= t->decl.size)
			return ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, index, t->name,
					    "table full (%u entries)", t->decl.size);
		if (t->n_free_handles == 0 || (s = slot_alloc(t)) == MT_MISS)
			return ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, index, t->name,
					    "too many changes to a full table in one transaction");
		slot_fill(t, s, t->free_handles[--t->n_free_handles], op);
		if ((rc = mt_insert(t->copy[c].mt, s)) < 0) {
			t->n_free_handles++;
			slot_release(t, s);
			return ft_error_set(err, rc, FT_ERR_ENTRY, index, t->name,
					    "no room in the match structure");
		}
		t->n_entries++;
		op->new_slot = s;
		return 0;
	case TX_MODIFY:
		if ((old = find(t, c, op)) == MT_MISS)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, index, t->name,
					    "no entry with this key");
		if ((s = slot_alloc(t)) == MT_MISS)
			return ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, index, t->name,
					    "too many changes to a full table in one transaction");
		op->learned = slot_learned(t, old);
		slot_fill(t, s, slot_handle(t, old), op);
		mt_replace(t->copy[c].mt, old, s);
		op->old_slot = old;
		op->new_slot = s;
		return 0;
	case TX_DELETE:
		if ((old = find(t, c, op)) == MT_MISS)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, index, t->name,
					    "no entry with this key");
		mt_remove(t->copy[c].mt, old);
		t->n_entries--;
		op->old_slot = old;
		return 0;
	case TX_DEFAULT:
		if ((s = slot_alloc(t)) == MT_MISS)
			return ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, index, t->name,
					    "too many changes to a full table in one transaction");
		slot_fill(t, s, UINT32_MAX, op);
		op->old_slot = t->copy[c].default_slot;
		op->new_slot = s;
		t->copy[c].default_slot = s;
		return 0;
	case TX_GROUP:
		op->old_group = pipe->gcopy[c].groups[op->table];
		pipe->gcopy[c].groups[op->table] = op->group;
		return 0;
	case TX_MIRROR:
		op->old_port = pipe->gcopy[c].mirror_port[op->table];
		pipe->gcopy[c].mirror_port[op->table] = op->port;
		return 0;
	}
	return -EINVAL;
}

/* Undoes apply_first() of op on copy c. */
static void
undo_first(struct ft_pipeline *pipe, int c, struct txn_op *op)
{
	struct ptable *t = op->kind <= TX_DEFAULT ? &pipe->tables[op->table] : NULL;

	switch (op->kind) {
	case TX_ADD:
		mt_remove(t->copy[c].mt, op->new_slot);
		t->free_handles[t->n_free_handles++] = slot_handle(t, op->new_slot);
		slot_release(t, op->new_slot);
		t->n_entries--;
		break;
	case TX_MODIFY:
		mt_replace(t->copy[c].mt, op->new_slot, op->old_slot);
		slot_release(t, op->new_slot);
		break;
	case TX_DELETE:
		/* Cannot fail: the entry was there a moment ago. */
		mt_insert(t->copy[c].mt, op->old_slot);
		t->n_entries++;
		break;
	case TX_DEFAULT:
		t->copy[c].default_slot = op->old_slot;
		slot_release(t, op->new_slot);
		break;
	case TX_GROUP:
		pipe->gcopy[c].groups[op->table] = op->old_group;
		break;
	case TX_MIRROR:
		pipe->gcopy[c].mirror_port[op->table] = op->old_port;
		break;
	}
}

struct rebuild_ctx {
	struct mt *to;
	int rc;
};

static void
rebuild_one(uint32_t idx, void *arg)
{
	struct rebuild_ctx *rc = arg;

	if (rc->rc == 0)
		rc->rc = mt_insert(rc->to, idx);
}

/*
 * Makes copy 'to' of table t hold what copy 'from' holds, from scratch: the
 * way back to two equal copies should replaying the changes ever fail.
 */
static int
table_resync(struct ptable *t, int to, int from)
{
	struct mt_params mp = {
		.kind = t->wildcard ? MT_WILDCARD : MT_EXACT,
		.key_size = t->key_size,
		.capacity = t->decl.size,
		.slots = {.base = t->slots, .stride = t->stride, .key_off = t->key_off,
			  .mask_off = t->mask_off, .prio_off = t->prio_off},
	};
	struct rebuild_ctx rc = {.to = mt_create(&mp)};

	if (rc.to == NULL)
		return -ENOMEM;
	mt_walk(t->copy[from].mt, rebuild_one, &rc);
	if (rc.rc < 0) {
		mt_destroy(rc.to);
		return rc.rc;
	}
	mt_destroy(t->copy[to].mt);
	t->copy[to].mt = rc.to;
	return 0;
}

/* Replays op, already applied to the other copy, on copy c. */
static void
apply_second(struct ft_pipeline *pipe, int c, struct txn_op *op)
{
	struct ptable *t = op->kind <= TX_DEFAULT ? &pipe->tables[op->table] : NULL;
	int rc = 0;

	switch (op->kind) {
	case TX_ADD:
		rc = mt_insert(t->copy[c].mt, op->new_slot);
		break;
	case TX_MODIFY:
		rc = mt_replace(t->copy[c].mt, op->old_slot, op->new_slot);
		break;
	case TX_DELETE:
		rc = mt_remove(t->copy[c].mt, op->old_slot);
		break;
	case TX_DEFAULT:
		t->copy[c].default_slot = op->new_slot;
		break;
	case TX_GROUP:
		pipe->gcopy[c].groups[op->table] = op->group;
		break;
	case TX_MIRROR:
		pipe->gcopy[c].mirror_port[op->table] = op->port;
		break;
	}
	if (rc < 0 && table_resync(t, c, 1 - c) < 0)
		MODEL_LOG(ERR, "table '%s': copies differ and cannot be rebuilt", t->name);
}

/* Frees what op retired, once no copy and no reader uses it. */
static void
retire(struct ft_pipeline *pipe, struct txn_op *op)
{
	struct ptable *t = op->kind <= TX_DEFAULT ? &pipe->tables[op->table] : NULL;
	uint32_t h;

	switch (op->kind) {
	case TX_ADD:
		if (t->last_hit)
			atomic_store_explicit(&t->last_hit[slot_handle(t, op->new_slot)],
					      (uint32_t)pipe_now(pipe), memory_order_relaxed);
		break;
	case TX_MODIFY:
	case TX_DEFAULT:
		slot_release(t, op->old_slot);
		break;
	case TX_DELETE:
		h = slot_handle(t, op->old_slot);
		entry_counters_clear(pipe, op->table, h);
		t->free_handles[t->n_free_handles++] = h;
		slot_release(t, op->old_slot);
		break;
	case TX_GROUP:
		free(op->old_group);
		op->group = NULL; /* now owned by the pipeline */
		break;
	case TX_MIRROR:
		break;
	}
}

/* Waits until no worker can still be reading the copy that was active before 'gen'. */
static void
grace_wait(struct ft_pipeline *pipe, uint64_t gen)
{
	for (uint32_t i = 0; i < pipe->params.n_workers_max; i++) {
		struct ft_worker *w = pipe->workers[i];
		uint32_t spins = 0;
		uint64_t b;

		if (w == NULL)
			continue;
		while ((b = atomic_load(&w->busy_gen)) != 0 && b < gen) {
			if (++spins > 64)
				sched_yield();
			else
				__builtin_ia32_pause();
		}
	}
}

/* Lock held. */
static int
commit_locked(struct ft_txn *txn, struct ft_error *err)
{
	struct ft_pipeline *pipe = txn->pipe;
	int cur = (int)atomic_load(&pipe->active), next = 1 - cur;
	uint64_t gen;
	int rc;

	for (uint32_t i = 0; i < txn->n; i++) {
		if ((rc = apply_first(pipe, next, &txn->ops[i], i, err)) < 0) {
			while (i-- > 0)
				undo_first(pipe, next, &txn->ops[i]);
			return rc;
		}
	}
	atomic_store(&pipe->active, (uint32_t)next);
	gen = atomic_fetch_add(&pipe->gen, 1) + 1;
	grace_wait(pipe, gen);
	for (uint32_t i = 0; i < txn->n; i++)
		apply_second(pipe, cur, &txn->ops[i]);
	for (uint32_t i = 0; i < txn->n; i++)
		retire(pipe, &txn->ops[i]);
	return 0;
}

int
ft_txn_commit(struct ft_txn *txn, struct ft_error *err)
{
	struct ft_pipeline *pipe;
	int rc;

	if (txn == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TXN, UINT32_MAX, NULL, "no transaction");
	pipe = txn->pipe;
	pthread_mutex_lock(&pipe->lock);
	rc = commit_locked(txn, err);
	pipe->open_txn = NULL;
	pthread_mutex_unlock(&pipe->lock);
	txn_free(txn);
	return rc;
}

/* --- Reading entries -------------------------------------------------------- */

static void
entry_info(struct ft_pipeline *pipe, uint32_t table, uint32_t s, struct ft_entry_info *out)
{
	struct ptable *t = &pipe->tables[table];
	const uint8_t *p = slot_ptr(t, s);

	memset(out, 0, sizeof(*out));
	out->handle = slot_handle(t, s);
	out->action = slot_action(t, s);
	out->learned = slot_learned(t, s);
	out->key = p + t->key_off;
	out->data = p + t->data_off;
	if (t->wildcard) {
		out->mask = p + t->mask_off;
		memcpy(&out->priority, p + t->prio_off, 4);
	}
	entry_counters(pipe, table, out->handle, &out->packets, &out->bytes);
	if (t->last_hit) {
		uint32_t now = (uint32_t)pipe_now(pipe);

		out->idle_ms = (uint32_t)(now - atomic_load_explicit(&t->last_hit[out->handle],
								      memory_order_relaxed));
	}
}

int
ft_pipeline_entry_read(struct ft_pipeline *pipe, uint32_t table, const struct ft_entry *e,
		       struct ft_entry_info *out)
{
	struct ft_txn probe = {.pipe = pipe};
	struct txn_op op = {0};
	uint32_t s;
	int rc;

	if ((rc = stage_entry(&probe, table, e, false, &op, NULL)) < 0)
		return rc;
	pthread_mutex_lock(&pipe->lock);
	s = find(&pipe->tables[table], (int)atomic_load(&pipe->active), &op);
	if (s != MT_MISS)
		entry_info(pipe, table, s, out);
	pthread_mutex_unlock(&pipe->lock);
	op_free(&op);
	return s == MT_MISS ? -ENOENT : 0;
}

struct walk_ctx {
	struct ft_pipeline *pipe;
	uint32_t table;
	uint32_t *slots;
	uint32_t n;
};

static void
walk_collect(uint32_t idx, void *arg)
{
	struct walk_ctx *wc = arg;

	wc->slots[wc->n++] = idx;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The active copy's entries of a table, sorted by handle (the order they were added in). */
static int
collect(struct ft_pipeline *pipe, uint32_t table, struct walk_ctx *wc)
{
	struct ptable *t = &pipe->tables[table];
	struct mt *mt = t->copy[atomic_load(&pipe->active)].mt;

	wc->pipe = pipe;
	wc->table = table;
	wc->n = 0;
	wc->slots = malloc(sizeof(uint32_t) * (t->n_entries + 1) * 2);
	if (wc->slots == NULL)
		return -ENOMEM;
	if (mt)
		mt_walk(mt, walk_collect, wc);
	/* Sort (handle, slot) pairs by handle. */
	for (uint32_t i = wc->n; i-- > 0;) {
		wc->slots[2 * i + 1] = wc->slots[i];
		wc->slots[2 * i] = slot_handle(t, wc->slots[i]);
	}
	qsort(wc->slots, wc->n, 2 * sizeof(uint32_t), cmp_u32);
	return 0;
}

int
ft_pipeline_table_walk(struct ft_pipeline *pipe, uint32_t table, ft_entry_fn fn, void *arg)
{
	struct walk_ctx wc;
	int rc = 0;

	if (table >= pipe->n_tables)
		return -EINVAL;
	pthread_mutex_lock(&pipe->lock);
	if ((rc = collect(pipe, table, &wc)) < 0) {
		pthread_mutex_unlock(&pipe->lock);
		return rc;
	}
	for (uint32_t i = 0; i < wc.n && rc == 0; i++) {
		struct ft_entry_info info;

		entry_info(pipe, table, wc.slots[2 * i + 1], &info);
		rc = fn(table, &info, arg);
	}
	pthread_mutex_unlock(&pipe->lock);
	free(wc.slots);
	return rc;
}

int
ft_pipeline_default_read(struct ft_pipeline *pipe, uint32_t table, uint32_t *action,
			 const uint8_t **data)
{
	struct ptable *t;
	uint32_t s;

	if (table >= pipe->n_tables)
		return -EINVAL;
	t = &pipe->tables[table];
	pthread_mutex_lock(&pipe->lock);
	s = t->copy[atomic_load(&pipe->active)].default_slot;
	*action = slot_action(t, s);
	*data = slot_ptr(t, s) + t->data_off;
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

int
ft_pipeline_counter_read(struct ft_pipeline *pipe, uint32_t counter, uint32_t index,
			 uint64_t *packets, uint64_t *bytes)
{
	struct bank *b;

	if (counter >= pipe->n_counters || index >= pipe->counter_size[counter])
		return -EINVAL;
	*packets = *bytes = 0;
	pthread_mutex_lock(&pipe->lock);
	FOR_EACH_BANK (pipe, b) {
		*packets += RLOAD(b->cells[counter][index].packets);
		*bytes += RLOAD(b->cells[counter][index].bytes);
	}
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

static void
cell_credit(struct counter_cell *c, uint64_t packets, uint64_t bytes)
{
	atomic_store_explicit(&c->packets, RLOAD(c->packets) + packets, memory_order_relaxed);
	atomic_store_explicit(&c->bytes, RLOAD(c->bytes) + bytes, memory_order_relaxed);
}

int
ft_pipeline_entry_credit(struct ft_pipeline *pipe, uint32_t table, uint32_t handle,
			 uint64_t packets, uint64_t bytes)
{
	struct ptable *t;

	if (table >= pipe->n_tables || handle >= pipe->tables[table].n_handles)
		return -EINVAL;
	t = &pipe->tables[table];
	pthread_mutex_lock(&pipe->lock);
	cell_credit(&pipe->dead.entry[table][handle], packets, bytes);
	if (packets > 0 && t->last_hit != NULL)
		atomic_store_explicit(&t->last_hit[handle], (uint32_t)pipe_now(pipe),
				      memory_order_relaxed);
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

int
ft_pipeline_counter_credit(struct ft_pipeline *pipe, uint32_t counter, uint32_t index,
			   uint64_t packets, uint64_t bytes)
{
	if (counter >= pipe->n_counters || index >= pipe->counter_size[counter])
		return -EINVAL;
	pthread_mutex_lock(&pipe->lock);
	cell_credit(&pipe->dead.cells[counter][index], packets, bytes);
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

int
ft_pipeline_group_read(struct ft_pipeline *pipe, uint32_t group, struct ft_group_member *members,
		       uint32_t max)
{
	const struct group *g;
	uint32_t n;

	if (group >= pipe->n_groups)
		return -EINVAL;
	pthread_mutex_lock(&pipe->lock);
	g = pipe->gcopy[atomic_load(&pipe->active)].groups[group];
	n = g ? g->n : 0;
	if (g)
		memcpy(members, g->m, (n < max ? n : max) * sizeof(*members));
	pthread_mutex_unlock(&pipe->lock);
	return (int)n;
}

/* --- Statistics --------------------------------------------------------------- */

void
ft_pipeline_stats(struct ft_pipeline *pipe, struct ft_stats *out)
{
	struct bank *b;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&pipe->lock);
	FOR_EACH_BANK (pipe, b) {
		out->rx += RLOAD(b->rx);
		out->tx += RLOAD(b->tx);
		out->copies += RLOAD(b->copies);
		out->learn_lost += RLOAD(b->learn_lost);
		out->events_lost += RLOAD(b->events_lost);
		for (int r = 0; r < FT_DROP_COUNT; r++)
			out->drop[r] += RLOAD(b->drop[r]);
	}
	pthread_mutex_unlock(&pipe->lock);
}

int
ft_pipeline_table_stats(struct ft_pipeline *pipe, uint32_t table, struct ft_table_stats *out)
{
	struct bank *b;

	if (table >= pipe->n_tables)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&pipe->lock);
	FOR_EACH_BANK (pipe, b) {
		out->hits += RLOAD(b->hits[table]);
		out->misses += RLOAD(b->misses[table]);
	}
	out->learned = pipe->tables[table].learned;
	out->aged = pipe->tables[table].aged;
	out->entries = pipe->tables[table].n_entries;
	out->size = pipe->tables[table].decl.size;
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

uint64_t
ft_pipeline_action_drops(struct ft_pipeline *pipe, uint32_t action)
{
	struct bank *b;
	uint64_t n = 0;

	if (action >= pipe->n_actions)
		return 0;
	pthread_mutex_lock(&pipe->lock);
	FOR_EACH_BANK (pipe, b)
		n += RLOAD(b->action_drops[action]);
	pthread_mutex_unlock(&pipe->lock);
	return n;
}

/* --- Learning and aging ----------------------------------------------------- */

static int
cmp_learn(const void *a, const void *b, void *arg)
{
	const struct learn_req *x = a, *y = b;
	const struct ft_pipeline *pipe = arg;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return memcmp(x->key, y->key, pipe->tables[x->table].key_size);
}

int
ft_pipeline_learn(struct ft_pipeline *pipe, ft_entry_fn fn, void *arg, struct ft_error *err)
{
	struct learn_req *reqs = NULL;
	struct ft_txn *txn;
	uint32_t n = 0, cap = 0, added = 0;
	int rc = 0;

	/* Open the transaction first: when another is open, the requests stay queued. */
	txn = ft_txn_begin(pipe, err);
	if (txn == NULL)
		return -EBUSY;
	pthread_mutex_lock(&pipe->lock);
	for (uint32_t i = 0; i < pipe->params.n_workers_max; i++) {
		struct ft_worker *w = pipe->workers[i];
		uint32_t head, tail;

		if (w == NULL)
			continue;
		head = atomic_load_explicit(&w->ring_head, memory_order_acquire);
		tail = atomic_load_explicit(&w->ring_tail, memory_order_relaxed);
		while (tail != head) {
			if (n == cap) {
				struct learn_req *r;

				cap = cap ? cap * 2 : 256;
				r = realloc(reqs, cap * sizeof(*r));
				if (r == NULL)
					break;
				reqs = r;
			}
			reqs[n++] = w->ring[tail & (w->ring_size - 1)];
			tail++;
		}
		atomic_store_explicit(&w->ring_tail, tail, memory_order_release);
	}
	pthread_mutex_unlock(&pipe->lock);
	if (n == 0) {
		ft_txn_abort(txn);
		return 0;
	}
	qsort_r(reqs, n, sizeof(*reqs), cmp_learn, pipe);
	for (uint32_t i = 0; i < n; i++) {
		struct ptable *t = &pipe->tables[reqs[i].table];
		struct ft_entry e = {.key = reqs[i].key, .action = reqs[i].action,
				     .data = reqs[i].data};
		struct txn_op *op;

		if (i > 0 && cmp_learn(&reqs[i - 1], &reqs[i], pipe) == 0)
			continue;
		if (t->n_entries + added >= t->decl.size)
			continue; /* full: the packet keeps missing */
		if (stage(txn, TX_ADD, reqs[i].table, &e, NULL) < 0)
			continue;
		op = &txn->ops[txn->n - 1];
		op->learned = true;
		pthread_mutex_lock(&pipe->lock);
		if (find(t, (int)atomic_load(&pipe->active), op) != MT_MISS) {
			op_free(op);
			txn->n--;
		} else {
			added++;
		}
		pthread_mutex_unlock(&pipe->lock);
	}
	if (txn->n == 0) {
		ft_txn_abort(txn);
		free(reqs);
		return 0;
	}
	/* Commit here, not with ft_txn_commit(): the ops are reported after. */
	pthread_mutex_lock(&pipe->lock);
	rc = commit_locked(txn, err);
	pipe->open_txn = NULL;
	for (uint32_t i = 0; rc == 0 && i < txn->n; i++) {
		struct txn_op *op = &txn->ops[i];

		pipe->tables[op->table].learned++;
		if (fn) {
			struct ft_entry_info info;

			entry_info(pipe, op->table, op->new_slot, &info);
			fn(op->table, &info, arg);
		}
	}
	pthread_mutex_unlock(&pipe->lock);
	added = rc == 0 ? txn->n : 0;
	txn_free(txn);
	free(reqs);
	return rc < 0 ? rc : (int)added;
}

int
ft_pipeline_table_set_idle_timeout(struct ft_pipeline *pipe, uint32_t table, uint32_t ms,
				   struct ft_error *err)
{
	if (table >= pipe->n_tables)
		return ft_error_set(err, -ENOENT, FT_ERR_TABLE, table, NULL, "no such table");
	if (pipe->tables[table].last_hit == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, table, pipe->tables[table].name,
				    "the table's entries do not age");
	if (ms == 0)
		return ft_error_set(err, -EINVAL, FT_ERR_TABLE, table, pipe->tables[table].name,
				    "an idle timeout of 0");
	pthread_mutex_lock(&pipe->lock);
	pipe->tables[table].idle_timeout_ms = ms;
	pthread_mutex_unlock(&pipe->lock);
	return 0;
}

int
ft_pipeline_expire(struct ft_pipeline *pipe, ft_entry_fn fn, void *arg, struct ft_error *err)
{
	struct ft_txn *txn = ft_txn_begin(pipe, err);
	uint32_t now = (uint32_t)pipe_now(pipe);
	int rc;

	if (txn == NULL)
		return -EBUSY;
	pthread_mutex_lock(&pipe->lock);
	for (uint32_t ti = 0; ti < pipe->n_tables; ti++) {
		struct ptable *t = &pipe->tables[ti];
		struct walk_ctx wc;

		if (t->last_hit == NULL || collect(pipe, ti, &wc) < 0)
			continue;
		for (uint32_t i = 0; i < wc.n; i++) {
			uint32_t s = wc.slots[2 * i + 1], h = wc.slots[2 * i];
			const uint8_t *p = slot_ptr(t, s);
			uint32_t idle = now - atomic_load_explicit(&t->last_hit[h],
								   memory_order_relaxed);
			struct txn_op *op;

			if (idle <= t->idle_timeout_ms || (op = txn_push(txn, NULL)) == NULL)
				continue;
			op->kind = TX_DELETE;
			op->table = ti;
			op->key = bytes_dup(p + t->key_off, t->key_size, t->key_stride);
			if (t->wildcard) {
				op->mask = bytes_dup(p + t->mask_off, t->key_size, t->key_stride);
				memcpy(&op->priority, p + t->prio_off, 4);
			}
			if (op->key == NULL || (t->wildcard && op->mask == NULL)) {
				op_free(op);
				continue;
			}
			txn->n++;
			if (fn) {
				struct ft_entry_info info;

				entry_info(pipe, ti, s, &info);
				fn(ti, &info, arg);
			}
		}
		free(wc.slots);
	}
	rc = commit_locked(txn, err);
	if (rc == 0)
		for (uint32_t i = 0; i < txn->n; i++)
			pipe->tables[txn->ops[i].table].aged++;
	rc = rc < 0 ? rc : (int)txn->n;
	pipe->open_txn = NULL;
	pthread_mutex_unlock(&pipe->lock);
	txn_free(txn);
	return rc;
}

/* --- Workers -------------------------------------------------------------------- */

struct ft_worker *
ft_worker_create(struct ft_pipeline *pipe, const struct ft_pkt_pool *pool, struct ft_error *err)
{
	struct ft_worker *w = aligned_alloc(64, (sizeof(*w) + 63) & ~(size_t)63);
	uint32_t ring = 1;

	if (w == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		return NULL;
	}
	memset(w, 0, sizeof(*w));
	w->pipe = pipe;
	if (pool) {
		w->pool = *pool;
		w->has_pool = true;
	}
	while (ring < pipe->params.learn_ring_size)
		ring <<= 1;
	w->ring_size = ring;
	w->ring = calloc(ring, sizeof(*w->ring));
	w->scratch = calloc(FT_BURST_MAX + 1, pipe->scratch_size);
	w->deparse_buf = malloc(DEPARSE_BUF);
	if (w->ring == NULL || w->scratch == NULL || w->deparse_buf == NULL || bank_init(pipe, &w->bank) < 0) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		goto fail;
	}
	for (uint32_t i = 0; i <= FT_BURST_MAX; i++) {
		w->ps[i].scratch = w->scratch + (size_t)i * pipe->scratch_size;
		w->ps[i].hdr[BASE_SCRATCH] = w->ps[i].scratch;
	}
	pthread_mutex_lock(&pipe->lock);
	for (w->index = 0; w->index < pipe->params.n_workers_max; w->index++)
		if (pipe->workers[w->index] == NULL)
			break;
	if (w->index == pipe->params.n_workers_max) {
		pthread_mutex_unlock(&pipe->lock);
		ft_error_set(err, -ENOSPC, FT_ERR_RESOURCE, UINT32_MAX, NULL,
			     "the pipeline already has %u workers", pipe->params.n_workers_max);
		goto fail;
	}
	pipe->workers[w->index] = w;
	pthread_mutex_unlock(&pipe->lock);
	return w;
fail:
	bank_free(pipe, &w->bank);
	free(w->ring);
	free(w->scratch);
	free(w->deparse_buf);
	free(w);
	return NULL;
}

void
ft_worker_destroy(struct ft_worker *w)
{
	struct ft_pipeline *pipe;

	if (w == NULL)
		return;
	pipe = w->pipe;
	pthread_mutex_lock(&pipe->lock);
	bank_fold(pipe, &pipe->dead, &w->bank);
	pipe->workers[w->index] = NULL;
	pthread_mutex_unlock(&pipe->lock);
	bank_free(pipe, &w->bank);
	free(w->ring);
	free(w->scratch);
	free(w->deparse_buf);
	free(w);
}

int
ft_worker_run(struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
	      struct ft_burst_result *res)
{
	return exec_burst(w, pkts, NULL, n, res);
}

void
ft_burst_send(struct ft_burst_result *res, struct ft_pkt *pkt, uint32_t port, uint16_t src)
{
	if (res->n_tx >= FT_BURST_TX_MAX) {
		res->drop[src] = FT_DROP_TOO_MANY_COPIES;
		return;
	}
	res->tx[res->n_tx++] = (struct ft_tx){.pkt = pkt, .port = port, .src = src};
	res->used[src] = 1;
}

int
ft_worker_run_resume(struct ft_worker *w, struct ft_pkt *const *pkts,
		     const struct ft_resume *const *resume, uint16_t n,
		     struct ft_burst_result *res)
{
	return exec_burst(w, pkts, resume, n, res);
}

int
ft_worker_trace_resume(struct ft_worker *w, struct ft_pkt *pkt, const struct ft_resume *resume,
		       struct ft_trace *trace, struct ft_burst_result *res)
{
	int rc;

	w->trace = trace;
	rc = exec_burst(w, &pkt, resume != NULL ? &resume : NULL, 1, res);
	w->trace = NULL;
	return rc;
}

int
ft_worker_trace(struct ft_worker *w, struct ft_pkt *pkt, struct ft_trace *trace,
		struct ft_burst_result *res)
{
	return ft_worker_trace_resume(w, pkt, NULL, trace, res);
}
