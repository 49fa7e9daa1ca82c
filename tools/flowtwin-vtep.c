/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * flowtwin-vtep: the VXLAN VTEP daemon. Part of tools/, the top layer
 * (shared/DESIGN.md): it loads a P4 program (p4/vtep.p4), builds the
 * pipeline, attaches the VTEP vocabulary (model/vtep.c), opens DPDK ports
 * through driver/dpdk and runs the rx -> pipeline -> tx loop, with a control
 * socket that flowtwinctl talks to (docs/flowtwin-vtep.md).
 *
 *   flowtwin-vtep [EAL args] -- --p4 p4/vtep.p4 --uplink PORTID --vtep-ip IP
 *                 [--vtep-mac MAC] [--access PORTID,vni=N[,vlan=V]]...
 *                 [--offload none|sim|rte_flow] [--config FILE] [--ctl PATH]
 *                 [--lcores-workers N]
 *
 * Threads. Packets are handled by N workers (--lcores-workers N; by default
 * one per worker lcore of the EAL, or one when the EAL has none). Each
 * worker owns an ft_dpdk worker (its own model worker, ft_worker) and, on
 * every port, rx queue i and tx queue i: ports spread packets over the
 * workers by RSS; a port without RSS that has N rx queues anyway (one
 * net_pcap file per queue, af_packet's fanout) gives each worker its queue,
 * and one with a single rx queue is polled by one worker alone. The main
 * lcore keeps the control socket, learning and aging every 100 ms
 * (ft_ctl_poll()), the events and the statistics; workers hand it their
 * events and the ARP replies they see through one single-producer ring
 * each, and it hands worker 0 the ARP requests to send. The packet path
 * takes no lock and never waits: a control command runs on the main lcore
 * while the workers go on, and the pipeline's transactions make its
 * changes visible at once, between two bursts of each worker (pipeline.h).
 * Statistics are per worker and summed when read.
 *
 * With a single worker and no worker lcore (-l 0), the main lcore runs the
 * worker too: between two rounds of bursts it serves the control socket
 * without blocking, as it always did.
 *
 * Offload. '--offload none': the model runs every packet. '--offload sim':
 * every packet goes through one 'struct ft_twin' (driver/sim) shared by the
 * workers, each on its own lane (twin.h): the software NIC executes the
 * rules compiled from the current entries, and the model resumes what the
 * NIC hands to software; each lane counts the NIC's hits of its packets.
 * The twin is recompiled (ft_twin_sync(), once for every worker) after
 * every command that may change state and after every learn or age, with
 * the NIC's counters of every lane collected first (the main lcore also
 * collects them every 100 ms, and before reading counters, while the
 * workers run); the main lcore syncs with every lane out: each worker takes its lane's spinlock around
 * each burst with a try-lock, and a burst that finds it taken, or wanted
 * by the main lcore, is run by the model alone (from the start, counted as
 * software, unmarked), which the twin property makes the same. The main
 * lcore waits one burst of each worker at most.
 * '--offload rte_flow': the NIC itself (dpdk_flow.h): its rules serve every
 * worker (each gets its rx queue's packets, marked); the main lcore alone
 * syncs them and reads their counters. A worker never waits and never runs
 * a marked packet from the start (the NIC may have decapped it): it reads
 * the restore contexts from a table the syncs publish around each compile,
 * with a grace period before the contexts a compile frees
 * (dpdk_restore.h).
 *
 * The underlay. vtep.p4 answers ARP requests for the VTEP's IP itself.
 * For remote VTEPs without a next hop (the nexthop table; packets to them
 * are dropped with drop_no_nexthop) the daemon resolves their MAC: when
 * such a drop happens, it sends an ARP request out of the uplink for every
 * remote VTEP IP (the vtep_known table) that no nexthop entry covers, at
 * most once a second per IP, and installs "nexthop add IP/32 lladdr MAC"
 * from the reply (ARP replies on the uplink are looked at before the model
 * runs, which drops them). A next hop given by configuration or the
 * control socket is static: never overwritten; one given over a learned
 * one replaces it and makes it static.
 *
 * Ports: model port numbers are DPDK port ids.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#include <flowtwin/compile.h>
#include <flowtwin/ctl.h>
#include <flowtwin/dpdk.h>
#include <flowtwin/dpdk_flow.h>
#include <flowtwin/dpdk_restore.h>
#include <flowtwin/offload.h>
#include <flowtwin/p4.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/trace.h>
#include <flowtwin/twin.h>
#include <flowtwin/vtep.h>

#define PROG           "flowtwin-vtep"
#define CTL_DEFAULT    "/run/flowtwin/vtep.sock"
#define MAX_PORTS      32 /* RTE_MAX_ETHPORTS in Debian's DPDK */
#define MAX_CONNS      16
#define LINE_MAX_BYTES 65536
#define EVENTS_BUF_MAX (4u << 20)
#define POLL_PERIOD_MS 100
#define ARP_PERIOD_MS  1000
#define ARP_PENDING_MS 10000
#define MAX_RESOLVE    256
#define N_MBUFS        8191 /* per worker */
#define BURST          32
#define MAX_WORKERS    64
#define MSG_RING       1024 /* worker -> main messages, a power of 2 */
#define ARP_RING       256  /* main -> worker 0 ARP requests, a power of 2 */

enum offload_mode { OFFLOAD_NONE, OFFLOAD_SIM, OFFLOAD_RTE_FLOW };

struct access_opt {
	uint16_t port;
	uint32_t vni;
	int vlan; /* -1: untagged */
};

struct opts {
	const char *p4, *config, *ctl_path, *vtep_mac;
	int uplink;
	uint32_t vtep_ip; /* host order */
	const char *vtep_ip_text;
	struct access_opt access[MAX_PORTS];
	uint32_t n_access;
	enum offload_mode offload;
	uint32_t workers;
};

/* A growable output buffer of a connection. */
struct obuf {
	char *p;
	size_t len, off, cap;
};

enum conn_state { C_READ, C_REPLY, C_EVENTS };

struct conn {
	int fd;
	enum conn_state state;
	char in[LINE_MAX_BYTES];
	size_t in_len;
	struct obuf out;
	uint64_t lost; /* events not queued: the client reads too slowly */
	bool eof;      /* the client sent everything it will send */
};

/* A remote VTEP IP being resolved, or resolved by ARP. */
struct resolve {
	uint32_t ip;     /* host order */
	uint64_t req_ms; /* last request sent (0: none) */
	bool learned;    /* its nexthop /32 was installed from a reply */
	uint8_t mac[6];
};

struct port_count {
	uint64_t nic, resumed, software;
};

/* What a worker tells the main lcore. */
enum msg_kind { MSG_EVENT, MSG_ARP_REPLY };

struct msg {
	enum msg_kind kind;
	struct ft_event ev; /* MSG_EVENT */
	uint32_t ip;        /* MSG_ARP_REPLY: the sender's IP (host order) and MAC */
	uint8_t mac[6];
};

/*
 * A single-producer single-consumer ring: the producer writes slot
 * head % size then publishes head + 1 (release); the consumer reads slot
 * tail % size after an acquire load of head, then publishes tail + 1.
 */
struct msg_ring {
	uint32_t head, tail;
	struct msg m[MSG_RING];
};

struct arp_ring {
	uint32_t head, tail;
	uint32_t ip[ARP_RING];
};

struct daemon;

/*
 * A packet worker: on its lcore (or the main lcore's, alone), it polls its
 * (port, queue) pairs and sends on tx queue 'id' of every port. Everything
 * here is written by the worker's thread only, except the twin (under
 * 'twin_lock'), the rings' consumer ends, and 'need_resolve' (the main lcore
 * clears it); the counters are read whole by the main lcore.
 */
struct lworker {
	struct daemon *d;
	uint32_t id; /* its rx and tx queue */
	unsigned int lcore;
	struct ft_dpdk_worker *dw;
	struct ft_twin_lane *lane; /* --offload sim: its lane of the daemon's twin */
	uint32_t twin_lock; /* 1: taken (lane_trylock()) */
	uint32_t twin_wanted; /* the main lcore waits for the lock: leave the twin alone */
	uint16_t poll_port[MAX_PORTS], poll_queue[MAX_PORTS];
	uint32_t n_poll;

	/* The burst hook's results. */
	struct ft_twin_result *tres;
	struct ft_dpdk_flow_result *fres; /* --offload rte_flow */
	struct ft_burst_result *res;
	struct port_count pc[MAX_PORTS];
	uint64_t *act_drop[MAX_PORTS]; /* per port, per action: FT_DROP_ACTION / NO_OUTPUT */
	uint32_t need_resolve;         /* a drop_no_nexthop happened */
	uint64_t events_lost, arp_sent;

	struct msg_ring out;    /* to the main lcore */
	struct arp_ring arp_in; /* worker 0: ARP requests to send */
};

struct daemon {
	struct ft_dpdk_flow *flow; /* --offload rte_flow: the NIC's rules */
	struct ft_dpdk_restore *restore; /* ... and their restore contexts, for the workers */
	struct ft_twin *twin;      /* --offload sim: the software NIC's, one for every worker */
	struct opts o;
	struct ft_pipeline *pipe;
	const struct ft_program *prog;
	struct ft_ctl *ctl;
	struct ft_vtep *vtep;
	bool sim;
	bool sync_ok;
	struct ft_error sync_err;
	uint16_t ports[MAX_PORTS];
	uint32_t n_ports;
	bool port_open[MAX_PORTS];
	uint16_t port_rxq[MAX_PORTS]; /* rx queues of each open port: 1 or n_wk */
	uint8_t vtep_mac[6];
	uint32_t n_actions;
	struct rte_mempool *mp; /* rx buffers and copies of every worker */

	/* The workers; 'threaded': on worker lcores, else wk[0] on the main lcore. */
	struct lworker *wk[MAX_WORKERS];
	uint32_t n_wk;
	bool threaded, launched;
	unsigned int lcore_of[MAX_WORKERS];

	/* Tracing on its own model worker, with its own buffers. */
	struct ft_worker *trace_w;
	struct ft_pkt_pool trace_pool;
	struct ft_pkt_pool_simple *trace_sp;
	struct ft_trace *trace;

	/* The underlay resolver. */
	int32_t a_no_nexthop, t_nexthop, t_vtep_known;
	bool need_resolve;
	struct resolve rs[MAX_RESOLVE];
	uint32_t n_rs;
	struct {
		uint32_t ip;
		uint8_t mac[6];
	} replies[16];
	uint32_t n_replies;
	uint64_t arp_learned;

	/* The control socket. */
	int lfd;
	struct conn *conns[MAX_CONNS];
	uint32_t n_events_subs;
};

static volatile sig_atomic_t stop_flag;

static void
on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void
log_stderr(enum ft_log_level level, const char *module, const char *msg, void *arg)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};

	(void)arg;
	fprintf(stderr, PROG ": %s: %s: %s\n", names[level <= FT_LOG_DEBUG ? level : 0], module,
	        msg);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
fail_err(const char *what, const struct ft_error *err)
{
	char buf[512];

	ft_error_format(err, buf, sizeof(buf));
	fprintf(stderr, PROG ": %s: %s\n", what, buf);
	return 1;
}

/* --- Options ---------------------------------------------------------------------- */

static void
usage(FILE *f)
{
	fprintf(f,
	        "usage: " PROG " [EAL args] -- --p4 PROGRAM.p4 --uplink PORTID --vtep-ip IP\n"
	        "         [--vtep-mac MAC] [--access PORTID,vni=N[,vlan=V]]...\n"
	        "         [--offload none|sim|rte_flow] [--config FILE] [--ctl PATH]\n"
	        "         [--lcores-workers N]\n"
	        "  --p4 FILE        the VTEP program (p4/vtep.p4)\n"
	        "  --uplink PORTID  the underlay port (a DPDK port id)\n"
	        "  --vtep-ip IP     the local VTEP's IPv4 address\n"
	        "  --vtep-mac MAC   the local VTEP's MAC (default: the uplink's)\n"
	        "  --access ...     an access port in VNI N, untagged or with VLAN V (repeatable)\n"
	        "  --offload MODE   none (the model only, default), sim (software NIC + model)\n"
	        "  --config FILE    control commands (the text syntax) applied at start\n"
	        "  --ctl PATH       the control socket (default $FLOWTWIN_CTL or " CTL_DEFAULT ")\n"
	        "  --lcores-workers N  packet workers, each on its own worker lcore (default:\n"
	        "                   one per worker lcore; one on the main lcore when -l names "
	        "one)\n");
}

static int
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int
parse_access(const char *s, struct access_opt *a)
{
	char buf[128], *save = NULL, *tok;
	uint32_t v;
	bool have_vni = false;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	tok = strtok_r(buf, ",", &save);
	if (tok == NULL || parse_u32(tok, MAX_PORTS - 1, &v) < 0)
		return -1;
	a->port = (uint16_t)v;
	a->vlan = -1;
	while ((tok = strtok_r(NULL, ",", &save)) != NULL) {
		if (strncmp(tok, "vni=", 4) == 0 && parse_u32(tok + 4, 0xffffff, &v) == 0 && v) {
			a->vni = v;
			have_vni = true;
		} else if (strncmp(tok, "vlan=", 5) == 0 && parse_u32(tok + 5, 4094, &v) == 0 &&
		           v > 0) {
			a->vlan = (int)v;
		} else {
			return -1;
		}
	}
	return have_vni ? 0 : -1;
}

/* Returns 0, or the exit code (after printing why). */
static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
	        {"p4", required_argument, NULL, 'p'},
	        {"uplink", required_argument, NULL, 'u'},
	        {"vtep-ip", required_argument, NULL, 'i'},
	        {"vtep-mac", required_argument, NULL, 'm'},
	        {"access", required_argument, NULL, 'a'},
	        {"offload", required_argument, NULL, 'o'},
	        {"config", required_argument, NULL, 'c'},
	        {"ctl", required_argument, NULL, 's'},
	        {"lcores-workers", required_argument, NULL, 'w'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	uint8_t ip6[16];
	struct in_addr ip4;
	uint32_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->uplink = -1;
	o->workers = 0; /* one per worker lcore */
	o->ctl_path = getenv("FLOWTWIN_CTL") ? getenv("FLOWTWIN_CTL") : CTL_DEFAULT;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->p4 = optarg;
			break;
		case 'u':
			if (parse_u32(optarg, MAX_PORTS - 1, &v) < 0) {
				fprintf(stderr, PROG ": --uplink: bad port id '%s'\n", optarg);
				return 2;
			}
			o->uplink = (int)v;
			break;
		case 'i':
			o->vtep_ip_text = optarg;
			if (inet_pton(AF_INET6, optarg, ip6) == 1) {
				fprintf(stderr,
				        PROG ": --vtep-ip %s: not supported: IPv6 underlay "
				             "(IPv4 only)\n",
				        optarg);
				return 2;
			}
			if (inet_pton(AF_INET, optarg, &ip4) != 1) {
				fprintf(stderr, PROG ": --vtep-ip: bad IPv4 address '%s'\n",
				        optarg);
				return 2;
			}
			o->vtep_ip = ntohl(ip4.s_addr);
			break;
		case 'm':
			o->vtep_mac = optarg;
			break;
		case 'a':
			if (o->n_access == MAX_PORTS ||
			    parse_access(optarg, &o->access[o->n_access])) {
				fprintf(stderr,
				        PROG ": --access: bad '%s' (PORTID,vni=N[,vlan=V])\n",
				        optarg);
				return 2;
			}
			o->n_access++;
			break;
		case 'o':
			if (strcmp(optarg, "none") == 0)
				o->offload = OFFLOAD_NONE;
			else if (strcmp(optarg, "sim") == 0)
				o->offload = OFFLOAD_SIM;
			else if (strcmp(optarg, "rte_flow") == 0)
				o->offload = OFFLOAD_RTE_FLOW;
			else {
				fprintf(stderr,
				        PROG ": --offload: '%s' is not none, sim or rte_flow\n",
				        optarg);
				return 2;
			}
			break;
		case 'c':
			o->config = optarg;
			break;
		case 's':
			o->ctl_path = optarg;
			break;
		case 'w':
			if (parse_u32(optarg, 1024, &o->workers) < 0 || o->workers == 0) {
				fprintf(stderr, PROG ": --lcores-workers: bad count '%s'\n",
				        optarg);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return -1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (o->p4 == NULL || o->uplink < 0 || o->vtep_ip_text == NULL) {
		fprintf(stderr, PROG ": --p4, --uplink and --vtep-ip are required\n");
		usage(stderr);
		return 2;
	}
	for (uint32_t i = 0; i < o->n_access; i++) {
		if (o->access[i].port == o->uplink) {
			fprintf(stderr, PROG ": --access: port %u is the uplink\n", o->uplink);
			return 2;
		}
		for (uint32_t j = 0; j < i; j++)
			if (o->access[j].port == o->access[i].port) {
				fprintf(stderr, PROG ": --access: port %u given twice\n",
				        o->access[i].port);
				return 2;
			}
	}
	if (strlen(o->ctl_path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		fprintf(stderr, PROG ": --ctl: path too long\n");
		return 2;
	}
	return 0;
}

/* --- Output buffers and connections ------------------------------------------------ */

static int
obuf_add(struct obuf *b, const char *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		if (b->off > 0) {
			memmove(b->p, b->p + b->off, b->len - b->off);
			b->len -= b->off;
			b->off = 0;
		}
		while (b->len + n > cap)
			cap *= 2;
		if (cap != b->cap) {
			p = realloc(b->p, cap);
			if (p == NULL)
				return -ENOMEM;
			b->p = p;
			b->cap = cap;
		}
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	return 0;
}

static void
conn_line(void *arg, const char *line)
{
	struct conn *c = arg;

	obuf_add(&c->out, line, strlen(line));
	obuf_add(&c->out, "\n", 1);
}

static void conn_printf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
conn_printf(struct conn *c, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	conn_line(c, buf);
}

static void
conn_close(struct daemon *d, uint32_t i)
{
	struct conn *c = d->conns[i];

	if (c->state == C_EVENTS)
		d->n_events_subs--;
	close(c->fd);
	free(c->out.p);
	free(c);
	d->conns[i] = NULL;
}

/* An event line to every subscriber. */
static void
broadcast(struct daemon *d, const char *line)
{
	size_t n = strlen(line);

	for (uint32_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = d->conns[i];

		if (c == NULL || c->state != C_EVENTS)
			continue;
		if (c->out.len - c->out.off + n + 64 > EVENTS_BUF_MAX) {
			c->lost++;
			continue;
		}
		if (c->lost) {
			char buf[64];

			snprintf(buf, sizeof(buf), "# lost %" PRIu64 " events", c->lost);
			conn_line(c, buf);
			c->lost = 0;
		}
		obuf_add(&c->out, line, n);
		obuf_add(&c->out, "\n", 1);
	}
}

static void
broadcast_line(void *arg, const char *line)
{
	broadcast(arg, line);
}

/* --- The twin ---------------------------------------------------------------------- */

/*
 * The main lcore takes the twin from every worker: it says so to all
 * first, so that each worker (which takes its lane with a try-lock around
 * each burst) leaves it alone, then takes every worker's lock, yielding
 * the CPU while it waits, which it may share with a worker. It waits for
 * one burst of each at most; meanwhile the workers run the model alone.
 */
/*
 * A lane's lock: C11-style atomics rather than rte_spinlock, whose x86
 * inline assembly ThreadSanitizer cannot see (it then reports every read
 * of the rules as a race).
 */
static bool
lane_trylock(struct lworker *wk)
{
	uint32_t free_ = 0;

	return __atomic_compare_exchange_n(&wk->twin_lock, &free_, 1, false, __ATOMIC_ACQUIRE,
	                                   __ATOMIC_RELAXED);
}

static void
lane_unlock(struct lworker *wk)
{
	__atomic_store_n(&wk->twin_lock, 0, __ATOMIC_RELEASE);
}

static void
twin_lock(struct daemon *d)
{
	for (uint32_t i = 0; i < d->n_wk; i++)
		__atomic_store_n(&d->wk[i]->twin_wanted, 1, __ATOMIC_RELAXED);
	for (uint32_t i = 0; i < d->n_wk; i++)
		while (!lane_trylock(d->wk[i]))
			sched_yield();
}

static void
twin_unlock(struct daemon *d)
{
	for (uint32_t i = 0; i < d->n_wk; i++) {
		lane_unlock(d->wk[i]);
		__atomic_store_n(&d->wk[i]->twin_wanted, 0, __ATOMIC_RELAXED);
	}
}

/*
 * The NIC's counters, into the pipeline, while the workers go on: the
 * twin's with what every lane counted since the last time, or the NIC's
 * own; only this thread reads them.
 */
static void
twin_collect(struct daemon *d)
{
	if (d->twin != NULL)
		ft_twin_counters_collect(d->twin);
	if (d->flow != NULL)
		ft_dpdk_flow_counters_collect(d->flow);
}

/*
 * Compiles the entries once and changes the rules to them: the twin's with
 * its lanes out, or the NIC's while the workers go on (they read the
 * restore contexts as ft_dpdk_restore publishes them).
 */
static void
twin_sync(struct daemon *d)
{
	if (d->twin == NULL && d->flow == NULL)
		return;
	ft_error_clear(&d->sync_err);
	d->sync_ok = true;
	if (d->flow != NULL && ft_dpdk_flow_sync(d->flow, &d->sync_err) < 0)
		d->sync_ok = false;
	if (d->twin != NULL) {
		twin_lock(d);
		if (ft_twin_sync(d->twin, &d->sync_err) < 0)
			d->sync_ok = false;
		twin_unlock(d);
	}
	if (!d->sync_ok) {
		char buf[512];

		ft_error_format(&d->sync_err, buf, sizeof(buf));
		fprintf(stderr,
		        PROG ": offload %s: sync failed, every packet goes to software: %s\n",
		        d->flow != NULL ? "rte_flow" : "sim", buf);
	}
}

/* --- The packet path ----------------------------------------------------------------- */

static struct resolve *
resolve_find(struct daemon *d, uint32_t ip)
{
	for (uint32_t i = 0; i < d->n_rs; i++)
		if (d->rs[i].ip == ip)
			return &d->rs[i];
	return NULL;
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Adds 'n' to a counter only this thread writes; the main lcore reads it whole. */
static inline void
count(uint64_t *c, uint64_t n)
{
	__atomic_store_n(c, *c + n, __ATOMIC_RELAXED);
}

static inline uint64_t
count_read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

/* A message to the main lcore; counted in events_lost when the ring is full. */
static struct msg *
msg_slot(struct lworker *wk)
{
	uint32_t head = wk->out.head;

	if (head - __atomic_load_n(&wk->out.tail, __ATOMIC_ACQUIRE) == MSG_RING) {
		count(&wk->events_lost, 1);
		return NULL;
	}
	return &wk->out.m[head % MSG_RING];
}

static void
msg_publish(struct lworker *wk)
{
	__atomic_store_n(&wk->out.head, wk->out.head + 1, __ATOMIC_RELEASE);
}

/*
 * An ARP reply on the uplink to the VTEP's IP: handed to the main lcore,
 * which keeps it if it comes from a VTEP it asked for (apply_replies()).
 */
static void
arp_snoop(struct lworker *wk, const struct ft_pkt *p)
{
	const uint8_t *f = ft_pkt_data(p);
	struct msg *m;

	if (p->len < 42 || f[12] != 0x08 || f[13] != 0x06)
		return;
	/* htype 1, ptype 0x0800, hlen 6, plen 4, opcode 2 (reply), to us */
	if (f[14] != 0 || f[15] != 1 || f[16] != 0x08 || f[17] != 0 || f[18] != 6 || f[19] != 4 ||
	    f[20] != 0 || f[21] != 2 || rd32(f + 38) != wk->d->o.vtep_ip)
		return;
	m = msg_slot(wk);
	if (m == NULL)
		return;
	m->kind = MSG_ARP_REPLY;
	m->ip = rd32(f + 28);
	memcpy(m->mac, f + 22, 6);
	msg_publish(wk);
}

/*
 * The worker's run function: the model; or the twin, on the worker's lane;
 * or the model resuming what the NIC marked; and the uplink's ARP replies.
 * The lane is taken with a try-lock: when the main lcore is syncing the
 * twin, the model runs the burst alone. The NIC's packets never wait: the
 * restore contexts they need stay readable while the main lcore syncs.
 */
static int
run_burst(void *arg, struct ft_worker *w, struct ft_pkt *const *pkts, uint16_t n,
          struct ft_burst_result **res)
{
	struct lworker *wk = arg;
	struct daemon *d = wk->d;
	bool multiseg = false;
	int rc;

	for (uint16_t i = 0; i < n; i++) {
		if (pkts[i]->in_port == (uint32_t)d->o.uplink && pkts[i]->nb_segs == 1)
			arp_snoop(wk, pkts[i]);
		multiseg |= pkts[i]->nb_segs != 1;
	}
	if (d->flow != NULL) {
		/* The NIC ran its rules already: MARKs say where the model resumes. */
		rc = ft_dpdk_restore_run(d->restore, wk->id, w, pkts, n, wk->fres);
		for (uint16_t i = 0; rc >= 0 && i < n; i++)
			wk->tres->pkt[i].path = wk->fres->path[i];
		*res = &wk->fres->burst;
	} else if (d->twin == NULL || multiseg ||
	           __atomic_load_n(&wk->twin_wanted, __ATOMIC_RELAXED) ||
	           !lane_trylock(wk)) {
		/* The twin takes single-segment packets only: the model refuses the others. */
		for (uint16_t i = 0; d->twin != NULL && i < n; i++)
			if (pkts[i]->in_port < MAX_PORTS)
				count(&wk->pc[pkts[i]->in_port].software, 1);
		*res = wk->res;
		return ft_worker_run(w, pkts, n, wk->res);
	} else {
		rc = ft_twin_lane_run(wk->lane, w, pkts, n, wk->tres);
		lane_unlock(wk);
		*res = &wk->tres->burst;
	}
	if (rc < 0)
		return rc;
	for (uint16_t i = 0; i < n; i++) {
		struct port_count *pc;

		if (pkts[i]->in_port >= MAX_PORTS)
			continue;
		pc = &wk->pc[pkts[i]->in_port];
		switch (wk->tres->pkt[i].path) { /* the twin's, or the NIC's (copied above) */
		case FT_TWIN_NIC:
			count(&pc->nic, 1);
			break;
		case FT_TWIN_RESUMED:
			count(&pc->resumed, 1);
			break;
		case FT_TWIN_SOFTWARE:
			count(&pc->software, 1);
			break;
		}
	}
	return rc;
}

/*
 * What a burst left for the control plane, on the worker's thread: drop
 * reasons by action, the resolver's trigger, and the events (to the main
 * lcore's ring).
 */
static void
after_burst(struct lworker *wk, uint16_t port, int n, const struct ft_burst_result *res)
{
	const struct daemon *d = wk->d;

	for (int i = 0; i < n; i++) {
		uint16_t r = res->drop[i], a = res->drop_action[i];

		if ((r == FT_DROP_ACTION || r == FT_DROP_NO_OUTPUT) && a < d->n_actions)
			count(&wk->act_drop[port][a], 1);
		if (a == d->a_no_nexthop && d->a_no_nexthop >= 0)
			__atomic_store_n(&wk->need_resolve, 1, __ATOMIC_RELAXED);
	}
	for (uint32_t k = 0; k < res->n_events; k++) {
		struct msg *m = msg_slot(wk);

		if (m == NULL)
			break;
		m->kind = MSG_EVENT;
		m->ev = res->events[k];
		msg_publish(wk);
	}
}

/* On the main lcore: every worker's messages, and whether one wants the resolver. */
static void
drain_workers(struct daemon *d)
{
	char buf[512];

	for (uint32_t i = 0; i < d->n_wk; i++) {
		struct lworker *wk = d->wk[i];
		uint32_t tail = wk->out.tail,
		         head = __atomic_load_n(&wk->out.head, __ATOMIC_ACQUIRE);

		if (__atomic_exchange_n(&wk->need_resolve, 0, __ATOMIC_RELAXED))
			d->need_resolve = true;
		for (; tail != head; tail++) {
			const struct msg *m = &wk->out.m[tail % MSG_RING];

			if (m->kind == MSG_ARP_REPLY) {
				if (d->n_replies < 16) {
					d->replies[d->n_replies].ip = m->ip;
					memcpy(d->replies[d->n_replies].mac, m->mac, 6);
					d->n_replies++;
				}
				continue;
			}
			ft_vtep_dispatch(d->vtep, &m->ev);
			if (d->n_events_subs == 0)
				continue;
			ft_ctl_event_text(d->ctl, &m->ev, buf, sizeof(buf));
			broadcast(d, buf);
		}
		__atomic_store_n(&wk->out.tail, tail, __ATOMIC_RELEASE);
	}
}

/* --- The underlay resolver ------------------------------------------------------------ */

struct nh_walk {
	uint32_t ip;
	bool covered;
	bool exact; /* a /32 entry for ip */
};

static int
nh_cover(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct nh_walk *w = arg;
	uint32_t key = rd32(e->key), mask = e->mask ? rd32(e->mask) : 0xffffffffu;

	(void)table;
	if ((w->ip & mask) == (key & mask)) {
		w->covered = true;
		w->exact |= mask == 0xffffffffu;
	}
	return 0;
}

static void
nh_lookup(struct daemon *d, uint32_t ip, struct nh_walk *w)
{
	w->ip = ip;
	w->covered = w->exact = false;
	ft_pipeline_table_walk(d->pipe, (uint32_t)d->t_nexthop, nh_cover, w);
}

struct vk_walk {
	struct daemon *d;
	uint32_t ips[MAX_RESOLVE];
	uint32_t n;
};

static int
vk_collect(uint32_t table, const struct ft_entry_info *e, void *arg)
{
	struct vk_walk *w = arg;
	uint32_t ip = rd32(e->key + 3); /* (vni 24, ip 32) */

	(void)table;
	for (uint32_t i = 0; i < w->n; i++)
		if (w->ips[i] == ip)
			return 0;
	if (w->n < MAX_RESOLVE)
		w->ips[w->n++] = ip;
	return 0;
}

/* On worker 0: an ARP request for 'ip' out of the uplink, on the worker's tx queue. */
static void
arp_request(struct lworker *wk, uint32_t ip)
{
	const struct daemon *d = wk->d;
	uint8_t f[60] = {0};
	uint32_t sip = d->o.vtep_ip;

	memset(f, 0xff, 6);
	memcpy(f + 6, d->vtep_mac, 6);
	f[12] = 0x08, f[13] = 0x06;
	f[15] = 1, f[16] = 0x08, f[18] = 6, f[19] = 4, f[21] = 1;
	memcpy(f + 22, d->vtep_mac, 6);
	f[28] = (uint8_t)(sip >> 24), f[29] = (uint8_t)(sip >> 16), f[30] = (uint8_t)(sip >> 8);
	f[31] = (uint8_t)sip;
	f[38] = (uint8_t)(ip >> 24), f[39] = (uint8_t)(ip >> 16), f[40] = (uint8_t)(ip >> 8);
	f[41] = (uint8_t)ip;
	if (ft_dpdk_send(wk->dw, (uint16_t)d->o.uplink, f, sizeof(f)) == 0)
		count(&wk->arp_sent, 1);
}

/* On worker 0: the ARP requests the main lcore asked for. */
static void
arp_send_queued(struct lworker *wk)
{
	uint32_t tail = wk->arp_in.tail, head = __atomic_load_n(&wk->arp_in.head, __ATOMIC_ACQUIRE);

	if (tail == head)
		return;
	for (; tail != head; tail++)
		arp_request(wk, wk->arp_in.ip[tail % ARP_RING]);
	__atomic_store_n(&wk->arp_in.tail, tail, __ATOMIC_RELEASE);
}

/* On the main lcore: asks worker 0 to send an ARP request for 'ip' (false: ring full). */
static bool
arp_queue(struct daemon *d, uint32_t ip)
{
	struct arp_ring *r = &d->wk[0]->arp_in;
	uint32_t head = r->head;

	if (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) == ARP_RING)
		return false;
	r->ip[head % ARP_RING] = ip;
	__atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
	return true;
}

/* ARP for every remote VTEP that no next hop covers, at most once a second each. */
static void
resolve_unresolved(struct daemon *d)
{
	static struct vk_walk w;
	uint64_t now = now_ms();

	d->need_resolve = false;
	if (d->t_nexthop < 0 || d->t_vtep_known < 0)
		return;
	w.d = d;
	w.n = 0;
	ft_pipeline_table_walk(d->pipe, (uint32_t)d->t_vtep_known, vk_collect, &w);
	for (uint32_t i = 0; i < w.n; i++) {
		struct resolve *r = resolve_find(d, w.ips[i]);
		struct nh_walk nw;

		nh_lookup(d, w.ips[i], &nw);
		if (nw.covered)
			continue;
		if (r == NULL) {
			if (d->n_rs == MAX_RESOLVE)
				continue;
			r = &d->rs[d->n_rs++];
			memset(r, 0, sizeof(*r));
			r->ip = w.ips[i];
		}
		if (r->req_ms != 0 && now - r->req_ms < ARP_PERIOD_MS)
			continue;
		if (arp_queue(d, r->ip))
			r->req_ms = now;
	}
}

static void
ip_text(uint32_t ip, char *buf, size_t n)
{
	snprintf(buf, n, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* Installs the next hops the ARP replies of the last round gave. */
static void
apply_replies(struct daemon *d)
{
	bool changed = false;

	for (uint32_t i = 0; i < d->n_replies; i++) {
		struct resolve *r = resolve_find(d, d->replies[i].ip);
		const uint8_t *m = d->replies[i].mac;
		char line[160], ip[20];
		struct ft_error err = {0};
		struct nh_walk nw;

		if (r == NULL || r->req_ms == 0)
			continue; /* not a VTEP we asked for */
		nh_lookup(d, r->ip, &nw);
		/* A static next hop (not ours) wins; ours is replaced when the MAC moved. */
		if (nw.exact && (!r->learned || memcmp(r->mac, m, 6) == 0))
			continue;
		if (!nw.exact && nw.covered)
			continue;
		ip_text(r->ip, ip, sizeof(ip));
		snprintf(line, sizeof(line),
		         "nexthop %s %s/32 lladdr %02x:%02x:%02x:%02x:%02x:%02x",
		         nw.exact ? "replace" : "add", ip, m[0], m[1], m[2], m[3], m[4], m[5]);
		twin_collect(d);
		if (ft_ctl_exec(d->ctl, line, NULL, NULL, &err) < 0) {
			fail_err(line, &err);
			continue;
		}
		r->learned = true;
		r->req_ms = 0;
		memcpy(r->mac, m, 6);
		d->arp_learned++;
		changed = true;
		snprintf(line, sizeof(line), "resolved ip %s lladdr %02x:%02x:%02x:%02x:%02x:%02x",
		         ip, m[0], m[1], m[2], m[3], m[4], m[5]);
		broadcast(d, line);
	}
	d->n_replies = 0;
	if (changed)
		twin_sync(d);
}

/*
 * A nexthop command from configuration or the control socket over a next hop
 * the daemon learned: the learned one goes, and the given one is static.
 * Rewrites "add" into "replace" in 'words' when needed; returns the learned
 * entry the command is about, or NULL.
 */
static char replace_word[] = "replace";

static struct resolve *
nexthop_static(struct daemon *d, int argc, char **argv)
{
	char pfx[64], *slash;
	struct in_addr a;
	struct resolve *r;

	if (argc < 3 || strcmp(argv[0], "nexthop") != 0 || strlen(argv[2]) >= sizeof(pfx))
		return NULL;
	strcpy(pfx, argv[2]);
	slash = strchr(pfx, '/');
	if (slash != NULL) {
		if (strcmp(slash, "/32") != 0)
			return NULL;
		*slash = '\0';
	}
	if (inet_pton(AF_INET, pfx, &a) != 1)
		return NULL;
	r = resolve_find(d, ntohl(a.s_addr));
	if (r == NULL || !r->learned)
		return NULL;
	if (strcmp(argv[1], "add") == 0)
		argv[1] = replace_word;
	return r;
}

/* --- Control commands ------------------------------------------------------------------ */

static int
split_words(char *line, char **argv, int max)
{
	int n = 0;

	for (char *s = strtok(line, " \t\r\n"); s != NULL; s = strtok(NULL, " \t\r\n")) {
		if (s[0] == '#')
			break;
		if (n == max - 1)
			return -1;
		argv[n++] = s;
	}
	argv[n] = NULL;
	return n;
}

/* Runs one text-syntax command (config or socket), with next hops made static. */
static int
exec_text(struct daemon *d, const char *line, ft_ctl_out_fn out, void *arg, struct ft_error *err)
{
	char copy[LINE_MAX_BYTES], *argv[64], joined[LINE_MAX_BYTES];
	struct resolve *r;
	size_t len = 0;
	int argc, rc;

	if (strlen(line) >= sizeof(copy))
		return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, NULL, "line too long");
	strcpy(copy, line);
	argc = split_words(copy, argv, 64);
	r = argc > 0 ? nexthop_static(d, argc, argv) : NULL;
	if (r == NULL)
		return ft_ctl_exec(d->ctl, line, out, arg, err);
	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s", i ? " " : "",
		                        argv[i]);
	rc = ft_ctl_exec(d->ctl, joined, out, arg, err);
	if (rc == 0)
		r->learned = false; /* static now, or deleted */
	return rc;
}

static bool
read_only(int argc, char **argv)
{
	return argc == 0 || strcmp(argv[0], "table_dump") == 0 ||
	       (argc >= 2 && strcmp(argv[1], "show") == 0);
}

struct place {
	uint32_t table, handle;
	uint32_t rules, sw_rules;
	const char *reason;
};

struct place_vec {
	struct place *v;
	uint32_t n, cap;
};

static int
place_add(const struct ft_placement *p, void *arg)
{
	struct place_vec *pv = arg;

	if (pv->n == pv->cap) {
		uint32_t cap = pv->cap ? pv->cap * 2 : 256;
		struct place *v = realloc(pv->v, cap * sizeof(*v));

		if (v == NULL)
			return -ENOMEM;
		pv->v = v;
		pv->cap = cap;
	}
	pv->v[pv->n++] = (struct place){p->table, p->handle, p->rules, p->sw_rules, p->reason};
	return 0;
}

static const struct place *
place_find(const struct place_vec *pv, uint32_t table, uint32_t handle)
{
	uint32_t lo = 0, hi = pv->n;

	/* The walk goes by table then handle, the default action (UINT32_MAX) last. */
	while (lo < hi) {
		uint32_t mid = (lo + hi) / 2;
		const struct place *p = &pv->v[mid];

		if (p->table < table || (p->table == table && p->handle < handle))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < pv->n && pv->v[lo].table == table && pv->v[lo].handle == handle)
		return &pv->v[lo];
	for (uint32_t i = 0; i < pv->n; i++) /* should the order differ */
		if (pv->v[i].table == table && pv->v[i].handle == handle)
			return &pv->v[i];
	return NULL;
}

struct dump_ctx {
	struct daemon *d;
	struct conn *c;
	struct place_vec *pv;
	uint32_t table;
};

static void
dump_line(void *arg, const char *line)
{
	struct dump_ctx *x = arg;
	const struct place *p = NULL;
	const char *h = strstr(line, "# handle ");
	const char *where;
	uint32_t handle = UINT32_MAX;

	if (h != NULL)
		handle = (uint32_t)strtoul(h + 9, NULL, 10);
	else if (strstr(line, "table_set_default") == NULL) {
		conn_line(x->c, line);
		return;
	}
	if (!x->d->sim && x->d->flow == NULL) {
		conn_printf(x->c, "%s%s where software (offload none)", line,
		            h != NULL ? "" : " #");
		return;
	}
	if (!x->d->sync_ok) {
		conn_printf(x->c, "%s%s where software (offload sync failed: %s)", line,
		            h != NULL ? "" : " #", x->d->sync_err.message);
		return;
	}
	p = place_find(x->pv, x->table, handle);
	if (p == NULL) {
		conn_printf(x->c, "%s%s where software (not compiled)", line,
		            h != NULL ? "" : " #");
		return;
	}
	where = p->rules && !p->sw_rules ? "nic" : p->rules ? "nic+software" : "software";
	conn_printf(x->c, "%s%s where %s%s%s%s", line, h != NULL ? "" : " #", where,
	            p->reason ? " (" : "", p->reason ? p->reason : "", p->reason ? ")" : "");
}

static int
cmd_dump_flows(struct daemon *d, struct conn *c, struct ft_error *err)
{
	struct place_vec pv = {0};
	struct ft_program_info pi;
	int rc = 0;

	twin_collect(d);
	if ((d->sim || d->flow != NULL) && d->sync_ok) {
		/* The compiled state: only this thread changes it (syncs); reading it is safe. */
		rc = ft_offload_placement_walk(d->flow != NULL ? ft_dpdk_flow_offload(d->flow)
		                                               : ft_twin_offload(d->twin),
		                               place_add, &pv);
		if (rc < 0) {
			free(pv.v);
			return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
			                    "out of memory");
		}
		rc = 0;
	}
	ft_program_info(d->prog, &pi);
	for (uint32_t t = 0; t < pi.n_tables && rc == 0; t++) {
		struct dump_ctx x = {d, c, &pv, t};
		struct ft_table_decl td;
		char line[256];

		ft_program_table(d->prog, t, &td);
		snprintf(line, sizeof(line), "table_dump %s", td.name);
		rc = ft_ctl_exec(d->ctl, line, dump_line, &x, err);
	}
	free(pv.v);
	return rc;
}

/* What every worker counted for 'port', summed. */
static void
port_stats(const struct daemon *d, uint16_t port, struct ft_dpdk_port_stats *st,
           struct port_count *pc, uint64_t *act_drop)
{
	memset(st, 0, sizeof(*st));
	memset(pc, 0, sizeof(*pc));
	memset(act_drop, 0, d->n_actions * sizeof(*act_drop));
	for (uint32_t i = 0; i < d->n_wk; i++) {
		const struct lworker *wk = d->wk[i];
		struct ft_dpdk_port_stats w;

		ft_dpdk_worker_stats(wk->dw, port, &w);
		st->rx += w.rx;
		st->tx += w.tx;
		st->tx_full += w.tx_full;
		st->bad_resume += w.bad_resume;
		for (uint32_t r = 0; r < FT_DROP_COUNT; r++)
			st->drop[r] += w.drop[r];
		pc->nic += count_read(&wk->pc[port].nic);
		pc->resumed += count_read(&wk->pc[port].resumed);
		pc->software += count_read(&wk->pc[port].software);
		for (uint32_t a = 0; a < d->n_actions; a++)
			act_drop[a] += count_read(&wk->act_drop[port][a]);
	}
}

static int
cmd_stats(struct daemon *d, struct conn *c)
{
	uint64_t *act_drop = calloc(d->n_actions ? d->n_actions : 1, sizeof(uint64_t));
	uint64_t arp_sent = 0, lost = 0;

	if (act_drop == NULL) {
		conn_line(c, "# out of memory");
		return 0;
	}
	for (uint32_t i = 0; i < d->n_ports; i++) {
		uint16_t port = d->ports[i];
		struct ft_dpdk_port_stats st;
		struct port_count pc;
		uint64_t dropped = 0;
		const char *role = port == d->o.uplink ? "uplink" : "access";

		port_stats(d, port, &st, &pc, act_drop);
		for (uint32_t r = 1; r < FT_DROP_COUNT; r++)
			dropped += st.drop[r];
		dropped += st.bad_resume;
		conn_printf(c,
		            "port %u %s: rx %" PRIu64 " tx %" PRIu64 " tx_full %" PRIu64
		            " dropped %" PRIu64,
		            port, role, st.rx, st.tx, st.tx_full, dropped);
		for (uint32_t r = 1; r < FT_DROP_COUNT; r++) {
			if (st.drop[r] == 0)
				continue;
			if (r == FT_DROP_ACTION || r == FT_DROP_NO_OUTPUT) {
				uint64_t named = 0;

				for (uint32_t a = 0; a < d->n_actions; a++) {
					struct ft_action_info ai;

					if (act_drop[a] == 0)
						continue;
					ft_program_action(d->prog, a, &ai);
					named += act_drop[a];
					conn_printf(c, "port %u drop %s: %" PRIu64, port, ai.name,
					            act_drop[a]);
				}
				if (st.drop[r] > named)
					conn_printf(c, "port %u drop %s: %" PRIu64, port,
					            ft_drop_name(r), st.drop[r] - named);
				continue;
			}
			conn_printf(c, "port %u drop %s: %" PRIu64, port, ft_drop_name(r),
			            st.drop[r]);
		}
		if (st.bad_resume)
			conn_printf(c, "port %u drop refused_burst: %" PRIu64, port, st.bad_resume);
		if (d->sim || d->flow != NULL)
			conn_printf(c,
			            "port %u offload: nic %" PRIu64 " software %" PRIu64
			            " (resumed %" PRIu64 ", unmarked %" PRIu64 ")",
			            port, pc.nic, pc.resumed + pc.software, pc.resumed,
			            pc.software);
	}
	free(act_drop);
	if (d->flow != NULL)
		conn_printf(c, "offload rte_flow: profile %s, %u rules, %s%s",
		            ft_dpdk_flow_profile(d->flow)->name, ft_dpdk_flow_n_rules(d->flow),
		            d->sync_ok ? "in sync" : "sync failed: ",
		            d->sync_ok ? "" : d->sync_err.message);
	else if (d->sim)
		conn_printf(c, "offload sim: %u rules, %s%s", ft_twin_n_rules(d->twin),
		            d->sync_ok ? "in sync" : "sync failed: ",
		            d->sync_ok ? "" : d->sync_err.message);
	else
		conn_printf(c, "offload none");
	for (uint32_t i = 0; i < d->n_wk; i++) {
		arp_sent += count_read(&d->wk[i]->arp_sent);
		lost += count_read(&d->wk[i]->events_lost);
	}
	conn_printf(c, "underlay: arp requests %" PRIu64 ", next hops learned %" PRIu64, arp_sent,
	            d->arp_learned);
	conn_printf(c, "workers: %u%s, events lost %" PRIu64, d->n_wk,
	            d->threaded ? "" : " (on the main lcore)", lost);
	/* Each worker's share: how RSS (or the device) spread the packets. */
	for (uint32_t i = 0; i < d->n_wk; i++) {
		const struct lworker *wk = d->wk[i];
		uint64_t rx = 0, tx = 0, nic = 0, resumed = 0, software = 0;

		for (uint32_t k = 0; k < d->n_ports; k++) {
			uint16_t port = d->ports[k];
			struct ft_dpdk_port_stats w;

			ft_dpdk_worker_stats(wk->dw, port, &w);
			rx += w.rx;
			tx += w.tx;
			nic += count_read(&wk->pc[port].nic);
			resumed += count_read(&wk->pc[port].resumed);
			software += count_read(&wk->pc[port].software);
		}
		conn_printf(c, "worker %u lcore %u: rx %" PRIu64 " tx %" PRIu64, i, wk->lcore, rx,
		            tx);
		if (d->sim || d->flow != NULL)
			conn_printf(c, "worker %u offload: nic %" PRIu64 " software %" PRIu64, i,
			            nic, resumed + software);
	}
	return 0;
}

static int
cmd_trace(struct daemon *d, struct conn *c, int argc, char **argv, struct ft_error *err)
{
	static uint8_t bytes[FT_PKT_HEADROOM + 9216];
	static struct ft_burst_result res;
	const char *hex = NULL;
	uint32_t in_port = 0;
	struct ft_pkt pkt;
	char *text, *save = NULL;
	int len;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--in-port") == 0 && i + 1 < argc) {
			if (parse_u32(argv[++i], UINT32_MAX, &in_port) < 0)
				return ft_error_set(err, -EINVAL, FT_ERR_PARAM, 0, "--in-port",
				                    "bad port '%s'", argv[i]);
		} else if (hex == NULL && argv[i][0] != '-') {
			hex = argv[i];
		} else {
			return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, "trace",
			                    "usage: trace HEX [--in-port N]");
		}
	}
	if (hex == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, "trace",
		                    "usage: trace HEX [--in-port N]");
	len = ft_hex_decode(hex, bytes + FT_PKT_HEADROOM, sizeof(bytes) - FT_PKT_HEADROOM);
	if (len <= 0 ||
	    ft_pkt_init(&pkt, bytes, sizeof(bytes), FT_PKT_HEADROOM, (uint16_t)len, in_port) < 0)
		return ft_error_set(err, -EINVAL, FT_ERR_PACKET, UINT32_MAX, "trace",
		                    "bad hex packet");
	ft_trace_reset(d->trace);
	ft_worker_trace(d->trace_w, &pkt, d->trace, &res);
	for (uint32_t t = 0; t < res.n_tx; t++)
		if (res.tx[t].pkt != &pkt)
			d->trace_pool.free(d->trace_pool.arg, res.tx[t].pkt);
	text = ft_trace_text(d->trace, d->pipe);
	if (text == NULL)
		return ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL,
		                    "out of memory");
	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		conn_line(c, l);
	free(text);
	return 0;
}

/* Runs one line from a client; the reply (output, then OK or ERR) goes to its buffer. */
static void
conn_command(struct daemon *d, struct conn *c, const char *line)
{
	char copy[LINE_MAX_BYTES], *argv[64];
	struct ft_error err = {0};
	int argc, rc;

	strcpy(copy, line);
	argc = split_words(copy, argv, 64);
	c->state = C_REPLY;
	if (argc < 0) {
		conn_line(c, "ERR too many words");
		return;
	}
	if (argc == 0) {
		conn_line(c, "ERR empty command");
		return;
	}
	if (strcmp(argv[0], "events") == 0 && argc == 1) {
		c->state = C_EVENTS;
		d->n_events_subs++;
		return;
	}
	if (strcmp(argv[0], "dump-flows") == 0 && argc == 1)
		rc = cmd_dump_flows(d, c, &err);
	else if (strcmp(argv[0], "stats") == 0 && argc == 1)
		rc = cmd_stats(d, c);
	else if (strcmp(argv[0], "trace") == 0)
		rc = cmd_trace(d, c, argc, argv, &err);
	else if (strcmp(argv[0], "events") == 0 || strcmp(argv[0], "dump-flows") == 0 ||
	         strcmp(argv[0], "stats") == 0)
		rc = ft_error_set(&err, -EINVAL, FT_ERR_UNSPEC, UINT32_MAX, argv[0],
		                  "takes no arguments");
	else {
		bool ro = read_only(argc, argv);

		if (!ro)
			twin_collect(d);
		rc = exec_text(d, line, conn_line, c, &err);
		if (rc == 0 && !ro)
			twin_sync(d);
	}
	if (rc < 0) {
		char buf[512];

		ft_error_format(&err, buf, sizeof(buf));
		conn_printf(c, "ERR %s", buf);
	} else {
		conn_line(c, "OK");
	}
}

/* --- The control socket ----------------------------------------------------------------- */

static int
ctl_open(struct daemon *d)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[sizeof(sa.sun_path)], *slash;
	int fd;

	strcpy(sa.sun_path, d->o.ctl_path);
	strcpy(dir, d->o.ctl_path);
	slash = strrchr(dir, '/');
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
			fprintf(stderr, PROG ": --ctl: mkdir %s: %s\n", dir, strerror(errno));
			return -1;
		}
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror(PROG ": socket");
		return -1;
	}
	/* A socket file left by a daemon that died is removed; a live daemon's is not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		fprintf(stderr, PROG ": --ctl %s: another daemon is listening there\n",
		        sa.sun_path);
		close(fd);
		return -1;
	}
	close(fd);
	unlink(sa.sun_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		fprintf(stderr, PROG ": --ctl %s: %s\n", sa.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	chmod(sa.sun_path, 0660);
	d->lfd = fd;
	return 0;
}

static void
ctl_accept(struct daemon *d)
{
	for (;;) {
		int fd = accept4(d->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		uint32_t i;

		if (fd < 0)
			return;
		for (i = 0; i < MAX_CONNS && d->conns[i] != NULL; i++)
			;
		if (i == MAX_CONNS || (d->conns[i] = calloc(1, sizeof(struct conn))) == NULL) {
			static const char busy[] = "ERR too many control connections\n";

			if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL) < 0) {
				/* nothing more to say */
			}
			close(fd);
			continue;
		}
		d->conns[i]->fd = fd;
		d->conns[i]->state = C_READ;
	}
}

/* Reads what a client sent; runs its line when complete. Returns -1 to close. */
static int
conn_read(struct daemon *d, struct conn *c)
{
	char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n == 0) {
		/* A client that closed its side still gets its reply; nobody reads events. */
		c->eof = true;
		return c->state == C_REPLY ? 0 : -1;
	}
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	if (c->state != C_READ)
		return 0; /* events: input ignored */
	for (ssize_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			c->in[c->in_len] = '\0';
			conn_command(d, c, c->in);
			return 0;
		}
		if (c->in_len == sizeof(c->in) - 1) {
			c->state = C_REPLY;
			conn_line(c, "ERR line too long");
			return 0;
		}
		c->in[c->in_len++] = buf[i];
	}
	return 0;
}

/* Writes what is buffered; -1 to close (error, or a reply sent whole). */
static int
conn_write(struct conn *c)
{
	while (c->out.off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->out.off, c->out.len - c->out.off,
		                 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->out.off += (size_t)n;
	}
	c->out.off = c->out.len = 0;
	return c->state == C_REPLY ? -1 : 0;
}

/* Serves the control socket, waiting up to 'wait_ms' for something to do. */
static void
ctl_service(struct daemon *d, int wait_ms)
{
	struct pollfd pfd[MAX_CONNS + 1];
	uint32_t idx[MAX_CONNS + 1], n = 0;

	pfd[n] = (struct pollfd){.fd = d->lfd, .events = POLLIN};
	idx[n++] = UINT32_MAX;
	for (uint32_t i = 0; i < MAX_CONNS; i++) {
		struct conn *c = d->conns[i];

		if (c == NULL)
			continue;
		pfd[n] = (struct pollfd){.fd = c->fd, .events = c->eof ? 0 : POLLIN};
		if (c->out.off < c->out.len)
			pfd[n].events |= POLLOUT;
		idx[n++] = i;
	}
	if (poll(pfd, n, wait_ms) <= 0)
		return;
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = idx[k];
		struct conn *c;

		if (pfd[k].revents == 0)
			continue;
		if (i == UINT32_MAX) {
			ctl_accept(d);
			continue;
		}
		c = d->conns[i];
		if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(d, c) < 0) {
			conn_close(d, i);
			continue;
		}
		if (c->state != C_READ && conn_write(c) < 0)
			conn_close(d, i);
	}
}

/* --- Start-up --------------------------------------------------------------------------- */

static int
exec_start(struct daemon *d, const char *line)
{
	struct ft_error err = {0};

	if (exec_text(d, line, NULL, NULL, &err) < 0)
		return fail_err(line, &err);
	return 0;
}

static int
apply_config(struct daemon *d, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t lineno = 0;
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, PROG ": --config %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (!stop_flag && (len = getline(&line, &cap, f)) >= 0) {
		struct ft_error err = {0};
		char buf[512];

		lineno++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (exec_text(d, line, NULL, NULL, &err) < 0) {
			ft_error_format(&err, buf, sizeof(buf));
			fprintf(stderr, PROG ": %s:%" PRIu64 ": %s\n", path, lineno, buf);
			rc = 1;
			break;
		}
		if (lineno % 10000 == 0)
			fprintf(stderr, PROG ": %s: %" PRIu64 " lines applied\n", path, lineno);
	}
	if (stop_flag && rc == 0)
		fprintf(stderr, PROG ": %s: stopped after %" PRIu64 " lines\n", path, lineno);
	free(line);
	fclose(f);
	return rc;
}

/*
 * Opens every port with one tx queue per worker and, preferably, one rx
 * queue per worker spread by RSS; a device without RSS gets its rx queues
 * all the same when it has enough (net_pcap: one file per queue), else one
 * rx queue, which one worker polls. Promiscuous where the device has it.
 */
static int
open_ports(struct daemon *d)
{
	struct {
		uint16_t n_rxq;
		bool rss_optional, promiscuous;
	} tries[] = {
	        {(uint16_t)d->n_wk, false, true},
	        {(uint16_t)d->n_wk, false, false},
	        {(uint16_t)d->n_wk, true, true},
	        {(uint16_t)d->n_wk, true, false},
	        {1, false, true},
	        {1, false, false},
	};
	struct ft_error err = {0};

	for (uint32_t i = 0; i < d->n_ports; i++) {
		uint16_t port = d->ports[i];
		int rc = -EINVAL;

		for (uint32_t t = 0; t < RTE_DIM(tries); t++) {
			struct ft_dpdk_port_params pp = {
			        .n_rxq = tries[t].n_rxq,
			        .n_txq = (uint16_t)d->n_wk,
			        .mempool = d->mp,
			        .promiscuous = tries[t].promiscuous,
			        .rss_optional = tries[t].rss_optional,
			};

			if (d->n_wk == 1 && t >= 2)
				break; /* one queue each: nothing else to try */
			ft_error_clear(&err);
			rc = ft_dpdk_port_open(port, &pp, &err);
			if (rc == 0) {
				d->port_rxq[port] = pp.n_rxq;
				if (d->n_wk > 1 && tries[t].rss_optional)
					fprintf(stderr,
					        PROG ": port %u: no RSS: %u rx queues as the "
					             "device fills them\n",
					        port, pp.n_rxq);
				else if (d->n_wk > 1 && pp.n_rxq == 1)
					fprintf(stderr,
					        PROG ": port %u: one rx queue only: worker %u "
					             "polls it alone\n",
					        port, i % d->n_wk);
				break;
			}
			/* -ENOTSUP: no RSS or no promiscuous mode; -EINVAL: too few queues. */
			if (rc != -ENOTSUP && rc != -EINVAL)
				break;
		}
		if (rc < 0)
			return fail_err("opening a port", &err);
		d->port_open[port] = true;
	}
	/* Worker w polls rx queue w of every port that has one per worker. */
	for (uint32_t i = 0; i < d->n_ports; i++) {
		uint16_t port = d->ports[i];

		for (uint32_t w = 0; w < d->n_wk; w++) {
			struct lworker *wk = d->wk[w];

			if (d->port_rxq[port] != d->n_wk && w != i % d->n_wk)
				continue;
			wk->poll_port[wk->n_poll] = port;
			wk->poll_queue[wk->n_poll] = d->port_rxq[port] == d->n_wk ? (uint16_t)w : 0;
			wk->n_poll++;
		}
	}
	return 0;
}

/*
 * --offload rte_flow, once the ports run: the NIC's profile is picked and
 * probed, the rules installed. A port whose PMD offloads no rte_flow rule
 * (af_packet, pcap, null, ring) leaves the daemon with the model alone.
 */
static int
flow_start(struct daemon *d)
{
	uint16_t ports[MAX_PORTS];
	struct ft_dpdk_flow_params fp = {.ports = ports, .n_ports = d->n_ports,
	                                 .api = FT_DPDK_FLOW_API_AUTO,
	                                 .on_compile = ft_dpdk_restore_on_compile};
	struct ft_error err = {0};

	/* The workers read the restore contexts as the syncs publish them. */
	if ((d->restore = ft_dpdk_restore_create(d->n_wk, &err)) == NULL)
		return fail_err("--offload rte_flow", &err);
	fp.compile_arg = d->restore;
	for (uint32_t i = 0; i < d->n_ports; i++)
		ports[i] = (uint16_t)d->ports[i];
	d->flow = ft_dpdk_flow_create(d->pipe, &fp, &err);
	if (d->flow == NULL && err.code == -ENOTSUP) {
		fprintf(stderr, PROG ": offload rte_flow: %s: the model runs every packet\n",
		        err.message);
		return 0;
	}
	if (d->flow == NULL)
		return fail_err("--offload rte_flow", &err);
	fprintf(stderr, PROG ": offload rte_flow: profile %s\n", ft_dpdk_flow_profile(d->flow)->name);
	twin_sync(d);
	return 0;
}

/* A worker's state, its lane of the twin with --offload sim; the ft_dpdk worker comes later. */
static int
worker_create(struct daemon *d, uint32_t id)
{
	struct ft_error err = {0};
	struct lworker *wk;

	wk = aligned_alloc(RTE_CACHE_LINE_SIZE, RTE_ALIGN_CEIL(sizeof(*wk), RTE_CACHE_LINE_SIZE));
	if (wk == NULL)
		return fail_err("out of memory", &err);
	memset(wk, 0, sizeof(*wk));
	d->wk[id] = wk;
	wk->d = d;
	wk->id = id;
	wk->lcore = d->threaded ? d->lcore_of[id] : rte_get_main_lcore();
	wk->res = calloc(1, sizeof(*wk->res));
	wk->tres = calloc(1, sizeof(*wk->tres));
	wk->fres = calloc(1, sizeof(*wk->fres));
	if (wk->res == NULL || wk->tres == NULL || wk->fres == NULL)
		return fail_err("out of memory", &err);
	for (uint32_t i = 0; i < d->n_ports; i++) {
		wk->act_drop[d->ports[i]] =
		        calloc(d->n_actions ? d->n_actions : 1, sizeof(uint64_t));
		if (wk->act_drop[d->ports[i]] == NULL)
			return fail_err("out of memory", &err);
	}
	if (d->twin != NULL && (wk->lane = ft_twin_lane_create(d->twin, &err)) == NULL)
		return fail_err("--offload sim", &err);
	return 0;
}

static void
worker_destroy(struct lworker *wk)
{
	if (wk == NULL)
		return;
	ft_dpdk_worker_destroy(wk->dw);
	for (uint32_t p = 0; p < MAX_PORTS; p++)
		free(wk->act_drop[p]);
	free(wk->res);
	free(wk->tres);
	free(wk->fres);
	free(wk);
}

static int
start(struct daemon *d)
{
	struct ft_pipeline_params pp = {0};
	struct ft_dpdk_worker_params wp = {0};
	struct ft_error err = {0};
	struct ft_program *prog;
	struct ft_program_info pi;
	char line[256];
	int rc;

	prog = ft_p4_load(d->o.p4, NULL, &err);
	if (prog == NULL) {
		fprintf(stderr, PROG ": %s\n", err.message);
		return 1;
	}
	/* The packet workers and the trace worker. */
	pp.n_workers_max = d->n_wk + 1 > 16 ? d->n_wk + 1 : 16;
	d->pipe = ft_pipeline_create(prog, &pp, &err);
	if (d->pipe == NULL) {
		ft_program_destroy(prog);
		return fail_err(d->o.p4, &err);
	}
	d->prog = ft_pipeline_program(d->pipe);
	d->ctl = ft_ctl_create(d->pipe);
	if (d->ctl == NULL)
		return fail_err("out of memory", &err);
	if (ft_vtep_attach(d->ctl, &d->vtep, &err) < 0)
		return fail_err("the program is not a VTEP (p4/vtep.p4)", &err);
	d->a_no_nexthop = ft_program_find_action(d->prog, "drop_no_nexthop");
	d->t_nexthop = ft_program_find_table(d->prog, "nexthop");
	d->t_vtep_known = ft_program_find_table(d->prog, "vtep_known");
	ft_program_info(d->prog, &pi);
	d->n_actions = pi.n_actions;

	/* Ports: the uplink, then the access ports. */
	d->ports[d->n_ports++] = (uint16_t)d->o.uplink;
	for (uint32_t i = 0; i < d->o.n_access; i++)
		d->ports[d->n_ports++] = d->o.access[i].port;
	for (uint32_t i = 0; i < d->n_ports; i++) {
		uint8_t mac[6];

		if (ft_dpdk_port_mac(d->ports[i], mac, &err) < 0)
			return fail_err(i == 0 ? "--uplink" : "--access", &err);
		if (i == 0)
			memcpy(d->vtep_mac, mac, 6);
	}
	if (d->o.vtep_mac != NULL &&
	    ft_ctl_parse_value(d->o.vtep_mac, 48, d->vtep_mac, "--vtep-mac", &err) < 0)
		return fail_err("--vtep-mac", &err);

	snprintf(line, sizeof(line), "vtep set local-ip %s", d->o.vtep_ip_text);
	if ((rc = exec_start(d, line)) != 0)
		return rc;
	snprintf(line, sizeof(line), "port add %d uplink lladdr %02x:%02x:%02x:%02x:%02x:%02x",
	         d->o.uplink, d->vtep_mac[0], d->vtep_mac[1], d->vtep_mac[2], d->vtep_mac[3],
	         d->vtep_mac[4], d->vtep_mac[5]);
	if ((rc = exec_start(d, line)) != 0)
		return rc;
	for (uint32_t i = 0; i < d->o.n_access; i++) {
		const struct access_opt *a = &d->o.access[i];
		int n = snprintf(line, sizeof(line), "port add %u access vni %u", a->port, a->vni);

		if (a->vlan >= 0)
			snprintf(line + n, sizeof(line) - (size_t)n, " vlan %d", a->vlan);
		if ((rc = exec_start(d, line)) != 0)
			return rc;
	}
	if (d->o.config != NULL && (rc = apply_config(d, d->o.config)) != 0)
		return rc;
	if (stop_flag)
		return 0; /* stopped while the configuration loaded */

	d->trace = ft_trace_create();
	d->trace_sp = ft_pkt_pool_simple_create(64, 9472, &d->trace_pool);
	if (d->trace == NULL || d->trace_sp == NULL)
		return fail_err("out of memory", &err);
	d->trace_w = ft_worker_create(d->pipe, &d->trace_pool, &err);
	if (d->trace_w == NULL)
		return fail_err("trace worker", &err);
	d->sim = d->o.offload == OFFLOAD_SIM;
	if (d->sim) {
		/* One compile and one rule set for every worker: each has its lane. */
		uint32_t tports[MAX_PORTS];
		struct ft_twin_params tp = {.profile = ft_nic_profile_find("sim"),
		                            .ports = tports,
		                            .n_ports = d->n_ports};

		for (uint32_t i = 0; i < d->n_ports; i++)
			tports[i] = d->ports[i];
		if ((d->twin = ft_twin_create(d->pipe, &tp, &err)) == NULL)
			return fail_err("--offload sim", &err);
	}
	for (uint32_t i = 0; i < d->n_wk; i++)
		if ((rc = worker_create(d, i)) != 0)
			return rc;
	twin_sync(d);

	d->mp = ft_dpdk_mempool_create("ft_vtep", N_MBUFS * d->n_wk, SOCKET_ID_ANY, &err);
	if (d->mp == NULL)
		return fail_err("mbuf pool", &err);
	wp.pipe = d->pipe;
	wp.copy_pool = d->mp;
	wp.burst = BURST;
	wp.run = run_burst;
	for (uint32_t i = 0; i < d->n_wk; i++) {
		wp.tx_queue = (uint16_t)i;
		wp.run_arg = d->wk[i];
		d->wk[i]->dw = ft_dpdk_worker_create(&wp, &err);
		if (d->wk[i]->dw == NULL)
			return fail_err("worker", &err);
	}
	if ((rc = open_ports(d)) != 0)
		return rc;
	if (d->o.offload == OFFLOAD_RTE_FLOW && (rc = flow_start(d)) != 0)
		return rc;
	if (ctl_open(d) < 0)
		return 1;
	return 0;
}

/* After the workers stopped. */
static void
stop(struct daemon *d)
{
	for (uint32_t i = 0; i < MAX_CONNS; i++)
		if (d->conns[i] != NULL)
			conn_close(d, i);
	if (d->lfd >= 0) {
		close(d->lfd);
		unlink(d->o.ctl_path);
	}
	/* The rules first (the NIC's, the sims'), then the ports. */
	ft_dpdk_flow_destroy(d->flow);
	d->flow = NULL;
	ft_dpdk_restore_destroy(d->restore);
	d->restore = NULL;
	ft_twin_destroy(d->twin); /* the lanes with it */
	d->twin = NULL;
	for (uint32_t i = 0; i < d->n_wk; i++)
		if (d->wk[i] != NULL)
			d->wk[i]->lane = NULL;
	for (uint32_t i = 0; i < d->n_ports; i++)
		if (d->port_open[d->ports[i]])
			ft_dpdk_port_close(d->ports[i], NULL);
	for (uint32_t i = 0; i < d->n_wk; i++)
		worker_destroy(d->wk[i]);
	ft_worker_destroy(d->trace_w);
	ft_pkt_pool_simple_destroy(d->trace_sp);
	ft_trace_destroy(d->trace);
	if (d->mp != NULL)
		rte_mempool_free(d->mp);
	ft_ctl_destroy(d->ctl);
	ft_vtep_destroy(d->vtep);
	ft_pipeline_destroy(d->pipe);
}

/* --- The loop ---------------------------------------------------------------------------- */

static bool
stopping(void)
{
	return __atomic_load_n(&stop_flag, __ATOMIC_RELAXED) != 0;
}

static void
periodic(struct daemon *d)
{
	struct ft_error err = {0};
	int n;

	twin_collect(d);
	n = ft_ctl_poll(d->ctl, broadcast_line, d, &err);
	if (n < 0 && err.code != -EBUSY)
		fail_err("learning and aging", &err);
	if (n > 0)
		twin_sync(d);
}

/*
 * One burst from each of the worker's queues; true if one had packets.
 * With the NIC's rules, a round that found every queue short of a full
 * burst says so to the restore table (dpdk_restore.h: packets in the rings).
 */
static bool
worker_round(struct lworker *wk)
{
	struct ft_dpdk_restore *rt = wk->d->restore;
	uint64_t round = rt != NULL ? ft_dpdk_restore_round(rt) : 0;
	bool busy = false, drained = true;

	for (uint32_t i = 0; i < wk->n_poll; i++) {
		const struct ft_burst_result *res;
		int n = ft_dpdk_poll(wk->dw, wk->poll_port[i], wk->poll_queue[i], &res);

		drained &= n >= 0 && n < BURST;
		if (n > 0) {
			busy = true;
			after_burst(wk, wk->poll_port[i], n, res);
		}
	}
	if (rt != NULL && drained)
		ft_dpdk_restore_drained(rt, wk->id, round);
	if (wk->id == 0)
		arp_send_queued(wk);
	return busy;
}

/* Nothing to do for a while: let the CPU rest a little (latency of 50 us at most). */
static void
idle_rest(bool busy, uint32_t *idle)
{
	struct timespec ts = {0, 50000};

	if (busy)
		*idle = 0;
	else if (++*idle > 64)
		nanosleep(&ts, NULL);
}

/* A worker lcore's loop, until SIGINT or SIGTERM. */
static int
worker_main(void *arg)
{
	struct lworker *wk = arg;
	uint32_t idle = 0;

	while (!stopping())
		idle_rest(worker_round(wk), &idle);
	return 0;
}

static void
run_loop(struct daemon *d)
{
	uint64_t last_poll = now_ms(), last_ctl = 0;
	uint32_t idle = 0;

	while (!stopping()) {
		bool busy = false;
		uint64_t now;

		if (!d->threaded)
			busy = worker_round(d->wk[0]);
		drain_workers(d);
		if (d->n_replies > 0)
			apply_replies(d);
		if (d->need_resolve)
			resolve_unresolved(d);
		now = now_ms();
		if (d->threaded) {
			ctl_service(d, 1); /* waits up to 1 ms: the main lcore can share a core */
		} else if (!busy || now != last_ctl) {
			ctl_service(d, 0);
			last_ctl = now;
		}
		if (now - last_poll >= POLL_PERIOD_MS) {
			periodic(d);
			last_poll = now;
		}
		if (!d->threaded)
			idle_rest(busy, &idle);
	}
}

/*
 * How many workers, on which lcores: --lcores-workers N, else one per
 * worker lcore (one on the main lcore when there is none). Returns 0, or
 * the exit code after saying why.
 */
static int
plan_workers(struct daemon *d)
{
	uint32_t n_lw = rte_lcore_count() - 1, i = 0;
	unsigned int lcore;

	d->n_wk = d->o.workers ? d->o.workers : (n_lw ? n_lw : 1);
	if (d->n_wk > MAX_WORKERS) {
		fprintf(stderr, PROG ": --lcores-workers %u: at most %u\n", d->n_wk, MAX_WORKERS);
		return 2;
	}
	if (n_lw == 0) {
		if (d->n_wk > 1) {
			fprintf(stderr,
			        PROG
			        ": --lcores-workers %u: needs %u worker lcores besides the main "
			        "lcore; the EAL has none (-l 0-%u, or --lcores)\n",
			        d->n_wk, d->n_wk, d->n_wk);
			return 2;
		}
		return 0; /* the main lcore runs the worker */
	}
	if (d->n_wk > n_lw) {
		fprintf(stderr,
		        PROG ": --lcores-workers %u: the EAL has %u worker lcores besides the "
		             "main lcore (-l, --lcores)\n",
		        d->n_wk, n_lw);
		return 2;
	}
	if (d->n_wk < n_lw)
		fprintf(stderr, PROG ": %u worker lcores stay idle\n", n_lw - d->n_wk);
	d->threaded = true;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		if (i == d->n_wk)
			break;
		d->lcore_of[i++] = lcore;
	}
	return 0;
}

/* Starts each worker on its lcore. */
static int
launch_workers(struct daemon *d)
{
	for (uint32_t i = 0; i < d->n_wk; i++) {
		int rc;

		d->wk[i]->lcore = d->lcore_of[i];
		rc = rte_eal_remote_launch(worker_main, d->wk[i], d->wk[i]->lcore);
		if (rc != 0) {
			fprintf(stderr, PROG ": worker %u on lcore %u: %s\n", i, d->wk[i]->lcore,
			        strerror(-rc));
			return 1;
		}
		d->launched = true;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct daemon d;
	struct ft_error err = {0};
	struct sigaction sa = {0};
	int sep = -1, rc, eal_argc;

	ft_log_set_sink(log_stderr, NULL);
	ft_log_set_level(FT_LOG_WARNING);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep < 0) {
		if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			usage(stdout);
			return 0;
		}
		fprintf(stderr, PROG ": the options go after '--' (EAL arguments before it)\n");
		usage(stderr);
		return 2;
	}
	/* The daemon's options first: a mistake there needs no EAL to be reported. */
	argv[sep] = argv[0];
	rc = parse_opts(argc - sep, argv + sep, &d.o);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	argv[sep] = NULL;
	eal_argc = sep;
	d.lfd = -1;

	if (ft_dpdk_eal_init(eal_argc, argv, &err) < 0)
		return fail_err("EAL", &err);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	rc = plan_workers(&d);
	if (rc == 0)
		rc = start(&d);
	if (rc == 0 && !stop_flag && d.threaded)
		rc = launch_workers(&d);
	if (rc == 0 && !stop_flag) {
		fprintf(stderr,
		        PROG ": running: %u ports, offload %s, %u worker%s%s, control socket %s\n",
		        d.n_ports,
		        d.o.offload == OFFLOAD_SIM ? "sim" : d.flow != NULL ? "rte_flow" : "none", d.n_wk,
		        d.n_wk > 1 ? "s" : "", d.threaded ? "" : " on the main lcore",
		        d.o.ctl_path);
		run_loop(&d);
		fprintf(stderr, PROG ": stopping\n");
	}
	/* The workers stop and are joined before the ports close. */
	stop_flag = 1;
	if (d.launched)
		rte_eal_mp_wait_lcore();
	stop(&d);
	ft_dpdk_eal_cleanup();
	return rc;
}
