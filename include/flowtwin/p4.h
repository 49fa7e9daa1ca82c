/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The P4_16 front end: a program for the PNA architecture in, a pipeline IR
 * (program.h) out.
 *
 * The front end reads the subset of P4_16 that docs/p4-subset.md lists:
 * everything else is refused by name with "file:line:col: message", never
 * ignored. It preprocesses (#include <core.p4> and <pna.p4> are built in),
 * parses, resolves names, checks types and translates:
 *
 *  - the main parser's graph onto the model's fixed parser (parse.h): each
 *    extracted header instance gets its layer (outer or inner Ethernet,
 *    VLAN, ARP, IPv4, IPv6, UDP, TCP, ICMP, VXLAN) from the select values
 *    that lead to it, and the graph must say what the fixed parser does
 *    for every layer the program declares; the UDP ports that lead to VXLAN
 *    become the program's VXLAN ports. An instance that no state extracts
 *    takes the protocol of a parsed instance of the same header type; the
 *    annotation @flowtwin_proto("ipv4") on the instance overrides.
 *  - the main control to the ingress control, the control annotated
 *    @flowtwin_copy (p4/flowtwin.p4) to the egress control that every copy
 *    runs, the deparser's emit() calls to the emit order.
 *  - actions to straight-line operations; expressions that need
 *    intermediate values use hidden metadata fields named "$tN".
 *
 * Names in the IR are those of the program: header instances and metadata
 * fields by their field names in the headers and metadata structs, tables
 * and actions by their declared names (qualified "Control.name" when two
 * controls use the same one).
 */
#ifndef FLOWTWIN_P4_H
#define FLOWTWIN_P4_H

#include <stddef.h>

#include <flowtwin/error.h>
#include <flowtwin/program.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Translates the P4 program in the file at 'path'. 'include_dirs' (NULL or
 * NULL-terminated, copied) is searched for "file" includes after the
 * including file's directory. Returns the program, or NULL with 'err' set:
 * kind FT_ERR_SOURCE and "file:line:col: message" for the program's faults
 * (-EINVAL invalid, -ENOTSUP outside the subset), -ENOENT for a file that
 * cannot be read, -ENOMEM. Caller owns the result; free with
 * ft_program_destroy() or hand it to ft_pipeline_create().
 */
struct ft_program *ft_p4_load(const char *path, const char *const *include_dirs,
			      struct ft_error *err);

/* As ft_p4_load(), for 'len' bytes of 'text' named 'name' in messages. */
struct ft_program *ft_p4_load_string(const char *name, const char *text, size_t len,
				     const char *const *include_dirs, struct ft_error *err);

#ifdef __cplusplus
}
#endif

#endif
