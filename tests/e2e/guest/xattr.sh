#!/bin/bash
# Kernel-client extended-attribute test (RFC 8276), run in the kclient guest
# (cwd = the NFS mount, vers=4.2) by tests/e2e/kclient.sh: user xattrs set,
# read back (also after the client's caches were dropped), listed, replaced
# and removed on a file and a directory, create/replace semantics
# (EEXIST, ENODATA), a 3000-byte value, then the mount's per-op counters
# in /proc/self/mountstats must show SETXATTR, GETXATTR, LISTXATTRS and
# REMOVEXATTR on the wire.  The guest's busybox has no setfattr/getfattr:
# xattr_tool (tests/e2e/xattr_tool.c, static) comes in with kclient --file.
# It leaves ferry-xattr/kept with user.kept=from-guest for kclient.sh to
# find on the server host.
#
# Prints "E2E PASS|FAIL|INFO xattr-<step> vers=<v>: ..." lines; exits 1 if
# any check failed.
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.2}
tool=${KCLIENT_FILES:-/kcrun/files}/xattr_tool
failed=0
pass() { echo "E2E PASS xattr-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL xattr-$1 vers=$v: $2"; failed=1; }
info() { echo "E2E INFO xattr-$1 vers=$v: $2"; }

if [ "$v" != 4.2 ]; then
	info skip "extended attributes need NFSv4.2"
	exit 0
fi
[ -x "$tool" ] || { fail setup "no $tool (kclient --file)"; exit 1; }
cd "$mnt" || { fail setup "cannot cd to $mnt"; exit 1; }

# The request count of an op in this mount's per-op statistics (the first
# number after "OP:"); 0 when the kernel does not list it.
opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
ops=(SETXATTR GETXATTR LISTXATTRS REMOVEXATTR)
declare -A before
for o in "${ops[@]}"; do before[$o]=$(opcount "$o"); done
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; return 0; }

rm -rf ferry-xattr
mkdir ferry-xattr && cd ferry-xattr || { fail setup "mkdir ferry-xattr"; exit 1; }
echo data >f
mkdir d

# Set and read back.
if "$tool" set f user.color blue && [ "$("$tool" get f user.color)" = blue ]; then
	pass set-get "user.color=blue"
else
	fail set-get "user.color did not round-trip"
fi
# Create and replace semantics: EEXIST is 17 (exit 27), ENODATA 61 (71).
"$tool" set f user.color red create 2>/dev/null
rc=$?
[ $rc -eq 27 ] && pass create-exists "EEXIST" || fail create-exists "exit $rc, want EEXIST"
"$tool" set f user.missing x replace 2>/dev/null
rc=$?
[ $rc -eq 71 ] && pass replace-missing "ENODATA" || fail replace-missing "exit $rc, want ENODATA"
if "$tool" set f user.color green replace && [ "$("$tool" get f user.color)" = green ]; then
	pass replace "user.color=green"
else
	fail replace "user.color is '$("$tool" get f user.color 2>&1)'"
fi
# A value larger than a page of names; read again past the client's caches.
"$tool" setsize f user.big 3000 || fail big "setxattr of 3000 bytes"
drop_caches
n=$("$tool" size f user.big 2>&1)
[ "$n" = 3000 ] && pass big "3000 bytes read back" || fail big "read back '$n'"
[ "$("$tool" get f user.color)" = green ] && pass uncached "read after drop_caches" ||
	fail uncached "user.color after drop_caches"
# A directory's own.
if "$tool" set d user.tag dir && [ "$("$tool" get d user.tag)" = dir ]; then
	pass dir "user.tag on a directory"
else
	fail dir "user.tag on a directory"
fi
# Listed: the user namespace as set.
for i in 1 2 3 4 5 6 7 8; do "$tool" set f "user.n$i" "$i" || fail list "set user.n$i"; done
drop_caches
names=$("$tool" list f | grep '^user\.' | sort | tr '\n' ' ')
want="user.big user.color user.n1 user.n2 user.n3 user.n4 user.n5 user.n6 user.n7 user.n8 "
[ "$names" = "$want" ] && pass list "$names" || fail list "got '$names', want '$want'"
# Removed.
"$tool" remove f user.color || fail remove "removexattr"
"$tool" get f user.color 2>/dev/null
rc=$?
[ $rc -eq 71 ] && pass remove "user.color gone (ENODATA)" || fail remove "get after remove: exit $rc"
"$tool" remove f user.color 2>/dev/null
rc=$?
[ $rc -eq 71 ] && pass remove-missing "ENODATA" || fail remove-missing "exit $rc"
# For the server host to find.
echo kept >kept && "$tool" set kept user.kept from-guest || fail kept "setxattr"
sync

# On the wire: each operation counted by the client.
s="" counted=1
for o in "${ops[@]}"; do
	d=$(($(opcount "$o") - before[$o]))
	s="$s $o +$d"
	[ "$d" -gt 0 ] || counted=0
done
[ $counted -eq 1 ] && pass mountstats "${s# }" || fail mountstats "${s# } (each must grow)"
[ $failed -eq 0 ] && echo "E2E PASS xattr vers=$v" || echo "E2E FAIL xattr vers=$v"
exit $failed
