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
 */
#ifndef FT_MODEL_MT_H
#define FT_MODEL_MT_H

#include <stddef.h>
#include <stdint.h>

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

/* Returns NULL when out of memory or for bad parameters. Free with mt_destroy(). */
struct mt *mt_create(const struct mt_params *p);
void mt_destroy(struct mt *t);

/*
 * Inserts entry 'idx', whose slot is already filled. The caller guarantees
 * that no entry with the same identity is present. Returns 0, or -ENOSPC
 * when the structure has no room (the table is then unchanged).
 */
int mt_insert(struct mt *t, uint32_t idx);

/* Removes entry 'idx' (present). Returns 0 or -ENOENT. */
int mt_remove(struct mt *t, uint32_t idx);

/* Puts entry 'new_idx' where 'old_idx' is; both have the same identity. 0 or -ENOENT. */
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

/* Calls fn(idx, arg) for every entry, in no particular order. */
void mt_walk(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg);

#endif
