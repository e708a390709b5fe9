#!/bin/bash
# Kernel-client NFSv3 run, in the kclient guest, beside tests/e2e/v3_host.sh
# (the server command: rpcbind, rpc.statd and the server under test, ferryd
# or NFS-Ganesha, in kclient's network namespace; requests through the
# directory kclient --outdir shares).
#
# kclient's own mount (cwd) is vers=3 with nolock: locks stay in the
# guest.  On it:
#  nolock        /proc/mounts shows vers=3 and nolock; (nolock_locks=1)
#                two guest processes conflict over an fcntl lock all the
#                same (the guest's own lock table); (nolock_smoke=1) the
#                shared smoke workload (smoke.sh, --file) passes and
#                mountstats count WRITE and COMMIT.
# Then the guest gets what NLM needs on the client side and mounts again
# with locking, at /mnt/v3lock:
#  daemons       rpcbind and rpc.statd (KCLIENT_EXTRA_BINS) start; rpcinfo
#                lists status (nlm_daemons.sh, --file).
#  lock-mount    vers=3 without nolock: /proc/mounts shows no nolock, the
#                guest's rpcbind lists nlockmgr (the kernel's lockd).
#  smoke         smoke.sh on the locking mount (its flock step then goes
#                to the server as NLM locks).
#  locks-fcntl, locks-flock  with lock_tool (--file): process A holds an
#                exclusive lock until told to let go (no check races a
#                clock); B's non-blocking try is refused, a shared
#                one too, B's F_GETLK names a holder (fcntl); B's blocking
#                request still waits 1.5 s later, A lets go, B is granted;
#                two shared locks coexist; (fcntl) byte ranges: A holds
#                0-99, B gets 100-199 and is refused 50-149.
#  host-lock     (host_lock=1: ferryd) a process on the server host holds a
#                write lock on a file through NFSv4 (v3_host.sh kind=lock4):
#                the guest's non-blocking fcntl lock is refused, its
#                blocking one still waits 1.5 s later and is granted once
#                the host lets go (told through OUTDIR/hostlock.release).
#  nlm-proof     the server's rpc.statd monitors the guest (the server
#                asked it to: SM_MON after the guest's first lock), the
#                guest's statd monitors the server (its lockd asked);
#                rpcinfo of the server lists nlockmgr 4; mountstats count
#                WRITE and COMMIT on the locking mount.
#  restart       (restart=1: ferryd) a guest process holds an fcntl lock
#                while the server is killed with SIGKILL and started again
#                (v3_host.sh kind=restart): at once an NFSv4 client on the
#                server host cannot take the file (NFS4ERR_GRACE: the
#                restart began a grace period for the NLM hosts of the
#                last run); the server's sm-notify tells the guest's statd,
#                whose lockd reclaims the lock in grace: once the grace
#                period is over the NFSv4 client is refused
#                (NFS4ERR_DENIED, the reclaimed lock), the server counts
#                the lock, the guest writes to the mount again; the guest
#                process ends and the NFSv4 client gets the lock.
#  client-reboot (client_reboot=1: ferryd) the guest "reboots" under a
#                lock: a guest process holds an fcntl lock (an NFSv4
#                client on the server host is refused it), then the
#                guest's statd is stopped and sm-notify -f (KCLIENT_EXTRA_BINS)
#                sends SM_NOTIFY with a new state number, as at boot, from
#                the address the server monitors the guest by: the
#                server's statd tells the server, which drops the guest's
#                locks (the NFSv4 client gets the file, the server counts
#                no NLM lock); statd is started again for what follows.
#  cthon04       (cthon04.tar given with --file) guest/cthon04.sh, the
#                basic, special and lock groups, on the locking mount.
#
# Arguments: smoke=0|1 (default 1) nolock_smoke=0|1 (default 1)
# nolock_locks=0|1 (the conflict on the nolock mount, default 1)
# host_lock=0|1 (default 0) restart=0|1 (default 0) client_reboot=0|1
# (default 0) smoke_mb=N smoke_files=N (smoke.sh's
# SMOKE_BIG_MB and SMOKE_NFILES).
# Prints "E2E PASS|FAIL|INFO v3-<step>: ..." lines (and smoke.sh's); exits 1
# if a check failed.
set -uo pipefail
out=${KCLIENT_OUTDIR:-/kcrun/out}
files=${KCLIENT_FILES:-/kcrun/files}
carrier=${KCLIENT_MNT:-$(pwd)}
server=${KCLIENT_SERVER:?}
port=${KCLIENT_PORT:-2049}
export_path=${KCLIENT_EXPORT:-/export}
lockmnt=/mnt/v3lock
smoke=1 nolock_smoke=1 nolock_locks=1 host_lock=0 restart=0 client_reboot=0
smoke_env=()
for a in "$@"; do
	case $a in
	smoke=*) smoke=${a#smoke=} ;;
	nolock_smoke=*) nolock_smoke=${a#nolock_smoke=} ;;
	nolock_locks=*) nolock_locks=${a#nolock_locks=} ;;
	host_lock=*) host_lock=${a#host_lock=} ;;
	restart=*) restart=${a#restart=} ;;
	client_reboot=*) client_reboot=${a#client_reboot=} ;;
	smoke_mb=*) smoke_env+=("SMOKE_BIG_MB=${a#smoke_mb=}") ;;
	smoke_files=*) smoke_env+=("SMOKE_NFILES=${a#smoke_files=}") ;;
	*) echo "E2E FAIL v3: unknown argument '$a'"; exit 2 ;;
	esac
done
failed=0
pass() { echo "E2E PASS v3-$1: $2"; }
fail() { echo "E2E FAIL v3-$1: $2"; failed=1; }
info() { echo "E2E INFO v3-$1: $2"; }
up() { cut -d' ' -f1 /proc/uptime; }
lock_tool=$files/lock_tool
# lt ARGS: lock_tool under a time limit.  A lock manager that never answers
# leaves the kernel's NLM call waiting (a hard mount: "lockd: server not
# responding, still trying"), which only a fatal signal ends: SIGKILL
# after 75 s (exit 137).
# The processes that hold a lock in the background are started the same
# way, without the function, so that $! is the tool's own pid (busybox's
# timeout execs the program) and kill releases the lock.
lt() { timeout -s KILL 75 "$lock_tool" "$@"; }
tmp=$(mktemp -d /tmp/v3.XXXXXX) || exit 1
# Everything runs from / (paths are absolute): a process started here
# inherits this directory, and busybox's timeout leaves a watcher that
# outlives its program by up to a second; one left on kclient's mount made
# its unmount fail (EBUSY) when the script ended just after a lock holder
# was killed.
cd / || exit 1

# host_request TAG KIND [NAME [SECONDS]]: the answer of v3_host.sh into
# $tmp/TAG; its exit status is the request's.
host_request() {
	local tag=$1 i=0
	rm -f "$out/$tag".*
	printf 'kind=%s\nname=%s\nseconds=%s\n' "$2" "${3:-}" "${4:-}" >"$out/$tag.tmp" &&
		mv "$out/$tag.tmp" "$out/$tag.ready"
	while [ ! -e "$out/$tag.done" ]; do
		i=$((i + 1))
		if [ $i -gt 600 ]; then
			echo "the host side never answered $tag (is v3_host.sh the server command?)" >"$tmp/$tag"
			return 1
		fi
		sleep 0.1
	done
	cp "$out/$tag.result" "$tmp/$tag"
	return "$(cat "$out/$tag.done")"
}
opcount() { # mount point, op: its request count in mountstats
	awk -v mnt="$1" -v op="$2:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
nonzero_ops() { # mount point: "OP=n ..." of the ops it sent ("/N!": N ended in an error)
	awk -v mnt="$1" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 ~ /^[A-Z_0-9]+:$/ && $2 > 0 {
			s = s " " substr($1, 1, length($1) - 1) "=" $2 ($10 > 0 ? "/" $10 "!" : "")
		}
		END { print substr(s, 2) }' /proc/self/mountstats
}
mount_line() { awk -v m="$1" '$2 == m' /proc/mounts; }
# Waits (up to ~20 s) for a local marker file.
wait_for() {
	local i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.1
	done
}
run_smoke() { # step, mount point
	local t0 rc
	t0=$(up)
	(cd "$2" && env "${smoke_env[@]}" KCLIENT_MNT="$2" sh "$files/smoke.sh") >"$tmp/smoke.$1" 2>&1
	rc=$?
	grep -E '^SMOKE (FAIL|SUMMARY)' "$tmp/smoke.$1"
	if [ $rc = 0 ]; then
		pass "$1" "smoke.sh passed in $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.0f", b - a }') s"
	else
		fail "$1" "smoke.sh failed (exit $rc)"
		tail -5 "$tmp/smoke.$1"
	fi
}
stats_ok() { # step, mount point: WRITE and COMMIT counted
	local w c
	w=$(opcount "$2" WRITE) c=$(opcount "$2" COMMIT)
	if [ "$w" -gt 0 ] && [ "$c" -gt 0 ]; then
		pass "$1" "mountstats count WRITE=$w COMMIT=$c"
	else
		fail "$1" "mountstats count WRITE=$w COMMIT=$c (both must be > 0)"
	fi
	info "$1" "ops: $(nonzero_ops "$2")"
}

# hold_until MARKER RELEASE LOCK_TOOL_ARGS...: process A takes a lock and
# holds it until RELEASE exists (75 s at most); its pid in $a once MARKER
# says it holds the lock (false if it never does).  No check below races a
# clock: A lets go when the checks made while it holds are done.
hold_until() {
	local marker=$1 release=$2
	shift 2
	rm -f "$marker" "$release"
	timeout -s KILL 90 "$lock_tool" --hold 75 --until "$release" --marker "$marker" "$@" \
		>"$tmp/a.out" 2>&1 &
	a=$!
	wait_for "$marker"
}

# waits_for_release RELEASE LOCK_TOOL_ARGS...: B's blocking request, which
# must still be waiting 1.5 s later; then RELEASE is made (the holder lets
# go) and B's exit status and output are left in rc and got.  False when B
# ended before the release.
waits_for_release() {
	local release=$1 b early=0
	shift
	lt "$@" >"$tmp/b.out" 2>&1 &
	b=$!
	sleep 1.5
	kill -0 $b 2>/dev/null || early=1
	: >"$release"
	wait $b
	rc=$?
	got=$(cat "$tmp/b.out")
	return $early
}

# host_lock4_granted NAME TRIES: an NFSv4 client on the server host tries
# to lock NAME every 0.5 s until it is granted (the lock is then given back
# at once); false if it never is.  Its last answer in got.
host_lock4_granted() {
	local i
	got=""
	for i in $(seq "$2"); do
		host_request try lock4try "$1"
		got=$(sed -n 's/^LOCK4 try: //p' "$tmp/try")
		[ "$got" = "LOCK NFS4_OK" ] && return 0
		sleep 0.5
	done
	return 1
}

# lock_conflicts STEP DIR TYPE: two processes over one file in DIR; TYPE
# fcntl or flock.
lock_conflicts() {
	local step=$1 d=$2 type=$3 f fl=() a rc got release=$tmp/release
	[ "$type" = flock ] && fl=(--flock)
	f=$d/lock-$type.$$
	rm -f "$f"
	: >"$f" || { fail "$step" "cannot create $f"; return; }
	if ! hold_until "$tmp/held" "$release" "${fl[@]}" "$f"; then
		fail "$step" "process A never got its lock: $(cat "$tmp/a.out")"
		kill $a 2>/dev/null
		return
	fi
	got=$(lt "${fl[@]}" --nonblock "$f" 2>&1)
	rc=$?
	[ $rc = 3 ] && pass "$step" "B's exclusive try refused while A holds it ($got)" ||
		fail "$step" "B's exclusive try while A holds it: exit $rc ($got)"
	got=$(lt "${fl[@]}" --nonblock --shared "$f" 2>&1)
	rc=$?
	[ $rc = 3 ] && pass "$step" "B's shared try refused while A holds it exclusive" ||
		fail "$step" "B's shared try while A holds it exclusive: exit $rc ($got)"
	if [ "$type" = fcntl ]; then
		got=$(lt --getlk "$f" 2>&1)
		rc=$?
		[ $rc = 3 ] && pass "$step" "B's F_GETLK names a holder ($got)" ||
			fail "$step" "B's F_GETLK while A holds it: exit $rc ($got)"
	fi
	if waits_for_release "$release" "${fl[@]}" --timeout 60 "$f"; then
		local ms
		ms=$(echo "$got" | sed -n 's/^LOCK granted after \([0-9]*\) ms$/\1/p')
		if [ $rc = 0 ] && [ -n "$ms" ] && [ "$ms" -ge 1000 ]; then
			pass "$step" "B's blocking request waited for A's release, granted after $ms ms"
		else
			fail "$step" "B's blocking request once A let go: exit $rc ($got)"
		fi
	else
		fail "$step" "B's blocking request ended while A held the lock: exit $rc ($got)"
	fi
	wait $a || fail "$step" "process A failed: $(cat "$tmp/a.out")"

	# Two shared locks coexist.
	if hold_until "$tmp/held" "$release" "${fl[@]}" --shared "$f"; then
		got=$(lt "${fl[@]}" --shared --nonblock "$f" 2>&1)
		rc=$?
		[ $rc = 0 ] && pass "$step" "two shared locks coexist" ||
			fail "$step" "B's shared lock beside A's shared one: exit $rc ($got)"
	else
		fail "$step" "process A never got its shared lock: $(cat "$tmp/a.out")"
	fi
	: >"$release"
	wait $a

	if [ "$type" = fcntl ]; then
		if hold_until "$tmp/held" "$release" --range 0:100 "$f"; then
			got=$(lt --range 100:100 --nonblock "$f" 2>&1)
			rc=$?
			[ $rc = 0 ] && pass "$step" "B gets bytes 100-199 while A holds 0-99" ||
				fail "$step" "B's lock on bytes 100-199 beside A's 0-99: exit $rc ($got)"
			got=$(lt --range 50:100 --nonblock "$f" 2>&1)
			rc=$?
			[ $rc = 3 ] && pass "$step" "B is refused bytes 50-149 while A holds 0-99" ||
				fail "$step" "B's lock on bytes 50-149 over A's 0-99: exit $rc ($got)"
		else
			fail "$step" "process A never got bytes 0-99: $(cat "$tmp/a.out")"
		fi
		: >"$release"
		wait $a
	fi
	rm -f "$f" "$release"
}

[ -x "$lock_tool" ] || { echo "E2E FAIL v3: $lock_tool missing (kclient --file)"; exit 1; }

# --- kclient's mount: vers=3, nolock -----------------------------------------
line=$(mount_line "$carrier")
case ",$(echo "$line" | awk '{ print $4 }')," in
*,vers=3,*nolock* | *nolock*,vers=3,*) pass nolock "mounted: $line" ;;
*) fail nolock "kclient's mount is not vers=3 with nolock: $line" ;;
esac
[ "$nolock_locks" = 1 ] && lock_conflicts nolock-locks "$carrier" fcntl
if [ "$nolock_smoke" = 1 ]; then
	run_smoke nolock-smoke "$carrier"
	stats_ok nolock "$carrier"
fi

# --- what NLM needs in the guest -----------------------------------------------
step=daemons
# (from /, as all else here: see the cd above; started on kclient's mount
# the daemons would keep it busy)
[ -f "$files/nlm_daemons.sh" ] || { fail $step "$files/nlm_daemons.sh missing (kclient --file)"; exit 1; }
. "$files/nlm_daemons.sh"
if why=$(nlm_daemons_start); then
	pass $step "rpcbind and rpc.statd up (rpcinfo lists status)"
else
	fail $step "$why"
	exit 1
fi

# --- the locking mount ----------------------------------------------------------
step=lock-mount
mkdir -p $lockmnt
t0=$(up)
if ! mount -t nfs -o "vers=3,proto=tcp,port=$port,sec=sys" "$server:$export_path" $lockmnt \
	>"$tmp/mount.err" 2>&1; then
	fail $step "mount -o vers=3 (with locking) failed: $(cat "$tmp/mount.err")"
	exit 1
fi
line=$(mount_line $lockmnt)
case $line in
*nolock*) fail $step "the locking mount says nolock: $line" ;;
*vers=3*) pass $step "mounted in $(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }') s: $line" ;;
*) fail $step "not a vers=3 mount: $line" ;;
esac
# The kernel's lockd registers nlockmgr with the guest's rpcbind when a
# mount with locking starts it.
rpcinfo -p 127.0.0.1 >"$tmp/rpcinfo.guest" 2>&1
if grep -qE '^ *100021 ' "$tmp/rpcinfo.guest"; then
	pass $step "the guest's rpcbind lists nlockmgr (lockd) and status"
else
	fail $step "the guest's rpcbind lists no nlockmgr"
fi
sed 's/^/  guest rpcinfo: /' "$tmp/rpcinfo.guest"

[ "$smoke" = 1 ] && run_smoke smoke $lockmnt
lock_conflicts locks-fcntl $lockmnt fcntl
lock_conflicts locks-flock $lockmnt flock

# --- a lock held on the server host through NFSv4 --------------------------------
if [ "$host_lock" = 1 ]; then
	step=host-lock
	name=host-lock.$$
	: >"$lockmnt/$name"
	# The host holds its lock until the guest makes hostlock.release
	# (75 s at most).
	if host_request hostlock lock4 "$name" 75; then
		got=$(lt --nonblock "$lockmnt/$name" 2>&1)
		rc=$?
		[ $rc = 3 ] && pass $step "the guest's fcntl try is refused while the host holds an NFSv4 lock" ||
			fail $step "the guest's fcntl try while the host holds an NFSv4 lock: exit $rc ($got)"
		if waits_for_release "$out/hostlock.release" --timeout 60 "$lockmnt/$name"; then
			[ $rc = 0 ] && pass $step "the guest's blocking fcntl lock granted once the host released it ($got)" ||
				fail $step "the guest's blocking fcntl lock after the host's: exit $rc ($got)"
		else
			fail $step "the guest's blocking fcntl lock ended while the host held the file: exit $rc ($got)"
		fi
	else
		fail $step "the host side could not take its NFSv4 lock: $(cat "$tmp/hostlock")"
	fi
	cat "$out/hostlock.holder" 2>/dev/null | sed 's/^/  host: /'
	rm -f "$lockmnt/$name"
fi

# --- proof that NLM went over the wire --------------------------------------------
step=nlm-proof
ls -1 /var/lib/nfs/sm >"$tmp/sm.guest" 2>&1
if [ -s "$tmp/sm.guest" ]; then
	pass $step "the guest's statd monitors the server: $(tr '\n' ' ' <"$tmp/sm.guest")"
else
	fail $step "the guest's statd monitors nobody (its lockd made no SM_MON)"
fi
# A server may stop monitoring a client that holds no more locks
# (SM_UNMON): the question is asked while a lock is held.
rm -f "$tmp/held"
timeout -s KILL 75 "$lock_tool" --hold 30 --marker "$tmp/held" "$lockmnt/nlm-proof.$$" >"$tmp/a.out" 2>&1 &
a=$!
if ! wait_for "$tmp/held"; then
	fail $step "cannot take a lock to hold while the server's statd is asked: $(cat "$tmp/a.out")"
elif host_request monitored monitored && [ -s "$tmp/monitored" ]; then
	pass $step "the server's statd monitors (while the guest holds a lock): $(tr '\n' ' ' <"$tmp/monitored")"
else
	fail $step "the server's statd monitors nobody while the guest holds a lock (no SM_MON from the server): $(cat "$tmp/monitored")"
fi
kill $a 2>/dev/null
wait $a 2>/dev/null
rm -f "$lockmnt/nlm-proof.$$"
if host_request rpcinfo rpcinfo && grep -qE '100021 +4 +tcp' "$tmp/rpcinfo"; then
	pass $step "the server's rpcbind lists nlockmgr 4 over TCP"
else
	fail $step "the server's rpcbind lists no nlockmgr 4 over TCP"
	sed 's/^/  server rpcinfo: /' "$tmp/rpcinfo"
fi
if host_request metrics metrics; then
	# ferryd counts the NLM calls it served.
	n=$(awk '$1 == "ferry_nlm_calls_total{proc=\"LOCK\"}" { print $2 }' "$tmp/metrics")
	if [ "${n:-0}" -gt 0 ] 2>/dev/null; then
		pass $step "the server counted $n NLM LOCK calls (ferry_nlm_calls_total)"
	else
		fail $step "the server counted no NLM LOCK call (ferry_nlm_calls_total{proc=\"LOCK\"} is '${n:-absent}')"
	fi
	# What the server counted (printed, not asserted: the names are the
	# server's own): its NLM and NSM metrics, its NFSv3 calls.
	{
		grep -E '^ferry_(nlm|nsm)' "$tmp/metrics" | grep -v ' 0$' | head -30
		grep -E '^ferry_nfs3_calls_total' "$tmp/metrics" | grep -v ' 0$'
	} | sed 's/^/  server metric: /'
fi
# The smoke workload wrote on the locking mount (FERRY_E2E_V3_SMOKE=0: no).
[ "$smoke" = 1 ] && stats_ok nlm-proof $lockmnt

# --- the server killed and started again under a held lock -------------------------
if [ "$restart" = 1 ]; then
	step=restart
	name=reclaim.$$
	f=$lockmnt/$name
	: >"$f" || fail $step "cannot create $f"
	# Held until told to let go, below.
	if ! hold_until "$tmp/held" "$tmp/release" "$f"; then
		fail $step "the guest process never got its lock: $(cat "$tmp/a.out")"
	elif ! host_request restart restart "$name"; then
		fail $step "the server was not restarted: $(cat "$tmp/restart")"
	else
		sed 's/^/  host: /' "$tmp/restart"
		got=$(sed -n 's/^LOCK4 try: //p' "$tmp/restart")
		case $got in
		*NFS4ERR_GRACE*) pass $step "at once after the restart an NFSv4 client cannot take the file: $got" ;;
		*) fail $step "at once after the restart an NFSv4 client's attempt: '$got' (NFS4ERR_GRACE expected)" ;;
		esac
		# Until the grace period is over, NFSv4 attempts are refused with
		# NFS4ERR_GRACE; then the lock the guest reclaimed refuses them.
		t0=$(up)
		for i in $(seq 60); do
			host_request try lock4try "$name"
			got=$(sed -n 's/^LOCK4 try: //p' "$tmp/try")
			case $got in *NFS4ERR_GRACE*) sleep 1 ;; *) break ;; esac
		done
		el=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.0f", b - a }')
		case $got in
		"LOCK NFS4ERR_DENIED")
			pass $step "after the grace period (${el} s more) an NFSv4 client is refused the lock the guest reclaimed: $got" ;;
		*) fail $step "after the grace period (${el} s more) an NFSv4 client's attempt: '$got' (NFS4ERR_DENIED expected: the guest's lock reclaimed)" ;;
		esac
		if host_request metrics metrics; then
			n=$(awk '$1 == "ferry_nlm_locks" { print $2 }' "$tmp/metrics")
			[ "${n:-0}" -ge 1 ] 2>/dev/null && pass $step "the restarted server holds $n NLM lock(s)" ||
				fail $step "the restarted server holds no NLM lock (ferry_nlm_locks '${n:-absent}')"
		fi
		if echo after-restart >"$lockmnt/after-restart.$$" && [ "$(cat "$lockmnt/after-restart.$$")" = after-restart ]; then
			pass $step "the guest writes and reads back a file after the restart"
		else
			fail $step "the guest cannot write and read back a file after the restart"
		fi
		rm -f "$lockmnt/after-restart.$$"
	fi
	: >"$tmp/release"
	wait $a 2>/dev/null
	# The guest's process gone, its lock is given back: the host's client
	# gets the file.
	host_lock4_granted "$name" 20 && pass $step "once the guest process ended an NFSv4 client takes the lock" ||
		fail $step "after the guest process ended an NFSv4 client's attempt: '$got'"
	dmesg | grep -iE 'lockd|statd|nlm' | tail -5 | sed 's/^/  guest dmesg: /'
	rm -f "$f"
fi

# --- the guest reboots (as far as the server can tell) under a held lock ------------
# A real reboot would take the mount with it: what the server sees of one
# is the client's statd, started afresh, sending SM_NOTIFY with a new state
# number to every host it monitored.  sm-notify does that; -v has it send
# from the address the server monitors the guest by (the server's statd
# knows the sender by that address: the mon_name sm-notify sends is the
# name /etc/hosts gives it).
if [ "$client_reboot" = 1 ]; then
	step=client-reboot
	name=reboot.$$
	f=$lockmnt/$name
	: >"$f" || fail $step "cannot create $f"
	# The address the server knows the guest by (ferryctl nlm's ADDRESS):
	# the name its statd monitors the guest under.
	me="" hosts=0
	if hold_until "$tmp/held" "$tmp/release" "$f" && host_request nlm nlm; then
		me=$(awk 'h { print $2; exit } $1 == "HOST" { h = 1 }' "$tmp/nlm")
		hosts=$(awk 'NR == 1 { print $1 }' "$tmp/nlm")
		reboots0=$(sed -n 's/.* \([0-9]*\) reboots heard.*/\1/p' "$tmp/nlm")
	fi
	if [ ! -e "$tmp/held" ]; then
		fail $step "the guest process never got its lock: $(cat "$tmp/a.out")"
	elif [ -z "$me" ] || [ "$hosts" != 1 ]; then
		fail $step "the server should know the guest alone as an NLM host: $(cat "$tmp/nlm")"
	else
		host_request try lock4try "$name"
		got=$(sed -n 's/^LOCK4 try: //p' "$tmp/try")
		[ "$got" = "LOCK NFS4ERR_DENIED" ] &&
			pass $step "before the reboot an NFSv4 client is refused the guest's lock: $got" ||
			fail $step "before the reboot an NFSv4 client's attempt: '$got' (NFS4ERR_DENIED expected)"
		state0=$(od -An -tu4 /var/lib/nfs/state 2>/dev/null | tr -d ' ')
		killall rpc.statd 2>/dev/null
		for i in $(seq 50); do pidof rpc.statd >/dev/null || break; sleep 0.1; done
		t0=$(up)
		# sm-notify wants a name for the address it sends from, which no
		# resolver here gives; -d: in the foreground, its messages on
		# stderr, until every host it notifies has answered.
		grep -q "^$me " /etc/hosts 2>/dev/null || echo "$me v3-guest" >>/etc/hosts
		if ! timeout -s KILL 60 sm-notify -d -f -v "$me" >"$tmp/sm-notify" 2>&1; then
			fail $step "sm-notify -f -v $me failed: $(cat "$tmp/sm-notify")"
		else
			state1=$(od -An -tu4 /var/lib/nfs/state 2>/dev/null | tr -d ' ')
			info $step "sm-notify -f -v $me: the guest's NSM state $state0 -> $state1: $(tr '\n' ' ' <"$tmp/sm-notify")"
			host_lock4_granted "$name" 40
			rc=$?
			el=$(awk -v a="$t0" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }')
			[ $rc = 0 ] &&
				pass $step "after the guest's reboot notice (${el} s) an NFSv4 client takes the lock the guest held: the server dropped it" ||
				fail $step "${el} s after the guest's reboot notice an NFSv4 client's attempt: '$got' (NFS4_OK expected)"
			if host_request nlm nlm; then
				locks=$(sed -n '1s/^[0-9]* hosts, \([0-9]*\) locks.*/\1/p' "$tmp/nlm")
				reboots=$(sed -n 's/.* \([0-9]*\) reboots heard.*/\1/p' "$tmp/nlm")
				[ "${locks:-x}" = 0 ] && [ "${reboots:-0}" -gt "${reboots0:-0}" ] 2>/dev/null &&
					pass $step "the server holds no NLM lock after the guest's reboot notice, and counts it (reboots heard ${reboots0:-?} -> $reboots)" ||
					fail $step "after the guest's reboot notice the server says: $(head -1 "$tmp/nlm")"
			fi
		fi
		rpc.statd --no-notify || fail $step "rpc.statd did not start again"
	fi
	: >"$tmp/release"
	wait $a 2>/dev/null
	rm -f "$f"
fi

# --- cthon04 ---------------------------------------------------------------------------
# Its lock group waits for ever on a server whose lock manager does not
# answer: it runs when a lock can be taken and given back within 30 s.
if [ -f "$files/cthon04.tar" ]; then
	groups="basic special lock"
	if ! timeout -s KILL 30 "$lock_tool" --nonblock "$lockmnt/cthon04-probe.$$" >"$tmp/probe" 2>&1; then
		groups="basic special"
		echo "E2E FAIL cthon04-lock vers=3: not run: a lock on the mount was not granted within 30 s ($(cat "$tmp/probe"))"
		failed=1
	fi
	rm -f "$lockmnt/cthon04-probe.$$"
	(cd $lockmnt && CTHON04_GROUPS=$groups KCLIENT_MNT=$lockmnt KCLIENT_VERS=3 \
		bash "$files/cthon04.sh") || failed=1
fi

cd /
umount $lockmnt || fail umount "cannot unmount $lockmnt"
rm -rf "$tmp"
exit $failed
