/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The twin path: a pipeline's entries compiled into rte_flow rules, the
 * rules executed by the software NIC (sim.h), and the model resuming
 * whatever the NIC hands to software. This is the right-hand side of the
 * twin property (shared/DESIGN.md):
 *
 *	resume(S, nic(compile(S), p))
 *
 * and what `flowtwin verify`, the differential tests and the dataplane's
 * `--offload sim` backend run.
 *
 * A 'struct ft_twin' owns a compiled state (compile.h) and a software NIC.
 * ft_twin_sync() recompiles the pipeline's current entries and changes the
 * installed rules to the new ones, make-before-break: rules that did not
 * change stay; new and changed ones are installed first (a changed one at
 * the other of its two priority slots, so that the old one wins until it
 * goes), the groups jumped to before the rules that jump; then the rules
 * that went are removed. NIC priorities are therefore twice the compiled
 * ones (+ 1). Counters are read first. When the NIC
 * refuses a rule that stands for an entry, that entry is kept out of the
 * NIC (ft_offload_entry_refused()) and the rules are compiled and installed
 * again; when it refuses another rule (a classifier or a catch-all), no
 * rule stays installed and every packet reaches software unmarked. Either
 * way the twin property stays true.
 *
 * Per packet the NIC either finishes it (sends it on a port, or drops it
 * with the model's reason), or hands it to software with a restore context
 * (MARK), which the model resumes, or delivers it unmarked, which the model
 * runs from the start. ft_twin_run() returns, per burst, what
 * ft_worker_run() returns, plus how each packet went and the rules it hit.
 *
 * Counters: a rule's COUNT stands for the entries and counter cells its
 * targets name (compile.h). ft_twin_counters_collect() reads every rule's
 * counter with reset and credits the counts to the pipeline
 * (ft_pipeline_entry_credit()), whose counters then hold the NIC's share
 * and the software's. Collect before deleting entries: ft_twin_sync()
 * collects too, but a deleted entry's handle may have been reused by then.
 *
 * Several threads (the dataplane's workers) share one twin, and so one
 * compile and one rule set, through lanes: each thread runs its bursts
 * with ft_twin_lane_run() on its own lane, which holds what a thread
 * writes: the NIC's counts of its packets (ft_sim_rx_count()) and the
 * model's scratch result. ft_twin_counters_collect() adds every lane's
 * counts to the rules' own before crediting them, so that the pipeline's
 * counters hold what the NIC counted on every lane.
 *
 * Thread-safety: ft_twin_lane_run() may run on several threads at once,
 * each with its own lane and its own model worker, and one more thread may
 * collect the counters (ft_twin_counters_collect(), ft_twin_counters_diff())
 * and read the compiled state meanwhile. Everything else (sync, lane create
 * and destroy, ft_twin_run()) is for one thread at a time, while no lane
 * runs: the caller keeps the lanes out meanwhile (the dataplane runs such
 * bursts through the model alone, which the twin property makes the same).
 */
#ifndef FLOWTWIN_TWIN_H
#define FLOWTWIN_TWIN_H

#include <stdbool.h>
#include <stdint.h>

#include <flowtwin/compile.h>
#include <flowtwin/error.h>
#include <flowtwin/offload.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/sim.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_twin;
struct ft_twin_lane;

struct ft_twin_params {
	const struct ft_nic_profile *profile;
	const uint32_t *ports; /* the input ports (borrowed) */
	uint32_t n_ports;
	uint32_t rules_max; /* 0: the profile's */
	bool strict;	    /* the sim refuses overlapping rules of equal priority */
	uint32_t refuse_one_in; /* failure injection in the sim (sim.h); 0: none */
	uint64_t refuse_seed;
	/* Called after each rule a sync installs or removes (tests check there
	 * that every packet meets the old state or the new one); NULL: none. */
	void (*on_step)(void *arg);
	void *step_arg;
};

/*
 * A twin for 'pipe' (borrowed; it must outlive the twin). No rules are
 * installed until ft_twin_sync(). Its NIC computes an encap's zero UDP
 * source port with a hash of its own, not the model's (ft_twin_diff()). Caller owns the result; free with
 * ft_twin_destroy(). NULL with 'err' set on failure.
 */
struct ft_twin *ft_twin_create(struct ft_pipeline *pipe, const struct ft_twin_params *params,
			       struct ft_error *err);
void ft_twin_destroy(struct ft_twin *t);

/*
 * Compiles the pipeline's current state and replaces the installed rules
 * (counters of the old ones are collected first). Returns 0, or a negative
 * code with 'err' set when compiling failed or the NIC refused a rule that
 * stands for no entry (FT_ERR_RULE, index = the rule): then no rule is
 * installed.
 */
int ft_twin_sync(struct ft_twin *t, struct ft_error *err);

/* The compiled state and the NIC (borrowed, valid until ft_twin_destroy()). */
struct ft_offload *ft_twin_offload(const struct ft_twin *t);
struct ft_sim *ft_twin_sim(const struct ft_twin *t);

/* Rules installed. */
uint32_t ft_twin_n_rules(const struct ft_twin *t);

/* What the last ft_twin_sync() did to the NIC's rules. */
struct ft_twin_sync_stats {
	uint32_t kept, added, removed;
};
void ft_twin_last_sync(const struct ft_twin *t, struct ft_twin_sync_stats *out);

enum ft_twin_path {
	FT_TWIN_NIC,	  /* the NIC finished it: sent on a port, or dropped */
	FT_TWIN_RESUMED,  /* handed to software with a restore context */
	FT_TWIN_SOFTWARE, /* reached software unmarked: the model ran it from the start */
};

#define FT_TWIN_HITS_MAX FT_SIM_HITS_MAX

struct ft_twin_pkt {
	enum ft_twin_path path;
	bool undefined;	   /* the sim met a case rte_flow leaves undefined */
	bool bad_mark;	   /* marked with an id no restore context has */
	uint32_t mark;	   /* the restore context (FT_TWIN_RESUMED), else 0 */
	uint32_t n_hits;   /* rules that matched, in order (indexes for ft_offload_rule()) */
	uint32_t hits[FT_TWIN_HITS_MAX];
	/* FT_TWIN_NIC: where the UDP source port that the NIC computed for an
	 * encap is in the packet it sent (struct ft_sim_result); else 0: none. */
	uint16_t encap_udp_src_off;
};

struct ft_twin_result {
	struct ft_burst_result burst; /* as ft_worker_run() would fill it */
	struct ft_twin_pkt pkt[FT_BURST_MAX];
};

/*
 * Runs up to FT_BURST_MAX packets through the NIC, then the model for those
 * that reach software (worker 'w' of the twin's pipeline). Packets are
 * changed in place and owned as with ft_worker_run(). Returns n_tx, or
 * -EINVAL when n > FT_BURST_MAX or a packet is not single-segment.
 */
int ft_twin_run(struct ft_twin *t, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
		struct ft_twin_result *res);

/*
 * A lane of 't' for one thread (see Thread-safety above); its counters are
 * sized to the rules at every sync. Caller owns the result; free with
 * ft_twin_lane_destroy() or, with the rest, ft_twin_destroy(). NULL with
 * 'err' set (-ENOMEM) on failure.
 */
struct ft_twin_lane *ft_twin_lane_create(struct ft_twin *t, struct ft_error *err);

/* Collects the twin's counters (this lane's counts with them) and frees 'l'. NULL: nothing. */
void ft_twin_lane_destroy(struct ft_twin_lane *l);

/*
 * As ft_twin_run() on the lane's twin, from the lane's thread: the NIC's
 * counts go to the lane, the model's scratch is the lane's. Several lanes
 * may run at once, and a collect meanwhile; never during a sync, a lane's
 * create or destroy, or ft_twin_run(). Returns as ft_twin_run().
 */
int ft_twin_lane_run(struct ft_twin_lane *l, struct ft_worker *w, struct ft_pkt *const *pkts,
		     uint16_t n, struct ft_twin_result *res);

/*
 * Reads every installed rule's counter with reset, adds what each lane
 * counted for it since the last collect, and credits the sum to the
 * pipeline. The lanes may run meanwhile (not a sync, not ft_twin_run()).
 */
int ft_twin_counters_collect(struct ft_twin *t);

/*
 * The twin property for packet i of a burst that ran through the model
 * alone ('model', ft_worker_run()) and through the twin ('twin'): NULL if
 * everything observable is equal (the packets sent, port and bytes, in
 * order; the drop and the action it is blamed on; the events), else what
 * differs first. A packet the sim met undefined, or that carried an
 * unknown MARK, differs too.
 *
 * The twin property (shared/DESIGN.md) leaves one field to the target: a
 * field the program writes from a TARGET_DEFAULT hash is target-defined,
 * and on the NIC path the outer UDP source port of an encap is the NIC's
 * own entropy (vtep.p4's udp_src_hash). So when the NIC sent the packet
 * (FT_TWIN_NIC) with such a port (pkt[i].encap_udp_src_off), the packet it
 * sent must leave on the same port as the model's, with the same length
 * and the same bytes but those two, and they must not be 0 (an entropy
 * port, RFC 7348). Nothing else is masked: a packet resumed or run by
 * software after the NIC's encap is compared byte for byte.
 */
const char *ft_twin_diff(const struct ft_burst_result *model, const struct ft_twin_result *twin,
			 uint16_t i);

/*
 * Compares the counters of every entry and counter cell of 'model' (a
 * pipeline that ran the same packets alone, with the same entries) with
 * the twin's, after collecting the NIC's share. 0 if equal, else 1 with
 * what differs in 'why'.
 */
int ft_twin_counters_diff(struct ft_twin *t, struct ft_pipeline *model, char *why, size_t size);

#ifdef __cplusplus
}
#endif

#endif
