#!/bin/bash
# In-place upgrades under a writing client, run in the kclient guest by
# tests/e2e/kclient.sh (FERRY_E2E_ONLY=upgrade).  The client writes 64-byte
# records with fsync (acked_writes.sh, shipped beside it by kclient
# --file) and asks the host, by creating upgrade.request in KCLIENT_OUTDIR,
# for `ferryctl upgrade` N times, alternating two ferryd binaries; the
# host writes upgrade.result (upgrades=N failed=M) and removes the
# request.  Afterwards every acknowledged record must be in the file, no
# write may have failed and the longest stall between two acknowledged
# writes must stay under max_stall; the op counts of the client's mount
# show whether it had to reclaim (CLAIM_PREVIOUS opens, reclaiming LOCKs
# are not told apart in mountstats: OPEN_CONFIRM, RECLAIM_COMPLETE) or to
# make a new client or session (EXCHANGE_ID, CREATE_SESSION, SETCLIENTID).
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
lib=${KCLIENT_FILES:-/kcrun/files}/acked_writes.sh
[ -r "$lib" ] || fail "$lib not shipped (kclient --file)"
. "$lib"
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
acked=/tmp/upgrade.acked stop=/tmp/upgrade.stop log=/tmp/upgrade.writer
: >"$acked"
rm -f "$stop"
aw_writer "$dir/data" "$acked" "$stop" "$label" >"$log" &
wpid=$!
sleep "$gap"
setups0=$(setup_ops) reclaims0=$(reclaim_ops)
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
sleep 1
touch "$stop"
wait "$wpid"
n=$(wc -l <"$acked")
[ "$n" -gt "$before" ] || fail "no write acknowledged during the upgrades ($before before)"
stall=$(aw_stall "$acked")
lost=$(aw_lost "$dir/data" "$n")
errors=$(grep -c 'failed; again' "$log")
new_sessions=$(($(setup_ops) - setups0))
reclaims=$(($(reclaim_ops) - reclaims0))
done_n=$(sed -n 's/.*upgrades=\([0-9]*\).*/\1/p' "$result" 2>/dev/null)
failed_n=$(sed -n 's/.*failed=\([0-9]*\).*/\1/p' "$result" 2>/dev/null)
echo "E2E INFO $label: upgrades: ${done_n:-?}, io errors: $errors, acked lost: $lost, reclaims: $reclaims, new sessions: $new_sessions, longest stall: $(aw_secs "$stall") s ($n writes, $before before the first; vers=${KCLIENT_VERS:-?})"
[ "${done_n:-0}" = "$upgrades" ] && [ "${failed_n:-1}" = 0 ] ||
	fail "the host did ${done_n:-?} of $upgrades upgrades, ${failed_n:-?} failed"
[ "$errors" = 0 ] || fail "$errors writes failed"
[ "$lost" = 0 ] || fail "$lost acknowledged records lost"
[ "$reclaims" = 0 ] || fail "the client reclaimed ($reclaims reclaiming ops)"
[ "$new_sessions" = 0 ] || fail "the client set up $new_sessions new clients or sessions"
awk -v s="$stall" -v m="$max_stall" 'BEGIN { exit !(s / 100 <= m) }' ||
	fail "the longest stall, $(aw_secs "$stall") s, is over $max_stall s"
echo "E2E PASS $label: $upgrades upgrades under fsync'd writes, nothing lost, no stall over $max_stall s"
