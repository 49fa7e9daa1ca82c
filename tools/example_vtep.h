/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bundled example pipeline (example_vtep.c): private to tools/ and tests.
 */
#ifndef FT_TOOLS_EXAMPLE_VTEP_H
#define FT_TOOLS_EXAMPLE_VTEP_H

#include <flowtwin/program.h>

/* The program and the ids of its objects. */
struct example_vtep {
	struct ft_program *prog;
	int o_eth, o_ip, o_udp, o_vx, eth, ip, udp, vx, in_eth;
	int m_vni, m_dmac, m_smac, m_tunnel;
	int a_drop, a_set_vni, a_uplink, a_decap, a_drop_vni, a_to_port, a_to_vtep, a_flood,
		a_encap_to, a_split, a_hairpin, a_noop;
	int t_port, t_term, t_fdb, t_flood;
};

/*
 * Builds the example VTEP into v->prog. Caller owns v->prog (hand it to
 * ft_pipeline_create() or free it with ft_program_destroy()). Returns 0 or a
 * negative errno with 'err' set.
 */
int example_vtep_build(struct example_vtep *v, struct ft_error *err);

#endif
