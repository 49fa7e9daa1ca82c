/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * <flowtwin.p4>: flowtwin's one extension of the PNA architecture.
 *
 * Include it after <pna.p4>:
 *
 *	#include <core.p4>
 *	#include <pna.p4>
 *	#include "flowtwin.p4"
 *
 * Everything here is plain P4_16 that p4c accepts (an extern function, a
 * struct and a control type); only flowtwin's front end gives it meaning.
 *
 * Why: PNA has no packet replication engine, and a VTEP must flood a
 * broadcast frame to every local port and every remote VTEP of its VNI.
 *
 * Replication
 *	flowtwin_replicate(group), called in an action of the main control,
 *	asks for one copy of the packet per member of replication group
 *	'group'. Groups are control-plane objects (like PSA's multicast
 *	groups): each member is a pair (output port, rid), where the
 *	replication id 'rid' is a 16-bit number the control plane chooses
 *	(the VTEP uses rid 0 for a local port and rid != 0 to name a remote
 *	VTEP). The copies are made at the end of the main control; a later
 *	send_to_port() or drop_packet() replaces the request, and a later
 *	flowtwin_replicate() replaces an earlier one ("last one wins", as for
 *	PNA's forwarding externs). An empty or unknown group sends nothing.
 *
 * The copy control
 *	A program may declare one control annotated @flowtwin_copy, of the
 *	type FlowtwinCopyT below instantiated with its own header and
 *	metadata structs:
 *
 *	@flowtwin_copy
 *	control CopyImpl(inout headers_t hdr, inout metadata_t meta,
 *			 in pna_main_input_metadata_t istd,
 *			 in flowtwin_copy_metadata_t copy) { ... }
 *
 *	Every packet that leaves runs it exactly once, after the main control
 *	and before the deparser:
 *	  - a replicated copy, with copy.output_port and copy.rid of its
 *	    group member; what one copy does is not seen by another;
 *	  - a packet that is not replicated (send_to_port()), with rid 0 and
 *	    copy.output_port = the port send_to_port() chose.
 *	What it sees: the packet as the main deparser emitted it, parsed
 *	again by the main parser (as PSA's egress parser does), and a copy
 *	of the metadata the main control ended with. After a decapsulation
 *	the frame that was inner is now hdr.ethernet, hdr.ipv4, ...; after
 *	an encapsulation the new outer headers are what the parser finds.
 *	Dropped packets do not run it. drop_packet() in the copy control
 *	drops that copy only. send_to_port(), flowtwin_replicate(),
 *	add_entry() and mirror_packet() may not be called in it. istd is the
 *	main control's input metadata (istd.input_port: where the original
 *	packet came in).
 *
 *	It is not part of the PNA_NIC package instantiation (p4c sees an
 *	unused control declaration); the front end finds it by its
 *	annotation. It is what flowtwin's pipeline IR calls the egress
 *	control (include/flowtwin/program.h: std.rid, std.out_port).
 */
#ifndef FLOWTWIN_P4
#define FLOWTWIN_P4

/* Copies the packet once per member (port, rid) of replication group 'group'. */
extern void flowtwin_replicate(in bit<32> group);

/* What the copy control is told about the copy it runs for. */
struct flowtwin_copy_metadata_t {
	PortId_t output_port; /* the member's port, or the port send_to_port() chose */
	bit<16> rid;          /* the member's replication id; 0 for a packet not replicated */
}

/* The type of the @flowtwin_copy control. */
control FlowtwinCopyT<H, M>(inout H hdr,
			    inout M meta,
			    in pna_main_input_metadata_t istd,
			    in flowtwin_copy_metadata_t copy);

#endif /* FLOWTWIN_P4 */
