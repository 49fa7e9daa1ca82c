/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The exact-match engine (MT_EXACT) of model/'s match tables (mt.h): what
 * the executor probes for every packet that reaches an exact P4 table, so it
 * is built for one bucket line and one entry line per lookup.
 *
 * Layout. One array of 64-byte, cache-line aligned buckets: 'n_main' main
 * buckets, then 'n_pool' overflow buckets. A bucket holds ten slots, each a
 * 16-bit signature and a 32-bit entry index, and the index of the next
 * bucket of its chain (0: none; bucket 0 is a main bucket, so no chain ever
 * links to it). Signature 0 marks a free slot. XXH3 of the key gives both:
 * the signature is its top 16 bits (0 becomes 1), the main bucket its low 32
 * bits reduced to [0, n_main) by a multiply-shift, so that n_main need not be
 * a power of two and the memory per entry does not jump with the capacity.
 *
 * Sizing. n_main = capacity / 6: at capacity a bucket holds 6 entries on
 * average for 10 slots, so about 4% of buckets overflow and about 1.3% of
 * entries sit in an overflow bucket. Every chain is kept compact (all its
 * buckets full but the last, whose slots fill from the first), so any n
 * entries need at most n / 10 overflow buckets: the pool has that many for
 * small tables, and for large ones n_main / 16 + 4 sqrt(n_main) + 8, which is
 * above the expected need of random keys (0.043 n_main) by over 30 standard
 * deviations. Total: 64 / 6 + 64 / 96 = 11.3 bytes per entry at capacity.
 *
 * Lookup of a burst runs in three passes so that memory latency overlaps:
 * hash every key and prefetch its bucket; compare the key's signature with
 * the bucket's ten at once (SSE2) and prefetch the first candidate's entry
 * slot, its first and last line; compare full keys, falling through to the
 * next candidate on a signature collision and down the chain when the bucket
 * has an overflow.
 *
 * Changes are deterministic: insert takes the first free slot of the chain's
 * last bucket (or a new overflow bucket from the head of the free list);
 * remove moves the chain's last entry into the hole and returns an emptied
 * overflow bucket to the head of the free list.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "mt.h"

#define BUCKET_SLOTS 10
#define BUCKET_LOAD  6 /* entries per main bucket at capacity */
#define SLOTS_ALL    ((1u << BUCKET_SLOTS) - 1)
#define BURST_MAX    64
#define HUGE_PAGE    (2u << 20)

struct bucket {
	uint16_t sig[BUCKET_SLOTS];
	uint32_t idx[BUCKET_SLOTS];
	uint32_t next;
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct bucket) == 64, "a bucket is one cache line");

struct hash {
	struct mt mt;
	struct bucket *b; /* n_main main buckets, then n_pool overflow buckets */
	uint32_t n_main;
	uint32_t n_pool;
	uint32_t free_head; /* first free overflow bucket, 0 when none */
	uint32_t key_size;
	struct mt_slots slots;
};

static struct hash *
hash_of(struct mt *t)
{
	return (struct hash *)t;
}

static const struct hash *
chash_of(const struct mt *t)
{
	return (const struct hash *)t;
}

static const uint8_t *
entry_key(const struct hash *h, uint32_t idx)
{
	return mt_slot(&h->slots, idx, h->slots.key_off);
}

static uint64_t
key_hash(const struct hash *h, const uint8_t *key)
{
	return XXH3_64bits(key, h->key_size);
}

static uint32_t
hash_bucket(const struct hash *h, uint64_t hv)
{
	return (uint32_t)(((hv & 0xffffffffu) * h->n_main) >> 32);
}

static uint16_t
hash_sig(uint64_t hv)
{
	uint16_t s = (uint16_t)(hv >> 48);

	return s ? s : 1;
}

/* Bit i set when slot i of 'b' has signature 'sig' (sig 0: the free slots). */
static inline uint32_t
sig_match(const struct bucket *b, uint16_t sig)
{
#ifdef __SSE2__
	__m128i s = _mm_set1_epi16((short)sig);
	__m128i lo = _mm_load_si128((const __m128i *)b->sig);
	uint32_t tail;

	memcpy(&tail, &b->sig[8], sizeof(tail));
	__m128i hi = _mm_cvtsi32_si128((int)tail);
	__m128i eq = _mm_packs_epi16(_mm_cmpeq_epi16(lo, s), _mm_cmpeq_epi16(hi, s));

	return (uint32_t)_mm_movemask_epi8(eq) & SLOTS_ALL;
#else
	uint32_t m = 0;

	for (int i = 0; i < BUCKET_SLOTS; i++)
		m |= (uint32_t)(b->sig[i] == sig) << i;
	return m;
#endif
}

/* Number of used slots of 'b': they are always the first ones. */
static uint32_t
bucket_used(const struct bucket *b)
{
	uint32_t free = sig_match(b, 0);

	return free ? (uint32_t)__builtin_ctz(free) : BUCKET_SLOTS;
}

static uint32_t
pool_size(uint32_t capacity, uint32_t n_main)
{
	uint64_t exact = (capacity + BUCKET_SLOTS - 1) / BUCKET_SLOTS;
	uint64_t sq = 1;

	while ((sq + 1) * (sq + 1) <= n_main)
		sq++;
	uint64_t stat = n_main / 16 + 4 * sq + 8;

	return (uint32_t)(exact < stat ? exact : stat);
}

/*
 * Zeroed memory for 'size' bytes of buckets (a multiple of 64), cache-line
 * aligned. Arrays of two huge pages or more are aligned to the huge page and,
 * where the system has transparent huge pages, asked to be backed by them: a
 * lookup touches a random bucket, and a TLB miss on each would add a page
 * walk to the cache miss. The size is not rounded up: the tail stays on
 * small pages.
 */
static struct bucket *
buckets_alloc(size_t size)
{
	size_t align = size >= 2 * HUGE_PAGE ? HUGE_PAGE : 64;
	void *p;

	/* posix_memalign(): aligned_alloc() wants the size a multiple of the alignment. */
	if (posix_memalign(&p, align, size) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	if (align == HUGE_PAGE)
		(void)madvise(p, size, MADV_HUGEPAGE);
#endif
	memset(p, 0, size);
	return p;
}

static struct mt *
hash_create(const struct mt_params *p)
{
	struct hash *h = calloc(1, sizeof(*h));
	uint32_t cap = p->capacity ? p->capacity : 1;
	size_t n;

	if (h == NULL)
		return NULL;
	h->mt.ops = &mt_hash_ops;
	h->key_size = p->key_size;
	h->slots = p->slots;
	h->n_main = (cap + BUCKET_LOAD - 1) / BUCKET_LOAD;
	h->n_pool = pool_size(cap, h->n_main);
	n = (size_t)h->n_main + h->n_pool;
	h->b = buckets_alloc(n * sizeof(struct bucket));
	if (h->b == NULL) {
		free(h);
		return NULL;
	}
	/* The free list runs through the pool in order: the first bucket goes first. */
	for (uint32_t i = 0; i < h->n_pool; i++)
		h->b[h->n_main + i].next = i + 1 < h->n_pool ? h->n_main + i + 1 : 0;
	h->free_head = h->n_pool ? h->n_main : 0;
	return &h->mt;
}

static void
hash_destroy(struct mt *t)
{
	struct hash *h = hash_of(t);

	free(h->b);
	free(h);
}

static int
hash_insert(struct mt *t, uint32_t idx)
{
	struct hash *h = hash_of(t);
	uint64_t hv = key_hash(h, entry_key(h, idx));
	struct bucket *b = &h->b[hash_bucket(h, hv)];
	uint32_t used;

	while (b->next)
		b = &h->b[b->next];
	used = bucket_used(b);
	if (used == BUCKET_SLOTS) {
		uint32_t nb = h->free_head;

		if (nb == 0)
			return -ENOSPC;
		h->free_head = h->b[nb].next;
		h->b[nb].next = 0;
		b->next = nb;
		b = &h->b[nb];
		used = 0;
	}
	b->sig[used] = hash_sig(hv);
	b->idx[used] = idx;
	h->mt.count++;
	return 0;
}

/* The bucket and slot of entry 'idx', or NULL; '*head' gets the main bucket of its chain. */
static struct bucket *
locate(struct hash *h, uint32_t idx, uint32_t *slot, struct bucket **head)
{
	uint64_t hv = key_hash(h, entry_key(h, idx));
	uint16_t sig = hash_sig(hv);

	*head = &h->b[hash_bucket(h, hv)];
	for (struct bucket *b = *head;; b = &h->b[b->next]) {
		for (uint32_t m = sig_match(b, sig); m; m &= m - 1) {
			uint32_t s = (uint32_t)__builtin_ctz(m);

			if (b->idx[s] == idx) {
				*slot = s;
				return b;
			}
		}
		if (b->next == 0)
			return NULL;
	}
}

static int
hash_remove(struct mt *t, uint32_t idx)
{
	struct hash *h = hash_of(t);
	struct bucket *b, *last, *prev = NULL;
	uint32_t s, ls;

	b = locate(h, idx, &s, &last);
	if (b == NULL)
		return -ENOENT;
	/* Move the chain's last entry into the hole; free the last bucket if it empties. */
	while (last->next) {
		prev = last;
		last = &h->b[last->next];
	}
	ls = bucket_used(last) - 1;
	b->sig[s] = last->sig[ls];
	b->idx[s] = last->idx[ls];
	last->sig[ls] = 0;
	last->idx[ls] = 0;
	if (ls == 0 && prev != NULL) {
		uint32_t nb = prev->next;

		prev->next = 0;
		last->next = h->free_head;
		h->free_head = nb;
	}
	h->mt.count--;
	return 0;
}

static int
hash_replace(struct mt *t, uint32_t old_idx, uint32_t new_idx)
{
	struct hash *h = hash_of(t);
	struct bucket *b, *head;
	uint32_t s;

	b = locate(h, old_idx, &s, &head);
	if (b == NULL)
		return -ENOENT;
	b->idx[s] = new_idx;
	return 0;
}

/*
 * Everything below takes the key size as an argument so that the burst
 * lookup, specialised for the common key sizes, gets XXH3 and the key
 * comparison compiled for a constant size.
 */
static inline __attribute__((always_inline)) uint32_t
probe(const struct hash *h, const struct bucket *b, uint32_t m, uint16_t sig, const uint8_t *key,
      uint32_t ks)
{
	for (;;) {
		for (; m; m &= m - 1) {
			uint32_t idx = b->idx[__builtin_ctz(m)];

			if (mt_key_eq(entry_key(h, idx), key, ks))
				return idx;
		}
		if (b->next == 0)
			return MT_MISS;
		b = &h->b[b->next];
		m = sig_match(b, sig);
	}
}

static uint32_t
hash_find(const struct mt *t, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	const struct hash *h = chash_of(t);
	uint64_t hv = key_hash(h, key);
	uint16_t sig = hash_sig(hv);
	const struct bucket *b = &h->b[hash_bucket(h, hv)];

	(void)mask;
	(void)prio;
	return probe(h, b, sig_match(b, sig), sig, key, h->key_size);
}

/*
 * Three passes over the burst: hash and prefetch the bucket; match the
 * signatures and prefetch the first candidate's slot; compare keys. The
 * slot's first and last line, not only its key's: the caller reads the
 * entry's action data next, and a slot of key and data may span two lines
 * (one up to 72 bytes never spans more; longer ones lose the middle). When
 * the slot is one line, both prefetches name the same line.
 */
static inline __attribute__((always_inline)) void
lookup_burst(const struct hash *h, const uint8_t *const *keys, uint32_t n, uint32_t *out,
             uint32_t ks)
{
	uint32_t bkt[BURST_MAX], match[BURST_MAX];
	uint16_t sig[BURST_MAX];

	for (uint32_t i = 0; i < n; i++) {
		uint64_t hv = XXH3_64bits(keys[i], ks);

		bkt[i] = hash_bucket(h, hv);
		sig[i] = hash_sig(hv);
		__builtin_prefetch(&h->b[bkt[i]]);
	}
	for (uint32_t i = 0; i < n; i++) {
		const struct bucket *b = &h->b[bkt[i]];

		match[i] = sig_match(b, sig[i]);
		if (match[i]) {
			const uint8_t *slot =
			        mt_slot(&h->slots, b->idx[__builtin_ctz(match[i])], 0);

			__builtin_prefetch(slot);
			__builtin_prefetch(slot + h->slots.stride - 1);
		}
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = probe(h, &h->b[bkt[i]], match[i], sig[i], keys[i], ks);
}

#define LOOKUP_KS(ks)                                                                              \
	static __attribute__((flatten)) void lookup_##ks(                                          \
	        const struct hash *h, const uint8_t *const *keys, uint32_t n, uint32_t *out)       \
	{                                                                                          \
		lookup_burst(h, keys, n, out, ks);                                                 \
	}

LOOKUP_KS(2)
LOOKUP_KS(4)
LOOKUP_KS(6)
LOOKUP_KS(8)
LOOKUP_KS(10)
LOOKUP_KS(12)
LOOKUP_KS(16)

static __attribute__((flatten)) void
lookup_any(const struct hash *h, const uint8_t *const *keys, uint32_t n, uint32_t *out)
{
	lookup_burst(h, keys, n, out, h->key_size);
}

static void
hash_lookup(const struct mt *t, const uint8_t *const *keys, uint32_t n, uint32_t *out)
{
	const struct hash *h = chash_of(t);
	void (*fn)(const struct hash *h, const uint8_t *const *keys, uint32_t n, uint32_t *out);

	switch (h->key_size) {
	case 2:
		fn = lookup_2;
		break;
	case 4:
		fn = lookup_4;
		break;
	case 6:
		fn = lookup_6;
		break;
	case 8:
		fn = lookup_8;
		break;
	case 10:
		fn = lookup_10;
		break;
	case 12:
		fn = lookup_12;
		break;
	case 16:
		fn = lookup_16;
		break;
	default:
		fn = lookup_any;
		break;
	}
	/* Bursts are of 64 keys at most; take longer ones 64 at a time all the same. */
	for (uint32_t i = 0; i < n; i += BURST_MAX)
		fn(h, keys + i, n - i < BURST_MAX ? n - i : BURST_MAX, out + i);
}

static size_t
hash_memory(const struct mt *t)
{
	const struct hash *h = chash_of(t);

	return sizeof(*h) + ((size_t)h->n_main + h->n_pool) * sizeof(struct bucket);
}

static void
hash_walk(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg)
{
	const struct hash *h = chash_of(t);

	for (uint32_t i = 0; i < h->n_main; i++) {
		for (const struct bucket *b = &h->b[i];; b = &h->b[b->next]) {
			uint32_t used = bucket_used(b);

			for (uint32_t s = 0; s < used; s++)
				fn(b->idx[s], arg);
			if (b->next == 0)
				break;
		}
	}
}

const struct mt_ops mt_hash_ops = {
        .create = hash_create,
        .destroy = hash_destroy,
        .insert = hash_insert,
        .remove = hash_remove,
        .replace = hash_replace,
        .find = hash_find,
        .lookup = hash_lookup,
        .memory = hash_memory,
        .walk = hash_walk,
};
