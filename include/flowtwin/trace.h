/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet traces.
 *
 * A trace records every step one packet takes through a pipeline: how it
 * parsed, every table applied with its key, hit or miss and the entry, the
 * action that ran with its parameters, every header made valid or invalid
 * and every field changed with its old and new value, the conditions
 * evaluated, the copies made, and the outcome (the ports it left on, with
 * the bytes, or the drop and its reason). ft_worker_trace() (pipeline.h)
 * fills one.
 *
 * A trace renders as indented text, in the manner of Open vSwitch's
 * ofproto/trace, and as JSON. Both are what tests assert on.
 */
#ifndef FLOWTWIN_TRACE_H
#define FLOWTWIN_TRACE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_trace;
struct ft_pipeline;

/* Caller owns the result; free with ft_trace_destroy(). NULL when out of memory. */
struct ft_trace *ft_trace_create(void);
void ft_trace_destroy(struct ft_trace *trace);
/* Forgets every record, keeping the memory. */
void ft_trace_reset(struct ft_trace *trace);
/* Number of records. */
uint32_t ft_trace_len(const struct ft_trace *trace);

/*
 * Renders a trace recorded on 'pipe'. Caller owns the result; free with
 * free(). NULL when out of memory.
 */
char *ft_trace_text(const struct ft_trace *trace, const struct ft_pipeline *pipe);
char *ft_trace_json(const struct ft_trace *trace, const struct ft_pipeline *pipe);

#ifdef __cplusplus
}
#endif

#endif
