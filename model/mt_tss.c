/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The wildcard engine (MT_WILDCARD) of model/'s match tables (mt.h): tuple
 * space search, behind every ternary and LPM P4 table of the software model.
 * An LPM table is a wildcard table whose priority is the prefix length.
 *
 * Entries are grouped by mask into tuples. A tuple is an open-addressing
 * hash table (linear probing, power-of-two size, at most half full) of
 * groups: a group holds the entries of one masked key, ordered by priority,
 * highest first (entries of one group differ in priority, since an entry's
 * identity is key, mask and priority). A group stores the hash of its
 * masked key and its entry indices; the key itself is read from the first
 * entry's slot. A tuple knows the largest priority it holds.
 *
 * The tuples are kept sorted by that largest priority, highest first. A
 * lookup walks them in that order: it masks the packet key with the tuple's
 * mask, probes, and keeps the best entry found (higher priority; on equal
 * priority, smaller index). It stops at the first tuple whose largest
 * priority is below the best found: such a tuple cannot beat it, while one
 * of equal largest priority still can, with a smaller index.
 *
 * Memory grows with the entries (and shrinks with them): tuples, group
 * arrays and entry lists are allocated on insert. Nothing is allocated on
 * lookup. Every change is deterministic: tuples of equal largest priority
 * keep the order in which they reached it, and probing, growing and the
 * backward-shift deletion depend only on the sequence of changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "mt.h"

#define KEY_MAX    64
#define GROUPS_MIN 8

struct group {
	uint32_t hash; /* low 32 bits of the masked key's hash */
	uint32_t n;    /* entries; 0: a free position */
	uint32_t cap;  /* entries 'many' holds; 0: the entry is in 'one' */
	uint32_t one;
	uint32_t *many;
};

struct tuple {
	uint8_t mask[KEY_MAX];
	uint32_t max_prio; /* largest priority of its entries */
	uint32_t n_max;    /* entries of that priority */
	uint32_t n_entries;
	uint32_t n_groups;
	uint32_t size; /* positions in 'g': a power of two */
	struct group *g;
};

struct tss {
	struct mt mt;
	uint32_t key_size;
	struct mt_slots slots;
	struct tuple **order; /* by max_prio, highest first */
	uint32_t n_tuples;
	uint32_t cap_tuples;
};

static struct tss *
tss_of(struct mt *t)
{
	return (struct tss *)t;
}

static const struct tss *
ctss_of(const struct mt *t)
{
	return (const struct tss *)t;
}

static const uint8_t *
entry_key(const struct tss *w, uint32_t idx)
{
	return mt_slot(&w->slots, idx, w->slots.key_off);
}

static const uint8_t *
entry_mask(const struct tss *w, uint32_t idx)
{
	return mt_slot(&w->slots, idx, w->slots.mask_off);
}

static uint32_t
entry_prio(const struct tss *w, uint32_t idx)
{
	return mt_load32(mt_slot(&w->slots, idx, w->slots.prio_off));
}

static uint32_t *
group_list(struct group *g)
{
	return g->cap ? g->many : &g->one;
}

static const uint32_t *
cgroup_list(const struct group *g)
{
	return g->cap ? g->many : &g->one;
}

static uint32_t
key_hash(const struct tss *w, const uint8_t *key)
{
	return (uint32_t)XXH3_64bits(key, w->key_size);
}

static void
mask_key(uint8_t *dst, const uint8_t *key, const uint8_t *mask, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = key[i] & mask[i];
}

/* The position of the group of masked key 'key' in 'tp', or of the free position it would take. */
static uint32_t
group_pos(const struct tss *w, const struct tuple *tp, const uint8_t *key, uint32_t hash)
{
	uint32_t m = tp->size - 1;

	for (uint32_t i = hash & m;; i = (i + 1) & m) {
		const struct group *g = &tp->g[i];

		if (g->n == 0)
			return i;
		if (g->hash == hash && mt_key_eq(entry_key(w, cgroup_list(g)[0]), key, w->key_size))
			return i;
	}
}

/* Moves the groups of 'tp' into a new array of 'size' positions. -ENOMEM leaves 'tp' as it was. */
static int
resize(struct tuple *tp, uint32_t size)
{
	struct group *g = calloc(size, sizeof(*g));

	if (g == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tp->size; i++) {
		uint32_t j;

		if (tp->g[i].n == 0)
			continue;
		for (j = tp->g[i].hash & (size - 1); g[j].n; j = (j + 1) & (size - 1))
			;
		g[j] = tp->g[i];
	}
	free(tp->g);
	tp->g = g;
	tp->size = size;
	return 0;
}

/* Frees position 'i' of 'tp' and shifts back the groups that probed past it. */
static void
group_delete(struct tuple *tp, uint32_t i)
{
	uint32_t m = tp->size - 1;

	for (uint32_t j = i;;) {
		uint32_t k;

		j = (j + 1) & m;
		if (tp->g[j].n == 0)
			break;
		k = tp->g[j].hash & m;
		/* Leave the group at j if its home position k lies cyclically in (i, j]. */
		if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
			continue;
		tp->g[i] = tp->g[j];
		i = j;
	}
	memset(&tp->g[i], 0, sizeof(tp->g[i]));
	tp->n_groups--;
}

static uint32_t
tuple_rank(const struct tss *w, const struct tuple *tp)
{
	for (uint32_t i = 0;; i++)
		if (w->order[i] == tp)
			return i;
}

/* Puts 'tp' (not in w->order) after every tuple whose max_prio is not below its own. */
static void
order_put(struct tss *w, struct tuple *tp)
{
	uint32_t i = 0;

	while (i < w->n_tuples && w->order[i]->max_prio >= tp->max_prio)
		i++;
	memmove(&w->order[i + 1], &w->order[i], (w->n_tuples - i) * sizeof(w->order[0]));
	w->order[i] = tp;
	w->n_tuples++;
}

static void
order_take(struct tss *w, struct tuple *tp)
{
	uint32_t i = tuple_rank(w, tp);

	memmove(&w->order[i], &w->order[i + 1], (w->n_tuples - i - 1) * sizeof(w->order[0]));
	w->n_tuples--;
}

static struct tuple *
tuple_find(const struct tss *w, const uint8_t *mask)
{
	for (uint32_t i = 0; i < w->n_tuples; i++)
		if (memcmp(w->order[i]->mask, mask, w->key_size) == 0)
			return w->order[i];
	return NULL;
}

static void
tuple_free(struct tuple *tp)
{
	for (uint32_t i = 0; i < tp->size; i++)
		if (tp->g[i].cap)
			free(tp->g[i].many);
	free(tp->g);
	free(tp);
}

static struct mt *
tss_create(const struct mt_params *p)
{
	struct tss *w = calloc(1, sizeof(*w));

	if (w == NULL)
		return NULL;
	w->mt.ops = &mt_tss_ops;
	w->key_size = p->key_size;
	w->slots = p->slots;
	return &w->mt;
}

static void
tss_destroy(struct mt *t)
{
	struct tss *w = tss_of(t);

	for (uint32_t i = 0; i < w->n_tuples; i++)
		tuple_free(w->order[i]);
	free(w->order);
	free(w);
}

/* A new empty tuple for 'mask', not yet in w->order (which has room for it), or NULL. */
static struct tuple *
tuple_new(struct tss *w, const uint8_t *mask)
{
	struct tuple *tp;

	if (w->n_tuples == w->cap_tuples) {
		uint32_t cap = w->cap_tuples ? 2 * w->cap_tuples : 8;
		struct tuple **o = realloc(w->order, cap * sizeof(*o));

		if (o == NULL)
			return NULL;
		w->order = o;
		w->cap_tuples = cap;
	}
	tp = calloc(1, sizeof(*tp));
	if (tp == NULL)
		return NULL;
	tp->g = calloc(GROUPS_MIN, sizeof(*tp->g));
	if (tp->g == NULL) {
		free(tp);
		return NULL;
	}
	tp->size = GROUPS_MIN;
	memcpy(tp->mask, mask, w->key_size);
	return tp;
}

/* Adds 'idx' to group 'g' in priority order. -ENOMEM leaves 'g' as it was. */
static int
group_add(const struct tss *w, struct group *g, uint32_t idx, uint32_t prio)
{
	uint32_t *l, i;

	if (g->n == 1 && g->cap == 0) {
		uint32_t *many = malloc(2 * sizeof(*many));

		if (many == NULL)
			return -ENOMEM;
		many[0] = g->one;
		g->many = many;
		g->cap = 2;
	} else if (g->cap && g->n == g->cap) {
		uint32_t *many = realloc(g->many, 2 * g->cap * sizeof(*many));

		if (many == NULL)
			return -ENOMEM;
		g->many = many;
		g->cap *= 2;
	}
	l = group_list(g);
	for (i = 0; i < g->n; i++) {
		uint32_t p = entry_prio(w, l[i]);

		if (p < prio || (p == prio && l[i] > idx))
			break;
	}
	memmove(&l[i + 1], &l[i], (g->n - i) * sizeof(*l));
	l[i] = idx;
	g->n++;
	return 0;
}

static int
tss_insert(struct mt *t, uint32_t idx)
{
	struct tss *w = tss_of(t);
	const uint8_t *key = entry_key(w, idx);
	uint32_t prio = entry_prio(w, idx);
	uint32_t hash = key_hash(w, key);
	struct tuple *tp = tuple_find(w, entry_mask(w, idx));
	int fresh = tp == NULL, r;
	struct group *g;
	uint32_t pos;

	if (fresh) {
		tp = tuple_new(w, entry_mask(w, idx));
		if (tp == NULL)
			return -ENOMEM;
	}
	pos = group_pos(w, tp, key, hash);
	g = &tp->g[pos];
	if (g->n == 0) {
		if (2 * (tp->n_groups + 1) > tp->size) {
			r = resize(tp, 2 * tp->size);
			if (r < 0)
				goto free_tuple;
			pos = group_pos(w, tp, key, hash);
			g = &tp->g[pos];
		}
		g->hash = hash;
		g->one = idx;
		g->n = 1;
		tp->n_groups++;
	} else {
		r = group_add(w, g, idx, prio);
		if (r < 0)
			goto free_tuple;
	}
	tp->n_entries++;
	if (fresh || prio > tp->max_prio) {
		if (!fresh)
			order_take(w, tp);
		tp->max_prio = prio;
		tp->n_max = 1;
		order_put(w, tp);
	} else if (prio == tp->max_prio) {
		tp->n_max++;
	}
	w->mt.count++;
	return 0;

free_tuple:
	if (fresh)
		tuple_free(tp);
	return r;
}

/*
 * The tuple, group position and list position of entry 'idx'. Returns 0 or
 * -ENOENT.
 */
static int
locate(const struct tss *w, uint32_t idx, struct tuple **tpp, uint32_t *posp, uint32_t *ip)
{
	const uint8_t *key = entry_key(w, idx);
	struct tuple *tp = tuple_find(w, entry_mask(w, idx));
	const struct group *g;
	uint32_t pos;

	if (tp == NULL)
		return -ENOENT;
	pos = group_pos(w, tp, key, key_hash(w, key));
	g = &tp->g[pos];
	for (uint32_t i = 0; i < g->n; i++) {
		if (cgroup_list(g)[i] == idx) {
			*tpp = tp;
			*posp = pos;
			*ip = i;
			return 0;
		}
	}
	return -ENOENT;
}

/* Recomputes the largest priority of 'tp' (not empty) and how many entries have it. */
static void
tuple_rescan(const struct tss *w, struct tuple *tp)
{
	tp->max_prio = 0;
	tp->n_max = 0;
	for (uint32_t i = 0; i < tp->size; i++) {
		uint32_t p;

		if (tp->g[i].n == 0)
			continue;
		p = entry_prio(w, group_list(&tp->g[i])[0]);
		if (tp->n_max == 0 || p > tp->max_prio) {
			tp->max_prio = p;
			tp->n_max = 1;
		} else if (p == tp->max_prio) {
			tp->n_max++;
		}
	}
}

static int
tss_remove(struct mt *t, uint32_t idx)
{
	struct tss *w = tss_of(t);
	uint32_t prio = entry_prio(w, idx);
	struct tuple *tp;
	struct group *g;
	uint32_t pos, i, *l;

	if (locate(w, idx, &tp, &pos, &i) < 0)
		return -ENOENT;
	g = &tp->g[pos];
	l = group_list(g);
	memmove(&l[i], &l[i + 1], (g->n - i - 1) * sizeof(*l));
	g->n--;
	if (g->n == 1 && g->cap) {
		uint32_t last = g->many[0];

		free(g->many);
		g->many = NULL;
		g->cap = 0;
		g->one = last;
	}
	if (g->n == 0) {
		group_delete(tp, pos);
		/* Shrink when an eighth full at most; if that fails, keep the larger array. */
		if (tp->size > GROUPS_MIN && 8 * tp->n_groups <= tp->size)
			(void)resize(tp, tp->size / 2);
	}
	w->mt.count--;
	tp->n_entries--;
	if (tp->n_entries == 0) {
		order_take(w, tp);
		tuple_free(tp);
		return 0;
	}
	if (prio == tp->max_prio && --tp->n_max == 0) {
		order_take(w, tp);
		tuple_rescan(w, tp);
		order_put(w, tp);
	}
	return 0;
}

static int
tss_replace(struct mt *t, uint32_t old_idx, uint32_t new_idx)
{
	struct tss *w = tss_of(t);
	struct tuple *tp;
	uint32_t pos, i;

	if (locate(w, old_idx, &tp, &pos, &i) < 0)
		return -ENOENT;
	group_list(&tp->g[pos])[i] = new_idx;
	return 0;
}

static uint32_t
tss_find(const struct mt *t, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	const struct tss *w = ctss_of(t);
	const struct tuple *tp = tuple_find(w, mask);
	const struct group *g;

	if (tp == NULL)
		return MT_MISS;
	g = &tp->g[group_pos(w, tp, key, key_hash(w, key))];
	for (uint32_t i = 0; i < g->n; i++) {
		uint32_t idx = cgroup_list(g)[i];

		if (entry_prio(w, idx) == prio)
			return idx;
	}
	return MT_MISS;
}

static uint32_t
lookup_one(const struct tss *w, const uint8_t *key)
{
	uint32_t best = MT_MISS, best_prio = 0;
	uint8_t mk[KEY_MAX];

	for (uint32_t k = 0; k < w->n_tuples; k++) {
		const struct tuple *tp = w->order[k];
		const struct group *g;
		uint32_t idx, p;

		if (best != MT_MISS && tp->max_prio < best_prio)
			break;
		mask_key(mk, key, tp->mask, w->key_size);
		g = &tp->g[group_pos(w, tp, mk, key_hash(w, mk))];
		if (g->n == 0)
			continue;
		idx = cgroup_list(g)[0];
		p = entry_prio(w, idx);
		if (best == MT_MISS || p > best_prio || (p == best_prio && idx < best)) {
			best = idx;
			best_prio = p;
		}
	}
	return best;
}

static void
tss_lookup(const struct mt *t, const uint8_t *const *keys, uint32_t n, uint32_t *out)
{
	const struct tss *w = ctss_of(t);

	for (uint32_t i = 0; i < n; i++)
		out[i] = lookup_one(w, keys[i]);
}

static size_t
tss_memory(const struct mt *t)
{
	const struct tss *w = ctss_of(t);
	size_t m = sizeof(*w) + (size_t)w->cap_tuples * sizeof(w->order[0]);

	for (uint32_t k = 0; k < w->n_tuples; k++) {
		const struct tuple *tp = w->order[k];

		m += sizeof(*tp) + (size_t)tp->size * sizeof(tp->g[0]);
		for (uint32_t i = 0; i < tp->size; i++)
			m += (size_t)tp->g[i].cap * sizeof(uint32_t);
	}
	return m;
}

static void
tss_walk(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg)
{
	const struct tss *w = ctss_of(t);

	for (uint32_t k = 0; k < w->n_tuples; k++) {
		const struct tuple *tp = w->order[k];

		for (uint32_t i = 0; i < tp->size; i++)
			for (uint32_t j = 0; j < tp->g[i].n; j++)
				fn(cgroup_list(&tp->g[i])[j], arg);
	}
}

const struct mt_ops mt_tss_ops = {
        .create = tss_create,
        .destroy = tss_destroy,
        .insert = tss_insert,
        .remove = tss_remove,
        .replace = tss_replace,
        .find = tss_find,
        .lookup = tss_lookup,
        .memory = tss_memory,
        .walk = tss_walk,
};
