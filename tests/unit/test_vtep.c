/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the VTEP vocabulary (model/vtep.c, include/flowtwin/vtep.h)
 * and of the control API's poll and event text (model/ctl.c).
 *
 * Each test loads p4/vtep.p4 through the front end into a pipeline with a
 * fake clock, attaches the vocabulary, runs commands and checks the tables
 * (ft_pipeline_entry_read, _default_read, _group_read), the show commands'
 * text, and real packets through a worker: flooding to the flood list,
 * unicast to one VTEP, the ARP proxy, l2miss/l3miss events, learning and
 * ageing. Every rejected command is checked for its error text and for
 * leaving every table as it was.
 *
 * The source tree: $FT_SOURCE_ROOT or $MESON_SOURCE_ROOT if set, else the
 * directory this file was compiled from, else "..", "../.." and ".".
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtwin/ctl.h>
#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/vtep.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char root[4096];
static uint64_t now_ms;

static uint64_t
fake_clock(void *arg)
{
	(void)arg;
	return now_ms;
}

/* The source tree (meson sets FT_SOURCE_ROOT for the unit tests). */
static int
find_root(void **state)
{
	const char *r = getenv("FT_SOURCE_ROOT");

	(void)state;
	snprintf(root, sizeof(root), "%s", r != NULL && r[0] != '\0' ? r : ".");
	return 0;
}

/* --- Fixture --------------------------------------------------------------------- */

#define OUT_MAX 64

struct txpkt {
	uint32_t port;
	uint32_t len;
	uint8_t b[512];
};

struct fx {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	struct ft_burst_result res;
	struct txpkt tx[16];
	uint32_t n_tx;
	char out[OUT_MAX][256]; /* lines written by commands and poll */
	uint32_t n_out;
	struct ft_vtep_event evs[16];
	uint32_t n_evs;
	struct ft_error err;
};

static void
collect(void *arg, const char *line)
{
	struct fx *f = arg;

	if (f->n_out < OUT_MAX)
		snprintf(f->out[f->n_out++], sizeof(f->out[0]), "%s", line);
}

static void
on_event(void *arg, const struct ft_vtep_event *ev)
{
	struct fx *f = arg;

	if (f->n_evs < ARRAY_SIZE(f->evs))
		f->evs[f->n_evs++] = *ev;
}

static struct ft_program *
load(const char *name)
{
	struct ft_error err = {0};
	struct ft_program *prog;
	char path[4200];

	snprintf(path, sizeof(path), "%s/p4/%s", root, name);
	prog = ft_p4_load(path, NULL, &err);
	if (prog == NULL)
		fail_msg("%s: %s", path, err.message);
	return prog;
}

/* A pipeline of vtep.p4; the vocabulary attached when 'attach'. */
static struct fx *
fx_create(bool attach)
{
	struct ft_pipeline_params params = {.clock = fake_clock};
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	now_ms = 1000;
	f->pipe = ft_pipeline_create(load("vtep.p4"), &params, &f->err);
	if (f->pipe == NULL)
		fail_msg("pipeline: %s", f->err.message);
	f->ctl = ft_ctl_create(f->pipe);
	assert_non_null(f->ctl);
	if (attach) {
		assert_int_equal(ft_vtep_attach(f->ctl, &f->vtep, &f->err), 0);
		ft_vtep_set_event_cb(f->vtep, on_event, f);
	}
	f->sp = ft_pkt_pool_simple_create(64, 2048, &f->pool);
	assert_non_null(f->sp);
	f->w = ft_worker_create(f->pipe, &f->pool, &f->err);
	assert_non_null(f->w);
	return f;
}

static void
fx_destroy(struct fx *f)
{
	ft_worker_destroy(f->w);
	ft_pkt_pool_simple_destroy(f->sp);
	ft_ctl_destroy(f->ctl);
	ft_vtep_destroy(f->vtep);
	ft_pipeline_destroy(f->pipe);
	free(f);
}

/* Runs a command that must succeed; its output lines replace f->out. */
static void
ok(struct fx *f, const char *line)
{
	f->n_out = 0;
	ft_error_clear(&f->err);
	if (ft_ctl_exec(f->ctl, line, collect, f, &f->err) != 0)
		fail_msg("'%s': %s", line, f->err.message);
}

/* Every VTEP table's dump and every group's members, as one text. */
static char *
fingerprint(struct fx *f)
{
	static const char *const tables[] = {
	        "vtep_config", "port_class", "vni_term",      "vtep_known",
	        "mac_learn",   "arp_proxy",  "fdb",           "bum_group",
	        "remote_vtep", "nexthop",    "port_vlan_out",
	};
	size_t cap = 1 << 16, len = 0;
	char *s = calloc(1, cap);
	char cmd[64];

	assert_non_null(s);
	for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
		snprintf(cmd, sizeof(cmd), "table_dump %s", tables[t]);
		ok(f, cmd);
		for (uint32_t i = 0; i < f->n_out; i++)
			len += (size_t)snprintf(s + len, cap - len, "%s\n", f->out[i]);
	}
	for (uint32_t g = 0; g < 64; g++) {
		struct ft_group_member m[16];
		int n = ft_pipeline_group_read(f->pipe, g, m, 16);

		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(s + len, cap - len, "g%u %u:%u\n", g, m[i].port,
			                        m[i].rid);
	}
	const char *shows[] = {"fdb show", "neigh show", "vtep show", "nexthop show"};
	for (size_t i = 0; i < ARRAY_SIZE(shows); i++) {
		ok(f, shows[i]);
		for (uint32_t k = 0; k < f->n_out; k++)
			len += (size_t)snprintf(s + len, cap - len, "%s\n", f->out[k]);
	}
	return s;
}

/* Runs a command that must fail with 'code', an error on 'object', 'text' in its message. */
static void
rejected(struct fx *f, const char *line, int code, const char *object, const char *text)
{
	char *before = fingerprint(f), *after;
	int rc;

	ft_error_clear(&f->err);
	rc = ft_ctl_exec(f->ctl, line, collect, f, &f->err);
	if (rc != code)
		fail_msg("'%s': returned %d, not %d (%s)", line, rc, code, f->err.message);
	if (object != NULL && strcmp(f->err.object, object) != 0)
		fail_msg("'%s': error on '%s', not '%s' (%s)", line, f->err.object, object,
		         f->err.message);
	if (strstr(f->err.message, text) == NULL)
		fail_msg("'%s': message '%s' lacks '%s'", line, f->err.message, text);
	after = fingerprint(f);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static bool
has_line(const struct fx *f, const char *line)
{
	for (uint32_t i = 0; i < f->n_out; i++)
		if (strcmp(f->out[i], line) == 0)
			return true;
	return false;
}

static void
expect_line(const struct fx *f, const char *line)
{
	if (!has_line(f, line)) {
		for (uint32_t i = 0; i < f->n_out; i++)
			fprintf(stderr, "  got: %s\n", f->out[i]);
		fail_msg("no line '%s'", line);
	}
}

/* --- Packets ------------------------------------------------------------------------ */

static const uint8_t local_mac[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t nh_mac[6] = {0x02, 0, 0, 0, 0x0f, 0x0f};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const uint8_t mac_a[6] = {0x02, 0, 0, 0, 0, 0x0a}; /* on port 2 */
static const uint8_t mac_b[6] = {0x02, 0, 0, 0, 0, 0x0b}; /* remote */

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
	put16(p + 2, v & 0xffff);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* An Ethernet frame of 64 bytes with an unknown EtherType. */
static uint32_t
frame(uint8_t *p, const uint8_t *dst, const uint8_t *src)
{
	memset(p, 0, 64);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, 0x88b5);
	return 64;
}

/* An ARP request from (src, sip) for 'tip'. */
static uint32_t
arp_request(uint8_t *p, const uint8_t *src, uint32_t sip, uint32_t tip)
{
	memset(p, 0, 60);
	memcpy(p, bcast, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, 0x0806);
	put16(p + 14, 1);
	put16(p + 16, 0x0800);
	p[18] = 6;
	p[19] = 4;
	put16(p + 20, 1);
	memcpy(p + 22, src, 6);
	put32(p + 28, sip);
	put32(p + 38, tip);
	return 60;
}

/* 'inner' in VXLAN from 'remote' to 10.0.0.1, VNI 'vni'. */
static uint32_t
vxlan(uint8_t *p, uint32_t remote, uint32_t vni, const uint8_t *inner, uint32_t len)
{
	memset(p, 0, 50);
	memcpy(p, local_mac, 6);
	memcpy(p + 6, nh_mac, 6);
	put16(p + 12, 0x0800);
	p[14] = 0x45;
	put16(p + 16, 36 + len);
	p[22] = 64;
	p[23] = 17;
	put32(p + 26, remote);
	put32(p + 30, IP(10, 0, 0, 1));
	put16(p + 34, 49200);
	put16(p + 36, 4789);
	put16(p + 38, 16 + len);
	p[42] = 0x08;
	p[46] = (uint8_t)(vni >> 16);
	p[47] = (uint8_t)(vni >> 8);
	p[48] = (uint8_t)vni;
	memcpy(p + 50, inner, len);
	return 50 + len;
}

/* Sends one packet in on 'port'; the packets out land in f->tx, the events in f->res. */
static void
send(struct fx *f, uint32_t port, const uint8_t *bytes, uint32_t len)
{
	struct ft_pkt *p = f->pool.alloc(f->pool.arg, 2048);

	assert_non_null(p);
	p->data_off = FT_PKT_HEADROOM;
	p->len = (uint16_t)len;
	p->in_port = port;
	memcpy(ft_pkt_data(p), bytes, len);
	ft_worker_run(f->w, &p, 1, &f->res);
	f->n_tx = 0;
	for (uint32_t i = 0; i < f->res.n_tx; i++) {
		struct ft_pkt *q = f->res.tx[i].pkt;

		if (f->n_tx < ARRAY_SIZE(f->tx) && q->len <= sizeof(f->tx[0].b)) {
			f->tx[f->n_tx].port = f->res.tx[i].port;
			f->tx[f->n_tx].len = q->len;
			memcpy(f->tx[f->n_tx].b, ft_pkt_data(q), q->len);
			f->n_tx++;
		}
		if (q != p)
			f->pool.free(f->pool.arg, q);
	}
	f->pool.free(f->pool.arg, p);
}

/* Checks that tx[i] is 'inner_len' bytes of frame encapsulated towards 'remote' in 'vni'. */
static void
expect_encap(const struct txpkt *t, uint32_t remote, uint32_t vni, uint32_t inner_len)
{
	assert_int_equal(t->port, 1);
	assert_int_equal(t->len, 50 + inner_len);
	assert_memory_equal(t->b, nh_mac, 6);
	assert_memory_equal(t->b + 6, local_mac, 6);
	assert_int_equal(t->b[12] << 8 | t->b[13], 0x0800);
	assert_int_equal(get32(t->b + 26), IP(10, 0, 0, 1));
	assert_int_equal(get32(t->b + 30), remote);
	assert_int_equal(t->b[36] << 8 | t->b[37], 4789);
	assert_int_equal(t->b[42], 0x08);
	assert_int_equal((uint32_t)t->b[46] << 16 | (uint32_t)t->b[47] << 8 | t->b[48], vni);
}

/* --- Table reads ---------------------------------------------------------------------- */

static uint32_t
tid(struct fx *f, const char *name)
{
	int id = ft_program_find_table(ft_pipeline_program(f->pipe), name);

	assert_true(id >= 0);
	return (uint32_t)id;
}

static const char *
action_name(struct fx *f, uint32_t action)
{
	struct ft_action_info ai;

	assert_int_equal(ft_program_action(ft_pipeline_program(f->pipe), action, &ai), 0);
	return ai.name;
}

/* Reads the fdb entry (vni, mac): its action name, or NULL; its data's first word. */
static const char *
fdb_read(struct fx *f, uint32_t vni, const uint8_t *mac, uint32_t *word)
{
	uint8_t key[9];
	struct ft_entry e = {.key = key};
	struct ft_entry_info info;

	key[0] = (uint8_t)(vni >> 16), key[1] = (uint8_t)(vni >> 8), key[2] = (uint8_t)vni;
	memcpy(key + 3, mac, 6);
	if (ft_pipeline_entry_read(f->pipe, tid(f, "fdb"), &e, &info) != 0)
		return NULL;
	if (word)
		*word = get32(info.data);
	return action_name(f, info.action);
}

/* The usual setup: local IP, uplink 1, access ports 2 and 3 in VNI 100, a next hop. */
static void
setup(struct fx *f)
{
	ok(f, "vtep set local-ip 10.0.0.1");
	ok(f, "port add 1 uplink lladdr 02:00:00:00:01:01");
	ok(f, "port add 2 access vni 100");
	ok(f, "port add 3 access vni 100");
	ok(f, "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f");
}

/* --- Tests ------------------------------------------------------------------------------ */

static void
test_attach_needs_vtep_program(void **state)
{
	struct ft_error err = {0};
	struct ft_pipeline *pipe;
	struct ft_vtep *v = (struct ft_vtep *)1;
	struct ft_ctl *ctl;
	struct fx *f;

	(void)state;
	pipe = ft_pipeline_create(load("dpdk_vxlan.p4"), NULL, &err);
	assert_non_null(pipe);
	ctl = ft_ctl_create(pipe);
	assert_int_equal(ft_vtep_attach(ctl, &v, &err), -ENOTSUP);
	assert_null(v);
	assert_string_equal(err.object, "vtep_config");
	assert_non_null(strstr(err.message, "no table 'vtep_config'"));
	/* Not attached: the words are unknown. */
	assert_int_equal(ft_ctl_exec(ctl, "fdb show", NULL, NULL, &err), -ENOENT);
	ft_ctl_destroy(ctl);
	ft_pipeline_destroy(pipe);

	/* Twice on one session: the words are taken. */
	f = fx_create(true);
	assert_int_equal(ft_vtep_attach(f->ctl, &v, &err), -EEXIST);
	fx_destroy(f);
}

static void
test_setup_entries(void **state)
{
	struct fx *f = fx_create(true);
	struct ft_group_member m[8];
	const uint8_t *data;
	uint32_t action;
	uint8_t key[8];
	struct ft_entry e = {.key = key};
	struct ft_entry_info info;

	(void)state;
	setup(f);
	ok(f, "port add 4 access vni 200 vlan 10");
	/* vtep_config: local IP, local MAC, 4789, uplink 1, ttl 64. */
	assert_int_equal(ft_pipeline_default_read(f->pipe, tid(f, "vtep_config"), &action, &data),
	                 0);
	assert_string_equal(action_name(f, action), "set_config");
	assert_int_equal(get32(data), IP(10, 0, 0, 1));
	assert_memory_equal(data + 4, local_mac, 6);
	assert_int_equal(data[10] << 8 | data[11], 4789);
	assert_int_equal(get32(data + 12), 1);
	assert_int_equal(data[16], 64);
	/* port_class (4, 10) -> access_vlan(200); port_vlan_out (4) -> set_out_vlan(10). */
	put32(key, 4);
	put16(key + 4, 10);
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "port_class"), &e, &info), 0);
	assert_string_equal(action_name(f, info.action), "access_vlan");
	assert_int_equal(info.data[2], 200);
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "port_vlan_out"), &e, &info), 0);
	assert_int_equal(info.data[0] << 8 | info.data[1], 10);
	put16(key + 4, 0);
	put32(key, 1);
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "port_class"), &e, &info), 0);
	assert_string_equal(action_name(f, info.action), "from_uplink");

	/* Flood list of two VTEPs: group G(100) = ports 2, 3 and (1, rid) per VTEP. */
	ok(f, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2");
	ok(f, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3");
	key[0] = 0, key[1] = 0, key[2] = 100;
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "bum_group"), &e, &info), 0);
	assert_string_equal(action_name(f, info.action), "flood");
	assert_int_equal(info.data[4], 1); /* has_remote */
	assert_int_equal(ft_pipeline_group_read(f->pipe, get32(info.data), m, 8), 4);
	assert_int_equal(m[0].port, 2);
	assert_int_equal(m[1].port, 3);
	assert_int_equal(m[2].port, 1);
	assert_int_equal(m[3].port, 1);
	assert_int_not_equal(m[2].rid, 0);
	assert_int_not_equal(m[2].rid, m[3].rid);
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "vni_term"), &e, &info), 0);
	put32(key + 3, IP(10, 0, 0, 3));
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "vtep_known"), &e, &info), 0);
	put16(key, m[3].rid);
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "remote_vtep"), &e, &info), 0);
	assert_int_equal(get32(info.data), IP(10, 0, 0, 3));

	ok(f, "fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2");
	ok(f, "fdb add 02:00:00:00:00:0a vni 100 port 2");
	ok(f, "fdb show vni 100");
	assert_int_equal(f->n_out, 4);
	assert_string_equal(f->out[0], "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2");
	assert_string_equal(f->out[1], "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3");
	assert_string_equal(f->out[2], "fdb add 02:00:00:00:00:0a vni 100 port 2");
	assert_string_equal(f->out[3], "fdb append 02:00:00:00:00:0b vni 100 dst 10.0.0.2");
	ok(f, "fdb show vni 200");
	assert_int_equal(f->n_out, 0);
	ok(f, "vtep show");
	expect_line(f, "vtep set local-ip 10.0.0.1 dstport 4789 learning on ageing 300 proxy off "
	               "l2miss off l3miss off ttl 64 tos 0");
	expect_line(f, "port add 4 access vni 200 vlan 10");
	ok(f, "nexthop show");
	expect_line(f, "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f");

	/* replace: the flood list becomes {10.0.0.4}; del: empty, has_remote 0. */
	ok(f, "fdb replace 00:00:00:00:00:00 vni 100 dst 10.0.0.4");
	key[0] = 0, key[1] = 0, key[2] = 100;
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "bum_group"), &e, &info), 0);
	assert_int_equal(ft_pipeline_group_read(f->pipe, get32(info.data), m, 8), 3);
	put32(key + 3, IP(10, 0, 0, 3));
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "vtep_known"), &e, &info), -ENOENT);
	ok(f, "fdb del 00:00:00:00:00:00 vni 100");
	key[0] = 0, key[1] = 0, key[2] = 100;
	assert_int_equal(ft_pipeline_entry_read(f->pipe, tid(f, "bum_group"), &e, &info), 0);
	assert_int_equal(info.data[4], 0);
	assert_int_equal(ft_pipeline_group_read(f->pipe, get32(info.data), m, 8), 2);
	/* No remote_vtep entry is left: no flood list, no entry of several dst. */
	ok(f, "table_dump remote_vtep");
	assert_int_equal(f->n_out, 1);
	fx_destroy(f);
}

static void
test_flood_and_unicast(void **state)
{
	struct fx *f = fx_create(true);
	uint8_t p[128];
	uint32_t len, w;
	int to1 = 0, to3 = 0;

	(void)state;
	setup(f);
	ok(f, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2");
	ok(f, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3");
	/* A broadcast from port 2: port 3, and each VTEP of the flood list. */
	len = frame(p, bcast, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 3);
	for (uint32_t i = 0; i < f->n_tx; i++) {
		if (f->tx[i].port == 3) {
			to3++;
			assert_memory_equal(f->tx[i].b, p, len);
		} else {
			expect_encap(&f->tx[i], get32(f->tx[i].b + 30), 100, len);
			to1 |= get32(f->tx[i].b + 30) == IP(10, 0, 0, 2) ? 1 : 2;
			assert_memory_equal(f->tx[i].b + 50, p, len);
		}
	}
	assert_int_equal(to3, 1);
	assert_int_equal(to1, 3);

	/* Unicast to a MAC behind one VTEP. */
	ok(f, "fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.3");
	assert_string_equal(fdb_read(f, 100, mac_b, &w), "to_vtep");
	assert_int_equal(w, IP(10, 0, 0, 3));
	len = frame(p, mac_b, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	expect_encap(&f->tx[0], IP(10, 0, 0, 3), 100, len);

	/* append a second destination: a group of two; del one: to_vtep again. */
	ok(f, "fdb append 02:00:00:00:00:0b vni 100 dst 10.0.0.2");
	assert_string_equal(fdb_read(f, 100, mac_b, NULL), "to_vtep_group");
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 2);
	ok(f, "fdb del 02:00:00:00:00:0b vni 100 dst 10.0.0.3");
	assert_string_equal(fdb_read(f, 100, mac_b, &w), "to_vtep");
	assert_int_equal(w, IP(10, 0, 0, 2));
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	expect_encap(&f->tx[0], IP(10, 0, 0, 2), 100, len);

	/* To a local MAC: out its port, not encapsulated. */
	ok(f, "fdb add 02:00:00:00:00:0c vni 100 port 3");
	len = frame(p, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x0c}, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	assert_int_equal(f->tx[0].port, 3);
	assert_int_equal(f->tx[0].len, len);

	/* port del: port 3 leaves the group; its static fdb entry must go first. */
	assert_int_equal(ft_ctl_exec(f->ctl, "port del 3", NULL, NULL, &f->err), -EBUSY);
	ok(f, "fdb del 02:00:00:00:00:0c vni 100");
	ok(f, "port del 3");
	len = frame(p, bcast, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 2);
	assert_int_equal(f->tx[0].port, 1);
	assert_int_equal(f->tx[1].port, 1);
	fx_destroy(f);
}

static void
test_arp_proxy(void **state)
{
	struct fx *f = fx_create(true);
	uint8_t p[128];
	uint32_t len;

	(void)state;
	setup(f);
	ok(f, "vtep set proxy on");
	ok(f, "neigh add 10.1.0.5 lladdr 02:00:00:00:00:05 vni 100");
	ok(f, "neigh add 10.1.0.6 lladdr 02:00:00:00:00:06 vni 100 nud reachable");
	ok(f, "neigh show");
	assert_int_equal(f->n_out, 2);
	assert_string_equal(f->out[0],
	                    "neigh add 10.1.0.5 lladdr 02:00:00:00:00:05 vni 100 nud permanent");
	assert_string_equal(f->out[1],
	                    "neigh add 10.1.0.6 lladdr 02:00:00:00:00:06 vni 100 nud reachable");
	len = arp_request(p, mac_a, IP(10, 1, 0, 1), IP(10, 1, 0, 5));
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	assert_int_equal(f->tx[0].port, 2);
	assert_memory_equal(f->tx[0].b, mac_a, 6); /* to the asker */
	assert_memory_equal(f->tx[0].b + 6, ((uint8_t[]){2, 0, 0, 0, 0, 5}), 6);
	assert_int_equal(f->tx[0].b[20] << 8 | f->tx[0].b[21], 2); /* a reply */
	assert_memory_equal(f->tx[0].b + 22, ((uint8_t[]){2, 0, 0, 0, 0, 5}), 6);
	assert_int_equal(get32(f->tx[0].b + 28), IP(10, 1, 0, 5));
	assert_int_equal(get32(f->tx[0].b + 38), IP(10, 1, 0, 1));

	/* replace changes the answer; del removes it (the request is flooded locally). */
	ok(f, "neigh replace 10.1.0.5 lladdr 02:00:00:00:00:55 vni 100");
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	assert_int_equal(f->tx[0].b[27], 0x55);
	ok(f, "neigh del 10.1.0.5 vni 100");
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	assert_int_equal(f->tx[0].port, 3);
	assert_int_equal(f->tx[0].b[21], 1); /* still the request */

	/* nud reachable expires after the ageing time, at poll (with the MAC learned above). */
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "learned vni 100 mac 02:00:00:00:00:0a port 2");
	ok(f, "vtep set ageing 10");
	now_ms += 9000;
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 0);
	now_ms += 2000;
	f->n_evs = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 2);
	expect_line(f, "aged vni 100 mac 02:00:00:00:00:0a");
	expect_line(f, "aged vni 100 ip 10.1.0.6");
	assert_int_equal(f->n_evs, 2);
	assert_int_equal(f->evs[1].kind, FT_VTEP_NEIGH_EXPIRED);
	assert_int_equal(f->evs[1].ip, IP(10, 1, 0, 6));
	ok(f, "neigh show");
	assert_int_equal(f->n_out, 0);
	fx_destroy(f);
}

static void
test_miss_events(void **state)
{
	struct fx *f = fx_create(true);
	uint8_t p[128];
	char text[128];
	uint32_t len;

	(void)state;
	setup(f);
	ok(f, "vtep set proxy on l2miss on l3miss on");
	/* No flood list: a unicast to an unknown MAC raises l2miss. */
	len = frame(p, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x05}, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->res.n_events, 1);
	ft_ctl_event_text(f->ctl, &f->res.events[0], text, sizeof(text));
	assert_string_equal(text, "l2miss vni 100 mac 02:00:00:00:00:05");
	f->n_evs = 0;
	assert_int_equal(ft_vtep_dispatch(f->vtep, &f->res.events[0]), 1);
	assert_int_equal(f->n_evs, 1);
	assert_int_equal(f->evs[0].kind, FT_VTEP_L2MISS);
	assert_int_equal(f->evs[0].vni, 100);
	assert_int_equal(f->evs[0].port, 2);

	/* An ARP request with no neighbour raises l3miss. */
	len = arp_request(p, mac_a, IP(10, 1, 0, 1), IP(10, 1, 0, 9));
	send(f, 2, p, len);
	assert_int_equal(f->res.n_events, 1);
	ft_ctl_event_text(f->ctl, &f->res.events[0], text, sizeof(text));
	assert_string_equal(text, "l3miss vni 100 ip 10.1.0.9");

	/* The controller answers: the next request is proxied, no event. */
	ok(f, "neigh add 10.1.0.9 lladdr 02:00:00:00:00:09 vni 100 nud reachable");
	send(f, 2, p, len);
	assert_int_equal(f->res.n_events, 0);
	assert_int_equal(f->n_tx, 1);
	assert_int_equal(f->tx[0].port, 2);

	/* With l2miss off: nothing. */
	ok(f, "vtep set l2miss off");
	len = frame(p, (const uint8_t[]){0x02, 0, 0, 0, 0, 0x05}, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->res.n_events, 0);
	fx_destroy(f);
}

static void
test_learning_and_ageing(void **state)
{
	struct fx *f = fx_create(true);
	uint8_t inner[64], p[256];
	uint32_t len, w;

	(void)state;
	setup(f);
	ok(f, "vtep set ageing 30");
	ok(f, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2");
	/* A frame from mac_b behind 10.0.0.2, decapsulated, to mac_a. */
	frame(inner, mac_a, mac_b);
	len = vxlan(p, IP(10, 0, 0, 2), 100, inner, 64);
	send(f, 1, p, len);
	assert_true(f->n_tx >= 1);
	assert_null(fdb_read(f, 100, mac_b, NULL)); /* not until poll */
	f->n_out = 0;
	f->n_evs = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "learned vni 100 mac 02:00:00:00:00:0b dst 10.0.0.2");
	assert_int_equal(f->n_evs, 1);
	assert_int_equal(f->evs[0].kind, FT_VTEP_LEARNED);
	assert_int_equal(f->evs[0].remote_ip, IP(10, 0, 0, 2));
	assert_string_equal(fdb_read(f, 100, mac_b, &w), "to_vtep");
	assert_int_equal(w, IP(10, 0, 0, 2));
	ok(f, "fdb show");
	expect_line(f, "# learned: fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2");

	/* A local frame from mac_a on port 2: learned behind port 2, and goes to mac_b's VTEP. */
	len = frame(p, mac_b, mac_a);
	send(f, 2, p, len);
	assert_int_equal(f->n_tx, 1);
	expect_encap(&f->tx[0], IP(10, 0, 0, 2), 100, len);
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "learned vni 100 mac 02:00:00:00:00:0a port 2");
	assert_string_equal(fdb_read(f, 100, mac_a, &w), "to_port");
	assert_int_equal(w, 2);

	/* mac_a keeps talking; mac_b falls silent: only mac_b ages. */
	now_ms += 20000;
	send(f, 2, p, len);
	now_ms += 15000;
	f->n_out = 0;
	f->n_evs = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "aged vni 100 mac 02:00:00:00:00:0b");
	assert_int_equal(f->n_evs, 1);
	assert_int_equal(f->evs[0].kind, FT_VTEP_AGED);
	assert_null(fdb_read(f, 100, mac_b, NULL));
	assert_string_equal(fdb_read(f, 100, mac_a, NULL), "to_port");

	/* A static entry replaces a learned one and survives its ageing. */
	ok(f, "fdb add 02:00:00:00:00:0a vni 100 port 3");
	now_ms += 31000;
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "aged vni 100 mac 02:00:00:00:00:0a");
	assert_string_equal(fdb_read(f, 100, mac_a, &w), "to_port");
	assert_int_equal(w, 3);
	fx_destroy(f);
}

static void
test_learning_off(void **state)
{
	struct fx *f = fx_create(true);
	uint8_t p[128];
	const uint8_t *data;
	uint32_t len, action;

	(void)state;
	setup(f);
	/* Something learned, then learning off: the entry and its copy go. */
	len = frame(p, bcast, mac_a);
	send(f, 2, p, len);
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	assert_non_null(fdb_read(f, 100, mac_a, NULL));
	ok(f, "vtep set learning off");
	ft_pipeline_default_read(f->pipe, tid(f, "mac_learn"), &action, &data);
	assert_string_equal(action_name(f, action), "no_learn");
	assert_null(fdb_read(f, 100, mac_a, NULL));
	ok(f, "table_dump mac_learn");
	assert_int_equal(f->n_out, 1); /* the default only */
	send(f, 2, p, len);
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 0);
	assert_int_equal(f->n_out, 0);
	assert_null(fdb_read(f, 100, mac_a, NULL));
	ok(f, "vtep set learning on");
	ft_pipeline_default_read(f->pipe, tid(f, "mac_learn"), &action, &data);
	assert_string_equal(action_name(f, action), "learn");
	fx_destroy(f);
}

static void
test_rejected(void **state)
{
	struct fx *f = fx_create(true);

	(void)state;
	/* Before local-ip: no remote destinations, no settings. */
	rejected(f, "fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2", -EINVAL, "local-ip",
	         "no local IP");
	rejected(f, "vtep set proxy on", -EINVAL, "local-ip", "missing local-ip");
	setup(f);
	ok(f, "fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.2");
	rejected(f, "fdb add 02:00:00:00:00:zz vni 100 dst 10.0.0.2", -EINVAL, "mac",
	         "bad MAC address");
	rejected(f, "fdb add 02:00:00:00:00 vni 100 dst 10.0.0.2", -EINVAL, "mac", "bad MAC");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 16777216 dst 10.0.0.2", -EINVAL, "vni",
	         "does not fit in 24 bits");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100 dst 10.0.0.256", -EINVAL, "dst",
	         "bad IPv4 address");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100 dst 224.0.0.1", -EINVAL, "dst",
	         "not a unicast");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100 port 9", -EINVAL, "port", "unknown port 9");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100 port 1", -EINVAL, "port",
	         "not an access port");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100", -EINVAL, "dst", "missing dst");
	rejected(f, "fdb add 02:00:00:00:00:0c dst 10.0.0.2", -EINVAL, "vni", "missing vni");
	rejected(f, "fdb add 02:00:00:00:00:0c vni 100 dst 10.0.0.2 via x", -EINVAL, "via",
	         "unknown word");
	rejected(f, "fdb add 02:00:00:00:00:0b vni 100 dst 10.0.0.3", -EEXIST, "mac", "exists");
	rejected(f, "fdb append 02:00:00:00:00:0b vni 100 dst 10.0.0.2", -EEXIST, "dst",
	         "already has that dst");
	rejected(f, "fdb add 00:00:00:00:00:00 vni 100 port 2", -EINVAL, "port", "all-zeros");
	rejected(f, "fdb del 02:00:00:00:00:0c vni 100", -ENOENT, "mac", "no fdb entry");
	rejected(f, "fdb frob 02:00:00:00:00:0c vni 100", -EINVAL, NULL, "usage: fdb");
	rejected(f, "neigh add 10.1.0.1 lladdr 02:00:00:00:zz:01 vni 100", -EINVAL, "lladdr",
	         "bad MAC");
	rejected(f, "neigh add 10.1.0 lladdr 02:00:00:00:00:01 vni 100", -EINVAL, "ip", "bad IPv4");
	rejected(f, "neigh add 10.1.0.1 lladdr 01:00:5e:00:00:01 vni 100", -EINVAL, "lladdr",
	         "group address");
	rejected(f, "neigh add 10.1.0.1 lladdr 02:00:00:00:00:01 vni 100 nud stale", -EINVAL, "nud",
	         "permanent or reachable");
	rejected(f, "neigh add 10.1.0.1 lladdr 02:00:00:00:00:01", -EINVAL, "vni", "missing vni");
	rejected(f, "neigh del 10.1.0.1 vni 100", -ENOENT, "ip", "no neighbour");
	rejected(f, "port add 5 access vni 100 vlan 4095", -EINVAL, "vlan", "not in 1 .. 4094");
	rejected(f, "port add 5 access vni 0x1000000", -EINVAL, "vni", "does not fit");
	rejected(f, "port add 2 access vni 200", -EEXIST, "port", "exists");
	rejected(f, "port add 5 uplink", -EEXIST, "port", "uplink already");
	rejected(f, "port del 9", -ENOENT, "port", "unknown port 9");
	rejected(f, "port add x access vni 100", -EINVAL, "port", "bad value");
	rejected(f, "vtep set dstport 9999", -ENOTSUP, "dstport", "parser");
	rejected(f, "vtep set ttl 0", -EINVAL, "ttl", "not in 1 .. 255");
	rejected(f, "vtep set tos 256", -EINVAL, "tos", "does not fit");
	rejected(f, "vtep set ageing 0", -EINVAL, "ageing", "not in 1");
	rejected(f, "vtep set learning maybe", -EINVAL, "learning", "on or off");
	rejected(f, "vtep set local-ip 10.0.0", -EINVAL, "local-ip", "bad IPv4");
	rejected(f, "vtep set proxy", -EINVAL, "proxy", "missing value");
	rejected(f, "nexthop add 10.0.0.0/33 lladdr 02:00:00:00:0f:0f", -EINVAL, "prefix",
	         "not in 0 .. 32");
	rejected(f, "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f", -EEXIST, "prefix",
	         "exists");
	/* A commit that fails (an entry someone else wrote) changes nothing either. */
	ok(f, "table_add fdb to_port 0x000064 02:00:00:00:00:0d => 3");
	rejected(f, "fdb add 02:00:00:00:00:0d vni 100 port 2", -EEXIST, NULL, "");
	ok(f, "fdb show");
	assert_int_equal(f->n_out, 1);
	fx_destroy(f);
}

/* Without the vocabulary: the generic poll lines and event text. */
static void
test_generic_poll_and_events(void **state)
{
	struct fx *f = fx_create(false);
	struct ft_event ev = {.kind = FT_EVENT_DIGEST};
	uint8_t p[128];
	char text[160];
	int id;

	(void)state;
	ok(f, "table_add port_class access 2 0 => 0x000064");
	send(f, 2, p, frame(p, bcast, mac_a));
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "learned mac_learn 0x000064 02:00:00:00:00:0a => learned 0x00000002 "
	               "0x00000000");
	now_ms += 301000;
	f->n_out = 0;
	assert_int_equal(ft_ctl_poll(f->ctl, collect, f, &f->err), 1);
	expect_line(f, "aged mac_learn 0x000064 02:00:00:00:00:0a");

	id = ft_program_find_digest(ft_pipeline_program(f->pipe), "l3miss_digest");
	assert_true(id >= 0);
	ev.id = (uint32_t)id;
	ev.len = 11;
	memcpy(ev.data, (uint8_t[]){0, 0, 100, 10, 1, 0, 9, 0, 0, 0, 2}, 11);
	ft_ctl_event_text(f->ctl, &ev, text, sizeof(text));
	assert_string_equal(text, "digest l3miss_digest vni=0x000064 "
	                          "arp.target_proto_addr=0x0a010009 in_port=0x00000002");
	ev.len = 3;
	ft_ctl_event_text(f->ctl, &ev, text, sizeof(text));
	assert_string_equal(text, "digest l3miss_digest data=000064");
	fx_destroy(f);
}

/* --- Scale ------------------------------------------------------------------------------ */

struct tally {
	struct fx *f;
	const char *action; /* NULL: every entry */
	uint32_t n;
};

static int
tally_entry(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct tally *t = arg;

	(void)table;
	t->n += t->action == NULL || strcmp(action_name(t->f, e->action), t->action) == 0;
	return 0;
}

/* The number of entries of 'table' (with 'action' when not NULL). */
static uint32_t
n_entries(struct fx *f, const char *table, const char *action)
{
	struct tally t = {.f = f, .action = action};

	assert_int_equal(ft_pipeline_table_walk(f->pipe, tid(f, table), tally_entry, &t), 0);
	return t.n;
}

static void
count_line(void *arg, const char *line)
{
	(void)line;
	++*(uint32_t *)arg;
}

/* The number of lines 'line' writes. */
static uint32_t
n_lines(struct fx *f, const char *line)
{
	uint32_t n = 0;

	assert_int_equal(ft_ctl_exec(f->ctl, line, count_line, &n, &f->err), 0);
	return n;
}

#define SCALE_N 20000

/*
 * Entry i of the scale test: VNI 100 + i % 4; behind port 2 when i % 5 is 0,
 * else behind 10.0.2.(1 + i % 16); entries with i % 200 == 1 (behind
 * 10.0.2.2 or 10.0.2.10) also get a second destination, 10.0.1.1 (one of
 * the flood list's).
 */
static void
scale_mac(uint32_t i, char *buf, size_t size)
{
	snprintf(buf, size, "02:01:00:%02x:%02x:%02x", (i >> 16) & 0xff, (i >> 8) & 0xff,
	         i & 0xff);
}

/*
 * A large fdb, one command at a time: 20,000 entries (a second each with a
 * per-command cost linear in the table, as the vocabulary had: hours; now
 * a few microseconds each), then the tables counted. No timing is asserted
 * (STYLE.md): the suite's timeout is the bound.
 */
static void
test_scale(void **state)
{
	struct fx *f = fx_create(true);
	char line[128], mac[20];

	(void)state;
	setup(f);
	for (uint32_t k = 1; k <= 8; k++) {
		snprintf(line, sizeof(line), "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.1.%u",
		         k);
		ok(f, line);
	}
	for (uint32_t i = 0; i < SCALE_N; i++) {
		scale_mac(i, mac, sizeof(mac));
		if (i % 5 == 0)
			snprintf(line, sizeof(line), "fdb add %s vni %u port 2", mac, 100 + i % 4);
		else
			snprintf(line, sizeof(line), "fdb add %s vni %u dst 10.0.2.%u", mac,
			         100 + i % 4, 1 + i % 16);
		ok(f, line);
		if (i % 200 == 1) {
			snprintf(line, sizeof(line), "fdb append %s vni %u dst 10.0.1.1", mac,
			         100 + i % 4);
			ok(f, line);
		}
	}
	assert_int_equal(n_entries(f, "fdb", NULL), SCALE_N);
	assert_int_equal(n_entries(f, "fdb", "to_port"), SCALE_N / 5);
	assert_int_equal(n_entries(f, "fdb", "to_vtep_group"), SCALE_N / 200);
	/* The flood list's 8, the 16 unicast destinations', (101, 10.0.1.1) of the appends. */
	assert_int_equal(n_entries(f, "vtep_known", NULL), 8 + 16 + 1);
	/* The flood list's, and the two unicast destinations of the appended entries. */
	assert_int_equal(n_entries(f, "remote_vtep", NULL), 8 + 2);
	assert_int_equal(n_entries(f, "bum_group", NULL), 4);
	assert_int_equal(n_entries(f, "vni_term", NULL), 4);
	assert_int_equal(n_lines(f, "fdb show"), SCALE_N + 8 + SCALE_N / 200);

	/* Half deleted (the even ones: the appended entries are odd), then the flood list. */
	for (uint32_t i = 0; i < SCALE_N; i += 2) {
		scale_mac(i, mac, sizeof(mac));
		snprintf(line, sizeof(line), "fdb del %s vni %u", mac, 100 + i % 4);
		ok(f, line);
	}
	assert_int_equal(n_entries(f, "fdb", NULL), SCALE_N / 2);
	assert_int_equal(n_entries(f, "fdb", "to_port"), SCALE_N / 10);
	assert_int_equal(n_entries(f, "fdb", "to_vtep_group"), SCALE_N / 200);
	assert_int_equal(n_entries(f, "vtep_known", NULL), 8 + 8 + 1); /* odd i: odd 10.0.2.x */
	ok(f, "fdb del 00:00:00:00:00:00 vni 100");
	/* 10.0.1.1, 10.0.2.2 and 10.0.2.10, for the appended entries. */
	assert_int_equal(n_entries(f, "remote_vtep", NULL), 3);
	assert_int_equal(n_entries(f, "vtep_known", NULL), 8 + 1);
	assert_int_equal(n_lines(f, "fdb show"), SCALE_N / 2 + SCALE_N / 200);
	fx_destroy(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_attach_needs_vtep_program),
	        cmocka_unit_test(test_setup_entries),
	        cmocka_unit_test(test_flood_and_unicast),
	        cmocka_unit_test(test_arp_proxy),
	        cmocka_unit_test(test_miss_events),
	        cmocka_unit_test(test_learning_and_ageing),
	        cmocka_unit_test(test_learning_off),
	        cmocka_unit_test(test_rejected),
	        cmocka_unit_test(test_generic_poll_and_events),
	        cmocka_unit_test(test_scale),
	};

	return cmocka_run_group_tests(tests, find_root, NULL);
}
