/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VTEP vocabulary of the control API (include/flowtwin/vtep.h): the
 * commands of a Linux vxlan device turned into transactions on a pipeline
 * that runs p4/vtep.p4, as docs/vtep.md specifies them entry by entry. Part
 * of model/, the bottom layer, above ctl.c: it uses the public control,
 * program and pipeline APIs (and the pipeline's clock).
 *
 * The state: settings, ports and next hops in small arrays; fdb rows and
 * neighbours in lists, oldest first, indexed by hash maps (XXH3) of nodes
 * that keep what the rendering needs without a scan: per fdb entry (VNI,
 * MAC) its rows and G(vni, mac); per remote IP its rows and its replication
 * id (and how many rows need it: in a flood list or in an entry of several
 * destinations); per (VNI, IP) the rows that make it a known VTEP
 * (vtep_known); per VNI its rows, neighbours and G(vni). Free ids are found
 * in bitmaps (lowest first).
 *
 * How a command runs: it changes the state in place, logging each change
 * (op_begin(), row_add(), row_del(), neigh_insert(), neigh_remove()). Each
 * node it touches is rendered, the first time, into the entries, group
 * members and default actions it stands for before the command; at the end
 * (op_commit()) ids are freed and allocated for the touched nodes only, the
 * touched nodes are rendered again, and the difference is staged in one
 * transaction (deletes, then modifies, then adds, then groups). When the
 * commit fails, the log undoes the changes. A command thus costs time in
 * the number of rows and neighbours it touches, not in the size of the
 * fdb. Commands that may change anything (port, vtep set, nexthop) render
 * all the state before and after: linear, as they are rare. Entries come
 * out exactly as docs/vtep.md says (the previous implementation rendered
 * the whole state for every command; the same entries, ids and orders).
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

#define XXH_INLINE_ALL
#include <xxhash.h>

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

struct nexthop {
	uint32_t ip;
	uint32_t plen;
	uint8_t mac[6];
};

#define VEC(name, type)                                                                            \
	struct name {                                                                              \
		type *v;                                                                           \
		uint32_t n, cap;                                                                   \
	}

VEC(port_vec, struct port);
VEC(nexthop_vec, struct nexthop);

/*
 * The indexes. Each node is in a hash map under its key; a node exists while
 * something names it and, besides, while a command touches it (nodes a
 * command empties are freed when it ends). Nodes of the same map share a
 * struct hnode at their start.
 */
struct hnode {
	struct hnode *next;
	uint64_t hash;
};

struct hmap {
	struct hnode **b;
	uint32_t mask; /* buckets - 1; 'b' NULL: no buckets yet */
	uint32_t n;
};

enum node_kind { N_ENTRY, N_IP, N_VIP, N_VNI, N_NEIGH, N_KINDS };

/* What a node of each kind carries first. */
struct node {
	struct hnode hn;
	uint8_t kind;
	bool touched; /* in the current command's touched list */
};

struct fdb_row;

/* An fdb entry (VNI, MAC): its rows, oldest first; G(vni, mac). */
struct entry {
	struct node nd;
	uint32_t vni;
	uint8_t mac[6];
	struct fdb_row *first, *last;
	uint32_t n;
	uint32_t group; /* 0: none */
};

/* A remote IP: the non-port rows naming it, oldest first; its replication id. */
struct ipnode {
	struct node nd;
	uint32_t ip;
	struct fdb_row *first, *last;
	uint32_t n_need; /* rows in a flood list or in an entry of several destinations */
	uint16_t rid;    /* 0: none */
};

/* (VNI, remote IP): the non-port rows naming the IP in the VNI (vtep_known). */
struct vip {
	struct node nd;
	uint32_t vni, ip;
	uint32_t n;
};

/* A VNI: the fdb rows and neighbours in it (access ports are in the port list); G(vni). */
struct vninode {
	struct node nd;
	uint32_t vni;
	uint32_t n_fdb, n_neigh;
	uint32_t group; /* 0: none */
};

/* A neighbour (VNI, IP); in the neighbour list while 'present'. */
struct neigh {
	struct node nd;
	uint32_t vni;
	uint32_t ip;
	bool present;
	uint8_t mac[6];
	bool reachable;
	uint64_t since_ms;
	struct neigh *prev, *next;
};

/* One destination of an fdb entry (VNI, MAC). */
struct fdb_row {
	uint32_t vni;
	uint8_t mac[6];
	bool to_port; /* 'val' is a port, else a remote IP (host order) */
	bool learned;
	bool needs_rid; /* counted in ip->n_need */
	uint32_t val;
	uint64_t seq; /* order of addition: rows are listed oldest first */
	struct entry *e;
	struct ipnode *ip; /* NULL for a port row */
	struct vip *vk;    /* NULL for a port row */
	struct vninode *vn;
	/* Links of the lists of the entry, of the IP (non-port rows) and of all rows. */
	struct fdb_row *eprev, *enext, *iprev, *inext, *aprev, *anext;
};

struct state {
	struct settings set;
	struct port_vec ports;
	struct nexthop_vec nh;
	struct hmap maps[N_KINDS];
	struct fdb_row *first, *last; /* every row, oldest first */
	uint32_t n_rows;
	struct neigh *nfirst, *nlast; /* present neighbours, oldest first */
	uint64_t seq;
	uint64_t *rid_used;   /* bitmap of 65536 replication ids */
	uint64_t *group_used; /* bitmap of the program's groups */
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

/* --- Hash maps --------------------------------------------------------------------------- */

static uint64_t
hash_bytes(const void *p, size_t n)
{
	return XXH3_64bits(p, n);
}

static uint64_t
hash_vni_mac(uint32_t vni, const uint8_t *mac)
{
	uint8_t k[10];

	memcpy(k, &vni, 4);
	memcpy(k + 4, mac, 6);
	return hash_bytes(k, sizeof(k));
}

static uint64_t
hash_pair(uint32_t a, uint32_t b)
{
	uint32_t k[2] = {a, b};

	return hash_bytes(k, sizeof(k));
}

/* The first node of the chain that holds 'hash'; callers walk on with ->next. */
static struct hnode *
hmap_first(const struct hmap *m, uint64_t hash)
{
	return m->b == NULL ? NULL : m->b[hash & m->mask];
}

/* Adds 'node' with 'hash' (growing the buckets to one per node); 0 or -ENOMEM. */
static int
hmap_insert(struct hmap *m, struct hnode *node, uint64_t hash)
{
	node->hash = hash;
	if (m->b == NULL || m->n > m->mask) {
		uint32_t size = m->b == NULL ? 64 : 2 * (m->mask + 1);
		struct hnode **b = calloc(size, sizeof(*b));

		if (b == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; m->b != NULL && i <= m->mask; i++)
			for (struct hnode *h = m->b[i], *next; h != NULL; h = next) {
				next = h->next;
				h->next = b[h->hash & (size - 1)];
				b[h->hash & (size - 1)] = h;
			}
		free(m->b);
		m->b = b;
		m->mask = size - 1;
	}
	node->next = m->b[hash & m->mask];
	m->b[hash & m->mask] = node;
	m->n++;
	return 0;
}

static void
hmap_remove(struct hmap *m, struct hnode *node)
{
	struct hnode **pp = &m->b[node->hash & m->mask];

	while (*pp != node)
		pp = &(*pp)->next;
	*pp = node->next;
	m->n--;
}

/* Walks every node 'h' of 'm' (which the body must not change). */
#define HMAP_FOR_EACH(m, h)                                                                        \
	for (uint32_t hb_ = 0; (m)->b != NULL && hb_ <= (m)->mask; hb_++)                          \
		for (struct hnode *h = (m)->b[hb_]; h != NULL; h = h->next)

static struct entry *
entry_find(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	uint64_t hash = hash_vni_mac(vni, mac);

	for (struct hnode *h = hmap_first(&st->maps[N_ENTRY], hash); h != NULL; h = h->next) {
		struct entry *e = (struct entry *)h;

		if (h->hash == hash && e->vni == vni && memcmp(e->mac, mac, 6) == 0)
			return e;
	}
	return NULL;
}

static struct ipnode *
ip_find(const struct state *st, uint32_t ip)
{
	uint64_t hash = hash_bytes(&ip, sizeof(ip));

	for (struct hnode *h = hmap_first(&st->maps[N_IP], hash); h != NULL; h = h->next)
		if (h->hash == hash && ((struct ipnode *)h)->ip == ip)
			return (struct ipnode *)h;
	return NULL;
}

static struct vip *
vip_find(const struct state *st, uint32_t vni, uint32_t ip)
{
	uint64_t hash = hash_pair(vni, ip);

	for (struct hnode *h = hmap_first(&st->maps[N_VIP], hash); h != NULL; h = h->next) {
		struct vip *k = (struct vip *)h;

		if (h->hash == hash && k->vni == vni && k->ip == ip)
			return k;
	}
	return NULL;
}

static struct vninode *
vni_find(const struct state *st, uint32_t vni)
{
	uint64_t hash = hash_bytes(&vni, sizeof(vni));

	for (struct hnode *h = hmap_first(&st->maps[N_VNI], hash); h != NULL; h = h->next)
		if (h->hash == hash && ((struct vninode *)h)->vni == vni)
			return (struct vninode *)h;
	return NULL;
}

static struct neigh *
neigh_find(const struct state *st, uint32_t vni, uint32_t ip)
{
	uint64_t hash = hash_pair(vni, ip);

	for (struct hnode *h = hmap_first(&st->maps[N_NEIGH], hash); h != NULL; h = h->next) {
		struct neigh *nb = (struct neigh *)h;

		if (h->hash == hash && nb->vni == vni && nb->ip == ip)
			return nb;
	}
	return NULL;
}

/* A new zeroed node of 'size' bytes in map 'kind' under 'hash'; NULL when out of memory. */
static void *
node_new(struct state *st, enum node_kind kind, size_t size, uint64_t hash)
{
	struct node *nd = calloc(1, size);

	if (nd == NULL)
		return NULL;
	nd->kind = (uint8_t)kind;
	if (hmap_insert(&st->maps[kind], &nd->hn, hash) < 0) {
		free(nd);
		return NULL;
	}
	return nd;
}

/* Does nothing name the node any more (it may go). */
static bool
node_empty(const struct node *nd)
{
	switch ((enum node_kind)nd->kind) {
	case N_ENTRY: {
		const struct entry *e = (const struct entry *)nd;

		return e->n == 0 && e->group == 0;
	}
	case N_IP: {
		const struct ipnode *p = (const struct ipnode *)nd;

		return p->first == NULL && p->rid == 0;
	}
	case N_VIP:
		return ((const struct vip *)nd)->n == 0;
	case N_VNI: {
		const struct vninode *n = (const struct vninode *)nd;

		return n->n_fdb == 0 && n->n_neigh == 0 && n->group == 0;
	}
	case N_NEIGH:
	case N_KINDS:
		break;
	}
	return !((const struct neigh *)nd)->present;
}

static void
state_free(struct state *st)
{
	for (struct fdb_row *r = st->first, *next; r != NULL; r = next) {
		next = r->anext;
		free(r);
	}
	for (int k = 0; k < N_KINDS; k++) {
		struct hmap *m = &st->maps[k];

		for (uint32_t i = 0; m->b != NULL && i <= m->mask; i++)
			for (struct hnode *h = m->b[i], *next; h != NULL; h = next) {
				next = h->next;
				free(h);
			}
		free(m->b);
	}
	free(st->ports.v);
	free(st->nh.v);
	free(st->rid_used);
	free(st->group_used);
	memset(st, 0, sizeof(*st));
}

static void
bit_set(uint64_t *map, uint32_t i, bool on)
{
	if (on)
		map[i / 64] |= UINT64_C(1) << (i % 64);
	else
		map[i / 64] &= ~(UINT64_C(1) << (i % 64));
}

/* The lowest clear bit from 1 below 'limit', or 'limit' when none. */
static uint32_t
bit_first_clear(const uint64_t *map, uint32_t limit)
{
	for (uint32_t w = 0; w * 64 < limit; w++) {
		uint64_t free_bits = ~map[w] & (w == 0 ? ~UINT64_C(1) : ~UINT64_C(0));

		if (free_bits != 0) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(free_bits);

			return i < limit ? i : limit;
		}
	}
	return limit;
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

/* Entries and group members rendered for all the state or for some of its nodes. */
struct render {
	struct rent_vec ents;     /* sorted by table, key, mask (once sorted) */
	struct rmember_vec mems;  /* sorted by group, then order (once sorted) */
	uint8_t config[DATA_MAX]; /* set_config's data */
	bool learning;
	bool oom;
};

static void
render_free(struct render *r)
{
	free(r->ents.v);
	free(r->mems.v);
	memset(r, 0, sizeof(*r));
}

/* What a command changed, to undo it when it fails (the log is replayed backwards). */
enum undo_op {
	U_ROW_ADD, /* 'p' a row linked: unlink and free it */
	U_ROW_DEL, /* 'p' a row unlinked: link it back */
	U_NB_ADD,  /* 'p' a neighbour made present: absent again, 'nb' its old fields */
	U_NB_DEL,  /* 'p' a neighbour made absent: present again */
	U_ID,      /* 'slot' a rid or group id set: back to 'old' */
};

struct undo {
	enum undo_op op;
	void *p;
	uint32_t old;
	struct neigh nb;
};

VEC(undo_vec, struct undo);
VEC(node_vec, struct node *);

/*
 * A command in progress: the nodes it touched (the parts of the state it
 * may change), the undo log, and what the touched nodes rendered to before
 * it (or, for a command that may change anything, what all rendered to).
 */
struct op {
	bool all;
	bool failed; /* out of memory while logging or rendering */
	struct node_vec touched;
	struct undo_vec log;
	struct render old;
	struct port_vec ports; /* all: the ports, next hops and settings before */
	struct nexthop_vec nh;
	struct settings set;
};

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
	struct state st; /* rendered, it is what the pipeline has */
	struct op op;
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

static int oom(struct ft_error *err);

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

/*
 * An entry of table 't' with action 'a'; key and data filled by the caller.
 * Out of memory, r->oom is set and the entry is a scratch one.
 */
static struct rent *
rent_new(struct render *r, uint32_t t, uint32_t a, const struct ft_vtep *v)
{
	static _Thread_local struct rent scratch;
	struct rent e;

	memset(&e, 0, sizeof(e));
	e.table = v->table[t];
	e.action = v->action[a];
	memset(e.mask, 0xff, KEY_MAX);
	if (VEC_PUSH(r->ents, e) < 0) {
		r->oom = true;
		return &scratch;
	}
	return &r->ents.v[r->ents.n - 1];
}

static void
member_add(struct render *r, uint32_t group, uint32_t port, uint16_t rid)
{
	struct rmember m = {.group = group, .seq = r->mems.n, .m = {.port = port, .rid = rid}};

	if (VEC_PUSH(r->mems, m) < 0)
		r->oom = true;
}

static const struct port *
uplink_of(const struct state *st)
{
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (st->ports.v[i].uplink)
			return &st->ports.v[i];
	return NULL;
}

/* Is the VNI used: by an access port, an fdb row or a neighbour (then it has G(vni)). */
static bool
vni_used(const struct state *st, const struct vninode *n)
{
	if (n->n_fdb > 0 || n->n_neigh > 0)
		return true;
	for (uint32_t i = 0; i < st->ports.n; i++)
		if (!st->ports.v[i].uplink && st->ports.v[i].vni == n->vni)
			return true;
	return false;
}

/* Does the entry need G(vni, mac): several destinations (the flood list has G(vni)). */
static bool
entry_needs_group(const struct entry *e)
{
	return e->n > 1 && !mac_is_zero(e->mac);
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

/* The fdb entry (VNI, MAC) and the members of G(vni, mac). */
static void
render_entry(const struct ft_vtep *v, const struct entry *e, const struct port *up,
             struct render *r)
{
	const struct fdb_row *f = e->first;
	struct rent *x;

	if (e->n == 0 || mac_is_zero(e->mac))
		return;
	if (f->to_port) {
		x = rent_new(r, T_FDB, A_TO_PORT, v);
		put32(x->data, f->val);
	} else if (e->n == 1) {
		x = rent_new(r, T_FDB, A_TO_VTEP, v);
		put32(x->data, f->val);
	} else {
		x = rent_new(r, T_FDB, A_TO_VTEP_GROUP, v);
		put32(x->data, e->group);
	}
	put24(x->key, e->vni);
	memcpy(x->key + 3, e->mac, 6);
	if (e->group == 0 || up == NULL)
		return;
	for (f = e->first; f != NULL; f = f->enext)
		member_add(r, e->group, up->port, f->ip != NULL ? f->ip->rid : 0);
}

/* vni_term and bum_group of the VNI; the members of G(vni): its access ports, its flood list. */
static void
render_vni(const struct ft_vtep *v, const struct state *st, const struct vninode *n,
           const struct port *up, struct render *r)
{
	const struct entry *flood;
	bool has_remote = false;
	struct rent *x;

	if (n->group == 0)
		return;
	for (uint32_t k = 0; k < st->ports.n; k++) {
		const struct port *p = &st->ports.v[k];

		if (!p->uplink && p->vni == n->vni)
			member_add(r, n->group, p->port, 0);
	}
	flood = entry_find(st, n->vni, zero_mac);
	for (const struct fdb_row *f = flood != NULL ? flood->first : NULL; f != NULL;
	     f = f->enext) {
		if (f->to_port)
			continue;
		has_remote = true;
		if (up != NULL)
			member_add(r, n->group, up->port, f->ip->rid);
	}
	x = rent_new(r, T_VNI_TERM, A_DECAP, v);
	put24(x->key, n->vni);
	x = rent_new(r, T_BUM, A_FLOOD, v);
	put24(x->key, n->vni);
	put32(x->data, n->group);
	x->data[4] = has_remote;
}

/* What one node of the state stands for. */
static void
render_node(const struct ft_vtep *v, const struct state *st, const struct node *nd,
            const struct port *up, struct render *r)
{
	struct rent *x;

	switch ((enum node_kind)nd->kind) {
	case N_ENTRY:
		render_entry(v, (const struct entry *)nd, up, r);
		break;
	case N_VNI:
		render_vni(v, st, (const struct vninode *)nd, up, r);
		break;
	case N_VIP: {
		const struct vip *k = (const struct vip *)nd;

		if (k->n == 0)
			break;
		x = rent_new(r, T_VTEP_KNOWN, A_VTEP_OK, v);
		put24(x->key, k->vni);
		put32(x->key + 3, k->ip);
		break;
	}
	case N_IP: {
		const struct ipnode *p = (const struct ipnode *)nd;

		if (p->rid == 0)
			break;
		x = rent_new(r, T_REMOTE, A_TO_REMOTE, v);
		put16(x->key, p->rid);
		put32(x->data, p->ip);
		break;
	}
	case N_NEIGH: {
		const struct neigh *nb = (const struct neigh *)nd;

		if (!nb->present)
			break;
		x = rent_new(r, T_ARP_PROXY, A_ARP_REPLY, v);
		put24(x->key, nb->vni);
		put32(x->key + 3, nb->ip);
		memcpy(x->data, nb->mac, 6);
		break;
	}
	case N_KINDS:
		break;
	}
}

/* Renders all of 'st' (its ids allocated) into 'r' (unsorted). */
static void
render_all(const struct ft_vtep *v, const struct state *st, struct render *r)
{
	const struct port *up = uplink_of(st);
	struct rent *e;

	for (uint32_t i = 0; i < st->ports.n; i++) {
		const struct port *p = &st->ports.v[i];

		if (p->uplink) {
			e = rent_new(r, T_PORT_CLASS, A_FROM_UPLINK, v);
			put32(e->key, p->port);
			continue;
		}
		e = rent_new(r, T_PORT_CLASS, p->vlan ? A_ACCESS_VLAN : A_ACCESS, v);
		put32(e->key, p->port);
		put16(e->key + 4, p->vlan);
		put24(e->data, p->vni);
		if (p->vlan) {
			e = rent_new(r, T_VLAN_OUT, A_SET_OUT_VLAN, v);
			put32(e->key, p->port);
			put16(e->data, p->vlan);
		}
	}
	for (int k = 0; k < N_KINDS; k++) {
		HMAP_FOR_EACH (&st->maps[k], h) {
			render_node(v, st, (const struct node *)h, up, r);
		}
	}
	for (uint32_t i = 0; i < st->nh.n; i++) {
		const struct nexthop *h = &st->nh.v[i];
		uint32_t m = h->plen ? ~0u << (32 - h->plen) : 0;

		e = rent_new(r, T_NEXTHOP, A_SET_NEXTHOP, v);
		put32(e->key, h->ip & m);
		memset(e->mask, 0, KEY_MAX);
		put32(e->mask, m);
		memcpy(e->data, h->mac, 6);
	}
}

/* Sorts the entries and members, keeping one of each entry. */
static void
render_sort(struct render *r)
{
	uint32_t n = 0;

	if (r->ents.n > 1)
		qsort(r->ents.v, r->ents.n, sizeof(*r->ents.v), rent_cmp);
	for (uint32_t i = 0; i < r->ents.n; i++)
		if (n == 0 || rent_cmp(&r->ents.v[n - 1], &r->ents.v[i]) != 0)
			r->ents.v[n++] = r->ents.v[i];
	r->ents.n = n;
	if (r->mems.n > 1)
		qsort(r->mems.v, r->mems.n, sizeof(*r->mems.v), rmember_cmp);
}

/* --- Changing the state ----------------------------------------------------------------- */

/*
 * Adds 'nd' to the command's touched nodes; the first time, renders what it
 * stands for now (before the command changes it) into op.old.
 */
static void
op_touch(struct ft_vtep *v, struct node *nd)
{
	if (nd->touched)
		return;
	if (VEC_PUSH(v->op.touched, nd) < 0) {
		v->op.failed = true;
		return;
	}
	nd->touched = true;
	if (!v->op.all)
		render_node(v, &v->st, nd, uplink_of(&v->st), &v->op.old);
}

static int
op_log(struct ft_vtep *v, enum undo_op op, void *p, uint32_t old)
{
	struct undo u = {.op = op, .p = p, .old = old};

	if (VEC_PUSH(v->op.log, u) < 0) {
		v->op.failed = true;
		return -ENOMEM;
	}
	return 0;
}

static struct vninode *
vni_get(struct ft_vtep *v, uint32_t vni)
{
	struct vninode *n = vni_find(&v->st, vni);

	if (n == NULL &&
	    (n = node_new(&v->st, N_VNI, sizeof(*n), hash_bytes(&vni, sizeof(vni)))) != NULL)
		n->vni = vni;
	if (n != NULL)
		op_touch(v, &n->nd);
	return n;
}

static struct entry *
entry_get(struct ft_vtep *v, uint32_t vni, const uint8_t *mac)
{
	struct entry *e = entry_find(&v->st, vni, mac);

	if (e == NULL &&
	    (e = node_new(&v->st, N_ENTRY, sizeof(*e), hash_vni_mac(vni, mac))) != NULL) {
		e->vni = vni;
		memcpy(e->mac, mac, 6);
	}
	if (e != NULL)
		op_touch(v, &e->nd);
	return e;
}

static struct ipnode *
ip_get(struct ft_vtep *v, uint32_t ip)
{
	struct ipnode *p = ip_find(&v->st, ip);

	if (p == NULL &&
	    (p = node_new(&v->st, N_IP, sizeof(*p), hash_bytes(&ip, sizeof(ip)))) != NULL)
		p->ip = ip;
	if (p != NULL)
		op_touch(v, &p->nd);
	return p;
}

static struct vip *
vip_get(struct ft_vtep *v, uint32_t vni, uint32_t ip)
{
	struct vip *k = vip_find(&v->st, vni, ip);

	if (k == NULL && (k = node_new(&v->st, N_VIP, sizeof(*k), hash_pair(vni, ip))) != NULL) {
		k->vni = vni;
		k->ip = ip;
	}
	if (k != NULL)
		op_touch(v, &k->nd);
	return k;
}

static struct neigh *
neigh_get(struct ft_vtep *v, uint32_t vni, uint32_t ip)
{
	struct neigh *nb = neigh_find(&v->st, vni, ip);

	if (nb == NULL &&
	    (nb = node_new(&v->st, N_NEIGH, sizeof(*nb), hash_pair(vni, ip))) != NULL) {
		nb->vni = vni;
		nb->ip = ip;
	}
	if (nb != NULL)
		op_touch(v, &nb->nd);
	return nb;
}

/* Counts the row in its IP's n_need, or not. */
static void
row_need_set(struct ft_vtep *v, struct fdb_row *r, bool need)
{
	if (r->to_port || r->needs_rid == need)
		return;
	op_touch(v, &r->ip->nd);
	r->needs_rid = need;
	if (need)
		r->ip->n_need++;
	else
		r->ip->n_need--;
}

/*
 * Links 'r' into its lists between the neighbours its links name (the tails
 * for a new row; where it was, to undo its removal) and counts it.
 */
static void
row_link(struct ft_vtep *v, struct fdb_row *r)
{
	struct state *st = &v->st;
	struct entry *e = r->e;

#define LINK(prev, next, head, tail)                                                               \
	do {                                                                                       \
		if (r->prev != NULL)                                                               \
			r->prev->next = r;                                                         \
		else                                                                               \
			(head) = r;                                                                \
		if (r->next != NULL)                                                               \
			r->next->prev = r;                                                         \
		else                                                                               \
			(tail) = r;                                                                \
	} while (0)
	LINK(eprev, enext, e->first, e->last);
	LINK(aprev, anext, st->first, st->last);
	if (r->ip != NULL) {
		LINK(iprev, inext, r->ip->first, r->ip->last);
		r->vk->n++;
	}
#undef LINK
	e->n++;
	r->vn->n_fdb++;
	st->n_rows++;
	if (mac_is_zero(e->mac) || e->n != 2)
		row_need_set(v, r, mac_is_zero(e->mac) || e->n > 1);
	else
		for (struct fdb_row *f = e->first; f != NULL; f = f->enext)
			row_need_set(v, f, true);
}

/* Unlinks 'r' from its lists, keeping its links (to undo), and uncounts it. */
static void
row_unlink(struct ft_vtep *v, struct fdb_row *r)
{
	struct state *st = &v->st;
	struct entry *e = r->e;

#define UNLINK(prev, next, head, tail)                                                             \
	do {                                                                                       \
		if (r->prev != NULL)                                                               \
			r->prev->next = r->next;                                                   \
		else                                                                               \
			(head) = r->next;                                                          \
		if (r->next != NULL)                                                               \
			r->next->prev = r->prev;                                                   \
		else                                                                               \
			(tail) = r->prev;                                                          \
	} while (0)
	row_need_set(v, r, false);
	UNLINK(eprev, enext, e->first, e->last);
	UNLINK(aprev, anext, st->first, st->last);
	if (r->ip != NULL) {
		UNLINK(iprev, inext, r->ip->first, r->ip->last);
		r->vk->n--;
	}
#undef UNLINK
	e->n--;
	r->vn->n_fdb--;
	st->n_rows--;
	if (e->n == 1 && !mac_is_zero(e->mac))
		row_need_set(v, e->first, false);
}

/* Adds a row like 'tmpl' as the newest; 0 or -ENOMEM. */
static int
row_add(struct ft_vtep *v, const struct fdb_row *tmpl)
{
	struct state *st = &v->st;
	struct fdb_row *r = malloc(sizeof(*r));

	if (r == NULL)
		return -ENOMEM;
	*r = *tmpl;
	r->needs_rid = false;
	r->ip = NULL;
	r->vk = NULL;
	r->vn = vni_get(v, r->vni);
	r->e = entry_get(v, r->vni, r->mac);
	if (!r->to_port) {
		r->ip = ip_get(v, r->val);
		r->vk = vip_get(v, r->vni, r->val);
	}
	if (r->vn == NULL || r->e == NULL || (!r->to_port && (r->ip == NULL || r->vk == NULL)) ||
	    v->op.failed || op_log(v, U_ROW_ADD, r, 0) < 0) {
		free(r);
		return -ENOMEM;
	}
	r->seq = ++st->seq;
	r->eprev = r->e->last;
	r->aprev = st->last;
	r->iprev = r->ip != NULL ? r->ip->last : NULL;
	r->enext = r->anext = r->inext = NULL;
	row_link(v, r);
	return 0;
}

/* Removes row 'r' (freed when the command ends well); 0 or -ENOMEM. */
static int
row_del(struct ft_vtep *v, struct fdb_row *r)
{
	op_touch(v, &r->vn->nd);
	op_touch(v, &r->e->nd);
	if (r->ip != NULL) {
		op_touch(v, &r->ip->nd);
		op_touch(v, &r->vk->nd);
	}
	if (v->op.failed || op_log(v, U_ROW_DEL, r, 0) < 0)
		return -ENOMEM;
	row_unlink(v, r);
	return 0;
}

/* Removes the rows of (vni, mac) that are learned (all: 'learned_only' false); 0 or -ENOMEM. */
static int
fdb_remove(struct ft_vtep *v, uint32_t vni, const uint8_t *mac, bool learned_only)
{
	struct entry *e = entry_find(&v->st, vni, mac);
	int rc = 0;

	for (struct fdb_row *f = e != NULL ? e->first : NULL, *next; f != NULL && rc == 0;
	     f = next) {
		next = f->enext;
		if (!learned_only || f->learned)
			rc = row_del(v, f);
	}
	return rc;
}

static void
neigh_link(struct state *st, struct neigh *nb)
{
	if (nb->prev != NULL)
		nb->prev->next = nb;
	else
		st->nfirst = nb;
	if (nb->next != NULL)
		nb->next->prev = nb;
	else
		st->nlast = nb;
}

static void
neigh_unlink(struct state *st, struct neigh *nb)
{
	if (nb->prev != NULL)
		nb->prev->next = nb->next;
	else
		st->nfirst = nb->next;
	if (nb->next != NULL)
		nb->next->prev = nb->prev;
	else
		st->nlast = nb->prev;
}

/* Makes neighbour 'nb' absent; 0 or -ENOMEM. */
static int
neigh_remove(struct ft_vtep *v, struct neigh *nb)
{
	struct vninode *n = vni_get(v, nb->vni);

	op_touch(v, &nb->nd);
	if (n == NULL || v->op.failed || op_log(v, U_NB_DEL, nb, 0) < 0)
		return -ENOMEM;
	neigh_unlink(&v->st, nb);
	nb->present = false;
	n->n_neigh--;
	return 0;
}

/* Adds neighbour (vni, ip) (absent now) as the newest; 0 or -ENOMEM. */
static int
neigh_insert(struct ft_vtep *v, uint32_t vni, uint32_t ip, const uint8_t *mac, bool reachable,
             uint64_t since_ms)
{
	struct vninode *n = vni_get(v, vni);
	struct neigh *nb = neigh_get(v, vni, ip);

	if (n == NULL || nb == NULL || v->op.failed || op_log(v, U_NB_ADD, nb, 0) < 0)
		return -ENOMEM;
	v->op.log.v[v->op.log.n - 1].nb = *nb;
	memcpy(nb->mac, mac, 6);
	nb->reachable = reachable;
	nb->since_ms = since_ms;
	nb->present = true;
	nb->prev = v->st.nlast;
	nb->next = NULL;
	neigh_link(&v->st, nb);
	n->n_neigh++;
	return 0;
}

/* Sets a replication id or a group id (slot 'p', a rid when 'rid'), in the bitmaps too. */
static int
id_set(struct ft_vtep *v, bool rid, void *p, uint32_t id)
{
	uint32_t old = rid ? ((struct ipnode *)p)->rid : *(uint32_t *)p;
	uint64_t *map = rid ? v->st.rid_used : v->st.group_used;

	if (op_log(v, U_ID, p, old | (rid ? 1u << 31 : 0)) < 0)
		return -ENOMEM;
	if (old != 0)
		bit_set(map, old, false);
	if (id != 0)
		bit_set(map, id, true);
	if (rid)
		((struct ipnode *)p)->rid = (uint16_t)id;
	else
		*(uint32_t *)p = id;
	return 0;
}

static void
undo_one(struct ft_vtep *v, struct undo *u)
{
	struct state *st = &v->st;

	switch (u->op) {
	case U_ROW_ADD:
		row_unlink(v, u->p);
		free(u->p);
		break;
	case U_ROW_DEL:
		row_link(v, u->p);
		break;
	case U_NB_ADD: {
		struct neigh *nb = u->p;

		neigh_unlink(st, nb);
		vni_find(st, nb->vni)->n_neigh--;
		memcpy(nb->mac, u->nb.mac, 6);
		nb->reachable = u->nb.reachable;
		nb->since_ms = u->nb.since_ms;
		nb->present = u->nb.present;
		nb->prev = u->nb.prev;
		nb->next = u->nb.next;
		break;
	}
	case U_NB_DEL: {
		struct neigh *nb = u->p;

		neigh_link(st, nb);
		nb->present = true;
		vni_find(st, nb->vni)->n_neigh++;
		break;
	}
	case U_ID: {
		bool rid = u->old >> 31;
		uint32_t old = u->old & ~(1u << 31);
		uint32_t cur = rid ? ((struct ipnode *)u->p)->rid : *(uint32_t *)u->p;
		uint64_t *map = rid ? st->rid_used : st->group_used;

		if (cur != 0)
			bit_set(map, cur, false);
		if (old != 0)
			bit_set(map, old, true);
		if (rid)
			((struct ipnode *)u->p)->rid = (uint16_t)old;
		else
			*(uint32_t *)u->p = old;
		break;
	}
	}
}

/*
 * Starts a command. 'all': it may change anything (ports, settings, next
 * hops, many rows): what all the state renders to now is kept, and the
 * ports, next hops and settings are saved. Else only what it touches.
 * 0 or -ENOMEM (then nothing started).
 */
static int
op_begin(struct ft_vtep *v, bool all)
{
	struct op *op = &v->op;

	op->all = all;
	op->failed = false;
	op->touched.n = 0;
	op->log.n = 0;
	memset(&op->old, 0, sizeof(op->old));
	if (!all)
		return 0;
	op->set = v->st.set;
	if (VEC_DUP(op->ports, v->st.ports) < 0 || VEC_DUP(op->nh, v->st.nh) < 0) {
		free(op->ports.v);
		op->ports.v = NULL;
		return -ENOMEM;
	}
	render_all(v, &v->st, &op->old);
	if (op->old.oom) {
		render_free(&op->old);
		free(op->ports.v);
		free(op->nh.v);
		return -ENOMEM;
	}
	return 0;
}

/* Ends the command: keeps what it did ('keep') or undoes it; frees what it emptied. */
static void
op_end(struct ft_vtep *v, bool keep)
{
	struct op *op = &v->op;

	for (uint32_t i = op->log.n; i-- > 0;) {
		struct undo *u = &op->log.v[i];

		if (!keep)
			undo_one(v, u);
		else if (u->op == U_ROW_DEL)
			free(u->p);
	}
	if (op->all) {
		if (!keep) {
			free(v->st.ports.v);
			free(v->st.nh.v);
			v->st.ports = op->ports;
			v->st.nh = op->nh;
			v->st.set = op->set;
		} else {
			free(op->ports.v);
			free(op->nh.v);
		}
		memset(&op->ports, 0, sizeof(op->ports));
		memset(&op->nh, 0, sizeof(op->nh));
	}
	for (uint32_t i = 0; i < op->touched.n; i++) {
		struct node *nd = op->touched.v[i];

		nd->touched = false;
		if (node_empty(nd)) {
			hmap_remove(&v->st.maps[nd->kind], &nd->hn);
			free(nd);
		}
	}
	op->touched.n = 0;
	op->log.n = 0;
	render_free(&op->old);
}

/*
 * Frees the ids of touched nodes that no longer need them, then allocates
 * the ids they newly need (lowest free first): rids in the order of the
 * IPs' oldest rows, then groups.
 */
static int
ids_update(struct ft_vtep *v, struct ft_error *err)
{
	struct op *op = &v->op;
	struct ipnode **need = NULL;
	uint32_t n_need = 0;
	int rc = 0;

	for (uint32_t i = 0; i < op->touched.n && rc == 0; i++) {
		struct node *nd = op->touched.v[i];

		if (nd->kind == N_IP && ((struct ipnode *)nd)->rid != 0 &&
		    ((struct ipnode *)nd)->n_need == 0)
			rc = id_set(v, true, nd, 0);
		else if (nd->kind == N_ENTRY && ((struct entry *)nd)->group != 0 &&
		         !entry_needs_group((struct entry *)nd))
			rc = id_set(v, false, &((struct entry *)nd)->group, 0);
		else if (nd->kind == N_VNI && ((struct vninode *)nd)->group != 0 &&
		         !vni_used(&v->st, (struct vninode *)nd))
			rc = id_set(v, false, &((struct vninode *)nd)->group, 0);
	}
	for (uint32_t i = 0; i < op->touched.n && rc == 0; i++) {
		struct ipnode *p = (struct ipnode *)op->touched.v[i];

		if (p->nd.kind != N_IP || p->rid != 0 || p->n_need == 0)
			continue;
		if (n_need % 16 == 0) {
			struct ipnode **q = realloc(need, (n_need + 16) * sizeof(*need));

			if (q == NULL) {
				rc = -ENOMEM;
				break;
			}
			need = q;
		}
		/* Insertion by the oldest row (few IPs per command). */
		uint32_t k = n_need++;

		for (; k > 0 && need[k - 1]->first->seq > p->first->seq; k--)
			need[k] = need[k - 1];
		need[k] = p;
	}
	for (uint32_t i = 0; i < n_need && rc == 0; i++) {
		uint32_t rid = bit_first_clear(v->st.rid_used, 65536);

		if (rid == 65536)
			rc = ft_error_set(err, -ENOSPC, FT_ERR_ENTRY, UINT32_MAX, "dst",
			                  "no free replication id (65535 remote VTEPs)");
		else
			rc = id_set(v, true, need[i], rid);
	}
	free(need);
	for (int pass = 0; pass < 2 && rc == 0; pass++)
		for (uint32_t i = 0; i < op->touched.n && rc == 0; i++) {
			struct node *nd = op->touched.v[i];
			uint32_t *slot, g;

			if (pass == 0 && nd->kind == N_VNI && ((struct vninode *)nd)->group == 0 &&
			    vni_used(&v->st, (struct vninode *)nd))
				slot = &((struct vninode *)nd)->group;
			else if (pass == 1 && nd->kind == N_ENTRY &&
			         ((struct entry *)nd)->group == 0 &&
			         entry_needs_group((struct entry *)nd))
				slot = &((struct entry *)nd)->group;
			else
				continue;
			g = bit_first_clear(v->st.group_used, v->n_groups);
			if (g >= v->n_groups)
				rc = ft_error_set(err, -ENOSPC, FT_ERR_GROUP, UINT32_MAX, NULL,
				                  "no free replication group (the program has %u)",
				                  v->n_groups);
			else
				rc = id_set(v, false, slot, g);
		}
	if (rc == -ENOMEM)
		rc = ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                  "out of memory");
	return rc;
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

/*
 * Ends the command started by op_begin(): allocates and frees ids, renders
 * what the touched nodes (or all the state) stand for now, and stages the
 * difference from what they stood for before in one transaction; with
 * 'clear_learn', every mac_learn entry is deleted in it too. When the
 * commit fails, the command is undone.
 */
static int
op_commit(struct ft_vtep *v, bool clear_learn, struct ft_error *err)
{
	struct keys keys = {.size = v->key_size[T_MAC_LEARN]};
	struct render r = {0};
	struct ft_txn *txn;
	int rc;

	if (v->op.failed)
		rc = oom(err);
	else
		rc = ids_update(v, err);
	if (rc < 0)
		goto out;
	if (v->op.all) {
		render_all(v, &v->st, &r);
	} else {
		const struct port *up = uplink_of(&v->st);

		for (uint32_t i = 0; i < v->op.touched.n; i++)
			render_node(v, &v->st, v->op.touched.v[i], up, &r);
	}
	render_config(v, &v->st, r.config);
	r.learning = v->st.set.learning;
	if (r.oom || v->op.old.oom) {
		rc = oom(err);
		goto out;
	}
	render_sort(&v->op.old);
	render_sort(&r);
	if (clear_learn &&
	    (ft_pipeline_table_walk(v->pipe, v->table[T_MAC_LEARN], key_collect, &keys) != 0 ||
	     keys.oom)) {
		rc = oom(err);
		goto out;
	}
	if ((txn = ft_txn_begin(v->pipe, err)) == NULL) {
		rc = err != NULL && err->code < 0 ? err->code : -EBUSY;
		goto out;
	}
	rc = stage_diff(v, txn, &v->op.old, &r, err);
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
	render_free(&r);
	op_end(v, rc == 0);
	return rc;
}

/* Undoes the command started by op_begin(); returns 'rc'. */
static int
op_abort(struct ft_vtep *v, int rc)
{
	op_end(v, false);
	return rc;
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

/* The number of fdb rows of (vni, mac). */
static uint32_t
fdb_count(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	const struct entry *e = entry_find(st, vni, mac);

	return e != NULL ? e->n : 0;
}

/* Is (vni, mac) a learned entry (its rows learned). */
static bool
fdb_is_learned(const struct state *st, uint32_t vni, const uint8_t *mac)
{
	const struct entry *e = entry_find(st, vni, mac);

	return e != NULL && e->first != NULL && e->first->learned;
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
	return x->seq < y->seq ? -1 : x->seq > y->seq;
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
	if ((rows = calloc(v->st.n_rows + 1, sizeof(*rows))) == NULL)
		return oom(err);
	for (const struct fdb_row *f = v->st.first; f != NULL; f = f->anext)
		if (all || f->vni == vni)
			rows[n++] = f;
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
	const struct entry *e;
	struct fdb_row row;
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
	e = entry_find(&v->st, vni, mac);
	n = e != NULL ? e->n : 0;
	if (op == DEL) {
		uint32_t found = 0;

		for (const struct fdb_row *f = e != NULL ? e->first : NULL; f != NULL;
		     f = f->enext)
			found += !have_dst || (!f->to_port && f->val == dst);
		if (found == 0)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, UINT32_MAX, "mac",
			                    "no fdb entry %s vni %u%s%s", argv[2], vni,
			                    have_dst ? " with that dst" : "", "");
	}
	if (op == ADD && n > 0 && !fdb_is_learned(&v->st, vni, mac))
		return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "mac",
		                    "fdb entry %s vni %u exists (append or replace it)", argv[2],
		                    vni);
	if (op_begin(v, false) < 0)
		return oom(err);
	memset(&row, 0, sizeof(row));
	row.vni = vni;
	memcpy(row.mac, mac, 6);
	row.to_port = have_port;
	row.val = have_port ? port : dst;
	switch (op) {
	case ADD:
	case REPLACE:
		if ((rc = fdb_remove(v, vni, mac, false)) == 0)
			rc = row_add(v, &row);
		break;
	case APPEND:
		/* A learned entry gives way; a port entry does not take destinations. */
		rc = fdb_remove(v, vni, mac, true);
		e = entry_find(&v->st, vni, mac);
		for (const struct fdb_row *f = e != NULL ? e->first : NULL; f != NULL && rc == 0;
		     f = f->enext) {
			if (f->to_port)
				rc = ft_error_set(err, -EINVAL, FT_ERR_ENTRY, UINT32_MAX, "mac",
				                  "fdb entry %s vni %u is a local port's", argv[2],
				                  vni);
			else if (f->val == dst)
				rc = ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "dst",
				                  "fdb entry %s vni %u already has that dst",
				                  argv[2], vni);
		}
		if (rc == 0)
			rc = row_add(v, &row);
		break;
	case DEL:
		for (struct fdb_row *f = e->first, *next; f != NULL && rc == 0; f = next) {
			next = f->enext;
			if (!have_dst || (!f->to_port && f->val == dst))
				rc = row_del(v, f);
		}
		break;
	}
	if (rc < 0)
		return op_abort(v, rc == -ENOMEM ? oom(err) : rc);
	return op_commit(v, false, err);
}

/* --- neigh -------------------------------------------------------------------------------- */

#define NEIGH_USAGE                                                                                \
	"neigh add|replace IP lladdr MAC vni N [nud permanent|reachable] | neigh del IP vni N | "  \
	"neigh show [vni N]"

static int
neigh_cmp(const void *a, const void *b)
{
	const struct neigh *x = *(const struct neigh *const *)a;
	const struct neigh *y = *(const struct neigh *const *)b;

	if (x->vni != y->vni)
		return x->vni < y->vni ? -1 : 1;
	return x->ip < y->ip ? -1 : x->ip > y->ip;
}

static int
neigh_show(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
           struct ft_error *err)
{
	const struct neigh **ns;
	uint32_t vni = 0, n = 0;
	bool all = true;
	int rc;

	if ((rc = show_vni(argc, argv, "neigh show [vni N]", &vni, &all, err)) < 0)
		return rc;
	if ((ns = calloc(v->st.maps[N_NEIGH].n + 1, sizeof(*ns))) == NULL)
		return oom(err);
	for (const struct neigh *nb = v->st.nfirst; nb != NULL; nb = nb->next)
		if (all || nb->vni == vni)
			ns[n++] = nb;
	qsort(ns, n, sizeof(*ns), neigh_cmp);
	for (uint32_t i = 0; i < n; i++) {
		char mac[20], ip[16];

		fmt_mac(ns[i]->mac, mac, sizeof(mac));
		fmt_ip(ns[i]->ip, ip, sizeof(ip));
		say(out, arg, "neigh add %s lladdr %s vni %u nud %s", ip, mac, ns[i]->vni,
		    ns[i]->reachable ? "reachable" : "permanent");
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
	struct neigh *at;
	uint8_t mac[6];
	int rc;

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
	if (at != NULL && !at->present)
		at = NULL;
	if (del) {
		if (at == NULL)
			return ft_error_set(err, -ENOENT, FT_ERR_ENTRY, UINT32_MAX, "ip",
			                    "no neighbour %s vni %u", argv[2], vni);
	} else {
		if (!have_mac)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "lladdr",
			                    "missing lladdr MAC");
		if (mac[0] & 1)
			return ft_error_set(err, -EINVAL, FT_ERR_FIELD, UINT32_MAX, "lladdr",
			                    "lladdr %s is a group address", argv[4]);
		if (at != NULL && strcmp(argv[1], "add") == 0)
			return ft_error_set(err, -EEXIST, FT_ERR_ENTRY, UINT32_MAX, "ip",
			                    "neighbour %s vni %u exists (replace it)", argv[2],
			                    vni);
	}
	if (op_begin(v, false) < 0)
		return oom(err);
	rc = at != NULL ? neigh_remove(v, at) : 0;
	if (rc == 0 && !del)
		rc = neigh_insert(v, vni, ip, mac, reachable, pipe_now(v->pipe));
	if (rc < 0)
		return op_abort(v, oom(err));
	return op_commit(v, false, err);
}

/* --- port ---------------------------------------------------------------------------------- */

#define PORT_USAGE                                                                                 \
	"port add PORT uplink [lladdr MAC] | port add PORT access vni N [vlan V] | port del PORT"

static int
cmd_port(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
         struct ft_error *err)
{
	struct port p = {0};
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
		for (const struct fdb_row *f = v->st.first; f != NULL; f = f->anext)
			if (f->to_port && f->val == p.port && !f->learned)
				return ft_error_set(err, -EBUSY, FT_ERR_FIELD, UINT32_MAX, "port",
				                    "port %u has static fdb entries (fdb del them)",
				                    p.port);
		if (op_begin(v, true) < 0)
			return oom(err);
		q = port_find(&v->st, p.port);
		if (!q->uplink && vni_get(v, q->vni) == NULL)
			rc = -ENOMEM;
		VEC_DEL(v->st.ports, (uint32_t)(q - v->st.ports.v));
		/* Learned MACs behind the port go with it. */
		for (struct fdb_row *f = v->st.first, *next; f != NULL && rc == 0; f = next) {
			next = f->anext;
			if (f->to_port && f->val == p.port)
				rc = row_del(v, f);
		}
		if (rc < 0)
			return op_abort(v, oom(err));
		return op_commit(v, false, err);
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
	if (op_begin(v, true) < 0)
		return oom(err);
	if ((!p.uplink && vni_get(v, p.vni) == NULL) || VEC_PUSH(v->st.ports, p) < 0)
		return op_abort(v, oom(err));
	return op_commit(v, false, err);
}

/* --- nexthop ---------------------------------------------------------------------------- */

#define NEXTHOP_USAGE "nexthop add|replace PREFIX lladdr MAC | nexthop del PREFIX | nexthop show"

static int
cmd_nexthop(struct ft_vtep *v, int argc, char **argv, ft_ctl_out_fn out, void *arg,
            struct ft_error *err)
{
	struct nexthop h = {.plen = 32};
	char buf[64], *slash;
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
	if (op_begin(v, true) < 0)
		return oom(err);
	if (at >= 0)
		VEC_DEL(v->st.nh, (uint32_t)at);
	if (!del && VEC_PUSH(v->st.nh, h) < 0)
		return op_abort(v, oom(err));
	return op_commit(v, false, err);
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
	if (op_begin(v, true) < 0)
		return oom(err);
	clear_learn = v->st.set.learning && !s.learning;
	v->st.set = s;
	/* learning off: the learned entries and their copies go. */
	for (struct fdb_row *f = v->st.first, *next; clear_learn && f != NULL && rc == 0;
	     f = next) {
		next = f->anext;
		if (f->learned)
			rc = row_del(v, f);
	}
	if (rc < 0)
		return op_abort(v, oom(err));
	if ((rc = op_commit(v, clear_learn, err)) < 0)
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
		if (op_begin(v, false) < 0)
			return oom(err);
		if (fdb_remove(v, ev.vni, ev.mac, true) < 0 || row_add(v, &row) < 0)
			return op_abort(v, oom(err));
		rc = op_commit(v, false, err);
		return rc < 0 ? rc : 1;
	}
	ev.kind = FT_VTEP_AGED;
	say(out, out_arg, "aged vni %u mac %s", ev.vni, mac);
	emit(v, &ev);
	if (is_static || fdb_count(&v->st, ev.vni, ev.mac) == 0)
		return 1;
	if (op_begin(v, false) < 0)
		return oom(err);
	if (fdb_remove(v, ev.vni, ev.mac, true) < 0)
		return op_abort(v, oom(err));
	rc = op_commit(v, false, err);
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
	uint32_t n = 0;
	int rc = 0;

	(void)ctl;
	for (const struct neigh *nb = v->st.nfirst; nb != NULL; nb = nb->next)
		n += nb->reachable && now - nb->since_ms > limit;
	if (n == 0)
		return 0;
	if ((gone = calloc(n, sizeof(*gone))) == NULL || op_begin(v, false) < 0) {
		free(gone);
		return oom(err);
	}
	n = 0;
	for (struct neigh *nb = v->st.nfirst, *next; nb != NULL && rc == 0; nb = next) {
		next = nb->next;
		if (nb->reachable && now - nb->since_ms > limit) {
			gone[n++] = *nb;
			rc = neigh_remove(v, nb);
		}
	}
	if (rc < 0) {
		free(gone);
		return op_abort(v, oom(err));
	}
	/* The lines and callbacks once the entries are gone, oldest first. */
	if ((rc = op_commit(v, false, err)) == 0) {
		for (uint32_t i = 0; i < n; i++) {
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
	/* The empty state renders to nothing but the default settings. */
	v->st.rid_used = calloc(65536 / 64, sizeof(uint64_t));
	v->st.group_used = calloc(v->n_groups / 64 + 1, sizeof(uint64_t));
	if (v->st.rid_used == NULL || v->st.group_used == NULL) {
		state_free(&v->st);
		free(v);
		return oom(err);
	}
	v->vocab = (struct ft_ctl_vocab){
	        .words = vtep_words,
	        .exec = vtep_exec,
	        .arg = v,
	        .changed = vtep_changed,
	        .event_text = vtep_event_text,
	        .poll = vtep_poll,
	};
	if ((rc = ft_ctl_add_vocab(ctl, &v->vocab)) < 0) {
		state_free(&v->st);
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
	free(v->op.touched.v);
	free(v->op.log.v);
	free(v);
}

void
ft_vtep_set_event_cb(struct ft_vtep *v, ft_vtep_event_fn fn, void *arg)
{
	v->cb = fn;
	v->cb_arg = arg;
}
