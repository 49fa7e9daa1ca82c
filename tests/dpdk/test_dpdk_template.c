/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the rte_flow backend under the template API (dv_flow_en=2:
 * driver/dpdk/flow_template.c) without a NIC.
 *
 * A fake NIC sits behind the backend's call table (flow_private.h): it
 * keeps the pattern templates, actions templates and tables it is given
 * (deep copies, as a PMD would), and rebuilds each rule enqueued with
 * rte_flow_async_create() from its table's templates: the items' types and
 * masks from the pattern template with the rule's specs, the actions'
 * types from the actions template with each field the template masks taken
 * from the template and the others from the rule. The rule then goes into
 * the software NIC (driver/sim), so packets can be run; its completion
 * waits for rte_flow_pull(). The fake refuses tables that still hold rules
 * and templates that tables still use, as the API says, and checks after
 * each sync that no table is empty, no template unused, every completion
 * pulled, and (make-before-break) that no rule went in after one went out,
 * the groups jumped to first. Profiles cx7 (NIC ingress) and bf3
 * (transfer: the NIC sends some packets itself).
 *
 * Two copies of vtep.p4 get the same entries: the model alone, and the
 * backend's pipeline, whose packets run through the sim NIC, then
 * ft_dpdk_flow_run(). Seeded random packets (malformed ones too) must give
 * the same result on both (ft_twin_diff()): after the first install, after
 * entries are added, removed and changed, when tables outgrow their size,
 * when the NIC refuses a rule at its completion (its entry goes back to
 * software), and after a port restart. The NIC's counters, read with
 * reset, must bring the backend's entry counters to the model's. Errors:
 * a failed rte_flow_configure(), a capability the start-up probe finds
 * refused (template creation), a rule refused when enqueued, a refused
 * table: a clear ft_error, no rule left, nothing leaked; no room when a
 * rule is enqueued: tried again from empty, everything goes in.
 */
#include <errno.h>
#include <inttypes.h>
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

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include <flowtwin/ctl.h>
#include <flowtwin/dpdk.h>
#include <flowtwin/dpdk_flow.h>
#include <flowtwin/p4.h>
#include <flowtwin/program.h>
#include <flowtwin/sim.h>
#include <flowtwin/twin.h>
#include <flowtwin/vtep.h>

#include "flow_private.h"
#include "test_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define BUF_LEN   2048
#define POOL_PKTS 512
#define N_PORTS   5 /* ports 1-5: net_ring0-4 (port 0 is net_null0) */

/* --- The fake NIC ------------------------------------------------------------------------ */

#define FAKE_OBJ_MAX  256
#define FAKE_RULE_MAX 4096
#define FAKE_DONE_MAX 8192

struct fake_pt {
	bool used;
	uint16_t port;
	struct rte_flow_item *items; /* rte_flow_conv() copy */
};

struct fake_at {
	bool used;
	uint16_t port;
	struct rte_flow_action *actions, *masks; /* rte_flow_conv() copies */
	void *raw[2 * FT_FLOW_ACTIONS_MAX];      /* RAW_ENCAP/DECAP data copied */
	uint32_t n_raw;
};

struct fake_tbl {
	bool used;
	uint16_t port;
	struct rte_flow_template_table_attr attr;
	struct fake_pt *pt[8];
	struct fake_at *at[32];
	uint8_t n_pt, n_at;
	uint32_t n_rules;
};

struct fake_rule {
	bool used;
	uint16_t port;
	struct fake_tbl *tbl;
	struct ft_sim_flow *sim; /* NULL: refused at completion */
	void *user_data;
};

static const char *profile_name = "cx7"; /* the profile of the next fake NIC and backend */

static struct {
	struct ft_sim *sim;
	struct fake_pt pt[FAKE_OBJ_MAX];
	struct fake_at at[FAKE_OBJ_MAX];
	struct fake_tbl tbl[FAKE_OBJ_MAX];
	struct fake_rule r[FAKE_RULE_MAX];
	struct rte_flow_op_result done[RTE_MAX_ETHPORTS][FAKE_DONE_MAX];
	uint32_t n_done[RTE_MAX_ETHPORTS], pending_max;
	uint32_t n_pt, n_at, n_tbl, n_rules; /* live */
	uint32_t tables_made, configures, stops, starts, pushes, queries;
	int configure_code; /* rte_flow_configure() fails with it (negative) */
	int table_code;     /* rte_flow_template_table_create() fails with it (positive) */
	bool no_decap;      /* actions templates with VXLAN_DECAP are refused */
	int enqueue_code;   /* rte_flow_async_create() number 'refuse_at' fails with it */
	uint32_t refuse_at, creates;
	bool refuse_mac_on; /* rules matching ETH dst refuse_mac complete with an error */
	uint8_t refuse_mac[6];
	uint32_t refused; /* completions refused so far */
	bool mbb;         /* make-before-break: no create after a destroy, groups descending */
	uint32_t destroys, last_group;
} fake;

static int
fake_info_get(uint16_t port, struct rte_flow_port_info *pi, struct rte_flow_queue_info *qi,
              struct rte_flow_error *error)
{
	(void)port;
	(void)error;
	*pi = (struct rte_flow_port_info){.max_nb_queues = 4, .max_nb_counters = 1 << 20};
	*qi = (struct rte_flow_queue_info){.max_size = 256}; /* smaller than asked: batches */
	return 0;
}

static int
fake_configure(uint16_t port, const struct rte_flow_port_attr *pa, uint16_t nb_queue,
               const struct rte_flow_queue_attr *qa[], struct rte_flow_error *error)
{
	(void)port;
	assert_int_equal(fake.stops, fake.starts + 1); /* on a stopped port */
	assert_int_equal(nb_queue, 1);
	assert_true(qa[0]->size > 0 && qa[0]->size <= 256);
	assert_true(pa->nb_counters > 0 && pa->nb_counters <= (1 << 20));
	fake.configures++;
	if (fake.configure_code != 0)
		return rte_flow_error_set(error, -fake.configure_code,
		                          RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                          "fake: bad configuration");
	return 0;
}

static int
fake_stop(uint16_t port)
{
	(void)port;
	fake.stops++;
	return 0;
}

static int
fake_start(uint16_t port)
{
	(void)port;
	fake.starts++;
	return 0;
}

static struct rte_flow_pattern_template *
fake_pt_create(uint16_t port, const struct rte_flow_pattern_template_attr *attr,
               const struct rte_flow_item pattern[], struct rte_flow_error *error)
{
	struct rte_flow_error e;
	uint32_t i;
	int size;

	(void)attr;
	(void)error;
	for (i = 0; i < FAKE_OBJ_MAX && fake.pt[i].used; i++)
		;
	assert_true(i < FAKE_OBJ_MAX);
	size = rte_flow_conv(RTE_FLOW_CONV_OP_PATTERN, NULL, 0, pattern, &e);
	assert_true(size > 0);
	fake.pt[i].items = malloc((size_t)size);
	assert_non_null(fake.pt[i].items);
	assert_int_equal(rte_flow_conv(RTE_FLOW_CONV_OP_PATTERN, fake.pt[i].items, (size_t)size,
	                               pattern, &e),
	                 size);
	fake.pt[i].used = true;
	fake.pt[i].port = port;
	fake.n_pt++;
	return (struct rte_flow_pattern_template *)&fake.pt[i];
}

static int
fake_pt_destroy(uint16_t port, struct rte_flow_pattern_template *h, struct rte_flow_error *error)
{
	struct fake_pt *x = (struct fake_pt *)h;

	(void)error;
	assert_true(x->used);
	assert_int_equal(x->port, port);
	for (uint32_t i = 0; i < FAKE_OBJ_MAX; i++)
		for (uint8_t k = 0; fake.tbl[i].used && k < fake.tbl[i].n_pt; k++)
			assert_ptr_not_equal(fake.tbl[i].pt[k], x); /* no table uses it */
	free(x->items);
	memset(x, 0, sizeof(*x));
	fake.n_pt--;
	return 0;
}

/* Deep copy of RAW_ENCAP / RAW_DECAP data (rte_flow_conv() copies the pointer). */
static void
copy_raw(struct fake_at *x, struct rte_flow_action *list)
{
	for (; list->type != RTE_FLOW_ACTION_TYPE_END; list++) {
		if ((list->type == RTE_FLOW_ACTION_TYPE_RAW_ENCAP ||
		     list->type == RTE_FLOW_ACTION_TYPE_RAW_DECAP) &&
		    list->conf != NULL) {
			struct rte_flow_action_raw_encap *c = (void *)(uintptr_t)list->conf;
			uint8_t *d = malloc(c->size + 1);

			assert_non_null(d);
			if (c->data != NULL)
				memcpy(d, c->data, c->size);
			c->data = d;
			if (c->preserve != NULL && list->type == RTE_FLOW_ACTION_TYPE_RAW_ENCAP) {
				uint8_t *p = malloc(c->size + 1);

				assert_non_null(p);
				memcpy(p, c->preserve, c->size);
				c->preserve = p;
				x->raw[x->n_raw++] = p;
			}
			x->raw[x->n_raw++] = d;
		}
	}
}

static struct rte_flow_action *
conv_actions(const struct rte_flow_action *src)
{
	struct rte_flow_error e;
	struct rte_flow_action *dst;
	int size = rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, NULL, 0, src, &e);

	assert_true(size > 0);
	dst = malloc((size_t)size);
	assert_non_null(dst);
	assert_int_equal(rte_flow_conv(RTE_FLOW_CONV_OP_ACTIONS, dst, (size_t)size, src, &e), size);
	return dst;
}

static struct rte_flow_actions_template *
fake_at_create(uint16_t port, const struct rte_flow_actions_template_attr *attr,
               const struct rte_flow_action actions[], const struct rte_flow_action masks[],
               struct rte_flow_error *error)
{
	uint32_t i;

	(void)attr;
	for (i = 0; fake.no_decap && actions[i].type != RTE_FLOW_ACTION_TYPE_END; i++)
		if (actions[i].type == RTE_FLOW_ACTION_TYPE_VXLAN_DECAP) {
			rte_errno = ENOTSUP;
			rte_flow_error_set(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, &actions[i],
			                   "fake: no decap");
			return NULL;
		}
	for (i = 0; i < FAKE_OBJ_MAX && fake.at[i].used; i++)
		;
	assert_true(i < FAKE_OBJ_MAX);
	fake.at[i].actions = conv_actions(actions);
	fake.at[i].masks = conv_actions(masks);
	copy_raw(&fake.at[i], fake.at[i].actions);
	copy_raw(&fake.at[i], fake.at[i].masks);
	fake.at[i].used = true;
	fake.at[i].port = port;
	fake.n_at++;
	return (struct rte_flow_actions_template *)&fake.at[i];
}

static int
fake_at_destroy(uint16_t port, struct rte_flow_actions_template *h, struct rte_flow_error *error)
{
	struct fake_at *x = (struct fake_at *)h;

	(void)error;
	assert_true(x->used);
	assert_int_equal(x->port, port);
	for (uint32_t i = 0; i < FAKE_OBJ_MAX; i++)
		for (uint8_t k = 0; fake.tbl[i].used && k < fake.tbl[i].n_at; k++)
			assert_ptr_not_equal(fake.tbl[i].at[k], x);
	for (uint32_t k = 0; k < x->n_raw; k++)
		free(x->raw[k]);
	free(x->actions);
	free(x->masks);
	memset(x, 0, sizeof(*x));
	fake.n_at--;
	return 0;
}

static struct rte_flow_template_table *
fake_tbl_create(uint16_t port, const struct rte_flow_template_table_attr *attr,
                struct rte_flow_pattern_template *pts[], uint8_t n_pts,
                struct rte_flow_actions_template *ats[], uint8_t n_ats,
                struct rte_flow_error *error)
{
	uint32_t i;

	if (fake.table_code != 0) {
		rte_errno = fake.table_code;
		rte_flow_error_set(error, fake.table_code, RTE_FLOW_ERROR_TYPE_ATTR, NULL,
		                   "fake: no such table");
		return NULL;
	}
	for (i = 0; i < FAKE_OBJ_MAX && fake.tbl[i].used; i++)
		;
	assert_true(i < FAKE_OBJ_MAX);
	assert_true(n_pts >= 1 && n_pts <= 8 && n_ats >= 1 && n_ats <= 32);
	assert_true(attr->nb_flows >= 16);
	fake.tbl[i] = (struct fake_tbl){.used = true, .port = port, .attr = *attr};
	for (uint8_t k = 0; k < n_pts; k++) {
		fake.tbl[i].pt[k] = (struct fake_pt *)pts[k];
		assert_true(fake.tbl[i].pt[k]->used);
		assert_int_equal(fake.tbl[i].pt[k]->port, port);
	}
	for (uint8_t k = 0; k < n_ats; k++) {
		fake.tbl[i].at[k] = (struct fake_at *)ats[k];
		assert_true(fake.tbl[i].at[k]->used);
		assert_int_equal(fake.tbl[i].at[k]->port, port);
	}
	fake.tbl[i].n_pt = n_pts;
	fake.tbl[i].n_at = n_ats;
	fake.n_tbl++;
	fake.tables_made++;
	return (struct rte_flow_template_table *)&fake.tbl[i];
}

static int
fake_tbl_destroy(uint16_t port, struct rte_flow_template_table *h, struct rte_flow_error *error)
{
	struct fake_tbl *x = (struct fake_tbl *)h;

	(void)error;
	assert_true(x->used);
	assert_int_equal(x->port, port);
	assert_int_equal(x->n_rules, 0); /* no rule in it */
	memset(x, 0, sizeof(*x));
	fake.n_tbl--;
	return 0;
}

static void
complete(uint16_t port, void *user_data, bool ok)
{
	assert_true(fake.n_done[port] < FAKE_DONE_MAX);
	fake.done[port][fake.n_done[port]++] = (struct rte_flow_op_result){
	        .status = ok ? RTE_FLOW_OP_SUCCESS : RTE_FLOW_OP_ERROR, .user_data = user_data};
	if (fake.n_done[port] > fake.pending_max)
		fake.pending_max = fake.n_done[port];
}

/* The size of an action's flat configuration, for merging a template's fields with a rule's. */
static size_t
conf_size(enum rte_flow_action_type type)
{
	switch (type) {
	case RTE_FLOW_ACTION_TYPE_MARK:
		return sizeof(struct rte_flow_action_mark);
	case RTE_FLOW_ACTION_TYPE_JUMP:
		return sizeof(struct rte_flow_action_jump);
	case RTE_FLOW_ACTION_TYPE_QUEUE:
		return sizeof(struct rte_flow_action_queue);
	case RTE_FLOW_ACTION_TYPE_COUNT:
		return sizeof(struct rte_flow_action_count);
	case RTE_FLOW_ACTION_TYPE_SET_TAG:
		return sizeof(struct rte_flow_action_set_tag);
	case RTE_FLOW_ACTION_TYPE_SET_META:
		return sizeof(struct rte_flow_action_set_meta);
	case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
		return sizeof(struct rte_flow_action_of_push_vlan);
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
		return sizeof(struct rte_flow_action_of_set_vlan_vid);
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
		return sizeof(struct rte_flow_action_of_set_vlan_pcp);
	case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
	case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
		return sizeof(struct rte_flow_action_set_mac);
	case RTE_FLOW_ACTION_TYPE_PORT_ID:
		return sizeof(struct rte_flow_action_port_id);
	case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
	case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
		return sizeof(struct rte_flow_action_ethdev);
	default:
		return 0;
	}
}

static struct rte_flow *
fake_async_create(uint16_t port, uint32_t queue, const struct rte_flow_op_attr *op,
                  struct rte_flow_template_table *table, const struct rte_flow_item pattern[],
                  uint8_t pi, const struct rte_flow_action actions[], uint8_t ai, void *user_data,
                  struct rte_flow_error *error)
{
	struct fake_tbl *t = (struct fake_tbl *)table;
	struct rte_flow_item items[FT_FLOW_ITEMS_MAX + 1];
	struct rte_flow_action acts[FT_FLOW_ACTIONS_MAX + 1];
	union {
		uint8_t b[64];
		uint64_t align;
	} merged[FT_FLOW_ACTIONS_MAX + 1];
	const struct rte_flow_item *ti;
	const struct rte_flow_action *ta, *tm;
	uint32_t i, k;

	(void)op;
	assert_int_equal(queue, 0);
	assert_true(t->used);
	assert_int_equal(t->port, port);
	assert_true(pi < t->n_pt && ai < t->n_at);
	if (fake.enqueue_code != 0 && fake.creates == fake.refuse_at) {
		fake.creates++;
		rte_errno = fake.enqueue_code;
		rte_flow_error_set(error, fake.enqueue_code, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
		                   "fake: refused");
		return NULL;
	}
	for (i = 0; i < FAKE_RULE_MAX && fake.r[i].used; i++)
		;
	assert_true(i < FAKE_RULE_MAX);
	/* The pattern: the template's types and masks, the rule's specs. */
	ti = t->pt[pi]->items;
	for (k = 0; ti[k].type != RTE_FLOW_ITEM_TYPE_END; k++) {
		assert_true(k < FT_FLOW_ITEMS_MAX);
		assert_int_equal(pattern[k].type, ti[k].type);
		items[k] = (struct rte_flow_item){.type = ti[k].type,
		                                  .spec = ti[k].mask ? pattern[k].spec : NULL,
		                                  .mask = ti[k].mask};
	}
	assert_int_equal(pattern[k].type, RTE_FLOW_ITEM_TYPE_END);
	items[k] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_END};
	/* The actions: masked fields from the template, the others from the rule. */
	ta = t->at[ai]->actions;
	tm = t->at[ai]->masks;
	for (k = 0; ta[k].type != RTE_FLOW_ACTION_TYPE_END; k++) {
		size_t size = conf_size(ta[k].type);

		assert_true(k < FT_FLOW_ACTIONS_MAX);
		assert_int_equal(actions[k].type, ta[k].type);
		acts[k] = (struct rte_flow_action){.type = ta[k].type, .conf = actions[k].conf};
		if (tm[k].conf == NULL)
			continue;
		if (size == 0) { /* a deep configuration: the template's, whole */
			acts[k].conf = ta[k].conf;
			continue;
		}
		assert_true(size <= sizeof(merged[k].b));
		for (size_t j = 0; j < size; j++) {
			uint8_t m = ((const uint8_t *)tm[k].conf)[j];
			uint8_t v = ((const uint8_t *)ta[k].conf)[j];
			uint8_t r = actions[k].conf ? ((const uint8_t *)actions[k].conf)[j] : 0;

			merged[k].b[j] = (uint8_t)((v & m) | (r & ~m));
		}
		acts[k].conf = merged[k].b;
	}
	assert_int_equal(actions[k].type, RTE_FLOW_ACTION_TYPE_END);
	acts[k] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_END};

	fake.r[i] =
	        (struct fake_rule){.used = true, .port = port, .tbl = t, .user_data = user_data};
	for (k = 0; fake.refuse_mac_on && items[k].type != RTE_FLOW_ITEM_TYPE_END; k++) {
		const struct rte_flow_item_eth *e = items[k].spec;

		if (items[k].type == RTE_FLOW_ITEM_TYPE_ETH && e != NULL &&
		    memcmp(e->hdr.dst_addr.addr_bytes, fake.refuse_mac, 6) == 0)
			break;
	}
	if (fake.refuse_mac_on && items[k].type != RTE_FLOW_ITEM_TYPE_END)
		fake.refused++;
	else
		fake.r[i].sim =
		        ft_sim_flow_create(fake.sim, port, &t->attr.flow_attr, items, acts, NULL);
	fake.creates++;
	t->n_rules++;
	fake.n_rules++;
	complete(port, user_data, fake.r[i].sim != NULL);
	return (struct rte_flow *)&fake.r[i];
}

static int
fake_async_destroy(uint16_t port, uint32_t queue, const struct rte_flow_op_attr *op,
                   struct rte_flow *flow, void *user_data, struct rte_flow_error *error)
{
	struct fake_rule *r = (struct fake_rule *)flow;

	(void)op;
	(void)error;
	assert_int_equal(queue, 0);
	assert_true(r->used);
	assert_int_equal(r->port, port);
	if (r->sim != NULL)
		ft_sim_flow_destroy(fake.sim, r->sim, NULL);
	r->tbl->n_rules--;
	memset(r, 0, sizeof(*r));
	fake.n_rules--;
	fake.destroys++;
	complete(port, user_data, true);
	return 0;
}

static int
fake_push(uint16_t port, uint32_t queue, struct rte_flow_error *error)
{
	(void)port;
	(void)queue;
	(void)error;
	fake.pushes++;
	return 0;
}

static int
fake_pull(uint16_t port, uint32_t queue, struct rte_flow_op_result res[], uint16_t n,
          struct rte_flow_error *error)
{
	uint32_t m = fake.n_done[port] < n ? fake.n_done[port] : n;

	(void)queue;
	(void)error;
	memcpy(res, fake.done[port], m * sizeof(*res));
	memmove(fake.done[port], fake.done[port] + m,
	        (fake.n_done[port] - m) * sizeof(fake.done[port][0]));
	fake.n_done[port] -= m;
	return (int)m;
}

static int
fake_query(uint16_t port, struct rte_flow *flow, const struct rte_flow_action *action, void *data,
           struct rte_flow_error *error)
{
	struct fake_rule *r = (struct fake_rule *)flow;
	struct rte_flow_query_count *qc = data;
	uint64_t hits = 0, bytes = 0;

	assert_true(r->used);
	assert_int_equal(r->port, port);
	assert_int_equal(action->type, RTE_FLOW_ACTION_TYPE_COUNT);
	fake.queries++;
	if (r->sim == NULL ||
	    ft_sim_flow_query_count(fake.sim, r->sim, qc->reset, &hits, &bytes, error) != 0)
		return -ENOTSUP;
	qc->hits_set = qc->bytes_set = 1;
	qc->hits = hits;
	qc->bytes = bytes;
	return 0;
}

static int
fake_proxy(uint16_t port, uint16_t *proxy, struct rte_flow_error *error)
{
	(void)error;
	*proxy = port;
	return 0;
}

static const struct dpdk_flow_ops fake_ops = {
        .query = fake_query,
        .pick_transfer_proxy = fake_proxy,
        .info_get = fake_info_get,
        .configure = fake_configure,
        .pattern_template_create = fake_pt_create,
        .pattern_template_destroy = fake_pt_destroy,
        .actions_template_create = fake_at_create,
        .actions_template_destroy = fake_at_destroy,
        .template_table_create = fake_tbl_create,
        .template_table_destroy = fake_tbl_destroy,
        .async_create = fake_async_create,
        .async_destroy = fake_async_destroy,
        .push = fake_push,
        .pull = fake_pull,
        .port_stop = fake_stop,
        .port_start = fake_start,
};

/* The NIC's entropy for an encap's UDP source port: anything but the model's, never 0. */
static uint16_t
fake_entropy(void *arg, const uint8_t *inner, uint32_t len)
{
	(void)arg;
	return (uint16_t)(0xc000 | ((len > 12 ? inner[5] ^ inner[11] : 0) << 4) | (len & 0xf));
}

static const struct ft_sim_params sim_params = {.encap_udp_src = fake_entropy};

static void
fake_init(void)
{
	struct ft_error err = {0};

	memset(&fake, 0, sizeof(fake));
	fake.sim = ft_sim_create(ft_nic_profile_find(profile_name), &sim_params, &err);
	assert_non_null(fake.sim);
}

/* A port restart: the NIC forgets every rule (not the templates nor the tables). */
static void
fake_restart(void)
{
	for (uint32_t i = 0; i < FAKE_RULE_MAX; i++)
		if (fake.r[i].used) {
			if (fake.r[i].sim != NULL)
				ft_sim_flow_destroy(fake.sim, fake.r[i].sim, NULL);
			fake.r[i].tbl->n_rules--;
			memset(&fake.r[i], 0, sizeof(fake.r[i]));
			fake.n_rules--;
		}
	memset(fake.n_done, 0, sizeof(fake.n_done));
}

static void
fake_fini(void)
{
	assert_int_equal(fake.n_rules, 0);
	assert_int_equal(fake.n_tbl, 0);
	assert_int_equal(fake.n_pt, 0);
	assert_int_equal(fake.n_at, 0);
	assert_int_equal(ft_sim_flow_count(fake.sim), 0);
	ft_sim_destroy(fake.sim);
	fake.sim = NULL;
}

/* After a sync: no empty table, no template without a table, every rule the backend's. */
static void
fake_check(const struct ft_dpdk_flow *f)
{
	for (uint32_t i = 0; i < FAKE_OBJ_MAX; i++) {
		bool used = false;

		if (fake.tbl[i].used)
			assert_true(fake.tbl[i].n_rules > 0);
		for (uint32_t j = 0; fake.pt[i].used && j < FAKE_OBJ_MAX; j++)
			for (uint8_t k = 0; fake.tbl[j].used && k < fake.tbl[j].n_pt; k++)
				used |= fake.tbl[j].pt[k] == &fake.pt[i];
		for (uint32_t j = 0; fake.at[i].used && j < FAKE_OBJ_MAX; j++)
			for (uint8_t k = 0; fake.tbl[j].used && k < fake.tbl[j].n_at; k++)
				used |= fake.tbl[j].at[k] == &fake.at[i];
		assert_true(used || (!fake.pt[i].used && !fake.at[i].used));
	}
	assert_int_equal(fake.n_rules, ft_dpdk_flow_n_rules(f));
	for (uint32_t i = 0; i < ft_dpdk_flow_n_rules(f); i++) {
		const struct fake_rule *r = (const struct fake_rule *)f->flows[i].flow;

		assert_true(r >= fake.r && r < fake.r + FAKE_RULE_MAX && r->used);
		assert_int_equal(r->tbl->attr.flow_attr.priority % 2, f->flows[i].parity);
	}
	for (uint32_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		assert_int_equal(fake.n_done[p], 0); /* every completion pulled */
}

static const struct fake_rule *
fake_rule_of(const struct ft_sim_flow *sf)
{
	for (uint32_t i = 0; i < FAKE_RULE_MAX; i++)
		if (fake.r[i].used && fake.r[i].sim == sf)
			return &fake.r[i];
	return NULL;
}

/* Rules the NIC executes (installed, not refused). */
static uint32_t
fake_live_rules(void)
{
	return ft_sim_flow_count(fake.sim);
}

/* --- Two pipelines: the model, and the backend's ---------------------------------------- */

static const char *const setup_lines[] = {
        "vtep set local-ip 10.0.0.1 learning off",
        "port add 1 uplink lladdr 02:00:00:00:01:01",
        "port add 2 access vni 100",
        "port add 3 access vni 100",
        "port add 4 access vni 200 vlan 10",
        "port add 5 access vni 300",
        "nexthop add 10.0.0.0/24 lladdr 02:00:00:00:0f:0f",
};

static void
side_init(struct test_side *s)
{
	struct ft_error err = {0};

	test_side_init(s, POOL_PKTS, BUF_LEN);
	for (uint32_t i = 0; i < ARRAY_SIZE(setup_lines); i++)
		assert_int_equal(ft_ctl_exec(s->ctl, setup_lines[i], NULL, NULL, &err), 0);
}

struct run {
	struct test_side a, b; /* a: the model alone; b: the backend's */
	struct ft_dpdk_flow *f;
	uint64_t packets, nic, resumed, software, wire; /* wire: sent by the NIC itself */
};

/* A control-plane command on both sides. */
static void
both(struct run *r, const char *line)
{
	struct ft_error ea = {0}, eb = {0};
	int ra = ft_ctl_exec(r->a.ctl, line, NULL, NULL, &ea);
	int rb = ft_ctl_exec(r->b.ctl, line, NULL, NULL, &eb);

	if (ra != rb)
		fail_msg("'%s': model %d (%s), backend %d (%s)", line, ra, ea.message, rb,
		         eb.message);
}

static struct ft_dpdk_flow *
backend_create(struct test_side *b, struct ft_error *err)
{
	static const uint16_t ports[N_PORTS] = {1, 2, 3, 4, 5};
	struct ft_dpdk_flow_params fp = {
	        .ports = ports, .n_ports = N_PORTS, .profile = ft_nic_profile_find(profile_name)};
	struct ft_dpdk_flow *f;

	dpdk_flow_set_ops(&fake_ops);
	f = ft_dpdk_flow_create(b->pipe, &fp, err);
	dpdk_flow_set_ops(NULL);
	return f;
}

/* --- Random packets (as tests/offload/test_twin.c's, fewer kinds) -------------------------- */

static uint64_t rng_state;

static uint32_t
rn(uint32_t n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dull) >> 33) % n;
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
	put16(p + 2, v & 0xffff);
}

static void
ipv4_csum(uint8_t *ip)
{
	uint32_t s = 0;

	ip[10] = ip[11] = 0;
	for (uint32_t i = 0; i < 20; i += 2)
		s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	put16(ip + 10, (uint16_t)~s);
}

static void
put_mac(uint8_t *p)
{
	if (rn(6) == 0) {
		memset(p, 0xff, 6);
		return;
	}
	memcpy(p, "\x02\x00\x00\x00\x00", 5);
	p[5] = (uint8_t)(0x0a + rn(16));
}

/* An Ethernet / IPv4 / UDP frame at p, maybe VLAN-tagged. Returns its length. */
static uint32_t
put_frame(uint8_t *p, bool tagged)
{
	uint32_t n = 14, pay = 18 + rn(40);

	put_mac(p);
	memcpy(p + 6, "\x02\x00\x00\x00\x00", 5);
	p[11] = (uint8_t)(0x0a + rn(16));
	if (tagged) {
		put16(p + 12, 0x8100);
		put16(p + 14, 10);
		n += 4;
	}
	put16(p + n - 2, 0x0800);
	memset(p + n, 0, 20);
	p[n] = 0x45;
	put16(p + n + 2, 28 + pay);
	p[n + 8] = 64;
	p[n + 9] = 17;
	put32(p + n + 12, 0xc0a80064);
	put32(p + n + 16, 0xc0a80000 | (1 + rn(8)));
	ipv4_csum(p + n);
	n += 20;
	put16(p + n, 1000);
	put16(p + n + 2, 2000);
	put16(p + n + 4, 8 + pay);
	put16(p + n + 6, 0);
	memset(p + n + 8, 0xcd, pay);
	return n + 8 + pay;
}

static const uint32_t vnis[] = {100, 200, 300, 400};

/* A random packet into p: VXLAN on the uplink, a frame on an access port. */
static uint32_t
rand_packet(uint8_t *p, uint32_t *port)
{
	uint32_t n;

	*port = 1 + rn(5);
	if (*port == 1) {
		const uint32_t l3 = 14, l4 = 34, vx = 42;

		memcpy(p, "\x02\x00\x00\x00\x01\x01\x02\x00\x00\x00\x0f\x0f", 12);
		put16(p + 12, 0x0800);
		memset(p + l3, 0, 20);
		p[l3] = 0x45;
		p[l3 + 8] = 64;
		p[l3 + 9] = 17;
		put32(p + l3 + 12, 0x0a000002 + rn(4));
		put32(p + l3 + 16, rn(10) ? 0x0a000001 : 0x0a000063);
		put16(p + l4, 49152 + rn(16384));
		put16(p + l4 + 2, rn(10) ? 4789 : 4790);
		put16(p + l4 + 6, 0);
		memset(p + vx, 0, 8);
		p[vx] = 0x08;
		put32(p + vx + 4, (rn(10) ? vnis[rn(4)] : rn(1 << 24)) << 8);
		n = vx + 8 + put_frame(p + vx + 8, false);
		put16(p + l3 + 2, n - l3);
		put16(p + l4 + 4, n - l4);
		ipv4_csum(p + l3);
	} else {
		n = put_frame(p, *port == 4);
	}
	if (rn(16) == 0) /* malformed: truncated */
		n = rn(n + 1);
	return n;
}

static struct ft_pkt *
pkt_of(struct test_side *s, const uint8_t *bytes, uint32_t len, uint32_t port)
{
	struct ft_pkt *p = s->pool.alloc(s->pool.arg, BUF_LEN);

	assert_non_null(p);
	assert_int_equal(ft_pkt_init(p, p->buf, p->buf_len, FT_PKT_HEADROOM, (uint16_t)len, port),
	                 0);
	memcpy(ft_pkt_data(p), bytes, len);
	return p;
}

/* One packet on both sides: NULL when they agree, else what differs. */
static const char *
run_one(struct run *r, const uint8_t *bytes, uint32_t len, uint32_t port)
{
	static struct ft_burst_result ra;
	static struct ft_twin_result rb;
	static struct ft_dpdk_flow_result rd;
	struct ft_pkt *pa = pkt_of(&r->a, bytes, len, port), *pb = pkt_of(&r->b, bytes, len, port);
	struct ft_burst_result *br = &rb.burst;
	struct ft_sim_result sr;
	const char *why;

	assert_true(ft_worker_run(r->a.w, &pa, 1, &ra) >= 0);
	memset(&rb.pkt[0], 0, sizeof(rb.pkt[0]));
	br->n_tx = br->n_events = 0;
	br->drop[0] = FT_DROP_NONE;
	br->drop_action[0] = UINT16_MAX;
	br->used[0] = 0;
	pb->flags &= (uint16_t) ~(FT_PKT_F_MARK | FT_PKT_F_FLAG);
	assert_int_equal(ft_sim_rx(fake.sim, pb, &sr), 0);
	rb.pkt[0].undefined = sr.undefined;
	rb.pkt[0].path = FT_TWIN_NIC;
	switch (sr.fate) {
	case FT_SIM_DROP: {
		const struct fake_rule *fr = sr.n_hits > 0 && sr.n_hits <= FT_SIM_HITS_MAX
		                                     ? fake_rule_of(sr.hits[sr.n_hits - 1])
		                                     : NULL;
		uint32_t rule = UINT32_MAX;

		/* The compiled rule now installed with that handle (flow_private.h). */
		for (uint32_t i = 0; fr != NULL && i < r->f->n_flows; i++)
			if (r->f->flows[i].flow == (const struct rte_flow *)fr)
				rule = i;

		br->drop[0] = sr.drop;
		if (rule == UINT32_MAX ||
		    ft_offload_rule_drop(ft_dpdk_flow_offload(r->f), rule, &br->drop[0],
		                         &br->drop_action[0]) != 0 ||
		    br->drop[0] == FT_DROP_NONE)
			br->drop[0] = sr.drop;
		break;
	}
	case FT_SIM_PORT:
		r->wire++;
		ft_burst_send(br, pb, sr.port, 0);
		rb.pkt[0].encap_udp_src_off = sr.encap_udp_src_off;
		break;
	case FT_SIM_QUEUE:
	case FT_SIM_REPRESENTOR:
		assert_true(ft_dpdk_flow_run(r->f, r->b.w, &pb, 1, &rd) >= 0);
		*br = rd.burst;
		rb.pkt[0].path = rd.path[0];
		rb.pkt[0].bad_mark = rd.bad_mark > 0;
		/* Sent as the NIC left it (a restore context of kind output). */
		if (rd.path[0] == FT_TWIN_NIC)
			rb.pkt[0].encap_udp_src_off = sr.encap_udp_src_off;
		break;
	}
	r->packets++;
	r->nic += rb.pkt[0].path == FT_TWIN_NIC;
	r->resumed += rb.pkt[0].path == FT_TWIN_RESUMED;
	r->software += rb.pkt[0].path == FT_TWIN_SOFTWARE;
	why = ft_twin_diff(&ra, &rb, 0);
	for (uint32_t k = 0; k < ra.n_tx; k++)
		r->a.pool.free(r->a.pool.arg, ra.tx[k].pkt);
	for (uint32_t k = 0; k < br->n_tx; k++)
		r->b.pool.free(r->b.pool.arg, br->tx[k].pkt);
	if (!ra.used[0])
		r->a.pool.free(r->a.pool.arg, pa);
	if (!br->used[0])
		r->b.pool.free(r->b.pool.arg, pb);
	return why;
}

/* 'n' random packets: each must give the same result on both sides. */
static void
traffic(struct run *r, uint32_t n, const char *when)
{
	uint8_t bytes[BUF_LEN];

	for (uint32_t i = 0; i < n; i++) {
		uint32_t port, len = rand_packet(bytes, &port);
		const char *why = run_one(r, bytes, len, port);

		if (why != NULL)
			fail_msg("%s: packet %u (port %u, %u bytes): %s", when, i, port, len, why);
	}
}

/* Entries the NIC refused a rule of, now in software. */
static int
count_refused(const struct ft_placement *p, void *arg)
{
	*(uint32_t *)arg += p->reason != NULL && strcmp(p->reason, "the NIC refused its rule") == 0;
	return 0;
}

static void
run_init(struct run *r)
{
	struct ft_error err = {0};

	memset(r, 0, sizeof(*r));
	rng_state = 0x5eed5eedull;
	fake_init();
	side_init(&r->a);
	side_init(&r->b);
	r->f = backend_create(&r->b, &err);
	if (r->f == NULL)
		fail_msg("ft_dpdk_flow_create: %s", err.message);
}

static void
run_fini(struct run *r)
{
	ft_dpdk_flow_destroy(r->f);
	fake_fini();
	test_side_fini(&r->a);
	test_side_fini(&r->b);
}

/* --- Tests ---------------------------------------------------------------------------------- */

/* A sync whose rules go in before any goes out, the groups jumped to first. */
static void
mbb_sync(struct run *r)
{
	struct ft_error err = {0};

	fake.mbb = true;
	fake.destroys = 0;
	fake.last_group = UINT32_MAX;
	if (ft_dpdk_flow_sync(r->f, &err) != 0)
		fail_msg("ft_dpdk_flow_sync: %s", err.message);
	fake.mbb = false;
	fake_check(r->f);
}

static void
test_template_twin(void **state)
{
	static struct run r;
	struct ft_twin_sync_stats st;
	struct ft_error err = {0};
	uint32_t n, tables, n_sw = 0;
	char line[128];
	bool transfer;

	profile_name = *state;
	run_init(&r);
	assert_string_equal(ft_dpdk_flow_profile(r.f)->name, profile_name);
	transfer = ft_dpdk_flow_profile(r.f)->domain == FT_NIC_DOMAIN_TRANSFER;
	/* Each port: stopped, configured, started again. */
	assert_int_equal(fake.configures, N_PORTS);
	assert_int_equal(fake.stops, N_PORTS);
	assert_int_equal(fake.starts, N_PORTS);

	/* First install: an FDB for three VNIs, a flood list, a local MAC. */
	for (uint32_t i = 0; i < 12; i++) {
		snprintf(line, sizeof(line), "fdb add 02:00:00:00:00:%02x vni %u dst 10.0.0.%u",
		         0x0a + i, vnis[i % 3], 2 + i % 4);
		both(&r, line);
	}
	both(&r, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.2");
	both(&r, "fdb append 00:00:00:00:00:00 vni 100 dst 10.0.0.3");
	both(&r, "fdb add 02:00:00:00:00:19 vni 100 port 3");
	mbb_sync(&r);
	n = ft_dpdk_flow_n_rules(r.f);
	assert_true(n > 10);
	assert_int_equal(fake.n_rules, n);
	assert_int_equal(fake_live_rules(), n);
	assert_true(fake.n_tbl > 0 && fake.n_pt > 0 && fake.n_at > 0);
	ft_dpdk_flow_last_sync(r.f, &st);
	assert_int_equal(st.added, n);
	for (uint32_t i = 0; i < FAKE_OBJ_MAX; i++)
		if (fake.tbl[i].used)
			assert_true(transfer ? fake.tbl[i].attr.flow_attr.transfer
			                     : fake.tbl[i].attr.flow_attr.ingress);
	traffic(&r, 2000, "first install");
	assert_true(r.nic + r.resumed > 0);

	/* Nothing changed: nothing moves. */
	tables = fake.tables_made;
	mbb_sync(&r);
	ft_dpdk_flow_last_sync(r.f, &st);
	assert_int_equal(st.kept, n);
	assert_int_equal(st.added + st.removed, 0);
	assert_int_equal(fake.tables_made, tables);

	/* Removed, added, changed entries: make-before-break, then the same results. */
	both(&r, "fdb del 02:00:00:00:00:0a vni 100");
	both(&r, "fdb add 02:00:00:00:00:0b vni 200 dst 10.0.0.9");
	both(&r, "fdb add 02:00:00:00:00:30 vni 300 dst 10.0.0.4");
	both(&r, "fdb del 00:00:00:00:00:00 vni 100 dst 10.0.0.3");
	mbb_sync(&r);
	ft_dpdk_flow_last_sync(r.f, &st);
	assert_true(st.kept > 0);
	assert_true(st.added > 0 && st.removed > 0);
	assert_int_equal(fake.n_rules, ft_dpdk_flow_n_rules(r.f));
	assert_int_equal(fake_live_rules(), ft_dpdk_flow_n_rules(r.f));
	traffic(&r, 2000, "after an update");

	/* Tables outgrow their size: bigger ones next to them, the old ones go. */
	tables = fake.tables_made;
	for (uint32_t i = 0; i < 60; i++) {
		snprintf(line, sizeof(line), "fdb add 02:00:00:00:01:%02x vni %u dst 10.0.0.%u", i,
		         vnis[i % 3], 2 + i % 4);
		both(&r, line);
	}
	mbb_sync(&r);
	assert_true(fake.tables_made > tables);
	assert_int_equal(fake.n_rules, ft_dpdk_flow_n_rules(r.f));
	assert_int_equal(fake_live_rules(), ft_dpdk_flow_n_rules(r.f));
	traffic(&r, 2000, "after tables grew");

	/* Counters: read with reset, the backend's entries count what the model's do. */
	assert_int_equal(ft_dpdk_flow_counters_collect(r.f), 0);
	assert_true(fake.queries > 0);
	assert_int_equal(test_entry_packets(r.b.pipe), test_entry_packets(r.a.pipe));
	assert_int_equal(ft_dpdk_flow_counters_collect(r.f), 0); /* reset: nothing new */
	assert_int_equal(test_entry_packets(r.b.pipe), test_entry_packets(r.a.pipe));

	/* Rules refused at their completion: their entry goes back to software. */
	ft_offload_placement_walk(ft_dpdk_flow_offload(r.f), count_refused, &n_sw);
	assert_int_equal(n_sw, 0);
	fake.refuse_mac_on = true;
	memcpy(fake.refuse_mac, "\x02\x00\x00\x00\x00\x31", 6);
	both(&r, "fdb add 02:00:00:00:00:31 vni 300 dst 10.0.0.5");
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), 0);
	assert_true(fake.refused > 0);
	fake.refuse_mac_on = false;
	fake_check(r.f);
	ft_offload_placement_walk(ft_dpdk_flow_offload(r.f), count_refused, &n_sw);
	assert_true(n_sw > 0);
	assert_int_equal(fake.n_rules, ft_dpdk_flow_n_rules(r.f));
	assert_int_equal(fake_live_rules(), ft_dpdk_flow_n_rules(r.f));
	traffic(&r, 2000, "after a refused completion");

	/* A port restart: the rules are gone, the tables stay; reinstall puts them back. */
	tables = fake.tables_made;
	n = ft_dpdk_flow_n_rules(r.f);
	assert_int_equal(ft_dpdk_flow_counters_collect(r.f), 0); /* a restart loses the NIC's */
	assert_int_equal(test_entry_packets(r.b.pipe), test_entry_packets(r.a.pipe));
	fake_restart();
	assert_int_equal(fake_live_rules(), 0);
	assert_int_equal(ft_dpdk_flow_reinstall(r.f, &err), 0);
	fake_check(r.f);
	assert_int_equal(ft_dpdk_flow_n_rules(r.f), n);
	assert_int_equal(fake_live_rules(), n);
	assert_int_equal(fake.tables_made, tables);
	traffic(&r, 2000, "after a restart");
	assert_int_equal(ft_dpdk_flow_counters_collect(r.f), 0);
	assert_int_equal(test_entry_packets(r.b.pipe), test_entry_packets(r.a.pipe));

	/* The queue (256 here) never held more than it can. */
	assert_true(fake.pending_max <= 256);
	print_message("template twin, %s: %" PRIu64 " packets: %" PRIu64
	              " finished by the NIC (%" PRIu64 " sent from it), %" PRIu64
	              " resumed, %" PRIu64 " from the start; %u rules\n",
	              profile_name, r.packets, r.nic, r.wire, r.resumed, r.software,
	              ft_dpdk_flow_n_rules(r.f));
	run_fini(&r);
}

static void
test_template_errors(void **state)
{
	static struct run r;
	struct test_side b;
	struct ft_error err = {0};

	(void)state;
	profile_name = "cx7";
	/* rte_flow_configure() fails: a clear error, the port started again, nothing left. */
	fake_init();
	side_init(&b);
	fake.configure_code = -EINVAL;
	assert_null(backend_create(&b, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_int_equal(err.kind, FT_ERR_RESOURCE);
	assert_int_equal(err.index, 1);
	assert_non_null(strstr(err.message, "port 1: rte_flow_configure: fake: bad configuration"));
	assert_int_equal(fake.stops, 1);
	assert_int_equal(fake.starts, 1);
	fake_fini();
	test_side_fini(&b);

	/* The probe at start: a capability the profile uses and the NIC refuses. */
	fake_init();
	side_init(&b);
	fake.no_decap = true;
	assert_null(backend_create(&b, &err));
	assert_int_equal(err.code, -ENOTSUP);
	assert_non_null(strstr(err.message, "port 1: rte_flow_actions_template_create refused "
	                                    "vxlan_decap in ingress (profile cx7, "));
	assert_non_null(strstr(err.message, "fake: no decap"));
	assert_int_equal(fake.starts, fake.stops);
	fake_fini();
	test_side_fini(&b);

	/* A rule refused when enqueued, for another reason than room: the NIC is emptied. */
	run_init(&r);
	both(&r, "fdb add 02:00:00:00:00:0a vni 100 dst 10.0.0.2");
	both(&r, "fdb add 02:00:00:00:00:0b vni 200 dst 10.0.0.3");
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), 0);
	fake.enqueue_code = EINVAL;
	fake.refuse_at = fake.creates;
	both(&r, "fdb add 02:00:00:00:00:0c vni 100 dst 10.0.0.4");
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), -EINVAL);
	assert_int_equal(err.kind, FT_ERR_RULE);
	assert_non_null(strstr(err.message, "rte_flow_async_create: fake: refused"));
	assert_non_null(strstr(err.message, "flow create"));
	assert_int_equal(ft_dpdk_flow_n_rules(r.f), 0);
	assert_int_equal(fake.n_rules, 0);
	assert_int_equal(fake.n_tbl, 0); /* tables and templates of no rule are gone */
	assert_int_equal(fake.n_pt + fake.n_at, 0);
	traffic(&r, 500, "with no rule");
	fake.enqueue_code = 0;

	/* A refused table: the same, naming the call. */
	fake.table_code = EINVAL;
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), -EINVAL);
	assert_non_null(strstr(err.message, "rte_flow_template_table_create: fake: no such table"));
	assert_int_equal(fake.n_rules + fake.n_tbl + fake.n_pt + fake.n_at, 0);
	fake.table_code = 0;

	/* The NIC works again: everything goes back in. */
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), 0);
	assert_true(ft_dpdk_flow_n_rules(r.f) > 0);
	traffic(&r, 500, "back in the NIC");

	/* No room when enqueued (ENOSPC), once: tried again from empty, everything goes in. */
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), 0);
	fake.enqueue_code = ENOSPC;
	fake.refuse_at = fake.creates;
	both(&r, "fdb add 02:00:00:00:00:0d vni 200 dst 10.0.0.5");
	assert_int_equal(ft_dpdk_flow_sync(r.f, &err), 0);
	assert_int_equal(fake.creates, fake.refuse_at + 1 + ft_dpdk_flow_n_rules(r.f));
	assert_int_equal(fake_live_rules(), ft_dpdk_flow_n_rules(r.f));
	fake_check(r.f);
	traffic(&r, 500, "after a retry from empty");
	fake.enqueue_code = 0;
	run_fini(&r);
}

static int
port_id(const char *name, uint16_t want)
{
	uint16_t id;

	if (rte_eth_dev_get_port_by_name(name, &id) != 0 || id != want) {
		fprintf(stderr, "port %s is not %u\n", name, want);
		return -1;
	}
	return 0;
}

int
main(void)
{
	const struct CMUnitTest eal[] = {
	        cmocka_unit_test_prestate(test_template_twin, (void *)"cx7"),
	        cmocka_unit_test_prestate(test_template_twin, (void *)"bf3"),
	        cmocka_unit_test(test_template_errors),
	};
	char prefix[64];
	char *argv[] = {"test_dpdk_template",
	                "-l",
	                "0",
	                "--no-huge",
	                "-m",
	                "256",
	                "--no-pci",
	                "--no-shconf",
	                prefix,
	                "--vdev=net_null0",
	                "--vdev=net_ring0",
	                "--vdev=net_ring1",
	                "--vdev=net_ring2",
	                "--vdev=net_ring3",
	                "--vdev=net_ring4",
	                "--log-level=lib.eal:error",
	                NULL};
	struct ft_error err = {0};
	int rc;

	if (getenv("FT_SOURCE_ROOT") == NULL)
		setenv("FT_SOURCE_ROOT", ".", 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=ft_dpdk_tmpl_%d", (int)getpid());
	if (ft_dpdk_eal_init((int)ARRAY_SIZE(argv) - 1, argv, &err) < 0) {
		fprintf(stderr, "%s: %s\n", err.object, err.message);
		if (UNDER_ASAN) {
			printf("SKIP: the EAL does not start under AddressSanitizer here\n");
			return 77;
		}
		return 1;
	}
	if (port_id("net_null0", 0) || port_id("net_ring0", 1) || port_id("net_ring4", 5))
		return 1;
	rc = cmocka_run_group_tests_name("template", eal, NULL, NULL);
	ft_dpdk_eal_cleanup();
	return rc != 0;
}
