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

/* vtep.p4, with 'from' replaced by 'to' (NULL: as it is), loaded with the setup's entries. */
static struct fx *
fx_create_edited(const char *from, const char *to)
{
	struct ft_error err = {0};
	struct fx *f = calloc(1, sizeof(*f));
	char path[4300], dir[4200], *text, *at;
	const char *const dirs[] = {dir, NULL};
	struct ft_program *prog;
	FILE *fp;
	long n;

	assert_non_null(f);
	snprintf(dir, sizeof(dir), "%s/p4", getenv("FT_SOURCE_ROOT"));
	snprintf(path, sizeof(path), "%s/vtep.p4", dir);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	text = calloc(1, (size_t)n + (to ? strlen(to) : 0) + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	if (from != NULL) {
		at = strstr(text, from);
		assert_non_null(at);
		memmove(at + strlen(to), at + strlen(from), strlen(at + strlen(from)) + 1);
		memcpy(at, to, strlen(to));
	}
	prog = ft_p4_load_string(path, text, strlen(text), dirs, &err);
	free(text);
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

static struct fx *
fx_create(void)
{
	return fx_create_edited(NULL, NULL);
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

/* The RAW_ENCAP rules of fdb entry 02:00:00:00:00:0b (remote 10.0.0.2, VNI 100): by outer ECN. */
struct encaps {
	uint32_t n, by_ecn[4], arp;
};

static void
find_encaps(const struct ft_offload *off, struct encaps *e, uint16_t sport)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 0x0b};
	/* Outer Ethernet to the next hop, IPv4 DF TTL 64 UDP, UDP to 4789, VXLAN VNI 100. */
	static const uint8_t eth[14] = {2, 0, 0, 0, 0xf, 0xf, 2, 0, 0, 0, 1, 1, 0x08, 0x00};
	static const uint8_t ip[20] = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0,
				       10, 0, 0, 1, 10, 0, 0, 2};
	static const uint8_t udp_vxlan[16] = {0, 0, 0x12, 0xb5, 0, 0, 0, 0,
					      0x08, 0, 0, 0, 0, 0, 100, 0};
	struct ft_flow_buf *buf = malloc(sizeof(*buf));

	assert_non_null(buf);
	memset(e, 0, sizeof(*e));
	for (uint32_t i = 0; i < ft_offload_n_rules(off); i++) {
		const struct rte_flow_action_raw_encap *c = NULL;
		const struct rte_flow_item_eth *es = NULL;
		const struct rte_flow_item_ipv4 *is = NULL, *im = NULL;

		assert_int_equal(ft_offload_rule(off, i, buf), 0);
		for (uint32_t k = 0; buf->actions[k].type != RTE_FLOW_ACTION_TYPE_END; k++)
			if (buf->actions[k].type == RTE_FLOW_ACTION_TYPE_RAW_ENCAP)
				c = buf->actions[k].conf;
		for (uint32_t k = 0; buf->pattern[k].type != RTE_FLOW_ITEM_TYPE_END; k++) {
			if (buf->pattern[k].type == RTE_FLOW_ITEM_TYPE_ETH && es == NULL)
				es = buf->pattern[k].spec;
			if (buf->pattern[k].type == RTE_FLOW_ITEM_TYPE_IPV4) {
				is = buf->pattern[k].spec;
				im = buf->pattern[k].mask;
			}
		}
		if (c == NULL)
			continue;
		/* Only that entry's frames are encapsulated, all with its header. */
		assert_non_null(es);
		assert_memory_equal(es->hdr.dst_addr.addr_bytes, mac, 6);
		assert_int_equal(c->size, 50);
		assert_memory_equal(c->data, eth, 14);
		assert_memory_equal(c->data + 14 + 2, ip + 2, 18); /* but the TOS */
		assert_int_equal(c->data[14], ip[0]);
		assert_int_equal(c->data[34] << 8 | c->data[35], sport); /* 0: the NIC's entropy */
		assert_memory_equal(c->data + 36, udp_vxlan + 2, 14);
		e->n++;
		if (is == NULL) {
			assert_int_equal(c->data[15], 0); /* not IPv4: not-ECT */
			e->arp++;
			continue;
		}
		/* RFC 6040: the outer ECN is the inner one, which the rule matches. */
		assert_int_equal(im->hdr.type_of_service, 0x03);
		assert_int_equal(c->data[15], is->hdr.type_of_service);
		e->by_ecn[is->hdr.type_of_service & 3]++;
	}
	free(buf);
}

/* The reason of a restore context that names 'what', or NULL. */
static const char *
context_reason(const struct ft_offload *off, const char *what)
{
	for (uint32_t i = 0; i < ft_offload_n_contexts(off); i++) {
		const struct ft_restore *r = ft_offload_restore(off, ft_offload_context_mark(off, i));

		if (r->reason != NULL && strstr(r->reason, what) != NULL)
			return r->reason;
	}
	return NULL;
}

/*
 * VXLAN encapsulation in the NIC: one rule per inner ECN value (and one for
 * ARP) per access port class, each with the whole outer header but what the
 * NIC computes (lengths, checksum, UDP source port: 0). With 'ttl inherit'
 * the outer TTL is the packet's: those frames stay in software, with that
 * reason.
 */
static void
test_vtep_encap(void **state)
{
	struct fx *f = fx_create();
	const uint32_t ports[] = {1, 2, 3, 4};
	struct ft_offload_params params = {.profile = ft_nic_profile_find("cx6dx"),
					   .ports = ports, .n_ports = 4};
	struct ft_error err = {0};
	struct ft_offload *off;
	struct encaps e;
	const char *why;

	(void)state;
	assert_non_null(params.profile);
	/* Learning is software's: nothing after it would reach the NIC. */
	assert_int_equal(ft_ctl_exec(f->ctl, "vtep set learning off", discard, NULL, &err), 0);
	off = ft_offload_create(f->pipe, &params, &err);
	assert_non_null(off);
	assert_int_equal(ft_offload_compile(off, &err), 0);
	find_encaps(off, &e, 0);
	/* Ports 2 and 3 (VNI 100), untagged and priority-tagged. */
	assert_int_equal(e.arp, 4);
	for (int k = 0; k < 4; k++)
		assert_int_equal(e.by_ecn[k], 4);
	assert_int_equal(e.n, 20);

	assert_int_equal(ft_ctl_exec(f->ctl, "vtep set ttl inherit", discard, NULL, &err), 0);
	assert_int_equal(ft_offload_compile(off, &err), 0);
	find_encaps(off, &e, 0);
	assert_int_equal(e.n, e.arp); /* ARP has no TTL to inherit */
	why = context_reason(off, "outer_ipv4.ttl");
	assert_non_null(why);
	assert_string_equal(why, "encapsulates: outer_ipv4.ttl is not a constant of the rule");
	ft_offload_destroy(off);
	fx_destroy(f);
}

/*
 * Programs whose encapsulation the NIC would not write as they say stay in
 * software, with the reason; a constant UDP source port goes in the header.
 */
static void
test_vtep_encap_refused(void **state)
{
	static const char hash[] = "udp_src_hash.get_hash(16w49152, {meta.src_mac, meta.dst_mac},"
				   "\n\t\t\t\t\t\t\t       16w16384)";
	static const struct {
		const char *from, *to, *why; /* why: NULL if encapsulated in the NIC */
		uint32_t n;		     /* encapsulating rules (ARP only: 4) */
		uint16_t sport;		     /* in the header; 0: the NIC's entropy */
	} cases[] = {
		/* The checksum before the ECN copy: stale for IPv4 frames only. */
		{"copy_inner_ecn();\n\t\t\t\t\t\t}\n\t\t\t\t\t\touter_ipv4_checksum();",
		 "outer_ipv4_checksum(); copy_inner_ecn(); } else { outer_ipv4_checksum(); }",
		 "encapsulates: outer_ipv4.hdr_checksum is not the checksum the NIC computes", 4, 0},
		{"meta.frame_len + 36", "meta.frame_len + 37",
		 "encapsulates: outer_ipv4.total_len is not the length the NIC writes", 0, 0},
		{"hdr.outer_udp.checksum = 0;", "hdr.outer_udp.checksum = 1;",
		 "encapsulates with a UDP checksum: the NIC cannot compute it", 0, 0},
		{hash, "16w0", "encapsulates with UDP source port 0: the NIC would write its own", 0, 0},
		{hash, "16w5000", NULL, 20, 5000},
	};
	const uint32_t ports[] = {1, 2, 3, 4};

	(void)state;
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct fx *f = fx_create_edited(cases[c].from, cases[c].to);
		struct ft_offload_params params = {.profile = ft_nic_profile_find("cx6dx"),
						   .ports = ports, .n_ports = 4};
		struct ft_error err = {0};
		struct ft_offload *off;
		struct encaps e;

		assert_int_equal(ft_ctl_exec(f->ctl, "vtep set learning off", discard, NULL, &err),
				 0);
		off = ft_offload_create(f->pipe, &params, &err);
		assert_non_null(off);
		assert_int_equal(ft_offload_compile(off, &err), 0);
		find_encaps(off, &e, cases[c].sport);
		assert_int_equal(e.n, cases[c].n);
		if (cases[c].why != NULL && context_reason(off, cases[c].why) == NULL)
			fail_msg("case %zu: no context says '%s'", c, cases[c].why);
		ft_offload_destroy(off);
		fx_destroy(f);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vtep_every_profile),
		cmocka_unit_test(test_vtep_encap),
		cmocka_unit_test(test_vtep_encap_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
