/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet view.
 *
 * A 'struct ft_pkt' describes one packet in one contiguous buffer that the
 * caller owns: the buffer, where the packet starts in it (the bytes before
 * are headroom, into which encapsulation grows), its length, the port it came
 * in on, and what the NIC said about it. flowtwin reads and writes the bytes
 * in place; it never copies a packet except to replicate it.
 *
 * The fields map one to one onto a single-segment rte_mbuf:
 *
 *	buf      <-> mbuf->buf_addr        data_off <-> mbuf->data_off
 *	buf_len  <-> mbuf->buf_len         len      <-> mbuf->data_len (== pkt_len)
 *	nb_segs  <-> mbuf->nb_segs         in_port  <-> mbuf->port
 *	mark     <-> mbuf->hash.fdir.hi, valid when FT_PKT_F_MARK is set
 *	opaque   <-> the mbuf itself, for the adapter in driver/dpdk
 *
 * A packet with nb_segs != 1 is refused (dropped with FT_DROP_MULTISEG),
 * never misread.
 *
 * Packets for copies (replication, mirroring) come from a 'struct ft_pkt_pool'
 * that the application provides: in a DPDK application a mempool of mbufs;
 * in tests and tools the simple pool below. The packet path never calls
 * malloc().
 */
#ifndef FLOWTWIN_PACKET_H
#define FLOWTWIN_PACKET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The headroom flowtwin needs in front of a received packet. */
#define FT_PKT_HEADROOM 128

enum {
	FT_PKT_F_MARK = 1u << 0, /* 'mark' holds the NIC's MARK value */
	FT_PKT_F_FLAG = 1u << 1, /* the NIC executed a FLAG action */
};

struct ft_pkt {
	uint8_t *buf;	   /* start of the buffer */
	void *opaque;	   /* the application's handle (an rte_mbuf *) */
	uint32_t buf_len;  /* size of the buffer */
	uint16_t data_off; /* offset of the first packet byte in 'buf' */
	uint16_t len;	   /* bytes of packet from there */
	uint16_t nb_segs;  /* must be 1 */
	uint16_t flags;	   /* FT_PKT_F_* */
	uint32_t in_port;  /* the port the packet arrived on */
	uint32_t mark;	   /* the NIC's MARK, when FT_PKT_F_MARK */
};

static inline uint8_t *
ft_pkt_data(const struct ft_pkt *p)
{
	return p->buf + p->data_off;
}

/*
 * Points 'p' at 'len' bytes at offset 'data_off' of 'buf' (size 'buf_len'),
 * received on 'in_port'. Returns -EINVAL if they do not fit.
 */
int ft_pkt_init(struct ft_pkt *p, uint8_t *buf, uint32_t buf_len, uint16_t data_off,
		uint16_t len, uint32_t in_port);

/*
 * A source of packet buffers for copies. 'alloc' returns a packet with an
 * empty buffer of at least 'min_len' bytes or NULL when none is left (the
 * copy is then dropped and counted, FT_DROP_NO_BUFFER); 'free' gives one
 * back. Both are called only from the packet path of the worker that owns
 * the pool, so they need not be thread-safe.
 */
struct ft_pkt_pool {
	struct ft_pkt *(*alloc)(void *arg, uint32_t min_len);
	void (*free)(void *arg, struct ft_pkt *p);
	void *arg;
};

/*
 * A fixed pool of 'n' packets of 'buf_len' bytes each, allocated once by
 * ft_pkt_pool_simple_create(). Caller owns the result; free with
 * ft_pkt_pool_simple_destroy(). 'pool' is filled with the ops to hand to a
 * worker.
 */
struct ft_pkt_pool_simple;
struct ft_pkt_pool_simple *ft_pkt_pool_simple_create(uint32_t n, uint32_t buf_len,
						     struct ft_pkt_pool *pool);
void ft_pkt_pool_simple_destroy(struct ft_pkt_pool_simple *sp);
/* Number of packets currently in the pool (not handed out). */
uint32_t ft_pkt_pool_simple_avail(const struct ft_pkt_pool_simple *sp);

/*
 * Packet bytes written as hex digits (spaces, colons and newlines allowed
 * between digits, as tools and traces print them) into 'out': the number of
 * bytes, or -1 for another character, an odd number of digits or more than
 * 'max' bytes.
 */
int ft_hex_decode(const char *text, uint8_t *out, size_t max);

#ifdef __cplusplus
}
#endif

#endif
