/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to driver/dpdk/flow.c and its tests: the rte_flow calls the
 * backend makes, as a table, so that tests can put a fake NIC behind it
 * (DPDK 22.11's Debian package has no header to write a mock PMD with).
 * Not installed.
 */
#ifndef FT_DPDK_FLOW_PRIVATE_H
#define FT_DPDK_FLOW_PRIVATE_H

#include <stdint.h>

#include <rte_flow.h>

/* As the rte_flow_* functions of the same names: failures set rte_errno. */
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
};

/* Replaces the calls (NULL: rte_flow's own) for backends created from now on. */
void dpdk_flow_set_ops(const struct dpdk_flow_ops *ops);

#endif
