/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Trace records: private to model/.
 *
 * The executor appends records (tr_add()) while it runs a traced packet;
 * trace.c renders them. A record is a kind, four numbers whose meaning
 * depends on the kind, and up to two byte strings kept in the trace's
 * arena. Values (keys, action data, field values) are stored as
 * bytes in the packed layouts of pipeline.h: each field in ceil(bits / 8)
 * big-endian bytes.
 */
#ifndef FT_MODEL_TRACE_PRIVATE_H
#define FT_MODEL_TRACE_PRIVATE_H

#include <stdint.h>

#include <flowtwin/trace.h>

/*
 * X(ENUM, a, b, c, d, blob1, blob2): what the numbers and blobs hold.
 * "ctl" is enum ft_control; "hdr" a header instance id; "ref kind" an enum
 * ft_ref_kind with "id"/"field" as in struct ft_ref.
 */
#define TR_KINDS(X)                                                                               \
	X(PACKET, in_port, len, -, -, packet bytes, -)                                             \
	X(PARSE, present layer bits, drop reason, payload offset, parse flags, -, -)                \
	X(CONTROL, ctl, rid, out_port, -, -, -)                                          \
	X(TABLE, table, hit, handle, action, key, action data)                                     \
	X(DEFAULT, table, -, -, action, key, action data) /* miss: default action runs */           \
	X(ACTION, action, -, -, -, action data, -)	  /* an action run by a RUN node */         \
	X(COND, cond, result, -, -, -, -)                                                          \
	X(SET, ref kind, id, field, bits, old value, new value)                                    \
	X(VALID, hdr, -, -, -, -, -)                                                               \
	X(INVALID, hdr, -, -, -, -, -)                                                             \
	X(SEND, port, -, -, -, -, -)                                                               \
	X(DROP, reason, action, -, -, -, -)                                                        \
	X(REPLICATE, group, members, -, -, -, -)                                                   \
	X(MIRROR, session, port, -, -, -, -)                                                       \
	X(DIGEST, digest, -, -, -, data, -)                                                        \
	X(LEARN, table, action, queued (1) or lost (0), -, key, action data)                      \
	X(COUNT, counter, index, -, -, -, -)                                                       \
	X(DEPARSE, headers emitted, new length, -, -, -, -)                                        \
	X(OUTPUT, port, len, rid, -, packet bytes, -)

enum tr_kind {
#define TR_ENUM(e, a, b, c, d, x, y) TR_##e,
	TR_KINDS(TR_ENUM)
#undef TR_ENUM
	TR_KIND_COUNT
};

struct tr_rec {
	uint16_t kind;
	uint32_t a, b, c, d;
	uint32_t off1, len1; /* blob 1 in the arena */
	uint32_t off2, len2; /* blob 2 in the arena */
};

struct ft_trace {
	struct tr_rec *recs;
	uint32_t n, cap;
	uint8_t *arena;
	uint32_t arena_len, arena_cap;
	int oom;	/* a record could not be stored */
};

/* Appends a record; on allocation failure sets trace->oom and drops it. */
void tr_add(struct ft_trace *t, enum tr_kind kind, uint32_t a, uint32_t b, uint32_t c, uint32_t d,
	    const void *blob1, uint32_t len1, const void *blob2, uint32_t len2);

const char *tr_kind_name(enum tr_kind kind);

#endif
