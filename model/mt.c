/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Match tables, the common part: checks the parameters, picks the engine
 * (mt_hash.c for MT_EXACT, mt_tss.c for MT_WILDCARD) and dispatches every
 * call through the engine's ops (mt.h). Part of model/: the tables of the
 * pipeline executor (exec.c) and of the staged/committed table state
 * (pipeline.c) are built on it. One indirect call per operation or per burst
 * of lookups is all it adds.
 */
#include <errno.h>

#include "mt.h"

#define MT_CAPACITY_MAX (1u << 28)

static int
field_fits(uint32_t off, uint32_t size, uint32_t stride)
{
	return (uint64_t)off + size <= stride;
}

static int
params_valid(const struct mt_params *p)
{
	const struct mt_slots *s = &p->slots;

	if (p->key_size < 1 || p->key_size > 64 || p->capacity > MT_CAPACITY_MAX)
		return 0;
	if (s->base == NULL || !field_fits(s->key_off, p->key_size, s->stride))
		return 0;
	if (p->kind == MT_EXACT)
		return 1;
	if (p->kind != MT_WILDCARD)
		return 0;
	return field_fits(s->mask_off, p->key_size, s->stride) &&
	       field_fits(s->prio_off, sizeof(uint32_t), s->stride);
}

struct mt *
mt_create(const struct mt_params *p)
{
	if (p == NULL || !params_valid(p))
		return NULL;
	return p->kind == MT_EXACT ? mt_hash_ops.create(p) : mt_tss_ops.create(p);
}

void
mt_destroy(struct mt *t)
{
	if (t != NULL)
		t->ops->destroy(t);
}

int
mt_insert(struct mt *t, uint32_t idx)
{
	if (idx == MT_MISS)
		return -EINVAL;
	return t->ops->insert(t, idx);
}

int
mt_remove(struct mt *t, uint32_t idx)
{
	if (idx == MT_MISS)
		return -ENOENT;
	return t->ops->remove(t, idx);
}

int
mt_replace(struct mt *t, uint32_t old_idx, uint32_t new_idx)
{
	if (new_idx == MT_MISS)
		return -EINVAL;
	if (old_idx == MT_MISS)
		return -ENOENT;
	return t->ops->replace(t, old_idx, new_idx);
}

uint32_t
mt_find(const struct mt *t, const uint8_t *key, const uint8_t *mask, uint32_t prio)
{
	return t->ops->find(t, key, mask, prio);
}

void
mt_lookup(const struct mt *t, const uint8_t *const *keys, uint32_t n, uint32_t *out)
{
	t->ops->lookup(t, keys, n, out);
}

uint32_t
mt_count(const struct mt *t)
{
	return t->count;
}

size_t
mt_memory(const struct mt *t)
{
	return t->ops->memory(t);
}

void
mt_walk(const struct mt *t, void (*fn)(uint32_t idx, void *arg), void *arg)
{
	t->ops->walk(t, fn, arg);
}
