/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The bundled example pipeline (example_vtep.c): private to tools/ and tests.
 */
#ifndef FT_TOOLS_EXAMPLE_VTEP_H
#define FT_TOOLS_EXAMPLE_VTEP_H

#include <stdint.h>

#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

/* Big-endian stores, for building entries and packets. */
static inline void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* The example's hosts: behind access ports 1 and 2, behind VTEP 10.0.0.2. */
static const uint8_t EX_MAC_VM1[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t EX_MAC_VM2[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t EX_MAC_REMOTE[6] = {0x02, 0, 0, 0, 0, 0xc1};
/* This VTEP (10.0.0.1) and the remote VTEPs 10.0.0.2 and 10.0.0.3. */
static const uint8_t EX_MAC_LOCAL[6] = {0x02, 0, 0, 0, 0, 0x01};
static const uint8_t EX_MAC_VTEP2[6] = {0x02, 0, 0, 0, 0x01, 0x02};
static const uint8_t EX_MAC_VTEP3[6] = {0x02, 0, 0, 0, 0x01, 0x03};

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

/*
 * Adds the example's entries in one transaction: ports 1 and 2 are access
 * ports of VNI 100 and port 0 the uplink; VNI 100 terminates here; vm2 is
 * behind port 2 and the remote host behind VTEP 10.0.0.2; group 100 floods
 * to both access ports and (rid 1, 2) to VTEPs 10.0.0.2 and 10.0.0.3.
 */
int example_vtep_populate(struct ft_pipeline *pipe, const struct example_vtep *v,
			  struct ft_error *err);

#endif
