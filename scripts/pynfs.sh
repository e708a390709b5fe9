#!/usr/bin/env bash
# Runs the pynfs conformance suites against a fresh ferryd on loopback and
# prints each suite's summary line.
#
#   bash scripts/pynfs.sh PYNFS_DIR [--ferryd PATH] [--minor 0,1,2] [--out DIR]
#                         [--ceph CONF[:ID]] [--sec krb5|krb5i|krb5p]
#                         [--export-sec LIST] [--user USER] [--log-level L]
#                         [--upgrade-every S] [TEST ...]
#
# PYNFS_DIR: a built pynfs checkout (commit ece3404; the newest has a syntax
# error in nfs4.1/fs.py), built per its README with Debian's python3-ply.
# --minor: the minor versions to run (default 0,1,2): 0 runs nfs4.0's
# testserver.py, 1 and 2 nfs4.1's with --minorversion 1 or 2.
# --ceph: each suite's export is a new directory of that CephFS file system
# (its configuration file, and the client id, default admin), served by the
# ceph back end; it is made with the cephfs Python module of Debian's
# python3-cephfs.
# --sec: pynfs runs under RPCSEC_GSS with that service: a throwaway KDC
# (tests/lib/krb5_kdc.sh, realm FERRY.TEST) is started for the run and
# stopped at its end, ferryd gets its nfs/localhost key ([server] keytab),
# pynfs a ticket of USER@FERRY.TEST (--user: default root, made in the
# realm for the run, which ferryd maps to uid 0 as AUTH_SYS runs are; alice
# and bob are mapped to daemon and bin, and the export directory is made
# that user's: a user not root cannot make block or char devices) and the
# server name localhost (pynfs asks for nfs@SERVER).
# --export-sec: the export's sec list; with --sec the default is that
# flavour and sys (pynfs's second client, env.c2 of 4.0 and env.cred2 of
# 4.1, is AUTH_SYS), without it ferryd's default.
# --log-level: ferryd's (default warn), its log is ferryd.log of each run.
# --upgrade-every: ferryd is upgraded in place (ferryctl upgrade, the same
# binary) every S seconds while pynfs runs; each suite's line then says how
# many upgrades were done and how many failed, and how many of them did
# not carry the NFSv4 state (the log's "not handed over").
# TEST: the tests or groups to run (default: all).
# The lease is 15 s (the 4.0 delegation tests need more than 15 s for DELEG6
# to mean anything, and the 4.1 ones wait out a lease); every suite gets its
# own export and state directory.  Results go to DIR (default a new directory
# under $TMPDIR): one JSON file and one log per minor version.
# Needs root: --secure binds a reserved port and the export squashes no one.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0 ;; esac
pynfs=$(cd "$1" && pwd); shift
ferryd=build/ferryd
minors=0,1,2
out=
ceph=
sec=
export_sec=
user=root
log_level=warn
upgrade_every=
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--ferryd) ferryd=$2; shift 2 ;;
	--minor) minors=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ceph) ceph=$2; shift 2 ;;
	--sec) sec=$2; shift 2 ;;
	--export-sec) export_sec=$2; shift 2 ;;
	--user) user=$2; shift 2 ;;
	--log-level) log_level=$2; shift 2 ;;
	--upgrade-every) upgrade_every=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	-*) echo "pynfs.sh: unknown option $1" >&2; usage ;;
	*) tests+=("$1"); shift ;;
	esac
done
[ ${#tests[@]} -gt 0 ] || tests=(all)
[ -x "$ferryd" ] || { echo "pynfs.sh: no ferryd at $ferryd (build it first)" >&2; exit 2; }
[ -f "$pynfs/nfs4.0/testserver.py" ] || { echo "pynfs.sh: $pynfs is no pynfs checkout" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "pynfs.sh: needs root (reserved ports)" >&2; exit 2; }
case $sec in
''|krb5|krb5i|krb5p) ;;
*) echo "pynfs.sh: --sec takes krb5, krb5i or krb5p" >&2; exit 2 ;;
esac
[ -z "$sec" ] && [ -z "$export_sec" ] || export_sec=${export_sec:-$sec:sys}
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/ferry-pynfs.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)

pid=
kdc=
cleanup() {
	# shellcheck disable=SC2086 # one ferryd, or every one of a run
	[ -z "$pid" ] || kill $pid 2>/dev/null || true
	[ -z "$kdc" ] || bash tests/lib/krb5_kdc.sh stop "$kdc" || true
}
trap cleanup EXIT

# pynfs names the server by what it connects to (nfs@SERVER): the host
# whose nfs/ key the keytab holds.
server=127.0.0.1
owner=
if [ -n "$sec" ]; then
	kdc=$out/krb5
	rm -rf "$kdc"
	FERRY_TEST_KRB5_OWNER_PID=$$ bash tests/lib/krb5_kdc.sh start "$kdc"
	eval "$(bash tests/lib/krb5_kdc.sh env "$kdc")"
	if [ ! -f "$kdc/$user.keytab" ]; then
		# A principal of the realm's own for USER (root@FERRY.TEST
		# by default): its auth_to_local DEFAULT rule maps it to the
		# local user of that name.
		printf 'addprinc -randkey %s\nktadd -norandkey -k %s %s\n' \
			"$user" "$kdc/$user.keytab" "$user" |
			PATH=$PATH:/usr/sbin:/sbin kadmin.local -r FERRY.TEST >"$kdc/kadmin-$user.out" 2>&1
	fi
	ccache=$(bash tests/lib/krb5_kdc.sh kinit "$kdc" "$user")
	export KRB5CCNAME=FILE:$ccache
	server=localhost
	# The local user the realm maps the principal to (its auth_to_local
	# rules, as ferryd applies them) owns the export.
	case $user in
	alice) owner=daemon ;;
	bob) owner=bin ;;
	*) owner=$user ;;
	esac
	id "$owner" >/dev/null 2>&1 || { echo "pynfs.sh: no local user $owner" >&2; exit 2; }
fi

status=0
for minor in ${minors//,/ }; do
	run=$out/v4.$minor
	rm -rf "$run"
	mkdir -p "$run/export" "$run/state"
	cat >"$run/ferryd.conf" <<-EOF
	[server]
	listen = 127.0.0.1:0
	state_dir = $run/state
	min_minor = 0
	max_minor = 2
	${kdc:+keytab = $kdc/server.keytab}
	[nfs]
	lease_time = 15
	grace_time = 15
	[control]
	listen = $([ -z "$sec$upgrade_every" ] && echo none || echo "unix:$run/control.sock")
	[export pynfs]
	pseudo = /pynfs
	access = rw
	squash = none
	EOF
	[ -z "$export_sec" ] || printf 'sec = %s\n' "$export_sec" >>"$run/ferryd.conf"
	[ -z "$owner" ] || chown "$owner:" "$run/export"
	if [ -n "$ceph" ]; then
		ceph_conf=${ceph%%:*}
		if [[ $ceph == *:* ]]; then ceph_id=${ceph#*:}; else ceph_id=admin; fi
		ceph_dir=/ferry-pynfs-$$-$minor-$(date +%s)
		/usr/bin/python3 -c 'import cephfs, sys
fs = cephfs.LibCephFS(conffile=sys.argv[1], auth_id=sys.argv[2])
fs.mount()
fs.mkdir(sys.argv[3].encode(), 0o777)
fs.shutdown()' "$ceph_conf" "$ceph_id" "$ceph_dir" ||
			{ echo "pynfs.sh: cannot make $ceph_dir in CephFS" >&2; exit 2; }
		printf 'backend = ceph\npath = %s\nceph_conf = %s\nceph_id = %s\n' \
			"$ceph_dir" "$ceph_conf" "$ceph_id" >>"$run/ferryd.conf"
	else
		printf 'path = %s\n' "$run/export" >>"$run/ferryd.conf"
	fi
	"$ferryd" --config "$run/ferryd.conf" --no-rpcbind --port-file "$run/port" \
		--log-level "$log_level" 2>"$run/ferryd.log" &
	pid=$!
	for _ in $(seq 100); do [ -s "$run/port" ] && break; sleep 0.1; done
	port=$(head -n1 "$run/port" | grep -oE '[0-9]+$')
	# A server just started is in grace: pynfs's OPENs would get GRACE.
	sleep 16
	case $minor in
	0) suite=(nfs4.0/testserver.py) ;;
	*) suite=(nfs4.1/testserver.py --minorversion "$minor") ;;
	esac
	upgrader=
	if [ -n "$upgrade_every" ]; then
		# The new ferryd is the old one's child; each run of ferryctl
		# waits for its upgrade to end.
		(
			ok=0 bad=0
			while sleep "$upgrade_every"; do
				if "$(dirname "$ferryd")/ferryctl" --config "$run/ferryd.conf" upgrade \
					>>"$run/upgrades.log" 2>&1; then
					ok=$((ok + 1))
				else
					bad=$((bad + 1))
				fi
				echo "upgrades=$ok failed=$bad" >"$run/upgrades.count"
			done
		) &
		upgrader=$!
	fi
	pypath=${PYTHONPATH:-}
	if [ -n "$sec" ] && [ "$minor" = 0 ]; then
		# nfs4.0's lib/rpc/rpcsec/sec_auth_gss.py imports gss_type as
		# a module of its own (Python 2's implicit relative import):
		# its rpc.py swallows the ImportError and testserver.py then
		# knows no krb5.  The name, given here, is the package's
		# module.
		mkdir -p "$run/pyshim"
		printf '%s\n' 'import sys' 'from rpc.rpcsec import gss_type' \
			'sys.modules[__name__] = gss_type' >"$run/pyshim/gss_type.py"
		pypath=$run/pyshim${pypath:+:$pypath}
	fi
	(cd "$pynfs" && PYTHONPATH=$pypath /usr/bin/python3 "${suite[@]}" "$server:$port/pynfs" \
		--security "${sec:-sys}" --secure --maketree --json="$run/results.json" "${tests[@]}") \
		>"$run/pynfs.log" 2>&1 || status=1
	echo "NFSv4.$minor: $(grep -E '^Of those' "$run/pynfs.log" | tail -n1 ||
		echo "no summary: see $run/pynfs.log")"
	if [ -n "$upgrader" ]; then
		kill "$upgrader" 2>/dev/null || true
		wait "$upgrader" 2>/dev/null || true
		echo "NFSv4.$minor: ferryd upgraded every $upgrade_every s: $(cat "$run/upgrades.count" 2>/dev/null ||
			echo "upgrades=0 failed=0"), NFSv4 state not carried $(grep -c 'not handed over' "$run/ferryd.log") time(s)"
		# An upgrade under way when the loop was stopped ends first
		# (its ferryctl is not the loop's to kill); the ferryd serving
		# then is the last upgrade's.
		for _ in $(seq 600); do
			pgrep -f -- "ferryctl --config $run/ferryd.conf upgrade" >/dev/null || break
			sleep 0.1
		done
		pid=$(pgrep -f -- "ferryd --config $run/ferryd.conf" | tr '\n' ' ' || true)
	fi
	if [ -n "$sec" ]; then
		# What ferryd served: the calls by service show the run was
		# the one asked for.
		curl -s --max-time 5 --unix-socket "$run/control.sock" http://ferryd/metrics |
			grep '^ferry_gss_' >"$run/gss.metrics" || true
		echo "NFSv4.$minor: RPCSEC_GSS $(awk -F'[{}" ]+' '
			/^ferry_gss_calls_total/ { printf "%s%s %s", n++ ? ", " : "calls ", $3, $4 }
			/^ferry_gss_context_events_total/ && ($3 == "created" || $3 == "refused") {
				c = c sprintf(", contexts %s %s", $3, $4) }
			/^ferry_gss_refused_total/ { r += $4 }
			END { printf "%s, calls refused %d", c, r }' "$run/gss.metrics")"
	fi
	# shellcheck disable=SC2086 # after upgrades: every ferryd of the run
	kill $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	pid=
done
echo "pynfs.sh: logs and JSON in $out"
exit $status
