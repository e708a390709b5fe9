#!/usr/bin/env bash
# End-to-end: power cuts under ferryd.  Every operation ferryd acknowledged
# must be there after the server machine loses power and boots again.
#
# ferryd runs inside a qemu guest (KVM when it can boot a stock kernel, else
# TCG, as ../shared/e2e/kclient decides; tests/e2e/qemu_guest.sh boots it)
# and exports an ext4 file system
# (mkfs.ext4 defaults, so with its journal; mounted with the defaults, so
# commit=5) on a virtio disk: an image file made on the host.  Its state
# directory is on that disk too.  The guest boots the kernel that
# `kclient --setup-only` caches ($KCLIENT_CACHE/build-KEY/: vmlinux or
# vmlinuz, and base.cpio with busybox); this script appends an archive of
# its own with ferryd, its shared libraries, the ext4 and virtio modules of
# the same kernel (taken from the cached kernel .deb) and its own init.
# The guest is reached through qemu user-mode networking with restrict=on
# and one forwarded port on 127.0.0.1: no traffic leaves the host's
# loopback.
#
# Each cycle: the host-side client (build/tests/powercut_client run) makes
# files (OPEN with create), directories, renames and removes them, and now
# and then writes data with FILE_SYNC4 or UNSTABLE4 + COMMIT, logging
# every operation ferryd acknowledged; a random 1 to 6 s after its first
# acknowledgement qemu gets SIGKILL, so whatever the guest kernel had not
# written to its disk is gone, as in a power cut, while what it had written
# stays in the image.  (The disk runs with cache=unsafe: a write that
# reached qemu is in the host's page cache, which outlives qemu, so the
# guest's flushes need not reach the host's disk.)  The guest then boots
# again on the same image, ext4 replays its journal, ferryd starts, and
# `powercut_client verify` checks every acknowledged operation of the cycle
# (see tests/e2e/powercut_client.c): the next cycle's workload then runs in
# the same boot.  So N cycles take N + 1 boots.
#
# Last line: "power cuts: N, acknowledged ops lost: M".  Exit status 0 when
# M is 0, 1 when ops were lost, 2 on an infrastructure failure (the guest
# did not boot, ferryd did not start, the client could not work), with a
# message saying which.
#
# Environment: FERRYD (default build/ferryd), FERRY_POWERCUT_CLIENT
# (default build/tests/powercut_client), KCLIENT (default
# ../shared/e2e/kclient, for its cached kernel and initramfs),
# FERRY_POWERCUT_CYCLES (default 10), FERRY_POWERCUT_ASYNC=1 adds
# `async = yes` to the export's section of ferryd's configuration (ferryd
# may then answer before a namespace change is on disk, so losses are
# allowed for; the line is only written when asked for),
# FERRY_POWERCUT_SEED (seed of the kill moments, default random; printed),
# FERRY_POWERCUT_MIN_MS and FERRY_POWERCUT_MAX_MS (the kill moment after the
# first acknowledgement, default 1000 and 6000),
# FERRY_POWERCUT_SYNC_MS (how often the client writes data it waits to be
# stable, default 2000: each such write makes ferryd fsync, which commits
# ext4's journal), FERRY_POWERCUT_ACCEL (auto, kvm or tcg; default auto),
# FERRY_POWERCUT_MOUNT_OPTS (extra ext4 mount options in the guest, e.g.
# "dirsync", with which ext4 itself commits every namespace change before
# the system call returns: a control run that must lose nothing whatever
# ferryd does), FERRY_POWERCUT_BOOT_TIMEOUT (seconds from qemu's start to ferryd
# listening, default 180), FERRY_POWERCUT_KEEP=1 keeps the work directory
# (logs, consoles, the image) and prints where it is.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=tests/e2e/qemu_guest.sh
. "$top/tests/e2e/qemu_guest.sh"
kclient=${KCLIENT:-$top/../shared/e2e/kclient}
ferryd=${FERRYD:-$top/build/ferryd}
client=${FERRY_POWERCUT_CLIENT:-$top/build/tests/powercut_client}
cycles=${FERRY_POWERCUT_CYCLES:-10}
async=${FERRY_POWERCUT_ASYNC:-0}
min_ms=${FERRY_POWERCUT_MIN_MS:-1000}
max_ms=${FERRY_POWERCUT_MAX_MS:-6000}
sync_ms=${FERRY_POWERCUT_SYNC_MS:-2000}
boot_timeout=${FERRY_POWERCUT_BOOT_TIMEOUT:-180}
accel=${FERRY_POWERCUT_ACCEL:-auto}
mount_opts=${FERRY_POWERCUT_MOUNT_OPTS:-}
seed=${FERRY_POWERCUT_SEED:-$(( $(date +%s%N) % 1000000 ))}

log() { echo "powercut: $*"; }

cuts=0
lost=0
# An infrastructure failure: says so, with what was counted until then.
infra() {
	echo "powercut: INFRASTRUCTURE FAILURE: $*" >&2
	echo "powercut: (after $cuts power cuts, $lost acknowledged ops lost until then)" >&2
	exit 2
}

for n in "$cycles" "$min_ms" "$max_ms" "$sync_ms" "$boot_timeout" "$seed"; do
	[[ $n =~ ^[0-9]+$ ]] || infra "not a number: '$n' (FERRY_POWERCUT_*)"
done
((cycles >= 1)) || infra "FERRY_POWERCUT_CYCLES must be at least 1"
((min_ms <= max_ms)) || infra "FERRY_POWERCUT_MIN_MS is above FERRY_POWERCUT_MAX_MS"
[ -x "$ferryd" ] || infra "$ferryd not built"
[ -x "$client" ] || infra "$client not built (cmake -DBUILD_TESTING=ON)"
[ "$(id -u)" = 0 ] || infra "must run as root (the client binds a reserved port; kclient's set-up)"

qg_pick_accel "$accel" || infra "FERRY_POWERCUT_ACCEL must be auto, kvm or tcg"
accel=$qg_accel

work=$(mktemp -d "${TMPDIR:-/tmp}/ferry-powercut.XXXXXX")
client_pid=""
cleanup() {
	local rc=$?
	trap - EXIT
	# Only what this script started, by pid.
	if [ -n "$client_pid" ]; then kill -KILL "$client_pid" 2>/dev/null || true; fi
	if [ -n "$qg_pid" ]; then kill -KILL "$qg_pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	if [ "${FERRY_POWERCUT_KEEP:-0}" = 1 ]; then
		echo "powercut: work directory kept: $work"
	else
		rm -rf "$work"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "powercut: interrupted" >&2; exit 130' INT
trap 'echo "powercut: terminated" >&2; exit 143' TERM

t_start=$SECONDS

# --- the guest's kernel and base initramfs: kclient's cache
qg_kernel "$kclient"
kver=$qg_kver
command -v mkfs.ext4 >/dev/null || infra "mkfs.ext4 not found"

# --- the archive appended to it: modules, ferryd, init
root=$work/root
mkdir -p "$root/powercut"
qg_modules_begin
for m in virtio_pci virtio_blk virtio_net virtio_rng ext4; do
	qg_add_module "$root/powercut" "$m"
done
qg_modules_end
qg_add_ferryd "$root/powercut" "$ferryd"
{
	echo "[server]"
	echo "listen = 0.0.0.0:2049"
	echo "state_dir = /srv/state"
	echo "rpcbind = no"
	echo "log_level = warn"
	echo
	echo "[nfs]"
	echo "lease_time = 10"
	# No grace period: the client owner is the same in every boot, and
	# nothing here is about reclaiming state.
	echo "grace_time = 0"
	echo
	echo "[control]"
	echo "listen = none"
	echo
	echo "[export powercut]"
	echo "path = /srv/export"
	echo "pseudo = /export"
	echo "squash = none"
	# qemu's user-mode network hands the connection on from a port of its own.
	echo "secure = no"
	if [ "$async" = 1 ]; then echo "async = yes"; fi
} >"$root/powercut/ferryd.conf"
[[ $mount_opts =~ ^[a-z0-9_=,]*$ ]] || infra "FERRY_POWERCUT_MOUNT_OPTS: unexpected characters"
echo "$mount_opts" >"$root/powercut/mount.opts"

cat >"$root/powercut-init" <<'INIT'
#!/bin/sh
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mkdir -p /tmp /run /srv
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
up() { cut -d' ' -f1 /proc/uptime; }
fail() {
	echo "POWERCUT FAIL $*"
	poweroff -f
	sleep 60
}
echo "POWERCUT INIT uptime=$(up)s kernel=$(uname -r)"
for m in $(cat /powercut/modules); do
	# crc32c-intel needs SSE 4.2; crc32c_generic stands in for it
	insmod "/powercut/mods/$m" 2>/tmp/insmod.err ||
		grep -q 'File exists' /tmp/insmod.err ||
		echo "POWERCUT WARNING insmod $m: $(cat /tmp/insmod.err)"
done
grep -qw ext4 /proc/filesystems || fail "the guest kernel has no ext4"
i=0
while [ ! -b /dev/vda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -b /dev/vda ] || fail "no virtio disk"
# Default options: data=ordered, commit=5 (unless FERRY_POWERCUT_MOUNT_OPTS
# adds some).  After a power cut the journal is replayed here.
opts=$(cat /powercut/mount.opts)
mount -t ext4 ${opts:+-o "$opts"} /dev/vda /srv || fail "cannot mount /dev/vda"
dmesg | grep 'EXT4-fs (vda)' | sed 's/^/POWERCUT KERNEL /'
echo "POWERCUT MOUNTED $(grep ' /srv ' /proc/mounts) uptime=$(up)s"
mkdir -p /srv/export /srv/state
ip link set lo up
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || fail "no network interface"
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
LD_LIBRARY_PATH=/powercut/lib /powercut/ferryd --config /powercut/ferryd.conf &
pid=$!
# 0.0.0.0:2049 listening (state 0A) in /proc/net/tcp
i=0
while ! grep -q ': 00000000:0801 00000000:0000 0A' /proc/net/tcp; do
	kill -0 $pid 2>/dev/null || break
	i=$((i + 1))
	[ $i -gt 600 ] && fail "ferryd did not listen within 60 s"
	sleep 0.1
done
kill -0 $pid 2>/dev/null && echo "POWERCUT READY uptime=$(up)s"
wait $pid
fail "ferryd exited with status $?"
INIT
chmod 755 "$root/powercut-init"
qg_initrd "$root" "$work/initrd"
rm -rf "$root"

# --- the disk
disk=$work/disk.img
truncate -s 256M "$disk"
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$disk" ||
	infra "mkfs.ext4 failed"

# boot K: starts qemu on the disk and waits until ferryd listens in it.
port=""
boot() {
	local k=$1 con=$work/console.$1.log t0=$SECONDS
	port=$(qg_free_port) || infra "no free port on 127.0.0.1"
	qg_start ferry-powercut "$con" "$work/qemu.$k.out" /powercut-init 512 \
		"hostfwd=tcp:127.0.0.1:$port-:2049" \
		-drive "file=$disk,format=raw,if=none,id=disk0,cache=unsafe" \
		-device virtio-blk-pci,drive=disk0
	qg_wait POWERCUT "$con" "$work/qemu.$k.out" "$boot_timeout" "boot $k"
	log "boot $k: ferryd listening after $((SECONDS - t0)) s ($(grep -a -m1 '^POWERCUT MOUNTED' "$con" |
		sed 's/.* \/srv ext4 \([^ ]*\) .*/ext4 \1/'))"
}

# The power cut: SIGKILL to qemu.
power_cut() {
	qg_kill
}

# verify K: checks the acknowledged ops of cycle K; adds to $lost.
verify() {
	local k=$1 out=$work/verify.$1.out rc=0 n
	"$client" verify --server "127.0.0.1:$port" --log "$work/cycle.$k.log" >"$out" 2>&1 || rc=$?
	n=$(sed -n 's/^POWERCUT VERIFY acked=[0-9]* lost=\([0-9]*\)$/\1/p' "$out")
	if [ $rc -gt 1 ] || [ -z "$n" ]; then
		tail -30 "$out" >&2
		infra "cycle $k: the verifying client failed (exit $rc)"
	fi
	lost=$((lost + n))
	log "cycle $k: after the reboot $n of them are lost"
	{ grep '^LOST ' "$out" || true; } | head -5 | sed 's/^/powercut:   /'
	local more
	more=$(grep -c '^LOST ' "$out" || true)
	if [ "$more" -gt 5 ]; then log "  ... and $((more - 5)) more"; fi
}

RANDOM=$seed
log "$cycles cycles; accel $accel; kernel $kver; kill moments ${min_ms}-${max_ms} ms after the" \
	"first acknowledgement (seed $seed)$([ "$async" = 1 ] && echo "; async = yes")$([ -n "$mount_opts" ] && echo "; ext4 mounted with $mount_opts")"
for ((k = 0; k <= cycles; k++)); do
	boot "$k"
	if ((k > 0)); then
		verify $((k - 1))
	fi
	if ((k == cycles)); then
		power_cut
		break
	fi
	clog=$work/cycle.$k.log
	cout=$work/client.$k.out
	"$client" run --server "127.0.0.1:$port" --log "$clog" --dir "cycle$k" \
		--sync-interval-ms "$sync_ms" >"$cout" 2>&1 &
	client_pid=$!
	t0=$SECONDS
	until grep -q '^A ' "$clog" 2>/dev/null; do
		if ! kill -0 "$client_pid" 2>/dev/null; then
			tail -20 "$cout" >&2
			infra "cycle $k: the client ended before ferryd acknowledged anything"
		fi
		((SECONDS - t0 < 60)) || infra "cycle $k: no acknowledgement within 60 s"
		sleep 0.05
	done
	delay=$((min_ms + (RANDOM * 32768 + RANDOM) % (max_ms - min_ms + 1)))
	sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
	kill -0 "$client_pid" 2>/dev/null ||
		{ tail -20 "$cout" >&2; infra "cycle $k: the client ended before the power cut"; }
	power_cut
	cuts=$((cuts + 1))
	rc=0
	for ((i = 0; i < 200; i++)); do
		kill -0 "$client_pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$client_pid" 2>/dev/null; then
		tail -20 "$cout" >&2
		infra "cycle $k: the client still runs 20 s after the power cut"
	fi
	wait "$client_pid" || rc=$?
	client_pid=""
	if [ $rc -ne 0 ]; then
		tail -20 "$cout" >&2
		infra "cycle $k: the client did not end with the broken connection (exit $rc)"
	fi
	log "cycle $k: power cut ${delay} ms after the first acknowledgement:" \
		"$(sed -n 's/^POWERCUT RUN //p' "$cout")"
done

log "$((SECONDS - t_start)) s in all"
echo "power cuts: $cuts, acknowledged ops lost: $lost"
[ "$lost" -eq 0 ] || exit 1
