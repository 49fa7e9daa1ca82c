/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Benchmark of the offload compiler (a program, not a test): how fast
 * ft_offload_compile() turns a large VTEP forwarding database into rte_flow
 * rules, and how much memory the compiled state takes.
 *
 *   bench_compile [--p4 PROGRAM.p4] [--entries N] [--seed S] [--ctl-entries M]
 *                 [--batch B] [--profile P]... [--rounds R] [--rules-max N]
 *
 * It loads p4/vtep.p4 (--p4; default the source tree's) and configures it
 * through the control API as a VTEP with learning off and no flood list:
 *
 *   vtep set local-ip 10.0.0.1 learning off
 *   port add 0 uplink lladdr 02:00:00:00:01:01
 *   port add 1 access vni 100
 *   port add 2 access vni 100
 *   port add 3 access vni 100 vlan 10
 *   nexthop add 10.0.0.0/16 lladdr 02:00:00:00:0f:0f
 *
 * (the one underlay route keeps frames to remote VTEPs from being dropped).
 * Then N FDB entries in VNI 100 whose MACs look like real ones (48 random
 * bits, unicast, locally administered: tests/bench/workload.h): the even
 * ones `fdb add MAC vni 100 port P` (P = 1, 2, 3), the odd ones `fdb add MAC
 * vni 100 dst 10.0.X.Y` over 300 remote VTEPs. The first M (--ctl-entries,
 * default min(N, 1024)) go through ft_ctl_exec(), one command per line, as
 * a user's would; the rest are added as the VTEP vocabulary would write
 * them (docs/vtep.md: `fdb (100, MAC) -> to_port(P)` or `to_vtep(IP)`, and
 * `vtep_known (100, IP) -> vtep_ok()` for each remote VTEP the first time it
 * is named), B (--batch, default 65,536) entries per transaction: each
 * command re-renders and diffs the vocabulary's whole state (model/vtep.c),
 * about 1 ms per command at 1K entries and 41 ms at 4K, so a million of them
 * one by one would take days. Both rates are printed. When N is
 * larger than the program's fdb (262,144 in vtep.p4), the fdb's size is
 * raised to N in the program text before it is loaded, and the program says
 * so.
 *
 * Then, for each profile (--profile, repeatable; default sim and cx6dx),
 * with input ports {0, 1, 2, 3}, it times ft_offload_compile() R times
 * (--rounds, default 1; the fastest is reported) and prints the entries,
 * rules, groups, seconds, entries/s and rules/s, the compiled state's bytes
 * per entry (ft_offload_stats().bytes / N), and the process's peak RSS
 * during the compile (VmHWM, reset before it through /proc/self/clear_refs).
 * The compile's rule limit is --rules-max (default: none), not the
 * profile's, so that the rate is measured whatever the size; a compile that
 * would not fit the profile says "DOES NOT FIT" (ft_offload_compile() would
 * return -ENOSPC). It fails unless every FDB entry was compiled into at
 * least one rule.
 *
 * Seconds are wall-clock; the CPU time the process spent is printed beside
 * them (cpu_seconds), as the machines are shared. The last lines are, per
 * profile:
 *   RESULT workload=compile-fdb profile=P entries=N rules=R seconds=S
 *          entries_per_s=E bytes_per_entry=B cpu_seconds=C
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <flowtwin/compile.h>
#include <flowtwin/ctl.h>
#include <flowtwin/offload.h>
#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/vtep.h>

#include "workload.h"

#ifndef FT_SOURCE_ROOT
#define FT_SOURCE_ROOT "."
#endif

#define CHECK(x)                                                                                   \
	do {                                                                                       \
		if ((x) < 0) {                                                                     \
			char _b[512];                                                              \
			ft_error_format(&err, _b, sizeof(_b));                                     \
			fprintf(stderr, "%s:%d: %s: %s\n", __FILE__, __LINE__, #x, _b);            \
			exit(1);                                                                   \
		}                                                                                  \
	} while (0)

#define VNI          100
#define REMOTE_IPS   300
#define PROFILES_MAX 8

static struct ft_error err;

static const char *const setup_lines[] = {
        "vtep set local-ip 10.0.0.1 learning off",
        "port add 0 uplink lladdr 02:00:00:00:01:01",
        "port add 1 access vni 100",
        "port add 2 access vni 100",
        "port add 3 access vni 100 vlan 10",
        "nexthop add 10.0.0.0/16 lladdr 02:00:00:00:0f:0f",
};

static double
clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double
now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* A field of /proc/self/status in kB ("VmHWM", "VmRSS"), or 0. */
static uint64_t
status_kb(const char *name)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	size_t len = strlen(name);
	uint64_t kb = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, name, len) == 0 && line[len] == ':') {
			kb = strtoull(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Resets the peak RSS (VmHWM) to the current RSS; false if the kernel refuses. */
static bool
peak_reset(void)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	bool ok;

	if (f == NULL)
		return false;
	ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The remote VTEP of remote entry k: 10.0.1.1 .. 10.0.2.50, never the local 10.0.0.1. */
static uint32_t
remote_ip(uint32_t k)
{
	uint32_t r = (uint32_t)((k * 2654435761u) >> 7) % REMOTE_IPS;

	return (10u << 24) | ((1 + r / 250) << 8) | (1 + r % 250);
}

/*
 * The program text of 'path' with the fdb's size raised to at least 'n'.
 * Caller owns the result; free() it. NULL (with a message) on failure.
 */
static char *
program_text(const char *path, uint32_t n, size_t *len, uint32_t *old_size)
{
	FILE *f = fopen(path, "r");
	char *text, *t, *s, *end, *out;
	long size;

	if (f == NULL || fseek(f, 0, SEEK_END) < 0 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		exit(1);
	}
	text = calloc(1, (size_t)size + 1);
	if (text == NULL || fread(text, 1, (size_t)size, f) != (size_t)size) {
		fprintf(stderr, "%s: cannot read\n", path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)size;
	*old_size = 0;
	t = strstr(text, "table fdb {");
	s = t ? strstr(t, "size = ") : NULL;
	end = s ? strchr(s, ';') : NULL;
	if (end == NULL)
		return text;
	*old_size = (uint32_t)strtoul(s + 7, NULL, 10);
	if (*old_size >= n)
		return text;
	out = malloc((size_t)size + 32);
	if (out == NULL)
		exit(1);
	*len = (size_t)snprintf(out, (size_t)size + 32, "%.*ssize = %u%s", (int)(s - text), text, n,
	                        end);
	free(text);
	return out;
}

/* An open-addressing set of MACs: the workload's keys must be distinct. */
struct macset {
	uint64_t *slot; /* mac + 1; 0: empty */
	uint64_t mask;
};

static bool
macset_add(struct macset *s, const uint8_t mac[6])
{
	uint64_t v = 1, h;

	for (int b = 0; b < 6; b++)
		v = v << 8 | mac[b];
	v += 1;
	h = (v * 0x9e3779b97f4a7c15ULL) >> 20;
	for (;; h++) {
		uint64_t *p = &s->slot[h & s->mask];

		if (*p == v)
			return false;
		if (*p == 0) {
			*p = v;
			return true;
		}
	}
}

struct ids {
	uint32_t fdb, known, to_port, to_vtep, vtep_ok;
};

static uint32_t
find(int id, const char *what)
{
	if (id < 0) {
		fprintf(stderr, "the program has no %s: not vtep.p4\n", what);
		exit(2);
	}
	return (uint32_t)id;
}

static void
discard(void *arg, const char *line)
{
	(void)arg;
	(void)line;
}

static void
ctl_line(struct ft_ctl *ctl, const char *line)
{
	if (ft_ctl_exec(ctl, line, discard, NULL, &err) < 0) {
		char b[512];

		ft_error_format(&err, b, sizeof(b));
		fprintf(stderr, "%s: %s\n", line, b);
		exit(1);
	}
}

/* Counts the FDB entries that some rule carries into the NIC or hands to software. */
struct placed {
	uint32_t fdb;
	uint32_t entries, in_rules, nic_only;
};

static int
placed_one(const struct ft_placement *p, void *arg)
{
	struct placed *c = arg;

	if (p->table != c->fdb || p->handle == UINT32_MAX)
		return 0;
	c->entries++;
	if (p->rules + p->sw_rules > 0)
		c->in_rules++;
	if (p->reason == NULL)
		c->nic_only++;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *p4 = FT_SOURCE_ROOT "/p4/vtep.p4";
	const char *profiles[PROFILES_MAX];
	uint32_t entries = 65536, ctl_entries = UINT32_MAX, batch = 65536, rounds = 1;
	uint32_t n_profiles = 0, rules_max = UINT32_MAX;
	uint64_t seed = 1;
	static const struct option opts[] = {
	        {"p4", required_argument, NULL, 'P'},
	        {"entries", required_argument, NULL, 'n'},
	        {"seed", required_argument, NULL, 'S'},
	        {"ctl-entries", required_argument, NULL, 'c'},
	        {"batch", required_argument, NULL, 'b'},
	        {"profile", required_argument, NULL, 'p'},
	        {"rounds", required_argument, NULL, 'r'},
	        {"rules-max", required_argument, NULL, 'm'},
	        {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'P':
			p4 = optarg;
			break;
		case 'n':
			entries = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'c':
			ctl_entries = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'b':
			batch = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'r':
			rounds = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'm':
			rules_max = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			if (n_profiles == PROFILES_MAX) {
				fprintf(stderr, "at most %d profiles\n", PROFILES_MAX);
				return 2;
			}
			profiles[n_profiles++] = optarg;
			break;
		default:
			fprintf(stderr,
			        "usage: %s [--p4 PROGRAM.p4] [--entries N] [--seed S] "
			        "[--ctl-entries M] [--batch B] [--profile P]... [--rounds R] "
			        "[--rules-max N]\n",
			        argv[0]);
			return 2;
		}
	}
	if (entries == 0 || batch == 0 || rounds == 0) {
		fprintf(stderr, "entries, batch and rounds must be > 0\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ctl_entries > entries)
		ctl_entries = entries < 1024 ? entries : 1024;
	if (n_profiles == 0) {
		profiles[n_profiles++] = "sim";
		profiles[n_profiles++] = "cx6dx";
	}
	for (uint32_t i = 0; i < n_profiles; i++)
		if (ft_nic_profile_find(profiles[i]) == NULL) {
			fprintf(stderr, "unknown profile '%s'\n", profiles[i]);
			return 2;
		}

	/* The program, its fdb big enough. */
	char dir[4096];
	const char *slash = strrchr(p4, '/');
	const char *incs[] = {dir, NULL};
	size_t len;
	uint32_t fdb_size;
	char *text = program_text(p4, entries, &len, &fdb_size);

	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - p4) : 1, slash ? p4 : ".");
	double t0 = now_s();
	struct ft_program *prog = ft_p4_load_string(p4, text, len, incs, &err);
	struct ft_pipeline *pipe = prog ? ft_pipeline_create(prog, NULL, &err) : NULL;

	free(text);
	if (pipe == NULL)
		CHECK(-1);
	printf("program: %s (loaded in %.3f s)", p4, now_s() - t0);
	if (fdb_size < entries)
		printf(", fdb size raised from %u to %u", fdb_size, entries);
	printf("\n");

	const struct ft_program *pr = ft_pipeline_program(pipe);
	struct ids id = {
	        .fdb = find(ft_program_find_table(pr, "fdb"), "table fdb"),
	        .known = find(ft_program_find_table(pr, "vtep_known"), "table vtep_known"),
	        .to_port = find(ft_program_find_action(pr, "to_port"), "action to_port"),
	        .to_vtep = find(ft_program_find_action(pr, "to_vtep"), "action to_vtep"),
	        .vtep_ok = find(ft_program_find_action(pr, "vtep_ok"), "action vtep_ok"),
	};

	/* The VTEP's settings and ports, through the control API. */
	struct ft_ctl *ctl = ft_ctl_create(pipe);
	struct ft_vtep *vtep = NULL;

	if (ctl == NULL)
		CHECK(-ENOMEM);
	CHECK(ft_vtep_attach(ctl, &vtep, &err));
	for (size_t i = 0; i < sizeof(setup_lines) / sizeof(setup_lines[0]); i++)
		ctl_line(ctl, setup_lines[i]);

	/* FDB entries: the first ctl_entries as commands, the rest in transactions. */
	struct macset seen = {0};
	bool *known = calloc(REMOTE_IPS, sizeof(*known));
	uint32_t k = 0, skipped = 0, n_known = 0;

	seen.mask = 1;
	while (seen.mask < 2 * (uint64_t)entries)
		seen.mask <<= 1;
	seen.slot = calloc(seen.mask, sizeof(*seen.slot));
	seen.mask--;
	if (seen.slot == NULL || known == NULL)
		CHECK(-ENOMEM);

	double t_ctl = 0, t_txn = 0;
	struct ft_txn *txn = NULL;
	uint32_t in_txn = 0;

	for (uint32_t i = 0; i < entries; k++) {
		uint8_t key[9], data[4], mac[6];
		bool local = i % 2 == 0;
		uint32_t ip = remote_ip(i / 2);

		wl_mac(seed, k, mac);
		if (!macset_add(&seen, mac)) {
			skipped++;
			continue;
		}
		if (i < ctl_entries) {
			char line[128];
			double t = now_s();

			if (local)
				snprintf(line, sizeof(line),
				         "fdb add %02x:%02x:%02x:%02x:%02x:%02x vni %u port %u",
				         mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], VNI,
				         1 + i / 2 % 3);
			else
				snprintf(line, sizeof(line),
				         "fdb add %02x:%02x:%02x:%02x:%02x:%02x vni %u dst "
				         "%u.%u.%u.%u",
				         mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], VNI,
				         ip >> 24, ip >> 16 & 0xff, ip >> 8 & 0xff, ip & 0xff);
			ctl_line(ctl, line);
			t_ctl += now_s() - t;
		} else {
			double t = now_s();
			struct ft_entry e = {.key = key, .data = data};

			if (txn == NULL && (txn = ft_txn_begin(pipe, &err)) == NULL)
				CHECK(-1);
			key[0] = 0, key[1] = 0, key[2] = VNI;
			memcpy(key + 3, mac, 6);
			e.action = local ? id.to_port : id.to_vtep;
			put32(data, local ? 1 + i / 2 % 3 : ip);
			CHECK(ft_txn_entry_add(txn, id.fdb, &e, &err));
			if (!local && !known[(ip >> 8 & 0xff) * 250 + (ip & 0xff) - 251]) {
				struct ft_entry ke = {.key = key, .action = id.vtep_ok};

				put32(key + 3, ip);
				CHECK(ft_txn_entry_add(txn, id.known, &ke, &err));
			}
			if (++in_txn == batch || i + 1 == entries) {
				CHECK(ft_txn_commit(txn, &err));
				txn = NULL;
				in_txn = 0;
			}
			t_txn += now_s() - t;
		}
		if (!local && !known[(ip >> 8 & 0xff) * 250 + (ip & 0xff) - 251]) {
			known[(ip >> 8 & 0xff) * 250 + (ip & 0xff) - 251] = true;
			n_known++;
		}
		i++;
	}
	free(seen.slot);
	free(known);
	printf("fdb: %u entries (%u local, %u remote over %u VTEPs; %u duplicate MACs drawn "
	       "again)\n",
	       entries, (entries + 1) / 2, entries / 2, n_known, skipped);
	printf("  ft_ctl_exec: %u commands in %.3f s: %.0f commands/s (%.1f us each)\n",
	       ctl_entries, t_ctl, ctl_entries ? ctl_entries / t_ctl : 0.0,
	       ctl_entries ? 1e6 * t_ctl / ctl_entries : 0.0);
	printf("  transactions: %u entries in batches of %u in %.3f s: %.0f entries/s\n",
	       entries - ctl_entries, batch, t_txn,
	       entries > ctl_entries ? (entries - ctl_entries) / t_txn : 0.0);
	printf("  pipeline: fdb table %.1f MB\n", ft_pipeline_table_memory(pipe, id.fdb) / 1e6);

	/* The compiles. */
	static const uint32_t ports[] = {0, 1, 2, 3};
	char results[PROFILES_MAX][256];
	bool peak_ok = peak_reset();

	for (uint32_t p = 0; p < n_profiles; p++) {
		const struct ft_nic_profile *prof = ft_nic_profile_find(profiles[p]);
		struct ft_offload_params params = {
		        .profile = prof, .ports = ports, .n_ports = 4, .rules_max = rules_max};
		struct ft_offload_stats st;
		struct placed pl = {.fdb = id.fdb};
		uint64_t rss0 = status_kb("VmRSS"), peak;
		double best = 0, best_cpu = 0;

		peak_ok = peak_reset() && peak_ok;
		struct ft_offload *off = ft_offload_create(pipe, &params, &err);

		if (off == NULL)
			CHECK(-1);
		for (uint32_t r = 0; r < rounds; r++) {
			double t = now_s(), cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID);

			CHECK(ft_offload_compile(off, &err));
			t = now_s() - t;
			cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - cpu;
			if (r == 0 || t < best)
				best = t, best_cpu = cpu;
			if (rounds > 1)
				printf("  %s round %u: %.3f s (CPU %.3f s)\n", profiles[p], r + 1,
				       t, cpu);
		}
		peak = status_kb("VmHWM");
		ft_offload_stats(off, &st);
		/* What an installer then does with every rule: its identity (update.h). */
		{
			double t = now_s();
			uint64_t m, a, x = 0;

			for (uint32_t i = 0; i < ft_offload_n_rules(off); i++) {
				CHECK(ft_offload_rule_key(off, i, &m, &a));
				x ^= m ^ a;
			}
			t = now_s() - t;
			printf("  rule identities (ft_offload_rule_key): %.3f s, %.0f ns/rule "
			       "(checksum %016" PRIx64 ")\n",
			       t, 1e9 * t / ft_offload_n_rules(off), x);
		}
		CHECK(ft_offload_placement_walk(off, placed_one, &pl));
		printf("%s: %u entries -> %u rules in %u groups, %u restore contexts; compile "
		       "%.3f s (CPU %.3f s): %.0f entries/s, %.0f rules/s\n",
		       profiles[p], entries, st.rules, st.groups, st.contexts, best, best_cpu,
		       entries / best, st.rules / best);
		if (st.rules > prof->rules_max)
			printf("  DOES NOT FIT: %u rules, the profile holds %u (compiled with "
			       "--rules-max %u)\n",
			       st.rules, prof->rules_max, rules_max);
		printf("  entries: %u in the NIC, %u in software, %u partly (all tables); fdb: %u "
		       "of "
		       "%u in rules, %u finished in the NIC\n",
		       st.entries_nic, st.entries_sw, st.entries_partial, pl.in_rules, pl.entries,
		       pl.nic_only);
		printf("  memory: compiled state %.1f MB, %.1f bytes/entry, %.1f bytes/rule; RSS "
		       "before %.1f MB, peak%s %.1f MB\n",
		       st.bytes / 1e6, (double)st.bytes / entries,
		       st.rules ? (double)st.bytes / st.rules : 0.0, rss0 / 1e3,
		       peak_ok ? "" : " (of the process: VmHWM not reset)", peak / 1e3);
		snprintf(results[p], sizeof(results[p]),
		         "RESULT workload=compile-fdb profile=%s entries=%u rules=%u seconds=%.3f "
		         "entries_per_s=%.0f bytes_per_entry=%.1f cpu_seconds=%.3f",
		         profiles[p], entries, st.rules, best, entries / best,
		         (double)st.bytes / entries, best_cpu);
		ft_offload_destroy(off);
		if (pl.entries != entries || pl.in_rules != entries) {
			fprintf(stderr, "%s: %u of %u fdb entries in rules (%u placed)\n",
			        profiles[p], pl.in_rules, entries, pl.entries);
			return 1;
		}
	}
	for (uint32_t p = 0; p < n_profiles; p++)
		printf("%s\n", results[p]);

	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
	return 0;
}
