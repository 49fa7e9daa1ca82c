/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The offload compiler (include/flowtwin/compile.h): pipeline + entries ->
 * rules, restore contexts, placements. It sits in offload/, above model/,
 * whose public API it reads; it knows rte_flow's types and calls no port.
 *
 * How it works. For each input port, the ingress control runs on a
 * symbolic packet (struct sstate):
 *
 *  - the received packet is a stack of layers (enum ft_layer), each known
 *    present, known absent or not known yet; a condition on the packet
 *    decides some (ETH has_vlan, the L3 and L4 of each side, VXLAN) and adds
 *    constraints on their bytes: together they are the rule's pattern;
 *  - every value (metadata, header field) is a constant, a slice of the
 *    received packet, or unknown (struct sval);
 *  - header instances are valid, invalid or not known, and their fields read
 *    the layer they were parsed from, unless an action wrote them.
 *
 * A condition on the packet splits the walk in two, each side with its
 * pattern; a side rte_flow cannot express ("not VXLAN") is left to a rule of
 * lower priority that sends the packet to software, resuming at that
 * condition. A table whose key is all constants is looked up now; one whose
 * key reads the packet is a group: the rule so far jumps to it. Groups are
 * specialised by the state at their entrance (metadata the rest of the
 * control reads, the layers known, the headers changed), so that every
 * packet reaching a group meets the same program from there on; a packet
 * handed to software from inside a group resumes after the actions of the
 * path that first reached it, which leave the same live state as any other.
 *
 * A group's entries that share an action and its data share the walk after
 * the lookup: the first is walked, the others get its rules with their own
 * key written into the pattern and their own handle into the counters'
 * targets (struct kpatch), unless that walk looked at the bits the key pins
 * (struct watch): then each is walked. That keeps the cost per entry of a
 * large FDB to a hash lookup and a few words per rule.
 *
 * A walk ends at the end of ingress (the packet is dropped, or sent: the
 * egress control then runs on the packet as the deparser and parser leave
 * it, and the bytes that leave are compared with the bytes received to find
 * the actions: VXLAN_DECAP, VLAN pop/push/set, MAC rewrite), or at what the
 * NIC cannot do (a MARK with a restore context, then QUEUE 0).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include <flowtwin/compile.h>

#define MAX_META 128
#define MAX_OVR 40
#define MAX_CONS 10
#define MAX_STEPS 32
#define MAX_TARGETS FT_RULE_TARGETS_MAX
#define MAX_DEPTH 8
#define MAX_ALTS 16
#define LAYER_BYTES 40
#define ENCAP_MAX 80 /* ETH, VLAN, IPv6, UDP, VXLAN: 74 */

/* --- Ids that outlive a compile ------------------------------------------ */

/*
 * Group ids and MARK ids stay the same from one compile to the next for
 * the same group (its specialisation) and the same restore context, so that
 * recompiling after an entry change yields the same rules for what did not
 * change. A new one never takes an id the previous compile used: a rule of
 * the previous set may still carry it until the update is applied; after
 * that, at the next compile, it is free again.
 */
struct idslot {
	uint64_t key; /* 0: empty */
	uint32_t id;
};

struct idmap {
	struct idslot *prev, *cur; /* open addressing, a power of two each */
	uint32_t prev_size, cur_size, cur_n;
	uint64_t *used; /* ids of prev and cur */
	uint32_t used_words;
	uint32_t *cursor; /* per range: the lowest id that may be free */
	uint32_t n_cursor;
};

static uint64_t
idkey(uint64_t k)
{
	return k ? k : 1;
}

static void
id_use(struct idmap *m, uint32_t id)
{
	if (id / 64 >= m->used_words) {
		uint32_t n = (id / 64 + 1) * 2;
		uint64_t *u = realloc(m->used, n * sizeof(*u));

		if (u == NULL)
			return;
		memset(u + m->used_words, 0, (n - m->used_words) * sizeof(*u));
		m->used = u;
		m->used_words = n;
	}
	m->used[id / 64] |= UINT64_C(1) << (id % 64);
}

static bool
id_used(const struct idmap *m, uint32_t id)
{
	return id / 64 < m->used_words && (m->used[id / 64] >> (id % 64)) & 1;
}

static int
idmap_begin(struct idmap *m, uint32_t n_ranges)
{
	free(m->cur);
	m->cur_size = m->prev_size ? m->prev_size : 256;
	m->cur_n = 0;
	m->cur = calloc(m->cur_size, sizeof(*m->cur));
	free(m->cursor);
	m->cursor = calloc(n_ranges, sizeof(*m->cursor));
	m->n_cursor = n_ranges;
	if (m->used != NULL)
		memset(m->used, 0, m->used_words * sizeof(*m->used));
	for (uint32_t i = 0; i < m->prev_size; i++)
		if (m->prev[i].key)
			id_use(m, m->prev[i].id);
	return m->cur && m->cursor ? 0 : -ENOMEM;
}

static void
slot_put(struct idslot *t, uint32_t size, uint64_t key, uint32_t id)
{
	uint32_t i;

	for (i = (uint32_t)key & (size - 1); t[i].key; i = (i + 1) & (size - 1))
		;
	t[i] = (struct idslot){.key = key, .id = id};
}

/* The id of 'key': the previous compile's, or the lowest free one in [lo, hi); 0: none. */
static uint32_t
idmap_get(struct idmap *m, uint64_t key, uint32_t range, uint32_t lo, uint32_t hi)
{
	uint32_t id = 0;

	key = idkey(key);
	for (uint32_t i = (uint32_t)key & (m->prev_size - 1); m->prev_size && m->prev[i].key;
	     i = (i + 1) & (m->prev_size - 1))
		if (m->prev[i].key == key) {
			id = m->prev[i].id;
			break;
		}
	if (id == 0) {
		uint32_t c = m->cursor[range] > lo ? m->cursor[range] : lo;

		while (c < hi && id_used(m, c))
			c++;
		if (c >= hi)
			return 0;
		m->cursor[range] = c + 1;
		id = c;
		id_use(m, id);
	}
	if ((m->cur_n + 1) * 2 > m->cur_size) {
		uint32_t size = m->cur_size * 2;
		struct idslot *t = calloc(size, sizeof(*t));

		if (t == NULL)
			return 0;
		for (uint32_t i = 0; i < m->cur_size; i++)
			if (m->cur[i].key)
				slot_put(t, size, m->cur[i].key, m->cur[i].id);
		free(m->cur);
		m->cur = t;
		m->cur_size = size;
	}
	slot_put(m->cur, m->cur_size, key, id);
	m->cur_n++;
	return id;
}

/* The compile succeeded: its ids are the previous ones of the next. */
static void
idmap_end(struct idmap *m)
{
	free(m->prev);
	m->prev = m->cur;
	m->prev_size = m->cur_size;
	m->cur = NULL;
	m->cur_size = 0;
}

static void
idmap_free(struct idmap *m)
{
	free(m->prev);
	free(m->cur);
	free(m->used);
	free(m->cursor);
}

/* --- Symbolic values ------------------------------------------------------ */


enum { SV_UNKNOWN = 0, SV_CONST, SV_PKT, SV_LEN, SV_TDEF, SV_CSUM };

/*
 * A value: a constant, a slice of the received packet, or unknown. An
 * unknown value that an action wrote carries its origin in 'c' (a hash of
 * the action, its data, the operation and the origins of its operands), so
 * that states reached by paths that computed it differently stay apart:
 * software replays one path's actions for all of them.
 *
 * Three more are values a NIC computes per packet when it encapsulates
 * (encap_header()): SV_LEN, the received packet's length plus the signed
 * 'c', on 16 bits; SV_TDEF, a target-defined hash (FT_HASH_TARGET_DEFAULT:
 * the NIC's entropy stands in for it); SV_CSUM, the IPv4 header checksum
 * of header 'layer' (the InternetChecksum of all its other fields, none
 * changed since). The last two carry their origin in 'c'.
 */
struct sval {
	uint8_t kind;
	uint8_t layer; /* SV_PKT: the received packet's layer; SV_CSUM: the header */
	uint8_t bits;
	uint16_t off; /* SV_PKT: bit offset in the layer */
	uint64_t c;   /* SV_CONST (at most 64 bits); SV_LEN: the offset; else its origin */
};

static struct sval
sv_const(uint64_t c, uint32_t bits)
{
	if (bits < 64)
		c &= (UINT64_C(1) << bits) - 1;
	return (struct sval){.kind = SV_CONST, .bits = (uint8_t)bits, .c = c};
}

static const struct sval sv_unknown = {.kind = SV_UNKNOWN};

static struct sval
sv_len(int64_t c)
{
	return (struct sval){.kind = SV_LEN, .bits = 16, .c = (uint64_t)c};
}

/* Copies a value member by member (into zeroed memory: no padding copied). */
static void
sv_put(struct sval *to, const struct sval *from)
{
	to->kind = from->kind;
	to->layer = from->layer;
	to->bits = from->bits;
	to->off = from->off;
	to->c = from->c;
}

/* --- The symbolic packet -------------------------------------------------- */

enum { L_UNK = 0, L_YES, L_NO };
enum { HV_MAYBE = 0, HV_YES, HV_NO };

struct lcons {
	uint8_t layer;
	uint8_t spec[LAYER_BYTES];
	uint8_t mask[LAYER_BYTES];
};

struct ovr {
	uint8_t hdr;
	uint16_t field;
	struct sval v;
};

struct target {
	uint8_t kind;
	int16_t delta; /* bytes the model counts there per packet, less the received length */
	uint32_t id, index;
};

enum { FATE_NONE, FATE_SEND, FATE_DROP, FATE_GROUP };

/*
 * The packet fields an entry's key pins while the walk follows that entry
 * (fill_entry()): whether anything after the lookup looked at their bits.
 * If nothing did, the rules of every entry with the same action and data
 * are those rules with the key written in (struct kpatch).
 */
#define MAX_WATCH 4

struct watch {
	uint32_t n;
	struct {
		uint8_t layer;
		uint16_t off, bits;
	} f[MAX_WATCH];
	bool touched;
};

struct sstate {
	uint32_t node;
	struct watch *watch; /* NULL, or the walk's: see struct watch */
	uint8_t lay[FT_L_COUNT];	/* L_*: the pattern's protocol stack */
	uint8_t hset[FT_HEADERS_MAX];	/* 0: validity from the layer; else HV_YES / HV_NO */
	int8_t hsrc[FT_HEADERS_MAX];	/* layer the header's bytes come from; -1: zeros */
	uint8_t n_ovr, n_cons, n_steps, n_targets, n_meta; /* the arrays' used parts */
	uint8_t fate;
	int16_t delta; /* in egress: the length the model sees, less the received length */
	struct sval out_port;
	uint16_t fate_action, last_action;
	struct ovr ovr[MAX_OVR];
	struct lcons cons[MAX_CONS];
	struct ft_resume_step steps[MAX_STEPS]; /* data: owned by the compiled state */
	struct target targets[MAX_TARGETS];
	struct sval meta[MAX_META];
};

/* --- The compiled state --------------------------------------------------- */

struct citem {
	uint8_t type; /* enum rte_flow_item_type */
	uint8_t layer;
	uint8_t vlan; /* ETH items: L_YES / L_NO if a VLAN tag follows or not, L_UNK */
	uint8_t size; /* bytes of spec (and of mask) in crule.bytes; 0: no spec */
	uint16_t off;
};

struct cact {
	uint8_t type; /* enum rte_flow_action_type */
	uint32_t arg; /* MARK id, JUMP group, QUEUE index, port, VLAN ethertype/vid/pcp */
	uint8_t mac[6];
};

/*
 * A rule as the walk made it. The rules of one entry's walk serve as well
 * every entry with the same action and data that reaches the same group
 * (fill_entry()), with that entry's key written into the pattern and its
 * handle into the targets: 'kp' says where.
 */
struct crule {
	uint32_t port, group, prio;
	uint8_t n_items, n_acts;
	uint16_t n_bytes;
	struct citem items[12];
	struct cact acts[10];
	uint8_t *bytes;
	struct ft_rule_target *targets;
	uint32_t n_targets;
	uint32_t kp;			   /* off->kps + 1, or 0: the walk's entry only */
	uint64_t kh_match, kh_action;	   /* kp: the identity with the key's bits zero */
	uint16_t drop_reason, drop_action; /* FT_DROP_NONE: not a drop */
};

/* Where an entry's key and handle go in the rules of another entry's walk. */
struct kpatch {
	uint32_t table;
	uint32_t entry, handle; /* the walked entry (index in the table's snapshot) */
	uint32_t n;
	struct {
		uint8_t layer;
		uint16_t off, bits; /* bits of the layer, as in struct watch */
		uint16_t key_off, key_bytes;
	} f[MAX_WATCH];
};

/* A compiled rule: a rule made by a walk, for entry 'e' of its kpatch's table (RREF_SELF: its own). */
#define RREF_SELF UINT32_MAX

struct rref {
	uint32_t t, e;
};

struct group {
	uint64_t hash;
	uint32_t id;
	uint32_t port;
	struct sstate *entry; /* the state at its entrance (steps: the first path) */
};

struct ctx {
	uint64_t hash;
	uint32_t id; /* the MARK */
	struct ft_restore r;
	struct ft_resume_step *steps;
};

/* An entry of a table, copied at the start of a compile. */
struct sentry {
	uint32_t handle, action, priority;
	uint64_t dhash; /* data_hash() */
	uint32_t dsize; /* bytes of data */
	uint8_t *key, *mask, *data; /* mask: NULL for an exact table's entry */
	uint32_t rules, sw_rules;
	const char *reason;
	bool out; /* kept out of the NIC: its packets look it up in software */
};

/* An entry kept out of the NIC: (table, handle), sorted. */
struct outkey {
	uint32_t table, handle;
	bool refused; /* the NIC refused its rule; else the table was full */
};

struct stable {
	struct sentry *e;
	uint32_t n, n_out, cap;
	uint32_t def_action;
	uint8_t *def_data;
	uint32_t def_rules, def_sw_rules;
	const char *def_reason;
	struct ft_table_decl decl;
	uint32_t key_size;
	uint16_t key_off[FT_KEY_BYTES_MAX];
	/*
	 * Index by the bytes of the constant key fields (one mask at a time): the
	 * entries with the same bytes form a class; a bucket lists its classes.
	 */
	uint32_t idx_mask;
	uint32_t *idx_head;		   /* bucket -> its first class */
	uint32_t *cls_head, *cls_next;	   /* class -> its first entry + 1, the bucket's next class */
	uint32_t *idx_next, idx_size;	   /* entry + 1 -> the next entry + 1 of its class */
	uint8_t *store;			   /* the entries' keys, masks and data */
	uint32_t stride;
};

struct ft_offload {
	struct ft_pipeline *pipe;
	const struct ft_program *prog;
	const struct ft_nic_profile *prof;
	uint32_t *ports, n_ports;
	uint32_t rules_max;
	struct ft_program_info info;
	uint32_t parsed;	       /* layers the program's parser fills */
	struct outkey *outs;	       /* entries kept out of the NIC, sorted */
	/* The program's layout, read once: per header its fields' bit offsets and widths,
	 * per action its parameters' byte offsets and widths. */
	struct fpos {
		uint16_t off, bits;
	} **fields, **params;
	uint32_t n_outs, cap_outs;
	uint64_t *live[FT_CTL_COUNT];  /* per node: metadata read from there on (bitset) */
	uint32_t live_words;
	uint16_t meta_bits[MAX_META];
	/* compile results */
	struct crule *made; /* by the walks */
	uint32_t n_made, cap_made;
	struct rref *rules; /* the compiled rules: made ones, for an entry */
	uint32_t n_rules, cap_rules;
	struct kpatch *kps;
	uint32_t n_kps, cap_kps;
	struct group *groups;
	uint32_t n_groups, cap_groups;
	uint32_t *gindex, gindex_size; /* hash -> group + 1 */
	struct ctx *ctxs;
	uint32_t n_ctxs, cap_ctxs;
	uint32_t *cindex, cindex_size;
	uint32_t *by_id, by_id_size; /* MARK -> ctx + 1 */
	/* The previous compile's contexts: its rules may still mark packets. */
	struct ctx *old_ctxs;
	uint32_t n_old_ctxs;
	uint32_t *old_by_id, old_by_id_size;
	struct idmap gids, mids;
	uint32_t *range_of_node; /* ingress node -> its range of group ids */
	uint32_t n_ranges, range_size;
	struct stable *tables;
	char **strs;
	uint32_t n_strs, cap_strs;
	uint32_t *sindex, sindex_size;
	uint32_t *work, n_work, cap_work; /* groups to fill */
	/* The encapsulation headers of the rules (a RAW_ENCAP's arg), each once. */
	struct encap {
		uint64_t hash;
		uint32_t size;
		uint8_t b[ENCAP_MAX];
	} *encaps;
	uint32_t n_encaps, cap_encaps;
	uint32_t *eindex, eindex_size; /* hash -> encap + 1 */
	uint64_t bytes;
	int error;
};

/* What the walk is doing: the group and port it fills, and the entry it follows. */
struct walk {
	struct ft_offload *off;
	uint32_t port;
	uint32_t group;
	uint32_t prio_base; /* 0 for entries, MAX_DEPTH + 1 for the catch-all */
	uint32_t *n_rules, *n_sw; /* the placement being followed */
	const char **reason;
	enum ft_control ctl;
	const struct sstate *ing; /* in egress: the ingress state at its end */
};

/* A hash of an action's data by content (0: none). */
static uint64_t
data_hash(const struct ft_offload *off, uint32_t action, const uint8_t *data)
{
	int size = data != NULL ? ft_program_action_data_size(off->prog, action) : 0;

	return size > 0 ? XXH3_64bits(data, (size_t)size) : 0;
}

static void *
grow(void *p, uint32_t *cap, uint32_t need, size_t size)
{
	uint32_t n = *cap ? *cap : 16;
	void *q;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	if ((q = realloc(p, (size_t)n * size)) == NULL)
		return NULL;
	*cap = n;
	return q;
}

/* Interns a formatted reason: the same text, the same pointer. */
static const char *
intern(struct ft_offload *off, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	uint64_t h;
	uint32_t i, m;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (off->n_strs * 2 >= off->sindex_size) {
		uint32_t size = off->sindex_size ? off->sindex_size * 2 : 256;
		uint32_t *ix = calloc(size, sizeof(*ix));

		if (ix == NULL)
			return "out of memory";
		for (uint32_t k = 0; k < off->n_strs; k++) {
			h = XXH3_64bits(off->strs[k], strlen(off->strs[k]));
			for (i = (uint32_t)h & (size - 1); ix[i]; i = (i + 1) & (size - 1))
				;
			ix[i] = k + 1;
		}
		free(off->sindex);
		off->sindex = ix;
		off->sindex_size = size;
	}
	m = off->sindex_size - 1;
	h = XXH3_64bits(buf, strlen(buf));
	for (i = (uint32_t)h & m; off->sindex[i]; i = (i + 1) & m)
		if (strcmp(off->strs[off->sindex[i] - 1], buf) == 0)
			return off->strs[off->sindex[i] - 1];
	off->strs = grow(off->strs, &off->cap_strs, off->n_strs + 1, sizeof(char *));
	if (off->strs == NULL || (off->strs[off->n_strs] = strdup(buf)) == NULL) {
		off->error = -ENOMEM;
		return "out of memory";
	}
	off->sindex[i] = ++off->n_strs;
	return off->strs[off->n_strs - 1];
}

/* The index of header b[0 .. size) in off->encaps, added if new. */
static uint32_t
encap_intern(struct ft_offload *off, const uint8_t *b, uint32_t size)
{
	uint64_t h = XXH3_64bits(b, size);
	uint32_t i, m;

	if (off->n_encaps * 2 >= off->eindex_size) {
		uint32_t n = off->eindex_size ? off->eindex_size * 2 : 64;
		uint32_t *ix = calloc(n, sizeof(*ix));

		if (ix == NULL)
			goto nomem;
		for (uint32_t k = 0; k < off->n_encaps; k++) {
			for (i = (uint32_t)off->encaps[k].hash & (n - 1); ix[i]; i = (i + 1) & (n - 1))
				;
			ix[i] = k + 1;
		}
		free(off->eindex);
		off->eindex = ix;
		off->eindex_size = n;
	}
	m = off->eindex_size - 1;
	for (i = (uint32_t)h & m; off->eindex[i]; i = (i + 1) & m) {
		const struct encap *e = &off->encaps[off->eindex[i] - 1];

		if (e->hash == h && e->size == size && memcmp(e->b, b, size) == 0)
			return off->eindex[i] - 1;
	}
	if (off->n_encaps == off->cap_encaps) {
		uint32_t n = off->cap_encaps ? off->cap_encaps * 2 : 16;
		struct encap *a = realloc(off->encaps, n * sizeof(*a));

		if (a == NULL)
			goto nomem;
		off->encaps = a;
		off->cap_encaps = n;
	}
	off->encaps[off->n_encaps] = (struct encap){.hash = h, .size = size};
	memcpy(off->encaps[off->n_encaps].b, b, size);
	off->eindex[i] = ++off->n_encaps;
	off->bytes += sizeof(struct encap);
	return off->n_encaps - 1;
nomem:
	off->error = -ENOMEM;
	return 0;
}

/* --- Reading the program -------------------------------------------------- */

static uint32_t
field_bits(const struct ft_offload *off, uint32_t hdr, uint32_t field, uint32_t *bitoff)
{
	*bitoff = off->fields[hdr][field].off;
	return off->fields[hdr][field].bits;
}

/* Reads the program's layout into off->fields and off->params: 0 or -ENOMEM. */
static int
layout_read(struct ft_offload *off)
{
	off->fields = calloc(off->info.n_headers + 1, sizeof(*off->fields));
	off->params = calloc(off->info.n_actions + 1, sizeof(*off->params));
	if (off->fields == NULL || off->params == NULL)
		return -ENOMEM;
	for (uint32_t h = 0; h < off->info.n_headers; h++) {
		struct ft_header_info hi;
		struct ft_header_type_info ti;

		ft_program_header(off->prog, h, &hi);
		ft_program_header_type(off->prog, hi.type, &ti);
		if ((off->fields[h] = calloc(ti.n_fields + 1, sizeof(struct fpos))) == NULL)
			return -ENOMEM;
		for (uint32_t f = 0; f < ti.n_fields; f++)
			off->fields[h][f] = (struct fpos){
				.off = (uint16_t)ft_program_field_offset(off->prog, hi.type, f),
				.bits = (uint16_t)ti.fields[f].bits};
	}
	for (uint32_t a = 0; a < off->info.n_actions; a++) {
		struct ft_action_info ai;
		uint16_t o = 0;

		ft_program_action(off->prog, a, &ai);
		if ((off->params[a] = calloc(ai.n_params + 1, sizeof(struct fpos))) == NULL)
			return -ENOMEM;
		for (uint32_t i = 0; i < ai.n_params; i++) {
			off->params[a][i] = (struct fpos){.off = o, .bits = (uint16_t)ai.params[i].bits};
			o = (uint16_t)(o + (ai.params[i].bits + 7) / 8);
		}
	}
	return 0;
}

static void
layout_free(struct ft_offload *off)
{
	for (uint32_t h = 0; off->fields != NULL && h < off->info.n_headers; h++)
		free(off->fields[h]);
	for (uint32_t a = 0; off->params != NULL && a < off->info.n_actions; a++)
		free(off->params[a]);
	free(off->fields);
	free(off->params);
}

static enum ft_layer
header_layer(const struct ft_offload *off, uint32_t hdr)
{
	struct ft_header_info hi;

	ft_program_header(off->prog, hdr, &hi);
	return hi.layer;
}

static void
bit_set(uint64_t *s, uint32_t i)
{
	s[i / 64] |= UINT64_C(1) << (i % 64);
}

static void
ref_reads(const struct ft_ref *r, uint64_t *s)
{
	if (r->kind == FT_REF_META)
		bit_set(s, r->id);
}

static void
action_reads(const struct ft_offload *off, uint32_t a, uint64_t *s)
{
	struct ft_action_info ai;

	ft_program_action(off->prog, a, &ai);
	for (uint32_t i = 0; i < ai.n_ops; i++) {
		const struct ft_op *op = &ai.ops[i];

		ref_reads(&op->a, s);
		ref_reads(&op->b, s);
		for (uint32_t j = 0; j < op->n_list; j++)
			ref_reads(&op->list[j], s);
	}
}

static void
cond_reads(const struct ft_offload *off, uint32_t c, uint64_t *s)
{
	struct ft_cond cd;

	ft_program_cond(off->prog, c, &cd);
	if (cd.kind == FT_COND_CMP) {
		ref_reads(&cd.a, s);
		ref_reads(&cd.b, s);
	} else if (cd.kind != FT_COND_VALID) {
		cond_reads(off, cd.l, s);
		if (cd.kind != FT_COND_NOT)
			cond_reads(off, cd.r, s);
	}
}

/*
 * Liveness: the metadata each node may read from there on (its own reads,
 * those of every node after it, and all of the egress control's). A bitset
 * per node; conservative (nothing is killed), which only costs sharing.
 */
static int
liveness(struct ft_offload *off)
{
	const uint32_t w = off->live_words;

	for (int c = FT_CTL_COUNT - 1; c >= 0; c--) {
		uint32_t n = off->info.n_nodes[c];
		uint64_t *acc = calloc(w, sizeof(uint64_t));

		if (acc == NULL || (off->live[c] = calloc((size_t)(n + 1) * w, 8)) == NULL) {
			free(acc);
			return -ENOMEM;
		}
		if (c == FT_CTL_INGRESS && off->info.n_nodes[FT_CTL_EGRESS] > 0)
			memcpy(acc, off->live[FT_CTL_EGRESS], w * 8);
		memcpy(off->live[c] + (size_t)n * w, acc, w * 8);
		for (uint32_t k = n; k-- > 0;) {
			struct ft_node nd;

			ft_program_node(off->prog, (enum ft_control)c, k, &nd);
			if (nd.kind == FT_NODE_APPLY) {
				struct ft_table_decl td;

				ft_program_table(off->prog, nd.table, &td);
				for (uint32_t i = 0; i < td.n_keys; i++)
					ref_reads(&td.keys[i].ref, acc);
				for (uint32_t i = 0; i < td.n_actions; i++)
					action_reads(off, td.actions[i].action, acc);
			} else if (nd.kind == FT_NODE_RUN) {
				action_reads(off, nd.action, acc);
			} else {
				cond_reads(off, nd.cond, acc);
			}
			memcpy(off->live[c] + (size_t)k * w, acc, w * 8);
		}
		free(acc);
	}
	return 0;
}

static bool
is_live(const struct ft_offload *off, enum ft_control c, uint32_t node, uint32_t meta)
{
	uint32_t k = node == FT_NODE_END ? off->info.n_nodes[c] : node;

	return (off->live[c][(size_t)k * off->live_words + meta / 64] >> (meta % 64)) & 1;
}

/* --- Layers: the pattern's protocol stack --------------------------------- */

/* Layers that sit in the same place of the stack: one of them at most. */
static const uint8_t slot_of[FT_L_COUNT] = {
	[FT_L_ETH] = 0,	   [FT_L_VLAN0] = 1,  [FT_L_VLAN1] = 2,	  [FT_L_ARP] = 3,
	[FT_L_IPV4] = 3,   [FT_L_IPV6] = 3,   [FT_L_UDP] = 4,	  [FT_L_TCP] = 4,
	[FT_L_ICMP] = 4,   [FT_L_ICMP6] = 4,  [FT_L_VXLAN] = 5,	  [FT_L_IN_ETH] = 6,
	[FT_L_IN_VLAN0] = 7, [FT_L_IN_VLAN1] = 8, [FT_L_IN_ARP] = 9, [FT_L_IN_IPV4] = 9,
	[FT_L_IN_IPV6] = 9, [FT_L_IN_UDP] = 10, [FT_L_IN_TCP] = 10, [FT_L_IN_ICMP] = 10,
	[FT_L_IN_ICMP6] = 10,
};

static uint32_t
layer_size(enum ft_layer l)
{
	return ft_proto_size(ft_layer_proto(l));
}

/* Copies a state: its fields and the used parts of its arrays (most of it is room). */
static void
st_copy(struct sstate *to, const struct sstate *from)
{
	memcpy(to, from, offsetof(struct sstate, ovr));
	memcpy(to->ovr, from->ovr, from->n_ovr * sizeof(from->ovr[0]));
	memcpy(to->cons, from->cons, from->n_cons * sizeof(from->cons[0]));
	memcpy(to->steps, from->steps, from->n_steps * sizeof(from->steps[0]));
	memcpy(to->targets, from->targets, from->n_targets * sizeof(from->targets[0]));
	memcpy(to->meta, from->meta, from->n_meta * sizeof(from->meta[0]));
}

static struct sstate *
st_dup(const struct sstate *st)
{
	struct sstate *c = malloc(sizeof(*c));

	if (c != NULL)
		st_copy(c, st);
	return c;
}

/* Sets layer l present, its slot-mates absent. */
static void
lay_yes(struct sstate *st, enum ft_layer l)
{
	for (int k = 0; k < FT_L_COUNT; k++)
		if (slot_of[k] == slot_of[l])
			st->lay[k] = L_NO;
	st->lay[l] = L_YES;
}

static struct lcons *
cons_of(struct sstate *st, enum ft_layer l, bool add)
{
	for (uint32_t i = 0; i < st->n_cons; i++)
		if (st->cons[i].layer == l)
			return &st->cons[i];
	if (!add || st->n_cons == MAX_CONS)
		return NULL;
	memset(&st->cons[st->n_cons], 0, sizeof(st->cons[0]));
	st->cons[st->n_cons].layer = (uint8_t)l;
	return &st->cons[st->n_cons++];
}

/* Bits [off, off + bits) of layer l are looked at: does that touch a watched key? */
static void
watch_touch(const struct sstate *st, enum ft_layer l, uint32_t off, uint32_t bits)
{
	struct watch *w = st->watch;

	for (uint32_t i = 0; w != NULL && i < w->n; i++)
		if (w->f[i].layer == l && off < w->f[i].off + w->f[i].bits &&
		    w->f[i].off < off + bits)
			w->touched = true;
}

/*
 * Adds "bits [off, off + bits) of layer l == value" (value: the low bits of a
 * big-endian 16-byte number). Returns 1, 0 if it contradicts the pattern,
 * -1 if it cannot be expressed.
 */
static int
cons_add(struct sstate *st, enum ft_layer l, uint32_t off, uint32_t bits, const uint8_t *v16)
{
	struct lcons *c;

	watch_touch(st, l, off, bits);
	if (off + bits > LAYER_BYTES * 8 || (c = cons_of(st, l, true)) == NULL)
		return -1;
	for (uint32_t i = 0; i < bits; i++) {
		uint32_t pb = off + i;		     /* bit in the layer, MSB first */
		uint32_t vb = 128 - bits + i;	     /* bit in v16, MSB first */
		uint8_t bit = (v16[vb / 8] >> (7 - vb % 8)) & 1;
		uint8_t m = (uint8_t)(0x80 >> (pb % 8));

		if (c->mask[pb / 8] & m) {
			if (((c->spec[pb / 8] & m) != 0) != bit)
				return 0;
			continue;
		}
		c->mask[pb / 8] |= m;
		if (bit)
			c->spec[pb / 8] |= m;
	}
	return 1;
}

static int
cons_add64(struct sstate *st, enum ft_layer l, uint32_t off, uint32_t bits, uint64_t v)
{
	uint8_t b[16] = {0};

	for (int i = 0; i < 8; i++)
		b[15 - i] = (uint8_t)(v >> (8 * i));
	return cons_add(st, l, off, bits, b);
}

/* Bits [off, off+bits) of layer l if the pattern fixes them all, as a constant. */
static bool
cons_pinned(struct sstate *st, enum ft_layer l, uint32_t off, uint32_t bits, uint64_t *v)
{
	struct lcons *c = cons_of(st, l, false);

	watch_touch(st, l, off, bits);
	if (c == NULL || bits > 64 || off + bits > LAYER_BYTES * 8)
		return false;
	*v = 0;
	for (uint32_t i = 0; i < bits; i++) {
		uint32_t pb = off + i;
		uint8_t m = (uint8_t)(0x80 >> (pb % 8));

		if (!(c->mask[pb / 8] & m))
			return false;
		*v = (*v << 1) | ((c->spec[pb / 8] & m) != 0);
	}
	return true;
}

struct alts {
	struct sstate *s[MAX_ALTS];
	uint32_t n;
	bool complete;
};

static void
alts_free(struct alts *a)
{
	for (uint32_t i = 0; i < a->n; i++)
		free(a->s[i]);
	a->n = 0;
}

static void
alts_push(struct alts *a, struct sstate *s)
{
	if (s == NULL)
		return;
	if (a->n == MAX_ALTS) {
		free(s);
		a->complete = false;
		return;
	}
	a->s[a->n++] = s;
}

static enum rte_flow_item_type
layer_item(enum ft_layer l)
{
	switch (ft_layer_proto(l)) {
	case FT_PROTO_ETH: return RTE_FLOW_ITEM_TYPE_ETH;
	case FT_PROTO_VLAN: return RTE_FLOW_ITEM_TYPE_VLAN;
	case FT_PROTO_IPV4: return RTE_FLOW_ITEM_TYPE_IPV4;
	case FT_PROTO_IPV6: return RTE_FLOW_ITEM_TYPE_IPV6;
	case FT_PROTO_UDP: return RTE_FLOW_ITEM_TYPE_UDP;
	case FT_PROTO_TCP: return RTE_FLOW_ITEM_TYPE_TCP;
	case FT_PROTO_VXLAN: return RTE_FLOW_ITEM_TYPE_VXLAN;
	default: return RTE_FLOW_ITEM_TYPE_END; /* ARP, ICMP: no item on mlx5 */
	}
}

static bool
layer_matchable(const struct ft_offload *off, enum ft_layer l)
{
	enum rte_flow_item_type t = layer_item(l);

	return t != RTE_FLOW_ITEM_TYPE_END && ft_nic_profile_has_item(off->prof, t);
}

/* Fixed protocol numbers that lead from one layer to the next. */
static bool
link_layers(struct sstate *st, enum ft_layer l3, enum ft_layer l4)
{
	uint8_t proto;

	switch (ft_layer_proto(l4)) {
	case FT_PROTO_UDP: proto = 17; break;
	case FT_PROTO_TCP: proto = 6; break;
	case FT_PROTO_ICMP: proto = 1; break;
	case FT_PROTO_ICMP6: proto = 58; break;
	default: return false;
	}
	if (ft_layer_proto(l3) == FT_PROTO_IPV4) {
		/* protocol; not a later fragment (and for VXLAN, no fragment at all). */
		if (cons_add64(st, l3, 72, 8, proto) != 1)
			return false;
		if (cons_add64(st, l3, 51, 13, 0) != 1)
			return false;
	} else if (cons_add64(st, l3, 48, 8, proto) != 1) { /* IPv6 next header: no extension */
		return false;
	}
	return true;
}

/*
 * An L3 without an rte_flow item (ARP) is matched by the EtherType that
 * announces it: in the Ethernet header, or in the last VLAN tag.
 */
static bool
pin_ethertype(const struct ft_offload *off, struct sstate *st, enum ft_layer l)
{
	const bool in = ft_layer_is_inner(l);
	enum ft_layer carrier = in ? FT_L_IN_ETH : FT_L_ETH;
	uint32_t bitoff = 96;

	if (layer_matchable(off, l))
		return true;
	if (ft_layer_proto(l) != FT_PROTO_ARP)
		return false;
	for (enum ft_layer v = in ? FT_L_IN_VLAN0 : FT_L_VLAN0; v <= (in ? FT_L_IN_VLAN1 : FT_L_VLAN1);
	     v++)
		if (st->lay[v] == L_YES) {
			carrier = v;
			bitoff = 16;
		}
	if (!layer_matchable(off, carrier))
		return false;
	return cons_add64(st, carrier, bitoff, 16, 0x0806) == 1;
}

/*
 * The ways layer l can be present: each alternative decides every layer
 * below it (VLAN or not, IPv4 or IPv6, ...) and pins the protocol numbers
 * that lead to it. 'out' gets the states; out->complete says whether they
 * cover every packet that has l.
 */
static void
require(const struct ft_offload *off, const struct sstate *st, enum ft_layer l, struct alts *out)
{
	const bool in = ft_layer_is_inner(l);
	const enum ft_layer eth = in ? FT_L_IN_ETH : FT_L_ETH;
	const enum ft_layer v0 = in ? FT_L_IN_VLAN0 : FT_L_VLAN0;
	const enum ft_layer v1 = in ? FT_L_IN_VLAN1 : FT_L_VLAN1;
	const uint32_t s = slot_of[l];
	enum ft_layer l3s[] = {in ? FT_L_IN_IPV4 : FT_L_IPV4, in ? FT_L_IN_IPV6 : FT_L_IPV6};
	struct alts tmp = {.complete = true};

	out->n = 0;
	out->complete = true;
	if (!(off->parsed & FT_LAYER_BIT(l)) || st->lay[l] == L_NO)
		return;
	if (st->lay[l] == L_YES) {
		alts_push(out, st_dup(st));
		return;
	}
	/* What carries it. */
	if (in) {
		struct alts o;

		require(off, st, FT_L_VXLAN, &o);
		out->complete = o.complete;
		if (l == FT_L_IN_ETH) {
			for (uint32_t i = 0; i < o.n; i++)
				lay_yes(o.s[i], FT_L_IN_ETH);
			*out = o;
			return;
		}
		tmp = o;
	} else if (l == FT_L_VXLAN) {
		struct alts o;

		uint32_t nport;
		const uint16_t *ports = ft_program_vxlan_ports(off->prog, &nport);

		require(off, st, FT_L_UDP, &o);
		out->complete = o.complete;
		/* The parser's VXLAN: UDP to a VXLAN port (one alternative each), no fragment. */
		for (uint32_t i = 0; i < o.n; i++) {
			for (uint32_t p = 0; p < nport; p++) {
				struct sstate *c = st_dup(o.s[i]);
				int ok = c != NULL;

				/* No fragment, and no options (software takes those):
				 * the decapsulated length is then known. */
				if (ok && c->lay[FT_L_IPV4] == L_YES) {
					ok = cons_add64(c, FT_L_IPV4, 50, 1, 0) == 1 &&
					     cons_add64(c, FT_L_IPV4, 4, 4, 5) == 1;
					out->complete = false;
				}
				if (ok)
					ok = cons_add64(c, FT_L_UDP, 16, 16, ports[p]) == 1;
				if (!ok) {
					free(c);
					continue;
				}
				lay_yes(c, FT_L_VXLAN);
				if (off->parsed & FT_LAYER_BIT(FT_L_IN_ETH))
					lay_yes(c, FT_L_IN_ETH);
				alts_push(out, c);
			}
			free(o.s[i]);
		}
		return;
	} else {
		alts_push(&tmp, st_dup(st));
	}
	/* From here on 'tmp' holds states where the side's Ethernet is there. */
	for (uint32_t i = 0; i < tmp.n; i++) {
		struct sstate *c = tmp.s[i];
		struct alts v = {.complete = true};

		lay_yes(c, eth);
		if (s == slot_of[eth]) {
			alts_push(out, c);
			continue;
		}
		/* VLAN or not (decided for any layer past Ethernet; at most one tag). */
		if ((off->parsed & FT_LAYER_BIT(v0)) && c->lay[v0] == L_UNK) {
			struct sstate *t = st_dup(c);

			if (t != NULL) {
				lay_yes(t, v0);
				t->lay[v1] = L_NO;
				alts_push(&v, t);
			}
			c->lay[v0] = L_NO;
			c->lay[v1] = L_NO;
			alts_push(&v, c);
		} else {
			if (c->lay[v0] == L_YES && c->lay[v1] == L_UNK)
				c->lay[v1] = L_NO;
			alts_push(&v, c);
		}
		if (l == v0 || l == v1) {
			for (uint32_t j = 0; j < v.n; j++) {
				if (v.s[j]->lay[l] == L_YES && l == v0)
					alts_push(out, v.s[j]);
				else
					free(v.s[j]);
			}
			if (l == v1)
				out->complete = false; /* a second tag: not expressed */
			continue;
		}
		for (uint32_t j = 0; j < v.n; j++) {
			struct sstate *d = v.s[j];

			if (slot_of[l] == slot_of[l3s[0]]) { /* an L3 */
				if (d->lay[l] == L_UNK) {
					lay_yes(d, l);
					if (!pin_ethertype(off, d, l)) {
						free(d);
						continue;
					}
				}
				alts_push(out, d->lay[l] == L_YES ? d : (free(d), NULL));
				continue;
			}
			/* An L4: over IPv4 or IPv6, whichever is (or may be) there. */
			for (int k = 0; k < 2; k++) {
				struct sstate *e;
				enum ft_layer l3 = l3s[k];

				if (!(off->parsed & FT_LAYER_BIT(l3)) || d->lay[l3] == L_NO)
					continue;
				if ((ft_layer_proto(l) == FT_PROTO_ICMP && k == 1) ||
				    (ft_layer_proto(l) == FT_PROTO_ICMP6 && k == 0))
					continue;
				if ((e = st_dup(d)) == NULL)
					continue;
				lay_yes(e, l3);
				if (e->lay[l] == L_UNK) {
					if (!link_layers(e, l3, l)) {
						free(e);
						continue;
					}
					lay_yes(e, l);
				}
				alts_push(out, e->lay[l] == L_YES ? e : (free(e), NULL));
			}
			free(d);
		}
	}
}

/* --- Values --------------------------------------------------------------- */

static uint8_t
hvalid(const struct sstate *st, uint32_t h)
{
	if (st->hset[h])
		return st->hset[h];
	if (st->hsrc[h] < 0)
		return st->hsrc[h] == -1 ? HV_NO : HV_MAYBE;
	return st->lay[st->hsrc[h]] == L_YES ? HV_YES
	       : st->lay[st->hsrc[h]] == L_NO ? HV_NO
					      : HV_MAYBE;
}

static uint64_t
be_const(const uint8_t v[16], uint32_t width)
{
	uint64_t c = 0;

	for (int i = 8; i < 16; i++)
		c = (c << 8) | v[i];
	return width < 64 ? c & ((UINT64_C(1) << width) - 1) : c;
}

static uint64_t
load_be(const uint8_t *p, uint32_t bitoff, uint32_t bits)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < bits; i++) {
		uint32_t b = bitoff + i;

		v = (v << 1) | ((p[b / 8] >> (7 - b % 8)) & 1);
	}
	return v;
}

/* Sets bits [off, off + bits) of 'p' to the low bits of the big-endian v16. */
static void
bits_put(uint8_t *p, uint32_t off, uint32_t bits, const uint8_t *v16)
{
	for (uint32_t i = 0; i < bits; i++) {
		uint32_t pb = off + i, vb = 128 - bits + i;
		uint8_t m = (uint8_t)(0x80 >> (pb % 8));

		if ((v16[vb / 8] >> (7 - vb % 8)) & 1)
			p[pb / 8] |= m;
		else
			p[pb / 8] &= (uint8_t)~m;
	}
}

struct actx {
	struct walk *w;
	struct sstate *st;
	uint32_t action;
	const uint8_t *data;
	uint64_t origin;  /* of the unknowns the current operation writes */
	const char *stop; /* why the NIC cannot run it */
};

static struct sval
rd(struct actx *ax, const struct ft_ref *r)
{
	struct ft_offload *off = ax->w->off;
	struct sstate *st = ax->st;

	switch (r->kind) {
	case FT_REF_CONST:
		return r->width <= 64 ? sv_const(be_const(r->value, r->width), r->width) : sv_unknown;
	case FT_REF_META:
		return st->meta[r->id];
	case FT_REF_PARAM: {
		const struct fpos *p = &off->params[ax->action][r->id];

		if (p->bits > 64 || ax->data == NULL)
			return sv_unknown;
		return sv_const(load_be(ax->data + p->off, 0, ((p->bits + 7u) / 8) * 8), p->bits);
	}
	case FT_REF_STD:
		switch (r->id) {
		case FT_STD_IN_PORT: return sv_const(ax->w->port, 32);
		case FT_STD_OUT_PORT:
			return st->fate == FATE_SEND ? st->out_port : sv_const(0, 32);
		case FT_STD_RID: return sv_const(0, 16);
		case FT_STD_PKT_LEN: return sv_len(0); /* as received, in egress too */
		default: return sv_unknown;
		}
	case FT_REF_FIELD: {
		uint32_t bitoff, bits = field_bits(off, r->id, r->field, &bitoff);
		uint64_t v;

		switch (hvalid(st, r->id)) {
		case HV_NO: return sv_const(0, bits);
		case HV_MAYBE: return sv_unknown;
		}
		for (uint32_t i = 0; i < st->n_ovr; i++)
			if (st->ovr[i].hdr == r->id && st->ovr[i].field == r->field)
				return st->ovr[i].v;
		if (st->hsrc[r->id] < 0)
			return sv_const(0, bits);
		if (cons_pinned(st, (enum ft_layer)st->hsrc[r->id], bitoff, bits, &v))
			return sv_const(v, bits);
		return (struct sval){.kind = SV_PKT, .layer = (uint8_t)st->hsrc[r->id],
				     .off = (uint16_t)bitoff, .bits = (uint8_t)bits};
	}
	default:
		return sv_unknown;
	}
}

/* v as a value of 'width' bits: truncated (a slice) or zero-extended. */
static struct sval
fit(struct sval v, uint32_t width)
{
	if (v.kind == SV_CONST)
		return sv_const(v.c, width);
	if (v.kind == SV_PKT && v.bits > width) {
		v.off = (uint16_t)(v.off + v.bits - width);
		v.bits = (uint8_t)width;
	}
	/* The NIC's values are of their field's width, or nothing it computes. */
	if ((v.kind == SV_LEN || v.kind == SV_TDEF || v.kind == SV_CSUM) && v.bits != width)
		return (struct sval){.kind = SV_UNKNOWN, .c = v.c ^ width};
	return v;
}

static void
wr(struct actx *ax, const struct ft_ref *r, struct sval v)
{
	struct ft_offload *off = ax->w->off;
	struct sstate *st = ax->st;

	if (v.kind == SV_UNKNOWN)
		v.c = ax->origin;
	if (r->kind == FT_REF_META) {
		struct ft_metadata_info mi;

		ft_program_metadata(off->prog, r->id, &mi);
		st->meta[r->id] = fit(v, mi.bits);
		return;
	}
	if (r->kind != FT_REF_FIELD) {
		ax->stop = "writes a value the NIC does not hold";
		return;
	}
	switch (hvalid(st, r->id)) {
	case HV_NO: return;
	case HV_MAYBE: ax->stop = "writes a header that may be invalid"; return;
	}
	{
		uint32_t bitoff, bits = field_bits(off, r->id, r->field, &bitoff);
		uint32_t i;

		for (i = 0; i < st->n_ovr; i++)
			if (st->ovr[i].hdr == r->id && st->ovr[i].field == r->field)
				break;
		if (i == MAX_OVR) {
			ax->stop = "changes too many header fields";
			return;
		}
		if (i == st->n_ovr)
			st->n_ovr++;
		st->ovr[i] = (struct ovr){.hdr = (uint8_t)r->id, .field = (uint16_t)r->field,
					  .v = fit(v, bits)};
	}
}

static void
ovr_drop(struct sstate *st, uint32_t h)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < st->n_ovr; i++)
		if (st->ovr[i].hdr != h)
			st->ovr[j++] = st->ovr[i];
	st->n_ovr = (uint8_t)j;
}

static struct sval
arith(enum ft_op_kind k, struct sval a, struct sval b)
{
	if (a.kind == SV_CONST && (b.kind == SV_CONST || k == FT_OP_NOT)) {
		uint64_t x = a.c, y = b.c;

		switch (k) {
		case FT_OP_ADD: return sv_const(x + y, 64);
		case FT_OP_SUB: return sv_const(x - y, 64);
		case FT_OP_AND: return sv_const(x & y, 64);
		case FT_OP_OR: return sv_const(x | y, 64);
		case FT_OP_XOR: return sv_const(x ^ y, 64);
		case FT_OP_SHL: return sv_const(y >= 64 ? 0 : x << y, 64);
		case FT_OP_SHR: return sv_const(y >= 64 ? 0 : x >> y, 64);
		case FT_OP_NOT: return sv_const(~x, a.bits ? a.bits : 64);
		default: return sv_unknown;
		}
	}
	/* The packet's length plus or minus a constant (on 16 bits: fit()). */
	if (a.kind == SV_CONST && b.kind == SV_LEN && k == FT_OP_ADD)
		return arith(k, b, a);
	if (a.kind == SV_LEN && b.kind == SV_CONST && (k == FT_OP_ADD || k == FT_OP_SUB))
		return sv_len((int64_t)a.c + (k == FT_OP_ADD ? (int64_t)b.c : -(int64_t)b.c));
	/* A slice of the packet: its top bits (>>), its low bits (& 2^m - 1). */
	if (a.kind == SV_PKT && b.kind == SV_CONST) {
		if (k == FT_OP_SHR && b.c < a.bits) {
			a.bits = (uint8_t)(a.bits - b.c);
			return a;
		}
		if (k == FT_OP_AND && b.c != 0 && (b.c & (b.c + 1)) == 0) {
			uint32_t m = (uint32_t)__builtin_popcountll(b.c);

			return m >= a.bits ? a : fit(a, m);
		}
	}
	return sv_unknown;
}

/*
 * A hash of the values of header h's fields but 'skip' as they are now:
 * an SV_CSUM of h is the checksum of the header as emitted if this has not
 * changed since it was computed.
 */
static uint64_t
header_hash(struct actx *ax, uint32_t h, uint32_t skip)
{
	const struct fpos *f = ax->w->off->fields[h];
	uint64_t hash = h;

	for (uint32_t k = 0; f[k].bits != 0; k++) {
		struct ft_ref r = ft_ref_field(h, k);
		struct sval v = rd(ax, &r), z = {0};

		if (k == skip)
			continue;
		sv_put(&z, &v);
		hash = XXH3_64bits_withSeed(&z, sizeof(z), hash);
	}
	return hash;
}

/*
 * InternetChecksum.get() into 'dst': SV_CSUM if it sums every other field
 * of dst's header, in order, and that header is an IPv4 header without
 * options whose checksum dst is (what a NIC computes when it
 * encapsulates); unknown otherwise.
 */
static struct sval
csum_value(struct actx *ax, const struct ft_op *op)
{
	struct ft_offload *off = ax->w->off;
	struct ft_header_info hi;
	uint32_t h = op->dst.id, k = 0, bitoff;

	if (op->dst.kind != FT_REF_FIELD)
		return sv_unknown;
	ft_program_header(off->prog, h, &hi);
	if (hi.proto != FT_PROTO_IPV4 || hi.bytes != 20 ||
	    field_bits(off, h, op->dst.field, &bitoff) != 16 || bitoff != 80)
		return sv_unknown;
	for (uint32_t f = 0; off->fields[h][f].bits != 0; f++) {
		if (f == op->dst.field)
			continue;
		if (k == op->n_list || op->list[k].kind != FT_REF_FIELD || op->list[k].id != h ||
		    op->list[k].field != f)
			return sv_unknown;
		k++;
	}
	if (k != op->n_list)
		return sv_unknown;
	return (struct sval){.kind = SV_CSUM, .layer = (uint8_t)h, .bits = 16,
			     .c = header_hash(ax, h, op->dst.field)};
}

/* Runs action 'a' with 'data' on the state; ax->stop says why it cannot, if so. */
static void
run_action(struct actx *ax)
{
	struct ft_offload *off = ax->w->off;
	struct sstate *st = ax->st;
	struct ft_action_info ai;

	ft_program_action(off->prog, ax->action, &ai);
	st->last_action = (uint16_t)ax->action;
	for (uint32_t i = 0; i < ai.n_ops && ax->stop == NULL; i++) {
		const struct ft_op *op = &ai.ops[i];
		uint64_t o[4] = {ax->action, data_hash(off, ax->action, ax->data), i, 0};

		/* Unknown operands, and for checksums and hashes every changed field. */
		o[3] = rd(ax, &op->a).c ^ (rd(ax, &op->b).c << 1);
		if (op->kind == FT_OP_CSUM || op->kind == FT_OP_HASH)
			o[3] ^= XXH3_64bits(st->ovr, st->n_ovr * sizeof(st->ovr[0]));
		ax->origin = XXH3_64bits(o, sizeof(o));
		switch (op->kind) {
		case FT_OP_SET:
			if (op->dst.kind == FT_REF_HEADER || op->a.kind == FT_REF_HEADER)
				ax->stop = "copies a whole header";
			else
				wr(ax, &op->dst, rd(ax, &op->a));
			break;
		case FT_OP_ADD: case FT_OP_SUB: case FT_OP_AND: case FT_OP_OR: case FT_OP_XOR:
		case FT_OP_SHL: case FT_OP_SHR: case FT_OP_NOT:
			wr(ax, &op->dst, arith(op->kind, rd(ax, &op->a), rd(ax, &op->b)));
			break;
		case FT_OP_SET_VALID:
			if (hvalid(st, op->dst.id) == HV_MAYBE) {
				ax->stop = "makes valid a header that may be valid already";
			} else if (hvalid(st, op->dst.id) == HV_NO) {
				ovr_drop(st, op->dst.id);
				st->hsrc[op->dst.id] = -1;
				st->hset[op->dst.id] = HV_YES;
			}
			break;
		case FT_OP_SET_INVALID:
			ovr_drop(st, op->dst.id);
			st->hset[op->dst.id] = HV_NO;
			break;
		case FT_OP_CSUM:
			wr(ax, &op->dst, csum_value(ax, op));
			break;
		case FT_OP_HASH:
			wr(ax, &op->dst,
			   op->id == FT_HASH_TARGET_DEFAULT && op->dst.kind == FT_REF_FIELD
				   ? (struct sval){.kind = SV_TDEF,
						   .bits = (uint8_t)ft_program_ref_width(
							   off->prog, ax->action, &op->dst),
						   .c = ax->origin}
				   : sv_unknown);
			break;
		case FT_OP_SEND:
			st->fate = FATE_SEND;
			st->out_port = rd(ax, &op->a);
			st->fate_action = (uint16_t)ax->action;
			break;
		case FT_OP_DROP:
			st->fate = FATE_DROP;
			st->fate_action = (uint16_t)ax->action;
			break;
		case FT_OP_REPLICATE:
			ax->stop = "replicates to a group (flooding): head-end replication to N "
				   "destinations has no rte_flow action in DPDK 22.11";
			break;
		case FT_OP_MIRROR:
			ax->stop = "mirrors: left to software";
			break;
		case FT_OP_DIGEST:
			ax->stop = "raises a digest for the control plane";
			break;
		case FT_OP_LEARN:
			ax->stop = "learns an entry (add on miss)";
			break;
		case FT_OP_COUNT: {
			struct sval ix = rd(ax, &op->a);

			if (ix.kind != SV_CONST || st->n_targets == MAX_TARGETS)
				ax->stop = "counts at an index read from the packet";
			else
				st->targets[st->n_targets++] = (struct target){
					.kind = FT_TARGET_COUNTER, .delta = st->delta, .id = op->id,
					.index = (uint32_t)ix.c};
			break;
		}
		}
	}
	if (ax->stop == NULL && st->n_steps == MAX_STEPS)
		ax->stop = "path too long";
	if (ax->stop == NULL)
		st->steps[st->n_steps++] = (struct ft_resume_step){.action = ax->action, .data = ax->data};
}

/* An ARP layer read or written: say so, it is the most common reason. */
static const char *
stop_reason(struct ft_offload *off, uint32_t action, const char *why)
{
	struct ft_action_info ai;

	ft_program_action(off->prog, action, &ai);
	for (uint32_t i = 0; i < ai.n_ops; i++) {
		const struct ft_op *op = &ai.ops[i];

		if (op->dst.kind == FT_REF_FIELD &&
		    ft_layer_proto(header_layer(off, op->dst.id)) == FT_PROTO_ARP)
			return intern(off, "action '%s' rewrites ARP fields: no rte_flow action for "
					   "that in DPDK 22.11",
				      ai.name);
	}
	return intern(off, "action '%s' %s", ai.name, why);
}

/* --- Conditions ------------------------------------------------------------ */

/* st with "v == c" (eq) or "v != c" (!eq), v a slice of the packet, as disjoint patterns. */
static void
split_eq(const struct ft_offload *off, const struct sstate *st, struct sval v, uint64_t c,
	 struct alts *t, struct alts *f)
{
	struct sstate *s;

	if (!layer_matchable(off, (enum ft_layer)v.layer) || v.bits > 64) {
		t->complete = f->complete = false;
		return;
	}
	if (v.bits < 64 && (c >> v.bits) != 0) { /* never equal */
		alts_push(f, st_dup(st));
		return;
	}
	if ((s = st_dup(st)) != NULL) {
		if (cons_add64(s, (enum ft_layer)v.layer, v.off, v.bits, c) == 1)
			alts_push(t, s);
		else
			free(s);
	}
	if (v.bits > 16) { /* "!=" as bit patterns: too many */
		f->complete = false;
		return;
	}
	/* Differs first at bit i (from the top): equal above, different at i. */
	for (uint32_t i = 0; i < v.bits; i++) {
		uint32_t above = i + 1;
		uint64_t want = (c >> (v.bits - above)) ^ 1;

		if ((s = st_dup(st)) == NULL)
			continue;
		if (cons_add64(s, (enum ft_layer)v.layer, v.off, above, want) == 1)
			alts_push(f, s);
		else
			free(s);
	}
}

static void
split_cond(struct walk *w, const struct sstate *st, uint32_t c, struct alts *t, struct alts *f)
{
	struct ft_offload *off = w->off;
	struct ft_cond cd;

	t->n = f->n = 0;
	t->complete = f->complete = true;
	ft_program_cond(off->prog, c, &cd);
	switch (cd.kind) {
	case FT_COND_VALID: {
		uint8_t v = hvalid(st, cd.hdr);
		enum ft_layer l;

		if (v != HV_MAYBE) {
			alts_push(v == HV_YES ? t : f, st_dup(st));
			return;
		}
		if (st->hsrc[cd.hdr] < 0) {
			t->complete = f->complete = false;
			return;
		}
		l = (enum ft_layer)st->hsrc[cd.hdr];
		require(off, st, l, t);
		/* Absent: expressible for a VLAN tag (has_vlan 0) or as a slot-mate present. */
		if (ft_layer_proto(l) == FT_PROTO_VLAN && (l == FT_L_VLAN0 || l == FT_L_IN_VLAN0)) {
			struct alts eth;

			require(off, st, l == FT_L_VLAN0 ? FT_L_ETH : FT_L_IN_ETH, &eth);
			f->complete = eth.complete;
			for (uint32_t i = 0; i < eth.n; i++) {
				eth.s[i]->lay[l] = L_NO;
				eth.s[i]->lay[l + 1] = L_NO;
				alts_push(f, eth.s[i]);
			}
			return;
		}
		f->complete = false;
		for (int k = 0; k < FT_L_COUNT; k++) {
			struct alts o;

			if (k == (int)l || slot_of[k] != slot_of[l] || !(off->parsed & FT_LAYER_BIT(k)))
				continue;
			require(off, st, (enum ft_layer)k, &o);
			for (uint32_t i = 0; i < o.n; i++)
				alts_push(f, o.s[i]);
		}
		return;
	}
	case FT_COND_CMP: {
		struct actx ax = {.w = w, .st = (struct sstate *)st, .action = UINT32_MAX};
		struct sval a = rd(&ax, &cd.a), b = rd(&ax, &cd.b);
		bool eq = cd.cmp == FT_CMP_EQ;

		if (a.kind == SV_CONST && b.kind == SV_CONST) {
			bool r;

			switch (cd.cmp) {
			case FT_CMP_EQ: r = a.c == b.c; break;
			case FT_CMP_NE: r = a.c != b.c; break;
			case FT_CMP_LT: r = a.c < b.c; break;
			case FT_CMP_LE: r = a.c <= b.c; break;
			case FT_CMP_GT: r = a.c > b.c; break;
			default: r = a.c >= b.c; break;
			}
			alts_push(r ? t : f, st_dup(st));
			return;
		}
		if (a.kind == SV_CONST) {
			struct sval x = a;

			a = b;
			b = x;
		}
		if ((cd.cmp != FT_CMP_EQ && cd.cmp != FT_CMP_NE) || a.kind != SV_PKT ||
		    b.kind != SV_CONST) {
			t->complete = f->complete = false;
			return;
		}
		if (eq)
			split_eq(off, st, a, b.c, t, f);
		else
			split_eq(off, st, a, b.c, f, t);
		return;
	}
	case FT_COND_NOT:
		split_cond(w, st, cd.l, f, t);
		return;
	case FT_COND_AND:
	case FT_COND_OR: {
		struct alts lt, lf;
		bool and = cd.kind == FT_COND_AND;
		struct alts *go, *stay; /* the side that needs r, the side decided by l */

		split_cond(w, st, cd.l, &lt, &lf);
		go = and ? &lt : &lf;
		stay = and ? &lf : &lt;
		for (uint32_t i = 0; i < stay->n; i++)
			alts_push(and ? f : t, stay->s[i]);
		(and ? f : t)->complete = stay->complete && go->complete;
		(and ? t : f)->complete = go->complete;
		for (uint32_t i = 0; i < go->n; i++) {
			struct alts rt, rf;

			split_cond(w, go->s[i], cd.r, &rt, &rf);
			t->complete &= rt.complete;
			f->complete &= rf.complete;
			for (uint32_t j = 0; j < rt.n; j++)
				alts_push(t, rt.s[j]);
			for (uint32_t j = 0; j < rf.n; j++)
				alts_push(f, rf.s[j]);
			free(go->s[i]);
		}
		return;
	}
	}
}

/* --- Rules ----------------------------------------------------------------- */

static struct crule *
rule_new(struct walk *w, const struct sstate *st, uint32_t depth)
{
	struct ft_offload *off = w->off;
	struct crule *r;

	off->made = grow(off->made, &off->cap_made, off->n_made + 1, sizeof(*r));
	off->rules = grow(off->rules, &off->cap_rules, off->n_rules + 1, sizeof(off->rules[0]));
	if (off->made == NULL || off->rules == NULL) {
		off->error = -ENOMEM;
		return NULL;
	}
	r = &off->made[off->n_made];
	memset(r, 0, sizeof(*r));
	r->port = w->port;
	r->group = w->group;
	/* Priority 0 is for the exceptions of a port's first group. */
	r->prio = w->prio_base + 1 + (MAX_DEPTH - (depth > MAX_DEPTH ? MAX_DEPTH : depth));
	r->drop_reason = FT_DROP_NONE;
	/* The pattern: the layers known present, in order, with their bytes. */
	if (st != NULL) {
		uint8_t buf[FT_L_COUNT * 2 * LAYER_BYTES];
		uint32_t nb = 0;

		for (int l = 0; l < FT_L_COUNT && r->n_items < 12; l++) {
			struct lcons *c = NULL;
			uint32_t size = layer_size((enum ft_layer)l);
			struct citem *it;

			/* Present layers with an item (ARP, ICMP: their carrier says so). */
			if ((st->lay[l] != L_YES && l != FT_L_ETH) ||
			    layer_item((enum ft_layer)l) == RTE_FLOW_ITEM_TYPE_END)
				continue;
			for (uint32_t i = 0; i < st->n_cons; i++)
				if (st->cons[i].layer == l)
					c = (struct lcons *)&st->cons[i];
			it = &r->items[r->n_items++];
			it->type = (uint8_t)layer_item((enum ft_layer)l);
			it->layer = (uint8_t)l;
			if (c != NULL || ft_layer_proto((enum ft_layer)l) == FT_PROTO_ETH) {
				it->off = (uint16_t)nb;
				it->size = (uint8_t)size;
				memset(buf + nb, 0, 2 * size);
				if (c != NULL) {
					memcpy(buf + nb, c->spec, size);
					memcpy(buf + nb + size, c->mask, size);
				}
				nb += 2 * size;
			}
		}
		if ((r->bytes = malloc(nb ? nb : 1)) == NULL) {
			off->error = -ENOMEM;
			return NULL;
		}
		memcpy(r->bytes, buf, nb);
		r->n_bytes = (uint16_t)nb;
		off->bytes += nb;
		/* Each Ethernet item says whether a VLAN tag follows, when that is known. */
		for (uint32_t i = 0; i < r->n_items; i++)
			if (r->items[i].layer == FT_L_ETH || r->items[i].layer == FT_L_IN_ETH)
				r->items[i].vlan = r->items[i].layer == FT_L_ETH ? st->lay[FT_L_VLAN0]
										  : st->lay[FT_L_IN_VLAN0];
	} else {
		r->bytes = NULL;
	}
	off->rules[off->n_rules++] = (struct rref){.t = off->n_made++, .e = RREF_SELF};
	return r;
}

static void
rule_act(struct crule *r, enum rte_flow_action_type t, uint32_t arg)
{
	if (r->n_acts < 10)
		r->acts[r->n_acts++] = (struct cact){.type = (uint8_t)t, .arg = arg};
}

static int
rule_count(struct ft_offload *off, struct crule *r, const struct sstate *st)
{
	if (st->n_targets == 0)
		return 0;
	if ((r->targets = calloc(st->n_targets, sizeof(*r->targets))) == NULL)
		return off->error = -ENOMEM;
	for (uint32_t i = 0; i < st->n_targets; i++)
		r->targets[i] = (struct ft_rule_target){
			.kind = st->targets[i].kind, .id = st->targets[i].id,
			.index = st->targets[i].index, .bytes_delta = st->targets[i].delta};
	r->n_targets = st->n_targets;
	off->bytes += st->n_targets * sizeof(*r->targets);
	rule_act(r, RTE_FLOW_ACTION_TYPE_COUNT, 0);
	return 0;
}

/* --- Restore contexts ------------------------------------------------------ */

static bool
steps_equal(const struct ft_offload *off, const struct ft_resume_step *a,
	    const struct ft_resume_step *b, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		int size = ft_program_action_data_size(off->prog, a[k].action);

		if (a[k].action != b[k].action || (a[k].data == NULL) != (b[k].data == NULL) ||
		    (a[k].data != NULL && size > 0 && memcmp(a[k].data, b[k].data, (size_t)size) != 0))
			return false;
	}
	return true;
}

static uint32_t
ctx_get(struct ft_offload *off, enum ft_restore_kind kind, uint32_t port, uint32_t node,
	const struct ft_resume_step *steps, uint32_t n_steps, const char *reason)
{
	uint64_t h = ((uint64_t)kind << 60) ^ ((uint64_t)port << 32) ^ node ^
		     (uint64_t)(uintptr_t)reason;
	uint32_t i, m;
	struct ctx *c;

	/* By content: entry data are copied anew by every compile (MARK ids stay). */
	for (uint32_t k = 0; k < n_steps; k++)
		h = XXH3_64bits_withSeed(&steps[k].action, sizeof(steps[k].action),
					 h ^ data_hash(off, steps[k].action, steps[k].data));

	if (off->n_ctxs * 2 >= off->cindex_size) {
		uint32_t size = off->cindex_size ? off->cindex_size * 2 : 1024;
		uint32_t *ix = calloc(size, sizeof(*ix));

		if (ix == NULL)
			goto nomem;
		for (uint32_t k = 0; k < off->n_ctxs; k++) {
			for (i = (uint32_t)off->ctxs[k].hash & (size - 1); ix[i]; i = (i + 1) & (size - 1))
				;
			ix[i] = k + 1;
		}
		free(off->cindex);
		off->cindex = ix;
		off->cindex_size = size;
	}
	m = off->cindex_size - 1;
	for (i = (uint32_t)h & m; off->cindex[i]; i = (i + 1) & m) {
		c = &off->ctxs[off->cindex[i] - 1];
		if (c->hash == h && c->r.kind == kind && c->r.port == port &&
		    c->r.resume.node == node && c->r.resume.n_steps == n_steps &&
		    c->r.reason == reason && steps_equal(off, c->steps, steps, n_steps))
			return c->id;
	}
	off->ctxs = grow(off->ctxs, &off->cap_ctxs, off->n_ctxs + 1, sizeof(*c));
	if (off->ctxs == NULL)
		goto nomem;
	c = &off->ctxs[off->n_ctxs];
	/* The steps and their data, copied: the context outlives this compile's entries. */
	{
		size_t bytes = n_steps * sizeof(*steps);
		uint8_t *d;

		for (uint32_t k = 0; k < n_steps; k++)
			if (steps[k].data != NULL)
				bytes += (size_t)ft_program_action_data_size(off->prog, steps[k].action);
		c->steps = NULL;
		if (n_steps && (c->steps = malloc(bytes)) == NULL)
			goto nomem;
		if (n_steps)
			memcpy(c->steps, steps, n_steps * sizeof(*steps));
		d = (uint8_t *)(c->steps + n_steps);
		for (uint32_t k = 0; k < n_steps; k++) {
			int size = steps[k].data != NULL
					   ? ft_program_action_data_size(off->prog, steps[k].action)
					   : 0;

			if (size > 0) {
				memcpy(d, steps[k].data, (size_t)size);
				c->steps[k].data = d;
				d += size;
			}
		}
		off->bytes += bytes - n_steps * sizeof(*steps);
	}
	c->hash = h;
	if ((c->id = idmap_get(&off->mids, h, 0, 1, off->prof->mark_max + 1)) == 0) {
		free(c->steps);
		off->error = -ENOSPC;
		return 0;
	}
	c->r = (struct ft_restore){.kind = kind, .port = port, .reason = reason,
				   .resume = {.node = node, .steps = c->steps, .n_steps = n_steps}};
	off->bytes += sizeof(*c) + n_steps * sizeof(*steps);
	off->cindex[i] = ++off->n_ctxs;
	return c->id;
nomem:
	off->error = -ENOMEM;
	return 0;
}

/* The fate that reaches software: queue 0, or in transfer the port's representor. */
static void
to_software(const struct ft_offload *off, struct crule *r)
{
	if (off->prof->domain == FT_NIC_DOMAIN_TRANSFER)
		rule_act(r, RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR, r->port);
	else
		rule_act(r, RTE_FLOW_ACTION_TYPE_QUEUE, 0);
}

/*
 * A rule that hands the packet to software, which resumes at 'node' after
 * replaying src's steps; the rule counts what src's targets stand for.
 */
static void
handoff(struct walk *w, const struct sstate *st, uint32_t depth, uint32_t node,
	const struct sstate *src, const char *reason)
{
	struct ft_offload *off = w->off;
	uint32_t mark = ctx_get(off, FT_RESTORE_RESUME, w->port, node, src->steps, src->n_steps,
				reason);
	struct crule *r;

	if (mark == 0 || (r = rule_new(w, st, depth)) == NULL)
		return;
	rule_count(off, r, src);
	rule_act(r, RTE_FLOW_ACTION_TYPE_MARK, mark);
	to_software(off, r);
	if (w->n_sw != NULL) {
		(*w->n_sw)++;
		if (*w->reason == NULL)
			*w->reason = reason;
	}
}

/* --- Groups ---------------------------------------------------------------- */

/* The group a state enters, created (and queued to be filled) on first use. */
static uint32_t
group_get(struct walk *w, const struct sstate *st)
{
	struct ft_offload *off = w->off;
	struct sstate key;
	uint64_t h;
	uint32_t i, m;
	struct group *g;

	/* What matters from here on: live metadata, layers, headers, fate; not the path. */
	memset(&key, 0, sizeof(key));
	key.node = st->node;
	memcpy(key.lay, st->lay, sizeof(key.lay));
	memcpy(key.hset, st->hset, sizeof(key.hset));
	memcpy(key.hsrc, st->hsrc, sizeof(key.hsrc));
	/* Member by member: the bytes hashed include no padding of the state's. */
	key.n_ovr = st->n_ovr;
	for (i = 0; i < st->n_ovr; i++) {
		key.ovr[i].hdr = st->ovr[i].hdr;
		key.ovr[i].field = st->ovr[i].field;
		sv_put(&key.ovr[i].v, &st->ovr[i].v);
	}
	key.fate = st->fate;
	sv_put(&key.out_port, &st->out_port);
	key.fate_action = st->fate_action;
	for (uint32_t k = 0; k < off->info.n_metadata; k++)
		if (is_live(off, FT_CTL_INGRESS, st->node, k))
			sv_put(&key.meta[k], &st->meta[k]);
	h = XXH3_64bits(&key, sizeof(key)) ^ w->port;
	if (off->n_groups * 2 >= off->gindex_size) {
		uint32_t size = off->gindex_size ? off->gindex_size * 2 : 256;
		uint32_t *ix = calloc(size, sizeof(*ix));

		if (ix == NULL)
			goto nomem;
		for (uint32_t k = 0; k < off->n_groups; k++) {
			for (i = (uint32_t)off->groups[k].hash & (size - 1); ix[i]; i = (i + 1) & (size - 1))
				;
			ix[i] = k + 1;
		}
		free(off->gindex);
		off->gindex = ix;
		off->gindex_size = size;
	}
	m = off->gindex_size - 1;
	for (i = (uint32_t)h & m; off->gindex[i]; i = (i + 1) & m) {
		g = &off->groups[off->gindex[i] - 1];
		if (g->hash == h && g->port == w->port)
			return g->id;
	}
	off->groups = grow(off->groups, &off->cap_groups, off->n_groups + 1, sizeof(*g));
	off->work = grow(off->work, &off->cap_work, off->n_work + 1, sizeof(uint32_t));
	if (off->groups == NULL || off->work == NULL)
		goto nomem;
	g = &off->groups[off->n_groups];
	g->hash = h;
	g->port = w->port;
	/* Group 0 is the classifier; each group entrance (node) has its range. */
	{
		uint32_t r = off->range_of_node[st->node == FT_NODE_END ? off->info.n_nodes[FT_CTL_INGRESS]
									: st->node];
		uint32_t lo = 1 + r * off->range_size;

		if ((g->id = idmap_get(&off->gids, h, r, lo, lo + off->range_size)) == 0) {
			off->error = -ENOSPC;
			return 0;
		}
	}
	if ((g->entry = st_dup(st)) == NULL)
		goto nomem;
	g->entry->n_cons = 0;
	g->entry->n_targets = 0;
	g->entry->watch = NULL;
	off->bytes += sizeof(*g) + sizeof(struct sstate);
	off->gindex[i] = ++off->n_groups;
	off->work[off->n_work++] = off->n_groups;
	return g->id;
nomem:
	off->error = -ENOMEM;
	return 0;
}

/* --- Tables ---------------------------------------------------------------- */

/* The bytes of the fields of 'key' picked by 'mask', concatenated into 'out'; their length. */
static uint32_t
key_pick(const struct stable *tb, const uint8_t *key, uint32_t mask, uint8_t *out)
{
	uint32_t n = 0;

	for (uint32_t j = 0; j < tb->decl.n_keys; j++)
		if (mask & (1u << j)) {
			uint32_t nb = tb->key_off[j + 1] - tb->key_off[j];

			memcpy(out + n, key + tb->key_off[j], nb);
			n += nb;
		}
	return n;
}

/* The class of entries whose fields in 'mask' have the bytes k[0, n); 0: none. */
static uint32_t
class_find(const struct stable *tb, uint32_t mask, uint32_t h, const uint8_t *k, uint32_t n)
{
	uint8_t ek[FT_KEY_BYTES_MAX];
	uint32_t c;

	for (c = tb->idx_head[h]; c != 0; c = tb->cls_next[c]) {
		key_pick(tb, tb->e[tb->cls_head[c] - 1].key, mask, ek);
		if (memcmp(k, ek, n) == 0)
			break;
	}
	return c;
}

/* Indexes table t's entries by the fields in 'mask' (the last mask asked for). */
static bool
index_build(struct ft_offload *off, struct stable *tb, uint32_t mask)
{
	uint32_t n_cls = 0;

	if (tb->idx_head != NULL && tb->idx_mask == mask)
		return true;
	free(tb->idx_head);
	free(tb->idx_next);
	free(tb->cls_head);
	free(tb->cls_next);
	tb->idx_size = 1;
	while (tb->idx_size < tb->n * 2 + 2)
		tb->idx_size *= 2;
	tb->idx_head = calloc(tb->idx_size, sizeof(uint32_t));
	tb->idx_next = calloc(tb->n + 1, sizeof(uint32_t));
	tb->cls_head = calloc(tb->n + 1, sizeof(uint32_t));
	tb->cls_next = calloc(tb->n + 1, sizeof(uint32_t));
	if (tb->idx_head == NULL || tb->idx_next == NULL || tb->cls_head == NULL ||
	    tb->cls_next == NULL) {
		free(tb->idx_head);
		tb->idx_head = NULL;
		off->error = -ENOMEM;
		return false;
	}
	tb->idx_mask = mask;
	for (uint32_t i = 0; i < tb->n; i++) {
		uint8_t k[FT_KEY_BYTES_MAX];
		uint32_t n = key_pick(tb, tb->e[i].key, mask, k);
		uint32_t h = (uint32_t)XXH3_64bits(k, n) & (tb->idx_size - 1);
		uint32_t c = class_find(tb, mask, h, k, n);

		if (c == 0) {
			c = ++n_cls;
			tb->cls_next[c] = tb->idx_head[h];
			tb->idx_head[h] = c;
		}
		/* Latest first, as the entries are visited. */
		tb->idx_next[i + 1] = tb->cls_head[c];
		tb->cls_head[c] = i + 1;
	}
	return true;
}

/* Calls fn on every entry of table t whose fields in 'mask' equal those of 'key'. */
static void
table_each(struct ft_offload *off, uint32_t t, const uint8_t *key, uint32_t mask,
	   void (*fn)(void *arg, struct sentry *e), void *arg)
{
	struct stable *tb = &off->tables[t];
	uint8_t k[FT_KEY_BYTES_MAX];
	uint32_t n, c;

	if (!index_build(off, tb, mask))
		return;
	n = key_pick(tb, key, mask, k);
	c = class_find(tb, mask, (uint32_t)XXH3_64bits(k, n) & (tb->idx_size - 1), k, n);
	for (uint32_t i = c != 0 ? tb->cls_head[c] : 0; i != 0; i = tb->idx_next[i])
		fn(arg, &tb->e[i - 1]);
}

static void
found(void *arg, struct sentry *e)
{
	*(struct sentry **)arg = e;
}

/*
 * An lpm or ternary lookup of a key known at compile time, as the model
 * does it: the longest prefix, or the largest priority, wins. False when
 * two ternary entries of the largest matching priority both match (the
 * model's choice between them is its own).
 */
static bool
match_static(const struct stable *tb, const uint8_t *key, struct sentry **hit)
{
	uint32_t best = 0;
	bool tie = false;

	*hit = NULL;
	for (uint32_t i = 0; i < tb->n; i++) {
		const struct sentry *e = &tb->e[i];
		uint32_t rank = 0;
		uint32_t k;

		for (k = 0; k < tb->key_size; k++) {
			uint8_t m = e->mask ? e->mask[k] : 0xff;

			if ((key[k] & m) != (e->key[k] & m))
				break;
			rank += (uint32_t)__builtin_popcount(m);
		}
		if (k < tb->key_size)
			continue;
		for (uint32_t j = 0; j < tb->decl.n_keys; j++)
			if (tb->decl.keys[j].match == FT_MATCH_TERNARY)
				rank = e->priority;
		if (*hit == NULL || rank > best) {
			*hit = (struct sentry *)e;
			best = rank;
			tie = false;
		} else if (rank == best) {
			tie = true;
		}
	}
	return !tie;
}

/* The key of table t under st: constants into 'key' (bit j of *cmask), the rest per field. */
static bool
key_eval(struct walk *w, const struct sstate *st, uint32_t t, uint8_t *key, uint32_t *cmask,
	 struct sval *vals, const char **why)
{
	struct ft_offload *off = w->off;
	struct stable *tb = &off->tables[t];
	struct actx ax = {.w = w, .st = (struct sstate *)st, .action = UINT32_MAX};

	*cmask = 0;
	memset(key, 0, tb->key_size);
	for (uint32_t j = 0; j < tb->decl.n_keys; j++) {
		struct sval v = rd(&ax, &tb->decl.keys[j].ref);
		uint32_t nb = tb->key_off[j + 1] - tb->key_off[j];
		char name[64];

		vals[j] = v;
		if (v.kind == SV_CONST) {
			for (uint32_t b = 0; b < nb && b < 8; b++)
				key[tb->key_off[j] + nb - 1 - b] = (uint8_t)(v.c >> (8 * b));
			*cmask |= 1u << j;
			continue;
		}
		ft_program_ref_name(off->prog, &tb->decl.keys[j].ref, name, sizeof(name));
		if (v.kind != SV_PKT || !layer_matchable(off, (enum ft_layer)v.layer)) {
			*why = intern(off, "table '%s': key %s is not a packet field the NIC can "
					   "match",
				      tb->decl.name, name);
			return false;
		}
		if (tb->decl.keys[j].match != FT_MATCH_EXACT) {
			*why = intern(off, "table '%s': %s match on %s is not offloaded", tb->decl.name,
				      tb->decl.keys[j].match == FT_MATCH_LPM ? "lpm" : "ternary",
				      name);
			return false;
		}
	}
	return true;
}

/* --- The walk -------------------------------------------------------------- */

static void walk(struct walk *w, struct sstate *st, uint32_t depth);

/* Where software resumes when the NIC stops at 'st': ingress node, or END for egress. */
static uint32_t
resume_node(const struct walk *w, const struct sstate *st)
{
	return w->ctl == FT_CTL_INGRESS ? st->node : FT_NODE_END;
}

static const struct sstate *
steps_of(const struct walk *w, const struct sstate *st)
{
	return w->ctl == FT_CTL_INGRESS ? st : w->ing;
}

/* The headers the deparser emits, in order; false if one may or may not be. */
static bool
ovr_has(const struct sstate *st, uint32_t h)
{
	for (uint32_t i = 0; i < st->n_ovr; i++)
		if (st->ovr[i].hdr == h)
			return true;
	return false;
}

static bool
emitted(const struct ft_offload *off, const struct sstate *st, uint32_t *out, uint32_t *n)
{
	uint32_t ne;
	const uint32_t *emit = ft_program_emit(off->prog, &ne);

	*n = 0;
	for (uint32_t i = 0; i < ne; i++) {
		uint8_t v = hvalid(st, emit[i]);

		/*
		 * A received header that may be there and that nothing changed
		 * leaves as it came, as a header or as payload alike.
		 */
		if (v == HV_MAYBE && st->hsrc[emit[i]] != -1 && !ovr_has(st, emit[i]))
			continue;
		if (v == HV_MAYBE)
			return false;
		if (v == HV_YES)
			out[(*n)++] = emit[i];
	}
	return true;
}

/*
 * The NIC's actions that turn the received packet into the one 'st' sends:
 * VXLAN_DECAP, VLAN pop/push/set, MAC rewrite. Returns NULL and fills 'acts'
 * (at most 8), or why it cannot.
 */
static bool
sv_equal(struct sval a, struct sval b)
{
	return a.kind == b.kind && a.bits == b.bits &&
	       (a.kind == SV_CONST ? a.c == b.c
		: a.kind == SV_PKT ? a.layer == b.layer && a.off == b.off
				   : false);
}

/* --- Encapsulation --------------------------------------------------------- */

/*
 * The header bytes of a VXLAN encapsulation: the 'n' headers hs[] that
 * actions made valid in front of the frame, ETH [VLAN] IPV4|IPV6 UDP
 * VXLAN. Their fields are the rule's constants, but for what the NIC
 * computes per packet (driver/sim's do_encap(), as mlx5): the IP length
 * and the IPv4 checksum, the UDP length, and the UDP source port when the
 * program writes a target-defined hash there (left 0: the NIC writes its
 * entropy). The UDP checksum must be 0: the NIC cannot compute it. The
 * frame inside is 'inner' bytes longer than the one received. Returns
 * NULL and the header in b[0 .. *size), or why not.
 */
static const char *
encap_header(struct walk *w, const struct sstate *st, const uint32_t *hs, uint32_t n, int inner,
	     uint8_t *b, uint32_t *size)
{
	struct ft_offload *off = w->off;
	struct actx ax = {.w = w, .st = (struct sstate *)st, .action = UINT32_MAX};
	uint32_t at[FT_HEADERS_MAX + 1], l3 = 0, l4 = 0, total = 0;
	enum ft_proto proto[FT_HEADERS_MAX];
	int state = 0; /* of ETH [VLAN [VLAN]] IP UDP VXLAN: what came last */
	bool entropy = false;

	for (uint32_t i = 0; i < n; i++) {
		struct ft_header_info hi;
		enum ft_proto p;

		ft_program_header(off->prog, hs[i], &hi);
		p = proto[i] = hi.proto;
		if (state == 0 && p == FT_PROTO_ETH)
			state = 1;
		else if ((state == 1 || state == 2) && p == FT_PROTO_VLAN)
			state++;
		else if (state >= 1 && state <= 3 && (p == FT_PROTO_IPV4 || p == FT_PROTO_IPV6))
			state = 4, l3 = total;
		else if (state == 4 && p == FT_PROTO_UDP)
			state = 5, l4 = total;
		else if (state == 5 && p == FT_PROTO_VXLAN)
			state = 6;
		else
			return "adds headers other than a VXLAN encapsulation (ETH [VLAN] IPV4|IPV6 "
			       "UDP VXLAN)";
		at[i] = total;
		total += hi.bytes;
		if (total > ENCAP_MAX)
			return "adds too many headers";
	}
	if (state != 6)
		return "adds headers other than a VXLAN encapsulation (ETH [VLAN] IPV4|IPV6 UDP "
		       "VXLAN)";
	if (total > off->prof->encap_max)
		return intern(off, "encapsulates with %u bytes: the profile's limit is %u", total,
			      off->prof->encap_max);
	memset(b, 0, total);
	for (uint32_t i = 0; i < n; i++) {
		const struct fpos *f = off->fields[hs[i]];

		for (uint32_t k = 0; f[k].bits != 0; k++) {
			struct ft_ref r = ft_ref_field(hs[i], k);
			struct sval v = rd(&ax, &r);
			uint32_t o = f[k].off, bits = f[k].bits;
			uint64_t pinned;
			int64_t len = -1; /* the length the NIC writes here, less the received one */
			char name[64];

			ft_program_ref_name(off->prog, &r, name, sizeof(name));
			if ((proto[i] == FT_PROTO_IPV4 && o == 16 && bits == 16) ||
			    (proto[i] == FT_PROTO_UDP && o == 32 && bits == 16))
				len = total - at[i] + inner;
			else if (proto[i] == FT_PROTO_IPV6 && o == 32 && bits == 16)
				len = total - at[i] - 40 + inner;
			if (len >= 0) {
				if (v.kind != SV_LEN || (((int64_t)v.c - len) & 0xffff) != 0)
					return intern(off, "encapsulates: %s is not the length the "
							   "NIC writes",
						      name);
			} else if (proto[i] == FT_PROTO_IPV4 && o == 80 && bits == 16) {
				if (v.kind != SV_CSUM || v.layer != hs[i] ||
				    v.c != header_hash(&ax, hs[i], k))
					return intern(off, "encapsulates: %s is not the checksum the "
							   "NIC computes",
						      name);
			} else if (proto[i] == FT_PROTO_UDP && o == 0 && bits == 16 &&
				   v.kind == SV_TDEF) {
				entropy = true; /* 0: the NIC writes its entropy */
			} else if (v.kind == SV_PKT &&
				   cons_pinned(ax.st, (enum ft_layer)v.layer, v.off, v.bits, &pinned)) {
				v = sv_const(pinned, bits); /* copied from bits the pattern fixes */
			} else if (v.kind != SV_CONST) {
				return intern(off, "encapsulates: %s is not a constant of the rule",
					      name);
			}
			if (len < 0 && v.kind == SV_CONST) {
				uint8_t v16[16] = {0};

				for (int c = 0; c < 8; c++)
					v16[15 - c] = (uint8_t)(v.c >> (8 * c));
				bits_put(b + at[i], o, bits, v16);
			}
		}
	}
	/* What the NIC does with what is 0 (or must be). */
	for (uint32_t i = 0; i + 1 < n && proto[i] != FT_PROTO_IPV4 && proto[i] != FT_PROTO_IPV6;
	     i++) {
		const uint8_t *t = b + at[i + 1] - 2; /* the EtherType that names header i + 1 */
		uint32_t type = (uint32_t)t[0] << 8 | t[1];

		if (proto[i + 1] == FT_PROTO_VLAN ? type != 0x8100 && type != 0x88a8
		    : proto[i + 1] == FT_PROTO_IPV4 ? type != 0x0800
						    : type != 0x86dd)
			return "encapsulates: an EtherType does not name the header after it";
	}
	{
		const uint8_t *ip = b + l3, *udp = b + l4, *vx = b + l4 + 8;

		if (l4 - l3 == 40 ? (ip[0] >> 4) != 6 || ip[6] != 17 || ip[7] == 0
				  : ip[0] != 0x45 || ip[8] == 0 || ip[9] != 17)
			return "encapsulates: an IP header the NIC would complete (version, length, "
			       "TTL 0, or protocol not UDP)";
		if ((udp[0] | udp[1]) == 0 && !entropy)
			return "encapsulates with UDP source port 0: the NIC would write its own";
		if ((udp[2] | udp[3]) == 0 || vx[0] == 0)
			return "encapsulates with UDP destination port 0 or VXLAN flags 0: the NIC "
			       "would fill them";
		if ((udp[6] | udp[7]) != 0)
			return "encapsulates with a UDP checksum: the NIC cannot compute it";
	}
	*size = total;
	return NULL;
}

/*
 * The rte_flow actions that turn the received packet into the one 'st'
 * sends, in the profile's stage order: a VXLAN decap, a VLAN tag removed,
 * a tag pushed on the frame, new Ethernet addresses. NULL, or why not.
 */
static const char *
rewrite(struct walk *w, const struct sstate *st, struct cact *acts, uint32_t *n_acts)
{
	struct ft_offload *off = w->off;
	uint32_t all[FT_HEADERS_MAX], n_all, n_added = 0, nh, j = 0, n_mac = 0;
	const uint32_t *hs; /* the headers of the frame: all[n_added ..] */
	int first = -1;	   /* first layer of the received packet that leaves */
	int pushed = -1;   /* a new VLAN header right after the first Ethernet */
	bool popped = false;
	struct cact mac[2];
	struct sval eth_type = {.kind = SV_UNKNOWN}, tag_type = {.kind = SV_UNKNOWN};
	uint64_t vid = 0, pcp = 0, dei = 0;
	bool has_vid = false, has_pcp = false, has_dei = false;
	enum ft_layer v0;

	*n_acts = 0;
	if (!emitted(off, st, all, &n_all))
		return "a header may or may not leave";
	/* Headers actions made valid in front of the frame: an encapsulation. */
	while (n_added < n_all && st->hsrc[all[n_added]] < 0)
		n_added++;
	hs = all + n_added;
	nh = n_all - n_added;
	for (uint32_t i = 0; i < nh; i++) {
		struct ft_header_info hi;

		if (st->hsrc[hs[i]] >= 0) {
			if (first < 0)
				first = st->hsrc[hs[i]];
			continue;
		}
		ft_program_header(off->prog, hs[i], &hi);
		if (i != 1 || hi.proto != FT_PROTO_VLAN || first < 0 ||
		    ft_layer_proto((enum ft_layer)first) != FT_PROTO_ETH)
			return "adds headers inside the frame";
		pushed = (int)hs[i];
	}
	if (first < 0)
		return "sends no header";
	if (first != FT_L_ETH && first != FT_L_IN_ETH)
		return "removes headers other than a VXLAN tunnel";
	v0 = first == FT_L_ETH ? FT_L_VLAN0 : FT_L_IN_VLAN0;
	/* Layers of the received packet, in order, from 'first' on, leave; the first tag may not. */
	for (int l = first; l < FT_L_COUNT; l++) {
		if (st->lay[l] != L_YES)
			continue;
		while (j < nh && (int)hs[j] == pushed)
			j++;
		if (j < nh && st->hsrc[hs[j]] == l) {
			j++;
			continue;
		}
		if (l == (int)v0 && st->lay[v0 + 1] == L_NO) {
			popped = true;
			continue;
		}
		return "rewrites the packet's headers in a way no rte_flow action does";
	}
	while (j < nh && (int)hs[j] == pushed)
		j++;
	if (j != nh)
		return "sends headers the pattern does not describe";
	/* Field changes: Ethernet addresses, the EtherType of a tag change, the new tag. */
	for (uint32_t i = 0; i < st->n_ovr; i++) {
		const struct ovr *o = &st->ovr[i];
		uint32_t bitoff, bits = field_bits(off, o->hdr, o->field, &bitoff);
		enum ft_layer l;

		if (hvalid(st, o->hdr) != HV_YES)
			continue;
		if (st->hsrc[o->hdr] < 0 && (int)o->hdr != pushed)
			continue; /* an added header: encap_header() */
		if ((int)o->hdr == pushed) {
			uint64_t c = o->v.c;

			if (bitoff == 16 && bits == 16) {
				tag_type = o->v;
				continue;
			}
			if (o->v.kind != SV_CONST)
				return "pushes a VLAN tag whose fields the packet decides";
			if (bitoff == 0 && bits == 3)
				pcp = c, has_pcp = true;
			else if (bitoff == 3 && bits == 1)
				dei = c, has_dei = true;
			else if (bitoff == 4 && bits == 12)
				vid = c, has_vid = true;
			else
				return "pushes a VLAN tag: unexpected field";
			continue;
		}
		l = (enum ft_layer)st->hsrc[o->hdr];
		if (o->v.kind == SV_PKT && o->v.layer == l && o->v.off == bitoff && o->v.bits == bits)
			continue; /* written with itself */
		if ((int)l == first && bitoff == 96 && bits == 16) {
			eth_type = o->v;
			continue;
		}
		if ((int)l == first && bits == 48 && (bitoff == 0 || bitoff == 48) &&
		    o->v.kind == SV_CONST) {
			enum rte_flow_action_type t = bitoff == 0 ? RTE_FLOW_ACTION_TYPE_SET_MAC_DST
								  : RTE_FLOW_ACTION_TYPE_SET_MAC_SRC;
			struct cact a = {.type = (uint8_t)t};

			if (!ft_nic_profile_has_action(off->prof, t))
				return "rewrites a MAC address: no SET_MAC_* in the profile";
			for (int b = 0; b < 6; b++)
				a.mac[b] = (uint8_t)(o->v.c >> (8 * (5 - b)));
			if (n_mac < 2)
				mac[n_mac++] = a;
			continue;
		}
		return "rewrites a header field no rte_flow action of the profile sets";
	}
	/* What the EtherTypes must say: the frame's own type moves into a pushed tag, a
	 * removed tag's type into the Ethernet header. */
	{
		struct sval inner_type = popped ? (struct sval){.kind = SV_PKT, .layer = (uint8_t)v0,
								 .off = 16, .bits = 16}
						: (struct sval){.kind = SV_PKT, .layer = (uint8_t)first,
								 .off = 96, .bits = 16};

		if (pushed >= 0) {
			if (!has_vid || !has_pcp || (has_dei && dei != 0) ||
			    !sv_equal(tag_type, inner_type) || eth_type.kind != SV_CONST ||
			    (eth_type.c != 0x8100 && eth_type.c != 0x88a8))
				return "pushes a VLAN tag other than OF_PUSH_VLAN does";
			if (!popped && st->lay[v0] != L_NO)
				return "pushes a VLAN tag over another";
		} else if (popped && !sv_equal(eth_type, inner_type)) {
			return "removes a VLAN tag but not its EtherType";
		} else if (!popped && eth_type.kind != SV_UNKNOWN) {
			return "rewrites the EtherType";
		}
	}
	if (first == FT_L_IN_ETH) {
		if (st->lay[FT_L_IPV4] != L_YES && st->lay[FT_L_IPV6] != L_YES)
			return "decapsulates a packet the pattern does not describe";
		if (!ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_VXLAN_DECAP))
			return "VXLAN_DECAP: not in the profile";
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_VXLAN_DECAP};
	}
	if (popped) {
		if (!ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_OF_POP_VLAN))
			return "removes a VLAN tag: no OF_POP_VLAN in the profile";
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_OF_POP_VLAN};
	}
	if (pushed >= 0) {
		if (!ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN) ||
		    !ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID) ||
		    !ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP))
			return "pushes a VLAN tag: no OF_PUSH_VLAN in the profile";
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN,
						  .arg = (uint32_t)eth_type.c};
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID,
						  .arg = (uint32_t)vid};
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP,
						  .arg = (uint32_t)pcp};
	}
	for (uint32_t i = 0; i < n_mac; i++)
		acts[(*n_acts)++] = mac[i];
	if (n_added > 0) {
		uint8_t b[ENCAP_MAX];
		uint32_t size = 0;
		const char *why;

		if (first != FT_L_ETH)
			return "decapsulates and encapsulates again";
		if (pushed >= 0)
			return "pushes a VLAN tag on a frame it encapsulates";
		if ((why = encap_header(w, st, all, n_added, popped ? -4 : 0, b, &size)) != NULL)
			return why;
		if (!ft_nic_profile_has_action(off->prof, RTE_FLOW_ACTION_TYPE_RAW_ENCAP))
			return "encapsulates: no RAW_ENCAP in the profile";
		acts[(*n_acts)++] = (struct cact){.type = RTE_FLOW_ACTION_TYPE_RAW_ENCAP,
						  .arg = encap_intern(off, b, size)};
	}
	return NULL;
}

/*
 * The egress control sees what ingress emits parsed again (the model's
 * egress()): after a decap the inner layers are the outer ones, after a
 * tag is removed the layers below it move up. The header values are still
 * the received packet's (hsrc), with the changes ingress made carried over;
 * the metadata stay. Egress counts the emitted length: 'delta' bytes
 * less than the NIC's count. Nested VXLAN (an inner UDP to a VXLAN port,
 * which egress would parse) never gets here: the port's first group sends
 * it to software (ft_offload_compile()).
 */
/*
 * The received layer that header layer L of the re-parsed packet reads:
 * L + d, one tag up after a pop; -1 when it is certainly not there (the
 * pattern says there is no tag), -2 when it may be: a layer the ingress
 * parser never looked at, or anything past a decapsulated frame.
 */
static int
egress_src(const struct ft_offload *off, const struct sstate *st, enum ft_layer L, int d,
	   bool popped)
{
	int l;

	if (L == FT_L_NONE)
		return -1;
	if (d > 0 && L >= FT_L_VXLAN)
		return -2;
	l = (int)L + d;
	if (popped && L == FT_L_VLAN0)
		l = FT_L_VLAN1;
	else if (popped && L == FT_L_VLAN1)
		return -2;
	if (ft_layer_proto((enum ft_layer)l) == FT_PROTO_VLAN) {
		enum ft_layer eth = l >= FT_L_IN_ETH ? FT_L_IN_ETH : FT_L_ETH;

		/* The Ethernet item says has_vlan 0. */
		if (st->lay[eth] == L_YES && st->lay[eth + 1] == L_NO)
			return -1;
	}
	if (!(off->parsed & FT_LAYER_BIT(l)))
		return -2;
	return l;
}

static void
egress_start(struct walk *w, struct sstate *st, uint32_t depth)
{
	struct ft_offload *off = w->off;
	uint32_t hs[FT_HEADERS_MAX], nh, j = 0;
	int first = -1, d, removed = 0;
	bool popped = false;
	const char *why = NULL;
	struct sstate *e;
	struct walk we = *w;

	if (!emitted(off, st, hs, &nh) || nh == 0)
		why = "a header may or may not leave";
	for (uint32_t i = 0; why == NULL && i < nh; i++)
		if (st->hsrc[hs[i]] < 0)
			why = "adds headers in ingress: not offloaded yet";
	if (why == NULL) {
		first = st->hsrc[hs[0]];
		if (first != FT_L_ETH && first != FT_L_IN_ETH)
			why = "removes headers other than a VXLAN tunnel";
	}
	for (int l = 0; why == NULL && l < FT_L_COUNT; l++) {
		uint64_t ihl;

		if (st->lay[l] != L_YES)
			continue;
		if (l < first) {
			/* A VXLAN tunnel's IPv4 header has no options (require()). */
			ihl = 5;
			if (l == FT_L_IPV4 && st->lay[FT_L_VXLAN] != L_YES &&
			    !cons_pinned(st, FT_L_IPV4, 4, 4, &ihl))
				why = "the outer IPv4 header length is not known";
			removed += l == FT_L_IPV4 ? (int)ihl * 4 : (int)layer_size((enum ft_layer)l);
		} else if (j < nh && st->hsrc[hs[j]] == l) {
			j++;
		} else if (l == FT_L_VLAN0 && first == FT_L_ETH && st->lay[FT_L_VLAN1] == L_NO) {
			popped = true;
			removed += 4;
		} else {
			why = "leaves with its headers in another order";
		}
	}
	if (why == NULL && j != nh)
		why = "sends headers the pattern does not describe";
	if (why == NULL && first == FT_L_IN_ETH && st->lay[FT_L_IN_VLAN0] != L_NO)
		why = "a tagged inner frame";
	if (why != NULL || (e = st_dup(st)) == NULL) {
		if (why != NULL)
			handoff(w, st, depth, FT_NODE_END, st, intern(off, "egress: %s", why));
		else
			off->error = -ENOMEM;
		return;
	}
	d = first - FT_L_ETH;
	for (uint32_t h = 0; h < off->info.n_headers; h++) {
		e->hset[h] = 0;
		e->hsrc[h] = (int8_t)egress_src(off, st, header_layer(off, h), d, popped);
	}
	/* Ingress's changes to headers that left, onto the headers that read them now. */
	e->n_ovr = 0;
	for (uint32_t i = 0; i < st->n_ovr; i++) {
		const struct ovr *o = &st->ovr[i];
		struct ft_header_info a, b;
		uint32_t h;

		if (hvalid(st, o->hdr) != HV_YES)
			continue;
		ft_program_header(off->prog, o->hdr, &a);
		for (h = 0; h < off->info.n_headers; h++) {
			ft_program_header(off->prog, h, &b);
			if (e->hsrc[h] == st->hsrc[o->hdr] && b.type == a.type)
				break;
		}
		if (h == off->info.n_headers) {
			free(e);
			handoff(w, st, depth, FT_NODE_END, st,
				"egress: a changed header is parsed as another one");
			return;
		}
		e->ovr[e->n_ovr++] = (struct ovr){.hdr = (uint8_t)h, .field = o->field, .v = o->v};
	}
	e->delta = (int16_t)-removed;
	e->node = off->info.n_nodes[FT_CTL_EGRESS] ? 0 : FT_NODE_END;
	we.ctl = FT_CTL_EGRESS;
	we.ing = st;
	walk(&we, e, depth);
	free(e);
}

static void finish(struct walk *w, struct sstate *st, uint32_t depth);

/*
 * A field of an added header that copies one or two bits of the packet
 * (RFC 6040: the outer ECN is the inner one) is a constant of each of the
 * rules that match those bits, one rule per value. False if there is none.
 */
static bool
split_copied(struct walk *w, struct sstate *st, uint32_t depth)
{
	for (uint32_t i = 0; i < st->n_ovr; i++) {
		struct sval v = st->ovr[i].v;
		uint64_t pinned;

		if (st->hsrc[st->ovr[i].hdr] >= 0 || hvalid(st, st->ovr[i].hdr) != HV_YES ||
		    v.kind != SV_PKT || v.bits > 2 ||
		    !layer_matchable(w->off, (enum ft_layer)v.layer) ||
		    cons_pinned(st, (enum ft_layer)v.layer, v.off, v.bits, &pinned))
			continue;
		for (uint64_t c = 0; c < (1u << v.bits) && w->off->error == 0; c++) {
			struct sstate *s = st_dup(st);

			if (s == NULL) {
				w->off->error = -ENOMEM;
				break;
			}
			if (cons_add64(s, (enum ft_layer)v.layer, v.off, v.bits, c) == 1)
				finish(w, s, depth + 1); /* encap_header() reads v as c */
			free(s);
		}
		return true;
	}
	return false;
}

/* The end of the path: the packet is dropped or sent. */
static void
finish(struct walk *w, struct sstate *st, uint32_t depth)
{
	struct ft_offload *off = w->off;
	struct cact acts[8];
	uint32_t n_acts = 0, mark = 0;
	const char *why = NULL;
	struct crule *r;

	if (st->fate == FATE_SEND && st->out_port.kind != SV_CONST) {
		why = "sends to a port read from the packet";
	} else if (st->fate == FATE_SEND && off->info.n_nodes[FT_CTL_EGRESS] > 0 &&
		   w->ctl == FT_CTL_INGRESS) {
		egress_start(w, st, depth);
		return;
	} else if (st->fate == FATE_SEND) {
		if (split_copied(w, st, depth))
			return;
		why = rewrite(w, st, acts, &n_acts);
	}
	if (why == NULL && st->fate == FATE_SEND &&
	    off->prof->domain == FT_NIC_DOMAIN_INGRESS &&
	    (mark = ctx_get(off, FT_RESTORE_OUTPUT, (uint32_t)st->out_port.c, FT_NODE_END, NULL, 0,
			    NULL)) == 0)
		return;
	if (why != NULL) {
		handoff(w, st, depth, FT_NODE_END, steps_of(w, st), intern(off, "%s", why));
		return;
	}
	if ((r = rule_new(w, st, depth)) == NULL)
		return;
	rule_count(off, r, st);
	if (mark != 0)
		rule_act(r, RTE_FLOW_ACTION_TYPE_MARK, mark);
	for (uint32_t i = 0; i < n_acts; i++)
		if (r->n_acts < 10)
			r->acts[r->n_acts++] = acts[i];
	if (st->fate == FATE_SEND) {
		if (off->prof->domain == FT_NIC_DOMAIN_TRANSFER)
			rule_act(r, RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT, (uint32_t)st->out_port.c);
		else
			rule_act(r, RTE_FLOW_ACTION_TYPE_QUEUE, 0);
	} else {
		r->drop_reason = st->fate == FATE_DROP ? FT_DROP_ACTION : FT_DROP_NO_OUTPUT;
		r->drop_action = st->fate == FATE_DROP ? st->fate_action : st->last_action;
		rule_act(r, RTE_FLOW_ACTION_TYPE_DROP, 0);
	}
	if (w->n_rules != NULL)
		(*w->n_rules)++;
}

static void
walk(struct walk *w, struct sstate *st, uint32_t depth)
{
	struct ft_offload *off = w->off;

	while (off->error == 0) {
		struct ft_node nd;
		struct sstate *c;

		if (st->node == FT_NODE_END) {
			finish(w, st, depth);
			return;
		}
		ft_program_node(off->prog, w->ctl, st->node, &nd);
		switch (nd.kind) {
		case FT_NODE_RUN: {
			struct actx ax = {.w = w, .action = nd.action};

			if ((c = st_dup(st)) == NULL)
				goto nomem;
			ax.st = c;
			run_action(&ax);
			if (ax.stop != NULL) {
				handoff(w, st, depth, resume_node(w, st), steps_of(w, st),
					stop_reason(off, nd.action, ax.stop));
				free(c);
				return;
			}
			st_copy(st, c);
			free(c);
			st->node = nd.next;
			continue;
		}
		case FT_NODE_IF: {
			struct alts t, f;

			if (depth >= MAX_DEPTH) {
				handoff(w, st, depth, resume_node(w, st), steps_of(w, st),
					"too many conditions on the packet in one table");
				return;
			}
			split_cond(w, st, nd.cond, &t, &f);
			if (t.n + f.n == 1 && t.complete && f.complete) {
				struct sstate *only = t.n ? t.s[0] : f.s[0];

				st_copy(st, only);
				free(only);
				st->node = t.n ? nd.next : nd.next_false;
				continue;
			}
			if (!t.complete || !f.complete)
				handoff(w, st, depth, resume_node(w, st), steps_of(w, st),
					"a condition on the packet that rte_flow cannot express");
			for (uint32_t i = 0; i < t.n; i++) {
				t.s[i]->node = nd.next;
				walk(w, t.s[i], depth + 1);
			}
			for (uint32_t i = 0; i < f.n; i++) {
				f.s[i]->node = nd.next_false;
				walk(w, f.s[i], depth + 1);
			}
			alts_free(&t);
			alts_free(&f);
			return;
		}
		case FT_NODE_APPLY: {
			struct stable *tb = &off->tables[nd.table];
			uint8_t key[FT_KEY_BYTES_MAX];
			struct sval vals[FT_KEY_BYTES_MAX];
			uint32_t cmask;
			const char *why = NULL;
			struct actx ax = {.w = w};
			struct sentry *hit = NULL;

			if (!key_eval(w, st, nd.table, key, &cmask, vals, &why)) {
				handoff(w, st, depth, resume_node(w, st), steps_of(w, st), why);
				return;
			}
			if (cmask != (1u << tb->decl.n_keys) - 1) {
				struct crule *r;
				uint32_t g;

				if (w->ctl != FT_CTL_INGRESS) {
					handoff(w, st, depth, FT_NODE_END, w->ing,
						intern(off, "egress table '%s' reads the packet",
						       tb->decl.name));
					return;
				}
				if ((g = group_get(w, st)) == 0 || (r = rule_new(w, st, depth)) == NULL)
					return;
				rule_count(off, r, st);
				rule_act(r, RTE_FLOW_ACTION_TYPE_JUMP, g);
				if (w->n_rules != NULL)
					(*w->n_rules)++;
				return;
			}
			/* Every field known: look it up now (exact tables; keyless ones miss). */
			if (tb->decl.n_keys > 0) {
				bool all_exact = true;

				for (uint32_t j = 0; j < tb->decl.n_keys; j++)
					all_exact &= tb->decl.keys[j].match == FT_MATCH_EXACT;
				if (!all_exact) {
					if (!match_static(tb, key, &hit)) {
						handoff(w, st, depth, resume_node(w, st),
							steps_of(w, st),
							intern(off, "table '%s': two ternary entries "
								    "of equal priority match",
							       tb->decl.name));
						return;
					}
				} else {
					table_each(off, nd.table, key, cmask, found, &hit);
				}
				if (hit != NULL && hit->out) {
					handoff(w, st, depth, resume_node(w, st), steps_of(w, st),
						hit->reason);
					return;
				}
			}
			if ((c = st_dup(st)) == NULL)
				goto nomem;
			ax.st = c;
			ax.action = hit ? hit->action : tb->def_action;
			ax.data = hit ? hit->data : tb->def_data;
			run_action(&ax);
			if (ax.stop == NULL && hit != NULL && c->n_targets == MAX_TARGETS)
				ax.stop = "path too long";
			if (ax.stop != NULL) {
				handoff(w, st, depth, resume_node(w, st), steps_of(w, st),
					stop_reason(off, ax.action, ax.stop));
				free(c);
				return;
			}
			if (hit != NULL)
				c->targets[c->n_targets++] = (struct target){
					.kind = FT_TARGET_ENTRY, .delta = c->delta, .id = nd.table,
					.index = hit->handle};
			st_copy(st, c);
			free(c);
			st->node = ft_node_next(&nd, hit != NULL, ax.action);
			continue;
		}
		}
	}
	return;
nomem:
	off->error = -ENOMEM;
}

/* --- Filling groups -------------------------------------------------------- */

/*
 * What the walk after one entry made, for the other entries of the group
 * with the same action and data: the rules made[t0, t0 + n) with their key
 * written in (kp), and the placement counts.
 */
struct memo {
	const struct sentry *e; /* the walked entry; NULL: an empty slot */
	uint32_t t0, n, kp;
	uint32_t rules, sw_rules;
	const char *reason;
};

/* The group being filled: the state at its entrance, its table node, its key. */
struct fill {
	struct walk *w;
	const struct sstate *st;
	struct ft_node nd;
	struct sval vals[FT_KEY_BYTES_MAX];
	struct watch watch; /* the key fields read from the packet (n > MAX_WATCH: no memo) */
	struct memo *memo;  /* open addressing by (action, data) */
	uint32_t n_memo, memo_size;
};

/*
 * The table's outcome in st: 'action' ran (for entry e, or the default
 * when e is NULL). Software resumes at the table if the NIC cannot run it.
 */
static void
outcome(struct fill *f, struct sstate *st, struct sentry *e, uint32_t action,
	const uint8_t *data)
{
	struct walk *w = f->w;
	struct actx ax = {.w = w, .action = action, .data = data};
	struct sstate *c = st_dup(st);

	if (c == NULL) {
		w->off->error = -ENOMEM;
		return;
	}
	ax.st = c;
	run_action(&ax);
	if (ax.stop != NULL) {
		handoff(w, st, 0, st->node, st, stop_reason(w->off, action, ax.stop));
	} else {
		if (e != NULL)
			c->targets[c->n_targets++] = (struct target){
				.kind = FT_TARGET_ENTRY, .delta = c->delta, .id = f->nd.table,
				.index = e->handle};
		c->node = ft_node_next(&f->nd, e != NULL, action);
		walk(w, c, 0);
	}
	free(c);
}

/* Can bits [off, off + bits) of layer l equal v16 (as cons_add() would say), the state unchanged? */
static bool
cons_fits(const struct sstate *st, enum ft_layer l, uint32_t off, uint32_t bits,
	  const uint8_t *v16)
{
	const struct lcons *c = NULL;

	if (off + bits > LAYER_BYTES * 8)
		return false;
	for (uint32_t i = 0; i < st->n_cons; i++)
		if (st->cons[i].layer == l)
			c = &st->cons[i];
	if (c == NULL)
		return true;
	if (off % 8 == 0 && bits % 8 == 0) { /* whole bytes, as most keys are */
		for (uint32_t i = 0; i < bits / 8; i++)
			if ((c->spec[off / 8 + i] ^ v16[16 - bits / 8 + i]) & c->mask[off / 8 + i])
				return false;
		return true;
	}
	for (uint32_t i = 0; i < bits; i++) {
		uint32_t pb = off + i, vb = 128 - bits + i;
		uint8_t m = (uint8_t)(0x80 >> (pb % 8));

		if ((c->mask[pb / 8] & m) &&
		    ((c->spec[pb / 8] & m) != 0) != ((v16[vb / 8] >> (7 - vb % 8)) & 1))
			return false;
	}
	return true;
}

/* A rule's identity (ft_offload_rule_key()), its pattern bytes being 'bytes'. */
static void
rule_hash(const struct ft_offload *off, const struct crule *r, const uint8_t *bytes,
	  uint64_t *match, uint64_t *action)
{
	uint64_t h = XXH3_64bits_withSeed(r->items, r->n_items * sizeof(r->items[0]),
					  (uint64_t)r->port << 40 ^ (uint64_t)r->group << 20 ^ r->prio);

	*match = XXH3_64bits_withSeed(bytes, r->n_bytes, h);
	*action = *match;
	for (uint32_t k = 0; k < r->n_acts; k++) { /* member by member: no padding */
		uint8_t a[11] = {r->acts[k].type};

		memcpy(a + 1, &r->acts[k].arg, 4);
		memcpy(a + 5, r->acts[k].mac, 6);
		if (r->acts[k].type == RTE_FLOW_ACTION_TYPE_RAW_ENCAP) { /* by content */
			const struct encap *e = &off->encaps[r->acts[k].arg];

			memset(a + 1, 0, 4);
			*action = XXH3_64bits_withSeed(e->b, e->size, *action);
		}
		*action = XXH3_64bits_withSeed(a, sizeof(a), *action);
	}
}

/* Key field j of entry e as a big-endian 16-byte number; false if wider than the field. */
static bool
key_value(const struct stable *tb, const struct sentry *e, uint32_t j, uint32_t bits,
	  uint8_t v16[16])
{
	uint32_t nb = tb->key_off[j + 1] - tb->key_off[j];

	memset(v16, 0, 16);
	memcpy(v16 + 16 - nb, e->key + tb->key_off[j], nb);
	for (uint32_t bit = bits; bit < nb * 8; bit++)
		if (v16[15 - bit / 8] & (1u << (bit % 8)))
			return false;
	return true;
}

/* The memo of e's action and data, or the empty slot where it goes. */
static struct memo *
memo_find(struct fill *f, const struct sentry *e)
{
	uint32_t m = f->memo_size - 1;

	for (uint32_t i = (uint32_t)(e->dhash ^ e->action) & m;; i = (i + 1) & m) {
		struct memo *me = &f->memo[i];

		if (me->e == NULL ||
		    (me->e->action == e->action && me->e->dhash == e->dhash &&
		     (e->dsize == 0 || memcmp(me->e->data, e->data, e->dsize) == 0)))
			return me;
	}
}

/* Makes room for one more memo: 0 or -ENOMEM. */
static int
memo_room(struct fill *f)
{
	struct memo *old = f->memo;
	uint32_t n = f->memo_size;

	if ((f->n_memo + 1) * 2 <= n)
		return 0;
	f->memo_size = n ? n * 2 : 64;
	if ((f->memo = calloc(f->memo_size, sizeof(*f->memo))) == NULL) {
		f->memo = old;
		f->memo_size = n;
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		if (old[i].e != NULL)
			*memo_find(f, old[i].e) = old[i];
	free(old);
	return 0;
}

static uint32_t
memo_patch(struct fill *f, const struct sentry *e, const struct watch *wa, uint32_t t0)
{
	struct ft_offload *off = f->w->off;
	struct stable *tb = &off->tables[f->nd.table];
	struct kpatch *kp;
	uint32_t k = 0;

	if (wa->touched || off->error != 0)
		return 0;
	/* Every rule must carry each key field's item, and name the entry at most once. */
	for (uint32_t t = t0; t < off->n_made; t++) {
		const struct crule *r = &off->made[t];
		uint32_t named = 0;

		for (uint32_t i = 0; i < wa->n; i++) {
			uint32_t it = 0;

			while (it < r->n_items && (r->items[it].layer != wa->f[i].layer ||
						   r->items[it].size == 0))
				it++;
			if (it == r->n_items)
				return 0;
		}
		for (uint32_t i = 0; i < r->n_targets; i++)
			named += r->targets[i].kind == FT_TARGET_ENTRY &&
				 r->targets[i].id == f->nd.table && r->targets[i].index == e->handle;
		if (named > 1)
			return 0;
	}
	off->kps = grow(off->kps, &off->cap_kps, off->n_kps + 1, sizeof(*kp));
	if (off->kps == NULL) {
		off->error = -ENOMEM;
		return 0;
	}
	kp = &off->kps[off->n_kps];
	memset(kp, 0, sizeof(*kp));
	kp->table = f->nd.table;
	kp->entry = (uint32_t)(e - tb->e);
	kp->handle = e->handle;
	for (uint32_t j = 0; j < tb->decl.n_keys; j++) {
		if (f->vals[j].kind != SV_PKT)
			continue;
		kp->f[k].layer = f->vals[j].layer;
		kp->f[k].off = f->vals[j].off;
		kp->f[k].bits = f->vals[j].bits;
		kp->f[k].key_off = tb->key_off[j];
		kp->f[k].key_bytes = (uint16_t)(tb->key_off[j + 1] - tb->key_off[j]);
		k++;
	}
	kp->n = k;
	off->bytes += sizeof(*kp);
	return ++off->n_kps;
}

/* Rule r serves the entries of kpatch kp: its identity without the key, for ft_offload_rule_key(). */
static void
rule_share(const struct ft_offload *off, struct crule *r, uint32_t kp)
{
	const struct kpatch *k = &off->kps[kp - 1];
	uint8_t b[12 * 2 * LAYER_BYTES], zero[16] = {0};

	memcpy(b, r->bytes, r->n_bytes);
	for (uint32_t i = 0; i < k->n; i++)
		for (uint32_t it = 0; it < r->n_items; it++)
			if (r->items[it].layer == k->f[i].layer && r->items[it].size != 0)
				bits_put(b + r->items[it].off, k->f[i].off, k->f[i].bits, zero);
	rule_hash(off, r, b, &r->kh_match, &r->kh_action);
	r->kp = kp;
}

/*
 * One entry's rules: its key's packet fields become the pattern. The first
 * entry of an (action, data) is walked; the others get its rules, with their
 * own key and handle, unless that walk looked at the key's bits.
 */
static void
fill_entry(void *arg, struct sentry *e)
{
	struct fill *f = arg;
	struct walk *w = f->w;
	struct ft_offload *off = w->off;
	struct stable *tb = &off->tables[f->nd.table];
	struct memo *me = NULL;
	struct sstate *st;
	struct watch wa;
	bool ok = true;

	if (e->out) /* no rule: the catch-all sends its packets to software */
		return;
	/* Can a packet of this group hit it? Else it has no rule here. */
	for (uint32_t j = 0; j < tb->decl.n_keys && ok; j++) {
		uint8_t b[16];

		if (f->vals[j].kind == SV_PKT)
			ok = key_value(tb, e, j, f->vals[j].bits, b) &&
			     cons_fits(f->st, (enum ft_layer)f->vals[j].layer, f->vals[j].off,
				       f->vals[j].bits, b);
	}
	if (!ok)
		return;
	if (f->watch.n <= MAX_WATCH) {
		if (memo_room(f) < 0) {
			off->error = -ENOMEM;
			return;
		}
		me = memo_find(f, e);
		if (me->e != NULL) {
			const uint32_t ei = (uint32_t)(e - tb->e);
			struct rref *rf;

			off->rules = grow(off->rules, &off->cap_rules, off->n_rules + me->n,
					  sizeof(off->rules[0]));
			if (off->rules == NULL) {
				off->error = -ENOMEM;
				return;
			}
			rf = off->rules + off->n_rules;
			for (uint32_t k = 0; k < me->n; k++)
				rf[k] = (struct rref){.t = me->t0 + k, .e = ei};
			off->n_rules += me->n;
			e->rules += me->rules;
			e->sw_rules += me->sw_rules;
			if (e->reason == NULL)
				e->reason = me->reason;
			return;
		}
	}
	/* Walk it. */
	if ((st = st_dup(f->st)) == NULL) {
		off->error = -ENOMEM;
		return;
	}
	for (uint32_t j = 0; j < tb->decl.n_keys && ok; j++) {
		uint8_t b[16];

		if (f->vals[j].kind == SV_PKT && key_value(tb, e, j, f->vals[j].bits, b))
			ok = cons_add(st, (enum ft_layer)f->vals[j].layer, f->vals[j].off,
				      f->vals[j].bits, b) == 1;
	}
	if (ok) { /* else it cannot be expressed: no rule */
		const uint32_t t0 = off->n_made, r0 = e->rules, s0 = e->sw_rules;
		const char *reason = e->reason;

		w->n_rules = &e->rules;
		w->n_sw = &e->sw_rules;
		w->reason = &e->reason;
		e->reason = NULL;
		wa = f->watch;
		st->watch = me != NULL ? &wa : NULL;
		outcome(f, st, e, e->action, e->data);
		if (me != NULL && (me->kp = memo_patch(f, e, &wa, t0)) != 0) {
			me->e = e;
			me->t0 = t0;
			me->n = off->n_made - t0;
			me->rules = e->rules - r0;
			me->sw_rules = e->sw_rules - s0;
			me->reason = e->reason;
			for (uint32_t t = t0; t < off->n_made; t++)
				rule_share(off, &off->made[t], me->kp);
			f->n_memo++;
		}
		if (reason != NULL)
			e->reason = reason;
	}
	free(st);
}

static void
fill_group(struct ft_offload *off, struct group *g)
{
	/* Copied: filling creates groups, which moves off->groups. */
	struct sstate *entry = g->entry;
	struct walk w = {.off = off, .port = g->port, .group = g->id, .ctl = FT_CTL_INGRESS};
	struct fill f = {.w = &w, .st = entry};
	struct stable *tb;
	uint8_t key[FT_KEY_BYTES_MAX];
	uint32_t cmask;
	const char *why = NULL;

	ft_program_node(off->prog, FT_CTL_INGRESS, entry->node, &f.nd);
	tb = &off->tables[f.nd.table];
	if (!key_eval(&w, entry, f.nd.table, key, &cmask, f.vals, &why))
		return; /* cannot happen: the jump was made with this state */
	for (uint32_t j = 0; j < tb->decl.n_keys; j++) {
		if (f.vals[j].kind != SV_PKT)
			continue;
		if (f.watch.n < MAX_WATCH) {
			f.watch.f[f.watch.n].layer = f.vals[j].layer;
			f.watch.f[f.watch.n].off = f.vals[j].off;
			f.watch.f[f.watch.n].bits = f.vals[j].bits;
		}
		f.watch.n++;
	}
	table_each(off, f.nd.table, key, cmask, fill_entry, &f);
	free(f.memo);
	/* The catch-all: the default action, below every entry. */
	w.prio_base = MAX_DEPTH + 1;
	w.n_rules = &tb->def_rules;
	w.n_sw = &tb->def_sw_rules;
	w.reason = &tb->def_reason;
	if (tb->n_out > 0)
		handoff(&w, entry, 0, entry->node, entry,
			"entries of the table are kept out of the NIC: misses look up in software");
	else
		outcome(&f, entry, NULL, tb->def_action, tb->def_data);
}

/* --- Compiling ------------------------------------------------------------- */

static int
outkey_cmp(const void *a, const void *b)
{
	const struct outkey *x = a, *y = b;

	if (x->table != y->table)
		return x->table < y->table ? -1 : 1;
	return (x->handle > y->handle) - (x->handle < y->handle);
}

static const struct outkey *
out_find(const struct ft_offload *off, uint32_t table, uint32_t handle)
{
	struct outkey k = {.table = table, .handle = handle};

	return off->n_outs ? bsearch(&k, off->outs, off->n_outs, sizeof(k), outkey_cmp) : NULL;
}

static int
out_add(struct ft_offload *off, uint32_t table, uint32_t handle, bool refused)
{
	struct outkey k = {.table = table, .handle = handle, .refused = refused};
	uint32_t i = 0;

	if (out_find(off, table, handle) != NULL)
		return 0;
	off->outs = grow(off->outs, &off->cap_outs, off->n_outs + 1, sizeof(k));
	if (off->outs == NULL)
		return -ENOMEM;
	while (i < off->n_outs && outkey_cmp(&off->outs[i], &k) < 0)
		i++;
	memmove(&off->outs[i + 1], &off->outs[i], (off->n_outs - i) * sizeof(k));
	off->outs[i] = k;
	off->n_outs++;
	return 0;
}

static void
out_drop_full(struct ft_offload *off)
{
	uint32_t j = 0;

	for (uint32_t i = 0; i < off->n_outs; i++)
		if (off->outs[i].refused)
			off->outs[j++] = off->outs[i];
	off->n_outs = j;
}

static int
snap_entry(uint32_t table, const struct ft_entry_info *ei, void *arg)
{
	struct ft_offload *off = arg;
	struct stable *tb = &off->tables[table];
	struct sentry *e = &tb->e[tb->n];
	int ds = ft_program_action_data_size(off->prog, ei->action);

	e->handle = ei->handle;
	e->action = ei->action;
	e->priority = ei->priority;
	if (tb->n == tb->cap)
		return -EAGAIN; /* the table grew since its size was read */
	if (2 * tb->key_size + (ds > 0 ? (uint32_t)ds : 0) > tb->stride)
		return -EINVAL; /* not an action of the table */
	e->key = tb->store + (size_t)tb->n * tb->stride;
	memcpy(e->key, ei->key, tb->key_size);
	e->mask = NULL;
	if (ei->mask != NULL) {
		e->mask = e->key + tb->key_size;
		memcpy(e->mask, ei->mask, tb->key_size);
	}
	e->data = ds > 0 ? e->key + 2 * tb->key_size : NULL;
	if (ds > 0)
		memcpy(e->data, ei->data, (size_t)ds);
	e->dsize = ds > 0 ? (uint32_t)ds : 0;
	e->dhash = ds > 0 ? XXH3_64bits(e->data, e->dsize) : 0;
	off->bytes += sizeof(*e) + tb->stride;
	e->rules = e->sw_rules = 0;
	e->reason = NULL;
	e->out = false;
	{
		const struct outkey *o = out_find(off, table, ei->handle);

		if (o != NULL) {
			e->out = true;
			e->reason = o->refused ? "the NIC refused its rule" : "table full in the NIC";
			tb->n_out++;
		}
	}
	tb->n++;
	return 0;
}

static void
reset(struct ft_offload *off)
{
	for (uint32_t i = 0; i < off->n_made; i++) {
		free(off->made[i].bytes);
		free(off->made[i].targets);
	}
	off->n_made = 0;
	off->n_rules = 0;
	off->n_kps = 0;
	for (uint32_t i = 0; i < off->n_groups; i++)
		free(off->groups[i].entry);
	off->n_groups = 0;
	free(off->gindex);
	off->gindex = NULL;
	off->gindex_size = 0;
	for (uint32_t i = 0; i < off->n_ctxs; i++)
		free(off->ctxs[i].steps);
	off->n_ctxs = 0;
	free(off->cindex);
	off->cindex = NULL;
	off->cindex_size = 0;
	for (uint32_t t = 0; off->tables != NULL && t < off->info.n_tables; t++) {
		struct stable *tb = &off->tables[t];

		free(tb->store);
		free(tb->e);
		free(tb->def_data);
		free(tb->idx_head);
		free(tb->idx_next);
		free(tb->cls_head);
		free(tb->cls_next);
	}
	free(off->tables);
	off->tables = NULL;
	off->n_work = 0;
	off->n_encaps = 0;
	if (off->eindex != NULL)
		memset(off->eindex, 0, off->eindex_size * sizeof(*off->eindex));
	off->bytes = 0;
	off->error = 0;
}

static int
snapshot(struct ft_offload *off)
{
	int rc;

	if ((off->tables = calloc(off->info.n_tables, sizeof(*off->tables))) == NULL)
		return -ENOMEM;
	for (uint32_t t = 0; t < off->info.n_tables; t++) {
		struct stable *tb = &off->tables[t];
		struct ft_table_stats ts;
		const uint8_t *dd;
		int ds;

		ft_program_table(off->prog, t, &tb->decl);
		tb->key_size = (uint32_t)ft_program_key_size(off->prog, t);
		for (uint32_t j = 0, o = 0; j < tb->decl.n_keys; j++) {
			uint32_t w = ft_program_ref_width(off->prog, UINT32_MAX, &tb->decl.keys[j].ref);

			tb->key_off[j] = (uint16_t)o;
			o += (w + 7) / 8;
			tb->key_off[j + 1] = (uint16_t)o;
		}
		ft_pipeline_table_stats(off->pipe, t, &ts);
		tb->stride = 2 * tb->key_size;
		for (uint32_t a = 0; a < tb->decl.n_actions; a++) {
			int s = ft_program_action_data_size(off->prog, tb->decl.actions[a].action);

			if (s > 0 && 2 * tb->key_size + (uint32_t)s > tb->stride)
				tb->stride = 2 * tb->key_size + (uint32_t)s;
		}
		tb->cap = (uint32_t)ts.entries;
		tb->e = calloc(ts.entries + 1, sizeof(*tb->e));
		tb->store = malloc((size_t)ts.entries * tb->stride + 1);
		if (tb->e == NULL || tb->store == NULL)
			return -ENOMEM;
		if ((rc = ft_pipeline_table_walk(off->pipe, t, snap_entry, off)) < 0)
			return rc;
		ft_pipeline_default_read(off->pipe, t, &tb->def_action, &dd);
		ds = ft_program_action_data_size(off->prog, tb->def_action);
		if (ds > 0) {
			if ((tb->def_data = malloc((size_t)ds)) == NULL)
				return -ENOMEM;
			memcpy(tb->def_data, dd, (size_t)ds);
		}
	}
	return 0;
}

/*
 * A decapsulated frame whose UDP goes to a VXLAN port would be parsed as
 * VXLAN once more by the egress control. Such packets (a tunnel in a
 * tunnel) go to software unmarked, from priority 0 of the port's first
 * group, so that no egress path needs to tell them apart.
 */
static void
nested_vxlan(struct ft_offload *off, uint32_t port, uint32_t group, struct sstate *st)
{
	struct walk w = {.off = off, .port = port, .group = group, .ctl = FT_CTL_INGRESS};
	const uint16_t *ports;
	uint32_t nport;
	struct alts a;

	uint32_t parsed = off->parsed;

	if (off->info.n_nodes[FT_CTL_EGRESS] == 0 || !(off->parsed & FT_LAYER_BIT(FT_L_IN_ETH)))
		return;
	ports = ft_program_vxlan_ports(off->prog, &nport);
	/* The NIC sees an inner UDP whether the program parses it or not. */
	off->parsed |= FT_LAYER_BIT(FT_L_IN_IPV4) | FT_LAYER_BIT(FT_L_IN_IPV6) |
		       FT_LAYER_BIT(FT_L_IN_UDP);
	require(off, st, FT_L_IN_UDP, &a);
	off->parsed = parsed;
	for (uint32_t i = 0; i < a.n; i++) {
		for (uint32_t p = 0; p < nport; p++) {
			struct sstate *c = st_dup(a.s[i]);
			struct crule *r;

			if (c != NULL && cons_add64(c, FT_L_IN_UDP, 16, 16, ports[p]) == 1 &&
			    (r = rule_new(&w, c, MAX_DEPTH)) != NULL) {
				r->prio = 0;
				to_software(off, r);
			}
			free(c);
		}
	}
	alts_free(&a);
}

static int
compile_once(struct ft_offload *off, struct ft_error *err)
{
	const bool integrity = ft_nic_profile_has_item(off->prof, RTE_FLOW_ITEM_TYPE_INTEGRITY);
	int rc;

	reset(off);
	if ((rc = snapshot(off)) < 0 || (rc = idmap_begin(&off->gids, off->n_ranges)) < 0 ||
	    (rc = idmap_begin(&off->mids, 1)) < 0)
		return ft_error_set(err, rc, FT_ERR_PROGRAM, UINT32_MAX, NULL, "out of memory");
	for (uint32_t p = 0; integrity && p < off->n_ports; p++) {
		struct walk w = {.off = off, .port = off->ports[p], .ctl = FT_CTL_INGRESS};
		struct sstate *st = calloc(1, sizeof(*st));
		struct crule *r;
		uint32_t g;

		if (st == NULL)
			return ft_error_set(err, -ENOMEM, FT_ERR_PROGRAM, UINT32_MAX, NULL,
					    "out of memory");
		for (uint32_t h = 0; h < off->info.n_headers; h++) {
			enum ft_layer l = header_layer(off, h);

			st->hsrc[h] = l == FT_L_NONE ? -1 : (int8_t)l;
		}
		st->lay[FT_L_ETH] = L_YES;
		for (int l = 0; l < FT_L_COUNT; l++)
			if (!(off->parsed & FT_LAYER_BIT(l)))
				st->lay[l] = L_NO;
		st->fate = FATE_NONE;
		st->last_action = st->fate_action = UINT16_MAX;
		st->n_meta = (uint8_t)off->info.n_metadata;
		for (uint32_t k = 0; k < off->info.n_metadata; k++) {
			struct ft_metadata_info mi;

			ft_program_metadata(off->prog, k, &mi);
			st->meta[k] = sv_const(0, mi.bits);
		}
		st->node = off->info.n_nodes[FT_CTL_INGRESS] ? 0 : FT_NODE_END;
		/* Group 0: a well-formed packet of this port jumps to the port's first group. */
		g = group_get(&w, st);
		if (g != 0)
			nested_vxlan(off, w.port, g, st);
		if (g != 0 && (r = rule_new(&w, NULL, 0)) != NULL) {
			r->items[r->n_items++] = (struct citem){.type = RTE_FLOW_ITEM_TYPE_ETH,
								.layer = FT_L_ETH};
			r->items[r->n_items++] = (struct citem){.type = RTE_FLOW_ITEM_TYPE_INTEGRITY};
			r->prio = 0;
			rule_act(r, RTE_FLOW_ACTION_TYPE_JUMP, g);
		}
		free(st);
		/* The start group is filled by walking from node 0. */
		while (off->n_work > 0 && off->error == 0) {
			struct group *gr = &off->groups[off->work[--off->n_work] - 1];

			uint8_t key[FT_KEY_BYTES_MAX];
			struct sval vals[FT_KEY_BYTES_MAX];
			uint32_t cmask = 0;
			struct ft_node nd = {.kind = FT_NODE_RUN};
			struct walk ws = {.off = off, .port = gr->port, .group = gr->id,
					  .ctl = FT_CTL_INGRESS};
			const char *why;

			if (gr->entry->node != FT_NODE_END)
				ft_program_node(off->prog, FT_CTL_INGRESS, gr->entry->node, &nd);
			if (nd.kind != FT_NODE_APPLY ||
			    !key_eval(&ws, gr->entry, nd.table, key, &cmask, vals, &why) ||
			    cmask == (1u << off->tables[nd.table].decl.n_keys) - 1) {
				struct sstate *s0 = st_dup(gr->entry);

				if (s0 == NULL) {
					off->error = -ENOMEM;
					break;
				}
				walk(&ws, s0, 0);
				free(s0);
			} else {
				fill_group(off, gr);
			}
		}
	}
	if (off->error != 0)
		return ft_error_set(err, off->error, FT_ERR_PROGRAM, UINT32_MAX, NULL,
				    off->error == -ENOSPC ? "restore contexts outgrow MARK, or groups the NIC"
							  : "out of memory");
	return 0;
}

static int
rules_desc(const void *a, const void *b)
{
	const struct sentry *x = *(const struct sentry *const *)a, *y = *(const struct sentry *const *)b;
	uint32_t nx = x->rules + x->sw_rules, ny = y->rules + y->sw_rules;

	return (nx < ny) - (nx > ny);
}

/*
 * The NIC is full: keeps entries of the table whose entries take the most
 * rules out of it, those with the most rules first, until the rules they
 * take cover the excess. Returns how many it kept out (0: none left).
 */
static int
keep_out(struct ft_offload *off)
{
	uint64_t best = 0, need = off->n_rules - off->rules_max, got = 0;
	uint32_t bt = UINT32_MAX, n = 0;
	struct sentry **v;
	struct stable *tb;
	int kept = 0;

	for (uint32_t t = 0; t < off->info.n_tables; t++) {
		uint64_t sum = 0;

		for (uint32_t i = 0; i < off->tables[t].n; i++)
			if (!off->tables[t].e[i].out)
				sum += off->tables[t].e[i].rules + off->tables[t].e[i].sw_rules;
		if (sum > best) {
			best = sum;
			bt = t;
		}
	}
	if (bt == UINT32_MAX)
		return 0;
	tb = &off->tables[bt];
	if ((v = malloc(tb->n * sizeof(*v))) == NULL)
		return -ENOMEM;
	for (uint32_t i = 0; i < tb->n; i++)
		if (!tb->e[i].out && tb->e[i].rules + tb->e[i].sw_rules > 0)
			v[n++] = &tb->e[i];
	qsort(v, n, sizeof(*v), rules_desc);
	for (uint32_t i = 0; i < n && got < need; i++, kept++) {
		got += v[i]->rules + v[i]->sw_rules;
		if (out_add(off, bt, v[i]->handle, false) < 0) {
			free(v);
			return -ENOMEM;
		}
	}
	free(v);
	return kept;
}

/* A compile that fits: its ids become the previous ones; MARKs are indexed. */
static int
compiled(struct ft_offload *off, struct ft_error *err)
{
	uint32_t max = 0;

	for (uint32_t i = 0; i < off->n_ctxs; i++)
		if (off->ctxs[i].id > max)
			max = off->ctxs[i].id;
	if ((off->by_id = calloc(max + 1, sizeof(*off->by_id))) == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_PROGRAM, UINT32_MAX, NULL, "out of memory");
	off->by_id_size = max + 1;
	for (uint32_t i = 0; i < off->n_ctxs; i++)
		off->by_id[off->ctxs[i].id] = i + 1;
	idmap_end(&off->gids);
	idmap_end(&off->mids);
	return 0;
}

int
ft_offload_compile(struct ft_offload *off, struct ft_error *err)
{
	int rc;

	/* What a full table kept out last time may fit now. */
	out_drop_full(off);
	/* The contexts of the rules installed now stay readable until the next compile. */
	for (uint32_t i = 0; i < off->n_old_ctxs; i++)
		free(off->old_ctxs[i].steps);
	free(off->old_ctxs);
	free(off->old_by_id);
	off->old_ctxs = off->ctxs;
	off->n_old_ctxs = off->n_ctxs;
	off->old_by_id = off->by_id;
	off->old_by_id_size = off->by_id_size;
	off->ctxs = NULL;
	off->n_ctxs = off->cap_ctxs = 0;
	off->by_id = NULL;
	off->by_id_size = 0;
	for (;;) {
		if ((rc = compile_once(off, err)) < 0)
			return rc;
		if (off->n_rules <= off->rules_max)
			return compiled(off, err);
		if ((rc = keep_out(off)) <= 0)
			return ft_error_set(err, rc < 0 ? -ENOMEM : -ENOSPC, FT_ERR_PROGRAM,
					    UINT32_MAX, NULL,
					    "%u rules: more than the NIC holds (%u), even with "
					    "entries kept out",
					    off->n_rules, off->rules_max);
	}
}

int
ft_offload_entry_refused(struct ft_offload *off, uint32_t table, uint32_t handle)
{
	if (table >= off->info.n_tables)
		return -EINVAL;
	return out_add(off, table, handle, true);
}

/* --- The API --------------------------------------------------------------- */

struct ft_offload *
ft_offload_create(struct ft_pipeline *pipe, const struct ft_offload_params *params,
		  struct ft_error *err)
{
	struct ft_offload *off = calloc(1, sizeof(*off));

	if (off == NULL)
		goto nomem;
	off->pipe = pipe;
	off->prog = ft_pipeline_program(pipe);
	off->prof = params->profile;
	off->rules_max = params->rules_max ? params->rules_max : params->profile->rules_max;
	ft_program_info(off->prog, &off->info);
	if (off->info.n_metadata > MAX_META || off->info.n_headers > FT_HEADERS_MAX) {
		free(off);
		ft_error_set(err, -ENOTSUP, FT_ERR_PROGRAM, UINT32_MAX, NULL,
			     "more than %d metadata fields: not supported by the offload compiler",
			     MAX_META);
		return NULL;
	}
	for (uint32_t h = 0; h < off->info.n_headers; h++) {
		enum ft_layer l = header_layer(off, h);

		if (l != FT_L_NONE)
			off->parsed |= FT_LAYER_BIT(l);
	}
	off->ports = malloc((params->n_ports + 1) * sizeof(uint32_t));
	if (off->ports == NULL)
		goto nomem;
	memcpy(off->ports, params->ports, params->n_ports * sizeof(uint32_t));
	off->n_ports = params->n_ports;
	if (layout_read(off) < 0)
		goto nomem;
	/* Group ids: a range per node where a group can start (node 0, the tables, the end). */
	off->range_of_node = calloc(off->info.n_nodes[FT_CTL_INGRESS] + 1, sizeof(uint32_t));
	if (off->range_of_node == NULL)
		goto nomem;
	for (uint32_t k = 0; k <= off->info.n_nodes[FT_CTL_INGRESS]; k++) {
		struct ft_node nd = {.kind = FT_NODE_RUN};

		if (k < off->info.n_nodes[FT_CTL_INGRESS])
			ft_program_node(off->prog, FT_CTL_INGRESS, k, &nd);
		off->range_of_node[k] = off->n_ranges;
		if (k == 0 || k == off->info.n_nodes[FT_CTL_INGRESS] || nd.kind == FT_NODE_APPLY)
			off->n_ranges++;
	}
	off->range_size = (off->prof->groups - 1) / off->n_ranges;
	off->live_words = (off->info.n_metadata + 63) / 64 + 1;
	if (liveness(off) < 0)
		goto nomem;
	return off;
nomem:
	ft_offload_destroy(off);
	ft_error_set(err, -ENOMEM, FT_ERR_PROGRAM, UINT32_MAX, NULL, "out of memory");
	return NULL;
}

void
ft_offload_destroy(struct ft_offload *off)
{
	if (off == NULL)
		return;
	reset(off);
	for (uint32_t i = 0; i < off->n_strs; i++)
		free(off->strs[i]);
	free(off->strs);
	free(off->sindex);
	free(off->made);
	free(off->rules);
	free(off->kps);
	free(off->groups);
	free(off->ctxs);
	free(off->work);
	free(off->encaps);
	free(off->eindex);
	free(off->ports);
	free(off->outs);
	layout_free(off);
	for (uint32_t i = 0; i < off->n_old_ctxs; i++)
		free(off->old_ctxs[i].steps);
	free(off->old_ctxs);
	free(off->old_by_id);
	free(off->by_id);
	free(off->range_of_node);
	idmap_free(&off->gids);
	idmap_free(&off->mids);
	for (int c = 0; c < FT_CTL_COUNT; c++)
		free(off->live[c]);
	free(off);
}

/* Rule i for its entry: the made rule with the entry's key in its pattern and handle in its targets. */
struct rview {
	const struct crule *r;
	const uint8_t *bytes;
	const struct ft_rule_target *targets;
	uint8_t buf[12 * 2 * LAYER_BYTES];
	struct ft_rule_target tbuf[MAX_TARGETS];
};

static const struct crule *
rule_view(const struct ft_offload *off, uint32_t i, struct rview *v)
{
	const struct rref *rf = &off->rules[i];
	const struct crule *r = &off->made[rf->t];
	const struct kpatch *kp;
	const struct sentry *e;

	v->r = r;
	v->bytes = r->bytes;
	v->targets = r->targets;
	if (rf->e == RREF_SELF)
		return r;
	kp = &off->kps[r->kp - 1];
	e = &off->tables[kp->table].e[rf->e];
	memcpy(v->buf, r->bytes, r->n_bytes);
	for (uint32_t k = 0; k < kp->n; k++) {
		uint8_t v16[16] = {0};

		memcpy(v16 + 16 - kp->f[k].key_bytes, e->key + kp->f[k].key_off, kp->f[k].key_bytes);
		for (uint32_t it = 0; it < r->n_items; it++)
			if (r->items[it].layer == kp->f[k].layer && r->items[it].size != 0)
				bits_put(v->buf + r->items[it].off, kp->f[k].off, kp->f[k].bits, v16);
	}
	if (r->n_targets > 0)
		memcpy(v->tbuf, r->targets, r->n_targets * sizeof(*r->targets));
	for (uint32_t k = 0; k < r->n_targets; k++)
		if (v->tbuf[k].kind == FT_TARGET_ENTRY && v->tbuf[k].id == kp->table &&
		    v->tbuf[k].index == kp->handle)
			v->tbuf[k].index = e->handle;
	v->bytes = v->buf;
	v->targets = v->tbuf;
	return r;
}

uint32_t
ft_offload_n_rules(const struct ft_offload *off)
{
	return off->n_rules;
}

static void *
store(struct ft_flow_buf *b, size_t n)
{
	void *p;

	n = (n + 15) & ~(size_t)15;
	if (b->used + n > sizeof(b->store))
		return NULL;
	p = b->store + b->used;
	b->used += (uint32_t)n;
	memset(p, 0, n);
	return p;
}

int
ft_offload_rule(const struct ft_offload *off, uint32_t i, struct ft_flow_buf *out)
{
	const struct crule *r;
	const bool transfer = off->prof->domain == FT_NIC_DOMAIN_TRANSFER;
	uint32_t ni = 0;
	struct rview v;

	if (i >= off->n_rules)
		return -ENOENT;
	r = rule_view(off, i, &v);
	memset(&out->attr, 0, sizeof(out->attr));
	out->used = 0;
	out->port = (uint16_t)r->port;
	out->attr.group = r->group;
	out->attr.priority = r->prio;
	out->attr.ingress = !transfer;
	out->attr.transfer = transfer;
	if (transfer && r->group == 0) {
		struct rte_flow_item_ethdev *s = store(out, sizeof(*s)), *m = store(out, sizeof(*m));

		s->port_id = (uint16_t)r->port;
		m->port_id = 0xffff;
		out->pattern[ni++] = (struct rte_flow_item){
			.type = RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, .spec = s, .mask = m};
	}
	for (uint32_t k = 0; k < r->n_items; k++) {
		const struct citem *it = &r->items[k];
		struct rte_flow_item *fi = &out->pattern[ni++];

		*fi = (struct rte_flow_item){.type = (enum rte_flow_item_type)it->type};
		if (it->type == RTE_FLOW_ITEM_TYPE_INTEGRITY) {
			struct rte_flow_item_integrity *s = store(out, sizeof(*s)),
						       *m = store(out, sizeof(*m));

			s->packet_ok = 1;
			m->packet_ok = 1;
			fi->spec = s;
			fi->mask = m;
			continue;
		}
		if (it->type == RTE_FLOW_ITEM_TYPE_ETH) {
			struct rte_flow_item_eth *s = store(out, sizeof(*s)), *m = store(out, sizeof(*m));
			bool any = false;

			if (it->size) {
				memcpy(s, v.bytes + it->off, 14);
				memcpy(m, v.bytes + it->off + it->size, 14);
				for (int b = 0; b < 14; b++)
					any |= ((uint8_t *)m)[b] != 0;
			}
			if (it->vlan != L_UNK) {
				s->has_vlan = it->vlan == L_YES;
				m->has_vlan = 1;
				any = true;
			}
			if (any) {
				fi->spec = s;
				fi->mask = m;
			}
			continue;
		}
		if (it->size) {
			size_t sz;

			switch (it->type) {
			case RTE_FLOW_ITEM_TYPE_VLAN: sz = sizeof(struct rte_flow_item_vlan); break;
			case RTE_FLOW_ITEM_TYPE_IPV4: sz = sizeof(struct rte_flow_item_ipv4); break;
			case RTE_FLOW_ITEM_TYPE_IPV6: sz = sizeof(struct rte_flow_item_ipv6); break;
			case RTE_FLOW_ITEM_TYPE_UDP: sz = sizeof(struct rte_flow_item_udp); break;
			case RTE_FLOW_ITEM_TYPE_TCP: sz = sizeof(struct rte_flow_item_tcp); break;
			default: sz = sizeof(struct rte_flow_item_vxlan); break;
			}
			{
				uint8_t *s = store(out, sz), *m = store(out, sz);

				if (s == NULL || m == NULL)
					return -ENOSPC;
				memcpy(s, v.bytes + it->off, it->size < sz ? it->size : sz);
				memcpy(m, v.bytes + it->off + it->size, it->size < sz ? it->size : sz);
				fi->spec = s;
				fi->mask = m;
			}
		}
	}
	out->pattern[ni] = (struct rte_flow_item){.type = RTE_FLOW_ITEM_TYPE_END};
	for (uint32_t k = 0; k < r->n_acts; k++) {
		const struct cact *a = &r->acts[k];
		struct rte_flow_action *fa = &out->actions[k];

		*fa = (struct rte_flow_action){.type = (enum rte_flow_action_type)a->type};
		switch (a->type) {
		case RTE_FLOW_ACTION_TYPE_MARK: {
			struct rte_flow_action_mark *c = store(out, sizeof(*c));

			c->id = a->arg;
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_JUMP: {
			struct rte_flow_action_jump *c = store(out, sizeof(*c));

			c->group = a->arg;
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_QUEUE: {
			struct rte_flow_action_queue *c = store(out, sizeof(*c));

			c->index = (uint16_t)a->arg;
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
		case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT: {
			struct rte_flow_action_ethdev *c = store(out, sizeof(*c));

			c->port_id = (uint16_t)a->arg;
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN: {
			struct rte_flow_action_of_push_vlan *c = store(out, sizeof(*c));

			c->ethertype = rte_cpu_to_be_16((uint16_t)a->arg);
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID: {
			struct rte_flow_action_of_set_vlan_vid *c = store(out, sizeof(*c));

			c->vlan_vid = rte_cpu_to_be_16((uint16_t)a->arg);
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP: {
			struct rte_flow_action_of_set_vlan_pcp *c = store(out, sizeof(*c));

			c->vlan_pcp = (uint8_t)a->arg;
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
		case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: {
			struct rte_flow_action_set_mac *c = store(out, sizeof(*c));

			memcpy(c->mac_addr, a->mac, 6);
			fa->conf = c;
			break;
		}
		case RTE_FLOW_ACTION_TYPE_RAW_ENCAP: {
			const struct encap *e = &off->encaps[a->arg];
			struct rte_flow_action_raw_encap *c = store(out, sizeof(*c));
			uint8_t *d = store(out, e->size);

			if (c == NULL || d == NULL)
				return -ENOSPC;
			memcpy(d, e->b, e->size);
			c->data = d;
			c->size = e->size;
			fa->conf = c;
			break;
		}
		default:
			break;
		}
	}
	out->actions[r->n_acts] = (struct rte_flow_action){.type = RTE_FLOW_ACTION_TYPE_END};
	return 0;
}

int
ft_offload_rule_key(const struct ft_offload *off, uint32_t i, uint64_t *match, uint64_t *action)
{
	const struct rref *rf;
	const struct crule *r;
	const struct kpatch *kp;
	const struct stable *tb;

	if (i >= off->n_rules)
		return -ENOENT;
	rf = &off->rules[i];
	r = &off->made[rf->t];
	if (r->kp == 0) {
		rule_hash(off, r, r->bytes, match, action);
		return 0;
	}
	/* A rule shared by the entries of an (action, data): its hash, then the entry's key. */
	kp = &off->kps[r->kp - 1];
	tb = &off->tables[kp->table];
	*match = XXH3_64bits_withSeed(tb->e[rf->e == RREF_SELF ? kp->entry : rf->e].key,
				      tb->key_size, r->kh_match);
	*action = XXH3_64bits_withSeed(match, sizeof(*match), r->kh_action);
	return 0;
}

int
ft_offload_rule_targets(const struct ft_offload *off, uint32_t i,
			struct ft_rule_target targets[FT_RULE_TARGETS_MAX], uint32_t *n)
{
	const struct crule *r;
	struct rview v;

	if (i >= off->n_rules)
		return -ENOENT;
	r = rule_view(off, i, &v);
	if (r->n_targets > 0)
		memcpy(targets, v.targets, r->n_targets * sizeof(*targets));
	*n = r->n_targets;
	return 0;
}

int
ft_offload_rule_credit(const struct ft_offload *off, uint32_t i, uint64_t packets, uint64_t bytes)
{
	struct ft_rule_target tg[FT_RULE_TARGETS_MAX];
	uint32_t n;

	if (ft_offload_rule_targets(off, i, tg, &n) != 0)
		return -ENOENT;
	for (uint32_t k = 0; k < n && packets > 0; k++) {
		uint64_t b = bytes + (uint64_t)((int64_t)tg[k].bytes_delta * (int64_t)packets);

		if (tg[k].kind == FT_TARGET_ENTRY)
			ft_pipeline_entry_credit(off->pipe, tg[k].id, tg[k].index, packets, b);
		else
			ft_pipeline_counter_credit(off->pipe, tg[k].id, tg[k].index, packets, b);
	}
	return 0;
}

bool
ft_offload_rule_entry(const struct ft_offload *off, uint32_t i, uint32_t *table, uint32_t *handle)
{
	struct ft_rule_target tg[FT_RULE_TARGETS_MAX];
	uint32_t n;

	if (ft_offload_rule_targets(off, i, tg, &n) != 0)
		return false;
	while (n-- > 0)
		if (tg[n].kind == FT_TARGET_ENTRY) {
			*table = tg[n].id;
			*handle = tg[n].index;
			return true;
		}
	return false;
}

int
ft_offload_rule_drop(const struct ft_offload *off, uint32_t i, uint16_t *reason, uint16_t *action)
{
	const struct crule *r = i < off->n_rules ? &off->made[off->rules[i].t] : NULL;

	if (r == NULL || r->drop_reason == FT_DROP_NONE)
		return -ENOENT;
	*reason = r->drop_reason;
	*action = r->drop_action;
	return 0;
}

const struct ft_restore *
ft_offload_restore(const struct ft_offload *off, uint32_t mark)
{
	if (mark < off->by_id_size && off->by_id[mark] != 0)
		return &off->ctxs[off->by_id[mark] - 1].r;
	if (mark < off->old_by_id_size && off->old_by_id[mark] != 0)
		return &off->old_ctxs[off->old_by_id[mark] - 1].r;
	return NULL;
}

uint32_t
ft_offload_n_contexts(const struct ft_offload *off)
{
	return off->n_ctxs;
}

uint32_t
ft_offload_context_mark(const struct ft_offload *off, uint32_t i)
{
	return i < off->n_ctxs ? off->ctxs[i].id : 0;
}

int
ft_offload_software(const struct ft_offload *off, struct ft_worker *w,
		    struct ft_pkt *const *pkts, const uint16_t *which, uint16_t m,
		    const struct ft_restore **ctx, struct ft_burst_result *scratch,
		    struct ft_burst_result *res)
{
	for (uint16_t j = 0; j < m && j < FT_BURST_MAX; j++) {
		const struct ft_pkt *p = pkts[which[j]];

		ctx[j] = (p->flags & FT_PKT_F_MARK) && p->nb_segs == 1
				 ? ft_offload_restore(off, p->mark)
				 : NULL;
	}
	return ft_offload_resume(w, pkts, which, m, ctx, scratch, res);
}

int
ft_offload_resume(struct ft_worker *w, struct ft_pkt *const *pkts, const uint16_t *which,
		  uint16_t m, const struct ft_restore *const *ctx,
		  struct ft_burst_result *scratch, struct ft_burst_result *res)
{
	struct ft_pkt *sw[FT_BURST_MAX];
	const struct ft_resume *rs[FT_BURST_MAX];
	uint16_t src[FT_BURST_MAX], k = 0;
	int rc;

	for (uint16_t j = 0; j < m && j < FT_BURST_MAX; j++) {
		struct ft_pkt *p = pkts[which[j]];
		const struct ft_restore *r = ctx[j];

		if (r != NULL && r->kind == FT_RESTORE_OUTPUT) {
			ft_burst_send(res, p, r->port, which[j]);
			continue;
		}
		rs[k] = r != NULL ? &r->resume : NULL;
		src[k] = which[j];
		sw[k++] = p;
	}
	if (k == 0)
		return 0;
	if ((rc = ft_worker_run_resume(w, sw, rs, k, scratch)) < 0)
		return rc;
	for (uint32_t t = 0; t < scratch->n_tx; t++)
		ft_burst_send(res, scratch->tx[t].pkt, scratch->tx[t].port, src[scratch->tx[t].src]);
	for (uint16_t j = 0; j < k; j++) {
		res->drop[src[j]] = scratch->drop[j];
		res->drop_action[src[j]] = scratch->drop_action[j];
		res->used[src[j]] = scratch->used[j];
	}
	for (uint32_t e = 0; e < scratch->n_events && res->n_events < FT_BURST_EVENTS_MAX; e++) {
		res->events[res->n_events] = scratch->events[e];
		res->events[res->n_events++].src = src[scratch->events[e].src];
	}
	return 0;
}

int
ft_offload_placement_walk(const struct ft_offload *off, ft_placement_fn fn, void *arg)
{
	const char *no_integrity = "the profile has no INTEGRITY item: the NIC could not tell a "
				   "malformed packet, which the model drops";
	int rc;

	for (uint32_t t = 0; off->tables != NULL && t < off->info.n_tables; t++) {
		const struct stable *tb = &off->tables[t];
		bool integ = ft_nic_profile_has_item(off->prof, RTE_FLOW_ITEM_TYPE_INTEGRITY);

		for (uint32_t i = 0; i <= tb->n; i++) {
			const struct sentry *e = i < tb->n ? &tb->e[i] : NULL;
			struct ft_placement p = {
				.table = t, .handle = e ? e->handle : UINT32_MAX,
				.rules = e ? e->rules : tb->def_rules,
				.sw_rules = e ? e->sw_rules : tb->def_sw_rules,
				.reason = e ? e->reason : tb->def_reason};

			if (!integ)
				p.reason = no_integrity;
			else if (p.rules + p.sw_rules == 0 && p.reason == NULL)
				p.reason = "no path into the NIC reaches it";
			if ((rc = fn(&p, arg)) != 0)
				return rc;
		}
	}
	return 0;
}

void
ft_offload_stats(const struct ft_offload *off, struct ft_offload_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->rules = off->n_rules;
	out->groups = off->n_groups + 1;
	out->contexts = off->n_ctxs;
	out->bytes = off->bytes + off->n_made * sizeof(struct crule) +
		     off->n_rules * sizeof(struct rref);
	for (uint32_t t = 0; off->tables != NULL && t < off->info.n_tables; t++)
		for (uint32_t i = 0; i < off->tables[t].n; i++) {
			const struct sentry *e = &off->tables[t].e[i];

			if (e->rules && !e->sw_rules)
				out->entries_nic++;
			else if (e->rules)
				out->entries_partial++;
			else
				out->entries_sw++;
		}
}
