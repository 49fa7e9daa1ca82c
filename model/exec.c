/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The packet path of the software model (pipeline.h: ft_worker_run()).
 * Part of model/; pipeline.c compiles what this file runs.
 *
 * A burst goes through in stages, so that table lookups can be done for
 * many packets at once (the match tables prefetch buckets and entries
 * across the burst):
 *
 *   1. parse every packet; its header instances point into the packet;
 *   2. walk the ingress control's nodes in id order (edges only go forward):
 *      at each node, take the packets standing there, build their keys,
 *      look them up together, run the actions, move each to its next node;
 *   3. finish each packet: deparse (emit valid headers in order in front
 *      of the payload), then send, replicate, mirror or drop it; copies run
 *      the egress control one at a time.
 *
 * Headers are read and written in place. A header made valid lives in the
 * worker's scratch area until the deparser copies it into the headroom, so
 * an encapsulation costs one copy of the new headers and nothing else, and a
 * decapsulation only moves the start of the packet.
 *
 * Read side of the grace period (pipeline.c): the burst publishes the
 * generation it saw in busy_gen before reading pipe->active, and clears it
 * at the end. Nothing here allocates, locks or waits.
 */
#include <errno.h>
#include <string.h>

#include <flowtwin/pipeline.h>

#include "pipeline_private.h"
#include "trace_private.h"

/* --- Values --------------------------------------------------------------- */

#define CSUM_SMALL_SEGS 4 /* csum_small(): runs of a checksum list it takes */

static inline uint64_t
be_load(const uint8_t *p, unsigned int n)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (n) {
	case 1:
		return p[0];
	case 2:
		memcpy(&v2, p, 2);
		return __builtin_bswap16(v2);
	case 3:
		memcpy(&v2, p, 2);
		return (uint64_t)__builtin_bswap16(v2) << 8 | p[2];
	case 4:
		memcpy(&v4, p, 4);
		return __builtin_bswap32(v4);
	case 6:
		memcpy(&v4, p, 4);
		memcpy(&v2, p + 4, 2);
		return (uint64_t)__builtin_bswap32(v4) << 16 | __builtin_bswap16(v2);
	case 8:
		memcpy(&v8, p, 8);
		return __builtin_bswap64(v8);
	default: {
		uint64_t v = 0;

		for (unsigned int i = 0; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	}
}

static inline void
be_store(uint8_t *p, unsigned int n, uint64_t v)
{
	uint64_t v8;
	uint32_t v4;
	uint16_t v2;

	switch (n) {
	case 1:
		p[0] = (uint8_t)v;
		return;
	case 2:
		v2 = __builtin_bswap16((uint16_t)v);
		memcpy(p, &v2, 2);
		return;
	case 4:
		v4 = __builtin_bswap32((uint32_t)v);
		memcpy(p, &v4, 4);
		return;
	case 6:
		v4 = __builtin_bswap32((uint32_t)(v >> 16));
		v2 = __builtin_bswap16((uint16_t)v);
		memcpy(p, &v4, 4);
		memcpy(p + 4, &v2, 2);
		return;
	case 8:
		v8 = __builtin_bswap64(v);
		memcpy(p, &v8, 8);
		return;
	default:
		for (unsigned int i = n; i-- > 0; v >>= 8)
			p[i] = (uint8_t)v;
		return;
	}
}

/*
 * memcpy() for the small, variable sizes of headers and fields (up to a few
 * dozen bytes): overlapping 8-byte moves instead of a call into libc.
 */
static inline void
copy_small(uint8_t *d, const uint8_t *s, uint32_t n)
{
	uint64_t a, b;
	uint32_t x, y;

	if (n > 64) {
		/* 16-byte moves (one vector load and store each), the last one overlapping. */
		for (uint32_t i = 0; i + 16 < n; i += 16)
			__builtin_memcpy(d + i, s + i, 16);
		__builtin_memcpy(d + n - 16, s + n - 16, 16);
	} else if (n > 32) {
		/* An encapsulation's headers: 32 bytes from each end, overlapping. */
		__builtin_memcpy(d, s, 32);
		__builtin_memcpy(d + n - 32, s + n - 32, 32);
	} else if (n > 16) {
		__builtin_memcpy(d, s, 16);
		__builtin_memcpy(d + n - 16, s + n - 16, 16);
	} else if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&x, s, 4);
		memcpy(&y, s + n - 4, 4);
		memcpy(d, &x, 4);
		memcpy(d + n - 4, &y, 4);
	} else {
		for (uint32_t i = 0; i < n; i++)
			d[i] = s[i];
	}
}

/*
 * The bytes of a header field, metadata field or action parameter, or NULL
 * for a field of an invalid header. 'params' is the running action's data
 * (NULL outside actions).
 */
static inline uint8_t *
loc_ptr(const struct pstate *ps, const struct loc *l, const uint8_t *params)
{
	uint8_t *base = ps->hdr[l->hdr];

	(void)params; /* in ps->hdr[BASE_PARAMS] while an action runs */
	return base ? base + l->off : NULL;
}

static uint64_t
std_read(const struct pstate *ps, unsigned int which)
{
	switch (which) {
	case FT_STD_IN_PORT:
		return ps->in_port;
	case FT_STD_OUT_PORT:
		return ps->out_port;
	case FT_STD_PKT_LEN:
		return ps->in_len;
	case FT_STD_RID:
		return ps->rid;
	case FT_STD_TIMESTAMP:
		return ps->now;
	default:
		return 0;
	}
}

static inline __attribute__((always_inline)) uint64_t
loc_read(const struct pstate *ps, const struct loc *l, const uint8_t *params)
{
	const uint8_t *p;

	if (l->kind == LOC_CONST)
		return l->cval;
	if (unlikely(l->kind == LOC_STD))
		return std_read(ps, l->off);
	if (unlikely(l->wide) || (p = loc_ptr(ps, l, params)) == NULL)
		return 0;
	return (be_load(p, l->nbytes) >> l->shift) & l->mask;
}


static void
loc_read_bytes(const struct pstate *ps, const struct loc *l, const uint8_t *params, uint8_t *out)
{
	uint32_t nb = (l->bits + 7u) / 8u;
	const uint8_t *p;

	if (!l->wide) {
		be_store(out, nb, loc_read(ps, l, params));
		return;
	}
	if (l->kind == LOC_CONST) {
		memcpy(out, l->cbytes, nb);
		return;
	}
	p = loc_ptr(ps, l, params);
	if (l->kind == LOC_WHOLE_HDR)
		nb = p ? ps->hlen[l->hdr] : 0;
	if (p)
		memcpy(out, p, nb);
	else
		memset(out, 0, nb);
}

static inline __attribute__((always_inline)) void
loc_write(struct pstate *ps, const struct loc *l, uint64_t v)
{
	uint8_t *p = loc_ptr(ps, l, NULL);
	uint64_t m = l->mask;

	if (p == NULL) /* an invalid header: the write is ignored */
		return;
	if (l->shift == 0 && l->bits == l->nbytes * 8u) {
		be_store(p, l->nbytes, v & m);
	} else {
		uint64_t old = be_load(p, l->nbytes);

		m <<= l->shift;
		be_store(p, l->nbytes, (old & ~m) | ((v << l->shift) & m));
	}
}

/* Appends the bits of l to a bit string at 'buf', bit offset *pos. */
static void
bits_append(const struct pstate *ps, const struct loc *l, const uint8_t *params, uint8_t *buf,
	    uint32_t *pos, uint32_t cap)
{
	uint8_t tmp[FT_DATA_BYTES_MAX];
	uint32_t bits = l->bits, nb;

	if (l->kind == LOC_WHOLE_HDR)
		bits = ps->hdr[l->hdr] ? ps->hlen[l->hdr] * 8u : 0;
	nb = (bits + 7) / 8;
	if (nb > sizeof(tmp) || (*pos + bits + 7) / 8 > cap)
		return;
	loc_read_bytes(ps, l, params, tmp);
	if (*pos % 8 == 0 && bits % 8 == 0) {
		memcpy(buf + *pos / 8, tmp, nb);
		*pos += bits;
		return;
	}
	/* Value is right-aligned in nb bytes: skip the leading pad bits. */
	for (uint32_t i = nb * 8 - bits; i < nb * 8; i++, (*pos)++) {
		uint32_t bit = (tmp[i / 8] >> (7 - i % 8)) & 1;
		uint8_t *d = &buf[*pos / 8];

		if (*pos % 8 == 0)
			*d = 0;
		*d |= (uint8_t)(bit << (7 - *pos % 8));
	}
}

static uint32_t
pack_list(const struct pstate *ps, const struct insn *in, const uint8_t *params, uint8_t *buf,
	  uint32_t cap)
{
	uint32_t pos = 0;

	if (in->segs != NULL) {
		/* Whole bytes only: copy each run of adjacent bytes at once. */
		for (uint32_t i = 0; i < in->n_segs; i++) {
			const struct seg *sg = &in->segs[i];
			const uint8_t *base = sg->hdr == BASE_PARAMS ? params : ps->hdr[sg->hdr];
			const uint8_t *p = base ? base + sg->off : NULL;

			/* As in bits_append(): what does not fit is left out. */
			if (pos + sg->len > cap)
				break;
			if (p)
				copy_small(buf + pos, p, sg->len);
			else
				memset(buf + pos, 0, sg->len);
			pos += sg->len;
		}
		return pos;
	}
	for (uint32_t i = 0; i < in->n_list; i++)
		bits_append(ps, &in->list[i], params, buf, &pos, cap);
	return (pos + 7) / 8;
}

static uint16_t
csum16(const uint8_t *p, uint32_t n)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The checksum from a host-order sum of 32-bit lanes: the end of csum_even(), csum_small(). */
static inline uint16_t
csum_fold(uint64_t sum)
{
	/* Below 2^33, then 0x2fffe, 0x10001, 0xffff at most: three folds, no loop. */
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return __builtin_bswap16((uint16_t)~sum);
#else
	return (uint16_t)~sum;
#endif
}

/*
 * The ones' complement checksum of a list that is runs of whole bytes,
 * summed where the bytes are; a run of odd length shifts the byte lanes of
 * the runs after it.
 */
static uint16_t
csum_segs(const struct pstate *ps, const struct insn *in)
{
	uint64_t sum = 0;
	uint32_t odd = 0;

	for (uint32_t i = 0; i < in->n_segs; i++) {
		const struct seg *sg = &in->segs[i];
		const uint8_t *p = ps->hdr[sg->hdr];
		uint32_t n = sg->len, j = 0;

		if (p == NULL) {
			odd ^= n & 1;
			continue;
		}
		p += sg->off;
		if (odd) {
			sum += p[0];
			j = 1;
		}
		for (; j + 3 < n; j += 4) {
			uint32_t v;

			memcpy(&v, p + j, 4);
			sum += __builtin_bswap32(v);
		}
		for (; j + 1 < n; j += 2)
			sum += (uint32_t)(p[j] << 8 | p[j + 1]);
		if (j < n)
			sum += (uint32_t)p[j] << 8;
		odd ^= n & 1;
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * The same when every run has an even length: no byte lanes to track. The
 * 16-bit words are summed in host order, 8 bytes at a time, and the folded
 * sum swapped once at the end: the ones' complement sum does not depend on
 * byte order (RFC 1071, 2(B)), and the fold gives 0 only for all zeros
 * either way, so the result is the same to the bit.
 */
static inline uint16_t
csum_even(const struct pstate *ps, const struct insn *in)
{
	uint64_t sum = 0;

	for (uint32_t i = 0; i < in->n_segs; i++) {
		const struct seg *sg = &in->segs[i];
		const uint8_t *p = ps->hdr[sg->hdr];
		uint32_t j = 0, n = sg->len, v4;
		uint64_t v8;
		uint16_t v2;

		if (p == NULL)
			continue;
		p += sg->off;
		for (; j + 8 <= n; j += 8) {
			memcpy(&v8, p + j, 8);
			sum += (v8 & 0xffffffff) + (v8 >> 32);
		}
		if (j + 4 <= n) {
			memcpy(&v4, p + j, 4);
			sum += v4;
			j += 4;
		}
		if (j < n) {
			memcpy(&v2, p + j, 2);
			sum += v2;
		}
	}
	return csum_fold(sum);
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * What csum_even() adds for a run of n bytes, n even and at most 16, in at
 * most two loads and no loop: the second load, of the run's last 8 bytes, is
 * shifted right past the bytes the first one had, which leaves every byte in
 * the lane csum_even() gives it, so the sum is the same integer.
 */
static inline uint64_t
sum_run16(const uint8_t *p, uint32_t n)
{
	uint64_t a, b = 0, sum = 0;
	uint32_t v4, j = 0;
	uint16_t v2;

	if (n >= 8) {
		memcpy(&a, p, 8);
		if (n > 8) {
			memcpy(&b, p + n - 8, 8);
			b >>= (16 - n) * 8;
		}
		return (a & 0xffffffff) + (a >> 32) + (b & 0xffffffff) + (b >> 32);
	}
	if (n >= 4) {
		memcpy(&v4, p, 4);
		sum += v4;
		j = 4;
	}
	if (j < n) {
		memcpy(&v2, p + j, 2);
		sum += v2;
	}
	return sum;
}

#endif

/* --- Hashes ---------------------------------------------------------------- */

static uint32_t crc32_table[256];
static uint16_t crc16_table[256];

__attribute__((constructor)) static void
hash_tables_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		uint16_t d = (uint16_t)i;

		for (int k = 0; k < 8; k++) {
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
			d = (uint16_t)((d & 1) ? 0xa001u ^ (d >> 1) : d >> 1);
		}
		crc32_table[i] = c;
		crc16_table[i] = d;
	}
}

static const uint8_t rss_key[40] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3,
	0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3,
	0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

static uint64_t
hash_compute(uint32_t algo, const uint8_t *p, uint32_t n)
{
	switch (algo) {
	case FT_HASH_CRC32:
	case FT_HASH_TARGET_DEFAULT: {
		uint32_t c = ~0u;

		for (uint32_t i = 0; i < n; i++)
			c = crc32_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
		return ~c;
	}
	case FT_HASH_CRC16: {
		uint16_t c = 0;

		for (uint32_t i = 0; i < n; i++)
			c = (uint16_t)(crc16_table[(c ^ p[i]) & 0xff] ^ (c >> 8));
		return c;
	}
	case FT_HASH_IDENTITY: {
		uint64_t v = 0;

		for (uint32_t i = n > 8 ? n - 8 : 0; i < n; i++)
			v = v << 8 | p[i];
		return v;
	}
	case FT_HASH_TOEPLITZ: {
		uint32_t h = 0;

		for (uint32_t i = 0; i < n * 8; i++) {
			uint32_t k = 0;

			if (!((p[i / 8] >> (7 - i % 8)) & 1))
				continue;
			for (uint32_t b = 0; b < 32; b++) {
				uint32_t kb = (i + b) % (sizeof(rss_key) * 8);

				k = k << 1 | ((rss_key[kb / 8] >> (7 - kb % 8)) & 1u);
			}
			h ^= k;
		}
		return h;
	}
	default:
		return 0;
	}
}

/* --- Actions --------------------------------------------------------------- */

/* What an action runs in: the packet and its table lookup. */
struct actx {
	struct pstate *ps;
	struct ft_burst_result *res;
	uint16_t src;	    /* index of the input packet */
	uint32_t action;
	uint32_t table;	    /* for LEARN: the applied table, or UINT32_MAX */
	const uint8_t *key; /* its key */
	const uint8_t *data;
};

/* Makes header h valid; 'zero': clear it (not needed when the action fills it all). */
static inline void
header_valid(struct ft_worker *w, struct pstate *ps, uint32_t h, bool zero)
{
	if (ps->hdr[h] != NULL)
		return;
	ps->hdr[h] = ps->scratch + w->pipe->hdr_scratch[h];
	ps->hlen[h] = w->pipe->hdr_bytes[h];
	ps->scratch_mask |= 1u << h;
	if (zero)
		memset(ps->hdr[h], 0, ps->hlen[h]);
}

static void
trace_set(struct ft_worker *w, const struct actx *ax, uint32_t op_index, const uint8_t *old,
	  const uint8_t *now, uint32_t nb)
{
	struct ft_action_info ai;
	const struct ft_ref *r;

	if (ft_program_action(w->pipe->prog, ax->action, &ai) < 0 || op_index >= ai.n_ops)
		return;
	r = &ai.ops[op_index].dst;
	tr_add(w->trace, TR_SET, r->kind, r->id, r->field,
	       ft_program_ref_width(w->pipe->prog, ax->action, r), old, nb, now, nb);
}

static void write_slow(struct ft_worker *w, const struct actx *ax, const struct insn *in,
		       uint64_t v);

/* SET and arithmetic into a narrow destination. */
static inline __attribute__((always_inline)) void
write_traced(struct ft_worker *w, const struct actx *ax, const struct insn *in, uint64_t v)
{
	if (likely(w->trace == NULL))
		loc_write(ax->ps, &in->dst, v);
	else
		write_slow(w, ax, in, v);
}

/* The same, recording the old and new values in the trace. */
static __attribute__((noinline)) void
write_slow(struct ft_worker *w, const struct actx *ax, const struct insn *in, uint64_t v)
{
	uint8_t old[8], now[8];
	uint32_t nb = (in->dst.bits + 7u) / 8u;

	if (in->dst.kind == LOC_HDR && ax->ps->hdr[in->dst.hdr] == NULL)
		return; /* a field of an invalid header: the write is ignored, not traced */
	be_store(old, nb, loc_read(ax->ps, &in->dst, NULL));
	loc_write(ax->ps, &in->dst, v);
	be_store(now, nb, loc_read(ax->ps, &in->dst, NULL));
	trace_set(w, ax, in->src_op, old, now, nb);
}

static void
run_copy(struct ft_worker *w, const struct actx *ax, const struct insn *in)
{
	struct pstate *ps = ax->ps;
	uint8_t *dst = ps->hdr[in->dst.hdr];
	uint8_t old[FT_HEADER_BYTES_MAX];
	struct ft_action_info ai;

	if (dst == NULL)
		return;
	dst += in->dst.off;
	if (likely(w->trace == NULL)) {
		copy_small(dst, ax->data + in->a.off, in->len);
		return;
	}
	memcpy(old, dst, in->len);
	memcpy(dst, ax->data + in->a.off, in->len);
	/* One SET record per assignment the copy stands for. */
	ft_program_action(w->pipe->prog, ax->action, &ai);
	for (uint32_t op = in->src_op, done = 0; done < in->len && op < ai.n_ops; op++) {
		uint32_t nb = ft_program_ref_width(w->pipe->prog, ax->action, &ai.ops[op].dst) / 8;

		trace_set(w, ax, op, old + done, dst + done, nb);
		done += nb;
	}
}

static void
run_learn(struct ft_worker *w, const struct actx *ax, const struct insn *in)
{
	const struct ptable *t;
	struct learn_req *r;
	struct ft_action_info ai;
	uint32_t head, tail, off = 0;
	bool queued = false;

	if (ax->table == UINT32_MAX)
		return;
	t = &w->pipe->tables[ax->table];
	head = atomic_load_explicit(&w->ring_head, memory_order_relaxed);
	tail = atomic_load_explicit(&w->ring_tail, memory_order_acquire);
	if (head - tail >= w->ring_size) {
		atomic_fetch_add_explicit(&w->bank.learn_lost, 1, memory_order_relaxed);
	} else {
		r = &w->ring[head & (w->ring_size - 1)];
		r->table = ax->table;
		r->action = in->id;
		memcpy(r->key, ax->key, t->key_size);
		ft_program_action(w->pipe->prog, in->id, &ai);
		memset(r->data, 0, sizeof(r->data));
		for (uint32_t i = 0; i < in->n_list && i < ai.n_params; i++) {
			uint32_t nb = (ai.params[i].bits + 7) / 8;
			uint8_t tmp[16];
			uint32_t have = (in->list[i].bits + 7) / 8;

			loc_read_bytes(ax->ps, &in->list[i], ax->data, tmp);
			/* Right-align the value in the parameter's bytes (zero-extended). */
			if (have <= nb)
				memcpy(r->data + off + nb - have, tmp, have);
			else
				memcpy(r->data + off, tmp + have - nb, nb);
			if (nb * 8 > ai.params[i].bits)
				r->data[off] &= (uint8_t)(0xffu >> (nb * 8 - ai.params[i].bits));
			off += nb;
		}
		atomic_store_explicit(&w->ring_head, head + 1, memory_order_release);
		queued = true;
	}
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_LEARN, ax->table, in->id, queued, 0, ax->key, t->key_size,
		       queued ? r->data : NULL, queued ? off : 0);
}

static void
run_digest(struct ft_worker *w, const struct actx *ax, const struct insn *in)
{
	struct ft_burst_result *res = ax->res;
	uint8_t buf[FT_DIGEST_BYTES_MAX];
	uint32_t len = 0;

	for (uint32_t i = 0; i < in->n_list; i++) {
		const struct loc *l = &in->list[i];
		uint32_t nb = (l->bits + 7u) / 8u;

		if (len + nb > sizeof(buf))
			break;
		if (l->kind == LOC_WHOLE_HDR) {
			/* The bytes of its type (options left out); zeros if it is invalid. */
			if (ax->ps->hdr[l->hdr] != NULL)
				memcpy(buf + len, ax->ps->hdr[l->hdr], nb);
			else
				memset(buf + len, 0, nb);
		} else {
			loc_read_bytes(ax->ps, l, ax->data, buf + len);
		}
		len += nb;
	}
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_DIGEST, in->id, 0, 0, 0, buf, len, NULL, 0);
	(void)res;
	if (w->n_events >= EVENTS_PENDING_MAX) {
		atomic_fetch_add_explicit(&w->bank.events_lost, 1, memory_order_relaxed);
		return;
	}
	w->events[w->n_events] = (struct ft_event){
		.kind = FT_EVENT_DIGEST, .src = ax->src, .id = in->id, .len = (uint16_t)len};
	memcpy(w->events[w->n_events].data, buf, len);
	w->n_events++;
}

/* Runs instruction 'in' of action ax->action for one packet. */
static inline __attribute__((always_inline)) void
run_insn(struct ft_worker *w, const struct actx *ax, const struct insn *in)
{
	struct pstate *ps = ax->ps;
	const uint8_t *data = ax->data;
	uint64_t a, b;

	switch (in->kind) {
	case I_COPY:
		run_copy(w, ax, in);
		break;
	case I_SET:
		write_traced(w, ax, in, loc_read(ps, &in->a, data));
		break;
	case I_ADD:
	case I_ADD16:
	case I_SUB:
	case I_AND:
	case I_OR:
	case I_XOR:
	case I_SHL:
	case I_SHR:
	case I_NOT:
		a = loc_read(ps, &in->a, data);
		b = in->kind == I_NOT ? 0 : loc_read(ps, &in->b, data);
		switch (in->kind) {
		case I_ADD:
		case I_ADD16: a += b; break;
		case I_SUB: a -= b; break;
		case I_AND: a &= b; break;
		case I_OR: a |= b; break;
		case I_XOR: a ^= b; break;
		case I_SHL: a = b >= 64 ? 0 : a << b; break;
		case I_SHR: a = b >= 64 ? 0 : a >> b; break;
		default: a = ~a; break;
		}
		write_traced(w, ax, in, a);
		break;
	case I_SET_WIDE: {
		uint8_t tmp[16], old[16];
		uint8_t *p = loc_ptr(ps, &in->dst, NULL);
		uint32_t nb = in->dst.bits / 8u;

		if (p == NULL)
			break;
		loc_read_bytes(ps, &in->a, data, tmp);
		memcpy(old, p, nb);
		memcpy(p, tmp, nb);
		if (unlikely(w->trace != NULL))
			trace_set(w, ax, in->src_op, old, p, nb);
		break;
	}
	case I_HDR_COPY: {
		uint32_t d = in->dst.hdr, s = in->a.hdr;

		if (ps->hdr[s] == NULL) {
			if (ps->hdr[d] && unlikely(w->trace != NULL))
				tr_add(w->trace, TR_INVALID, d, 0, 0, 0, NULL, 0, NULL, 0);
			ps->hdr[d] = NULL;
			ps->invalidated = true;
			ps->scratch_mask &= ~(1u << d);
			break;
		}
		if (unlikely(w->trace != NULL)) {
			uint32_t nb = w->pipe->hdr_bytes[d];
			uint8_t old[FT_HEADER_BYTES_MAX] = {0};

			if (ps->hdr[d] == NULL)
				tr_add(w->trace, TR_VALID, d, 0, 0, 0, NULL, 0, NULL, 0);
			else
				memcpy(old, ps->hdr[d], nb);
			header_valid(w, ps, d, false);
			memmove(ps->hdr[d], ps->hdr[s], nb);
			tr_add(w->trace, TR_SET, FT_REF_HEADER, d, 0, nb * 8, old, nb, ps->hdr[d],
			       nb);
			break;
		}
		header_valid(w, ps, d, false);
		memmove(ps->hdr[d], ps->hdr[s], w->pipe->hdr_bytes[d]);
		break;
	}
	case I_VALID:
		if (ps->hdr[in->dst.hdr] == NULL && unlikely(w->trace != NULL))
			tr_add(w->trace, TR_VALID, in->dst.hdr, 0, 0, 0, NULL, 0, NULL, 0);
		/* Traces show old values: give them zeros, not a previous packet's. */
		header_valid(w, ps, in->dst.hdr, in->len == 0 || w->trace != NULL);
		break;
	case I_INVALID:
		if (ps->hdr[in->dst.hdr] != NULL && unlikely(w->trace != NULL))
			tr_add(w->trace, TR_INVALID, in->dst.hdr, 0, 0, 0, NULL, 0, NULL, 0);
		ps->hdr[in->dst.hdr] = NULL;
		ps->invalidated = true;
		ps->scratch_mask &= ~(1u << in->dst.hdr);
		break;
	case I_CSUM:
	case I_HASH: {
		uint8_t buf[FT_DATA_BYTES_MAX];
		uint32_t n = in->kind == I_CSUM && in->segs ? 0
							  : pack_list(ps, in, data, buf, sizeof(buf));

		if (in->kind == I_CSUM) {
			write_traced(w, ax, in, in->segs ? csum_segs(ps, in) : csum16(buf, n));
		} else {
			uint64_t h = hash_compute(in->id, buf, n);

			a = loc_read(ps, &in->a, data);
			b = loc_read(ps, &in->b, data);
			write_traced(w, ax, in, b ? a + h % b : a);
		}
		break;
	}
	case I_SEND:
		ps->fate = FATE_SEND;
		ps->fate_action = (uint16_t)ax->action;
		ps->out_port = (uint32_t)loc_read(ps, &in->a, data);
		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_SEND, ps->out_port, 0, 0, 0, NULL, 0, NULL, 0);
		break;
	case I_DROP:
		ps->fate = FATE_DROP;
		ps->fate_action = (uint16_t)ax->action;
		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_DROP, FT_DROP_ACTION, ax->action, 1, 0, NULL, 0,
			       NULL, 0);
		break;
	case I_REPLICATE:
		ps->fate = FATE_GROUP;
		ps->fate_action = (uint16_t)ax->action;
		ps->group = (uint32_t)loc_read(ps, &in->a, data);
		break;
	case I_MIRROR:
		ps->mirror = (uint32_t)loc_read(ps, &in->a, data);
		break;
	case I_DIGEST:
		run_digest(w, ax, in);
		break;
	case I_LEARN:
		run_learn(w, ax, in);
		break;
	case I_COUNT: {
		uint64_t idx = loc_read(ps, &in->a, data);

		if (idx < w->pipe->counter_size[in->id] && !w->replay) {
			struct counter_cell *c = &w->bank.cells[in->id][idx];

			atomic_store_explicit(&c->packets, RLOAD(c->packets) + 1,
					      memory_order_relaxed);
			atomic_store_explicit(&c->bytes, RLOAD(c->bytes) + ps->pkt->len,
					      memory_order_relaxed);
		}
		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_COUNT, in->id, (uint32_t)idx, 0, 0, NULL, 0,
			       NULL, 0);
		break;
	}
	}
}

/* I_COPY for the n packets of 'ax'. */
static inline __attribute__((always_inline)) void
copy_loop(const struct actx *ax, uint32_t n, uint8_t hdr, uint32_t off, uint32_t src, uint32_t len)
{
	for (uint32_t k = 0; k < n; k++) {
		uint8_t *d = ax[k].ps->hdr[hdr];

		if (d != NULL)
			copy_small(d + off, ax[k].data + src, len);
	}
}

/*
 * I_VALID_SCRATCH of 'ns' headers, packet by packet: their slots and sizes
 * held in locals across the burst (in registers when 'ns' is a small
 * constant, as the callers make it for up to four).
 */
static inline __attribute__((always_inline)) void
valid_scratch(const struct actx *ax, uint32_t n, const struct insn *in, const uint32_t ns)
{
	uint8_t h[FT_HEADERS_MAX];
	uint16_t off[FT_HEADERS_MAX], len[FT_HEADERS_MAX];
	const uint32_t mask = in->mask;

#pragma GCC unroll 4
	for (uint32_t j = 0; j < ns; j++) {
		h[j] = in->segs[j].hdr;
		off[j] = in->segs[j].off;
		len[j] = in->segs[j].len;
	}
	for (uint32_t k = 0; k < n; k++) {
		struct pstate *ps = ax[k].ps;
		uint8_t *sc = ps->scratch;

#pragma GCC unroll 4
		for (uint32_t j = 0; j < ns; j++) {
			ps->hdr[h[j]] = sc + off[j];
			ps->hlen[h[j]] = len[j];
		}
		ps->scratch_mask |= mask;
	}
}

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
/*
 * I_CSUM into a whole 16-bit field of a list of 'ns' runs, each of even
 * length and at most 16 bytes (an IPv4 header around its checksum): their
 * places held in locals across the burst, as in valid_scratch().
 */
static inline __attribute__((always_inline)) void
csum_small(const struct actx *ax, uint32_t n, const struct insn *in, const uint32_t ns)
{
	uint8_t h[CSUM_SMALL_SEGS];
	uint16_t off[CSUM_SMALL_SEGS], len[CSUM_SMALL_SEGS];
	const uint8_t dh = in->dst.hdr;
	const uint16_t doff = in->dst.off;

#pragma GCC unroll 4
	for (uint32_t j = 0; j < ns; j++) {
		h[j] = in->segs[j].hdr;
		off[j] = in->segs[j].off;
		len[j] = in->segs[j].len;
	}
	for (uint32_t k = 0; k < n; k++) {
		const struct pstate *ps = ax[k].ps;
		uint8_t *d = ps->hdr[dh];
		uint64_t sum = 0;

		if (d == NULL)
			continue;
#pragma GCC unroll 4
		for (uint32_t j = 0; j < ns; j++) {
			const uint8_t *p = ps->hdr[h[j]];

			if (p != NULL)
				sum += sum_run16(p + off[j], len[j]);
		}
		be_store(d + doff, 2, csum_fold(sum));
	}
}
#endif

/*
 * Runs one action for the n packets of 'ax' (all with the same action): the
 * instruction list is walked once, each instruction applied to every packet
 * before the next, so its dispatch and operands are decoded once a burst.
 * The common kinds have loops of their own; the others go through run_insn().
 */
static void
run_action(struct ft_worker *w, const struct actx *ax, uint32_t n)
{
	const struct caction *ca = &w->pipe->actions[ax[0].action];

	for (uint32_t k = 0; k < n; k++) {
		ax[k].ps->last_action = (uint16_t)ax[k].action;
		ax[k].ps->hdr[BASE_PARAMS] = (uint8_t *)ax[k].data;
	}
	if (unlikely(w->trace != NULL)) {
		/* One record per operation: the general list, one packet at a time. */
		for (const struct insn *in = ca->insns, *end = in + ca->n_insns; in < end; in++)
			for (uint32_t k = 0; k < n; k++)
				run_insn(w, &ax[k], in);
		return;
	}
	for (const struct insn *in = ca->fast, *end = in + ca->n_fast; in < end; in++) {
		switch (in->kind) {
		case I_COPY: {
			const uint8_t hdr = in->dst.hdr;
			const uint32_t off = in->dst.off, src = in->a.off, len = in->len;

			/* Each range of len its own loop: copy_small() picks its moves once. */
			if (len > 32 && len <= 64)
				copy_loop(ax, n, hdr, off, src, len);
			else if (len > 16 && len <= 32)
				copy_loop(ax, n, hdr, off, src, len);
			else if (len >= 8 && len <= 16)
				copy_loop(ax, n, hdr, off, src, len);
			else
				copy_loop(ax, n, hdr, off, src, len);
			break;
		}
		case I_VALID:
			for (uint32_t k = 0; k < n; k++)
				header_valid(w, ax[k].ps, in->dst.hdr, in->len == 0);
			break;
		case I_VALID_SCRATCH:
			switch (in->n_segs) {
			case 1: valid_scratch(ax, n, in, 1); continue;
			case 2: valid_scratch(ax, n, in, 2); continue;
			case 3: valid_scratch(ax, n, in, 3); continue;
			case 4: valid_scratch(ax, n, in, 4); continue;
			default: valid_scratch(ax, n, in, in->n_segs); continue;
			}
		case I_INVALID:
			for (uint32_t k = 0; k < n; k++) {
				ax[k].ps->hdr[in->dst.hdr] = NULL;
				ax[k].ps->invalidated = true;
				ax[k].ps->scratch_mask &= ~(1u << in->dst.hdr);
			}
			break;
		case I_SET:
			for (uint32_t k = 0; k < n; k++)
				loc_write(ax[k].ps, &in->dst, loc_read(ax[k].ps, &in->a, ax[k].data));
			break;
		case I_ADD16: {
			const struct loc *d = &in->dst, *a = &in->a, *b = &in->b;

			if (d->hdr == BASE_SCRATCH && a->hdr == BASE_SCRATCH &&
			    b->kind == LOC_HDR) {
				/* A length in a new header: only the packet's may be missing. */
				const uint16_t doff = d->off, aoff = a->off, boff = b->off;
				const uint8_t bh = b->hdr;

				for (uint32_t k = 0; k < n; k++) {
					const struct pstate *ps = ax[k].ps;
					const uint8_t *pb = ps->hdr[bh];
					uint32_t v = (uint32_t)be_load(ps->scratch + aoff, 2);

					if (pb != NULL)
						v += (uint32_t)be_load(pb + boff, 2);
					be_store(ps->scratch + doff, 2, v & 0xffff);
				}
				break;
			}
			for (uint32_t k = 0; k < n; k++) {
				uint8_t *const *base = ax[k].ps->hdr;
				uint32_t va = base[a->hdr] ? be_load(base[a->hdr] + a->off, 2) : 0;
				uint32_t vb = b->kind == LOC_CONST
						      ? (uint32_t)b->cval
						      : (base[b->hdr] ? be_load(base[b->hdr] + b->off, 2) : 0);

				if (base[d->hdr] != NULL)
					be_store(base[d->hdr] + d->off, 2, (va + vb) & 0xffff);
			}
			break;
		}
		case I_ADD:
			for (uint32_t k = 0; k < n; k++)
				loc_write(ax[k].ps, &in->dst,
					  loc_read(ax[k].ps, &in->a, ax[k].data) +
						  loc_read(ax[k].ps, &in->b, ax[k].data));
			break;
		case I_CSUM:
			if (in->segs == NULL)
				goto one_by_one;
			if (in->segs_even && in->dst.shift == 0 && in->dst.nbytes == 2 &&
			    in->dst.bits == 16) {
				/* loc_write() of a whole 16-bit field, its operands hoisted. */
				const uint8_t dh = in->dst.hdr;
				const uint16_t doff = in->dst.off;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				bool small = in->n_segs <= CSUM_SMALL_SEGS;

				for (uint32_t j = 0; small && j < in->n_segs; j++)
					small = in->segs[j].len <= 16;
				switch (small ? in->n_segs : 0) {
				case 1: csum_small(ax, n, in, 1); continue;
				case 2: csum_small(ax, n, in, 2); continue;
				case 3: csum_small(ax, n, in, 3); continue;
				case 4: csum_small(ax, n, in, 4); continue;
				default: break;
				}
#endif

				for (uint32_t k = 0; k < n; k++) {
					uint8_t *d = ax[k].ps->hdr[dh];

					if (d != NULL)
						be_store(d + doff, 2, csum_even(ax[k].ps, in));
				}
				break;
			}
			for (uint32_t k = 0; k < n; k++)
				loc_write(ax[k].ps, &in->dst,
					  in->segs_even ? csum_even(ax[k].ps, in) : csum_segs(ax[k].ps, in));
			break;
		case I_SEND:
			if (in->a.kind == LOC_PARAM && in->a.aligned && in->a.bits == 32) {
				const uint16_t off = in->a.off;

				for (uint32_t k = 0; k < n; k++) {
					ax[k].ps->fate = FATE_SEND;
					ax[k].ps->fate_action = (uint16_t)ax[k].action;
					ax[k].ps->out_port = (uint32_t)be_load(ax[k].data + off, 4);
				}
				break;
			}
			for (uint32_t k = 0; k < n; k++) {
				ax[k].ps->fate = FATE_SEND;
				ax[k].ps->fate_action = (uint16_t)ax[k].action;
				ax[k].ps->out_port = (uint32_t)loc_read(ax[k].ps, &in->a, ax[k].data);
			}
			break;
		default:
		one_by_one:
			for (uint32_t k = 0; k < n; k++)
				run_insn(w, &ax[k], in);
			break;
		}
	}
}

/* --- Tables and control ---------------------------------------------------- */

static inline void
count_add(struct counter_cell *c, uint32_t bytes)
{
	atomic_store_explicit(&c->packets, RLOAD(c->packets) + 1, memory_order_relaxed);
	atomic_store_explicit(&c->bytes, RLOAD(c->bytes) + bytes, memory_order_relaxed);
}

static void
key_build(const struct ptable *t, const struct pstate *ps, uint8_t *key)
{
	for (uint32_t k = 0; k < t->n_keys; k++) {
		const struct ckey *ck = &t->keys[k];
		const uint8_t *p;

		if (ck->loc.aligned && ck->loc.kind != LOC_STD) {
			p = loc_ptr(ps, &ck->loc, NULL);
			if (p)
				copy_small(key + ck->off, p, ck->nbytes);
			else
				memset(key + ck->off, 0, ck->nbytes);
		} else if (ck->loc.wide) {
			loc_read_bytes(ps, &ck->loc, NULL, key + ck->off);
		} else {
			be_store(key + ck->off, ck->nbytes, loc_read(ps, &ck->loc, NULL));
		}
	}
}


struct burst {
	struct ft_worker *w;
	struct ft_burst_result *res;
	int copy; /* the active copy */
};

static void
apply_table(struct burst *bu, const struct ft_node *nd, struct pstate **sel, const uint16_t *src,
	    uint32_t m)
{
	struct ft_worker *w = bu->w;
	const struct ptable *t = &w->pipe->tables[nd->table];
	const struct tcopy *tc = &t->copy[bu->copy];
	uint8_t keys[FT_BURST_MAX][FT_KEY_BYTES_MAX] __attribute__((aligned(8)));
	const uint8_t *kp[FT_BURST_MAX];
	uint32_t idx[FT_BURST_MAX];

	kp[0] = NULL; /* m >= 1; gcc -O3 cannot tell */
	if (t->n_keys == 1 && t->keys[0].loc.aligned && t->keys[0].loc.kind != LOC_STD) {
		/* One whole-byte field (an address, say): key_build() with its operands hoisted. */
		const struct ckey *ck = &t->keys[0];
		const uint32_t hdr = ck->loc.hdr, from = ck->loc.off, to = ck->off, nb = ck->nbytes;

		for (uint32_t i = 0; i < m; i++) {
			const uint8_t *p = sel[i]->hdr[hdr];

			if (p)
				copy_small(keys[i] + to, p + from, nb);
			else
				memset(keys[i] + to, 0, nb);
			kp[i] = keys[i];
		}
	} else {
		for (uint32_t i = 0; i < m; i++) {
			key_build(t, sel[i], keys[i]);
			kp[i] = keys[i];
		}
	}
	if (tc->mt != NULL)
		mt_lookup(tc->mt, kp, m, idx);
	else
		for (uint32_t i = 0; i < m; i++)
			idx[i] = MT_MISS;
	/*
	 * The lookup brought each entry in (an exact table's slot, its first and
	 * last line: all of it up to 72 bytes, as slots start at multiples of 8;
	 * a wildcard table's first line); fetch the rest of its action data
	 * where that may miss, and its counters, for the whole burst before
	 * running the actions, so that the misses overlap.
	 */
	/* Copied: the compiler reloads it from 't' after each call and atomic store otherwise. */
	const struct slot_fmt fmt = t->fmt;
	struct counter_cell *cells = w->bank.entry[nd->table];

	if (t->wildcard || t->stride > 72)
		for (uint32_t i = 0; i < m; i++)
			if (idx[i] != MT_MISS)
				__builtin_prefetch(slot_ptr(t, idx[i]) + t->data_off + 32);
	for (uint32_t i = 0; i < m; i++)
		if (idx[i] != MT_MISS)
			__builtin_prefetch(&cells[fmt_handle(&fmt, slot_ptr(t, idx[i]))], 1);
	/* Trace, and group the packets by the action they run. */
	struct actx ax[FT_BURST_MAX];
	uint8_t hit[FT_BURST_MAX];
	uint32_t hits = 0, mixed = 0;
	/* Loaded once: the compiler reloads them after each atomic store otherwise. */
	_Atomic uint32_t *last_hit = t->last_hit;
	struct ft_burst_result *res = bu->res;
	const uint32_t table = nd->table, default_slot = tc->default_slot, data_off = t->data_off;
	const uint32_t now = (uint32_t)w->now;
	const bool tracing = w->trace != NULL;
	/* No per-action successors: hit or miss decides, set here in the same pass. */
	const bool by_hit = nd->n_on_action == 0;
	const uint32_t on_hit = ft_node_next(nd, true, UINT32_MAX);
	const uint32_t on_miss = ft_node_next(nd, false, UINT32_MAX);

	for (uint32_t i = 0; i < m; i++) {
		struct pstate *ps = sel[i];
		uint32_t s = idx[i] != MT_MISS ? idx[i] : default_slot;
		const uint8_t *slot = slot_ptr(t, s);

		hit[i] = idx[i] != MT_MISS;
		if (by_hit)
			ps->node = hit[i] ? on_hit : on_miss;
		ax[i] = (struct actx){
			.ps = ps,
			.res = res,
			.src = src[i],
			.action = fmt_action(&fmt, slot),
			.table = table,
			.key = keys[i],
			.data = slot + data_off,
		};
		hits += hit[i];
		if (unlikely(tracing)) {
			uint32_t ds = w->pipe->actions[ax[i].action].data_size;

			if (hit[i])
				tr_add(w->trace, TR_TABLE, nd->table, 1, fmt_handle(&fmt, slot),
				       ax[i].action, keys[i], t->key_size, ax[i].data, ds);
			else
				tr_add(w->trace, TR_DEFAULT, nd->table, 0, 0, ax[i].action, keys[i],
				       t->key_size, ax[i].data, ds);
		}
		mixed |= ax[i].action ^ ax[0].action;
	}
	atomic_store_explicit(&w->bank.hits[nd->table], RLOAD(w->bank.hits[nd->table]) + hits,
			      memory_order_relaxed);
	atomic_store_explicit(&w->bank.misses[nd->table],
			      RLOAD(w->bank.misses[nd->table]) + (m - hits), memory_order_relaxed);
	if (mixed == 0) {
		run_action(w, ax, m);
	} else {
		/* Several actions: run each over the packets that chose it, in burst order. */
		struct actx grp[FT_BURST_MAX];
		uint8_t done[FT_BURST_MAX] = {0};

		for (uint32_t i = 0; i < m; i++) {
			uint32_t g = 0;

			if (done[i])
				continue;
			for (uint32_t j = i; j < m; j++)
				if (!done[j] && ax[j].action == ax[i].action) {
					grp[g++] = ax[j];
					done[j] = 1;
				}
			run_action(w, grp, g);
		}
	}
	/*
	 * The entries' counters are written after the actions, not before: their
	 * lines, prefetched above, have the actions' time to come in.
	 */
	for (uint32_t i = 0; i < m; i++) {
		uint32_t h;

		if (!hit[i])
			continue;
		h = fmt_handle(&fmt, slot_ptr(t, idx[i]));
		count_add(&cells[h], sel[i]->pkt->len);
		if (last_hit)
			atomic_store_explicit(&last_hit[h], now, memory_order_relaxed);
	}
	if (!by_hit)
		for (uint32_t i = 0; i < m; i++)
			sel[i]->node = ft_node_next(nd, hit[i], ax[i].action);
}

static bool
cond_eval(const struct ft_pipeline *pipe, const struct pstate *ps, uint32_t c)
{
	const struct ccond *cd = &pipe->conds[c];

	switch (cd->kind) {
	case FT_COND_VALID:
		return ps->hdr[cd->hdr] != NULL;
	case FT_COND_NOT:
		return !cond_eval(pipe, ps, cd->l);
	case FT_COND_AND:
		return cond_eval(pipe, ps, cd->l) && cond_eval(pipe, ps, cd->r);
	case FT_COND_OR:
		return cond_eval(pipe, ps, cd->l) || cond_eval(pipe, ps, cd->r);
	case FT_COND_CMP: {
		const struct loc *a = &cd->a, *b = &cd->b;
		uint64_t x, y;

		if (a->wide || b->wide) {
			uint8_t u[16] = {0}, v[16] = {0};
			int r;

			loc_read_bytes(ps, a, NULL, u);
			loc_read_bytes(ps, b, NULL, v);
			r = memcmp(u, v, (a->bits + 7u) / 8u);
			return cd->cmp == FT_CMP_EQ ? r == 0 : r != 0;
		}
		x = loc_read(ps, a, NULL);
		y = loc_read(ps, b, NULL);
		switch (cd->cmp) {
		case FT_CMP_EQ: return x == y;
		case FT_CMP_NE: return x != y;
		case FT_CMP_LT: return x < y;
		case FT_CMP_LE: return x <= y;
		case FT_CMP_GT: return x > y;
		case FT_CMP_GE: return x >= y;
		}
	}
	}
	return false;
}

/* Runs the packets ps[sel..] through control 'ctl', grouping them at each node. */
static void
run_control(struct burst *bu, enum ft_control ctl, struct pstate **all, const uint16_t *src,
	    uint32_t n)
{
	struct ft_worker *w = bu->w;
	const struct ft_pipeline *pipe = w->pipe;
	struct pstate *sel_buf[FT_BURST_MAX];
	uint16_t src_buf[FT_BURST_MAX];

	if (n == 0)
		return;
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_CONTROL, ctl, all[0]->rid, all[0]->out_port, 0, NULL, 0, NULL,
		       0);
	/*
	 * Edges only go forward, so the next node to visit is the smallest one
	 * a packet stands at: nodes no packet reaches cost nothing.
	 */
	uint32_t k = UINT32_MAX;
	bool together = true; /* every packet stands at k */

	for (uint32_t i = 0; i < n; i++) {
		together &= i == 0 || all[i]->node == k;
		if (all[i]->node < k)
			k = all[i]->node;
	}
	while (k < pipe->n_nodes[ctl]) {
		const struct ft_node *nd = &pipe->nodes[ctl][k];
		struct pstate **sel = all;
		const uint16_t *sel_src = src;
		uint32_t m = n;

		/* Packets start together at node 0 (pstate_init()), unless they resume. */
		if (!together) {
			sel = sel_buf;
			sel_src = src_buf;
			m = 0;
			for (uint32_t i = 0; i < n; i++)
				if (all[i]->node == k) {
					sel_buf[m] = all[i];
					src_buf[m++] = src[i];
				}
		}
		switch (nd->kind) {
		case FT_NODE_APPLY:
			apply_table(bu, nd, sel, sel_src, m);
			break;
		case FT_NODE_RUN:
		{
			struct actx ax[FT_BURST_MAX];

			for (uint32_t i = 0; i < m; i++) {
				ax[i] = (struct actx){.ps = sel[i], .res = bu->res,
						      .src = sel_src[i], .action = nd->action,
						      .table = UINT32_MAX};
				sel[i]->node = nd->next;
			}
			if (unlikely(w->trace != NULL))
				tr_add(w->trace, TR_ACTION, nd->action, 0, 0, 0, NULL, 0, NULL, 0);
			run_action(w, ax, m);
			break;
		}
		case FT_NODE_IF:
			for (uint32_t i = 0; i < m; i++) {
				bool r = cond_eval(pipe, sel[i], nd->cond);

				if (unlikely(w->trace != NULL))
					tr_add(w->trace, TR_COND, nd->cond, r, 0, 0, NULL, 0, NULL,
					       0);
				sel[i]->node = r ? nd->next : nd->next_false;
			}
			break;
		}
		k = UINT32_MAX;
		together = false;
		for (uint32_t i = 0; i < n; i++)
			if (all[i]->node < k)
				k = all[i]->node;
	}
}

/* --- Packets in and out ----------------------------------------------------- */

/* Parses ps->pkt and points the header instances at their layers. */
static unsigned int
pstate_parse(struct ft_worker *w, struct pstate *ps)
{
	const struct ft_pipeline *pipe = w->pipe;
	struct ft_pkt *p = ps->pkt;
	struct ft_parse pr;
	unsigned int drop;

	ps->data = ft_pkt_data(p);
	/*
	 * Every instance invalid. Programs with up to 8 headers clear a fixed
	 * 8 slots, inline (the slots past n_headers are never used).
	 */
	if (pipe->n_headers <= 8)
		memset(ps->hdr, 0, 8 * sizeof(ps->hdr[0]));
	else
		memset(ps->hdr, 0, pipe->n_headers * sizeof(ps->hdr[0]));
	drop = ft_parse(&pipe->parse_cfg, ps->data, p->len, &pr);
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_PARSE, pr.present, drop, pr.payload, pr.flags, NULL, 0, NULL,
		       0);
	if (drop != FT_DROP_NONE)
		return drop;
	/* The parsed instances valid: the (layer, instance) pairs of compile(). */
	for (uint32_t i = 0; i < pipe->n_parsed; i++) {
		uint32_t l = pipe->parsed_layer[i];
		uint8_t h = pipe->parsed_inst[i];

		if (pr.present & FT_LAYER_BIT(l)) {
			ps->hdr[h] = ps->data + pr.off[l];
			ps->hlen[h] = pr.len[l];
		}
	}
	ps->payload = pr.payload;
	return FT_DROP_NONE;
}

static void
pstate_init(struct ft_worker *w, struct pstate *ps, struct ft_pkt *p)
{
	ps->pkt = p;
	ps->node = 0;
	ps->fate = FATE_NONE;
	ps->drop = FT_DROP_NONE;
	ps->group = UINT32_MAX;
	ps->mirror = UINT32_MAX;
	ps->out_port = 0;
	ps->rid = 0;
	ps->last_action = UINT16_MAX;
	ps->fate_action = UINT16_MAX;
	ps->in_port = p->in_port;
	ps->in_len = p->len;
	ps->now = w->now;
	ps->invalidated = false;
	ps->scratch_mask = 0;
	ps->hdr[BASE_META] = ps->meta;
	if (w->pipe->meta_size)
		memset(ps->meta, 0, w->pipe->meta_size);
}

/*
 * Emits the valid headers in order, in front of the payload: the headers at
 * the end that are already in place stay; the others are gathered and
 * written in front of them, into the headroom if need be.
 */
static __attribute__((noinline)) unsigned int
deparse_general(struct ft_worker *w, struct pstate *ps)
{
	const struct ft_pipeline *pipe = w->pipe;
	struct ft_pkt *p = ps->pkt;
	uint8_t *end = ps->data + ps->payload, *cursor = end;
	uint8_t *pkt_end = ft_pkt_data(p) + p->len;
	int k = (int)pipe->n_emit - 1;
	uint32_t emitted = 0;

	/*
	 * One pass from the last header: the ones at the end that are already
	 * in place stay; from the first that is not, the rest are gathered.
	 */
	{
		uint8_t *lo = p->buf, *hi = p->buf + p->buf_len;
		uint32_t total = 0;
		bool gather = false, in_place = false;
		int first = -1;

		for (; k >= 0; k--) {
			uint32_t h = pipe->emit[k];
			uint8_t *hp = ps->hdr[h];

			if (hp == NULL)
				continue;
			if (!gather && hp + ps->hlen[h] == cursor) {
				cursor -= ps->hlen[h];
				emitted++;
				continue;
			}
			gather = true;
			first = k;
			total += ps->hlen[h];
			in_place |= hp >= lo && hp < hi;
		}
		if (gather) {
			uint8_t *start, *d;

			if ((size_t)(cursor - p->buf) < total)
				return FT_DROP_NO_HEADROOM;
			/* Headers still in the packet may overlap where they go: stage them. */
			start = d = in_place ? w->deparse_buf : cursor - total;
			for (int j = first; d < start + total; j++) {
				uint32_t h = pipe->emit[j];

				if (ps->hdr[h] == NULL)
					continue;
				copy_small(d, ps->hdr[h], ps->hlen[h]);
				d += ps->hlen[h];
				emitted++;
			}
			cursor -= total;
			if (in_place)
				memcpy(cursor, w->deparse_buf, total);
		}
	}
	if (pkt_end - cursor > UINT16_MAX)
		return FT_DROP_TOO_BIG;
	p->data_off = (uint16_t)(cursor - p->buf);
	p->len = (uint16_t)(pkt_end - cursor);
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_DEPARSE, emitted, p->len, 0, 0, NULL, 0, NULL, 0);
	return FT_DROP_NONE;
}

/*
 * deparse_general() with the common cases inline: nothing moved, or an
 * encapsulation that made every prefix header valid and nothing else. Those
 * are back to back at the start of the scratch area (compile()): one copy.
 */
static inline unsigned int
deparse(struct ft_worker *w, struct pstate *ps)
{
	const struct ft_pipeline *pipe = w->pipe;
	struct ft_pkt *p = ps->pkt;
	uint8_t *cursor, *pkt_end;
	uint32_t total = pipe->prefix_bytes;

	if (unlikely(w->trace != NULL) || !pipe->emit_as_parsed)
		return deparse_general(w, ps);
	if (!ps->invalidated && ps->scratch_mask == 0)
		return FT_DROP_NONE; /* every header where the parser found it */
	if (ps->invalidated || ps->scratch_mask != pipe->prefix_mask)
		return deparse_general(w, ps);
	if ((size_t)(ps->data - p->buf) < total)
		return FT_DROP_NO_HEADROOM;
	pkt_end = ft_pkt_data(p) + p->len;
	cursor = ps->data - total;
	copy_small(cursor, ps->scratch, total);
	if (pkt_end - cursor > UINT16_MAX)
		return FT_DROP_TOO_BIG;
	p->data_off = (uint16_t)(cursor - p->buf);
	p->len = (uint16_t)(pkt_end - cursor);
	return FT_DROP_NONE;
}

static void
count_drop(struct ft_worker *w, unsigned int reason, uint32_t action)
{
	atomic_store_explicit(&w->bank.drop[reason], RLOAD(w->bank.drop[reason]) + 1,
			      memory_order_relaxed);
	if ((reason == FT_DROP_ACTION || reason == FT_DROP_NO_OUTPUT) &&
	    action < w->pipe->n_actions)
		atomic_store_explicit(&w->bank.action_drops[action],
				      RLOAD(w->bank.action_drops[action]) + 1,
				      memory_order_relaxed);
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_DROP, reason, action, 0, 0, NULL, 0, NULL, 0);
}

/* Queues p for sending; bank.tx counts the burst's res->n_tx at its end (exec_burst()). */
static inline __attribute__((always_inline)) bool
tx_push(struct burst *bu, struct ft_pkt *p, uint32_t port, uint16_t src, uint16_t rid)
{
	struct ft_worker *w = bu->w;
	struct ft_burst_result *res = bu->res;

	if (res->n_tx >= FT_BURST_TX_MAX) {
		count_drop(w, FT_DROP_TOO_MANY_COPIES, UINT32_MAX);
		return false;
	}
	res->tx[res->n_tx++] = (struct ft_tx){.pkt = p, .port = port, .src = src};
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_OUTPUT, port, p->len, rid, 0, ft_pkt_data(p), p->len, NULL, 0);
	return true;
}

/* A copy of packet 'p' from the worker's pool, or NULL. */
static struct ft_pkt *
pkt_clone(struct ft_worker *w, const struct ft_pkt *p)
{
	struct ft_pkt *c;
	uint32_t room = p->data_off > FT_PKT_HEADROOM ? p->data_off : FT_PKT_HEADROOM;

	if (!w->has_pool || (c = w->pool.alloc(w->pool.arg, room + p->len)) == NULL) {
		count_drop(w, FT_DROP_NO_BUFFER, UINT32_MAX);
		return NULL;
	}
	if (c->buf_len < (uint32_t)p->len + FT_PKT_HEADROOM) {
		w->pool.free(w->pool.arg, c);
		count_drop(w, FT_DROP_NO_BUFFER, UINT32_MAX);
		return NULL;
	}
	c->data_off = (uint16_t)(c->buf_len - p->len < room ? c->buf_len - p->len : room);
	c->len = p->len;
	c->nb_segs = 1;
	c->flags = 0;
	c->in_port = p->in_port;
	c->mark = 0;
	memcpy(ft_pkt_data(c), ft_pkt_data(p), p->len);
	atomic_store_explicit(&w->bank.copies, RLOAD(w->bank.copies) + 1, memory_order_relaxed);
	return c;
}

/*
 * Runs the egress control on packet 'p' (already deparsed after ingress) for
 * member (port, rid), then sends it. Returns FT_DROP_NONE if it was sent,
 * else why not (counted here), with the action that ran last in *action.
 */
static unsigned int
egress(struct burst *bu, const struct pstate *in, struct ft_pkt *p, uint32_t port, uint16_t rid,
       uint16_t src, uint16_t *action)
{
	struct ft_worker *w = bu->w;
	struct pstate *ps = &w->ps[FT_BURST_MAX];
	unsigned int drop;

	*action = in->last_action;
	if (w->pipe->n_nodes[FT_CTL_EGRESS] == 0)
		return tx_push(bu, p, port, src, rid) ? FT_DROP_NONE : FT_DROP_TOO_MANY_COPIES;
	pstate_init(w, ps, p);
	memcpy(ps->meta, in->meta, w->pipe->meta_size);
	ps->in_port = in->in_port;
	ps->in_len = in->in_len;
	ps->out_port = port;
	ps->rid = rid;
	ps->fate = FATE_SEND;
	if ((drop = pstate_parse(w, ps)) != FT_DROP_NONE) {
		count_drop(w, drop, UINT32_MAX);
		return drop;
	}
	run_control(bu, FT_CTL_EGRESS, &ps, &src, 1);
	if (ps->last_action != UINT16_MAX)
		*action = ps->last_action;
	if (ps->fate != FATE_SEND) {
		drop = ps->fate == FATE_DROP ? FT_DROP_ACTION : FT_DROP_BAD_GROUP;
		*action = ps->fate_action;
		count_drop(w, drop, ps->fate_action);
		return drop;
	}
	if ((drop = deparse(w, ps)) != FT_DROP_NONE) {
		count_drop(w, drop, UINT32_MAX);
		return drop;
	}
	return tx_push(bu, p, ps->out_port, src, rid) ? FT_DROP_NONE : FT_DROP_TOO_MANY_COPIES;
}

/* Sends a copy of the packet to its mirror session's port, if any. Returns true if it did. */
static bool
mirror(struct burst *bu, const struct pstate *ps, uint16_t src)
{
	struct ft_worker *w = bu->w;
	uint32_t port;
	struct ft_pkt *c;

	if (ps->mirror >= w->pipe->n_mirrors)
		return false;
	port = w->pipe->gcopy[bu->copy].mirror_port[ps->mirror];
	if (unlikely(w->trace != NULL))
		tr_add(w->trace, TR_MIRROR, ps->mirror, port, 0, 0, NULL, 0, NULL, 0);
	if (port == UINT32_MAX || (c = pkt_clone(w, ps->pkt)) == NULL)
		return false;
	if (!tx_push(bu, c, port, src, 0)) {
		w->pool.free(w->pool.arg, c);
		return false;
	}
	return true;
}

/* Decides what becomes of packet i after the ingress control. */
static void
finish(struct burst *bu, struct pstate *ps, uint16_t i)
{
	struct ft_worker *w = bu->w;
	struct ft_burst_result *res = bu->res;
	const struct group *g;
	unsigned int drop;
	uint16_t action;
	bool sent_any;

	switch (ps->fate) {
	case FATE_NONE:
		ps->drop = FT_DROP_NO_OUTPUT;
		break;
	case FATE_DROP:
		ps->drop = FT_DROP_ACTION;
		break;
	case FATE_GROUP:
		if (ps->group >= w->pipe->n_groups)
			ps->drop = FT_DROP_BAD_GROUP;
		else if ((g = w->pipe->gcopy[bu->copy].groups[ps->group]) == NULL || g->n == 0)
			ps->drop = FT_DROP_EMPTY_GROUP;
		break;
	}
	if (ps->drop == FT_DROP_NONE && (drop = deparse(w, ps)) != FT_DROP_NONE)
		ps->drop = (uint16_t)drop;
	if (ps->drop != FT_DROP_NONE) {
		/* drop_packet() is blamed on the action that called it. */
		uint16_t why = ps->fate == FATE_DROP ? ps->fate_action : ps->last_action;

		res->drop[i] = ps->drop;
		res->drop_action[i] = why;
		count_drop(w, ps->drop, why);
		return;
	}
	sent_any = mirror(bu, ps, i);
	if (ps->fate == FATE_SEND && w->pipe->n_nodes[FT_CTL_EGRESS] == 0) {
		/* egress() with no egress control, without its call. */
		action = ps->last_action;
		drop = tx_push(bu, ps->pkt, ps->out_port, i, 0) ? FT_DROP_NONE
								 : FT_DROP_TOO_MANY_COPIES;
	} else if (ps->fate == FATE_SEND) {
		drop = egress(bu, ps, ps->pkt, ps->out_port, 0, i, &action);
	} else {
		g = w->pipe->gcopy[bu->copy].groups[ps->group];
		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_REPLICATE, ps->group, g->n, 0, 0, NULL, 0, NULL, 0);
		for (uint32_t j = 0; j + 1 < g->n; j++) {
			struct ft_pkt *c = pkt_clone(w, ps->pkt);

			if (c == NULL)
				continue;
			drop = egress(bu, ps, c, g->m[j].port, g->m[j].rid, i, &action);
			if (drop == FT_DROP_NONE)
				sent_any = true;
			else
				w->pool.free(w->pool.arg, c);
		}
		drop = egress(bu, ps, ps->pkt, g->m[g->n - 1].port, g->m[g->n - 1].rid, i,
			      &action);
	}
	res->used[i] = drop == FT_DROP_NONE;
	sent_any |= res->used[i];
	if (!sent_any) {
		/*
		 * Nothing left: every copy was dropped after ingress (each counted
		 * where it was). Report why the original, the last copy, was.
		 */
		res->drop[i] = (uint16_t)drop;
		res->drop_action[i] = action;
	}
}

/*
 * Reports the burst's digests in packet order (and, for one packet, in the
 * order it raised them), whatever order the nodes and action groups ran in:
 * the first FT_BURST_EVENTS_MAX; the others are counted as lost.
 */
static void
events_report(struct ft_worker *w, struct ft_burst_result *res)
{
	uint32_t n = w->n_events;

	for (uint32_t i = 1; i < n; i++) {
		struct ft_event e = w->events[i];
		uint32_t j = i;

		for (; j > 0 && w->events[j - 1].src > e.src; j--)
			w->events[j] = w->events[j - 1];
		w->events[j] = e;
	}
	res->n_events = n < FT_BURST_EVENTS_MAX ? n : FT_BURST_EVENTS_MAX;
	memcpy(res->events, w->events, res->n_events * sizeof(res->events[0]));
	if (n > res->n_events)
		atomic_fetch_add_explicit(&w->bank.events_lost, n - res->n_events,
					  memory_order_relaxed);
	w->n_events = 0;
}

static bool
resume_valid(const struct ft_pipeline *pipe, const struct ft_resume *const *resume, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++) {
		const struct ft_resume *r = resume[i];

		if (r == NULL)
			continue;
		if (r->node != FT_NODE_END && r->node >= pipe->n_nodes[FT_CTL_INGRESS])
			return false;
		for (uint32_t j = 0; j < r->n_steps; j++)
			if (r->steps[j].action >= pipe->n_actions ||
			    (r->steps[j].data == NULL && pipe->actions[r->steps[j].action].data_size))
				return false;
	}
	return true;
}

/* Runs again the actions a NIC ran on packet i, counting nothing; it then stands at r->node. */
static void
replay(struct burst *bu, struct pstate *ps, const struct ft_resume *r, uint16_t i)
{
	struct ft_worker *w = bu->w;

	w->replay = true;
	for (uint32_t j = 0; j < r->n_steps; j++) {
		struct actx ax = {.ps = ps, .res = bu->res, .src = i, .action = r->steps[j].action,
				  .data = r->steps[j].data, .table = UINT32_MAX};

		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_ACTION, ax.action, 0, 0, 0, NULL, 0, NULL, 0);
		run_action(w, &ax, 1);
	}
	w->replay = false;
	ps->node = r->node;
}

int
exec_burst(struct ft_worker *w, struct ft_pkt *const *pkts, const struct ft_resume *const *resume,
	   uint16_t n, struct ft_burst_result *res)
{
	struct ft_pipeline *pipe = w->pipe;
	struct pstate *live[FT_BURST_MAX];
	uint16_t src[FT_BURST_MAX];
	struct burst bu = {.w = w, .res = res};
	uint32_t m = 0;
	uint64_t gen;

	res->n_tx = 0;
	res->n_events = 0;
	if (n > FT_BURST_MAX || (resume != NULL && !resume_valid(pipe, resume, n)))
		return -EINVAL;
	/* Enter the read side: see pipeline.c, "grace period". */
	gen = atomic_load_explicit(&pipe->gen, memory_order_acquire);
	atomic_store_explicit(&w->busy_gen, gen, memory_order_relaxed);
	atomic_thread_fence(memory_order_seq_cst);
	bu.copy = (int)atomic_load_explicit(&pipe->active, memory_order_acquire);
	w->now = pipe_now(pipe);
	atomic_store_explicit(&w->bank.rx, RLOAD(w->bank.rx) + n, memory_order_relaxed);

	for (uint16_t i = 0; i < n; i++) {
		struct pstate *ps = &w->ps[i];
		struct ft_pkt *p = pkts[i];
		unsigned int drop;

		res->drop[i] = FT_DROP_NONE;
		res->drop_action[i] = UINT16_MAX;
		res->used[i] = 0;
		pstate_init(w, ps, p);
		if (unlikely(w->trace != NULL))
			tr_add(w->trace, TR_PACKET, p->in_port, p->len, 0, 0, ft_pkt_data(p),
			       p->len, NULL, 0);
		drop = p->nb_segs != 1 ? FT_DROP_MULTISEG : pstate_parse(w, ps);
		if (drop != FT_DROP_NONE) {
			res->drop[i] = (uint16_t)drop;
			count_drop(w, drop, UINT32_MAX);
			continue;
		}
		if (resume != NULL && resume[i] != NULL)
			replay(&bu, ps, resume[i], i);
		live[m] = ps;
		src[m++] = i;
	}
	if (m > 0)
		run_control(&bu, FT_CTL_INGRESS, live, src, m);
	for (uint32_t j = 0; j < m; j++)
		finish(&bu, live[j], src[j]);

	events_report(w, res);
	atomic_store_explicit(&w->bank.tx, RLOAD(w->bank.tx) + res->n_tx, memory_order_relaxed);
	atomic_store_explicit(&w->busy_gen, 0, memory_order_release);
	return (int)res->n_tx;
}
