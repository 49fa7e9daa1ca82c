/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_flow offload backend (include/flowtwin/dpdk_flow.h). Part of
 * driver/dpdk, the layer that touches NICs (shared/DESIGN.md, Layers): it
 * picks a NIC profile from what a port says of itself and a validate
 * probe, installs the rules offload/ compiles with rte_flow_create(),
 * changes them make-before-break by the plan of offload/update.c (the same
 * plan the software NIC's twin follows, driver/sim/twin.c), credits their
 * counters to the pipeline, and maps the MARK of received packets back to
 * restore contexts. It is the one place where an rte_flow error becomes a
 * 'struct ft_error' (dpdk_flow_error()).
 *
 * Installed rules are kept in an array parallel to the compiled rules, each
 * with the port it was installed on (a transfer rule's proxy) and its
 * priority parity. The rte_flow calls go through a table (flow_private.h)
 * so that tests can put a fake NIC behind them.
 *
 * A template profile (dv_flow_en=2) runs through flow_template.c: this
 * file dispatches to it (f->tmpl) for configuring, syncing, reinstalling
 * and destroying, and shares with it the installed rules' array, the
 * counters' collect, the refused entry's choice and dpdk_flow_error().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include <flowtwin/dpdk_flow.h>
#include <flowtwin/flow_text.h>
#include <flowtwin/update.h>

#include "dpdk_private.h"
#include "flow_private.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- The calls ----------------------------------------------------------------------- */

static const struct dpdk_flow_ops rte_ops = {
        .create = rte_flow_create,
        .destroy = rte_flow_destroy,
        .query = rte_flow_query,
        .flush = rte_flow_flush,
        .pick_transfer_proxy = rte_flow_pick_transfer_proxy,
        .info_get = rte_flow_info_get,
        .configure = rte_flow_configure,
        .pattern_template_create = rte_flow_pattern_template_create,
        .pattern_template_destroy = rte_flow_pattern_template_destroy,
        .actions_template_create = rte_flow_actions_template_create,
        .actions_template_destroy = rte_flow_actions_template_destroy,
        .template_table_create = rte_flow_template_table_create,
        .template_table_destroy = rte_flow_template_table_destroy,
        .async_create = rte_flow_async_create,
        .async_destroy = rte_flow_async_destroy,
        .push = rte_flow_push,
        .pull = rte_flow_pull,
        .port_stop = rte_eth_dev_stop,
        .port_start = rte_eth_dev_start,
};

static const struct dpdk_flow_ops *ops_now = &rte_ops;

void
dpdk_flow_set_ops(const struct dpdk_flow_ops *ops)
{
	ops_now = ops != NULL ? ops : &rte_ops;
}

/* --- Errors: the one place ----------------------------------------------------------- */

/*
 * Fills 'err' with 'code' (a negative errno) for 'call' on 'port': kind
 * FT_ERR_RULE with the compiled rule 'rule' as index when 'b' holds that
 * rule, else FT_ERR_RESOURCE with the port; the message is the PMD's
 * (rte_flow_error.message), the errno's text and the rule in testpmd
 * syntax. Logs the whole text. Returns 'code'. flow_template.c's too.
 */
int
dpdk_flow_error(struct ft_error *err, int code, uint16_t port, const char *call,
                const struct rte_flow_error *fe, const struct ft_flow_buf *b, uint32_t rule)
{
	char text[4 * FT_FLOW_TESTPMD_LINE_MAX] = "";
	const char *msg = fe != NULL && fe->message != NULL ? fe->message : "no reason given";
	int type = fe != NULL ? (int)fe->type : 0;

	if (b != NULL) {
		if (ft_flow_testpmd(text, sizeof(text), port, &b->attr, b->pattern, b->actions,
		                    NULL) < 0)
			snprintf(text, sizeof(text), "(no testpmd text for this rule)");
		for (char *c = text; *c; c++)
			if (*c == '\n')
				*c = c[1] ? ';' : '\0';
	}
	DPDK_LOG(ERR, "port %u: %s: %s (error type %d, %s)%s%s", port, call, msg, type,
	         rte_strerror(-code), b != NULL ? ": " : "", text);
	if (b != NULL)
		return ft_error_set(err, code, FT_ERR_RULE, rule, "rule", "%s: %s (%s): %s", call,
		                    msg, rte_strerror(-code), text);
	return ft_error_set(err, code, FT_ERR_RESOURCE, port, "rte_flow", "port %u: %s: %s (%s)",
	                    port, call, msg, rte_strerror(-code));
}

/* --- Facts and the probe --------------------------------------------------------------- */

/* struct dpdk_flow_probe: flow_private.h. */

/* Builds probe 'k' for a domain (transfer or NIC ingress) into 'r'; flow_template.c's too. */
void
dpdk_flow_probe_rule(struct dpdk_flow_probe *r, enum ft_dpdk_flow_probe k, bool transfer)
{
	struct rte_flow_item *it = r->pattern;
	struct rte_flow_action *ac = r->actions;

	memset(r, 0, sizeof(*r));
	r->attr.group = k == FT_DPDK_PROBE_JUMP ? 0 : 1;
	r->attr.ingress = !transfer;
	r->attr.transfer = transfer;
	r->jump.group = 1;
	r->jump2.group = 2;
	r->queue.index = 0;
	r->mark.id = 1;
	*it++ = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_ETH};
	switch (k) {
	case FT_DPDK_PROBE_JUMP:
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_JUMP,
		                                 .conf = &r->jump};
		goto end;
	case FT_DPDK_PROBE_INTEGRITY:
		r->integ.l3_ok = r->integ.l4_ok = 1;
		r->integ_mask.l3_ok = r->integ_mask.l4_ok = 1;
		*it++ = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_INTEGRITY,
		                               .spec = &r->integ,
		                               .mask = &r->integ_mask};
		break;
	case FT_DPDK_PROBE_VXLAN_DECAP:
		r->ipv4.hdr.version_ihl = RTE_IPV4_VHL_DEF;
		r->udp.hdr.dst_port = RTE_BE16(4789);
		r->vxlan.vni[2] = 100;
		*it++ = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_IPV4};
		*it++ = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_UDP,
		                               .spec = &r->udp,
		                               .mask = &rte_flow_item_udp_mask};
		*it++ = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_VXLAN,
		                               .spec = &r->vxlan,
		                               .mask = &rte_flow_item_vxlan_mask};
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_VXLAN_DECAP};
		break;
	case FT_DPDK_PROBE_PUSH_VLAN:
		r->push.ethertype = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		r->vid.vlan_vid = RTE_BE16(100);
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
		                                 .conf = &r->push};
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
		                                 .conf = &r->vid};
		break;
	case FT_DPDK_PROBE_MARK:
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_MARK,
		                                 .conf = &r->mark};
		break;
	case FT_DPDK_PROBE_COUNT:
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_COUNT,
		                                 .conf = &r->count};
		break;
	case FT_DPDK_PROBE_N:
		break;
	}
	/* The fate: software's queue 0 in the NIC, the next group in the E-Switch. */
	if (transfer)
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_JUMP,
		                                 .conf = &r->jump2};
	else
		*ac++ = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_QUEUE,
		                                 .conf = &r->queue};
end:
	*it = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_END};
	*ac = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_END};
}

static int
validate(uint16_t port, const struct dpdk_flow_probe *r)
{
	struct rte_flow_error fe = {0};

	return rte_flow_validate(port, &r->attr, r->pattern, r->actions, &fe);
}

int
ft_dpdk_flow_facts_get(uint16_t port, struct ft_dpdk_flow_facts *facts, struct ft_error *err)
{
	struct rte_eth_dev_info info;
	struct rte_flow_port_info pi;
	struct rte_flow_queue_info qi;
	struct rte_flow_error fe = {0};
	struct dpdk_flow_probe r;
	const char *bus;
	uint16_t proxy = port;
	int rc;

	memset(facts, 0, sizeof(*facts));
	if (!rte_eth_dev_is_valid_port(port))
		return ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, port, NULL, "no ethdev port %u",
		                    port);
	if ((rc = rte_eth_dev_info_get(port, &info)) != 0)
		return dpdk_error(err, rc, port, "rte_eth_dev_info_get");
	snprintf(facts->driver, sizeof(facts->driver), "%s",
	         info.driver_name != NULL ? info.driver_name : "");
	/* PCI devices say "vendor_id=15b3, device_id=101d". */
	bus = info.device != NULL ? rte_dev_bus_info(info.device) : NULL;
	if (bus != NULL) {
		const char *v = strstr(bus, "vendor_id="), *d = strstr(bus, "device_id=");

		if (v != NULL && d != NULL) {
			facts->pci_vendor = (uint16_t)strtoul(v + 10, NULL, 16);
			facts->pci_device = (uint16_t)strtoul(d + 10, NULL, 16);
		}
	}
	if (rte_eth_dev_fw_version_get(port, facts->fw_version, sizeof(facts->fw_version)) != 0)
		facts->fw_version[0] = '\0';
	facts->template_api = rte_flow_info_get(port, &pi, &qi, &fe) == 0;
	facts->esw_manager = info.switch_info.domain_id != RTE_ETH_DEV_SWITCH_DOMAIN_ID_INVALID &&
	                     rte_flow_pick_transfer_proxy(port, &proxy, &fe) == 0 && proxy == port;
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < FT_DPDK_PROBE_N; k++)
			facts->probe[d][k] = -ENOTSUP;
	if (facts->template_api)
		return 0;
	facts->probed = true;
	for (int k = 0; k < FT_DPDK_PROBE_N; k++) {
		dpdk_flow_probe_rule(&r, (enum ft_dpdk_flow_probe)k, false);
		facts->probe[0][k] = validate(port, &r);
		if (facts->esw_manager) {
			dpdk_flow_probe_rule(&r, (enum ft_dpdk_flow_probe)k, true);
			facts->probe[1][k] = validate(port, &r);
		}
	}
	return 0;
}

static const char *const probe_names[FT_DPDK_PROBE_N] = {
        [FT_DPDK_PROBE_JUMP] = "a group 0 rule that jumps",
        [FT_DPDK_PROBE_INTEGRITY] = "the integrity item",
        [FT_DPDK_PROBE_VXLAN_DECAP] = "vxlan_decap",
        [FT_DPDK_PROBE_PUSH_VLAN] = "of_push_vlan",
        [FT_DPDK_PROBE_MARK] = "mark",
        [FT_DPDK_PROBE_COUNT] = "count",
};

const char *
dpdk_flow_probe_name(enum ft_dpdk_flow_probe k)
{
	return k < FT_DPDK_PROBE_N ? probe_names[k] : "?";
}

bool
dpdk_flow_probe_needed(const struct ft_nic_profile *p, enum ft_dpdk_flow_probe k)
{
	if (k == FT_DPDK_PROBE_INTEGRITY)
		return ft_nic_profile_has_item(p, RTE_FLOW_ITEM_TYPE_INTEGRITY);
	if (k == FT_DPDK_PROBE_VXLAN_DECAP)
		return ft_nic_profile_has_action(p, RTE_FLOW_ACTION_TYPE_VXLAN_DECAP);
	if (k == FT_DPDK_PROBE_PUSH_VLAN)
		return ft_nic_profile_has_action(p, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN);
	return true;
}

/* The first probe profile 'p' needs that the NIC refused, or -1. */
static int
refused_probe(const struct ft_dpdk_flow_facts *facts, const struct ft_nic_profile *p)
{
	const int *res = facts->probe[p->domain == FT_NIC_DOMAIN_TRANSFER];

	if (!facts->probed)
		return -1;
	for (int k = 0; k < FT_DPDK_PROBE_N; k++)
		if (dpdk_flow_probe_needed(p, (enum ft_dpdk_flow_probe)k) && res[k] != 0)
			return k;
	return -1;
}

enum family { FAM_UNKNOWN, FAM_CX5, FAM_CX6, FAM_CX7, FAM_BF2, FAM_BF3 };

static enum family
family_of(uint16_t vendor, uint16_t device)
{
	if (vendor != 0x15b3)
		return FAM_UNKNOWN;
	switch (device) {
	case 0x1017: /* ConnectX-5 */
	case 0x1018: /* ConnectX-5 VF */
	case 0x1019: /* ConnectX-5 Ex */
	case 0x101a: /* ConnectX-5 Ex VF */
	case 0xa2d2: /* BlueField (ConnectX-5 based) */
	case 0xa2d3: /* BlueField VF */
		return FAM_CX5;
	case 0x101b: /* ConnectX-6 */
	case 0x101c: /* ConnectX-6 VF */
	case 0x101d: /* ConnectX-6 Dx */
	case 0x101e: /* ConnectX family mlx5Gen VF */
	case 0x101f: /* ConnectX-6 Lx */
		return FAM_CX6;
	case 0x1021: /* ConnectX-7 */
	case 0x1023: /* ConnectX-8 */
		return FAM_CX7;
	case 0xa2d6: /* BlueField-2 */
		return FAM_BF2;
	case 0xa2dc: /* BlueField-3 */
		return FAM_BF3;
	default:
		return FAM_UNKNOWN;
	}
}

int
ft_dpdk_flow_profile_pick(const struct ft_dpdk_flow_facts *facts, uint32_t port,
                          const struct ft_nic_profile **out, struct ft_error *err)
{
	const char *name;
	const struct ft_nic_profile *p;
	bool hws = facts->template_api;
	int k;

	if (strstr(facts->driver, "mlx5") == NULL) {
		bool none = !hws;

		for (int d = 0; d < 2; d++)
			for (k = 0; k < FT_DPDK_PROBE_N; k++)
				none &= facts->probe[d][k] == -ENOSYS ||
				        facts->probe[d][k] == -ENOTSUP;
		if (none)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, port, facts->driver,
			                    "port %u (driver %s) offloads no rte_flow rules", port,
			                    facts->driver);
		return ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, port, facts->driver,
		                    "port %u (driver %s) has no flowtwin profile: the rte_flow "
		                    "backend knows mlx5 (ConnectX, BlueField) only",
		                    port, facts->driver);
	}
	switch (family_of(facts->pci_vendor, facts->pci_device)) {
	case FAM_CX5:
		if (hws)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, port, facts->driver,
			                    "port %u (driver %s): ConnectX-5 has no hardware "
			                    "steering: use dv_flow_en=1",
			                    port, facts->driver);
		name = "cx5";
		break;
	case FAM_CX6:
		name = hws ? "cx7" : "cx6dx";
		break;
	case FAM_CX7:
		name = hws ? "cx7" : "cx6dx";
		break;
	case FAM_BF2:
	case FAM_BF3:
		if (facts->esw_manager)
			name = hws ? "bf3" : "bf2";
		else
			name = hws ? "cx7" : "cx6dx";
		break;
	default:
		name = hws                                                              ? "cx7"
		       : facts->probed && facts->probe[0][FT_DPDK_PROBE_INTEGRITY] == 0 ? "cx6dx"
		                                                                        : "cx5";
		break;
	}
	p = ft_nic_profile_find(name);
	if (p != NULL && (k = refused_probe(facts, p)) >= 0 && strcmp(name, "cx6dx") == 0 &&
	    refused_probe(facts, ft_nic_profile_find("cx5")) < 0) {
		DPDK_LOG(WARNING, "port %u: %s refused %s: profile cx5 instead of cx6dx", port,
		         facts->driver, probe_names[k]);
		p = ft_nic_profile_find("cx5");
	}
	if (p == NULL)
		return ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, port, facts->driver,
		                    "port %u: no profile %s", port, name);
	if ((k = refused_probe(facts, p)) >= 0)
		return ft_error_set(
		        err, -ENOTSUP, FT_ERR_RESOURCE, port, facts->driver,
		        "port %u (driver %s, profile %s): rte_flow_validate refused "
		        "%s in %s: %s",
		        port, facts->driver, p->name, probe_names[k],
		        p->domain == FT_NIC_DOMAIN_TRANSFER ? "transfer" : "ingress",
		        rte_strerror(-facts->probe[p->domain == FT_NIC_DOMAIN_TRANSFER][k]));
	*out = p;
	return 0;
}

/* --- The backend --------------------------------------------------------------------- */

/* struct ft_dpdk_flow and its installed rules: flow_private.h. */

const struct ft_nic_profile *
ft_dpdk_flow_profile(const struct ft_dpdk_flow *f)
{
	return f->prof;
}

struct ft_offload *
ft_dpdk_flow_offload(const struct ft_dpdk_flow *f)
{
	return f->off;
}

uint32_t
ft_dpdk_flow_n_rules(const struct ft_dpdk_flow *f)
{
	return f->n_flows;
}

void
ft_dpdk_flow_last_sync(const struct ft_dpdk_flow *f, struct ft_twin_sync_stats *out)
{
	*out = f->last;
}

static const struct ft_nic_profile *
pick(const struct ft_dpdk_flow_params *params, struct ft_error *err)
{
	const struct ft_nic_profile *p = NULL;

	for (uint32_t i = 0; i < params->n_ports; i++) {
		struct ft_dpdk_flow_facts facts;
		const struct ft_nic_profile *q;

		if (ft_dpdk_flow_facts_get(params->ports[i], &facts, err) != 0 ||
		    ft_dpdk_flow_profile_pick(&facts, params->ports[i], &q, err) != 0)
			return NULL;
		DPDK_LOG(INFO,
		         "port %u: driver %s, PCI %04x:%04x, firmware %s, %s steering: "
		         "profile %s",
		         params->ports[i], facts.driver, facts.pci_vendor, facts.pci_device,
		         facts.fw_version[0] ? facts.fw_version : "unknown",
		         facts.template_api ? "hardware" : "software", q->name);
		if (p != NULL && q != p) {
			ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, params->ports[i], facts.driver,
			             "port %u needs profile %s, port %u profile %s: one profile "
			             "per backend",
			             params->ports[i], q->name, params->ports[0], p->name);
			return NULL;
		}
		p = q;
	}
	return p;
}

struct ft_dpdk_flow *
ft_dpdk_flow_create(struct ft_pipeline *pipe, const struct ft_dpdk_flow_params *params,
                    struct ft_error *err)
{
	uint32_t ports[RTE_MAX_ETHPORTS];
	struct ft_offload_params op = {0};
	struct ft_dpdk_flow *f;

	if (params == NULL || params->n_ports == 0 || params->n_ports > RTE_MAX_ETHPORTS) {
		ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, "rte_flow",
		             "the rte_flow backend needs 1 to %u ports", RTE_MAX_ETHPORTS);
		return NULL;
	}
	for (uint32_t i = 0; i < params->n_ports; i++)
		if (!rte_eth_dev_is_valid_port(params->ports[i])) {
			ft_error_set(err, -ENODEV, FT_ERR_RESOURCE, params->ports[i], NULL,
			             "no ethdev port %u", params->ports[i]);
			return NULL;
		}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "rte_flow",
		             "out of memory");
		return NULL;
	}
	f->pipe = pipe;
	f->ops = ops_now;
	f->on_compile = params->on_compile;
	f->compile_arg = params->compile_arg;
	f->n_ports = params->n_ports;
	for (uint32_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		f->proxy[p] = (uint16_t)p;
	f->prof = params->profile != NULL ? params->profile : pick(params, err);
	if (f->prof == NULL)
		goto fail;
	for (uint32_t i = 0; i < params->n_ports; i++) {
		uint16_t port = params->ports[i];
		struct rte_flow_error fe = {0};
		int rc;

		f->ports[i] = port;
		ports[i] = port;
		if (f->prof->domain != FT_NIC_DOMAIN_TRANSFER)
			continue;
		if ((rc = f->ops->pick_transfer_proxy(port, &f->proxy[port], &fe)) != 0) {
			dpdk_flow_error(err, rc, port, "rte_flow_pick_transfer_proxy", &fe, NULL,
			                0);
			goto fail;
		}
	}
	op.profile = f->prof;
	op.ports = ports;
	op.n_ports = params->n_ports;
	op.rules_max = params->rules_max;
	if ((f->off = ft_offload_create(pipe, &op, err)) == NULL)
		goto fail;
	/* The API: what the caller asks for, else the profile's. */
	if ((params->api == FT_DPDK_FLOW_API_TEMPLATE ||
	     (params->api == FT_DPDK_FLOW_API_AUTO && f->prof->api == FT_NIC_API_TEMPLATE)) &&
	    dpdk_tmpl_create(f, params->rules_max ? params->rules_max : f->prof->rules_max, err) !=
	            0)
		goto fail;
	return f;
fail:
	ft_offload_destroy(f->off);
	free(f);
	return NULL;
}

/* Removes every rule: each handle, then whatever rte_flow_flush() finds on the ports. */
static void
uninstall(struct ft_dpdk_flow *f, bool flush)
{
	for (uint32_t i = 0; i < f->n_flows; i++) {
		struct rte_flow_error fe = {0};

		if (f->flows[i].flow != NULL &&
		    f->ops->destroy(f->flows[i].port, f->flows[i].flow, &fe) != 0)
			DPDK_LOG(WARNING, "port %u: rte_flow_destroy of rule %u: %s",
			         f->flows[i].port, i, fe.message ? fe.message : "failed");
	}
	f->n_flows = 0;
	for (uint32_t i = 0; flush && i < f->n_ports; i++) {
		uint16_t ports[2] = {f->ports[i], f->proxy[f->ports[i]]};

		for (int k = 0; k < (ports[0] != ports[1] ? 2 : 1); k++) {
			struct rte_flow_error fe = {0};
			int rc = f->ops->flush(ports[k], &fe);

			if (rc != 0)
				dpdk_flow_error(NULL, rc, ports[k], "rte_flow_flush", &fe, NULL, 0);
		}
	}
}

void
ft_dpdk_flow_destroy(struct ft_dpdk_flow *f)
{
	if (f == NULL)
		return;
	ft_dpdk_flow_counters_collect(f);
	if (f->tmpl != NULL)
		dpdk_tmpl_destroy(f);
	else
		uninstall(f, true);
	ft_offload_destroy(f->off);
	free(f->flows);
	free(f);
}

int
ft_dpdk_flow_counters_collect(struct ft_dpdk_flow *f)
{
	static const struct rte_flow_action_count count_conf;
	const struct rte_flow_action count = {.type = RTE_FLOW_ACTION_TYPE_COUNT,
	                                      .conf = &count_conf};
	int failed = 0;

	for (uint32_t i = 0; i < f->n_flows; i++) {
		struct rte_flow_query_count qc = {.reset = 1};
		struct rte_flow_error fe = {0};
		struct ft_rule_target tg[FT_RULE_TARGETS_MAX];
		uint32_t n;

		if (ft_offload_rule_targets(f->off, i, tg, &n) != 0 || n == 0 ||
		    f->flows[i].flow == NULL)
			continue;
		if (f->ops->query(f->flows[i].port, f->flows[i].flow, &count, &qc, &fe) != 0) {
			if (failed++ == 0)
				DPDK_LOG(WARNING, "port %u: rte_flow_query count of rule %u: %s",
				         f->flows[i].port, i, fe.message ? fe.message : "failed");
			continue;
		}
		if (qc.hits_set && qc.hits > 0)
			ft_offload_rule_credit(f->off, i, qc.hits, qc.bytes_set ? qc.bytes : 0);
	}
	return failed;
}

/* Installs compiled rule i at its priority doubled, + parity, on *port. NULL with *code. */
static struct rte_flow *
create(struct ft_dpdk_flow *f, struct ft_flow_buf *b, uint32_t i, uint8_t parity, uint16_t *port,
       int *code, struct rte_flow_error *fe)
{
	struct rte_flow *r;

	ft_offload_rule(f->off, i, b);
	b->attr.priority = 2 * b->attr.priority + parity;
	*port = b->attr.transfer && b->port < RTE_MAX_ETHPORTS ? f->proxy[b->port] : b->port;
	*fe = (struct rte_flow_error){0};
	rte_errno = 0;
	r = f->ops->create(*port, &b->attr, b->pattern, b->actions, fe);
	*code = r == NULL ? (rte_errno > 0 ? rte_errno : EIO) : 0;
	return r;
}

/*
 * Replaces the installed rules with the compiled ones by the plan of
 * ft_update_plan() (update.h), as driver/sim/twin.c does. A refusal
 * removes what this update installed and returns the rule's index with
 * *code (an errno), 'fe' and 'b' (the refused rule, as sent); else -1.
 */
static int64_t
apply(struct ft_dpdk_flow *f, struct ft_flow_buf *b, int *code, struct rte_flow_error *fe,
      uint16_t *bad_port)
{
	uint32_t n = ft_offload_n_rules(f->off);
	struct dpdk_flow_inst *next = calloc(n + 1, sizeof(*next));
	struct ft_update_rule *ko = malloc((f->n_flows + 1) * sizeof(*ko));
	struct ft_update_rule *kn = malloc((n + 1) * sizeof(*kn));
	struct ft_update_plan plan = {0};
	int64_t bad = -1;

	if (next == NULL || ko == NULL || kn == NULL) {
		*code = ENOMEM;
		bad = 0;
		goto out;
	}
	for (uint32_t o = 0; o < f->n_flows; o++)
		ko[o] = (struct ft_update_rule){.match = f->flows[o].match,
		                                .action = f->flows[o].action,
		                                .group = f->flows[o].group,
		                                .parity = f->flows[o].parity};
	for (uint32_t i = 0; i < n; i++) {
		ft_offload_rule_key(f->off, i, &next[i].match, &next[i].action);
		ft_offload_rule(f->off, i, b);
		next[i].group = b->attr.group;
		kn[i] = (struct ft_update_rule){
		        .match = next[i].match, .action = next[i].action, .group = next[i].group};
	}
	if (ft_update_plan(ko, f->n_flows, kn, n, &plan) != 0) {
		*code = ENOMEM;
		bad = 0;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		next[i].parity = plan.parity[i];
		if (plan.kept[i] != UINT32_MAX) {
			next[i].flow = f->flows[plan.kept[i]].flow;
			next[i].port = f->flows[plan.kept[i]].port;
		}
	}
	f->last.kept = n - plan.n_add;
	for (uint32_t k = 0; k < plan.n_add; k++) {
		struct dpdk_flow_inst *x = &next[plan.add[k]];

		x->flow = create(f, b, plan.add[k], x->parity, &x->port, code, fe);
		if (x->flow == NULL && *code == EEXIST) { /* a new match over a going one */
			x->parity = !x->parity;
			x->flow = create(f, b, plan.add[k], x->parity, &x->port, code, fe);
		}
		if (x->flow == NULL) {
			bad = plan.add[k];
			*bad_port = x->port;
			while (k-- > 0) {
				struct dpdk_flow_inst *y = &next[plan.add[k]];

				f->ops->destroy(y->port, y->flow, NULL);
			}
			goto out;
		}
		f->last.added++;
	}
	for (uint32_t k = 0; k < plan.n_del; k++) {
		struct dpdk_flow_inst *y = &f->flows[plan.del[k]];
		struct rte_flow_error dfe = {0};

		if (f->ops->destroy(y->port, y->flow, &dfe) != 0)
			DPDK_LOG(WARNING, "port %u: rte_flow_destroy: %s", y->port,
			         dfe.message ? dfe.message : "failed");
		f->last.removed++;
	}
	free(f->flows);
	f->flows = next;
	f->n_flows = n;
	next = NULL;
out:
	ft_update_plan_fini(&plan);
	free(next);
	free(ko);
	free(kn);
	return bad;
}

/*
 * The entry to keep out of a NIC that is full: the one the refused rule
 * stands for; for a rule that stands for none (a classifier, a catch-all:
 * a real NIC's room runs out wherever it does), the one of the last rule
 * that stands for one, to make room. False when no rule stands for an entry.
 */
bool
dpdk_flow_refused_entry(const struct ft_dpdk_flow *f, uint32_t rule, uint32_t *table,
                        uint32_t *handle)
{
	if (ft_offload_rule_entry(f->off, rule, table, handle))
		return true;
	for (uint32_t i = ft_offload_n_rules(f->off); i-- > 0;)
		if (ft_offload_rule_entry(f->off, i, table, handle))
			return true;
	return false;
}

int
ft_dpdk_flow_sync(struct ft_dpdk_flow *f, struct ft_error *err)
{
	struct ft_flow_buf *b;
	int rc = 0;

	if (f->tmpl != NULL) {
		ft_dpdk_flow_counters_collect(f);
		f->last = (struct ft_twin_sync_stats){0};
		return dpdk_tmpl_sync(f, err);
	}
	if ((b = malloc(sizeof(*b))) == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "rte_flow",
		                    "out of memory");
	ft_dpdk_flow_counters_collect(f);
	f->last = (struct ft_twin_sync_stats){0};
	for (;;) {
		struct rte_flow_error fe = {0};
		uint32_t table, handle;
		uint16_t port = UINT16_MAX;
		bool from_empty;
		int64_t bad;
		int code = 0;

		if (f->on_compile != NULL)
			f->on_compile(f->compile_arg, f->off, false);
		if ((rc = ft_offload_compile(f->off, err)) != 0) {
			uninstall(f, true);
			break;
		}
		if (f->on_compile != NULL)
			f->on_compile(f->compile_arg, f->off, true);
		if ((bad = apply(f, b, &code, &fe, &port)) < 0)
			break;
		/*
		 * Refused: start again from no rules (every packet meets the new
		 * state in software meanwhile). Old and new rules together may
		 * not have fit; else, for want of room the entry goes back to
		 * software; any other refusal leaves the NIC empty, and says why.
		 */
		from_empty = f->n_flows == 0;
		uninstall(f, false);
		if (!from_empty && (code == ENOSPC || code == ENOMEM))
			continue;
		if ((code != ENOSPC && code != ENOMEM) ||
		    !dpdk_flow_refused_entry(f, (uint32_t)bad, &table, &handle) ||
		    ft_offload_entry_refused(f->off, table, handle) != 0) {
			uninstall(f, true);
			if (port == UINT16_MAX) /* not the NIC: an allocation of ours */
				rc = ft_error_set(err, -code, FT_ERR_RESOURCE, UINT32_MAX,
				                  "rte_flow", "out of memory");
			else
				rc = dpdk_flow_error(err, -code, port, "rte_flow_create", &fe, b,
				                     (uint32_t)bad);
			break;
		}
		DPDK_LOG(INFO,
		         "port %u: the NIC is full (%s): entry %u of table %u stays in "
		         "software",
		         port, rte_strerror(code), handle, table);
	}
	free(b);
	return rc;
}

int
ft_dpdk_flow_reinstall(struct ft_dpdk_flow *f, struct ft_error *err)
{
	/* The port forgot the rules and their handles: forget them too, destroy nothing. */
	if (f->tmpl != NULL)
		dpdk_tmpl_forget(f);
	else
		f->n_flows = 0;
	return ft_dpdk_flow_sync(f, err);
}

/* --- The packet path --------------------------------------------------------------------- */

const struct ft_resume *
ft_dpdk_flow_resume(void *arg, const struct ft_pkt *pkt)
{
	const struct ft_dpdk_flow *f = arg;
	const struct ft_restore *r;

	if (!(pkt->flags & FT_PKT_F_MARK))
		return NULL;
	r = ft_offload_restore(f->off, pkt->mark);
	return r != NULL && r->kind == FT_RESTORE_RESUME ? &r->resume : NULL;
}

int
ft_dpdk_flow_run(struct ft_dpdk_flow *f, struct ft_worker *w, struct ft_pkt *const *pkts,
                 uint16_t n, struct ft_dpdk_flow_result *res)
{
	struct ft_burst_result *br = &res->burst;
	const struct ft_restore *ctx[FT_BURST_MAX];
	uint16_t which[FT_BURST_MAX] = {0};
	int rc;

	if (n > FT_BURST_MAX)
		return -EINVAL;
	br->n_tx = br->n_events = 0;
	res->bad_mark = 0;
	/* The NIC finished nothing here itself: what it ran is what the MARKs say. */
	for (uint16_t i = 0; i < n; i++) {
		br->drop[i] = FT_DROP_NONE;
		br->drop_action[i] = UINT16_MAX;
		br->used[i] = 0;
		which[i] = i;
	}
	if ((rc = ft_offload_software(f->off, w, pkts, which, n, ctx, &f->sw, br)) < 0)
		return rc;
	for (uint16_t i = 0; i < n; i++) {
		res->bad_mark += (pkts[i]->flags & FT_PKT_F_MARK) && pkts[i]->nb_segs == 1 &&
		                 ctx[i] == NULL;
		res->path[i] = ctx[i] == NULL                         ? FT_TWIN_SOFTWARE
		               : ctx[i]->kind == FT_RESTORE_OUTPUT ? FT_TWIN_NIC
		                                                   : FT_TWIN_RESUMED;
	}
	return (int)br->n_tx;
}

int
ft_dpdk_flow_run_fn(void *arg, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
                    struct ft_burst_result **res)
{
	struct ft_dpdk_flow *f = arg;
	int rc = ft_dpdk_flow_run(f, w, pkts, n, &f->res);

	*res = &f->res.burst;
	return rc;
}
