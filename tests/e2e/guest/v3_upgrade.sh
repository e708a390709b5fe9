#!/bin/bash
# In-place upgrades under an NFSv3 client that writes and holds a lock, run
# in the kclient guest by tests/e2e/kclient.sh (FERRY_E2E_ONLY=upgrade)
# beside tests/e2e/v3_host.sh (rpcbind, rpc.statd and ferryd on the host
# side).  The guest starts its own rpcbind and rpc.statd
# (nlm_daemons.sh), mounts vers=3 with locking, has process A hold a
# write lock (lock_tool) and writes 64-byte records with fsync
# (acked_writes.sh) while the host upgrades ferryd N times, alternating
# two binaries (v3_host.sh kind=upgrade).  Afterwards: no write failed, no
# acknowledged record is lost, the longest stall between two acknowledged
# writes is under max_stall; A's lock is still held (B's try on it is
# refused) without A having done anything, B takes a lock on another file
# at once (no grace period began), and the server's statd was not asked
# to tell anyone to reclaim (ferryd is out of grace).  kclient's own
# mount (vers=3, nolock) is where the shared directory is found.
#
# Arguments: upgrades=N (default 10), max_stall=S (default 0.5),
# label=NAME (default upgrade-v3).
# Prints "E2E INFO NAME: upgrades: N, io errors: N, acked lost: N,
# reclaims: N, new sessions: 0, longest stall: S s" and E2E PASS|FAIL.
set -uo pipefail
upgrades=10 max_stall=0.5 label=upgrade-v3
for a in "$@"; do
	case $a in
	upgrades=*) upgrades=${a#upgrades=} ;;
	max_stall=*) max_stall=${a#max_stall=} ;;
	label=*) label=${a#label=} ;;
	*) echo "E2E FAIL upgrade-v3: unknown argument $a"; exit 1 ;;
	esac
done
fail() { echo "E2E FAIL $label: $*"; exit 1; }
files=${KCLIENT_FILES:-/kcrun/files}
out=${KCLIENT_OUTDIR:-}
[ -d "$out" ] || fail "no KCLIENT_OUTDIR (kclient --outdir)"
for f in acked_writes.sh nlm_daemons.sh lock_tool; do
	[ -e "$files/$f" ] || fail "$files/$f not shipped (kclient --file)"
done
. "$files/acked_writes.sh"
. "$files/nlm_daemons.sh"
lock_tool=$files/lock_tool
server=${KCLIENT_SERVER:?} port=${KCLIENT_PORT:-2049} export_path=${KCLIENT_EXPORT:-/export}
tmp=$(mktemp -d /tmp/v3u.XXXXXX) || exit 1
cd / || exit 1

host_request() { # TAG KIND NAME: the answer into $tmp/TAG, the request's status
	local tag=$1 i=0
	rm -f "$out/$tag".*
	printf 'kind=%s\nname=%s\nseconds=\n' "$2" "${3:-}" >"$out/$tag.tmp" &&
		mv "$out/$tag.tmp" "$out/$tag.ready"
	while [ ! -e "$out/$tag.done" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && { echo "no answer to $tag" >"$tmp/$tag"; return 1; }
		sleep 0.1
	done
	cp "$out/$tag.result" "$tmp/$tag"
	return "$(cat "$out/$tag.done")"
}

why=$(nlm_daemons_start) || fail "$why"
mnt=/mnt/v3lock
mkdir -p $mnt
mount -t nfs -o "vers=3,proto=tcp,port=$port,sec=sys" "$server:$export_path" $mnt >"$tmp/mount.err" 2>&1 ||
	fail "mount -o vers=3 (with locking): $(cat "$tmp/mount.err")"
finish() { cd / && umount $mnt 2>/dev/null; }
trap finish EXIT
dir=$mnt/ferry-upgrade-v3
mkdir -p "$dir" || fail "mkdir $dir"
rm -f "$dir/data"
: >"$dir/locked" && : >"$dir/other" || fail "cannot create the lock files"

# A holds a write lock on locked until release (the whole run at most).
marker=$tmp/held release=$tmp/release
timeout -s KILL 200 "$lock_tool" --hold 180 --until "$release" --marker "$marker" "$dir/locked" \
	>"$tmp/a.out" 2>&1 &
apid=$!
for _ in $(seq 300); do [ -e "$marker" ] && break; sleep 0.1; done
[ -e "$marker" ] || fail "A did not get its lock: $(cat "$tmp/a.out")"

acked=$tmp/acked stop=$tmp/stop log=$tmp/writer
: >"$acked"
aw_writer "$dir/data" "$acked" "$stop" "$label" >"$log" &
wpid=$!
sleep 3
before=$(wc -l <"$acked")
host_request upgrade upgrade "$upgrades"
rc=$?
sed "s/^/E2E INFO $label: host: /" "$tmp/upgrade"
# At once, before anything else reaches the server: A's lock is there,
# and a new lock comes without a grace period's refusals.
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
n=$(wc -l <"$acked")
stall=$(aw_stall "$acked")
lost=$(aw_lost "$dir/data" "$n")
errors=$(grep -c 'failed; again' "$log")
done_n=$(sed -n 's/^upgrades=\([0-9]*\) .*/\1/p' "$tmp/upgrade")
failed_n=$(sed -n 's/^upgrades=[0-9]* failed=\([0-9]*\).*/\1/p' "$tmp/upgrade")
# The server asks its statd to tell hosts to reclaim only when it starts
# a grace period: ferry_grace 0 says it did not.
grace=$(awk '$1 == "ferry_grace" { print $2 }' "$tmp/upgrade")
reclaims=0
[ "${grace:-1}" = 0 ] || reclaims=1
echo "E2E INFO $label: upgrades: ${done_n:-?}, io errors: $errors, acked lost: $lost, reclaims: $reclaims, new sessions: 0, longest stall: $(aw_secs "$stall") s ($n writes, $before before the first; A's lock kept: $([ $b_locked != 0 ] && echo yes || echo no))"
[ $rc = 0 ] && [ "${done_n:-0}" = "$upgrades" ] && [ "${failed_n:-1}" = 0 ] ||
	fail "the host did ${done_n:-?} of $upgrades upgrades, ${failed_n:-?} failed"
[ "$errors" = 0 ] || fail "$errors writes failed"
[ "$lost" = 0 ] || fail "$lost acknowledged records lost"
[ "$b_locked" != 0 ] || fail "B got the lock A holds: the upgrade lost it ($(cat "$tmp/b1"))"
[ "$b_other" = 0 ] || fail "B's lock on another file was refused: $(cat "$tmp/b2")"
# The client waits out a grace period's refusals (5 s here) in the call.
awk -v s="$b_other_s" 'BEGIN { exit !(s < 2) }' ||
	fail "B's lock on another file took $b_other_s s: a grace period began"
[ "$a_rc" = 0 ] || fail "A's lock tool ended with $a_rc: $(cat "$tmp/a.out")"
[ "$reclaims" = 0 ] || fail "the server is in grace after the upgrades (ferry_grace ${grace:-?})"
awk -v s="$stall" -v m="$max_stall" 'BEGIN { exit !(s / 100 <= m) }' ||
	fail "the longest stall, $(aw_secs "$stall") s, is over $max_stall s"
echo "E2E PASS $label: $upgrades upgrades under fsync'd writes and a held NLM lock: nothing lost, the lock kept, no grace, no stall over $max_stall s"
