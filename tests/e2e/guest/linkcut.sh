#!/bin/bash
# The kernel client's back channel across fresh mounts, link cuts and
# reconnections, run in the kclient guest (cwd = the NFS mount).  A Linux
# 4.1 client sends BIND_CONN_TO_SESSION when a SEQUENCE reply says the back
# channel is down (SEQ4_STATUS_CB_PATH_DOWN*), so a server that reports a
# working back channel down, or whose probe keeps failing, makes it bind
# again and again.  The script prints the mount's BIND_CONN_TO_SESSION,
# SEQUENCE and WRITE counts and its transport's connects, sends and
# receives from /proc/self/mountstats at each stage (compare them with the
# failed probes in ferryd's log).
#
# Arguments (all optional):
#   remounts=N      unmount and mount again N times first (default 0); each
#                   is a new client whose first back-channel probe meets its
#                   session set-up; figures 1.5 s after each mount
#   max_mount_bind=N  fail when one of the remounts sent more than N
#   cut=guest|host|reset  what each cut is (default guest): the guest's eth0
#                   goes down; the host end of its link goes down; ferryd's
#                   connections to the guest are aborted on the host side.
#                   host and reset need tests/e2e/host_helper.sh beside
#                   ferryd and KCLIENT_OUTDIR
#   cuts=N          how many (default 3), with I/O going on throughout
#   down=SECONDS    how long the link stays down (default 5; not for reset)
#   gap=SECONDS     of I/O before each cut and after the last (default 8)
#   max_bind=N      fail when the last mount (the one the cuts ran on) sent
#                   more than N in all
# Prints "E2E INFO linkcut ..." lines and "E2E PASS|FAIL linkcut ...".
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.1}
cuts=3 down=5 gap=8 max_bind="" max_mount_bind="" remounts=0 cut=guest
for a in "$@"; do
	case $a in
	cuts=*) cuts=${a#cuts=} ;;
	down=*) down=${a#down=} ;;
	gap=*) gap=${a#gap=} ;;
	max_bind=*) max_bind=${a#max_bind=} ;;
	remounts=*) remounts=${a#remounts=} ;;
	max_mount_bind=*) max_mount_bind=${a#max_mount_bind=} ;;
	cut=guest | cut=host | cut=reset) cut=${a#cut=} ;;
	*) echo "E2E FAIL linkcut vers=$v: unknown argument '$a'"; exit 2 ;;
	esac
done
cd "$mnt" || exit 1

opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
# "xprt: tcp srcport bind_count connect_count connect_time idle_time sends
# recvs ...": how often each transport (re)connected, and its traffic.
xprt() {
	awk -v mnt="$mnt" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == "xprt:" { s = s sprintf(" [connects %s sends %s recvs %s]", $5, $8, $9) }
		END { print s }' /proc/self/mountstats
}
figures() {
	echo "BIND_CONN_TO_SESSION $(opcount BIND_CONN_TO_SESSION) SEQUENCE $(opcount SEQUENCE)" \
		"WRITE $(opcount WRITE) xprt$(xprt)"
}
info() { echo "E2E INFO linkcut vers=$v t=$(cut -d' ' -f1 /proc/uptime): $*"; }

# The client's own view, from its trace events when the kernel has them:
# how it answered each CB_SEQUENCE, which SEQUENCE replies carried status
# flags (CB_PATH_DOWN*), and its BIND_CONN_TO_SESSION calls.
tr=/sys/kernel/tracing
[ -d "$tr/events" ] || mount -t tracefs nodev "$tr" 2>/dev/null
tracing=0
if [ -d "$tr/events/nfs4/nfs4_cb_sequence" ]; then
	echo 'status_flags != 0' >"$tr/events/nfs4/nfs4_sequence_done/filter" 2>/dev/null
	for e in nfs4_cb_sequence nfs4_sequence_done nfs4_bind_conn_to_session; do
		echo 1 >"$tr/events/nfs4/$e/enable" 2>/dev/null
	done
	echo >"$tr/trace"
	tracing=1
fi
trace_summary() {
	[ $tracing = 1 ] || return 0
	local t
	t=$(grep -v '^#' "$tr/trace")
	info "client trace: CB_SEQUENCE answered:" \
		"$(echo "$t" | grep -o 'nfs4_cb_sequence: error=[^ ]* [^ ]*' | sed 's/.*error=//' |
			sort | uniq -c | tr -s ' \n' ' ')"
	info "client trace: SEQUENCE replies with status flags:" \
		"$(echo "$t" | grep -c 'nfs4_sequence_done:'), BIND_CONN_TO_SESSION calls:" \
		"$(echo "$t" | grep -c 'nfs4_bind_conn_to_session:')"
	echo "$t" | grep -E 'nfs4_cb_sequence: error=-|nfs4_sequence_done:' | head -6 |
		while IFS= read -r line; do info "client trace: ${line#"${line%%nfs4_*}"}"; done
}

info "after mount: $(figures)"
sleep 1.5
info "1.5 s after mount: $(figures)"

# Fresh mounts: each is a new client (EXCHANGE_ID, CREATE_SESSION,
# RECLAIM_COMPLETE), so each has its own race between ferryd's first
# back-channel probe and the client's session set-up.
total_bind=0 bad_mount=0
for ((m = 1; m <= remounts; m++)); do
	cd / && umount "$mnt" || { echo "E2E FAIL linkcut vers=$v: umount for remount $m"; exit 1; }
	mount.nfs "$KCLIENT_SERVER:$KCLIENT_EXPORT" "$mnt" -o "$KCLIENT_MOUNT_OPTS" ||
		{ echo "E2E FAIL linkcut vers=$v: remount $m"; exit 1; }
	cd "$mnt" || exit 1
	sleep 1.5
	b=$(opcount BIND_CONN_TO_SESSION)
	total_bind=$((total_bind + b))
	info "remount $m, 1.5 s after: $(figures)"
	if [ -n "$max_mount_bind" ] && [ "$b" -gt "$max_mount_bind" ]; then
		echo "E2E FAIL linkcut vers=$v: remount $m sent $b BIND_CONN_TO_SESSION within 1.5 s, want at most $max_mount_bind"
		bad_mount=1
	fi
done
[ "$remounts" -gt 0 ] && info "remounts: $total_bind BIND_CONN_TO_SESSION in $remounts mounts"

# Background I/O: small synchronous writes and reads, so RPCs are in flight
# when the link goes down.
d=ferry-linkcut.$v
mkdir -p "$d" || exit 1
(
	i=0
	while :; do
		dd if=/dev/zero of="$d/f$((i % 4))" bs=4k count=4 conv=fsync 2>/dev/null
		cat "$d/f$(((i + 1) % 4))" >/dev/null 2>&1
		i=$((i + 1))
		sleep 0.2
	done
) &
io=$!

# host_request TAG KIND: asks host_helper.sh for KIND (with seconds=$down)
# and waits for it to be done.
host_request() {
	local out=${KCLIENT_OUTDIR:-} line
	[ -n "$out" ] && [ -d "$out" ] || { echo "E2E FAIL linkcut vers=$v: no KCLIENT_OUTDIR for cut=$cut"; exit 1; }
	rm -f "$out/$1".*
	printf 'kind=%s\nseconds=%s\n' "$2" "$down" >"$out/$1.tmp" && mv "$out/$1.tmp" "$out/$1.ready"
	local i=0
	while [ ! -e "$out/$1.done" ]; do
		i=$((i + 1))
		[ $i -gt $(((down + 60) * 10)) ] && { echo "E2E FAIL linkcut vers=$v: host side never did $2"; exit 1; }
		sleep 0.1
	done
	while IFS= read -r line; do info "host: $line"; done <"$out/$1.result"
	[ "$(cat "$out/$1.done")" = 0 ] || { echo "E2E FAIL linkcut vers=$v: host side failed $2"; exit 1; }
}

for ((c = 1; c <= cuts; c++)); do
	sleep "$gap"
	case $cut in
	guest)
		info "cut $c: guest link down for ${down}s; before: $(figures)"
		ip link set eth0 down
		sleep "$down"
		ip link set eth0 up ;;
	host)
		info "cut $c: host end of the link down for ${down}s; before: $(figures)"
		host_request "linkcut-$v-$c" linkdown ;;
	reset)
		info "cut $c: connections aborted by the host; before: $(figures)"
		host_request "linkcut-$v-$c" reset ;;
	esac
	sleep 1
	info "cut $c: after: $(figures)"
done
sleep "$gap"
kill "$io" 2>/dev/null
wait "$io" 2>/dev/null
# Whatever was in flight completes before the figures are final.
ls -l "$d" >/dev/null && rm -rf "$d"
nbind=$(opcount BIND_CONN_TO_SESSION)
info "end: $(figures)"
trace_summary
if [ -n "$max_bind" ] && [ "$nbind" -gt "$max_bind" ]; then
	echo "E2E FAIL linkcut vers=$v: $nbind BIND_CONN_TO_SESSION over $cuts cuts (cut=$cut), want at most $max_bind"
	exit 1
fi
[ $bad_mount -eq 0 ] || exit 1
echo "E2E PASS linkcut vers=$v: $nbind BIND_CONN_TO_SESSION over $cuts cuts (cut=$cut)"
