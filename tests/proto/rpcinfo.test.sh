#!/bin/bash
# rpcinfo finds ferryd: ferryd registers NFSv4 with a private rpcbind and
# answers rpcinfo's NULL probe; NFSv3 gets a version mismatch.
#
# Runs inside `unshare -nm`: a network namespace with only loopback, and a
# mount namespace with a tmpfs over /run, so rpcbind's socket, lock and state
# files (/run/rpcbind.sock, /run/rpcbind.lock, /run/rpcbind/) are private and
# the host's rpcbind, if any, is untouched.
#
# Needs root, unshare, ip, rpcbind and rpcinfo; without them it prints
# "SKIP: ..." and exits 0 (the ctest has no SKIP_RETURN_CODE).
set -u

skip() {
	echo "SKIP: $*"
	exit 0
}

if [ "${1:-}" != "--inside" ]; then
	: "${FERRYD:?FERRYD must give the path of the ferryd binary}"
	[ -x "$FERRYD" ] || { echo "FAIL: FERRYD=$FERRYD is not executable"; exit 1; }
	[ "$(id -u)" = 0 ] || skip "needs root for unshare -nm"
	for tool in unshare ip rpcbind rpcinfo mount; do
		PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null ||
			skip "$tool is not installed"
	done
	export PATH="$PATH:/usr/sbin:/sbin"
	unshare -nm true 2>/dev/null || skip "unshare -nm is not permitted here"
	work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-rpcinfo-XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	unshare -nm bash "$0" --inside "$work"
	exit $?
fi

# --- inside the namespaces ---------------------------------------------------
work=$2
rpcbind_pid=
ferryd_pid=
status=0

cleanup() {
	[ -n "$ferryd_pid" ] && kill "$ferryd_pid" 2>/dev/null && wait "$ferryd_pid" 2>/dev/null
	[ -n "$rpcbind_pid" ] && kill "$rpcbind_pid" 2>/dev/null && wait "$rpcbind_pid" 2>/dev/null
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*"
	status=1
}

dump_ferryd_log() {
	echo "---- ferryd log ----"
	cat "$work/ferryd.log"
	echo "---- end ----"
}

# Waits up to 10 s for a command to succeed.
wait_for() {
	for _ in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

ip link set lo up || { echo "FAIL: cannot bring up lo"; exit 1; }
# unshare(1) makes the new mount namespace private, so this tmpfs is ours.
mount -t tmpfs -o mode=0755 ferry-run /run || { echo "FAIL: cannot mount /run"; exit 1; }
mkdir -p /run/rpcbind

rpcbind -f -w &
rpcbind_pid=$!
wait_for rpcinfo -p 127.0.0.1 || { echo "FAIL: rpcbind did not start"; exit 1; }

mkdir -p "$work/export" "$work/state"
"$FERRYD" --listen 127.0.0.1:0 --port-file "$work/port" --state-dir "$work/state" \
	--export "$work/export:/export" >"$work/ferryd.log" 2>&1 &
ferryd_pid=$!
if ! wait_for test -s "$work/port"; then
	dump_ferryd_log
	echo "FAIL: ferryd did not write its port file"
	exit 1
fi
port=$(head -n1 "$work/port")
echo "ferryd listens on port $port"

# Directly on ferryd's port.
out=$(rpcinfo -n "$port" -t 127.0.0.1 100003 4 2>&1)
echo "rpcinfo -n $port -t 127.0.0.1 100003 4: $out"
echo "$out" | grep -q "program 100003 version 4 ready and waiting" ||
	fail "NFSv4 NULL probe on port $port"

out=$(rpcinfo -n "$port" -t 127.0.0.1 100003 3 2>&1)
rc=$?
echo "rpcinfo -n $port -t 127.0.0.1 100003 3 (rc $rc): $out"
[ $rc -ne 0 ] || fail "version 3 probe succeeded"
echo "$out" | grep -qi "mismatch" || fail "version 3 did not report a mismatch"
echo "$out" | grep -q "low version = 4" || fail "mismatch did not give low version 4"
echo "$out" | grep -q "high version = 4" || fail "mismatch did not give high version 4"
echo "$out" | grep -q "ready and waiting" && fail "version 3 reported ready"

# Through rpcbind: ferryd registered itself (it runs without --no-rpcbind).
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 +4 +tcp +$port( |\$)'" ||
	fail "ferryd is not registered with rpcbind as 100003 v4 tcp $port"
rpcinfo -p 127.0.0.1
out=$(rpcinfo -t 127.0.0.1 100003 4 2>&1)
echo "rpcinfo -t 127.0.0.1 100003 4: $out"
echo "$out" | grep -q "program 100003 version 4 ready and waiting" ||
	fail "NFSv4 NULL probe through rpcbind"

# A clean stop withdraws the registration.
kill -TERM "$ferryd_pid"
wait "$ferryd_pid"
rc=$?
ferryd_pid=
[ $rc -eq 0 ] || { dump_ferryd_log; fail "ferryd exited with status $rc"; }
if rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 '; then
	fail "ferryd left its registration behind"
	rpcinfo -p 127.0.0.1
fi

[ $status -eq 0 ] && echo "PASS"
exit $status
