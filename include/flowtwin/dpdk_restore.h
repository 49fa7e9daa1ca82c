/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Restore contexts for several workers (driver/dpdk/restore.c): how the
 * workers of '--offload rte_flow' turn the MARK of a received packet into
 * the restore context the model resumes from while the control thread
 * compiles and installs new rules.
 *
 * Why. The NIC's rules are shared by every worker, and so are their restore
 * contexts (compile.h). A compile rewrites the compiled state in place: it
 * frees the contexts of the compile before last, keeps the last one's as
 * "old", and indexes the new ones at its end; ft_offload_restore() is not
 * safe against that. Worker threads cannot wait for a compile (it takes as
 * long as the entries are many) nor run a marked packet from the start in
 * the model (the NIC may have changed it already: decapped it with an
 * OUTPUT context; and its rules have counted it). So the workers never read
 * the compiled state: they read a table of their own, by MARK, of pointers
 * to contexts the compiled state keeps alive, which the control thread
 * replaces around every compile (read-copy-update):
 *
 *   - before a compile: the table of the contexts the compile will keep
 *     (the last compile's, if it succeeded; else none), then a grace
 *     period, so that no worker still holds a pointer the compile frees;
 *   - after a compile that succeeded, before any of its rules is installed:
 *     the new contexts, and the last compile's (the rules that carry them
 *     stay until the update ends, and their packets may wait in the rx
 *     rings), then a grace period before the table it replaced is freed.
 *
 * The grace period is the pipeline's (pipeline.c): a worker publishes the
 * generation it saw when it enters a burst and 0 when it leaves it; the
 * control thread publishes the new table, bumps the generation and waits
 * until every reader is out or entered after the bump. Workers take no
 * lock and never wait; the control thread waits for at most one burst of
 * each worker.
 *
 * A MARK the table does not have (a compile failed and its rules went) runs
 * from the start, as the compiled state itself would run a MARK it does not
 * know.
 *
 * Packets that wait in the rx rings. A new compile may give an id that the
 * compile before last used, and the last one did not, to a new context: a
 * packet marked by rules two compiles old, still in a ring, would resume at
 * that new context. So before a compile drops those contexts, it waits
 * until each reader has found all its rx queues empty in a round of polls
 * begun after the compile started (every such packet reached the NIC before
 * the last update removed its rules): each reader reads
 * ft_dpdk_restore_round() before a round and, if every queue of the round
 * gave less than a full burst, says ft_dpdk_restore_drained() after it. A
 * reader that never says is not waited for; one whose queues never run dry
 * is waited for at most 100 ms, and that is logged once.
 *
 * Threads: ft_dpdk_restore_run() on reader i from one thread per reader,
 * any number of readers at once; everything else from the control thread
 * (the one that syncs), create and destroy while no reader runs.
 */
#ifndef FLOWTWIN_DPDK_RESTORE_H
#define FLOWTWIN_DPDK_RESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include <flowtwin/compile.h>
#include <flowtwin/dpdk_flow.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_dpdk_restore;

/*
 * Restore contexts for 'n_readers' worker threads (at least 1), empty until
 * the first compile. Caller owns the result; free with
 * ft_dpdk_restore_destroy(). NULL with 'err' set: -EINVAL (no reader),
 * -ENOMEM.
 */
struct ft_dpdk_restore *ft_dpdk_restore_create(uint32_t n_readers, struct ft_error *err);

/* Frees 'r' (no reader may run). NULL: nothing. */
void ft_dpdk_restore_destroy(struct ft_dpdk_restore *r);

/*
 * The ft_dpdk_flow_compile_fn for ft_dpdk_flow_params.on_compile, with
 * 'arg' the struct ft_dpdk_restore: before a compile of 'off' ('compiled'
 * false) and after one that succeeded (true), as the comment at the top
 * says. Control thread. When memory runs out for a new table, the readers
 * keep none (every marked packet runs from the start) until the next
 * compile: correct for packets the NIC did not finish, and logged.
 */
void ft_dpdk_restore_on_compile(void *arg, const struct ft_offload *off, bool compiled);

/*
 * Runs a received burst on reader 'reader' as ft_dpdk_flow_run() does (a
 * packet with an OUTPUT context is sent as it is on the context's port;
 * the others run in model worker 'w', from their RESUME context or from
 * the start), with the contexts of the published table. Packets are
 * changed in place and owned as with ft_worker_run(). Returns n_tx, or
 * -EINVAL (n > FT_BURST_MAX, reader out of range, or the model refused
 * the contexts).
 */
int ft_dpdk_restore_run(struct ft_dpdk_restore *r, uint32_t reader, struct ft_worker *w,
                        struct ft_pkt *const *pkts, uint16_t n, struct ft_dpdk_flow_result *res);

/* MARK ids the published table resolves now (tests, statistics). Control thread. */
uint32_t ft_dpdk_restore_n_marks(const struct ft_dpdk_restore *r);

/*
 * Reader side of the rx rings' drain (above): the round to pass to
 * ft_dpdk_restore_drained(), read before a round of polls; after the round,
 * if each of the reader's queues gave less than a full burst, the reader
 * says so. Both from the reader's thread.
 */
uint64_t ft_dpdk_restore_round(struct ft_dpdk_restore *r);
void ft_dpdk_restore_drained(struct ft_dpdk_restore *r, uint32_t reader, uint64_t round);

#ifdef __cplusplus
}
#endif

#endif
