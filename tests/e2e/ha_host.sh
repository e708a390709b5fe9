#!/usr/bin/env bash
# The host side of the HA run (guest/ha.sh, started by tests/e2e/kclient.sh
# with FERRY_E2E_ONLY=ha): kclient's server command, so it runs inside the
# test's network namespace (here "the router"), after run_guest started
# the run's Ceph cluster there (ceph.conf in CEPH_DIR, on 127.0.0.1).
#
# Three heads a, b and c, each in a network namespace of its own (named
# ferry-ha-PID-NODE) with one veth link to a bridge in the router:
#
#   guest --tap-- router (192.168.77.1; bridge ha-br0 SUBNET.254/24)
#                   |-- ha-a == eth0 of head a: SUBNET.11, service address SUBNET.1
#                   |-- ha-b == eth0 of head b: SUBNET.12, service address SUBNET.2
#                   '-- ha-c == eth0 of head c: SUBNET.13, service address SUBNET.3
#
# The router forwards between the guest and the bridge (and nowhere else:
# kclient's namespace has no other link).  Each head runs ferryd ([cluster]
# node a, b or c, pool ferry, a RADOS namespace of this run) listening on
# its service address (net.ipv4.ip_nonlocal_bind: before keepalived brings
# the address), and keepalived with dist/keepalived's files rendered for the
# rig: nobody runs ferryctl here, keepalived's notify script does.
#
# Ceph listens on the router's 127.0.0.1, which no other namespace reaches:
# for each of its ports socat listens on the router's bridge address and in
# each head on 127.0.0.1, so a head reaches the cluster over its own link
# (cutting the link cuts the head off Ceph too, as on a real network).
# kclient's own mount goes to the router's tap address, forwarded (socat)
# to head c's service address; the guest works on mounts of its own.
#
# The guest drives the run through files in OUTDIR (kclient --outdir):
#   ha.request  SCENARIO NODE: do it to head NODE (below), then remove the
#               request; what was done goes to ha-SCENARIO.host
#   ha.reset    stop every head, start them all again, wait for each service
#               address on its own head, remove the file
#   ha.error    written here when the rig breaks (the guest stops)
# Scenarios: kill (ferryd SIGKILL), loss (ferryd and keepalived SIGKILL, the
# link down: the node is gone), pause (ferryd SIGSTOP for PAUSE s, then
# SIGCONT), partition (the head's link off the bridge for PAUSE s; the head
# itself sees its link up), rolling (every head's ferryd restarted in turn,
# SIGTERM then a new one, the next once the cluster is out of grace).
#
# During each scenario dumpcap records in each head's namespace what ferryd
# sends (tcp source port 2049), so that the replies of a fenced head can be
# counted afterwards (ha-SCENARIO.host: fence times from the survivors'
# notify logs), and on the bridge both ways with ARP (cap-SCENARIO-bridge:
# when the client reconnected, and to which head's MAC).
#
# KIND=ganesha runs NFS-Ganesha instead (GANESHA, GANESHA_GRACE,
# GANESHA_LIB as in failover_host.sh): ganesha.nfsd per head with
# RecoveryBackend rados_cluster (node ids a, b, c) and a FSAL_CEPH export,
# listening on every address of its namespace (no Bind_Addr: bound to its
# own address, a head would leave a moved address unserved for good),
# keepalived from the same template with two scripts of this rig in place
# of Ferry's: the check says whether ganesha.nfsd runs and is not stopped,
# the notify script only logs, for NFS-Ganesha has no take-over: keepalived
# moves the address, and nobody starts the failed node's instance again;
# and without nopreempt, so that an address returns to its own head.
#
# Usage: ha_host.sh WORK CEPH_DIR OUTDIR
# Environment: KIND (ferry or ganesha, default ferry), FERRYD, FERRYCTL,
# KEEPALIVED_DIR (dist/keepalived), SUBNET (default 192.168.79), PAUSE
# (default 30).
set -uo pipefail
work=$1 ceph=$2 out=$3
conf=$ceph/ceph.conf
subnet=${SUBNET:-192.168.79}
pause=${PAUSE:-30}
kind=${KIND:-ferry}
srvname=ferryd
[ "$kind" = ganesha ] && srvname=ganesha.nfsd
port=2049
nodes=(a b c)
declare -A ip vip vrid ns srv_pid kad_pid
i=1
for n in "${nodes[@]}"; do
	ip[$n]=$subnet.$((10 + i))
	vip[$n]=$subnet.$i
	vrid[$n]=$((60 + i))
	ns[$n]=ferry-ha-$$-$n
	i=$((i + 1))
done
router=$subnet.254
mkdir -p "$work"
: >"$work/ha-host.events"

stamp() { date +%s.%N; }
say() { echo "ha-host: $*"; echo "$(stamp) $*" >>"$work/ha-host.events"; }
broken() {
	say "BROKEN: $*"
	echo "$*" >"$out/ha.error"
	exit 1
}

# Everything this script started goes when kclient stops its process
# group; the namespaces are named, so they are removed by name.
cleanup() {
	for n in "${nodes[@]}"; do
		ip netns pids "${ns[$n]}" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
		ip netns del "${ns[$n]}" 2>/dev/null
	done
}
trap cleanup EXIT
trap 'exit 0' TERM INT

# (In the background, ip netns exec itself: it becomes the program, so
# that $! is the program's pid, not a subshell's.)
in_ns() { local n=$1; shift; ip netns exec "${ns[$n]}" "$@"; }

# ---- the network ----
ip link add ha-br0 type bridge || broken "cannot make the bridge"
# VRRP speaks multicast (224.0.0.18): the bridge floods it to every head.
echo 0 >/sys/class/net/ha-br0/bridge/multicast_snooping 2>/dev/null
ip addr add "$router/24" dev ha-br0 && ip link set ha-br0 up || broken "cannot set up the bridge"
sysctl -qw net.ipv4.ip_forward=1 || broken "cannot forward in the router"
for n in "${nodes[@]}"; do
	ip netns add "${ns[$n]}" || broken "cannot make namespace ${ns[$n]}"
	ip link add "ha-$n" type veth peer name eth0 netns "${ns[$n]}" &&
		ip link set "ha-$n" master ha-br0 up &&
		in_ns "$n" ip link set lo up &&
		in_ns "$n" ip link set eth0 up &&
		in_ns "$n" ip addr add "${ip[$n]}/24" dev eth0 &&
		in_ns "$n" ip route add default via "$router" &&
		in_ns "$n" sysctl -qw net.ipv4.ip_nonlocal_bind=1 ||
		broken "cannot set up head $n's namespace"
done
say "heads a, b, c at ${ip[a]}, ${ip[b]}, ${ip[c]}; service addresses ${vip[a]}, ${vip[b]}, ${vip[c]}"

# ---- Ceph for the heads ----
ceph_ports=$(ss -Htln | awk '{ n = split($4, p, ":") } p[1] == "127.0.0.1" { print p[n] }' | sort -un)
[ -n "$ceph_ports" ] || broken "no Ceph daemon listens on 127.0.0.1"
for p in $ceph_ports; do
	socat "TCP-LISTEN:$p,bind=$router,reuseaddr,fork" "TCP:127.0.0.1:$p" 2>>"$work/socat.log" &
	for n in "${nodes[@]}"; do
		ip netns exec "${ns[$n]}" socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork" "TCP:$router:$p" \
			2>>"$work/socat.log" &
	done
done
say "Ceph's ports forwarded to every head: $(echo $ceph_ports)"

# ---- ferryd ----
radosns=ha-$$
ferry_conf() { # NODE
	local n=$1 st=$work/state-$1
	mkdir -p "$st"
	cat >"$work/ferryd-$n.conf" <<CONF
[server]
listen = ${vip[$n]}:$port
state_dir = $st
rpcbind = no

[control]
listen = unix:$st/control.sock

[nfs]
lease_time = 90
grace_time = 90
delegations = off

[export e2e]
backend = ceph
path = /
ceph_conf = $conf
ceph_id = ferry
pseudo = /export
squash = none

[cluster]
node = $n
rados_conf = $conf
rados_id = ferry
rados_pool = ferry
rados_namespace = $radosns
CONF
}
ctl() { local n=$1; shift; "$FERRYCTL" --state-dir "$work/state-$n" "$@"; }
ganesha_conf() { # NODE
	local n=$1
	mkdir -p "$work/ganesha-$n"
	cat >"$work/ganesha-$n.conf" <<CONF
NFS_CORE_PARAM {
	Protocols = 4;
	NFS_Port = $port;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
}
NFSV4 {
	Minor_Versions = 1, 2;
	RecoveryBackend = rados_cluster;
	Only_Numeric_Owners = true;
	Delegations = false;
}
RADOS_KV {
	ceph_conf = "$conf";
	userid = ferry;
	pool = ferry;
	namespace = $radosns;
	nodeid = $n;
}
EXPORT {
	Export_Id = 1;
	Path = "/";
	Pseudo = /export;
	Protocols = 4;
	Transports = TCP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	FSAL {
		Name = CEPH;
		User_Id = "ferry";
		Filesystem = "ferryfs";
	}
}
CEPH {
	Ceph_Conf = "$conf";
}
NFS_KRB5 {
	Active_krb5 = false;
	CCacheDir = "$work/ganesha-$n";
}
LOG {
	Default_Log_Level = EVENT;
}
CONF
}
grace() {
	env ${GANESHA_LIB:+LD_LIBRARY_PATH="$GANESHA_LIB"} "$GANESHA_GRACE" \
		--cephconf "$conf" --userid ferry --pool ferry --ns "$radosns" "$@"
}
start_ferryd() { # NODE
	local n=$1
	if [ "$kind" = ganesha ]; then
		ganesha_conf "$n"
		ip netns exec "${ns[$n]}" "$GANESHA" -F -L "$work/head-$n.log" -p "$work/ganesha-$n.pid" \
			-f "$work/ganesha-$n.conf" >>"$work/head-$n.out" 2>&1 &
		srv_pid[$n]=$!
		return
	fi
	ferry_conf "$n"
	ip netns exec "${ns[$n]}" "$FERRYD" --config "$work/ferryd-$n.conf" >>"$work/head-$n.log" 2>&1 &
	srv_pid[$n]=$!
}
# ferryd answers on its control plane (it is up, joined the cluster).
wait_ferryd() { # NODE SECONDS
	local n=$1 t
	for ((t = 0; t < $2 * 5; t++)); do
		if [ "$kind" = ganesha ]; then
			in_ns "$n" ss -Htln "sport = :$port" | grep -q ":$port" && return 0
		else
			ctl "$n" --timeout 2000 cluster >/dev/null 2>&1 && return 0
		fi
		kill -0 "${srv_pid[$n]}" 2>/dev/null || return 1
		sleep 0.2
	done
	return 1
}

# ---- keepalived, from dist/keepalived ----
# The scripts are copied into a root-owned directory no one else may
# write to (keepalived's enable_script_security insists).
bin=$work/bin
mkdir -p "$bin" && chmod 0755 "$bin"
cp "$KEEPALIVED_DIR/ferry-keepalived-check" "$KEEPALIVED_DIR/ferry-keepalived-notify" "$bin/" &&
	chmod 0755 "$bin"/ferry-keepalived-* || broken "cannot copy the keepalived scripts"
# NFS-Ganesha's: healthy while ganesha.nfsd runs and is not stopped (its
# pid file names it); the notify script logs as Ferry's does, and does
# nothing else.
cat >"$bin/ganesha-check" <<'SH'
#!/bin/sh
# --run-dir DIR PIDFILE (the template's script line)
[ "$1" = --run-dir ] && shift 2
pid=$(cat "$1" 2>/dev/null) && [ -n "$pid" ] || exit 1
state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
[ -n "$state" ] && [ "$state" != T ] && [ "$state" != Z ]
SH
cat >"$bin/ganesha-notify" <<'SH'
#!/bin/sh
# LOG --run-dir DIR NODE ADDR PIDFILE (the template's notify_master line)
echo "$(date +%s.%N) ganesha-keepalived: master of $5 ($4): NFS-Ganesha has no take-over" >>"$1"
SH
chmod 0755 "$bin/ganesha-check" "$bin/ganesha-notify"
healthy() { # NODE
	if [ "$kind" = ganesha ]; then
		"$bin/ganesha-check" "$work/ganesha-$1.pid"
	else
		in_ns "$1" "$bin/ferry-keepalived-check" --run-dir "$work/run-$1" "$FERRYCTL" --state-dir "$work/state-$1"
	fi
}
# The template's two site blocks replaced, everything else as shipped.
render_keepalived() { # NODE
	local n=$1 m
	if [ "$kind" = ganesha ]; then
		# The template passes "--run-dir DIR NODE ADDR FERRYCTL OPTIONS"
		# to the notify script and "FERRYCTL OPTIONS" to the check.
		{
			echo "\$IFACE=eth0"
			echo "\$CHECK=$bin/ganesha-check"
			echo "\$NOTIFY=$bin/ganesha-notify $work/notify-$n.log"
			echo "\$RUN_DIR=$work/run-$n"
			echo "\$FERRYCTL=$work/ganesha-$n.pid"
			echo "\$FERRYCTL_OPTS="
		} >"$work/site-$n"
	else
		{
			echo "\$IFACE=eth0"
			echo "\$CHECK=$bin/ferry-keepalived-check"
			echo "\$NOTIFY=$bin/ferry-keepalived-notify --log $work/notify-$n.log"
			echo "\$RUN_DIR=$work/run-$n"
			echo "\$FERRYCTL=$FERRYCTL"
			echo "\$FERRYCTL_OPTS=--state-dir $work/state-$n"
		} >"$work/site-$n"
	fi
	for m in "${nodes[@]}"; do
		printf '$NODE=%s\n$VRID=%s\n$ADDR=%s/32\n$PRIORITY=100\n@%s $PRIORITY=150\n$FERRY_ADDRESS\n\n' \
			"$m" "${vrid[$m]}" "${vip[$m]}" "$m"
	done >"$work/heads-$n"
	awk -v site="$work/site-$n" -v heads="$work/heads-$n" '
		/^# ---- site: one block per head/ { print; while ((getline l < heads) > 0) print l; skip = 1; next }
		/^# ---- site:/ { print; while ((getline l < site) > 0) print l; skip = 1; next }
		/^# ---- end of/ { skip = 0 }
		!skip { print }' "$KEEPALIVED_DIR/keepalived.conf" >"$work/keepalived-$n.conf"
	# NFS-Ganesha: the address goes back to its own head as soon as that
	# head is healthy again (preemption): no other head holds its
	# clients' state, so nothing is gained by leaving it elsewhere.
	[ "$kind" = ganesha ] && sed -i '/^[[:space:]]*nopreempt/d' "$work/keepalived-$n.conf"
}
start_keepalived() { # NODE
	local n=$1
	mkdir -p "$work/run-$n"
	render_keepalived "$n"
	ip netns exec "${ns[$n]}" keepalived --dont-fork --log-console --log-detail --vrrp -i "$n" \
		-f "$work/keepalived-$n.conf" -p "$work/run-$n/keepalived.pid" \
		-r "$work/run-$n/vrrp.pid" >>"$work/keepalived-$n.log" 2>&1 &
	kad_pid[$n]=$!
}

holder() { # ADDRESS: the head whose namespace holds it, or "-"
	local n
	for n in "${nodes[@]}"; do
		in_ns "$n" ip -o -4 addr show dev eth0 2>/dev/null | grep -q " $1/" && { echo "$n"; return; }
	done
	echo -
}
holders() { local n s=; for n in "${nodes[@]}"; do s+="${vip[$n]}@$(holder "${vip[$n]}") "; done; echo "$s"; }

start_all() {
	local n t
	# NFS-Ganesha's clientids carry the second its server started in:
	# one head per second.
	for n in "${nodes[@]}"; do
		start_ferryd "$n"
		[ "$kind" = ganesha ] && sleep 1.2
	done
	for n in "${nodes[@]}"; do
		wait_ferryd "$n" 120 || { tail -n 20 "$work/head-$n.log"; broken "head $n did not start"; }
	done
	# keepalived's health check passes on every head before any
	# keepalived starts: a head whose check still fails would leave its
	# address to the first healthy one.
	for n in "${nodes[@]}"; do
		for ((t = 0; t < 60; t++)); do
			healthy "$n" && break
			sleep 1
		done
	done
	# All keepalived together: each head's own address goes to it (the
	# highest priority among backups that start at once).
	for n in "${nodes[@]}"; do start_keepalived "$n"; done
	for ((t = 0; t < 120; t++)); do
		local ok=1
		for n in "${nodes[@]}"; do [ "$(holder "${vip[$n]}")" = "$n" ] || ok=0; done
		[ $ok = 1 ] && { say "every head holds its own address: $(holders)"; return 0; }
		sleep 1
	done
	broken "the service addresses did not reach their heads: $(holders)"
}

stop_all() {
	local n
	for n in "${nodes[@]}"; do
		[ -n "${kad_pid[$n]:-}" ] && kill -TERM "${kad_pid[$n]}" 2>/dev/null
	done
	for n in "${nodes[@]}"; do
		[ -n "${kad_pid[$n]:-}" ] && wait "${kad_pid[$n]}" 2>/dev/null
		kill -CONT "${srv_pid[$n]}" 2>/dev/null
		kill -TERM "${srv_pid[$n]}" 2>/dev/null
	done
	for n in "${nodes[@]}"; do
		wait "${srv_pid[$n]}" 2>/dev/null
		# A killed keepalived leaves its addresses behind.
		in_ns "$n" ip -o -4 addr show dev eth0 | awk '{ print $4 }' | grep -v "^${ip[$n]}/" |
			while read -r a; do in_ns "$n" ip addr del "$a" dev eth0; done
		ip link set "ha-$n" master ha-br0 up
	done
}

# ---- captures ----
cap_pids=()
start_captures() { # SCENARIO
	local n
	cap_pids=()
	for n in "${nodes[@]}"; do
		ip netns exec "${ns[$n]}" dumpcap -q -i eth0 -f "tcp src port $port" -w "$work/cap-$1-$n.pcapng" \
			2>>"$work/dumpcap.log" &
		cap_pids+=($!)
	done
	dumpcap -q -i ha-br0 -f "tcp port $port or arp" -w "$work/cap-$1-bridge.pcapng" 2>>"$work/dumpcap.log" &
	cap_pids+=($!)
}
stop_captures() {
	local p
	for p in "${cap_pids[@]}"; do kill -INT "$p" 2>/dev/null; done
	for p in "${cap_pids[@]}"; do wait "$p" 2>/dev/null; done
	cap_pids=()
}

# When head NODE was fenced: when the survivor whose take-over succeeded
# first asked for it (the survivor blocklists the node first thing), from
# the notify logs (epoch seconds); nothing when nobody took NODE over.
fenced_at() {
	cat "$work"/notify-*.log 2>/dev/null |
		sed -n "s/.* took over $1 for .*, asked at \([0-9.]*\)).*/\1/p" | sort -n | head -1
}

# How many WRITE or COMMIT replies with NFS4_OK head NODE sent after it
# was fenced (SCENARIO's capture of its namespace).
acked_after_fence() { # SCENARIO NODE
	local at
	at=$(fenced_at "$2")
	[ -n "$at" ] || { echo 0; return; }
	tshark -r "$work/cap-$1-$2.pcapng" -d "tcp.port==$port,rpc" \
		-Y "rpc.msgtyp == 1 && (nfs.opcode == 38 || nfs.opcode == 5) && frame.time_epoch > $at" \
		-T fields -e nfs.nfsstat4 2>/dev/null |
		awk '{ split($1, s, ","); if (s[1] == "0") n++ } END { print n + 0 }'
}

# ---- the scenarios ----
wait_gone() { # PID SECONDS
	local t
	for ((t = 0; t < $2 * 5; t++)); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
	return 1
}
# The node's records adopted by a survivor, or SECONDS passed.
# (NFS-Ganesha takes nobody over: there, until NODE's address is on
# another head.)
wait_takeover() { # NODE SECONDS
	local t h
	for ((t = 0; t < $2; t++)); do
		if [ "$kind" = ganesha ]; then
			h=$(holder "${vip[$1]}")
			[ "$h" != "$1" ] && [ "$h" != - ] && return 0
		fi
		[ -n "$(fenced_at "$1")" ] && return 0
		sleep 1
	done
	return 1
}

# The first head other than VICTIM that holds one client owner twice: as
# its own client, and as VICTIM's come in through VICTIM's address taken
# over (the guest mounts every head with one owner, and kclient's own
# mount reaches head c with it).  Waits up to SECONDS for the client to
# come back; prints "NODE OWNER", or nothing.
owner_side_by_side() { # VICTIM SECONDS
	local t n found
	for ((t = 0; t < $2; t++)); do
		for n in "${nodes[@]}"; do
			[ "$n" = "$1" ] && continue
			found=$(ctl "$n" clients --json 2>/dev/null | python3 -c '
import json, sys
victim = sys.argv[1]
clients = json.load(sys.stdin)
own = {c["owner"] for c in clients if "origin" not in c}
both = [c["owner"] for c in clients if c.get("origin") == victim and c["owner"] in own]
print(both[0] if both else "")' "$1" 2>/dev/null)
			[ -n "$found" ] && { echo "$n $found"; return 0; }
		done
		sleep 1
	done
	return 1
}

scenario() { # SCENARIO NODE
	local scn=$1 v=$2 t0 m
	t0=$(stamp)
	: >"$work/ha-$scn.host"
	note() { say "$scn: $*"; echo "$*" >>"$work/ha-$scn.host"; }
	note "victim $v; before: $(holders)"
	# Each survivor holds the victim's address ahead (on no interface
	# of its own yet): no reconnect meets a refusal while it moves.
	# (rolling has no victim: "-".)
	if [ "$kind" = ferry ] && [ -n "${vip[$v]:-}" ]; then
		for m in "${nodes[@]}"; do
			[ "$m" = "$v" ] && continue
			grep -q "holding connections to ${vip[$v]}:[0-9]*, $v's, should the address move here" \
				"$work/head-$m.log" && note "head $m holds $v's address ahead" ||
				note "head $m does not hold $v's address ahead"
		done
	fi
	case $scn in
	kill)
		kill -KILL "${srv_pid[$v]}"
		note "$srvname of $v killed with SIGKILL"
		wait_takeover "$v" 120 || note "nobody took $v over within 120 s"
		;;
	loss)
		kill -KILL "${kad_pid[$v]}" "${srv_pid[$v]}"
		ip link set "ha-$v" down
		note "$srvname and keepalived of $v killed with SIGKILL, its link down"
		wait_takeover "$v" 120 || note "nobody took $v over within 120 s"
		;;
	pause)
		kill -STOP "${srv_pid[$v]}"
		note "$srvname of $v stopped (SIGSTOP) for $pause s"
		sleep "$pause"
		kill -CONT "${srv_pid[$v]}"
		note "$srvname of $v continued (SIGCONT)"
		if wait_gone "${srv_pid[$v]}" 30; then
			note "$srvname of $v exited by itself after SIGCONT"
		else
			note "$srvname of $v still runs 30 s after SIGCONT"
		fi
		;;
	partition)
		ip link set "ha-$v" nomaster
		note "head $v cut off the bridge for $pause s: $(holders)"
		sleep "$pause"
		note "before the link is back: $(holders)"
		ip link set "ha-$v" master ha-br0
		note "head $v back on the bridge"
		if wait_gone "${srv_pid[$v]}" 30; then
			note "$srvname of $v exited by itself after the link came back"
		else
			note "$srvname of $v still runs 30 s after the link came back"
		fi
		;;
	rolling)
		for m in "${nodes[@]}"; do
			# A planned restart: the head keeps its addresses
			# (ferry-keepalived-check's hold file).
			[ "$kind" = ferry ] && touch "$work/run-$m/ferry-keepalived-hold"
			kill -TERM "${srv_pid[$m]}"
			wait "${srv_pid[$m]}" 2>/dev/null
			start_ferryd "$m"
			wait_ferryd "$m" 120 || note "$srvname of $m did not come back"
			if [ "$kind" = ferry ]; then
				for ((i = 0; i < 30; i++)); do healthy "$m" && break; sleep 1; done
				rm -f "$work/run-$m/ferry-keepalived-hold"
			fi
			note "$srvname of $m restarted (+$(awk -v a="$t0" -v b="$(stamp)" 'BEGIN { printf "%.1f", b - a }') s); $(holders)"
			# The next head once the cluster's grace is over.
			for ((i = 0; i < 120; i++)); do
				if [ "$kind" = ganesha ]; then
					grace dump 2>/dev/null | grep -q 'rec=0' && break
				else
					ctl "$m" cluster 2>/dev/null | head -1 | grep -q 'not in grace' && break
				fi
				sleep 1
			done
		done
		;;
	*) note "unknown scenario $scn" ;;
	esac
	note "after: $(holders)"
	# A head taken over: the survivor keeps the guest's client owner's
	# state from the failed head beside its own (kclient.sh judges it).
	if [ "$kind" = ferry ] && [ -n "$(fenced_at "$v")" ]; then
		if m=$(owner_side_by_side "$v" 60); then
			note "owner side by side: head ${m%% *} holds owner ${m#* } as its own and as $v's"
			echo "side_by_side 1" >>"$work/ha-$scn.host"
		else
			note "owner side by side: no head holds the guest's owner as its own and as $v's"
			echo "side_by_side 0" >>"$work/ha-$scn.host"
		fi
	fi
}

if [ "$kind" = ganesha ]; then
	grace add a b c || broken "ganesha-rados-grace add a b c failed"
fi
start_all
# kclient's own mount: the router's tap address, forwarded to head c
# from a privileged port (ferryd refuses AUTH_SYS from others).
socat "TCP-LISTEN:$port,bind=${KCLIENT_SERVER_ADDR:?},reuseaddr,fork" "TCP:${vip[c]}:$port,lowport" \
	2>>"$work/socat.log" &
say "kclient's mount forwarded to head c"

current=
while :; do
	if [ -e "$out/ha.request" ]; then
		read -r scn v <"$out/ha.request"
		current=$scn
		start_captures "$scn"
		sleep 1
		scenario "$scn" "$v"
		rm -f "$out/ha.request"
	fi
	if [ -e "$out/ha.reset" ]; then
		if [ -n "$current" ]; then
			stop_captures
			for n in "${nodes[@]}"; do
				echo "acked_after_fence $n $(acked_after_fence "$current" "$n")" >>"$work/ha-$current.host"
			done
		fi
		current=
		stop_all
		for n in "${nodes[@]}"; do
			[ -e "$work/notify-$n.log" ] && mv "$work/notify-$n.log" "$work/notify-$n.log.$(stamp)"
		done
		start_all
		rm -f "$out/ha.reset"
	fi
	sleep 0.2
done
