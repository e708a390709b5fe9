#!/bin/bash
# rpcinfo and showmount find ferryd: ferryd registers NFSv4, MOUNT v3 and,
# where NFSv3 is served, NFSv3 and NFSACL v3 with a private rpcbind (RPCBIND v4 over its local socket), for IPv4 (tcp)
# and IPv6 (tcp6), answers rpcinfo's NULL probes, NFSv3 gets a version
# mismatch; showmount -e lists the exports with their host rules; a clean
# stop withdraws every registration, a restart after kill -9 replaces the
# stale ones, and without rpcbind ferryd says so in its log.
#
# Runs inside `unshare -nm`: a network namespace with only loopback, and a
# mount namespace with a tmpfs over /run, so rpcbind's socket, lock and state
# files (/run/rpcbind.sock, /run/rpcbind.lock, /run/rpcbind/) are private and
# the host's rpcbind, if any, is untouched.
#
# Needs root, unshare, ip, rpcbind and rpcinfo; without them it prints
# "SKIP: ..." and exits 0 (the ctest has no SKIP_RETURN_CODE), but fails
# under CI (CI set), where scripts/deps.sh installed them: there a skip
# would hide a failure.
set -u

skip() {
	echo "SKIP: $*"
	[ -z "${CI:-}" ] || { echo "FAIL: a skip under CI"; exit 1; }
	exit 0
}

if [ "${1:-}" != "--inside" ]; then
	: "${FERRYD:?FERRYD must give the path of the ferryd binary}"
	[ -x "$FERRYD" ] || { echo "FAIL: FERRYD=$FERRYD is not executable"; exit 1; }
	[ "$(id -u)" = 0 ] || skip "needs root for unshare -nm"
	for tool in unshare ip rpcbind rpcinfo mount showmount; do
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

mkdir -p "$work/export" "$work/closed" "$work/state"
cat >"$work/ferryd.conf" <<CONF
[export export]
path = $work/export
pseudo = /export

[export closed]
path = $work/closed
pseudo = /closed
clients = 10.0.0.0/8, 192.168.1.0/24
CONF
# IPv6 on loopback, when the namespace has it.
listen6=()
ip -6 addr show dev lo 2>/dev/null | grep -q '::1' && listen6=(--listen '[::1]:0')

start_ferryd() {
	rm -f "$work/port"
	"$FERRYD" --listen 127.0.0.1:0 "${listen6[@]}" --port-file "$work/port" \
		--state-dir "$work/state" --config "$work/ferryd.conf" --control none \
		>>"$work/ferryd.log" 2>&1 &
	ferryd_pid=$!
	if ! wait_for test -s "$work/port"; then
		dump_ferryd_log
		echo "FAIL: ferryd did not write its port file"
		exit 1
	fi
}
start_ferryd
port=$(head -n1 "$work/port")
echo "ferryd listens on port $port"

# Directly on ferryd's port.
out=$(rpcinfo -n "$port" -t 127.0.0.1 100003 4 2>&1)
echo "rpcinfo -n $port -t 127.0.0.1 100003 4: $out"
echo "$out" | grep -q "program 100003 version 4 ready and waiting" ||
	fail "NFSv4 NULL probe on port $port"

# NFSv3: served, and registered below, by a ferryd that has the NFSv3
# program (its usage names a listener's v3= switch); a version mismatch
# naming 4..4 from one that has not.
has_v3=0
"$FERRYD" --help 2>&1 | grep -q 'v3=' && has_v3=1
out=$(rpcinfo -n "$port" -t 127.0.0.1 100003 3 2>&1)
rc=$?
echo "rpcinfo -n $port -t 127.0.0.1 100003 3 (rc $rc): $out"
if [ $has_v3 = 1 ]; then
	echo "$out" | grep -q "program 100003 version 3 ready and waiting" ||
		fail "NFSv3 NULL probe on port $port"
else
	[ $rc -ne 0 ] || fail "version 3 probe succeeded"
	echo "$out" | grep -qi "mismatch" || fail "version 3 did not report a mismatch"
	echo "$out" | grep -q "low version = 4" || fail "mismatch did not give low version 4"
	echo "$out" | grep -q "high version = 4" || fail "mismatch did not give high version 4"
	echo "$out" | grep -q "ready and waiting" && fail "version 3 reported ready"
fi

# Through rpcbind: ferryd registered itself (it runs without --no-rpcbind).
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 +4 +tcp +$port( |\$)'" ||
	fail "ferryd is not registered with rpcbind as 100003 v4 tcp $port"
rpcinfo -p 127.0.0.1
out=$(rpcinfo -t 127.0.0.1 100003 4 2>&1)
echo "rpcinfo -t 127.0.0.1 100003 4: $out"
echo "$out" | grep -q "program 100003 version 4 ready and waiting" ||
	fail "NFSv4 NULL probe through rpcbind"

if [ $has_v3 = 1 ]; then
	rpcinfo -p 127.0.0.1 | grep -Eq "^ +100003 +3 +tcp +$port( |\$)" ||
		fail "ferryd is not registered with rpcbind as 100003 v3 tcp $port"
	# NFSACL v3 where NFSv3 is, answering its NULL probe.
	rpcinfo -p 127.0.0.1 | grep -Eq "^ +100227 +3 +tcp +$port( |\$)" ||
		fail "ferryd is not registered with rpcbind as 100227 (NFSACL) v3 tcp $port"
	out=$(rpcinfo -t 127.0.0.1 100227 3 2>&1)
	echo "rpcinfo -t 127.0.0.1 100227 3: $out"
	echo "$out" | grep -q "program 100227 version 3 ready and waiting" ||
		fail "NFSACL v3 NULL probe through rpcbind"
else
	rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 +3 ' && fail "NFSv3 registered but not served"
	rpcinfo -p 127.0.0.1 | grep -Eq '^ +100227 ' && fail "NFSACL registered without NFSv3"
fi

# MOUNT v3 beside NFS on the same port, and version 1 refused.
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100005 +3 +tcp +$port( |\$)'" ||
	fail "ferryd is not registered with rpcbind as 100005 v3 tcp $port"
rpcinfo -p 127.0.0.1 | grep -Eq '^ +100005 +[12] ' && fail "MOUNT v1 or v2 registered"
out=$(rpcinfo -t 127.0.0.1 100005 3 2>&1)
echo "rpcinfo -t 127.0.0.1 100005 3: $out"
echo "$out" | grep -q "program 100005 version 3 ready and waiting" ||
	fail "MOUNT v3 NULL probe through rpcbind"
out=$(rpcinfo -n "$port" -t 127.0.0.1 100005 1 2>&1)
echo "rpcinfo -n $port -t 127.0.0.1 100005 1: $out"
echo "$out" | grep -q "low version = 3" || fail "MOUNT v1 did not get a mismatch 3..3"

# IPv6: registered as tcp6 (rpcinfo -p shows IPv4 only; rpcinfo lists all).
if [ ${#listen6[@]} -gt 0 ]; then
	port6=$(sed -n 2p "$work/port")
	rpcinfo
	for prog in 100003 100005; do
		rpcinfo | grep -Eq "^ +$prog +[34] +tcp6 +::1\.$((port6 / 256))\.$((port6 % 256)) " ||
			fail "program $prog is not registered as tcp6 on [::1]:$port6"
	done
else
	echo "no IPv6 on this namespace's loopback: tcp6 registration not checked"
fi

# showmount -e: every export with its host rules.
out=$(showmount -e 127.0.0.1 2>&1)
echo "showmount -e 127.0.0.1:"
echo "$out"
echo "$out" | grep -Eq '^/export +\(everyone\)$' || fail "showmount -e: /export (everyone)"
echo "$out" | grep -Eq '^/closed +10\.0\.0\.0/8,192\.168\.1\.0/24$' ||
	fail "showmount -e: /closed with its host rules"
out=$(showmount -a 127.0.0.1 2>&1) || fail "showmount -a failed: $out"
echo "showmount -a 127.0.0.1: $out"

# kill -9 leaves the registrations behind; the next start replaces them.
kill -KILL "$ferryd_pid"
wait "$ferryd_pid" 2>/dev/null
ferryd_pid=
rpcinfo -p 127.0.0.1 | grep -Eq "^ +100005 +3 +tcp +$port( |\$)" ||
	fail "the killed ferryd's registration is not there to replace"
start_ferryd
port=$(head -n1 "$work/port")
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100005 +3 +tcp +$port( |\$)'" ||
	{ dump_ferryd_log; fail "after kill -9 the new ferryd did not register MOUNT on $port"; }
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 +4 +tcp +$port( |\$)'" ||
	fail "after kill -9 the new ferryd did not register NFS on $port"
grep -q "registrations refused" "$work/ferryd.log" && fail "a registration was refused"

# A clean stop withdraws the registrations.
kill -TERM "$ferryd_pid"
wait "$ferryd_pid"
rc=$?
ferryd_pid=
[ $rc -eq 0 ] || { dump_ferryd_log; fail "ferryd exited with status $rc"; }
if rpcinfo | grep -Eq '^ +10000[35] '; then
	fail "ferryd left its registration behind"
	rpcinfo
fi

# A listener that serves no MOUNT registers none.
rm -f "$work/port"
"$FERRYD" --listen 127.0.0.1:0,mount=no --port-file "$work/port" --state-dir "$work/state" \
	--config "$work/ferryd.conf" --control none >>"$work/ferryd.log" 2>&1 &
ferryd_pid=$!
wait_for test -s "$work/port" || { dump_ferryd_log; fail "ferryd (mount=no) did not start"; }
port=$(head -n1 "$work/port")
wait_for sh -c "rpcinfo -p 127.0.0.1 | grep -Eq '^ +100003 +4 +tcp +$port( |\$)'" ||
	fail "ferryd (mount=no) did not register NFS on $port"
rpcinfo -p 127.0.0.1 | grep -Eq '^ +100005 ' && fail "MOUNT registered from a mount=no listener"
kill -TERM "$ferryd_pid"
wait "$ferryd_pid"
ferryd_pid=

# Without rpcbind, ferryd says so.
kill "$rpcbind_pid"
wait "$rpcbind_pid" 2>/dev/null
rpcbind_pid=
start_ferryd
wait_for grep -q "rpcbind: none runs on this host" "$work/ferryd.log" ||
	{ dump_ferryd_log; fail "no log line about the missing rpcbind"; }
grep "rpcbind: none runs" "$work/ferryd.log"
kill -TERM "$ferryd_pid"
wait "$ferryd_pid"
ferryd_pid=

[ $status -eq 0 ] && echo "PASS"
exit $status
