#!/bin/bash
# Guest side of tests/e2e/lock_handoff.sh: how long a lock takes to go from
# one process to another that waits for it on the NFS mount.
#
# Process A takes an exclusive flock(1) lock on a file of the mount; B then
# asks for the same lock and blocks; A releases it after HOLD seconds; B
# prints the time from A's release to its own acquisition.  On NFS the
# Linux client emulates flock with a whole-file POSIX lock, and a blocking
# request is a LOCK of type WRITEW_LT.
#
# Both processes are on one client, which sees the conflict itself: B first
# waits in the client's own lock table, and A's unlock removes its local
# lock before its LOCKU goes out.  B, woken at once, sends its LOCK, which
# races A's LOCKU at the server.  When the LOCK arrives first it is denied,
# and then, without CB_NOTIFY_LOCK, the client polls for the lock (after
# 1 s, then 2 s, 4 s... up to 30 s); with it (v4.1, the server's OPEN said
# MAY_NOTIFY_LOCK), the server's callback after the LOCKU wakes it.
#
# Prints, per round: LOCK_HANDOFF vers=<v> round=<n> ms=<release to
# acquisition> waited_ms=<B's request to acquisition>, then
# LOCK_HANDOFF_SUMMARY (the ms figures); exits 1 when a round does not
# complete.
# Environment: LOCK_HANDOFF_ROUNDS (default 3), LOCK_HANDOFF_HOLD (default 2).
[ -n "$BASH_VERSION" ] || exec /bin/bash "$0" "$@"
set -u
cd "${KCLIENT_MNT:-.}" || exit 1
rounds=${LOCK_HANDOFF_ROUNDS:-3}
hold=${LOCK_HANDOFF_HOLD:-2}
vers=${KCLIENT_VERS:-?}
file=lock-handoff.$$
tmp=$(mktemp -d /tmp/handoff.XXXXXX) || exit 1
: >"$file" || exit 1
failed=0
all=""

# Waits (up to ~10 s) for a local marker file.
wait_for() {
	local i=0
	while [ ! -e "$1" ]; do
		i=$((i + 1))
		[ $i -gt 200 ] && return 1
		sleep 0.05
	done
}

for round in $(seq 1 "$rounds"); do
	rm -f "$tmp"/*
	(
		exec 9>>"$file"
		flock -x 9 || exit 1
		touch "$tmp/a-locked"
		wait_for "$tmp/b-waiting" || exit 1
		sleep "$hold"
		echo "$EPOCHREALTIME" >"$tmp/released"
		flock -u 9
	) &
	a=$!
	wait_for "$tmp/a-locked" || { echo "LOCK_HANDOFF FAIL round=$round: A never locked"; failed=1; break; }
	(
		exec 8>>"$file"
		echo "$EPOCHREALTIME" >"$tmp/asked"
		touch "$tmp/b-waiting"
		flock -x 8 || exit 1
		echo "$EPOCHREALTIME" >"$tmp/acquired"
		flock -u 8
	) &
	b=$!
	wait "$a" "$b"
	if [ ! -s "$tmp/released" ] || [ ! -s "$tmp/acquired" ]; then
		echo "LOCK_HANDOFF FAIL vers=$vers round=$round: no hand-off"
		failed=1
		continue
	fi
	ms=$(awk -v r="$(cat "$tmp/released")" -v a="$(cat "$tmp/acquired")" \
		'BEGIN { printf "%.1f", (a - r) * 1000 }')
	waited=$(awk -v q="$(cat "$tmp/asked")" -v a="$(cat "$tmp/acquired")" \
		'BEGIN { printf "%.1f", (a - q) * 1000 }')
	echo "LOCK_HANDOFF vers=$vers round=$round ms=$ms waited_ms=$waited"
	all="$all $ms"
done
echo "LOCK_HANDOFF_SUMMARY vers=$vers ms=$all"
rm -rf "$tmp" "$file"
exit $failed
