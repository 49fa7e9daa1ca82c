/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control API: one text syntax for table entries and settings, used
 * everywhere a person or a program talks to a pipeline (entry files, the
 * CLI, the daemon's control socket, STF files).
 *
 * A 'struct ft_ctl' is a control session over one pipeline. ft_ctl_exec()
 * runs one command line; each command that changes state is one
 * transaction (pipeline.h): it applies whole or not at all, and a rejected
 * command leaves everything as it was. Errors name the offending field:
 * the table, the action, the key field or the parameter, with the text that
 * was given ("key field 'meta.vni': 16777216 does not fit in 24 bits").
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
 * Values: decimal, 0x hex, 0b binary, a MAC (aa:bb:cc:dd:ee:ff), an IPv4
 * address (10.0.0.1) or an IPv6 address, whichever the field's width
 * allows. Ternary keys are VALUE&&&MASK; lpm keys VALUE/PREFIX. A table name
 * or action name is the program's (ft_program_find_table()). Entries print
 * back in the same syntax (table_dump), with their handle and counters.
 *
 * Vocabularies: further commands (the VTEP's fdb, neigh, port and vtep set)
 * are registered by the modules that know them; ft_ctl_exec() hands a line
 * whose first word is theirs to them.
 *
 * Threads: a control session belongs to the pipeline's control thread.
 */
#ifndef FLOWTWIN_CTL_H
#define FLOWTWIN_CTL_H

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
 * it). Caller owns the result; free with ft_ctl_destroy(). NULL when out of
 * memory.
 */
struct ft_ctl *ft_ctl_create(struct ft_pipeline *pipe);
void ft_ctl_destroy(struct ft_ctl *ctl);
struct ft_pipeline *ft_ctl_pipeline(const struct ft_ctl *ctl);

/*
 * Runs one command line. Blank lines and lines starting with '#' do nothing.
 * Output (table_dump, show commands) goes to 'out', which may be NULL.
 * Returns 0 or a negative errno with 'err' naming what is wrong: -EINVAL for
 * malformed input, -ENOENT for an unknown table, action, command or entry,
 * -EEXIST for a duplicate, -ENOSPC for a full table.
 */
int ft_ctl_exec(struct ft_ctl *ctl, const char *line, ft_ctl_out_fn out, void *arg,
		struct ft_error *err);

/*
 * Runs every line of the file at 'path'. Stops at the first error, which
 * then reads "path:line: message" (kind FT_ERR_SOURCE, index the line).
 * Returns the number of commands run, or a negative errno.
 */
int ft_ctl_exec_file(struct ft_ctl *ctl, const char *path, ft_ctl_out_fn out, void *arg,
		     struct ft_error *err);

/*
 * A vocabulary: commands whose first word is one of 'words' (NULL-ended) go
 * to 'exec', with 'argv' the line's words (argv[0] the command word).
 */
struct ft_ctl_vocab {
	const char *const *words;
	int (*exec)(struct ft_ctl *ctl, void *vocab_arg, int argc, char **argv,
		    ft_ctl_out_fn out, void *out_arg, struct ft_error *err);
	void *arg;
};

/* Adds a vocabulary; 'vocab' is borrowed and must outlive 'ctl'. */
int ft_ctl_add_vocab(struct ft_ctl *ctl, const struct ft_ctl_vocab *vocab);

/*
 * Parses 'text' as a value of 'bits' bits (1 .. FT_FIELD_BITS_MAX) into
 * ceil(bits / 8) big-endian bytes at 'out'. 'what' names the field in the
 * error ("key field 'meta.vni'"). Returns 0 or -EINVAL.
 */
int ft_ctl_parse_value(const char *text, uint32_t bits, uint8_t *out, const char *what,
		       struct ft_error *err);

/*
 * Formats a value of 'bits' bits (ceil(bits / 8) big-endian bytes) so that
 * ft_ctl_parse_value() reads it back: a MAC for 48 bits, decimal up to 16
 * bits, 0x hex otherwise. Returns what snprintf() would.
 */
int ft_ctl_format_value(const uint8_t *val, uint32_t bits, char *buf, uint32_t size);

#ifdef __cplusplus
}
#endif

#endif
