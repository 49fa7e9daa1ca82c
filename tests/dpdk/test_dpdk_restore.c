/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the restore contexts several workers read while the control
 * thread syncs (include/flowtwin/dpdk_restore.h), the multi-worker path of
 * '--offload rte_flow'.
 *
 *  - Without the EAL (so that it runs under AddressSanitizer, which is what
 *    catches a context freed under a reader): vtep.p4 with the compiler's
 *    golden entries on profile cx6dx; two reader threads run marked packets
 *    through ft_dpdk_restore_run(), each on its own model worker, while the
 *    main thread adds and deletes an FDB entry and recompiles, with the
 *    hook around each compile as a sync calls it. Every MARK that names the
 *    same context in both states must give, on every burst, what it gave
 *    single-threaded before (the path, the port, the drop); the readers
 *    must really overlap the compiles.
 *  - The table itself: empty before the first compile; after a compile,
 *    every MARK of its rules and of the last compile's resolves; before
 *    the next compile only the last compile's do.
 *  - With the EAL and a fake NIC behind the backend's call table
 *    (flow_private.h): ft_dpdk_flow_sync() calls the hook, and a burst
 *    through the table gives what ft_dpdk_flow_run() gives.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_errno.h>
#include <rte_ethdev.h>

#include <flowtwin/ctl.h>
#include <flowtwin/dpdk.h>
#include <flowtwin/dpdk_flow.h>
#include <flowtwin/dpdk_restore.h>
#include <flowtwin/p4.h>
#include <flowtwin/program.h>
#include <flowtwin/vtep.h>

#include "flow_private.h"
#include "test_util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MARKS_MAX     4096
#define READERS       2
#define ROUNDS        40

static const uint32_t ports[] = {0, 1, 2}; /* vtep_entries.txt's uplink and access ports */
static const char toggled[] = "02:00:00:00:00:77 vni 100";

/* vtep.p4 with tests/offload/vtep_entries.txt. */
static struct ft_pipeline *
vtep_pipeline(struct ft_ctl **ctl, struct ft_vtep **vtep)
{
	struct ft_error err = {0};
	char path[4200];
	struct ft_program *prog;
	struct ft_pipeline *pipe;

	snprintf(path, sizeof(path), "%s/p4/vtep.p4", getenv("FT_SOURCE_ROOT"));
	if ((prog = ft_p4_load(path, NULL, &err)) == NULL)
		fail_msg("%s: %s", path, err.message);
	pipe = ft_pipeline_create(prog, NULL, &err);
	assert_non_null(pipe);
	*ctl = ft_ctl_create(pipe);
	assert_non_null(*ctl);
	assert_int_equal(ft_vtep_attach(*ctl, vtep, &err), 0);
	snprintf(path, sizeof(path), "%s/tests/offload/vtep_entries.txt", getenv("FT_SOURCE_ROOT"));
	assert_true(ft_ctl_exec_file(*ctl, path, NULL, NULL, &err) > 0);
	return pipe;
}

static void
pipeline_free(struct ft_pipeline *pipe, struct ft_ctl *ctl, struct ft_vtep *vtep)
{
	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
}

/* A sync's compile as ft_dpdk_flow_sync() makes it, hook included. */
static void
compile(struct ft_offload *off, struct ft_dpdk_restore *r)
{
	struct ft_error err = {0};

	ft_dpdk_restore_on_compile(r, off, false);
	assert_int_equal(ft_offload_compile(off, &err), 0);
	ft_dpdk_restore_on_compile(r, off, true);
}

/* What one marked packet gave. */
struct outcome {
	enum ft_twin_path path;
	uint32_t n_tx, port, len;
	uint16_t drop;
	bool bad_mark;
};

/* Field by field: the struct has padding. */
static bool
outcome_eq(const struct outcome *a, const struct outcome *b)
{
	return a->path == b->path && a->n_tx == b->n_tx && a->port == b->port && a->len == b->len &&
	       a->drop == b->drop && a->bad_mark == b->bad_mark;
}

struct reader {
	pthread_t th;
	uint32_t id;
	struct ft_dpdk_restore *r;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	const uint32_t *marks;
	const struct outcome *want;
	uint32_t n_marks;
	uint64_t bursts, during; /* bursts run, and run while a compile was under way */
	char why[256];
};

static atomic_bool stop, compiling;

/* Packet 'mark' (a fixed frame from the uplink) through reader 'id'. */
static int
run_one(struct ft_dpdk_restore *r, uint32_t id, struct ft_worker *w, const struct ft_pkt_pool *pool,
        uint32_t mark, struct outcome *o)
{
	static _Thread_local struct ft_dpdk_flow_result res;
	static _Thread_local uint8_t buf[2048];
	struct ft_pkt pkt = {0}, *pp = &pkt;
	int rc;

	memset(buf, 0, sizeof(buf));
	memcpy(buf + FT_PKT_HEADROOM, "\x02\x00\x00\x00\x01\x01\x02\x00\x00\x00\x00\x0b\x08\x00",
	       14);
	pkt.buf = buf;
	pkt.buf_len = sizeof(buf);
	pkt.data_off = FT_PKT_HEADROOM;
	pkt.len = 60;
	pkt.nb_segs = 1;
	pkt.in_port = 0;
	pkt.flags = FT_PKT_F_MARK;
	pkt.mark = mark;
	if ((rc = ft_dpdk_restore_run(r, id, w, &pp, 1, &res)) < 0)
		return rc;
	*o = (struct outcome){.path = res.path[0],
	                      .n_tx = res.burst.n_tx,
	                      .port = res.burst.n_tx ? res.burst.tx[0].port : UINT32_MAX,
	                      .len = res.burst.n_tx ? res.burst.tx[0].pkt->len : 0,
	                      .drop = res.burst.drop[0],
	                      .bad_mark = res.bad_mark != 0};
	/* The model's copies go back to the worker's pool. */
	for (uint32_t k = 0; k < res.burst.n_tx; k++)
		if (res.burst.tx[k].pkt != &pkt)
			pool->free(pool->arg, res.burst.tx[k].pkt);
	return 0;
}

static void *
reader_main(void *arg)
{
	struct reader *rd = arg;

	while (!atomic_load(&stop)) {
		for (uint32_t i = 0; i < rd->n_marks; i++) {
			bool during = atomic_load(&compiling);
			struct outcome o;

			if (run_one(rd->r, rd->id, rd->w, &rd->pool, rd->marks[i], &o) < 0) {
				snprintf(rd->why, sizeof(rd->why), "mark %u: burst refused",
				         rd->marks[i]);
				return NULL;
			}
			rd->bursts++;
			rd->during += during && atomic_load(&compiling);
			if (!outcome_eq(&o, &rd->want[i])) {
				snprintf(
				        rd->why, sizeof(rd->why),
				        "mark %u: path %d port %u drop %u bad %d, not path %d port "
				        "%u drop %u bad %d",
				        rd->marks[i], o.path, o.port, o.drop, o.bad_mark,
				        rd->want[i].path, rd->want[i].port, rd->want[i].drop,
				        rd->want[i].bad_mark);
				return NULL;
			}
		}
	}
	return NULL;
}

/* The marks a compile's rules carry (as the table reads them). */
static uint32_t
rule_marks(const struct ft_offload *off, uint32_t *marks, uint32_t max)
{
	struct ft_flow_buf *b = malloc(sizeof(*b));
	uint32_t n = 0;

	assert_non_null(b);
	for (uint32_t i = 0; i < ft_offload_n_rules(off); i++) {
		assert_int_equal(ft_offload_rule(off, i, b), 0);
		for (const struct rte_flow_action *a = b->actions;
		     a->type != RTE_FLOW_ACTION_TYPE_END; a++) {
			uint32_t id;
			bool seen = false;

			if (a->type != RTE_FLOW_ACTION_TYPE_MARK)
				continue;
			id = ((const struct rte_flow_action_mark *)a->conf)->id;
			for (uint32_t k = 0; k < n && !seen; k++)
				seen = marks[k] == id;
			if (!seen && n < max)
				marks[n++] = id;
		}
	}
	free(b);
	return n;
}

static bool
has(const uint32_t *v, uint32_t n, uint32_t x)
{
	for (uint32_t i = 0; i < n; i++)
		if (v[i] == x)
			return true;
	return false;
}

static void
test_table(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep);
	struct ft_offload_params op = {
	        .profile = ft_nic_profile_find("cx6dx"), .ports = ports, .n_ports = 3};
	static uint32_t m1[MARKS_MAX], m2[MARKS_MAX];
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = ft_pkt_pool_simple_create(64, 2048, &pool);
	struct ft_error err = {0};
	struct ft_dpdk_restore *r;
	struct ft_offload *off;
	struct ft_worker *w;
	uint32_t n1, n2, gone = 0, both = 0;
	struct outcome o;
	char line[128];

	(void)state;
	assert_null(ft_dpdk_restore_create(0, &err));
	assert_int_equal(err.code, -EINVAL);
	assert_non_null(r = ft_dpdk_restore_create(1, &err));
	assert_non_null(off = ft_offload_create(pipe, &op, &err));
	assert_non_null(w = ft_worker_create(pipe, &pool, &err));
	assert_int_equal(ft_dpdk_restore_n_marks(r), 0);

	/* Before any compile: a MARK runs from the start, counted. */
	assert_int_equal(run_one(r, 0, w, &pool, 1, &o), 0);
	assert_int_equal(o.path, FT_TWIN_SOFTWARE);
	assert_true(o.bad_mark);
	assert_int_equal(ft_dpdk_restore_run(r, 1, w, NULL, 0, NULL), -EINVAL);

	compile(off, r);
	n1 = rule_marks(off, m1, MARKS_MAX);
	assert_true(n1 > 0);
	assert_int_equal(ft_dpdk_restore_n_marks(r), n1);
	for (uint32_t i = 0; i < n1; i++) {
		assert_int_equal(run_one(r, 0, w, &pool, m1[i], &o), 0);
		assert_false(o.bad_mark);
		assert_int_equal(o.path, ft_offload_restore(off, m1[i])->kind == FT_RESTORE_OUTPUT
		                                 ? FT_TWIN_NIC
		                                 : FT_TWIN_RESUMED);
	}

	/* A new remote MAC: new contexts; the last compile's still resolve. */
	snprintf(line, sizeof(line), "fdb add %s dst 10.0.0.9", toggled);
	assert_int_equal(ft_ctl_exec(ctl, line, NULL, NULL, &err), 0);
	compile(off, r);
	n2 = rule_marks(off, m2, MARKS_MAX);
	for (uint32_t i = 0; i < n1; i++) {
		gone += !has(m2, n2, m1[i]);
		both += has(m2, n2, m1[i]);
	}
	assert_true(both > 0);
	assert_int_equal(ft_dpdk_restore_n_marks(r), n2 + gone);
	for (uint32_t i = 0; i < n1; i++) {
		assert_int_equal(run_one(r, 0, w, &pool, m1[i], &o), 0);
		assert_false(o.bad_mark);
	}
	/* Before the next compile only this one's stay (the compile frees the others). */
	ft_dpdk_restore_on_compile(r, off, false);
	assert_int_equal(ft_dpdk_restore_n_marks(r), n2);
	for (uint32_t i = 0; i < n1; i++) {
		assert_int_equal(run_one(r, 0, w, &pool, m1[i], &o), 0);
		assert_int_equal(o.bad_mark, !has(m2, n2, m1[i]));
	}
	assert_int_equal(ft_offload_compile(off, &err), 0);
	ft_dpdk_restore_on_compile(r, off, true);
	assert_int_equal(ft_dpdk_restore_n_marks(r), n2); /* nothing changed: the same ids */

	ft_dpdk_restore_destroy(r);
	ft_dpdk_restore_destroy(NULL);
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_offload_destroy(off);
	pipeline_free(pipe, ctl, vtep);
}

static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A reader that drains its queues once the next compile has begun (after round 'start'). */
struct drainer {
	struct ft_dpdk_restore *r;
	uint64_t start;
};

static void *
drainer(void *arg)
{
	struct drainer *d = arg;
	uint64_t round;

	while ((round = ft_dpdk_restore_round(d->r)) == d->start)
		sched_yield();
	ft_dpdk_restore_drained(d->r, 1, round);
	return NULL;
}

/* A compile waits for the readers that say they drain their rx queues, for 100 ms at most. */
static void
test_drain(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep);
	struct ft_offload_params op = {
	        .profile = ft_nic_profile_find("cx6dx"), .ports = ports, .n_ports = 3};
	struct ft_error err = {0};
	struct ft_dpdk_restore *r;
	struct ft_offload *off;
	struct drainer dr;
	pthread_t th;
	double t;

	(void)state;
	assert_non_null(r = ft_dpdk_restore_create(2, &err));
	assert_non_null(off = ft_offload_create(pipe, &op, &err));
	compile(off, r); /* no reader ever said: nothing to wait for */

	/* Reader 0 drained once, before this compile began, then stopped polling. */
	ft_dpdk_restore_drained(r, 0, ft_dpdk_restore_round(r));
	t = secs();
	compile(off, r);
	assert_true(secs() - t >= 0.099);
	assert_true(ft_dpdk_restore_n_marks(r) > 0);

	/* Reader 0 drains in a round begun after the compile did; reader 1 too, on a thread. */
	dr.r = r;
	dr.start = ft_dpdk_restore_round(r);
	assert_int_equal(pthread_create(&th, NULL, drainer, &dr), 0);
	ft_dpdk_restore_drained(r, 0, dr.start + 1);
	compile(off, r);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_true(ft_dpdk_restore_n_marks(r) > 0);

	ft_dpdk_restore_drained(r, 5, 1); /* no such reader: ignored */
	ft_dpdk_restore_destroy(r);
	ft_offload_destroy(off);
	pipeline_free(pipe, ctl, vtep);
}

static void
test_readers_during_compiles(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep);
	struct ft_offload_params op = {
	        .profile = ft_nic_profile_find("cx6dx"), .ports = ports, .n_ports = 3};
	static uint32_t without[MARKS_MAX], with[MARKS_MAX], stable[MARKS_MAX];
	static struct outcome want[MARKS_MAX], want2[MARKS_MAX];
	static struct reader rd[READERS];
	struct ft_error err = {0};
	struct ft_dpdk_restore *r;
	struct ft_offload *off;
	uint32_t n_without, n_with, n_stable = 0;
	uint64_t bursts = 0, during = 0;
	char add[128], del[128];

	(void)state;
	assert_non_null(r = ft_dpdk_restore_create(READERS, &err));
	assert_non_null(off = ft_offload_create(pipe, &op, &err));
	for (uint32_t i = 0; i < READERS; i++) {
		rd[i] = (struct reader){.id = i, .r = r};
		assert_non_null(rd[i].sp = ft_pkt_pool_simple_create(256, 2048, &rd[i].pool));
		assert_non_null(rd[i].w = ft_worker_create(pipe, &rd[i].pool, &err));
	}
	snprintf(add, sizeof(add), "fdb add %s dst 10.0.0.9", toggled);
	snprintf(del, sizeof(del), "fdb del %s", toggled);

	/* The marks of both states, and what the stable ones give in each. */
	compile(off, r);
	n_without = rule_marks(off, without, MARKS_MAX);
	for (uint32_t i = 0; i < n_without; i++)
		assert_int_equal(run_one(r, 0, rd[0].w, &rd[0].pool, without[i], &want[i]), 0);
	assert_int_equal(ft_ctl_exec(ctl, add, NULL, NULL, &err), 0);
	compile(off, r);
	n_with = rule_marks(off, with, MARKS_MAX);
	for (uint32_t i = 0; i < n_without; i++) {
		struct outcome o;

		if (!has(with, n_with, without[i]))
			continue;
		assert_int_equal(run_one(r, 0, rd[0].w, &rd[0].pool, without[i], &o), 0);
		if (!outcome_eq(&o, &want[i]))
			continue; /* the entry changes what it does */
		want2[n_stable] = o;
		stable[n_stable++] = without[i];
	}
	/* Each compile makes its contexts anew (the ids stay) and frees the compile
	 * before last's: every round frees what a reader may have read. */
	assert_true(n_stable > 4);

	atomic_store(&stop, false);
	for (uint32_t i = 0; i < READERS; i++) {
		rd[i].marks = stable;
		rd[i].want = want2;
		rd[i].n_marks = n_stable;
		assert_int_equal(pthread_create(&rd[i].th, NULL, reader_main, &rd[i]), 0);
	}
	/* The entry comes and goes; each compile is a sync's, with the hook. */
	for (uint32_t k = 0; k < ROUNDS; k++) {
		assert_int_equal(ft_ctl_exec(ctl, k % 2 ? add : del, NULL, NULL, &err), 0);
		atomic_store(&compiling, true);
		compile(off, r);
		atomic_store(&compiling, false);
		usleep(1000);
	}
	atomic_store(&stop, true);
	for (uint32_t i = 0; i < READERS; i++) {
		pthread_join(rd[i].th, NULL);
		if (rd[i].why[0] != '\0')
			fail_msg("reader %u: %s", i, rd[i].why);
		bursts += rd[i].bursts;
		during += rd[i].during;
	}
	print_message("%u readers: %lu bursts of %u stable marks, %lu during %u compiles\n",
	              READERS, (unsigned long)bursts, n_stable, (unsigned long)during, ROUNDS);
	for (uint32_t i = 0; i < READERS; i++)
		assert_true(rd[i].bursts > n_stable);
	assert_true(during > 0); /* the readers met compiles under way */

	for (uint32_t i = 0; i < READERS; i++) {
		ft_worker_destroy(rd[i].w);
		ft_pkt_pool_simple_destroy(rd[i].sp);
	}
	ft_dpdk_restore_destroy(r);
	ft_offload_destroy(off);
	pipeline_free(pipe, ctl, vtep);
}

/* --- With the EAL: the backend's sync calls the hook --------------------------------- */

static uint32_t fake_n;

static struct rte_flow *
fake_create(uint16_t port, const struct rte_flow_attr *attr, const struct rte_flow_item pattern[],
            const struct rte_flow_action actions[], struct rte_flow_error *error)
{
	(void)port;
	(void)attr;
	(void)pattern;
	(void)actions;
	(void)error;
	return (struct rte_flow *)(uintptr_t)++fake_n; /* never dereferenced */
}

static int
fake_destroy(uint16_t port, struct rte_flow *flow, struct rte_flow_error *error)
{
	(void)port;
	(void)flow;
	(void)error;
	return 0;
}

static int
fake_query(uint16_t port, struct rte_flow *flow, const struct rte_flow_action *action, void *data,
           struct rte_flow_error *error)
{
	struct rte_flow_query_count *qc = data;

	(void)port;
	(void)flow;
	(void)action;
	(void)error;
	qc->hits_set = qc->bytes_set = 1;
	qc->hits = qc->bytes = 0;
	return 0;
}

static int
fake_flush(uint16_t port, struct rte_flow_error *error)
{
	(void)port;
	(void)error;
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
        .create = fake_create,
        .destroy = fake_destroy,
        .query = fake_query,
        .flush = fake_flush,
        .pick_transfer_proxy = fake_proxy,
};

static void
test_sync_hook(void **state)
{
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_pipeline *pipe = vtep_pipeline(&ctl, &vtep);
	const uint16_t dports[] = {0, 1, 2};
	struct ft_error err = {0};
	struct ft_dpdk_restore *r = ft_dpdk_restore_create(1, &err);
	struct ft_dpdk_flow_params fp = {.ports = dports,
	                                 .n_ports = 3,
	                                 .profile = ft_nic_profile_find("cx6dx"),
	                                 .on_compile = ft_dpdk_restore_on_compile,
	                                 .compile_arg = r};
	static uint32_t marks[MARKS_MAX];
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = ft_pkt_pool_simple_create(64, 2048, &pool);
	struct ft_dpdk_flow *f;
	struct ft_worker *w;
	uint32_t n;

	(void)state;
	assert_non_null(r);
	dpdk_flow_set_ops(&fake_ops);
	f = ft_dpdk_flow_create(pipe, &fp, &err);
	dpdk_flow_set_ops(NULL);
	assert_non_null(f);
	assert_int_equal(ft_dpdk_restore_n_marks(r), 0);
	assert_int_equal(ft_dpdk_flow_sync(f, &err), 0);
	n = rule_marks(ft_dpdk_flow_offload(f), marks, MARKS_MAX);
	assert_true(n > 0);
	assert_int_equal(ft_dpdk_restore_n_marks(r), n);
	assert_non_null(w = ft_worker_create(pipe, &pool, &err));
	/* Every mark: the table's run and the backend's agree. */
	for (uint32_t i = 0; i < n; i++) {
		static struct ft_dpdk_flow_result res;
		struct outcome o;
		uint8_t buf[2048] = {0};
		struct ft_pkt pkt = {.buf = buf,
		                     .buf_len = sizeof(buf),
		                     .data_off = FT_PKT_HEADROOM,
		                     .len = 60,
		                     .nb_segs = 1,
		                     .flags = FT_PKT_F_MARK,
		                     .mark = marks[i]},
		              *pp = &pkt;

		assert_int_equal(run_one(r, 0, w, &pool, marks[i], &o), 0);
		memcpy(buf + FT_PKT_HEADROOM,
		       "\x02\x00\x00\x00\x01\x01\x02\x00\x00\x00\x00\x0b\x08\x00", 14);
		assert_true(ft_dpdk_flow_run(f, w, &pp, 1, &res) >= 0);
		assert_int_equal(o.path, res.path[0]);
		assert_int_equal(o.n_tx, res.burst.n_tx);
		assert_int_equal(o.drop, res.burst.drop[0]);
		for (uint32_t k = 0; k < res.burst.n_tx; k++)
			if (res.burst.tx[k].pkt != &pkt)
				pool.free(pool.arg, res.burst.tx[k].pkt);
	}
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_dpdk_flow_destroy(f);
	ft_dpdk_restore_destroy(r);
	pipeline_free(pipe, ctl, vtep);
}

int
main(void)
{
	const struct CMUnitTest unit[] = {
	        cmocka_unit_test(test_table),
	        cmocka_unit_test(test_readers_during_compiles),
	        cmocka_unit_test(test_drain),
	};
	const struct CMUnitTest eal[] = {
	        cmocka_unit_test(test_sync_hook),
	};
	char prefix[64];
	char *argv[] = {"test_dpdk_restore",
	                "-l",
	                "0",
	                "--no-huge",
	                "-m",
	                "256",
	                "--no-pci",
	                "--no-shconf",
	                prefix,
	                "--vdev=net_null0",
	                "--vdev=net_null1",
	                "--vdev=net_null2",
	                "--log-level=lib.eal:error",
	                NULL};
	struct ft_error err = {0};
	int rc;

	if (getenv("FT_SOURCE_ROOT") == NULL)
		setenv("FT_SOURCE_ROOT", ".", 0);
	rc = cmocka_run_group_tests_name("unit", unit, NULL, NULL);
	snprintf(prefix, sizeof(prefix), "--file-prefix=ft_dpdk_restore_%d", (int)getpid());
	if (ft_dpdk_eal_init((int)ARRAY_SIZE(argv) - 1, argv, &err) < 0) {
		fprintf(stderr, "%s: %s\n", err.object, err.message);
		if (UNDER_ASAN) {
			printf("SKIP: the EAL does not start under AddressSanitizer here\n");
			return rc != 0 ? 1 : 0; /* the part without the EAL ran */
		}
		return 1;
	}
	rc |= cmocka_run_group_tests_name("eal", eal, NULL, NULL);
	ft_dpdk_eal_cleanup();
	return rc != 0;
}
