/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pipeline IR and its builder.
 *
 * A 'struct ft_program' is a match-action pipeline as data: the header types
 * and instances a packet may carry, the metadata fields, the actions, the
 * tables, the control flow of the ingress and (optional) egress controls, and
 * the order in which the deparser emits headers. The P4 front end (p4/)
 * produces one from a P4_16 program; tests and embedders build one with the
 * functions below. ft_pipeline_create() (pipeline.h) checks it and turns it
 * into something that runs.
 *
 * Objects are named, and numbered in the order they are added, from 0: every
 * ft_program_add_*() returns the new object's id (>= 0) or a negative errno
 * with 'err' naming the object at fault. Names are copied. Arrays passed in
 * are copied; the caller keeps ownership of its own memory.
 *
 * Semantics, P4 where P4 has one:
 *
 *  - Header instances start invalid, except those the parser fills (each
 *    instance of a parsed protocol names its layer, enum ft_layer). Reading a
 *    field of an invalid header gives 0; writing one is ignored (P4 leaves
 *    both undefined; we pick the defined choice). setValid() on an invalid
 *    header zeroes it; assigning a whole header (FT_REF_HEADER to
 *    FT_REF_HEADER) copies its bytes and validity.
 *  - Fields are big-endian bit strings packed in declaration order, as in
 *    P4. Values of up to 64 bits take part in arithmetic, which wraps at the
 *    destination's width; wider fields (IPv6 addresses) can be assigned and
 *    compared for equality, nothing else.
 *  - Actions are straight-line lists of operations. An action that sets no
 *    output and is the last to run leaves the packet to be dropped, as PNA
 *    does: send_to_port() and drop_packet() are "last one wins".
 *  - Control flow is a graph of nodes whose edges only go forward (to a node
 *    with a larger id, or to FT_NODE_END), so it has no loops.
 *  - Replication (a broadcast to a group) happens at the end of the ingress
 *    control: the packet is deparsed, and each member (port, rid) gets its
 *    own copy, which is parsed again (as PSA's egress parser would), runs
 *    the egress control with the ingress control's metadata and std.rid and
 *    std.out_port set, then is deparsed and sent. A packet that is not
 *    replicated also runs the egress control, with rid 0. Mirroring copies
 *    the packet as it leaves.
 *
 * Thread-safety: a program is built by one thread. Once handed to
 * ft_pipeline_create() it must not change; it may be read by any thread.
 */
#ifndef FLOWTWIN_PROGRAM_H
#define FLOWTWIN_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <flowtwin/error.h>
#include <flowtwin/parse.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_program;

/* Limits of the model. A program beyond them is rejected with -ENOTSUP. */
#define FT_HEADERS_MAX 32	 /* header instances */
#define FT_HEADER_BYTES_MAX 64	 /* bytes of one header type */
#define FT_META_BYTES_MAX 128	 /* bytes of all metadata fields */
#define FT_FIELD_BITS_MAX 128	 /* bits of one field or parameter */
#define FT_KEY_BYTES_MAX 64	 /* bytes of a table key */
#define FT_ACTION_DATA_MAX 128	 /* bytes of one action's parameters */
#define FT_DIGEST_BYTES_MAX 64	 /* bytes of one digest's data */
#define FT_DATA_BYTES_MAX 256	 /* bytes of a checksum's or hash's data (headers at their declared size) */
#define FT_TABLE_SIZE_MAX (1u << 24) /* entries of a table, cells of a counter array */
#define FT_GROUPS_MAX 65536	 /* replication groups */
#define FT_MIRRORS_MAX 256	 /* mirror sessions */
#define FT_NODE_END UINT32_MAX	 /* "after the last node of the control" */
#define FT_NEXT_DEFAULT (UINT32_MAX - 1)/* in next_hit/next_miss: use 'next' */

/*
 * Creates an empty program. Caller owns the result; free with
 * ft_program_destroy(). Returns NULL when out of memory.
 */
struct ft_program *ft_program_create(const char *name);
void ft_program_destroy(struct ft_program *prog);
const char *ft_program_name(const struct ft_program *prog);

/* --- Headers --------------------------------------------------------------- */

struct ft_field_decl {
	const char *name;
	uint32_t bits; /* 1 .. FT_FIELD_BITS_MAX */
};

/*
 * Adds a header type: fields packed in order, total a multiple of 8 bits and
 * at most FT_HEADER_BYTES_MAX bytes. Field names are unique in the type and
 * contain no '.'. Returns the type id.
 */
int ft_program_add_header_type(struct ft_program *prog, const char *name,
			       const struct ft_field_decl *fields, uint32_t n_fields,
			       struct ft_error *err);

/*
 * Adds a header instance of type 'type'. 'proto' is what it is (its protocol
 * role; FT_PROTO_NONE for a header the model does not know); 'layer' is where
 * the parser finds it, or FT_L_NONE for a header only actions make valid (the
 * outer headers of an encapsulation, say). A parsed instance's protocol must
 * be its layer's; an instance with a protocol (parsed or not) must have that
 * protocol's size (parse.h: ft_proto_size()). At most one instance per layer.
 * Names contain no '.' and are not "meta" or "std" (see ft_program_resolve()).
 * Returns the instance id.
 */
int ft_program_add_header(struct ft_program *prog, const char *name, uint32_t type,
			  enum ft_proto proto, enum ft_layer layer, struct ft_error *err);

/* Adds a metadata field, zero at the start of each packet. Returns its id. */
int ft_program_add_metadata(struct ft_program *prog, const char *name, uint32_t bits,
			    struct ft_error *err);

/*
 * Sets the UDP destination ports that mean VXLAN (default: 4789 only): at most
 * FT_PARSE_VXLAN_PORTS_MAX, none 0, no repeats; n == 0 means none.
 */
int ft_program_set_vxlan_ports(struct ft_program *prog, const uint16_t *ports, uint32_t n,
			       struct ft_error *err);

/* Sets (replaces) the order in which the deparser emits valid headers; each at most once. */
int ft_program_set_emit(struct ft_program *prog, const uint32_t *headers, uint32_t n,
			struct ft_error *err);

/* --- Operands -------------------------------------------------------------- */

enum ft_ref_kind {
	FT_REF_NONE = 0,
	FT_REF_CONST,  /* a constant: 'value' (see struct ft_ref), 'width' bits (1 .. 128) */
	FT_REF_FIELD,  /* field 'field' of header instance 'id' */
	FT_REF_META,   /* metadata field 'id' */
	FT_REF_STD,    /* standard metadata 'id' (enum ft_std) */
	FT_REF_PARAM,  /* parameter 'id' of the running action */
	FT_REF_HEADER, /* header instance 'id' as a whole */
};

/*
 * Standard metadata, readable by any operation. X(ENUM, name, bits):
 *   in_port    the port the packet came in on
 *   out_port   the port chosen by send_to_port(), or in egress, the member's port
 *   pkt_len    the length of the packet as received
 *   rid        in egress, the replication id of this copy; else 0
 *   timestamp  the worker's clock at the start of the burst, in ms
 */
#define FT_STD_FIELDS(X)                                                                          \
	X(IN_PORT, "in_port", 32)                                                                  \
	X(OUT_PORT, "out_port", 32)                                                                \
	X(PKT_LEN, "pkt_len", 16)                                                                  \
	X(RID, "rid", 16)                                                                          \
	X(TIMESTAMP, "timestamp", 64)

enum ft_std {
#define FT_STD_ENUM(e, name, bits) FT_STD_##e,
	FT_STD_FIELDS(FT_STD_ENUM)
#undef FT_STD_ENUM
	FT_STD_COUNT
};

/* "in_port", or NULL for an unknown id. */
const char *ft_std_name(enum ft_std std);
/* Width in bits of a standard metadata field, or 0 for an unknown id. */
uint32_t ft_std_bits(enum ft_std std);

struct ft_ref {
	enum ft_ref_kind kind;
	uint32_t id;
	uint32_t field;
	uint32_t width;	   /* FT_REF_CONST only */
	uint8_t value[16]; /* FT_REF_CONST only: a 128-bit big-endian number, value[15] its
			    * least significant byte; bits at and above 'width' are zero */
};

struct ft_ref ft_ref_const(uint64_t value, uint32_t width);
/* A constant of 'width' bits (<= 128) from ceil(width / 8) big-endian bytes. */
struct ft_ref ft_ref_const_bytes(const uint8_t *bytes, uint32_t width);
struct ft_ref ft_ref_field(uint32_t header, uint32_t field);
struct ft_ref ft_ref_meta(uint32_t meta);
struct ft_ref ft_ref_std(enum ft_std std);
struct ft_ref ft_ref_param(uint32_t param);
struct ft_ref ft_ref_header(uint32_t header);

/*
 * Resolves a dotted name: "ipv4.dst_addr" (header field), "ipv4" (whole
 * header), "meta.vni" (metadata), "std.in_port" (standard metadata: in_port,
 * out_port, pkt_len, rid, timestamp). Returns 0 or -ENOENT.
 */
int ft_program_resolve(const struct ft_program *prog, const char *name, struct ft_ref *out);

/*
 * The name ft_program_resolve() reads back for a field, metadata, standard
 * metadata or whole header 'ref' ("ipv4.dst_addr", "meta.vni",
 * "std.in_port", "ipv4"). Returns what snprintf() would, or -ENOENT for
 * another kind of ref or a bad id (buf then holds "?").
 */
int ft_program_ref_name(const struct ft_program *prog, const struct ft_ref *ref, char *buf,
			size_t size);

/*
 * Width in bits of what 'ref' designates, or 0 if invalid: a whole header is
 * its type's bytes * 8; parameters are those of action 'action' (pass
 * UINT32_MAX outside an action, where a parameter is invalid).
 */
uint32_t ft_program_ref_width(const struct ft_program *prog, uint32_t action,
			      const struct ft_ref *ref);

/* --- Actions --------------------------------------------------------------- */

enum ft_op_kind {
	FT_OP_SET,	   /* dst = a (fields, or whole headers) */
	FT_OP_ADD,	   /* dst = a + b */
	FT_OP_SUB,	   /* dst = a - b */
	FT_OP_AND,	   /* dst = a & b */
	FT_OP_OR,	   /* dst = a | b */
	FT_OP_XOR,	   /* dst = a ^ b */
	FT_OP_SHL,	   /* dst = a << b */
	FT_OP_SHR,	   /* dst = a >> b */
	FT_OP_NOT,	   /* dst = ~a */
	FT_OP_SET_VALID,   /* dst (FT_REF_HEADER) becomes valid, zeroed if it was not */
	FT_OP_SET_INVALID, /* dst (FT_REF_HEADER) becomes invalid */
	FT_OP_CSUM,	   /* dst = 16-bit ones' complement checksum of 'list' */
	FT_OP_HASH,	   /* dst = a + hash(list) % b, hash 'id' (enum ft_hash) */
	FT_OP_SEND,	   /* send_to_port(a) */
	FT_OP_DROP,	   /* drop_packet() */
	FT_OP_REPLICATE,   /* replicate to group a */
	FT_OP_MIRROR,	   /* mirror to session a */
	FT_OP_DIGEST,	   /* raise digest 'id' with the values of 'list' */
	FT_OP_LEARN,	   /* add to the applied table: key of this lookup -> action 'id'(list) */
	FT_OP_COUNT,	   /* count in counter array 'id' at index a */
};

enum ft_hash {
	FT_HASH_CRC32,	     /* CRC-32 (IEEE 802.3), as P4's HashAlgorithm.crc32 */
	FT_HASH_CRC16,	     /* CRC-16/ARC, as P4's HashAlgorithm.crc16 */
	FT_HASH_IDENTITY,    /* the data itself, truncated */
	FT_HASH_TOEPLITZ,    /* Toeplitz with the Microsoft RSS key, as NICs compute RSS */
	/*
	 * Whatever the target computes (PNA's TARGET_DEFAULT): the model
	 * computes CRC-32; a NIC that computes its own (a ConnectX's
	 * encapsulation entropy) may stand in for it, so that its value is
	 * target-defined when the twins are compared (twin.h).
	 */
	FT_HASH_TARGET_DEFAULT,
};

struct ft_op {
	enum ft_op_kind kind;
	struct ft_ref dst;
	struct ft_ref a;
	struct ft_ref b;
	uint32_t id;
	const struct ft_ref *list;
	uint32_t n_list;
};

struct ft_param_decl {
	const char *name;
	uint32_t bits;
};

/*
 * Adds an action. Operations are copied, each op's list too. Returns the
 * action id. The packed form of its parameters ("action data") is each
 * parameter in ceil(bits / 8) big-endian bytes, in order.
 *
 * Operands. A destination is a header field or metadata (or, for SET,
 * SET_VALID and SET_INVALID, a whole header); a value is a constant, field,
 * metadata, standard metadata or parameter. Values of up to 64 bits of any
 * widths mix: they are zero-extended, and the result truncated to the
 * destination. Wider values only SET to (or compare with) a value of the same
 * width; a whole header SETs only from a header of its type. Arithmetic,
 * NOT, HASH (dst, a, b), SEND, REPLICATE, MIRROR and COUNT (a) take values of
 * at most 64 bits. The list of CSUM, HASH and DIGEST holds values or whole
 * headers, concatenated as bit strings: for CSUM and HASH non-empty and a
 * whole number of bytes; for DIGEST packed as each item in ceil(bits / 8)
 * bytes, at most FT_DIGEST_BYTES_MAX, the same widths in every DIGEST of one
 * digest. CSUM's dst is 16 bits. HASH's b, if a constant, is not 0. LEARN's
 * list holds one value per parameter of action 'id' (an earlier action), each
 * no wider than its parameter. COUNT with a constant index must be inside
 * the counter array.
 */
int ft_program_add_action(struct ft_program *prog, const char *name,
			  const struct ft_param_decl *params, uint32_t n_params,
			  const struct ft_op *ops, uint32_t n_ops, struct ft_error *err);

/* Size in bytes of an action's packed data; -ENOENT for a bad id. */
int ft_program_action_data_size(const struct ft_program *prog, uint32_t action);

/* --- Tables ---------------------------------------------------------------- */

enum ft_match_kind { FT_MATCH_EXACT, FT_MATCH_TERNARY, FT_MATCH_LPM };

struct ft_key_decl {
	struct ft_ref ref; /* a header field, metadata or standard metadata */
	enum ft_match_kind match;
};

enum ft_action_scope {
	FT_SCOPE_ANY = 0,     /* for entries and as default */
	FT_SCOPE_TABLE_ONLY,  /* @tableonly */
	FT_SCOPE_DEFAULT_ONLY /* @defaultonly */
};

struct ft_table_action {
	uint32_t action;
	enum ft_action_scope scope;
};

struct ft_table_decl {
	const char *name;
	const struct ft_key_decl *keys;
	uint32_t n_keys;
	const struct ft_table_action *actions;
	uint32_t n_actions;
	uint32_t default_action;
	const uint8_t *default_data; /* packed; NULL for an action without parameters */
	bool default_const;
	uint32_t size;		  /* entries it must hold; 1 .. 16M */
	uint32_t idle_timeout_ms; /* 0: entries never age */
	bool add_on_miss;	  /* PNA add_on_miss: its default action may learn */
	bool const_entries;	  /* P4 'const entries': the program's entries are all it has */
};

/*
 * Adds a table. The key of an entry is its fields' values packed as each
 * field in ceil(bits / 8) big-endian bytes, in order. A table whose keys are
 * all exact is a hash table; with exactly one lpm field and the others exact,
 * the longest prefix wins; with any ternary field, the largest priority wins
 * (lpm fields then must be prefix masks). A table without keys always misses.
 * Returns the table id.
 *
 * Keys are header fields, metadata or standard metadata; at most one lpm
 * field. Actions are listed once each; the default action is one of them and
 * not @tableonly; 'default_data' is copied (ft_program_action_data_size()
 * bytes; NULL: zeros). An add_on_miss table has a key, all exact. An action
 * that learns may be listed only by add_on_miss tables, as @defaultonly or as
 * the default action, and each action it learns must be listed and not
 * @defaultonly.
 */
int ft_program_add_table(struct ft_program *prog, const struct ft_table_decl *decl,
			 struct ft_error *err);

/* A table entry (pipeline.h adds and reads them). */
struct ft_entry {
	const uint8_t *key;  /* ft_program_key_size() bytes */
	const uint8_t *mask; /* same layout; NULL: every bit matters */
	uint32_t priority;   /* ternary tables: the largest wins */
	uint32_t action;
	const uint8_t *data; /* packed action data; NULL if the action has none */
};

/*
 * Adds an entry the table has from the start (P4's 'entries' and 'const
 * entries'): ft_pipeline_create() installs them in the order added, as one
 * transaction, and fails if one is refused. 'e' and what it points to are
 * copied. In a table declared with const_entries the control plane can add,
 * modify or delete nothing.
 */
int ft_program_add_entry(struct ft_program *prog, uint32_t table, const struct ft_entry *e,
			 struct ft_error *err);

/* The entries added to 'table' by ft_program_add_entry(): *n of them (NULL when none). */
const struct ft_entry *ft_program_entries(const struct ft_program *prog, uint32_t table,
					  uint32_t *n);

/* Key size in bytes of a table; -ENOENT for a bad id. */
int ft_program_key_size(const struct ft_program *prog, uint32_t table);

/*
 * Adds an indexed counter array (P4 Counter) of 'size' cells (1 ..
 * FT_TABLE_SIZE_MAX). Returns its id.
 */
int ft_program_add_counter(struct ft_program *prog, const char *name, uint32_t size,
			   struct ft_error *err);

/* Adds a digest (an event for the control plane). Returns its id. */
int ft_program_add_digest(struct ft_program *prog, const char *name, struct ft_error *err);

/*
 * Sets how many replication groups and mirror sessions there are (default 1024
 * and 16; 1 .. FT_GROUPS_MAX and 1 .. FT_MIRRORS_MAX).
 */
int ft_program_set_limits(struct ft_program *prog, uint32_t n_groups, uint32_t n_mirrors,
			  struct ft_error *err);

/* --- Control flow ---------------------------------------------------------- */

enum ft_cond_kind {
	FT_COND_VALID, /* header 'hdr' is valid */
	FT_COND_CMP,   /* a 'cmp' b */
	FT_COND_NOT,   /* !cond[l] */
	FT_COND_AND,   /* cond[l] && cond[r] */
	FT_COND_OR,    /* cond[l] || cond[r] */
};

enum ft_cmp { FT_CMP_EQ, FT_CMP_NE, FT_CMP_LT, FT_CMP_LE, FT_CMP_GT, FT_CMP_GE };

struct ft_cond {
	enum ft_cond_kind kind;
	enum ft_cmp cmp;
	struct ft_ref a, b;
	uint32_t hdr;
	uint32_t l, r; /* ids of earlier conditions */
};

/* Adds a condition. Returns its id. */
int ft_program_add_cond(struct ft_program *prog, const struct ft_cond *cond,
			struct ft_error *err);

enum ft_control { FT_CTL_INGRESS, FT_CTL_EGRESS, FT_CTL_COUNT };

enum ft_node_kind {
	FT_NODE_APPLY, /* apply 'table', then go to next_hit/next_miss/on_action/next */
	FT_NODE_RUN,   /* run 'action' (no parameters), then go to 'next' */
	FT_NODE_IF,    /* if cond 'cond' go to 'next' else 'next_false' */
};

struct ft_action_next {
	uint32_t action;
	uint32_t next;
};

struct ft_node {
	enum ft_node_kind kind;
	uint32_t table;
	uint32_t action;
	uint32_t cond;
	uint32_t next;
	uint32_t next_false;
	uint32_t next_hit;  /* FT_NEXT_DEFAULT: 'next' */
	uint32_t next_miss; /* FT_NEXT_DEFAULT: 'next' */
	const struct ft_action_next *on_action; /* first match wins, over hit/miss */
	uint32_t n_on_action;
};

/*
 * The node after APPLY node 'nd' when the lookup hit (or missed) and
 * 'action' ran: the first on_action match, else next_hit / next_miss, else
 * next. The one definition, for the executor and the offload compiler.
 */
static inline uint32_t
ft_node_next(const struct ft_node *nd, bool hit, uint32_t action)
{
	for (uint32_t i = 0; i < nd->n_on_action; i++)
		if (nd->on_action[i].action == action)
			return nd->on_action[i].next;
	if (hit && nd->next_hit != FT_NEXT_DEFAULT)
		return nd->next_hit;
	if (!hit && nd->next_miss != FT_NEXT_DEFAULT)
		return nd->next_miss;
	return nd->next;
}

/*
 * Appends a node to a control; the first node added is where it starts. A
 * node's successors are node ids of the same control, larger than its own,
 * or FT_NODE_END. They may name nodes not added yet; ft_pipeline_create()
 * checks that they exist. Returns the node id.
 */
int ft_program_add_node(struct ft_program *prog, enum ft_control ctl, const struct ft_node *node,
			struct ft_error *err);

/*
 * Checks the whole program: every reference resolves, widths agree, tables
 * name allowed actions, the default action is allowed as default, learning
 * only in the default action of add_on_miss tables, control edges go forward.
 * Returns 0 or -EINVAL/-ENOTSUP with 'err' naming the object at fault.
 */
int ft_program_validate(const struct ft_program *prog, struct ft_error *err);

/* --- Reading a program back (for the offload compiler, tools and traces) --- */

struct ft_program_info {
	uint32_t n_header_types, n_headers, n_metadata, n_actions, n_tables;
	uint32_t n_counters, n_digests, n_conds, n_groups, n_mirrors;
	uint32_t n_nodes[FT_CTL_COUNT];
	uint32_t n_emit;
};
void ft_program_info(const struct ft_program *prog, struct ft_program_info *info);

struct ft_header_info {
	const char *name;
	uint32_t type;
	enum ft_proto proto;
	enum ft_layer layer;
	uint32_t bytes;
};
int ft_program_header(const struct ft_program *prog, uint32_t id, struct ft_header_info *out);

struct ft_header_type_info {
	const char *name;
	const struct ft_field_decl *fields; /* owned by the program */
	uint32_t n_fields;
	uint32_t bytes;
};
int ft_program_header_type(const struct ft_program *prog, uint32_t id,
			   struct ft_header_type_info *out);
/* Bit offset of a field from the start of its header, or -ENOENT. */
int ft_program_field_offset(const struct ft_program *prog, uint32_t type, uint32_t field);

struct ft_metadata_info {
	const char *name;
	uint32_t bits;
};
int ft_program_metadata(const struct ft_program *prog, uint32_t id, struct ft_metadata_info *out);

struct ft_action_info {
	const char *name;
	const struct ft_param_decl *params; /* owned by the program */
	uint32_t n_params;
	const struct ft_op *ops; /* owned by the program */
	uint32_t n_ops;
	uint32_t data_size;
};
int ft_program_action(const struct ft_program *prog, uint32_t id, struct ft_action_info *out);

/* The table's declaration; every pointer in it is owned by the program. */
int ft_program_table(const struct ft_program *prog, uint32_t id, struct ft_table_decl *out);
int ft_program_node(const struct ft_program *prog, enum ft_control ctl, uint32_t id,
		    struct ft_node *out);
int ft_program_cond(const struct ft_program *prog, uint32_t id, struct ft_cond *out);
/* The emit order: *n header ids (NULL when *n is 0). */
const uint32_t *ft_program_emit(const struct ft_program *prog, uint32_t *n);
const char *ft_program_counter_name(const struct ft_program *prog, uint32_t id);
/* Number of cells of indexed counter array 'id', or 0 for a bad id. */
uint32_t ft_program_counter_size(const struct ft_program *prog, uint32_t id);
const char *ft_program_digest_name(const struct ft_program *prog, uint32_t id);
/* UDP ports that mean VXLAN. */
const uint16_t *ft_program_vxlan_ports(const struct ft_program *prog, uint32_t *n);

/* Ids by name, or -ENOENT. */
int ft_program_find_table(const struct ft_program *prog, const char *name);
int ft_program_find_action(const struct ft_program *prog, const char *name);
int ft_program_find_header(const struct ft_program *prog, const char *name);
int ft_program_find_header_type(const struct ft_program *prog, const char *name);
int ft_program_find_digest(const struct ft_program *prog, const char *name);
int ft_program_find_counter(const struct ft_program *prog, const char *name);
/* Field index in header type 'type', or -ENOENT. */
int ft_program_find_field(const struct ft_program *prog, uint32_t type, const char *name);

#ifdef __cplusplus
}
#endif

#endif
