/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rx -> model -> tx loop of one worker thread (include/flowtwin/dpdk.h).
 * Part of driver/dpdk: it receives a burst from an ethdev queue, wraps the
 * mbufs as packets (mbuf.c), runs the model (model/, ft_worker_run() or
 * ft_worker_run_resume()), sends what the model output and frees the rest.
 *
 * Ownership of the mbufs through one ft_dpdk_poll(): the received ones are
 * the worker's; those the model output (used[i]) go to the PMD with the
 * copies the model made, the others are freed here. What a tx queue does
 * not take is freed at once: retrying would stall rx behind a slow port.
 * After the call the worker holds no mbuf.
 *
 * Sending keeps the model's output order per port: tx[] is walked once per
 * distinct output port and each port gets one rte_eth_tx_burst() with its
 * packets in order.
 *
 * Counters are per (worker, port), written only by the worker's thread and
 * read whole by any thread (relaxed atomic stores and loads, as the model's
 * per-worker counters).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <flowtwin/dpdk.h>

#include "dpdk_private.h"

struct ft_dpdk_worker {
	struct ft_worker *w;
	ft_dpdk_resume_fn resume;
	void *resume_arg;
	ft_dpdk_run_fn run;
	void *run_arg;
	struct rte_mempool *copy_pool;
	uint16_t tx_queue;
	uint16_t burst;

	/* The burst in flight. */
	struct rte_mbuf *rx[FT_BURST_MAX];
	struct ft_pkt pkts[FT_BURST_MAX];
	struct ft_pkt *pkt_ptrs[FT_BURST_MAX];
	const struct ft_resume *resumes[FT_BURST_MAX];
	struct rte_mbuf *tx[FT_BURST_TX_MAX];
	struct ft_burst_result res;

	struct ft_dpdk_port_stats stats[RTE_MAX_ETHPORTS];
};

/* Adds 'n' to a counter only this thread writes. */
static inline void
count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

struct ft_dpdk_worker *
ft_dpdk_worker_create(const struct ft_dpdk_worker_params *params, struct ft_error *err)
{
	struct ft_pkt_pool pool, *poolp = NULL;
	struct ft_dpdk_worker *dw;

	if (params == NULL || params->pipe == NULL || params->burst > FT_BURST_MAX) {
		ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		             "worker parameters need a pipeline and a burst of at most %u",
		             FT_BURST_MAX);
		return NULL;
	}
	if (params->copy_pool != NULL) {
		if (ft_dpdk_pkt_pool_init(&pool, params->copy_pool, err) < 0)
			return NULL;
		poolp = &pool;
	}
	dw = calloc(1, sizeof(*dw));
	if (dw == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		             "out of memory for a worker");
		return NULL;
	}
	dw->w = ft_worker_create(params->pipe, poolp, err);
	if (dw->w == NULL) {
		free(dw);
		return NULL;
	}
	dw->resume = params->resume;
	dw->resume_arg = params->resume_arg;
	dw->run = params->run;
	dw->run_arg = params->run_arg;
	dw->copy_pool = params->copy_pool;
	dw->tx_queue = params->tx_queue;
	dw->burst = params->burst ? params->burst : FT_BURST_MAX;
	for (uint32_t i = 0; i < FT_BURST_MAX; i++)
		dw->pkt_ptrs[i] = &dw->pkts[i];
	return dw;
}

void
ft_dpdk_worker_destroy(struct ft_dpdk_worker *dw)
{
	if (dw == NULL)
		return;
	ft_worker_destroy(dw->w);
	free(dw);
}

struct ft_worker *
ft_dpdk_worker_model(struct ft_dpdk_worker *dw)
{
	return dw->w;
}

/*
 * Sends every packet of the burst's tx[] on its port, in order per port, and
 * frees what cannot be sent. Each tx[] entry's pkt is NULL afterwards.
 */
static void
send_all(struct ft_dpdk_worker *dw, struct ft_burst_result *res, uint16_t rx_port)
{
	for (uint32_t j = 0; j < res->n_tx; j++) {
		uint32_t port = res->tx[j].port;
		uint16_t k = 0, sent;
		bool valid;

		if (res->tx[j].pkt == NULL)
			continue;
		valid = port < RTE_MAX_ETHPORTS && rte_eth_dev_is_valid_port((uint16_t)port);
		for (uint32_t l = j; l < res->n_tx; l++) {
			struct ft_pkt *p = res->tx[l].pkt;

			if (p == NULL || res->tx[l].port != port)
				continue;
			res->tx[l].pkt = NULL;
			if (!valid) {
				rte_pktmbuf_free(p->opaque);
				count(&dw->stats[rx_port].drop[FT_DROP_BAD_PORT], 1);
				continue;
			}
			ft_dpdk_pkt_to_mbuf(p);
			dw->tx[k++] = p->opaque;
		}
		if (k == 0)
			continue;
		sent = rte_eth_tx_burst((uint16_t)port, dw->tx_queue, dw->tx, k);
		count(&dw->stats[port].tx, sent);
		if (sent < k) {
			rte_pktmbuf_free_bulk(&dw->tx[sent], k - sent);
			count(&dw->stats[port].tx_full, k - sent);
		}
	}
}

int
ft_dpdk_poll(struct ft_dpdk_worker *dw, uint16_t port, uint16_t queue,
             const struct ft_burst_result **result)
{
	struct ft_burst_result *res = &dw->res;
	struct ft_dpdk_port_stats *st;
	bool resumes = false;
	uint16_t n;
	int rc;

	if (result != NULL)
		*result = res;
	res->n_tx = 0;
	res->n_events = 0;
	if (port >= RTE_MAX_ETHPORTS)
		return -EINVAL;
	n = rte_eth_rx_burst(port, queue, dw->rx, dw->burst);
	if (n == 0)
		return 0;
	st = &dw->stats[port];
	count(&st->rx, n);

	for (uint16_t i = 0; i < n; i++) {
		struct ft_pkt *p = &dw->pkts[i];

		/* A multi-segment mbuf goes in all the same: the model refuses it. */
		rc = ft_dpdk_pkt_from_mbuf(p, dw->rx[i]);
		p->in_port = port;
		dw->resumes[i] = NULL;
		if (dw->run == NULL && dw->resume != NULL && rc == 0) {
			dw->resumes[i] = dw->resume(dw->resume_arg, p);
			resumes |= dw->resumes[i] != NULL;
		}
	}
	if (dw->run != NULL) {
		struct ft_burst_result *own = NULL;

		rc = dw->run(dw->run_arg, dw->w, dw->pkt_ptrs, n, &own);
		if (rc >= 0 && own == NULL)
			rc = -EINVAL;
		if (rc >= 0) {
			res = own;
			if (result != NULL)
				*result = res;
		}
	} else if (resumes) {
		rc = ft_worker_run_resume(dw->w, dw->pkt_ptrs, dw->resumes, n, res);
	} else {
		rc = ft_worker_run(dw->w, dw->pkt_ptrs, n, res);
	}
	if (rc < 0) {
		/*
		 * Nothing ran: the resume contexts are wrong, a bug of whoever made them, or
		 * the run function failed (it sent nothing).
		 */
		DPDK_LOG(ERR, "port %u queue %u: the burst was refused (%s)", port, queue,
		         dw->run != NULL ? "run function" : "resume contexts");
		rte_pktmbuf_free_bulk(dw->rx, n);
		count(&st->bad_resume, n);
		res->n_tx = 0;
		res->n_events = 0;
		return rc;
	}

	send_all(dw, res, port);
	for (uint16_t i = 0; i < n; i++) {
		if (res->used[i])
			continue;
		if (res->drop[i] != FT_DROP_NONE && res->drop[i] < FT_DROP_COUNT)
			count(&st->drop[res->drop[i]], 1);
		rte_pktmbuf_free(dw->rx[i]);
	}
	return n;
}

int
ft_dpdk_send(struct ft_dpdk_worker *dw, uint16_t port, const void *frame, uint16_t len)
{
	struct rte_mbuf *m;
	char *data;

	if (port >= RTE_MAX_ETHPORTS || !rte_eth_dev_is_valid_port(port))
		return -ENODEV;
	if (len == 0)
		return -EINVAL;
	if (dw->copy_pool == NULL || (m = rte_pktmbuf_alloc(dw->copy_pool)) == NULL)
		return -ENOBUFS;
	data = rte_pktmbuf_append(m, len);
	if (data == NULL) {
		rte_pktmbuf_free(m);
		return -EINVAL;
	}
	memcpy(data, frame, len);
	if (rte_eth_tx_burst(port, dw->tx_queue, &m, 1) != 1) {
		rte_pktmbuf_free(m);
		count(&dw->stats[port].tx_full, 1);
		return -EAGAIN;
	}
	count(&dw->stats[port].tx, 1);
	return 0;
}

int
ft_dpdk_worker_stats(const struct ft_dpdk_worker *dw, uint16_t port, struct ft_dpdk_port_stats *out)
{
	const struct ft_dpdk_port_stats *st;

	if (port >= RTE_MAX_ETHPORTS)
		return -EINVAL;
	st = &dw->stats[port];
	out->rx = __atomic_load_n(&st->rx, __ATOMIC_RELAXED);
	out->tx = __atomic_load_n(&st->tx, __ATOMIC_RELAXED);
	out->tx_full = __atomic_load_n(&st->tx_full, __ATOMIC_RELAXED);
	out->bad_resume = __atomic_load_n(&st->bad_resume, __ATOMIC_RELAXED);
	for (uint32_t r = 0; r < FT_DROP_COUNT; r++)
		out->drop[r] = __atomic_load_n(&st->drop[r], __ATOMIC_RELAXED);
	return 0;
}
