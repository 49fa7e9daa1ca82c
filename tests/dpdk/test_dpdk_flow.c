/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the rte_flow backend (include/flowtwin/dpdk_flow.h) without a
 * NIC.
 *
 *  - The make-before-break plan (update.h) on hand-made rule keys: which
 *    rules stay, which go in at which parity, in which order.
 *  - The profile pick on made-up port facts: every mlx5 family in both
 *    steering modes, the E-Switch manager or not, refused probes, and
 *    PMDs that offload nothing (net_null's ENOSYS) or are not mlx5.
 *  - On DPDK's software ports (its own EAL, in this process): net_null
 *    and net_ring offload no rte_flow rule, so ft_dpdk_flow_create()
 *    fails with -ENOTSUP and a message naming the port and the driver; a
 *    template profile fails with -ENOTSUP "the template API is not
 *    supported on this port" (rte_flow_info_get() fails there).
 *  - The installer, against a fake NIC behind the backend's call table
 *    (flow_private.h): vtep.p4 with entries on profile cx6dx; every rule
 *    installed at an even or odd priority; a changed entry changes few
 *    rules; a full NIC (ENOSPC) keeps entries in software; another refusal
 *    leaves no rule and names the rule in testpmd syntax; counters read
 *    with reset land in the pipeline; a port restart reinstalls; destroy
 *    flushes; the MARK of an OUTPUT context is sent as it is.
 *
 * The hardware itself is tests/hw/test_hw.sh's (skipped without one).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <flowtwin/ctl.h>
#include <flowtwin/dpdk.h>
#include <flowtwin/dpdk_flow.h>
#include <flowtwin/program.h>
#include <flowtwin/p4.h>
#include <flowtwin/update.h>
#include <flowtwin/vtep.h>

#include "flow_private.h"
#include "test_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static uint16_t null0, ring0, ring1;

/* --- The plan ------------------------------------------------------------------------ */

static void
test_update_plan(void **state)
{
	const struct ft_update_rule old[] = {
	        {.match = 1, .action = 10, .group = 1, .parity = 0}, /* kept */
	        {.match = 2, .action = 20, .group = 2, .parity = 1}, /* replaced */
	        {.match = 3, .action = 30, .group = 0, .parity = 0}, /* goes */
	        {.match = 1, .action = 10, .group = 1, .parity = 1}, /* a twin of 0: goes */
	};
	const struct ft_update_rule next[] = {
	        {.match = 1, .action = 10, .group = 1},
	        {.match = 2, .action = 21, .group = 2},
	        {.match = 4, .action = 40, .group = 3},
	        {.match = 5, .action = 50, .group = 2},
	};
	struct ft_update_plan plan;

	(void)state;
	assert_int_equal(ft_update_plan(old, 4, next, 4, &plan), 0);
	assert_int_equal(plan.kept[0], 0);
	assert_int_equal(plan.parity[0], 0);
	assert_int_equal(plan.kept[1], UINT32_MAX);
	assert_int_equal(plan.parity[1], 0); /* the other parity of old rule 1's */
	assert_int_equal(plan.kept[2], UINT32_MAX);
	assert_int_equal(plan.parity[2], 0);
	/* Adds: group 3 first, then group 2 in the new rules' order. */
	assert_int_equal(plan.n_add, 3);
	assert_int_equal(plan.add[0], 2);
	assert_int_equal(plan.add[1], 1);
	assert_int_equal(plan.add[2], 3);
	/* Removals: group 0, then group 1, then group 2 (the jumping groups first). */
	assert_int_equal(plan.n_del, 3);
	assert_int_equal(plan.del[0], 2);
	assert_int_equal(plan.del[1], 3);
	assert_int_equal(plan.del[2], 1);
	ft_update_plan_fini(&plan);
	assert_null(plan.add);

	/* From nothing, and to nothing. */
	assert_int_equal(ft_update_plan(NULL, 0, next, 4, &plan), 0);
	assert_int_equal(plan.n_add, 4);
	assert_int_equal(plan.n_del, 0);
	ft_update_plan_fini(&plan);
	assert_int_equal(ft_update_plan(old, 4, NULL, 0, &plan), 0);
	assert_int_equal(plan.n_add, 0);
	assert_int_equal(plan.n_del, 4);
	assert_int_equal(plan.del[0], 2); /* group 0 */
	assert_int_equal(plan.del[1], 3); /* group 1, the later one first */
	assert_int_equal(plan.del[2], 0);
	assert_int_equal(plan.del[3], 1);
	ft_update_plan_fini(&plan);
}

/* --- The profile pick ---------------------------------------------------------------- */

static struct ft_dpdk_flow_facts
facts(const char *driver, uint16_t device, bool hws, bool esw, int probe_rc)
{
	struct ft_dpdk_flow_facts f = {0};

	snprintf(f.driver, sizeof(f.driver), "%s", driver);
	f.pci_vendor = device ? 0x15b3 : 0;
	f.pci_device = device;
	f.template_api = hws;
	f.esw_manager = esw;
	f.probed = !hws;
	for (int d = 0; d < 2; d++)
		for (int k = 0; k < FT_DPDK_PROBE_N; k++)
			f.probe[d][k] = hws || (d == 1 && !esw) ? -ENOTSUP : probe_rc;
	return f;
}

static const char *
pick(const struct ft_dpdk_flow_facts *f, struct ft_error *err)
{
	const struct ft_nic_profile *p = NULL;

	ft_error_clear(err);
	if (ft_dpdk_flow_profile_pick(f, 3, &p, err) != 0)
		return NULL;
	return p->name;
}

static void
test_profile_pick(void **state)
{
	struct ft_dpdk_flow_facts f;
	struct ft_error err;

	(void)state;
	f = facts("net_null", 0, false, false, -ENOSYS);
	assert_null(pick(&f, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_string_equal(err.message, "port 3 (driver net_null) offloads no rte_flow rules");
	f = facts("net_af_packet", 0, false, false, -ENOTSUP);
	assert_null(pick(&f, &err));
	assert_string_equal(err.message,
	                    "port 3 (driver net_af_packet) offloads no rte_flow rules");
	f = facts("net_tap", 0, false, false, -ENOTSUP);
	f.probe[0][FT_DPDK_PROBE_JUMP] = 0;
	assert_null(pick(&f, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_non_null(strstr(err.message, "(driver net_tap) has no flowtwin profile"));

	/* mlx5 families in software steering (dv_flow_en=1) and hardware steering (2). */
	f = facts("mlx5_pci", 0x1017, false, false, 0);
	assert_string_equal(pick(&f, &err), "cx5");
	f = facts("mlx5_pci", 0x1017, true, false, 0);
	assert_null(pick(&f, &err));
	assert_non_null(strstr(err.message, "ConnectX-5 has no hardware steering"));
	f = facts("mlx5_pci", 0x101d, false, false, 0);
	assert_string_equal(pick(&f, &err), "cx6dx");
	f = facts("mlx5_pci", 0x101d, true, false, 0);
	assert_string_equal(pick(&f, &err), "cx7");
	f = facts("mlx5_pci", 0x1021, true, false, 0);
	assert_string_equal(pick(&f, &err), "cx7");
	f = facts("mlx5_pci", 0x1021, false, false, 0);
	assert_string_equal(pick(&f, &err), "cx6dx");
	f = facts("mlx5_pci", 0xa2d6, false, true, 0);
	assert_string_equal(pick(&f, &err), "bf2");
	f = facts("mlx5_pci", 0xa2d6, false, false, 0); /* not the E-Switch manager */
	assert_string_equal(pick(&f, &err), "cx6dx");
	f = facts("mlx5_pci", 0xa2dc, true, true, 0);
	assert_string_equal(pick(&f, &err), "bf3");
	f = facts("mlx5_pci", 0xa2dc, false, true, 0);
	assert_string_equal(pick(&f, &err), "bf2");
	f = facts("net_mlx5", 0xa2dc, true, false, 0);
	assert_string_equal(pick(&f, &err), "cx7");

	/* Unknown device ids: by the probe. */
	f = facts("mlx5_pci", 0x1234, false, false, 0);
	assert_string_equal(pick(&f, &err), "cx6dx");
	f.probe[0][FT_DPDK_PROBE_INTEGRITY] = -ENOTSUP;
	assert_string_equal(pick(&f, &err), "cx5");
	f = facts("mlx5_pci", 0x1234, true, false, 0);
	assert_string_equal(pick(&f, &err), "cx7");

	/* A refused probe: a lesser profile, or none. */
	f = facts("mlx5_pci", 0x101d, false, false, 0);
	f.probe[0][FT_DPDK_PROBE_INTEGRITY] = -ENOTSUP;
	assert_string_equal(pick(&f, &err), "cx5");
	f = facts("mlx5_pci", 0x101d, false, false, 0);
	f.probe[0][FT_DPDK_PROBE_MARK] = -ENOTSUP;
	assert_null(pick(&f, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_non_null(strstr(err.message, "refused mark in ingress"));
	f = facts("mlx5_pci", 0xa2d6, false, true, 0);
	f.probe[1][FT_DPDK_PROBE_VXLAN_DECAP] = -EINVAL;
	assert_null(pick(&f, &err));
	assert_non_null(strstr(err.message, "profile bf2"));
	assert_non_null(strstr(err.message, "vxlan_decap in transfer"));
}

/* --- Software ports ------------------------------------------------------------------ */

/* vtep.p4 with the VTEP vocabulary; 'setup': local IP, next hop, uplink ring0, access ring1. */
static struct ft_pipeline *
vtep_pipeline(struct ft_ctl **ctl, struct ft_vtep **vtep, bool setup)
{
	struct ft_error err = {0};
	char path[4200], line[128];
	struct ft_program *prog;
	struct ft_pipeline *pipe;
	const char *const lines[] = {
	        "vtep set local-ip 10.0.0.1",
	        "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f",
	};

	snprintf(path, sizeof(path), "%s/p4/vtep.p4", getenv("FT_SOURCE_ROOT"));
	prog = ft_p4_load(path, NULL, &err);
	if (prog == NULL)
		fail_msg("%s: %s", path, err.message);
	pipe = ft_pipeline_create(prog, NULL, &err);
	assert_non_null(pipe);
	*ctl = ft_ctl_create(pipe);
	assert_non_null(*ctl);
	assert_int_equal(ft_vtep_attach(*ctl, vtep, &err), 0);
	if (!setup)
		return pipe;
	for (uint32_t i = 0; i < ARRAY_SIZE(lines); i++)
		assert_int_equal(ft_ctl_exec(*ctl, lines[i], NULL, NULL, &err), 0);
	snprintf(line, sizeof(line), "port add %u uplink lladdr 02:00:00:00:01:01", ring0);
	assert_int_equal(ft_ctl_exec(*ctl, line, NULL, NULL, &err), 0);
	snprintf(line, sizeof(line), "port add %u access vni 100", ring1);
	assert_int_equal(ft_ctl_exec(*ctl, line, NULL, NULL, &err), 0);
	return pipe;
}

static void
pipeline_free(struct ft_pipeline *pipe, struct ft_ctl *ctl, struct ft_vtep *vtep)
{
	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
}

static void
test_software_ports_refused(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep, true);
	struct ft_dpdk_flow_facts f;
	struct ft_error err = {0};
	char want[128];
	const struct {
		uint16_t port;
		const char *driver;
	} cases[] = {{null0, "net_null"}, {ring0, "net_ring"}};

	(void)state;
	for (uint32_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct ft_dpdk_flow_params fp = {.ports = &cases[i].port, .n_ports = 1};

		assert_int_equal(ft_dpdk_flow_facts_get(cases[i].port, &f, NULL), 0);
		assert_string_equal(f.driver, cases[i].driver);
		assert_true(f.probed);
		assert_false(f.template_api);
		assert_int_equal(f.probe[0][FT_DPDK_PROBE_JUMP], -ENOSYS);
		ft_error_clear(&err);
		assert_null(ft_dpdk_flow_create(pipe, &fp, &err));
		assert_int_equal(err.code, -ENOTSUP);
		snprintf(want, sizeof(want), "port %u (driver %s) offloads no rte_flow rules",
		         cases[i].port, cases[i].driver);
		assert_string_equal(err.message, want);
	}
	/* The template API on ports without it: rte_flow_info_get() fails, "not supported". */
	for (uint32_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const uint16_t p[] = {cases[i].port};
		struct ft_dpdk_flow_params fp = {
		        .ports = p, .n_ports = 1, .profile = ft_nic_profile_find("cx7")};

		ft_error_clear(&err);
		assert_null(ft_dpdk_flow_create(pipe, &fp, &err));
		assert_int_equal(err.code, -ENOTSUP);
		assert_int_equal(err.kind, FT_ERR_RESOURCE);
		assert_int_equal(err.index, cases[i].port);
		snprintf(want, sizeof(want),
		         "port %u: rte_flow_info_get: the template API is not "
		         "supported on this port",
		         cases[i].port);
		assert_non_null(strstr(err.message, want));
		fp.profile = ft_nic_profile_find("cx6dx");
		fp.api = FT_DPDK_FLOW_API_TEMPLATE;
		ft_error_clear(&err);
		assert_null(ft_dpdk_flow_create(pipe, &fp, &err));
		assert_int_equal(err.code, -ENOTSUP);
		assert_non_null(strstr(err.message, "template API is not supported"));
	}
	{
		const uint16_t p[] = {RTE_MAX_ETHPORTS - 1};
		struct ft_dpdk_flow_params fp = {
		        .ports = p, .n_ports = 1, .profile = ft_nic_profile_find("cx6dx")};

		assert_null(ft_dpdk_flow_create(pipe, &fp, &err));
		assert_int_equal(err.code, -ENODEV);
	}
	pipeline_free(pipe, ctl, vtep);
}

/* --- A fake NIC behind the call table ---------------------------------------------------- */

#define FAKE_MAX 4096

struct fake_rule {
	bool used;
	uint16_t port;
	struct rte_flow_attr attr;
	uint64_t hits;
};

static struct {
	struct fake_rule r[FAKE_MAX];
	uint32_t n;      /* installed */
	uint32_t cap;    /* ENOSPC beyond it; 0: none */
	int refuse_code; /* refuse create number 'refuse_at' with it; 0: none */
	uint32_t refuse_at, creates, flushes, queries;
} fake;

static struct rte_flow *
fake_create(uint16_t port, const struct rte_flow_attr *attr, const struct rte_flow_item pattern[],
            const struct rte_flow_action actions[], struct rte_flow_error *error)
{
	uint32_t i;

	(void)pattern;
	(void)actions;
	if (fake.refuse_code != 0 && fake.creates++ == fake.refuse_at) {
		rte_errno = fake.refuse_code;
		rte_flow_error_set(error, fake.refuse_code, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
		                   "fake: refused");
		return NULL;
	}
	if (fake.cap != 0 && fake.n >= fake.cap) {
		rte_errno = ENOSPC;
		rte_flow_error_set(error, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                   "fake: table full");
		return NULL;
	}
	for (i = 0; i < FAKE_MAX && fake.r[i].used; i++)
		;
	assert_true(i < FAKE_MAX);
	fake.r[i] = (struct fake_rule){.used = true, .port = port, .attr = *attr, .hits = 0};
	fake.n++;
	return (struct rte_flow *)(uintptr_t)(i + 1);
}

static struct fake_rule *
fake_rule(struct rte_flow *flow)
{
	uintptr_t i = (uintptr_t)flow;

	assert_true(i >= 1 && i <= FAKE_MAX);
	assert_true(fake.r[i - 1].used);
	return &fake.r[i - 1];
}

static int
fake_destroy(uint16_t port, struct rte_flow *flow, struct rte_flow_error *error)
{
	struct fake_rule *r = fake_rule(flow);

	(void)error;
	assert_int_equal(r->port, port);
	r->used = false;
	fake.n--;
	return 0;
}

static int
fake_query(uint16_t port, struct rte_flow *flow, const struct rte_flow_action *action, void *data,
           struct rte_flow_error *error)
{
	struct fake_rule *r = fake_rule(flow);
	struct rte_flow_query_count *qc = data;

	(void)error;
	assert_int_equal(action->type, RTE_FLOW_ACTION_TYPE_COUNT);
	assert_int_equal(r->port, port);
	assert_true(qc->reset);
	qc->hits_set = qc->bytes_set = 1;
	qc->hits = r->hits;
	qc->bytes = r->hits * 100;
	r->hits = 0;
	fake.queries++;
	return 0;
}

static int
fake_flush(uint16_t port, struct rte_flow_error *error)
{
	(void)error;
	for (uint32_t i = 0; i < FAKE_MAX; i++)
		if (fake.r[i].used && fake.r[i].port == port) {
			fake.r[i].used = false;
			fake.n--;
		}
	fake.flushes++;
	return 0;
}

static int
fake_proxy(uint16_t port, uint16_t *proxy, struct rte_flow_error *error)
{
	(void)error;
	*proxy = port;
	return 0;
}

static const struct dpdk_flow_ops fake_ops = {
        .create = fake_create,
        .destroy = fake_destroy,
        .query = fake_query,
        .flush = fake_flush,
        .pick_transfer_proxy = fake_proxy,
};

static int
count_sw(const struct ft_placement *p, void *arg)
{
	*(uint32_t *)arg += p->reason != NULL && p->rules == 0 && p->handle != UINT32_MAX;
	return 0;
}

static void
test_fake_nic(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep, true);
	const uint16_t ports[] = {ring0, ring1};
	struct ft_dpdk_flow_params fp = {
	        .ports = ports, .n_ports = 2, .profile = ft_nic_profile_find("cx6dx")};
	struct ft_twin_sync_stats st;
	struct ft_error err = {0};
	struct ft_dpdk_flow *f;
	uint32_t n, n_sw = 0;
	char line[128];

	(void)state;
	memset(&fake, 0, sizeof(fake));
	dpdk_flow_set_ops(&fake_ops);
	f = ft_dpdk_flow_create(pipe, &fp, &err);
	dpdk_flow_set_ops(NULL);
	assert_non_null(f);
	assert_string_equal(ft_dpdk_flow_profile(f)->name, "cx6dx");
	for (uint32_t i = 0; i < 8; i++) {
		snprintf(line, sizeof(line), "fdb add 02:00:00:00:00:%02x vni 100 dst 10.0.0.%u",
		         i + 16, i + 2);
		assert_int_equal(ft_ctl_exec(ctl, line, NULL, NULL, &err), 0);
	}
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	n = ft_dpdk_flow_n_rules(f);
	assert_true(n > 0);
	assert_int_equal(fake.n, n);
	ft_dpdk_flow_last_sync(f, &st);
	assert_int_equal(st.added, n);
	for (uint32_t i = 0; i < FAKE_MAX; i++)
		if (fake.r[i].used) {
			assert_true(fake.r[i].attr.ingress);
			assert_int_equal(fake.r[i].attr.priority % 2, 0); /* parity 0 from empty */
		}

	/* Nothing changed: nothing moves. */
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	ft_dpdk_flow_last_sync(f, &st);
	assert_int_equal(st.kept, n);
	assert_int_equal(st.added + st.removed, 0);

	/* One entry changes: few rules move, and the NIC holds exactly the new ones. */
	assert_int_equal(ft_ctl_exec(ctl, "fdb del 02:00:00:00:00:10 vni 100", NULL, NULL, &err),
	                 0);
	assert_int_equal(ft_ctl_exec(ctl, "fdb add 02:00:00:00:00:10 vni 100 dst 10.0.0.99", NULL,
	                             NULL, &err),
	                 0);
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	ft_dpdk_flow_last_sync(f, &st);
	assert_true(st.kept > 0);
	assert_true(st.added > 0 && st.added < n);
	assert_int_equal(fake.n, ft_dpdk_flow_n_rules(f));

	/* Counters: every rule hit twice; read with reset and credited. */
	for (uint32_t i = 0; i < FAKE_MAX; i++)
		if (fake.r[i].used)
			fake.r[i].hits = 2;
	{
		uint64_t before = test_entry_packets(pipe);

		assert_int_equal(ft_dpdk_flow_counters_collect(f), 0);
		assert_true(fake.queries > 0);
		assert_true(test_entry_packets(pipe) > before);
		before = test_entry_packets(pipe);
		assert_int_equal(ft_dpdk_flow_counters_collect(f), 0); /* reset: nothing new */
		assert_int_equal(test_entry_packets(pipe), before);
	}

	/* A port restart: the NIC forgot everything; reinstall puts it all back. */
	fake_flush(ring0, NULL);
	fake_flush(ring1, NULL);
	assert_int_equal(ft_dpdk_flow_reinstall(f, &err), 0);
	assert_int_equal(fake.n, ft_dpdk_flow_n_rules(f));

	/* A NIC refusal other than room: no rule stays, the error names the rule. */
	fake.refuse_code = EINVAL;
	fake.refuse_at = 0;
	fake.creates = 0;
	assert_int_equal(ft_ctl_exec(ctl, "fdb add 02:00:00:00:00:40 vni 100 dst 10.0.0.50", NULL,
	                             NULL, &err),
	                 0);
	assert_int_equal(ft_dpdk_flow_sync(f, &err), -EINVAL);
	assert_int_equal(err.kind, FT_ERR_RULE);
	assert_non_null(strstr(err.message, "rte_flow_create: fake: refused"));
	assert_non_null(strstr(err.message, "flow create"));
	assert_int_equal(fake.n, 0);
	assert_int_equal(ft_dpdk_flow_n_rules(f), 0);

	/* A full NIC: entries stay in software until the rules fit. */
	fake.refuse_code = 0;
	fake.cap = n - 2;
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	assert_true(ft_dpdk_flow_n_rules(f) <= fake.cap);
	assert_int_equal(fake.n, ft_dpdk_flow_n_rules(f));
	ft_offload_placement_walk(ft_dpdk_flow_offload(f), count_sw, &n_sw);
	assert_true(n_sw > 0);

	/* Destroy flushes every port. */
	fake.flushes = 0;
	ft_dpdk_flow_destroy(f);
	assert_int_equal(fake.n, 0);
	assert_int_equal(fake.flushes, 2);
	pipeline_free(pipe, ctl, vtep);
}

/* The restore path: OUTPUT contexts are sent as they are, the rest goes to the model. */
static int
first_output(const struct ft_offload *off, uint32_t *mark, uint32_t *port)
{
	for (uint32_t m = 1; m < 4096; m++) {
		const struct ft_restore *r = ft_offload_restore(off, m);

		if (r != NULL && r->kind == FT_RESTORE_OUTPUT) {
			*mark = m;
			*port = r->port;
			return 0;
		}
	}
	return -1;
}

static void
test_restore(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep, false);
	const uint16_t ports[] = {0, 1, 2}; /* vtep_entries.txt's: null0, ring0, ring1 */
	struct ft_dpdk_flow_params fp = {
	        .ports = ports, .n_ports = 3, .profile = ft_nic_profile_find("cx6dx")};
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = ft_pkt_pool_simple_create(64, 2048, &pool);
	struct ft_error err = {0};
	static struct ft_dpdk_flow_result res;
	struct ft_burst_result *br;
	struct ft_worker *w;
	struct ft_dpdk_flow *f;
	uint8_t buf[2048] = {0};
	struct ft_pkt pkt = {0}, *pp = &pkt;
	uint32_t mark, port;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	dpdk_flow_set_ops(&fake_ops);
	f = ft_dpdk_flow_create(pipe, &fp, &err);
	dpdk_flow_set_ops(NULL);
	assert_non_null(f);
	/* The compiler's golden state (tests/offload/vtep_entries.txt) on ports 0-2. */
	assert_int_equal(null0, 0);
	assert_int_equal(ring0, 1);
	assert_int_equal(ring1, 2);
	snprintf((char *)buf, sizeof(buf), "%s/tests/offload/vtep_entries.txt",
	         getenv("FT_SOURCE_ROOT"));
	assert_true(ft_ctl_exec_file(ctl, (char *)buf, NULL, NULL, &err) > 0);
	memset(buf, 0, sizeof(buf));
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	w = ft_worker_create(pipe, &pool, &err);
	assert_non_null(w);

	pkt.buf = buf;
	pkt.buf_len = sizeof(buf);
	pkt.data_off = FT_PKT_HEADROOM;
	pkt.len = 60;
	pkt.nb_segs = 1;
	pkt.in_port = ring0;

	/* Unmarked: from the start. */
	assert_null(ft_dpdk_flow_resume(f, &pkt));
	assert_true(ft_dpdk_flow_run(f, w, &pp, 1, &res) >= 0);
	assert_int_equal(res.path[0], FT_TWIN_SOFTWARE);
	/* A MARK no context has: from the start, counted. */
	pkt.flags = FT_PKT_F_MARK;
	pkt.mark = 0xfffff;
	assert_null(ft_dpdk_flow_resume(f, &pkt));
	assert_true(ft_dpdk_flow_run(f, w, &pp, 1, &res) >= 0);
	assert_int_equal(res.path[0], FT_TWIN_SOFTWARE);
	assert_int_equal(res.bad_mark, 1);
	/* A RESUME context: the resume hook gives it. */
	for (uint32_t m = 1; m < 4096; m++) {
		const struct ft_restore *r = ft_offload_restore(ft_dpdk_flow_offload(f), m);

		if (r != NULL && r->kind == FT_RESTORE_RESUME) {
			pkt.mark = m;
			assert_ptr_equal(ft_dpdk_flow_resume(f, &pkt), &r->resume);
			break;
		}
	}
	/* An OUTPUT context: sent as it is, untouched by the model. */
	if (first_output(ft_dpdk_flow_offload(f), &mark, &port) == 0) {
		memset(buf, 0, sizeof(buf)); /* the model's runs above changed it */
		pkt.data_off = FT_PKT_HEADROOM;
		pkt.len = 60;
		pkt.mark = mark;
		assert_null(ft_dpdk_flow_resume(f, &pkt));
		assert_int_equal(ft_dpdk_flow_run_fn(f, w, &pp, 1, &br), 1);
		assert_int_equal(br->tx[0].port, port);
		assert_ptr_equal(br->tx[0].pkt, &pkt);
		assert_int_equal(br->used[0], 1);
		assert_int_equal(pkt.len, 60);
	} else {
		fail_msg("no OUTPUT context in vtep_entries.txt's state on cx6dx");
	}
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_dpdk_flow_destroy(f);
	pipeline_free(pipe, ctl, vtep);
}

static int
port_id(const char *name, uint16_t *id)
{
	if (rte_eth_dev_get_port_by_name(name, id) != 0) {
		fprintf(stderr, "no port %s\n", name);
		return -1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
	        cmocka_unit_test(test_update_plan),
	        cmocka_unit_test(test_profile_pick),
	};
	const struct CMUnitTest eal[] = {
	        cmocka_unit_test(test_software_ports_refused),
	        cmocka_unit_test(test_fake_nic),
	        cmocka_unit_test(test_restore),
	};
	char prefix[64];
	char *argv[] = {"test_dpdk_flow",
	                "-l",
	                "0",
	                "--no-huge",
	                "-m",
	                "256",
	                "--no-pci",
	                "--no-shconf",
	                prefix,
	                "--vdev=net_null0",
	                "--vdev=net_ring0",
	                "--vdev=net_ring1",
	                "--log-level=lib.eal:error",
	                NULL};
	struct ft_error err = {0};
	int rc;

	if (getenv("FT_SOURCE_ROOT") == NULL)
		setenv("FT_SOURCE_ROOT", ".", 0);
	rc = cmocka_run_group_tests_name("unit", unit, NULL, NULL);
	snprintf(prefix, sizeof(prefix), "--file-prefix=ft_dpdk_flow_%d", (int)getpid());
	if (ft_dpdk_eal_init((int)ARRAY_SIZE(argv) - 1, argv, &err) < 0) {
		fprintf(stderr, "%s: %s\n", err.object, err.message);
		if (UNDER_ASAN) {
			printf("SKIP: the EAL does not start under AddressSanitizer here\n");
			return rc != 0 ? 1 : 77;
		}
		return 1;
	}
	if (port_id("net_null0", &null0) || port_id("net_ring0", &ring0) ||
	    port_id("net_ring1", &ring1))
		return 1;
	rc |= cmocka_run_group_tests_name("eal", eal, NULL, NULL);
	ft_dpdk_eal_cleanup();
	return rc != 0;
}
