/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to model/ and its unit tests: not installed.
 *
 * Allocation-failure injection for program.c, so that tests can walk every
 * out-of-memory exit of the builder (the way Linux's failslab does): when set
 * to n > 0, the n-th allocation the builder makes from then on fails, and the
 * value drops back to 0. Tests only; it is not thread-safe.
 */
#ifndef FT_PROGRAM_PRIVATE_H
#define FT_PROGRAM_PRIVATE_H

#include <stdint.h>

extern uint32_t ft_program_alloc_fail;

#endif
