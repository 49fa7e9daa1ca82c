/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Micro-benchmark of the exact-match engine of model/'s match tables
 * (model/mt.h, mt_hash.c), the table every packet that reaches the software
 * model probes first. A program, not a test (tests/bench).
 *
 * For each table size (1K and 1M entries by default, or the sizes given as
 * arguments) it fills a table of that capacity with 6-byte keys spread like
 * MAC addresses (workload.h), in slots laid out as the pipeline's entry pool
 * is (a 16-byte header, the key, then action data: 64 bytes a slot), then
 * looks up bursts of 64 keys drawn uniformly from the installed ones, in
 * five trials of a quarter of a second, and reports the fastest. The keys to
 * look up are prepared beforehand in a stream read in order, as a burst of
 * parsed packets would be.
 *
 * Prints ns per lookup and bytes of table per entry, and one line per size:
 *   RESULT workload=mt-exact entries=N mpps=X ns_per_pkt=Y bytes_per_entry=Z
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mt.h"
#include "workload.h"

#define SEED        0x5eed0001u
#define BURST       64
#define SLOT_SIZE   64
#define SLOT_KEY    16
#define STREAM_KEYS (1u << 20)
#define STREAM_STEP 8 /* bytes between keys in the stream */
#define TRIALS      5

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int
run(uint32_t entries)
{
	struct mt_params p = {.kind = MT_EXACT, .key_size = 6, .capacity = entries};
	uint8_t *slots = calloc(entries, SLOT_SIZE);
	uint8_t *stream = malloc((size_t)STREAM_KEYS * STREAM_STEP);
	uint32_t *want = malloc(STREAM_KEYS * sizeof(uint32_t));
	const uint8_t *keys[BURST];
	uint32_t out[BURST], inserted = 0, dups = 0;
	uint64_t pick = SEED, lookups = 0, hits = 0;
	double t0, t1, best = 0;
	struct mt *t = NULL;
	int rc = 1;

	if (slots == NULL || stream == NULL || want == NULL) {
		fprintf(stderr, "bench_mt: out of memory\n");
		goto out;
	}
	p.slots.base = slots;
	p.slots.stride = SLOT_SIZE;
	p.slots.key_off = SLOT_KEY;
	t = mt_create(&p);
	if (t == NULL) {
		fprintf(stderr, "bench_mt: mt_create(%u entries) failed\n", entries);
		goto out;
	}
	for (uint32_t i = 0; i < entries; i++) {
		uint8_t *key = slots + (size_t)i * SLOT_SIZE + SLOT_KEY;
		int r;

		wl_mac(SEED, i, key);
		if (mt_find(t, key, NULL, 0) != MT_MISS) {
			dups++; /* two equal random MACs: keep the first */
			continue;
		}
		r = mt_insert(t, i);
		if (r < 0) {
			fprintf(stderr, "bench_mt: insert %u: %s\n", i, strerror(-r));
			goto out;
		}
		inserted++;
	}
	for (uint32_t j = 0; j < STREAM_KEYS; j++) {
		uint32_t i = wl_pick(&pick, entries);

		memcpy(stream + (size_t)j * STREAM_STEP, slots + (size_t)i * SLOT_SIZE + SLOT_KEY,
		       6);
		want[j] = mt_find(t, stream + (size_t)j * STREAM_STEP, NULL, 0);
	}

	/* One pass to warm up and check every answer, then passes for a second at least. */
	for (uint32_t j = 0; j < STREAM_KEYS; j += BURST) {
		for (uint32_t k = 0; k < BURST; k++)
			keys[k] = stream + (size_t)(j + k) * STREAM_STEP;
		mt_lookup(t, keys, BURST, out);
		for (uint32_t k = 0; k < BURST; k++) {
			if (out[k] != want[j + k] || out[k] == MT_MISS) {
				fprintf(stderr, "bench_mt: key %u: found %u, want %u\n", j + k,
				        out[k], want[j + k]);
				goto out;
			}
		}
	}
	/* Trials of a quarter of a second at least; the fastest is the one least disturbed. */
	for (int trial = 0; trial < TRIALS; trial++) {
		uint64_t n = 0;

		t0 = now();
		do {
			for (uint32_t j = 0; j < STREAM_KEYS; j += BURST) {
				for (uint32_t k = 0; k < BURST; k++)
					keys[k] = stream + (size_t)(j + k) * STREAM_STEP;
				mt_lookup(t, keys, BURST, out);
				for (uint32_t k = 0; k < BURST; k++)
					hits += out[k] != MT_MISS;
			}
			n += STREAM_KEYS;
			t1 = now();
		} while (t1 - t0 < 0.25);
		lookups += n;
		if (trial == 0 || (t1 - t0) / (double)n < best)
			best = (t1 - t0) / (double)n;
	}
	if (hits != lookups) {
		fprintf(stderr, "bench_mt: %llu misses\n", (unsigned long long)(lookups - hits));
		goto out;
	}

	double ns = best * 1e9;
	double bpe = (double)mt_memory(t) / entries;

	printf("mt-exact: %u entries (%u duplicate keys skipped), bursts of %u: %.2f ns/lookup, "
	       "%.1f Mlookups/s; table %zu bytes, %.2f bytes/entry\n",
	       inserted, dups, BURST, ns, 1e3 / ns, mt_memory(t), bpe);
	printf("RESULT workload=mt-exact entries=%u mpps=%.2f ns_per_pkt=%.2f "
	       "bytes_per_entry=%.2f\n",
	       entries, 1e3 / ns, ns, bpe);
	rc = 0;
out:
	mt_destroy(t);
	free(want);
	free(stream);
	free(slots);
	return rc;
}

int
main(int argc, char **argv)
{
	static const uint32_t sizes[] = {1024, 1u << 20};
	int rc = 0;

	if (argc > 1) {
		for (int i = 1; i < argc; i++) {
			char *end;
			unsigned long n = strtoul(argv[i], &end, 0);

			if (*end != '\0' || n == 0 || n > (1ul << 24)) {
				fprintf(stderr, "usage: bench_mt [entries ...] (1 .. 16777216)\n");
				return 2;
			}
			rc |= run((uint32_t)n);
		}
		return rc;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		rc |= run(sizes[i]);
	return rc;
}
