/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of driver/dpdk (include/flowtwin/dpdk.h) on DPDK's software ports,
 * without hugepages, PCI or a NIC.
 *
 * The program starts the EAL itself, once (the EAL cannot start twice in a
 * process), with five virtual ports:
 *
 *	net_ring0, net_ring1  each port's tx queue feeds its own rx queue
 *	                      (net_ring's loopback): the tests put mbufs they
 *	                      built (marked, multi-segment) into ring0 with
 *	                      rte_eth_tx_burst(), ft_dpdk_poll() receives them,
 *	                      and what the model sent to ring1 is read back with
 *	                      rte_eth_rx_burst() on ring1.
 *	net_pcap0, net_pcap1  pcap0 reads in.pcap, written here by hand; pcap1
 *	                      writes what it sends to out1.pcap, read back by
 *	                      hand and compared byte for byte.
 *	net_null0             a port with RSS, for port set-up (never polled:
 *	                      its rx makes packets out of nothing).
 *
 * Each test builds its own small pipeline with the builder API (program.h):
 * a table on std.in_port whose actions send, prepend a 4-byte tag header
 * and send (an encapsulation in miniature: the packet grows into the
 * headroom, so the mbuf's data_off must be written back), replicate to a
 * group, or drop (the default). Frames are built here, independently of
 * the model. After each test every mbuf must be back in the mempool (the
 * leak check in teardown), and the driver's counters must say exactly
 * where each packet went.
 *
 * Under AddressSanitizer the EAL runs as well (it maps its memory with
 * mmap(), which ASan does not mind); should it fail to start there, the
 * program says so and exits 77 (skipped).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <flowtwin/dpdk.h>
#include <flowtwin/drop.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#include "test_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define N_MBUFS  4096
#define TAG_TPID 0xabcd
#define BAD_PORT 77 /* not an ethdev port (>= RTE_MAX_ETHPORTS would do too) */

static struct ft_error err;
static char tmpdir[64];
static struct rte_mempool *mp;
static uint16_t ring0, ring1, pcap0, pcap1;
static bool pcap1_open;

static uint32_t
ok_at(int rc, const char *what, int line)
{
	if (rc < 0)
		fail_msg("line %d: %s returned %d: '%s': %s", line, what, rc, err.object,
		         err.message);
	return (uint32_t)rc;
}

#define OK(x) ok_at((x), #x, __LINE__)

/* --- Frames ------------------------------------------------------------------ */

static void
wr(uint8_t *p, uint32_t n, uint64_t v)
{
	for (uint32_t i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static uint16_t
ref_csum(const uint8_t *p, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* An Ethernet / IPv4 / UDP frame with 'payload' bytes of payload; returns its length. */
static uint32_t
udp_frame(uint8_t *f, uint32_t payload, uint8_t seed)
{
	uint32_t ip_len = 20 + 8 + payload;

	memset(f, 0, 14 + ip_len);
	wr(f, 6, 0x020000000002ull);
	wr(f + 6, 6, 0x020000000001ull + seed);
	wr(f + 12, 2, 0x0800);
	f[14] = 0x45;
	wr(f + 16, 2, ip_len);
	wr(f + 18, 2, seed);
	f[22] = 64;
	f[23] = 17;
	wr(f + 26, 4, 0x0a000001);
	wr(f + 30, 4, 0x0a000002 + seed);
	wr(f + 24, 2, ref_csum(f + 14, 20));
	wr(f + 34, 2, 1000 + seed);
	wr(f + 36, 2, 2000);
	wr(f + 38, 2, 8 + payload);
	for (uint32_t i = 0; i < payload; i++)
		f[42 + i] = (uint8_t)(seed * 7 + i);
	return 14 + ip_len;
}

/* A frame that says IPv4 but ends 10 bytes into the IPv4 header. */
static uint32_t
trunc_ipv4_frame(uint8_t *f)
{
	uint8_t full[128];

	udp_frame(full, 16, 9);
	memcpy(f, full, 24);
	return 24;
}

/* --- pcap files, by hand ---------------------------------------------------------- */

static void
pcap_write(const char *path, const uint8_t *const *frames, const uint32_t *lens, uint32_t n)
{
	FILE *f = fopen(path, "wb");
	uint32_t hdr[6] = {0xa1b2c3d4, 2 | 4u << 16, 0, 0, 65535, 1};

	assert_non_null(f);
	assert_int_equal(fwrite(hdr, sizeof(hdr), 1, f), 1);
	for (uint32_t i = 0; i < n; i++) {
		uint32_t rec[4] = {1700000000u + i, 0, lens[i], lens[i]};

		assert_int_equal(fwrite(rec, sizeof(rec), 1, f), 1);
		assert_int_equal(fwrite(frames[i], lens[i], 1, f), 1);
	}
	assert_int_equal(fclose(f), 0);
}

/* Reads up to 'max' frames of a little-endian pcap (micro- or nanosecond) into 'buf'. */
static uint32_t
pcap_read(const char *path, uint8_t (*buf)[2048], uint32_t *lens, uint32_t max)
{
	FILE *f = fopen(path, "rb");
	uint32_t hdr[6], rec[4], n = 0;

	assert_non_null(f);
	assert_int_equal(fread(hdr, sizeof(hdr), 1, f), 1);
	assert_true(hdr[0] == 0xa1b2c3d4 || hdr[0] == 0xa1b23c4d);
	assert_int_equal(hdr[5], 1); /* Ethernet */
	while (fread(rec, sizeof(rec), 1, f) == 1) {
		assert_true(n < max);
		assert_int_equal(rec[2], rec[3]); /* not cut by the snap length */
		assert_true(rec[2] <= sizeof(buf[0]));
		assert_int_equal(fread(buf[n], rec[2], 1, f), 1);
		lens[n++] = rec[2];
	}
	fclose(f);
	return n;
}

/* --- The pipeline -------------------------------------------------------------- */

static const struct ft_field_decl eth_f[] = {
        {"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
static const struct ft_field_decl ipv4_f[] = {
        {"version", 4},         {"ihl", 4},           {"diffserv", 8},     {"total_len", 16},
        {"identification", 16}, {"flags", 3},         {"frag_offset", 13}, {"ttl", 8},
        {"protocol", 8},        {"hdr_checksum", 16}, {"src_addr", 32},    {"dst_addr", 32},
};
static const struct ft_field_decl udp_f[] = {
        {"src_port", 16}, {"dst_port", 16}, {"length", 16}, {"checksum", 16}};
/* A header of our own that only actions make valid, emitted in front of the frame. */
static const struct ft_field_decl tag_f[] = {{"tpid", 16}, {"vid", 16}};
enum { TAG_TPID_F, TAG_VID_F };

struct testpipe {
	struct ft_pipeline *pipe;
	uint32_t table, send, tag_send, flood, drop;
};

static void
pipe_build(struct testpipe *tp)
{
	struct ft_program *p = ft_program_create("dpdk_test");
	uint32_t eth, ipv4, udp, tag, h_eth, h_ipv4, h_udp, h_tag;
	const struct ft_param_decl port_p[] = {{"port", 32}};
	const struct ft_param_decl tag_p[] = {{"port", 32}, {"vid", 16}};
	const struct ft_param_decl group_p[] = {{"group", 16}};
	struct ft_key_decl key = {ft_ref_std(FT_STD_IN_PORT), FT_MATCH_EXACT};
	struct ft_table_action ta[4];
	struct ft_table_decl td = {.name = "fwd",
	                           .keys = &key,
	                           .n_keys = 1,
	                           .actions = ta,
	                           .n_actions = 4,
	                           .size = 64};
	struct ft_node node = {.kind = FT_NODE_APPLY,
	                       .next = FT_NODE_END,
	                       .next_hit = FT_NEXT_DEFAULT,
	                       .next_miss = FT_NEXT_DEFAULT};

	assert_non_null(p);
	eth = OK(ft_program_add_header_type(p, "ethernet_h", eth_f, ARRAY_SIZE(eth_f), &err));
	ipv4 = OK(ft_program_add_header_type(p, "ipv4_h", ipv4_f, ARRAY_SIZE(ipv4_f), &err));
	udp = OK(ft_program_add_header_type(p, "udp_h", udp_f, ARRAY_SIZE(udp_f), &err));
	tag = OK(ft_program_add_header_type(p, "tag_h", tag_f, ARRAY_SIZE(tag_f), &err));
	h_eth = OK(ft_program_add_header(p, "ethernet", eth, FT_PROTO_ETH, FT_L_ETH, &err));
	h_ipv4 = OK(ft_program_add_header(p, "ipv4", ipv4, FT_PROTO_IPV4, FT_L_IPV4, &err));
	h_udp = OK(ft_program_add_header(p, "udp", udp, FT_PROTO_UDP, FT_L_UDP, &err));
	h_tag = OK(ft_program_add_header(p, "tag", tag, FT_PROTO_NONE, FT_L_NONE, &err));
	OK(ft_program_set_emit(p, (const uint32_t[]){h_tag, h_eth, h_ipv4, h_udp}, 4, &err));

	const struct ft_op send_ops[] = {{.kind = FT_OP_SEND, .a = ft_ref_param(0)}};
	const struct ft_op tag_ops[] = {
	        {.kind = FT_OP_SET_VALID, .dst = ft_ref_header(h_tag)},
	        {.kind = FT_OP_SET,
	         .dst = ft_ref_field(h_tag, TAG_TPID_F),
	         .a = ft_ref_const(TAG_TPID, 16)},
	        {.kind = FT_OP_SET, .dst = ft_ref_field(h_tag, TAG_VID_F), .a = ft_ref_param(1)},
	        {.kind = FT_OP_SEND, .a = ft_ref_param(0)},
	};
	const struct ft_op flood_ops[] = {{.kind = FT_OP_REPLICATE, .a = ft_ref_param(0)}};
	const struct ft_op drop_ops[] = {{.kind = FT_OP_DROP}};

	tp->send = OK(ft_program_add_action(p, "send", port_p, 1, send_ops, 1, &err));
	tp->tag_send = OK(ft_program_add_action(p, "tag_send", tag_p, 2, tag_ops, 4, &err));
	tp->flood = OK(ft_program_add_action(p, "flood", group_p, 1, flood_ops, 1, &err));
	tp->drop = OK(ft_program_add_action(p, "drop", NULL, 0, drop_ops, 1, &err));
	ta[0] = (struct ft_table_action){tp->send, FT_SCOPE_ANY};
	ta[1] = (struct ft_table_action){tp->tag_send, FT_SCOPE_ANY};
	ta[2] = (struct ft_table_action){tp->flood, FT_SCOPE_ANY};
	ta[3] = (struct ft_table_action){tp->drop, FT_SCOPE_ANY};
	td.default_action = tp->drop;
	tp->table = OK(ft_program_add_table(p, &td, &err));
	node.table = tp->table;
	OK(ft_program_add_node(p, FT_CTL_INGRESS, &node, &err));
	tp->pipe = ft_pipeline_create(p, NULL, &err);
	if (tp->pipe == NULL)
		fail_msg("ft_pipeline_create: '%s': %s", err.object, err.message);
}

/* in_port -> action(data) */
static void
pipe_entry(struct testpipe *tp, uint32_t in_port, uint32_t action, const uint8_t *data)
{
	uint8_t key[4];
	struct ft_txn *txn = ft_txn_begin(tp->pipe, &err);
	struct ft_entry e = {.key = key, .action = action, .data = data};

	wr(key, 4, in_port);
	assert_non_null(txn);
	OK(ft_txn_entry_add(txn, tp->table, &e, &err));
	OK(ft_txn_commit(txn, &err));
}

static void
pipe_send(struct testpipe *tp, uint32_t in_port, uint32_t out_port)
{
	uint8_t data[4];

	wr(data, 4, out_port);
	pipe_entry(tp, in_port, tp->send, data);
}

static struct ft_dpdk_worker *
worker(struct testpipe *tp, ft_dpdk_resume_fn resume, void *arg)
{
	struct ft_dpdk_worker_params wp = {
	        .pipe = tp->pipe, .copy_pool = mp, .resume = resume, .resume_arg = arg};
	struct ft_dpdk_worker *dw = ft_dpdk_worker_create(&wp, &err);

	if (dw == NULL)
		fail_msg("ft_dpdk_worker_create: %s", err.message);
	return dw;
}

static void
pipe_done(struct testpipe *tp, struct ft_dpdk_worker *dw)
{
	ft_dpdk_worker_destroy(dw);
	ft_pipeline_destroy(tp->pipe);
}

/* --- Mbufs --------------------------------------------------------------------- */

static struct rte_mbuf *
mbuf_of(const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
	char *d;

	assert_non_null(m);
	d = rte_pktmbuf_append(m, (uint16_t)len);
	assert_non_null(d);
	memcpy(d, frame, len);
	return m;
}

/* Puts 'n' mbufs into net_ring port 'port' (they come back on its rx queue). */
static void
inject(uint16_t port, struct rte_mbuf **m, uint16_t n)
{
	assert_int_equal(rte_eth_tx_burst(port, 0, m, n), n);
}

/* Polls until the queue is empty; returns the packets received. */
static uint32_t
poll_all(struct ft_dpdk_worker *dw, uint16_t port)
{
	uint32_t total = 0;
	int n;

	while ((n = ft_dpdk_poll(dw, port, 0, NULL)) > 0)
		total += (uint32_t)n;
	assert_int_equal(n, 0);
	return total;
}

/* Receives what is waiting on 'port' (at most 'max'). */
static uint16_t
drain(uint16_t port, struct rte_mbuf **m, uint16_t max)
{
	uint16_t n = 0, k;

	while (n < max && (k = rte_eth_rx_burst(port, 0, m + n, (uint16_t)(max - n))) > 0)
		n += k;
	return n;
}

static void
assert_mbuf_bytes(const struct rte_mbuf *m, const uint8_t *want, uint32_t len)
{
	assert_int_equal(m->nb_segs, 1);
	assert_int_equal(m->data_len, len);
	assert_int_equal(m->pkt_len, len);
	assert_memory_equal(rte_pktmbuf_mtod(m, const uint8_t *), want, len);
}

static struct ft_dpdk_port_stats
stats(struct ft_dpdk_worker *dw, uint16_t port)
{
	struct ft_dpdk_port_stats s;

	OK(ft_dpdk_worker_stats(dw, port, &s));
	return s;
}

/* --- Fixtures: the leak check ---------------------------------------------------- */

static unsigned int avail_before;

static int
setup(void **state)
{
	(void)state;
	avail_before = rte_mempool_avail_count(mp);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	if (rte_mempool_avail_count(mp) != avail_before) {
		print_error("mbuf leak: %u in the pool before, %u after\n", avail_before,
		            rte_mempool_avail_count(mp));
		return -1;
	}
	return 0;
}

/* --- Tests ------------------------------------------------------------------------ */

/* The EAL, ports and pools refuse what they must, with a useful ft_error. */
static void
test_errors(void **state)
{
	struct ft_dpdk_port_params pp = {.n_rxq = 2, .n_txq = 1, .mempool = mp};
	char *argv[] = {"again", NULL};
	struct rte_mempool *bare;
	struct ft_pkt_pool pool;

	(void)state;
	assert_int_equal(ft_dpdk_eal_init(1, argv, &err), -EALREADY);
	assert_int_equal(err.kind, FT_ERR_RESOURCE);
	assert_string_equal(err.object, "eal");
	assert_non_null(strstr(err.message, "rte_eal_init: "));

	assert_int_equal(ft_dpdk_port_open(RTE_MAX_ETHPORTS - 1, &pp, &err), -ENODEV);
	assert_int_equal(err.index, RTE_MAX_ETHPORTS - 1);

	/* net_ring has no RSS: two rx queues cannot be fed. */
	assert_int_equal(ft_dpdk_port_open(ring0, &pp, &err), -ENOTSUP);
	assert_int_equal(err.code, -ENOTSUP);
	assert_int_equal(err.index, ring0);
	assert_string_equal(err.object, "net_ring0");
	assert_non_null(strstr(err.message, "RSS"));

	pp.n_rxq = 0;
	assert_int_equal(ft_dpdk_port_open(ring0, &pp, &err), -EINVAL);
	pp.n_rxq = 1;
	pp.mempool = NULL;
	assert_int_equal(ft_dpdk_port_open(ring0, &pp, &err), -EINVAL);

	/* A copy pool needs room for the ft_pkt in each mbuf's private area. */
	bare = rte_pktmbuf_pool_create("ft_bare", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
	                               SOCKET_ID_ANY);
	assert_non_null(bare);
	assert_int_equal(ft_dpdk_pkt_pool_init(&pool, bare, &err), -EINVAL);
	assert_string_equal(err.object, "ft_bare");
	assert_non_null(strstr(err.message, "private area"));
	rte_mempool_free(bare);
	OK(ft_dpdk_pkt_pool_init(&pool, mp, &err));
}

/*
 * net_null hashes: two rx queues get RSS over IP and L4 ports; the port
 * stops, is opened again with one queue (no RSS), and closes.
 */
static void
test_port_rss_restart(void **state)
{
	struct ft_dpdk_port_params pp = {.n_rxq = 2, .n_txq = 2, .mempool = mp};
	struct rte_eth_rss_conf rss = {0};
	uint16_t null0;
	int rc;

	(void)state;
	OK(rte_eth_dev_get_port_by_name("net_null0", &null0));
	OK(ft_dpdk_port_open(null0, &pp, &err));
	OK(rte_eth_dev_rss_hash_conf_get(null0, &rss));
	assert_true(rss.rss_hf & RTE_ETH_RSS_IPV4);
	assert_true(rss.rss_hf & RTE_ETH_RSS_NONFRAG_IPV4_UDP);
	/* Open while it runs: the PMD refuses to configure a started port. */
	assert_true(ft_dpdk_port_open(null0, &pp, &err) < 0);
	assert_string_equal(err.object, "net_null0");
	assert_non_null(strstr(err.message, "rte_eth_dev_configure: "));

	OK(ft_dpdk_port_stop(null0, &err));
	pp.n_rxq = 1;
	OK(ft_dpdk_port_open(null0, &pp, &err));
	rss.rss_hf = 0;
	rc = rte_eth_dev_rss_hash_conf_get(null0, &rss);
	assert_true(rc < 0 || rss.rss_hf == 0);
	OK(ft_dpdk_port_close(null0, &err));
	assert_false(rte_eth_dev_is_valid_port(null0));
	assert_int_equal(ft_dpdk_port_close(null0, &err), -ENODEV);

	/* The rings were opened promiscuous (main()). */
	assert_int_equal(rte_eth_promiscuous_get(ring0), 1);
}

/* The adapter, both ways: fields, MARK, FLAG, a refused chain, the write-back. */
static void
test_adapter(void **state)
{
	uint8_t frame[128];
	uint32_t len = udp_frame(frame, 20, 1);
	struct rte_mbuf *m = mbuf_of(frame, len), *m2;
	struct ft_pkt p;

	(void)state;
	m->port = 5;
	m->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
	m->hash.fdir.hi = 0xfffef0;
	OK(ft_dpdk_pkt_from_mbuf(&p, m));
	assert_ptr_equal(p.buf, m->buf_addr);
	assert_ptr_equal(p.opaque, m);
	assert_int_equal(p.buf_len, m->buf_len);
	assert_int_equal(p.data_off, RTE_PKTMBUF_HEADROOM);
	assert_int_equal(p.len, len);
	assert_int_equal(p.nb_segs, 1);
	assert_int_equal(p.in_port, 5);
	assert_int_equal(p.flags, FT_PKT_F_MARK);
	assert_int_equal(p.mark, 0xfffef0);
	assert_ptr_equal(ft_pkt_data(&p), rte_pktmbuf_mtod(m, uint8_t *));

	m->ol_flags &= ~RTE_MBUF_F_RX_FDIR_ID; /* FLAG alone */
	OK(ft_dpdk_pkt_from_mbuf(&p, m));
	assert_int_equal(p.flags, FT_PKT_F_FLAG);
	assert_int_equal(p.mark, 0);
	m->ol_flags &= ~RTE_MBUF_F_RX_FDIR;
	OK(ft_dpdk_pkt_from_mbuf(&p, m));
	assert_int_equal(p.flags, 0);

	/* What the model did to the packet reaches the mbuf. */
	p.data_off -= 8;
	p.len += 8 - 30;
	ft_dpdk_pkt_to_mbuf(&p);
	assert_int_equal(m->data_off, RTE_PKTMBUF_HEADROOM - 8);
	assert_int_equal(m->data_len, len - 22);
	assert_int_equal(m->pkt_len, len - 22);

	/* A chain is refused, and the ft_pkt says so to the model. */
	m2 = mbuf_of(frame, 10);
	OK(rte_pktmbuf_chain(m, m2));
	assert_int_equal(ft_dpdk_pkt_from_mbuf(&p, m), -ENOTSUP);
	assert_int_equal(p.nb_segs, 2);
	ft_dpdk_pkt_to_mbuf(&p); /* does nothing to a chain */
	assert_int_equal(m->pkt_len, len - 22 + 10);
	rte_pktmbuf_free(m);
}

/*
 * pcap0 -> model -> pcap1, checked byte for byte in the output file; a
 * malformed packet in the middle is dropped with its parse reason and the
 * rest goes on.
 */
static void
test_pcap_forward(void **state)
{
	static uint8_t out[8][2048];
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	uint8_t frames[6][1024];
	uint32_t lens[6], out_lens[8], n;
	char path[128];
	struct ft_dpdk_port_stats s;
	struct ft_stats ps;

	(void)state;
	/* The frames main() wrote to in.pcap. */
	for (uint32_t i = 0; i < 6; i++)
		lens[i] = i == 2 ? trunc_ipv4_frame(frames[i])
		                 : udp_frame(frames[i], 10 + 100 * i, (uint8_t)i);
	pipe_build(&tp);
	pipe_send(&tp, pcap0, pcap1);
	dw = worker(&tp, NULL, NULL);

	assert_int_equal(poll_all(dw, pcap0), 6);
	s = stats(dw, pcap0);
	assert_int_equal(s.rx, 6);
	assert_int_equal(s.drop[FT_DROP_TRUNC_IPV4], 1);
	assert_int_equal(s.tx, 0);
	s = stats(dw, pcap1);
	assert_int_equal(s.rx, 0);
	assert_int_equal(s.tx, 5);
	assert_int_equal(s.tx_full, 0);
	ft_pipeline_stats(tp.pipe, &ps);
	assert_int_equal(ps.rx, 6);
	assert_int_equal(ps.tx, 5);
	assert_int_equal(ps.drop[FT_DROP_TRUNC_IPV4], 1);
	pipe_done(&tp, dw);

	/* Closing the port flushes and closes its pcap file. */
	OK(ft_dpdk_port_close(pcap1, &err));
	pcap1_open = false;
	snprintf(path, sizeof(path), "%s/out1.pcap", tmpdir);
	n = pcap_read(path, out, out_lens, ARRAY_SIZE(out));
	assert_int_equal(n, 5);
	for (uint32_t i = 0, j = 0; i < 6; i++) {
		if (i == 2)
			continue;
		assert_int_equal(out_lens[j], lens[i]);
		assert_memory_equal(out[j], frames[i], lens[i]);
		j++;
	}
}

/* ring0 -> ring1: good packets pass, a chain and a malformed packet are counted drops. */
static void
test_ring_multiseg_malformed(void **state)
{
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	uint8_t good1[256], good2[256], chained[256], bad[256];
	uint32_t l1 = udp_frame(good1, 50, 1), l2 = udp_frame(good2, 70, 2);
	uint32_t lc = udp_frame(chained, 60, 3), lb;
	struct rte_mbuf *in[4], *out[8], *tail;
	struct ft_dpdk_port_stats s;
	struct ft_stats ps;

	(void)state;
	/* UDP length one more than the IP payload. */
	lb = udp_frame(bad, 40, 4);
	wr(bad + 38, 2, 8 + 41);
	pipe_build(&tp);
	pipe_send(&tp, ring0, ring1);
	dw = worker(&tp, NULL, NULL);

	in[0] = mbuf_of(good1, l1);
	in[1] = mbuf_of(chained, 30);
	tail = mbuf_of(chained + 30, lc - 30);
	OK(rte_pktmbuf_chain(in[1], tail));
	in[2] = mbuf_of(bad, lb);
	in[3] = mbuf_of(good2, l2);
	inject(ring0, in, 4);

	assert_int_equal(poll_all(dw, ring0), 4);
	s = stats(dw, ring0);
	assert_int_equal(s.rx, 4);
	assert_int_equal(s.drop[FT_DROP_MULTISEG], 1);
	assert_int_equal(s.drop[FT_DROP_UDP_LEN], 1);
	assert_int_equal(stats(dw, ring1).tx, 2);
	ft_pipeline_stats(tp.pipe, &ps);
	assert_int_equal(ps.drop[FT_DROP_MULTISEG], 1);
	assert_int_equal(ps.drop[FT_DROP_UDP_LEN], 1);

	assert_int_equal(drain(ring1, out, 8), 2);
	assert_mbuf_bytes(out[0], good1, l1);
	assert_mbuf_bytes(out[1], good2, l2);
	rte_pktmbuf_free_bulk(out, 2);
	pipe_done(&tp, dw);
}

/* The model grows the packet into the headroom: the mbuf that leaves says so. */
static void
test_ring_encap_writeback(void **state)
{
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	uint8_t frame[256], want[256], data[6];
	uint32_t len = udp_frame(frame, 33, 5);
	struct rte_mbuf *m = mbuf_of(frame, len), *out[4];

	(void)state;
	pipe_build(&tp);
	wr(data, 4, ring1);
	wr(data + 4, 2, 42);
	pipe_entry(&tp, ring0, tp.tag_send, data);
	dw = worker(&tp, NULL, NULL);
	wr(want, 2, TAG_TPID);
	wr(want + 2, 2, 42);
	memcpy(want + 4, frame, len);

	inject(ring0, &m, 1);
	assert_int_equal(poll_all(dw, ring0), 1);
	assert_int_equal(drain(ring1, out, 4), 1);
	assert_ptr_equal(out[0], m); /* zero copy: the very mbuf */
	assert_int_equal(out[0]->data_off, RTE_PKTMBUF_HEADROOM - 4);
	assert_mbuf_bytes(out[0], want, len + 4);
	rte_pktmbuf_free(out[0]);
	pipe_done(&tp, dw);
}

/* Copies come from the mempool and go back to it; a bad port is a counted drop. */
static void
test_ring_replicate(void **state)
{
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	uint8_t frame[256], data[2];
	uint32_t len = udp_frame(frame, 90, 6);
	struct rte_mbuf *m = mbuf_of(frame, len), *out[4];
	struct ft_group_member members[] = {{ring1, 1}, {ring1, 2}, {BAD_PORT, 3}};
	struct ft_txn *txn;
	struct ft_stats ps;

	(void)state;
	pipe_build(&tp);
	txn = ft_txn_begin(tp.pipe, &err);
	assert_non_null(txn);
	OK(ft_txn_group_set(txn, 7, members, 3, &err));
	OK(ft_txn_commit(txn, &err));
	wr(data, 2, 7);
	pipe_entry(&tp, ring0, tp.flood, data);
	dw = worker(&tp, NULL, NULL);

	inject(ring0, &m, 1);
	assert_int_equal(poll_all(dw, ring0), 1);
	assert_int_equal(stats(dw, ring1).tx, 2);
	assert_int_equal(stats(dw, ring0).drop[FT_DROP_BAD_PORT], 1);
	ft_pipeline_stats(tp.pipe, &ps);
	assert_int_equal(ps.copies, 2);
	assert_int_equal(drain(ring1, out, 4), 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_ptr_not_equal(out[i], m);
		assert_int_equal(out[i]->pool, mp);
		assert_mbuf_bytes(out[i], frame, len);
	}
	rte_pktmbuf_free_bulk(out, 2);
	pipe_done(&tp, dw);
}

struct resume_ctx {
	struct ft_resume resume, bad;
	struct ft_resume_step step;
	uint8_t data[4];
	uint32_t calls, marks[8], flags[8];
};

static const struct ft_resume *
resume_lookup(void *arg, const struct ft_pkt *pkt)
{
	struct resume_ctx *rc = arg;

	if (rc->calls < ARRAY_SIZE(rc->marks)) {
		rc->marks[rc->calls] = pkt->mark;
		rc->flags[rc->calls] = pkt->flags;
	}
	rc->calls++;
	if (!(pkt->flags & FT_PKT_F_MARK))
		return NULL;
	return pkt->mark == 0x77 ? &rc->resume : &rc->bad;
}

/*
 * The resume hook sees the NIC's MARK: a marked packet resumes after a
 * replayed send (the table would drop it), an unmarked one runs from the
 * start and is dropped by the default action; contexts the model refuses
 * fail the burst, whose mbufs are freed and counted.
 */
static void
test_ring_mark_resume(void **state)
{
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	struct resume_ctx rc = {0};
	uint8_t frame[256];
	uint32_t len = udp_frame(frame, 12, 7);
	struct rte_mbuf *in[3], *out[4];
	struct ft_dpdk_port_stats s;

	(void)state;
	pipe_build(&tp);
	wr(rc.data, 4, ring1);
	rc.step = (struct ft_resume_step){.action = tp.send, .data = rc.data};
	rc.resume = (struct ft_resume){.node = FT_NODE_END, .steps = &rc.step, .n_steps = 1};
	rc.bad = (struct ft_resume){.node = 1000};
	dw = worker(&tp, resume_lookup, &rc);

	for (uint32_t i = 0; i < 3; i++)
		in[i] = mbuf_of(frame, len);
	in[0]->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
	in[0]->hash.fdir.hi = 0x77;
	in[2]->ol_flags |= RTE_MBUF_F_RX_FDIR;
	inject(ring0, in, 3);
	assert_int_equal(poll_all(dw, ring0), 3);
	assert_int_equal(rc.calls, 3);
	assert_int_equal(rc.flags[0], FT_PKT_F_MARK);
	assert_int_equal(rc.marks[0], 0x77);
	assert_int_equal(rc.flags[1], 0);
	assert_int_equal(rc.flags[2], FT_PKT_F_FLAG);
	s = stats(dw, ring0);
	assert_int_equal(s.drop[FT_DROP_ACTION], 2);
	assert_int_equal(stats(dw, ring1).tx, 1);
	assert_int_equal(drain(ring1, out, 4), 1);
	assert_ptr_equal(out[0], in[0]);
	assert_mbuf_bytes(out[0], frame, len);
	rte_pktmbuf_free(out[0]);

	/* A context naming a node the ingress control lacks. */
	for (uint32_t i = 0; i < 2; i++)
		in[i] = mbuf_of(frame, len);
	in[1]->ol_flags |= RTE_MBUF_F_RX_FDIR | RTE_MBUF_F_RX_FDIR_ID;
	in[1]->hash.fdir.hi = 0x78;
	inject(ring0, in, 2);
	assert_int_equal(ft_dpdk_poll(dw, ring0, 0, NULL), -EINVAL);
	assert_int_equal(stats(dw, ring0).bad_resume, 2);
	assert_int_equal(poll_all(dw, ring0), 0);
	pipe_done(&tp, dw);
}

/* A full tx queue: what it does not take is freed and counted, nothing leaks. */
static void
test_ring_tx_full(void **state)
{
	struct testpipe tp;
	struct ft_dpdk_worker *dw;
	uint8_t frame[256];
	uint32_t len = udp_frame(frame, 12, 8), filled = 0;
	struct rte_mbuf *burst[32], *in[3];
	static struct rte_mbuf *out[2048];
	const struct ft_burst_result *res;
	uint16_t sent;

	(void)state;
	pipe_build(&tp);
	pipe_send(&tp, ring0, ring1);
	dw = worker(&tp, NULL, NULL);

	/* Fill ring1's ring until it takes no more. */
	do {
		for (uint32_t i = 0; i < 32; i++)
			burst[i] = mbuf_of(frame, len);
		sent = rte_eth_tx_burst(ring1, 0, burst, 32);
		filled += sent;
		rte_pktmbuf_free_bulk(burst + sent, 32 - sent);
	} while (sent == 32);

	for (uint32_t i = 0; i < 3; i++)
		in[i] = mbuf_of(frame, len);
	inject(ring0, in, 3);
	assert_int_equal(ft_dpdk_poll(dw, ring0, 0, &res), 3);
	assert_non_null(res);
	assert_int_equal(res->n_tx, 3);
	for (uint32_t i = 0; i < 3; i++)
		assert_null(res->tx[i].pkt);
	assert_int_equal(stats(dw, ring1).tx, 0);
	assert_int_equal(stats(dw, ring1).tx_full, 3);
	assert_int_equal(drain(ring1, out, ARRAY_SIZE(out)), filled);
	rte_pktmbuf_free_bulk(out, filled);
	pipe_done(&tp, dw);
}

/* --- main: the EAL, once ----------------------------------------------------------- */

static void
cleanup_files(void)
{
	const char *names[] = {"in.pcap", "empty.pcap", "out0.pcap", "out1.pcap"};
	char path[128];

	for (uint32_t i = 0; i < ARRAY_SIZE(names); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

static int
port_id(const char *name, uint16_t *id)
{
	int rc = rte_eth_dev_get_port_by_name(name, id);

	if (rc != 0)
		fprintf(stderr, "no port %s: %d\n", name, rc);
	return rc;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_port_rss_restart, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_adapter, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_pcap_forward, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ring_multiseg_malformed, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ring_encap_writeback, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ring_replicate, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ring_mark_resume, setup, teardown),
	        cmocka_unit_test_setup_teardown(test_ring_tx_full, setup, teardown),
	};
	uint8_t frames[6][1024];
	const uint8_t *fp[6];
	uint32_t lens[6];
	char prefix[64], vdev_p0[256], vdev_p1[256], path[128];
	char *argv[16];
	int argc = 0, rc;
	const uint16_t *ports[] = {&ring0, &ring1, &pcap0, &pcap1};
	struct ft_dpdk_port_params pp = {.n_rxq = 1, .n_txq = 1, .nb_desc = 256};

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ft_dpdk_XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	for (uint32_t i = 0; i < 6; i++) {
		lens[i] = i == 2 ? trunc_ipv4_frame(frames[i])
		                 : udp_frame(frames[i], 10 + 100 * i, (uint8_t)i);
		fp[i] = frames[i];
	}
	snprintf(path, sizeof(path), "%s/in.pcap", tmpdir);
	pcap_write(path, fp, lens, 6);
	snprintf(path, sizeof(path), "%s/empty.pcap", tmpdir);
	pcap_write(path, NULL, NULL, 0);

	snprintf(prefix, sizeof(prefix), "--file-prefix=ft_dpdk_%d", (int)getpid());
	snprintf(vdev_p0, sizeof(vdev_p0),
	         "--vdev=net_pcap0,rx_pcap=%s/in.pcap,tx_pcap=%s/out0.pcap", tmpdir, tmpdir);
	snprintf(vdev_p1, sizeof(vdev_p1),
	         "--vdev=net_pcap1,rx_pcap=%s/empty.pcap,tx_pcap=%s/out1.pcap", tmpdir, tmpdir);
	argv[argc++] = "test_dpdk";
	argv[argc++] = "-l";
	argv[argc++] = "0";
	argv[argc++] = "--no-huge";
	argv[argc++] = "-m";
	argv[argc++] = "512";
	argv[argc++] = "--no-pci";
	argv[argc++] = "--no-shconf";
	argv[argc++] = prefix;
	argv[argc++] = "--vdev=net_ring0";
	argv[argc++] = "--vdev=net_ring1";
	argv[argc++] = vdev_p0;
	argv[argc++] = vdev_p1;
	argv[argc++] = "--vdev=net_null0";
	argv[argc] = NULL;

	rc = ft_dpdk_eal_init(argc, argv, &err);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", err.object, err.message);
		cleanup_files();
		if (UNDER_ASAN) {
			printf("SKIP: the EAL does not start under AddressSanitizer here\n");
			return 77;
		}
		return 1;
	}
	if (port_id("net_ring0", &ring0) || port_id("net_ring1", &ring1) ||
	    port_id("net_pcap0", &pcap0) || port_id("net_pcap1", &pcap1))
		return 1;
	mp = ft_dpdk_mempool_create("ft_test", N_MBUFS, SOCKET_ID_ANY, &err);
	if (mp == NULL) {
		fprintf(stderr, "mempool: %s\n", err.message);
		return 1;
	}
	pp.mempool = mp;
	for (uint32_t i = 0; i < ARRAY_SIZE(ports); i++) {
		pp.promiscuous = *ports[i] == ring0 || *ports[i] == ring1;
		if (ft_dpdk_port_open(*ports[i], &pp, &err) < 0) {
			fprintf(stderr, "%s: %s\n", err.object, err.message);
			return 1;
		}
	}
	pcap1_open = true;

	rc = cmocka_run_group_tests_name("dpdk", tests, NULL, NULL);

	for (uint32_t i = 0; i < ARRAY_SIZE(ports); i++)
		if (*ports[i] != pcap1 || pcap1_open)
			ft_dpdk_port_close(*ports[i], NULL);
	rte_mempool_free(mp);
	ft_dpdk_eal_cleanup();
	cleanup_files();
	return rc;
}
