/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow rules as text: dpdk-testpmd commands and JSON.
 *
 * A rule is given as rte_flow's own types, the way rte_flow_create() takes
 * it: a port, a 'struct rte_flow_attr', a pattern and an action list, each
 * ended by an END entry. ft_flow_testpmd() writes the commands that make
 * DPDK 22.11's testpmd create that same rule; ft_flow_json() describes it as
 * a JSON object. Tests assert on both texts; the dpdk-testpmd syntax oracle
 * (tests/offload/testpmd_check.sh) proves that testpmd parses the first.
 *
 * The testpmd text
 *
 *     set raw_decap 0 eth ... / ipv4 ... / udp ... / vxlan ... / end_set
 *     set raw_encap 0 eth ... / ipv4 ... / udp ... / vxlan ... / end_set
 *     set vxlan ip-version ipv4 vni 42 udp-src 0 udp-dst 4789 ip-src ...
 *     flow create PORT [group G] [priority P] ingress|egress|transfer
 *         pattern ITEM / ... / end actions ACTION / ... / end
 *
 * is one command per line, each line ended by '\n'. An item field is printed
 * as 'FIELD is VALUE' when its mask is all ones, 'FIELD spec V FIELD mask M'
 * when the mask is partial, and not at all when the mask is zero; 'FIELD last
 * L' follows when the item has a range. The mask is the item's, or
 * rte_flow's default mask for the type when the item has none. An item
 * without a spec is printed bare. Values are in testpmd's forms:
 * 00:11:22:33:44:55, 10.0.0.1, 2001:db8::1, decimal integers, hexadecimal
 * EtherTypes and masks.
 *
 * Nothing of a rule is dropped silently: a field whose mask is not zero but
 * that testpmd has no keyword for (the IPv4 checksum, TCP sequence numbers,
 * the VXLAN flags, ...), an item or action testpmd or this printer does not
 * know, and an encapsulation header whose bytes testpmd's 'set raw_encap'
 * cannot rebuild exactly all make the call fail with -ENOTSUP.
 *
 * Encapsulation. testpmd takes the header of RAW_ENCAP and RAW_DECAP from
 * numbered buffers filled by 'set raw_encap N' and 'set raw_decap N'
 * (N = 0..7; each 'flow create' copies the buffer when it is parsed), and
 * that of VXLAN_ENCAP from one global 'set vxlan' configuration. Buffer
 * numbers are allocated per call, from 0, in action order: the 'set' lines
 * come right before the 'flow create' that uses them, so the output of
 * several calls may be concatenated into one command file. A VXLAN_ENCAP
 * whose definition is exactly what a 'set vxlan', 'set vxlan-with-vlan' or
 * 'set vxlan-tos-ttl' command builds is printed with that command; any other
 * (an EtherType, IPv4 flags, VXLAN flags or an IPv6 flow label given in the
 * definition, ...) is printed as the equivalent RAW_ENCAP of the same header
 * bytes, so that no byte is lost. A RAW_ENCAP or RAW_DECAP header must parse
 * as ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN.
 *
 * testpmd's command line (librte_cmdline's RDLINE_BUF_SIZE) keeps the first
 * 512 characters of a line and silently drops the rest, so a rule whose
 * 'flow create' or 'set' line would be longer is refused with -ENOTSUP
 * rather than printed: split it, or describe it with ft_flow_json().
 *
 * ft_nic_features_markdown() renders the NIC capability profiles
 * (offload.h) as docs/features.md, in the same spirit: a text tests keep in
 * step with the code.
 *
 * All these functions are pure: they read their input, which stays the caller's,
 * and keep no state. Any thread may call them.
 */
#ifndef FLOWTWIN_FLOW_TEXT_H
#define FLOWTWIN_FLOW_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_flow.h>

#include <flowtwin/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest line testpmd reads whole (librte_cmdline's RDLINE_BUF_SIZE). */
#define FT_FLOW_TESTPMD_LINE_MAX 512

/*
 * Writes the testpmd commands for one rule into 'buf' ('size' bytes, always
 * NUL-terminated when size > 0). 'attr', 'pattern' and 'actions' are
 * borrowed; 'pattern' and 'actions' end with an END entry.
 *
 * Returns the length of the whole text, as snprintf() does (the text was cut
 * short when the result is >= size; call again with a larger buffer), or
 * -ENOTSUP when an item, an action or a field cannot be printed (testpmd has
 * no syntax for it, an encapsulation header does not parse as
 * ETH/[VLAN]/IPV4|IPV6/UDP/VXLAN, or a line would be longer than
 * FT_FLOW_TESTPMD_LINE_MAX), or -EINVAL when the rule is malformed
 * (NULL attr, pattern or actions; an action without its configuration; more
 * than 8 encapsulation buffers). On failure 'err' (optional) names the item
 * or action (kind FT_ERR_RULE, index = its position in its list) and the
 * field, and nothing useful is in 'buf'.
 */
int ft_flow_testpmd(char *buf, size_t size, uint16_t port, const struct rte_flow_attr *attr,
		    const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
		    struct ft_error *err);

/*
 * The same printers, for the commands of the template API (template.h): a
 * command is 'head' (written as given: "flow queue 0 create 0 template_table
 * 3 pattern_template 0 actions_template 1 postpone no") followed by lists,
 * each written ' KEYWORD ITEM / ... / end' or ' KEYWORD ACTION / ... / end'.
 * A list gives 'pattern' or 'actions' (END-terminated), not both.
 *
 * FT_FLOW_TEXT_MASKS (pattern lists): each item as a pattern template wants
 * it, by its mask alone: 'FIELD mask M' for every field whose mask is not
 * zero (testpmd then leaves the item's spec NULL), a field testpmd takes
 * only as 'FIELD is V' (the TAG index) from the item's spec, and a bare item
 * when the mask is NULL. An item with 'last' is refused (-ENOTSUP).
 *
 * FT_FLOW_TEXT_SAME_BUFS (action lists): an actions template's mask list.
 * Its encapsulation actions print no 'set' line and take the 'set raw_encap'
 * buffers (or the 'set vxlan' configuration) of the action list before it,
 * whose actions must be of the same types with the same headers.
 */
#define FT_FLOW_TEXT_MASKS     0x1u
#define FT_FLOW_TEXT_SAME_BUFS 0x2u

struct ft_flow_text_list {
	const char *keyword;		       /* "pattern", "template", "actions", "mask" */
	const struct rte_flow_item *pattern;   /* a pattern list, or */
	const struct rte_flow_action *actions; /* an action list */
	unsigned int flags;		       /* FT_FLOW_TEXT_* */
};

/*
 * Writes the 'set' lines the action lists need, then the command, into 'buf'
 * as ft_flow_testpmd() does; everything is borrowed. Returns the length of
 * the whole text, -ENOTSUP and -EINVAL as ft_flow_testpmd() does, or -EINVAL
 * for a list with neither or both of 'pattern' and 'actions', or no keyword.
 */
int ft_flow_testpmd_command(char *buf, size_t size, const char *head,
			    const struct ft_flow_text_list lists[], uint32_t n_lists,
			    struct ft_error *err);

/*
 * Describes one rule as JSON:
 *
 *     { "port": 0,
 *       "attr": { "group": 1, "priority": 0, "ingress": true, "egress": false,
 *                 "transfer": false },
 *       "pattern": [ { "type": "ipv4", "spec": { "src": "10.0.0.1", ... },
 *                      "mask": { "src": "255.255.255.255", ... },
 *                      "last": { ... } }, ... ],
 *       "actions": [ { "type": "mark", "conf": { "id": 7 } }, ... ] }
 *
 * Every field of an item is given by name in "spec", "mask" (the item's mask,
 * or the default mask of the type when it has none) and "last" (present only
 * when the item has one); an item without a spec has none of the three.
 * Addresses are strings ("10.0.0.1", "00:11:22:33:44:55", "2001:db8::1");
 * integers are numbers. An encapsulation action's conf carries its header:
 * "definition" (a list of items, as in "pattern") for VXLAN_ENCAP, "data"
 * (hexadecimal) and "size" for RAW_ENCAP and RAW_DECAP.
 *
 * Borrows the rule. Caller owns the result; free with json_decref(). NULL
 * when out of memory or when the rule has an item or action this file does
 * not know ('err', optional, then says which).
 */
json_t *ft_flow_json(uint16_t port, const struct rte_flow_attr *attr,
		     const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
		     struct ft_error *err);

/*
 * Writes docs/features.md: what each NIC profile (offload.h) supports, as
 * markdown. 'out' is borrowed. Returns 0, or -EIO when writing fails.
 */
int ft_nic_features_markdown(FILE *out);

#ifdef __cplusplus
}
#endif

#endif
