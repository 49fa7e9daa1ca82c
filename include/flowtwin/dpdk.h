/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane (driver/dpdk): ethdev ports, mbufs as flowtwin packets,
 * and the rx -> model -> tx loop of one worker thread.
 *
 * This is the only part of flowtwin that touches ethdev ports. It links
 * libdpdk; everything else in flowtwin builds without it.
 *
 * Packets. A received single-segment rte_mbuf becomes a 'struct ft_pkt'
 * without a copy (packet.h gives the field mapping): the model reads and
 * writes the mbuf's own buffer, and after it ran, the new start and length
 * (an encap grows the packet into the headroom, a decap shrinks it) are
 * written back to data_off, data_len and pkt_len before the mbuf is sent.
 * A multi-segment mbuf is refused: its ft_pkt carries nb_segs > 1 and only
 * the first segment's length, so the model drops it with FT_DROP_MULTISEG
 * without reading a byte of it.
 *
 * The NIC's verdict. rte_flow's MARK sets RTE_MBUF_F_RX_FDIR and
 * RTE_MBUF_F_RX_FDIR_ID with the value in mbuf->hash.fdir.hi; FLAG sets
 * RTE_MBUF_F_RX_FDIR alone. So FT_PKT_F_MARK (with 'mark') comes from
 * FDIR_ID, and FT_PKT_F_FLAG from FDIR without FDIR_ID. A rule that runs
 * both MARK and FLAG reads as MARK only: the mbuf cannot tell them apart.
 *
 * Copies. The model replicates and mirrors into buffers from a 'struct
 * ft_pkt_pool' (packet.h); here they are mbufs of an rte_mempool, and each
 * copy's 'struct ft_pkt' lives in its mbuf's private area (between the
 * struct rte_mbuf and the buffer: rte_mbuf_to_priv()), so a copy needs no
 * memory besides its mbuf and the headroom stays free for encapsulation.
 * Such a mempool must have a private area of at least
 * FT_DPDK_MBUF_PRIV_SIZE bytes: ft_dpdk_mempool_create() makes one.
 * Received packets keep their 'struct ft_pkt' in the worker, for the
 * burst; their mempool needs no private area.
 *
 * Ports. Model port numbers are DPDK port ids: a packet the model sends to
 * port 3 leaves on ethdev port 3, and a packet received on port 3 has
 * std.in_port 3. (A mapping table comes with the daemon's configuration.)
 * A model port that is not a valid ethdev port drops the packet with
 * FT_DROP_BAD_PORT.
 *
 * Errors. Functions return 0 (or a count) or a negative errno, and fill the
 * optional 'struct ft_error' with kind FT_ERR_RESOURCE, the port id as
 * index, the device name as object and the DPDK call that failed with
 * rte_strerror()'s text as message.
 *
 * Threads. ft_dpdk_eal_init() and the port functions are for the control
 * thread, once the EAL is up and before (or after) the workers poll. A
 * 'struct ft_dpdk_worker' belongs to one thread, which alone calls
 * ft_dpdk_poll() on it; each worker must poll its own rx queues and send on
 * its own tx queue (DPDK queues are not thread-safe). Its statistics may be
 * read from any thread (each counter is read whole; a set of them is not a
 * snapshot).
 */
#ifndef FLOWTWIN_DPDK_H
#define FLOWTWIN_DPDK_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <flowtwin/drop.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

/* --- EAL -------------------------------------------------------------------- */

/*
 * rte_eal_init(argc, argv): returns the number of arguments the EAL consumed
 * (the application's own start after them), or a negative errno with 'err'
 * set from rte_errno. The EAL starts once per process: a second call fails
 * with -EALREADY.
 */
int ft_dpdk_eal_init(int argc, char **argv, struct ft_error *err);

/* rte_eal_cleanup(): after every port is closed and every worker destroyed. */
int ft_dpdk_eal_cleanup(void);

/* --- Mbufs as packets --------------------------------------------------------- */

/* Bytes of mbuf private area a copy pool needs (a 'struct ft_pkt', aligned). */
#define FT_DPDK_MBUF_PRIV_SIZE RTE_ALIGN_CEIL(sizeof(struct ft_pkt), RTE_MBUF_PRIV_ALIGN)

/*
 * Points 'p' at the packet in 'm', in place: buf = m->buf_addr, buf_len,
 * data_off, len = data_len, nb_segs, in_port = m->port, opaque = m, and
 * the NIC's MARK / FLAG (above). Returns 0, or -ENOTSUP for a
 * multi-segment mbuf: 'p' is then filled all the same, with nb_segs > 1, so
 * that the model refuses it (FT_DROP_MULTISEG) and never reads it. 'm' is
 * borrowed: 'p' is valid as long as 'm' is.
 */
int ft_dpdk_pkt_from_mbuf(struct ft_pkt *p, struct rte_mbuf *m);

/*
 * Writes what the model changed in 'p' back to its mbuf (p->opaque):
 * data_off, and data_len = pkt_len = len. Call it before the mbuf leaves.
 * Does nothing to a multi-segment mbuf.
 */
void ft_dpdk_pkt_to_mbuf(const struct ft_pkt *p);

/*
 * Creates a pktmbuf pool of 'n' mbufs of RTE_MBUF_DEFAULT_BUF_SIZE (2048
 * bytes of data after RTE_PKTMBUF_HEADROOM) with a private area of
 * FT_DPDK_MBUF_PRIV_SIZE, usable for rx and for copies, on NUMA node
 * 'socket' (SOCKET_ID_ANY: any). NULL with 'err' set on failure. Caller owns
 * the result; free with rte_mempool_free() after the ports using it are
 * closed.
 */
struct rte_mempool *ft_dpdk_mempool_create(const char *name, uint32_t n, int socket,
                                           struct ft_error *err);

/*
 * Fills 'pool' with ops that take copies from 'mp' (ft_pkt_pool in
 * packet.h): alloc is rte_pktmbuf_alloc() and returns the ft_pkt in the
 * mbuf's private area, with opaque = the mbuf; free is rte_pktmbuf_free().
 * 'mp' is borrowed and must outlive the worker the pool is given to.
 * Returns -EINVAL if 'mp' is not a pktmbuf pool with a private area of
 * FT_DPDK_MBUF_PRIV_SIZE or more, or if its buffers cannot hold
 * FT_PKT_HEADROOM plus a 1518-byte frame.
 */
int ft_dpdk_pkt_pool_init(struct ft_pkt_pool *pool, struct rte_mempool *mp, struct ft_error *err);

/* --- Ports -------------------------------------------------------------------- */

struct ft_dpdk_port_params {
	uint16_t n_rxq;              /* rx queues, >= 1; more than 1: RSS over them */
	uint16_t n_txq;              /* tx queues, >= 1: one per worker */
	uint16_t nb_desc;            /* descriptors per queue; 0: 1024 (adjusted to the device) */
	struct rte_mempool *mempool; /* rx buffers (borrowed) */
	bool promiscuous;            /* receive every destination MAC; false: as the device is */
	bool rss_optional;           /* n_rxq > 1 on a device without RSS: set the queues up
	                              * without it (what reaches each queue is the device's
	                              * choice: net_pcap reads one file per queue) instead of
	                              * failing with -ENOTSUP */
};

/*
 * Configures ethdev port 'port_id' with the queues of 'params' and starts
 * it. With n_rxq > 1 the port spreads packets over the rx queues by RSS on
 * IP addresses and TCP/UDP ports (what of those the device can hash);
 * -ENOTSUP when it has no RSS at all, unless params->rss_optional. The
 * port may already be configured and stopped (a restart): it is configured
 * again. On failure the port is left stopped. Errors: -ENODEV (no such
 * port), -EINVAL (params: zero queues, more than the device has, no
 * mempool), -ENOTSUP, and whatever the PMD returns; 'err' names the call
 * that failed.
 */
int ft_dpdk_port_open(uint16_t port_id, const struct ft_dpdk_port_params *params,
                      struct ft_error *err);

/*
 * The port's MAC address into 'mac' (6 bytes): 0, -ENODEV, or the PMD's error.
 */
int ft_dpdk_port_mac(uint16_t port_id, uint8_t mac[6], struct ft_error *err);

/*
 * Stops the port: rx and tx stop, and the rte_flow rules installed on it are
 * gone (DESIGN.md: re-install them after every start). ft_dpdk_port_open()
 * starts it again. No worker may poll it meanwhile.
 */
int ft_dpdk_port_stop(uint16_t port_id, struct ft_error *err);

/*
 * Stops the port if it runs and closes it: its queues, and for a virtual
 * device the device itself, are released. The port id is not valid after.
 */
int ft_dpdk_port_close(uint16_t port_id, struct ft_error *err);

/* --- The rx/tx loop ------------------------------------------------------------- */

/*
 * Where a received packet resumes in the model, decided from what the NIC
 * attached to it (its MARK: offload/'s restore contexts), or NULL: from the
 * start. Called on the worker's thread for each single-segment packet of a
 * burst, before the model runs; the result must stay valid until that
 * ft_dpdk_poll() returns. 'pkt' is borrowed.
 */
typedef const struct ft_resume *(*ft_dpdk_resume_fn)(void *arg, const struct ft_pkt *pkt);

/*
 * Runs a burst in place of the model: the application's own path for the
 * burst's packets (the software NIC then the model, ft_twin_run() in
 * twin.h), called on the worker's thread with the worker's model worker
 * 'w' and the burst's 'n' packets (in_port set, the NIC's MARK read;
 * multi-segment ones included, with nb_segs > 1). It must leave the
 * packets and a 'struct ft_burst_result' as ft_worker_run() does, point
 * '*res' at that result (valid until ft_dpdk_poll() returns; the worker
 * sends its tx[] and frees the rest), and return n_tx, or a negative
 * errno when nothing was sent: the burst is then freed and counted in
 * 'bad_resume'. The packets are borrowed for the call.
 */
typedef int (*ft_dpdk_run_fn)(void *arg, struct ft_worker *w, struct ft_pkt *const *pkts,
                              uint16_t n, struct ft_burst_result **res);

struct ft_dpdk_worker_params {
	struct ft_pipeline *pipe;      /* borrowed; outlives the worker */
	struct rte_mempool *copy_pool; /* copies (replication, mirroring), borrowed;
	                                * NULL: none (FT_DROP_NO_BUFFER) */
	uint16_t tx_queue;             /* the queue this worker sends on, on every port */
	uint16_t burst;                /* rx burst, 1 .. FT_BURST_MAX; 0: FT_BURST_MAX */
	ft_dpdk_resume_fn resume;      /* NULL: every packet runs from the start */
	void *resume_arg;
	/* NULL: the model runs the bursts; else 'run' does ('resume' is then unused). */
	ft_dpdk_run_fn run;
	void *run_arg;
};

/*
 * What one worker counted for one port. Packets are counted on the port
 * they came in on, except 'tx' and 'tx_full', which count on the port they
 * were sent to.
 */
struct ft_dpdk_port_stats {
	uint64_t rx;                  /* packets received */
	uint64_t tx;                  /* packets (copies included) the PMD took */
	uint64_t tx_full;             /* packets (copies included) the tx queue had no room for:
	                               * freed, not retried */
	uint64_t bad_resume;          /* bursts' packets dropped because ft_worker_run_resume()
	                               * refused the resume contexts (-EINVAL), or the run
	                               * function failed */
	uint64_t drop[FT_DROP_COUNT]; /* input packets of which nothing was sent, by reason (see
	                               * struct ft_burst_result), and FT_DROP_BAD_PORT for each
	                               * packet or copy output to a port that is not an ethdev
	                               * port; copies dropped inside the model are in the
	                               * pipeline's statistics (ft_pipeline_stats()) */
};

struct ft_dpdk_worker;

/*
 * Creates a worker: a model worker of 'params->pipe' (ft_worker_create())
 * with copies from params->copy_pool, and its rx/tx state. Caller owns the
 * result; free with ft_dpdk_worker_destroy(). NULL with 'err' set on
 * failure (-EINVAL for bad params or a copy pool ft_dpdk_pkt_pool_init()
 * refuses, or the model's error).
 */
struct ft_dpdk_worker *ft_dpdk_worker_create(const struct ft_dpdk_worker_params *params,
                                             struct ft_error *err);

/* Destroys the worker and its model worker. NULL: nothing. */
void ft_dpdk_worker_destroy(struct ft_dpdk_worker *dw);

/* The model worker, for ft_worker_trace(): borrowed, on the worker's thread only. */
struct ft_worker *ft_dpdk_worker_model(struct ft_dpdk_worker *dw);

/*
 * One turn of the loop: receives up to params->burst packets from (port,
 * queue), runs them through the model (ft_worker_run(), or
 * ft_worker_run_resume() when the worker has a resume function), sends
 * every packet the model output on its port, on the worker's tx queue,
 * and frees every mbuf that is not sent: dropped packets, the originals of
 * replicated ones, and what a full tx queue did not take. Every mbuf
 * received (and every copy) is sent or freed before it returns.
 *
 * std.in_port is 'port', whatever the PMD wrote to mbuf->port.
 *
 * If 'result' is not NULL it is pointed at the burst's result (events:
 * digests for the control plane; drop reasons per packet), valid until the
 * next call on this worker; its tx[] packets are gone by then.
 *
 * Returns the number of packets received (0: the queue was empty), or
 * -EINVAL when the model refused the resume contexts (the burst's packets
 * are freed and counted in bad_resume). Never blocks, never allocates but
 * mbufs from the copy pool.
 */
int ft_dpdk_poll(struct ft_dpdk_worker *dw, uint16_t port, uint16_t queue,
                 const struct ft_burst_result **result);

/*
 * Sends 'len' bytes of 'frame' on 'port' (a packet the application made: an
 * ARP request), copied into an mbuf of the worker's copy pool, on the
 * worker's tx queue. The worker's thread only, between ft_dpdk_poll()
 * calls. Counted in the port's 'tx' (or 'tx_full'). Returns 0, -EINVAL
 * (len 0 or more than an mbuf holds), -ENODEV (no such port), -ENOBUFS (no
 * copy pool, or it is empty), or -EAGAIN when the tx queue was full (the
 * mbuf is freed). 'frame' is borrowed.
 */
int ft_dpdk_send(struct ft_dpdk_worker *dw, uint16_t port, const void *frame, uint16_t len);

/*
 * What worker 'dw' counted for 'port' since it was created: 0, or -EINVAL
 * for a port id >= RTE_MAX_ETHPORTS.
 */
int ft_dpdk_worker_stats(const struct ft_dpdk_worker *dw, uint16_t port,
                         struct ft_dpdk_port_stats *out);

#ifdef __cplusplus
}
#endif

#endif
