/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the offload compiler (offload/compile.c) on vtep.p4 with the
 * VTEP vocabulary's entries: it compiles for every profile; every rule reads
 * back as rte_flow arrays that end; every MARK names a restore context;
 * every entry has a placement and every software entry a reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/compile.h>
#include <flowtwin/ctl.h>
#include <flowtwin/p4.h>
#include <flowtwin/vtep.h>

static const char *const setup_lines[] = {
	"vtep set local-ip 10.0.0.1",
	"port add 1 uplink lladdr 02:00:00:00:01:01",
	"port add 2 access vni 100",
	"port add 3 access vni 100",
	"port add 4 access vni 200 vlan 10",
	"nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f",
	"fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2",
	"fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3",
	"fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2",
	"fdb add 02:00:00:00:00:0a vni 100 port 2",
	"fdb add 02:00:00:00:00:0c vni 200 port 4",
	"neigh add 192.168.0.10 lladdr 02:00:00:00:00:0a vni 100",
};

struct fx {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
};

static void
discard(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static struct fx *
fx_create(void)
{
	struct ft_error err = {0};
	struct fx *f = calloc(1, sizeof(*f));
	char path[4200];
	struct ft_program *prog;

	assert_non_null(f);
	snprintf(path, sizeof(path), "%s/p4/vtep.p4", getenv("FT_SOURCE_ROOT"));
	prog = ft_p4_load(path, NULL, &err);
	if (prog == NULL)
		fail_msg("%s: %s", path, err.message);
	f->pipe = ft_pipeline_create(prog, NULL, &err);
	assert_non_null(f->pipe);
	f->ctl = ft_ctl_create(f->pipe);
	assert_int_equal(ft_vtep_attach(f->ctl, &f->vtep, &err), 0);
	for (size_t i = 0; i < sizeof(setup_lines) / sizeof(setup_lines[0]); i++)
		if (ft_ctl_exec(f->ctl, setup_lines[i], discard, NULL, &err) != 0)
			fail_msg("'%s': %s", setup_lines[i], err.message);
	return f;
}

static void
fx_destroy(struct fx *f)
{
	ft_ctl_destroy(f->ctl);
	ft_vtep_destroy(f->vtep);
	ft_pipeline_destroy(f->pipe);
	free(f);
}

struct count {
	uint32_t entries, with_reason, in_nic;
};

static int
on_placement(const struct ft_placement *p, void *arg)
{
	struct count *c = arg;

	c->entries++;
	c->with_reason += p->reason != NULL;
	c->in_nic += p->rules > 0;
	/* An entry no rule carries into the NIC says why. */
	if (p->rules == 0)
		assert_non_null(p->reason);
	return 0;
}

/* Every profile: rules read back, marks resolve, placements are explained. */
static void
test_vtep_every_profile(void **state)
{
	struct fx *f = fx_create();
	const struct ft_nic_profile *const *profs;
	uint32_t n_prof;
	const uint32_t ports[] = {1, 2, 3, 4};

	(void)state;
	profs = ft_nic_profiles(&n_prof);
	for (uint32_t p = 0; p < n_prof; p++) {
		struct ft_offload_params params = {.profile = profs[p], .ports = ports, .n_ports = 4};
		struct ft_error err = {0};
		struct ft_offload *off = ft_offload_create(f->pipe, &params, &err);
		struct ft_flow_buf *buf = malloc(sizeof(*buf));
		struct count c = {0};
		uint32_t marks = 0, jumps = 0, drops = 0;

		assert_non_null(off);
		assert_non_null(buf);
		assert_int_equal(ft_offload_compile(off, &err), 0);
		for (uint32_t i = 0; i < ft_offload_n_rules(off); i++) {
			uint32_t k;

			assert_int_equal(ft_offload_rule(off, i, buf), 0);
			for (k = 0; k < FT_FLOW_ITEMS_MAX && buf->pattern[k].type != RTE_FLOW_ITEM_TYPE_END; k++)
				assert_true(ft_nic_profile_has_item(profs[p], buf->pattern[k].type));
			assert_true(k < FT_FLOW_ITEMS_MAX);
			for (k = 0; buf->actions[k].type != RTE_FLOW_ACTION_TYPE_END; k++) {
				const struct rte_flow_action *a = &buf->actions[k];

				if (!ft_nic_profile_has_action(profs[p], a->type))
					fail_msg("%s: action %d", profs[p]->name, a->type);
				if (a->type == RTE_FLOW_ACTION_TYPE_MARK) {
					const struct rte_flow_action_mark *m = a->conf;

					assert_non_null(ft_offload_restore(off, m->id));
					assert_true(m->id <= profs[p]->mark_max);
					marks++;
				}
				jumps += a->type == RTE_FLOW_ACTION_TYPE_JUMP;
				drops += a->type == RTE_FLOW_ACTION_TYPE_DROP;
			}
			/* Group 0 only jumps. */
			if (buf->attr.group == 0)
				assert_int_equal(buf->actions[0].type, RTE_FLOW_ACTION_TYPE_JUMP);
		}
		assert_int_equal(ft_offload_placement_walk(off, on_placement, &c), 0);
		assert_true(c.entries > 10);
		if (ft_nic_profile_has_item(profs[p], RTE_FLOW_ITEM_TYPE_INTEGRITY)) {
			/* One classifier per port, tables as groups, unknown VNIs dropped in the NIC. */
			assert_true(jumps >= 4 + 4);
			assert_true(drops > 0);
			assert_true(marks > 0);
			assert_true(c.in_nic > 0);
		} else {
			assert_int_equal(ft_offload_n_rules(off), 0);
			assert_int_equal(c.with_reason, c.entries);
		}
		free(buf);
		ft_offload_destroy(off);
	}
	fx_destroy(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtep_every_profile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
