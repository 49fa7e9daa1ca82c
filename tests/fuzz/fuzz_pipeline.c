/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: arbitrary packets through a whole pipeline, the bundled
 * example VTEP (tools/example_vtep.c) with its example entries: parsing,
 * table lookups, encapsulation, decapsulation, replication with an egress
 * control per copy, deparsing into the headroom, traces. Part of tests/.
 *
 * Input: byte 0 picks the input port (0 the uplink, 1 and 2 access ports,
 * 3 unknown); byte 1 the headroom (0..255); the rest is the packet, split
 * into up to four packets of one burst at the offsets bytes 2..3 give.
 * Checks: every output lies inside its buffer, every input packet is either
 * sent or dropped with a known reason, and every copy goes back to the pool.
 * One input in 16 is also traced and rendered as text and JSON.
 *
 * Longer run:
 *   build-fuzz/tests/fuzz/fuzz_pipeline -max_total_time=600 -max_len=4096 \
 *       /tmp/fuzz-pipeline tests/fuzz/corpus/pipeline
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/pipeline.h>
#include <flowtwin/trace.h>

#include "../../tools/example_vtep.h"

#define BUF_LEN 4096
#define POOL_SIZE 64

static struct ft_pipeline *pipe_;
static struct ft_worker *worker;
static struct ft_pkt_pool pool;
static struct ft_pkt_pool_simple *sp;
static struct ft_trace *trace;

static void
setup(void)
{
	struct example_vtep v;

	if (example_vtep_build(&v, NULL) < 0)
		abort();
	pipe_ = ft_pipeline_create(v.prog, NULL, NULL);
	if (pipe_ == NULL || example_vtep_populate(pipe_, &v, NULL) < 0)
		abort();
	sp = ft_pkt_pool_simple_create(POOL_SIZE, BUF_LEN, &pool);
	worker = ft_worker_create(pipe_, &pool, NULL);
	trace = ft_trace_create();
	if (sp == NULL || worker == NULL || trace == NULL)
		abort();
}

static void
check_out(const struct ft_pkt *p)
{
	if ((uint32_t)p->data_off + p->len > p->buf_len || p->nb_segs != 1)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ft_burst_result res;
	static uint64_t runs;
	struct ft_pkt *in[4];
	size_t cut[5];
	uint32_t n = 0, port, headroom;

	if (pipe_ == NULL)
		setup();
	if (size < 4 || size > BUF_LEN - 256)
		return 0;
	port = data[0] % 4;
	headroom = data[1];
	/* Up to four packets: [4, a), [a, b), [b, end) with a, b from bytes 2, 3. */
	cut[n++] = 4;
	for (int i = 2; i < 4; i++) {
		size_t c = 4 + (size - 4) * data[i] / 256;

		if (c > cut[n - 1] && c < size)
			cut[n++] = c;
	}
	cut[n] = size;
	for (uint32_t i = 0; i < n; i++) {
		size_t len = cut[i + 1] - cut[i];

		in[i] = pool.alloc(pool.arg, BUF_LEN);
		if (in[i] == NULL)
			abort();
		in[i]->data_off = (uint16_t)headroom;
		in[i]->len = (uint16_t)len;
		in[i]->in_port = port;
		in[i]->nb_segs = 1;
		memcpy(in[i]->buf + headroom, data + cut[i], len);
	}
	if (n == 1 && runs++ % 16 == 0) {
		char *text, *json;

		ft_trace_reset(trace);
		ft_worker_trace(worker, in[0], trace, &res);
		text = ft_trace_text(trace, pipe_);
		json = ft_trace_json(trace, pipe_);
		if (text == NULL || json == NULL)
			abort();
		free(text);
		free(json);
	} else {
		ft_worker_run(worker, in, (uint16_t)n, &res);
	}
	for (uint32_t t = 0; t < res.n_tx; t++) {
		bool is_input = false;

		check_out(res.tx[t].pkt);
		for (uint32_t i = 0; i < n; i++)
			is_input |= res.tx[t].pkt == in[i];
		if (!is_input)
			pool.free(pool.arg, res.tx[t].pkt);
	}
	for (uint32_t i = 0; i < n; i++) {
		if (res.drop[i] >= FT_DROP_COUNT || (res.used[i] && res.drop[i] != FT_DROP_NONE))
			abort();
		pool.free(pool.arg, in[i]);
	}
	if (ft_pkt_pool_simple_avail(sp) != POOL_SIZE)
		abort(); /* a copy leaked */
	return 0;
}
