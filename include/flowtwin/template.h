/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Compiled rules as DPDK 22.11's asynchronous template API.
 *
 * A NIC whose profile uses the template API (offload.h: FT_NIC_API_TEMPLATE,
 * mlx5 with dv_flow_en=2) takes no rte_flow_create(): a port is first
 * configured (rte_flow_configure(): queues and counters), then given pattern
 * templates (item types and masks, without values), actions templates
 * (action types, and which fields are the same in every rule) and template
 * tables (a group, a priority and a direction, the templates its rules may
 * use and how many rules it holds); each rule is then enqueued into a table
 * with rte_flow_async_create(), naming one pattern template and one actions
 * template of that table by their index in it, and giving only its values.
 *
 * ft_template_plan_create() derives all of that from a compiled
 * ft_offload (compile.h):
 *
 *  - Tables. In 22.11 the rule's priority is in the table's attributes
 *    (rte_flow_template_table_attr.flow_attr), not in the rule: rules are
 *    grouped by (port, direction, group, priority), in the order their
 *    first rule comes, and each such set gets one table, or several when
 *    its rules need more templates than one table may hold (params). Table
 *    ids are numbered per port from 0. A table holds nb_flows rules: the
 *    smallest power of two at least twice its rule count, and at least 16.
 *
 *  - Pattern templates: one per distinct (port, direction, item types, item
 *    masks) (the mask of an item with a spec but no mask is rte_flow's
 *    default mask for the type; an item whose mask is all zero or that has
 *    no spec is bare). A template item has no spec, except TAG, whose spec
 *    carries the register index. relaxed_matching is 0: a bare item still
 *    matches its protocol.
 *
 *  - Actions templates: one per distinct (port, direction, action types).
 *    A field is constant (template value, mask all ones) when every rule of
 *    the template has the same value, and left to each rule (mask zero)
 *    otherwise; MARK's id, SET_TAG's and SET_META's data, the MAC of
 *    SET_MAC_*, and the VLAN id and PCP are always left to each rule: they
 *    carry an entry's values (a restore context, metadata, a rewrite).
 *    The header of RAW_ENCAP, RAW_DECAP and VXLAN_ENCAP and the whole RSS
 *    configuration are constant when all rules share them exactly, and
 *    left to each rule (mask configuration NULL) otherwise. An action whose
 *    every field is left to each rule has a NULL mask configuration.
 *
 *  - Ports: per port, the rte_flow_configure() arguments: one queue of the
 *    smallest power of two at least twice the port's rules (at least 64),
 *    and as many counters, sized the same way, as its rules have COUNT.
 *
 * Refused with -ENOTSUP (what rte_flow_async_create() in 22.11 cannot
 * express): an item with a range ('last' that differs from its spec), since
 * a rule gives only its specs; an item or action type this file has no
 * template layout for. -ENOMEM when out of memory.
 *
 * ft_template_plan_testpmd() writes the plan as dpdk-testpmd 22.11 commands:
 *
 *     flow configure P queues_number 1 queues_size Q counters_number C
 *     flow pattern_template P create ingress pattern_template_id I
 *         template ITEM / ... / end
 *     flow actions_template P create ingress actions_template_id J
 *         template ACTION / ... / end mask ACTION / ... / end
 *     flow template_table P create table_id T group G priority R ingress
 *         rules_number N pattern_template I [pattern_template I2]
 *         actions_template J [...]
 *     flow queue P create 0 template_table T pattern_template i
 *         actions_template j postpone no pattern ... / end actions ... / end
 *     flow push P queue 0
 *     flow pull P queue 0
 *
 * each command on one line ('transfer' or 'egress' instead of 'ingress' as
 * the rules have it), through the printers of flow_text.h: pattern template
 * items as 'FIELD mask M', masks as the action with its mask values
 * ('jump group 4294967295': constant; 'mark id 0': per rule). The 'pattern_
 * template' and 'actions_template' of 'flow queue' are indexes in the
 * table, those of 'template_table' are template ids. testpmd's action masks
 * always have a configuration, so a QUEUE, RSS or encapsulation left to
 * each rule cannot be written (-ENOTSUP); the plan itself holds them.
 *
 * Ownership: the plan copies every rule it needs; it does not refer to
 * 'off' after ft_template_plan_create() returns. Everything the accessors
 * return belongs to the plan and lives until ft_template_plan_destroy().
 * A plan is read-only once built: any thread may read it.
 */
#ifndef FLOWTWIN_TEMPLATE_H
#define FLOWTWIN_TEMPLATE_H

#include <stdint.h>
#include <stdio.h>

#include <rte_flow.h>

#include <flowtwin/compile.h>
#include <flowtwin/error.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_template_plan;

struct ft_template_params {
	uint32_t pattern_templates_max; /* per table; 0: 2 (mlx5 in 22.11) */
	uint32_t actions_templates_max; /* per table; 0: 32 (mlx5 in 22.11) */
};

/* rte_flow_configure() of one port. */
struct ft_template_port {
	uint16_t port;
	struct rte_flow_port_attr attr; /* nb_counters */
	uint16_t nb_queue;              /* 1 */
	struct rte_flow_queue_attr queue;
	uint32_t n_rules;
};

struct ft_pattern_template {
	uint16_t port;
	uint32_t id; /* per port, from 0 */
	struct rte_flow_pattern_template_attr attr;
	const struct rte_flow_item *pattern; /* END-terminated */
	uint32_t n_rules;                    /* rules that use it */
};

struct ft_actions_template {
	uint16_t port;
	uint32_t id; /* per port, from 0 */
	struct rte_flow_actions_template_attr attr;
	const struct rte_flow_action *actions; /* END-terminated; constant values */
	const struct rte_flow_action *masks;   /* same types; non-zero: constant */
	uint32_t n_rules;
};

struct ft_template_table {
	uint16_t port;
	uint32_t id; /* per port, from 0 */
	struct rte_flow_template_table_attr attr;
	const uint32_t *pattern_templates; /* plan indexes (ft_template_plan_pattern()) */
	uint32_t n_pattern_templates;
	const uint32_t *actions_templates; /* plan indexes (ft_template_plan_actions()) */
	uint32_t n_actions_templates;
	uint32_t n_rules;
};

/* Rule i of the compiled state, as rte_flow_async_create() takes it. */
struct ft_template_rule {
	uint32_t table;                 /* plan index (ft_template_plan_table()) */
	uint32_t pattern_index;         /* in the table's pattern_templates */
	uint32_t actions_index;         /* in the table's actions_templates */
	const struct ft_flow_buf *flow; /* the rule: its port, pattern and actions */
};

struct ft_template_plan_info {
	uint32_t ports, pattern_templates, actions_templates, tables, rules;
};

/*
 * Builds the template plan of the rules 'off' (borrowed) holds now. 'params'
 * may be NULL. On success *plan is the plan: caller owns it; free with
 * ft_template_plan_destroy(). Returns 0, -ENOTSUP (a rule the template API
 * cannot express: 'err' names the rule, index = its number, and says why),
 * or -ENOMEM.
 */
int ft_template_plan_create(const struct ft_offload *off, const struct ft_template_params *params,
                            struct ft_template_plan **plan, struct ft_error *err);
void ft_template_plan_destroy(struct ft_template_plan *plan);

/* Fills 'out' with rule 'i' of 'arg' (as ft_offload_rule() does): 0, or a negative errno. */
typedef int (*ft_template_rule_fn)(void *arg, uint32_t i, struct ft_flow_buf *out);

/*
 * The same from any rules: 'fn' gives rules 0 .. n_rules - 1 of 'arg' (borrowed,
 * used only during the call). Returns as ft_template_plan_create(), or -EINVAL
 * when 'fn' fails.
 */
int ft_template_plan_create_from(ft_template_rule_fn fn, void *arg, uint32_t n_rules,
                                 const struct ft_template_params *params,
                                 struct ft_template_plan **plan, struct ft_error *err);

void ft_template_plan_info(const struct ft_template_plan *plan, struct ft_template_plan_info *out);

/* The i-th object of each kind, or NULL when i is out of range. */
const struct ft_template_port *ft_template_plan_port(const struct ft_template_plan *plan,
                                                     uint32_t i);
const struct ft_pattern_template *ft_template_plan_pattern(const struct ft_template_plan *plan,
                                                           uint32_t i);
const struct ft_actions_template *ft_template_plan_actions(const struct ft_template_plan *plan,
                                                           uint32_t i);
const struct ft_template_table *ft_template_plan_table(const struct ft_template_plan *plan,
                                                       uint32_t i);
const struct ft_template_rule *ft_template_plan_rule(const struct ft_template_plan *plan,
                                                     uint32_t i);

/*
 * Writes the plan as dpdk-testpmd commands (above) to 'out' (borrowed).
 * Returns 0, -ENOTSUP when a command cannot be written in testpmd's syntax
 * or would be longer than FT_FLOW_TESTPMD_LINE_MAX ('err' says which), or
 * -EIO when writing fails. Lines already written stay written.
 */
int ft_template_plan_testpmd(const struct ft_template_plan *plan, FILE *out, struct ft_error *err);

#ifdef __cplusplus
}
#endif

#endif
