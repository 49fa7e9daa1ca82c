/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Mbufs as flowtwin packets (include/flowtwin/dpdk.h). Part of driver/dpdk:
 * the adapter between a single-segment rte_mbuf and the model's 'struct
 * ft_pkt' (model/, include/flowtwin/packet.h), both ways, without copying a
 * byte, and the 'struct ft_pkt_pool' that gives the model mbufs for the
 * copies it makes.
 *
 * A copy's 'struct ft_pkt' lives in its mbuf's private area
 * (rte_mbuf_to_priv()), which the PMDs never touch: the pool's alloc hands
 * it out and free finds the mbuf again through p->opaque. Nothing here
 * keeps state besides the mempool, so these functions are thread-safe as
 * far as the mempool is (per-lcore caches: one thread per lcore).
 */
#include <errno.h>

#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include <flowtwin/dpdk.h>

#include "dpdk_private.h"

/* The frame a copy pool's buffers must hold after FT_PKT_HEADROOM. */
#define COPY_FRAME_MIN RTE_ETHER_MAX_LEN

int
ft_dpdk_pkt_from_mbuf(struct ft_pkt *p, struct rte_mbuf *m)
{
	uint64_t f = m->ol_flags;

	p->buf = m->buf_addr;
	p->opaque = m;
	p->buf_len = m->buf_len;
	p->data_off = m->data_off;
	p->len = m->data_len;
	p->nb_segs = m->nb_segs;
	p->in_port = m->port;
	p->flags = 0;
	p->mark = 0;
	if (f & RTE_MBUF_F_RX_FDIR_ID) {
		p->flags |= FT_PKT_F_MARK;
		p->mark = m->hash.fdir.hi;
	} else if (f & RTE_MBUF_F_RX_FDIR) {
		p->flags |= FT_PKT_F_FLAG;
	}
	return m->nb_segs == 1 ? 0 : -ENOTSUP;
}

void
ft_dpdk_pkt_to_mbuf(const struct ft_pkt *p)
{
	struct rte_mbuf *m = p->opaque;

	if (m->nb_segs != 1)
		return;
	m->data_off = p->data_off;
	m->data_len = p->len;
	m->pkt_len = p->len;
}

static struct ft_pkt *
pool_alloc(void *arg, uint32_t min_len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(arg);
	struct ft_pkt *p;

	if (m == NULL)
		return NULL;
	if (min_len > m->buf_len) {
		rte_pktmbuf_free(m);
		return NULL;
	}
	p = rte_mbuf_to_priv(m);
	ft_dpdk_pkt_from_mbuf(p, m);
	return p;
}

static void
pool_free(void *arg, struct ft_pkt *p)
{
	(void)arg;
	if (p != NULL)
		rte_pktmbuf_free(p->opaque);
}

int
ft_dpdk_pkt_pool_init(struct ft_pkt_pool *pool, struct rte_mempool *mp, struct ft_error *err)
{
	if (pool == NULL || mp == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "no pool or no mempool");
	if (mp->private_data_size < sizeof(struct rte_pktmbuf_pool_private))
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, mp->name,
		                    "not a pktmbuf pool");
	if (rte_pktmbuf_priv_size(mp) < FT_DPDK_MBUF_PRIV_SIZE)
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, mp->name,
		                    "mbuf private area of %u bytes, copies need %zu",
		                    rte_pktmbuf_priv_size(mp), (size_t)FT_DPDK_MBUF_PRIV_SIZE);
	if (rte_pktmbuf_data_room_size(mp) < FT_PKT_HEADROOM + COPY_FRAME_MIN)
		return ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, mp->name,
		                    "mbuf data room of %u bytes, copies need %u",
		                    rte_pktmbuf_data_room_size(mp),
		                    FT_PKT_HEADROOM + COPY_FRAME_MIN);
	pool->alloc = pool_alloc;
	pool->free = pool_free;
	pool->arg = mp;
	return 0;
}

struct rte_mempool *
ft_dpdk_mempool_create(const char *name, uint32_t n, int socket, struct ft_error *err)
{
	/* A per-lcore cache of at most n / 1.5 mbufs, as rte_mempool_create() requires. */
	uint32_t cache = RTE_MIN(n * 2 / 3, (uint32_t)RTE_MEMPOOL_CACHE_MAX_SIZE / 2);
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n, cache, FT_DPDK_MBUF_PRIV_SIZE,
	                             RTE_MBUF_DEFAULT_BUF_SIZE, socket);
	if (mp == NULL)
		dpdk_error(err, rte_errno > 0 ? -rte_errno : -ENOMEM, DPDK_NO_PORT,
		           "rte_pktmbuf_pool_create");
	return mp;
}
