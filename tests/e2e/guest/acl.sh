#!/bin/bash
# Kernel-client NFSv4 ACL test (RFC 8881 6), run in the kclient guest (cwd =
# the NFS mount, vers=4.1 or 4.2) by tests/e2e/kclient.sh, with Debian's
# nfs4-acl-tools (nfs4_setfacl, nfs4_getfacl) added to the guest:
#  - an ACE allowing user 1234 to read, set with nfs4_setfacl, reads back
#    with nfs4_getfacl, also after the client's caches were dropped;
#  - ferry-acl-host, which kclient.sh gave u:4321:rw- on the server host
#    (setfacl) before the boot, reads with an ACE allowing 4321 to write;
#  - an ACE denying daemon (uid 1) to read a world-readable file: daemon
#    gets EACCES, bin (uid 2) reads it;
#  - the ACL went over the wire: the mount's SETATTR and GETATTR counters
#    in /proc/self/mountstats grew.
# Then the same export mounted vers=3 in the guest, with setfacl and getfacl
# (POSIX ACLs through NFSACL): u:1234:r set and read back (also after
# drop_caches; the mode follows the mask), the host's u:4321:rw- read, a
# default ACL inherited by a new file, an entry giving daemon nothing
# enforced while bin reads, setfacl -b.
# Leaves ferry-acl/set with the ACE for 1234 and ferry-acl3/set with
# u:1234:r, which kclient.sh then finds in the host's POSIX ACLs (getfacl).
#
# Prints "E2E PASS|FAIL|INFO acl-<step> vers=<v>: ..." lines; exits 1 if
# any check failed.
#
# With host=helper (a ceph export: kclient.sh has no host directory to
# prepare or read) the host side goes through tests/e2e/host_helper.sh,
# beside ferryd, over KCLIENT_OUTDIR: it makes ferry-acl-host with its ACL
# first, and at the end the host's view of both ACLs the guest set must
# name 1234 ("acl-host-view" lines).
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.1}
host=local
for arg in "$@"; do
	case $arg in host=*) host=${arg#host=} ;; esac
done
failed=0
pass() { echo "E2E PASS acl-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL acl-$1 vers=$v: $2"; failed=1; }

# host_request TAG KIND NAME EXPECT APPEND: a request to host_helper.sh,
# waited for; its result is in $out/TAG.result, the status its exit.
out=${KCLIENT_OUTDIR:-}
host_request() {
	local tag=acl-$1-${v//./} i=0
	[ -n "$out" ] && [ -d "$out" ] || return 1
	rm -f "$out/$tag".*
	printf 'kind=%s\nname=%s\nexpect=%s\nappend=%s\n' "$2" "$3" "$4" "$5" >"$out/$tag.tmp" &&
		mv "$out/$tag.tmp" "$out/$tag.ready"
	while [ ! -e "$out/$tag.done" ]; do
		i=$((i + 1))
		[ $i -gt 1200 ] && return 1
		sleep 0.1
	done
	return "$(cat "$out/$tag.done")"
}
if [ "$host" = helper ]; then
	host_request prepare setfacl ferry-acl-host "" "u::rw-,u:4321:rw-,g::r--,m::rw-,o::r--" ||
		{ fail setup "the host side did not set ferry-acl-host's ACL: $(cat "$out"/acl-prepare-*.result 2>/dev/null)"; exit 1; }
fi
# The host's view of FILE's access ACL must hold user:1234:r-- (helper mode).
host_view() {
	[ "$host" = helper ] || return 0
	if host_request "view-${1//\//-}" getfacl "$1" "" "" &&
		grep -q '^user:1234:r--' "$out/acl-view-${1//\//-}-${v//./}.result"; then
		pass host-view "the host's ACL of $1: $(tr '\n' ' ' <"$out/acl-view-${1//\//-}-${v//./}.result")"
	else
		fail host-view "the host's ACL of $1: $(tr '\n' ' ' <"$out/acl-view-${1//\//-}-${v//./}.result" 2>/dev/null)"
	fi
}

command -v nfs4_setfacl >/dev/null && command -v nfs4_getfacl >/dev/null ||
	{ fail setup "no nfs4_setfacl/nfs4_getfacl in the guest (KCLIENT_EXTRA_BINS)"; exit 1; }
cd "$mnt" || { fail setup "cannot cd to $mnt"; exit 1; }

opcount() {
	awk -v mnt="$mnt" -v op="$1:" '
		$1 == "device" { on = ($5 == mnt) }
		on && $1 == op { n = $2; exit }
		END { print n + 0 }' /proc/self/mountstats
}
setattrs0=$(opcount SETATTR)
getattrs0=$(opcount GETATTR)
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches 2>/dev/null; return 0; }

rm -rf ferry-acl
mkdir ferry-acl && cd ferry-acl || { fail setup "mkdir ferry-acl"; exit 1; }
echo data >set
chmod 0640 set

# Set, then read back (twice: the second time past the client's caches).
if nfs4_setfacl -a "A::1234:r" set 2>setfacl.err; then
	pass setfacl "A::1234:r added"
else
	fail setfacl "nfs4_setfacl: $(cat setfacl.err)"
fi
acl=$(nfs4_getfacl set 2>&1)
echo "$acl" | grep -q '^A::1234:r' && pass getfacl "$(echo "$acl" | tr '\n' ' ')" ||
	fail getfacl "no A::1234:r in: $(echo "$acl" | tr '\n' ' ')"
drop_caches
acl=$(nfs4_getfacl set 2>&1)
echo "$acl" | grep -q '^A::1234:r' && pass uncached "A::1234:r after drop_caches" ||
	fail uncached "no A::1234:r after drop_caches in: $(echo "$acl" | tr '\n' ' ')"

# The host's setfacl, seen from here.
acl=$(nfs4_getfacl ../ferry-acl-host 2>&1)
echo "$acl" | grep -Eq '^A::4321:[^:]*w' && pass host-acl "u:4321:rw- reads as $(echo "$acl" | grep 4321 | tr '\n' ' ')" ||
	fail host-acl "no ACE for 4321 in: $(echo "$acl" | tr '\n' ' ')"

# FILE (holding "secret", world-readable) has an ACL that gives daemon
# (uid 1) nothing: daemon's cat fails with EACCES, bin's (uid 2) reads.
deny_check() {
	if su -s /bin/sh daemon -c "cat '$1'" >/dev/null 2>su.err; then
		fail deny "daemon (uid 1) read a file its ACL keeps from it"
	elif grep -qi "permission denied" su.err; then
		pass deny "daemon (uid 1): $(tr '\n' ' ' <su.err)"
	else
		fail deny "daemon (uid 1) failed otherwise: $(tr '\n' ' ' <su.err)"
	fi
	if [ "$(su -s /bin/sh bin -c "cat '$1'" 2>&1)" = secret ]; then
		pass allow-other "bin (uid 2) reads it"
	else
		fail allow-other "bin (uid 2) cannot read it"
	fi
}

# A denial, enforced for that user only (the guest's users: root alone).
grep -q '^daemon:' /etc/passwd || {
	echo 'daemon:x:1:1:daemon:/:/bin/sh' >>/etc/passwd
	echo 'bin:x:2:2:bin:/:/bin/sh' >>/etc/passwd
	printf 'daemon:x:1:\nbin:x:2:\n' >>/etc/group
}
echo secret >denied
chmod 0644 denied
nfs4_setfacl -a "D::1:r" denied 2>setfacl.err || fail deny-set "nfs4_setfacl: $(cat setfacl.err)"
drop_caches
deny_check "$mnt/ferry-acl/denied"
rm -f setfacl.err su.err

host_view ferry-acl/set
setattrs=$(($(opcount SETATTR) - setattrs0))
getattrs=$(($(opcount GETATTR) - getattrs0))
[ "$setattrs" -gt 0 ] && [ "$getattrs" -gt 0 ] &&
	pass wire "SETATTR +$setattrs, GETATTR +$getattrs in mountstats" ||
	fail wire "SETATTR +$setattrs, GETATTR +$getattrs in mountstats"

# --- NFSv3: POSIX ACLs through NFSACL -----------------------------------------
# The same export mounted vers=3 beside this mount (MOUNT on the NFS port,
# no NLM); setfacl and getfacl from the acl package.  Without NFSACL the
# client has no way to set an ACL (setfacl fails with EOPNOTSUPP).
v=3
command -v setfacl >/dev/null && command -v getfacl >/dev/null ||
	{ fail setup "no setfacl/getfacl in the guest (KCLIENT_EXTRA_BINS)"; exit 1; }
m3=/tmp/ferry-v3
mkdir -p "$m3"
port=${KCLIENT_PORT:-2049}
if ! mount -t nfs -o "vers=3,proto=tcp,port=$port,mountport=$port,mountproto=tcp,nolock" \
	"$KCLIENT_SERVER:$KCLIENT_EXPORT" "$m3" 2>mount.err; then
	fail mount "mount vers=3: $(cat mount.err)"
	exit 1
fi
pass mount "$KCLIENT_SERVER:$KCLIENT_EXPORT on $m3"
cd "$m3" || { fail setup "cd $m3"; exit 1; }
rm -rf ferry-acl3
mkdir ferry-acl3 && cd ferry-acl3 || { fail setup "mkdir ferry-acl3"; exit 1; }
echo data >set
chmod 0640 set
if setfacl -m u:1234:r set 2>setfacl.err; then
	pass setfacl "u:1234:r set"
else
	fail setfacl "setfacl: $(cat setfacl.err)"
fi
got=$(getfacl -n set 2>&1)
echo "$got" | grep -q '^user:1234:r--' && echo "$got" | grep -q '^mask::r--' &&
	pass getfacl "$(echo "$got" | grep -v '^#' | tr '\n' ' ')" ||
	fail getfacl "no user:1234:r-- and mask::r-- in: $(echo "$got" | tr '\n' ' ')"
drop_caches
got=$(getfacl -n set 2>&1)
echo "$got" | grep -q '^user:1234:r--' && pass uncached "user:1234:r-- after drop_caches" ||
	fail uncached "no user:1234:r-- after drop_caches in: $(echo "$got" | tr '\n' ' ')"
# The mode follows the mask, as on a local file system.
[ "$(stat -c %a set)" = 640 ] && pass mode "mode 640 with mask r--" ||
	fail mode "mode $(stat -c %a set), not 640"

got=$(getfacl -n ../ferry-acl-host 2>&1)
echo "$got" | grep -q '^user:4321:rw-' && pass host-acl "the host's u:4321:rw- seen" ||
	fail host-acl "no user:4321:rw- in: $(echo "$got" | tr '\n' ' ')"

# A default ACL, inherited by a file made through this mount.
mkdir inherit
if setfacl -d -m u:1234:rw inherit 2>setfacl.err; then
	: >inherit/new
	got=$(getfacl -n inherit/new 2>&1)
	echo "$got" | grep -q '^user:1234:rw-' && pass default "inherit/new has user:1234:rw-" ||
		fail default "inherit/new: $(echo "$got" | tr '\n' ' ')"
else
	fail default "setfacl -d: $(cat setfacl.err)"
fi

# Enforced: no access for daemon (uid 1) on a world-readable file.
echo secret >denied
chmod 0644 denied
setfacl -m u:1:--- denied 2>setfacl.err || fail deny-set "setfacl: $(cat setfacl.err)"
drop_caches
deny_check "$m3/ferry-acl3/denied"
# Removed again: the mode alone.
setfacl -b denied && [ -z "$(getfacl -n --skip-base denied 2>/dev/null)" ] &&
	pass remove "setfacl -b leaves the mode alone" || fail remove "setfacl -b: $(getfacl -n denied | tr '\n' ' ')"
rm -f setfacl.err su.err mount.err
host_view ferry-acl3/set
cd / && umount "$m3" || fail umount "umount $m3"
exit $failed
