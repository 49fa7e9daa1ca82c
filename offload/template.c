/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The template plan (include/flowtwin/template.h): the compiled rules of an
 * ft_offload regrouped for DPDK 22.11's asynchronous template API, pattern
 * templates, actions templates, template tables and the place of every rule
 * in them, and their text as dpdk-testpmd commands. Part of offload/: it
 * reads rte_flow's types, never calls a port, and prints through
 * flow_text.c's printers.
 *
 * The plan first copies every rule (ft_offload_rule() into its own
 * ft_flow_buf: the rules' pointers point into those copies, so the plan's
 * templates may point there too). It then keys each rule's pattern by its
 * item types and masks, and its actions by their types, dedupes the keys
 * per port and direction into templates, decides per actions template which
 * fields are constant, and packs the rules of each (port, direction, group,
 * priority) into tables within the per-table template limits.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/flow_text.h>
#include <flowtwin/template.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PATTERN_TEMPLATES_MAX_DEFAULT 2  /* mlx5 22.11: MLX5_HW_TBL_MAX_ITEM_TEMPLATE */
#define ACTIONS_TEMPLATES_MAX_DEFAULT 32 /* mlx5 22.11: MLX5_HW_TBL_MAX_ACTION_TEMPLATE */
#define TABLE_FLOWS_MIN               16
#define QUEUE_SIZE_MIN                64
#define CONF_MAX                      32 /* bytes of the largest flat action configuration */
#define LINE_BUF                      4096

/* --- Layouts ------------------------------------------------------------------------ */

struct item_layout {
	enum rte_flow_item_type type;
	size_t size;
	const void *default_mask;
};

#define IL(T, t)                                                                                   \
	{                                                                                          \
		RTE_FLOW_ITEM_TYPE_##T, sizeof(struct rte_flow_item_##t),                          \
		        &rte_flow_item_##t##_mask                                                  \
	}
static const struct item_layout item_layouts[] = {
        IL(ETH, eth),
        IL(VLAN, vlan),
        IL(IPV4, ipv4),
        IL(IPV6, ipv6),
        IL(UDP, udp),
        IL(TCP, tcp),
        IL(VXLAN, vxlan),
        IL(TAG, tag),
        IL(META, meta),
        IL(MARK, mark),
        IL(INTEGRITY, integrity),
        IL(PORT_ID, port_id),
        {RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, sizeof(struct rte_flow_item_ethdev),
         &rte_flow_item_ethdev_mask},
        {RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR, sizeof(struct rte_flow_item_ethdev),
         &rte_flow_item_ethdev_mask},
};

static const struct item_layout *
item_layout(enum rte_flow_item_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(item_layouts); i++)
		if (item_layouts[i].type == type)
			return &item_layouts[i];
	return NULL;
}

/* How a field of an action's configuration goes into an actions template. */
enum fpolicy {
	P_SHARED,   /* constant when every rule has the same value */
	P_PER_RULE, /* always the rule's: an entry's value */
};

struct conf_field {
	uint8_t off, size;
	uint8_t policy;
};

/* An action with a flat configuration: its size and fields. */
struct action_layout {
	enum rte_flow_action_type type;
	uint8_t conf_size; /* 0: no configuration */
	bool deep;         /* points to more data: whole or nothing */
	struct conf_field fields[3];
	uint8_t n_fields;
};

#define CF(T, m, p)                                                                                \
	{                                                                                          \
		offsetof(T, m), sizeof(((T *)0)->m), p                                             \
	}
static const struct action_layout action_layouts[] = {
        {RTE_FLOW_ACTION_TYPE_VOID, 0, false, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_DROP, 0, false, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_FLAG, 0, false, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_VXLAN_DECAP, 0, false, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_OF_POP_VLAN, 0, false, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_COUNT,
         sizeof(struct rte_flow_action_count),
         false,
         {CF(struct rte_flow_action_count, id, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_MARK,
         sizeof(struct rte_flow_action_mark),
         false,
         {CF(struct rte_flow_action_mark, id, P_PER_RULE)},
         1},
        {RTE_FLOW_ACTION_TYPE_JUMP,
         sizeof(struct rte_flow_action_jump),
         false,
         {CF(struct rte_flow_action_jump, group, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_QUEUE,
         sizeof(struct rte_flow_action_queue),
         false,
         {CF(struct rte_flow_action_queue, index, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_SET_TAG,
         sizeof(struct rte_flow_action_set_tag),
         false,
         {CF(struct rte_flow_action_set_tag, data, P_PER_RULE),
          CF(struct rte_flow_action_set_tag, mask, P_SHARED),
          CF(struct rte_flow_action_set_tag, index, P_SHARED)},
         3},
        {RTE_FLOW_ACTION_TYPE_SET_META,
         sizeof(struct rte_flow_action_set_meta),
         false,
         {CF(struct rte_flow_action_set_meta, data, P_PER_RULE),
          CF(struct rte_flow_action_set_meta, mask, P_SHARED)},
         2},
        {RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
         sizeof(struct rte_flow_action_of_push_vlan),
         false,
         {CF(struct rte_flow_action_of_push_vlan, ethertype, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
         sizeof(struct rte_flow_action_of_set_vlan_vid),
         false,
         {CF(struct rte_flow_action_of_set_vlan_vid, vlan_vid, P_PER_RULE)},
         1},
        {RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
         sizeof(struct rte_flow_action_of_set_vlan_pcp),
         false,
         {CF(struct rte_flow_action_of_set_vlan_pcp, vlan_pcp, P_PER_RULE)},
         1},
        {RTE_FLOW_ACTION_TYPE_SET_MAC_SRC,
         sizeof(struct rte_flow_action_set_mac),
         false,
         {CF(struct rte_flow_action_set_mac, mac_addr, P_PER_RULE)},
         1},
        {RTE_FLOW_ACTION_TYPE_SET_MAC_DST,
         sizeof(struct rte_flow_action_set_mac),
         false,
         {CF(struct rte_flow_action_set_mac, mac_addr, P_PER_RULE)},
         1},
        /* The 'original' bit and the id: two 32-bit words. */
        {RTE_FLOW_ACTION_TYPE_PORT_ID,
         sizeof(struct rte_flow_action_port_id),
         false,
         {{0, 4, P_SHARED}, CF(struct rte_flow_action_port_id, id, P_SHARED)},
         2},
        {RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT,
         sizeof(struct rte_flow_action_ethdev),
         false,
         {CF(struct rte_flow_action_ethdev, port_id, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR,
         sizeof(struct rte_flow_action_ethdev),
         false,
         {CF(struct rte_flow_action_ethdev, port_id, P_SHARED)},
         1},
        {RTE_FLOW_ACTION_TYPE_RSS, 0, true, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_RAW_ENCAP, 0, true, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_RAW_DECAP, 0, true, {{0}}, 0},
        {RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP, 0, true, {{0}}, 0},
};

_Static_assert(sizeof(struct rte_flow_action_set_tag) <= CONF_MAX, "CONF_MAX");
_Static_assert(sizeof(struct rte_flow_action_port_id) == 8, "PORT_ID layout");

static const struct action_layout *
action_layout(enum rte_flow_action_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(action_layouts); i++)
		if (action_layouts[i].type == type)
			return &action_layouts[i];
	return NULL;
}

/* --- Deep configurations: equal or not --------------------------------------------- */

static bool
bytes_eq(const void *a, const void *b, size_t n)
{
	if (a == NULL || b == NULL)
		return a == b;
	return memcmp(a, b, n) == 0;
}

static bool
items_eq(const struct rte_flow_item *a, const struct rte_flow_item *b)
{
	for (;; a++, b++) {
		const struct item_layout *l;

		if (a->type != b->type)
			return false;
		if (a->type == RTE_FLOW_ITEM_TYPE_END)
			return true;
		l = item_layout(a->type);
		if (l == NULL)
			return false; /* unknown: never shared */
		if (!bytes_eq(a->spec, b->spec, l->size) || !bytes_eq(a->mask, b->mask, l->size) ||
		    !bytes_eq(a->last, b->last, l->size))
			return false;
	}
}

static bool
deep_conf_eq(enum rte_flow_action_type type, const void *a, const void *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	switch (type) {
	case RTE_FLOW_ACTION_TYPE_RAW_ENCAP: {
		const struct rte_flow_action_raw_encap *x = a, *y = b;

		return x->size == y->size && bytes_eq(x->data, y->data, x->size) &&
		       bytes_eq(x->preserve, y->preserve, x->size);
	}
	case RTE_FLOW_ACTION_TYPE_RAW_DECAP: {
		const struct rte_flow_action_raw_decap *x = a, *y = b;

		return x->size == y->size && bytes_eq(x->data, y->data, x->size);
	}
	case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: {
		const struct rte_flow_action_vxlan_encap *x = a, *y = b;

		if (x->definition == NULL || y->definition == NULL)
			return x->definition == y->definition;
		return items_eq(x->definition, y->definition);
	}
	case RTE_FLOW_ACTION_TYPE_RSS: {
		const struct rte_flow_action_rss *x = a, *y = b;

		return x->func == y->func && x->level == y->level && x->types == y->types &&
		       x->key_len == y->key_len && x->queue_num == y->queue_num &&
		       bytes_eq(x->key, y->key, x->key_len) &&
		       bytes_eq(x->queue, y->queue, x->queue_num * sizeof(*x->queue));
	}
	default:
		return false;
	}
}

/* --- The plan -------------------------------------------------------------------------- */

struct ptpl {
	struct ft_pattern_template pub;
	uint8_t dir; /* ingress | egress << 1 | transfer << 2 */
	uint32_t n_items;
	struct rte_flow_item items[FT_FLOW_ITEMS_MAX + 1];
};

struct atpl {
	struct ft_actions_template pub;
	uint8_t dir;
	uint32_t n_actions;
	uint32_t first; /* its first rule: deep constant confs point into its copy */
	struct rte_flow_action actions[FT_FLOW_ACTIONS_MAX + 1];
	struct rte_flow_action masks[FT_FLOW_ACTIONS_MAX + 1];
	uint8_t conf[FT_FLOW_ACTIONS_MAX][CONF_MAX] __attribute__((aligned(8)));
	uint8_t mask[FT_FLOW_ACTIONS_MAX][CONF_MAX] __attribute__((aligned(8)));
	bool varies[FT_FLOW_ACTIONS_MAX][3]; /* per field: not the same in every rule */
};

struct table {
	struct ft_template_table pub;
	uint8_t dir;
	uint32_t group, priority;
	uint32_t *pt, *at; /* plan indexes */
	uint32_t n_pt, n_at;
};

struct ft_template_plan {
	struct ft_flow_buf *bufs; /* the rules, copied */
	uint32_t n_rules;
	struct ft_template_rule *rules;
	struct ft_template_port *ports;
	uint32_t n_ports;
	struct ptpl *pts;
	uint32_t n_pts;
	struct atpl *ats;
	uint32_t n_ats;
	struct table *tables;
	uint32_t n_tables;
	uint32_t pt_max, at_max;
};

static uint8_t
dir_of(const struct rte_flow_attr *a)
{
	return (uint8_t)(a->ingress | a->egress << 1 | a->transfer << 2);
}

/* The smallest power of two >= max(2 * n, floor). */
static uint32_t
room(uint32_t n, uint32_t floor)
{
	uint64_t want = (uint64_t)n * 2, v = floor;

	while (v < want && v < (UINT64_C(1) << 31))
		v <<= 1;
	return (uint32_t)v;
}

static bool
mask_zero(const void *m, size_t n)
{
	const uint8_t *p = m;

	for (size_t i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* The rule's pattern as a template: masks only. */
static int
pattern_of(const struct ft_flow_buf *b, uint32_t rule, struct ptpl *out, struct ft_error *err)
{
	uint32_t n;

	memset(out, 0, sizeof(*out));
	for (n = 0; b->pattern[n].type != RTE_FLOW_ITEM_TYPE_END; n++) {
		const struct rte_flow_item *it = &b->pattern[n];
		const struct item_layout *l = item_layout(it->type);
		const void *mask;

		if (n == FT_FLOW_ITEMS_MAX)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, rule, "pattern",
			                    "more than %d items", FT_FLOW_ITEMS_MAX);
		if (l == NULL && it->type != RTE_FLOW_ITEM_TYPE_VOID)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, rule,
			                    ft_flow_item_name(it->type),
			                    "item %u: no pattern template layout for item type %d",
			                    n, (int)it->type);
		out->items[n].type = it->type;
		if (l == NULL || it->spec == NULL)
			continue;
		mask = it->mask != NULL ? it->mask : l->default_mask;
		if (it->last != NULL && !mask_zero(it->last, l->size)) {
			const uint8_t *s = it->spec, *la = it->last, *m = mask;

			for (size_t i = 0; i < l->size; i++)
				if ((s[i] & m[i]) != (la[i] & m[i]))
					return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, rule,
					                    ft_flow_item_name(it->type),
					                    "item %u: a range ('last'): "
					                    "rte_flow_async_create() "
					                    "takes only the spec of each item",
					                    n);
		}
		if (mask_zero(mask, l->size))
			continue;
		out->items[n].mask = mask;
		/* mlx5 reads the TAG register index from the template's spec. */
		if (it->type == RTE_FLOW_ITEM_TYPE_TAG)
			out->items[n].spec = it->spec;
	}
	out->items[n].type = RTE_FLOW_ITEM_TYPE_END;
	out->n_items = n;
	out->dir = dir_of(&b->attr);
	return 0;
}

static bool
pattern_eq(const struct ptpl *a, const struct ptpl *b)
{
	if (a->n_items != b->n_items || a->dir != b->dir)
		return false;
	for (uint32_t i = 0; i < a->n_items; i++) {
		const struct rte_flow_item *x = &a->items[i], *y = &b->items[i];
		const struct item_layout *l = item_layout(x->type);

		if (x->type != y->type)
			return false;
		if (l == NULL)
			continue;
		if (!bytes_eq(x->mask, y->mask, l->size))
			return false;
		if (x->type != RTE_FLOW_ITEM_TYPE_TAG)
			continue;
		if ((x->spec == NULL) != (y->spec == NULL))
			return false;
		if (x->spec != NULL && ((const struct rte_flow_item_tag *)x->spec)->index !=
		                               ((const struct rte_flow_item_tag *)y->spec)->index)
			return false;
	}
	return true;
}

/*
 * Whether rule 'b' belongs to actions template 'a' (whose first rule is
 * 'f'): the same types, and the same deep configurations (encapsulation
 * headers): those are the template's constants, because testpmd 22.11
 * cannot leave one to each rule (mask_printable()), and a header shared
 * by a template is one reformat object in the NIC.
 */
static bool
actions_eq(const struct atpl *a, const struct ft_flow_buf *f, const struct ft_flow_buf *b)
{
	uint32_t n;

	if (a->dir != dir_of(&b->attr))
		return false;
	for (n = 0; n < a->n_actions; n++) {
		const struct action_layout *l = action_layout(a->actions[n].type);

		if (b->actions[n].type != a->actions[n].type ||
		    (l->deep && !deep_conf_eq(l->type, f->actions[n].conf, b->actions[n].conf)))
			return false;
	}
	return b->actions[n].type == RTE_FLOW_ACTION_TYPE_END;
}

/* Starts an actions template from rule 'rule' (its first). */
static int
actions_start(struct atpl *t, const struct ft_flow_buf *b, uint32_t rule, struct ft_error *err)
{
	uint32_t n;

	memset(t, 0, sizeof(*t));
	for (n = 0; b->actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++) {
		const struct rte_flow_action *a = &b->actions[n];
		const struct action_layout *l = action_layout(a->type);

		if (n == FT_FLOW_ACTIONS_MAX)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, rule, "actions",
			                    "more than %d actions", FT_FLOW_ACTIONS_MAX);
		if (l == NULL)
			return ft_error_set(
			        err, -ENOTSUP, FT_ERR_RULE, rule, ft_flow_action_name(a->type),
			        "action %u: no actions template layout for action type %d", n,
			        (int)a->type);
		if (l->conf_size > 0 && a->conf == NULL && a->type != RTE_FLOW_ACTION_TYPE_COUNT)
			return ft_error_set(err, -EINVAL, FT_ERR_RULE, rule,
			                    ft_flow_action_name(a->type),
			                    "action %u: no configuration", n);
		t->actions[n].type = a->type;
	}
	t->actions[n].type = RTE_FLOW_ACTION_TYPE_END;
	t->n_actions = n;
	t->dir = dir_of(&b->attr);
	t->first = rule;
	return 0;
}

/* Notes which fields of rule 'b' differ from the template's first rule 'f'. */
static void
actions_compare(struct atpl *t, const struct ft_flow_buf *f, const struct ft_flow_buf *b)
{
	for (uint32_t n = 0; n < t->n_actions; n++) {
		const struct action_layout *l = action_layout(t->actions[n].type);
		const void *x = f->actions[n].conf, *y = b->actions[n].conf;

		if (l->deep || l->conf_size == 0)
			continue; /* deep: the same in every rule (actions_eq()) */
		for (uint32_t k = 0; k < l->n_fields; k++) {
			const struct conf_field *cf = &l->fields[k];

			if (x == NULL || y == NULL
			            ? x != y
			            : memcmp((const uint8_t *)x + cf->off,
			                     (const uint8_t *)y + cf->off, cf->size) != 0)
				t->varies[n][k] = true;
		}
	}
}

/* Fills the template's values and masks once every rule has been compared. */
static void
actions_finish(struct atpl *t, const struct ft_flow_buf *f)
{
	for (uint32_t n = 0; n < t->n_actions; n++) {
		const struct action_layout *l = action_layout(t->actions[n].type);
		const void *x = f->actions[n].conf;
		bool any = false;

		t->masks[n].type = t->actions[n].type;
		if (l->deep) {
			t->actions[n].conf = x;
			t->masks[n].conf = x;
			continue;
		}
		if (l->conf_size == 0 || x == NULL)
			continue;
		for (uint32_t k = 0; k < l->n_fields; k++) {
			const struct conf_field *cf = &l->fields[k];

			if (cf->policy == P_PER_RULE || t->varies[n][k])
				continue;
			memcpy(t->conf[n] + cf->off, (const uint8_t *)x + cf->off, cf->size);
			memset(t->mask[n] + cf->off, 0xff, cf->size);
			any = true;
		}
		t->actions[n].conf = t->conf[n];
		t->masks[n].conf = any ? t->mask[n] : NULL;
	}
	t->masks[t->n_actions].type = RTE_FLOW_ACTION_TYPE_END;
}

static int
grow(void **arr, uint32_t n, size_t elem)
{
	void *p;

	/* Capacity 4, then doubled whenever n reaches a power of two. */
	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return 0;
	p = realloc(*arr, (n == 0 ? 4 : (size_t)n * 2) * elem);
	if (p == NULL)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int
table_add_id(uint32_t **arr, uint32_t *n, uint32_t v)
{
	uint32_t *p = realloc(*arr, (*n + 1) * sizeof(**arr));

	if (p == NULL)
		return -ENOMEM;
	p[(*n)++] = v;
	*arr = p;
	return 0;
}

static int
index_of(const uint32_t *arr, uint32_t n, uint32_t v)
{
	for (uint32_t i = 0; i < n; i++)
		if (arr[i] == v)
			return (int)i;
	return -1;
}

static struct ft_template_port *
port_get(struct ft_template_plan *p, uint16_t port)
{
	for (uint32_t i = 0; i < p->n_ports; i++)
		if (p->ports[i].port == port)
			return &p->ports[i];
	if (grow((void **)&p->ports, p->n_ports, sizeof(*p->ports)) < 0)
		return NULL;
	memset(&p->ports[p->n_ports], 0, sizeof(p->ports[0]));
	p->ports[p->n_ports].port = port;
	p->ports[p->n_ports].nb_queue = 1;
	return &p->ports[p->n_ports++];
}

static uint32_t
next_id(uint32_t n, uint16_t port, const void *arr, size_t elem, size_t port_off)
{
	uint32_t id = 0;

	for (uint32_t i = 0; i < n; i++)
		if (*(const uint16_t *)((const uint8_t *)arr + i * elem + port_off) == port)
			id++;
	return id;
}

/* The pattern template of rule i: found or added. */
static int
pattern_find(struct ft_template_plan *p, uint32_t i, struct ptpl *key, struct ft_error *err)
{
	int ret = pattern_of(&p->bufs[i], i, key, err);

	if (ret < 0)
		return ret;
	for (uint32_t k = 0; k < p->n_pts; k++)
		if (p->pts[k].pub.port == p->bufs[i].port && pattern_eq(&p->pts[k], key))
			return (int)k;
	if (grow((void **)&p->pts, p->n_pts, sizeof(*p->pts)) < 0)
		return -ENOMEM;
	struct ptpl *t = &p->pts[p->n_pts];

	*t = *key;
	t->pub.port = p->bufs[i].port;
	t->pub.id = next_id(p->n_pts, t->pub.port, p->pts, sizeof(*p->pts),
	                    offsetof(struct ptpl, pub.port));
	t->pub.attr.ingress = p->bufs[i].attr.ingress;
	t->pub.attr.egress = p->bufs[i].attr.egress;
	t->pub.attr.transfer = p->bufs[i].attr.transfer;
	return (int)p->n_pts++;
}

static int
actions_find(struct ft_template_plan *p, uint32_t i, struct ft_error *err)
{
	const struct ft_flow_buf *b = &p->bufs[i];
	int ret;

	for (uint32_t k = 0; k < p->n_ats; k++)
		if (p->ats[k].pub.port == b->port &&
		    actions_eq(&p->ats[k], &p->bufs[p->ats[k].first], b))
			return (int)k;
	if (grow((void **)&p->ats, p->n_ats, sizeof(*p->ats)) < 0)
		return -ENOMEM;
	struct atpl *t = &p->ats[p->n_ats];

	ret = actions_start(t, b, i, err);
	if (ret < 0)
		return ret;
	t->pub.port = b->port;
	t->pub.id = next_id(p->n_ats, b->port, p->ats, sizeof(*p->ats),
	                    offsetof(struct atpl, pub.port));
	t->pub.attr.ingress = b->attr.ingress;
	t->pub.attr.egress = b->attr.egress;
	t->pub.attr.transfer = b->attr.transfer;
	return (int)p->n_ats++;
}

/* The table for rule i with templates pt and at: the first that has room. */
static int
table_find(struct ft_template_plan *p, uint32_t i, uint32_t pt, uint32_t at)
{
	const struct ft_flow_buf *b = &p->bufs[i];
	uint8_t dir = dir_of(&b->attr);
	struct table *t;

	for (uint32_t k = 0; k < p->n_tables; k++) {
		t = &p->tables[k];
		if (t->pub.port != b->port || t->dir != dir || t->group != b->attr.group ||
		    t->priority != b->attr.priority)
			continue;
		bool has_pt = index_of(t->pt, t->n_pt, pt) >= 0;
		bool has_at = index_of(t->at, t->n_at, at) >= 0;

		if ((has_pt || t->n_pt < p->pt_max) && (has_at || t->n_at < p->at_max)) {
			if ((!has_pt && table_add_id(&t->pt, &t->n_pt, pt) < 0) ||
			    (!has_at && table_add_id(&t->at, &t->n_at, at) < 0))
				return -ENOMEM;
			return (int)k;
		}
	}
	if (grow((void **)&p->tables, p->n_tables, sizeof(*p->tables)) < 0)
		return -ENOMEM;
	t = &p->tables[p->n_tables];
	memset(t, 0, sizeof(*t));
	t->pub.port = b->port;
	t->pub.id = next_id(p->n_tables, b->port, p->tables, sizeof(*p->tables),
	                    offsetof(struct table, pub.port));
	t->dir = dir;
	t->group = b->attr.group;
	t->priority = b->attr.priority;
	t->pub.attr.flow_attr.group = b->attr.group;
	t->pub.attr.flow_attr.priority = b->attr.priority;
	t->pub.attr.flow_attr.ingress = b->attr.ingress;
	t->pub.attr.flow_attr.egress = b->attr.egress;
	t->pub.attr.flow_attr.transfer = b->attr.transfer;
	p->n_tables++;
	if (table_add_id(&t->pt, &t->n_pt, pt) < 0 || table_add_id(&t->at, &t->n_at, at) < 0)
		return -ENOMEM;
	return (int)p->n_tables - 1;
}

void
ft_template_plan_destroy(struct ft_template_plan *p)
{
	if (p == NULL)
		return;
	for (uint32_t k = 0; k < p->n_tables; k++) {
		free(p->tables[k].pt);
		free(p->tables[k].at);
	}
	free(p->tables);
	free(p->ats);
	free(p->pts);
	free(p->ports);
	free(p->rules);
	free(p->bufs);
	free(p);
}

static bool
has_count(const struct ft_flow_buf *b)
{
	for (uint32_t n = 0; b->actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++)
		if (b->actions[n].type == RTE_FLOW_ACTION_TYPE_COUNT)
			return true;
	return false;
}

static int
offload_rule(void *arg, uint32_t i, struct ft_flow_buf *out)
{
	return ft_offload_rule(arg, i, out);
}

int
ft_template_plan_create(const struct ft_offload *off, const struct ft_template_params *params,
                        struct ft_template_plan **plan, struct ft_error *err)
{
	return ft_template_plan_create_from(offload_rule, (void *)(uintptr_t)off,
	                                    ft_offload_n_rules(off), params, plan, err);
}

int
ft_template_plan_create_from(ft_template_rule_fn fn, void *arg, uint32_t n_rules,
                             const struct ft_template_params *params,
                             struct ft_template_plan **plan, struct ft_error *err)
{
	struct ft_template_plan *p;
	struct ptpl key;
	int ret = -ENOMEM;

	*plan = NULL;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		goto nomem;
	p->pt_max = params && params->pattern_templates_max ? params->pattern_templates_max
	                                                    : PATTERN_TEMPLATES_MAX_DEFAULT;
	p->at_max = params && params->actions_templates_max ? params->actions_templates_max
	                                                    : ACTIONS_TEMPLATES_MAX_DEFAULT;
	p->n_rules = n_rules;
	p->bufs = calloc(p->n_rules ? p->n_rules : 1, sizeof(*p->bufs));
	p->rules = calloc(p->n_rules ? p->n_rules : 1, sizeof(*p->rules));
	if (p->bufs == NULL || p->rules == NULL)
		goto nomem;
	/* Copy every rule: pointers in a buffer point into that buffer. */
	for (uint32_t i = 0; i < p->n_rules; i++) {
		if (fn(arg, i, &p->bufs[i]) < 0) {
			ret = ft_error_set(err, -EINVAL, FT_ERR_RULE, i, NULL,
			                   "rule %u cannot be read", i);
			goto fail;
		}
		p->rules[i].flow = &p->bufs[i];
	}
	/* Templates and tables, in rule order. */
	for (uint32_t i = 0; i < p->n_rules; i++) {
		int pt, at, tb;
		struct ft_template_port *port;

		pt = pattern_find(p, i, &key, err);
		if (pt < 0) {
			ret = pt;
			goto fail;
		}
		at = actions_find(p, i, err);
		if (at < 0) {
			ret = at;
			goto fail;
		}
		tb = table_find(p, i, (uint32_t)pt, (uint32_t)at);
		port = port_get(p, p->bufs[i].port);
		if (tb < 0 || port == NULL)
			goto nomem;
		p->rules[i].table = (uint32_t)tb;
		p->rules[i].pattern_index =
		        (uint32_t)index_of(p->tables[tb].pt, p->tables[tb].n_pt, (uint32_t)pt);
		p->rules[i].actions_index =
		        (uint32_t)index_of(p->tables[tb].at, p->tables[tb].n_at, (uint32_t)at);
		p->pts[pt].pub.n_rules++;
		p->ats[at].pub.n_rules++;
		p->tables[tb].pub.n_rules++;
		port->n_rules++;
		port->attr.nb_counters += has_count(&p->bufs[i]);
		actions_compare(&p->ats[at], &p->bufs[p->ats[at].first], &p->bufs[i]);
	}
	/* Now that every pointer into the arrays is final. */
	for (uint32_t k = 0; k < p->n_pts; k++)
		p->pts[k].pub.pattern = p->pts[k].items;
	for (uint32_t k = 0; k < p->n_ats; k++) {
		actions_finish(&p->ats[k], &p->bufs[p->ats[k].first]);
		p->ats[k].pub.actions = p->ats[k].actions;
		p->ats[k].pub.masks = p->ats[k].masks;
	}
	for (uint32_t k = 0; k < p->n_tables; k++) {
		struct table *t = &p->tables[k];

		t->pub.pattern_templates = t->pt;
		t->pub.n_pattern_templates = t->n_pt;
		t->pub.actions_templates = t->at;
		t->pub.n_actions_templates = t->n_at;
		t->pub.attr.nb_flows = room(t->pub.n_rules, TABLE_FLOWS_MIN);
	}
	for (uint32_t k = 0; k < p->n_ports; k++) {
		struct ft_template_port *pp = &p->ports[k];

		pp->queue.size = room(pp->n_rules, QUEUE_SIZE_MIN);
		pp->attr.nb_counters =
		        pp->attr.nb_counters ? room(pp->attr.nb_counters, TABLE_FLOWS_MIN) : 0;
	}
	*plan = p;
	return 0;
nomem:
	ret = ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
fail:
	ft_template_plan_destroy(p);
	return ret;
}

void
ft_template_plan_info(const struct ft_template_plan *p, struct ft_template_plan_info *out)
{
	out->ports = p->n_ports;
	out->pattern_templates = p->n_pts;
	out->actions_templates = p->n_ats;
	out->tables = p->n_tables;
	out->rules = p->n_rules;
}

const struct ft_template_port *
ft_template_plan_port(const struct ft_template_plan *p, uint32_t i)
{
	return i < p->n_ports ? &p->ports[i] : NULL;
}

const struct ft_pattern_template *
ft_template_plan_pattern(const struct ft_template_plan *p, uint32_t i)
{
	return i < p->n_pts ? &p->pts[i].pub : NULL;
}

const struct ft_actions_template *
ft_template_plan_actions(const struct ft_template_plan *p, uint32_t i)
{
	return i < p->n_ats ? &p->ats[i].pub : NULL;
}

const struct ft_template_table *
ft_template_plan_table(const struct ft_template_plan *p, uint32_t i)
{
	return i < p->n_tables ? &p->tables[i].pub : NULL;
}

const struct ft_template_rule *
ft_template_plan_rule(const struct ft_template_plan *p, uint32_t i)
{
	return i < p->n_rules ? &p->rules[i] : NULL;
}

/* --- testpmd text ---------------------------------------------------------------------- */

static const char *
dir_name(uint8_t dir)
{
	return dir & 4 ? "transfer" : dir & 2 ? "egress" : "ingress";
}

static int
emit(FILE *out, const char *head, const struct ft_flow_text_list *lists, uint32_t n,
     struct ft_error *err)
{
	char text[LINE_BUF];
	int len = ft_flow_testpmd_command(text, sizeof(text), head, lists, n, err);

	if (len < 0)
		return len;
	if ((size_t)len >= sizeof(text))
		return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, UINT32_MAX, head,
		                    "a command of %d characters", len);
	return fputs(text, out) < 0 ? -EIO : 0;
}

/* An action mask testpmd can write: every action there has a configuration. */
static int
mask_printable(const struct atpl *t, struct rte_flow_action *m, struct ft_error *err)
{
	static const uint8_t zero[CONF_MAX] __attribute__((aligned(8)));

	for (uint32_t n = 0; n <= t->n_actions; n++) {
		const struct action_layout *l = action_layout(t->masks[n].type);

		m[n] = t->masks[n];
		if (n == t->n_actions || m[n].conf != NULL || l == NULL)
			continue;
		if (m[n].type == RTE_FLOW_ACTION_TYPE_QUEUE) /* deep confs are constants: actions_eq() */
			return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, t->first,
			                    ft_flow_action_name(m[n].type),
			                    "actions template %u of port %u: testpmd 22.11 gives "
			                    "every masked action a configuration, so it cannot "
			                    "leave this action's configuration to each rule",
			                    t->pub.id, t->pub.port);
		if (l->conf_size > 0)
			m[n].conf = zero;
	}
	return 0;
}

int
ft_template_plan_testpmd(const struct ft_template_plan *p, FILE *out, struct ft_error *err)
{
	char head[256];
	int ret;

	for (uint32_t k = 0; k < p->n_ports; k++) {
		const struct ft_template_port *pp = &p->ports[k];

		if (fprintf(out,
		            "flow configure %u queues_number %u queues_size %u counters_number "
		            "%u\n",
		            pp->port, pp->nb_queue, pp->queue.size, pp->attr.nb_counters) < 0)
			return -EIO;
	}
	for (uint32_t k = 0; k < p->n_pts; k++) {
		const struct ptpl *t = &p->pts[k];
		struct ft_flow_text_list l = {
		        .keyword = "template", .pattern = t->items, .flags = FT_FLOW_TEXT_MASKS};

		snprintf(head, sizeof(head),
		         "flow pattern_template %u create %s pattern_template_id %u", t->pub.port,
		         dir_name(t->dir), t->pub.id);
		ret = emit(out, head, &l, 1, err);
		if (ret < 0)
			return ret;
	}
	for (uint32_t k = 0; k < p->n_ats; k++) {
		const struct atpl *t = &p->ats[k];
		struct rte_flow_action masks[FT_FLOW_ACTIONS_MAX + 1];
		struct ft_flow_text_list l[2] = {
		        {.keyword = "template", .actions = t->actions},
		        {.keyword = "mask", .actions = masks, .flags = FT_FLOW_TEXT_SAME_BUFS},
		};

		ret = mask_printable(t, masks, err);
		if (ret < 0)
			return ret;
		/* testpmd 22.11 wants the direction before the id here. */
		snprintf(head, sizeof(head),
		         "flow actions_template %u create %s actions_template_id %u", t->pub.port,
		         dir_name(t->dir), t->pub.id);
		ret = emit(out, head, l, 2, err);
		if (ret < 0)
			return ret;
	}
	for (uint32_t k = 0; k < p->n_tables; k++) {
		const struct table *t = &p->tables[k];
		int n = snprintf(
		        head, sizeof(head),
		        "flow template_table %u create table_id %u group %u priority %u %s "
		        "rules_number %u",
		        t->pub.port, t->pub.id, t->group, t->priority, dir_name(t->dir),
		        t->pub.attr.nb_flows);

		for (uint32_t i = 0; i < t->n_pt && n > 0 && (size_t)n < sizeof(head); i++)
			n += snprintf(head + n, sizeof(head) - (size_t)n, " pattern_template %u",
			              p->pts[t->pt[i]].pub.id);
		for (uint32_t i = 0; i < t->n_at && n > 0 && (size_t)n < sizeof(head); i++)
			n += snprintf(head + n, sizeof(head) - (size_t)n, " actions_template %u",
			              p->ats[t->at[i]].pub.id);
		if (n < 0 || (size_t)n >= sizeof(head) || n > FT_FLOW_TESTPMD_LINE_MAX)
			return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, UINT32_MAX,
			                    "flow template_table", "table %u: line too long",
			                    t->pub.id);
		if (fprintf(out, "%s\n", head) < 0)
			return -EIO;
	}
	for (uint32_t i = 0; i < p->n_rules; i++) {
		const struct ft_template_rule *r = &p->rules[i];
		const struct ft_flow_buf *b = r->flow;
		struct ft_flow_text_list l[2] = {
		        {.keyword = "pattern", .pattern = b->pattern},
		        {.keyword = "actions", .actions = b->actions},
		};

		snprintf(head, sizeof(head),
		         "flow queue %u create 0 template_table %u pattern_template %u "
		         "actions_template %u postpone no",
		         b->port, p->tables[r->table].pub.id, r->pattern_index, r->actions_index);
		ret = emit(out, head, l, 2, err);
		if (ret < 0) {
			if (err != NULL)
				err->index = i;
			return ret;
		}
	}
	for (uint32_t k = 0; k < p->n_ports; k++)
		if (fprintf(out, "flow push %u queue 0\nflow pull %u queue 0\n", p->ports[k].port,
		            p->ports[k].port) < 0)
			return -EIO;
	return 0;
}
