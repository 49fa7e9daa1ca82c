/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software NIC (include/flowtwin/sim.h): rte_flow rule sets executed on
 * packets the way a ConnectX executes them. Part of driver/, next to the
 * DPDK backend; it uses rte_flow's types and the capability profiles of
 * offload/, and the model's packet parser (ft_parse) for INTEGRITY
 * packet_ok, and never calls DPDK.
 *
 * A rule goes through the stages of the mlx5 PMD: validate and translate
 * happen together in compile(), which checks the rule against the profile
 * and turns it into a 'struct ft_sim_flow': the header items become byte
 * checks (layer, offset, mask, value) and field ranges, the register and
 * port items become register checks, the actions a list with their confs
 * copied (the encapsulation header prebuilt with mlx5's defaults filled
 * in). Apply inserts it into its group: groups are kept in an array sorted
 * by (port, group), each holding its rules sorted by (priority, creation)
 * and, for the packet path, indexed by shape (struct tuple: the rules that
 * check the same bytes under the same masks, hashed on the values).
 *
 * The packet path parses the packet into its layers as the NIC would
 * (nic_parse(), more lenient than ft_parse(): see sim.h), then walks the
 * groups from 0: in each, the rule with the lowest priority number (then
 * the oldest) among those whose checks all pass wins: group_lookup() probes
 * each tuple once, or with params->linear scans the sorted rules with
 * match(), the reference the index is tested against. The winner's actions
 * run in order; a JUMP moves on, anything else ends the walk. The packet is
 * re-parsed only after an action changed its headers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/drop.h>
#include <flowtwin/parse.h>
#include <flowtwin/sim.h>

#define ITEMS_MAX   64 /* items (and actions) in one rule, VOID included */
#define LAYERS_MAX  11 /* eth vlan vlan ip l4 vxlan eth vlan vlan ip l4 */
#define MCHK_MAX    16 /* register and port checks in one rule */
#define INTEG_MAX   4  /* INTEGRITY items in one rule */
#define RANGE_BYTES 16 /* the widest header field (an IPv6 address) */

#define ETHERTYPE_IPV4 0x0800
#define ETHERTYPE_IPV6 0x86dd
#define ETHERTYPE_VLAN 0x8100
#define ETHERTYPE_QINQ 0x88a8
#define IPPROTO_N_TCP  6
#define IPPROTO_N_UDP  17
#define VXLAN_PORT     4789
#define VXLAN_F_I      0x08

#define ETH_LEN   14
#define VLAN_LEN  4
#define IPV4_LEN  20
#define IPV6_LEN  40
#define UDP_LEN   8
#define TCP_LEN   20
#define VXLAN_LEN 8

/* Header protocols the NIC's parser knows, one per header item type. */
enum proto { P_ETH, P_VLAN, P_IPV4, P_IPV6, P_UDP, P_TCP, P_VXLAN, P_COUNT };

/*
 * What a header item matches: 'size' bytes of the header, laid out in the
 * item struct at offset 0 exactly as in the packet; 'fields' are the field
 * widths in order, for ranges ('last').
 */
struct hdr_desc {
	enum rte_flow_item_type type;
	uint8_t size;
	uint8_t n_fields;
	uint8_t fields[10];
	const void *dflt_mask;
};

/* clang-format off */
static const struct hdr_desc hdr_descs[P_COUNT] = {
	[P_ETH] = { RTE_FLOW_ITEM_TYPE_ETH, ETH_LEN, 3, { 6, 6, 2 }, &rte_flow_item_eth_mask },
	[P_VLAN] = { RTE_FLOW_ITEM_TYPE_VLAN, VLAN_LEN, 2, { 2, 2 }, &rte_flow_item_vlan_mask },
	[P_IPV4] = { RTE_FLOW_ITEM_TYPE_IPV4, IPV4_LEN, 10, { 1, 1, 2, 2, 2, 1, 1, 2, 4, 4 },
		     &rte_flow_item_ipv4_mask },
	[P_IPV6] = { RTE_FLOW_ITEM_TYPE_IPV6, IPV6_LEN, 6, { 4, 2, 1, 1, 16, 16 },
		     &rte_flow_item_ipv6_mask },
	[P_UDP] = { RTE_FLOW_ITEM_TYPE_UDP, UDP_LEN, 4, { 2, 2, 2, 2 }, &rte_flow_item_udp_mask },
	[P_TCP] = { RTE_FLOW_ITEM_TYPE_TCP, TCP_LEN, 9, { 2, 2, 4, 4, 1, 1, 2, 2, 2 },
		    &rte_flow_item_tcp_mask },
	[P_VXLAN] = { RTE_FLOW_ITEM_TYPE_VXLAN, VXLAN_LEN, 4, { 1, 3, 3, 1 },
		      &rte_flow_item_vxlan_mask },
};
/* clang-format on */

_Static_assert(sizeof(struct rte_ether_hdr) == ETH_LEN, "eth item layout");
_Static_assert(sizeof(struct rte_vlan_hdr) == VLAN_LEN, "vlan item layout");
_Static_assert(sizeof(struct rte_ipv4_hdr) == IPV4_LEN, "ipv4 item layout");
_Static_assert(sizeof(struct rte_ipv6_hdr) == IPV6_LEN, "ipv6 item layout");
_Static_assert(sizeof(struct rte_udp_hdr) == UDP_LEN, "udp item layout");
_Static_assert(sizeof(struct rte_tcp_hdr) == TCP_LEN, "tcp item layout");
_Static_assert(sizeof(struct rte_vxlan_hdr) == VXLAN_LEN, "vxlan item layout");

/* One byte of a header item: packet byte & mask == val. */
struct chk {
	uint8_t item; /* index among the rule's header items */
	uint8_t off;  /* in the header */
	uint8_t mask;
	uint8_t val;
};

/* One field range of a header item. */
struct rng {
	uint8_t item;
	uint8_t off;
	uint8_t size;
	uint8_t mask[RANGE_BYTES];
	uint8_t lo[RANGE_BYTES];
	uint8_t hi[RANGE_BYTES];
};

/* has_vlan of ETH, has_more_vlan of VLAN. */
struct fchk {
	uint8_t item;
	uint8_t val;
};

enum mkind { M_TAG, M_META, M_MARK, M_PORT };

/* A register or input-port check: value & mask == val. */
struct mchk {
	uint8_t kind;  /* enum mkind */
	uint8_t index; /* TAG index */
	uint32_t mask;
	uint32_t val;
};

/* INTEGRITY bits, in the sim's own numbering. */
enum {
	IG_PACKET_OK = 1u << 0,
	IG_L2_OK = 1u << 1,
	IG_L3_OK = 1u << 2,
	IG_L4_OK = 1u << 3,
	IG_IPV4_CSUM_OK = 1u << 4,
	IG_L3_LEN_OK = 1u << 5,
};

struct ichk {
	uint8_t inner; /* level 2 */
	uint8_t mask;
	uint8_t val;
};

/* One compiled action. */
struct act {
	enum rte_flow_action_type type;
	union {
		uint32_t u32; /* MARK id, JUMP group, port */
		uint16_t u16; /* QUEUE / RSS queue, VLAN TPID, VID */
		uint8_t u8;   /* PCP */
		struct {
			uint32_t data;
			uint32_t mask;
			uint8_t index;
		} reg; /* SET_TAG, SET_META */
		uint8_t mac[6];
	};
};

/* A prebuilt encapsulation header and where its length fields are. */
struct encap {
	uint16_t size;
	uint16_t l3; /* offset of the IP header */
	uint16_t l4; /* offset of the UDP header */
	bool ipv6;
	uint8_t hdr[];
};

struct group;

struct ft_sim_flow {
	struct ft_sim *sim;
	struct ft_sim_flow *prev, *next; /* every rule of the sim */
	struct group *grp;
	uint16_t port; /* created on */
	uint32_t group;
	uint32_t priority;
	uint64_t seq; /* creation order */

	/* Match. */
	int8_t first; /* enum proto of the first header item, -1 when none */
	uint8_t n_items;
	uint8_t items[LAYERS_MAX]; /* enum proto of each header item */
	bool vxlan_item;
	uint16_t n_chk, n_rng;
	uint8_t n_fchk, n_mchk, n_ichk;
	struct chk *chk;
	struct rng *rng;
	struct fchk fchk[LAYERS_MAX];
	struct mchk mchk[MCHK_MAX];
	struct ichk ichk[INTEG_MAX];

	/* Actions. */
	uint16_t n_acts;
	bool modifies; /* some action changes the packet's headers */
	bool has_count;
	bool jumps;
	uint32_t jump_group;
	struct act *acts;
	struct encap *encap;
	uint64_t hits, bytes;
	uint32_t slot; /* its counter in callers' arrays (ft_sim_rx_count()) */

	/* Index (struct tuple): the shape of the match and its values. */
	struct tuple *tup;
	struct ft_sim_flow *tnext; /* in the tuple's bucket */
	uint8_t *sig;              /* the shape: what is checked, under which masks */
	uint8_t *key;              /* the values checked */
	uint16_t sig_len, key_len;
	uint32_t hash; /* of 'key' */
};

/*
 * Rules of one group with the same shape (the same layers, bytes, masks,
 * registers and integrity bits checked), hashed on the values they check:
 * a lookup computes the packet's key once per tuple and finds the rules
 * with those values in one bucket (tuple space search, as OVS's
 * classifier). Ranges are not in the key: a rule with ranges is checked
 * in full once its exact values matched.
 */
struct tuple {
	uint8_t *sig;
	uint16_t sig_len, key_len;
	uint32_t min_prio; /* lowest priority number ever in it (never raised) */
	uint32_t n, mask;  /* rules, buckets - 1 */
	struct ft_sim_flow **buckets;
	/* The shape, decoded. */
	int8_t first;
	uint8_t n_items;
	uint8_t items[LAYERS_MAX];
	uint16_t n_chk;
	uint8_t n_fchk, n_mchk, n_ichk;
	struct chk *chk;
	struct fchk fchk[LAYERS_MAX];
	struct mchk mchk[MCHK_MAX];
	struct ichk ichk[INTEG_MAX];
};

/* The rules of one group of one port (ingress) or of the switch domain. */
struct group {
	uint32_t key; /* the port (ingress domain), 0 (transfer) */
	uint32_t group;
	uint32_t n, cap;
	struct ft_sim_flow **rules; /* by priority, then creation */
	uint32_t n_tuples, cap_tuples;
	struct tuple **tuples; /* by min_prio */
};

struct ft_sim {
	const struct ft_nic_profile *profile;
	bool strict;
	uint32_t refuse_one_in; /* failure injection: 0, or refuse about one rule in N */
	uint64_t refuse_state;
	bool linear;
	bool transfer;
	uint32_t rules_max;
	uint32_t n_rules;
	uint64_t seq;
	uint16_t nic_ports[FT_PARSE_VXLAN_PORTS_MAX]; /* what the NIC parses as VXLAN */
	uint32_t n_nic_ports;
	struct ft_parse_cfg parse_cfg; /* the model's parser, for packet_ok */
	uint16_t (*encap_udp_src)(void *arg, const uint8_t *inner_frame, uint32_t len);
	void *encap_udp_src_arg;
	struct ft_sim_flow *flows; /* list of every rule */
	struct group **groups;     /* by (key, group) */
	uint32_t n_groups, cap_groups;
	/* Counter slots: n_slots taken at most; the freed ones, room for every slot. */
	uint32_t n_slots;
	uint32_t *free_slots, n_free, cap_free;
};

/* --- Helpers -------------------------------------------------------------- */

static inline uint32_t
rd16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static inline void
wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline bool
is_vlan_type(uint32_t type)
{
	return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

/* The RFC 1071 checksum of 'len' (even) bytes. */
static uint16_t
csum16(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < len; i += 2)
		sum += rd16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Fills 'error' (optional), sets errno and returns -code. */
static int
flow_err(struct rte_flow_error *error, int code, enum rte_flow_error_type type, const void *cause,
         const char *msg)
{
	if (error != NULL) {
		error->type = type;
		error->cause = cause;
		error->message = msg;
	}
	errno = code;
	return -code;
}

/* --- The NIC's parser ----------------------------------------------------- */

/* The packet's layers as the NIC sees them. */
struct layers {
	uint8_t n;
	uint8_t inner;      /* index of the inner ETH, or n when there is none */
	uint8_t vlan_trunc; /* bit 0: outer, bit 1: inner frame has a cut VLAN tag */
	int8_t first[P_COUNT];
	uint8_t proto[LAYERS_MAX];
	uint16_t off[LAYERS_MAX];
};

static inline void
add_layer(struct layers *ly, enum proto p, uint32_t off)
{
	if (ly->first[p] < 0)
		ly->first[p] = (int8_t)ly->n;
	ly->proto[ly->n] = (uint8_t)p;
	ly->off[ly->n] = (uint16_t)off;
	ly->n++;
}

static bool
is_nic_vxlan_port(const struct ft_sim *sim, uint32_t port)
{
	for (uint32_t i = 0; i < sim->n_nic_ports; i++)
		if (sim->nic_ports[i] == port)
			return true;
	return false;
}

static void
parse_frame(const struct ft_sim *sim, const uint8_t *d, uint32_t off, uint32_t end,
            struct layers *ly, bool inner)
{
	uint32_t type, proto, ihl, frag;
	bool is_frag = false;

	if (end - off < ETH_LEN)
		return;
	if (inner)
		ly->inner = ly->n;
	add_layer(ly, P_ETH, off);
	type = rd16(d + off + 12);
	off += ETH_LEN;
	for (int t = 0; t < 2 && is_vlan_type(type); t++) {
		if (end - off < VLAN_LEN) {
			ly->vlan_trunc |= inner ? 2 : 1;
			return;
		}
		add_layer(ly, P_VLAN, off);
		type = rd16(d + off + 2);
		off += VLAN_LEN;
	}
	if (type == ETHERTYPE_IPV4) {
		if (end - off < IPV4_LEN)
			return;
		add_layer(ly, P_IPV4, off);
		ihl = (uint32_t)(d[off] & 0xf) * 4;
		frag = rd16(d + off + 6);
		if (ihl < IPV4_LEN || ihl > end - off || (frag & 0x1fff))
			return;
		is_frag = (frag & 0x2000) != 0;
		proto = d[off + 9];
		off += ihl;
	} else if (type == ETHERTYPE_IPV6) {
		if (end - off < IPV6_LEN)
			return;
		add_layer(ly, P_IPV6, off);
		proto = d[off + 6];
		off += IPV6_LEN;
	} else {
		return;
	}
	if (proto == IPPROTO_N_TCP) {
		if (end - off >= TCP_LEN)
			add_layer(ly, P_TCP, off);
		return;
	}
	if (proto != IPPROTO_N_UDP || end - off < UDP_LEN)
		return;
	add_layer(ly, P_UDP, off);
	if (inner || is_frag || !is_nic_vxlan_port(sim, rd16(d + off + 2)))
		return;
	off += UDP_LEN;
	if (end - off < VXLAN_LEN)
		return;
	add_layer(ly, P_VXLAN, off);
	parse_frame(sim, d, off + VXLAN_LEN, end, ly, true);
}

static void
nic_parse(const struct ft_sim *sim, const uint8_t *d, uint32_t len, struct layers *ly)
{
	ly->n = 0;
	ly->inner = UINT8_MAX;
	ly->vlan_trunc = 0;
	memset(ly->first, -1, sizeof(ly->first));
	parse_frame(sim, d, 0, len, ly, false);
	if (ly->inner == UINT8_MAX)
		ly->inner = ly->n;
}

/* --- Per-packet state ----------------------------------------------------- */

struct rx_state {
	const uint8_t *data;
	uint32_t len;
	bool parsed;
	struct layers ly;
	int8_t integ[2]; /* IG_* bits per level, -1: not computed */
	uint32_t in_port;
	uint32_t tag[FT_SIM_TAGS_MAX];
	uint32_t meta;
	uint32_t mark;
	bool mark_set;
	bool flag;
};

/* The IG_* bits of one level of the packet (sim.h gives the definitions). */
static uint8_t
integrity_bits(const struct ft_sim *sim, struct rx_state *st, bool inner)
{
	const struct layers *ly = &st->ly;
	const uint8_t *d = st->data;
	uint32_t lo = inner ? ly->inner : 0, hi = inner ? ly->n : ly->inner, end = st->len;
	int eth = -1, ip = -1, l4 = -1;
	uint32_t ip_end = 0;
	uint8_t bits = 0;
	struct ft_parse out;

	if (ft_parse(&sim->parse_cfg, d, st->len, &out) == FT_DROP_NONE)
		bits |= IG_PACKET_OK;
	for (uint32_t i = lo; i < hi; i++) {
		if (ly->proto[i] == P_ETH && eth < 0)
			eth = (int)i;
		else if ((ly->proto[i] == P_IPV4 || ly->proto[i] == P_IPV6) && ip < 0)
			ip = (int)i;
		else if ((ly->proto[i] == P_UDP || ly->proto[i] == P_TCP) && l4 < 0)
			l4 = (int)i;
	}
	if (eth >= 0 && !(ly->vlan_trunc & (inner ? 2 : 1)))
		bits |= IG_L2_OK;
	if (ip < 0)
		return bits;

	uint32_t off = ly->off[ip], avail = end - off;
	const uint8_t *p = d + off;
	bool len_ok, csum_ok = false, frag = false;

	if (ly->proto[ip] == P_IPV4) {
		uint32_t ihl = (uint32_t)(p[0] & 0xf) * 4, total = rd16(p + 2);

		len_ok = ihl >= IPV4_LEN && ihl <= total && total <= avail;
		if (ihl >= IPV4_LEN && ihl <= avail) {
			csum_ok = csum16(p, ihl) == 0;
			if (csum_ok)
				bits |= IG_IPV4_CSUM_OK;
		}
		if (len_ok && csum_ok && p[0] >> 4 == 4)
			bits |= IG_L3_OK;
		ip_end = off + total;
		frag = (rd16(p + 6) & 0x3fff) != 0;
	} else {
		uint32_t plen = rd16(p + 4);

		len_ok = plen <= avail - IPV6_LEN;
		if (len_ok && p[0] >> 4 == 6)
			bits |= IG_L3_OK;
		ip_end = off + IPV6_LEN + plen;
	}
	if (!len_ok)
		return bits;
	bits |= IG_L3_LEN_OK;
	if (l4 < 0 || ly->off[l4] > ip_end)
		return bits;

	uint32_t l4off = ly->off[l4], room = ip_end - l4off;

	p = d + l4off;
	if (ly->proto[l4] == P_UDP) {
		uint32_t ulen = rd16(p + 4);

		if (room >= UDP_LEN && ulen >= UDP_LEN && (frag || ulen == room))
			bits |= IG_L4_OK;
	} else {
		uint32_t doff = (uint32_t)(p[12] >> 4) * 4;

		if (room >= TCP_LEN && doff >= TCP_LEN && doff <= room)
			bits |= IG_L4_OK;
	}
	return bits;
}

/* --- Matching ------------------------------------------------------------- */

/* The register or port a check reads; an unwritten register reads 0. */
static inline uint32_t
reg_value(const struct rx_state *st, const struct mchk *c)
{
	switch (c->kind) {
	case M_TAG:
		return st->tag[c->index];
	case M_META:
		return st->meta;
	case M_MARK:
		return st->mark_set ? st->mark : 0;
	default:
		return st->in_port;
	}
}

/*
 * Where a pattern's header items stand in the packet: the first at the
 * first layer of its protocol, each next one at the very next layer. Sets
 * *base to the first's layer index; false when the packet lacks them.
 */
static bool
align(const struct layers *ly, int8_t first, const uint8_t *items, uint32_t n_items,
      uint32_t *base)
{
	int b = ly->first[first];

	if (b < 0 || (uint32_t)b + n_items > ly->n)
		return false;
	for (uint32_t k = 1; k < n_items; k++)
		if (ly->proto[(uint32_t)b + k] != items[k])
			return false;
	*base = (uint32_t)b;
	return true;
}

static bool
match(const struct ft_sim *sim, const struct ft_sim_flow *f, struct rx_state *st)
{
	const struct layers *ly = &st->ly;
	uint32_t base = 0;

	if (f->n_items != 0) {
		if (!align(ly, f->first, f->items, f->n_items, &base))
			return false;
		for (uint32_t i = 0; i < f->n_chk; i++) {
			const struct chk *c = &f->chk[i];

			if ((st->data[ly->off[base + c->item] + c->off] & c->mask) != c->val)
				return false;
		}
		for (uint32_t i = 0; i < f->n_fchk; i++) {
			const struct fchk *c = &f->fchk[i];
			uint32_t k = base + c->item, off = ly->off[k];
			uint32_t next = ly->proto[k] == P_ETH ? off + 12 : off + 2;

			if (is_vlan_type(rd16(st->data + next)) != c->val)
				return false;
		}
		for (uint32_t i = 0; i < f->n_rng; i++) {
			const struct rng *r = &f->rng[i];
			const uint8_t *p = st->data + ly->off[base + r->item] + r->off;
			uint8_t v[RANGE_BYTES];

			for (uint32_t j = 0; j < r->size; j++)
				v[j] = p[j] & r->mask[j];
			if (memcmp(v, r->lo, r->size) < 0 || memcmp(v, r->hi, r->size) > 0)
				return false;
		}
	}
	for (uint32_t i = 0; i < f->n_mchk; i++)
		if ((reg_value(st, &f->mchk[i]) & f->mchk[i].mask) != f->mchk[i].val)
			return false;
	for (uint32_t i = 0; i < f->n_ichk; i++) {
		const struct ichk *c = &f->ichk[i];

		if (st->integ[c->inner] < 0)
			st->integ[c->inner] = (int8_t)integrity_bits(sim, st, c->inner);
		if (((uint8_t)st->integ[c->inner] & c->mask) != c->val)
			return false;
	}
	return true;
}

/* --- Groups --------------------------------------------------------------- */

static int
group_cmp(uint32_t k1, uint32_t g1, uint32_t k2, uint32_t g2)
{
	if (k1 != k2)
		return k1 < k2 ? -1 : 1;
	if (g1 != g2)
		return g1 < g2 ? -1 : 1;
	return 0;
}

/* The index of group (key, group) in sim->groups, or where it would go. */
static uint32_t
group_pos(const struct ft_sim *sim, uint32_t key, uint32_t group, bool *found)
{
	uint32_t lo = 0, hi = sim->n_groups;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = group_cmp(sim->groups[mid]->key, sim->groups[mid]->group, key, group);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static struct group *
group_find(const struct ft_sim *sim, uint32_t key, uint32_t group)
{
	bool found;
	uint32_t i = group_pos(sim, key, group, &found);

	return found ? sim->groups[i] : NULL;
}

static struct group *
group_get(struct ft_sim *sim, uint32_t key, uint32_t group)
{
	bool found;
	uint32_t i = group_pos(sim, key, group, &found);
	struct group *g;

	if (found)
		return sim->groups[i];
	if (sim->n_groups == sim->cap_groups) {
		uint32_t cap = sim->cap_groups ? sim->cap_groups * 2 : 16;
		struct group **a = realloc(sim->groups, cap * sizeof(*a));

		if (a == NULL)
			return NULL;
		sim->groups = a;
		sim->cap_groups = cap;
	}
	g = calloc(1, sizeof(*g));
	if (g == NULL)
		return NULL;
	g->key = key;
	g->group = group;
	memmove(&sim->groups[i + 1], &sim->groups[i], (sim->n_groups - i) * sizeof(g));
	sim->groups[i] = g;
	sim->n_groups++;
	return g;
}

/* The first index in 'g' whose priority is > 'prio' (>= when 'ge'). */
static uint32_t
prio_bound(const struct group *g, uint32_t prio, bool ge)
{
	uint32_t lo = 0, hi = g->n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		uint32_t p = g->rules[mid]->priority;

		if (p < prio || (!ge && p == prio))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint32_t
flow_key(const struct ft_sim *sim, uint16_t port)
{
	return sim->transfer ? 0 : port;
}

/* --- The index (tuple space) ---------------------------------------------- */

#define KEY_MAX (LAYERS_MAX * IPV6_LEN + LAYERS_MAX + MCHK_MAX * 4 + INTEG_MAX)

static uint32_t
hash_key(const uint8_t *k, uint32_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (uint32_t i = 0; i < len; i++)
		h = (h ^ k[i]) * 16777619u;
	return h ^ (h >> 15);
}

/* Writes the shape of 'f' into 'sig' (if not NULL) and its values into 'key'. */
static void
flow_shape(const struct ft_sim_flow *f, uint8_t *sig, uint32_t *sig_len, uint8_t *key,
           uint32_t *key_len)
{
	uint32_t n = 0, k = 0;

#define SIG(v)                                                                                     \
	do {                                                                                       \
		if (sig != NULL)                                                                   \
			sig[n] = (uint8_t)(v);                                                     \
		n++;                                                                               \
	} while (0)
	SIG(f->first + 1);
	SIG(f->n_items);
	for (uint32_t i = 0; i < f->n_items; i++)
		SIG(f->items[i]);
	SIG(f->n_chk >> 8);
	SIG(f->n_chk);
	for (uint32_t i = 0; i < f->n_chk; i++) {
		SIG(f->chk[i].item);
		SIG(f->chk[i].off);
		SIG(f->chk[i].mask);
		if (key != NULL)
			key[k] = f->chk[i].val;
		k++;
	}
	SIG(f->n_fchk);
	for (uint32_t i = 0; i < f->n_fchk; i++) {
		SIG(f->fchk[i].item);
		if (key != NULL)
			key[k] = f->fchk[i].val;
		k++;
	}
	SIG(f->n_mchk);
	for (uint32_t i = 0; i < f->n_mchk; i++) {
		SIG(f->mchk[i].kind);
		SIG(f->mchk[i].index);
		for (int b = 24; b >= 0; b -= 8)
			SIG(f->mchk[i].mask >> b);
		if (key != NULL)
			memcpy(key + k, &f->mchk[i].val, 4);
		k += 4;
	}
	SIG(f->n_ichk);
	for (uint32_t i = 0; i < f->n_ichk; i++) {
		SIG(f->ichk[i].inner);
		SIG(f->ichk[i].mask);
		if (key != NULL)
			key[k] = f->ichk[i].val;
		k++;
	}
#undef SIG
	*sig_len = n;
	*key_len = k;
}

/* Fills f->sig, f->key and f->hash. */
static int
flow_index_prepare(struct ft_sim_flow *f)
{
	uint32_t sig_len, key_len;

	flow_shape(f, NULL, &sig_len, NULL, &key_len);
	f->sig = malloc(sig_len);
	f->key = malloc(key_len + 1);
	if (f->sig == NULL || f->key == NULL)
		return -ENOMEM;
	flow_shape(f, f->sig, &sig_len, f->key, &key_len);
	f->sig_len = (uint16_t)sig_len;
	f->key_len = (uint16_t)key_len;
	f->hash = hash_key(f->key, key_len);
	return 0;
}

static void
tuple_free(struct tuple *t)
{
	if (t == NULL)
		return;
	free(t->sig);
	free(t->chk);
	free(t->buckets);
	free(t);
}

/* A new, empty tuple with the shape of 'f'. */
static struct tuple *
tuple_new(const struct ft_sim_flow *f)
{
	struct tuple *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return NULL;
	t->sig = malloc(f->sig_len);
	t->chk = calloc(f->n_chk + 1, sizeof(*t->chk));
	t->mask = 7;
	t->buckets = calloc(t->mask + 1, sizeof(*t->buckets));
	if (t->sig == NULL || t->chk == NULL || t->buckets == NULL) {
		tuple_free(t);
		return NULL;
	}
	memcpy(t->sig, f->sig, f->sig_len);
	t->sig_len = f->sig_len;
	t->key_len = f->key_len;
	t->min_prio = UINT32_MAX;
	t->first = f->first;
	t->n_items = f->n_items;
	memcpy(t->items, f->items, sizeof(t->items));
	t->n_chk = f->n_chk;
	memcpy(t->chk, f->chk, f->n_chk * sizeof(*t->chk));
	t->n_fchk = f->n_fchk;
	memcpy(t->fchk, f->fchk, sizeof(t->fchk));
	t->n_mchk = f->n_mchk;
	memcpy(t->mchk, f->mchk, sizeof(t->mchk));
	t->n_ichk = f->n_ichk;
	memcpy(t->ichk, f->ichk, sizeof(t->ichk));
	return t;
}

/* Doubles the buckets of 't'; on failure keeps the old ones (longer chains). */
static void
tuple_grow(struct tuple *t)
{
	uint32_t mask = t->mask * 2 + 1;
	struct ft_sim_flow **b = calloc(mask + 1, sizeof(*b));

	if (b == NULL)
		return;
	for (uint32_t i = 0; i <= t->mask; i++) {
		struct ft_sim_flow *f, *next;

		for (f = t->buckets[i]; f != NULL; f = next) {
			next = f->tnext;
			f->tnext = b[f->hash & mask];
			b[f->hash & mask] = f;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->mask = mask;
}

/* Adds 'f' to the tuple of its shape in 'g', creating it if need be. */
static int
index_add(struct group *g, struct ft_sim_flow *f)
{
	struct tuple *t = NULL;
	uint32_t i;

	for (i = 0; i < g->n_tuples; i++)
		if (g->tuples[i]->sig_len == f->sig_len &&
		    memcmp(g->tuples[i]->sig, f->sig, f->sig_len) == 0) {
			t = g->tuples[i];
			break;
		}
	if (t == NULL) {
		if (g->n_tuples == g->cap_tuples) {
			uint32_t cap = g->cap_tuples ? g->cap_tuples * 2 : 4;
			struct tuple **a = realloc(g->tuples, cap * sizeof(*a));

			if (a == NULL)
				return -ENOMEM;
			g->tuples = a;
			g->cap_tuples = cap;
		}
		t = tuple_new(f);
		if (t == NULL)
			return -ENOMEM;
		i = g->n_tuples++;
		g->tuples[i] = t;
	}
	if (t->n >= 2 * (t->mask + 1))
		tuple_grow(t);
	f->tnext = t->buckets[f->hash & t->mask];
	t->buckets[f->hash & t->mask] = f;
	f->tup = t;
	t->n++;
	/* Keep the tuples sorted by the lowest priority number they hold. */
	if (f->priority < t->min_prio) {
		t->min_prio = f->priority;
		for (; i > 0 && g->tuples[i - 1]->min_prio > t->min_prio; i--) {
			g->tuples[i] = g->tuples[i - 1];
			g->tuples[i - 1] = t;
		}
	}
	return 0;
}

static void
index_remove(struct group *g, struct ft_sim_flow *f)
{
	struct tuple *t = f->tup;
	struct ft_sim_flow **pp;

	if (t == NULL)
		return;
	for (pp = &t->buckets[f->hash & t->mask]; *pp != NULL; pp = &(*pp)->tnext)
		if (*pp == f) {
			*pp = f->tnext;
			break;
		}
	f->tup = NULL;
	if (--t->n > 0)
		return;
	for (uint32_t i = 0; i < g->n_tuples; i++)
		if (g->tuples[i] == t) {
			memmove(&g->tuples[i], &g->tuples[i + 1],
			        (g->n_tuples - i - 1) * sizeof(t));
			g->n_tuples--;
			break;
		}
	tuple_free(t);
}

/* The packet's key for tuple 't', in 'key'; false when it lacks the layers. */
static bool
packet_key(const struct ft_sim *sim, const struct tuple *t, struct rx_state *st, uint8_t *key)
{
	const struct layers *ly = &st->ly;
	uint32_t k = 0, base = 0;

	if (t->n_items != 0 && !align(ly, t->first, t->items, t->n_items, &base))
		return false;
	for (uint32_t i = 0; i < t->n_chk; i++) {
		const struct chk *c = &t->chk[i];

		key[k++] = st->data[ly->off[base + c->item] + c->off] & c->mask;
	}
	for (uint32_t i = 0; i < t->n_fchk; i++) {
		uint32_t l = base + t->fchk[i].item, off = ly->off[l];
		uint32_t next = ly->proto[l] == P_ETH ? off + 12 : off + 2;

		key[k++] = is_vlan_type(rd16(st->data + next));
	}
	for (uint32_t i = 0; i < t->n_mchk; i++) {
		const struct mchk *c = &t->mchk[i];
		uint32_t v = reg_value(st, c);

		v &= c->mask;
		memcpy(key + k, &v, 4);
		k += 4;
	}
	for (uint32_t i = 0; i < t->n_ichk; i++) {
		const struct ichk *c = &t->ichk[i];

		if (st->integ[c->inner] < 0)
			st->integ[c->inner] = (int8_t)integrity_bits(sim, st, c->inner);
		key[k++] = (uint8_t)st->integ[c->inner] & c->mask;
	}
	return true;
}

/*
 * The rule of 'g' that wins for the packet: the lowest priority number,
 * then the first created. *tie says whether another rule of that priority
 * matched too.
 */
static const struct ft_sim_flow *
group_lookup(const struct ft_sim *sim, const struct group *g, struct rx_state *st, bool *tie)
{
	const struct ft_sim_flow *best = NULL;
	uint8_t key[KEY_MAX];

	*tie = false;
	if (sim->linear) {
		uint32_t i;

		for (i = 0; i < g->n && best == NULL; i++)
			if (match(sim, g->rules[i], st))
				best = g->rules[i];
		for (; best != NULL && i < g->n && g->rules[i]->priority == best->priority; i++)
			if (match(sim, g->rules[i], st)) {
				*tie = true;
				break;
			}
		return best;
	}
	for (uint32_t ti = 0; ti < g->n_tuples; ti++) {
		const struct tuple *t = g->tuples[ti];
		uint32_t h;

		if (best != NULL && t->min_prio > best->priority)
			break; /* nothing in this tuple or the next ones can win or tie */
		if (!packet_key(sim, t, st, key))
			continue;
		h = hash_key(key, t->key_len);
		for (const struct ft_sim_flow *f = t->buckets[h & t->mask]; f != NULL;
		     f = f->tnext) {
			if (f->hash != h || memcmp(f->key, key, t->key_len) != 0 ||
			    (f->n_rng != 0 && !match(sim, f, st)))
				continue;
			if (best == NULL || f->priority < best->priority) {
				best = f;
				*tie = false;
			} else if (f->priority == best->priority) {
				*tie = true;
				if (f->seq < best->seq)
					best = f;
			}
		}
	}
	return best;
}

/* --- Validation and translation ------------------------------------------ */

/* The protocol of a header item type, or -1. */
static int
item_proto(enum rte_flow_item_type type)
{
	for (int p = 0; p < P_COUNT; p++)
		if (hdr_descs[p].type == type)
			return p;
	return -1;
}

/* Whether header item 'p' may follow 'prev' (-1: first) in the parse graph. */
static bool
may_follow(int prev, int p, unsigned int vlans, bool inner)
{
	switch (prev) {
	case -1:
		return true;
	case P_ETH:
		return p == P_VLAN || p == P_IPV4 || p == P_IPV6;
	case P_VLAN:
		return (p == P_VLAN && vlans < 2) || p == P_IPV4 || p == P_IPV6;
	case P_IPV4:
	case P_IPV6:
		return p == P_UDP || p == P_TCP;
	case P_UDP:
		return p == P_VXLAN && !inner;
	case P_VXLAN:
		return p == P_ETH;
	default:
		return false;
	}
}

static bool
is_zero(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Adds the checks of header item number 'k' (spec/last/mask) to 'f'. */
static int
compile_header(struct ft_sim_flow *f, const struct rte_flow_item *item, int p, uint32_t k,
               struct rte_flow_error *error)
{
	const struct hdr_desc *hd = &hdr_descs[p];
	const uint8_t *spec = item->spec, *last = item->last;
	const uint8_t *mask = item->mask != NULL ? item->mask : hd->dflt_mask;
	uint32_t off = 0;

	if (spec == NULL)
		return 0;
	if (p == P_ETH) {
		const struct rte_flow_item_eth *s = item->spec, *m = (const void *)mask;

		if (m->has_vlan)
			f->fchk[f->n_fchk++] =
			        (struct fchk){.item = (uint8_t)k, .val = s->has_vlan};
	} else if (p == P_VLAN) {
		const struct rte_flow_item_vlan *s = item->spec, *m = (const void *)mask;

		if (m->has_more_vlan)
			f->fchk[f->n_fchk++] =
			        (struct fchk){.item = (uint8_t)k, .val = s->has_more_vlan};
	} else if (p == P_IPV6) {
		const struct rte_flow_item_ipv6 *m = (const void *)mask;

		if (m->has_hop_ext || m->has_route_ext || m->has_frag_ext || m->has_auth_ext ||
		    m->has_esp_ext || m->has_dest_ext || m->has_mobil_ext || m->has_hip_ext ||
		    m->has_shim6_ext)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK, item,
			                "IPv6 extension header flags are not supported");
	}

	for (uint32_t fi = 0; fi < hd->n_fields; off += hd->fields[fi++]) {
		uint32_t sz = hd->fields[fi];
		uint8_t lo[RANGE_BYTES], hi[RANGE_BYTES];
		bool range = false;

		for (uint32_t j = 0; j < sz; j++) {
			lo[j] = spec[off + j] & mask[off + j];
			hi[j] = last != NULL ? last[off + j] & mask[off + j] : lo[j];
			if (hi[j] != lo[j])
				range = true;
		}
		if (range) {
			struct rng *r = &f->rng[f->n_rng++];

			if (memcmp(lo, hi, sz) > 0)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_LAST, item,
				                "'last' is below 'spec'");
			r->item = (uint8_t)k;
			r->off = (uint8_t)off;
			r->size = (uint8_t)sz;
			memcpy(r->mask, mask + off, sz);
			memcpy(r->lo, lo, sz);
			memcpy(r->hi, hi, sz);
			continue;
		}
		for (uint32_t j = 0; j < sz; j++)
			if (mask[off + j])
				f->chk[f->n_chk++] = (struct chk){
				        .item = (uint8_t)k,
				        .off = (uint8_t)(off + j),
				        .mask = mask[off + j],
				        .val = lo[j],
				};
	}
	return 0;
}

static int
add_mchk(struct ft_sim_flow *f, const struct rte_flow_item *item, enum mkind kind, uint8_t index,
         uint32_t mask, uint32_t val, struct rte_flow_error *error)
{
	if (f->n_mchk == MCHK_MAX)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
		                "too many register and port items");
	f->mchk[f->n_mchk++] = (struct mchk){
	        .kind = (uint8_t)kind, .index = index, .mask = mask, .val = val & mask};
	return 0;
}

static int
compile_integrity(struct ft_sim_flow *f, const struct rte_flow_item *item,
                  struct rte_flow_error *error)
{
	const struct rte_flow_item_integrity *s = item->spec;
	const struct rte_flow_item_integrity *m =
	        item->mask != NULL ? item->mask : &rte_flow_item_integrity_mask;
	uint8_t mask = 0, val = 0;

	if (s == NULL)
		return 0;
	if (m->l2_crc_ok || m->l4_csum_ok || m->reserved)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK, item,
		                "integrity bit not supported (only packet_ok, l2_ok, l3_ok, l4_ok, "
		                "ipv4_csum_ok, l3_len_ok)");
	if (s->level > 2)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
		                "integrity level above 2 not supported");
	if (f->n_ichk == INTEG_MAX)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, item,
		                "too many integrity items");
#define IG(field, bit)                                                                             \
	do {                                                                                       \
		if (m->field) {                                                                    \
			mask |= bit;                                                               \
			if (s->field)                                                              \
				val |= bit;                                                        \
		}                                                                                  \
	} while (0)
	IG(packet_ok, IG_PACKET_OK);
	IG(l2_ok, IG_L2_OK);
	IG(l3_ok, IG_L3_OK);
	IG(l4_ok, IG_L4_OK);
	IG(ipv4_csum_ok, IG_IPV4_CSUM_OK);
	IG(l3_len_ok, IG_L3_LEN_OK);
#undef IG
	f->ichk[f->n_ichk++] = (struct ichk){.inner = s->level == 2, .mask = mask, .val = val};
	return 0;
}

static int
compile_pattern(struct ft_sim *sim, struct ft_sim_flow *f, const struct rte_flow_item pattern[],
                struct rte_flow_error *error)
{
	const struct ft_nic_profile *prof = sim->profile;
	const struct rte_flow_item *udp_item = NULL;
	unsigned int vlans = 0;
	bool inner = false;
	int prev = -1;
	uint32_t n;

	f->first = -1;
	for (n = 0; pattern[n].type != RTE_FLOW_ITEM_TYPE_END; n++)
		if (n == ITEMS_MAX)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, pattern,
			                "too many items");
	/* Room for the worst case: every header byte checked. */
	f->chk = calloc(n * IPV6_LEN + 1, sizeof(*f->chk));
	f->rng = calloc(n * 10 + 1, sizeof(*f->rng));
	if (f->chk == NULL || f->rng == NULL)
		return flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                "out of memory");

	for (const struct rte_flow_item *it = pattern; it->type != RTE_FLOW_ITEM_TYPE_END; it++) {
		int p, rc;

		if (it->type == RTE_FLOW_ITEM_TYPE_VOID)
			continue;
		if (!ft_nic_profile_has_item(prof, it->type))
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, it,
			                "item not supported by this NIC");
		if (it->spec == NULL && (it->mask != NULL || it->last != NULL))
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, it,
			                "'mask' or 'last' without 'spec'");
		p = item_proto(it->type);
		if (p >= 0) {
			if (!may_follow(prev, p, vlans, inner))
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM, it,
				                "item cannot follow the one before it");
			if (f->n_items == LAYERS_MAX)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, it,
				                "too many header items");
			if (p == P_VXLAN) {
				const struct rte_flow_item_vxlan *s = it->spec;
				const struct rte_flow_item_vxlan *m =
				        it->mask != NULL ? it->mask : &rte_flow_item_vxlan_mask;

				if (s != NULL && !is_zero(m->vni, 3) &&
				    (s->vni[0] & m->vni[0]) == 0 && (s->vni[1] & m->vni[1]) == 0 &&
				    (s->vni[2] & m->vni[2]) == 0)
					return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM,
					                it, "matching VNI 0 is not supported");
				if (prof->vxlan_port_4789_only && udp_item != NULL &&
				    udp_item->spec != NULL) {
					const struct rte_flow_item_udp *us = udp_item->spec;
					const struct rte_flow_item_udp *um =
					        udp_item->mask != NULL ? udp_item->mask
					                               : &rte_flow_item_udp_mask;
					const struct rte_flow_item_udp *ul = udp_item->last;

					if (um->hdr.dst_port != 0 &&
					    (um->hdr.dst_port != 0xffff ||
					     rd16((const uint8_t *)&us->hdr.dst_port) !=
					             VXLAN_PORT ||
					     (ul != NULL && ul->hdr.dst_port != us->hdr.dst_port)))
						return flow_err(error, ENOTSUP,
						                RTE_FLOW_ERROR_TYPE_ITEM, udp_item,
						                "VXLAN only behind UDP port 4789");
				}
				inner = true;
				f->vxlan_item = true;
			}
			vlans = p == P_VLAN ? vlans + 1 : 0;
			udp_item = p == P_UDP ? it : NULL;
			if (f->n_items == 0)
				f->first = (int8_t)p;
			f->items[f->n_items] = (uint8_t)p;
			rc = compile_header(f, it, p, f->n_items, error);
			if (rc < 0)
				return rc;
			f->n_items++;
			prev = p;
			continue;
		}
		if (it->last != NULL)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_LAST, it,
			                "ranges are supported on header items only");
		switch (it->type) {
		case RTE_FLOW_ITEM_TYPE_TAG: {
			const struct rte_flow_item_tag *s = it->spec;
			const struct rte_flow_item_tag *m =
			        it->mask != NULL ? it->mask : &rte_flow_item_tag_mask;

			if (s == NULL)
				break;
			if (m->index != 0xff)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM_MASK, it,
				                "TAG index must be masked 0xff");
			if (s->index >= prof->tags)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, it,
				                "TAG index out of range");
			rc = add_mchk(f, it, M_TAG, s->index, m->data, s->data, error);
			if (rc < 0)
				return rc;
			break;
		}
		case RTE_FLOW_ITEM_TYPE_META: {
			const struct rte_flow_item_meta *s = it->spec;
			const struct rte_flow_item_meta *m =
			        it->mask != NULL ? it->mask : &rte_flow_item_meta_mask;

			if (s != NULL &&
			    (rc = add_mchk(f, it, M_META, 0, m->data, s->data, error)) < 0)
				return rc;
			break;
		}
		case RTE_FLOW_ITEM_TYPE_MARK: {
			const struct rte_flow_item_mark *s = it->spec;
			const struct rte_flow_item_mark *m =
			        it->mask != NULL ? it->mask : &rte_flow_item_mark_mask;

			if (s != NULL && (rc = add_mchk(f, it, M_MARK, 0, m->id, s->id, error)) < 0)
				return rc;
			break;
		}
		case RTE_FLOW_ITEM_TYPE_PORT_ID: {
			const struct rte_flow_item_port_id *s = it->spec;
			const struct rte_flow_item_port_id *m =
			        it->mask != NULL ? it->mask : &rte_flow_item_port_id_mask;

			if (s != NULL && (rc = add_mchk(f, it, M_PORT, 0, m->id, s->id, error)) < 0)
				return rc;
			break;
		}
		case RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT:
		case RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR: {
			const struct rte_flow_item_ethdev *s = it->spec;
			const struct rte_flow_item_ethdev *m =
			        it->mask != NULL ? it->mask : &rte_flow_item_ethdev_mask;

			if (s != NULL &&
			    (rc = add_mchk(f, it, M_PORT, 0, m->port_id, s->port_id, error)) < 0)
				return rc;
			break;
		}
		case RTE_FLOW_ITEM_TYPE_INTEGRITY:
			rc = compile_integrity(f, it, error);
			if (rc < 0)
				return rc;
			break;
		default:
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ITEM, it,
			                "item not supported by the sim");
		}
	}
	return 0;
}

/* Whether the pattern describes a whole VXLAN tunnel from the outer Ethernet on. */
static bool
has_tunnel_pattern(const struct ft_sim_flow *f)
{
	return f->first == P_ETH && f->vxlan_item;
}

/*
 * Builds the header of a VXLAN_ENCAP definition or checks a RAW_ENCAP
 * buffer into f->encap, filling what is 0 with mlx5's defaults.
 */
static int
build_encap(struct ft_sim *sim, struct ft_sim_flow *f, const struct rte_flow_action *a,
            struct rte_flow_error *error)
{
	uint8_t buf[ETH_LEN + 2 * VLAN_LEN + IPV6_LEN + UDP_LEN + VXLAN_LEN];
	uint32_t size = 0, l3 = 0, l4 = 0, type_at = 12;
	bool ipv6 = false, raw = a->type == RTE_FLOW_ACTION_TYPE_RAW_ENCAP;
	static const char bad_def[] = "encap definition is not ETH [VLAN] IPV4|IPV6 UDP VXLAN";

	if (a->conf == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
		                "encap needs a conf");
	if (!raw) {
		const struct rte_flow_action_vxlan_encap *c = a->conf;
		const struct rte_flow_item *it = c->definition;
		int state = 0; /* 0 eth, 1 vlan or ip, 2 vlan or ip, 3 ip, 4 udp, 5 vxlan, 6 end */

		if (it == NULL)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
		for (uint32_t n = 0;; it++, n++) {
			int p = item_proto(it->type);
			uint32_t sz;

			if (n == ITEMS_MAX)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                bad_def);
			if (it->type == RTE_FLOW_ITEM_TYPE_VOID)
				continue;
			if (it->type == RTE_FLOW_ITEM_TYPE_END) {
				if (state != 6)
					return flow_err(error, EINVAL,
					                RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
					                bad_def);
				break;
			}
			if (p < 0 || it->spec == NULL)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                bad_def);
			if ((state == 0 && p != P_ETH) ||
			    ((state == 1 || state == 2) && p != P_VLAN && p != P_IPV4 &&
			     p != P_IPV6) ||
			    (state == 3 && p != P_IPV4 && p != P_IPV6) ||
			    (state == 4 && p != P_UDP) || (state == 5 && p != P_VXLAN) ||
			    state == 6)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                bad_def);
			sz = hdr_descs[p].size;
			memcpy(buf + size, it->spec, sz);
			if (p == P_VLAN || p == P_IPV4 || p == P_IPV6) {
				/* The EtherType before this header, when left 0. */
				if (rd16(buf + type_at) == 0)
					wr16(buf + type_at, p == P_VLAN   ? ETHERTYPE_VLAN
					                    : p == P_IPV4 ? ETHERTYPE_IPV4
					                                  : ETHERTYPE_IPV6);
			}
			if (p == P_ETH) {
				state = 1;
			} else if (p == P_VLAN) {
				state = state == 1 ? 2 : 3;
				type_at = size + 2;
			} else if (p == P_IPV4 || p == P_IPV6) {
				state = 4;
				l3 = size;
				ipv6 = p == P_IPV6;
			} else if (p == P_UDP) {
				state = 5;
				l4 = size;
			} else {
				state = 6;
			}
			size += sz;
		}
	} else {
		const struct rte_flow_action_raw_encap *c = a->conf;
		uint32_t type, off = ETH_LEN;

		if (c->data == NULL || c->size < ETH_LEN)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
		if (c->size > sim->profile->encap_max)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
			                "encapsulation header too long");
		if (c->size > sizeof(buf))
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
		memcpy(buf, c->data, c->size);
		size = (uint32_t)c->size;
		type = rd16(buf + 12);
		for (int t = 0; t < 2 && is_vlan_type(type) && off + VLAN_LEN <= size; t++) {
			type = rd16(buf + off + 2);
			off += VLAN_LEN;
		}
		l3 = off;
		ipv6 = type == ETHERTYPE_IPV6;
		if (type != ETHERTYPE_IPV4 && type != ETHERTYPE_IPV6)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
		l4 = l3 + (ipv6 ? IPV6_LEN : IPV4_LEN);
		if (l4 + UDP_LEN + VXLAN_LEN != size)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
	}
	if (size > sim->profile->encap_max)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
		                "encapsulation header too long");

	/* mlx5's defaults for what is 0 (flow_dv_convert_encap_data()). */
	uint8_t *ip = buf + l3, *udp = buf + l4, *vx = buf + l4 + UDP_LEN;

	if (!ipv6) {
		if (ip[0] == 0)
			ip[0] = 0x45;
		if (ip[0] != 0x45)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
			                "encap IPv4 header must be version 4, 20 bytes");
		if (ip[8] == 0)
			ip[8] = 64;
		if (ip[9] == 0)
			ip[9] = IPPROTO_N_UDP;
		if (ip[9] != IPPROTO_N_UDP)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
	} else {
		if ((ip[0] >> 4) == 0)
			ip[0] = (uint8_t)(0x60 | (ip[0] & 0x0f));
		if ((ip[0] >> 4) != 6)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
		if (ip[7] == 0)
			ip[7] = 64;
		if (ip[6] == 0)
			ip[6] = IPPROTO_N_UDP;
		if (ip[6] != IPPROTO_N_UDP)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a, bad_def);
	}
	if (rd16(udp + 2) == 0)
		wr16(udp + 2, VXLAN_PORT);
	if (vx[0] == 0)
		vx[0] = VXLAN_F_I;

	f->encap = malloc(sizeof(*f->encap) + size);
	if (f->encap == NULL)
		return flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                "out of memory");
	f->encap->size = (uint16_t)size;
	f->encap->l3 = (uint16_t)l3;
	f->encap->l4 = (uint16_t)l4;
	f->encap->ipv6 = ipv6;
	memcpy(f->encap->hdr, buf, size);
	return 0;
}

static bool
is_fate(enum rte_flow_action_type t)
{
	switch (t) {
	case RTE_FLOW_ACTION_TYPE_JUMP:
	case RTE_FLOW_ACTION_TYPE_DROP:
	case RTE_FLOW_ACTION_TYPE_QUEUE:
	case RTE_FLOW_ACTION_TYPE_RSS:
	case RTE_FLOW_ACTION_TYPE_PORT_ID:
	case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
	case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
		return true;
	default:
		return false;
	}
}

/* The actions allowed in group 0 of a group0_jump_only profile. */
static bool
root_allowed(enum rte_flow_action_type t)
{
	switch (t) {
	case RTE_FLOW_ACTION_TYPE_JUMP:
	case RTE_FLOW_ACTION_TYPE_MARK:
	case RTE_FLOW_ACTION_TYPE_FLAG:
	case RTE_FLOW_ACTION_TYPE_COUNT:
	case RTE_FLOW_ACTION_TYPE_SET_TAG:
	case RTE_FLOW_ACTION_TYPE_SET_META:
		return true;
	default:
		return false;
	}
}

#define NEED_CONF()                                                                                \
	do {                                                                                       \
		if (a->conf == NULL)                                                               \
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,         \
			                "action needs a conf");                                    \
	} while (0)

static int
compile_actions(struct ft_sim *sim, struct ft_sim_flow *f, const struct rte_flow_attr *attr,
                const struct rte_flow_action actions[], struct rte_flow_error *error)
{
	const struct ft_nic_profile *prof = sim->profile;
	uint32_t n, n_fate = 0, n_decap = 0, n_encap = 0;
	int stage_prev = 0;

	for (n = 0; actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++)
		if (n == ITEMS_MAX)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, actions,
			                "too many actions");
	f->acts = calloc(n + 1, sizeof(*f->acts));
	if (f->acts == NULL)
		return flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                "out of memory");

	for (const struct rte_flow_action *a = actions; a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
		struct act *x = &f->acts[f->n_acts];
		int stage, rc;

		if (a->type == RTE_FLOW_ACTION_TYPE_VOID)
			continue;
		stage = ft_nic_profile_action_stage(prof, a->type);
		if (stage < 0)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
			                "action not supported by this NIC");
		if (stage < stage_prev)
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
			                "action out of the NIC's stage order");
		stage_prev = stage;
		if (attr->group == 0 && prof->group0_jump_only && !root_allowed(a->type))
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
			                "group 0 rules may only jump (with metadata actions)");
		if (is_fate(a->type) && ++n_fate > 1)
			return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
			                "more than one fate action");
		x->type = a->type;
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_MARK: {
			const struct rte_flow_action_mark *c = a->conf;

			NEED_CONF();
			if (c->id > prof->mark_max)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "MARK id above the NIC's largest");
			x->u32 = c->id;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_FLAG:
			break;
		case RTE_FLOW_ACTION_TYPE_COUNT:
			if (attr->group == 0 && !prof->group0_count)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
				                "COUNT not supported in group 0");
			f->has_count = true;
			break;
		case RTE_FLOW_ACTION_TYPE_SET_TAG: {
			const struct rte_flow_action_set_tag *c = a->conf;

			NEED_CONF();
			if (c->index >= prof->tags)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "TAG index out of range");
			x->reg.data = c->data;
			x->reg.mask = c->mask;
			x->reg.index = c->index;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_SET_META: {
			const struct rte_flow_action_set_meta *c = a->conf;

			NEED_CONF();
			x->reg.data = c->data;
			x->reg.mask = c->mask;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP:
		case RTE_FLOW_ACTION_TYPE_RAW_DECAP:
			if (++n_decap > 1)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
				                "one decap per rule");
			if (!has_tunnel_pattern(f))
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION, a,
				                "decap needs a pattern of the whole tunnel "
				                "(eth, ipv4|ipv6, udp, vxlan)");
			f->modifies = true;
			break;
		case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP:
		case RTE_FLOW_ACTION_TYPE_RAW_ENCAP:
			if (++n_encap > 1)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
				                "one encap per rule");
			rc = build_encap(sim, f, a, error);
			if (rc < 0)
				return rc;
			f->modifies = true;
			break;
		case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
		case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: {
			const struct rte_flow_action_set_mac *c = a->conf;

			NEED_CONF();
			memcpy(x->mac, c->mac_addr, 6);
			f->modifies = true;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
			f->modifies = true;
			break;
		case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: {
			const struct rte_flow_action_of_push_vlan *c = a->conf;

			NEED_CONF();
			x->u16 = (uint16_t)rd16((const uint8_t *)&c->ethertype);
			if (!is_vlan_type(x->u16))
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "VLAN ethertype must be 0x8100 or 0x88a8");
			f->modifies = true;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: {
			const struct rte_flow_action_of_set_vlan_vid *c = a->conf;

			NEED_CONF();
			x->u16 = (uint16_t)rd16((const uint8_t *)&c->vlan_vid);
			if (x->u16 > 0xfff)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "VLAN id above 4095");
			f->modifies = true;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP: {
			const struct rte_flow_action_of_set_vlan_pcp *c = a->conf;

			NEED_CONF();
			if (c->vlan_pcp > 7)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "VLAN priority above 7");
			x->u8 = c->vlan_pcp;
			f->modifies = true;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_JUMP: {
			const struct rte_flow_action_jump *c = a->conf;

			NEED_CONF();
			if (c->group <= attr->group)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "JUMP only to a larger group");
			if (c->group >= prof->groups)
				return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "JUMP group out of range");
			x->u32 = c->group;
			f->jumps = true;
			f->jump_group = c->group;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_DROP:
			break;
		case RTE_FLOW_ACTION_TYPE_QUEUE: {
			const struct rte_flow_action_queue *c = a->conf;

			NEED_CONF();
			x->u16 = c->index;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_RSS: {
			const struct rte_flow_action_rss *c = a->conf;

			NEED_CONF();
			if (c->queue_num == 0 || c->queue == NULL)
				return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_CONF, a,
				                "RSS needs queues");
			x->u16 = c->queue[0];
			break;
		}
		case RTE_FLOW_ACTION_TYPE_PORT_ID: {
			const struct rte_flow_action_port_id *c = a->conf;

			NEED_CONF();
			x->u32 = c->id;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
		case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR: {
			const struct rte_flow_action_ethdev *c = a->conf;

			NEED_CONF();
			x->u32 = c->port_id;
			break;
		}
		default:
			return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, a,
			                "action not supported by the sim");
		}
		f->n_acts++;
	}
	if (n_fate == 0)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, actions,
		                "no fate action");
	if (attr->group == 0 && prof->group0_jump_only && !f->jumps)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, actions,
		                "group 0 rules may only jump");
	return 0;
}

static int
check_attr(const struct ft_sim *sim, const struct rte_flow_attr *attr, struct rte_flow_error *error)
{
	const struct ft_nic_profile *prof = sim->profile;
	unsigned int dirs = attr->ingress + attr->egress + attr->transfer;

	if (attr->reserved)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, attr,
		                "reserved attribute bits set");
	if (dirs != 1)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, attr,
		                "exactly one of ingress, egress, transfer");
	if (attr->egress)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_EGRESS, attr,
		                "egress rules are not supported");
	if (attr->ingress && prof->domain != FT_NIC_DOMAIN_INGRESS)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_INGRESS, attr,
		                "this NIC takes transfer rules");
	if (attr->transfer && prof->domain != FT_NIC_DOMAIN_TRANSFER)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_TRANSFER, attr,
		                "this NIC takes ingress rules");
	if (attr->group >= prof->groups)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_GROUP, attr,
		                "group out of range");
	if (attr->priority >= (attr->group == 0 ? prof->priorities_root : prof->priorities))
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY, attr,
		                "priority out of range");
	return 0;
}

/* --- Overlap (strict mode) ------------------------------------------------ */

/* Whether no packet can match both 'a' and 'b' (false when unsure). */
/* The byte of 'f's item 'item' at 'off' that the rule fixes entirely, or -1. */
static int
fixed_byte(const struct ft_sim_flow *f, uint32_t item, uint32_t off)
{
	for (uint32_t i = 0; i < f->n_chk; i++)
		if (f->chk[i].item == item && f->chk[i].off == off && f->chk[i].mask == 0xff)
			return f->chk[i].val;
	return -1;
}

/*
 * Whether 'shorter', whose n header items equal the first n of 'longer',
 * excludes longer's next layer through the field that announces it: the
 * EtherType of its last ETH or VLAN, or its IP protocol.
 */
static bool
next_excluded(const struct ft_sim_flow *shorter, const struct ft_sim_flow *longer, uint32_t n)
{
	uint32_t want, off, bytes, last = n - 1;
	uint32_t have = 0;

	switch (longer->items[n]) {
	case P_VLAN: want = 0; break; /* 0x8100 or 0x88a8: below */
	case P_IPV4: want = 0x0800; break;
	case P_IPV6: want = 0x86dd; break;
	case P_UDP: want = 17; break;
	case P_TCP: want = 6; break;
	default: return false;
	}
	switch (shorter->items[last]) {
	case P_ETH: off = 12; bytes = 2; break;
	case P_VLAN: off = 2; bytes = 2; break;
	case P_IPV4: off = 9; bytes = 1; break;
	case P_IPV6: off = 6; bytes = 1; break;
	default: return false;
	}
	if ((bytes == 2) != (longer->items[n] == P_VLAN || longer->items[n] == P_IPV4 ||
			     longer->items[n] == P_IPV6))
		return false;
	for (uint32_t k = 0; k < bytes; k++) {
		int v = fixed_byte(shorter, last, off + k);

		if (v < 0)
			return false;
		have = have << 8 | (uint32_t)v;
	}
	if (longer->items[n] == P_VLAN)
		return have != 0x8100 && have != 0x88a8;
	return have != want;
}

static bool
disjoint(const struct ft_sim_flow *a, const struct ft_sim_flow *b)
{
	for (uint32_t i = 0; i < a->n_mchk; i++)
		for (uint32_t j = 0; j < b->n_mchk; j++) {
			const struct mchk *x = &a->mchk[i], *y = &b->mchk[j];

			if (x->kind == y->kind && x->index == y->index &&
			    ((x->val ^ y->val) & x->mask & y->mask) != 0)
				return true;
		}
	for (uint32_t i = 0; i < a->n_ichk; i++)
		for (uint32_t j = 0; j < b->n_ichk; j++) {
			const struct ichk *x = &a->ichk[i], *y = &b->ichk[j];

			if (x->inner == y->inner && ((x->val ^ y->val) & x->mask & y->mask) != 0)
				return true;
		}
	/* Header items line up only when both patterns start at the same layer. */
	if (a->n_items == 0 || b->n_items == 0 || a->first != b->first)
		return false;
	uint32_t n = a->n_items < b->n_items ? a->n_items : b->n_items;

	for (uint32_t k = 0; k < n; k++)
		if (a->items[k] != b->items[k])
			return true;
	if (a->n_items != b->n_items &&
	    next_excluded(a->n_items < b->n_items ? a : b, a->n_items < b->n_items ? b : a, n))
		return true;
	for (uint32_t i = 0; i < a->n_chk; i++)
		for (uint32_t j = 0; j < b->n_chk; j++) {
			const struct chk *x = &a->chk[i], *y = &b->chk[j];

			if (x->item == y->item && x->off == y->off &&
			    ((x->val ^ y->val) & x->mask & y->mask) != 0)
				return true;
		}
	for (uint32_t i = 0; i < a->n_fchk; i++)
		for (uint32_t j = 0; j < b->n_fchk; j++)
			if (a->fchk[i].item == b->fchk[j].item && a->fchk[i].val != b->fchk[j].val)
				return true;
	return false;
}

/* --- Rules ---------------------------------------------------------------- */

static void
flow_free(struct ft_sim_flow *f)
{
	if (f == NULL)
		return;
	free(f->chk);
	free(f->rng);
	free(f->acts);
	free(f->encap);
	free(f->sig);
	free(f->key);
	free(f);
}

/*
 * Validates and translates a rule (the sim's validate and translate stages).
 * On success *out is the compiled rule, not yet in any group.
 */
static int
compile(struct ft_sim *sim, uint16_t port_id, const struct rte_flow_attr *attr,
        const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
        struct rte_flow_error *error, struct ft_sim_flow **out)
{
	struct ft_sim_flow *f;
	struct group *g;
	int rc;

	*out = NULL;
	if (sim == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL, "no sim");
	if (attr == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ATTR, NULL, "no attributes");
	if (pattern == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ITEM_NUM, NULL, "no pattern");
	if (actions == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_ACTION_NUM, NULL, "no actions");
	rc = check_attr(sim, attr, error);
	if (rc < 0)
		return rc;
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		                "out of memory");
	f->sim = sim;
	f->port = port_id;
	f->group = attr->group;
	f->priority = attr->priority;
	rc = compile_pattern(sim, f, pattern, error);
	if (rc == 0)
		rc = compile_actions(sim, f, attr, actions, error);
	if (rc == 0 && flow_index_prepare(f) < 0)
		rc = flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
		              "out of memory");
	if (rc == 0 && sim->refuse_one_in != 0) {
		/* xorshift64: a NIC whose tables filled up behind the profile's back */
		sim->refuse_state ^= sim->refuse_state << 13;
		sim->refuse_state ^= sim->refuse_state >> 7;
		sim->refuse_state ^= sim->refuse_state << 17;
		if (sim->refuse_state % sim->refuse_one_in == 0)
			rc = flow_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL,
			              "no room (failure injected)");
	}
	if (rc == 0 && sim->n_rules >= sim->rules_max)
		rc = flow_err(error, ENOSPC, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL, "no room");
	if (rc == 0 && sim->strict &&
	    (g = group_find(sim, flow_key(sim, port_id), attr->group)) != NULL) {
		for (uint32_t i = prio_bound(g, attr->priority, true);
		     i < g->n && g->rules[i]->priority == attr->priority; i++)
			if (!disjoint(f, g->rules[i])) {
				rc = flow_err(error, EEXIST, RTE_FLOW_ERROR_TYPE_ATTR_PRIORITY,
				              attr, "overlaps a rule of equal priority");
				break;
			}
	}
	if (rc < 0) {
		flow_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

int
ft_sim_flow_validate(struct ft_sim *sim, uint16_t port_id, const struct rte_flow_attr *attr,
                     const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
                     struct rte_flow_error *error)
{
	struct ft_sim_flow *f;
	int rc = compile(sim, port_id, attr, pattern, actions, error, &f);

	flow_free(f);
	return rc;
}

struct ft_sim_flow *
ft_sim_flow_create(struct ft_sim *sim, uint16_t port_id, const struct rte_flow_attr *attr,
                   const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
                   struct rte_flow_error *error)
{
	struct ft_sim_flow *f;
	struct group *g;
	uint32_t i;

	if (compile(sim, port_id, attr, pattern, actions, error, &f) < 0)
		return NULL;
	g = group_get(sim, flow_key(sim, port_id), attr->group);
	if (g != NULL && g->n == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 8;
		struct ft_sim_flow **a = realloc(g->rules, cap * sizeof(*a));

		if (a == NULL) {
			g = NULL;
		} else {
			g->rules = a;
			g->cap = cap;
		}
	}
	if (g != NULL && sim->n_free == 0 && sim->n_slots == sim->cap_free) {
		uint32_t cap = sim->cap_free ? sim->cap_free * 2 : 64;
		uint32_t *a = realloc(sim->free_slots, cap * sizeof(*a));

		if (a == NULL) {
			g = NULL;
		} else {
			sim->free_slots = a;
			sim->cap_free = cap;
		}
	}
	if (g == NULL || index_add(g, f) < 0) {
		flow_free(f);
		flow_err(error, ENOMEM, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL, "out of memory");
		return NULL;
	}
	i = prio_bound(g, f->priority, false);
	memmove(&g->rules[i + 1], &g->rules[i], (g->n - i) * sizeof(f));
	g->rules[i] = f;
	g->n++;
	f->grp = g;
	f->seq = sim->seq++;
	f->slot = sim->n_free > 0 ? sim->free_slots[--sim->n_free] : sim->n_slots++;
	f->next = sim->flows;
	if (sim->flows != NULL)
		sim->flows->prev = f;
	sim->flows = f;
	sim->n_rules++;
	return f;
}

/* Unlinks 'f' from its group and the sim's list and frees it. */
static void
flow_remove(struct ft_sim *sim, struct ft_sim_flow *f)
{
	struct group *g = f->grp;

	index_remove(g, f);
	for (uint32_t i = prio_bound(g, f->priority, true); i < g->n; i++)
		if (g->rules[i] == f) {
			memmove(&g->rules[i], &g->rules[i + 1], (g->n - i - 1) * sizeof(f));
			g->n--;
			break;
		}
	if (f->prev != NULL)
		f->prev->next = f->next;
	else
		sim->flows = f->next;
	if (f->next != NULL)
		f->next->prev = f->prev;
	sim->n_rules--;
	sim->free_slots[sim->n_free++] = f->slot; /* room was made when it was taken */
	flow_free(f);
}

int
ft_sim_flow_destroy(struct ft_sim *sim, struct ft_sim_flow *flow, struct rte_flow_error *error)
{
	if (sim == NULL || flow == NULL || flow->sim != sim)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
		                "not a rule of this sim");
	flow_remove(sim, flow);
	return 0;
}

int
ft_sim_flow_flush(struct ft_sim *sim, uint16_t port_id, struct rte_flow_error *error)
{
	struct ft_sim_flow *f, *next;

	if (sim == NULL)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_UNSPECIFIED, NULL, "no sim");
	for (f = sim->flows; f != NULL; f = next) {
		next = f->next;
		if (f->port == port_id)
			flow_remove(sim, f);
	}
	return 0;
}

int
ft_sim_flow_query_count(struct ft_sim *sim, struct ft_sim_flow *flow, bool reset, uint64_t *hits,
                        uint64_t *bytes, struct rte_flow_error *error)
{
	if (sim == NULL || flow == NULL || flow->sim != sim)
		return flow_err(error, EINVAL, RTE_FLOW_ERROR_TYPE_HANDLE, flow,
		                "not a rule of this sim");
	if (!flow->has_count)
		return flow_err(error, ENOTSUP, RTE_FLOW_ERROR_TYPE_ACTION, NULL,
		                "rule has no COUNT action");
	if (hits != NULL)
		*hits = flow->hits;
	if (bytes != NULL)
		*bytes = flow->bytes;
	if (reset)
		flow->hits = flow->bytes = 0;
	return 0;
}

uint32_t
ft_sim_flow_count(const struct ft_sim *sim)
{
	return sim != NULL ? sim->n_rules : 0;
}

uint32_t
ft_sim_flow_slot(const struct ft_sim_flow *flow)
{
	return flow->slot;
}

uint32_t
ft_sim_slots(const struct ft_sim *sim)
{
	return sim != NULL ? sim->n_slots : 0;
}

/* --- The sim -------------------------------------------------------------- */

struct ft_sim *
ft_sim_create(const struct ft_nic_profile *profile, const struct ft_sim_params *params,
              struct ft_error *err)
{
	static const struct ft_sim_params dflt;
	struct ft_sim *sim;

	if (params == NULL)
		params = &dflt;
	if (profile == NULL) {
		ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, "sim", "no profile");
		return NULL;
	}
	if (profile->tags > FT_SIM_TAGS_MAX) {
		ft_error_set(err, -ENOTSUP, FT_ERR_RESOURCE, UINT32_MAX, profile->name,
		             "profile has more TAG registers than the sim (%u)", FT_SIM_TAGS_MAX);
		return NULL;
	}
	if (params->n_vxlan_ports > FT_PARSE_VXLAN_PORTS_MAX ||
	    (params->n_vxlan_ports > 0 && params->vxlan_ports == NULL)) {
		ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, "sim",
		             "bad VXLAN port list (at most %u ports)", FT_PARSE_VXLAN_PORTS_MAX);
		return NULL;
	}
	for (uint32_t i = 0; i < params->n_vxlan_ports; i++)
		if (params->vxlan_ports[i] == 0) {
			ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, i, "sim", "VXLAN port 0");
			return NULL;
		}
	sim = calloc(1, sizeof(*sim));
	if (sim == NULL) {
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "sim", "out of memory");
		return NULL;
	}
	sim->profile = profile;
	sim->strict = params->strict;
	sim->refuse_one_in = params->refuse_one_in;
	sim->refuse_state = params->refuse_seed | 1;
	sim->linear = params->linear;
	sim->transfer = profile->domain == FT_NIC_DOMAIN_TRANSFER;
	sim->rules_max = params->rules_max ? params->rules_max : profile->rules_max;
	sim->encap_udp_src = params->encap_udp_src;
	sim->encap_udp_src_arg = params->encap_udp_src_arg;

	ft_parse_cfg_default(&sim->parse_cfg);
	if (params->n_vxlan_ports > 0) {
		for (uint32_t i = 0; i < params->n_vxlan_ports; i++)
			sim->parse_cfg.vxlan_ports[i] = params->vxlan_ports[i];
		sim->parse_cfg.n_vxlan_ports = (uint8_t)params->n_vxlan_ports;
	}
	if (profile->vxlan_port_4789_only) {
		sim->nic_ports[0] = VXLAN_PORT;
		sim->n_nic_ports = 1;
	} else {
		for (uint32_t i = 0; i < sim->parse_cfg.n_vxlan_ports; i++)
			sim->nic_ports[i] = sim->parse_cfg.vxlan_ports[i];
		sim->n_nic_ports = sim->parse_cfg.n_vxlan_ports;
	}
	ft_error_clear(err);
	return sim;
}

void
ft_sim_destroy(struct ft_sim *sim)
{
	struct ft_sim_flow *f, *next;

	if (sim == NULL)
		return;
	for (f = sim->flows; f != NULL; f = next) {
		next = f->next;
		flow_free(f);
	}
	for (uint32_t i = 0; i < sim->n_groups; i++) {
		for (uint32_t t = 0; t < sim->groups[i]->n_tuples; t++)
			tuple_free(sim->groups[i]->tuples[t]);
		free(sim->groups[i]->tuples);
		free(sim->groups[i]->rules);
		free(sim->groups[i]);
	}
	free(sim->groups);
	free(sim->free_slots);
	free(sim);
}

const struct ft_nic_profile *
ft_sim_profile(const struct ft_sim *sim)
{
	return sim->profile;
}

/* --- The packet path ------------------------------------------------------ */

/*
 * 'delta' bytes were inserted (> 0) or removed (< 0) at offset 'at' of the
 * packet: the UDP source port the NIC computed moves with the bytes after
 * them, or is gone with the bytes removed.
 */
static void
sport_move(struct ft_sim_result *res, uint32_t at, int32_t delta)
{
	uint32_t off = res->encap_udp_src_off;

	if (off == 0 || off < at)
		return;
	if (delta < 0 && off < at - delta)
		res->encap_udp_src_off = 0;
	else
		res->encap_udp_src_off = (uint16_t)(off + delta);
}

/* Removes the outer headers through VXLAN. */
static void
do_decap(const struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res)
{
	struct layers ly;
	uint32_t cut;

	nic_parse(sim, ft_pkt_data(pkt), pkt->len, &ly);
	if (ly.first[P_VXLAN] < 0)
		return; /* cannot happen after the pattern matched: nothing to remove */
	cut = ly.off[ly.first[P_VXLAN]] + VXLAN_LEN;
	pkt->data_off = (uint16_t)(pkt->data_off + cut);
	pkt->len = (uint16_t)(pkt->len - cut);
	sport_move(res, 0, -(int32_t)cut);
}

/*
 * Prepends the rule's encapsulation header; false (and res->drop) when it
 * cannot. res->encap_udp_src_off: the port it computes, else moved on.
 */
static bool
do_encap(const struct ft_sim *sim, const struct encap *e, struct ft_pkt *pkt,
         struct ft_sim_result *res)
{
	uint8_t *inner = ft_pkt_data(pkt), *h;
	uint32_t inner_len = pkt->len, total;
	uint16_t sport = 0;

	if (pkt->data_off < e->size) {
		res->drop = FT_DROP_NO_HEADROOM;
		return false;
	}
	if (inner_len + e->size > UINT16_MAX) {
		res->drop = FT_DROP_TOO_BIG;
		return false;
	}
	sport_move(res, 0, e->size);
	if (rd16(e->hdr + e->l4) == 0 && sim->encap_udp_src != NULL) {
		sport = sim->encap_udp_src(sim->encap_udp_src_arg, inner, inner_len);
		res->encap_udp_src_off = e->l4;
	}
	h = inner - e->size;
	memcpy(h, e->hdr, e->size);
	total = e->size + inner_len;
	if (e->ipv6) {
		wr16(h + e->l3 + 4, total - e->l3 - IPV6_LEN);
	} else {
		wr16(h + e->l3 + 2, total - e->l3);
		wr16(h + e->l3 + 10, 0);
		wr16(h + e->l3 + 10, csum16(h + e->l3, IPV4_LEN));
	}
	if (sport != 0)
		wr16(h + e->l4, sport);
	wr16(h + e->l4 + 4, total - e->l4);
	wr16(h + e->l4 + 6, 0);
	pkt->data_off = (uint16_t)(pkt->data_off - e->size);
	pkt->len = (uint16_t)total;
	return true;
}

/* The outermost VLAN tag's TCI, or NULL when the packet has none. */
static uint8_t *
outer_tci(struct ft_pkt *pkt)
{
	uint8_t *d = ft_pkt_data(pkt);

	if (pkt->len < ETH_LEN + VLAN_LEN || !is_vlan_type(rd16(d + 12)))
		return NULL;
	return d + ETH_LEN;
}

static bool
do_push_vlan(struct ft_pkt *pkt, uint16_t tpid, struct ft_sim_result *res)
{
	uint8_t *d = ft_pkt_data(pkt), *tci = outer_tci(pkt);
	uint32_t copy = tci != NULL ? rd16(tci) : 0;

	if (pkt->len < ETH_LEN)
		return true; /* no Ethernet header: nothing to tag */
	if (pkt->data_off < VLAN_LEN) {
		res->drop = FT_DROP_NO_HEADROOM;
		return false;
	}
	if (pkt->len + VLAN_LEN > UINT16_MAX) {
		res->drop = FT_DROP_TOO_BIG;
		return false;
	}
	memmove(d - VLAN_LEN, d, 12);
	d -= VLAN_LEN;
	wr16(d + 12, tpid);
	wr16(d + 14, copy);
	pkt->data_off = (uint16_t)(pkt->data_off - VLAN_LEN);
	pkt->len = (uint16_t)(pkt->len + VLAN_LEN);
	sport_move(res, 12, VLAN_LEN);
	return true;
}

static void
finish(struct ft_pkt *pkt, struct ft_sim_result *res, const struct rx_state *st)
{
	res->meta = st->meta;
	if (res->fate == FT_SIM_DROP)
		res->encap_udp_src_off = 0; /* it does not leave */
	if (res->fate == FT_SIM_QUEUE || res->fate == FT_SIM_REPRESENTOR) {
		if (st->mark_set) {
			pkt->flags |= FT_PKT_F_MARK;
			pkt->mark = st->mark;
		}
		if (st->flag)
			pkt->flags |= FT_PKT_F_FLAG;
	}
}

/*
 * Runs the actions of 'f'. Returns true when the walk continues in
 * f->jump_group, false when 'res' holds the packet's fate.
 */
static bool
run_actions(const struct ft_sim *sim, const struct ft_sim_flow *f, struct ft_pkt *pkt,
            struct rx_state *st, struct ft_sim_result *res)
{
	bool jump = false;

	for (uint32_t i = 0; i < f->n_acts; i++) {
		const struct act *x = &f->acts[i];
		uint8_t *tci;

		switch (x->type) {
		case RTE_FLOW_ACTION_TYPE_MARK:
			st->mark = x->u32;
			st->mark_set = true;
			break;
		case RTE_FLOW_ACTION_TYPE_FLAG:
			st->flag = true;
			break;
		case RTE_FLOW_ACTION_TYPE_SET_TAG:
			st->tag[x->reg.index] = (st->tag[x->reg.index] & ~x->reg.mask) |
			                        (x->reg.data & x->reg.mask);
			break;
		case RTE_FLOW_ACTION_TYPE_SET_META:
			st->meta = (st->meta & ~x->reg.mask) | (x->reg.data & x->reg.mask);
			break;
		case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP:
		case RTE_FLOW_ACTION_TYPE_RAW_DECAP:
			do_decap(sim, pkt, res);
			break;
		case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP:
		case RTE_FLOW_ACTION_TYPE_RAW_ENCAP:
			if (!do_encap(sim, f->encap, pkt, res)) {
				res->fate = FT_SIM_DROP;
				return false;
			}
			break;
		case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
		case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
			if (pkt->len >= ETH_LEN)
				memcpy(ft_pkt_data(pkt) +
				               (x->type == RTE_FLOW_ACTION_TYPE_SET_MAC_SRC ? 6
				                                                            : 0),
				       x->mac, 6);
			break;
		case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN: {
			uint8_t *d = ft_pkt_data(pkt);

			if (outer_tci(pkt) != NULL) {
				memmove(d + VLAN_LEN, d, 12);
				pkt->data_off = (uint16_t)(pkt->data_off + VLAN_LEN);
				pkt->len = (uint16_t)(pkt->len - VLAN_LEN);
				sport_move(res, 12, -VLAN_LEN);
			}
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
			if (!do_push_vlan(pkt, x->u16, res)) {
				res->fate = FT_SIM_DROP;
				return false;
			}
			break;
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
			if ((tci = outer_tci(pkt)) != NULL)
				wr16(tci, (rd16(tci) & 0xf000) | x->u16);
			break;
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
			if ((tci = outer_tci(pkt)) != NULL)
				wr16(tci, (rd16(tci) & 0x1fff) | (uint32_t)x->u8 << 13);
			break;
		case RTE_FLOW_ACTION_TYPE_JUMP:
			jump = true;
			break;
		case RTE_FLOW_ACTION_TYPE_DROP:
			res->fate = FT_SIM_DROP;
			res->drop = FT_DROP_ACTION;
			break;
		case RTE_FLOW_ACTION_TYPE_QUEUE:
		case RTE_FLOW_ACTION_TYPE_RSS:
			res->fate = FT_SIM_QUEUE;
			res->queue = x->u16;
			break;
		case RTE_FLOW_ACTION_TYPE_PORT_ID:
		case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
			res->fate = FT_SIM_PORT;
			res->port = x->u32;
			break;
		case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
			res->fate = FT_SIM_REPRESENTOR;
			res->port = x->u32;
			break;
		default: /* COUNT: counted on the match */
			break;
		}
	}
	return jump;
}

/* ft_sim_rx(), counting in the rules ('lane' false) or in ctr[slot]. */
static int
rx(const struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res, bool lane,
   struct ft_sim_counter *ctr, uint32_t n_ctr)
{
	struct rx_state st;
	uint32_t group = 0, key;

	if (sim == NULL || pkt == NULL || res == NULL || pkt->buf == NULL || pkt->nb_segs != 1 ||
	    (uint32_t)pkt->data_off + pkt->len > pkt->buf_len)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	memset(&st, 0, sizeof(st));
	pkt->flags &= (uint16_t) ~(FT_PKT_F_MARK | FT_PKT_F_FLAG);
	pkt->mark = 0;
	st.in_port = pkt->in_port;
	key = sim->transfer ? 0 : pkt->in_port;

	for (;;) {
		const struct group *g = group_find(sim, key, group);
		const struct ft_sim_flow *hit = NULL;
		bool tie = false;

		res->group = group;
		if (!st.parsed) {
			st.data = ft_pkt_data(pkt);
			st.len = pkt->len;
			nic_parse(sim, st.data, st.len, &st.ly);
			st.integ[0] = st.integ[1] = -1;
			st.parsed = true;
		}
		if (g != NULL)
			hit = group_lookup(sim, g, &st, &tie);
		if (hit == NULL) {
			res->miss = true;
			res->fate = FT_SIM_QUEUE;
			res->queue = 0;
			if (group != 0)
				res->undefined = true;
			break;
		}
		if (tie)
			res->undefined = true;
		if (res->n_hits < FT_SIM_HITS_MAX)
			res->hits[res->n_hits++] = (struct ft_sim_flow *)hit;
		if (hit->has_count && !lane) {
			((struct ft_sim_flow *)hit)->hits++;
			((struct ft_sim_flow *)hit)->bytes += pkt->len;
		} else if (hit->has_count && hit->slot < n_ctr) {
			struct ft_sim_counter *c = &ctr[hit->slot];

			/* One writer, the caller's thread; their owner may read them meanwhile:
			 * bytes first, so that whoever sees a hit sees its bytes (sim.h). */
			__atomic_store_n(&c->bytes, c->bytes + pkt->len, __ATOMIC_RELAXED);
			__atomic_store_n(&c->hits, c->hits + 1, __ATOMIC_RELEASE);
		}
		if (hit->modifies)
			st.parsed = false;
		if (!run_actions(sim, hit, pkt, &st, res))
			break;
		group = hit->jump_group;
	}
	finish(pkt, res, &st);
	return 0;
}

int
ft_sim_rx(struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res)
{
	return rx(sim, pkt, res, false, NULL, 0);
}

int
ft_sim_rx_count(const struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res,
                struct ft_sim_counter *ctr, uint32_t n_ctr)
{
	if (ctr == NULL && n_ctr > 0)
		return -EINVAL;
	return rx(sim, pkt, res, true, ctr, n_ctr);
}

/* --- Checks --------------------------------------------------------------- */

static bool
is_catch_all(const struct ft_sim_flow *f)
{
	return f->n_items == 0 && f->n_mchk == 0 && f->n_ichk == 0;
}

int
ft_sim_check(const struct ft_sim *sim, char *report, size_t size)
{
	size_t used = 0;
	int problems = 0;

	if (report != NULL && size > 0)
		report[0] = '\0';
	for (uint32_t gi = 0; gi < sim->n_groups; gi++) {
		const struct group *g = sim->groups[gi];
		bool target = false, catch_all = false;

		for (const struct ft_sim_flow *f = sim->flows; f != NULL && !target; f = f->next)
			target = f->jumps && f->jump_group == g->group &&
			         flow_key(sim, f->port) == g->key;
		if (!target)
			continue;
		for (uint32_t i = 0; i < g->n && !catch_all; i++)
			catch_all = is_catch_all(g->rules[i]);
		if (catch_all)
			continue;
		problems++;
		if (report != NULL && used + 1 < size) {
			int w = sim->transfer
			                ? snprintf(report + used, size - used,
			                           "group %u: jumped to, no catch-all rule\n",
			                           g->group)
			                : snprintf(report + used, size - used,
			                           "port %u group %u: jumped to, no catch-all "
			                           "rule\n",
			                           g->key, g->group);
			if (w > 0)
				used += (size_t)w < size - used ? (size_t)w : size - used - 1;
		}
	}
	/* Targets that have no group at all (no rule was ever created in them). */
	for (const struct ft_sim_flow *f = sim->flows; f != NULL; f = f->next) {
		uint32_t key = flow_key(sim, f->port);
		bool seen = false;

		if (!f->jumps || group_find(sim, key, f->jump_group) != NULL)
			continue;
		for (const struct ft_sim_flow *e = sim->flows; e != f && !seen; e = e->next)
			seen = e->jumps && e->jump_group == f->jump_group &&
			       flow_key(sim, e->port) == key;
		if (seen)
			continue;
		problems++;
		if (report != NULL && used + 1 < size) {
			int w = sim->transfer
			                ? snprintf(report + used, size - used,
			                           "group %u: jumped to, no catch-all rule\n",
			                           f->jump_group)
			                : snprintf(report + used, size - used,
			                           "port %u group %u: jumped to, no catch-all "
			                           "rule\n",
			                           key, f->jump_group);
			if (w > 0)
				used += (size_t)w < size - used ? (size_t)w : size - used - 1;
		}
	}
	return problems;
}
