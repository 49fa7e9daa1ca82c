/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of model/'s match tables (model/mt.h): the exact engine
 * (mt_hash.c) and the wildcard engine (mt_tss.c), each against a naive
 * reference, a linear scan over the live entries with the same semantics.
 *
 * Every randomized test drives two tables with the same changes (the
 * pipeline's two copies) and checks after each step that both agree with
 * the reference and with each other, and that both walk in the same order.
 * Keys live in slots laid out with the key last, so that the last slot's
 * key ends its allocation, and packet keys are each allocated with exactly
 * key_size bytes: a read past a key is caught under AddressSanitizer.
 * Removed slots are overwritten with garbage, as the pipeline reuses them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "mt.h"

#define BURST 64

static uint64_t
rnd(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t
rnd_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)((rnd(s) >> 32) * n >> 32);
}

static void
rnd_bytes(uint64_t *s, uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = (uint8_t)rnd(s);
}

/* A test bed: a slot array, which of its slots are live, and two tables over it. */
struct bed {
	enum mt_kind kind;
	uint32_t key_size;
	uint32_t n_slots;
	struct mt_slots slots;
	uint8_t *mem;
	uint8_t *live;
	uint32_t n_live;
	struct mt *t[2];
	uint64_t rng;
};

static uint8_t *
slot_key(struct bed *b, uint32_t idx)
{
	return b->mem + (size_t)idx * b->slots.stride + b->slots.key_off;
}

static uint8_t *
slot_mask(struct bed *b, uint32_t idx)
{
	return b->mem + (size_t)idx * b->slots.stride + b->slots.mask_off;
}

static uint32_t
slot_prio(struct bed *b, uint32_t idx)
{
	uint32_t p;

	memcpy(&p, b->mem + (size_t)idx * b->slots.stride + b->slots.prio_off, sizeof(p));
	return p;
}

static void
slot_set(struct bed *b, uint32_t idx, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	memcpy(slot_key(b, idx), key, b->key_size);
	if (b->kind == MT_WILDCARD) {
		if (mask != NULL)
			memcpy(slot_mask(b, idx), mask, b->key_size);
		memcpy(b->mem + (size_t)idx * b->slots.stride + b->slots.prio_off, &prio, 4);
	}
}

/*
 * Exact slots: [pad 'lead'][key]. Wildcard slots: [pad 1][prio 4][mask][key],
 * so that the priority is unaligned.
 */
static void
bed_init(struct bed *b, enum mt_kind kind, uint32_t key_size, uint32_t n_slots, uint32_t capacity,
         uint32_t lead, uint64_t seed)
{
	struct mt_params p = {.kind = kind, .key_size = key_size, .capacity = capacity};

	memset(b, 0, sizeof(*b));
	b->kind = kind;
	b->key_size = key_size;
	b->n_slots = n_slots;
	b->rng = seed;
	if (kind == MT_EXACT) {
		b->slots.stride = lead + key_size;
		b->slots.key_off = lead;
	} else {
		b->slots.stride = 5 + 2 * key_size;
		b->slots.prio_off = 1;
		b->slots.mask_off = 5;
		b->slots.key_off = 5 + key_size;
	}
	b->mem = malloc((size_t)n_slots * b->slots.stride);
	b->live = calloc(n_slots, 1);
	assert_non_null(b->mem);
	assert_non_null(b->live);
	rnd_bytes(&b->rng, b->mem, n_slots * b->slots.stride);
	b->slots.base = b->mem;
	p.slots = b->slots;
	for (int i = 0; i < 2; i++) {
		b->t[i] = mt_create(&p);
		assert_non_null(b->t[i]);
	}
}

static void
bed_fini(struct bed *b)
{
	mt_destroy(b->t[0]);
	mt_destroy(b->t[1]);
	free(b->mem);
	free(b->live);
}

/* The reference: which live entry a packet key matches. */
static uint32_t
ref_lookup(struct bed *b, const uint8_t *key)
{
	uint32_t best = MT_MISS, best_prio = 0;

	for (uint32_t i = 0; i < b->n_slots; i++) {
		const uint8_t *k = slot_key(b, i), *m = slot_mask(b, i);
		uint32_t j;

		if (!b->live[i])
			continue;
		if (b->kind == MT_EXACT) {
			if (memcmp(k, key, b->key_size) == 0)
				return i;
			continue;
		}
		for (j = 0; j < b->key_size; j++)
			if ((key[j] & m[j]) != k[j])
				break;
		if (j < b->key_size)
			continue;
		if (best == MT_MISS || slot_prio(b, i) > best_prio) {
			best = i;
			best_prio = slot_prio(b, i);
		}
	}
	return best;
}

/* The reference: the live entry with this identity. */
static uint32_t
ref_find(struct bed *b, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	for (uint32_t i = 0; i < b->n_slots; i++) {
		if (!b->live[i] || memcmp(slot_key(b, i), key, b->key_size) != 0)
			continue;
		if (b->kind == MT_EXACT)
			return i;
		if (memcmp(slot_mask(b, i), mask, b->key_size) == 0 && slot_prio(b, i) == prio)
			return i;
	}
	return MT_MISS;
}

static uint32_t
free_slot(struct bed *b)
{
	uint32_t i = rnd_below(&b->rng, b->n_slots);

	for (uint32_t n = 0; n < b->n_slots; n++, i = (i + 1) % b->n_slots)
		if (!b->live[i])
			return i;
	return MT_MISS;
}

static uint32_t
live_slot(struct bed *b)
{
	uint32_t i = rnd_below(&b->rng, b->n_slots);

	for (uint32_t n = 0; n < b->n_slots; n++, i = (i + 1) % b->n_slots)
		if (b->live[i])
			return i;
	return MT_MISS;
}

/* Inserts (key, mask, prio) into a free slot of both tables; returns the slot or MT_MISS. */
static uint32_t
bed_insert(struct bed *b, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	uint32_t idx = free_slot(b);
	int r;

	if (idx == MT_MISS)
		return MT_MISS;
	slot_set(b, idx, key, mask, prio);
	r = mt_insert(b->t[0], idx);
	assert_int_equal(mt_insert(b->t[1], idx), r);
	if (r == -ENOSPC)
		return MT_MISS;
	assert_int_equal(r, 0);
	b->live[idx] = 1;
	b->n_live++;
	return idx;
}

static void
bed_remove(struct bed *b, uint32_t idx)
{
	assert_int_equal(mt_remove(b->t[0], idx), 0);
	assert_int_equal(mt_remove(b->t[1], idx), 0);
	b->live[idx] = 0;
	b->n_live--;
	/* The pipeline reuses the slot: nothing may read it any more. */
	rnd_bytes(&b->rng, b->mem + (size_t)idx * b->slots.stride, b->slots.stride);
}

/* Moves live entry 'idx' to a free slot with mt_replace(); returns the new slot. */
static uint32_t
bed_replace(struct bed *b, uint32_t idx)
{
	uint32_t to = free_slot(b);

	if (to == MT_MISS)
		return idx;
	memcpy(b->mem + (size_t)to * b->slots.stride, b->mem + (size_t)idx * b->slots.stride,
	       b->slots.stride);
	assert_int_equal(mt_replace(b->t[0], idx, to), 0);
	assert_int_equal(mt_replace(b->t[1], idx, to), 0);
	b->live[to] = 1;
	b->live[idx] = 0;
	rnd_bytes(&b->rng, b->mem + (size_t)idx * b->slots.stride, b->slots.stride);
	return to;
}

/* Looks up n keys in both tables and checks the answers against the reference. */
static void
bed_lookup(struct bed *b, uint8_t *const *keys, uint32_t n)
{
	uint32_t out[2][BURST];

	mt_lookup(b->t[0], (const uint8_t *const *)keys, n, out[0]);
	mt_lookup(b->t[1], (const uint8_t *const *)keys, n, out[1]);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(out[0][i], ref_lookup(b, keys[i]));
		assert_int_equal(out[1][i], out[0][i]);
	}
}

static void
bed_lookup1(struct bed *b, const uint8_t *key, uint32_t expect)
{
	uint8_t *k = malloc(b->key_size);

	assert_non_null(k);
	memcpy(k, key, b->key_size);
	bed_lookup(b, &k, 1);
	assert_int_equal(ref_lookup(b, k), expect);
	free(k);
}

struct walked {
	uint32_t *idx;
	uint32_t n, cap;
};

static void
walk_cb(uint32_t idx, void *arg)
{
	struct walked *w = arg;

	assert_true(w->n < w->cap);
	w->idx[w->n++] = idx;
}

/* Both tables count and walk the live entries, each once, in the same order. */
static void
bed_check_walk(struct bed *b)
{
	struct walked w[2];
	uint8_t *seen = calloc(b->n_slots, 1);

	assert_non_null(seen);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(mt_count(b->t[i]), b->n_live);
		w[i].cap = b->n_live + 1;
		w[i].n = 0;
		w[i].idx = malloc(w[i].cap * sizeof(uint32_t));
		assert_non_null(w[i].idx);
		mt_walk(b->t[i], walk_cb, &w[i]);
		assert_int_equal(w[i].n, b->n_live);
	}
	assert_memory_equal(w[0].idx, w[1].idx, b->n_live * sizeof(uint32_t));
	for (uint32_t j = 0; j < w[0].n; j++) {
		uint32_t idx = w[0].idx[j];

		assert_true(idx < b->n_slots);
		assert_true(b->live[idx]);
		assert_false(seen[idx]);
		seen[idx] = 1;
	}
	free(w[0].idx);
	free(w[1].idx);
	free(seen);
}

/*
 * Random changes and lookups. Keys come from a small universe so that
 * inserts meet existing keys and lookups both hit and miss; wildcard masks
 * come from a few masks (all ones and all zeros among them) and priorities
 * from 0 .. 5, so that matches overlap and priorities tie.
 */
static void
random_ops(enum mt_kind kind, uint32_t key_size, uint32_t n_ops, uint64_t seed)
{
	enum { N_MASKS = 6 };
	uint32_t n_univ = key_size == 1 ? 256 : 600, n_slots = 400;
	uint8_t *univ = malloc((size_t)n_univ * key_size);
	uint8_t masks[N_MASKS][64], key[64], *pk[BURST];
	struct bed b;
	uint32_t idx;

	assert_non_null(univ);
	bed_init(&b, kind, key_size, n_slots, n_slots, key_size % 4, seed);
	if (key_size == 1) {
		for (uint32_t i = 0; i < 256; i++)
			univ[i] = (uint8_t)i;
	} else {
		rnd_bytes(&b.rng, univ, n_univ * key_size);
	}
	/* Masks: all ones, all zeros, then denser and sparser random ones. */
	memset(masks[0], 0xff, sizeof(masks[0]));
	memset(masks[1], 0, sizeof(masks[1]));
	for (int m = 2; m < N_MASKS; m++)
		for (uint32_t j = 0; j < key_size; j++)
			masks[m][j] = (uint8_t)(rnd(&b.rng) | (m & 1 ? rnd(&b.rng) : 0));
	for (int i = 0; i < BURST; i++) {
		pk[i] = malloc(key_size);
		assert_non_null(pk[i]);
	}

	for (uint32_t op = 0; op < n_ops; op++) {
		uint32_t r = rnd_below(&b.rng, 100), prio = 0;
		const uint8_t *mask = masks[rnd_below(&b.rng, N_MASKS)];

		memcpy(key, univ + (size_t)rnd_below(&b.rng, n_univ) * key_size, key_size);
		if (kind == MT_WILDCARD) {
			for (uint32_t j = 0; j < key_size; j++)
				key[j] &= mask[j];
			prio = rnd_below(&b.rng, 6);
		}
		if (r < 40) {
			/* Insert, unless that identity is present. */
			if (ref_find(&b, key, mask, prio) != MT_MISS)
				continue;
			idx = bed_insert(&b, key, mask, prio);
			assert_true(idx != MT_MISS || b.n_live == n_slots);
		} else if (r < 60) {
			idx = live_slot(&b);
			if (idx != MT_MISS)
				bed_remove(&b, idx);
			/* A slot that is not in the table. */
			idx = free_slot(&b);
			if (idx != MT_MISS) {
				assert_int_equal(mt_remove(b.t[0], idx), -ENOENT);
				assert_int_equal(mt_replace(b.t[0], idx, idx), -ENOENT);
			}
		} else if (r < 70) {
			idx = live_slot(&b);
			if (idx != MT_MISS)
				bed_replace(&b, idx);
		} else if (r < 80) {
			/* Find: present identities half of the time. */
			idx = live_slot(&b);
			if (idx != MT_MISS && (r & 1)) {
				memcpy(key, slot_key(&b, idx), key_size);
				mask = slot_mask(&b, idx);
				prio = slot_prio(&b, idx);
			}
			uint32_t f = mt_find(b.t[0], key, mask, prio);

			assert_int_equal(f, ref_find(&b, key, mask, prio));
			assert_int_equal(mt_find(b.t[1], key, mask, prio), f);
		} else if (r < 98) {
			uint32_t n = 1 + rnd_below(&b.rng, BURST);

			for (uint32_t i = 0; i < n; i++) {
				memcpy(pk[i], univ + (size_t)rnd_below(&b.rng, n_univ) * key_size,
				       key_size);
				/* Sometimes a key that differs from a known one in one byte. */
				if (rnd_below(&b.rng, 4) == 0)
					pk[i][rnd_below(&b.rng, key_size)] ^=
					        (uint8_t)(1 + rnd_below(&b.rng, 255));
			}
			bed_lookup(&b, pk, n);
		} else {
			bed_check_walk(&b);
		}
	}
	bed_check_walk(&b);
	/* Empty the tables: everything misses, and the memory goes back (TSS). */
	while ((idx = live_slot(&b)) != MT_MISS)
		bed_remove(&b, idx);
	bed_check_walk(&b);
	for (uint32_t i = 0; i < BURST; i++)
		memcpy(pk[i], univ + (size_t)i * key_size, key_size);
	bed_lookup(&b, pk, BURST);
	if (kind == MT_WILDCARD)
		assert_true(mt_memory(b.t[0]) < 1024);
	for (int i = 0; i < BURST; i++)
		free(pk[i]);
	free(univ);
	bed_fini(&b);
}

static const uint32_t key_sizes[] = {1, 2, 6, 8, 13, 16, 40, 64};

static void
test_exact_random(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_sizes) / sizeof(key_sizes[0]); i++)
		random_ops(MT_EXACT, key_sizes[i], 6000, 1000 + i);
}

static void
test_wildcard_random(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(key_sizes) / sizeof(key_sizes[0]); i++)
		random_ops(MT_WILDCARD, key_sizes[i], 6000, 2000 + i);
}

static void
test_params(void **state)
{
	uint8_t mem[128] = {0};
	struct mt_params p = {
	        .kind = MT_EXACT,
	        .key_size = 8,
	        .capacity = 10,
	        .slots = {.base = mem, .stride = 16, .key_off = 8, .mask_off = 0, .prio_off = 0},
	};
	struct mt *t;

	(void)state;
	mt_destroy(NULL);
	p.key_size = 0;
	assert_null(mt_create(&p));
	p.key_size = 65;
	assert_null(mt_create(&p));
	p.key_size = 9; /* past the stride */
	assert_null(mt_create(&p));
	p.key_size = 8;
	p.kind = MT_WILDCARD; /* mask overlaps the key: fine; prio fits */
	t = mt_create(&p);
	assert_non_null(t);
	mt_destroy(t);
	p.slots.prio_off = 13;
	assert_null(mt_create(&p));
	p.kind = MT_EXACT;
	p.capacity = (1u << 28) + 1;
	assert_null(mt_create(&p));
	p.capacity = 0;
	t = mt_create(&p);
	assert_non_null(t);
	assert_int_equal(mt_insert(t, MT_MISS), -EINVAL);
	assert_int_equal(mt_count(t), 0);
	assert_int_equal(mt_find(t, mem, NULL, 0), MT_MISS);
	assert_int_equal(mt_insert(t, 0), 0);
	assert_int_equal(mt_find(t, mem + 8, NULL, 0), 0);
	assert_int_equal(mt_replace(t, 0, MT_MISS), -EINVAL);
	assert_int_equal(mt_count(t), 1);
	assert_int_equal(mt_remove(t, 0), 0);
	assert_int_equal(mt_remove(t, 0), -ENOENT);
	assert_true(mt_memory(t) >= 64);
	mt_destroy(t);
}

/*
 * The key comparison of both engines (mt.h), for every size and every byte
 * that can differ: a comparison that skips a byte lets a signature collision
 * through, and random tests rarely produce one.
 */
static void
test_key_eq(void **state)
{
	uint64_t s = 3;

	(void)state;
	for (uint32_t n = 1; n <= 64; n++) {
		uint8_t *a = malloc(n), *b = malloc(n);

		assert_non_null(a);
		assert_non_null(b);
		rnd_bytes(&s, a, n);
		memcpy(b, a, n);
		assert_true(mt_key_eq(a, b, n));
		for (uint32_t i = 0; i < n; i++) {
			for (uint32_t bit = 0; bit < 8; bit++) {
				b[i] ^= (uint8_t)(1u << bit);
				assert_false(mt_key_eq(a, b, n));
				assert_false(mt_key_eq(b, a, n));
				b[i] ^= (uint8_t)(1u << bit);
			}
		}
		assert_true(mt_key_eq(b, a, n));
		free(a);
		free(b);
	}
}

/* The exact engine's signature of an 8-byte key: the top 16 bits of its XXH3, 0 made 1. */
static uint16_t
sig_of(const uint8_t *key)
{
	uint16_t s = (uint16_t)(XXH3_64bits(key, 8) >> 48);

	return s ? s : 1;
}

/*
 * Keys whose signatures collide, in one bucket: a table of capacity 6 has a
 * single main bucket and one overflow bucket (20 slots). Twenty keys of one
 * signature fill it, each found by its full key, never by another's.
 */
static void
test_exact_collisions(void **state)
{
	enum { N_CAND = 1 << 20, N_SAME = 24 };
	uint32_t *count = calloc(65536, sizeof(uint32_t)), best = 0, n = 0, idx[N_SAME];
	uint8_t(*same)[8] = malloc(N_SAME * 8), key[8], *pk[N_SAME];
	uint64_t s = 7;
	struct bed b;

	(void)state;
	assert_non_null(count);
	assert_non_null(same);
	/* Find the most frequent signature among N_CAND keys, then N_SAME keys with it. */
	for (uint32_t i = 0; i < N_CAND; i++) {
		uint64_t v = rnd(&s);

		memcpy(key, &v, 8);
		if (++count[sig_of(key)] > count[best])
			best = sig_of(key);
	}
	assert_true(count[best] >= N_SAME);
	s = 7;
	for (uint32_t i = 0; i < N_CAND && n < N_SAME; i++) {
		uint64_t v = rnd(&s);

		memcpy(key, &v, 8);
		if (sig_of(key) == best)
			memcpy(same[n++], key, 8);
	}
	assert_int_equal(n, N_SAME);

	bed_init(&b, MT_EXACT, 8, 64, 6, 0, 99);
	for (uint32_t i = 0; i < 20; i++) {
		idx[i] = bed_insert(&b, same[i], NULL, 0);
		assert_int_not_equal(idx[i], MT_MISS);
	}
	/* Full: the 21st key does not fit, and the table is unchanged. */
	assert_int_equal(bed_insert(&b, same[20], NULL, 0), MT_MISS);
	assert_int_equal(mt_count(b.t[0]), 20);
	for (uint32_t i = 0; i < N_SAME; i++)
		pk[i] = same[i];
	bed_lookup(&b, pk, N_SAME);
	for (uint32_t i = 0; i < N_SAME; i++) {
		assert_int_equal(mt_find(b.t[0], same[i], NULL, 0), i < 20 ? idx[i] : MT_MISS);
		bed_lookup1(&b, same[i], i < 20 ? idx[i] : MT_MISS);
	}
	bed_check_walk(&b);
	/* Remove from the main bucket, from the middle, then everything in turn. */
	bed_remove(&b, idx[0]);
	bed_remove(&b, idx[12]);
	bed_remove(&b, idx[5]);
	bed_lookup(&b, pk, N_SAME);
	bed_check_walk(&b);
	for (uint32_t i = 20; i < 23; i++)
		assert_int_not_equal(bed_insert(&b, same[i], NULL, 0), MT_MISS);
	assert_int_equal(bed_insert(&b, same[23], NULL, 0), MT_MISS);
	assert_int_equal(bed_insert(&b, same[0], NULL, 0), MT_MISS);
	bed_lookup(&b, pk, N_SAME);
	bed_check_walk(&b);
	for (uint32_t i = 0; i < b.n_slots; i++) {
		if (b.live[i]) {
			bed_remove(&b, i);
			bed_lookup(&b, pk, N_SAME);
		}
	}
	bed_check_walk(&b);
	for (uint32_t i = 0; i < 20; i++)
		assert_int_not_equal(bed_insert(&b, same[i], NULL, 0), MT_MISS);
	bed_lookup(&b, pk, N_SAME);
	bed_fini(&b);
	free(same);
	free(count);
}

/*
 * Long chains: a table of capacity 600 has 100 main buckets; 45 keys of one
 * bucket (and different signatures) make a chain of five buckets, which
 * removals from its head and middle must keep whole.
 */
static void
test_exact_chain(void **state)
{
	enum { N = 45 };
	uint8_t keys[N][8], *pk[N];
	uint32_t n = 0, idx[N];
	uint64_t s = 11;
	struct bed b;

	(void)state;
	while (n < N) {
		uint64_t v = rnd(&s), h;

		memcpy(keys[n], &v, 8);
		h = XXH3_64bits(keys[n], 8);
		if ((((h & 0xffffffffu) * 100) >> 32) == 17)
			n++;
	}
	bed_init(&b, MT_EXACT, 8, 1000, 600, 8, 12);
	for (uint32_t i = 0; i < N; i++) {
		pk[i] = keys[i];
		idx[i] = bed_insert(&b, keys[i], NULL, 0);
		assert_int_not_equal(idx[i], MT_MISS);
	}
	bed_lookup(&b, pk, N);
	bed_check_walk(&b);
	for (uint32_t i = 0; i < N; i += 3) {
		bed_remove(&b, idx[i]);
		bed_lookup(&b, pk, N);
	}
	bed_check_walk(&b);
	for (uint32_t i = 0; i < N; i += 3)
		assert_int_not_equal(bed_insert(&b, keys[i], NULL, 0), MT_MISS);
	bed_lookup(&b, pk, N);
	bed_check_walk(&b);
	bed_fini(&b);
}

/* Memory per entry: at most 14 bytes per entry per copy, whatever the capacity. */
static void
test_exact_memory(void **state)
{
	static const uint32_t caps[] = {
	        1000, 65536, 777777, 1000000, 1u << 20, 1100000, 3000000, 1u << 24,
	};
	uint8_t mem[8];
	struct mt_params p = {
	        .kind = MT_EXACT,
	        .key_size = 6,
	        .slots = {.base = mem, .stride = 8},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		struct mt *t;

		p.capacity = caps[i];
		t = mt_create(&p);
		assert_non_null(t);
		if (caps[i] >= 65536)
			assert_true(mt_memory(t) <= (size_t)14 * caps[i]);
		assert_true(mt_memory(t) >= (size_t)6 * caps[i]);
		mt_destroy(t);
	}
}

/*
 * Fill a table to capacity with random keys: every insert succeeds; every
 * key is found; half removed miss and the rest are still found; the removed
 * half goes back in.
 */
static void
fill(uint32_t cap, uint32_t key_size, uint64_t seed)
{
	struct mt_params p = {.kind = MT_EXACT, .key_size = key_size, .capacity = cap};
	uint8_t *mem = malloc((size_t)cap * key_size), *miss = malloc(key_size);
	const uint8_t *pk[BURST];
	uint32_t out[BURST];
	uint64_t s = seed;
	struct mt *t;

	assert_non_null(mem);
	assert_non_null(miss);
	rnd_bytes(&s, mem, cap * key_size);
	p.slots.base = mem;
	p.slots.stride = key_size;
	t = mt_create(&p);
	assert_non_null(t);
	if (cap >= 65536)
		assert_true(mt_memory(t) <= (size_t)14 * cap);
	for (uint32_t i = 0; i < cap; i++)
		assert_int_equal(mt_insert(t, i), 0);
	assert_int_equal(mt_count(t), cap);
	for (uint32_t pass = 0; pass < 3; pass++) {
		for (uint32_t i = 0; i < cap; i += BURST) {
			uint32_t n = cap - i < BURST ? cap - i : BURST;

			for (uint32_t j = 0; j < n; j++)
				pk[j] = mem + (size_t)(i + j) * key_size;
			mt_lookup(t, pk, n, out);
			for (uint32_t j = 0; j < n; j++) {
				uint32_t want = i + j;

				if (pass == 1 && want % 2)
					want = MT_MISS;
				if (out[j] != want)
					fail_msg("key %u: found %u, want %u", i + j, out[j], want);
			}
		}
		if (pass == 0) {
			for (uint32_t i = 1; i < cap; i += 2)
				assert_int_equal(mt_remove(t, i), 0);
			assert_int_equal(mt_count(t), cap - cap / 2);
		} else if (pass == 1) {
			for (uint32_t i = 1; i < cap; i += 2)
				assert_int_equal(mt_insert(t, i), 0);
			assert_int_equal(mt_count(t), cap);
		}
	}
	/* Random keys that are (almost surely) absent. */
	for (uint32_t i = 0; i < 1000; i++) {
		rnd_bytes(&s, miss, key_size);
		pk[0] = miss;
		mt_lookup(t, pk, 1, out);
		if (out[0] != MT_MISS)
			assert_memory_equal(mem + (size_t)out[0] * key_size, miss, key_size);
	}
	mt_destroy(t);
	free(miss);
	free(mem);
}

static void
test_exact_fill(void **state)
{
	(void)state;
	fill(1000, 6, 1);
	fill(12345, 4, 2);
	fill(1u << 20, 8, 3);
	fill(1000000, 6, 4);
}

static void
test_exact_fill_max(void **state)
{
	(void)state;
	if (getenv("FT_TEST_QUICK") != NULL)
		skip();
	fill(1u << 24, 8, 5);
}

/* Wildcard helpers: a prefix of 'len' bits of 'n' bytes as a mask. */
static void
prefix_mask(uint8_t *m, uint32_t n, uint32_t len)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t bits = len > 8 * i ? len - 8 * i : 0;

		m[i] = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);
	}
}

/* Inserts a route: 'vrf' (2 bytes, exact) then an 'n'-byte prefix of length 'len'. */
static uint32_t
route_add(struct bed *b, uint16_t vrf, const uint8_t *addr, uint32_t n, uint32_t len)
{
	uint8_t key[18], mask[18];

	key[0] = (uint8_t)(vrf >> 8);
	key[1] = (uint8_t)vrf;
	memcpy(key + 2, addr, n);
	mask[0] = mask[1] = 0xff;
	prefix_mask(mask + 2, n, len);
	for (uint32_t i = 0; i < n + 2; i++)
		key[i] &= mask[i];
	if (ref_find(b, key, mask, len) != MT_MISS)
		return MT_MISS;
	return bed_insert(b, key, mask, len);
}

static void
route_expect(struct bed *b, uint16_t vrf, const uint8_t *addr, uint32_t n, uint32_t expect)
{
	uint8_t key[18];

	key[0] = (uint8_t)(vrf >> 8);
	key[1] = (uint8_t)vrf;
	memcpy(key + 2, addr, n);
	bed_lookup1(b, key, expect);
}

/* Random routes and lookups of an n-byte address family, against the reference. */
static void
lpm_random(struct bed *b, uint32_t n, uint32_t n_routes)
{
	uint8_t bases[8][16], addr[16];
	uint8_t *pk[BURST];

	for (int i = 0; i < 8; i++)
		rnd_bytes(&b->rng, bases[i], n);
	for (int i = 0; i < BURST; i++) {
		pk[i] = malloc(n + 2);
		assert_non_null(pk[i]);
	}
	for (uint32_t i = 0; i < n_routes; i++) {
		/* Nested prefixes: a few bases, random lengths, random low bits. */
		uint32_t len = rnd_below(&b->rng, 8 * n + 1);

		memcpy(addr, bases[rnd_below(&b->rng, 8)], n);
		addr[rnd_below(&b->rng, n)] ^= (uint8_t)rnd(&b->rng);
		route_add(b, (uint16_t)rnd_below(&b->rng, 3), addr, n, len);
		if (i % 4 == 3 && b->n_live)
			bed_remove(b, live_slot(b));
		if (i % 16 == 15) {
			for (int k = 0; k < BURST; k++) {
				pk[k][0] = 0;
				pk[k][1] = (uint8_t)rnd_below(&b->rng, 3);
				memcpy(pk[k] + 2, bases[rnd_below(&b->rng, 8)], n);
				pk[k][2 + rnd_below(&b->rng, n)] ^= (uint8_t)rnd(&b->rng);
			}
			bed_lookup(b, pk, BURST);
		}
	}
	bed_check_walk(b);
	for (int i = 0; i < BURST; i++)
		free(pk[i]);
}

/* LPM on IPv4 (priority = prefix length) behind an exact 2-byte VRF. */
static void
test_lpm_ipv4(void **state)
{
	static const uint8_t net10[4] = {10, 0, 0, 0}, net10_1[4] = {10, 1, 0, 0},
	                     net10_1_2[4] = {10, 1, 2, 0}, any[4] = {0, 0, 0, 0},
	                     host[4] = {10, 1, 2, 3};
	static const uint8_t a[4] = {10, 1, 2, 3}, bb[4] = {10, 1, 3, 3}, c[4] = {10, 2, 0, 0},
	                     d[4] = {11, 0, 0, 0};
	uint32_t r8, r16, r24, r0, r32;
	struct bed b;

	(void)state;
	bed_init(&b, MT_WILDCARD, 6, 4000, 4000, 0, 21);
	r16 = route_add(&b, 1, net10_1, 4, 16);
	r8 = route_add(&b, 1, net10, 4, 8);
	r24 = route_add(&b, 1, net10_1_2, 4, 24);
	r0 = route_add(&b, 1, any, 4, 0);
	route_expect(&b, 1, a, 4, r24);
	route_expect(&b, 1, bb, 4, r16);
	route_expect(&b, 1, c, 4, r8);
	route_expect(&b, 1, d, 4, r0);
	route_expect(&b, 2, a, 4, MT_MISS);
	r32 = route_add(&b, 1, host, 4, 32);
	route_expect(&b, 1, a, 4, r32);
	bed_remove(&b, r32);
	bed_remove(&b, r24);
	route_expect(&b, 1, a, 4, r16);
	bed_remove(&b, r16);
	route_expect(&b, 1, a, 4, r8);
	bed_remove(&b, r0);
	route_expect(&b, 1, d, 4, MT_MISS);
	route_expect(&b, 1, c, 4, r8);
	bed_check_walk(&b);
	lpm_random(&b, 4, 3000);
	bed_fini(&b);
}

/* LPM on IPv6 behind an exact 2-byte VRF. */
static void
test_lpm_ipv6(void **state)
{
	uint8_t p32[16] = {0x20, 0x01, 0x0d, 0xb8}, p48[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1},
	        p127[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10}, a[16], zero[16] = {0};
	uint32_t r32, r48, r127, r128, r0;
	struct bed b;

	(void)state;
	bed_init(&b, MT_WILDCARD, 18, 4000, 4000, 0, 22);
	r32 = route_add(&b, 7, p32, 16, 32);
	r127 = route_add(&b, 7, p127, 16, 127);
	r48 = route_add(&b, 7, p48, 16, 48);
	memcpy(a, p127, 16);
	a[15] = 0x11;
	route_expect(&b, 7, a, 16, r127);
	a[15] = 0x12;
	route_expect(&b, 7, a, 16, r48);
	a[5] = 2;
	route_expect(&b, 7, a, 16, r32);
	a[3] = 0xb9;
	route_expect(&b, 7, a, 16, MT_MISS);
	r0 = route_add(&b, 7, zero, 16, 0);
	route_expect(&b, 7, a, 16, r0);
	memcpy(a, p127, 16);
	a[15] = 0x11;
	r128 = route_add(&b, 7, a, 16, 128);
	route_expect(&b, 7, a, 16, r128);
	a[15] = 0x10;
	route_expect(&b, 7, a, 16, r127);
	bed_remove(&b, r127);
	route_expect(&b, 7, a, 16, r48);
	bed_check_walk(&b);
	lpm_random(&b, 16, 3000);
	bed_fini(&b);
}

/* Inserts a 4-byte ternary entry. */
static uint32_t
tern_add(struct bed *b, uint32_t value, uint32_t mask, uint32_t prio)
{
	uint8_t k[4], m[4];

	for (int i = 0; i < 4; i++) {
		m[i] = (uint8_t)(mask >> (24 - 8 * i));
		k[i] = (uint8_t)(value >> (24 - 8 * i)) & m[i];
	}
	return bed_insert(b, k, m, prio);
}

static void
tern_expect(struct bed *b, uint32_t value, uint32_t expect)
{
	uint8_t k[4];

	for (int i = 0; i < 4; i++)
		k[i] = (uint8_t)(value >> (24 - 8 * i));
	bed_lookup1(b, k, expect);
}

/* Takes the free slots below 'idx' so that the next insert gets the lowest free slot >= idx. */
static uint32_t
tern_add_at(struct bed *b, uint32_t idx, uint32_t value, uint32_t mask, uint32_t prio)
{
	uint8_t saved[64];
	uint32_t r;

	/* Mark every other free slot live for the duration of the insert. */
	memset(saved, 0, sizeof(saved));
	for (uint32_t i = 0; i < b->n_slots && i < 64; i++) {
		if (!b->live[i] && i != idx) {
			saved[i] = 1;
			b->live[i] = 1;
		}
	}
	assert_false(b->live[idx]);
	r = tern_add(b, value, mask, prio);
	for (uint32_t i = 0; i < b->n_slots && i < 64; i++)
		if (saved[i])
			b->live[i] = 0;
	assert_int_equal(r, idx);
	return r;
}

/*
 * Overlapping ternary entries and ties. Equal priorities across tuples go to
 * the smaller index, whichever tuple comes first; an entry of a tuple whose
 * largest priority ties the best so far must still be considered.
 */
static void
test_ternary(void **state)
{
	struct bed b;

	(void)state;
	bed_init(&b, MT_WILDCARD, 4, 64, 64, 0, 31);
	/* Tuple A (ff000000) reaches priority 5 first, with index 10. */
	tern_add_at(&b, 10, 0x0a000000, 0xff000000, 5);
	/* Tuple B (00ff0000), priority 5 later, with the smaller index 3. */
	tern_add_at(&b, 3, 0x00010000, 0x00ff0000, 5);
	/* Tuple C (0000ff00): largest priority 5 on another key, index 0 with priority 2. */
	tern_add_at(&b, 0, 0x00000200, 0x0000ff00, 2);
	tern_add_at(&b, 20, 0x00000900, 0x0000ff00, 5);
	/* Tuple D (all ones): priority 4. */
	tern_add_at(&b, 1, 0x0a010203, 0xffffffff, 4);
	tern_expect(&b, 0x0a010203, 3);  /* A (5, 10), B (5, 3), C (2, 0), D (4, 1): B */
	tern_expect(&b, 0x0a000203, 10); /* A (5, 10), C (2, 0): A */
	tern_expect(&b, 0x0b000203, 0);  /* C only */
	tern_expect(&b, 0x0b010900, 3);  /* B (5, 3), C (5, 20) */
	tern_expect(&b, 0x0a020900, 10); /* A (5, 10), C (5, 20) */
	tern_expect(&b, 0x0b020300, MT_MISS);
	/* The same masked key and mask at several priorities: the highest wins. */
	tern_add_at(&b, 30, 0x0a000000, 0xff000000, 7);
	tern_add_at(&b, 31, 0x0a000000, 0xff000000, 1);
	tern_expect(&b, 0x0a010203, 30);
	bed_remove(&b, 30);
	tern_expect(&b, 0x0a010203, 3);
	/* B's only entry goes: A's priority 5 is back on top. */
	bed_remove(&b, 3);
	tern_expect(&b, 0x0a010203, 10);
	/* A falls to priority 1: D (4) beats C (2), and C (2) beats A (1). */
	bed_remove(&b, 10);
	tern_expect(&b, 0x0a010203, 1);
	tern_expect(&b, 0x0a000203, 0);
	tern_expect(&b, 0x0a000303, 31);
	/* A catch-all at priority 0 and a tie at priority 4 with a larger index. */
	tern_add_at(&b, 40, 0, 0, 0);
	tern_add_at(&b, 41, 0x00000003, 0x000000ff, 4);
	tern_expect(&b, 0x0a010203, 1);
	tern_expect(&b, 0x0c0c0c03, 41);
	tern_expect(&b, 0x0c0c0c0c, 40);
	assert_int_equal(mt_find(b.t[0], (const uint8_t[]){0x0a, 0, 0, 0},
	                         (const uint8_t[]){0xff, 0, 0, 0}, 1),
	                 31);
	assert_int_equal(mt_find(b.t[0], (const uint8_t[]){0x0a, 0, 0, 0},
	                         (const uint8_t[]){0xff, 0, 0, 0}, 5),
	                 MT_MISS);
	bed_check_walk(&b);
	bed_fini(&b);
}

/*
 * Wildcard memory follows the entries: a tuple's hash table grows with its
 * groups and shrinks when they go, an entry list with the entries of one
 * masked key; an empty table is back to its initial size.
 */
static void
test_wildcard_memory(void **state)
{
	uint8_t key[4], mask[4] = {0xff, 0xff, 0xff, 0};
	size_t empty, full, some;
	struct bed b;
	uint32_t n;

	(void)state;
	bed_init(&b, MT_WILDCARD, 4, 5000, 5000, 0, 51);
	empty = mt_memory(b.t[0]);
	for (uint32_t i = 0; i < 4096; i++) {
		key[0] = (uint8_t)(i >> 8);
		key[1] = (uint8_t)i;
		key[2] = 7;
		key[3] = 0;
		assert_int_not_equal(bed_insert(&b, key, mask, 24), MT_MISS);
	}
	/* One masked key at many priorities. */
	for (uint32_t p = 0; p < 100; p++)
		assert_int_not_equal(bed_insert(&b, key, mask, 100 + p), MT_MISS);
	full = mt_memory(b.t[0]);
	assert_true(full > empty + 4096 * 8);
	assert_true(full < empty + 4096 * 64);
	bed_check_walk(&b);
	n = 0;
	for (uint32_t i = 0; i < b.n_slots; i++) {
		if (b.live[i] && n++ % 64 != 0)
			bed_remove(&b, i);
	}
	some = mt_memory(b.t[0]);
	assert_true(some * 8 < full);
	assert_int_equal(mt_memory(b.t[1]), some);
	bed_check_walk(&b);
	for (uint32_t i = 0; i < b.n_slots; i++)
		if (b.live[i])
			bed_remove(&b, i);
	assert_int_equal(mt_memory(b.t[0]), empty + 8 * sizeof(void *));
	bed_fini(&b);
}

/*
 * Determinism over a long history: two tables given the same changes (with
 * many tuples growing, shrinking and reordering) walk in the same order; a
 * third table given the same final entries in another order answers the
 * same lookups.
 */
static void
test_determinism(void **state)
{
	enum { N = 3000 };

	(void)state;
	for (int kind = MT_EXACT; kind <= MT_WILDCARD; kind++) {
		struct bed b;
		struct mt_params p = {.kind = (enum mt_kind)kind, .key_size = 8, .capacity = N};
		uint8_t key[8], mask[8], *pk[BURST];
		uint32_t out[2][BURST];
		struct mt *t3;

		bed_init(&b, (enum mt_kind)kind, 8, N, N, 0, 41 + kind);
		for (int i = 0; i < BURST; i++)
			pk[i] = malloc(8);
		for (uint32_t i = 0; i < 5 * N; i++) {
			uint32_t r = rnd_below(&b.rng, 3);

			if (r < 2 || b.n_live == 0) {
				rnd_bytes(&b.rng, key, 8);
				prefix_mask(mask, 8, 8 * rnd_below(&b.rng, 9));
				for (int j = 0; j < 8; j++)
					key[j] &= mask[j] | (kind == MT_EXACT ? 0xff : 0);
				if (ref_find(&b, key, mask, i % 9) == MT_MISS)
					bed_insert(&b, key, mask, i % 9);
			} else if (r == 2) {
				bed_remove(&b, live_slot(&b));
			}
		}
		bed_check_walk(&b);
		/* The same entries inserted from the last slot down. */
		p.slots = b.slots;
		t3 = mt_create(&p);
		assert_non_null(t3);
		for (uint32_t i = N; i-- > 0;)
			if (b.live[i])
				assert_int_equal(mt_insert(t3, i), 0);
		for (int round = 0; round < 20; round++) {
			for (int j = 0; j < BURST; j++) {
				uint32_t idx = live_slot(&b);

				memcpy(pk[j], slot_key(&b, idx), 8);
				if (j % 2)
					pk[j][7] ^= (uint8_t)j;
			}
			bed_lookup(&b, pk, BURST);
			mt_lookup(b.t[0], (const uint8_t *const *)pk, BURST, out[0]);
			mt_lookup(t3, (const uint8_t *const *)pk, BURST, out[1]);
			assert_memory_equal(out[0], out[1], sizeof(out[0]));
		}
		mt_destroy(t3);
		for (int i = 0; i < BURST; i++)
			free(pk[i]);
		bed_fini(&b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_params),          cmocka_unit_test(test_key_eq),
	        cmocka_unit_test(test_exact_random),    cmocka_unit_test(test_exact_collisions),
	        cmocka_unit_test(test_exact_chain),     cmocka_unit_test(test_exact_memory),
	        cmocka_unit_test(test_exact_fill),      cmocka_unit_test(test_exact_fill_max),
	        cmocka_unit_test(test_wildcard_random), cmocka_unit_test(test_lpm_ipv4),
	        cmocka_unit_test(test_lpm_ipv6),        cmocka_unit_test(test_ternary),
	        cmocka_unit_test(test_wildcard_memory), cmocka_unit_test(test_determinism),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
