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
#   read-plus  a file of 1 MiB + 4000 bytes of random data with holes
#              punched (one 4 KiB, others of 128 KiB and more, the last to
#              the end of the file) and a file that is one hole, read back
#              with a cold cache, whole and from inside a hole: the same
#              bytes as a copy on the guest's own disk.  A client that
#              reads by READ_PLUS (Linux 6.12; 6.1 reads by READ) gets the
#              holes as hole segments.  With read_plus=1 the step's reads
#              must have gone as READ_PLUS, none as READ.
#   mountstats the mount's per-op counters grew for ALLOCATE, DEALLOCATE,
#              SEEK (and CLONE): the operations went to the server
#
# Arguments: read_plus=1 (default 0) when the client must read by
# READ_PLUS; holes=none when the export's file system keeps no holes
# (CephFS: a punched range reads as zeros but keeps its space, and SEEK
# finds data up to the end of the file), default holes=kept.  Prints "E2E PASS|FAIL|INFO v42-<step> vers=<v>: ..." lines;
# exits 1 on failure.
read_plus=0 holes=kept
for a in "$@"; do
	case $a in
	read_plus=*) read_plus=${a#read_plus=} ;;
	holes=kept | holes=none) holes=${a#holes=} ;;
	*) echo "E2E FAIL v42 vers=${KCLIENT_VERS:-?}: unknown argument '$a'"; exit 2 ;;
	esac
done
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
ops=(ALLOCATE DEALLOCATE SEEK CLONE READ_PLUS READ)
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
	freed=$((used0 - used1))
	[ "$holes" = none ] && freed=$((2 * K64))
	if [ "$size1" = "$size0" ] && [ $freed -ge $((2 * K64)) ] && [ "$zeros" = 0 ]; then
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
if [ "$holes" = kept ]; then
	expect_seek 0 hole $K64
	expect_seek $((K64 + 100)) data $((3 * K64))
else
	expect_seek 0 hole $((4 * K64))
	expect_seek $((K64 + 100)) data $((K64 + 100))
fi
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

# --- read-plus ---
# The reference copy lives on the guest's tmpfs: random data in blocks of
# 4 KiB (so the export's file system keeps the holes as holes) with the
# holes' blocks zeroed, and zeros from block 192 to the end; the file on
# the mount is a copy of it with those ranges punched.
ref=/tmp/v42-ref.$$
K4=4096
size=$((16 * K64 + 4000))
holes="16:32 50:1 64:64"
rp0=$(opcount READ_PLUS) rd0=$(opcount READ)
rp_ok=1
{ dd if=/dev/urandom bs=$K4 count=192 && dd if=/dev/zero bs=$K4 count=64 &&
	dd if=/dev/zero bs=4000 count=1; } 2>/dev/null >"$ref"
for h in $holes; do
	dd if=/dev/zero of="$ref" bs=$K4 seek="${h%%:*}" count="${h#*:}" conv=notrunc 2>/dev/null
done
if [ "$(stat -c %s "$ref")" != $size ] || ! cp "$ref" sparse; then
	fail read-plus "cannot write the file"
	rp_ok=0
fi
for h in $holes 192:65; do
	[ $rp_ok = 1 ] || break
	first=${h%%:*} n=${h#*:}
	if ! err=$("$tool" punch sparse $((first * K4)) $((n * K4)) 2>&1); then
		fail read-plus "punch at block $first: $err"
		rp_ok=0
	fi
done
# The whole file a hole (a cached page would hide what the server sends).
dd if=/dev/urandom of=allhole bs=$K64 count=8 2>/dev/null &&
	"$tool" punch allhole 0 $((8 * K64)) >/dev/null 2>&1 || fail read-plus "cannot make allhole"
sync
echo 3 >/proc/sys/vm/drop_caches
if [ $rp_ok = 1 ]; then
	sum_ref=$(md5sum <"$ref") sum_nfs=$(md5sum <sparse)
	if [ "$sum_nfs" = "$sum_ref" ] && [ "$(stat -c %s sparse)" = $size ]; then
		pass read-plus "1 MiB + 4000 bytes with 4 holes: the same bytes as the reference copy"
	else
		fail read-plus "the file reads back different from the reference copy ($(cmp "$ref" sparse 2>&1))"
	fi
	# Cold reads from inside a hole through the data past it, from just
	# past the small hole, and into the hole at the end.
	bad=""
	for skip in 20 51 100 200; do
		echo 3 >/proc/sys/vm/drop_caches
		a=$(dd if=sparse bs=$K4 skip=$skip count=40 2>/dev/null | md5sum)
		b=$(dd if="$ref" bs=$K4 skip=$skip count=40 2>/dev/null | md5sum)
		[ "$a" = "$b" ] || bad="$bad $skip"
	done
	if [ -z "$bad" ]; then
		pass read-plus "160 KiB reads from blocks 20, 51, 100 and 200 match"
	else
		fail read-plus "160 KiB reads from blocks$bad differ from the reference copy"
	fi
fi
z=$(od -v -An -tx1 allhole | tr -d ' 0\n' | wc -c)
if [ "$(stat -c %s allhole)" = $((8 * K64)) ] && [ "$z" = 0 ]; then
	pass read-plus "a file that is one hole of 512 KiB reads as zeros"
else
	fail read-plus "the all-hole file: size $(stat -c %s allhole), $z non-zero digits"
fi
rp=$(($(opcount READ_PLUS) - rp0)) rd=$(($(opcount READ) - rd0))
rm -f "$ref"
if [ "$read_plus" = 1 ]; then
	if [ $rp -ge 1 ] && [ $rd = 0 ]; then
		pass read-plus "read by READ_PLUS +$rp, READ +$rd"
	else
		fail read-plus "READ_PLUS +$rp, READ +$rd: this client should read by READ_PLUS"
	fi
else
	info read-plus "READ_PLUS +$rp, READ +$rd"
fi

# --- mountstats ---
declare -A delta
for o in "${ops[@]}"; do delta[$o]=$(($(opcount "$o") - before[$o])); done
info mountstats "ALLOCATE +${delta[ALLOCATE]} DEALLOCATE +${delta[DEALLOCATE]} SEEK +${delta[SEEK]} CLONE +${delta[CLONE]} READ_PLUS +${delta[READ_PLUS]} READ +${delta[READ]}"
[ "${delta[ALLOCATE]}" -ge 1 ] && pass mountstats "ALLOCATE counted" ||
	fail mountstats "no ALLOCATE in mountstats"
[ "${delta[DEALLOCATE]}" -ge 1 ] && pass mountstats "DEALLOCATE counted" ||
	fail mountstats "no DEALLOCATE in mountstats"
[ "${delta[SEEK]}" -ge 5 ] && pass mountstats "SEEK counted ${delta[SEEK]} times" ||
	fail mountstats "SEEK counted ${delta[SEEK]} times, expected 5"

cd .. && rm -rf "$d"
[ $failed = 0 ] && echo "E2E PASS v42 vers=$v" || echo "E2E FAIL v42 vers=$v"
exit $failed
