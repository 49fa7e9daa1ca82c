/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The capability profiles (include/flowtwin/offload.h): one table per NIC
 * class, written from the mlx5 guide and the rte_flow documentation of DPDK
 * 22.11. The offload compiler and driver/sim read them; 'flowtwin features'
 * prints them as docs/features.md.
 *
 * Action stages, one order for every profile (the strictest, that of mlx5
 * hardware steering): metadata (MARK, FLAG, COUNT, SET_TAG, SET_META), then
 * decapsulation, VLAN pop, VLAN push and set, MAC rewrite, encapsulation,
 * and last the fate (JUMP, DROP, QUEUE, RSS, ports).
 */
#include <errno.h>
#include <string.h>

#include <flowtwin/offload.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum stage { S_META, S_DECAP, S_POP, S_PUSH, S_MAC, S_ENCAP, S_FATE };

static const char *const stage_names[] = {
	"metadata", "decap", "vlan pop", "vlan push", "mac rewrite", "encap", "fate",
};

#define I(t) RTE_FLOW_ITEM_TYPE_##t
#define A(t, s) { RTE_FLOW_ACTION_TYPE_##t, s }

static const enum rte_flow_item_type items_cx5[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META), I(MARK),
};

static const enum rte_flow_item_type items_cx6dx[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META), I(MARK),
	I(INTEGRITY),
};

static const enum rte_flow_item_type items_hws[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META),
	I(INTEGRITY),
};

static const enum rte_flow_item_type items_bf2[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META), I(MARK),
	I(INTEGRITY), I(REPRESENTED_PORT), I(PORT_REPRESENTOR),
};

static const enum rte_flow_item_type items_bf3[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META),
	I(INTEGRITY), I(REPRESENTED_PORT),
};

static const enum rte_flow_item_type items_sim[] = {
	I(ETH), I(VLAN), I(IPV4), I(IPV6), I(UDP), I(TCP), I(VXLAN), I(TAG), I(META), I(MARK),
	I(INTEGRITY), I(PORT_ID), I(REPRESENTED_PORT), I(PORT_REPRESENTOR),
};

/* Software steering, NIC ingress: no VLAN push (E-Switch only), no port fates. */
static const struct ft_nic_action actions_sws_ingress[] = {
	A(MARK, S_META), A(FLAG, S_META), A(COUNT, S_META), A(SET_TAG, S_META),
	A(SET_META, S_META), A(VXLAN_DECAP, S_DECAP), A(RAW_DECAP, S_DECAP),
	A(OF_POP_VLAN, S_POP), A(SET_MAC_SRC, S_MAC), A(SET_MAC_DST, S_MAC),
	A(VXLAN_ENCAP, S_ENCAP), A(RAW_ENCAP, S_ENCAP), A(JUMP, S_FATE), A(DROP, S_FATE),
	A(QUEUE, S_FATE), A(RSS, S_FATE),
};

/* Hardware steering (22.11): no SET_MAC_*, no PORT_ID, no SET_TAG/SET_META, no FLAG. */
static const struct ft_nic_action actions_hws_ingress[] = {
	A(MARK, S_META), A(COUNT, S_META), A(VXLAN_DECAP, S_DECAP), A(RAW_DECAP, S_DECAP),
	A(OF_POP_VLAN, S_POP), A(VXLAN_ENCAP, S_ENCAP), A(RAW_ENCAP, S_ENCAP),
	A(JUMP, S_FATE), A(DROP, S_FATE), A(QUEUE, S_FATE), A(RSS, S_FATE),
};

static const struct ft_nic_action actions_bf2[] = {
	A(MARK, S_META), A(FLAG, S_META), A(COUNT, S_META), A(SET_TAG, S_META),
	A(SET_META, S_META), A(VXLAN_DECAP, S_DECAP), A(RAW_DECAP, S_DECAP),
	A(OF_POP_VLAN, S_POP), A(OF_PUSH_VLAN, S_PUSH), A(OF_SET_VLAN_VID, S_PUSH),
	A(OF_SET_VLAN_PCP, S_PUSH), A(SET_MAC_SRC, S_MAC), A(SET_MAC_DST, S_MAC),
	A(VXLAN_ENCAP, S_ENCAP), A(RAW_ENCAP, S_ENCAP), A(JUMP, S_FATE), A(DROP, S_FATE),
	A(PORT_ID, S_FATE), A(REPRESENTED_PORT, S_FATE), A(PORT_REPRESENTOR, S_FATE),
};

static const struct ft_nic_action actions_bf3[] = {
	A(MARK, S_META), A(COUNT, S_META), A(VXLAN_DECAP, S_DECAP), A(RAW_DECAP, S_DECAP),
	A(OF_POP_VLAN, S_POP), A(OF_PUSH_VLAN, S_PUSH), A(OF_SET_VLAN_VID, S_PUSH),
	A(VXLAN_ENCAP, S_ENCAP), A(RAW_ENCAP, S_ENCAP), A(JUMP, S_FATE), A(DROP, S_FATE),
	A(REPRESENTED_PORT, S_FATE), A(PORT_REPRESENTOR, S_FATE),
};

static const struct ft_nic_action actions_sim[] = {
	A(MARK, S_META), A(FLAG, S_META), A(COUNT, S_META), A(SET_TAG, S_META),
	A(SET_META, S_META), A(VXLAN_DECAP, S_DECAP), A(RAW_DECAP, S_DECAP),
	A(OF_POP_VLAN, S_POP), A(OF_PUSH_VLAN, S_PUSH), A(OF_SET_VLAN_VID, S_PUSH),
	A(OF_SET_VLAN_PCP, S_PUSH), A(SET_MAC_SRC, S_MAC), A(SET_MAC_DST, S_MAC),
	A(VXLAN_ENCAP, S_ENCAP), A(RAW_ENCAP, S_ENCAP), A(JUMP, S_FATE), A(DROP, S_FATE),
	A(QUEUE, S_FATE), A(RSS, S_FATE), A(PORT_ID, S_FATE), A(REPRESENTED_PORT, S_FATE),
	A(PORT_REPRESENTOR, S_FATE),
};

#define PROFILE(it, ac)                                                                            \
	.items = it, .n_items = ARRAY_SIZE(it), .actions = ac, .n_actions = ARRAY_SIZE(ac),       \
	.stage_names = stage_names, .n_stages = ARRAY_SIZE(stage_names)

/*
 * What every mlx5 profile shares: MARK below 0xfffff0; groups up to table
 * level 65530 / 10; root priorities 0-3, non-root 0-21843; encap <= 132 B.
 */
#define MLX5                                                                                       \
	.group0_jump_only = true, .mark_max = 0xffffef, .groups = 6553, .priorities_root = 4,     \
	.priorities = 21844, .encap_max = 132

static const struct ft_nic_profile cx5 = {
	.name = "cx5",
	.description = "ConnectX-5, NIC ingress, rte_flow_create (dv_flow_en=1)",
	.api = FT_NIC_API_SYNC,
	.domain = FT_NIC_DOMAIN_INGRESS,
	MLX5,
	PROFILE(items_cx5, actions_sws_ingress),
	.group0_count = true,
	.tags = 4,
	.rules_max = 1u << 21,
	.vxlan_port_4789_only = true,
};

static const struct ft_nic_profile cx6dx = {
	.name = "cx6dx",
	.description = "ConnectX-6 Dx, NIC ingress, rte_flow_create (dv_flow_en=1)",
	.api = FT_NIC_API_SYNC,
	.domain = FT_NIC_DOMAIN_INGRESS,
	MLX5,
	PROFILE(items_cx6dx, actions_sws_ingress),
	.group0_count = true,
	.tags = 4,
	.rules_max = 1u << 22,
};

static const struct ft_nic_profile cx7 = {
	.name = "cx7",
	.description = "ConnectX-7, NIC ingress, template API (dv_flow_en=2)",
	.api = FT_NIC_API_TEMPLATE,
	.domain = FT_NIC_DOMAIN_INGRESS,
	MLX5,
	PROFILE(items_hws, actions_hws_ingress),
	.group0_count = false,
	.tags = 0,
	.rules_max = 1u << 23,
};

static const struct ft_nic_profile bf2 = {
	.name = "bf2",
	.description = "BlueField-2, transfer (E-Switch), rte_flow_create (dv_flow_en=1)",
	.api = FT_NIC_API_SYNC,
	.domain = FT_NIC_DOMAIN_TRANSFER,
	MLX5,
	PROFILE(items_bf2, actions_bf2),
	.group0_count = true,
	.tags = 4,
	.rules_max = 1u << 22,
};

static const struct ft_nic_profile bf3 = {
	.name = "bf3",
	.description = "BlueField-3, transfer (E-Switch), template API (dv_flow_en=2)",
	.api = FT_NIC_API_TEMPLATE,
	.domain = FT_NIC_DOMAIN_TRANSFER,
	MLX5,
	PROFILE(items_bf3, actions_bf3),
	.group0_count = false,
	.tags = 0,
	.rules_max = 1u << 23,
};

static const struct ft_nic_profile sim = {
	.name = "sim",
	.description = "driver/sim, the software NIC: transfer, rte_flow_create",
	.api = FT_NIC_API_SYNC,
	.domain = FT_NIC_DOMAIN_TRANSFER,
	PROFILE(items_sim, actions_sim),
	.group0_jump_only = true,
	.group0_count = true,
	.mark_max = 0xffffef,
	.groups = 65536,
	.priorities_root = 16,
	.priorities = 65536,
	.tags = 8,
	.encap_max = 132,
	.rules_max = 1u << 22,
};

static const struct ft_nic_profile *const profiles[] = { &cx5, &cx6dx, &cx7, &bf2, &bf3, &sim };

const struct ft_nic_profile *const *
ft_nic_profiles(uint32_t *n)
{
	*n = ARRAY_SIZE(profiles);
	return profiles;
}

const struct ft_nic_profile *
ft_nic_profile_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(profiles); i++)
		if (strcmp(profiles[i]->name, name) == 0)
			return profiles[i];
	return NULL;
}

bool
ft_nic_profile_has_item(const struct ft_nic_profile *p, enum rte_flow_item_type type)
{
	for (uint32_t i = 0; i < p->n_items; i++)
		if (p->items[i] == type)
			return true;
	return false;
}

int
ft_nic_profile_action_stage(const struct ft_nic_profile *p, enum rte_flow_action_type type)
{
	for (uint32_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].type == type)
			return p->actions[i].stage;
	return -ENOTSUP;
}

bool
ft_nic_profile_has_action(const struct ft_nic_profile *p, enum rte_flow_action_type type)
{
	return ft_nic_profile_action_stage(p, type) >= 0;
}

/* testpmd's keywords (app/test-pmd/cmdline_flow.c) for what flowtwin uses. */
const char *
ft_flow_item_name(enum rte_flow_item_type type)
{
	switch (type) {
	case I(ETH): return "eth";
	case I(VLAN): return "vlan";
	case I(IPV4): return "ipv4";
	case I(IPV6): return "ipv6";
	case I(UDP): return "udp";
	case I(TCP): return "tcp";
	case I(VXLAN): return "vxlan";
	case I(TAG): return "tag";
	case I(META): return "meta";
	case I(MARK): return "mark";
	case I(INTEGRITY): return "integrity";
	case I(PORT_ID): return "port_id";
	case I(REPRESENTED_PORT): return "represented_port";
	case I(PORT_REPRESENTOR): return "port_representor";
	default: return NULL;
	}
}

#define AT(t) RTE_FLOW_ACTION_TYPE_##t
const char *
ft_flow_action_name(enum rte_flow_action_type type)
{
	switch (type) {
	case AT(MARK): return "mark";
	case AT(FLAG): return "flag";
	case AT(COUNT): return "count";
	case AT(SET_TAG): return "set_tag";
	case AT(SET_META): return "set_meta";
	case AT(VXLAN_DECAP): return "vxlan_decap";
	case AT(RAW_DECAP): return "raw_decap";
	case AT(OF_POP_VLAN): return "of_pop_vlan";
	case AT(OF_PUSH_VLAN): return "of_push_vlan";
	case AT(OF_SET_VLAN_VID): return "of_set_vlan_vid";
	case AT(OF_SET_VLAN_PCP): return "of_set_vlan_pcp";
	case AT(SET_MAC_SRC): return "set_mac_src";
	case AT(SET_MAC_DST): return "set_mac_dst";
	case AT(VXLAN_ENCAP): return "vxlan_encap";
	case AT(RAW_ENCAP): return "raw_encap";
	case AT(JUMP): return "jump";
	case AT(DROP): return "drop";
	case AT(QUEUE): return "queue";
	case AT(RSS): return "rss";
	case AT(PORT_ID): return "port_id";
	case AT(REPRESENTED_PORT): return "represented_port";
	case AT(PORT_REPRESENTOR): return "port_representor";
	default: return NULL;
	}
}
