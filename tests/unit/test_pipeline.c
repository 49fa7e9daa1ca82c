/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the pipeline runtime's control side (model/pipeline.c,
 * include/flowtwin/pipeline.h): transactions, their staging and commit
 * errors, the atomicity of a commit as workers see it, entry and table
 * counters, aging, learning, ternary and LPM tables, memory per entry, and
 * workers.
 *
 * Small programs built with the builder API (Ethernet + IPv4, a few tables
 * whose actions send to a port) give every change something observable:
 * what a commit did is checked three ways, by reading entries back, by the
 * table statistics, and by running packets through a worker and looking at
 * the port they leave on. The atomicity tests run a reader thread that
 * pushes bursts through two tables while the main thread commits thousands
 * of transactions that change both; every burst must show one version.
 * Aging and learning use a fake clock (ft_pipeline_params.clock).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include <flowtwin/drop.h>
#include <flowtwin/error.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* --- Building programs ------------------------------------------------------- */

enum { H_ETH, H_IPV4 };
enum { ETH_DST, ETH_SRC, ETH_TYPE };
enum {
	IP_VER,
	IP_IHL,
	IP_DS,
	IP_LEN,
	IP_ID,
	IP_FLAGS,
	IP_FRAG,
	IP_TTL,
	IP_PROTO,
	IP_CSUM,
	IP_SRC,
	IP_DST
};

static uint32_t
ok(int rc, const struct ft_error *err)
{
	if (rc < 0)
		fail_msg("builder: %d %s: %s", rc, err->object, err->message);
	return (uint32_t)rc;
}

/* A program with the headers every test uses: ethernet (parsed), ipv4 (parsed). */
static struct ft_program *
prog_start(const char *name)
{
	static const struct ft_field_decl eth_f[] = {
	        {"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
	static const struct ft_field_decl ip_f[] = {{"version", 4},         {"ihl", 4},
	                                            {"diffserv", 8},        {"total_len", 16},
	                                            {"identification", 16}, {"flags", 3},
	                                            {"frag_offset", 13},    {"ttl", 8},
	                                            {"protocol", 8},        {"hdr_checksum", 16},
	                                            {"src_addr", 32},       {"dst_addr", 32}};
	struct ft_program *p = ft_program_create(name);
	struct ft_error err = {0};
	uint32_t eth_t, ip_t, emit[2];

	assert_non_null(p);
	eth_t = ok(ft_program_add_header_type(p, "ethernet_t", eth_f, 3, &err), &err);
	ip_t = ok(ft_program_add_header_type(p, "ipv4_t", ip_f, 12, &err), &err);
	assert_int_equal(
	        ok(ft_program_add_header(p, "ethernet", eth_t, FT_PROTO_ETH, FT_L_ETH, &err), &err),
	        H_ETH);
	assert_int_equal(
	        ok(ft_program_add_header(p, "ipv4", ip_t, FT_PROTO_IPV4, FT_L_IPV4, &err), &err),
	        H_IPV4);
	emit[0] = H_ETH;
	emit[1] = H_IPV4;
	ok(ft_program_set_emit(p, emit, 2, &err), &err);
	return p;
}

static uint32_t
add_action(struct ft_program *p, const char *name, const struct ft_param_decl *params,
           uint32_t n_params, const struct ft_op *ops, uint32_t n_ops)
{
	struct ft_error err = {0};

	return ok(ft_program_add_action(p, name, params, n_params, ops, n_ops, &err), &err);
}

static struct ft_op
op_set(struct ft_ref dst, struct ft_ref a)
{
	return (struct ft_op){.kind = FT_OP_SET, .dst = dst, .a = a};
}

static struct ft_op
op_send(struct ft_ref port)
{
	return (struct ft_op){.kind = FT_OP_SEND, .a = port};
}

struct tbl {
	const char *name;
	struct ft_key_decl keys[4];
	uint32_t n_keys;
	struct ft_table_action acts[12];
	uint32_t n_acts;
	uint32_t def;
	bool def_const;
	uint32_t size;
	uint32_t idle_ms;
	bool add_on_miss;
};

static uint32_t
add_table(struct ft_program *p, const struct tbl *t)
{
	struct ft_table_decl d = {
	        .name = t->name,
	        .keys = t->n_keys ? t->keys : NULL,
	        .n_keys = t->n_keys,
	        .actions = t->acts,
	        .n_actions = t->n_acts,
	        .default_action = t->def,
	        .default_const = t->def_const,
	        .size = t->size,
	        .idle_timeout_ms = t->idle_ms,
	        .add_on_miss = t->add_on_miss,
	};
	struct ft_error err = {0};

	return ok(ft_program_add_table(p, &d, &err), &err);
}

/* Ingress: apply the tables in order, then end. */
static void
add_chain(struct ft_program *p, const uint32_t *tables, uint32_t n)
{
	struct ft_error err = {0};

	for (uint32_t i = 0; i < n; i++) {
		struct ft_node nd = {.kind = FT_NODE_APPLY,
		                     .table = tables[i],
		                     .next = i + 1 < n ? i + 1 : FT_NODE_END,
		                     .next_hit = FT_NEXT_DEFAULT,
		                     .next_miss = FT_NEXT_DEFAULT};

		ok(ft_program_add_node(p, FT_CTL_INGRESS, &nd, &err), &err);
	}
}

/*
 * The control-plane program. Tables:
 *
 *   fwd      eth.dst exact -> drop | fwd(port) | fwd_vid(vid, port) | deny
 *            (@defaultonly) | special(port) (@tableonly) | count_fwd(idx, port)
 *            | flood(group) | mirror_fwd(session, port) | nop; default drop
 *   vid_fdb  (meta.vid exact 12 bits, eth.dst exact) -> fwd; default nop
 *   fixed    eth.type exact -> fwd | drop; const default drop
 *   nokey    no key -> fwd | drop; default drop
 *   acl      (eth.type exact, ipv4.dst ternary, ipv4.src lpm) -> fwd | drop
 *   route    ipv4.dst lpm -> fwd | drop; default drop
 *
 * 8 replication groups, 4 mirror sessions, a counter array 'ctr' of 8.
 */
enum { M_VID, M_VER };
enum { A_DROP, A_FWD, A_FWD_VID, A_DENY, A_SPECIAL, A_COUNT, A_FLOOD, A_MIRROR, A_NOP };
enum { T_FWD, T_VID, T_FIXED, T_NOKEY, T_ACL, T_ROUTE };
#define N_GROUPS  8
#define N_MIRRORS 4
#define CTR       0

struct ctl_opts {
	uint32_t fwd_size;    /* 0: 8 */
	uint32_t fwd_idle_ms; /* 0: no aging */
	uint32_t apply[2];    /* tables the ingress applies; n_apply 0: fwd alone */
	uint32_t n_apply;
};

static struct ft_program *
build_ctl(const struct ctl_opts *o)
{
	struct ft_program *p = prog_start("ctl");
	struct ft_error err = {0};

	assert_int_equal(ok(ft_program_add_metadata(p, "vid", 12, &err), &err), M_VID);
	assert_int_equal(ok(ft_program_add_metadata(p, "ver", 32, &err), &err), M_VER);
	assert_int_equal(ok(ft_program_add_counter(p, "ctr", 8, &err), &err), CTR);
	ok(ft_program_set_limits(p, N_GROUPS, N_MIRRORS, &err), &err);
	{
		struct ft_op ops[] = {{.kind = FT_OP_DROP}};

		assert_int_equal(add_action(p, "drop", NULL, 0, ops, 1), A_DROP);
	}
	{
		struct ft_param_decl prm[] = {{"port", 32}};
		struct ft_op ops[] = {op_send(ft_ref_param(0))};

		assert_int_equal(add_action(p, "fwd", prm, 1, ops, 1), A_FWD);
	}
	{
		struct ft_param_decl prm[] = {{"vid", 12}, {"port", 32}};
		struct ft_op ops[] = {op_set(ft_ref_meta(M_VID), ft_ref_param(0)),
		                      op_send(ft_ref_param(1))};

		assert_int_equal(add_action(p, "fwd_vid", prm, 2, ops, 2), A_FWD_VID);
	}
	{
		struct ft_op ops[] = {{.kind = FT_OP_DROP}};

		assert_int_equal(add_action(p, "deny", NULL, 0, ops, 1), A_DENY);
	}
	{
		struct ft_param_decl prm[] = {{"port", 32}};
		struct ft_op ops[] = {op_send(ft_ref_param(0))};

		assert_int_equal(add_action(p, "special", prm, 1, ops, 1), A_SPECIAL);
	}
	{
		struct ft_param_decl prm[] = {{"idx", 8}, {"port", 32}};
		struct ft_op ops[] = {{.kind = FT_OP_COUNT, .id = CTR, .a = ft_ref_param(0)},
		                      op_send(ft_ref_param(1))};

		assert_int_equal(add_action(p, "count_fwd", prm, 2, ops, 2), A_COUNT);
	}
	{
		struct ft_param_decl prm[] = {{"group", 16}};
		struct ft_op ops[] = {{.kind = FT_OP_REPLICATE, .a = ft_ref_param(0)}};

		assert_int_equal(add_action(p, "flood", prm, 1, ops, 1), A_FLOOD);
	}
	{
		struct ft_param_decl prm[] = {{"session", 8}, {"port", 32}};
		struct ft_op ops[] = {{.kind = FT_OP_MIRROR, .a = ft_ref_param(0)},
		                      op_send(ft_ref_param(1))};

		assert_int_equal(add_action(p, "mirror_fwd", prm, 2, ops, 2), A_MIRROR);
	}
	assert_int_equal(add_action(p, "nop", NULL, 0, NULL, 0), A_NOP);

	{
		struct tbl t = {.name = "fwd",
		                .keys = {{ft_ref_field(H_ETH, ETH_DST), FT_MATCH_EXACT}},
		                .n_keys = 1,
		                .acts = {{A_DROP, FT_SCOPE_ANY},
		                         {A_FWD, FT_SCOPE_ANY},
		                         {A_FWD_VID, FT_SCOPE_ANY},
		                         {A_DENY, FT_SCOPE_DEFAULT_ONLY},
		                         {A_SPECIAL, FT_SCOPE_TABLE_ONLY},
		                         {A_COUNT, FT_SCOPE_ANY},
		                         {A_FLOOD, FT_SCOPE_ANY},
		                         {A_MIRROR, FT_SCOPE_ANY},
		                         {A_NOP, FT_SCOPE_ANY}},
		                .n_acts = 9,
		                .def = A_DROP,
		                .size = o && o->fwd_size ? o->fwd_size : 8,
		                .idle_ms = o ? o->fwd_idle_ms : 0};

		assert_int_equal(add_table(p, &t), T_FWD);
	}
	{
		struct tbl t = {.name = "vid_fdb",
		                .keys = {{ft_ref_meta(M_VID), FT_MATCH_EXACT},
		                         {ft_ref_field(H_ETH, ETH_DST), FT_MATCH_EXACT}},
		                .n_keys = 2,
		                .acts = {{A_FWD, FT_SCOPE_ANY}, {A_NOP, FT_SCOPE_DEFAULT_ONLY}},
		                .n_acts = 2,
		                .def = A_NOP,
		                .size = 16};

		assert_int_equal(add_table(p, &t), T_VID);
	}
	{
		struct tbl t = {.name = "fixed",
		                .keys = {{ft_ref_field(H_ETH, ETH_TYPE), FT_MATCH_EXACT}},
		                .n_keys = 1,
		                .acts = {{A_FWD, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}},
		                .n_acts = 2,
		                .def = A_DROP,
		                .def_const = true,
		                .size = 4};

		assert_int_equal(add_table(p, &t), T_FIXED);
	}
	{
		struct tbl t = {.name = "nokey",
		                .acts = {{A_FWD, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}},
		                .n_acts = 2,
		                .def = A_DROP,
		                .size = 1};

		assert_int_equal(add_table(p, &t), T_NOKEY);
	}
	{
		struct tbl t = {.name = "acl",
		                .keys = {{ft_ref_field(H_ETH, ETH_TYPE), FT_MATCH_EXACT},
		                         {ft_ref_field(H_IPV4, IP_DST), FT_MATCH_TERNARY},
		                         {ft_ref_field(H_IPV4, IP_SRC), FT_MATCH_LPM}},
		                .n_keys = 3,
		                .acts = {{A_FWD, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}},
		                .n_acts = 2,
		                .def = A_DROP,
		                .size = 16};

		assert_int_equal(add_table(p, &t), T_ACL);
	}
	{
		struct tbl t = {.name = "route",
		                .keys = {{ft_ref_field(H_IPV4, IP_DST), FT_MATCH_LPM}},
		                .n_keys = 1,
		                .acts = {{A_FWD, FT_SCOPE_ANY}, {A_DROP, FT_SCOPE_ANY}},
		                .n_acts = 2,
		                .def = A_DROP,
		                .size = 16};

		assert_int_equal(add_table(p, &t), T_ROUTE);
	}
	if (o && o->n_apply) {
		add_chain(p, o->apply, o->n_apply);
	} else {
		uint32_t fwd = T_FWD;

		add_chain(p, &fwd, 1);
	}
	return p;
}

/* --- Keys, data, packets ------------------------------------------------------- */

static void
be_put(uint8_t *p, uint32_t n, uint64_t v)
{
	for (uint32_t i = n; i-- > 0; v >>= 8)
		p[i] = (uint8_t)v;
}

static uint64_t
be_get(const uint8_t *p, uint32_t n)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

#define MAC(n)          (0x020000000000ull | (uint64_t)(n))
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

struct tpkt {
	struct ft_pkt p;
	uint8_t buf[FT_PKT_HEADROOM + 256];
};

/* Ethernet + IPv4 (protocol 253, so the parser stops there), 'len' bytes in all. */
static void
pkt_build(struct tpkt *t, uint64_t dst, uint64_t src, uint32_t ip_src, uint32_t ip_dst,
          uint32_t in_port, uint16_t len)
{
	uint8_t *d;

	memset(t, 0, sizeof(*t));
	assert_int_equal(ft_pkt_init(&t->p, t->buf, sizeof(t->buf), FT_PKT_HEADROOM, len, in_port),
	                 0);
	d = ft_pkt_data(&t->p);
	be_put(d, 6, dst);
	be_put(d + 6, 6, src);
	be_put(d + 12, 2, 0x0800);
	d[14] = 0x45;
	be_put(d + 16, 2, (uint16_t)(len - 14));
	d[22] = 64;
	d[23] = 253;
	be_put(d + 26, 4, ip_src);
	be_put(d + 30, 4, ip_dst);
}

/* A test bed: a pipeline, a worker with a pool for copies, a burst result. */
struct bed {
	struct ft_pipeline *pipe;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	struct ft_burst_result res;
};

static struct bed *
bed_open(struct ft_program *prog, const struct ft_pipeline_params *pp)
{
	struct bed *b = calloc(1, sizeof(*b));
	struct ft_error err = {0};

	assert_non_null(b);
	b->pipe = ft_pipeline_create(prog, pp, &err);
	if (b->pipe == NULL)
		fail_msg("ft_pipeline_create: %s: %s", err.object, err.message);
	b->sp = ft_pkt_pool_simple_create(16, 512, &b->pool);
	assert_non_null(b->sp);
	b->w = ft_worker_create(b->pipe, &b->pool, &err);
	assert_non_null(b->w);
	return b;
}

static void
bed_close(struct bed *b)
{
	ft_worker_destroy(b->w);
	ft_pipeline_destroy(b->pipe);
	assert_int_equal(ft_pkt_pool_simple_avail(b->sp), 16); /* every copy given back */
	ft_pkt_pool_simple_destroy(b->sp);
	free(b);
}

struct out {
	uint32_t n_tx;
	uint32_t port[8];
	uint16_t drop, drop_action;
	uint8_t frame[256]; /* the first packet sent */
	uint16_t len;
};

/* Runs one packet through worker 'w' and gives any copies back to the pool. */
static struct out
run_on(struct bed *b, struct ft_worker *w, struct tpkt *t)
{
	struct ft_pkt *pk = &t->p;
	struct out o = {0};
	int n = ft_worker_run(w, &pk, 1, &b->res);

	assert_true(n >= 0);
	o.n_tx = (uint32_t)n;
	o.drop = b->res.drop[0];
	o.drop_action = b->res.drop_action[0];
	for (int i = 0; i < n; i++) {
		struct ft_pkt *q = b->res.tx[i].pkt;

		if (i < (int)ARRAY_SIZE(o.port))
			o.port[i] = b->res.tx[i].port;
		if (i == 0) {
			o.len = q->len;
			memcpy(o.frame, ft_pkt_data(q), q->len < 256 ? q->len : 256);
		}
		if (q != pk)
			b->pool.free(b->pool.arg, q);
	}
	return o;
}

/* The port a packet to 'dst' leaves on, or -1 if it is dropped. */
static int64_t
port_of(struct bed *b, uint64_t dst)
{
	struct tpkt t;
	struct out o;

	pkt_build(&t, dst, MAC(0xaa), IP4(192, 168, 0, 1), IP4(10, 0, 0, 1), 1, 64);
	o = run_on(b, b->w, &t);
	return o.n_tx ? (int64_t)o.port[0] : -1;
}

static int64_t
port_of_ip(struct bed *b, uint32_t ip_src, uint32_t ip_dst)
{
	struct tpkt t;
	struct out o;

	pkt_build(&t, MAC(1), MAC(0xaa), ip_src, ip_dst, 1, 64);
	o = run_on(b, b->w, &t);
	return o.n_tx ? (int64_t)o.port[0] : -1;
}

/* --- Transactions: helpers ----------------------------------------------------- */

static struct ft_txn *
begin(struct ft_pipeline *pipe)
{
	struct ft_error err = {0};
	struct ft_txn *txn = ft_txn_begin(pipe, &err);

	if (txn == NULL)
		fail_msg("ft_txn_begin: %d %s", err.code, err.message);
	return txn;
}

static void
commit_ok(struct ft_txn *txn)
{
	struct ft_error err = {0};
	int rc = ft_txn_commit(txn, &err);

	if (rc != 0)
		fail_msg("commit: %d (change %u) %s: %s", rc, err.index, err.object, err.message);
}

/* An entry of a table keyed on one MAC. */
struct mac_entry {
	uint8_t key[6];
	uint8_t data[8];
	struct ft_entry e;
};

static const struct ft_entry *
mac_entry(struct mac_entry *m, uint64_t mac, uint32_t action, uint32_t port)
{
	memset(m, 0, sizeof(*m));
	be_put(m->key, 6, mac);
	be_put(m->data, 4, port);
	m->e.key = m->key;
	m->e.action = action;
	m->e.data = action == A_FWD ? m->data : NULL;
	return &m->e;
}

static void
stage_fwd(struct ft_txn *txn, int kind, uint64_t mac, uint32_t port)
{
	struct ft_error err = {0};
	struct mac_entry m;
	int rc;

	mac_entry(&m, mac, A_FWD, port);
	rc = kind == 0   ? ft_txn_entry_add(txn, T_FWD, &m.e, &err)
	     : kind == 1 ? ft_txn_entry_modify(txn, T_FWD, &m.e, &err)
	                 : ft_txn_entry_delete(txn, T_FWD, &m.e, &err);
	if (rc != 0)
		fail_msg("staging: %d %s", rc, err.message);
}

#define ADD 0
#define MOD 1
#define DEL 2

static void
add_fwd(struct ft_pipeline *pipe, uint64_t mac, uint32_t port)
{
	struct ft_txn *txn = begin(pipe);

	stage_fwd(txn, ADD, mac, port);
	commit_ok(txn);
}

/* The port of the fwd entry for 'mac' (its action must be fwd), or -1 if none. */
static int64_t
entry_port(struct ft_pipeline *pipe, uint32_t table, uint64_t mac)
{
	struct ft_entry_info info;
	struct mac_entry m;

	mac_entry(&m, mac, A_FWD, 0);
	if (ft_pipeline_entry_read(pipe, table, &m.e, &info) == -ENOENT)
		return -1;
	assert_int_equal(info.action, A_FWD);
	return (int64_t)be_get(info.data, 4);
}

static uint32_t
n_entries(struct ft_pipeline *pipe, uint32_t table)
{
	struct ft_table_stats ts;

	assert_int_equal(ft_pipeline_table_stats(pipe, table, &ts), 0);
	return ts.entries;
}

static void
expect_err(int rc, const struct ft_error *err, int code, enum ft_error_kind kind, uint32_t index)
{
	assert_int_equal(rc, code);
	assert_int_equal(err->code, code);
	assert_int_equal(err->kind, kind);
	assert_int_equal(err->index, index);
	assert_true(err->message[0] != '\0');
}

/* --- 1. Transactions ------------------------------------------------------------ */

/* Every kind of change, staged and committed, seen by reads and by packets. */
static void
test_txn_commit_all_kinds(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_group_member gm[] = {{10, 1}, {11, 2}}, got[4];
	struct ft_error err = {0};
	struct ft_txn *txn;
	struct mac_entry m;
	uint8_t dflood[2], dmirror[5], dfwd[4];
	const uint8_t *ddata;
	uint32_t act;
	struct out o;
	struct tpkt t;

	(void)state;
	/* Nothing yet: every packet takes the default, drop. */
	assert_int_equal(port_of(b, MAC(1)), -1);
	assert_int_equal(ft_pipeline_group_read(b->pipe, 2, got, 4), 0);

	txn = begin(b->pipe);
	assert_int_equal(ft_txn_size(txn), 0);
	stage_fwd(txn, ADD, MAC(1), 5);
	be_put(dflood, 2, 2);
	m.e = (struct ft_entry){.key = m.key, .action = A_FLOOD, .data = dflood};
	be_put(m.key, 6, MAC(2));
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &m.e, &err), 0);
	dmirror[0] = 1;
	be_put(dmirror + 1, 4, 6);
	m.e = (struct ft_entry){.key = m.key, .action = A_MIRROR, .data = dmirror};
	be_put(m.key, 6, MAC(3));
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &m.e, &err), 0);
	be_put(dfwd, 4, 7);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_FWD, dfwd, &err), 0);
	assert_int_equal(ft_txn_group_set(txn, 2, gm, 2, &err), 0);
	assert_int_equal(ft_txn_mirror_set(txn, 1, 20, &err), 0);
	assert_int_equal(ft_txn_size(txn), 6);
	/* Staged only: nothing visible yet. */
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), -1);
	assert_int_equal(port_of(b, MAC(1)), -1);
	assert_int_equal(n_entries(b->pipe, T_FWD), 0);
	commit_ok(txn);

	assert_int_equal(n_entries(b->pipe, T_FWD), 3);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), 5);
	assert_int_equal(ft_pipeline_default_read(b->pipe, T_FWD, &act, &ddata), 0);
	assert_int_equal(act, A_FWD);
	assert_int_equal(be_get(ddata, 4), 7);
	assert_int_equal(ft_pipeline_group_read(b->pipe, 2, got, 4), 2);
	for (uint32_t i = 0; i < 2; i++) {
		assert_int_equal(got[i].port, gm[i].port);
		assert_int_equal(got[i].rid, gm[i].rid);
	}
	assert_int_equal(port_of(b, MAC(1)), 5);
	assert_int_equal(port_of(b, MAC(9)), 7); /* miss: the new default */
	/* Flood: one copy per member. */
	pkt_build(&t, MAC(2), MAC(0xaa), 1, 2, 1, 64);
	o = run_on(b, b->w, &t);
	assert_int_equal(o.n_tx, 2);
	assert_int_equal(o.port[0], 10);
	assert_int_equal(o.port[1], 11);
	/* Mirror: the copy to the session's port, and the packet itself. */
	pkt_build(&t, MAC(3), MAC(0xaa), 1, 2, 1, 64);
	o = run_on(b, b->w, &t);
	assert_int_equal(o.n_tx, 2);
	assert_int_equal(o.port[0], 20);
	assert_int_equal(o.port[1], 6);

	/* Modify, delete, empty the group, disable the mirror, default back to drop. */
	txn = begin(b->pipe);
	stage_fwd(txn, MOD, MAC(1), 8);
	m.e = (struct ft_entry){.key = m.key};
	be_put(m.key, 6, MAC(2));
	assert_int_equal(ft_txn_entry_delete(txn, T_FWD, &m.e, &err), 0);
	assert_int_equal(ft_txn_group_set(txn, 2, NULL, 0, &err), 0);
	assert_int_equal(ft_txn_mirror_set(txn, 1, UINT32_MAX, &err), 0);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_DROP, NULL, &err), 0);
	assert_int_equal(ft_txn_size(txn), 5);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 2);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), 8);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(2)), -1);
	assert_int_equal(ft_pipeline_group_read(b->pipe, 2, got, 4), 0);
	assert_int_equal(port_of(b, MAC(1)), 8);
	assert_int_equal(port_of(b, MAC(2)), -1);
	assert_int_equal(port_of(b, MAC(9)), -1);
	pkt_build(&t, MAC(3), MAC(0xaa), 1, 2, 1, 64);
	o = run_on(b, b->w, &t);
	assert_int_equal(o.n_tx, 1);
	assert_int_equal(o.port[0], 6);
	bed_close(b);
}

/* Abort drops every kind of change; the pipeline takes a new transaction after. */
static void
test_txn_abort(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_group_member gm[] = {{10, 1}};
	struct ft_error err = {0};
	struct ft_txn *txn;
	const uint8_t *ddata;
	uint32_t act;
	uint8_t dfwd[4];

	(void)state;
	add_fwd(b->pipe, MAC(1), 5);
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(2), 6);
	stage_fwd(txn, MOD, MAC(1), 9);
	stage_fwd(txn, DEL, MAC(1), 0);
	be_put(dfwd, 4, 7);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_FWD, dfwd, &err), 0);
	assert_int_equal(ft_txn_group_set(txn, 0, gm, 1, &err), 0);
	assert_int_equal(ft_txn_mirror_set(txn, 0, 3, &err), 0);
	assert_int_equal(ft_txn_size(txn), 6);
	ft_txn_abort(txn);
	ft_txn_abort(NULL);

	assert_int_equal(n_entries(b->pipe, T_FWD), 1);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), 5);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(2)), -1);
	assert_int_equal(ft_pipeline_default_read(b->pipe, T_FWD, &act, &ddata), 0);
	assert_int_equal(act, A_DROP);
	assert_int_equal(ft_pipeline_group_read(b->pipe, 0, gm, 1), 0);
	assert_int_equal(port_of(b, MAC(1)), 5);
	assert_int_equal(port_of(b, MAC(2)), -1);
	assert_int_equal(port_of(b, MAC(3)), -1);

	/* The abort closed the transaction. */
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(2), 6);
	commit_ok(txn);
	assert_int_equal(port_of(b, MAC(2)), 6);
	bed_close(b);
}

/* One open transaction at a time. */
static void
test_txn_busy(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_error err = {0};
	struct ft_txn *txn, *other;

	(void)state;
	txn = begin(b->pipe);
	other = ft_txn_begin(b->pipe, &err);
	assert_null(other);
	assert_int_equal(err.code, -EBUSY);
	assert_int_equal(err.kind, FT_ERR_TXN);
	/* Learning and aging commit transactions of their own: they wait their turn. */
	assert_int_equal(ft_pipeline_expire(b->pipe, NULL, NULL, &err), -EBUSY);
	stage_fwd(txn, ADD, MAC(1), 5);
	commit_ok(txn);

	txn = begin(b->pipe);
	assert_null(ft_txn_begin(b->pipe, NULL));
	ft_txn_abort(txn);
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_commit(txn, &err), 0); /* empty: fine */
	assert_int_equal(port_of(b, MAC(1)), 5);
	bed_close(b);
}

/* A rejected change leaves the transaction as it was. */
static void
expect_unchanged(struct ft_txn *txn, uint32_t size)
{
	assert_int_equal(ft_txn_size(txn), size);
}

static void
test_txn_stage_errors(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_error err;
	struct ft_txn *txn;
	struct ft_entry e;
	uint8_t key[16], mask[16], data[8];
	uint32_t n;
	int rc;

	(void)state;
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(1), 5);
	n = ft_txn_size(txn);

	/* Unknown table. */
	memset(&err, 0, sizeof(err));
	be_put(key, 6, MAC(2));
	be_put(data, 4, 1);
	e = (struct ft_entry){.key = key, .action = A_FWD, .data = data};
	rc = ft_txn_entry_add(txn, 99, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_TABLE, 99);
	rc = ft_txn_entry_delete(txn, 99, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_TABLE, 99);
	rc = ft_txn_default_set(txn, 99, A_FWD, data, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_TABLE, 99);
	expect_unchanged(txn, n);

	/* No entry, no key. */
	rc = ft_txn_entry_add(txn, T_FWD, NULL, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ENTRY, T_FWD);
	e.key = NULL;
	rc = ft_txn_entry_add(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ENTRY, T_FWD);
	e.key = key;

	/* A keyless table has no entries. */
	rc = ft_txn_entry_add(txn, T_NOKEY, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ENTRY, T_NOKEY);
	assert_string_equal(err.object, "nokey");
	e.key = NULL;
	rc = ft_txn_entry_add(txn, T_NOKEY, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ENTRY, T_NOKEY);
	e.key = key;
	expect_unchanged(txn, n);

	/* A 12-bit key field given 0x1fff; 0xfff fits. */
	be_put(key, 2, 0x1fff);
	be_put(key + 2, 6, MAC(2));
	rc = ft_txn_entry_add(txn, T_VID, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 0);
	assert_string_equal(err.object, "vid_fdb");
	be_put(key, 2, 0xfff);
	assert_int_equal(ft_txn_entry_add(txn, T_VID, &e, &err), 0);
	n++;
	expect_unchanged(txn, n);

	/* Exact fields take no partial mask: in a ternary table, and in an exact one. */
	memset(key, 0, sizeof(key));
	memset(mask, 0xff, sizeof(mask));
	be_put(key, 2, 0x0800);
	be_put(mask, 2, 0xff00);
	e = (struct ft_entry){
	        .key = key, .mask = mask, .priority = 1, .action = A_FWD, .data = data};
	rc = ft_txn_entry_add(txn, T_ACL, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 0);
	be_put(mask, 2, 0xffff);
	be_put(mask + 2, 4, 0xff00ff00); /* ternary: any mask */
	be_put(mask + 6, 4, 0xffff0f00); /* lpm: not a prefix */
	rc = ft_txn_entry_add(txn, T_ACL, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 2);
	expect_unchanged(txn, n);
	be_put(mask + 6, 4, 0xffff0000);
	assert_int_equal(ft_txn_entry_add(txn, T_ACL, &e, &err), 0);
	n++;
	memset(mask, 0xff, sizeof(mask));
	mask[5] = 0xf0;
	be_put(key, 6, MAC(3));
	rc = ft_txn_entry_add(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 0);
	expect_unchanged(txn, n);

	/* LPM mask not a prefix. */
	be_put(key, 4, IP4(10, 0, 0, 0));
	be_put(mask, 4, 0xff00ff00);
	rc = ft_txn_entry_add(txn, T_ROUTE, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 0);
	be_put(mask, 4, 0x00ffffff);
	rc = ft_txn_entry_add(txn, T_ROUTE, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_KEY, 0);
	expect_unchanged(txn, n);

	/* Actions: not in the table, no such action, @defaultonly, @tableonly, const default. */
	be_put(key, 6, MAC(4));
	e = (struct ft_entry){.key = key, .action = A_COUNT, .data = data};
	rc = ft_txn_entry_add(txn, T_VID, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_COUNT);
	e.action = 999;
	rc = ft_txn_entry_add(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, 999);
	e.action = A_DENY;
	e.data = NULL;
	rc = ft_txn_entry_add(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_DENY);
	rc = ft_txn_entry_modify(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_DENY);
	rc = ft_txn_default_set(txn, T_FWD, A_SPECIAL, data, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_SPECIAL);
	rc = ft_txn_default_set(txn, T_FWD, A_NOP + 100, NULL, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_NOP + 100);
	rc = ft_txn_default_set(txn, T_ROUTE, A_COUNT, data, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_ACTION, A_COUNT);
	rc = ft_txn_default_set(txn, T_FIXED, A_FWD, data, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_TABLE, T_FIXED);
	assert_string_equal(err.object, "fixed");
	rc = ft_txn_default_set(txn, T_FIXED, A_DROP, NULL, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_TABLE, T_FIXED);
	expect_unchanged(txn, n);
	/* But @tableonly as an entry and @defaultonly as default are fine. */
	e.action = A_SPECIAL;
	e.data = data;
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &e, &err), 0);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_DENY, NULL, &err), 0);
	n += 2;

	/* Action data that does not fit a parameter: vid is 12 bits. */
	be_put(key, 6, MAC(5));
	be_put(data, 2, 0x1000);
	be_put(data + 2, 4, 3);
	e = (struct ft_entry){.key = key, .action = A_FWD_VID, .data = data};
	rc = ft_txn_entry_add(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_PARAM, 0);
	assert_string_equal(err.object, "vid");
	rc = ft_txn_entry_modify(txn, T_FWD, &e, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_PARAM, 0);
	rc = ft_txn_default_set(txn, T_FWD, A_FWD_VID, data, &err);
	expect_err(rc, &err, -EINVAL, FT_ERR_PARAM, 0);
	expect_unchanged(txn, n);
	be_put(data, 2, 0x0fff);
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &e, &err), 0);
	n++;

	/* Groups and mirror sessions out of range. */
	{
		struct ft_group_member gm = {1, 1};

		rc = ft_txn_group_set(txn, N_GROUPS, &gm, 1, &err);
		expect_err(rc, &err, -EINVAL, FT_ERR_GROUP, N_GROUPS);
		rc = ft_txn_group_set(txn, 0, NULL, 1, &err);
		assert_int_equal(rc, -EINVAL);
		rc = ft_txn_mirror_set(txn, N_MIRRORS, 1, &err);
		expect_err(rc, &err, -EINVAL, FT_ERR_GROUP, N_MIRRORS);
		expect_unchanged(txn, n);
		assert_int_equal(ft_txn_group_set(txn, N_GROUPS - 1, &gm, 1, &err), 0);
		assert_int_equal(ft_txn_mirror_set(txn, N_MIRRORS - 1, 1, &err), 0);
		n += 2;
	}
	rc = ft_txn_entry_add(NULL, T_FWD, &e, &err);
	assert_int_equal(rc, -EINVAL);
	expect_unchanged(txn, n);

	/* The valid changes commit; nothing of the rejected ones does. */
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 3); /* MAC(1), MAC(4) special, MAC(5) */
	assert_int_equal(n_entries(b->pipe, T_VID), 1);
	assert_int_equal(n_entries(b->pipe, T_ACL), 1);
	assert_int_equal(n_entries(b->pipe, T_ROUTE), 0);
	assert_int_equal(port_of(b, MAC(1)), 5);
	assert_int_equal(port_of(b, MAC(4)), 1);
	assert_int_equal(port_of(b, MAC(5)), 3);
	assert_int_equal(port_of(b, MAC(2)), -1);
	assert_int_equal(port_of(b, MAC(3)), -1);
	bed_close(b);
}

/* The whole state a failed commit must leave alone: entries, default, group, packets. */
static void
expect_state(struct bed *b, const int64_t *ports, uint32_t n_macs, uint32_t entries)
{
	const uint8_t *ddata;
	struct ft_group_member gm;
	uint32_t act;

	assert_int_equal(n_entries(b->pipe, T_FWD), entries);
	for (uint32_t i = 0; i < n_macs; i++) {
		assert_int_equal(entry_port(b->pipe, T_FWD, MAC(i)), ports[i]);
		assert_int_equal(port_of(b, MAC(i)), ports[i]);
	}
	assert_int_equal(ft_pipeline_default_read(b->pipe, T_FWD, &act, &ddata), 0);
	assert_int_equal(act, A_DROP);
	assert_int_equal(ft_pipeline_group_read(b->pipe, 1, &gm, 1), 0);
	assert_int_equal(port_of(b, MAC(100)), -1);
}

static void
test_txn_commit_errors(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_group_member gm = {4, 1};
	struct ft_error err;
	struct ft_txn *txn;
	uint8_t dfwd[4];
	int64_t ports[10];
	int rc;

	(void)state;
	be_put(dfwd, 4, 77);
	add_fwd(b->pipe, MAC(0), 10);
	add_fwd(b->pipe, MAC(1), 11);
	for (uint32_t i = 0; i < 10; i++)
		ports[i] = i < 2 ? (int64_t)(10 + i) : -1;

	/* Duplicate of an entry in the table: change 4 fails, nothing is applied. */
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(2), 12);
	stage_fwd(txn, MOD, MAC(0), 99);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_FWD, dfwd, NULL), 0);
	assert_int_equal(ft_txn_group_set(txn, 1, &gm, 1, NULL), 0);
	stage_fwd(txn, ADD, MAC(1), 13);
	stage_fwd(txn, ADD, MAC(3), 14);
	memset(&err, 0, sizeof(err));
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -EEXIST, FT_ERR_ENTRY, 4);
	assert_string_equal(err.object, "fwd");
	expect_state(b, ports, 10, 2);

	/* Duplicate within the transaction. */
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(1), 0);
	stage_fwd(txn, ADD, MAC(2), 12);
	stage_fwd(txn, ADD, MAC(2), 12);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -EEXIST, FT_ERR_ENTRY, 2);
	expect_state(b, ports, 10, 2);

	/* Modify and delete of a missing entry, also one deleted earlier in the transaction. */
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(2), 12);
	stage_fwd(txn, MOD, MAC(5), 15);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -ENOENT, FT_ERR_ENTRY, 1);
	expect_state(b, ports, 10, 2);
	txn = begin(b->pipe);
	stage_fwd(txn, MOD, MAC(0), 1);
	stage_fwd(txn, DEL, MAC(0), 0);
	stage_fwd(txn, DEL, MAC(0), 0);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -ENOENT, FT_ERR_ENTRY, 2);
	expect_state(b, ports, 10, 2);
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(1), 0);
	stage_fwd(txn, MOD, MAC(1), 3);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -ENOENT, FT_ERR_ENTRY, 1);
	expect_state(b, ports, 10, 2);

	/* Table full: size 8, exactly 8 fit. */
	txn = begin(b->pipe);
	for (uint32_t i = 2; i < 9; i++)
		stage_fwd(txn, ADD, MAC(i), 10 + i);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -ENOSPC, FT_ERR_ENTRY, 6);
	expect_state(b, ports, 10, 2);
	txn = begin(b->pipe);
	for (uint32_t i = 2; i < 8; i++)
		stage_fwd(txn, ADD, MAC(i), 10 + i);
	commit_ok(txn);
	for (uint32_t i = 2; i < 8; i++)
		ports[i] = 10 + i;
	expect_state(b, ports, 10, 8);
	txn = begin(b->pipe);
	stage_fwd(txn, MOD, MAC(0), 50);
	stage_fwd(txn, ADD, MAC(8), 18);
	rc = ft_txn_commit(txn, &err);
	expect_err(rc, &err, -ENOSPC, FT_ERR_ENTRY, 1);
	expect_state(b, ports, 10, 8);

	/* Full, a delete makes room for an add, in one transaction. */
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(7), 0);
	stage_fwd(txn, ADD, MAC(8), 18);
	commit_ok(txn);
	ports[7] = -1;
	ports[8] = 18;
	expect_state(b, ports, 10, 8);

	/* Many failed commits leak no slot or handle: the table still takes 8. */
	for (uint32_t r = 0; r < 50; r++) {
		txn = begin(b->pipe);
		stage_fwd(txn, MOD, MAC(0), 1);
		stage_fwd(txn, DEL, MAC(1), 0);
		stage_fwd(txn, ADD, MAC(20 + r), 1);
		stage_fwd(txn, ADD, MAC(0), 1);
		assert_int_equal(ft_txn_commit(txn, NULL), -EEXIST);
	}
	expect_state(b, ports, 10, 8);
	txn = begin(b->pipe);
	for (uint32_t i = 0; i < 10; i++)
		if (ports[i] >= 0)
			stage_fwd(txn, DEL, MAC(i), 0);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 0);
	txn = begin(b->pipe);
	for (uint32_t i = 0; i < 8; i++)
		stage_fwd(txn, ADD, MAC(i), 30 + i);
	commit_ok(txn);
	for (uint32_t i = 0; i < 8; i++)
		assert_int_equal(port_of(b, MAC(i)), 30 + i);
	bed_close(b);
}

struct count_walk {
	uint32_t n;
	uint64_t packets, bytes;
	uint64_t mac[16];
	uint64_t pk[16];
};

static int
walk_count(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct count_walk *cw = arg;

	(void)table;
	if (cw->n < 16) {
		cw->mac[cw->n] = be_get(e->key, 6);
		cw->pk[cw->n] = e->packets;
	}
	cw->n++;
	cw->packets += e->packets;
	cw->bytes += e->bytes;
	return 0;
}

/* Changes to one key in one transaction apply in order. */
static void
test_txn_ordering(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_entry_info info;
	struct mac_entry m;
	struct ft_txn *txn;

	(void)state;
	/* Add then delete: nothing. */
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(1), 5);
	stage_fwd(txn, DEL, MAC(1), 0);
	commit_ok(txn);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), -1);
	assert_int_equal(n_entries(b->pipe, T_FWD), 0);
	assert_int_equal(port_of(b, MAC(1)), -1);

	/* Modify after add: the modified one. */
	txn = begin(b->pipe);
	stage_fwd(txn, ADD, MAC(1), 5);
	stage_fwd(txn, MOD, MAC(1), 6);
	stage_fwd(txn, MOD, MAC(1), 7);
	commit_ok(txn);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), 7);
	assert_int_equal(port_of(b, MAC(1)), 7);
	assert_int_equal(port_of(b, MAC(1)), 7);
	assert_int_equal(
	        ft_pipeline_entry_read(b->pipe, T_FWD, mac_entry(&m, MAC(1), A_FWD, 0), &info), 0);
	assert_int_equal(info.packets, 2);

	/* Delete then add: a new entry, counters from zero. */
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(1), 0);
	stage_fwd(txn, ADD, MAC(1), 8);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 1);
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_FWD, &m.e, &info), 0);
	assert_int_equal(be_get(info.data, 4), 8);
	assert_int_equal(info.packets, 0);
	assert_int_equal(info.bytes, 0);
	assert_int_equal(port_of(b, MAC(1)), 8);

	/* Modify then delete then add again. */
	txn = begin(b->pipe);
	stage_fwd(txn, MOD, MAC(1), 9);
	stage_fwd(txn, DEL, MAC(1), 0);
	stage_fwd(txn, ADD, MAC(1), 10);
	stage_fwd(txn, ADD, MAC(2), 11);
	stage_fwd(txn, DEL, MAC(2), 0);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 1);
	assert_int_equal(port_of(b, MAC(1)), 10);
	assert_int_equal(port_of(b, MAC(2)), -1);

	/* Churn leaks nothing: the table still holds exactly its size. */
	for (uint32_t r = 0; r < 200; r++) {
		txn = begin(b->pipe);
		stage_fwd(txn, ADD, MAC(100 + r), 1);
		stage_fwd(txn, MOD, MAC(1), 10 + r % 3);
		stage_fwd(txn, MOD, MAC(100 + r), 2);
		stage_fwd(txn, DEL, MAC(100 + r), 0);
		commit_ok(txn);
	}
	txn = begin(b->pipe);
	for (uint32_t i = 2; i < 9; i++)
		stage_fwd(txn, ADD, MAC(i), i);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_FWD), 8);
	{
		struct count_walk cw = {0};

		assert_int_equal(ft_pipeline_table_walk(b->pipe, T_FWD, walk_count, &cw), 0);
		assert_int_equal(cw.n, 8);
	}
	bed_close(b);
}

/*
 * Entry and default data are borrowed for the size of the action's data:
 * staging must not read past it when another action of the table takes
 * more (caught by ASan / valgrind on these exactly-sized buffers).
 */
static void
test_txn_data_exact_size(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_error err = {0};
	uint8_t *key = malloc(6), *d2 = malloc(2), *d4 = malloc(4);
	struct ft_txn *txn;
	struct ft_entry e;
	const uint8_t *ddata;
	uint32_t act;
	struct tpkt t;
	struct out o;

	(void)state;
	assert_non_null(key);
	assert_non_null(d2);
	assert_non_null(d4);
	be_put(key, 6, MAC(1));
	be_put(d4, 4, 42);
	be_put(d2, 2, 3);
	txn = begin(b->pipe);
	e = (struct ft_entry){.key = key, .action = A_FWD, .data = d4};
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &e, &err), 0);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_FLOOD, d2, &err), 0);
	free(key);
	free(d4);
	free(d2);
	commit_ok(txn);
	assert_int_equal(port_of(b, MAC(1)), 42);
	assert_int_equal(ft_pipeline_default_read(b->pipe, T_FWD, &act, &ddata), 0);
	assert_int_equal(act, A_FLOOD);
	assert_int_equal(be_get(ddata, 2), 3);
	/* The default floods to group 3, which is empty. */
	pkt_build(&t, MAC(2), MAC(0xaa), 1, 2, 1, 64);
	o = run_on(b, b->w, &t);
	assert_int_equal(o.n_tx, 0);
	assert_int_equal(o.drop, FT_DROP_EMPTY_GROUP);
	bed_close(b);
}

/* --- 2. Atomicity ---------------------------------------------------------------- */

/*
 * Tables a (eth.dst -> set_a(v): ipv4.src = v, meta.ver = v) and then,
 * for variant SAME_KEY, b (eth.dst -> set_b(v, port): ipv4.dst = v, send),
 * or for the others c (meta.ver -> set_b(v, port)). A packet that leaves
 * carries a's version in ipv4.src and b's (or c's) in ipv4.dst.
 */
enum { X_SET_A, X_SET_B, X_DROP };
enum { TA, TB, TC };
enum atom_variant { SAME_KEY, ADD_THEN_MODIFY, DELETE_FIRST };

/* One flow per packet of a burst: a commit changes 2 * ATOM_FLOWS entries. */
#define ATOM_FLOWS FT_BURST_MAX

static struct ft_program *
build_atom(enum atom_variant v)
{
	struct ft_program *p = prog_start("atom");
	struct ft_error err = {0};
	uint32_t chain[2] = {TA, v == SAME_KEY ? TB : TC};

	ok(ft_program_add_metadata(p, "ver", 32, &err), &err);
	{
		struct ft_param_decl prm[] = {{"v", 32}};
		struct ft_op ops[] = {op_set(ft_ref_field(H_IPV4, IP_SRC), ft_ref_param(0)),
		                      op_set(ft_ref_meta(0), ft_ref_param(0))};

		assert_int_equal(add_action(p, "set_a", prm, 1, ops, 2), X_SET_A);
	}
	{
		struct ft_param_decl prm[] = {{"v", 32}, {"port", 32}};
		struct ft_op ops[] = {op_set(ft_ref_field(H_IPV4, IP_DST), ft_ref_param(0)),
		                      op_send(ft_ref_param(1))};

		assert_int_equal(add_action(p, "set_b", prm, 2, ops, 2), X_SET_B);
	}
	{
		struct ft_op ops[] = {{.kind = FT_OP_DROP}};

		assert_int_equal(add_action(p, "drop", NULL, 0, ops, 1), X_DROP);
	}
	{
		struct tbl t = {.name = "a",
		                .keys = {{ft_ref_field(H_ETH, ETH_DST), FT_MATCH_EXACT}},
		                .n_keys = 1,
		                .acts = {{X_SET_A, FT_SCOPE_ANY}, {X_DROP, FT_SCOPE_ANY}},
		                .n_acts = 2,
		                .def = X_DROP,
		                .size = 2 * ATOM_FLOWS};

		assert_int_equal(add_table(p, &t), TA);
		t.name = "b";
		t.acts[0].action = X_SET_B;
		assert_int_equal(add_table(p, &t), TB);
		t.name = "c";
		t.keys[0].ref = ft_ref_meta(0);
		assert_int_equal(add_table(p, &t), TC);
	}
	add_chain(p, chain, 2);
	return p;
}

struct atom {
	struct ft_pipeline *pipe;
	struct ft_worker *w;
	bool port_per_flow; /* b sends flow f to port f + 1; c sends every flow to port 1 */
	_Atomic bool started, stop;
	_Atomic uint64_t seq; /* bursts started */
	/* results, read by the main thread after the join */
	uint64_t bursts, changes, bad_pair, mixed, went_back, dropped, last_version;
};

static void *
atom_reader(void *arg)
{
	struct atom *a = arg;
	static _Thread_local struct ft_burst_result res;
	uint8_t tmpl[ATOM_FLOWS][64];
	struct tpkt *pk = calloc(FT_BURST_MAX, sizeof(*pk));
	struct ft_pkt *pp[FT_BURST_MAX];
	uint64_t prev = 0;
	bool last = false;

	if (pk == NULL)
		return NULL;
	for (uint32_t f = 0; f < ATOM_FLOWS; f++) {
		pkt_build(&pk[0], MAC(f + 1), MAC(0xaa), 0, 0, 1, 64);
		memcpy(tmpl[f], ft_pkt_data(&pk[0].p), 64);
	}
	for (uint32_t i = 0; i < FT_BURST_MAX; i++) {
		ft_pkt_init(&pk[i].p, pk[i].buf, sizeof(pk[i].buf), FT_PKT_HEADROOM, 64, 1);
		pp[i] = &pk[i].p;
	}
	atomic_store(&a->started, true);
	while (!last) {
		uint64_t v0 = UINT64_MAX;
		int n;

		/* One more burst after the stop: it must see the last commit. */
		last = atomic_load(&a->stop);
		for (uint32_t i = 0; i < FT_BURST_MAX; i++) {
			pk[i].p.data_off = FT_PKT_HEADROOM;
			pk[i].p.len = 64;
			memcpy(pk[i].buf + FT_PKT_HEADROOM, tmpl[i % ATOM_FLOWS], 64);
		}
		atomic_fetch_add(&a->seq, 1);
		n = ft_worker_run(a->w, pp, FT_BURST_MAX, &res);
		a->bursts++;
		if (n != FT_BURST_MAX)
			a->dropped += (uint64_t)(FT_BURST_MAX - (n < 0 ? 0 : n));
		for (int i = 0; i < n; i++) {
			const uint8_t *d = ft_pkt_data(res.tx[i].pkt);
			uint64_t va = be_get(d + 26, 4), vb = be_get(d + 30, 4);
			uint32_t f = (uint32_t)be_get(d, 6) - 1;

			if (va != vb || res.tx[i].port != (a->port_per_flow ? f + 1 : 1))
				a->bad_pair++;
			if (v0 == UINT64_MAX)
				v0 = va;
			else if (va != v0)
				a->mixed++;
		}
		if (v0 != UINT64_MAX) {
			if (v0 < prev)
				a->went_back++;
			if (v0 != prev)
				a->changes++;
			prev = v0;
			a->last_version = v0;
		}
		/* Where both threads share one core, let the writer run. */
		sched_yield();
	}
	free(pk);
	return NULL;
}

static void
stage_atom(struct ft_txn *txn, uint32_t table, int kind, uint64_t key, uint32_t action, uint32_t v,
           uint32_t port)
{
	struct ft_error err = {0};
	uint8_t k[6], d[8];
	struct ft_entry e = {.key = k, .action = action, .data = d};
	int rc;

	if (table == TC)
		be_put(k, 4, (uint32_t)key);
	else
		be_put(k, 6, key);
	be_put(d, 4, v);
	be_put(d + 4, 4, port);
	rc = kind == ADD   ? ft_txn_entry_add(txn, table, &e, &err)
	     : kind == MOD ? ft_txn_entry_modify(txn, table, &e, &err)
	                   : ft_txn_entry_delete(txn, table, &e, &err);
	if (rc != 0)
		fail_msg("staging: %s", err.message);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void
atom_run(enum atom_variant var)
{
	/* Valgrind runs one thread at a time: there, a few commits show the memory errors. */
	uint32_t n_commits = RUNNING_ON_VALGRIND ? 20 : 3000;
	double limit = RUNNING_ON_VALGRIND ? 8.0 : 10.0, t0;
	struct atom *a = calloc(1, sizeof(*a));
	struct ft_error err = {0};
	struct ft_txn *txn;
	pthread_t th;
	uint32_t v;

	assert_non_null(a);
	a->pipe = ft_pipeline_create(build_atom(var), NULL, &err);
	assert_non_null(a->pipe);
	a->w = ft_worker_create(a->pipe, NULL, &err);
	assert_non_null(a->w);
	txn = begin(a->pipe);
	for (uint32_t f = 0; f < ATOM_FLOWS; f++) {
		stage_atom(txn, TA, ADD, MAC(f + 1), X_SET_A, 0, 0);
		if (var == SAME_KEY)
			stage_atom(txn, TB, ADD, MAC(f + 1), X_SET_B, 0, f + 1);
	}
	if (var != SAME_KEY)
		stage_atom(txn, TC, ADD, 0, X_SET_B, 0, 1);
	commit_ok(txn);
	a->port_per_flow = var == SAME_KEY;

	assert_int_equal(pthread_create(&th, NULL, atom_reader, a), 0);
	while (!atomic_load(&a->started))
		sched_yield();
	t0 = now_s();
	for (v = 1; v <= n_commits; v++) {
		txn = begin(a->pipe);
		switch (var) {
		case SAME_KEY:
			for (uint32_t f = 0; f < ATOM_FLOWS; f++) {
				stage_atom(txn, TA, MOD, MAC(f + 1), X_SET_A, v, 0);
				stage_atom(txn, TB, MOD, MAC(f + 1), X_SET_B, v, f + 1);
			}
			break;
		case ADD_THEN_MODIFY:
			stage_atom(txn, TC, ADD, v, X_SET_B, v, 1);
			for (uint32_t f = 0; f < ATOM_FLOWS; f++)
				stage_atom(txn, TA, MOD, MAC(f + 1), X_SET_A, v, 0);
			stage_atom(txn, TC, DEL, v - 1, X_SET_B, 0, 0);
			break;
		case DELETE_FIRST:
			stage_atom(txn, TC, DEL, v - 1, X_SET_B, 0, 0);
			stage_atom(txn, TC, ADD, v, X_SET_B, v, 1);
			for (uint32_t f = 0; f < ATOM_FLOWS; f++)
				stage_atom(txn, TA, MOD, MAC(f + 1), X_SET_A, v, 0);
			break;
		}
		commit_ok(txn);
		/*
		 * Let the reader start another burst, so that the next commit runs while
		 * it is in the middle of one (on a busy machine the two threads could
		 * otherwise take turns and never overlap).
		 */
		for (uint64_t s = atomic_load(&a->seq), spins = 0; atomic_load(&a->seq) == s;)
			if (++spins % 64 == 0)
				sched_yield();
		if (now_s() - t0 > limit)
			break;
	}
	if (v > n_commits)
		v = n_commits;
	atomic_store(&a->stop, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	printf("[ atomicity variant %d: %u commits, %llu bursts, %llu versions seen, %.2f s ]\n",
	       (int)var, v, (unsigned long long)a->bursts, (unsigned long long)a->changes,
	       now_s() - t0);
	assert_int_equal(a->bad_pair, 0);
	assert_int_equal(a->mixed, 0);
	assert_int_equal(a->went_back, 0);
	assert_int_equal(a->dropped, 0);
	assert_int_equal(a->last_version, v);
	assert_true(a->bursts > 1);
	assert_true(a->changes >= 1);
	ft_worker_destroy(a->w);
	ft_pipeline_destroy(a->pipe);
	free(a);
}

static void
test_atomic_same_key(void **state)
{
	(void)state;
	atom_run(SAME_KEY);
}

static void
test_atomic_add_then_modify(void **state)
{
	(void)state;
	atom_run(ADD_THEN_MODIFY);
}

static void
test_atomic_delete_first(void **state)
{
	(void)state;
	atom_run(DELETE_FIRST);
}

/* --- 3. Counters ------------------------------------------------------------------ */

static struct ft_entry_info
read_entry(struct ft_pipeline *pipe, uint64_t mac)
{
	struct ft_entry_info info;
	struct mac_entry m;

	assert_int_equal(ft_pipeline_entry_read(pipe, T_FWD, mac_entry(&m, mac, A_FWD, 0), &info),
	                 0);
	return info;
}

static void
send_len(struct bed *b, struct ft_worker *w, uint64_t dst, uint16_t len)
{
	struct tpkt t;

	pkt_build(&t, dst, MAC(0xaa), 1, 2, 1, len);
	run_on(b, w, &t);
}

static void
test_counters_entries(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_table_stats ts;
	struct ft_entry_info i1;
	struct count_walk cw = {0};
	struct ft_txn *txn;
	uint32_t h1;

	(void)state;
	add_fwd(b->pipe, MAC(1), 5);
	add_fwd(b->pipe, MAC(2), 6);
	i1 = read_entry(b->pipe, MAC(1));
	assert_int_equal(i1.packets, 0);
	assert_int_equal(i1.bytes, 0);
	h1 = i1.handle;
	for (int i = 0; i < 3; i++)
		send_len(b, b->w, MAC(1), 64);
	send_len(b, b->w, MAC(2), 100);
	send_len(b, b->w, MAC(3), 80); /* miss */
	send_len(b, b->w, MAC(4), 80); /* miss */
	i1 = read_entry(b->pipe, MAC(1));
	assert_int_equal(i1.packets, 3);
	assert_int_equal(i1.bytes, 192);
	assert_int_equal(read_entry(b->pipe, MAC(2)).packets, 1);
	assert_int_equal(read_entry(b->pipe, MAC(2)).bytes, 100);
	assert_int_equal(ft_pipeline_table_walk(b->pipe, T_FWD, walk_count, &cw), 0);
	assert_int_equal(cw.n, 2);
	assert_int_equal(cw.packets, 4);
	assert_int_equal(cw.bytes, 292);
	for (uint32_t i = 0; i < 2; i++)
		assert_int_equal(cw.pk[i], cw.mac[i] == MAC(1) ? 3 : 1);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.hits, 4);
	assert_int_equal(ts.misses, 2);
	assert_int_equal(ts.entries, 2);
	assert_int_equal(ts.size, 8);
	assert_int_equal(ts.learned, 0);
	assert_int_equal(ts.aged, 0);

	/* Survive modify, same handle. */
	txn = begin(b->pipe);
	stage_fwd(txn, MOD, MAC(1), 9);
	commit_ok(txn);
	i1 = read_entry(b->pipe, MAC(1));
	assert_int_equal(i1.handle, h1);
	assert_int_equal(i1.packets, 3);
	assert_int_equal(i1.bytes, 192);
	send_len(b, b->w, MAC(1), 64);
	assert_int_equal(read_entry(b->pipe, MAC(1)).packets, 4);

	/* Delete and re-add the same key: from zero, in two transactions and in one. */
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(1), 0);
	commit_ok(txn);
	add_fwd(b->pipe, MAC(1), 5);
	i1 = read_entry(b->pipe, MAC(1));
	assert_int_equal(i1.packets, 0);
	assert_int_equal(i1.bytes, 0);
	send_len(b, b->w, MAC(2), 100);
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(2), 0);
	stage_fwd(txn, ADD, MAC(2), 7);
	commit_ok(txn);
	assert_int_equal(read_entry(b->pipe, MAC(2)).packets, 0);
	assert_int_equal(read_entry(b->pipe, MAC(2)).bytes, 0);
	/* A handle freed by a delete is reused with zeroed counters. */
	for (uint32_t i = 10; i < 16; i++)
		add_fwd(b->pipe, MAC(i), 1);
	cw = (struct count_walk){0};
	assert_int_equal(ft_pipeline_table_walk(b->pipe, T_FWD, walk_count, &cw), 0);
	assert_int_equal(cw.n, 8);
	assert_int_equal(cw.packets, 0);
	assert_int_equal(cw.bytes, 0);
	/* Table statistics keep counting across all that. */
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.hits, 6);
	assert_int_equal(ts.misses, 2);
	bed_close(b);
}

static int
walk_stop(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	uint32_t *n = arg;

	(void)table;
	(void)e;
	return ++*n == 2 ? 42 : 0;
}

static void
test_counters_workers(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_error err = {0};
	struct ft_worker *w2 = ft_worker_create(b->pipe, &b->pool, &err);
	struct ft_table_stats ts;
	struct ft_stats st;
	struct ft_txn *txn;
	uint32_t n = 0;

	(void)state;
	assert_non_null(w2);
	add_fwd(b->pipe, MAC(1), 5);
	add_fwd(b->pipe, MAC(2), 6);
	send_len(b, b->w, MAC(1), 64);
	send_len(b, b->w, MAC(1), 64);
	send_len(b, w2, MAC(1), 100);
	send_len(b, w2, MAC(9), 100);
	assert_int_equal(read_entry(b->pipe, MAC(1)).packets, 3);
	assert_int_equal(read_entry(b->pipe, MAC(1)).bytes, 228);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.hits, 3);
	assert_int_equal(ts.misses, 1);

	/* Destroying a worker keeps what it counted. */
	ft_worker_destroy(w2);
	assert_int_equal(read_entry(b->pipe, MAC(1)).packets, 3);
	assert_int_equal(read_entry(b->pipe, MAC(1)).bytes, 228);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.hits, 3);
	assert_int_equal(ts.misses, 1);
	ft_pipeline_stats(b->pipe, &st);
	assert_int_equal(st.rx, 4);
	assert_int_equal(st.tx, 3);
	assert_int_equal(st.drop[FT_DROP_ACTION], 1);
	send_len(b, b->w, MAC(1), 64);
	assert_int_equal(read_entry(b->pipe, MAC(1)).packets, 4);

	/* Folded counters too start from zero when the key is deleted and added again. */
	txn = begin(b->pipe);
	stage_fwd(txn, DEL, MAC(1), 0);
	commit_ok(txn);
	add_fwd(b->pipe, MAC(1), 5);
	assert_int_equal(read_entry(b->pipe, MAC(1)).packets, 0);
	assert_int_equal(read_entry(b->pipe, MAC(1)).bytes, 0);

	/* A walk stops at the first non-zero return and returns it. */
	assert_int_equal(ft_pipeline_table_walk(b->pipe, T_FWD, walk_stop, &n), 42);
	assert_int_equal(n, 2);
	assert_int_equal(ft_pipeline_table_walk(b->pipe, 99, walk_stop, &n), -EINVAL);
	bed_close(b);
}

static void
test_counters_stats(void **state)
{
	struct bed *b = bed_open(build_ctl(NULL), NULL);
	struct ft_txn *txn = begin(b->pipe);
	struct ft_error err = {0};
	struct ft_stats st;
	struct mac_entry m;
	uint64_t p, by;
	uint8_t dc[5], dg[2];
	struct tpkt t;
	struct out o;

	(void)state;
	stage_fwd(txn, ADD, MAC(1), 5);
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, mac_entry(&m, MAC(2), A_NOP, 0), &err), 0);
	dc[0] = 3;
	be_put(dc + 1, 4, 7);
	m.e = (struct ft_entry){.key = m.key, .action = A_COUNT, .data = dc};
	be_put(m.key, 6, MAC(3));
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &m.e, &err), 0);
	be_put(dg, 2, 1);
	m.e = (struct ft_entry){.key = m.key, .action = A_FLOOD, .data = dg};
	be_put(m.key, 6, MAC(4));
	assert_int_equal(ft_txn_entry_add(txn, T_FWD, &m.e, &err), 0);
	{
		struct ft_group_member gm[] = {{1, 1}, {2, 2}, {3, 3}};

		assert_int_equal(ft_txn_group_set(txn, 1, gm, 3, &err), 0);
	}
	commit_ok(txn);

	send_len(b, b->w, MAC(1), 64); /* tx */
	send_len(b, b->w, MAC(9), 64); /* default drop: action 'drop' */
	send_len(b, b->w, MAC(9), 64);
	pkt_build(&t, MAC(2), MAC(0xaa), 1, 2, 1, 64); /* nop: no output */
	o = run_on(b, b->w, &t);
	assert_int_equal(o.drop, FT_DROP_NO_OUTPUT);
	assert_int_equal(o.drop_action, A_NOP);
	pkt_build(&t, MAC(1), MAC(0xaa), 1, 2, 1, 64);
	t.p.len = 10; /* truncated Ethernet */
	o = run_on(b, b->w, &t);
	assert_int_equal(o.drop, FT_DROP_TRUNC_ETH);
	pkt_build(&t, MAC(1), MAC(0xaa), 1, 2, 1, 64);
	t.p.nb_segs = 2;
	o = run_on(b, b->w, &t);
	assert_int_equal(o.drop, FT_DROP_MULTISEG);
	send_len(b, b->w, MAC(3), 64); /* count_fwd(3, 7) */
	send_len(b, b->w, MAC(3), 70);
	pkt_build(&t, MAC(4), MAC(0xaa), 1, 2, 1, 64); /* three copies */
	o = run_on(b, b->w, &t);
	assert_int_equal(o.n_tx, 3);

	ft_pipeline_stats(b->pipe, &st);
	assert_int_equal(st.rx, 9);
	assert_int_equal(st.tx, 6);
	assert_int_equal(st.copies, 2);
	assert_int_equal(st.drop[FT_DROP_ACTION], 2);
	assert_int_equal(st.drop[FT_DROP_NO_OUTPUT], 1);
	assert_int_equal(st.drop[FT_DROP_TRUNC_ETH], 1);
	assert_int_equal(st.drop[FT_DROP_MULTISEG], 1);
	assert_int_equal(st.drop[FT_DROP_NONE], 0);
	assert_int_equal(st.learn_lost, 0);
	assert_int_equal(ft_pipeline_action_drops(b->pipe, A_DROP), 2);
	assert_int_equal(ft_pipeline_action_drops(b->pipe, A_NOP), 1);
	assert_int_equal(ft_pipeline_action_drops(b->pipe, A_FWD), 0);
	assert_int_equal(ft_pipeline_action_drops(b->pipe, 999), 0);

	/* Indexed counters. */
	assert_int_equal(ft_pipeline_counter_read(b->pipe, CTR, 3, &p, &by), 0);
	assert_int_equal(p, 2);
	assert_int_equal(by, 134);
	assert_int_equal(ft_pipeline_counter_read(b->pipe, CTR, 0, &p, &by), 0);
	assert_int_equal(p, 0);
	assert_int_equal(by, 0);
	assert_int_equal(ft_pipeline_counter_read(b->pipe, CTR, 8, &p, &by), -EINVAL);
	assert_int_equal(ft_pipeline_counter_read(b->pipe, 1, 0, &p, &by), -EINVAL);
	/* ... summed over workers, kept when one goes. */
	{
		struct ft_worker *w2 = ft_worker_create(b->pipe, NULL, &err);

		assert_non_null(w2);
		send_len(b, w2, MAC(3), 100);
		assert_int_equal(ft_pipeline_counter_read(b->pipe, CTR, 3, &p, &by), 0);
		assert_int_equal(p, 3);
		assert_int_equal(by, 234);
		ft_worker_destroy(w2);
		assert_int_equal(ft_pipeline_counter_read(b->pipe, CTR, 3, &p, &by), 0);
		assert_int_equal(p, 3);
		assert_int_equal(by, 234);
		ft_pipeline_stats(b->pipe, &st);
		assert_int_equal(st.rx, 10);
		assert_int_equal(st.tx, 7);
	}
	bed_close(b);
}

/* --- 4. Aging ----------------------------------------------------------------------- */

static _Atomic uint64_t fake_now;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return atomic_load(&fake_now);
}

struct expired {
	uint32_t n;
	uint32_t table[16];
	uint64_t mac[16];
	uint32_t handle[16];
	bool learned[16];
};

static int
on_entry(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct expired *x = arg;

	if (x->n < 16) {
		x->table[x->n] = table;
		x->mac[x->n] = be_get(e->key, 6);
		x->handle[x->n] = e->handle;
		x->learned[x->n] = e->learned;
	}
	x->n++;
	return 0;
}

static bool
has_mac(const struct expired *x, uint64_t mac, uint32_t handle)
{
	for (uint32_t i = 0; i < x->n && i < 16; i++)
		if (x->mac[i] == mac)
			return handle == UINT32_MAX || x->handle[i] == handle;
	return false;
}

static void
aging_run(uint64_t t0)
{
	struct ctl_opts o = {.fwd_idle_ms = 1000, .apply = {T_FWD, T_VID}, .n_apply = 2};
	struct ft_pipeline_params pp = {.clock = fake_clock};
	struct ft_table_stats ts;
	struct expired x = {0};
	struct ft_error err = {0};
	struct ft_txn *txn;
	struct bed *b;
	uint32_t handle[5];

	atomic_store(&fake_now, t0);
	b = bed_open(build_ctl(&o), &pp);
	txn = begin(b->pipe);
	for (uint32_t i = 1; i <= 4; i++)
		stage_fwd(txn, ADD, MAC(i), i);
	{
		/* Static entries in vid_fdb: (vid 0, MAC(11)), (vid 0, MAC(12)). */
		uint8_t k[8], d[4];
		struct ft_entry e = {.key = k, .action = A_FWD, .data = d};

		be_put(d, 4, 50);
		for (uint32_t i = 1; i <= 2; i++) {
			be_put(k, 2, 0);
			be_put(k + 2, 6, MAC(10 + i));
			assert_int_equal(ft_txn_entry_add(txn, T_VID, &e, &err), 0);
		}
	}
	commit_ok(txn);
	for (uint32_t i = 1; i <= 4; i++)
		handle[i] = read_entry(b->pipe, MAC(i)).handle;
	assert_int_equal(read_entry(b->pipe, MAC(1)).idle_ms, 0);

	atomic_store(&fake_now, t0 + 500);
	assert_int_equal(read_entry(b->pipe, MAC(1)).idle_ms, 500);
	assert_int_equal(port_of(b, MAC(1)), 1);
	assert_int_equal(port_of(b, MAC(11)), 50); /* vid_fdb only */
	assert_int_equal(read_entry(b->pipe, MAC(1)).idle_ms, 0);
	assert_int_equal(port_of(b, MAC(3)), 3);
	atomic_store(&fake_now, t0 + 700);
	assert_int_equal(port_of(b, MAC(3)), 3);

	/* Idle for exactly the timeout: not yet. */
	atomic_store(&fake_now, t0 + 1000);
	assert_int_equal(ft_pipeline_expire(b->pipe, on_entry, &x, &err), 0);
	assert_int_equal(x.n, 0);
	atomic_store(&fake_now, t0 + 1001);
	assert_int_equal(ft_pipeline_expire(b->pipe, on_entry, &x, &err), 2);
	assert_int_equal(x.n, 2);
	assert_true(has_mac(&x, MAC(2), handle[2]));
	assert_true(has_mac(&x, MAC(4), handle[4]));
	assert_int_equal(x.table[0], T_FWD);
	assert_int_equal(x.table[1], T_FWD);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(2)), -1);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(4)), -1);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(1)), 1);
	assert_int_equal(read_entry(b->pipe, MAC(1)).idle_ms, 501);
	assert_int_equal(read_entry(b->pipe, MAC(3)).idle_ms, 301);
	assert_int_equal(port_of(b, MAC(2)), -1);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.aged, 2);
	assert_int_equal(ts.entries, 2);
	/* Again at once: nothing more. */
	x.n = 0;
	assert_int_equal(ft_pipeline_expire(b->pipe, on_entry, &x, &err), 0);
	assert_int_equal(x.n, 0);

	/* Much later, the rest go; the static table never ages. */
	atomic_store(&fake_now, t0 + 100000);
	assert_int_equal(ft_pipeline_expire(b->pipe, NULL, NULL, &err), 2);
	assert_int_equal(n_entries(b->pipe, T_FWD), 0);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_FWD, &ts), 0);
	assert_int_equal(ts.aged, 4);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, T_VID, &ts), 0);
	assert_int_equal(ts.aged, 0);
	assert_int_equal(ts.entries, 2);
	/* An entry added now starts fresh even though its handle is reused. */
	add_fwd(b->pipe, MAC(7), 7);
	atomic_store(&fake_now, t0 + 100500);
	assert_int_equal(read_entry(b->pipe, MAC(7)).idle_ms, 500);
	assert_int_equal(ft_pipeline_expire(b->pipe, NULL, NULL, &err), 0);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(7)), 7);
	/* A shorter timeout takes effect at the next expire; only aging tables have one. */
	assert_int_equal(ft_pipeline_table_set_idle_timeout(b->pipe, T_FWD, 400, &err), 0);
	assert_int_equal(ft_pipeline_expire(b->pipe, NULL, NULL, &err), 1);
	assert_int_equal(entry_port(b->pipe, T_FWD, MAC(7)), -1);
	assert_int_equal(ft_pipeline_table_set_idle_timeout(b->pipe, T_VID, 400, &err), -EINVAL);
	assert_int_equal(ft_pipeline_table_set_idle_timeout(b->pipe, T_FWD, 0, &err), -EINVAL);
	assert_int_equal(ft_pipeline_table_set_idle_timeout(b->pipe, 99, 400, &err), -ENOENT);
	bed_close(b);
}

static void
test_aging(void **state)
{
	(void)state;
	aging_run(1000000);
	/* The clock's low 32 bits wrap in the middle. */
	aging_run((1ull << 32) - 600);
}

/* --- 5. Learning ------------------------------------------------------------------- */

/*
 * mac: eth.src exact, add_on_miss, idle 1000 ms -> fwd_learned(port, peer):
 * send to port; default learn_src: learn fwd_learned(std.in_port, eth.dst)
 * and send to port 100.
 */
enum { L_FWD, L_LEARN };
#define FLOOD_PORT 100

static struct ft_program *
build_learn(uint32_t size)
{
	struct ft_program *p = prog_start("learn");
	static struct ft_ref list[2];
	uint32_t mac_table = 0;

	list[0] = ft_ref_std(FT_STD_IN_PORT);
	list[1] = ft_ref_field(H_ETH, ETH_DST);
	{
		struct ft_param_decl prm[] = {{"port", 32}, {"peer", 48}};
		struct ft_op ops[] = {op_send(ft_ref_param(0))};

		assert_int_equal(add_action(p, "fwd_learned", prm, 2, ops, 1), L_FWD);
	}
	{
		struct ft_op ops[] = {{.kind = FT_OP_LEARN, .id = L_FWD, .list = list, .n_list = 2},
		                      op_send(ft_ref_const(FLOOD_PORT, 32))};

		assert_int_equal(add_action(p, "learn_src", NULL, 0, ops, 2), L_LEARN);
	}
	{
		struct tbl t = {.name = "mac",
		                .keys = {{ft_ref_field(H_ETH, ETH_SRC), FT_MATCH_EXACT}},
		                .n_keys = 1,
		                .acts = {{L_FWD, FT_SCOPE_ANY}, {L_LEARN, FT_SCOPE_DEFAULT_ONLY}},
		                .n_acts = 2,
		                .def = L_LEARN,
		                .size = size,
		                .idle_ms = 1000,
		                .add_on_miss = true};

		assert_int_equal(add_table(p, &t), 0);
	}
	add_chain(p, &mac_table, 1);
	return p;
}

/* A burst of packets from sources src[i], in on port in_port[i]; returns the ports out. */
static void
send_from(struct bed *b, const uint64_t *src, const uint32_t *in_port, uint32_t n, int64_t *out)
{
	struct tpkt *t = calloc(n, sizeof(*t));
	struct ft_pkt *pp[FT_BURST_MAX];
	int rc;

	assert_non_null(t);
	assert_true(n <= FT_BURST_MAX);
	for (uint32_t i = 0; i < n; i++) {
		pkt_build(&t[i], MAC(0x77), src[i], 1, 2, in_port[i], 64);
		pp[i] = &t[i].p;
	}
	rc = ft_worker_run(b->w, pp, (uint16_t)n, &b->res);
	assert_int_equal(rc, (int)n);
	for (uint32_t i = 0; i < n && out; i++)
		out[b->res.tx[i].src] = b->res.tx[i].port;
	free(t);
}

static int64_t
learn_port(struct bed *b, uint64_t src, uint32_t in_port)
{
	int64_t out;

	send_from(b, &src, &in_port, 1, &out);
	return out;
}

static void
test_learn(void **state)
{
	struct ft_pipeline_params pp = {.clock = fake_clock};
	struct ft_table_stats ts;
	struct ft_entry_info info;
	struct ft_error err = {0};
	struct expired x = {0};
	uint64_t src[16];
	uint32_t in[16];
	uint8_t key[6];
	struct ft_entry e = {.key = key};
	struct bed *b;

	(void)state;
	atomic_store(&fake_now, 5000);
	b = bed_open(build_learn(64), &pp);

	/* A miss floods and asks to learn; learning adds the entry and reports it. */
	assert_int_equal(learn_port(b, MAC(1), 3), FLOOD_PORT);
	assert_int_equal(n_entries(b->pipe, 0), 0);
	assert_int_equal(ft_pipeline_learn(b->pipe, on_entry, &x, &err), 1);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.mac[0], MAC(1));
	assert_true(x.learned[0]);
	be_put(key, 6, MAC(1));
	assert_int_equal(ft_pipeline_entry_read(b->pipe, 0, &e, &info), 0);
	assert_true(info.learned);
	assert_int_equal(info.action, L_FWD);
	assert_int_equal(be_get(info.data, 4), 3);
	assert_int_equal(be_get(info.data + 4, 6), MAC(0x77));
	assert_int_equal(info.handle, x.handle[0]);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, 0, &ts), 0);
	assert_int_equal(ts.learned, 1);
	assert_int_equal(ts.entries, 1);
	/* Now it hits, and nothing more is learned. */
	assert_int_equal(learn_port(b, MAC(1), 4), 3);
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 0);

	/* Duplicates in one batch coalesce. */
	for (uint32_t i = 0; i < 16; i++) {
		src[i] = i < 8 ? MAC(2) : MAC(3);
		in[i] = i < 8 ? 5 : 6;
	}
	send_from(b, src, in, 16, NULL);
	send_from(b, src, in, 4, NULL); /* and across bursts */
	x.n = 0;
	assert_int_equal(ft_pipeline_learn(b->pipe, on_entry, &x, &err), 2);
	assert_int_equal(x.n, 2);
	assert_true(has_mac(&x, MAC(2), UINT32_MAX));
	assert_true(has_mac(&x, MAC(3), UINT32_MAX));
	assert_int_equal(learn_port(b, MAC(2), 1), 5);
	assert_int_equal(learn_port(b, MAC(3), 1), 6);

	/* A key added by the control plane after the request is not learned over. */
	assert_int_equal(learn_port(b, MAC(4), 7), FLOOD_PORT);
	{
		struct ft_txn *txn = begin(b->pipe);
		uint8_t d[10] = {0};

		be_put(d, 4, 9);
		e = (struct ft_entry){.key = key, .action = L_FWD, .data = d};
		be_put(key, 6, MAC(4));
		assert_int_equal(ft_txn_entry_add(txn, 0, &e, &err), 0);
		commit_ok(txn);
	}
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 0);
	assert_int_equal(ft_pipeline_entry_read(b->pipe, 0, &e, &info), 0);
	assert_false(info.learned);
	assert_int_equal(be_get(info.data, 4), 9);
	assert_int_equal(learn_port(b, MAC(4), 1), 9);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, 0, &ts), 0);
	assert_int_equal(ts.learned, 3);
	assert_int_equal(ts.entries, 4);

	/* While a transaction is open, learning waits and loses nothing. */
	assert_int_equal(learn_port(b, MAC(5), 8), FLOOD_PORT);
	{
		struct ft_txn *txn = begin(b->pipe);

		assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), -EBUSY);
		ft_txn_abort(txn);
	}
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 1);
	assert_int_equal(learn_port(b, MAC(5), 1), 8);

	/* Learned entries age; the static one too (the table has a timeout). */
	atomic_store(&fake_now, 5500);
	assert_int_equal(learn_port(b, MAC(1), 1), 3); /* refreshed */
	atomic_store(&fake_now, 6200);
	x.n = 0;
	assert_int_equal(ft_pipeline_expire(b->pipe, on_entry, &x, &err), 4);
	assert_false(has_mac(&x, MAC(1), UINT32_MAX));
	assert_int_equal(n_entries(b->pipe, 0), 1);
	assert_int_equal(learn_port(b, MAC(2), 1), FLOOD_PORT); /* gone: learned again */
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 1);
	assert_int_equal(learn_port(b, MAC(2), 1), 1);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, 0, &ts), 0);
	assert_int_equal(ts.aged, 4);
	assert_int_equal(ts.learned, 5);
	bed_close(b);
}

static void
test_learn_ring_overflow(void **state)
{
	struct ft_pipeline_params pp = {.clock = fake_clock, .learn_ring_size = 4};
	struct ft_error err = {0};
	struct ft_stats st;
	uint64_t src[10];
	uint32_t in[10];
	struct bed *b;

	(void)state;
	b = bed_open(build_learn(64), &pp);
	for (uint32_t i = 0; i < 10; i++) {
		src[i] = MAC(100 + i);
		in[i] = 1 + i;
	}
	send_from(b, src, in, 10, NULL);
	ft_pipeline_stats(b->pipe, &st);
	assert_int_equal(st.learn_lost, 6);
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 4);
	assert_int_equal(n_entries(b->pipe, 0), 4);
	/* The ring is empty again: the others are learned on their next packets. */
	send_from(b, src + 4, in + 4, 4, NULL);
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 4);
	ft_pipeline_stats(b->pipe, &st);
	assert_int_equal(st.learn_lost, 6);
	bed_close(b);
}

static void
test_learn_table_full(void **state)
{
	struct ft_pipeline_params pp = {.clock = fake_clock};
	struct ft_table_stats ts;
	struct ft_error err = {0};
	uint64_t src[10];
	uint32_t in[10];
	int64_t out[10];
	uint32_t n_flooded;
	struct bed *b;

	(void)state;
	b = bed_open(build_learn(4), &pp);
	for (uint32_t i = 0; i < 10; i++) {
		src[i] = MAC(200 + i);
		in[i] = 1 + i;
	}
	send_from(b, src, in, 10, NULL);
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 4);
	assert_int_equal(n_entries(b->pipe, 0), 4);
	send_from(b, src, in, 10, out);
	n_flooded = 0;
	for (uint32_t i = 0; i < 10; i++)
		n_flooded += out[i] == FLOOD_PORT;
	assert_int_equal(n_flooded, 6);
	assert_int_equal(ft_pipeline_learn(b->pipe, NULL, NULL, &err), 0);
	assert_int_equal(ft_pipeline_table_stats(b->pipe, 0, &ts), 0);
	assert_int_equal(ts.entries, 4);
	assert_int_equal(ts.learned, 4);
	bed_close(b);
}

/* --- 6. Ternary and LPM ----------------------------------------------------------- */

struct route {
	uint8_t key[4], mask[4], data[4];
	struct ft_entry e;
};

static const struct ft_entry *
route(struct route *r, uint32_t ip, uint32_t plen, uint32_t action, uint32_t port)
{
	memset(r, 0, sizeof(*r));
	be_put(r->key, 4, ip);
	be_put(r->mask, 4, plen ? (uint32_t)(0xffffffffull << (32 - plen)) : 0);
	be_put(r->data, 4, port);
	r->e = (struct ft_entry){.key = r->key,
	                         .mask = r->mask,
	                         .priority = 12345,
	                         .action = action,
	                         .data = action == A_FWD ? r->data : NULL};
	return &r->e;
}

static void
test_lpm(void **state)
{
	struct ctl_opts o = {.apply = {T_ROUTE}, .n_apply = 1};
	struct bed *b = bed_open(build_ctl(&o), NULL);
	struct ft_entry_info info;
	struct ft_error err = {0};
	struct ft_txn *txn;
	struct route r;

	(void)state;
	txn = begin(b->pipe);
	/* Shortest last and longest first, so the order added does not decide. */
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(10, 1, 2, 0), 24, A_FWD, 24), &err),
	        0);
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(10, 1, 2, 3), 32, A_FWD, 32), &err),
	        0);
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(10, 0, 0, 0), 8, A_FWD, 8), &err), 0);
	/* Bits outside the mask are ignored. */
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(10, 1, 77, 77), 16, A_FWD, 16), &err),
	        0);
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(1, 2, 3, 4), 0, A_FWD, 1), &err), 0);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_ROUTE), 5);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 1, 2, 3)), 32);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 1, 2, 4)), 24);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 1, 3, 1)), 16);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 2, 0, 0)), 8);
	assert_int_equal(port_of_ip(b, 0, IP4(11, 0, 0, 1)), 1);

	/* Read back by any key with the same prefix: the stored key is normalized. */
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_ROUTE,
	                                        route(&r, IP4(10, 1, 200, 9), 16, A_FWD, 0), &info),
	                 0);
	assert_int_equal(be_get(info.key, 4), IP4(10, 1, 0, 0));
	assert_int_equal(be_get(info.mask, 4), 0xffff0000);
	assert_int_equal(info.priority, 16); /* lpm: the priority is the prefix length */
	assert_int_equal(be_get(info.data, 4), 16);
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_ROUTE,
	                                        route(&r, IP4(10, 1, 0, 0), 17, A_FWD, 0), &info),
	                 -ENOENT);
	/* A duplicate, however its host bits are spelled. */
	txn = begin(b->pipe);
	assert_int_equal(
	        ft_txn_entry_add(txn, T_ROUTE, route(&r, IP4(10, 1, 2, 99), 24, A_FWD, 2), &err),
	        0);
	assert_int_equal(ft_txn_commit(txn, &err), -EEXIST);

	/* Modify and delete by (key, mask). */
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_modify(txn, T_ROUTE,
	                                     route(&r, IP4(10, 1, 255, 255), 16, A_FWD, 160), &err),
	                 0);
	assert_int_equal(
	        ft_txn_entry_delete(txn, T_ROUTE, route(&r, IP4(10, 9, 9, 9), 8, A_FWD, 0), &err),
	        0);
	assert_int_equal(ft_txn_entry_delete(txn, T_ROUTE, route(&r, 0, 0, A_FWD, 0), &err), 0);
	commit_ok(txn);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 1, 3, 1)), 160);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 2, 0, 0)), -1); /* the default: drop */
	assert_int_equal(port_of_ip(b, 0, IP4(11, 0, 0, 1)), -1);
	assert_int_equal(port_of_ip(b, 0, IP4(10, 1, 2, 3)), 32);
	assert_int_equal(n_entries(b->pipe, T_ROUTE), 3);
	bed_close(b);
}

struct acl {
	uint8_t key[10], mask[10], data[4];
	struct ft_entry e;
};

/* (eth.type 0x0800, ipv4.dst & dmask == dst, ipv4.src / splen) with 'prio'. */
static const struct ft_entry *
acl(struct acl *a, uint32_t dst, uint32_t dmask, uint32_t src, uint32_t splen, uint32_t prio,
    uint32_t port)
{
	memset(a, 0, sizeof(*a));
	be_put(a->key, 2, 0x0800);
	be_put(a->key + 2, 4, dst);
	be_put(a->key + 6, 4, src);
	be_put(a->mask, 2, 0xffff);
	be_put(a->mask + 2, 4, dmask);
	be_put(a->mask + 6, 4, splen ? (uint32_t)(0xffffffffull << (32 - splen)) : 0);
	be_put(a->data, 4, port);
	a->e = (struct ft_entry){
	        .key = a->key, .mask = a->mask, .priority = prio, .action = A_FWD, .data = a->data};
	return &a->e;
}

static void
test_ternary(void **state)
{
	struct ctl_opts o = {.apply = {T_ACL}, .n_apply = 1};
	struct bed *b = bed_open(build_ctl(&o), NULL);
	struct ft_entry_info info;
	struct ft_error err = {0};
	struct ft_txn *txn;
	struct acl a;

	(void)state;
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_add(txn, T_ACL,
	                                  acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 5, 5), &err),
	                 0);
	assert_int_equal(ft_txn_entry_add(txn, T_ACL,
	                                  acl(&a, IP4(10, 0, 0, 0), 0xff000000, 0, 0, 10, 10),
	                                  &err),
	                 0);
	/* A non-prefix ternary mask, host bits of the lpm field set (ignored). */
	assert_int_equal(ft_txn_entry_add(txn, T_ACL,
	                                  acl(&a, IP4(0, 0, 0, 1), 0x000000ff,
	                                      IP4(192, 168, 33, 44), 16, 20, 20),
	                                  &err),
	                 0);
	commit_ok(txn);
	/* The largest priority wins, not the most specific mask. */
	assert_int_equal(port_of_ip(b, IP4(1, 1, 1, 1), IP4(10, 1, 0, 2)), 10);
	assert_int_equal(port_of_ip(b, IP4(192, 168, 1, 1), IP4(10, 1, 0, 1)), 20);
	assert_int_equal(port_of_ip(b, IP4(192, 169, 1, 1), IP4(10, 1, 0, 1)), 10);
	assert_int_equal(port_of_ip(b, IP4(192, 168, 1, 1), IP4(11, 1, 0, 1)), 20);
	assert_int_equal(port_of_ip(b, IP4(192, 168, 1, 1), IP4(11, 1, 0, 2)), -1);

	/* Same key and mask, another priority: another entry. */
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_add(txn, T_ACL,
	                                  acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 30, 30),
	                                  &err),
	                 0);
	commit_ok(txn);
	assert_int_equal(n_entries(b->pipe, T_ACL), 4);
	assert_int_equal(port_of_ip(b, IP4(1, 1, 1, 1), IP4(10, 1, 0, 2)), 30);
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_ACL,
	                                        acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 5, 0),
	                                        &info),
	                 0);
	assert_int_equal(info.priority, 5);
	assert_int_equal(be_get(info.data, 4), 5);
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_ACL,
	                                        acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 6, 0),
	                                        &info),
	                 -ENOENT);
	/* Read back the normalized key. */
	assert_int_equal(ft_pipeline_entry_read(b->pipe, T_ACL,
	                                        acl(&a, IP4(0xff, 0xff, 0xff, 1), 0x000000ff,
	                                            IP4(192, 168, 0, 0), 16, 20, 0),
	                                        &info),
	                 0);
	assert_int_equal(be_get(info.key + 2, 4), 1);
	assert_int_equal(be_get(info.key + 6, 4), IP4(192, 168, 0, 0));
	assert_int_equal(be_get(info.mask + 2, 4), 0xff);
	/* A duplicate spelled with other don't-care bits. */
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_add(txn, T_ACL,
	                                  acl(&a, IP4(10, 0, 9, 9), 0xff000000, 0, 0, 10, 1), &err),
	                 0);
	assert_int_equal(ft_txn_commit(txn, &err), -EEXIST);

	/* Modify and delete by (key, mask, priority). */
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_delete(txn, T_ACL,
	                                     acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 30, 0),
	                                     &err),
	                 0);
	assert_int_equal(ft_txn_entry_modify(txn, T_ACL,
	                                     acl(&a, IP4(10, 1, 3, 3), 0xffff0000, 0, 0, 5, 55),
	                                     &err),
	                 0);
	assert_int_equal(ft_txn_entry_delete(txn, T_ACL,
	                                     acl(&a, IP4(10, 0, 0, 0), 0xff000000, 0, 0, 10, 0),
	                                     &err),
	                 0);
	commit_ok(txn);
	assert_int_equal(port_of_ip(b, IP4(1, 1, 1, 1), IP4(10, 1, 0, 2)), 55);
	assert_int_equal(port_of_ip(b, IP4(1, 1, 1, 1), IP4(10, 2, 0, 2)), -1);
	/* Deleting with a priority that is not there fails. */
	txn = begin(b->pipe);
	assert_int_equal(ft_txn_entry_delete(txn, T_ACL,
	                                     acl(&a, IP4(10, 1, 0, 0), 0xffff0000, 0, 0, 6, 0),
	                                     &err),
	                 0);
	assert_int_equal(ft_txn_commit(txn, &err), -ENOENT);
	assert_int_equal(n_entries(b->pipe, T_ACL), 2);
	bed_close(b);
}

/* --- 7. Memory -------------------------------------------------------------------- */

static void
test_memory_per_entry(void **state)
{
	const uint32_t size = 1u << 20;
	struct ft_program *p = prog_start("mem");
	struct ft_pipeline *pipe;
	struct bed *b;
	uint64_t before, after;
	double per_entry;
	uint32_t n_fill, t = 0;
	int data_size;

	(void)state;
	{
		/* 54 bytes of action data. */
		struct ft_param_decl prm[] = {{"a", 128}, {"b", 128}, {"c", 128}, {"mac", 48}};
		struct ft_op ops[] = {op_set(ft_ref_field(H_ETH, ETH_SRC), ft_ref_param(3)),
		                      op_send(ft_ref_const(1, 32))};

		add_action(p, "encap", prm, 4, ops, 2);
	}
	{
		struct tbl tb = {.name = "big",
		                 .keys = {{ft_ref_field(H_ETH, ETH_DST), FT_MATCH_EXACT}},
		                 .n_keys = 1,
		                 .acts = {{0, FT_SCOPE_ANY}},
		                 .n_acts = 1,
		                 .def = 0,
		                 .size = size};

		add_table(p, &tb);
	}
	add_chain(p, &t, 1);
	b = bed_open(p, NULL);
	pipe = b->pipe;
	data_size = ft_program_action_data_size(ft_pipeline_program(pipe), 0);
	assert_int_equal(data_size, 54);
	assert_int_equal(ft_program_key_size(ft_pipeline_program(pipe), 0), 6);
	before = ft_pipeline_table_memory(pipe, 0);

	/* Fill it (a part of it under valgrind, where this is slow). */
	n_fill = RUNNING_ON_VALGRIND ? size / 16 : size;
	for (uint32_t base = 0; base < n_fill; base += 65536) {
		struct ft_txn *txn = begin(pipe);
		uint8_t key[6], data[54] = {0};
		struct ft_entry e = {.key = key, .action = 0, .data = data};

		for (uint32_t i = base; i < base + 65536 && i < n_fill; i++) {
			be_put(key, 6, 0x020000000000ull + (uint64_t)i * 0x9e3779b1u);
			be_put(data + 48, 6, i);
			assert_int_equal(ft_txn_entry_add(txn, 0, &e, NULL), 0);
		}
		commit_ok(txn);
	}
	assert_int_equal(n_entries(pipe, 0), n_fill);
	after = ft_pipeline_table_memory(pipe, 0);
	per_entry = (double)after / size - (6 + data_size);
	printf("[ table of %u entries (6-byte key, %d-byte action data): %llu bytes, "
	       "%.1f bytes per entry over key + data (empty: %.1f) ]\n",
	       size, data_size, (unsigned long long)after, per_entry,
	       (double)before / size - (6 + data_size));
	assert_true(after >= before);
	assert_true(per_entry <= 64.0);
	/*
	 * Handle, action, key and data packed into one 64-byte slot: 52.1 bytes
	 * (60.6 when the slot was 72 bytes and spanned two cache lines).
	 */
	assert_true(per_entry < 56.0);
	assert_int_equal(ft_pipeline_table_memory(pipe, 1), 0);

	/* Entries read back, and packets take their data, down to the slot's last byte. */
	for (uint32_t k = 0; k < 5; k++) {
		uint32_t i = (uint32_t)((uint64_t)(n_fill - 1) * k / 4);
		uint8_t key[6];
		struct ft_entry e = {.key = key};
		struct ft_entry_info info;
		struct tpkt tp;
		struct out o;

		be_put(key, 6, 0x020000000000ull + (uint64_t)i * 0x9e3779b1u);
		assert_int_equal(ft_pipeline_entry_read(pipe, 0, &e, &info), 0);
		assert_int_equal(info.action, 0);
		assert_int_equal(info.handle, i); /* handles are given out in order */
		assert_memory_equal(info.key, key, 6);
		assert_int_equal(be_get(info.data + 48, 6), i);
		pkt_build(&tp, be_get(key, 6), MAC(0xaa), 1, 2, 1, 64);
		o = run_on(b, b->w, &tp);
		assert_int_equal(o.n_tx, 1);
		assert_int_equal(be_get(o.frame + 6, 6), i);
	}
	bed_close(b);
}

/* --- 8. Workers and lifetimes --------------------------------------------------------- */

static void
test_workers(void **state)
{
	struct ft_pipeline_params pp = {.n_workers_max = 2};
	struct ft_error err = {0};
	struct ft_pipeline *pipe = ft_pipeline_create(build_ctl(NULL), &pp, &err);
	struct ft_worker *w1, *w2, *w3;

	(void)state;
	assert_non_null(pipe);
	w1 = ft_worker_create(pipe, NULL, &err);
	w2 = ft_worker_create(pipe, NULL, &err);
	assert_non_null(w1);
	assert_non_null(w2);
	memset(&err, 0, sizeof(err));
	w3 = ft_worker_create(pipe, NULL, &err);
	assert_null(w3);
	assert_int_equal(err.code, -ENOSPC);
	assert_true(err.message[0] != '\0');
	ft_worker_destroy(w1);
	w3 = ft_worker_create(pipe, NULL, &err);
	assert_non_null(w3);
	assert_null(ft_worker_create(pipe, NULL, NULL));
	ft_worker_destroy(NULL);
	ft_worker_destroy(w2);
	ft_worker_destroy(w3);
	ft_pipeline_destroy(pipe);
	ft_pipeline_destroy(NULL);
}

/* Destroying a pipeline with an open transaction frees it (checked by the leak checkers). */
static void
test_destroy_with_open_txn(void **state)
{
	struct ft_pipeline *pipe = ft_pipeline_create(build_ctl(NULL), NULL, NULL);
	struct ft_group_member gm = {1, 1};
	struct ft_txn *txn;
	uint8_t d[4] = {0};

	(void)state;
	assert_non_null(pipe);
	add_fwd(pipe, MAC(1), 1);
	txn = begin(pipe);
	for (uint32_t i = 2; i < 40; i++)
		stage_fwd(txn, ADD, MAC(i), i);
	assert_int_equal(ft_txn_default_set(txn, T_FWD, A_FWD, d, NULL), 0);
	assert_int_equal(ft_txn_group_set(txn, 1, &gm, 1, NULL), 0);
	ft_pipeline_destroy(pipe);
}

/* A program the pipeline rejects stays the caller's. */
static void
test_create_errors(void **state)
{
	struct ft_program *p = prog_start("bad");
	struct ft_error err = {0};
	/* Its successor, node 5, is never added. */
	struct ft_node nd = {.kind = FT_NODE_RUN, .action = 0, .next = 5};

	(void)state;
	assert_null(ft_pipeline_create(NULL, NULL, &err));
	assert_int_equal(err.code, -EINVAL);
	add_action(p, "nop", NULL, 0, NULL, 0);
	ok(ft_program_add_node(p, FT_CTL_INGRESS, &nd, &err), &err);
	memset(&err, 0, sizeof(err));
	assert_null(ft_pipeline_create(p, NULL, &err));
	assert_true(err.code < 0);
	ft_program_destroy(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_txn_commit_all_kinds),
	        cmocka_unit_test(test_txn_abort),
	        cmocka_unit_test(test_txn_busy),
	        cmocka_unit_test(test_txn_stage_errors),
	        cmocka_unit_test(test_txn_commit_errors),
	        cmocka_unit_test(test_txn_ordering),
	        cmocka_unit_test(test_txn_data_exact_size),
	        cmocka_unit_test(test_atomic_same_key),
	        cmocka_unit_test(test_atomic_add_then_modify),
	        cmocka_unit_test(test_atomic_delete_first),
	        cmocka_unit_test(test_counters_entries),
	        cmocka_unit_test(test_counters_workers),
	        cmocka_unit_test(test_counters_stats),
	        cmocka_unit_test(test_aging),
	        cmocka_unit_test(test_learn),
	        cmocka_unit_test(test_learn_ring_overflow),
	        cmocka_unit_test(test_learn_table_full),
	        cmocka_unit_test(test_lpm),
	        cmocka_unit_test(test_ternary),
	        cmocka_unit_test(test_memory_per_entry),
	        cmocka_unit_test(test_workers),
	        cmocka_unit_test(test_destroy_with_open_txn),
	        cmocka_unit_test(test_create_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
