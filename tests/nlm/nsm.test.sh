#!/bin/bash
# NLM with NSM through the real rpc.statd: a host's first lock reaches
# statd, a host's reboot (SM_NOTIFY to statd) drops its locks, a restart
# begins a grace period and runs sm-notify (tests/nlm/nlm_nsm_client.c).
#
# Runs inside `unshare -nm`: loopback only, a tmpfs over /run for rpcbind's
# socket and sm-notify's pid file, and an rpcbind and an rpc.statd -P DIR of
# its own, so the host's are untouched.
#
# Needs root, unshare, ip, rpcbind, rpcinfo and rpc.statd (nfs-common);
# without them it prints "SKIP: ..." and exits 0, but fails under CI (CI
# set), where scripts/deps.sh installed them: there a skip would hide a
# failure.
set -u

skip() {
	echo "SKIP: $*"
	[ -z "${CI:-}" ] || { echo "FAIL: a skip under CI"; exit 1; }
	exit 0
}

if [ "${1:-}" != "--inside" ]; then
	: "${NLM_NSM_CLIENT:?NLM_NSM_CLIENT must give the path of nlm_nsm_client}"
	[ "$(id -u)" = 0 ] || skip "needs root for unshare -nm"
	for tool in unshare ip rpcbind rpcinfo rpc.statd sm-notify mount; do
		PATH="$PATH:/usr/sbin:/sbin" command -v "$tool" >/dev/null ||
			skip "$tool is not installed"
	done
	export PATH="$PATH:/usr/sbin:/sbin"
	unshare -nm true 2>/dev/null || skip "unshare -nm is not permitted here"
	work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-nsm-XXXXXX") || exit 1
	trap 'rm -rf "$work"' EXIT
	unshare -nm bash "$0" --inside "$work"
	exit $?
fi

work=$2
rpcbind_pid=
statd_pid=
cleanup() {
	[ -n "$statd_pid" ] && kill "$statd_pid" 2>/dev/null && wait "$statd_pid" 2>/dev/null
	[ -n "$rpcbind_pid" ] && kill "$rpcbind_pid" 2>/dev/null && wait "$rpcbind_pid" 2>/dev/null
}
trap cleanup EXIT

wait_for() {
	for _ in $(seq 200); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	return 1
}

ip link set lo up || { echo "FAIL: cannot bring up lo"; exit 1; }
mount -t tmpfs -o mode=0755 ferry-run /run || { echo "FAIL: cannot mount /run"; exit 1; }
mkdir -p /run/rpcbind

rpcbind -f -w &
rpcbind_pid=$!
wait_for rpcinfo -p 127.0.0.1 || { echo "FAIL: rpcbind did not start"; exit 1; }

statd_dir="$work/statd"
mkdir -p "$statd_dir/sm" "$statd_dir/sm.bak"
# -L: statd runs no sm-notify of its own; ferryd does, after its restart.
rpc.statd -F -d -L -P "$statd_dir" >"$work/statd.log" 2>&1 &
statd_pid=$!
if ! wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -q ' 100024 '"; then
	cat "$work/statd.log"
	skip "rpc.statd did not start here"
fi

FERRY_TEST_NSM_DIR="$statd_dir" FERRY_TEST_STATD_PID="$statd_pid" TMPDIR="$work" "$NLM_NSM_CLIENT"
status=$?
if [ $status -ne 0 ]; then
	echo "---- statd log ----"
	cat "$work/statd.log"
	ls -lR "$statd_dir"
	for log in "$work"/ferry-deleg-*/ferryd.log "$work"/*/ferryd.log; do
		[ -f "$log" ] && { echo "---- $log ----"; cat "$log"; }
	done
fi
exit $status
