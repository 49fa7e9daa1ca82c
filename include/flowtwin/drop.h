/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Drop reasons.
 *
 * Every packet flowtwin does not send has exactly one reason, counted per
 * worker and per pipeline. The list is defined once, here, as an X-macro:
 * the enum, the short names used in counters and JSON, and the sentences
 * used in traces all come from it.
 *
 * A drop decided by the P4 program (drop_packet(), or no send_to_port())
 * carries the action that decided it as its detail, so "dropped by action
 * 'drop_unknown_vtep'" is a reason of its own in the counters.
 */
#ifndef FLOWTWIN_DROP_H
#define FLOWTWIN_DROP_H

#ifdef __cplusplus
extern "C" {
#endif

/* X(ENUM, name, sentence) */
#define FT_DROP_REASONS(X)                                                                        \
	X(NONE, "none", "not dropped")                                                             \
	X(MULTISEG, "multiseg", "multi-segment packet")                                            \
	X(TRUNC_ETH, "trunc_eth", "truncated Ethernet header")                                     \
	X(TRUNC_VLAN, "trunc_vlan", "truncated VLAN tag")                                          \
	X(TRUNC_ARP, "trunc_arp", "truncated ARP packet")                                          \
	X(TRUNC_IPV4, "trunc_ipv4", "truncated IPv4 header")                                       \
	X(TRUNC_IPV6, "trunc_ipv6", "truncated IPv6 header")                                       \
	X(TRUNC_UDP, "trunc_udp", "truncated UDP header")                                          \
	X(TRUNC_TCP, "trunc_tcp", "truncated TCP header")                                          \
	X(TRUNC_ICMP, "trunc_icmp", "truncated ICMP header")                                       \
	X(TRUNC_VXLAN, "trunc_vxlan", "truncated VXLAN header")                                    \
	X(IPV4_VERSION, "ipv4_version", "IPv4 version field is not 4")                             \
	X(IPV4_IHL, "ipv4_ihl", "IPv4 header length below 20 bytes")                               \
	X(IPV4_TOTLEN, "ipv4_totlen", "IPv4 total length inconsistent with the frame")            \
	X(IPV6_VERSION, "ipv6_version", "IPv6 version field is not 6")                             \
	X(IPV6_PLEN, "ipv6_plen", "IPv6 payload length exceeds the frame")                        \
	X(IPV6_EXT, "ipv6_ext", "IPv6 extension header chain truncated or too long")              \
	X(UDP_LEN, "udp_len", "UDP length inconsistent with the IP payload")                      \
	X(TCP_DOFF, "tcp_doff", "TCP data offset inconsistent with the IP payload")               \
	X(VXLAN_FLAGS, "vxlan_flags", "VXLAN I flag not set")                                      \
	X(ACTION, "action", "dropped by action")                                                   \
	X(NO_OUTPUT, "no_output", "no output port chosen")                                         \
	X(BAD_PORT, "bad_port", "output port out of range")                                        \
	X(NO_HEADROOM, "no_headroom", "not enough headroom for the added headers")                 \
	X(TOO_BIG, "too_big", "packet larger than its buffer after the added headers")            \
	X(NO_BUFFER, "no_buffer", "no buffer for a copy")                                          \
	X(EMPTY_GROUP, "empty_group", "replication group has no members")                          \
	X(BAD_GROUP, "bad_group", "replication group out of range")                                \
	X(TOO_MANY_COPIES, "too_many_copies", "burst output full")

enum ft_drop {
#define FT_DROP_ENUM(e, n, s) FT_DROP_##e,
	FT_DROP_REASONS(FT_DROP_ENUM)
#undef FT_DROP_ENUM
	FT_DROP_COUNT
};

/* "trunc_ipv4", or "?" for an unknown value. */
const char *ft_drop_name(unsigned int reason);
/* "truncated IPv4 header", or "?" for an unknown value. */
const char *ft_drop_sentence(unsigned int reason);

#ifdef __cplusplus
}
#endif

#endif
