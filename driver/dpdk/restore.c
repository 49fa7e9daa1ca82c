/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Restore contexts for several workers (include/flowtwin/dpdk_restore.h).
 * Part of driver/dpdk, next to the rte_flow backend (flow.c), whose syncs
 * call ft_dpdk_restore_on_compile() around each compile; it reads the
 * compiled state (offload/) on the control thread only and hands the
 * workers a table of its contexts, published read-copy-update.
 *
 * A table maps MARK ids to 'const struct ft_restore *' of the compiled
 * state, directly indexed (ids are allocated lowest first, so the table is
 * as large as the contexts are many). Which ids a compile made it says
 * (ft_offload_context_mark()): a compile's contexts are exactly those its
 * rules mark with, and it keeps ids from one compile to the next
 * for the same context and never gives a new context an id the last
 * compile used, so the last compile's table and the new ids overlay.
 *
 * The pointers: ft_offload_compile() frees the contexts of the compile
 * before last, so a table may hold the last compile's and the new one's,
 * and before the next compile it must shrink to the new one's. A
 * compile that fails leaves the last successful one's as "old", freed by
 * the next compile: before that one, the table is emptied.
 *
 * Readers and the grace period: as the pipeline's workers (model/
 * pipeline.c, "grace period"), each reader stores the generation it read
 * in 'busy' (sequentially consistent), then loads the table; the writer
 * stores the new table, then bumps the generation, then waits for every
 * reader to be quiescent (busy 0) or busy since the bump. Either the
 * writer sees the reader busy and waits, or the reader sees the new table.
 */
#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <sched.h>
#include <time.h>

#include <flowtwin/dpdk_restore.h>

#include "dpdk_private.h"

/* A table: MARK id -> context (NULL: none). Immutable once published. */
struct table {
	uint32_t size; /* ids 0 .. size - 1 */
	uint32_t n;    /* ids it resolves */
	const struct ft_restore *ctx[];
};

struct reader {
	alignas(64) _Atomic uint64_t busy; /* 0: out of a burst; else the generation seen */
	_Atomic uint64_t drained;          /* 0: never said; else the epoch of its last round */
	struct ft_burst_result sw;         /* the model's part of a burst */
};

/* How long a compile waits for a reader to drain its queues (ft_dpdk_restore_drained()). */
#define DRAIN_WAIT_NS 100000000ull

struct ft_dpdk_restore {
	struct table *_Atomic now; /* what readers use */
	_Atomic uint64_t gen;
	_Atomic uint64_t epoch; /* bumped before a compile: see drain_wait() */
	bool drain_warned;
	/* Control thread: the last compile that succeeded, and whether the compiled
	 * state still holds its contexts as current (no compile began since). */
	uint32_t *ids, n_ids;
	bool ids_current;
	uint32_t n_readers;
	struct reader *rd;
};

static struct table empty_table;

struct ft_dpdk_restore *
ft_dpdk_restore_create(uint32_t n_readers, struct ft_error *err)
{
	struct ft_dpdk_restore *r;

	if (n_readers == 0) {
		ft_error_set(err, -EINVAL, FT_ERR_RESOURCE, UINT32_MAX, "restore", "no reader");
		return NULL;
	}
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rd = aligned_alloc(alignof(struct reader), n_readers * sizeof(*r->rd))) == NULL) {
		free(r);
		ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, "restore", "out of memory");
		return NULL;
	}
	memset(r->rd, 0, n_readers * sizeof(*r->rd));
	r->n_readers = n_readers;
	atomic_init(&r->now, &empty_table);
	atomic_init(&r->gen, 1);
	atomic_init(&r->epoch, 1);
	return r;
}

static void
table_free(struct table *t)
{
	if (t != &empty_table)
		free(t);
}

void
ft_dpdk_restore_destroy(struct ft_dpdk_restore *r)
{
	if (r == NULL)
		return;
	table_free(atomic_load(&r->now));
	free(r->ids);
	free(r->rd);
	free(r);
}

uint32_t
ft_dpdk_restore_n_marks(const struct ft_dpdk_restore *r)
{
	return atomic_load(&((struct ft_dpdk_restore *)r)->now)->n;
}

/* Publishes 't', waits until no reader can hold the table it replaced, frees that. */
static void
publish(struct ft_dpdk_restore *r, struct table *t)
{
	struct table *old = atomic_exchange(&r->now, t);
	uint64_t gen = atomic_fetch_add(&r->gen, 1) + 1;

	for (uint32_t i = 0; i < r->n_readers; i++) {
		uint32_t spins = 0;
		uint64_t b;

		while ((b = atomic_load(&r->rd[i].busy)) != 0 && b < gen)
			if (++spins > 64)
				sched_yield();
	}
	table_free(old);
}

uint64_t
ft_dpdk_restore_round(struct ft_dpdk_restore *r)
{
	return atomic_load_explicit(&r->epoch, memory_order_acquire);
}

void
ft_dpdk_restore_drained(struct ft_dpdk_restore *r, uint32_t reader, uint64_t round)
{
	if (reader < r->n_readers)
		atomic_store_explicit(&r->rd[reader].drained, round, memory_order_release);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Before a compile drops the contexts of the compile before last: every
 * packet those rules marked has reached the NIC before the last update
 * removed them, so it is out of the rx rings once each reader has found
 * all its queues empty in a round begun after now. Waits for that (readers
 * that never said, none), at most DRAIN_WAIT_NS: a reader whose queues
 * never run dry is let be, and said once.
 */
static void
drain_wait(struct ft_dpdk_restore *r)
{
	uint64_t e = atomic_fetch_add(&r->epoch, 1) + 1, t0 = now_ns();

	for (uint32_t i = 0; i < r->n_readers; i++) {
		uint32_t spins = 0;
		uint64_t d;

		while ((d = atomic_load_explicit(&r->rd[i].drained, memory_order_acquire)) != 0 &&
		       d < e) {
			if (now_ns() - t0 > DRAIN_WAIT_NS) {
				if (!r->drain_warned)
					DPDK_LOG(WARNING, "restore: reader %u did not drain its rx "
					                  "queues within 100 ms of a sync: a packet "
					                  "marked two compiles ago may meet a reused "
					                  "MARK", i);
				r->drain_warned = true;
				break;
			}
			if (++spins > 64)
				sched_yield();
		}
	}
}

/* A table of 'size' ids with those of 'from' below 'size' (NULL: none). */
static struct table *
table_new(uint32_t size, const struct table *from)
{
	struct table *t = calloc(1, sizeof(*t) + (size_t)size * sizeof(t->ctx[0]));

	if (t == NULL)
		return NULL;
	t->size = size;
	for (uint32_t id = 0; from != NULL && id < from->size && id < size; id++)
		if ((t->ctx[id] = from->ctx[id]) != NULL)
			t->n++;
	return t;
}

/* The MARK ids of the compile's contexts, into r->ids. 0 or -ENOMEM. */
static int
ids_read(struct ft_dpdk_restore *r, const struct ft_offload *off)
{
	uint32_t n = ft_offload_n_contexts(off);
	uint32_t *v = realloc(r->ids, (n + 1) * sizeof(*v));

	r->n_ids = 0;
	if (v == NULL)
		return -ENOMEM;
	r->ids = v;
	for (uint32_t i = 0; i < n; i++)
		r->ids[r->n_ids++] = ft_offload_context_mark(off, i);
	return 0;
}

void
ft_dpdk_restore_on_compile(void *arg, const struct ft_offload *off, bool compiled)
{
	struct ft_dpdk_restore *r = arg;
	const struct table *now = atomic_load(&r->now);
	struct table *t;
	uint32_t size = 0;

	if (!compiled) {
		drain_wait(r);
		/* What the compile keeps: the last compile's contexts, if it is still current. */
		if (!r->ids_current)
			r->n_ids = 0;
		for (uint32_t k = 0; k < r->n_ids; k++)
			if (r->ids[k] >= size)
				size = r->ids[k] + 1;
		t = r->n_ids > 0 ? table_new(size, NULL) : &empty_table;
		for (uint32_t k = 0; t != NULL && k < r->n_ids; k++)
			if (r->ids[k] < now->size && now->ctx[r->ids[k]] != NULL) {
				t->n += t->ctx[r->ids[k]] == NULL;
				t->ctx[r->ids[k]] = now->ctx[r->ids[k]];
			}
		r->ids_current = false;
		if (t == NULL)
			DPDK_LOG(ERR, "restore: out of memory: marked packets run from the start");
		publish(r, t != NULL ? t : &empty_table);
		return;
	}
	/* The new contexts over those of the last compile. */
	if (ids_read(r, off) != 0) {
		DPDK_LOG(ERR, "restore: out of memory: marked packets run from the start");
		publish(r, &empty_table);
		return;
	}
	size = now->size;
	for (uint32_t k = 0; k < r->n_ids; k++)
		if (r->ids[k] >= size)
			size = r->ids[k] + 1;
	if ((t = table_new(size, now)) == NULL) {
		DPDK_LOG(ERR, "restore: out of memory: marked packets run from the start");
		r->n_ids = 0;
		publish(r, &empty_table);
		return;
	}
	for (uint32_t k = 0; k < r->n_ids; k++) {
		const struct ft_restore *c = ft_offload_restore(off, r->ids[k]);

		t->n += t->ctx[r->ids[k]] == NULL && c != NULL;
		t->ctx[r->ids[k]] = c;
	}
	r->ids_current = true;
	publish(r, t);
}

int
ft_dpdk_restore_run(struct ft_dpdk_restore *r, uint32_t reader, struct ft_worker *w,
                    struct ft_pkt *const *pkts, uint16_t n, struct ft_dpdk_flow_result *res)
{
	const struct ft_restore *ctx[FT_BURST_MAX];
	uint16_t which[FT_BURST_MAX];
	struct ft_burst_result *br;
	const struct table *t;
	struct reader *rd;
	int rc;

	if (n > FT_BURST_MAX || reader >= r->n_readers)
		return -EINVAL;
	rd = &r->rd[reader];
	br = &res->burst;
	br->n_tx = br->n_events = 0;
	res->bad_mark = 0;
	/* Enter the read side: see the top of the file. Acquire: a generation
	 * bumped after a table was published comes with that table. */
	atomic_store(&rd->busy, atomic_load_explicit(&r->gen, memory_order_acquire));
	t = atomic_load(&r->now);
	for (uint16_t i = 0; i < n; i++) {
		const struct ft_pkt *p = pkts[i];
		bool marked = (p->flags & FT_PKT_F_MARK) && p->nb_segs == 1;

		ctx[i] = marked && p->mark < t->size ? t->ctx[p->mark] : NULL;
		which[i] = i;
		br->drop[i] = FT_DROP_NONE;
		br->drop_action[i] = UINT16_MAX;
		br->used[i] = 0;
		res->bad_mark += marked && ctx[i] == NULL;
		res->path[i] = ctx[i] == NULL                         ? FT_TWIN_SOFTWARE
		               : ctx[i]->kind == FT_RESTORE_OUTPUT ? FT_TWIN_NIC
		                                                   : FT_TWIN_RESUMED;
	}
	rc = ft_offload_resume(w, pkts, which, n, ctx, &rd->sw, br);
	/* The contexts' steps are read no more: leave the read side. */
	atomic_store_explicit(&rd->busy, 0, memory_order_release);
	if (rc < 0)
		return rc;
	return (int)br->n_tx;
}
