/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtwin: the offline tool. Part of tools/, the top layer.
 *
 *   flowtwin demo [--json]   load the bundled example VTEP pipeline, push
 *                            example traffic through the software model,
 *                            print each packet's trace, then the tables with
 *                            their counters and the drop counters.
 *
 * check / trace / stf: the P4 front end and the model; compile / verify:
 * the offload compiler and the software NIC (usage() says more).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flowtwin/ctl.h>
#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/stf.h>
#include <flowtwin/trace.h>
#include <flowtwin/vtep.h>
#ifdef FT_HAVE_OFFLOAD
#include <jansson.h>

#include <flowtwin/compile.h>
#include <flowtwin/flow_text.h>
#include <flowtwin/template.h>
#include <flowtwin/twin.h>
#endif
#if defined(FT_HAVE_OFFLOAD) && defined(FT_HAVE_PCAP)
#include "capture.h"
#endif

#include "example_vtep.h"

static void
log_stderr(enum ft_log_level level, const char *module, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s: %s: %s\n", level == FT_LOG_ERR ? "error" : "warning", module, msg);
}

static int
fail(const char *what, const struct ft_error *err)
{
	char buf[512];

	ft_error_format(err, buf, sizeof(buf));
	fprintf(stderr, "flowtwin: %s: %s\n", what, buf);
	return 1;
}

/* --- Example traffic ----------------------------------------------------- */

static const uint8_t mac_bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};


static void
ipv4_csum(uint8_t *ip)
{
	uint32_t sum = 0;

	put16(ip + 10, 0);
	for (int i = 0; i < 20; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(ip + 10, ~sum & 0xffff);
}

/* An Ethernet/IPv4/UDP frame of 'len' bytes (>= 42). Returns len. */
static uint16_t
frame(uint8_t *p, uint16_t len, const uint8_t dst[6], const uint8_t src[6], uint32_t sip,
      uint32_t dip, uint16_t dport)
{
	memset(p, 0, len);
	memcpy(p, dst, 6);
	memcpy(p + 6, src, 6);
	put16(p + 12, 0x0800);
	p[14] = 0x45;
	put16(p + 16, (uint32_t)len - 14);
	p[22] = 64;
	p[23] = 17;
	put32(p + 26, sip);
	put32(p + 30, dip);
	ipv4_csum(p + 14);
	put16(p + 34, 12345);
	put16(p + 36, dport);
	put16(p + 38, (uint32_t)len - 34);
	return len;
}

/* A VXLAN packet from VTEP 'sip' carrying 'inner' (inner_len bytes) in 'vni'. */
static uint16_t
vxlan(uint8_t *p, uint32_t sip, uint32_t vni, const uint8_t *inner, uint16_t inner_len)
{
	uint16_t len = (uint16_t)(50 + inner_len);

	frame(p, len, EX_MAC_LOCAL, EX_MAC_VTEP2, sip, 0x0a000001, 4789);
	p[42] = 0x08;
	p[46] = (uint8_t)(vni >> 16), p[47] = (uint8_t)(vni >> 8), p[48] = (uint8_t)vni;
	memcpy(p + 50, inner, inner_len);
	return len;
}

/* --- demo ------------------------------------------------------------------ */

struct demo_pkt {
	const char *what;
	uint32_t port;
	uint8_t bytes[256];
	uint16_t len;
};

static int
dump_entry(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	const struct ft_program *prog = arg;
	struct ft_action_info ai;
	int ks = ft_program_key_size(prog, table);

	ft_program_action(prog, e->action, &ai);
	printf("    key=");
	for (int i = 0; i < ks; i++)
		printf("%02x", e->key[i]);
	printf(" action=%s packets=%" PRIu64 " bytes=%" PRIu64 "\n", ai.name, e->packets,
	       e->bytes);
	return 0;
}

static int
cmd_demo(int json)
{
	struct ft_error err = {0};
	struct example_vtep v;
	struct ft_pipeline *pipe;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	struct ft_worker *w;
	struct ft_trace *trace;
	static struct ft_burst_result res;
	static struct demo_pkt pk[8];
	uint8_t inner[128];
	uint32_t n = 0;

	if (example_vtep_build(&v, &err) < 0)
		return fail("building the example pipeline", &err);
	pipe = ft_pipeline_create(v.prog, NULL, &err);
	if (pipe == NULL) {
		ft_program_destroy(v.prog);
		return fail("loading the example pipeline", &err);
	}
	if (example_vtep_populate(pipe, &v, &err) < 0) {
		ft_pipeline_destroy(pipe);
		return fail("adding the example entries", &err);
	}
	sp = ft_pkt_pool_simple_create(64, 2048, &pool);
	w = ft_worker_create(pipe, &pool, &err);
	trace = ft_trace_create();
	if (sp == NULL || w == NULL || trace == NULL) {
		fprintf(stderr, "flowtwin: out of memory\n");
		return 1;
	}

	pk[n] = (struct demo_pkt){"vm1 -> vm2, a local port", 1};
	pk[n].len = frame(pk[n].bytes, 60, EX_MAC_VM2, EX_MAC_VM1, 0xc0a80a01, 0xc0a80a02, 80);
	n++;
	pk[n] = (struct demo_pkt){"vm1 -> remote host: encapsulated to VTEP 10.0.0.2", 1};
	pk[n].len = frame(pk[n].bytes, 60, EX_MAC_REMOTE, EX_MAC_VM1, 0xc0a80a01, 0xc0a80a09, 80);
	n++;
	pk[n] = (struct demo_pkt){"vm1 broadcasts: flooded to vm2 and both VTEPs", 1};
	pk[n].len = frame(pk[n].bytes, 60, mac_bcast, EX_MAC_VM1, 0xc0a80a01, 0xffffffff, 67);
	n++;
	pk[n] = (struct demo_pkt){"VXLAN from 10.0.0.2 to vm2: decapsulated", 0};
	pk[n].len = vxlan(pk[n].bytes, 0x0a000002, 100, inner,
			  frame(inner, 60, EX_MAC_VM2, EX_MAC_REMOTE, 0xc0a80a09, 0xc0a80a02, 80));
	n++;
	pk[n] = (struct demo_pkt){"VXLAN broadcast from 10.0.0.2: to local ports only", 0};
	pk[n].len = vxlan(pk[n].bytes, 0x0a000002, 100, inner,
			  frame(inner, 60, mac_bcast, EX_MAC_REMOTE, 0xc0a80a09, 0xffffffff, 67));
	n++;
	pk[n] = (struct demo_pkt){"VXLAN in an unknown VNI: dropped", 0};
	pk[n].len = vxlan(pk[n].bytes, 0x0a000002, 999, inner,
			  frame(inner, 60, EX_MAC_VM2, EX_MAC_REMOTE, 0xc0a80a09, 0xc0a80a02, 80));
	n++;
	pk[n] = (struct demo_pkt){"a truncated IPv4 packet: dropped by the parser", 1};
	pk[n].len = frame(pk[n].bytes, 60, EX_MAC_VM2, EX_MAC_VM1, 0xc0a80a01, 0xc0a80a02, 80);
	pk[n].len = 30;
	n++;

	for (uint32_t i = 0; i < n; i++) {
		struct ft_pkt *p = pool.alloc(pool.arg, 2048);
		char *text;

		p->data_off = FT_PKT_HEADROOM;
		p->len = pk[i].len;
		p->in_port = pk[i].port;
		memcpy(p->buf + p->data_off, pk[i].bytes, pk[i].len);
		ft_trace_reset(trace);
		ft_worker_trace(w, p, trace, &res);
		text = json ? ft_trace_json(trace, pipe) : ft_trace_text(trace, pipe);
		if (!json)
			printf("=== %u. %s\n", i + 1, pk[i].what);
		printf("%s\n", text ? text : "(out of memory)");
		free(text);
		for (uint32_t t = 0; t < res.n_tx; t++)
			if (res.tx[t].pkt != p)
				pool.free(pool.arg, res.tx[t].pkt);
		pool.free(pool.arg, p);
	}
	if (json)
		goto out;

	/* Tables and counters. */
	const struct ft_program *prog = ft_pipeline_program(pipe);
	struct ft_program_info pi;
	struct ft_stats st;

	ft_program_info(prog, &pi);
	printf("=== tables\n");
	for (uint32_t t = 0; t < pi.n_tables; t++) {
		struct ft_table_decl td;
		struct ft_table_stats ts;

		ft_program_table(prog, t, &td);
		ft_pipeline_table_stats(pipe, t, &ts);
		printf("  %s: %u entries, %" PRIu64 " hits, %" PRIu64 " misses\n", td.name,
		       ts.entries, ts.hits, ts.misses);
		ft_pipeline_table_walk(pipe, t, dump_entry, (void *)prog);
	}
	ft_pipeline_stats(pipe, &st);
	printf("=== counters\n  rx %" PRIu64 ", tx %" PRIu64 " (copies %" PRIu64 ")\n", st.rx,
	       st.tx, st.copies);
	for (int r = 1; r < FT_DROP_COUNT; r++)
		if (st.drop[r])
			printf("  drop %-16s %" PRIu64 "  (%s)\n", ft_drop_name((unsigned int)r),
			       st.drop[r], ft_drop_sentence((unsigned int)r));
	for (uint32_t a = 0; a < pi.n_actions; a++) {
		uint64_t d = ft_pipeline_action_drops(pipe, a);
		struct ft_action_info ai;

		ft_program_action(prog, a, &ai);
		if (d)
			printf("  dropped by action %-20s %" PRIu64 "\n", ai.name, d);
	}
out:
	ft_trace_destroy(trace);
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_pipeline_destroy(pipe);
	return 0;
}

/* --- check ----------------------------------------------------------------- */

static int
cmd_check(int argc, char **argv)
{
	static const char *const match[] = {"exact", "ternary", "lpm"};
	static const char *const scope[] = {"", " @tableonly", " @defaultonly"};
	struct ft_error err = {0};
	struct ft_program *prog;
	struct ft_program_info pi;
	char buf[128];

	if (argc != 3) {
		fprintf(stderr, "usage: flowtwin check PROGRAM.p4\n");
		return 2;
	}
	prog = ft_p4_load(argv[2], NULL, &err);
	if (prog == NULL) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	ft_program_info(prog, &pi);
	printf("%s: %u headers, %u metadata fields, %u tables, %u actions\n", argv[2],
	       pi.n_headers, pi.n_metadata, pi.n_tables, pi.n_actions);
	printf("headers:\n");
	for (uint32_t h = 0; h < pi.n_headers; h++) {
		struct ft_header_info hi;

		ft_program_header(prog, h, &hi);
		if (hi.layer != FT_L_NONE)
			printf("  %-20s %2u bytes  parsed as %s\n", hi.name, hi.bytes,
			       ft_layer_name(hi.layer));
		else
			printf("  %-20s %2u bytes  not parsed (%s)\n", hi.name, hi.bytes,
			       ft_proto_name(hi.proto));
	}
	printf("tables:\n");
	for (uint32_t t = 0; t < pi.n_tables; t++) {
		struct ft_table_decl td;
		struct ft_action_info ai;

		ft_program_table(prog, t, &td);
		printf("  %s (size %u%s%s)\n    key:", td.name, td.size,
		       td.idle_timeout_ms ? ", entries age" : "", td.add_on_miss ? ", add_on_miss" : "");
		for (uint32_t k = 0; k < td.n_keys; k++) {
			ft_program_ref_name(prog, &td.keys[k].ref, buf, sizeof(buf));
			printf(" %s:%s", buf, match[td.keys[k].match]);
		}
		printf("%s\n    actions:", td.n_keys ? "" : " (none: always misses)");
		for (uint32_t a = 0; a < td.n_actions; a++) {
			ft_program_action(prog, td.actions[a].action, &ai);
			printf(" %s%s", ai.name, scope[td.actions[a].scope]);
		}
		ft_program_action(prog, td.default_action, &ai);
		printf("\n    default: %s%s\n", td.default_const ? "const " : "", ai.name);
	}
	printf("actions:\n");
	for (uint32_t a = 0; a < pi.n_actions; a++) {
		struct ft_action_info ai;

		ft_program_action(prog, a, &ai);
		printf("  %s(", ai.name);
		for (uint32_t i = 0; i < ai.n_params; i++)
			printf("%sbit<%u> %s", i ? ", " : "", ai.params[i].bits, ai.params[i].name);
		printf(")  %u operations\n", ai.n_ops);
	}
	ft_program_destroy(prog);
	return 0;
}

/* --- trace and stf: a P4 program with its entries ------------------------ */

static void
print_line(void *arg, const char *line)
{
	fprintf(arg, "%s\n", line);
}

/* A pipeline from a P4 program; NULL after printing why not. */
static struct ft_pipeline *
pipeline_load(const char *path, const struct ft_pipeline_params *params)
{
	struct ft_error err = {0};
	struct ft_program *prog = ft_p4_load(path, NULL, &err);
	struct ft_pipeline *pipe;

	if (prog == NULL) {
		fprintf(stderr, "%s\n", err.message);
		return NULL;
	}
	pipe = ft_pipeline_create(prog, params, &err);
	if (pipe == NULL) {
		ft_program_destroy(prog);
		fail(path, &err);
	}
	return pipe;
}

static int
cmd_trace(int argc, char **argv)
{
	const char *entries = NULL, *hex = NULL;
	uint32_t in_port = 0;
	int json = 0;
	static const struct option opts[] = {
		{"entries", required_argument, NULL, 'e'}, {"packet", required_argument, NULL, 'p'},
		{"in-port", required_argument, NULL, 'i'}, {"json", no_argument, NULL, 'j'},
		{NULL, 0, NULL, 0},
	};
	int c, rc = 1;

	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c == 'e')
			entries = optarg;
		else if (c == 'p')
			hex = optarg;
		else if (c == 'i')
			in_port = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'j')
			json = 1;
		else
			return 2;
	}
	if (optind != argc - 2 || hex == NULL) {
		fprintf(stderr, "usage: flowtwin trace PROGRAM.p4 [--entries FILE] --packet HEX "
				"[--in-port N] [--json]\n");
		return 2;
	}
	const char *path = argv[optind + 1];
	struct ft_pipeline *pipe = pipeline_load(path, NULL);
	struct ft_error err = {0};
	struct ft_ctl *ctl = NULL;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp = NULL;
	struct ft_worker *w = NULL;
	struct ft_trace *trace = NULL;
	struct ft_vtep *vtep = NULL;
	static struct ft_burst_result res;
	static uint8_t bytes[FT_PKT_HEADROOM + 9216];
	struct ft_pkt pkt;
	int len;

	if (pipe == NULL)
		return 1;
	len = ft_hex_decode(hex, bytes + FT_PKT_HEADROOM, sizeof(bytes) - FT_PKT_HEADROOM);
	if (len <= 0) {
		fprintf(stderr, "flowtwin: --packet: bad hex\n");
		goto out;
	}
	ctl = ft_ctl_create(pipe);
	/* The VTEP's commands, when the program is vtep.p4 (-ENOTSUP otherwise: ignored). */
	if (ctl != NULL && ft_vtep_attach(ctl, &vtep, &err) < 0 && err.code != -ENOTSUP) {
		fail(path, &err);
		goto out;
	}
	ft_error_clear(&err);
	if (ctl == NULL || (entries && ft_ctl_exec_file(ctl, entries, print_line, stdout,
							&err) < 0)) {
		fail(entries ? entries : "out of memory", &err);
		goto out;
	}
	sp = ft_pkt_pool_simple_create(64, 9472, &pool);
	w = ft_worker_create(pipe, &pool, &err);
	trace = ft_trace_create();
	if (sp == NULL || w == NULL || trace == NULL ||
	    ft_pkt_init(&pkt, bytes, sizeof(bytes), FT_PKT_HEADROOM, (uint16_t)len, in_port) < 0) {
		fprintf(stderr, "flowtwin: out of memory\n");
		goto out;
	}
	ft_worker_trace(w, &pkt, trace, &res);
	char *text = json ? ft_trace_json(trace, pipe) : ft_trace_text(trace, pipe);

	printf("%s\n", text ? text : "(out of memory)");
	free(text);
	for (uint32_t t = 0; t < res.n_tx; t++)
		if (res.tx[t].pkt != &pkt)
			pool.free(pool.arg, res.tx[t].pkt);
	rc = 0;
out:
	ft_trace_destroy(trace);
	ft_worker_destroy(w);
	ft_pkt_pool_simple_destroy(sp);
	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
	return rc;
}

/* The clock of 'flowtwin stf': it moves only when an 'advance' line says so. */
static uint64_t stf_now_ms;

static void
stf_advance(void *arg, uint64_t ms)
{
	(void)arg;
	stf_now_ms += ms;
}

static uint64_t
stf_clock(void *arg)
{
	(void)arg;
	return stf_now_ms;
}

#ifdef FT_HAVE_OFFLOAD
/* `flowtwin stf --nic`: the packets run through the software NIC + resume. */
struct stf_twin {
	struct ft_twin *twin;
	struct ft_twin_result res;
	uint64_t nic, bad;
};

static int
stf_twin_run(void *arg, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
	     struct ft_burst_result *res)
{
	struct stf_twin *st = arg;
	int rc = ft_twin_run(st->twin, w, pkts, n, &st->res);

	*res = st->res.burst;
	for (uint16_t i = 0; rc >= 0 && i < n; i++) {
		st->nic += st->res.pkt[i].path == FT_TWIN_NIC;
		if (st->res.pkt[i].undefined || st->res.pkt[i].bad_mark) {
			printf("packet %u: the NIC met %s\n", i,
			       st->res.pkt[i].undefined ? "a case rte_flow leaves undefined"
							: "an unknown MARK");
			st->bad++;
		}
	}
	return rc;
}

static void
stf_twin_sync(void *arg)
{
	struct stf_twin *st = arg;
	struct ft_error err = {0};

	if (ft_twin_sync(st->twin, &err) < 0) {
		fail("the NIC", &err);
		st->bad++;
	}
}
#endif

/* flowtwin stf PROGRAM.p4 FILE.stf [--nic PROFILE] */
static int
cmd_stf(int argc, char **argv)
{
	struct ft_pipeline_params params = {.clock = stf_clock};
	struct ft_stf_options opts = {.advance = stf_advance};
	struct ft_stf_result res = {0};
	struct ft_error err = {0};
	struct ft_pipeline *pipe;
	struct ft_vtep *vtep = NULL;
	struct ft_ctl *ctl;
	const char *nic = NULL;
	int rc;

	if (argc == 6 && strcmp(argv[4], "--nic") == 0)
		nic = argv[5];
	if (argc != 4 && nic == NULL) {
		fprintf(stderr, "usage: flowtwin stf PROGRAM.p4 FILE.stf [--nic PROFILE]\n");
		return 2;
	}
	pipe = pipeline_load(argv[2], &params);
	if (pipe == NULL)
		return 1;
	ctl = ft_ctl_create(pipe);
	if (ctl == NULL) {
		ft_pipeline_destroy(pipe);
		return 1;
	}
	/* The VTEP's commands, when the program is vtep.p4 (-ENOTSUP otherwise: ignored). */
	if (ft_vtep_attach(ctl, &vtep, &err) < 0 && err.code != -ENOTSUP) {
		fail(argv[2], &err);
		ft_ctl_destroy(ctl);
		ft_pipeline_destroy(pipe);
		return 1;
	}
	ft_error_clear(&err);
#ifdef FT_HAVE_OFFLOAD
	static const uint32_t ports[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	struct stf_twin st = {0};

	if (nic != NULL) {
		struct ft_twin_params tp = {.profile = ft_nic_profile_find(nic),
					    .ports = ports,
					    .n_ports = 16,
					    .strict = true};

		if (tp.profile == NULL)
			fprintf(stderr, "flowtwin: %s: no such NIC profile\n", nic);
		else if ((st.twin = ft_twin_create(pipe, &tp, &err)) == NULL)
			fail(nic, &err);
		if (st.twin == NULL) {
			rc = -1;
			goto out;
		}
		opts.run = stf_twin_run;
		opts.sync = stf_twin_sync;
		opts.run_arg = &st;
		stf_twin_sync(&st);
	}
#else
	if (nic != NULL) {
		fprintf(stderr, "flowtwin: stf --nic is not supported in this build: it needs DPDK's "
				"headers\n");
		rc = -1;
		goto out;
	}
#endif
	rc = ft_stf_run_opts(pipe, ctl, &opts, argv[3], print_line, stdout, &res, &err);
	if (rc < 0)
		fail(argv[3], &err);
	else
		printf("%s: %u packets, %u expects, %u matched, %u failures\n", argv[3], res.packets,
		       res.expects, res.matched, res.failures);
#ifdef FT_HAVE_OFFLOAD
	if (st.twin != NULL) {
		printf("%s on %s: the NIC finished %" PRIu64 " packets; %" PRIu64 " NIC errors\n",
		       argv[3], nic, st.nic, st.bad);
		if (st.bad > 0 && rc == 0)
			rc = 1;
		ft_twin_destroy(st.twin);
	}
#endif
out:
	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
	return rc == 0 ? 0 : 1;
}

#ifdef FT_HAVE_OFFLOAD
struct placement_out {
	const struct ft_program *prog;
	bool json;
	json_t *arr;
};

static int
print_placement(const struct ft_placement *p, void *arg)
{
	struct placement_out *po = arg;
	struct ft_table_decl td;
	const char *where = p->rules && !p->sw_rules ? "nic"
			    : p->rules		     ? "nic+software"
						     : "software";

	ft_program_table(po->prog, p->table, &td);
	if (po->json) {
		json_array_append_new(po->arr, json_pack("{s:s, s:o, s:s, s:i, s:i, s:s?}", "table",
							 td.name,
							 "entry", p->handle == UINT32_MAX
								  ? json_string("default")
								  : json_integer(p->handle),
							 "where", where, "rules", (int)p->rules,
							 "software_rules", (int)p->sw_rules,
							 "reason", p->reason));
		return 0;
	}
	if (p->handle == UINT32_MAX)
		printf("# %s default: %s", td.name, where);
	else
		printf("# %s entry %u: %s", td.name, p->handle, where);
	printf("%s%s\n", p->reason ? ": " : "", p->reason ? p->reason : "");
	return 0;
}

/*
 * flowtwin compile PROGRAM.p4 --entries FILE --nic PROFILE [--port N]... [--format F]
 *                  [--api sync|template]
 * --api: testpmd text for rte_flow_create() ('flow create') or for the template
 * API ('flow configure', templates, tables, 'flow queue'); by default the
 * profile's API for testpmd text, and the rules themselves for JSON.
 */
static int
cmd_compile(int argc, char **argv)
{
	const char *entries = NULL, *nic = "sim", *format = "testpmd", *api = NULL;
	uint32_t ports[64], n_ports = 0;
	static const struct option opts[] = {
		{"entries", required_argument, NULL, 'e'}, {"nic", required_argument, NULL, 'n'},
		{"port", required_argument, NULL, 'p'}, {"format", required_argument, NULL, 'f'},
		{"api", required_argument, NULL, 'a'},	   {NULL, 0, NULL, 0},
	};
	int c, rc = 1;

	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c == 'e')
			entries = optarg;
		else if (c == 'n')
			nic = optarg;
		else if (c == 'p' && n_ports < 64)
			ports[n_ports++] = (uint32_t)strtoul(optarg, NULL, 0);
		else if (c == 'f')
			format = optarg;
		else if (c == 'a')
			api = optarg;
		else
			return 2;
	}
	const struct ft_nic_profile *prof = ft_nic_profile_find(nic);
	bool json = strcmp(format, "json") == 0;
	bool tmpl = api != NULL ? strcmp(api, "template") == 0
				: !json && prof != NULL && prof->api == FT_NIC_API_TEMPLATE;

	if (optind != argc - 2 || prof == NULL || (!json && strcmp(format, "testpmd") != 0) ||
	    (api != NULL && !tmpl && strcmp(api, "sync") != 0) || (json && tmpl)) {
		fprintf(stderr, "usage: flowtwin compile PROGRAM.p4 [--entries FILE] [--nic "
				"cx5|cx6dx|cx7|bf2|bf3|sim] [--port N]... [--format testpmd|json]\n"
				"                [--api sync|template] (template: testpmd only)\n");
		return 2;
	}
	if (n_ports == 0)
		ports[n_ports++] = 0;
	const char *path = argv[optind + 1];
	struct ft_pipeline *pipe = pipeline_load(path, NULL);
	struct ft_error err = {0};
	struct ft_ctl *ctl = NULL;
	struct ft_vtep *vtep = NULL;
	struct ft_offload *off = NULL;
	struct ft_offload_params params = {.profile = prof, .ports = ports, .n_ports = n_ports};
	static struct ft_flow_buf buf;
	struct placement_out po = {.json = json};
	json_t *rules = json ? json_array() : NULL;

	if (pipe == NULL)
		return 1;
	po.prog = ft_pipeline_program(pipe);
	ctl = ft_ctl_create(pipe);
	if (ctl != NULL && ft_vtep_attach(ctl, &vtep, &err) < 0 && err.code != -ENOTSUP) {
		fail(path, &err);
		goto out;
	}
	ft_error_clear(&err);
	if (ctl == NULL || (entries && ft_ctl_exec_file(ctl, entries, NULL, NULL, &err) < 0)) {
		fail(entries ? entries : "out of memory", &err);
		goto out;
	}
	if ((off = ft_offload_create(pipe, &params, &err)) == NULL ||
	    ft_offload_compile(off, &err) < 0) {
		fail(path, &err);
		goto out;
	}
	po.arr = json ? json_array() : NULL;
	if (tmpl) {
		struct ft_template_plan *plan = NULL;

		if (ft_template_plan_create(off, NULL, &plan, &err) < 0 ||
		    ft_template_plan_testpmd(plan, stdout, &err) < 0) {
			ft_template_plan_destroy(plan);
			fail("template plan", &err);
			goto out;
		}
		ft_template_plan_destroy(plan);
	}
	for (uint32_t i = 0; !tmpl && i < ft_offload_n_rules(off); i++) {
		ft_offload_rule(off, i, &buf);
		if (json) {
			json_t *r = ft_flow_json(buf.port, &buf.attr, buf.pattern, buf.actions, &err);

			if (r == NULL) {
				fail("rule", &err);
				goto out;
			}
			json_array_append_new(rules, r);
		} else {
			char text[4096];

			if (ft_flow_testpmd(text, sizeof(text), buf.port, &buf.attr, buf.pattern,
					    buf.actions, &err) < 0) {
				fail("rule", &err);
				goto out;
			}
			fputs(text, stdout);
		}
	}
	ft_offload_placement_walk(off, print_placement, &po);
	if (json) {
		json_t *doc = json_pack("{s:s, s:o, s:o}", "nic", prof->name, "rules", rules,
					"placement", po.arr);

		rules = NULL;
		json_dumpf(doc, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(doc);
	}
	rc = 0;
out:
	json_decref(rules);
	ft_offload_destroy(off);
	ft_ctl_destroy(ctl);
	ft_vtep_destroy(vtep);
	ft_pipeline_destroy(pipe);
	return rc;
}
#endif

#if defined(FT_HAVE_OFFLOAD) && defined(FT_HAVE_PCAP)
/* One pipeline of `flowtwin verify`: the program, its entries, a worker. */
struct vside {
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
};

#define VERIFY_BUF 16384

static int
vside_init(struct vside *s, const char *path, const char *entries)
{
	struct ft_error err = {0};

	memset(s, 0, sizeof(*s));
	if ((s->pipe = pipeline_load(path, NULL)) == NULL)
		return -1;
	s->ctl = ft_ctl_create(s->pipe);
	if (s->ctl == NULL || (ft_vtep_attach(s->ctl, &s->vtep, &err) < 0 && err.code != -ENOTSUP))
		return fail(path, &err), -1;
	ft_error_clear(&err);
	if (entries != NULL && ft_ctl_exec_file(s->ctl, entries, NULL, NULL, &err) < 0)
		return fail(entries, &err), -1;
	if ((s->sp = ft_pkt_pool_simple_create(256, VERIFY_BUF, &s->pool)) == NULL ||
	    (s->w = ft_worker_create(s->pipe, &s->pool, &err)) == NULL)
		return fail("worker", &err), -1;
	return 0;
}

static void
vside_fini(struct vside *s)
{
	ft_worker_destroy(s->w);
	ft_pkt_pool_simple_destroy(s->sp);
	ft_ctl_destroy(s->ctl);
	ft_vtep_destroy(s->vtep);
	ft_pipeline_destroy(s->pipe);
}

static struct ft_pkt *
vside_pkt(struct vside *s, const struct capture_pkt *c)
{
	struct ft_pkt *p = s->pool.alloc(s->pool.arg, VERIFY_BUF);

	if (p == NULL || ft_pkt_init(p, p->buf, p->buf_len, FT_PKT_HEADROOM, (uint16_t)c->len,
				     c->port) != 0) {
		if (p != NULL)
			s->pool.free(s->pool.arg, p);
		return NULL;
	}
	memcpy(ft_pkt_data(p), c->data, c->len);
	return p;
}

static void
vside_free(struct vside *s, struct ft_burst_result *r, struct ft_pkt *in)
{
	for (uint32_t k = 0; k < r->n_tx; k++)
		s->pool.free(s->pool.arg, r->tx[k].pkt);
	if (!r->used[0])
		s->pool.free(s->pool.arg, in);
}

static void
hex_print(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

/* Both sides' view of a packet that diverged: traces and the NIC's rules. */
static void
verify_show(struct vside *b, struct ft_twin *twin, const struct ft_burst_result *ra,
	    const struct ft_twin_result *rb, const char *model_trace, const struct capture_pkt *c)
{
	static const char *const path[] = {"NIC", "resumed", "software"};
	struct ft_offload *off = ft_twin_offload(twin);
	const struct ft_twin_pkt *tp = &rb->pkt[0];
	static struct ft_flow_buf buf;
	static struct ft_burst_result rr;
	char text[8192];

	printf("packet on port %u, %u bytes: ", c->port, c->len);
	hex_print(c->data, c->len);
	printf("--- model alone: drop %s\n%s", ft_drop_name(ra->drop[0]), model_trace);
	printf("--- NIC: %s, drop %s, rules:\n", path[tp->path], ft_drop_name(rb->burst.drop[0]));
	for (uint32_t k = 0; k < tp->n_hits; k++)
		if (ft_offload_rule(off, tp->hits[k], &buf) == 0 &&
		    ft_flow_testpmd(text, sizeof(text), buf.port, &buf.attr, buf.pattern,
				    buf.actions, NULL) >= 0)
			printf("  rule %u: %s", tp->hits[k], text);
	if (tp->path == FT_TWIN_RESUMED) {
		const struct ft_restore *rs = ft_offload_restore(off, tp->mark);
		struct ft_trace *tr = ft_trace_create();
		struct ft_pkt *p = vside_pkt(b, c);
		char *t;

		if (tr == NULL || p == NULL)
			return;
		ft_worker_trace_resume(b->w, p, &rs->resume, tr, &rr);
		t = ft_trace_text(tr, b->pipe);
		printf("--- software resumed (mark %u: %s)\n%s", tp->mark,
		       rs->reason ? rs->reason : "", t ? t : "");
		free(t);
		vside_free(b, &rr, p);
		ft_trace_destroy(tr);
	}
}

/*
 * flowtwin verify PROGRAM.p4 --entries FILE --pcap FILE [--in-port N] [--nic PROFILE]
 *                 [--show N]
 * Every packet of the capture through the model alone and through the
 * software NIC running the compiled rules + the model resuming; exits 1 on
 * any divergence (the first N are shown with both traces and the rules).
 */
static int
cmd_verify(int argc, char **argv)
{
	const char *entries = NULL, *pcap = NULL, *nic = "sim";
	long in_port = -1, show = 10;
	static const struct option opts[] = {
		{"entries", required_argument, NULL, 'e'}, {"pcap", required_argument, NULL, 'c'},
		{"in-port", required_argument, NULL, 'i'}, {"nic", required_argument, NULL, 'n'},
		{"show", required_argument, NULL, 's'},	   {NULL, 0, NULL, 0},
	};
	uint64_t n_path[3] = {0}, n_sent = 0, n_div = 0;
	struct ft_trace *tr = ft_trace_create();
	struct capture cap = {0};
	struct vside a, b;
	struct ft_twin *twin = NULL;
	struct ft_error err = {0};
	uint32_t ports[64], n_ports = 0;
	char why[512];
	int c, rc = 1;

	while ((c = getopt_long(argc - 1, argv + 1, "", opts, NULL)) != -1) {
		if (c == 'e')
			entries = optarg;
		else if (c == 'c')
			pcap = optarg;
		else if (c == 'i')
			in_port = strtol(optarg, NULL, 0);
		else if (c == 'n')
			nic = optarg;
		else if (c == 's')
			show = strtol(optarg, NULL, 0);
		else
			return 2;
	}
	const struct ft_nic_profile *prof = ft_nic_profile_find(nic);

	if (optind != argc - 2 || pcap == NULL || prof == NULL || tr == NULL) {
		fprintf(stderr, "usage: flowtwin verify PROGRAM.p4 [--entries FILE] --pcap FILE "
				"[--in-port N] [--nic cx5|cx6dx|cx7|bf2|bf3|sim] [--show N]\n");
		return 2;
	}
	if (capture_read(pcap, &cap, why, sizeof(why)) < 0) {
		fprintf(stderr, "flowtwin: %s: %s\n", pcap, why);
		return 1;
	}
	for (uint32_t i = 0; i < cap.n; i++) {
		uint32_t k = 0;

		if (in_port >= 0)
			cap.pkt[i].port = (uint32_t)in_port;
		while (k < n_ports && ports[k] != cap.pkt[i].port)
			k++;
		if (k == n_ports && n_ports < 64)
			ports[n_ports++] = cap.pkt[i].port;
	}
	const struct ft_twin_params tp = {
		.profile = prof, .ports = ports, .n_ports = n_ports, .strict = true};

	if (vside_init(&a, argv[optind + 1], entries) < 0 ||
	    vside_init(&b, argv[optind + 1], entries) < 0)
		return 1;
	if ((twin = ft_twin_create(b.pipe, &tp, &err)) == NULL || ft_twin_sync(twin, &err) < 0) {
		fail(prof->name, &err);
		goto out;
	}
	for (uint32_t i = 0; i < cap.n; i++) {
		static struct ft_burst_result ra;
		static struct ft_twin_result rb;
		const struct capture_pkt *cp = &cap.pkt[i];
		struct ft_pkt *pa, *pb;
		const char *d;
		bool changed;

		if (cp->len + FT_PKT_HEADROOM > VERIFY_BUF || cp->len > UINT16_MAX) {
			fprintf(stderr, "flowtwin: packet %u: %u bytes: too long, skipped\n", i + 1,
				cp->len);
			continue;
		}
		if ((pa = vside_pkt(&a, cp)) == NULL || (pb = vside_pkt(&b, cp)) == NULL) {
			fprintf(stderr, "flowtwin: out of packet buffers\n");
			goto out;
		}
		ft_trace_reset(tr);
		ft_worker_trace(a.w, pa, tr, &ra);
		ft_twin_run(twin, b.w, &pb, 1, &rb);
		n_path[rb.pkt[0].path]++;
		n_sent += rb.pkt[0].path == FT_TWIN_NIC && rb.burst.drop[0] == FT_DROP_NONE;
		if ((d = ft_twin_diff(&ra, &rb, 0)) != NULL && n_div++ < (uint64_t)show) {
			char *t = ft_trace_text(tr, a.pipe);

			printf("divergence: packet %u: %s\n", i + 1, d);
			verify_show(&b, twin, &ra, &rb, t ? t : "", cp);
			free(t);
		}
		changed = ra.n_events > 0;
		for (uint32_t k = 0; k < ra.n_events; k++)
			ft_vtep_dispatch(a.vtep, &ra.events[k]);
		for (uint32_t k = 0; k < rb.burst.n_events; k++)
			ft_vtep_dispatch(b.vtep, &rb.burst.events[k]);
		vside_free(&a, &ra, pa);
		vside_free(&b, &rb.burst, pb);
		/* Learning and aging: the twin follows the state it changes. */
		ft_twin_counters_collect(twin);
		changed |= ft_ctl_poll(a.ctl, NULL, NULL, &err) > 0;
		changed |= ft_ctl_poll(b.ctl, NULL, NULL, &err) > 0;
		if (changed && ft_twin_sync(twin, &err) < 0) {
			fail(prof->name, &err);
			goto out;
		}
	}
	printf("verify: %u packets on %s: the NIC finished %" PRIu64 " (sent %" PRIu64
	       ", dropped %" PRIu64 "), software resumed %" PRIu64 ", software from the start %" PRIu64
	       "; %" PRIu64 " divergences\n",
	       cap.n, prof->name, n_path[FT_TWIN_NIC], n_sent, n_path[FT_TWIN_NIC] - n_sent,
	       n_path[FT_TWIN_RESUMED], n_path[FT_TWIN_SOFTWARE], n_div);
	if (n_div == 0 && ft_twin_counters_diff(twin, a.pipe, why, sizeof(why)) != 0) {
		printf("divergence: counters: %s\n", why);
		n_div++;
	}
	rc = n_div > 0;
out:
	ft_twin_destroy(twin);
	vside_fini(&a);
	vside_fini(&b);
	capture_free(&cap);
	ft_trace_destroy(tr);
	return rc;
}
#endif

static void
usage(FILE *f)
{
	fprintf(f, "usage: flowtwin demo [--json]\n"
		   "       flowtwin check PROGRAM.p4\n"
		   "       flowtwin trace PROGRAM.p4 [--entries FILE] --packet HEX [--in-port N] [--json]\n"
		   "       flowtwin stf PROGRAM.p4 FILE.stf [--nic PROFILE]\n"
		   "       flowtwin compile PROGRAM.p4 [--entries FILE] [--nic PROFILE] [--port N]...\n"
		   "                [--format testpmd|json] [--api sync|template]\n"
		   "       flowtwin verify PROGRAM.p4 [--entries FILE] --pcap FILE [--in-port N]\n"
		   "                [--nic PROFILE] [--show N]\n"
		   "  demo   run example traffic through the bundled example VTEP pipeline\n"
		   "  check  read a P4 program: its errors, or its headers, tables and actions\n"
		   "  trace  run one packet through a P4 program with entries; print its path\n"
		   "  stf    run an STF test file (p4c's format and the text syntax) on a program\n"
		   "  compile  the rte_flow rules of a program and its entries for a NIC profile,\n"
		   "         and where each entry runs (NIC or software) and why; --api template\n"
		   "         (the default for cx7 and bf3 in testpmd text) writes the template\n"
		   "         API's commands: flow configure, templates, tables, flow queue\n"
		   "  verify every packet of a capture (pcap, or pcapng: interface id = port)\n"
		   "         through the model alone and through the software NIC running the\n"
		   "         compiled rules + the model resuming; exits 1 on any divergence\n");
}

int
main(int argc, char **argv)
{
	ft_log_set_sink(log_stderr, NULL);
	ft_log_set_level(FT_LOG_WARNING);
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (strcmp(argv[1], "demo") == 0)
		return cmd_demo(argc > 2 && strcmp(argv[2], "--json") == 0);
	if (strcmp(argv[1], "check") == 0)
		return cmd_check(argc, argv);
	if (strcmp(argv[1], "trace") == 0)
		return cmd_trace(argc, argv);
	if (strcmp(argv[1], "stf") == 0)
		return cmd_stf(argc, argv);
#ifdef FT_HAVE_OFFLOAD
	if (strcmp(argv[1], "compile") == 0)
		return cmd_compile(argc, argv);
#endif
#if defined(FT_HAVE_OFFLOAD) && defined(FT_HAVE_PCAP)
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(argc, argv);
#endif
	if (!strcmp(argv[1], "compile") || !strcmp(argv[1], "verify")) {
		fprintf(stderr, "flowtwin: '%s' is not supported %s\n", argv[1],
			strcmp(argv[1], "compile") == 0 ? "in this build: it needs DPDK's headers"
							: "in this build: it needs DPDK's headers and libpcap");
		return 2;
	}
	fprintf(stderr, "flowtwin: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
