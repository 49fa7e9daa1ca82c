/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API: one text syntax for table entries and settings, used
 * everywhere a person or a program talks to a pipeline (entry files, the
 * CLI, the daemon's control socket, STF files).
 *
 * A 'struct ft_ctl' is a control session over one pipeline. ft_ctl_exec()
 * runs one command line; each command that changes state is one
 * transaction (pipeline.h): it applies whole or not at all, and a rejected
 * command leaves everything as it was. Errors name the offending object in
 * err->kind and err->object: the table (FT_ERR_TABLE), the action
 * (FT_ERR_ACTION), the key field (FT_ERR_KEY, object "meta.vni",
 * "std.in_port", "ethernet.dst_addr": the names ft_program_resolve() takes;
 * index the key field's position) or the parameter (FT_ERR_PARAM, object its
 * name, index its position), with the text that was given in the message:
 * ft_error_format() reads "key 'meta.vni': '16777216' does not fit in 24
 * bits (Invalid argument)".
 *
 * Generic commands, after BMv2's simple_switch_CLI:
 *
 *   table_add TABLE ACTION KEY... => PARAM... [PRIORITY]
 *   table_set_default TABLE ACTION [PARAM...]
 *   table_modify TABLE ACTION HANDLE [=>] PARAM...
 *   table_delete TABLE HANDLE
 *   table_dump TABLE
 *   table_clear TABLE
 *   group_set GROUP [PORT[:RID]...]        members of a replication group
 *   mirror_set SESSION PORT|off
 *
 * Words are separated by white space; a word that starts with '#' starts a
 * comment, to the end of the line. table_add needs its '=>' even when the
 * action has no parameters. Exact keys are VALUE, ternary keys VALUE&&&MASK,
 * lpm keys VALUE/PREFIX; key bits outside the mask are ignored. PRIORITY is
 * given for, and only for, a table with a ternary key field; as in
 * pipeline.h the largest priority wins (BMv2 lets the smallest win). A table
 * name or action name is the program's (ft_program_find_table()); an entry
 * is named by its handle (ft_entry_info.handle, shown by table_dump).
 * table_clear deletes every entry of a table and leaves its default action.
 * group_set with no members empties the group; a member without ':RID' has
 * rid 0. mirror_set ... off disables a session.
 *
 * Values: decimal, 0x hex, 0b binary, a MAC (aa:bb:cc:dd:ee:ff) for a
 * 48-bit field only, an IPv4 address (10.0.0.1) for a 32-bit field only, an
 * IPv6 address (2001:db8::1) for a 128-bit field only. Negative values and
 * values with bits set above the field's width are refused.
 *
 * table_dump prints each entry as the table_add line that adds it, followed
 * on the same line by a comment with its handle and counters, in the order
 * the entries were added; then the default action as a table_set_default
 * line (commented out, "# const default: table_set_default ...", when the
 * program makes it const). Values print as ft_ctl_format_value() writes
 * them. Fed back to ft_ctl_exec() on a fresh pipeline, a dump rebuilds the
 * table (entries get new handles and zero counters):
 *
 *   table_add fdb forward 0x000064 aa:bb:cc:dd:ee:ff => 0x00000003 # handle 0 packets 2 bytes 128
 *   table_set_default fdb miss
 *
 * Vocabularies: further commands (the VTEP's fdb, neigh, port and vtep set,
 * include/flowtwin/vtep.h) are registered by the modules that know them;
 * ft_ctl_exec() hands a line whose first word is theirs to them. A
 * vocabulary may also take what the data plane learned and aged
 * (ft_ctl_poll()) and give digest events their text (ft_ctl_event_text()).
 *
 * Threads: a control session belongs to the pipeline's control thread.
 */
#ifndef FLOWTWIN_CTL_H
#define FLOWTWIN_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtwin/error.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_ctl;

/* Receives one line of output, without its newline. */
typedef void (*ft_ctl_out_fn)(void *arg, const char *line);

/*
 * Creates a control session over 'pipe' ('pipe' is borrowed and must outlive
 * it). Caller owns the result; free with ft_ctl_destroy(), which does
 * nothing given NULL. NULL when out of memory or 'pipe' is NULL.
 */
struct ft_ctl *ft_ctl_create(struct ft_pipeline *pipe);
void ft_ctl_destroy(struct ft_ctl *ctl);
struct ft_pipeline *ft_ctl_pipeline(const struct ft_ctl *ctl);

/*
 * Runs one command line ('line' is borrowed). Blank lines and lines starting
 * with '#' do nothing. Output (table_dump, show commands) goes to 'out', one
 * call per line, after the pipeline's lock is released; 'out' may be NULL.
 * Returns 0 or a negative errno with 'err' (may be NULL) naming what is
 * wrong: -EINVAL for malformed input (including an action that the table
 * does not list or does not allow here, and a const default action),
 * -ENOENT for an unknown table, action, command ("unknown command 'x'") or
 * entry handle, -EEXIST for a duplicate, -ENOSPC for a full table, -EBUSY
 * when another transaction is open on the pipeline, -ENOMEM. A vocabulary's
 * command returns what its exec function returns.
 */
int ft_ctl_exec(struct ft_ctl *ctl, const char *line, ft_ctl_out_fn out, void *arg,
		struct ft_error *err);

/*
 * Runs every line of the file at 'path', each with ft_ctl_exec() and so
 * each its own transaction. Stops at the first error, leaving the lines
 * before it applied; the error's message then reads "path:line: message"
 * (kind FT_ERR_SOURCE, index the line, counted from 1; code and object are
 * the failed command's). A file that cannot be read gives its -errno with
 * object 'path'. Returns the number of commands run (lines not blank and
 * not comments), or a negative errno.
 */
int ft_ctl_exec_file(struct ft_ctl *ctl, const char *path, ft_ctl_out_fn out, void *arg,
		     struct ft_error *err);

/*
 * A vocabulary: commands whose first word is one of 'words' (NULL-ended) go
 * to 'exec', with 'argv' the line's words (argv[0] the command word; a
 * trailing comment removed; argv[argc] is NULL). The words are the
 * callee's to change, valid until it returns. 'exec' returns 0 or a negative
 * errno and fills 'err' (may be NULL) as ft_ctl_exec() does.
 */
struct ft_ctl_vocab {
	const char *const *words;
	int (*exec)(struct ft_ctl *ctl, void *vocab_arg, int argc, char **argv,
		    ft_ctl_out_fn out, void *out_arg, struct ft_error *err);
	void *arg;
	/*
	 * Optional (NULL: none). An entry the data plane learned (learned ==
	 * true) or that aged, after it was committed, from ft_ctl_poll();
	 * 'entry' is borrowed for the call. It may change state through 'ctl'
	 * (it runs outside the pipeline's lock) and write lines to 'out'.
	 * Returns 1 if the entry is the vocabulary's (its line written), 0 if
	 * not (the next vocabulary, or the generic line, takes it), or a
	 * negative errno with 'err' set.
	 */
	int (*changed)(struct ft_ctl *ctl, void *vocab_arg, bool learned, uint32_t table,
		       const struct ft_entry_info *entry, ft_ctl_out_fn out, void *out_arg,
		       struct ft_error *err);
	/*
	 * Optional. The text of a digest event this vocabulary knows, into
	 * 'buf' (as snprintf() does), or 0 if it is not its own. Returns the
	 * length written (or needed).
	 */
	int (*event_text)(struct ft_ctl *ctl, void *vocab_arg, const struct ft_event *ev,
			  char *buf, size_t size);
	/*
	 * Optional. Called by ft_ctl_poll() after the learned and aged entries,
	 * for the vocabulary's own timers (the VTEP's `nud reachable`
	 * neighbours). Returns the number of things that expired (each with its
	 * line written) or a negative errno with 'err' set.
	 */
	int (*poll)(struct ft_ctl *ctl, void *vocab_arg, ft_ctl_out_fn out, void *out_arg,
		    struct ft_error *err);
};

/*
 * Adds a vocabulary; 'vocab' is borrowed and must outlive 'ctl'. Returns 0,
 * -EINVAL (no words or no exec), -EEXIST if one of its words is a built-in
 * command or another vocabulary's, or -ENOMEM.
 */
int ft_ctl_add_vocab(struct ft_ctl *ctl, const struct ft_ctl_vocab *vocab);

/*
 * Commits what the data plane learned (ft_pipeline_learn()) and deletes what
 * aged (ft_pipeline_expire()), collecting the entries under the pipeline's
 * lock and, after it is released, handing each to the vocabularies'
 * 'changed' hooks in the order they were added. An entry no vocabulary takes
 * gets a generic line: "learned TABLE KEY... => ACTION PARAM..." (the key in
 * table_add syntax) or "aged TABLE KEY...". Then each vocabulary's 'poll'
 * hook runs. Output goes to 'out' (may be NULL). Returns the number of
 * entries learned + aged (+ what the 'poll' hooks expired), or a negative
 * errno: -EBUSY when a transaction is open (nothing is lost: learned entries
 * stay queued, aged ones stay in their tables), or the first error of a hook
 * (the other entries are still handed on).
 */
int ft_ctl_poll(struct ft_ctl *ctl, ft_ctl_out_fn out, void *arg, struct ft_error *err);

/*
 * One line of text for a digest event 'ev' ('ev' is borrowed): the text of
 * the first vocabulary whose 'event_text' knows it, else "digest NAME
 * FIELD=VALUE ..." with the fields named as the program's digest call lists
 * them ("vni=0x000064 dst_mac=02:00:00:00:00:05": metadata without its
 * "meta." prefix, header fields as "arp.target_proto_addr") and values as
 * ft_ctl_format_value() writes them, or "digest NAME data=HEX" when the
 * layout is unknown. Returns what snprintf() would.
 */
int ft_ctl_event_text(struct ft_ctl *ctl, const struct ft_event *ev, char *buf, size_t size);

/*
 * Parses 'text' as a value of 'bits' bits (1 .. FT_FIELD_BITS_MAX) into
 * ceil(bits / 8) big-endian bytes at 'out' (in the syntax above; 'out' is
 * written only on success). 'what' (may be NULL) names the field: it
 * becomes err->object ("meta.vni"), with kind FT_ERR_FIELD and a message
 * quoting 'text' ("'0x1000000' does not fit in 24 bits", "bad MAC address
 * 'aa:bb'"). Returns 0 or -EINVAL.
 */
int ft_ctl_parse_value(const char *text, uint32_t bits, uint8_t *out, const char *what,
		       struct ft_error *err);

/*
 * Formats a value of 'bits' bits (ceil(bits / 8) big-endian bytes) so that
 * ft_ctl_parse_value() reads it back: a MAC for 48 bits, decimal up to 16
 * bits, 0x hex otherwise, with as many digits as the width takes (a 24-bit
 * 100 is 0x000064). Returns what snprintf() would, or -EINVAL for a width
 * outside 1 .. FT_FIELD_BITS_MAX.
 */
int ft_ctl_format_value(const uint8_t *val, uint32_t bits, char *buf, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif
