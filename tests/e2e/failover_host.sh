#!/usr/bin/env bash
# The host side of the fail-over run (guest/failover.sh, started by
# tests/e2e/kclient.sh with FERRY_E2E_ONLY=failover): kclient's server
# command, so it runs inside the test's network namespace, after run_guest
# started the run's Ceph cluster there (ceph.conf in CEPH_DIR).
#
# Two simulated hosts, two heads on one CephFS:
#   host b  the end of the guest's link ($KCLIENT_SERVER_ADDR, kctap0):
#           head b listens on that address, and the guest's kclient mount
#           is a mount of head b;
#   host a  a veth device of its own (fo-hosta) holding head a's service
#           address ADDR_A (/32), which the guest routes to through host b.
# Either server kind, FERRY or GANESHA:
#   ferry    two ferryd with [cluster] nodes a and b (RADOS pool ferry),
#            each with its own state directory and control socket;
#   ganesha  two ganesha.nfsd with RecoveryBackend = rados_cluster (node
#            ids a and b in namespace ganesha of pool ferry, registered with
#            ganesha-rados-grace add a b) and a FSAL_CEPH export of the
#            root, each bound to its address (Bind_Addr).
#
# When the guest creates failover.request in OUTDIR: head a is killed with
# SIGKILL, its address leaves host a's device and is added on host b's,
# and host b takes node a over: ferry, `ferryctl --state-dir B cluster
# takeover a` (head b ends a's CephFS sessions, loads its client records,
# starts a cluster grace and listens on a's addresses); ganesha, a new
# ganesha.nfsd with node id a on host b (Ganesha's own model: the failed
# node's instance starts again elsewhere, and its CephFS client takes over
# the old one's session by its reclaim id).  Then the request is removed.
# Each step's time goes to the log (the server log of the run).  When the
# guest creates failover.report at the end, Ferry's head b writes its
# metrics to WORK/metrics-b.txt and its NFS error counts to the log.
#
# Usage: failover_host.sh ferry|ganesha WORK CEPH_DIR OUTDIR
# Environment: FERRYD, FERRYCTL (ferry); GANESHA (ganesha.nfsd, or the
# wrapper of ../shared/ganesha-v6), GANESHA_GRACE (ganesha-rados-grace),
# GANESHA_LIB (its LD_LIBRARY_PATH, may be empty) (ganesha); ADDR_A
# (default 192.168.78.1); MOVE_FIRST (below).
set -uo pipefail
kind=$1 work=$2 ceph=$3 out=$4
conf=$ceph/ceph.conf
addr_a=${ADDR_A:-192.168.78.1}
# Head a's address leaves host a with head a; it arrives on host b before
# host b takes over (MOVE_FIRST=1, the default), or, for Ferry with
# MOVE_FIRST=0, after the take-over as ferryctl(8) puts it (head b listens
# on it with IP_FREEBIND before it arrives).  NFS-Ganesha binds the
# address, so it always arrives first.
move_first=${MOVE_FIRST:-1}
[ "$kind" = ganesha ] && move_first=1
addr_b=${KCLIENT_SERVER_ADDR:?kclient sets KCLIENT_SERVER_ADDR}
port=${KCLIENT_PORT:-2049}
mkdir -p "$work"

stamp() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(stamp)" 'BEGIN { printf "%.2f", b - a }'; }
say() { echo "failover-host: $*"; }

# A broken rig: said in the log and to the guest (failover.error), which
# stops waiting.
broken() {
	say "$*"
	echo "$*" >"$out/failover.error"
	exit 1
}

# The device holding host b's address: its address and head a's moved one.
nic_b=$(ip -o -4 addr show | awk -v a="$addr_b" '{ split($4, p, "/") } p[1] == a { print $2; exit }')
rm -f "$out/failover.error"
[ -n "$nic_b" ] || broken "no device holds $addr_b"
ip link add fo-hosta type veth peer name fo-hosta-peer &&
	ip link set fo-hosta-peer up && ip link set fo-hosta up &&
	ip addr add "$addr_a/32" dev fo-hosta || broken "cannot set up host a's device"
say "host a: $addr_a on fo-hosta; host b: $addr_b on $nic_b"

listening() { # ADDR: a listener on ADDR:port (NFS-Ganesha's shows as [::ffff:ADDR]:port)
	ss -Htln "sport = :$port" 2>/dev/null | awk -v a="$1:$port" -v m="[::ffff:$1]:$port" \
		'$4 == a || $4 == m { found = 1 } END { exit !found }'
}
wait_listen() { # ADDR PID SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		listening "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# Both kinds with delegations off (NFS-Ganesha's default), so that every
# write's open goes to the server, and their own lease and grace times:
# ferryd's defaults, 90 s each, written out; NFS-Ganesha's (its log says
# "IN GRACE, duration 90").
case $kind in
ferry)
	ferry_conf() { # NODE ADDR
		local st=$work/state-$1
		mkdir -p "$st"
		cat >"$work/ferryd-$1.conf" <<CONF
[server]
listen = $2:$port
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
node = $1
rados_conf = $conf
rados_id = ferry
CONF
	}
	start_head() { # NODE ADDR: sets started to its pid
		ferry_conf "$1" "$2"
		"$FERRYD" --config "$work/ferryd-$1.conf" >"$work/head-$1.log" 2>&1 &
		started=$!
	}
	;;
ganesha)
	grace() {
		env ${GANESHA_LIB:+LD_LIBRARY_PATH="$GANESHA_LIB"} "$GANESHA_GRACE" \
			--cephconf "$conf" --userid ferry --pool ferry --ns ganesha "$@"
	}
	ganesha_conf() { # NODE ADDR FILE
		mkdir -p "$work/ganesha-$1"
		cat >"$3" <<CONF
NFS_CORE_PARAM {
	Protocols = 4;
	NFS_Port = $port;
	Bind_Addr = $2;
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
	namespace = ganesha;
	nodeid = $1;
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
	CCacheDir = "$work/ganesha-$1";
}
LOG {
	Default_Log_Level = EVENT;
}
CONF
	}
	start_head() { # NODE ADDR [INSTANCE]: sets started to its pid
		local tag=$1${3:-}
		ganesha_conf "$1" "$2" "$work/ganesha-$tag.conf"
		"$GANESHA" -F -L "$work/head-$tag.log" -p "$work/ganesha-$tag.pid" \
			-f "$work/ganesha-$tag.conf" >"$work/head-$tag.out" 2>&1 &
		started=$!
	}
	# NFS-Ganesha binds its Bind_Addr only while IPv6 is on in the
	# namespace (kclient turns it off; with it off, ganesha.nfsd V6.2
	# listens on every address): on, but off again on the guest's link.
	sysctl -qw net.ipv6.conf.all.disable_ipv6=0 &&
		sysctl -qw "net.ipv6.conf.$nic_b.disable_ipv6=1" ||
		broken "cannot turn IPv6 on in the namespace"
	grace add a b || broken "ganesha-rados-grace add a b failed"
	grace dump
	;;
*)
	broken "unknown kind $kind"
	;;
esac

# Head b first: kclient boots the guest once something listens, and the
# guest's own mount goes to head b.  Head a a second later: NFS-Ganesha
# names its server epoch, which its clientids carry, after the second it
# started in.
t0=$(stamp)
start_head b "$addr_b"
pid_b=$started
wait_listen "$addr_b" "$pid_b" 120 || { tail -n 30 "$work/head-b"*; broken "head b did not listen"; }
say "head b (pid $pid_b) listens on $addr_b:$port after $(since "$t0") s"
sleep 1
t0=$(stamp)
start_head a "$addr_a"
pid_a=$started
wait_listen "$addr_a" "$pid_a" 120 || { tail -n 30 "$work/head-a"*; broken "head a did not listen"; }
say "head a (pid $pid_a) listens on $addr_a:$port after $(since "$t0") s"

move_a() { # T0: the address arrives on host b
	ip addr add "$addr_a/32" dev "$nic_b" || say "adding $addr_a to $nic_b failed"
	say "$addr_a added on host b's $nic_b (+$(since "$1") s)"
}

failover() {
	local t0 rc
	t0=$(stamp)
	say "fail-over asked"
	kill -KILL "$pid_a"
	wait "$pid_a" 2>/dev/null
	ip addr del "$addr_a/32" dev fo-hosta || say "removing $addr_a from fo-hosta failed"
	say "head a killed with SIGKILL, $addr_a gone from host a (+$(since "$t0") s)"
	[ "$move_first" = 1 ] && move_a "$t0"
	case $kind in
	ferry)
		# Refused with 75 (try again) until a's heartbeat has been silent
		# for fence_after, as a notify script would see it.
		while :; do
			"$FERRYCTL" --state-dir "$work/state-b" --timeout 120000 cluster takeover a
			rc=$?
			[ "$rc" = 75 ] || break
			sleep 0.2
		done
		say "ferryctl cluster takeover a exited $rc (+$(since "$t0") s)"
		[ "$move_first" = 1 ] || move_a "$t0"
		"$FERRYCTL" --state-dir "$work/state-b" cluster
		;;
	ganesha)
		start_head a "$addr_a" -2
		pid_a=$started
		say "ganesha.nfsd with node id a started on host b (pid $pid_a)"
		if wait_listen "$addr_a" "$pid_a" 120; then
			say "it listens on $addr_a:$port (+$(since "$t0") s)"
		else
			say "it did not listen on $addr_a:$port within 120 s"
		fi
		grace dump
		;;
	esac
	listening "$addr_a" && say "$addr_a:$port is served again (+$(since "$t0") s)"
}

# At the end the guest asks for what head b counted (failover.report):
# Ferry's metrics go to metrics-b.txt, the NFS errors to the log.
report() {
	if [ "$kind" = ferry ]; then
		"$FERRYCTL" --state-dir "$work/state-b" metrics >"$work/metrics-b.txt" 2>&1
		grep -E '^ferry_nfs_op_errors_total' "$work/metrics-b.txt" | sed 's/^/failover-host: head b: /'
	fi
	say "load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

while :; do
	if [ -e "$out/failover.request" ]; then
		say "load average $(cut -d' ' -f1-3 /proc/loadavg)"
		failover
		rm -f "$out/failover.request"
	fi
	if [ -e "$out/failover.report" ]; then
		report
		rm -f "$out/failover.report"
	fi
	if ! kill -0 "$pid_b" 2>/dev/null; then
		wait "$pid_b"
		broken "head b exited ($?)"
	fi
	sleep 0.2
done
