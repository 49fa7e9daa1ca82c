/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the software NIC (driver/sim, include/flowtwin/sim.h): each
 * pattern item with spec, mask and last; each action with a byte-exact check
 * of the packet it leaves (checksums and lengths recomputed here, not taken
 * from the sim); groups, priorities and JUMP; counters; every refusal the
 * profiles call for, with its code, error type and cause; strict mode; and
 * malformed packets. Packets are handed to the sim in heap buffers of
 * exactly headroom + length bytes, so that AddressSanitizer sees any read or
 * write outside them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/drop.h>
#include <flowtwin/offload.h>
#include <flowtwin/packet.h>
#include <flowtwin/sim.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define HEADROOM      FT_PKT_HEADROOM

/* --- Packets -------------------------------------------------------------- */

struct pkt {
	uint8_t b[512];
	uint32_t len;
};

static const uint8_t MAC_A[6] = {0x02, 0, 0, 0, 0, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0, 0, 0, 0, 0x0b};
static const uint8_t MAC_C[6] = {0x02, 0, 0, 0, 0, 0x0c};
static const uint8_t MAC_D[6] = {0x02, 0, 0, 0, 0, 0x0d};

static void
wr16(uint8_t *q, uint32_t v)
{
	q[0] = (uint8_t)(v >> 8);
	q[1] = (uint8_t)v;
}

static uint32_t
rd16(const uint8_t *q)
{
	return (uint32_t)q[0] << 8 | q[1];
}

static void
wr32(uint8_t *q, uint32_t v)
{
	wr16(q, v >> 16);
	wr16(q + 2, v);
}

static uint32_t
put(struct pkt *p, uint32_t n)
{
	uint32_t off = p->len;

	assert_true(off + n <= sizeof(p->b));
	memset(p->b + off, 0, n);
	p->len += n;
	return off;
}

static uint32_t
put_eth(struct pkt *p, const uint8_t *dst, const uint8_t *src, uint32_t type)
{
	uint32_t off = put(p, 14);

	memcpy(p->b + off, dst, 6);
	memcpy(p->b + off + 6, src, 6);
	wr16(p->b + off + 12, type);
	return off;
}

static uint32_t
put_vlan(struct pkt *p, uint32_t tci, uint32_t type)
{
	uint32_t off = put(p, 4);

	wr16(p->b + off, tci);
	wr16(p->b + off + 2, type);
	return off;
}

static uint32_t
put_ipv4(struct pkt *p, uint32_t src, uint32_t dst, uint8_t proto)
{
	uint32_t off = put(p, 20);

	p->b[off] = 0x45;
	p->b[off + 8] = 64;
	p->b[off + 9] = proto;
	wr32(p->b + off + 12, src);
	wr32(p->b + off + 16, dst);
	return off;
}

static uint32_t
put_ipv6(struct pkt *p, uint8_t last_src, uint8_t last_dst, uint8_t next)
{
	uint32_t off = put(p, 40);

	p->b[off] = 0x60;
	p->b[off + 6] = next;
	p->b[off + 7] = 64;
	p->b[off + 8] = 0x20;
	p->b[off + 9] = 0x01;
	p->b[off + 23] = last_src;
	p->b[off + 24] = 0x20;
	p->b[off + 25] = 0x01;
	p->b[off + 39] = last_dst;
	return off;
}

static uint32_t
put_udp(struct pkt *p, uint32_t sport, uint32_t dport)
{
	uint32_t off = put(p, 8);

	wr16(p->b + off, sport);
	wr16(p->b + off + 2, dport);
	return off;
}

static uint32_t
put_tcp(struct pkt *p, uint32_t sport, uint32_t dport)
{
	uint32_t off = put(p, 20);

	wr16(p->b + off, sport);
	wr16(p->b + off + 2, dport);
	p->b[off + 12] = 0x50;
	return off;
}

static uint32_t
put_vxlan(struct pkt *p, uint32_t vni)
{
	uint32_t off = put(p, 8);

	p->b[off] = 0x08;
	p->b[off + 4] = (uint8_t)(vni >> 16);
	p->b[off + 5] = (uint8_t)(vni >> 8);
	p->b[off + 6] = (uint8_t)vni;
	return off;
}

static void
put_payload(struct pkt *p, uint32_t n)
{
	uint32_t off = put(p, n);

	for (uint32_t i = 0; i < n; i++)
		p->b[off + i] = (uint8_t)(0xa0 + i);
}

/* RFC 1071, computed here independently of the sim. */
static uint32_t
ones_sum(const uint8_t *q, uint32_t n)
{
	uint32_t s = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)q[i] << 8 | q[i + 1];
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return s;
}

static void
fix_ipv4(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 2, p->len - off);
	wr16(p->b + off + 10, 0);
	wr16(p->b + off + 10, ~ones_sum(p->b + off, 20) & 0xffff);
}

static void
fix_ipv6(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 4, p->len - off - 40);
}

static void
fix_udp(struct pkt *p, uint32_t off)
{
	wr16(p->b + off + 4, p->len - off);
}

/* eth(C -> D) / ipv4 10.0.0.1 -> 10.0.0.2 / udp 1000 -> 2000 / 16 bytes. */
static void
put_inner(struct pkt *p)
{
	uint32_t ip, udp;

	put_eth(p, MAC_D, MAC_C, 0x0800);
	ip = put_ipv4(p, 0x0a000001, 0x0a000002, 17);
	udp = put_udp(p, 1000, 2000);
	put_payload(p, 16);
	fix_udp(p, udp);
	fix_ipv4(p, ip);
}

/* An IPv4 UDP packet, A -> B, with 'tags' VLAN tags (VIDs 100, 200). */
static void
mk_udp4(struct pkt *p, int tags, uint32_t dst_ip, uint32_t dport)
{
	uint32_t ip, udp;

	p->len = 0;
	put_eth(p, MAC_B, MAC_A, tags ? 0x8100 : 0x0800);
	if (tags == 2)
		put_vlan(p, 100, 0x8100);
	if (tags)
		put_vlan(p, tags == 2 ? 200 : 100, 0x0800);
	ip = put_ipv4(p, 0xc0a80001, dst_ip, 17);
	udp = put_udp(p, 5555, dport);
	put_payload(p, 10);
	fix_udp(p, udp);
	fix_ipv4(p, ip);
}

/* Outer eth A -> B / ipv4 192.168.0.1 -> .2 / udp 5555 -> dport / vxlan vni / inner. */
static uint32_t
mk_vxlan4(struct pkt *p, uint32_t vni, uint32_t dport)
{
	uint32_t ip, udp, inner;

	p->len = 0;
	put_eth(p, MAC_B, MAC_A, 0x0800);
	ip = put_ipv4(p, 0xc0a80001, 0xc0a80002, 17);
	udp = put_udp(p, 5555, dport);
	put_vxlan(p, vni);
	inner = p->len;
	put_inner(p);
	fix_udp(p, udp);
	fix_ipv4(p, ip);
	return inner;
}

/* A packet in a heap buffer of exactly headroom + length bytes. */
struct rx {
	uint8_t *buf;
	struct ft_pkt pkt;
	struct ft_sim_result res;
};

static void
rx_run_port(struct ft_sim *sim, const struct pkt *p, uint32_t headroom, uint32_t port, struct rx *r)
{
	r->buf = malloc(headroom + p->len + 1);
	assert_non_null(r->buf);
	memcpy(r->buf + headroom, p->b, p->len);
	assert_int_equal(ft_pkt_init(&r->pkt, r->buf, headroom + p->len, (uint16_t)headroom,
	                             (uint16_t)p->len, port),
	                 0);
	assert_int_equal(ft_sim_rx(sim, &r->pkt, &r->res), 0);
}

static void
rx_run(struct ft_sim *sim, const struct pkt *p, struct rx *r)
{
	rx_run_port(sim, p, HEADROOM, 0, r);
}

static void
rx_free(struct rx *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* --- Rules ---------------------------------------------------------------- */

static struct ft_sim *
sim_new(const char *profile, bool strict)
{
	struct ft_sim_params params = {.strict = strict};
	struct ft_error err;
	struct ft_sim *sim = ft_sim_create(ft_nic_profile_find(profile), &params, &err);

	assert_non_null(sim);
	return sim;
}

static const struct rte_flow_attr *
attr_of(const struct ft_sim *sim, uint32_t group, uint32_t prio)
{
	static struct rte_flow_attr a[8];
	static unsigned int next;
	struct rte_flow_attr *x = &a[next++ % ARRAY_SIZE(a)];

	memset(x, 0, sizeof(*x));
	x->group = group;
	x->priority = prio;
	if (ft_sim_profile(sim)->domain == FT_NIC_DOMAIN_TRANSFER)
		x->transfer = 1;
	else
		x->ingress = 1;
	return x;
}

static struct ft_sim_flow *
add(struct ft_sim *sim, uint32_t group, uint32_t prio, const struct rte_flow_item *pattern,
    const struct rte_flow_action *actions)
{
	struct rte_flow_error e = {0};
	struct ft_sim_flow *f =
	        ft_sim_flow_create(sim, 0, attr_of(sim, group, prio), pattern, actions, &e);

	if (f == NULL)
		fail_msg("rule refused: %s", e.message ? e.message : "?");
	return f;
}

/* The rule is refused by validate and create with 'code', 'type', 'cause'. */
static void
refused(struct ft_sim *sim, const struct rte_flow_attr *attr, const struct rte_flow_item *pattern,
        const struct rte_flow_action *actions, int code, enum rte_flow_error_type type,
        const void *cause)
{
	struct rte_flow_error e;
	uint32_t n = ft_sim_flow_count(sim);

	memset(&e, 0, sizeof(e));
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr, pattern, actions, &e), -code);
	assert_int_equal(e.type, type);
	if (cause != NULL)
		assert_ptr_equal(e.cause, cause);
	assert_non_null(e.message);
	errno = 0;
	memset(&e, 0, sizeof(e));
	assert_null(ft_sim_flow_create(sim, 0, attr, pattern, actions, &e));
	assert_int_equal(errno, code);
	assert_int_equal(e.type, type);
	assert_int_equal(ft_sim_flow_count(sim), n);
}

#define END_ITEM                                                                                   \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_END                                                     \
	}
#define END_ACT                                                                                    \
	{                                                                                          \
		.type = RTE_FLOW_ACTION_TYPE_END                                                   \
	}
#define ITEM(t)                                                                                    \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_##t                                                     \
	}
#define ITEM_S(t, s)                                                                               \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_##t, .spec = (s)                                        \
	}
#define ITEM_SM(t, s, m)                                                                           \
	{                                                                                          \
		.type = RTE_FLOW_ITEM_TYPE_##t, .spec = (s), .mask = (m)                           \
	}
#define ACT(t)                                                                                     \
	{                                                                                          \
		.type = RTE_FLOW_ACTION_TYPE_##t                                                   \
	}
#define ACT_C(t, c)                                                                                \
	{                                                                                          \
		.type = RTE_FLOW_ACTION_TYPE_##t, .conf = (c)                                      \
	}

static const struct rte_flow_action_queue q1 = {.index = 1};
static const struct rte_flow_action_queue q2 = {.index = 2};
static const struct rte_flow_action_queue q3 = {.index = 3};
static const struct rte_flow_action_jump jump1 = {.group = 1};
static const struct rte_flow_action_jump jump2 = {.group = 2};

/* A group 0 rule that sends everything to group 1. */
static void
root_jump(struct ft_sim *sim)
{
	const struct rte_flow_item pat[] = {END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(JUMP, &jump1), END_ACT};

	add(sim, 0, 0, pat, act);
}

/* Installs group 1 'pattern' -> QUEUE 1 (after root_jump) and reports the queue of 'p'. */
static int
queue_of(struct ft_sim *sim, const struct pkt *p)
{
	struct rx r;
	int q;

	rx_run(sim, p, &r);
	q = r.res.fate == FT_SIM_QUEUE ? r.res.queue : -1;
	rx_free(&r);
	return q;
}

static struct ft_sim *
sim_with(const char *profile, const struct rte_flow_item *pattern)
{
	struct ft_sim *sim = sim_new(profile, false);
	const struct rte_flow_action act[] = {ACT_C(QUEUE, &q1), END_ACT};

	root_jump(sim);
	add(sim, 1, 0, pattern, act);
	return sim;
}

/* --- Tests: creation and the empty NIC ------------------------------------ */

static void
test_create(void **state)
{
	struct ft_error err;
	uint16_t ports[9] = {4789, 8472};
	struct ft_sim_params params = {.vxlan_ports = ports, .n_vxlan_ports = 9};
	uint32_t n;
	const struct ft_nic_profile *const *all = ft_nic_profiles(&n);

	(void)state;
	for (uint32_t i = 0; i < n; i++) {
		struct ft_sim *sim = ft_sim_create(all[i], NULL, &err);

		assert_non_null(sim);
		assert_ptr_equal(ft_sim_profile(sim), all[i]);
		assert_int_equal(ft_sim_flow_count(sim), 0);
		ft_sim_destroy(sim);
	}
	assert_null(ft_sim_create(NULL, NULL, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_null(ft_sim_create(all[0], &params, &err));
	assert_int_equal(err.code, -EINVAL);
	params.n_vxlan_ports = 2;
	ports[1] = 0;
	assert_null(ft_sim_create(all[0], &params, &err));
	assert_int_equal(err.code, -EINVAL);
	ft_sim_destroy(NULL);
}

static void
test_miss_root(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	struct pkt p;
	struct rx r;

	(void)state;
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	assert_int_equal(r.res.queue, 0);
	assert_true(r.res.miss);
	assert_false(r.res.undefined);
	assert_int_equal(r.res.n_hits, 0);
	assert_int_equal(r.pkt.flags & (FT_PKT_F_MARK | FT_PKT_F_FLAG), 0);
	assert_int_equal(r.pkt.len, p.len);
	assert_memory_equal(ft_pkt_data(&r.pkt), p.b, p.len);
	rx_free(&r);
	ft_sim_destroy(sim);
}

static void
test_rx_invalid(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	uint8_t buf[64] = {0};
	struct ft_pkt pkt;
	struct ft_sim_result res;

	(void)state;
	assert_int_equal(ft_pkt_init(&pkt, buf, sizeof(buf), 0, 60, 0), 0);
	pkt.nb_segs = 2;
	assert_int_equal(ft_sim_rx(sim, &pkt, &res), -EINVAL);
	pkt.nb_segs = 1;
	pkt.len = 65;
	assert_int_equal(ft_sim_rx(sim, &pkt, &res), -EINVAL);
	assert_int_equal(ft_sim_rx(sim, NULL, &res), -EINVAL);
	ft_sim_destroy(sim);
}

/* --- Tests: items --------------------------------------------------------- */

static void
test_item_eth(void **state)
{
	const struct rte_flow_item_eth dst_b = {.hdr.dst_addr.addr_bytes = {2, 0, 0, 0, 0, 0xb}};
	const struct rte_flow_item_eth dst_mask = {
	        .hdr.dst_addr.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	const struct rte_flow_item_eth tagged = {.has_vlan = 1};
	const struct rte_flow_item_eth tagged_mask = {.has_vlan = 1};
	/* The default mask also checks the source (all zeros here): no match. */
	const struct rte_flow_item p1[] = {ITEM_SM(ETH, &dst_b, &dst_mask), END_ITEM};
	const struct rte_flow_item p2[] = {ITEM_S(ETH, &dst_b), END_ITEM};
	const struct rte_flow_item p3[] = {ITEM_SM(ETH, &tagged, &tagged_mask), END_ITEM};
	struct ft_sim *sim;
	struct pkt p;

	(void)state;
	mk_udp4(&p, 0, 0x0a000002, 53);
	sim = sim_with("cx6dx", p1);
	assert_int_equal(queue_of(sim, &p), 1);
	p.b[5] = 0x0c;
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	mk_udp4(&p, 0, 0x0a000002, 53);
	sim = sim_with("cx6dx", p2);
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	sim = sim_with("cx6dx", p3);
	assert_int_equal(queue_of(sim, &p), 0);
	mk_udp4(&p, 1, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	ft_sim_destroy(sim);
}

static void
test_item_vlan(void **state)
{
	const struct rte_flow_item_vlan vid100 = {.hdr.vlan_tci = RTE_BE16(100)};
	const struct rte_flow_item_vlan vid200 = {.hdr.vlan_tci = RTE_BE16(0xe000 | 200)};
	const struct rte_flow_item p1[] = {ITEM(ETH), ITEM_S(VLAN, &vid100), ITEM(IPV4), END_ITEM};
	/* The default mask (0x0fff) ignores the PCP bits of the spec. */
	const struct rte_flow_item p2[] = {ITEM(ETH), ITEM_S(VLAN, &vid100), ITEM_S(VLAN, &vid200),
	                                   ITEM(IPV4), END_ITEM};
	const struct rte_flow_item p3[] = {ITEM(ETH), ITEM(IPV4), END_ITEM};
	struct ft_sim *sim;
	struct pkt p;

	(void)state;
	sim = sim_with("cx6dx", p1);
	mk_udp4(&p, 1, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_udp4(&p, 2, 0x0a000002, 53); /* two tags: the IPV4 item meets a VLAN */
	assert_int_equal(queue_of(sim, &p), 0);
	mk_udp4(&p, 0, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	sim = sim_with("cx6dx", p2);
	mk_udp4(&p, 2, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	p.b[14 + 4 + 1] = 201 & 0xff;
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	/* 'eth / ipv4' does not match a tagged packet. */
	sim = sim_with("cx6dx", p3);
	mk_udp4(&p, 0, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_udp4(&p, 1, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);
}

static void
test_item_ipv4_range(void **state)
{
	const struct rte_flow_item_ipv4 lo = {.hdr.dst_addr = RTE_BE32(0x0a000010)};
	const struct rte_flow_item_ipv4 hi = {.hdr.dst_addr = RTE_BE32(0x0a00001f)};
	const struct rte_flow_item_ipv4 dst_mask = {.hdr.dst_addr = RTE_BE32(0xffffffff)};
	const struct rte_flow_item pat[] = {
	        ITEM(ETH),
	        {.type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &lo, .last = &hi, .mask = &dst_mask},
	        END_ITEM,
	};
	const struct rte_flow_item bad[] = {
	        ITEM(ETH),
	        {.type = RTE_FLOW_ITEM_TYPE_IPV4, .spec = &hi, .last = &lo, .mask = &dst_mask},
	        END_ITEM,
	};
	const struct rte_flow_action act[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = sim_with("cx6dx", pat);
	struct pkt p;

	(void)state;
	mk_udp4(&p, 0, 0x0a000010, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_udp4(&p, 0, 0x0a00001f, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_udp4(&p, 0, 0x0a000018, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_udp4(&p, 0, 0x0a00000f, 53);
	assert_int_equal(queue_of(sim, &p), 0);
	mk_udp4(&p, 0, 0x0a000020, 53);
	assert_int_equal(queue_of(sim, &p), 0);
	refused(sim, attr_of(sim, 1, 1), bad, act, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_LAST, &bad[1]);
	ft_sim_destroy(sim);
}

static void
test_item_ipv6_tcp(void **state)
{
	struct rte_flow_item_ipv6 v6 = {0};
	const struct rte_flow_item_tcp tcp = {.hdr.dst_port = RTE_BE16(443)};
	const struct rte_flow_item_tcp tcp_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
	const struct rte_flow_item pat[] = {ITEM(ETH), ITEM_S(IPV6, &v6),
	                                    ITEM_SM(TCP, &tcp, &tcp_mask), END_ITEM};
	struct ft_sim *sim;
	struct pkt p;
	uint32_t ip;

	(void)state;
	v6.hdr.src_addr[0] = 0x20;
	v6.hdr.src_addr[1] = 0x01;
	v6.hdr.src_addr[15] = 1;
	v6.hdr.dst_addr[0] = 0x20;
	v6.hdr.dst_addr[1] = 0x01;
	v6.hdr.dst_addr[15] = 2;
	sim = sim_with("cx6dx", pat);
	p.len = 0;
	put_eth(&p, MAC_B, MAC_A, 0x86dd);
	ip = put_ipv6(&p, 1, 2, 6);
	put_tcp(&p, 999, 443);
	fix_ipv6(&p, ip);
	assert_int_equal(queue_of(sim, &p), 1);
	wr16(p.b + 14 + 40 + 2, 444);
	assert_int_equal(queue_of(sim, &p), 0);
	wr16(p.b + 14 + 40 + 2, 443);
	p.b[14 + 39] = 3;
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);
}

static void
test_item_vxlan_inner(void **state)
{
	const struct rte_flow_item_udp udp4789 = {.hdr.dst_port = RTE_BE16(4789)};
	const struct rte_flow_item_udp port_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
	const struct rte_flow_item_vxlan vni = {.vni = {0, 0x10, 0x01}};
	const struct rte_flow_item_eth in_dst = {.hdr.dst_addr.addr_bytes = {2, 0, 0, 0, 0, 0xd}};
	const struct rte_flow_item_eth dst_mask = {
	        .hdr.dst_addr.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	const struct rte_flow_item pat[] = {
	        ITEM(ETH),
	        ITEM(IPV4),
	        ITEM_SM(UDP, &udp4789, &port_mask),
	        ITEM_S(VXLAN, &vni),
	        ITEM_SM(ETH, &in_dst, &dst_mask),
	        ITEM(IPV4),
	        ITEM(UDP),
	        END_ITEM,
	};
	/* Anchored at the VXLAN layer. */
	const struct rte_flow_item pat2[] = {ITEM_S(VXLAN, &vni), END_ITEM};
	struct ft_sim *sim = sim_with("cx6dx", pat);
	struct pkt p;

	(void)state;
	mk_vxlan4(&p, 0x1001, 4789);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_vxlan4(&p, 0x1002, 4789);
	assert_int_equal(queue_of(sim, &p), 0);
	mk_vxlan4(&p, 0x1001, 4790); /* not a VXLAN port: no VXLAN layer */
	assert_int_equal(queue_of(sim, &p), 0);
	mk_vxlan4(&p, 0x1001, 4789);
	p.b[14 + 20 + 8 + 8 + 5] = 0x0e; /* inner destination MAC */
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	sim = sim_with("cx6dx", pat2);
	mk_vxlan4(&p, 0x1001, 4789);
	assert_int_equal(queue_of(sim, &p), 1);
	ft_sim_destroy(sim);

	/* A second VXLAN port, given in the params. */
	{
		uint16_t ports[] = {4789, 8472};
		struct ft_sim_params params = {.vxlan_ports = ports, .n_vxlan_ports = 2};
		const struct rte_flow_action act[] = {ACT_C(QUEUE, &q1), END_ACT};

		sim = ft_sim_create(ft_nic_profile_find("cx6dx"), &params, NULL);
		assert_non_null(sim);
		root_jump(sim);
		add(sim, 1, 0, pat2, act);
		mk_vxlan4(&p, 0x1001, 8472);
		assert_int_equal(queue_of(sim, &p), 1);
		ft_sim_destroy(sim);
	}
}

static void
test_item_registers(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_action_set_tag set_tag = {.data = 0x1234, .mask = 0xffff, .index = 2};
	const struct rte_flow_action_set_meta set_meta = {.data = 0xab00, .mask = 0xff00};
	const struct rte_flow_action_mark mark = {.id = 77};
	/* Only the masked bits count: 0x1234 & 0x0fff == 0xf0234 & 0x0fff. */
	const struct rte_flow_item_tag tag = {.data = 0xf0234, .index = 2};
	const struct rte_flow_item_tag tag_mask = {.data = 0x0fff, .index = 0xff};
	const struct rte_flow_item_tag tag_other = {.data = 0x1234, .index = 1};
	const struct rte_flow_item_meta meta = {.data = 0xab00};
	const struct rte_flow_item_mark mark_item = {.id = 77};
	const struct rte_flow_item_mark mark_wrong = {.id = 78};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_item p_tag_other[] = {ITEM_S(TAG, &tag_other), END_ITEM};
	const struct rte_flow_item p_mark_wrong[] = {ITEM_S(MARK, &mark_wrong), END_ITEM};
	const struct rte_flow_item p_all[] = {ITEM_SM(TAG, &tag, &tag_mask), ITEM_S(META, &meta),
	                                      ITEM_S(MARK, &mark_item), END_ITEM};
	const struct rte_flow_action a0[] = {ACT_C(MARK, &mark), ACT_C(SET_TAG, &set_tag),
	                                     ACT_C(SET_META, &set_meta), ACT_C(JUMP, &jump1),
	                                     END_ACT};
	const struct rte_flow_action aq1[] = {ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action aq2[] = {ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action aq3[] = {ACT_C(QUEUE, &q3), END_ACT};
	struct pkt p;
	struct rx r;

	(void)state;
	add(sim, 0, 0, any, a0);
	add(sim, 1, 0, p_tag_other, aq2); /* tag 1 was never written: reads 0 */
	add(sim, 1, 1, p_mark_wrong, aq3);
	add(sim, 1, 2, p_all, aq1);
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	assert_int_equal(r.res.queue, 1);
	assert_int_equal(r.res.meta, 0xab00);
	assert_int_equal(r.res.n_hits, 2);
	assert_true(r.pkt.flags & FT_PKT_F_MARK);
	assert_int_equal(r.pkt.mark, 77);
	assert_false(r.pkt.flags & FT_PKT_F_FLAG);
	rx_free(&r);
	ft_sim_destroy(sim);
}

static void
test_item_ports(void **state)
{
	struct ft_sim *sim = sim_new("sim", false);
	const struct rte_flow_item_ethdev port3 = {.port_id = 3};
	const struct rte_flow_item_port_id port5 = {.id = 5};
	const struct rte_flow_item p3[] = {ITEM_S(REPRESENTED_PORT, &port3), END_ITEM};
	const struct rte_flow_item p5[] = {ITEM_S(PORT_ID, &port5), END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action aq1[] = {ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action aq2[] = {ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action aq3[] = {ACT_C(QUEUE, &q3), END_ACT};
	struct pkt p;
	struct rx r;

	(void)state;
	root_jump(sim);
	add(sim, 1, 0, p3, aq1);
	add(sim, 1, 0, p5, aq2);
	add(sim, 1, 1, any, aq3);
	mk_udp4(&p, 0, 0x0a000002, 53);
	for (uint32_t port = 0; port < 7; port++) {
		rx_run_port(sim, &p, HEADROOM, port, &r);
		assert_int_equal(r.res.queue, port == 3 ? 1 : port == 5 ? 2 : 3);
		rx_free(&r);
	}
	ft_sim_destroy(sim);
}

static void
test_ingress_per_port(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	struct pkt p;
	struct rx r;

	(void)state;
	root_jump(sim); /* on port 0 only */
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run_port(sim, &p, HEADROOM, 0, &r);
	assert_int_equal(r.res.n_hits, 1);
	assert_true(r.res.undefined); /* group 1 is empty: a miss there */
	rx_free(&r);
	rx_run_port(sim, &p, HEADROOM, 1, &r);
	assert_int_equal(r.res.n_hits, 0);
	assert_false(r.res.undefined);
	rx_free(&r);
	ft_sim_destroy(sim);
}

static void
test_item_integrity(void **state)
{
	const struct rte_flow_item_integrity ok = {.level = 0, .packet_ok = 1};
	const struct rte_flow_item_integrity ok_mask = {.packet_ok = 1};
	const struct rte_flow_item_integrity l3 = {.level = 1, .l3_ok = 1, .ipv4_csum_ok = 1};
	const struct rte_flow_item_integrity l3_mask = {.l3_ok = 1, .ipv4_csum_ok = 1};
	const struct rte_flow_item_integrity l4 = {.level = 2, .l4_ok = 1, .l3_len_ok = 1};
	const struct rte_flow_item_integrity l4_mask = {.l4_ok = 1, .l3_len_ok = 1};
	const struct rte_flow_item_integrity crc_mask = {.l4_csum_ok = 1};
	const struct rte_flow_item_integrity lvl3 = {.level = 3, .l2_ok = 1};
	const struct rte_flow_item_integrity l2_mask = {.l2_ok = 1};
	const struct rte_flow_item p_ok[] = {ITEM_SM(INTEGRITY, &ok, &ok_mask), END_ITEM};
	const struct rte_flow_item p_l3[] = {ITEM_SM(INTEGRITY, &l3, &l3_mask), END_ITEM};
	const struct rte_flow_item p_l4[] = {ITEM_SM(INTEGRITY, &l4, &l4_mask), END_ITEM};
	const struct rte_flow_item p_crc[] = {ITEM_SM(INTEGRITY, &l4, &crc_mask), END_ITEM};
	const struct rte_flow_item p_lvl3[] = {ITEM_SM(INTEGRITY, &lvl3, &l2_mask), END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim;
	struct pkt p;

	(void)state;
	sim = sim_with("cx6dx", p_ok);
	mk_vxlan4(&p, 0x1001, 4789);
	assert_int_equal(queue_of(sim, &p), 1);
	p.b[14 + 20 + 8 + 8 + 14 + 20 + 5] ^= 1; /* inner UDP length */
	assert_int_equal(queue_of(sim, &p), 0);
	mk_vxlan4(&p, 0x1001, 4789);
	p.b[14 + 20 + 8] = 0; /* VXLAN I flag: the model drops it, the NIC parses it */
	assert_int_equal(queue_of(sim, &p), 0);
	mk_vxlan4(&p, 0x1001, 4789);
	p.len -= 1; /* outer lengths now exceed the frame */
	assert_int_equal(queue_of(sim, &p), 0);
	refused(sim, attr_of(sim, 1, 1), p_crc, act, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK,
	        &p_crc[0]);
	refused(sim, attr_of(sim, 1, 1), p_lvl3, act, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_lvl3[0]);
	ft_sim_destroy(sim);

	sim = sim_with("cx6dx", p_l3);
	mk_udp4(&p, 0, 0x0a000002, 53);
	assert_int_equal(queue_of(sim, &p), 1);
	p.b[14 + 10] ^= 0x10; /* IPv4 checksum */
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	sim = sim_with("cx6dx", p_l4);
	mk_vxlan4(&p, 0x1001, 4789);
	assert_int_equal(queue_of(sim, &p), 1);
	p.b[14 + 20 + 8 + 8 + 14 + 20 + 5] ^= 1; /* inner UDP length */
	assert_int_equal(queue_of(sim, &p), 0);
	mk_udp4(&p, 0, 0x0a000002, 53); /* no inner frame at all */
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);

	/* Not on ConnectX-5. */
	sim = sim_new("cx5", false);
	refused(sim, attr_of(sim, 1, 0), p_ok, act, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, &p_ok[0]);
	ft_sim_destroy(sim);
}

/* --- Tests: actions ------------------------------------------------------- */

static void
test_action_decap(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item pat[] = {ITEM(ETH), ITEM(IPV4), ITEM(UDP), ITEM(VXLAN),
	                                    END_ITEM};
	const struct rte_flow_item inner_pat[] = {ITEM(ETH), ITEM(IPV4), ITEM(UDP), END_ITEM};
	const struct rte_flow_action act[] = {ACT(VXLAN_DECAP), ACT_C(JUMP, &jump2), END_ACT};
	const struct rte_flow_action raw[] = {ACT(RAW_DECAP), ACT_C(QUEUE, &q3), END_ACT};
	const struct rte_flow_action aq2[] = {ACT_C(QUEUE, &q2), END_ACT};
	struct pkt p, inner = {.len = 0};
	uint32_t off;
	struct rx r;

	(void)state;
	root_jump(sim);
	add(sim, 1, 0, pat, act);
	add(sim, 2, 0, inner_pat, aq2); /* sees the inner headers as the outer ones */
	off = mk_vxlan4(&p, 0x1001, 4789);
	put_inner(&inner);
	assert_int_equal(p.len - off, inner.len);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	assert_int_equal(r.res.queue, 2);
	assert_int_equal(r.res.n_hits, 3);
	assert_int_equal(r.pkt.len, inner.len);
	assert_int_equal(r.pkt.data_off, HEADROOM + off);
	assert_memory_equal(ft_pkt_data(&r.pkt), inner.b, inner.len);
	rx_free(&r);
	ft_sim_destroy(sim);

	/* RAW_DECAP does the same; trailing bytes after the tunnel stay. */
	sim = sim_new("cx6dx", false);
	root_jump(sim);
	add(sim, 1, 0, pat, raw);
	off = mk_vxlan4(&p, 0x1001, 4789);
	put_payload(&p, 3);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 3);
	assert_int_equal(r.pkt.len, inner.len + 3);
	assert_memory_equal(ft_pkt_data(&r.pkt), inner.b, inner.len);
	rx_free(&r);
	ft_sim_destroy(sim);
}

static uint16_t
udp_src_hash(void *arg, const uint8_t *inner, uint32_t len)
{
	uint32_t *calls = arg;

	(*calls)++;
	return (uint16_t)(0xc000 | (inner[5] << 4) | (len & 0xf));
}

/* Checks an encapsulated packet: the outer header 'hdr_len' bytes, then 'inner'. */
static void
check_encap4(const struct rx *r, const struct pkt *inner, uint32_t vni, uint32_t sport)
{
	const uint8_t *d = ft_pkt_data(&r->pkt);
	const uint8_t *ip = d + 14, *udp = d + 34, *vx = d + 42;

	assert_int_equal(r->pkt.len, 50 + inner->len);
	assert_int_equal(r->pkt.data_off, HEADROOM - 50);
	assert_memory_equal(d, MAC_C, 6);
	assert_memory_equal(d + 6, MAC_D, 6);
	assert_int_equal(rd16(d + 12), 0x0800);
	assert_int_equal(ip[0], 0x45);
	assert_int_equal(rd16(ip + 2), 20 + 8 + 8 + inner->len);
	assert_int_equal(ip[8], 64);
	assert_int_equal(ip[9], 17);
	assert_int_equal(ones_sum(ip, 20), 0xffff); /* the header checksum verifies */
	assert_int_equal(rd16(ip + 12), 0xac10);
	assert_int_equal(rd16(udp), sport);
	assert_int_equal(rd16(udp + 2), 4789);
	assert_int_equal(rd16(udp + 4), 8 + 8 + inner->len);
	assert_int_equal(rd16(udp + 6), 0);
	assert_int_equal(vx[0], 0x08);
	assert_int_equal(vx[4] << 16 | vx[5] << 8 | vx[6], vni);
	assert_memory_equal(d + 50, inner->b, inner->len);
}

static void
test_action_vxlan_encap(void **state)
{
	struct rte_flow_item_eth eth = {0};
	const struct rte_flow_item_ipv4 ip = {.hdr.src_addr = RTE_BE32(0xac100001),
	                                      .hdr.dst_addr = RTE_BE32(0xac100002)};
	const struct rte_flow_item_udp udp = {0};
	const struct rte_flow_item_vxlan vx = {.vni = {0, 0x20, 0x02}};
	const struct rte_flow_item def[] = {ITEM_S(ETH, &eth), ITEM_S(IPV4, &ip), ITEM_S(UDP, &udp),
	                                    ITEM_S(VXLAN, &vx), END_ITEM};
	const struct rte_flow_action_vxlan_encap enc = {.definition = (struct rte_flow_item *)def};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(VXLAN_ENCAP, &enc), ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim_params params = {0};
	uint32_t calls = 0;
	struct ft_sim *sim;
	struct pkt p = {.len = 0};
	struct rx r;

	(void)state;
	memcpy(eth.hdr.dst_addr.addr_bytes, MAC_C, 6);
	memcpy(eth.hdr.src_addr.addr_bytes, MAC_D, 6);
	put_inner(&p);

	/* Without a source-port function: UDP source 0. */
	sim = sim_new("cx6dx", false);
	root_jump(sim);
	add(sim, 1, 0, any, act);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	check_encap4(&r, &p, 0x2002, 0);
	rx_free(&r);

	/* No headroom for it: dropped, the packet untouched. */
	rx_run_port(sim, &p, 49, 0, &r);
	assert_int_equal(r.res.fate, FT_SIM_DROP);
	assert_int_equal(r.res.drop, FT_DROP_NO_HEADROOM);
	assert_int_equal(r.pkt.len, p.len);
	assert_memory_equal(ft_pkt_data(&r.pkt), p.b, p.len);
	rx_free(&r);
	ft_sim_destroy(sim);

	params.encap_udp_src = udp_src_hash;
	params.encap_udp_src_arg = &calls;
	sim = ft_sim_create(ft_nic_profile_find("cx6dx"), &params, NULL);
	assert_non_null(sim);
	root_jump(sim);
	add(sim, 1, 0, any, act);
	rx_run(sim, &p, &r);
	assert_int_equal(calls, 1);
	check_encap4(&r, &p, 0x2002, 0xc000 | (MAC_D[5] << 4) | (p.len & 0xf));
	rx_free(&r);
	ft_sim_destroy(sim);
}

static void
test_action_raw_encap_ipv6(void **state)
{
	struct pkt hdr = {.len = 0}, p = {.len = 0};
	uint8_t data[200];
	struct rte_flow_action_raw_encap enc = {.data = data};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(RAW_ENCAP, &enc), ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = sim_new("cx6dx", false);
	uint32_t ip;
	struct rx r;
	const uint8_t *d;

	(void)state;
	put_eth(&hdr, MAC_C, MAC_D, 0x86dd);
	ip = put_ipv6(&hdr, 1, 2, 17);
	hdr.b[ip + 7] = 0;      /* hop limit: filled with 64 */
	put_udp(&hdr, 4321, 0); /* destination: filled with 4789 */
	put_vxlan(&hdr, 0x3003);
	hdr.b[hdr.len - 8] = 0; /* flags: filled with 0x08 */
	assert_int_equal(hdr.len, 70);
	memcpy(data, hdr.b, hdr.len);
	enc.size = hdr.len;
	put_inner(&p);
	root_jump(sim);
	add(sim, 1, 0, any, act);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	d = ft_pkt_data(&r.pkt);
	assert_int_equal(r.pkt.len, 70 + p.len);
	assert_int_equal(d[14] >> 4, 6);
	assert_int_equal(rd16(d + 14 + 4), 16 + p.len);
	assert_int_equal(d[14 + 7], 64);
	assert_int_equal(rd16(d + 54), 4321);
	assert_int_equal(rd16(d + 56), 4789);
	assert_int_equal(rd16(d + 58), 16 + p.len);
	assert_int_equal(rd16(d + 60), 0);
	assert_int_equal(d[62], 0x08);
	assert_memory_equal(d + 70, p.b, p.len);
	rx_free(&r);

	/* Too long for the NIC; not a VXLAN header. */
	enc.size = 140;
	refused(sim, attr_of(sim, 1, 1), any, act, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &act[0]);
	enc.size = 60;
	refused(sim, attr_of(sim, 1, 1), any, act, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &act[0]);
	ft_sim_destroy(sim);
}

/*
 * A RAW_ENCAP header: eth C -> D [vlan 7] / ipv4 or ipv6 / udp 'sport' -> 4789 /
 * vxlan 0x4004. Returns the offset of the UDP header.
 */
static uint32_t
mk_encap_hdr(struct pkt *h, bool ipv6, bool vlan, uint32_t sport)
{
	uint32_t type = ipv6 ? 0x86dd : 0x0800, udp;

	h->len = 0;
	put_eth(h, MAC_C, MAC_D, vlan ? 0x8100 : type);
	if (vlan)
		put_vlan(h, 7, type);
	if (ipv6)
		put_ipv6(h, 1, 2, 17);
	else
		put_ipv4(h, 0xac100001, 0xac100002, 17);
	udp = put_udp(h, sport, 4789);
	put_vxlan(h, 0x4004);
	return udp;
}

/*
 * The result's encap_udp_src_off: where the UDP source port that
 * params->encap_udp_src computed is, for IPv4 and IPv6 outer headers with
 * and without a tag, followed through later pushes, pops and decaps; none
 * when the header gives the port or the sim has no function for it.
 */
static void
test_encap_udp_src_off(void **state)
{
	const struct rte_flow_action_of_push_vlan push = {.ethertype = RTE_BE16(0x8100)};
	struct ft_sim_params params = {.encap_udp_src = udp_src_hash};
	struct rte_flow_action_raw_encap enc = {0}, enc2 = {0};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_item vxlan[] = {ITEM(ETH), ITEM(VLAN),  ITEM(IPV4),
	                                      ITEM(UDP), ITEM(VXLAN), END_ITEM};
	const struct rte_flow_action a_queue[] = {ACT_C(RAW_ENCAP, &enc), ACT_C(QUEUE, &q1),
	                                          END_ACT};
	const struct rte_flow_action a_jump[] = {ACT_C(RAW_ENCAP, &enc), ACT_C(JUMP, &jump2),
	                                         END_ACT};
	const struct rte_flow_action a_push[] = {ACT_C(OF_PUSH_VLAN, &push), ACT_C(QUEUE, &q2),
	                                         END_ACT};
	const struct rte_flow_action a_pop[] = {ACT(OF_POP_VLAN), ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action a_encap2[] = {ACT_C(RAW_ENCAP, &enc2), ACT_C(QUEUE, &q2),
	                                           END_ACT};
	const struct rte_flow_action a_decap[] = {ACT(RAW_DECAP), ACT_C(QUEUE, &q3), END_ACT};
	const struct rte_flow_action a_drop[] = {ACT_C(RAW_ENCAP, &enc), ACT(DROP), END_ACT};
	const struct rte_flow_action a_plain[] = {ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_item_udp udp_2000 = {.hdr.dst_port = RTE_BE16(2000)};
	const struct rte_flow_item_udp udp_53 = {.hdr.dst_port = RTE_BE16(53)};
	const struct rte_flow_item_udp dport = {.hdr.dst_port = RTE_BE16(0xffff)};
	const struct rte_flow_item to_2000[] = {ITEM(ETH), ITEM(IPV4),
	                                        ITEM_SM(UDP, &udp_2000, &dport), END_ITEM};
	const struct rte_flow_item to_53[] = {ITEM(ETH), ITEM(IPV4), ITEM_SM(UDP, &udp_53, &dport),
	                                      END_ITEM};
	uint32_t calls = 0, udp, want;
	struct pkt hdr, hdr2, p = {.len = 0}, q;
	struct ft_sim *sim;
	struct rx r;

	(void)state;
	params.encap_udp_src_arg = &calls;
	put_inner(&p);
	want = 0xc000 | (MAC_D[5] << 4) | (p.len & 0xf); /* udp_src_hash() of the inner frame */
	enc.data = hdr.b;
	enc2.data = hdr2.b;
	for (int v6 = 0; v6 < 2; v6++)
		for (int tag = 0; tag < 2; tag++) {
			udp = mk_encap_hdr(&hdr, v6, tag, 0);
			assert_int_equal(udp, 14 + 4 * tag + (v6 ? 40 : 20));
			enc.size = hdr.len;
			sim = ft_sim_create(ft_nic_profile_find("sim"), &params, NULL);
			assert_non_null(sim);
			root_jump(sim);
			add(sim, 1, 0, any, a_queue);
			rx_run(sim, &p, &r);
			assert_int_equal(r.res.fate, FT_SIM_QUEUE);
			assert_int_equal(r.pkt.len, hdr.len + p.len);
			assert_int_equal(r.res.encap_udp_src_off, udp);
			assert_int_equal(rd16(ft_pkt_data(&r.pkt) + udp), want);
			rx_free(&r);
			ft_sim_destroy(sim);
		}

	/* The header gives the port: none, and the port is the header's. */
	udp = mk_encap_hdr(&hdr, false, false, 4321);
	enc.size = hdr.len;
	sim = ft_sim_create(ft_nic_profile_find("sim"), &params, NULL);
	assert_non_null(sim);
	root_jump(sim);
	add(sim, 1, 0, any, a_queue);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.encap_udp_src_off, 0);
	assert_int_equal(rd16(ft_pkt_data(&r.pkt) + udp), 4321);
	rx_free(&r);
	ft_sim_destroy(sim);

	/* No function: the port stays 0, which is the header's: none. */
	udp = mk_encap_hdr(&hdr, false, false, 0);
	enc.size = hdr.len;
	sim = sim_new("sim", false);
	root_jump(sim);
	add(sim, 1, 0, any, a_queue);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.encap_udp_src_off, 0);
	assert_int_equal(rd16(ft_pkt_data(&r.pkt) + udp), 0);
	rx_free(&r);
	ft_sim_destroy(sim);

	/*
	 * A later rule changes the length: a push moves the port 4 bytes on, a
	 * pop of the header's tag 4 bytes back, an encap (with its own port) by
	 * its size, a decap removes it.
	 */
	udp = mk_encap_hdr(&hdr, false, true, 0);
	enc.size = hdr.len;
	mk_encap_hdr(&hdr2, true, false, 4321);
	enc2.size = hdr2.len;
	for (int k = 0; k < 4; k++) {
		const struct rte_flow_action *act[] = {a_push, a_pop, a_encap2, a_decap};
		const uint32_t moved[] = {udp + 4, udp - 4, udp + hdr2.len, 0};

		sim = ft_sim_create(ft_nic_profile_find("sim"), &params, NULL);
		assert_non_null(sim);
		root_jump(sim);
		add(sim, 1, 0, any, a_jump);
		add(sim, 2, 0, k == 3 ? vxlan : any, act[k]);
		rx_run(sim, &p, &r);
		assert_int_equal(r.res.n_hits, 3);
		assert_int_equal(r.res.encap_udp_src_off, moved[k]);
		if (moved[k] != 0)
			assert_int_equal(rd16(ft_pkt_data(&r.pkt) + moved[k]), want);
		else
			assert_memory_equal(ft_pkt_data(&r.pkt), p.b, p.len); /* decapsulated */
		rx_free(&r);
		ft_sim_destroy(sim);
	}

	/*
	 * Reset per packet, in a result that held an offset: a packet the rules
	 * do not encapsulate has none, nor one dropped after its encap.
	 */
	udp = mk_encap_hdr(&hdr, false, false, 0);
	enc.size = hdr.len;
	sim = ft_sim_create(ft_nic_profile_find("sim"), &params, NULL);
	assert_non_null(sim);
	root_jump(sim);
	add(sim, 1, 0, to_2000, a_queue);
	add(sim, 1, 1, to_53, a_drop);
	add(sim, 1, 2, any, a_plain);
	for (int k = 0; k < 2; k++) {
		rx_run(sim, &p, &r);
		assert_int_equal(r.res.encap_udp_src_off, udp);
		rx_free(&r);
		mk_udp4(&q, 0, 0x0a000002, k == 0 ? 53 : 54);
		rx_run(sim, &q, &r);
		assert_int_equal(r.res.fate, k == 0 ? FT_SIM_DROP : FT_SIM_QUEUE);
		assert_int_equal(r.res.encap_udp_src_off, 0);
		rx_free(&r);
	}
	ft_sim_destroy(sim);
}

static void
test_action_vlan(void **state)
{
	struct ft_sim *sim = sim_new("sim", false);
	const struct rte_flow_action_of_push_vlan push = {.ethertype = RTE_BE16(0x88a8)};
	const struct rte_flow_action_of_set_vlan_vid vid = {.vlan_vid = RTE_BE16(0x123)};
	const struct rte_flow_action_of_set_vlan_pcp pcp = {.vlan_pcp = 5};
	const struct rte_flow_action_of_push_vlan bad_push = {.ethertype = RTE_BE16(0x0800)};
	const struct rte_flow_item_eth tagged = {.has_vlan = 1};
	const struct rte_flow_item_eth tagged_mask = {.has_vlan = 1};
	const struct rte_flow_item p_tagged[] = {ITEM_SM(ETH, &tagged, &tagged_mask), END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	/* Pop the tag, push an S-tag (copying the TCI of the C-tag it covers, if any). */
	const struct rte_flow_action a_tagged[] = {ACT_C(OF_PUSH_VLAN, &push),
	                                           ACT_C(OF_SET_VLAN_PCP, &pcp), ACT_C(QUEUE, &q1),
	                                           END_ACT};
	const struct rte_flow_action a_untagged[] = {ACT(OF_POP_VLAN), ACT_C(OF_PUSH_VLAN, &push),
	                                             ACT_C(OF_SET_VLAN_VID, &vid),
	                                             ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action a_bad[] = {ACT_C(OF_PUSH_VLAN, &bad_push), ACT_C(QUEUE, &q2),
	                                        END_ACT};
	const struct rte_flow_action a_order[] = {ACT_C(OF_PUSH_VLAN, &push), ACT(OF_POP_VLAN),
	                                          ACT_C(QUEUE, &q2), END_ACT};
	struct pkt p, want;
	struct rx r;

	(void)state;
	root_jump(sim);
	add(sim, 1, 0, p_tagged, a_tagged);
	add(sim, 1, 1, any, a_untagged);

	/* Tagged (VID 100): S-tag with TCI copied (VID 100), PCP 5, above the C-tag. */
	mk_udp4(&p, 1, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 1);
	want.len = 0;
	put_eth(&want, MAC_B, MAC_A, 0x88a8);
	put_vlan(&want, 0xa000 | 100, 0x8100);
	memcpy(want.b + want.len, p.b + 14, p.len - 14);
	want.len += p.len - 14;
	assert_int_equal(r.pkt.len, want.len);
	assert_int_equal(r.pkt.data_off, HEADROOM - 4);
	assert_memory_equal(ft_pkt_data(&r.pkt), want.b, want.len);
	rx_free(&r);

	/* Untagged: pop does nothing, push a tag with TCI 0, then VID 0x123. */
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 2);
	want.len = 0;
	put_eth(&want, MAC_B, MAC_A, 0x88a8);
	put_vlan(&want, 0x123, 0x0800);
	memcpy(want.b + want.len, p.b + 14, p.len - 14);
	want.len += p.len - 14;
	assert_memory_equal(ft_pkt_data(&r.pkt), want.b, want.len);
	rx_free(&r);

	/* Two tags: pop removes the outer one. */
	ft_sim_destroy(sim);
	sim = sim_new("sim", false);
	{
		const struct rte_flow_action a_pop[] = {ACT(OF_POP_VLAN), ACT_C(QUEUE, &q1),
		                                        END_ACT};

		root_jump(sim);
		add(sim, 1, 0, any, a_pop);
		mk_udp4(&p, 2, 0x0a000002, 53);
		rx_run(sim, &p, &r);
		want.len = 0;
		put_eth(&want, MAC_B, MAC_A, 0x8100);
		memcpy(want.b + want.len, p.b + 18, p.len - 18);
		want.len += p.len - 18;
		assert_int_equal(r.pkt.len, want.len);
		assert_int_equal(r.pkt.data_off, HEADROOM + 4);
		assert_memory_equal(ft_pkt_data(&r.pkt), want.b, want.len);
		rx_free(&r);
	}
	refused(sim, attr_of(sim, 1, 1), any, a_bad, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_bad[0]);
	refused(sim, attr_of(sim, 1, 1), any, a_order, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_order[1]);
	ft_sim_destroy(sim);
}

static void
test_action_set_mac(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	struct rte_flow_action_set_mac src, dst;
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(SET_MAC_SRC, &src), ACT_C(SET_MAC_DST, &dst),
	                                      ACT_C(QUEUE, &q1), END_ACT};
	struct pkt p;
	struct rx r;

	(void)state;
	memcpy(src.mac_addr, MAC_C, 6);
	memcpy(dst.mac_addr, MAC_D, 6);
	root_jump(sim);
	add(sim, 1, 0, any, act);
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_memory_equal(ft_pkt_data(&r.pkt), MAC_D, 6);
	assert_memory_equal(ft_pkt_data(&r.pkt) + 6, MAC_C, 6);
	assert_memory_equal(ft_pkt_data(&r.pkt) + 12, p.b + 12, p.len - 12);
	rx_free(&r);
	ft_sim_destroy(sim);
}

static void
test_action_fates(void **state)
{
	struct ft_sim *sim = sim_new("sim", false);
	const struct rte_flow_item_ipv4 ip1 = {.hdr.dst_addr = RTE_BE32(1)};
	const struct rte_flow_item_ipv4 ip2 = {.hdr.dst_addr = RTE_BE32(2)};
	const struct rte_flow_item_ipv4 ip3 = {.hdr.dst_addr = RTE_BE32(3)};
	const struct rte_flow_item_ipv4 ip4 = {.hdr.dst_addr = RTE_BE32(4)};
	const struct rte_flow_item_ipv4 ip5 = {.hdr.dst_addr = RTE_BE32(5)};
	const struct rte_flow_item_ipv4 mask = {.hdr.dst_addr = RTE_BE32(0xffffffff)};
	const struct rte_flow_item p1[] = {ITEM(ETH), ITEM_SM(IPV4, &ip1, &mask), END_ITEM};
	const struct rte_flow_item p2[] = {ITEM(ETH), ITEM_SM(IPV4, &ip2, &mask), END_ITEM};
	const struct rte_flow_item p3[] = {ITEM(ETH), ITEM_SM(IPV4, &ip3, &mask), END_ITEM};
	const struct rte_flow_item p4[] = {ITEM(ETH), ITEM_SM(IPV4, &ip4, &mask), END_ITEM};
	const struct rte_flow_item p5[] = {ITEM(ETH), ITEM_SM(IPV4, &ip5, &mask), END_ITEM};
	const struct rte_flow_action_mark mark = {.id = 0xffffef};
	const uint16_t queues[] = {7, 3};
	const struct rte_flow_action_rss rss = {.queue_num = 2, .queue = queues};
	const struct rte_flow_action_port_id pid = {.id = 9};
	const struct rte_flow_action_ethdev rep = {.port_id = 11};
	const struct rte_flow_action a0[] = {ACT_C(MARK, &mark), ACT(FLAG), ACT_C(JUMP, &jump1),
	                                     END_ACT};
	const struct rte_flow_action a1[] = {ACT_C(RSS, &rss), END_ACT};
	const struct rte_flow_action a2[] = {ACT(DROP), END_ACT};
	const struct rte_flow_action a3[] = {ACT_C(PORT_ID, &pid), END_ACT};
	const struct rte_flow_action a4[] = {ACT_C(REPRESENTED_PORT, &rep), END_ACT};
	const struct rte_flow_action a5[] = {ACT_C(PORT_REPRESENTOR, &rep), END_ACT};
	const struct rte_flow_item any[] = {END_ITEM};
	struct pkt p;
	struct rx r;

	(void)state;
	add(sim, 0, 0, any, a0);
	add(sim, 1, 0, p1, a1);
	add(sim, 1, 0, p2, a2);
	add(sim, 1, 0, p3, a3);
	add(sim, 1, 0, p4, a4);
	add(sim, 1, 0, p5, a5);

	mk_udp4(&p, 0, 1, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	assert_int_equal(r.res.queue, 7);
	assert_int_equal(r.pkt.flags & (FT_PKT_F_MARK | FT_PKT_F_FLAG),
	                 FT_PKT_F_MARK | FT_PKT_F_FLAG);
	assert_int_equal(r.pkt.mark, 0xffffef);
	rx_free(&r);

	mk_udp4(&p, 0, 2, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_DROP);
	assert_int_equal(r.res.drop, FT_DROP_ACTION);
	rx_free(&r);

	mk_udp4(&p, 0, 3, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_PORT);
	assert_int_equal(r.res.port, 9);
	assert_int_equal(r.pkt.flags & FT_PKT_F_MARK, 0); /* leaves on a port: no mark */
	rx_free(&r);

	mk_udp4(&p, 0, 4, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_PORT);
	assert_int_equal(r.res.port, 11);
	rx_free(&r);

	mk_udp4(&p, 0, 5, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_REPRESENTOR);
	assert_int_equal(r.res.port, 11);
	assert_true(r.pkt.flags & FT_PKT_F_MARK);
	rx_free(&r);

	/* A miss in group 1: undefined, to queue 0 with the mark set so far. */
	mk_udp4(&p, 0, 6, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.fate, FT_SIM_QUEUE);
	assert_int_equal(r.res.queue, 0);
	assert_true(r.res.miss);
	assert_true(r.res.undefined);
	assert_int_equal(r.res.group, 1);
	assert_int_equal(r.pkt.mark, 0xffffef);
	rx_free(&r);
	ft_sim_destroy(sim);
}

/* --- Tests: groups, priorities, counters ---------------------------------- */

static void
test_priority(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item_udp dport = {.hdr.dst_port = RTE_BE16(53)};
	const struct rte_flow_item_udp dport_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
	const struct rte_flow_item specific[] = {ITEM(ETH), ITEM(IPV4),
	                                         ITEM_SM(UDP, &dport, &dport_mask), END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action aq1[] = {ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action aq2[] = {ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action aq3[] = {ACT_C(QUEUE, &q3), END_ACT};
	struct ft_sim_flow *catch_all, *first, *second;
	struct pkt p;
	struct rx r;

	(void)state;
	root_jump(sim);
	catch_all = add(sim, 1, 5, any, aq3);
	first = add(sim, 1, 2, specific, aq1);
	second = add(sim, 1, 2, specific, aq2); /* same priority, created later */
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 1);
	assert_true(r.res.undefined);
	assert_ptr_equal(r.res.hits[1], first);
	rx_free(&r);

	mk_udp4(&p, 0, 0x0a000002, 54);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 3);
	assert_false(r.res.undefined);
	assert_ptr_equal(r.res.hits[1], catch_all);
	rx_free(&r);

	assert_int_equal(ft_sim_flow_destroy(sim, first, NULL), 0);
	mk_udp4(&p, 0, 0x0a000002, 53);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 2);
	assert_false(r.res.undefined);
	assert_ptr_equal(r.res.hits[1], second);
	rx_free(&r);

	/* A higher priority (lower number) catch-all now wins over everything. */
	add(sim, 1, 0, any, aq3);
	rx_run(sim, &p, &r);
	assert_int_equal(r.res.queue, 3);
	rx_free(&r);
	assert_int_equal(ft_sim_flow_count(sim), 4);
	assert_int_equal(ft_sim_flow_destroy(sim, NULL, NULL), -EINVAL);
	ft_sim_destroy(sim);
}

static void
test_counters(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a0[] = {ACT(COUNT), ACT_C(JUMP, &jump1), END_ACT};
	const struct rte_flow_action a1[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim_flow *root, *plain;
	struct rte_flow_error e;
	uint64_t hits = 99, bytes = 99;
	struct pkt p1, p2;
	struct rx r;

	(void)state;
	root = add(sim, 0, 0, any, a0);
	plain = add(sim, 1, 0, any, a1);
	mk_udp4(&p1, 0, 0x0a000002, 53);
	mk_udp4(&p2, 2, 0x0a000002, 53);
	for (int i = 0; i < 3; i++) {
		rx_run(sim, &p1, &r);
		rx_free(&r);
	}
	rx_run(sim, &p2, &r);
	rx_free(&r);
	assert_int_equal(ft_sim_flow_query_count(sim, root, false, &hits, &bytes, NULL), 0);
	assert_int_equal(hits, 4);
	assert_int_equal(bytes, 3 * p1.len + p2.len);
	assert_int_equal(ft_sim_flow_query_count(sim, root, true, &hits, &bytes, NULL), 0);
	assert_int_equal(hits, 4);
	assert_int_equal(ft_sim_flow_query_count(sim, root, true, &hits, &bytes, NULL), 0);
	assert_int_equal(hits, 0);
	assert_int_equal(bytes, 0);
	rx_run(sim, &p1, &r);
	rx_free(&r);
	assert_int_equal(ft_sim_flow_query_count(sim, root, true, &hits, NULL, NULL), 0);
	assert_int_equal(hits, 1);
	assert_int_equal(ft_sim_flow_query_count(sim, plain, true, &hits, &bytes, &e), -ENOTSUP);
	assert_int_equal(e.type, RTE_FLOW_ERROR_TYPE_ACTION);
	ft_sim_destroy(sim);

	/* ConnectX-7 has no COUNT in group 0. */
	sim = sim_new("cx7", false);
	refused(sim, attr_of(sim, 0, 0), any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, &a0[0]);
	ft_sim_destroy(sim);
}

static void
test_flush(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a0[] = {ACT_C(JUMP, &jump1), END_ACT};

	(void)state;
	assert_non_null(ft_sim_flow_create(sim, 0, attr_of(sim, 0, 0), any, a0, NULL));
	assert_non_null(ft_sim_flow_create(sim, 1, attr_of(sim, 0, 0), any, a0, NULL));
	assert_non_null(ft_sim_flow_create(sim, 1, attr_of(sim, 0, 1), any, a0, NULL));
	assert_int_equal(ft_sim_flow_count(sim), 3);
	assert_int_equal(ft_sim_flow_flush(sim, 1, NULL), 0);
	assert_int_equal(ft_sim_flow_count(sim), 1);
	assert_int_equal(ft_sim_flow_flush(sim, 0, NULL), 0);
	assert_int_equal(ft_sim_flow_count(sim), 0);
	ft_sim_destroy(sim);
}

/* --- Tests: refusals ------------------------------------------------------ */

static void
test_refuse_attr(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a0[] = {ACT_C(JUMP, &jump1), END_ACT};
	struct rte_flow_attr a = {.ingress = 1};

	(void)state;
	a.ingress = 0;
	refused(sim, &a, any, a0, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, &a);
	a.ingress = 1;
	a.egress = 1;
	refused(sim, &a, any, a0, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, &a);
	a.ingress = 0;
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, &a);
	a.egress = 0;
	a.transfer = 1;
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER, &a);
	a.transfer = 0;
	a.ingress = 1;
	a.priority = 4; /* priorities_root */
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, &a);
	a.priority = 3;
	assert_int_equal(ft_sim_flow_validate(sim, 0, &a, any, a0, NULL), 0);
	a.group = 1;
	a.priority = 21844;
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, &a);
	a.priority = 0;
	a.group = 6553;
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, &a);
	refused(sim, NULL, any, a0, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, NULL);
	ft_sim_destroy(sim);

	sim = sim_new("bf2", false);
	a = (struct rte_flow_attr){.ingress = 1};
	refused(sim, &a, any, a0, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_INGRESS, &a);
	ft_sim_destroy(sim);
}

static void
test_refuse_profile(void **state)
{
	const struct rte_flow_item_port_id pid = {.id = 1};
	const struct rte_flow_item p_port[] = {ITEM_S(PORT_ID, &pid), END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action_port_id to = {.id = 1};
	const struct rte_flow_action a_port[] = {ACT_C(PORT_ID, &to), END_ACT};
	struct rte_flow_action_set_mac mac = {{0}};
	const struct rte_flow_action a_mac[] = {ACT_C(SET_MAC_SRC, &mac), ACT_C(QUEUE, &q1),
	                                        END_ACT};
	const struct rte_flow_action a_q[] = {ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action_set_tag tag = {.data = 1, .mask = 1, .index = 0};
	const struct rte_flow_action a_tag[] = {ACT_C(SET_TAG, &tag), ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = sim_new("cx7", false);

	(void)state;
	refused(sim, attr_of(sim, 1, 0), p_port, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_port[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_port, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_port[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_mac, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_mac[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_tag, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_tag[0]);
	ft_sim_destroy(sim);

	/* The same on cx6dx: SET_MAC and SET_TAG are fine, PORT_ID is not. */
	sim = sim_new("cx6dx", false);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), any, a_mac, NULL), 0);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), any, a_tag, NULL), 0);
	refused(sim, attr_of(sim, 1, 0), any, a_port, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_port[0]);
	ft_sim_destroy(sim);
}

static void
test_refuse_actions(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", false);
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action_mark big = {.id = 0xfffff0};
	const struct rte_flow_action_mark ok = {.id = 1};
	const struct rte_flow_action_jump back = {.group = 1};
	const struct rte_flow_action_set_tag tag4 = {.data = 1, .mask = 1, .index = 4};
	const struct rte_flow_action a_order[] = {ACT(VXLAN_DECAP), ACT_C(MARK, &ok),
	                                          ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action a_nofate[] = {ACT_C(MARK, &ok), END_ACT};
	const struct rte_flow_action a_twofates[] = {ACT_C(QUEUE, &q1), ACT(DROP), END_ACT};
	const struct rte_flow_action a_queue[] = {ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action a_root_decap[] = {ACT(VXLAN_DECAP), ACT_C(JUMP, &jump1),
	                                               END_ACT};
	const struct rte_flow_action a_back[] = {ACT_C(JUMP, &back), END_ACT};
	const struct rte_flow_action a_big[] = {ACT_C(MARK, &big), ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action a_tag[] = {ACT_C(SET_TAG, &tag4), ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_action a_noconf[] = {ACT(QUEUE), END_ACT};
	const struct rte_flow_action a_decap[] = {ACT(VXLAN_DECAP), ACT_C(QUEUE, &q1), END_ACT};
	const struct rte_flow_item tunnel[] = {ITEM(ETH), ITEM(IPV4), ITEM(UDP), ITEM(VXLAN),
	                                       END_ITEM};
	const struct rte_flow_action a_twodecap[] = {ACT(VXLAN_DECAP), ACT(RAW_DECAP),
	                                             ACT_C(QUEUE, &q1), END_ACT};

	(void)state;
	refused(sim, attr_of(sim, 1, 0), tunnel, a_order, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_order[1]);
	refused(sim, attr_of(sim, 1, 0), any, a_nofate, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM,
	        a_nofate);
	refused(sim, attr_of(sim, 1, 0), any, a_twofates, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_twofates[1]);
	refused(sim, attr_of(sim, 0, 0), any, a_queue, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_queue[0]);
	refused(sim, attr_of(sim, 0, 0), tunnel, a_root_decap, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_root_decap[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_back, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_back[0]);
	refused(sim, attr_of(sim, 2, 0), any, a_back, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_back[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_big, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_big[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_tag, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_tag[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_noconf, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF,
	        &a_noconf[0]);
	refused(sim, attr_of(sim, 1, 0), any, a_decap, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_decap[0]);
	refused(sim, attr_of(sim, 1, 0), tunnel, a_twodecap, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION,
	        &a_twodecap[1]);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), tunnel, a_decap, NULL),
	                 0);
	refused(sim, attr_of(sim, 1, 0), NULL, a_queue, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL);
	refused(sim, attr_of(sim, 1, 0), any, NULL, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL);
	ft_sim_destroy(sim);
}

static void
test_refuse_items(void **state)
{
	const struct rte_flow_item_vxlan zero = {.vni = {0, 0, 0}};
	const struct rte_flow_item_vxlan vni1 = {.vni = {0, 0, 1}};
	const struct rte_flow_item_udp p8472 = {.hdr.dst_port = RTE_BE16(8472)};
	const struct rte_flow_item_udp p4789 = {.hdr.dst_port = RTE_BE16(4789)};
	const struct rte_flow_item_udp dst_mask = {.hdr.dst_port = RTE_BE16(0xffff)};
	const struct rte_flow_item_eth eth = {0};
	const struct rte_flow_item_tag tag9 = {.data = 1, .index = 9};
	const struct rte_flow_item p_zero[] = {ITEM(ETH), ITEM(IPV4), ITEM(UDP),
	                                       ITEM_S(VXLAN, &zero), END_ITEM};
	const struct rte_flow_item p_8472[] = {ITEM(ETH), ITEM(IPV4),
	                                       ITEM_SM(UDP, &p8472, &dst_mask),
	                                       ITEM_S(VXLAN, &vni1), END_ITEM};
	const struct rte_flow_item p_4789[] = {ITEM(ETH), ITEM(IPV4),
	                                       ITEM_SM(UDP, &p4789, &dst_mask),
	                                       ITEM_S(VXLAN, &vni1), END_ITEM};
	const struct rte_flow_item p_nodst[] = {ITEM(ETH), ITEM(IPV4), ITEM(UDP),
	                                        ITEM_S(VXLAN, &vni1), END_ITEM};
	const struct rte_flow_item p_mask_only[] = {{.type = RTE_FLOW_ITEM_TYPE_ETH, .mask = &eth},
	                                            END_ITEM};
	const struct rte_flow_item p_order[] = {ITEM(ETH), ITEM(UDP), END_ITEM};
	const struct rte_flow_item p_tag[] = {ITEM_S(TAG, &tag9), END_ITEM};
	const struct rte_flow_item p_unknown[] = {ITEM(GRE), END_ITEM};
	const struct rte_flow_action a_q[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = sim_new("cx5", false);

	(void)state;
	refused(sim, attr_of(sim, 1, 0), p_zero, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_zero[3]);
	refused(sim, attr_of(sim, 1, 0), p_8472, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_8472[2]);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), p_4789, a_q, NULL), 0);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), p_nodst, a_q, NULL), 0);
	refused(sim, attr_of(sim, 1, 0), p_mask_only, a_q, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_mask_only[0]);
	refused(sim, attr_of(sim, 1, 0), p_order, a_q, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_order[1]);
	refused(sim, attr_of(sim, 1, 0), p_tag, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, &p_tag[0]);
	refused(sim, attr_of(sim, 1, 0), p_unknown, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_unknown[0]);
	ft_sim_destroy(sim);

	/* cx6dx parses VXLAN behind any configured port. */
	sim = sim_new("cx6dx", false);
	assert_int_equal(ft_sim_flow_validate(sim, 0, attr_of(sim, 1, 0), p_8472, a_q, NULL), 0);
	refused(sim, attr_of(sim, 1, 0), p_zero, a_q, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
	        &p_zero[3]);
	ft_sim_destroy(sim);
}

/* On cx5 a VXLAN item only ever matches behind port 4789, whatever the VXLAN ports. */
static void
test_cx5_port_4789(void **state)
{
	uint16_t ports[] = {4789, 8472};
	struct ft_sim_params params = {.vxlan_ports = ports, .n_vxlan_ports = 2};
	const struct rte_flow_item pat[] = {ITEM(VXLAN), END_ITEM};
	const struct rte_flow_action act[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = ft_sim_create(ft_nic_profile_find("cx5"), &params, NULL);
	struct pkt p;

	(void)state;
	assert_non_null(sim);
	root_jump(sim);
	add(sim, 1, 0, pat, act);
	mk_vxlan4(&p, 5, 4789);
	assert_int_equal(queue_of(sim, &p), 1);
	mk_vxlan4(&p, 5, 8472);
	assert_int_equal(queue_of(sim, &p), 0);
	ft_sim_destroy(sim);
}

static void
test_rules_max(void **state)
{
	struct ft_sim_params params = {.rules_max = 3};
	struct ft_sim *sim = ft_sim_create(ft_nic_profile_find("cx6dx"), &params, NULL);
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a0[] = {ACT_C(JUMP, &jump1), END_ACT};
	struct ft_sim_flow *f[3];

	(void)state;
	assert_non_null(sim);
	for (int i = 0; i < 3; i++)
		f[i] = add(sim, 0, (uint32_t)i, any, a0);
	refused(sim, attr_of(sim, 0, 3), any, a0, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL);
	assert_int_equal(ft_sim_flow_destroy(sim, f[1], NULL), 0);
	assert_non_null(add(sim, 0, 3, any, a0));
	assert_int_equal(ft_sim_flow_count(sim), 3);
	(void)f;
	ft_sim_destroy(sim);
}

/* --- Tests: strict mode --------------------------------------------------- */

static void
test_strict_overlap(void **state)
{
	const struct rte_flow_item_eth dst_b = {.hdr.dst_addr.addr_bytes = {2, 0, 0, 0, 0, 0xb}};
	const struct rte_flow_item_eth dst_c = {.hdr.dst_addr.addr_bytes = {2, 0, 0, 0, 0, 0xc}};
	const struct rte_flow_item_eth dst_mask = {
	        .hdr.dst_addr.addr_bytes = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
	const struct rte_flow_item_tag t1 = {.data = 1, .index = 0};
	const struct rte_flow_item_tag t2 = {.data = 2, .index = 0};
	const struct rte_flow_item p_b[] = {ITEM_SM(ETH, &dst_b, &dst_mask), END_ITEM};
	const struct rte_flow_item p_c[] = {ITEM_SM(ETH, &dst_c, &dst_mask), END_ITEM};
	const struct rte_flow_item p_b_ip[] = {ITEM_SM(ETH, &dst_b, &dst_mask), ITEM(IPV4),
	                                       END_ITEM};
	const struct rte_flow_item p_c_v6[] = {ITEM_SM(ETH, &dst_c, &dst_mask), ITEM(IPV6),
	                                       END_ITEM};
	const struct rte_flow_item p_c_v4[] = {ITEM_SM(ETH, &dst_c, &dst_mask), ITEM(IPV4),
	                                       END_ITEM};
	const struct rte_flow_item p_t1[] = {ITEM_S(TAG, &t1), END_ITEM};
	const struct rte_flow_item p_t2[] = {ITEM_S(TAG, &t2), END_ITEM};
	const struct rte_flow_item p_ip[] = {ITEM(IPV4), END_ITEM};
	const struct rte_flow_action a_q[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct ft_sim *sim = sim_new("cx6dx", true);

	(void)state;
	add(sim, 1, 0, p_b, a_q);
	add(sim, 1, 0, p_c, a_q);    /* disjoint: different destination */
	add(sim, 1, 1, p_b_ip, a_q); /* other priority */
	refused(sim, attr_of(sim, 1, 0), p_b_ip, a_q, EEXIST, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
	        NULL);
	add(sim, 1, 2, p_c_v6, a_q);
	add(sim, 1, 2, p_c_v4, a_q); /* IPv4 and IPv6 at the same layer */
	add(sim, 1, 3, p_t1, a_q);
	add(sim, 1, 3, p_t2, a_q); /* the same tag, different values */
	refused(sim, attr_of(sim, 1, 3), p_ip, a_q, EEXIST, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
	        NULL);            /* unsure: overlap */
	add(sim, 2, 0, p_b, a_q); /* other group */
	ft_sim_destroy(sim);

	/* Not strict: accepted. */
	sim = sim_new("cx6dx", false);
	add(sim, 1, 0, p_b, a_q);
	add(sim, 1, 0, p_b_ip, a_q);
	ft_sim_destroy(sim);
}

static void
test_check_catch_all(void **state)
{
	struct ft_sim *sim = sim_new("cx6dx", true);
	const struct rte_flow_item_eth dst_b = {.hdr.dst_addr.addr_bytes = {2, 0, 0, 0, 0, 0xb}};
	const struct rte_flow_item p_b[] = {ITEM_S(ETH, &dst_b), END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a_j1[] = {ACT_C(JUMP, &jump1), END_ACT};
	const struct rte_flow_action a_j2[] = {ACT_C(JUMP, &jump2), END_ACT};
	const struct rte_flow_action a_q[] = {ACT_C(QUEUE, &q1), END_ACT};
	char report[256];

	(void)state;
	assert_int_equal(ft_sim_check(sim, report, sizeof(report)), 0);
	assert_string_equal(report, "");
	add(sim, 0, 0, any, a_j1);
	add(sim, 1, 0, p_b, a_j2);
	assert_int_equal(ft_sim_check(sim, report, sizeof(report)), 2);
	assert_string_equal(report, "port 0 group 1: jumped to, no catch-all rule\n"
	                            "port 0 group 2: jumped to, no catch-all rule\n");
	add(sim, 1, 1, any, a_q);
	assert_int_equal(ft_sim_check(sim, report, sizeof(report)), 1);
	assert_string_equal(report, "port 0 group 2: jumped to, no catch-all rule\n");
	add(sim, 2, 100, any, a_q);
	assert_int_equal(ft_sim_check(sim, report, 8), 0);
	assert_int_equal(ft_sim_check(sim, NULL, 0), 0);
	ft_sim_destroy(sim);
}

/* --- Tests: malformed packets --------------------------------------------- */

/* Every prefix of a VXLAN packet, and some corruptions, through a full rule set. */
static void
test_malformed(void **state)
{
	struct ft_sim *sim = sim_new("sim", false);
	const struct rte_flow_item_integrity ok = {.packet_ok = 1, .l4_ok = 1, .level = 2};
	const struct rte_flow_item_integrity ok_mask = {.packet_ok = 1, .l4_ok = 1};
	const struct rte_flow_item_vxlan vni = {.vni = {0, 0x10, 0x01}};
	const struct rte_flow_item tunnel[] = {ITEM(ETH),           ITEM(IPV4), ITEM(UDP),
	                                       ITEM_S(VXLAN, &vni), ITEM(ETH),  ITEM(IPV4),
	                                       ITEM(UDP),           END_ITEM};
	const struct rte_flow_item checked[] = {ITEM(ETH),
	                                        ITEM(IPV4),
	                                        ITEM(UDP),
	                                        ITEM_S(VXLAN, &vni),
	                                        ITEM_SM(INTEGRITY, &ok, &ok_mask),
	                                        END_ITEM};
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action_of_push_vlan push = {.ethertype = RTE_BE16(0x8100)};
	const struct rte_flow_action a0[] = {ACT_C(JUMP, &jump1), END_ACT};
	const struct rte_flow_action a_decap[] = {ACT(VXLAN_DECAP), ACT_C(JUMP, &jump2), END_ACT};
	const struct rte_flow_action a_q2[] = {ACT_C(QUEUE, &q2), END_ACT};
	const struct rte_flow_action a_mod[] = {ACT(OF_POP_VLAN), ACT_C(OF_PUSH_VLAN, &push),
	                                        ACT_C(QUEUE, &q3), END_ACT};
	const struct rte_flow_action a_q1[] = {ACT_C(QUEUE, &q1), END_ACT};
	struct pkt full, p;
	uint32_t decapped = 0, checked_hits = 0;

	(void)state;
	add(sim, 0, 0, any, a0);
	add(sim, 1, 0, checked, a_q1);
	add(sim, 1, 1, tunnel, a_decap);
	add(sim, 1, 2, any, a_mod);
	add(sim, 2, 0, any, a_q2);
	mk_vxlan4(&full, 0x1001, 4789);
	for (uint32_t len = 0; len <= full.len; len++) {
		for (uint32_t headroom = 0; headroom <= 4; headroom += 4) {
			struct rx r;

			memcpy(p.b, full.b, len);
			p.len = len;
			rx_run_port(sim, &p, headroom, 0, &r);
			if (r.res.queue == 1)
				checked_hits++;
			if (r.res.queue == 2) {
				decapped++;
				assert_int_equal(r.pkt.len, len - 50);
			}
			if (len < 14)
				assert_int_equal(r.res.queue, 3);
			if (r.res.fate == FT_SIM_DROP)
				assert_int_equal(r.res.drop, FT_DROP_NO_HEADROOM);
			rx_free(&r);
		}
	}
	/* Only the whole packet passes packet_ok; truncated tunnels still decap. */
	assert_int_equal(checked_hits, 2);
	assert_int_equal(decapped, 2 * (full.len - (14 + 20 + 8 + 8 + 14 + 20 + 8)));

	/*
	 * Every byte flipped: no crash; a bad length, version or VXLAN flag
	 * (outer IPv4 total length, UDP length, VXLAN flags, inner IPv4
	 * version and total length, inner UDP length) never passes packet_ok.
	 */
	for (uint32_t i = 0; i < full.len; i++) {
		static const uint32_t bad[] = {16, 17, 38, 39, 42, 64, 66, 67, 88, 89};
		struct rx r;

		memcpy(&p, &full, sizeof(p));
		p.b[i] ^= 0xff;
		rx_run(sim, &p, &r);
		for (uint32_t j = 0; j < ARRAY_SIZE(bad); j++)
			if (bad[j] == i)
				assert_int_not_equal(r.res.queue, 1);
		if (i >= 92) /* payload: still a good packet */
			assert_int_equal(r.res.queue, 1);
		rx_free(&r);
	}
	ft_sim_destroy(sim);
}

/* --- Tests: the index against the linear reference ------------------------ */

static uint32_t rnd_state;

static uint32_t
rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

/* One random rule in group 1 or 2, created in both sims ('a' indexed, 'b' linear). */
static void
random_rule(struct ft_sim *a, struct ft_sim *b, struct ft_sim_flow **fa, struct ft_sim_flow **fb)
{
	struct rte_flow_item_eth eth = {0}, eth_m = {0};
	struct rte_flow_item_vlan vlan = {.hdr.vlan_tci = RTE_BE16(rnd() % 2 ? 100 : 200)};
	struct rte_flow_item_ipv4 ip = {0}, ip_last = {0};
	struct rte_flow_item_udp udp = {0};
	struct rte_flow_item_vxlan vx = {.vni = {0, 0x10, (uint8_t)(1 + rnd() % 3)}};
	struct rte_flow_item_tag tag = {.data = rnd() % 3, .index = 0};
	static const struct rte_flow_item_tag tag_low_bit = {.data = 1, .index = 0xff};
	struct rte_flow_action_set_tag set_tag = {.data = rnd() % 3, .mask = 3, .index = 0};
	struct rte_flow_action_queue q = {.index = (uint16_t)(rnd() % 4)};
	struct rte_flow_action_jump jump = {.group = 2};
	struct rte_flow_item items[8];
	struct rte_flow_action acts[8];
	uint32_t group = 1 + rnd() % 2, shape = rnd() % 7, ni = 0, na = 0, fate;
	struct rte_flow_attr attr = {.ingress = 1, .group = group, .priority = rnd() % 8};

	memset(items, 0, sizeof(items));
	memset(acts, 0, sizeof(acts));
	eth.hdr.dst_addr.addr_bytes[0] = 2;
	eth.hdr.dst_addr.addr_bytes[5] = (uint8_t)(0xa + rnd() % 4);
	memset(eth_m.hdr.dst_addr.addr_bytes, 0xff, 6);
	ip.hdr.dst_addr = rte_cpu_to_be_32(0x0a000000 + rnd() % 4);
	ip_last.hdr.dst_addr = rte_cpu_to_be_32(0x0a000001 + rnd() % 4);
	udp.hdr.dst_port = rte_cpu_to_be_16(rnd() % 2 ? 53 : 54);
	switch (shape) {
	case 0:
		items[ni++] = (struct rte_flow_item)ITEM_SM(ETH, &eth, &eth_m);
		break;
	case 1:
		eth.has_vlan = rnd() % 4 != 0;
		eth_m = (struct rte_flow_item_eth){.has_vlan = 1};
		items[ni++] = (struct rte_flow_item)ITEM_SM(ETH, &eth, &eth_m);
		if (rnd() % 2)
			items[ni++] = (struct rte_flow_item)ITEM_S(VLAN, &vlan);
		break;
	case 2:
		items[ni++] = (struct rte_flow_item)ITEM(ETH);
		items[ni] = (struct rte_flow_item)ITEM_S(IPV4, &ip);
		if (rnd() % 2 && ip_last.hdr.dst_addr > ip.hdr.dst_addr)
			items[ni].last = &ip_last;
		ni++;
		break;
	case 3:
		items[ni++] = (struct rte_flow_item)ITEM(ETH);
		items[ni++] = (struct rte_flow_item)ITEM(IPV4);
		items[ni++] = (struct rte_flow_item)ITEM_S(UDP, &udp);
		break;
	case 4:
		items[ni++] = (struct rte_flow_item)ITEM_SM(ETH, &eth, &eth_m);
		/* fall through */
	case 5:
		if (shape == 5)
			items[ni++] = (struct rte_flow_item)ITEM(ETH);
		items[ni++] = (struct rte_flow_item)ITEM(IPV4);
		items[ni++] = (struct rte_flow_item)ITEM(UDP);
		items[ni++] = (struct rte_flow_item)ITEM_S(VXLAN, &vx);
		break;
	default:
		if (rnd() % 32 == 0) /* rarely a catch-all */
			break;
		items[ni] = (struct rte_flow_item)ITEM_S(TAG, &tag);
		if (rnd() % 2)
			items[ni].mask = &tag_low_bit;
		ni++;
		break;
	}
	items[ni] = (struct rte_flow_item)END_ITEM;
	acts[na++] = (struct rte_flow_action)ACT(COUNT);
	if (group == 1 && rnd() % 2)
		acts[na++] = (struct rte_flow_action)ACT_C(SET_TAG, &set_tag);
	if (shape == 4 || shape == 5)
		acts[na++] = (struct rte_flow_action)ACT(VXLAN_DECAP);
	fate = rnd() % 3;
	if (fate == 0 && group == 1)
		acts[na++] = (struct rte_flow_action)ACT_C(JUMP, &jump);
	else if (fate == 1)
		acts[na++] = (struct rte_flow_action)ACT(DROP);
	else
		acts[na++] = (struct rte_flow_action)ACT_C(QUEUE, &q);
	acts[na] = (struct rte_flow_action)END_ACT;
	*fa = ft_sim_flow_create(a, 0, &attr, items, acts, NULL);
	*fb = ft_sim_flow_create(b, 0, &attr, items, acts, NULL);
	assert_non_null(*fa);
	assert_non_null(*fb);
}

static void
random_packet(struct pkt *p)
{
	if (rnd() % 2)
		mk_udp4(p, (int)(rnd() % 3), 0x0a000000 + rnd() % 5, rnd() % 2 ? 53 : 54);
	else
		mk_vxlan4(p, 0x1000 + rnd() % 4, 4789);
	p->b[5] = (uint8_t)(0xa + rnd() % 4);
	if (rnd() % 8 == 0)
		p->len = rnd() % (p->len + 1);
	if (rnd() % 8 == 0 && p->len > 0)
		p->b[rnd() % p->len] ^= (uint8_t)rnd();
}

#define N_RULES 300

static void
test_index_vs_linear(void **state)
{
	struct ft_sim_params pa = {0}, pb = {.linear = true};
	struct ft_sim *a = ft_sim_create(ft_nic_profile_find("cx6dx"), &pa, NULL);
	struct ft_sim *b = ft_sim_create(ft_nic_profile_find("cx6dx"), &pb, NULL);
	static struct ft_sim_flow *fa[N_RULES], *fb[N_RULES];
	const struct rte_flow_item any[] = {END_ITEM};
	const struct rte_flow_action a0[] = {ACT_C(JUMP, &jump1), END_ACT};
	uint32_t undefined = 0, misses = 0, n = 0;

	(void)state;
	rnd_state = 12345;
	assert_non_null(ft_sim_flow_create(a, 0, attr_of(a, 0, 0), any, a0, NULL));
	assert_non_null(ft_sim_flow_create(b, 0, attr_of(b, 0, 0), any, a0, NULL));
	for (uint32_t round = 0; round < 20000; round++) {
		struct pkt p;
		struct rx ra, rb;

		if (round % 64 == 0 && n < N_RULES) { /* the rule set grows slowly */
			random_rule(a, b, &fa[n], &fb[n]);
			n++;
		}
		if (round % 256 == 255 && n > 0) { /* remove one */
			uint32_t k = rnd() % n;

			assert_int_equal(ft_sim_flow_destroy(a, fa[k], NULL), 0);
			assert_int_equal(ft_sim_flow_destroy(b, fb[k], NULL), 0);
			fa[k] = fa[n - 1];
			fb[k] = fb[n - 1];
			n--;
		}
		random_packet(&p);
		rx_run(a, &p, &ra);
		rx_run(b, &p, &rb);
		assert_int_equal(ra.res.fate, rb.res.fate);
		assert_int_equal(ra.res.queue, rb.res.queue);
		assert_int_equal(ra.res.drop, rb.res.drop);
		assert_int_equal(ra.res.group, rb.res.group);
		assert_int_equal(ra.res.miss, rb.res.miss);
		assert_int_equal(ra.res.undefined, rb.res.undefined);
		assert_int_equal(ra.res.n_hits, rb.res.n_hits);
		for (uint32_t i = 1; i < ra.res.n_hits; i++) {
			uint32_t k = 0;

			while (k < n && fa[k] != ra.res.hits[i])
				k++;
			assert_true(k < n);
			assert_ptr_equal(fb[k], rb.res.hits[i]);
		}
		assert_int_equal(ra.pkt.len, rb.pkt.len);
		assert_int_equal(ra.pkt.data_off, rb.pkt.data_off);
		assert_memory_equal(ft_pkt_data(&ra.pkt), ft_pkt_data(&rb.pkt), ra.pkt.len);
		undefined += ra.res.undefined;
		misses += ra.res.miss;
		rx_free(&ra);
		rx_free(&rb);
	}
	for (uint32_t k = 0; k < n; k++) {
		uint64_t ha, ba, hb, bb;

		assert_int_equal(ft_sim_flow_query_count(a, fa[k], false, &ha, &ba, NULL), 0);
		assert_int_equal(ft_sim_flow_query_count(b, fb[k], false, &hb, &bb, NULL), 0);
		assert_int_equal(ha, hb);
		assert_int_equal(ba, bb);
	}
	/* The random rule sets do exercise ties and misses. */
	assert_true(undefined > 100);
	assert_true(undefined < 20000 - 1000);
	assert_true(misses > 100);
	ft_sim_destroy(a);
	ft_sim_destroy(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_create),
	        cmocka_unit_test(test_miss_root),
	        cmocka_unit_test(test_rx_invalid),
	        cmocka_unit_test(test_item_eth),
	        cmocka_unit_test(test_item_vlan),
	        cmocka_unit_test(test_item_ipv4_range),
	        cmocka_unit_test(test_item_ipv6_tcp),
	        cmocka_unit_test(test_item_vxlan_inner),
	        cmocka_unit_test(test_item_registers),
	        cmocka_unit_test(test_item_ports),
	        cmocka_unit_test(test_ingress_per_port),
	        cmocka_unit_test(test_item_integrity),
	        cmocka_unit_test(test_action_decap),
	        cmocka_unit_test(test_action_vxlan_encap),
	        cmocka_unit_test(test_action_raw_encap_ipv6),
	        cmocka_unit_test(test_encap_udp_src_off),
	        cmocka_unit_test(test_action_vlan),
	        cmocka_unit_test(test_action_set_mac),
	        cmocka_unit_test(test_action_fates),
	        cmocka_unit_test(test_priority),
	        cmocka_unit_test(test_counters),
	        cmocka_unit_test(test_flush),
	        cmocka_unit_test(test_refuse_attr),
	        cmocka_unit_test(test_refuse_profile),
	        cmocka_unit_test(test_refuse_actions),
	        cmocka_unit_test(test_refuse_items),
	        cmocka_unit_test(test_cx5_port_4789),
	        cmocka_unit_test(test_rules_max),
	        cmocka_unit_test(test_strict_overlap),
	        cmocka_unit_test(test_check_catch_all),
	        cmocka_unit_test(test_malformed),
	        cmocka_unit_test(test_index_vs_linear),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
