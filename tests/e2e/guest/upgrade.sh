#!/bin/bash
# In-place upgrades under an NFSv4 client that writes, holds a lock and
# holds a file open for reading under a read delegation, run in the kclient
# guest by tests/e2e/kclient.sh (FERRY_E2E_ONLY=upgrade).  Process A holds
# a write lock (lock_tool, shipped by kclient --file); the client writes
# 64-byte records with fsync (acked_writes.sh) and asks the host, by
# creating upgrade.request in KCLIENT_OUTDIR, for `ferryctl upgrade` N
# times, alternating two ferryd binaries; the host writes upgrade.result
# (upgrades=N failed=M) and removes the request.  Afterwards every
# acknowledged record must be in the file, no write may have failed, the
# longest stall between two acknowledged writes must stay under
# max_stall, A's lock must still be held (B's try is refused by the
# server) and B's lock on another file must come at once (no grace
# period); the op counts of the client's mount show whether it had to
# reclaim (CLAIM_PREVIOUS opens, reclaiming LOCKs are not told apart in
# mountstats: OPEN_CONFIRM, RECLAIM_COMPLETE) or to make a new client or
# session (EXCHANGE_ID, CREATE_SESSION, SETCLIENTID), and whether it gave
# a delegation back (DELEGRETURN): the delegations go over with each
# upgrade, so none may be, and the host's count of delegations ferryd
# holds (upgrade.result's delegations_min, the fewest seen before each
# upgrade and after the last) must not drop to 0.
#
# Arguments (all optional):
#   upgrades=N   how many (default 10)
#   gap=S        seconds of writing before the first (default 3)
#   max_stall=S  fail when the longest stall exceeds S seconds (default 0.5)
#   label=NAME   the name in the messages (default upgrade)
# Prints "E2E INFO NAME: upgrades: N, io errors: N, acked lost: N,
# reclaims: N, new sessions: N, longest stall: S s" and E2E PASS|FAIL.
set -uo pipefail
upgrades=10 gap=3 max_stall=0.5 label=upgrade
for a in "$@"; do
	case $a in
	upgrades=*) upgrades=${a#upgrades=} ;;
	gap=*) gap=${a#gap=} ;;
	max_stall=*) max_stall=${a#max_stall=} ;;
	label=*) label=${a#label=} ;;
	*) echo "E2E FAIL upgrade: unknown argument $a"; exit 1 ;;
	esac
done
fail() { echo "E2E FAIL $label: $*"; exit 1; }
[ -d "${KCLIENT_OUTDIR:-}" ] || fail "no KCLIENT_OUTDIR (kclient --outdir)"
files=${KCLIENT_FILES:-/kcrun/files}
for f in acked_writes.sh lock_tool; do
	[ -e "$files/$f" ] || fail "$files/$f not shipped (kclient --file)"
done
. "$files/acked_writes.sh"
lock_tool=$files/lock_tool
tmp=$(mktemp -d /tmp/upgrade.XXXXXX) || exit 1
mnt=${KCLIENT_MNT:-$PWD}
request=$KCLIENT_OUTDIR/upgrade.request result=$KCLIENT_OUTDIR/upgrade.result
rm -f "$request" "$result"

# An op's count on the mount (mountstats), 0 when it has no line.
op_count() {
	awk -v mnt="$mnt" -v op="$1:" '$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { print $2; found = 1; exit } END { if (!found) print 0 }' \
		/proc/self/mountstats
}
setup_ops() {
	local n=0 op
	for op in EXCHANGE_ID CREATE_SESSION SETCLIENTID; do n=$((n + $(op_count $op))); done
	echo $n
}
reclaim_ops() {
	local n=0 op
	for op in OPEN_CONFIRM RECLAIM_COMPLETE; do n=$((n + $(op_count $op))); done
	echo $n
}

dir=$mnt/ferry-upgrade
mkdir -p "$dir" || fail "mkdir $dir"
rm -f "$dir/data"
: >"$dir/locked" && : >"$dir/other" && echo held >"$dir/held" ||
	fail "cannot create the lock and read files"

# A holds a write lock on locked until release (the whole run at most).
marker=$tmp/locked release=$tmp/release
timeout -s KILL 200 "$lock_tool" --hold 180 --until "$release" --marker "$marker" "$dir/locked" \
	>"$tmp/a.out" 2>&1 &
apid=$!
for _ in $(seq 300); do [ -e "$marker" ] && break; sleep 0.1; done
[ -e "$marker" ] || fail "A did not get its lock: $(cat "$tmp/a.out")"
# A file open for reading through the upgrades: the client holds a read
# delegation on it, once its callback path is up (opened again after the
# gap below for that).
exec 8<"$dir/held"
read -r _ <&8 || fail "cannot read $dir/held"

acked=/tmp/upgrade.acked stop=/tmp/upgrade.stop log=/tmp/upgrade.writer
: >"$acked"
rm -f "$stop"
aw_writer "$dir/data" "$acked" "$stop" "$label" >"$log" &
wpid=$!
sleep "$gap"
exec 8<&- 8<"$dir/held"
read -r _ <&8 || fail "cannot read $dir/held again"
setups0=$(setup_ops) reclaims0=$(reclaim_ops) returns0=$(op_count DELEGRETURN)
before=$(wc -l <"$acked")
echo "$upgrades" >"$request"
t=0
while [ -e "$request" ]; do
	t=$((t + 1))
	if [ $t -gt 600 ]; then
		touch "$stop"; wait "$wpid"
		fail "the host did not finish the upgrades within 120 s"
	fi
	sleep 0.2
done
# At once: A's lock is still the server's, and a new lock comes without
# a grace period's refusals.
b_locked=0 b_other=0
timeout -s KILL 30 "$lock_tool" --nonblock "$dir/locked" >"$tmp/b1" 2>&1 || b_locked=$?
t0=$(aw_now)
timeout -s KILL 30 "$lock_tool" --nonblock "$dir/other" >"$tmp/b2" 2>&1 || b_other=$?
b_other_s=$(aw_secs $(($(aw_now) - t0)))
sleep 1
touch "$stop"
wait "$wpid"
kill -0 "$apid" 2>/dev/null || fail "A ended before its release: $(cat "$tmp/a.out")"
touch "$release"
wait "$apid"
a_rc=$?
read_back=$(cat "$dir/held" 2>&1)
exec 8<&-
returns=$(($(op_count DELEGRETURN) - returns0))
n=$(wc -l <"$acked")
[ "$n" -gt "$before" ] || fail "no write acknowledged during the upgrades ($before before)"
stall=$(aw_stall "$acked")
lost=$(aw_lost "$dir/data" "$n")
errors=$(grep -c 'failed; again' "$log")
new_sessions=$(($(setup_ops) - setups0))
reclaims=$(($(reclaim_ops) - reclaims0))
done_n=$(sed -n 's/.*upgrades=\([0-9]*\).*/\1/p' "$result" 2>/dev/null)
failed_n=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$result" 2>/dev/null)
held_min=$(sed -n 's/.*delegations_min=\([0-9]*\).*/\1/p' "$result" 2>/dev/null)
echo "E2E INFO $label: upgrades: ${done_n:-?}, io errors: $errors, acked lost: $lost, reclaims: $reclaims, new sessions: $new_sessions, longest stall: $(aw_secs "$stall") s ($n writes, $before before the first; vers=${KCLIENT_VERS:-?}; A's lock kept: $([ $b_locked != 0 ] && echo yes || echo no); delegations given back: $returns, fewest held by ferryd: ${held_min:-?})"
[ "${done_n:-0}" = "$upgrades" ] && [ "${failed_n:-1}" = 0 ] ||
	fail "the host did ${done_n:-?} of $upgrades upgrades, ${failed_n:-?} failed"
[ "$errors" = 0 ] || fail "$errors writes failed"
[ "$lost" = 0 ] || fail "$lost acknowledged records lost"
[ "$b_locked" != 0 ] || fail "B got the lock A holds: the upgrade lost it ($(cat "$tmp/b1"))"
[ "$b_other" = 0 ] || fail "B's lock on another file was refused: $(cat "$tmp/b2")"
awk -v s="$b_other_s" 'BEGIN { exit !(s < 2) }' ||
	fail "B's lock on another file took $b_other_s s: a grace period began"
[ "$a_rc" = 0 ] || fail "A's lock tool ended with $a_rc: $(cat "$tmp/a.out")"
[ "$read_back" = held ] || fail "the file held open reads back as: $read_back"
[ "${held_min:-0}" -ge 1 ] ||
	fail "ferryd held no delegation before some upgrade (fewest: ${held_min:-?})"
[ "$returns" = 0 ] || fail "the client gave $returns delegation(s) back during the upgrades"
[ "$reclaims" = 0 ] || fail "the client reclaimed ($reclaims reclaiming ops)"
[ "$new_sessions" = 0 ] || fail "the client set up $new_sessions new clients or sessions"
awk -v s="$stall" -v m="$max_stall" 'BEGIN { exit !(s / 100 <= m) }' ||
	fail "the longest stall, $(aw_secs "$stall") s, is over $max_stall s"
echo "E2E PASS $label: $upgrades upgrades under fsync'd writes, a held lock and a delegated file held open: nothing lost, the lock and the delegation kept, no reclaim, no new session, no stall over $max_stall s"
