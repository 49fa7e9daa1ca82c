/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The twin path (include/flowtwin/twin.h): compiled rules in the software
 * NIC, then the model resuming what the NIC hands over.
 *
 * The NIC's rules are kept in an array parallel to the compiled rules, and
 * sorted by flow pointer in a second one, so that a packet's hits (the
 * sim's flow pointers) map back to compiled rules: their drop reasons and,
 * for verify, the rules to show.
 *
 * Lanes (several threads on one twin): a lane is a thread's own part, the
 * NIC's counters of the packets it ran (by the sim's rule slots,
 * ft_sim_rx_count()) and the model's scratch result. A lane's run reads the
 * twin and writes only the lane, the packets and the result. The control
 * thread adds every lane's counts to the pipeline (collect) while the lanes
 * run: it reads each counter (the lane's thread is its only writer: bytes,
 * then hits with release) and credits what it grew by since it last read
 * it ('seen'), but only when the hits grew. Every hit read comes with at
 * least its bytes (sim.h); bytes read ahead of their hit (a packet under
 * way) are credited early, with the hits before it, and the hit later
 * with none: the offload credits no bytes without packets. A sync, with no
 * lane running, collects, then zeroes every lane (a removed rule's slot
 * goes to a new rule) and sizes it to the new rules.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include <flowtwin/drop.h>
#include <flowtwin/parse.h>
#include <flowtwin/twin.h>
#include <flowtwin/update.h>

struct flow_ix {
	const struct ft_sim_flow *flow;
	uint32_t rule;
};

/* An installed rule. */
struct inst {
	struct ft_sim_flow *flow;
	uint64_t match, action; /* ft_offload_rule_key() */
	uint32_t group, rule;	/* the compiled rule it is now */
	uint8_t parity;		/* installed at priority 2 * priority + parity */
	uint16_t drop, drop_action;
};

struct ft_twin_lane {
	struct ft_twin *twin;
	struct ft_sim_counter *ctr;  /* by sim rule slot: the lane's thread writes them */
	struct ft_sim_counter *seen; /* ctr as the last collect read it */
	uint32_t n_ctr;
	struct ft_burst_result sw; /* the model's part of a burst */
};

struct ft_twin {
	struct ft_pipeline *pipe;
	struct ft_offload *off;
	struct ft_sim *sim;
	struct inst *flows;	/* by compiled rule */
	uint32_t n_flows;
	struct flow_ix *byflow; /* flow -> rule, sorted by flow */
	uint32_t n_byflow;
	void (*on_step)(void *arg);
	void *step_arg;
	struct ft_twin_sync_stats last; /* of the last sync */
	struct inst *const *pending;	/* during a sync: the rules installed so far */
	uint32_t n_pending;
	struct ft_burst_result sw;	/* the model's part of a burst (ft_twin_run()) */
	struct ft_twin_lane **lanes;
	uint32_t n_lanes;
};

/*
 * The NIC's entropy for an encap's UDP source port (the sim's
 * encap_udp_src): XXH3 of the inner Ethernet, IP and L4 headers, in
 * 49152..65535. Not the model's hash (CRC-32 of the inner MACs), on
 * purpose: the packets differ there, and ft_twin_diff() must be seen to
 * mask exactly that field.
 */
static uint16_t
encap_udp_src(void *arg, const uint8_t *inner, uint32_t len)
{
	static const struct ft_parse_cfg headers = {.layers = FT_LAYERS_ALL &
							     ~FT_LAYER_BIT(FT_L_VXLAN)};
	struct ft_parse ps;

	(void)arg;
	ft_parse(&headers, inner, len, &ps);
	return (uint16_t)(0xc000 | (XXH3_64bits(inner, ps.payload) & 0x3fff));
}

struct ft_twin *
ft_twin_create(struct ft_pipeline *pipe, const struct ft_twin_params *params,
	       struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(pipe);
	struct ft_offload_params op = {.profile = params->profile,
				       .ports = params->ports,
				       .n_ports = params->n_ports,
				       .rules_max = params->rules_max};
	struct ft_sim_params sp = {.strict = params->strict,
				   .rules_max = params->rules_max,
				   .refuse_one_in = params->refuse_one_in,
				   .refuse_seed = params->refuse_seed,
				   .encap_udp_src = encap_udp_src};
	struct ft_twin *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "twin", "out of memory");
		return NULL;
	}
	t->pipe = pipe;
	t->on_step = params->on_step;
	t->step_arg = params->step_arg;
	sp.vxlan_ports = ft_program_vxlan_ports(prog, &sp.n_vxlan_ports);
	if ((t->off = ft_offload_create(pipe, &op, err)) == NULL ||
	    (t->sim = ft_sim_create(params->profile, &sp, err)) == NULL) {
		ft_twin_destroy(t);
		return NULL;
	}
	return t;
}

void
ft_twin_destroy(struct ft_twin *t)
{
	if (t == NULL)
		return;
	while (t->n_lanes > 0)
		ft_twin_lane_destroy(t->lanes[t->n_lanes - 1]);
	free(t->lanes);
	ft_sim_destroy(t->sim);
	ft_offload_destroy(t->off);
	free(t->flows);
	free(t->byflow);
	free(t);
}

/* Sizes the lane's counters to the sim's slots; the new ones are zero. */
static int
lane_fit(struct ft_twin_lane *l)
{
	uint32_t n = ft_sim_slots(l->twin->sim);
	struct ft_sim_counter *c, *s;

	if (n <= l->n_ctr)
		return 0;
	if ((c = realloc(l->ctr, n * sizeof(*c))) != NULL)
		l->ctr = c;
	if ((s = realloc(l->seen, n * sizeof(*s))) != NULL)
		l->seen = s;
	if (c == NULL || s == NULL)
		return -ENOMEM;
	memset(&c[l->n_ctr], 0, (n - l->n_ctr) * sizeof(*c));
	memset(&s[l->n_ctr], 0, (n - l->n_ctr) * sizeof(*s));
	l->n_ctr = n;
	return 0;
}

struct ft_twin_lane *
ft_twin_lane_create(struct ft_twin *t, struct ft_error *err)
{
	struct ft_twin_lane *l = calloc(1, sizeof(*l));
	struct ft_twin_lane **v = realloc(t->lanes, (t->n_lanes + 1) * sizeof(*v));

	if (v != NULL)
		t->lanes = v;
	if (l == NULL || v == NULL) {
		free(l);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "twin", "out of memory");
		return NULL;
	}
	l->twin = t;
	if (lane_fit(l) != 0) {
		free(l->ctr);
		free(l->seen);
		free(l);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "twin", "out of memory");
		return NULL;
	}
	t->lanes[t->n_lanes++] = l;
	return l;
}

void
ft_twin_lane_destroy(struct ft_twin_lane *l)
{
	struct ft_twin *t;

	if (l == NULL)
		return;
	t = l->twin;
	ft_twin_counters_collect(t); /* its counts are the pipeline's */
	for (uint32_t i = 0; i < t->n_lanes; i++)
		if (t->lanes[i] == l) {
			t->lanes[i] = t->lanes[--t->n_lanes];
			break;
		}
	free(l->ctr);
	free(l->seen);
	free(l);
}

struct ft_offload *
ft_twin_offload(const struct ft_twin *t)
{
	return t->off;
}

struct ft_sim *
ft_twin_sim(const struct ft_twin *t)
{
	return t->sim;
}

uint32_t
ft_twin_n_rules(const struct ft_twin *t)
{
	return t->n_flows;
}

void
ft_twin_last_sync(const struct ft_twin *t, struct ft_twin_sync_stats *out)
{
	*out = t->last;
}

/* --- Counters -------------------------------------------------------------- */

int
ft_twin_counters_collect(struct ft_twin *t)
{
	for (uint32_t i = 0; i < t->n_flows; i++) {
		uint32_t slot = ft_sim_flow_slot(t->flows[i].flow);
		uint64_t packets, bytes;

		if (ft_sim_flow_query_count(t->sim, t->flows[i].flow, true, &packets, &bytes, NULL) !=
		    0)
			continue; /* no COUNT */
		for (uint32_t k = 0; k < t->n_lanes; k++) {
			struct ft_twin_lane *l = t->lanes[k];
			uint64_t h, b;

			/* Nothing new: bytes of a packet whose hit is not out yet wait for it. */
			if (slot >= l->n_ctr ||
			    (h = __atomic_load_n(&l->ctr[slot].hits, __ATOMIC_ACQUIRE)) ==
				    l->seen[slot].hits)
				continue;
			b = __atomic_load_n(&l->ctr[slot].bytes, __ATOMIC_RELAXED);
			packets += h - l->seen[slot].hits;
			bytes += b - l->seen[slot].bytes;
			l->seen[slot] = (struct ft_sim_counter){.hits = h, .bytes = b};
		}
		if (packets != 0) /* bytes come with packets only: see the lanes above */
			ft_offload_rule_credit(t->off, i, packets, bytes);
	}
	return 0;
}

/* --- Rules ----------------------------------------------------------------- */

static void
uninstall(struct ft_twin *t)
{
	for (uint32_t i = 0; i < t->n_flows; i++)
		ft_sim_flow_destroy(t->sim, t->flows[i].flow, NULL);
	t->n_flows = 0;
	t->n_byflow = 0;
}

static int
byflow_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct flow_ix *)a)->flow;
	uintptr_t y = (uintptr_t)((const struct flow_ix *)b)->flow;

	return (x > y) - (x < y);
}

static void
step(const struct ft_twin *t)
{
	if (t->on_step != NULL)
		t->on_step(t->step_arg);
}

/* Installs compiled rule i at its priority doubled, + parity. NULL with *code on refusal. */
static struct ft_sim_flow *
create(struct ft_twin *t, struct ft_flow_buf *b, uint32_t i, uint8_t parity, int *code,
       struct rte_flow_error *fe)
{
	struct ft_sim_flow *f;

	ft_offload_rule(t->off, i, b);
	b->attr.priority = 2 * b->attr.priority + parity;
	f = ft_sim_flow_create(t->sim, b->port, &b->attr, b->pattern, b->actions, fe);
	*code = f == NULL ? errno : 0;
	return f;
}

/*
 * Replaces the installed rules with the compiled ones, make-before-break
 * (the plan is ft_update_plan()'s, update.h):
 * rules whose match and actions are unchanged stay; the others are
 * installed first, groups that are jumped to before the groups that jump
 * (descending ids), a rule that replaces one with the same match at the
 * other parity of its priority (the old one still wins while both are
 * there); then the rules that went are removed, jumping groups first. A
 * refusal removes what this update installed and returns -1 with the rule's
 * index and errno; the caller then starts from no rules.
 */
static int64_t
apply(struct ft_twin *t, struct ft_flow_buf *b, int *code, struct rte_flow_error *fe)
{
	uint32_t n = ft_offload_n_rules(t->off);
	struct inst *next = calloc(n + 1, sizeof(*next));
	struct inst **order = calloc(n + 1, sizeof(*order));
	struct ft_update_rule *ko = malloc((t->n_flows + 1) * sizeof(*ko));
	struct ft_update_rule *kn = malloc((n + 1) * sizeof(*kn));
	struct ft_update_plan plan = {0};
	int64_t bad = -1;

	if (next == NULL || order == NULL || ko == NULL || kn == NULL) {
		*code = ENOMEM;
		bad = 0;
		goto out;
	}
	for (uint32_t o = 0; o < t->n_flows; o++)
		ko[o] = (struct ft_update_rule){.match = t->flows[o].match,
						.action = t->flows[o].action,
						.group = t->flows[o].group,
						.parity = t->flows[o].parity};
	for (uint32_t i = 0; i < n; i++) {
		struct inst *x = &next[i];

		ft_offload_rule_key(t->off, i, &x->match, &x->action);
		ft_offload_rule(t->off, i, b);
		x->group = b->attr.group;
		x->rule = i;
		if (ft_offload_rule_drop(t->off, i, &x->drop, &x->drop_action) != 0)
			x->drop = FT_DROP_NONE;
		kn[i] = (struct ft_update_rule){
			.match = x->match, .action = x->action, .group = x->group};
	}
	if (ft_update_plan(ko, t->n_flows, kn, n, &plan) != 0) {
		*code = ENOMEM;
		bad = 0;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		next[i].parity = plan.parity[i];
		if (plan.kept[i] != UINT32_MAX)
			next[i].flow = t->flows[plan.kept[i]].flow;
	}
	t->last.kept = n - plan.n_add;
	for (uint32_t k = 0; k < plan.n_add; k++) {
		struct inst *x = &next[plan.add[k]];

		order[k] = x;
		x->flow = create(t, b, x->rule, x->parity, code, fe);
		if (x->flow == NULL && *code == EEXIST) { /* a new match over a going one */
			x->parity = !x->parity;
			x->flow = create(t, b, x->rule, x->parity, code, fe);
		}
		if (x->flow == NULL) {
			bad = x->rule;
			while (k-- > 0)
				ft_sim_flow_destroy(t->sim, order[k]->flow, NULL);
			goto out;
		}
		/* The adds stay findable (pending) while the old rules go. */
		t->pending = order;
		t->n_pending = k + 1;
		t->last.added++;
		step(t);
	}
	for (uint32_t k = 0; k < plan.n_del; k++) {
		ft_sim_flow_destroy(t->sim, t->flows[plan.del[k]].flow, NULL);
		t->last.removed++;
		step(t);
	}
	free(t->flows);
	t->flows = next;
	t->n_flows = n;
	next = NULL;
	/* The index from flows to rules: for hits. */
	free(t->byflow);
	t->byflow = malloc((n + 1) * sizeof(*t->byflow));
	t->n_byflow = 0;
	if (t->byflow == NULL) {
		*code = ENOMEM;
		bad = 0;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++)
		t->byflow[t->n_byflow++] = (struct flow_ix){.flow = t->flows[i].flow, .rule = i};
	qsort(t->byflow, n, sizeof(*t->byflow), byflow_cmp);
out:
	t->pending = NULL;
	t->n_pending = 0;
	ft_update_plan_fini(&plan);
	free(next);
	free(order);
	free(ko);
	free(kn);
	return bad;
}

int
ft_twin_sync(struct ft_twin *t, struct ft_error *err)
{
	struct ft_flow_buf *b = malloc(sizeof(*b));
	int rc = 0;

	if (b == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "twin",
				    "out of memory");
	ft_twin_counters_collect(t);
	for (uint32_t k = 0; k < t->n_lanes; k++) { /* no lane runs: all credited */
		struct ft_twin_lane *l = t->lanes[k];

		if (l->n_ctr == 0)
			continue; /* no arrays yet */
		memset(l->ctr, 0, l->n_ctr * sizeof(*l->ctr));
		memset(l->seen, 0, l->n_ctr * sizeof(*l->seen));
	}
	t->last = (struct ft_twin_sync_stats){0};
	for (;;) {
		struct rte_flow_error fe = {0};
		uint32_t table, handle;
		bool from_empty;
		int64_t bad;
		int code = 0;

		if ((rc = ft_offload_compile(t->off, err)) != 0) {
			uninstall(t);
			break;
		}
		if ((bad = apply(t, b, &code, &fe)) < 0)
			break;
		/*
		 * Refused: start again from no rules (every packet meets the new
		 * state in software meanwhile). Old and new rules together may
		 * not have fit; else, for want of room the entry goes back to
		 * software; any other refusal is the compiler's fault, said as it is.
		 */
		from_empty = t->n_flows == 0;
		uninstall(t);
		if (!from_empty && (code == ENOSPC || code == ENOMEM))
			continue;
		if ((code != ENOSPC && code != ENOMEM) ||
		    !ft_offload_rule_entry(t->off, (uint32_t)bad, &table, &handle) ||
		    ft_offload_entry_refused(t->off, table, handle) != 0) {
			rc = ft_error_set(err, -code, FT_ERR_RULE, (uint32_t)bad, "rule",
					  "the NIC refused it: %s",
					  fe.message ? fe.message : "no reason given");
			break;
		}
	}
	for (uint32_t k = 0; k < t->n_lanes; k++)
		if (lane_fit(t->lanes[k]) != 0 && rc == 0) {
			/* A lane that cannot count cannot run the NIC: no rules. */
			uninstall(t);
			rc = ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "twin",
					  "out of memory");
		}
	free(b);
	return rc;
}

static const struct inst *
inst_of(const struct ft_twin *t, const struct ft_sim_flow *f)
{
	struct flow_ix key = {.flow = f};
	const struct flow_ix *x = NULL;

	if (t->n_byflow > 0) /* before the first sync there is no array */
		x = bsearch(&key, t->byflow, t->n_byflow, sizeof(key), byflow_cmp);
	if (x != NULL)
		return &t->flows[x->rule];
	for (uint32_t k = 0; k < t->n_pending; k++) /* installed by the sync under way */
		if (t->pending[k]->flow == f)
			return t->pending[k];
	return NULL;
}

/* --- Packets --------------------------------------------------------------- */

/* A burst through the NIC, counting in the rules ('l' NULL) or in the lane's counters. */
static int
run(struct ft_twin *t, struct ft_twin_lane *l, struct ft_worker *w, struct ft_pkt *const *pkts,
    uint16_t n, struct ft_twin_result *res)
{
	struct ft_burst_result *br = &res->burst;
	const struct ft_restore *ctx[FT_BURST_MAX];
	uint16_t which[FT_BURST_MAX] = {0}, m = 0;
	int rc;

	if (n > FT_BURST_MAX)
		return -EINVAL;
	for (uint16_t i = 0; i < n; i++)
		if (pkts[i]->nb_segs != 1)
			return -EINVAL;
	br->n_tx = br->n_events = 0;
	for (uint16_t i = 0; i < n; i++) {
		struct ft_twin_pkt *tp = &res->pkt[i];
		struct ft_pkt *p = pkts[i];
		struct ft_sim_result sr;
		const struct inst *last = NULL;

		memset(tp, 0, sizeof(*tp));
		br->drop[i] = FT_DROP_NONE;
		br->drop_action[i] = UINT16_MAX;
		br->used[i] = 0;
		p->flags &= (uint16_t)~(FT_PKT_F_MARK | FT_PKT_F_FLAG);
		rc = l != NULL ? ft_sim_rx_count(t->sim, p, &sr, l->ctr, l->n_ctr)
			       : ft_sim_rx(t->sim, p, &sr);
		if (rc != 0)
			return rc;
		tp->undefined = sr.undefined;
		tp->encap_udp_src_off = sr.encap_udp_src_off; /* for the NIC path: below */
		for (uint32_t k = 0; k < sr.n_hits && k < FT_TWIN_HITS_MAX; k++) {
			last = inst_of(t, sr.hits[k]);
			tp->hits[tp->n_hits++] = last != NULL ? last->rule : UINT32_MAX;
		}
		tp->path = FT_TWIN_NIC;
		switch (sr.fate) {
		case FT_SIM_DROP:
			if (last != NULL && last->drop != FT_DROP_NONE) {
				br->drop[i] = last->drop;
				br->drop_action[i] = last->drop_action;
			} else {
				br->drop[i] = sr.drop;
			}
			break;
		case FT_SIM_PORT:
			ft_burst_send(br, p, sr.port, i);
			break;
		case FT_SIM_QUEUE:
		case FT_SIM_REPRESENTOR:
			which[m++] = i;
			break;
		}
	}
	if ((rc = ft_offload_software(t->off, w, pkts, which, m, ctx, l != NULL ? &l->sw : &t->sw,
				      br)) < 0)
		return rc;
	for (uint16_t j = 0; j < m; j++) {
		struct ft_twin_pkt *tp = &res->pkt[which[j]];
		const struct ft_pkt *p = pkts[which[j]];

		tp->bad_mark = (p->flags & FT_PKT_F_MARK) && ctx[j] == NULL;
		tp->path = ctx[j] == NULL			 ? FT_TWIN_SOFTWARE
			   : ctx[j]->kind == FT_RESTORE_OUTPUT ? FT_TWIN_NIC
							       : FT_TWIN_RESUMED;
		tp->mark = tp->path == FT_TWIN_RESUMED ? p->mark : 0;
		if (tp->path != FT_TWIN_NIC)
			tp->encap_udp_src_off = 0; /* the NIC did not send it */
	}
	return (int)br->n_tx;
}

int
ft_twin_run(struct ft_twin *t, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
	    struct ft_twin_result *res)
{
	return run(t, NULL, w, pkts, n, res);
}

int
ft_twin_lane_run(struct ft_twin_lane *l, struct ft_worker *w, struct ft_pkt *const *pkts,
		 uint16_t n, struct ft_twin_result *res)
{
	return run(l->twin, l, w, pkts, n, res);
}

/* --- Comparing with the model alone --------------------------------------- */

/* The next tx / event of packet i from index *k on, or false. */
static bool
next_tx(const struct ft_burst_result *r, uint16_t i, uint32_t *k)
{
	while (*k < r->n_tx && r->tx[*k].src != i)
		(*k)++;
	return *k < r->n_tx;
}

static bool
next_event(const struct ft_burst_result *r, uint16_t i, uint32_t *k)
{
	while (*k < r->n_events && r->events[*k].src != i)
		(*k)++;
	return *k < r->n_events;
}

/* Whether p and q are the same bytes but for the two at 'off' (0: none). */
static bool
same_but(const struct ft_pkt *p, const struct ft_pkt *q, uint32_t off)
{
	const uint8_t *x = ft_pkt_data(p), *y = ft_pkt_data(q);

	if (p->len != q->len)
		return false;
	if (off == 0)
		return memcmp(x, y, p->len) == 0;
	return memcmp(x, y, off) == 0 &&
	       memcmp(x + off + 2, y + off + 2, p->len - off - 2) == 0;
}

const char *
ft_twin_diff(const struct ft_burst_result *model, const struct ft_twin_result *twin, uint16_t i)
{
	const struct ft_burst_result *a = model, *b = &twin->burst;
	uint32_t ka = 0, kb = 0, sport = twin->pkt[i].encap_udp_src_off;
	bool ha, hb;

	if (twin->pkt[i].undefined)
		return "the NIC met a case rte_flow leaves undefined";
	if (twin->pkt[i].bad_mark)
		return "a MARK no restore context has";
	if (a->drop[i] != b->drop[i])
		return "drop reasons differ";
	if (a->drop[i] != FT_DROP_NONE && a->drop_action[i] != b->drop_action[i])
		return "drop actions differ";
	for (; (ha = next_tx(a, i, &ka)) & (hb = next_tx(b, i, &kb)); ka++, kb++) {
		const struct ft_pkt *p = a->tx[ka].pkt, *q = b->tx[kb].pkt;

		if (a->tx[ka].port != b->tx[kb].port)
			return "output ports differ";
		if (sport + 2 > q->len)
			sport = 0; /* not in the packet: compare it all */
		if (!same_but(p, q, sport))
			return "packets sent differ";
		if (sport != 0 && ft_pkt_data(q)[sport] == 0 && ft_pkt_data(q)[sport + 1] == 0)
			return "the NIC sent UDP source port 0";
	}
	if (ha != hb)
		return "numbers of packets sent differ";
	ka = kb = 0;
	for (; (ha = next_event(a, i, &ka)) & (hb = next_event(b, i, &kb)); ka++, kb++) {
		const struct ft_event *x = &a->events[ka], *y = &b->events[kb];

		if (x->id != y->id || x->len != y->len || memcmp(x->data, y->data, x->len) != 0)
			return "events differ";
	}
	if (ha != hb)
		return "numbers of events differ";
	return NULL;
}

struct cwalk {
	struct ft_pipeline *twin;
	char *why;
	size_t size;
};

static int
entry_cmp(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct cwalk *c = arg;
	struct ft_entry key = {.key = e->key, .mask = e->mask, .priority = e->priority};
	struct ft_entry_info o;
	struct ft_table_decl td;

	ft_program_table(ft_pipeline_program(c->twin), table, &td);
	if (ft_pipeline_entry_read(c->twin, table, &key, &o) != 0) {
		snprintf(c->why, c->size, "table %s: entry %u is missing in the twin", td.name,
			 e->handle);
		return 1;
	}
	if (o.packets != e->packets || o.bytes != e->bytes) {
		snprintf(c->why, c->size,
			 "table %s entry %u: model %" PRIu64 " packets %" PRIu64 " bytes, twin %" PRIu64
			 " packets %" PRIu64 " bytes",
			 td.name, e->handle, e->packets, e->bytes, o.packets, o.bytes);
		return 1;
	}
	return 0;
}

int
ft_twin_counters_diff(struct ft_twin *t, struct ft_pipeline *model, char *why, size_t size)
{
	const struct ft_program *prog = ft_pipeline_program(model);
	struct ft_program_info info;
	struct cwalk c = {.twin = t->pipe, .why = why, .size = size};

	ft_twin_counters_collect(t);
	ft_program_info(prog, &info);
	for (uint32_t tb = 0; tb < info.n_tables; tb++)
		if (ft_pipeline_table_walk(model, tb, entry_cmp, &c) != 0)
			return 1;
	for (uint32_t k = 0; k < info.n_counters; k++)
		for (uint32_t i = 0; i < ft_program_counter_size(prog, k); i++) {
			uint64_t pa, ba, pb, bb;

			ft_pipeline_counter_read(model, k, i, &pa, &ba);
			ft_pipeline_counter_read(t->pipe, k, i, &pb, &bb);
			if (pa != pb || ba != bb) {
				snprintf(why, size,
					 "counter %s[%u]: model %" PRIu64 " packets %" PRIu64
					 " bytes, twin %" PRIu64 " packets %" PRIu64 " bytes",
					 ft_program_counter_name(prog, k), i, pa, ba, pb, bb);
				return 1;
			}
		}
	return 0;
}
