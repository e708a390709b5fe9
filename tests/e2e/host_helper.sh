#!/usr/bin/env bash
# The host side of the kernel-client tests that need one (guest/deleg.sh,
# guest/linkcut.sh).  It runs beside ferryd in kclient's server command, so
# inside the test's network namespace, and serves requests from the guest
# through the directory shared with it (kclient --outdir):
#
#   <tag>.ready   written by the guest (key=value lines: kind, and per kind
#                 minor, name, expect, append, read, seconds); taken by renaming
#                 it to <tag>.taken
#   <tag>.result  what the request printed
#   <tag>.done    its exit status, written last: the guest waits for it
#
# kind=client: tests/e2e/nfs4_conflict_client opens <name> in the export
#   over NFS (minor version <minor>), must READ exactly <expect> (plus a
#   newline) and appends <append> (plus a newline); with read=report a
#   different READ is only reported.
# kind=local: a process on the server host does the same through the
#   exported directory itself (cat, then >>): with kernel leases on
#   delegated files its open waits for the recall.
# kind=create: <name> is written in the exported directory by a process on
#   the server host, holding <expect> and a newline, so that no client has
#   a delegation on it.
# kind=setfacl: <name> is made (holding <expect>) and given the POSIX
#   access ACL <append> (entries as "u::rw-,u:4321:rw-,g::r--,m::rw-,o::r--")
#   by a process on the server host.
# kind=getfacl: the server host's view of <name>'s POSIX access ACL (for
#   both kinds <name> may be a path under the export), as
#   getfacl -n lists its entries ("user:1234:r--"), into the result.
# kind=linkdown: the host end of the guest's link (the device holding
#   $KCLIENT_SERVER_ADDR) goes down for <seconds>, then up again; done is
#   written once it is up.
# kind=reset: every TCP connection between ferryd and the guest is aborted
#   on the host side (ss -K): the guest's client must reconnect.
#
# Usage: host_helper.sh OUTDIR CONFLICT_CLIENT EXPORT_DIR [SECONDS]
# The server address is $KCLIENT_SERVER_ADDR:$KCLIENT_PORT (set by kclient).
# It stops after SECONDS (default 900), or with the server command.
#
# On a ceph export FERRY_HELPER_CEPH_CONF and FERRY_HELPER_CEPH_ID name the
# cluster and client, EXPORT_DIR is the export's directory inside CephFS,
# and the process beside ferryd of kind=local and kind=create is
# FERRY_HELPER_CEPHFS_FILE (build/tests/cephfs_file), a CephFS client of
# its own: with a read delegation held, its append waits for the recall.
set -uo pipefail
outdir=$1 client=$2 export_dir=$3 limit=${4:-900}
server=${KCLIENT_SERVER_ADDR:-127.0.0.1}:${KCLIENT_PORT:-2049}
nl=$'\n'

# Reads the request file into the variables kind minor name expect append
# read seconds; values are taken literally, never evaluated.
read_request() {
	kind="" minor=1 name="" expect="" append="" seconds=5 read=check
	local k v
	while IFS='=' read -r k v; do
		case $k in
		kind) kind=$v ;; minor) minor=$v ;; name) name=$v ;;
		expect) expect=$v ;; append) append=$v ;; seconds) seconds=$v ;;
		read) read=$v ;;
		esac
	done <"$1"
	case $kind in
	client | local | create)
		case $name in
		"" | */* | . | ..) echo "CONFLICT FAIL: bad file name '$name'"; return 1 ;;
		esac ;;
	setfacl | getfacl)
		# A path under the export, never above it.
		case /$name/ in
		// | */../* | */./* | *//*) echo "HOST FAIL: bad path '$name'"; return 1 ;;
		esac ;;
	esac
	case $seconds in
	"" | *[!0-9]*) echo "HOST FAIL: bad seconds '$seconds'"; return 1 ;;
	esac
}

conflict_client() {
	local report=()
	[ "$read" = report ] && report=(--report-read)
	"$client" --server "$server" --minor "$minor" --name "$name" \
		--expect "$expect$nl" --append "$append$nl" --timeout 60 "${report[@]}" 2>&1 |
		grep -v '^\[' # cmocka's banner
	return "${PIPESTATUS[0]}"
}

# What the process beside ferryd does to file $2: cat, append DATA or
# write DATA; in the exported directory, or through CephFS.  It runs in
# child shells too (under timeout), so it reads the environment only.
beside() { # op file [data]
	if [ -n "${FERRY_HELPER_CEPH_CONF:-}" ]; then
		"$FERRY_HELPER_CEPHFS_FILE" "$FERRY_HELPER_CEPH_CONF" \
			"${FERRY_HELPER_CEPH_ID:-admin}" "$@"
	else
		case $1 in
		cat) cat "$2" ;;
		append) printf '%s' "$3" >>"$2" ;;
		write) printf '%s' "$3" >"$2" ;;
		esac
	fi
}

# A local reader and writer on the exported file.  timeout bounds the wait
# for a lease break that never ends.
conflict_local() {
	local f=$export_dir/$name got t0 t1
	t0=$(date +%s.%N)
	# The sentinel keeps the data's trailing newline and tells a failed
	# cat from an empty file.
	got=$(timeout 60 bash -c "$(declare -f beside); beside cat \"\$1\"" _ "$f" && echo .end)
	t1=$(date +%s.%N)
	case $got in
	*.end) got=${got%.end} ;;
	*) echo "CONFLICT FAIL: local cat of $f failed or timed out"; return 1 ;;
	esac
	echo "CONFLICT local read after $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s: '${got//$nl/\\n}'"
	local rc=0
	if [ "$got" != "$expect$nl" ]; then
		echo "CONFLICT FAIL: local read did not see the guest's data '$expect'"
		rc=1
	fi
	t0=$(date +%s.%N)
	if ! timeout 60 bash -c "$(declare -f beside); beside append \"\$1\" \"\$2\"" _ "$f" "$append$nl"; then
		echo "CONFLICT FAIL: local append to $f failed or timed out"
		rc=1
	fi
	t1=$(date +%s.%N)
	echo "CONFLICT local append took $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') s"
	[ $rc -eq 0 ] && echo "CONFLICT PASS (local)"
	return $rc
}

# The POSIX access ACL of file $1 on the server host: set to $2 (entries,
# comma-separated), or listed.
host_acl() { # setfacl|getfacl file [acl]
	if [ -n "${FERRY_HELPER_CEPH_CONF:-}" ]; then
		"$FERRY_HELPER_CEPHFS_FILE" "$FERRY_HELPER_CEPH_CONF" \
			"${FERRY_HELPER_CEPH_ID:-admin}" "$@"
	elif [ "$1" = setfacl ]; then
		setfacl -n --set "$3" "$2"
	else
		getfacl -n --omit-header "$2" | grep -v '^$'
	fi
}

# The host end of the guest's link: the device with the server address.
guest_link() {
	ip -o -4 addr show | awk -v a="${KCLIENT_SERVER_ADDR:-}/" 'index($4, a) == 1 { print $2; exit }'
}

link_down() {
	local dev
	dev=$(guest_link)
	[ -n "$dev" ] || { echo "HOST FAIL: no device holds ${KCLIENT_SERVER_ADDR:-?} (kclient --net user?)"; return 1; }
	ip link set "$dev" down || { echo "HOST FAIL: ip link set $dev down"; return 1; }
	echo "HOST $dev down for ${seconds}s"
	sleep "$seconds"
	ip link set "$dev" up || { echo "HOST FAIL: ip link set $dev up"; return 1; }
	echo "HOST $dev up"
}

reset_conns() {
	local guest=${KCLIENT_SERVER_ADDR%.*}.2 n
	# The guest is .2 on the tap subnet (kclient's NETWORK notes).
	n=$(ss -K -t -n state established dst "$guest" 2>&1 | grep -c "$guest")
	if [ "$n" -eq 0 ]; then
		echo "HOST FAIL: no connection to $guest to abort (ss -K unsupported?)"
		return 1
	fi
	echo "HOST aborted $n connection(s) to $guest"
}

end=$((SECONDS + limit))
while [ $SECONDS -lt $end ]; do
	for r in "$outdir"/*.ready; do
		[ -e "$r" ] || continue
		tag=${r##*/}
		tag=${tag%.ready}
		mv -f "$r" "$outdir/$tag.taken" || continue
		rc=1
		if read_request "$outdir/$tag.taken" >"$outdir/$tag.result" 2>&1; then
			case $kind in
			client) conflict_client >>"$outdir/$tag.result" 2>&1; rc=$? ;;
			local) conflict_local >>"$outdir/$tag.result" 2>&1; rc=$? ;;
			create) beside write "$export_dir/$name" "$expect$nl" 2>>"$outdir/$tag.result"; rc=$? ;;
			setfacl) beside write "$export_dir/$name" "$expect$nl" 2>>"$outdir/$tag.result" &&
				host_acl setfacl "$export_dir/$name" "$append" >>"$outdir/$tag.result" 2>&1
				rc=$? ;;
			getfacl) host_acl getfacl "$export_dir/$name" >>"$outdir/$tag.result" 2>&1; rc=$? ;;
			linkdown) link_down >>"$outdir/$tag.result" 2>&1; rc=$? ;;
			reset) reset_conns >>"$outdir/$tag.result" 2>&1; rc=$? ;;
			*) echo "CONFLICT FAIL: unknown kind '$kind'" >>"$outdir/$tag.result" ;;
			esac
		fi
		echo "$rc" >"$outdir/$tag.done"
	done
	sleep 0.2
done
