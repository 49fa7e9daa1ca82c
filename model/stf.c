/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STF runner (include/flowtwin/stf.h). Part of model/, the bottom layer: it
 * drives a pipeline through its public API only (program.h for names,
 * pipeline.h for entries, workers and counters) and hands the lines it does
 * not know to the control API (ctl.h).
 *
 * A run reads the text line by line. Table commands become one transaction
 * each; a packet line runs one packet through a worker of the run's own at
 * once, and every packet the pipeline sends is copied into the run's list of
 * outputs, with its port and the packet line that caused it. Expect lines
 * only go into the list of expects: the two lists are compared when the text
 * ends (check() below), as p4c's bmv2 runner compares its pcap files after
 * the switch has stopped, so an expect may stand before or after the packet
 * that meets it.
 *
 * Expected data is kept as the string of hex digits the file gave ('*' for a
 * digit that does not matter) and compared with the received bytes digit by
 * digit, which is how p4c compares (tools/testutils.py, compare_pkt()).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <flowtwin/ctl.h>
#include <flowtwin/packet.h>
#include <flowtwin/pipeline.h>
#include <flowtwin/program.h>
#include <flowtwin/stf.h>

#include "model_private.h"

/* Copies of packets: as many as one burst can send, big enough for any packet of a file. */
#define POOL_N    FT_BURST_TX_MAX
#define POOL_BUF  (2 * FT_PKT_HEADROOM + FT_STF_PACKET_MAX)
#define NUM_BYTES 16 /* FT_FIELD_BITS_MAX / 8 */

struct expect {
	uint32_t line;
	uint32_t port;
	char *digits; /* lower-case hex and '*'; NULL: any packets on the port */
	uint32_t n_digits;
	bool exact; /* '$': the length must be n_digits / 2 */
	bool done;
};

struct output {
	uint32_t line; /* of the packet line that caused it */
	uint32_t port;
	uint8_t *bytes;
	uint32_t len;
	bool done;
};

/* An event: a digest (its text and its raw form) or a line of ft_ctl_poll(). */
struct event {
	uint32_t line; /* of the packet or wait line that caused it */
	char *text;    /* ft_ctl_event_text(), or the poll line; NULL: none */
	char *raw;     /* "DIGEST HEX"; NULL for a poll line */
	bool done;
};

/* expect_event TEXT */
struct expect_event {
	uint32_t line;
	char *text; /* words separated by one space */
	bool done;
};

/* An entry that 'add ... = NAME' named, to find its counters again. */
struct named {
	char *name;
	uint32_t table;
	uint32_t priority;
	uint8_t key[FT_KEY_BYTES_MAX];
	uint8_t mask[FT_KEY_BYTES_MAX];
};

struct stf {
	struct ft_pipeline *pipe;
	const struct ft_program *prog;
	struct ft_ctl *ctl;
	const char *name;
	uint32_t line;
	ft_ctl_out_fn out;
	void *arg;
	struct ft_error *err;
	struct ft_stf_result res;

	struct ft_worker *w;
	struct ft_pkt_pool pool;
	struct ft_pkt_pool_simple *sp;
	struct ft_burst_result *br;

	struct expect *expects;
	uint32_t n_expects, cap_expects;
	struct output *outputs;
	uint32_t n_outputs, cap_outputs;
	struct named *named;
	uint32_t n_named, cap_named;
	struct event *events;
	uint32_t n_events, cap_events;
	struct expect_event *xevents;
	uint32_t n_xevents, cap_xevents;
	bool check_events; /* an expect_event or no_event line was seen */
	int poll_rc;       /* of poll_line() */
	const struct ft_stf_options *opts;
};

/* --- Messages -------------------------------------------------------------- */

static int bad(struct stf *s, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct stf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Fails the run at the current line: "NAME:LINE: message" in s->err. Returns 'code'. */
static int
bad(struct stf *s, int code, const char *fmt, ...)
{
	char msg[FT_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ft_error_set(s->err, code, FT_ERR_SOURCE, s->line, s->name, "%s:%u: %s", s->name,
	                    s->line, msg);
}

/* Wraps an error of the pipeline or of 'ctl' as an error of the current line. */
static int
bad_from(struct stf *s, int code, const struct ft_error *inner)
{
	char msg[FT_ERROR_MSG_MAX];

	ft_error_format(inner, msg, sizeof(msg));
	return bad(s, code, "%s", msg);
}

/* Writes one line to 'out', if there is one. */
static void
say(struct stf *s, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	int n;

	if (s->out == NULL)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n >= 0) {
		s->out(s->arg, text);
		free(text);
	}
}

/* Lower-case hex of 'len' bytes. Caller owns the result; free with free(). NULL: no memory. */
static char *
hex_dup(const uint8_t *p, uint32_t len)
{
	static const char digit[] = "0123456789abcdef";
	char *h = malloc(2 * (size_t)len + 1);

	if (h == NULL)
		return NULL;
	for (uint32_t i = 0; i < len; i++) {
		h[2 * i] = digit[p[i] >> 4];
		h[2 * i + 1] = digit[p[i] & 15];
	}
	h[2 * len] = '\0';
	return h;
}

/* --- Growing arrays -------------------------------------------------------- */

static void *
grow(void *arr, uint32_t *cap, uint32_t n, size_t size)
{
	void *p;
	uint32_t c;

	if (n < *cap)
		return arr;
	c = *cap ? 2 * *cap : 16;
	p = realloc(arr, c * size);
	if (p)
		*cap = c;
	return p;
}

/* --- Words and numbers ----------------------------------------------------- */

static char *
skip_space(char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

/* Cuts the next space-separated word off '*p'; NULL at the end. */
static char *
next_word(char **p)
{
	char *w = skip_space(*p), *e;

	if (*w == '\0')
		return NULL;
	for (e = w; *e && !isspace((unsigned char)*e); e++)
		;
	if (*e)
		*e++ = '\0';
	*p = e;
	return w;
}

static void
trim_end(char *p)
{
	size_t n = strlen(p);

	while (n > 0 && isspace((unsigned char)p[n - 1]))
		p[--n] = '\0';
}

/* a = a * mul + add on a 128-bit big-endian number; false when it no longer fits. */
static bool
num_mul_add(uint8_t a[NUM_BYTES], unsigned int mul, unsigned int add)
{
	unsigned int carry = add;

	for (int i = NUM_BYTES - 1; i >= 0; i--) {
		unsigned int v = a[i] * mul + carry;

		a[i] = (uint8_t)v;
		carry = v >> 8;
	}
	return carry == 0;
}

/* Whether the 128-bit number 'a' fits in 'bits' bits. */
static bool
num_fits(const uint8_t a[NUM_BYTES], uint32_t bits)
{
	for (uint32_t b = bits; b < NUM_BYTES * 8; b++)
		if (a[NUM_BYTES - 1 - b / 8] & (1u << (b % 8)))
			return false;
	return true;
}

/* 'a' = the mask of the 'bits' low bits. */
static void
num_ones(uint8_t a[NUM_BYTES], uint32_t bits)
{
	memset(a, 0, NUM_BYTES);
	for (uint32_t b = 0; b < bits; b++)
		a[NUM_BYTES - 1 - b / 8] |= (uint8_t)(1u << (b % 8));
}

/* 'a' = a prefix of 'len' bits of a 'bits'-bit field. */
static void
num_prefix(uint8_t a[NUM_BYTES], uint32_t bits, uint32_t len)
{
	memset(a, 0, NUM_BYTES);
	for (uint32_t b = bits - len; b < bits; b++)
		a[NUM_BYTES - 1 - b / 8] |= (uint8_t)(1u << (b % 8));
}

/*
 * Parses a number of at most 'bits' bits: decimal, 0x hex or 0b binary.
 * With 'mask' non-NULL, '*' digits are allowed in hex and binary: *star is
 * set if there were any, and 'mask' gets ones for the digits written and
 * zeros for the '*' digits and above the digits. 'what' names the field.
 */
static int
num_parse(struct stf *s, const char *text, uint32_t bits, uint8_t val[NUM_BYTES],
          uint8_t mask[NUM_BYTES], bool *star, const char *what)
{
	unsigned int base = 10, shift = 0;
	const char *p = text;
	uint8_t m[NUM_BYTES] = {0};

	memset(val, 0, NUM_BYTES);
	if (star)
		*star = false;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16, shift = 4, p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2, shift = 1, p += 2;
	}
	if (*p == '\0')
		return bad(s, -EINVAL, "%s: '%s' is not a number", what, text);
	for (; *p; p++) {
		unsigned int d;

		if (*p == '*' && base != 10 && mask != NULL) {
			*star = true;
			d = 0;
		} else if (isdigit((unsigned char)*p)) {
			d = (unsigned int)(*p - '0');
		} else if (isxdigit((unsigned char)*p)) {
			d = (unsigned int)(tolower((unsigned char)*p) - 'a' + 10);
		} else {
			return bad(s, -EINVAL, "%s: '%s' is not a number", what, text);
		}
		if (d >= base)
			return bad(s, -EINVAL, "%s: '%s' is not a number", what, text);
		if (!num_mul_add(val, base, d))
			return bad(s, -EINVAL, "%s: %s does not fit in %u bits", what, text, bits);
		if (shift && !num_mul_add(m, base, *p == '*' ? 0 : base - 1))
			return bad(s, -EINVAL, "%s: %s does not fit in %u bits", what, text, bits);
	}
	if (!num_fits(val, bits))
		return bad(s, -EINVAL, "%s: %s does not fit in %u bits", what, text, bits);
	if (mask) {
		if (*star) {
			uint8_t ones[NUM_BYTES];

			num_ones(ones, bits);
			for (int i = 0; i < NUM_BYTES; i++)
				mask[i] = m[i] & ones[i];
		} else {
			num_ones(mask, bits);
		}
	}
	return 0;
}

/* Parses a plain number of at most 64 bits. */
static int
u64_parse(struct stf *s, const char *text, uint32_t bits, uint64_t *out, const char *what)
{
	uint8_t v[NUM_BYTES];
	int rc = num_parse(s, text, bits, v, NULL, NULL, what);

	*out = 0;
	for (int i = NUM_BYTES - 8; i < NUM_BYTES && rc == 0; i++)
		*out = *out << 8 | v[i];
	return rc;
}

/* Stores the low ceil(bits / 8) bytes of 'a' at 'out'. */
static void
num_store(const uint8_t a[NUM_BYTES], uint32_t bits, uint8_t *out)
{
	uint32_t n = (bits + 7) / 8;

	memcpy(out, a + NUM_BYTES - n, n);
}

/* --- Names ----------------------------------------------------------------- */

/* Whether dotted name 'a' ends with the components of 'b' ("x.y.z", "y.z"). */
static bool
name_ends_with(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (lb > la)
		return false;
	if (strcmp(a + la - lb, b) != 0)
		return false;
	return la == lb || a[la - lb - 1] == '.';
}

/* Whether two names are the same or one is a dotted suffix of the other. */
static bool
name_like(const char *a, const char *b)
{
	return name_ends_with(a, b) || name_ends_with(b, a);
}

static int
table_find(struct stf *s, const char *name)
{
	struct ft_program_info info;
	struct ft_table_decl td;
	int found = -1;

	int id = ft_program_find_table(s->prog, name);
	if (id >= 0)
		return id;
	ft_program_info(s->prog, &info);
	for (uint32_t t = 0; t < info.n_tables; t++) {
		if (ft_program_table(s->prog, t, &td) < 0 || !name_like(td.name, name))
			continue;
		if (found >= 0)
			return bad(s, -EINVAL, "table name '%s' is ambiguous", name);
		found = (int)t;
	}
	if (found < 0)
		return bad(s, -ENOENT, "unknown table '%s'", name);
	return found;
}

/* An action of table 'td' by name (or dotted suffix either way). */
static int
action_find(struct stf *s, const struct ft_table_decl *td, const char *name)
{
	struct ft_action_info ai;
	int found = -1;

	for (int pass = 0; pass < 2 && found < 0; pass++) {
		for (uint32_t i = 0; i < td->n_actions; i++) {
			uint32_t a = td->actions[i].action;

			if (ft_program_action(s->prog, a, &ai) < 0)
				continue;
			if (pass == 0 ? strcmp(ai.name, name) != 0 : !name_like(ai.name, name))
				continue;
			if (found >= 0)
				return bad(s, -EINVAL,
				           "action name '%s' is ambiguous in table '%s'", name,
				           td->name);
			found = (int)a;
		}
	}
	if (found < 0)
		return bad(s, -ENOENT, "table '%s' has no action '%s'", td->name, name);
	return found;
}

#define KEY_NAMES_MAX 3 /* the name, and "hdr." + it or two for in_port */
#define KEY_NAME_LEN  160

/* The names a key field goes by: "hdr.h.f", "meta.m", "std.s" and aliases. */
static uint32_t
key_names(const struct ft_program *prog, const struct ft_ref *ref,
          char names[KEY_NAMES_MAX][KEY_NAME_LEN])
{
	uint32_t n = 1;

	if (ft_program_ref_name(prog, ref, names[0], KEY_NAME_LEN) < 0)
		return 0;
	if (ref->kind == FT_REF_FIELD) /* as the P4 program writes it */
		snprintf(names[n++], KEY_NAME_LEN, "hdr.%.*s", KEY_NAME_LEN - 5, names[0]);
	if (ref->kind == FT_REF_STD && ref->id == FT_STD_IN_PORT) {
		snprintf(names[n++], KEY_NAME_LEN, "istd.input_port");
		snprintf(names[n++], KEY_NAME_LEN, "standard_metadata.ingress_port");
	}
	return n;
}

/*
 * Which key of table 'td' 'name' means: a name of the key itself; else the
 * one key it is a dotted suffix of (or that is a suffix of it); else the one
 * key that the name without its first component is a suffix of (a program's
 * own name for its metadata struct: "user_meta.vni" for "meta.vni").
 */
static int
key_find(struct stf *s, const struct ft_table_decl *td, const char *name)
{
	char names[KEY_NAMES_MAX][KEY_NAME_LEN];
	const char *rest = strchr(name, '.');
	int found = -1;

	for (int pass = 0; pass < 3 && found < 0; pass++) {
		if (pass == 2 && rest == NULL)
			break;
		for (uint32_t k = 0; k < td->n_keys; k++) {
			uint32_t n = key_names(s->prog, &td->keys[k].ref, names);
			bool hit = false;

			for (uint32_t i = 0; i < n && !hit; i++) {
				if (pass == 0)
					hit = strcmp(names[i], name) == 0;
				else if (pass == 1)
					hit = name_like(names[i], name);
				else
					hit = name_ends_with(names[i], rest + 1);
			}
			if (!hit)
				continue;
			if (found >= 0 && found != (int)k)
				return bad(s, -EINVAL, "key field '%s' is ambiguous in table '%s'",
				           name, td->name);
			found = (int)k;
		}
	}
	if (found < 0)
		return bad(s, -ENOENT, "table '%s' has no key field '%s'", td->name, name);
	return found;
}

/* --- add, setdefault, remove ----------------------------------------------- */

/* Parses a key value for key 'k' of 'td' into value and mask (NUM_BYTES each). */
static int
key_value(struct stf *s, const struct ft_table_decl *td, uint32_t k, const char *name, char *text,
          uint8_t val[NUM_BYTES], uint8_t mask[NUM_BYTES])
{
	enum ft_match_kind match = td->keys[k].match;
	uint32_t bits = ft_program_ref_width(s->prog, UINT32_MAX, &td->keys[k].ref);
	char what[KEY_NAME_LEN + 16];
	char *amp = strstr(text, "&&&"), *slash = strchr(text, '/');
	bool star;
	int rc;

	snprintf(what, sizeof(what), "key field '%s'", name);
	if (bits == 0 || bits > NUM_BYTES * 8)
		return bad(s, -EINVAL, "%s: bad width", what);
	if (amp != NULL) {
		if (match != FT_MATCH_TERNARY)
			return bad(s, -EINVAL, "%s: VALUE&&&MASK needs a ternary field", what);
		*amp = '\0';
		if ((rc = num_parse(s, text, bits, val, NULL, NULL, what)) ||
		    (rc = num_parse(s, amp + 3, bits, mask, NULL, NULL, what)))
			return rc;
	} else if (slash != NULL) {
		uint64_t len;

		if (match == FT_MATCH_EXACT)
			return bad(s, -EINVAL, "%s: VALUE/LENGTH needs an lpm or ternary field",
			           what);
		*slash = '\0';
		if ((rc = num_parse(s, text, bits, val, NULL, NULL, what)) ||
		    (rc = u64_parse(s, slash + 1, 32, &len, what)))
			return rc;
		if (len > bits)
			return bad(s, -EINVAL, "%s: prefix /%llu is longer than %u bits", what,
			           (unsigned long long)len, bits);
		num_prefix(mask, bits, (uint32_t)len);
	} else {
		if ((rc = num_parse(s, text, bits, val, match == FT_MATCH_EXACT ? NULL : mask,
		                    &star, what)))
			return rc;
		if (match == FT_MATCH_EXACT)
			num_ones(mask, bits);
	}
	for (int i = 0; i < NUM_BYTES; i++)
		val[i] &= mask[i];
	if (match == FT_MATCH_LPM) {
		/* A prefix: ones, then zeros, within the field. */
		uint8_t pre[NUM_BYTES];
		uint32_t len = 0;

		for (uint32_t b = bits; b-- > 0;) {
			if (!(mask[NUM_BYTES - 1 - b / 8] & (1u << (b % 8))))
				break;
			len++;
		}
		num_prefix(pre, bits, len);
		if (memcmp(pre, mask, NUM_BYTES) != 0)
			return bad(s, -EINVAL, "%s: '*' digits of an lpm field must come last",
			           what);
	}
	return 0;
}

/*
 * Parses "ACTION(PARAM:VALUE, ...)" for table 'td' from 'p' (the rest of
 * the line). Fills the action and its packed data; *end is set after ')'.
 */
static int
action_call(struct stf *s, const struct ft_table_decl *td, char *p, uint32_t *action, uint8_t *data,
            char **end)
{
	struct ft_action_info ai;
	char *open = strchr(p, '('), *close, *arg;
	bool given[FT_ACTION_DATA_MAX] = {false};
	uint32_t off[FT_ACTION_DATA_MAX];
	int a, rc;

	if (open == NULL || (close = strchr(open, ')')) == NULL)
		return bad(s, -EINVAL, "expected ACTION(PARAM:VALUE, ...)");
	*open = '\0';
	*close = '\0';
	*end = close + 1;
	trim_end(p);
	if (*p == '\0')
		return bad(s, -EINVAL, "missing action name");
	if ((a = action_find(s, td, p)) < 0)
		return a;
	ft_program_action(s->prog, (uint32_t)a, &ai);
	for (uint32_t i = 0, o = 0; i < ai.n_params && i < FT_ACTION_DATA_MAX; i++) {
		off[i] = o;
		o += (ai.params[i].bits + 7) / 8;
	}
	memset(data, 0, FT_ACTION_DATA_MAX);
	for (char *list = open + 1; (arg = strsep(&list, ",")) != NULL;) {
		char *colon, *pname = skip_space(arg), *val;
		uint8_t v[NUM_BYTES];
		char what[FT_ERROR_MSG_MAX / 2];
		uint32_t i;

		trim_end(pname);
		if (*pname == '\0' && list == NULL)
			break; /* "action()", or a comma at the end */
		if ((colon = strchr(pname, ':')) == NULL)
			return bad(s, -EINVAL, "action '%s': expected PARAM:VALUE, got '%s'",
			           ai.name, pname);
		*colon = '\0';
		trim_end(pname);
		val = skip_space(colon + 1);
		for (i = 0; i < ai.n_params; i++)
			if (strcmp(ai.params[i].name, pname) == 0)
				break;
		if (i == ai.n_params)
			return bad(s, -ENOENT, "action '%s' has no parameter '%s'", ai.name, pname);
		if (given[i])
			return bad(s, -EINVAL, "action '%s': parameter '%s' given twice", ai.name,
			           pname);
		snprintf(what, sizeof(what), "parameter '%s'", pname);
		if ((rc = num_parse(s, val, ai.params[i].bits, v, NULL, NULL, what)))
			return rc;
		num_store(v, ai.params[i].bits, data + off[i]);
		given[i] = true;
	}
	for (uint32_t i = 0; i < ai.n_params; i++)
		if (!given[i])
			return bad(s, -EINVAL, "action '%s': missing parameter '%s'", ai.name,
			           ai.params[i].name);
	*action = (uint32_t)a;
	return 0;
}

/* Runs one change as its own transaction: an entry (e != NULL) or a default action. */
static int
commit_one(struct stf *s, uint32_t table, const struct ft_entry *e, uint32_t action,
           const uint8_t *data)
{
	struct ft_error perr;
	struct ft_txn *txn = ft_txn_begin(s->pipe, &perr);
	int rc;

	if (txn == NULL)
		return bad_from(s, perr.code ? perr.code : -ENOMEM, &perr);
	rc = e ? ft_txn_entry_add(txn, table, e, &perr)
	       : ft_txn_default_set(txn, table, action, data, &perr);
	if (rc < 0) {
		ft_txn_abort(txn);
		return bad_from(s, rc, &perr);
	}
	if ((rc = ft_txn_commit(txn, &perr)) < 0)
		return bad_from(s, rc, &perr);
	return 0;
}

/* add TABLE [PRIORITY] FIELD:VALUE... ACTION(PARAM:VALUE, ...) [= NAME] */
static int
cmd_add(struct stf *s, char *p)
{
	struct ft_table_decl td;
	uint8_t key[FT_KEY_BYTES_MAX] = {0}, mask[FT_KEY_BYTES_MAX] = {0};
	uint8_t data[FT_ACTION_DATA_MAX];
	uint32_t off[FT_KEY_BYTES_MAX];
	bool given[FT_KEY_BYTES_MAX] = {false};
	uint32_t priority = 0, action = 0;
	char *w, *tname, *end;
	struct ft_entry e;
	int t, rc;

	if ((tname = next_word(&p)) == NULL)
		return bad(s, -EINVAL, "add: missing table");
	if ((t = table_find(s, tname)) < 0)
		return t;
	ft_program_table(s->prog, (uint32_t)t, &td);
	if (td.n_keys == 0)
		return bad(s, -EINVAL, "table '%s' has no key", td.name);
	for (uint32_t k = 0, o = 0; k < td.n_keys; k++) {
		uint32_t bits = ft_program_ref_width(s->prog, UINT32_MAX, &td.keys[k].ref);

		off[k] = o;
		o += (bits + 7) / 8;
	}
	p = skip_space(p);
	if (isdigit((unsigned char)*p)) {
		char *q = p;

		while (isdigit((unsigned char)*q))
			q++;
		if (*q == '\0' || isspace((unsigned char)*q)) {
			uint64_t prio;

			w = next_word(&p);
			if ((rc = u64_parse(s, w, 32, &prio, "priority")))
				return rc;
			priority = (uint32_t)prio;
		}
	}
	for (;;) {
		char *colon, *q;
		uint8_t v[NUM_BYTES], m[NUM_BYTES];
		uint32_t bits;
		int k;

		p = skip_space(p);
		for (q = p; *q && !isspace((unsigned char)*q) && *q != '(' && *q != ':'; q++)
			;
		if (*q != ':')
			break; /* the action */
		w = next_word(&p);
		colon = strchr(w, ':');
		*colon = '\0';
		if ((k = key_find(s, &td, w)) < 0)
			return k;
		if (given[k])
			return bad(s, -EINVAL, "key field '%s' given twice", w);
		if ((rc = key_value(s, &td, (uint32_t)k, w, colon + 1, v, m)))
			return rc;
		bits = ft_program_ref_width(s->prog, UINT32_MAX, &td.keys[k].ref);
		num_store(v, bits, key + off[k]);
		num_store(m, bits, mask + off[k]);
		given[k] = true;
	}
	/* Left out: exact fields are 0, the others match anything (zero mask). */
	for (uint32_t k = 0; k < td.n_keys; k++) {
		uint32_t bits = ft_program_ref_width(s->prog, UINT32_MAX, &td.keys[k].ref);
		uint8_t ones[NUM_BYTES];

		if (!given[k] && td.keys[k].match == FT_MATCH_EXACT) {
			num_ones(ones, bits);
			num_store(ones, bits, mask + off[k]);
		}
	}
	if (*p == '\0')
		return bad(s, -EINVAL, "add: missing action");
	if ((rc = action_call(s, &td, p, &action, data, &end)))
		return rc;
	p = skip_space(end);
	if (*p == '=') {
		struct named *n;

		p++;
		if ((w = next_word(&p)) == NULL)
			return bad(s, -EINVAL, "add: missing entry name after '='");
		for (uint32_t i = 0; i < s->n_named; i++)
			if (strcmp(s->named[i].name, w) == 0)
				return bad(s, -EEXIST, "add: entry name '%s' used twice", w);
		if (!(s->named = grow(s->named, &s->cap_named, s->n_named, sizeof(*s->named))))
			return bad(s, -ENOMEM, "out of memory");
		n = &s->named[s->n_named];
		memset(n, 0, sizeof(*n));
		if ((n->name = strdup(w)) == NULL)
			return bad(s, -ENOMEM, "out of memory");
		s->n_named++;
		n->table = (uint32_t)t;
		n->priority = priority;
		memcpy(n->key, key, sizeof(key));
		memcpy(n->mask, mask, sizeof(mask));
	}
	if (*skip_space(p) != '\0')
		return bad(s, -EINVAL, "add: unexpected '%s' after the action", skip_space(p));
	e = (struct ft_entry){
	        .key = key, .mask = mask, .priority = priority, .action = action, .data = data};
	return commit_one(s, (uint32_t)t, &e, 0, NULL);
}

/* setdefault TABLE ACTION(PARAM:VALUE, ...) */
static int
cmd_setdefault(struct stf *s, char *p)
{
	struct ft_table_decl td;
	uint8_t data[FT_ACTION_DATA_MAX];
	uint32_t action;
	char *tname, *end;
	int t, rc;

	if ((tname = next_word(&p)) == NULL)
		return bad(s, -EINVAL, "setdefault: missing table");
	if ((t = table_find(s, tname)) < 0)
		return t;
	ft_program_table(s->prog, (uint32_t)t, &td);
	if ((rc = action_call(s, &td, p, &action, data, &end)))
		return rc;
	if (*skip_space(end) != '\0')
		return bad(s, -EINVAL, "setdefault: unexpected '%s' after the action",
		           skip_space(end));
	return commit_one(s, (uint32_t)t, NULL, action, data);
}

struct entries {
	struct ft_entry *e;
	uint32_t *table;
	uint32_t n, cap;
};

/* Copies each entry's key, mask and priority (ft_entry_fn for the table walk). */
static int
collect(uint32_t table, const struct ft_entry_info *info, void *arg)
{
	struct entries *es = arg;
	uint8_t *key;

	if (es->n == es->cap) {
		uint32_t cap = es->cap ? 2 * es->cap : 64;
		struct ft_entry *e = realloc(es->e, cap * sizeof(*e));
		uint32_t *t;

		if (e == NULL)
			return -ENOMEM;
		es->e = e;
		if ((t = realloc(es->table, cap * sizeof(*t))) == NULL)
			return -ENOMEM;
		es->table = t;
		es->cap = cap;
	}
	if ((key = calloc(2, FT_KEY_BYTES_MAX)) == NULL)
		return -ENOMEM;
	memcpy(key, info->key, FT_KEY_BYTES_MAX);
	if (info->mask)
		memcpy(key + FT_KEY_BYTES_MAX, info->mask, FT_KEY_BYTES_MAX);
	es->e[es->n] = (struct ft_entry){.key = key,
	                                 .mask = info->mask ? key + FT_KEY_BYTES_MAX : NULL,
	                                 .priority = info->priority};
	es->table[es->n++] = table;
	return 0;
}

/* remove all: every entry of every table (but const entries), in one transaction. */
static int
cmd_remove(struct stf *s, char *p)
{
	struct ft_program_info info;
	struct entries es = {0};
	struct ft_error perr;
	struct ft_txn *txn = NULL;
	char *w = next_word(&p);
	int rc = 0;

	if (w == NULL || strcasecmp(w, "all") != 0 || next_word(&p) != NULL)
		return bad(s, -ENOTSUP, "remove: only 'remove all' is supported");
	ft_program_info(s->prog, &info);
	for (uint32_t t = 0; t < info.n_tables && rc == 0; t++) {
		struct ft_table_decl td;

		ft_program_table(s->prog, t, &td);
		if (!td.const_entries) /* the program's own stay */
			rc = ft_pipeline_table_walk(s->pipe, t, collect, &es);
	}
	if (rc < 0) {
		rc = bad(s, -ENOMEM, "out of memory");
		goto free_entries;
	}
	if ((txn = ft_txn_begin(s->pipe, &perr)) == NULL) {
		rc = bad_from(s, perr.code ? perr.code : -ENOMEM, &perr);
		goto free_entries;
	}
	for (uint32_t i = 0; i < es.n; i++) {
		if ((rc = ft_txn_entry_delete(txn, es.table[i], &es.e[i], &perr)) < 0) {
			ft_txn_abort(txn);
			rc = bad_from(s, rc, &perr);
			goto free_entries;
		}
	}
	if ((rc = ft_txn_commit(txn, &perr)) < 0)
		rc = bad_from(s, rc, &perr);
free_entries:
	for (uint32_t i = 0; i < es.n; i++)
		free((void *)es.e[i].key);
	free(es.e);
	free(es.table);
	return rc;
}

/* --- packet, expect -------------------------------------------------------- */

/*
 * Reads hex digits (and with 'pattern', '*' and a final '$') from 'p',
 * spaces anywhere. Returns the number of digits in 'digits' (owned by the
 * caller), or a negative errno.
 */
static int
digits_parse(struct stf *s, const char *p, bool pattern, char **digits, bool *exact)
{
	size_t n = 0;
	char *d = malloc(strlen(p) + 1);

	*digits = d;
	if (exact)
		*exact = false;
	if (d == NULL)
		return bad(s, -ENOMEM, "out of memory");
	for (; *p; p++) {
		if (isspace((unsigned char)*p))
			continue;
		if (pattern && *p == '$') {
			if (*skip_space((char *)p + 1) != '\0')
				return bad(s, -EINVAL, "'$' must end the packet data");
			*exact = true;
			break;
		}
		if (!isxdigit((unsigned char)*p) && !(pattern && *p == '*'))
			return bad(s, -EINVAL, "bad packet data: '%c' is not a hex digit", *p);
		d[n++] = (char)tolower((unsigned char)*p);
	}
	d[n] = '\0';
	if (n / 2 > FT_STF_PACKET_MAX)
		return bad(s, -EINVAL, "packet longer than %u bytes", FT_STF_PACKET_MAX);
	return (int)n;
}

static int
port_parse(struct stf *s, char **p, uint32_t *port)
{
	char *w = next_word(p);
	uint64_t v;
	int rc;

	if (w == NULL)
		return bad(s, -EINVAL, "missing port");
	if (!isdigit((unsigned char)w[0]))
		return bad(s, -EINVAL, "bad port '%s'", w);
	if ((rc = u64_parse(s, w, 32, &v, "port")))
		return rc;
	*port = (uint32_t)v;
	return 0;
}

static int
record_output(struct stf *s, uint32_t port, const struct ft_pkt *pkt)
{
	struct output *o;

	if (!(s->outputs = grow(s->outputs, &s->cap_outputs, s->n_outputs, sizeof(*s->outputs))))
		return bad(s, -ENOMEM, "out of memory");
	o = &s->outputs[s->n_outputs];
	*o = (struct output){.line = s->line, .port = port, .len = pkt->len};
	if ((o->bytes = malloc(pkt->len ? pkt->len : 1)) == NULL)
		return bad(s, -ENOMEM, "out of memory");
	memcpy(o->bytes, ft_pkt_data(pkt), pkt->len);
	s->n_outputs++;
	s->res.outputs++;
	return 0;
}

/* Collapses runs of white space in 'p' to one space and trims both ends, in place. */
static void
squeeze(char *p)
{
	char *d = p, *q = skip_space(p);

	while (*q) {
		if (isspace((unsigned char)*q)) {
			q = skip_space(q);
			if (*q)
				*d++ = ' ';
			continue;
		}
		*d++ = *q++;
	}
	*d = '\0';
}

/* Keeps an event (taking 'text' and 'raw', either may be NULL) and prints it. */
static int
record_event(struct stf *s, char *text, char *raw)
{
	struct event *e;

	if (!(s->events = grow(s->events, &s->cap_events, s->n_events, sizeof(*s->events)))) {
		free(text);
		free(raw);
		return bad(s, -ENOMEM, "out of memory");
	}
	e = &s->events[s->n_events++];
	*e = (struct event){.line = s->line, .text = text, .raw = raw};
	if (text)
		squeeze(text);
	s->res.events++;
	say(s, "event %s", text ? text : raw ? raw : "?");
	return 0;
}

/* A digest: its text through the control session when it knows it, and "DIGEST HEX". */
static int
record_digest(struct stf *s, const struct ft_event *ev)
{
	const char *dname = ft_program_digest_name(s->prog, ev->id);
	char *hex = hex_dup(ev->data, ev->len < sizeof(ev->data) ? ev->len : sizeof(ev->data));
	char *raw = NULL, *text = NULL, buf[512];

	if (hex == NULL || asprintf(&raw, "%s %s", dname ? dname : "?", hex) < 0) {
		free(hex);
		return bad(s, -ENOMEM, "out of memory");
	}
	free(hex);
	if (s->ctl != NULL && ft_ctl_event_text(s->ctl, ev, buf, sizeof(buf)) >= 0 && buf[0] != '\0' &&
	    (text = strdup(buf)) == NULL) {
		free(raw);
		return bad(s, -ENOMEM, "out of memory");
	}
	return record_event(s, text, raw);
}

/* packet PORT HEX... */
static int
cmd_packet(struct stf *s, char *p)
{
	struct ft_pkt in, *pkts[1] = {&in};
	struct ft_burst_result *br = s->br;
	char *digits = NULL;
	uint8_t *buf = NULL;
	uint32_t port, len;
	int n, rc;

	if ((rc = port_parse(s, &p, &port)))
		return rc;
	if ((n = digits_parse(s, p, false, &digits, NULL)) < 0) {
		rc = n;
		goto out;
	}
	if (n % 2) {
		rc = bad(s, -EINVAL, "odd number of hex digits in packet data");
		goto out;
	}
	len = (uint32_t)n / 2;
	if ((buf = malloc(FT_PKT_HEADROOM + len)) == NULL) {
		rc = bad(s, -ENOMEM, "out of memory");
		goto out;
	}
	memset(buf, 0, FT_PKT_HEADROOM);
	for (uint32_t i = 0; i < len; i++) {
		char two[3] = {digits[2 * i], digits[2 * i + 1], '\0'};

		buf[FT_PKT_HEADROOM + i] = (uint8_t)strtoul(two, NULL, 16);
	}
	if ((rc = ft_pkt_init(&in, buf, FT_PKT_HEADROOM + len, FT_PKT_HEADROOM, (uint16_t)len,
	                      port)) < 0) {
		rc = bad(s, rc, "cannot make a packet of %u bytes", len);
		goto out;
	}
	if (s->opts != NULL && s->opts->run != NULL)
		s->opts->run(s->opts->run_arg, s->w, pkts, 1, br);
	else
		ft_worker_run(s->w, pkts, 1, br);
	s->res.packets++;
	rc = 0;
	for (uint32_t t = 0; t < br->n_tx; t++) {
		if (rc == 0)
			rc = record_output(s, br->tx[t].port, br->tx[t].pkt);
		if (br->tx[t].pkt != &in)
			s->pool.free(s->pool.arg, br->tx[t].pkt);
	}
	for (uint32_t i = 0; i < br->n_events && rc == 0; i++)
		rc = record_digest(s, &br->events[i]);
out:
	free(buf);
	free(digits);
	return rc;
}

/* expect PORT [HEX...[$]] */
static int
cmd_expect(struct stf *s, char *p)
{
	struct expect *e;
	char *digits = NULL;
	uint32_t port;
	bool exact;
	int n, rc;

	if ((rc = port_parse(s, &p, &port)))
		return rc;
	if ((n = digits_parse(s, p, true, &digits, &exact)) < 0) {
		free(digits);
		return n;
	}
	if (exact && n % 2) {
		free(digits);
		return bad(s, -EINVAL, "odd number of hex digits before '$'");
	}
	if (n == 0 && exact) {
		free(digits);
		return bad(s, -EINVAL, "'$' without packet data");
	}
	if (n == 0) {
		free(digits);
		digits = NULL;
	}
	if (!(s->expects = grow(s->expects, &s->cap_expects, s->n_expects, sizeof(*s->expects)))) {
		free(digits);
		return bad(s, -ENOMEM, "out of memory");
	}
	e = &s->expects[s->n_expects++];
	*e = (struct expect){.line = s->line,
	                     .port = port,
	                     .digits = digits,
	                     .n_digits = (uint32_t)n,
	                     .exact = exact};
	s->res.expects++;
	return 0;
}

/* --- check_counter, wait --------------------------------------------------- */

static const char *const cmp_ops[] = {"==", "!=", "<", "<=", ">", ">="};

static bool
cmp_holds(int op, uint64_t a, uint64_t b)
{
	switch (op) {
	case 0:
		return a == b;
	case 1:
		return a != b;
	case 2:
		return a < b;
	case 3:
		return a <= b;
	case 4:
		return a > b;
	default:
		return a >= b;
	}
}

static int
counter_find(struct stf *s, const char *name)
{
	struct ft_program_info info;
	int found = ft_program_find_counter(s->prog, name);

	if (found >= 0)
		return found;
	ft_program_info(s->prog, &info);
	for (uint32_t c = 0; c < info.n_counters; c++) {
		const char *cn = ft_program_counter_name(s->prog, c);

		if (cn == NULL || !name_like(cn, name))
			continue;
		if (found >= 0)
			return bad(s, -EINVAL, "counter name '%s' is ambiguous", name);
		found = (int)c;
	}
	if (found < 0)
		return bad(s, -ENOENT, "unknown counter '%s'", name);
	return found;
}

/* check_counter NAME(INDEX) [packets|bytes OP NUMBER] */
static int
cmd_check_counter(struct stf *s, char *p)
{
	char *open = strchr(p, '('), *close, *name, *index, *w;
	uint64_t packets, bytes, want, got;
	const char *kind;
	int op = -1, rc;

	if (open == NULL || (close = strchr(open, ')')) == NULL)
		return bad(s, -EINVAL, "check_counter: expected NAME(INDEX)");
	*open = *close = '\0';
	name = skip_space(p);
	trim_end(name);
	index = skip_space(open + 1);
	trim_end(index);
	if (*name == '\0' || *index == '\0')
		return bad(s, -EINVAL, "check_counter: expected NAME(INDEX)");
	if (isdigit((unsigned char)index[0])) {
		uint64_t i;
		int c;

		if ((c = counter_find(s, name)) < 0)
			return c;
		if ((rc = u64_parse(s, index, 32, &i, "counter index")))
			return rc;
		if ((rc = ft_pipeline_counter_read(s->pipe, (uint32_t)c, (uint32_t)i, &packets,
		                                   &bytes)) < 0)
			return bad(s, rc, "counter '%s' has no cell %s", name, index);
	} else {
		const char *ename = index[0] == '$' ? index + 1 : index;
		struct ft_entry_info ei;
		struct named *n = NULL;
		struct ft_entry e;

		for (uint32_t i = 0; i < s->n_named && n == NULL; i++)
			if (strcmp(s->named[i].name, ename) == 0)
				n = &s->named[i];
		if (n == NULL)
			return bad(s, -ENOENT, "check_counter: no entry named '%s'", ename);
		e = (struct ft_entry){.key = n->key, .mask = n->mask, .priority = n->priority};
		if (ft_pipeline_entry_read(s->pipe, n->table, &e, &ei) < 0) {
			say(s, "%s:%u: counter %s(%s): the entry is gone", s->name, s->line, name,
			    index);
			s->res.failures++;
			return 0;
		}
		packets = ei.packets;
		bytes = ei.bytes;
	}
	p = close + 1;
	if ((w = next_word(&p)) == NULL) {
		say(s, "%s:%u: counter %s(%s): packets %llu bytes %llu", s->name, s->line, name,
		    index, (unsigned long long)packets, (unsigned long long)bytes);
		s->res.counters++;
		return 0;
	}
	if (strcasecmp(w, "packets") == 0)
		kind = "packets", got = packets;
	else if (strcasecmp(w, "bytes") == 0)
		kind = "bytes", got = bytes;
	else
		return bad(s, -EINVAL, "check_counter: expected 'packets' or 'bytes', got '%s'", w);
	if ((w = next_word(&p)) != NULL)
		for (int i = 0; i < (int)ARRAY_SIZE(cmp_ops); i++)
			if (strcmp(w, cmp_ops[i]) == 0)
				op = i;
	if (op < 0)
		return bad(s, -EINVAL, "check_counter: expected ==, !=, <, <=, > or >=");
	if ((w = next_word(&p)) == NULL)
		return bad(s, -EINVAL, "check_counter: missing number");
	if ((rc = u64_parse(s, w, 64, &want, "check_counter")))
		return rc;
	if (next_word(&p) != NULL)
		return bad(s, -EINVAL, "check_counter: unexpected words after the number");
	if (cmp_holds(op, got, want)) {
		s->res.counters++;
	} else {
		say(s, "%s:%u: counter %s(%s): %s %llu, expected %s %llu", s->name, s->line, name,
		    index, kind, (unsigned long long)got, cmp_ops[op], (unsigned long long)want);
		s->res.failures++;
	}
	return 0;
}

/* Receives the lines of ft_ctl_poll(): each is an event. */
static void
poll_line(void *arg, const char *line)
{
	struct stf *s = arg;
	const char *t = line;
	char *text;

	if (strncmp(t, "event ", 6) == 0)
		t += 6;
	if (s->poll_rc < 0)
		return;
	if ((text = strdup(t)) == NULL)
		s->poll_rc = bad(s, -ENOMEM, "out of memory");
	else
		s->poll_rc = record_event(s, text, NULL);
}

static int
cmd_wait(struct stf *s, char *p)
{
	struct ft_error perr;
	int rc;

	if (next_word(&p) != NULL)
		return bad(s, -EINVAL, "wait takes no arguments");
	ft_error_clear(&perr);
	if (s->ctl != NULL) {
		s->poll_rc = 0;
		if ((rc = ft_ctl_poll(s->ctl, poll_line, s, &perr)) < 0)
			return bad_from(s, rc, &perr);
		return s->poll_rc;
	}
	if ((rc = ft_pipeline_learn(s->pipe, NULL, NULL, &perr)) < 0 ||
	    (rc = ft_pipeline_expire(s->pipe, NULL, NULL, &perr)) < 0)
		return bad_from(s, rc, &perr);
	return 0;
}

/* advance SECONDS | advance MILLISECONDSms */
static int
cmd_advance(struct stf *s, char *p)
{
	char *w = next_word(&p);
	bool msec = false;
	uint64_t v, ms;
	size_t n;
	int rc;

	if (w == NULL || next_word(&p) != NULL)
		return bad(s, -EINVAL, "advance: expected SECONDS or MILLISECONDSms");
	n = strlen(w);
	if (n > 2 && strcmp(w + n - 2, "ms") == 0)
		msec = true, w[n - 2] = '\0';
	else if (n > 1 && w[n - 1] == 's')
		w[n - 1] = '\0';
	if (!isdigit((unsigned char)w[0]))
		return bad(s, -EINVAL, "advance: bad time '%s'", w);
	if ((rc = u64_parse(s, w, 40, &v, "advance")))
		return rc;
	ms = msec ? v : v * 1000;
	if (s->opts == NULL || s->opts->advance == NULL)
		return bad(s, -ENOTSUP, "advance: the pipeline's clock cannot be moved here");
	s->opts->advance(s->opts->clock_arg, ms);
	return 0;
}

/* expect_event TEXT... */
static int
cmd_expect_event(struct stf *s, char *p)
{
	struct expect_event *x;
	char *text;

	squeeze(p);
	if (*p == '\0')
		return bad(s, -EINVAL, "expect_event: missing text");
	if ((text = strdup(p)) == NULL)
		return bad(s, -ENOMEM, "out of memory");
	if (!(s->xevents = grow(s->xevents, &s->cap_xevents, s->n_xevents, sizeof(*s->xevents)))) {
		free(text);
		return bad(s, -ENOMEM, "out of memory");
	}
	x = &s->xevents[s->n_xevents++];
	*x = (struct expect_event){.line = s->line, .text = text};
	s->check_events = true;
	s->res.expects++;
	return 0;
}

/* --- Checking -------------------------------------------------------------- */

enum verdict { SAME, DIFFERS, SHORT, LONG };

/* Compares output 'o' with expect 'e'; *at is the first hex digit that differs. */
static enum verdict
compare(const struct expect *e, const struct output *o, uint32_t *at)
{
	static const char digit[] = "0123456789abcdef";

	if (2 * o->len < e->n_digits)
		return SHORT;
	for (uint32_t i = 0; i < e->n_digits; i++) {
		uint8_t b = o->bytes[i / 2];
		char got = digit[i % 2 ? b & 15 : b >> 4];

		if (e->digits[i] != '*' && e->digits[i] != got) {
			*at = i;
			return DIFFERS;
		}
	}
	if (e->exact && 2 * o->len > e->n_digits)
		return LONG;
	return SAME;
}

static void
report(struct stf *s, const struct expect *e, const struct output *o, enum verdict v, uint32_t at)
{
	char *got = hex_dup(o->bytes, o->len);
	const char *dollar = e->exact ? "$" : "";

	if (v == DIFFERS)
		say(s, "%s:%u: port %u: packet differs at hex digit %u: expected %s%s got %s",
		    s->name, e->line, e->port, at, e->digits, dollar, got ? got : "?");
	else if (v == SHORT)
		say(s, "%s:%u: port %u: packet too short (%u bytes): expected %s%s got %s", s->name,
		    e->line, e->port, o->len, e->digits, dollar, got ? got : "?");
	else
		say(s,
		    "%s:%u: port %u: packet too long (%u bytes, expected %u): expected %s%s got %s",
		    s->name, e->line, e->port, o->len, e->n_digits / 2, e->digits, dollar,
		    got ? got : "?");
	free(got);
	s->res.failures++;
}

static bool
port_has_any(const struct stf *s, uint32_t port)
{
	for (uint32_t i = 0; i < s->n_expects; i++)
		if (s->expects[i].digits == NULL && s->expects[i].port == port)
			return true;
	return false;
}

/* Compares expects with outputs, port by port, in order (see stf.h). */
static void
check(struct stf *s)
{
	uint32_t at = 0;

	/* Ports where any packets will do. */
	for (uint32_t i = 0; i < s->n_expects; i++) {
		struct expect *e = &s->expects[i];

		if (e->digits != NULL)
			continue;
		e->done = true;
		s->res.matched++;
		for (uint32_t j = 0; j < s->n_outputs; j++)
			if (s->outputs[j].port == e->port)
				s->outputs[j].done = true;
	}
	/* The n-th expect of a port against the n-th packet out of it. */
	for (uint32_t i = 0; i < s->n_expects; i++) {
		struct expect *e = &s->expects[i];
		enum verdict v;

		if (e->done)
			continue;
		if (port_has_any(s, e->port)) {
			say(s,
			    "%s:%u: port %u: expect with data on a port that also has an expect "
			    "without data",
			    s->name, e->line, e->port);
			s->res.failures++;
			e->done = true;
			continue;
		}
		for (uint32_t j = 0; j < s->n_outputs; j++) {
			struct output *o = &s->outputs[j];

			if (o->done || o->port != e->port)
				continue;
			o->done = e->done = true;
			if ((v = compare(e, o, &at)) == SAME)
				s->res.matched++;
			else
				report(s, e, o, v, at);
			break;
		}
	}
	/* Expects left: a packet sent elsewhere, or none. */
	for (uint32_t i = 0; i < s->n_expects; i++) {
		struct expect *e = &s->expects[i];
		bool moved = false;

		if (e->done)
			continue;
		for (uint32_t j = 0; j < s->n_outputs && !moved; j++) {
			struct output *o = &s->outputs[j];

			if (o->done || compare(e, o, &at) != SAME)
				continue;
			say(s, "%s:%u: port %u: expected %s%s, sent to port %u instead", s->name,
			    e->line, e->port, e->digits, e->exact ? "$" : "", o->port);
			o->done = moved = true;
		}
		if (!moved)
			say(s, "%s:%u: port %u: expected %s%s, no packet", s->name, e->line,
			    e->port, e->digits, e->exact ? "$" : "");
		e->done = true;
		s->res.failures++;
	}
	/* Packets left. */
	for (uint32_t j = 0; j < s->n_outputs; j++) {
		struct output *o = &s->outputs[j];
		char *got;

		if (o->done)
			continue;
		got = hex_dup(o->bytes, o->len);
		say(s, "%s:%u: port %u: unexpected packet %s", s->name, o->line, o->port,
		    got ? got : "?");
		free(got);
		o->done = true;
		s->res.failures++;
	}
}

/* Compares expect_event lines with the events, in order (see stf.h). */
static void
check_events(struct stf *s)
{
	uint32_t j = 0;

	if (!s->check_events)
		return;
	for (uint32_t i = 0; i < s->n_xevents; i++) {
		struct expect_event *x = &s->xevents[i];
		struct event *e;

		if (j == s->n_events) {
			say(s, "%s:%u: expected event '%s', no event", s->name, x->line, x->text);
			s->res.failures++;
			continue;
		}
		e = &s->events[j++];
		e->done = true;
		if ((e->text && strcmp(e->text, x->text) == 0) ||
		    (e->raw && strcmp(e->raw, x->text) == 0)) {
			s->res.matched++;
			continue;
		}
		say(s, "%s:%u: expected event '%s', got '%s'", s->name, x->line, x->text,
		    e->text ? e->text : e->raw);
		s->res.failures++;
	}
	for (; j < s->n_events; j++) {
		struct event *e = &s->events[j];

		say(s, "%s:%u: unexpected event '%s'", s->name, e->line, e->text ? e->text : e->raw);
		s->res.failures++;
	}
}

/* --- Running --------------------------------------------------------------- */

static int line_command(struct stf *s, char *line);

/* A line, then the options' sync after those that may change the tables. */
static int
run_line(struct stf *s, char *line)
{
	char *p = skip_space(line);
	bool reads = strncasecmp(p, "check_counter", 13) == 0;
	bool quiet = reads || strncasecmp(p, "packet", 6) == 0 || strncasecmp(p, "expect", 6) == 0 ||
		     strncasecmp(p, "no_", 3) == 0 || *p == '#' || *p == '\0';
	int rc;

	if (s->opts == NULL || s->opts->sync == NULL)
		return line_command(s, line);
	/* Before too: what the NIC counted counts as seen now, before 'advance' moves the clock. */
	if (!quiet || reads)
		s->opts->sync(s->opts->run_arg);
	rc = line_command(s, line);
	if (!quiet)
		s->opts->sync(s->opts->run_arg);
	return rc;
}

static int
line_command(struct stf *s, char *line)
{
	char *hash = strchr(line, '#'), *p, cmd[32];
	struct ft_error cerr;
	size_t n;
	int rc;

	if (hash)
		*hash = '\0';
	trim_end(line);
	line = skip_space(line);
	if (*line == '\0')
		return 0;
	n = strcspn(line, " \t\r\n\v\f");
	snprintf(cmd, sizeof(cmd), "%.*s", (int)n, line);
	p = line + n;
	if (strcasecmp(cmd, "add") == 0) {
		s->res.commands++;
		return cmd_add(s, p);
	}
	if (strcasecmp(cmd, "setdefault") == 0) {
		s->res.commands++;
		return cmd_setdefault(s, p);
	}
	if (strcasecmp(cmd, "remove") == 0) {
		s->res.commands++;
		return cmd_remove(s, p);
	}
	if (strcasecmp(cmd, "packet") == 0)
		return cmd_packet(s, p);
	if (strcasecmp(cmd, "expect") == 0)
		return cmd_expect(s, p);
	if (strcasecmp(cmd, "no_packet") == 0)
		return next_word(&p) ? bad(s, -EINVAL, "no_packet takes no arguments") : 0;
	if (strcasecmp(cmd, "wait") == 0)
		return cmd_wait(s, p);
	if (strcasecmp(cmd, "advance") == 0)
		return cmd_advance(s, p);
	if (strcasecmp(cmd, "expect_event") == 0)
		return cmd_expect_event(s, p);
	if (strcasecmp(cmd, "no_event") == 0) {
		s->check_events = true;
		return next_word(&p) ? bad(s, -EINVAL, "no_event takes no arguments") : 0;
	}
	if (strcasecmp(cmd, "check_counter") == 0)
		return cmd_check_counter(s, p);
	if (s->ctl == NULL)
		return bad(s, -ENOENT, "unknown command '%s'", cmd);
	ft_error_clear(&cerr);
	if ((rc = ft_ctl_exec(s->ctl, line, s->out, s->arg, &cerr)) < 0)
		return bad_from(s, rc, &cerr);
	s->res.commands++;
	return 0;
}

static void
stf_free(struct stf *s)
{
	for (uint32_t i = 0; i < s->n_expects; i++)
		free(s->expects[i].digits);
	free(s->expects);
	for (uint32_t i = 0; i < s->n_outputs; i++)
		free(s->outputs[i].bytes);
	free(s->outputs);
	for (uint32_t i = 0; i < s->n_named; i++)
		free(s->named[i].name);
	free(s->named);
	for (uint32_t i = 0; i < s->n_events; i++) {
		free(s->events[i].text);
		free(s->events[i].raw);
	}
	free(s->events);
	for (uint32_t i = 0; i < s->n_xevents; i++)
		free(s->xevents[i].text);
	free(s->xevents);
	ft_worker_destroy(s->w);
	ft_pkt_pool_simple_destroy(s->sp);
	free(s->br);
}

int
ft_stf_run_text(struct ft_pipeline *pipe, struct ft_ctl *ctl, const char *name, const char *text,
                ft_ctl_out_fn out, void *arg, struct ft_stf_result *res, struct ft_error *err)
{
	return ft_stf_run_text_opts(pipe, ctl, NULL, name, text, out, arg, res, err);
}

int
ft_stf_run_text_opts(struct ft_pipeline *pipe, struct ft_ctl *ctl,
                     const struct ft_stf_options *opts, const char *name, const char *text,
                     ft_ctl_out_fn out, void *arg, struct ft_stf_result *res,
                     struct ft_error *err)
{
	struct stf s = {.pipe = pipe,
	                .ctl = ctl,
	                .opts = opts,
	                .name = name ? name : "stf",
	                .out = out,
	                .arg = arg,
	                .err = err};
	struct ft_error werr;
	char *line = NULL;
	size_t cap = 0;
	int rc = 0;

	ft_error_clear(err);
	if (res)
		memset(res, 0, sizeof(*res));
	if (pipe == NULL || text == NULL)
		return bad(&s, -EINVAL, "no pipeline or no text");
	s.prog = ft_pipeline_program(pipe);
	s.br = malloc(sizeof(*s.br));
	s.sp = ft_pkt_pool_simple_create(POOL_N, POOL_BUF, &s.pool);
	if (s.br == NULL || s.sp == NULL) {
		rc = bad(&s, -ENOMEM, "out of memory");
		goto out;
	}
	if ((s.w = ft_worker_create(pipe, &s.pool, &werr)) == NULL) {
		rc = bad_from(&s, werr.code ? werr.code : -ENOMEM, &werr);
		goto out;
	}
	for (const char *p = text; *p && rc == 0;) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);

		if (n + 1 > cap) {
			char *l = realloc(line, n + 1);

			if (l == NULL) {
				rc = bad(&s, -ENOMEM, "out of memory");
				break;
			}
			line = l;
			cap = n + 1;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		s.line++;
		s.res.lines++;
		rc = run_line(&s, line);
		p += n + (nl != NULL);
	}
	if (rc == 0) {
		check(&s);
		check_events(&s);
		rc = (int)s.res.failures;
	}
out:
	free(line);
	if (res)
		*res = s.res;
	stf_free(&s);
	return rc;
}

int
ft_stf_run(struct ft_pipeline *pipe, struct ft_ctl *ctl, const char *path, ft_ctl_out_fn out,
           void *arg, struct ft_stf_result *res, struct ft_error *err)
{
	return ft_stf_run_opts(pipe, ctl, NULL, path, out, arg, res, err);
}

int
ft_stf_run_opts(struct ft_pipeline *pipe, struct ft_ctl *ctl, const struct ft_stf_options *opts,
                const char *path, ft_ctl_out_fn out, void *arg, struct ft_stf_result *res,
                struct ft_error *err)
{
	struct stf s = {.name = path ? path : "stf", .err = err};
	char *text = NULL;
	size_t len = 0, cap = 0;
	FILE *f;
	int rc;

	if (res)
		memset(res, 0, sizeof(*res));
	if (path == NULL)
		return bad(&s, -EINVAL, "no path");
	if ((f = fopen(path, "r")) == NULL)
		return bad(&s, -errno, "cannot read: %s", strerror(errno));
	for (;;) {
		size_t got;

		if (cap - len < 4096) {
			char *t = realloc(text, cap + 65536);

			if (t == NULL) {
				rc = bad(&s, -ENOMEM, "out of memory");
				goto close;
			}
			text = t;
			cap += 65536;
		}
		got = fread(text + len, 1, cap - len - 1, f);
		len += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		rc = bad(&s, -EIO, "cannot read: %s", strerror(EIO));
		goto close;
	}
	text[len] = '\0';
	if (memchr(text, '\0', len) != NULL) {
		rc = bad(&s, -EINVAL, "not a text file");
		goto close;
	}
	rc = ft_stf_run_text_opts(pipe, ctl, opts, path, text, out, arg, res, err);
close:
	fclose(f);
	free(text);
	return rc;
}
