/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The differential test of the twin property (shared/DESIGN.md):
 *
 *	model(S, p) == resume(S, nic(compile(S), p))
 *
 * Two pipelines of vtep.p4 receive the same control-plane commands: A runs
 * every packet in the model alone; B is the twin (twin.h): its entries are
 * compiled into rules, the software NIC runs them in strict mode, and the
 * model resumes what the NIC hands over. Random entries (some that must
 * stay in software), random and malformed packets, and entry changes
 * interleaved with the traffic; per packet the sent packets (port and
 * bytes), the drop and its reason, and the events must be equal, and at
 * every state change and at the end the per-entry and per-cell counters
 * (B's summed over NIC and software; bursts take turns between the twin
 * and two lanes, whose NIC counts are kept apart until collected). The sim
 * must never meet a case
 * rte_flow leaves undefined, and every MARK must name a restore context.
 *
 * FT_TWIN_SEED=N replays one seed, FT_TWIN_PACKETS=N sets the packets per
 * profile. On a divergence the test prints the seed, the profile, a minimal
 * command list and packet that still diverge (the commands are removed one
 * by one while the divergence stays), both traces and the rules the packet
 * hit, then fails.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <flowtwin/ctl.h>
#include <flowtwin/drop.h>
#include <flowtwin/flow_text.h>
#include <flowtwin/p4.h>
#include <flowtwin/trace.h>
#include <flowtwin/twin.h>
#include <flowtwin/vtep.h>

#include "test_util.h"

#define BUF_LEN	  2048
#define POOL_PKTS 1024
#define CMD_MAX  160

static const uint32_t ports[] = {1, 2, 3, 4, 5};

static const char *const setup_lines[] = {
	"vtep set local-ip 10.0.0.1",
	"port add 1 uplink lladdr 02:00:00:00:01:01",
	"port add 2 access vni 100",
	"port add 3 access vni 100",
	"port add 4 access vni 200 vlan 10",
	"port add 5 access vni 300",
	"nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f",
};

/* --- Random numbers (xorshift64*) ------------------------------------------ */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint32_t
rn(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* --- One pipeline with its control plane ----------------------------------- */

static void
discard(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

/* --- The state: command log ------------------------------------------------ */

struct log {
	char (*line)[CMD_MAX];
	uint32_t n, cap;
};

static void
log_add(struct log *l, const char *line)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->line = realloc(l->line, l->cap * sizeof(*l->line));
		assert_non_null(l->line);
	}
	snprintf(l->line[l->n++], CMD_MAX, "%s", line);
}

/* --- Random commands ------------------------------------------------------- */

static const uint32_t vnis[] = {100, 200, 300, 400};

static void
rand_mac(char *buf, size_t size)
{
	/* A small set, so that packets hit entries; sometimes a fresh one. */
	if (rn(8) == 0)
		snprintf(buf, size, "02:%02x:%02x:%02x:%02x:%02x", rn(256), rn(256), rn(256),
			 rn(256), rn(256));
	else
		snprintf(buf, size, "02:00:00:00:00:%02x", 0x0a + rn(12));
}

static void
rand_vtep_ip(char *buf, size_t size)
{
	snprintf(buf, size, rn(10) ? "10.0.0.%u" : "10.9.0.%u", 2 + rn(5));
}

static void
rand_command(char *line, size_t size)
{
	char mac[32], ip[32];
	uint32_t vni = vnis[rn(4)];

	rand_mac(mac, sizeof(mac));
	rand_vtep_ip(ip, sizeof(ip));
	switch (rn(14)) {
	case 0:
	case 1:
		snprintf(line, size, "fdb add %s vni %u dst %s", mac, vni, ip);
		break;
	case 2:
	case 3:
		snprintf(line, size, "fdb add %s vni %u port %u", mac, vni, 2 + rn(4));
		break;
	case 4:
		snprintf(line, size, "fdb append 00:00:00:00:00:00 vni %u dst %s", vni, ip);
		break;
	case 5:
		snprintf(line, size, "fdb del 00:00:00:00:00:00 vni %u dst %s", vni, ip);
		break;
	case 6:
		snprintf(line, size, "fdb append %s vni %u dst %s", mac, vni, ip);
		break;
	case 7:
		snprintf(line, size, "fdb del %s vni %u", mac, vni);
		break;
	case 8:
		snprintf(line, size, "neigh add 192.168.0.%u lladdr %s vni %u", 1 + rn(6), mac, vni);
		break;
	case 9:
		snprintf(line, size, "neigh del 192.168.0.%u vni %u", 1 + rn(6), vni);
		break;
	case 10: {
		static const char *const opt[] = {
			"learning on", "learning off", "proxy on", "proxy off", "l2miss on",
			"l2miss off",  "l3miss on",    "l3miss off", "ttl inherit", "ttl 32",
			"tos inherit", "tos 0",	       "dstport 4790", "dstport 4789"};

		snprintf(line, size, "vtep set local-ip 10.0.0.1 %s", opt[rn(14)]);
		break;
	}
	case 11:
		snprintf(line, size, "port add %u access vni %u%s", 2 + rn(4), vni,
			 rn(2) ? " vlan 10" : "");
		break;
	case 12:
		snprintf(line, size, "port del %u", 2 + rn(4));
		break;
	default:
		snprintf(line, size, "nexthop %s 10.9.0.0/24 lladdr 02:00:00:00:0f:0e",
			 rn(2) ? "add" : "del");
		break;
	}
}

/* --- Random packets -------------------------------------------------------- */

struct pkt_spec {
	uint32_t port;
	uint16_t len;
	uint8_t b[BUF_LEN - FT_PKT_HEADROOM];
};

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void
put_mac(uint8_t *p, bool known)
{
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	if (!known && rn(4) == 0) {
		memcpy(p, bcast, 6);
		return;
	}
	p[0] = known || rn(6) ? 0x02 : 0x01; /* sometimes a group address */
	p[1] = p[2] = p[3] = p[4] = 0;
	p[5] = (uint8_t)(0x0a + rn(12));
	/* Rarely a fresh address: each one a source teaches grows the tables. */
	if (rn(known ? 200 : 10) == 0)
		for (int i = 1; i < 6; i++)
			p[i] = (uint8_t)rnd();
}

static void
ipv4_csum(uint8_t *ip, uint32_t hl)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (uint32_t i = 0; i < hl; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(ip + 10, (uint16_t)~s);
}

/* An inner (or access) frame at p: Ethernet, maybe a tag, ARP / IPv4 / IPv6. Returns its length. */
static uint32_t
put_frame(uint8_t *p, bool tagged)
{
	uint32_t n = 14, pay = 18 + rn(64);

	put_mac(p, false);
	put_mac(p + 6, true);
	if (tagged) {
		put16(p + 12, 0x8100);
		put16(p + 14, rn(5) ? 10 : (uint16_t)rn(4096));
		n += 4;
	}
	switch (rn(4)) {
	case 0: /* ARP request for a neighbour */
		put16(p + n - 2, 0x0806);
		put16(p + n, 1);
		put16(p + n + 2, 0x0800);
		p[n + 4] = 6;
		p[n + 5] = 4;
		put16(p + n + 6, rn(8) ? 1 : 2);
		memcpy(p + n + 8, p + 6, 6);
		put32(p + n + 14, 0xc0a80064);
		memset(p + n + 18, 0, 6);
		put32(p + n + 24, 0xc0a80000 | (1 + rn(8)));
		return n + 28;
	case 1: /* IPv6 UDP */
		put16(p + n - 2, 0x86dd);
		memset(p + n, 0, 40);
		p[n] = 0x60;
		put16(p + n + 4, (uint16_t)(8 + pay));
		p[n + 6] = 17;
		p[n + 7] = 64;
		p[n + 23] = 1;
		p[n + 39] = 2;
		n += 40;
		put16(p + n, 1000);
		put16(p + n + 2, 2000);
		put16(p + n + 4, (uint16_t)(8 + pay));
		put16(p + n + 6, 0);
		memset(p + n + 8, 0xab, pay);
		return n + 8 + pay;
	default: /* IPv4 UDP, any ECN */
		put16(p + n - 2, 0x0800);
		memset(p + n, 0, 20);
		p[n] = 0x45;
		p[n + 1] = (uint8_t)rn(4);
		put16(p + n + 2, (uint16_t)(28 + pay));
		p[n + 8] = 64;
		p[n + 9] = 17;
		put32(p + n + 12, 0xc0a80064);
		put32(p + n + 16, 0xc0a80000 | (1 + rn(8)));
		ipv4_csum(p + n, 20);
		n += 20;
		put16(p + n, 1000);
		put16(p + n + 2, 2000);
		put16(p + n + 4, (uint16_t)(8 + pay));
		put16(p + n + 6, 0);
		memset(p + n + 8, 0xcd, pay);
		return n + 8 + pay;
	}
}

static void
rand_packet(struct pkt_spec *s)
{
	uint8_t *p = s->b;
	uint32_t n;

	s->port = 1 + rn(6); /* port 6 is not configured */
	if (s->port == 1 && rn(8) == 0) {
		/* underlay ARP for the local IP (or another) */
		memset(p, 0xff, 6);
		memcpy(p + 6, "\x02\x00\x00\x00\x0f\x0f", 6);
		put16(p + 12, 0x0806);
		put16(p + 14, 1);
		put16(p + 16, 0x0800);
		p[18] = 6;
		p[19] = 4;
		put16(p + 20, 1);
		memcpy(p + 22, p + 6, 6);
		put32(p + 28, 0x0a000002);
		memset(p + 32, 0, 6);
		put32(p + 38, rn(4) ? 0x0a000001 : 0x0a000063);
		n = 42;
	} else if (s->port == 1) {
		/* VXLAN: outer Ethernet, IPv4 (maybe options), UDP, VXLAN, frame */
		uint32_t ihl = rn(10) ? 5 : 6, l3 = 14, l4, vx, in;

		memcpy(p, "\x02\x00\x00\x00\x01\x01", 6);
		if (rn(20) == 0)
			p[0] = 0x04;
		memcpy(p + 6, "\x02\x00\x00\x00\x0f\x0f", 6);
		put16(p + 12, 0x0800);
		memset(p + l3, 0, ihl * 4);
		p[l3] = (uint8_t)(0x40 | ihl);
		p[l3 + 1] = (uint8_t)rn(4);
		p[l3 + 8] = 64;
		p[l3 + 9] = rn(30) ? 17 : 6;
		put32(p + l3 + 12, rn(8) ? 0x0a000002 + rn(3) : 0x0a090002 + rn(3));
		put32(p + l3 + 16, rn(10) ? 0x0a000001 : 0x0a000063);
		if (rn(40) == 0)
			put16(p + l3 + 6, 0x2000); /* MF: a fragment */
		l4 = l3 + ihl * 4;
		put16(p + l4, (uint16_t)(49152 + rn(16384)));
		put16(p + l4 + 2, rn(10) ? 4789 : (rn(2) ? 4790 : 53));
		put16(p + l4 + 6, 0);
		vx = l4 + 8;
		memset(p + vx, 0, 8);
		p[vx] = rn(25) ? 0x08 : 0x00;
		put32(p + vx + 4, (rn(10) ? vnis[rn(4)] : rn(1 << 24)) << 8);
		in = vx + 8;
		n = in + put_frame(p + in, rn(20) == 0);
		put16(p + l3 + 2, (uint16_t)(n - l3));
		put16(p + l4 + 4, (uint16_t)(n - l4));
		ipv4_csum(p + l3, ihl * 4);
	} else {
		n = put_frame(p, s->port == 4 ? rn(6) != 0 : rn(10) == 0);
	}
	/* Malformed: truncated, a byte flipped, or padding. */
	switch (rn(12)) {
	case 0:
		n = rn(n + 1);
		break;
	case 1:
		p[rn(n)] ^= (uint8_t)(1 + rn(255));
		break;
	case 2:
		memset(p + n, 0, 8);
		n += 8;
		break;
	}
	s->len = (uint16_t)n;
}

static struct ft_pkt *
pkt_of(struct test_side *s, const struct pkt_spec *sp)
{
	struct ft_pkt *p = s->pool.alloc(s->pool.arg, BUF_LEN);

	assert_non_null(p);
	assert_int_equal(ft_pkt_init(p, p->buf, p->buf_len, FT_PKT_HEADROOM, sp->len, sp->port), 0);
	memcpy(ft_pkt_data(p), sp->b, sp->len);
	return p;
}

/* --- Comparing ------------------------------------------------------------- */

/* --- One run: a profile, a seed -------------------------------------------- */

/* A NIC: its profile, and how it may fall short of it. */
struct nic {
	const struct ft_nic_profile *prof;
	uint32_t rules_max;	/* 0: the profile's */
	uint32_t refuse_one_in; /* failure injection (sim.h) */
};

struct run {
	const struct ft_nic_profile *prof;
	struct nic nic;
	struct test_side a, b;
	struct ft_twin *twin;
	struct ft_twin_lane *lane[2]; /* bursts take turns: the twin itself, lane 0, lane 1 */
	uint64_t bursts;
	struct log log;
	uint64_t packets, nic_done, nic_sent, nic_encap, resumed, software, syncs, fallbacks;
};

/* Applies a command to both sides; both must agree. */
static void
apply(struct run *r, const char *line, bool record)
{
	struct ft_error ea = {0}, eb = {0};
	int ra, rb;

	ft_twin_counters_collect(r->twin);
	ra = ft_ctl_exec(r->a.ctl, line, discard, NULL, &ea);
	rb = ft_ctl_exec(r->b.ctl, line, discard, NULL, &eb);
	if (ra != rb)
		fail_msg("'%s': model %d (%s), twin %d (%s)", line, ra, ea.message, rb, eb.message);
	if (ra == 0 && record)
		log_add(&r->log, line);
}

static void
sync_twin(struct run *r)
{
	struct ft_error err = {0};

	r->syncs++;
	if (ft_twin_sync(r->twin, &err) != 0) {
		/* Injected failures may refuse a rule no entry can give back: all in software. */
		if (r->nic.refuse_one_in != 0 && err.code == -ENOSPC) {
			r->fallbacks++;
			return;
		}
		struct ft_offload *off = ft_twin_offload(r->twin);
		struct ft_flow_buf *b = malloc(sizeof(*b)), *o = malloc(sizeof(*o));
		char text[8192];

		assert_true(b && o);
		fprintf(stderr, "commands after the setup:\n");
		for (uint32_t i = 0; i < r->log.n; i++)
			fprintf(stderr, "  %s\n", r->log.line[i]);
		if (err.kind == FT_ERR_RULE && ft_offload_rule(off, err.index, b) == 0) {
			/* The refused rule and the rules of its group and priority. */
			for (uint32_t i = 0; i < ft_offload_n_rules(off); i++) {
				ft_offload_rule(off, i, o);
				if (o->port != b->port || o->attr.group != b->attr.group ||
				    o->attr.priority != b->attr.priority ||
				    ft_flow_testpmd(text, sizeof(text), o->port, &o->attr,
						    o->pattern, o->actions, NULL) < 0)
					continue;
				fprintf(stderr, "%s rule %u: %s", i == err.index ? "refused" : "       ",
					i, text);
			}
		}
		free(b);
		free(o);
		fail_msg("%s: sync: %s (rule %u)", r->prof->name, err.message, err.index);
	}
}

static void
run_init(struct run *r, const struct nic *nic)
{
	const struct ft_nic_profile *prof = nic->prof;
	struct ft_twin_params tp = {.profile = prof,
				    .ports = ports,
				    .n_ports = sizeof(ports) / sizeof(ports[0]),
				    .rules_max = nic->rules_max,
				    .strict = true,
				    .refuse_one_in = nic->refuse_one_in,
				    .refuse_seed = rng_state};
	struct ft_error err = {0};

	memset(r, 0, sizeof(*r));
	r->prof = prof;
	r->nic = *nic;
	test_side_init(&r->a, POOL_PKTS, BUF_LEN);
	test_side_init(&r->b, POOL_PKTS, BUF_LEN);
	r->twin = ft_twin_create(r->b.pipe, &tp, &err);
	if (r->twin == NULL)
		fail_msg("%s: %s", prof->name, err.message);
	for (int k = 0; k < 2; k++)
		if ((r->lane[k] = ft_twin_lane_create(r->twin, &err)) == NULL)
			fail_msg("%s: lane: %s", prof->name, err.message);
	for (size_t i = 0; i < sizeof(setup_lines) / sizeof(setup_lines[0]); i++)
		apply(r, setup_lines[i], false);
}

static void
run_fini(struct run *r)
{
	ft_twin_lane_destroy(r->lane[0]);
	ft_twin_destroy(r->twin); /* lane 1 with it */
	test_side_fini(&r->a);
	test_side_fini(&r->b);
	free(r->log.line);
}

/* Runs 'n' packets through both sides. Returns the index of the first that differs, or -1. */
static int
run_burst(struct run *r, const struct pkt_spec *specs, uint16_t n, const char **why,
	  bool *events)
{
	struct ft_pkt *pa[FT_BURST_MAX], *pb[FT_BURST_MAX];
	static struct ft_burst_result ra;
	static struct ft_twin_result rb;
	int bad = -1;

	for (uint16_t i = 0; i < n; i++) {
		pa[i] = pkt_of(&r->a, &specs[i]);
		pb[i] = pkt_of(&r->b, &specs[i]);
	}
	assert_true(ft_worker_run(r->a.w, pa, n, &ra) >= 0);
	/* The lanes count apart from the rules: the counters compared later add them up. */
	if (r->bursts++ % 3 == 0)
		assert_true(ft_twin_run(r->twin, r->b.w, pb, n, &rb) >= 0);
	else
		assert_true(ft_twin_lane_run(r->lane[r->bursts % 2], r->b.w, pb, n, &rb) >= 0);
	for (uint16_t i = 0; i < n; i++) {
		r->packets++;
		r->nic_done += rb.pkt[i].path == FT_TWIN_NIC;
		r->nic_sent += rb.pkt[i].path == FT_TWIN_NIC && rb.burst.drop[i] == FT_DROP_NONE;
		r->nic_encap += rb.pkt[i].encap_udp_src_off != 0;
		r->resumed += rb.pkt[i].path == FT_TWIN_RESUMED;
		r->software += rb.pkt[i].path == FT_TWIN_SOFTWARE;
		if (bad < 0 && (*why = ft_twin_diff(&ra, &rb, i)) != NULL)
			bad = i;
	}
	/* The control planes hear the same events. */
	*events = ra.n_events > 0;
	for (uint32_t k = 0; k < ra.n_events; k++)
		ft_vtep_dispatch(r->a.vtep, &ra.events[k]);
	for (uint32_t k = 0; k < rb.burst.n_events; k++)
		ft_vtep_dispatch(r->b.vtep, &rb.burst.events[k]);
	for (uint32_t k = 0; k < ra.n_tx; k++)
		r->a.pool.free(r->a.pool.arg, ra.tx[k].pkt);
	for (uint32_t k = 0; k < rb.burst.n_tx; k++)
		r->b.pool.free(r->b.pool.arg, rb.burst.tx[k].pkt);
	for (uint16_t i = 0; i < n; i++) {
		if (!ra.used[i])
			r->a.pool.free(r->a.pool.arg, pa[i]);
		if (!rb.burst.used[i])
			r->b.pool.free(r->b.pool.arg, pb[i]);
	}
	return bad;
}

/* Learning and events: both control planes poll; the twin follows a changed state. */
static void
poll_both(struct run *r, bool events)
{
	struct ft_error ea = {0}, eb = {0};
	int na, nb;

	ft_twin_counters_collect(r->twin);
	na = ft_ctl_poll(r->a.ctl, discard, NULL, &ea);
	nb = ft_ctl_poll(r->b.ctl, discard, NULL, &eb);
	if (na != nb)
		fail_msg("%s: poll: model %d, twin %d", r->prof->name, na, nb);
	if (na > 0 || events)
		sync_twin(r);
}

/* --- Reproduction ---------------------------------------------------------- */

static void
hex(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		fprintf(stderr, "%02x", p[i]);
	fprintf(stderr, "\n");
}

/* Whether the state made of log lines 'keep' and packet 's' still diverge. */
static bool
still_differs(const struct nic *nic, const struct log *l, const bool *keep,
	      const struct pkt_spec *s)
{
	struct run r;
	const char *why;
	bool bad, events;

	run_init(&r, nic);
	for (uint32_t i = 0; i < l->n; i++)
		if (keep[i])
			apply(&r, l->line[i], false);
	sync_twin(&r);
	bad = run_burst(&r, s, 1, &why, &events) >= 0;
	run_fini(&r);
	return bad;
}

static void
show(struct run *r, const struct pkt_spec *s)
{
	struct ft_trace *tr = ft_trace_create();
	struct ft_pkt *pa = pkt_of(&r->a, s), *pb = pkt_of(&r->b, s);
	static struct ft_burst_result ra;
	static struct ft_twin_result rb;
	struct ft_pkt *pbs[1] = {pb};
	struct ft_flow_buf *buf = malloc(sizeof(*buf));
	char *text, rule[8192];

	ft_worker_trace(r->a.w, pa, tr, &ra);
	text = ft_trace_text(tr, r->a.pipe);
	fprintf(stderr, "--- model alone: drop %s\n%s", ft_drop_name(ra.drop[0]), text);
	free(text);
	ft_twin_run(r->twin, r->b.w, pbs, 1, &rb);
	fprintf(stderr, "--- twin: drop %s, path %s\n", ft_drop_name(rb.burst.drop[0]),
		rb.pkt[0].path == FT_TWIN_NIC	    ? "NIC"
		: rb.pkt[0].path == FT_TWIN_RESUMED ? "resumed"
						    : "software");
	for (uint32_t k = 0; k < rb.pkt[0].n_hits; k++) {
		struct ft_error fe;

		if (rb.pkt[0].hits[k] == UINT32_MAX ||
		    ft_offload_rule(ft_twin_offload(r->twin), rb.pkt[0].hits[k], buf) != 0 ||
		    ft_flow_testpmd(rule, sizeof(rule), buf->port, &buf->attr, buf->pattern,
				    buf->actions, &fe) < 0)
			continue;
		fprintf(stderr, "rule %u: %s", rb.pkt[0].hits[k], rule);
	}
	if (rb.pkt[0].path == FT_TWIN_RESUMED) {
		const struct ft_restore *rs =
			ft_offload_restore(ft_twin_offload(r->twin), rb.pkt[0].mark);
		struct ft_pkt *pc = pkt_of(&r->b, s);

		ft_trace_reset(tr);
		ft_worker_trace_resume(r->b.w, pc, &rs->resume, tr, &ra);
		text = ft_trace_text(tr, r->b.pipe);
		fprintf(stderr, "--- resumed at node %u after %u steps (%s)\n%s", rs->resume.node,
			rs->resume.n_steps, rs->reason ? rs->reason : "", text);
		free(text);
		for (uint32_t k = 0; k < ra.n_tx; k++)
			r->b.pool.free(r->b.pool.arg, ra.tx[k].pkt);
		if (!ra.used[0])
			r->b.pool.free(r->b.pool.arg, pc);
	}
	free(buf);
	ft_trace_destroy(tr);
	(void)pa;
	(void)pb;
}

/* Shrinks the state to the commands the divergence needs, prints it all, fails. */
static void
report(struct run *r, uint64_t seed, const struct pkt_spec *s, const char *why)
{
	bool *keep = calloc(r->log.n + 1, sizeof(*keep));
	struct run m;

	assert_non_null(keep);
	for (uint32_t i = 0; i < r->log.n; i++)
		keep[i] = true;
	if (still_differs(&r->nic, &r->log, keep, s))
		for (uint32_t i = r->log.n; i-- > 0;) {
			keep[i] = false;
			if (!still_differs(&r->nic, &r->log, keep, s))
				keep[i] = true;
		}
	fprintf(stderr, "twin property broken: %s\nseed %lu (FT_TWIN_SEED=%lu), profile %s\n",
		why, (unsigned long)seed, (unsigned long)seed, r->prof->name);
	fprintf(stderr, "commands after the setup:\n");
	run_init(&m, &r->nic);
	for (uint32_t i = 0; i < r->log.n; i++)
		if (keep[i]) {
			fprintf(stderr, "  %s\n", r->log.line[i]);
			apply(&m, r->log.line[i], false);
		}
	sync_twin(&m);
	fprintf(stderr, "packet on port %u: ", s->port);
	hex(s->b, s->len);
	show(&m, s);
	free(keep);
	fail_msg("twin property broken (seed %lu, profile %s): %s", (unsigned long)seed,
		 r->prof->name, why);
}

/* Returns how many packets the NIC encapsulated. */
static uint64_t
run_profile(const struct nic *nic, uint64_t seed, uint64_t n_packets)
{
	static struct pkt_spec specs[FT_BURST_MAX];
	struct run r;
	char why[256];

	rng_state = seed * 0x9e3779b97f4a7c15ULL + 1;
	const struct ft_nic_profile *prof = nic->prof;

	run_init(&r, nic);
	for (uint32_t i = 0; i < 6; i++) {
		char line[CMD_MAX];

		rand_command(line, sizeof(line));
		apply(&r, line, true);
	}
	sync_twin(&r);
	while (r.packets < n_packets) {
		uint16_t n = (uint16_t)(1 + rn(FT_BURST_MAX));
		const char *what;
		bool events;
		int bad;

		if (rn(6) == 0) {
			/* A state change: counters checked first, then one to four commands. */
			if (ft_twin_counters_diff(r.twin, r.a.pipe, why, sizeof(why)))
				fail_msg("seed %lu, profile %s: %s", (unsigned long)seed, prof->name,
					 why);
			for (uint32_t k = 1 + rn(4); k > 0; k--) {
				char line[CMD_MAX];

				rand_command(line, sizeof(line));
				apply(&r, line, true);
			}
			sync_twin(&r);
		}
		for (uint16_t i = 0; i < n; i++)
			rand_packet(&specs[i]);
		bad = run_burst(&r, specs, n, &what, &events);
		if (bad >= 0)
			report(&r, seed, &specs[bad], what);
		poll_both(&r, events);
	}
	if (ft_twin_counters_diff(r.twin, r.a.pipe, why, sizeof(why)))
		fail_msg("seed %lu, profile %s: %s", (unsigned long)seed, prof->name, why);
	print_message("%-6s seed %lu%s: %lu packets, NIC finished %lu (sent %lu, encapsulated "
		      "%lu), resumed %lu, software %lu; %lu commands, %lu syncs (%lu all-software), "
		      "%u rules\n",
		      prof->name, (unsigned long)seed,
		      nic->rules_max ? " (small NIC)" : nic->refuse_one_in ? " (failing NIC)" : "",
		      (unsigned long)r.packets, (unsigned long)r.nic_done, (unsigned long)r.nic_sent,
		      (unsigned long)r.nic_encap,
		      (unsigned long)r.resumed, (unsigned long)r.software, (unsigned long)r.log.n,
		      (unsigned long)r.syncs, (unsigned long)r.fallbacks, ft_twin_n_rules(r.twin));
	run_fini(&r);
	return r.nic_encap;
}

static void
test_vtep_random(void **state)
{
	const struct ft_nic_profile *const *profs;
	const char *env = getenv("FT_TWIN_SEED");
	uint64_t seed = env ? strtoull(env, NULL, 0) : 1;
	uint64_t n = getenv("FT_TWIN_PACKETS") ? strtoull(getenv("FT_TWIN_PACKETS"), NULL, 0)
					       : 20000;
	uint32_t n_prof;
	uint64_t encap = 0;

	(void)state;
	profs = ft_nic_profiles(&n_prof);
	for (uint32_t p = 0; p < n_prof; p++)
		encap += run_profile(&(struct nic){.prof = profs[p]}, seed + p, n);
	/* A NIC too small for the entries, and one that refuses rules at random. */
	encap += run_profile(&(struct nic){.prof = ft_nic_profile_find("sim"), .rules_max = 300},
			     seed + n_prof, n / 2);
	encap += run_profile(&(struct nic){.prof = ft_nic_profile_find("bf2"),
					   .refuse_one_in = 400},
			     seed + n_prof + 1, n / 2);
	/* Runs of a few thousand packets meet the NIC's encapsulation (hundreds at 20,000). */
	if (n >= 5000)
		assert_true(encap > 0);
}

/* --- Make-before-break ------------------------------------------------------ */

/*
 * One entry change at a time, on a twin whose NIC runs a fixed set of
 * packets after every rule it installs or removes during the sync: each
 * packet must meet the old state or the new one, never a mix or a gap; and
 * the sync changes only the rules the entry needs.
 */
struct mbb {
	struct test_side old, now; /* the model before and after the change */
	struct run *r;	      /* r->b: the twin's pipeline, already changed */
	struct pkt_spec *pkts;
	uint32_t n_pkts, steps, checks;
	const char *change;
};

static void
mbb_step(void *arg)
{
	struct mbb *m = arg;

	m->steps++;
	for (uint32_t i = 0; i < m->n_pkts; i++) {
		struct ft_pkt *po = pkt_of(&m->old, &m->pkts[i]), *pn = pkt_of(&m->now, &m->pkts[i]);
		struct ft_pkt *pb = pkt_of(&m->r->b, &m->pkts[i]);
		static struct ft_burst_result ro, rn;
		static struct ft_twin_result rb;

		assert_true(ft_worker_run(m->old.w, &po, 1, &ro) >= 0);
		assert_true(ft_worker_run(m->now.w, &pn, 1, &rn) >= 0);
		assert_true(ft_twin_run(m->r->twin, m->r->b.w, &pb, 1, &rb) >= 0);
		if (ft_twin_diff(&ro, &rb, 0) != NULL && ft_twin_diff(&rn, &rb, 0) != NULL) {
			fprintf(stderr, "after '%s', step %u: packet on port %u meets neither state "
					"(vs old: %s; vs new: %s; drops: old %s/%u, new %s/%u, twin "
					"%s/%u, path %d, hits %u): ",
				m->change, m->steps, m->pkts[i].port, ft_twin_diff(&ro, &rb, 0),
				ft_twin_diff(&rn, &rb, 0), ft_drop_name(ro.drop[0]), ro.drop_action[0],
				ft_drop_name(rn.drop[0]), rn.drop_action[0],
				ft_drop_name(rb.burst.drop[0]), rb.burst.drop_action[0],
				(int)rb.pkt[0].path, rb.pkt[0].n_hits);
			hex(m->pkts[i].b, m->pkts[i].len);
			fail();
		}
		m->checks++;
		for (uint32_t k = 0; k < ro.n_tx; k++)
			m->old.pool.free(m->old.pool.arg, ro.tx[k].pkt);
		if (!ro.used[0])
			m->old.pool.free(m->old.pool.arg, po);
		for (uint32_t k = 0; k < rn.n_tx; k++)
			m->now.pool.free(m->now.pool.arg, rn.tx[k].pkt);
		if (!rn.used[0])
			m->now.pool.free(m->now.pool.arg, pn);
		for (uint32_t k = 0; k < rb.burst.n_tx; k++)
			m->r->b.pool.free(m->r->b.pool.arg, rb.burst.tx[k].pkt);
		if (!rb.burst.used[0])
			m->r->b.pool.free(m->r->b.pool.arg, pb);
	}
}

static void
test_make_before_break(void **state)
{
	static const char *const base[] = {
		"vtep set local-ip 10.0.0.1 learning off",
		"fdb add 02:00:00:00:00:0a vni 100 port 2",
		"fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2",
		"fdb add 02:00:00:00:00:0c vni 200 port 4",
		"fdb add 02:00:00:00:00:0e vni 100 port 3",
	};
	static const char *const changes[] = {
		"fdb add 02:00:00:00:00:0d vni 100 port 3",
		"fdb del 02:00:00:00:00:0a vni 100",
		"fdb add 02:00:00:00:00:0a vni 100 port 3",
		"fdb add 02:00:00:00:00:0f vni 200 port 4",
		"fdb del 02:00:00:00:00:0e vni 100",
		"fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3",
		"neigh add 192.168.0.3 lladdr 02:00:00:00:00:0a vni 100",
		"vtep set local-ip 10.0.0.1 proxy on",
		"fdb del 02:00:00:00:00:0c vni 200",
	};
	static struct pkt_spec pkts[300];
	const char *profiles[] = {"sim", "bf2", "cx6dx"};
	uint32_t added_one = 0;

	(void)state;
	for (uint32_t p = 0; p < 3; p++) {
		struct nic nic = {.prof = ft_nic_profile_find(profiles[p])};
		struct mbb m = {.pkts = pkts, .n_pkts = 300};
		struct run r;

		rng_state = 77 + p;
		for (uint32_t i = 0; i < m.n_pkts; i++)
			rand_packet(&pkts[i]);
		run_init(&r, &nic);
		m.r = &r;
		test_side_init(&m.old, POOL_PKTS, BUF_LEN);
		test_side_init(&m.now, POOL_PKTS, BUF_LEN);
		for (size_t i = 0; i < sizeof(setup_lines) / sizeof(setup_lines[0]); i++) {
			ft_ctl_exec(m.old.ctl, setup_lines[i], discard, NULL, NULL);
			ft_ctl_exec(m.now.ctl, setup_lines[i], discard, NULL, NULL);
		}
		for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
			apply(&r, base[i], false);
			assert_int_equal(ft_ctl_exec(m.old.ctl, base[i], discard, NULL, NULL), 0);
			assert_int_equal(ft_ctl_exec(m.now.ctl, base[i], discard, NULL, NULL), 0);
		}
		sync_twin(&r);
		ft_twin_destroy(r.twin); /* its lanes with it */
		r.lane[0] = r.lane[1] = NULL;
		{
			struct ft_twin_params tp = {.profile = nic.prof, .ports = ports,
						    .n_ports = sizeof(ports) / sizeof(ports[0]),
						    .strict = true, .on_step = mbb_step,
						    .step_arg = &m};
			struct ft_error err = {0};

			r.twin = ft_twin_create(r.b.pipe, &tp, &err);
			assert_non_null(r.twin);
			/* The first sync installs everything: nothing to compare yet. */
			m.n_pkts = 0;
			sync_twin(&r);
			m.n_pkts = 300;
		}
		for (size_t c = 0; c < sizeof(changes) / sizeof(changes[0]); c++) {
			struct ft_twin_sync_stats st;
			uint32_t before = ft_twin_n_rules(r.twin);

			m.change = changes[c];
			apply(&r, changes[c], false);
			assert_int_equal(ft_ctl_exec(m.now.ctl, changes[c], discard, NULL, NULL), 0);
			sync_twin(&r);
			ft_twin_last_sync(r.twin, &st);
			assert_int_equal(st.kept + st.added, ft_twin_n_rules(r.twin));
			assert_int_equal(st.kept + st.removed, before);
			/* A new local MAC: rules added in the FDB's groups only, none removed. */
			if (c == 0) {
				assert_int_equal(st.removed, 0);
				assert_true(st.added > 0 && st.added * 10 < st.kept);
				added_one = st.added;
			}
			assert_int_equal(ft_ctl_exec(m.old.ctl, changes[c], discard, NULL, NULL), 0);
		}
		print_message("%-6s make-before-break: %zu changes, %u steps, %u packets checked; "
			      "a new FDB entry: %u rules added\n",
			      profiles[p], sizeof(changes) / sizeof(changes[0]), m.steps, m.checks,
			      added_one);
		assert_true(m.checks > 0);
		test_side_fini(&m.old);
		test_side_fini(&m.now);
		run_fini(&r);
	}
}

/* --- Lanes on threads -------------------------------------------------------- */

/*
 * The dataplane's way: one twin, two lanes each on its thread with its own
 * model worker, and the counters collected over and over while they run.
 * The model alone ran the same packets: the entries' and cells' counters
 * must be equal (the NIC's counts read half-way are credited at the next
 * collect, none twice, none lost).
 */
struct lane_thread {
	pthread_t th;
	struct ft_twin_lane *lane;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	const struct pkt_spec *specs;
	uint32_t n, first, step;
	bool failed;
};

static atomic_uint lanes_done;
static atomic_uint collects_done; /* by the main thread while the lanes run */

static void *
lane_main(void *arg)
{
	struct lane_thread *lt = arg;
	static _Thread_local struct ft_twin_result res;

	for (uint32_t i = lt->first; i < lt->n && !lt->failed;) {
		struct ft_pkt *p[16];
		uint16_t m = 0;

		/* Half way, wait for two collects: they must meet the lanes running. */
		while (i >= lt->n / 2 && atomic_load(&collects_done) < 2)
			sched_yield();

		for (; i < lt->n && m < 16; i += lt->step) {
			const struct pkt_spec *sp = &lt->specs[i];

			p[m] = lt->pool.alloc(lt->pool.arg, BUF_LEN);
			if (p[m] == NULL || ft_pkt_init(p[m], p[m]->buf, p[m]->buf_len, FT_PKT_HEADROOM,
							sp->len, sp->port) != 0) {
				lt->failed = true;
				break;
			}
			memcpy(ft_pkt_data(p[m]), sp->b, sp->len);
			m++;
		}
		if (!lt->failed && ft_twin_lane_run(lt->lane, lt->w, p, m, &res) < 0)
			lt->failed = true;
		for (uint32_t k = 0; !lt->failed && k < res.burst.n_tx; k++)
			lt->pool.free(lt->pool.arg, res.burst.tx[k].pkt);
		for (uint16_t k = 0; k < m; k++)
			if (lt->failed || !res.burst.used[k])
				lt->pool.free(lt->pool.arg, p[k]);
	}
	atomic_fetch_add(&lanes_done, 1);
	return NULL;
}

static void
test_lanes_threads(void **state)
{
	enum { N = 6000 };
	static struct pkt_spec specs[N];
	static struct ft_burst_result ra;
	struct lane_thread lt[2];
	struct ft_error err = {0};
	uint64_t collects = 0;
	struct run r;
	char why[256];

	(void)state;
	rng_state = 4242;
	run_init(&r, &(struct nic){.prof = ft_nic_profile_find("sim")});
	for (uint32_t i = 0; i < 12; i++) {
		char line[CMD_MAX];

		rand_command(line, sizeof(line));
		apply(&r, line, false);
	}
	sync_twin(&r);
	assert_true(ft_twin_n_rules(r.twin) > 0);
	for (uint32_t i = 0; i < N; i++)
		rand_packet(&specs[i]);
	/* The model alone. */
	for (uint32_t i = 0; i < N; i += 16) {
		struct ft_pkt *pa[16];
		uint16_t m = (uint16_t)(N - i < 16 ? N - i : 16);

		for (uint16_t k = 0; k < m; k++)
			pa[k] = pkt_of(&r.a, &specs[i + k]);
		assert_true(ft_worker_run(r.a.w, pa, m, &ra) >= 0);
		for (uint32_t k = 0; k < ra.n_tx; k++)
			r.a.pool.free(r.a.pool.arg, ra.tx[k].pkt);
		for (uint16_t k = 0; k < m; k++)
			if (!ra.used[k])
				r.a.pool.free(r.a.pool.arg, pa[k]);
	}
	/* The twin: the even packets on lane 0, the odd ones on lane 1. */
	atomic_store(&lanes_done, 0);
	atomic_store(&collects_done, 0);
	for (uint32_t k = 0; k < 2; k++) {
		lt[k] = (struct lane_thread){
			.lane = r.lane[k], .specs = specs, .n = N, .first = k, .step = 2};
		lt[k].sp = ft_pkt_pool_simple_create(POOL_PKTS, BUF_LEN, &lt[k].pool);
		assert_non_null(lt[k].sp);
		lt[k].w = ft_worker_create(r.b.pipe, &lt[k].pool, &err);
		assert_non_null(lt[k].w);
		assert_int_equal(pthread_create(&lt[k].th, NULL, lane_main, &lt[k]), 0);
	}
	while (atomic_load(&lanes_done) < 2) {
		ft_twin_counters_collect(r.twin);
		atomic_store(&collects_done, (unsigned)++collects);
	}
	for (uint32_t k = 0; k < 2; k++) {
		pthread_join(lt[k].th, NULL);
		assert_false(lt[k].failed);
		ft_worker_destroy(lt[k].w);
		assert_int_equal(ft_pkt_pool_simple_avail(lt[k].sp), POOL_PKTS);
		ft_pkt_pool_simple_destroy(lt[k].sp);
	}
	if (ft_twin_counters_diff(r.twin, r.a.pipe, why, sizeof(why)))
		fail_msg("lanes on threads: %s", why);
	print_message("sim    2 lanes on threads: %u packets, %u rules, %lu collects meanwhile\n",
		      N, ft_twin_n_rules(r.twin), (unsigned long)collects);
	assert_true(collects > 1);
	run_fini(&r);
}

/* --- The NIC's UDP source port ----------------------------------------------- */

static void
differs(const struct ft_burst_result *model, const struct ft_twin_result *twin, const char *why)
{
	const char *d = ft_twin_diff(model, twin, 0);

	assert_non_null(d);
	assert_string_equal(d, why);
}

/*
 * ft_twin_diff() masks the outer UDP source port the NIC computed for an
 * encap, and only it: the twin's sim computes it with a hash of its own, so
 * the packet the NIC sends differs from the model's there, and is equal;
 * a byte before or after it, the length, the output port, no offset, or a
 * port of 0 from the NIC still differ.
 */
static void
test_diff_encap_udp_src(void **state)
{
	static struct ft_burst_result ra;
	static struct ft_twin_result rb;
	static const uint8_t frame[60] = {2, 0, 0, 0, 0, 0xd, 2, 0, 0, 0, 0, 0xc, 0x08, 0x00,
					  0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1,
					  10, 0, 0, 2, 0x03, 0xe8, 0x07, 0xd0, 0, 26};
	uint8_t hdr[50] = {2, 0, 0, 0, 0, 0xf, 2, 0, 0, 0, 0, 0xe, 0x08, 0x00}; /* IPv4, port 0 */
	const struct rte_flow_attr a0 = {.transfer = 1}, a1 = {.group = 1, .transfer = 1};
	const struct rte_flow_action_jump jump = {.group = 1};
	const struct rte_flow_action_raw_encap enc = {.data = hdr, .size = sizeof(hdr)};
	const struct rte_flow_action_port_id out = {.id = 2};
	const struct rte_flow_action_queue queue = {.index = 0};
	const struct rte_flow_item any[] = {{.type = RTE_FLOW_ITEM_TYPE_END}};
	const struct rte_flow_action root[] = {{.type = RTE_FLOW_ACTION_TYPE_JUMP, .conf = &jump},
					       {.type = RTE_FLOW_ACTION_TYPE_END}};
	const struct rte_flow_action act[] = {
		{.type = RTE_FLOW_ACTION_TYPE_RAW_ENCAP, .conf = &enc},
		{.type = RTE_FLOW_ACTION_TYPE_PORT_ID, .conf = &out},
		{.type = RTE_FLOW_ACTION_TYPE_END}};
	const struct rte_flow_action to_sw[] = {
		{.type = RTE_FLOW_ACTION_TYPE_RAW_ENCAP, .conf = &enc},
		{.type = RTE_FLOW_ACTION_TYPE_QUEUE, .conf = &queue},
		{.type = RTE_FLOW_ACTION_TYPE_END}};
	struct ft_twin_params tp = {.profile = ft_nic_profile_find("sim"),
				    .ports = ports,
				    .n_ports = sizeof(ports) / sizeof(ports[0])};
	uint8_t mbuf[FT_PKT_HEADROOM + 128], *x, *y;
	struct ft_error err = {0};
	struct test_side s;
	struct ft_twin *twin;
	struct ft_pkt *p, m;
	uint32_t off, sport;

	(void)state;
	test_side_init(&s, 4, BUF_LEN);
	twin = ft_twin_create(s.pipe, &tp, &err);
	assert_non_null(twin);
	assert_non_null(ft_sim_flow_create(ft_twin_sim(twin), 0, &a0, any, root, NULL));
	assert_non_null(ft_sim_flow_create(ft_twin_sim(twin), 0, &a1, any, act, NULL));
	p = s.pool.alloc(s.pool.arg, BUF_LEN);
	assert_non_null(p);
	assert_int_equal(ft_pkt_init(p, p->buf, p->buf_len, FT_PKT_HEADROOM, sizeof(frame), 1), 0);
	memcpy(ft_pkt_data(p), frame, sizeof(frame));
	assert_int_equal(ft_twin_run(twin, s.w, &p, 1, &rb), 1);
	assert_int_equal(rb.pkt[0].path, FT_TWIN_NIC);
	assert_ptr_equal(rb.burst.tx[0].pkt, p);
	assert_int_equal(p->len, sizeof(hdr) + sizeof(frame));
	off = rb.pkt[0].encap_udp_src_off;
	assert_int_equal(off, 14 + 20);
	y = ft_pkt_data(p);
	sport = (uint32_t)y[off] << 8 | y[off + 1];
	assert_in_range(sport, 49152, 65535);

	/* The model's packet: the same but for its own port there. */
	assert_int_equal(ft_pkt_init(&m, mbuf, sizeof(mbuf), FT_PKT_HEADROOM, p->len, 1), 0);
	x = ft_pkt_data(&m);
	memcpy(x, y, p->len);
	x[off] ^= 0x20;
	x[off + 1] ^= 0x01;
	ra.n_tx = 1;
	ra.tx[0] = (struct ft_tx){.pkt = &m, .port = 2, .src = 0};
	ra.drop[0] = FT_DROP_NONE;
	assert_null(ft_twin_diff(&ra, &rb, 0));

	x[off - 1] ^= 1; /* the byte before: the outer IPv4 destination */
	differs(&ra, &rb, "packets sent differ");
	x[off - 1] ^= 1;
	x[off + 2] ^= 1; /* the byte after: the UDP destination port */
	differs(&ra, &rb, "packets sent differ");
	x[off + 2] ^= 1;
	m.len--; /* one byte shorter, or longer with the byte the NIC's buffer has next */
	differs(&ra, &rb, "packets sent differ");
	m.len += 2;
	x[p->len] = y[p->len];
	differs(&ra, &rb, "packets sent differ");
	m.len--;
	ra.tx[0].port = 3;
	differs(&ra, &rb, "output ports differ");
	ra.tx[0].port = 2;
	rb.pkt[0].encap_udp_src_off = 0; /* no port of the NIC's: nothing masked */
	differs(&ra, &rb, "packets sent differ");
	rb.pkt[0].encap_udp_src_off = (uint16_t)off;
	y[off] = y[off + 1] = 0;
	differs(&ra, &rb, "the NIC sent UDP source port 0");
	y[off] = (uint8_t)(sport >> 8);
	y[off + 1] = (uint8_t)sport;
	assert_null(ft_twin_diff(&ra, &rb, 0));
	s.pool.free(s.pool.arg, p);

	/* Encapsulated, then to software unmarked: the NIC did not send it. */
	assert_int_equal(ft_sim_flow_flush(ft_twin_sim(twin), 0, NULL), 0);
	assert_non_null(ft_sim_flow_create(ft_twin_sim(twin), 0, &a0, any, root, NULL));
	assert_non_null(ft_sim_flow_create(ft_twin_sim(twin), 0, &a1, any, to_sw, NULL));
	p = s.pool.alloc(s.pool.arg, BUF_LEN);
	assert_non_null(p);
	assert_int_equal(ft_pkt_init(p, p->buf, p->buf_len, FT_PKT_HEADROOM, sizeof(frame), 1), 0);
	memcpy(ft_pkt_data(p), frame, sizeof(frame));
	assert_int_equal(ft_twin_run(twin, s.w, &p, 1, &rb), 0); /* the model drops it */
	assert_int_equal(rb.pkt[0].path, FT_TWIN_SOFTWARE);
	assert_int_equal(p->len, sizeof(hdr) + sizeof(frame));
	assert_int_equal(rb.pkt[0].encap_udp_src_off, 0);
	s.pool.free(s.pool.arg, p);

	ft_twin_destroy(twin);
	test_side_fini(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_before_break),
		cmocka_unit_test(test_vtep_random),
		cmocka_unit_test(test_lanes_threads),
		cmocka_unit_test(test_diff_encap_udp_src),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
