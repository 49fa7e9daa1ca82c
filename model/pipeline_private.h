/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline internals shared by pipeline.c (compile, transactions, control
 * plane) and exec.c (the packet path). Private to model/.
 *
 * Compiled form. Every operand of the program becomes a 'struct loc': where
 * its bytes are (a header instance, the metadata, the action data, standard
 * metadata, or a constant) and how to extract it (byte offset, number of
 * bytes spanned, right shift, width). Metadata, keys and action data use the
 * packed layout of pipeline.h: each value in ceil(bits / 8) big-endian bytes.
 *
 * Tables. Each P4 table has an entry pool (fixed-size slots, immutable once
 * published) and two match structures (model/mt.h), plus per copy the
 * default action. pipe->active says which copy workers read. Entry slots
 * come in two layouts. The compact one, for exact tables whose handle, action
 * and flag fit 32 bits (nearly all), packs the slot so that it fits one
 * cache line whenever key and data allow (a lookup at 1M entries then misses
 * one line less per packet):
 *
 *	+0  uint32_t word     handle in the low handle_bits bits (stable id:
 *	                      counters and idle times are per handle), then
 *	                      SLOT_F_LEARNED, the action in the top action_bits
 *	+4  key (key_size bytes, not padded)
 *	    action data (data_max bytes, right after the key)
 *
 * Its stride is the packed size rounded to 8, and to the next power of two
 * up to 64 when that costs at most 8 bytes more; the slot array is 64-byte
 * aligned, so a slot of 8, 16, 32 or 64 bytes never crosses a line. The wide
 * layout (wildcard tables, and exact ones whose ids do not fit 32 bits):
 *
 *	+0  uint32_t handle
 *	+4  uint32_t word     SLOT_F_* in the low 16 bits, the action in the high ones
 *	+8  key (key_size, padded to 8)
 *	    mask (wildcard tables only, same size)
 *	    priority (wildcard tables only, uint32_t, padded to 8)
 *	    action data (data_max bytes)
 *
 * In either layout a free slot's first 4 bytes are the next free slot.
 * slot_handle(), slot_action() and slot_learned() read both layouts;
 * slot_header_set() writes them.
 *
 * Readers and the writer meet only at pipe->active and pipe->gen, and at
 * each worker's busy_gen (see pipeline.c, "grace period").
 */
#ifndef FT_MODEL_PIPELINE_PRIVATE_H
#define FT_MODEL_PIPELINE_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <flowtwin/parse.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#include "model_private.h"
#include "mt.h"

#define RLOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/*
 * Where a value's bytes are: pstate.hdr[] holds the header instances, then
 * the metadata, the running action's data and the packet's scratch area, so
 * that one array lookup finds the bytes of any operand.
 */
#define BASE_META FT_HEADERS_MAX
#define BASE_PARAMS (FT_HEADERS_MAX + 1)
#define BASE_SCRATCH (FT_HEADERS_MAX + 2) /* the packet's scratch area (never NULL) */
#define BASE_COUNT (FT_HEADERS_MAX + 3)

enum loc_kind { LOC_CONST, LOC_HDR, LOC_META, LOC_STD, LOC_PARAM, LOC_WHOLE_HDR };

struct loc {
	uint8_t kind;	/* enum loc_kind */
	uint8_t hdr;	/* LOC_HDR, LOC_WHOLE_HDR: header instance; BASE_META, BASE_PARAMS */
	uint8_t nbytes; /* bytes spanned (<= 8 for narrow values) */
	uint8_t shift;	/* right shift after a big-endian load of nbytes */
	uint16_t off;	/* byte offset in the header / metadata / action data; LOC_STD: enum ft_std */
	uint16_t bits;	/* width */
	bool wide;	/* > 64 bits: byte-aligned, whole bytes, copied not computed */
	bool aligned;	/* starts on a byte and covers whole bytes */
	uint64_t mask;	/* narrow values: (1 << bits) - 1 */
	uint64_t cval;	/* LOC_CONST <= 64 bits */
	uint8_t cbytes[16]; /* LOC_CONST: the value in ceil(bits / 8) bytes */
};

enum insn_kind {
	I_SET,
	I_ADD,
	I_SUB,
	I_AND,
	I_OR,
	I_XOR,
	I_SHL,
	I_SHR,
	I_NOT,
	I_COPY,	   /* memcpy of 'len' bytes: fused byte-aligned SETs (param -> header) */
	I_SET_WIDE, /* SET of > 64-bit values */
	I_HDR_COPY, /* whole header = whole header */
	I_VALID,
	I_INVALID,
	I_CSUM,
	I_HASH,
	I_SEND,
	I_DROP,
	I_REPLICATE,
	I_MIRROR,
	I_DIGEST,
	I_LEARN,
	I_COUNT,
	I_ADD16, /* I_ADD of aligned 16-bit operands (lengths in encapsulations) */
	/*
	 * Fast list only (see pipeline.c, action_fast_compile()): make valid the
	 * headers the parser never fills listed in 'segs' (header, scratch
	 * offset, bytes; 'mask' has their bits), which the action fills whole.
	 */
	I_VALID_SCRATCH,
};

/* A run of whole bytes of a header, the metadata or the action data. */
struct seg {
	uint8_t hdr; /* a pstate.hdr[] index */
	uint16_t off;
	uint16_t len;
};

struct insn {
	uint8_t kind; /* enum insn_kind */
	uint32_t id;
	uint32_t len; /* I_COPY: bytes; I_VALID: 1 if the action fills the whole header */
	struct loc dst, a, b;
	struct loc *list;
	uint32_t n_list;
	struct seg *segs; /* CSUM, HASH: 'list' as byte runs, when all of it is whole bytes */
	uint32_t n_segs;
	bool segs_even;	  /* every run has an even length */
	uint32_t mask;	  /* I_VALID_SCRATCH: the headers it makes valid */
	uint32_t src_op; /* index of the program op it comes from (for traces) */
};

/* A condition, with its operands compiled (FT_COND_CMP). */
struct ccond {
	uint8_t kind; /* enum ft_cond_kind */
	uint8_t cmp;  /* enum ft_cmp */
	uint32_t hdr; /* FT_COND_VALID */
	uint32_t l, r;
	struct loc a, b;
};

struct caction {
	struct insn *insns; /* one per operation (fused copies aside): what traces run */
	uint32_t n_insns;
	struct insn *fast;  /* the same, specialised: what runs when nothing is traced */
	uint32_t n_fast;
	uint32_t data_size;
};

struct ckey {
	struct loc loc;	 /* where the value comes from in the packet */
	uint16_t off;	 /* offset in the packed key */
	uint16_t nbytes; /* ceil(bits / 8) */
	uint8_t match;	 /* enum ft_match_kind */
};

/*
 * How to read a slot's header in either layout without a branch (see
 * slot_handle() and slot_action()); small, so that the packet path keeps a
 * copy in registers.
 */
struct slot_fmt {
	uint32_t handle_mask; /* compact: (1 << handle_bits) - 1; wide: UINT32_MAX */
	uint32_t learned_bit; /* in that word: compact 1 << handle_bits; wide 1 */
	uint8_t word_off;     /* the word with action and flag: compact 0, wide 4 */
	uint8_t action_shift; /* the action is the top bits: compact 32 - action_bits, wide 16 */
};

/* One copy of a table's mutable state. */
struct tcopy {
	struct mt *mt;
	uint32_t default_slot;
};

struct ptable {
	struct ft_table_decl decl; /* owned by the program */
	const char *name;
	uint32_t idle_timeout_ms;  /* decl's, until ft_pipeline_table_set_idle_timeout() */
	struct ckey *keys;
	uint32_t n_keys;
	uint32_t key_size;    /* packed bytes */
	uint32_t key_stride;  /* padded to 8 */
	bool wildcard;
	bool lpm_only;	      /* one lpm field, the others exact: priority = prefix length */
	int lpm_key;	      /* index of the lpm key field or -1 */
	uint32_t data_max;    /* largest action data of its actions */
	/* entry pool */
	uint8_t *slots;
	uint32_t stride, n_slots;
	uint32_t key_off, mask_off, prio_off, data_off;
	bool compact;	      /* slot layout (above) */
	struct slot_fmt fmt;
	uint32_t free_slot;     /* first free slot, MT_MISS if none (see slot_alloc()) */
	uint32_t *free_handles; /* stack */
	uint32_t n_free_handles;
	uint32_t n_handles;   /* decl.size, and room for in-flight deletes */
	uint32_t n_entries;   /* in the active copy */
	_Atomic uint32_t *last_hit; /* per handle, ms (low 32 bits of the clock); aging tables */
	uint64_t learned, aged;
	struct tcopy copy[2];
	uint8_t *allowed;     /* per action: 0 no, 1 + enum ft_action_scope */
};

struct group {
	uint32_t n;
	struct ft_group_member m[];
};

/* Replication groups and mirror sessions, per copy. */
struct gcopy {
	struct group **groups;
	uint32_t *mirror_port;
};

struct counter_cell {
	_Atomic uint64_t packets;
	_Atomic uint64_t bytes;
};

/* What a worker counts; summed by the control thread. */
struct bank {
	struct counter_cell **entry; /* per table, per handle */
	struct counter_cell **cells; /* per counter array, per index */
	_Atomic uint64_t *hits, *misses; /* per table */
	_Atomic uint64_t *action_drops;	 /* per action */
	_Atomic uint64_t drop[FT_DROP_COUNT];
	_Atomic uint64_t rx, tx, copies, learn_lost, events_lost;
};

struct learn_req {
	uint32_t table;
	uint32_t action;
	uint8_t key[FT_KEY_BYTES_MAX];
	uint8_t data[FT_ACTION_DATA_MAX];
};

/* Per-packet state of the packet path. */
struct pstate {
	struct ft_pkt *pkt;
	uint8_t *data;	  /* packet start when parsed */
	uint16_t payload; /* offset of the payload from 'data' */
	uint16_t drop;	  /* enum ft_drop once decided */
	uint32_t node;
	uint32_t out_port;
	uint32_t group;	 /* UINT32_MAX: none */
	uint32_t mirror; /* UINT32_MAX: none */
	uint16_t rid;
	uint8_t fate;	 /* FATE_* */
	uint16_t last_action;	/* the action that ran last */
	uint16_t fate_action;	/* the action that chose send, drop or replicate */
	uint32_t in_port;
	uint16_t in_len;
	uint64_t now;
	uint8_t *scratch; /* where headers made valid live: scratch_size bytes */
	/* Nothing for the deparser to move when both are clear. */
	bool invalidated;      /* a header was made invalid */
	uint32_t scratch_mask; /* headers whose bytes are in the scratch area */
	uint8_t *hdr[BASE_COUNT]; /* headers (NULL: invalid), metadata, action data */
	uint16_t hlen[FT_HEADERS_MAX];
	uint8_t meta[FT_META_BYTES_MAX];
};

#define DEPARSE_BUF (64 * 1024)
#define EVENTS_PENDING_MAX (4 * FT_BURST_EVENTS_MAX)

enum { FATE_NONE, FATE_SEND, FATE_DROP, FATE_GROUP };

struct ft_worker {
	struct ft_pipeline *pipe;
	uint32_t index;
	_Atomic uint64_t busy_gen; /* 0: quiescent; else the gen read at burst start */
	struct ft_pkt_pool pool;
	bool has_pool;
	struct bank bank;
	uint64_t now;		/* ms, read once per burst */
	struct ft_trace *trace; /* non-NULL while tracing */
	bool replay;		/* running a NIC's steps again: count nothing */
	uint8_t *scratch;	/* per packet: storage for headers made valid */
	uint8_t *deparse_buf;	/* DEPARSE_BUF bytes: headers being moved */
	struct pstate ps[FT_BURST_MAX + 1]; /* the last one for copies in egress */
	struct ft_event events[EVENTS_PENDING_MAX]; /* digests of the burst, sorted at its end */
	uint32_t n_events;
	/* learn ring: single producer (this worker), single consumer (control) */
	struct learn_req *ring;
	uint32_t ring_size; /* power of two */
	_Atomic uint32_t ring_head, ring_tail;
};

struct ft_pipeline {
	struct ft_program *prog;
	struct ft_program_info info;
	struct ft_pipeline_params params;
	struct ft_parse_cfg parse_cfg;
	/* headers */
	uint32_t n_headers;
	uint16_t hdr_bytes[FT_HEADERS_MAX];
	uint16_t hdr_scratch[FT_HEADERS_MAX]; /* offset in a packet's scratch area */
	uint8_t hdr_layer[FT_HEADERS_MAX];
	uint32_t scratch_size;
	/* The same as a list of (layer, instance) pairs, for the packet path. */
	uint8_t parsed_layer[FT_L_COUNT], parsed_inst[FT_L_COUNT], n_parsed;
	uint32_t emit[FT_HEADERS_MAX], n_emit;
	bool emit_as_parsed; /* emit lists every parsed header, in packet order */
	uint32_t prefix_mask;		  /* unparsed headers emitted before any parsed one */
	uint32_t prefix_bytes; /* their bytes: they start the scratch area, in emit order */
	/* metadata */
	uint16_t *meta_off;
	uint32_t meta_size;
	/* actions, tables, control */
	struct caction *actions;
	uint32_t n_actions;
	struct ptable *tables;
	uint32_t n_tables;
	struct ft_node *nodes[FT_CTL_COUNT]; /* on_action owned by the program */
	uint32_t n_nodes[FT_CTL_COUNT];
	struct ccond *conds;
	/* groups and mirrors */
	uint32_t n_groups, n_mirrors;
	struct gcopy gcopy[2];
	/* counters */
	uint32_t n_counters;
	uint32_t *counter_size;
	/* concurrency */
	_Atomic uint32_t active;
	_Atomic uint64_t gen;
	pthread_mutex_t lock;
	struct ft_worker **workers;
	struct bank dead; /* counts of destroyed workers */
	struct ft_txn *open_txn;
};

static inline uint8_t *
slot_ptr(const struct ptable *t, uint32_t idx)
{
	return t->slots + (size_t)idx * t->stride;
}

/*
 * The 32-bit word at 'off' of a slot (host order): at 0 the header word
 * (compact), the handle (wide) or the next free slot (free); at 4, in a wide
 * slot, action and flags.
 */
static inline uint32_t
slot_word(const uint8_t *slot, uint32_t off)
{
	uint32_t w;

	__builtin_memcpy(&w, slot + off, 4);
	return w;
}

static inline uint32_t
fmt_handle(const struct slot_fmt *f, const uint8_t *slot)
{
	return slot_word(slot, 0) & f->handle_mask;
}

static inline uint16_t
fmt_action(const struct slot_fmt *f, const uint8_t *slot)
{
	return (uint16_t)(slot_word(slot, f->word_off) >> f->action_shift);
}

static inline uint32_t
slot_handle(const struct ptable *t, uint32_t idx)
{
	return fmt_handle(&t->fmt, slot_ptr(t, idx));
}

static inline uint16_t
slot_action(const struct ptable *t, uint32_t idx)
{
	return fmt_action(&t->fmt, slot_ptr(t, idx));
}

#define SLOT_F_LEARNED 1u

static inline bool
slot_learned(const struct ptable *t, uint32_t idx)
{
	return (slot_word(slot_ptr(t, idx), t->fmt.word_off) & t->fmt.learned_bit) != 0;
}

/*
 * Writes slot 'idx''s handle, action and flag. A handle wider than the
 * table's handles (UINT32_MAX: a default slot's, never read) is cut to them.
 */
static inline void
slot_header_set(const struct ptable *t, uint32_t idx, uint32_t handle, uint32_t action,
		bool learned)
{
	const struct slot_fmt *f = &t->fmt;
	uint8_t *p = slot_ptr(t, idx);
	uint32_t w = action << f->action_shift | (learned ? f->learned_bit : 0);

	if (t->compact) {
		w |= handle & f->handle_mask;
		__builtin_memcpy(p, &w, 4);
	} else {
		__builtin_memcpy(p, &handle, 4);
		__builtin_memcpy(p + 4, &w, 4);
	}
}

uint64_t pipe_now(const struct ft_pipeline *pipe);

/* exec.c */
int exec_burst(struct ft_worker *w, struct ft_pkt *const *pkts,
	       const struct ft_resume *const *resume, uint16_t n,
	       struct ft_burst_result *res);

#endif
