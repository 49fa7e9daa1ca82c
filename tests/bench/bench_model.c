/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the software model (a program, not a test).
 *
 *   bench_model --workload dpdk-vxlan|vtep-decap [--entries N] [--packets M]
 *               [--seconds S] [--seed S] [--bursts B] [--p4 PROGRAM.p4]
 *
 * dpdk-vxlan: DPDK's SWX VXLAN example built with the builder API: one
 *   exact table on the Ethernet destination, action = VXLAN encapsulation
 *   with the outer headers in the entry's action data; outer IPv4 total
 *   length, header checksum and UDP length patched per packet.
 * vtep-decap: VXLAN decapsulation and an FDB lookup on (VNI, inner MAC),
 *   then forward.
 *
 * Like DPDK's SWX source and sink ports, each packet is taken from a buffer
 * pool, has its bytes copied in from the pre-built packets, goes through
 * the pipeline, and is given back to the pool after. Keys, entries and
 * packets come from tests/bench/workload.h, shared with bench_swx.
 *
 * --p4 loads the pipeline from a P4 program instead of building it in C:
 * p4/dpdk_vxlan.p4 for dpdk-vxlan (the same program, its table sized by the
 * program), p4/vtep.p4 for vtep-decap (the whole VTEP, configured through
 * the control API as `port add 0 uplink` and `vtep set local-ip 10.0.0.1`
 * would: the uplink, the local VTEP, VNIs 1..4096 terminated and the
 * sending VTEP known in each; learning off; FDB entries to ports 1..4).
 *
 * --bursts B runs exactly B bursts instead of timing (for callgrind).
 * The last line is: RESULT workload=... entries=... mpps=... ns_per_pkt=...
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtwin/ctl.h>
#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#include "workload.h"

#define CHECK(x)                                                                                  \
	do {                                                                                      \
		if ((x) < 0) {                                                                    \
			char _b[256];                                                             \
			ft_error_format(&err, _b, sizeof(_b));                                    \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, _b);           \
			exit(1);                                                                  \
		}                                                                                 \
	} while (0)

static struct ft_error err;

static const struct ft_field_decl eth_f[] = {{"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
static const struct ft_field_decl ipv4_f[] = {
	{"ver_ihl", 8},	     {"diffserv", 8}, {"total_len", 16},    {"identification", 16},
	{"flags_offset", 16}, {"ttl", 8},      {"protocol", 8},	    {"hdr_checksum", 16},
	{"src_addr", 32},    {"dst_addr", 32},
};
static const struct ft_field_decl udp_f[] = {
	{"src_port", 16}, {"dst_port", 16}, {"length", 16}, {"checksum", 16}};
static const struct ft_field_decl vxlan_f[] = {
	{"flags", 8}, {"reserved", 24}, {"vni", 24}, {"reserved2", 8}};

static int
hdr_types(struct ft_program *p, int *eth, int *ip, int *udp, int *vx)
{
	CHECK(*eth = ft_program_add_header_type(p, "ethernet_h", eth_f, 3, &err));
	CHECK(*ip = ft_program_add_header_type(p, "ipv4_h", ipv4_f, 10, &err));
	CHECK(*udp = ft_program_add_header_type(p, "udp_h", udp_f, 4, &err));
	CHECK(*vx = ft_program_add_header_type(p, "vxlan_h", vxlan_f, 4, &err));
	return 0;
}

/* DPDK's vxlan example: the packet's Ethernet/IPv4 get outer headers from the entry. */
static struct ft_program *
build_dpdk_vxlan(uint32_t size)
{
	struct ft_program *p = ft_program_create("dpdk_vxlan");
	int eth, ip, udp, vx, h_eth, h_ip, o_eth, o_ip, o_udp, o_vx, a_encap, a_drop;
	struct ft_param_decl params[22];
	struct ft_op ops[32];
	struct ft_ref csum[9];
	uint32_t n_ops = 0, n_params = 0;

	hdr_types(p, &eth, &ip, &udp, &vx);
	CHECK(h_eth = ft_program_add_header(p, "ethernet", eth, FT_PROTO_ETH, FT_L_ETH, &err));
	CHECK(h_ip = ft_program_add_header(p, "ipv4", ip, FT_PROTO_IPV4, FT_L_IPV4, &err));
	CHECK(o_eth = ft_program_add_header(p, "outer_ethernet", eth, FT_PROTO_ETH, FT_L_NONE, &err));
	CHECK(o_ip = ft_program_add_header(p, "outer_ipv4", ip, FT_PROTO_IPV4, FT_L_NONE, &err));
	CHECK(o_udp = ft_program_add_header(p, "outer_udp", udp, FT_PROTO_UDP, FT_L_NONE, &err));
	CHECK(o_vx = ft_program_add_header(p, "outer_vxlan", vx, FT_PROTO_VXLAN, FT_L_NONE, &err));

	/* Parameters: every field of the four outer headers, then the port. */
	const struct {
		int hdr;
		const struct ft_field_decl *f;
		uint32_t n;
		const char *prefix;
	} outer[] = {{o_eth, eth_f, 3, "ethernet"},
		     {o_ip, ipv4_f, 10, "ipv4"},
		     {o_udp, udp_f, 4, "udp"},
		     {o_vx, vxlan_f, 4, "vxlan"}};
	static char names[22][40];

	for (uint32_t h = 0; h < 4; h++)
		ops[n_ops++] = (struct ft_op){.kind = FT_OP_SET_VALID, .dst = ft_ref_header(outer[h].hdr)};
	for (uint32_t h = 0; h < 4; h++)
		for (uint32_t f = 0; f < outer[h].n; f++) {
			snprintf(names[n_params], sizeof(names[0]), "%s_%s", outer[h].prefix,
				 outer[h].f[f].name);
			params[n_params] = (struct ft_param_decl){names[n_params], outer[h].f[f].bits};
			ops[n_ops++] = (struct ft_op){.kind = FT_OP_SET,
						      .dst = ft_ref_field(outer[h].hdr, f),
						      .a = ft_ref_param(n_params)};
			n_params++;
		}
	params[n_params++] = (struct ft_param_decl){"port_out", 32};
	/* total_len and length hold the outer overhead; add the inner IPv4 length. */
	ops[n_ops++] = (struct ft_op){.kind = FT_OP_ADD, .dst = ft_ref_field(o_ip, 2),
				      .a = ft_ref_field(o_ip, 2), .b = ft_ref_field(h_ip, 2)};
	ops[n_ops++] = (struct ft_op){.kind = FT_OP_ADD, .dst = ft_ref_field(o_udp, 2),
				      .a = ft_ref_field(o_udp, 2), .b = ft_ref_field(h_ip, 2)};
	for (uint32_t f = 0, n = 0; f < 10; f++)
		if (f != 7)
			csum[n++] = ft_ref_field(o_ip, f);
	ops[n_ops++] = (struct ft_op){.kind = FT_OP_CSUM, .dst = ft_ref_field(o_ip, 7),
				      .list = csum, .n_list = 9};
	ops[n_ops++] = (struct ft_op){.kind = FT_OP_SEND, .a = ft_ref_param(21)};
	CHECK(a_encap = ft_program_add_action(p, "vxlan_encap", params, n_params, ops, n_ops, &err));
	ops[0] = (struct ft_op){.kind = FT_OP_DROP};
	CHECK(a_drop = ft_program_add_action(p, "drop", NULL, 0, ops, 1, &err));

	struct ft_key_decl key = {.ref = ft_ref_field(h_eth, 0), .match = FT_MATCH_EXACT};
	struct ft_table_action acts[] = {{(uint32_t)a_encap, FT_SCOPE_ANY},
					 {(uint32_t)a_drop, FT_SCOPE_ANY}};
	struct ft_table_decl td = {.name = "vxlan_table", .keys = &key, .n_keys = 1,
				   .actions = acts, .n_actions = 2,
				   .default_action = (uint32_t)a_drop, .default_const = true,
				   .size = size};
	struct ft_node node = {.kind = FT_NODE_APPLY, .table = 0, .next = FT_NODE_END,
			       .next_hit = FT_NEXT_DEFAULT, .next_miss = FT_NEXT_DEFAULT};
	uint32_t emit[] = {(uint32_t)o_eth, (uint32_t)o_ip,  (uint32_t)o_udp,
			   (uint32_t)o_vx,  (uint32_t)h_eth, (uint32_t)h_ip};

	CHECK(ft_program_add_table(p, &td, &err));
	CHECK(ft_program_add_node(p, FT_CTL_INGRESS, &node, &err));
	CHECK(ft_program_set_emit(p, emit, 6, &err));
	return p;
}

/* VXLAN decapsulation, FDB lookup on (VNI, inner destination MAC), forward. */
static struct ft_program *
build_vtep_decap(uint32_t size)
{
	struct ft_program *p = ft_program_create("vtep_decap");
	int eth, ip, udp, vx, h_eth, h_ip, h_udp, h_vx, i_eth, a_fwd, a_drop;

	hdr_types(p, &eth, &ip, &udp, &vx);
	CHECK(h_eth = ft_program_add_header(p, "ethernet", eth, FT_PROTO_ETH, FT_L_ETH, &err));
	CHECK(h_ip = ft_program_add_header(p, "ipv4", ip, FT_PROTO_IPV4, FT_L_IPV4, &err));
	CHECK(h_udp = ft_program_add_header(p, "udp", udp, FT_PROTO_UDP, FT_L_UDP, &err));
	CHECK(h_vx = ft_program_add_header(p, "vxlan", vx, FT_PROTO_VXLAN, FT_L_VXLAN, &err));
	CHECK(i_eth = ft_program_add_header(p, "inner_ethernet", eth, FT_PROTO_ETH, FT_L_IN_ETH,
					    &err));

	struct ft_param_decl port = {"port", 32};
	struct ft_op fwd[] = {
		{.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(h_eth)},
		{.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(h_ip)},
		{.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(h_udp)},
		{.kind = FT_OP_SET_INVALID, .dst = ft_ref_header(h_vx)},
		{.kind = FT_OP_SEND, .a = ft_ref_param(0)},
	};
	struct ft_op drop = {.kind = FT_OP_DROP};

	CHECK(a_fwd = ft_program_add_action(p, "decap_fwd", &port, 1, fwd, 5, &err));
	CHECK(a_drop = ft_program_add_action(p, "drop", NULL, 0, &drop, 1, &err));

	struct ft_key_decl keys[] = {{.ref = ft_ref_field(h_vx, 2), .match = FT_MATCH_EXACT},
				     {.ref = ft_ref_field(i_eth, 0), .match = FT_MATCH_EXACT}};
	struct ft_table_action acts[] = {{(uint32_t)a_fwd, FT_SCOPE_ANY},
					 {(uint32_t)a_drop, FT_SCOPE_ANY}};
	struct ft_table_decl td = {.name = "fdb", .keys = keys, .n_keys = 2, .actions = acts,
				   .n_actions = 2, .default_action = (uint32_t)a_drop,
				   .size = size};
	struct ft_node node = {.kind = FT_NODE_APPLY, .table = 0, .next = FT_NODE_END,
			       .next_hit = FT_NEXT_DEFAULT, .next_miss = FT_NEXT_DEFAULT};
	uint32_t emit[] = {(uint32_t)h_eth, (uint32_t)h_ip, (uint32_t)h_udp, (uint32_t)h_vx,
			   (uint32_t)i_eth};

	CHECK(ft_program_add_table(p, &td, &err));
	CHECK(ft_program_add_node(p, FT_CTL_INGRESS, &node, &err));
	CHECK(ft_program_set_emit(p, emit, 5, &err));
	return p;
}

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Action data of vxlan_encap for entry i: the outer headers, then the port. */
static void
encap_data(uint32_t i, uint8_t *d)
{
	struct wl_encap e;

	wl_encap(i, 4, &e);
	memcpy(d, e.eth_dst, 6);
	memcpy(d + 6, e.eth_src, 6);
	put16(d + 12, 0x0800);
	d[14] = 0x45, d[15] = 0;
	put16(d + 16, 50); /* outer overhead; the inner IPv4 length is added per packet */
	put16(d + 18, 0);
	put16(d + 20, 0x4000); /* DF */
	d[22] = 64, d[23] = 17;
	put16(d + 24, 0);
	put32(d + 26, e.ip_src);
	put32(d + 30, e.ip_dst);
	put16(d + 34, e.udp_src);
	put16(d + 36, 4789);
	put16(d + 38, 30); /* UDP + VXLAN + inner Ethernet; the inner IPv4 length is added */
	put16(d + 40, 0);
	d[42] = 0x08, d[43] = d[44] = d[45] = 0;
	d[46] = (uint8_t)(e.vni >> 16), d[47] = (uint8_t)(e.vni >> 8), d[48] = (uint8_t)e.vni;
	d[49] = 0;
	put32(d + 50, e.port_out);
}

static void
ctl_line(struct ft_ctl *ctl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
ctl_line(struct ft_ctl *ctl, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (ft_ctl_exec(ctl, line, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s: %s\n", line, err.message);
		exit(1);
	}
}

/*
 * vtep.p4 as the control plane leaves it for the decap workload
 * (docs/vtep.md): the uplink is port 0, the local VTEP 10.0.0.1 with the
 * MAC the packets are sent to, learning off; every VNI 1..4096 is
 * terminated and knows the sending VTEP 10.0.0.2.
 */
static void
vtep_setup(struct ft_pipeline *pipe)
{
	struct ft_ctl *ctl = ft_ctl_create(pipe);

	if (ctl == NULL)
		CHECK(-1);
	ctl_line(ctl, "table_set_default vtep_config set_config 10.0.0.1 02:00:00:00:00:01 4789 "
		      "0 64 0 0 0 0 0 0");
	ctl_line(ctl, "table_add port_class from_uplink 0 0 =>");
	ctl_line(ctl, "table_set_default mac_learn no_learn");
	for (uint32_t vni = 1; vni <= 4096; vni++) {
		ctl_line(ctl, "table_add vni_term decap %u =>", vni);
		ctl_line(ctl, "table_add vtep_known vtep_ok %u 10.0.0.2 =>", vni);
	}
	ft_ctl_destroy(ctl);
}

struct bench {
	struct ft_pkt_pool *pool;
	struct ft_worker *w;
	struct ft_burst_result *res;
	uint8_t (*pkts)[128];
	uint16_t *lens;
	uint32_t n_pkts, next;
	uint64_t sent, done;
};

/*
 * One burst, doing what DPDK's SWX source and sink ports do around the
 * pipeline: each packet is taken from a buffer pool and its bytes copied in;
 * after the pipeline, every packet goes back to the pool. Not inlined, so
 * that callgrind can count exactly this (--toggle-collect=bench_burst).
 */
__attribute__((noinline)) static void
bench_burst(struct bench *b)
{
	struct ft_pkt *burst[FT_BURST_MAX];

	for (int i = 0; i < FT_BURST_MAX; i++) {
		struct ft_pkt *p = b->pool->alloc(b->pool->arg, 2048);

		p->data_off = FT_PKT_HEADROOM;
		p->len = b->lens[b->next];
		p->in_port = 0;
		memcpy(p->buf + FT_PKT_HEADROOM, b->pkts[b->next], b->lens[b->next]);
		burst[i] = p;
		if (++b->next == b->n_pkts)
			b->next = 0;
	}
	b->sent += (uint64_t)ft_worker_run(b->w, burst, FT_BURST_MAX, b->res);
	for (int i = 0; i < FT_BURST_MAX; i++)
		b->pool->free(b->pool->arg, burst[i]);
	b->done += FT_BURST_MAX;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int
main(int argc, char **argv)
{
	const char *workload = "dpdk-vxlan";
	uint32_t entries = 1u << 20, n_pkts = 65536, bursts = 0;
	uint64_t seed = 1;
	double seconds = 2;
	const char *p4 = NULL;
	static const struct option opts[] = {
		{"workload", required_argument, NULL, 'w'}, {"entries", required_argument, NULL, 'n'},
		{"packets", required_argument, NULL, 'p'},  {"seconds", required_argument, NULL, 's'},
		{"seed", required_argument, NULL, 'S'},	    {"bursts", required_argument, NULL, 'b'},
		{"p4", required_argument, NULL, 'P'},	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'w': workload = optarg; break;
		case 'n': entries = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'p': n_pkts = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 's': seconds = strtod(optarg, NULL); break;
		case 'S': seed = strtoull(optarg, NULL, 0); break;
		case 'b': bursts = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'P': p4 = optarg; break;
		default:
			fprintf(stderr, "usage: %s --workload dpdk-vxlan|vtep-decap [--entries N] "
					"[--packets M] [--seconds S] [--seed S] [--bursts B] "
					"[--p4 PROGRAM.p4]\n",
				argv[0]);
			return 2;
		}
	}
	bool decap = strcmp(workload, "vtep-decap") == 0;

	if (!decap && strcmp(workload, "dpdk-vxlan") != 0) {
		fprintf(stderr, "unknown workload '%s'\n", workload);
		return 2;
	}
	if (entries == 0 || n_pkts == 0) {
		fprintf(stderr, "entries and packets must be > 0\n");
		return 2;
	}

	struct ft_program *prog = p4		 ? ft_p4_load(p4, NULL, &err)
				  : decap ? build_vtep_decap(entries)
					  : build_dpdk_vxlan(entries);
	struct ft_pipeline *pipe = prog ? ft_pipeline_create(prog, NULL, &err) : NULL;
	uint32_t table = 0, action = 0;

	if (pipe == NULL)
		CHECK(-1);
	if (p4 != NULL) {
		int t = ft_program_find_table(prog, decap ? "fdb" : "vxlan_table");
		int a = ft_program_find_action(prog, decap ? "to_port" : "vxlan_encap");

		if (t < 0 || a < 0) {
			fprintf(stderr, "%s: not the program of workload %s\n", p4, workload);
			return 2;
		}
		table = (uint32_t)t;
		action = (uint32_t)a;
		if (decap)
			vtep_setup(pipe);
	}

	/* Entries. */
	double t0 = now_s();
	struct ft_txn *txn = ft_txn_begin(pipe, &err);
	uint8_t key[16], data[64];

	if (txn == NULL)
		CHECK(-1);
	for (uint32_t i = 0; i < entries; i++) {
		struct ft_entry e = {.key = key, .action = action, .data = data};

		if (decap) {
			uint32_t vni = i % 4096 + 1;

			key[0] = (uint8_t)(vni >> 16), key[1] = (uint8_t)(vni >> 8), key[2] = (uint8_t)vni;
			wl_mac(seed, i, key + 3);
			put32(data, p4 ? i % 4 + 1 : i % 4);
		} else {
			wl_mac(seed, i, key);
			encap_data(i, data);
		}
		CHECK(ft_txn_entry_add(txn, table, &e, &err));
	}
	CHECK(ft_txn_commit(txn, &err));
	double t_setup = now_s() - t0;

	/* Packets, as a source port would read them from a capture. */
	uint8_t (*pkts)[128] = calloc(n_pkts, 128);
	uint16_t *lens = calloc(n_pkts, sizeof(uint16_t));
	uint64_t pick = seed;

	for (uint32_t j = 0; j < n_pkts; j++) {
		uint32_t k = wl_pick(&pick, entries);
		uint8_t mac[6];

		wl_mac(seed, k, mac);
		if (!decap) {
			wl_packet(mac, j, pkts[j]);
			lens[j] = WL_PKT_LEN;
		} else {
			/* outer Ethernet/IPv4/UDP/VXLAN around a 64-byte inner frame */
			uint8_t *q = pkts[j];
			uint32_t vni = k % 4096 + 1;
			uint32_t sum = 0;

			memset(q, 0, 50);
			q[0] = 0x02, q[5] = 0x01, q[6] = 0x02, q[11] = 0x02;
			put16(q + 12, 0x0800);
			q[14] = 0x45;
			put16(q + 16, 20 + 8 + 8 + WL_PKT_LEN);
			q[22] = 64, q[23] = 17;
			put32(q + 26, 0x0a000002);
			put32(q + 30, 0x0a000001);
			for (int b = 14; b < 34; b += 2)
				sum += (uint32_t)(q[b] << 8 | q[b + 1]);
			while (sum >> 16)
				sum = (sum & 0xffff) + (sum >> 16);
			put16(q + 24, ~sum & 0xffff);
			put16(q + 34, 0xc000 | (j & 0x3fff));
			put16(q + 36, 4789);
			put16(q + 38, 8 + 8 + WL_PKT_LEN);
			q[42] = 0x08;
			q[46] = (uint8_t)(vni >> 16), q[47] = (uint8_t)(vni >> 8), q[48] = (uint8_t)vni;
			wl_packet(mac, j, q + 50);
			lens[j] = 50 + WL_PKT_LEN;
		}
	}

	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = ft_pkt_pool_simple_create(1024, 2048, &pool);
	struct ft_worker *w = ft_worker_create(pipe, &pool, &err);
	static struct ft_burst_result res;
	struct bench bb = {.pool = &pool, .w = w, .res = &res, .pkts = pkts, .lens = lens,
			   .n_pkts = n_pkts};
	uint64_t iters = 0;

	if (sp == NULL || w == NULL)
		CHECK(-1);

	for (int i = 0; i < (bursts ? 0 : 1000); i++) /* warm up (not when counting) */
		bench_burst(&bb);
	bb.sent = bb.done = 0;
	t0 = now_s();
	double t1 = t0;
	if (bursts) {
		for (uint32_t i = 0; i < bursts; i++)
			bench_burst(&bb);
		t1 = now_s();
	} else {
		do {
			for (int i = 0; i < 256; i++)
				bench_burst(&bb);
			iters++;
			t1 = now_s();
		} while (t1 - t0 < seconds);
	}
	double el = t1 - t0;
	double mpps = (double)bb.done / el / 1e6;
	uint64_t done = bb.done, sent = bb.sent;
	struct ft_table_stats ts;

	ft_pipeline_table_stats(pipe, table, &ts);
	uint64_t mem = ft_pipeline_table_memory(pipe, table);

	printf("workload %s: %u entries, %u distinct packets of %u bytes, setup %.2f s "
	       "(%.2f M entries/s)\n",
	       workload, entries, n_pkts, (unsigned int)lens[0], t_setup,
	       entries / t_setup / 1e6);
	printf("each packet: taken from a pool, %u bytes copied in, run in bursts of %d, "
	       "given back to the pool\n",
	       (unsigned int)lens[0], FT_BURST_MAX);
	printf("packets %" PRIu64 ", sent %" PRIu64 ", table hits %" PRIu64 ", misses %" PRIu64 "\n",
	       done, sent, ts.hits, ts.misses);
	printf("table memory %.1f MB, %.1f bytes per entry (key %d + action data %d bytes)\n",
	       (double)mem / 1e6, (double)mem / entries, decap ? 9 : 6, decap ? 4 : 54);
	if (sent != done || ts.misses != 0) {
		fprintf(stderr, "FAIL: every packet should hit and be sent\n");
		return 1;
	}
	printf("RESULT workload=%s impl=%s entries=%u mpps=%.3f ns_per_pkt=%.1f "
	       "bytes_per_entry=%.1f\n",
	       workload, p4 ? "flowtwin-p4" : "flowtwin", entries, mpps, 1e3 / mpps,
	       (double)mem / entries);
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_pipeline_destroy(pipe);
	free(pkts);
	free(lens);
	return 0;
}
