/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_flow offload backend for real NICs (driver/dpdk/flow.c).
 *
 * A 'struct ft_dpdk_flow' does on ethdev ports what the twin (twin.h) does
 * in the software NIC: it owns a compiled state (compile.h) of a pipeline,
 * installs its rules with rte_flow_create(), changes them make-before-break
 * when the entries change (update.h: kept rules stay, changed ones go in at
 * the other parity of their doubled priority, groups jumped to first, then
 * the old ones go), reads their counters into the pipeline, and turns the
 * MARK of a received packet back into the restore context the model
 * resumes from. It is the dataplane's '--offload rte_flow'.
 *
 * Profile. Without one in the params, ft_dpdk_flow_create() picks it
 * (ft_dpdk_flow_profile_pick()) from what each port says of itself
 * (ft_dpdk_flow_facts_get(): the PMD's name, the PCI device id, the
 * firmware version, whether the port runs mlx5's hardware steering, and a
 * probe: rte_flow_validate() of one representative rule per capability the
 * profiles differ by). A port whose PMD offloads no rte_flow rule at all
 * (net_null, net_ring, net_pcap, net_af_packet: rte_flow_validate() says
 * ENOSYS or ENOTSUP) fails with -ENOTSUP and "port N (driver X) offloads no
 * rte_flow rules": the caller then falls back to '--offload none'.
 *
 * API. DPDK 22.11's mlx5 takes either rte_flow_create() (dv_flow_en=1) or
 * the template API (dv_flow_en=2), never both. A sync profile (cx5, cx6dx,
 * bf2) installs with rte_flow_create(). A template profile (cx7, bf3), or
 * params->api FT_DPDK_FLOW_API_TEMPLATE, runs through the asynchronous
 * template API (driver/dpdk/flow_template.c): ft_dpdk_flow_create()
 * checks rte_flow_info_get() on each port rules go on (a port without the
 * template API, net_null or mlx5 in dv_flow_en=1, fails with -ENOTSUP "...
 * the template API is not supported on this port"), then stops the port,
 * calls rte_flow_configure() (one flow queue, a counter per rule up to
 * what the port has: 22.11 refuses it on a started port) and starts the
 * port again, before any rule exists. A sync then builds the template
 * plan of the compiled rules (template.h), creates the pattern templates,
 * actions templates and template tables it lacks (a plan table becomes one
 * table per priority parity, 2p and 2p + 1, since a rule's priority is its
 * table's in 22.11), enqueues the rules with rte_flow_async_create()
 * (postponed, pushed in batches, completions pulled with rte_flow_pull()
 * before the next group goes in) and the removals with
 * rte_flow_async_destroy(), make-before-break as above, then destroys the
 * tables no rule is in and the templates no table uses. A table without
 * room for its old rules and the new ones is replaced by a bigger one: the
 * rules it keeps are created again in the new table (same match, same
 * actions: either copy gives a packet the same result) before the old
 * ones go.
 *
 * Ports. Every port must be started (ft_dpdk_port_open()) before
 * ft_dpdk_flow_create(); under the template API it is stopped and started
 * again once, inside the call (above). Transfer rules (bf2, bf3) are
 * installed on the port's transfer proxy (rte_flow_pick_transfer_proxy()).
 * Rules do not survive a port stop: after the port is started again, call
 * ft_dpdk_flow_reinstall(). Under the template API the flow engine's
 * configuration, the templates and the tables outlive the restart; only
 * the rules go in again (not even them on a port that says
 * RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP). A port configured again
 * (rte_eth_dev_configure()) needs a new backend: destroy and create.
 *
 * Refusals. When the NIC refuses a rule with ENOSPC or ENOMEM (a table is
 * full; under the template API also a rule whose completion says
 * RTE_FLOW_OP_ERROR, which gives no reason, and a rule the template API
 * cannot express), the entry it stands for is kept out of the NIC
 * (ft_offload_entry_refused()) and the rules are compiled and installed
 * again, as the twin does. Any other refusal (a template or a table the
 * PMD refuses included) removes every rule (rte_flow_flush() on every
 * port; each rule under the template API): every packet then reaches software
 * unmarked and the model runs it, so the twin property holds; the error
 * says which rule, with the PMD's message and the rule in testpmd syntax.
 *
 * Errors. Every rte_flow error becomes a 'struct ft_error' in one place
 * (flow.c: dpdk_flow_error()): kind FT_ERR_RULE with the compiled rule's
 * index (or FT_ERR_RESOURCE with the port for a flush, a query, a proxy,
 * rte_flow_info_get(), rte_flow_configure()), and the message "CALL: PMD
 * MESSAGE (ERRNO TEXT): flow create ..." (the rule in rte_flow_create()'s
 * syntax, the template API's too: paste it into testpmd) cut to
 * FT_ERROR_MSG_MAX; the full text goes to the log (module "driver").
 *
 * Threads. Everything but ft_dpdk_flow_resume() and ft_dpdk_flow_run() is
 * for the control thread. The packet-path functions read the restore
 * contexts of the compiled state, which a sync replaces: as with the twin,
 * do not sync while a worker runs packets. Workers that run packets while
 * the control thread syncs (the daemon's) read the contexts through
 * dpdk_restore.h instead, which params->on_compile keeps up to date.
 */
#ifndef FLOWTWIN_DPDK_FLOW_H
#define FLOWTWIN_DPDK_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <flowtwin/compile.h>
#include <flowtwin/error.h>
#include <flowtwin/offload.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/twin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A hook around the compiles of a sync: see ft_dpdk_flow_params.on_compile. */
typedef void (*ft_dpdk_flow_compile_fn)(void *arg, const struct ft_offload *off, bool compiled);

enum ft_dpdk_flow_api {
	FT_DPDK_FLOW_API_AUTO,     /* what the profile (picked or given) says */
	FT_DPDK_FLOW_API_SYNC,     /* rte_flow_create() (mlx5 dv_flow_en=1) */
	FT_DPDK_FLOW_API_TEMPLATE, /* the async template API (dv_flow_en=2) */
};

struct ft_dpdk_flow_params {
	const uint16_t *ports; /* the ethdev ports the pipeline receives on (borrowed) */
	uint32_t n_ports;
	const struct ft_nic_profile *profile; /* NULL: picked from the first port */
	enum ft_dpdk_flow_api api;
	uint32_t rules_max; /* 0: the profile's */
	/* Called by a sync before each compile ('compiled' false) and after each
	 * one that succeeded, before any of its rules goes in (true); NULL: none.
	 * ft_dpdk_restore_on_compile() (dpdk_restore.h) is one. */
	ft_dpdk_flow_compile_fn on_compile;
	void *compile_arg;
};

/* --- Profile pick (testable without a device) -------------------------------------- */

/* The representative rules of the probe: one per capability the profiles differ by. */
enum ft_dpdk_flow_probe {
	FT_DPDK_PROBE_JUMP,        /* group 0: eth / end -> jump group 1 */
	FT_DPDK_PROBE_INTEGRITY,   /* group 1: eth / integrity l3_ok l4_ok -> fate */
	FT_DPDK_PROBE_VXLAN_DECAP, /* group 1: eth / ipv4 / udp 4789 / vxlan vni 100 ->
	                            * vxlan_decap / fate */
	FT_DPDK_PROBE_PUSH_VLAN,   /* group 1: eth -> of_push_vlan / of_set_vlan_vid / fate */
	FT_DPDK_PROBE_MARK,        /* group 1: eth -> mark id 1 / fate */
	FT_DPDK_PROBE_COUNT,       /* group 1: eth -> count / fate */
	FT_DPDK_PROBE_N,
};

/* What a port says of itself; everything is borrowed or copied in. */
struct ft_dpdk_flow_facts {
	char driver[64];     /* rte_eth_dev_info.driver_name: "mlx5_pci", "net_null" */
	uint16_t pci_vendor; /* 0x15b3 for NVIDIA/Mellanox; 0: not a PCI device */
	uint16_t pci_device; /* 0x1017 ConnectX-5, 0x101d ConnectX-6 Dx, 0x1021 ConnectX-7,
	                      * 0xa2d6 BlueField-2, 0xa2dc BlueField-3, ... */
	char fw_version[64]; /* rte_eth_dev_fw_version_get(), or "" */
	bool template_api;   /* rte_flow_info_get() works: mlx5 hardware steering (dv_flow_en=2) */
	bool esw_manager;    /* the port is its own transfer proxy in a switch domain */
	bool probed;         /* the probe ran (not in hardware steering, which has no
	                      * rte_flow_validate() of its own) */
	int probe[2][FT_DPDK_PROBE_N]; /* [ingress, transfer]: rte_flow_validate()'s result:
	                                * 0 or a negative errno */
};

/*
 * Fills 'facts' for ethdev port 'port'. Returns 0, or -ENODEV / the PMD's
 * error ('err' set). Runs rte_flow_validate() only (no rule is created).
 */
int ft_dpdk_flow_facts_get(uint16_t port, struct ft_dpdk_flow_facts *facts, struct ft_error *err);

/*
 * Picks the profile of a port from its facts ('port' only names it in
 * messages):
 *
 *   - a PMD that validated no probe rule with anything but ENOSYS or
 *     ENOTSUP: -ENOTSUP "port N (driver X) offloads no rte_flow rules";
 *     another non-mlx5 PMD: -ENOTSUP "... has no flowtwin profile";
 *   - mlx5: the family from the PCI device id (ConnectX-5: cx5; ConnectX-6,
 *     6 Dx, 6 Lx and their VFs: cx6dx; ConnectX-7 and later: cx7;
 *     BlueField-2: bf2; BlueField-3: bf3), then the steering mode
 *     decides the API: in hardware steering a sync profile becomes its
 *     template sibling (cx6dx -> cx7, bf2 -> bf3), in software steering a
 *     template one its sync sibling (cx7 -> cx6dx, bf3 -> bf2); ConnectX-5
 *     has no hardware steering (-ENOTSUP). A BlueField port that is not the
 *     E-Switch manager gets the ingress sibling (bf2 -> cx6dx, bf3 -> cx7).
 *     An unknown device id: cx7 in hardware steering, else cx6dx if the
 *     INTEGRITY probe passed, else cx5.
 *   - then, when the probe ran, the profile must pass every probe of what
 *     it uses (JUMP, MARK and COUNT always; INTEGRITY, VXLAN_DECAP and
 *     OF_PUSH_VLAN if it has them), in its domain; if not, the next lesser
 *     profile of the same API and domain that does (cx6dx -> cx5), else
 *     -ENOTSUP naming the probe the NIC refused.
 *
 * Returns 0 with *out set, or -ENOTSUP with 'err' (FT_ERR_RESOURCE, index
 * = port) set.
 */
int ft_dpdk_flow_profile_pick(const struct ft_dpdk_flow_facts *facts, uint32_t port,
                              const struct ft_nic_profile **out, struct ft_error *err);

/* --- The backend ---------------------------------------------------------------- */

struct ft_dpdk_flow;

/*
 * Creates the backend for 'pipe' (borrowed: it must outlive the result) on
 * params->ports (started). Picks the profile unless given, finds the
 * transfer proxies; under the template API configures each port's flow
 * engine (stopping and starting the port); installs nothing yet
 * (ft_dpdk_flow_sync()). Caller owns the result; free with
 * ft_dpdk_flow_destroy(). NULL with 'err' set: -EINVAL (no ports),
 * -ENODEV (a port is not an ethdev port), -ENOTSUP (the PMD offloads
 * nothing, no profile fits, no template API on a port), the PMD's code for
 * a failed rte_flow_configure() (the port is started again), -ENOMEM.
 */
struct ft_dpdk_flow *ft_dpdk_flow_create(struct ft_pipeline *pipe,
                                         const struct ft_dpdk_flow_params *params,
                                         struct ft_error *err);

/*
 * Collects the counters, then removes every rule (rte_flow_flush() on
 * every port and proxy; under the template API each rule, then the tables
 * and templates) and frees the backend. NULL: nothing.
 */
void ft_dpdk_flow_destroy(struct ft_dpdk_flow *f);

/*
 * Compiles the pipeline's current state and changes the installed rules to
 * it, make-before-break, counters collected first (as ft_twin_sync()).
 * Returns 0, or a negative code with 'err' set when compiling failed or
 * the NIC refused a rule for another reason than room: then no rule is
 * installed (every packet reaches software unmarked).
 */
int ft_dpdk_flow_sync(struct ft_dpdk_flow *f, struct ft_error *err);

/*
 * After a port restart (rte_eth_dev_start(): the NIC forgot every rule):
 * forgets the rule handles, without destroying them, and installs every
 * rule again (under the template API into the tables, which stay). Counts
 * since the last collect are lost: collect before the port stops. Returns
 * as ft_dpdk_flow_sync().
 */
int ft_dpdk_flow_reinstall(struct ft_dpdk_flow *f, struct ft_error *err);

/*
 * Reads every installed rule's COUNT with reset (rte_flow_query()) and
 * credits it to the pipeline's entries and counter cells the rule stands
 * for (ft_offload_rule_targets(), with their bytes_delta). Returns 0, or
 * the number of rules whose query failed (their counts stay in the NIC).
 */
int ft_dpdk_flow_counters_collect(struct ft_dpdk_flow *f);

/* The profile, the compiled state (borrowed, valid until ft_dpdk_flow_destroy()). */
const struct ft_nic_profile *ft_dpdk_flow_profile(const struct ft_dpdk_flow *f);
struct ft_offload *ft_dpdk_flow_offload(const struct ft_dpdk_flow *f);

/* Rules installed now. */
uint32_t ft_dpdk_flow_n_rules(const struct ft_dpdk_flow *f);

/* What the last sync did (kept, added, removed: as the twin's). */
void ft_dpdk_flow_last_sync(const struct ft_dpdk_flow *f, struct ft_twin_sync_stats *out);

/* --- The packet path ---------------------------------------------------------------- */

/*
 * An ft_dpdk_resume_fn (dpdk.h) for ft_dpdk_worker_params.resume, with
 * 'arg' the struct ft_dpdk_flow: a packet the NIC marked
 * (RTE_MBUF_F_RX_FDIR_ID, read into FT_PKT_F_MARK and 'mark') resumes at
 * its restore context; an unmarked one, or one with a MARK no context has,
 * runs from the start (NULL). Only for transfer profiles (bf2): an ingress
 * profile's NIC finishes packets it cannot send with an OUTPUT context,
 * which a resume function cannot express: it returns NULL for them, and
 * the model would run a packet the NIC already changed. Use
 * ft_dpdk_flow_run() (or ft_dpdk_flow_run_fn()) for every profile.
 */
const struct ft_resume *ft_dpdk_flow_resume(void *arg, const struct ft_pkt *pkt);

struct ft_dpdk_flow_result {
	struct ft_burst_result burst;         /* as ft_worker_run() would fill it */
	enum ft_twin_path path[FT_BURST_MAX]; /* per packet: FT_TWIN_NIC (an OUTPUT context:
	                                       * sent as it is), FT_TWIN_RESUMED (a RESUME
	                                       * context), FT_TWIN_SOFTWARE (unmarked, or an
	                                       * unknown MARK: from the start) */
	uint32_t bad_mark;                    /* packets with a MARK no context has */
};

/*
 * Runs a received burst (single-segment packets, in_port and MARK set, as
 * ft_dpdk_worker hands them to a run function) the way the NIC's rules left
 * it: a packet with an OUTPUT context is sent as it is on the context's
 * port; the others go through ft_worker_run_resume() on model worker 'w',
 * from their RESUME context or from the start. Packets are changed in place
 * and owned as with ft_worker_run(). Returns n_tx, or -EINVAL (n >
 * FT_BURST_MAX, or the model refused the contexts).
 */
int ft_dpdk_flow_run(struct ft_dpdk_flow *f, struct ft_worker *w, struct ft_pkt *const *pkts,
                     uint16_t n, struct ft_dpdk_flow_result *res);

/*
 * The same as an ft_dpdk_run_fn (dpdk.h) for ft_dpdk_worker_params.run,
 * with 'arg' the struct ft_dpdk_flow; the result lives in the backend
 * (one worker thread only) until the next call.
 */
int ft_dpdk_flow_run_fn(void *arg, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
                        struct ft_burst_result **res);

#ifdef __cplusplus
}
#endif

#endif
