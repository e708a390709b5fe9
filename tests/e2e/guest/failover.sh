#!/bin/bash
# Fail-over under a writing client, run in the kclient guest by
# tests/e2e/kclient.sh (FERRY_E2E_ONLY=failover).  Two heads serve one
# CephFS: head b at the address kclient mounted (cwd = that mount), head a
# at a service address of its own (addr=) on a subnet the host routes.  The
# script mounts head a's address itself and writes 64-byte records with
# fsync through it (acked_writes.sh, shipped beside it by kclient --file),
# then asks the host for a fail-over by creating failover.request in
# KCLIENT_OUTDIR: the host kills head a with SIGKILL, moves its address to
# head b's host and has the survivor take node a over (Ferry: ferryctl
# cluster takeover; NFS-Ganesha: a new instance with node id a), then
# removes the request.  The writes go on through the same mount; afterwards
# every acknowledged record must be in the file.
#
# The mount of head a's address is made under a host name of its own
# (kclient-guest-a), so the client meets the survivor with the client
# owner head a knew, not the one its mount of head b already uses there.
#
# Arguments (all optional):
#   addr=A        head a's service address (default 192.168.78.1)
#   gap=S         seconds of writing before the fail-over (default 10)
#   window=S      writing goes on until S seconds after the request
#                 (default 100: past a 90 s grace period)
#   after=S       and at least S seconds once the writes went on (default 10)
#   resume=S      how long the writes may take to go on after the
#                 fail-over, or to end at the end (default 300)
#   max_stall=S   fail when the longest time between two acknowledged
#                 writes exceeds S seconds (default 45; 0: report only)
#   label=NAME    the name in the messages (default failover)
# Prints "E2E INFO NAME: ... longest stall: S s, lost: N" and
# "E2E PASS|FAIL NAME ...", and writes failover.result in KCLIENT_OUTDIR
# (acked=N stall=S stalled=S lost=N resumed=0|1; stalled: the time in
# stalls over 1 s).
set -uo pipefail
addr=192.168.78.1 gap=10 after=10 window=100 resume=300 max_stall=45 label=failover
for a in "$@"; do
	case $a in
	addr=*) addr=${a#addr=} ;;
	gap=*) gap=${a#gap=} ;;
	after=*) after=${a#after=} ;;
	window=*) window=${a#window=} ;;
	resume=*) resume=${a#resume=} ;;
	max_stall=*) max_stall=${a#max_stall=} ;;
	label=*) label=${a#label=} ;;
	*) echo "E2E FAIL failover: unknown argument $a"; exit 1 ;;
	esac
done
fail() { echo "E2E FAIL $label: $*"; exit 1; }
[ -d "${KCLIENT_OUTDIR:-}" ] || fail "no KCLIENT_OUTDIR (kclient --outdir)"
lib=${KCLIENT_FILES:-/kcrun/files}/acked_writes.sh
[ -r "$lib" ] || fail "$lib not shipped (kclient --file)"
. "$lib"
request=$KCLIENT_OUTDIR/failover.request
rm -f "$request" "$KCLIENT_OUTDIR/failover.result" "$KCLIENT_OUTDIR/failover.report"
[ -s "$KCLIENT_OUTDIR/failover.error" ] &&
	fail "the host side broke: $(cat "$KCLIENT_OUTDIR/failover.error")"
via_b=${KCLIENT_MNT:-$PWD}
mnt=/mnt/head-a

# Head a's address is reached through the host's end of the link.
ip route add "$addr/32" via "$KCLIENT_SERVER" dev eth0 || fail "cannot route to $addr"
hostname "$(hostname)-a"
mkdir -p "$mnt"
opts=${KCLIENT_MOUNT_OPTS:-vers=4.1,proto=tcp}
mounted=0
for _ in $(seq 1 30); do
	if [ -x /sbin/mount.nfs ]; then
		/sbin/mount.nfs "$addr:${KCLIENT_EXPORT:-/}" "$mnt" -o "$opts" && mounted=1
	else
		guest_ip=$(ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4; exit }')
		mount -t nfs4 -o "$opts,addr=$addr,clientaddr=$guest_ip" \
			"$addr:${KCLIENT_EXPORT:-/}" "$mnt" && mounted=1
	fi
	[ $mounted = 1 ] && break
	sleep 2
done
[ $mounted = 1 ] || fail "cannot mount $addr:${KCLIENT_EXPORT:-/}"
finish() { cd / && { umount "$mnt" 2>/dev/null || umount -f "$mnt" 2>/dev/null; }; }
trap finish EXIT
# Two servers for the client, not one reached by two addresses (which the
# client would take for the same server and send everything to one).
grep -q "$addr" /proc/fs/nfsfs/servers 2>/dev/null ||
	fail "the client shows no server at $addr: $(tr '\n' ';' </proc/fs/nfsfs/servers 2>/dev/null)"

# Both heads serve one file system: what one wrote the other reads.
dir=ferry-failover
mkdir -p "$via_b/$dir" || fail "mkdir through head b"
rm -f "$via_b/$dir/data"
echo "written through head b" >"$via_b/$dir/from-b" || fail "write through head b"
[ "$(cat "$mnt/$dir/from-b" 2>&1)" = "written through head b" ] ||
	fail "head a does not show what head b wrote: '$(cat "$mnt/$dir/from-b" 2>&1)'"
echo "written through head a" >"$mnt/$dir/from-a" || fail "write through head a"
[ "$(cat "$via_b/$dir/from-a" 2>&1)" = "written through head a" ] ||
	fail "head b does not show what head a wrote: '$(cat "$via_b/$dir/from-a" 2>&1)'"
echo "E2E INFO $label: heads a ($addr) and b ($KCLIENT_SERVER) serve one file system"

# Nothing but the writes waits on head a: not even a command looked up
# from a working directory on its mount (one a dead server would hang).
cd / || fail "cd /"
acked=/tmp/failover.acked stop=/tmp/failover.stop
: >"$acked"
rm -f "$stop"
aw_writer "$mnt/$dir/data" "$acked" "$stop" "$label" &
wpid=$!
sleep "$gap"
before=$(wc -l <"$acked")
asked=$(aw_now)
touch "$request"
t=0
while [ -e "$request" ]; do
	if [ -s "$KCLIENT_OUTDIR/failover.error" ]; then
		touch "$stop"; wait "$wpid"
		fail "the host side broke: $(cat "$KCLIENT_OUTDIR/failover.error")"
	fi
	t=$((t + 1))
	if [ $t -gt 120 ]; then
		touch "$stop"; wait "$wpid"
		fail "the host did not fail head a over within 120 s"
	fi
	sleep 1
done
done_at=$(aw_now)
echo "E2E INFO $label: fail-over done on the host after $before writes, $(aw_secs $((done_at - asked))) s after the request"

# stuck SINCE: the writer sits in a write that does not return (a hard
# mount retries for ever), and so would reading the file back: report the
# stall still under way and fail.
stuck() {
	n=$(wc -l <"$acked")
	last=$(awk 'END { print $2 + 0 }' "$acked")
	stall_s=$(aw_secs $(($(aw_now) - last)))
	echo "E2E INFO $label: $n writes acknowledged ($before before the fail-over), longest stall: more than ${stall_s} s, lost: unknown (no write acknowledged $1)"
	echo "acked=$n stall=$stall_s+ lost=unknown resumed=0" >"$KCLIENT_OUTDIR/failover.result"
	kill "$wpid" 2>/dev/null
	trap - EXIT
	fail "the writes did not go on after the fail-over"
}
# The writes must go on: one acknowledged after the host was done (one
# acknowledged between the request and the kill says nothing).
resumed=0
t=0
while [ $t -lt "$resume" ]; do
	if awk -v at="$done_at" '$2 > at { found = 1 } END { exit !found }' "$acked"; then
		resumed=1
		break
	fi
	sleep 1
	t=$((t + 1))
done
[ $resumed = 1 ] || stuck "within $resume s of the fail-over"
# Writing goes on until window seconds after the request (past a grace
# period under way), and at least after seconds once it went on.
left=$(((asked + window * 100 - $(aw_now)) / 100))
[ "$left" -lt "$after" ] && left=$after
sleep "$left"
touch "$stop"
# The writer ends after its current write, if that write ends.
t=0
while kill -0 "$wpid" 2>/dev/null; do
	[ $t -ge "$resume" ] && stuck "in the last $resume s"
	sleep 1
	t=$((t + 1))
done
wait "$wpid"

n=$(wc -l <"$acked")
stall=$(aw_stall "$acked")
stall_end=$(aw_stall_end "$acked")
stall_s=$(aw_secs "$stall")
stalled_s=$(aw_secs "$(aw_stalled "$acked" 100)")
lost=$(aw_lost "$mnt/$dir/data" "$n")
after_s=$(aw_secs $((stall_end - asked)))
echo "E2E INFO $label: $n writes acknowledged ($before before the fail-over), longest stall: ${stall_s} s, lost: $lost (the stall ended ${after_s} s after the request)"
echo "acked=$n stall=$stall_s stalled=$stalled_s lost=$lost resumed=1" >"$KCLIENT_OUTDIR/failover.result"
# Under a loaded host the longest stall may be another than the fail-over's
# (or the fail-over's come in pieces): their times tell.
echo "E2E INFO $label: longest stalls, in seconds from the request: $(aw_gaps "$acked" "$asked" 3); ${stalled_s} s in stalls over 1 s"
rates=$(awk -v at="$asked" -v end="$(tail -n 1 "$acked" | awk '{ print $2 }')" '
	$2 <= at { nb++; if (!fb) fb = $2; lb = $2 }
	$2 >= end - 1000 { na++; if (!fa) fa = $2; la = $2 }
	END {
		rb = lb > fb ? (nb - 1) * 100 / (lb - fb) : 0
		ra = la > fa ? (na - 1) * 100 / (la - fa) : 0
		printf "%.1f/s before the request, %.1f/s in the last 10 s", rb, ra
	}' "$acked")
echo "E2E INFO $label: acknowledged writes: $rates"
# The client's calls through head a's address (those that failed: /N!).
awk -v mnt="$mnt" '
	$1 == "device" { on = ($5 == mnt) }
	on && $1 ~ /^[A-Z_0-9]+:$/ && $2 > 0 {
		s = s " " substr($1, 1, length($1) - 1) "=" $2 ($10 > 0 ? "/" $10 "!" : "")
	}
	on && $1 == "xprt:" && $2 == "tcp" { x = " (connects " $5 ", " $6 " s in connecting)" }
	END { print "E2E OPS '"$label"':" s x }' /proc/self/mountstats
# The host notes what the survivor counted.
touch "$KCLIENT_OUTDIR/failover.report"
for _ in $(seq 1 20); do
	[ -e "$KCLIENT_OUTDIR/failover.report" ] || break
	sleep 0.5
done
# What head a's client wrote, through head b's own mount as well.
lost_b=$(aw_lost "$via_b/$dir/data" "$n")

[ "$before" -gt 0 ] || fail "no write acknowledged before the fail-over"
[ "$lost" = 0 ] || fail "$lost acknowledged writes are missing from the file"
[ "$lost_b" = 0 ] || fail "head b's mount misses $lost_b acknowledged writes"
if [ "$max_stall" -gt 0 ] && [ "$stall" -gt $((max_stall * 100)) ]; then
	fail "writes stalled ${stall_s} s (more than $max_stall s)"
fi
echo "E2E PASS $label: $n writes, longest stall: ${stall_s} s, lost: 0"
