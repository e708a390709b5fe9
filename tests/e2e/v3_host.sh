#!/usr/bin/env bash
# The host side of the kernel-client NFSv3 run (guest/v3.sh): kclient's
# server command for FERRY_E2E_ONLY=v3, so it runs inside kclient's network
# namespace.  It
#
#  - moves into a mount namespace of its own and mounts fresh tmpfs on /run
#    and /var/lib/nfs, so that the rpcbind and rpc.statd started here (their
#    sockets, lock and pid files, statd's monitor list) are this run's and
#    touch nothing of the host's;
#  - starts rpcbind (Debian's; the guest's mount.nfs finds MOUNT through it,
#    the server registers NFS, MOUNT and NLM with it) and rpc.statd (NSM:
#    the server asks it to monitor each client that takes a lock), and
#    waits until rpcinfo lists status (rpc_daemons.sh);
#  - starts the server under test on /export: ferryd (KIND ferry) with one
#    local export, or NFS-Ganesha (KIND ganesha; V6.2 of
#    ../shared/ganesha-v6 by default) with NFSv3, MOUNT and NLM on and a
#    configuration adapted from ../shared/e2e/ganesha-example.conf;
#  - answers the guest's requests (below) until the server stops.
#
# Requests (as host_helper.sh's: OUTDIR/<tag>.ready, key=value lines, is
# renamed to <tag>.taken; the answer goes to <tag>.result, then the exit
# status to <tag>.done):
#   kind=rpcinfo            rpcinfo -p 127.0.0.1 of this side
#   kind=monitored          the hosts this side's rpc.statd monitors (its
#                           sm directory): a client that took a lock
#   kind=metrics            ferryctl metrics (ferryd only)
#   kind=nlm                ferryctl nlm (ferryd only): NLM's counters and
#                           hosts, each with the address it is watched by
#   kind=lock4 name=FILE seconds=S
#                           a process on this host takes a whole-file
#                           write lock on FILE of the export through NFSv4
#                           (build/tests/nfs4_lock_client, ferryd only),
#                           answers once it holds it, holds it until the
#                           guest makes OUTDIR/<tag>.release (S seconds at
#                           most) and releases it; its output goes to
#                           <tag>.holder
#   kind=lock4try name=FILE one NFSv4 lock attempt on FILE, not waiting
#                           (nfs4_lock_client --try): "LOCK4 try: OPEN|LOCK
#                           STATUS" (ferryd only)
#   kind=upgrade name=N     N upgrades in place (ferryctl upgrade), half a
#                           second apart, alternating FERRYD_OTHER (default:
#                           a copy of FERRYD) and FERRYD; answers
#                           "upgrades=OK failed=BAD", then the metrics'
#                           grace, upgrade and NLM lines (ferryd only)
#   kind=restart name=FILE  kill -9 of ferryd and a start on the same
#                           configuration and state directory (ferryd only);
#                           once it listens, at once a lock4try on FILE (in
#                           the grace period the restart began) and the
#                           metrics' NLM lines
#
# Usage: v3_host.sh KIND DIR OUTDIR
#   KIND    ferry or ganesha
#   DIR     scratch directory (made; the export, the configuration, the
#           state, statd's directory and the server's log stay after the run)
#   OUTDIR  the directory shared with the guest (kclient --outdir)
# Environment: FERRYD, FERRYCTL, LOCK_CLIENT (nfs4_lock_client), GANESHA
# (ganesha.nfsd), FERRYD_LOG_LEVEL (default info), and kclient's
# KCLIENT_SERVER_ADDR and KCLIENT_PORT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kind=${1:?usage: v3_host.sh KIND DIR OUTDIR} dir=${2:?} outdir=${3:?}
PATH=$PATH:/usr/sbin:/sbin

say() { echo "v3-host: $*"; }
die() { say "FAILED: $*"; exit 1; }

case $kind in ferry | ganesha) ;; *) die "KIND is ferry or ganesha, not '$kind'" ;; esac
# A mount namespace of its own (private: nothing mounted here shows
# outside), entered by running this script again inside it.
if [ -z "${V3_HOST_PRIVATE:-}" ]; then
	V3_HOST_PRIVATE=1 exec unshare --mount --propagation private "$0" "$@"
	die "cannot run unshare --mount"
fi

ferryd=${FERRYD:-$top/build/ferryd}
ferryctl=${FERRYCTL:-$top/build/ferryctl}
lock_client=${LOCK_CLIENT:-$top/build/tests/nfs4_lock_client}
ganesha=${GANESHA:-$top/../shared/ganesha-v6/ganesha.nfsd}
port=${KCLIENT_PORT:-2049}

pids=()
cleanup() {
	local rc=$? p
	trap - EXIT TERM INT
	for ((p = ${#pids[@]} - 1; p >= 0; p--)); do kill -TERM "${pids[p]}" 2>/dev/null; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	exit "$rc"
}
trap cleanup EXIT TERM INT
# The server's output goes where this script's went, also for a server
# started again while the answer to a request is redirected.
exec 3>&1 4>&2

mkdir -p "$dir/export" "$dir/state" "$outdir" || die "cannot make $dir"
chmod 0777 "$dir/export"
. "$here/rpc_daemons.sh"
private_rpc_daemons "$dir/statd" || die "rpcbind and rpc.statd: see above"
say "rpcbind and rpc.statd up"

start_ferryd() {
	"$ferryd" --config "$dir/ferryd.conf" --log-level "${FERRYD_LOG_LEVEL:-info}" >&3 2>&4 &
	server_pid=$!
}
listening() { ss -Htln "sport = :$port" 2>/dev/null | grep -q .; }

case $kind in
ferry)
	[ -x "$ferryd" ] || die "$ferryd not built"
	# [nlm] statd_dir: the restart (kind=restart) has sm-notify read the
	# monitor list of this run's statd.
	cat >"$dir/ferryd.conf" <<EOF
[server]
listen = 0.0.0.0:$port
state_dir = $dir/state

[nfs]
lease_time = 30
grace_time = 5

[nlm]
statd_dir = $dir/statd

[export e2e]
path = $dir/export
pseudo = /export
squash = none
EOF
	start_ferryd
	;;
ganesha)
	[ -x "$ganesha" ] || die "$ganesha not found (GANESHA)"
	mkdir -p "$dir/recov" "$dir/ccache"
	# ../shared/e2e/ganesha-example.conf with NFSv3, MOUNT and NLM on:
	# fixed MOUNT and NLM ports (registered with rpcbind all the same),
	# MOUNT by the pseudo path as by the export's path, UDP as well (the
	# kernel's statd and lockd talk UDP to each other's host).
	cat >"$dir/ganesha.conf" <<EOF
NFS_CORE_PARAM {
	Protocols = 3, 4;
	NFS_Port = $port;
	MNT_Port = 20048;
	NLM_Port = 32803;
	Enable_NLM = true;
	Enable_RQUOTA = false;
	Enable_UDP = true;
	Mount_Path_Pseudo = true;
}
NFSV4 {
	Minor_Versions = 0, 1, 2;
	Graceless = true;
	Lease_Lifetime = 30;
	RecoveryBackend = fs;
	RecoveryRoot = "$dir/recov";
	Only_Numeric_Owners = true;
}
EXPORT {
	Export_Id = 1;
	Path = "$dir/export";
	Pseudo = /export;
	Protocols = 3, 4;
	Transports = TCP, UDP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	FSAL {
		Name = VFS;
	}
}
NFS_KRB5 {
	Active_krb5 = false;
	CCacheDir = "$dir/ccache";
}
LOG {
	Default_Log_Level = EVENT;
}
EOF
	"$ganesha" -F -L /dev/stdout -p "$dir/ganesha.pid" -f "$dir/ganesha.conf" &
	server_pid=$!
	;;
esac
pids+=($server_pid)

# The programs the server registered, once it listens.
for ((i = 0; i < 300; i++)); do
	listening && break
	kill -0 "$server_pid" 2>/dev/null || break
	sleep 0.1
done
sleep 1
say "rpcinfo -p 127.0.0.1 with the server up:"
rpcinfo -p 127.0.0.1 2>&1 | sed 's/^/v3-host:   /'

# --- the guest's requests ----------------------------------------------------------
lock4try() { # FILE
	[ -x "$lock_client" ] || { echo "$lock_client not built"; return 1; }
	"$lock_client" --server "${KCLIENT_SERVER_ADDR:-127.0.0.1}:$port" --name "$1" --try 2>&1 |
		grep '^LOCK4 try:'
}
# kill -9 and a new start: the old process's pid leaves the list the
# clean-up stops.
restart_ferryd() { # FILE
	local old=$server_pid i t0 p
	kill -KILL "$old" 2>/dev/null
	wait "$old" 2>/dev/null
	for p in "${!pids[@]}"; do [ "${pids[p]}" = "$old" ] && unset 'pids[p]'; done
	pids=("${pids[@]}") # dense again: the clean-up counts down the indices
	say "ferryd (pid $old) killed with SIGKILL" >&3
	t0=$(date +%s.%N)
	start_ferryd
	pids+=($server_pid)
	for ((i = 0; i < 300; i++)); do
		listening && break
		kill -0 "$server_pid" 2>/dev/null || { echo "ferryd did not start again"; return 1; }
		sleep 0.05
	done
	listening || { echo "ferryd does not listen again"; return 1; }
	echo "ferryd started again (pid $server_pid), listening after $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
	lock4try "$1"
	"$ferryctl" --state-dir "$dir/state" metrics 2>&1 | grep -E '^ferry_nlm_(locks|hosts|nsm_calls)'
	return 0
}
# N upgrades in place; the pid the clean-up stops follows the one serving.
upgrade_ferryd() { # N
	local n=$1 i ok=0 bad=0 out b p q other=${FERRYD_OTHER:-$dir/ferryd-other}
	[ -x "$other" ] || cp "$ferryd" "$other" || { echo "cannot copy $ferryd"; return 1; }
	for ((i = 1; i <= n; i++)); do
		b=$ferryd
		[ $((i % 2)) = 1 ] && b=$other
		if out=$("$ferryctl" --state-dir "$dir/state" upgrade --binary "$b" 2>&1); then
			p=$(sed -n 's/^upgraded: pid \([0-9]*\) serves now.*/\1/p' <<<"$out")
			for q in "${!pids[@]}"; do [ "${pids[q]}" = "$server_pid" ] && pids[q]=$p; done
			server_pid=$p
			ok=$((ok + 1))
		else
			echo "$out"
			bad=$((bad + 1))
		fi
		sleep 0.5
	done
	echo "upgrades=$ok failed=$bad"
	"$ferryctl" --state-dir "$dir/state" metrics | grep -E '^ferry_(grace|upgrades_total|nlm_locks|nlm_hosts)'
	return 0
}
answer() { # kind name seconds tag: prints the answer, returns its status
	case $1 in
	rpcinfo) rpcinfo -p 127.0.0.1 ;;
	monitored) ls -1 "$dir/statd/sm" ;;
	metrics)
		[ "$kind" = ferry ] || { echo "no metrics from $kind"; return 1; }
		"$ferryctl" --state-dir "$dir/state" metrics
		;;
	nlm)
		[ "$kind" = ferry ] || { echo "no ferryctl nlm from $kind"; return 1; }
		"$ferryctl" --state-dir "$dir/state" nlm
		;;
	lock4)
		[ "$kind" = ferry ] || { echo "no NFSv4 lock from the host against $kind"; return 1; }
		case $2 in
		"" | /* | *..*) echo "bad name '$2'"; return 1 ;;
		esac
		[ -x "$lock_client" ] || { echo "$lock_client not built"; return 1; }
		local held=$outdir/$4.held
		rm -f "$held" "$outdir/$4.release"
		"$lock_client" --server "${KCLIENT_SERVER_ADDR:-127.0.0.1}:$port" --name "$2" \
			--hold "$3" --until "$outdir/$4.release" --held "$held" >"$outdir/$4.holder" 2>&1 &
		local p=$! i
		for ((i = 0; i < 300; i++)); do
			[ -e "$held" ] && { echo "held by pid $p until $4.release (at most $3 s)"; return 0; }
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		cat "$outdir/$4.holder"
		return 1
		;;
	upgrade)
		[ "$kind" = ferry ] || { echo "no upgrade of $kind"; return 1; }
		case $2 in '' | *[!0-9]*) echo "bad count '$2'"; return 1 ;; esac
		upgrade_ferryd "$2"
		;;
	lock4try | restart)
		[ "$kind" = ferry ] || { echo "no $1 against $kind"; return 1; }
		case $2 in
		"" | /* | *..*) echo "bad name '$2'"; return 1 ;;
		esac
		if [ "$1" = restart ]; then restart_ferryd "$2"; else lock4try "$2"; fi
		;;
	*) echo "unknown kind '$1'"; return 1 ;;
	esac
}
while kill -0 "$server_pid" 2>/dev/null; do
	for r in "$outdir"/*.ready; do
		[ -e "$r" ] || continue
		tag=${r##*/}
		tag=${tag%.ready}
		mv -f "$r" "$outdir/$tag.taken" || continue
		rkind="" name="" seconds=5
		while IFS='=' read -r k v; do
			case $k in kind) rkind=$v ;; name) name=$v ;; seconds) seconds=$v ;; esac
		done <"$outdir/$tag.taken"
		case $seconds in '' | *[!0-9]*) seconds=5 ;; esac
		answer "$rkind" "$name" "$seconds" "$tag" >"$outdir/$tag.result" 2>&1
		echo $? >"$outdir/$tag.done"
	done
	sleep 0.2
done
wait "$server_pid" 2>/dev/null
say "the server ($kind) exited with status $?"
