/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NIC capability profiles.
 *
 * A profile says what one class of NIC can execute through DPDK 22.11's
 * rte_flow: the pattern items and actions it accepts, the order in which it
 * needs the actions of one rule, what group 0 (the root table) may hold, the
 * width of MARK, how many groups and priorities there are, the largest
 * encapsulation header, the rule API (the synchronous rte_flow_create() under
 * mlx5's dv_flow_en=1, or the asynchronous template API under dv_flow_en=2),
 * and the domain rules live in (NIC ingress, where a packet the NIC finishes
 * still reaches a software queue, or transfer through the E-Switch, where it
 * leaves on a represented port).
 *
 * The offload compiler places each entry by the profile; driver/sim refuses
 * whatever its profile does not support, as the PMD would. The figures are
 * those of the public mlx5 guide and rte_flow documentation for DPDK 22.11
 * (shared/research/rte_flow-mlx5-ovs.md gives the sources); docs/features.md
 * is generated from this table ('flowtwin features').
 *
 * Profiles are static and read-only: any thread may read them.
 */
#ifndef FLOWTWIN_OFFLOAD_H
#define FLOWTWIN_OFFLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_flow.h>

#ifdef __cplusplus
extern "C" {
#endif

enum ft_nic_api {
	FT_NIC_API_SYNC,     /* rte_flow_create(); mlx5 dv_flow_en=1 (software steering) */
	FT_NIC_API_TEMPLATE, /* rte_flow_configure() + templates; mlx5 dv_flow_en=2 */
};

enum ft_nic_domain {
	FT_NIC_DOMAIN_INGRESS,	/* attr.ingress: fates are QUEUE, RSS, DROP */
	FT_NIC_DOMAIN_TRANSFER, /* attr.transfer: fates also REPRESENTED_PORT, PORT_ID */
};

/* An action the profile supports and the stage it belongs to: a rule's
 * actions must come in non-decreasing stage order. */
struct ft_nic_action {
	enum rte_flow_action_type type;
	uint8_t stage;
};

struct ft_nic_profile {
	const char *name;	 /* "cx6dx" */
	const char *description; /* one line */
	enum ft_nic_api api;
	enum ft_nic_domain domain;
	const enum rte_flow_item_type *items; /* supported pattern items */
	uint32_t n_items;
	const struct ft_nic_action *actions; /* supported actions, with their stage */
	uint32_t n_actions;
	const char *const *stage_names; /* one per stage, for messages and docs */
	uint32_t n_stages;
	bool group0_jump_only; /* group 0 rules may only JUMP (with MARK, COUNT) */
	bool group0_count;     /* COUNT is allowed in group 0 */
	uint32_t mark_max;     /* largest MARK id */
	uint32_t groups;       /* groups 0 .. groups - 1 */
	uint32_t priorities_root; /* priorities of group 0: 0 .. n - 1 */
	uint32_t priorities;	  /* priorities of the other groups */
	uint32_t tags;		  /* TAG registers (SET_TAG / TAG index 0 .. n - 1) */
	uint32_t encap_max;	  /* bytes of one encapsulation header */
	uint32_t rules_max;	  /* rules the NIC holds (all groups, all ports) */
	bool vxlan_port_4789_only; /* VXLAN items only behind UDP port 4789 */
};

/* The profile named 'name' ("cx5", "cx6dx", "cx7", "bf2", "bf3", "sim"), or NULL. */
const struct ft_nic_profile *ft_nic_profile_find(const char *name);

/* Every profile, *n of them, in a fixed order. */
const struct ft_nic_profile *const *ft_nic_profiles(uint32_t *n);

bool ft_nic_profile_has_item(const struct ft_nic_profile *p, enum rte_flow_item_type type);
bool ft_nic_profile_has_action(const struct ft_nic_profile *p, enum rte_flow_action_type type);
/* The stage of action 'type', or -ENOTSUP when the profile lacks it. */
int ft_nic_profile_action_stage(const struct ft_nic_profile *p, enum rte_flow_action_type type);

/* "eth", "vxlan_decap": the testpmd keyword of an item or action, or NULL. */
const char *ft_flow_item_name(enum rte_flow_item_type type);
const char *ft_flow_action_name(enum rte_flow_action_type type);

#ifdef __cplusplus
}
#endif

#endif
