/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload compiler: a pipeline and its entries -> rte_flow rules.
 *
 * ft_offload_compile() reads the pipeline's program and current entries and
 * decides, for every path a packet can take through the ingress control, how
 * far a NIC of the given profile can carry it. It does so by running the
 * control symbolically, once per input port: header fields are values of
 * the received packet, metadata are constants or slices of the packet, and
 * every condition on the packet becomes pattern items. Each table applied
 * with a key the packet decides becomes a group (specialised by what is
 * known about the packet and the metadata when it is reached: the same
 * table may have several groups); each entry becomes one or more rules in
 * it, and every group has a catch-all for the table's default action. Group
 * 0 holds one thin rule per port that checks the packet is well formed
 * (INTEGRITY) and jumps.
 *
 * The NIC never changes a packet it hands to software: header changes are
 * made only by a rule that finishes the packet (VXLAN_DECAP, VLAN and MAC
 * rewrites, then a port or a queue). A rule that cannot finish the packet
 * marks it with a restore context and sends it to queue 0: the model then
 * resumes at the table (or condition) where the NIC stopped, after running
 * again, uncounted, the actions the NIC's rules stand for (pipeline.h:
 * ft_worker_run_resume()). Every such rule has a reason, and so has every
 * entry that is not in the NIC.
 *
 * Counters: every rule counts; ft_offload_rule_targets() says which entries
 * and counter cells its count stands for, so that NIC and software counts
 * add up to the model's.
 *
 * Thread-safety: one thread at a time. The pipeline must not change during
 * ft_offload_compile(); what the compiled state returns stays valid until the
 * next compile or ft_offload_destroy().
 */
#ifndef FLOWTWIN_COMPILE_H
#define FLOWTWIN_COMPILE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_flow.h>

#include <flowtwin/error.h>
#include <flowtwin/offload.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_offload;

struct ft_offload_params {
	const struct ft_nic_profile *profile;
	const uint32_t *ports; /* the input ports to compile for */
	uint32_t n_ports;
	uint32_t rules_max; /* 0: the profile's */
};

/*
 * Creates the compiled state of 'pipe' (borrowed: it must outlive the
 * result) for a NIC. Caller owns the result; free with ft_offload_destroy().
 * Compiles nothing yet.
 */
struct ft_offload *ft_offload_create(struct ft_pipeline *pipe,
				     const struct ft_offload_params *params, struct ft_error *err);
void ft_offload_destroy(struct ft_offload *off);

/*
 * Compiles the pipeline's current state from scratch, replacing the rules.
 * When they are more than the NIC holds (rules_max), entries are kept out
 * of the NIC, those of the table that takes the most rules first, until
 * the rules fit: such an entry has no rule, its table's catch-all sends the
 * packets that miss in the NIC to software, which looks them up there; its
 * placement says "table full in the NIC". Returns 0, -ENOMEM, or -ENOSPC
 * when the restore contexts outgrow MARK or the rules do not fit even so.
 */
int ft_offload_compile(struct ft_offload *off, struct ft_error *err);

/*
 * Keeps entry 'handle' of 'table' out of the NIC from the next compile on,
 * because the NIC refused a rule it needs (its placement then says so).
 * 0, -EINVAL or -ENOMEM.
 */
int ft_offload_entry_refused(struct ft_offload *off, uint32_t table, uint32_t handle);

uint32_t ft_offload_n_rules(const struct ft_offload *off);

#define FT_FLOW_ITEMS_MAX 16
#define FT_FLOW_ACTIONS_MAX 16

/* One rule as rte_flow arrays; everything points into the struct itself. */
struct ft_flow_buf {
	uint16_t port;
	struct rte_flow_attr attr;
	struct rte_flow_item pattern[FT_FLOW_ITEMS_MAX + 1];
	struct rte_flow_action actions[FT_FLOW_ACTIONS_MAX + 1];
	uint8_t store[2048] __attribute__((aligned(16)));
	uint32_t used;
};

/* Fills 'out' with rule 'i' (0 .. ft_offload_n_rules() - 1): 0 or -ENOENT. */
int ft_offload_rule(const struct ft_offload *off, uint32_t i, struct ft_flow_buf *out);

/*
 * Rule i's identity: 'match' hashes its port, group, priority and pattern,
 * 'action' those and its actions. Group and MARK ids stay the same from one
 * compile to the next for what did not change, so an installer that keeps
 * the rules whose both hashes it already has, and replaces those whose match
 * it has with other actions, changes only what the entries changed. 0 or
 * -ENOENT.
 */
int ft_offload_rule_key(const struct ft_offload *off, uint32_t i, uint64_t *match,
			uint64_t *action);

enum ft_target_kind { FT_TARGET_ENTRY, FT_TARGET_COUNTER };

/* One thing a rule's COUNT stands for: its packets and bytes count there too. */
struct ft_rule_target {
	enum ft_target_kind kind;
	uint32_t id;	     /* table, or counter array */
	uint32_t index;	     /* entry handle, or cell */
	int32_t bytes_delta; /* per packet: the length the model counts there less the
			      * length the NIC counted (an egress table after a decap) */
};

#define FT_RULE_TARGETS_MAX 16

/* Rule i's targets into 'targets' (at most FT_RULE_TARGETS_MAX), their count into *n: 0 or -ENOENT. */
int ft_offload_rule_targets(const struct ft_offload *off, uint32_t i,
			    struct ft_rule_target targets[FT_RULE_TARGETS_MAX], uint32_t *n);

/*
 * Credits what a NIC counted for rule i (its COUNT: packets, and bytes as the
 * NIC counted them) to the pipeline's entries and cells the rule stands for,
 * each with its byte delta (ft_pipeline_entry_credit()). 0 or -ENOENT.
 */
int ft_offload_rule_credit(const struct ft_offload *off, uint32_t i, uint64_t packets,
			   uint64_t bytes);

/*
 * The entry rule i stands for last (the deepest table it looked up): what to
 * keep out of the NIC when the NIC refuses the rule for room
 * (ft_offload_entry_refused()). False when it stands for none.
 */
bool ft_offload_rule_entry(const struct ft_offload *off, uint32_t i, uint32_t *table,
			   uint32_t *handle);

/* For a rule that drops: the model's drop reason and the action it blames. -ENOENT otherwise. */
int ft_offload_rule_drop(const struct ft_offload *off, uint32_t i, uint16_t *reason,
			 uint16_t *action);

enum ft_restore_kind {
	FT_RESTORE_RESUME, /* the model resumes: 'resume' */
	FT_RESTORE_OUTPUT, /* the NIC finished the packet: send it as it is on 'port' */
};

struct ft_restore {
	enum ft_restore_kind kind;
	uint32_t port;
	struct ft_resume resume;
	const char *reason; /* why the NIC stopped (RESUME) */
};

/* The restore context of MARK id 'mark', or NULL for an unknown one. */
const struct ft_restore *ft_offload_restore(const struct ft_offload *off, uint32_t mark);

/*
 * The MARK ids of the last compile's restore contexts (those its rules mark
 * with): ids[0 .. n - 1] for i < ft_offload_n_contexts(). O(contexts), not
 * O(rules).
 */
uint32_t ft_offload_n_contexts(const struct ft_offload *off);
uint32_t ft_offload_context_mark(const struct ft_offload *off, uint32_t i);

/*
 * The software side of a burst a NIC ran first: packets pkts[which[j]]
 * (j < m) reached software. A packet marked with an OUTPUT context leaves
 * as it is on its port; one with a RESUME context resumes in the model
 * (worker 'w'); an unmarked one, or one with a MARK no context has, runs
 * in the model from the start. ctx[j] receives its context (NULL: none).
 * What the model does lands in 'res' under the packets' indexes in 'pkts'
 * (drops, sends, events), after what the caller put there for the packets
 * the NIC finished; 'scratch' holds the model's own result. Returns 0 or
 * ft_worker_run_resume()'s error.
 */
int ft_offload_software(const struct ft_offload *off, struct ft_worker *w,
			struct ft_pkt *const *pkts, const uint16_t *which, uint16_t m,
			const struct ft_restore **ctx, struct ft_burst_result *scratch,
			struct ft_burst_result *res);

/*
 * ft_offload_software() with the contexts already found: ctx[j] is packet
 * pkts[which[j]]'s (NULL: it runs from the start). For a caller that keeps
 * the contexts elsewhere (driver/dpdk's restore table, read by several
 * workers); 'ctx' is borrowed and must stay valid until it returns.
 */
int ft_offload_resume(struct ft_worker *w, struct ft_pkt *const *pkts, const uint16_t *which,
		      uint16_t m, const struct ft_restore *const *ctx,
		      struct ft_burst_result *scratch, struct ft_burst_result *res);

/* Where an entry (or a table's default action, handle UINT32_MAX) runs. */
struct ft_placement {
	uint32_t table;
	uint32_t handle;
	uint32_t rules;	    /* rules that carry it into the NIC */
	uint32_t sw_rules;  /* rules that send its packets to software */
	const char *reason; /* why (some of) its packets go to software; NULL if none */
};

typedef int (*ft_placement_fn)(const struct ft_placement *p, void *arg);

/* Calls 'fn' for every entry and default action, by table then handle. */
int ft_offload_placement_walk(const struct ft_offload *off, ft_placement_fn fn, void *arg);

struct ft_offload_stats {
	uint32_t rules, groups, contexts;
	uint32_t entries_nic, entries_sw, entries_partial;
	uint64_t bytes; /* memory the compiled state takes */
};
void ft_offload_stats(const struct ft_offload *off, struct ft_offload_stats *out);

#ifdef __cplusplus
}
#endif

#endif
