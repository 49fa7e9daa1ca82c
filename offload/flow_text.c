/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_flow rules as dpdk-testpmd commands and as JSON (include/flowtwin/
 * flow_text.h). Part of offload/: it reads rte_flow's types and never calls
 * a port. The compiler's golden tests, 'flowtwin' and the driver's logs print
 * rules through it; tests/offload/testpmd_check.sh proves testpmd parses
 * what it prints.
 *
 * One table per item type lists its fields: the testpmd keyword (also the
 * JSON name), where the field sits in the item, how wide it is, and whether
 * testpmd can express it. Both printers walk the same tables. Every keyword
 * below is that of DPDK 22.11's app/test-pmd/cmdline_flow.c (the 'set vxlan'
 * commands: app/test-pmd/cmdline.c), checked by running dpdk-testpmd.
 *
 * Encapsulation headers go through testpmd's 'set raw_encap N' / 'set
 * raw_decap N' item lists. testpmd rebuilds the header bytes from those lists
 * (cmd_set_raw_parsed()): each item's spec is copied, a missing spec becomes
 * the default mask, and then it overwrites the EtherType before VLAN/IP with
 * the next header's, fills an IPv4 version/IHL and protocol left at zero,
 * forces the IPv6 version to 6 and the VXLAN flags to 0x08. encap_parse()
 * accepts only header bytes that this process rebuilds exactly, and prints
 * every field it needs, so that the rule testpmd creates carries the same
 * bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_ethdev.h>

#include <flowtwin/flow_text.h>
#include <flowtwin/offload.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* testpmd's RAW_ENCAP_CONFS_MAX_NUM: 'set raw_encap' buffers 0 .. 7. */
#define RAW_BUFS 8

#define ETHER_TYPE_VLAN 0x8100
#define ETHER_TYPE_IPV4 0x0800
#define ETHER_TYPE_IPV6 0x86dd
#define PROTO_UDP       17

/* --- Field tables ---------------------------------------------------------------- */

enum fkind { FK_UINT, FK_MAC, FK_IPV4, FK_IPV6 };

#define F_HEX     0x01u /* print the value in hexadecimal */
#define F_NOKW    0x02u /* testpmd has no keyword: refused when its mask is not zero */
#define F_IS_ONLY 0x04u /* testpmd takes only 'FIELD is V' (TAG index) */
#define F_WHOLE   0x08u /* in text only when its mask is all ones; else its F_PART fields */
#define F_PART    0x10u /* a part of the F_WHOLE field before it; text only, not JSON */

struct field {
	const char *name;
	uint8_t kind;
	uint8_t flags;
	uint8_t size; /* bytes in memory */
	bool be;      /* big-endian in memory */
	uint16_t off;
	uint64_t bits;                     /* FK_UINT: the field's bits in the word; 0 = all */
	uint64_t (*get)(const void *item); /* a bitfield: its value (one bit wide) */
};

#define FU(n, T, m, fl)                                                                            \
	{                                                                                          \
		n, FK_UINT, fl, sizeof(((T *)0)->m), false, offsetof(T, m), 0, NULL                \
	}
#define FB(n, T, m, fl)                                                                            \
	{                                                                                          \
		n, FK_UINT, fl, sizeof(((T *)0)->m), true, offsetof(T, m), 0, NULL                 \
	}
#define FSUB(n, T, m, b, fl)                                                                       \
	{                                                                                          \
		n, FK_UINT, fl, sizeof(((T *)0)->m), true, offsetof(T, m), b, NULL                 \
	}
#define FA(n, k, T, m)                                                                             \
	{                                                                                          \
		n, k, 0, sizeof(((T *)0)->m), false, offsetof(T, m), 0, NULL                       \
	}
#define FBIT(n, g, fl)                                                                             \
	{                                                                                          \
		n, FK_UINT, fl, 0, false, 0, 1, g                                                  \
	}

#define BITGET(T, f)                                                                               \
	static uint64_t get_##T##_##f(const void *p)                                               \
	{                                                                                          \
		return ((const struct rte_flow_item_##T *)p)->f;                                   \
	}
BITGET(eth, has_vlan)
BITGET(eth, reserved)
BITGET(vlan, has_more_vlan)
BITGET(vlan, reserved)
BITGET(ipv6, has_frag_ext)

/* The IPv6 item's extension-header bits other than has_frag_ext (no keyword in 22.11). */
static uint64_t
get_ipv6_other_ext(const void *p)
{
	const struct rte_flow_item_ipv6 *i = p;

	return i->has_hop_ext | i->has_route_ext | i->has_auth_ext | i->has_esp_ext |
	       i->has_dest_ext | i->has_mobil_ext | i->has_hip_ext | i->has_shim6_ext |
	       (i->reserved != 0);
}

#define T_ETH struct rte_flow_item_eth
static const struct field f_eth[] = {
	FA("dst", FK_MAC, T_ETH, hdr.dst_addr),     FA("src", FK_MAC, T_ETH, hdr.src_addr),
	FB("type", T_ETH, hdr.ether_type, F_HEX),   FBIT("has_vlan", get_eth_has_vlan, 0),
	FBIT("reserved", get_eth_reserved, F_NOKW),
};

#define T_VLAN struct rte_flow_item_vlan
static const struct field f_vlan[] = {
	FB("tci", T_VLAN, hdr.vlan_tci, F_WHOLE),
	FSUB("pcp", T_VLAN, hdr.vlan_tci, 0xe000, F_PART),
	FSUB("dei", T_VLAN, hdr.vlan_tci, 0x1000, F_PART),
	FSUB("vid", T_VLAN, hdr.vlan_tci, 0x0fff, F_PART),
	FB("inner_type", T_VLAN, hdr.eth_proto, F_HEX),
	FBIT("has_more_vlan", get_vlan_has_more_vlan, 0),
	FBIT("reserved", get_vlan_reserved, F_NOKW),
};

#define T_IPV4 struct rte_flow_item_ipv4
static const struct field f_ipv4[] = {
	FU("version_ihl", T_IPV4, hdr.version_ihl, F_HEX),
	FU("tos", T_IPV4, hdr.type_of_service, 0),
	FB("total_length", T_IPV4, hdr.total_length, F_NOKW),
	FB("packet_id", T_IPV4, hdr.packet_id, 0),
	FB("fragment_offset", T_IPV4, hdr.fragment_offset, F_HEX),
	FU("ttl", T_IPV4, hdr.time_to_live, 0),
	FU("proto", T_IPV4, hdr.next_proto_id, 0),
	FB("hdr_checksum", T_IPV4, hdr.hdr_checksum, F_NOKW | F_HEX),
	FA("src", FK_IPV4, T_IPV4, hdr.src_addr),
	FA("dst", FK_IPV4, T_IPV4, hdr.dst_addr),
};

#define T_IPV6 struct rte_flow_item_ipv6
static const struct field f_ipv6[] = {
	FSUB("version", T_IPV6, hdr.vtc_flow, 0xf0000000u, F_NOKW),
	FSUB("tc", T_IPV6, hdr.vtc_flow, 0x0ff00000u, 0),
	FSUB("flow", T_IPV6, hdr.vtc_flow, 0x000fffffu, 0),
	FB("payload_len", T_IPV6, hdr.payload_len, F_NOKW),
	FU("proto", T_IPV6, hdr.proto, 0),
	FU("hop", T_IPV6, hdr.hop_limits, 0),
	FA("src", FK_IPV6, T_IPV6, hdr.src_addr),
	FA("dst", FK_IPV6, T_IPV6, hdr.dst_addr),
	FBIT("has_frag_ext", get_ipv6_has_frag_ext, 0),
	FBIT("other_ext", get_ipv6_other_ext, F_NOKW),
};

#define T_UDP struct rte_flow_item_udp
static const struct field f_udp[] = {
	FB("src", T_UDP, hdr.src_port, 0),
	FB("dst", T_UDP, hdr.dst_port, 0),
	FB("dgram_len", T_UDP, hdr.dgram_len, F_NOKW),
	FB("dgram_cksum", T_UDP, hdr.dgram_cksum, F_NOKW | F_HEX),
};

#define T_TCP struct rte_flow_item_tcp
static const struct field f_tcp[] = {
	FB("src", T_TCP, hdr.src_port, 0),
	FB("dst", T_TCP, hdr.dst_port, 0),
	FB("sent_seq", T_TCP, hdr.sent_seq, F_NOKW),
	FB("recv_ack", T_TCP, hdr.recv_ack, F_NOKW),
	FU("data_off", T_TCP, hdr.data_off, F_NOKW | F_HEX),
	FU("flags", T_TCP, hdr.tcp_flags, F_HEX),
	FB("rx_win", T_TCP, hdr.rx_win, F_NOKW),
	FB("cksum", T_TCP, hdr.cksum, F_NOKW | F_HEX),
	FB("tcp_urp", T_TCP, hdr.tcp_urp, F_NOKW),
};

#define T_VXLAN struct rte_flow_item_vxlan
static const struct field f_vxlan[] = {
	FU("flags", T_VXLAN, flags, F_NOKW | F_HEX),
	FB("rsvd0", T_VXLAN, rsvd0, F_NOKW),
	FB("vni", T_VXLAN, vni, 0),
	FU("last_rsvd", T_VXLAN, rsvd1, 0),
};

#define T_TAG struct rte_flow_item_tag
static const struct field f_tag[] = {
	FU("data", T_TAG, data, 0),
	FU("index", T_TAG, index, F_IS_ONLY),
};

static const struct field f_meta[] = {
	FU("data", struct rte_flow_item_meta, data, 0),
};

static const struct field f_mark[] = {
	FU("id", struct rte_flow_item_mark, id, 0),
};

#define T_INTEGRITY struct rte_flow_item_integrity
static const struct field f_integrity[] = {
	FU("level", T_INTEGRITY, level, 0),
	FU("value", T_INTEGRITY, value, F_HEX),
};

static const struct field f_port_id[] = {
	FU("id", struct rte_flow_item_port_id, id, 0),
};

static const struct field f_represented_port[] = {
	FU("ethdev_port_id", struct rte_flow_item_ethdev, port_id, 0),
};

static const struct field f_port_representor[] = {
	FU("port_id", struct rte_flow_item_ethdev, port_id, 0),
};

struct item_desc {
	enum rte_flow_item_type type;
	size_t size;
	const void *default_mask;
	const struct field *fields;
	uint32_t n_fields;
};

#define ITEM(T, t, f)                                                                              \
	{                                                                                          \
		RTE_FLOW_ITEM_TYPE_##T, sizeof(struct rte_flow_item_##t),                          \
			&rte_flow_item_##t##_mask, f, ARRAY_SIZE(f)                                \
	}
static const struct item_desc item_descs[] = {
	ITEM(ETH, eth, f_eth),
	ITEM(VLAN, vlan, f_vlan),
	ITEM(IPV4, ipv4, f_ipv4),
	ITEM(IPV6, ipv6, f_ipv6),
	ITEM(UDP, udp, f_udp),
	ITEM(TCP, tcp, f_tcp),
	ITEM(VXLAN, vxlan, f_vxlan),
	ITEM(TAG, tag, f_tag),
	ITEM(META, meta, f_meta),
	ITEM(MARK, mark, f_mark),
	ITEM(INTEGRITY, integrity, f_integrity),
	ITEM(PORT_ID, port_id, f_port_id),
	{RTE_FLOW_ITEM_TYPE_REPRESENTED_PORT, sizeof(struct rte_flow_item_ethdev),
	 &rte_flow_item_ethdev_mask, f_represented_port, ARRAY_SIZE(f_represented_port)},
	{RTE_FLOW_ITEM_TYPE_PORT_REPRESENTOR, sizeof(struct rte_flow_item_ethdev),
	 &rte_flow_item_ethdev_mask, f_port_representor, ARRAY_SIZE(f_port_representor)},
};

static const struct item_desc *
item_desc_find(enum rte_flow_item_type type)
{
	for (size_t i = 0; i < ARRAY_SIZE(item_descs); i++)
		if (item_descs[i].type == type)
			return &item_descs[i];
	return NULL;
}

static const char *
item_name(enum rte_flow_item_type type)
{
	return type == RTE_FLOW_ITEM_TYPE_VOID ? "void" : ft_flow_item_name(type);
}

static const char *
action_name(enum rte_flow_action_type type)
{
	return type == RTE_FLOW_ACTION_TYPE_VOID ? "void" : ft_flow_action_name(type);
}

/* --- Field access ------------------------------------------------------------------ */

static uint64_t
field_load(const struct field *f, const void *obj)
{
	const uint8_t *p = (const uint8_t *)obj + f->off;
	uint64_t v = 0;

	if (f->get != NULL)
		return f->get(obj);
	if (f->be) {
		for (uint32_t i = 0; i < f->size; i++)
			v = v << 8 | p[i];
	} else {
		uint8_t u8;
		uint16_t u16;
		uint32_t u32;

		switch (f->size) {
		case 1:
			memcpy(&u8, p, 1);
			v = u8;
			break;
		case 2:
			memcpy(&u16, p, 2);
			v = u16;
			break;
		case 4:
			memcpy(&u32, p, 4);
			v = u32;
			break;
		default:
			memcpy(&v, p, 8);
			break;
		}
	}
	if (f->bits != 0)
		v = (v & f->bits) >> __builtin_ctzll(f->bits);
	return v;
}

static uint64_t
field_full(const struct field *f)
{
	if (f->bits != 0)
		return f->bits >> __builtin_ctzll(f->bits);
	return f->size >= 8 ? UINT64_MAX : (UINT64_C(1) << (f->size * 8)) - 1;
}

static const uint8_t *
field_bytes(const struct field *f, const void *obj)
{
	return (const uint8_t *)obj + f->off;
}

static bool
bytes_all(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return false;
	return true;
}

/* The field's value in testpmd's notation. */
static void
field_str(const struct field *f, const void *obj, bool hex, char *s, size_t n)
{
	const uint8_t *p = field_bytes(f, obj);

	switch (f->kind) {
	case FK_MAC:
		snprintf(s, n, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
		break;
	case FK_IPV4:
		inet_ntop(AF_INET, p, s, n);
		break;
	case FK_IPV6:
		inet_ntop(AF_INET6, p, s, n);
		break;
	default:
		if (hex || (f->flags & F_HEX))
			snprintf(s, n, "0x%" PRIx64, field_load(f, obj));
		else
			snprintf(s, n, "%" PRIu64, field_load(f, obj));
		break;
	}
}

enum mask_state { M_ZERO, M_PARTIAL, M_FULL };

static enum mask_state
field_mask_state(const struct field *f, const void *mask)
{
	if (f->kind == FK_UINT) {
		uint64_t m = field_load(f, mask);

		return m == 0 ? M_ZERO : m == field_full(f) ? M_FULL : M_PARTIAL;
	}
	if (bytes_all(field_bytes(f, mask), f->size, 0))
		return M_ZERO;
	return bytes_all(field_bytes(f, mask), f->size, 0xff) ? M_FULL : M_PARTIAL;
}

/* Whether 'last' opens a range for the field: masked, not zero and not the spec. */
static bool
field_is_range(const struct field *f, const void *spec, const void *last, const void *mask)
{
	if (last == NULL)
		return false;
	if (f->kind == FK_UINT) {
		uint64_t m = field_load(f, mask), l = field_load(f, last) & m;

		return l != 0 && l != (field_load(f, spec) & m);
	}
	const uint8_t *pl = field_bytes(f, last), *ps = field_bytes(f, spec),
		      *pm = field_bytes(f, mask);
	bool zero = true, same = true;

	for (uint32_t i = 0; i < f->size; i++) {
		if ((pl[i] & pm[i]) != 0)
			zero = false;
		if ((pl[i] & pm[i]) != (ps[i] & pm[i]))
			same = false;
	}
	return !zero && !same;
}

/* --- Text output -------------------------------------------------------------------- */

/* The text so far; 'len' counts what would have been written had 'buf' been large enough. */
struct out {
	char *buf;
	size_t size;
	size_t len;
	size_t line_len; /* characters of the current line */
	size_t line_max; /* of the longest line */
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
	char piece[256]; /* every call writes less: a few words, an address */
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(piece, sizeof(piece), fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if ((size_t)n >= sizeof(piece))
		n = sizeof(piece) - 1;
	if (room > 0)
		snprintf(o->buf + o->len, room, "%s", piece);
	o->len += (size_t)n;
	for (int i = 0; i < n; i++) {
		if (piece[i] == '\n') {
			o->line_len = 0;
		} else if (++o->line_len > o->line_max) {
			o->line_max = o->line_len;
		}
	}
}

static int
item_err(struct ft_error *err, int code, uint32_t i, const char *item, const char *field,
	 const char *msg)
{
	char obj[FT_ERROR_NAME_MAX];

	snprintf(obj, sizeof(obj), "%s%s%s", item, field != NULL ? "." : "",
		 field != NULL ? field : "");
	return ft_error_set(err, code, FT_ERR_RULE, i, obj, "pattern item %u: %s", i, msg);
}

static int
action_err(struct ft_error *err, int code, uint32_t i, const char *action, const char *msg)
{
	return ft_error_set(err, code, FT_ERR_RULE, i, action, "action %u: %s", i, msg);
}

static int
unknown_item(struct ft_error *err, uint32_t i, enum rte_flow_item_type type)
{
	char obj[32];

	snprintf(obj, sizeof(obj), "item type %d", (int)type);
	return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, i, obj,
			    "pattern item %u: item type not supported by the printer", i);
}

static int
unknown_action(struct ft_error *err, uint32_t i, enum rte_flow_action_type type)
{
	char obj[32];

	snprintf(obj, sizeof(obj), "action type %d", (int)type);
	return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, i, obj,
			    "action %u: action type not supported by the printer", i);
}

/* ' FIELD is V', ' FIELD spec V FIELD mask M', ' FIELD last L' for one field. */
static int
print_field(struct out *o, const struct field *f, const void *spec, const void *last,
	    const void *mask, const char *item, uint32_t index, struct ft_error *err)
{
	enum mask_state ms = field_mask_state(f, mask);
	char v[64], m[64];

	if (ms == M_ZERO)
		return 0;
	if (f->flags & F_NOKW)
		return item_err(err, -ENOTSUP, index, item, f->name,
				"testpmd has no keyword for this field, and its mask is not zero");
	if ((f->flags & F_IS_ONLY) && (ms != M_FULL || field_is_range(f, spec, last, mask)))
		return item_err(err, -ENOTSUP, index, item, f->name,
				"testpmd takes this field only with a full mask and no range");
	field_str(f, spec, false, v, sizeof(v));
	if (ms == M_FULL) {
		put(o, " %s is %s", f->name, v);
	} else {
		field_str(f, mask, true, m, sizeof(m));
		put(o, " %s spec %s %s mask %s", f->name, v, f->name, m);
	}
	if (field_is_range(f, spec, last, mask)) {
		field_str(f, last, false, v, sizeof(v));
		put(o, " %s last %s", f->name, v);
	}
	return 0;
}

/* A pattern template's field: ' FIELD mask M'; ' FIELD is V' for a field testpmd takes only so. */
static int
print_field_mask(struct out *o, const struct field *f, const void *spec, const void *mask,
		 const char *item, uint32_t index, struct ft_error *err)
{
	enum mask_state ms = field_mask_state(f, mask);
	char v[64];

	if (ms == M_ZERO)
		return 0;
	if (f->flags & F_NOKW)
		return item_err(err, -ENOTSUP, index, item, f->name,
				"testpmd has no keyword for this field, and its mask is not zero");
	if (f->flags & F_IS_ONLY) {
		if (ms != M_FULL || spec == NULL)
			return item_err(err, -ENOTSUP, index, item, f->name,
					"testpmd takes this field only as 'is VALUE'");
		field_str(f, spec, false, v, sizeof(v));
		put(o, " %s is %s", f->name, v);
		return 0;
	}
	field_str(f, mask, true, v, sizeof(v));
	put(o, " %s mask %s", f->name, v);
	return 0;
}

/* An item of a pattern template: its mask only (testpmd's item spec stays NULL). */
static int
print_item_mask(struct out *o, const struct rte_flow_item *it, const struct item_desc *d,
		const char *name, uint32_t index, struct ft_error *err)
{
	int ret;

	if (it->last != NULL)
		return item_err(err, -ENOTSUP, index, name, NULL,
				"a pattern template has no range ('last')");
	if (it->mask == NULL || d == NULL) {
		if (it->type == RTE_FLOW_ITEM_TYPE_INTEGRITY)
			return item_err(err, -ENOTSUP, index, name, NULL,
					"testpmd cannot print an integrity item without a mask");
		return 0;
	}
	for (uint32_t i = 0; i < d->n_fields; i++) {
		const struct field *f = &d->fields[i];

		if (f->flags & F_WHOLE) {
			if (field_mask_state(f, it->mask) != M_FULL)
				continue; /* the F_PART fields that follow */
			ret = print_field_mask(o, f, it->spec, it->mask, name, index, err);
			if (ret < 0)
				return ret;
			while (i + 1 < d->n_fields && (d->fields[i + 1].flags & F_PART))
				i++;
			continue;
		}
		ret = print_field_mask(o, f, it->spec, it->mask, name, index, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int
print_item(struct out *o, const struct rte_flow_item *it, uint32_t index, bool masks,
	   struct ft_error *err)
{
	const char *name = item_name(it->type);
	const struct item_desc *d = item_desc_find(it->type);
	size_t start;
	int ret;

	if (name == NULL || (d == NULL && it->type != RTE_FLOW_ITEM_TYPE_VOID))
		return unknown_item(err, index, it->type);
	put(o, "%s", name);
	if (masks)
		return print_item_mask(o, it, d, name, index, err);
	if (it->spec == NULL) {
		if (it->last != NULL)
			return item_err(err, -EINVAL, index, name, NULL, "'last' without 'spec'");
		/* testpmd's grammar wants a field after 'integrity'. */
		if (it->type == RTE_FLOW_ITEM_TYPE_INTEGRITY)
			return item_err(err, -ENOTSUP, index, name, NULL,
					"testpmd cannot print an integrity item without a spec");
		return 0;
	}
	if (d == NULL)
		return 0;
	const void *mask = it->mask != NULL ? it->mask : d->default_mask;

	start = o->len;
	for (uint32_t i = 0; i < d->n_fields; i++) {
		const struct field *f = &d->fields[i];

		if (f->flags & F_WHOLE) {
			if (field_mask_state(f, mask) != M_FULL &&
			    !field_is_range(f, it->spec, it->last, mask))
				continue; /* the F_PART fields that follow */
			ret = print_field(o, f, it->spec, it->last, mask, name, index, err);
			if (ret < 0)
				return ret;
			while (i + 1 < d->n_fields && (d->fields[i + 1].flags & F_PART))
				i++;
			continue;
		}
		ret = print_field(o, f, it->spec, it->last, mask, name, index, err);
		if (ret < 0)
			return ret;
	}
	/*
	 * Integrity: with every mask zero (its default mask is zero), the spec
	 * still says which level; print it as spec without mask, which leaves
	 * testpmd's mask NULL too.
	 */
	if (o->len == start && it->type == RTE_FLOW_ITEM_TYPE_INTEGRITY) {
		const struct rte_flow_item_integrity *s = it->spec;

		put(o, " level spec %" PRIu32, s->level);
		if (s->value != 0)
			put(o, " value spec 0x%" PRIx64, (uint64_t)s->value);
	}
	return 0;
}

/* --- Encapsulation headers ---------------------------------------------------------- */

/* A header parsed as ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN. */
struct encap {
	const struct rte_ether_hdr *eth;
	const struct rte_vlan_hdr *vlan;
	const struct rte_ipv4_hdr *ip4;
	const struct rte_ipv6_hdr *ip6;
	const struct rte_udp_hdr *udp;
	const struct rte_vxlan_hdr *vxlan;
};

/*
 * Parses 'data' and checks that testpmd's 'set raw_encap' rebuilds it byte
 * for byte from the fields print_encap() prints: the fields testpmd has no
 * keyword for must be zero (total length, checksums, UDP length, VXLAN
 * reserved bytes) and the ones it fills must already hold what it fills in.
 */
static int
encap_parse(const uint8_t *data, size_t size, struct encap *e, const char *what, uint32_t index,
	    struct ft_error *err)
{
	size_t off = sizeof(struct rte_ether_hdr);
	uint16_t type;

	memset(e, 0, sizeof(*e));
	if (data == NULL || size < off)
		return action_err(err, -ENOTSUP, index, what, "header too short for Ethernet");
	e->eth = (const void *)data;
	type = rte_be_to_cpu_16(e->eth->ether_type);
	if (type == ETHER_TYPE_VLAN) {
		if (size < off + sizeof(struct rte_vlan_hdr))
			return action_err(err, -ENOTSUP, index, what, "header cut in the VLAN tag");
		e->vlan = (const void *)(data + off);
		off += sizeof(struct rte_vlan_hdr);
		type = rte_be_to_cpu_16(e->vlan->eth_proto);
	}
	if (type == ETHER_TYPE_IPV4) {
		if (size < off + sizeof(struct rte_ipv4_hdr))
			return action_err(err, -ENOTSUP, index, what, "header cut in IPv4");
		e->ip4 = (const void *)(data + off);
		off += sizeof(struct rte_ipv4_hdr);
		if (e->ip4->version_ihl != 0x45)
			return action_err(
				err, -ENOTSUP, index, what,
				"IPv4 version/IHL is not 0x45 (options are not printable)");
		if (e->ip4->next_proto_id != PROTO_UDP)
			return action_err(err, -ENOTSUP, index, what, "IPv4 protocol is not UDP");
		if (e->ip4->total_length != 0 || e->ip4->hdr_checksum != 0)
			return action_err(err, -ENOTSUP, index, what,
					  "IPv4 total length or checksum set: testpmd has no "
					  "keyword for them");
	} else if (type == ETHER_TYPE_IPV6) {
		if (size < off + sizeof(struct rte_ipv6_hdr))
			return action_err(err, -ENOTSUP, index, what, "header cut in IPv6");
		e->ip6 = (const void *)(data + off);
		off += sizeof(struct rte_ipv6_hdr);
		if ((rte_be_to_cpu_32(e->ip6->vtc_flow) >> 28) != 6)
			return action_err(err, -ENOTSUP, index, what, "IPv6 version is not 6");
		if (e->ip6->proto != PROTO_UDP)
			return action_err(err, -ENOTSUP, index, what,
					  "IPv6 next header is not UDP");
		if (e->ip6->payload_len != 0)
			return action_err(err, -ENOTSUP, index, what,
					  "IPv6 payload length set: testpmd has no keyword for it");
	} else {
		return action_err(err, -ENOTSUP, index, what,
				  "header is not ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN");
	}
	if (size < off + sizeof(struct rte_udp_hdr))
		return action_err(err, -ENOTSUP, index, what, "header cut in UDP");
	e->udp = (const void *)(data + off);
	off += sizeof(struct rte_udp_hdr);
	if (e->udp->dgram_len != 0 || e->udp->dgram_cksum != 0)
		return action_err(err, -ENOTSUP, index, what,
				  "UDP length or checksum set: testpmd has no keyword for them");
	if (size != off + sizeof(struct rte_vxlan_hdr))
		return action_err(err, -ENOTSUP, index, what,
				  "header is not ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN");
	e->vxlan = (const void *)(data + off);
	if (data[off] != 0x08 || data[off + 1] != 0 || data[off + 2] != 0 || data[off + 3] != 0)
		return action_err(err, -ENOTSUP, index, what,
				  "VXLAN flags are not 0x08 or reserved bytes are set");
	return 0;
}

static void
put_mac(struct out *o, const struct rte_ether_addr *a)
{
	const uint8_t *p = a->addr_bytes;

	put(o, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
}

static void
put_ip(struct out *o, int af, const void *a)
{
	char s[INET6_ADDRSTRLEN];

	inet_ntop(af, a, s, sizeof(s));
	put(o, "%s", s);
}

/* The item list of 'set raw_encap N' for a parsed header; every item gets a field. */
static void
print_encap(struct out *o, const struct encap *e)
{
	put(o, "eth dst is ");
	put_mac(o, &e->eth->dst_addr);
	put(o, " src is ");
	put_mac(o, &e->eth->src_addr);
	put(o, " type is 0x%04x", rte_be_to_cpu_16(e->eth->ether_type));
	if (e->vlan != NULL)
		put(o, " / vlan tci is %u inner_type is 0x%04x",
		    rte_be_to_cpu_16(e->vlan->vlan_tci), rte_be_to_cpu_16(e->vlan->eth_proto));
	if (e->ip4 != NULL) {
		const struct rte_ipv4_hdr *h = e->ip4;

		put(o, " / ipv4 src is ");
		put_ip(o, AF_INET, &h->src_addr);
		put(o, " dst is ");
		put_ip(o, AF_INET, &h->dst_addr);
		put(o, " proto is %u", h->next_proto_id);
		if (h->type_of_service != 0)
			put(o, " tos is %u", h->type_of_service);
		if (h->packet_id != 0)
			put(o, " packet_id is %u", rte_be_to_cpu_16(h->packet_id));
		if (h->fragment_offset != 0)
			put(o, " fragment_offset is 0x%04x", rte_be_to_cpu_16(h->fragment_offset));
		if (h->time_to_live != 0)
			put(o, " ttl is %u", h->time_to_live);
	} else {
		const struct rte_ipv6_hdr *h = e->ip6;
		uint32_t vtc = rte_be_to_cpu_32(h->vtc_flow);

		put(o, " / ipv6 src is ");
		put_ip(o, AF_INET6, h->src_addr);
		put(o, " dst is ");
		put_ip(o, AF_INET6, h->dst_addr);
		put(o, " proto is %u", h->proto);
		if ((vtc >> 20 & 0xff) != 0)
			put(o, " tc is %u", vtc >> 20 & 0xff);
		if ((vtc & 0xfffff) != 0)
			put(o, " flow is %u", vtc & 0xfffff);
		if (h->hop_limits != 0)
			put(o, " hop is %u", h->hop_limits);
	}
	put(o, " / udp src is %u dst is %u", rte_be_to_cpu_16(e->udp->src_port),
	    rte_be_to_cpu_16(e->udp->dst_port));
	put(o, " / vxlan vni is %u", rte_be_to_cpu_32(e->vxlan->vx_vni) >> 8);
	if ((rte_be_to_cpu_32(e->vxlan->vx_vni) & 0xff) != 0)
		put(o, " last_rsvd is %u", rte_be_to_cpu_32(e->vxlan->vx_vni) & 0xff);
	put(o, " / end_set\n");
}

/* The largest header a VXLAN_ENCAP definition gives: ETH, VLAN, IPv6, UDP, VXLAN. */
#define ENCAP_MAX                                                                                  \
	(sizeof(struct rte_ether_hdr) + sizeof(struct rte_vlan_hdr) +                              \
	 sizeof(struct rte_ipv6_hdr) + sizeof(struct rte_udp_hdr) + sizeof(struct rte_vxlan_hdr))

/*
 * The header bytes of a VXLAN_ENCAP definition: each item's spec, in order,
 * with the fields rte_flow leaves to the PMD when zero filled in the standard
 * way (EtherType and VLAN inner type from the next header, IPv4 version/IHL
 * 0x45 and protocol UDP, IPv6 version 6 and next header UDP, VXLAN flags
 * 0x08). TTL, hop limit and the UDP ports are taken as given.
 */
static int
vxlan_def_bytes(const struct rte_flow_item *def, uint8_t *b, size_t *len, uint32_t index,
		struct ft_error *err)
{
	static const enum rte_flow_item_type shape[] = {
		RTE_FLOW_ITEM_TYPE_ETH, RTE_FLOW_ITEM_TYPE_VLAN,  RTE_FLOW_ITEM_TYPE_IPV4,
		RTE_FLOW_ITEM_TYPE_UDP, RTE_FLOW_ITEM_TYPE_VXLAN,
	};
	uint8_t *prev_type = NULL; /* the EtherType field to fill with the next header's */
	size_t off = 0;
	uint32_t step = 0;

	for (; def->type != RTE_FLOW_ITEM_TYPE_END; def++) {
		enum rte_flow_item_type t = def->type;
		size_t n;

		if (t == RTE_FLOW_ITEM_TYPE_VOID)
			continue;
		if (t == RTE_FLOW_ITEM_TYPE_IPV6)
			t = RTE_FLOW_ITEM_TYPE_IPV4; /* same place in the shape */
		while (step < ARRAY_SIZE(shape) && shape[step] != t &&
		       shape[step] == RTE_FLOW_ITEM_TYPE_VLAN)
			step++;
		if (step >= ARRAY_SIZE(shape) || shape[step] != t)
			return action_err(
				err, -ENOTSUP, index, "vxlan_encap",
				"definition is not ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN");
		step++;
		if (def->spec == NULL)
			return action_err(err, -EINVAL, index, "vxlan_encap",
					  "definition item without spec");
		switch (def->type) {
		case RTE_FLOW_ITEM_TYPE_ETH:
			n = sizeof(struct rte_ether_hdr);
			memcpy(b + off, def->spec, n);
			prev_type = b + off + offsetof(struct rte_ether_hdr, ether_type);
			break;
		case RTE_FLOW_ITEM_TYPE_VLAN:
			n = sizeof(struct rte_vlan_hdr);
			memcpy(b + off, def->spec, n);
			if (prev_type[0] == 0 && prev_type[1] == 0)
				memcpy(prev_type, &(rte_be16_t){RTE_BE16(ETHER_TYPE_VLAN)}, 2);
			prev_type = b + off + offsetof(struct rte_vlan_hdr, eth_proto);
			break;
		case RTE_FLOW_ITEM_TYPE_IPV4: {
			struct rte_ipv4_hdr h;

			n = sizeof(h);
			memcpy(&h, def->spec, n);
			if (h.version_ihl == 0)
				h.version_ihl = 0x45;
			if (h.next_proto_id == 0)
				h.next_proto_id = PROTO_UDP;
			memcpy(b + off, &h, n);
			if (prev_type[0] == 0 && prev_type[1] == 0)
				memcpy(prev_type, &(rte_be16_t){RTE_BE16(ETHER_TYPE_IPV4)}, 2);
			break;
		}
		case RTE_FLOW_ITEM_TYPE_IPV6: {
			struct rte_ipv6_hdr h;
			uint32_t vtc;

			n = sizeof(h);
			memcpy(&h, def->spec, n);
			vtc = rte_be_to_cpu_32(h.vtc_flow);
			if ((vtc >> 28) == 0)
				h.vtc_flow = rte_cpu_to_be_32(vtc | UINT32_C(6) << 28);
			if (h.proto == 0)
				h.proto = PROTO_UDP;
			memcpy(b + off, &h, n);
			if (prev_type[0] == 0 && prev_type[1] == 0)
				memcpy(prev_type, &(rte_be16_t){RTE_BE16(ETHER_TYPE_IPV6)}, 2);
			break;
		}
		case RTE_FLOW_ITEM_TYPE_UDP:
			n = sizeof(struct rte_udp_hdr);
			memcpy(b + off, def->spec, n);
			break;
		default: /* VXLAN */
			n = sizeof(struct rte_vxlan_hdr);
			memcpy(b + off, def->spec, n);
			if (b[off] == 0)
				b[off] = 0x08;
			break;
		}
		off += n;
	}
	if (step != ARRAY_SIZE(shape))
		return action_err(err, -ENOTSUP, index, "vxlan_encap",
				  "definition is not ETH / [VLAN] / IPV4|IPV6 / UDP / VXLAN");
	*len = off;
	return 0;
}

/*
 * What one of testpmd's 'set vxlan' commands sets, and the definition its
 * 'vxlan_encap' action then builds (parse_setup_vxlan_encap_data()):
 * addresses, ports, VNI, and the VLAN TCI (vxlan-with-vlan) or the IP TOS and
 * TTL (vxlan-tos-ttl); every other field zero, with rte_flow's default masks
 * (vxlan-tos-ttl: plus TOS and TTL).
 */
struct set_vxlan {
	bool ipv6, vlan, tos_ttl;
	struct rte_flow_item_eth eth;
	struct rte_flow_item_vlan vl;
	struct rte_flow_item_ipv4 ip4, ip4_mask;
	struct rte_flow_item_ipv6 ip6, ip6_mask;
	struct rte_flow_item_udp udp;
	struct rte_flow_item_vxlan vx;
};

static bool
same(const void *spec, const void *want, size_t n)
{
	return spec != NULL && memcmp(spec, want, n) == 0;
}

static bool
same_mask(const void *mask, const void *want, const void *dflt, size_t n)
{
	/* A NULL mask is rte_flow's default mask. */
	return memcmp(mask != NULL ? mask : dflt, want, n) == 0;
}

/* Whether the definition is exactly what one 'set vxlan*' command builds; fills 'sv'. */
static bool
set_vxlan_fits(const struct rte_flow_item *def, struct set_vxlan *sv)
{
	const struct rte_flow_item *it[6];
	uint32_t n = 0;

	memset(sv, 0, sizeof(*sv));
	for (; def->type != RTE_FLOW_ITEM_TYPE_END; def++) {
		if (def->type == RTE_FLOW_ITEM_TYPE_VOID)
			continue;
		if (n == ARRAY_SIZE(it) || def->spec == NULL || def->last != NULL)
			return false;
		it[n++] = def;
	}
	if (n != 4 && n != 5)
		return false;
	sv->vlan = n == 5;
	if (it[0]->type != RTE_FLOW_ITEM_TYPE_ETH ||
	    (sv->vlan && it[1]->type != RTE_FLOW_ITEM_TYPE_VLAN) ||
	    it[n - 2]->type != RTE_FLOW_ITEM_TYPE_UDP ||
	    it[n - 1]->type != RTE_FLOW_ITEM_TYPE_VXLAN)
		return false;

	const struct rte_flow_item *eth = it[0], *ip = it[n - 3], *udp = it[n - 2], *vx = it[n - 1];
	const struct rte_flow_item_eth *es = eth->spec;

	sv->eth.hdr.dst_addr = es->hdr.dst_addr;
	sv->eth.hdr.src_addr = es->hdr.src_addr;
	if (!same(es, &sv->eth, sizeof(sv->eth)) ||
	    !same_mask(eth->mask, &rte_flow_item_eth_mask, &rte_flow_item_eth_mask,
		       sizeof(sv->eth)))
		return false;
	if (sv->vlan) {
		sv->vl.hdr.vlan_tci =
			((const struct rte_flow_item_vlan *)it[1]->spec)->hdr.vlan_tci;
		if (!same(it[1]->spec, &sv->vl, sizeof(sv->vl)) ||
		    !same_mask(it[1]->mask, &rte_flow_item_vlan_mask, &rte_flow_item_vlan_mask,
			       sizeof(sv->vl)))
			return false;
	}
	if (ip->type == RTE_FLOW_ITEM_TYPE_IPV4) {
		const struct rte_flow_item_ipv4 *s = ip->spec;

		sv->ip4.hdr.src_addr = s->hdr.src_addr;
		sv->ip4.hdr.dst_addr = s->hdr.dst_addr;
		sv->ip4_mask = rte_flow_item_ipv4_mask;
		if (!sv->vlan && !same_mask(ip->mask, &sv->ip4_mask, &rte_flow_item_ipv4_mask,
					    sizeof(sv->ip4_mask))) {
			sv->tos_ttl = true;
			sv->ip4_mask.hdr.type_of_service = 0xff;
			sv->ip4_mask.hdr.time_to_live = 0xff;
			sv->ip4.hdr.type_of_service = s->hdr.type_of_service;
			sv->ip4.hdr.time_to_live = s->hdr.time_to_live;
		}
		if (!same(s, &sv->ip4, sizeof(sv->ip4)) ||
		    !same_mask(ip->mask, &sv->ip4_mask, &rte_flow_item_ipv4_mask,
			       sizeof(sv->ip4_mask)))
			return false;
	} else if (ip->type == RTE_FLOW_ITEM_TYPE_IPV6) {
		const struct rte_flow_item_ipv6 *s = ip->spec;

		sv->ipv6 = true;
		memcpy(sv->ip6.hdr.src_addr, s->hdr.src_addr, 16);
		memcpy(sv->ip6.hdr.dst_addr, s->hdr.dst_addr, 16);
		sv->ip6_mask = rte_flow_item_ipv6_mask;
		if (!sv->vlan && !same_mask(ip->mask, &sv->ip6_mask, &rte_flow_item_ipv6_mask,
					    sizeof(sv->ip6_mask))) {
			sv->tos_ttl = true;
			sv->ip6_mask.hdr.vtc_flow |= RTE_BE32(0xffu << RTE_IPV6_HDR_TC_SHIFT);
			sv->ip6_mask.hdr.hop_limits = 0xff;
			sv->ip6.hdr.vtc_flow =
				s->hdr.vtc_flow & RTE_BE32(0xffu << RTE_IPV6_HDR_TC_SHIFT);
			sv->ip6.hdr.hop_limits = s->hdr.hop_limits;
		}
		if (!same(s, &sv->ip6, sizeof(sv->ip6)) ||
		    !same_mask(ip->mask, &sv->ip6_mask, &rte_flow_item_ipv6_mask,
			       sizeof(sv->ip6_mask)))
			return false;
	} else {
		return false;
	}
	const struct rte_flow_item_udp *us = udp->spec;

	sv->udp.hdr.src_port = us->hdr.src_port;
	sv->udp.hdr.dst_port = us->hdr.dst_port;
	if (!same(us, &sv->udp, sizeof(sv->udp)) ||
	    !same_mask(udp->mask, &rte_flow_item_udp_mask, &rte_flow_item_udp_mask,
		       sizeof(sv->udp)))
		return false;
	memcpy(sv->vx.vni, ((const struct rte_flow_item_vxlan *)vx->spec)->vni, 3);
	return same(vx->spec, &sv->vx, sizeof(sv->vx)) &&
	       same_mask(vx->mask, &rte_flow_item_vxlan_mask, &rte_flow_item_vxlan_mask,
			 sizeof(sv->vx));
}

static void
print_set_vxlan(struct out *o, const struct set_vxlan *sv)
{
	put(o, "set %s ip-version %s vni %u udp-src %u udp-dst %u",
	    sv->vlan      ? "vxlan-with-vlan"
	    : sv->tos_ttl ? "vxlan-tos-ttl"
			  : "vxlan",
	    sv->ipv6 ? "ipv6" : "ipv4",
	    (uint32_t)sv->vx.vni[0] << 16 | (uint32_t)sv->vx.vni[1] << 8 | sv->vx.vni[2],
	    rte_be_to_cpu_16(sv->udp.hdr.src_port), rte_be_to_cpu_16(sv->udp.hdr.dst_port));
	if (sv->tos_ttl && !sv->ipv6)
		put(o, " ip-tos %u ip-ttl %u", sv->ip4.hdr.type_of_service,
		    sv->ip4.hdr.time_to_live);
	if (sv->tos_ttl && sv->ipv6)
		put(o, " ip-tos %u ip-ttl %u",
		    rte_be_to_cpu_32(sv->ip6.hdr.vtc_flow) >> RTE_IPV6_HDR_TC_SHIFT & 0xff,
		    sv->ip6.hdr.hop_limits);
	put(o, " ip-src ");
	if (sv->ipv6)
		put_ip(o, AF_INET6, sv->ip6.hdr.src_addr);
	else
		put_ip(o, AF_INET, &sv->ip4.hdr.src_addr);
	put(o, " ip-dst ");
	if (sv->ipv6)
		put_ip(o, AF_INET6, sv->ip6.hdr.dst_addr);
	else
		put_ip(o, AF_INET, &sv->ip4.hdr.dst_addr);
	if (sv->vlan)
		put(o, " vlan-tci %u", rte_be_to_cpu_16(sv->vl.hdr.vlan_tci));
	put(o, " eth-src ");
	put_mac(o, &sv->eth.hdr.src_addr);
	put(o, " eth-dst ");
	put_mac(o, &sv->eth.hdr.dst_addr);
	put(o, "\n");
}

/* --- Actions -------------------------------------------------------------------------- */

/* How each encapsulation action of a rule is given to testpmd. */
enum encap_form { E_NONE, E_SET_VXLAN, E_RAW_ENCAP, E_RAW_DECAP };

struct encap_plan {
	uint32_t n_encap, n_decap; /* buffers used so far */
	bool set_vxlan_used;       /* one global 'set vxlan' per rule */
};

/*
 * Decides the form of action 'a' and prints its 'set' line into 'o' (NULL:
 * decide only). *buf gets the buffer number.
 */
static int
plan_encap(struct out *o, struct encap_plan *p, const struct rte_flow_action *a, uint32_t index,
	   enum encap_form *form, uint32_t *buf, struct ft_error *err)
{
	const char *name = action_name(a->type);
	uint8_t b[ENCAP_MAX]; /* a VXLAN_ENCAP's header bytes: 'e' points into them */
	struct encap e;
	int ret;

	*form = E_NONE;
	switch (a->type) {
	case RTE_FLOW_ACTION_TYPE_RAW_DECAP: {
		const struct rte_flow_action_raw_decap *c = a->conf;

		if (c == NULL)
			return action_err(err, -EINVAL, index, name, "no configuration");
		ret = encap_parse(c->data, c->size, &e, name, index, err);
		if (ret < 0)
			return ret;
		if (p->n_decap == RAW_BUFS)
			return action_err(err, -EINVAL, index, name,
					  "more than 8 raw_decap buffers in one rule");
		*form = E_RAW_DECAP;
		*buf = p->n_decap++;
		if (o != NULL) {
			put(o, "set raw_decap %u ", *buf);
			print_encap(o, &e);
		}
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_RAW_ENCAP: {
		const struct rte_flow_action_raw_encap *c = a->conf;

		if (c == NULL)
			return action_err(err, -EINVAL, index, name, "no configuration");
		if (c->preserve != NULL)
			return action_err(err, -ENOTSUP, index, name,
					  "testpmd cannot print a 'preserve' mask");
		ret = encap_parse(c->data, c->size, &e, name, index, err);
		if (ret < 0)
			return ret;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: {
		const struct rte_flow_action_vxlan_encap *c = a->conf;
		struct set_vxlan sv;
		size_t len = 0;

		if (c == NULL || c->definition == NULL)
			return action_err(err, -EINVAL, index, name, "no definition");
		/*
		 * 'set vxlan' when the definition is exactly what one of those
		 * commands builds: the rule then has the same VXLAN_ENCAP action.
		 * Otherwise the same header as RAW_ENCAP: 'set vxlan' cannot give
		 * an EtherType, a TTL without TOS, VXLAN flags, a flow label or
		 * any other field, and a VXLAN_ENCAP printed without them would
		 * lose bytes. testpmd holds one 'set vxlan' at a time, so a second
		 * VXLAN_ENCAP in the same rule also goes as RAW_ENCAP.
		 */
		if (!p->set_vxlan_used && set_vxlan_fits(c->definition, &sv)) {
			p->set_vxlan_used = true;
			*form = E_SET_VXLAN;
			if (o != NULL)
				print_set_vxlan(o, &sv);
			return 0;
		}
		ret = vxlan_def_bytes(c->definition, b, &len, index, err);
		if (ret < 0)
			return ret;
		ret = encap_parse(b, len, &e, name, index, err);
		if (ret < 0)
			return ret;
		break;
	}
	default:
		return 0;
	}
	/* RAW_ENCAP, or VXLAN_ENCAP printed as RAW_ENCAP. */
	if (p->n_encap == RAW_BUFS)
		return action_err(err, -EINVAL, index, name,
				  "more than 8 raw_encap buffers in one rule");
	*form = E_RAW_ENCAP;
	*buf = p->n_encap++;
	if (o != NULL) {
		put(o, "set raw_encap %u ", *buf);
		print_encap(o, &e);
	}
	return 0;
}

/* testpmd's RSS type names (app/test-pmd/config.c rss_type_table), one bit each. */
static const struct {
	const char *name;
	uint64_t bit;
} rss_types[] = {
	{"ipv4", RTE_ETH_RSS_IPV4},
	{"ipv4-frag", RTE_ETH_RSS_FRAG_IPV4},
	{"ipv4-tcp", RTE_ETH_RSS_NONFRAG_IPV4_TCP},
	{"ipv4-udp", RTE_ETH_RSS_NONFRAG_IPV4_UDP},
	{"ipv4-sctp", RTE_ETH_RSS_NONFRAG_IPV4_SCTP},
	{"ipv4-other", RTE_ETH_RSS_NONFRAG_IPV4_OTHER},
	{"ipv6", RTE_ETH_RSS_IPV6},
	{"ipv6-frag", RTE_ETH_RSS_FRAG_IPV6},
	{"ipv6-tcp", RTE_ETH_RSS_NONFRAG_IPV6_TCP},
	{"ipv6-udp", RTE_ETH_RSS_NONFRAG_IPV6_UDP},
	{"ipv6-sctp", RTE_ETH_RSS_NONFRAG_IPV6_SCTP},
	{"ipv6-other", RTE_ETH_RSS_NONFRAG_IPV6_OTHER},
	{"l2-payload", RTE_ETH_RSS_L2_PAYLOAD},
	{"ipv6-ex", RTE_ETH_RSS_IPV6_EX},
	{"ipv6-tcp-ex", RTE_ETH_RSS_IPV6_TCP_EX},
	{"ipv6-udp-ex", RTE_ETH_RSS_IPV6_UDP_EX},
	{"port", RTE_ETH_RSS_PORT},
	{"vxlan", RTE_ETH_RSS_VXLAN},
	{"geneve", RTE_ETH_RSS_GENEVE},
	{"nvgre", RTE_ETH_RSS_NVGRE},
	{"gtpu", RTE_ETH_RSS_GTPU},
	{"eth", RTE_ETH_RSS_ETH},
	{"s-vlan", RTE_ETH_RSS_S_VLAN},
	{"c-vlan", RTE_ETH_RSS_C_VLAN},
	{"esp", RTE_ETH_RSS_ESP},
	{"ah", RTE_ETH_RSS_AH},
	{"l2tpv3", RTE_ETH_RSS_L2TPV3},
	{"pfcp", RTE_ETH_RSS_PFCP},
	{"pppoe", RTE_ETH_RSS_PPPOE},
	{"ecpri", RTE_ETH_RSS_ECPRI},
	{"mpls", RTE_ETH_RSS_MPLS},
	{"ipv4-chksum", RTE_ETH_RSS_IPV4_CHKSUM},
	{"l4-chksum", RTE_ETH_RSS_L4_CHKSUM},
	{"l2tpv2", RTE_ETH_RSS_L2TPV2},
	{"l3-pre96", RTE_ETH_RSS_L3_PRE96},
	{"l3-pre64", RTE_ETH_RSS_L3_PRE64},
	{"l3-pre56", RTE_ETH_RSS_L3_PRE56},
	{"l3-pre48", RTE_ETH_RSS_L3_PRE48},
	{"l3-pre40", RTE_ETH_RSS_L3_PRE40},
	{"l3-pre32", RTE_ETH_RSS_L3_PRE32},
	{"l2-dst-only", RTE_ETH_RSS_L2_DST_ONLY},
	{"l2-src-only", RTE_ETH_RSS_L2_SRC_ONLY},
	{"l4-dst-only", RTE_ETH_RSS_L4_DST_ONLY},
	{"l4-src-only", RTE_ETH_RSS_L4_SRC_ONLY},
	{"l3-dst-only", RTE_ETH_RSS_L3_DST_ONLY},
	{"l3-src-only", RTE_ETH_RSS_L3_SRC_ONLY},
};

static const char *const rss_funcs[] = {
	[RTE_ETH_HASH_FUNCTION_DEFAULT] = "default",
	[RTE_ETH_HASH_FUNCTION_TOEPLITZ] = "toeplitz",
	[RTE_ETH_HASH_FUNCTION_SIMPLE_XOR] = "simple_xor",
	[RTE_ETH_HASH_FUNCTION_SYMMETRIC_TOEPLITZ] = "symmetric_toeplitz",
};

/* testpmd's ACTION_RSS_QUEUE_NUM. */
#define RSS_QUEUES_MAX 128

static int
print_rss(struct out *o, const struct rte_flow_action_rss *c, uint32_t index, struct ft_error *err)
{
	uint64_t left = c->types;

	if (c->key != NULL || c->key_len != 0)
		return action_err(err, -ENOTSUP, index, "rss", "an RSS key is not printed");
	if ((size_t)c->func >= ARRAY_SIZE(rss_funcs) || rss_funcs[c->func] == NULL)
		return action_err(err, -ENOTSUP, index, "rss", "hash function without a keyword");
	if (c->queue_num > RSS_QUEUES_MAX || (c->queue_num > 0 && c->queue == NULL))
		return action_err(err, -EINVAL, index, "rss", "bad queue list");
	put(o, "rss");
	if (c->func != RTE_ETH_HASH_FUNCTION_DEFAULT)
		put(o, " func %s", rss_funcs[c->func]);
	if (c->level != 0)
		put(o, " level %u", c->level);
	/* Always give the types: testpmd's default is the port's, not 0. */
	put(o, " types");
	for (size_t i = 0; i < ARRAY_SIZE(rss_types); i++) {
		if (left & rss_types[i].bit) {
			put(o, " %s", rss_types[i].name);
			left &= ~rss_types[i].bit;
		}
	}
	if (left != 0)
		return action_err(err, -ENOTSUP, index, "rss", "RSS type bits without a keyword");
	put(o, "%s end queues", c->types == 0 ? " none" : "");
	for (uint32_t i = 0; i < c->queue_num; i++)
		put(o, " %u", c->queue[i]);
	put(o, " end");
	return 0;
}

static int
print_action(struct out *o, const struct rte_flow_action *a, uint32_t index, enum encap_form form,
	     uint32_t buf, struct ft_error *err)
{
	const char *name = action_name(a->type);
	const void *conf = a->conf;

	if (name == NULL)
		return unknown_action(err, index, a->type);
	switch (a->type) {
	case RTE_FLOW_ACTION_TYPE_VOID:
	case RTE_FLOW_ACTION_TYPE_FLAG:
	case RTE_FLOW_ACTION_TYPE_DROP:
	case RTE_FLOW_ACTION_TYPE_VXLAN_DECAP:
	case RTE_FLOW_ACTION_TYPE_OF_POP_VLAN:
		put(o, "%s", name);
		return 0;
	case RTE_FLOW_ACTION_TYPE_COUNT: {
		const struct rte_flow_action_count *c = conf;

		put(o, "count");
		if (c != NULL && c->id != 0)
			put(o, " identifier %u", c->id);
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_RAW_DECAP:
		put(o, "raw_decap index %u", buf);
		return 0;
	case RTE_FLOW_ACTION_TYPE_RAW_ENCAP:
	case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP:
		if (form == E_SET_VXLAN)
			put(o, "vxlan_encap");
		else
			put(o, "raw_encap index %u", buf);
		return 0;
	default:
		break;
	}
	if (conf == NULL)
		return action_err(err, -EINVAL, index, name, "no configuration");
	switch (a->type) {
	case RTE_FLOW_ACTION_TYPE_MARK:
		put(o, "mark id %u", ((const struct rte_flow_action_mark *)conf)->id);
		return 0;
	case RTE_FLOW_ACTION_TYPE_SET_TAG: {
		const struct rte_flow_action_set_tag *c = conf;

		put(o, "set_tag data %u mask 0x%x index %u", c->data, c->mask, c->index);
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_SET_META: {
		const struct rte_flow_action_set_meta *c = conf;

		put(o, "set_meta data %u mask 0x%x", c->data, c->mask);
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
		put(o, "of_push_vlan ethertype 0x%04x",
		    rte_be_to_cpu_16(
			    ((const struct rte_flow_action_of_push_vlan *)conf)->ethertype));
		return 0;
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
		put(o, "of_set_vlan_vid vlan_vid %u",
		    rte_be_to_cpu_16(
			    ((const struct rte_flow_action_of_set_vlan_vid *)conf)->vlan_vid));
		return 0;
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
		put(o, "of_set_vlan_pcp vlan_pcp %u",
		    ((const struct rte_flow_action_of_set_vlan_pcp *)conf)->vlan_pcp);
		return 0;
	case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
	case RTE_FLOW_ACTION_TYPE_SET_MAC_DST: {
		const struct rte_flow_action_set_mac *c = conf;

		put(o, "%s mac_addr ", name);
		put_mac(o, (const struct rte_ether_addr *)c->mac_addr);
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_JUMP:
		put(o, "jump group %u", ((const struct rte_flow_action_jump *)conf)->group);
		return 0;
	case RTE_FLOW_ACTION_TYPE_QUEUE:
		put(o, "queue index %u", ((const struct rte_flow_action_queue *)conf)->index);
		return 0;
	case RTE_FLOW_ACTION_TYPE_RSS:
		return print_rss(o, conf, index, err);
	case RTE_FLOW_ACTION_TYPE_PORT_ID: {
		const struct rte_flow_action_port_id *c = conf;

		put(o, "port_id%s id %u", c->original ? " original 1" : "", c->id);
		return 0;
	}
	case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
		put(o, "represented_port ethdev_port_id %u",
		    ((const struct rte_flow_action_ethdev *)conf)->port_id);
		return 0;
	case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
		put(o, "port_representor port_id %u",
		    ((const struct rte_flow_action_ethdev *)conf)->port_id);
		return 0;
	default:
		return action_err(err, -ENOTSUP, index, name,
				  "action not supported by the printer");
	}
}

/*
 * Writes the 'set' lines the action lists need, then 'head' and each list as
 * ' KEYWORD ... / end', then a newline. A list marked FT_FLOW_TEXT_SAME_BUFS
 * prints no 'set' line: its encapsulations take the buffers of the action
 * list before it, which has the same action types and headers.
 */
static int
command_text(struct out *o, const char *head, const struct ft_flow_text_list lists[],
	     uint32_t n_lists, struct ft_error *err)
{
	struct encap_plan plan = {0}, prev = {0}, same;
	enum encap_form form;
	uint32_t l, n;
	int ret;

	/* The 'set' lines first: testpmd reads the buffers when it parses the command. */
	for (l = 0; l < n_lists; l++) {
		if (lists[l].actions == NULL || (lists[l].flags & FT_FLOW_TEXT_SAME_BUFS))
			continue;
		for (n = 0; lists[l].actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++) {
			uint32_t b;

			ret = plan_encap(o, &plan, &lists[l].actions[n], n, &form, &b, err);
			if (ret < 0)
				return ret;
		}
	}
	put(o, "%s", head);
	memset(&plan, 0, sizeof(plan));
	for (l = 0; l < n_lists; l++) {
		const struct ft_flow_text_list *li = &lists[l];

		if ((li->pattern == NULL) == (li->actions == NULL) || li->keyword == NULL)
			return ft_error_set(err, -EINVAL, FT_ERR_RULE, l, NULL,
					    "list %u: give a keyword and a pattern or actions", l);
		put(o, " %s ", li->keyword);
		if (li->pattern != NULL) {
			for (n = 0; li->pattern[n].type != RTE_FLOW_ITEM_TYPE_END; n++) {
				ret = print_item(o, &li->pattern[n], n, li->flags & FT_FLOW_TEXT_MASKS,
						 err);
				if (ret < 0)
					return ret;
				put(o, " / ");
			}
			put(o, "end");
			continue;
		}
		struct encap_plan *p = &plan;

		if (li->flags & FT_FLOW_TEXT_SAME_BUFS) {
			same = prev;
			p = &same;
		} else {
			prev = plan;
		}
		for (n = 0; li->actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++) {
			uint32_t b = 0;

			ret = plan_encap(NULL, p, &li->actions[n], n, &form, &b, err);
			if (ret < 0)
				return ret;
			ret = print_action(o, &li->actions[n], n, form, b, err);
			if (ret < 0)
				return ret;
			put(o, " / ");
		}
		put(o, "end");
	}
	put(o, "\n");
	return 0;
}

/* Ends the text: refuses a line testpmd would cut, else returns its length. */
static int
command_end(struct out *o, const char *what, struct ft_error *err)
{
	if (o->line_max > FT_FLOW_TESTPMD_LINE_MAX) {
		if (o->size > 0)
			o->buf[0] = '\0';
		return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, UINT32_MAX, what,
				    "a line of %zu characters: testpmd reads at most %d",
				    o->line_max, FT_FLOW_TESTPMD_LINE_MAX);
	}
	return o->len > INT32_MAX ? -EINVAL : (int)o->len;
}

int
ft_flow_testpmd(char *buf, size_t size, uint16_t port, const struct rte_flow_attr *attr,
		const struct rte_flow_item pattern[], const struct rte_flow_action actions[],
		struct ft_error *err)
{
	struct out o = {.buf = buf, .size = size, .len = 0};
	const struct ft_flow_text_list lists[] = {
		{.keyword = "pattern", .pattern = pattern},
		{.keyword = "actions", .actions = actions},
	};
	char head[96];
	size_t n;
	int ret;

	if (size > 0)
		buf[0] = '\0';
	if (attr == NULL || pattern == NULL || actions == NULL)
		return ft_error_set(err, -EINVAL, FT_ERR_RULE, UINT32_MAX, NULL,
				    "rule without attributes, pattern or actions");
	if (!attr->ingress && !attr->egress && !attr->transfer)
		return ft_error_set(err, -EINVAL, FT_ERR_RULE, UINT32_MAX, "attr", "no direction");
	if (attr->reserved != 0)
		return ft_error_set(err, -ENOTSUP, FT_ERR_RULE, UINT32_MAX, "attr",
				    "reserved attribute bits set");
	/* At most 78 characters: "flow create 65535 group 4294967295 priority ..." */
	n = snprintf(head, sizeof(head), "flow create %u", port);
	if (attr->group != 0)
		n += snprintf(head + n, sizeof(head) - n, " group %u", attr->group);
	if (attr->priority != 0)
		n += snprintf(head + n, sizeof(head) - n, " priority %u", attr->priority);
	snprintf(head + n, sizeof(head) - n, "%s%s%s", attr->ingress ? " ingress" : "",
		 attr->egress ? " egress" : "", attr->transfer ? " transfer" : "");
	ret = command_text(&o, head, lists, 2, err);
	if (ret < 0)
		return ret;
	return command_end(&o, "flow create", err);
}

int
ft_flow_testpmd_command(char *buf, size_t size, const char *head,
			const struct ft_flow_text_list lists[], uint32_t n_lists,
			struct ft_error *err)
{
	struct out o = {.buf = buf, .size = size, .len = 0};
	char what[48];
	int ret;

	if (size > 0)
		buf[0] = '\0';
	if (head == NULL || (lists == NULL && n_lists > 0))
		return ft_error_set(err, -EINVAL, FT_ERR_RULE, UINT32_MAX, NULL,
				    "command without a head or lists");
	/* The error names the command by its first two words: "flow queue". */
	snprintf(what, sizeof(what), "%s", head);
	for (char *s = strchr(what, ' '); s != NULL; s = NULL) {
		char *t = strchr(s + 1, ' ');

		if (t != NULL)
			*t = '\0';
	}
	ret = command_text(&o, head, lists, n_lists, err);
	if (ret < 0) {
		if (size > 0)
			buf[0] = '\0';
		return ret;
	}
	return command_end(&o, what, err);
}

/* --- JSON ------------------------------------------------------------------------------- */

static json_t *
field_json(const struct field *f, const void *obj)
{
	char s[64];
	uint64_t v;

	if (f->kind != FK_UINT) {
		field_str(f, obj, false, s, sizeof(s));
		return json_string(s);
	}
	v = field_load(f, obj);
	if (v > INT64_MAX) {
		snprintf(s, sizeof(s), "0x%" PRIx64, v);
		return json_string(s);
	}
	return json_integer((json_int_t)v);
}

static json_t *
fields_json(const struct item_desc *d, const void *obj)
{
	json_t *j = json_object();

	for (uint32_t i = 0; j != NULL && i < d->n_fields; i++) {
		if (d->fields[i].flags & F_PART)
			continue;
		if (json_object_set_new(j, d->fields[i].name, field_json(&d->fields[i], obj)) < 0) {
			json_decref(j);
			return NULL;
		}
	}
	return j;
}

static int
set(json_t *obj, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new(obj, key, v);
}

static json_t *
items_json(const struct rte_flow_item *pattern, struct ft_error *err)
{
	json_t *list = json_array();

	for (uint32_t n = 0; list != NULL && pattern[n].type != RTE_FLOW_ITEM_TYPE_END; n++) {
		const struct rte_flow_item *it = &pattern[n];
		const char *name = item_name(it->type);
		const struct item_desc *d = item_desc_find(it->type);
		json_t *j = json_object();

		if (name == NULL || (d == NULL && it->type != RTE_FLOW_ITEM_TYPE_VOID)) {
			unknown_item(err, n, it->type);
			json_decref(j);
			json_decref(list);
			return NULL;
		}
		if (j == NULL || json_array_append_new(list, j) < 0 ||
		    set(j, "type", json_string(name)) < 0)
			goto nomem;
		if (d == NULL || it->spec == NULL)
			continue;
		if (set(j, "spec", fields_json(d, it->spec)) < 0 ||
		    set(j, "mask", fields_json(d, it->mask != NULL ? it->mask : d->default_mask)) <
			    0 ||
		    (it->last != NULL && set(j, "last", fields_json(d, it->last)) < 0))
			goto nomem;
	}
	return list;
nomem:
	json_decref(list);
	ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	return NULL;
}

static json_t *
hex_json(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char s[2 * 512 + 1];
	json_t *j;

	if (p == NULL)
		return json_null();
	if (n > 512)
		n = 512;
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	j = json_string(s);
	return j;
}

static json_t *
mac_json(const uint8_t *p)
{
	char s[32];

	snprintf(s, sizeof(s), "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
	return json_string(s);
}

/* The "conf" of an action; NULL for none; *bad when out of memory or not known. */
static json_t *
conf_json(const struct rte_flow_action *a, uint32_t index, bool *bad, struct ft_error *err)
{
	const void *conf = a->conf;
	json_t *j;

	*bad = false;
	if (conf == NULL)
		return NULL;
	j = json_object();
	if (j == NULL)
		goto nomem;
	switch (a->type) {
	case RTE_FLOW_ACTION_TYPE_MARK:
		if (set(j, "id", json_integer(((const struct rte_flow_action_mark *)conf)->id)) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_COUNT:
		if (set(j, "id", json_integer(((const struct rte_flow_action_count *)conf)->id)) <
		    0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_SET_TAG: {
		const struct rte_flow_action_set_tag *c = conf;

		if (set(j, "data", json_integer(c->data)) < 0 ||
		    set(j, "mask", json_integer(c->mask)) < 0 ||
		    set(j, "index", json_integer(c->index)) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_SET_META: {
		const struct rte_flow_action_set_meta *c = conf;

		if (set(j, "data", json_integer(c->data)) < 0 ||
		    set(j, "mask", json_integer(c->mask)) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_RAW_DECAP: {
		const struct rte_flow_action_raw_decap *c = conf;

		if (set(j, "size", json_integer((json_int_t)c->size)) < 0 ||
		    set(j, "data", hex_json(c->data, c->size)) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_RAW_ENCAP: {
		const struct rte_flow_action_raw_encap *c = conf;

		if (set(j, "size", json_integer((json_int_t)c->size)) < 0 ||
		    set(j, "data", hex_json(c->data, c->size)) < 0 ||
		    (c->preserve != NULL && set(j, "preserve", hex_json(c->preserve, c->size)) < 0))
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_VXLAN_ENCAP: {
		const struct rte_flow_action_vxlan_encap *c = conf;
		json_t *def = c->definition != NULL ? items_json(c->definition, err) : json_null();

		if (def == NULL) {
			json_decref(j);
			*bad = true;
			return NULL;
		}
		if (set(j, "definition", def) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_OF_PUSH_VLAN:
		if (set(j, "ethertype",
			json_integer(rte_be_to_cpu_16(
				((const struct rte_flow_action_of_push_vlan *)conf)->ethertype))) <
		    0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_VID:
		if (set(j, "vlan_vid",
			json_integer(rte_be_to_cpu_16(
				((const struct rte_flow_action_of_set_vlan_vid *)conf)
					->vlan_vid))) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_OF_SET_VLAN_PCP:
		if (set(j, "vlan_pcp",
			json_integer(
				((const struct rte_flow_action_of_set_vlan_pcp *)conf)->vlan_pcp)) <
		    0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_SET_MAC_SRC:
	case RTE_FLOW_ACTION_TYPE_SET_MAC_DST:
		if (set(j, "mac_addr",
			mac_json(((const struct rte_flow_action_set_mac *)conf)->mac_addr)) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_JUMP:
		if (set(j, "group",
			json_integer(((const struct rte_flow_action_jump *)conf)->group)) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_QUEUE:
		if (set(j, "index",
			json_integer(((const struct rte_flow_action_queue *)conf)->index)) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_RSS: {
		const struct rte_flow_action_rss *c = conf;
		json_t *q = json_array();

		if (set(j, "queues", q) < 0)
			goto nomem;
		for (uint32_t i = 0; c->queue != NULL && i < c->queue_num; i++)
			if (json_array_append_new(q, json_integer(c->queue[i])) < 0)
				goto nomem;
		if (set(j, "func", json_integer(c->func)) < 0 ||
		    set(j, "level", json_integer(c->level)) < 0 ||
		    set(j, "types", json_integer((json_int_t)c->types)) < 0 ||
		    set(j, "key_len", json_integer(c->key_len)) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_PORT_ID: {
		const struct rte_flow_action_port_id *c = conf;

		if (set(j, "id", json_integer(c->id)) < 0 ||
		    set(j, "original", json_boolean(c->original)) < 0)
			goto nomem;
		break;
	}
	case RTE_FLOW_ACTION_TYPE_REPRESENTED_PORT:
		if (set(j, "ethdev_port_id",
			json_integer(((const struct rte_flow_action_ethdev *)conf)->port_id)) < 0)
			goto nomem;
		break;
	case RTE_FLOW_ACTION_TYPE_PORT_REPRESENTOR:
		if (set(j, "port_id",
			json_integer(((const struct rte_flow_action_ethdev *)conf)->port_id)) < 0)
			goto nomem;
		break;
	default: /* FLAG, DROP, VXLAN_DECAP, OF_POP_VLAN, VOID: no configuration */
		json_decref(j);
		return NULL;
	}
	return j;
nomem:
	json_decref(j);
	*bad = true;
	ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, index, NULL, "out of memory");
	return NULL;
}

json_t *
ft_flow_json(uint16_t port, const struct rte_flow_attr *attr, const struct rte_flow_item pattern[],
	     const struct rte_flow_action actions[], struct ft_error *err)
{
	json_t *root, *ja, *acts, *items;

	if (attr == NULL || pattern == NULL || actions == NULL) {
		ft_error_set(err, -EINVAL, FT_ERR_RULE, UINT32_MAX, NULL,
			     "rule without attributes, pattern or actions");
		return NULL;
	}
	root = json_object();
	if (root == NULL)
		goto nomem;
	ja = json_object();
	if (set(root, "port", json_integer(port)) < 0 || set(root, "attr", ja) < 0 ||
	    set(ja, "group", json_integer(attr->group)) < 0 ||
	    set(ja, "priority", json_integer(attr->priority)) < 0 ||
	    set(ja, "ingress", json_boolean(attr->ingress)) < 0 ||
	    set(ja, "egress", json_boolean(attr->egress)) < 0 ||
	    set(ja, "transfer", json_boolean(attr->transfer)) < 0)
		goto nomem;
	items = items_json(pattern, err);
	if (items == NULL || set(root, "pattern", items) < 0) {
		json_decref(root);
		return NULL;
	}
	acts = json_array();
	if (set(root, "actions", acts) < 0)
		goto nomem;
	for (uint32_t n = 0; actions[n].type != RTE_FLOW_ACTION_TYPE_END; n++) {
		const char *name = action_name(actions[n].type);
		json_t *a, *conf;
		bool bad;

		if (name == NULL) {
			unknown_action(err, n, actions[n].type);
			json_decref(root);
			return NULL;
		}
		conf = conf_json(&actions[n], n, &bad, err);
		if (bad) {
			json_decref(root);
			return NULL;
		}
		a = json_object();
		if (json_array_append_new(acts, a) < 0 || set(a, "type", json_string(name)) < 0 ||
		    (conf != NULL && set(a, "conf", conf) < 0))
			goto nomem;
	}
	return root;
nomem:
	json_decref(root);
	ft_error_set(err, -ENOMEM, FT_ERR_RESOURCE, UINT32_MAX, NULL, "out of memory");
	return NULL;
}
