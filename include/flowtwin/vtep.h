/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The VTEP vocabulary of the control API: the commands of a Linux vxlan
 * device (iproute2 `bridge fdb`, `ip neigh`) for a pipeline that runs
 * p4/vtep.p4. docs/vtep.md says which entries each command writes.
 *
 * ft_vtep_attach() checks that the pipeline's program has vtep.p4's
 * tables, actions and digests with the widths the commands write, and
 * registers the words fdb, neigh, port, vtep and nexthop with a control
 * session (ctl.h). Commands:
 *
 *   vtep set [local-ip IP] [dstport P] [learning on|off] [ageing SECONDS]
 *            [proxy on|off] [l2miss on|off] [l3miss on|off] [ttl N|inherit]
 *            [tos N|inherit]                 (local-ip required the first time)
 *   vtep show
 *   port add PORT uplink [lladdr MAC]        (MAC: the local VTEP's MAC)
 *   port add PORT access vni N [vlan V]
 *   port del PORT
 *   fdb add|append|replace MAC vni N dst IP  (00:00:00:00:00:00: the flood list)
 *   fdb add|replace MAC vni N port PORT      (a MAC behind a local port)
 *   fdb del MAC vni N [dst IP]
 *   fdb show [vni N]
 *   neigh add|replace IP lladdr MAC vni N [nud permanent|reachable]
 *   neigh del IP vni N
 *   neigh show [vni N]
 *   nexthop add|replace PREFIX lladdr MAC    (the underlay: IP or IP/LEN)
 *   nexthop del PREFIX
 *
 * The vocabulary keeps its own state (settings, ports, fdb, neighbours,
 * next hops, replication ids and groups) and turns each command into one
 * transaction: it applies the command to a copy of the state, renders the
 * table entries, default actions and group members that copy stands for,
 * and stages the difference from what is in the pipeline now. A rejected
 * command (bad input, or a commit that fails) leaves the state and the
 * pipeline as they were. Errors name the field (err->object "mac", "vni",
 * "dst", "port", "lladdr", "local-ip", ...).
 *
 * The vocabulary takes charge of the tables with the first `vtep set
 * local-ip`; before that they belong to generic commands (table_add ...)
 * and learned or aged entries are reported in ft_ctl_poll()'s generic form.
 *
 * Learning: ft_ctl_poll() hands each mac_learn entry the data plane
 * learned to the vocabulary, which adds the fdb copy (to_vtep or to_port)
 * unless a static entry has the MAC, and writes "learned vni N mac M dst
 * IP" or "learned vni N mac M port P"; when the mac_learn entry ages, the
 * learned copy is deleted and "aged vni N mac M" written. `nud reachable`
 * neighbours expire 'ageing' seconds after they were added or replaced
 * (on the pipeline's clock, at ft_ctl_poll()): "aged vni N ip IP".
 * Digest events read "l2miss vni N mac M" and "l3miss vni N ip IP"
 * (ft_ctl_event_text()).
 *
 * Threads: as the control session's (ctl.h).
 */
#ifndef FLOWTWIN_VTEP_H
#define FLOWTWIN_VTEP_H

#include <stdint.h>

#include <flowtwin/ctl.h>
#include <flowtwin/error.h>
#include <flowtwin/pipeline.h>

#ifdef __cplusplus
extern "C" {
#endif

struct ft_vtep;

enum ft_vtep_event_kind {
	FT_VTEP_L2MISS,        /* vni, mac, port: a unicast MAC with no fdb entry (l2miss on) */
	FT_VTEP_L3MISS,        /* vni, ip, port: an ARP request with no neighbour (l3miss on) */
	FT_VTEP_LEARNED,       /* vni, mac, and port (remote_ip 0) or remote_ip */
	FT_VTEP_AGED,          /* vni, mac: a learned MAC aged out */
	FT_VTEP_NEIGH_EXPIRED, /* vni, ip, mac: a `nud reachable` neighbour expired */
};

struct ft_vtep_event {
	enum ft_vtep_event_kind kind;
	uint32_t vni;
	uint8_t mac[6];
	uint32_t ip; /* host order */
	uint32_t port;
	uint32_t remote_ip; /* host order; 0: behind a local port */
};

/* Receives one event; 'ev' is borrowed for the call. */
typedef void (*ft_vtep_event_fn)(void *arg, const struct ft_vtep_event *ev);

/*
 * Checks the program of ctl's pipeline and registers the vocabulary with
 * 'ctl' ('ctl' is borrowed and must outlive the result). Returns 0 with
 * '*out' set, -ENOTSUP when the program lacks a table, action or digest of
 * vtep.p4 or has one with other key or parameter widths (err->object names
 * it), -EEXIST when 'ctl' already has a vocabulary with one of the words,
 * -ENOMEM. Caller owns '*out'; free with ft_vtep_destroy() after 'ctl'
 * (the session keeps a pointer to the vocabulary), or before it only if the
 * session is not used again.
 */
int ft_vtep_attach(struct ft_ctl *ctl, struct ft_vtep **out, struct ft_error *err);

/* Frees the vocabulary's state; NULL does nothing. Entries stay in the pipeline. */
void ft_vtep_destroy(struct ft_vtep *vtep);

/*
 * Sets the callback that receives learned, aged and expired events (from
 * ft_ctl_poll()) and the digests handed to ft_vtep_dispatch(); 'fn' NULL
 * removes it.
 */
void ft_vtep_set_event_cb(struct ft_vtep *vtep, ft_vtep_event_fn fn, void *arg);

/*
 * Decodes digest event 'ev' (l2miss_digest, l3miss_digest) into '*out'.
 * Returns 0, or -ENOENT when it is not one of the VTEP's digests.
 */
int ft_vtep_event_decode(const struct ft_vtep *vtep, const struct ft_event *ev,
                         struct ft_vtep_event *out);

/*
 * Hands digest event 'ev' to the callback if it is one of the VTEP's.
 * Returns 1 if it was, 0 if not.
 */
int ft_vtep_dispatch(struct ft_vtep *vtep, const struct ft_event *ev);

#ifdef __cplusplus
}
#endif

#endif
