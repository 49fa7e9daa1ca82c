/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipelines: a program that runs, its table entries, and the workers that
 * push packets through it.
 *
 * ft_pipeline_create() checks a program (program.h) and compiles it: header
 * fields become byte offsets, actions become instruction lists, tables get
 * their match structures. Entries then come and go through transactions.
 *
 * Transactions. Entry adds, modifies and deletes, default-action changes and
 * replication-group changes are staged in a 'struct ft_txn' and take effect
 * together at ft_txn_commit(), across all tables, or not at all. Staging
 * checks each change on its own (key width, action allowed, parameters) and
 * rejects a bad one at once, leaving the transaction as it was. Commit checks
 * them against the tables (duplicates, missing entries, room) and applies
 * all of them or none. ft_txn_abort() drops them.
 *
 * How readers never see half a transaction: every table's match structure
 * exists twice. Workers read the active copy; commit applies the changes to
 * the other one, then switches every table at once with one atomic store,
 * waits until no worker still reads the old copies (each worker says when it
 * starts and ends a burst), and applies the same changes to them. Entries
 * themselves are immutable once published: a modify writes a new entry and
 * retires the old one after the wait. The packet path takes no lock and
 * never waits; commit waits for at most the longest burst in progress.
 *
 * Threads: one control thread (at a time) calls everything except
 * ft_worker_run() and ft_worker_trace(), which each worker's own thread
 * calls. Control functions serialize on a mutex of the pipeline.
 *
 * Counters: every entry has packet and byte counters, kept per worker and
 * summed when read; they survive modify and start at zero on add. Tables
 * with an idle timeout record when each entry last matched; ft_pipeline_expire()
 * deletes the idle ones and reports each.
 *
 * Learning (PNA add_on_miss): a worker that runs FT_OP_LEARN queues the new
 * entry in a per-worker ring; ft_pipeline_learn() (control thread) commits
 * what is queued and reports each entry learned. A request for a key that
 * is already present is ignored; a full ring drops requests and counts them.
 */
#ifndef FLOWTWIN_PIPELINE_H
#define FLOWTWIN_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include <flowtwin/drop.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/program.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_pipeline;
struct ft_worker;
struct ft_txn;
struct ft_trace;

/* Returns the current time in milliseconds on some monotonic clock. */
typedef uint64_t (*ft_clock_fn)(void *arg);

struct ft_pipeline_params {
	uint32_t n_workers_max; /* 0: 16 */
	ft_clock_fn clock;	/* NULL: CLOCK_MONOTONIC */
	void *clock_arg;
	uint32_t learn_ring_size; /* per worker; 0: 1024 */
};

/*
 * Checks 'prog' and builds a pipeline from it; 'params' may be NULL. On
 * success takes ownership of 'prog' (freed by ft_pipeline_destroy()); on
 * failure returns NULL with 'err' set and 'prog' is still the caller's.
 * Caller owns the result; free with ft_pipeline_destroy().
 */
struct ft_pipeline *ft_pipeline_create(struct ft_program *prog,
				       const struct ft_pipeline_params *params,
				       struct ft_error *err);

/* Destroys the pipeline and its program. All workers must be destroyed first. */
void ft_pipeline_destroy(struct ft_pipeline *pipe);

const struct ft_program *ft_pipeline_program(const struct ft_pipeline *pipe);

/* Bytes of memory the pipeline's tables take now (match structures and entries). */
uint64_t ft_pipeline_table_memory(const struct ft_pipeline *pipe, uint32_t table);

/* --- Entries and transactions -------------------------------------------- */

/* struct ft_entry: program.h. */

/*
 * Starts a transaction. Only one may be open per pipeline. Caller owns the
 * result; ft_txn_commit() or ft_txn_abort() frees it. NULL with -EBUSY in
 * 'err' if one is open, -ENOMEM when out of memory.
 */
struct ft_txn *ft_txn_begin(struct ft_pipeline *pipe, struct ft_error *err);

/* Stage one change. 'e' and what it points to are borrowed (copied). */
int ft_txn_entry_add(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
		     struct ft_error *err);
/* Changes the action of the entry with e's key (and mask, priority). */
int ft_txn_entry_modify(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
			struct ft_error *err);
/* Deletes the entry with e's key (and mask, priority); e->action is ignored. */
int ft_txn_entry_delete(struct ft_txn *txn, uint32_t table, const struct ft_entry *e,
			struct ft_error *err);
int ft_txn_default_set(struct ft_txn *txn, uint32_t table, uint32_t action, const uint8_t *data,
		       struct ft_error *err);

struct ft_group_member {
	uint32_t port;
	uint16_t rid;
};
/* Replaces the members of replication group 'group'; n == 0 empties it. */
int ft_txn_group_set(struct ft_txn *txn, uint32_t group, const struct ft_group_member *members,
		     uint32_t n, struct ft_error *err);
/* Sets the port of mirror session 'session'; UINT32_MAX disables it. */
int ft_txn_mirror_set(struct ft_txn *txn, uint32_t session, uint32_t port, struct ft_error *err);

/* Number of changes staged. */
uint32_t ft_txn_size(const struct ft_txn *txn);

/*
 * Applies every staged change, or none: on failure the tables are as they
 * were and 'err' names the change that could not be applied (its index in
 * staging order is err->index). Frees 'txn' either way.
 */
int ft_txn_commit(struct ft_txn *txn, struct ft_error *err);
void ft_txn_abort(struct ft_txn *txn);

struct ft_entry_info {
	uint32_t handle; /* stable for the entry's life, modify included */
	uint32_t action;
	uint32_t priority;
	const uint8_t *key, *mask, *data; /* valid until the next commit */
	uint64_t packets, bytes;
	uint64_t idle_ms; /* since the last hit (or the add), for tables with an idle timeout */
	bool learned;	  /* added by the data plane */
};

/* Reads the entry with e's key (and mask, priority): 0 or -ENOENT. */
int ft_pipeline_entry_read(struct ft_pipeline *pipe, uint32_t table, const struct ft_entry *e,
			   struct ft_entry_info *out);

/*
 * Called for each entry by the walk, learn and expire functions, with the
 * pipeline's lock held: it must not call back into the pipeline.
 */
typedef int (*ft_entry_fn)(uint32_t table, const struct ft_entry_info *entry, void *arg);

/* Calls 'fn' for each entry of 'table'; a non-zero return stops and is returned. */
int ft_pipeline_table_walk(struct ft_pipeline *pipe, uint32_t table, ft_entry_fn fn, void *arg);

/* The default action of a table and its data (valid until the next commit). */
int ft_pipeline_default_read(struct ft_pipeline *pipe, uint32_t table, uint32_t *action,
			     const uint8_t **data);

/* Reads cell 'index' of indexed counter array 'counter'. */
int ft_pipeline_counter_read(struct ft_pipeline *pipe, uint32_t counter, uint32_t index,
			     uint64_t *packets, uint64_t *bytes);

/*
 * Adds what a NIC counted on the pipeline's behalf (its rules' COUNT stands
 * for entries and counter cells: compile.h) to the entry with 'handle' in
 * 'table', or to a counter cell, so that the pipeline's counters hold the
 * NIC's share too. An entry credited with packets counts as hit now for
 * aging. Call it before the entry is deleted: a handle may be reused
 * after. Control thread. 0, or -EINVAL for a table, handle or cell out of range.
 */
int ft_pipeline_entry_credit(struct ft_pipeline *pipe, uint32_t table, uint32_t handle,
			     uint64_t packets, uint64_t bytes);
int ft_pipeline_counter_credit(struct ft_pipeline *pipe, uint32_t counter, uint32_t index,
			       uint64_t packets, uint64_t bytes);

/* Reads the members of a replication group; returns their number (<= max). */
int ft_pipeline_group_read(struct ft_pipeline *pipe, uint32_t group,
			   struct ft_group_member *members, uint32_t max);

/* --- Learning and aging (control thread) ---------------------------------- */

/*
 * Commits the entries queued by FT_OP_LEARN in every worker and calls 'fn'
 * (may be NULL) for each one added. Returns the number added.
 */
int ft_pipeline_learn(struct ft_pipeline *pipe, ft_entry_fn fn, void *arg, struct ft_error *err);

/*
 * Changes the idle timeout of a table whose entries age (its declaration's
 * idle_timeout_ms is not 0) to 'ms' (> 0), from the next
 * ft_pipeline_expire() on: "ageing 300" of the Linux bridge.
 */
int ft_pipeline_table_set_idle_timeout(struct ft_pipeline *pipe, uint32_t table, uint32_t ms,
				       struct ft_error *err);

/*
 * Deletes every entry idle for longer than its table's timeout, calling 'fn'
 * (may be NULL) for each before it goes. Returns the number deleted.
 */
int ft_pipeline_expire(struct ft_pipeline *pipe, ft_entry_fn fn, void *arg,
		       struct ft_error *err);

/* --- Statistics ------------------------------------------------------------ */

struct ft_stats {
	uint64_t rx;			/* packets in */
	uint64_t tx;			/* packets out, copies included */
	uint64_t copies;		/* extra packets made by replication and mirroring */
	uint64_t drop[FT_DROP_COUNT];	/* packets and copies dropped, by reason */
	uint64_t learn_lost;		/* learn requests dropped: ring full */
	uint64_t events_lost;		/* digests not reported: burst event list full */
};

struct ft_table_stats {
	uint64_t hits, misses;
	uint64_t learned, aged;
	uint32_t entries, size;
};

/* Sums over every worker (live and destroyed). */
void ft_pipeline_stats(struct ft_pipeline *pipe, struct ft_stats *out);
int ft_pipeline_table_stats(struct ft_pipeline *pipe, uint32_t table, struct ft_table_stats *out);
/* Packets dropped by (FT_DROP_ACTION, FT_DROP_NO_OUTPUT) after action 'action' ran last. */
uint64_t ft_pipeline_action_drops(struct ft_pipeline *pipe, uint32_t action);

/* --- Workers and the packet path ------------------------------------------ */

#define FT_BURST_MAX 64
#define FT_BURST_TX_MAX 256
#define FT_BURST_EVENTS_MAX 64

/*
 * Creates a worker: the per-thread state of the packet path. 'pool' gives
 * buffers for copies; it is copied; NULL means the worker cannot replicate
 * or mirror (such copies are dropped, FT_DROP_NO_BUFFER). Caller owns the
 * result; free with ft_worker_destroy(). NULL with 'err' set when the
 * pipeline already has n_workers_max workers.
 */
struct ft_worker *ft_worker_create(struct ft_pipeline *pipe, const struct ft_pkt_pool *pool,
				   struct ft_error *err);
void ft_worker_destroy(struct ft_worker *w);

struct ft_tx {
	struct ft_pkt *pkt; /* an input packet, or a copy from the worker's pool */
	uint32_t port;
	uint16_t src; /* index of the input packet it comes from */
};

enum ft_event_kind { FT_EVENT_DIGEST };

struct ft_event {
	enum ft_event_kind kind;
	uint16_t src; /* index of the input packet that raised it */
	uint32_t id;  /* digest id */
	uint16_t len; /* bytes of data: the digest's values packed as action data */
	uint8_t data[FT_DIGEST_BYTES_MAX];
};

struct ft_burst_result {
	uint32_t n_tx;
	uint32_t n_events;
	struct ft_tx tx[FT_BURST_TX_MAX];
	/*
	 * FT_DROP_NONE if anything derived from the packet (a copy, a mirror)
	 * was sent; else why not: for a replicated packet, the reason of its
	 * last copy. drop_action is the action that decided an FT_DROP_ACTION
	 * or NO_OUTPUT drop, in ingress or, for a copy, in egress.
	 */
	uint16_t drop[FT_BURST_MAX];
	uint16_t drop_action[FT_BURST_MAX];
	uint8_t used[FT_BURST_MAX];	    /* the input packet's buffer is in tx[] */
	struct ft_event events[FT_BURST_EVENTS_MAX];
};

/*
 * Runs up to FT_BURST_MAX packets through the pipeline. Packets are changed
 * in place. Input packets stay the caller's: those with used[i] set are in
 * tx[], the others are the caller's to free. Copies in tx[] come from the
 * worker's pool and are the caller's too. Returns n_tx. Never allocates,
 * never blocks.
 */
int ft_worker_run(struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
		  struct ft_burst_result *res);

/*
 * Runs one packet, as ft_worker_run() does, and records in 'trace' every
 * step it takes (trace.h). Slower; for tools and tests.
 */
int ft_worker_trace(struct ft_worker *w, struct ft_pkt *pkt, struct ft_trace *trace,
		    struct ft_burst_result *res);

/* --- Resuming where a NIC stopped (offload/) ------------------------------- */

/* One action the NIC ran: its id and packed data (NULL: none). */
struct ft_resume_step {
	uint32_t action;
	const uint8_t *data;
};

/*
 * Where the model picks up a packet a NIC handed over unchanged: the NIC
 * applied the ingress actions 'steps', in order, then stopped before ingress
 * node 'node' (FT_NODE_END: after the last one). The model parses the packet
 * as received, runs the steps again without counting (the NIC's rules
 * counted them) and without looking up the tables they came from, then
 * continues at 'node' as it would have.
 */
struct ft_resume {
	uint32_t node;
	const struct ft_resume_step *steps;
	uint32_t n_steps;
};

/*
 * As ft_worker_run(), for packets that resume: resume[i] says where packet i
 * resumes, NULL that it runs from the start. 'resume' may be NULL (none
 * resumes). A step naming an unknown action, or a node beyond the ingress
 * control, fails the burst with -EINVAL before any packet runs.
 */
int ft_worker_run_resume(struct ft_worker *w, struct ft_pkt *const *pkts,
			 const struct ft_resume *const *resume, uint16_t n,
			 struct ft_burst_result *res);

/*
 * Records in 'res' that packet 'src' of the burst leaves on 'port' as 'pkt',
 * for code that finishes packets outside the model (a NIC): as the model
 * would, or as a FT_DROP_TOO_MANY_COPIES drop when tx[] is full.
 */
void ft_burst_send(struct ft_burst_result *res, struct ft_pkt *pkt, uint32_t port, uint16_t src);

/* ft_worker_trace() for a packet that resumes ('resume' NULL: from the start). */
int ft_worker_trace_resume(struct ft_worker *w, struct ft_pkt *pkt, const struct ft_resume *resume,
			   struct ft_trace *trace, struct ft_burst_result *res);

#ifdef __cplusplus
}
#endif

#endif
