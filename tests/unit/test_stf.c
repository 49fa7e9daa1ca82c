/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the STF runner (model/stf.c, include/flowtwin/stf.h).
 *
 * One small program built with the builder API: Ethernet and IPv4 parsed;
 * a table on the input port that raises a digest; an exact table on the
 * Ethernet destination (send to a port and count, drop, flood to a
 * replication group); a ternary ACL on the IPv4 destination and protocol
 * that marks the DSCP byte or drops; an lpm table on the IPv4 source that
 * sets the TTL. Each test runs STF text on a fresh pipeline and asserts on
 * the return value, the counts and the exact lines written to 'out'. Passing
 * runs are paired with runs that break one expectation, so that every check
 * is seen to fail when it should: a wrong byte, a missing packet, an extra
 * packet, a wrong port, a wrong length with '$', a counter; malformed lines
 * give "path:line:" errors.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <flowtwin/ctl.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/stf.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct ft_error err;

static uint32_t
ok_at(int rc, const char *what, int line)
{
	if (rc < 0)
		fail_msg("line %d: %s returned %d: '%s': %s", line, what, rc, err.object,
		         err.message);
	return (uint32_t)rc;
}

#define OK(x) ok_at((x), #x, __LINE__)

/* --- The program ----------------------------------------------------------- */

static const struct ft_field_decl eth_f[] = {
        {"dst_addr", 48}, {"src_addr", 48}, {"ether_type", 16}};
enum { ETH_DST, ETH_SRC, ETH_TYPE };

static const struct ft_field_decl ipv4_f[] = {
        {"version", 4},         {"ihl", 4},           {"diffserv", 8},     {"total_len", 16},
        {"identification", 16}, {"flags", 3},         {"frag_offset", 13}, {"ttl", 8},
        {"protocol", 8},        {"hdr_checksum", 16}, {"src_addr", 32},    {"dst_addr", 32},
};
enum { IP_DS = 2, IP_TTL = 7, IP_PROTO = 8, IP_SRC = 10, IP_DST = 11 };

#define PARAMS(...)                                                                                \
	(const struct ft_param_decl[]){__VA_ARGS__},                                               \
	        (uint32_t)(sizeof((const struct ft_param_decl[]){__VA_ARGS__}) /                   \
	                   sizeof(struct ft_param_decl))
#define OPS(...)                                                                                   \
	(const struct ft_op[]){__VA_ARGS__},                                                       \
	        (uint32_t)(sizeof((const struct ft_op[]){__VA_ARGS__}) / sizeof(struct ft_op))

struct ids {
	uint32_t eth, ipv4, vni;
	uint32_t pkts, seen;
	uint32_t send, drop, flood, nop, mark, deny, set_ttl, notify;
	uint32_t port_t, fwd, acl, route;
};

static uint32_t
table(struct ft_program *p, const char *name, const struct ft_key_decl *keys, uint32_t n_keys,
      const uint32_t *acts, uint32_t n_acts, uint32_t dflt)
{
	struct ft_table_action ta[8];
	struct ft_table_decl td = {.name = name,
	                           .keys = keys,
	                           .n_keys = n_keys,
	                           .actions = ta,
	                           .n_actions = n_acts,
	                           .default_action = dflt,
	                           .size = 256};

	for (uint32_t i = 0; i < n_acts; i++)
		ta[i] = (struct ft_table_action){acts[i], FT_SCOPE_ANY};
	return OK(ft_program_add_table(p, &td, &err));
}

static uint32_t
apply(struct ft_program *p, uint32_t t, uint32_t next)
{
	struct ft_node n = {.kind = FT_NODE_APPLY,
	                    .table = t,
	                    .next = next,
	                    .next_hit = FT_NEXT_DEFAULT,
	                    .next_miss = FT_NEXT_DEFAULT};

	return OK(ft_program_add_node(p, FT_CTL_INGRESS, &n, &err));
}

static struct ft_program *
program_build(struct ids *d)
{
	struct ft_program *p = ft_program_create("stf_test");
	uint32_t teth, tip, c;

	assert_non_null(p);
	teth = OK(ft_program_add_header_type(p, "ethernet_t", eth_f, ARRAY_SIZE(eth_f), &err));
	tip = OK(ft_program_add_header_type(p, "ipv4_t", ipv4_f, ARRAY_SIZE(ipv4_f), &err));
	d->eth = OK(ft_program_add_header(p, "ethernet", teth, FT_PROTO_ETH, FT_L_ETH, &err));
	d->ipv4 = OK(ft_program_add_header(p, "ipv4", tip, FT_PROTO_IPV4, FT_L_IPV4, &err));
	d->vni = OK(ft_program_add_metadata(p, "vni", 24, &err));
	d->pkts = OK(ft_program_add_counter(p, "pkts", 16, &err));
	d->seen = OK(ft_program_add_digest(p, "seen", &err));

	d->send = OK(ft_program_add_action(
	        p, "send", PARAMS({"port", 32}),
	        OPS({.kind = FT_OP_SEND, .a = ft_ref_param(0)},
	            {.kind = FT_OP_COUNT, .id = d->pkts, .a = ft_ref_param(0)}),
	        &err));
	d->drop = OK(ft_program_add_action(p, "drop", NULL, 0, OPS({.kind = FT_OP_DROP}), &err));
	d->flood = OK(ft_program_add_action(p, "flood", PARAMS({"group", 16}),
	                                    OPS({.kind = FT_OP_REPLICATE, .a = ft_ref_param(0)}),
	                                    &err));
	d->nop = OK(ft_program_add_action(p, "nop", NULL, 0, NULL, 0, &err));
	d->mark = OK(ft_program_add_action(
	        p, "mark", PARAMS({"tos", 8}),
	        OPS({.kind = FT_OP_SET, .dst = ft_ref_field(d->ipv4, IP_DS), .a = ft_ref_param(0)}),
	        &err));
	d->deny = OK(ft_program_add_action(p, "deny", NULL, 0, OPS({.kind = FT_OP_DROP}), &err));
	d->set_ttl = OK(ft_program_add_action(p, "set_ttl", PARAMS({"ttl", 8}),
	                                      OPS({.kind = FT_OP_SET,
	                                           .dst = ft_ref_field(d->ipv4, IP_TTL),
	                                           .a = ft_ref_param(0)}),
	                                      &err));
	d->notify = OK(ft_program_add_action(
	        p, "notify", NULL, 0,
	        OPS({.kind = FT_OP_DIGEST,
	             .id = d->seen,
	             .list = (const struct ft_ref[]){ft_ref_field(d->eth, ETH_SRC)},
	             .n_list = 1}),
	        &err));

	{
		struct ft_key_decl k = {ft_ref_std(FT_STD_IN_PORT), FT_MATCH_EXACT};
		uint32_t a[] = {d->notify, d->nop};

		d->port_t = table(p, "port_t", &k, 1, a, 2, d->nop);
	}
	{
		struct ft_key_decl k = {ft_ref_field(d->eth, ETH_DST), FT_MATCH_EXACT};
		uint32_t a[] = {d->send, d->drop, d->flood};

		d->fwd = table(p, "MyIngress.fwd", &k, 1, a, 3, d->drop);
	}
	{
		struct ft_key_decl k[] = {{ft_ref_field(d->ipv4, IP_DST), FT_MATCH_TERNARY},
		                          {ft_ref_field(d->ipv4, IP_PROTO), FT_MATCH_TERNARY},
		                          {ft_ref_meta(d->vni), FT_MATCH_EXACT}};
		uint32_t a[] = {d->mark, d->deny, d->nop};

		d->acl = table(p, "acl", k, 3, a, 3, d->nop);
	}
	{
		struct ft_key_decl k = {ft_ref_field(d->ipv4, IP_SRC), FT_MATCH_LPM};
		uint32_t a[] = {d->set_ttl, d->nop};

		d->route = table(p, "route", &k, 1, a, 2, d->nop);
	}
	{
		struct ft_cond cv = {.kind = FT_COND_VALID, .hdr = d->ipv4};
		struct ft_node n;

		c = OK(ft_program_add_cond(p, &cv, &err));
		apply(p, d->port_t, 1);
		apply(p, d->fwd, 2);
		n = (struct ft_node){
		        .kind = FT_NODE_IF, .cond = c, .next = 3, .next_false = FT_NODE_END};
		OK(ft_program_add_node(p, FT_CTL_INGRESS, &n, &err));
		apply(p, d->acl, 4);
		apply(p, d->route, FT_NODE_END);
	}
	OK(ft_program_set_emit(p, (const uint32_t[]){d->eth, d->ipv4}, 2, &err));
	return p;
}

/* --- Running STF text ------------------------------------------------------ */

struct rig {
	struct ids d;
	struct ft_pipeline *pipe;
	struct ft_ctl *ctl;
	struct ft_stf_result res;
	char out[16384];
	size_t out_len;
	uint32_t n_lines;
};

static void
collect(void *arg, const char *line)
{
	struct rig *r = arg;
	int n = snprintf(r->out + r->out_len, sizeof(r->out) - r->out_len, "%s\n", line);

	assert_true(n >= 0 && (size_t)n < sizeof(r->out) - r->out_len);
	r->out_len += (size_t)n;
	r->n_lines++;
}

static int
rig_setup(void **state)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct ft_program *p;

	assert_non_null(r);
	p = program_build(&r->d);
	r->pipe = ft_pipeline_create(p, NULL, &err);
	if (r->pipe == NULL)
		fail_msg("ft_pipeline_create: '%s': %s", err.object, err.message);
	r->ctl = ft_ctl_create(r->pipe);
	assert_non_null(r->ctl);
	*state = r;
	return 0;
}

static int
rig_teardown(void **state)
{
	struct rig *r = *state;

	ft_ctl_destroy(r->ctl);
	ft_pipeline_destroy(r->pipe);
	free(r);
	return 0;
}

/* Runs 'text' as "t.stf", clearing what the last run wrote. */
static int
run(struct rig *r, const char *text)
{
	r->out[0] = '\0';
	r->out_len = 0;
	r->n_lines = 0;
	ft_error_clear(&err);
	return ft_stf_run_text(r->pipe, r->ctl, "t.stf", text, collect, r, &r->res, &err);
}

static void
assert_out(const struct rig *r, const char *want)
{
	if (strcmp(r->out, want) != 0)
		fail_msg("output:\n%s\nwanted:\n%s", r->out, want);
}

static void assert_outf(const struct rig *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* As assert_out(), the wanted text from a format. */
static void
assert_outf(const struct rig *r, const char *fmt, ...)
{
	char want[16384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	assert_out(r, want);
}

/* 'text' without its spaces, as the runner prints packet data. Four buffers in turn. */
static const char *
hex(const char *text)
{
	static char bufs[4][1024];
	static unsigned int next;
	char *b = bufs[next++ % 4], *o = b;

	for (; *text; text++)
		if (*text != ' ')
			*o++ = *text;
	*o = '\0';
	return b;
}

static void
assert_err(int rc, int code, const char *msg)
{
	assert_int_equal(rc, code);
	assert_int_equal(err.code, code);
	assert_int_equal(err.kind, FT_ERR_SOURCE);
	if (strcmp(err.message, msg) != 0)
		fail_msg("error '%s', wanted '%s'", err.message, msg);
}

/*
 * Frames: Ethernet to MAC ...0D (D one hex digit) from ...99, then IPv4
 * 10.0.0.1 -> 10.11.12.13 (protocol 6), TTL 64, DSCP 0, four bytes of payload.
 */
#define ETH(D)   "00000000000" D " 000000000099 0800 "
#define IP_HDR   "45000018 00000000 4006 0000 0a000001 0a0b0c0d "
#define PAYLOAD  "deadbeef"
#define ETHX(D)  "00000000000" D " 000000000099 88b5" /* not IP: all payload after Ethernet */
#define FRAME(D) ETH(D) IP_HDR PAYLOAD

/* The entries most tests start from. */
#define FWD_ENTRIES                                                                                \
	"add MyIngress.fwd hdr.ethernet.dst_addr:0x000000000001 send(port:1)\n"                    \
	"add fwd ethernet.dst_addr:0x000000000002 send(port:2) = B\n"                              \
	"add fwd dst_addr:0x000000000005 drop()\n"

/* --- Runs --------------------------------------------------------------------- */

/*
 * STF text stays as it is written, one STF line to a source line: clang-format
 * would break the strings at the frame macros.
 */
/* clang-format off */

static void
test_pass(void **state)
{
	static const char text[] = "# comment line\n" FWD_ENTRIES "\n"
		"expect 1 " FRAME("1") "$\n"
		"packet 1 " FRAME("1") "   # trailing comment\n"
		"packet 0 " FRAME("2") "\n"
		"expect 2 " ETH("2") "45 ** 0018 *\n"
		"expect 2 000000000002\n"
		"packet 3 " FRAME("2") "\n"
		"packet 0 " FRAME("5") "\n"
		"PACKET 0 " FRAME("9") "\n"
		"no_packet\n"
		"wait\n";
	struct rig *r = *state;
	int rc = run(r, text);

	if (rc != 0)
		fail_msg("rc %d: %s / %s", rc, err.message, r->out);
	assert_out(r, "");
	assert_int_equal(r->res.lines, 15);
	assert_int_equal(r->res.commands, 3);
	assert_int_equal(r->res.packets, 5);
	assert_int_equal(r->res.outputs, 3);
	assert_int_equal(r->res.expects, 3);
	assert_int_equal(r->res.matched, 3);
	assert_int_equal(r->res.failures, 0);
}

static void
test_setdefault(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, "setdefault fwd send(port:7)\n"
				"packet 4 " FRAME("9") "\n"
				"expect 7 " FRAME("9") "$\n"), 0);
	assert_int_equal(r->res.matched, 1);
	/* The default stays after the run; a second run that expects port 3 fails once. */
	assert_int_equal(run(r, "packet 4 " FRAME("9") "\n"
				"expect 3 " FRAME("9") "\n"), 1);
	assert_outf(r, "t.stf:2: port 3: expected %s, sent to port 7 instead\n", hex(FRAME("9")));
}

/* Ternary keys: '*' digits, &&&, priorities (the larger wins); lpm keys: /LEN and '*'. */
static void
test_ternary_lpm(void **state)
{
	struct rig *r = *state;
	static const char entries[] = FWD_ENTRIES
		"add acl 10 hdr.ipv4.dst_addr:0x0a0b**** mark(tos:0x11)\n"
		"add acl 20 ipv4.dst_addr:0x0a0b0c0d&&&0xffffff00 protocol:6 mark(tos:0x22)\n"
		"add acl 30 dst_addr:0x0a0b0c0e user_meta.vni:0 deny()\n"
		"add route hdr.ipv4.src_addr:0x0a000000/8 set_ttl(ttl:8)\n"
		"add route src_addr:0x0a0000** set_ttl(ttl:24)\n";

	/* 10.11.12.13 proto 6: prio 20 beats 10. 10.0.0.1 is in /24 rather than /8: TTL 24. */
	if (run(r, entries) != 0 ||
	    run(r, "packet 0 " FRAME("1") "\n"
		   "expect 1 " ETH("1") "45 22 0018 00000000 18 06 0000 "
		   "0a000001 0a0b0c0d deadbeef $\n") != 0)
		fail_msg("%s / %s", err.message, r->out);

	/* Protocol 17 misses prio 20 (its protocol is exact): prio 10 marks 0x11. */
	assert_int_equal(run(r, "packet 0 " ETH("1") "45000018 00000000 4011 0000 "
				"0a000001 0a0b0c0d " PAYLOAD "\n"
				"expect 1 " ETH("1") "45 11 ****$\n"), 1);
	/* '$' after 4 bytes of IPv4: the packet is longer, so this fails as too long. */
	assert_outf(r, "t.stf:2: port 1: packet too long (38 bytes, expected 18): expected "
		       "%s4511****$ got %s4511001800000000181100000a0000010a0b0c0d%s\n",
		    hex(ETH("1")), hex(ETH("1")), PAYLOAD);

	/* 10.11.12.14 matches prio 30 (deny): no packet. */
	assert_int_equal(run(r, "packet 0 " ETH("1") "45000018 00000000 4006 0000 "
				"0a000001 0a0b0c0e " PAYLOAD "\n"
				"expect 1 " ETH("1") "\n"), 1);
	assert_outf(r, "t.stf:2: port 1: expected %s, no packet\n", hex(ETH("1")));
}

/* The same two overlapping entries with the priorities swapped: the other one wins. */
static void
test_priority_order(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, FWD_ENTRIES
				"add acl 30 dst_addr:0x0a0b**** mark(tos:0x11)\n"
				"add acl 20 dst_addr:0x0a0b0c** mark(tos:0x22)\n"
				"packet 0 " FRAME("1") "\n"
				"expect 1 " ETH("1") "45 11\n"), 0);
	assert_int_equal(run(r, "packet 0 " FRAME("1") "\n"
				"expect 1 " ETH("1") "45 22\n"), 1);
}

static void
test_wrong_byte(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, FWD_ENTRIES
				"packet 0 " FRAME("1") "\n"
				"expect 1 " ETH("1") "4500 0018****0000 40 07\n"
				"packet 0 " FRAME("2") "\n"
				"expect 2 " ETH("2") "45\n"), 1);
	/* Digit 47 is the low nibble of the protocol: 6, not 7. */
	assert_outf(r, "t.stf:5: port 1: packet differs at hex digit 47: expected "
		       "%s45000018****00004007 got %s\n",
		    hex(ETH("1")), hex(FRAME("1")));
	assert_int_equal(r->res.failures, 1);
	assert_int_equal(r->res.matched, 1);
	assert_int_equal(r->res.expects, 2);
}

static void
test_missing_and_extra(void **state)
{
	struct rig *r = *state;

	/* The packet to ...05 is dropped: its expect has no packet. */
	assert_int_equal(run(r, FWD_ENTRIES
				"expect 5 " FRAME("5") "\n"
				"packet 0 " FRAME("5") "\n"), 1);
	assert_outf(r, "t.stf:4: port 5: expected %s, no packet\n", hex(FRAME("5")));

	/* Two packets out of port 1, one expect: the second one is unexpected (its packet line). */
	assert_int_equal(run(r, "expect 1 " FRAME("1") "\n"
				"packet 0 " FRAME("1") "\n"
				"packet 0 " ETHX("1") "\n"), 1);
	assert_outf(r, "t.stf:3: port 1: unexpected packet %s\n", hex(ETHX("1")));
	assert_int_equal(r->res.outputs, 2);
	assert_int_equal(r->res.matched, 1);

	/* A packet with no expect at all, after no_packet. */
	assert_int_equal(run(r, "no_packet\n"
				"packet 0 " FRAME("2") "\n"), 1);
	assert_outf(r, "t.stf:2: port 2: unexpected packet %s\n", hex(FRAME("2")));

	/* Expects on one port are met in order: swapped, both fail. */
	assert_int_equal(run(r, "packet 0 " FRAME("2") "\n"
				"packet 0 " ETHX("2") "\n"
				"expect 2 " ETHX("2") "$\n"
				"expect 2 " FRAME("2") "$\n"), 2);
	assert_outf(r, "t.stf:3: port 2: packet differs at hex digit 24: expected %s$ got %s\n"
		       "t.stf:4: port 2: packet too short (14 bytes): expected %s$ got %s\n",
		    hex(ETHX("2")), hex(FRAME("2")), hex(FRAME("2")), hex(ETHX("2")));
}

static void
test_wrong_port(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, FWD_ENTRIES
				"packet 0 " FRAME("2") "\n"
				"expect 1 " ETH("2") "**\n"), 1);
	assert_outf(r, "t.stf:5: port 1: expected %s**, sent to port 2 instead\n", hex(ETH("2")));
	assert_int_equal(r->res.failures, 1);
}

/* Replication through a group set with ctl's group_set: a copy per member, in member order. */
static void
test_replicate(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, "group_set 3 4 6\n"
	                        "add fwd dst_addr:0xffffffffffff flood(group:3)\n"
	                        "packet 1 ffffffffffff 000000000099 0800 " IP_HDR PAYLOAD "\n"
	                        "expect 6 ffffffffffff$\n"
	                        "expect 4 ffffffffffff\n"
	                        "expect 5\n"),
	                 1);
	assert_outf(
	        r,
	        "t.stf:4: port 6: packet too long (38 bytes, expected 6): expected ffffffffffff$ "
	        "got ffffffffffff0000000000990800%s%s\n",
	        hex(IP_HDR), PAYLOAD);
	assert_int_equal(r->res.outputs, 2);
	assert_int_equal(r->res.commands, 2);
	/* 'expect PORT' without data: any number of packets there, here none. */
	assert_int_equal(r->res.matched, 2);

	/* Any packets on a port with an expect without data; data expects there are an error. */
	assert_int_equal(run(r, "packet 1 ffffffffffff 000000000099 0800\nexpect 4\nexpect 6\n"),
	                 0);
	assert_int_equal(run(r, "packet 1 ffffffffffff 000000000099 0800\nexpect 4\nexpect 6\n"
	                        "expect 4 ff\n"),
	                 1);
	assert_out(r, "t.stf:4: port 4: expect with data on a port that also has an expect without "
	              "data\n");
}

static void
test_counters(void **state)
{
	struct rig *r = *state;
	static const char text[] = FWD_ENTRIES
		"packet 0 " FRAME("2") "\n"
		"packet 0 " FRAME("2") "\n"
		"expect 2 " FRAME("2") "\n"
		"expect 2 " FRAME("2") "\n"
		"wait\n"
		"check_counter pkts(2) packets == 2\n"
		"check_counter pkts(2) bytes >= 76\n"
		"check_counter pkts(1) packets < 1\n"
		"check_counter fwd_counter($B) packets == 2\n"
		"check_counter fwd_counter( B ) bytes == 76\n"
		"check_counter pkts(2) packets != 2\n"
		"check_counter fwd_counter($B) packets > 2\n"
		"check_counter pkts(3)\n";

	assert_int_equal(run(r, text), 2);
	assert_out(r, "t.stf:14: counter pkts(2): packets 2, expected != 2\n"
		      "t.stf:15: counter fwd_counter($B): packets 2, expected > 2\n"
		      "t.stf:16: counter pkts(3): packets 0 bytes 0\n");
	assert_int_equal(r->res.counters, 6);
	assert_int_equal(r->res.matched, 2);
}

static void
test_events(void **state)
{
	struct rig *r = *state;

	assert_int_equal(run(r, "add port_t istd.input_port:9 notify()\n"
				"add port_t std.in_port:8 nop()\n"
				"packet 9 " FRAME("9") "\n"
				"packet 8 " FRAME("9") "\n"), 0);
	assert_out(r, "event digest seen ethernet.src_addr=00:00:00:00:00:99\n");
	assert_int_equal(r->res.events, 1);

	/* expect_event: the text or the raw form; a wrong, missing or extra event fails. */
	assert_int_equal(run(r, "packet 9 " FRAME("9") "\n"
				"expect_event digest  seen ethernet.src_addr=00:00:00:00:00:99\n"
				"packet 9 " FRAME("9") "\n"
				"expect_event seen 000000000099\n"), 0);
	assert_int_equal(r->res.matched, 2);
	assert_int_equal(run(r, "packet 9 " FRAME("9") "\n"
				"expect_event seen 000000000098\n"
				"expect_event seen 000000000099\n"), 2);
	assert_int_equal(run(r, "no_event\npacket 9 " FRAME("9") "\n"), 1);
	/* advance needs the options' clock hook. */
	assert_int_equal(run(r, "advance 5\n"), -ENOTSUP);
}

static int
count_entry(uint32_t table, const struct ft_entry_info *entry, void *arg)
{
	(void)table;
	(void)entry;
	(*(uint32_t *)arg)++;
	return 0;
}

static void
test_remove_all(void **state)
{
	struct rig *r = *state;
	uint32_t n = 0;

	assert_int_equal(run(r, FWD_ENTRIES
				"add acl 10 dst_addr:0x0a0b**** deny()\n"
				"remove all\n"
				"packet 0 " FRAME("1") "\n"
				"expect 1 " FRAME("1") "\n"), 1);
	assert_outf(r, "t.stf:7: port 1: expected %s, no packet\n", hex(FRAME("1")));
	assert_int_equal(ft_pipeline_table_walk(r->pipe, r->d.fwd, count_entry, &n), 0);
	assert_int_equal(ft_pipeline_table_walk(r->pipe, r->d.acl, count_entry, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(run(r, FWD_ENTRIES), 0);
	assert_int_equal(ft_pipeline_table_walk(r->pipe, r->d.fwd, count_entry, &n), 0);
	assert_int_equal(n, 3);
}

/* Lines that are not STF go to ft_ctl_exec(); without a session they are errors. */
static void
test_ctl_lines(void **state)
{
	struct rig *r = *state;
	int rc;

	rc = run(r, "table_add MyIngress.fwd send 0x000000000003 => 3\n"
		    "packet 0 " FRAME("3") "\n"
		    "expect 3 " FRAME("3") "$\n");
	if (rc != 0)
		fail_msg("rc %d: %s / %s", rc, err.message, r->out);
	assert_int_equal(r->res.commands, 1);

	rc = ft_stf_run_text(r->pipe, NULL, "t.stf", "\n  table_dump fwd\n", NULL, NULL, NULL,
	                     &err);
	assert_err(rc, -ENOENT, "t.stf:2: unknown command 'table_dump'");

	rc = run(r, "table_add nosuch send 1 => 3\n");
	assert_int_equal(rc, err.code);
	assert_true(rc < 0);
	assert_int_equal(err.index, 1);
	assert_true(strncmp(err.message, "t.stf:1: ", 9) == 0);
}

struct bad_case {
	const char *text;
	int code;
	const char *message;
};

static void
test_malformed(void **state)
{
	struct rig *r = *state;
	static const struct bad_case cases[] = {
	        {"add nosuch a:1 send(port:1)\n", -ENOENT, "t.stf:1: unknown table 'nosuch'"},
	        {"\n\nadd fwd dst_addr:1 fly(port:1)\n", -ENOENT,
	         "t.stf:3: table 'MyIngress.fwd' has no action 'fly'"},
	        {"add fwd dst_addr:1 nop()\n", -ENOENT,
	         "t.stf:1: table 'MyIngress.fwd' has no action 'nop'"},
	        {"add fwd src_addr:1 send(port:1)\n", -ENOENT,
	         "t.stf:1: table 'MyIngress.fwd' has no key field 'src_addr'"},
	        {"add fwd dst_addr:1 send(port:1, port:2)\n", -EINVAL,
	         "t.stf:1: action 'send': parameter 'port' given twice"},
	        {"add fwd dst_addr:1 send()\n", -EINVAL,
	         "t.stf:1: action 'send': missing parameter 'port'"},
	        {"add fwd dst_addr:1 send(prt:1)\n", -ENOENT,
	         "t.stf:1: action 'send' has no parameter 'prt'"},
	        {"add fwd dst_addr:0x1000000000000 send(port:1)\n", -EINVAL,
	         "t.stf:1: key field 'dst_addr': 0x1000000000000 does not fit in 48 bits"},
	        {"add fwd dst_addr:0x00000000000* send(port:1)\n", -EINVAL,
	         "t.stf:1: key field 'dst_addr': '0x00000000000*' is not a number"},
	        {"add fwd dst_addr:12ab send(port:1)\n", -EINVAL,
	         "t.stf:1: key field 'dst_addr': '12ab' is not a number"},
	        {"add fwd dst_addr:1 send(port:1) extra\n", -EINVAL,
	         "t.stf:1: add: unexpected 'extra' after the action"},
	        {"add acl 5 vni:1&&&1 nop()\n", -EINVAL,
	         "t.stf:1: key field 'vni': VALUE&&&MASK needs a ternary field"},
	        {"add acl 5 dst_addr:1 dst_addr:2 nop()\n", -EINVAL,
	         "t.stf:1: key field 'dst_addr' given twice"},
	        {"add route src_addr:0x0a**0000 nop()\n", -EINVAL,
	         "t.stf:1: key field 'src_addr': '*' digits of an lpm field must come last"},
	        {"add route src_addr:10/33 nop()\n", -EINVAL,
	         "t.stf:1: key field 'src_addr': prefix /33 is longer than 32 bits"},
	        {"packet 0 0102 0g\n", -EINVAL, "t.stf:1: bad packet data: 'g' is not a hex digit"},
	        {"packet 0 010\n", -EINVAL, "t.stf:1: odd number of hex digits in packet data"},
	        {"packet x 0102\n", -EINVAL, "t.stf:1: bad port 'x'"},
	        {"expect 1 01 $ 02\n", -EINVAL, "t.stf:1: '$' must end the packet data"},
	        {"expect 1 010$\n", -EINVAL, "t.stf:1: odd number of hex digits before '$'"},
	        {"expect\n", -EINVAL, "t.stf:1: missing port"},
	        {"setdefault fwd send(port:1\n", -EINVAL,
	         "t.stf:1: expected ACTION(PARAM:VALUE, ...)"},
	        {"check_counter nosuch(1) packets == 1\n", -ENOENT,
	         "t.stf:1: unknown counter 'nosuch'"},
	        {"check_counter pkts(99) packets == 1\n", -EINVAL,
	         "t.stf:1: counter 'pkts' has no cell 99"},
	        {"check_counter c($Z) packets == 1\n", -ENOENT,
	         "t.stf:1: check_counter: no entry named 'Z'"},
	        {"check_counter pkts(1) packets = 1\n", -EINVAL,
	         "t.stf:1: check_counter: expected ==, !=, <, <=, > or >="},
	        {"remove 3\n", -ENOTSUP, "t.stf:1: remove: only 'remove all' is supported"},
	        {"wait now\n", -EINVAL, "t.stf:1: wait takes no arguments"},
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int rc = run(r, cases[i].text);

		if (rc != cases[i].code || strcmp(err.message, cases[i].message) != 0)
			fail_msg("case %zu: rc %d '%s', wanted %d '%s'", i, rc, err.message,
			         cases[i].code, cases[i].message);
		assert_int_equal(err.kind, FT_ERR_SOURCE);
		assert_string_equal(err.object, "t.stf");
	}
	/* The run stops at the bad line: the packet after it is not run. */
	assert_int_equal(run(r, "add nosuch x:1 a()\npacket 0 " FRAME("1") "\n"), -ENOENT);
	assert_int_equal(r->res.packets, 0);
	assert_int_equal(r->res.lines, 1);
}

static void
test_file(void **state)
{
	struct rig *r = *state;
	char path[] = "/tmp/test_stf_XXXXXX";
	char msg[256];
	int fd = mkstemp(path), rc;
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(FWD_ENTRIES "packet 0 " FRAME("1") "\r\nexpect 1 " FRAME("2") "\n", f);
	fclose(f);
	rc = ft_stf_run(r->pipe, r->ctl, path, collect, r, &r->res, &err);
	assert_int_equal(rc, 1);
	assert_int_equal(r->res.lines, 5);
	snprintf(msg, sizeof(msg),
	         "%s:5: port 1: packet differs at hex digit 11: expected %s got %s\n", path,
	         hex(FRAME("2")), hex(FRAME("1")));
	assert_out(r, msg);
	unlink(path);

	rc = ft_stf_run(r->pipe, r->ctl, path, collect, r, &r->res, &err);
	snprintf(msg, sizeof(msg), "%s:0: cannot read: %s", path, strerror(ENOENT));
	assert_err(rc, -ENOENT, msg);
}

/* clang-format on */

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test_setup_teardown(test_pass, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_setdefault, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_ternary_lpm, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_priority_order, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_byte, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_missing_and_extra, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_wrong_port, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_replicate, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_counters, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_events, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_remove_all, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_ctl_lines, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_malformed, rig_setup, rig_teardown),
	        cmocka_unit_test_setup_teardown(test_file, rig_setup, rig_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
