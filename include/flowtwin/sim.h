/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The software NIC (driver/sim).
 *
 * A 'struct ft_sim' executes rte_flow rule sets on packets the way a
 * ConnectX does, so that the twin property (shared/DESIGN.md) can be tested
 * without hardware: the differential tests compile a pipeline state into
 * rules, install them here, push packets through ft_sim_rx() and let the
 * model resume whatever reaches software. It takes rte_flow's own types
 * (struct rte_flow_attr, rte_flow_item, rte_flow_action, struct
 * rte_flow_error) and never calls or links DPDK.
 *
 * Rules. ft_sim_flow_validate() and ft_sim_flow_create() take the arguments
 * of rte_flow_validate() and rte_flow_create() and refuse, as the PMD would,
 * whatever the capability profile (offload.h) does not support. Refusals
 * fill 'error' the way a PMD does: 'type' says what is at fault, 'cause'
 * points at the caller's attr, item or action at fault (never at a conf),
 * 'message' is a static string. The codes:
 *
 *	-EINVAL   the rule is malformed: no attr, pattern or actions; a NULL
 *	          conf where one is needed; 'mask' or 'last' without 'spec'; a
 *	          'last' below 'spec'; neither or several of ingress / egress /
 *	          transfer; an item that cannot follow the one before it (the
 *	          parse graph below); no fate action or two; a decap whose
 *	          pattern does not describe the whole tunnel (ETH [VLAN..] IPV4
 *	          or IPV6, UDP, VXLAN as the first items); an encap definition
 *	          that is not ETH [VLAN [VLAN]] IPV4|IPV6 UDP VXLAN; a VLAN
 *	          ethertype other than 0x8100 / 0x88a8, a VID above 4095, a PCP
 *	          above 7; RSS without queues; more than 64 items or actions.
 *	-ENOTSUP  the rule is valid rte_flow but the profile cannot run it: the
 *	          domain (egress; ingress on a transfer profile and the reverse),
 *	          a group >= profile->groups, a priority >= priorities_root
 *	          (group 0) or priorities (others), an item or action type not
 *	          in the profile, actions out of the profile's stage order, a
 *	          group 0 rule (group0_jump_only) that does not JUMP or that
 *	          modifies the packet, COUNT in group 0 without group0_count, a
 *	          JUMP to a group <= its own (no loops), a MARK id above
 *	          mark_max, a TAG / SET_TAG index >= profile->tags (or a TAG
 *	          index mask other than 0xff), two decaps or two encaps, an
 *	          encapsulation header above encap_max (or with IPv4 options), a
 *	          VXLAN item whose VNI is masked but zero, a UDP destination
 *	          other than 4789 before VXLAN on a vxlan_port_4789_only profile,
 *	          INTEGRITY bits other than packet_ok, l2_ok, l3_ok, l4_ok,
 *	          ipv4_csum_ok, l3_len_ok or a level above 2, IPv6 extension
 *	          flags, and 'last' on items other than header items.
 *	-EEXIST   strict mode only: the rule overlaps an installed rule of the
 *	          same port (ingress), group and priority (RTE_FLOW_ERROR_TYPE_
 *	          ATTR_PRIORITY). Two patterns overlap unless some header field
 *	          or register both match exactly has different values in them,
 *	          or they need different protocols at the same layer; in doubt
 *	          (ranges, patterns anchored at different layers) they overlap.
 *	-ENOSPC   the rule would be one more than rules_max ("no room").
 *	-ENOMEM   out of memory.
 *
 * ft_sim_flow_create() returns NULL on failure and, as rte_flow_create()
 * sets rte_errno, sets errno to the positive code; the other functions
 * return 0 or the negative code.
 *
 * The NIC's parser. Items match consecutive protocol layers of the packet
 * as the NIC parses them, which is more lenient than ft_parse(): a layer is
 * there when its EtherType / protocol / port says so and its fixed-size
 * header lies within the frame; length fields, checksums and the VXLAN I
 * flag are not checked (that is what INTEGRITY is for):
 *
 *	ETH (14 bytes) [VLAN [VLAN]] (TPID 0x8100 or 0x88a8; a third is payload)
 *	IPV4 (EtherType 0x0800, 20 bytes; its L4 header is at IHL * 4 when
 *	      5 <= IHL and those bytes are in the frame, and not for a non-first
 *	      fragment) or IPV6 (0x86dd, 40 bytes; extension headers are not
 *	      walked: only next header 17 or 6 leads to UDP or TCP)
 *	UDP (protocol 17, 8 bytes) or TCP (protocol 6, 20 bytes)
 *	VXLAN (outer UDP, not a fragment, destination port in the VXLAN port
 *	      set (only 4789 on a vxlan_port_4789_only profile), 8 bytes)
 *	then the inner ETH [VLAN [VLAN]] IPV4|IPV6 UDP|TCP, up to the frame end.
 *
 * The first header item of a pattern matches the first (outermost) layer of
 * its protocol; each following header item must match the very next layer,
 * so 'eth / ipv4' does not match a tagged packet. A header item matches the
 * bytes of the header itself (ETH 'type' is the EtherType field as it is in
 * the packet, a TPID when a tag follows). spec, last and mask follow
 * rte_flow: no spec matches any instance, no mask means the item's default
 * mask (rte_flow_item_eth_mask, ...), 'last' makes each field a range
 * [spec & mask, last & mask]. ETH has_vlan is "the EtherType is 0x8100 or
 * 0x88a8"; VLAN has_more_vlan the same for the tag's inner type.
 *
 * Registers. TAG {data, index} (index mask 0xff), META {data} and MARK {id}
 * match what SET_TAG, SET_META and MARK of earlier rules wrote to this
 * packet; an unwritten register reads 0. PORT_ID {id}, REPRESENTED_PORT and
 * PORT_REPRESENTOR {port_id} all match the port the packet arrived on
 * (pkt->in_port): the sim only receives.
 *
 * INTEGRITY {level, value bits} under mask (the default mask is 0: nothing
 * checked). Level 0 and 1 are the outer frame, 2 the inner frame after
 * VXLAN (a packet without one has no inner layers: its bits are 0).
 *
 *	packet_ok     ft_parse(), with every layer and the sim's VXLAN ports,
 *	              finds no error in the packet (any level): exactly the
 *	              model's verdict, which keeps the twin property true for
 *	              malformed packets.
 *	l2_ok         the level has its Ethernet header and every VLAN tag it
 *	              announces (up to two) is complete.
 *	l3_len_ok     the level has an IPv4 header with 20 <= IHL * 4 <= total
 *	              length <= the bytes to the frame end, or an IPv6 header
 *	              whose payload length fits in the bytes to the frame end.
 *	ipv4_csum_ok  the level has an IPv4 header, complete to IHL * 4, whose
 *	              header checksum verifies.
 *	l3_ok         IPv4: version 4, l3_len_ok and ipv4_csum_ok; IPv6:
 *	              version 6 and l3_len_ok.
 *	l4_ok         l3_len_ok and a UDP header with 8 <= length == the IP
 *	              payload (any length >= 8 in a fragment), or a TCP header
 *	              with 5 <= data offset, within the IP payload.
 *
 * Lookup. A packet starts in group 0 of the port it arrived on (ingress
 * profiles keep one set of groups per port; transfer profiles one for the
 * switch domain, where a rule without a port item matches packets of every
 * port). In a group, the matching rule with the lowest priority number wins;
 * among equal priorities the first created wins and the result is marked
 * undefined when another one matches too. A JUMP continues in its group,
 * which sees the packet as the actions left it (after a decap the inner
 * headers are the outer ones). A miss in group 0 delivers the packet to
 * software, queue 0, unmarked, as a NIC without rules would. A miss in
 * another group is undefined in rte_flow: the sim delivers to queue 0 with
 * whatever MARK / FLAG ran, and sets 'undefined'.
 *
 * Actions run in list order:
 *
 *	MARK, FLAG     mark the packet (FT_PKT_F_MARK and pkt->mark, FT_PKT_F_FLAG).
 *	COUNT          the rule's packets and bytes; bytes are the packet's length
 *	               when the rule matched.
 *	SET_TAG, SET_META  register = (register & ~mask) | (data & mask).
 *	VXLAN_DECAP, RAW_DECAP  remove the outer Ethernet, VLAN tags, IP, UDP and
 *	               VXLAN headers: the inner frame remains, with any bytes
 *	               after it (the RAW_DECAP conf is not looked at).
 *	VXLAN_ENCAP {ETH [VLAN..] IPV4|IPV6 UDP VXLAN specs}, RAW_ENCAP {data,
 *	               size} (same layout, EtherTypes and protocols given)
 *	               prepend the header in the headroom. As mlx5 does, what the
 *	               definition leaves 0 is filled: EtherTypes and IP protocol
 *	               from the layout, IPv4 version/IHL 0x45, TTL 64, IPv6
 *	               version 6 and hop limit 64, UDP destination 4789, VXLAN
 *	               flags 0x08. IPv4 total length and header checksum, IPv6
 *	               payload length and UDP length are set per packet; the UDP
 *	               checksum is 0 (the NIC cannot compute it). A UDP source
 *	               port of 0 is params->encap_udp_src(inner frame) when given,
 *	               else stays 0. A port so computed is the NIC's own entropy
 *	               (the P4 program leaves it to the target):
 *	               res->encap_udp_src_off says where it is in the packet as
 *	               it leaves the sim, moved with the bytes after it when a
 *	               later rule pushes or pops a VLAN tag or encapsulates again,
 *	               0 when a decap removes it, for a dropped packet, and for
 *	               a packet without one. Of two computed ports (an encap, a
 *	               JUMP, another encap) it is the outer one's.
 *	SET_MAC_SRC, SET_MAC_DST  the outermost Ethernet header.
 *	OF_POP_VLAN    removes the outermost tag (none: nothing happens).
 *	OF_PUSH_VLAN   inserts a new outermost tag with that TPID; its TCI is
 *	               copied from the tag it covers (as OpenFlow says), 0 when
 *	               there is none; OF_SET_VLAN_VID / _PCP then set the
 *	               outermost tag's VID / PCP (no tag: nothing happens).
 *	JUMP, DROP, QUEUE, RSS (the first listed queue), PORT_ID,
 *	REPRESENTED_PORT (the packet leaves on that port), PORT_REPRESENTOR (it
 *	               reaches the host side of that port): the fate.
 *
 * Packets are read and written in place and never outside [data, data +
 * len) or the headroom; a malformed packet simply lacks the layers it lacks.
 * An encap or VLAN push without enough headroom drops the packet with
 * FT_DROP_NO_HEADROOM, one that would exceed 65535 bytes with FT_DROP_TOO_BIG.
 * MARK and FLAG reach pkt->flags only for FT_SIM_QUEUE and
 * FT_SIM_REPRESENTOR (a packet that leaves on a port carries none).
 *
 * Counters are read with ft_sim_flow_query_count(), by one owner, with
 * reset (DESIGN.md: "query with reset and accumulate"). ft_sim_rx() counts
 * in the rules themselves; ft_sim_rx_count() counts in an array of the
 * caller's instead, at each rule's slot (ft_sim_flow_slot()), so that
 * several threads can receive on one sim, each with its own counters, which
 * their owner then adds up (ft_sim_flow_query_count() does not see them).
 * Those are written with atomic stores, so that another thread may read
 * them while the receiving thread runs: 'bytes' first, then 'hits' with
 * release, so that a reader that loads 'hits' with acquire, then 'bytes',
 * reads at least the bytes of the hits it read (perhaps some of a packet
 * whose hit it does not see yet). A rule
 * keeps its slot while it is installed; a removed rule's slot is given to
 * a later rule: add up and zero a slot before its rule goes.
 *
 * Cost. Each group indexes its rules by shape (which layers, bytes, masks,
 * registers and integrity bits they check) and hashes them on the values
 * they check, as OVS's classifier does: a lookup costs one hash probe per
 * distinct shape in the group, however many rules share it. Rules with
 * ranges are checked in full after their exact part matched. Rule changes
 * cost O(rules in the group). params->linear scans instead, for tests.
 *
 * Threads: a sim has no lock. While no thread changes its rules (create,
 * destroy, flush), any number of threads may run ft_sim_rx_count() on it
 * at once, each with its own counters: that writes nothing but the packet,
 * the result and the counters, and reads nothing of a rule's own counters,
 * which one more thread may read meanwhile (ft_sim_flow_query_count()).
 * Everything else is one thread at a time, ft_sim_rx() included (it
 * writes the rules' counters); different sims are independent.
 */
#ifndef FLOWTWIN_SIM_H
#define FLOWTWIN_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_flow.h>

#include <flowtwin/error.h>
#include <flowtwin/offload.h>
#include <flowtwin/packet.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_sim;
struct ft_sim_flow;

/* Rules recorded per packet in struct ft_sim_result. */
#define FT_SIM_HITS_MAX 16
/* TAG registers the sim has; a profile with more is refused. */
#define FT_SIM_TAGS_MAX 8

struct ft_sim_params {
	bool strict;                 /* refuse overlapping rules of equal priority (-EEXIST) */
	bool linear;                 /* look rules up by scanning each group in order: the naive
	                              * reference that the indexed lookup is tested against */
	uint32_t rules_max;          /* 0: the profile's */
	/* Failure injection: refuse about one rule creation in N with -ENOSPC,
	 * chosen by a generator seeded with refuse_seed; 0: never. */
	uint32_t refuse_one_in;
	uint64_t refuse_seed;
	const uint16_t *vxlan_ports; /* UDP destination ports parsed as VXLAN (borrowed) */
	uint32_t n_vxlan_ports;      /* 0: { 4789 }; at most FT_PARSE_VXLAN_PORTS_MAX */
	/* The UDP source port of an encap that leaves it 0; NULL: stays 0. */
	uint16_t (*encap_udp_src)(void *arg, const uint8_t *inner_frame, uint32_t len);
	void *encap_udp_src_arg;
};

enum ft_sim_fate {
	FT_SIM_QUEUE,       /* to software, on 'queue' (QUEUE, RSS, a miss) */
	FT_SIM_DROP,        /* dropped; 'drop' says why */
	FT_SIM_PORT,        /* left on 'port' (PORT_ID, REPRESENTED_PORT) */
	FT_SIM_REPRESENTOR, /* to the host side of 'port' (PORT_REPRESENTOR) */
};

struct ft_sim_result {
	enum ft_sim_fate fate;
	uint16_t queue;  /* FT_SIM_QUEUE: the queue */
	uint16_t drop;   /* FT_SIM_DROP: FT_DROP_ACTION (a DROP action),
	                  * FT_DROP_NO_HEADROOM, FT_DROP_TOO_BIG; else FT_DROP_NONE */
	uint32_t port;   /* FT_SIM_PORT, FT_SIM_REPRESENTOR: the port */
	uint32_t group;  /* the group the walk ended in */
	bool miss;       /* it ended on a miss in 'group' (fate FT_SIM_QUEUE, queue 0) */
	bool undefined;  /* rte_flow leaves this case undefined: a miss in a group
	                  * other than 0, or a hit with another rule of the same
	                  * priority matching too */
	uint32_t meta;   /* the META register at the end (0 if never set) */
	uint32_t n_hits; /* rules that matched, at most FT_SIM_HITS_MAX recorded */
	struct ft_sim_flow *hits[FT_SIM_HITS_MAX]; /* in the order they matched */
	/* Where the UDP source port that an encap computed with
	 * params->encap_udp_src is in the packet (see the actions above); 0: none. */
	uint16_t encap_udp_src_off;
};

/*
 * A software NIC with the capabilities of 'profile' (borrowed; profiles
 * are static) and 'params' (copied; NULL or a zeroed struct gives the
 * defaults). Returns NULL and fills 'err' on failure: -EINVAL for a NULL
 * profile, no VXLAN ports pointer with n_vxlan_ports > 0, more than
 * FT_PARSE_VXLAN_PORTS_MAX ports or port 0; -ENOTSUP for a profile with
 * more than FT_SIM_TAGS_MAX tags; -ENOMEM. Caller owns the result; free
 * with ft_sim_destroy().
 */
struct ft_sim *ft_sim_create(const struct ft_nic_profile *profile,
                             const struct ft_sim_params *params, struct ft_error *err);

/* Destroys 'sim' and every rule in it. NULL does nothing. */
void ft_sim_destroy(struct ft_sim *sim);

/* The profile 'sim' was created with (borrowed). */
const struct ft_nic_profile *ft_sim_profile(const struct ft_sim *sim);

/*
 * Whether the rule would be created on 'port_id' now (rules_max and strict
 * overlap included): 0 or a negative code above, with 'error' (optional)
 * filled. 'attr', 'pattern', 'actions' are borrowed.
 */
int ft_sim_flow_validate(struct ft_sim *sim, uint16_t port_id, const struct rte_flow_attr *attr,
                         const struct rte_flow_item pattern[],
                         const struct rte_flow_action actions[], struct rte_flow_error *error);

/*
 * Validates and installs a rule on 'port_id'. 'attr', 'pattern', 'actions'
 * are borrowed: what the rule needs is copied. Returns the rule, owned by
 * 'sim' (freed by ft_sim_flow_destroy(), ft_sim_flow_flush() or
 * ft_sim_destroy()), or NULL with errno set to the positive code and
 * 'error' (optional) filled.
 */
struct ft_sim_flow *ft_sim_flow_create(struct ft_sim *sim, uint16_t port_id,
                                       const struct rte_flow_attr *attr,
                                       const struct rte_flow_item pattern[],
                                       const struct rte_flow_action actions[],
                                       struct rte_flow_error *error);

/*
 * Removes and frees 'flow'. Returns 0, or -EINVAL (RTE_FLOW_ERROR_TYPE_HANDLE)
 * when 'flow' is NULL or belongs to another sim.
 */
int ft_sim_flow_destroy(struct ft_sim *sim, struct ft_sim_flow *flow, struct rte_flow_error *error);

/* Removes and frees every rule created on 'port_id'. Returns 0. */
int ft_sim_flow_flush(struct ft_sim *sim, uint16_t port_id, struct rte_flow_error *error);

/*
 * Reads the COUNT counters of 'flow' into *hits and *bytes (either may be
 * NULL) and, with 'reset', sets them to 0. Returns 0; -EINVAL
 * (RTE_FLOW_ERROR_TYPE_HANDLE) for a NULL or foreign 'flow'; -ENOTSUP
 * (RTE_FLOW_ERROR_TYPE_ACTION) when the rule has no COUNT action.
 */
int ft_sim_flow_query_count(struct ft_sim *sim, struct ft_sim_flow *flow, bool reset,
                            uint64_t *hits, uint64_t *bytes, struct rte_flow_error *error);

/* Rules installed, on every port. */
uint32_t ft_sim_flow_count(const struct ft_sim *sim);

/* The COUNT of several threads: one counter per slot, in an array of each thread's. */
struct ft_sim_counter {
	uint64_t hits, bytes;
};

/* The slot of an installed rule: its counter in arrays given to ft_sim_rx_count(). */
uint32_t ft_sim_flow_slot(const struct ft_sim_flow *flow);

/*
 * One more than the highest slot any rule took so far (0 for NULL): the
 * size of a counter array for ft_sim_rx_count() now. It never shrinks.
 */
uint32_t ft_sim_slots(const struct ft_sim *sim);

/*
 * Runs the rules on 'pkt' as received on pkt->in_port and fills 'res'. The
 * packet is modified in place: decap moves its start forward, encap and
 * VLAN push grow it into the headroom before data_off, and pkt->flags /
 * pkt->mark say what MARK and FLAG did. Returns 0, or -EINVAL (nothing
 * done) when an argument is NULL, pkt->nb_segs != 1 or the packet does not
 * lie within its buffer. Both are borrowed.
 */
int ft_sim_rx(struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res);

/*
 * As ft_sim_rx(), but the COUNT of a rule that matches lands in
 * ctr[ft_sim_flow_slot(rule)] (hits, and bytes as ft_sim_rx() counts them),
 * not in the rule: the sim is only read, and several threads may call it at
 * once (see Threads above). A rule whose slot is n_ctr or more is not
 * counted: size 'ctr' to ft_sim_slots() after every rule change. 'ctr' is
 * borrowed (NULL when n_ctr is 0). Returns as ft_sim_rx(), or -EINVAL for
 * a NULL 'ctr' with n_ctr > 0.
 */
int ft_sim_rx_count(const struct ft_sim *sim, struct ft_pkt *pkt, struct ft_sim_result *res,
                    struct ft_sim_counter *ctr, uint32_t n_ctr);

/*
 * Checks the rule set for what rte_flow leaves undefined and the strict
 * mode wants absent: every group that a JUMP targets must hold a catch-all
 * rule (one that matches every packet: no header item, and no
 * register, port or integrity item with a spec).
 * Writes one line per problem ("port 0 group 3: jumped to, no catch-all
 * rule") into 'report' ('size' bytes, always terminated when size > 0;
 * NULL for none) and returns the number of problems.
 */
int ft_sim_check(const struct ft_sim *sim, char *report, size_t size);

#ifdef __cplusplus
}
#endif

#endif
