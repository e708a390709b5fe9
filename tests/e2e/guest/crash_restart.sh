#!/bin/bash
# Writes with fsync while ferryd is killed with SIGKILL and started again
# on the same state directory, run in the kclient guest (cwd = the NFS
# mount).  A writer appends 64-byte records, one per write, each written
# with conv=fsync, and notes each one acknowledged (with its time) on the
# guest's own disk (acked_writes.sh, shipped beside this script by kclient
# --file).  Meanwhile the script asks for a crash by creating
# crash.request in KCLIENT_OUTDIR (kclient --outdir, shared with the host);
# the watcher beside ferryd (tests/e2e/kclient.sh) kills ferryd with
# SIGKILL, removes the file and starts it again.  The client reclaims; once it has said RECLAIM_COMPLETE, ferryd
# ends its grace period early, so writes go on within seconds, not after
# grace_time.
#
# Arguments (all optional):
#   crashes=N     how many kills (default 3)
#   gap=SECONDS   of writing before each kill and after the last (default 5)
#   max_stall=S   fail when the longest time between two acknowledged
#                 writes exceeds S seconds (default 45, half the 90 s grace)
# Prints "E2E INFO crash ..." lines and "E2E PASS|FAIL crash ...".  It
# writes "crash.acked" in KCLIENT_OUTDIR, the number of writes acknowledged
# (records 0..N-1): the host checks the exported file itself.
set -uo pipefail
crashes=3 gap=5 max_stall=45
for a in "$@"; do
	case $a in
	crashes=*) crashes=${a#crashes=} ;;
	gap=*) gap=${a#gap=} ;;
	max_stall=*) max_stall=${a#max_stall=} ;;
	*) echo "E2E FAIL crash: unknown argument $a"; exit 1 ;;
	esac
done
[ -d "${KCLIENT_OUTDIR:-}" ] || { echo "E2E FAIL crash: no KCLIENT_OUTDIR (kclient --outdir)"; exit 1; }
lib=${KCLIENT_FILES:-/kcrun/files}/acked_writes.sh
[ -r "$lib" ] || { echo "E2E FAIL crash: $lib not shipped (kclient --file)"; exit 1; }
. "$lib"
request=$KCLIENT_OUTDIR/crash.request
cd "${KCLIENT_MNT:-.}" || exit 1
dir=ferry-crash
mkdir -p "$dir" && rm -f "$dir/data" "$request" || exit 1
acked=/tmp/crash.acked stop=/tmp/crash.stop
: >"$acked"
rm -f "$stop"

aw_writer "$dir/data" "$acked" "$stop" crash &
wpid=$!
sleep "$gap"
for r in $(seq 1 "$crashes"); do
	before=$(wc -l <"$acked")
	touch "$request"
	t=0
	while [ -e "$request" ]; do
		t=$((t + 1))
		if [ $t -gt 120 ]; then
			echo "E2E FAIL crash: ferryd was not killed within 120 s"
			touch "$stop"; wait "$wpid"; exit 1
		fi
		sleep 1
	done
	echo "E2E INFO crash: kill $r done after $before writes"
	sleep "$gap"
done
touch "$stop"
wait "$wpid"

n=$(wc -l <"$acked")
# The longest time between two acknowledged writes, in hundredths.
stall=$(aw_stall "$acked")
stall_s=$(aw_secs "$stall")
echo "E2E INFO crash: $n writes acknowledged over $crashes kills, longest stall ${stall_s} s"
echo "$n" >"$KCLIENT_OUTDIR/crash.acked"

# Every acknowledged record, read back past the page cache.
lost=$(aw_lost "$dir/data" "$n")
if [ "$lost" != 0 ]; then
	echo "E2E FAIL crash: $lost acknowledged writes are missing from the file"
	exit 1
fi
if [ "$n" -lt $((crashes + 1)) ]; then
	echo "E2E FAIL crash: only $n writes acknowledged"
	exit 1
fi
if [ "$stall" -gt $((max_stall * 100)) ]; then
	echo "E2E FAIL crash: writes stalled ${stall_s} s (more than $max_stall s)"
	exit 1
fi
echo "E2E PASS crash: $n writes, longest stall ${stall_s} s, $crashes kills"
