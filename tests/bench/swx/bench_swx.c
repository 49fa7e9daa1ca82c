/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_swx: the DPDK side of the "dpdk-vxlan" benchmark. It runs the VXLAN
 * encapsulation program of vxlan.spec (the equivalent of DPDK's
 * examples/pipeline VXLAN example) in DPDK's SWX pipeline, in interpreter
 * mode, on the keys, entries and packets of ../workload.h, and prints the
 * packet rate, the cost per packet and the table memory per entry, so that
 * flowtwin's software model can be compared with it. It is a standalone
 * program under tests/bench and no part of the flowtwin layers (DESIGN.md).
 *
 * DPDK 22.11 has no public way to build a pipeline from a .spec file except
 * through generated C code (codegen), so this program reads the spec itself:
 * spec_load() understands the part of the SWX spec language the program
 * uses (struct, header, metadata, action, table, apply) and makes the same
 * rte_swx_pipeline_*() configuration calls; rte_swx_pipeline_build() then
 * builds the interpreted pipeline.
 *
 * The ports are those of DPDK's vxlan_pcap.cli: one input "source" port that
 * loops over a pcap file this program writes, four output "sink" ports with
 * no file, plus the sink the pipeline adds for dropped packets. Entries are
 * either added through rte_swx_ctl (entry structures filled directly, one
 * commit) or, for large tables, written straight into the pipeline's table
 * object with the table type's own add operation: in DPDK 22.11
 * rte_swx_ctl_pipeline_table_entry_add() searches every pending entry in a
 * linked list, so N adds cost O(N^2).
 *
 * Before timing, a short separate run checks the program's output byte for
 * byte: a few packets go through a pipeline whose sinks write pcap files,
 * which are read back and compared with packets built here independently.
 * After timing, the table and port counters must account for every packet.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strdup, strtok_r, mkdtemp, clock_gettime, mallinfo2; DPDK needs it too */
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_swx_ctl.h>
#include <rte_swx_pipeline.h>
#include <rte_swx_port_source_sink.h>
#include <rte_swx_table_em.h>
#include <rte_version.h>

#include "../workload.h"

#ifndef SPEC_PATH
#define SPEC_PATH "vxlan.spec"
#endif

#define N_PORTS_OUT       4     /* sink ports; the pipeline adds a drop port after them */
#define VERIFY_PKTS_MAX   1024u /* packets of the byte-for-byte check */
#define RUN_QUANTUM       1000  /* instructions per rte_swx_pipeline_run(), as DPDK's app */
#define WARMUP_SECONDS    0.5
#define LOAD_AUTO_CTL_MAX 16384 /* --load auto: largest table filled through rte_swx_ctl */

/* Names the program looks for in the spec. */
#define TABLE_NAME   "encap_table"
#define ENCAP_ACTION "vxlan_encap"
#define DROP_ACTION  "drop"

/* Constant parts of the tunnel headers. */
#define TUN_ETHERTYPE    0x0800
#define TUN_IP4_VER_IHL  0x45
#define TUN_IP4_TTL      64
#define TUN_IP4_PROTO    17
#define TUN_UDP_DPORT    4789
#define TUN_VXLAN_FLAGS  0x08
#define TUN_HDR_LEN      50 /* Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8 */
#define TUN_IP4_LEN_BASE 50 /* IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14 */
#define TUN_UDP_LEN_BASE 30 /* UDP 8 + VXLAN 8 + inner Ethernet 14 */
#define OUT_PKT_LEN      (WL_PKT_LEN + TUN_HDR_LEN)

/*
 * The arguments of the encap action: name in the spec and value for entry
 * data 'e' whose tunnel IPv4 header checksum (with TUN_IP4_LEN_BASE) is
 * 'csum'. The spec may order them as it likes; every one must be there.
 */
#define ENCAP_ARGS(X)                                                                              \
	X(ETH_DST, "eth_dst", mac_to_u64(e->eth_dst))                                              \
	X(ETH_SRC, "eth_src", mac_to_u64(e->eth_src))                                              \
	X(ETH_TYPE, "eth_type", TUN_ETHERTYPE)                                                     \
	X(IP4_VER_IHL, "ip4_ver_ihl", TUN_IP4_VER_IHL)                                             \
	X(IP4_TOS, "ip4_tos", 0)                                                                   \
	X(IP4_LEN, "ip4_len", TUN_IP4_LEN_BASE)                                                    \
	X(IP4_ID, "ip4_id", 0)                                                                     \
	X(IP4_FRAG, "ip4_frag", 0)                                                                 \
	X(IP4_TTL, "ip4_ttl", TUN_IP4_TTL)                                                         \
	X(IP4_PROTO, "ip4_proto", TUN_IP4_PROTO)                                                   \
	X(IP4_CSUM, "ip4_csum", csum)                                                              \
	X(IP4_SRC, "ip4_src", e->ip_src)                                                           \
	X(IP4_DST, "ip4_dst", e->ip_dst)                                                           \
	X(UDP_SPORT, "udp_sport", e->udp_src)                                                      \
	X(UDP_DPORT, "udp_dport", TUN_UDP_DPORT)                                                   \
	X(UDP_LEN, "udp_len", TUN_UDP_LEN_BASE)                                                    \
	X(UDP_CSUM, "udp_csum", 0)                                                                 \
	X(VXLAN_FLAGS, "vxlan_flags", TUN_VXLAN_FLAGS)                                             \
	X(VXLAN_RSVD0, "vxlan_rsvd0", 0)                                                           \
	X(VXLAN_VNI, "vxlan_vni", e->vni)                                                          \
	X(VXLAN_RSVD1, "vxlan_rsvd1", 0)                                                           \
	X(OUT_PORT, "out_port", e->port_out)

#define ENCAP_ARG_ENUM(id, name, value) ARG_##id,
#define ENCAP_ARG_NAME(id, name, value) [ARG_##id] = name,

/* clang-format off */
enum encap_arg {
	ENCAP_ARGS(ENCAP_ARG_ENUM)
	ARG_COUNT
};

static const char *const encap_arg_names[ARG_COUNT] = {
	ENCAP_ARGS(ENCAP_ARG_NAME)
};
/* clang-format on */

enum load_method {
	LOAD_AUTO,
	LOAD_CTL,
	LOAD_DIRECT,
};

struct bench_opts {
	uint32_t n_entries;
	uint32_t n_packets;
	uint64_t seed;
	double seconds;
	const char *spec;
	enum load_method load;
};

/* The workload of ../workload.h, generated once. */
struct workload {
	uint32_t n_entries;
	uint32_t n_packets;
	uint8_t (*keys)[6];
	uint32_t n_dup_keys; /* keys equal to a key of a higher index */
	uint32_t *pkt_entry; /* per packet: the entry whose data it gets (last duplicate wins) */
	uint8_t *pkts;       /* n_packets frames of WL_PKT_LEN bytes */
};

/* Where each encap argument sits in the action data, as the pipeline built it. */
struct encap_layout {
	uint32_t table_id;
	uint32_t key_size;
	uint32_t data_size; /* bytes of the encap action's arguments */
	uint32_t n_actions; /* pipeline-level action count */
	uint64_t encap_id;
	uint64_t drop_id;
	struct {
		enum encap_arg arg;
		uint32_t offset;
		uint32_t n_bytes;
		int nbo;
	} args[ARG_COUNT];
};

struct swx {
	struct rte_swx_pipeline *p;
	struct rte_swx_ctl_pipeline *ctl;
	struct encap_layout lay;
};

/*
 * Counters after a run. Sinks count what they write as "dropped" (they
 * drop, or save to a file, every packet they get), so out[] sums both.
 */
struct run_counts {
	uint64_t rx;
	uint64_t hit;
	uint64_t miss;
	uint64_t out[N_PORTS_OUT + 1]; /* last: the pipeline's drop port */
	uint64_t out_bytes[N_PORTS_OUT + 1];
};

/* Set to make the input port report no packet, so the pipeline drains. */
static int rx_stopped;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t
mac_to_u64(const uint8_t mac[6])
{
	uint64_t v = 0;

	for (int i = 0; i < 6; i++)
		v = v << 8 | mac[i];
	return v;
}

static uint16_t
csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* IPv4 header checksum of the tunnel header of 'e' with total length 'len'. */
static uint16_t
tun_ip4_csum(const struct wl_encap *e, uint16_t len)
{
	uint32_t sum = (TUN_IP4_VER_IHL << 8) + len + (TUN_IP4_TTL << 8 | TUN_IP4_PROTO);

	sum += (e->ip_src >> 16) + (e->ip_src & 0xffff) + (e->ip_dst >> 16) + (e->ip_dst & 0xffff);
	return (uint16_t)~csum_fold(sum);
}

static uint64_t
encap_arg_value(enum encap_arg arg, const struct wl_encap *e, uint16_t csum)
{
#define ENCAP_ARG_CASE(id, name, value)                                                            \
	case ARG_##id:                                                                             \
		return (uint64_t)(value);

	switch (arg) {
		/* clang-format off */
		ENCAP_ARGS(ENCAP_ARG_CASE)
		/* clang-format on */
	case ARG_COUNT:
		break;
	}
	return 0;
}

/*
 * Workload.
 */

struct key_rank {
	uint64_t mac;
	uint32_t idx;
};

static int
key_rank_cmp(const void *a, const void *b)
{
	const struct key_rank *x = a, *y = b;

	if (x->mac != y->mac)
		return x->mac < y->mac ? -1 : 1;
	return x->idx < y->idx ? -1 : (x->idx > y->idx);
}

static void
workload_free(struct workload *w)
{
	free(w->keys);
	free(w->pkt_entry);
	free(w->pkts);
	memset(w, 0, sizeof(*w));
}

/*
 * Keys wl_mac(seed, i), packets wl_packet(key of wl_pick(), j) with the pick
 * state starting at the seed. Two indices can draw the same 48-bit key: the
 * table then holds the data of the higher index (both ways of adding entries
 * replace an existing key's data), and pkt_entry[] says so.
 */
static int
workload_make(struct workload *w, const struct bench_opts *o)
{
	struct key_rank *rank = NULL;
	uint32_t *winner = NULL;
	uint64_t state = o->seed;
	uint32_t i, j;

	memset(w, 0, sizeof(*w));
	w->n_entries = o->n_entries;
	w->n_packets = o->n_packets;
	w->keys = malloc((size_t)o->n_entries * 6);
	w->pkt_entry = malloc((size_t)o->n_packets * sizeof(uint32_t));
	w->pkts = malloc((size_t)o->n_packets * WL_PKT_LEN);
	rank = malloc((size_t)o->n_entries * sizeof(*rank));
	winner = malloc((size_t)o->n_entries * sizeof(uint32_t));
	if (!w->keys || !w->pkt_entry || !w->pkts || !rank || !winner) {
		free(rank);
		free(winner);
		workload_free(w);
		return -ENOMEM;
	}

	for (i = 0; i < o->n_entries; i++) {
		wl_mac(o->seed, i, w->keys[i]);
		rank[i].mac = mac_to_u64(w->keys[i]);
		rank[i].idx = i;
		winner[i] = i;
	}
	qsort(rank, o->n_entries, sizeof(*rank), key_rank_cmp);
	for (i = 0; i < o->n_entries; i = j) {
		for (j = i + 1; j < o->n_entries && rank[j].mac == rank[i].mac; j++)
			;
		for (uint32_t k = i; k + 1 < j; k++) {
			winner[rank[k].idx] = rank[j - 1].idx;
			w->n_dup_keys++;
		}
	}

	for (j = 0; j < o->n_packets; j++) {
		uint32_t pick = wl_pick(&state, o->n_entries);

		w->pkt_entry[j] = winner[pick];
		wl_packet(w->keys[pick], j, &w->pkts[(size_t)j * WL_PKT_LEN]);
	}

	free(rank);
	free(winner);
	return 0;
}

/* The output port of entry 'idx'. */
static uint32_t
entry_port(uint32_t idx)
{
	struct wl_encap e;

	wl_encap(idx, N_PORTS_OUT, &e);
	return e.port_out;
}

/* The packet the pipeline must send for inner frame 'in' hitting entry 'idx'. */
static void
expected_packet(uint32_t idx, const uint8_t *in, uint8_t out[OUT_PKT_LEN])
{
	struct wl_encap e;
	uint16_t ip_len = (uint16_t)(in[16] << 8 | in[17]);
	uint16_t tun_ip_len = TUN_IP4_LEN_BASE + ip_len, udp_len = TUN_UDP_LEN_BASE + ip_len;
	uint8_t *ip = out + 14, *udp = out + 34, *vx = out + 42;
	uint32_t sum = 0;

	wl_encap(idx, N_PORTS_OUT, &e);
	memset(out, 0, TUN_HDR_LEN);
	memcpy(out, e.eth_dst, 6);
	memcpy(out + 6, e.eth_src, 6);
	out[12] = TUN_ETHERTYPE >> 8;
	out[13] = TUN_ETHERTYPE & 0xff;
	ip[0] = TUN_IP4_VER_IHL;
	ip[2] = (uint8_t)(tun_ip_len >> 8);
	ip[3] = (uint8_t)tun_ip_len;
	ip[8] = TUN_IP4_TTL;
	ip[9] = TUN_IP4_PROTO;
	for (int b = 0; b < 4; b++) {
		ip[12 + b] = (uint8_t)(e.ip_src >> (24 - 8 * b));
		ip[16 + b] = (uint8_t)(e.ip_dst >> (24 - 8 * b));
	}
	for (int k = 0; k < 20; k += 2)
		sum += (uint32_t)(ip[k] << 8 | ip[k + 1]);
	sum = (uint16_t)~csum_fold(sum);
	ip[10] = (uint8_t)(sum >> 8);
	ip[11] = (uint8_t)sum;
	udp[0] = (uint8_t)(e.udp_src >> 8);
	udp[1] = (uint8_t)e.udp_src;
	udp[2] = TUN_UDP_DPORT >> 8;
	udp[3] = TUN_UDP_DPORT & 0xff;
	udp[4] = (uint8_t)(udp_len >> 8);
	udp[5] = (uint8_t)udp_len;
	vx[0] = TUN_VXLAN_FLAGS;
	vx[4] = (uint8_t)(e.vni >> 16);
	vx[5] = (uint8_t)(e.vni >> 8);
	vx[6] = (uint8_t)e.vni;
	memcpy(out + TUN_HDR_LEN, in, WL_PKT_LEN);
}

/*
 * pcap files, written and read by hand (classic format, microseconds,
 * Ethernet, host byte order as libpcap writes them).
 */

struct pcap_file_hdr {
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	int32_t thiszone;
	uint32_t sigfigs;
	uint32_t snaplen;
	uint32_t linktype;
};
_Static_assert(sizeof(struct pcap_file_hdr) == 24, "pcap file header");

struct pcap_rec_hdr {
	uint32_t ts_sec;
	uint32_t ts_usec;
	uint32_t incl_len;
	uint32_t orig_len;
};
_Static_assert(sizeof(struct pcap_rec_hdr) == 16, "pcap record header");

#define PCAP_MAGIC             0xa1b2c3d4
#define PCAP_LINKTYPE_ETHERNET 1

static int
pcap_write(const char *path, const uint8_t *pkts, uint32_t n, uint32_t len)
{
	struct pcap_file_hdr fh = {
	        .magic = PCAP_MAGIC,
	        .major = 2,
	        .minor = 4,
	        .snaplen = 65535,
	        .linktype = PCAP_LINKTYPE_ETHERNET,
	};
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -errno;
	ok = fwrite(&fh, sizeof(fh), 1, f) == 1;
	for (uint32_t i = 0; ok && i < n; i++) {
		struct pcap_rec_hdr rh = {
		        .ts_sec = i / 1000000,
		        .ts_usec = i % 1000000,
		        .incl_len = len,
		        .orig_len = len,
		};

		ok = fwrite(&rh, sizeof(rh), 1, f) == 1 &&
		     fwrite(&pkts[(size_t)i * len], len, 1, f) == 1;
	}
	if (fclose(f) != 0)
		ok = 0;
	return ok ? 0 : -EIO;
}

/*
 * Reads the packets of 'path' into 'buf' (max_pkts slots of 'slot' bytes);
 * their lengths go to 'lens'. Returns the packet count or a negative errno.
 */
static int
pcap_read(const char *path, uint8_t *buf, uint32_t *lens, uint32_t max_pkts, uint32_t slot)
{
	struct pcap_file_hdr fh;
	struct pcap_rec_hdr rh;
	FILE *f = fopen(path, "rb");
	uint32_t n = 0;
	int ret = 0;

	if (!f)
		return -errno;
	if (fread(&fh, sizeof(fh), 1, f) != 1 || fh.magic != PCAP_MAGIC) {
		ret = -EPROTO;
		goto out;
	}
	while (fread(&rh, sizeof(rh), 1, f) == 1) {
		if (n == max_pkts || rh.incl_len > slot) {
			ret = -E2BIG;
			goto out;
		}
		if (fread(&buf[(size_t)n * slot], rh.incl_len, 1, f) != 1) {
			ret = -EPROTO;
			goto out;
		}
		lens[n++] = rh.incl_len;
	}
	ret = (int)n;
out:
	fclose(f);
	return ret;
}

/*
 * Spec reader: the subset of DPDK's SWX spec language this benchmark uses,
 * turned into rte_swx_pipeline_*() calls as each statement or block ends.
 * Comments start with "//", ";" or "#" and run to the end of the line.
 */

#define SPEC_LINE_MAX   1024
#define SPEC_TOKENS_MAX 64

enum spec_block {
	BLK_NONE,
	BLK_STRUCT,
	BLK_ACTION,
	BLK_TABLE,
	BLK_TABLE_KEY,
	BLK_TABLE_ACTIONS,
	BLK_APPLY,
};

struct strvec {
	char **v;
	uint32_t n;
};

struct spec_reader {
	struct rte_swx_pipeline *p;
	uint32_t table_size; /* overrides the tables' "size" when non-zero */
	uint32_t line;
	const char *err;
	char errbuf[256];

	enum spec_block blk;
	uint32_t blk_line;
	char *name;
	char *type;          /* struct of an action's arguments */
	struct strvec items; /* struct fields, instructions or table actions */
	uint32_t *bits;      /* struct: field sizes */
	int varbit;
	struct strvec key_names;
	struct strvec key_types;
	int *for_entries;
	int *for_default;
	char *default_action;
	char *default_args;
	int default_const;
	char *hash;
	uint32_t size;
};

static int
strvec_push(struct strvec *sv, const char *s)
{
	char **v = realloc(sv->v, (sv->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	sv->v = v;
	sv->v[sv->n] = strdup(s);
	if (!sv->v[sv->n])
		return -ENOMEM;
	sv->n++;
	return 0;
}

static void
strvec_clear(struct strvec *sv)
{
	for (uint32_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static void
spec_block_clear(struct spec_reader *r)
{
	free(r->name);
	free(r->type);
	free(r->bits);
	free(r->for_entries);
	free(r->for_default);
	free(r->default_action);
	free(r->default_args);
	free(r->hash);
	strvec_clear(&r->items);
	strvec_clear(&r->key_names);
	strvec_clear(&r->key_types);
	r->name = r->type = r->default_action = r->default_args = r->hash = NULL;
	r->bits = NULL;
	r->for_entries = r->for_default = NULL;
	r->varbit = r->default_const = 0;
	r->size = 0;
	r->blk = BLK_NONE;
}

static int spec_fail(struct spec_reader *r, int status, const char *fmt, ...)
        __rte_format_printf(3, 4);

static int
spec_fail(struct spec_reader *r, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errbuf, sizeof(r->errbuf), fmt, ap);
	va_end(ap);
	r->err = r->errbuf;
	return status;
}

/* Reports a failed rte_swx_pipeline_*() call made for the block that ends here. */
static int
spec_api_fail(struct spec_reader *r, int status, const char *call, const char *what)
{
	r->line = r->blk_line ? r->blk_line : r->line;
	return spec_fail(r, status ? status : -EINVAL, "%s(%s) failed: %s", call, what,
	                 strerror(status < 0 ? -status : EINVAL));
}

static int
spec_join(struct spec_reader *r, char **tok, uint32_t n)
{
	char buf[SPEC_LINE_MAX];
	size_t len = 0;

	buf[0] = 0;
	for (uint32_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? " " : "", tok[i]);

		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			return spec_fail(r, -EINVAL, "instruction too long");
		len += (size_t)w;
	}
	return strvec_push(&r->items, buf);
}

static int
spec_struct_end(struct spec_reader *r)
{
	struct rte_swx_field_params *f = calloc(r->items.n ? r->items.n : 1, sizeof(*f));
	int status;

	if (!f)
		return -ENOMEM;
	for (uint32_t i = 0; i < r->items.n; i++) {
		f[i].name = r->items.v[i];
		f[i].n_bits = r->bits[i];
	}
	status = rte_swx_pipeline_struct_type_register(r->p, r->name, f, r->items.n, r->varbit);
	free(f);
	if (status)
		return spec_api_fail(r, status, "rte_swx_pipeline_struct_type_register", r->name);
	return 0;
}

static int
spec_struct_field(struct spec_reader *r, char **tok, uint32_t n)
{
	uint32_t *bits;
	char *p = tok[0], *end;
	unsigned long v;
	int varbit = 0;

	if (n != 2)
		return spec_fail(r, -EINVAL, "expected \"bit<N> NAME\" or \"}\"");
	if (r->varbit)
		return spec_fail(r, -EINVAL, "only the last field can be varbit");
	if (!strncmp(p, "bit<", 4)) {
		p += 4;
	} else if (!strncmp(p, "varbit<", 7)) {
		p += 7;
		varbit = 1;
	} else {
		return spec_fail(r, -EINVAL, "field type \"%s\" is not bit<N> or varbit<N>",
		                 tok[0]);
	}
	errno = 0;
	v = strtoul(p, &end, 0);
	if (errno || end == p || strcmp(end, ">") || !v || v > UINT32_MAX || v % 8 ||
	    (!varbit && v > 64))
		return spec_fail(r, -EINVAL,
		                 "bad field size in \"%s\" (a multiple of 8, at "
		                 "most 64 for bit<N>)",
		                 tok[0]);
	bits = realloc(r->bits, (r->items.n + 1) * sizeof(*bits));
	if (!bits)
		return -ENOMEM;
	r->bits = bits;
	r->bits[r->items.n] = (uint32_t)v;
	r->varbit = varbit;
	return strvec_push(&r->items, tok[1]);
}

static int
spec_table_end(struct spec_reader *r)
{
	struct rte_swx_match_field_params *mf = calloc(r->key_names.n + 1, sizeof(*mf));
	struct rte_swx_pipeline_table_params tp = {0};
	uint32_t size = r->table_size ? r->table_size : r->size;
	int status;

	if (!mf)
		return -ENOMEM;
	for (uint32_t i = 0; i < r->key_names.n; i++) {
		const char *t = r->key_types.v[i];

		mf[i].name = r->key_names.v[i];
		mf[i].match_type = !strcmp(t, "exact") ? RTE_SWX_TABLE_MATCH_EXACT
		                   : !strcmp(t, "lpm") ? RTE_SWX_TABLE_MATCH_LPM
		                                       : RTE_SWX_TABLE_MATCH_WILDCARD;
	}
	tp.fields = mf;
	tp.n_fields = r->key_names.n;
	tp.action_names = (const char **)r->items.v;
	tp.action_is_for_table_entries = r->for_entries;
	tp.action_is_for_default_entry = r->for_default;
	tp.n_actions = r->items.n;
	tp.default_action_name = r->default_action;
	tp.default_action_args = r->default_args;
	tp.default_action_is_const = r->default_const;
	tp.hash_func_name = r->hash;
	if (!r->default_action) {
		free(mf);
		r->line = r->blk_line;
		return spec_fail(r, -EINVAL, "table %s has no default_action", r->name);
	}
	if (!size) {
		free(mf);
		r->line = r->blk_line;
		return spec_fail(r, -EINVAL, "table %s has no size", r->name);
	}
	status = rte_swx_pipeline_table_config(r->p, r->name, &tp, NULL, NULL, size);
	free(mf);
	if (status)
		return spec_api_fail(r, status, "rte_swx_pipeline_table_config", r->name);
	return 0;
}

static int
spec_table_line(struct spec_reader *r, char **tok, uint32_t n)
{
	char *end;

	if (r->blk == BLK_TABLE_KEY) {
		if (n == 1 && !strcmp(tok[0], "}")) {
			r->blk = BLK_TABLE;
			return 0;
		}
		if (n != 2 || (strcmp(tok[1], "exact") && strcmp(tok[1], "wildcard") &&
		               strcmp(tok[1], "lpm")))
			return spec_fail(r, -EINVAL, "expected \"FIELD exact|wildcard|lpm\"");
		if (strvec_push(&r->key_names, tok[0]) || strvec_push(&r->key_types, tok[1]))
			return -ENOMEM;
		return 0;
	}
	if (r->blk == BLK_TABLE_ACTIONS) {
		int *fe, *fd;
		uint32_t i = r->items.n;

		if (n == 1 && !strcmp(tok[0], "}")) {
			r->blk = BLK_TABLE;
			return 0;
		}
		if (n > 2 ||
		    (n == 2 && strcmp(tok[1], "@tableonly") && strcmp(tok[1], "@defaultonly")))
			return spec_fail(r, -EINVAL,
			                 "expected \"ACTION [@tableonly|@defaultonly]\"");
		fe = realloc(r->for_entries, (i + 1) * sizeof(int));
		if (fe)
			r->for_entries = fe;
		fd = realloc(r->for_default, (i + 1) * sizeof(int));
		if (fd)
			r->for_default = fd;
		if (!fe || !fd)
			return -ENOMEM;
		fe[i] = n == 1 || !strcmp(tok[1], "@tableonly");
		fd[i] = n == 1 || !strcmp(tok[1], "@defaultonly");
		return strvec_push(&r->items, tok[0]);
	}

	/* BLK_TABLE */
	if (n == 1 && !strcmp(tok[0], "}"))
		return 1; /* caller ends the table */
	if (n == 2 && !strcmp(tok[0], "key") && !strcmp(tok[1], "{")) {
		r->blk = BLK_TABLE_KEY;
		return 0;
	}
	if (n == 2 && !strcmp(tok[0], "actions") && !strcmp(tok[1], "{")) {
		r->blk = BLK_TABLE_ACTIONS;
		return 0;
	}
	if (!strcmp(tok[0], "default_action")) {
		uint32_t n_args;
		char buf[SPEC_LINE_MAX];

		if (n < 4 || strcmp(tok[2], "args"))
			return spec_fail(r, -EINVAL,
			                 "expected \"default_action NAME args none|"
			                 "ARG VALUE ... [const]\"");
		r->default_const = !strcmp(tok[n - 1], "const");
		n_args = n - 3 - (uint32_t)r->default_const;
		free(r->default_action);
		free(r->default_args);
		r->default_args = NULL;
		r->default_action = strdup(tok[1]);
		if (!r->default_action)
			return -ENOMEM;
		if (n_args == 1 && !strcmp(tok[3], "none"))
			return 0;
		if (!n_args || n_args % 2)
			return spec_fail(r, -EINVAL, "default_action arguments come in pairs");
		end = buf;
		buf[0] = 0;
		for (uint32_t i = 0; i < n_args; i++) {
			size_t left = sizeof(buf) - (size_t)(end - buf);
			int w = snprintf(end, left, "%s%s", i ? " " : "", tok[3 + i]);

			if (w < 0 || (size_t)w >= left)
				return spec_fail(r, -EINVAL, "default_action line too long");
			end += w;
		}
		r->default_args = strdup(buf);
		return r->default_args ? 0 : -ENOMEM;
	}
	if (n == 2 && !strcmp(tok[0], "size")) {
		unsigned long v;

		errno = 0;
		v = strtoul(tok[1], &end, 0);
		if (errno || *end || !v || v > UINT32_MAX)
			return spec_fail(r, -EINVAL, "bad table size \"%s\"", tok[1]);
		r->size = (uint32_t)v;
		return 0;
	}
	if (n == 2 && !strcmp(tok[0], "hash")) {
		free(r->hash);
		r->hash = strdup(tok[1]);
		return r->hash ? 0 : -ENOMEM;
	}
	return spec_fail(r, -EINVAL, "unknown table statement \"%s\"", tok[0]);
}

static int
spec_top_line(struct spec_reader *r, char **tok, uint32_t n)
{
	int status;

	r->blk_line = r->line;
	if (n == 3 && !strcmp(tok[0], "struct") && !strcmp(tok[2], "{")) {
		r->blk = BLK_STRUCT;
	} else if (n == 4 && !strcmp(tok[0], "header") && !strcmp(tok[2], "instanceof")) {
		status = rte_swx_pipeline_packet_header_register(r->p, tok[1], tok[3]);
		if (status)
			return spec_api_fail(r, status, "rte_swx_pipeline_packet_header_register",
			                     tok[1]);
		return 0;
	} else if (n == 3 && !strcmp(tok[0], "metadata") && !strcmp(tok[1], "instanceof")) {
		status = rte_swx_pipeline_packet_metadata_register(r->p, tok[2]);
		if (status)
			return spec_api_fail(r, status, "rte_swx_pipeline_packet_metadata_register",
			                     tok[2]);
		return 0;
	} else if (n == 5 && !strcmp(tok[0], "action") && !strcmp(tok[2], "args") &&
	           !strcmp(tok[3], "none") && !strcmp(tok[4], "{")) {
		r->blk = BLK_ACTION;
	} else if (n == 6 && !strcmp(tok[0], "action") && !strcmp(tok[2], "args") &&
	           !strcmp(tok[3], "instanceof") && !strcmp(tok[5], "{")) {
		r->blk = BLK_ACTION;
		r->type = strdup(tok[4]);
		if (!r->type)
			return -ENOMEM;
	} else if (n == 3 && !strcmp(tok[0], "table") && !strcmp(tok[2], "{")) {
		r->blk = BLK_TABLE;
	} else if (n == 2 && !strcmp(tok[0], "apply") && !strcmp(tok[1], "{")) {
		r->blk = BLK_APPLY;
		return 0;
	} else {
		return spec_fail(r, -EINVAL, "unknown statement \"%s\"", tok[0]);
	}
	r->name = strdup(tok[1]);
	return r->name ? 0 : -ENOMEM;
}

static int
spec_line(struct spec_reader *r, char **tok, uint32_t n)
{
	int end = n == 1 && !strcmp(tok[0], "}");
	int status;

	switch (r->blk) {
	case BLK_NONE:
		return spec_top_line(r, tok, n);
	case BLK_STRUCT:
		if (!end)
			return spec_struct_field(r, tok, n);
		status = spec_struct_end(r);
		break;
	case BLK_ACTION:
		if (!end)
			return spec_join(r, tok, n);
		status = rte_swx_pipeline_action_config(r->p, r->name, r->type,
		                                        (const char **)r->items.v, r->items.n);
		if (status)
			status =
			        spec_api_fail(r, status, "rte_swx_pipeline_action_config", r->name);
		break;
	case BLK_TABLE:
	case BLK_TABLE_KEY:
	case BLK_TABLE_ACTIONS:
		status = spec_table_line(r, tok, n);
		if (status <= 0)
			return status;
		status = spec_table_end(r);
		break;
	case BLK_APPLY:
		if (!end)
			return spec_join(r, tok, n);
		status = rte_swx_pipeline_instructions_config(r->p, (const char **)r->items.v,
		                                              r->items.n);
		if (status)
			status = spec_api_fail(r, status, "rte_swx_pipeline_instructions_config",
			                       "apply");
		break;
	default:
		return -EINVAL;
	}
	if (!status)
		spec_block_clear(r);
	return status;
}

/*
 * Configures pipeline 'p' from the spec file at 'path'; a non-zero
 * 'table_size' replaces the size of every table. On error, prints
 * "path:line: message" and returns a negative errno.
 */
static int
spec_load(struct rte_swx_pipeline *p, const char *path, uint32_t table_size)
{
	struct spec_reader r = {.p = p, .table_size = table_size};
	char line[SPEC_LINE_MAX];
	FILE *f = fopen(path, "r");
	int status = 0;

	if (!f) {
		status = -errno;
		fprintf(stderr, "error: cannot open spec %s: %s\n", path, strerror(-status));
		return status;
	}
	while (fgets(line, sizeof(line), f)) {
		char *tok[SPEC_TOKENS_MAX], *save = NULL, *t, *s = line;
		uint32_t n = 0;

		r.line++;
		if (!strchr(line, '\n') && !feof(f)) {
			status = spec_fail(&r, -EINVAL, "line longer than %d characters",
			                   SPEC_LINE_MAX - 2);
			break;
		}
		while ((t = strtok_r(s, " \t\r\n\f\v", &save))) {
			s = NULL;
			if (t[0] == '#' || t[0] == ';' || (t[0] == '/' && t[1] == '/'))
				break;
			if (n == SPEC_TOKENS_MAX) {
				status = spec_fail(&r, -EINVAL, "too many tokens");
				break;
			}
			if (strlen(t) >= RTE_SWX_NAME_SIZE) {
				status = spec_fail(&r, -EINVAL, "token \"%.20s...\" too long", t);
				break;
			}
			tok[n++] = t;
		}
		if (status)
			break;
		if (!n)
			continue;
		status = spec_line(&r, tok, n);
		if (status)
			break;
	}
	if (!status && ferror(f))
		status = spec_fail(&r, -EIO, "read error");
	if (!status && r.blk != BLK_NONE) {
		r.line = r.blk_line;
		status = spec_fail(&r, -EINVAL, "block \"%s\" is not closed",
		                   r.name ? r.name : "apply");
	}
	if (status)
		fprintf(stderr, "%s:%u: error: %s\n", path, r.line,
		        r.err ? r.err : strerror(-status));
	spec_block_clear(&r);
	fclose(f);
	return status;
}

/*
 * Pipeline.
 */

/* The source port, stoppable: once rx_stopped is set it reports no packet. */
static int
source_rx_stoppable(void *port, struct rte_swx_pkt *pkt)
{
	if (unlikely(rx_stopped))
		return 0;
	return rte_swx_port_source_ops.pkt_rx(port, pkt);
}

static const char *
swx_strerror(int status)
{
	return strerror(status < 0 ? -status : status);
}

/* Reads which table, actions and argument layout the built pipeline has. */
static int
layout_get(struct rte_swx_pipeline *p, struct encap_layout *lay)
{
	struct rte_swx_ctl_pipeline_info pi;
	struct rte_swx_ctl_table_info ti;
	struct rte_swx_ctl_table_match_field_info mf;
	struct rte_swx_ctl_action_info ai;
	uint32_t i, offset = 0, seen = 0;
	int status, found = 0;

	memset(lay, 0, sizeof(*lay));
	status = rte_swx_ctl_pipeline_info_get(p, &pi);
	if (status)
		return status;
	lay->n_actions = pi.n_actions;
	for (i = 0; i < pi.n_tables; i++) {
		status = rte_swx_ctl_table_info_get(p, i, &ti);
		if (status)
			return status;
		if (!strcmp(ti.name, TABLE_NAME))
			break;
	}
	if (i == pi.n_tables) {
		fprintf(stderr, "error: the spec has no table \"%s\"\n", TABLE_NAME);
		return -ENOENT;
	}
	lay->table_id = i;
	status = rte_swx_ctl_table_match_field_info_get(p, i, 0, &mf);
	if (status)
		return status;
	if (ti.n_match_fields != 1 || mf.match_type != RTE_SWX_TABLE_MATCH_EXACT || !mf.is_header ||
	    mf.n_bits != 48) {
		fprintf(stderr, "error: table %s must have one exact key: a 48-bit header field\n",
		        TABLE_NAME);
		return -EINVAL;
	}
	lay->key_size = 6;

	for (i = 0; i < pi.n_actions; i++) {
		status = rte_swx_ctl_action_info_get(p, i, &ai);
		if (status)
			return status;
		if (!strcmp(ai.name, DROP_ACTION)) {
			lay->drop_id = i;
			found |= 2;
		}
		if (strcmp(ai.name, ENCAP_ACTION))
			continue;
		lay->encap_id = i;
		found |= 1;
		if (ai.n_args != ARG_COUNT) {
			fprintf(stderr, "error: action %s has %u arguments, expected %u\n",
			        ENCAP_ACTION, ai.n_args, ARG_COUNT);
			return -EINVAL;
		}
		for (uint32_t a = 0; a < ai.n_args; a++) {
			struct rte_swx_ctl_action_arg_info arg;
			uint32_t k;

			status = rte_swx_ctl_action_arg_info_get(p, i, a, &arg);
			if (status)
				return status;
			for (k = 0; k < ARG_COUNT; k++)
				if (!strcmp(arg.name, encap_arg_names[k]))
					break;
			if (k == ARG_COUNT || (seen & (1u << k)) || arg.n_bits > 64 ||
			    arg.n_bits % 8) {
				fprintf(stderr, "error: action %s: unexpected argument %s\n",
				        ENCAP_ACTION, arg.name);
				return -EINVAL;
			}
			seen |= 1u << k;
			lay->args[a].arg = (enum encap_arg)k;
			lay->args[a].offset = offset;
			lay->args[a].n_bytes = arg.n_bits / 8;
			lay->args[a].nbo = arg.is_network_byte_order;
			offset += arg.n_bits / 8;
		}
	}
	if (found != 3) {
		fprintf(stderr, "error: the spec lacks action %s\n",
		        found & 1 ? DROP_ACTION : ENCAP_ACTION);
		return -ENOENT;
	}
	lay->data_size = offset;
	return 0;
}

/* Writes the key and action data of entry 'idx' the way rte_swx_ctl would parse them. */
static void
entry_fill(const struct encap_layout *lay, const struct workload *w, uint32_t idx, uint8_t *key,
           uint8_t *data)
{
	struct wl_encap e;
	uint16_t csum;

	wl_encap(idx, N_PORTS_OUT, &e);
	csum = tun_ip4_csum(&e, TUN_IP4_LEN_BASE);
	memcpy(key, w->keys[idx], 6); /* header field: network order */
	for (uint32_t a = 0; a < ARG_COUNT; a++) {
		uint32_t nb = lay->args[a].n_bytes;
		uint64_t v = encap_arg_value(lay->args[a].arg, &e, csum);

		if (lay->args[a].nbo)
			v = rte_cpu_to_be_64(v << (64 - 8 * nb));
		memcpy(&data[lay->args[a].offset], &v, nb);
	}
}

/*
 * Creates and configures a pipeline with its ports and the spec; does not
 * build it. Sinks write to 'sink_files' when given.
 */
static int
swx_configure(struct swx *s, const char *name, const char *spec, struct rte_mempool *pool,
              const char *pcap_in, uint32_t n_pkts, uint64_t n_loops, char sink_files[][128],
              uint32_t table_size, int numa)
{
	static struct rte_swx_port_in_ops source_ops;
	struct rte_swx_port_source_params sp = {
	        .pool = pool,
	        .file_name = pcap_in,
	        .n_loops = n_loops,
	        .n_pkts_max = n_pkts,
	};
	int status;

	memset(s, 0, sizeof(*s));
	if (!rte_swx_port_source_ops.create) {
		fprintf(stderr, "error: this DPDK's port library has no source port (built "
		                "without libpcap)\n");
		return -ENOTSUP;
	}
	source_ops = rte_swx_port_source_ops;
	source_ops.pkt_rx = source_rx_stoppable;

	status = rte_swx_pipeline_config(&s->p, name, numa);
	if (status) {
		fprintf(stderr, "error: rte_swx_pipeline_config: %s\n", swx_strerror(status));
		return status;
	}
	status = rte_swx_pipeline_port_in_type_register(s->p, "ft_source", &source_ops);
	if (!status)
		status = rte_swx_pipeline_port_out_type_register(s->p, "ft_sink",
		                                                 &rte_swx_port_sink_ops);
	if (status) {
		fprintf(stderr, "error: port type register: %s\n", swx_strerror(status));
		return status;
	}
	status = rte_swx_pipeline_port_in_config(s->p, 0, "ft_source", &sp);
	if (status) {
		fprintf(stderr, "error: source port on %s: %s\n", pcap_in, swx_strerror(status));
		return status;
	}
	for (uint32_t i = 0; i < N_PORTS_OUT; i++) {
		struct rte_swx_port_sink_params kp = {
		        .file_name = sink_files ? sink_files[i] : NULL,
		};

		status = rte_swx_pipeline_port_out_config(s->p, i, "ft_sink", &kp);
		if (status) {
			fprintf(stderr, "error: sink port %u: %s\n", i, swx_strerror(status));
			return status;
		}
	}
	return spec_load(s->p, spec, table_size);
}

static int
swx_build(struct swx *s)
{
	int status = rte_swx_pipeline_build(s->p);

	if (status) {
		fprintf(stderr, "error: rte_swx_pipeline_build: %s%s\n", swx_strerror(status),
		        status == -ENODEV || status == -ENOMEM
		                ? " (a table could not be created: too little EAL memory? "
		                  "Give more with -m before --)"
		                : "");
		return status;
	}
	return layout_get(s->p, &s->lay);
}

static void
swx_free(struct swx *s)
{
	if (s->ctl)
		rte_swx_ctl_pipeline_free(s->ctl);
	if (s->p)
		rte_swx_pipeline_free(s->p);
	s->ctl = NULL;
	s->p = NULL;
}

/*
 * Adds entries 'list[0..n)' (or 0..n when 'list' is NULL) through rte_swx_ctl
 * and commits once.
 */
static int
fill_ctl(struct swx *s, const struct workload *w, const uint32_t *list, uint32_t n, double *t_add,
         double *t_commit)
{
	uint8_t key[8], *data = calloc(1, s->lay.data_size);
	struct rte_swx_table_entry e = {.key = key, .action_id = s->lay.encap_id};
	struct rte_swx_ctl_table_info ti;
	double t0 = now();
	int status;

	if (!data)
		return -ENOMEM;
	e.action_data = data;
	status = rte_swx_ctl_table_info_get(s->p, s->lay.table_id, &ti);
	if (status)
		goto out;
	if (!s->ctl)
		s->ctl = rte_swx_ctl_pipeline_create(s->p);
	if (!s->ctl) {
		fprintf(stderr, "error: rte_swx_ctl_pipeline_create failed\n");
		status = -ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t idx = list ? list[i] : i;

		entry_fill(&s->lay, w, idx, key, data);
		status = rte_swx_ctl_pipeline_table_entry_add(s->ctl, ti.name, &e);
		if (status) {
			fprintf(stderr,
			        "error: rte_swx_ctl_pipeline_table_entry_add "
			        "(entry %u): %s\n",
			        idx, swx_strerror(status));
			goto out;
		}
	}
	*t_add = now() - t0;
	t0 = now();
	status = rte_swx_ctl_pipeline_commit(s->ctl, 1);
	*t_commit = now() - t0;
	if (status)
		fprintf(stderr, "error: rte_swx_ctl_pipeline_commit: %s\n", swx_strerror(status));
out:
	free(data);
	return status;
}

/*
 * Adds entries 0..n straight into the table object the pipeline looks up,
 * with the table type's add operation. No rte_swx_ctl may exist for this
 * pipeline: its first commit would replace the table with its own copy.
 */
static int
fill_direct(struct swx *s, const struct workload *w, uint32_t n, double *t_add)
{
	uint8_t key[8], *data = calloc(1, s->lay.data_size);
	struct rte_swx_table_entry e = {.key = key, .action_id = s->lay.encap_id};
	struct rte_swx_table_state *ts;
	struct rte_swx_table_ops ops;
	double t0 = now();
	int status, is_stub;

	if (!data)
		return -ENOMEM;
	e.action_data = data;
	status = rte_swx_ctl_table_ops_get(s->p, s->lay.table_id, &ops, &is_stub);
	if (!status && (is_stub || !ops.add))
		status = -ENOTSUP;
	if (!status)
		status = rte_swx_pipeline_table_state_get(s->p, &ts);
	if (status) {
		fprintf(stderr, "error: table ops/state: %s\n", swx_strerror(status));
		goto out;
	}
	for (uint32_t i = 0; i < n; i++) {
		entry_fill(&s->lay, w, i, key, data);
		status = ops.add(ts[s->lay.table_id].obj, &e);
		if (status) {
			fprintf(stderr, "error: table add (entry %u): %s\n", i,
			        swx_strerror(status));
			goto out;
		}
	}
	*t_add = now() - t0;
out:
	free(data);
	return status;
}

static int
counts_read(struct swx *s, struct run_counts *c)
{
	struct rte_swx_ctl_pipeline_info pi;
	struct rte_swx_port_in_stats in;
	struct rte_swx_table_stats ts = {0};
	int status;

	memset(c, 0, sizeof(*c));
	status = rte_swx_ctl_pipeline_info_get(s->p, &pi);
	if (status)
		return status;
	if (pi.n_ports_out != N_PORTS_OUT + 1) {
		fprintf(stderr, "error: pipeline has %u output ports, expected %u\n",
		        pi.n_ports_out, N_PORTS_OUT + 1);
		return -EINVAL;
	}
	ts.n_pkts_action = calloc(s->lay.n_actions, sizeof(uint64_t));
	if (!ts.n_pkts_action)
		return -ENOMEM;
	status = rte_swx_ctl_pipeline_port_in_stats_read(s->p, 0, &in);
	if (!status)
		status = rte_swx_ctl_pipeline_table_stats_read(s->p, TABLE_NAME, &ts);
	for (uint32_t i = 0; !status && i < pi.n_ports_out; i++) {
		struct rte_swx_port_out_stats out;

		status = rte_swx_ctl_pipeline_port_out_stats_read(s->p, i, &out);
		c->out[i] = out.n_pkts + out.n_pkts_drop;
		c->out_bytes[i] = out.n_bytes + out.n_bytes_drop;
	}
	free(ts.n_pkts_action);
	if (status) {
		fprintf(stderr, "error: reading pipeline counters: %s\n", swx_strerror(status));
		return status;
	}
	c->rx = in.n_pkts;
	c->hit = ts.n_pkts_hit;
	c->miss = ts.n_pkts_miss;
	return 0;
}

/* Runs the pipeline until every received packet has left it, or fails. */
static int
swx_drain(struct swx *s, struct run_counts *c)
{
	uint64_t prev = UINT64_MAX;
	int status;

	for (uint32_t spins = 0; spins < 1000000; spins++) {
		uint64_t done = 0;

		for (int k = 0; k < 16; k++)
			rte_swx_pipeline_run(s->p, RUN_QUANTUM);
		status = counts_read(s, c);
		if (status)
			return status;
		for (int i = 0; i <= N_PORTS_OUT; i++)
			done += c->out[i];
		if (done == c->rx && c->rx == prev)
			return 0;
		prev = c->rx;
	}
	fprintf(stderr, "error: the pipeline does not drain: rx %" PRIu64 "\n", c->rx);
	return -ETIMEDOUT;
}

static int
u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Entries of the check run left out of its table: their packets must be dropped. */
static int
verify_withheld(uint32_t idx)
{
	return idx % 5 == 0;
}

/*
 * The byte-for-byte check: the first 'k' packets through a pipeline with
 * entries for most of them (added through rte_swx_ctl), sinks writing pcap
 * files; every output packet must equal expected_packet() and every packet
 * without an entry must be dropped.
 */
static int
verify_run(const struct bench_opts *o, const struct workload *w, struct rte_mempool *pool,
           const char *dir, const char *pcap_in, int numa)
{
	uint32_t k = RTE_MIN(w->n_packets, VERIFY_PKTS_MAX), n_list = 0, n_unique = 0, n_miss = 0;
	uint32_t *list = malloc(k * sizeof(uint32_t));
	uint32_t *lens = malloc(k * sizeof(uint32_t));
	uint8_t *got = malloc((size_t)k * OUT_PKT_LEN), want[OUT_PKT_LEN];
	char sink_files[N_PORTS_OUT][128];
	uint32_t n_got[N_PORTS_OUT] = {0}, n_cmp = 0;
	struct run_counts c;
	struct swx s = {0};
	double t_add = 0, t_commit = 0;
	int status = -ENOMEM;

	for (int i = 0; i < N_PORTS_OUT; i++)
		snprintf(sink_files[i], sizeof(sink_files[i]), "%s/check_out%d.pcap", dir, i);
	if (!list || !lens || !got)
		goto out;

	for (uint32_t j = 0; j < k; j++) {
		if (verify_withheld(w->pkt_entry[j]))
			n_miss++;
		else
			list[n_list++] = w->pkt_entry[j];
	}
	qsort(list, n_list, sizeof(uint32_t), u32_cmp);
	for (uint32_t i = 0; i < n_list; i++)
		if (!n_unique || list[i] != list[n_unique - 1])
			list[n_unique++] = list[i];

	rx_stopped = 0;
	status = swx_configure(&s, "ftbench_check", o->spec, pool, pcap_in, k, 1, sink_files, k,
	                       numa);
	if (!status)
		status = swx_build(&s);
	if (!status)
		status = fill_ctl(&s, w, list, n_unique, &t_add, &t_commit);
	if (!status)
		status = swx_drain(&s, &c);
	if (status)
		goto out;
	swx_free(&s); /* closes the sink files */

	printf("check: %u packets, %u entries added through rte_swx_ctl + 1 commit: "
	       "rx %" PRIu64 ", hit %" PRIu64 ", miss %" PRIu64 ", out %" PRIu64 "/%" PRIu64
	       "/%" PRIu64 "/%" PRIu64 ", dropped %" PRIu64 "\n",
	       k, n_unique, c.rx, c.hit, c.miss, c.out[0], c.out[1], c.out[2], c.out[3],
	       c.out[N_PORTS_OUT]);
	status = -EPROTO;
	if (c.rx != k || c.hit != k - n_miss || c.miss != n_miss || c.out[N_PORTS_OUT] != n_miss) {
		fprintf(stderr, "error: check run: expected %u hits and %u misses (dropped)\n",
		        k - n_miss, n_miss);
		goto out;
	}
	for (int port = 0; port < N_PORTS_OUT; port++) {
		int n = pcap_read(sink_files[port], got, lens, k, OUT_PKT_LEN);

		if (n < 0) {
			fprintf(stderr, "error: reading %s: %s\n", sink_files[port], strerror(-n));
			goto out;
		}
		n_got[port] = (uint32_t)n;
		for (uint32_t j = 0, seen = 0; j < k; j++) {
			uint32_t idx = w->pkt_entry[j];

			if (verify_withheld(idx) || entry_port(idx) != (uint32_t)port)
				continue;
			expected_packet(idx, &w->pkts[(size_t)j * WL_PKT_LEN], want);
			if (seen >= n_got[port] || lens[seen] != OUT_PKT_LEN ||
			    memcmp(&got[(size_t)seen * OUT_PKT_LEN], want, OUT_PKT_LEN)) {
				fprintf(stderr,
				        "error: check run: packet %u (entry %u) differs "
				        "on port %d\n",
				        j, idx, port);
				goto out;
			}
			seen++;
			n_cmp++;
		}
	}
	if (n_cmp != k - n_miss || n_got[0] + n_got[1] + n_got[2] + n_got[3] != n_cmp) {
		fprintf(stderr, "error: check run: %u packets expected out, files hold %u\n", n_cmp,
		        n_got[0] + n_got[1] + n_got[2] + n_got[3]);
		goto out;
	}
	printf("check: all %u sent packets equal the expected VXLAN packets byte for byte "
	       "(%d bytes; outer IPv4 checksum valid); the %u misses were dropped\n",
	       n_cmp, OUT_PKT_LEN, n_miss);
	status = 0;
out:
	swx_free(&s);
	for (int i = 0; i < N_PORTS_OUT; i++)
		unlink(sink_files[i]);
	free(list);
	free(lens);
	free(got);
	return status;
}

/*
 * Measurement.
 */

static uint64_t
dpdk_heap_used(void)
{
	uint64_t total = 0;

	for (int i = 0; i < RTE_MAX_HEAPS; i++) {
		struct rte_malloc_socket_stats st;

		if (rte_malloc_get_socket_stats(i, &st) == 0)
			total += st.heap_allocsz_bytes;
	}
	return total;
}

static uint64_t
libc_heap_used(void)
{
	struct mallinfo2 mi = mallinfo2();

	return mi.uordblks + mi.hblkhd;
}

/* Runs the pipeline for about 'seconds'; returns the time it ran. */
static double
run_for(struct swx *s, double seconds)
{
	double t0 = now(), t;

	do {
		for (int k = 0; k < 64; k++)
			rte_swx_pipeline_run(s->p, RUN_QUANTUM);
		t = now() - t0;
	} while (t < seconds);
	return t;
}

static uint64_t
rx_count(struct swx *s)
{
	struct rte_swx_port_in_stats in = {0};

	rte_swx_ctl_pipeline_port_in_stats_read(s->p, 0, &in);
	return in.n_pkts;
}

/*
 * Options.
 */

static void
usage(const char *prog)
{
	printf("usage: %s [EAL options --] [options]\n"
	       "  --entries N    table entries (default 1048576)\n"
	       "  --packets M    distinct packets in the input pcap (default 65536)\n"
	       "  --seed S       workload seed (default 1)\n"
	       "  --seconds S    length of the timed run (default 2)\n"
	       "  --load METHOD  ctl: rte_swx_ctl entry adds + one commit; direct: the table\n"
	       "                 type's add op on the pipeline's table; auto (default): ctl up\n"
	       "                 to %u entries, direct above\n"
	       "  --spec FILE    pipeline spec (default %s)\n"
	       "Built-in EAL options: --no-huge -m 2048 --no-pci --no-shconf --no-telemetry\n"
	       "  --file-prefix=ftbench -l 0 --log-level=lib.eal:error (yours come after)\n",
	       prog, LOAD_AUTO_CTL_MAX, SPEC_PATH);
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return (errno || end == s || *end || s[0] == '-' || *v < min || *v > max) ? -EINVAL : 0;
}

static int
parse_opts(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	        {"entries", required_argument, NULL, 'e'},
	        {"packets", required_argument, NULL, 'p'},
	        {"seed", required_argument, NULL, 's'},
	        {"seconds", required_argument, NULL, 't'},
	        {"load", required_argument, NULL, 'l'},
	        {"spec", required_argument, NULL, 'f'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint64_t v;
	char *end;
	int c, li = 0;

	*o = (struct bench_opts){
	        .n_entries = 1048576,
	        .n_packets = 65536,
	        .seed = 1,
	        .seconds = 2.0,
	        .spec = SPEC_PATH,
	        .load = LOAD_AUTO,
	};
	optind = 1;
	while ((c = getopt_long(argc, argv, "", longopts, &li)) != -1) {
		switch (c) {
		case 'e':
			if (parse_u64(optarg, 1, INT32_MAX, &v))
				goto bad;
			o->n_entries = (uint32_t)v;
			break;
		case 'p':
			if (parse_u64(optarg, 1, 1u << 24, &v))
				goto bad;
			o->n_packets = (uint32_t)v;
			break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &v))
				goto bad;
			o->seed = v;
			break;
		case 't':
			errno = 0;
			o->seconds = strtod(optarg, &end);
			if (errno || *end || !(o->seconds > 0 && o->seconds <= 3600))
				goto bad;
			break;
		case 'l':
			if (!strcmp(optarg, "auto"))
				o->load = LOAD_AUTO;
			else if (!strcmp(optarg, "ctl"))
				o->load = LOAD_CTL;
			else if (!strcmp(optarg, "direct"))
				o->load = LOAD_DIRECT;
			else
				goto bad;
			break;
		case 'f':
			o->spec = optarg;
			break;
		case 'h':
			usage(argv[0]);
			exit(0);
		default:
			usage(argv[0]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "error: unexpected argument \"%s\"\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
bad:
	fprintf(stderr, "error: bad value \"%s\" for --%s\n", optarg, longopts[li].name);
	return -EINVAL;
}

int
main(int argc, char **argv)
{
	static const char *const eal_defaults[] = {
	        "--no-huge",
	        "-m",
	        "2048",
	        "--no-pci",
	        "--no-shconf",
	        "--no-telemetry",
	        "--file-prefix=ftbench",
	        "-l",
	        "0",
	        "--log-level=lib.eal:error",
	};
	const int n_def = RTE_DIM(eal_defaults);
	char dir[] = "/tmp/ftbench-swx.XXXXXX", pcap_in[128];
	char **eal_argv = NULL, **opt_argv = NULL;
	int eal_argc = 1, opt_argc = 1, sep = -1, status, numa, ret = 1;
	struct rte_mempool *pool = NULL;
	struct workload w = {0};
	struct run_counts c1;
	struct bench_opts o;
	struct swx s = {0};
	uint64_t heap0, heap1, heap2, libc0, libc1, rx0, rx1;
	double t, t_build, t_add = 0, t_commit = 0, elapsed, mpps, bpe;
	uint64_t table_bytes;
	enum load_method load;
	uint64_t exp_out[N_PORTS_OUT] = {0};

	/* Split "EAL options -- options"; without "--", everything is ours. */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}
	eal_argv = calloc((size_t)argc + n_def + 1, sizeof(char *));
	opt_argv = calloc((size_t)argc + 1, sizeof(char *));
	if (!eal_argv || !opt_argv) {
		fprintf(stderr, "error: out of memory\n");
		return 1;
	}
	eal_argv[0] = argv[0];
	opt_argv[0] = argv[0];
	for (int i = 0; i < n_def; i++)
		eal_argv[eal_argc++] = (char *)(uintptr_t)eal_defaults[i];
	for (int i = 1; i < argc; i++) {
		if (sep > 0 && i < sep)
			eal_argv[eal_argc++] = argv[i];
		else if (i != sep)
			opt_argv[opt_argc++] = argv[i];
	}
	if (parse_opts(opt_argc, opt_argv, &o))
		goto free_args;
	load = o.load;
	if (load == LOAD_AUTO)
		load = o.n_entries <= LOAD_AUTO_CTL_MAX ? LOAD_CTL : LOAD_DIRECT;

	status = rte_eal_init(eal_argc, eal_argv);
	if (status < 0) {
		fprintf(stderr, "error: rte_eal_init: %s\n", rte_strerror(rte_errno));
		goto free_args;
	}
	numa = (int)rte_socket_id();
	if (numa == SOCKET_ID_ANY)
		numa = 0;

	printf("bench_swx: workload dpdk-vxlan, %s SWX pipeline, interpreter "
	       "(rte_swx_pipeline_build, no codegen)\n",
	       rte_version());
	printf("spec: %s\n", o.spec);

	t = now();
	status = workload_make(&w, &o);
	if (status) {
		fprintf(stderr, "error: workload: %s\n", strerror(-status));
		goto cleanup_eal;
	}
	printf("workload: seed %" PRIu64 ", %u keys (%u duplicate), %u packets of %d bytes, "
	       "made in %.2f s\n",
	       o.seed, w.n_entries, w.n_dup_keys, w.n_packets, WL_PKT_LEN, now() - t);
	if (w.n_dup_keys)
		printf("note: %u keys repeat a key of a higher index; that entry's data wins\n",
		       w.n_dup_keys);

	if (!mkdtemp(dir)) {
		fprintf(stderr, "error: mkdtemp: %s\n", strerror(errno));
		goto free_workload;
	}
	snprintf(pcap_in, sizeof(pcap_in), "%s/in.pcap", dir);
	status = pcap_write(pcap_in, w.pkts, w.n_packets, WL_PKT_LEN);
	if (status) {
		fprintf(stderr, "error: writing %s: %s\n", pcap_in, strerror(-status));
		goto remove_dir;
	}

	/* The source keeps every pcap packet in an mbuf, plus one mbuf per packet in flight. */
	pool = rte_pktmbuf_pool_create("ftbench_pool", w.n_packets + 4096, 256, 0,
	                               RTE_MBUF_DEFAULT_BUF_SIZE, numa);
	if (!pool) {
		fprintf(stderr,
		        "error: rte_pktmbuf_pool_create: %s (give EAL more memory with -m "
		        "before --)\n",
		        rte_strerror(rte_errno));
		goto remove_dir;
	}

	if (verify_run(&o, &w, pool, dir, pcap_in, numa))
		goto free_pool;

	/* The measured pipeline. */
	rx_stopped = 0;
	status = swx_configure(&s, "ftbench", o.spec, pool, pcap_in, w.n_packets, 0, NULL,
	                       o.n_entries, numa);
	if (status)
		goto free_swx;
	printf("ports: in 0 = source (rte_swx_port_source_ops) looping over the %u packets "
	       "of %s: for each packet it allocates an mbuf from mempool ftbench_pool and "
	       "copies the packet in;\n"
	       "       out 0-%d = sink (rte_swx_port_sink_ops, no file): frees the mbuf; "
	       "out %d = the pipeline's drop port (also a sink)\n"
	       "       (the source's rx is called through a one-branch wrapper that lets the "
	       "pipeline drain at the end)\n",
	       w.n_packets, pcap_in, N_PORTS_OUT - 1, N_PORTS_OUT);

	heap0 = dpdk_heap_used();
	libc0 = libc_heap_used();
	t = now();
	status = swx_build(&s);
	t_build = now() - t;
	if (status)
		goto free_swx;
	heap1 = dpdk_heap_used();
	{
		struct rte_swx_table_ops ops;
		int is_stub;

		status = rte_swx_ctl_table_ops_get(s.p, s.lay.table_id, &ops, &is_stub);
		if (status) {
			fprintf(stderr, "error: rte_swx_ctl_table_ops_get: %s\n",
			        swx_strerror(status));
			goto free_swx;
		}
		printf("table %s: %s, key %u bytes (h.eth.dst), action data %u bytes, size %u; "
		       "built in %.3f s\n",
		       TABLE_NAME,
		       ops.lkp == rte_swx_table_exact_match_ops.lkp
		               ? "exact match (rte_swx_table_exact_match_ops)"
		               : "exact match (other table type)",
		       s.lay.key_size, s.lay.data_size, o.n_entries, t_build);
	}

	if (load == LOAD_CTL) {
		status = fill_ctl(&s, &w, NULL, o.n_entries, &t_add, &t_commit);
		if (status)
			goto free_swx;
		printf("setup: %u entries through rte_swx_ctl_pipeline_table_entry_add() "
		       "(entry structs filled directly): %.3f s, 1 commit: %.3f s\n",
		       o.n_entries, t_add, t_commit);
	} else {
		status = fill_direct(&s, &w, o.n_entries, &t_add);
		if (status)
			goto free_swx;
		printf("setup: %u entries with the table type's add op on the pipeline's "
		       "table object (no rte_swx_ctl: its entry_add is O(n) per entry in "
		       "DPDK 22.11): %.3f s\n",
		       o.n_entries, t_add);
	}
	heap2 = dpdk_heap_used();
	libc1 = libc_heap_used();
	printf("setup: %.3f s in all (build, fill%s)\n", t_build + t_add + t_commit,
	       load == LOAD_CTL ? ", commit" : "");
	/*
	 * The table object is allocated whole by rte_swx_pipeline_build(); a
	 * direct fill adds nothing to it. rte_swx_ctl's own copy is apart.
	 */
	table_bytes = heap1 - heap0 + (load == LOAD_DIRECT ? heap2 - heap1 : 0);
	bpe = (double)table_bytes / o.n_entries;
	printf("memory: the pipeline's table object: %.1f MiB of DPDK heap = %.1f bytes/entry "
	       "(rte_malloc_get_socket_stats before build and after fill)\n",
	       (double)table_bytes / 1048576.0, bpe);
	if (load == LOAD_CTL)
		printf("memory: rte_swx_ctl adds its second table object (%.1f bytes/entry, DPDK "
		       "heap) and a copy of every entry (%.1f bytes/entry, libc heap)\n",
		       (double)(heap2 - heap1) / o.n_entries,
		       (double)((int64_t)libc1 - (int64_t)libc0) / o.n_entries);

	/* Warm up, then time. */
	run_for(&s, WARMUP_SECONDS);
	rx0 = rx_count(&s);
	elapsed = run_for(&s, o.seconds);
	rx1 = rx_count(&s);
	mpps = (double)(rx1 - rx0) / elapsed / 1e6;
	printf("run: %" PRIu64 " packets in %.3f s (after %.1f s warm-up): %.3f Mpps, "
	       "%.1f ns/packet, rte_swx_pipeline_run(p, %d) in a loop on 1 core\n",
	       rx1 - rx0, elapsed, WARMUP_SECONDS, mpps, 1e3 / mpps, RUN_QUANTUM);

	/* Stop the source, let the packets in flight finish, check every counter. */
	rx_stopped = 1;
	status = swx_drain(&s, &c1);
	if (status)
		goto free_swx;
	{
		uint64_t loops = c1.rx / w.n_packets, rem = c1.rx % w.n_packets;

		for (uint32_t j = 0; j < w.n_packets; j++) {
			uint32_t port = entry_port(w.pkt_entry[j]);

			exp_out[port] += loops + (j < rem);
		}
	}
	printf("counters: rx %" PRIu64 ", table hit %" PRIu64 ", miss %" PRIu64 ", out %" PRIu64
	       "/%" PRIu64 "/%" PRIu64 "/%" PRIu64 " (expected %" PRIu64 "/%" PRIu64 "/%" PRIu64
	       "/%" PRIu64 "), dropped %" PRIu64 ", bytes out %" PRIu64 "\n",
	       c1.rx, c1.hit, c1.miss, c1.out[0], c1.out[1], c1.out[2], c1.out[3], exp_out[0],
	       exp_out[1], exp_out[2], exp_out[3], c1.out[N_PORTS_OUT],
	       c1.out_bytes[0] + c1.out_bytes[1] + c1.out_bytes[2] + c1.out_bytes[3]);
	if (c1.hit != c1.rx || c1.miss || c1.out[N_PORTS_OUT] ||
	    c1.out_bytes[0] + c1.out_bytes[1] + c1.out_bytes[2] + c1.out_bytes[3] !=
	            c1.rx * OUT_PKT_LEN ||
	    memcmp(c1.out, exp_out, sizeof(exp_out))) {
		fprintf(stderr,
		        "error: counters do not match: every packet must hit and leave "
		        "on its entry's port with %d bytes\n",
		        OUT_PKT_LEN);
		goto free_swx;
	}
	printf("counters: every packet hit and left on its entry's port\n");
	printf("RESULT workload=dpdk-vxlan impl=swx-interp entries=%u mpps=%.3f ns_per_pkt=%.1f "
	       "bytes_per_entry=%.1f\n",
	       o.n_entries, mpps, 1e3 / mpps, bpe);
	ret = 0;

free_swx:
	swx_free(&s);
free_pool:
	rte_mempool_free(pool);
remove_dir:
	unlink(pcap_in);
	rmdir(dir);
free_workload:
	workload_free(&w);
cleanup_eal:
	rte_eal_cleanup();
free_args:
	free(eal_argv);
	free(opt_argv);
	return ret;
}
