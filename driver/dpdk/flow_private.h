/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to driver/dpdk/flow.c, flow_template.c and their tests: the
 * rte_flow calls the backend makes, as a table, so that tests can put a
 * fake NIC behind it (DPDK 22.11's Debian package has no header to write a
 * mock PMD with), and the backend's state, which both files share. Not
 * installed.
 */
#ifndef FT_DPDK_FLOW_PRIVATE_H
#define FT_DPDK_FLOW_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ethdev.h>
#include <rte_flow.h>

#include <flowtwin/dpdk_flow.h>

/*
 * As the rte_flow_* functions of the same names: failures set rte_errno.
 * The template API's calls (info_get to pull) are DPDK 22.11's
 * experimental ones; port_stop and port_start are rte_eth_dev_stop() and
 * rte_eth_dev_start(), which rte_flow_configure() needs around it.
 */
struct dpdk_flow_ops {
	struct rte_flow *(*create)(uint16_t port, const struct rte_flow_attr *attr,
	                           const struct rte_flow_item pattern[],
	                           const struct rte_flow_action actions[],
	                           struct rte_flow_error *error);
	int (*destroy)(uint16_t port, struct rte_flow *flow, struct rte_flow_error *error);
	int (*query)(uint16_t port, struct rte_flow *flow, const struct rte_flow_action *action,
	             void *data, struct rte_flow_error *error);
	int (*flush)(uint16_t port, struct rte_flow_error *error);
	int (*pick_transfer_proxy)(uint16_t port, uint16_t *proxy, struct rte_flow_error *error);

	int (*info_get)(uint16_t port, struct rte_flow_port_info *port_info,
	                struct rte_flow_queue_info *queue_info, struct rte_flow_error *error);
	int (*configure)(uint16_t port, const struct rte_flow_port_attr *port_attr,
	                 uint16_t nb_queue, const struct rte_flow_queue_attr *queue_attr[],
	                 struct rte_flow_error *error);
	struct rte_flow_pattern_template *(*pattern_template_create)(
	        uint16_t port, const struct rte_flow_pattern_template_attr *attr,
	        const struct rte_flow_item pattern[], struct rte_flow_error *error);
	int (*pattern_template_destroy)(uint16_t port, struct rte_flow_pattern_template *pt,
	                                struct rte_flow_error *error);
	struct rte_flow_actions_template *(*actions_template_create)(
	        uint16_t port, const struct rte_flow_actions_template_attr *attr,
	        const struct rte_flow_action actions[], const struct rte_flow_action masks[],
	        struct rte_flow_error *error);
	int (*actions_template_destroy)(uint16_t port, struct rte_flow_actions_template *at,
	                                struct rte_flow_error *error);
	struct rte_flow_template_table *(*template_table_create)(
	        uint16_t port, const struct rte_flow_template_table_attr *attr,
	        struct rte_flow_pattern_template *pts[], uint8_t n_pts,
	        struct rte_flow_actions_template *ats[], uint8_t n_ats,
	        struct rte_flow_error *error);
	int (*template_table_destroy)(uint16_t port, struct rte_flow_template_table *table,
	                              struct rte_flow_error *error);
	struct rte_flow *(*async_create)(
	        uint16_t port, uint32_t queue, const struct rte_flow_op_attr *op_attr,
	        struct rte_flow_template_table *table, const struct rte_flow_item pattern[],
	        uint8_t pattern_index, const struct rte_flow_action actions[],
	        uint8_t actions_index, void *user_data, struct rte_flow_error *error);
	int (*async_destroy)(uint16_t port, uint32_t queue, const struct rte_flow_op_attr *op_attr,
	                     struct rte_flow *flow, void *user_data, struct rte_flow_error *error);
	int (*push)(uint16_t port, uint32_t queue, struct rte_flow_error *error);
	int (*pull)(uint16_t port, uint32_t queue, struct rte_flow_op_result res[], uint16_t n_res,
	            struct rte_flow_error *error);
	int (*port_stop)(uint16_t port);
	int (*port_start)(uint16_t port);
};

/* Replaces the calls (NULL: rte_flow's own) for backends created from now on. */
void dpdk_flow_set_ops(const struct dpdk_flow_ops *ops);

/*
 * The template API's user_data: a rule creation carries the index + 1 of
 * the compiled rule it was created for (DPDK_TMPL_USER_RULE()), a
 * destruction DPDK_TMPL_USER_DESTROY.
 */
#define DPDK_TMPL_USER_RULE(i) ((void *)(uintptr_t)((uintptr_t)(i) + 1))
#define DPDK_TMPL_USER_DESTROY ((void *)(uintptr_t)0)

/* An installed rule. */
struct dpdk_flow_inst {
	struct rte_flow *flow;
	uint16_t port; /* installed on: the rule's port, or its transfer proxy */
	uint64_t match, action;
	uint32_t group;
	uint8_t parity; /* at priority 2 * priority + parity */
	uint32_t table; /* the template API: its table (flow_template.c's index) */
};

struct dpdk_tmpl;

struct ft_dpdk_flow {
	struct ft_pipeline *pipe;
	struct ft_offload *off;
	const struct ft_nic_profile *prof;
	const struct dpdk_flow_ops *ops;
	uint16_t ports[RTE_MAX_ETHPORTS];
	uint32_t n_ports;
	uint16_t proxy[RTE_MAX_ETHPORTS]; /* by port id: where its transfer rules go */
	struct dpdk_flow_inst *flows;     /* by compiled rule */
	uint32_t n_flows;
	struct dpdk_tmpl *tmpl; /* the template API's state; NULL: the sync API */
	struct ft_twin_sync_stats last;
	struct ft_dpdk_flow_result res; /* ft_dpdk_flow_run_fn()'s */
	struct ft_burst_result sw;      /* the model's part of a burst */
	ft_dpdk_flow_compile_fn on_compile;
	void *compile_arg;
};

/*
 * flow.c. The one place where an rte_flow error becomes a 'struct
 * ft_error': fills 'err' with 'code' (a negative errno) for 'call' on
 * 'port': kind FT_ERR_RULE with compiled rule 'rule' as index when 'b'
 * holds that rule, else FT_ERR_RESOURCE with the port; the message is the
 * PMD's, the errno's text and the rule in testpmd syntax. Logs it.
 * Returns 'code'.
 */
int dpdk_flow_error(struct ft_error *err, int code, uint16_t port, const char *call,
                    const struct rte_flow_error *fe, const struct ft_flow_buf *b, uint32_t rule);

/* flow.c. The entry to keep out of a full NIC for refused rule 'rule' (see there). */
bool dpdk_flow_refused_entry(const struct ft_dpdk_flow *f, uint32_t rule, uint32_t *table,
                             uint32_t *handle);

#define DPDK_PROBE_ITEMS   6
#define DPDK_PROBE_ACTIONS 5

/* A probe rule (flow.c: dpdk_flow_probe_rule()): FT_DPDK_PROBE_* in one domain. */
struct dpdk_flow_probe {
	struct rte_flow_attr attr;
	struct rte_flow_item pattern[DPDK_PROBE_ITEMS];
	struct rte_flow_action actions[DPDK_PROBE_ACTIONS];
	struct rte_flow_item_integrity integ, integ_mask;
	struct rte_flow_item_ipv4 ipv4;
	struct rte_flow_item_udp udp;
	struct rte_flow_item_vxlan vxlan;
	struct rte_flow_action_jump jump, jump2;
	struct rte_flow_action_queue queue;
	struct rte_flow_action_mark mark;
	struct rte_flow_action_count count;
	struct rte_flow_action_of_push_vlan push;
	struct rte_flow_action_of_set_vlan_vid vid;
};

void dpdk_flow_probe_rule(struct dpdk_flow_probe *r, enum ft_dpdk_flow_probe k, bool transfer);

/* flow.c. What FT_DPDK_PROBE_* 'k' is called in messages; whether profile 'p' needs it. */
const char *dpdk_flow_probe_name(enum ft_dpdk_flow_probe k);
bool dpdk_flow_probe_needed(const struct ft_nic_profile *p, enum ft_dpdk_flow_probe k);

/*
 * flow_template.c: the template API behind the same backend.
 *
 * dpdk_tmpl_create(): for every port rules go on, rte_flow_info_get(),
 * then the port stopped, rte_flow_configure(), the port started again.
 * 0, or -ENOTSUP (no template API on a port) / the PMD's error, 'err' set.
 * dpdk_tmpl_sync(): as ft_dpdk_flow_sync(), counters already collected.
 * dpdk_tmpl_forget(): a port restarted: the rules are gone, their handles
 * forgotten; the templates and tables stay.
 * dpdk_tmpl_destroy(): every rule, table and template destroyed; NULL state
 * does nothing.
 */
int dpdk_tmpl_create(struct ft_dpdk_flow *f, uint32_t rules_max, struct ft_error *err);
int dpdk_tmpl_sync(struct ft_dpdk_flow *f, struct ft_error *err);
void dpdk_tmpl_forget(struct ft_dpdk_flow *f);
void dpdk_tmpl_destroy(struct ft_dpdk_flow *f);

#endif
