#!/bin/bash
# Fail-over with nobody at the keyboard, run in the kclient guest by
# tests/e2e/kclient.sh (FERRY_E2E_ONLY=ha) beside tests/e2e/ha_host.sh:
# three heads on one CephFS, each with a service address that keepalived
# moves and a notify script that takes the failed head over.
#
# For each scenario the guest mounts two service addresses (head a's and
# head b's, with one client owner for both, as a Linux client mounts any
# two servers: once one head takes the other over, the survivor holds the
# one owner's state from both heads side by side; owners=two mounts each
# under a host name of its own instead), and through each mount writes 64-byte
# records with fsync (acked_writes.sh) and holds a byte-range lock
# (lock_tool, shipped beside it).  Then it asks the host for the scenario
# (ha.request in KCLIENT_OUTDIR: "SCENARIO NODE"; the host removes it when
# it is done), waits for the writes through both mounts to go on, writes
# on for a while, and measures per scenario:
#   stall    the longest time between two acknowledged writes of a mount
#   errors   writes that failed (dd reported an error; tried again)
#   lost     acknowledged writes missing from the files afterwards
#   locks    yes when each lock still holds: a process on the other mount
#            is refused the same range (and granted it once the holder
#            let go, so the check can tell)
# and writes ha-SCENARIO.result to KCLIENT_OUTDIR.  Then it unmounts and
# asks the host to start every head afresh (ha.reset), so that each
# scenario starts from heads holding their own addresses.
#
# Arguments (all optional):
#   scenarios=LIST  comma-separated, of kill loss pause partition rolling
#                   (default kill)
#   owners=one|two  one client owner for both mounts (default), or one each
#   subnet=P        the service addresses are P.1 (a), P.2 (b), P.3 (c)
#                   (default 192.168.79)
#   gap=S           seconds of writing before the scenario (default 8)
#   after=S         seconds of writing once the writes went on (default 10)
#   resume=S        how long the writes may take to go on (default 150)
#   wait=S          how long the host may take for a scenario (default 400)
set -uo pipefail
scenarios=kill owners=one subnet=192.168.79 gap=8 after=10 resume=150 wait=400
for a in "$@"; do
	case $a in
	scenarios=*) scenarios=${a#*=} ;;
	owners=one | owners=two) owners=${a#*=} ;;
	subnet=*) subnet=${a#*=} ;;
	gap=*) gap=${a#*=} ;;
	after=*) after=${a#*=} ;;
	resume=*) resume=${a#*=} ;;
	wait=*) wait=${a#*=} ;;
	*) echo "E2E FAIL ha: unknown argument $a"; exit 1 ;;
	esac
done
fail() { echo "E2E FAIL ha: $*"; exit 1; }
out=${KCLIENT_OUTDIR:-}
[ -d "$out" ] || fail "no KCLIENT_OUTDIR (kclient --outdir)"
files=${KCLIENT_FILES:-/kcrun/files}
. "$files/acked_writes.sh" || fail "acked_writes.sh not shipped (kclient --file)"
lock_tool=$files/lock_tool
[ -x "$lock_tool" ] || fail "lock_tool not shipped (kclient --file)"
host_broke() { [ -s "$out/ha.error" ] && fail "the host side broke: $(cat "$out/ha.error")"; }
host_broke

# The service addresses are reached through the host's end of the link.
ip route add "$subnet.0/24" via "$KCLIENT_SERVER" dev eth0 || fail "cannot route to $subnet.0/24"
cd / || fail "cd /"
base_host=$(hostname)
opts=${KCLIENT_MOUNT_OPTS:-vers=4.1,proto=tcp}
guest_ip=$(ip -4 -o addr show dev eth0 | awk '{ sub("/.*", "", $4); print $4; exit }')

# mount_as NAME ADDR DIR: with owners=two, NAME is the host name the client
# owner is made of.
mount_as() {
	local name=$1 addr=$2 dir=$3 ok=0
	[ "$owners" = two ] && hostname "$base_host-$name"
	mkdir -p "$dir"
	for _ in $(seq 1 30); do
		if [ -x /sbin/mount.nfs ]; then
			/sbin/mount.nfs "$addr:${KCLIENT_EXPORT:-/}" "$dir" -o "$opts" && ok=1
		else
			mount -t nfs4 -o "$opts,addr=$addr,clientaddr=$guest_ip" \
				"$addr:${KCLIENT_EXPORT:-/}" "$dir" && ok=1
		fi
		[ $ok = 1 ] && break
		sleep 2
	done
	hostname "$base_host"
	[ $ok = 1 ]
}
unmount() { umount "$1" 2>/dev/null || umount -f "$1" 2>/dev/null || umount -l "$1" 2>/dev/null; }

# wait_removed FILE SECONDS
wait_removed() {
	local t=0
	while [ -e "$1" ]; do
		host_broke
		[ $t -ge "$2" ] && return 1
		sleep 1
		t=$((t + 1))
	done
}

victim_of() {
	case $1 in
	kill | pause) echo a ;;
	loss | partition) echo b ;;
	*) echo - ;;
	esac
}

sides="a b"
for scn in ${scenarios//,/ }; do
	echo "E2E INFO ha $scn: start"
	dir=ha-$scn
	for s in $sides; do
		n=$([ $s = a ] && echo 1 || echo 2)
		mount_as "$s" "$subnet.$n" "/mnt/ha-$s" || fail "$scn: cannot mount $subnet.$n"
	done
	grep -q "$subnet.1" /proc/fs/nfsfs/servers && grep -q "$subnet.2" /proc/fs/nfsfs/servers ||
		fail "$scn: the client does not show two servers: $(tr '\n' ';' </proc/fs/nfsfs/servers)"
	mkdir -p "/mnt/ha-a/$dir" || fail "$scn: mkdir"
	rm -f /tmp/ha.stop /tmp/ha.unlock
	for s in $sides; do
		: >"/tmp/ha-$s.acked"
		rm -f "/mnt/ha-$s/$dir/data-$s"
		: >"/mnt/ha-$s/$dir/lock-$s" || fail "$scn: cannot make lock-$s"
		aw_writer "/mnt/ha-$s/$dir/data-$s" "/tmp/ha-$s.acked" /tmp/ha.stop "ha $scn $s" \
			>"/tmp/ha-$s.writer" 2>&1 &
		eval "writer_$s=\$!"
		rm -f "/tmp/ha-$s.locked"
		"$lock_tool" --range 0:1 --until /tmp/ha.unlock --hold 3600 --marker "/tmp/ha-$s.locked" \
			"/mnt/ha-$s/$dir/lock-$s" >"/tmp/ha-$s.lock" 2>&1 &
		eval "holder_$s=\$!"
	done
	for _ in $(seq 1 30); do [ -e /tmp/ha-a.locked ] && [ -e /tmp/ha-b.locked ] && break; sleep 1; done
	[ -e /tmp/ha-a.locked ] && [ -e /tmp/ha-b.locked ] || fail "$scn: the locks were not granted"
	sleep "$gap"

	asked=$(aw_now)
	# Written whole, then renamed: the host polls for the file and must
	# not read it half written.
	echo "$scn $(victim_of "$scn")" >"$out/ha.request.new"
	mv "$out/ha.request.new" "$out/ha.request"
	wait_removed "$out/ha.request" "$wait" || fail "$scn: the host did not do it within $wait s"
	done_at=$(aw_now)
	echo "E2E INFO ha $scn: the host was done $(aw_secs $((done_at - asked))) s after the request"

	# The writes must go on through both mounts: one acknowledged after
	# the host was done.
	resumed=1
	for s in $sides; do
		t=0
		until awk -v at="$done_at" '$2 > at { f = 1 } END { exit !f }' "/tmp/ha-$s.acked"; do
			[ $t -ge "$resume" ] && { resumed=0; echo "E2E INFO ha $scn: no write through $s went on within $resume s"; break; }
			sleep 1
			t=$((t + 1))
		done
	done
	[ $resumed = 1 ] && sleep "$after"
	touch /tmp/ha.stop
	stuck=0
	for s in $sides; do
		eval "w=\$writer_$s"
		t=0
		while kill -0 "$w" 2>/dev/null; do
			if [ $t -ge 60 ]; then stuck=1; kill -KILL "$w" 2>/dev/null; break; fi
			sleep 1
			t=$((t + 1))
		done
	done

	stall=0 errors=0 lost=0 locks=yes detail=
	for s in $sides; do
		n=$(wc -l <"/tmp/ha-$s.acked")
		st=$(aw_stall "/tmp/ha-$s.acked")
		# A stall still under way at the end counts up to now.
		last=$(awk 'END { print $2 + 0 }' "/tmp/ha-$s.acked")
		[ $resumed = 0 ] && st=$(($(aw_now) - last))
		[ "$st" -gt "$stall" ] && stall=$st
		e=$(grep -c 'failed; again' "/tmp/ha-$s.writer")
		errors=$((errors + e))
		# Reading back through a mount whose server is gone would hang:
		# at most 120 s (a hung NFS call yields to SIGKILL only).
		l=unknown
		[ $stuck = 0 ] && l=$(timeout -s KILL 120 bash -c '. "$1"; aw_lost "$2" "$3"' _ \
			"$files/acked_writes.sh" "/mnt/ha-$s/$dir/data-$s" "$n")
		[ -n "$l" ] || l=unknown
		[ "$l" = unknown ] && lost=unknown
		[ "$lost" != unknown ] && lost=$((lost + l))
		detail="$detail $s: $n acked, stall $(aw_secs "$st") s (longest: $(aw_gaps "/tmp/ha-$s.acked" "$asked" 2)), errors $e, lost $l;"
	done
	# The locks: a process on the other mount is refused each range
	# while its holder holds it...
	for s in $sides; do
		o=$([ $s = a ] && echo b || echo a)
		got=$(timeout -s KILL 130 "$lock_tool" --nonblock --timeout 120 --range 0:1 \
			"/mnt/ha-$o/$dir/lock-$s" 2>&1)
		rc=$?
		detail="$detail lock-$s from $o: $got;"
		[ $rc -eq 3 ] || locks=no
		eval "h=\$holder_$s"
		kill -0 "$h" 2>/dev/null || { locks=no; detail="$detail holder $s gone: $(cat "/tmp/ha-$s.lock");"; }
	done
	# ...and granted once the holders let go (else the check above could
	# not tell a held lock from a broken mount).
	touch /tmp/ha.unlock
	sleep 2
	for s in $sides; do
		o=$([ $s = a ] && echo b || echo a)
		timeout -s KILL 130 "$lock_tool" --nonblock --timeout 120 --range 0:1 \
			"/mnt/ha-$o/$dir/lock-$s" >/dev/null 2>&1 ||
			{ locks=no; detail="$detail lock-$s not granted from $o after its release;"; }
	done
	echo "E2E INFO ha $scn:$detail"
	echo "scenario=$scn stall=$(aw_secs "$stall") errors=$errors lost=$lost locks=$locks resumed=$resumed" \
		>"$out/ha-$scn.result"
	echo "E2E INFO ha $scn: longest stall $(aw_secs "$stall") s, io errors $errors, acked lost $lost, locks kept $locks"
	for s in $sides; do
		eval "h=\$holder_$s"
		kill "$h" 2>/dev/null
		unmount "/mnt/ha-$s"
	done
	touch "$out/ha.reset"
	wait_removed "$out/ha.reset" "$wait" || fail "$scn: the host did not start the heads again within $wait s"
done
echo "E2E PASS ha: scenarios $scenarios run (the host judges them)"
