#!/bin/bash
# NFSv4.2 through the Linux kernel client, run in the kclient guest (cwd =
# the NFS mount, vers=4.2).  Tools: busybox (fallocate, stat, dd, od) and
# ferry_e2e_sparse (tests/e2e/sparse_tool.c, shipped with --file) for what
# busybox lacks: punching holes, SEEK_DATA/SEEK_HOLE, and FICLONE, the
# ioctl GNU cp --reflink=always uses (the guest's busybox cp has no
# --reflink).
#
#   allocate   fallocate of 1 MiB into an empty file: the size is 1 MiB and
#              the used blocks cover it (ALLOCATE)
#   punch      256 KiB of random data, a hole punched in [64K, 192K): the
#              size stays, the used blocks shrink by the hole, the hole
#              reads as zeros (DEALLOCATE)
#   seek       SEEK_DATA / SEEK_HOLE over that file find the hole's edges
#              and the end, and ENXIO at the end (SEEK)
#   reflink    a clone of the file is either the same bytes, or a clean
#              refusal (EOPNOTSUPP and no file left) where the export's
#              file system cannot clone (CLONE)
#   mountstats the mount's per-op counters grew for ALLOCATE, DEALLOCATE,
#              SEEK (and CLONE): the operations went to the server
#
# Prints "E2E PASS|FAIL|INFO v42-<step> vers=<v>: ..." lines; exits 1 on
# failure.
v=${KCLIENT_VERS:-?}
mnt=${KCLIENT_MNT:-$PWD}
tool=${KCLIENT_FILES:-/kcrun/files}/ferry_e2e_sparse
failed=0
pass() { echo "E2E PASS v42-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL v42-$1 vers=$v: $2"; failed=1; }
info() { echo "E2E INFO v42-$1 vers=$v: $2"; }

cd "$mnt" || { echo "E2E FAIL v42 vers=$v: cannot cd to $mnt"; exit 1; }
[ "$v" = 4.2 ] || { echo "E2E FAIL v42 vers=$v: run it with vers=4.2"; exit 1; }
[ -x "$tool" ] || { echo "E2E FAIL v42 vers=$v: $tool missing (kclient --file)"; exit 1; }

# The request count of an op in this mount's per-op statistics (the first
# number after "OP:"); 0 when the kernel does not list it.
opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
ops=(ALLOCATE DEALLOCATE SEEK CLONE READ_PLUS)
declare -A before
for o in "${ops[@]}"; do before[$o]=$(opcount "$o"); done

d=ferry-v42.$$
mkdir "$d" && cd "$d" || { echo "E2E FAIL v42 vers=$v: mkdir $d"; exit 1; }
K64=65536

# --- allocate ---
: >alloc
if err=$(fallocate -l $((16 * K64)) alloc 2>&1); then
	set -- $(stat -c '%s %b %B' alloc)
	if [ "$1" = $((16 * K64)) ] && [ $(($2 * $3)) -ge $((16 * K64)) ]; then
		pass allocate "1 MiB allocated: size $1, $2 blocks of $3"
	else
		fail allocate "after fallocate: size $1, $2 blocks of $3"
	fi
else
	fail allocate "fallocate: $err"
fi

# --- punch ---
dd if=/dev/urandom of=data bs=$K64 count=4 2>/dev/null && sync
set -- $(stat -c '%s %b %B' data)
size0=$1 used0=$(($2 * $3))
if err=$("$tool" punch data $K64 $((2 * K64)) 2>&1); then
	set -- $(stat -c '%s %b %B' data)
	size1=$1 used1=$(($2 * $3))
	zeros=$(dd if=data bs=$K64 skip=1 count=2 2>/dev/null | od -v -An -tx1 | tr -d ' 0\n' | wc -c)
	if [ "$size1" = "$size0" ] && [ $((used0 - used1)) -ge $((2 * K64)) ] && [ "$zeros" = 0 ]; then
		pass punch "hole of 128 KiB: size $size1 kept, used $used0 -> $used1 bytes, reads as zeros"
	else
		fail punch "size $size0 -> $size1, used $used0 -> $used1, non-zero bytes in the hole: $zeros"
	fi
else
	fail punch "$err"
fi

# --- seek ---
expect_seek() { # offset what expected
	local got
	got=$("$tool" seek data "$1" "$2" 2>&1)
	if [ "$got" = "$3" ]; then
		pass seek "SEEK_${2^^} from $1: $got"
	else
		fail seek "SEEK_${2^^} from $1: got '$got', expected $3"
	fi
}
expect_seek 0 data 0
expect_seek 0 hole $K64
expect_seek $((K64 + 100)) data $((3 * K64))
expect_seek $((3 * K64)) hole $((4 * K64))
expect_seek $((4 * K64)) data ENXIO

# --- reflink ---
out=$("$tool" reflink data data.clone 2>&1)
rc=$?
if [ $rc = 0 ] && cmp -s data data.clone; then
	pass reflink "cloned: the same $(stat -c %s data.clone) bytes"
elif [ $rc = 3 ] && [ ! -e data.clone ]; then
	pass reflink "clean refusal on this export's file system ($out)"
else
	fail reflink "exit $rc: $out"
fi

# --- mountstats ---
declare -A delta
for o in "${ops[@]}"; do delta[$o]=$(($(opcount "$o") - before[$o])); done
info mountstats "ALLOCATE +${delta[ALLOCATE]} DEALLOCATE +${delta[DEALLOCATE]} SEEK +${delta[SEEK]} CLONE +${delta[CLONE]} READ_PLUS +${delta[READ_PLUS]}"
[ "${delta[ALLOCATE]}" -ge 1 ] && pass mountstats "ALLOCATE counted" ||
	fail mountstats "no ALLOCATE in mountstats"
[ "${delta[DEALLOCATE]}" -ge 1 ] && pass mountstats "DEALLOCATE counted" ||
	fail mountstats "no DEALLOCATE in mountstats"
[ "${delta[SEEK]}" -ge 5 ] && pass mountstats "SEEK counted ${delta[SEEK]} times" ||
	fail mountstats "SEEK counted ${delta[SEEK]} times, expected 5"

cd .. && rm -rf "$d"
[ $failed = 0 ] && echo "E2E PASS v42 vers=$v" || echo "E2E FAIL v42 vers=$v"
exit $failed
