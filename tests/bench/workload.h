/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark workloads shared by every benchmark program, so that flowtwin's
 * model and DPDK's SWX pipeline see the same keys, the same per-entry data
 * and the same packets in the same order.
 *
 * Keys look like real MAC addresses: 48 random bits from a seeded generator,
 * unicast and locally administered, never consecutive. Packets are 64-byte
 * Ethernet/IPv4/UDP frames whose destination MAC is drawn uniformly from the
 * installed keys.
 *
 * Header-only: the benchmarks are separate programs (one links DPDK, one
 * does not) and this file is all they share.
 */
#ifndef FT_BENCH_WORKLOAD_H
#define FT_BENCH_WORKLOAD_H

#include <stdint.h>
#include <string.h>

#define WL_PKT_LEN 64

static inline uint64_t
wl_next(uint64_t *state)
{
	/* splitmix64 */
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The i-th key of a workload, as 6 bytes in network order. */
static inline void
wl_mac(uint64_t seed, uint32_t i, uint8_t mac[6])
{
	uint64_t s = seed ^ ((uint64_t)i * 0xd1342543de82ef95ULL);
	uint64_t v = wl_next(&s);

	for (int b = 0; b < 6; b++)
		mac[b] = (uint8_t)(v >> (8 * (5 - b)));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* unicast, locally administered */
}

/* Per-entry VXLAN encapsulation data of entry i (the outer headers). */
struct wl_encap {
	uint8_t eth_dst[6];
	uint8_t eth_src[6];
	uint32_t ip_src; /* host order */
	uint32_t ip_dst; /* host order */
	uint16_t udp_src;
	uint32_t vni;
	uint32_t port_out;
};

static inline void
wl_encap(uint32_t i, uint32_t n_ports, struct wl_encap *e)
{
	static const uint8_t src[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

	e->eth_dst[0] = 0x02;
	e->eth_dst[1] = 0x10;
	e->eth_dst[2] = (uint8_t)(i >> 24);
	e->eth_dst[3] = (uint8_t)(i >> 16);
	e->eth_dst[4] = (uint8_t)(i >> 8);
	e->eth_dst[5] = (uint8_t)i;
	memcpy(e->eth_src, src, 6);
	e->ip_src = 0xc0a80001;		     /* 192.168.0.1 */
	e->ip_dst = 0x0a000000 | (i & 0xffffff); /* 10.x.y.z */
	e->udp_src = (uint16_t)(0xc000 | (i & 0x3fff));
	e->vni = (i & 0xffffff) ? (i & 0xffffff) : 1;
	e->port_out = n_ports ? i % n_ports : 0;
}

/*
 * Fills 'pkt' (WL_PKT_LEN bytes) with an Ethernet/IPv4/UDP frame to 'dst'.
 * The IPv4 header checksum is valid; the UDP checksum is 0.
 */
static inline void
wl_packet(const uint8_t dst[6], uint32_t j, uint8_t pkt[WL_PKT_LEN])
{
	static const uint8_t src[6] = {0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
	uint16_t ip_len = WL_PKT_LEN - 14, udp_len = ip_len - 20;
	uint32_t sum = 0;

	memset(pkt, 0, WL_PKT_LEN);
	memcpy(pkt, dst, 6);
	memcpy(pkt + 6, src, 6);
	pkt[12] = 0x08;
	pkt[14] = 0x45;
	pkt[16] = (uint8_t)(ip_len >> 8);
	pkt[17] = (uint8_t)ip_len;
	pkt[22] = 64;
	pkt[23] = 17;
	pkt[26] = 10, pkt[27] = 1, pkt[28] = (uint8_t)(j >> 8), pkt[29] = (uint8_t)j;
	pkt[30] = 10, pkt[31] = 2, pkt[32] = 0, pkt[33] = 1;
	for (int k = 14; k < 34; k += 2)
		sum += (uint32_t)(pkt[k] << 8 | pkt[k + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	pkt[24] = (uint8_t)(sum >> 8);
	pkt[25] = (uint8_t)sum;
	pkt[34] = (uint8_t)((1024 + (j & 0xfff)) >> 8);
	pkt[35] = (uint8_t)(1024 + (j & 0xfff));
	pkt[36] = 0x13, pkt[37] = 0x89; /* port 5001: not VXLAN */
	pkt[38] = (uint8_t)(udp_len >> 8);
	pkt[39] = (uint8_t)udp_len;
}

/*
 * Index of the key the next packet is sent to: uniform over n keys. Every
 * benchmark starts 'state' at the workload's seed, so all see the same packets.
 */
static inline uint32_t
wl_pick(uint64_t *state, uint32_t n)
{
	return (uint32_t)((wl_next(state) >> 32) * n >> 32);
}

#endif
