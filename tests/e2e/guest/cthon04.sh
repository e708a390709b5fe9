#!/bin/bash
# The Connectathon suite (cthon04) in the kclient guest, cwd = the NFS
# mount, once per version: its basic, special and lock groups, each with
# its own runtests in functional mode (-f), in a directory of the mount.
# cthon04.tar (kclient --file) holds a build of it made on the host with
# static binaries (tests/e2e/kclient.sh, FERRY_E2E_CTHON04); the special
# group copies its programs with make, which kclient adds to the guest
# (KCLIENT_EXTRA_BINS=make).
#
# CTHON04_GROUPS (default "basic special lock") chooses the groups.
# Prints "E2E PASS|FAIL cthon04-<group> vers=<v>: ..." with the group's
# last lines on failure; exits 1 when a group failed.
set -uo pipefail
v=${KCLIENT_VERS:-?}
mnt=${KCLIENT_MNT:-$PWD}
tarball=${KCLIENT_FILES:-/kcrun/files}/cthon04.tar
failed=0

[ -f "$tarball" ] || { echo "E2E FAIL cthon04 vers=$v: $tarball missing"; exit 1; }
command -v make >/dev/null || { echo "E2E FAIL cthon04 vers=$v: no make in the guest"; exit 1; }
src=/tmp/cthon04.$$
mkdir -p "$src" && tar xf "$tarball" -C "$src" || { echo "E2E FAIL cthon04 vers=$v: cannot unpack"; exit 1; }

for group in ${CTHON04_GROUPS:-basic special lock}; do
	dir=$mnt/cthon04.$v.$group
	log=/tmp/cthon04.$group.log
	t0=$SECONDS
	# runtests GROUP MODE DIR: the group's own runtests in DIR (made
	# afresh); it exits non-zero on the first failing test.
	(cd "$src/cthon04" && sh runtests "-${group:0:1}" -f "$dir") >"$log" 2>&1
	rc=$?
	if [ $rc = 0 ] && grep -q "All tests completed" "$log"; then
		echo "E2E PASS cthon04-$group vers=$v: $((SECONDS - t0)) s"
	else
		echo "E2E FAIL cthon04-$group vers=$v: exit $rc; its last lines:"
		tail -15 "$log" | sed 's/^/  /'
		failed=1
	fi
done
rm -rf "$src"
exit $failed
