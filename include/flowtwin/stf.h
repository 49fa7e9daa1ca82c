/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STF runner: p4c's Simple Test Framework over a pipeline.
 *
 * An STF file is a list of lines, one command each, that p4c's test drivers
 * (backends/bmv2/bmv2stf.py, tools/stf/stf_parser.py) feed to a P4 target:
 * table entries, packets to send, the packets expected back. ft_stf_run()
 * runs one such file on a pipeline of the software model and compares what
 * comes out with what the file expects, the way p4c's bmv2 runner does.
 *
 * Commands (keywords in any case; '#' starts a comment anywhere on a line):
 *
 *   add TABLE [PRIORITY] FIELD:VALUE... ACTION(PARAM:VALUE, ...) [= NAME]
 *	Adds an entry. FIELD is a key field as the P4 program spells it:
 *	"hdr.ethernet.dst_addr", "meta.vni", "istd.input_port", or any
 *	dotted suffix of it that names one key field of the table
 *	("ethernet.dst_addr", "dst_addr"); the first component may also be
 *	the program's own name for its struct ("user_meta.vni"). A key field
 *	left out matches anything (ternary, lpm) or 0 (exact), as in bmv2.
 *	VALUE is decimal, 0x hex or 0b binary. Ternary fields also take '*'
 *	digits (0x0a0b****: those nibbles do not matter, and neither do the
 *	bits above the digits written) or VALUE&&&MASK; lpm fields take
 *	VALUE/LENGTH or '*' digits at the end. A value without '*' or mask
 *	matches exactly. PRIORITY counts for ternary tables only; the larger
 *	wins, as in p4c's samples (bmv2stf.py hands bmv2 10000 - PRIORITY).
 *	Tables and actions are found by name, or by a unique dotted suffix
 *	either way ("ingress.fwd" for "fwd" and "fwd" for "MainControl.fwd").
 *	NAME names the entry for check_counter.
 *   setdefault TABLE ACTION(PARAM:VALUE, ...)
 *	Sets the table's default action.
 *   packet PORT HEX...
 *	Runs a packet, received on PORT, through the pipeline at once. Spaces
 *	may separate the hex digits anywhere; their number must be even.
 *   expect PORT [HEX...[$]]
 *	Expects a packet on PORT. '*' is a hex digit that does not matter.
 *	Without '$' the packet may be longer than the digits; with '$' at the
 *	end its length must be exactly theirs. Without data, any number of
 *	packets (even none) on PORT is fine, as in bmv2stf.py.
 *   no_packet
 *	p4c's "expect no packet". Every packet that no expect claims fails
 *	the run anyway, so this only documents the intent.
 *   wait
 *	With a control session: ft_ctl_poll(), which commits the entries the
 *	data plane asked to learn, deletes those idle past their table's
 *	timeout, and runs the vocabularies' timers; each line it writes
 *	("learned vni 100 mac ... dst 10.0.0.2", "aged ...") is an event (a
 *	leading "event " is dropped). Without one: ft_pipeline_learn() and
 *	ft_pipeline_expire(), silently. Packets run synchronously, so nothing
 *	else is left to wait for.
 *   advance SECONDS | advance MILLISECONDSms
 *	(flowtwin extension) Moves the pipeline's clock forward, through the
 *	options' 'advance' hook (ft_stf_run_opts()); an error (-ENOTSUP)
 *	without one. Nothing expires until the next 'wait'.
 *   expect_event TEXT...
 *	(flowtwin extension) Expects the next event, in the order events
 *	happen, to read TEXT (runs of white space count as one space). An
 *	event is a digest raised by a packet or a line of 'wait'. A digest
 *	matches either its text (ft_ctl_event_text(), e.g. "l2miss vni 100
 *	mac 02:00:00:00:00:05") or its raw form "DIGEST HEX" (the digest's
 *	name in the program and its data in hex, e.g. "l2miss_digest
 *	00006402000000000500000001").
 *   no_event
 *	(flowtwin extension) Turns event checking on without expecting one:
 *	documents that the file raises no event beyond its expect_event lines.
 *   check_counter NAME(INDEX) [packets|bytes OP NUMBER]
 *	Checks cell INDEX of indexed counter array NAME, or with INDEX $ENTRY
 *	(or ENTRY), the counters of the entry that 'add ... = ENTRY' named
 *	(NAME is then not looked at: entry counters have no name here). OP is
 *	==, !=, <, <=, > or >=. Without a condition the counter only has to
 *	exist; its value is written to 'out'.
 *   remove all
 *	Deletes every entry of every table but the program's const entries.
 *
 * Any other line goes to ft_ctl_exec() (ctl.h), in its own syntax:
 * table_add, group_set, mirror_set and the vocabularies of 'ctl'.
 *
 * Checking. Packets sent by the pipeline are kept per port in the order they
 * come out; expects are kept per port in file order, wherever they stand
 * relative to the packet lines (p4c's samples put them before or after).
 * When the file ends, the n-th expect of a port is compared with the n-th
 * packet out of that port. Each of these is one failure: a packet that
 * differs, is too short, or (with '$') too long; an expect with no packet
 * left for it; a packet that no expect claims; a check_counter that does not
 * hold. An expect left over whose data matches a packet left over on another
 * port is reported once, as sent to the wrong port. Each failure is written
 * to 'out' as one line that starts "PATH:LINE: " with the line of the expect
 * (or of the packet line that caused the output), the port, and the bytes
 * expected and received in hex.
 *
 * Events. Every event is written to 'out' as it happens, as "event TEXT"
 * (a digest's text, or its raw form when there is no control session or it
 * has no text). In a file with at least one expect_event or no_event line,
 * events are checked when the file ends, as packets are: the n-th
 * expect_event against the n-th event, wherever the lines stand. Each of
 * these is one failure: an event whose text is not the expected one ("expected
 * event 'A', got 'B'", at the expect_event's line), an expect_event with no
 * event left ("expected event 'A', no event"), and an event that no
 * expect_event claims ("unexpected event 'B'", at the line of the packet or
 * wait that caused it). A file with neither line only prints its events.
 *
 * Threads: the runner is a control-thread caller (pipeline.h). It creates
 * its own worker, with a packet pool so that replication and mirroring make
 * copies, and destroys it before it returns: the pipeline must have room for
 * one more worker.
 */
#ifndef FLOWTWIN_STF_H
#define FLOWTWIN_STF_H

#include <stdint.h>

#include <flowtwin/ctl.h>
#include <flowtwin/error.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest packet a 'packet' line may give, in bytes. */
#define FT_STF_PACKET_MAX 9216

/* What a run did. */
struct ft_stf_result {
	uint32_t lines;    /* lines read */
	uint32_t commands; /* add, setdefault, remove and ft_ctl_exec() lines */
	uint32_t packets;  /* 'packet' lines run */
	uint32_t outputs;  /* packets sent by the pipeline, copies included */
	uint32_t events;   /* events: digests raised and lines of 'wait' */
	uint32_t expects;  /* 'expect' and 'expect_event' lines */
	uint32_t matched;  /* expects met */
	uint32_t counters; /* check_counter lines that held */
	uint32_t failures; /* the failures written to 'out' (see the top of this file) */
};

/* What a run may do beyond the file (ft_stf_run_opts()). */
struct ft_stf_options {
	/*
	 * Moves the clock of the pipeline (ft_pipeline_params.clock) forward by
	 * 'ms', for 'advance'. NULL: 'advance' fails with -ENOTSUP.
	 */
	void (*advance)(void *clock_arg, uint64_t ms);
	void *clock_arg;
	/*
	 * Runs a packet instead of ft_worker_run(), with its contract, on the
	 * runner's worker: the offload twin (twin.h), say. NULL: ft_worker_run().
	 */
	int (*run)(void *run_arg, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
		   struct ft_burst_result *res);
	/*
	 * Called before and after every line that may change the tables
	 * (entries, defaults, control lines, wait, advance) and before each
	 * check_counter: the twin collects its NIC's counters there (so that
	 * aging sees the hits before the clock moves) and re-compiles. NULL: none.
	 */
	void (*sync)(void *run_arg);
	void *run_arg;
};

/*
 * Runs the STF file at 'path' on 'pipe'. 'ctl' (may be NULL: then every
 * line that is not an STF command is an error) is a control session over
 * 'pipe'; both are borrowed. Failures and other output go to 'out' (may be
 * NULL) line by line; 'res' (may be NULL) receives the counts.
 *
 * Returns 0 when every check held, the number of failures when some did not,
 * or a negative errno when the run could not go on: a malformed line
 * (-EINVAL), an unknown table, action, key field or counter (-ENOENT), a
 * command that ft_ctl_exec() or the pipeline rejected (its code), a file that
 * cannot be read (-errno of open/read), or no memory (-ENOMEM). 'err' then
 * reads "PATH:LINE: message" (kind FT_ERR_SOURCE, index the line; line 0
 * for a file that cannot be read). The run stops at that line; what earlier
 * lines did to the tables stays done.
 */
int ft_stf_run(struct ft_pipeline *pipe, struct ft_ctl *ctl, const char *path, ft_ctl_out_fn out,
               void *arg, struct ft_stf_result *res, struct ft_error *err);

/*
 * As ft_stf_run(), on the STF text 'text' (borrowed). 'name' stands for the
 * path in messages ("PATH:LINE: ..."); NULL means "stf".
 */
int ft_stf_run_text(struct ft_pipeline *pipe, struct ft_ctl *ctl, const char *name,
                    const char *text, ft_ctl_out_fn out, void *arg, struct ft_stf_result *res,
                    struct ft_error *err);

/* As ft_stf_run() and ft_stf_run_text(), with 'opts' (may be NULL: none, borrowed). */
int ft_stf_run_opts(struct ft_pipeline *pipe, struct ft_ctl *ctl, const struct ft_stf_options *opts,
                    const char *path, ft_ctl_out_fn out, void *arg, struct ft_stf_result *res,
                    struct ft_error *err);
int ft_stf_run_text_opts(struct ft_pipeline *pipe, struct ft_ctl *ctl,
                         const struct ft_stf_options *opts, const char *name, const char *text,
                         ft_ctl_out_fn out, void *arg, struct ft_stf_result *res,
                         struct ft_error *err);

#ifdef __cplusplus
}
#endif

#endif
