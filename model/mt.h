/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Match tables: private to model/.
 *
 * A match table ('struct mt') maps a packet key to the index of the entry
 * that matches it. It does not own entries: they live in the pipeline's
 * entry pool, an array of fixed-size slots, and the match table reads an
 * entry's key, mask and priority from its slot ('struct mt_slots'). The
 * pipeline keeps two match tables per P4 table and switches between them at
 * commit (pipeline.h), so a match table is never read while it is written:
 * nothing here is thread-safe, and nothing needs to be.
 *
 * Two engines share this interface:
 *
 *  - MT_EXACT (mt_hash.c): a hash table of 64-byte buckets (one cache line),
 *    each with several (signature, index) slots and a link to an overflow
 *    bucket. A lookup touches the bucket and the entry: two cache lines.
 *    Burst lookups hash every key first and prefetch the buckets, then probe
 *    and prefetch the entries, then compare keys.
 *
 *  - MT_WILDCARD (mt_tss.c): tuple space search. Entries are grouped by
 *    mask; each group is an exact hash table of masked keys; groups are
 *    searched in decreasing order of the largest priority they hold, and the
 *    search stops when no later group can beat the best match so far. An
 *    LPM table is a wildcard table whose priority is the prefix length.
 *
 * An entry's identity is (key, mask, priority) for MT_WILDCARD, and key for
 * MT_EXACT; two entries of one table never share it. Slot keys of wildcard
 * entries are stored already masked (key & mask).
 *
 * Among wildcard entries of equal priority that match one packet, the one
 * with the smallest index wins.
 *
 * Keys are read for key_size bytes exactly, in slots and in packet keys:
 * neither needs padding. Slots need no alignment. Index MT_MISS is not a
 * valid entry index.
 *
 * Every change is deterministic: two tables created with the same parameters
 * and given the same sequence of changes have the same layout, walk in the
 * same order and give the same answers.
 */
#ifndef FT_MODEL_MT_H
#define FT_MODEL_MT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MT_MISS UINT32_MAX

enum mt_kind { MT_EXACT, MT_WILDCARD };

/* Where entry 'i' keeps its key, mask and priority: base + i * stride + off. */
struct mt_slots {
	const uint8_t *base;
	uint32_t stride;
	uint32_t key_off;
	uint32_t mask_off; /* MT_WILDCARD only */
	uint32_t prio_off; /* MT_WILDCARD only: a uint32_t, larger wins */
};

struct mt_params {
	enum mt_kind kind;
	uint32_t key_size; /* bytes, 1 .. 64 */
	uint32_t capacity; /* entries it must be able to hold */
	struct mt_slots slots;
};

/*
 * Returns NULL when out of memory or for bad parameters (key_size outside
 * 1 .. 64, capacity above 2^28, slot fields outside the stride). An MT_EXACT
 * table allocates all its memory here, sized from 'capacity'; an MT_WILDCARD
 * table grows as entries are inserted. Caller owns the result; free with
 * mt_destroy(). mt_destroy(NULL) does nothing.
 */
struct mt *mt_create(const struct mt_params *p);
void mt_destroy(struct mt *t);

/*
 * Inserts entry 'idx', whose slot is already filled. The caller guarantees
 * that no entry with the same identity is present. Returns 0, or -ENOSPC
 * when the structure has no room (MT_EXACT: a table always has room for
 * 'capacity' entries of random keys), -ENOMEM when growing failed
 * (MT_WILDCARD), -EINVAL when idx is MT_MISS. On error the table is unchanged.
 */
int mt_insert(struct mt *t, uint32_t idx);

/*
 * Removes entry 'idx', whose slot must still hold what it held at insert.
 * Returns 0 or -ENOENT.
 */
int mt_remove(struct mt *t, uint32_t idx);

/*
 * Puts entry 'new_idx' where 'old_idx' is; both have the same identity.
 * 0, -ENOENT when 'old_idx' is not in the table, -EINVAL when 'new_idx' is MT_MISS.
 */
int mt_replace(struct mt *t, uint32_t old_idx, uint32_t new_idx);

/*
 * The entry with this identity ('mask' and 'prio' ignored for MT_EXACT;
 * 'key' already masked for MT_WILDCARD), or MT_MISS.
 */
uint32_t mt_find(const struct mt *t, const uint8_t *key, const uint8_t *mask, uint32_t prio);

/*
 * Looks up 'n' packet keys (key_size bytes each, unmasked) and writes the
 * index of the matching entry, or MT_MISS, to out[i]. n <= 64.
 */
void mt_lookup(const struct mt *t, const uint8_t *const *keys, uint32_t n, uint32_t *out);

/* Number of entries. */
uint32_t mt_count(const struct mt *t);

/* Bytes of memory the structure takes (not counting the entry slots). */
size_t mt_memory(const struct mt *t);

/*
 * Calls fn(idx, arg) for every entry, in no particular order (but the same
 * order for two tables given the same changes). 'fn' must not change 't'.
 */
void mt_walk(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg);

/*
 * The engines behind the functions above: each engine's table starts with a
 * 'struct mt' and mt.c dispatches through its ops. Used by mt*.c only.
 */
struct mt_ops {
	struct mt *(*create)(const struct mt_params *p);
	void (*destroy)(struct mt *t);
	int (*insert)(struct mt *t, uint32_t idx);
	int (*remove)(struct mt *t, uint32_t idx);
	int (*replace)(struct mt *t, uint32_t old_idx, uint32_t new_idx);
	uint32_t (*find)(const struct mt *t, const uint8_t *key, const uint8_t *mask,
	                 uint32_t prio);
	void (*lookup)(const struct mt *t, const uint8_t *const *keys, uint32_t n, uint32_t *out);
	size_t (*memory)(const struct mt *t);
	void (*walk)(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg);
};

struct mt {
	const struct mt_ops *ops;
	uint32_t count;
};

extern const struct mt_ops mt_hash_ops; /* MT_EXACT */
extern const struct mt_ops mt_tss_ops;  /* MT_WILDCARD */

/* Where entry 'idx' keeps the field at 'off'. */
static inline const uint8_t *
mt_slot(const struct mt_slots *s, uint32_t idx, uint32_t off)
{
	return s->base + (size_t)idx * s->stride + off;
}

static inline uint64_t
mt_load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
mt_load32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint16_t
mt_load16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Whether the n-byte keys a and b are equal, reading n bytes of each and no
 * more: two overlapping loads cover every size from 2 to 16.
 */
static inline int
mt_key_eq(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	uint64_t d;

	if (n >= 8) {
		d = mt_load64(a + n - 8) ^ mt_load64(b + n - 8);
		for (uint32_t i = 0; i + 8 < n; i += 8)
			d |= mt_load64(a + i) ^ mt_load64(b + i);
		return d == 0;
	}
	if (n >= 4)
		return ((mt_load32(a) ^ mt_load32(b)) |
		        (mt_load32(a + n - 4) ^ mt_load32(b + n - 4))) == 0;
	if (n >= 2)
		return ((mt_load16(a) ^ mt_load16(b)) |
		        (mt_load16(a + n - 2) ^ mt_load16(b + n - 2))) == 0;
	return a[0] == b[0];
}

#endif
