# SPDX-License-Identifier: BSD-3-Clause
# Shared helpers of the end-to-end tests (tests/e2e/*.sh): flowtwin-vtep on
# net_af_packet ports in a network namespace against Linux kernel VXLAN
# devices in others, the experiments of the seed articles (bridge fdb with
# all-zeros entries, ip neigh proxy, l2miss/l3miss). Sourced by bash.
#
# A case script is called as
#     NAME.sh MODE BUILD_DIR SOURCE_DIR
# MODE is `none` or `sim` (flowtwin-vtep --offload MODE on the flowtwin host)
# or `kernel` (the flowtwin host is a Linux vxlan device too: the baseline
# that proves the topology, the captures and the checks themselves).
#
# Topology (every name below is prefixed with a per-run prefix $P, so runs
# never meet; interface names are local to their namespace):
#
#   ${P}vm1 eth0 192.168.100.1/24 (mtu 1450)
#      |
#   ${P}ft  acc0 [flowtwin access port 1, VNI 100]    up0 [uplink port 0]
#                                                     |   VTEP 10.0.0.1
#   ${P}ul  br0: ft, kv1[, kv2]  (the underlay, mtu 1500)
#                   |                  |
#   ${P}kv1 up0 10.0.0.2, vxlan100 + vm0 in br100     ${P}kv2 ... 10.0.0.3
#      |                                                 |
#   ${P}vm2 eth0 192.168.100.2/24                     ${P}vm3 eth0 192.168.100.3/24
#
# flowtwin-vtep runs in ${P}ft on net_af_packet0 (iface up0, the uplink, port
# 0) and net_af_packet1 (iface acc0, access port 1 in VNI 100), control
# socket in the run's work directory. Offloads (tx checksum, GSO, TSO, GRO)
# are off on every veth: af_packet would otherwise see partial checksums and
# super-frames. IPv6 is off in every namespace (no RS/DAD noise).
#
# Needs root, ip/bridge (iproute2), ethtool, ping (iputils-ping), python3 and
# tcpdump (or dumpcap; E2E_CAPTURE=dumpcap forces it); skips (77) without.
# Everything a run creates (namespaces, processes, files) goes in the EXIT
# trap, on failure too. E2E_KEEP=1 keeps the work directory of a failed run
# (captures, the daemon's log, the events).

set -euo pipefail

E2E_MODE=${1:-}
BUILD=${2:-}
SRC=${3:-}
E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
E2E_NAME=$(basename "$0" .sh)
[ -n "$SRC" ] || SRC=$(cd "$E2E_DIR/../.." && pwd)
[ -n "$BUILD" ] || BUILD=$SRC/build
PY=${PYTHON:-python3}

# shellcheck disable=SC2034 # used by the case scripts
{
VNI=100
FT_IP=10.0.0.1
KV_IP=(unused 10.0.0.2 10.0.0.3)
VM_IP=(unused 192.168.100.1 192.168.100.2 192.168.100.3)
VM_MAC=(unused 02:00:00:00:00:01 02:00:00:00:00:02 02:00:00:00:00:03)
FT_UP_MAC=02:00:00:00:10:01
KV_UP_MAC=(unused 02:00:00:00:10:02 02:00:00:00:10:03)
ZERO_MAC=00:00:00:00:00:00
}

util() { "$PY" "$E2E_DIR/e2e_util.py" "$@"; }

skip() {
	echo "SKIP: $*"
	exit 77
}
fail() {
	echo "FAIL: $*" >&2
	exit 1
}
log() { echo "[$E2E_NAME/$E2E_MODE $(date +%T)] $*"; }

case "$E2E_MODE" in
none | sim | kernel) ;;
*)
	echo "usage: $0 none|sim|kernel [BUILD_DIR] [SOURCE_DIR]" >&2
	exit 2
	;;
esac

VTEP_BIN=$BUILD/tools/flowtwin-vtep
CTL_BIN=$BUILD/tools/flowtwinctl

# Skips (77) when this machine cannot run the test.
e2e_require() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	local t
	for t in ip bridge ethtool ping "$PY"; do
		command -v "$t" >/dev/null || skip "$t is not installed"
	done
	command -v tcpdump >/dev/null || command -v dumpcap >/dev/null ||
		skip "neither tcpdump nor dumpcap is installed"
	local probe=ftprobe$$
	ip netns add "$probe" 2>/dev/null || skip "ip netns does not work here"
	ip netns del "$probe"
	ip link add ftprobe$$ type vxlan id 1 dstport 4789 2>/dev/null ||
		skip "no vxlan support in this kernel"
	ip link del ftprobe$$
	if [ "$E2E_MODE" != kernel ]; then
		[ -x "$VTEP_BIN" ] || skip "$VTEP_BIN not built"
		[ -x "$CTL_BIN" ] || skip "$CTL_BIN not built"
	fi
}

# --- namespaces and links -------------------------------------------------

P=fte2e$$-
WORK=$(mktemp -d /tmp/fte2e-"$E2E_NAME"-"$E2E_MODE".XXXXXX)
NAMESPACES=()
PIDS=()
VTEP_PID=

e2e_cleanup() {
	local rc=$?
	set +e
	if [ $rc -ne 0 ] && [ $rc -ne 77 ]; then
		echo "--- $E2E_NAME/$E2E_MODE failed (rc $rc); work directory $WORK"
		if [ -s "$WORK/vtep.log" ]; then
			echo "--- flowtwin-vtep log (last 40 lines)"
			tail -n 40 "$WORK/vtep.log"
		fi
		local f
		for f in "$WORK"/*.pcap; do
			[ -s "$f" ] || continue
			echo "--- $(basename "$f") (first 30 packets)"
			util show "$f" | head -n 30
		done
	fi
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	vtep_stop
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	for p in "${NAMESPACES[@]}"; do
		ip netns del "$p" 2>/dev/null
	done
	rm -rf /var/run/dpdk/ft_e2e_$$ 2>/dev/null
	if [ -z "${E2E_KEEP:-}" ] || [ $rc -eq 0 ]; then
		rm -rf "$WORK"
	fi
	exit $rc
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM

# Runs a command in one of this run's namespaces: nsx ft ping ...
nsx() {
	local ns=$P$1
	shift
	ip netns exec "$ns" "$@"
}

ns_add() {
	ip netns add "$P$1"
	NAMESPACES+=("$P$1")
	# No IPv6: no router solicitations or DAD in the captures.
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$P$1" link set lo up
}

# Offloads the af_packet ports must not see (partial checksums, GSO/GRO
# super-frames) off on a link.
link_plain() { # ns, dev
	ip netns exec "$P$1" ethtool -K "$2" tx off gso off tso off gro off >/dev/null 2>&1 ||
		ip netns exec "$P$1" ethtool -K "$2" tx off gso off gro off >/dev/null
}

# A veth pair between two namespaces, both ends up, offloads off.
veth() { # ns1 dev1 ns2 dev2 mtu
	ip -n "$P$1" link add "$2" mtu "$5" type veth peer name "$4" netns "$P$3" mtu "$5"
	link_plain "$1" "$2"
	link_plain "$3" "$4"
	ip -n "$P$1" link set "$2" up
	ip -n "$P$3" link set "$4" up
}

vm_add() { # n: namespace vmN behind... (the caller links eth0)
	ip -n "$P""vm$1" link set eth0 address "${VM_MAC[$1]}"
	ip -n "$P""vm$1" addr add "${VM_IP[$1]}/24" dev eth0
}

# The whole topology with NKV (1 or 2) kernel VTEPs; the flowtwin host's
# VTEP is configured later by ft_start.
topo_setup() { # nkv
	local nkv=$1 i
	ns_add ul
	ip -n "${P}ul" link add br0 type bridge
	ip -n "${P}ul" link set br0 up
	ns_add ft
	ns_add vm1
	veth ul ft ft up0 1500
	ip -n "${P}ul" link set ft master br0
	ip -n "${P}ft" link set up0 address "$FT_UP_MAC"
	veth ft acc0 vm1 eth0 1450
	vm_add 1
	for ((i = 1; i <= nkv; i++)); do
		ns_add "kv$i"
		ns_add "vm$((i + 1))"
		veth ul "kv$i" "kv$i" up0 1500
		ip -n "${P}ul" link set "kv$i" master br0
		ip -n "${P}kv$i" link set up0 address "${KV_UP_MAC[$i]}"
		ip -n "${P}kv$i" addr add "${KV_IP[$i]}/24" dev up0
		veth "kv$i" vm0 "vm$((i + 1))" eth0 1450
		vm_add $((i + 1))
	done
}

# A kernel VTEP (namespace kvN, or ft in the kernel baseline): vxlan100 and
# br100 with the VM's veth. Options: proxy l2miss l3miss learning ageing=S.
kvxlan() { # ns local-ip vm-port [options...]
	local ns=$1 local=$2 port=$3 learn=nolearning o
	shift 3
	local opts=()
	for o in "$@"; do
		case "$o" in
		learning) learn=learning ;;
		ageing=*) opts+=(ageing "${o#ageing=}") ;;
		proxy | l2miss | l3miss) opts+=("$o") ;;
		*) fail "kvxlan: unknown option $o" ;;
		esac
	done
	ip -n "$P$ns" link add vxlan100 type vxlan id $VNI dstport 4789 local "$local" dev up0 \
		$learn "${opts[@]}"
	link_plain "$ns" vxlan100
	ip -n "$P$ns" link add br100 type bridge
	ip -n "$P$ns" link set vxlan100 master br100
	ip -n "$P$ns" link set "$port" master br100
	ip -n "$P$ns" link set vxlan100 up
	ip -n "$P$ns" link set br100 up
}

kv_setup() { # n [options...]
	local n=$1
	shift
	kvxlan "kv$n" "${KV_IP[$n]}" vm0 "$@"
}

kv_fdb() { # n append|add|del MAC DST
	bridge -n "${P}kv$1" fdb "$2" "$3" dev vxlan100 dst "$4"
}
kv_neigh() { # n IP MAC
	ip -n "${P}kv$1" neigh replace "$2" lladdr "$3" dev vxlan100 nud permanent
}

# --- the flowtwin host ----------------------------------------------------

ctl() { # flowtwinctl COMMAND...
	"$CTL_BIN" --ctl "$WORK/ctl.sock" "$@"
}

vtep_alive() { [ -n "$VTEP_PID" ] && kill -0 "$VTEP_PID" 2>/dev/null; }

vtep_stop() {
	[ -n "$VTEP_PID" ] || return 0
	kill -TERM "$VTEP_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		vtep_alive || break
		sleep 0.1
	done
	vtep_alive && kill -KILL "$VTEP_PID" 2>/dev/null
	wait "$VTEP_PID" 2>/dev/null || true
	VTEP_PID=
}

# Starts the flowtwin host's VTEP and sets it: in kernel mode a vxlan device
# (options as kvxlan's), else flowtwin-vtep with `vtep set local-ip 10.0.0.1
# [learning off unless 'learning'] [proxy on] [l2miss on] [l3miss on]
# [ageing S]`. workers=N: N packet workers (--lcores-workers N), each on
# its own lcore (lcore i on CPU i modulo the CPUs there are: on 2 CPUs
# worker 1 has CPU 1, worker 2 shares CPU 0 with the main lcore) and polling its own rx queue of each port: net_af_packet
# with qpairs=N, whose PACKET_FANOUT group spreads flows over the queues by
# the kernel's flow hash.
ft_start() { # [options...]
	if [ "$E2E_MODE" = kernel ]; then
		ip -n "${P}ft" addr add "$FT_IP/24" dev up0
		kvxlan ft "$FT_IP" acc0 "$@"
		return 0
	fi
	local set=(vtep set local-ip "$FT_IP") learning=off o
	local eal=() qp="" wk=() n i
	for o in "$@"; do
		case "$o" in
		workers=*)
			n=${o#workers=}
			eal=(--lcores "0@0")
			for ((i = 1; i <= n; i++)); do
				eal[1]+=",$i@$((i % $(nproc)))"
			done
			qp=",qpairs=$n"
			wk=(--lcores-workers "$n")
			;;
		learning) learning=on ;;
		ageing=*) set+=(ageing "${o#ageing=}") ;;
		proxy | l2miss | l3miss) set+=("$o" on) ;;
		*) fail "ft_start: unknown option $o" ;;
		esac
	done
	set+=(learning "$learning")
	# af_packet reads every frame on the link: promiscuous, no stack.
	ip -n "${P}ft" link set up0 promisc on
	ip -n "${P}ft" link set acc0 promisc on
	ip netns exec "${P}ft" "$VTEP_BIN" "${eal[@]}" --no-huge -m 512 --no-pci \
		--file-prefix=ft_e2e_$$ --log-level=lib.eal:notice \
		--vdev=net_af_packet0,iface=up0$qp --vdev=net_af_packet1,iface=acc0$qp -- \
		--p4 "$SRC/p4/vtep.p4" --uplink 0 --vtep-ip "$FT_IP" --vtep-mac "$FT_UP_MAC" \
		--access 1,vni=$VNI --offload "$E2E_MODE" --ctl "$WORK/ctl.sock" "${wk[@]}" \
		>>"$WORK/vtep.log" 2>&1 &
	VTEP_PID=$!
	local i
	for ((i = 0; i < 200; i++)); do
		vtep_alive || fail "flowtwin-vtep exited at start (log above)"
		[ -S "$WORK/ctl.sock" ] && ctl stats >/dev/null 2>&1 && break
		sleep 0.1
	done
	[ $i -lt 200 ] || fail "flowtwin-vtep: no control socket after 20 s"
	log "flowtwin-vtep up (pid $VTEP_PID, offload $E2E_MODE)"
	ctl_do "${set[@]}"
}

# One control command; fails the test when flowtwinctl fails.
ctl_do() {
	local out
	if ! out=$(ctl "$@" 2>&1); then
		echo "$out" >&2
		fail "flowtwinctl $*"
	fi
	[ -z "$out" ] || echo "$out"
}

# bridge fdb on the flowtwin host: ft_fdb append|add|del MAC DST.
ft_fdb() {
	if [ "$E2E_MODE" = kernel ]; then
		bridge -n "${P}ft" fdb "$1" "$2" dev vxlan100 dst "$3"
	else
		ctl_do fdb "$1" "$2" vni $VNI dst "$3"
	fi
}

# A MAC behind the access port, static (`fdb add MAC vni N port 1`, as L2
# population writes local ports); the kernel's bridge learns it by itself.
ft_fdb_local() { # MAC
	[ "$E2E_MODE" = kernel ] || ctl_do fdb add "$1" vni $VNI port 1
}

# ip neigh on the flowtwin host: ft_neigh IP MAC [reachable].
ft_neigh() {
	if [ "$E2E_MODE" = kernel ]; then
		ip -n "${P}ft" neigh replace "$1" lladdr "$2" dev vxlan100 nud "${3:-permanent}"
	elif [ -n "${3:-}" ]; then
		ctl_do neigh replace "$1" lladdr "$2" vni $VNI nud "$3"
	else
		ctl_do neigh add "$1" lladdr "$2" vni $VNI
	fi
}

# The underlay next hop of a remote VTEP (the kernel resolves it with ARP).
ft_nexthop() { # IP MAC
	[ "$E2E_MODE" = kernel ] || ctl_do nexthop add "$1" lladdr "$2"
}

# The flowtwin host's forwarding state as text: dump-flows and fdb show of
# flowtwin-vtep, bridge fdb show of the kernel device.
ft_fdb_text() {
	if [ "$E2E_MODE" = kernel ]; then
		bridge -n "${P}ft" fdb show dev vxlan100
	else
		ctl dump-flows 2>&1 || true
		ctl fdb show 2>&1 || true
	fi
}

# Records the flowtwin host's l2miss/l3miss/learned/aged events into
# $WORK/events.raw from now on: `flowtwinctl events`, or the kernel's
# `ip monitor neigh`. ft_events_read prints them in docs/vtep.md's words
# ("l2miss vni N mac MAC", "l3miss vni N ip IP", "learned ...", "aged ...").
ft_events_start() {
	if [ "$E2E_MODE" = kernel ]; then
		ip -n "${P}ft" monitor neigh dev vxlan100 >"$WORK/events.raw" 2>&1 &
	else
		"$CTL_BIN" --ctl "$WORK/ctl.sock" events >"$WORK/events.raw" 2>&1 &
	fi
	PIDS+=("$!")
	sleep 0.3
}

ft_events_read() {
	if [ "$E2E_MODE" = kernel ]; then
		awk -v vni=$VNI '
			/^miss lladdr / { print "l2miss vni " vni " mac " $3; next }
			/^miss / { print "l3miss vni " vni " ip " $2; next }
			{ print "kernel: " $0 }' "$WORK/events.raw"
	else
		cat "$WORK/events.raw"
	fi
}

# With --offload sim the daemon's stats tell the packets the NIC finished
# apart from the ones software handled ("port N offload: nic X software Y
# (resumed R, unmarked U)"). Prints them; wants the sum over the ports of
# each counter named (nic, software, resumed) above 0.
ft_check_stats() { # [nic] [software] [resumed]
	[ "$E2E_MODE" = sim ] || return 0
	local out c
	out=$(ctl stats 2>&1) || fail "flowtwinctl stats: $out"
	echo "$out" | sed 's/^/  stats: /'
	echo "$out" | grep -q '^offload sim: .* in sync' || fail "stats: the sim NIC is not in sync"
	local sums
	sums=$(echo "$out" | awk '
		/^port [0-9]+ offload: nic [0-9]+ software [0-9]+ \(resumed [0-9]+, unmarked [0-9]+\)$/ {
			n++; nic += $5; sw += $7; res += $9 }
		END { printf "ports=%d nic=%d software=%d resumed=%d\n", n, nic, sw, res }')
	sums=${sums//,/}
	log "offload counts: $sums"
	local ports=${sums#ports=}
	ports=${ports%% *}
	[ "$ports" -ge 2 ] || fail "stats: no per-port 'offload: nic N software N' lines"
	for c in "$@"; do
		local v
		v=$(echo "$sums" | tr ' ' '\n' | sed -n "s/^$c=//p")
		{ [ -n "$v" ] && [ "$v" -gt 0 ]; } || fail "stats: want $c > 0, have $sums"
	done
}

# --- traffic and checks ---------------------------------------------------

# Pings until one reply comes back (ARP, events and controllers need a
# moment), then wants COUNT of COUNT.
ping_ok() { # ns ip [count] [tries]
	local ns=$1 ip=$2 count=${3:-3} tries=${4:-10} i
	for ((i = 0; i < tries; i++)); do
		nsx "$ns" ping -c 1 -W 1 "$ip" >/dev/null 2>&1 && break
	done
	[ $i -lt "$tries" ] || fail "$ns cannot ping $ip ($tries tries)"
	local out
	out=$(nsx "$ns" ping -c "$count" -i 0.2 -W 1 "$ip" 2>&1) ||
		fail "$ns -> $ip: $(echo "$out" | grep -E 'loss|Unreach' | head -1)"
	log "$ns -> $ip: $(echo "$out" | grep -o '[0-9]* received')"
}

# Runs a command every 0.1 s until it succeeds, at most TENTHS times.
retry() { # tenths command...
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}

ping_fails() { # ns ip
	! nsx "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 || fail "$1 reaches $2 and should not"
}

neigh_flush() { # ns...
	local ns
	for ns in "$@"; do
		ip -n "$P$ns" neigh flush all
	done
}

# Captures (pcap, 256 bytes a packet) on a link into $WORK/NAME.pcap in the
# background; cap_stop NAME ends it and returns once the file is complete.
cap_start() { # name ns dev [bpf filter]
	local name=$1 ns=$2 dev=$3
	shift 3
	local file=$WORK/$name.pcap err=$WORK/$name.caplog
	# Started directly (not through a shell function), so that $! is the
	# capture itself; a background process of a script ignores SIGINT: it is
	# stopped with SIGTERM.
	if [ "${E2E_CAPTURE:-tcpdump}" = tcpdump ] && command -v tcpdump >/dev/null; then
		ip netns exec "$P$ns" tcpdump -i "$dev" -nn -s 256 -U -w "$file" "$@" 2>"$err" &
	else
		ip netns exec "$P$ns" dumpcap -q -P -i "$dev" -s 256 -w "$file" ${1:+-f "$*"} \
			2>"$err" &
	fi
	eval "CAP_$name=$!"
	PIDS+=("$!")
	local i
	for ((i = 0; i < 50; i++)); do
		grep -qiE 'listening on|capturing on' "$err" 2>/dev/null && return 0
		sleep 0.1
	done
	cat "$err" >&2
	fail "capture on $ns/$dev did not start"
}

cap_stop() { # name
	local v=CAP_$1
	local pid=${!v}
	sleep 0.3
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# Counts the packets of a capture that match (e2e_util.py count).
cap_count() { # name match-options...
	local name=$1
	shift
	util count "$WORK/$name.pcap" "$@"
}

# Wants the count of matching packets to be N, or at least N with '>=N'.
cap_expect() { # name want match-options...
	local name=$1 want=$2 n
	shift 2
	n=$(cap_count "$name" "$@")
	case "$want" in
	'>='*) [ "$n" -ge "${want#>=}" ] || fail "$name: $n packets with [$*], want $want" ;;
	*) [ "$n" -eq "$want" ] || fail "$name: $n packets with [$*], want $want" ;;
	esac
	log "$name: $n packets with [$*] (want $want)"
}

# Sends one raw Ethernet frame from a namespace's eth0 (e2e_util.py send).
send_frame() { # ns dst-mac src-mac marker
	nsx "$1" "$PY" "$E2E_DIR/e2e_util.py" send eth0 "$2" "$3" "$4"
}

e2e_done() {
	log "ok"
}
