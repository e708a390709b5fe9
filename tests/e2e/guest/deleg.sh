#!/bin/bash
# Kernel-client delegation test, run in the kclient guest (cwd = the NFS
# mount) once per NFS version.  It reads the mount's per-op counters in
# /proc/self/mountstats before and after each step:
#
#  opens     one file, created on the server host, opened and read N
#            times: with a delegation the client opens it locally, so
#            OPEN + OPEN_NOATTR (a repeat open by file handle) must grow by
#            less than N/10.
#  recall-read   the guest has that file cached (under the delegation a
#            read-only open got); a second client on the server host
#            (tests/e2e/host_helper.sh running tests/e2e/nfs4_conflict_client)
#            opens it for read and write: it must see the guest's data and
#            append its own; the guest must then read the second client's
#            data (a recalled delegation, not a stale cache) and its
#            counters show a DELEGRETURN.  When the guest kernel has the
#            nfs4 trace events, the client must also have taken a CB_RECALL
#            (a client told its callback path is down returns delegations
#            unasked), and each step prints the client's delegation events.
#  recall-write  the same with a file the guest wrote and closed, so holds
#            under the write delegation its creating open got (the Linux client writes the data back
#            at close but keeps the delegation and its cache).
#  recall-open   the guest holds the file open for writing, its data only in
#            its page cache (writeback off), when the second client opens
#            it.  Asserted: the recall (DELEGRETURN) and the second client's
#            OPEN.  Only reported: whether the second client read the
#            guest's data and what the guest reads afterwards: the Linux
#            6.1 client returns a recalled write delegation without writing
#            back a file it still has open (its open stateid covers the
#            data), and after the close it keeps its own cached pages.
#  recall-local  (argument local=1) recall-write against a plain process on
#            the server host reading and appending in the exported
#            directory: a kernel lease on the delegated file must hold it
#            back until the guest has returned the delegation.
#
# With writes=0 (an export that grants no write delegations: a ceph
# export) recall-write and recall-open are left out, and recall-local is
# made on a file the guest holds a read delegation on (read-only opens of
# a file made on the host side): the process beside ferryd (on a ceph
# export, a CephFS client of its own) reads it and appends, the append
# waits for the recall, and the guest then reads the appended data.
#
# Arguments: opens=N (default 200), local=0|1 (default 0; kclient.sh
# passes 1), writes=0|1 (default 1).  Needs
# KCLIENT_OUTDIR (kclient --outdir) shared with host_helper.sh.  Prints
# "E2E PASS|FAIL|INFO deleg-<step> vers=<v>: ..." lines; exits 1 if any
# check failed.
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.1}
out=${KCLIENT_OUTDIR:-}
opens=200
local_conflict=0
writes=1
for a in "$@"; do
	case $a in
	opens=*) opens=${a#opens=} ;;
	local=*) local_conflict=${a#local=} ;;
	writes=*) writes=${a#writes=} ;;
	*) echo "E2E FAIL deleg vers=$v: unknown argument '$a'"; exit 2 ;;
	esac
done
case $v in 4.0) minor=0 ;; *) minor=1 ;; esac
failed=0
pass() { echo "E2E PASS deleg-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL deleg-$1 vers=$v: $2"; failed=1; }
info() { echo "E2E INFO deleg-$1 vers=$v: $2"; }

cd "$mnt" || { echo "E2E FAIL deleg vers=$v: cannot cd to $mnt"; exit 1; }
tmp=$(mktemp -d /tmp/deleg.XXXXXX) || exit 1

# The request count of an op in this mount's per-op statistics (the first
# number after "OP:"); 0 when the kernel does not list it.
opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
ops=(OPEN OPEN_NOATTR CLOSE DELEGRETURN WRITE)
declare -A before after delta
snap_before() { local o; for o in "${ops[@]}"; do before[$o]=$(opcount "$o"); done; }
snap_after() {
	local o
	for o in "${ops[@]}"; do
		after[$o]=$(opcount "$o")
		delta[$o]=$((after[$o] - before[$o]))
	done
}
figures() { local o s=""; for o in "${ops[@]}"; do s="$s $o +${delta[$o]}"; done; echo "${s# }"; }

# The client's own account of its delegations, from its trace events when
# the guest kernel has them: each step lists the delegations it was given
# (with their mode), the recalls it got and its DELEGRETURNs.
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
tracing=0
if [ -d "$tr/events/nfs4/nfs4_set_delegation" ]; then
	for e in nfs4_set_delegation nfs4_cb_recall nfs4_delegreturn_exit; do
		echo 1 >"$tr/events/nfs4/$e/enable" 2>/dev/null
	done
	echo >"$tr/trace"
	tracing=1
fi
deleg_trace() { # step: what the client traced since the last call
	[ $tracing = 1 ] || return 0
	local t
	t=$(grep -v '^#' "$tr/trace" | awk '{
		ev = ""; what = ""
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^nfs4_.*:$/) ev = substr($i, 1, length($i) - 1)
			if ($i ~ /^(fmode|error)=/) what = $i
		}
		if (ev != "") printf "%s%s %s", n++ ? ", " : "", ev, what
	}')
	echo >"$tr/trace"
	last_trace=$t
	info "$1" "client trace: ${t:-nothing}"
}
last_trace=""

# Waits up to $2 seconds for file $1 to appear.
await() {
	local i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

# host_request TAG KIND FILE EXPECT APPEND READ: hands a request to
# host_helper.sh and waits for it; its exit status is the request's.
host_request() {
	local tag=$1-$v
	if [ -z "$out" ] || [ ! -d "$out" ]; then
		echo "no shared directory (kclient --outdir) for the host side" >"$tmp/why"
		return 1
	fi
	rm -f "$out/$tag".*
	printf 'kind=%s\nminor=%s\nname=%s\nexpect=%s\nappend=%s\nread=%s\n' \
		"$2" "$minor" "$3" "$4" "$5" "$6" >"$out/$tag.tmp" &&
		mv "$out/$tag.tmp" "$out/$tag.ready"
	if ! await "$out/$tag.done" 120; then
		echo "the host side never answered (is host_helper.sh running beside ferryd?)" >"$tmp/why"
		return 1
	fi
	return "$(cat "$out/$tag.done")"
}

# conflict STEP FILE EXPECT APPEND KIND [READ]: asks host_helper.sh for a
# second client of kind KIND on FILE (in the export root), which must read
# EXPECT (READ=report: only reports what it read) and appends APPEND (each
# plus a newline); reports what it printed.
conflict() {
	local step=$1 read=${6:-check} rc=0 line
	host_request "$step" "$5" "$2" "$3" "$4" "$read" || rc=$?
	if [ -e "$out/$step-$v.result" ]; then
		while IFS= read -r line; do
			case $line in CONFLICT*) info "$step" "host: $line" ;; esac
		done <"$out/$step-$v.result"
	fi
	if [ $rc -eq 0 ]; then
		if [ "$read" = report ]; then
			pass "$step" "the second client opened, wrote and closed the file"
		else
			pass "$step" "the second client saw the guest's data"
		fi
	elif [ ! -e "$out/$step-$v.done" ]; then
		fail "$step" "$(cat "$tmp/why")"
	else
		fail "$step" "the second client failed (exit $rc): see the host lines above"
	fi
}

# What the file must hold after a conflict step, as the guest reads it.
check_content() { # step file want
	local got
	got=$(cat "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		pass "$1" "the guest reads the second client's data"
	else
		fail "$1" "the guest read '$got', want '$3'"
	fi
}

check_delegreturn() { # step
	deleg_trace "$1"
	if [ "${delta[DELEGRETURN]}" -lt 1 ]; then
		fail "$1" "no DELEGRETURN: no delegation was recalled ($(figures))"
	elif [ $tracing = 1 ] && [[ $last_trace != *nfs4_cb_recall* ]]; then
		# A client also returns its delegations when told its callback
		# path is down (a RENEW or SEQUENCE answer): not a recall.
		fail "$1" "DELEGRETURN sent, but the client took no CB_RECALL ($(figures))"
	else
		pass "$1" "DELEGRETURN sent ($(figures))"
	fi
}

base=ferry-deleg.$v
rm -f "$base".*

# --- opens ---------------------------------------------------------------------
f=$base.opens
content="read me, vers $v"
# Created on the server host: had the guest created it, its creating open
# could have brought a write delegation; so the recall after the opens is
# of what a read-only open gets.
host_request create-opens create "$f" "$content" "" check ||
	{ fail opens "the host side could not create $f: $(cat "$tmp/why" "$out/create-opens-$v.result" 2>/dev/null)"; exit 1; }
snap_before
bad=0
for ((i = 0; i < opens; i++)); do
	# exec opens the file in this shell: one open(2) and close(2) per turn,
	# no process start (slow under emulation).
	exec 3<"$f" || { bad=1; break; }
	IFS= read -r -u 3 line
	exec 3<&-
	[ "$line" = "$content" ] || { bad=1; break; }
done
snap_after
[ $bad -eq 0 ] || fail opens "open/read $i of $f failed or read '$line'"
nopen=$((delta[OPEN] + delta[OPEN_NOATTR]))
info opens "$opens opens of one file: $(figures)"
deleg_trace opens
if [ $((nopen * 10)) -lt "$opens" ]; then
	pass opens "$opens opens cost $nopen OPEN/OPEN_NOATTR (< $((opens / 10)))"
else
	fail opens "$opens opens cost $nopen OPEN/OPEN_NOATTR, want < $((opens / 10)): no delegation"
fi

# --- recall-read: the file above, cached by the guest ----------------------------
snap_before
conflict recall-read "$f" "$content" "second client, vers $v" client
check_content recall-read "$f" "$content"$'\n'"second client, vers $v"
snap_after
check_delegreturn recall-read

# --- recall-write: a file written and closed under a write delegation -----------
# The client writes the data back at close but keeps the delegation; the
# figures wait for that WRITE, so the second client's READ does not race
# it.  What the step shows is the recall and the guest's cache after it.
await_write() { # count before: true once WRITE grew (within 10 s)
	local i=0
	while [ "$(opcount WRITE)" -le "$1" ]; do
		i=$((i + 1))
		[ $i -gt 100 ] && return 1
		sleep 0.1
	done
}

closed_step() { # step kind
	local step=$1 kind=$2 w=$base.$1 data="written by the guest, vers $v"
	local other="appended by the second client ($2), vers $v"
	snap_before
	printf '%s\n' "$data" >"$w" || { fail "$step" "cannot write $w"; return 1; }
	await_write "${before[WRITE]}" || info "$step" "no WRITE within 10 s of the close"
	[ "$(cat "$w")" = "$data" ] || fail "$step" "the guest cannot read back $w"
	conflict "$step" "$w" "$data" "$other" "$kind"
	check_content "$step" "$w" "$data"$'\n'"$other"
	snap_after
	check_delegreturn "$step"
}
[ "$writes" = 1 ] && closed_step recall-write client

# --- recall-open: dirty data of a file the guest holds open ----------------------------
# Writeback off, so the data stays in the page cache until something makes
# the client write it.
wb=$(cat /proc/sys/vm/dirty_writeback_centisecs)
ex=$(cat /proc/sys/vm/dirty_expire_centisecs)
echo 0 >/proc/sys/vm/dirty_writeback_centisecs
echo 360000 >/proc/sys/vm/dirty_expire_centisecs

# The writer holds the file open in a process of its own: close(2) of any
# descriptor of an NFS file flushes (starts writeback of) its dirty data,
# and a child closes the descriptors it inherits, so in this shell every
# $(...) or external command would flush it.  The writer runs builtins
# only, and the file is its stdout from a permanent exec: a builtin's own
# redirection of a descriptor dups and later closes it, so nothing but
# fd 0 and fd 2 is redirected until the "go" from the FIFO.
open_step() { # step
	local step=$1 w=$base.$1 data="written by the guest, vers $v"
	local other="appended by the second client, vers $v" writer w0 w1 got
	snap_before
	rm -f "$tmp/written" "$tmp/go"
	mkfifo "$tmp/go" || { fail "$step" "mkfifo"; return 1; }
	(
		exec >"$w" || exit 1
		printf '%s\n' "$data" || exit 1
		: 2>"$tmp/written"
		IFS= read -r _ <"$tmp/go"
		exec >&-
	) &
	writer=$!
	if ! await "$tmp/written" 30; then
		fail "$step" "the writer could not create and write $w"
		kill "$writer" 2>/dev/null
		return 1
	fi
	w0=$(opcount WRITE)
	conflict "$step" "$w" "$data" "$other" client report
	w1=$(opcount WRITE)
	info "$step" "WRITEs by the guest before the second client: $((w0 - before[WRITE])), while it ran: $((w1 - w0))"
	# Read-write: opening never blocks, even if the writer is gone.
	exec 5<>"$tmp/go" && echo go >&5 && exec 5>&-
	wait "$writer" || fail "$step" "the writer failed"
	got=$(cat "$w" 2>&1)
	info "$step" "after its close the guest reads '$got'"
	snap_after
	check_delegreturn "$step"
}
[ "$writes" = 1 ] && open_step recall-open
echo "$wb" >/proc/sys/vm/dirty_writeback_centisecs
echo "$ex" >/proc/sys/vm/dirty_expire_centisecs

# --- recall-local on a read delegation (writes=0) --------------------------------
read_local_step() { # step
	local step=$1 r=$base.$1 data="made beside ferryd, vers $v" line
	local other="appended beside ferryd, vers $v"
	host_request "create-$step" create "$r" "$data" "" check ||
		{ fail "$step" "the host side could not create $r: $(cat "$tmp/why" 2>/dev/null)"; return 1; }
	# Read-only opens: the first brings a read delegation, the others use it.
	for i in 1 2 3; do
		exec 3<"$r" && IFS= read -r -u 3 line && exec 3<&-
	done
	[ "$line" = "$data" ] || { fail "$step" "the guest read '$line' from $r"; return 1; }
	snap_before
	conflict "$step" "$r" "$data" "$other" local
	check_content "$step" "$r" "$data"$'\n'"$other"
	snap_after
	check_delegreturn "$step"
}
if [ "$local_conflict" = 1 ]; then
	if [ "$writes" = 1 ]; then
		closed_step recall-local local
	else
		read_local_step recall-local
	fi
fi

rm -f "$base".*
rm -rf "$tmp"
exit $failed
