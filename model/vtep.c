/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VTEP vocabulary of the control API (include/flowtwin/vtep.h): the
 * commands of a Linux vxlan device turned into transactions on a pipeline
 * that runs p4/vtep.p4, as docs/vtep.md specifies them entry by entry. Part
 * of model/, the bottom layer, above ctl.c: it uses the public control,
 * program and pipeline APIs (and the pipeline's clock).
 *
 * How a command runs: the vocabulary's state is a handful of flat arrays
 * (settings, ports, fdb rows, neighbours, next hops, and the replication
 * ids and groups allocated for them). A command is applied to a copy of the
 * state; ids are allocated or freed in the copy; the copy is rendered into
 * the complete list of entries of the tables the vocabulary owns, plus the
 * members of its groups and two default actions; the sorted list is
 * compared with the one rendered for the state in force, and the
 * differences are staged in one transaction (deletes, then modifies, then
 * adds, then groups). Only when the commit succeeds does the copy become
 * the state. A command therefore costs time linear in the state: simple,
 * and always exactly what docs/vtep.md says, at the price of speed for very
 * large fdbs.
 *
 * An fdb "entry" (VNI, MAC) is one row per destination: one row naming a
 * port, or one or more rows naming remote IPs (append). The all-zeros MAC's
 * rows are the VNI's flood list.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/ctl.h>
#include <flowtwin/vtep.h>

#include "pipeline_private.h"

/* --- What the program must have ------------------------------------------------- */

enum {
	T_CONFIG,
	T_PORT_CLASS,
	T_VNI_TERM,
	T_VTEP_KNOWN,
	T_MAC_LEARN,
	T_ARP_PROXY,
	T_FDB,
	T_BUM,
	T_REMOTE,
	T_NEXTHOP,
	T_VLAN_OUT,
	T_COUNT
};

static const struct {
	const char *name;
	uint32_t n_keys;
	uint32_t bits[2];
} tspec[T_COUNT] = {
        [T_CONFIG] = {"vtep_config", 0, {0}},
        [T_PORT_CLASS] = {"port_class", 2, {32, 12}},
        [T_VNI_TERM] = {"vni_term", 1, {24}},
        [T_VTEP_KNOWN] = {"vtep_known", 2, {24, 32}},
        [T_MAC_LEARN] = {"mac_learn", 2, {24, 48}},
        [T_ARP_PROXY] = {"arp_proxy", 2, {24, 32}},
        [T_FDB] = {"fdb", 2, {24, 48}},
        [T_BUM] = {"bum_group", 1, {24}},
        [T_REMOTE] = {"remote_vtep", 1, {16}},
        [T_NEXTHOP] = {"nexthop", 1, {32}},
        [T_VLAN_OUT] = {"port_vlan_out", 1, {32}},
};

enum {
	A_SET_CONFIG,
	A_FROM_UPLINK,
	A_ACCESS,
	A_ACCESS_VLAN,
	A_DECAP,
	A_VTEP_OK,
	A_LEARNED,
	A_LEARN,
	A_NO_LEARN,
	A_ARP_REPLY,
	A_TO_PORT,
	A_TO_VTEP,
	A_TO_VTEP_GROUP,
	A_FLOOD,
	A_TO_REMOTE,
	A_SET_NEXTHOP,
	A_SET_OUT_VLAN,
	A_COUNT
};

#define PARAMS_MAX 11

static const struct {
	const char *name;
	uint32_t table;
	uint32_t n_params;
	uint32_t bits[PARAMS_MAX];
} aspec[A_COUNT] = {
        [A_SET_CONFIG] = {"set_config", T_CONFIG, 11, {32, 48, 16, 32, 8, 1, 8, 1, 1, 1, 1}},
        [A_FROM_UPLINK] = {"from_uplink", T_PORT_CLASS, 0, {0}},
        [A_ACCESS] = {"access", T_PORT_CLASS, 1, {24}},
        [A_ACCESS_VLAN] = {"access_vlan", T_PORT_CLASS, 1, {24}},
        [A_DECAP] = {"decap", T_VNI_TERM, 0, {0}},
        [A_VTEP_OK] = {"vtep_ok", T_VTEP_KNOWN, 0, {0}},
        [A_LEARNED] = {"learned", T_MAC_LEARN, 2, {32, 32}},
        [A_LEARN] = {"learn", T_MAC_LEARN, 0, {0}},
        [A_NO_LEARN] = {"no_learn", T_MAC_LEARN, 0, {0}},
        [A_ARP_REPLY] = {"arp_reply", T_ARP_PROXY, 1, {48}},
        [A_TO_PORT] = {"to_port", T_FDB, 1, {32}},
        [A_TO_VTEP] = {"to_vtep", T_FDB, 1, {32}},
        [A_TO_VTEP_GROUP] = {"to_vtep_group", T_FDB, 1, {32}},
        [A_FLOOD] = {"flood", T_BUM, 2, {32, 1}},
        [A_TO_REMOTE] = {"to_remote", T_REMOTE, 1, {32}},
        [A_SET_NEXTHOP] = {"set_nexthop", T_NEXTHOP, 1, {48}},
        [A_SET_OUT_VLAN] = {"set_out_vlan", T_VLAN_OUT, 1, {12}},
};

/* Digest data: l2miss (vni 3, mac 6, in_port 4), l3miss (vni 3, ip 4, in_port 4). */
#define L2MISS_LEN 13
#define L3MISS_LEN 11

#define KEY_MAX          16
#define DATA_MAX         32
#define DEFAULT_AGEING_S 300

/* --- State ---------------------------------------------------------------------- */

struct settings {
	bool have_local_ip;
	uint32_t local_ip;
	uint16_t udp_port;
	bool learning;
	uint32_t ageing_s;
	bool proxy, l2miss, l3miss;
	uint8_t ttl, tos;
	bool ttl_inherit, tos_inherit;
};

struct port {
	uint32_t port;
	bool uplink;
	bool have_mac;
	uint8_t mac[6]; /* uplink: the local VTEP's MAC */
	uint32_t vni;   /* access */
	uint16_t vlan;  /* access; 0: untagged */
};

/* One destination of an fdb entry (VNI, MAC). */
struct fdb_row {
	uint32_t vni;
	uint8_t mac[6];
	bool to_port; /* 'val' is a port, else a remote IP (host order) */
	bool learned;
	uint32_t val;
};

struct neigh {
	uint32_t vni;
	uint32_t ip;
	uint8_t mac[6];
	bool reachable;
	uint64_t since_ms;
};

struct nexthop {
	uint32_t ip;
	uint32_t plen;
	uint8_t mac[6];
};

struct rid {
	uint32_t ip;
	uint16_t rid;
};

/* G(vni) (is_mac false) or G(vni, mac). */
struct vgroup {
	uint32_t vni;
	uint8_t mac[6];
	bool is_mac;
	uint32_t group;
};

#define VEC(name, type)                                                                            \
	struct name {                                                                              \
		type *v;                                                                           \
		uint32_t n, cap;                                                                   \
	}

VEC(port_vec, struct port);
VEC(fdb_vec, struct fdb_row);
VEC(neigh_vec, struct neigh);
VEC(nexthop_vec, struct nexthop);
VEC(rid_vec, struct rid);
VEC(group_vec, struct vgroup);

struct state {
	struct settings set;
	struct port_vec ports;
	struct fdb_vec fdb;
	struct neigh_vec neigh;
	struct nexthop_vec nh;
	struct rid_vec rids;
	struct group_vec groups;
};

/* Makes room for one more element of 'size' bytes; 0 or -ENOMEM. */
static int
vec_reserve(void **v, uint32_t *cap, uint32_t n, size_t size)
{
	uint32_t c;
	void *p;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 8;
	if ((p = realloc(*v, c * size)) == NULL)
		return -ENOMEM;
	*v = p;
	*cap = c;
	return 0;
}

#define VEC_PUSH(vec, val)                                                                         \
	(vec_reserve((void **)&(vec).v, &(vec).cap, (vec).n, sizeof(*(vec).v)) < 0                 \
	         ? -ENOMEM                                                                         \
	         : ((vec).v[(vec).n++] = (val), 0))

#define VEC_DEL(vec, i)                                                                            \
	do {                                                                                       \
		memmove(&(vec).v[(i)], &(vec).v[(i) + 1], ((vec).n - (i)-1) * sizeof(*(vec).v));   \
		(vec).n--;                                                                         \
	} while (0)

static int
vec_dup(void **dst, uint32_t *cap, const void *src, uint32_t n, size_t size)
{
	*dst = NULL;
	*cap = 0;
	if (n == 0)
		return 0;
	if ((*dst = malloc(n * size)) == NULL)
		return -ENOMEM;
	memcpy(*dst, src, n * size);
	*cap = n;
	return 0;
}

#define VEC_DUP(d, s)                                                                              \
	((d).n = (s).n, vec_dup((void **)&(d).v, &(d).cap, (s).v, (s).n, sizeof(*(s).v)))

static void
state_free(struct state *st)
{
	free(st->ports.v);
	free(st->fdb.v);
	free(st->neigh.v);
	free(st->nh.v);
	free(st->rids.v);
	free(st->groups.v);
	memset(st, 0, sizeof(*st));
}

static int
state_dup(struct state *d, const struct state *s)
{
	memset(d, 0, sizeof(*d));
	d->set = s->set;
	if (VEC_DUP(d->ports, s->ports) < 0 || VEC_DUP(d->fdb, s->fdb) < 0 ||
	    VEC_DUP(d->neigh, s->neigh) < 0 || VEC_DUP(d->nh, s->nh) < 0 ||
	    VEC_DUP(d->rids, s->rids) < 0 || VEC_DUP(d->groups, s->groups) < 0) {
		state_free(d);
		return -ENOMEM;
	}
	return 0;
}

/* --- Rendered entries --------------------------------------------------------------- */

struct rent {
	uint32_t table;
	uint8_t key[KEY_MAX];
	uint8_t mask[KEY_MAX];
	uint32_t action;
	uint8_t data[DATA_MAX];
};

struct rmember {
	uint32_t group;
	uint32_t seq;
	struct ft_group_member m;
};

VEC(rent_vec, struct rent);
VEC(rmember_vec, struct rmember);

struct render {
	struct rent_vec ents;     /* sorted by table, key, mask */
	struct rmember_vec mems;  /* sorted by group, then order */
	uint8_t config[DATA_MAX]; /* set_config's data */
	bool learning;
};

static void
render_free(struct render *r)
{
	free(r->ents.v);
	free(r->mems.v);
	memset(r, 0, sizeof(*r));
}

struct ft_vtep {
	struct ft_ctl *ctl;
	struct ft_pipeline *pipe;
	struct ft_ctl_vocab vocab;
	uint32_t table[T_COUNT];
	uint32_t action[A_COUNT];
	uint32_t key_size[T_COUNT];
	int l2miss_digest, l3miss_digest;
	uint32_t n_groups;
	const uint16_t *vxlan_ports;
	uint32_t n_vxlan_ports;
	struct state st;
	struct render cur; /* what st rendered to: in the pipeline now */
	ft_vtep_event_fn cb;
	void *cb_arg;
};

/* --- Bytes ---------------------------------------------------------------------------- */

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static const uint8_t zero_mac[6];

static bool
mac_is_zero(const uint8_t *mac)
{
	return memcmp(mac, zero_mac, 6) == 0;
}

static void
fmt_mac(const uint8_t *m, char *buf, size_t size)
{
	snprintf(buf, size, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void
fmt_ip(uint32_t ip, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
	         ip & 0xff);
}

/* --- Rendering --------------------------------------------------------------------------- */

static int
rent_cmp(const void *a, const void *b)
{
	const struct rent *x = a, *y = b;
	int c;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	if ((c = memcmp(x->key, y->key, KEY_MAX)) != 0)
		return c;
	return memcmp(x->mask, y->mask, KEY_MAX);
}

static int
rmember_cmp(const void *a, const void *b)
{
	const struct rmember *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* An entry of table 't' with action 'a'; key and data filled by the caller. */
static struct rent *
rent_new(struct render *r, uint32_t t, uint32_t a, const struct ft_vtep *v)
{
	struct rent e;

	memset(&e, 0, sizeof(e));
	e.table = v->table[t];
	e.action = v->action[a];
	memset(e.mask, 0xff, KEY_MAX);
	if (VEC_PUSH(r->ents, e) < 0)
		return NULL;
	return &r->ents.v[r->ents.n - 1];
}

static int
member_add(struct render *r, uint32_t group, uint32_t port, uint16_t rid)
{
	struct rmember m = {.group = group, .seq = r->mems.n, .m = {.port = port, .rid = rid}};

	return VEC_PUSH(r->mems, m);
}

static const struct port *
uplink_of(const struct state *st)
{
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (st->ports.v[i].uplink)
			return &st->ports.v[i];
	return NULL;
}

static const struct rid *
rid_of(const struct state *st, uint32_t ip)
{
	for (uint32_t i = 0; i < st->rids.n; i++)
		if (st->rids.v[i].ip == ip)
			return &st->rids.v[i];
	return NULL;
}

static const struct vgroup *
group_of(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	for (uint32_t i = 0; i < st->groups.n; i++) {
		const struct vgroup *g = &st->groups.v[i];

		if (g->vni == vni && g->is_mac == (mac != NULL) &&
		    (mac == NULL || memcmp(g->mac, mac, 6) == 0))
			return g;
	}
	return NULL;
}

/* The number of fdb rows of (vni, mac). */
static uint32_t
fdb_count(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < st->fdb.n; i++)
		n += st->fdb.v[i].vni == vni && memcmp(st->fdb.v[i].mac, mac, 6) == 0;
	return n;
}

/* Is 'vni' used: by an access port, an fdb row or a neighbour. */
static bool
vni_used(const struct state *st, uint32_t vni)
{
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (!st->ports.v[i].uplink && st->ports.v[i].vni == vni)
			return true;
	for (uint32_t i = 0; i < st->fdb.n; i++)
		if (st->fdb.v[i].vni == vni)
			return true;
	for (uint32_t i = 0; i < st->neigh.n; i++)
		if (st->neigh.v[i].vni == vni)
			return true;
	return false;
}

/* Does the IP need a rid: in a flood list or in an fdb entry of several destinations. */
static bool
ip_needs_rid(const struct state *st, uint32_t ip)
{
	for (uint32_t i = 0; i < st->fdb.n; i++) {
		const struct fdb_row *f = &st->fdb.v[i];

		if (!f->to_port && f->val == ip &&
		    (mac_is_zero(f->mac) || fdb_count(st, f->vni, f->mac) > 1))
			return true;
	}
	return false;
}

static bool
group_needed(const struct state *st, const struct vgroup *g)
{
	if (!g->is_mac)
		return vni_used(st, g->vni);
	return fdb_count(st, g->vni, g->mac) > 1;
}

static bool
group_id_used(const struct state *st, uint32_t id)
{
	for (uint32_t i = 0; i < st->groups.n; i++)
		if (st->groups.v[i].group == id)
			return true;
	return false;
}

static int
group_alloc(const struct ft_vtep *v, struct state *st, uint32_t vni, const uint8_t *mac,
            struct ft_error *err)
{
	struct vgroup g = {.vni = vni, .is_mac = mac != NULL};

	if (group_of(st, vni, mac) != NULL)
		return 0;
	if (mac != NULL)
		memcpy(g.mac, mac, 6);
	for (g.group = 1; g.group < v->n_groups && group_id_used(st, g.group); g.group++)
		;
	if (g.group >= v->n_groups)
		return ft_error_set(err, -ENOSPC, FT_ERR_GROUP, UINT32_MAX, NULL,
		                    "no free replication group (the program has %u)", v->n_groups);
	if (VEC_PUSH(st->groups, g) < 0)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	return 0;
}

/* Frees the rids and groups nothing uses and allocates those newly needed. */
static int
ids_update(const struct ft_vtep *v, struct state *st, struct ft_error *err)
{
	int rc;

	for (uint32_t i = st->rids.n; i-- > 0;)
		if (!ip_needs_rid(st, st->rids.v[i].ip))
			VEC_DEL(st->rids, i);
	for (uint32_t i = st->groups.n; i-- > 0;)
		if (!group_needed(st, &st->groups.v[i]))
			VEC_DEL(st->groups, i);
	for (uint32_t i = 0; i < st->fdb.n; i++) {
		const struct fdb_row *f = &st->fdb.v[i];
		struct rid r = {.ip = f->val};
		bool used;

		if (f->to_port || rid_of(st, f->val) != NULL || !ip_needs_rid(st, f->val))
			continue;
		for (r.rid = 1; r.rid != 0; r.rid++) {
			used = false;
			for (uint32_t k = 0; k < st->rids.n && !used; k++)
				used = st->rids.v[k].rid == r.rid;
			if (!used)
				break;
		}
		if (r.rid == 0)
			return ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, UINT32_MAX, "dst",
			                    "no free replication id (65535 remote VTEPs)");
		if (VEC_PUSH(st->rids, r) < 0)
			return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
			                    "out of memory");
	}
	/* G(vni) for each VNI in use, G(vni, mac) for each entry of several destinations. */
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (!st->ports.v[i].uplink &&
		    (rc = group_alloc(v, st, st->ports.v[i].vni, NULL, err)) < 0)
			return rc;
	for (uint32_t i = 0; i < st->neigh.n; i++)
		if ((rc = group_alloc(v, st, st->neigh.v[i].vni, NULL, err)) < 0)
			return rc;
	for (uint32_t i = 0; i < st->fdb.n; i++) {
		const struct fdb_row *f = &st->fdb.v[i];

		if ((rc = group_alloc(v, st, f->vni, NULL, err)) < 0)
			return rc;
		if (!mac_is_zero(f->mac) && fdb_count(st, f->vni, f->mac) > 1 &&
		    (rc = group_alloc(v, st, f->vni, f->mac, err)) < 0)
			return rc;
	}
	return 0;
}

static void
render_config(const struct ft_vtep *v, const struct state *st, uint8_t *d)
{
	const struct port *up = uplink_of(st);
	const struct settings *s = &st->set;

	(void)v;
	memset(d, 0, DATA_MAX);
	put32(d, s->have_local_ip ? s->local_ip : 0);
	if (up != NULL && up->have_mac)
		memcpy(d + 4, up->mac, 6);
	put16(d + 10, s->udp_port);
	put32(d + 12, up != NULL ? up->port : 0);
	d[16] = s->ttl;
	d[17] = s->ttl_inherit;
	d[18] = s->tos;
	d[19] = s->tos_inherit;
	d[20] = s->proxy;
	d[21] = s->l2miss;
	d[22] = s->l3miss;
}

/* Renders 'st' (its ids allocated) into 'r'. */
static int
render(const struct ft_vtep *v, const struct state *st, struct render *r, struct ft_error *err)
{
	const struct port *up = uplink_of(st);
	struct rent *e;

	memset(r, 0, sizeof(*r));
	render_config(v, st, r->config);
	r->learning = st->set.learning;
#define NEW(t, a)                                                                                  \
	do {                                                                                       \
		if ((e = rent_new(r, (t), (a), v)) == NULL)                                        \
			goto oom;                                                                  \
	} while (0)
	for (uint32_t i = 0; i < st->ports.n; i++) {
		const struct port *p = &st->ports.v[i];

		if (p->uplink) {
			NEW(T_PORT_CLASS, A_FROM_UPLINK);
			put32(e->key, p->port);
			continue;
		}
		NEW(T_PORT_CLASS, p->vlan ? A_ACCESS_VLAN : A_ACCESS);
		put32(e->key, p->port);
		put16(e->key + 4, p->vlan);
		put24(e->data, p->vni);
		if (p->vlan) {
			NEW(T_VLAN_OUT, A_SET_OUT_VLAN);
			put32(e->key, p->port);
			put16(e->data, p->vlan);
		}
	}
	for (uint32_t i = 0; i < st->groups.n; i++) {
		const struct vgroup *g = &st->groups.v[i];
		bool has_remote = false;

		if (g->is_mac) {
			for (uint32_t k = 0; k < st->fdb.n && up != NULL; k++) {
				const struct fdb_row *f = &st->fdb.v[k];

				if (f->vni == g->vni && memcmp(f->mac, g->mac, 6) == 0 &&
				    member_add(r, g->group, up->port, rid_of(st, f->val)->rid) < 0)
					goto oom;
			}
			continue;
		}
		for (uint32_t k = 0; k < st->ports.n; k++) {
			const struct port *p = &st->ports.v[k];

			if (!p->uplink && p->vni == g->vni &&
			    member_add(r, g->group, p->port, 0) < 0)
				goto oom;
		}
		for (uint32_t k = 0; k < st->fdb.n; k++) {
			const struct fdb_row *f = &st->fdb.v[k];

			if (f->vni != g->vni || !mac_is_zero(f->mac) || f->to_port)
				continue;
			has_remote = true;
			if (up != NULL &&
			    member_add(r, g->group, up->port, rid_of(st, f->val)->rid) < 0)
				goto oom;
		}
		NEW(T_VNI_TERM, A_DECAP);
		put24(e->key, g->vni);
		NEW(T_BUM, A_FLOOD);
		put24(e->key, g->vni);
		put32(e->data, g->group);
		e->data[4] = has_remote;
	}
	for (uint32_t i = 0; i < st->fdb.n; i++) {
		const struct fdb_row *f = &st->fdb.v[i];
		uint32_t n = fdb_count(st, f->vni, f->mac);

		if (!f->to_port) {
			NEW(T_VTEP_KNOWN, A_VTEP_OK);
			put24(e->key, f->vni);
			put32(e->key + 3, f->val);
		}
		if (mac_is_zero(f->mac))
			continue;
		if (f->to_port) {
			NEW(T_FDB, A_TO_PORT);
			put32(e->data, f->val);
		} else if (n == 1) {
			NEW(T_FDB, A_TO_VTEP);
			put32(e->data, f->val);
		} else {
			NEW(T_FDB, A_TO_VTEP_GROUP);
			put32(e->data, group_of(st, f->vni, f->mac)->group);
		}
		put24(e->key, f->vni);
		memcpy(e->key + 3, f->mac, 6);
	}
	for (uint32_t i = 0; i < st->rids.n; i++) {
		NEW(T_REMOTE, A_TO_REMOTE);
		put16(e->key, st->rids.v[i].rid);
		put32(e->data, st->rids.v[i].ip);
	}
	for (uint32_t i = 0; i < st->neigh.n; i++) {
		NEW(T_ARP_PROXY, A_ARP_REPLY);
		put24(e->key, st->neigh.v[i].vni);
		put32(e->key + 3, st->neigh.v[i].ip);
		memcpy(e->data, st->neigh.v[i].mac, 6);
	}
	for (uint32_t i = 0; i < st->nh.n; i++) {
		const struct nexthop *h = &st->nh.v[i];
		uint32_t m = h->plen ? ~0u << (32 - h->plen) : 0;

		NEW(T_NEXTHOP, A_SET_NEXTHOP);
		put32(e->key, h->ip & m);
		memset(e->mask, 0, KEY_MAX);
		put32(e->mask, m);
		memcpy(e->data, h->mac, 6);
	}
#undef NEW
	if (r->ents.n > 1)
		qsort(r->ents.v, r->ents.n, sizeof(*r->ents.v), rent_cmp);
	/* vtep_known rows repeat when an IP is named twice in a VNI: keep one. */
	for (uint32_t i = 1; i < r->ents.n;)
		if (rent_cmp(&r->ents.v[i - 1], &r->ents.v[i]) == 0)
			VEC_DEL(r->ents, i);
		else
			i++;
	if (r->mems.n > 1)
		qsort(r->mems.v, r->mems.n, sizeof(*r->mems.v), rmember_cmp);
	return 0;
oom:
	render_free(r);
	return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
}

/* --- Transactions ---------------------------------------------------------------------- */

static struct ft_entry
rent_entry(const struct ft_vtep *v, const struct rent *e)
{
	uint32_t t;

	for (t = 0; t < T_COUNT && v->table[t] != e->table; t++)
		;
	return (struct ft_entry){
	        .key = e->key,
	        .mask = t == T_NEXTHOP ? e->mask : NULL,
	        .action = e->action,
	        .data = e->data,
	};
}

/* The members of 'group' in 'r' (sorted): first index and count. */
static uint32_t
members_of(const struct render *r, uint32_t group, uint32_t *first)
{
	uint32_t i = 0, n = 0;

	while (i < r->mems.n && r->mems.v[i].group < group)
		i++;
	*first = i;
	while (i + n < r->mems.n && r->mems.v[i + n].group == group)
		n++;
	return n;
}

static int
stage_group(struct ft_txn *txn, const struct render *r, uint32_t group, struct ft_error *err)
{
	uint32_t first, n = members_of(r, group, &first);
	struct ft_group_member *mp = NULL;
	int rc;

	if (n > 0 && (mp = calloc(n, sizeof(*mp))) == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	for (uint32_t i = 0; i < n; i++)
		mp[i] = r->mems.v[first + i].m;
	rc = ft_txn_group_set(txn, group, mp, n, err);
	free(mp);
	return rc;
}

static bool
group_differs(const struct render *a, const struct render *b, uint32_t group)
{
	uint32_t fa, fb, na = members_of(a, group, &fa), nb = members_of(b, group, &fb);

	if (na != nb)
		return true;
	for (uint32_t i = 0; i < na; i++)
		if (a->mems.v[fa + i].m.port != b->mems.v[fb + i].m.port ||
		    a->mems.v[fa + i].m.rid != b->mems.v[fb + i].m.rid)
			return true;
	return false;
}

/* Stages what changes from 'old' to 'new'. */
static int
stage_diff(const struct ft_vtep *v, struct ft_txn *txn, const struct render *old,
           const struct render *new, struct ft_error *err)
{
	const uint8_t *data;
	uint32_t i, k, action;
	int rc = 0;

	/* Deletes and modifies, then adds: a merge of the two sorted lists. */
	for (int pass = 0; pass < 2 && rc == 0; pass++) {
		for (i = 0, k = 0; rc == 0 && (i < old->ents.n || k < new->ents.n);) {
			int c = i == old->ents.n   ? 1
			        : k == new->ents.n ? -1
			                           : rent_cmp(&old->ents.v[i], &new->ents.v[k]);
			struct ft_entry e;

			if (c < 0) {
				e = rent_entry(v, &old->ents.v[i++]);
				if (pass == 0)
					rc = ft_txn_entry_delete(txn, old->ents.v[i - 1].table, &e,
					                         err);
			} else if (c > 0) {
				e = rent_entry(v, &new->ents.v[k++]);
				if (pass == 1)
					rc = ft_txn_entry_add(txn, new->ents.v[k - 1].table, &e,
					                      err);
			} else {
				const struct rent *a = &old->ents.v[i++], *b = &new->ents.v[k++];

				e = rent_entry(v, b);
				if (pass == 0 && (a->action != b->action ||
				                  memcmp(a->data, b->data, DATA_MAX) != 0))
					rc = ft_txn_entry_modify(txn, b->table, &e, err);
			}
		}
	}
	/* Groups: every group of either side whose members differ. */
	for (i = 0; rc == 0 && i < old->mems.n; i++)
		if ((i == 0 || old->mems.v[i].group != old->mems.v[i - 1].group) &&
		    group_differs(old, new, old->mems.v[i].group))
			rc = stage_group(txn, new, old->mems.v[i].group, err);
	for (i = 0; rc == 0 && i < new->mems.n; i++) {
		uint32_t g = new->mems.v[i].group, f;

		if ((i == 0 || g != new->mems.v[i - 1].group) && members_of(old, g, &f) == 0 &&
		    group_differs(old, new, g))
			rc = stage_group(txn, new, g, err);
	}
	if (rc < 0)
		return rc;
	/* The two default actions, compared with what the pipeline has. */
	ft_pipeline_default_read(v->pipe, v->table[T_CONFIG], &action, &data);
	if (action != v->action[A_SET_CONFIG] || data == NULL || memcmp(data, new->config, 23) != 0)
		rc = ft_txn_default_set(txn, v->table[T_CONFIG], v->action[A_SET_CONFIG],
		                        new->config, err);
	if (rc < 0)
		return rc;
	ft_pipeline_default_read(v->pipe, v->table[T_MAC_LEARN], &action, &data);
	if (action != v->action[new->learning ? A_LEARN : A_NO_LEARN])
		rc = ft_txn_default_set(txn, v->table[T_MAC_LEARN],
		                        v->action[new->learning ? A_LEARN : A_NO_LEARN], NULL, err);
	return rc;
}

/* Copies the key of each entry of a table (for deleting them all). */
struct keys {
	uint32_t size;
	uint8_t *v;
	uint32_t n, cap;
	bool oom;
};

static int
key_collect(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct keys *k = arg;

	(void)table;
	if (k->n == k->cap) {
		uint32_t cap = k->cap ? 2 * k->cap : 64;
		uint8_t *p = realloc(k->v, (size_t)cap * k->size);

		if (p == NULL) {
			k->oom = true;
			return 1;
		}
		k->v = p;
		k->cap = cap;
	}
	memcpy(k->v + (size_t)k->n++ * k->size, e->key, k->size);
	return 0;
}

/*
 * Makes 'st' (taken: freed or kept) the state, in one transaction; with
 * 'clear_learn', every mac_learn entry is deleted in it too.
 */
static int
commit_state(struct ft_vtep *v, struct state *st, bool clear_learn, struct ft_error *err)
{
	struct keys keys = {.size = v->key_size[T_MAC_LEARN]};
	struct render r;
	struct ft_txn *txn;
	int rc;

	if ((rc = ids_update(v, st, err)) < 0 || (rc = render(v, st, &r, err)) < 0) {
		state_free(st);
		return rc;
	}
	if (clear_learn &&
	    (ft_pipeline_table_walk(v->pipe, v->table[T_MAC_LEARN], key_collect, &keys) != 0 ||
	     keys.oom)) {
		rc = ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
		goto out;
	}
	if ((txn = ft_txn_begin(v->pipe, err)) == NULL) {
		rc = err != NULL && err->code < 0 ? err->code : -EBUSY;
		goto out;
	}
	rc = stage_diff(v, txn, &v->cur, &r, err);
	for (uint32_t i = 0; rc == 0 && i < keys.n; i++) {
		struct ft_entry e = {.key = keys.v + (size_t)i * keys.size};

		rc = ft_txn_entry_delete(txn, v->table[T_MAC_LEARN], &e, err);
	}
	if (rc < 0)
		ft_txn_abort(txn);
	else
		rc = ft_txn_commit(txn, err);
out:
	free(keys.v);
	if (rc < 0) {
		render_free(&r);
		state_free(st);
		return rc;
	}
	render_free(&v->cur);
	v->cur = r;
	state_free(&v->st);
	v->st = *st;
	return 0;
}

/* --- Parsing ------------------------------------------------------------------------------ */

static int
parse_mac_word(const char *text, const char *what, uint8_t mac[6], struct ft_error *err)
{
	if (text == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "missing %s",
		                    what);
	if (strchr(text, ':') == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "bad MAC address '%s'", text);
	return ft_ctl_parse_value(text, 48, mac, what, err);
}

static int
parse_ip_word(const char *text, const char *what, uint32_t *ip, struct ft_error *err)
{
	uint8_t b[4];
	int rc;

	if (text == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "missing %s",
		                    what);
	if (strchr(text, '.') == NULL || strchr(text, ':') != NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "bad IPv4 address '%s'", text);
	if ((rc = ft_ctl_parse_value(text, 32, b, what, err)) < 0)
		return rc;
	*ip = get32(b);
	return 0;
}

/* A decimal or hex number of at most 'bits' bits, no more than 'max'. */
static int
parse_num_word(const char *text, const char *what, uint32_t bits, uint32_t min, uint32_t max,
               uint32_t *val, struct ft_error *err)
{
	uint8_t b[4] = {0};
	uint32_t nb = (bits + 7) / 8;
	int rc;

	if (text == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "missing %s",
		                    what);
	if (strpbrk(text, ":.") != NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what, "bad value '%s'",
		                    text);
	if ((rc = ft_ctl_parse_value(text, bits, b + 4 - nb, what, err)) < 0)
		return rc;
	*val = get32(b);
	if (*val < min || *val > max)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "'%s' is not in %u .. %u", text, min, max);
	return 0;
}

static int
parse_onoff(const char *text, const char *what, bool *v, struct ft_error *err)
{
	if (text != NULL && strcmp(text, "on") == 0)
		*v = true;
	else if (text != NULL && strcmp(text, "off") == 0)
		*v = false;
	else
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, what,
		                    "%s takes on or off, not '%s'", what, text ? text : "");
	return 0;
}

static int
usage(const char *text, struct ft_error *err)
{
	return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, NULL, "usage: %s", text);
}

static int
oom(struct ft_error *err)
{
	return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
}

static struct port *
port_find(struct state *st, uint32_t port)
{
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (st->ports.v[i].port == port)
			return &st->ports.v[i];
	return NULL;
}

/* Writes one line of output. */
static void say(ft_ctl_out_fn out, void *arg, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void
say(ft_ctl_out_fn out, void *arg, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (out == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	out(arg, line);
}

/* --- fdb --------------------------------------------------------------------------------- */

#define FDB_USAGE                                                                                  \
	"fdb add|append|replace MAC vni N dst IP | fdb add|replace MAC vni N port PORT | "         \
	"fdb del MAC vni N [dst IP] | fdb show [vni N]"

/* Removes the rows of (vni, mac) that are learned (all: 'learned_only' false). */
static void
fdb_remove(struct state *st, uint32_t vni, const uint8_t *mac, bool learned_only)
{
	for (uint32_t i = st->fdb.n; i-- > 0;) {
		const struct fdb_row *f = &st->fdb.v[i];

		if (f->vni == vni && memcmp(f->mac, mac, 6) == 0 && (!learned_only || f->learned))
			VEC_DEL(st->fdb, i);
	}
}

/* Is (vni, mac) a learned entry (its rows learned). */
static bool
fdb_is_learned(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	for (uint32_t i = 0; i < st->fdb.n; i++)
		if (st->fdb.v[i].vni == vni && memcmp(st->fdb.v[i].mac, mac, 6) == 0)
			return st->fdb.v[i].learned;
	return false;
}

static int
fdb_row_cmp(const void *a, const void *b)
{
	const struct fdb_row *x = *(const struct fdb_row *const *)a;
	const struct fdb_row *y = *(const struct fdb_row *const *)b;
	int c;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	if ((c = memcmp(x->mac, y->mac, 6)) != 0)
		return c;
	return x < y ? -1 : x > y;
}

/* "... show [vni N]": '*all' unless a VNI is given. */
static int
show_vni(int argc, char **argv, const char *syntax, uint32_t *vni, bool *all,
         struct ft_error *err)
{
	if (argc == 2)
		return 0;
	if (argc != 4 || strcmp(argv[2], "vni") != 0)
		return usage(syntax, err);
	*all = false;
	return parse_num_word(argv[3], "vni", 24, 0, 0xffffff, vni, err);
}

/*
 * fdb show [vni N]: static rows as the commands that make them ("fdb append
 * MAC vni N dst IP", "fdb add MAC vni N port P"), learned rows commented out
 * ("# learned: fdb add ..."), by VNI and MAC.
 */
static int
fdb_show(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
         struct ft_error *err)
{
	const struct fdb_row **rows;
	uint32_t vni = 0, n = 0;
	bool all = true;
	int rc;

	if ((rc = show_vni(argc, argv, "fdb show [vni N]", &vni, &all, err)) < 0)
		return rc;
	if ((rows = calloc(v->st.fdb.n + 1, sizeof(*rows))) == NULL)
		return oom(err);
	for (uint32_t i = 0; i < v->st.fdb.n; i++)
		if (all || v->st.fdb.v[i].vni == vni)
			rows[n++] = &v->st.fdb.v[i];
	qsort(rows, n, sizeof(*rows), fdb_row_cmp);
	for (uint32_t i = 0; i < n; i++) {
		const struct fdb_row *f = rows[i];
		char mac[20], ip[16];

		fmt_mac(f->mac, mac, sizeof(mac));
		fmt_ip(f->val, ip, sizeof(ip));
		if (f->to_port)
			say(out, arg, "%sfdb add %s vni %u port %u",
			    f->learned ? "# learned: " : "", mac, f->vni, f->val);
		else
			say(out, arg, "%sfdb %s %s vni %u dst %s", f->learned ? "# learned: " : "",
			    f->learned ? "add" : "append", mac, f->vni, ip);
	}
	free(rows);
	return 0;
}

static int
cmd_fdb(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
        struct ft_error *err)
{
	enum { ADD, APPEND, REPLACE, DEL } op;
	bool have_dst = false, have_port = false, have_vni = false;
	uint32_t vni = 0, dst = 0, port = 0;
	struct fdb_row row;
	struct state st;
	uint8_t mac[6];
	uint32_t n;
	int rc;

	if (argc < 2)
		return usage(FDB_USAGE, err);
	if (strcmp(argv[1], "show") == 0)
		return fdb_show(v, argc, argv, out, arg, err);
	if (strcmp(argv[1], "add") == 0)
		op = ADD;
	else if (strcmp(argv[1], "append") == 0)
		op = APPEND;
	else if (strcmp(argv[1], "replace") == 0)
		op = REPLACE;
	else if (strcmp(argv[1], "del") == 0)
		op = DEL;
	else
		return usage(FDB_USAGE, err);
	if ((rc = parse_mac_word(argv[2], "mac", mac, err)) < 0)
		return rc;
	for (int i = 3; i < argc; i += 2) {
		const char *w = argv[i], *val = argv[i + 1];

		if (strcmp(w, "vni") == 0)
			rc = parse_num_word(val, "vni", 24, 0, 0xffffff, &vni, err),
			have_vni = true;
		else if (strcmp(w, "dst") == 0)
			rc = parse_ip_word(val, "dst", &dst, err), have_dst = true;
		else if (strcmp(w, "port") == 0)
			rc = parse_num_word(val, "port", 32, 0, UINT32_MAX, &port, err),
			have_port = true;
		else
			return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, w,
			                    "unknown word '%s' (usage: %s)", w, FDB_USAGE);
		if (rc < 0)
			return rc;
	}
	if (!have_vni)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "vni", "missing vni N");
	if (have_dst && have_port)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "port",
		                    "give dst IP or port PORT, not both");
	if (op != DEL && !have_dst && !have_port)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "dst",
		                    "missing dst IP or port PORT");
	if (have_port && op == DEL)
		have_port = false; /* fdb del MAC vni N port P: the entry */
	if (have_port) {
		const struct port *p = port_find(&v->st, port);

		if (mac_is_zero(mac))
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "port",
			                    "the all-zeros MAC (the flood list) takes dst IP");
		if (op == APPEND)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "port",
			                    "append takes dst IP, not port");
		if (p == NULL || p->uplink)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "port",
			                    "unknown port %u (not an access port)", port);
	}
	if (have_dst && op != DEL) {
		if (!v->st.set.have_local_ip)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "local-ip",
			                    "no local IP: vtep set local-ip IP first");
		if (dst == 0 || (dst >> 28) >= 0xe)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "dst",
			                    "dst is not a unicast address");
	}
	n = fdb_count(&v->st, vni, mac);
	if (op == DEL) {
		uint32_t found = 0;

		for (uint32_t i = 0; i < v->st.fdb.n; i++) {
			const struct fdb_row *f = &v->st.fdb.v[i];

			found += f->vni == vni && memcmp(f->mac, mac, 6) == 0 &&
			         (!have_dst || (!f->to_port && f->val == dst));
		}
		if (found == 0)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, UINT32_MAX, "mac",
			                    "no fdb entry %s vni %u%s%s", argv[2], vni,
			                    have_dst ? " with that dst" : "", "");
	}
	if (op == ADD && n > 0 && !fdb_is_learned(&v->st, vni, mac))
		return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "mac",
		                    "fdb entry %s vni %u exists (append or replace it)", argv[2],
		                    vni);
	if ((rc = state_dup(&st, &v->st)) < 0)
		return oom(err);
	memset(&row, 0, sizeof(row));
	row.vni = vni;
	memcpy(row.mac, mac, 6);
	row.to_port = have_port;
	row.val = have_port ? port : dst;
	switch (op) {
	case ADD:
	case REPLACE:
		fdb_remove(&st, vni, mac, false);
		rc = VEC_PUSH(st.fdb, row);
		break;
	case APPEND:
		/* A learned entry gives way; a port entry does not take destinations. */
		fdb_remove(&st, vni, mac, true);
		for (uint32_t i = 0; i < st.fdb.n && rc == 0; i++) {
			const struct fdb_row *f = &st.fdb.v[i];

			if (f->vni != vni || memcmp(f->mac, mac, 6) != 0)
				continue;
			if (f->to_port)
				rc = ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, "mac",
				                  "fdb entry %s vni %u is a local port's", argv[2],
				                  vni);
			else if (f->val == dst)
				rc = ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "dst",
				                  "fdb entry %s vni %u already has that dst",
				                  argv[2], vni);
		}
		if (rc == 0 && (rc = VEC_PUSH(st.fdb, row)) < 0)
			rc = oom(err);
		break;
	case DEL:
		for (uint32_t i = st.fdb.n; i-- > 0;) {
			const struct fdb_row *f = &st.fdb.v[i];

			if (f->vni == vni && memcmp(f->mac, mac, 6) == 0 &&
			    (!have_dst || (!f->to_port && f->val == dst)))
				VEC_DEL(st.fdb, i);
		}
		break;
	}
	if (rc < 0) {
		state_free(&st);
		return rc == -ENOMEM ? oom(err) : rc;
	}
	return commit_state(v, &st, false, err);
}

/* --- neigh -------------------------------------------------------------------------------- */

#define NEIGH_USAGE                                                                                \
	"neigh add|replace IP lladdr MAC vni N [nud permanent|reachable] | neigh del IP vni N | "  \
	"neigh show [vni N]"

static int
neigh_find(const struct state *st, uint32_t vni, uint32_t ip)
{
	for (uint32_t i = 0; i < st->neigh.n; i++)
		if (st->neigh.v[i].vni == vni && st->neigh.v[i].ip == ip)
			return (int)i;
	return -1;
}

static int
neigh_cmp(const void *a, const void *b)
{
	const struct neigh *x = a, *y = b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int
neigh_show(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
           struct ft_error *err)
{
	struct neigh *ns;
	uint32_t vni = 0, n = 0;
	bool all = true;
	int rc;

	if ((rc = show_vni(argc, argv, "neigh show [vni N]", &vni, &all, err)) < 0)
		return rc;
	if ((ns = calloc(v->st.neigh.n + 1, sizeof(*ns))) == NULL)
		return oom(err);
	for (uint32_t i = 0; i < v->st.neigh.n; i++)
		if (all || v->st.neigh.v[i].vni == vni)
			ns[n++] = v->st.neigh.v[i];
	qsort(ns, n, sizeof(*ns), neigh_cmp);
	for (uint32_t i = 0; i < n; i++) {
		char mac[20], ip[16];

		fmt_mac(ns[i].mac, mac, sizeof(mac));
		fmt_ip(ns[i].ip, ip, sizeof(ip));
		say(out, arg, "neigh add %s lladdr %s vni %u nud %s", ip, mac, ns[i].vni,
		    ns[i].reachable ? "reachable" : "permanent");
	}
	free(ns);
	return 0;
}

static int
cmd_neigh(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
          struct ft_error *err)
{
	bool have_mac = false, have_vni = false, reachable = false, del;
	uint32_t vni = 0, ip;
	struct neigh nb;
	struct state st;
	uint8_t mac[6];
	int rc, at;

	if (argc < 2)
		return usage(NEIGH_USAGE, err);
	if (strcmp(argv[1], "show") == 0)
		return neigh_show(v, argc, argv, out, arg, err);
	del = strcmp(argv[1], "del") == 0;
	if (!del && strcmp(argv[1], "add") != 0 && strcmp(argv[1], "replace") != 0)
		return usage(NEIGH_USAGE, err);
	if ((rc = parse_ip_word(argv[2], "ip", &ip, err)) < 0)
		return rc;
	for (int i = 3; i < argc; i += 2) {
		const char *w = argv[i], *val = argv[i + 1];

		if (strcmp(w, "lladdr") == 0)
			rc = parse_mac_word(val, "lladdr", mac, err), have_mac = true;
		else if (strcmp(w, "vni") == 0)
			rc = parse_num_word(val, "vni", 24, 0, 0xffffff, &vni, err),
			have_vni = true;
		else if (strcmp(w, "nud") == 0) {
			if (val != NULL && strcmp(val, "permanent") == 0)
				reachable = false;
			else if (val != NULL && strcmp(val, "reachable") == 0)
				reachable = true;
			else
				rc = ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "nud",
				                  "nud takes permanent or reachable, not '%s'",
				                  val ? val : "");
		} else
			return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, w,
			                    "unknown word '%s' (usage: %s)", w, NEIGH_USAGE);
		if (rc < 0)
			return rc;
	}
	if (!have_vni)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "vni", "missing vni N");
	at = neigh_find(&v->st, vni, ip);
	if (del) {
		if (at < 0)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, UINT32_MAX, "ip",
			                    "no neighbour %s vni %u", argv[2], vni);
	} else {
		if (!have_mac)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "lladdr",
			                    "missing lladdr MAC");
		if (mac[0] & 1)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "lladdr",
			                    "lladdr %s is a group address", argv[4]);
		if (at >= 0 && strcmp(argv[1], "add") == 0)
			return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "ip",
			                    "neighbour %s vni %u exists (replace it)", argv[2],
			                    vni);
	}
	if (state_dup(&st, &v->st) < 0)
		return oom(err);
	if (at >= 0)
		VEC_DEL(st.neigh, (uint32_t)at);
	if (!del) {
		nb = (struct neigh){.vni = vni,
		                    .ip = ip,
		                    .reachable = reachable,
		                    .since_ms = pipe_now(v->pipe)};
		memcpy(nb.mac, mac, 6);
		if (VEC_PUSH(st.neigh, nb) < 0) {
			state_free(&st);
			return oom(err);
		}
	}
	return commit_state(v, &st, false, err);
}

/* --- port ---------------------------------------------------------------------------------- */

#define PORT_USAGE                                                                                 \
	"port add PORT uplink [lladdr MAC] | port add PORT access vni N [vlan V] | port del PORT"

static int
cmd_port(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
         struct ft_error *err)
{
	struct port p = {0};
	struct state st;
	uint32_t val;
	int rc;

	(void)out, (void)arg;
	if (argc < 3 || (strcmp(argv[1], "add") != 0 && strcmp(argv[1], "del") != 0))
		return usage(PORT_USAGE, err);
	if ((rc = parse_num_word(argv[2], "port", 32, 0, UINT32_MAX, &p.port, err)) < 0)
		return rc;
	if (strcmp(argv[1], "del") == 0) {
		struct port *q;

		if (argc != 3)
			return usage(PORT_USAGE, err);
		if (port_find(&v->st, p.port) == NULL)
			return ft_error_set(err, -ENOENT, FT_ERR_FIELD, UINT32_MAX, "port",
			                    "unknown port %u", p.port);
		for (uint32_t i = 0; i < v->st.fdb.n; i++)
			if (v->st.fdb.v[i].to_port && v->st.fdb.v[i].val == p.port &&
			    !v->st.fdb.v[i].learned)
				return ft_error_set(err, -EBUSY, FT_ERR_FIELD, UINT32_MAX, "port",
				                    "port %u has static fdb entries (fdb del them)",
				                    p.port);
		if (state_dup(&st, &v->st) < 0)
			return oom(err);
		q = port_find(&st, p.port);
		VEC_DEL(st.ports, (uint32_t)(q - st.ports.v));
		/* Learned MACs behind the port go with it. */
		for (uint32_t i = st.fdb.n; i-- > 0;)
			if (st.fdb.v[i].to_port && st.fdb.v[i].val == p.port)
				VEC_DEL(st.fdb, i);
		return commit_state(v, &st, false, err);
	}
	if (argc < 4)
		return usage(PORT_USAGE, err);
	if (strcmp(argv[3], "uplink") == 0) {
		const struct port *up = uplink_of(&v->st);

		p.uplink = true;
		if (argc == 6 && strcmp(argv[4], "lladdr") == 0) {
			if ((rc = parse_mac_word(argv[5], "lladdr", p.mac, err)) < 0)
				return rc;
			p.have_mac = true;
		} else if (argc != 4) {
			return usage(PORT_USAGE, err);
		}
		if (up != NULL && up->port != p.port)
			return ft_error_set(err, -EEXIST, FT_ERR_FIELD, UINT32_MAX, "port",
			                    "port %u is the uplink already (port del it first)",
			                    up->port);
	} else if (strcmp(argv[3], "access") == 0) {
		if (argc != 6 && argc != 8)
			return usage(PORT_USAGE, err);
		if (strcmp(argv[4], "vni") != 0 || (argc == 8 && strcmp(argv[6], "vlan") != 0))
			return usage(PORT_USAGE, err);
		if ((rc = parse_num_word(argv[5], "vni", 24, 0, 0xffffff, &p.vni, err)) < 0)
			return rc;
		if (argc == 8) {
			if ((rc = parse_num_word(argv[7], "vlan", 12, 1, 4094, &val, err)) < 0)
				return rc;
			p.vlan = (uint16_t)val;
		}
	} else {
		return usage(PORT_USAGE, err);
	}
	if (port_find(&v->st, p.port) != NULL)
		return ft_error_set(err, -EEXIST, FT_ERR_FIELD, UINT32_MAX, "port",
		                    "port %u exists (port del it first)", p.port);
	if (state_dup(&st, &v->st) < 0)
		return oom(err);
	if (VEC_PUSH(st.ports, p) < 0) {
		state_free(&st);
		return oom(err);
	}
	return commit_state(v, &st, false, err);
}

/* --- nexthop ---------------------------------------------------------------------------- */

#define NEXTHOP_USAGE "nexthop add|replace PREFIX lladdr MAC | nexthop del PREFIX | nexthop show"

static int
cmd_nexthop(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
            struct ft_error *err)
{
	struct nexthop h = {.plen = 32};
	char buf[64], *slash;
	struct state st;
	int rc, at = -1;
	bool del;

	if (argc == 2 && strcmp(argv[1], "show") == 0) {
		for (uint32_t i = 0; i < v->st.nh.n; i++) {
			char ip[16], mac[20];

			fmt_ip(v->st.nh.v[i].ip, ip, sizeof(ip));
			fmt_mac(v->st.nh.v[i].mac, mac, sizeof(mac));
			say(out, arg, "nexthop add %s/%u lladdr %s", ip, v->st.nh.v[i].plen, mac);
		}
		return 0;
	}
	if (argc < 3)
		return usage(NEXTHOP_USAGE, err);
	del = strcmp(argv[1], "del") == 0;
	if (!del && strcmp(argv[1], "add") != 0 && strcmp(argv[1], "replace") != 0)
		return usage(NEXTHOP_USAGE, err);
	snprintf(buf, sizeof(buf), "%s", argv[2]);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		if ((rc = parse_num_word(slash + 1, "prefix", 8, 0, 32, &h.plen, err)) < 0)
			return rc;
	}
	if ((rc = parse_ip_word(buf, "prefix", &h.ip, err)) < 0)
		return rc;
	if (h.plen < 32)
		h.ip &= h.plen ? ~0u << (32 - h.plen) : 0;
	if (del ? argc != 3 : argc != 5 || strcmp(argv[3], "lladdr") != 0)
		return usage(NEXTHOP_USAGE, err);
	if (!del && (rc = parse_mac_word(argv[4], "lladdr", h.mac, err)) < 0)
		return rc;
	for (uint32_t i = 0; i < v->st.nh.n; i++)
		if (v->st.nh.v[i].ip == h.ip && v->st.nh.v[i].plen == h.plen)
			at = (int)i;
	if (del && at < 0)
		return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, UINT32_MAX, "prefix",
		                    "no nexthop %s", argv[2]);
	if (!del && at >= 0 && strcmp(argv[1], "add") == 0)
		return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "prefix",
		                    "nexthop %s exists (replace it)", argv[2]);
	if (state_dup(&st, &v->st) < 0)
		return oom(err);
	if (at >= 0)
		VEC_DEL(st.nh, (uint32_t)at);
	if (!del && VEC_PUSH(st.nh, h) < 0) {
		state_free(&st);
		return oom(err);
	}
	return commit_state(v, &st, false, err);
}

/* --- vtep set / show ------------------------------------------------------------------------ */

#define VTEP_USAGE                                                                                 \
	"vtep set [local-ip IP] [dstport P] [learning on|off] [ageing SECONDS] [proxy on|off] "    \
	"[l2miss on|off] [l3miss on|off] [ttl N|inherit] [tos N|inherit] | vtep show"

static int
vtep_show(struct ft_vtep *v, ft_ctl_out_fn out, void *arg)
{
	const struct settings *s = &v->st.set;
	char ip[16] = "0.0.0.0", ttl[8], tos[8];

	if (s->have_local_ip)
		fmt_ip(s->local_ip, ip, sizeof(ip));
	snprintf(ttl, sizeof(ttl), "%u", s->ttl);
	snprintf(tos, sizeof(tos), "%u", s->tos);
	say(out, arg,
	    "%svtep set local-ip %s dstport %u learning %s ageing %u proxy %s l2miss %s l3miss %s "
	    "ttl %s tos %s",
	    s->have_local_ip ? "" : "# ", ip, s->udp_port, s->learning ? "on" : "off", s->ageing_s,
	    s->proxy ? "on" : "off", s->l2miss ? "on" : "off", s->l3miss ? "on" : "off",
	    s->ttl_inherit ? "inherit" : ttl, s->tos_inherit ? "inherit" : tos);
	for (uint32_t i = 0; i < v->st.ports.n; i++) {
		const struct port *p = &v->st.ports.v[i];
		char mac[20];

		fmt_mac(p->mac, mac, sizeof(mac));
		if (p->uplink)
			say(out, arg, "port add %u uplink%s%s", p->port,
			    p->have_mac ? " lladdr " : "", p->have_mac ? mac : "");
		else if (p->vlan)
			say(out, arg, "port add %u access vni %u vlan %u", p->port, p->vni,
			    p->vlan);
		else
			say(out, arg, "port add %u access vni %u", p->port, p->vni);
	}
	return 0;
}

static int
cmd_vtep(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
         struct ft_error *err)
{
	struct settings s = v->st.set;
	struct state st;
	bool flag, clear_learn;
	uint32_t val;
	int rc = 0;

	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return vtep_show(v, out, arg);
	if (argc < 2 || strcmp(argv[1], "set") != 0)
		return usage(VTEP_USAGE, err);
	for (int i = 2; i < argc; i += 2) {
		const char *w = argv[i], *x = argv[i + 1];

		if (x == NULL)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, w,
			                    "missing value after '%s'", w);
		if (strcmp(w, "local-ip") == 0) {
			rc = parse_ip_word(x, "local-ip", &s.local_ip, err);
			if (rc == 0 && (s.local_ip == 0 || (s.local_ip >> 28) >= 0xe))
				rc = ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX,
				                  "local-ip",
				                  "local-ip %s is not a unicast address", x);
			s.have_local_ip = true;
		} else if (strcmp(w, "dstport") == 0) {
			rc = parse_num_word(x, "dstport", 16, 1, 65535, &val, err);
			if (rc == 0) {
				bool known = false;

				for (uint32_t k = 0; k < v->n_vxlan_ports; k++)
					known |= v->vxlan_ports[k] == val;
				if (!known)
					rc = ft_error_set(
					        err, -ENOTSUP, FT_ERR_FIELD, UINT32_MAX, "dstport",
					        "dstport %u: the program's parser takes "
					        "VXLAN on %u%s only",
					        val, v->n_vxlan_ports ? v->vxlan_ports[0] : 0,
					        v->n_vxlan_ports > 1 ? " and others" : "");
			}
			s.udp_port = (uint16_t)val;
		} else if (strcmp(w, "learning") == 0) {
			rc = parse_onoff(x, w, &s.learning, err);
		} else if (strcmp(w, "ageing") == 0) {
			rc = parse_num_word(x, "ageing", 32, 1, UINT32_MAX / 1000, &s.ageing_s,
			                    err);
		} else if (strcmp(w, "proxy") == 0) {
			rc = parse_onoff(x, w, &s.proxy, err);
		} else if (strcmp(w, "l2miss") == 0) {
			rc = parse_onoff(x, w, &s.l2miss, err);
		} else if (strcmp(w, "l3miss") == 0) {
			rc = parse_onoff(x, w, &s.l3miss, err);
		} else if (strcmp(w, "ttl") == 0 || strcmp(w, "tos") == 0) {
			bool ttl = w[1] == 't', inherit = strcmp(x, "inherit") == 0;

			val = ttl ? 64 : 0;
			if (!inherit)
				rc = parse_num_word(x, w, 8, ttl ? 1 : 0, 255, &val, err);
			if (ttl)
				s.ttl = (uint8_t)val, s.ttl_inherit = inherit;
			else
				s.tos = (uint8_t)val, s.tos_inherit = inherit;
		} else {
			return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, w,
			                    "unknown word '%s' (usage: %s)", w, VTEP_USAGE);
		}
		if (rc < 0)
			return rc;
	}
	if (!s.have_local_ip)
		return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "local-ip",
		                    "missing local-ip IP");
	if (state_dup(&st, &v->st) < 0)
		return oom(err);
	clear_learn = v->st.set.learning && !s.learning;
	st.set = s;
	/* learning off: the learned entries and their copies go. */
	if (clear_learn)
		for (uint32_t i = st.fdb.n; i-- > 0;)
			if (st.fdb.v[i].learned)
				VEC_DEL(st.fdb, i);
	if ((rc = commit_state(v, &st, clear_learn, err)) < 0)
		return rc;
	flag = ft_pipeline_table_set_idle_timeout(v->pipe, v->table[T_MAC_LEARN], s.ageing_s * 1000,
	                                          err) == 0;
	(void)flag; /* cannot fail: the table ages (checked at attach), ageing > 0 */
	return 0;
}

/* --- Learned and aged entries, events --------------------------------------------------- */

static void
emit(struct ft_vtep *v, const struct ft_vtep_event *ev)
{
	if (v->cb != NULL)
		v->cb(v->cb_arg, ev);
}

static int
vtep_changed(struct ft_ctl *ctl, void *vocab_arg, bool learned, uint32_t table,
             const struct ft_entry_info *entry, ft_ctl_out_fn out, void *out_arg,
             struct ft_error *err)
{
	struct ft_vtep *v = vocab_arg;
	struct ft_vtep_event ev = {0};
	struct state st;
	char mac[20], ip[16];
	bool is_static;
	int rc = 0;

	(void)ctl;
	/* Until `vtep set local-ip`, generic commands own the tables: not ours to follow. */
	if (!v->st.set.have_local_ip || table != v->table[T_MAC_LEARN] || entry->key == NULL)
		return 0;
	ev.vni = get24(entry->key);
	memcpy(ev.mac, entry->key + 3, 6);
	fmt_mac(ev.mac, mac, sizeof(mac));
	is_static =
	        fdb_count(&v->st, ev.vni, ev.mac) > 0 && !fdb_is_learned(&v->st, ev.vni, ev.mac);
	if (learned) {
		struct fdb_row row = {.vni = ev.vni, .learned = true};

		if (entry->action != v->action[A_LEARNED] || entry->data == NULL)
			return 0;
		ev.kind = FT_VTEP_LEARNED;
		ev.port = get32(entry->data);
		ev.remote_ip = get32(entry->data + 4);
		fmt_ip(ev.remote_ip, ip, sizeof(ip));
		if (ev.remote_ip != 0)
			say(out, out_arg, "learned vni %u mac %s dst %s", ev.vni, mac, ip);
		else
			say(out, out_arg, "learned vni %u mac %s port %u", ev.vni, mac, ev.port);
		emit(v, &ev);
		/* Static entries win; with learning off, nothing is copied. */
		if (is_static || !v->st.set.learning)
			return 1;
		memcpy(row.mac, ev.mac, 6);
		row.to_port = ev.remote_ip == 0;
		row.val = row.to_port ? ev.port : ev.remote_ip;
		if (state_dup(&st, &v->st) < 0)
			return oom(err);
		fdb_remove(&st, ev.vni, ev.mac, true);
		if (VEC_PUSH(st.fdb, row) < 0) {
			state_free(&st);
			return oom(err);
		}
		rc = commit_state(v, &st, false, err);
		return rc < 0 ? rc : 1;
	}
	ev.kind = FT_VTEP_AGED;
	say(out, out_arg, "aged vni %u mac %s", ev.vni, mac);
	emit(v, &ev);
	if (is_static || fdb_count(&v->st, ev.vni, ev.mac) == 0)
		return 1;
	if (state_dup(&st, &v->st) < 0)
		return oom(err);
	fdb_remove(&st, ev.vni, ev.mac, true);
	rc = commit_state(v, &st, false, err);
	return rc < 0 ? rc : 1;
}

/* `nud reachable` neighbours older than the ageing time expire. */
static int
vtep_poll(struct ft_ctl *ctl, void *vocab_arg, ft_ctl_out_fn out, void *out_arg,
          struct ft_error *err)
{
	struct ft_vtep *v = vocab_arg;
	uint64_t now = pipe_now(v->pipe), limit = (uint64_t)v->st.set.ageing_s * 1000;
	struct neigh *gone;
	struct state st;
	uint32_t n = 0;
	int rc;

	(void)ctl;
	for (uint32_t i = 0; i < v->st.neigh.n; i++)
		n += v->st.neigh.v[i].reachable && now - v->st.neigh.v[i].since_ms > limit;
	if (n == 0)
		return 0;
	if ((gone = calloc(n, sizeof(*gone))) == NULL || state_dup(&st, &v->st) < 0) {
		free(gone);
		return oom(err);
	}
	n = 0;
	for (uint32_t i = st.neigh.n; i-- > 0;)
		if (st.neigh.v[i].reachable && now - st.neigh.v[i].since_ms > limit) {
			gone[n++] = st.neigh.v[i];
			VEC_DEL(st.neigh, i);
		}
	/* The lines and callbacks once the entries are gone. */
	if ((rc = commit_state(v, &st, false, err)) == 0) {
		for (uint32_t i = n; i-- > 0;) {
			struct ft_vtep_event ev = {.kind = FT_VTEP_NEIGH_EXPIRED,
			                           .vni = gone[i].vni,
			                           .ip = gone[i].ip};
			char ip[16];

			memcpy(ev.mac, gone[i].mac, 6);
			fmt_ip(gone[i].ip, ip, sizeof(ip));
			say(out, out_arg, "aged vni %u ip %s", gone[i].vni, ip);
			emit(v, &ev);
		}
		rc = (int)n;
	}
	free(gone);
	return rc;
}

int
ft_vtep_event_decode(const struct ft_vtep *v, const struct ft_event *ev, struct ft_vtep_event *out)
{
	memset(out, 0, sizeof(*out));
	if (ev->kind != FT_EVENT_DIGEST)
		return -ENOENT;
	if ((int)ev->id == v->l2miss_digest && ev->len == L2MISS_LEN) {
		out->kind = FT_VTEP_L2MISS;
		out->vni = get24(ev->data);
		memcpy(out->mac, ev->data + 3, 6);
		out->port = get32(ev->data + 9);
		return 0;
	}
	if ((int)ev->id == v->l3miss_digest && ev->len == L3MISS_LEN) {
		out->kind = FT_VTEP_L3MISS;
		out->vni = get24(ev->data);
		out->ip = get32(ev->data + 3);
		out->port = get32(ev->data + 7);
		return 0;
	}
	return -ENOENT;
}

int
ft_vtep_dispatch(struct ft_vtep *v, const struct ft_event *ev)
{
	struct ft_vtep_event e;

	if (ft_vtep_event_decode(v, ev, &e) < 0)
		return 0;
	emit(v, &e);
	return 1;
}

static int
vtep_event_text(struct ft_ctl *ctl, void *vocab_arg, const struct ft_event *ev, char *buf,
                size_t size)
{
	struct ft_vtep_event e;
	char mac[20], ip[16];

	(void)ctl;
	if (ft_vtep_event_decode(vocab_arg, ev, &e) < 0)
		return 0;
	if (e.kind == FT_VTEP_L2MISS) {
		fmt_mac(e.mac, mac, sizeof(mac));
		return snprintf(buf, size, "l2miss vni %u mac %s", e.vni, mac);
	}
	fmt_ip(e.ip, ip, sizeof(ip));
	return snprintf(buf, size, "l3miss vni %u ip %s", e.vni, ip);
}

/* --- The vocabulary ------------------------------------------------------------------------- */

static const char *const vtep_words[] = {"fdb", "neigh", "port", "vtep", "nexthop", NULL};

static int
vtep_exec(struct ft_ctl *ctl, void *vocab_arg, int argc, char **argv, ft_ctl_out_fn out,
          void *out_arg, struct ft_error *err)
{
	struct ft_vtep *v = vocab_arg;

	(void)ctl;
	if (strcmp(argv[0], "fdb") == 0)
		return cmd_fdb(v, argc, argv, out, out_arg, err);
	if (strcmp(argv[0], "neigh") == 0)
		return cmd_neigh(v, argc, argv, out, out_arg, err);
	if (strcmp(argv[0], "port") == 0)
		return cmd_port(v, argc, argv, out, out_arg, err);
	if (strcmp(argv[0], "nexthop") == 0)
		return cmd_nexthop(v, argc, argv, out, out_arg, err);
	return cmd_vtep(v, argc, argv, out, out_arg, err);
}

/* Checks the program's tables and actions against tspec and aspec, filling the ids. */
static int
check_program(struct ft_vtep *v, struct ft_error *err)
{
	const struct ft_program *prog = ft_pipeline_program(v->pipe);
	struct ft_program_info pi;
	struct ft_table_decl d;
	struct ft_action_info ai;

	for (uint32_t t = 0; t < T_COUNT; t++) {
		int id = ft_program_find_table(prog, tspec[t].name);

		if (id < 0)
			return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, UINT32_MAX, tspec[t].name,
			                    "the program has no table '%s' (vtep.p4)",
			                    tspec[t].name);
		v->table[t] = (uint32_t)id;
		ft_program_table(prog, v->table[t], &d);
		if (d.n_keys != tspec[t].n_keys)
			return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, v->table[t], tspec[t].name,
			                    "table '%s' has %u key fields, not %u", tspec[t].name,
			                    d.n_keys, tspec[t].n_keys);
		for (uint32_t k = 0; k < d.n_keys; k++) {
			uint32_t bits = ft_program_ref_width(prog, UINT32_MAX, &d.keys[k].ref);
			enum ft_match_kind want = t == T_NEXTHOP ? FT_MATCH_LPM : FT_MATCH_EXACT;

			if (bits != tspec[t].bits[k] || d.keys[k].match != want)
				return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, v->table[t],
				                    tspec[t].name,
				                    "key field %u of table '%s' is not %u bits %s",
				                    k, tspec[t].name, tspec[t].bits[k],
				                    want == FT_MATCH_LPM ? "lpm" : "exact");
		}
		v->key_size[t] = (uint32_t)ft_program_key_size(prog, v->table[t]);
		if (t == T_MAC_LEARN && (d.idle_timeout_ms == 0 || !d.add_on_miss))
			return ft_error_set(err, -ENOTSUP, FT_ERR_TABLE, v->table[t], tspec[t].name,
			                    "table 'mac_learn' must learn and age");
	}
	for (uint32_t a = 0; a < A_COUNT; a++) {
		int id = ft_program_find_action(prog, aspec[a].name);
		bool listed = false;

		if (id < 0)
			return ft_error_set(err, -ENOTSUP, FT_ERR_ACTION, UINT32_MAX, aspec[a].name,
			                    "the program has no action '%s' (vtep.p4)",
			                    aspec[a].name);
		v->action[a] = (uint32_t)id;
		ft_program_action(prog, v->action[a], &ai);
		ft_program_table(prog, v->table[aspec[a].table], &d);
		for (uint32_t i = 0; i < d.n_actions; i++)
			listed |= d.actions[i].action == v->action[a];
		if (!listed || ai.n_params != aspec[a].n_params)
			return ft_error_set(
			        err, -ENOTSUP, FT_ERR_ACTION, v->action[a], aspec[a].name,
			        "action '%s' is not in table '%s' with %u parameters",
			        aspec[a].name, tspec[aspec[a].table].name, aspec[a].n_params);
		for (uint32_t p = 0; p < ai.n_params; p++)
			if (ai.params[p].bits != aspec[a].bits[p])
				return ft_error_set(
				        err, -ENOTSUP, FT_ERR_PARAM, p, ai.params[p].name,
				        "parameter '%s' of action '%s' is not %u bits",
				        ai.params[p].name, aspec[a].name, aspec[a].bits[p]);
	}
	v->l2miss_digest = ft_program_find_digest(prog, "l2miss_digest");
	v->l3miss_digest = ft_program_find_digest(prog, "l3miss_digest");
	if (v->l2miss_digest < 0 || v->l3miss_digest < 0)
		return ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, UINT32_MAX,
		                    v->l2miss_digest < 0 ? "l2miss_digest" : "l3miss_digest",
		                    "the program has no digest '%s' (vtep.p4)",
		                    v->l2miss_digest < 0 ? "l2miss_digest" : "l3miss_digest");
	ft_program_info(prog, &pi);
	v->n_groups = pi.n_groups;
	v->vxlan_ports = ft_program_vxlan_ports(prog, &v->n_vxlan_ports);
	return 0;
}

int
ft_vtep_attach(struct ft_ctl *ctl, struct ft_vtep **out, struct ft_error *err)
{
	const struct ft_program *prog;
	struct ft_table_decl d;
	struct ft_vtep *v;
	int rc;

	*out = NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return oom(err);
	v->ctl = ctl;
	v->pipe = ft_ctl_pipeline(ctl);
	prog = ft_pipeline_program(v->pipe);
	if ((rc = check_program(v, err)) < 0) {
		free(v);
		return rc;
	}
	ft_program_table(prog, v->table[T_MAC_LEARN], &d);
	v->st.set = (struct settings){
	        .udp_port = 4789,
	        .learning = true,
	        .ageing_s = d.idle_timeout_ms >= 1000 ? d.idle_timeout_ms / 1000 : DEFAULT_AGEING_S,
	        .ttl = 64,
	};
	/* What the empty state renders to: nothing but the default settings. */
	render_config(v, &v->st, v->cur.config);
	v->cur.learning = true;
	v->vocab = (struct ft_ctl_vocab){
	        .words = vtep_words,
	        .exec = vtep_exec,
	        .arg = v,
	        .changed = vtep_changed,
	        .event_text = vtep_event_text,
	        .poll = vtep_poll,
	};
	if ((rc = ft_ctl_add_vocab(ctl, &v->vocab)) < 0) {
		free(v);
		return ft_error_set(err, rc, FT_ERR_UNSPEC, UINT32_MAX, NULL,
		                    rc == -EEXIST ? "the session has the VTEP's words already"
		                                  : "cannot add the vocabulary");
	}
	*out = v;
	return 0;
}

void
ft_vtep_destroy(struct ft_vtep *v)
{
	if (v == NULL)
		return;
	state_free(&v->st);
	render_free(&v->cur);
	free(v);
}

void
ft_vtep_set_event_cb(struct ft_vtep *v, ft_vtep_event_fn fn, void *arg)
{
	v->cb = fn;
	v->cb_arg = arg;
}
