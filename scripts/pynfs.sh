#!/usr/bin/env bash
# Runs the pynfs conformance suites against a fresh ferryd on loopback and
# prints each suite's summary line.
#
#   bash scripts/pynfs.sh PYNFS_DIR [--ferryd PATH] [--minor 0,1,2] [--out DIR]
#                         [--ceph CONF[:ID]] [TEST ...]
#
# PYNFS_DIR: a built pynfs checkout (commit ece3404; the newest has a syntax
# error in nfs4.1/fs.py), built per its README with Debian's python3-ply.
# --minor: the minor versions to run (default 0,1,2): 0 runs nfs4.0's
# testserver.py, 1 and 2 nfs4.1's with --minorversion 1 or 2.
# --ceph: each suite's export is a new directory of that CephFS file system
# (its configuration file, and the client id, default admin), served by the
# ceph back end; it is made with the cephfs Python module of Debian's
# python3-cephfs.
# TEST: the tests or groups to run (default: all).
# The lease is 15 s (the 4.0 delegation tests need more than 15 s for DELEG6
# to mean anything, and the 4.1 ones wait out a lease); every suite gets its
# own export and state directory.  Results go to DIR (default a new directory
# under $TMPDIR): one JSON file and one log per minor version.
# Needs root: --secure binds a reserved port and the export squashes no one.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ $# -ge 1 ] || usage
case $1 in -h|--help) usage 0 ;; esac
pynfs=$(cd "$1" && pwd); shift
ferryd=build/ferryd
minors=0,1,2
out=
ceph=
tests=()
while [ $# -gt 0 ]; do
	case $1 in
	--ferryd) ferryd=$2; shift 2 ;;
	--minor) minors=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--ceph) ceph=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	-*) echo "pynfs.sh: unknown option $1" >&2; usage ;;
	*) tests+=("$1"); shift ;;
	esac
done
[ ${#tests[@]} -gt 0 ] || tests=(all)
[ -x "$ferryd" ] || { echo "pynfs.sh: no ferryd at $ferryd (build it first)" >&2; exit 2; }
[ -f "$pynfs/nfs4.0/testserver.py" ] || { echo "pynfs.sh: $pynfs is no pynfs checkout" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "pynfs.sh: needs root (reserved ports)" >&2; exit 2; }
out=${out:-$(mktemp -d "${TMPDIR:-/tmp}/ferry-pynfs.XXXXXX")}
mkdir -p "$out"
out=$(cd "$out" && pwd)

pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; }
trap cleanup EXIT

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
	[nfs]
	lease_time = 15
	grace_time = 15
	[control]
	listen = none
	[export pynfs]
	pseudo = /pynfs
	access = rw
	squash = none
	EOF
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
		--log-level warn 2>"$run/ferryd.log" &
	pid=$!
	for _ in $(seq 100); do [ -s "$run/port" ] && break; sleep 0.1; done
	port=$(head -n1 "$run/port" | grep -oE '[0-9]+$')
	# A server just started is in grace: pynfs's OPENs would get GRACE.
	sleep 16
	case $minor in
	0) suite=(nfs4.0/testserver.py) ;;
	*) suite=(nfs4.1/testserver.py --minorversion "$minor") ;;
	esac
	(cd "$pynfs" && /usr/bin/python3 "${suite[@]}" "127.0.0.1:$port/pynfs" \
		--secure --maketree --json="$run/results.json" "${tests[@]}") \
		>"$run/pynfs.log" 2>&1 || status=1
	echo "NFSv4.$minor: $(grep -E '^Of those' "$run/pynfs.log" | tail -n1 ||
		echo "no summary: see $run/pynfs.log")"
	kill "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	pid=
done
echo "pynfs.sh: logs and JSON in $out"
exit $status
