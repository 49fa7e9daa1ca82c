/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Make-before-break update plans (include/flowtwin/update.h). Part of
 * offload/ (shared/DESIGN.md, Layers): it decides, from rule identities,
 * which installed rules stay, which new ones go in and at which priority
 * parity, and in which order, for every backend that installs rules (the
 * software NIC's twin in driver/sim, the rte_flow backend in driver/dpdk).
 * It never touches a rule itself.
 *
 * Installed rules are found by match in an open-addressing index (the
 * first installed rule with that match not kept yet, in probe order).
 * Sorting is by group with the rule index as the tie-break, so the order
 * is the same whatever qsort() does with equal keys.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/update.h>

struct sort_key {
	uint32_t group, index;
};

/* Descending group, ascending index. */
static int
by_group_desc(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->group != y->group)
		return (x->group < y->group) - (x->group > y->group);
	return (x->index > y->index) - (x->index < y->index);
}

void
ft_update_plan_fini(struct ft_update_plan *plan)
{
	free(plan->kept);
	free(plan->parity);
	free(plan->add);
	free(plan->del);
	memset(plan, 0, sizeof(*plan));
}

int
ft_update_plan(const struct ft_update_rule *old, uint32_t n_old, const struct ft_update_rule *next,
               uint32_t n_new, struct ft_update_plan *plan)
{
	uint32_t size = 16, n_add = 0, n_del = 0;
	uint32_t *ix;
	bool *kept_old;
	struct sort_key *keys;

	memset(plan, 0, sizeof(*plan));
	while (size < 2 * n_old)
		size *= 2;
	ix = calloc(size, sizeof(*ix));
	kept_old = calloc(n_old + 1, sizeof(*kept_old));
	keys = malloc((n_new + n_old + 1) * sizeof(*keys));
	plan->kept = malloc((n_new + 1) * sizeof(*plan->kept));
	plan->parity = calloc(n_new + 1, sizeof(*plan->parity));
	plan->add = malloc((n_new + 1) * sizeof(*plan->add));
	plan->del = malloc((n_old + 1) * sizeof(*plan->del));
	if (ix == NULL || kept_old == NULL || keys == NULL || plan->kept == NULL ||
	    plan->parity == NULL || plan->add == NULL || plan->del == NULL) {
		free(ix);
		free(kept_old);
		free(keys);
		ft_update_plan_fini(plan);
		return -ENOMEM;
	}
	for (uint32_t o = 0; o < n_old; o++) {
		uint32_t k;

		for (k = (uint32_t)old[o].match & (size - 1); ix[k]; k = (k + 1) & (size - 1))
			;
		ix[k] = o + 1;
	}
	for (uint32_t i = 0; i < n_new; i++) {
		const struct ft_update_rule *x = &next[i];
		uint32_t o = UINT32_MAX;

		for (uint32_t k = (uint32_t)x->match & (size - 1); ix[k]; k = (k + 1) & (size - 1))
			if (old[ix[k] - 1].match == x->match && !kept_old[ix[k] - 1]) {
				o = ix[k] - 1;
				break;
			}
		plan->kept[i] = UINT32_MAX;
		if (o != UINT32_MAX && old[o].action == x->action) {
			plan->kept[i] = o;
			plan->parity[i] = old[o].parity;
			kept_old[o] = true;
		} else {
			plan->parity[i] = o != UINT32_MAX ? !old[o].parity : 0;
			keys[n_add++] = (struct sort_key){.group = x->group, .index = i};
		}
	}
	qsort(keys, n_add, sizeof(*keys), by_group_desc);
	for (uint32_t k = 0; k < n_add; k++)
		plan->add[k] = keys[k].index;
	plan->n_add = n_add;
	for (uint32_t o = 0; o < n_old; o++)
		if (!kept_old[o])
			keys[n_del++] = (struct sort_key){.group = old[o].group, .index = o};
	qsort(keys, n_del, sizeof(*keys), by_group_desc);
	for (uint32_t k = 0; k < n_del; k++)
		plan->del[k] = keys[n_del - 1 - k].index;
	plan->n_del = n_del;
	free(ix);
	free(kept_old);
	free(keys);
	return 0;
}
