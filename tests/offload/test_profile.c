/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the NIC capability profiles (offload/profile.c,
 * include/flowtwin/offload.h) and of docs/features.md, generated from them
 * by ft_nic_features_markdown() (offload/features.c).
 *
 * Invariants: every profile is found by its name and only by it; each lists
 * an item or action once; every action's stage is one of the profile's
 * stages; every item and action has a testpmd keyword (the rule printer
 * needs one); the domain agrees with the port fates; the limits are sane;
 * and 'sim', the software NIC the twin tests run on, supports every item and
 * action of every other profile (else a rule a real NIC takes could not be
 * tested).
 *
 * docs/features.md must equal the generated text byte for byte;
 * FT_GOLDEN_UPDATE=1 rewrites it instead. The source tree is
 * $FT_SOURCE_ROOT (meson sets it), else ".".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/flow_text.h>
#include <flowtwin/offload.h>

static char root[4096];

static int
find_root(void **state)
{
	const char *r = getenv("FT_SOURCE_ROOT");

	(void)state;
	snprintf(root, sizeof(root), "%s", r != NULL && r[0] != '\0' ? r : ".");
	return 0;
}

static void
test_find(void **state)
{
	const struct ft_nic_profile *const *p;
	uint32_t n;

	(void)state;
	p = ft_nic_profiles(&n);
	assert_int_equal(n, 6);
	for (uint32_t i = 0; i < n; i++) {
		assert_ptr_equal(ft_nic_profile_find(p[i]->name), p[i]);
		assert_non_null(p[i]->description);
		for (uint32_t j = 0; j < i; j++)
			assert_string_not_equal(p[i]->name, p[j]->name);
	}
	assert_non_null(ft_nic_profile_find("cx6dx"));
	assert_non_null(ft_nic_profile_find("sim"));
	assert_null(ft_nic_profile_find("cx6"));
	assert_null(ft_nic_profile_find(""));
	assert_int_equal(ft_nic_profile_action_stage(ft_nic_profile_find("cx7"),
	                                             RTE_FLOW_ACTION_TYPE_SET_MAC_SRC),
	                 -ENOTSUP);
	assert_false(
	        ft_nic_profile_has_item(ft_nic_profile_find("cx5"), RTE_FLOW_ITEM_TYPE_INTEGRITY));
}

static void
test_invariants(void **state)
{
	const struct ft_nic_profile *const *p;
	uint32_t n;

	(void)state;
	p = ft_nic_profiles(&n);
	for (uint32_t i = 0; i < n; i++) {
		const struct ft_nic_profile *q = p[i];
		bool port_fate = false;

		assert_true(q->n_stages > 0);
		for (uint32_t s = 0; s < q->n_stages; s++)
			assert_non_null(q->stage_names[s]);
		for (uint32_t k = 0; k < q->n_items; k++) {
			if (ft_flow_item_name(q->items[k]) == NULL)
				fail_msg("%s: item %d has no testpmd keyword", q->name,
				         q->items[k]);
			for (uint32_t m = 0; m < k; m++)
				assert_int_not_equal(q->items[k], q->items[m]);
			assert_true(ft_nic_profile_has_item(q, q->items[k]));
		}
		for (uint32_t k = 0; k < q->n_actions; k++) {
			enum rte_flow_action_type t = q->actions[k].type;

			if (ft_flow_action_name(t) == NULL)
				fail_msg("%s: action %d has no testpmd keyword", q->name, t);
			if (q->actions[k].stage >= q->n_stages)
				fail_msg("%s: action %s: stage %u of %u", q->name,
				         ft_flow_action_name(t), q->actions[k].stage, q->n_stages);
			assert_int_equal(ft_nic_profile_action_stage(q, t), q->actions[k].stage);
			for (uint32_t m = 0; m < k; m++)
				assert_int_not_equal(t, q->actions[m].type);
			if (t == RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT ||
			    t == RTE_FLOW_ACTION_TYPE_PORT_ID)
				port_fate = true;
		}
		/* Port fates exist in the E-Switch only. */
		if (q->domain == FT_NIC_DOMAIN_INGRESS)
			assert_false(port_fate);
		else
			assert_true(port_fate);
		/* MARK below mlx5's reserved values; limits not zero. */
		assert_true(q->mark_max < 0xfffff0);
		assert_true(q->groups > 1);
		assert_true(q->priorities_root > 0 && q->priorities > 0);
		assert_true(q->encap_max >= 50 + 20); /* IPv6 VXLAN header with a VLAN */
		assert_true(q->rules_max > 0);
	}
}

/* sim executes every rule any profile accepts, so the twin tests can run it. */
static void
test_sim_covers_all(void **state)
{
	const struct ft_nic_profile *const *p, *sim = ft_nic_profile_find("sim");
	uint32_t n;

	(void)state;
	assert_non_null(sim);
	p = ft_nic_profiles(&n);
	for (uint32_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < p[i]->n_items; k++)
			if (!ft_nic_profile_has_item(sim, p[i]->items[k]))
				fail_msg("sim lacks item %s of %s",
				         ft_flow_item_name(p[i]->items[k]), p[i]->name);
		for (uint32_t k = 0; k < p[i]->n_actions; k++) {
			enum rte_flow_action_type t = p[i]->actions[k].type;

			if (!ft_nic_profile_has_action(sim, t))
				fail_msg("sim lacks action %s of %s", ft_flow_action_name(t),
				         p[i]->name);
			/* One stage order for every profile. */
			assert_int_equal(ft_nic_profile_action_stage(sim, t),
			                 p[i]->actions[k].stage);
		}
		assert_true(sim->groups >= p[i]->groups);
		assert_true(sim->tags >= p[i]->tags);
		assert_true(sim->encap_max >= p[i]->encap_max);
	}
}

static char *
generate(size_t *len)
{
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	assert_non_null(f);
	assert_int_equal(ft_nic_features_markdown(f), 0);
	assert_int_equal(fclose(f), 0);
	return text;
}

static void
test_features_md(void **state)
{
	const char *update = getenv("FT_GOLDEN_UPDATE");
	char path[4200], *text, *doc;
	size_t len, doc_len;
	FILE *f;

	(void)state;
	text = generate(&len);
	/* The text names every profile and every keyword. */
	assert_non_null(strstr(text, "| item | cx5 | cx6dx | cx7 | bf2 | bf3 | sim |\n"));
	assert_non_null(strstr(text, "| `integrity` | - | yes | yes | yes | yes | yes |\n"));
	assert_non_null(strstr(text, "| `of_push_vlan` | - | - | - | vlan push | vlan push | vlan "
	                             "push |\n"));
	assert_non_null(strstr(text, "| VXLAN UDP port | 4789 only | any |"));

	snprintf(path, sizeof(path), "%s/docs/features.md", root);
	if (update != NULL && strcmp(update, "1") == 0) {
		f = fopen(path, "w");
		assert_non_null(f);
		assert_int_equal(fwrite(text, 1, len, f), len);
		assert_int_equal(fclose(f), 0);
		print_message("rewrote %s\n", path);
	}
	f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot read %s (FT_GOLDEN_UPDATE=1 writes it)", path);
	doc = malloc(len + 2);
	assert_non_null(doc);
	doc_len = fread(doc, 1, len + 1, f);
	fclose(f);
	if (doc_len != len || memcmp(doc, text, len) != 0) {
		size_t i = 0;
		unsigned line = 1;

		while (i < len && i < doc_len && doc[i] == text[i])
			line += text[i++] == '\n';
		fail_msg("%s is not what the profiles generate (line %u); run the test with "
		         "FT_GOLDEN_UPDATE=1 to rewrite it",
		         path, line);
	}
	free(doc);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_find),
	        cmocka_unit_test(test_invariants),
	        cmocka_unit_test(test_sim_covers_all),
	        cmocka_unit_test(test_features_md),
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
