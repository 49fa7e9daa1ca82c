/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rte_flow backend under DPDK 22.11's template API (mlx5 dv_flow_en=2,
 * hardware steering): profiles cx7 and bf3. Part of driver/dpdk, the layer
 * that touches NICs (shared/DESIGN.md, Layers). flow.c creates the backend
 * and dispatches here (include/flowtwin/dpdk_flow.h is the API); the rules
 * are those offload/ compiles, regrouped by offload/template.c's plan
 * (include/flowtwin/template.h) into templates and tables.
 *
 * Configure. rte_flow_configure() takes a stopped port (22.11's ethdev
 * refuses a started one), so dpdk_tmpl_create() stops each port rules go
 * on, configures one flow queue and the counters, and starts the port
 * again, once, before any rule exists. It then probes what the profile
 * uses by template creation, as the sync API's pick does with
 * rte_flow_validate(): flow.c's probe rules as templates. The
 * configuration outlives a port restart; the rules do not (rte_flow's
 * rule: unless the port says RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP), so a
 * reinstall forgets their handles and enqueues them again into the tables,
 * which stay.
 *
 * Threads: the control thread only, as flow.c. The queue is flow queue 0
 * of each port; nothing else may use it.
 *
 * Objects. The NIC's pattern templates, actions templates and tables live
 * here across syncs, each template keyed by its text in testpmd syntax
 * (the same template is made once per port), each table by its port,
 * attributes and templates. In 22.11 a rule's priority is its table's: a
 * plan table becomes one NIC table per priority parity (priority 2p or
 * 2p + 1), as the sync API installs priority p.
 *
 * Updates, make-before-break, by offload/update.c's plan as flow.c does:
 *
 *  1. compile, then build the template plan of the new rules;
 *  2. find or create every template and table the new rules need; a plan
 *     table reuses a NIC table with the same port, attributes and
 *     templates when the table has room for its old rules plus the rules
 *     going in (its old rules leave only after); else a new table, twice
 *     as big as its rules, is created next to the old one;
 *  3. enqueue the new rules (postponed, pushed in batches), the groups
 *     jumped to first, each group's completions pulled before the next
 *     group goes in. A rule the plan keeps stays where it is if its table
 *     is the one chosen; else (its table changed) it is created again in
 *     the new table: both copies have the same match and actions, so
 *     whichever one a packet hits, it gets the same result;
 *  4. enqueue the removals (the groups that jump first) and pull them;
 *  5. destroy the tables no rule uses, then the templates no table uses.
 *
 * Refusals. A rule refused when enqueued (rte_flow_async_create() NULL)
 * or at its completion (RTE_FLOW_OP_ERROR, which says no more: taken as
 * a table without room, ENOSPC), a template or table the PMD refuses, or
 * a rule the template API cannot express (template.h: -ENOTSUP, its entry
 * goes to software at once): as in flow.c, what this update enqueued is
 * destroyed (every handle, the refused ones too), the NIC emptied, tried
 * again from empty, and for want of room the refused rule's entry goes
 * back to software (ft_offload_entry_refused()) and everything is tried
 * again; any other refusal leaves the NIC empty and says why
 * (dpdk_flow_error(): the call, the PMD's message, the rule).
 *
 * Counters: flow.c's collect, rte_flow_query() of COUNT with reset on each
 * rule's handle, as under the sync API.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_flow.h>

#include <flowtwin/flow_text.h>
#include <flowtwin/template.h>
#include <flowtwin/update.h>

#include "dpdk_private.h"
#include "flow_private.h"

#define QUEUE_SIZE     1024   /* operations one flow queue holds, at most */
#define TABLE_MIN      16     /* rules of the smallest table */
#define PULL_BURST     64     /* completions pulled at once */
#define PULL_SPINS     100000 /* empty pulls before giving up on a completion */
#define PT_MAX         8      /* pattern templates of one table (mlx5 22.11: 2) */
#define AT_MAX         32     /* actions templates of one table (mlx5 22.11: 32) */
#define KEY_MAX        16384
#define NONE           UINT32_MAX
#define COMPLETION_MSG "the NIC refused the rule at its completion (RTE_FLOW_OP_ERROR)"

/* A pattern template (rte_flow_pattern_template) or an actions template (rte_flow_actions_template). */
struct nic_tmpl {
	void *h; /* NULL: a free slot */
	uint16_t port;
	char *key;
	uint32_t refs; /* tables using it */
};

struct nic_tbl {
	struct rte_flow_template_table *h; /* NULL: a free slot */
	uint16_t port;
	struct rte_flow_attr attr; /* priority doubled, + parity */
	uint32_t pt[PT_MAX], at[AT_MAX];
	uint8_t n_pt, n_at;
	uint32_t nb_flows, n_rules;
};

struct qport {
	bool configured;
	uint32_t size, pending; /* operations the queue holds, enqueued and not pulled */
};

struct dpdk_tmpl {
	struct nic_tmpl *pt, *at;
	struct nic_tbl *tbl;
	uint32_t n_pt, n_at, n_tbl; /* slots used so far (some free) */
	uint32_t cap_pt, cap_at, cap_tbl;
	uint32_t unique;                  /* keys of templates testpmd cannot write */
	uint32_t n_rules;                 /* rules of the update in progress: user_data bound */
	struct qport q[RTE_MAX_ETHPORTS]; /* by port id */
	char key[KEY_MAX];
};

/* --- Queues ---------------------------------------------------------------------------- */

/*
 * Pushes port's queue 0 and pulls until nothing is pending; a failed rule
 * creation sets failed[rule]. Returns 0, or a negative code with 'fe'.
 */
static int
drain(struct ft_dpdk_flow *f, uint16_t port, uint8_t *failed, struct rte_flow_error *fe)
{
	struct qport *q = &f->tmpl->q[port];
	uint32_t spins = 0;
	int rc;

	if (q->pending == 0)
		return 0;
	*fe = (struct rte_flow_error){0};
	if ((rc = f->ops->push(port, 0, fe)) != 0)
		return rc < 0 ? rc : -EIO;
	while (q->pending > 0) {
		struct rte_flow_op_result res[PULL_BURST];
		int n = f->ops->pull(port, 0, res, PULL_BURST, fe);

		if (n < 0)
			return n;
		if (n == 0 && ++spins > PULL_SPINS) {
			fe->message = "completions never came";
			return -ETIMEDOUT;
		}
		for (int k = 0; k < n; k++) {
			uintptr_t ud = (uintptr_t)res[k].user_data;

			if (q->pending > 0)
				q->pending--;
			if (res[k].status == RTE_FLOW_OP_SUCCESS)
				continue;
			if (ud != 0 && failed != NULL && ud - 1 < f->tmpl->n_rules)
				failed[ud - 1] = 1;
			else if (ud == 0)
				DPDK_LOG(WARNING, "port %u: a rule destruction failed", port);
		}
	}
	return 0;
}

/* Drains every port; the first error wins, the others are logged. */
static int
drain_all(struct ft_dpdk_flow *f, uint8_t *failed, struct rte_flow_error *fe, uint16_t *bad_port)
{
	int first = 0;

	for (uint32_t p = 0; p < RTE_MAX_ETHPORTS; p++) {
		struct rte_flow_error e = {0};
		int rc;

		if (f->tmpl->q[p].pending == 0)
			continue;
		if ((rc = drain(f, (uint16_t)p, failed, &e)) != 0) {
			if (first == 0) {
				first = rc;
				*fe = e;
				*bad_port = (uint16_t)p;
			}
			f->tmpl->q[p].pending = 0; /* what is lost is lost */
		}
	}
	return first;
}

/* Makes room for one operation on 'port'. */
static int
room(struct ft_dpdk_flow *f, uint16_t port, uint8_t *failed, struct rte_flow_error *fe)
{
	struct qport *q = &f->tmpl->q[port];

	if (!q->configured) {
		fe->message = "port has no flow queue (not configured)";
		return -EINVAL;
	}
	return q->pending >= q->size ? drain(f, port, failed, fe) : 0;
}

static void
destroy_rule(struct ft_dpdk_flow *f, struct dpdk_flow_inst *x)
{
	static const struct rte_flow_op_attr op = {.postpone = 1};
	struct rte_flow_error fe = {0};

	if (x->flow == NULL)
		return;
	if (room(f, x->port, NULL, &fe) != 0 ||
	    f->ops->async_destroy(x->port, 0, &op, x->flow, DPDK_TMPL_USER_DESTROY, &fe) != 0)
		DPDK_LOG(WARNING, "port %u: rte_flow_async_destroy: %s", x->port,
		         fe.message ? fe.message : "failed");
	else
		f->tmpl->q[x->port].pending++;
	if (x->table != NONE && f->tmpl->tbl[x->table].n_rules > 0)
		f->tmpl->tbl[x->table].n_rules--;
	x->flow = NULL;
}

/* --- Templates and tables ---------------------------------------------------------------- */

static bool
grow(void **arr, uint32_t *cap, uint32_t n, size_t size)
{
	void *p;

	if (n < *cap)
		return true;
	if ((p = realloc(*arr, (*cap ? 2 * *cap : 16) * size)) == NULL)
		return false;
	*arr = p;
	memset((char *)p + *cap * size, 0, (*cap ? *cap : 16) * size);
	*cap = *cap ? 2 * *cap : 16;
	return true;
}

static const char *
dir_of(bool ingress, bool egress, bool transfer)
{
	return transfer ? "transfer" : egress ? "egress" : ingress ? "ingress" : "none";
}

/*
 * The key of a template: its testpmd text, or a key no other template has.
 * An actions template's mask list is written on its own, each action left
 * to the rules (NULL configuration, which testpmd cannot write) as VOID.
 */
static const char *
key_of(struct dpdk_tmpl *t, uint16_t port, const char *dir, const struct rte_flow_item *pattern,
       const struct rte_flow_action *actions, const struct rte_flow_action *masks)
{
	struct rte_flow_action m[FT_FLOW_ACTIONS_MAX + 1];
	struct ft_flow_text_list l = {.keyword = "template"};
	char head[64];
	size_t used = 0;
	int n;

	snprintf(head, sizeof(head), "%s %u %s", pattern != NULL ? "pt" : "at", port, dir);
	if (pattern != NULL) {
		l.pattern = pattern;
		l.flags = FT_FLOW_TEXT_MASKS;
		n = ft_flow_testpmd_command(t->key, sizeof(t->key), head, &l, 1, NULL);
		used = n < 0 ? 0 : (size_t)n;
	} else {
		uint32_t k;

		l.actions = actions;
		n = ft_flow_testpmd_command(t->key, sizeof(t->key), head, &l, 1, NULL);
		used = n < 0 ? 0 : (size_t)n;
		for (k = 0; k < FT_FLOW_ACTIONS_MAX && masks[k].type != RTE_FLOW_ACTION_TYPE_END;
		     k++)
			m[k] = masks[k].conf != NULL ? masks[k]
			                             : (struct rte_flow_action){
			                                       .type = RTE_FLOW_ACTION_TYPE_VOID};
		m[k] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_END};
		l = (struct ft_flow_text_list){.keyword = "mask", .actions = m};
		if (n >= 0 && used < sizeof(t->key)) {
			n = ft_flow_testpmd_command(t->key + used, sizeof(t->key) - used, " |", &l,
			                            1, NULL);
			used += n < 0 ? 0 : (size_t)n;
		}
	}
	if (n < 0 || used >= sizeof(t->key))
		snprintf(t->key, sizeof(t->key), "%s unique %u", head, ++t->unique);
	return t->key;
}

static uint16_t
install_port(const struct ft_dpdk_flow *f, uint16_t port, bool transfer)
{
	return transfer && port < RTE_MAX_ETHPORTS ? f->proxy[port] : port;
}

/*
 * Finds or creates the NIC's template for plan template 'pp' (a pattern
 * template) or 'pa' (an actions template; pp NULL). NONE with *code.
 */
static uint32_t
tmpl_get(struct ft_dpdk_flow *f, const struct ft_pattern_template *pp,
         const struct ft_actions_template *pa, int *code, struct rte_flow_error *fe,
         uint16_t *port)
{
	struct dpdk_tmpl *t = f->tmpl;
	const struct rte_flow_pattern_template_attr *pat = pp != NULL ? &pp->attr : NULL;
	const struct rte_flow_actions_template_attr *aat = pp == NULL ? &pa->attr : NULL;
	uint16_t p = pp != NULL ? install_port(f, pp->port, pat->transfer)
	                        : install_port(f, pa->port, aat->transfer);
	const char *key = pp != NULL
	                          ? key_of(t, p, dir_of(pat->ingress, pat->egress, pat->transfer),
	                                   pp->pattern, NULL, NULL)
	                          : key_of(t, p, dir_of(aat->ingress, aat->egress, aat->transfer),
	                                   NULL, pa->actions, pa->masks);
	struct nic_tmpl **v = pp != NULL ? &t->pt : &t->at;
	uint32_t *n = pp != NULL ? &t->n_pt : &t->n_at, *cap = pp != NULL ? &t->cap_pt : &t->cap_at;
	uint32_t free_slot = NONE, i;
	struct nic_tmpl *x;

	for (i = 0; i < *n; i++) {
		if ((*v)[i].h == NULL)
			free_slot = free_slot == NONE ? i : free_slot;
		else if ((*v)[i].port == p && strcmp((*v)[i].key, key) == 0)
			return i;
	}
	*port = p;
	if (free_slot == NONE && !grow((void **)v, cap, *n, sizeof(**v)))
		goto nomem;
	i = free_slot != NONE ? free_slot : *n;
	x = &(*v)[i];
	if ((x->key = strdup(key)) == NULL)
		goto nomem;
	*fe = (struct rte_flow_error){0};
	rte_errno = 0;
	x->h = pp != NULL ? (void *)f->ops->pattern_template_create(p, pat, pp->pattern, fe)
	                  : (void *)f->ops->actions_template_create(p, aat, pa->actions, pa->masks,
	                                                            fe);
	if (x->h == NULL) {
		*code = rte_errno > 0 ? rte_errno : EIO;
		free(x->key);
		x->key = NULL;
		return NONE;
	}
	x->port = p;
	x->refs = 0;
	*n += i == *n;
	return i;
nomem:
	*code = ENOMEM;
	*port = UINT16_MAX;
	return NONE;
}

/* The table a plan table's rules at 'parity' could go to: same port, attributes, templates. */
static uint32_t
tbl_find(const struct dpdk_tmpl *t, const struct nic_tbl *want)
{
	for (uint32_t i = 0; i < t->n_tbl; i++) {
		const struct nic_tbl *x = &t->tbl[i];

		if (x->h != NULL && x->port == want->port && x->n_pt == want->n_pt &&
		    x->n_at == want->n_at && memcmp(&x->attr, &want->attr, sizeof(x->attr)) == 0 &&
		    memcmp(x->pt, want->pt, want->n_pt * sizeof(x->pt[0])) == 0 &&
		    memcmp(x->at, want->at, want->n_at * sizeof(x->at[0])) == 0)
			return i;
	}
	return NONE;
}

static uint32_t
tbl_create(struct ft_dpdk_flow *f, const struct nic_tbl *want, uint32_t n_rules, int *code,
           struct rte_flow_error *fe, uint16_t *port)
{
	struct dpdk_tmpl *t = f->tmpl;
	struct rte_flow_pattern_template *pts[PT_MAX];
	struct rte_flow_actions_template *ats[AT_MAX];
	struct rte_flow_template_table_attr ta = {.flow_attr = want->attr};
	uint32_t i;

	*port = want->port;
	for (i = 0; i < t->n_tbl && t->tbl[i].h != NULL; i++)
		;
	if (i == t->n_tbl && !grow((void **)&t->tbl, &t->cap_tbl, t->n_tbl, sizeof(*t->tbl))) {
		*code = ENOMEM;
		*port = UINT16_MAX;
		return NONE;
	}
	ta.nb_flows = TABLE_MIN;
	while (ta.nb_flows < 2 * n_rules && ta.nb_flows < (1u << 31))
		ta.nb_flows *= 2;
	for (uint8_t k = 0; k < want->n_pt; k++)
		pts[k] = t->pt[want->pt[k]].h;
	for (uint8_t k = 0; k < want->n_at; k++)
		ats[k] = t->at[want->at[k]].h;
	*fe = (struct rte_flow_error){0};
	rte_errno = 0;
	t->tbl[i] = *want;
	t->tbl[i].h = f->ops->template_table_create(want->port, &ta, pts, want->n_pt, ats,
	                                            want->n_at, fe);
	if (t->tbl[i].h == NULL) {
		*code = rte_errno > 0 ? rte_errno : EIO;
		return NONE;
	}
	t->tbl[i].nb_flows = ta.nb_flows;
	t->tbl[i].n_rules = 0;
	for (uint8_t k = 0; k < want->n_pt; k++)
		t->pt[want->pt[k]].refs++;
	for (uint8_t k = 0; k < want->n_at; k++)
		t->at[want->at[k]].refs++;
	t->n_tbl += i == t->n_tbl;
	return i;
}

/* Destroys the tables no rule is in, then the templates no table uses. */
static void
collect_garbage(struct ft_dpdk_flow *f)
{
	struct dpdk_tmpl *t = f->tmpl;

	for (uint32_t i = 0; i < t->n_tbl; i++) {
		struct nic_tbl *x = &t->tbl[i];
		struct rte_flow_error fe = {0};

		if (x->h == NULL || x->n_rules > 0)
			continue;
		if (f->ops->template_table_destroy(x->port, x->h, &fe) != 0)
			DPDK_LOG(WARNING, "port %u: rte_flow_template_table_destroy: %s", x->port,
			         fe.message ? fe.message : "failed");
		for (uint8_t k = 0; k < x->n_pt; k++)
			t->pt[x->pt[k]].refs--;
		for (uint8_t k = 0; k < x->n_at; k++)
			t->at[x->at[k]].refs--;
		x->h = NULL;
	}
	for (int a = 0; a < 2; a++) {
		struct nic_tmpl *v = a ? t->at : t->pt;

		for (uint32_t i = 0; i < (a ? t->n_at : t->n_pt); i++) {
			struct rte_flow_error fe = {0};

			if (v[i].h == NULL || v[i].refs > 0)
				continue;
			if ((a ? f->ops->actions_template_destroy(v[i].port, v[i].h, &fe)
			       : f->ops->pattern_template_destroy(v[i].port, v[i].h, &fe)) != 0)
				DPDK_LOG(WARNING, "port %u: rte_flow_%s_template_destroy: %s",
				         v[i].port, a ? "actions" : "pattern",
				         fe.message ? fe.message : "failed");
			v[i].h = NULL;
			free(v[i].key);
			v[i].key = NULL;
		}
	}
}

/* Destroys every rule (and pulls), then the tables and templates they leave unused. */
static void
uninstall(struct ft_dpdk_flow *f)
{
	struct rte_flow_error fe = {0};
	uint16_t port;

	for (uint32_t i = 0; i < f->n_flows; i++)
		destroy_rule(f, &f->flows[i]);
	f->n_flows = 0;
	if (drain_all(f, NULL, &fe, &port) != 0)
		DPDK_LOG(WARNING, "port %u: rule destructions: %s", port,
		         fe.message ? fe.message : "failed");
	collect_garbage(f);
}

/* --- One update ------------------------------------------------------------------------ */

struct order {
	uint32_t group, index;
};

static int
adds_first(const void *a, const void *b) /* descending group, ascending index */
{
	const struct order *x = a, *y = b;

	if (x->group != y->group)
		return (x->group < y->group) - (x->group > y->group);
	return (x->index > y->index) - (x->index < y->index);
}

static int
dels_first(const void *a, const void *b) /* ascending group, descending index */
{
	const struct order *x = a, *y = b;

	if (x->group != y->group)
		return (x->group > y->group) - (x->group < y->group);
	return (x->index < y->index) - (x->index > y->index);
}

/* What went wrong in an update. */
struct fault {
	int code;         /* positive errno */
	uint16_t port;    /* UINT16_MAX: an allocation of ours */
	const char *call; /* the rte_flow call that failed */
	struct rte_flow_error fe;
};

/* The NIC table for the rules of plan table 'pt_i' at 'parity': NONE with 'x' filled. */
static uint32_t
slot_table(struct ft_dpdk_flow *f, const struct ft_template_plan *plan, uint32_t pt_i,
           uint8_t parity, struct nic_tbl *want, struct fault *x)
{
	const struct ft_template_table *ptb = ft_template_plan_table(plan, pt_i);

	memset(want, 0, sizeof(*want));
	if (ptb->n_pattern_templates > PT_MAX || ptb->n_actions_templates > AT_MAX) {
		x->code = ENOTSUP;
		x->port = ptb->port;
		x->call = "rte_flow_template_table_create";
		x->fe.message = "too many templates in one table";
		return NONE;
	}
	want->attr = ptb->attr.flow_attr;
	want->attr.priority = 2 * want->attr.priority + parity;
	want->port = install_port(f, ptb->port, want->attr.transfer);
	want->n_pt = (uint8_t)ptb->n_pattern_templates;
	want->n_at = (uint8_t)ptb->n_actions_templates;
	for (uint8_t k = 0; k < want->n_pt; k++) {
		want->pt[k] = tmpl_get(f, ft_template_plan_pattern(plan, ptb->pattern_templates[k]), NULL,
		                     &x->code, &x->fe, &x->port);
		if (want->pt[k] == NONE) {
			x->call = "rte_flow_pattern_template_create";
			return NONE;
		}
	}
	for (uint8_t k = 0; k < want->n_at; k++) {
		want->at[k] = tmpl_get(f, NULL, ft_template_plan_actions(plan, ptb->actions_templates[k]),
		                     &x->code, &x->fe, &x->port);
		if (want->at[k] == NONE) {
			x->call = "rte_flow_actions_template_create";
			return NONE;
		}
	}
	return tbl_find(f->tmpl, want);
}

/*
 * Changes the installed rules to the compiled ones of 'plan' (above). A
 * refusal destroys what this update enqueued and returns the refused
 * rule's index with 'x' filled; else -1.
 */
static int64_t
apply(struct ft_dpdk_flow *f, const struct ft_template_plan *plan, struct fault *x)
{
	static const struct rte_flow_op_attr op = {.postpone = 1};
	struct dpdk_tmpl *t = f->tmpl;
	struct ft_template_plan_info info;
	uint32_t n = ft_offload_n_rules(f->off), n_add = 0, n_del = 0;
	struct dpdk_flow_inst *next = calloc(n + 1, sizeof(*next));
	struct ft_update_rule *ko = malloc((f->n_flows + 1) * sizeof(*ko));
	struct ft_update_rule *kn = malloc((n + 1) * sizeof(*kn));
	struct order *adds = malloc((n + 1) * sizeof(*adds));
	struct order *dels = malloc((f->n_flows + 1) * sizeof(*dels));
	uint8_t *failed = calloc(n + 1, 1);
	uint32_t *slot_tbl = NULL, *slot_n = NULL, *slot_kept = NULL, *slot_first = NULL;
	struct ft_update_plan up = {0};
	int64_t bad = -1;
	int rc;

	ft_template_plan_info(plan, &info);
	t->n_rules = n;
	slot_tbl = malloc((2 * info.tables + 1) * sizeof(*slot_tbl));
	slot_n = calloc(2 * info.tables + 1, sizeof(*slot_n));
	slot_kept = calloc(2 * info.tables + 1, sizeof(*slot_kept));
	slot_first = malloc((2 * info.tables + 1) * sizeof(*slot_first));
	if (next == NULL || ko == NULL || kn == NULL || adds == NULL || dels == NULL ||
	    failed == NULL || slot_tbl == NULL || slot_n == NULL || slot_kept == NULL ||
	    slot_first == NULL)
		goto nomem;
	for (uint32_t o = 0; o < f->n_flows; o++)
		ko[o] = (struct ft_update_rule){.match = f->flows[o].match,
		                                .action = f->flows[o].action,
		                                .group = f->flows[o].group,
		                                .parity = f->flows[o].parity};
	for (uint32_t i = 0; i < n; i++) {
		ft_offload_rule_key(f->off, i, &next[i].match, &next[i].action);
		next[i].group = ft_template_plan_rule(plan, i)->flow->attr.group;
		next[i].table = NONE;
		kn[i] = (struct ft_update_rule){
		        .match = next[i].match, .action = next[i].action, .group = next[i].group};
	}
	if (ft_update_plan(ko, f->n_flows, kn, n, &up) != 0)
		goto nomem;

	/* The tables: per plan table and parity, one that has room, else a new one. */
	for (uint32_t s = 0; s < 2 * info.tables; s++) {
		slot_tbl[s] = NONE;
		slot_first[s] = NONE;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = 2 * ft_template_plan_rule(plan, i)->table + up.parity[i];

		next[i].parity = up.parity[i];
		slot_n[s]++;
		if (slot_first[s] == NONE)
			slot_first[s] = i;
	}
	for (uint32_t s = 0; s < 2 * info.tables; s++) {
		struct nic_tbl want;

		if (slot_n[s] == 0)
			continue;
		slot_tbl[s] = slot_table(f, plan, s / 2, (uint8_t)(s % 2), &want, x);
		if (slot_tbl[s] == NONE && x->call != NULL) {
			bad = slot_first[s];
			goto out;
		}
		if (slot_tbl[s] == NONE)
			slot_tbl[s] = tbl_create(f, &want, slot_n[s], &x->code, &x->fe, &x->port);
		if (slot_tbl[s] == NONE) {
			x->call = "rte_flow_template_table_create";
			bad = slot_first[s];
			goto out;
		}
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = 2 * ft_template_plan_rule(plan, i)->table + up.parity[i];

		if (up.kept[i] != NONE && f->flows[up.kept[i]].table == slot_tbl[s])
			slot_kept[s]++;
	}
	for (uint32_t s = 0; s < 2 * info.tables; s++) {
		struct nic_tbl want;

		if (slot_n[s] == 0 || t->tbl[slot_tbl[s]].n_rules + slot_n[s] - slot_kept[s] <=
		                              t->tbl[slot_tbl[s]].nb_flows)
			continue;
		/* No room for the old rules and the new ones together: a bigger table. */
		want = t->tbl[slot_tbl[s]];
		slot_tbl[s] = tbl_create(f, &want, slot_n[s], &x->code, &x->fe, &x->port);
		if (slot_tbl[s] == NONE) {
			x->call = "rte_flow_template_table_create";
			bad = slot_first[s];
			goto out;
		}
	}

	/* Which rules stay, which go in, which go. */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t s = 2 * ft_template_plan_rule(plan, i)->table + up.parity[i];
		uint32_t o = up.kept[i];

		next[i].table = slot_tbl[s];
		if (o != NONE && f->flows[o].table == slot_tbl[s]) {
			next[i].flow = f->flows[o].flow;
			next[i].port = f->flows[o].port;
			continue;
		}
		adds[n_add++] = (struct order){.group = next[i].group, .index = i};
		if (o != NONE) /* kept, but its table changed: moves */
			dels[n_del++] = (struct order){.group = f->flows[o].group, .index = o};
	}
	for (uint32_t k = 0; k < up.n_del; k++)
		dels[n_del++] =
		        (struct order){.group = f->flows[up.del[k]].group, .index = up.del[k]};
	qsort(adds, n_add, sizeof(*adds), adds_first);
	qsort(dels, n_del, sizeof(*dels), dels_first);

	/* In: the groups jumped to first, each group complete before the next. */
	for (uint32_t k = 0; k < n_add; k++) {
		uint32_t i = adds[k].index;
		const struct ft_template_rule *pr = ft_template_plan_rule(plan, i);
		struct dpdk_flow_inst *y = &next[i];
		struct nic_tbl *tb = &t->tbl[y->table];

		y->port = tb->port;
		if (k > 0 && adds[k - 1].group != adds[k].group &&
		    (rc = drain_all(f, failed, &x->fe, &x->port)) != 0) {
			x->code = -rc;
			x->call = "rte_flow_pull";
			bad = i;
			goto undo;
		}
		x->fe = (struct rte_flow_error){0};
		if ((rc = room(f, y->port, failed, &x->fe)) != 0) {
			x->code = -rc;
			x->port = y->port;
			x->call = "rte_flow_pull";
			bad = i;
			goto undo;
		}
		rte_errno = 0;
		y->flow = f->ops->async_create(y->port, 0, &op, tb->h, pr->flow->pattern,
		                               (uint8_t)pr->pattern_index, pr->flow->actions,
		                               (uint8_t)pr->actions_index, DPDK_TMPL_USER_RULE(i),
		                               &x->fe);
		if (y->flow == NULL) {
			x->code = rte_errno > 0 ? rte_errno : EIO;
			x->port = y->port;
			x->call = "rte_flow_async_create";
			bad = i;
			goto undo;
		}
		t->q[y->port].pending++;
		tb->n_rules++;
		f->last.added++;
	}
	if ((rc = drain_all(f, failed, &x->fe, &x->port)) != 0) {
		x->code = -rc;
		x->call = "rte_flow_pull";
		bad = n_add > 0 ? adds[n_add - 1].index : 0;
		goto undo;
	}
	for (uint32_t k = 0; k < n_add; k++)
		if (failed[adds[k].index]) {
			bad = adds[k].index;
			x->code = ENOSPC;
			x->port = next[bad].port;
			x->call = "rte_flow_pull";
			x->fe = (struct rte_flow_error){.type = RTE_FLOW_ERROR_TYPE_UNSPECIFIED,
			                                .message = COMPLETION_MSG};
			goto undo;
		}

	/* Out: the groups that jump first. */
	for (uint32_t k = 0; k < n_del; k++) {
		if (k > 0 && dels[k - 1].group != dels[k].group) {
			struct rte_flow_error fe;
			uint16_t port;

			if (drain_all(f, NULL, &fe, &port) != 0)
				DPDK_LOG(WARNING, "port %u: rule destructions: %s", port,
				         fe.message ? fe.message : "failed");
		}
		destroy_rule(f, &f->flows[dels[k].index]);
		f->last.removed++;
	}
	{
		struct rte_flow_error fe;
		uint16_t port;

		if (drain_all(f, NULL, &fe, &port) != 0)
			DPDK_LOG(WARNING, "port %u: rule destructions: %s", port,
			         fe.message ? fe.message : "failed");
	}
	f->last.kept = n - n_add;
	free(f->flows);
	f->flows = next;
	f->n_flows = n;
	next = NULL;
	goto out;

undo:
	/* Every handle this update got, refused ones too, and their completions. */
	for (uint32_t k = 0; k < n_add; k++)
		destroy_rule(f, &next[adds[k].index]);
	{
		struct rte_flow_error fe;
		uint16_t port;

		drain_all(f, NULL, &fe, &port);
	}
	f->last.added = 0;
	goto out;
nomem:
	x->code = ENOMEM;
	x->port = UINT16_MAX;
	x->call = "malloc";
	bad = 0;
out:
	ft_update_plan_fini(&up);
	free(next);
	free(ko);
	free(kn);
	free(adds);
	free(dels);
	free(failed);
	free(slot_tbl);
	free(slot_n);
	free(slot_kept);
	free(slot_first);
	return bad;
}

/* --- The backend's entry points (flow_private.h) ----------------------------------------- */

int
dpdk_tmpl_sync(struct ft_dpdk_flow *f, struct ft_error *err)
{
	struct ft_flow_buf *b = malloc(sizeof(*b));
	int rc = 0;

	if (b == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "rte_flow",
		                    "out of memory");
	for (;;) {
		struct ft_template_plan *plan = NULL;
		struct ft_error perr = {0};
		struct fault x = {0};
		uint32_t table, handle;
		bool from_empty, full;
		int64_t bad;

		if (f->on_compile != NULL)
			f->on_compile(f->compile_arg, f->off, false);
		if ((rc = ft_offload_compile(f->off, err)) != 0) {
			uninstall(f);
			break;
		}
		if (f->on_compile != NULL)
			f->on_compile(f->compile_arg, f->off, true);
		if ((rc = ft_template_plan_create(f->off, NULL, &plan, &perr)) != 0) {
			/* A rule the template API cannot express: its entry stays in software. */
			uninstall(f);
			if (rc == -ENOTSUP && perr.index != UINT32_MAX &&
			    ft_offload_rule_entry(f->off, perr.index, &table, &handle) &&
			    ft_offload_entry_refused(f->off, table, handle) == 0) {
				DPDK_LOG(INFO, "entry %u of table %u stays in software: %s", handle,
				         table, perr.message);
				continue;
			}
			if (err != NULL)
				*err = perr;
			break;
		}
		bad = apply(f, plan, &x);
		ft_template_plan_destroy(plan);
		collect_garbage(f);
		if (bad < 0)
			break;
		/* Refused: as flow.c's ft_dpdk_flow_sync(). */
		from_empty = f->n_flows == 0;
		full = x.code == ENOSPC || x.code == ENOMEM;
		uninstall(f);
		if (!from_empty && full && x.port != UINT16_MAX)
			continue;
		if (!full || x.port == UINT16_MAX ||
		    !dpdk_flow_refused_entry(f, (uint32_t)bad, &table, &handle) ||
		    ft_offload_entry_refused(f->off, table, handle) != 0) {
			if (x.port == UINT16_MAX) {
				rc = ft_error_set(err, -x.code, FT_ERR_RESOURCE, UINT32_MAX,
				                  "rte_flow", "out of memory");
			} else {
				ft_offload_rule(f->off, (uint32_t)bad, b);
				rc = dpdk_flow_error(err, -x.code, x.port, x.call, &x.fe, b,
				                     (uint32_t)bad);
			}
			break;
		}
		DPDK_LOG(INFO,
		         "port %u: %s refused a rule (%s): entry %u of table %u stays in "
		         "software",
		         x.port, x.call, rte_strerror(x.code), handle, table);
	}
	free(b);
	return rc;
}

void
dpdk_tmpl_forget(struct ft_dpdk_flow *f)
{
	struct dpdk_tmpl *t = f->tmpl;
	bool keep = f->n_ports > 0;

	/* A port that keeps its rules across a restart (22.11's FLOW_RULE_KEEP) still has them. */
	for (uint32_t i = 0; i < f->n_ports; i++) {
		struct rte_eth_dev_info info;

		keep &= rte_eth_dev_info_get(f->ports[i], &info) == 0 &&
		        (info.dev_capa & RTE_ETH_DEV_CAPA_FLOW_RULE_KEEP);
	}
	if (keep)
		return;
	for (uint32_t i = 0; i < t->n_tbl; i++)
		t->tbl[i].n_rules = 0;
	for (uint32_t p = 0; p < RTE_MAX_ETHPORTS; p++)
		t->q[p].pending = 0;
	f->n_flows = 0;
}

void
dpdk_tmpl_destroy(struct ft_dpdk_flow *f)
{
	struct dpdk_tmpl *t = f->tmpl;

	if (t == NULL)
		return;
	uninstall(f);
	/* Tables of no rule are gone; templates of no table too. What is left leaked: log it. */
	for (uint32_t i = 0; i < t->n_tbl; i++)
		if (t->tbl[i].h != NULL)
			DPDK_LOG(WARNING, "port %u: a template table still in use", t->tbl[i].port);
	for (uint32_t i = 0; i < t->n_pt; i++)
		free(t->pt[i].key);
	for (uint32_t i = 0; i < t->n_at; i++)
		free(t->at[i].key);
	free(t->pt);
	free(t->at);
	free(t->tbl);
	free(t);
	f->tmpl = NULL;
}

/* Configures the flow engine of 'port' (stopped for it, started again). */
static int
configure(struct ft_dpdk_flow *f, uint16_t port, uint32_t rules_max, struct ft_error *err)
{
	struct rte_flow_port_info pi = {0};
	struct rte_flow_queue_info qi = {0};
	struct rte_flow_error fe = {0};
	struct rte_flow_port_attr pa = {0};
	struct rte_flow_queue_attr qa = {.size = QUEUE_SIZE};
	const struct rte_flow_queue_attr *qas[1] = {&qa};
	int rc;

	if ((rc = f->ops->info_get(port, &pi, &qi, &fe)) != 0 || pi.max_nb_queues == 0) {
		if (rc == 0)
			fe.message = "no flow queues";
		return dpdk_flow_error(err, -ENOTSUP, port,
		                       "rte_flow_info_get: the template API is not supported on "
		                       "this port (mlx5: dv_flow_en=2)",
		                       &fe, NULL, 0);
	}
	if (qi.max_size != 0 && qa.size > qi.max_size)
		qa.size = qi.max_size;
	pa.nb_counters = rules_max;
	if (pi.max_nb_counters < pa.nb_counters)
		pa.nb_counters = pi.max_nb_counters;
	if ((rc = f->ops->port_stop(port)) != 0)
		return dpdk_error(err, rc, port, "rte_eth_dev_stop");
	rc = f->ops->configure(port, &pa, 1, qas, &fe);
	if (rc != 0) {
		int src = f->ops->port_start(port);

		if (src != 0)
			DPDK_LOG(ERR, "port %u: rte_eth_dev_start after a failed configure: %s",
			         port, rte_strerror(-src));
		return dpdk_flow_error(err, rc < 0 ? rc : -EIO, port, "rte_flow_configure", &fe,
		                       NULL, 0);
	}
	if ((rc = f->ops->port_start(port)) != 0)
		return dpdk_error(err, rc, port, "rte_eth_dev_start");
	f->tmpl->q[port] = (struct qport){.configured = true, .size = qa.size};
	DPDK_LOG(INFO, "port %u: flow engine configured: 1 queue of %u, %u counters", port, qa.size,
	         pa.nb_counters);
	return 0;
}

/*
 * The capabilities the profile uses, probed by template creation (the
 * template API's rte_flow_validate()): for each probe rule of flow.c the
 * profile needs, its pattern template and its actions template (every
 * value constant), created and destroyed at once. 0, or -ENOTSUP naming
 * the probe the NIC refused.
 */
static int
probe(struct ft_dpdk_flow *f, uint16_t port, struct ft_error *err)
{
	bool transfer = f->prof->domain == FT_NIC_DOMAIN_TRANSFER;
	const struct rte_flow_pattern_template_attr pa = {.ingress = !transfer,
	                                                  .transfer = transfer};
	const struct rte_flow_actions_template_attr aa = {.ingress = !transfer,
	                                                  .transfer = transfer};
	struct dpdk_flow_probe r;

	for (int k = 0; k < FT_DPDK_PROBE_N; k++) {
		enum ft_dpdk_flow_probe pk = (enum ft_dpdk_flow_probe)k;
		struct rte_flow_pattern_template *pt;
		struct rte_flow_actions_template *at;
		struct rte_flow_error fe = {0};
		const char *call;
		char what[192];
		int code;

		if (!dpdk_flow_probe_needed(f->prof, pk))
			continue;
		dpdk_flow_probe_rule(&r, pk, transfer);
		rte_errno = 0;
		if ((pt = f->ops->pattern_template_create(port, &pa, r.pattern, &fe)) == NULL) {
			call = "rte_flow_pattern_template_create";
			goto refused;
		}
		at = f->ops->actions_template_create(port, &aa, r.actions, r.actions, &fe);
		code = rte_errno;
		f->ops->pattern_template_destroy(port, pt, NULL);
		if (at == NULL) {
			rte_errno = code;
			call = "rte_flow_actions_template_create";
			goto refused;
		}
		f->ops->actions_template_destroy(port, at, NULL);
		continue;
	refused:
		code = rte_errno > 0 ? rte_errno : EIO;
		snprintf(what, sizeof(what), "%s refused %s in %s (profile %s, %s)", call,
		         dpdk_flow_probe_name(pk), transfer ? "transfer" : "ingress", f->prof->name,
		         rte_strerror(code));
		return dpdk_flow_error(err, -ENOTSUP, port, what, &fe, NULL, 0);
	}
	return 0;
}

int
dpdk_tmpl_create(struct ft_dpdk_flow *f, uint32_t rules_max, struct ft_error *err)
{
	bool transfer = f->prof->domain == FT_NIC_DOMAIN_TRANSFER;
	int rc = 0;

	if ((f->tmpl = calloc(1, sizeof(*f->tmpl))) == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "rte_flow",
		                    "out of memory");
	for (uint32_t i = 0; i < f->n_ports && rc == 0; i++) {
		uint16_t p = install_port(f, f->ports[i], transfer);

		if (!f->tmpl->q[p].configured && (rc = configure(f, p, rules_max, err)) == 0)
			rc = probe(f, p, err);
	}
	if (rc != 0) {
		free(f->tmpl);
		f->tmpl = NULL;
	}
	return rc;
}
