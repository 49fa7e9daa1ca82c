/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Small things several test programs need (tests/ only, not installed):
 * whether the build runs under AddressSanitizer, and the packets counted
 * over every entry of a pipeline.
 */
#ifndef FT_TEST_UTIL_H
#define FT_TEST_UTIL_H

#include <stdint.h>

#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

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

#endif
