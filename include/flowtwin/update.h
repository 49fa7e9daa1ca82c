/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Make-before-break updates of installed rules: the plan.
 *
 * A NIC backend (driver/sim's twin, driver/dpdk's rte_flow backend) holds
 * the rules of the last compile and must change them to those of the next
 * one without a packet ever meeting neither state. ft_update_plan() says
 * how, from the rules' identities alone (compile.h: ft_offload_rule_key()):
 *
 *  - a new rule whose match and actions an installed rule has keeps that
 *    rule (each installed rule is kept at most once);
 *  - a new rule whose match an installed rule has, with other actions,
 *    replaces it: it is installed at the other parity of its priority
 *    (backends install compiled priority p at 2 * p + parity), so that the
 *    old rule, still there, wins until it is removed;
 *  - every other new rule is added at parity 0;
 *  - the installed rules that are not kept are removed.
 *
 * Order: adds go first, the groups jumped to before the groups that jump
 * (descending group ids), then removals, the groups that jump first
 * (ascending group ids); within a group, adds in the new rules' order and
 * removals in the reverse of the installed rules' order. A backend that
 * follows the plan keeps every packet on the old state or the new one.
 *
 * Thread-safety: none needed; the plan owns its arrays.
 */
#ifndef FLOWTWIN_UPDATE_H
#define FLOWTWIN_UPDATE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* One rule as the plan sees it. */
struct ft_update_rule {
	uint64_t match, action; /* ft_offload_rule_key() */
	uint32_t group;
	uint8_t parity; /* installed rules: the parity they are at; new rules: ignored */
};

struct ft_update_plan {
	uint32_t *kept;  /* per new rule: the installed rule it keeps, or UINT32_MAX */
	uint8_t *parity; /* per new rule: the parity it is (or stays) at */
	uint32_t *add;   /* new rules to install, in order */
	uint32_t n_add;
	uint32_t *del; /* installed rules to remove, in order */
	uint32_t n_del;
};

/*
 * Plans the change from the 'n_old' installed rules 'old' to the 'n_new'
 * rules 'next' (both borrowed). Fills 'plan', whose arrays the caller owns
 * afterwards: free them with ft_update_plan_fini(). Returns 0 or -ENOMEM
 * ('plan' is then empty).
 */
int ft_update_plan(const struct ft_update_rule *old, uint32_t n_old,
                   const struct ft_update_rule *next, uint32_t n_new, struct ft_update_plan *plan);

/* Frees the plan's arrays; the plan is empty after. */
void ft_update_plan_fini(struct ft_update_plan *plan);

#ifdef __cplusplus
}
#endif

#endif
