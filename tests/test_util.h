/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small things several test programs need (tests/ only, not installed):
 * whether the build runs under AddressSanitizer, the packets counted over
 * every entry of a pipeline, and one side of a differential test (vtep.p4
 * with its control, a packet pool and a worker). Include after cmocka.h;
 * FT_SOURCE_ROOT names the source tree.
 */
#ifndef FT_TEST_UTIL_H
#define FT_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <flowtwin/ctl.h>
#include <flowtwin/p4.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/vtep.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static inline int
test_sum_packets(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	(void)table;
	*(uint64_t *)arg += e->packets;
	return 0;
}

/* The packets counted by every entry of every table of 'pipe'. */
static inline uint64_t
test_entry_packets(struct ft_pipeline *pipe)
{
	struct ft_program_info info;
	uint64_t sum = 0;

	ft_program_info(ft_pipeline_program(pipe), &info);
	for (uint32_t t = 0; t < info.n_tables; t++)
		ft_pipeline_table_walk(pipe, t, test_sum_packets, &sum);
	return sum;
}

/* vtep.p4 with its control and VTEP vocabulary, a pool of 'pool_pkts' buffers and a worker. */
struct test_side {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	uint32_t pool_pkts;
};

static inline void
test_side_init(struct test_side *s, uint32_t pool_pkts, uint32_t buf_len)
{
	struct ft_error err = {0};
	char path[4200];
	struct ft_program *prog;

	snprintf(path, sizeof(path), "%s/p4/vtep.p4", getenv("FT_SOURCE_ROOT"));
	prog = ft_p4_load(path, NULL, &err);
	if (prog == NULL)
		fail_msg("%s: %s", path, err.message);
	s->pipe = ft_pipeline_create(prog, NULL, &err);
	assert_non_null(s->pipe);
	s->ctl = ft_ctl_create(s->pipe);
	assert_non_null(s->ctl);
	assert_int_equal(ft_vtep_attach(s->ctl, &s->vtep, &err), 0);
	s->pool_pkts = pool_pkts;
	s->sp = ft_pkt_pool_simple_create(pool_pkts, buf_len, &s->pool);
	assert_non_null(s->sp);
	s->w = ft_worker_create(s->pipe, &s->pool, &err);
	assert_non_null(s->w);
}

/* Frees the side; every buffer must be back in its pool. */
static inline void
test_side_fini(struct test_side *s)
{
	ft_worker_destroy(s->w);
	assert_int_equal(ft_pkt_pool_simple_avail(s->sp), s->pool_pkts);
	ft_pkt_pool_simple_destroy(s->sp);
	ft_ctl_destroy(s->ctl);
	ft_vtep_destroy(s->vtep);
	ft_pipeline_destroy(s->pipe);
}

#endif
