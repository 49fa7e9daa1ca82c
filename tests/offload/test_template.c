/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the template plan (offload/template.c): vtep.p4 with
 * tests/offload/vtep_entries.txt on the template-API profiles (cx7, bf3):
 * every rule has a table and templates of that table; its item types and
 * masks are its pattern template's, its action types its actions
 * template's, and its constant fields the template's values; one table (or
 * more) per (port, group, priority); the text has one command per object.
 * Then hand-made rules: priorities split tables, per-table template limits,
 * constant and per-rule fields, and what is refused.
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
#include <flowtwin/template.h>
#include <flowtwin/vtep.h>

struct fx {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
};

static struct fx *
fx_create(void)
{
	struct ft_error err = {0};
	struct fx *f = calloc(1, sizeof(*f));
	char path[4200];

	assert_non_null(f);
	snprintf(path, sizeof(path), "%s/p4/vtep.p4", getenv("FT_SOURCE_ROOT"));
	struct ft_program *prog = ft_p4_load(path, NULL, &err);

	if (prog == NULL)
		fail_msg("%s: %s", path, err.message);
	f->pipe = ft_pipeline_create(prog, NULL, &err);
	assert_non_null(f->pipe);
	f->ctl = ft_ctl_create(f->pipe);
	assert_int_equal(ft_vtep_attach(f->ctl, &f->vtep, &err), 0);
	snprintf(path, sizeof(path), "%s/tests/offload/vtep_entries.txt", getenv("FT_SOURCE_ROOT"));
	if (ft_ctl_exec_file(f->ctl, path, NULL, NULL, &err) < 0)
		fail_msg("%s: %s", path, err.message);
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

static size_t
item_size(enum rte_flow_item_type t)
{
	switch (t) {
	case RTE_FLOW_ITEM_TYPE_ETH:
		return sizeof(struct rte_flow_item_eth);
	case RTE_FLOW_ITEM_TYPE_VLAN:
		return sizeof(struct rte_flow_item_vlan);
	case RTE_FLOW_ITEM_TYPE_IPV4:
		return sizeof(struct rte_flow_item_ipv4);
	case RTE_FLOW_ITEM_TYPE_IPV6:
		return sizeof(struct rte_flow_item_ipv6);
	case RTE_FLOW_ITEM_TYPE_UDP:
		return sizeof(struct rte_flow_item_udp);
	case RTE_FLOW_ITEM_TYPE_VXLAN:
		return sizeof(struct rte_flow_item_vxlan);
	case RTE_FLOW_ITEM_TYPE_INTEGRITY:
		return sizeof(struct rte_flow_item_integrity);
	case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
		return sizeof(struct rte_flow_item_ethdev);
	default:
		fail_msg("item type %d in vtep's rules", (int)t);
		return 0;
	}
}

static const void *
default_mask(enum rte_flow_item_type t)
{
	switch (t) {
	case RTE_FLOW_ITEM_TYPE_ETH:
		return &rte_flow_item_eth_mask;
	case RTE_FLOW_ITEM_TYPE_VLAN:
		return &rte_flow_item_vlan_mask;
	case RTE_FLOW_ITEM_TYPE_IPV4:
		return &rte_flow_item_ipv4_mask;
	case RTE_FLOW_ITEM_TYPE_IPV6:
		return &rte_flow_item_ipv6_mask;
	case RTE_FLOW_ITEM_TYPE_UDP:
		return &rte_flow_item_udp_mask;
	case RTE_FLOW_ITEM_TYPE_VXLAN:
		return &rte_flow_item_vxlan_mask;
	case RTE_FLOW_ITEM_TYPE_INTEGRITY:
		return &rte_flow_item_integrity_mask;
	case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
		return &rte_flow_item_ethdev_mask;
	default:
		return NULL;
	}
}

static bool
zero(const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((const uint8_t *)p)[i] != 0)
			return false;
	return true;
}

/* The rule's item as the template must have it: its effective mask, or NULL. */
static const void *
effective_mask(const struct rte_flow_item *it)
{
	const void *m;

	if (it->spec == NULL)
		return NULL;
	m = it->mask != NULL ? it->mask : default_mask(it->type);
	return zero(m, item_size(it->type)) ? NULL : m;
}

static bool
pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static uint32_t
count_lines(const char *text, const char *prefix)
{
	uint32_t n = 0;
	size_t len = strlen(prefix);

	for (const char *l = text; l != NULL && *l != '\0';) {
		if (strncmp(l, prefix, len) == 0)
			n++;
		l = strchr(l, '\n');
		l = l != NULL ? l + 1 : NULL;
	}
	return n;
}

/* The plan of one profile, checked against the rules it came from. */
static void
check_profile(struct fx *f, const char *nic)
{
	const uint32_t ports[] = {0, 1};
	const struct ft_nic_profile *prof = ft_nic_profile_find(nic);
	struct ft_offload_params params = {.profile = prof, .ports = ports, .n_ports = 2};
	struct ft_error err = {0};
	struct ft_offload *off;
	struct ft_template_plan *plan = NULL;
	struct ft_template_plan_info info;
	uint32_t table_rules = 0, counting[2] = {0, 0};

	assert_non_null(prof);
	assert_int_equal(prof->api, FT_NIC_API_TEMPLATE);
	off = ft_offload_create(f->pipe, &params, &err);
	assert_non_null(off);
	assert_int_equal(ft_offload_compile(off, &err), 0);
	if (ft_template_plan_create(off, NULL, &plan, &err) < 0)
		fail_msg("%s: %s", nic, err.message);
	ft_template_plan_info(plan, &info);
	assert_int_equal(info.rules, ft_offload_n_rules(off));
	assert_true(info.rules > 20);
	assert_int_equal(info.ports, 2);
	assert_true(info.pattern_templates > 1 && info.pattern_templates < info.rules);
	assert_true(info.actions_templates > 1 && info.actions_templates < info.rules);
	assert_null(ft_template_plan_rule(plan, info.rules));
	assert_null(ft_template_plan_table(plan, info.tables));

	for (uint32_t i = 0; i < info.rules; i++) {
		const struct ft_template_rule *r = ft_template_plan_rule(plan, i);
		const struct ft_template_table *t = ft_template_plan_table(plan, r->table);
		const struct ft_flow_buf *b = r->flow;
		const struct ft_pattern_template *pt;
		const struct ft_actions_template *at;
		uint32_t k;

		/* Mapped, and the table's attributes are the rule's. */
		assert_non_null(t);
		assert_true(r->pattern_index < t->n_pattern_templates);
		assert_true(r->actions_index < t->n_actions_templates);
		assert_int_equal(t->port, b->port);
		assert_int_equal(t->attr.flow_attr.group, b->attr.group);
		assert_int_equal(t->attr.flow_attr.priority, b->attr.priority);
		assert_int_equal(t->attr.flow_attr.ingress, b->attr.ingress);
		assert_int_equal(t->attr.flow_attr.transfer, b->attr.transfer);
		pt = ft_template_plan_pattern(plan, t->pattern_templates[r->pattern_index]);
		at = ft_template_plan_actions(plan, t->actions_templates[r->actions_index]);
		assert_non_null(pt);
		assert_non_null(at);
		assert_int_equal(pt->port, b->port);
		assert_int_equal(at->port, b->port);
		assert_int_equal(pt->attr.relaxed_matching, 0);
		assert_int_equal(pt->attr.ingress, b->attr.ingress);
		assert_int_equal(pt->attr.transfer, b->attr.transfer);
		assert_int_equal(at->attr.transfer, b->attr.transfer);

		/* Items: same types, the template's mask is the rule's. */
		for (k = 0; b->pattern[k].type != RTE_FLOW_ITEM_TYPE_END; k++) {
			const struct rte_flow_item *ri = &b->pattern[k], *ti = &pt->pattern[k];
			const void *m = effective_mask(ri);

			assert_int_equal(ti->type, ri->type);
			assert_null(ti->last);
			if (m == NULL) {
				assert_null(ti->mask);
			} else {
				assert_non_null(ti->mask);
				assert_memory_equal(ti->mask, m, item_size(ri->type));
			}
		}
		assert_int_equal(pt->pattern[k].type, RTE_FLOW_ITEM_TYPE_END);

		/* Actions: same types; constant fields hold the rule's values; MARK per rule. */
		for (k = 0; b->actions[k].type != RTE_FLOW_ACTION_TYPE_END; k++) {
			const struct rte_flow_action *ra = &b->actions[k];

			assert_int_equal(at->actions[k].type, ra->type);
			assert_int_equal(at->masks[k].type, ra->type);
			if (ra->type == RTE_FLOW_ACTION_TYPE_MARK)
				assert_null(at->masks[k].conf);
			if (ra->type == RTE_FLOW_ACTION_TYPE_JUMP && at->masks[k].conf != NULL) {
				const struct rte_flow_action_jump *v = at->actions[k].conf,
				                                  *rv = ra->conf;

				assert_int_equal(v->group, rv->group);
			}
			if (ra->type == RTE_FLOW_ACTION_TYPE_QUEUE) {
				const struct rte_flow_action_queue *v = at->actions[k].conf,
				                                   *rv = ra->conf;

				assert_non_null(at->masks[k].conf); /* queue 0 everywhere */
				assert_int_equal(v->index, rv->index);
			}
			if (ra->type == RTE_FLOW_ACTION_TYPE_COUNT)
				counting[b->port]++;
		}
		assert_int_equal(at->actions[k].type, RTE_FLOW_ACTION_TYPE_END);
		assert_int_equal(at->masks[k].type, RTE_FLOW_ACTION_TYPE_END);
	}

	/* Tables: sized with room, within mlx5's limits, every rule counted once. */
	for (uint32_t k = 0; k < info.tables; k++) {
		const struct ft_template_table *t = ft_template_plan_table(plan, k);

		assert_true(t->n_rules > 0);
		assert_true(t->n_pattern_templates >= 1 && t->n_pattern_templates <= 2);
		assert_true(t->n_actions_templates >= 1 && t->n_actions_templates <= 32);
		assert_true(pow2(t->attr.nb_flows));
		assert_true(t->attr.nb_flows >= 2 * t->n_rules && t->attr.nb_flows >= 16);
		table_rules += t->n_rules;
		for (uint32_t j = 0; j < k; j++) {
			const struct ft_template_table *u = ft_template_plan_table(plan, j);

			if (u->port == t->port)
				assert_int_not_equal(u->id, t->id);
		}
	}
	assert_int_equal(table_rules, info.rules);
	/* Every (port, group, priority) of a rule has a table of those attributes. */
	for (uint32_t i = 0; i < info.rules; i++) {
		const struct ft_flow_buf *b = ft_template_plan_rule(plan, i)->flow;
		bool found = false;

		for (uint32_t k = 0; k < info.tables && !found; k++) {
			const struct ft_template_table *t = ft_template_plan_table(plan, k);

			found = t->port == b->port && t->attr.flow_attr.group == b->attr.group &&
			        t->attr.flow_attr.priority == b->attr.priority;
		}
		assert_true(found);
	}
	for (uint32_t k = 0; k < info.ports; k++) {
		const struct ft_template_port *pp = ft_template_plan_port(plan, k);

		assert_int_equal(pp->nb_queue, 1);
		assert_true(pow2(pp->queue.size) && pp->queue.size >= 2 * pp->n_rules);
		assert_true(pp->attr.nb_counters >= counting[pp->port]);
	}

	/* The text: one command per object, in testpmd's syntax of 22.11. */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	assert_non_null(out);
	assert_int_equal(ft_template_plan_testpmd(plan, out, &err), 0);
	fclose(out);
	assert_int_equal(count_lines(text, "flow configure "), info.ports);
	assert_int_equal(count_lines(text, "flow pattern_template "), info.pattern_templates);
	assert_int_equal(count_lines(text, "flow actions_template "), info.actions_templates);
	assert_int_equal(count_lines(text, "flow template_table "), info.tables);
	assert_int_equal(count_lines(text, "flow queue "), info.rules);
	assert_int_equal(count_lines(text, "flow push "), info.ports);
	assert_int_equal(count_lines(text, "flow pull "), info.ports);
	assert_int_equal(count_lines(text, "flow create "), 0);
	assert_non_null(strstr(text, strcmp(nic, "bf3") == 0
	                                     ? " create transfer actions_template_id 0"
	                                     : " create ingress actions_template_id 0"));
	free(text);

	ft_template_plan_destroy(plan);
	ft_offload_destroy(off);
}

static void
test_vtep_cx7(void **state)
{
	struct fx *f = fx_create();

	(void)state;
	check_profile(f, "cx7");
	fx_destroy(f);
}

static void
test_vtep_bf3(void **state)
{
	struct fx *f = fx_create();

	(void)state;
	check_profile(f, "bf3");
	fx_destroy(f);
}

/* --- Hand-made rules ------------------------------------------------------------------ */

struct hand_rule {
	uint32_t group, priority;
	uint32_t dst_ip;   /* host order; 0: no IPv4 field */
	uint32_t src_mask; /* 0: no source */
	bool range;
	enum rte_flow_item_type extra_item; /* END: none */
	enum rte_flow_action_type fate;     /* JUMP, QUEUE, DROP, METER (refused) */
	uint32_t arg;                       /* jump group / queue index */
	uint32_t mark;                      /* 0: none */
};

struct hand {
	const struct hand_rule *rules;
	uint32_t n;
};

/* Builds rule i in 'out', its confs in out->store. */
static int
hand_rule(void *arg, uint32_t i, struct ft_flow_buf *out)
{
	const struct hand *h = arg;
	const struct hand_rule *r = &h->rules[i];
	struct rte_flow_item_ipv4 *spec = (void *)out->store, *mask = spec + 1, *last = spec + 2;
	struct rte_flow_action_mark *mark = (void *)(spec + 3);
	struct rte_flow_action_jump *jump = (void *)(mark + 1);
	struct rte_flow_action_queue *queue = (void *)(jump + 1);
	uint32_t n = 0, a = 0;

	memset(out, 0, sizeof(*out));
	out->attr.group = r->group;
	out->attr.priority = r->priority;
	out->attr.ingress = 1;
	out->pattern[n++].type = RTE_FLOW_ITEM_TYPE_ETH;
	out->pattern[n].type = RTE_FLOW_ITEM_TYPE_IPV4;
	if (r->dst_ip != 0 || r->src_mask != 0) {
		spec->hdr.dst_addr = rte_cpu_to_be_32(r->dst_ip);
		spec->hdr.src_addr = rte_cpu_to_be_32(0x0a000000);
		mask->hdr.dst_addr = r->dst_ip ? RTE_BE32(0xffffffff) : 0;
		mask->hdr.src_addr = rte_cpu_to_be_32(r->src_mask);
		out->pattern[n].spec = spec;
		out->pattern[n].mask = mask;
		if (r->range) {
			*last = *spec;
			last->hdr.dst_addr = rte_cpu_to_be_32(r->dst_ip + 10);
			out->pattern[n].last = last;
		}
	}
	n++;
	if (r->extra_item != RTE_FLOW_ITEM_TYPE_END)
		out->pattern[n++].type = r->extra_item;
	out->pattern[n].type = RTE_FLOW_ITEM_TYPE_END;
	if (r->mark != 0) {
		mark->id = r->mark;
		out->actions[a].type = RTE_FLOW_ACTION_TYPE_MARK;
		out->actions[a++].conf = mark;
	}
	out->actions[a].type = r->fate;
	if (r->fate == RTE_FLOW_ACTION_TYPE_JUMP) {
		jump->group = r->arg;
		out->actions[a].conf = jump;
	} else if (r->fate == RTE_FLOW_ACTION_TYPE_QUEUE) {
		queue->index = (uint16_t)r->arg;
		out->actions[a].conf = queue;
	}
	out->actions[++a].type = RTE_FLOW_ACTION_TYPE_END;
	return 0;
}

static struct ft_template_plan *
hand_plan(const struct hand_rule *rules, uint32_t n, int want, struct ft_error *err)
{
	struct hand h = {rules, n};
	struct ft_template_plan *plan = NULL;

	assert_int_equal(ft_template_plan_create_from(hand_rule, &h, n, NULL, &plan, err), want);
	if (want != 0)
		assert_null(plan);
	return plan;
}

/* Two priorities in one group: two tables; same priority: one table, two templates. */
static void
test_priorities_split_tables(void **state)
{
	const struct hand_rule rules[] = {
	        {.group = 1,
	         .priority = 0,
	         .dst_ip = 0x0a000001,
	         .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 1,
	         .priority = 1,
	         .dst_ip = 0x0a000002,
	         .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 1,
	         .priority = 0,
	         .src_mask = 0xff000000,
	         .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 1,
	         .priority = 0,
	         .dst_ip = 0x0a000003,
	         .fate = RTE_FLOW_ACTION_TYPE_DROP},
	};
	struct ft_error err = {0};
	struct ft_template_plan *plan = hand_plan(rules, 4, 0, &err);
	struct ft_template_plan_info info;
	const struct ft_template_rule *r0 = ft_template_plan_rule(plan, 0),
	                              *r1 = ft_template_plan_rule(plan, 1),
	                              *r2 = ft_template_plan_rule(plan, 2),
	                              *r3 = ft_template_plan_rule(plan, 3);

	(void)state;
	ft_template_plan_info(plan, &info);
	assert_int_equal(info.tables, 2);
	assert_int_equal(info.pattern_templates, 2); /* dst /32, src /8 */
	assert_int_equal(info.actions_templates, 1);
	assert_int_not_equal(r0->table, r1->table);
	assert_int_equal(r0->table, r2->table);
	assert_int_equal(r0->table, r3->table);
	assert_int_equal(r0->pattern_index, r3->pattern_index);
	assert_int_not_equal(r0->pattern_index, r2->pattern_index);
	assert_int_equal(ft_template_plan_table(plan, r1->table)->attr.flow_attr.priority, 1);
	ft_template_plan_destroy(plan);
}

/* More pattern templates than a table may hold: more tables, same attributes. */
static void
test_template_limit(void **state)
{
	const struct hand_rule rules[] = {
	        {.group = 2, .dst_ip = 1, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 2, .src_mask = 0xff000000, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 2, .src_mask = 0xffff0000, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 2, .src_mask = 0xffffff00, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 2, .dst_ip = 2, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	};
	struct ft_error err = {0};
	struct ft_template_plan *plan = hand_plan(rules, 5, 0, &err);
	struct ft_template_plan_info info;

	(void)state;
	ft_template_plan_info(plan, &info);
	assert_int_equal(info.pattern_templates, 4);
	assert_int_equal(info.tables, 2);
	for (uint32_t k = 0; k < 2; k++) {
		const struct ft_template_table *t = ft_template_plan_table(plan, k);

		assert_int_equal(t->n_pattern_templates, 2);
		assert_int_equal(t->attr.flow_attr.group, 2);
		assert_int_equal(t->id, k);
	}
	assert_int_equal(ft_template_plan_rule(plan, 4)->table,
	                 ft_template_plan_rule(plan, 0)->table);
	ft_template_plan_destroy(plan);
}

/* JUMP's group: constant when shared, per rule when not; MARK always per rule. */
static void
test_constant_fields(void **state)
{
	const struct hand_rule shared[] = {
	        {.group = 1, .dst_ip = 1, .fate = RTE_FLOW_ACTION_TYPE_JUMP, .arg = 5, .mark = 7},
	        {.group = 1, .dst_ip = 2, .fate = RTE_FLOW_ACTION_TYPE_JUMP, .arg = 5, .mark = 7},
	};
	const struct hand_rule varied[] = {
	        {.group = 1, .dst_ip = 1, .fate = RTE_FLOW_ACTION_TYPE_JUMP, .arg = 5},
	        {.group = 1, .dst_ip = 2, .fate = RTE_FLOW_ACTION_TYPE_JUMP, .arg = 6},
	};
	struct ft_error err = {0};
	struct ft_template_plan *plan = hand_plan(shared, 2, 0, &err);
	const struct ft_actions_template *at = ft_template_plan_actions(plan, 0);
	const struct rte_flow_action_jump *j, *jm;

	(void)state;
	assert_int_equal(at->actions[0].type, RTE_FLOW_ACTION_TYPE_MARK);
	assert_null(at->masks[0].conf);
	j = at->actions[1].conf;
	jm = at->masks[1].conf;
	assert_non_null(jm);
	assert_int_equal(j->group, 5);
	assert_int_equal(jm->group, UINT32_MAX);
	ft_template_plan_destroy(plan);

	plan = hand_plan(varied, 2, 0, &err);
	at = ft_template_plan_actions(plan, 0);
	assert_null(at->masks[0].conf);
	ft_template_plan_destroy(plan);
}

/* What the template API of 22.11 (or testpmd's text of it) cannot express. */
static void
test_refused(void **state)
{
	const struct hand_rule range[] = {
	        {.group = 1, .dst_ip = 1, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	        {.group = 1, .dst_ip = 1, .range = true, .fate = RTE_FLOW_ACTION_TYPE_DROP},
	};
	const struct hand_rule item[] = {
	        {.group = 1,
	         .extra_item = RTE_FLOW_ITEM_TYPE_GRE,
	         .fate = RTE_FLOW_ACTION_TYPE_DROP},
	};
	const struct hand_rule action[] = {
	        {.group = 1, .fate = RTE_FLOW_ACTION_TYPE_METER},
	};
	const struct hand_rule queues[] = {
	        {.group = 1, .dst_ip = 1, .fate = RTE_FLOW_ACTION_TYPE_QUEUE, .arg = 0},
	        {.group = 1, .dst_ip = 2, .fate = RTE_FLOW_ACTION_TYPE_QUEUE, .arg = 1},
	};
	struct ft_error err = {0};
	struct ft_template_plan *plan;
	FILE *out = fopen("/dev/null", "w");

	(void)state;
	hand_plan(range, 2, -ENOTSUP, &err);
	assert_int_equal(err.index, 1);
	assert_non_null(strstr(err.message, "range"));
	hand_plan(item, 1, -ENOTSUP, &err);
	assert_int_equal(err.index, 0);
	hand_plan(action, 1, -ENOTSUP, &err);
	assert_non_null(strstr(err.message, "no actions template layout"));

	/* A QUEUE left to each rule: a plan, but no testpmd text for its mask. */
	plan = hand_plan(queues, 2, 0, &err);
	assert_null(ft_template_plan_actions(plan, 0)->masks[0].conf);
	assert_non_null(out);
	assert_int_equal(ft_template_plan_testpmd(plan, out, &err), -ENOTSUP);
	assert_non_null(strstr(err.message, "testpmd 22.11"));
	fclose(out);
	ft_template_plan_destroy(plan);
	ft_template_plan_destroy(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_vtep_cx7),
	        cmocka_unit_test(test_vtep_bf3),
	        cmocka_unit_test(test_priorities_split_tables),
	        cmocka_unit_test(test_template_limit),
	        cmocka_unit_test(test_constant_fields),
	        cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
