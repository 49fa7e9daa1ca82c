/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtwin: a match-action pipeline that runs on rte_flow NICs and in a
 * software model that is its exact twin. This header includes the whole
 * public API:
 *
 *	error.h     errors and logging
 *	drop.h      drop reasons
 *	packet.h    the packet view and packet pools
 *	parse.h     the packet parser and its layers
 *	program.h   the pipeline IR and its builder
 *	pipeline.h  pipelines: entries, transactions, workers, bursts, counters
 *	trace.h     packet traces as text and JSON
 *
 * Link with pkg-config's flowtwin (libflowtwin).
 */
#ifndef FLOWTWIN_FLOWTWIN_H
#define FLOWTWIN_FLOWTWIN_H

#include <flowtwin/drop.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/parse.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/trace.h>

#endif
