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
# Leaves ferry-acl/set with the ACE for 1234, which kclient.sh then finds
# in the host's POSIX ACL (getfacl).
#
# Prints "E2E PASS|FAIL|INFO acl-<step> vers=<v>: ..." lines; exits 1 if
# any check failed.
set -uo pipefail
mnt=${KCLIENT_MNT:-$(pwd)}
v=${KCLIENT_VERS:-4.1}
failed=0
pass() { echo "E2E PASS acl-$1 vers=$v: $2"; }
fail() { echo "E2E FAIL acl-$1 vers=$v: $2"; failed=1; }

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
if su -s /bin/sh daemon -c "cat '$mnt/ferry-acl/denied'" >/dev/null 2>su.err; then
	fail deny "daemon (uid 1) read a file an ACE denies it"
elif grep -qi "permission denied" su.err; then
	pass deny "daemon (uid 1): $(tr '\n' ' ' <su.err)"
else
	fail deny "daemon (uid 1) failed otherwise: $(tr '\n' ' ' <su.err)"
fi
if [ "$(su -s /bin/sh bin -c "cat '$mnt/ferry-acl/denied'" 2>&1)" = secret ]; then
	pass allow-other "bin (uid 2) reads it"
else
	fail allow-other "bin (uid 2) cannot read it"
fi
rm -f setfacl.err su.err

setattrs=$(($(opcount SETATTR) - setattrs0))
getattrs=$(($(opcount GETATTR) - getattrs0))
[ "$setattrs" -gt 0 ] && [ "$getattrs" -gt 0 ] &&
	pass wire "SETATTR +$setattrs, GETATTR +$getattrs in mountstats" ||
	fail wire "SETATTR +$setattrs, GETATTR +$getattrs in mountstats"
exit $failed
